/* SPDX-License-Identifier: MIT */
/*
 * Awarding one checked dossier (see award.h): the award loop of
 * `raccord verify` and of the daemon, on the payable verdict that
 * `raccord check` prints (connector/payable.h), so that the three never
 * disagree; the messages are those the CLI prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/mem.h"
#include "connector/award.h"

static const char *const outcome_names[AWARD__MAX] = {
	[AWARD_REFUSED] = "refused",
	[AWARD_SECOND] = "second",
	[AWARD_ALREADY] = "already",
	[AWARD_AWARDED] = "awarded",
	[AWARD_HELD] = "held",
};

const char *
award_outcome_str(enum award_outcome o)
{
	return (unsigned)o < AWARD__MAX ? outcome_names[o] : "unknown";
}

static enum award_outcome
outcome_of(enum payable_code c)
{
	switch (c) {
	case PAYABLE_YES:
		return AWARD_AWARDED;
	case PAYABLE_ALREADY:
		return AWARD_ALREADY;
	case PAYABLE_SECOND_OF_KIND:
		return AWARD_SECOND;
	case PAYABLE_CREDENTIAL_CONFLICT:
		return AWARD_HELD;
	default:
		return AWARD_REFUSED;
	}
}

/* One line per report section, from its payable verdict. */
static void
fill_line(struct award_line *l, const struct payable *p,
    const struct report_section *sec)
{
	memset(l, 0, sizeof(*l));
	l->outcome = outcome_of(p->code);
	l->code = p->code;
	l->kind_known = p->kind_known;
	l->kind = p->kind;
	l->verdict = report_section_verdict(sec);
	snprintf(l->section_kind, sizeof(l->section_kind), "%s",
	    report_section_kind(sec));
	l->seq = p->seq >= 0 ? (uint64_t)p->seq : 0;
	l->amount_cents = p->amount_cents;
	snprintf(l->reason, sizeof(l->reason), "%s", p->reason);
	if (p->code == PAYABLE_YES) {
		l->no_credential = p->credential_sha256[0] == '\0';
		if (p->seq >= 0) {
			l->shared = 1;
			l->shared_seq = (uint64_t)p->seq;
			snprintf(l->shared_siren, sizeof(l->shared_siren), "%s",
			    p->conflict_siren);
		}
	}
}

/* The stored evidence: the report with each section's verdict. */
static enum rc_code
store_evidence(struct ledger *lg, const struct report *rep,
    const struct payable *pay, size_t n, char ev[65], struct rc_err *err)
{
	json_t *j;
	char *js = NULL;
	enum rc_code rc;

	if ((j = report_to_json(rep)) == NULL ||
	    (rc = payable_annotate(j, pay, n, err)) != RC_OK ||
	    (js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(j);
		return RC_ERR(err, RC_ENOMEM, "cannot build the evidence");
	}
	json_decref(j);
	rc = ledger_evidence_put(lg, js, strlen(js), ev, err);
	free(js);
	return rc;
}

enum rc_code
award_dossier(struct ledger *lg, const struct payable_opts *po,
    const struct dossier *d, const struct report *rep, struct award_result *res,
    struct rc_err *err)
{
	return award_dossier_by(lg, po, d, rep, NULL, res, err);
}

enum rc_code
award_dossier_by(struct ledger *lg, const struct payable_opts *po,
    const struct dossier *d, const struct report *rep, const char *requested_by,
    struct award_result *res, struct rc_err *err)
{
	struct ledger_entry_in in[POLICY_KIND__MAX];
	size_t line_of[POLICY_KIND__MAX];
	struct payable *pay = NULL;
	size_t i, n = 0, nsec = report_section_count(rep);
	uint64_t first;
	int any_ok = 0, inconclusive = 0, internal = 0;
	enum rc_code rc;

	memset(res, 0, sizeof(*res));
	res->status = 3;
	if (nsec > DOSSIER_MAX_INTEGRATIONS)
		return RC_ERR(err, RC_EINVAL,
		    "the report has %zu sections, more than a dossier's %d "
		    "integrations",
		    nsec, DOSSIER_MAX_INTEGRATIONS);
	/*
	 * One verdict per section, by the same function as `raccord check`
	 * (connector/payable.h), against the ledger's state.  Each section
	 * names its integration explicitly; nothing assumes section i is
	 * integration i.
	 */
	if ((pay = rc_calloc(nsec ? nsec : 1, sizeof(*pay))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = payable_dossier(d, rep, po, ledger_state(lg), pay, err)) !=
	    RC_OK)
		goto out;
	/* The report, with those verdicts, is the evidence: stored first,
	 * by content hash. */
	if ((rc = store_evidence(lg, rep, pay, nsec, res->evidence, err)) !=
	    RC_OK) {
		res->evidence[0] = '\0';
		goto out;
	}
	for (i = 0; i < nsec; i++) {
		const struct payable *p = &pay[i];

		fill_line(&res->lines[res->n++], p, report_section_get(rep, i));
		if (p->code == PAYABLE_ALREADY)
			any_ok = 1;
		else if (p->code == PAYABLE_UNLINKED)
			internal = 1;
		else if (p->code == PAYABLE_INCONCLUSIVE)
			inconclusive = 1;
		if (p->code != PAYABLE_YES || n == POLICY_KIND__MAX)
			continue; /* one per kind: payable_dossier ensures it */
		memset(&in[n], 0, sizeof(in[n]));
		in[n].op = POLICY_OP_AWARD;
		in[n].kind = p->kind;
		in[n].siren = d->collectivite.siren;
		in[n].siret = d->collectivite.siret;
		in[n].nom = d->collectivite.nom;
		in[n].titulaire = d->paiement.titulaire;
		in[n].iban = d->paiement.iban;
		in[n].bic = d->paiement.bic;
		in[n].dossier_id = d->dossier_id;
		in[n].evidence_sha256 = res->evidence;
		in[n].amount_cents = p->amount_cents;
		in[n].requested_by = requested_by;
		if (p->credential_sha256[0] != '\0')
			in[n].credential_sha256 = p->credential_sha256;
		if (p->kind == POLICY_KIND_FRANCECONNECT &&
		    po->conformance_fail == NULL)
			in[n].conformance_sha256 = po->conformance_sha256;
		if (p->seq >= 0) {
			in[n].has_shared_with = 1;
			in[n].shared_with = (uint64_t)p->seq;
		}
		line_of[n++] = res->n - 1;
	}
	if (n > 0) {
		if ((rc = ledger_append(lg, in, n, po->now, &first, err)) !=
		    RC_OK) {
			for (i = 0; i < n; i++) {
				struct award_line *l = &res->lines[line_of[i]];

				l->outcome = AWARD_REFUSED;
				snprintf(l->reason, sizeof(l->reason),
				    "nothing awarded: %.400s", err->msg);
			}
			res->status = rc == RC_EPOLICY ? 1 : 3;
			goto out;
		}
		for (i = 0; i < n; i++)
			res->lines[line_of[i]].seq = first + i;
		any_ok = 1;
	}
	res->status = internal ? 3 : any_ok ? 0 : inconclusive ? 3 : 1;
	rc = RC_OK;
out:
	rc_free(pay);
	return rc;
}

void
award_print(const struct ledger *lg, const struct dossier *d,
    const struct award_result *res, FILE *f)
{
	const struct award_line *l;
	const char *kind;
	char path[4200];
	size_t i;

	fprintf(f, "dossier %s (SIREN %s): evidence %s/evidence/%s.json\n",
	    d->dossier_id, d->collectivite.siren, ledger_dir(lg),
	    res->evidence);
	for (i = 0; i < res->n; i++) {
		l = &res->lines[i];
		kind = l->kind_known ? policy_kind_str(l->kind) : "?";
		switch (l->outcome) {
		case AWARD_ALREADY:
			ledger_receipt_path(lg, l->seq, path, sizeof(path));
			fprintf(f,
			    "  %s: already awarded (entry %llu), receipt "
			    "%s\n",
			    kind, (unsigned long long)l->seq, path);
			break;
		case AWARD_HELD:
			fprintf(f, "  %s: HELD for an instructor: %s\n", kind,
			    l->reason);
			break;
		case AWARD_AWARDED:
			if (l->no_credential)
				fprintf(f,
				    "  %s: note: no credential fingerprint "
				    "is known (no token was checked): the "
				    "award records none and the "
				    "one-credential rule cannot apply to "
				    "it\n",
				    kind);
			if (l->shared)
				fprintf(f,
				    "  %s: credential shared with SIREN %s "
				    "(entry %llu), approved by the "
				    "instructor\n",
				    kind, l->shared_siren,
				    (unsigned long long)l->shared_seq);
			break;
		default:
			fprintf(f, "  %s: refused: %s\n", kind, l->reason);
			break;
		}
	}
	for (i = 0; i < res->n; i++) {
		l = &res->lines[i];
		if (l->outcome != AWARD_AWARDED)
			continue;
		ledger_receipt_path(lg, l->seq, path, sizeof(path));
		fprintf(f,
		    "  %s: AWARDED %lld,%02lld EUR (entry %llu), receipt %s\n",
		    policy_kind_str(l->kind), l->amount_cents / 100,
		    l->amount_cents % 100, (unsigned long long)l->seq, path);
	}
}

json_t *
award_result_to_json(const struct award_result *res)
{
	json_t *o = NULL, *arr, *x;
	const struct award_line *l;
	size_t i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < res->n; i++) {
		l = &res->lines[i];
		x = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
		    l->kind_known ? policy_kind_str(l->kind) : "?", "section",
		    l->section_kind, "verdict", verdict_str(l->verdict),
		    "outcome", award_outcome_str(l->outcome), "payable",
		    payable_code_str(l->code));
		if (x == NULL)
			goto fail;
		if ((l->outcome == AWARD_ALREADY ||
		        l->outcome == AWARD_AWARDED) &&
		    json_object_set_new(x, "seq",
		        json_integer((json_int_t)l->seq)) != 0)
			goto failx;
		if (l->outcome == AWARD_AWARDED &&
		    json_object_set_new(x, "amount_cents",
		        json_integer(l->amount_cents)) != 0)
			goto failx;
		if (l->outcome != AWARD_AWARDED && l->reason[0] != '\0' &&
		    json_object_set_new(x, "reason", json_string(l->reason)) !=
		        0)
			goto failx;
		if (json_array_append_new(arr, x) != 0)
			goto fail;
		continue;
	failx:
		json_decref(x);
		goto fail;
	}
	o = json_pack("{s:s, s:i, s:o}", "evidence_sha256", res->evidence,
	    "status", res->status, "decisions", arr);
	return o; /* json_pack "o" stole arr, even on failure */
fail:
	json_decref(arr);
	return NULL;
}

enum rc_code
award_revoke(struct ledger *lg, uint64_t seq, const char *reason,
    uint64_t *revoke_seq, char siren[10], struct rc_err *err)
{
	return award_revoke_by(lg, seq, reason, NULL, revoke_seq, siren, err);
}

enum rc_code
award_revoke_by(struct ledger *lg, uint64_t seq, const char *reason,
    const char *requested_by, uint64_t *revoke_seq, char siren[10],
    struct rc_err *err)
{
	struct ledger_entry_in in;
	struct ledger_entry e;
	char *line = NULL;
	size_t len = 0;
	enum rc_code rc;

	siren[0] = '\0';
	if (reason == NULL || reason[0] == '\0' ||
	    strlen(reason) > AWARD_REASON_MAX || rc_str_has_ctrl(reason))
		return RC_ERR(err, RC_EINVAL,
		    "reason: 1 to %d characters without control characters",
		    AWARD_REASON_MAX);
	if (seq >= ledger_size(lg))
		return RC_ERR(err, RC_EINVAL,
		    "%s has no entry %llu (size %llu)", ledger_dir(lg),
		    (unsigned long long)seq,
		    (unsigned long long)ledger_size(lg));
	if ((rc = ledger_entry_line(lg, seq, &line, &len, err)) != RC_OK ||
	    (rc = ledger_entry_parse(line, len, &e, err)) != RC_OK)
		goto out;
	memset(&in, 0, sizeof(in));
	in.op = POLICY_OP_REVOKE;
	in.kind = e.kind;
	in.siren = e.siren;
	in.ref_seq = seq;
	in.reason = reason;
	in.requested_by = requested_by;
	/* The policy refuses a revoke of anything but a standing award. */
	if ((rc = ledger_append(lg, &in, 1, time(NULL), revoke_seq, err)) !=
	    RC_OK)
		goto out;
	snprintf(siren, 10, "%s", e.siren);
out:
	rc_free(line);
	return rc;
}
