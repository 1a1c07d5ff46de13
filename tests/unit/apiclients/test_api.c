/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for apiclients/api.c and api_jwt.c: request building, error
 * and proof parsing, rate-limit headers, JWT claims and staging markers.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/util.h>

#include "apiclients/api.h"
#include "common/mem.h"

static const char token[] = "tok.en-SECRET-123";

/* A JWT from two JSON texts; the signature is a fixed string. */
static char *
make_jwt(const char *hdr, const char *payload)
{
	char *h = NULL, *p = NULL, *out;
	size_t hl, pl;
	cjose_err cerr;

	assert_true(cjose_base64url_encode((const uint8_t *)hdr, strlen(hdr),
	    &h, &hl, &cerr));
	assert_true(cjose_base64url_encode((const uint8_t *)payload,
	    strlen(payload), &p, &pl, &cerr));
	out = rc_malloc(hl + pl + 16);
	assert_non_null(out);
	snprintf(out, hl + pl + 16, "%s.%s.c2ln", h, p);
	cjose_get_dealloc()(h);
	cjose_get_dealloc()(p);
	return out;
}

static void
test_lookup(void **state)
{
	(void)state;
	assert_non_null(api_info_lookup("api_particulier"));
	assert_string_equal(api_info_lookup("api_entreprise")->proof_path,
	    "/privileges");
	assert_int_equal(api_info_lookup("api_r2p")->auth,
	    API_AUTH_CLIENT_CREDENTIALS);
	assert_null(api_info_lookup("api_foo"));
	assert_null(api_info_lookup(NULL));
	assert_string_equal(api_info_get(API_PARTICULIER)->base[0],
	    "https://particulier.api.gouv.fr");
}

static void
test_url_join(void **state)
{
	struct rc_err err = { 0 };
	char *u = NULL;

	(void)state;
	assert_int_equal(
	    api_url_join("https://h.test", "/api/introspect", &u, &err), RC_OK);
	assert_string_equal(u, "https://h.test/api/introspect");
	rc_free(u);
	assert_int_equal(
	    api_url_join("https://h.test:8443/base/", "/token", &u, &err),
	    RC_OK);
	assert_string_equal(u, "https://h.test:8443/base/token");
	rc_free(u);
	assert_int_equal(api_url_join("ftp://h", "/x", &u, &err), RC_EINVAL);
	assert_null(u);
	assert_int_equal(api_url_join("https://h/?a=b", "/x", &u, &err),
	    RC_EINVAL);
	assert_int_equal(api_url_join("not a url", "/x", &u, &err), RC_EINVAL);
}

static void
test_proof_request_v2_v3(void **state)
{
	const struct api_info *pa = api_info_lookup("api_particulier");
	const struct api_info *ae = api_info_lookup("api_entreprise");
	struct api_request req;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(api_proof_request(pa, 2, "https://p.test", token,
	                     strlen(token), &req, &err),
	    RC_OK);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.url, "https://p.test/api/introspect");
	assert_string_equal(req.headers[0], "X-Api-Key: tok.en-SECRET-123");
	assert_string_equal(req.secret, token);
	assert_null(strstr(req.url, "SECRET"));
	api_request_cleanup(&req);
	assert_null(req.url);

	assert_int_equal(api_proof_request(pa, 3, "https://p.test", token,
	                     strlen(token), &req, &err),
	    RC_OK);
	assert_string_equal(req.headers[0],
	    "Authorization: Bearer tok.en-SECRET-123");
	api_request_cleanup(&req);

	assert_int_equal(api_proof_request(ae, 3, "https://e.test", token,
	                     strlen(token), &req, &err),
	    RC_OK);
	assert_string_equal(req.url, "https://e.test/privileges");
	assert_string_equal(req.headers[0],
	    "Authorization: Bearer tok.en-SECRET-123");
	api_request_cleanup(&req);
}

static void
test_proof_request_rejects_bad_tokens(void **state)
{
	const struct api_info *pa = api_info_lookup("api_particulier");
	struct api_request req;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(
	    api_proof_request(pa, 3, "https://p.test", "", 0, &req, &err),
	    RC_EINVAL);
	assert_int_equal(api_proof_request(pa, 3, "https://p.test",
	                     "abc\r\nX-Evil: 1", 15, &req, &err),
	    RC_EINVAL);
	assert_int_equal(
	    api_proof_request(pa, 3, "https://p.test", "a b", 3, &req, &err),
	    RC_EINVAL);
	assert_null(strstr(err.msg, "abc"));
	assert_int_equal(api_proof_request(api_info_lookup("api_ficoba"), 3,
	                     "https://p.test", "abc", 3, &req, &err),
	    RC_EINVAL);
}

static void
test_client_credentials_request(void **state)
{
	struct api_request req;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(api_client_credentials_request("https://g.test/token",
	                     "my client", "s3cr&t", 6, NULL, &req, &err),
	    RC_EINVAL); /* space in client_id */
	assert_int_equal(api_client_credentials_request("https://g.test/token",
	                     "client", "s3cr&t", 6, "read", &req, &err),
	    RC_OK);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.content_type,
	    "application/x-www-form-urlencoded");
	assert_string_equal(req.body,
	    "grant_type=client_credentials&scope=read");
	/* base64("client:s3cr%26t") */
	assert_string_equal(req.headers[0],
	    "Authorization: Basic Y2xpZW50OnMzY3IlMjZ0");
	assert_string_equal(req.secret, "Y2xpZW50OnMzY3IlMjZ0");
	assert_null(strstr(req.body, "s3cr"));
	api_request_cleanup(&req);
}

static void
test_error_parse_formats(void **state)
{
	struct api_finding f;
	static const char v3[] =
	    "{\"errors\":[{\"code\":\"00103\",\"title\":\"Jeton expir\xc3\xa9"
	    "\",\"detail\":\"Votre token est expir\xc3\xa9\",\"source\":{"
	    "\"parameter\":\"token\"},\"meta\":{}}]}";
	static const char v2[] = "{\"error\":\"invalid_token\",\"reason\":"
	                         "\"Token not found or inactive\","
	                         "\"message\":\"Token not found or inactive\"}";
	static const char oauth[] = "{\"error\":\"invalid_client\","
	                            "\"error_description\":\"bad\\nclient\"}";
	static const char dp[] = "{\"errors\":[{\"status\":\"403\",\"title\":"
	                         "\"Forbidden\",\"detail\":\"no role\"}]}";

	(void)state;
	memset(&f, 0, sizeof(f));
	api_error_parse(v3, strlen(v3), &f);
	assert_string_equal(f.code, "00103");
	assert_non_null(strstr(f.reason, "Jeton expir"));
	assert_non_null(strstr(f.reason, "Votre token"));
	assert_string_equal(api_error_code_str(f.code),
	    "the token has expired");

	api_error_parse(v2, strlen(v2), &f);
	assert_string_equal(f.code, "invalid_token");
	assert_string_equal(f.reason, "Token not found or inactive");

	api_error_parse(oauth, strlen(oauth), &f);
	assert_string_equal(f.code, "invalid_client");
	assert_string_equal(f.reason, "badclient"); /* control char dropped */

	api_error_parse(dp, strlen(dp), &f);
	assert_string_equal(f.code, "403");
	assert_string_equal(f.reason, "Forbidden: no role");

	api_error_parse("<html>", 6, &f);
	assert_string_equal(f.code, "");
	assert_string_equal(f.reason, "");
	api_error_parse(NULL, 0, &f);
	assert_null(api_error_code_str("99999"));
}

static void
test_proof_parse(void **state)
{
	const struct api_info *pa = api_info_lookup("api_particulier");
	const struct api_info *ae = api_info_lookup("api_entreprise");
	struct api_finding f;
	static const char intro[] = "{\"_id\":\"1d99db5a-a099-4314-ad2f-"
	                            "2707c6b505a6\",\"name\":null,\"scopes\":["
	                            "\"cnaf_quotient_familial\",\"cnaf_enfants"
	                            "\"]}";
	static const char privs[] =
	    "{\"privileges\":[\"attestations_fiscales\"]}";
	static const char empty[] = "{\"_id\":\"x\",\"scopes\":[]}";
	static const char expired[] =
	    "{\"errors\":[{\"code\":\"00103\",\"title\":\"Jeton expir\xc3\xa9"
	    "\",\"detail\":\"x\"}]}";

	(void)state;
	api_proof_parse(pa, 200, "application/json; charset=utf-8", intro,
	    strlen(intro), &f);
	assert_int_equal(f.result, API_RES_OK);
	assert_int_equal(f.nscopes, 2);
	assert_string_equal(f.scopes, "cnaf_quotient_familial, cnaf_enfants");

	api_proof_parse(ae, 200, "application/json", privs, strlen(privs), &f);
	assert_int_equal(f.result, API_RES_OK);
	assert_int_equal(f.nscopes, 1);
	/* API Entreprise reads "privileges", not "scopes" */
	api_proof_parse(ae, 200, "application/json", intro, strlen(intro), &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);

	api_proof_parse(pa, 200, "application/json", empty, strlen(empty), &f);
	assert_int_equal(f.result, API_RES_DENIED);
	assert_non_null(strstr(f.reason, "no scopes"));

	api_proof_parse(pa, 200, "text/html", intro, strlen(intro), &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	assert_non_null(strstr(f.reason, "text/html"));
	api_proof_parse(pa, 200, NULL, intro, strlen(intro), &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	api_proof_parse(pa, 200, "application/json", "pong", 4, &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	api_proof_parse(pa, 200, "application/json", "[]", 2, &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);

	api_proof_parse(ae, 401, "application/json", expired, strlen(expired),
	    &f);
	assert_int_equal(f.result, API_RES_DENIED);
	assert_string_equal(f.code, "00103");
	api_proof_parse(ae, 403, NULL, NULL, 0, &f);
	assert_int_equal(f.result, API_RES_DENIED);
	api_proof_parse(ae, 429, NULL, NULL, 0, &f);
	assert_int_equal(f.result, API_RES_RATE_LIMITED);
	api_proof_parse(ae, 502, NULL, NULL, 0, &f);
	assert_int_equal(f.result, API_RES_UNAVAILABLE);
	api_proof_parse(ae, 504, NULL, NULL, 0, &f);
	assert_int_equal(f.result, API_RES_UNAVAILABLE);
	api_proof_parse(ae, 404, NULL, NULL, 0, &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	assert_string_equal(api_result_str(API_RES_OK), "live");
}

static void
test_token_response_parse(void **state)
{
	struct api_finding f;
	char *at = NULL;
	long ei;
	static const char ok[] = "{\"access_token\":\"AT-123\",\"token_type\":"
	                         "\"bearer\",\"expires_in\":7200}";
	static const char notbearer[] = "{\"access_token\":\"AT\","
	                                "\"token_type\":\"mac\"}";
	static const char bad[] = "{\"error\":\"invalid_client\"}";

	(void)state;
	assert_int_equal(api_token_response_parse(200, "application/json", ok,
	                     strlen(ok), &at, &ei, &f),
	    RC_OK);
	assert_int_equal(f.result, API_RES_OK);
	assert_string_equal(at, "AT-123");
	assert_int_equal(ei, 7200);
	api_secret_free(at);

	api_token_response_parse(200, "application/json", notbearer,
	    strlen(notbearer), &at, &ei, &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	assert_null(at);
	api_token_response_parse(401, "application/json", bad, strlen(bad), &at,
	    &ei, &f);
	assert_int_equal(f.result, API_RES_DENIED);
	assert_string_equal(f.code, "invalid_client");
	api_token_response_parse(400, "application/json", bad, strlen(bad), &at,
	    &ei, &f);
	assert_int_equal(f.result, API_RES_DENIED);
	api_token_response_parse(200, "text/plain", ok, strlen(ok), &at, &ei,
	    &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
	api_token_response_parse(503, NULL, NULL, 0, &at, &ei, &f);
	assert_int_equal(f.result, API_RES_UNAVAILABLE);
	api_token_response_parse(200, "application/json", "{", 1, &at, &ei, &f);
	assert_int_equal(f.result, API_RES_UNEXPECTED);
}

static void
test_content_type(void **state)
{
	(void)state;
	assert_true(api_content_type_is_json("application/json"));
	assert_true(api_content_type_is_json("Application/JSON ; charset=x"));
	assert_true(api_content_type_is_json("application/problem+json"));
	assert_false(api_content_type_is_json("text/json"));
	assert_false(api_content_type_is_json("application/jsonx"));
	assert_false(api_content_type_is_json("application/+json"));
	assert_false(api_content_type_is_json(NULL));
}

static void
test_ratelimit(void **state)
{
	struct api_ratelimit rl;
	long s;
	time_t now = 1700000000;

	(void)state;
	api_ratelimit_parse("20", "0", "1700000030", "12", now, &rl);
	assert_int_equal(rl.limit, 20);
	assert_int_equal(rl.remaining, 0);
	assert_int_equal(rl.reset, 1700000030);
	assert_int_equal(rl.retry_after, 12);
	assert_int_equal(api_ratelimit_wait(&rl, now), 12);

	api_ratelimit_parse(NULL, NULL, "1700000030", NULL, now, &rl);
	assert_int_equal(rl.retry_after, -1);
	assert_int_equal(api_ratelimit_wait(&rl, now), 30);

	api_ratelimit_parse(NULL, NULL, "5", "0", now, &rl);
	assert_int_equal(rl.reset, now + 5);
	assert_int_equal(api_ratelimit_wait(&rl, now), 1); /* never 0 */

	api_ratelimit_parse("x", "-1", "", "soon", now, &rl);
	assert_int_equal(rl.limit, -1);
	assert_int_equal(rl.remaining, -1);
	assert_int_equal(rl.reset, 0);
	assert_int_equal(rl.retry_after, -1);
	assert_int_equal(api_ratelimit_wait(&rl, now), -1);

	/* HTTP-date, RFC 9110 §5.6.7 */
	assert_int_equal(api_retry_after_parse("Tue, 14 Nov 2023 22:13:40 GMT",
	                     1700000000, &s),
	    RC_OK);
	assert_int_equal(s, 20);
	assert_int_equal(api_retry_after_parse("Tue, 14 Nov 2023 22:13:40 GMT",
	                     1700000100, &s),
	    RC_OK);
	assert_int_equal(s, 0);
	assert_int_equal(api_retry_after_parse("12abc", now, &s), RC_EINVAL);
	assert_int_equal(api_retry_after_parse(" 7 ", now, &s), RC_OK);
	assert_int_equal(s, 7);
}

static void
test_jwt_decode(void **state)
{
	struct api_jwt_claims c;
	struct rc_err err = { 0 };
	char *jwt;
	char why[128];

	(void)state;
	jwt = make_jwt("{\"alg\":\"HS256\"}",
	    "{\"uid\":\"52a5bfc2-c350-48f4-b696-9ea76db3ef29\",\"jti\":"
	    "\"52a5bfc2-c350-48f4-b696-9ea76db3ef29\",\"scopes\":[\"a\","
	    "\"b\"],\"sub\":\"Commune de Test\",\"iat\":1666864074,"
	    "\"version\":\"1.0\",\"exp\":1982483274}");
	assert_true(api_jwt_looks_like(jwt, strlen(jwt)));
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err), RC_OK);
	assert_string_equal(c.alg, "HS256");
	assert_true(c.has_exp);
	assert_int_equal(c.exp, 1982483274);
	assert_int_equal(c.iat, 1666864074);
	assert_string_equal(c.sub, "Commune de Test");
	assert_int_equal(c.nscopes, 2);
	assert_false(api_jwt_is_staging(&c, why, sizeof(why)));
	rc_free(jwt);

	/* The published staging token's markers. */
	jwt = make_jwt("{\"alg\":\"HS256\"}",
	    "{\"uid\":\"52a5bfc2-c350-48f4-b696-9ea76db3ef29\",\"jti\":"
	    "\"00000000-0000-0000-0000-000000000000\",\"sub\":\"staging "
	    "development\",\"exp\":1982483274}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err), RC_OK);
	assert_true(api_jwt_is_staging(&c, why, sizeof(why)));
	assert_non_null(strstr(why, "staging development"));
	rc_free(jwt);
	jwt = make_jwt("{\"alg\":\"HS256\"}",
	    "{\"jti\":\"00000000-0000-0000-0000-000000000000\",\"sub\":\"x\"}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err), RC_OK);
	assert_false(c.has_exp);
	assert_true(api_jwt_is_staging(&c, why, sizeof(why)));
	assert_non_null(strstr(why, "jti"));
	rc_free(jwt);
}

/* Legacy API Particulier v2 keys: exactly 32 hex characters (issue 7 §4). */
static void
test_legacy_key(void **state)
{
	(void)state;
	assert_true(
	    api_token_is_legacy_key("0123456789abcdef0123456789ABCDEF", 32));
	assert_false(
	    api_token_is_legacy_key("0123456789abcdef0123456789abcde", 31));
	assert_false(
	    api_token_is_legacy_key("0123456789abcdef0123456789abcdef0", 33));
	assert_false(
	    api_token_is_legacy_key("0123456789abcdef0123456789abcdeg", 32));
	assert_false(
	    api_token_is_legacy_key("0123456789abcdef-123456789abcdef", 32));
	assert_false(api_token_is_legacy_key(NULL, 32));
}

/* Organisation identifiers in claims and introspection answers. */
static void
test_org(void **state)
{
	struct api_jwt_claims c;
	struct api_finding f;
	struct api_org o;
	struct rc_err err = { 0 };
	static const char live[] =
	    "{\"_id\":\"x\",\"scopes\":[\"a\"],\"siren\":\"130025265\"}";
	json_t *doc;
	char *jwt;

	(void)state;
	api_org_from_json(NULL, &o);
	assert_string_equal(o.siret, "");
	doc = json_loads("{\"organisation\":{\"siret\":\"13002526500013\","
	                 "\"siren\":130025265}}",
	    0, NULL);
	api_org_from_json(doc, &o);
	assert_string_equal(o.siret, "13002526500013");
	assert_string_equal(o.siren, "130025265");
	json_decref(doc);
	/* The top level wins over a nested object; control bytes dropped. */
	doc = json_loads("{\"siret\":\"2175\\u0001000160001\","
	                 "\"organization\":{\"siret\":\"1\"}}",
	    0, NULL);
	api_org_from_json(doc, &o);
	assert_string_equal(o.siret, "2175000160001");
	json_decref(doc);
	/* From the JWT claims. */
	jwt = make_jwt("{\"alg\":\"HS256\"}",
	    "{\"sub\":\"x\",\"siret\":\"13002526500013\"}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err), RC_OK);
	assert_string_equal(c.org.siret, "13002526500013");
	assert_string_equal(c.org.siren, "");
	rc_free(jwt);
	/* From a live introspection answer. */
	api_proof_parse(api_info_lookup("api_particulier"), 200,
	    "application/json", live, strlen(live), &f);
	assert_int_equal(f.result, API_RES_OK);
	assert_string_equal(f.org.siren, "130025265");
}

static void
test_jwt_malformed(void **state)
{
	struct api_jwt_claims c;
	struct rc_err err = { 0 };
	char *jwt;

	(void)state;
	assert_false(api_jwt_looks_like("abc", 3));
	assert_false(api_jwt_looks_like("a.b", 3));
	assert_false(api_jwt_looks_like(".b.c", 4));
	assert_false(api_jwt_looks_like("a.b.c.d", 7));
	assert_false(api_jwt_looks_like("a+.b.c", 6));
	assert_true(api_jwt_looks_like("a.b.", 4)); /* unsigned */
	assert_int_equal(api_jwt_decode("abc", 3, &c, &err), RC_EPARSE);
	assert_non_null(strstr(err.msg, "not a JWT"));
	rc_err_clear(&err);
	assert_int_equal(api_jwt_decode("e30.bm90anNvbg.x", 16, &c, &err),
	    RC_EPARSE); /* {} . "notjson" */
	rc_err_clear(&err);
	jwt = make_jwt("{\"typ\":\"JWT\"}", "{}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err),
	    RC_EPARSE); /* no alg */
	rc_free(jwt);
	rc_err_clear(&err);
	jwt = make_jwt("{\"alg\":\"HS256\"}", "{\"exp\":\"tomorrow\"}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err), RC_EPARSE);
	rc_free(jwt);
	rc_err_clear(&err);
	jwt = make_jwt("{\"alg\":\"HS256\"}", "{\"a\":1,\"a\":2}");
	assert_int_equal(api_jwt_decode(jwt, strlen(jwt), &c, &err),
	    RC_EPARSE); /* duplicate keys rejected */
	rc_free(jwt);
}

static void
test_sanitize(void **state)
{
	char out[8];

	(void)state;
	api_sanitize("a\x01\nb\x7f", 5, out, sizeof(out));
	assert_string_equal(out, "ab");
	/* "é" is two bytes: never cut in the middle */
	api_sanitize("abcdef\xc3\xa9z", 9, out, sizeof(out));
	assert_string_equal(out, "abcdef");
	api_sanitize(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_alloc_failures(void **state)
{
	const struct api_info *pa = api_info_lookup("api_particulier");
	struct api_request req;
	struct rc_err err;
	unsigned long n;
	enum rc_code rc;

	(void)state;
	for (n = 1; n < 40; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		rc = api_proof_request(pa, 3, "https://p.test", token,
		    strlen(token), &req, &err);
		rc_mem_fail_after(0);
		if (rc == RC_OK) {
			api_request_cleanup(&req);
			break;
		}
		assert_int_equal(rc, RC_ENOMEM);
	}
	for (n = 1; n < 40; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		rc = api_client_credentials_request("https://g.test/token",
		    "client", "secret", 6, "s", &req, &err);
		rc_mem_fail_after(0);
		if (rc == RC_OK) {
			api_request_cleanup(&req);
			break;
		}
		assert_int_equal(rc, RC_ENOMEM);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_url_join),
		cmocka_unit_test(test_proof_request_v2_v3),
		cmocka_unit_test(test_proof_request_rejects_bad_tokens),
		cmocka_unit_test(test_client_credentials_request),
		cmocka_unit_test(test_error_parse_formats),
		cmocka_unit_test(test_proof_parse),
		cmocka_unit_test(test_token_response_parse),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_jwt_decode),
		cmocka_unit_test(test_jwt_malformed),
		cmocka_unit_test(test_legacy_key),
		cmocka_unit_test(test_org),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
