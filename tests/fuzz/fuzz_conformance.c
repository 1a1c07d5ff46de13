/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: what active conformance reads from the site under test.
 * The first byte chooses: even, the rest is the site's JWKS (FranceConnect+
 * encryption key, oidc_jwks_enc_key, then oidc_jwe_encrypt for the key
 * found); odd, the rest is the end_session URL the site's logout sent the
 * browser to (conf_logout_judge).  Must never crash or leak, whatever the
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/mem.h"
#include "oidc/jwe.h"
#include "oidc/jwks.h"
#include "verifier/conformance_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oidc_key *key = NULL;
	char *text, *tok = NULL;
	int has_state;

	if (size < 1)
		return 0;
	if ((text = rc_strndup((const char *)data + 1, size - 1)) == NULL)
		return 0;
	if (data[0] % 2 == 0) {
		if (oidc_jwks_enc_key(text, size - 1, &key, NULL) == RC_OK) {
			(void)oidc_jwe_encrypt("eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
			    key, &tok, NULL);
			rc_free(tok);
			oidc_key_free(key);
		}
	} else {
		(void)conf_logout_judge(text, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
		    "https://mairie.test/au-revoir", &has_state);
	}
	rc_free(text);
	return 0;
}
