/* SPDX-License-Identifier: MIT */
/*
 * Re-verification of awarded dossiers (issue 9 §6, docs/api.md
 * "Re-verification"): the pure scheduling rules, kept apart from the
 * store and the worker so the unit tests can pin them down.
 *
 * Every job with an award (a decision "awarded" or "already") is re-run
 * every daemon.recheck_interval_s, jittered by up to a tenth of the
 * interval either way so that a batch awarded together does not come
 * back together.  A re-check runs the same worker and verifier as any job
 * (the job goes back to the queue, marked as a re-check) but never awards.
 * Its outcome moves a streak: verified clears it; failed, inconclusive
 * and error (the checks could not run) add one; "needs_token" (nothing
 * left to run without the API credential the daemon never stored) leaves
 * it as it was.  RECHECK_ALERT_STREAK in a row: the job is listed under
 * GET /v1/alerts.  Nothing is ever revoked automatically.
 */
#ifndef RC_CONNECTOR_DAEMON_RECHECK_H
#define RC_CONNECTOR_DAEMON_RECHECK_H

#include <stdint.h>

/* Consecutive failing re-checks that raise an alert. */
#define RECHECK_ALERT_STREAK 3

enum recheck_outcome {
	RECHECK_VERIFIED,
	RECHECK_FAILED,
	RECHECK_INCONCLUSIVE,
	RECHECK_ERROR,       /* the checks could not run */
	RECHECK_NEEDS_TOKEN, /* only API integrations: nothing re-run */
	RECHECK__MAX
};

/* "verified", "failed", "inconclusive", "error", "needs_token". */
const char *recheck_outcome_str(enum recheck_outcome o);

/*
 * When the next re-check is due: from + interval + a jitter in
 * [-interval/10, +interval/10] drawn from rnd (uniform 64 random bits),
 * never before from + 1.  interval >= 1.
 */
long long recheck_next_at(long long from, long long interval, uint64_t rnd);

/* The streak after a re-check with outcome o. */
long long recheck_streak_after(long long streak, enum recheck_outcome o);

/* 1 when a streak is listed under GET /v1/alerts. */
int recheck_alerting(long long streak);

#endif /* RC_CONNECTOR_DAEMON_RECHECK_H */
