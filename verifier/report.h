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
 *
 * Every string recorded (ids, details, labels, attributes, every field of
 * an exchange) is passed through rc_redact (common/redact.h) with the
 * report's secrets when it is recorded: a report holds no secret, no
 * control byte and only valid UTF-8, so its JSON always serialises and
 * its text is safe on a terminal.  Exchanges keep only the probe's
 * redacted URL, Location and header values (never url or location).
 *
 * Fail closed: a record that cannot be kept (out of memory) makes its
 * section "incomplete", and an incomplete section is never verified
 * (inconclusive, or failed when a recorded required check failed).  A
 * lost exchange makes every section of the report incomplete, and so does
 * a check the catalogue of checks does not explain (report_check).
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
 * A string to hide from every string recorded after this call (a
 * credential the checks hold: an API token, a client secret), kept in a
 * copy wiped at report_free.  NULL or "" is a no-op.  RC_ENOMEM only.
 */
enum rc_code report_secret_add(struct report *rep, const char *secret);

/*
 * Record one exchange as evidence (secrets redacted: only
 * res->url_redacted, res->location_redacted, the headers' value_redacted
 * and digests are kept).  Returns its index, or -1 on ENOMEM, which makes
 * every section of rep incomplete.
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
 * Recording the same id twice in one section keeps both.  RC_ENOMEM only,
 * and then the section is marked incomplete: callers may ignore the code
 * without turning a lost check into a verdict.
 *
 * id must be in the catalogue of checks (verifier/catalog.h), for a
 * section of the entry's kind, and a check the catalogue marks required
 * or conditional may not fail as advisory: otherwise the check is kept
 * but its section is marked incomplete (never verified) and an internal
 * error is logged.
 */
enum rc_code report_check(struct report_section *sec, const char *id,
    enum check_status st, int required, const int *exch, size_t nexch,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * Mark sec incomplete: something about it could not be recorded.  why is
 * a static string, kept (the first one wins).  NULL sec is a no-op.
 */
void report_section_incomplete(struct report_section *sec, const char *why);

/* Why sec is incomplete (borrowed), or NULL when it is complete. */
const char *report_section_incomplete_why(const struct report_section *sec);

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

/*
 * Log (info level) one line per check with its status, and one line with
 * each section's and the dossier's verdict: the -v trace.
 */
void report_log(const struct report *rep);

/* A readable text rendering for people. */
void report_print_text(const struct report *rep, FILE *f);

/*
 * The same, with the verdicts and statuses in ANSI colours when colour
 * is set (the CLI sets it on a terminal unless NO_COLOR is set).  Every
 * string printed was redacted when recorded: no byte of a site can add
 * an escape sequence of its own.
 */
void report_print_text_colour(const struct report *rep, FILE *f, int colour);

/*
 * The same, with each check's plain explanation from the catalogue of
 * checks (verifier/catalog.h) in lang (an enum catalog_lang) under its
 * English detail, which stays the evidence: the title of every check,
 * and why it matters, how to fix it and its source for a check that
 * failed, warned or could not be judged (not for pass or skip); the
 * verdicts in that language.  lang < 0: exactly
 * report_print_text_colour.
 */
void report_print_text_explained(const struct report *rep, FILE *f, int colour,
    int lang);

#endif /* RC_VERIFIER_REPORT_H */
