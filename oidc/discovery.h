/* SPDX-License-Identifier: MIT */
/*
 * OpenID Connect Discovery 1.0: the provider metadata document served at
 * <issuer>/.well-known/openid-configuration.
 *
 * The document is loaded with jansson (JSON_REJECT_DUPLICATES) and
 * validated per §3 and §4.3: issuer must equal the discovery URL minus
 * "/.well-known/openid-configuration", every endpoint must be an absolute
 * https URL (curl_url), the REQUIRED members must be present
 * (issuer, authorization_endpoint, token_endpoint, jwks_uri,
 * response_types_supported).  Errors name the member, e.g.
 * "discovery: jwks_uri: must be an https URL".  FranceConnect publishes
 * end_session_endpoint (RP-Initiated Logout 1.0 §2.1), kept when present.
 */
#ifndef RC_OIDC_DISCOVERY_H
#define RC_OIDC_DISCOVERY_H

#include <stddef.h>

#include "common/err.h"

/* Largest discovery document accepted, bytes. */
#define OIDC_DISCOVERY_MAX_BYTES (256 * 1024)

/* A list of strings from a "*_supported" member. */
struct oidc_strlist {
	char **v;
	size_t n;
};

/*
 * Read-only after oidc_discovery_parse; all strings owned by the struct.
 * Optional members are NULL (or an empty list) when absent.
 */
struct oidc_discovery {
	char *issuer;
	char *authorization_endpoint;
	char *token_endpoint;
	char *userinfo_endpoint;    /* optional (RECOMMENDED) */
	char *end_session_endpoint; /* optional */
	char *jwks_uri;
	struct oidc_strlist acr_values_supported;
	struct oidc_strlist scopes_supported;
	struct oidc_strlist response_types_supported;
	struct oidc_strlist id_token_signing_alg_values_supported;
};

/*
 * Parse and validate a discovery document of len bytes fetched from
 * discovery_url (which must end in /.well-known/openid-configuration).
 * On success *out is a new document for oidc_discovery_free.  RC_EPARSE:
 * not JSON, duplicate member, or not an object; RC_EINVAL: a member is
 * missing, of the wrong type or invalid (the message names it), or
 * discovery_url is not a discovery URL; RC_ENOMEM.
 */
enum rc_code oidc_discovery_parse(const char *json, size_t len,
    const char *discovery_url, struct oidc_discovery **out, struct rc_err *err);

/* Release a document; NULL is a no-op. */
void oidc_discovery_free(struct oidc_discovery *d);

/* True when list holds exactly s. */
int oidc_strlist_has(const struct oidc_strlist *list, const char *s);

#endif /* RC_OIDC_DISCOVERY_H */
