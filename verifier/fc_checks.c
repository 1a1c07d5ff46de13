/* SPDX-License-Identifier: MIT */
/*
 * FranceConnect checks: from outside, does the collectivité's login lead
 * to a correct FranceConnect v2 authorization request, and does
 * FranceConnect accept it?  (shared/DESIGN.md §4; the rules themselves
 * live in oidc/fc_profile.c, which cites their sources.)
 *
 * The family runs in two phases on the shared probe engine, driven by
 * callbacks:
 *
 *   phase 1  the provider's discovery document (fetched once per run, or
 *            kept across runs for a bounded time by the daemon's worker:
 *            verifier_run_cached), and
 *            login_fetches independent fetches of the login URL, each with
 *            a fresh cookie jar, following the site's redirects hop by hop
 *            (and its FranceConnect button, when the login URL is a page)
 *            until an authorization request appears in a Location header;
 *            plus the button page.  Nothing is followed past that point.
 *   judge    the first captured request against the configured endpoint
 *            and the dossier; state/nonce randomness across all fetches.
 *   phase 2  the captured request is shown to FranceConnect (only when
 *            it targets the configured endpoint) as a browser would: in
 *            the capturing fetch's cookie jar, following the provider's
 *            own redirects to the page a person would see, which
 *            oidc/fc_profile.c judges (docs/checks.md, "How
 *            fc.provider.accepts is decided"); and the advisory probes
 *            run: a forged callback, an error=access_denied callback, the
 *            post-logout URL.
 *
 * Cookies live in one jar per flow (per fetch of the login URL), freed
 * with the family's state: never shared between flows or dossiers, and
 * only their names ever reach a report.
 *
 * Required checks decide the verdict; advisory ones (required = 0) are
 * reported as warnings and never block an award.
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "oidc/authreq.h"
#include "oidc/discovery.h"
#include "oidc/fc_profile.h"
#include "verifier/checks.h"
#include "verifier/html.h"

#define FC_MAX_FETCHES 8
#define FC_MAX_EXCH    24
#define FC_MAX_COOKIES 16
/*
 * The provider's own redirects followed, as a browser would (FC v2: one,
 * /authorize -> /api/v2/interaction/<uid>); the Set-Cookie headers and
 * bytes the provider may set in one flow before raccord gives up.
 */
#define FC_PROVIDER_HOPS         8
#define FC_PROVIDER_COOKIES      32
#define FC_PROVIDER_COOKIE_BYTES (16 * 1024)
#define FC_DISCOVERY_MAX         (256 * 1024)
#define HSTS_MIN_MAX_AGE         15552000L /* 180 days */

/* ---- Discovery cache (one fetch per URL per run) ----------------------- */

struct fc_state;

/*
 * A discovery document of this run: fetched by it, or borrowed (kept !=
 * NULL) from the documents the caller keeps across runs, whose res and
 * doc it then points at without owning them.
 */
struct fc_disc {
	struct fc_disc *next;
	char *url;
	int done;
	struct fc_disc *kept;  /* borrowed from this kept document, or NULL */
	int stale;             /* (kept documents) not to be lent again */
	time_t fetched;        /* when the document was fetched */
	struct probe_res *res; /* kept for every report's evidence */
	struct oidc_discovery *doc; /* NULL when unusable */
	char why[1024];             /* when doc is NULL */
	int config_fault;           /* the operator's settings are at fault */
	struct fc_state **waiters;
	size_t nwaiters;
};

struct fc_cache {
	struct fc_disc *head;
};

/* ---- Per-integration state --------------------------------------------- */

/*
 * What one answer said, kept so that a second check needing the very same
 * request (same method, URL and, for these, no cookie) reads it instead
 * of asking the site again (docs/checks.md, "One request per URL").
 */
struct fc_seen {
	int have;
	int exch; /* its exchange, -1 when it could not be recorded */
	enum probe_outcome outcome;
	long status;
	char errmsg[256];
	char *url_redacted;
};

enum fetch_end {
	FETCH_RUNNING,
	FETCH_CAPTURED, /* an authorization request was captured */
	FETCH_SITE,     /* the site broke a rule (TLS, loop, 4xx, no button) */
	FETCH_NET       /* network trouble: inconclusive */
};

struct fc_fetch {
	struct fc_state *fc;
	int idx;
	struct probe_jar *jar;
	int hops;
	int clicked; /* the page's FranceConnect button was used */
	enum fetch_end end;
	char why[512];
	struct oidc_authreq *authreq;
	int exch[FC_MAX_EXCH];
	size_t nexch;
	/* evidence about the site's own hops */
	int plain_http_final; /* the hop that emitted the request was http */
	int first_https_seen;
	char *hsts;      /* Strict-Transport-Security of the first https hop */
	time_t cert_min; /* earliest notAfter over the site's hops */
	char *cookies[FC_MAX_COOKIES]; /* Set-Cookie of the site's hops */
	size_t ncookies;
	size_t authz_cookie_from; /* cookies[] index where the last hop began */
	int page_seen;            /* an HTML page with a button was parsed */
	int page_button, page_dsfr, page_info_link;
	char *page_url;
};

struct fc_state {
	struct check_ctx *ctx;
	struct fc_disc *disc;
	struct fc_fetch fetch[FC_MAX_FETCHES];
	int nfetch;
	int pending; /* outstanding requests of the current phase */
	int phase;   /* 1, then 2 */
	/* button page */
	int button_via_login; /* button_page_url is login_url: fetch 0 reads it
	                       */
	int button_exch;
	int button_state; /* 0 not asked, 1 ok, 2 could not fetch */
	int button_found, button_dsfr, button_link;
	char button_why[1024];
	struct fc_seen button_ans; /* the button page's answer */
	struct fc_seen login_ans;  /* the first hop of fetch 0 */
	int login_first_seen;      /* that hop came (kept or not) */
	/* phase 2: the provider flow, in the capturing fetch's cookie jar */
	const struct fc_fetch *prov_from; /* borrowed from fetch[] */
	int accept_hops;
	int accept_exch[FC_PROVIDER_HOPS + 1];
	size_t naccept;
	char *visited[FC_PROVIDER_HOPS + 1]; /* URLs asked, for loops */
	size_t nvisited;
	size_t prov_cookies, prov_cookie_bytes;
	char prov_cookie_names[256]; /* names only: values never leave */
	char *authz_origin;          /* scheme://host:port of the endpoint */
	int finished;                /* fc_finish ran (a second is a bug) */
};

static void fc_phase1_maybe_done(struct fc_state *fc);

/* ---- Small helpers ----------------------------------------------------- */

static void
fetch_add_exch(struct fc_fetch *f, int idx)
{
	if (idx >= 0 && f->nexch < FC_MAX_EXCH)
		f->exch[f->nexch++] = idx;
}

/* Keep what res said in a (once; a failed copy only loses the reuse). */
static void
answer_keep(struct fc_seen *a, const struct probe_res *res, int exch)
{
	if (a->have)
		return;
	if (res->url_redacted != NULL &&
	    (a->url_redacted = rc_strdup(res->url_redacted)) == NULL)
		return;
	a->have = 1;
	a->exch = exch;
	a->outcome = res->outcome;
	a->status = res->status;
	snprintf(a->errmsg, sizeof(a->errmsg), "%s", res->errmsg);
}

static enum check_status
map_status(enum fc_status st)
{
	switch (st) {
	case FC_PASS:
		return CHECK_PASS;
	case FC_WARN:
		return CHECK_WARN;
	case FC_FAIL:
		return CHECK_FAIL;
	default:
		return CHECK_SKIP;
	}
}

/* Record every finding in the report, citing exch. */
static void
record_findings(struct fc_state *fc, const struct fc_findings *fs,
    const int *exch, size_t nexch)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct fc_finding *f = &fs->v[i];
		enum check_status st = map_status(f->status);

		/* A warning on a required rule is advisory by definition. */
		report_check(fc->ctx->sec, f->id, st,
		    f->required && st != CHECK_WARN, exch, nexch, "%s",
		    f->detail);
	}
}

/* 128 random bits as 32 hex digits, for forged callback values. */
static void
random_hex(char *out)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0x5a, sizeof(b)); /* never a secret: only a probe */
	rc_hex(b, sizeof(b), out);
}

/* "scheme://host:port" of a URL, for same-origin tests; rc_free. */
static char *
url_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	struct rc_buf b;

	if (u == NULL)
		return NULL;
	rc_buf_init(&b, 1024);
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	        CURLUE_OK &&
	    rc_buf_addf(&b, "%s://%s:%s", scheme, host, port) == RC_OK) {
		char *p;

		for (p = b.data; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		out = rc_buf_steal(&b);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	rc_buf_free(&b);
	return out;
}

static int
same_origin(const char *a, const char *b)
{
	char *oa = url_origin(a), *ob = url_origin(b);
	int same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;

	rc_free(oa);
	rc_free(ob);
	return same;
}

static int
is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

/*
 * Does this Location carry an authorization request (or point at a
 * FranceConnect host)?  Then the chain stops: raccord never follows the
 * site into an identity provider while capturing.
 */
static struct oidc_authreq *
as_authreq(const char *location)
{
	struct oidc_authreq *req;
	enum fc_platform plat;

	if ((req = oidc_authreq_parse(location, NULL)) == NULL)
		return NULL;
	plat = fc_platform_classify(oidc_authreq_host(req),
	    oidc_authreq_path(req), NULL, NULL);
	if (plat != FC_PLATFORM_UNKNOWN ||
	    (oidc_authreq_param(req, "client_id") != NULL &&
	        (oidc_authreq_param(req, "response_type") != NULL ||
	            oidc_authreq_param(req, "redirect_uri") != NULL)))
		return req;
	oidc_authreq_free(req);
	return NULL;
}

/* Is this outcome the site's fault (a finding) or the network's? */
static int
outcome_is_site_fault(enum probe_outcome o)
{
	return o == PROBE_TLS || o == PROBE_BLOCKED || o == PROBE_BADURL;
}

/* ---- Phase 1: discovery ------------------------------------------------ */

static void fc_disc_ready(struct fc_disc *d);

static void
on_discovery(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_disc *d = arg;
	struct rc_err err = { 0 };

	(void)p;
	d->res = res;
	d->fetched = res->started ? res->started : time(NULL);
	/*
	 * The discovery URL, the trust anchors and the SSRF guard are the
	 * operator's settings: whatever goes wrong here is never the
	 * collectivité's fault, so fc.discovery is an error, not a failure
	 * (issue 14 §4; docs/report.md).
	 */
	if (res->outcome == PROBE_BLOCKED) {
		snprintf(d->why, sizeof(d->why),
		    "the SSRF guard refused the address of the FranceConnect "
		    "discovery document %s (%s): fix the operator's setting "
		    "\001 or network.allow_private",
		    res->url_redacted, res->errmsg);
		d->config_fault = 1;
	} else if (res->outcome == PROBE_TLS) {
		snprintf(d->why, sizeof(d->why),
		    "TLS verification of the FranceConnect discovery document "
		    "%s failed (%s): the operator must trust the provider's "
		    "certificate authority (network.ca_file%s) or fix \001",
		    res->url_redacted, res->errmsg,
		    probe_get_opts(p)->ca_file == NULL ? " is not set" : "");
		d->config_fault = 1;
	} else if (res->outcome == PROBE_BADURL) {
		snprintf(d->why, sizeof(d->why),
		    "the FranceConnect discovery URL %s is not usable (%s): "
		    "fix the operator's setting \001",
		    res->url_redacted, res->errmsg);
		d->config_fault = 1;
	} else if (res->outcome != PROBE_OK) {
		snprintf(d->why, sizeof(d->why),
		    "could not fetch the FranceConnect discovery document %s: "
		    "%s",
		    res->url_redacted, res->errmsg);
	} else if (res->status != 200) {
		snprintf(d->why, sizeof(d->why),
		    "the FranceConnect discovery document %s answered HTTP "
		    "%ld%s",
		    res->url_redacted, res->status,
		    res->status >= 500 || res->status == 429
		        ? "; try again later"
		        : "; check the operator's setting \001");
		d->config_fault = !(res->status >= 500 || res->status == 429);
	} else if (oidc_discovery_parse(res->body.data, res->body.len, d->url,
	               &d->doc, &err) != RC_OK) {
		snprintf(d->why, sizeof(d->why),
		    "the FranceConnect discovery document %s is unusable: %s; "
		    "check the operator's setting \001",
		    res->url_redacted, err.msg);
		d->doc = NULL;
		d->config_fault = 1;
	}
	fc_disc_ready(d);
}

static void
fc_disc_ready(struct fc_disc *d)
{
	size_t i;

	d->done = 1;
	for (i = 0; i < d->nwaiters; i++) {
		d->waiters[i]->pending--;
		fc_phase1_maybe_done(d->waiters[i]);
	}
	rc_free(d->waiters);
	d->waiters = NULL;
	d->nwaiters = 0;
}

/*
 * A document of url the caller keeps (verifier_run_cached), fetched less
 * than max_age_s ago and not found stale, or NULL.
 */
static struct fc_disc *
fc_keep_find(const struct check_run *run, const char *url)
{
	struct fc_disc *k;

	if (run->keep == NULL || run->keep->max_age_s <= 0)
		return NULL;
	for (k = run->keep->fc_keep; k != NULL; k = k->next)
		if (!k->stale && strcmp(k->url, url) == 0 &&
		    k->fetched <= run->now &&
		    run->now - k->fetched < run->keep->max_age_s)
			return k;
	return NULL;
}

/*
 * Attach fc to the discovery of url, fetching it once per run: or, unless
 * fresh, borrowing a document the caller keeps across runs.
 */
static enum rc_code
fc_disc_attach(struct fc_state *fc, const char *url, int fresh,
    struct rc_err *err)
{
	struct check_run *run = fc->ctx->run;
	struct fc_cache *cache = run->fc_cache;
	struct fc_state **nw;
	struct probe_req req = { 0 };
	struct fc_disc *d, *k;
	enum rc_code rc;

	if (cache == NULL) {
		if ((cache = rc_calloc(1, sizeof(*cache))) == NULL)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
		run->fc_cache = cache;
	}
	/* The newest of this run's documents of url comes first. */
	for (d = cache->head; d != NULL; d = d->next)
		if (strcmp(d->url, url) == 0 && !(fresh && d->kept != NULL))
			break;
	k = d == NULL && !fresh ? fc_keep_find(run, url) : NULL;
	if (d == NULL && k != NULL) {
		if ((d = rc_calloc(1, sizeof(*d))) == NULL ||
		    (d->url = rc_strdup(url)) == NULL) {
			rc_free(d);
			return RC_ERR(err, RC_ENOMEM, "out of memory");
		}
		d->kept = k;
		d->res = k->res;
		d->doc = k->doc;
		d->fetched = k->fetched;
		d->done = 1;
		d->next = cache->head;
		cache->head = d;
	} else if (d == NULL) {
		if ((d = rc_calloc(1, sizeof(*d))) == NULL ||
		    (d->url = rc_strdup(url)) == NULL) {
			rc_free(d);
			return RC_ERR(err, RC_ENOMEM, "out of memory");
		}
		d->next = cache->head;
		cache->head = d;
		req.url = url;
		req.max_body = FC_DISCOVERY_MAX;
		req.headers =
		    (const char *const[]){ "Accept: application/json", NULL };
		if ((rc = probe_submit(fc->ctx->probe, &req, on_discovery, d,
		         err)) != RC_OK) {
			d->done = 1;
			snprintf(d->why, sizeof(d->why), "out of memory");
			return rc;
		}
	}
	fc->disc = d;
	if (d->done)
		return RC_OK;
	nw = rc_realloc(d->waiters, (d->nwaiters + 1) * sizeof(*nw));
	if (nw == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	d->waiters = nw;
	d->waiters[d->nwaiters++] = fc;
	fc->pending++;
	return RC_OK;
}

static void
fc_disc_free(struct fc_disc *d)
{
	if (d->kept == NULL) {
		probe_res_free(d->res);
		oidc_discovery_free(d->doc);
	}
	rc_free(d->waiters);
	rc_free(d->url);
	rc_free(d);
}

/* Drop the kept documents that are stale, or all when all. */
static void
fc_keep_prune(struct verifier_cache *keep, time_t now, int all)
{
	struct fc_disc **pp = (struct fc_disc **)&keep->fc_keep, *k;

	while ((k = *pp) != NULL) {
		if (all || k->stale || k->fetched > now ||
		    now - k->fetched >= keep->max_age_s) {
			*pp = k->next;
			fc_disc_free(k);
		} else {
			pp = &k->next;
		}
	}
}

void
fc_checks_keep_free(struct verifier_cache *keep)
{
	fc_keep_prune(keep, 0, 1);
}

void
fc_checks_run_cleanup(struct check_run *run)
{
	struct fc_cache *cache = run->fc_cache;
	struct fc_disc *d, *next, *k;

	if (cache == NULL)
		return;
	/*
	 * A borrowed document's shell goes (what it points at is the kept
	 * one's); a document this run fetched and could use replaces the
	 * kept one of its URL, which is only marked stale here and freed by
	 * the prune below, after every shell that pointed into it.
	 */
	for (d = cache->head; d != NULL; d = next) {
		next = d->next;
		if (d->kept == NULL && run->keep != NULL &&
		    run->keep->max_age_s > 0 && d->doc != NULL && d->done &&
		    d->nwaiters == 0) {
			for (k = run->keep->fc_keep; k != NULL; k = k->next)
				if (strcmp(k->url, d->url) == 0)
					k->stale = 1;
			d->next = run->keep->fc_keep;
			run->keep->fc_keep = d;
		} else {
			fc_disc_free(d);
		}
	}
	if (run->keep != NULL)
		fc_keep_prune(run->keep, run->now, 0);
	rc_free(cache);
	run->fc_cache = NULL;
}

/* ---- Phase 1: the login chain ------------------------------------------ */

static void on_login_hop(struct probe *p, struct probe_res *res, void *arg);
static void button_page_take(struct fc_state *fc, const struct probe_res *res,
    int exch);

static void fetch_end(struct fc_fetch *f, enum fetch_end end, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
fetch_end(struct fc_fetch *f, enum fetch_end end, const char *fmt, ...)
{
	va_list ap;

	f->end = end;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(f->why, sizeof(f->why), fmt, ap);
		va_end(ap);
	}
	f->fc->pending--;
	fc_phase1_maybe_done(f->fc);
}

static int
fetch_submit(struct fc_fetch *f, const char *method, const char *url,
    const char *body, const char *ctype)
{
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };

	req.method = method;
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = ctype;
	req.jar = f->jar;
	req.browser = 1;
	if (probe_submit(f->fc->ctx->probe, &req, on_login_hop, f, &err) !=
	    RC_OK) {
		fetch_end(f, FETCH_NET, "internal: %s", err.msg);
		return -1;
	}
	return 0;
}

/* Keep the Set-Cookie headers and TLS facts of one of the site's hops. */
static void
fetch_note_hop(struct fc_fetch *f, const struct probe_res *res)
{
	size_t i;

	f->authz_cookie_from = f->ncookies;
	for (i = 0; i < res->nheaders; i++) {
		if (strcasecmp(res->headers[i].name, "Set-Cookie") != 0 ||
		    f->ncookies >= FC_MAX_COOKIES)
			continue;
		f->cookies[f->ncookies] = rc_strdup(res->headers[i].value);
		if (f->cookies[f->ncookies] != NULL)
			f->ncookies++;
	}
	if (is_https(res->url) && !f->first_https_seen) {
		const char *h =
		    probe_res_header(res, "Strict-Transport-Security");

		f->first_https_seen = 1;
		f->hsts = h ? rc_strdup(h) : NULL;
	}
	if (res->cert_not_after != 0 &&
	    (f->cert_min == 0 || res->cert_not_after < f->cert_min))
		f->cert_min = res->cert_not_after;
}

/* The login URL answered with a page: find and use its FC button. */
static void
fetch_try_button(struct fc_fetch *f, const struct probe_res *res)
{
	struct html_fc_button b;
	struct oidc_authreq *req;
	struct html_doc *doc;
	const char *ct = probe_res_header(res, "Content-Type");

	if (ct != NULL && strstr(ct, "html") == NULL) {
		fetch_end(f, FETCH_SITE,
		    "%s answered HTTP %ld with %s, neither a redirect to "
		    "FranceConnect nor a page with a FranceConnect button",
		    res->url_redacted, res->status, ct);
		return;
	}
	doc = html_parse(res->body.data, res->body.len, res->url);
	if (doc == NULL || html_find_fc_button(doc, &b) != RC_OK) {
		html_free(doc);
		fetch_end(f, FETCH_SITE,
		    "%s answered HTTP %ld with a page raccord could not read "
		    "as HTML",
		    res->url_redacted, res->status);
		return;
	}
	if (!f->page_seen) {
		f->page_seen = 1;
		f->page_button = b.found;
		f->page_dsfr = b.dsfr;
		f->page_info_link =
		    html_has_fc_info_link(doc, f->fc->ctx->in->plus);
		f->page_url = rc_strdup(res->url_redacted);
	}
	html_free(doc);
	if (!b.found) {
		html_fc_button_cleanup(&b);
		fetch_end(f, FETCH_SITE,
		    "%s answered HTTP %ld with a page that neither redirects "
		    "to FranceConnect nor shows a FranceConnect button",
		    res->url_redacted, res->status);
		return;
	}
	f->clicked = 1;
	/*
	 * A button that links straight to the authorization endpoint is the
	 * request itself: capture it, never fetch it from here.
	 */
	if (strcmp(b.method, "GET") == 0 && (req = as_authreq(b.url)) != NULL) {
		f->authreq = req;
		f->plain_http_final = !is_https(res->url);
		html_fc_button_cleanup(&b);
		fetch_end(f, FETCH_CAPTURED, NULL);
		return;
	}
	log_debug("fetch=%d button=\"%s\" method=%s", f->idx, b.how, b.method);
	fetch_submit(f, b.method, b.url, b.body,
	    b.body ? "application/x-www-form-urlencoded" : NULL);
	html_fc_button_cleanup(&b);
}

static void
on_login_hop(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_fetch *f = arg;
	const struct probe_opts *po = probe_get_opts(p);
	struct oidc_authreq *req;
	int exch = report_exchange_add(f->fc->ctx->rep, res);

	fetch_add_exch(f, exch);
	/*
	 * Fetch 0's first hop is a plain GET of login_url with an empty jar:
	 * the same request as the button page's or the post-logout URL's
	 * when the dossier names the same URL, so those checks read it.
	 */
	if (f->idx == 0 && !f->fc->login_first_seen) {
		/* Only the first hop: when keeping it fails (memory), a
		 * later hop (FranceConnect's) must not stand in for it. */
		f->fc->login_first_seen = 1;
		answer_keep(&f->fc->login_ans, res, exch);
		if (f->fc->button_via_login)
			button_page_take(f->fc, res, exch);
	}
	if (res->outcome != PROBE_OK) {
		fetch_end(f,
		    outcome_is_site_fault(res->outcome) ? FETCH_SITE
		                                        : FETCH_NET,
		    "%s: %s (%s)", res->url_redacted,
		    probe_outcome_str(res->outcome), res->errmsg);
		goto out;
	}
	fetch_note_hop(f, res);
	if (res->status >= 300 && res->status < 400) {
		if (res->location == NULL) {
			fetch_end(f, FETCH_SITE,
			    "%s answered HTTP %ld without a usable Location "
			    "header",
			    res->url_redacted, res->status);
			goto out;
		}
		if ((req = as_authreq(res->location)) != NULL) {
			f->authreq = req;
			f->plain_http_final = !is_https(res->url);
			fetch_end(f, FETCH_CAPTURED, NULL);
			goto out;
		}
		if (++f->hops > po->max_redirects) {
			fetch_end(f, FETCH_SITE,
			    "the login URL did not reach an authorization "
			    "request within the %ld redirects "
			    "network.max_redirects allows (last: %s): a "
			    "redirect loop, or a longer chain than the "
			    "verification accepts",
			    po->max_redirects, res->url_redacted);
			goto out;
		}
		if (strncasecmp(res->location, "https://", 8) != 0 &&
		    strncasecmp(res->location, "http://", 7) != 0) {
			fetch_end(f, FETCH_SITE,
			    "%s redirects to a non-web URL", res->url_redacted);
			goto out;
		}
		fetch_submit(f, "GET", res->location, NULL, NULL);
		goto out;
	}
	if (res->status >= 200 && res->status < 300 && !f->clicked) {
		fetch_try_button(f, res);
		goto out;
	}
	fetch_end(f, res->status >= 500 ? FETCH_NET : FETCH_SITE,
	    "%s answered HTTP %ld instead of leading to FranceConnect",
	    res->url_redacted, res->status);
out:
	probe_res_free(res);
}

/* ---- Phase 1: the button page ------------------------------------------ */

/* The button page's answer (its own fetch's, or fetch 0's first hop). */
static void
button_page_take(struct fc_state *fc, const struct probe_res *res, int exch)
{
	struct html_fc_button b;
	struct html_doc *doc = NULL;

	fc->button_exch = exch;
	answer_keep(&fc->button_ans, res, exch);
	if (res->outcome != PROBE_OK || res->status != 200) {
		fc->button_state = 2;
		snprintf(fc->button_why, sizeof(fc->button_why),
		    "%s could not be read: %s", res->url_redacted,
		    res->outcome != PROBE_OK ? res->errmsg : "HTTP status");
		goto out;
	}
	fc->button_state = 1;
	doc = html_parse(res->body.data, res->body.len, res->url);
	if (doc != NULL && html_find_fc_button(doc, &b) == RC_OK) {
		fc->button_found = b.found;
		fc->button_dsfr = b.dsfr;
		html_fc_button_cleanup(&b);
	}
	fc->button_link =
	    doc ? html_has_fc_info_link(doc, fc->ctx->in->plus) : 0;
out:
	html_free(doc);
}

static void
on_button_page(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_state *fc = arg;

	(void)p;
	button_page_take(fc, res, report_exchange_add(fc->ctx->rep, res));
	probe_res_free(res);
	fc->pending--;
	fc_phase1_maybe_done(fc);
}

/* ---- Judging ------------------------------------------------------------ */

static struct fc_fetch *
first_capture(struct fc_state *fc)
{
	int i;

	for (i = 0; i < fc->nfetch; i++)
		if (fc->fetch[i].end == FETCH_CAPTURED)
			return &fc->fetch[i];
	return NULL;
}

static void
judge_login(struct fc_state *fc, const struct fc_fetch *cap)
{
	struct report_section *sec = fc->ctx->sec;
	const struct fc_fetch *f0 = &fc->fetch[0];
	int i, nsite = 0, nnet = 0;
	const struct fc_fetch *bad = NULL;

	for (i = 0; i < fc->nfetch; i++) {
		if (fc->fetch[i].end == FETCH_SITE) {
			nsite++;
			bad = bad ? bad : &fc->fetch[i];
		} else if (fc->fetch[i].end == FETCH_NET) {
			nnet++;
			if (bad == NULL || bad->end != FETCH_SITE)
				bad = &fc->fetch[i];
		}
	}
	/*
	 * fc.login.redirect: every fetch of the login URL must lead to an
	 * authorization request (DESIGN §4).
	 */
	if (nsite > 0)
		report_check(sec, "fc.login.redirect", CHECK_FAIL, 1, bad->exch,
		    bad->nexch, "%s", bad->why);
	else if (nnet > 0)
		report_check(sec, "fc.login.redirect", CHECK_ERROR, 1,
		    bad->exch, bad->nexch, "could not complete: %s", bad->why);
	else
		report_check(sec, "fc.login.redirect", CHECK_PASS, 1, f0->exch,
		    f0->nexch,
		    "each of %d independent fetches of the login URL led to "
		    "an authorization request%s",
		    fc->nfetch,
		    f0->clicked ? " (through the page's FranceConnect button)"
		                : "");
	/*
	 * fc.login.https: the hop that emits the authorization request, and
	 * so sets the state, is served over https (FranceConnect security
	 * annex; RFC 9700 §2.6 "never send responses over http").
	 */
	if (cap == NULL)
		report_check(sec, "fc.login.https", CHECK_SKIP, 1, NULL, 0,
		    "no authorization request was captured");
	else if (cap->plain_http_final)
		report_check(sec, "fc.login.https", CHECK_FAIL, 1, cap->exch,
		    cap->nexch,
		    "the login is served over plain http: the redirect to "
		    "FranceConnect (and its state) must come from an https "
		    "page");
	else
		report_check(sec, "fc.login.https", CHECK_PASS, 1, cap->exch,
		    cap->nexch,
		    "the login is served over https with a valid certificate");
}

/* How bad a finding is, to keep the worst of several fetches. */
static int
finding_rank(enum fc_status st)
{
	return st == FC_FAIL ? 2 : st == FC_WARN ? 1 : 0;
}

/*
 * Judge the request of every fetch that captured one, not only the
 * first: a site that sends a correct request once in two fetches (say,
 * acr_values only on some) breaks the rule.  Per check id the worst
 * finding is recorded, with the exchanges of the fetch that showed it;
 * ties keep the first capture (DESIGN §4: "the login URL leads" to a
 * correct request, every time).
 */
static void
judge_every_capture(struct fc_state *fc, const struct fc_fetch *cap,
    const struct fc_expect *exp)
{
	struct report_section *sec = fc->ctx->sec;
	struct fc_findings fs[FC_MAX_FETCHES];
	const struct fc_fetch *from[FC_MAX_FETCHES];
	const struct fc_finding *best, *other;
	struct rc_err err = { 0 };
	size_t n = 0, i, j, k, bk;
	int i_f;

	from[n++] = cap;
	for (i_f = 0; i_f < fc->nfetch; i_f++)
		if (fc->fetch[i_f].end == FETCH_CAPTURED &&
		    &fc->fetch[i_f] != cap)
			from[n++] = &fc->fetch[i_f];
	for (k = 0; k < n; k++) {
		fc_findings_init(&fs[k]);
		if (fc_authreq_judge(from[k]->authreq, exp, &fs[k], &err) !=
		    RC_OK) {
			report_check(sec, "fc.authorize.endpoint", CHECK_ERROR,
			    1, NULL, 0, "internal: %s", err.msg);
			n = k + 1;
			goto out;
		}
	}
	for (k = 0; k < n; k++)
		for (i = 0; i < fs[k].n; i++) {
			/* Each id once: at its first appearance. */
			for (j = 0; j < k; j++)
				if (fc_findings_get(&fs[j], fs[k].v[i].id))
					break;
			if (j < k)
				continue;
			best = &fs[k].v[i];
			bk = k;
			for (j = k + 1; j < n; j++) {
				other = fc_findings_get(&fs[j], best->id);
				if (other != NULL &&
				    finding_rank(other->status) >
				        finding_rank(best->status)) {
					best = other;
					bk = j;
				}
			}
			report_check(sec, best->id, map_status(best->status),
			    best->required && best->status != FC_WARN,
			    from[bk]->exch, from[bk]->nexch, "%s%s",
			    bk == 0 ? ""
			            : "in another fetch of the login URL: ",
			    best->detail);
		}
out:
	for (k = 0; k < n; k++)
		fc_findings_cleanup(&fs[k]);
}

static void
judge_authreq(struct fc_state *fc, const struct fc_fetch *cap)
{
	static const char *const ids[] = { "fc.authorize.endpoint",
		"fc.authorize.response_type", "fc.authorize.client_id",
		"fc.authorize.redirect_uri", "fc.authorize.scope",
		"fc.authorize.acr_values", "fc.authorize.state",
		"fc.authorize.nonce", "fc.authorize.random.repeat", NULL };
	const struct dossier_integration *in = fc->ctx->in;
	struct report_section *sec = fc->ctx->sec;
	const char *states[FC_MAX_FETCHES], *nonces[FC_MAX_FETCHES];
	struct fc_findings fs;
	struct fc_expect exp = { 0 };
	struct rc_err err = { 0 };
	size_t n = 0, i;

	if (cap == NULL || fc->disc->doc == NULL) {
		const char *why = cap == NULL
		    ? "not judged: no authorization request was captured"
		    : "not judged: the provider's discovery document is "
		      "unavailable";

		for (i = 0; ids[i] != NULL; i++)
			report_check(sec, ids[i], CHECK_SKIP, 1, NULL, 0, "%s",
			    why);
		return;
	}
	exp.authorization_endpoint = fc->disc->doc->authorization_endpoint;
	exp.client_id = in->client_id;
	exp.redirect_uri = in->redirect_uri;
	exp.plus = in->plus;
	exp.production = in->env == DOSSIER_ENV_PRODUCTION;
	judge_every_capture(fc, cap, &exp);

	for (i = 0; i < (size_t)fc->nfetch; i++) {
		if (fc->fetch[i].end != FETCH_CAPTURED)
			continue;
		states[n] = oidc_authreq_param(fc->fetch[i].authreq, "state");
		nonces[n] = oidc_authreq_param(fc->fetch[i].authreq, "nonce");
		n++;
	}
	fc_findings_init(&fs);
	if (n < 3) {
		report_check(sec, "fc.authorize.random.repeat", CHECK_ERROR, 1,
		    NULL, 0,
		    "only %zu of %d fetches captured a request: state and "
		    "nonce randomness needs at least 3",
		    n, fc->nfetch);
	} else if (fc_random_judge(states, nonces, n,
	               fc->ctx->opts->now ? fc->ctx->opts->now : time(NULL),
	               &fs, &err) != RC_OK) {
		report_check(sec, "fc.authorize.random.repeat", CHECK_ERROR, 1,
		    NULL, 0, "internal: %s", err.msg);
	} else {
		record_findings(fc, &fs, cap->exch, cap->nexch);
	}
	fc_findings_cleanup(&fs);
}

/* ---- Phase 2: FranceConnect's own verdict ------------------------------ */

/*
 * fc.provider.accepts: the captured request is shown to the configured
 * FranceConnect endpoint the way a browser would: in the cookie jar of
 * the fetch that captured it, following the provider's redirects on its
 * own origin (FC v2's /authorize sets fc_session_id and the interaction
 * cookies, then 303s to /api/v2/interaction/<uid>, which answers Y190001
 * without them: ref §8) until the page a person would see.  The decision
 * is fc_provider_page_judge / fc_provider_redirect_judge; what is not
 * understood is inconclusive, never a failure.
 */

static void fc_phase2_one_done(struct fc_state *fc);

static void on_provider(struct probe *p, struct probe_res *res, void *arg);

static int
provider_submit(struct fc_state *fc, const char *url)
{
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };
	char *u;

	if (fc->nvisited < FC_PROVIDER_HOPS + 1 && (u = rc_strdup(url)) != NULL)
		fc->visited[fc->nvisited++] = u;
	req.url = url;
	req.browser = 1;
	req.jar = fc->prov_from->jar;
	if (probe_submit(fc->ctx->probe, &req, on_provider, fc, &err) !=
	    RC_OK) {
		report_check(fc->ctx->sec, "fc.provider.accepts", CHECK_ERROR,
		    1, NULL, 0, "internal: %s", err.msg);
		return -1;
	}
	return 0;
}

static int
provider_visited(const struct fc_state *fc, const char *url)
{
	size_t i;

	for (i = 0; i < fc->nvisited; i++)
		if (strcmp(fc->visited[i], url) == 0)
			return 1;
	return 0;
}

static int cookie_is_deletion(const char *sc);

/* Is the n-byte name in the ", "-separated list? */
static int
name_listed(const char *list, const char *name, size_t n)
{
	const char *p = list;
	size_t k;

	while (*p != '\0') {
		k = strcspn(p, ",");
		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p += k;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

/* Count the provider's Set-Cookie headers (names kept, never values). */
static void
provider_note_cookies(struct fc_state *fc, const struct probe_res *res)
{
	char *names = fc->prov_cookie_names;
	size_t i, n, used;

	for (i = 0; i < res->nheaders; i++) {
		const char *v = res->headers[i].value;

		if (strcasecmp(res->headers[i].name, "Set-Cookie") != 0)
			continue;
		fc->prov_cookies++;
		fc->prov_cookie_bytes += strlen(v);
		n = strcspn(v, "=;");
		if (n == 0 || n > 64 || cookie_is_deletion(v))
			continue;
		used = strlen(names);
		if (used + n + 3 >= sizeof(fc->prov_cookie_names))
			continue;
		if (name_listed(names, v, n))
			continue;
		snprintf(names + used, sizeof(fc->prov_cookie_names) - used,
		    "%s%.*s", used > 0 ? ", " : "", (int)n, v);
	}
}

/* Record the verdict of the provider flow, with what was carried. */
static void
provider_record(struct fc_state *fc, const struct fc_answer_verdict *v)
{
	static const enum check_status map[FC_ANSWER__MAX] = { CHECK_PASS,
		CHECK_FAIL, CHECK_ERROR };
	enum check_status st =
	    (unsigned)v->answer < FC_ANSWER__MAX ? map[v->answer] : CHECK_ERROR;

	if (fc->accept_hops == 0 && fc->prov_cookie_names[0] == '\0')
		report_check(fc->ctx->sec, "fc.provider.accepts", st, 1,
		    fc->accept_exch, fc->naccept, "%s", v->detail);
	else
		report_check(fc->ctx->sec, "fc.provider.accepts", st, 1,
		    fc->accept_exch, fc->naccept,
		    "%s [%d redirect%s followed on FranceConnect, carrying "
		    "the cookies it set as a browser does: %s]",
		    v->detail, fc->accept_hops, fc->accept_hops == 1 ? "" : "s",
		    fc->prov_cookie_names[0] ? fc->prov_cookie_names : "none");
}

static void provider_error(struct fc_state *fc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
provider_error(struct fc_state *fc, const char *fmt, ...)
{
	struct fc_answer_verdict v = { .answer = FC_ANSWER_UNCLEAR };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.detail, sizeof(v.detail), fmt, ap);
	va_end(ap);
	provider_record(fc, &v);
}

static void
on_provider(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_state *fc = arg;
	const char *ru =
	    oidc_authreq_param(fc->prov_from->authreq, "redirect_uri");
	struct fc_answer_verdict v = { .answer = FC_ANSWER_UNCLEAR };
	struct fc_page_facts facts;
	struct html_doc *doc = NULL;
	int idx, have_facts = 0;

	(void)p;
	idx = report_exchange_add(fc->ctx->rep, res);
	if (idx >= 0 && fc->naccept < FC_PROVIDER_HOPS + 1)
		fc->accept_exch[fc->naccept++] = idx;
	if (res->outcome != PROBE_OK) {
		if (outcome_is_site_fault(res->outcome))
			provider_error(fc,
			    "could not reach FranceConnect at %s: %s (%s); the "
			    "provider's address is the operator's setting "
			    "(network.ca_file, network.allow_private and the "
			    "discovery URL), not the collectivité's: not "
			    "judged",
			    res->url_redacted, probe_outcome_str(res->outcome),
			    res->errmsg);
		else
			provider_error(fc,
			    "could not show the request to FranceConnect: %s "
			    "(%s); try again later",
			    probe_outcome_str(res->outcome), res->errmsg);
		goto done;
	}
	provider_note_cookies(fc, res);
	if (fc->prov_cookies > FC_PROVIDER_COOKIES ||
	    fc->prov_cookie_bytes > FC_PROVIDER_COOKIE_BYTES) {
		provider_error(fc,
		    "FranceConnect set %zu cookies (%zu bytes), more than "
		    "raccord keeps in one flow (%d, %d bytes); not judged",
		    fc->prov_cookies, fc->prov_cookie_bytes,
		    FC_PROVIDER_COOKIES, FC_PROVIDER_COOKIE_BYTES);
		goto done;
	}
	if (res->status >= 300 && res->status < 400) {
		if (res->location == NULL) {
			provider_error(fc,
			    "FranceConnect answered HTTP %ld without a usable "
			    "Location; not judged",
			    res->status);
			goto done;
		}
		if (same_origin(res->location, fc->authz_origin)) {
			if (provider_visited(fc, res->location)) {
				provider_error(fc,
				    "FranceConnect redirected in a loop (back "
				    "to %s); not judged",
				    res->location_redacted
				        ? res->location_redacted
				        : "a page already visited");
				goto done;
			}
			if (++fc->accept_hops > FC_PROVIDER_HOPS) {
				provider_error(fc,
				    "FranceConnect redirected more than %d "
				    "times on its own site; not judged",
				    FC_PROVIDER_HOPS);
				goto done;
			}
			if (provider_submit(fc, res->location) == 0)
				goto out;
			goto done;
		}
		fc_provider_redirect_judge(res->location, ru, &v);
		provider_record(fc, &v);
		goto done;
	}
	if (res->body.len > 0 &&
	    (doc = html_parse(res->body.data, res->body.len, res->url)) !=
	        NULL) {
		if (html_page_facts(doc, &facts) != RC_OK) {
			provider_error(fc, "internal: out of memory");
			goto done;
		}
		have_facts = 1;
	}
	fc_provider_page_judge(res->status,
	    probe_res_header(res, "Content-Type"), have_facts ? &facts : NULL,
	    &v);
	provider_record(fc, &v);
done:
	fc_phase2_one_done(fc);
out:
	html_free(doc);
	probe_res_free(res);
}

/* ---- Phase 2: advisory probes ------------------------------------------ */

struct fc_probe {
	struct fc_state *fc;
	const char *id;
	const char *what;
};

/* Cookie names a normal visit sets, so new ones can be told apart. */
static int
cookie_name_seen(const struct fc_fetch *f, const char *setcookie)
{
	size_t i, n = strcspn(setcookie, "=");

	for (i = 0; i < f->ncookies; i++)
		if (strncmp(f->cookies[i], setcookie, n) == 0 &&
		    f->cookies[i][n] == '=')
			return 1;
	return 0;
}

/* A Set-Cookie that deletes (empty value or Max-Age=0) opens nothing. */
static int
cookie_is_deletion(const char *sc)
{
	const char *eq = strchr(sc, '=');

	return eq == NULL || eq[1] == ';' || eq[1] == '\0' ||
	    strcasestr(sc, "max-age=0") != NULL ||
	    strcasestr(sc, "expires=thu, 01 jan 1970") != NULL;
}

/* fc.callback.forged, decided by fc_callback_forged_judge (advisory). */
static void
callback_forged_record(struct fc_state *fc, const struct probe_res *res,
    const char *newc, int idx)
{
	struct fc_page_facts facts;
	struct html_doc *doc = NULL;
	char d[FC_DETAIL_MAX];
	enum fc_status st;
	int have = 0;

	if (res->status >= 200 && res->status < 300 && res->body.len > 0 &&
	    (doc = html_parse(res->body.data, res->body.len, res->url)) !=
	        NULL &&
	    html_page_facts(doc, &facts) == RC_OK)
		have = 1;
	st = fc_callback_forged_judge(res->status, res->location_redacted,
	    have ? &facts : NULL, newc, d, sizeof(d));
	html_free(doc);
	report_check(fc->ctx->sec, "fc.callback.forged", map_status(st), 0,
	    &idx, idx >= 0, "%s", d);
}

static void
on_callback_probe(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_probe *pr = arg;
	struct fc_state *fc = pr->fc;
	const struct fc_fetch *f0 = &fc->fetch[0];
	struct report_section *sec = fc->ctx->sec;
	char newc[256] = "";
	int idx;
	size_t i;

	(void)p;
	idx = report_exchange_add(fc->ctx->rep, res);
	if (res->outcome != PROBE_OK) {
		report_check(sec, pr->id, CHECK_ERROR, 0, &idx, idx >= 0,
		    "could not call the callback with %s: %s", pr->what,
		    res->errmsg);
		goto out;
	}
	for (i = 0; i < res->nheaders; i++) {
		const char *v = res->headers[i].value;

		if (strcasecmp(res->headers[i].name, "Set-Cookie") != 0 ||
		    cookie_is_deletion(v) || cookie_name_seen(f0, v))
			continue;
		snprintf(newc, sizeof(newc), "%.*s", (int)strcspn(v, "="), v);
		break;
	}
	if (strcmp(pr->id, "fc.callback.forged") == 0) {
		callback_forged_record(fc, res, newc, idx);
		goto out;
	}
	if (res->status >= 500)
		report_check(sec, pr->id, CHECK_WARN, 0, &idx, idx >= 0,
		    "the callback answered HTTP %ld to %s: it must show a "
		    "clean error, not crash (FranceConnect error handling; "
		    "RFC 9700 §4.7)",
		    res->status, pr->what);
	else if (newc[0] != '\0')
		report_check(sec, pr->id, CHECK_WARN, 0, &idx, idx >= 0,
		    "the callback set a new cookie \"%s\" in answer to %s: a "
		    "session may have been opened without a valid login",
		    newc, pr->what);
	else
		report_check(sec, pr->id, CHECK_PASS, 0, &idx, idx >= 0,
		    "the callback answered HTTP %ld to %s without opening a "
		    "session",
		    res->status, pr->what);
out:
	probe_res_free(res);
	rc_free(pr);
	fc_phase2_one_done(fc);
}

static void
callback_submit(struct fc_state *fc, const char *id, const char *what,
    const char *query, struct probe_jar *jar)
{
	struct fc_probe *pr;
	struct probe_req req = { 0 };
	struct rc_buf url;
	struct rc_err err = { 0 };
	const char *ru = fc->ctx->in->redirect_uri;

	rc_buf_init(&url, 8192);
	if ((pr = rc_calloc(1, sizeof(*pr))) == NULL ||
	    rc_buf_addf(&url, "%s%s%s", ru, strchr(ru, '?') ? "&" : "?",
	        query) != RC_OK) {
		rc_free(pr);
		rc_buf_free(&url);
		report_check(fc->ctx->sec, id, CHECK_ERROR, 0, NULL, 0,
		    "internal: out of memory");
		return;
	}
	pr->fc = fc;
	pr->id = id;
	pr->what = what;
	req.url = url.data;
	req.jar = jar;
	req.browser = 1;
	fc->pending++;
	if (probe_submit(fc->ctx->probe, &req, on_callback_probe, pr, &err) !=
	    RC_OK) {
		fc->pending--;
		rc_free(pr);
		report_check(fc->ctx->sec, id, CHECK_ERROR, 0, NULL, 0,
		    "internal: %s", err.msg);
	}
	rc_buf_free(&url);
}

/* fc.logout.redirect_uri from the answer a to a GET of the URL. */
static void
judge_logout(struct fc_state *fc, const struct fc_seen *a)
{
	int idx = a->exch;
	const char *u = a->url_redacted ? a->url_redacted : "(not recorded)";

	if (a->outcome != PROBE_OK)
		report_check(fc->ctx->sec, "fc.logout.redirect_uri", CHECK_WARN,
		    0, &idx, idx >= 0,
		    "post_logout_redirect_uri %s cannot be reached: %s", u,
		    a->errmsg);
	else if (a->status >= 400)
		report_check(fc->ctx->sec, "fc.logout.redirect_uri", CHECK_WARN,
		    0, &idx, idx >= 0,
		    "post_logout_redirect_uri %s answers HTTP %ld; "
		    "FranceConnect "
		    "sends users there after logout",
		    u, a->status);
	else
		report_check(fc->ctx->sec, "fc.logout.redirect_uri", CHECK_PASS,
		    0, &idx, idx >= 0,
		    "post_logout_redirect_uri is https and answers HTTP %ld",
		    a->status);
}

static void
on_logout_probe(struct probe *p, struct probe_res *res, void *arg)
{
	struct fc_state *fc = arg;
	struct fc_seen a = { 0 };

	(void)p;
	a.exch = report_exchange_add(fc->ctx->rep, res);
	a.outcome = res->outcome;
	a.status = res->status;
	a.url_redacted = res->url_redacted; /* borrowed until the free */
	snprintf(a.errmsg, sizeof(a.errmsg), "%s", res->errmsg);
	judge_logout(fc, &a);
	probe_res_free(res);
	fc_phase2_one_done(fc);
}

static void
start_logout_probe(struct fc_state *fc)
{
	const char *u = fc->ctx->in->post_logout_redirect_uri;
	struct probe_req req = { 0 };
	struct rc_err err = { 0 };

	/* FranceConnect logout: the FS registers a post-logout URL (§4). */
	if (u == NULL) {
		report_check(fc->ctx->sec, "fc.logout.redirect_uri", CHECK_SKIP,
		    0, NULL, 0,
		    "no post_logout_redirect_uri declared in the dossier");
		return;
	}
	if (!is_https(u)) {
		report_check(fc->ctx->sec, "fc.logout.redirect_uri", CHECK_WARN,
		    0, NULL, 0, "post_logout_redirect_uri %s is not https", u);
		return;
	}
	/* The same GET already answered in phase 1: read that answer. */
	if (fc->button_ans.have && fc->ctx->in->button_page_url != NULL &&
	    strcmp(u, fc->ctx->in->button_page_url) == 0) {
		judge_logout(fc, &fc->button_ans);
		return;
	}
	if (fc->login_ans.have && strcmp(u, fc->ctx->in->login_url) == 0) {
		judge_logout(fc, &fc->login_ans);
		return;
	}
	req.url = u;
	req.browser = 1;
	fc->pending++;
	if (probe_submit(fc->ctx->probe, &req, on_logout_probe, fc, &err) !=
	    RC_OK) {
		fc->pending--;
		report_check(fc->ctx->sec, "fc.logout.redirect_uri",
		    CHECK_ERROR, 0, NULL, 0, "internal: %s", err.msg);
	}
}

/* ---- Advisory judgements from phase 1 evidence ------------------------- */

/* fc.cookie.attributes: the state cookie (RFC 6265bis; probes §A4). */
static void
judge_cookies(struct fc_state *fc, const struct fc_fetch *cap)
{
	struct report_section *sec = fc->ctx->sec;
	struct rc_buf why;
	size_t i, from;

	if (cap == NULL) {
		report_check(sec, "fc.cookie.attributes", CHECK_SKIP, 0, NULL,
		    0, "no authorization request was captured");
		return;
	}
	from =
	    cap->authz_cookie_from < cap->ncookies ? cap->authz_cookie_from : 0;
	if (cap->ncookies == 0) {
		report_check(sec, "fc.cookie.attributes", CHECK_PASS, 0,
		    cap->exch, cap->nexch,
		    "no cookie was set during the login redirect (state kept "
		    "elsewhere)");
		return;
	}
	rc_buf_init(&why, 1024);
	for (i = from; i < cap->ncookies; i++) {
		const char *c = cap->cookies[i];
		int n = (int)strcspn(c, "=");

		if (cookie_is_deletion(c))
			continue;
		if (strcasestr(c, "; secure") == NULL &&
		    strcasestr(c, ";secure") == NULL)
			rc_buf_addf(&why, "%s\"%.*s\" lacks Secure",
			    why.len ? "; " : "", n, c);
		if (strcasestr(c, "httponly") == NULL)
			rc_buf_addf(&why, "%s\"%.*s\" lacks HttpOnly",
			    why.len ? "; " : "", n, c);
		if (strcasestr(c, "samesite=strict") != NULL)
			rc_buf_addf(&why,
			    "%s\"%.*s\" is SameSite=Strict, which drops it on "
			    "the return from FranceConnect",
			    why.len ? "; " : "", n, c);
		else if (strcasestr(c, "samesite") == NULL)
			rc_buf_addf(&why, "%s\"%.*s\" has no SameSite",
			    why.len ? "; " : "", n, c);
	}
	if (why.len > 0)
		report_check(sec, "fc.cookie.attributes", CHECK_WARN, 0,
		    cap->exch, cap->nexch,
		    "login cookies should be Secure, HttpOnly and "
		    "SameSite=Lax: "
		    "%s",
		    why.data);
	else
		report_check(sec, "fc.cookie.attributes", CHECK_PASS, 0,
		    cap->exch, cap->nexch,
		    "login cookies are Secure, HttpOnly and SameSite");
	rc_buf_free(&why);
}

/* fc.tls.hsts: RFC 6797; a long max-age keeps users on https. */
static void
judge_hsts(struct fc_state *fc, const struct fc_fetch *f)
{
	struct report_section *sec = fc->ctx->sec;
	const char *ma;
	long age = -1;

	if (!f->first_https_seen) {
		report_check(sec, "fc.tls.hsts", CHECK_SKIP, 0, NULL, 0,
		    "no https response from the site to judge");
		return;
	}
	if (f->hsts == NULL) {
		report_check(sec, "fc.tls.hsts", CHECK_WARN, 0, f->exch,
		    f->nexch,
		    "no Strict-Transport-Security header: browsers may be "
		    "downgraded to http (RFC 6797)");
		return;
	}
	if ((ma = strcasestr(f->hsts, "max-age=")) != NULL) {
		char *end;

		age = strtol(ma + 8, &end, 10);
		if (end == ma + 8)
			age = -1;
	}
	if (age < HSTS_MIN_MAX_AGE)
		report_check(sec, "fc.tls.hsts", CHECK_WARN, 0, f->exch,
		    f->nexch,
		    "Strict-Transport-Security \"%s\" has a max-age under 180 "
		    "days (RFC 6797)",
		    f->hsts);
	else
		report_check(sec, "fc.tls.hsts", CHECK_PASS, 0, f->exch,
		    f->nexch, "Strict-Transport-Security: %s", f->hsts);
}

static void
judge_cert_expiry(struct fc_state *fc, const struct fc_fetch *f)
{
	struct report_section *sec = fc->ctx->sec;
	time_t now = fc->ctx->opts->now ? fc->ctx->opts->now : time(NULL);
	char when[32];
	struct tm tm;
	long days;

	if (f->cert_min == 0) {
		report_check(sec, "fc.tls.expiry", CHECK_SKIP, 0, NULL, 0,
		    "no certificate of the site was seen");
		return;
	}
	gmtime_r(&f->cert_min, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	days = (long)((f->cert_min - now) / 86400);
	if (days < fc->ctx->opts->cert_warn_days)
		report_check(sec, "fc.tls.expiry", CHECK_WARN, 0, f->exch,
		    f->nexch,
		    "the site's certificate expires on %s, in %ld days: renew "
		    "it before the login breaks",
		    when, days);
	else
		report_check(sec, "fc.tls.expiry", CHECK_PASS, 0, f->exch,
		    f->nexch, "the site's certificate is valid until %s", when);
}

/* fc.button: official button and "Qu'est-ce que FranceConnect ?" link. */
static void
judge_button(struct fc_state *fc)
{
	struct report_section *sec = fc->ctx->sec;
	const struct fc_fetch *f0 = &fc->fetch[0];
	int found, dsfr, link, exch = -1;
	const char *where;

	if (fc->button_state == 1) {
		found = fc->button_found;
		dsfr = fc->button_dsfr;
		link = fc->button_link;
		exch = fc->button_exch;
		where = fc->ctx->in->button_page_url;
	} else if (f0->page_seen) {
		found = f0->page_button;
		dsfr = f0->page_dsfr;
		link = f0->page_info_link;
		where = f0->page_url;
	} else {
		report_check(sec, "fc.button", CHECK_SKIP, 0, NULL, 0, "%s",
		    fc->button_state == 2 ? fc->button_why
		        : fc->button_via_login
		        ? "the login URL, which is also button_page_url, "
		          "could not be fetched"
		        : "no button_page_url declared and the login URL "
		          "redirects directly");
		return;
	}
	if (!found || !link)
		report_check(sec, "fc.button", CHECK_WARN, 0, &exch, exch >= 0,
		    "%s: %s%s%s (FranceConnect button rules; DSFR \"Bouton "
		    "FranceConnect\")",
		    where, found ? "" : "no FranceConnect button found",
		    !found && !link ? "; " : "",
		    link ? ""
		         : "no \"Qu'est-ce que FranceConnect ?\" link to "
		           "franceconnect.gouv.fr");
	else
		report_check(sec, "fc.button", CHECK_PASS, 0, &exch, exch >= 0,
		    "%s shows the FranceConnect button%s and the \"Qu'est-ce "
		    "que FranceConnect ?\" link",
		    where, dsfr ? " (DSFR component)" : "");
}

/* ---- Phase transitions -------------------------------------------------- */

/* Release fc and everything it holds (cookie jars included). */
static void
fc_state_free(struct fc_state *fc)
{
	int i;
	size_t j;

	for (j = 0; j < fc->nvisited; j++)
		rc_free(fc->visited[j]);
	for (i = 0; i < fc->nfetch; i++) {
		struct fc_fetch *f = &fc->fetch[i];

		probe_jar_free(f->jar);
		oidc_authreq_free(f->authreq);
		rc_free(f->hsts);
		rc_free(f->page_url);
		for (j = 0; j < f->ncookies; j++)
			rc_free(f->cookies[j]);
	}
	rc_free(fc->button_ans.url_redacted);
	rc_free(fc->login_ans.url_redacted);
	rc_free(fc->authz_origin);
	rc_free(fc);
}

/*
 * The family's one completion: every check is recorded, fc is released
 * and the verifier is told, exactly once.  A second call would be a bug
 * of this file; it is refused loudly rather than counted twice.
 */
static void
fc_finish(struct fc_state *fc)
{
	struct check_ctx *ctx = fc->ctx;

	if (fc->finished || ctx->family != fc) {
		log_error("fc: the FranceConnect checks of %s completed twice; "
		          "ignored",
		    ctx->in->path);
		return;
	}
	fc->finished = 1;
	ctx->family = NULL;
	fc_state_free(fc);
	check_ctx_done(ctx);
}

static void
fc_phase2_one_done(struct fc_state *fc)
{
	if (fc->pending <= 0) {
		log_error("fc: phase 2 of %s counted done more often than "
		          "started; ignored",
		    fc->ctx->in->path);
		return;
	}
	if (--fc->pending == 0)
		fc_finish(fc);
}

static void
fc_phase2_start(struct fc_state *fc, struct fc_fetch *cap)
{
	struct report_section *sec = fc->ctx->sec;
	const char *ep =
	    fc->disc->doc ? fc->disc->doc->authorization_endpoint : NULL;
	char q[512], s1[33], s2[33];
	const char *state;
	enum check_status st;

	fc->phase = 2;
	fc->pending = 1; /* held until every probe below is submitted */
	/*
	 * fc.provider.accepts: show the captured request to FranceConnect
	 * once, as a browser would (see on_provider); its page, error page
	 * or error= redirect decides (ref §8, api-authorize.feature).  Only
	 * the configured endpoint's origin is ever contacted.
	 */
	st = cap ? report_check_status(sec, "fc.authorize.endpoint")
	         : CHECK__MAX;
	if (cap == NULL || ep == NULL)
		report_check(sec, "fc.provider.accepts", CHECK_SKIP, 1, NULL, 0,
		    "not asked: no authorization request to show");
	else if (st != CHECK_PASS)
		report_check(sec, "fc.provider.accepts", CHECK_SKIP, 1, NULL, 0,
		    "not asked: the request does not target the configured "
		    "FranceConnect endpoint %s",
		    ep);
	else if ((fc->authz_origin = url_origin(ep)) == NULL)
		report_check(sec, "fc.provider.accepts", CHECK_ERROR, 1, NULL,
		    0, "internal: cannot parse %s", ep);
	else {
		fc->prov_from = cap;
		fc->pending++;
		if (provider_submit(fc, oidc_authreq_url(cap->authreq)) != 0)
			fc->pending--;
	}

	if (fc->ctx->opts->active_probes) {
		/*
		 * fc.callback.forged: a made-up code and state must be
		 * rejected without a 5xx and without a session (RFC 9700
		 * §4.7, OIDC Core §3.1.2.7; probes §A4 "active").
		 */
		random_hex(s1);
		random_hex(s2);
		snprintf(q, sizeof(q), "code=%s&state=%s", s1, s2);
		callback_submit(fc, "fc.callback.forged",
		    "a forged code and state", q, NULL);
		/*
		 * fc.callback.error: FC returns error=access_denied when the
		 * user cancels; the FS must handle it (reference §3
		 * "Callback"; §6 "Not handling the error callback").
		 */
		state = cap ? oidc_authreq_param(cap->authreq, "state") : NULL;
		if (state != NULL && strlen(state) < 200 &&
		    !rc_str_has_ctrl(state)) {
			char *es = curl_easy_escape(NULL, state, 0);

			snprintf(q, sizeof(q),
			    "error=access_denied&error_description=user%%20"
			    "authentication%%20aborted&state=%s",
			    es ? es : "");
			curl_free(es);
			callback_submit(fc, "fc.callback.error",
			    "error=access_denied with the session's state", q,
			    cap->jar);
		} else {
			report_check(sec, "fc.callback.error", CHECK_SKIP, 0,
			    NULL, 0, "no state captured to return with");
		}
	} else {
		report_check(sec, "fc.callback.forged", CHECK_SKIP, 0, NULL, 0,
		    "active probes disabled (checks.active_probes)");
		report_check(sec, "fc.callback.error", CHECK_SKIP, 0, NULL, 0,
		    "active probes disabled (checks.active_probes)");
	}
	start_logout_probe(fc);
	fc_phase2_one_done(fc);
}

/* The configuration key that names this integration's discovery URL. */
static void
disc_config_key(const struct fc_state *fc, char *out, size_t len)
{
	const struct dossier_integration *in = fc->ctx->in;

	snprintf(out, len, "%s.%s.discovery_url",
	    in->plus ? "franceconnect_plus" : "franceconnect",
	    dossier_env_str(in->env));
}

/* d->why may hold one \001 where the configuration key goes. */
static void
disc_report_error(struct fc_state *fc, const struct fc_disc *d)
{
	char key[96];
	const char *pct = strchr(d->why, '\001');

	disc_config_key(fc, key, sizeof(key));
	if (pct != NULL)
		report_check(fc->ctx->sec, "fc.discovery", CHECK_ERROR, 1, NULL,
		    0, "%.*s%s%s%s", (int)(pct - d->why), d->why, key, pct + 1,
		    d->config_fault ? " (an operator setting: not the "
		                      "collectivité's fault)"
		                    : "");
	else
		report_check(fc->ctx->sec, "fc.discovery", CHECK_ERROR, 1, NULL,
		    0, "%s (%s)%s", d->why, key,
		    d->config_fault ? "; an operator setting: not the "
		                      "collectivité's fault"
		                    : "");
}

/*
 * Whether the captured request targets endpoint: its URL is endpoint
 * itself or endpoint followed by its query.  A plain comparison, only
 * used to decide whether a kept document must be fetched again (a false
 * "no" costs one request; the judgement itself is fc_profile's).
 */
static int
capture_targets(const struct fc_fetch *cap, const char *endpoint)
{
	const char *url = oidc_authreq_url(cap->authreq);
	size_t n = strlen(endpoint);

	return url != NULL && strncmp(url, endpoint, n) == 0 &&
	    (url[n] == '\0' || url[n] == '?');
}

static void
fc_phase1_maybe_done(struct fc_state *fc)
{
	struct fc_fetch *cap;
	struct report_section *sec = fc->ctx->sec;
	struct fc_disc *d = fc->disc;
	struct rc_err err = { 0 };
	char when[32];
	struct tm tm;
	int exch;

	if (fc->phase != 1 || fc->pending > 0)
		return;
	cap = first_capture(fc);
	/*
	 * A document kept from an earlier run never fails a dossier on its
	 * own: when the captured request does not target its authorization
	 * endpoint, FranceConnect may have changed its metadata since, so
	 * the document is fetched again (once) and the request judged
	 * against that (docs/checks.md, "The discovery document across
	 * runs").
	 */
	if (d->kept != NULL && d->doc != NULL && cap != NULL &&
	    !capture_targets(cap, d->doc->authorization_endpoint)) {
		/* warn: seen in the daemon's log, which keeps no info line
		 * of the verifier by default (daemon.log_checks). */
		log_warn("integration=%s event=discovery_refetch url=%s "
		         "kept_endpoint=%s",
		    fc->ctx->in->path, d->url, d->doc->authorization_endpoint);
		d->kept->stale = 1;
		if (fc_disc_attach(fc, d->url, 1, &err) == RC_OK) {
			if (fc->pending > 0)
				return; /* back here when it arrives */
			fc_phase1_maybe_done(fc);
			return;
		}
		log_error("integration=%s discovery refetch: %s",
		    fc->ctx->in->path, err.msg);
		fc->disc = d;
	}
	/*
	 * fc.discovery: the configured provider publishes usable metadata.
	 * Never a failure of the dossier: the provider and its URL are the
	 * operator's (issue 14 §4), so any trouble is inconclusive.  The
	 * fetch relied on is the check's evidence, with its time: this
	 * run's, or an earlier run's when the document was kept.
	 */
	if (d->doc != NULL) {
		exch = d->res != NULL
		    ? report_exchange_add(fc->ctx->rep, d->res)
		    : -1;
		gmtime_r(&d->fetched, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (d->kept != NULL)
			report_check(sec, "fc.discovery", CHECK_PASS, 1,
			    exch >= 0 ? &exch : NULL, exch >= 0 ? 1 : 0,
			    "FranceConnect discovery %s: authorization "
			    "endpoint %s (document fetched at %s by an earlier "
			    "run, kept for at most %ld s)",
			    d->url, d->doc->authorization_endpoint, when,
			    fc->ctx->run->keep->max_age_s);
		else
			report_check(sec, "fc.discovery", CHECK_PASS, 1,
			    exch >= 0 ? &exch : NULL, exch >= 0 ? 1 : 0,
			    "FranceConnect discovery %s: authorization "
			    "endpoint %s (document fetched at %s)",
			    d->url, d->doc->authorization_endpoint, when);
	} else {
		disc_report_error(fc, d);
	}
	judge_login(fc, cap);
	judge_authreq(fc, cap);
	judge_cookies(fc, cap);
	judge_hsts(fc, cap ? cap : &fc->fetch[0]);
	judge_cert_expiry(fc, cap ? cap : &fc->fetch[0]);
	judge_button(fc);
	fc_phase2_start(fc, cap);
}

/* ---- Entry point -------------------------------------------------------- */

enum rc_code
fc_checks_start(struct check_ctx *ctx, struct rc_err *err)
{
	const struct dossier_integration *in = ctx->in;
	const char *disc_url =
	    ctx->opts->fc_discovery[in->plus ? 1 : 0][in->env];
	struct fc_state *fc;
	struct probe_req req = { 0 };
	enum rc_code rc = RC_OK;
	int i, n;

	if (disc_url == NULL)
		return RC_ERR(err, RC_ECONFIG,
		    "no FranceConnect discovery URL configured for %s",
		    dossier_env_str(in->env));
	n = ctx->opts->login_fetches;
	if (n > FC_MAX_FETCHES)
		n = FC_MAX_FETCHES;
	if ((fc = rc_calloc(1, sizeof(*fc))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	fc->ctx = ctx;
	fc->phase = 1;
	fc->nfetch = n;
	fc->button_exch = -1;
	ctx->family = fc;
	/* Hold phase 1 open until everything below is submitted. */
	fc->pending = 1;
	for (i = 0; i < n; i++) {
		struct fc_fetch *f = &fc->fetch[i];

		f->fc = fc;
		f->idx = i;
		if ((f->jar = probe_jar_new()) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == RC_OK)
		rc = fc_disc_attach(fc, disc_url, 0, err);
	if (rc != RC_OK) {
		/*
		 * Nothing of ours is in flight except, perhaps, the shared
		 * discovery fetch, which does not point at fc once detached.
		 */
		ctx->family = NULL;
		fc_state_free(fc);
		return rc;
	}
	for (i = 0; i < n; i++) {
		fc->pending++;
		fetch_submit(&fc->fetch[i], "GET", in->login_url, NULL, NULL);
	}
	fc->button_via_login = in->button_page_url != NULL && n > 0 &&
	    strcmp(in->button_page_url, in->login_url) == 0;
	if (in->button_page_url != NULL && !fc->button_via_login) {
		req.url = in->button_page_url;
		req.browser = 1;
		fc->pending++;
		if (probe_submit(ctx->probe, &req, on_button_page, fc, err) !=
		    RC_OK) {
			fc->pending--;
			fc->button_state = 2;
			snprintf(fc->button_why, sizeof(fc->button_why),
			    "internal: out of memory");
		}
	}
	fc->pending--;
	fc_phase1_maybe_done(fc);
	return RC_OK;
}
