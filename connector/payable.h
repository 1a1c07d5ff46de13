/* SPDX-License-Identifier: MIT */
/*
 * One payable verdict (issue 14 item 3): for each section of a report,
 * would `raccord verify` with this configuration award it, and if not,
 * why.  `raccord check` prints it and `raccord verify` acts on it: both
 * call payable_dossier(), so they cannot disagree silently.
 *
 * Pure: no I/O, no clock (the caller passes "now").  The order of the
 * rules is the one of `raccord verify` (docs/ledger.md "Policy"):
 *   1. the section is linked to one integration of the dossier (by the
 *      "integration" attribute the verifier sets: its JSON path);
 *   2. only production integrations earn a forfait;
 *   3. with policy.require_habilitation, a verified kind needs a passing
 *      DataPass habilitation check (and DataPass must be configured);
 *   4. the first awardable integration of a kind decides for that kind;
 *   5. the policy (connector/policy.h): already awarded, failed,
 *      inconclusive, credential of another SIREN (held for an
 *      instructor), window, envelope.
 * Without a ledger state (check), rule 5 runs against an empty ledger and
 * the reason says that the ledger was not consulted.
 */
#ifndef RC_CONNECTOR_PAYABLE_H
#define RC_CONNECTOR_PAYABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "common/err.h"
#include "connector/policy.h"
#include "verifier/dossier.h"
#include "verifier/report.h"

enum payable_code {
	PAYABLE_YES,                    /* "yes": verify would award it */
	PAYABLE_ALREADY,                /* "already_awarded": p->seq holds it */
	PAYABLE_FAILED,                 /* "checks_failed" */
	PAYABLE_INCONCLUSIVE,           /* "inconclusive": verify again later */
	PAYABLE_SANDBOX,                /* "not_production" */
	PAYABLE_HABILITATION_UNCHECKED, /* "habilitation_not_checked" */
	PAYABLE_NO_HABILITATION,        /* "habilitation_not_confirmed" */
	PAYABLE_SECOND_OF_KIND,         /* "second_of_kind" */
	PAYABLE_CREDENTIAL_CONFLICT,    /* "credential_conflict" */
	PAYABLE_POLICY,                 /* "policy": window, envelope */
	PAYABLE_UNLINKED,               /* "unlinked": internal, fails closed */
	PAYABLE_NO_BANK_DETAILS,        /* "no_bank_details": no paiement */
	PAYABLE_NO_CONFORMANCE,         /* "conformance_not_passed" */
	PAYABLE_NO_LIVE_TOKEN,          /* "token_not_shown" */
	PAYABLE__MAX
};

struct payable_opts {
	const struct policy *policy;
	int require_habilitation; /* policy.require_habilitation */
	int datapass_configured;  /* the verifier could ask DataPass */
	time_t now;
	int64_t approve_seq;     /* --approve-shared-credential, or -1 */
	int require_conformance; /* policy.require_conformance */
	int require_api_token;   /* policy.require_api_token */
	/* Why the dossier's conformance did not pass (borrowed; see
	   payable_conformance), or NULL when it passed. */
	const char *conformance_fail;
	/* The SHA-256 of the sealed conformance report that passed
	   (connector/conf_seal.h), recorded in a FranceConnect award's
	   entry, or NULL. */
	const char *conformance_sha256;
};

/*
 * Judge a report of `raccord conformance` (its JSON, or NULL when none
 * was given) for dossier_id: NULL when it is for that dossier and has a
 * section of kind "conformance" whose verdict is "verified" (the correct
 * login opened a session and every forged one was refused); otherwise a
 * sentence saying why not, in buf (n bytes), which is returned.
 */
const char *payable_conformance(const json_t *report, const char *dossier_id,
    char *buf, size_t n);

/* The verdict about one report section. */
struct payable {
	enum payable_code code;
	int kind_known; /* kind parsed */
	enum policy_kind kind;
	const struct dossier_integration *in; /* borrowed from the dossier */
	long long amount_cents;               /* PAYABLE_YES */
	int64_t seq; /* ALREADY: the award; CONFLICT or an approved share:
	                the earlier award of the credential; else -1 */
	char conflict_siren[10];
	char credential_sha256[65]; /* "" when none is known */
	int ledger_checked;         /* decided against a ledger state */
	char reason[512];
};

const char *payable_code_str(enum payable_code c);

/*
 * The fingerprint of a FranceConnect credential: SHA-256 (lowercase hex)
 * of the canonical string
 *   "raccord-fc-credential-v1\nclient_id=" CLIENT_ID "\nredirect_origin="
 *   ORIGIN "\n"
 * where ORIGIN is the RFC 6454 serialisation of redirect_uri's origin:
 * lower-case scheme "://" lower-case host, then ":" port only when it is
 * not the scheme's default (80, 443).  RC_EINVAL when redirect_uri is not
 * an absolute http(s) URL.
 */
enum rc_code payable_fc_fingerprint(const char *client_id,
    const char *redirect_uri, char hex[65], struct rc_err *err);

/*
 * Decide every section of rep (a report of d), in order, into out[]
 * (report_section_count(rep) entries).  st may be NULL (no ledger).
 * RC_ENOMEM only; every finding is in out[].
 */
enum rc_code payable_dossier(const struct dossier *d, const struct report *rep,
    const struct payable_opts *o, const struct policy_state *st,
    struct payable *out, struct rc_err *err);

/* {"would_award", "code", "reason", ...} (new reference) or NULL. */
json_t *payable_to_json(const struct payable *p);

/*
 * Add "payable" to each element of the report JSON's "integrations"
 * (report_to_json's layout).  RC_ENOMEM, RC_EINVAL when the counts differ.
 */
enum rc_code payable_annotate(json_t *report_json, const struct payable *p,
    size_t n, struct rc_err *err);

/* One line per section, for people. */
void payable_print_text(const struct payable *p, size_t n, FILE *f);

#endif /* RC_CONNECTOR_PAYABLE_H */
