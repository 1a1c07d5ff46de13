/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: every parser of national-API and DataPass answers
 * (apiclients/), which read bytes a remote service chose: error bodies,
 * introspect/privileges answers, OAuth2 token responses, DataPass
 * habilitation pages, rate-limit headers and token JWTs.  The first byte
 * picks nothing: every parser sees every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "apiclients/api.h"
#include "apiclients/api_datapass.h"
#include "common/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct api_habilitation *habs = NULL;
	struct api_jwt_claims claims;
	struct api_ratelimit rl;
	struct api_finding f;
	struct rc_err err = { 0 };
	char *tok = NULL, *s;
	long exp = 0, secs = 0;
	size_t n = 0;

	memset(&f, 0, sizeof(f));
	api_error_parse(body, size, &f);
	memset(&f, 0, sizeof(f));
	api_proof_parse(api_info_lookup("api_particulier"), 200,
	    "application/json", body, size, &f);
	memset(&f, 0, sizeof(f));
	api_proof_parse(api_info_lookup("api_entreprise"), 200,
	    "application/json", body, size, &f);
	memset(&f, 0, sizeof(f));
	if (api_token_response_parse(200, "application/json", body, size, &tok,
	        &exp, &f) == RC_OK)
		api_secret_free(tok);
	if (api_datapass_list_parse(body, size, &habs, &n, &err) == RC_OK)
		rc_free(habs);
	api_jwt_looks_like(body, size);
	memset(&err, 0, sizeof(err));
	api_jwt_decode(body, size, &claims, &err);
	/* Header parsers take C strings. */
	if ((s = rc_strndup(body, size)) != NULL) {
		api_retry_after_parse(s, 1700000000, &secs);
		api_ratelimit_parse(s, s, s, s, 1700000000, &rl);
		api_ratelimit_wait(&rl, 1700000000);
		rc_free(s);
	}
	return 0;
}
