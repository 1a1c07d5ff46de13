/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the conformance test provider's request handling
 * (verifier/conformance_int.h: conf_prov_new, conf_prov_handle) on a
 * plain-HTTP libmicrohttpd listener on 127.0.0.1, driven by libcurl: a
 * value with a NUL byte never passes for the registered one (authorize's
 * query, the token form, client_secret_basic's decoded credentials), and
 * the same requests without the NUL byte are answered.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "common/digest.h"
#include "common/mem.h"
#include "verifier/conformance.h"
#include "verifier/conformance_int.h"

#define RU    "https%3A%2F%2Fmairie.test%2Fcallback"
#define NONCE "n0nce-Qk7v2dYbV0x3n1pWmZr8sA"

struct fixture {
	struct conf_registration reg;
	struct conf_prov *prov;
	struct MHD_Daemon *mhd;
	char base[64]; /* http://127.0.0.1:PORT/api/v2 */
};

static int
setup(void **state)
{
	static struct fixture f;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;

	memset(&f, 0, sizeof(f));
	f.reg.dossier_id = rc_strdup("DP-UNIT");
	f.reg.client_id = rc_strdup("unit-client");
	f.reg.redirect_uri = rc_strdup("https://mairie.test/callback");
	f.reg.alg = rc_strdup("ES256");
	if (f.reg.dossier_id == NULL || f.reg.client_id == NULL ||
	    f.reg.redirect_uri == NULL || f.reg.alg == NULL ||
	    rc_sha256("unit-secret", 11, f.reg.secret_sha256) != RC_OK ||
	    conf_prov_new(&f.reg, "https://127.0.0.1:9/api/v2", 0, &f.prov,
	        NULL) != RC_OK)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* port 0: any */
	f.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    conf_prov_handle, f.prov, MHD_OPTION_NOTIFY_COMPLETED,
	    conf_prov_completed, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sin, MHD_OPTION_END);
	if (f.mhd == NULL ||
	    (di = MHD_get_daemon_info(f.mhd, MHD_DAEMON_INFO_BIND_PORT)) ==
	        NULL)
		return -1;
	snprintf(f.base, sizeof(f.base), "http://127.0.0.1:%u/api/v2",
	    (unsigned)di->port);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	MHD_stop_daemon(f->mhd);
	conf_prov_free(f->prov);
	conf_registration_cleanup(&f->reg);
	return 0;
}

/*
 * One request to the provider: GET path?query, or POST path with form
 * (and an Authorization header when auth is not NULL).  The status; the
 * code of a redirect to the callback goes into code (65 bytes).
 */
static long
call(const struct fixture *f, const char *path, const char *query,
    const char *form, size_t formlen, const char *auth, char *code)
{
	char url[1024], hdr[256];
	struct curl_slist *h = NULL;
	char *loc = NULL;
	const char *c;
	long status = 0;
	FILE *devnull = fopen("/dev/null", "w");
	CURL *e = curl_easy_init();

	assert_non_null(e);
	assert_non_null(devnull);
	snprintf(url, sizeof(url), "%s%s%s%s", f->base, path, query ? "?" : "",
	    query ? query : "");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, devnull);
	if (form != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)formlen);
	}
	if (auth != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
		h = curl_slist_append(NULL, hdr);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	}
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (code != NULL) {
		code[0] = '\0';
		curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc);
		if (loc != NULL && (c = strstr(loc, "code=")) != NULL)
			snprintf(code, 65, "%s", c + 5);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	fclose(devnull);
	return status;
}

static const char authz_q[] =
    "response_type=code&client_id=unit-client&redirect_uri=" RU
    "&scope=openid&state=st4te-Qk7v2dYbV0x3n1pWmZr8sA&nonce=" NONCE
    "&acr_values=eidas1";

/* authorize: the same query with %00 inside a value is refused (400). */
static void
test_authorize_nul(void **state)
{
	struct fixture *f = *state;
	char q[1024], code[65];
	static const char *const nuls[] = {
		"client_id=unit-client%00x&",
		"redirect_uri=" RU "%00.evil.test&",
		"state=st4te%00-Qk7v2dYbV0x3n1pWmZr8sA&",
	};
	size_t i;

	conf_prov_begin(f->prov, CONF_RUN_REFERENCE);
	for (i = 0; i < sizeof(nuls) / sizeof(nuls[0]); i++) {
		/* The NUL value first: libmicrohttpd keeps the first of
		 * two. */
		snprintf(q, sizeof(q), "%s%s", nuls[i], authz_q);
		assert_int_equal(call(f, "/authorize", q, NULL, 0, NULL, code),
		    400);
	}
	assert_int_equal(call(f, "/authorize", authz_q, NULL, 0, NULL, code),
	    302);
	assert_int_equal(strlen(code), 64);
}

/* token, client_secret_post: "unit-secret%00x" is not the secret. */
static void
test_token_post_nul(void **state)
{
	struct fixture *f = *state;
	char form[512], code[65];

	conf_prov_begin(f->prov, CONF_RUN_REFERENCE);
	assert_int_equal(call(f, "/authorize", authz_q, NULL, 0, NULL, code),
	    302);
	snprintf(form, sizeof(form),
	    "grant_type=authorization_code&code=%s&redirect_uri=%s"
	    "&client_id=unit-client&client_secret=unit-secret%%00x",
	    code, RU);
	assert_int_equal(
	    call(f, "/token", NULL, form, strlen(form), NULL, NULL), 400);
	snprintf(form, sizeof(form),
	    "grant_type=authorization_code&code=%s&redirect_uri=%s"
	    "&client_id=unit-client&client_secret=unit-secret",
	    code, RU);
	assert_int_equal(
	    call(f, "/token", NULL, form, strlen(form), NULL, NULL), 200);
}

/* token, client_secret_basic: base64("unit-client:unit-secret\0x") is
 * not the secret; base64("unit-client:unit-secret") is. */
static void
test_token_basic_nul(void **state)
{
	struct fixture *f = *state;
	char form[512], code[65];

	conf_prov_begin(f->prov, CONF_RUN_REFERENCE);
	assert_int_equal(call(f, "/authorize", authz_q, NULL, 0, NULL, code),
	    302);
	snprintf(form, sizeof(form),
	    "grant_type=authorization_code&code=%s&redirect_uri=%s", code, RU);
	assert_int_equal(
	    call(f, "/token", NULL, form, strlen(form),
	        "Basic dW5pdC1jbGllbnQ6dW5pdC1zZWNyZXQAeA==", NULL),
	    401);
	assert_int_equal(call(f, "/token", NULL, form, strlen(form),
	                     "Basic dW5pdC1jbGllbnQ6dW5pdC1zZWNyZXQ=", NULL),
	    200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorize_nul),
		cmocka_unit_test(test_token_post_nul),
		cmocka_unit_test(test_token_basic_nul),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
