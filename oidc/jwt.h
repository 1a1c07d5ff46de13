/* SPDX-License-Identifier: MIT */
/*
 * JSON Web Tokens in JWS compact form (RFC 7515, RFC 7519) over cjose.
 *
 * Verification follows OpenID Connect Core 1.0 §3.1.3.7 with the
 * FranceConnect v2 profile: the signature algorithm must be ES256 or
 * RS256 (FC v2 partner portal: "ES256 et RS256"); "none" and HS256 are
 * always refused (v1 used HS256 with the client secret; raccord holds no
 * secret).  Claims are checked against a caller-supplied clock.
 *
 * oidc_jwt_payload_unverified() reads a token without any check: the
 * national APIs hand out opaque JWTs whose exp, iat, jti and sub raccord
 * reads, never trusts for authentication.
 */
#ifndef RC_OIDC_JWT_H
#define RC_OIDC_JWT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "common/err.h"
#include "oidc/jwks.h"

/* Longest token accepted, bytes. */
#define OIDC_JWT_MAX_BYTES (64 * 1024)

/* Why a verification failed. */
enum oidc_jwt_fault {
	OIDC_JWT_OK,
	OIDC_JWT_MALFORMED, /* not a JWS compact token, bad JSON */
	OIDC_JWT_ALG,       /* alg none, HS256 or anything but ES/RS256 */
	OIDC_JWT_NOKEY,     /* no key of the set fits (kid, kty) */
	OIDC_JWT_SIGNATURE, /* the signature does not verify */
	OIDC_JWT_ISS,       /* iss missing or not the expected issuer */
	OIDC_JWT_AUD,       /* aud missing, not ours; azp mismatch */
	OIDC_JWT_EXP,       /* exp missing or in the past */
	OIDC_JWT_IAT,       /* iat missing, in the future or too old */
	OIDC_JWT_NONCE,     /* nonce missing or different */
	OIDC_JWT_SUB,       /* sub missing or empty */
	OIDC_JWT_FAULT__MAX
};

/* "signature does not verify", ... */
const char *oidc_jwt_fault_str(enum oidc_jwt_fault f);

/* What the claims must say.  NULL members are not checked. */
struct oidc_jwt_expect {
	const char *iss;   /* exact issuer */
	const char *aud;   /* our client_id: in aud; azp if several */
	const char *nonce; /* compared in constant time */
	time_t now;        /* the caller's clock (UTC); required */
	long leeway;       /* seconds of clock skew tolerated */
	long max_age;      /* iat no older than this many seconds; 0: any */
	int require_sub;   /* sub must be a non-empty string */
};

/*
 * Verify a JWS compact token of len bytes against jwks and exp.  The key
 * is the one whose kid matches the header's kid; with no kid, each key of
 * the right type is tried.  On success *claims is a new reference to the
 * payload object.  *fault (may be NULL) says why it failed.  Returns
 * RC_OK; RC_EPARSE (MALFORMED); RC_ECRYPTO (ALG, NOKEY, SIGNATURE);
 * RC_EINVAL (a claim check, or len > OIDC_JWT_MAX_BYTES); RC_ENOMEM.
 */
enum rc_code oidc_jwt_verify(const char *token, size_t len,
    const struct oidc_jwks *jwks, const struct oidc_jwt_expect *exp,
    json_t **claims, enum oidc_jwt_fault *fault, struct rc_err *err);

/*
 * Sign claims (a JSON object) with key: ES256 for an EC key, RS256 for
 * RSA, HS256 for oct (tests and simulator only).  The header carries
 * "typ":"JWT" and the key's kid.  *out is a new compact token for rc_free.
 * RC_EINVAL when claims is not an object; RC_ECRYPTO; RC_ENOMEM.
 */
enum rc_code oidc_jwt_sign(const json_t *claims, const struct oidc_key *key,
    char **out, struct rc_err *err);

/* As oidc_jwt_sign, but RC_EINVAL unless key is EC P-256. */
enum rc_code oidc_jwt_sign_es256(const json_t *claims,
    const struct oidc_key *key, char **out, struct rc_err *err);

/*
 * An unsecured token, header {"alg":"none"} and an empty signature (RFC
 * 7519 §6), for simulator scenarios that must be refused.  *out for
 * rc_free.  RC_EINVAL, RC_ENOMEM.
 */
enum rc_code oidc_jwt_make_unsigned(const json_t *claims, char **out,
    struct rc_err *err);

/*
 * Decode the payload of a JWS compact token (three base64url parts)
 * WITHOUT verifying anything.  *out is a new reference to the payload
 * object.  RC_EPARSE when the token is not three parts (a JWE has five),
 * not base64url or not a JSON object; RC_EINVAL when longer than
 * OIDC_JWT_MAX_BYTES; RC_ENOMEM.
 */
enum rc_code oidc_jwt_payload_unverified(const char *token, size_t len,
    json_t **out, struct rc_err *err);

/* The same for the protected header ({"alg":...,"kid":...}). */
enum rc_code oidc_jwt_header_unverified(const char *token, size_t len,
    json_t **out, struct rc_err *err);

#endif /* RC_OIDC_JWT_H */
