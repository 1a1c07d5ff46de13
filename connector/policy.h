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
 * - One credential, one collectivité (issue 8): an award may carry the
 *   fingerprint of the credential that proved it (SHA-256 of an API token,
 *   or of the canonical FranceConnect client string, docs/ledger.md).  The
 *   same fingerprint already awarded to another SIREN is not awarded
 *   automatically (POLICY_HOLD names the earlier award): an instructor
 *   approves it explicitly, and the award then records the seq of that
 *   earlier award ("credential_shared_with").
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
	POLICY_HOLD,    /* credential of another SIREN: an instructor decides
	                   (d->conflict_seq, d->conflict_siren) */
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
	/* awards, optional (zero-initialised: none) */
	const char *credential_sha256; /* 64 lowercase hex, or NULL */
	int has_shared_with;           /* approved sharing with... */
	uint64_t shared_with;          /* ...the award of this seq */
};

struct policy_decision {
	enum policy_outcome outcome;
	long long amount_cents;
	int64_t existing_seq; /* POLICY_ALREADY; -1 otherwise */
	int64_t conflict_seq; /* POLICY_HOLD, or an approved share; -1 */
	char conflict_siren[10];
	char reason[320];
};

/* The first award of each credential fingerprint (policy.c). */
struct policy_cred;

/* Ledger state: live awards per SIREN, and their total. Caller-owned. */
struct policy_state {
	struct policy_slot *slots; /* open addressing on the SIREN number */
	size_t cap, used;
	long long live_cents;
	uint64_t awards, revokes;
	struct policy_cred *creds; /* open addressing on the fingerprint */
	size_t ccap, cused;
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
 * policy_decide, plus the credential rule: cred is the fingerprint of the
 * credential that proved the integration (64 lowercase hex) or NULL (none
 * known: the rule cannot apply).  When it was first awarded to another
 * SIREN, the outcome is POLICY_HOLD naming that award, unless approve_seq
 * (>= 0) is exactly its seq: then POLICY_AWARD with d->conflict_seq set,
 * to be recorded in the entry.  approve_seq < 0: no approval.
 */
void policy_decide_cred(const struct policy *p, const struct policy_state *st,
    const char *siren, enum policy_kind kind, enum policy_verdict v, time_t now,
    const char *cred, int64_t approve_seq, struct policy_decision *d);

/*
 * The first award of fingerprint cred (64 hex): its seq and SIREN (into
 * siren[10]), or -1 when the ledger never awarded it.
 */
int64_t policy_state_cred(const struct policy_state *st, const char *cred,
    char siren[10]);

/* 1 when s is 64 lowercase hex digits. */
int policy_hex64(const char *s);

/*
 * Check that e may follow the entries already applied, then apply it.
 * Rules: a valid SIREN; an award of exactly p->amount_cents, no live
 * award of that kind for that SIREN, within the envelope; a revoke that
 * names the live award of that SIREN and kind; an award whose credential
 * was first awarded to another SIREN only with shared_with naming exactly
 * that first award (an instructor's approval), and shared_with only then.
 * RC_EPOLICY (reason in
 * err, state unchanged) when it breaks one; RC_ENOMEM.  The window is not
 * checked here: it bounds new decisions, not the history.
 */
enum rc_code policy_state_apply(const struct policy *p, struct policy_state *st,
    const struct policy_entry *e, struct rc_err *err);

#endif /* RC_CONNECTOR_POLICY_H */
