/* SPDX-License-Identifier: MIT */
/*
 * raccord verify DOSSIER.json --ledger DIR --key FILE [--config F]
 *                [--batch FILE.jsonl]
 *
 * Check each dossier (connector/pipeline.h: config -> verifier_run), store
 * each report as evidence/<sha256>.json, decide per integration with the
 * policy (connector/policy.h), append the awards of each dossier as one
 * signed batch, and print what was awarded, refused and why, with the
 * receipt paths.  Idempotent: a dossier verified again gets its existing
 * receipts and nothing is appended.
 *
 * Exit status: 0 every dossier awarded or already awarded; 1 nothing
 * awarded to some dossier because its checks failed (or the policy
 * refused); 2 bad input (dossier, config, key, ledger); 3 inconclusive
 * checks or an internal error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/mem.h"
#include "connector/cli.h"
#include "connector/config.h"
#include "connector/ledger/ledger.h"
#include "connector/pipeline.h"
#include "connector/policy.h"
#include "verifier/report.h"

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord verify DOSSIER.json --ledger DIR --key FILE "
	    "[--config F]\n"
	    "       raccord verify --batch FILE.jsonl --ledger DIR --key "
	    "FILE [--config F]\n");
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

/* Outcome of one dossier, for the exit status: 0, 1, 2 or 3. */
static int
award_dossier(struct ledger *lg, const struct policy *p, int need_hab,
    const struct pipeline_item *it)
{
	const struct dossier *d = it->dossier;
	struct ledger_entry_in in[POLICY_KIND__MAX];
	struct policy_decision dec;
	struct rc_err err = { 0 };
	const char *what = it->line ? "batch line" : "dossier";
	int decided[POLICY_KIND__MAX] = { 0 };
	char ev[65], path[4200], *js = NULL;
	size_t i, n = 0, nsec;
	uint64_t first;
	json_t *j;
	int status = 1, any_ok = 0, inconclusive = 0;
	enum policy_kind k;

	/* The report is the evidence: stored first, by content hash. */
	if ((j = report_to_json(it->report)) == NULL ||
	    (js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(j);
		fprintf(stderr, "raccord verify: out of memory\n");
		return 3;
	}
	json_decref(j);
	if (ledger_evidence_put(lg, js, strlen(js), ev, &err) != RC_OK) {
		free(js);
		fprintf(stderr,
		    "raccord verify: %s: cannot store evidence: %s\n",
		    d->dossier_id, err.msg);
		return 3;
	}
	free(js);
	printf("dossier %s (SIREN %s): evidence %s/evidence/%s.json\n",
	    d->dossier_id, d->collectivite.siren, ledger_dir(lg), ev);
	nsec = report_section_count(it->report);
	for (i = 0; i < nsec; i++) {
		const struct report_section *sec =
		    report_section_get(it->report, i);
		enum verdict v = report_section_verdict(sec);

		if (policy_kind_parse(report_section_kind(sec), &k) != RC_OK)
			continue;
		/*
		 * Sections follow the dossier's integrations in order.  Only
		 * a production integration earns a forfait: a sandbox one,
		 * however correct, connects no citizen to anything.
		 */
		if (i < d->nintegrations &&
		    d->integrations[i].env != DOSSIER_ENV_PRODUCTION) {
			printf("  %s: refused: %s targets the %s environment; "
			       "forfaits are paid for production integrations "
			       "only\n",
			    policy_kind_str(k), d->integrations[i].path,
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
			printf("  %s: refused: verified, but no DataPass "
			       "habilitation for SIRET %s was confirmed "
			       "(configure datapass.*; policy."
			       "require_habilitation)\n",
			    policy_kind_str(k), d->collectivite.siret);
			continue;
		}
		if (decided[k]) {
			printf("  %s: %s; a second %s integration brings "
			       "nothing more\n",
			    report_section_kind(sec), verdict_str(v),
			    policy_kind_str(k));
			continue;
		}
		policy_decide(p, ledger_state(lg), d->collectivite.siren, k,
		    pverdict(v), time(NULL), &dec);
		if (dec.outcome == POLICY_ALREADY) {
			ledger_receipt_path(lg, (uint64_t)dec.existing_seq,
			    path, sizeof(path));
			printf("  %s: already awarded (entry %lld), receipt "
			       "%s\n",
			    policy_kind_str(k), (long long)dec.existing_seq,
			    path);
			decided[k] = 1;
			any_ok = 1;
			continue;
		}
		if (dec.outcome == POLICY_REFUSE) {
			printf("  %s: refused: %s\n", policy_kind_str(k),
			    dec.reason);
			if (v == VERDICT_VERIFIED)
				decided[k] = 1; /* policy, not the checks */
			if (v == VERDICT_INCONCLUSIVE)
				inconclusive = 1;
			continue;
		}
		decided[k] = 1;
		memset(&in[n], 0, sizeof(in[n]));
		in[n].op = POLICY_OP_AWARD;
		in[n].kind = k;
		in[n].siren = d->collectivite.siren;
		in[n].siret = d->collectivite.siret;
		in[n].nom = d->collectivite.nom;
		in[n].iban = d->paiement.iban;
		in[n].bic = d->paiement.bic;
		in[n].dossier_id = d->dossier_id;
		in[n].evidence_sha256 = ev;
		in[n].amount_cents = dec.amount_cents;
		n++;
	}
	if (n > 0) {
		if (ledger_append(lg, in, n, time(NULL), &first, &err) !=
		    RC_OK) {
			fprintf(stderr,
			    "raccord verify: %s %s: nothing "
			    "awarded: %s\n",
			    what, d->dossier_id, err.msg);
			return err.code == RC_EPOLICY ? 1 : 3;
		}
		for (i = 0; i < n; i++) {
			ledger_receipt_path(lg, first + i, path, sizeof(path));
			printf("  %s: AWARDED %lld,%02lld EUR (entry %llu), "
			       "receipt %s\n",
			    policy_kind_str(in[i].kind),
			    in[i].amount_cents / 100, in[i].amount_cents % 100,
			    (unsigned long long)(first + i), path);
		}
		any_ok = 1;
	}
	if (any_ok)
		status = 0;
	else if (inconclusive)
		status = 3;
	return status;
}

int
cli_verify(int argc, char **argv)
{
	const char *file = NULL, *batch = NULL, *dir = NULL, *key = NULL,
	           *config = NULL;
	struct note_signer *s = NULL;
	struct ledger *lg = NULL;
	struct pipeline pl;
	struct rc_err err = { 0 };
	struct policy p;
	size_t i;
	int status = 0, st, i_arg, inited = 0;

	for (i_arg = 1; i_arg < argc; i_arg++) {
		const char *o = argv[i_arg];

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			verify_usage(stdout);
			return 0;
		}
		if (i_arg + 1 < argc && strcmp(o, "--ledger") == 0)
			dir = argv[++i_arg];
		else if (i_arg + 1 < argc && strcmp(o, "--key") == 0)
			key = argv[++i_arg];
		else if (i_arg + 1 < argc && strcmp(o, "--config") == 0)
			config = argv[++i_arg];
		else if (i_arg + 1 < argc && strcmp(o, "--batch") == 0)
			batch = argv[++i_arg];
		else if (o[0] != '-' && file == NULL)
			file = o;
		else {
			fprintf(stderr, "raccord verify: unexpected \"%s\"\n",
			    o);
			verify_usage(stderr);
			return 2;
		}
	}
	if ((file == NULL) == (batch == NULL) || dir == NULL || key == NULL) {
		verify_usage(stderr);
		return 2;
	}
	memset(&pl, 0, sizeof(pl));
	if (pipeline_init(&pl, config, &err) != RC_OK) {
		status = 2;
		goto out;
	}
	inited = 1;
	policy_defaults(&p);
	p.amount_cents = pl.cfg->amount_cents;
	p.envelope_cents = pl.cfg->envelope_cents;
	p.window_start = pl.cfg->window_start_t;
	p.window_end = pl.cfg->window_end_t;
	/* Key and ledger before any probing: bad input fails fast. */
	if (ledger_signer_for(dir, key, &s, &err) != RC_OK ||
	    ledger_open(dir, s, NULL, &p, LEDGER_LOCK_WAIT_MS, &lg, &err) !=
	        RC_OK) {
		status = err.code == RC_ENOMEM ? 3 : 2;
		goto out;
	}
	if ((file ? pipeline_add_file(&pl, file, &err)
	          : pipeline_add_batch(&pl, batch, &err)) != RC_OK) {
		status = 2;
		goto out;
	}
	if (pipeline_run(&pl, &err) != RC_OK) {
		status = 3;
		goto out;
	}
	for (i = 0; i < pl.nitems; i++) {
		const struct pipeline_item *it = &pl.items[i];

		if (it->dossier == NULL || it->report == NULL) {
			printf("line %zu: refused input: %s\n", it->line,
			    it->error ? it->error : "?");
			st = 2;
		} else
			st = award_dossier(lg, &p, pl.cfg->require_habilitation,
			    it);
		/* 2 outranks 3 outranks 1 outranks 0 */
		if (st == 2 || (st == 3 && status != 2) ||
		    (st == 1 && status == 0))
			status = st;
	}
	err.msg[0] = '\0';
out:
	if (err.msg[0])
		fprintf(stderr, "raccord verify: %s\n", err.msg);
	ledger_close(lg);
	note_signer_free(s);
	if (inited)
		pipeline_cleanup(&pl);
	return status;
}
