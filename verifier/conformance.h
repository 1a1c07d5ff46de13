/* SPDX-License-Identifier: MIT */
/*
 * Active conformance (issue 11; docs/conformance.md): for the length of a
 * run raccord plays FranceConnect v2 for one relying party and proves that
 * it refuses forged identities.
 *
 * The provider (libmicrohttpd, TLS) serves discovery, JWKS (an ES256 and
 * an RS256 key made for the run, never the ledger key), authorize, token
 * (client_secret_post and client_secret_basic), userinfo (a signed JWT, as
 * FranceConnect) and end_session, for one client registered per dossier,
 * with a fixed test identity.  The browser side is raccord's probe engine:
 * one cookie jar per login, every redirect followed by hand.  The first,
 * correct login must open a session; each further login deviates once
 * (ID token nonce, aud, iss, exp, signature, alg, key, acr; userinfo
 * sub; callback state; replayed code) and must be refused; then logout is
 * checked (advisory).  For FranceConnect+ the provider asks eidas2/eidas3,
 * signs ES256 and encrypts the ID token and userinfo (JWE) for the
 * relying party's key, fetched from its registered jwks_uri.  Each is a check
 * fc.conformance.<run> in a report section of kind "conformance".
 */
#ifndef RC_VERIFIER_CONFORMANCE_H
#define RC_VERIFIER_CONFORMANCE_H

#include <stddef.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/err.h"
#include "verifier/dossier.h"
#include "verifier/probe.h"
#include "verifier/report.h"

#define CONF_REGISTRATION_VERSION 1
#define CONF_SECRET_BYTES         32 /* random bytes, hex-encoded */

/* The client raccord registered for one dossier (no secret: its hash). */
struct conf_registration {
	char *dossier_id;
	char *client_id;
	unsigned char secret_sha256[RC_SHA256_LEN];
	char *redirect_uri;
	char *post_logout_redirect_uri; /* or NULL */
	char *alg;                      /* "ES256" or "RS256" */
	char *jwks_uri; /* FranceConnect+: the RP's encryption keys */
};

void conf_registration_cleanup(struct conf_registration *reg);

/*
 * Register a client for the dossier's FranceConnect integration: a new
 * random client_id and secret.  *secret (rc_free_secret) is the secret in
 * hex, to be shown once; reg keeps only its SHA-256.  jwks_uri is the
 * relying party's JWKS (its encryption keys): required for
 * FranceConnect+, refused otherwise.  RC_EINVAL when the dossier has no
 * FranceConnect integration, or it is production (see conf_integration),
 * or for jwks_uri; RC_ECRYPTO, RC_ENOMEM.
 */
enum rc_code conf_register(const struct dossier *d, const char *jwks_uri,
    struct conf_registration *reg, char **secret, struct rc_err *err);

/* Write reg as JSON to a new file (mode 0600, never overwritten). */
enum rc_code conf_registration_save(const struct conf_registration *reg,
    const char *file, struct rc_err *err);

/* The registration as JSON (what the file holds); NULL on ENOMEM. */
json_t *conf_registration_to_json(const struct conf_registration *reg);

/* Read a registration from JSON (what names it in messages). */
enum rc_code conf_registration_from_json(const json_t *o, const char *what,
    struct conf_registration *reg, struct rc_err *err);

/* Read a registration file; RC_EINVAL naming the member that is wrong. */
enum rc_code conf_registration_load(const char *file,
    struct conf_registration *reg, struct rc_err *err);

/*
 * The dossier's FranceConnect integration conformance runs against
 * (borrowed): the first of kind franceconnect whose environment is not
 * production.  RC_EINVAL when there is none (the test provider never
 * stands in for production).
 */
enum rc_code conf_integration(const struct dossier *d,
    const struct dossier_integration **out, struct rc_err *err);

struct conf_opts {
	const char *listen;     /* "127.0.0.1:8443", "[::1]:8443" */
	const char *public_url; /* issuer, e.g. https://host:8443/api/v2 */
	const char *tls_cert;   /* PEM files the provider serves */
	const char *tls_key;
	struct probe_opts probe; /* the browser side */
};

/*
 * Run every login against the site of d's FranceConnect integration,
 * with reg's client, and record the checks in a new section of rep.
 * RC_OK whenever the runs took place (findings are checks, not errors);
 * RC_EINVAL for a dossier or registration that does not fit (production,
 * dossier_id or redirect_uri differs), RC_ESYS/RC_ECONFIG when the
 * provider cannot listen, RC_ECRYPTO, RC_ENOMEM.
 */
enum rc_code conformance_run(const struct conf_opts *opts,
    const struct dossier *d, const struct conf_registration *reg,
    struct report *rep, struct rc_err *err);

#endif /* RC_VERIFIER_CONFORMANCE_H */
