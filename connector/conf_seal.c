/* SPDX-License-Identifier: MIT */
/*
 * Sealed conformance reports (see conf_seal.h): the binding is a C2SP
 * signed note made and opened by connector/ledger/note.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/mem.h"
#include "connector/conf_seal.h"
#include "connector/ledger/ledger.h"
#include "connector/payable.h"
#include "verifier/conformance.h"
#include "verifier/report.h"

/* The signed lines, in this order. */
enum {
	L_DOSSIER,
	L_CLIENT,
	L_TEST_CLIENT,
	L_REDIRECT,
	L_ENV,
	L_ISSUER,
	L_START,
	L_END,
	L_VERDICT,
	L_HASH,
	L__N
};
static const char *const line_keys[L__N] = { "dossier_id", "client_id",
	"test_client_id", "redirect_uri", "environment", "issuer", "start",
	"end", "verdict", "report_sha256" };

enum rc_code
conf_seal_report_hash(const json_t *report, char hex[65], struct rc_err *err)
{
	char *s;
	enum rc_code rc;

	if (!json_is_object(report))
		return RC_ERR(err, RC_EINVAL, "the report is not an object");
	if ((s = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = rc_sha256_hex(s, strlen(s), hex);
	free(s);
	if (rc != RC_OK)
		return RC_ERR(err, rc, "cannot hash the report");
	return RC_OK;
}

static void
time_str(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Exactly YYYY-MM-DDTHH:MM:SSZ that formats back the same. */
static int
time_parse(const char *s, time_t *out)
{
	struct tm tm;
	char back[21];

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	time_str(*out, back);
	return strcmp(back, s) == 0;
}

/* The verdict of the report's conformance section, or "none". */
static const char *
sealed_verdict(const json_t *report)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(report, "integrations"), i, s)
	{
		const char *k = json_string_value(json_object_get(s, "kind"));
		const char *v =
		    json_string_value(json_object_get(s, "verdict"));

		if (k != NULL && strcmp(k, "conformance") == 0)
			return v != NULL ? v : "none";
	}
	return "none";
}

static int
clean(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

enum rc_code
conf_seal_make(const struct note_signer *s, const json_t *report,
    const struct conf_seal_binding *b, json_t **out, struct rc_err *err)
{
	const struct note_signer *signers[1] = { s };
	const char *val[L__N];
	char hash[65], start[21], end[21], *note = NULL;
	struct rc_buf text;
	size_t notelen, i;
	enum rc_code rc;
	json_t *o;

	*out = NULL;
	if ((rc = conf_seal_report_hash(report, hash, err)) != RC_OK)
		return rc;
	time_str(b->start, start);
	time_str(b->end, end);
	val[L_DOSSIER] = b->dossier_id;
	val[L_CLIENT] = b->client_id;
	val[L_TEST_CLIENT] = b->test_client_id;
	val[L_REDIRECT] = b->redirect_uri;
	val[L_ENV] = b->environment;
	val[L_ISSUER] = b->issuer;
	val[L_START] = start;
	val[L_END] = end;
	val[L_VERDICT] = sealed_verdict(report);
	val[L_HASH] = hash;
	rc_buf_init(&text, NOTE_MAX_BYTES);
	rc = rc_buf_addf(&text, "%s\n", CONF_SEAL_HEADER);
	for (i = 0; rc == RC_OK && i < L__N; i++) {
		if (!clean(val[i])) {
			rc_buf_free(&text);
			return RC_ERR(err, RC_EINVAL,
			    "cannot seal the report: %s is empty or holds a "
			    "control character",
			    line_keys[i]);
		}
		rc = rc_buf_addf(&text, "%s %s\n", line_keys[i], val[i]);
	}
	if (rc != RC_OK) {
		rc_buf_free(&text);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	rc = note_sign(text.data, text.len, signers, 1, &note, &notelen, err);
	rc_buf_free(&text);
	if (rc != RC_OK)
		return rc;
	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "format", json_string(CONF_SEAL_FORMAT)) ||
	    json_object_set(o, "report", (json_t *)(uintptr_t)report) ||
	    json_object_set_new(o, "seal", json_stringn(note, notelen))) {
		json_decref(o);
		rc_free(note);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	rc_free(note);
	*out = o;
	return RC_OK;
}

/* Split the signed text into its lines' values (pointing into text,
 * whose newlines become NULs).  0 when it is not the expected text. */
static int
seal_lines(char *text, const char *val[L__N])
{
	char *p = text, *nl;
	size_t i, k;

	nl = strchr(p, '\n');
	if (nl == NULL)
		return 0;
	*nl = '\0';
	if (strcmp(p, CONF_SEAL_HEADER) != 0)
		return 0;
	p = nl + 1;
	for (i = 0; i < L__N; i++) {
		if ((nl = strchr(p, '\n')) == NULL)
			return 0;
		*nl = '\0';
		k = strlen(line_keys[i]);
		if (strncmp(p, line_keys[i], k) != 0 || p[k] != ' ')
			return 0;
		val[i] = p + k + 1;
		p = nl + 1;
	}
	return *p == '\0';
}

const char *
conf_seal_check(const json_t *sealed, const struct note_signer *s,
    const struct dossier *d, time_t now, long long max_age_days,
    const json_t **report, char hash[65], char *buf, size_t n)
{
	const struct note_verifier *known[1];
	const struct dossier_integration *in;
	struct note_verifier *v = NULL;
	struct note_result res;
	struct rc_err err = { 0 };
	const char *fmt, *note, *val[L__N], *why = NULL;
	char *vkey = NULL, *text = NULL, mine[65];
	time_t start, end;
	size_t len;

	*report = NULL;
	hash[0] = '\0';
	fmt = json_string_value(json_object_get(sealed, "format"));
	note = json_string_value(json_object_get(sealed, "seal"));
	if (fmt == NULL || strcmp(fmt, CONF_SEAL_FORMAT) != 0 || note == NULL ||
	    !json_is_object(json_object_get(sealed, "report"))) {
		snprintf(buf, n,
		    "the conformance report is not signed by raccord (no "
		    "\"format\": \"%s\" with \"report\" and \"seal\": make it "
		    "with raccord conformance --signed-report FILE)",
		    CONF_SEAL_FORMAT);
		return buf;
	}
	len = json_string_length(json_object_get(sealed, "seal"));
	if (note_signer_vkey(s, &vkey) != RC_OK ||
	    note_verifier_parse(vkey, &v, &err) != RC_OK) {
		snprintf(buf, n, "cannot check the seal: %.200s",
		    err.msg[0] ? err.msg : "out of memory");
		why = buf;
		goto out;
	}
	known[0] = v;
	if (note_open(note, len, known, 1, &res, &err) != RC_OK) {
		snprintf(buf, n,
		    "the conformance report's seal is not a valid signature "
		    "of this ledger's key %.80s (edited, or signed by another "
		    "ledger): %.200s",
		    s->name, err.msg);
		why = buf;
		goto out;
	}
	if ((text = rc_strndup(note, res.text_len)) == NULL) {
		snprintf(buf, n, "out of memory");
		why = buf;
		goto out;
	}
	if (!seal_lines(text, val) || !time_parse(val[L_START], &start) ||
	    !time_parse(val[L_END], &end)) {
		snprintf(buf, n,
		    "the conformance report's seal is signed but is not a "
		    "%s text",
		    CONF_SEAL_HEADER);
		why = buf;
		goto out;
	}
	if (conf_seal_report_hash(json_object_get(sealed, "report"), mine,
	        &err) != RC_OK ||
	    strcmp(mine, val[L_HASH]) != 0) {
		snprintf(buf, n,
		    "the conformance report was changed after it was sealed "
		    "(its SHA-256 is %.64s, the seal says %.64s)",
		    mine, val[L_HASH]);
		why = buf;
		goto out;
	}
	if (strcmp(val[L_DOSSIER], d->dossier_id) != 0) {
		snprintf(buf, n,
		    "the conformance report is for dossier %.80s, not %.80s",
		    val[L_DOSSIER], d->dossier_id);
		why = buf;
		goto out;
	}
	if (conf_integration(d, &in, &err) != RC_OK) {
		snprintf(buf, n, "%.250s", err.msg);
		why = buf;
		goto out;
	}
	if (strcmp(val[L_CLIENT], in->client_id) != 0) {
		snprintf(buf, n,
		    "the conformance report tested client_id %.80s, but the "
		    "dossier's %s has client_id %.80s",
		    val[L_CLIENT], in->path, in->client_id);
		why = buf;
		goto out;
	}
	if (strcmp(val[L_REDIRECT], in->redirect_uri) != 0) {
		snprintf(buf, n,
		    "the conformance report tested redirect_uri %.120s, but "
		    "the dossier's %s has %.120s",
		    val[L_REDIRECT], in->path, in->redirect_uri);
		why = buf;
		goto out;
	}
	if (end > now + CONF_SEAL_SKEW_S || start > end) {
		snprintf(buf, n,
		    "the conformance report's run (%s to %s) is not over yet "
		    "by this clock",
		    val[L_START], val[L_END]);
		why = buf;
		goto out;
	}
	if (max_age_days >= 0 && now - end > (time_t)max_age_days * 86400) {
		snprintf(buf, n,
		    "the conformance report is stale: its run ended %s, more "
		    "than policy.conformance_max_age_days (%lld) ago",
		    val[L_END], max_age_days);
		why = buf;
		goto out;
	}
	*report = json_object_get(sealed, "report");
	memcpy(hash, mine, 65);
out:
	rc_free(text);
	rc_free(vkey);
	note_verifier_free(v);
	return why;
}

const char *
conf_seal_judge(struct ledger *lg, const struct note_signer *s,
    const json_t *sealed, const struct dossier *d, time_t now,
    long long max_age_days, char hash[65], char *buf, size_t n)
{
	const json_t *report;
	const char *why;
	struct rc_err err = { 0 };
	char rhash[65], *dump;
	enum rc_code rc;

	hash[0] = '\0';
	if (sealed == NULL)
		return payable_conformance(NULL, d->dossier_id, buf, n);
	if ((why = conf_seal_check(sealed, s, d, now, max_age_days, &report,
	         rhash, buf, n)) != NULL ||
	    (why = payable_conformance(report, d->dossier_id, buf, n)) != NULL)
		return why;
	if ((dump = json_dumps(sealed, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL) {
		snprintf(buf, n, "out of memory");
		return buf;
	}
	rc = ledger_evidence_put(lg, dump, strlen(dump), hash, &err);
	free(dump);
	if (rc != RC_OK) {
		hash[0] = '\0';
		snprintf(buf, n, "cannot store the conformance report: %.200s",
		    err.msg);
		return buf;
	}
	return NULL;
}

enum rc_code
conf_seal_run(const struct note_signer *s, const struct report *rep,
    const struct dossier *d, const struct conf_registration *reg,
    const char *public_url, time_t start, time_t end, json_t **out,
    struct rc_err *err)
{
	const struct dossier_integration *in;
	struct conf_seal_binding b;
	char issuer[2048];
	size_t n = strlen(public_url);
	enum rc_code rc;
	json_t *o;

	*out = NULL;
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	if (n >= sizeof(issuer))
		return RC_ERR(err, RC_EINVAL, "the public URL is too long");
	snprintf(issuer, sizeof(issuer), "%.*s", (int)n, public_url);
	if ((rc = conf_integration(d, &in, err)) != RC_OK)
		return rc;
	memset(&b, 0, sizeof(b));
	b.dossier_id = d->dossier_id;
	b.client_id = in->client_id;
	b.test_client_id = reg->client_id;
	b.redirect_uri = reg->redirect_uri;
	b.environment = dossier_env_str(in->env);
	b.issuer = issuer;
	b.start = start;
	b.end = end;
	if ((o = report_to_json(rep)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = conf_seal_make(s, o, &b, out, err);
	json_decref(o);
	return rc;
}
