/* SPDX-License-Identifier: MIT */
/*
 * The path shared by `raccord check`, `raccord verify` and the daemon:
 * configuration → verifier options (with DataPass credentials read from
 * the environment) → dossiers (one file, or a JSONL batch) → verifier_run
 * → one report per dossier.
 */
#ifndef RC_CONNECTOR_PIPELINE_H
#define RC_CONNECTOR_PIPELINE_H

#include <stddef.h>

#include "common/err.h"
#include "connector/config.h"
#include "connector/payable.h"
#include "connector/policy.h"
#include "verifier/dossier.h"
#include "verifier/report.h"
#include "verifier/verifier.h"

/* Longest line of a batch file. */
#define PIPELINE_LINE_MAX DOSSIER_MAX_BYTES
/* Most dossiers in one batch. */
#define PIPELINE_BATCH_MAX 100000

/* One input: a dossier, or the reason its line was refused. */
struct pipeline_item {
	struct dossier *dossier; /* NULL when the input was refused */
	char *error;             /* why (names the line and the JSON path) */
	size_t line;             /* 1-based line in a batch, 0 for a file */
	struct report *report;   /* after pipeline_run */
};

struct pipeline {
	struct cfg *cfg;
	FILE *batch; /* an open batch read chunk by chunk, or NULL */
	char *batch_name;
	size_t batch_line;
	size_t nfailed, nunsure; /* verdicts of chunks already released */
	struct verifier_opts opts;
	char *datapass_secret; /* from the environment; wiped on cleanup */
	struct pipeline_item *items;
	size_t nitems;
	size_t nbad; /* refused inputs */
};

/*
 * Load the config (NULL: defaults) and derive the verifier options.
 * RC_ECONFIG and friends with err naming the problem.
 */
enum rc_code pipeline_init(struct pipeline *pl, const char *config_file,
    struct rc_err *err);

/* The same, with every error of the config file recorded in errs. */
enum rc_code pipeline_init_all(struct pipeline *pl, const char *config_file,
    struct rc_errs *errs);

/*
 * Add one dossier file ("-" reads stdin).  A bad dossier is returned as
 * an error with every input error recorded in errs (dossier_parse_all);
 * RC_ENOMEM likewise.
 */
enum rc_code pipeline_add_file(struct pipeline *pl, const char *file,
    struct rc_errs *errs);

/*
 * Add a dossier built by the caller (raccord check's flags); ownership of
 * d passes to the pipeline, even on failure.  RC_ENOMEM.
 */
enum rc_code pipeline_add_dossier(struct pipeline *pl, struct dossier *d,
    struct rc_err *err);

/*
 * Print the input errors of errs to f, one line each as "prog: message"
 * (redacted: a message may quote the applicant's bytes), then "prog: ...
 * and N more errors" for those past RC_ERRS_KEEP.
 */
void pipeline_errs_print(const struct rc_errs *errs, const char *prog, FILE *f);

/*
 * Add every line of a JSONL batch ("-" reads stdin).  A bad line becomes
 * a refused item (pl->nbad counts them) and does not stop the batch;
 * blank lines are skipped.  RC_ESYS when the file cannot be read,
 * RC_EINVAL when a line is too long or the batch too large.
 */
enum rc_code pipeline_add_batch(struct pipeline *pl, const char *file,
    struct rc_err *err);

/*
 * Open a JSONL batch to read chunk by chunk ("-" is stdin): memory stays
 * bounded by the chunk, whatever the batch size.  RC_ESYS when it cannot
 * be opened.
 */
enum rc_code pipeline_open_batch(struct pipeline *pl, const char *file,
    struct rc_err *err);

/*
 * Release the current items (their verdicts still count in the exit
 * status), then read up to max non-blank lines of the open batch as new
 * items.  *more is 0 once the batch is exhausted.  Errors as
 * pipeline_add_batch.
 */
enum rc_code pipeline_next_chunk(struct pipeline *pl, size_t max, int *more,
    struct rc_err *err);

/* Check every accepted dossier concurrently (verifier_run). */
enum rc_code pipeline_run(struct pipeline *pl, struct rc_err *err);

void pipeline_cleanup(struct pipeline *pl);

/*
 * The award policy of the config (amount, envelope, window) into *p, and
 * the options of the payable verdict into *o (o->policy = p, now given,
 * no approval): the one place `check` and `verify` get them from.
 */
void pipeline_payable_opts(const struct pipeline *pl, struct policy *p,
    time_t now, struct payable_opts *o);

/*
 * The payable verdict of each section of it's report, without a ledger
 * (what `raccord check` shows): added as "payable" to each element of
 * the report JSON's "integrations", or printed one line per section.
 * RC_ENOMEM (RC_EINVAL when the JSON is not it's report).
 */
enum rc_code pipeline_payable_json(const struct pipeline *pl,
    const struct pipeline_item *it, json_t *report_json, struct rc_err *err);
enum rc_code pipeline_payable_text(const struct pipeline *pl,
    const struct pipeline_item *it, FILE *f, struct rc_err *err);

/*
 * Exit status for check/verify: 2 if an input was refused, else 1 if a
 * report failed, else 3 if one is inconclusive, else 0.
 */
int pipeline_exit_status(const struct pipeline *pl);

#endif /* RC_CONNECTOR_PIPELINE_H */
