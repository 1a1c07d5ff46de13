/* SPDX-License-Identifier: MIT */
/*
 * The registration list of raccord-sim: one row per listener.  To add a
 * simulator, add its rows here (see the top of sim.h).  The order is the
 * order of the keys in the ports JSON.
 */
#include "tests/sim/sim.h"
#include "tests/sim/sim_api.h"

/* clang-format off */
const struct sim_module sim_modules[] = {
	{ "fc",                "fc.test",     "server",     fc_init,     fc_fini,     fc_handle },
	{ "portal",            "portal.test", "server",     portal_init, portal_fini, portal_handle },
	{ "portal_http",       "portal.test", NULL,         portal_init, portal_fini, portal_handle },
	{ "portal_expired",    "portal.test", "expired",    portal_init, portal_fini, portal_handle },
	{ "portal_wronghost",  "portal.test", "wronghost",  portal_init, portal_fini, portal_handle },
	{ "portal_selfsigned", "portal.test", "selfsigned", portal_init, portal_fini, portal_handle },
	{ "portal_soon",       "portal.test", "soon",       portal_init, portal_fini, portal_handle },
	{ "api_particulier",   "api-particulier.test", "server", sim_api_init, sim_api_fini, sim_api_particulier_handle },
	{ "api_entreprise",    "api-entreprise.test",  "server", sim_api_init, sim_api_fini, sim_api_entreprise_handle },
	{ "datapass",          "datapass.test",        "server", sim_datapass_init, sim_datapass_fini, sim_datapass_handle },
	{ "dgfip",             "dgfip.test",           "server", NULL,        NULL,        sim_dgfip_handle },
};
/* clang-format on */

const size_t sim_modules_count = sizeof(sim_modules) / sizeof(sim_modules[0]);
