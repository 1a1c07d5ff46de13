/* SPDX-License-Identifier: MIT */
/*
 * The report model, its verdict rules and its JSON and text renderings
 * (see report.h and docs/report.md).
 *
 * Every string that enters a report goes through rc_redact
 * (common/redact.h) with the report's secrets, at the moment it enters:
 * the stored report is valid UTF-8 without control bytes, so that both
 * renderings are safe and writing the JSON never fails on a site's bytes.
 *
 * Fail closed: a check, an attribute or an exchange that cannot be
 * recorded (out of memory) marks its section (or, for an exchange, the
 * whole report) incomplete, and an incomplete section is never verified.
 * So does a check the catalogue (verifier/catalog.c) does not explain, or
 * contradicts: a new check without an explanation cannot pay.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/redact.h"
#include "verifier/catalog.h"
#include "verifier/probe.h"
#include "verifier/report.h"

struct report_check {
	char *id;
	enum check_status status;
	int required;
	char *detail;
	int *exch;
	size_t nexch;
};

struct report_section {
	struct report *rep;     /* the report holding it */
	const char *incomplete; /* why a record was lost (static), or NULL */
	size_t nlost;           /* records lost */
	char *kind;
	char *label;
	json_t *attrs; /* extra string attributes */
	struct report_check *checks;
	size_t nchecks;
};

struct report {
	char *dossier_id;
	char **secrets; /* hidden from every string, NULL-terminated */
	size_t nsecrets;
	size_t lost_exch;  /* exchanges that could not be recorded */
	json_t *exchanges; /* array of evidence objects */
	struct report_section **sections;
	size_t nsections;
};

const char *
check_status_str(enum check_status st)
{
	static const char *const names[CHECK__MAX] = { "pass", "warn", "fail",
		"skip", "error" };

	return (unsigned)st < CHECK__MAX ? names[st] : "unknown";
}

const char *
verdict_str(enum verdict v)
{
	static const char *const names[VERDICT__MAX] = { "verified", "failed",
		"inconclusive" };

	return (unsigned)v < VERDICT__MAX ? names[v] : "unknown";
}

struct report *
report_new(const char *dossier_id)
{
	struct report *rep;

	if ((rep = rc_calloc(1, sizeof(*rep))) == NULL)
		return NULL;
	rep->dossier_id = rc_redact_str(dossier_id, NULL);
	rep->exchanges = json_array();
	if (rep->dossier_id == NULL || rep->exchanges == NULL) {
		report_free(rep);
		return NULL;
	}
	return rep;
}

static void
section_free(struct report_section *sec)
{
	size_t i;

	if (sec == NULL)
		return;
	for (i = 0; i < sec->nchecks; i++) {
		rc_free(sec->checks[i].id);
		rc_free(sec->checks[i].detail);
		rc_free(sec->checks[i].exch);
	}
	rc_free(sec->checks);
	rc_free(sec->kind);
	rc_free(sec->label);
	json_decref(sec->attrs);
	rc_free(sec);
}

void
report_free(struct report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nsections; i++)
		section_free(rep->sections[i]);
	rc_free(rep->sections);
	for (i = 0; i < rep->nsecrets; i++)
		rc_free_secret(rep->secrets[i], strlen(rep->secrets[i]));
	rc_free(rep->secrets);
	json_decref(rep->exchanges);
	rc_free(rep->dossier_id);
	rc_free(rep);
}

static char *
iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		buf[0] = '\0';
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* json_object_set_new that tolerates a NULL value (ENOMEM): reports it. */
static int
set(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) != 0;
}

enum rc_code
report_secret_add(struct report *rep, const char *secret)
{
	char **ns;

	if (secret == NULL || *secret == '\0')
		return RC_OK;
	ns = rc_realloc(rep->secrets, (rep->nsecrets + 2) * sizeof(*ns));
	if (ns == NULL)
		return RC_ENOMEM;
	rep->secrets = ns;
	if ((ns[rep->nsecrets] = rc_strdup(secret)) == NULL) {
		ns[rep->nsecrets] = NULL;
		return RC_ENOMEM;
	}
	ns[++rep->nsecrets] = NULL;
	return RC_OK;
}

/* s redacted with the report's secrets (rc_free), or NULL on ENOMEM. */
static char *
clean(const struct report *rep, const char *s)
{
	char *out = NULL;

	if (rc_redact(s, s != NULL ? strlen(s) : 0,
	        (const char *const *)rep->secrets, &out) != RC_OK)
		return NULL;
	return out;
}

/* A JSON string of s redacted (NULL, which set() reports, on ENOMEM). */
static json_t *
jstr(const struct report *rep, const char *s)
{
	char *c = clean(rep, s);
	json_t *j;

	if (c == NULL)
		return NULL;
	j = json_string(c); /* valid UTF-8 by construction */
	rc_free(c);
	return j;
}

static int exchange_add(struct report *rep, const struct probe_res *res);

int
report_exchange_add(struct report *rep, const struct probe_res *res)
{
	int idx = exchange_add(rep, res);

	if (idx < 0)
		rep->lost_exch++; /* fail closed: see report_section_verdict */
	return idx;
}

static int
exchange_add(struct report *rep, const struct probe_res *res)
{
	char when[32];
	json_t *o, *t, *tls, *hdrs = NULL;
	size_t i;
	int bad = 0;

	if ((o = json_object()) == NULL)
		return -1;
	bad |= set(o, "method", jstr(rep, res->method ? res->method : "GET"));
	/* Only the probe's redacted forms, never url or location. */
	bad |= set(o, "url", jstr(rep, res->url_redacted));
	bad |= set(o, "started",
	    json_string(iso8601(res->started, when, sizeof(when))));
	bad |= set(o, "outcome", json_string(probe_outcome_str(res->outcome)));
	if (res->outcome != PROBE_OK)
		bad |= set(o, "error", jstr(rep, res->errmsg));
	if (res->status != 0)
		bad |= set(o, "status", json_integer(res->status));
	if (res->location_redacted != NULL)
		bad |= set(o, "location", jstr(rep, res->location_redacted));
	else if (res->location != NULL)
		bad |= set(o, "location", json_string(RC_REDACTED));
	if (res->primary_ip[0] != '\0') {
		bad |= set(o, "peer", jstr(rep, res->primary_ip));
		bad |= set(o, "port", json_integer(res->primary_port));
	}
	if (res->http_version[0] != '\0')
		bad |= set(o, "http_version", jstr(rep, res->http_version));
	if (res->tls_version[0] != '\0') {
		if ((tls = json_object()) == NULL)
			bad = 1;
		else {
			bad |= set(tls, "version", jstr(rep, res->tls_version));
			bad |= set(tls, "cert_sha256",
			    jstr(rep, res->cert_sha256));
			bad |= set(tls, "cert_not_after",
			    json_string(iso8601(res->cert_not_after, when,
			        sizeof(when))));
			bad |= set(tls, "cert_subject",
			    jstr(rep, res->cert_subject));
			bad |= set(o, "tls", tls);
		}
	}
	if (res->outcome == PROBE_OK) {
		bad |= set(o, "body_bytes",
		    json_integer((json_int_t)res->body.len));
		bad |= set(o, "body_sha256", jstr(rep, res->body_sha256));
	}
	/* A few response headers that checks judge; never cookies' values. */
	for (i = 0; i < res->nheaders; i++) {
		const char *n = res->headers[i].name;

		if (strcasecmp(n, "Strict-Transport-Security") != 0 &&
		    strcasecmp(n, "Content-Type") != 0 &&
		    strcasecmp(n, "Retry-After") != 0)
			continue;
		if (hdrs == NULL && (hdrs = json_object()) == NULL) {
			bad = 1;
			break;
		}
		/* The probe's redacted value (its request's secret hidden). */
		bad |= set(hdrs, n,
		    jstr(rep,
		        res->headers[i].value_redacted != NULL
		            ? res->headers[i].value_redacted
		            : res->headers[i].value));
	}
	if (hdrs != NULL)
		bad |= set(o, "headers", hdrs);
	if ((t = json_pack("{s:f,s:f,s:f,s:f,s:f}", "dns", res->t_dns,
	         "connect", res->t_connect, "tls", res->t_tls, "ttfb",
	         res->t_ttfb, "total", res->t_total)) == NULL)
		bad = 1;
	else
		bad |= set(o, "timings", t);
	if (res->sent_headers != NULL) {
		json_t *sent = json_array();

		for (i = 0; sent != NULL && res->sent_headers[i] != NULL; i++)
			if (json_array_append_new(sent,
			        jstr(rep, res->sent_headers[i])) != 0)
				bad = 1;
		bad |= set(o, "request_headers", sent);
	}
	if (bad) {
		json_decref(o);
		return -1;
	}
	if (json_array_append_new(rep->exchanges, o) != 0) /* steals o */
		return -1;
	return (int)json_array_size(rep->exchanges) - 1;
}

struct report_section *
report_section_add(struct report *rep, const char *kind, const char *label)
{
	struct report_section *sec, **ns;

	ns = rc_realloc(rep->sections, (rep->nsections + 1) * sizeof(*ns));
	if (ns == NULL)
		return NULL;
	rep->sections = ns;
	if ((sec = rc_calloc(1, sizeof(*sec))) == NULL)
		return NULL;
	sec->rep = rep;
	sec->kind = clean(rep, kind);
	sec->label = clean(rep, label ? label : kind);
	sec->attrs = json_object();
	if (sec->kind == NULL || sec->label == NULL || sec->attrs == NULL) {
		section_free(sec);
		return NULL;
	}
	rep->sections[rep->nsections++] = sec;
	return sec;
}

void
report_section_incomplete(struct report_section *sec, const char *why)
{
	if (sec == NULL)
		return;
	if (sec->incomplete == NULL)
		sec->incomplete = why != NULL ? why : "a record was lost";
	sec->nlost++;
}

const char *
report_section_incomplete_why(const struct report_section *sec)
{
	if (sec->incomplete != NULL)
		return sec->incomplete;
	if (sec->rep != NULL && sec->rep->lost_exch > 0)
		return "evidence of an exchange could not be recorded "
		       "(out of memory)";
	return NULL;
}

enum rc_code
report_section_set(struct report_section *sec, const char *key,
    const char *value)
{
	if (json_object_set_new(sec->attrs, key, jstr(sec->rep, value)) != 0) {
		report_section_incomplete(sec,
		    "an attribute could not be recorded (out of memory)");
		return RC_ENOMEM;
	}
	return RC_OK;
}

/*
 * Move the check just written at sec->checks[nchecks] to its place in id
 * order (after the checks of the same id: recording order is kept among
 * them), so that a report lists its checks in the same order whatever
 * order the network completed them in: two reports of one site diff.
 */
static void
sort_last_check(struct report_section *sec)
{
	struct report_check last = sec->checks[sec->nchecks];
	size_t i = sec->nchecks;

	while (i > 0 && strcmp(sec->checks[i - 1].id, last.id) > 0)
		i--;
	memmove(&sec->checks[i + 1], &sec->checks[i],
	    (sec->nchecks - i) * sizeof(sec->checks[0]));
	sec->checks[i] = last;
}

/*
 * The catalogue's word on a check being recorded: NULL when it agrees,
 * else why the section cannot be trusted (static).  A programmer's error,
 * never a site's: logged as an internal error.
 */
static const char *
catalog_disagrees(const struct report_section *sec, const char *id,
    enum check_status st, int required)
{
	const struct catalog_entry *e = catalog_find(id);
	const char *why = NULL;

	if (e == NULL)
		why = "a check id is not in the catalogue of checks "
		      "(internal error)";
	else if (strcmp(e->kind, sec->kind) != 0)
		why = "a check was recorded in a section of another kind than "
		      "its catalogue entry (internal error)";
	else if ((st == CHECK_FAIL || st == CHECK_ERROR) && !required &&
	    e->level != CATALOG_ADVISORY)
		/*
		 * A required rule that failed, or could not be judged, left
		 * out of the verdict would let the section pass (it may warn
		 * or skip as advisory).
		 */
		why = "a check the catalogue marks required failed or erred "
		      "as advisory (internal error)";
	if (why != NULL)
		log_error("internal error: check=%s kind=%s status=%s "
		          "required=%d: %s; see verifier/catalog.c",
		    id, sec->kind, check_status_str(st), required, why);
	return why;
}

enum rc_code
report_check(struct report_section *sec, const char *id, enum check_status st,
    int required, const int *exch, size_t nexch, const char *fmt, ...)
{
	struct report_check *nc, *c;
	const char *why;
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	nc = rc_realloc(sec->checks, (sec->nchecks + 1) * sizeof(*nc));
	if (nc == NULL)
		goto lost;
	sec->checks = nc;
	c = &sec->checks[sec->nchecks];
	memset(c, 0, sizeof(*c));
	c->id = clean(sec->rep, id);
	c->detail = clean(sec->rep, detail);
	if (nexch > 0 && (c->exch = rc_malloc(nexch * sizeof(int))) != NULL) {
		memcpy(c->exch, exch, nexch * sizeof(int));
		c->nexch = nexch;
	}
	if (c->id == NULL || c->detail == NULL ||
	    (nexch > 0 && c->exch == NULL)) {
		rc_free(c->id);
		rc_free(c->detail);
		rc_free(c->exch);
		goto lost;
	}
	c->status = st;
	c->required = required;
	/* Recorded as evidence, but the section is never verified. */
	if ((why = catalog_disagrees(sec, c->id, st, required)) != NULL)
		report_section_incomplete(sec, why);
	sort_last_check(sec);
	sec->nchecks++;
	return RC_OK;
lost:
	/* Fail closed: the lost check might have been a required fail. */
	report_section_incomplete(sec,
	    "a check could not be recorded (out of memory)");
	return RC_ENOMEM;
}

enum verdict
report_section_verdict(const struct report_section *sec)
{
	int failed = 0, unsure = 0;
	size_t i;

	for (i = 0; i < sec->nchecks; i++) {
		if (!sec->checks[i].required)
			continue;
		switch (sec->checks[i].status) {
		case CHECK_PASS:
			break;
		case CHECK_FAIL:
			failed = 1;
			break;
		default: /* error, skip, warn on a required check */
			unsure = 1;
			break;
		}
	}
	if (failed)
		return VERDICT_FAILED;
	if (unsure || sec->nchecks == 0 ||
	    report_section_incomplete_why(sec) != NULL)
		return VERDICT_INCONCLUSIVE;
	return VERDICT_VERIFIED;
}

enum verdict
report_verdict(const struct report *rep)
{
	enum verdict v = VERDICT_VERIFIED, sv;
	size_t i;

	if (rep->nsections == 0 && rep->lost_exch > 0)
		v = VERDICT_INCONCLUSIVE;
	for (i = 0; i < rep->nsections; i++) {
		sv = report_section_verdict(rep->sections[i]);
		if (sv == VERDICT_FAILED)
			return VERDICT_FAILED;
		if (sv == VERDICT_INCONCLUSIVE)
			v = VERDICT_INCONCLUSIVE;
	}
	return v;
}

size_t
report_section_count(const struct report *rep)
{
	return rep->nsections;
}

const struct report_section *
report_section_get(const struct report *rep, size_t i)
{
	return i < rep->nsections ? rep->sections[i] : NULL;
}

const char *
report_section_kind(const struct report_section *sec)
{
	return sec->kind;
}

static const struct report_check *
find_check(const struct report_section *sec, const char *id)
{
	size_t i;

	for (i = 0; i < sec->nchecks; i++)
		if (strcmp(sec->checks[i].id, id) == 0)
			return &sec->checks[i];
	return NULL;
}

enum check_status
report_check_status(const struct report_section *sec, const char *id)
{
	const struct report_check *c = find_check(sec, id);

	return c ? c->status : CHECK__MAX;
}

const char *
report_check_detail(const struct report_section *sec, const char *id)
{
	const struct report_check *c = find_check(sec, id);

	return c ? c->detail : NULL;
}

static json_t *
section_to_json(const struct report_section *sec)
{
	json_t *o, *checks, *c, *ex;
	const char *why = report_section_incomplete_why(sec);
	size_t i, j;

	o = json_deep_copy(sec->attrs);
	checks = json_array();
	if (o == NULL || checks == NULL)
		goto fail;
	if (json_object_set_new(o, "kind", json_string(sec->kind)) != 0 ||
	    json_object_set_new(o, "label", json_string(sec->label)) != 0 ||
	    json_object_set_new(o, "verdict",
	        json_string(verdict_str(report_section_verdict(sec)))) != 0)
		goto fail;
	if (why != NULL &&
	    json_object_set_new(o, "incomplete", json_string(why)) != 0)
		goto fail;
	for (i = 0; i < sec->nchecks; i++) {
		const struct report_check *k = &sec->checks[i];

		if ((ex = json_array()) == NULL)
			goto fail;
		for (j = 0; j < k->nexch; j++)
			if (json_array_append_new(ex,
			        json_integer(k->exch[j])) != 0) {
				json_decref(ex);
				goto fail;
			}
		c = json_pack("{s:s,s:s,s:b,s:s,s:o*}", "id", k->id, "status",
		    check_status_str(k->status), "required", k->required,
		    "detail", k->detail, "exchanges", ex);
		if (c == NULL || json_array_append_new(checks, c) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "checks", checks) != 0) {
		checks = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(checks);
	json_decref(o);
	return NULL;
}

json_t *
report_to_json(const struct report *rep)
{
	json_t *o, *secs, *s;
	size_t i;

	o = json_pack("{s:i,s:s,s:s}", "report_version", REPORT_VERSION,
	    "dossier_id", rep->dossier_id, "verdict",
	    verdict_str(report_verdict(rep)));
	secs = json_array();
	if (o == NULL || secs == NULL)
		goto fail;
	for (i = 0; i < rep->nsections; i++) {
		if ((s = section_to_json(rep->sections[i])) == NULL ||
		    json_array_append_new(secs, s) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "integrations", secs) != 0) {
		secs = NULL;
		goto fail;
	}
	if (json_object_set(o, "exchanges", rep->exchanges) != 0)
		goto fail_o;
	return o;
fail:
	json_decref(secs);
fail_o:
	json_decref(o);
	return NULL;
}

/* ANSI colours of the text rendering, on a terminal only. */
static const char *const status_colour[CHECK__MAX] = {
	[CHECK_PASS] = "\033[32m",
	[CHECK_WARN] = "\033[33m",
	[CHECK_FAIL] = "\033[1;31m",
	[CHECK_SKIP] = "\033[2m",
	[CHECK_ERROR] = "\033[35m",
};

static const char *
verdict_colour(enum verdict v)
{
	return v == VERDICT_VERIFIED ? "\033[1;32m"
	    : v == VERDICT_FAILED    ? "\033[1;31m"
	                             : "\033[1;35m";
}

/* A verdict for people, in lang (< 0: the report's English words). */
static const char *
verdict_words(enum verdict v, int lang)
{
	static const char *const fr[VERDICT__MAX] = { "vérifié", "échec",
		"non concluant" };

	if (lang == CATALOG_FR && (unsigned)v < VERDICT__MAX)
		return fr[v];
	return verdict_str(v);
}

/*
 * Under a check's line, its plain explanation from the catalogue: the
 * title always; why, how to fix and the source when it failed, warned or
 * could not be judged.
 */
static void
print_explanation(FILE *f, const struct report_check *k, int lang)
{
	const struct catalog_entry *e = catalog_find(k->id);
	const struct catalog_text *t;
	int fr = lang == CATALOG_FR;

	if (e == NULL) {
		fprintf(f, "           %s\n",
		    fr ? "(aucune explication : contrôle absent du catalogue)"
		       : "(no explanation: check not in the catalogue)");
		return;
	}
	t = &e->text[lang];
	fprintf(f, "           %s\n", t->title);
	if (k->status == CHECK_PASS || k->status == CHECK_SKIP)
		return; /* nothing to fix */
	fprintf(f, "           %s %s\n", fr ? "Pourquoi :" : "Why:", t->why);
	fprintf(f, "           %s %s\n", fr ? "Corriger :" : "Fix:", t->fix);
	fprintf(f, "           %s %s%s%s\n",
	    fr ? "Source :" : "Source:", e->doc, e->spec != NULL ? "; " : "",
	    e->spec != NULL ? e->spec : "");
}

static void
print_text(const struct report *rep, FILE *f, int colour, int lang)
{
	static const char *const marks[CHECK__MAX] = { "PASS", "WARN", "FAIL",
		"SKIP", "ERR " };
	const char *on, *off = colour ? "\033[0m" : "";
	int fr = lang == CATALOG_FR;
	enum verdict v;
	size_t i, j;

	v = report_verdict(rep);
	fprintf(f, "Dossier %s: %s%s%s\n", rep->dossier_id,
	    colour ? verdict_colour(v) : "", verdict_words(v, lang), off);
	for (i = 0; i < rep->nsections; i++) {
		const struct report_section *sec = rep->sections[i];

		v = report_section_verdict(sec);
		fprintf(f, "\n  %s: %s%s%s\n", sec->label,
		    colour ? verdict_colour(v) : "", verdict_words(v, lang),
		    off);
		if (report_section_incomplete_why(sec) != NULL)
			fprintf(f, "    [ERR ] %s: %s\n",
			    fr ? "rapport incomplet" : "report incomplete",
			    report_section_incomplete_why(sec));
		for (j = 0; j < sec->nchecks; j++) {
			const struct report_check *k = &sec->checks[j];
			enum check_status st =
			    k->status < CHECK__MAX ? k->status : CHECK_PASS;

			on = colour ? status_colour[st] : "";
			fprintf(f, "    [%s%s%s] %-28s %s%s\n", on, marks[st],
			    off, k->id,
			    k->required ? ""
			        : fr    ? "(indicatif) "
			                : "(advisory) ",
			    k->detail);
			if (lang >= 0 && lang < CATALOG_LANG__MAX)
				print_explanation(f, k, lang);
		}
	}
	fprintf(f,
	    fr ? "\n  %zu échanges HTTP enregistrés comme preuves "
	         "(--format json les montre).\n"
	       : "\n  %zu HTTP exchanges recorded as evidence "
	         "(--format json shows them).\n",
	    json_array_size(rep->exchanges));
}

void
report_print_text_colour(const struct report *rep, FILE *f, int colour)
{
	print_text(rep, f, colour, -1);
}

void
report_print_text_explained(const struct report *rep, FILE *f, int colour,
    int lang)
{
	print_text(rep, f, colour, lang);
}

void
report_print_text(const struct report *rep, FILE *f)
{
	report_print_text_colour(rep, f, 0);
}

void
report_log(const struct report *rep)
{
	const struct report_section *sec;
	const struct report_check *k;
	size_t i, j;

	if (rep == NULL || rc_log_get_level() < RC_LOG_INFO)
		return;
	for (i = 0; i < rep->nsections; i++) {
		sec = rep->sections[i];
		for (j = 0; j < sec->nchecks; j++) {
			k = &sec->checks[j];
			log_info("dossier=%s integration=%zu check=%s "
			         "status=%s required=%d",
			    rep->dossier_id, i, k->id,
			    check_status_str(k->status), k->required);
		}
		log_info("dossier=%s integration=%zu verdict=%s%s%s%s",
		    rep->dossier_id, i,
		    verdict_str(report_section_verdict(sec)),
		    report_section_incomplete_why(sec) ? " incomplete=\"" : "",
		    report_section_incomplete_why(sec)
		        ? report_section_incomplete_why(sec)
		        : "",
		    report_section_incomplete_why(sec) ? "\"" : "");
	}
	log_info("dossier=%s verdict=%s", rep->dossier_id,
	    verdict_str(report_verdict(rep)));
}
