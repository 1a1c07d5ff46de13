/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: an authorization request URL through oidc_authreq_parse,
 * fc_authreq_judge (FC v2 production expectations), fc_random_judge on
 * its state and nonce, and fc_error_find on the raw bytes.  Must never
 * crash or leak, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/mem.h"
#include "oidc/authreq.h"
#include "oidc/fc_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fc_expect exp = {
		.authorization_endpoint =
		    "https://oidc.franceconnect.gouv.fr/api/v2/authorize",
		.client_id =
		    "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b"
		    "78985704f39950",
		.redirect_uri =
		    "https://demarches.mairie-exemple.fr/oidc/callback",
		.plus = 0,
		.production = 1,
	};
	struct oidc_authreq *req;
	struct fc_findings f;
	const char *states[2], *nonces[2];
	char code[16];
	char *url;

	(void)fc_error_find((const char *)data, size, code, sizeof(code));
	if ((url = rc_strndup((const char *)data, size)) == NULL)
		return 0;
	req = oidc_authreq_parse(url, NULL);
	if (req != NULL) {
		fc_findings_init(&f);
		(void)fc_authreq_judge(req, &exp, &f, NULL);
		states[0] = oidc_authreq_param(req, "state");
		nonces[0] = oidc_authreq_param(req, "nonce");
		/* A second "fetch": the duplicate, or the first again. */
		states[1] = oidc_authreq_param(req, "nonce");
		nonces[1] = oidc_authreq_param(req, "state");
		(void)fc_random_judge(states, nonces, 2, 1764350000, &f, NULL);
		(void)fc_entropy_bits(states[0]);
		fc_findings_cleanup(&f);
		oidc_authreq_free(req);
	}
	rc_free(url);
	return 0;
}
