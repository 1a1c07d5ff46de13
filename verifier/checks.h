/* SPDX-License-Identifier: MIT */
/*
 * Check families, as the verifier drives them (private to verifier/).
 *
 * verifier_run() makes one struct check_ctx per claimed integration and
 * calls the family's start function; the family submits requests to the
 * shared probe engine and records its checks in ctx->sec from the probe
 * callbacks.  When the family has recorded its last check it calls
 * check_ctx_done(ctx) exactly once.  A start function that returns an
 * error has not called check_ctx_done and submitted nothing.
 */
#ifndef RC_VERIFIER_CHECKS_H
#define RC_VERIFIER_CHECKS_H

#include <time.h>

#include "common/err.h"
#include "verifier/dossier.h"
#include "verifier/probe.h"
#include "verifier/report.h"
#include "verifier/verifier.h"

/* State shared by every check of one verifier_run (caches). */
struct check_run {
	void *fc_cache; /* FranceConnect discovery documents (fc_checks.c) */
	struct verifier_cache *keep; /* kept across runs, or NULL */
	time_t now;                  /* the run's start (opts->now or clock) */
};

/* What verifier_run_cached keeps across runs (verifier.h). */
struct verifier_cache {
	long max_age_s;
	void *fc_keep; /* FranceConnect discovery documents (fc_checks.c) */
};

/* Release what fc_checks kept in cache across runs. */
void fc_checks_keep_free(struct verifier_cache *cache);

struct check_ctx {
	struct check_run *run;
	struct probe *probe;
	const struct verifier_opts *opts;
	const struct dossier *dossier;
	const struct dossier_integration *in;
	struct report *rep;
	struct report_section *sec;
	int pending;  /* families still running for this integration */
	int overdone; /* check_ctx_done calls beyond pending (a bug) */
	void *family; /* the family's own state */
};

/* FranceConnect checks (fc_checks.c). */
enum rc_code fc_checks_start(struct check_ctx *ctx, struct rc_err *err);

/* Release what fc_checks cached in run. */
void fc_checks_run_cleanup(struct check_run *run);

/* National-API checks (api_checks.c). */
enum rc_code api_checks_start(struct check_ctx *ctx, struct rc_err *err);

/*
 * DataPass habilitation check for a FranceConnect integration
 * (fc.habilitation), run beside fc_checks when DataPass is configured;
 * records a skip otherwise (api_checks.c).
 */
enum rc_code fc_habilitation_start(struct check_ctx *ctx, struct rc_err *err);

/*
 * A family reports that it has finished (verifier.c).  Once per family:
 * a further call is logged, marks the section incomplete and fails
 * verifier_run as an internal error.
 */
void check_ctx_done(struct check_ctx *ctx);

#endif /* RC_VERIFIER_CHECKS_H */
