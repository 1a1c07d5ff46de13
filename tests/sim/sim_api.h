/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim: the national API simulators (sim_api.c, sim_datapass.c,
 * sim_dgfip.c), registered in tests/sim/modules.c.  Their behaviour and
 * the scenario switches are documented in docs/apis.md ("Simulators").
 */
#ifndef RC_TESTS_SIM_SIM_API_H
#define RC_TESTS_SIM_SIM_API_H

#include "tests/sim/sim.h"

/* API Particulier v2/v3 (sim_api.c) */
sim_init_fn sim_api_init;
sim_fini_fn sim_api_fini;
sim_handler_fn sim_api_particulier_handle;
/* API Entreprise (sim_api.c, same state) */
sim_handler_fn sim_api_entreprise_handle;

/* DataPass v1 (sim_datapass.c) */
sim_init_fn sim_datapass_init;
sim_fini_fn sim_datapass_fini;
sim_handler_fn sim_datapass_handle;

/* DGFiP OAuth2 gateway (sim_dgfip.c) */
sim_handler_fn sim_dgfip_handle;

/* Shared by the three: a JSON response with the RateLimit-* headers and,
 * when retry_after >= 0, Retry-After.  Steals doc. */
enum MHD_Result sim_api_send(struct sim_req *req, unsigned int status,
    json_t *doc, long retry_after);

/* The "sub" claim of a JWT, or the token itself (a copy for rc_free). */
char *sim_api_token_case(const char *token, long long *exp);

#endif /* RC_TESTS_SIM_SIM_API_H */
