/* SPDX-License-Identifier: MIT */
/*
 * raccord verify DOSSIER.json --ledger DIR --key FILE [--config F]
 *                [--approve-shared-credential SEQ]
 * raccord verify --batch FILE.jsonl --ledger DIR --key FILE [--config F]
 *
 * Check each dossier (connector/pipeline.h: config -> verifier_run), decide
 * per report section with the one payable verdict (connector/payable.h,
 * the same function `raccord check` prints) against the ledger's state,
 * store the report with those verdicts as evidence/<sha256>.json, append
 * the awards of each dossier as one signed batch, and print what was
 * awarded, refused or held for an instructor and why, with the receipt
 * paths.  Each section is linked to its dossier integration by the
 * "integration" attribute the verifier sets, never by position.  Awards
 * record the holder (paiement.titulaire) and the fingerprint of the
 * credential that proved them; a credential first awarded to another SIREN
 * is held until an instructor approves it for this one dossier with
 * --approve-shared-credential SEQ (SEQ: the earlier award named in the
 * refusal), which the entry records.  Idempotent: a dossier verified again
 * gets its existing receipts and nothing is appended.
 *
 * Exit status: 0 every dossier awarded or already awarded; 1 nothing
 * awarded to some dossier because its checks failed, the policy refused
 * or an instructor must decide; 2 bad input (dossier, config, key,
 * ledger, usage); 3 inconclusive checks or an internal error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/mem.h"
#include "connector/cli.h"
#include "connector/config.h"
#include "connector/ledger/ledger.h"
#include "connector/payable.h"
#include "connector/pipeline.h"
#include "connector/policy.h"
#include "verifier/report.h"

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord verify DOSSIER.json --ledger DIR --key FILE "
	    "[--config F]\n"
	    "                      [--approve-shared-credential SEQ]\n"
	    "       raccord verify --batch FILE.jsonl --ledger DIR --key "
	    "FILE [--config F]\n"
	    "\n"
	    "Check, then award per policy into the signed ledger, and print "
	    "the receipts.\n"
	    "  --approve-shared-credential SEQ  an instructor approves a "
	    "credential first\n"
	    "        awarded (entry SEQ) to another SIREN, e.g. an "
	    "intercommunal portal\n"
	    "exit: 0 awarded or already awarded, 1 failed, refused or held "
	    "for an\n"
	    "      instructor, 2 bad input, 3 inconclusive or internal "
	    "error\n");
}

/* Outcome of one dossier, for the exit status: 0, 1, 2 or 3. */
static int
award_dossier(struct ledger *lg, const struct payable_opts *po,
    const struct pipeline_item *it)
{
	const struct dossier *d = it->dossier;
	struct ledger_entry_in in[POLICY_KIND__MAX];
	struct payable *pay = NULL;
	struct rc_err err = { 0 };
	const char *what = it->line ? "batch line" : "dossier";
	char ev[65], path[4200], *js = NULL;
	size_t i, n = 0, nsec = report_section_count(it->report);
	uint64_t first;
	json_t *j = NULL;
	int status = 1, any_ok = 0, inconclusive = 0, internal = 0;

	/*
	 * One verdict per section, by the same function as `raccord check`
	 * (connector/payable.h), against the ledger's state.  Each section
	 * names its integration explicitly; nothing assumes section i is
	 * integration i.
	 */
	if ((pay = rc_calloc(nsec ? nsec : 1, sizeof(*pay))) == NULL ||
	    payable_dossier(d, it->report, po, ledger_state(lg), pay, &err) !=
	        RC_OK) {
		rc_free(pay);
		fprintf(stderr, "raccord verify: out of memory\n");
		return 3;
	}
	/* The report, with those verdicts, is the evidence: stored first,
	 * by content hash. */
	if ((j = report_to_json(it->report)) == NULL ||
	    payable_annotate(j, pay, nsec, &err) != RC_OK ||
	    (js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(j);
		rc_free(pay);
		fprintf(stderr,
		    "raccord verify: cannot build the evidence%s%s\n",
		    err.msg[0] ? ": " : "", err.msg);
		return 3;
	}
	json_decref(j);
	if (ledger_evidence_put(lg, js, strlen(js), ev, &err) != RC_OK) {
		free(js);
		rc_free(pay);
		fprintf(stderr,
		    "raccord verify: %s: cannot store evidence: %s\n",
		    d->dossier_id, err.msg);
		return 3;
	}
	free(js);
	printf("dossier %s (SIREN %s): evidence %s/evidence/%s.json\n",
	    d->dossier_id, d->collectivite.siren, ledger_dir(lg), ev);
	for (i = 0; i < nsec; i++) {
		const struct payable *p = &pay[i];
		const char *kind =
		    p->kind_known ? policy_kind_str(p->kind) : "?";

		switch (p->code) {
		case PAYABLE_YES:
			break;
		case PAYABLE_ALREADY:
			ledger_receipt_path(lg, (uint64_t)p->seq, path,
			    sizeof(path));
			printf("  %s: already awarded (entry %lld), receipt "
			       "%s\n",
			    kind, (long long)p->seq, path);
			any_ok = 1;
			continue;
		case PAYABLE_CREDENTIAL_CONFLICT:
			printf("  %s: HELD for an instructor: %s\n", kind,
			    p->reason);
			continue;
		case PAYABLE_UNLINKED:
			printf("  %s: refused: %s\n", kind, p->reason);
			internal = 1;
			continue;
		case PAYABLE_INCONCLUSIVE:
			inconclusive = 1;
			printf("  %s: refused: %s\n", kind, p->reason);
			continue;
		default:
			printf("  %s: refused: %s\n", kind, p->reason);
			continue;
		}
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
		in[n].evidence_sha256 = ev;
		in[n].amount_cents = p->amount_cents;
		if (p->credential_sha256[0] != '\0')
			in[n].credential_sha256 = p->credential_sha256;
		else
			printf("  %s: note: no credential fingerprint is "
			       "known (no token was checked): the award "
			       "records none and the one-credential rule "
			       "cannot apply to it\n",
			    kind);
		if (p->seq >= 0) {
			in[n].has_shared_with = 1;
			in[n].shared_with = (uint64_t)p->seq;
			printf("  %s: credential shared with SIREN %s (entry "
			       "%lld), approved by the instructor\n",
			    kind, p->conflict_siren, (long long)p->seq);
		}
		n++;
		if (n == POLICY_KIND__MAX)
			break; /* one per kind: payable_dossier ensures it */
	}
	if (n > 0) {
		if (ledger_append(lg, in, n, po->now, &first, &err) != RC_OK) {
			fprintf(stderr,
			    "raccord verify: %s %s: nothing "
			    "awarded: %s\n",
			    what, d->dossier_id, err.msg);
			rc_free(pay);
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
	rc_free(pay);
	if (internal)
		status = 3;
	else if (any_ok)
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
	struct payable_opts po;
	long long approve = -1;
	char *end;
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
		else if (i_arg + 1 < argc &&
		    strcmp(o, "--approve-shared-credential") == 0) {
			errno = 0;
			approve = strtoll(argv[++i_arg], &end, 10);
			if (errno != 0 || end == argv[i_arg] || *end != '\0' ||
			    approve < 0) {
				fprintf(stderr,
				    "raccord verify: "
				    "--approve-shared-credential: \"%s\" is "
				    "not an entry number\n",
				    argv[i_arg]);
				return 2;
			}
		} else if (o[0] != '-' && file == NULL)
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
	if (approve >= 0 && batch != NULL) {
		fprintf(stderr,
		    "raccord verify: --approve-shared-credential is an "
		    "instructor's decision about one dossier: not with "
		    "--batch\n");
		return 2;
	}
	memset(&pl, 0, sizeof(pl));
	if (pipeline_init(&pl, config, &err) != RC_OK) {
		status = 2;
		goto out;
	}
	inited = 1;
	pipeline_payable_opts(&pl, &p, time(NULL), &po);
	po.approve_seq = approve;
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
			st = award_dossier(lg, &po, it);
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
