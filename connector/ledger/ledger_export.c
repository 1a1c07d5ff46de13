/* SPDX-License-Identifier: MIT */
/*
 * The payment office's export (see ledger.h; the CSV dialect and the
 * offline recipe are in docs/ledger.md).
 *
 * CSV: UTF-8 with a byte-order mark (so that Excel in a French locale
 * reads accents right), ';' as separator (the French list separator),
 * CRLF line ends, RFC 4180 quoting (fields holding ';', '"', CR or LF are
 * quoted, quotes doubled), amounts both in euros with a decimal comma
 * ("5000,00") and in integer cents.  A free-text field starting with
 * '=', '+', '-', '@', TAB or CR is prefixed with "'" so that no
 * spreadsheet runs it as a formula (the JSON export keeps the raw value).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

static enum rc_code
csv_field(struct rc_buf *b, const char *s, int text, int last)
{
	enum rc_code rc = RC_OK;
	int quote = strpbrk(s, ";\"\r\n") != NULL;
	const char *p;

	if (quote)
		rc = rc_buf_add(b, "\"", 1);
	if (rc == RC_OK && text && strchr("=+-@\t\r", s[0]) != NULL &&
	    s[0] != '\0')
		rc = rc_buf_add(b, "'", 1);
	for (p = s; rc == RC_OK && *p; p++)
		rc = *p == '"' ? rc_buf_add(b, "\"\"", 2) : rc_buf_add(b, p, 1);
	if (rc == RC_OK && quote)
		rc = rc_buf_add(b, "\"", 1);
	if (rc == RC_OK)
		rc = last ? rc_buf_add(b, "\r\n", 2) : rc_buf_add(b, ";", 1);
	return rc;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static enum rc_code
write_new(int dirfd, const char *name, const void *data, size_t len,
    struct rc_err *err)
{
	int existed = 0;

	return ledger_create_once_at(dirfd, name, data, len, &existed, err);
}

enum rc_code
ledger_export(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, const char *outdir, struct rc_err *err)
{
	struct ledger_verify_result vr;
	struct ledger *lg = NULL;
	struct rc_buf csv, lines;
	json_t *doc = NULL, *awards = NULL, *revs = NULL, *o = NULL;
	int64_t *revoked_by = NULL;
	char *line = NULL, *js = NULL, *vk = NULL, euros[32], cents[32],
	     seqs[32], leafhex[65], status[48];
	unsigned char leaf[MERKLE_HASH_LEN];
	const char *note;
	size_t len, notelen;
	uint64_t i, n;
	enum rc_code rc;
	int ofd = -1, pass;

	rc_buf_init(&csv, (size_t)1 << 34);
	rc_buf_init(&lines, (size_t)1 << 34);
	/* Export only what verifies, against the pinned key. */
	if ((rc = ledger_verify(dir, vkey, p, &vr, err)) != RC_OK)
		goto out;
	if ((rc = ledger_open(dir, NULL, vkey, p, LEDGER_LOCK_WAIT_MS, &lg,
	         err)) != RC_OK)
		goto out;
	if (mkdir(outdir, 0755) != 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: cannot create (%s); the export "
		    "goes to a new directory",
		    outdir, strerror(errno));
		goto out;
	}
	if ((ofd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: %s", outdir, strerror(errno));
		goto out;
	}
	n = ledger_size(lg);
	if ((revoked_by = rc_calloc(n ? n : 1, sizeof(*revoked_by))) == NULL ||
	    (doc = json_object()) == NULL || (awards = json_array()) == NULL ||
	    (revs = json_array()) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	rc = rc_buf_add(&csv, "\xef\xbb\xbf", 3);
	if (rc == RC_OK)
		rc = rc_buf_adds(&csv,
		    "seq;siren;siret;nom;type;montant_eur;montant_centimes;"
		    "iban;bic;dossier_id;date_utc;preuve_sha256;"
		    "feuille_sha256;statut\r\n");
	/* Pass 0 finds revocations; pass 1 writes the rows. */
	for (pass = 0; pass < 2 && rc == RC_OK; pass++) {
		for (i = 0; i < n && rc == RC_OK; i++) {
			if ((rc = ledger_entry_line(lg, i, &line, &len, err)) !=
			    RC_OK)
				break;
			o = json_loadb(line, len, 0, NULL);
			if (o == NULL) {
				rc = RC_ERR(err, RC_ELEDGER, "entry %llu",
				    (unsigned long long)i);
				break;
			}
			if (pass == 0) {
				if (strcmp(jstr(o, "op"), "revoke") == 0) {
					json_int_t r = json_integer_value(
					    json_object_get(o, "ref_seq"));
					if (r >= 0 && (uint64_t)r < n)
						revoked_by[r] = (int64_t)i + 1;
				}
				if ((rc = rc_buf_add(&lines, line, len)) ==
				    RC_OK)
					rc = rc_buf_add(&lines, "\n", 1);
				json_decref(o);
				o = NULL;
				rc_free(line);
				line = NULL;
				continue;
			}
			merkle_leaf_hash(line, len, leaf);
			rc_hex(leaf, MERKLE_HASH_LEN, leafhex);
			json_object_set_new(o, "leaf_sha256",
			    json_string(leafhex));
			if (strcmp(jstr(o, "op"), "revoke") == 0) {
				json_array_append(revs, o);
			} else {
				long long c = json_integer_value(
				    json_object_get(o, "amount_cents"));

				snprintf(euros, sizeof(euros), "%lld,%02lld",
				    c / 100, c % 100);
				snprintf(cents, sizeof(cents), "%lld", c);
				snprintf(seqs, sizeof(seqs), "%llu",
				    (unsigned long long)i);
				if (revoked_by[i])
					snprintf(status, sizeof(status),
					    "revoque (entree %lld)",
					    (long long)revoked_by[i] - 1);
				else
					snprintf(status, sizeof(status),
					    "a_payer");
				json_object_set_new(o, "status",
				    json_string(
				        revoked_by[i] ? "revoked" : "payable"));
				if (revoked_by[i])
					json_object_set_new(o, "revoked_by",
					    json_integer(revoked_by[i] - 1));
				json_array_append(awards, o);
				if ((rc = csv_field(&csv, seqs, 0, 0)) ||
				    (rc = csv_field(&csv, jstr(o, "siren"), 0,
				         0)) ||
				    (rc = csv_field(&csv, jstr(o, "siret"), 0,
				         0)) ||
				    (rc = csv_field(&csv, jstr(o, "nom"), 1,
				         0)) ||
				    (rc = csv_field(&csv, jstr(o, "kind"), 0,
				         0)) ||
				    (rc = csv_field(&csv, euros, 0, 0)) ||
				    (rc = csv_field(&csv, cents, 0, 0)) ||
				    (rc = csv_field(&csv, jstr(o, "iban"), 1,
				         0)) ||
				    (rc = csv_field(&csv, jstr(o, "bic"), 1,
				         0)) ||
				    (rc = csv_field(&csv, jstr(o, "dossier_id"),
				         1, 0)) ||
				    (rc = csv_field(&csv, jstr(o, "time"), 0,
				         0)) ||
				    (rc = csv_field(&csv,
				         jstr(o, "evidence_sha256"), 0, 0)) ||
				    (rc = csv_field(&csv, leafhex, 0, 0)) ||
				    (rc = csv_field(&csv, status, 0, 1)))
					RC_ERR(err, rc, "export too large");
			}
			json_decref(o);
			o = NULL;
			rc_free(line);
			line = NULL;
		}
	}
	if (rc != RC_OK)
		goto out;
	note = ledger_checkpoint_note(lg, &notelen);
	json_object_set_new(doc, "origin", json_string(ledger_origin(lg)));
	json_object_set_new(doc, "tree_size", json_integer((json_int_t)n));
	json_object_set_new(doc, "checkpoint", json_stringn(note, notelen));
	json_object_set_new(doc, "payable_cents", json_integer(vr.live_cents));
	json_object_set_new(doc, "awards", awards);
	awards = NULL;
	json_object_set_new(doc, "revocations", revs);
	revs = NULL;
	if ((js = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII)) ==
	    NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = note_verifier_vkey_string(vkey, &vk)) != RC_OK)
		goto out;
	if ((rc = write_new(ofd, "awards.csv", csv.data, csv.len, err)) ||
	    (rc = write_new(ofd, "awards.json", js, strlen(js), err)) ||
	    (rc = write_new(ofd, "entries.jsonl", lines.data ? lines.data : "",
	         lines.len, err)) ||
	    (rc = write_new(ofd, "checkpoint", note, notelen, err)) ||
	    (rc = write_new(ofd, "log.vkey", vk, strlen(vk), err)))
		goto out;
out:
	if (ofd >= 0)
		close(ofd);
	ledger_close(lg);
	json_decref(o);
	json_decref(doc);
	json_decref(awards);
	json_decref(revs);
	rc_free(revoked_by);
	rc_free(line);
	rc_free(vk);
	free(js);
	rc_buf_free(&csv);
	rc_buf_free(&lines);
	return rc;
}
