/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the ledger reliability tests (tests/integration/
 * t_ledger_*.sh build it with cc against the build's libraries).
 *
 *   ledger_driver keygen|ledger|verify ...   the raccord subcommands
 *   ledger_driver append DIR KEY N [BATCH] [START] [KIND]
 *       append N awards of KIND (api, the default, or franceconnect),
 *       BATCH per signed checkpoint (default 1), for distinct synthetic
 *       SIRENs numbered from START, printing "ACK <seq> <receipt>" once
 *       each append has returned
 *   ledger_driver open DIR KEY [WAIT_MS]  open for writing (recovery)
 *   ledger_driver forge DIR KEY ENTRIES
 *       the dishonest operator: DIR is a ledger just made by `ledger
 *       init` with KEY; write the lines of the file ENTRIES, whatever
 *       they say, as its entries.jsonl, and sign them with KEY as the
 *       honest writer would (checkpoints/<k> for every size k, the
 *       checkpoint, one receipt per entry against checkpoints/<seq+1>),
 *       using the project's own Merkle, checkpoint and note code.  No
 *       policy is applied: the result is a validly signed ledger that
 *       only the business rules of `ledger verify` can refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/ident.h"
#include "common/mem.h"
#include "connector/cli.h"
#include "connector/ledger/ledger.h"
#include "connector/policy.h"

/* Append to the n digits in s the digit that makes them Luhn-valid. */
static void
luhn_complete(char *s, size_t n)
{
	int d;

	for (d = 0; d < 10; d++) {
		s[n] = (char)('0' + d);
		s[n + 1] = '\0';
		if (rc_luhn(s, n + 1))
			break;
	}
}

static int
do_append(const char *dir, const char *key, long n, long batch, long start,
    enum policy_kind kind)
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
			in[j].kind = kind;
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

/*
 * The receipt of entry seq (line, len bytes) against the signed note of
 * the first size entries of t: the layout of ledger.c's receipts.
 */
static enum rc_code
forge_receipt(const struct merkle_tree *t, uint64_t seq, uint64_t size,
    const char *line, size_t len, const char *note, size_t notelen,
    struct rc_buf *b)
{
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	char *b64 = NULL;
	size_t n = 0, i;
	enum rc_code rc;

	if ((rc = merkle_tree_inclusion(t, seq, size, proof, &n)) != RC_OK ||
	    (rc = rc_base64_encode(line, len, &b64)) != RC_OK)
		return rc;
	rc = rc_buf_addf(b, "%s\nextra %s\nindex %llu\n", LEDGER_RECEIPT_HEADER,
	    b64, (unsigned long long)seq);
	for (i = 0; rc == RC_OK && i < n; i++) {
		rc_free(b64);
		b64 = NULL;
		if ((rc = rc_base64_encode(proof + i * MERKLE_HASH_LEN,
		         MERKLE_HASH_LEN, &b64)) == RC_OK)
			rc = rc_buf_addf(b, "%s\n", b64);
	}
	rc_free(b64);
	if (rc == RC_OK)
		rc = rc_buf_adds(b, "\n");
	if (rc == RC_OK)
		rc = rc_buf_add(b, note, notelen);
	return rc;
}

/* Sign size k of t; write checkpoints/<k>, and the receipt of k - 1. */
static enum rc_code
forge_step(const char *dir, const struct note_signer *s,
    const struct merkle_tree *t, uint64_t k, const char *line, size_t len,
    char **note, size_t *notelen, struct rc_err *err)
{
	const struct note_signer *signers[1] = { s };
	struct checkpoint cp;
	struct rc_buf b;
	char path[4200];
	enum rc_code rc;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", s->name);
	cp.size = k;
	rc_free(*note);
	*note = NULL;
	if ((rc = merkle_tree_root(t, k, cp.root)) != RC_OK ||
	    (rc = checkpoint_sign(&cp, signers, 1, note, notelen, err)) !=
	        RC_OK)
		return RC_ERR(err, rc, "cannot sign size %llu",
		    (unsigned long long)k);
	snprintf(path, sizeof(path), "%s/checkpoints/%llu", dir,
	    (unsigned long long)k);
	if ((rc = ledger_write_atomic(path, *note, *notelen, 0644, err)) !=
	    RC_OK)
		return rc;
	rc_buf_init(&b, 1024 * 1024);
	if ((rc = forge_receipt(t, k - 1, k, line, len, *note, *notelen, &b)) ==
	    RC_OK) {
		snprintf(path, sizeof(path), "%s/receipts/%llu.tlog-proof", dir,
		    (unsigned long long)k - 1);
		rc = ledger_write_atomic(path, b.data, b.len, 0644, err);
	} else
		RC_ERR(err, rc, "cannot build receipt %llu",
		    (unsigned long long)k - 1);
	rc_buf_free(&b);
	return rc;
}

static int
do_forge(const char *dir, const char *key, const char *entries)
{
	struct note_signer *s = NULL;
	struct merkle_tree t;
	struct rc_err err = { 0 };
	unsigned char leaf[MERKLE_HASH_LEN];
	char path[4200], *buf = NULL, *note = NULL;
	const char *p, *nl;
	size_t len = 0, notelen = 0;
	enum rc_code rc;

	merkle_tree_init(&t);
	snprintf(path, sizeof(path), "%s/entries.jsonl", dir);
	if ((rc = ledger_signer_for(dir, key, &s, &err)) != RC_OK ||
	    (rc = ledger_read_file(entries, 64 * 1024 * 1024, &buf, &len,
	         &err)) != RC_OK ||
	    (rc = ledger_write_atomic(path, buf, len, 0644, &err)) != RC_OK)
		goto out;
	for (p = buf; p < buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL) {
			rc = RC_ERR(&err, RC_EINVAL, "%s: no final newline",
			    entries);
			goto out;
		}
		if ((rc = merkle_leaf_hash(p, (size_t)(nl - p), leaf)) !=
		        RC_OK ||
		    (rc = merkle_tree_append(&t, leaf)) != RC_OK ||
		    (rc = forge_step(dir, s, &t, t.size, p, (size_t)(nl - p),
		         &note, &notelen, &err)) != RC_OK)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	if (note != NULL)
		rc = ledger_write_atomic(path, note, notelen, 0644, &err);
out:
	if (rc != RC_OK)
		fprintf(stderr, "driver: forge: %s\n",
		    err.msg[0] ? err.msg : rc_strerror(rc));
	rc_free(buf);
	rc_free(note);
	merkle_tree_cleanup(&t);
	note_signer_free(s);
	return rc == RC_OK ? 0 : 1;
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
	if (argc >= 5 && strcmp(argv[1], "append") == 0) {
		enum policy_kind kind = POLICY_KIND_API;

		if (argc > 7 && policy_kind_parse(argv[7], &kind) != RC_OK) {
			fprintf(stderr, "driver: unknown kind %s\n", argv[7]);
			return 2;
		}
		return do_append(argv[2], argv[3], strtol(argv[4], NULL, 10),
		    argc > 5 ? strtol(argv[5], NULL, 10) : 1,
		    argc > 6 ? strtol(argv[6], NULL, 10) : 0, kind);
	}
	if (argc == 5 && strcmp(argv[1], "forge") == 0)
		return do_forge(argv[2], argv[3], argv[4]);
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
	    "open|forge ...\n");
	return 2;
}
