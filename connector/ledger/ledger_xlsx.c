/* SPDX-License-Identifier: MIT */
/*
 * awards.xlsx: written from the export model with libxlsxwriter, read
 * back with libzip (the OOXML package is a zip) and libxml2 (its parts
 * are XML) and compared cell by cell, style included (see ledger_int.h;
 * layout in docs/ledger.md, "awards.xlsx").
 *
 * Layout of the single sheet "forfaits":
 *   A1 "origine"   B1 origin           (text)
 *   A2 "taille"    B2 tree size        (integer)
 *   A3 "racine"    B3 checkpoint root  (base64 text)
 *   row 5: the column names of awards.csv
 *   rows 6..: one row per award, as awards.csv but typed: seq and
 *     montant_centimes integers, montant_eur a number in euros with a
 *     euro currency format, date_utc a date-time (UTC) number, every
 *     identifier (SIREN, SIRET, IBAN, BIC…) a text cell with the text
 *     format "@" so that no spreadsheet turns it into a number;
 *   the last row: "TOTAL a_payer" and the sums of the payable awards.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

#define XLSX_SHEET      "xl/worksheets/sheet1.xml"
#define XLSX_STRINGS    "xl/sharedStrings.xml"
#define XLSX_STYLES     "xl/styles.xml"
#define XLSX_MAX_PART   ((zip_uint64_t)256 * 1024 * 1024)
#define XLSX_HEADER_ROW 4 /* 0-based: row 5 */
#define XLSX_FIRST_ROW  5

#define FMT_EUR  "#,##0.00\\ \"€\""
#define FMT_DATE "yyyy-mm-dd hh:mm:ss"
#define FMT_INT  "0"
#define FMT_TEXT "@"

enum xfmt { XF_NONE, XF_TEXT, XF_INT, XF_EUR, XF_DATE, XF_BOLD, XF__MAX };

/* One expected cell. */
struct xcell {
	uint32_t row;
	uint16_t col;
	int is_num;
	const char *s; /* text cells (borrowed from the model) */
	double num;
	long long exact; /* integer cells; cents; seconds for dates */
	enum xfmt fmt;
};

static const char *const header_labels[3] = { "origine / origin",
	"taille / tree size", "racine / checkpoint root (base64)" };

static enum xfmt
col_fmt(enum export_col c)
{
	switch (c) {
	case EXPORT_COL_SEQ:
	case EXPORT_COL_CENTS:
		return XF_INT;
	case EXPORT_COL_EUR:
		return XF_EUR;
	case EXPORT_COL_DATE:
		return XF_DATE;
	default:
		return XF_TEXT;
	}
}

/* Excel's serial date: days since 1899-12-30 (UTC here). */
static double
serial_of(time_t t)
{
	return (double)t / 86400.0 + 25569.0;
}

/* Every cell the sheet must hold, in row order; *out for rc_free. */
static enum rc_code
expected_cells(const struct export_model *m, struct xcell **out, size_t *n)
{
	size_t cap = 8 + EXPORT_COL__MAX * (m->nrows + 1) + 4, k = 0, i;
	struct xcell *x;
	int c;

	*out = NULL;
	*n = 0;
	if ((x = rc_calloc(cap, sizeof(*x))) == NULL)
		return RC_ENOMEM;
#define TEXT(r, cc, str, f)                                                    \
	(x[k].row = (r), x[k].col = (uint16_t)(cc), x[k].s = (str),            \
	    x[k].fmt = (f), k++)
#define NUM(r, cc, v, e, f)                                                    \
	(x[k].row = (r), x[k].col = (uint16_t)(cc), x[k].is_num = 1,           \
	    x[k].num = (v), x[k].exact = (e), x[k].fmt = (f), k++)
	TEXT(0, 0, header_labels[0], XF_BOLD);
	TEXT(0, 1, m->cp.origin, XF_TEXT);
	TEXT(1, 0, header_labels[1], XF_BOLD);
	NUM(1, 1, (double)m->cp.size, (long long)m->cp.size, XF_INT);
	TEXT(2, 0, header_labels[2], XF_BOLD);
	TEXT(2, 1, m->root_b64, XF_TEXT);
	for (c = 0; c < EXPORT_COL__MAX; c++)
		TEXT(XLSX_HEADER_ROW, c, export_col_names[c], XF_BOLD);
	for (i = 0; i < m->nrows; i++) {
		const struct export_row *r = &m->rows[i];
		uint32_t row = (uint32_t)(XLSX_FIRST_ROW + i);

		for (c = 0; c < EXPORT_COL__MAX; c++) {
			switch (col_fmt((enum export_col)c)) {
			case XF_INT:
				if (c == EXPORT_COL_SEQ)
					NUM(row, c, (double)r->seq,
					    (long long)r->seq, XF_INT);
				else
					NUM(row, c, (double)r->cents, r->cents,
					    XF_INT);
				break;
			case XF_EUR:
				NUM(row, c, (double)r->cents / 100.0, r->cents,
				    XF_EUR);
				break;
			case XF_DATE:
				NUM(row, c, serial_of(r->time),
				    (long long)r->time, XF_DATE);
				break;
			default:
				TEXT(row, c, r->cell[c], XF_TEXT);
				break;
			}
		}
	}
	{
		uint32_t row = (uint32_t)(XLSX_FIRST_ROW + m->nrows);

		TEXT(row, EXPORT_COL_SEQ, "TOTAL a_payer", XF_BOLD);
		NUM(row, EXPORT_COL_EUR, (double)m->payable_cents / 100.0,
		    m->payable_cents, XF_EUR);
		NUM(row, EXPORT_COL_CENTS, (double)m->payable_cents,
		    m->payable_cents, XF_INT);
	}
#undef TEXT
#undef NUM
	*out = x;
	*n = k;
	return RC_OK;
}

enum rc_code
export_xlsx_write(const struct export_model *m, const char *path,
    struct rc_err *err)
{
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *f[XF__MAX] = { NULL };
	struct xcell *x = NULL;
	size_t n = 0, i;
	lxw_error le = LXW_NO_ERROR;
	char title[400];

	if (expected_cells(m, &x, &n) != RC_OK)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if ((wb = workbook_new(path)) == NULL) {
		rc_free(x);
		return RC_ERR(err, RC_ESYS, "%s: cannot create the workbook",
		    path);
	}
	ws = workbook_add_worksheet(wb, "forfaits");
	for (i = XF_TEXT; i < XF__MAX; i++)
		f[i] = workbook_add_format(wb);
	if (ws == NULL || f[XF_TEXT] == NULL || f[XF_INT] == NULL ||
	    f[XF_EUR] == NULL || f[XF_DATE] == NULL || f[XF_BOLD] == NULL) {
		le = LXW_ERROR_MEMORY_MALLOC_FAILED;
		goto close;
	}
	format_set_num_format(f[XF_TEXT], FMT_TEXT);
	format_set_num_format(f[XF_INT], FMT_INT);
	format_set_num_format(f[XF_EUR], FMT_EUR);
	format_set_num_format(f[XF_DATE], FMT_DATE);
	format_set_bold(f[XF_BOLD]);
	snprintf(title, sizeof(title), "raccord: %s, %llu entries",
	    m->cp.origin, (unsigned long long)m->cp.size);
	{
		lxw_doc_properties props;

		memset(&props, 0, sizeof(props));
		props.title = title;
		workbook_set_properties(wb, &props);
	}
	worksheet_set_column(ws, 0, 0, 34, NULL);
	worksheet_set_column(ws, 1, EXPORT_COL__MAX - 1, 18, NULL);
	for (i = 0; i < n && le == LXW_NO_ERROR; i++) {
		if (x[i].is_num)
			le = worksheet_write_number(ws, x[i].row, x[i].col,
			    x[i].num, f[x[i].fmt]);
		else
			le = worksheet_write_string(ws, x[i].row, x[i].col,
			    x[i].s, f[x[i].fmt]);
	}
close:
	/* workbook_close frees wb whatever happens. */
	if (workbook_close(wb) != LXW_NO_ERROR && le == LXW_NO_ERROR)
		le = LXW_ERROR_CREATING_XLSX_FILE;
	rc_free(x);
	if (le != LXW_NO_ERROR)
		return RC_ERR(err, RC_ESYS, "%s: %s", path, lxw_strerror(le));
	return RC_OK;
}

/* --- reading back --------------------------------------------------- */

/* One part of the package, NUL-terminated; *out for rc_free. */
static enum rc_code
zip_part(zip_t *za, const char *name, char **out, size_t *len,
    struct rc_err *err)
{
	zip_stat_t st;
	zip_file_t *zf;
	zip_int64_t r;
	char *buf;

	*out = NULL;
	*len = 0;
	zip_stat_init(&st);
	if (zip_stat(za, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		return RC_ERR(err, RC_ELEDGER, "no part %s", name);
	if (st.size > XLSX_MAX_PART)
		return RC_ERR(err, RC_ELEDGER, "part %s is too large", name);
	if ((buf = rc_malloc((size_t)st.size + 1)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if ((zf = zip_fopen(za, name, 0)) == NULL) {
		rc_free(buf);
		return RC_ERR(err, RC_ELEDGER, "cannot open part %s: %s", name,
		    zip_strerror(za));
	}
	r = zip_fread(zf, buf, st.size);
	zip_fclose(zf);
	if (r < 0 || (zip_uint64_t)r != st.size) {
		rc_free(buf);
		return RC_ERR(err, RC_ELEDGER, "cannot read part %s", name);
	}
	buf[st.size] = '\0';
	*out = buf;
	*len = (size_t)st.size;
	return RC_OK;
}

static xmlDocPtr
xml_part(zip_t *za, const char *name, struct rc_err *err)
{
	char *data = NULL;
	size_t len = 0;
	xmlDocPtr doc;

	if (zip_part(za, name, &data, &len, err) != RC_OK)
		return NULL;
	/* No network, no entity expansion (XXE), no DTD loading. */
	doc = xmlReadMemory(data, (int)len, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	rc_free(data);
	if (doc == NULL)
		RC_ERR(err, RC_ELEDGER, "part %s is not well-formed XML", name);
	return doc;
}

static int
is_el(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (is_el(n, name))
			return n;
	return NULL;
}

/* The shared strings, in order (each a new xmlChar* for xmlFree). */
struct sst {
	xmlChar **s;
	size_t n;
};

static void
sst_free(struct sst *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		xmlFree(t->s[i]);
	rc_free(t->s);
	memset(t, 0, sizeof(*t));
}

static enum rc_code
sst_load(xmlDocPtr doc, struct sst *t, struct rc_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), si;
	size_t cap = 0;
	xmlChar **p;

	memset(t, 0, sizeof(*t));
	if (!is_el(root, "sst"))
		return RC_ERR(err, RC_ELEDGER, "sharedStrings: no <sst>");
	for (si = root->children; si != NULL; si = si->next) {
		if (!is_el(si, "si"))
			continue;
		if (t->n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((p = rc_realloc(t->s, cap * sizeof(*p))) == NULL)
				return RC_ERR(err, RC_ENOMEM, "out of memory");
			t->s = p;
		}
		if ((t->s[t->n] = xmlNodeGetContent(si)) == NULL)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
		t->n++;
	}
	return RC_OK;
}

/* numFmt of each cellXfs entry, as its formatCode (borrowed) or NULL for
 * the built-in ids: 0 General, 1 "0", 49 "@". */
struct styles {
	const char **code; /* borrowed from the styles document */
	size_t n;
};

static const char *
builtin_fmt(long id)
{
	return id == 1 ? FMT_INT
	    : id == 49 ? FMT_TEXT
	    : id == 0  ? "General"
	               : "";
}

static enum rc_code
styles_load(xmlDocPtr doc, struct styles *s, struct rc_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), fmts, xfs, n, f;
	xmlChar *a;
	long id;

	memset(s, 0, sizeof(*s));
	if (!is_el(root, "styleSheet") ||
	    (xfs = child(root, "cellXfs")) == NULL)
		return RC_ERR(err, RC_ELEDGER, "styles: no cellXfs");
	fmts = child(root, "numFmts");
	for (n = xfs->children; n != NULL; n = n->next)
		if (is_el(n, "xf"))
			s->n++;
	if ((s->code = rc_calloc(s->n ? s->n : 1, sizeof(*s->code))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	s->n = 0;
	for (n = xfs->children; n != NULL; n = n->next) {
		if (!is_el(n, "xf"))
			continue;
		a = xmlGetProp(n, (const xmlChar *)"numFmtId");
		id = a ? strtol((const char *)a, NULL, 10) : 0;
		xmlFree(a);
		s->code[s->n] = builtin_fmt(id);
		for (f = fmts ? fmts->children : NULL; f != NULL; f = f->next) {
			xmlAttrPtr fid = xmlHasProp(f,
			               (const xmlChar *)"numFmtId"),
			           fc = xmlHasProp(f,
			               (const xmlChar *)"formatCode");

			if (!is_el(f, "numFmt") || fid == NULL || fc == NULL ||
			    fid->children == NULL || fc->children == NULL)
				continue;
			if (strtol((const char *)fid->children->content, NULL,
			        10) == id)
				s->code[s->n] =
				    (const char *)fc->children->content;
		}
		s->n++;
	}
	return RC_OK;
}

/* "B7" -> row 6, col 1. */
static int
parse_ref(const char *r, uint32_t *row, uint16_t *col)
{
	unsigned long c = 0, rw = 0;
	const char *p = r;

	while (*p >= 'A' && *p <= 'Z' && c < 100000)
		c = c * 26 + (unsigned long)(*p++ - 'A' + 1);
	if (p == r || c == 0 || c > 16384)
		return 0;
	while (*p >= '0' && *p <= '9' && rw < 10000000)
		rw = rw * 10 + (unsigned long)(*p++ - '0');
	if (*p != '\0' || rw == 0 || rw > 1048576)
		return 0;
	*row = (uint32_t)(rw - 1);
	*col = (uint16_t)(c - 1);
	return 1;
}

static void
col_name(uint16_t col, char out[4])
{
	if (col < 26) {
		out[0] = (char)('A' + col);
		out[1] = '\0';
	} else {
		out[0] = (char)('A' + col / 26 - 1);
		out[1] = (char)('A' + col % 26);
		out[2] = '\0';
	}
}

static void xmis(struct rc_buf *rep, size_t max, size_t *bad,
    const struct xcell *x, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
xmis(struct rc_buf *rep, size_t max, size_t *bad, const struct xcell *x,
    const char *fmt, ...)
{
	char msg[768], ref[4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*bad < max) {
		if (x != NULL) {
			col_name(x->col, ref);
			(void)rc_buf_addf(rep,
			    "awards.xlsx cell %s%lu (row %lu, column %s): %s\n",
			    ref, (unsigned long)x->row + 1,
			    (unsigned long)x->row + 1,
			    x->row >= XLSX_FIRST_ROW && x->col < EXPORT_COL__MAX
			        ? export_col_names[x->col]
			        : "-",
			    msg);
		} else
			(void)rc_buf_addf(rep, "awards.xlsx: %s\n", msg);
	}
	++*bad;
}

static int
fmt_ok(enum xfmt want, const char *code)
{
	switch (want) {
	case XF_TEXT:
		return code != NULL && strcmp(code, FMT_TEXT) == 0;
	case XF_INT:
		return code != NULL && strcmp(code, FMT_INT) == 0;
	case XF_EUR:
		return code != NULL && strstr(code, "€") != NULL &&
		    strstr(code, "0.00") != NULL;
	case XF_DATE:
		return code != NULL && strstr(code, "yy") != NULL &&
		    strstr(code, "hh") != NULL;
	default:
		return 1;
	}
}

/* Compare one actual cell <c> with its expected x. */
static void
check_cell(xmlNodePtr c, const struct xcell *x, const struct sst *t,
    const struct styles *st, struct rc_buf *rep, size_t max, size_t *bad)
{
	xmlChar *type = xmlGetProp(c, (const xmlChar *)"t"),
	        *sidx = xmlGetProp(c, (const xmlChar *)"s"), *v = NULL;
	xmlNodePtr vn = child(c, "v"), is = child(c, "is");
	const char *text = NULL;
	long style = sidx ? strtol((const char *)sidx, NULL, 10) : 0;
	double num;
	char *end;

	if (child(c, "f") != NULL) {
		xmis(rep, max, bad, x, "holds a formula");
		goto out;
	}
	if (vn != NULL)
		v = xmlNodeGetContent(vn);
	else if (is != NULL)
		v = xmlNodeGetContent(is);
	if (x->is_num) {
		if (type != NULL && strcmp((const char *)type, "n") != 0) {
			xmis(rep, max, bad, x,
			    "expected a number, found a "
			    "cell of type \"%s\"",
			    (const char *)type);
			goto out;
		}
		num = v ? strtod((const char *)v, &end) : 0;
		if (v == NULL || *end != '\0') {
			xmis(rep, max, bad, x,
			    "expected %.10g, found no number", x->num);
			goto out;
		}
		if ((x->fmt == XF_EUR && llround(num * 100.0) != x->exact) ||
		    (x->fmt == XF_DATE &&
		        llround((num - 25569.0) * 86400.0) != x->exact) ||
		    (x->fmt == XF_INT &&
		        (num != floor(num) || (long long)num != x->exact))) {
			xmis(rep, max, bad, x, "expected %.10g, found %s",
			    x->num, (const char *)v);
			goto out;
		}
	} else {
		if (type == NULL && v == NULL)
			text = ""; /* a blank cell: an empty string */
		else if (type == NULL) {
			xmis(rep, max, bad, x,
			    "expected text \"%s\", found a number", x->s);
			goto out;
		} else if (strcmp((const char *)type, "s") == 0) {
			unsigned long k =
			    v ? strtoul((const char *)v, &end, 10) : 0;

			if (v == NULL || *end != '\0' || k >= t->n) {
				xmis(rep, max, bad, x,
				    "bad shared string index");
				goto out;
			}
			text = (const char *)t->s[k];
		} else if (strcmp((const char *)type, "inlineStr") == 0 ||
		    strcmp((const char *)type, "str") == 0)
			text = v ? (const char *)v : "";
		else {
			xmis(rep, max, bad, x,
			    "expected text, found type \"%s\"",
			    (const char *)type);
			goto out;
		}
		if (strcmp(text, x->s) != 0) {
			xmis(rep, max, bad, x, "expected \"%s\", found \"%s\"",
			    x->s, text);
			goto out;
		}
	}
	if (style < 0 || (size_t)style >= st->n ||
	    !fmt_ok(x->fmt, st->code[style]))
		xmis(rep, max, bad, x, "wrong number format \"%s\"",
		    style >= 0 && (size_t)style < st->n && st->code[style]
		        ? st->code[style]
		        : "?");
out:
	xmlFree(type);
	xmlFree(sidx);
	xmlFree(v);
}

enum rc_code
export_xlsx_check(const struct export_model *m, const char *path,
    struct rc_buf *report, size_t max, size_t *bad, struct rc_err *err)
{
	struct xcell *x = NULL;
	struct sst t;
	struct styles st;
	xmlDocPtr sheet = NULL, strings = NULL, styles = NULL;
	xmlNodePtr data, row, c;
	zip_t *za = NULL;
	zip_int64_t ne, i;
	size_t n = 0, k = 0;
	enum rc_code rc = RC_OK;
	int zerr = 0;

	*bad = 0;
	memset(&t, 0, sizeof(t));
	memset(&st, 0, sizeof(st));
	if ((za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)) == NULL)
		return RC_ERR(err, RC_ELEDGER,
		    "cannot open as a zip package (error %d)", zerr);
	/* One worksheet only: a second sheet could hide other figures. */
	ne = zip_get_num_entries(za, 0);
	for (i = 0; i < ne; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, 0);

		if (name != NULL && strncmp(name, "xl/worksheets/", 14) == 0 &&
		    strchr(name + 14, '/') == NULL &&
		    strcmp(name, XLSX_SHEET) != 0)
			xmis(report, max, bad, NULL, "unexpected part %s",
			    name);
	}
	if ((sheet = xml_part(za, XLSX_SHEET, err)) == NULL ||
	    (strings = xml_part(za, XLSX_STRINGS, err)) == NULL ||
	    (styles = xml_part(za, XLSX_STYLES, err)) == NULL) {
		rc = RC_ELEDGER;
		goto out;
	}
	if ((rc = sst_load(strings, &t, err)) != RC_OK ||
	    (rc = styles_load(styles, &st, err)) != RC_OK)
		goto out;
	if (expected_cells(m, &x, &n) != RC_OK) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	data = child(xmlDocGetRootElement(sheet), "sheetData");
	if (data == NULL) {
		rc = RC_ERR(err, RC_ELEDGER, "worksheet without sheetData");
		goto out;
	}
	/* Cells come in row-major order, as expected_cells lists them. */
	for (row = data->children; row != NULL; row = row->next) {
		if (!is_el(row, "row"))
			continue;
		for (c = row->children; c != NULL; c = c->next) {
			xmlChar *ref;
			uint32_t r = 0;
			uint16_t col = 0;
			int ok;

			if (!is_el(c, "c"))
				continue;
			ref = xmlGetProp(c, (const xmlChar *)"r");
			ok = ref && parse_ref((const char *)ref, &r, &col);
			xmlFree(ref);
			if (!ok) {
				xmis(report, max, bad, NULL,
				    "a cell without a valid reference");
				continue;
			}
			/* expected cells before this one are missing */
			while (k < n &&
			    (x[k].row < r ||
			        (x[k].row == r && x[k].col < col))) {
				xmis(report, max, bad, &x[k], "missing");
				k++;
			}
			if (k < n && x[k].row == r && x[k].col == col) {
				check_cell(c, &x[k], &t, &st, report, max, bad);
				k++;
			} else if (child(c, "v") != NULL ||
			    child(c, "is") != NULL || child(c, "f") != NULL) {
				struct xcell extra = { .row = r, .col = col };

				xmis(report, max, bad, &extra,
				    "a cell the entries do not explain");
			}
		}
	}
	for (; k < n; k++)
		xmis(report, max, bad, &x[k], "missing");
out:
	rc_free(x);
	sst_free(&t);
	rc_free(st.code);
	xmlFreeDoc(sheet);
	xmlFreeDoc(strings);
	xmlFreeDoc(styles);
	if (za != NULL)
		zip_discard(za);
	return rc;
}
