/* SPDX-License-Identifier: MIT */
/*
 * The probe engine (see probe.h): libcurl's multi interface, one event
 * loop for every request.
 *
 * A submitted request becomes a struct probe_xfer holding its own copies
 * of everything, its easy handle and the probe_res it will deliver.  It
 * lives on one of three lists: pending (its host's FIFO, waiting for a slot),
 * in flight (added to the multi handle), done (waiting for its callback).
 * Admission is ours: a request joins the multi handle only while its host
 * and the engine are under their limits, so a queued request waits without
 * its time limit running.  CURLMOPT_MAX_HOST_CONNECTIONS and
 * CURLMOPT_MAX_TOTAL_CONNECTIONS are set to the same limits as a backstop.
 * Callbacks always run from probe_run, between two turns of the loop, so
 * they may submit more requests.
 *
 * Safety: redirects are never followed, only http and https are spoken,
 * TLS is always verified, proxies from the environment are ignored (the
 * guard must see the real peer), and the SSRF guard vets the address of
 * every socket before libcurl connects it.  A reused connection was vetted
 * when it was opened.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/redact.h"
#include "verifier/netguard.h"
#include "verifier/probe.h"

#define PROBE_DEFAULT_UA                                                       \
	"raccord/0.1 (+verification France Relance FranceConnect/API)"
#define PROBE_SYSTEM_CAPATH "/etc/ssl/certs"
/* Values of secret-named URL parameters hidden from an exchange's
 * headers: at most this many, of at least this many bytes. */
#define PROBE_EXCH_SECRETS    8
#define PROBE_EXCH_SECRET_MIN 6

/* What the engine sends besides the User-Agent, as evidence. */
static const char *const probe_plain_headers[] = {
	"Accept: */*",
	NULL,
};
static const char *const probe_browser_headers[] = {
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;"
	"q=0.8",
	"Accept-Language: fr-FR,fr;q=0.9",
	NULL,
};

/*
 * A flow's cookies, as libcurl exports them (Netscape lines): each request
 * of the flow starts from them, and what its answer set or expired is
 * merged back when it ends (jar_keep), so that two requests of one flow in
 * flight at once (a callback beside the provider's hops) lose nothing.
 * Not a CURLSH: an easy handle takes one share, and that is the run's TLS
 * session cache (probe.tls_share), which must never carry cookies.
 */
struct probe_jar {
	struct curl_slist *cookies;
	long refs; /* the caller's, plus one per request using it */
};

struct probe_xfer;

/* A deadline for a set of requests (probe.h). */
struct probe_group {
	long budget_ms;
	long long used_ms;  /* charged before the current in-flight span */
	long long since_ms; /* start of the current in-flight span */
	long inflight;      /* requests of the group in flight */
	int expired;
	char what[32];
	struct probe *p;
	struct probe_group *next;          /* every group of p */
	struct probe_group *aprev, *anext; /* p's groups with requests in
	                                    * flight: the only ones whose
	                                    * budget is being spent */
};

struct probe_queue {
	struct probe_xfer *head, *tail;
};

/*
 * Requests per host:port, for the per-host limit.  Each host keeps its
 * own FIFO of pending requests, and the hosts that have some are on the
 * engine's ready list, so admission never walks requests that must wait
 * for a busy host (a batch where every dossier shares one host stays
 * linear).
 */
struct probe_host {
	char *key;
	long inflight;
	long refs; /* requests of any state naming this host */
	struct probe_host *next;
	struct probe_queue pending;
	struct probe_host *rnext; /* on the ready list */
	int ready;
};

enum probe_state {
	PROBE_ST_PENDING,
	PROBE_ST_INFLIGHT,
	PROBE_ST_DONE,
	PROBE_ST__MAX
};

struct probe_xfer {
	struct probe *p;
	enum probe_state state;
	struct probe_xfer *qnext;             /* pending or done queue */
	struct probe_xfer *allprev, *allnext; /* every request */
	CURL *easy;
	struct curl_slist *hdrs;
	struct probe_host *host;
	struct probe_jar *jar;
	struct curl_slist *jar_sent; /* the jar's lines when it started */
	char *body;
	size_t body_len;
	char *secret;
	probe_done_fn *fn;
	void *arg;
	struct probe_res *res;
	struct probe_group *group; /* deadline, or NULL */
	int clamped;               /* timeout cut to the group's budget */
	int deadline_hit;          /* ended by its group's deadline */
	int tls_seen;
	int toobig;
	int nomem;
	int blocked;
	char blockwhy[256];
	char errbuf[CURL_ERROR_SIZE];
};

struct probe_timer {
	long long due_ms; /* CLOCK_MONOTONIC */
	struct probe_group *group;
	probe_timer_fn *fn;
	void *arg;
	struct probe_timer *next;
};

struct probe {
	struct probe_opts opts; /* with our own copies of the strings */
	char **allow_copy;
	char **resolve_copy;
	char *ua_copy, *ca_copy;
	/*
	 * The trust anchors, built once: the system bundle plus
	 * opts.ca_file.  Every TLS connection shares it (on_ssl_ctx), so
	 * no connection re-reads and re-parses a CA file or directory.
	 */
	X509_STORE *store;
	/*
	 * TLS sessions (tickets, IDs) of this run, and nothing else: a new
	 * connection to a host:port resumes its last session instead of a
	 * full handshake.  libcurl keys them by scheme, host name, port and
	 * TLS options; its checks (chain result, host name) still run on a
	 * resumed connection, and on_opensocket still guards every socket.
	 */
	CURLSH *tls_share;
	struct netguard *guard;
	struct curl_slist *resolve;
	CURLM *multi;
	int global_inited;
	int running;
	int admit_due; /* a request was queued or a slot freed */
	long inflight;
	long npending; /* requests waiting on every host's queue */
	struct probe_host *ready_head, *ready_tail; /* hosts with pending */
	struct probe_queue done;
	struct probe_xfer *all;
	struct probe_host *hosts;
	struct probe_timer *timers; /* sorted by due_ms, then FIFO */
	struct probe_group *groups; /* every group, owned */
	struct probe_group *active; /* groups with requests in flight */
	struct probe_group *cur;    /* probe_set_group, or the delivered one */
	int sweep_due;              /* a group expired: end its requests */
};

/* --- small helpers --------------------------------------------------- */

/* How close to its budget a group must be for a timeout to be its
 * deadline (libcurl's timers and this loop's turns are not exact). */
#define PROBE_DEADLINE_SLACK_MS 100

static long long now_ms(void);
static void group_stop(struct probe_group *g);
static long long group_used(const struct probe_group *g, long long now);

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		rc_free(v[i]);
	rc_free(v);
}

/* A deep copy of a NULL-terminated string vector (NULL stays NULL). */
static enum rc_code
strv_dup(const char *const *v, char ***out)
{
	char **c = NULL;
	size_t n = 0, i;
	enum rc_code rc = RC_ENOMEM;

	*out = NULL;
	if (v == NULL)
		return RC_OK;
	while (v[n] != NULL)
		n++;
	if ((c = rc_calloc(n + 1, sizeof(*c))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if ((c[i] = rc_strdup(v[i])) == NULL)
			goto out;
	*out = c;
	c = NULL; /* transferred */
	rc = RC_OK;
out:
	strv_free(c);
	return rc;
}

static int
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/*
 * Pass a fixed-size message through rc_redact in place (truncating if need
 * be): it may quote the secret, or bytes of the peer.
 */
static void
msg_scrub(char *msg, size_t size, const char *const *secrets)
{
	char *tmp = NULL;

	if (rc_redact(msg, strlen(msg), secrets, &tmp) != RC_OK) {
		snprintf(msg, size, "(message withheld: out of memory)");
		return;
	}
	snprintf(msg, size, "%s", tmp);
	rc_free(tmp);
}

/* --- URLs ------------------------------------------------------------ */

enum rc_code
probe_url_resolve(const char *base, const char *ref, char **out)
{
	CURLU *u = NULL;
	char *s = NULL;
	enum rc_code rc = RC_EINVAL;

	*out = NULL;
	if (base == NULL || ref == NULL)
		goto out;
	if ((u = curl_url()) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) !=
	        CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) !=
	        CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	if ((*out = rc_strdup(s)) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	rc = RC_OK;
out:
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent- and plus-decode n bytes of s into out[size] (truncating). */
static void
form_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[o++] =
			    (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* Redact the values of secret parameters in a&b=c form text. */
static enum rc_code
params_redact(const char *q, char **out)
{
	struct rc_buf b;
	const char *seg, *end, *eq;
	char name[64];
	size_t n = 1;

	*out = NULL;
	for (seg = q; *seg != '\0'; seg++)
		n += *seg == '&';
	rc_buf_init(&b, strlen(q) + n * 9 + 1);
	for (seg = q;; seg = end + 1) {
		end = strchr(seg, '&');
		if (end == NULL)
			end = seg + strlen(seg);
		eq = memchr(seg, '=', (size_t)(end - seg));
		if (seg != q && rc_buf_add(&b, "&", 1) != RC_OK)
			goto fail;
		if (eq != NULL) {
			form_decode(seg, (size_t)(eq - seg), name,
			    sizeof(name));
			if (rc_redact_param_name(name, strlen(name))) {
				if (rc_buf_add(&b, seg,
				        (size_t)(eq - seg) + 1) != RC_OK ||
				    rc_buf_adds(&b, "REDACTED") != RC_OK)
					goto fail;
				goto next;
			}
		}
		if (rc_buf_add(&b, seg, (size_t)(end - seg)) != RC_OK)
			goto fail;
	next:
		if (*end == '\0')
			break;
	}
	if ((*out = rc_buf_steal(&b)) == NULL)
		goto fail;
	return RC_OK;
fail:
	rc_buf_free_secret(&b);
	return RC_ENOMEM;
}

/*
 * Append sep and the redacted text of one URL part (query or fragment) of
 * u to b.  The part is read raw and rebuilt by hand: curl_url_set would
 * re-case its percent-escapes.
 */
static enum rc_code
part_redact(CURLU *u, CURLUPart part, const char *sep, struct rc_buf *b)
{
	char *v = NULL, *r = NULL;
	enum rc_code rc = RC_OK;

	if (curl_url_get(u, part, &v, 0) != CURLUE_OK || v == NULL)
		goto out;
	if ((rc = params_redact(v, &r)) != RC_OK)
		goto out;
	if (rc_buf_adds(b, sep) != RC_OK || rc_buf_adds(b, r) != RC_OK)
		rc = RC_ENOMEM;
out:
	if (v != NULL)
		OPENSSL_cleanse(v, strlen(v));
	curl_free(v);
	rc_free(r);
	return rc;
}

enum rc_code
probe_url_redact(const char *url, char **out)
{
	struct rc_buf b;
	CURLU *u = NULL;
	char *s = NULL;
	enum rc_code rc = RC_EINVAL;

	*out = NULL;
	rc_buf_init(&b, url != NULL ? strlen(url) * 9 + 16 : 16);
	if (url == NULL)
		goto out;
	if ((u = curl_url()) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK)
		goto out;
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	if ((rc = part_redact(u, CURLUPART_QUERY, "?", &b)) != RC_OK ||
	    (rc = part_redact(u, CURLUPART_FRAGMENT, "#", &b)) != RC_OK)
		goto out;
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK) {
		rc = RC_EINVAL;
		goto out;
	}
	/* scheme://host/path, then the redacted query and fragment */
	if ((*out = rc_malloc(strlen(s) + b.len + 1)) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	memcpy(*out, s, strlen(s));
	memcpy(*out + strlen(s), b.data != NULL ? b.data : "", b.len);
	(*out)[strlen(s) + b.len] = '\0';
	rc = RC_OK;
out:
	rc_buf_free_secret(&b);
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Evidence form of a URL: probe_url_redact, or for a URL that does not
 * parse, everything up to the first '?' or '#' without userinfo; then
 * rc_redact with the exchange's secrets (raw and percent-encoded).
 */
static enum rc_code
url_evidence(const char *url, const char *const *secrets, char **out)
{
	const char *cut, *at, *scheme;
	char *s = NULL;
	enum rc_code rc;

	*out = NULL;
	if (url == NULL)
		url = "";
	rc = probe_url_redact(url, &s);
	if (rc == RC_ENOMEM)
		goto out;
	if (rc != RC_OK) {
		struct rc_buf b;

		rc_buf_init(&b, strlen(url) + 16);
		cut = url + strcspn(url, "?#");
		scheme = strstr(url, "://");
		at = memchr(url, '@', (size_t)(cut - url));
		rc = RC_OK;
		if (scheme != NULL && at != NULL && scheme < at) {
			if (rc_buf_add(&b, url, (size_t)(scheme + 3 - url)) !=
			    RC_OK)
				rc = RC_ENOMEM;
			url = at + 1;
		}
		if (rc == RC_OK &&
		    rc_buf_add(&b, url, (size_t)(cut - url)) != RC_OK)
			rc = RC_ENOMEM;
		if (rc == RC_OK && *cut != '\0' &&
		    rc_buf_adds(&b, *cut == '?' ? "?REDACTED" : "#REDACTED") !=
		        RC_OK)
			rc = RC_ENOMEM;
		if (rc == RC_OK && (s = rc_buf_steal(&b)) == NULL)
			rc = RC_ENOMEM;
		rc_buf_free(&b);
		if (rc != RC_OK)
			goto out;
	}
	if ((rc = rc_redact(s, strlen(s), secrets, out)) != RC_OK)
		goto out;
	rc = RC_OK;
out:
	if (s != NULL)
		rc_free_secret(s, strlen(s));
	return rc;
}

/* --- options and engine ---------------------------------------------- */

void
probe_opts_defaults(struct probe_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->timeout_ms = 15000;
	opts->connect_timeout_ms = 5000;
	opts->max_body_bytes = 2 * 1024 * 1024;
	opts->max_redirects = 10;
	opts->per_host_concurrency = 4;
	opts->global_concurrency = 64;
	opts->user_agent = PROBE_DEFAULT_UA;
}

/* Validate one "host:port:addr[,addr...]" entry for CURLOPT_RESOLVE. */
static int
resolve_ok(const char *e, char *why, size_t whylen)
{
	const char *c1, *c2, *a, *end;
	char addr[INET6_ADDRSTRLEN + 2];
	unsigned char bin[16];
	unsigned long port;
	char *pend;
	size_t n;

	if (e == NULL || (c1 = strchr(e, ':')) == NULL || c1 == e ||
	    (c2 = strchr(c1 + 1, ':')) == NULL) {
		snprintf(why, whylen, "expected host:port:address");
		return 0;
	}
	if (*e == '+' || *e == '-' || has_crlf(e)) {
		snprintf(why, whylen, "host must be a plain name");
		return 0;
	}
	if (c1[1] < '0' || c1[1] > '9') {
		snprintf(why, whylen, "port is not a number");
		return 0;
	}
	errno = 0;
	port = strtoul(c1 + 1, &pend, 10);
	if (errno != 0 || pend != c2 || port == 0 || port > 65535) {
		snprintf(why, whylen, "port must be 1..65535");
		return 0;
	}
	for (a = c2 + 1;; a = end + 1) {
		end = a + strcspn(a, ",");
		n = (size_t)(end - a);
		if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
			a++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof(addr)) {
			snprintf(why, whylen, "empty or overlong address");
			return 0;
		}
		memcpy(addr, a, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET, addr, bin) != 1 &&
		    inet_pton(AF_INET6, addr, bin) != 1) {
			snprintf(why, whylen, "\"%s\" is not an IP address",
			    addr);
			return 0;
		}
		if (*end == '\0')
			break;
	}
	return 1;
}

/*
 * The trust store of every connection: the system's anchors (libcurl's
 * default CA bundle, else its CA directory) and, when set, opts.ca_file,
 * which adds anchors instead of replacing the system store.  Built once
 * here instead of by libcurl per connection: libcurl 7.88 caches its
 * store only without a CA path, and Debian's libcurl has one by default,
 * so every new connection re-parsed the whole bundle (issue 7 §5).
 */
static enum rc_code
probe_build_store(struct probe *p, struct rc_err *err)
{
	struct stat st;
	CURL *c;
	char *bundle = NULL, *dir = NULL;
	int have_system = 0;

	if ((p->store = X509_STORE_new()) == NULL ||
	    (c = curl_easy_init()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if (curl_easy_getinfo(c, CURLINFO_CAINFO, &bundle) == CURLE_OK &&
	    bundle != NULL && stat(bundle, &st) == 0 && S_ISREG(st.st_mode))
		have_system = X509_STORE_load_file(p->store, bundle) == 1;
	if (!have_system &&
	    curl_easy_getinfo(c, CURLINFO_CAPATH, &dir) == CURLE_OK &&
	    dir != NULL && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		have_system = X509_STORE_load_path(p->store, dir) == 1;
	if (!have_system && stat(PROBE_SYSTEM_CAPATH, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		have_system =
		    X509_STORE_load_path(p->store, PROBE_SYSTEM_CAPATH) == 1;
	curl_easy_cleanup(c);
	if (!have_system)
		log_warn("event=no_system_ca detail=\"no system CA bundle or "
		         "directory: only network.ca_file anchors are "
		         "trusted\"");
	if (p->opts.ca_file != NULL &&
	    X509_STORE_load_file(p->store, p->opts.ca_file) != 1)
		return RC_ERR(err, RC_ECONFIG,
		    "network.ca_file %s: cannot load its certificates",
		    p->opts.ca_file);
	return RC_OK;
}

enum rc_code
probe_trusts_pem(const struct probe *p, const char *pem_file, int *trusted,
    struct rc_err *err)
{
	X509_STORE_CTX *ctx = NULL;
	X509 *cert = NULL;
	BIO *bio;
	enum rc_code rc = RC_OK;

	*trusted = 0;
	if ((bio = BIO_new_file(pem_file, "r")) == NULL)
		return RC_ERR(err, RC_ESYS, "%s: cannot read", pem_file);
	if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		rc = RC_ERR(err, RC_EPARSE, "%s: no PEM certificate", pem_file);
		goto out;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, p->store, cert, NULL) != 1) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	*trusted = X509_verify_cert(ctx) == 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	BIO_free(bio);
	return rc;
}

/* libcurl's TLS context of a new connection gets the shared store. */
static CURLcode
on_ssl_ctx(CURL *e, void *sslctx, void *arg)
{
	struct probe *p = arg;

	(void)e;
	SSL_CTX_set1_cert_store(sslctx, p->store);
	return CURLE_OK;
}

/* Check that ca_file holds at least one PEM certificate. */
static enum rc_code
ca_file_ok(const char *path, struct rc_err *err)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	enum rc_code rc;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		rc = RC_ERR(err, RC_ECONFIG, "network.ca_file: cannot read %s",
		    path);
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		rc = RC_ERR(err, RC_ECONFIG,
		    "network.ca_file: %s holds no PEM certificate", path);
		goto out;
	}
	rc = RC_OK;
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/*
 * A multi handle: its own connection pool and DNS cache, the limits.  The
 * pool keeps up to the global limit of idle connections (MAXCONNECTS):
 * libcurl's default, 4 per transfer attached when a connection comes
 * back, closed the oldest whenever few transfers were left, so a batch
 * opened the same hosts' connections again and again (docs/bench.md,
 * "Issue 9: gathering arrivals").  The pool lives as long as the run
 * (probe_recycle), never across runs.
 */
static CURLM *
multi_new(const struct probe_opts *o)
{
	CURLM *m = curl_multi_init();

	if (m == NULL)
		return NULL;
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
	    o->per_host_concurrency);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    o->global_concurrency);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, o->global_concurrency);
	return m;
}

struct probe *
probe_new(const struct probe_opts *opts, struct rc_err *err)
{
	struct probe *p = NULL, *ret = NULL;
	struct probe_opts d;
	struct curl_slist *sl;
	char why[128];
	size_t i;

	probe_opts_defaults(&d);
	if (opts == NULL)
		opts = &d;
	if ((p = rc_calloc(1, sizeof(*p))) == NULL) {
		RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		RC_ERR(err, RC_ENOMEM, "curl_global_init failed");
		goto out;
	}
	p->global_inited = 1;
	p->opts = *opts;
	/* Borrowed strings are replaced with our copies below. */
	p->opts.user_agent = NULL;
	p->opts.ca_file = NULL;
	p->opts.allow_private = NULL;
	p->opts.resolve = NULL;
	if (p->opts.timeout_ms <= 0)
		p->opts.timeout_ms = d.timeout_ms;
	if (p->opts.connect_timeout_ms <= 0)
		p->opts.connect_timeout_ms = d.connect_timeout_ms;
	if (p->opts.max_redirects < 0) /* 0 is honoured: follow none */
		p->opts.max_redirects = d.max_redirects;
	if (p->opts.per_host_concurrency <= 0)
		p->opts.per_host_concurrency = d.per_host_concurrency;
	if (p->opts.global_concurrency <= 0)
		p->opts.global_concurrency = d.global_concurrency;
	if (p->opts.max_body_bytes == 0)
		p->opts.max_body_bytes = d.max_body_bytes;
	if (has_crlf(opts->user_agent)) {
		RC_ERR(err, RC_ECONFIG, "user agent contains CR or LF");
		goto out;
	}
	p->ua_copy = rc_strdup(opts->user_agent != NULL && *opts->user_agent
	        ? opts->user_agent
	        : d.user_agent);
	p->ca_copy = opts->ca_file ? rc_strdup(opts->ca_file) : NULL;
	if (p->ua_copy == NULL ||
	    (opts->ca_file != NULL && p->ca_copy == NULL) ||
	    strv_dup(opts->allow_private, &p->allow_copy) != RC_OK ||
	    strv_dup(opts->resolve, &p->resolve_copy) != RC_OK) {
		RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	p->opts.user_agent = p->ua_copy;
	p->opts.ca_file = p->ca_copy;
	p->opts.allow_private = (const char *const *)p->allow_copy;
	p->opts.resolve = (const char *const *)p->resolve_copy;
	if ((p->guard = netguard_new(p->opts.allow_private, err)) == NULL)
		goto out;
	for (i = 0; p->resolve_copy != NULL && p->resolve_copy[i]; i++) {
		if (!resolve_ok(p->resolve_copy[i], why, sizeof(why))) {
			RC_ERR(err, RC_ECONFIG, "network.resolve: \"%s\": %s",
			    p->resolve_copy[i], why);
			goto out;
		}
		if ((sl = curl_slist_append(p->resolve, p->resolve_copy[i])) ==
		    NULL) {
			RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		p->resolve = sl;
	}
	if (p->opts.ca_file != NULL &&
	    ca_file_ok(p->opts.ca_file, err) != RC_OK)
		goto out;
	if (probe_build_store(p, err) != RC_OK)
		goto out;
	if ((p->tls_share = curl_share_init()) == NULL ||
	    curl_share_setopt(p->tls_share, CURLSHOPT_SHARE,
	        CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		RC_ERR(err, RC_ENOMEM, "cannot make the TLS session cache");
		goto out;
	}
	if ((p->multi = multi_new(&p->opts)) == NULL) {
		RC_ERR(err, RC_ENOMEM, "curl_multi_init failed");
		goto out;
	}
	ret = p;
	p = NULL; /* transferred */
out:
	probe_free(p);
	return ret;
}

const struct probe_opts *
probe_get_opts(const struct probe *p)
{
	return &p->opts;
}

/* --- hosts and jars -------------------------------------------------- */

static void
host_unref(struct probe *p, struct probe_host *h)
{
	struct probe_host **pp;

	if (h == NULL || --h->refs > 0)
		return;
	for (pp = &p->hosts; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	rc_free(h->key);
	rc_free(h);
}

static struct probe_host *
host_ref(struct probe *p, const char *key)
{
	struct probe_host *h;

	for (h = p->hosts; h != NULL; h = h->next)
		if (strcmp(h->key, key) == 0) {
			h->refs++;
			return h;
		}
	if ((h = rc_calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->key = rc_strdup(key)) == NULL) {
		rc_free(h);
		return NULL;
	}
	h->refs = 1;
	h->next = p->hosts;
	p->hosts = h;
	return h;
}

struct probe_jar *
probe_jar_new(void)
{
	struct probe_jar *jar;

	if ((jar = rc_calloc(1, sizeof(*jar))) == NULL)
		return NULL;
	jar->refs = 1;
	return jar;
}

/* Field n (from 0) of a Netscape cookie line, its length in *len. */
static const char *
cookie_field(const char *line, int n, size_t *len)
{
	const char *t;

	if (n == 0 && strncmp(line, "#HttpOnly_", 10) == 0)
		line += 10;
	for (; n > 0 && line != NULL; n--)
		if ((line = strchr(line, '\t')) != NULL)
			line++;
	if (line == NULL) {
		*len = 0;
		return "";
	}
	*len = (t = strchr(line, '\t')) != NULL ? (size_t)(t - line)
	                                        : strlen(line);
	return line;
}

/* Same cookie: same domain, path and name (fields 0, 2 and 5)? */
static int
cookie_same(const char *a, const char *b)
{
	static const int keys[] = { 0, 2, 5 };
	const char *fa, *fb;
	size_t la, lb, i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fa = cookie_field(a, keys[i], &la);
		fb = cookie_field(b, keys[i], &lb);
		if (la != lb || memcmp(fa, fb, la) != 0)
			return 0;
	}
	return 1;
}

static const char *
cookie_find(const struct curl_slist *l, const char *line)
{
	for (; l != NULL; l = l->next)
		if (cookie_same(l->data, line))
			return l->data;
	return NULL;
}

static int
cookie_add(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/*
 * Merge what the request's answer did to its cookies into its jar: a
 * cookie it set or changed replaces the jar's, one it expired leaves the
 * jar, unless another request of the flow changed it meanwhile.  On
 * ENOMEM the jar keeps what it had and the response is marked.
 */
static void
jar_keep(struct probe_xfer *x)
{
	struct curl_slist *got = NULL, *out = NULL, *j;
	const char *e, *sent;
	int bad = 0;

	if (x->jar == NULL)
		return;
	if (curl_easy_getinfo(x->easy, CURLINFO_COOKIELIST, &got) != CURLE_OK) {
		x->nomem = 1;
		return;
	}
	for (j = x->jar->cookies; j != NULL && !bad; j = j->next) {
		e = cookie_find(got, j->data);
		sent = cookie_find(x->jar_sent, j->data);
		if (e == NULL && sent != NULL && strcmp(sent, j->data) == 0)
			continue; /* expired by this answer */
		if (e != NULL && (sent == NULL || strcmp(sent, e) != 0))
			bad = cookie_add(&out, e); /* set by this answer */
		else
			bad = cookie_add(&out, j->data);
	}
	for (j = got; j != NULL && !bad; j = j->next) {
		sent = cookie_find(x->jar_sent, j->data);
		if (cookie_find(x->jar->cookies, j->data) == NULL &&
		    (sent == NULL || strcmp(sent, j->data) != 0))
			bad = cookie_add(&out, j->data); /* new */
	}
	curl_slist_free_all(got);
	if (bad) {
		curl_slist_free_all(out);
		x->nomem = 1;
		return;
	}
	curl_slist_free_all(x->jar->cookies);
	x->jar->cookies = out;
}

static void
jar_unref(struct probe_jar *jar)
{
	if (jar == NULL || --jar->refs > 0)
		return;
	curl_slist_free_all(jar->cookies);
	rc_free(jar);
}

void
probe_jar_free(struct probe_jar *jar)
{
	jar_unref(jar); /* requests still using it keep it alive */
}

/* --- results --------------------------------------------------------- */

void
probe_res_free(struct probe_res *res)
{
	size_t i;

	if (res == NULL)
		return;
	rc_free(res->method);
	if (res->url != NULL)
		rc_free_secret(res->url, strlen(res->url));
	rc_free(res->url_redacted);
	rc_free(res->location);
	rc_free(res->location_redacted);
	for (i = 0; i < res->nheaders; i++) {
		rc_free(res->headers[i].name);
		if (res->headers[i].value != NULL)
			rc_free_secret(res->headers[i].value,
			    strlen(res->headers[i].value));
		rc_free(res->headers[i].value_redacted);
	}
	rc_free(res->headers);
	rc_buf_free_secret(&res->body);
	rc_free(res);
}

const char *
probe_res_header(const struct probe_res *res, const char *name)
{
	size_t i;

	if (res == NULL || name == NULL)
		return NULL;
	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

const char *
probe_outcome_str(enum probe_outcome o)
{
	static const char *const s[PROBE__MAX] = {
		[PROBE_OK] = "response received",
		[PROBE_BADURL] = "malformed or non-http(s) URL",
		[PROBE_BLOCKED] = "address refused by the SSRF guard",
		[PROBE_DNS] = "name could not be resolved",
		[PROBE_CONNECT] = "connection failed",
		[PROBE_TLS] = "TLS verification failed",
		[PROBE_TIMEOUT] = "time limit reached",
		[PROBE_TOOBIG] = "response body over the size limit",
		[PROBE_PROTOCOL] = "malformed HTTP response",
		[PROBE_OTHER] = "transfer failed",
	};

	if ((unsigned)o >= PROBE__MAX)
		return "unknown outcome";
	return s[o];
}

/* --- requests -------------------------------------------------------- */

static void
queue_push(struct probe_queue *q, struct probe_xfer *x)
{
	x->qnext = NULL;
	if (q->tail != NULL)
		q->tail->qnext = x;
	else
		q->head = x;
	q->tail = x;
}

static struct probe_xfer *
queue_pop(struct probe_queue *q)
{
	struct probe_xfer *x = q->head;

	if (x != NULL) {
		q->head = x->qnext;
		if (q->head == NULL)
			q->tail = NULL;
		x->qnext = NULL;
	}
	return x;
}

/* Unlink x from everything and release it (and res unless delivered). */
static void
xfer_free(struct probe_xfer *x)
{
	struct probe *p;

	if (x == NULL)
		return;
	p = x->p;
	if (x->allprev != NULL)
		x->allprev->allnext = x->allnext;
	else if (p->all == x)
		p->all = x->allnext;
	if (x->allnext != NULL)
		x->allnext->allprev = x->allprev;
	if (x->easy != NULL) {
		if (x->state == PROBE_ST_INFLIGHT) {
			curl_multi_remove_handle(p->multi, x->easy);
			p->inflight--;
			x->host->inflight--;
			group_stop(x->group);
		}
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs); /* may hold Authorization */
	jar_unref(x->jar);
	curl_slist_free_all(x->jar_sent);
	host_unref(p, x->host);
	if (x->body != NULL)
		rc_free_secret(x->body, x->body_len);
	if (x->secret != NULL)
		rc_free_secret(x->secret, strlen(x->secret));
	probe_res_free(x->res);
	rc_free(x);
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct probe_xfer *x = ud;
	struct rc_buf *b = &x->res->body;
	size_t n = size * nmemb, room;

	if (rc_buf_add(b, ptr, n) == RC_OK)
		return n;
	if (b->overflow) {
		/* Keep what fits, as evidence, then stop the transfer. */
		room = b->max - b->len;
		if (room > 0 && room < n)
			rc_buf_add(b, ptr, room);
		x->toobig = 1;
	} else {
		x->nomem = 1;
	}
	return 0;
}

/* Record TLS version and leaf certificate while the connection lives. */
static void
xfer_tls(struct probe_xfer *x)
{
	struct curl_tlssessioninfo *ti = NULL;
	struct probe_res *res = x->res;
	const ASN1_TIME *na;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct tm tm;
	X509 *cert = NULL;
	BIO *bio = NULL;
	int n;
	SSL *ssl;

	x->tls_seen = 1;
	if (curl_easy_getinfo(x->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    ti == NULL || ti->backend != CURLSSLBACKEND_OPENSSL ||
	    ti->internals == NULL)
		return;
	ssl = ti->internals;
	snprintf(res->tls_version, sizeof(res->tls_version), "%s",
	    SSL_get_version(ssl));
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		goto out;
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		rc_hex(md, mdlen, res->cert_sha256);
	if ((na = X509_get0_notAfter(cert)) != NULL &&
	    ASN1_TIME_to_tm(na, &tm) == 1)
		res->cert_not_after = timegm(&tm);
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	        XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, res->cert_subject,
		    (int)sizeof(res->cert_subject) - 1);
		res->cert_subject[n > 0 ? n : 0] = '\0';
	}
out:
	BIO_free(bio);
	X509_free(cert);
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct probe_xfer *x = ud;

	(void)ptr;
	if (!x->tls_seen)
		xfer_tls(x);
	return size * nmemb;
}

static curl_socket_t
on_opensocket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct probe_xfer *x = ud;
	char why[sizeof(x->blockwhy)];

	if (purpose != CURLSOCKTYPE_IPCXN) {
		snprintf(why, sizeof(why), "socket purpose %d refused",
		    (int)purpose);
	} else if (netguard_check(x->p->guard, &a->addr, a->addrlen, why,
	               sizeof(why))) {
		return socket(a->family, a->socktype | SOCK_CLOEXEC,
		    a->protocol);
	}
	if (!x->blocked) {
		x->blocked = 1;
		snprintf(x->blockwhy, sizeof(x->blockwhy), "%s", why);
	}
	return CURL_SOCKET_BAD;
}

/* Mark x as failed before any transfer; it is delivered from the loop. */
static void
xfer_fail_early(struct probe_xfer *x, enum probe_outcome o, const char *msg)
{
	const char *secrets[2] = { NULL, NULL };

	secrets[0] = x->secret;
	x->res->outcome = o;
	if (x->res->started == 0)
		x->res->started = time(NULL);
	snprintf(x->res->errmsg, sizeof(x->res->errmsg), "%s", msg);
	msg_scrub(x->res->errmsg, sizeof(x->res->errmsg), secrets);
	rc_sha256_hex("", 0, x->res->body_sha256);
	x->state = PROBE_ST_DONE;
	queue_push(&x->p->done, x);
}

/* Why a request of a group past its deadline ended. */
static void
deadline_msg(const struct probe_group *g, char *buf, size_t len)
{
	snprintf(buf, len, "the %s's deadline of %ld ms passed", g->what,
	    g->budget_ms);
}

/* End x, which has not started, because its group's deadline passed. */
static void
xfer_fail_deadline(struct probe_xfer *x)
{
	char msg[128];

	deadline_msg(x->group, msg, sizeof(msg));
	x->deadline_hit = 1;
	xfer_fail_early(x, PROBE_TIMEOUT, msg);
}

/*
 * Check the URL: absolute, http or https.  Fills key with "host:port".
 * Returns 0, or -1 with why filled.
 */
static int
url_check(const char *url, char *key, size_t keylen, char *why, size_t whylen)
{
	CURLU *u = NULL;
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *port = NULL, *c;
	int ret = -1;

	if (url == NULL) {
		snprintf(why, whylen, "no URL");
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url,
	         CURLU_NON_SUPPORT_SCHEME)) != CURLUE_OK) {
		snprintf(why, whylen, "malformed URL: %s",
		    curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(why, whylen, "scheme \"%s\" is not http or https",
		    scheme != NULL ? scheme : "");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	        CURLUE_OK) {
		snprintf(why, whylen, "URL has no host");
		goto out;
	}
	for (c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if ((size_t)snprintf(key, keylen, "%s:%s", host, port) >= keylen) {
		snprintf(why, whylen, "host name too long");
		goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

/* Whether a method is an HTTP token of upper-case letters. */
static int
method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0'; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return 0;
	return i > 0 && i < 16;
}

/* Build the request headers (at submit, so ENOMEM reaches the caller). */
static enum rc_code
xfer_headers(struct probe_xfer *x, const struct probe_req *req)
{
	struct curl_slist *sl;
	const char *const *h;
	size_t i;
	char ct[512];

	h = req->browser ? probe_browser_headers : probe_plain_headers;
	x->res->sent_headers = h;
	for (i = 0; h[i] != NULL; i++) {
		if ((sl = curl_slist_append(x->hdrs, h[i])) == NULL)
			return RC_ENOMEM;
		x->hdrs = sl;
	}
	if (req->content_type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
		if ((sl = curl_slist_append(x->hdrs, ct)) == NULL)
			return RC_ENOMEM;
		x->hdrs = sl;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((sl = curl_slist_append(x->hdrs, req->headers[i])) == NULL)
			return RC_ENOMEM;
		x->hdrs = sl;
	}
	return RC_OK;
}

/*
 * The time limit of x: timeout_ms, cut to what is left of its group's
 * budget (at least 1 ms: CURLOPT_TIMEOUT_MS 0 means none).
 */
static long
xfer_timeout_ms(struct probe_xfer *x)
{
	long t = x->p->opts.timeout_ms;
	long long left;

	if (x->group == NULL)
		return t;
	left = x->group->budget_ms - group_used(x->group, now_ms());
	if (left < t) {
		x->clamped = 1;
		t = left > 0 ? (long)left : 1;
	}
	return t;
}

/*
 * Make the easy handle of a request about to run.  Done at admission, not
 * at submit, so that a long queue costs no libcurl handles.
 */
static enum rc_code
xfer_easy(struct probe_xfer *x)
{
	struct probe *p = x->p;
	const struct probe_opts *o = &p->opts;
	const char *m = x->res->method;
	const struct curl_slist *c;
	int bad = 0;
	CURL *e;

	if ((e = x->easy = curl_easy_init()) == NULL)
		return RC_ENOMEM;
/* Any refused option (out of memory, unknown) fails the request. */
#define SET(opt, val) (bad |= curl_easy_setopt(e, opt, val) != CURLE_OK)
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_URL, x->res->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* No proxy from the environment: the guard must see the peer. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	/* Trust comes from p->store alone (probe_build_store). */
	SET(CURLOPT_CAINFO, NULL);
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	SET(CURLOPT_SSL_CTX_DATA, p);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
	SET(CURLOPT_OPENSOCKETDATA, x);
	if (p->resolve != NULL)
		SET(CURLOPT_RESOLVE, p->resolve);
	SET(CURLOPT_TIMEOUT_MS, xfer_timeout_ms(x));
	SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	if (x->res->body.max <= (((size_t)-1) >> 2))
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->res->body.max);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_USERAGENT, o->user_agent);
	SET(CURLOPT_HTTPHEADER, x->hdrs);
	SET(CURLOPT_SHARE, p->tls_share);
	if (x->jar != NULL) {
		SET(CURLOPT_COOKIEFILE, "");
		for (c = x->jar->cookies; c != NULL; c = c->next) {
			SET(CURLOPT_COOKIELIST, c->data);
			if (cookie_add(&x->jar_sent, c->data) != 0)
				bad = 1;
		}
	}
	if (strcmp(m, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (x->body == NULL && strcmp(m, "POST") != 0) {
		SET(CURLOPT_HTTPGET, 1L);
		if (strcmp(m, "GET") != 0)
			SET(CURLOPT_CUSTOMREQUEST, m);
	} else {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		SET(CURLOPT_POSTFIELDS, x->body != NULL ? x->body : "");
		if (strcmp(m, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, m);
	}
#undef SET
	return bad ? RC_ENOMEM : RC_OK;
}

enum rc_code
probe_submit(struct probe *p, const struct probe_req *req, probe_done_fn *fn,
    void *arg, struct rc_err *err)
{
	struct probe_xfer *x = NULL;
	const char *bad = NULL;
	const char *secrets[2] = { NULL, NULL };
	char key[300], why[256];
	size_t i, max;
	enum rc_code rc = RC_ENOMEM;

	if (p == NULL || req == NULL || fn == NULL)
		return RC_ERR(err, RC_EINVAL, "probe_submit: missing argument");
	if ((x = rc_calloc(1, sizeof(*x))) == NULL ||
	    (x->res = rc_calloc(1, sizeof(*x->res))) == NULL)
		goto nomem;
	x->p = p;
	x->fn = fn;
	x->arg = arg;
	x->group = req->group != NULL ? req->group : p->cur;
	max = req->max_body != 0 ? req->max_body : p->opts.max_body_bytes;
	rc_buf_init(&x->res->body, max);
	x->res->method = rc_strdup(req->method != NULL ? req->method : "GET");
	x->res->url = rc_strdup(req->url != NULL ? req->url : "");
	if (x->res->method == NULL || x->res->url == NULL)
		goto nomem;
	if (req->secret != NULL && (x->secret = rc_strdup(req->secret)) == NULL)
		goto nomem;
	if (req->body != NULL) {
		if ((x->body = rc_malloc(req->body_len + 1)) == NULL)
			goto nomem;
		memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
	}
	secrets[0] = x->secret;
	if ((rc = url_evidence(req->url, secrets, &x->res->url_redacted)) !=
	    RC_OK)
		goto nomem;
	/* Link it now so that probe_free finds it whatever happens. */
	x->allnext = p->all;
	if (p->all != NULL)
		p->all->allprev = x;
	p->all = x;

	if (x->group != NULL && x->group->expired) {
		xfer_fail_deadline(x);
		return RC_OK;
	}
	if (url_check(req->url, key, sizeof(key), why, sizeof(why)) != 0) {
		xfer_fail_early(x, PROBE_BADURL, why);
		return RC_OK;
	}
	if (!method_ok(x->res->method))
		bad = "method is not an upper-case HTTP token";
	else if (has_crlf(req->content_type))
		bad = "content type contains CR or LF";
	for (i = 0; bad == NULL && req->headers && req->headers[i]; i++)
		if (has_crlf(req->headers[i]) ||
		    strchr(req->headers[i], ':') == NULL)
			bad = "extra header is not one \"Name: value\" line";
	if (bad != NULL) {
		xfer_fail_early(x, PROBE_OTHER, bad);
		return RC_OK;
	}
	if ((x->host = host_ref(p, key)) == NULL)
		goto unlink;
	if (req->jar != NULL) {
		x->jar = req->jar;
		x->jar->refs++;
	}
	if (xfer_headers(x, req) != RC_OK)
		goto unlink;
	x->state = PROBE_ST_PENDING;
	queue_push(&x->host->pending, x);
	p->npending++;
	if (!x->host->ready) {
		x->host->ready = 1;
		x->host->rnext = NULL;
		if (p->ready_tail != NULL)
			p->ready_tail->rnext = x->host;
		else
			p->ready_head = x->host;
		p->ready_tail = x->host;
	}
	p->admit_due = 1;
	return RC_OK;
unlink:
	xfer_free(x);
	return RC_ERR(err, RC_ENOMEM, "out of memory queueing a request");
nomem:
	if (x != NULL) {
		x->p = p;
		probe_res_free(x->res);
		x->res = NULL;
		if (x->body != NULL)
			rc_free_secret(x->body, x->body_len);
		if (x->secret != NULL)
			rc_free_secret(x->secret, strlen(x->secret));
		rc_free(x);
	}
	return RC_ERR(err, RC_ENOMEM, "out of memory queueing a request");
}

/* --- timers ---------------------------------------------------------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum rc_code
probe_timer_add(struct probe *p, long delay_ms, probe_timer_fn *fn, void *arg,
    struct rc_err *err)
{
	struct probe_timer *t, **pp;

	if (p == NULL || fn == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "probe_timer_add: missing argument");
	if ((t = rc_calloc(1, sizeof(*t))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory adding a timer");
	t->due_ms = now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->group = p->cur;
	t->fn = fn;
	t->arg = arg;
	for (pp = &p->timers; *pp != NULL && (*pp)->due_ms <= t->due_ms;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return RC_OK;
}

/* Fire the timers that are due.  Returns how many fired. */
static int
timers_fire(struct probe *p)
{
	struct probe_timer *t;
	struct probe_group *saved;
	long long now = now_ms();
	int n = 0;

	while ((t = p->timers) != NULL && t->due_ms <= now) {
		p->timers = t->next;
		saved = p->cur;
		p->cur = t->group;
		t->fn(p, t->arg);
		p->cur = saved;
		rc_free(t);
		n++;
	}
	return n;
}

/* --- groups (per-dossier deadlines) ---------------------------------- */

struct probe_group *
probe_group_new(struct probe *p, long budget_ms, const char *what,
    struct rc_err *err)
{
	struct probe_group *g;

	if (p == NULL || budget_ms <= 0) {
		RC_ERR(err, RC_EINVAL, "probe_group_new: budget must be > 0");
		return NULL;
	}
	if ((g = rc_calloc(1, sizeof(*g))) == NULL) {
		RC_ERR(err, RC_ENOMEM, "out of memory");
		return NULL;
	}
	g->budget_ms = budget_ms;
	g->p = p;
	snprintf(g->what, sizeof(g->what), "%s", what != NULL ? what : "group");
	g->next = p->groups;
	p->groups = g;
	return g;
}

int
probe_group_expired(const struct probe_group *g)
{
	return g != NULL && g->expired;
}

void
probe_set_group(struct probe *p, struct probe_group *g)
{
	if (p != NULL)
		p->cur = g;
}

/* Budget charged to g at time now. */
static long long
group_used(const struct probe_group *g, long long now)
{
	return g->used_ms + (g->inflight > 0 ? now - g->since_ms : 0);
}

/* g's budget is spent: its requests end at the next turn of the loop. */
static void
group_expire(struct probe_group *g)
{
	if (!g->expired) {
		g->expired = 1;
		g->p->sweep_due = 1;
	}
}

/* One more request of g in flight: the clock runs. */
static void
group_start(struct probe_group *g)
{
	struct probe *p;

	if (g == NULL || g->inflight++ > 0)
		return;
	g->since_ms = now_ms();
	p = g->p;
	g->aprev = NULL;
	g->anext = p->active;
	if (p->active != NULL)
		p->active->aprev = g;
	p->active = g;
}

/* One request of g left flight: the clock stops when none is left. */
static void
group_stop(struct probe_group *g)
{
	if (g == NULL || g->inflight <= 0 || --g->inflight > 0)
		return;
	g->used_ms += now_ms() - g->since_ms;
	if (g->aprev != NULL)
		g->aprev->anext = g->anext;
	else
		g->p->active = g->anext;
	if (g->anext != NULL)
		g->anext->aprev = g->aprev;
	g->aprev = g->anext = NULL;
}

/* Milliseconds to wait in poll: at most max, less if a timer is due. */
static int
poll_ms(const struct probe *p, int max)
{
	const struct probe_group *g;
	long long left, now = now_ms();

	for (g = p->active; g != NULL; g = g->anext) {
		if (g->expired)
			continue;
		left = g->budget_ms - group_used(g, now);
		if (left < max)
			max = left > 0 ? (int)left : 0;
	}
	if (p->timers == NULL)
		return max;
	left = p->timers->due_ms - now;
	if (left < 0)
		return 0;
	return left < max ? (int)left : max;
}

/* --- the loop -------------------------------------------------------- */

/* Start one pending request; it is already off its host's queue. */
static void
admit_one(struct probe *p, struct probe_xfer *x)
{
	CURLMcode mc;

	x->res->started = time(NULL);
	if (x->group != NULL &&
	    (x->group->expired ||
	        group_used(x->group, now_ms()) >= x->group->budget_ms)) {
		group_expire(x->group);
		xfer_fail_deadline(x);
		return;
	}
	if (xfer_easy(x) != RC_OK) {
		xfer_fail_early(x, PROBE_OTHER,
		    "out of memory preparing the transfer");
		return;
	}
	if ((mc = curl_multi_add_handle(p->multi, x->easy)) != CURLM_OK) {
		xfer_fail_early(x, PROBE_OTHER, curl_multi_strerror(mc));
		return;
	}
	x->state = PROBE_ST_INFLIGHT;
	p->inflight++;
	x->host->inflight++;
	group_start(x->group);
}

/*
 * Move pending requests into the multi handle while limits allow: walk
 * the hosts that have pending requests, in the order they got them, and
 * start each one's oldest requests while it has a free slot.  Hosts with
 * nothing left leave the ready list.  A full host costs one step, and at
 * most global/per_host hosts can be full, so a pass is short whatever the
 * number of queued requests.
 */
static void
admit(struct probe *p)
{
	struct probe_host *h, *prev = NULL, *next;
	struct probe_xfer *x;

	if (!p->admit_due)
		return;
	p->admit_due = 0;
	for (h = p->ready_head;
	     h != NULL && p->inflight < p->opts.global_concurrency; h = next) {
		next = h->rnext;
		while (h->inflight < p->opts.per_host_concurrency &&
		    p->inflight < p->opts.global_concurrency &&
		    (x = queue_pop(&h->pending)) != NULL) {
			p->npending--;
			admit_one(p, x);
		}
		if (h->pending.head != NULL) {
			prev = h;
			continue;
		}
		/* Drained: off the ready list. */
		if (prev != NULL)
			prev->rnext = next;
		else
			p->ready_head = next;
		if (p->ready_tail == h)
			p->ready_tail = prev;
		h->rnext = NULL;
		h->ready = 0;
	}
}

static enum probe_outcome
outcome_of(const struct probe_xfer *x, CURLcode cc)
{
	if (cc == CURLE_OK)
		return PROBE_OK;
	if (x->toobig || cc == CURLE_FILESIZE_EXCEEDED)
		return PROBE_TOOBIG;
	/* Every address refused ends as "couldn't connect"; a refusal
	 * followed by another failure on an allowed address is that failure. */
	if (x->blocked && cc == CURLE_COULDNT_CONNECT)
		return PROBE_BLOCKED;
	switch (cc) {
	case CURLE_URL_MALFORMAT:
		return PROBE_BADURL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PROBE_DNS;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return PROBE_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return PROBE_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CLIENTCERT:
		return PROBE_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL: /* the scheme was checked: HTTP/0.9 */
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_RANGE_ERROR:
	case CURLE_TOO_MANY_REDIRECTS:
		return PROBE_PROTOCOL;
	default:
		return PROBE_OTHER;
	}
}

/* Copy the final response's headers (all of them, in order). */
static enum rc_code
collect_headers(struct probe_xfer *x)
{
	struct probe_res *res = x->res;
	struct curl_header *h, *prev = NULL;
	struct probe_header *v;
	size_t n = 0, i = 0;

	while ((h = curl_easy_nextheader(x->easy, CURLH_HEADER, -1, prev)) !=
	    NULL) {
		n++;
		prev = h;
	}
	if (n == 0)
		return RC_OK;
	if ((v = rc_calloc(n, sizeof(*v))) == NULL)
		return RC_ENOMEM;
	res->headers = v;
	prev = NULL;
	while (i < n &&
	    (h = curl_easy_nextheader(x->easy, CURLH_HEADER, -1, prev)) !=
	        NULL) {
		if ((v[i].name = rc_strdup(h->name)) == NULL ||
		    (v[i].value = rc_strdup(h->value)) == NULL) {
			rc_free(v[i].name);
			if (v[i].value != NULL)
				rc_free_secret(v[i].value, strlen(v[i].value));
			v[i].name = NULL;
			v[i].value = NULL;
			return RC_ENOMEM;
		}
		res->nheaders = ++i;
		prev = h;
	}
	return RC_OK;
}

static double
info_secs(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(e, what, &us) != CURLE_OK)
		return 0;
	return (double)us / 1e6;
}

/*
 * Add to v (at *n, up to PROBE_EXCH_SECRETS) the decoded values of the
 * secret-named parameters (rc_redact_param_name) in the query and
 * fragment of url, when at least PROBE_EXCH_SECRET_MIN bytes long.
 */
static enum rc_code
url_param_secrets(const char *url, char **v, size_t *n)
{
	const char *seg, *end, *eq;
	char name[64];
	size_t len;

	if (url == NULL || (seg = strpbrk(url, "?#")) == NULL)
		return RC_OK;
	for (seg++; *n < PROBE_EXCH_SECRETS; seg = end + 1) {
		end = seg + strcspn(seg, "&#");
		eq = memchr(seg, '=', (size_t)(end - seg));
		if (eq != NULL) {
			form_decode(seg, (size_t)(eq - seg), name,
			    sizeof(name));
			len = (size_t)(end - eq - 1);
			if (rc_redact_param_name(name, strlen(name)) &&
			    len >= PROBE_EXCH_SECRET_MIN) {
				if ((v[*n] = rc_malloc(len + 1)) == NULL)
					return RC_ENOMEM;
				form_decode(eq + 1, len, v[*n], len + 1);
				(*n)++;
			}
		}
		if (*end == '\0')
			break;
	}
	return RC_OK;
}

/*
 * The secrets of an exchange, NULL-terminated in v (each for
 * rc_free_secret; *n of them): the request's secret, and the values of
 * secret-named parameters (an authorization code, a token) in the URL
 * and the Location.  A site that also echoes such a value bare, in
 * Content-Type or Retry-After, has it hidden there too.
 */
static enum rc_code
exchange_secrets(const struct probe_xfer *x, char **v, size_t *n)
{
	enum rc_code rc = RC_OK;

	*n = 0;
	if (x->secret != NULL) {
		if ((v[0] = rc_strdup(x->secret)) == NULL)
			rc = RC_ENOMEM;
		else
			*n = 1;
	}
	if (rc == RC_OK)
		rc = url_param_secrets(x->res->url, v, n);
	if (rc == RC_OK)
		rc = url_param_secrets(x->res->location, v, n);
	v[*n] = NULL;
	return rc;
}

/* Fill the result of a finished transfer; x goes to the done queue. */
static void
finish(struct probe *p, struct probe_xfer *x, CURLcode cc)
{
	struct probe_res *res = x->res;
	const char *loc, *ver;
	char *secrets[PROBE_EXCH_SECRETS + 2], *red;
	size_t nsecrets = 0, i;
	char *ip = NULL;
	long httpver = 0;
	CURL *e = x->easy;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK &&
	    ip != NULL)
		snprintf(res->primary_ip, sizeof(res->primary_ip), "%s", ip);
	curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &res->primary_port);
	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &httpver);
	switch (res->status != 0 ? httpver : 0) {
	case CURL_HTTP_VERSION_1_0:
		ver = "HTTP/1.0";
		break;
	case CURL_HTTP_VERSION_1_1:
		ver = "HTTP/1.1";
		break;
	case CURL_HTTP_VERSION_2_0:
		ver = "HTTP/2";
		break;
	case CURL_HTTP_VERSION_3:
		ver = "HTTP/3";
		break;
	default:
		ver = "";
		break;
	}
	snprintf(res->http_version, sizeof(res->http_version), "%s", ver);
	res->t_dns = info_secs(e, CURLINFO_NAMELOOKUP_TIME_T);
	res->t_connect = info_secs(e, CURLINFO_CONNECT_TIME_T);
	res->t_tls = info_secs(e, CURLINFO_APPCONNECT_TIME_T);
	res->t_ttfb = info_secs(e, CURLINFO_STARTTRANSFER_TIME_T);
	res->t_total = info_secs(e, CURLINFO_TOTAL_TIME_T);
	if (collect_headers(x) != RC_OK)
		x->nomem = 1;
	jar_keep(x);
	if ((loc = probe_res_header(res, "Location")) != NULL &&
	    probe_url_resolve(res->url, loc, &res->location) == RC_ENOMEM)
		x->nomem = 1;
	if (exchange_secrets(x, secrets, &nsecrets) != RC_OK)
		x->nomem = 1;
	if (res->location != NULL &&
	    url_evidence(res->location, (const char *const *)secrets,
	        &res->location_redacted) != RC_OK)
		x->nomem = 1;
	for (i = 0; i < res->nheaders; i++)
		if (rc_redact(res->headers[i].value,
		        strlen(res->headers[i].value),
		        (const char *const *)secrets,
		        &res->headers[i].value_redacted) != RC_OK)
			x->nomem = 1;
	if (nsecrets > 1 && res->url_redacted != NULL) {
		if (rc_redact(res->url_redacted, strlen(res->url_redacted),
		        (const char *const *)secrets, &red) == RC_OK) {
			rc_free(res->url_redacted);
			res->url_redacted = red;
		} else {
			x->nomem = 1;
		}
	}
	if (rc_sha256_hex(res->body.data != NULL ? res->body.data : "",
	        res->body.len, res->body_sha256) != RC_OK)
		res->body_sha256[0] = '\0';
	res->outcome = outcome_of(x, cc);
	/*
	 * A timeout is the dossier's deadline only when the limit that
	 * fired was the one cut to the group's budget, i.e. the budget is
	 * spent now; a connection timeout (network.connect_timeout_ms, TLS
	 * handshake included) fires earlier and is the site's.
	 */
	if (cc == CURLE_OPERATION_TIMEDOUT && x->clamped && x->group != NULL &&
	    x->group->budget_ms - group_used(x->group, now_ms()) <=
	        PROBE_DEADLINE_SLACK_MS) {
		x->deadline_hit = 1;
		group_expire(x->group);
	}
	if (x->deadline_hit) {
		res->outcome = PROBE_TIMEOUT;
		deadline_msg(x->group, res->errmsg, sizeof(res->errmsg));
	} else if (res->outcome == PROBE_OK && x->nomem) {
		res->outcome = PROBE_OTHER;
		snprintf(res->errmsg, sizeof(res->errmsg),
		    "out of memory recording the response");
	} else if (res->outcome == PROBE_BLOCKED) {
		snprintf(res->errmsg, sizeof(res->errmsg), "%s", x->blockwhy);
	} else if (res->outcome == PROBE_TOOBIG) {
		snprintf(res->errmsg, sizeof(res->errmsg),
		    "response body exceeds %zu bytes", res->body.max);
	} else if (res->outcome != PROBE_OK) {
		snprintf(res->errmsg, sizeof(res->errmsg), "%s",
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(cc));
	}
	msg_scrub(res->errmsg, sizeof(res->errmsg),
	    (const char *const *)secrets);
	for (i = 0; i < nsecrets; i++)
		rc_free_secret(secrets[i], strlen(secrets[i]));

	curl_multi_remove_handle(p->multi, e);
	curl_easy_cleanup(e);
	x->easy = NULL;
	p->inflight--;
	x->host->inflight--;
	group_stop(x->group);
	p->admit_due = 1;
	x->state = PROBE_ST_DONE;
	queue_push(&p->done, x);
}

/* Take x off its host's queue of pending requests. */
static void
host_unqueue(struct probe *p, struct probe_xfer *x)
{
	struct probe_queue *q = &x->host->pending;
	struct probe_xfer *prev = NULL, *y;

	for (y = q->head; y != NULL && y != x; y = y->qnext)
		prev = y;
	if (y == NULL)
		return;
	if (prev != NULL)
		prev->qnext = x->qnext;
	else
		q->head = x->qnext;
	if (q->tail == x)
		q->tail = prev;
	x->qnext = NULL;
	p->npending--;
	p->admit_due = 1; /* the host may now be drained */
}

/*
 * End every request of the groups whose budget is spent: queued ones
 * without starting, in-flight ones now.  Returns how many ended.
 */
static int
groups_expire(struct probe *p)
{
	struct probe_group *g;
	struct probe_xfer *x, *next;
	long long now = now_ms();
	int n = 0;

	for (g = p->active; g != NULL; g = g->anext)
		if (group_used(g, now) >= g->budget_ms)
			group_expire(g);
	if (!p->sweep_due)
		return 0;
	p->sweep_due = 0;
	for (x = p->all; x != NULL; x = next) {
		next = x->allnext;
		if (x->group == NULL || !x->group->expired)
			continue;
		if (x->state == PROBE_ST_PENDING) {
			host_unqueue(p, x);
			xfer_fail_deadline(x);
			n++;
		} else if (x->state == PROBE_ST_INFLIGHT) {
			x->deadline_hit = 1;
			finish(p, x, CURLE_OPERATION_TIMEDOUT);
			n++;
		}
	}
	return n;
}

/* Collect finished transfers.  Returns how many finished. */
static int
harvest(struct probe *p)
{
	struct probe_xfer *x;
	CURLMsg *m;
	char *priv;
	int left, n = 0;

	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((x = (void *)priv) == NULL)
			continue;
		finish(p, x, m->data.result);
		n++;
	}
	return n;
}

/*
 * The -v trace of one exchange: one info line (method, host, status,
 * time), and at debug level its redacted URL, Location and headers.  Only
 * redacted forms are logged; rc_log escapes what is left.
 */
static void
log_exchange(const struct probe_xfer *x)
{
	const struct probe_res *r = x->res;
	size_t i;

	if (rc_log_get_level() < RC_LOG_INFO)
		return;
	log_info("request method=%s host=%s status=%ld outcome=\"%s\" "
	         "ms=%.0f%s%s%s",
	    r->method, x->host != NULL ? x->host->key : "-", r->status,
	    probe_outcome_str(r->outcome), r->t_total * 1000,
	    r->outcome != PROBE_OK ? " error=\"" : "",
	    r->outcome != PROBE_OK ? r->errmsg : "",
	    r->outcome != PROBE_OK ? "\"" : "");
	if (rc_log_get_level() < RC_LOG_DEBUG)
		return;
	log_debug("exchange method=%s url=\"%s\" status=%ld location=\"%s\"",
	    r->method, r->url_redacted != NULL ? r->url_redacted : "",
	    r->status,
	    r->location_redacted != NULL ? r->location_redacted : "");
	for (i = 0; i < r->nheaders; i++) {
		const char *v = r->headers[i].value_redacted;
		int cookie = strcasecmp(r->headers[i].name, "Set-Cookie") == 0;

		if (v == NULL)
			v = RC_REDACTED;
		if (cookie) /* the name and attributes, never the value */
			log_debug("exchange header=\"%s\" value=\"%.*s=%s%s\"",
			    r->headers[i].name, (int)strcspn(v, "=;"), v,
			    RC_REDACTED, strchr(v, ';') ? strchr(v, ';') : "");
		else
			log_debug("exchange header=\"%s\" value=\"%s\"",
			    r->headers[i].name, v);
	}
}

/* Hand each finished result to its callback. */
static void
deliver(struct probe *p)
{
	struct probe_xfer *x;
	struct probe_res *res;
	struct probe_group *saved;

	while ((x = queue_pop(&p->done)) != NULL) {
		log_exchange(x);
		res = x->res;
		x->res = NULL; /* transferred to the callback */
		x->state = PROBE_ST__MAX;
		saved = p->cur;
		p->cur = x->group;
		x->fn(p, res, x->arg);
		p->cur = saved;
		xfer_free(x);
	}
}

enum rc_code
probe_run(struct probe *p, struct rc_err *err)
{
	CURLMcode mc;
	enum rc_code rc = RC_OK;
	int still = 0;

	if (p == NULL)
		return RC_ERR(err, RC_EINVAL, "probe_run: no engine");
	if (p->running)
		return RC_ERR(err, RC_EINVAL, "probe_run is not reentrant");
	p->running = 1;
	for (;;) {
		groups_expire(p);
		admit(p);
		if (p->done.head != NULL) {
			deliver(p);
			continue;
		}
		if (timers_fire(p) > 0)
			continue;
		if (p->inflight == 0 && p->npending == 0) {
			if (p->timers == NULL)
				break;
			/* Only timers left: wait for the first one. */
			if ((mc = curl_multi_poll(p->multi, NULL, 0,
			         poll_ms(p, 1000), NULL)) != CURLM_OK) {
				rc = RC_ERR(err, RC_ENET, "curl_multi_poll: %s",
				    curl_multi_strerror(mc));
				goto out;
			}
			continue;
		}
		if (p->inflight == 0) {
			p->admit_due = 1; /* nothing runs: room for the head */
			admit(p);
			if (p->inflight == 0 && p->done.head == NULL) {
				rc = RC_ERR(err, RC_ENET,
				    "probe engine stalled");
				goto out;
			}
			continue;
		}
		if ((mc = curl_multi_perform(p->multi, &still)) != CURLM_OK) {
			rc = RC_ERR(err,
			    mc == CURLM_OUT_OF_MEMORY ? RC_ENOMEM : RC_ENET,
			    "curl_multi_perform: %s", curl_multi_strerror(mc));
			goto out;
		}
		if (harvest(p) > 0)
			continue;
		if ((mc = curl_multi_poll(p->multi, NULL, 0, poll_ms(p, 1000),
		         NULL)) != CURLM_OK) {
			rc = RC_ERR(err,
			    mc == CURLM_OUT_OF_MEMORY ? RC_ENOMEM : RC_ENET,
			    "curl_multi_poll: %s", curl_multi_strerror(mc));
			goto out;
		}
	}
out:
	p->running = 0;
	return rc;
}

enum rc_code
probe_recycle(struct probe *p, struct rc_err *err)
{
	struct probe_group *g;
	CURLM *m;

	if (p == NULL || p->running)
		return RC_ERR(err, RC_EINVAL,
		    "probe_recycle: no engine, or inside probe_run");
	if (p->all != NULL || p->timers != NULL || p->done.head != NULL ||
	    p->inflight != 0 || p->npending != 0)
		return RC_ERR(err, RC_EINVAL,
		    "probe_recycle: requests or timers are still pending");
	/*
	 * A new run sees the sites as they are now: new connections and
	 * fresh DNS answers (a connection kept from an earlier run would
	 * hide a site that broke since: a re-check would pass on it, and
	 * its TLS facts are the old handshake's).  Only the trust store and
	 * the TLS session cache (resumption, not reuse) are kept.
	 */
	if ((m = multi_new(&p->opts)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "curl_multi_init failed");
	curl_multi_cleanup(p->multi);
	p->multi = m;
	while ((g = p->groups) != NULL) {
		p->groups = g->next;
		rc_free(g);
	}
	p->active = NULL;
	p->cur = NULL;
	p->sweep_due = 0;
	return RC_OK;
}

void
probe_free(struct probe *p)
{
	struct probe_timer *t;
	struct probe_host *h, *hn;
	struct probe_group *g;

	if (p == NULL)
		return;
	while (p->all != NULL)
		xfer_free(p->all);
	while ((t = p->timers) != NULL) {
		p->timers = t->next;
		rc_free(t);
	}
	for (h = p->hosts; h != NULL; h = hn) {
		hn = h->next;
		rc_free(h->key);
		rc_free(h);
	}
	while ((g = p->groups) != NULL) {
		p->groups = g->next;
		rc_free(g);
	}
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	if (p->tls_share != NULL) /* after every easy handle */
		curl_share_cleanup(p->tls_share);
	curl_slist_free_all(p->resolve);
	netguard_free(p->guard);
	strv_free(p->allow_copy);
	strv_free(p->resolve_copy);
	X509_STORE_free(p->store);
	rc_free(p->ca_copy);
	rc_free(p->ua_copy);
	if (p->global_inited)
		curl_global_cleanup();
	rc_free(p);
}
