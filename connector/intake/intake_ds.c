/* SPDX-License-Identifier: MIT */
/*
 * démarches-simplifiées: the GraphQL documents raccord sends and the
 * mapping of a DS dossier to a raccord dossier (see intake.h).  Pure: no
 * I/O.  The documents live in connector/intake/ds_*.graphql, compiled in
 * by the Makefile, so that tests/dssim validates the very bytes sent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/ident.h"
#include "connector/intake/intake.h"
#include "ds_documents.h" /* generated: ds_dossiers, ds_annotate, ... */

static const char *const doc_names[INTAKE_DS_DOC__MAX] = {
	[INTAKE_DS_DOC_DOSSIERS] = "dossiers",
	[INTAKE_DS_DOC_ANNOTATE] = "annotate",
	[INTAKE_DS_DOC_INSTRUCT] = "instruct",
};

const char *
intake_ds_document(enum intake_ds_doc d)
{
	switch (d) {
	case INTAKE_DS_DOC_DOSSIERS:
		return ds_dossiers;
	case INTAKE_DS_DOC_ANNOTATE:
		return ds_annotate;
	case INTAKE_DS_DOC_INSTRUCT:
		return ds_instruct;
	default:
		return NULL;
	}
}

const char *
intake_ds_document_name(enum intake_ds_doc d)
{
	return (unsigned)d < INTAKE_DS_DOC__MAX ? doc_names[d] : "unknown";
}

static const char *const field_names[INTAKE_DS_FIELD__MAX] = {
	[INTAKE_DS_CLIENT_ID] = "client_id",
	[INTAKE_DS_LOGIN_URL] = "login_url",
	[INTAKE_DS_REDIRECT_URI] = "redirect_uri",
	[INTAKE_DS_POST_LOGOUT_REDIRECT_URI] = "post_logout_redirect_uri",
	[INTAKE_DS_BUTTON_PAGE_URL] = "button_page_url",
	[INTAKE_DS_KIND] = "kind",
	[INTAKE_DS_ENVIRONMENT] = "environment",
	[INTAKE_DS_CATEGORIE] = "categorie",
	[INTAKE_DS_IBAN] = "iban",
	[INTAKE_DS_BIC] = "bic",
	[INTAKE_DS_TITULAIRE] = "titulaire",
};

const char *
intake_ds_field_str(enum intake_ds_field f)
{
	return (unsigned)f < INTAKE_DS_FIELD__MAX ? field_names[f] : "unknown";
}

/*
 * The champ named by want (champDescriptorId first, then label) in
 * champs; *found says whether such a champ exists, the value is its
 * stringValue with surrounding blanks ignored (NULL or "" when empty).
 */
static const char *
champ_value(json_t *champs, const char *want, int *found)
{
	json_t *c;
	size_t i;
	const char *v = NULL;
	int pass;

	*found = 0;
	for (pass = 0; pass < 2 && !*found; pass++)
		json_array_foreach(champs, i, c)
		{
			const char *key = json_string_value(json_object_get(c,
			    pass == 0 ? "champDescriptorId" : "label"));

			if (key != NULL && strcmp(key, want) == 0) {
				*found = 1;
				v = json_string_value(
				    json_object_get(c, "stringValue"));
				break;
			}
		}
	return v;
}

/* Copy v without leading and trailing blanks into a new JSON string. */
static json_t *
trimmed(const char *v)
{
	size_t n;

	while (*v != '\0' && isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return json_stringn(v, n);
}

struct mapctx {
	json_t *champs;
	const struct intake_ds_mapping *m;
	long long number;
	struct rc_err *err;
};

/*
 * Field f into obj[key]: RC_OK when set or when optional and absent;
 * RC_EINVAL naming the champ when required and missing or empty.
 */
static enum rc_code
put(struct mapctx *c, json_t *obj, const char *key, enum intake_ds_field f,
    int required, int *set)
{
	const char *name = c->m->champ[f], *v;
	int found;

	if (set != NULL)
		*set = 0;
	if (name == NULL) {
		if (!required)
			return RC_OK;
		return RC_ERR(c->err, RC_EINVAL,
		    "DS dossier %lld: intake.ds.mapping.%s is not configured",
		    c->number, field_names[f]);
	}
	v = champ_value(c->champs, name, &found);
	if (v == NULL || v[strspn(v, " \t\r\n")] == '\0') {
		if (!required)
			return RC_OK;
		return RC_ERR(c->err, RC_EINVAL,
		    "DS dossier %lld: champ \"%s\" (%s) is %s", c->number, name,
		    field_names[f],
		    found ? "empty" : "missing from the dossier");
	}
	if (json_object_set_new(obj, key, trimmed(v)) != 0)
		return RC_ERR(c->err, RC_ENOMEM, "out of memory");
	if (set != NULL)
		*set = 1;
	return RC_OK;
}

/*
 * "FranceConnect" -> 0, "FranceConnect+" -> 1, an API -> 2, else -1;
 * for an API, *api is the raccord name of the ones a DS dossier can
 * name (those proved by a token: API Particulier, API Entreprise; those
 * proved by DGFiP client credentials: API Impôt particulier, R2P,
 * FICOBA, the France Relance list, national_apis.md §5), or NULL for
 * another one.  Accents, blanks, '-' and '_' are ignored.
 */
static int
kind_of(const char *v, const char **api)
{
	char k[64];
	size_t i, n = 0;

	for (i = 0; v[i] != '\0' && n + 1 < sizeof(k); i++) {
		/* ô (U+00F4, C3 B4): "Impôt" as "impot". */
		if ((unsigned char)v[i] == 0xc3 &&
		    (unsigned char)v[i + 1] == 0xb4) {
			k[n++] = 'o';
			i++;
		} else if (!isspace((unsigned char)v[i]) && v[i] != '-' &&
		    v[i] != '_')
			k[n++] = (char)tolower((unsigned char)v[i]);
	}
	k[n] = '\0';
	if (strcmp(k, "franceconnect") == 0)
		return 0;
	if (strcmp(k, "franceconnect+") == 0 ||
	    strcmp(k, "franceconnectplus") == 0)
		return 1;
	*api = NULL;
	if (strncmp(k, "api", 3) == 0) {
		if (strcmp(k, "apiparticulier") == 0)
			*api = "api_particulier";
		else if (strcmp(k, "apientreprise") == 0)
			*api = "api_entreprise";
		else if (strcmp(k, "apiimpotparticulier") == 0)
			*api = "api_impot_particulier";
		else if (strcmp(k, "apir2p") == 0)
			*api = "api_r2p";
		else if (strcmp(k, "apificoba") == 0)
			*api = "api_ficoba";
		return 2;
	}
	return -1;
}

enum rc_code
intake_ds_map(json_t *node, const struct intake_ds_mapping *m, json_t **json,
    struct dossier **out, struct rc_err *err)
{
	struct mapctx c = { 0 };
	json_t *d = NULL, *coll, *integ, *pay, *dem, *v;
	const char *siret, *nom, *why = NULL, *kindv, *envv, *api = NULL;
	char id[64], siren[10], what[64], *text = NULL;
	enum rc_code rc = RC_OK;
	int found, iban_set, kind;

	*json = NULL;
	*out = NULL;
	c.m = m;
	c.err = err;
	v = json_object_get(node, "number");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return RC_ERR(err, RC_EINVAL,
		    "DS dossier: no positive number in the answer");
	c.number = (long long)json_integer_value(v);
	c.champs = json_object_get(node, "champs");
	if (!json_is_array(c.champs))
		return RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: no champs in the answer", c.number);
	dem = json_object_get(node, "demandeur");
	siret = json_string_value(json_object_get(dem, "siret"));
	if (siret == NULL) {
		why = json_string_value(json_object_get(dem, "__typename"));
		return RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: the demandeur is not a personne morale "
		    "with a SIRET (%s)",
		    c.number, why != NULL ? why : "no demandeur");
	}
	if (!rc_siret_valid(siret, &why))
		return RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: demandeur SIRET %.20s: %s", c.number,
		    siret, why);
	memcpy(siren, siret, 9);
	siren[9] = '\0';
	nom = json_string_value(json_object_get(
	    json_object_get(dem, "entreprise"), "raisonSociale"));
	if (nom == NULL || nom[0] == '\0')
		return RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: the demandeur has no raisonSociale (DS "
		    "could not read the SIRET's entreprise)",
		    c.number);
	snprintf(id, sizeof(id), "DS-%lld-%lld", m->demarche, c.number);
	if ((d = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{}]}", "dossier_id", id,
	         "collectivite", "siren", siren, "siret", siret, "nom", nom,
	         "integrations")) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	coll = json_object_get(d, "collectivite");
	integ = json_array_get(json_object_get(d, "integrations"), 0);
	v = json_object_get(json_object_get(dem, "address"), "cityCode");
	if (json_is_string(v) && rc_cog_valid(json_string_value(v), NULL) &&
	    json_object_set(coll, "code_insee", v) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = put(&c, coll, "categorie", INTAKE_DS_CATEGORIE, 0, &found)) !=
	    RC_OK)
		goto out;
	if (!found &&
	    json_object_set_new(coll, "categorie",
	        json_string(m->default_categorie ? m->default_categorie
	                                         : "commune")) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* Kind: FranceConnect unless a mapped champ says otherwise. */
	kind = 0;
	if (m->champ[INTAKE_DS_KIND] != NULL &&
	    (kindv = champ_value(c.champs, m->champ[INTAKE_DS_KIND], &found)) !=
	        NULL &&
	    kindv[0] != '\0' && (kind = kind_of(kindv, &api)) < 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: champ \"%s\" (kind): \"%.64s\" is "
		    "neither FranceConnect, FranceConnect+ nor an API",
		    c.number, m->champ[INTAKE_DS_KIND], kindv);
		goto out;
	}
	/*
	 * An API: its token never travels through DS (docs/intake.md,
	 * "Credentials"); the dossier maps without one and its job waits
	 * for the collectivité to give it, naming the DS number.
	 */
	if (kind == 2 && api == NULL) {
		rc = RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: champ \"%s\" (kind): \"%.64s\": of the "
		    "national APIs, a DS dossier can name API Particulier, "
		    "API Entreprise, API Impôt particulier, API R2P or API "
		    "FICOBA (another one: submit it to raccord directly)",
		    c.number, m->champ[INTAKE_DS_KIND], kindv);
		goto out;
	}
	if (kind == 2
	        ? json_object_set_new(integ, "kind", json_string("api")) != 0 ||
	            json_object_set_new(integ, "api", json_string(api)) != 0
	        : json_object_set_new(integ, "kind",
	              json_string("franceconnect")) != 0 ||
	            (kind == 1 &&
	                json_object_set_new(integ, "plus", json_true()) != 0)) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	envv = m->champ[INTAKE_DS_ENVIRONMENT] != NULL
	    ? champ_value(c.champs, m->champ[INTAKE_DS_ENVIRONMENT], &found)
	    : NULL;
	if (envv != NULL && envv[0] != '\0' &&
	    json_object_set_new(integ, "environment",
	        json_string(strncasecmp(envv, "int", 3) == 0 ||
	                    strncasecmp(envv, "bac", 3) == 0
	                ? "integration"
	                : strncasecmp(envv, "prod", 4) == 0 ? "production"
	                                                    : envv)) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if (kind != 2 &&
	    ((rc = put(&c, integ, "client_id", INTAKE_DS_CLIENT_ID, 1, NULL)) !=
	            RC_OK ||
	        (rc = put(&c, integ, "login_url", INTAKE_DS_LOGIN_URL, 1,
	             NULL)) != RC_OK ||
	        (rc = put(&c, integ, "redirect_uri", INTAKE_DS_REDIRECT_URI, 1,
	             NULL)) != RC_OK ||
	        (rc = put(&c, integ, "post_logout_redirect_uri",
	             INTAKE_DS_POST_LOGOUT_REDIRECT_URI, 0, NULL)) != RC_OK ||
	        (rc = put(&c, integ, "button_page_url",
	             INTAKE_DS_BUTTON_PAGE_URL, 0, NULL)) != RC_OK))
		goto out;
	if ((pay = json_object()) == NULL ||
	    json_object_set_new(d, "paiement", pay) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = put(&c, pay, "iban", INTAKE_DS_IBAN, 0, &iban_set)) != RC_OK)
		goto out;
	if (!iban_set)
		json_object_del(d, "paiement");
	else if ((rc = put(&c, pay, "bic", INTAKE_DS_BIC, 1, NULL)) != RC_OK ||
	    (rc = put(&c, pay, "titulaire", INTAKE_DS_TITULAIRE, 0, &found)) !=
	        RC_OK)
		goto out;
	else if (!found &&
	    json_object_set_new(pay, "titulaire", json_string(nom)) != 0) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* The CLI's rules, with the DS dossier named in every message. */
	if ((text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "DS dossier %lld", c.number);
	/* As the daemon stores a submission: no credential, and no file or
	 * variable of the server (an API's token comes later, in memory). */
	if ((rc = dossier_parse_submitted(text, strlen(text), what, out,
	         err)) != RC_OK)
		goto out;
	*json = d;
	d = NULL; /* transferred */
out:
	free(text); /* json_dumps */
	json_decref(d);
	return rc;
}

bool
intake_ds_dgfip(const char *api)
{
	return api != NULL && strcmp(api, "api_particulier") != 0 &&
	    strcmp(api, "api_entreprise") != 0;
}

bool
intake_ds_awaiting_dgfip(const struct dossier *d)
{
	size_t i;

	for (i = 0; d != NULL && i < d->nintegrations; i++)
		if (d->integrations[i].kind == DOSSIER_API &&
		    intake_ds_dgfip(d->integrations[i].api))
			return true;
	return false;
}

bool
intake_ds_awaiting(const struct dossier *d)
{
	size_t i;

	for (i = 0; d != NULL && i < d->nintegrations; i++)
		if (d->integrations[i].kind == DOSSIER_API &&
		    d->integrations[i].submitted_sha256[0] == '\0')
			return true;
	return false;
}

enum rc_code
intake_ds_waiting_text(const char *public_url, long long number, bool dgfip,
    struct rc_buf *b)
{
	int n = 0;

	if (public_url != NULL)
		for (n = (int)strlen(public_url);
		     n > 0 && public_url[n - 1] == '/'; n--)
			;
	if (dgfip) {
		/* Client credentials (docs/apis.md): an id and a secret. */
		if (public_url != NULL)
			rc_buf_addf(b,
			    "raccord : en attente des identifiants DGFiP "
			    "(client_id et client_secret): déposez-les sur "
			    "%.*s/#jeton-ds avec le numéro de dossier %lld.\n"
			    "Un éditeur peut les envoyer à POST "
			    "%.*s/v1/intake/ds/%lld/credential.",
			    n, public_url, number, n, public_url, number);
		else
			rc_buf_addf(b,
			    "raccord : en attente des identifiants DGFiP "
			    "(client_id et client_secret): déposez-les sur la "
			    "page d'auto-vérification de raccord avec le "
			    "numéro de dossier %lld.",
			    number);
		rc_buf_adds(b,
		    "\nLe secret client ne passe jamais par "
		    "démarches-simplifiées ; la vérification commence dès "
		    "qu'il est reçu, et il n'est jamais conservé.");
		return b->overflow ? RC_ENOMEM : RC_OK;
	}
	if (public_url != NULL)
		rc_buf_addf(b,
		    "raccord : en attente du jeton: déposez-le sur "
		    "%.*s/#jeton-ds "
		    "avec le numéro de dossier %lld.\nUn éditeur peut "
		    "l'envoyer à POST %.*s/v1/intake/ds/%lld/credential.",
		    n, public_url, number, n, public_url, number);
	else
		rc_buf_addf(b,
		    "raccord : en attente du jeton: déposez-le sur la page "
		    "d'auto-vérification de raccord avec le numéro de dossier "
		    "%lld.",
		    number);
	rc_buf_adds(b,
	    "\nLe jeton d'API ne passe jamais par "
	    "démarches-simplifiées ; la vérification commence dès "
	    "qu'il est reçu, et il n'est jamais conservé.");
	return b->overflow ? RC_ENOMEM : RC_OK;
}

/* n digits at s as a number, or -1. */
static long
digits(const char *s, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

enum rc_code
intake_ds_time(const char *s, struct intake_ds_instant *t)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	long y, mo, d, h, mi, sec, oh, om;
	const char *p;
	struct tm tm;
	long long ns = 0, scale = 100000000;
	time_t base;
	int sign;

	memset(t, 0, sizeof(*t));
	/* YYYY-MM-DDTHH:MM:SS */
	if (s == NULL || strlen(s) < 20 || (y = digits(s, 4)) < 1970 ||
	    s[4] != '-' || (mo = digits(s + 5, 2)) < 1 || mo > 12 ||
	    s[7] != '-' || (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0 || sec > 60)
		return RC_EINVAL;
	p = s + 19;
	if (*p == '.' || *p == ',') { /* a fraction: up to nanoseconds */
		if (p[1] < '0' || p[1] > '9')
			return RC_EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += scale * (*p - '0');
			scale /= 10;
		}
	}
	/* Z, or an offset ±HH:MM (±HHMM) */
	if (*p == 'Z' || *p == 'z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if ((oh = digits(p + 1, 2)) < 0 || oh > 23)
			return RC_EINVAL;
		p += 3;
		if (*p == ':')
			p++;
		if ((om = digits(p, 2)) < 0 || om > 59)
			return RC_EINVAL;
		p += 2;
	} else
		return RC_EINVAL;
	if (*p != '\0')
		return RC_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	if ((base = timegm(&tm)) == (time_t)-1)
		return RC_EINVAL;
	t->s = (long long)base - sign * (oh * 3600 + om * 60);
	t->ns = ns;
	return RC_OK;
}

int
intake_ds_time_cmp(const struct intake_ds_instant *a,
    const struct intake_ds_instant *b)
{
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return 0;
}
