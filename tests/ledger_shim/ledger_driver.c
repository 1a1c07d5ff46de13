/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the ledger reliability tests (tests/integration/
 * t_ledger_*.sh build it with cc against the build's libraries).
 *
 *   ledger_driver keygen|ledger|verify ...   the raccord subcommands
 *   ledger_driver append DIR KEY N [BATCH] [START]
 *       append N awards (BATCH per signed checkpoint, default 1) for
 *       distinct synthetic SIRENs numbered from START, printing
 *       "ACK <seq> <receipt>" once each append has returned
 *   ledger_driver open DIR KEY [WAIT_MS]  open for writing (recovery)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"
#include "connector/cli.h"
#include "connector/ledger/ledger.h"
#include "connector/policy.h"

/* Append the Luhn check digit to the n digits in s. */
static void
luhn_complete(char *s, size_t n)
{
	unsigned sum = 0, v, d;
	size_t i;

	for (d = 0; d < 10; d++) {
		s[n] = (char)('0' + d);
		sum = 0;
		for (i = 0; i <= n; i++) {
			v = (unsigned)(s[n - i] - '0');
			if (i % 2 == 1) {
				v *= 2;
				if (v > 9)
					v -= 9;
			}
			sum += v;
		}
		if (sum % 10 == 0)
			break;
	}
	s[n + 1] = '\0';
}

static int
do_append(const char *dir, const char *key, long n, long batch, long start)
{
	struct ledger_entry_in in[64];
	char sirens[64][16], sirets[64][16], ev[65], nom[64], did[64],
	    path[4200], report[256];
	struct note_signer *s = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	uint64_t first;
	long i, j, k;

	if (batch < 1 || batch > 64)
		batch = 1;
	policy_defaults(&p);
	if (ledger_signer_for(dir, key, &s, &err) != RC_OK ||
	    ledger_open(dir, s, NULL, &p, 60000, &lg, &err) != RC_OK) {
		fprintf(stderr, "driver: %s\n", err.msg);
		note_signer_free(s);
		return 2;
	}
	snprintf(report, sizeof(report), "{\"report\":\"synthetic\"}");
	if (ledger_evidence_put(lg, report, strlen(report), ev, &err) !=
	    RC_OK) {
		fprintf(stderr, "driver: %s\n", err.msg);
		return 3;
	}
	for (i = 0; i < n; i += batch) {
		k = n - i < batch ? n - i : batch;
		for (j = 0; j < k; j++) {
			snprintf(sirens[j], sizeof(sirens[j]), "2%07ld",
			    (start + i + j) % 10000000);
			luhn_complete(sirens[j], 8);
			snprintf(sirets[j], sizeof(sirets[j]), "%s0001",
			    sirens[j]);
			luhn_complete(sirets[j], 13);
			memset(&in[j], 0, sizeof(in[j]));
			in[j].op = POLICY_OP_AWARD;
			in[j].kind = POLICY_KIND_API;
			in[j].siren = sirens[j];
			in[j].siret = sirets[j];
			snprintf(nom, sizeof(nom), "Commune %ld", start + i);
			in[j].nom = nom;
			in[j].titulaire = "DRFIP test";
			in[j].iban = "FR7630006000011234567890189";
			in[j].bic = "AGRIFRPP";
			snprintf(did, sizeof(did), "DP-%ld", start + i + j);
			in[j].dossier_id = did;
			in[j].evidence_sha256 = ev;
			in[j].amount_cents = p.amount_cents;
		}
		if (ledger_append(lg, in, (size_t)k, time(NULL), &first,
		        &err) != RC_OK) {
			fprintf(stderr, "driver: append: %s\n", err.msg);
			ledger_close(lg);
			note_signer_free(s);
			return err.code == RC_EPOLICY ? 1 : 3;
		}
		for (j = 0; j < k; j++) {
			ledger_receipt_path(lg, first + (uint64_t)j, path,
			    sizeof(path));
			printf("ACK %llu %s\n",
			    (unsigned long long)first + (unsigned long long)j,
			    path);
		}
		fflush(stdout);
	}
	ledger_close(lg);
	note_signer_free(s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return cli_keygen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ledger") == 0)
		return cli_ledger(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cli_verify(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "append") == 0)
		return do_append(argv[2], argv[3], strtol(argv[4], NULL, 10),
		    argc > 5 ? strtol(argv[5], NULL, 10) : 1,
		    argc > 6 ? strtol(argv[6], NULL, 10) : 0);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "open") == 0) {
		struct note_signer *s = NULL;
		struct ledger *lg = NULL;
		struct rc_err err = { 0 };
		struct policy p;
		int st = 0;

		policy_defaults(&p);
		if (ledger_signer_for(argv[2], argv[3], &s, &err) != RC_OK ||
		    ledger_open(argv[2], s, NULL, &p,
		        argc == 5 ? strtol(argv[4], NULL, 10) : 60000, &lg,
		        &err) != RC_OK) {
			fprintf(stderr, "driver: %s\n", err.msg);
			st = 1;
		}
		ledger_close(lg);
		note_signer_free(s);
		return st;
	}
	fprintf(stderr,
	    "usage: ledger_driver keygen|ledger|verify|append|"
	    "open ...\n");
	return 2;
}
