/* SPDX-License-Identifier: MIT */
/*
 * A pass over a démarches-simplifiées procedure (intake_run.c,
 * docs/intake.md): the DS client and `raccord intake run --once`.
 */
#ifndef RC_CONNECTOR_INTAKE_INTAKE_RUN_H
#define RC_CONNECTOR_INTAKE_INTAKE_RUN_H

#include <stdio.h>

#include <jansson.h>

#include "common/buf.h"
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
	size_t awaiting;  /* an API: mapped, its token goes to the daemon */
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

/*
 * Shared by `raccord intake run --once` and the daemon's DS poller
 * (connector/daemon/ds_poll.c): one implementation of the DS side.
 */

/* Longest dateDerniereModification kept, with its NUL. */
#define INTAKE_DS_DATE_MAX 64

/*
 * DS intake's configuration checked (demarche, instructeur_id,
 * annotation, the token's variable set): *token borrowed from the
 * environment, *m the mapping.  RC_ECONFIG naming the directive.
 */
enum rc_code intake_ds_setup(const struct cfg *cfg, const char **token,
    struct intake_ds_mapping *m, struct rc_err *err);

/* Called for each dossier node of a page; an error stops the pass. */
typedef enum rc_code (
    *intake_ds_node_fn)(void *arg, json_t *node, struct rc_err *err);

/*
 * Page through intake.ds.demarche's dossiers changed since `since` (ISO
 * 8601 or NULL), each page asked with the previous endCursor, fn called
 * for each node.  *pages counts the answers read; latest (or NULL) is
 * raised to the greatest dateDerniereModification seen.  A DS failure
 * stops it (intake_ds_call's codes, *retry_after).
 */
enum rc_code intake_ds_pages(const struct cfg *cfg, const char *token,
    const char *since, intake_ds_node_fn fn, void *arg, size_t *pages,
    char latest[INTAKE_DS_DATE_MAX], int *retry_after, struct rc_err *err);

/*
 * The private annotation's text, the same for the same outcome: the
 * verdict in French, each required check failed or errored with the
 * catalogue's French title and fix (verifier/catalog.c) and the
 * evidence; or, when refusal is not NULL, why the dossier does not map.
 * extra (or NULL) is appended on its own lines (the daemon's permalink,
 * award and receipt).  report is report_to_json's object.
 */
enum rc_code intake_ds_annotation_text(json_t *report, const char *refusal,
    const char *extra, struct rc_buf *b);

/* The annotation champ intake.ds.annotation of node: its id and value. */
enum rc_code intake_ds_annotation_of(const struct cfg *cfg, json_t *node,
    const char **id, const char **current, struct rc_err *err);

/*
 * Set annotation annotation_id of DS dossier node_id (number for the
 * messages) to text with dossierModifierAnnotations, unless current
 * (NULL: unknown) already says text: *written 0 then.
 */
enum rc_code intake_ds_annotate(const struct cfg *cfg, const char *token,
    const char *node_id, long long number, const char *annotation_id,
    const char *current, const char *text, int *written, int *retry_after,
    struct rc_err *err);

/* dossierPasserEnInstruction (intake.ds.auto_instruction). */
enum rc_code intake_ds_instruct(const struct cfg *cfg, const char *token,
    const char *node_id, long long number, int *retry_after,
    struct rc_err *err);

#endif /* RC_CONNECTOR_INTAKE_INTAKE_RUN_H */
