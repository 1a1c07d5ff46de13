/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oidc/jwks and oidc/jwt: sign -> verify round trips
 * (ES256, RS256), tampering, alg none and HS256 refused, unknown kid,
 * every claim check with a fixed clock, unverified decoding, JWKS
 * parsing, allocation failures.
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
#include "oidc/jwks.h"
#include "oidc/jwt.h"

#define ISS "https://oidc.franceconnect.gouv.fr/api/v2"
#define CLIENT                                                                 \
	"6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
#define NONCE "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A"
#define NOW   1764350000

struct keys {
	struct oidc_key *ec, *rsa, *oct, *other_ec;
	struct oidc_jwks *jwks; /* public ec + rsa */
};

static int
setup(void **state)
{
	static struct keys k;
	const struct oidc_key *pub[3];
	char *json = NULL;

	memset(&k, 0, sizeof(k));
	if (oidc_key_generate(OIDC_KEY_EC_P256, "fc-es256-1", &k.ec, NULL) ||
	    oidc_key_generate(OIDC_KEY_RSA, "fc-rs256-1", &k.rsa, NULL) ||
	    oidc_key_generate(OIDC_KEY_OCT, "hs", &k.oct, NULL) ||
	    oidc_key_generate(OIDC_KEY_EC_P256, "fc-es256-1", &k.other_ec,
	        NULL))
		return -1;
	pub[0] = k.ec;
	pub[1] = k.rsa;
	pub[2] = k.oct; /* left out: no public half */
	if (oidc_jwks_build(pub, 3, &json, NULL) != RC_OK ||
	    oidc_jwks_parse(json, strlen(json), &k.jwks, NULL) != RC_OK)
		return -1;
	rc_free(json);
	*state = &k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	oidc_key_free(k->ec);
	oidc_key_free(k->rsa);
	oidc_key_free(k->oct);
	oidc_key_free(k->other_ec);
	oidc_jwks_free(k->jwks);
	return 0;
}

static json_t *
id_token_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:i}", "iss", ISS,
	    "sub",
	    "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v"
	    "1",
	    "aud", CLIENT, "exp", NOW + 60, "iat", NOW, "nonce", NONCE, "acr",
	    "eidas1", "auth_time", NOW);
}

static const struct oidc_jwt_expect expect = { .iss = ISS,
	.aud = CLIENT,
	.nonce = NONCE,
	.now = NOW,
	.leeway = 5,
	.max_age = 300,
	.require_sub = 1 };

static enum rc_code
verify(struct keys *k, const char *tok, enum oidc_jwt_fault *f,
    const struct oidc_jwt_expect *e)
{
	json_t *claims = NULL;
	enum rc_code rc;

	rc = oidc_jwt_verify(tok, strlen(tok), k->jwks, e, &claims, f, NULL);
	if (rc == RC_OK) {
		assert_non_null(claims);
		assert_string_equal(
		    json_string_value(json_object_get(claims, "acr")),
		    "eidas1");
	} else {
		assert_null(claims);
	}
	json_decref(claims);
	return rc;
}

static void
test_jwks_build_parse(void **state)
{
	struct keys *k = *state;
	char *json = NULL;

	assert_int_equal(oidc_jwks_count(k->jwks), 2);
	assert_true(oidc_jwks_has_kid(k->jwks, "fc-es256-1"));
	assert_true(oidc_jwks_has_kid(k->jwks, "fc-rs256-1"));
	assert_false(oidc_jwks_has_kid(k->jwks, "hs"));
	assert_int_equal(oidc_key_type(k->ec), OIDC_KEY_EC_P256);
	assert_string_equal(oidc_key_kid(k->rsa), "fc-rs256-1");
	/* Public export has no private member; private export has "d". */
	assert_int_equal(oidc_key_to_json(k->ec, 0, &json, NULL), RC_OK);
	assert_null(strstr(json, "\"d\""));
	rc_free(json);
	assert_int_equal(oidc_key_to_json(k->ec, 1, &json, NULL), RC_OK);
	assert_non_null(strstr(json, "\"d\""));
	rc_free_secret(json, strlen(json));
}

static void
test_round_trip(void **state)
{
	struct keys *k = *state;
	json_t *c = id_token_claims();
	enum oidc_jwt_fault f;
	char *tok = NULL;

	assert_int_equal(oidc_jwt_sign_es256(c, k->ec, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_OK);
	assert_int_equal(f, OIDC_JWT_OK);
	rc_free(tok);
	assert_int_equal(oidc_jwt_sign(c, k->rsa, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_OK);
	rc_free(tok);
	/* ES256 needs an EC key. */
	assert_int_equal(oidc_jwt_sign_es256(c, k->rsa, &tok, NULL), RC_EINVAL);
	assert_null(tok);
	json_decref(c);
}

static void
test_tampered(void **state)
{
	struct keys *k = *state;
	json_t *c = id_token_claims(), *evil;
	enum oidc_jwt_fault f;
	char *tok = NULL, *tok2 = NULL, buf[4096];
	const char *dot1, *dot2;

	assert_int_equal(oidc_jwt_sign_es256(c, k->ec, &tok, NULL), RC_OK);
	/* Flip a signature character. */
	snprintf(buf, sizeof(buf), "%s", tok);
	buf[strlen(buf) - 5] = buf[strlen(buf) - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(k, buf, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_SIGNATURE);
	/* Swap in another payload (sub changed), keep the signature. */
	evil = json_deep_copy(c);
	json_object_set_new(evil, "sub", json_string("attacker"));
	assert_int_equal(oidc_jwt_sign_es256(evil, k->ec, &tok2, NULL), RC_OK);
	dot1 = strchr(tok2, '.');
	dot2 = strchr(dot1 + 1, '.');
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(dot2 - tok2), tok2,
	    strrchr(tok, '.'));
	assert_int_equal(verify(k, buf, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_SIGNATURE);
	rc_free(tok2);
	/* Same kid, different key: the signature does not verify. */
	assert_int_equal(oidc_jwt_sign_es256(c, k->other_ec, &tok2, NULL),
	    RC_OK);
	assert_int_equal(verify(k, tok2, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_SIGNATURE);
	rc_free(tok2);
	/* Truncated, garbage, JWE-shaped. */
	snprintf(buf, sizeof(buf), "%.*s", (int)(strlen(tok) / 2), tok);
	assert_int_not_equal(verify(k, buf, &f, &expect), RC_OK);
	assert_int_equal(f, OIDC_JWT_MALFORMED);
	assert_int_equal(verify(k, "not.a.jwt", &f, &expect), RC_EPARSE);
	assert_int_equal(verify(k, "a.b.c.d.e", &f, &expect), RC_EPARSE);
	assert_int_equal(verify(k, "", &f, &expect), RC_EPARSE);
	rc_free(tok);
	json_decref(evil);
	json_decref(c);
}

static void
test_alg_none_and_hs256(void **state)
{
	struct keys *k = *state;
	json_t *c = id_token_claims(), *p = NULL;
	enum oidc_jwt_fault f;
	struct rc_err err = { 0 };
	char *tok = NULL;

	assert_int_equal(oidc_jwt_make_unsigned(c, &tok, NULL), RC_OK);
	assert_int_equal(tok[strlen(tok) - 1], '.');
	assert_int_equal(
	    oidc_jwt_verify(tok, strlen(tok), k->jwks, &expect, &p, &f, &err),
	    RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_ALG);
	assert_non_null(strstr(err.msg, "none"));
	/* Still decodable without verification. */
	assert_int_equal(
	    oidc_jwt_payload_unverified(tok, strlen(tok), &p, NULL), RC_OK);
	assert_string_equal(json_string_value(json_object_get(p, "nonce")),
	    NONCE);
	json_decref(p);
	rc_free(tok);
	/* HS256 (v1 style) is refused whatever the key. */
	assert_int_equal(oidc_jwt_sign(c, k->oct, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_ALG);
	rc_free(tok);
	json_decref(c);
}

static void
test_unknown_kid(void **state)
{
	struct keys *k = *state;
	struct oidc_key *rot = NULL;
	json_t *c = id_token_claims();
	enum oidc_jwt_fault f;
	char *tok = NULL;

	assert_int_equal(
	    oidc_key_generate(OIDC_KEY_EC_P256, "fc-es256-2", &rot, NULL),
	    RC_OK);
	assert_int_equal(oidc_jwt_sign(c, rot, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_NOKEY);
	rc_free(tok);
	oidc_key_free(rot);
	/* No kid: every key of the type is tried. */
	assert_int_equal(oidc_key_generate(OIDC_KEY_EC_P256, NULL, &rot, NULL),
	    RC_OK);
	assert_int_equal(oidc_jwt_sign(c, rot, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_ECRYPTO);
	assert_int_equal(f, OIDC_JWT_SIGNATURE);
	rc_free(tok);
	oidc_key_free(rot);
	json_decref(c);
}

/* Sign claims modified by (key, value) and expect fault. */
static void
claim_case(struct keys *k, const char *key, json_t *value,
    enum oidc_jwt_fault want)
{
	json_t *c = id_token_claims();
	enum oidc_jwt_fault f;
	char *tok = NULL;

	if (value != NULL)
		json_object_set_new(c, key, value);
	else
		json_object_del(c, key);
	assert_int_equal(oidc_jwt_sign(c, k->ec, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect),
	    want == OIDC_JWT_OK ? RC_OK : RC_EINVAL);
	if (f != want)
		fail_msg("%s: fault %s, wanted %s", key, oidc_jwt_fault_str(f),
		    oidc_jwt_fault_str(want));
	rc_free(tok);
	json_decref(c);
}

static void
test_claims(void **state)
{
	struct keys *k = *state;

	claim_case(k, "iss", json_string(ISS "/"), OIDC_JWT_ISS);
	claim_case(k, "iss", NULL, OIDC_JWT_ISS);
	claim_case(k, "aud", json_string("other"), OIDC_JWT_AUD);
	claim_case(k, "aud", NULL, OIDC_JWT_AUD);
	claim_case(k, "aud", json_pack("[s]", CLIENT), OIDC_JWT_OK);
	claim_case(k, "aud", json_pack("[s,s]", "x", CLIENT), OIDC_JWT_AUD);
	claim_case(k, "azp", json_string("other"), OIDC_JWT_AUD);
	claim_case(k, "exp", json_integer(NOW - 10), OIDC_JWT_EXP);
	claim_case(k, "exp", json_integer(NOW - 3), OIDC_JWT_OK); /* leeway */
	claim_case(k, "exp", json_string("tomorrow"), OIDC_JWT_EXP);
	claim_case(k, "exp", NULL, OIDC_JWT_EXP);
	claim_case(k, "iat", json_integer(NOW + 60), OIDC_JWT_IAT);
	claim_case(k, "iat", json_integer(NOW - 400), OIDC_JWT_IAT);
	claim_case(k, "iat", json_real(NOW - 1.5), OIDC_JWT_OK);
	claim_case(k, "iat", NULL, OIDC_JWT_IAT);
	claim_case(k, "nonce", json_string(NONCE "x"), OIDC_JWT_NONCE);
	claim_case(k, "nonce", NULL, OIDC_JWT_NONCE);
	claim_case(k, "sub", json_string(""), OIDC_JWT_SUB);
	claim_case(k, "sub", NULL, OIDC_JWT_SUB);
}

static void
test_unverified(void **state)
{
	/* A national-API-like token: header.payload.signature. */
	static const char tok[] =
	    "eyJhbGciOiJIUzI1NiJ9."
	    "eyJ1aWQiOiIxIiwianRpIjoiZDVhYjJjMzAtMDAwMCIsInN1YiI6InN0YWdpbmci"
	    "LCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTc5OTk5OTk5OX0."
	    "c2lnbmF0dXJl";
	json_t *p = NULL;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(
	    oidc_jwt_payload_unverified(tok, strlen(tok), &p, NULL), RC_OK);
	assert_string_equal(json_string_value(json_object_get(p, "sub")),
	    "staging");
	assert_int_equal(json_integer_value(json_object_get(p, "exp")),
	    1799999999);
	json_decref(p);
	assert_int_equal(oidc_jwt_header_unverified(tok, strlen(tok), &p, NULL),
	    RC_OK);
	assert_string_equal(json_string_value(json_object_get(p, "alg")),
	    "HS256");
	json_decref(p);
	assert_int_equal(oidc_jwt_payload_unverified("a.b.c.d.e", 9, &p, &err),
	    RC_EPARSE);
	assert_non_null(strstr(err.msg, "JWE"));
	assert_null(p);
	assert_int_equal(oidc_jwt_payload_unverified("abc", 3, &p, NULL),
	    RC_EPARSE);
	assert_int_equal(oidc_jwt_payload_unverified("e30.!!!.x", 9, &p, NULL),
	    RC_EPARSE);
	/* "W10" is "[]": JSON but not an object. */
	assert_int_equal(oidc_jwt_payload_unverified("e30.W10.x", 9, &p, NULL),
	    RC_EPARSE);
	assert_int_equal(oidc_jwt_payload_unverified("e30..x", 6, &p, NULL),
	    RC_EPARSE);
	/* '=' inside a part: cjose 0.6 would abort on it; refused first. */
	assert_int_equal(
	    oidc_jwt_payload_unverified("e30.eyJ=hIjoxfQ.x", 17, &p, NULL),
	    RC_EPARSE);
	assert_int_equal(
	    oidc_jwt_payload_unverified("e30.e30=.x", 10, &p, NULL), RC_EPARSE);
	assert_int_equal(
	    oidc_jwt_payload_unverified(tok, OIDC_JWT_MAX_BYTES + 1, &p, NULL),
	    RC_EINVAL);
}

static void
test_jwks_parse_cases(void **state)
{
	static const char mixed[] =
	    "{\"keys\":["
	    "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHO"
	    "g7hcvPapiMlrwIaaPcHURo\"},"
	    "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"use\":\"sig\","
	    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
	struct oidc_jwks *j = NULL;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(oidc_jwks_parse(mixed, strlen(mixed), &j, &err),
	    RC_OK);
	assert_int_equal(oidc_jwks_count(j), 1);
	assert_true(oidc_jwks_has_kid(j, "k1"));
	oidc_jwks_free(j);
	assert_int_equal(oidc_jwks_parse("{\"keys\":{}}", 11, &j, &err),
	    RC_EPARSE);
	assert_null(j);
	assert_int_equal(oidc_jwks_parse("{\"keys\":[1]}", 12, &j, NULL),
	    RC_EPARSE);
	assert_int_equal(
	    oidc_jwks_parse("{\"keys\":[{\"kty\":\"EC\"}]}", 23, &j, NULL),
	    RC_EPARSE);
	assert_int_equal(
	    oidc_jwks_parse("{\"keys\":[],\"keys\":[]}", 21, &j, NULL),
	    RC_EPARSE);
	assert_int_equal(oidc_jwks_parse("{\"keys\":[]}", 11, &j, NULL), RC_OK);
	assert_int_equal(oidc_jwks_count(j), 0);
	oidc_jwks_free(j);
	{
		static const char pad[] =
		    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
		    "\"x\":\"f83O=3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
		static const char oct[] = "{\"kty\":\"oct\",\"k\":\"a=bc\"}";
		struct oidc_key *key = NULL;

		assert_int_equal(oidc_jwks_parse(pad, strlen(pad), &j, NULL),
		    RC_EPARSE);
		assert_int_equal(oidc_key_import(oct, strlen(oct), &key, NULL),
		    RC_EPARSE);
		assert_null(key);
	}
	oidc_jwks_free(NULL);
	oidc_key_free(NULL);
}

static void
test_key_import(void **state)
{
	struct keys *k = *state;
	struct oidc_key *imp = NULL;
	json_t *c = id_token_claims();
	enum oidc_jwt_fault f;
	char *json = NULL, *tok = NULL;

	/* The simulator can persist a key and load it back. */
	assert_int_equal(oidc_key_to_json(k->ec, 1, &json, NULL), RC_OK);
	assert_int_equal(oidc_key_import(json, strlen(json), &imp, NULL),
	    RC_OK);
	assert_string_equal(oidc_key_kid(imp), "fc-es256-1");
	assert_int_equal(oidc_jwt_sign_es256(c, imp, &tok, NULL), RC_OK);
	assert_int_equal(verify(k, tok, &f, &expect), RC_OK);
	rc_free(tok);
	rc_free_secret(json, strlen(json));
	oidc_key_free(imp);
	assert_int_equal(oidc_key_import("{\"kty\":\"nope\"}", 14, &imp, NULL),
	    RC_EPARSE);
	assert_null(imp);
	json_decref(c);
}

static void
test_enomem_is_clean(void **state)
{
	struct keys *k = *state;
	json_t *c = id_token_claims(), *claims = NULL;
	struct oidc_jwks *j = NULL;
	const struct oidc_key *pub[2] = { k->ec, k->rsa };
	char *tok = NULL, *json = NULL;
	enum rc_code rc;
	unsigned long n;

	assert_int_equal(oidc_jwt_sign(c, k->ec, &tok, NULL), RC_OK);
	assert_int_equal(oidc_jwks_build(pub, 2, &json, NULL), RC_OK);
	for (n = 1; n < 100; n++) {
		rc_mem_fail_after(n);
		rc = oidc_jwks_parse(json, strlen(json), &j, NULL);
		if (!rc_mem_failed())
			break;
		assert_int_equal(rc, RC_ENOMEM);
		assert_null(j);
	}
	rc_mem_fail_after(0);
	assert_int_equal(rc, RC_OK);
	oidc_jwks_free(j);
	for (n = 1; n < 100; n++) {
		char *t2 = NULL;

		rc_mem_fail_after(n);
		rc = oidc_jwt_sign(c, k->ec, &t2, NULL);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, RC_OK);
			rc_free(t2);
			break;
		}
		assert_int_equal(rc, RC_ENOMEM);
		assert_null(t2);
	}
	for (n = 1; n < 100; n++) {
		rc_mem_fail_after(n);
		rc = oidc_jwt_verify(tok, strlen(tok), k->jwks, &expect,
		    &claims, NULL, NULL);
		if (!rc_mem_failed())
			break;
		assert_int_equal(rc, RC_ENOMEM);
	}
	rc_mem_fail_after(0);
	assert_int_equal(rc, RC_OK);
	json_decref(claims);
	rc_free(tok);
	rc_free(json);
	json_decref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwks_build_parse),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_alg_none_and_hs256),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_unverified),
		cmocka_unit_test(test_jwks_parse_cases),
		cmocka_unit_test(test_key_import),
		cmocka_unit_test(test_enomem_is_clean),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
