/* SPDX-License-Identifier: MIT */
/*
 * The report: what raccord found about one dossier, and why.
 *
 * A report holds one section per claimed integration (kind
 * "franceconnect" or "api"), each a list of checks with a stable id, a
 * status, a required flag and a detail sentence a collectivité can act
 * on; and the exchanges (HTTP evidence) those checks cite by index.
 *
 * Verdict rules (shared/DESIGN.md §3): a section is "verified" iff every
 * required check passes; "failed" when a required check failed; otherwise
 * (a required check could not run: network, timeout) "inconclusive",
 * which never awards.  A definite failure outranks an inconclusive check:
 * one refused rule is enough to refuse, whatever the network did.
 */
#ifndef RC_VERIFIER_REPORT_H
#define RC_VERIFIER_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "common/err.h"

#define REPORT_VERSION 1

struct probe_res;
struct report;
struct report_section;

enum check_status {
	CHECK_PASS,
	CHECK_WARN,
	CHECK_FAIL,
	CHECK_SKIP,
	CHECK_ERROR,
	CHECK__MAX
};

enum verdict {
	VERDICT_VERIFIED,
	VERDICT_FAILED,
	VERDICT_INCONCLUSIVE,
	VERDICT__MAX
};

/* A new, empty report (NULL on ENOMEM); caller frees it. */
struct report *report_new(const char *dossier_id);
void report_free(struct report *rep);

/*
 * Record one exchange as evidence (secrets redacted: only res->url_redacted
 * and digests are kept).  Returns its index, or -1 on ENOMEM.
 */
int report_exchange_add(struct report *rep, const struct probe_res *res);

/*
 * Add a section for one integration.  kind is "franceconnect" or "api";
 * label names it for people ("franceconnect (production)").  Borrowed
 * from rep; NULL on ENOMEM.
 */
struct report_section *report_section_add(struct report *rep, const char *kind,
    const char *label);

/* Attach a free-form string attribute to a section's JSON ("api", ...). */
enum rc_code report_section_set(struct report_section *sec, const char *key,
    const char *value);

/*
 * Record a check.  exch lists nexch exchange indexes (may be NULL/0).
 * Recording the same id twice in one section keeps both.  RC_ENOMEM only.
 */
enum rc_code report_check(struct report_section *sec, const char *id,
    enum check_status st, int required, const int *exch, size_t nexch,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

enum verdict report_section_verdict(const struct report_section *sec);

/*
 * The dossier's overall outcome: failed if any section failed, else
 * inconclusive if any is, else verified (also verified when there is no
 * section, which callers treat as bad input before it gets here).
 */
enum verdict report_verdict(const struct report *rep);

size_t report_section_count(const struct report *rep);
const struct report_section *report_section_get(const struct report *rep,
    size_t i);
const char *report_section_kind(const struct report_section *sec);

/*
 * Status of the first check with that id in sec, or CHECK__MAX when
 * absent; its detail (borrowed) or NULL.
 */
enum check_status report_check_status(const struct report_section *sec,
    const char *id);
const char *report_check_detail(const struct report_section *sec,
    const char *id);

const char *check_status_str(enum check_status st);
const char *verdict_str(enum verdict v);

/* The report as JSON (new reference), or NULL on ENOMEM. */
json_t *report_to_json(const struct report *rep);

/* A readable text rendering for people. */
void report_print_text(const struct report *rep, FILE *f);

#endif /* RC_VERIFIER_REPORT_H */
