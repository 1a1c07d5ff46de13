/* SPDX-License-Identifier: MIT */
/*
 * Private to oidc/: the cjose key behind struct oidc_key, shared by
 * jwks.c and jwt.c.  Nothing outside oidc/ includes this header.
 */
#ifndef RC_OIDC_JWKS_INT_H
#define RC_OIDC_JWKS_INT_H

#include <cjose/cjose.h>
#include <jansson.h>

#include "common/err.h"

#include "oidc/jwks.h"

struct oidc_key {
	cjose_jwk_t *jwk; /* owned */
	enum oidc_key_type type;
	char *kid; /* NULL when the key has none */
	char *alg; /* the JWK's "alg" member, or NULL */
};

struct oidc_jwks {
	struct oidc_key *keys; /* usable signature keys */
	size_t n;
};

/* The JWS "alg" a key of this type signs with: "ES256", "RS256", "HS256". */
const char *oidc_key_alg(const struct oidc_key *key);

/* cjose's message of an error, never NULL. */
const char *oidc_cjose_msg(const cjose_err *cerr);

/*
 * A JWK Set document (RFC 7517 §5) of at most OIDC_JWKS_MAX_BYTES and at
 * most OIDC_JWKS_MAX_KEYS keys: *doc the parsed document (the caller's
 * to json_decref, also on failure), *keys its "keys" array (borrowed).
 */
enum rc_code oidc_jwks_doc(const char *json, size_t len, json_t **doc,
    json_t **keys, struct rc_err *err);

#endif /* RC_OIDC_JWKS_INT_H */
