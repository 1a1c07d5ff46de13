/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the intake routes (docs/intake.md),
 * listed in http.c's route table.
 */
#ifndef RC_CONNECTOR_DAEMON_ROUTE_INTAKE_H
#define RC_CONNECTOR_DAEMON_ROUTE_INTAKE_H

#include "connector/daemon/http_int.h"

/* POST /v1/hooks/datapass: a signed DataPass webhook. */
int route_intake(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret);

/*
 * Append the intake counters to a /metrics page (Prometheus text):
 * raccord_intake_datapass_events_total{outcome=...} for
 * outcome recheck, ignored, bad_signature, bad_body, replay, error, and
 * raccord_intake_datapass_requeued_total.  Since start.
 */
void route_intake_metrics(struct rc_buf *b);

#endif /* RC_CONNECTOR_DAEMON_ROUTE_INTAKE_H */
