/* SPDX-License-Identifier: MIT */
/*
 * The API token of a démarches-simplifiées dossier that names an API
 * (ds_credential.c; docs/intake.md, "Credentials"): given once, naming
 * the DS dossier number, by the self-check page's form or by
 * POST /v1/intake/ds/{number}/credential.
 */
#ifndef RC_CONNECTOR_DAEMON_DS_CREDENTIAL_H
#define RC_CONNECTOR_DAEMON_DS_CREDENTIAL_H

#include "connector/daemon/http_int.h"

enum ds_cred {
	DS_CRED_OK,        /* held, job queued (202) */
	DS_CRED_BAD,       /* malformed token (400) */
	DS_CRED_NOT_FOUND, /* no such DS dossier (404) */
	DS_CRED_CONFLICT,  /* awarded, being checked, not an API (409) */
	DS_CRED_LIMITED,   /* rate limit (429) */
	DS_CRED_ERROR,     /* the store failed (500) */
	DS_CRED__MAX
};

/* Whether the DS poller runs (the route and the form exist only then). */
int ds_credential_on(const struct cfg *cfg);

/*
 * Give token (len bytes) for DS dossier number: checked (printable
 * ASCII, 1 to DAEMON_SECRET_MAX bytes), the dossier's job found, then in
 * one step the vault holds the token and the job is queued with the
 * token's fingerprint.  id receives the job id (when known); why a
 * sentence for every outcome but DS_CRED_OK.  Never logs the token.
 */
/*
 * What is given: a token (API Particulier, API Entreprise), or a DGFiP
 * API's OAuth client credentials (client_id, client_secret; docs/apis.md),
 * as for POST /v1/dossiers: the client id is stored with the dossier
 * (oauth_client_id), the secret is the credential held in the vault and
 * fingerprinted.  NULL: not given; lengths in bytes (a NUL inside is
 * refused).
 */
struct ds_cred_in {
	const char *token, *client_id, *client_secret;
	size_t token_len, client_id_len, client_secret_len;
};
enum ds_cred ds_credential_give(struct daemon *dm, long long number,
    const struct ds_cred_in *in, char id[STORE_ID_LEN + 1], char *why, size_t n,
    long long *retry_after);

/*
 * 1 (counted) when addr is over its hourly limit
 * (intake.ds.credential_per_address_hour).  The number's own limit
 * (credential_per_number_hour) is taken by ds_credential_give, only for
 * a credential the dossier would take: requests refused before (a bad
 * body, an unknown number, a dossier that takes none now) never use a
 * number's budget.  Well-formed wrong credentials still do (each is
 * taken and checked): the limit bounds a stranger, it cannot stop one.
 */
int ds_credential_limited(const struct cfg *cfg, const char *addr,
    long long *retry_after);

/* Whether t could be an API token: 1..DAEMON_SECRET_MAX bytes 0x21-0x7e. */
int ds_credential_token_ok(const char *t, size_t len);

/*
 * The self-check page's form (selfcheck.c): ds_number, token and csrf of
 * an application/x-www-form-urlencoded body, decoded (NULL when absent);
 * the token's buffers are wiped.  ds_credential_form_cleanup wipes and
 * frees.  RC_ENOMEM.
 */
struct ds_credential_form {
	char *number, *token, *csrf, *client_id, *client_secret;
	size_t token_len; /* decoded bytes: a NUL inside is refused */
	size_t client_id_len, client_secret_len;
};
enum rc_code ds_credential_form_parse(const char *body, size_t len,
    struct ds_credential_form *f);
void ds_credential_form_cleanup(struct ds_credential_form *f);

/* A DS dossier number as typed (digits, blanks around), or 0. */
long long ds_credential_number(const char *s);

/* The route (http_route_fn), and its counters for /metrics. */
int ds_credential_route(struct http_ctx *x, struct http_req *rq,
    enum MHD_Result *ret);
void ds_credential_metrics(struct rc_buf *b);

#endif /* RC_CONNECTOR_DAEMON_DS_CREDENTIAL_H */
