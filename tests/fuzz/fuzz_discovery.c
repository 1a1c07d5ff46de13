/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: bytes as a discovery document (oidc_discovery_parse) and,
 * since both come from the same provider, as a JWKS (oidc_jwks_parse) and
 * as a compact JWT (oidc_jwt_payload_unverified, oidc_jwt_verify against
 * that JWKS).  Must never crash or leak, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "oidc/discovery.h"
#include "oidc/jwks.h"
#include "oidc/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct oidc_jwt_expect exp = {
		.iss = "https://oidc.franceconnect.gouv.fr/api/v2",
		.aud = "client",
		.nonce = "nonce",
		.now = 1764350000,
		.leeway = 5,
		.max_age = 0,
		.require_sub = 1,
	};
	static const char rfc7515_a3[] =
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
	const char *s = (const char *)data;
	struct oidc_discovery *d = NULL;
	struct oidc_jwks *jwks = NULL;
	json_t *j = NULL;

	(void)oidc_discovery_parse(s, size,
	    "https://oidc.franceconnect.gouv.fr/api/v2/.well-known/"
	    "openid-configuration",
	    &d, NULL);
	oidc_discovery_free(d);
	if (oidc_jwks_parse(s, size, &jwks, NULL) == RC_OK)
		oidc_jwks_free(jwks);
	if (oidc_jwt_payload_unverified(s, size, &j, NULL) == RC_OK)
		json_decref(j);
	j = NULL;
	/* The RFC 7515 A.3 public key, so that signatures get checked. */
	if (oidc_jwks_parse(rfc7515_a3, strlen(rfc7515_a3), &jwks, NULL) ==
	    RC_OK) {
		if (oidc_jwt_verify(s, size, jwks, &exp, &j, NULL, NULL) ==
		    RC_OK)
			json_decref(j);
		oidc_jwks_free(jwks);
	}
	return 0;
}
