/* SPDX-License-Identifier: MIT */
/*
 * Awarding one checked dossier (see award.h).  This is the award loop of
 * `raccord verify`, moved here so that the daemon runs the very same
 * code; the messages are those the CLI prints.
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
};

const char *
award_outcome_str(enum award_outcome o)
{
	return (unsigned)o < AWARD__MAX ? outcome_names[o] : "unknown";
}

static enum policy_verdict
pverdict(enum verdict v)
{
	switch (v) {
	case VERDICT_VERIFIED:
		return POLICY_VERIFIED;
	case VERDICT_FAILED:
		return POLICY_FAILED;
	default:
		return POLICY_INCONCLUSIVE;
	}
}

static struct award_line *
add_line(struct award_result *res, enum award_outcome o, enum policy_kind k,
    const char *section_kind, enum verdict v)
{
	struct award_line *l = &res->lines[res->n++];

	memset(l, 0, sizeof(*l));
	l->outcome = o;
	l->kind = k;
	l->verdict = v;
	snprintf(l->section_kind, sizeof(l->section_kind), "%s", section_kind);
	return l;
}

enum rc_code
award_dossier(struct ledger *lg, const struct policy *p, int need_hab,
    const struct dossier *d, const struct report *rep, struct award_result *res,
    struct rc_err *err)
{
	struct ledger_entry_in in[POLICY_KIND__MAX];
	struct award_line *slot[POLICY_KIND__MAX];
	struct policy_decision dec;
	int decided[POLICY_KIND__MAX] = { 0 };
	int any_ok = 0, inconclusive = 0;
	char *js = NULL;
	size_t i, n = 0, nsec;
	uint64_t first;
	enum rc_code rc;
	enum policy_kind k;
	json_t *j;

	memset(res, 0, sizeof(*res));
	res->status = 1;
	/* The report is the evidence: stored first, by content hash. */
	if ((j = report_to_json(rep)) == NULL ||
	    (js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(j);
		res->status = 3;
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	json_decref(j);
	rc = ledger_evidence_put(lg, js, strlen(js), res->evidence, err);
	free(js); /* from json_dumps */
	if (rc != RC_OK) {
		res->status = 3;
		return rc;
	}
	nsec = report_section_count(rep);
	for (i = 0; i < nsec && res->n < DOSSIER_MAX_INTEGRATIONS; i++) {
		const struct report_section *sec = report_section_get(rep, i);
		enum verdict v = report_section_verdict(sec);
		const char *sk = report_section_kind(sec);
		struct award_line *l;

		if (policy_kind_parse(sk, &k) != RC_OK)
			continue;
		/*
		 * Sections follow the dossier's integrations in order.  Only
		 * a production integration earns a forfait: a sandbox one,
		 * however correct, connects no citizen to anything.
		 */
		if (i < d->nintegrations &&
		    d->integrations[i].env != DOSSIER_ENV_PRODUCTION) {
			l = add_line(res, AWARD_REFUSED, k, sk, v);
			snprintf(l->reason, sizeof(l->reason),
			    "%s targets the %s environment; forfaits are paid "
			    "for production integrations only",
			    d->integrations[i].path,
			    dossier_env_str(d->integrations[i].env));
			continue;
		}
		/*
		 * The technical checks prove an integration works, not whose
		 * it is: a portal or a token of someone else would pass them.
		 * A DataPass habilitation for the SIRET ties it to the
		 * collectivité (policy.require_habilitation, default true).
		 */
		if (need_hab && v == VERDICT_VERIFIED &&
		    report_check_status(sec,
		        k == POLICY_KIND_API
		            ? "api.habilitation"
		            : "fc.habilitation") != CHECK_PASS) {
			l = add_line(res, AWARD_REFUSED, k, sk, v);
			snprintf(l->reason, sizeof(l->reason),
			    "verified, but no DataPass habilitation for SIRET "
			    "%s was confirmed (configure datapass.*; "
			    "policy.require_habilitation)",
			    d->collectivite.siret);
			continue;
		}
		if (decided[k]) {
			add_line(res, AWARD_SECOND, k, sk, v);
			continue;
		}
		policy_decide(p, ledger_state(lg), d->collectivite.siren, k,
		    pverdict(v), time(NULL), &dec);
		if (dec.outcome == POLICY_ALREADY) {
			l = add_line(res, AWARD_ALREADY, k, sk, v);
			l->seq = (uint64_t)dec.existing_seq;
			decided[k] = 1;
			any_ok = 1;
			continue;
		}
		if (dec.outcome == POLICY_REFUSE) {
			l = add_line(res, AWARD_REFUSED, k, sk, v);
			snprintf(l->reason, sizeof(l->reason), "%s",
			    dec.reason);
			if (v == VERDICT_VERIFIED)
				decided[k] = 1; /* policy, not the checks */
			if (v == VERDICT_INCONCLUSIVE)
				inconclusive = 1;
			continue;
		}
		decided[k] = 1;
		slot[n] = add_line(res, AWARD_AWARDED, k, sk, v);
		slot[n]->amount_cents = dec.amount_cents;
		memset(&in[n], 0, sizeof(in[n]));
		in[n].op = POLICY_OP_AWARD;
		in[n].kind = k;
		in[n].siren = d->collectivite.siren;
		in[n].siret = d->collectivite.siret;
		in[n].nom = d->collectivite.nom;
		in[n].iban = d->paiement.iban;
		in[n].bic = d->paiement.bic;
		in[n].dossier_id = d->dossier_id;
		in[n].evidence_sha256 = res->evidence;
		in[n].amount_cents = dec.amount_cents;
		n++;
	}
	if (n > 0) {
		rc = ledger_append(lg, in, n, time(NULL), &first, err);
		if (rc != RC_OK) {
			/* Nothing was awarded: say so in the lines too. */
			for (i = 0; i < n; i++) {
				slot[i]->outcome = AWARD_REFUSED;
				snprintf(slot[i]->reason,
				    sizeof(slot[i]->reason),
				    "nothing awarded: %.200s", err->msg);
			}
			res->status = rc == RC_EPOLICY ? 1 : 3;
			return rc;
		}
		for (i = 0; i < n; i++)
			slot[i]->seq = first + i;
		any_ok = 1;
	}
	res->status = any_ok ? 0 : inconclusive ? 3 : 1;
	return RC_OK;
}

void
award_print(const struct ledger *lg, const struct dossier *d,
    const struct award_result *res, FILE *f)
{
	const struct award_line *l;
	char path[4200];
	size_t i;

	fprintf(f, "dossier %s (SIREN %s): evidence %s/evidence/%s.json\n",
	    d->dossier_id, d->collectivite.siren, ledger_dir(lg),
	    res->evidence);
	for (i = 0; i < res->n; i++) {
		l = &res->lines[i];
		switch (l->outcome) {
		case AWARD_REFUSED:
			fprintf(f, "  %s: refused: %s\n",
			    policy_kind_str(l->kind), l->reason);
			break;
		case AWARD_SECOND:
			fprintf(f,
			    "  %s: %s; a second %s integration brings "
			    "nothing more\n",
			    l->section_kind, verdict_str(l->verdict),
			    policy_kind_str(l->kind));
			break;
		case AWARD_ALREADY:
			ledger_receipt_path(lg, l->seq, path, sizeof(path));
			fprintf(f,
			    "  %s: already awarded (entry %llu), receipt "
			    "%s\n",
			    policy_kind_str(l->kind),
			    (unsigned long long)l->seq, path);
			break;
		default:
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
		x = json_pack("{s:s, s:s, s:s, s:s}", "kind",
		    policy_kind_str(l->kind), "section", l->section_kind,
		    "verdict", verdict_str(l->verdict), "outcome",
		    award_outcome_str(l->outcome));
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
		if (l->outcome == AWARD_REFUSED &&
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
	/* The policy refuses a revoke of anything but a standing award. */
	if ((rc = ledger_append(lg, &in, 1, time(NULL), revoke_seq, err)) !=
	    RC_OK)
		goto out;
	snprintf(siren, 10, "%s", e.siren);
out:
	rc_free(line);
	return rc;
}
