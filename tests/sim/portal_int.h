/* SPDX-License-Identifier: MIT */
/*
 * Private to the portal simulator (portal.c, portal_rp.c): the relying-
 * party half, which exchanges a code at the simulated FranceConnect and
 * checks what comes back, like a correct FS would.
 */
#ifndef RC_TESTS_SIM_PORTAL_INT_H
#define RC_TESTS_SIM_PORTAL_INT_H

#include "common/err.h"
#include "tests/sim/sim.h"

/* What a successful login yields; strings owned by the struct. */
struct portal_login {
	char *id_token;    /* kept for logout (id_token_hint) */
	char *sub;         /* pairwise subject */
	char *given_name;  /* from the signed userinfo */
	char *family_name; /* from the signed userinfo */
};

void portal_login_cleanup(struct portal_login *li);

/*
 * The FS side of the code flow against the simulated FC on ctx's "fc"
 * listener: POST /api/v2/token (client_secret_post), verify the ID token
 * (ES256 signature against FC's JWKS, iss, aud, exp, nonce, acr), then GET
 * /api/v2/userinfo and verify that JWT too.  TLS is verified with the test
 * CA; fc.test is pinned to the bind address with CURLOPT_RESOLVE, so
 * nothing but loopback is ever contacted.  RC_ENET/RC_EPARSE/RC_ECRYPTO
 * with err saying why.
 */
enum rc_code portal_rp_login(const struct sim_ctx *ctx, const char *client_id,
    const char *client_secret, const char *redirect_uri, const char *code,
    const char *nonce, struct portal_login *out, struct rc_err *err);

#endif /* RC_TESTS_SIM_PORTAL_INT_H */
