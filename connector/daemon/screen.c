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
 * token_env, client_secret_file and client_secret_env are refused.  The
 * credential itself travels in the submission ("token", or
 * "client_secret" for the DGFiP APIs): it is taken out of the document,
 * which keeps only its SHA-256 ("credential_sha256"), and handed to the
 * vault in memory (vault.c); it is never stored.
 */
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/json.h"
#include "common/mem.h"
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

/* Credentials taken out of a submission, by integration. */
struct taken {
	char *bytes[DOSSIER_MAX_INTEGRATIONS]; /* owned, wiped */
	size_t len[DOSSIER_MAX_INTEGRATIONS];
};

static void
taken_wipe(struct taken *t)
{
	size_t i;

	for (i = 0; i < DOSSIER_MAX_INTEGRATIONS; i++)
		rc_free_secret(t->bytes[i], t->len[i]);
	memset(t, 0, sizeof(*t));
}

/*
 * integrations[i] of kind api, at path at: its inline credential (key
 * "token", or "client_secret" for a DGFiP API) into t, replaced in the
 * document by "credential_sha256".  Input errors into errs; RC_ENOMEM.
 */
static enum rc_code
take_credential(json_t *in, const char *at, size_t i, struct taken *t,
    struct rc_errs *errs)
{
	static const char *const dgfip_apis[] = { "api_impot_particulier",
		"api_r2p", "api_ficoba", NULL };
	const char *api = json_string_value(json_object_get(in, "api"));
	const char *key, *other;
	char sub[WHERE], hex[65];
	int dgfip = 0;
	json_t *v;
	size_t k, n;

	/* An unknown api is dossier_from_json's to name. */
	for (k = 0; api != NULL && dgfip_apis[k] != NULL; k++)
		dgfip |= strcmp(api, dgfip_apis[k]) == 0;
	key = dgfip ? "client_secret" : "token";
	other = dgfip ? "token" : "client_secret";
	v = json_object_get(in, key);
	if (json_object_get(in, other) != NULL) {
		rc_json_path(sub, sizeof(sub), at, other);
		RC_ERRS(errs, RC_EINVAL,
		    "request body: %s: %s takes its credential as \"%s\"", sub,
		    api ? api : "this API", key);
		json_object_del(in, other); /* reported; never parsed */
	}
	if (json_object_get(in, "credential_sha256") != NULL) {
		rc_json_path(sub, sizeof(sub), at, "credential_sha256");
		return RC_ERRS(errs, RC_EINVAL,
		    "request body: %s: set by the daemon; give the credential "
		    "as \"%s\"",
		    sub, key);
	}
	if (v == NULL)
		return RC_OK; /* no credential: the DataPass checks only */
	rc_json_path(sub, sizeof(sub), at, key);
	n = json_string_length(v);
	if (!json_is_string(v) || n == 0 || n > DAEMON_SECRET_MAX) {
		json_object_del(in, key);
		return RC_ERRS(errs, RC_EINVAL,
		    "request body: %s: a string of 1 to %d bytes", sub,
		    DAEMON_SECRET_MAX);
	}
	if ((t->bytes[i] = rc_malloc(n + 1)) == NULL)
		return RC_ERRS(errs, RC_ENOMEM, "out of memory");
	memcpy(t->bytes[i], json_string_value(v), n);
	t->bytes[i][n] = '\0';
	t->len[i] = n;
	if (rc_sha256_hex(t->bytes[i], n, hex) != RC_OK ||
	    json_object_set_new(in, "credential_sha256", json_string(hex)) ||
	    json_object_del(in, key) != 0)
		return RC_ERRS(errs, RC_ENOMEM, "out of memory");
	return RC_OK;
}

/*
 * integrations[i]: no credential naming a server path or variable (every
 * one found is recorded in errs); an inline API credential taken into t.
 * RC_ENOMEM, else RC_OK.
 */
static enum rc_code
screen_credentials(json_t *root, struct taken *t, struct rc_errs *errs)
{
	static const char *const server_refs[] = { "token_file", "token_env",
		"client_secret_file", "client_secret_env", NULL };
	json_t *ints = json_object_get(root, "integrations"), *in, *kind;
	char at[WHERE], sub[WHERE];
	size_t i, k;

	if (!json_is_array(ints))
		return RC_OK; /* dossier_from_json names the problem */
	json_array_foreach(ints, i, in)
	{
		if (!json_is_object(in) || i >= DOSSIER_MAX_INTEGRATIONS)
			continue; /* dossier_from_json names the problem */
		rc_json_path_index(at, sizeof(at), "integrations", i);
		for (k = 0; server_refs[k] != NULL; k++)
			if (json_object_get(in, server_refs[k]) != NULL) {
				rc_json_path(sub, sizeof(sub), at,
				    server_refs[k]);
				RC_ERRS(errs, RC_EINVAL,
				    "request body: %s: a dossier submitted to "
				    "the daemon never names a file or a "
				    "variable of the server; give the "
				    "credential itself (docs/api.md)",
				    sub);
			}
		kind = json_object_get(in, "kind");
		if (json_is_string(kind) &&
		    strcmp(json_string_value(kind), "api") == 0 &&
		    take_credential(in, at, i, t, errs) == RC_ENOMEM)
			return RC_ENOMEM;
	}
	return RC_OK;
}

enum rc_code
daemon_dossier_screen(const char *body, size_t len, char **canon,
    struct dossier **d, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	struct taken t;
	json_t *root = NULL;
	size_t before = errs->n, i;
	enum rc_code rc;

	memset(&t, 0, sizeof(t));
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
	if ((rc = screen_credentials(root, &t, errs)) != RC_OK ||
	    (rc = dossier_from_json_submitted(root, "request body", d, errs)) !=
	        RC_OK)
		goto out;
	if (errs->n > before) {
		rc = errs->code;
		goto out;
	}
	if ((*canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL) {
		rc = RC_ERRS(errs, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* The credentials, in memory, beside their fingerprints. */
	for (i = 0; i < (*d)->nintegrations && i < DOSSIER_MAX_INTEGRATIONS;
	     i++)
		if (t.bytes[i] != NULL) {
			(*d)->integrations[i].secret_mem = t.bytes[i];
			(*d)->integrations[i].secret_mem_len = t.len[i];
			t.bytes[i] = NULL; /* transferred */
			t.len[i] = 0;
		}
out:
	if (rc != RC_OK) {
		dossier_free(*d);
		*d = NULL;
	}
	taken_wipe(&t);
	json_decref(root);
	return rc;
}
