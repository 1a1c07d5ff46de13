/* SPDX-License-Identifier: MIT */
/*
 * Parse an authorization request URL (OpenID Connect Core 1.0 §3.1.2.1)
 * with libcurl's URL API; see authreq.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/mem.h"
#include "oidc/authreq.h"

struct oidc_param {
	char *name;
	char *value;
};

struct oidc_authreq {
	char *url;
	char *scheme;
	char *host;
	char *path;
	char *fragment; /* NULL when none */
	long port;
	struct oidc_param *params;
	size_t nparams;
	char **dups; /* names seen more than once, each listed once */
	size_t ndups;
};

void
oidc_authreq_free(struct oidc_authreq *req)
{
	size_t i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nparams; i++) {
		rc_free(req->params[i].name);
		rc_free(req->params[i].value);
	}
	rc_free(req->params);
	for (i = 0; i < req->ndups; i++)
		rc_free(req->dups[i]);
	rc_free(req->dups);
	rc_free(req->url);
	rc_free(req->scheme);
	rc_free(req->host);
	rc_free(req->path);
	rc_free(req->fragment);
	rc_free(req);
}

/*
 * Copy one URL part out of h into *out (rc_free).  A part curl says is
 * absent leaves *out NULL and is RC_OK; anything else curl refuses is
 * RC_EINVAL.
 */
static enum rc_code
url_part(CURLU *h, CURLUPart what, unsigned flags, char **out,
    struct rc_err *err)
{
	char *part = NULL;
	CURLUcode uc;
	enum rc_code rc = RC_OK;

	*out = NULL;
	uc = curl_url_get(h, what, &part, flags);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		rc = RC_ERR(err, RC_ENOMEM, "URL part: out of memory");
		goto out;
	}
	if (uc != CURLUE_OK)
		goto out; /* absent (no fragment, no query, ...) */
	if ((*out = rc_strdup(part)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "URL part: out of memory");
out:
	curl_free(part);
	return rc;
}

/*
 * Decode one query component as application/x-www-form-urlencoded
 * (HTML §application/x-www-form-urlencoded parsing: '+' is a space, then
 * percent-decoding with curl_easy_unescape).  A component that decodes to
 * a NUL byte is refused: C strings cannot carry it and no OIDC parameter
 * may contain one.
 */
static enum rc_code
form_decode(const char *s, size_t n, char **out, struct rc_err *err)
{
	char *plus = NULL, *dec = NULL;
	int outlen = 0;
	size_t i;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if ((plus = rc_strndup(s, n)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "query: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (plus[i] == '+')
			plus[i] = ' ';
	dec = curl_easy_unescape(NULL, plus, (int)n, &outlen);
	if (dec == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "query: out of memory");
		goto out;
	}
	if (outlen < 0 || strlen(dec) != (size_t)outlen) {
		rc = RC_ERR(err, RC_EINVAL,
		    "query: a parameter decodes to a NUL byte (%%00)");
		goto out;
	}
	if ((*out = rc_strndup(dec, (size_t)outlen)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "query: out of memory");
out:
	curl_free(dec);
	rc_free(plus);
	return rc;
}

/* Remember name as duplicated unless it already is. */
static enum rc_code
note_dup(struct oidc_authreq *req, const char *name, struct rc_err *err)
{
	char **v;
	size_t i;

	for (i = 0; i < req->ndups; i++)
		if (strcmp(req->dups[i], name) == 0)
			return RC_OK;
	v = rc_realloc(req->dups, (req->ndups + 1) * sizeof(*v));
	if (v == NULL)
		return RC_ERR(err, RC_ENOMEM, "query: out of memory");
	req->dups = v;
	if ((v[req->ndups] = rc_strdup(name)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "query: out of memory");
	req->ndups++;
	return RC_OK;
}

/*
 * Split the raw query on '&' and then on the first '=' (the only
 * hand-made parsing allowed here), decode each side, keep order and
 * record duplicates.  Empty segments ("a=1&&b=2") are skipped, as
 * browsers and form decoders do.
 */
static enum rc_code
split_query(struct oidc_authreq *req, const char *q, struct rc_err *err)
{
	const char *seg = q, *amp, *eq;
	size_t seglen, count = 0, i;
	struct oidc_param *p;
	enum rc_code rc = RC_OK;

	for (i = 0; q[i] != '\0'; i++)
		if (q[i] == '&')
			count++;
	count++;
	if (count > OIDC_AUTHREQ_MAX_PARAMS * 4) /* mostly empty segments */
		return RC_ERR(err, RC_EINVAL, "query: more than %d parameters",
		    OIDC_AUTHREQ_MAX_PARAMS);
	req->params = rc_calloc(count, sizeof(*req->params));
	if (req->params == NULL)
		return RC_ERR(err, RC_ENOMEM, "query: out of memory");

	while (seg != NULL) {
		amp = strchr(seg, '&');
		seglen = amp != NULL ? (size_t)(amp - seg) : strlen(seg);
		if (seglen > 0) {
			if (req->nparams == OIDC_AUTHREQ_MAX_PARAMS) {
				rc = RC_ERR(err, RC_EINVAL,
				    "query: more than %d parameters",
				    OIDC_AUTHREQ_MAX_PARAMS);
				goto out;
			}
			p = &req->params[req->nparams];
			eq = memchr(seg, '=', seglen);
			rc = form_decode(seg,
			    eq != NULL ? (size_t)(eq - seg) : seglen, &p->name,
			    err);
			if (rc != RC_OK)
				goto out;
			if (eq != NULL)
				rc = form_decode(eq + 1,
				    seglen - (size_t)(eq + 1 - seg), &p->value,
				    err);
			else if ((p->value = rc_strdup("")) == NULL)
				rc = RC_ERR(err, RC_ENOMEM,
				    "query: out of memory");
			req->nparams++; /* even half-filled: freed by owner */
			if (rc != RC_OK)
				goto out;
			if (oidc_authreq_param(req, p->name) != p->value) {
				rc = note_dup(req, p->name, err);
				if (rc != RC_OK)
					goto out;
			}
		}
		seg = amp != NULL ? amp + 1 : NULL;
	}
out:
	return rc;
}

struct oidc_authreq *
oidc_authreq_parse(const char *url, struct rc_err *err)
{
	struct oidc_authreq *req = NULL, *ret = NULL;
	char *port = NULL, *query = NULL;
	CURLU *h = NULL;
	CURLUcode uc;
	char *end;
	size_t i;
	enum rc_code rc;

	if (url == NULL) {
		RC_ERR(err, RC_EINVAL, "authorization URL: missing");
		goto out;
	}
	if (strnlen(url, OIDC_AUTHREQ_MAX_URL + 1) > OIDC_AUTHREQ_MAX_URL) {
		RC_ERR(err, RC_EINVAL,
		    "authorization URL: longer than %d bytes",
		    OIDC_AUTHREQ_MAX_URL);
		goto out;
	}
	if ((req = rc_calloc(1, sizeof(*req))) == NULL ||
	    (req->url = rc_strdup(url)) == NULL) {
		RC_ERR(err, RC_ENOMEM, "authorization URL: out of memory");
		goto out;
	}
	if ((h = curl_url()) == NULL) {
		RC_ERR(err, RC_ENOMEM, "authorization URL: out of memory");
		goto out;
	}
	/* No default scheme: a Location must be absolute here. */
	uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		RC_ERR(err, uc == CURLUE_OUT_OF_MEMORY ? RC_ENOMEM : RC_EINVAL,
		    "authorization URL: %s", curl_url_strerror(uc));
		goto out;
	}
	if ((rc = url_part(h, CURLUPART_SCHEME, 0, &req->scheme, err)) !=
	        RC_OK ||
	    (rc = url_part(h, CURLUPART_HOST, 0, &req->host, err)) != RC_OK ||
	    (rc = url_part(h, CURLUPART_PATH, 0, &req->path, err)) != RC_OK ||
	    (rc = url_part(h, CURLUPART_FRAGMENT, 0, &req->fragment, err)) !=
	        RC_OK ||
	    (rc = url_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, &port,
	         err)) != RC_OK ||
	    (rc = url_part(h, CURLUPART_QUERY, 0, &query, err)) != RC_OK)
		goto out;
	if (req->scheme == NULL || req->host == NULL || req->host[0] == '\0') {
		RC_ERR(err, RC_EINVAL, "authorization URL: no scheme or host");
		goto out;
	}
	if (req->path == NULL && (req->path = rc_strdup("/")) == NULL) {
		RC_ERR(err, RC_ENOMEM, "authorization URL: out of memory");
		goto out;
	}
	/* Host names are case-insensitive (RFC 3986 §3.2.2). */
	for (i = 0; req->host[i] != '\0'; i++)
		req->host[i] = (char)tolower((unsigned char)req->host[i]);
	for (i = 0; req->scheme[i] != '\0'; i++)
		req->scheme[i] = (char)tolower((unsigned char)req->scheme[i]);
	req->port = -1;
	if (port != NULL) {
		req->port = strtol(port, &end, 10);
		if (*end != '\0' || req->port < 0 || req->port > 65535)
			req->port = -1;
	}
	if (query != NULL && split_query(req, query, err) != RC_OK)
		goto out;
	ret = req;
	req = NULL; /* transferred */
out:
	curl_url_cleanup(h);
	rc_free(port);
	rc_free(query);
	oidc_authreq_free(req);
	return ret;
}

const char *
oidc_authreq_url(const struct oidc_authreq *req)
{
	return req->url;
}

const char *
oidc_authreq_scheme(const struct oidc_authreq *req)
{
	return req->scheme;
}

const char *
oidc_authreq_host(const struct oidc_authreq *req)
{
	return req->host;
}

long
oidc_authreq_port(const struct oidc_authreq *req)
{
	return req->port;
}

const char *
oidc_authreq_path(const struct oidc_authreq *req)
{
	return req->path;
}

const char *
oidc_authreq_fragment(const struct oidc_authreq *req)
{
	return req->fragment;
}

const char *
oidc_authreq_param(const struct oidc_authreq *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (req->params[i].name != NULL &&
		    strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

size_t
oidc_authreq_nparams(const struct oidc_authreq *req)
{
	return req->nparams;
}

enum rc_code
oidc_authreq_param_at(const struct oidc_authreq *req, size_t i,
    const char **name, const char **value)
{
	*name = NULL;
	*value = NULL;
	if (i >= req->nparams)
		return RC_EINVAL;
	*name = req->params[i].name;
	*value = req->params[i].value;
	return RC_OK;
}

size_t
oidc_authreq_ndups(const struct oidc_authreq *req)
{
	return req->ndups;
}

const char *
oidc_authreq_dup_at(const struct oidc_authreq *req, size_t i)
{
	if (i >= req->ndups)
		return NULL;
	return req->dups[i];
}
