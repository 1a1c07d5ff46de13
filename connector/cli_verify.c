/* SPDX-License-Identifier: MIT */
/*
 * raccord verify DOSSIER.json --ledger DIR --key FILE [--config F]
 *                [--approve-shared-credential SEQ] [--conformance FILE]
 *                [--lang en|fr]
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

#include "common/json.h"
#include "common/mem.h"
#include "connector/award.h"
#include "connector/cli.h"
#include "connector/conf_seal.h"
#include "connector/config.h"
#include "connector/ledger/ledger.h"
#include "connector/payable.h"
#include "connector/pipeline.h"
#include "connector/policy.h"
#include "verifier/catalog.h"
#include "verifier/report.h"

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord verify DOSSIER.json --ledger DIR --key FILE "
	    "[--config F]\n"
	    "                      [--approve-shared-credential SEQ] "
	    "[--conformance REPORT]\n"
	    "                      [--format text|json] [--lang en|fr]\n"
	    "       raccord verify --batch FILE.jsonl --ledger DIR --key "
	    "FILE [--config F]\n"
	    "\n"
	    "Check, then award per policy into the signed ledger, and print "
	    "the receipts.\n"
	    "  --approve-shared-credential SEQ  an instructor approves a "
	    "credential first\n"
	    "        awarded (entry SEQ) to another SIREN, e.g. an "
	    "intercommunal portal\n"
	    "  --conformance REPORT  the dossier's sealed conformance report "
	    "(raccord\n"
	    "        conformance --signed-report), required for FranceConnect "
	    "with\n"
	    "        policy.require_conformance\n"
	    "  --lang en|fr  also show the checks with their explanations, "
	    "as raccord check\n"
	    "exit: 0 awarded or already awarded, 1 failed, refused or held "
	    "for an\n"
	    "      instructor, 2 bad input, 3 inconclusive or internal "
	    "error\n");
}

/* --lang in json: the report, each check with its explanation, as
 * `raccord check --lang --format json`.  0 or -1 (out of memory). */
static int
explained_report(json_t *j, const struct report *rep, int lang)
{
	json_t *o = report_to_json(rep);

	if (o == NULL ||
	    catalog_explain_report_json(o, (enum catalog_lang)lang) != RC_OK) {
		json_decref(o);
		return -1;
	}
	return json_object_set_new(j, "report", o) != 0 ? -1 : 0;
}

/*
 * Award one checked dossier through the code the daemon shares
 * (connector/award.h) and print what happened: text, or one JSON object
 * per line with --format json.  Returns the exit status of that dossier:
 * 0, 1 or 3.
 */
static int
award_one(struct ledger *lg, const struct payable_opts *po,
    const struct pipeline_item *it, int json, int lang)
{
	const struct dossier *d = it->dossier;
	const char *what = it->line ? "batch line" : "dossier";
	struct award_result res;
	struct rc_err err = { 0 };
	enum rc_code rc;
	json_t *j = NULL;

	rc = award_dossier(lg, po, d, it->report, &res, &err);
	if (rc != RC_OK && res.evidence[0] == '\0') {
		fprintf(stderr, "raccord verify: %s %s: %s\n", what,
		    d->dossier_id, err.msg);
		return 3;
	}
	if (json) {
		if ((j = award_result_to_json(&res)) == NULL ||
		    json_object_set_new(j, "dossier_id",
		        json_string(d->dossier_id)) != 0 ||
		    (lang >= 0 && explained_report(j, it->report, lang) != 0) ||
		    json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS) != 0) {
			json_decref(j);
			fprintf(stderr, "raccord verify: out of memory\n");
			return 3;
		}
		fputc('\n', stdout);
		json_decref(j);
	} else {
		/* --lang: the checks as `raccord check --lang` shows them. */
		if (lang >= 0)
			report_print_text_explained(it->report, stdout, 0,
			    lang);
		award_print(lg, d, &res, stdout);
	}
	if (rc != RC_OK)
		fprintf(stderr, "raccord verify: %s %s: nothing awarded: %s\n",
		    what, d->dossier_id, err.msg);
	return res.status;
}

int
cli_verify(int argc, char **argv)
{
	const char *file = NULL, *batch = NULL, *dir = NULL, *key = NULL,
	           *config = NULL, *format = "text", *conformance = NULL;
	char conf_why[400], conf_hash[65];
	json_t *conf_report = NULL;
	struct payable_opts po;
	long long approve = -1;
	char *end;
	struct note_signer *s = NULL;
	struct ledger *lg = NULL;
	struct pipeline pl;
	struct rc_err err = { 0 };
	struct rc_errs errs;
	struct policy p;
	size_t i;
	int status = 0, st, i_arg, inited = 0, json, lang = -1;
	enum catalog_lang lang_v;

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
		else if (i_arg + 1 < argc && strcmp(o, "--conformance") == 0)
			conformance = argv[++i_arg];
		else if (i_arg + 1 < argc && strcmp(o, "--lang") == 0) {
			if (catalog_lang_parse(argv[++i_arg], &lang_v, &err) !=
			    RC_OK) {
				fprintf(stderr, "raccord verify: --lang: %s\n",
				    err.msg);
				return 2;
			}
			lang = (int)lang_v;
		} else if (i_arg + 1 < argc && strcmp(o, "--format") == 0) {
			format = argv[++i_arg];
			if (strcmp(format, "text") != 0 &&
			    strcmp(format, "json") != 0) {
				fprintf(stderr,
				    "raccord verify: --format: \"%s\" is not "
				    "one of text, json\n",
				    format);
				return 2;
			}
		} else if (i_arg + 1 < argc &&
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
	if (conformance != NULL && batch != NULL) {
		fprintf(stderr,
		    "raccord verify: --conformance is the report of one "
		    "dossier: not with --batch\n");
		return 2;
	}
	json = strcmp(format, "json") == 0;
	memset(&pl, 0, sizeof(pl));
	if (conformance != NULL &&
	    rc_json_load_file(conformance, 16 * 1024 * 1024, &conf_report,
	        &err) != RC_OK) {
		fprintf(stderr, "raccord verify: --conformance: %s\n", err.msg);
		return 2;
	}
	rc_errs_init(&errs);
	if (pipeline_init_all(&pl, config, &errs) != RC_OK) {
		pipeline_errs_print(&errs, "raccord verify", stderr);
		status = errs.code == RC_ENOMEM ? 3 : 2;
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
	if (file != NULL && pipeline_add_file(&pl, file, &errs) != RC_OK) {
		pipeline_errs_print(&errs, "raccord verify", stderr);
		status = errs.code == RC_ENOMEM ? 3 : 2;
		goto out;
	}
	if (batch != NULL && pipeline_add_batch(&pl, batch, &err) != RC_OK) {
		status = 2;
		goto out;
	}
	if (pipeline_run(&pl, &err) != RC_OK) {
		status = 3;
		goto out;
	}
	/* One dossier: its conformance report decides for its
	 * FranceConnect forfait under policy.require_conformance. */
	if (conformance != NULL && pl.nitems == 1 &&
	    pl.items[0].dossier != NULL && pl.cfg->require_conformance) {
		po.conformance_fail =
		    conf_seal_judge(lg, s, conf_report, pl.items[0].dossier,
		        po.now, pl.cfg->conformance_max_age_days, conf_hash,
		        conf_why, sizeof(conf_why));
		po.conformance_sha256 =
		    po.conformance_fail == NULL ? conf_hash : NULL;
	}
	for (i = 0; i < pl.nitems; i++) {
		const struct pipeline_item *it = &pl.items[i];

		if (it->dossier == NULL || it->report == NULL) {
			if (json)
				printf("{\"line\":%zu,\"error\":\"refused "
				       "input (details on stderr)\"}\n",
				    it->line);
			else
				printf("line %zu: refused input: %s\n",
				    it->line, it->error ? it->error : "?");
			if (json)
				fprintf(stderr,
				    "raccord verify: line %zu: %s\n", it->line,
				    it->error ? it->error : "?");
			st = 2;
		} else
			st = award_one(lg, &po, it, json, lang);
		/* 2 outranks 3 outranks 1 outranks 0 */
		if (st == 2 || (st == 3 && status != 2) ||
		    (st == 1 && status == 0))
			status = st;
	}
	err.msg[0] = '\0';
out:
	if (err.msg[0])
		fprintf(stderr, "raccord verify: %s\n", err.msg);
	json_decref(conf_report);
	ledger_close(lg);
	note_signer_free(s);
	if (inited)
		pipeline_cleanup(&pl);
	return status;
}
