/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: what a route module needs from http.c.
 *
 * http.c owns libmicrohttpd and the core /v1 routes; a feature with
 * routes of its own (self-check page, webhooks, tiles, ...) lives in its
 * own file and exposes one http_route_fn, listed in http.c's route
 * table.  Every answer leaves through http_respond*, which logs one line
 * (method, path, status, token name -- never a token) and counts the
 * status class for /metrics.
 */
#ifndef RC_CONNECTOR_DAEMON_HTTP_INT_H
#define RC_CONNECTOR_DAEMON_HTTP_INT_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "connector/daemon/daemon_int.h"

/* Roles, as bits for http_denied. */
#define R_INSTR  (1u << CFG_ROLE_INSTRUCTOR)
#define R_PAY    (1u << CFG_ROLE_PAYMENT)
#define R_ADMIN  (1u << CFG_ROLE_ADMIN)
#define R_SELF   (1u << CFG_ROLE_SELFCHECK)
#define R_PUBLIC 0u

/* One request: its body, read whole before the route runs. */
struct http_req {
	struct rc_buf body;
	int too_big;
};

/* One answer being built: the connection and who asked. */
struct http_ctx {
	struct daemon *dm;
	struct MHD_Connection *c;
	const char *method, *url;
	struct daemon_caller who;
};

/*
 * A route module: answer the request and return 1 with *ret set when
 * x->url is one of its routes (including its 404/405/401 answers), or
 * return 0 to let the next module look.
 */
typedef int (*http_route_fn)(struct http_ctx *x, struct http_req *rq,
    enum MHD_Result *ret);

/*
 * Send data (copied).  hdrs: NULL, or name, value, ..., NULL pairs added
 * to the response; unless they set Cache-Control the answer is
 * "no-store".  X-Content-Type-Options: nosniff is always sent.
 */
enum MHD_Result http_respond(struct http_ctx *x, unsigned status,
    const char *type, const void *data, size_t len, const char *const *hdrs);

/*
 * The client's address as text (numeric), the key of the public pages'
 * rate limits and of the self-check page's CSRF tokens: an IPv6 client
 * by its /64 (one site's hosts share it); "?" when unknown.
 */
void http_client_addr(struct http_ctx *x, char *out, size_t n);

/*
 * As http_respond, the body read from fd (len bytes from its start) by
 * libmicrohttpd as it sends, never whole in memory; fd is taken (closed
 * by libmicrohttpd, or here on failure).
 */
enum MHD_Result http_respond_fd(struct http_ctx *x, unsigned status,
    const char *type, int fd, size_t len, const char *const *hdrs);

/* As http_respond, with an Allow header and a Retry-After (if > 0). */
enum MHD_Result http_respond_raw(struct http_ctx *x, unsigned status,
    const char *type, const void *data, size_t len, const char *allow,
    int retry_after);

/* Send j (stolen) as JSON. */
enum MHD_Result http_respond_json(struct http_ctx *x, unsigned status,
    json_t *j, const char *allow, int retry_after);

/* Is s[0..n) a job id: STORE_ID_LEN lowercase hex digits? */
int http_is_job_id(const char *s, size_t n);

/* {"error": msg}. */
enum MHD_Result http_respond_error(struct http_ctx *x, unsigned status,
    const char *msg);

/* 405 with Allow. */
enum MHD_Result http_respond_method(struct http_ctx *x, const char *allow);

/* 401 or 403 (answered in *ret) unless the caller's role is in roles. */
int http_denied(struct http_ctx *x, unsigned roles, enum MHD_Result *ret);

/* A query-string argument, or NULL. */
const char *http_query(struct http_ctx *x, const char *key);

/* A decimal in [0, hi]; 1 if ok. */
int http_parse_u64(const char *s, unsigned long long hi,
    unsigned long long *out);

/* GET /metrics (Prometheus text 0.0.4), on either listener. */
enum MHD_Result http_get_metrics(struct http_ctx *x);

/*
 * "host:port" or "[v6]:port" into *ss (what names the directive in
 * messages).  RC_ECONFIG.
 */
struct sockaddr_storage;
enum rc_code http_listen_addr(const char *what, const char *listen,
    struct sockaddr_storage *ss, int *v6, struct rc_err *err);

/* The text after prefix up to the next '/' (length in *n), or NULL. */
const char *http_segment(const char *path, const char *prefix, size_t *n);

#endif /* RC_CONNECTOR_DAEMON_HTTP_INT_H */
