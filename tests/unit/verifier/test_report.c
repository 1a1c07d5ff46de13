/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/report: verdict rules, JSON shape, ENOMEM.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "verifier/catalog.h"
#include "verifier/checks.h"
#include "verifier/probe.h"
#include "verifier/report.h"

static struct report_section *
section_with(struct report *rep, const enum check_status *st, const int *req,
    size_t n)
{
	struct report_section *sec =
	    report_section_add(rep, "franceconnect", "fc");
	size_t i;

	assert_non_null(sec);
	for (i = 0; i < n; i++)
		/* A required id, or an advisory one (verifier/catalog.c). */
		assert_int_equal(report_check(sec,
		                     req[i] ? "fc.discovery" : "fc.tls.hsts",
		                     st[i], req[i], NULL, 0, "check %zu", i),
		    RC_OK);
	return sec;
}

static void
test_verdict_rules(void **state)
{
	static const struct {
		enum check_status st[3];
		int req[3];
		enum verdict want;
	} cases[] = {
		{ { CHECK_PASS, CHECK_PASS, CHECK_WARN }, { 1, 1, 0 },
		    VERDICT_VERIFIED },
		{ { CHECK_PASS, CHECK_FAIL, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_FAILED },
		{ { CHECK_PASS, CHECK_ERROR, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_INCONCLUSIVE },
		/* A definite failure outranks a network error. */
		{ { CHECK_FAIL, CHECK_ERROR, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_FAILED },
		/* A required check that could not run never verifies. */
		{ { CHECK_PASS, CHECK_SKIP, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_INCONCLUSIVE },
		/* Advisory failures and errors never block. */
		{ { CHECK_PASS, CHECK_FAIL, CHECK_ERROR }, { 1, 0, 0 },
		    VERDICT_VERIFIED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report *rep = report_new("D-1");
		struct report_section *sec;

		assert_non_null(rep);
		sec = section_with(rep, cases[i].st, cases[i].req, 3);
		assert_int_equal(report_section_verdict(sec), cases[i].want);
		assert_int_equal(report_verdict(rep), cases[i].want);
		report_free(rep);
	}
}

static void
test_empty_section_is_inconclusive(void **state)
{
	struct report *rep = report_new("D-2");

	(void)state;
	assert_non_null(report_section_add(rep, "api", "api"));
	assert_int_equal(report_verdict(rep), VERDICT_INCONCLUSIVE);
	report_free(rep);
}

static void
test_overall_worst_section(void **state)
{
	static const enum check_status pass[1] = { CHECK_PASS };
	static const enum check_status fail[1] = { CHECK_FAIL };
	static const enum check_status err[1] = { CHECK_ERROR };
	static const int req[1] = { 1 };
	struct report *rep = report_new("D-3");

	(void)state;
	section_with(rep, pass, req, 1);
	section_with(rep, err, req, 1);
	assert_int_equal(report_verdict(rep), VERDICT_INCONCLUSIVE);
	section_with(rep, fail, req, 1);
	assert_int_equal(report_verdict(rep), VERDICT_FAILED);
	report_free(rep);
}

static void
test_json_shape(void **state)
{
	struct report *rep = report_new("DP-42");
	struct report_section *sec;
	json_t *j, *c;
	int ex[1] = { 0 };

	(void)state;
	sec = report_section_add(rep, "franceconnect", "fc (production)");
	assert_int_equal(report_section_set(sec, "environment", "production"),
	    RC_OK);
	assert_int_equal(report_check(sec, "fc.authorize.nonce", CHECK_FAIL, 1,
	                     ex, 1, "nonce has %d characters", 16),
	    RC_OK);
	assert_int_equal(report_check_status(sec, "fc.authorize.nonce"),
	    CHECK_FAIL);
	assert_string_equal(report_check_detail(sec, "fc.authorize.nonce"),
	    "nonce has 16 characters");
	assert_int_equal(report_check_status(sec, "nope"), CHECK__MAX);
	j = report_to_json(rep);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "report_version")),
	    REPORT_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
	    "failed");
	c = json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "checks"),
	    0);
	assert_string_equal(json_string_value(json_object_get(c, "id")),
	    "fc.authorize.nonce");
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "fail");
	assert_true(json_is_true(json_object_get(c, "required")));
	assert_int_equal(json_integer_value(json_array_get(
	                     json_object_get(c, "exchanges"), 0)),
	    0);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "environment")),
	    "production");
	json_decref(j);
	report_free(rep);
}

/* The ids of sec's checks in the JSON, space-separated, into out. */
static void
json_ids(struct report *rep, char *out, size_t len)
{
	json_t *j = report_to_json(rep), *checks;
	size_t i, n = 0;

	assert_non_null(j);
	checks = json_object_get(
	    json_array_get(json_object_get(j, "integrations"), 0), "checks");
	out[0] = '\0';
	for (i = 0; i < json_array_size(checks); i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s/%s", i ? " " : "",
		    json_string_value(
		        json_object_get(json_array_get(checks, i), "id")),
		    json_string_value(
		        json_object_get(json_array_get(checks, i), "detail")));
	json_decref(j);
}

/*
 * Checks are listed in id order whatever order the network completed
 * them in (issue 14: two reports of one site can be diffed); the same id
 * twice keeps its recording order.
 */
static void
test_stable_check_order(void **state)
{
	static const char *const ids[] = { "fc.provider.accepts",
		"fc.authorize.nonce", "fc.discovery", "fc.authorize.acr_values",
		"fc.authorize.nonce" };
	static const size_t orders[2][5] = { { 0, 1, 2, 3, 4 },
		{ 3, 2, 0, 1, 4 } };
	char got[2][512];
	size_t o, i;

	(void)state;
	for (o = 0; o < 2; o++) {
		struct report *rep = report_new("DP-1");
		struct report_section *sec =
		    report_section_add(rep, "franceconnect", "fc");

		for (i = 0; i < 5; i++)
			assert_int_equal(
			    report_check(sec, ids[orders[o][i]], CHECK_PASS, 1,
			        NULL, 0, "%zu",
			        orders[o][i] == 4 ? (size_t)2 : (size_t)1),
			    RC_OK);
		json_ids(rep, got[o], sizeof(got[o]));
		report_free(rep);
	}
	assert_string_equal(got[0],
	    "fc.authorize.acr_values/1 fc.authorize.nonce/1 "
	    "fc.authorize.nonce/2 fc.discovery/1 fc.provider.accepts/1");
	assert_string_equal(got[0], got[1]);
}

/* The peer address and port are evidence when known, absent otherwise. */
static void
test_exchange_peer(void **state)
{
	struct probe_res res;
	struct report *rep = report_new("DP-1");
	json_t *j, *x;

	(void)state;
	assert_non_null(rep);
	memset(&res, 0, sizeof(res));
	res.method = (char *)(uintptr_t) "GET";
	res.url_redacted = (char *)(uintptr_t) "https://a.example/";
	res.outcome = PROBE_OK;
	res.status = 200;
	snprintf(res.primary_ip, sizeof(res.primary_ip), "127.0.0.1");
	res.primary_port = 8443;
	assert_int_equal(report_exchange_add(rep, &res), 0);
	res.primary_ip[0] = '\0';
	res.outcome = PROBE_CONNECT;
	res.status = 0;
	assert_int_equal(report_exchange_add(rep, &res), 1);
	assert_non_null(j = report_to_json(rep));
	x = json_array_get(json_object_get(j, "exchanges"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "peer")),
	    "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(x, "port")), 8443);
	x = json_array_get(json_object_get(j, "exchanges"), 1);
	assert_null(json_object_get(x, "peer"));
	assert_null(json_object_get(x, "port"));
	json_decref(j);
	report_free(rep);
}

/*
 * An exchange's evidence (docs/report.md): each field is written when the
 * probe knows it and absent otherwise, never an empty or made-up value:
 * the HTTP version, the TLS block, the status, the error (only for a
 * failed exchange), the body's size and hash (only for a completed one)
 * and the judged response headers (never another header).
 */
static void
test_exchange_fields(void **state)
{
	static const char *const sent[] = { "Accept: text/html", NULL };
	struct probe_header hdr[2] = {
		{ .name = (char *)(uintptr_t) "Content-Type",
		    .value = (char *)(uintptr_t) "text/html" },
		{ .name = (char *)(uintptr_t) "Set-Cookie",
		    .value = (char *)(uintptr_t) "sid=1" },
	};
	struct probe_res res;
	struct report *rep = report_new("DP-1");
	json_t *j, *x, *tls;

	(void)state;
	assert_non_null(rep);
	memset(&res, 0, sizeof(res));
	res.method = (char *)(uintptr_t) "GET";
	res.url_redacted = (char *)(uintptr_t) "https://a.example/";
	res.outcome = PROBE_OK;
	res.status = 302;
	res.location_redacted = (char *)(uintptr_t) "https://b.example/";
	snprintf(res.http_version, sizeof(res.http_version), "HTTP/2");
	snprintf(res.tls_version, sizeof(res.tls_version), "TLSv1.3");
	snprintf(res.cert_sha256, sizeof(res.cert_sha256), "%064d", 7);
	snprintf(res.cert_subject, sizeof(res.cert_subject), "CN=a.example");
	res.cert_not_after = 1767225600; /* 2026-01-01T00:00:00Z */
	snprintf(res.body_sha256, sizeof(res.body_sha256), "%064d", 9);
	res.headers = hdr;
	res.nheaders = 2;
	res.sent_headers = sent;
	assert_int_equal(report_exchange_add(rep, &res), 0);
	/* plain http, refused before any answer */
	memset(&res, 0, sizeof(res));
	res.url_redacted = (char *)(uintptr_t) "http://a.example/";
	res.outcome = PROBE_CONNECT;
	snprintf(res.errmsg, sizeof(res.errmsg), "connection refused");
	assert_int_equal(report_exchange_add(rep, &res), 1);

	assert_non_null(j = report_to_json(rep));
	x = json_array_get(json_object_get(j, "exchanges"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(x, "http_version")), "HTTP/2");
	assert_int_equal(json_integer_value(json_object_get(x, "status")), 302);
	assert_string_equal(json_string_value(json_object_get(x, "location")),
	    "https://b.example/");
	assert_null(json_object_get(x, "error"));
	assert_non_null(tls = json_object_get(x, "tls"));
	assert_string_equal(json_string_value(json_object_get(tls, "version")),
	    "TLSv1.3");
	assert_string_equal(
	    json_string_value(json_object_get(tls, "cert_not_after")),
	    "2026-01-01T00:00:00Z");
	assert_string_equal(
	    json_string_value(json_object_get(tls, "cert_subject")),
	    "CN=a.example");
	assert_int_equal(json_integer_value(json_object_get(x, "body_bytes")),
	    0);
	assert_non_null(json_object_get(x, "body_sha256"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(x, "headers"), "Content-Type")),
	    "text/html");
	assert_int_equal(json_object_size(json_object_get(x, "headers")), 1);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(x, "request_headers"), 0)),
	    "Accept: text/html");

	x = json_array_get(json_object_get(j, "exchanges"), 1);
	assert_string_equal(json_string_value(json_object_get(x, "error")),
	    "connection refused");
	assert_null(json_object_get(x, "http_version"));
	assert_null(json_object_get(x, "tls"));
	assert_null(json_object_get(x, "status"));
	assert_null(json_object_get(x, "location"));
	assert_null(json_object_get(x, "body_bytes"));
	assert_null(json_object_get(x, "body_sha256"));
	assert_null(json_object_get(x, "headers"));
	assert_null(json_object_get(x, "request_headers"));
	json_decref(j);
	report_free(rep);
}

/* Every allocation failure is reported cleanly (ASan checks for leaks). */
static void
test_enomem(void **state)
{
	unsigned long n;
	int completed = 0;

	(void)state;
	for (n = 1; n < 200 && !completed; n++) {
		struct report *rep;
		struct report_section *sec;
		enum rc_code rc = RC_ENOMEM;

		rc_mem_fail_after(n);
		rep = report_new("D");
		if (rep != NULL &&
		    (sec = report_section_add(rep, "api", "api")) != NULL)
			rc = report_check(sec, "api.evidence", CHECK_PASS, 1,
			    NULL, 0, "ok");
		if (!rc_mem_failed()) {
			assert_int_equal(rc, RC_OK);
			completed = 1;
		}
		rc_mem_fail_after(0);
		report_free(rep);
	}
	assert_true(completed);
}

/*
 * Fail closed (issue 12 §3): a required check lost to an allocation
 * failure must never leave its section verified.  For every n, the n-th
 * allocation of recording a section of passes plus one required fail is
 * made to fail; the callers ignore report_check's code, as fc_checks.c
 * does.  Whatever was lost, the verdict is failed or inconclusive, and a
 * section that lost something says so.
 */
static void
test_lost_check_is_never_verified(void **state)
{
	unsigned long n;
	int completed = 0, lost_seen = 0;

	(void)state;
	for (n = 1; n < 200 && !completed; n++) {
		struct report *rep = report_new("D");
		struct report_section *sec;
		enum verdict v;
		json_t *j;

		assert_non_null(rep);
		assert_non_null(sec = report_section_add(rep, "api", "api"));
		rc_mem_fail_after(n);
		(void)report_check(sec, "api.token.live", CHECK_PASS, 1, NULL,
		    0, "ok");
		(void)report_check(sec, "api.habilitation", CHECK_FAIL, 1, NULL,
		    0, "broken");
		(void)report_check(sec, "api.token.expiry", CHECK_PASS, 1, NULL,
		    0, "ok");
		if (!rc_mem_failed())
			completed = 1;
		rc_mem_fail_after(0);
		v = report_section_verdict(sec);
		assert_int_not_equal(v, VERDICT_VERIFIED);
		if (report_check_status(sec, "api.habilitation") !=
		    CHECK_FAIL) {
			/* The fail was lost: inconclusive, and it says so. */
			lost_seen = 1;
			assert_int_equal(v, VERDICT_INCONCLUSIVE);
			assert_non_null(report_section_incomplete_why(sec));
			assert_non_null(j = report_to_json(rep));
			assert_non_null(json_object_get(
			    json_array_get(json_object_get(j, "integrations"),
			        0),
			    "incomplete"));
			json_decref(j);
		} else {
			assert_int_equal(v, VERDICT_FAILED);
		}
		report_free(rep);
	}
	assert_true(completed);
	assert_true(lost_seen);
}

/* A lost exchange (evidence) makes every section incomplete. */
static void
test_lost_exchange_is_never_verified(void **state)
{
	struct report *rep = report_new("D");
	struct report_section *sec;
	struct probe_res res;
	int idx = 0;
	unsigned long n;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.method = (char *)(uintptr_t) "GET";
	res.url_redacted = (char *)(uintptr_t) "https://a.example/";
	assert_non_null(rep);
	assert_non_null(sec = report_section_add(rep, "api", "api"));
	assert_int_equal(
	    report_check(sec, "api.token.live", CHECK_PASS, 1, NULL, 0, "ok"),
	    RC_OK);
	assert_int_equal(report_section_verdict(sec), VERDICT_VERIFIED);
	for (n = 1; n < 100; n++) {
		rc_mem_fail_after(n);
		idx = report_exchange_add(rep, &res);
		rc_mem_fail_after(0);
		if (idx < 0)
			break;
	}
	assert_true(idx < 0);
	assert_int_equal(report_section_verdict(sec), VERDICT_INCONCLUSIVE);
	assert_int_equal(report_verdict(rep), VERDICT_INCONCLUSIVE);
	report_free(rep);
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\n')
			return 1;
	return 0;
}

/*
 * Issue 8 items 5-7: a host that echoes the token in Location,
 * Content-Type and Retry-After, sends ESC/BEL and invalid UTF-8 in its
 * headers.  The exchange is kept (never dropped), the JSON serialises,
 * no secret and no control byte reaches either rendering, and the
 * report's Location is the redacted one.
 */
static void
test_hostile_exchange(void **state)
{
	static const char tok[] = "T0KEN-s3cr3t";
	struct probe_header hdrs[3];
	struct probe_res res;
	struct report *rep = report_new("D-\x1b[2J");
	struct report_section *sec;
	char *dump, *text = NULL;
	size_t tlen = 0;
	FILE *f;
	json_t *j;
	int idx;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(hdrs, 0, sizeof(hdrs));
	hdrs[0].name = (char *)(uintptr_t) "Content-Type";
	hdrs[0].value = (char *)(uintptr_t) "text/html; x=T0KEN-s3cr3t";
	hdrs[0].value_redacted = (char *)(uintptr_t) "text/html; x=REDACTED";
	hdrs[1].name = (char *)(uintptr_t) "Retry-After";
	hdrs[1].value = (char *)(uintptr_t) "\x1b]0;owned\x07 T0KEN-s3cr3t";
	hdrs[1].value_redacted = NULL; /* the report redacts what it gets */
	hdrs[2].name = (char *)(uintptr_t) "Strict-Transport-Security";
	hdrs[2].value = (char *)(uintptr_t) "max-age=\xff\xfe\xc3";
	hdrs[2].value_redacted = (char *)(uintptr_t) "max-age=\xff\xfe\xc3";
	res.headers = hdrs;
	res.nheaders = 3;
	res.method = (char *)(uintptr_t) "GET";
	res.url_redacted = (char *)(uintptr_t) "https://a.example/\x1b[31m";
	res.location =
	    (char *)(uintptr_t) "https://rp.example/cb?x=T0KEN-s3cr3t";
	res.location_redacted = (char *)(uintptr_t) "https://rp.example/cb?x=R";
	res.outcome = PROBE_OK;
	res.status = 302;
	snprintf(res.cert_subject, sizeof(res.cert_subject), "CN=\x9b\x07");

	assert_non_null(rep);
	assert_int_equal(report_secret_add(rep, tok), RC_OK);
	assert_non_null(sec = report_section_add(rep, "api", "api \x07"));
	idx = report_exchange_add(rep, &res);
	assert_int_equal(idx, 0); /* kept, not dropped */
	assert_int_equal(report_check(sec, "api.evidence", CHECK_PASS, 1, &idx,
	                     1, "site said \x1b[2J%s \xc0", tok),
	    RC_OK);
	assert_int_equal(report_section_verdict(sec), VERDICT_VERIFIED);

	assert_non_null(j = report_to_json(rep));
	assert_non_null(dump = json_dumps(j, JSON_COMPACT));
	assert_null(strstr(dump, tok));
	assert_null(strstr(dump, "\\u001b"));
	assert_null(strstr(dump, "\\u0007"));
	assert_non_null(
	    strstr(dump, "\"location\":\"https://rp.example/cb?x=R\""));
	assert_non_null(strstr(dump, "text/html; x=REDACTED"));
	assert_non_null(strstr(dump, "max-age=\\\\xFF\\\\xFE\\\\xC3"));
	free(dump);
	json_decref(j);

	assert_non_null(f = open_memstream(&text, &tlen));
	report_print_text(rep, f);
	fclose(f);
	assert_null(strstr(text, tok));
	assert_false(has_control(text));
	assert_null(strstr(text, "\xc2\x9b"));
	assert_non_null(strstr(text, "\\x1B[2J"));
	free(text);
	report_free(rep);
}

/*
 * Issue 12 §3: a family that reports its end twice (check_ctx_done) is
 * counted, not silently absorbed at zero, and its section can no longer
 * be verified.
 */
static void
test_double_completion_is_loud(void **state)
{
	struct report *rep = report_new("D");
	struct check_ctx ctx;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	assert_non_null(rep);
	assert_non_null(ctx.sec = report_section_add(rep, "api", "api"));
	assert_int_equal(report_check(ctx.sec, "api.token.live", CHECK_PASS, 1,
	                     NULL, 0, "ok"),
	    RC_OK);
	ctx.pending = 1;
	check_ctx_done(&ctx);
	assert_int_equal(ctx.pending, 0);
	assert_int_equal(ctx.overdone, 0);
	assert_int_equal(report_section_verdict(ctx.sec), VERDICT_VERIFIED);
	check_ctx_done(&ctx); /* once too often */
	assert_int_equal(ctx.pending, 0);
	assert_int_equal(ctx.overdone, 1);
	assert_int_equal(report_section_verdict(ctx.sec), VERDICT_INCONCLUSIVE);
	report_free(rep);
}

/* Run report_log(rep) with stderr sent to a temporary file; its text. */
static char *
log_of(const struct report *rep)
{
	char path[] = "/tmp/rc-test-report-log-XXXXXX";
	static char buf[8192];
	int fd, saved;
	ssize_t n;

	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	report_log(rep);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/*
 * The operator's log of a report (one event per check, one per
 * integration with its verdict and, when incomplete, why; one for the
 * dossier): every section exactly once, numbered as in the dossier, and
 * nothing below the info level.
 */
static void
test_report_log(void **state)
{
	struct report *rep = report_new("DP-LOG-1");
	struct report_section *a, *b;
	const char *out;

	(void)state;
	assert_non_null(rep);
	assert_non_null(a = report_section_add(rep, "franceconnect", "fc"));
	assert_non_null(b = report_section_add(rep, "api", "api"));
	assert_int_equal(report_check(a, "fc.provider.accepts", CHECK_PASS, 1,
	                     NULL, 0, "ok"),
	    RC_OK);
	assert_int_equal(
	    report_check(a, "fc.tls.hsts", CHECK_WARN, 0, NULL, 0, "advice"),
	    RC_OK);
	assert_int_equal(report_check(b, "api.token.expiry", CHECK_FAIL, 1,
	                     NULL, 0, "broken"),
	    RC_OK);
	report_section_incomplete(b, "lost");

	rc_log_set_level(RC_LOG_WARN);
	assert_string_equal(log_of(rep), "");
	rc_log_set_level(RC_LOG_INFO);
	out = log_of(rep);
	rc_log_set_level(RC_LOG_WARN);
	assert_int_equal(count_lines(out), 2 + 1 + 1 + 1 + 1);
	assert_non_null(strstr(out,
	    "dossier=DP-LOG-1 integration=0 "
	    "check=fc.provider.accepts status=pass required=1\n"));
	assert_non_null(strstr(out,
	    "dossier=DP-LOG-1 integration=0 "
	    "check=fc.tls.hsts status=warn required=0\n"));
	assert_non_null(strstr(out,
	    "dossier=DP-LOG-1 integration=0 "
	    "verdict=verified\n"));
	assert_non_null(strstr(out,
	    "dossier=DP-LOG-1 integration=1 "
	    "check=api.token.expiry status=fail required=1\n"));
	assert_non_null(strstr(out,
	    "dossier=DP-LOG-1 integration=1 "
	    "verdict=failed incomplete=\"lost\"\n"));
	assert_non_null(strstr(out, "dossier=DP-LOG-1 verdict=failed\n"));
	assert_null(strstr(out, "integration=2"));
	report_log(NULL); /* a no-op */
	report_free(rep);
}

/* The text of a report printed with report_print_text_explained. */
static char *
explained(const struct report *rep, int lang)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&text, &len));
	report_print_text_explained(rep, f, 0, lang);
	fclose(f);
	return text;
}

/*
 * A language the catalogue does not have (CATALOG_LANG__MAX or beyond)
 * explains nothing and never reads past the catalogue's texts: the page
 * is exactly the plain one (lang < 0), while a real language adds the
 * explanations.
 */
static void
test_explained_lang_bounds(void **state)
{
	struct report *rep = report_new("DP-LANG");
	struct report_section *a;
	char *plain, *out;

	(void)state;
	assert_non_null(rep);
	assert_non_null(a = report_section_add(rep, "franceconnect", "fc"));
	assert_int_equal(report_check(a, "fc.provider.accepts", CHECK_FAIL, 1,
	                     NULL, 0, "refused"),
	    RC_OK);
	plain = explained(rep, -1);
	out = explained(rep, CATALOG_LANG__MAX);
	assert_string_equal(out, plain);
	free(out);
	out = explained(rep, CATALOG_LANG__MAX + 5);
	assert_string_equal(out, plain);
	free(out);
	out = explained(rep, CATALOG_EN);
	assert_true(strlen(out) > strlen(plain));
	free(out);
	free(plain);
	report_free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_rules),
		cmocka_unit_test(test_empty_section_is_inconclusive),
		cmocka_unit_test(test_overall_worst_section),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_stable_check_order),
		cmocka_unit_test(test_exchange_peer),
		cmocka_unit_test(test_exchange_fields),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_lost_check_is_never_verified),
		cmocka_unit_test(test_lost_exchange_is_never_verified),
		cmocka_unit_test(test_hostile_exchange),
		cmocka_unit_test(test_double_completion_is_loud),
		cmocka_unit_test(test_report_log),
		cmocka_unit_test(test_explained_lang_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
