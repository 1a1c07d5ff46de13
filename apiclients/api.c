/* SPDX-License-Identifier: MIT */
/*
 * National API clients: the API table, request building and response
 * parsing (see api.h; facts from shared/reference/national_apis.md).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "apiclients/api.h"
#include "common/digest.h"
#include "common/json.h"
#include "common/mem.h"

#define API_PROOF_MAX_BODY (64 * 1024)
#define API_TOKEN_MAX_BODY (64 * 1024)

/*
 * The DGFiP gateways publish no host in their OpenAPI files ("servers":
 * "https://IP-GATEWAY/impotparticulier/1.0"), so their base URLs come from
 * the configuration (apis.<name>.<env>.base_url); the token endpoint path
 * is the gateway's "/token" [I].
 */
/* clang-format off */
static const struct api_info api_table[API__MAX] = {
	{ API_PARTICULIER, "api_particulier", "API Particulier",
	  API_AUTH_TOKEN,
	  { "https://particulier.api.gouv.fr",
	    "https://staging.particulier.api.gouv.fr" },
	  "/api/introspect", 1 },
	{ API_ENTREPRISE, "api_entreprise", "API Entreprise",
	  API_AUTH_TOKEN,
	  { "https://entreprise.api.gouv.fr",
	    "https://staging.entreprise.api.gouv.fr" },
	  "/privileges", 1 },
	{ API_IMPOT_PARTICULIER, "api_impot_particulier",
	  "API Impôt particulier (DGFiP)", API_AUTH_CLIENT_CREDENTIALS,
	  { NULL, NULL }, "/token", 0 },
	{ API_R2P, "api_r2p", "API R2P (DGFiP)", API_AUTH_CLIENT_CREDENTIALS,
	  { NULL, NULL }, "/token", 0 },
	{ API_FICOBA, "api_ficoba", "API FICOBA (DGFiP)",
	  API_AUTH_CLIENT_CREDENTIALS,
	  { NULL, NULL }, "/token", 0 },
};
/* clang-format on */

const struct api_info *
api_info_lookup(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < API__MAX; i++)
		if (strcmp(api_table[i].name, name) == 0)
			return &api_table[i];
	return NULL;
}

const struct api_info *
api_info_get(enum api_kind kind)
{
	if ((unsigned)kind >= API__MAX)
		return NULL;
	return &api_table[kind];
}

void
api_request_init(struct api_request *req)
{
	memset(req, 0, sizeof(*req));
}

void
api_secret_free(char *s)
{
	if (s == NULL)
		return;
	rc_free_secret(s, strlen(s));
}

void
api_request_cleanup(struct api_request *req)
{
	size_t i;

	rc_free(req->url);
	if (req->body != NULL)
		rc_free_secret(req->body, req->body_len);
	for (i = 0; i < API_REQ_MAX_HEADERS; i++)
		api_secret_free(req->headers[i]);
	api_secret_free(req->secret);
	api_request_init(req);
}

enum rc_code
api_url_join(const char *base, const char *path, char **out, struct rc_err *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *bpath = NULL, *query = NULL, *url = NULL;
	char *joined = NULL;
	size_t blen;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if (base == NULL || path == NULL || path[0] != '/')
		return RC_ERR(err, RC_EINVAL, "bad API base or path");
	if ((u = curl_url()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "curl_url");
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "API base URL \"%s\" is not an absolute http(s) URL", base);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		rc = RC_ERR(err, RC_EINVAL,
		    "API base URL \"%s\" must not carry a query", base);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &bpath, 0) != CURLUE_OK) {
		rc = RC_ERR(err, RC_ENOMEM, "curl_url_get");
		goto out;
	}
	blen = strlen(bpath);
	while (blen > 0 && bpath[blen - 1] == '/')
		blen--;
	if ((joined = rc_malloc(blen + strlen(path) + 1)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "url");
		goto out;
	}
	memcpy(joined, bpath, blen);
	memcpy(joined + blen, path, strlen(path) + 1);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_set(u, CURLUPART_PATH, joined, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		rc = RC_ERR(err, RC_EINVAL, "cannot join \"%s\" and \"%s\"",
		    base, path);
		goto out;
	}
	if ((*out = rc_strdup(url)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "url");
out:
	curl_free(scheme);
	curl_free(bpath);
	curl_free(query);
	curl_free(url);
	rc_free(joined);
	curl_url_cleanup(u);
	return rc;
}

bool
api_secret_ok(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* "<prefix><secret>" as a new string. */
static char *
concat_secret(const char *prefix, const char *s, size_t len)
{
	size_t plen = strlen(prefix);
	char *h;

	if ((h = rc_malloc(plen + len + 1)) == NULL)
		return NULL;
	memcpy(h, prefix, plen);
	memcpy(h + plen, s, len);
	h[plen + len] = '\0';
	return h;
}

enum rc_code
api_proof_request(const struct api_info *api, int version, const char *base,
    const char *token, size_t token_len, struct api_request *out,
    struct rc_err *err)
{
	const char *prefix;
	enum rc_code rc;

	api_request_init(out);
	if (api == NULL || api->auth != API_AUTH_TOKEN)
		return RC_ERR(err, RC_EINVAL,
		    "no token proof call for this API");
	if (!api_secret_ok(token, token_len))
		return RC_ERR(err, RC_EINVAL,
		    "token is empty or holds whitespace or control bytes");
	if ((rc = api_url_join(base, api->proof_path, &out->url, err)) != RC_OK)
		return rc;
	out->method = "GET";
	out->max_body = API_PROOF_MAX_BODY;
	/* API Particulier v2 reads X-Api-Key; v3 and API Entreprise read
	 * only "Authorization: Bearer" (never a query parameter). */
	if (api->kind == API_PARTICULIER && version == 2)
		prefix = "X-Api-Key: ";
	else
		prefix = "Authorization: Bearer ";
	out->headers[0] = concat_secret(prefix, token, token_len);
	out->headers[1] = rc_strdup("Accept: application/json");
	out->secret = concat_secret("", token, token_len);
	if (out->headers[0] == NULL || out->headers[1] == NULL ||
	    out->secret == NULL) {
		api_request_cleanup(out);
		return RC_ERR(err, RC_ENOMEM, "proof request");
	}
	return RC_OK;
}

char *
api_form_escape(const char *s, size_t len)
{
	char *e, *copy;

	if ((e = curl_easy_escape(NULL, s, (int)len)) == NULL)
		return NULL;
	copy = rc_strdup(e);
	OPENSSL_cleanse(e, strlen(e));
	curl_free(e);
	return copy;
}

enum rc_code
api_client_credentials_request(const char *token_url, const char *client_id,
    const char *secret, size_t secret_len, const char *scope,
    struct api_request *out, struct rc_err *err)
{
	char *eid = NULL, *esec = NULL, *pair = NULL, *b64 = NULL;
	char *escope = NULL;
	size_t n;
	enum rc_code rc = RC_OK;

	api_request_init(out);
	if (client_id == NULL || client_id[0] == '\0' ||
	    !api_secret_ok(client_id, strlen(client_id)))
		return RC_ERR(err, RC_EINVAL,
		    "client_id is empty or malformed");
	if (!api_secret_ok(secret, secret_len))
		return RC_ERR(err, RC_EINVAL,
		    "client secret is empty or holds whitespace or control "
		    "bytes");
	if (secret_len > INT_MAX / 4)
		return RC_ERR(err, RC_EINVAL, "client secret too long");
	if ((out->url = rc_strdup(token_url)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "token url");
	if ((eid = api_form_escape(client_id, strlen(client_id))) == NULL ||
	    (esec = api_form_escape(secret, secret_len)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "escape");
		goto out;
	}
	n = strlen(eid) + 1 + strlen(esec);
	if ((pair = rc_malloc(n + 1)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "credentials");
		goto out;
	}
	snprintf(pair, n + 1, "%s:%s", eid, esec);
	if ((rc = rc_base64_encode(pair, n, &b64)) != RC_OK) {
		rc = RC_ERR(err, rc, "base64");
		goto out;
	}
	out->method = "POST";
	out->content_type = "application/x-www-form-urlencoded";
	out->max_body = API_TOKEN_MAX_BODY;
	out->headers[0] =
	    concat_secret("Authorization: Basic ", b64, strlen(b64));
	out->headers[1] = rc_strdup("Accept: application/json");
	out->secret = rc_strdup(b64);
	if (scope != NULL) {
		if ((escope = api_form_escape(scope, strlen(scope))) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "escape");
			goto out;
		}
		n = strlen("grant_type=client_credentials&scope=") +
		    strlen(escope);
		if ((out->body = rc_malloc(n + 1)) != NULL)
			snprintf(out->body, n + 1,
			    "grant_type=client_credentials&scope=%s", escope);
	} else {
		out->body = rc_strdup("grant_type=client_credentials");
	}
	if (out->headers[0] == NULL || out->headers[1] == NULL ||
	    out->secret == NULL || out->body == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "token request");
		goto out;
	}
	out->body_len = strlen(out->body);
out:
	api_secret_free(eid);
	api_secret_free(esec);
	api_secret_free(pair);
	api_secret_free(b64);
	rc_free(escope);
	if (rc != RC_OK)
		api_request_cleanup(out);
	return rc;
}

const char *
api_result_str(enum api_result r)
{
	static const char *const names[API_RES__MAX] = { "live", "refused",
		"rate limited", "unavailable", "unexpected answer" };

	if ((unsigned)r >= API_RES__MAX)
		return "?";
	return names[r];
}

void
api_sanitize(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	unsigned char c;

	if (outlen == 0)
		return;
	for (i = 0; s != NULL && i < len && s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		if (o + 1 >= outlen)
			break;
		out[o++] = (char)c;
	}
	/* Do not leave half a UTF-8 sequence at the cut. */
	if (o > 0 && i < len && s[i] != '\0') {
		size_t k = o;

		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0x80))
			o = k - 1;
	}
	out[o] = '\0';
}

/* Copy a string member of obj, sanitised, or nothing. */
static void
take_str(json_t *obj, const char *key, char *out, size_t outlen)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		api_sanitize(json_string_value(v), json_string_length(v), out,
		    outlen);
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
}

static void
append_reason(struct api_finding *f, const char *s)
{
	size_t have = strlen(f->reason);
	char clean[240];

	if (s == NULL || s[0] == '\0')
		return;
	api_sanitize(s, strlen(s), clean, sizeof(clean));
	if (have > 0 && have + 2 < sizeof(f->reason)) {
		memcpy(f->reason + have, ": ", 3);
		have += 2;
	}
	if (have < sizeof(f->reason) - 1)
		api_sanitize(clean, strlen(clean), f->reason + have,
		    sizeof(f->reason) - have);
}

void
api_error_parse(const char *body, size_t len, struct api_finding *f)
{
	json_t *doc, *errors, *first;
	char title[120] = "", detail[200] = "";

	f->code[0] = '\0';
	f->reason[0] = '\0';
	if (body == NULL || len == 0)
		return;
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc))
		goto out;
	errors = json_object_get(doc, "errors");
	if (json_is_array(errors) && json_array_size(errors) > 0 &&
	    json_is_object(first = json_array_get(errors, 0))) {
		/* v3 / API Entreprise: code; DataPass: status. */
		take_str(first, "code", f->code, sizeof(f->code));
		if (f->code[0] == '\0')
			take_str(first, "status", f->code, sizeof(f->code));
		take_str(first, "title", title, sizeof(title));
		take_str(first, "detail", detail, sizeof(detail));
	} else if (json_object_get(doc, "error") != NULL) {
		/* v2 {error, reason, message}; OAuth2 {error,
		 * error_description}. */
		take_str(doc, "error", f->code, sizeof(f->code));
		take_str(doc, "reason", title, sizeof(title));
		take_str(doc, "message", detail, sizeof(detail));
		if (detail[0] == '\0')
			take_str(doc, "error_description", detail,
			    sizeof(detail));
	}
	append_reason(f, title);
	if (strcmp(title, detail) != 0)
		append_reason(f, detail);
out:
	json_decref(doc);
}

const char *
api_error_code_str(const char *code)
{
	/* clang-format off */
	static const struct { const char *code, *text; } codes[] = {
		{ "00100", "the token is valid but its privileges are "
			   "insufficient" },
		{ "00101", "the token is invalid, unknown or missing" },
		{ "00102", "the token has an old format no longer supported" },
		{ "00103", "the token has expired" },
		{ "00105", "the token is blacklisted (it leaked and was "
			   "revoked)" },
		{ "00429", "too many requests (rate limit)" },
		{ "invalid_client", "the client credentials were refused" },
		{ "unauthorized_client", "the client may not use "
					 "client_credentials" },
		{ "invalid_scope", "the requested scope was refused" },
	};
	/* clang-format on */
	size_t i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].text;
	return NULL;
}

bool
api_content_type_is_json(const char *ct)
{
	size_t n;
	const char *semi;

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	semi = strchr(ct, ';');
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n == strlen("application/json") &&
	    strncasecmp(ct, "application/json", n) == 0)
		return true;
	/* application/<something>+json (RFC 6839) */
	return n > strlen("application/+json") &&
	    strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + n - 5, "+json", 5) == 0;
}

static void
classify_status(long status, struct api_finding *f)
{
	if (status == 401 || status == 403)
		f->result = API_RES_DENIED;
	else if (status == 429)
		f->result = API_RES_RATE_LIMITED;
	else if (status >= 500 && status <= 599)
		f->result = API_RES_UNAVAILABLE;
	else
		f->result = API_RES_UNEXPECTED;
}

static void
finding_init(struct api_finding *f, long status)
{
	memset(f, 0, sizeof(*f));
	f->status = status;
}

/* The list of scopes or privileges in doc (or doc.data), or NULL. */
static json_t *
find_list(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key), *data;

	if (v == NULL && json_is_object(data = json_object_get(doc, "data")))
		v = json_object_get(data, key);
	return v;
}

void
api_proof_parse(const struct api_info *api, long status,
    const char *content_type, const char *body, size_t len,
    struct api_finding *f)
{
	const char *key;
	json_t *doc = NULL, *list, *v;
	size_t i, used = 0;
	char clean[96];

	finding_init(f, status);
	if (status != 200) {
		classify_status(status, f);
		api_error_parse(body, len, f);
		return;
	}
	f->result = API_RES_UNEXPECTED;
	if (!api_content_type_is_json(content_type)) {
		api_sanitize(content_type ? content_type : "none",
		    content_type ? strlen(content_type) : 4, clean,
		    sizeof(clean));
		snprintf(f->reason, sizeof(f->reason),
		    "the answer's content type is %s, not JSON", clean);
		return;
	}
	doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		snprintf(f->reason, sizeof(f->reason),
		    "the answer is not a JSON object");
		goto out;
	}
	key = api != NULL && api->kind == API_ENTREPRISE ? "privileges"
	                                                 : "scopes";
	list = find_list(doc, key);
	if (!json_is_array(list)) {
		snprintf(f->reason, sizeof(f->reason),
		    "the answer has no \"%s\" array", key);
		goto out;
	}
	json_array_foreach(list, i, v)
	{
		size_t n;

		if (!json_is_string(v))
			continue;
		f->nscopes++;
		api_sanitize(json_string_value(v), json_string_length(v), clean,
		    sizeof(clean));
		n = strlen(clean);
		if (used + n + 3 < sizeof(f->scopes)) {
			if (used > 0) {
				memcpy(f->scopes + used, ", ", 2);
				used += 2;
			}
			memcpy(f->scopes + used, clean, n + 1);
			used += n;
		}
	}
	if (f->nscopes == 0) {
		f->result = API_RES_DENIED;
		snprintf(f->reason, sizeof(f->reason),
		    "the token has no %s (empty \"%s\" list)", key, key);
		goto out;
	}
	api_org_from_json(doc, &f->org);
	f->result = API_RES_OK;
out:
	json_decref(doc);
}

enum rc_code
api_token_response_parse(long status, const char *content_type,
    const char *body, size_t len, char **access_token, long *expires_in,
    struct api_finding *f)
{
	json_t *doc = NULL, *at, *tt, *ei;
	char clean[96];
	enum rc_code rc = RC_OK;

	if (access_token != NULL)
		*access_token = NULL;
	if (expires_in != NULL)
		*expires_in = -1;
	finding_init(f, status);
	if (status != 200) {
		classify_status(status, f);
		/* RFC 6749 §5.2: a refused client is 400 or 401. */
		if (status == 400)
			f->result = API_RES_DENIED;
		api_error_parse(body, len, f);
		return RC_OK;
	}
	f->result = API_RES_UNEXPECTED;
	if (!api_content_type_is_json(content_type)) {
		api_sanitize(content_type ? content_type : "none",
		    content_type ? strlen(content_type) : 4, clean,
		    sizeof(clean));
		snprintf(f->reason, sizeof(f->reason),
		    "the token endpoint answered %s, not JSON", clean);
		return RC_OK;
	}
	doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		snprintf(f->reason, sizeof(f->reason),
		    "the token response is not a JSON object");
		goto out;
	}
	at = json_object_get(doc, "access_token");
	tt = json_object_get(doc, "token_type");
	if (!json_is_string(at) || json_string_length(at) == 0 ||
	    !api_secret_ok(json_string_value(at), json_string_length(at))) {
		snprintf(f->reason, sizeof(f->reason),
		    "the token response has no usable access_token");
		goto out;
	}
	if (!json_is_string(tt) ||
	    strcasecmp(json_string_value(tt), "bearer") != 0) {
		snprintf(f->reason, sizeof(f->reason),
		    "the token_type is not Bearer");
		goto out;
	}
	ei = json_object_get(doc, "expires_in");
	if (expires_in != NULL && json_is_integer(ei))
		*expires_in = (long)json_integer_value(ei);
	if (access_token != NULL &&
	    (*access_token = concat_secret("", json_string_value(at),
	         json_string_length(at))) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	f->result = API_RES_OK;
out:
	if (doc != NULL) {
		/* The access token is a secret: wipe jansson's copy too. */
		at = json_object_get(doc, "access_token");
		if (json_is_string(at))
			OPENSSL_cleanse(
			    (void *)(uintptr_t)json_string_value(at),
			    json_string_length(at));
	}
	json_decref(doc);
	return rc;
}

static bool
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v < 0)
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

enum rc_code
api_retry_after_parse(const char *value, time_t now, long *seconds)
{
	time_t t;
	long v;

	if (value == NULL)
		return RC_EINVAL;
	if (parse_long(value, &v)) {
		*seconds = v;
		return RC_OK;
	}
	/* HTTP-date (IMF-fixdate and the obsolete forms) */
	if ((t = curl_getdate(value, NULL)) == -1)
		return RC_EINVAL;
	*seconds = t > now ? (long)(t - now) : 0;
	return RC_OK;
}

void
api_ratelimit_parse(const char *limit, const char *remaining, const char *reset,
    const char *retry_after, time_t now, struct api_ratelimit *out)
{
	long v;

	out->limit = parse_long(limit, &v) ? v : -1;
	out->remaining = parse_long(remaining, &v) ? v : -1;
	out->reset = parse_long(reset, &v) ? (time_t)v : 0;
	if (api_retry_after_parse(retry_after, now, &v) == RC_OK)
		out->retry_after = v;
	else
		out->retry_after = -1;
	/* Some servers send RateLimit-Reset as delta-seconds; API
	 * Particulier and API Entreprise document a timestamp.  A small
	 * value cannot be a timestamp: read it as a delay. */
	if (out->reset > 0 && out->reset < 1000000000L)
		out->reset = now + out->reset;
}

long
api_ratelimit_wait(const struct api_ratelimit *rl, time_t now)
{
	long w = -1;

	if (rl->retry_after >= 0)
		w = rl->retry_after;
	else if (rl->reset > 0)
		w = rl->reset > now ? (long)(rl->reset - now) : 0;
	if (w >= 0 && w < 1)
		w = 1;
	return w;
}
