/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the conformance routes
 * (docs/api.md, docs/conformance.md "The daemon's job"), asked by
 * http.c before its /v1/dossiers/{id} routes.
 */
#ifndef RC_CONNECTOR_DAEMON_ROUTE_CONFORMANCE_H
#define RC_CONNECTOR_DAEMON_ROUTE_CONFORMANCE_H

#include "connector/daemon/http_int.h"

/*
 * POST /v1/dossiers/{id}/conformance/registration,
 * POST and GET /v1/dossiers/{id}/conformance.
 */
int route_conformance(struct http_ctx *x, struct http_req *rq,
    enum MHD_Result *ret);

#endif /* RC_CONNECTOR_DAEMON_ROUTE_CONFORMANCE_H */
