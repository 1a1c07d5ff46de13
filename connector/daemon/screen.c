/* SPDX-License-Identifier: MIT */
/*
 * A submitted dossier, screened before it is queued (daemon_int.h):
 * strict JSON (jansson, duplicate keys refused), bounded nesting, no
 * credential that names something of the server, then the CLI's own
 * parser (dossier_from_json) so that the messages are the CLI's; every
 * input error of the submission is reported at once.
 *
 * The credential model of issue 8 ("Dossiers are hostile"): a dossier
 * that arrives over HTTP must not make the daemon read a file or an
 * environment variable of the server (a confused deputy: another
 * collectivité's token file, the DataPass secret).  token_file,
 * token_env, client_secret_file and client_secret_env are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "connector/daemon/daemon_int.h"

#define WHERE 256

static enum rc_code
depth_check(json_t *v, const char *path, int depth, struct rc_err *err)
{
	char sub[WHERE];
	const char *key;
	json_t *x;
	size_t i;
	enum rc_code rc;

	if (!json_is_object(v) && !json_is_array(v))
		return RC_OK;
	if (depth > DAEMON_JSON_DEPTH)
		return RC_ERR(err, RC_EINVAL,
		    "%s: JSON nested deeper than %d levels",
		    path[0] ? path : "(top level)", DAEMON_JSON_DEPTH);
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			rc_json_path_index(sub, sizeof(sub), path, i);
			if ((rc = depth_check(x, sub, depth + 1, err)) != RC_OK)
				return rc;
		}
		return RC_OK;
	}
	json_object_foreach(v, key, x)
	{
		rc_json_path(sub, sizeof(sub), path, key);
		if ((rc = depth_check(x, sub, depth + 1, err)) != RC_OK)
			return rc;
	}
	return RC_OK;
}

/*
 * integrations[i]: no credential naming a server path or variable; every
 * one found is recorded in errs.
 */
static void
screen_credentials(json_t *root, struct rc_errs *errs)
{
	static const char *const server_refs[] = { "token_file", "token_env",
		"client_secret_file", "client_secret_env", NULL };
	json_t *ints = json_object_get(root, "integrations"), *in, *kind;
	char at[WHERE], sub[WHERE];
	size_t i, k;

	if (!json_is_array(ints))
		return; /* dossier_from_json names the problem */
	json_array_foreach(ints, i, in)
	{
		if (!json_is_object(in))
			continue;
		rc_json_path_index(at, sizeof(at), "integrations", i);
		for (k = 0; server_refs[k] != NULL; k++)
			if (json_object_get(in, server_refs[k]) != NULL) {
				rc_json_path(sub, sizeof(sub), at,
				    server_refs[k]);
				RC_ERRS(errs, RC_EINVAL,
				    "request body: %s: a dossier submitted to "
				    "the daemon never names a file or a "
				    "variable of the server",
				    sub);
			}
		kind = json_object_get(in, "kind");
		/*
		 * The verifier reads an API token only from token_file or
		 * token_env today; taking it from the submission, in memory
		 * only, waits for issue 8's verifier change.
		 */
		if (json_is_string(kind) &&
		    strcmp(json_string_value(kind), "api") == 0)
			RC_ERRS(errs, RC_EINVAL,
			    "request body: %s: national-API integrations are "
			    "not accepted by the daemon yet (the verifier "
			    "cannot take a token from a submission); check "
			    "them with `raccord check`",
			    at);
	}
}

enum rc_code
daemon_dossier_screen(const char *body, size_t len, char **canon,
    struct dossier **d, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	json_t *root = NULL;
	size_t before = errs->n;
	enum rc_code rc;

	*canon = NULL;
	*d = NULL;
	rc = rc_json_loadb(body, len, "request body", &root, &e);
	if (rc == RC_OK && !json_is_object(root))
		rc = RC_ERR(&e, RC_EINVAL,
		    "request body: a dossier must be a JSON object");
	if (rc == RC_OK)
		rc = depth_check(root, "", 1, &e);
	if (rc != RC_OK) { /* nothing more can be read from it */
		rc_errs_add(errs, &e);
		goto out;
	}
	/* Everything wrong at once: the daemon's rules, then the CLI's. */
	screen_credentials(root, errs);
	if ((rc = dossier_from_json(root, "request body", d, errs)) != RC_OK)
		goto out;
	if (errs->n > before) {
		rc = errs->code;
		goto out;
	}
	if ((*canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		rc = RC_ERRS(errs, RC_ENOMEM, "out of memory");
out:
	if (rc != RC_OK) {
		dossier_free(*d);
		*d = NULL;
	}
	json_decref(root);
	return rc;
}
