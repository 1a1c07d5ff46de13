/* SPDX-License-Identifier: MIT */
/*
 * The award rules (shared/DESIGN.md §4, "Policy"), as pure functions: no
 * I/O, no clock (the caller passes "now").
 *
 * - One forfait of amount_cents (default 500000, €5,000) per verified
 *   kind of integration: "franceconnect" and "api".
 * - At most one live franceconnect award and one live api award per
 *   SIREN, so at most two; a second API brings nothing more.
 * - Idempotent: a SIREN that already holds the award for a kind gets
 *   POLICY_ALREADY with the existing entry's seq, never a second award.
 * - Optional envelope (total of live awards) and date window.
 * - Corrections are revoke entries that name the award they cancel
 *   (ref_seq) and a reason; after a revoke the kind may be awarded again.
 *
 * struct policy_state is what the ledger holds, replayed entry by entry
 * with policy_state_apply(), which also checks every rule: the writer
 * uses it before appending and `ledger verify` to audit the whole log.
 */
#ifndef RC_CONNECTOR_POLICY_H
#define RC_CONNECTOR_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

#define POLICY_AMOUNT_CENTS 500000LL /* €5,000 */

enum policy_kind {
	POLICY_KIND_FRANCECONNECT, /* "franceconnect" */
	POLICY_KIND_API,           /* "api" */
	POLICY_KIND__MAX
};

enum policy_op {
	POLICY_OP_AWARD,  /* "award" */
	POLICY_OP_REVOKE, /* "revoke" */
	POLICY_OP__MAX
};

/* What a check found about one integration. */
enum policy_verdict {
	POLICY_VERIFIED,
	POLICY_FAILED,
	POLICY_INCONCLUSIVE,
	POLICY_VERDICT__MAX
};

enum policy_outcome {
	POLICY_AWARD,   /* append an award of d->amount_cents */
	POLICY_ALREADY, /* already awarded: d->existing_seq */
	POLICY_REFUSE,  /* d->reason says why */
	POLICY_OUTCOME__MAX
};

struct policy {
	long long amount_cents;   /* per award; > 0 */
	long long envelope_cents; /* total of live awards; 0: no cap */
	time_t window_start;      /* awards from then on; 0: no start */
	time_t window_end;        /* awards until then; 0: no end */
};

/* One ledger entry as the policy sees it. */
struct policy_entry {
	enum policy_op op;
	uint64_t seq;
	const char *siren;
	enum policy_kind kind;
	long long amount_cents; /* awards */
	uint64_t ref_seq;       /* revokes */
	time_t time;
};

struct policy_decision {
	enum policy_outcome outcome;
	long long amount_cents;
	int64_t existing_seq; /* POLICY_ALREADY; -1 otherwise */
	char reason[256];
};

/* Ledger state: live awards per SIREN, and their total. Caller-owned. */
struct policy_state {
	struct policy_slot *slots; /* open addressing on the SIREN number */
	size_t cap, used;
	long long live_cents;
	uint64_t awards, revokes;
};

void policy_defaults(struct policy *p);

const char *policy_kind_str(enum policy_kind k);
const char *policy_op_str(enum policy_op op);
/* RC_EINVAL for anything but the exact names above. */
enum rc_code policy_kind_parse(const char *s, enum policy_kind *out);
enum rc_code policy_op_parse(const char *s, enum policy_op *out);

void policy_state_init(struct policy_state *st);
void policy_state_cleanup(struct policy_state *st);

/* seq of the live award of (siren, kind), or -1. */
int64_t policy_state_live(const struct policy_state *st, const char *siren,
    enum policy_kind kind);

/*
 * Decide about one integration of a dossier.  now is checked against the
 * window.  Never fails: the outcome and reason say everything.
 */
void policy_decide(const struct policy *p, const struct policy_state *st,
    const char *siren, enum policy_kind kind, enum policy_verdict v, time_t now,
    struct policy_decision *d);

/*
 * Check that e may follow the entries already applied, then apply it.
 * Rules: a valid SIREN; an award of exactly p->amount_cents, no live
 * award of that kind for that SIREN, within the envelope; a revoke that
 * names the live award of that SIREN and kind.  RC_EPOLICY (reason in
 * err, state unchanged) when it breaks one; RC_ENOMEM.  The window is not
 * checked here: it bounds new decisions, not the history.
 */
enum rc_code policy_state_apply(const struct policy *p, struct policy_state *st,
    const struct policy_entry *e, struct rc_err *err);

#endif /* RC_CONNECTOR_POLICY_H */
