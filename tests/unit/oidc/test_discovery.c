/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oidc/discovery: FranceConnect's document, each invalid
 * member named in the error, allocation failures.
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
#include "oidc/discovery.h"

#define ISSUER "https://oidc.franceconnect.gouv.fr/api/v2"
#define DISCO  ISSUER "/.well-known/openid-configuration"

/* Shaped like FC v2's document (api-discovery.feature). */
static const char fc_doc[] =
    "{\"issuer\":\"" ISSUER "\","
    "\"authorization_endpoint\":\"" ISSUER "/authorize\","
    "\"token_endpoint\":\"" ISSUER "/token\","
    "\"userinfo_endpoint\":\"" ISSUER "/userinfo\","
    "\"end_session_endpoint\":\"" ISSUER "/session/end\","
    "\"jwks_uri\":\"" ISSUER "/jwks\","
    "\"acr_values_supported\":[\"eidas1\"],"
    "\"scopes_supported\":[\"openid\",\"given_name\",\"family_name\","
    "\"birthdate\",\"gender\",\"birthplace\",\"birthcountry\",\"email\","
    "\"preferred_username\",\"profile\",\"birth\",\"identite_pivot\"],"
    "\"response_types_supported\":[\"code\"],"
    "\"subject_types_supported\":[\"pairwise\"],"
    "\"id_token_signing_alg_values_supported\":[\"HS256\",\"ES256\","
    "\"RS256\"],"
    "\"token_endpoint_auth_methods_supported\":[\"client_secret_post\","
    "\"private_key_jwt\"],"
    "\"claims_parameter_supported\":true}";

static void
test_fc_document(void **state)
{
	struct oidc_discovery *d;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(
	    oidc_discovery_parse(fc_doc, strlen(fc_doc), DISCO, &d, &err),
	    RC_OK);
	assert_string_equal(d->issuer, ISSUER);
	assert_string_equal(d->authorization_endpoint, ISSUER "/authorize");
	assert_string_equal(d->token_endpoint, ISSUER "/token");
	assert_string_equal(d->userinfo_endpoint, ISSUER "/userinfo");
	assert_string_equal(d->end_session_endpoint, ISSUER "/session/end");
	assert_string_equal(d->jwks_uri, ISSUER "/jwks");
	assert_int_equal(d->acr_values_supported.n, 1);
	assert_true(oidc_strlist_has(&d->acr_values_supported, "eidas1"));
	assert_false(oidc_strlist_has(&d->acr_values_supported, "eidas2"));
	assert_true(oidc_strlist_has(&d->scopes_supported, "identite_pivot"));
	assert_true(oidc_strlist_has(&d->response_types_supported, "code"));
	assert_int_equal(d->id_token_signing_alg_values_supported.n, 3);
	oidc_discovery_free(d);
	oidc_discovery_free(NULL);
}

static void
test_minimal_document(void **state)
{
	static const char doc[] =
	    "{\"issuer\":\"https://127.0.0.1:8443/api/v2\","
	    "\"authorization_endpoint\":\"https://127.0.0.1:8443/api/v2/"
	    "authorize\",\"token_endpoint\":\"https://127.0.0.1:8443/t\","
	    "\"jwks_uri\":\"https://127.0.0.1:8443/j\","
	    "\"response_types_supported\":[\"code\"]}";
	struct oidc_discovery *d;

	(void)state;
	assert_int_equal(oidc_discovery_parse(doc, strlen(doc),
	                     "https://127.0.0.1:8443/api/v2/.well-known/"
	                     "openid-configuration",
	                     &d, NULL),
	    RC_OK);
	assert_null(d->userinfo_endpoint);
	assert_null(d->end_session_endpoint);
	assert_int_equal(d->scopes_supported.n, 0);
	assert_false(oidc_strlist_has(&d->scopes_supported, "openid"));
	oidc_discovery_free(d);
}

/* Replace the first occurrence of from by to in fc_doc. */
static void
mutate(char *out, size_t len, const char *from, const char *to)
{
	const char *p = strstr(fc_doc, from);

	assert_non_null(p);
	snprintf(out, len, "%.*s%s%s", (int)(p - fc_doc), fc_doc, to,
	    p + strlen(from));
}

static void
expect_bad(const char *doc, const char *url, enum rc_code code,
    const char *needle)
{
	struct oidc_discovery *d = (void *)1;
	struct rc_err err = { 0 };

	assert_int_equal(oidc_discovery_parse(doc, strlen(doc), url, &d, &err),
	    code);
	assert_null(d);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, needle);
}

static void
test_bad_documents(void **state)
{
	char doc[4096];

	(void)state;
	/* §4.3: issuer must be the discovery URL's prefix. */
	mutate(doc, sizeof(doc), "\"issuer\":\"" ISSUER "\"",
	    "\"issuer\":\"https://oidc.franceconnect.gouv.fr/api/v2/\"");
	expect_bad(doc, DISCO, RC_EINVAL, "discovery.issuer");
	expect_bad(fc_doc,
	    "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/.well-known/"
	    "openid-configuration",
	    RC_EINVAL, "section 4.3");
	/* http endpoints. */
	mutate(doc, sizeof(doc),
	    "\"jwks_uri\":\"https:", "\"jwks_uri\":\"http:");
	expect_bad(doc, DISCO, RC_EINVAL,
	    "discovery.jwks_uri: must be an "
	    "https URL");
	mutate(doc, sizeof(doc),
	    "\"token_endpoint\":\"https:", "\"token_endpoint\":\"ftp:");
	expect_bad(doc, DISCO, RC_EINVAL, "discovery.token_endpoint");
	mutate(doc, sizeof(doc), "\"end_session_endpoint\":\"" ISSUER,
	    "\"end_session_endpoint\":\"not a url");
	expect_bad(doc, DISCO, RC_EINVAL, "discovery.end_session_endpoint");
	/* Missing and mistyped members. */
	mutate(doc, sizeof(doc), "\"authorization_endpoint\"", "\"authz\"");
	expect_bad(doc, DISCO, RC_EINVAL,
	    "discovery.authorization_endpoint: is required");
	mutate(doc, sizeof(doc), "[\"code\"]", "\"code\"");
	expect_bad(doc, DISCO, RC_EINVAL,
	    "discovery.response_types_supported: must be an array");
	mutate(doc, sizeof(doc), "[\"code\"]", "[]");
	expect_bad(doc, DISCO, RC_EINVAL, "must not be empty");
	mutate(doc, sizeof(doc), "[\"eidas1\"]", "[\"eidas1\",3]");
	expect_bad(doc, DISCO, RC_EINVAL,
	    "discovery.acr_values_supported[1]: must be a string");
	mutate(doc, sizeof(doc), "[\"openid\",", "[");
	expect_bad(doc, DISCO, RC_EINVAL, "must include openid");
	mutate(doc, sizeof(doc), "\"issuer\":\"" ISSUER "\"", "\"issuer\":7");
	expect_bad(doc, DISCO, RC_EINVAL, "discovery.issuer: must be a string");
	/* issuer with a query. */
	expect_bad("{\"issuer\":\"https://a.example/x?q=1\"}",
	    "https://a.example/x?q=1/.well-known/openid-configuration",
	    RC_EINVAL, "no query or fragment");
	/* Duplicates, not JSON, not an object, bad URL. */
	mutate(doc, sizeof(doc), "\"jwks_uri\"",
	    "\"issuer\":\"" ISSUER "\",\"jwks_uri\"");
	expect_bad(doc, DISCO, RC_EPARSE, "duplicate");
	expect_bad("{\"issuer\":", DISCO, RC_EPARSE, "discovery");
	expect_bad("[1,2]", DISCO, RC_EPARSE, "must be a JSON object");
	expect_bad(fc_doc, ISSUER, RC_EINVAL, "must end in");
	expect_bad(fc_doc, "/.well-known/openid-configuration", RC_EINVAL,
	    "must end in");
}

static void
test_too_large(void **state)
{
	struct oidc_discovery *d;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(oidc_discovery_parse(fc_doc,
	                     OIDC_DISCOVERY_MAX_BYTES + 1, DISCO, &d, &err),
	    RC_EINVAL);
	assert_null(d);
}

static void
test_enomem_is_clean(void **state)
{
	struct oidc_discovery *d;
	struct rc_err err;
	enum rc_code rc;
	unsigned long n;

	(void)state;
	for (n = 1; n < 200; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		rc = oidc_discovery_parse(fc_doc, strlen(fc_doc), DISCO, &d,
		    &err);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, RC_OK);
			oidc_discovery_free(d);
			return;
		}
		assert_int_equal(rc, RC_ENOMEM);
		assert_null(d);
	}
	rc_mem_fail_after(0);
	fail_msg("allocation count never reached");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fc_document),
		cmocka_unit_test(test_minimal_document),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_enomem_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
