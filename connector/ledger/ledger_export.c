/* SPDX-License-Identifier: MIT */
/*
 * The payment office's export and its verification (see ledger.h; the
 * formats and the offline recipe are in docs/ledger.md).
 *
 * One model (struct export_model, ledger_int.h) holds every cell, derived
 * from the signed entries alone: the status of an award comes from the
 * signed revocations, the leaf hash from the stored line.  `export`
 * builds it from the verified ledger and writes it; `verify-export`
 * rebuilds it from the export's own entries.jsonl (bound to the signed
 * checkpoint) and compares every cell of every file with it.
 *
 * CSV: UTF-8 with a byte-order mark (so that Excel in a French locale
 * reads accents right), ';' as separator (the French list separator),
 * CRLF line ends, RFC 4180 quoting (fields holding ';', '"', CR or LF are
 * quoted, quotes doubled), amounts both in euros with a decimal comma
 * ("5000,00") and in integer cents.  A free-text field starting with
 * '=', '+', '-', '@', TAB or CR is prefixed with "'" so that no
 * spreadsheet runs it as a formula (the JSON and xlsx keep the raw value).
 */
#include <errno.h>
#include <stdarg.h>
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
#include "export_files.h" /* generated: the recipe and the README */

#define EXPORT_MAX_FILE  ((size_t)1 << 32)
#define EXPORT_MAX_LINES 50 /* mismatch lines reported */

const char *const export_col_names[EXPORT_COL__MAX] = { "seq", "siren", "siret",
	"nom", "titulaire", "type", "montant_eur", "montant_centimes", "iban",
	"bic", "dossier_id", "date_utc", "preuve_sha256", "feuille_sha256",
	"statut" };

/* Free text an applicant wrote: guarded against formula injection. */
static int
col_is_text(enum export_col c)
{
	return c == EXPORT_COL_NOM || c == EXPORT_COL_TITULAIRE ||
	    c == EXPORT_COL_IBAN || c == EXPORT_COL_BIC ||
	    c == EXPORT_COL_DOSSIER;
}

static enum rc_code
csv_field(struct rc_buf *b, const char *s, int text, int last)
{
	enum rc_code rc = RC_OK;
	int quote = strpbrk(s, ";\"\r\n") != NULL;
	const char *p;

	if (quote)
		rc = rc_buf_add(b, "\"", 1);
	if (rc == RC_OK && text && s[0] != '\0' &&
	    strchr("=+-@\t\r", s[0]) != NULL)
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

void
export_model_free(struct export_model *m)
{
	size_t i;
	int c;

	for (i = 0; m->rows != NULL && i < m->nrows; i++)
		for (c = 0; c < EXPORT_COL__MAX; c++)
			rc_free(m->rows[i].cell[c]);
	rc_free(m->rows);
	json_decref(m->doc);
	memset(m, 0, sizeof(*m));
}

/* One award row from its entry object o. */
static enum rc_code
fill_row(struct export_row *r, json_t *o, const struct ledger_entry *e,
    const char *leafhex, int64_t revoked_by)
{
	char num[3][48];
	const char *v[EXPORT_COL__MAX];
	int c;

	r->seq = e->seq;
	r->time = e->time;
	r->cents = e->amount_cents;
	r->revoked = revoked_by >= 0;
	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)e->seq);
	snprintf(num[1], sizeof(num[1]), "%lld,%02lld", e->amount_cents / 100,
	    e->amount_cents % 100);
	snprintf(num[2], sizeof(num[2]), "%lld", e->amount_cents);
	v[EXPORT_COL_SEQ] = num[0];
	v[EXPORT_COL_SIREN] = e->siren;
	v[EXPORT_COL_SIRET] = e->siret;
	v[EXPORT_COL_NOM] = jstr(o, "nom");
	v[EXPORT_COL_TITULAIRE] = jstr(o, "titulaire"); /* "" in v1 */
	v[EXPORT_COL_TYPE] = policy_kind_str(e->kind);
	v[EXPORT_COL_EUR] = num[1];
	v[EXPORT_COL_CENTS] = num[2];
	v[EXPORT_COL_IBAN] = jstr(o, "iban");
	v[EXPORT_COL_BIC] = jstr(o, "bic");
	v[EXPORT_COL_DOSSIER] = jstr(o, "dossier_id");
	v[EXPORT_COL_DATE] = e->time_str;
	v[EXPORT_COL_PREUVE] = e->evidence_sha256;
	v[EXPORT_COL_FEUILLE] = leafhex;
	v[EXPORT_COL_STATUT] = "a_payer";
	for (c = 0; c < EXPORT_COL__MAX; c++) {
		if (c == EXPORT_COL_STATUT && revoked_by >= 0) {
			char st[48];

			snprintf(st, sizeof(st), "revoque (entree %lld)",
			    (long long)revoked_by);
			r->cell[c] = rc_strdup(st);
		} else
			r->cell[c] = rc_strdup(v[c]);
		if (r->cell[c] == NULL)
			return RC_ENOMEM;
	}
	return RC_OK;
}

/* Split entries into lines; each must end with "\n". */
static enum rc_code
split_lines(const char *data, size_t len, const char ***lines, size_t **lens,
    size_t *n, struct rc_err *err)
{
	size_t cap = 0, i = 0, count = 0;
	const char *p = data, *nl;

	*lines = NULL;
	*lens = NULL;
	*n = 0;
	for (i = 0; i < len; i++)
		if (data[i] == '\n')
			count++;
	if (len > 0 && data[len - 1] != '\n')
		return RC_ERR(err, RC_ELEDGER,
		    "entries.jsonl: the last line has no newline (truncated "
		    "or appended to)");
	cap = count ? count : 1;
	if ((*lines = rc_calloc(cap, sizeof(**lines))) == NULL ||
	    (*lens = rc_calloc(cap, sizeof(**lens))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	for (i = 0; i < count; i++) {
		nl = memchr(p, '\n', len - (size_t)(p - data));
		(*lines)[i] = p;
		(*lens)[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	*n = count;
	return RC_OK;
}

enum rc_code
export_model_build(const char *note, size_t notelen,
    const struct note_verifier *vkey, const char *entries, size_t len,
    struct export_model *m, struct rc_err *err)
{
	struct merkle_stack ms;
	struct ledger_entry e;
	struct rc_err lerr = { 0 };
	unsigned char leaf[MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	const char **lines = NULL;
	size_t *lens = NULL, n = 0, i, nawards = 0;
	int64_t *revoked_by = NULL;
	json_t *awards = NULL, *revs = NULL, *o = NULL;
	char leafhex[65], *b64 = NULL;
	enum rc_code rc;
	int bad = 0;

	memset(m, 0, sizeof(*m));
	if ((rc = checkpoint_open(note, notelen, vkey, NULL, 0, &m->cp, NULL,
	         &lerr)) != RC_OK)
		return RC_ERR(err, rc == RC_ENOMEM ? rc : RC_ELEDGER,
		    "checkpoint: %s (pinned key %s+%08x)", lerr.msg, vkey->name,
		    (unsigned)vkey->id);
	if ((rc = split_lines(entries, len, &lines, &lens, &n, err)) != RC_OK)
		goto out;
	if ((uint64_t)n != m->cp.size) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "entries.jsonl holds %zu lines, the signed checkpoint "
		    "covers %llu",
		    n, (unsigned long long)m->cp.size);
		goto out;
	}
	merkle_stack_init(&ms);
	for (i = 0; i < n; i++)
		if ((rc = merkle_leaf_hash(lines[i], lens[i], leaf)) != RC_OK ||
		    (rc = merkle_stack_push(&ms, leaf)) != RC_OK) {
			RC_ERR(err, rc, "cannot hash entry %zu", i);
			goto out;
		}
	if ((rc = merkle_stack_root(&ms, root)) != RC_OK) {
		RC_ERR(err, rc, "cannot compute the root");
		goto out;
	}
	if (memcmp(root, m->cp.root, MERKLE_HASH_LEN) != 0) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "entries.jsonl does not hash to the root of the signed "
		    "checkpoint: an entry was changed, added or removed");
		goto out;
	}
	if ((rc = rc_base64_encode(m->cp.root, MERKLE_HASH_LEN, &b64)) !=
	    RC_OK) {
		RC_ERR(err, rc, "out of memory");
		goto out;
	}
	snprintf(m->root_b64, sizeof(m->root_b64), "%s", b64);
	/* Pass 1: every line parses; revocations name their award. */
	if ((revoked_by = rc_calloc(n ? n : 1, sizeof(*revoked_by))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		revoked_by[i] = -1;
		rc_err_clear(&lerr);
		if ((rc = ledger_entry_parse(lines[i], lens[i], &e, &lerr)) !=
		    RC_OK) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %zu: %s", i + 1, lerr.msg);
			goto out;
		}
		if (e.seq != i) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %zu: seq %llu", i + 1,
			    (unsigned long long)e.seq);
			goto out;
		}
		if (e.op == POLICY_OP_AWARD)
			nawards++;
	}
	for (i = 0; i < n; i++) {
		if ((rc = ledger_entry_parse(lines[i], lens[i], &e, err)) !=
		    RC_OK)
			goto out;
		if (e.op == POLICY_OP_REVOKE && e.ref_seq < i)
			revoked_by[e.ref_seq] = (int64_t)i;
	}
	/* Pass 2: the rows and the JSON document. */
	if ((m->rows = rc_calloc(nawards ? nawards : 1, sizeof(*m->rows))) ==
	        NULL ||
	    (m->doc = json_object()) == NULL ||
	    (awards = json_array()) == NULL || (revs = json_array()) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = ledger_entry_parse(lines[i], lens[i], &e, err)) !=
		    RC_OK)
			goto out;
		if ((o = json_loadb(lines[i], lens[i], JSON_REJECT_DUPLICATES,
		         NULL)) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = merkle_leaf_hash(lines[i], lens[i], leaf)) != RC_OK) {
			RC_ERR(err, rc, "cannot hash entry %zu", i);
			goto out;
		}
		rc_hex(leaf, MERKLE_HASH_LEN, leafhex);
		bad =
		    json_object_set_new(o, "leaf_sha256", json_string(leafhex));
		if (e.op == POLICY_OP_REVOKE) {
			bad |= json_array_append(revs, o);
		} else {
			bad |= json_object_set_new(o, "status",
			    json_string(
			        revoked_by[i] >= 0 ? "revoked" : "payable"));
			if (revoked_by[i] >= 0)
				bad |= json_object_set_new(o, "revoked_by",
				    json_integer(revoked_by[i]));
			else
				m->payable_cents += e.amount_cents;
			bad |= json_array_append(awards, o);
			if (fill_row(&m->rows[m->nrows++], o, &e, leafhex,
			        revoked_by[i]) != RC_OK)
				bad = 1;
		}
		json_decref(o);
		o = NULL;
		if (bad) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
	}
	bad |= json_object_set_new(m->doc, "export_version", json_integer(2));
	bad |= json_object_set_new(m->doc, "origin", json_string(m->cp.origin));
	bad |= json_object_set_new(m->doc, "tree_size",
	    json_integer((json_int_t)m->cp.size));
	bad |= json_object_set_new(m->doc, "root", json_string(m->root_b64));
	bad |= json_object_set_new(m->doc, "checkpoint",
	    json_stringn(note, notelen));
	bad |= json_object_set_new(m->doc, "payable_cents",
	    json_integer(m->payable_cents));
	bad |= json_object_set_new(m->doc, "awards", awards);
	awards = NULL;
	bad |= json_object_set_new(m->doc, "revocations", revs);
	revs = NULL;
	if (bad)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	if (rc != RC_OK)
		export_model_free(m);
	json_decref(o);
	json_decref(awards);
	json_decref(revs);
	rc_free(revoked_by);
	rc_free(lines);
	rc_free(lens);
	rc_free(b64);
	return rc;
}

/* The CSV bytes of row r (without the header), appended to b. */
static enum rc_code
csv_row(struct rc_buf *b, const struct export_row *r)
{
	enum rc_code rc = RC_OK;
	int c;

	for (c = 0; rc == RC_OK && c < EXPORT_COL__MAX; c++)
		rc = csv_field(b, r->cell[c], col_is_text((enum export_col)c),
		    c == EXPORT_COL__MAX - 1);
	return rc;
}

static enum rc_code
csv_header(struct rc_buf *b)
{
	enum rc_code rc = rc_buf_add(b, "\xef\xbb\xbf", 3);
	int c;

	for (c = 0; rc == RC_OK && c < EXPORT_COL__MAX; c++)
		rc = csv_field(b, export_col_names[c], 0,
		    c == EXPORT_COL__MAX - 1);
	return rc;
}

static enum rc_code
write_new(int dirfd, const char *name, const void *data, size_t len,
    struct rc_err *err)
{
	int existed = 0;

	return ledger_create_once_at(dirfd, name, data, len, &existed, err);
}

/* Every line of the ledger's signed entries, with their newlines. */
static enum rc_code
read_entries(const struct ledger *lg, struct rc_buf *lines, struct rc_err *err)
{
	char *line = NULL;
	size_t len;
	uint64_t i;
	enum rc_code rc = RC_OK;

	for (i = 0; i < ledger_size(lg) && rc == RC_OK; i++) {
		if ((rc = ledger_entry_line(lg, i, &line, &len, err)) != RC_OK)
			break;
		if ((rc = rc_buf_add(lines, line, len)) != RC_OK ||
		    (rc = rc_buf_add(lines, "\n", 1)) != RC_OK)
			RC_ERR(err, rc, "export too large");
		rc_free(line);
		line = NULL;
	}
	return rc;
}

enum rc_code
ledger_export(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, const char *outdir, struct rc_err *err)
{
	struct ledger_verify_result vr;
	struct export_model m;
	struct ledger *lg = NULL;
	struct rc_buf csv, lines;
	char *js = NULL, *vk = NULL, xlsx[4200], tmp[4200];
	const char *note;
	size_t notelen, i;
	enum rc_code rc;
	int ofd = -1, xfd = -1;

	memset(&m, 0, sizeof(m));
	rc_buf_init(&csv, EXPORT_MAX_FILE);
	rc_buf_init(&lines, EXPORT_MAX_FILE);
	/* Export only what verifies, against the pinned key. */
	if ((rc = ledger_verify(dir, vkey, p, &vr, err)) != RC_OK)
		goto out;
	if ((rc = ledger_open(dir, NULL, vkey, p, LEDGER_LOCK_WAIT_MS, &lg,
	         err)) != RC_OK)
		goto out;
	note = ledger_checkpoint_note(lg, &notelen);
	if ((rc = read_entries(lg, &lines, err)) != RC_OK ||
	    (rc = export_model_build(note, notelen, vkey,
	         lines.data ? lines.data : "", lines.len, &m, err)) != RC_OK)
		goto out;
	if ((rc = csv_header(&csv)) != RC_OK) {
		RC_ERR(err, rc, "out of memory");
		goto out;
	}
	for (i = 0; i < m.nrows; i++)
		if ((rc = csv_row(&csv, &m.rows[i])) != RC_OK) {
			RC_ERR(err, rc, "export too large");
			goto out;
		}
	if ((js = json_dumps(m.doc, JSON_INDENT(1) | JSON_ENSURE_ASCII)) ==
	    NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = note_verifier_vkey_string(vkey, &vk)) != RC_OK)
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
	if ((rc = write_new(ofd, "entries.jsonl", lines.data ? lines.data : "",
	         lines.len, err)) ||
	    (rc = write_new(ofd, "checkpoint", note, notelen, err)) ||
	    (rc = write_new(ofd, "log.vkey", vk, strlen(vk), err)) ||
	    (rc = write_new(ofd, "awards.csv", csv.data, csv.len, err)) ||
	    (rc = write_new(ofd, "awards.json", js, strlen(js), err)) ||
	    (rc = write_new(ofd, "verify_export.py", export_recipe_py,
	         sizeof(export_recipe_py), err)) ||
	    (rc = write_new(ofd, "LISEZMOI-README.txt", export_readme_txt,
	         sizeof(export_readme_txt), err)))
		goto out;
	/* The xlsx: libxlsxwriter writes a file; a temp one, then fsync
	 * and rename like the others. */
	snprintf(tmp, sizeof(tmp), "%s/.tmp-awards.xlsx", outdir);
	snprintf(xlsx, sizeof(xlsx), "%s/awards.xlsx", outdir);
	if ((rc = export_xlsx_write(&m, tmp, err)) != RC_OK)
		goto out;
	if ((xfd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(xfd) != 0 ||
	    rename(tmp, xlsx) != 0 || fsync(ofd) != 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: %s", xlsx, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
out:
	if (xfd >= 0)
		close(xfd);
	if (rc != RC_OK && ofd >= 0) {
		/* Nothing half-written: take back what this call created. */
		static const char *const names[] = { "entries.jsonl",
			"checkpoint", "log.vkey", "awards.csv", "awards.json",
			"verify_export.py", "LISEZMOI-README.txt",
			"awards.xlsx", ".tmp-awards.xlsx" };

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)unlinkat(ofd, names[i], 0);
		(void)rmdir(outdir);
	}
	if (ofd >= 0)
		close(ofd);
	ledger_close(lg);
	export_model_free(&m);
	rc_free(vk);
	free(js);
	rc_buf_free(&csv);
	rc_buf_free(&lines);
	return rc;
}

/* --- verify-export ------------------------------------------------- */

/* Record one mismatch (the first also goes into err). */
static void mismatch(struct rc_buf *rep, size_t *bad, struct rc_err *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
mismatch(struct rc_buf *rep, size_t *bad, struct rc_err *err, const char *fmt,
    ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (*bad == 0)
		RC_ERR(err, RC_ELEDGER, "%s", line);
	if (*bad < EXPORT_MAX_LINES)
		(void)rc_buf_addf(rep, "%s\n", line);
	else if (*bad == EXPORT_MAX_LINES)
		(void)rc_buf_adds(rep, "(more mismatches not shown)\n");
	++*bad;
}

/* Print at most n bytes of s for a message, up to the next ';' or CR. */
static int
cell_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0;
	     i < n && i < 200 && s[i] != ';' && s[i] != '\r' && s[i] != '\n';
	     i++)
		;
	return (int)i;
}

/*
 * awards.csv: the header, then row i against the model's row i, cell by
 * cell (each expected cell, encoded as export writes it, must be the
 * next bytes of the line), then no extra rows.
 */
static void
check_csv(const struct export_model *m, const char *data, size_t len,
    struct rc_buf *rep, size_t *bad, struct rc_err *err)
{
	struct rc_buf cell;
	const char *p = data, *end = data + len, *eol;
	size_t i, row = 0;
	int c;

	rc_buf_init(&cell, 64 * 1024);
	for (row = 0; p < end || row <= m->nrows; row++) {
		const char *line = p;
		size_t llen;

		if (p >= end) {
			mismatch(rep, bad, err,
			    "awards.csv: %zu data rows, the entries have %zu "
			    "awards (row %zu, seq %llu, is missing)",
			    row ? row - 1 : 0, m->nrows, row,
			    row ? (unsigned long long)m->rows[row - 1].seq
			        : 0ULL);
			break;
		}
		for (eol = p;
		     eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n');
		     eol++)
			;
		if (eol + 1 >= end) {
			mismatch(rep, bad, err,
			    "awards.csv line %zu: no CRLF at its end", row + 1);
			break;
		}
		llen = (size_t)(eol - line) + 2;
		p = eol + 2;
		if (row == 0) {
			rc_buf_reset(&cell);
			if (csv_header(&cell) != RC_OK || cell.len != llen ||
			    memcmp(cell.data, line, llen) != 0)
				mismatch(rep, bad, err,
				    "awards.csv: the header line (with its "
				    "byte-order mark) is not \"%s;…\"",
				    export_col_names[0]);
			continue;
		}
		if (row > m->nrows) {
			mismatch(rep, bad, err,
			    "awards.csv row %zu: an extra row (\"%.*s…\"); the "
			    "entries have %zu awards",
			    row, cell_len(line, llen), line, m->nrows);
			continue;
		}
		/* Walk the expected cells along the line. */
		i = 0;
		for (c = 0; c < EXPORT_COL__MAX; c++) {
			const struct export_row *r = &m->rows[row - 1];

			rc_buf_reset(&cell);
			if (csv_field(&cell, r->cell[c],
			        col_is_text((enum export_col)c),
			        c == EXPORT_COL__MAX - 1) != RC_OK)
				break;
			if (llen - i < cell.len ||
			    memcmp(line + i, cell.data, cell.len) != 0) {
				mismatch(rep, bad, err,
				    "awards.csv row %zu (seq %llu), column %s: "
				    "expected \"%s\", found \"%.*s\"",
				    row, (unsigned long long)r->seq,
				    export_col_names[c], r->cell[c],
				    cell_len(line + i, llen - i), line + i);
				break;
			}
			i += cell.len;
		}
	}
	rc_buf_free(&cell);
}

static void
json_mismatch_value(char *out, size_t n, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	snprintf(out, n, "%s", s ? s : "(absent)");
	free(s);
}

/* Compare two objects key by key, both ways. */
static void
check_object(const char *where, json_t *want, json_t *got, struct rc_buf *rep,
    size_t *bad, struct rc_err *err)
{
	const char *k;
	json_t *v;
	char a[256], b[256];

	if (!json_is_object(got)) {
		mismatch(rep, bad, err, "awards.json %s: not an object", where);
		return;
	}
	json_object_foreach(want, k, v)
	{
		if (!json_equal(v, json_object_get(got, k))) {
			json_mismatch_value(a, sizeof(a), v);
			json_mismatch_value(b, sizeof(b),
			    json_object_get(got, k));
			mismatch(rep, bad, err,
			    "awards.json %s, key %s: expected %s, found %s",
			    where, k, a, b);
		}
	}
	json_object_foreach(got, k, v)
	{
		if (json_object_get(want, k) == NULL)
			mismatch(rep, bad, err,
			    "awards.json %s: unexpected key %s", where, k);
	}
}

static void
check_json(const struct export_model *m, const char *data, size_t len,
    struct rc_buf *rep, size_t *bad, struct rc_err *err)
{
	static const char *const arrays[] = { "awards", "revocations" };
	json_error_t jerr;
	json_t *got, *wa, *ga, *top_w = NULL, *top_g = NULL;
	size_t i, a;
	char where[96];

	got = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (got == NULL) {
		mismatch(rep, bad, err, "awards.json: not JSON (line %d: %s)",
		    jerr.line, jerr.text);
		return;
	}
	/* The top level without the arrays, then each array row. */
	top_w = json_copy(m->doc);
	top_g = json_copy(got);
	if (top_w == NULL || top_g == NULL) {
		mismatch(rep, bad, err, "awards.json: out of memory");
		goto out;
	}
	for (a = 0; a < 2; a++) {
		json_object_del(top_w, arrays[a]);
		json_object_del(top_g, arrays[a]);
	}
	check_object("(top level)", top_w, top_g, rep, bad, err);
	for (a = 0; a < 2; a++) {
		wa = json_object_get(m->doc, arrays[a]);
		ga = json_object_get(got, arrays[a]);
		if (!json_is_array(ga)) {
			mismatch(rep, bad, err,
			    "awards.json: %s is not an array", arrays[a]);
			continue;
		}
		if (json_array_size(ga) != json_array_size(wa))
			mismatch(rep, bad, err,
			    "awards.json: %zu %s, the entries have %zu",
			    json_array_size(ga), arrays[a],
			    json_array_size(wa));
		for (i = 0; i < json_array_size(wa) && i < json_array_size(ga);
		     i++) {
			snprintf(where, sizeof(where), "%s[%zu] (seq %lld)",
			    arrays[a], i,
			    (long long)json_integer_value(
			        json_object_get(json_array_get(wa, i), "seq")));
			check_object(where, json_array_get(wa, i),
			    json_array_get(ga, i), rep, bad, err);
		}
	}
out:
	json_decref(top_w);
	json_decref(top_g);
	json_decref(got);
}

/* Read dir/name into *out; a missing file is a mismatch. */
static int
read_export_file(const char *dir, const char *name, char **out, size_t *len,
    struct rc_buf *rep, size_t *bad, struct rc_err *err)
{
	struct rc_err ferr = { 0 };
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ledger_read_file(path, EXPORT_MAX_FILE, out, len, &ferr) != RC_OK) {
		mismatch(rep, bad, err, "%s: %s", name, ferr.msg);
		return 0;
	}
	return 1;
}

enum rc_code
ledger_export_verify(const char *outdir, const struct note_verifier *vkey,
    struct ledger_export_check *res, struct rc_err *err)
{
	struct export_model m;
	struct rc_buf rep;
	struct rc_err xerr = { 0 };
	char *note = NULL, *entries = NULL, *data = NULL, *vk = NULL,
	     path[4200];
	size_t notelen = 0, elen = 0, len = 0, bad = 0, xbad = 0;
	enum rc_code rc;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	rc_buf_init(&rep, 1024 * 1024);
	if ((rc = rc_sha256_hex(export_recipe_py, sizeof(export_recipe_py),
	         res->recipe_sha256)) != RC_OK)
		return RC_ERR(err, rc, "cannot hash the recipe");
	snprintf(path, sizeof(path), "%s/checkpoint", outdir);
	if ((rc = ledger_read_file(path, NOTE_MAX_BYTES, &note, &notelen,
	         err)) != RC_OK) {
		rc = RC_ERR(err, rc == RC_ENOMEM ? rc : RC_EINVAL,
		    "%s is not an export: %s", outdir, err->msg);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/entries.jsonl", outdir);
	if ((rc = ledger_read_file(path, EXPORT_MAX_FILE, &entries, &elen,
	         err)) != RC_OK) {
		rc = RC_ERR(err, rc == RC_ENOMEM ? rc : RC_EINVAL,
		    "%s is not an export: %s", outdir, err->msg);
		goto out;
	}
	/* The entries, bound to the signed checkpoint, are the truth. */
	if ((rc = export_model_build(note, notelen, vkey, entries, elen, &m,
	         err)) != RC_OK)
		goto out;
	res->cp = m.cp;
	res->awards = m.nrows;
	res->payable_cents = m.payable_cents;
	if (read_export_file(outdir, "awards.csv", &data, &len, &rep, &bad,
	        err))
		check_csv(&m, data, len, &rep, &bad, err);
	rc_free(data);
	data = NULL;
	if (read_export_file(outdir, "awards.json", &data, &len, &rep, &bad,
	        err))
		check_json(&m, data, len, &rep, &bad, err);
	rc_free(data);
	data = NULL;
	snprintf(path, sizeof(path), "%s/awards.xlsx", outdir);
	xbad = 0;
	if (export_xlsx_check(&m, path, &rep, EXPORT_MAX_LINES, &xbad, &xerr) !=
	    RC_OK) {
		mismatch(&rep, &bad, err, "awards.xlsx: %s", xerr.msg);
	} else if (xbad > 0) {
		if (bad == 0)
			RC_ERR(err, RC_ELEDGER,
			    "awards.xlsx: %zu cells differ from the entries",
			    xbad);
		bad += xbad;
	}
	/* The recipe must be the one raccord ships: a changed recipe
	 * could approve anything. */
	if (read_export_file(outdir, "verify_export.py", &data, &len, &rep,
	        &bad, err) &&
	    (len != sizeof(export_recipe_py) ||
	        memcmp(data, export_recipe_py, len) != 0))
		mismatch(&rep, &bad, err,
		    "verify_export.py differs from the recipe this raccord "
		    "ships: do not trust its verdict");
	rc_free(data);
	data = NULL;
	if (read_export_file(outdir, "log.vkey", &data, &len, &rep, &bad,
	        err)) {
		if ((rc = note_verifier_vkey_string(vkey, &vk)) != RC_OK) {
			RC_ERR(err, rc, "out of memory");
			goto out;
		}
		size_t vlen = strlen(vk);

		while (
		    len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
			len--;
		while (vlen > 0 && vk[vlen - 1] == '\n')
			vk[--vlen] = '\0';
		if (len != vlen || memcmp(data, vk, len) != 0)
			mismatch(&rep, &bad, err,
			    "log.vkey is not the pinned key %s", vk);
	}
	res->mismatches = bad;
	res->report = rc_buf_steal(&rep);
	rc = bad ? RC_ELEDGER : RC_OK;
out:
	export_model_free(&m);
	rc_free(note);
	rc_free(entries);
	rc_free(data);
	rc_free(vk);
	rc_buf_free(&rep);
	return rc;
}
