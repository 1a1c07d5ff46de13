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

#endif /* RC_CONNECTOR_INTAKE_INTAKE_H */
