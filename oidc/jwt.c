/* SPDX-License-Identifier: MIT */
/*
 * JWS compact tokens over cjose: verification with the FranceConnect v2
 * algorithm policy and OpenID Connect Core §3.1.3.7 claim checks,
 * signing for the simulator and tests, unverified payload decoding.  See
 * jwt.h.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/json.h"
#include "common/mem.h"
#include "oidc/jwks_int.h"
#include "oidc/jwt.h"

const char *
oidc_jwt_fault_str(enum oidc_jwt_fault f)
{
	static const char *const s[OIDC_JWT_FAULT__MAX] = {
		[OIDC_JWT_OK] = "valid",
		[OIDC_JWT_MALFORMED] = "not a well-formed JWS compact token",
		[OIDC_JWT_ALG] = "signature algorithm refused",
		[OIDC_JWT_NOKEY] = "no matching key in the JWKS",
		[OIDC_JWT_SIGNATURE] = "signature does not verify",
		[OIDC_JWT_ISS] = "iss is not the expected issuer",
		[OIDC_JWT_AUD] = "aud does not name the client",
		[OIDC_JWT_EXP] = "token expired (exp)",
		[OIDC_JWT_IAT] = "iat missing, in the future or too old",
		[OIDC_JWT_NONCE] = "nonce missing or different",
		[OIDC_JWT_SUB] = "sub missing",
	};

	if ((unsigned)f >= OIDC_JWT_FAULT__MAX)
		return "unknown";
	return s[f];
}

/*
 * Split a compact token into its dot-separated parts (RFC 7515 §7.1):
 * off[i] and len[i] for at most 5 parts.  Returns the part count.
 */
static size_t
split_parts(const char *token, size_t tlen, size_t off[5], size_t plen[5])
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= tlen; i++) {
		if (i == tlen || token[i] == '.') {
			if (n == 5)
				return 6; /* too many */
			off[n] = start;
			plen[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* Three non-empty base64url parts (the signature may not be empty). */
static int
jws_shape_ok(const char *token, size_t len)
{
	size_t off[5], plen[5], i;

	if (split_parts(token, len, off, plen) != 3)
		return 0;
	for (i = 0; i < 3; i++)
		if (plen[i] == 0 || !rc_b64url_ok(token + off[i], plen[i]))
			return 0;
	return 1;
}

/* Decode part `which` (0 header, 1 payload) of a three-part JWS. */
static enum rc_code
unverified_part(const char *token, size_t len, int which, json_t **out,
    struct rc_err *err)
{
	static const char *const what[] = { "JWT header", "JWT payload" };
	size_t off[5], plen[5], n;

	*out = NULL;
	if (token == NULL || len > OIDC_JWT_MAX_BYTES)
		return RC_ERR(err, RC_EINVAL, "JWT: longer than %d bytes",
		    OIDC_JWT_MAX_BYTES);
	n = split_parts(token, len, off, plen);
	if (n == 5)
		return RC_ERR(err, RC_EPARSE,
		    "JWT: five parts: an encrypted JWE, not a JWS");
	if (n != 3)
		return RC_ERR(err, RC_EPARSE,
		    "JWT: %zu parts; a JWS compact token has three", n);
	return rc_json_b64url_object(token + off[which], plen[which],
	    what[which], out, err);
}

enum rc_code
oidc_jwt_payload_unverified(const char *token, size_t len, json_t **out,
    struct rc_err *err)
{
	return unverified_part(token, len, 1, out, err);
}

enum rc_code
oidc_jwt_header_unverified(const char *token, size_t len, json_t **out,
    struct rc_err *err)
{
	return unverified_part(token, len, 0, out, err);
}

/* ---- Verification ------------------------------------------------------- */

/* Set the fault and return the code, recording the first message. */
#define FAULT(f, code, ...)                                                    \
	(fault_set(fault, (f)), RC_ERR(err, (code), __VA_ARGS__))

static void
fault_set(enum oidc_jwt_fault *fault, enum oidc_jwt_fault f)
{
	if (fault != NULL)
		*fault = f;
}

/* Constant-time string equality (STYLE.md: nonce comparisons). */
static int
same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

/* A NumericDate claim (RFC 7519 §2) as seconds, or -1 when absent/bad. */
static int
numeric_date(json_t *claims, const char *name, double *out)
{
	json_t *v = json_object_get(claims, name); /* borrowed */

	if (v == NULL || !json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* OpenID Connect Core 1.0 §3.1.3.7 steps 2-3, 9-11 (as far as given). */
static enum rc_code
check_claims(json_t *c, const struct oidc_jwt_expect *exp,
    enum oidc_jwt_fault *fault, struct rc_err *err)
{
	const char *s;
	json_t *aud, *e;
	double t;
	double now = (double)exp->now, leeway = (double)exp->leeway;
	size_t i;
	int found = 0;

	/* Step 2: iss exactly the issuer. */
	s = json_string_value(json_object_get(c, "iss"));
	if (exp->iss != NULL && (s == NULL || strcmp(s, exp->iss) != 0))
		return FAULT(OIDC_JWT_ISS, RC_EINVAL,
		    "JWT iss \"%.100s\" is not the expected \"%.100s\"",
		    s != NULL ? s : "(missing)", exp->iss);
	/* Steps 3-5: aud contains client_id; azp when several. */
	if (exp->aud != NULL) {
		aud = json_object_get(c, "aud");
		if (json_is_string(aud))
			found = strcmp(json_string_value(aud), exp->aud) == 0;
		else if (json_is_array(aud))
			json_array_foreach(aud, i, e) if (json_is_string(e) &&
			    strcmp(json_string_value(e), exp->aud) == 0) found =
			    1;
		if (!found)
			return FAULT(OIDC_JWT_AUD, RC_EINVAL,
			    "JWT aud does not contain the client_id");
		s = json_string_value(json_object_get(c, "azp"));
		if ((json_is_array(aud) && json_array_size(aud) > 1 &&
		        s == NULL) ||
		    (s != NULL && strcmp(s, exp->aud) != 0))
			return FAULT(OIDC_JWT_AUD, RC_EINVAL,
			    "JWT azp is missing or not the client_id");
	}
	/* Step 9: the current time must be before exp. */
	if (numeric_date(c, "exp", &t) != 0)
		return FAULT(OIDC_JWT_EXP, RC_EINVAL, "JWT exp is missing");
	if (now >= t + leeway)
		return FAULT(OIDC_JWT_EXP, RC_EINVAL,
		    "JWT expired %.0f seconds ago", now - t);
	/* Step 10: iat present, not in the future, not too old. */
	if (numeric_date(c, "iat", &t) != 0)
		return FAULT(OIDC_JWT_IAT, RC_EINVAL, "JWT iat is missing");
	if (t > now + leeway)
		return FAULT(OIDC_JWT_IAT, RC_EINVAL,
		    "JWT iat is %.0f seconds in the future", t - now);
	if (exp->max_age > 0 && now - t > (double)exp->max_age + leeway)
		return FAULT(OIDC_JWT_IAT, RC_EINVAL,
		    "JWT was issued %.0f seconds ago (limit %ld)", now - t,
		    exp->max_age);
	/* Step 11: nonce equals the one sent. */
	if (exp->nonce != NULL) {
		s = json_string_value(json_object_get(c, "nonce"));
		if (s == NULL || !same(s, exp->nonce))
			return FAULT(OIDC_JWT_NONCE, RC_EINVAL,
			    "JWT nonce is %s",
			    s == NULL ? "missing" : "not the one sent");
	}
	if (exp->require_sub) {
		s = json_string_value(json_object_get(c, "sub"));
		if (s == NULL || s[0] == '\0')
			return FAULT(OIDC_JWT_SUB, RC_EINVAL,
			    "JWT sub is missing");
	}
	return RC_OK;
}

/*
 * FC v2 policy: ES256 or RS256 only (partner portal: "ES256 et RS256");
 * "none" and HS256 refused (RFC 8725 §3.1: never trust "alg" blindly).
 */
static int
alg_allowed(const char *alg, enum oidc_key_type *type)
{
	if (strcmp(alg, "ES256") == 0) {
		*type = OIDC_KEY_EC_P256;
		return 1;
	}
	if (strcmp(alg, "RS256") == 0) {
		*type = OIDC_KEY_RSA;
		return 1;
	}
	return 0;
}

enum rc_code
oidc_jwt_verify(const char *token, size_t len, const struct oidc_jwks *jwks,
    const struct oidc_jwt_expect *exp, json_t **claims,
    enum oidc_jwt_fault *fault, struct rc_err *err)
{
	json_t *hdr = NULL, *c = NULL;
	cjose_jws_t *jws = NULL;
	const char *alg, *kid;
	enum oidc_key_type want;
	uint8_t *plain = NULL;
	size_t plen = 0, i, tried = 0;
	json_error_t jerr;
	cjose_err cerr;
	int ok = 0;
	enum rc_code rc;

	*claims = NULL;
	fault_set(fault, OIDC_JWT_MALFORMED);
	if (jwks == NULL || exp == NULL)
		return RC_ERR(err, RC_EINVAL, "oidc_jwt_verify: no JWKS");
	if ((rc = oidc_jwt_header_unverified(token, len, &hdr, err)) != RC_OK)
		goto out;
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (alg == NULL) {
		rc = FAULT(OIDC_JWT_MALFORMED, RC_EPARSE,
		    "JWT header has no alg");
		goto out;
	}
	if (!alg_allowed(alg, &want)) {
		rc = FAULT(OIDC_JWT_ALG, RC_ECRYPTO,
		    "JWT alg \"%.20s\" refused: FranceConnect v2 signs with "
		    "ES256 or RS256 only",
		    alg);
		goto out;
	}
	/* RFC 7515 §4.1.11: refuse extensions we do not understand. */
	if (json_object_get(hdr, "crit") != NULL) {
		rc = FAULT(OIDC_JWT_MALFORMED, RC_EPARSE,
		    "JWT header has crit extensions");
		goto out;
	}
	if (!jws_shape_ok(token, len)) {
		rc = FAULT(OIDC_JWT_MALFORMED, RC_EPARSE,
		    "JWT: a part is not base64url");
		goto out;
	}
	if ((jws = cjose_jws_import(token, len, &cerr)) == NULL) {
		rc = FAULT(OIDC_JWT_MALFORMED,
		    cerr.code == CJOSE_ERR_NO_MEMORY ? RC_ENOMEM : RC_EPARSE,
		    "JWT: %s", oidc_cjose_msg(&cerr));
		goto out;
	}
	for (i = 0; i < jwks->n && !ok; i++) {
		const struct oidc_key *k = &jwks->keys[i];

		if (k->type != want)
			continue;
		if (kid != NULL && (k->kid == NULL || strcmp(k->kid, kid) != 0))
			continue;
		if (k->alg != NULL && strcmp(k->alg, alg) != 0)
			continue;
		tried++;
		ok = cjose_jws_verify(jws, k->jwk, &cerr);
	}
	if (tried == 0) {
		rc = FAULT(OIDC_JWT_NOKEY, RC_ECRYPTO,
		    "JWT: no %s key%s%.64s%s in the JWKS (refetch it: keys "
		    "rotate)",
		    alg, kid != NULL ? " with kid \"" : "",
		    kid != NULL ? kid : "", kid != NULL ? "\"" : "");
		goto out;
	}
	if (!ok) {
		rc = FAULT(OIDC_JWT_SIGNATURE, RC_ECRYPTO,
		    "JWT signature does not verify");
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &cerr)) {
		rc = FAULT(OIDC_JWT_MALFORMED, RC_EPARSE, "JWT: %s",
		    oidc_cjose_msg(&cerr));
		goto out;
	}
	/* plain points into jws, which cjose_jws_release frees. */
	c = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (c == NULL || !json_is_object(c)) {
		rc = FAULT(OIDC_JWT_MALFORMED, RC_EPARSE,
		    "JWT payload is not a JSON object");
		goto out;
	}
	if ((rc = check_claims(c, exp, fault, err)) != RC_OK)
		goto out;
	fault_set(fault, OIDC_JWT_OK);
	*claims = c;
	c = NULL; /* transferred */
out:
	json_decref(c);
	json_decref(hdr);
	if (jws != NULL)
		cjose_jws_release(jws);
	return rc;
}

/* ---- Signing ------------------------------------------------------------ */

/* json_dumps output goes back through jansson's own free function. */
static void
json_free_str(char *s)
{
	json_malloc_t m;
	json_free_t f;

	if (s == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(s);
}

enum rc_code
oidc_jwt_sign(const json_t *claims, const struct oidc_key *key, char **out,
    struct rc_err *err)
{
	cjose_header_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	const char *compact = NULL;
	char *payload = NULL;
	cjose_err cerr;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if (!json_is_object(claims) || key == NULL)
		return RC_ERR(err, RC_EINVAL, "JWT claims must be an object");
	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "JWT: out of memory");
		goto out;
	}
	if ((hdr = cjose_header_new(&cerr)) == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, oidc_key_alg(key), &cerr) ||
	    !cjose_header_set(hdr, "typ", "JWT", &cerr) ||
	    (key->kid != NULL &&
	        !cjose_header_set(hdr, CJOSE_HDR_KID, key->kid, &cerr))) {
		rc = RC_ERR(err, RC_ENOMEM, "JWT header: %s",
		    oidc_cjose_msg(&cerr));
		goto out;
	}
	jws = cjose_jws_sign(key->jwk, hdr, (const uint8_t *)payload,
	    strlen(payload), &cerr);
	if (jws == NULL || !cjose_jws_export(jws, &compact, &cerr)) {
		rc = RC_ERR(err,
		    cerr.code == CJOSE_ERR_NO_MEMORY ? RC_ENOMEM : RC_ECRYPTO,
		    "JWT sign: %s", oidc_cjose_msg(&cerr));
		goto out;
	}
	/* compact belongs to jws. */
	if ((*out = rc_strdup(compact)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "JWT: out of memory");
out:
	if (jws != NULL)
		cjose_jws_release(jws);
	cjose_header_release(hdr);
	json_free_str(payload);
	return rc;
}

enum rc_code
oidc_jwt_sign_es256(const json_t *claims, const struct oidc_key *key,
    char **out, struct rc_err *err)
{
	*out = NULL;
	if (key == NULL || key->type != OIDC_KEY_EC_P256)
		return RC_ERR(err, RC_EINVAL, "ES256 needs an EC P-256 key");
	return oidc_jwt_sign(claims, key, out, err);
}

enum rc_code
oidc_jwt_make_unsigned(const json_t *claims, char **out, struct rc_err *err)
{
	static const char hdr[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	char *payload = NULL, *h64 = NULL, *p64 = NULL, *tok = NULL;
	size_t hl = 0, pl = 0;
	cjose_err cerr;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if (!json_is_object(claims))
		return RC_ERR(err, RC_EINVAL, "JWT claims must be an object");
	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL ||
	    !cjose_base64url_encode((const uint8_t *)hdr, sizeof(hdr) - 1, &h64,
	        &hl, &cerr) ||
	    !cjose_base64url_encode((const uint8_t *)payload, strlen(payload),
	        &p64, &pl, &cerr) ||
	    (tok = rc_malloc(hl + pl + 3)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "JWT: out of memory");
		goto out;
	}
	memcpy(tok, h64, hl);
	tok[hl] = '.';
	memcpy(tok + hl + 1, p64, pl);
	tok[hl + 1 + pl] = '.';
	tok[hl + pl + 2] = '\0';
	*out = tok;
out:
	if (h64 != NULL)
		cjose_get_dealloc()(h64);
	if (p64 != NULL)
		cjose_get_dealloc()(p64);
	json_free_str(payload);
	return rc;
}
