/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim: a DGFiP API gateway's OAuth2 token endpoint (RFC 6749
 * §4.4 client_credentials, client authenticated with HTTP Basic, §2.3.1;
 * errors §5.2).  POST /token only: raccord makes no data call.  Clients
 * (docs/apis.md): dgfip-valid / sim-dgfip-secret-5be2 is accepted;
 * dgfip-e502 gets a 502; dgfip-slow waits 2 s; anything else is
 * invalid_client.
 */
#include <string.h>
#include <strings.h>

#include "common/digest.h"
#include "common/mem.h"
#include "tests/sim/sim_api.h"

#define DGFIP_SECRET "sim-dgfip-secret-5be2"

static enum MHD_Result
oauth_error(struct sim_req *req, unsigned int status, const char *code,
    const char *desc)
{
	return sim_api_send(req, status,
	    json_pack("{s:s, s:s}", "error", code, "error_description", desc),
	    -1);
}

enum MHD_Result
sim_dgfip_handle(struct sim_req *req)
{
	const char *auth = sim_header(req, "Authorization");
	const char *gt = sim_form(req, "grant_type");
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	char *pair = NULL, *colon, tok[41];
	enum MHD_Result r;

	if (strcmp(req->url, "/token") != 0)
		return oauth_error(req, 404, "not_found", "no such route");
	if (strcmp(req->method, "POST") != 0)
		return oauth_error(req, 405, "invalid_request", "POST only");
	if (gt == NULL || strcmp(gt, "client_credentials") != 0)
		return oauth_error(req, 400, "unsupported_grant_type",
		    "grant_type must be client_credentials");
	if (auth == NULL || strncasecmp(auth, "Basic ", 6) != 0 ||
	    rc_base64_decode(auth + 6, &raw, &rawlen) != RC_OK)
		return oauth_error(req, 401, "invalid_client",
		    "Client Authentication failed.");
	if ((pair = rc_strndup((const char *)raw, rawlen)) == NULL) {
		rc_free(raw);
		return MHD_NO;
	}
	rc_free(raw);
	colon = strchr(pair, ':');
	if (colon == NULL) {
		r = oauth_error(req, 401, "invalid_client",
		    "Client Authentication failed.");
		goto out;
	}
	*colon = '\0';
	if (strcmp(pair, "dgfip-e502") == 0) {
		r = sim_send_text(req, 502, "text/html",
		    "<html><body>502 Bad Gateway</body></html>");
		goto out;
	}
	if (strcmp(pair, "dgfip-slow") == 0)
		sim_sleep_ms(req->l->ctx, 2000);
	if ((strcmp(pair, "dgfip-valid") != 0 &&
	        strcmp(pair, "dgfip-slow") != 0) ||
	    strcmp(colon + 1, DGFIP_SECRET) != 0) {
		r = oauth_error(req, 401, "invalid_client",
		    "Client Authentication failed.");
		goto out;
	}
	if (sim_random_hex(tok, 20) != RC_OK) {
		r = MHD_NO;
		goto out;
	}
	r = sim_api_send(req, 200,
	    json_pack("{s:s, s:s, s:s, s:i}", "access_token", tok, "scope",
	        "RessourceIRDerniere default", "token_type", "Bearer",
	        "expires_in", 3600),
	    -1);
out:
	rc_free(pair);
	return r;
}
