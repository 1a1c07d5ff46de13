/* SPDX-License-Identifier: MIT */
/*
 * JSON Web Keys (RFC 7517) over cjose; see jwks.h.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/json.h"
#include "common/mem.h"
#include "oidc/jwks_int.h"

/* Smallest RSA modulus accepted for verification (RFC 7518 §3.3). */
#define OIDC_RSA_MIN_BITS 2048

const char *
oidc_cjose_msg(const cjose_err *cerr)
{
	return cerr->message != NULL ? cerr->message : "unknown cjose error";
}

enum rc_code
oidc_jwks_doc(const char *json, size_t len, json_t **doc, json_t **keys,
    struct rc_err *err)
{
	enum rc_code rc;

	*doc = NULL;
	*keys = NULL;
	if (json == NULL || len > OIDC_JWKS_MAX_BYTES)
		return RC_ERR(err, RC_EINVAL, "jwks: larger than %d bytes",
		    OIDC_JWKS_MAX_BYTES);
	if ((rc = rc_json_loadb(json, len, "jwks", doc, err)) != RC_OK)
		return rc;
	*keys = json_object_get(*doc, "keys"); /* borrowed */
	if (!json_is_array(*keys))
		return RC_ERR(err, RC_EPARSE, "jwks.keys: must be an array");
	if (json_array_size(*keys) > OIDC_JWKS_MAX_KEYS)
		return RC_ERR(err, RC_EINVAL, "jwks.keys: more than %d keys",
		    OIDC_JWKS_MAX_KEYS);
	return RC_OK;
}

/* Wipe and free a string cjose allocated. */
static void
cjose_free_str(char *s, int secret)
{
	if (s == NULL)
		return;
	if (secret)
		OPENSSL_cleanse(s, strlen(s));
	cjose_get_dealloc()(s);
}

static void
key_cleanup(struct oidc_key *k)
{
	if (k == NULL)
		return;
	if (k->jwk != NULL)
		cjose_jwk_release(k->jwk);
	rc_free(k->kid);
	rc_free(k->alg);
	k->jwk = NULL;
	k->kid = NULL;
	k->alg = NULL;
}

void
oidc_key_free(struct oidc_key *key)
{
	key_cleanup(key);
	rc_free(key);
}

enum oidc_key_type
oidc_key_type(const struct oidc_key *key)
{
	return key->type;
}

const char *
oidc_key_kid(const struct oidc_key *key)
{
	return key->kid;
}

const char *
oidc_key_alg(const struct oidc_key *key)
{
	switch (key->type) {
	case OIDC_KEY_EC_P256:
		return "ES256";
	case OIDC_KEY_RSA:
		return "RS256";
	case OIDC_KEY_OCT:
	default:
		return "HS256";
	}
}

/*
 * Classify a cjose key: EC must be P-256, RSA at least 2048 bits when
 * min_rsa is set.  RC_EINVAL for anything else.
 */
static enum rc_code
key_classify(cjose_jwk_t *jwk, int min_rsa, enum oidc_key_type *type)
{
	cjose_err cerr;

	switch (cjose_jwk_get_kty(jwk, &cerr)) {
	case CJOSE_JWK_KTY_EC:
		if (cjose_jwk_EC_get_curve(jwk, &cerr) != CJOSE_JWK_EC_P_256)
			return RC_EINVAL;
		*type = OIDC_KEY_EC_P256;
		return RC_OK;
	case CJOSE_JWK_KTY_RSA:
		if (min_rsa &&
		    cjose_jwk_get_keysize(jwk, &cerr) < OIDC_RSA_MIN_BITS)
			return RC_EINVAL;
		*type = OIDC_KEY_RSA;
		return RC_OK;
	case CJOSE_JWK_KTY_OCT:
		*type = OIDC_KEY_OCT;
		return RC_OK;
	default:
		return RC_EINVAL;
	}
}

/* Fill k from a cjose key (which k then owns), copying kid and alg. */
static enum rc_code
key_wrap(struct oidc_key *k, cjose_jwk_t *jwk, enum oidc_key_type type,
    const char *alg, struct rc_err *err)
{
	cjose_err cerr;
	const char *kid;

	k->jwk = jwk;
	k->type = type;
	kid = cjose_jwk_get_kid(jwk, &cerr);
	if ((kid != NULL && (k->kid = rc_strdup(kid)) == NULL) ||
	    (alg != NULL && (k->alg = rc_strdup(alg)) == NULL))
		return RC_ERR(err, RC_ENOMEM, "JWK: out of memory");
	return RC_OK;
}

void
oidc_jwks_free(struct oidc_jwks *jwks)
{
	size_t i;

	if (jwks == NULL)
		return;
	for (i = 0; i < jwks->n; i++)
		key_cleanup(&jwks->keys[i]);
	rc_free(jwks->keys);
	rc_free(jwks);
}

size_t
oidc_jwks_count(const struct oidc_jwks *jwks)
{
	return jwks->n;
}

int
oidc_jwks_has_kid(const struct oidc_jwks *jwks, const char *kid)
{
	size_t i;

	for (i = 0; kid != NULL && i < jwks->n; i++)
		if (jwks->keys[i].kid != NULL &&
		    strcmp(jwks->keys[i].kid, kid) == 0)
			return 1;
	return 0;
}

/*
 * cjose 0.6's base64url decoder asserts (aborts) on some malformed input,
 * e.g. a '=' in the middle: every key member cjose decodes must be
 * unpadded base64url (RFC 7518 §6: Base64urlUInt and key values) before
 * the key is handed to it.
 */
static int
jwk_members_ok(json_t *jk)
{
	static const char *const b64[] = { "x", "y", "d", "n", "e", "p", "q",
		"dp", "dq", "qi", "k" };
	const char *s;
	size_t i, j, n;

	for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		json_t *v = json_object_get(jk, b64[i]);

		if (v == NULL)
			continue;
		if ((s = json_string_value(v)) == NULL)
			return 0;
		n = strlen(s);
		if (n % 4 == 1)
			return 0;
		for (j = 0; j < n; j++) {
			unsigned char c = (unsigned char)s[j];

			if (!((c >= 'A' && c <= 'Z') ||
			        (c >= 'a' && c <= 'z') ||
			        (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return 0;
		}
	}
	return 1;
}

/*
 * Keep one member of "keys" if it can sign ES256/RS256: kty EC (P-256)
 * or RSA (>= 2048 bits), "use" absent or "sig" (RFC 7517 §4.2).  Others
 * are skipped.  A key of a kept type that cjose cannot import is
 * RC_EPARSE.
 */
static enum rc_code
jwks_add(struct oidc_jwks *set, json_t *jk, size_t i, struct rc_err *err)
{
	const char *kty, *use, *alg;
	enum oidc_key_type type;
	cjose_jwk_t *jwk;
	cjose_err cerr;
	enum rc_code rc;

	if (!json_is_object(jk))
		return RC_ERR(err, RC_EPARSE,
		    "jwks.keys[%zu]: must be an object", i);
	kty = json_string_value(json_object_get(jk, "kty"));
	use = json_string_value(json_object_get(jk, "use"));
	alg = json_string_value(json_object_get(jk, "alg"));
	if (kty == NULL)
		return RC_ERR(err, RC_EPARSE, "jwks.keys[%zu].kty: is required",
		    i);
	if ((strcmp(kty, "EC") != 0 && strcmp(kty, "RSA") != 0) ||
	    (use != NULL && strcmp(use, "sig") != 0))
		return RC_OK; /* not a signature key we verify with */
	if (!jwk_members_ok(jk))
		return RC_ERR(err, RC_EPARSE,
		    "jwks.keys[%zu]: a key member is not base64url", i);
	jwk = cjose_jwk_import_json((cjose_header_t *)jk, &cerr);
	if (jwk == NULL)
		return RC_ERR(err,
		    cerr.code == CJOSE_ERR_NO_MEMORY ? RC_ENOMEM : RC_EPARSE,
		    "jwks.keys[%zu]: %s", i, oidc_cjose_msg(&cerr));
	if (key_classify(jwk, 1, &type) != RC_OK) {
		cjose_jwk_release(jwk); /* other curve, short RSA: skip */
		return RC_OK;
	}
	rc = key_wrap(&set->keys[set->n], jwk, type, alg, err);
	set->n++; /* even half-filled: released by oidc_jwks_free */
	return rc;
}

enum rc_code
oidc_jwks_parse(const char *json, size_t len, struct oidc_jwks **out,
    struct rc_err *err)
{
	struct oidc_jwks *set = NULL;
	json_t *doc = NULL, *keys, *jk;
	size_t i;
	enum rc_code rc;

	*out = NULL;
	if ((rc = oidc_jwks_doc(json, len, &doc, &keys, err)) != RC_OK)
		goto out;
	if ((set = rc_calloc(1, sizeof(*set))) == NULL ||
	    (set->keys = rc_calloc(json_array_size(keys) + 1,
	         sizeof(*set->keys))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "jwks: out of memory");
		goto out;
	}
	json_array_foreach(keys, i, jk)
	{
		if ((rc = jwks_add(set, jk, i, err)) != RC_OK)
			goto out;
	}
	*out = set;
	set = NULL; /* transferred */
out:
	oidc_jwks_free(set);
	json_decref(doc);
	return rc;
}

enum rc_code
oidc_key_generate(enum oidc_key_type type, const char *kid,
    struct oidc_key **out, struct rc_err *err)
{
	static const uint8_t e[] = { 0x01, 0x00, 0x01 }; /* 65537 */
	struct oidc_key *k = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_err cerr;
	enum rc_code rc = RC_OK;

	*out = NULL;
	switch (type) {
	case OIDC_KEY_EC_P256:
		jwk = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &cerr);
		break;
	case OIDC_KEY_RSA:
		jwk = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &cerr);
		break;
	case OIDC_KEY_OCT:
		jwk = cjose_jwk_create_oct_random(32, &cerr);
		break;
	default:
		return RC_ERR(err, RC_EINVAL, "key type %d unsupported",
		    (int)type);
	}
	if (jwk == NULL)
		return RC_ERR(err, RC_ECRYPTO, "key generation: %s",
		    oidc_cjose_msg(&cerr));
	if (kid != NULL && !cjose_jwk_set_kid(jwk, kid, strlen(kid), &cerr)) {
		rc = RC_ERR(err, RC_ECRYPTO, "key kid: %s",
		    oidc_cjose_msg(&cerr));
		goto out;
	}
	if ((k = rc_calloc(1, sizeof(*k))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "key: out of memory");
		goto out;
	}
	rc = key_wrap(k, jwk, type, NULL, err);
	jwk = NULL; /* owned by k */
	if (rc != RC_OK)
		goto out;
	*out = k;
	k = NULL; /* transferred */
out:
	if (jwk != NULL)
		cjose_jwk_release(jwk);
	oidc_key_free(k);
	return rc;
}

enum rc_code
oidc_key_import(const char *json, size_t len, struct oidc_key **out,
    struct rc_err *err)
{
	struct oidc_key *k = NULL;
	enum oidc_key_type type;
	json_t *doc = NULL;
	cjose_jwk_t *jwk;
	cjose_err cerr;
	enum rc_code rc;

	*out = NULL;
	if (json == NULL || len > OIDC_JWKS_MAX_BYTES)
		return RC_ERR(err, RC_EINVAL, "JWK: too large");
	if ((rc = rc_json_loadb(json, len, "JWK", &doc, err)) != RC_OK)
		return rc;
	if (!json_is_object(doc) || !jwk_members_ok(doc)) {
		json_decref(doc);
		return RC_ERR(err, RC_EPARSE,
		    "JWK: not an object of base64url members");
	}
	jwk = cjose_jwk_import_json((cjose_header_t *)doc, &cerr);
	json_decref(doc);
	if (jwk == NULL)
		return RC_ERR(err,
		    cerr.code == CJOSE_ERR_NO_MEMORY ? RC_ENOMEM : RC_EPARSE,
		    "JWK: %s", oidc_cjose_msg(&cerr));
	if (key_classify(jwk, 0, &type) != RC_OK) {
		cjose_jwk_release(jwk);
		return RC_ERR(err, RC_EINVAL,
		    "JWK: only EC P-256, RSA and oct keys are supported");
	}
	if ((k = rc_calloc(1, sizeof(*k))) == NULL) {
		cjose_jwk_release(jwk);
		return RC_ERR(err, RC_ENOMEM, "JWK: out of memory");
	}
	if ((rc = key_wrap(k, jwk, type, NULL, err)) != RC_OK) {
		oidc_key_free(k);
		return rc;
	}
	*out = k;
	return RC_OK;
}

enum rc_code
oidc_key_to_json(const struct oidc_key *key, int priv, char **out,
    struct rc_err *err)
{
	cjose_err cerr;
	char *s;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if ((s = cjose_jwk_to_json(key->jwk, priv != 0, &cerr)) == NULL)
		return RC_ERR(err, RC_ECRYPTO, "JWK export: %s",
		    oidc_cjose_msg(&cerr));
	if ((*out = rc_strdup(s)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "JWK export: out of memory");
	cjose_free_str(s, priv);
	return rc;
}

enum rc_code
oidc_jwks_build(const struct oidc_key *const *keys, size_t n, char **out,
    struct rc_err *err)
{
	json_t *doc = NULL, *arr, *jk;
	json_error_t jerr;
	json_free_t jfree;
	json_malloc_t jmalloc;
	char *s = NULL, *dump = NULL;
	size_t i;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if ((doc = json_object()) == NULL || (arr = json_array()) == NULL ||
	    json_object_set_new(doc, "keys", arr) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "JWKS: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (keys[i]->type == OIDC_KEY_OCT)
			continue; /* no public half */
		if ((rc = oidc_key_to_json(keys[i], 0, &s, err)) != RC_OK)
			goto out;
		jk = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
		rc_free(s);
		s = NULL;
		if (jk == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "JWKS: out of memory");
			goto out;
		}
		if (json_object_set_new(jk, "use", json_string("sig")) != 0 ||
		    json_object_set_new(jk, "alg",
		        json_string(oidc_key_alg(keys[i]))) != 0) {
			json_decref(jk);
			rc = RC_ERR(err, RC_ENOMEM, "JWKS: out of memory");
			goto out;
		}
		if (json_array_append_new(arr, jk) != 0) { /* stolen */
			rc = RC_ERR(err, RC_ENOMEM, "JWKS: out of memory");
			goto out;
		}
	}
	if ((dump = json_dumps(doc, JSON_COMPACT)) == NULL ||
	    (*out = rc_strdup(dump)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "JWKS: out of memory");
out:
	json_get_alloc_funcs(&jmalloc, &jfree);
	if (dump != NULL)
		jfree(dump);
	json_decref(doc);
	return rc;
}
