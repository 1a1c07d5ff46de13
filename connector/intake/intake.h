/* SPDX-License-Identifier: MIT */
/*
 * Intake connectors (docs/intake.md, issue 13): applications reach
 * raccord from the state services where they live.
 *
 * DataPass webhooks (intake_dp.c): DataPass signs the raw body of each
 * webhook with HMAC-SHA256 and the webhook's secret, sent as
 * "X-Hub-Signature-256: sha256=<64 hex>"; the JSON body carries "event"
 * ("approve", "revoke", ...), "fired_at" (epoch seconds), "model_type"
 * ("authorization_request/france_connect") and "data" with the request's
 * "state" and "organization": {"siret"} (etalab/data_pass,
 * app/serializers/webhook_serializer.rb).  The signature is checked
 * before the body is parsed; an event older than max_age_s, or one seen
 * before (the body's SHA-256 is the replay key), is refused by the
 * daemon's route (connector/daemon/route_intake.c).
 *
 * démarches-simplifiées (intake_ds.c): pure functions only, no I/O: the
 * GraphQL documents raccord sends to DS's API v2 and the mapping of a DS
 * dossier (demandeur SIRET, champs named by the operator) to a raccord
 * dossier through dossier_parse.
 */
#ifndef RC_CONNECTOR_INTAKE_INTAKE_H
#define RC_CONNECTOR_INTAKE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "verifier/dossier.h"

/* --- DataPass webhooks ------------------------------------------------- */

#define INTAKE_DP_SIG_HEADER  "X-Hub-Signature-256"
#define INTAKE_DP_FUTURE_SKEW 60 /* seconds an event may be ahead of us */

enum intake_dp_action {
	INTAKE_DP_IGNORE,  /* well formed, nothing for raccord to do */
	INTAKE_DP_RECHECK, /* re-check the dossiers of ev->siret */
	INTAKE_DP__MAX
};

struct intake_dp_event {
	char event[32];       /* "approve" */
	char model_type[128]; /* "authorization_request/france_connect" */
	long long fired_at;   /* epoch seconds, as DataPass says */
	char siret[15];       /* "" when the event names none */
	enum intake_dp_action action;
	char why[256]; /* for INTAKE_DP_IGNORE: why, in a sentence */
};

/*
 * True when header is "sha256=" followed by the 64 lowercase or
 * uppercase hex digits of HMAC-SHA256(secret, body).  The MACs are
 * compared with CRYPTO_memcmp over their whole length; a missing or
 * malformed header is false.  Nothing is logged.
 */
bool intake_dp_signature_ok(const void *secret, size_t secret_len,
    const void *body, size_t len, const char *header);

/*
 * Parse a body whose signature was checked: JSON object (duplicate keys
 * refused) with "event" and "model_type" strings, "fired_at" an integer
 * and, for an action, "data.organization.siret" a valid SIRET.  Sets
 * ev->action: INTAKE_DP_RECHECK for "approve" of a "france_connect*" or
 * "api_*" authorization request, INTAKE_DP_IGNORE (with ev->why) for
 * every other well-formed event.  RC_EPARSE / RC_EINVAL with err naming
 * the field.
 */
enum rc_code intake_dp_parse(const char *body, size_t len,
    struct intake_dp_event *ev, struct rc_err *err);

/*
 * Is an event fired at fired_at fresh at now: not older than max_age_s,
 * not more than INTAKE_DP_FUTURE_SKEW ahead.  RC_EINVAL with a sentence
 * otherwise.
 */
enum rc_code intake_dp_fresh(long long fired_at, long long now,
    long long max_age_s, struct rc_err *err);

/*
 * The webhook secret: the variable env when set (non-NULL), else the
 * file path (a regular file without group or other permission bits).
 * *out is a copy for intake_secret_free (cleansed).  RC_ECONFIG when
 * neither is configured, RC_EINVAL naming the variable or file (never
 * the value) when it cannot be used, RC_ENOMEM.
 */
enum rc_code intake_secret_read(const char *env, const char *file,
    const char *what, char **out, size_t *len, struct rc_err *err);
void intake_secret_free(char *s, size_t len);

/* --- démarches-simplifiées (GraphQL API v2) ---------------------------- */

#define INTAKE_DS_PAGE 100 /* dossiers per page (first:) */

/*
 * The GraphQL documents raccord sends (validated against DS's published
 * schema by tests/dssim/validate.mjs).  Variables:
 *   dossiers:  {"demarche": Int!, "after": String, "updatedSince":
 *              ISO8601DateTime}; a page of INTAKE_DS_PAGE dossiers with
 *              pageInfo {hasNextPage endCursor}, each with number, state,
 *              dateDerniereModification, demandeur (PersonneMorale: siret,
 *              entreprise, address), champs and annotations
 *              {id champDescriptorId label stringValue};
 *   annotate:  {"input": DossierModifierAnnotationsInput!} (the
 *              non-deprecated successor of dossierModifierAnnotationText);
 *   instruct:  {"input": DossierPasserEnInstructionInput!}.
 * Each mutation selects errors {message}.
 */
enum intake_ds_doc {
	INTAKE_DS_DOC_DOSSIERS,
	INTAKE_DS_DOC_ANNOTATE,
	INTAKE_DS_DOC_INSTRUCT,
	INTAKE_DS_DOC__MAX
};
const char *intake_ds_document(enum intake_ds_doc d);
const char *intake_ds_document_name(enum intake_ds_doc d); /* "dossiers" */

/*
 * Which DS champ holds each dossier field: a champ is matched by its
 * champDescriptorId, else by its label (exact, as shown to the
 * applicant).  NULL: not mapped.  client_id, login_url and redirect_uri
 * are required; categorie defaults to default_categorie when unmapped;
 * paiement is filled when iban is mapped and given (titulaire defaults
 * to the entreprise's raisonSociale).
 */
enum intake_ds_field {
	INTAKE_DS_CLIENT_ID,
	INTAKE_DS_LOGIN_URL,
	INTAKE_DS_REDIRECT_URI,
	INTAKE_DS_POST_LOGOUT_REDIRECT_URI,
	INTAKE_DS_BUTTON_PAGE_URL,
	INTAKE_DS_KIND,        /* "FranceConnect" / "FranceConnect+" */
	INTAKE_DS_ENVIRONMENT, /* "production" / "integration" */
	INTAKE_DS_CATEGORIE,
	INTAKE_DS_IBAN,
	INTAKE_DS_BIC,
	INTAKE_DS_TITULAIRE,
	INTAKE_DS_FIELD__MAX
};

struct intake_ds_mapping {
	const char *champ[INTAKE_DS_FIELD__MAX];
	const char *default_categorie; /* NULL: "commune" */
	long long demarche;            /* dossier_id "DS-<demarche>-<number>" */
};

/* The field's name in config and messages ("login_url"). */
const char *intake_ds_field_str(enum intake_ds_field f);

/*
 * Map one DS dossier (a node of the dossiers document's answer) to a
 * raccord dossier: *json the dossier as a JSON object (for the job
 * store), *out parsed by dossier_parse (the CLI's rules).  A dossier
 * that does not map gets RC_EINVAL and a sentence in err naming the DS
 * dossier number and the champ or rule ("DS dossier 4242: champ
 * \"Adresse de connexion\" (login_url) is missing"), never a silent
 * skip.  An API integration (API Particulier, API Entreprise) maps
 * without its token, which never travels through DS (docs/intake.md,
 * "Credentials"): intake_ds_awaiting says so.  *out is parsed by
 * dossier_parse_submitted.  RC_ENOMEM.
 */
enum rc_code intake_ds_map(json_t *node, const struct intake_ds_mapping *m,
    json_t **json, struct dossier **out, struct rc_err *err);

/*
 * Whether a mapped dossier waits for a credential: an api integration
 * without the fingerprint of one given to the daemon.
 */
bool intake_ds_awaiting(const struct dossier *d);

/* Whether api (raccord's name) is proved by DGFiP client credentials
 * (client_id and client_secret) rather than by a token. */
bool intake_ds_dgfip(const char *api);
/* Whether d has an api integration of a DGFiP API. */
bool intake_ds_awaiting_dgfip(const struct dossier *d);

/*
 * The annotation of a DS dossier that waits for its API token (dgfip:
 * its DGFiP client id and secret): where and how the collectivité gives
 * it (public_url: daemon.public_url, or NULL), naming the DS number.
 * RC_ENOMEM.
 */
enum rc_code intake_ds_waiting_text(const char *public_url, long long number,
    bool dgfip, struct rc_buf *b);

/*
 * A DS time (dateDerniereModification, ISO 8601 with an offset:
 * "2026-11-30T10:15:32+01:00", "…Z", "….123+0100") as an instant, so that
 * the updatedSince cursor is the latest instant, not the greatest string
 * (DS's offset changes with summer time, and a string comparison puts
 * "10:15+01:00" after "09:20Z").  RC_EINVAL for anything else.
 */
struct intake_ds_instant {
	long long s;  /* seconds since the epoch, UTC */
	long long ns; /* and the fraction */
};
enum rc_code intake_ds_time(const char *s, struct intake_ds_instant *t);
/* <0, 0, >0 as a is before, at, after b. */
int intake_ds_time_cmp(const struct intake_ds_instant *a,
    const struct intake_ds_instant *b);

#endif /* RC_CONNECTOR_INTAKE_INTAKE_H */
