/* SPDX-License-Identifier: MIT */
/*
 * JWE compact serialisation over cjose for FranceConnect+ (see jwe.h):
 * choose the relying party's encryption key, encrypt a signed token.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/json.h"
#include "common/mem.h"
#include "oidc/jwe.h"
#include "oidc/jwks_int.h"

/* Can this member of "keys" encrypt for the relying party? */
static int
is_enc_candidate(json_t *jk)
{
	const char *use = json_string_value(json_object_get(jk, "use"));
	const char *kty = json_string_value(json_object_get(jk, "kty"));

	/* RFC 7517 §4.2: "use" absent or "enc". */
	return json_is_object(jk) && kty != NULL &&
	    (use == NULL || strcmp(use, "enc") == 0) &&
	    (strcmp(kty, "RSA") == 0 || strcmp(kty, "EC") == 0);
}

/*
 * The key's "alg" (RFC 7517 §4.4: the algorithm it is meant for) when it
 * names one raccord cannot encrypt with for its kty (RSA: RSA-OAEP; EC:
 * ECDH-ES), else NULL.  FranceConnect+ also offers RSA-OAEP-256, which
 * cjose 0.6.2 lacks: such a key is passed over rather than used with
 * another algorithm than it declares.
 */
static const char *
unusable_alg(json_t *jk)
{
	const char *alg = json_string_value(json_object_get(jk, "alg"));
	const char *kty = json_string_value(json_object_get(jk, "kty"));

	if (alg == NULL)
		return NULL;
	if (strcmp(kty, "RSA") == 0 && strcmp(alg, CJOSE_HDR_ALG_RSA_OAEP) == 0)
		return NULL;
	if (strcmp(kty, "EC") == 0 && strcmp(alg, CJOSE_HDR_ALG_ECDH_ES) == 0)
		return NULL;
	return alg;
}

enum rc_code
oidc_jwks_enc_key(const char *json, size_t len, struct oidc_key **out,
    struct rc_err *err)
{
	json_t *doc = NULL, *keys, *jk;
	struct oidc_key *k = NULL;
	char *one = NULL, passed[64] = "";
	const char *alg;
	size_t i;
	enum rc_code rc;

	*out = NULL;
	if ((rc = oidc_jwks_doc(json, len, &doc, &keys, err)) != RC_OK)
		goto out;
	json_array_foreach(keys, i, jk)
	{
		if (!is_enc_candidate(jk))
			continue;
		if ((alg = unusable_alg(jk)) != NULL) {
			if (passed[0] == '\0')
				snprintf(passed, sizeof(passed), "%.40s", alg);
			continue;
		}
		if ((one = json_dumps(jk, JSON_COMPACT)) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "jwks: out of memory");
			goto out;
		}
		rc = oidc_key_import(one, strlen(one), &k, err);
		free(one); /* jansson's allocator */
		if (rc != RC_OK)
			goto out;
		if (k->type == OIDC_KEY_RSA || k->type == OIDC_KEY_EC_P256) {
			*out = k;
			k = NULL; /* transferred */
			goto out;
		}
		oidc_key_free(k); /* another curve */
		k = NULL;
	}
	if (passed[0] != '\0')
		rc = RC_ERR(err, RC_EINVAL,
		    "jwks: no encryption key raccord can use: a key asks alg "
		    "\"%s\", and raccord encrypts only with RSA-OAEP (RSA) "
		    "or ECDH-ES (EC P-256); cjose 0.6.2 has no RSA-OAEP-256 "
		    "(docs/conformance.md)",
		    passed);
	else
		rc = RC_ERR(err, RC_EINVAL,
		    "jwks: no encryption key (use \"enc\" or none, kty RSA "
		    "or EC P-256)");
out:
	json_decref(doc);
	return rc;
}

const char *
oidc_jwe_alg(const struct oidc_key *key)
{
	return key->type == OIDC_KEY_RSA ? CJOSE_HDR_ALG_RSA_OAEP
	                                 : CJOSE_HDR_ALG_ECDH_ES;
}

enum rc_code
oidc_jwe_encrypt(const char *plaintext, const struct oidc_key *key, char **out,
    struct rc_err *err)
{
	cjose_header_t *hdr = NULL;
	cjose_jwe_t *jwe = NULL;
	cjose_err cerr;
	char *s = NULL;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if ((hdr = cjose_header_new(&cerr)) == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, oidc_jwe_alg(key), &cerr) ||
	    !cjose_header_set(hdr, CJOSE_HDR_ENC, CJOSE_HDR_ENC_A256GCM,
	        &cerr) ||
	    !cjose_header_set(hdr, CJOSE_HDR_CTY, "JWT", &cerr) ||
	    (key->kid != NULL &&
	        !cjose_header_set(hdr, CJOSE_HDR_KID, key->kid, &cerr))) {
		rc = RC_ERR(err, RC_ENOMEM, "JWE header: %s",
		    oidc_cjose_msg(&cerr));
		goto out;
	}
	jwe = cjose_jwe_encrypt(key->jwk, hdr, (const uint8_t *)plaintext,
	    strlen(plaintext), &cerr);
	if (jwe == NULL || (s = cjose_jwe_export(jwe, &cerr)) == NULL) {
		rc = RC_ERR(err, RC_ECRYPTO, "JWE encryption: %s",
		    oidc_cjose_msg(&cerr));
		goto out;
	}
	if ((*out = rc_strdup(s)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "JWE: out of memory");
out:
	if (s != NULL)
		cjose_get_dealloc()(s);
	cjose_jwe_release(jwe);
	cjose_header_release(hdr);
	return rc;
}
