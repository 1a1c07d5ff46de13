/* SPDX-License-Identifier: MIT */
/*
 * The dossier: parsing and validation (shared/DESIGN.md section 3,
 * "Dossier"; docs/dossier.md).
 *
 * The parser is strict and says where: unknown keys, wrong types, empty
 * or control-character strings, bad identifiers and bad URLs are input
 * errors (RC_EINVAL) whose message starts with the JSON path.  Nothing
 * here touches the network or the file system beyond reading the dossier
 * itself: token_file and client_secret_file are recorded (relative names,
 * checked for syntax only), never opened.
 * A plain-http URL is accepted (the checks report it as a finding);
 * anything that is not an absolute http(s) URL is refused.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/ident.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/url.h"
#include "verifier/dossier.h"
#include "verifier/secret.h"

#define MAX_ID      128  /* dossier_id */
#define MAX_TEXT    256  /* names, client ids */
#define MAX_URL     2048 /* login_url, redirect_uri, ... */
#define MAX_FILE    4096 /* token_file, client_secret_file */
#define MAX_ENVNAME 128  /* token_env, client_secret_env */
#define WHERE       256  /* JSON path buffers */

static const char *const kind_names[DOSSIER_KIND__MAX] = {
	[DOSSIER_FRANCECONNECT] = "franceconnect",
	[DOSSIER_API] = "api",
};

static const char *const env_names[DOSSIER_ENV__MAX] = {
	[DOSSIER_ENV_PRODUCTION] = "production",
	[DOSSIER_ENV_INTEGRATION] = "integration",
};

static const char *const categories[] = { "commune", "epci", "departement",
	"region", "collectivite_outre_mer", "syndicat", "autre", NULL };

static const char *const apis[] = { "api_particulier", "api_entreprise",
	"api_impot_particulier", "api_r2p", "api_ficoba", NULL };

static const char *const top_keys[] = { "dossier_id", "collectivite",
	"paiement", "integrations", NULL };
static const char *const collectivite_keys[] = { "siren", "siret", "nom",
	"categorie", "code_insee", NULL };
static const char *const paiement_keys[] = { "titulaire", "iban", "bic", NULL };

/* Every key an integration may carry, whatever its kind. */
static const char *const integration_keys[] = { "kind", "environment", "plus",
	"client_id", "login_url", "redirect_uri", "post_logout_redirect_uri",
	"button_page_url", "logout_url", "api", "token_file", "token_env",
	"oauth_client_id", "client_secret_file", "client_secret_env",
	"api_version", NULL };
static const char *const fc_keys[] = { "kind", "environment", "plus",
	"client_id", "login_url", "redirect_uri", "post_logout_redirect_uri",
	"button_page_url", "logout_url", NULL };
static const char *const api_token_keys[] = { "kind", "environment", "api",
	"token_file", "token_env", "api_version", NULL };
static const char *const api_dgfip_keys[] = { "kind", "environment", "api",
	"oauth_client_id", "client_secret_file", "client_secret_env", NULL };

const char *
dossier_kind_str(enum dossier_kind k)
{
	if ((unsigned)k >= DOSSIER_KIND__MAX)
		return "unknown";
	return kind_names[k];
}

const char *
dossier_env_str(enum dossier_env e)
{
	if ((unsigned)e >= DOSSIER_ENV__MAX)
		return "unknown";
	return env_names[e];
}

static bool
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * Every parser below records each input error it finds in errs and goes
 * on, so that one pass reports all of them (docs/dossier.md, "Errors");
 * it stops only when memory runs out (RC_ENOMEM).  A helper that reads a
 * value returns its own code so that a caller can skip the checks that
 * depend on it.
 */

/* Hand the failure held in e (if any) to errs; return its code. */
static enum rc_code
keep(struct rc_errs *errs, struct rc_err *e)
{
	enum rc_code rc = rc_errs_add(errs, e);

	rc_err_clear(e);
	return rc;
}

static enum rc_code
nomem(struct rc_errs *errs)
{
	return RC_ERRS(errs, RC_ENOMEM, "out of memory");
}

/*
 * Copy the string obj[key] into *out (rc_free).  Absent and optional:
 * *out stays NULL.  Present: must be a non-empty string without control
 * characters and at most max bytes.
 */
static enum rc_code
get_str(json_t *obj, const char *path, const char *key, int required,
    size_t max, char **out, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	const char *s = NULL;
	char where[WHERE];

	if (rc_json_get_string(obj, path, key, required, 1, &s, &e) != RC_OK)
		return keep(errs, &e);
	if (s == NULL)
		return RC_OK;
	if (strlen(s) > max) {
		rc_json_path(where, sizeof(where), path, key);
		return RC_ERRS(errs, RC_EINVAL, "%s: longer than %zu bytes",
		    where, max);
	}
	if ((*out = rc_strdup(s)) == NULL)
		return nomem(errs);
	return RC_OK;
}

static enum rc_code
get_url(json_t *obj, const char *path, const char *key, int required,
    char **out, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	char where[WHERE];
	enum rc_code rc;

	rc = get_str(obj, path, key, required, MAX_URL, out, errs);
	if (rc != RC_OK || *out == NULL)
		return rc;
	rc_json_path(where, sizeof(where), path, key);
	rc_url_check(where, *out, 0, &e);
	return keep(errs, &e);
}

/* A POSIX-portable environment variable name. */
static enum rc_code
get_envname(json_t *obj, const char *path, const char *key, char **out,
    struct rc_errs *errs)
{
	char where[WHERE];
	enum rc_code rc;
	const char *p;

	rc = get_str(obj, path, key, 0, MAX_ENVNAME, out, errs);
	if (rc != RC_OK || *out == NULL)
		return rc;
	for (p = *out; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    *p == '_' || (p != *out && *p >= '0' && *p <= '9'))
			continue;
		rc_json_path(where, sizeof(where), path, key);
		return RC_ERRS(errs, RC_EINVAL,
		    "%s: not an environment variable name (letters, digits, "
		    "_; not starting with a digit)",
		    where);
	}
	return RC_OK;
}

/*
 * A string that must be one of list; *out borrows the list's entry (and
 * stays as it was when the key is absent or wrong).
 */
static enum rc_code
get_enum(json_t *obj, const char *path, const char *key, int required,
    const char *const *list, const char *what, const char **out,
    struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	const char *s = NULL, *guess;
	char where[WHERE], names[300];
	size_t i;

	if (rc_json_get_string(obj, path, key, required, 1, &s, &e) != RC_OK)
		return keep(errs, &e);
	if (s == NULL)
		return RC_OK;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0) {
			*out = list[i];
			return RC_OK;
		}
	rc_json_path(where, sizeof(where), path, key);
	guess = rc_suggest(s, list);
	rc_list_join(names, sizeof(names), list);
	return RC_ERRS(errs, RC_EINVAL,
	    "%s: unknown %s \"%.64s\"%s%s%s (one of: %s)", where, what, s,
	    guess ? "; did you mean \"" : "", guess ? guess : "",
	    guess ? "\"?" : "", names);
}

static void
integration_cleanup(struct dossier_integration *in)
{
	rc_free(in->client_id);
	rc_free(in->login_url);
	rc_free(in->redirect_uri);
	rc_free(in->post_logout_redirect_uri);
	rc_free(in->button_page_url);
	rc_free(in->logout_url);
	rc_free(in->api);
	rc_free(in->token_file);
	rc_free(in->token_env);
	rc_free(in->oauth_client_id);
	rc_free(in->client_secret_file);
	rc_free(in->client_secret_env);
	rc_free_secret(in->secret_mem, in->secret_mem_len);
}

void
dossier_free(struct dossier *d)
{
	size_t i;

	if (d == NULL)
		return;
	rc_free(d->dossier_id);
	rc_free(d->collectivite.siren);
	rc_free(d->collectivite.siret);
	rc_free(d->collectivite.nom);
	rc_free(d->collectivite.categorie);
	rc_free(d->collectivite.code_insee);
	rc_free(d->paiement.titulaire);
	rc_free(d->paiement.iban);
	rc_free(d->paiement.bic);
	for (i = 0; i < d->nintegrations; i++)
		integration_cleanup(&d->integrations[i]);
	rc_free(d->integrations);
	rc_free(d);
}

static enum rc_code
parse_collectivite(json_t *root, struct dossier *d, struct rc_errs *errs)
{
	static const char path[] = "collectivite";
	const char *why = NULL, *cat = NULL;
	struct rc_err e = { 0 };
	json_t *obj = NULL;
	int siren_ok = 0, siret_ok = 0;
	struct {
		const char *key;
		char **dst;
		size_t max;
	} strs[] = {
		{ "siren", &d->collectivite.siren, RC_SIREN_LEN * 4 },
		{ "siret", &d->collectivite.siret, RC_SIRET_LEN * 4 },
		{ "nom", &d->collectivite.nom, MAX_TEXT },
	};
	size_t i;

	if (rc_json_get_object(root, "", path, 1, &obj, &e) != RC_OK)
		return keep(errs, &e) == RC_ENOMEM ? RC_ENOMEM : RC_OK;
	rc_json_only_keys_all(obj, path, collectivite_keys, errs);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (get_str(obj, path, strs[i].key, 1, strs[i].max, strs[i].dst,
		        errs) == RC_ENOMEM)
			return RC_ENOMEM;
	if (d->collectivite.siren != NULL) {
		siren_ok = rc_siren_valid(d->collectivite.siren, &why);
		if (!siren_ok)
			RC_ERRS(errs, RC_EINVAL, "collectivite.siren: %.40s %s",
			    d->collectivite.siren, why);
	}
	if (d->collectivite.siret != NULL) {
		siret_ok = rc_siret_valid(d->collectivite.siret, &why);
		if (!siret_ok)
			RC_ERRS(errs, RC_EINVAL, "collectivite.siret: %.40s %s",
			    d->collectivite.siret, why);
	}
	if (siren_ok && siret_ok &&
	    !rc_siret_siren_match(d->collectivite.siret, d->collectivite.siren))
		RC_ERRS(errs, RC_EINVAL,
		    "collectivite.siret: %s does not start with the SIREN %s",
		    d->collectivite.siret, d->collectivite.siren);
	if (get_enum(obj, path, "categorie", 1, categories, "categorie", &cat,
	        errs) == RC_ENOMEM)
		return RC_ENOMEM;
	if (cat != NULL && (d->collectivite.categorie = rc_strdup(cat)) == NULL)
		return nomem(errs);
	if (get_str(obj, path, "code_insee", 0, 16, &d->collectivite.code_insee,
	        errs) == RC_ENOMEM)
		return RC_ENOMEM;
	if (d->collectivite.code_insee != NULL &&
	    !rc_cog_valid(d->collectivite.code_insee, &why))
		RC_ERRS(errs, RC_EINVAL,
		    "collectivite.code_insee: %.16s %s (INSEE commune code)",
		    d->collectivite.code_insee, why);
	return RC_OK;
}

static enum rc_code
parse_paiement(json_t *root, struct dossier *d, struct rc_errs *errs)
{
	static const char path[] = "paiement";
	char iban[RC_IBAN_MAX + 1];
	struct rc_err e = { 0 };
	const char *why = NULL;
	json_t *obj = NULL;
	char *p;

	/* Optional: a self-check needs no bank details; an award does
	 * (connector/payable.c refuses it: "no_bank_details"). */
	if (rc_json_get_object(root, "", path, 0, &obj, &e) != RC_OK)
		return keep(errs, &e) == RC_ENOMEM ? RC_ENOMEM : RC_OK;
	if (obj == NULL)
		return RC_OK;
	rc_json_only_keys_all(obj, path, paiement_keys, errs);
	if (get_str(obj, path, "titulaire", 1, MAX_TEXT, &d->paiement.titulaire,
	        errs) == RC_ENOMEM ||
	    get_str(obj, path, "iban", 1, 64, &d->paiement.iban, errs) ==
	        RC_ENOMEM ||
	    get_str(obj, path, "bic", 1, 16, &d->paiement.bic, errs) ==
	        RC_ENOMEM)
		return RC_ENOMEM;
	if (d->paiement.iban != NULL) {
		if (!rc_iban_normalise(d->paiement.iban, iban, sizeof(iban)))
			RC_ERRS(errs, RC_EINVAL,
			    "paiement.iban: must hold only letters, digits and "
			    "spaces, at most 34 characters without spaces");
		else if (!rc_iban_valid(iban, &why))
			RC_ERRS(errs, RC_EINVAL, "paiement.iban: the IBAN %s",
			    why);
		else /* shorter */
			memcpy(d->paiement.iban, iban, strlen(iban) + 1);
	}
	if (d->paiement.bic != NULL) {
		for (p = d->paiement.bic; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		if (!rc_bic_valid(d->paiement.bic, &why))
			RC_ERRS(errs, RC_EINVAL, "paiement.bic: %.16s %s",
			    d->paiement.bic, why);
	}
	return RC_OK;
}

/*
 * The keys an integration may carry, as far as its kind and API say (a
 * missing or unknown one: every integration key): the allowed values of
 * an "unknown key" message and its "did you mean".
 */
static const char *const *
keys_for(json_t *obj)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *api = json_string_value(json_object_get(obj, "api"));

	if (kind != NULL && strcmp(kind, "franceconnect") == 0)
		return fc_keys;
	if (kind == NULL || strcmp(kind, "api") != 0 || api == NULL ||
	    !in_list(apis, api))
		return integration_keys;
	if (strcmp(api, "api_particulier") == 0 ||
	    strcmp(api, "api_entreprise") == 0)
		return api_token_keys;
	return api_dgfip_keys;
}

/*
 * Key screening for one integration.  With allowed NULL: an inline
 * secret gets its own message and a key no integration knows is
 * "unknown".  With allowed set (the keys of this kind or API): a known
 * key that does not belong here says so (the others were reported by the
 * first pass).
 */
static void
screen_keys(json_t *obj, const char *path, const char *const *allowed,
    const char *owner, const char *hint, struct rc_errs *errs)
{
	const char *const *kind_keys = keys_for(obj);
	char where[WHERE], names[400];
	const char *key, *guess;
	json_t *val;

	json_object_foreach(obj, key, val)
	{
		(void)val;
		rc_json_path(where, sizeof(where), path, key);
		if (allowed != NULL) {
			if (in_list(integration_keys, key) &&
			    !in_list(allowed, key))
				RC_ERRS(errs, RC_EINVAL,
				    "%s: not used by %s%s%s", where, owner,
				    hint ? " " : "", hint ? hint : "");
			continue;
		}
		if (strcmp(key, "token") == 0 || strcmp(key, "api_key") == 0 ||
		    strcmp(key, "access_token") == 0)
			RC_ERRS(errs, RC_EINVAL,
			    "%s: tokens are never inline: use token_file or "
			    "token_env",
			    where);
		else if (strcmp(key, "client_secret") == 0 ||
		    strcmp(key, "secret") == 0 || strcmp(key, "password") == 0)
			RC_ERRS(errs, RC_EINVAL,
			    "%s: secrets are never inline: use "
			    "client_secret_file or client_secret_env",
			    where);
		else if (!in_list(integration_keys, key)) {
			guess = rc_suggest(key, kind_keys);
			rc_list_join(names, sizeof(names), kind_keys);
			RC_ERRS(errs, RC_EINVAL,
			    "%s: unknown key%s%s%s (allowed: %s)", where,
			    guess ? "; did you mean \"" : "",
			    guess ? guess : "", guess ? "\"?" : "", names);
		}
	}
}

/* Exactly one of a (file) and b (env) must be set. */
static void
one_of(const char *path, const char *ka, const char *a, const char *kb,
    const char *b, struct rc_errs *errs)
{
	if (a == NULL && b == NULL)
		RC_ERRS(errs, RC_EINVAL, "%s: one of %s or %s is required",
		    path, ka, kb);
	else if (a != NULL && b != NULL)
		RC_ERRS(errs, RC_EINVAL, "%s: give either %s or %s, not both",
		    path, ka, kb);
}

static enum rc_code
parse_fc(json_t *obj, struct dossier_integration *in, struct rc_errs *errs)
{
	const char *path = in->path;
	struct rc_err e = { 0 };

	screen_keys(obj, path, fc_keys, "kind franceconnect", NULL, errs);
	if (rc_json_get_bool(obj, path, "plus", 0, &in->plus, &e) != RC_OK &&
	    keep(errs, &e) == RC_ENOMEM)
		return RC_ENOMEM;
	if (get_str(obj, path, "client_id", 1, MAX_TEXT, &in->client_id,
	        errs) == RC_ENOMEM ||
	    get_url(obj, path, "login_url", 1, &in->login_url, errs) ==
	        RC_ENOMEM ||
	    get_url(obj, path, "redirect_uri", 1, &in->redirect_uri, errs) ==
	        RC_ENOMEM ||
	    get_url(obj, path, "post_logout_redirect_uri", 0,
	        &in->post_logout_redirect_uri, errs) == RC_ENOMEM ||
	    get_url(obj, path, "button_page_url", 0, &in->button_page_url,
	        errs) == RC_ENOMEM ||
	    get_url(obj, path, "logout_url", 0, &in->logout_url, errs) ==
	        RC_ENOMEM)
		return RC_ENOMEM;
	return RC_OK;
}

/*
 * A secret file name is relative to the dossier's own folder of the
 * operator's secrets directory (docs/decisions.md, "Credentials belong to
 * the dossier's owner"): an absolute path or a "." / ".." component is an
 * input error, said without touching the file system.
 */
static enum rc_code
get_secret_name(json_t *obj, const char *path, const char *key, char **out,
    struct rc_errs *errs)
{
	char where[WHERE];
	enum rc_code rc;

	if ((rc = get_str(obj, path, key, 0, MAX_FILE, out, errs)) != RC_OK ||
	    *out == NULL)
		return rc;
	if (secret_name_ok(*out))
		return RC_OK;
	rc_json_path(where, sizeof(where), path, key);
	return RC_ERRS(errs, RC_EINVAL,
	    "%s: must be a file name relative to the dossier's secrets "
	    "folder (<secrets.dir>/<SIRET>/<dossier_id>/): no leading '/', "
	    "no empty, \".\" or \"..\" component, at most %d components",
	    where, SECRET_MAX_DEPTH);
}

/*
 * Exactly one of the keys kfile and kenv: judged on the keys given, so
 * that a bad value (already reported) does not also read as missing.
 */
static void
one_of_keys(json_t *obj, const char *path, const char *kfile, const char *kenv,
    struct rc_errs *errs)
{
	one_of(path, kfile, json_object_get(obj, kfile) ? "" : NULL, kenv,
	    json_object_get(obj, kenv) ? "" : NULL, errs);
}

/* The credential of API Particulier or API Entreprise. */
static enum rc_code
parse_api_token(json_t *obj, struct dossier_integration *in,
    struct rc_errs *errs)
{
	if (get_secret_name(obj, in->path, "token_file", &in->token_file,
	        errs) == RC_ENOMEM ||
	    get_envname(obj, in->path, "token_env", &in->token_env, errs) ==
	        RC_ENOMEM)
		return RC_ENOMEM;
	one_of_keys(obj, in->path, "token_file", "token_env", errs);
	return RC_OK;
}

/* The OAuth client of a DGFiP API. */
static enum rc_code
parse_api_dgfip(json_t *obj, struct dossier_integration *in,
    struct rc_errs *errs)
{
	if (get_str(obj, in->path, "oauth_client_id", 1, MAX_TEXT,
	        &in->oauth_client_id, errs) == RC_ENOMEM ||
	    get_secret_name(obj, in->path, "client_secret_file",
	        &in->client_secret_file, errs) == RC_ENOMEM ||
	    get_envname(obj, in->path, "client_secret_env",
	        &in->client_secret_env, errs) == RC_ENOMEM)
		return RC_ENOMEM;
	one_of_keys(obj, in->path, "client_secret_file", "client_secret_env",
	    errs);
	return RC_OK;
}

/*
 * A submitted api integration (dossier_parse_submitted): no server file or
 * variable; cs, the optional fingerprint of the credential held in memory
 * (taken out of obj by parse_integration).  DGFiP: oauth_client_id.
 */
static enum rc_code
parse_api_submitted(json_t *obj, struct dossier_integration *in, json_t *cs,
    int dgfip, struct rc_errs *errs)
{
	static const char *const server[] = { "token_file", "token_env",
		"client_secret_file", "client_secret_env", NULL };
	char where[WHERE];
	const char *h;
	size_t i;

	for (i = 0; server[i] != NULL; i++)
		if (json_object_get(obj, server[i]) != NULL) {
			rc_json_path(where, sizeof(where), in->path, server[i]);
			RC_ERRS(errs, RC_EINVAL,
			    "%s: a submitted dossier never names a file or a "
			    "variable of the server",
			    where);
		}
	/*
	 * The client id goes with its secret: a DGFiP API without either
	 * (a DS dossier waiting for them, docs/intake.md) has only its
	 * DataPass checks, as a token API without its token.
	 */
	if (dgfip &&
	    get_str(obj, in->path, "oauth_client_id", cs != NULL, MAX_TEXT,
	        &in->oauth_client_id, errs) == RC_ENOMEM)
		return RC_ENOMEM;
	if (cs == NULL)
		return RC_OK;
	rc_json_path(where, sizeof(where), in->path, "credential_sha256");
	if ((h = json_string_value(cs)) == NULL) {
		RC_ERRS(errs, RC_EINVAL, "%s: must be a string", where);
		return RC_OK;
	}
	for (i = 0; h[i] != '\0'; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		        (h[i] >= 'a' && h[i] <= 'f')))
			break;
	if (i != 64 || h[i] != '\0')
		RC_ERRS(errs, RC_EINVAL, "%s: not 64 lowercase hex digits",
		    where);
	else
		memcpy(in->submitted_sha256, h, 65);
	return RC_OK;
}

static enum rc_code
parse_api(json_t *obj, struct dossier_integration *in, int submitted,
    json_t *cs, struct rc_errs *errs)
{
	const char *path = in->path, *api = NULL;
	struct rc_err e = { 0 };
	char where[WHERE];
	long long version = 3;
	int dgfip;

	/* parse_integration screened secrets and unknown keys already. */
	if (get_enum(obj, path, "api", 1, apis, "API", &api, errs) == RC_ENOMEM)
		return RC_ENOMEM;
	if (api == NULL)
		return RC_OK; /* which keys belong depends on the API */
	if ((in->api = rc_strdup(api)) == NULL)
		return nomem(errs);
	if (json_object_get(obj, "api_version") != NULL &&
	    strcmp(api, "api_particulier") != 0) {
		rc_json_path(where, sizeof(where), path, "api_version");
		RC_ERRS(errs, RC_EINVAL, "%s: only applies to api_particulier",
		    where);
	} else if (rc_json_get_int(obj, path, "api_version", 0, 2, 3, &version,
	               &e) != RC_OK &&
	    keep(errs, &e) == RC_ENOMEM)
		return RC_ENOMEM;
	in->api_version =
	    strcmp(api, "api_particulier") == 0 ? (int)version : 0;
	dgfip = strcmp(api, "api_particulier") != 0 &&
	    strcmp(api, "api_entreprise") != 0;
	if (!dgfip)
		screen_keys(obj, path, api_token_keys, api,
		    "(it takes token_file or token_env)", errs);
	else
		screen_keys(obj, path, api_dgfip_keys, api,
		    "(DGFiP APIs use oauth_client_id with client_secret_file "
		    "or client_secret_env)",
		    errs);
	if (submitted)
		return parse_api_submitted(obj, in, cs, dgfip, errs);
	return dgfip ? parse_api_dgfip(obj, in, errs)
	             : parse_api_token(obj, in, errs);
}

static enum rc_code
parse_integration_body(json_t *obj, struct dossier_integration *in,
    int submitted, json_t *cs, struct rc_errs *errs)
{
	const char *kind = NULL, *env = env_names[DOSSIER_ENV_PRODUCTION];
	static const char *const kinds[] = { "franceconnect", "api", NULL };
	static const char *const envs[] = { "production", "integration", NULL };

	/* Inline secrets and unknown keys first: they matter most. */
	screen_keys(obj, in->path, NULL, NULL, NULL, errs);
	if (get_enum(obj, in->path, "kind", 1, kinds, "kind", &kind, errs) ==
	        RC_ENOMEM ||
	    get_enum(obj, in->path, "environment", 0, envs, "environment", &env,
	        errs) == RC_ENOMEM)
		return RC_ENOMEM;
	in->env = strcmp(env, "integration") == 0 ? DOSSIER_ENV_INTEGRATION
	                                          : DOSSIER_ENV_PRODUCTION;
	if (kind == NULL)
		return RC_OK; /* which keys belong depends on the kind */
	in->kind =
	    strcmp(kind, "api") == 0 ? DOSSIER_API : DOSSIER_FRANCECONNECT;
	if (in->kind == DOSSIER_FRANCECONNECT && cs != NULL)
		RC_ERRS(errs, RC_EINVAL,
		    "%s.credential_sha256: only an api integration has one",
		    in->path);
	if (in->kind == DOSSIER_FRANCECONNECT)
		return parse_fc(obj, in, errs);
	return parse_api(obj, in, submitted, cs, errs);
}

static enum rc_code
parse_integration(json_t *obj, struct dossier_integration *in, int submitted,
    struct rc_errs *errs)
{
	json_t *cs = NULL;
	enum rc_code rc;

	if (!json_is_object(obj)) {
		RC_ERRS(errs, RC_EINVAL, "%s: must be an object", in->path);
		return RC_OK;
	}
	/* A submission's fingerprint: held aside, out of the key lists. */
	if (submitted &&
	    (cs = json_incref(json_object_get(obj, "credential_sha256"))) !=
	        NULL)
		json_object_del(obj, "credential_sha256");
	rc = parse_integration_body(obj, in, submitted, cs, errs);
	/* The caller's document is left as it was. */
	if (cs != NULL && json_object_set(obj, "credential_sha256", cs) != 0 &&
	    rc == RC_OK)
		rc = nomem(errs);
	json_decref(cs);
	return rc;
}

static enum rc_code
parse_integrations(json_t *root, struct dossier *d, int submitted,
    struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	json_t *arr = NULL;
	size_t i, n;

	if (rc_json_get_array(root, "", "integrations", 1, &arr, &e) != RC_OK)
		return keep(errs, &e) == RC_ENOMEM ? RC_ENOMEM : RC_OK;
	n = json_array_size(arr);
	if (n == 0) {
		RC_ERRS(errs, RC_EINVAL,
		    "integrations: must list at least one integration");
		return RC_OK;
	}
	if (n > DOSSIER_MAX_INTEGRATIONS) {
		RC_ERRS(errs, RC_EINVAL,
		    "integrations: at most %d integrations (got %zu)",
		    DOSSIER_MAX_INTEGRATIONS, n);
		return RC_OK;
	}
	if ((d->integrations = rc_calloc(n, sizeof(*d->integrations))) == NULL)
		return nomem(errs);
	for (i = 0; i < n; i++) {
		/* Counted first, so that dossier_free sees partial work. */
		d->nintegrations = i + 1;
		rc_json_path_index(d->integrations[i].path,
		    sizeof(d->integrations[i].path), "integrations", i);
		if (parse_integration(json_array_get(arr, i),
		        &d->integrations[i], submitted, errs) == RC_ENOMEM)
			return RC_ENOMEM;
	}
	return RC_OK;
}

/* Every section, each error recorded in errs (RC_ENOMEM stops). */
static enum rc_code
parse_sections(json_t *root, struct dossier *d, int submitted,
    struct rc_errs *errs)
{
	rc_json_only_keys_all(root, "", top_keys, errs);
	if (get_str(root, "", "dossier_id", 1, MAX_ID, &d->dossier_id, errs) ==
	        RC_ENOMEM ||
	    parse_collectivite(root, d, errs) == RC_ENOMEM ||
	    parse_paiement(root, d, errs) == RC_ENOMEM ||
	    parse_integrations(root, d, submitted, errs) == RC_ENOMEM)
		return RC_ENOMEM;
	return RC_OK;
}

static enum rc_code
from_json(json_t *root, const char *what, int submitted, struct dossier **out,
    struct rc_errs *errs)
{
	struct rc_errs local;
	struct dossier *d = NULL;

	*out = NULL;
	rc_errs_init(&local);
	if (!json_is_object(root))
		RC_ERRS(&local, RC_EINVAL, "(document): must be a JSON object");
	else if ((d = rc_calloc(1, sizeof(*d))) == NULL)
		nomem(&local);
	else
		parse_sections(root, d, submitted, &local);
	if (local.n > 0) {
		dossier_free(d);
		if (local.code != RC_ENOMEM)
			rc_errs_prefix(&local, what);
		return rc_errs_merge(errs, &local);
	}
	*out = d;
	d = NULL; /* transferred */
	return RC_OK;
}

enum rc_code
dossier_from_json(json_t *root, const char *what, struct dossier **out,
    struct rc_errs *errs)
{
	return from_json(root, what, 0, out, errs);
}

enum rc_code
dossier_from_json_submitted(json_t *root, const char *what,
    struct dossier **out, struct rc_errs *errs)
{
	return from_json(root, what, 1, out, errs);
}

static enum rc_code
parse_mem(const char *data, size_t len, const char *what, int submitted,
    struct dossier **out, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	json_t *root = NULL;
	enum rc_code rc;

	*out = NULL;
	if (what == NULL)
		what = "dossier";
	if (data == NULL)
		return RC_ERRS(errs, RC_EINVAL, "%s: no data", what);
	if (len > DOSSIER_MAX_BYTES)
		return RC_ERRS(errs, RC_EINVAL,
		    "%s: larger than the %d-byte limit", what,
		    DOSSIER_MAX_BYTES);
	if (rc_json_loadb(data, len, what, &root, &e) != RC_OK)
		return keep(errs, &e);
	rc = from_json(root, what, submitted, out, errs);
	json_decref(root);
	return rc;
}

enum rc_code
dossier_parse_all(const char *data, size_t len, const char *what,
    struct dossier **out, struct rc_errs *errs)
{
	return parse_mem(data, len, what, 0, out, errs);
}

enum rc_code
dossier_load_file_all(const char *file, struct dossier **out,
    struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	json_t *root = NULL;
	enum rc_code rc;

	*out = NULL;
	if (rc_json_load_file(file, DOSSIER_MAX_BYTES, &root, &e) != RC_OK)
		return keep(errs, &e);
	rc = dossier_from_json(root, file, out, errs);
	json_decref(root);
	return rc;
}

enum rc_code
dossier_parse(const char *data, size_t len, const char *what,
    struct dossier **out, struct rc_err *err)
{
	struct rc_errs errs;
	enum rc_code rc;

	rc_errs_init(&errs);
	if ((rc = dossier_parse_all(data, len, what, out, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	return rc;
}

enum rc_code
dossier_parse_submitted(const char *data, size_t len, const char *what,
    struct dossier **out, struct rc_err *err)
{
	struct rc_errs errs;
	enum rc_code rc;

	rc_errs_init(&errs);
	if ((rc = parse_mem(data, len, what, 1, out, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	return rc;
}

enum rc_code
dossier_load_file(const char *file, struct dossier **out, struct rc_err *err)
{
	struct rc_errs errs;
	enum rc_code rc;

	rc_errs_init(&errs);
	if ((rc = dossier_load_file_all(file, out, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	return rc;
}
