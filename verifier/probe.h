/* SPDX-License-Identifier: MIT */
/*
 * The probe engine: every HTTP(S) request raccord makes, on one libcurl
 * multi event loop.
 *
 * Callers submit requests with a completion callback and then run the
 * loop; a callback may submit further requests (the next hop of a
 * redirect chain, the next step of a check).  Redirects are never followed
 * automatically: each hop is a new request its caller decided to make.
 * Every connection's peer address is vetted by the SSRF guard
 * (verifier/netguard.h) before connect, on every hop.  TLS is always
 * verified, against the system store plus opts.ca_file.  Bodies, time and
 * concurrency (global and per host) are capped.
 *
 * Each finished request yields a struct probe_res: the evidence of one
 * exchange (status, Location, headers, TLS version, peer certificate
 * SHA-256 and notAfter, timings, body and its SHA-256, URL with secrets
 * redacted).
 */
#ifndef RC_VERIFIER_PROBE_H
#define RC_VERIFIER_PROBE_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

struct probe;
struct probe_jar;
struct probe_group;

struct probe_opts {
	const char *ca_file;              /* extra trust anchors, or NULL */
	const char *const *allow_private; /* CIDRs opened, NULL-terminated */
	const char *const *resolve;       /* "host:port:addr", NULL-term. */
	long timeout_ms;                  /* whole request; default 15000 */
	long connect_timeout_ms;          /* default 5000 */
	size_t max_body_bytes;            /* default 2 MiB */
	long max_redirects; /* hops a caller may follow; 0: none; <0: 10 */
	long per_host_concurrency; /* default 4 */
	long global_concurrency;   /* default 64 */
	const char *user_agent;    /* default "raccord/<version>" */
};

/* Fill opts with the defaults above. */
void probe_opts_defaults(struct probe_opts *opts);

struct probe_req {
	const char *method;         /* "GET" (default when NULL), "POST" */
	const char *url;            /* absolute http(s) URL */
	const char *body;           /* request body for POST, or NULL */
	size_t body_len;            /* bytes of body */
	const char *content_type;   /* of body */
	const char *const *headers; /* extra "Name: value", NULL-term. */
	struct probe_jar *jar;      /* cookies shared with other requests */
	size_t max_body;            /* 0: opts.max_body_bytes */
	int browser;                /* send browser navigation headers */
	const char *secret;         /* never shown: redacted from evidence */
	struct probe_group *group;  /* deadline; NULL: probe_set_group's */
};

enum probe_outcome {
	PROBE_OK = 0,   /* an HTTP response was received (any status) */
	PROBE_BADURL,   /* the URL is malformed or not http(s) */
	PROBE_BLOCKED,  /* the SSRF guard refused the address */
	PROBE_DNS,      /* name could not be resolved */
	PROBE_CONNECT,  /* TCP connection failed */
	PROBE_TLS,      /* TLS handshake or certificate verification failed */
	PROBE_TIMEOUT,  /* time limit reached */
	PROBE_TOOBIG,   /* body larger than the cap */
	PROBE_PROTOCOL, /* malformed HTTP from the peer */
	PROBE_OTHER,    /* any other transfer failure */
	PROBE__MAX
};

struct probe_header {
	char *name;
	char *value;          /* as received: may echo a secret */
	char *value_redacted; /* rc_redact of value with the request's secret */
};

struct probe_res {
	enum probe_outcome outcome;
	char errmsg[256]; /* why, when outcome != PROBE_OK */
	char *method;
	char *url;          /* as requested; may carry secrets */
	char *url_redacted; /* safe for evidence and logs */
	long status;        /* HTTP status, 0 when none */
	char *location;     /* Location resolved to absolute, or NULL */
	struct probe_header *headers; /* of the final response */
	size_t nheaders;
	struct rc_buf body;
	char body_sha256[65];
	char primary_ip[64];
	long primary_port;
	char http_version[12]; /* "HTTP/1.1", "HTTP/2" */
	char tls_version[16];  /* "TLSv1.3", or "" over plain http */
	char cert_sha256[65];  /* leaf certificate DER SHA-256, or "" */
	time_t cert_not_after; /* leaf notAfter, 0 when unknown */
	char cert_subject[256];
	time_t started;                                  /* wall clock, UTC */
	double t_dns, t_connect, t_tls, t_ttfb, t_total; /* seconds */
	const char *const *sent_headers; /* static list actually sent */
	char *location_redacted;         /* location redacted (URL rules, the
	                                  * request's secret, rc_redact), or NULL */
};

/*
 * Called once per submitted request, from probe_run.  The callback owns
 * res and must release it with probe_res_free (or keep it).
 */
typedef void probe_done_fn(struct probe *p, struct probe_res *res, void *arg);

/*
 * Create an engine.  Returns NULL and fills err (RC_ENOMEM, RC_ECONFIG for
 * a bad CIDR or resolve entry) on failure.  Owned by the caller.
 */
struct probe *probe_new(const struct probe_opts *opts, struct rc_err *err);

/*
 * Release p (NULL is a no-op).  Requests still queued are dropped without
 * their callbacks.  Not to be called from a callback.
 */
void probe_free(struct probe *p);

/*
 * Make an idle engine ready for another run, keeping what runs may share:
 * the trust store and the TLS session cache (sessions are resumed on new
 * connections).  libcurl's connection pool and DNS cache are not kept: a
 * run sees the sites as they are now.  What belonged to the runs before
 * goes: their groups
 * (probe_group_new; pointers to them become invalid) and the current
 * group.  Cookie jars are the callers' (probe_jar_new) and never kept by
 * the engine.  RC_EINVAL when a request or a timer is still queued or in
 * flight (a probe_run that failed leaves some: free that engine instead),
 * or from inside probe_run.
 */
enum rc_code probe_recycle(struct probe *p, struct rc_err *err);

/* The options in force (defaults applied); borrowed from p. */
const struct probe_opts *probe_get_opts(const struct probe *p);

/*
 * Does the engine's trust store (the system anchors plus opts.ca_file,
 * the only anchors any connection uses) verify the first certificate of
 * pem_file?  *trusted is 1 or 0.  RC_ESYS, RC_EPARSE, RC_ENOMEM.
 */
enum rc_code probe_trusts_pem(const struct probe *p, const char *pem_file,
    int *trusted, struct rc_err *err);

/* A fresh, empty cookie jar (NULL on ENOMEM); caller frees it. */
struct probe_jar *probe_jar_new(void);
void probe_jar_free(struct probe_jar *jar);

/*
 * Queue a request.  Everything in req is copied.  fn is always called
 * exactly once, later, from probe_run, even when the URL is bad.
 * RC_ENOMEM when the request cannot be queued (fn is then not called).
 */
enum rc_code probe_submit(struct probe *p, const struct probe_req *req,
    probe_done_fn *fn, void *arg, struct rc_err *err);

/*
 * Run the event loop until no request is queued or in flight (and no timer
 * is pending).  Returns RC_OK unless the engine itself failed (RC_ENET,
 * RC_ENOMEM).
 */
enum rc_code probe_run(struct probe *p, struct rc_err *err);

/*
 * A deadline shared by a set of requests (one dossier's): a budget of
 * budget_ms milliseconds of time during which at least one of the group's
 * requests is in flight.  Time a request waits in the queue for a free
 * slot (behind other dossiers) or for a timer is not charged, so a large
 * batch does not use up its dossiers' budgets by queueing.  When the
 * budget is spent, every request of the group still queued or in flight
 * ends with PROBE_TIMEOUT and the message "the <what>'s deadline of N ms
 * passed", and every later request of the group ends so at once, without
 * starting.  what ("dossier") names the group in that message.
 *
 * The group belongs to p (freed by probe_free).  NULL on ENOMEM or for a
 * budget_ms <= 0 (err says which).
 */
struct probe_group *probe_group_new(struct probe *p, long budget_ms,
    const char *what, struct rc_err *err);

/* Whether g's budget is spent. */
int probe_group_expired(const struct probe_group *g);

/*
 * The group that requests submitted from now on join when their
 * probe_req names none (NULL: no deadline but timeout_ms).  Inside a
 * callback (request or timer), the current group is the one of the
 * request or timer being delivered, so a check's follow-up requests stay
 * in its dossier's group without knowing about it.
 */
void probe_set_group(struct probe *p, struct probe_group *g);

typedef void probe_timer_fn(struct probe *p, void *arg);

/*
 * Call fn(p, arg) from probe_run once delay_ms (CLOCK_MONOTONIC) have
 * passed, without holding up other transfers: the way to wait for a
 * Retry-After before submitting again.  Timers due at the same time fire
 * in the order they were added; fn may submit requests or add timers.
 * Timers still pending at probe_free are dropped without a call.  The
 * timer keeps the current group (probe_set_group) for its call.
 * RC_ENOMEM, or RC_EINVAL for a missing argument.
 */
enum rc_code probe_timer_add(struct probe *p, long delay_ms, probe_timer_fn *fn,
    void *arg, struct rc_err *err);

void probe_res_free(struct probe_res *res);

/* First header of that name (case-insensitive), borrowed, or NULL. */
const char *probe_res_header(const struct probe_res *res, const char *name);

/* A short English phrase for an outcome ("TLS verification failed"). */
const char *probe_outcome_str(enum probe_outcome o);

/*
 * Resolve ref against base with curl_url (RFC 3986).  *out (rc_free) is
 * the absolute URL.  RC_EINVAL when either is malformed.
 */
enum rc_code probe_url_resolve(const char *base, const char *ref, char **out);

/*
 * Copy url with the values of secret-bearing query parameters (code,
 * *token*, *secret*, password, api_key, id_token_hint, ...) replaced by
 * "REDACTED".  *out for rc_free.
 */
enum rc_code probe_url_redact(const char *url, char **out);

#endif /* RC_VERIFIER_PROBE_H */
