/* SPDX-License-Identifier: MIT */
/*
 * DataPass v1: request building, habilitation parsing and the guichet's
 * predicates (see api_datapass.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "apiclients/api_datapass.h"
#include "common/mem.h"

#define API_DATAPASS_MAX_BODY (4 * 1024 * 1024)

enum rc_code
api_datapass_url(const char *base, const char *path, char **out,
    struct rc_err *err)
{
	static const char v1[] = "/api/v1";
	char *full;
	size_t blen;
	enum rc_code rc;

	*out = NULL;
	if (base == NULL || path == NULL)
		return RC_ERR(err, RC_EINVAL, "no DataPass base URL");
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (blen >= sizeof(v1) - 1 &&
	    memcmp(base + blen - (sizeof(v1) - 1), v1, sizeof(v1) - 1) == 0)
		return api_url_join(base, path, out, err);
	if ((full = rc_malloc(sizeof(v1) + strlen(path))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "url");
	memcpy(full, v1, sizeof(v1) - 1);
	memcpy(full + sizeof(v1) - 1, path, strlen(path) + 1);
	rc = api_url_join(base, full, out, err);
	rc_free(full);
	return rc;
}

enum rc_code
api_datapass_token_request(const char *base, const char *client_id,
    const char *secret, size_t secret_len, struct api_request *out,
    struct rc_err *err)
{
	char *eid = NULL, *esec = NULL;
	size_t n;
	enum rc_code rc = RC_OK;

	api_request_init(out);
	if (client_id == NULL || !api_secret_ok(client_id, strlen(client_id)))
		return RC_ERR(err, RC_EINVAL,
		    "DataPass client_id is empty or malformed");
	if (!api_secret_ok(secret, secret_len) || secret_len > 4096)
		return RC_ERR(err, RC_EINVAL,
		    "DataPass client secret is empty or holds whitespace or "
		    "control bytes");
	if ((rc = api_datapass_url(base, "/oauth/token", &out->url, err)) !=
	    RC_OK)
		return rc;
	if ((eid = api_form_escape(client_id, strlen(client_id))) == NULL ||
	    (esec = api_form_escape(secret, secret_len)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "escape");
		goto out;
	}
	n = strlen("grant_type=client_credentials&client_id=&client_secret="
	           "&scope=" API_DATAPASS_SCOPE) +
	    strlen(eid) + strlen(esec);
	if ((out->body = rc_malloc(n + 1)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "body");
		goto out;
	}
	snprintf(out->body, n + 1,
	    "grant_type=client_credentials&client_id=%s&client_secret=%s"
	    "&scope=" API_DATAPASS_SCOPE,
	    eid, esec);
	out->body_len = n;
	out->method = "POST";
	out->content_type = "application/x-www-form-urlencoded";
	out->max_body = 64 * 1024;
	out->headers[0] = rc_strdup("Accept: application/json");
	if ((out->secret = rc_malloc(secret_len + 1)) != NULL) {
		memcpy(out->secret, secret, secret_len);
		out->secret[secret_len] = '\0';
	}
	if (out->headers[0] == NULL || out->secret == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "token request");
out:
	api_secret_free(eid);
	api_secret_free(esec);
	if (rc != RC_OK)
		api_request_cleanup(out);
	return rc;
}

static bool
siret_shape(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return i == 14;
}

enum rc_code
api_datapass_list_request(const char *base, const char *access_token,
    const char *siret, unsigned limit, unsigned long offset,
    struct api_request *out, struct rc_err *err)
{
	char *path = NULL;
	size_t n;
	enum rc_code rc = RC_OK;

	api_request_init(out);
	if (siret == NULL || !siret_shape(siret))
		return RC_ERR(err, RC_EINVAL, "SIRET must be 14 digits");
	if (access_token == NULL ||
	    !api_secret_ok(access_token, strlen(access_token)))
		return RC_ERR(err, RC_EINVAL, "no usable DataPass token");
	if (limit == 0 || limit > 1000)
		return RC_ERR(err, RC_EINVAL, "limit must be 1..1000");
	/* The query holds only digits and fixed names: nothing to escape
	 * but the brackets of state[], which curl_url keeps as sent. */
	n = 128;
	if ((path = rc_malloc(n)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "path");
	snprintf(path, n,
	    "/habilitations?siret=%s&state%%5B%%5D=active&limit=%u"
	    "&offset=%lu",
	    siret, limit, offset);
	if ((rc = api_datapass_url(base, "/habilitations", &out->url, err)) !=
	    RC_OK)
		goto out;
	{
		/* Append the query to the joined URL. */
		const char *q = strchr(path, '?');
		size_t ul = strlen(out->url), ql = strlen(q);
		char *u = rc_realloc(out->url, ul + ql + 1);

		if (u == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "url");
			goto out;
		}
		memcpy(u + ul, q, ql + 1);
		out->url = u;
	}
	out->method = "GET";
	out->max_body = API_DATAPASS_MAX_BODY;
	n = strlen("Authorization: Bearer ") + strlen(access_token) + 1;
	if ((out->headers[0] = rc_malloc(n)) != NULL)
		snprintf(out->headers[0], n, "Authorization: Bearer %s",
		    access_token);
	out->headers[1] = rc_strdup("Accept: application/json");
	out->secret = rc_strdup(access_token);
	if (out->headers[0] == NULL || out->headers[1] == NULL ||
	    out->secret == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "list request");
out:
	rc_free(path);
	if (rc != RC_OK)
		api_request_cleanup(out);
	return rc;
}

static int
digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

enum rc_code
api_datapass_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p = s;
	time_t t;

	if (s == NULL)
		return RC_EINVAL;
	memset(&tm, 0, sizeof(tm));
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1 || d > 31 ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return RC_EINVAL;
	p++;
	if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = digits(&p, 2)) < 0 || mi > 59 || *p++ != ':' ||
	    (se = digits(&p, 2)) < 0 || se > 60)
		return RC_EINVAL;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			return RC_EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if ((oh = digits(&p, 2)) < 0 || oh > 23)
			return RC_EINVAL;
		if (*p == ':')
			p++;
		if ((om = digits(&p, 2)) < 0 || om > 59)
			return RC_EINVAL;
	} else {
		return RC_EINVAL;
	}
	if (*p != '\0')
		return RC_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return RC_EINVAL;
	*out = t - (time_t)sign * (oh * 3600 + om * 60);
	return RC_OK;
}

static void
copy_str(json_t *v, char *out, size_t outlen)
{
	api_sanitize(json_string_value(v), json_string_length(v), out, outlen);
}

static enum rc_code
parse_item(json_t *it, size_t idx, struct api_habilitation *h,
    struct rc_err *err)
{
	json_t *id, *def, *state, *rev, *org, *siret, *slug, *created;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(it))
		return RC_ERR(err, RC_EPARSE,
		    "DataPass habilitations[%zu]: not an object", idx);
	id = json_object_get(it, "id");
	def = json_object_get(it, "definition_id");
	state = json_object_get(it, "state");
	rev = json_object_get(it, "revoked");
	if (!json_is_integer(id) || !json_is_string(def) ||
	    !json_is_string(state) || !json_is_boolean(rev))
		return RC_ERR(err, RC_EPARSE,
		    "DataPass habilitations[%zu]: id, definition_id, state "
		    "or revoked missing or mistyped",
		    idx);
	h->id = (long long)json_integer_value(id);
	copy_str(def, h->definition, sizeof(h->definition));
	copy_str(state, h->state, sizeof(h->state));
	h->revoked = json_is_true(rev);
	if (json_is_string(slug = json_object_get(it, "slug")))
		copy_str(slug, h->slug, sizeof(h->slug));
	/* The serializer says "organisation", the OpenAPI schema
	 * "organization" (national_apis.md §4): accept either. */
	org = json_object_get(it, "organisation");
	if (org == NULL)
		org = json_object_get(it, "organization");
	if (json_is_object(org) &&
	    json_is_string(siret = json_object_get(org, "siret")))
		copy_str(siret, h->siret, sizeof(h->siret));
	created = json_object_get(it, "created_at");
	if (!json_is_string(created) ||
	    api_datapass_parse_time(json_string_value(created),
	        &h->created_at) != RC_OK)
		h->created_at = 0;
	return RC_OK;
}

enum rc_code
api_datapass_list_parse(const char *body, size_t len,
    struct api_habilitation **out, size_t *n, struct rc_err *err)
{
	json_error_t jerr;
	json_t *doc, *it;
	struct api_habilitation *items = NULL;
	size_t i, count;
	enum rc_code rc = RC_OK;

	*out = NULL;
	*n = 0;
	doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return RC_ERR(err, RC_EPARSE,
		    "DataPass answer is not JSON (line %d: %s)", jerr.line,
		    jerr.text);
	if (!json_is_array(doc)) {
		rc = RC_ERR(err, RC_EPARSE,
		    "DataPass answer is not a JSON array of habilitations");
		goto out;
	}
	count = json_array_size(doc);
	if (count > 0 && (items = rc_calloc(count, sizeof(*items))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "habilitations");
		goto out;
	}
	json_array_foreach(doc, i, it)
	{
		if ((rc = parse_item(it, i, &items[i], err)) != RC_OK)
			goto out;
	}
	*out = items;
	*n = count;
	items = NULL;
out:
	rc_free(items);
	json_decref(doc);
	return rc;
}

bool
api_hab_is_active(const struct api_habilitation *h)
{
	/* "revoked" fait foi; "obsolete" was superseded by a newer one. */
	return !h->revoked && strcmp(h->state, "active") == 0;
}

bool
api_hab_siret_matches(const struct api_habilitation *h, const char *siret)
{
	return siret != NULL && h->siret[0] != '\0' &&
	    strcmp(h->siret, siret) == 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool
api_hab_is_production(const struct api_habilitation *h)
{
	return !ends_with(h->definition, "_sandbox");
}

bool
api_hab_in_window(const struct api_habilitation *h, time_t start, time_t end)
{
	if (start == 0 && end == 0)
		return true;
	if (h->created_at == 0)
		return false;
	if (start != 0 && h->created_at < start)
		return false;
	if (end != 0 && h->created_at > end)
		return false;
	return true;
}

/* Strip the stage suffix and the FranceConnect variant marker. */
static void
base_definition(const char *def, char *out, size_t outlen)
{
	static const char *const suffixes[] = { "_sandbox", "_production",
		"_fc" };
	size_t n = strlen(def), i;
	int again = 1;

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, def, n);
	out[n] = '\0';
	while (again) {
		again = 0;
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (ends_with(out, suffixes[i])) {
				out[strlen(out) - strlen(suffixes[i])] = '\0';
				again = 1;
			}
	}
}

bool
api_definition_eligible(const char *definition)
{
	/* francerelance_api_restreinte's list (national_apis.md §5). */
	static const char *const eligible[] = { "api_particulier",
		"api_entreprise", "preuve_covoiturage", "api_impot_particulier",
		"api_r2p", "api_ficoba", "api_droits_cnam", "le_taxi_clients",
		"le_taxi_chauffeurs", "le_taxi", "cartobio",
		"aidants_connect" };
	char base[64];
	size_t i;

	base_definition(definition, base, sizeof(base));
	for (i = 0; i < sizeof(eligible) / sizeof(eligible[0]); i++)
		if (strcmp(base, eligible[i]) == 0)
			return true;
	return false;
}

bool
api_hab_definition_matches(const struct api_habilitation *h, const char *api)
{
	char base[64];

	if (api == NULL)
		return false;
	base_definition(h->definition, base, sizeof(base));
	if (strcmp(api, "france_connect") == 0)
		return strcmp(base, "france_connect") == 0 ||
		    strcmp(base, "franceconnect") == 0;
	return strcmp(base, api) == 0;
}

static void
fmt_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "unknown");
		return;
	}
	strftime(out, outlen, "%Y-%m-%d", &tm);
}

enum api_hab_verdict
api_habilitation_judge(const struct api_habilitation *h, const char *api,
    const char *siret, int eligible_only, time_t start, time_t end, char *why,
    size_t whylen)
{
	char a[16], b[16], c[16];

	if (!api_hab_definition_matches(h, api)) {
		snprintf(why, whylen,
		    "habilitation %lld is for \"%s\", not \"%s\"", h->id,
		    h->definition, api);
		return API_HAB_OTHER_API;
	}
	if (eligible_only && !api_definition_eligible(h->definition)) {
		snprintf(why, whylen,
		    "habilitation %lld: definition \"%s\" is not on the "
		    "guichet's eligible list",
		    h->id, h->definition);
		return API_HAB_NOT_ELIGIBLE;
	}
	if (!api_hab_is_active(h)) {
		snprintf(why, whylen,
		    "habilitation %lld (%s) is not active: state \"%s\", "
		    "revoked %s",
		    h->id, h->definition, h->state,
		    h->revoked ? "true" : "false");
		return API_HAB_INACTIVE;
	}
	if (!api_hab_siret_matches(h, siret)) {
		snprintf(why, whylen,
		    "habilitation %lld (%s) belongs to SIRET %s, not to the "
		    "collectivité's SIRET %s",
		    h->id, h->definition, h->siret[0] ? h->siret : "(none)",
		    siret);
		return API_HAB_OTHER_SIRET;
	}
	if (!api_hab_is_production(h)) {
		snprintf(why, whylen,
		    "habilitation %lld is \"%s\", the sandbox stage; the "
		    "production stage is required",
		    h->id, h->definition);
		return API_HAB_SANDBOX;
	}
	if (!api_hab_in_window(h, start, end)) {
		fmt_time(h->created_at, a, sizeof(a));
		fmt_time(start, b, sizeof(b));
		fmt_time(end, c, sizeof(c));
		snprintf(why, whylen,
		    "habilitation %lld (%s) was validated on %s, outside the "
		    "policy window %s to %s",
		    h->id, h->definition, a, start ? b : "(open)",
		    end ? c : "(open)");
		return API_HAB_OUT_OF_WINDOW;
	}
	fmt_time(h->created_at, a, sizeof(a));
	snprintf(why, whylen,
	    "habilitation %lld (%s) is active, belongs to SIRET %s and was "
	    "validated on %s",
	    h->id, h->definition, h->siret, a);
	return API_HAB_OK;
}
