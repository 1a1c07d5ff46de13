/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/alerts (route_alerts.h): instructor, payment and admin roles.
 * 200 {"alerts": [...]} (store_alerts); nothing here ever revokes.
 */
#include <string.h>

#include "common/log.h"
#include "connector/daemon/recheck.h"
#include "connector/daemon/route_alerts.h"

void
route_alerts_metrics(struct daemon *dm, struct rc_buf *b)
{
	unsigned long long n[RECHECK__MAX];
	long long alerting, scheduled;
	int i;

	store_recheck_counts(dm->store, &alerting, &scheduled);
	pthread_mutex_lock(&dm->mu);
	memcpy(n, dm->rechecks, sizeof(n));
	pthread_mutex_unlock(&dm->mu);
	if (alerting >= 0) {
		rc_buf_adds(b,
		    "# HELP raccord_recheck_alerts Awarded jobs listed under "
		    "GET /v1/alerts (failing re-checks in a row).\n"
		    "# TYPE raccord_recheck_alerts gauge\n");
		rc_buf_addf(b, "raccord_recheck_alerts %lld\n", alerting);
	}
	if (scheduled >= 0) {
		rc_buf_adds(b,
		    "# HELP raccord_recheck_scheduled Awarded jobs with a "
		    "re-check schedule.\n"
		    "# TYPE raccord_recheck_scheduled gauge\n");
		rc_buf_addf(b, "raccord_recheck_scheduled %lld\n", scheduled);
	}
	rc_buf_adds(b,
	    "# HELP raccord_rechecks_total Re-checks this process finished, "
	    "by outcome.\n"
	    "# TYPE raccord_rechecks_total counter\n");
	for (i = 0; i < RECHECK__MAX; i++)
		rc_buf_addf(b, "raccord_rechecks_total{outcome=\"%s\"} %llu\n",
		    recheck_outcome_str((enum recheck_outcome)i), n[i]);
}

int
route_alerts(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret)
{
	struct rc_err err = { 0 };
	json_t *out = NULL;

	(void)rq;
	if (strcmp(x->url, "/v1/alerts") != 0)
		return 0;
	if (strcmp(x->method, "GET") != 0) {
		*ret = http_respond_method(x, "GET");
		return 1;
	}
	if (http_denied(x, R_INSTR | R_PAY | R_ADMIN, ret))
		return 1;
	if (store_alerts(x->dm->store, &out, &err) != RC_OK) {
		log_error("job store: %s", err.msg);
		*ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
		return 1;
	}
	*ret = http_respond_json(x, MHD_HTTP_OK, out, NULL, 0);
	return 1;
}
