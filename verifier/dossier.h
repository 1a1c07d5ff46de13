/* SPDX-License-Identifier: MIT */
/*
 * The dossier: what a collectivité claims (shared/DESIGN.md §3, "Dossier").
 *
 * dossier_parse() reads it strictly with jansson: unknown keys and wrong
 * types are rejected with the JSON path named ("integrations[1].api:
 * unknown API \"foo\""); SIREN and SIRET are checked (Luhn, La Poste
 * rule, SIRET starts with the SIREN), the IBAN (ISO 13616 mod 97), the
 * INSEE commune code (COG format), and every URL is absolute http(s).
 * Plain http where https is required is NOT an input error: it is a
 * finding the checks report.  Tokens are never inline: only token_file or
 * token_env; a token_file or client_secret_file is a relative name (no
 * leading '/', no "." or ".." component: secret_name_ok), read later below
 * the operator's secrets directory for this dossier only.
 */
#ifndef RC_VERIFIER_DOSSIER_H
#define RC_VERIFIER_DOSSIER_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

#define DOSSIER_MAX_BYTES        (1024 * 1024)
#define DOSSIER_MAX_INTEGRATIONS 16

enum dossier_kind {
	DOSSIER_FRANCECONNECT, /* "franceconnect" */
	DOSSIER_API,           /* "api" */
	DOSSIER_KIND__MAX
};

enum dossier_env {
	DOSSIER_ENV_PRODUCTION,  /* "production" */
	DOSSIER_ENV_INTEGRATION, /* "integration" (sandbox) */
	DOSSIER_ENV__MAX
};

struct dossier_integration {
	enum dossier_kind kind;
	enum dossier_env env;
	char path[32]; /* "integrations[0]", for messages */

	/* kind franceconnect */
	int plus;                       /* "plus": true: FranceConnect+ */
	char *client_id;                /* required */
	char *login_url;                /* required */
	char *redirect_uri;             /* required */
	char *post_logout_redirect_uri; /* optional */
	char *button_page_url;          /* optional */
	char *logout_url; /* optional: logs a citizen out (conformance) */

	/* kind api */
	char *api;             /* "api_particulier", "api_entreprise",
	                          "api_impot_particulier", "api_r2p",
	                          "api_ficoba" */
	char *token_file;      /* path of a file holding the token, or NULL */
	char *token_env;       /* name of an environment variable, or NULL */
	char *oauth_client_id; /* DGFiP client_credentials, or NULL */
	char *client_secret_file; /* DGFiP client secret file, or NULL */
	char *client_secret_env;  /* DGFiP client secret variable, or NULL */
	int api_version;          /* API Particulier: 2 or 3 (default 3) */
	/*
	 * A credential given in memory (the daemon's submission), used
	 * instead of token_file/token_env or client_secret_file/_env.  Never
	 * set by dossier_parse; owned, wiped by dossier_free
	 * (OPENSSL_cleanse).  See verifier/secret.h, secret_from_bytes.
	 */
	char *secret_mem;
	size_t secret_mem_len;
	/*
	 * dossier_parse_submitted only: "credential_sha256", the SHA-256
	 * (64 lowercase hex) of the credential given with the submission,
	 * which the daemon stores in its place; "" otherwise.
	 */
	char submitted_sha256[65];
};

struct dossier {
	char *dossier_id;
	struct {
		char *siren;
		char *siret;
		char *nom;
		char *categorie;  /* commune, epci, departement, region, ... */
		char *code_insee; /* optional COG code */
	} collectivite;
	struct {
		char *titulaire;
		char *iban; /* normalised: upper case, no spaces */
		char *bic;
	} paiement;
	struct dossier_integration *integrations;
	size_t nintegrations;
};

/*
 * Parse a dossier from memory.  what names the source in messages (file
 * name, "request body", "batch line 12").  On success *out is a new
 * dossier for dossier_free.  Every input error is recorded in errs (the
 * first RC_ERRS_KEEP with their message, the rest counted), each message
 * starting with what and the JSON path: one pass tells the applicant all
 * that is wrong.  RC_EPARSE for malformed JSON (one error: jansson stops
 * there), RC_EINVAL for anything else wrong, RC_ENOMEM.
 */
enum rc_code dossier_parse_all(const char *data, size_t len, const char *what,
    struct dossier **out, struct rc_errs *errs);

/* Read (at most DOSSIER_MAX_BYTES) and parse a dossier file, as above. */
enum rc_code dossier_load_file_all(const char *file, struct dossier **out,
    struct rc_errs *errs);

/*
 * Build a dossier from a loaded document (root borrowed), as above;
 * errors already in errs are kept and the new ones appended.
 */
enum rc_code dossier_from_json(json_t *root, const char *what,
    struct dossier **out, struct rc_errs *errs);

/*
 * The same, for callers that show one line: err holds the first error,
 * followed by "(and N more errors)" when there are others.
 */
enum rc_code dossier_parse(const char *data, size_t len, const char *what,
    struct dossier **out, struct rc_err *err);
enum rc_code dossier_load_file(const char *file, struct dossier **out,
    struct rc_err *err);

/*
 * As dossier_parse, for a dossier submitted to the daemon as the daemon
 * stores it: an "api" integration names no file or variable of the
 * server (token_file, token_env, client_secret_file and client_secret_env
 * are refused) and may carry "credential_sha256", the fingerprint of the
 * credential given with the submission (held in memory, never stored),
 * into submitted_sha256; without it, only its DataPass checks can run.
 */
enum rc_code dossier_parse_submitted(const char *data, size_t len,
    const char *what, struct dossier **out, struct rc_err *err);
/* The same from a loaded document, as dossier_from_json. */
enum rc_code dossier_from_json_submitted(json_t *root, const char *what,
    struct dossier **out, struct rc_errs *errs);

void dossier_free(struct dossier *d);

const char *dossier_kind_str(enum dossier_kind k);
const char *dossier_env_str(enum dossier_env e);

#endif /* RC_VERIFIER_DOSSIER_H */
