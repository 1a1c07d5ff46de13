/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/alerts (docs/api.md): awarded jobs whose re-checks failed or
 * were inconclusive RECHECK_ALERT_STREAK times in a row (recheck.h).
 */
#ifndef RC_CONNECTOR_DAEMON_ROUTE_ALERTS_H
#define RC_CONNECTOR_DAEMON_ROUTE_ALERTS_H

#include "common/buf.h"
#include "connector/daemon/http_int.h"

/* The route module (http_int.h, http_route_fn). */
int route_alerts(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret);

/* Its part of /metrics: alerting jobs, schedules, re-checks by outcome. */
void route_alerts_metrics(struct daemon *dm, struct rc_buf *b);

#endif /* RC_CONNECTOR_DAEMON_ROUTE_ALERTS_H */
