/* SPDX-License-Identifier: MIT */
/*
 * The relying-party half of the simulated portals: after a callback with a
 * valid state, exchange the code at the simulated FranceConnect and check
 * the ID token and userinfo as a correct FS must (portal_int.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjose/cjose.h>
#include <curl/curl.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "tests/sim/portal_int.h"

#define RP_BODY_MAX (256 * 1024)

struct rp {
	const struct sim_ctx *ctx;
	char base[160];   /* https://fc.test:PORT/api/v2 */
	char resolve[96]; /* fc.test:PORT:ADDR */
	json_t *jwks;
};

void
portal_login_cleanup(struct portal_login *li)
{
	rc_free(li->id_token);
	rc_free(li->sub);
	rc_free(li->given_name);
	rc_free(li->family_name);
	memset(li, 0, sizeof(*li));
}

static size_t
rp_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct rc_buf *body = arg;
	size_t n = size * nmemb;

	if (rc_buf_add(body, ptr, n) != RC_OK)
		return 0; /* CURLE_WRITE_ERROR */
	return n;
}

/*
 * One HTTPS exchange with the simulated FC.  post is the form body (NULL:
 * GET); bearer an access token (NULL: none).  *status and body are set.
 */
static enum rc_code
rp_http(struct rp *rp, const char *path, const char *post, const char *bearer,
    long *status, struct rc_buf *body, struct rc_err *err)
{
	struct curl_slist *resolve = NULL, *hdrs = NULL;
	char url[256], authz[256];
	CURL *c;
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	enum rc_code rc = RC_ENET;

	*status = 0;
	snprintf(url, sizeof(url), "%s/%s", rp->base, path);
	if ((c = curl_easy_init()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "curl_easy_init");
	if ((resolve = curl_slist_append(NULL, rp->resolve)) == NULL)
		goto out;
	if (bearer != NULL) {
		snprintf(authz, sizeof(authz), "Authorization: Bearer %s",
		    bearer);
		if ((hdrs = curl_slist_append(NULL, authz)) == NULL)
			goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_CAINFO, rp->ctx->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rp_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if ((cc = curl_easy_perform(c)) != CURLE_OK)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	rc = RC_OK;
out:
	if (rc != RC_OK)
		RC_ERR(err, rc, "%s: %s", url, curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	curl_easy_cleanup(c);
	return rc;
}

static enum rc_code
rp_form_add(struct rc_buf *b, const char *name, const char *value)
{
	char *e;
	enum rc_code rc;

	if ((e = curl_easy_escape(NULL, value, (int)strlen(value))) == NULL)
		return RC_ENOMEM;
	rc = rc_buf_addf(b, "%s%s=%s", b->len ? "&" : "", name, e);
	curl_free(e);
	return rc;
}

/* Fetch FC's JWKS once per login (FC rotates keys; a real FS caches and
 * refetches on an unknown kid). */
static enum rc_code
rp_jwks(struct rp *rp, struct rc_err *err)
{
	struct rc_buf body;
	long status;
	enum rc_code rc;

	rc_buf_init(&body, RP_BODY_MAX);
	rc = rp_http(rp, "jwks", NULL, NULL, &status, &body, err);
	if (rc == RC_OK && status != 200)
		rc = RC_ERR(err, RC_ENET, "jwks: HTTP %ld", status);
	if (rc == RC_OK &&
	    (rp->jwks = json_loadb(body.data, body.len, 0, NULL)) == NULL)
		rc = RC_ERR(err, RC_EPARSE, "jwks: not JSON");
	rc_buf_free(&body);
	return rc;
}

/* Verify a compact ES256 JWS against the JWKS; *claims is new. */
static enum rc_code
rp_verify(struct rp *rp, const char *compact, json_t **claims,
    struct rc_err *err)
{
	cjose_jws_t *jws = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_header_t *hdr;
	cjose_err cerr;
	const char *alg, *kid;
	json_t *k = NULL, *keys = json_object_get(rp->jwks, "keys");
	uint8_t *plain;
	size_t plen, i;
	char *kjson = NULL;
	enum rc_code rc = RC_ECRYPTO;

	*claims = NULL;
	if ((jws = cjose_jws_import(compact, strlen(compact), &cerr)) == NULL) {
		rc = RC_ERR(err, RC_EPARSE, "JWS: %s", cerr.message);
		goto out;
	}
	hdr = cjose_jws_get_protected(jws); /* borrowed */
	alg = cjose_header_get(hdr, CJOSE_HDR_ALG, &cerr);
	kid = cjose_header_get(hdr, CJOSE_HDR_KID, &cerr);
	if (alg == NULL || strcmp(alg, "ES256") != 0) {
		rc = RC_ERR(err, RC_ECRYPTO, "JWS alg %s, want ES256",
		    alg ? alg : "(none)");
		goto out;
	}
	json_array_foreach(keys, i, k)
	{
		const char *kk = json_string_value(json_object_get(k, "kid"));

		if (kid != NULL && kk != NULL && strcmp(kid, kk) == 0)
			break;
	}
	if (k == NULL || i >= json_array_size(keys)) {
		rc = RC_ERR(err, RC_ECRYPTO, "JWS kid %s not in JWKS",
		    kid ? kid : "(none)");
		goto out;
	}
	if ((kjson = json_dumps(k, JSON_COMPACT)) == NULL ||
	    (jwk = cjose_jwk_import(kjson, strlen(kjson), &cerr)) == NULL) {
		rc = RC_ERR(err, RC_ECRYPTO, "JWK import failed");
		goto out;
	}
	if (!cjose_jws_verify(jws, jwk, &cerr)) {
		rc = RC_ERR(err, RC_ECRYPTO, "JWS signature: %s", cerr.message);
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &cerr) ||
	    (*claims = json_loadb((const char *)plain, plen, 0, NULL)) ==
	        NULL ||
	    !json_is_object(*claims)) {
		json_decref(*claims);
		*claims = NULL;
		rc = RC_ERR(err, RC_EPARSE, "JWS payload is not a JSON object");
		goto out;
	}
	rc = RC_OK;
out:
	free(kjson);
	cjose_jwk_release(jwk);
	cjose_jws_release(jws);
	return rc;
}

static int
rp_claim_is(const json_t *claims, const char *name, const char *want)
{
	const char *v = json_string_value(json_object_get(claims, name));

	return v != NULL && strcmp(v, want) == 0;
}

static char *
rp_claim_dup(const json_t *claims, const char *name)
{
	const char *v = json_string_value(json_object_get(claims, name));

	return rc_strdup(v != NULL ? v : "");
}

enum rc_code
portal_rp_login(const struct sim_ctx *ctx, const char *client_id,
    const char *client_secret, const char *redirect_uri, const char *code,
    const char *nonce, struct portal_login *out, struct rc_err *err)
{
	struct rp rp;
	struct rc_buf form, body;
	json_t *tok = NULL, *idc = NULL, *uic = NULL;
	const char *idt, *at;
	unsigned short port = sim_port(ctx, "fc");
	int v6 = strchr(ctx->bind_addr, ':') != NULL;
	long status;
	enum rc_code rc;

	memset(out, 0, sizeof(*out));
	memset(&rp, 0, sizeof(rp));
	rp.ctx = ctx;
	snprintf(rp.base, sizeof(rp.base), "https://fc.test:%u/api/v2", port);
	snprintf(rp.resolve, sizeof(rp.resolve), "fc.test:%u:%s%s%s", port,
	    v6 ? "[" : "", ctx->bind_addr, v6 ? "]" : "");
	rc_buf_init(&form, 8192);
	rc_buf_init(&body, RP_BODY_MAX);

	if ((rc = rp_form_add(&form, "grant_type", "authorization_code")) !=
	        RC_OK ||
	    (rc = rp_form_add(&form, "code", code)) != RC_OK ||
	    (rc = rp_form_add(&form, "redirect_uri", redirect_uri)) != RC_OK ||
	    (rc = rp_form_add(&form, "client_id", client_id)) != RC_OK ||
	    (rc = rp_form_add(&form, "client_secret", client_secret)) !=
	        RC_OK) {
		RC_ERR(err, rc, "token request");
		goto out;
	}
	if ((rc = rp_http(&rp, "token", form.data, NULL, &status, &body,
	         err)) != RC_OK)
		goto out;
	if (status != 200) {
		rc = RC_ERR(err, RC_ENET, "token: HTTP %ld: %.200s", status,
		    body.data ? body.data : "");
		goto out;
	}
	tok = json_loadb(body.data, body.len, 0, NULL);
	idt = json_string_value(json_object_get(tok, "id_token"));
	at = json_string_value(json_object_get(tok, "access_token"));
	if (idt == NULL || at == NULL) {
		rc = RC_ERR(err, RC_EPARSE, "token: no id_token/access_token");
		goto out;
	}
	if ((rc = rp_jwks(&rp, err)) != RC_OK ||
	    (rc = rp_verify(&rp, idt, &idc, err)) != RC_OK)
		goto out;
	/* OIDC Core 3.1.3.7 and FC: iss, aud, exp, nonce, acr. */
	if (!rp_claim_is(idc, "iss", rp.base) ||
	    !rp_claim_is(idc, "aud", client_id) ||
	    !rp_claim_is(idc, "nonce", nonce) ||
	    !rp_claim_is(idc, "acr", "eidas1") ||
	    json_integer_value(json_object_get(idc, "exp")) < time(NULL)) {
		rc = RC_ERR(err, RC_ECRYPTO,
		    "ID token rejected (iss, aud, nonce, acr or exp)");
		goto out;
	}
	rc_buf_reset(&body);
	if ((rc = rp_http(&rp, "userinfo", NULL, at, &status, &body, err)) !=
	    RC_OK)
		goto out;
	if (status != 200 || body.data == NULL) {
		rc = RC_ERR(err, RC_ENET, "userinfo: HTTP %ld", status);
		goto out;
	}
	if ((rc = rp_verify(&rp, body.data, &uic, err)) != RC_OK)
		goto out;
	if (json_string_value(json_object_get(idc, "sub")) == NULL ||
	    !rp_claim_is(uic, "sub",
	        json_string_value(json_object_get(idc, "sub")))) {
		rc = RC_ERR(err, RC_ECRYPTO, "userinfo sub differs");
		goto out;
	}
	out->id_token = rc_strdup(idt);
	out->sub = rp_claim_dup(idc, "sub");
	out->given_name = rp_claim_dup(uic, "given_name");
	out->family_name = rp_claim_dup(uic, "family_name");
	if (out->id_token == NULL || out->sub == NULL ||
	    out->given_name == NULL || out->family_name == NULL) {
		portal_login_cleanup(out);
		rc = RC_ERR(err, RC_ENOMEM, "login");
	}
out:
	json_decref(uic);
	json_decref(idc);
	json_decref(tok);
	json_decref(rp.jwks);
	rc_buf_free_secret(&form);
	rc_buf_free_secret(&body);
	return rc;
}
