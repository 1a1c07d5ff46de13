/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/probe: the libcurl multi engine against
 * libmicrohttpd servers on 127.0.0.1 (plain, TLS with the test CA, and
 * TLS with expired, wrong-host and self-signed certificates).  Loopback
 * only; nothing asserts on durations.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/digest.h"
#include "common/mem.h"
#include "verifier/probe.h"
#include "tests/unit/verifier/testsrv.h"

static struct testsrv plain, tls, expired, wronghost, selfsigned;

static const char *const allow_lo[] = { "127.0.0.0/8", "::1/128", NULL };

struct got {
	struct probe_res *res;
	int calls;
};

static void
keep(struct probe *p, struct probe_res *res, void *arg)
{
	struct got *g = arg;

	(void)p;
	g->calls++;
	probe_res_free(g->res);
	g->res = res;
}

static void
drop(struct probe *p, struct probe_res *res, void *arg)
{
	int *calls = arg;

	(void)p;
	(*calls)++;
	probe_res_free(res);
}

/* An engine; allow NULL for no exception, timeout 0 for the default. */
static struct probe *
engine(const char *const *allow, const char *const *resolve, long timeout_ms,
    int with_ca)
{
	static char ca[1024];
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe *p;

	probe_opts_defaults(&o);
	o.allow_private = allow;
	o.resolve = resolve;
	if (timeout_ms > 0)
		o.timeout_ms = timeout_ms;
	if (with_ca) {
		snprintf(ca, sizeof(ca), "%s/ca.pem", testsrv_certs());
		o.ca_file = ca;
	}
	p = probe_new(&o, &err);
	if (p == NULL)
		fail_msg("probe_new: %s", err.msg);
	return p;
}

/* Submit one request, run the loop, return its result. */
static struct probe_res *
fetch(struct probe *p, const struct probe_req *req)
{
	struct got g = { 0 };
	struct rc_err err = { 0 };

	assert_int_equal(probe_submit(p, req, keep, &g, &err), RC_OK);
	assert_int_equal(g.calls, 0); /* never synchronous */
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(g.calls, 1);
	return g.res;
}

static struct probe_res *
get(struct probe *p, const char *url)
{
	struct probe_req req = { 0 };

	req.url = url;
	return fetch(p, &req);
}

static void
url_of(char *buf, size_t n, const char *scheme, const char *host,
    unsigned short port, const char *path)
{
	snprintf(buf, n, "%s://%s:%u%s", scheme, host, port, path);
}

static void
test_ok_body_and_evidence(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_res *r;
	char url[256], hex[65];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body.len, 12);
	assert_memory_equal(r->body.data, "hello world\n", 12);
	rc_sha256_hex("hello world\n", 12, hex);
	assert_string_equal(r->body_sha256, hex);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->url, url);
	assert_string_equal(r->url_redacted, url);
	assert_string_equal(r->primary_ip, "127.0.0.1");
	assert_int_equal(r->primary_port, plain.port);
	assert_string_equal(r->http_version, "HTTP/1.1");
	assert_string_equal(r->tls_version, "");
	assert_string_equal(r->cert_sha256, "");
	assert_null(r->location);
	assert_string_equal(probe_res_header(r, "content-type"), "text/plain");
	assert_non_null(r->sent_headers);
	assert_true(r->started > 0);
	assert_true(r->t_total >= r->t_connect);
	assert_string_equal(r->errmsg, "");
	probe_res_free(r);
	probe_free(p);
}

static void
test_redirect_not_followed(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_res *r;
	char url[256], want[256];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port,
	    "/dir/redir?code=abc");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_int_equal(r->status, 302);
	url_of(want, sizeof(want), "http", "127.0.0.1", plain.port,
	    "/dir/next/page?x=1");
	assert_non_null(r->location);
	assert_string_equal(r->location, want);
	assert_string_equal(r->location_redacted, want);
	assert_string_equal(probe_res_header(r, "Location"), "next/page?x=1");
	assert_memory_equal(r->body.data, "moved", 5);
	assert_non_null(strstr(r->url_redacted, "code=REDACTED"));
	pthread_mutex_lock(&plain.mu);
	assert_int_equal(plain.hits_next, 0); /* not followed */
	pthread_mutex_unlock(&plain.mu);
	probe_res_free(r);
	probe_free(p);
}

static void
test_body_over_cap_is_toobig(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct probe_res *r;
	char url[256];

	(void)state;
	req.url = url;
	req.max_body = 1000;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/big");
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_TOOBIG);
	assert_true(r->body.len <= 1000);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->errmsg, "1000"));
	probe_res_free(r);
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port,
	    "/bigchunked");
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_TOOBIG);
	assert_true(r->body.len <= 1000);
	probe_res_free(r);
	/* The same body under a larger cap is fine. */
	req.max_body = 200000;
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_int_equal(r->body.len, 100000);
	probe_res_free(r);
	probe_free(p);
}

static void
test_slow_drip_times_out(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 300, 0);
	struct probe_res *r;
	char url[256];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/slow");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_TIMEOUT);
	assert_string_not_equal(r->errmsg, "");
	probe_res_free(r);
	probe_free(p);
}

static void
test_guard_blocks_loopback(void **state)
{
	struct probe *p;
	struct probe_res *r;
	char url[256];
	int before, after;

	(void)state;
	pthread_mutex_lock(&plain.mu);
	before = plain.total_conns;
	pthread_mutex_unlock(&plain.mu);
	p = engine(NULL, NULL, 0, 0);
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_BLOCKED);
	assert_non_null(strstr(r->errmsg,
	    "127.0.0.1 is loopback (127.0.0.0/8); not in "
	    "network.allow_private"));
	assert_int_equal(r->status, 0);
	probe_res_free(r);
	/* Any spelling of the address is judged on the socket address. */
	snprintf(url, sizeof(url), "http://0x7f.1:%u/ok", plain.port);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_BLOCKED);
	probe_res_free(r);
	snprintf(url, sizeof(url), "http://localhost:%u/ok", plain.port);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_BLOCKED);
	assert_non_null(strstr(r->errmsg, "loopback"));
	probe_res_free(r);
	snprintf(url, sizeof(url), "http://[::ffff:127.0.0.1]:%u/ok",
	    plain.port);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_BLOCKED);
	probe_res_free(r);
	probe_free(p);
	pthread_mutex_lock(&plain.mu);
	after = plain.total_conns;
	pthread_mutex_unlock(&plain.mu);
	assert_int_equal(before, after); /* never connected */

	p = engine(allow_lo, NULL, 0, 0);
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_OK);
	probe_res_free(r);
	probe_free(p);
}

/* SHA-256 and notAfter of a test certificate, computed independently. */
static void
cert_facts(const char *name, char *hex, time_t *not_after)
{
	char path[1024];
	unsigned char md[32];
	unsigned int n = 0;
	struct tm tm;
	BIO *bio;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", testsrv_certs(), name);
	assert_non_null(bio = BIO_new_file(path, "r"));
	assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	rc_hex(md, n, hex);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
	*not_after = timegm(&tm);
	X509_free(x);
	BIO_free(bio);
}

static void
test_tls_with_resolve_and_test_ca(void **state)
{
	char res1[64], url[256], hex[65];
	const char *resolve[] = { res1, NULL };
	struct probe *p;
	struct probe_res *r;
	time_t na;

	(void)state;
	snprintf(res1, sizeof(res1), "fc.test:%u:127.0.0.1", tls.port);
	url_of(url, sizeof(url), "https", "fc.test", tls.port, "/ok");
	p = engine(allow_lo, resolve, 0, 1);
	assert_non_null(probe_get_opts(p)->ca_file);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_int_equal(r->status, 200);
	assert_memory_equal(r->tls_version, "TLSv1.", 6);
	cert_facts("server", hex, &na);
	assert_string_equal(r->cert_sha256, hex);
	assert_int_equal((long long)r->cert_not_after, (long long)na);
	assert_string_equal(r->cert_subject, "CN=server");
	assert_string_equal(r->primary_ip, "127.0.0.1");
	probe_res_free(r);
	probe_free(p);

	/* Without the test CA the system store does not know it. */
	p = engine(allow_lo, resolve, 0, 0);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_TLS);
	assert_string_not_equal(r->errmsg, "");
	probe_res_free(r);
	/* The resolve override also goes through the guard. */
	probe_free(p);
	p = engine(NULL, resolve, 0, 1);
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_BLOCKED);
	probe_res_free(r);
	probe_free(p);
}

static void
test_bad_certificates(void **state)
{
	struct testsrv *bad[] = { &expired, &wronghost, &selfsigned };
	char res1[64], url[256];
	const char *resolve[] = { res1, NULL };
	struct probe *p;
	struct probe_res *r;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		snprintf(res1, sizeof(res1), "fc.test:%u:127.0.0.1",
		    bad[i]->port);
		url_of(url, sizeof(url), "https", "fc.test", bad[i]->port,
		    "/ok");
		p = engine(allow_lo, resolve, 0, 1);
		r = get(p, url);
		assert_int_equal(r->outcome, PROBE_TLS);
		assert_int_equal(r->status, 0);
		assert_string_not_equal(r->errmsg, "");
		probe_res_free(r);
		probe_free(p);
	}
}

/*
 * The one trust store every connection shares keeps the system anchors
 * when network.ca_file adds the test CA, and trusts the test CA only
 * when it is given.
 */
static void
test_store_keeps_system_anchors(void **state)
{
	static const char bundle[] = "/etc/ssl/certs/ca-certificates.crt";
	struct probe *with = engine(allow_lo, NULL, 0, 1);
	struct probe *without = engine(allow_lo, NULL, 0, 0);
	struct rc_err err = { 0 };
	char leaf[1024];
	int t;

	(void)state;
	assert_non_null(with);
	assert_non_null(without);
	snprintf(leaf, sizeof(leaf), "%s/server.pem", testsrv_certs());
	assert_int_equal(probe_trusts_pem(with, leaf, &t, &err), RC_OK);
	assert_int_equal(t, 1);
	assert_int_equal(probe_trusts_pem(without, leaf, &t, &err), RC_OK);
	assert_int_equal(t, 0);
	if (access(bundle, R_OK) == 0) {
		/* A public root of the system bundle, in both. */
		assert_int_equal(probe_trusts_pem(with, bundle, &t, &err),
		    RC_OK);
		assert_int_equal(t, 1);
		assert_int_equal(probe_trusts_pem(without, bundle, &t, &err),
		    RC_OK);
		assert_int_equal(t, 1);
	}
	probe_free(with);
	probe_free(without);
}

static void
test_cookies_flow_within_a_jar_only(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_jar *a = probe_jar_new(), *b = probe_jar_new();
	struct probe_req req = { 0 };
	struct probe_res *r;
	char set[256], echo[256];
	size_t i, n = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	url_of(set, sizeof(set), "http", "127.0.0.1", plain.port, "/setcookie");
	url_of(echo, sizeof(echo), "http", "127.0.0.1", plain.port,
	    "/echocookie");
	req.url = set;
	req.jar = a;
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	/* Both Set-Cookie headers are kept, in order. */
	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, "Set-Cookie") != 0)
			continue;
		assert_string_equal(r->headers[i].value,
		    n == 0 ? "a=1; Path=/" : "b=2; Path=/");
		n++;
	}
	assert_int_equal(n, 2);
	probe_res_free(r);

	req.url = echo;
	r = fetch(p, &req);
	assert_true(strcmp(r->body.data, "a=1; b=2") == 0 ||
	    strcmp(r->body.data, "b=2; a=1") == 0);
	probe_res_free(r);
	req.jar = b;
	r = fetch(p, &req);
	assert_string_equal(r->body.data, "none");
	probe_res_free(r);
	req.jar = NULL;
	r = fetch(p, &req);
	assert_string_equal(r->body.data, "none");
	probe_res_free(r);
	probe_jar_free(a);
	probe_jar_free(b);
	probe_jar_free(NULL);
	probe_free(p);
}

static void
test_jar_freed_while_queued(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_jar *a = probe_jar_new();
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };
	char url[256];
	int calls = 0;

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/setcookie");
	req.url = url;
	req.jar = a;
	assert_int_equal(probe_submit(p, &req, drop, &calls, &err), RC_OK);
	probe_jar_free(a); /* the request keeps it alive */
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(calls, 1);
	probe_free(p);
}

static void
test_many_concurrent_respect_per_host_limit(void **state)
{
	struct testsrv s;
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct probe *p;
	char url[256];
	int calls = 0, i;

	(void)state;
	assert_int_equal(testsrv_start(&s, NULL), 0);
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.per_host_concurrency = 4;
	assert_non_null(p = probe_new(&o, &err));
	url_of(url, sizeof(url), "http", "127.0.0.1", s.port, "/count");
	req.url = url;
	for (i = 0; i < 60; i++)
		assert_int_equal(probe_submit(p, &req, drop, &calls, &err),
		    RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(calls, 60);
	pthread_mutex_lock(&s.mu);
	assert_int_equal(s.total_reqs, 60);
	assert_true(s.max_reqs >= 1);
	assert_true(s.max_reqs <= 4);
	assert_true(s.max_conns <= 4);
	printf("# 60 requests, per-host limit 4: max %d in flight, max %d "
	       "connections, %d connections in all\n",
	    s.max_reqs, s.max_conns, s.total_conns);
	pthread_mutex_unlock(&s.mu);
	probe_free(p);
	testsrv_stop(&s);
}

static void
test_global_and_per_host_limits(void **state)
{
	struct testsrv s;
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct probe *p;
	char ra[64], rb[64], ua[256], ub[256];
	const char *resolve[] = { ra, rb, NULL };
	int calls = 0, i;

	(void)state;
	assert_int_equal(testsrv_start(&s, NULL), 0);
	snprintf(ra, sizeof(ra), "a.test:%u:127.0.0.1", s.port);
	snprintf(rb, sizeof(rb), "b.test:%u:127.0.0.1", s.port);
	url_of(ua, sizeof(ua), "http", "a.test", s.port, "/count");
	url_of(ub, sizeof(ub), "http", "b.test", s.port, "/count");
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.resolve = resolve;
	o.per_host_concurrency = 2;
	o.global_concurrency = 3;
	assert_non_null(p = probe_new(&o, &err));
	for (i = 0; i < 40; i++) {
		req.url = i % 2 ? ua : ub;
		assert_int_equal(probe_submit(p, &req, drop, &calls, &err),
		    RC_OK);
	}
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(calls, 40);
	pthread_mutex_lock(&s.mu);
	assert_int_equal(s.total_reqs, 40);
	assert_true(s.max_reqs <= 3);
	for (i = 0; i < TESTSRV_HOSTS; i++)
		assert_true(s.host[i].max <= 2);
	pthread_mutex_unlock(&s.mu);
	probe_free(p);
	testsrv_stop(&s);
}

/*
 * Queued requests wait for a slot without their time limit running: 30
 * requests of about 20 ms each, one at a time, take far longer than the
 * 200 ms limit in all, yet each one only needs its own 20 ms.
 */
static void
test_queued_requests_wait_not_fail(void **state)
{
	struct testsrv s;
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct got g[30];
	struct probe *p;
	char url[256];
	int i;

	(void)state;
	memset(g, 0, sizeof(g));
	assert_int_equal(testsrv_start(&s, NULL), 0);
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.per_host_concurrency = 1;
	o.timeout_ms = 200;
	assert_non_null(p = probe_new(&o, &err));
	url_of(url, sizeof(url), "http", "127.0.0.1", s.port, "/count");
	req.url = url;
	for (i = 0; i < 30; i++)
		assert_int_equal(probe_submit(p, &req, keep, &g[i], &err),
		    RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	for (i = 0; i < 30; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].res->outcome, PROBE_OK);
		probe_res_free(g[i].res);
	}
	pthread_mutex_lock(&s.mu);
	assert_int_equal(s.max_reqs, 1);
	pthread_mutex_unlock(&s.mu);
	probe_free(p);
	testsrv_stop(&s);
}

struct chain {
	int results;
	int final_status;
	int ok;
};

/* Follow Location by hand, as fc_checks does, until a non-3xx. */
static void
follow(struct probe *p, struct probe_res *res, void *arg)
{
	struct chain *c = arg;
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };

	c->results++;
	if (res->outcome == PROBE_OK && res->location != NULL &&
	    c->results <= probe_get_opts(p)->max_redirects) {
		req.url = res->location;
		if (probe_submit(p, &req, follow, c, &err) != RC_OK)
			c->ok = 0;
	} else {
		c->final_status = (int)res->status;
		c->ok = c->ok && res->outcome == PROBE_OK &&
		    strcmp(res->body.data, "arrived") == 0;
	}
	probe_res_free(res);
}

static void
test_callbacks_submit_followups(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct chain c1 = { 0, 0, 1 }, c2 = { 0, 0, 1 };
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };
	char u1[256], u2[256];

	(void)state;
	url_of(u1, sizeof(u1), "http", "127.0.0.1", plain.port, "/hop/5");
	url_of(u2, sizeof(u2), "http", "127.0.0.1", plain.port, "/hop/3");
	req.url = u1;
	assert_int_equal(probe_submit(p, &req, follow, &c1, &err), RC_OK);
	req.url = u2;
	assert_int_equal(probe_submit(p, &req, follow, &c2, &err), RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(c1.results, 6);
	assert_int_equal(c2.results, 4);
	assert_int_equal(c1.final_status, 200);
	assert_true(c1.ok);
	assert_true(c2.ok);
	probe_free(p);
}

/* A callback that tries to recycle the engine it is called from. */
static void
recycle_inside(struct probe *p, struct probe_res *res, void *arg)
{
	struct rc_err err = { 0 };
	enum rc_code *rc = arg;

	*rc = probe_recycle(p, &err);
	probe_res_free(res);
}

/*
 * probe_recycle (the daemon's engine kept from job to job): refused while
 * a request is queued and from inside probe_run; once idle, the engine
 * serves another run over TLS, its groups of the run before gone.
 */
static void
test_recycle(void **state)
{
	char res1[64], url[256];
	const char *resolve[] = { res1, NULL };
	struct probe_req req = { 0 };
	struct probe *p;
	struct probe_res *r;
	struct rc_err err = { 0 };
	enum rc_code inside = RC_OK;
	int i, calls = 0, conns0;

	(void)state;
	snprintf(res1, sizeof(res1), "fc.test:%u:127.0.0.1", tls.port);
	url_of(url, sizeof(url), "https", "fc.test", tls.port, "/ok");
	p = engine(allow_lo, resolve, 0, 1);
	assert_int_equal(probe_recycle(p, &err), RC_OK); /* new: idle */
	req.url = url;
	assert_int_equal(probe_submit(p, &req, drop, &calls, &err), RC_OK);
	memset(&err, 0, sizeof(err));
	assert_int_equal(probe_recycle(p, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "pending"));
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(probe_submit(p, &req, recycle_inside, &inside, &err),
	    RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(inside, RC_EINVAL);
	/* Runs one after the other, each with its own deadline group and
	 * its own connections: a run sees the site as it is now (a re-check
	 * must not pass on a connection opened before the site broke). */
	pthread_mutex_lock(&tls.mu);
	conns0 = tls.total_conns;
	pthread_mutex_unlock(&tls.mu);
	for (i = 0; i < 3; i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(probe_recycle(p, &err), RC_OK);
		probe_set_group(p, probe_group_new(p, 60000, "dossier", &err));
		r = get(p, url);
		probe_set_group(p, NULL);
		assert_int_equal(r->outcome, PROBE_OK);
		assert_int_equal(r->status, 200);
		probe_res_free(r);
	}
	pthread_mutex_lock(&tls.mu);
	conns0 = tls.total_conns - conns0;
	pthread_mutex_unlock(&tls.mu);
	assert_int_equal(conns0, 3); /* not under the lock: a failure jumps */
	assert_int_equal(probe_recycle(p, &err), RC_OK);
	assert_int_equal(probe_recycle(NULL, &err), RC_EINVAL);
	probe_free(p);
}

/*
 * Within a run, an idle connection waits in the pool for the next request
 * to its host, up to the global limit of connections: libcurl's default
 * pool holds 4 per transfer attached when a connection comes back, so a
 * run whose requests follow one another closed the oldest and opened it
 * again (a new TCP and TLS handshake for every dossier of a batch).  Six
 * hosts, twice in turn: six connections, not twelve.
 */
static void
test_pool_holds_global_limit(void **state)
{
	char res[6][64], url[256], host[16];
	const char *resolve[7];
	struct probe *p;
	struct probe_res *r;
	int i, conns0;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(res[i], sizeof(res[i]), "h%d.test:%u:127.0.0.1", i,
		    plain.port);
		resolve[i] = res[i];
	}
	resolve[6] = NULL;
	p = engine(allow_lo, resolve, 0, 0);
	pthread_mutex_lock(&plain.mu);
	conns0 = plain.total_conns;
	pthread_mutex_unlock(&plain.mu);
	for (i = 0; i < 12; i++) {
		snprintf(host, sizeof(host), "h%d.test", i % 6);
		url_of(url, sizeof(url), "http", host, plain.port, "/ok");
		r = get(p, url);
		assert_int_equal(r->outcome, PROBE_OK);
		probe_res_free(r);
	}
	pthread_mutex_lock(&plain.mu);
	conns0 = plain.total_conns - conns0;
	pthread_mutex_unlock(&plain.mu);
	assert_int_equal(conns0, 6);
	probe_free(p);
}

static void
test_bad_urls_delivered_from_loop(void **state)
{
	static const char *const bad[] = { "not a url", "ftp://127.0.0.1/x", "",
		"http://", "javascript:alert(1)", "file:///etc/passwd",
		"//no-scheme.example/", "gopher://127.0.0.1:70/", NULL };
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct probe_res *r;
	struct got g = { 0 };
	struct rc_err err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		r = get(p, bad[i]);
		assert_int_equal(r->outcome, PROBE_BADURL);
		assert_string_not_equal(r->errmsg, "");
		assert_int_equal(r->status, 0);
		probe_res_free(r);
	}
	r = get(p, "ftp://127.0.0.1/x");
	assert_non_null(strstr(r->errmsg, "ftp"));
	probe_res_free(r);
	/* A NULL URL too, through the callback. */
	assert_int_equal(probe_submit(p, &req, keep, &g, &err), RC_OK);
	assert_int_equal(g.calls, 0);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res->outcome, PROBE_BADURL);
	probe_res_free(g.res);
	/* Header injection is refused before anything is sent. */
	{
		const char *hdr[] = { "X-A: 1\r\nX-B: 2", NULL };
		char url[256];

		url_of(url, sizeof(url), "http", "127.0.0.1", plain.port,
		    "/ok");
		req.url = url;
		req.headers = hdr;
		r = fetch(p, &req);
		assert_int_equal(r->outcome, PROBE_OTHER);
		probe_res_free(r);
	}
	probe_free(p);
}

static void
test_browser_headers_and_post(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct probe_res *r;
	char url[256];
	size_t i;
	int found = 0;

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/headers");
	req.url = url;
	req.browser = 1;
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_non_null(strstr(r->body.data,
	    "accept=text/html,application/xhtml+xml,application/xml;q=0.9,"
	    "*/*;q=0.8\n"));
	assert_non_null(strstr(r->body.data, "lang=fr-FR,fr;q=0.9\n"));
	assert_non_null(strstr(r->body.data,
	    "ua=raccord/0.1 (+verification France Relance "
	    "FranceConnect/API)\n"));
	for (i = 0; r->sent_headers[i] != NULL; i++)
		found +=
		    strncmp(r->sent_headers[i], "Accept-Language:", 16) == 0;
	assert_int_equal(found, 1);
	probe_res_free(r);

	req.browser = 0;
	r = fetch(p, &req);
	assert_non_null(strstr(r->body.data, "accept=*/*\n"));
	assert_non_null(strstr(r->body.data, "lang=\n"));
	probe_res_free(r);

	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/echo");
	req.method = "POST";
	req.body = "grant_type=x&a=b";
	req.body_len = strlen(req.body);
	req.content_type = "application/x-www-form-urlencoded";
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_string_equal(r->body.data, "POST grant_type=x&a=b");
	assert_string_equal(r->method, "POST");
	probe_res_free(r);

	req.method = "HEAD";
	req.body = NULL;
	req.body_len = 0;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok");
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body.len, 0);
	probe_res_free(r);
	probe_free(p);
}

static void
test_garbage_reply_is_protocol(void **state)
{
	struct testsrv_raw raw;
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_res *r;
	char url[256];

	(void)state;
	assert_int_equal(testsrv_raw_start(&raw), 0);
	url_of(url, sizeof(url), "http", "127.0.0.1", raw.port, "/");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_PROTOCOL);
	probe_res_free(r);
	probe_free(p);
	testsrv_raw_stop(&raw);
}

static void
test_refused_and_unresolvable(void **state)
{
	struct testsrv_raw raw;
	struct probe *p = engine(allow_lo, NULL, 3000, 0);
	struct probe_res *r;
	char url[256];
	unsigned short port;

	(void)state;
	/* A port nobody listens on any more. */
	assert_int_equal(testsrv_raw_start(&raw), 0);
	port = raw.port;
	testsrv_raw_stop(&raw);
	url_of(url, sizeof(url), "http", "127.0.0.1", port, "/");
	r = get(p, url);
	assert_int_equal(r->outcome, PROBE_CONNECT);
	probe_res_free(r);
	/*
	 * No DNS-failure case here: resolving even a .invalid name would
	 * send a query to the system resolver, off loopback.
	 */
	probe_free(p);
}

static void
test_redaction(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://rp.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state="
		  "af0ifjsldkj",
		    "https://rp.example/cb?code=REDACTED&state=af0ifjsldkj" },
		{ "https://u:p@rp.example/x", "https://rp.example/x" },
		{ "https://rp.example/x?CODE=1&Access_Token=2&id_token=3",
		    "https://rp.example/x?CODE=REDACTED&Access_Token=REDACTED&"
		    "id_token=REDACTED" },
		{ "https://fc.example/logout?id_token_hint=eyJ.a.b&state=s&"
		  "post_logout_redirect_uri=https%3A%2F%2Frp%2F",
		    "https://fc.example/logout?id_token_hint=REDACTED&state=s&"
		    "post_logout_redirect_uri=https%3A%2F%2Frp%2F" },
		{ "https://a.example/?refresh_token=1&token=2&client_secret=3&"
		  "client_assertion=4&password=5&api_key=6&apikey=7&secret=8&"
		  "key=9&assertion=10&nonce=n",
		    "https://a.example/?refresh_token=REDACTED&token=REDACTED&"
		    "client_secret=REDACTED&client_assertion=REDACTED&"
		    "password=REDACTED&api_key=REDACTED&apikey=REDACTED&"
		    "secret=REDACTED&key=REDACTED&assertion=REDACTED&"
		    "nonce=n" },
		{ "https://a.example/?co%64e=x&code_challenge=abc&scope=openid",
		    "https://a.example/?co%64e=REDACTED&code_challenge=abc&"
		    "scope=openid" },
		{ "https://rp.example/cb#access_token=t&state=s",
		    "https://rp.example/cb#access_token=REDACTED&state=s" },
		{ "https://rp.example/cb?flag&code=",
		    "https://rp.example/cb"
		    "?flag&code=REDACTED" },
		{ "https://rp.example/", "https://rp.example/" },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(probe_url_redact(cases[i].in, &out), RC_OK);
		assert_string_equal(out, cases[i].out);
		rc_free(out);
	}
	assert_int_equal(probe_url_redact("::not a url", &out), RC_EINVAL);
	assert_null(out);
}

static void
test_secret_scrubbed_from_evidence(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct probe_res *r;
	char url[256];

	(void)state;
	snprintf(url, sizeof(url),
	    "http://127.0.0.1:%u/sec/T0psecret/x?v=T0psecret&w=T0p%%73ecret",
	    plain.port);
	req.url = url;
	req.secret = "T0psecret";
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_OK);
	assert_null(strstr(r->url_redacted, "T0psecret"));
	assert_non_null(strstr(r->url_redacted, "/sec/REDACTED/x?v=REDACTED"));
	assert_string_equal(r->url, url);
	probe_res_free(r);
	/* Unparsable URLs keep no query and no userinfo either. */
	req.url = "http://user:T0psecret@[bad/x?code=1";
	r = fetch(p, &req);
	assert_int_equal(r->outcome, PROBE_BADURL);
	assert_null(strstr(r->url_redacted, "T0psecret"));
	assert_null(strstr(r->url_redacted, "code=1"));
	assert_null(strstr(r->errmsg, "T0psecret"));
	probe_res_free(r);
	probe_free(p);
}

static void
test_url_resolve(void **state)
{
	/* RFC 3986 section 5.4.1, base "http://a/b/c/d;p?q". */
	static const char *const cases[][2] = {
		{ "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" },
		{ "//g", "http://g/" },
		{ "?y", "http://a/b/c/d;p?y" },
		{ "g?y", "http://a/b/c/g?y" },
		{ "g;x?y#s", "http://a/b/c/g;x?y#s" },
		{ "../g", "http://a/b/g" },
		{ "../..", "http://a/" },
		{ "../../g", "http://a/g" },
		{ "https://other.example:8443/z",
		    "https://other.example:8443/z" },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    probe_url_resolve("http://a/b/c/d;p?q", cases[i][0], &out),
		    RC_OK);
		assert_string_equal(out, cases[i][1]);
		rc_free(out);
	}
	assert_int_equal(probe_url_resolve("not a base", "g", &out), RC_EINVAL);
	assert_null(out);
}

static void
test_bad_options(void **state)
{
	static const char *const bad_resolve[][2] = {
		{ "fc.test:443", NULL },
		{ "fc.test:0:127.0.0.1", NULL },
		{ "fc.test:99999:127.0.0.1", NULL },
		{ "fc.test:https:127.0.0.1", NULL },
		{ ":443:127.0.0.1", NULL },
		{ "fc.test:443:not-an-ip", NULL },
		{ "fc.test:443:", NULL },
		{ "+fc.test:443:127.0.0.1", NULL },
	};
	static const char *const bad_cidr[] = { "127.0.0.0/33", NULL };
	static const char *const good_resolve[] = {
		"fc.test:443:127.0.0.1,[::1]", NULL
	};
	struct probe_opts o;
	struct rc_err err;
	struct probe *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_resolve) / sizeof(bad_resolve[0]); i++) {
		probe_opts_defaults(&o);
		o.resolve = bad_resolve[i];
		memset(&err, 0, sizeof(err));
		assert_null(probe_new(&o, &err));
		assert_int_equal(err.code, RC_ECONFIG);
		assert_non_null(strstr(err.msg, bad_resolve[i][0]));
	}
	probe_opts_defaults(&o);
	o.allow_private = bad_cidr;
	memset(&err, 0, sizeof(err));
	assert_null(probe_new(&o, &err));
	assert_int_equal(err.code, RC_ECONFIG);
	assert_non_null(strstr(err.msg, "127.0.0.0/33"));

	probe_opts_defaults(&o);
	o.ca_file = "/nonexistent/ca.pem";
	memset(&err, 0, sizeof(err));
	assert_null(probe_new(&o, &err));
	assert_int_equal(err.code, RC_ECONFIG);

	probe_opts_defaults(&o);
	o.resolve = good_resolve;
	o.timeout_ms = 0;
	o.user_agent = NULL;
	assert_non_null(p = probe_new(&o, &err));
	assert_int_equal(probe_get_opts(p)->timeout_ms, 15000);
	assert_int_equal(probe_get_opts(p)->per_host_concurrency, 4);
	assert_string_equal(probe_get_opts(p)->user_agent,
	    "raccord/0.1 (+verification France Relance FranceConnect/API)");
	probe_free(p);
	probe_free(NULL);
	probe_res_free(NULL);
	assert_string_equal(probe_outcome_str(PROBE_TLS),
	    "TLS verification failed");
	assert_string_equal(probe_outcome_str(PROBE__MAX), "unknown outcome");
}

static void
test_enomem_probe_new(void **state)
{
	static const char *const res1[] = { "fc.test:443:127.0.0.1", NULL };
	struct probe_opts o;
	struct rc_err err;
	struct probe *p = NULL;
	unsigned long n;
	char ca[1024];

	(void)state;
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.resolve = res1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", testsrv_certs());
	o.ca_file = ca;
	for (n = 1; n < 200; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		p = probe_new(&o, &err);
		rc_mem_fail_after(0);
		if (p != NULL)
			break;
		assert_int_equal(err.code, RC_ENOMEM);
	}
	assert_non_null(p);
	assert_true(n > 1);
	probe_free(p);
}

static void
test_enomem_probe_submit(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_jar *jar = probe_jar_new();
	struct probe_req req = { 0 };
	struct rc_err err;
	char url[256];
	const char *hdr[] = { "X-Test: 1", NULL };
	unsigned long n;
	enum rc_code rc = RC_ENOMEM;
	int calls = 0;

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok?code=x");
	req.url = url;
	req.jar = jar;
	req.headers = hdr;
	req.body = "abc";
	req.body_len = 3;
	req.method = "POST";
	req.secret = "x";
	for (n = 1; n < 200; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		rc = probe_submit(p, &req, drop, &calls, &err);
		rc_mem_fail_after(0);
		if (rc == RC_OK)
			break;
		assert_int_equal(rc, RC_ENOMEM);
		assert_int_equal(err.code, RC_ENOMEM);
	}
	assert_int_equal(rc, RC_OK);
	assert_true(n > 1);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(calls, 1); /* failed submits never call back */
	probe_jar_free(jar);
	probe_free(p);
}

static void
test_free_with_queued_requests(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };
	char url[256];
	int calls = 0;

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/ok");
	req.url = url;
	assert_int_equal(probe_submit(p, &req, drop, &calls, &err), RC_OK);
	req.url = "bad";
	assert_int_equal(probe_submit(p, &req, drop, &calls, &err), RC_OK);
	probe_free(p); /* dropped without callbacks, without leaks */
	assert_int_equal(calls, 0);
}

struct tick {
	int order[4];
	int n;
	struct got got;
	char url[256];
};

static void
tick_a(struct probe *p, void *arg)
{
	struct tick *t = arg;

	(void)p;
	t->order[t->n++] = 'a';
}

static void
tick_b(struct probe *p, void *arg)
{
	struct tick *t = arg;

	(void)p;
	t->order[t->n++] = 'b';
}

/* A timer that submits a request, as a Retry-After wait would. */
static void
tick_submit(struct probe *p, void *arg)
{
	struct tick *t = arg;
	struct probe_req req = { 0 };

	t->order[t->n++] = 's';
	req.url = t->url;
	assert_int_equal(probe_submit(p, &req, keep, &t->got, NULL), RC_OK);
}

static void
test_timers(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct rc_err err = { 0 };
	struct tick t;
	unsigned long n;
	enum rc_code rc = RC_ENOMEM;

	(void)state;
	memset(&t, 0, sizeof(t));
	url_of(t.url, sizeof(t.url), "http", "127.0.0.1", plain.port, "/ok");
	/* Due order, not insertion order; equal delays keep FIFO. */
	assert_int_equal(probe_timer_add(p, 60, tick_submit, &t, &err), RC_OK);
	assert_int_equal(probe_timer_add(p, 30, tick_b, &t, &err), RC_OK);
	assert_int_equal(probe_timer_add(p, 0, tick_a, &t, &err), RC_OK);
	assert_int_equal(probe_timer_add(p, 0, tick_b, &t, &err), RC_OK);
	assert_int_equal(t.n, 0); /* never synchronous */
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.order[0], 'a');
	assert_int_equal(t.order[1], 'b');
	assert_int_equal(t.order[2], 'b');
	assert_int_equal(t.order[3], 's');
	/* The request submitted by the timer ran in the same probe_run. */
	assert_int_equal(t.got.calls, 1);
	assert_int_equal(t.got.res->outcome, PROBE_OK);
	probe_res_free(t.got.res);
	assert_int_equal(probe_timer_add(p, 0, NULL, NULL, &err), RC_EINVAL);

	for (n = 1; n < 10; n++) {
		rc_mem_fail_after(n);
		rc = probe_timer_add(p, 10, tick_a, &t, NULL);
		rc_mem_fail_after(0);
		if (rc == RC_OK)
			break;
		assert_int_equal(rc, RC_ENOMEM);
	}
	assert_int_equal(rc, RC_OK);
	assert_int_equal(probe_timer_add(p, 100000, tick_a, &t, &err), RC_OK);
	probe_free(p); /* pending timers dropped, no leak */
}

/* A request's callback submits a follow-up, without naming a group. */
static void
then_next(struct probe *p, struct probe_res *res, void *arg)
{
	struct got *g = arg; /* g[0]: this result, g[1]: the follow-up's */
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };
	char url[256];

	snprintf(url, sizeof(url), "%.*s/next/page",
	    (int)(strstr(res->url, "/slow") - res->url), res->url);
	keep(p, res, &g[0]);
	req.url = url;
	assert_int_equal(probe_submit(p, &req, keep, &g[1], &err), RC_OK);
}

static void
assert_deadline(const struct got *g, const char *why)
{
	assert_int_equal(g->calls, 1);
	assert_int_equal(g->res->outcome, PROBE_TIMEOUT);
	if (strstr(g->res->errmsg, why) == NULL)
		fail_msg("errmsg \"%s\" lacks \"%s\"", g->res->errmsg, why);
}

/*
 * network.dossier_timeout_ms: past a group's budget, its in-flight and
 * queued requests end with a timeout naming the deadline, a follow-up
 * submitted from its callback (same group, implicitly) and a request
 * submitted later never start, and another group's request is unharmed.
 */
static void
test_group_deadline(void **state)
{
	const char *why = "the dossier's deadline of 300 ms passed";
	struct testsrv s;
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct probe_group *g, *h;
	struct got slow[2], queued, other, late;
	struct probe *p;
	char u_slow[256], u_next[256], u_ok[256];
	int i;

	(void)state;
	memset(slow, 0, sizeof(slow));
	memset(&queued, 0, sizeof(queued));
	memset(&other, 0, sizeof(other));
	memset(&late, 0, sizeof(late));
	assert_int_equal(testsrv_start(&s, NULL), 0);
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.per_host_concurrency = 1; /* the second request must queue */
	o.timeout_ms = 30000;       /* far more than /slow's 10 s */
	assert_non_null(p = probe_new(&o, &err));
	assert_null(probe_group_new(p, 0, "dossier", &err));
	assert_non_null(g = probe_group_new(p, 300, "dossier", &err));
	assert_non_null(h = probe_group_new(p, 60000, "dossier", &err));
	url_of(u_slow, sizeof(u_slow), "http", "127.0.0.1", s.port, "/slow");
	url_of(u_next, sizeof(u_next), "http", "127.0.0.1", s.port,
	    "/next/page");
	url_of(u_ok, sizeof(u_ok), "http", "127.0.0.1", s.port, "/ok");

	probe_set_group(p, g);
	req.url = u_slow;
	assert_int_equal(probe_submit(p, &req, then_next, slow, &err), RC_OK);
	req.url = u_next;
	assert_int_equal(probe_submit(p, &req, keep, &queued, &err), RC_OK);
	probe_set_group(p, h);
	req.url = u_ok;
	assert_int_equal(probe_submit(p, &req, keep, &other, &err), RC_OK);
	probe_set_group(p, NULL);
	assert_false(probe_group_expired(g));
	assert_int_equal(probe_run(p, &err), RC_OK);

	assert_true(probe_group_expired(g));
	assert_false(probe_group_expired(h));
	assert_deadline(&slow[0], why);
	assert_deadline(&slow[1], why); /* follow-up, same group */
	assert_deadline(&queued, why);
	assert_int_equal(other.calls, 1);
	assert_int_equal(other.res->outcome, PROBE_OK);
	assert_int_equal(other.res->status, 200);

	/* Later requests of the group end at once. */
	req.url = u_next;
	req.group = g;
	assert_int_equal(probe_submit(p, &req, keep, &late, &err), RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_deadline(&late, why);
	pthread_mutex_lock(&s.mu);
	assert_int_equal(s.hits_next, 0); /* none of them started */
	pthread_mutex_unlock(&s.mu);

	for (i = 0; i < 2; i++)
		probe_res_free(slow[i].res);
	probe_res_free(queued.res);
	probe_res_free(other.res);
	probe_res_free(late.res);
	probe_free(p);
	testsrv_stop(&s);
}

/*
 * A connection timeout (network.connect_timeout_ms, which in libcurl
 * covers the TLS handshake) is the site's, not the dossier's deadline,
 * even when the request's total limit was cut to the group's budget: a
 * listener that never answers the ClientHello.
 */
static void
test_connect_timeout_is_not_deadline(void **state)
{
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct probe_group *g;
	struct got got = { 0 };
	struct probe *p;
	char url[128];
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0); /* never accepted, never answered */
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", ntohs(sa.sin_port));
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.timeout_ms = 30000;
	o.connect_timeout_ms = 300;
	assert_non_null(p = probe_new(&o, &err));
	/* A budget below timeout_ms: the request's limit is cut to it. */
	assert_non_null(g = probe_group_new(p, 20000, "dossier", &err));
	req.url = url;
	req.group = g;
	assert_int_equal(probe_submit(p, &req, keep, &got, &err), RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_int_equal(got.calls, 1);
	assert_int_equal(got.res->outcome, PROBE_TIMEOUT);
	if (strstr(got.res->errmsg, "deadline") != NULL)
		fail_msg("a connection timeout was blamed on the deadline: %s",
		    got.res->errmsg);
	assert_false(probe_group_expired(g));
	probe_res_free(got.res);
	probe_free(p);
	close(fd);
}

/*
 * Time a request waits for a slot (behind another dossier) is not charged
 * to its group: b's request queues behind a's slow one for a's whole
 * budget (1500 ms), longer than b's own budget (1000 ms), and still runs.
 */
static void
test_group_queue_time_not_charged(void **state)
{
	struct testsrv s;
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe_req req = { 0 };
	struct probe_group *a, *b;
	struct got ga, gb;
	struct probe *p;
	char u_slow[256], u_ok[256];

	(void)state;
	memset(&ga, 0, sizeof(ga));
	memset(&gb, 0, sizeof(gb));
	assert_int_equal(testsrv_start(&s, NULL), 0);
	probe_opts_defaults(&o);
	o.allow_private = allow_lo;
	o.per_host_concurrency = 1;
	o.timeout_ms = 30000;
	assert_non_null(p = probe_new(&o, &err));
	assert_non_null(a = probe_group_new(p, 1500, "dossier", &err));
	assert_non_null(b = probe_group_new(p, 1000, "dossier", &err));
	url_of(u_slow, sizeof(u_slow), "http", "127.0.0.1", s.port, "/slow");
	url_of(u_ok, sizeof(u_ok), "http", "127.0.0.1", s.port, "/ok");
	req.url = u_slow;
	req.group = a;
	assert_int_equal(probe_submit(p, &req, keep, &ga, &err), RC_OK);
	req.url = u_ok;
	req.group = b;
	assert_int_equal(probe_submit(p, &req, keep, &gb, &err), RC_OK);
	assert_int_equal(probe_run(p, &err), RC_OK);
	assert_deadline(&ga, "the dossier's deadline of 1500 ms passed");
	assert_int_equal(gb.calls, 1);
	assert_int_equal(gb.res->outcome, PROBE_OK);
	assert_false(probe_group_expired(b));
	probe_res_free(ga.res);
	probe_res_free(gb.res);
	probe_free(p);
	testsrv_stop(&s);
}

/* max_redirects 0 is kept (follow none); only a negative value defaults. */
static void
test_max_redirects_zero_kept(void **state)
{
	struct probe_opts o;
	struct rc_err err = { 0 };
	struct probe *p;

	(void)state;
	probe_opts_defaults(&o);
	o.max_redirects = 0;
	assert_non_null(p = probe_new(&o, &err));
	assert_int_equal(probe_get_opts(p)->max_redirects, 0);
	probe_free(p);
	o.max_redirects = -1;
	assert_non_null(p = probe_new(&o, &err));
	assert_int_equal(probe_get_opts(p)->max_redirects, 10);
	probe_free(p);
}

/* Location and every header value have a form with the secret hidden. */
static void
test_headers_and_location_redacted(void **state)
{
	struct probe *p = engine(allow_lo, NULL, 0, 0);
	struct probe_req req = { 0 };
	struct probe_res *r;
	char url[256];
	size_t i;
	int seen = 0;

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", plain.port, "/a/redir");
	req.url = url;
	req.secret = "plain"; /* the server's Content-Type: text/plain */
	r = fetch(p, &req);
	assert_int_equal(r->status, 302);
	for (i = 0; i < r->nheaders; i++) {
		assert_non_null(r->headers[i].value_redacted);
		assert_null(strstr(r->headers[i].value_redacted, "plain"));
		if (strcmp(r->headers[i].name, "Content-Type") == 0) {
			assert_string_equal(r->headers[i].value, "text/plain");
			assert_string_equal(r->headers[i].value_redacted,
			    "text/REDACTED");
			seen = 1;
		}
	}
	assert_true(seen);
	probe_res_free(r);
	req.secret = "page";
	r = fetch(p, &req);
	assert_non_null(r->location);
	assert_non_null(strstr(r->location, "/next/page?x=1"));
	assert_non_null(r->location_redacted);
	assert_null(strstr(r->location_redacted, "page"));
	assert_non_null(strstr(r->location_redacted, "/next/REDACTED?x=1"));
	probe_res_free(r);
	probe_free(p);
}

static int
setup(void **state)
{
	(void)state;
	if (testsrv_start(&plain, NULL) != 0 ||
	    testsrv_start(&tls, "server") != 0 ||
	    testsrv_start(&expired, "expired") != 0 ||
	    testsrv_start(&wronghost, "wronghost") != 0 ||
	    testsrv_start(&selfsigned, "selfsigned") != 0) {
		fprintf(stderr,
		    "cannot start test servers (RC_TEST_CERTS=%s)\n",
		    testsrv_certs());
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	testsrv_stop(&plain);
	testsrv_stop(&tls);
	testsrv_stop(&expired);
	testsrv_stop(&wronghost);
	testsrv_stop(&selfsigned);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_body_and_evidence),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_body_over_cap_is_toobig),
		cmocka_unit_test(test_slow_drip_times_out),
		cmocka_unit_test(test_guard_blocks_loopback),
		cmocka_unit_test(test_tls_with_resolve_and_test_ca),
		cmocka_unit_test(test_bad_certificates),
		cmocka_unit_test(test_store_keeps_system_anchors),
		cmocka_unit_test(test_cookies_flow_within_a_jar_only),
		cmocka_unit_test(test_jar_freed_while_queued),
		cmocka_unit_test(test_many_concurrent_respect_per_host_limit),
		cmocka_unit_test(test_global_and_per_host_limits),
		cmocka_unit_test(test_queued_requests_wait_not_fail),
		cmocka_unit_test(test_callbacks_submit_followups),
		cmocka_unit_test(test_bad_urls_delivered_from_loop),
		cmocka_unit_test(test_recycle),
		cmocka_unit_test(test_pool_holds_global_limit),
		cmocka_unit_test(test_browser_headers_and_post),
		cmocka_unit_test(test_garbage_reply_is_protocol),
		cmocka_unit_test(test_refused_and_unresolvable),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_secret_scrubbed_from_evidence),
		cmocka_unit_test(test_url_resolve),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_enomem_probe_new),
		cmocka_unit_test(test_enomem_probe_submit),
		cmocka_unit_test(test_free_with_queued_requests),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_group_deadline),
		cmocka_unit_test(test_connect_timeout_is_not_deadline),
		cmocka_unit_test(test_group_queue_time_not_charged),
		cmocka_unit_test(test_max_redirects_zero_kept),
		cmocka_unit_test(test_headers_and_location_redacted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
