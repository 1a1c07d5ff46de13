/* SPDX-License-Identifier: MIT */
/*
 * A pass over a démarches-simplifiées procedure (intake_run.c,
 * docs/intake.md): the DS client and `raccord intake run --once`.
 */
#ifndef RC_CONNECTOR_INTAKE_INTAKE_RUN_H
#define RC_CONNECTOR_INTAKE_INTAKE_RUN_H

#include <stdio.h>

#include <jansson.h>

#include "common/err.h"
#include "connector/config.h"
#include "connector/intake/intake.h"
#include "connector/pipeline.h"

/* What one pass did (the per-connector counters of issue 13 §5). */
struct intake_ds_stats {
	size_t pages;     /* answers read */
	size_t seen;      /* dossiers read */
	size_t mapped;    /* mapped to a raccord dossier and checked */
	size_t refused;   /* did not map (the annotation says why) */
	size_t annotated; /* annotations written */
	size_t unchanged; /* annotation already said the same */
	size_t errors;    /* a dossier the pass could not finish */
};

/*
 * Send document doc with vars (borrowed) to intake.ds.graphql_url with
 * token as Bearer; *data is the answer's "data" (new reference).
 * RC_ENET for DS down, 429 or 5xx (*retry_after from Retry-After, 0
 * when absent), RC_ECONFIG for 401/403, RC_EINVAL for GraphQL errors
 * (the first message), RC_EPARSE for a malformed answer.
 */
enum rc_code intake_ds_call(const struct cfg *cfg, const char *token,
    enum intake_ds_doc doc, json_t *vars, json_t **data, int *retry_after,
    struct rc_err *err);

/*
 * One pass: every dossier of intake.ds.demarche changed since `since`
 * (ISO 8601, or NULL for all), page after page; each mapped and checked
 * (pl's verifier options) or refused, and its private annotation
 * intake.ds.annotation set to the outcome unless it already says so.
 * One line per dossier on out.  Stops at the first DS failure (the
 * dossiers not reached keep their annotation).  RC_ECONFIG when DS
 * intake is not configured.
 */
enum rc_code intake_ds_run_once(struct pipeline *pl, const char *since,
    struct intake_ds_stats *st, FILE *out, struct rc_err *err);

#endif /* RC_CONNECTOR_INTAKE_INTAKE_RUN_H */
