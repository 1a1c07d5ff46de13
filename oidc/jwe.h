/* SPDX-License-Identifier: MIT */
/*
 * JWE (RFC 7516) for FranceConnect+: its ID tokens and userinfo are a JWS
 * nested in a JWE encrypted for the relying party, with RSA-OAEP,
 * RSA-OAEP-256 or ECDH-ES and A256GCM, to a key of the JWKS the relying
 * party publishes (FranceConnect reference §3).  cjose 0.6.2 offers
 * RSA-OAEP and ECDH-ES, not RSA-OAEP-256; raccord's test provider uses
 * those two (docs/conformance.md, "FranceConnect+ encryption").
 */
#ifndef RC_OIDC_JWE_H
#define RC_OIDC_JWE_H

#include <stddef.h>

#include "common/err.h"
#include "oidc/jwks.h"

/*
 * The first encryption key of a relying party's JWKS document (len
 * bytes): "use" "enc" or absent, kty RSA or EC P-256, and "alg" absent
 * or the one raccord encrypts with for that kty (RSA-OAEP, ECDH-ES): a
 * key that asks another (RSA-OAEP-256) is passed over.  *out is new, for
 * oidc_key_free.  RC_EPARSE: not a JWKS, or a key that cannot be
 * imported; RC_EINVAL: no such key (naming the alg of a key passed
 * over); RC_ENOMEM.
 */
enum rc_code oidc_jwks_enc_key(const char *json, size_t len,
    struct oidc_key **out, struct rc_err *err);

/* "RSA-OAEP" for an RSA key, "ECDH-ES" for an EC key. */
const char *oidc_jwe_alg(const struct oidc_key *key);

/*
 * Encrypt plaintext (a compact JWS) for key as a compact JWE: alg
 * oidc_jwe_alg(key), enc A256GCM, cty JWT, the key's kid.  *out is new,
 * for rc_free.  RC_ECRYPTO, RC_ENOMEM.
 */
enum rc_code oidc_jwe_encrypt(const char *plaintext, const struct oidc_key *key,
    char **out, struct rc_err *err);

#endif /* RC_OIDC_JWE_H */
