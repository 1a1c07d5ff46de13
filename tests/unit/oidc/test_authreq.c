/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oidc/authreq: URL parts, form decoding, order,
 * duplicates, limits and allocation failures.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "oidc/authreq.h"

#define GOOD_URL                                                               \
	"https://oidc.franceconnect.gouv.fr/api/v2/authorize"                  \
	"?response_type=code"                                                  \
	"&client_id=6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985"   \
	"704f39950"                                                            \
	"&redirect_uri=https%3A%2F%2Fdemarches.mairie-exemple.fr%2Foidc%2F"    \
	"callback"                                                             \
	"&scope=openid+given_name+family_name%20email"                         \
	"&acr_values=eidas1"                                                   \
	"&state=8f2a1c9e4b7d3a6f0e5c2b9a8d7f6e1c"                              \
	"&nonce=Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A"

static void
test_good_request(void **state)
{
	struct oidc_authreq *r;
	struct rc_err err = { 0 };
	const char *n, *v;

	(void)state;
	r = oidc_authreq_parse(GOOD_URL, &err);
	assert_non_null(r);
	assert_string_equal(oidc_authreq_scheme(r), "https");
	assert_string_equal(oidc_authreq_host(r), "oidc.franceconnect.gouv.fr");
	assert_int_equal(oidc_authreq_port(r), 443);
	assert_string_equal(oidc_authreq_path(r), "/api/v2/authorize");
	assert_null(oidc_authreq_fragment(r));
	assert_int_equal(oidc_authreq_nparams(r), 7);
	assert_int_equal(oidc_authreq_ndups(r), 0);
	assert_string_equal(oidc_authreq_param(r, "redirect_uri"),
	    "https://demarches.mairie-exemple.fr/oidc/callback");
	assert_string_equal(oidc_authreq_param(r, "scope"),
	    "openid given_name family_name email");
	assert_null(oidc_authreq_param(r, "prompt"));
	assert_int_equal(oidc_authreq_param_at(r, 0, &n, &v), RC_OK);
	assert_string_equal(n, "response_type");
	assert_string_equal(v, "code");
	assert_int_equal(oidc_authreq_param_at(r, 6, &n, &v), RC_OK);
	assert_string_equal(n, "nonce");
	assert_int_equal(oidc_authreq_param_at(r, 7, &n, &v), RC_EINVAL);
	assert_null(n);
	assert_null(v);
	assert_string_equal(oidc_authreq_url(r), GOOD_URL);
	oidc_authreq_free(r);
}

static void
test_duplicates_kept_in_order(void **state)
{
	struct oidc_authreq *r;

	(void)state;
	r = oidc_authreq_parse("https://h.example/a?state=one&nonce=x&state=two"
	                       "&nonce=y&state=three&scope=openid",
	    NULL);
	assert_non_null(r);
	assert_int_equal(oidc_authreq_nparams(r), 6);
	assert_int_equal(oidc_authreq_ndups(r), 2);
	assert_string_equal(oidc_authreq_dup_at(r, 0), "state");
	assert_string_equal(oidc_authreq_dup_at(r, 1), "nonce");
	assert_null(oidc_authreq_dup_at(r, 2));
	assert_string_equal(oidc_authreq_param(r, "state"), "one");
	oidc_authreq_free(r);
}

static void
test_percent_edge_cases(void **state)
{
	struct oidc_authreq *r;
	struct rc_err err = { 0 };

	(void)state;
	/* encoded name, '+' in value, %2B literal plus, bad escape kept,
	 * param without '=', empty segments, '=' inside value, UTF-8. */
	r = oidc_authreq_parse("HTTPS://OIDC.FranceConnect.gouv.fr:8443/p"
	                       "?%73tate=a+b%2Bc&&bad=%zz%4&flag&x==y%3D"
	                       "&nom=Ren%C3%A9e#frag",
	    &err);
	assert_non_null(r);
	assert_string_equal(oidc_authreq_scheme(r), "https");
	assert_string_equal(oidc_authreq_host(r), "oidc.franceconnect.gouv.fr");
	assert_int_equal(oidc_authreq_port(r), 8443);
	assert_string_equal(oidc_authreq_fragment(r), "frag");
	assert_string_equal(oidc_authreq_param(r, "state"), "a b+c");
	assert_string_equal(oidc_authreq_param(r, "bad"), "%zz%4");
	assert_string_equal(oidc_authreq_param(r, "flag"), "");
	assert_string_equal(oidc_authreq_param(r, "x"), "=y=");
	assert_string_equal(oidc_authreq_param(r, "nom"),
	    "Ren\xc3\xa9"
	    "e");
	assert_int_equal(oidc_authreq_nparams(r), 5);
	oidc_authreq_free(r);
}

static void
test_nul_byte_refused(void **state)
{
	struct rc_err err = { 0 };

	(void)state;
	assert_null(
	    oidc_authreq_parse("https://h.example/?state=ab%00cd", &err));
	assert_int_equal(err.code, RC_EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void
test_malformed_refused(void **state)
{
	static const char *const bad[] = {
		"/api/v2/authorize?state=x", /* relative */
		"oidc.franceconnect.gouv.fr/api/v2/authorize",
		"https://",
		"https://exa mple.fr/",
		"",
		"https://h.example:99999/",
	};
	struct rc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_null(oidc_authreq_parse(bad[i], &err));
		assert_int_equal(err.code, RC_EINVAL);
	}
	assert_null(oidc_authreq_parse(NULL, NULL));
}

static void
test_no_query_and_ipv6(void **state)
{
	struct oidc_authreq *r;

	(void)state;
	r = oidc_authreq_parse("http://[::1]:8080", NULL);
	assert_non_null(r);
	assert_string_equal(oidc_authreq_host(r), "[::1]");
	assert_int_equal(oidc_authreq_port(r), 8080);
	assert_string_equal(oidc_authreq_path(r), "/");
	assert_int_equal(oidc_authreq_nparams(r), 0);
	assert_null(oidc_authreq_param(r, "state"));
	oidc_authreq_free(r);
}

static void
test_very_long(void **state)
{
	struct oidc_authreq *r;
	struct rc_err err = { 0 };
	static char url[OIDC_AUTHREQ_MAX_URL + 64];
	const char *head = "https://h.example/a?nonce=";
	size_t hl = strlen(head);

	(void)state;
	/* A 60 000-character nonce is fine... */
	memcpy(url, head, hl);
	memset(url + hl, 'a', 60000);
	url[hl + 60000] = '\0';
	r = oidc_authreq_parse(url, &err);
	assert_non_null(r);
	assert_int_equal(strlen(oidc_authreq_param(r, "nonce")), 60000);
	oidc_authreq_free(r);
	/* ... a URL past the limit is not. */
	memset(url + hl, 'a', sizeof(url) - hl - 1);
	url[sizeof(url) - 1] = '\0';
	assert_null(oidc_authreq_parse(url, &err));
	assert_int_equal(err.code, RC_EINVAL);
}

static void
test_too_many_params(void **state)
{
	static char url[16 * 1024];
	struct rc_err err = { 0 };
	size_t off, i;

	(void)state;
	off = (size_t)snprintf(url, sizeof(url), "https://h.example/?");
	for (i = 0; i <= OIDC_AUTHREQ_MAX_PARAMS; i++)
		off += (size_t)snprintf(url + off, sizeof(url) - off, "p%zu=1&",
		    i);
	assert_null(oidc_authreq_parse(url, &err));
	assert_int_equal(err.code, RC_EINVAL);
}

static void
test_enomem_is_clean(void **state)
{
	struct oidc_authreq *r;
	struct rc_err err;
	unsigned long n;

	(void)state;
	for (n = 1; n < 200; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		r = oidc_authreq_parse(GOOD_URL "&state=dup", &err);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_non_null(r);
			oidc_authreq_free(r);
			return;
		}
		assert_null(r);
		assert_int_equal(err.code, RC_ENOMEM);
	}
	rc_mem_fail_after(0);
	fail_msg("allocation count never reached");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_request),
		cmocka_unit_test(test_duplicates_kept_in_order),
		cmocka_unit_test(test_percent_edge_cases),
		cmocka_unit_test(test_nul_byte_refused),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_no_query_and_ipv6),
		cmocka_unit_test(test_very_long),
		cmocka_unit_test(test_too_many_params),
		cmocka_unit_test(test_enomem_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
