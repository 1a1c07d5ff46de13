/* SPDX-License-Identifier: MIT */
/*
 * OpenID Connect Discovery 1.0 provider metadata; see discovery.h.
 */
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/json.h"
#include "common/mem.h"
#include "oidc/discovery.h"

#define WELL_KNOWN "/.well-known/openid-configuration"
#define PATH       "discovery"

static void
strlist_free(struct oidc_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		rc_free(l->v[i]);
	rc_free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
oidc_discovery_free(struct oidc_discovery *d)
{
	if (d == NULL)
		return;
	rc_free(d->issuer);
	rc_free(d->authorization_endpoint);
	rc_free(d->token_endpoint);
	rc_free(d->userinfo_endpoint);
	rc_free(d->end_session_endpoint);
	rc_free(d->jwks_uri);
	strlist_free(&d->acr_values_supported);
	strlist_free(&d->scopes_supported);
	strlist_free(&d->response_types_supported);
	strlist_free(&d->id_token_signing_alg_values_supported);
	rc_free(d);
}

int
oidc_strlist_has(const struct oidc_strlist *list, const char *s)
{
	size_t i;

	for (i = 0; list != NULL && s != NULL && i < list->n; i++)
		if (strcmp(list->v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Discovery §3: issuer is "a case-sensitive URL using the https scheme
 * with no query or fragment components"; the endpoints are URLs, and
 * §3 says they must use TLS (https).  Checked with curl_url.
 */
static enum rc_code
check_https_url(const char *key, const char *url, int is_issuer,
    struct rc_err *err)
{
	CURLU *h = NULL;
	CURLUcode uc;
	char *scheme = NULL, *part = NULL;
	enum rc_code rc = RC_OK;

	if ((h = curl_url()) == NULL)
		return RC_ERR(err, RC_ENOMEM, PATH ".%s: out of memory", key);
	uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		rc = RC_ERR(err, RC_ENOMEM, PATH ".%s: out of memory", key);
		goto out;
	}
	if (uc != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    strcasecmp(scheme, "https") != 0) {
		rc = RC_ERR(err, RC_EINVAL, PATH ".%s: must be an https URL",
		    key);
		goto out;
	}
	if (is_issuer &&
	    (curl_url_get(h, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	        curl_url_get(h, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK)) {
		rc = RC_ERR(err, RC_EINVAL,
		    PATH ".%s: must have no query or fragment "
		         "(OpenID Connect Discovery 1.0 section 3)",
		    key);
		goto out;
	}
out:
	curl_free(scheme);
	curl_free(part);
	curl_url_cleanup(h);
	return rc;
}

/* A string member, copied; optional ones may stay NULL. */
static enum rc_code
get_str(json_t *doc, const char *key, int required, int https, char **out,
    struct rc_err *err)
{
	const char *s = NULL;
	enum rc_code rc;

	rc = rc_json_get_string(doc, PATH, key, required, 1, &s, err);
	if (rc != RC_OK || s == NULL)
		return rc;
	if (https && (rc = check_https_url(key, s, 0, err)) != RC_OK)
		return rc;
	if ((*out = rc_strdup(s)) == NULL)
		return RC_ERR(err, RC_ENOMEM, PATH ".%s: out of memory", key);
	return RC_OK;
}

/* An array-of-strings member. */
static enum rc_code
get_list(json_t *doc, const char *key, int required, struct oidc_strlist *out,
    struct rc_err *err)
{
	json_t *arr = NULL, *e;
	size_t i;
	enum rc_code rc;

	rc = rc_json_get_array(doc, PATH, key, required, &arr, err);
	if (rc != RC_OK || arr == NULL)
		return rc;
	if (required && json_array_size(arr) == 0)
		return RC_ERR(err, RC_EINVAL, PATH ".%s: must not be empty",
		    key);
	if (json_array_size(arr) == 0)
		return RC_OK;
	out->v = rc_calloc(json_array_size(arr), sizeof(*out->v));
	if (out->v == NULL)
		return RC_ERR(err, RC_ENOMEM, PATH ".%s: out of memory", key);
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || rc_str_has_ctrl(json_string_value(e)))
			return RC_ERR(err, RC_EINVAL,
			    PATH ".%s[%zu]: must be a string", key, i);
		if ((out->v[i] = rc_strdup(json_string_value(e))) == NULL)
			return RC_ERR(err, RC_ENOMEM, PATH ".%s: out of memory",
			    key);
		out->n = i + 1;
	}
	return RC_OK;
}

enum rc_code
oidc_discovery_parse(const char *json, size_t len, const char *discovery_url,
    struct oidc_discovery **out, struct rc_err *err)
{
	struct oidc_discovery *d = NULL;
	json_t *doc = NULL;
	size_t ul, wl = strlen(WELL_KNOWN);
	enum rc_code rc;

	*out = NULL;
	if (discovery_url == NULL || (ul = strlen(discovery_url)) <= wl ||
	    strcmp(discovery_url + ul - wl, WELL_KNOWN) != 0)
		return RC_ERR(err, RC_EINVAL,
		    "discovery URL must end in " WELL_KNOWN);
	if (json == NULL || len > OIDC_DISCOVERY_MAX_BYTES)
		return RC_ERR(err, RC_EINVAL,
		    PATH ": document larger than %d bytes",
		    OIDC_DISCOVERY_MAX_BYTES);
	if ((rc = rc_json_loadb(json, len, PATH, &doc, err)) != RC_OK)
		goto out;
	if (!json_is_object(doc)) {
		rc = RC_ERR(err, RC_EPARSE, PATH ": must be a JSON object");
		goto out;
	}
	if ((d = rc_calloc(1, sizeof(*d))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, PATH ": out of memory");
		goto out;
	}
	/* §3 REQUIRED members, in document order of the spec. */
	if ((rc = get_str(doc, "issuer", 1, 0, &d->issuer, err)) != RC_OK)
		goto out;
	if ((rc = check_https_url("issuer", d->issuer, 1, err)) != RC_OK)
		goto out;
	/*
	 * §4.3: "The issuer value returned MUST be identical to the Issuer
	 * URL that was used as the prefix to /.well-known/openid-
	 * configuration to retrieve the configuration information."
	 */
	if (strlen(d->issuer) != ul - wl ||
	    strncmp(d->issuer, discovery_url, ul - wl) != 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    PATH ".issuer: \"%.200s\" is not the discovery URL "
		         "minus " WELL_KNOWN " (OpenID Connect Discovery 1.0 "
		         "section 4.3)",
		    d->issuer);
		goto out;
	}
	if ((rc = get_str(doc, "authorization_endpoint", 1, 1,
	         &d->authorization_endpoint, err)) != RC_OK ||
	    (rc = get_str(doc, "token_endpoint", 1, 1, &d->token_endpoint,
	         err)) != RC_OK ||
	    (rc = get_str(doc, "userinfo_endpoint", 0, 1, &d->userinfo_endpoint,
	         err)) != RC_OK ||
	    (rc = get_str(doc, "jwks_uri", 1, 1, &d->jwks_uri, err)) != RC_OK ||
	    (rc = get_str(doc, "end_session_endpoint", 0, 1,
	         &d->end_session_endpoint, err)) != RC_OK)
		goto out;
	if ((rc = get_list(doc, "response_types_supported", 1,
	         &d->response_types_supported, err)) != RC_OK ||
	    (rc = get_list(doc, "scopes_supported", 0, &d->scopes_supported,
	         err)) != RC_OK ||
	    (rc = get_list(doc, "acr_values_supported", 0,
	         &d->acr_values_supported, err)) != RC_OK ||
	    (rc = get_list(doc, "id_token_signing_alg_values_supported", 0,
	         &d->id_token_signing_alg_values_supported, err)) != RC_OK)
		goto out;
	/* §3: scopes_supported, when given, "MUST" include openid. */
	if (d->scopes_supported.n > 0 &&
	    !oidc_strlist_has(&d->scopes_supported, "openid")) {
		rc = RC_ERR(err, RC_EINVAL,
		    PATH ".scopes_supported: must include openid (OpenID "
		         "Connect Discovery 1.0 section 3)");
		goto out;
	}
	*out = d;
	d = NULL; /* transferred */
out:
	oidc_discovery_free(d);
	json_decref(doc);
	return rc;
}
