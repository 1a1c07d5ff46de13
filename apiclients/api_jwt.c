/* SPDX-License-Identifier: MIT */
/*
 * Reading the claims of an API token (a JWS compact serialisation, RFC
 * 7515 §7.1) without verifying it: API Particulier v3 and API Entreprise
 * tokens are HS256-signed with the operator's secret, so a third party can
 * decode but not verify them (shared/reference/national_apis.md §2).
 * The parts are decoded by rc_json_b64url_object (common/json.c), the
 * same decoder oidc/jwt.c uses; nothing hand-written.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "apiclients/api.h"
#include "common/json.h"
#include "common/mem.h"

#define API_JWT_MAX_LEN (16 * 1024)

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
api_jwt_looks_like(const char *token, size_t len)
{
	size_t i, dots = 0, part = 0;

	if (token == NULL || len == 0 || len > API_JWT_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (token[i] == '.') {
			/* header and payload must not be empty */
			if (dots < 2 && part == 0)
				return false;
			dots++;
			part = 0;
		} else if (is_b64url(token[i])) {
			part++;
		} else {
			return false;
		}
	}
	return dots == 2;
}

static void
copy_claim(json_t *obj, const char *key, char *out, size_t outlen)
{
	json_t *v = json_object_get(obj, key);

	out[0] = '\0';
	if (json_is_string(v))
		api_sanitize(json_string_value(v), json_string_length(v), out,
		    outlen);
}

/* A NumericDate (RFC 7519 §2): integer or real seconds. */
static bool
numeric_date(json_t *obj, const char *key, time_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		*out = (time_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 1e15) {
		*out = (time_t)json_real_value(v);
		return true;
	}
	return false;
}

enum rc_code
api_jwt_decode(const char *token, size_t len, struct api_jwt_claims *out,
    struct rc_err *err)
{
	const char *d1, *d2;
	json_t *hdr = NULL, *pl = NULL, *scopes;
	enum rc_code rc;

	memset(out, 0, sizeof(*out));
	if (!api_jwt_looks_like(token, len))
		return RC_ERR(err, RC_EPARSE,
		    "the token is not a JWT (three base64url parts separated "
		    "by dots)");
	d1 = memchr(token, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if ((rc = rc_json_b64url_object(token, (size_t)(d1 - token),
	         "JWT header", &hdr, err)) != RC_OK)
		goto out;
	if ((rc = rc_json_b64url_object(d1 + 1, (size_t)(d2 - d1 - 1),
	         "JWT payload", &pl, err)) != RC_OK)
		goto out;
	copy_claim(hdr, "alg", out->alg, sizeof(out->alg));
	if (out->alg[0] == '\0') {
		rc = RC_ERR(err, RC_EPARSE, "the JWT header has no \"alg\"");
		goto out;
	}
	out->has_exp = numeric_date(pl, "exp", &out->exp);
	if (json_object_get(pl, "exp") != NULL && !out->has_exp) {
		rc = RC_ERR(err, RC_EPARSE,
		    "the JWT \"exp\" claim is not a NumericDate");
		goto out;
	}
	out->has_iat = numeric_date(pl, "iat", &out->iat);
	copy_claim(pl, "sub", out->sub, sizeof(out->sub));
	copy_claim(pl, "jti", out->jti, sizeof(out->jti));
	copy_claim(pl, "uid", out->uid, sizeof(out->uid));
	api_org_from_json(pl, &out->org);
	scopes = json_object_get(pl, "scopes");
	if (json_is_array(scopes))
		out->nscopes = json_array_size(scopes);
out:
	json_decref(hdr);
	json_decref(pl);
	return rc;
}

bool
api_token_is_legacy_key(const char *token, size_t len)
{
	size_t i;

	if (token == NULL || len != 32)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)token[i]))
			return false;
	return true;
}

/* One identifier member: a string, or an integer printed in decimal. */
static void
org_member(json_t *obj, const char *key, char *out, size_t outlen)
{
	json_t *v = json_object_get(obj, key);

	if (out[0] != '\0')
		return; /* the top level wins */
	if (json_is_string(v))
		api_sanitize(json_string_value(v), json_string_length(v), out,
		    outlen);
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
}

void
api_org_from_json(json_t *obj, struct api_org *org)
{
	static const char *const nested[] = { "organisation", "organization",
		NULL };
	json_t *o;
	size_t i;

	memset(org, 0, sizeof(*org));
	if (!json_is_object(obj))
		return;
	org_member(obj, "siret", org->siret, sizeof(org->siret));
	org_member(obj, "siren", org->siren, sizeof(org->siren));
	for (i = 0; nested[i] != NULL; i++) {
		o = json_object_get(obj, nested[i]);
		if (!json_is_object(o))
			continue;
		org_member(o, "siret", org->siret, sizeof(org->siret));
		org_member(o, "siren", org->siren, sizeof(org->siren));
	}
}

/* An all-zero UUID, with or without dashes. */
static bool
zero_uuid(const char *s)
{
	size_t zeros = 0;

	if (s[0] == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '0')
			zeros++;
		else if (*s != '-')
			return false;
	}
	return zeros == 32;
}

bool
api_jwt_is_staging(const struct api_jwt_claims *c, char *why, size_t whylen)
{
	if (strncasecmp(c->sub, "staging", 7) == 0) {
		snprintf(why, whylen, "its \"sub\" claim is \"%s\"", c->sub);
		return true;
	}
	if (zero_uuid(c->jti)) {
		snprintf(why, whylen, "its \"jti\" claim is the all-zero UUID");
		return true;
	}
	if (zero_uuid(c->uid)) {
		snprintf(why, whylen, "its \"uid\" claim is the all-zero UUID");
		return true;
	}
	if (whylen > 0)
		why[0] = '\0';
	return false;
}
