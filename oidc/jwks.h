/* SPDX-License-Identifier: MIT */
/*
 * JSON Web Keys (RFC 7517) over cjose, kept opaque: no cjose type crosses
 * this header.
 *
 * struct oidc_jwks is a provider's public key set (what jwks_uri serves),
 * used by oidc_jwt_verify().  struct oidc_key is one key that may hold a
 * private part: the simulator and the tests sign with it and publish its
 * public half with oidc_jwks_build().
 *
 * Only the key types raccord verifies are kept: EC P-256 and RSA (>= 2048
 * bits).  Other keys of a set (oct, OKP, other curves, "use":"enc") are
 * skipped, not errors: FC+ publishes encryption keys beside signing keys.
 */
#ifndef RC_OIDC_JWKS_H
#define RC_OIDC_JWKS_H

#include <stddef.h>

#include "common/err.h"

/* Largest JWKS document accepted, bytes; most keys kept. */
#define OIDC_JWKS_MAX_BYTES (256 * 1024)
#define OIDC_JWKS_MAX_KEYS  64

struct oidc_jwks;
struct oidc_key;

enum oidc_key_type {
	OIDC_KEY_EC_P256, /* ES256 */
	OIDC_KEY_RSA,     /* RS256, 2048 bits when generated */
	OIDC_KEY_OCT,     /* HS256: only to forge bad tokens in tests/sim */
	OIDC_KEY__MAX
};

/*
 * Parse a JWKS document ({"keys":[...]}) of len bytes.  On success *out is
 * a new set for oidc_jwks_free; it may hold zero usable keys (check
 * oidc_jwks_count).  RC_EPARSE: not JSON, duplicate member, no "keys"
 * array, or a key cjose cannot import; RC_EINVAL: larger than
 * OIDC_JWKS_MAX_BYTES or more than OIDC_JWKS_MAX_KEYS keys; RC_ENOMEM.
 */
enum rc_code oidc_jwks_parse(const char *json, size_t len,
    struct oidc_jwks **out, struct rc_err *err);

/* Release a set; NULL is a no-op. */
void oidc_jwks_free(struct oidc_jwks *jwks);

/* Number of usable signature keys kept. */
size_t oidc_jwks_count(const struct oidc_jwks *jwks);

/* True when a usable key has that kid. */
int oidc_jwks_has_kid(const struct oidc_jwks *jwks, const char *kid);

/*
 * Make a fresh key (OIDC_KEY_OCT: 32 random bytes) with that kid (may be
 * NULL: no kid).  *out is new, for oidc_key_free.  RC_ECRYPTO when cjose
 * fails, RC_EINVAL for a bad type, RC_ENOMEM.
 */
enum rc_code oidc_key_generate(enum oidc_key_type type, const char *kid,
    struct oidc_key **out, struct rc_err *err);

/*
 * Import one JWK (JSON text, private or public).  *out is new.  RC_EPARSE
 * when cjose refuses it, RC_EINVAL for an unsupported key type, RC_ENOMEM.
 */
enum rc_code oidc_key_import(const char *json, size_t len,
    struct oidc_key **out, struct rc_err *err);

/* Release a key, wiping it; NULL is a no-op. */
void oidc_key_free(struct oidc_key *key);

enum oidc_key_type oidc_key_type(const struct oidc_key *key);

/* The key's kid (borrowed), or NULL. */
const char *oidc_key_kid(const struct oidc_key *key);

/*
 * The key as JWK JSON text; with priv, the private members too.  *out is a
 * new string for rc_free (rc_free_secret when priv).  RC_ECRYPTO,
 * RC_ENOMEM.
 */
enum rc_code oidc_key_to_json(const struct oidc_key *key, int priv, char **out,
    struct rc_err *err);

/*
 * A JWKS document {"keys":[...]} with the public halves of n keys (oct
 * keys are left out: they have no public half).  *out is new, for
 * rc_free.  RC_ECRYPTO, RC_ENOMEM.
 */
enum rc_code oidc_jwks_build(const struct oidc_key *const *keys, size_t n,
    char **out, struct rc_err *err);

#endif /* RC_OIDC_JWKS_H */
