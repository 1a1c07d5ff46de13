/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP side on libmicrohttpd (docs/api.md).
 *
 * The access handler is called once with the headers, once per body
 * chunk and once more with *upload_data_size == 0 (GNU libmicrohttpd
 * manual, "Callback functions definition"); the per-request state lives
 * in *req_cls and is freed by the request-completed callback.  Every
 * request leaves through respond(), which writes one log line: method,
 * path, status and the token's name, never the token or the
 * Authorization header.
 */
#include <dirent.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "connector/award.h"
#include "connector/daemon/daemon_int.h"
#include "connector/daemon/http_int.h"
#include "connector/daemon/route_conformance.h"
#include "connector/daemon/route_alerts.h"
#include "connector/daemon/ds_credential.h"
#include "connector/daemon/route_intake.h"
#include "connector/daemon/selfcheck.h"
#include "connector/daemon/tiles.h"

/* Copy s for a log line: printable ASCII, at most 120 bytes. */
static void
log_safe(char *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n && i < 120; i++)
		out[i] =
		    (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f
		    ? s[i]
		    : '?';
	out[i] = '\0';
}

/* Count the answer for /metrics and write its log line. */
static void
http_note(struct http_ctx *x, unsigned status)
{
	char path[128];

	log_safe(path, sizeof(path), x->url);
	pthread_mutex_lock(&x->dm->mu);
	x->dm->http_class[status / 100 < 6 ? status / 100 : 0]++;
	pthread_mutex_unlock(&x->dm->mu);
	log_info("http method=%s path=%s status=%u token=%s", x->method, path,
	    status, x->who.known ? x->who.name : "-");
}

/* Add the headers every answer carries to r; r (NULL stays NULL). */
static struct MHD_Response *
with_headers(struct MHD_Response *r, unsigned status, const char *type,
    const char *const *hdrs)
{
	int cached = 0;
	size_t i;

	if (r == NULL)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	for (i = 0; hdrs != NULL && hdrs[i] != NULL && hdrs[i + 1] != NULL;
	     i += 2) {
		MHD_add_response_header(r, hdrs[i], hdrs[i + 1]);
		if (strcasecmp(hdrs[i], MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
			cached = 1;
	}
	if (!cached)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"raccord\"");
	return r;
}

void
http_client_addr(struct http_ctx *x, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage ss;
	socklen_t len;

	snprintf(out, n, "?");
	ci = MHD_get_connection_info(x->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	memset(&ss, 0, sizeof(ss));
	if (ci->client_addr->sa_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		/* One IPv6 /64 is one address. */
		memcpy(s6, ci->client_addr, sizeof(*s6));
		memset(&s6->sin6_addr.s6_addr[8], 0, 8);
		s6->sin6_scope_id = 0;
		len = sizeof(*s6);
	} else if (ci->client_addr->sa_family == AF_INET) {
		memcpy(&ss, ci->client_addr, sizeof(struct sockaddr_in));
		len = sizeof(struct sockaddr_in);
	} else
		return;
	if (getnameinfo((struct sockaddr *)&ss, len, out, (socklen_t)n, NULL, 0,
	        NI_NUMERICHOST) != 0)
		snprintf(out, n, "?");
}

/* Log the answer, add the headers every answer carries, queue it. */
static enum MHD_Result
respond(struct http_ctx *x, unsigned status, struct MHD_Response *r,
    const char *type, const char *const *hdrs)
{
	enum MHD_Result ret;

	http_note(x, status);
	if (with_headers(r, status, type, hdrs) == NULL)
		return MHD_NO;
	ret = MHD_queue_response(x->c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A response of len bytes of data (copied), with respond's headers. */
static struct MHD_Response *
http_response_new(unsigned status, const char *type, const void *data,
    size_t len, const char *const *hdrs)
{
	return with_headers(MHD_create_response_from_buffer(len,
	                        (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY),
	    status, type, hdrs);
}

enum MHD_Result
http_respond(struct http_ctx *x, unsigned status, const char *type,
    const void *data, size_t len, const char *const *hdrs)
{
	return respond(x, status,
	    MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
	        MHD_RESPMEM_MUST_COPY),
	    type, hdrs);
}

enum MHD_Result
http_respond_fd(struct http_ctx *x, unsigned status, const char *type, int fd,
    size_t len, const char *const *hdrs)
{
	struct MHD_Response *r = MHD_create_response_from_fd(len, fd);

	if (r == NULL)
		close(fd);
	return respond(x, status, r, type, hdrs);
}

enum MHD_Result
http_respond_raw(struct http_ctx *x, unsigned status, const char *type,
    const void *data, size_t len, const char *allow, int retry_after)
{
	const char *hdrs[5];
	char num[24];
	size_t n = 0;

	if (allow != NULL) {
		hdrs[n++] = MHD_HTTP_HEADER_ALLOW;
		hdrs[n++] = allow;
	}
	if (retry_after > 0) {
		snprintf(num, sizeof(num), "%d", retry_after);
		hdrs[n++] = MHD_HTTP_HEADER_RETRY_AFTER;
		hdrs[n++] = num;
	}
	hdrs[n] = NULL;
	return http_respond(x, status, type, data, len, hdrs);
}

/* Send j (stolen) as JSON. */
enum MHD_Result
http_respond_json(struct http_ctx *x, unsigned status, json_t *j,
    const char *allow, int retry_after)
{
	enum MHD_Result ret;
	char *s;

	if (j == NULL ||
	    (s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(j);
		return http_respond_raw(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "application/json", "{\"error\":\"out of memory\"}", 25,
		    NULL, 0);
	}
	json_decref(j);
	ret = http_respond_raw(x, status, "application/json", s, strlen(s),
	    allow, retry_after);
	free(s); /* json_dumps */
	return ret;
}

enum MHD_Result
http_respond_error(struct http_ctx *x, unsigned status, const char *msg)
{
	return http_respond_json(x, status, json_pack("{s:s}", "error", msg),
	    NULL, 0);
}

enum MHD_Result
http_respond_method(struct http_ctx *x, const char *allow)
{
	return http_respond_json(x, MHD_HTTP_METHOD_NOT_ALLOWED,
	    json_pack("{s:s}", "error", "method not allowed"), allow, 0);
}

/*
 * Who is calling: SHA-256 of the bearer token, looked up in constant
 * time (cfg_token_find compares every entry).
 */
static void
authenticate(struct http_ctx *x)
{
	const char *h, *tok;
	unsigned char digest[RC_SHA256_LEN];
	const struct cfg_token *t;
	size_t n;

	memset(&x->who, 0, sizeof(x->who));
	h = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return;
	for (tok = h + 7; *tok == ' '; tok++)
		;
	n = strlen(tok);
	if (n == 0 || n > 4096 || rc_sha256(tok, n, digest) != RC_OK)
		return;
	pthread_rwlock_rdlock(&x->dm->tok_lock);
	t = cfg_token_find(x->dm->tok_cfg, digest);
	if (t != NULL) {
		x->who.known = 1;
		x->who.role = t->role;
		snprintf(x->who.name, sizeof(x->who.name), "%s", t->name);
	}
	pthread_rwlock_unlock(&x->dm->tok_lock);
	OPENSSL_cleanse(digest, sizeof(digest));
}

/* 401 or 403 unless the caller's role is in roles; 0 when allowed. */
int
http_denied(struct http_ctx *x, unsigned roles, enum MHD_Result *ret)
{
	if (roles == R_PUBLIC)
		return 0;
	if (!x->who.known) {
		*ret = http_respond_error(x, MHD_HTTP_UNAUTHORIZED,
		    "a bearer token is required (Authorization: Bearer ...)");
		return 1;
	}
	if (!(roles & (1u << x->who.role))) {
		*ret = http_respond_error(x, MHD_HTTP_FORBIDDEN,
		    "this token's role may not use this route");
		return 1;
	}
	return 0;
}

const char *
http_query(struct http_ctx *x, const char *key)
{
	return MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, key);
}

/* A decimal in [lo, hi]; 1 if ok. */
int
http_parse_u64(const char *s, unsigned long long hi, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 19)
		return 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > hi)
		return 0;
	*out = v;
	return 1;
}

int
http_is_job_id(const char *s, size_t n)
{
	size_t i;

	if (n != STORE_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* --- routes ------------------------------------------------------------ */

static enum MHD_Result
get_healthz(struct http_ctx *x)
{
	return http_respond_json(x, MHD_HTTP_OK,
	    json_pack("{s:s}", "status", "up"), NULL, 0);
}

/* Ready: the store can be written, the ledger read, the worker lives. */
static enum MHD_Result
get_readyz(struct http_ctx *x)
{
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	struct ledger *lg = NULL;
	int store_ok, ledger_ok, worker_ok;
	char lmsg[300] = "ok", smsg[300] = "ok";

	store_ok = store_ping(dm->store, &err) == RC_OK;
	if (!store_ok)
		snprintf(smsg, sizeof(smsg), "%.256s", err.msg);
	memset(&err, 0, sizeof(err));
	ledger_ok = ledger_open(dm->pl.cfg->ledger_dir, NULL, NULL, &dm->policy,
	                DAEMON_LEDGER_READ_WAIT_MS, &lg, &err) == RC_OK;
	if (!ledger_ok)
		snprintf(lmsg, sizeof(lmsg), "%.256s", err.msg);
	ledger_close(lg);
	pthread_mutex_lock(&dm->mu);
	worker_ok = dm->worker_alive && !dm->stopping;
	pthread_mutex_unlock(&dm->mu);
	return http_respond_json(x,
	    store_ok && ledger_ok && worker_ok ? MHD_HTTP_OK
	                                       : MHD_HTTP_SERVICE_UNAVAILABLE,
	    json_pack("{s:b, s:s, s:s, s:s}", "ready",
	        store_ok && ledger_ok && worker_ok, "store", smsg, "ledger",
	        lmsg, "worker", worker_ok ? "ok" : "not running"),
	    NULL, 0);
}

/* GET /metrics: Prometheus text format 0.0.4. */
enum MHD_Result
http_get_metrics(struct http_ctx *x)
{
	static const char *const states[STORE_NSTATES] = { "queued", "running",
		"done", "error", "awaiting_credential", "superseded" };
	struct daemon *dm = x->dm;
	unsigned long long cls[6], done, error, hits, misses;
	struct rc_err err = { 0 };
	struct ledger *lg = NULL;
	struct rc_buf b;
	enum MHD_Result ret;
	long long n[STORE_NSTATES];
	int busy, alive, i;

	store_counts(dm->store, n);
	pthread_mutex_lock(&dm->mu);
	memcpy(cls, dm->http_class, sizeof(cls));
	done = dm->jobs_done;
	error = dm->jobs_error;
	busy = dm->worker_busy;
	alive = dm->worker_alive;
	pthread_mutex_unlock(&dm->mu);
	rc_buf_init(&b, 64 * 1024);
	rc_buf_adds(&b,
	    "# HELP raccord_worker_up 1 while the worker thread runs.\n"
	    "# TYPE raccord_worker_up gauge\n");
	rc_buf_addf(&b, "raccord_worker_up %d\n", alive);
	rc_buf_adds(&b,
	    "# HELP raccord_worker_busy 1 while the worker runs a job.\n"
	    "# TYPE raccord_worker_busy gauge\n");
	rc_buf_addf(&b, "raccord_worker_busy %d\n", busy);
	rc_buf_adds(&b,
	    "# HELP raccord_jobs Jobs in the store, by state.\n"
	    "# TYPE raccord_jobs gauge\n");
	for (i = 0; i < STORE_NSTATES; i++)
		if (n[i] >= 0)
			rc_buf_addf(&b, "raccord_jobs{state=\"%s\"} %lld\n",
			    states[i], n[i]);
	rc_buf_adds(&b,
	    "# HELP raccord_jobs_finished_total Jobs this process finished, "
	    "by outcome.\n"
	    "# TYPE raccord_jobs_finished_total counter\n");
	rc_buf_addf(&b,
	    "raccord_jobs_finished_total{state=\"done\"} %llu\n"
	    "raccord_jobs_finished_total{state=\"error\"} %llu\n",
	    done, error);
	rc_buf_adds(&b,
	    "# HELP raccord_http_responses_total HTTP responses, by status "
	    "class.\n"
	    "# TYPE raccord_http_responses_total counter\n");
	for (i = 1; i < 6; i++)
		rc_buf_addf(&b,
		    "raccord_http_responses_total{code=\"%dxx\"} %llu\n", i,
		    cls[i]);
	pthread_mutex_lock(&dm->answers.mu);
	hits = dm->answers.hits;
	misses = dm->answers.misses;
	pthread_mutex_unlock(&dm->answers.mu);
	rc_buf_adds(&b,
	    "# HELP raccord_dossier_answers_total GET /v1/dossiers/{id} "
	    "answers looked up, by where they came from.\n"
	    "# TYPE raccord_dossier_answers_total counter\n");
	rc_buf_addf(&b,
	    "raccord_dossier_answers_total{source=\"cache\"} %llu\n"
	    "raccord_dossier_answers_total{source=\"store\"} %llu\n",
	    hits, misses);
	route_intake_metrics(&b);
	ds_poll_metrics(&b);
	ds_credential_metrics(&b);
	route_alerts_metrics(dm, &b);
	if (ledger_open(dm->pl.cfg->ledger_dir, NULL, NULL, &dm->policy,
	        DAEMON_LEDGER_READ_WAIT_MS, &lg, &err) == RC_OK) {
		rc_buf_adds(&b,
		    "# HELP raccord_ledger_entries Entries in the signed "
		    "ledger.\n"
		    "# TYPE raccord_ledger_entries gauge\n");
		rc_buf_addf(&b, "raccord_ledger_entries %llu\n",
		    (unsigned long long)ledger_size(lg));
		ledger_close(lg);
	}
	if (b.data == NULL)
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	else
		ret = http_respond_raw(x, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", b.data, b.len,
		    NULL, 0);
	rc_buf_free(&b);
	return ret;
}

/*
 * 429 with Retry-After when key (prefix + value) used up its limit in
 * the window (seconds); 0 when allowed.
 */
static int
over_limit(struct http_ctx *x, const char *prefix, const char *value,
    long long limit, long long window, enum MHD_Result *ret)
{
	char key[RATELIMIT_KEY_MAX + 1], msg[200];
	long long retry;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(key, sizeof(key), "%s%s", prefix, value);
	if (ratelimit_take(&x->dm->rate, key, limit, window,
	        (long long)now.tv_sec, &retry))
		return 0;
	snprintf(msg, sizeof(msg),
	    "too many submissions for this %s (%lld per %s); nothing was "
	    "queued, retry later",
	    prefix[0] == 't' ? "token" : "SIREN", limit,
	    window == 60 ? "minute" : "hour");
	*ret = http_respond_json(x, MHD_HTTP_TOO_MANY_REQUESTS,
	    json_pack("{s:s}", "error", msg), NULL,
	    retry > INT_MAX ? INT_MAX : (int)retry);
	return 1;
}

/*
 * 400 for a refused submission (docs/openapi.yaml, InputErrors): "error"
 * is the first input error (what clients read before the list existed),
 * "errors" every one kept (at most RC_ERRS_KEEP, in the order found) and
 * "more_errors" how many more there were.  500 when the screening ran out
 * of memory.
 */
static enum MHD_Result
respond_input_errors(struct http_ctx *x, const struct rc_errs *errs)
{
	json_t *o, *list;
	size_t i;

	if (errs->code == RC_ENOMEM || errs->n == 0)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	if ((list = json_array()) == NULL)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	for (i = 0; i < rc_errs_kept(errs); i++)
		if (json_array_append_new(list, json_string(errs->e[i].msg)) !=
		    0) {
			json_decref(list);
			return http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		}
	o = json_pack("{s:s, s:o, s:I}", "error", errs->e[0].msg, "errors",
	    list, "more_errors", (json_int_t)rc_errs_more(errs));
	return http_respond_json(x, MHD_HTTP_BAD_REQUEST, o, NULL, 0);
}

static enum MHD_Result
post_dossier(struct http_ctx *x, struct http_req *rq)
{
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	struct rc_errs errs;
	struct dossier *d = NULL;
	char *canon = NULL, idem[65], id[STORE_ID_LEN + 1];
	const char *key;
	json_t *job = NULL, *state;
	struct rc_buf kb;
	enum MHD_Result ret;
	int existed, full, same = 0;

	if (over_limit(x, "token:", x->who.name, dm->pl.cfg->daemon_rate_token,
	        60, &ret))
		goto out;
	rc_errs_init(&errs);
	if (rq->body.len == 0) {
		RC_ERRS(&errs, RC_EINVAL,
		    "request body: a dossier (JSON) is required");
		ret = respond_input_errors(x, &errs);
		goto out;
	}
	if (daemon_dossier_screen(rq->body.data, rq->body.len, &canon, &d,
	        &errs) != RC_OK) {
		ret = respond_input_errors(x, &errs);
		goto out;
	}
	if (over_limit(x, "siren:", d->collectivite.siren,
	        dm->pl.cfg->daemon_rate_siren, 3600, &ret))
		goto out;
	/*
	 * Idempotency: the client's key, scoped to its token name, or else
	 * the canonical dossier itself (the same dossier sent again with
	 * other whitespace or key order is the same job).
	 */
	key = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (key != NULL) {
		if (key[0] == '\0' || strlen(key) > 255) {
			RC_ERRS(&errs, RC_EINVAL,
			    "Idempotency-Key: 1 to 255 characters");
			ret = respond_input_errors(x, &errs);
			goto out;
		}
		rc_buf_init(&kb, 512);
		if (rc_buf_addf(&kb, "key\n%s\n%s", x->who.name, key) !=
		        RC_OK ||
		    rc_sha256_hex(kb.data, kb.len, idem) != RC_OK) {
			rc_buf_free(&kb);
			ret = http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
			goto out;
		}
		rc_buf_free(&kb);
	} else if (rc_sha256_hex(canon, strlen(canon), idem) != RC_OK) {
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
		goto out;
	}
	vault_gate(dm->vault, 1);
	if (store_submit(dm->store, idem, canon, d->dossier_id,
	        d->collectivite.siren, x->who.name,
	        dm->pl.cfg->daemon_queue_max, id, &existed, &full,
	        &err) != RC_OK) {
		vault_gate(dm->vault, 0);
		log_error("job store: %s", err.msg);
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed; nothing was queued");
		goto out;
	}
	/*
	 * A known key must come with the same dossier and credentials: the
	 * key is the client's promise that this is the same request, so
	 * another body is refused, not a silent replacement of the job's
	 * credential (review finding).
	 */
	if (existed && !full &&
	    (store_same_dossier(dm->store, id, canon, &same, &err) != RC_OK ||
	        !same)) {
		vault_gate(dm->vault, 0);
		if (err.msg[0] != '\0') {
			log_error("job store: %s", err.msg);
			ret = http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the job store failed; nothing was queued");
		} else
			ret = http_respond_error(x,
			    MHD_HTTP_UNPROCESSABLE_CONTENT,
			    "Idempotency-Key: already used with another "
			    "dossier or another credential; nothing was "
			    "changed (send a new key for a new request)");
		goto out;
	}
	/* The job's credentials, in memory only (vault.c). */
	if (!full && vault_put(dm->vault, id, d, time(NULL)) != RC_OK) {
		vault_gate(dm->vault, 0);
		ret = http_respond_error(x, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    "this job holds another credential; nothing was changed");
		goto out;
	}
	vault_gate(dm->vault, 0);
	if (full) {
		ret = http_respond_json(x, MHD_HTTP_SERVICE_UNAVAILABLE,
		    json_pack("{s:s}", "error",
		        "the queue is full; nothing was queued, retry later"),
		    NULL, DAEMON_RETRY_AFTER);
		goto out;
	}
	if (existed) {
		if (store_get(dm->store, id, &job, &err) != RC_OK ||
		    job == NULL) {
			ret = http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the job store failed");
			goto out;
		}
		state = json_object_get(job, "state");
		ret = http_respond_json(x, MHD_HTTP_OK,
		    json_pack("{s:s, s:O}", "id", id, "state", state), NULL, 0);
		goto out;
	}
	log_info("job=%s state=queued dossier_id=%s siren=%s by=%s", id,
	    d->dossier_id, d->collectivite.siren, x->who.name);
	worker_kick(dm);
	ret = http_respond_json(x, MHD_HTTP_ACCEPTED,
	    json_pack("{s:s, s:s}", "id", id, "state", "queued"), NULL, 0);
out:
	json_decref(job);
	free(canon); /* json_dumps */
	dossier_free(d);
	return ret;
}

/* Selfcheck tokens see only the jobs they submitted. */
static int
may_see(const struct http_ctx *x, json_t *job)
{
	const char *by =
	    json_string_value(json_object_get(job, "submitted_by"));

	return x->who.role != CFG_ROLE_SELFCHECK ||
	    (by != NULL && strcmp(by, x->who.name) == 0);
}

/*
 * GET /v1/dossiers/{id}: from the answer cache (answer_cache.h) while
 * the store has not changed since the answer was built, else built from
 * the store (and kept).  The same bytes and headers either way; the role
 * rule (may_see) is applied to the cached submitter as to the stored one.
 */
static enum MHD_Result
get_dossier(struct http_ctx *x, const char *id)
{
	struct answer_cache *cache = &x->dm->answers;
	struct rc_err err = { 0 };
	struct MHD_Response *r = NULL;
	struct answer *a;
	unsigned long long gen;
	enum MHD_Result ret;
	const char *by;
	json_t *job = NULL;
	char *s = NULL;

	if ((a = answer_cache_get(cache, id, store_generation(x->dm->store))) !=
	    NULL) {
		if (x->who.role == CFG_ROLE_SELFCHECK &&
		    strcmp(a->by, x->who.name) != 0)
			ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
			    "no such job");
		else {
			http_note(x, MHD_HTTP_OK);
			ret = MHD_queue_response(x->c, MHD_HTTP_OK, a->r);
		}
		answer_release(cache, a);
		return ret;
	}
	if (store_get_at(x->dm->store, id, &job, &gen, &err) != RC_OK)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	if (job == NULL || !may_see(x, job)) {
		json_decref(job);
		return http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such job");
	}
	/* As http_respond_json would answer it, kept. */
	if ((s = json_dumps(job, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
	    (r = http_response_new(MHD_HTTP_OK, "application/json", s,
	         strlen(s), NULL)) == NULL) {
		ret = http_respond_raw(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "application/json", "{\"error\":\"out of memory\"}", 25,
		    NULL, 0);
		goto out;
	}
	by = json_string_value(json_object_get(job, "submitted_by"));
	http_note(x, MHD_HTTP_OK);
	if ((a = answer_cache_put(cache, id, by, gen, r, strlen(s))) != NULL) {
		r = NULL; /* transferred */
		ret = MHD_queue_response(x->c, MHD_HTTP_OK, a->r);
		answer_release(cache, a);
	} else
		ret = MHD_queue_response(x->c, MHD_HTTP_OK, r);
out:
	if (r != NULL)
		MHD_destroy_response(r);
	free(s); /* json_dumps */
	json_decref(job);
	return ret;
}

static enum MHD_Result
post_verify(struct http_ctx *x, const char *id)
{
	struct rc_err err = { 0 };
	json_t *job = NULL;
	int found, already;
	const char *by;

	/* A job of the public self-check page is never awarded. */
	if (store_get(x->dm->store, id, &job, &err) == RC_OK && job != NULL &&
	    (by = json_string_value(json_object_get(job, "submitted_by"))) !=
	        NULL &&
	    strcmp(by, SELFCHECK_BY) == 0) {
		json_decref(job);
		return http_respond_error(x, MHD_HTTP_CONFLICT,
		    "a job of the self-check page is never awarded; submit "
		    "the dossier with POST /v1/dossiers");
	}
	/* A DS dossier's job waiting for its API token: nothing to award. */
	if (job != NULL &&
	    (by = json_string_value(json_object_get(job, "state"))) != NULL &&
	    strcmp(by, "awaiting_credential") == 0) {
		json_decref(job);
		return http_respond_error(x, MHD_HTTP_CONFLICT,
		    "this job waits for its API token (a démarches-simplifiées "
		    "dossier: POST /v1/intake/ds/{number}/credential or the "
		    "self-check page); nothing was checked, nothing can be "
		    "awarded yet");
	}
	/* Closed: its DS dossier changed; the newer job is the one. */
	if (job != NULL &&
	    (by = json_string_value(json_object_get(job, "state"))) != NULL &&
	    strcmp(by, "superseded") == 0) {
		json_decref(job);
		return http_respond_error(x, MHD_HTTP_CONFLICT,
		    "this job was superseded: its démarches-simplifiées "
		    "dossier changed before its credential came (its error "
		    "names the newer job); nothing can be awarded");
	}
	json_decref(job);
	job = NULL;
	if (store_request_award(x->dm->store, id, x->who.name, &found, &already,
	        &err) != RC_OK) {
		log_error("job store: %s", err.msg);
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed; nothing was requested");
	}
	if (!found)
		return http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such job");
	if (store_get(x->dm->store, id, &job, &err) != RC_OK || job == NULL)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	if (!already) {
		log_info("job=%s award requested by=%s", id, x->who.name);
		worker_kick(x->dm);
	}
	return http_respond_json(x, already ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED,
	    job, NULL, 0);
}

static int
one_of(const char *v, const char *const *set)
{
	size_t i;

	for (i = 0; set[i] != NULL; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
get_dossiers(struct http_ctx *x)
{
	static const char *const states[] = { "queued", "running", "done",
		"error", "awaiting_credential", "superseded", NULL };
	static const char *const verdicts[] = { "verified", "failed",
		"inconclusive", NULL };
	const char *siren = http_query(x, "siren"),
	           *state = http_query(x, "state"),
	           *verdict = http_query(x, "verdict"), *s;
	unsigned long long after = 0, limit = 100;
	struct rc_err err = { 0 };
	json_t *out = NULL;
	size_t i;

	if (siren != NULL) {
		for (i = 0; siren[i] >= '0' && siren[i] <= '9'; i++)
			;
		if (i != 9 || siren[i] != '\0')
			return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			    "siren: 9 digits");
	}
	if (state != NULL && !one_of(state, states))
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "state: queued, running, done, error, "
		    "awaiting_credential or superseded");
	if (verdict != NULL && !one_of(verdict, verdicts))
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "verdict: verified, failed or inconclusive");
	if ((s = http_query(x, "after")) != NULL &&
	    !http_parse_u64(s, (unsigned long long)INT64_MAX, &after))
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "after: the \"next\" cursor of the previous page");
	if ((s = http_query(x, "limit")) != NULL &&
	    (!http_parse_u64(s, STORE_LIST_MAX, &limit) || limit == 0))
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "limit: 1 to 500");
	if (store_list(x->dm->store, siren, state, verdict, (long long)after,
	        (long long)limit, &out, &err) != RC_OK)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	return http_respond_json(x, MHD_HTTP_OK, out, NULL, 0);
}

static enum MHD_Result
ledger_fail(struct http_ctx *x, const struct rc_err *err)
{
	log_warn("ledger read: %s", err->msg);
	return http_respond_error(x,
	    err->code == RC_EBUSY ? MHD_HTTP_SERVICE_UNAVAILABLE
	                          : MHD_HTTP_INTERNAL_SERVER_ERROR,
	    "the ledger cannot be read now");
}

/* GET /v1/ledger/{checkpoint, entries, proof/N}. */
static enum MHD_Result
get_ledger(struct http_ctx *x, const char *what, const char *arg)
{
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	struct ledger *lg = NULL;
	unsigned long long start = 0, end = 0, seq, i;
	const char *note, *s;
	json_t *arr = NULL, *line;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len;
	uint64_t size;

	if (ledger_open(dm->pl.cfg->ledger_dir, NULL, NULL, &dm->policy,
	        DAEMON_LEDGER_READ_WAIT_MS, &lg, &err) != RC_OK)
		return ledger_fail(x, &err);
	size = ledger_size(lg);
	if (strcmp(what, "checkpoint") == 0) {
		note = ledger_checkpoint_note(lg, &len);
		ret = http_respond_raw(x, MHD_HTTP_OK,
		    "text/plain; charset=utf-8", note, len, NULL, 0);
	} else if (strcmp(what, "consistency") == 0) {
		if (!http_parse_u64(http_query(x, "from"), size, &start))
			ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			    "from: a tree size at most the current size");
		else if ((s = http_query(x, "to")) != NULL &&
		    (!http_parse_u64(s, UINT64_MAX, &end) || end != size))
			ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			    "to: proofs lead to the latest checkpoint; omit "
			    "to, or give its size");
		else if (ledger_consistency(lg, start, &text, &len, &err) !=
		    RC_OK)
			ret = err.code == RC_EINVAL
			    ? http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			          err.msg)
			    : ledger_fail(x, &err);
		else
			ret = http_respond_raw(x, MHD_HTTP_OK,
			    "text/plain; charset=utf-8", text, len, NULL, 0);
	} else if (strcmp(what, "proof") == 0) {
		if (!http_parse_u64(arg, UINT64_MAX - 1, &seq) || seq >= size)
			ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
			    "no such entry");
		else if (ledger_prove(lg, seq, &text, &len, &err) != RC_OK)
			ret = ledger_fail(x, &err);
		else
			ret = http_respond_raw(x, MHD_HTTP_OK,
			    "text/plain; charset=utf-8", text, len, NULL, 0);
	} else {
		if ((s = http_query(x, "start")) != NULL &&
		    !http_parse_u64(s, size, &start)) {
			ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			    "start: an entry number at most the tree size");
			goto out;
		}
		end = start + DAEMON_ENTRIES_MAX < size
		    ? start + DAEMON_ENTRIES_MAX
		    : size;
		if ((s = http_query(x, "end")) != NULL &&
		    (!http_parse_u64(s, size, &end) || end < start ||
		        end - start > DAEMON_ENTRIES_MAX)) {
			ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
			    "end: at least start, at most the tree size and "
			    "start + 1000");
			goto out;
		}
		if ((arr = json_array()) == NULL) {
			ret = http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
			goto out;
		}
		for (i = start; i < end; i++) {
			if (ledger_entry_line(lg, i, &text, &len, &err) !=
			    RC_OK) {
				ret = ledger_fail(x, &err);
				goto out;
			}
			line = json_stringn(text, len);
			rc_free(text);
			text = NULL;
			if (line == NULL || json_array_append_new(arr, line)) {
				ret = http_respond_error(x,
				    MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "out of memory");
				goto out;
			}
		}
		ret = http_respond_json(x, MHD_HTTP_OK,
		    json_pack("{s:I, s:I, s:I, s:O}", "size", (json_int_t)size,
		        "start", (json_int_t)start, "end", (json_int_t)end,
		        "entries", arr),
		    NULL, 0);
	}
out:
	json_decref(arr);
	rc_free(text);
	ledger_close(lg);
	return ret;
}

/*
 * POST /v1/awards/{seq}/revoke {"reason": "..."}: a revoke entry through
 * award_revoke, the ledger's append protocol (exclusive lock: one writer
 * at a time with the worker and the CLI).
 */
static enum MHD_Result
post_revoke(struct http_ctx *x, struct http_req *rq, const char *arg)
{
	static const char *const keys[] = { "reason", NULL };
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	struct ledger *lg = NULL;
	unsigned long long seq;
	const char *reason = NULL;
	uint64_t rseq = 0;
	json_t *body = NULL;
	enum MHD_Result ret;
	char siren[10];

	if (!http_parse_u64(arg, UINT64_MAX - 1, &seq)) {
		ret =
		    http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such entry");
		goto out;
	}
	if (rc_json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
	        "request body", &body, &err) != RC_OK ||
	    !json_is_object(body) ||
	    rc_json_only_keys(body, "", keys, &err) != RC_OK ||
	    rc_json_get_string(body, "", "reason", 1, 1, &reason, &err) !=
	        RC_OK) {
		ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    err.msg[0] ? err.msg
		               : "request body: {\"reason\": \"...\"} is "
		                 "required");
		goto out;
	}
	if (ledger_open(dm->pl.cfg->ledger_dir, dm->signer, NULL, &dm->policy,
	        LEDGER_LOCK_WAIT_MS, &lg, &err) != RC_OK) {
		ret = ledger_fail(x, &err);
		goto out;
	}
	if (seq >= ledger_size(lg)) {
		ret =
		    http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such entry");
		goto out;
	}
	switch (
	    award_revoke_by(lg, seq, reason, x->who.name, &rseq, siren, &err)) {
	case RC_OK:
		log_info("revoke seq=%llu siren=%s revoke_seq=%llu by=%s", seq,
		    siren, (unsigned long long)rseq, x->who.name);
		ret = http_respond_json(x, MHD_HTTP_OK,
		    json_pack("{s:I, s:I, s:s, s:s}", "revoked",
		        (json_int_t)seq, "seq", (json_int_t)rseq, "siren",
		        siren, "requested_by", x->who.name),
		    NULL, 0);
		break;
	case RC_EINVAL:
		ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST, err.msg);
		break;
	case RC_EPOLICY:
		ret = http_respond_error(x, MHD_HTTP_CONFLICT, err.msg);
		break;
	default:
		ret = ledger_fail(x, &err);
	}
out:
	ledger_close(lg);
	json_decref(body);
	return ret;
}

/* Remove dir and the plain files in it (an export's output). */
static void
remove_flat_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/*
 * GET /v1/ledger/export.csv and export.json: `raccord ledger export` into
 * a private temporary directory (the ledger verified against the key's
 * public half first), the file served, the directory removed.
 */
static enum MHD_Result
get_export(struct http_ctx *x, int csv)
{
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	char tmp[256], out[300], file[340], *data = NULL;
	const char *base = getenv("TMPDIR");
	enum MHD_Result ret;
	size_t len = 0;

	snprintf(tmp, sizeof(tmp), "%s/raccord-export.XXXXXX",
	    base != NULL && base[0] == '/' && strlen(base) < 200 ? base
	                                                         : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "no temporary directory for the export");
	snprintf(out, sizeof(out), "%s/x", tmp);
	snprintf(file, sizeof(file), "%s/%s", out,
	    csv ? "awards.csv" : "awards.json");
	if (ledger_export(dm->pl.cfg->ledger_dir, dm->vkey, &dm->policy, out,
	        &err) != RC_OK ||
	    ledger_read_file(file, LEDGER_MAX_EVIDENCE * 4, &data, &len,
	        &err) != RC_OK)
		ret = ledger_fail(x, &err);
	else
		ret = http_respond_raw(x, MHD_HTTP_OK,
		    csv ? "text/csv; charset=utf-8" : "application/json", data,
		    len, NULL, 0);
	rc_free(data);
	remove_flat_dir(out);
	rmdir(tmp);
	return ret;
}

/* --- dispatch ---------------------------------------------------------- */

/* Does path (without query) equal prefix + one segment [+ tail]? */
const char *
http_segment(const char *path, const char *prefix, size_t *n)
{
	size_t pl = strlen(prefix);
	const char *seg, *slash;

	if (strncmp(path, prefix, pl) != 0)
		return NULL;
	seg = path + pl;
	slash = strchr(seg, '/');
	*n = slash ? (size_t)(slash - seg) : strlen(seg);
	return *n > 0 ? seg : NULL;
}

/*
 * The route modules (http_int.h), asked in order after the core routes
 * below.
 */
static const http_route_fn routes[] = {
	route_intake,
	ds_credential_route,
	tiles_route,
	route_alerts,
	selfcheck_route,
	NULL,
};

static enum MHD_Result
dispatch(struct http_ctx *x, struct http_req *rq)
{
	const char *u = x->url, *m = x->method, *seg;
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	char id[STORE_ID_LEN + 1], arg[24];
	enum MHD_Result ret;
	size_t n, i;

	if (strcmp(u, "/healthz") == 0 || strcmp(u, "/readyz") == 0) {
		if (!get)
			return http_respond_method(x, "GET");
		return u[1] == 'h' ? get_healthz(x) : get_readyz(x);
	}
	if (strcmp(u, "/metrics") == 0 &&
	    x->dm->pl.cfg->daemon_metrics_listen == NULL) {
		if (!get)
			return http_respond_method(x, "GET");
		if (http_denied(x, R_INSTR | R_PAY | R_ADMIN, &ret))
			return ret;
		return http_get_metrics(x);
	}
	if (strcmp(u, "/v1/dossiers") == 0) {
		if (!get && !post)
			return http_respond_method(x, "GET, POST");
		if (http_denied(x,
		        post ? R_INSTR | R_ADMIN | R_SELF : R_INSTR | R_ADMIN,
		        &ret))
			return ret;
		return post ? post_dossier(x, rq) : get_dossiers(x);
	}
	if (route_conformance(x, rq, &ret)) /* /v1/dossiers/{id}/conformance */
		return ret;
	if ((seg = http_segment(u, "/v1/dossiers/", &n)) != NULL) {
		const char *tail = seg + n;
		int is_verify = strcmp(tail, "/verify") == 0;

		if (!http_is_job_id(seg, n) || (tail[0] != '\0' && !is_verify))
			return http_respond_error(x, MHD_HTTP_NOT_FOUND,
			    is_verify || tail[0] == '\0' ? "no such job"
			                                 : "no such route");
		memcpy(id, seg, n);
		id[n] = '\0';
		if (is_verify ? !post : !get)
			return http_respond_method(x,
			    is_verify ? "POST" : "GET");
		if (http_denied(x,
		        is_verify ? R_INSTR | R_ADMIN
		                  : R_INSTR | R_ADMIN | R_SELF,
		        &ret))
			return ret;
		return is_verify ? post_verify(x, id) : get_dossier(x, id);
	}
	if ((seg = http_segment(u, "/v1/awards/", &n)) != NULL) {
		if (strcmp(seg + n, "/revoke") != 0 || n >= sizeof(arg))
			return http_respond_error(x, MHD_HTTP_NOT_FOUND,
			    "no such route");
		if (!post)
			return http_respond_method(x, "POST");
		if (http_denied(x, R_INSTR | R_ADMIN, &ret))
			return ret;
		memcpy(arg, seg, n);
		arg[n] = '\0';
		return post_revoke(x, rq, arg);
	}
	if (strcmp(u, "/v1/ledger/export.csv") == 0 ||
	    strcmp(u, "/v1/ledger/export.json") == 0) {
		if (!get)
			return http_respond_method(x, "GET");
		if (http_denied(x, R_INSTR | R_PAY | R_ADMIN, &ret))
			return ret;
		return get_export(x, u[18] == 'c');
	}
	if (strcmp(u, "/v1/ledger/checkpoint") == 0 ||
	    strcmp(u, "/v1/ledger/entries") == 0 ||
	    strcmp(u, "/v1/ledger/consistency") == 0 ||
	    ((seg = http_segment(u, "/v1/ledger/proof/", &n)) != NULL &&
	        seg[n] == '\0' && n < sizeof(arg))) {
		if (!get)
			return http_respond_method(x, "GET");
		if (http_denied(x, R_INSTR | R_PAY | R_ADMIN, &ret))
			return ret;
		if (strncmp(u, "/v1/ledger/proof/", 17) == 0) {
			memcpy(arg, u + 17, n);
			arg[n] = '\0';
			return get_ledger(x, "proof", arg);
		}
		return get_ledger(x, u + 11, NULL);
	}
	for (i = 0; routes[i] != NULL; i++)
		if (routes[i](x, rq, &ret))
			return ret;
	return http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such route");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct http_ctx x;
	struct http_req *rq = *req_cls;
	const char *cl;
	unsigned long long clen;

	(void)version;
	memset(&x, 0, sizeof(x));
	x.dm = cls;
	x.c = c;
	x.method = method;
	x.url = url;
	if (rq == NULL) {
		/* First call: the headers. */
		if ((rq = rc_calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rc_buf_init(&rq->body, DAEMON_BODY_MAX);
		*req_cls = rq;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL &&
		    (!http_parse_u64(cl, UINT64_MAX, &clen) ||
		        clen > DAEMON_BODY_MAX)) {
			rq->too_big = 1;
			authenticate(&x);
			return http_respond_error(&x,
			    MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body: larger than 1048576 bytes");
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!rq->too_big &&
		    rc_buf_add(&rq->body, upload_data, *upload_data_size) !=
		        RC_OK)
			rq->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	authenticate(&x);
	if (rq->too_big)
		return http_respond_error(&x, MHD_HTTP_CONTENT_TOO_LARGE,
		    "request body: larger than 1048576 bytes");
	return dispatch(&x, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	rc_buf_free_secret(&rq->body); /* a submission may hold a token */
	rc_free(rq);
	*req_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("libmicrohttpd: %s", msg);
}

/* "host:port" or "[v6]:port" (directive what) into an address. */
enum rc_code
http_listen_addr(const char *what, const char *listen,
    struct sockaddr_storage *ss, int *v6, struct rc_err *err)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hl;
	int r;

	if (colon == NULL)
		return RC_ERR(err, RC_ECONFIG, "%s: no port", what);
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return RC_ERR(err, RC_ECONFIG, "%s: bad host", what);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
		return RC_ERR(err, RC_ECONFIG, "%s: %s: %s", what, listen,
		    gai_strerror(r));
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return RC_OK;
}

enum rc_code
http_start(struct daemon *dm, struct MHD_Daemon **out, struct rc_err *err)
{
	const struct cfg *cfg = dm->pl.cfg;
	struct sockaddr_storage ss;
	struct MHD_OptionItem opts[12];
	char *cert = NULL, *key = NULL;
	unsigned int flags;
	enum rc_code rc;
	size_t n = 0, len;
	int v6 = 0;

	*out = NULL;
	if ((rc = http_listen_addr("daemon.listen", cfg->daemon_listen, &ss,
	         &v6, err)) != RC_OK)
		return rc;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_ITC | MHD_USE_AUTO;
	if (v6)
		flags |= MHD_USE_IPv6;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
		(intptr_t)cfg->daemon_max_conns, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
		(intptr_t)cfg->daemon_conn_timeout, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		DAEMON_CONN_MEMORY, NULL };
	opts[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, 2, NULL };
	if (cfg->tls_cert != NULL) {
		if ((rc = ledger_read_file(cfg->tls_cert, 1 << 20, &cert, &len,
		         err)) != RC_OK ||
		    (rc = ledger_read_file(cfg->tls_key, 1 << 20, &key, &len,
		         err)) != RC_OK)
			goto out;
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
			0, cert };
		opts[n++] =
		    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	*out = MHD_start_daemon(flags, 0, NULL, NULL, handler, dm,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_ARRAY, opts,
	    MHD_OPTION_END);
	if (*out == NULL)
		rc = RC_ERR(err, RC_ESYS,
		    "daemon.listen: cannot listen on %s (in use, or not an "
		    "address of this host; libmicrohttpd says why above)",
		    cfg->daemon_listen);
out:
	if (key != NULL)
		rc_free_secret(key, strlen(key));
	rc_free(cert);
	return rc;
}
