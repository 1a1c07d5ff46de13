/* SPDX-License-Identifier: MIT */
/*
 * Awarding one checked dossier: the step `raccord verify` and the daemon
 * share (shared/DESIGN.md §2, data flow: report -> policy_decide(report,
 * ledger state) -> ledger_append).
 *
 * The report is stored first as evidence (by content hash), then each
 * section is judged by connector/payable.h (the verdict `raccord check`
 * prints: production only, the DataPass habilitation when required, one
 * forfait per kind, one credential per SIREN, the policy); the awards of
 * the dossier are
 * appended as one signed batch (ledger_append: lock, recover, policy,
 * append, fsync, sign, checkpoint, receipts).  Idempotent: awarding the
 * same dossier again finds its entries (POLICY_ALREADY).
 */
#ifndef RC_CONNECTOR_AWARD_H
#define RC_CONNECTOR_AWARD_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/err.h"
#include "connector/ledger/ledger.h"
#include "connector/payable.h"
#include "connector/policy.h"
#include "verifier/dossier.h"
#include "verifier/report.h"

enum award_outcome {
	AWARD_REFUSED, /* reason says why (environment, habilitation,
	                  policy) */
	AWARD_SECOND,  /* a second integration of a kind already decided */
	AWARD_ALREADY, /* awarded before: seq */
	AWARD_AWARDED, /* appended now: seq, amount_cents */
	AWARD_HELD,    /* credential awarded to another SIREN: an
	                  instructor decides (reason names it) */
	AWARD__MAX
};

/* The decision about one report section. */
struct award_line {
	enum award_outcome outcome;
	enum payable_code code; /* the verdict it follows */
	int kind_known;
	enum policy_kind kind;
	char section_kind[32]; /* the report section's kind */
	enum verdict verdict;  /* of the section */
	uint64_t seq;          /* AWARD_ALREADY, AWARD_AWARDED */
	long long amount_cents;
	char reason[512];      /* AWARD_REFUSED, AWARD_HELD, AWARD_SECOND */
	int no_credential;     /* AWARD_AWARDED without a fingerprint */
	int shared;            /* AWARD_AWARDED on an approved sharing */
	uint64_t shared_seq;   /* the credential's first award */
	char shared_siren[10]; /* and its SIREN */
};

struct award_result {
	char evidence[65]; /* SHA-256 hex of the stored report */
	struct award_line lines[DOSSIER_MAX_INTEGRATIONS];
	size_t n;
	/*
	 * As `raccord verify`'s per-dossier status: 0 something awarded or
	 * already awarded; 1 nothing (checks failed or policy refused); 3
	 * nothing and some check inconclusive.
	 */
	int status;
};

/*
 * Store rep as evidence in lg (opened with a signer) together with each
 * section's payable verdict (payable_dossier with po, against the
 * ledger's state), and append the awards it allows as one signed batch.
 * res is filled in all cases as far as it got (res->evidence is "" when
 * nothing was stored).  RC_OK when res says everything; otherwise the
 * code of the evidence store or of ledger_append (RC_EPOLICY when the
 * policy refused the batch at append time, RC_ELEDGER, RC_ESYS,
 * RC_ENOMEM...), with err saying why and nothing awarded.
 */
enum rc_code award_dossier(struct ledger *lg, const struct payable_opts *po,
    const struct dossier *d, const struct report *rep, struct award_result *res,
    struct rc_err *err);

/*
 * award_dossier for the daemon: each award entry also records
 * requested_by, the name of the token that asked (signed with the entry;
 * NULL: none, as award_dossier).  RC_EINVAL when it is not a valid name
 * (ledger_requester_ok).
 */
enum rc_code award_dossier_by(struct ledger *lg, const struct payable_opts *po,
    const struct dossier *d, const struct report *rep, const char *requested_by,
    struct award_result *res, struct rc_err *err);

/*
 * Print res the way `raccord verify` does: the evidence line, then the
 * refused and already-awarded lines in section order, then the awards
 * with their receipt paths.
 */
void award_print(const struct ledger *lg, const struct dossier *d,
    const struct award_result *res, FILE *f);

/*
 * res as JSON: {"evidence_sha256", "status", "decisions": [{"kind",
 * "section", "verdict", "outcome", "seq", "amount_cents", "reason"}]}.
 * A new reference, or NULL on ENOMEM.
 */
json_t *award_result_to_json(const struct award_result *res);

const char *award_outcome_str(enum award_outcome o);

#define AWARD_REASON_MAX 500

/*
 * Cancel award seq of lg (opened with a signer) with a new revoke entry
 * naming it and a reason (1 to AWARD_REASON_MAX characters, no control
 * character): nothing is ever edited (DESIGN §3).  Signed, checkpointed
 * and receipted like an award; *revoke_seq is the new entry, siren the
 * award's SIREN.  RC_EINVAL (reason, no such entry), RC_EPOLICY (not a
 * standing award: already revoked, or a revoke entry), or the codes of
 * ledger_append.
 */
enum rc_code award_revoke(struct ledger *lg, uint64_t seq, const char *reason,
    uint64_t *revoke_seq, char siren[10], struct rc_err *err);

/* award_revoke recording requested_by in the revoke entry (or NULL). */
enum rc_code award_revoke_by(struct ledger *lg, uint64_t seq,
    const char *reason, const char *requested_by, uint64_t *revoke_seq,
    char siren[10], struct rc_err *err);

#endif /* RC_CONNECTOR_AWARD_H */
