/* SPDX-License-Identifier: MIT */
/*
 * POST /v1/hooks/datapass (docs/intake.md, docs/api.md): DataPass tells
 * raccord that a habilitation changed.  Public route (DataPass holds no
 * bearer token): the body's HMAC-SHA256 under the configured secret is
 * the authentication, checked before anything else is read.  Then the
 * event must be fresh (intake.datapass.max_age_s) and new (the body's
 * SHA-256 is recorded in the job store; a replay is refused and changes
 * nothing).  A validated FranceConnect or API habilitation queues again
 * the latest finished job of each dossier of its SIRET, so the new
 * DataPass state is checked at once.
 *
 * Answers: 200 {"event", "action": "recheck"|"ignored", "requeued",
 * "why"}; 401 bad or missing signature; 400 malformed, stale or future
 * event; 409 already received; 404 when no secret is configured; 503
 * when the secret cannot be read (the log says why, never the value).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"
#include "common/log.h"
#include "connector/daemon/route_intake.h"
#include "connector/intake/intake.h"

enum dp_outcome {
	DP_RECHECK,
	DP_IGNORED,
	DP_BAD_SIGNATURE,
	DP_BAD_BODY,
	DP_REPLAY,
	DP_ERROR,
	DP__MAX
};
static const char *const dp_outcomes[DP__MAX] = { "recheck", "ignored",
	"bad_signature", "bad_body", "replay", "error" };
static pthread_mutex_t dp_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long dp_count[DP__MAX], dp_requeued;

static void
count(enum dp_outcome o, long long requeued)
{
	pthread_mutex_lock(&dp_mu);
	dp_count[o]++;
	dp_requeued += requeued > 0 ? (unsigned long long)requeued : 0;
	pthread_mutex_unlock(&dp_mu);
}

void
route_intake_metrics(struct rc_buf *b)
{
	unsigned long long n[DP__MAX], rq;
	int i;

	pthread_mutex_lock(&dp_mu);
	memcpy(n, dp_count, sizeof(n));
	rq = dp_requeued;
	pthread_mutex_unlock(&dp_mu);
	rc_buf_adds(b,
	    "# HELP raccord_intake_datapass_events_total Intake events "
	    "(DataPass webhooks) received, by outcome.\n"
	    "# TYPE raccord_intake_datapass_events_total counter\n");
	for (i = 0; i < DP__MAX; i++)
		rc_buf_addf(b,
		    "raccord_intake_datapass_events_total{"
		    "outcome=\"%s\"} %llu\n",
		    dp_outcomes[i], n[i]);
	rc_buf_adds(b,
	    "# HELP raccord_intake_datapass_requeued_total Jobs queued "
	    "again by intake events.\n"
	    "# TYPE raccord_intake_datapass_requeued_total counter\n");
	rc_buf_addf(b, "raccord_intake_datapass_requeued_total %llu\n", rq);
}

static enum MHD_Result
post_datapass(struct http_ctx *x, struct http_req *rq)
{
	const struct cfg *cfg = x->dm->pl.cfg;
	struct intake_dp_event ev;
	struct rc_err err = { 0 };
	char sha[RC_SHA256_HEX_LEN], desc[200], *secret = NULL;
	const char *sig;
	long long now = (long long)time(NULL), requeued = 0;
	enum MHD_Result ret;
	size_t slen = 0;
	bool ok;
	int seen = 0, full = 0;

	if (rc_sha256_hex(rq->body.data ? rq->body.data : "", rq->body.len,
	        sha) != RC_OK)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	if (intake_secret_read(cfg->intake_dp_secret_env,
	        cfg->intake_dp_secret_file, "intake.datapass", &secret, &slen,
	        &err) != RC_OK) {
		log_error("intake=datapass %s", err.msg);
		count(DP_ERROR, 0);
		return http_respond_error(x, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the webhook secret cannot be read; the daemon's log says "
		    "why");
	}
	sig = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    INTAKE_DP_SIG_HEADER);
	ok = intake_dp_signature_ok(secret, slen, rq->body.data, rq->body.len,
	    sig);
	intake_secret_free(secret, slen);
	if (!ok) {
		log_warn("intake=datapass refused=signature body_sha256=%.16s "
		         "header=%s",
		    sha, sig == NULL ? "absent" : "present");
		count(DP_BAD_SIGNATURE, 0);
		return http_respond_error(x, MHD_HTTP_UNAUTHORIZED,
		    INTAKE_DP_SIG_HEADER ": missing, or not the HMAC-SHA256 "
		                         "of the body under the webhook "
		                         "secret (sha256=<hex>)");
	}
	if (intake_dp_parse(rq->body.data, rq->body.len, &ev, &err) != RC_OK ||
	    intake_dp_fresh(ev.fired_at, now, cfg->intake_dp_max_age, &err) !=
	        RC_OK) {
		log_warn("intake=datapass refused=body body_sha256=%.16s %s",
		    sha, err.msg);
		count(DP_BAD_BODY, 0);
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST, err.msg);
	}
	snprintf(desc, sizeof(desc), "%s %s", ev.event, ev.model_type);
	if (store_intake_event_bounded(x->dm->store, "datapass", sha,
	        ev.fired_at, desc,
	        ev.action == INTAKE_DP_RECHECK ? ev.siret : NULL,
	        now - cfg->intake_dp_max_age - INTAKE_DP_FUTURE_SKEW,
	        cfg->daemon_queue_max, &seen, &full, &requeued,
	        &err) != RC_OK) {
		log_error("job store: %s", err.msg);
		count(DP_ERROR, 0);
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed; nothing was done, send it again");
	}
	if (full) {
		log_warn("intake=datapass refused=queue_full siret=%s "
		         "body_sha256=%.16s",
		    ev.siret, sha);
		count(DP_ERROR, 0);
		return http_respond_json(x, MHD_HTTP_SERVICE_UNAVAILABLE,
		    json_pack("{s:s}", "error",
		        "the queue is full; nothing was done, send the event "
		        "again later"),
		    NULL, DAEMON_RETRY_AFTER);
	}
	if (seen) {
		log_warn("intake=datapass refused=replay body_sha256=%.16s",
		    sha);
		count(DP_REPLAY, 0);
		return http_respond_error(x, MHD_HTTP_CONFLICT,
		    "this event was already received; nothing was done");
	}
	log_info("intake=datapass event=%s model_type=%s siret=%s action=%s "
	         "requeued=%lld body_sha256=%.16s",
	    ev.event, ev.model_type, ev.siret[0] ? ev.siret : "-",
	    ev.action == INTAKE_DP_RECHECK ? "recheck" : "ignored", requeued,
	    sha);
	count(ev.action == INTAKE_DP_RECHECK ? DP_RECHECK : DP_IGNORED,
	    requeued);
	if (requeued > 0)
		worker_kick(x->dm);
	ret = http_respond_json(x, MHD_HTTP_OK,
	    ev.action == INTAKE_DP_RECHECK
	        ? json_pack("{s:s, s:s, s:s, s:I}", "event", ev.event, "action",
	              "recheck", "siret", ev.siret, "requeued",
	              (json_int_t)requeued)
	        : json_pack("{s:s, s:s, s:s}", "event", ev.event, "action",
	              "ignored", "why", ev.why),
	    NULL, 0);
	return ret;
}

int
route_intake(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret)
{
	const struct cfg *cfg = x->dm->pl.cfg;

	if (strcmp(x->url, "/v1/hooks/datapass") != 0)
		return 0;
	if (cfg->intake_dp_secret_env == NULL &&
	    cfg->intake_dp_secret_file == NULL)
		*ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such route (DataPass webhooks are off: set "
		    "intake.datapass.secret_env or secret_file)");
	else if (strcmp(x->method, "POST") != 0)
		*ret = http_respond_method(x, "POST");
	else
		*ret = post_datapass(x, rq);
	return 1;
}
