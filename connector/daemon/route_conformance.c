/* SPDX-License-Identifier: MIT */
/*
 * The conformance routes (route_conformance.h): register raccord's test
 * client for a job's dossier (the secret is in this answer only; the
 * store keeps its SHA-256), queue a conformance run for the worker
 * (conf_job.c), and show the latest run with its sealed report.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/url.h"
#include "connector/daemon/route_conformance.h"
#include "verifier/conformance.h"
#include "verifier/dossier.h"

static enum MHD_Result
not_configured(struct http_ctx *x)
{
	return http_respond_error(x, MHD_HTTP_CONFLICT,
	    "this daemon runs no conformance job: set conformance.listen, "
	    "conformance.public_url, conformance.tls_cert and "
	    "conformance.tls_key (docs/config.md)");
}

/*
 * The registration request's optional body: {"jwks_uri": URL}, the
 * site's JWKS, which FranceConnect+ encrypts for (as `raccord
 * conformance register --jwks-uri`).  *body (json_decref) holds
 * *jwks_uri (borrowed from it, NULL when not given).  0 when the body
 * is bad, err naming what.
 */
static int
registration_body(const struct http_req *rq, json_t **body,
    const char **jwks_uri, struct rc_err *err)
{
	static const char *const keys[] = { "jwks_uri", NULL };

	*body = NULL;
	*jwks_uri = NULL;
	if (rq->body.len == 0)
		return 1;
	if (rc_json_loadb(rq->body.data, rq->body.len, "request body", body,
	        err) != RC_OK)
		return 0;
	if (!json_is_object(*body)) {
		RC_ERR(err, RC_EINVAL,
		    "request body: must be an object {\"jwks_uri\": URL}");
		return 0;
	}
	return rc_json_only_keys(*body, "", keys, err) == RC_OK &&
	    rc_json_get_string(*body, "", "jwks_uri", 0, 1, jwks_uri, err) ==
	    RC_OK &&
	    (*jwks_uri == NULL ||
	        rc_url_check("jwks_uri", *jwks_uri, 1, err) == RC_OK);
}

/* POST /v1/dossiers/{id}/conformance/registration */
static enum MHD_Result
post_registration(struct http_ctx *x, struct http_req *rq, const char *id)
{
	const struct cfg *c = x->dm->pl.cfg;
	struct conf_registration reg;
	struct dossier *d = NULL;
	struct rc_err err = { 0 };
	char *dossier = NULL, *secret = NULL, *text = NULL, disc[2300];
	json_t *rj = NULL, *out = NULL, *body = NULL;
	const char *jwks_uri = NULL;
	enum MHD_Result ret;
	size_t n;

	memset(&reg, 0, sizeof(reg));
	if (!conf_job_configured(c))
		return not_configured(x);
	if (rq->too_big || !registration_body(rq, &body, &jwks_uri, &err)) {
		ret = http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    rq->too_big ? "request body too large" : err.msg);
		goto out;
	}
	if (store_conf_dossier(x->dm->store, id, &dossier, &err) != RC_OK) {
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
		goto out;
	}
	if (dossier == NULL) {
		ret = http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such job");
		goto out;
	}
	if (dossier_parse_submitted(dossier, strlen(dossier), "stored dossier",
	        &d, &err) != RC_OK) {
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the stored dossier cannot be read");
		goto out;
	}
	/* FranceConnect+ needs the site's JWKS (jwks_uri); FranceConnect
	 * refuses one.  Either mismatch is the dossier's: 409. */
	if (conf_register(d, jwks_uri, &reg, &secret, &err) != RC_OK) {
		ret = http_respond_error(x, MHD_HTTP_CONFLICT, err.msg);
		goto out;
	}
	if ((rj = conf_registration_to_json(&reg)) == NULL ||
	    (text = json_dumps(rj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
		goto out;
	}
	if (store_conf_register(x->dm->store, id, text, &err) != RC_OK) {
		log_error("job store: %s", err.msg);
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed; nothing was registered");
		goto out;
	}
	n = strlen(c->conf_public_url);
	while (n > 0 && c->conf_public_url[n - 1] == '/')
		n--;
	snprintf(disc, sizeof(disc), "%.*s/.well-known/openid-configuration",
	    (int)(n < 2000 ? n : 2000), c->conf_public_url);
	out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "dossier_id", reg.dossier_id,
	    "client_id", reg.client_id, "client_secret", secret, "redirect_uri",
	    reg.redirect_uri, "discovery_url", disc);
	/* FranceConnect+: the JWKS raccord will encrypt for, as given. */
	if (out != NULL && reg.jwks_uri != NULL &&
	    json_object_set_new(out, "jwks_uri", json_string(reg.jwks_uri)) !=
	        0) {
		json_decref(out);
		out = NULL;
	}
	if (out == NULL) {
		ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
		goto out;
	}
	log_info("job=%s conformance client %s registered by=%s", id,
	    reg.client_id, x->who.name);
	ret = http_respond_json(x, MHD_HTTP_CREATED, out, NULL, 0);
out:
	if (secret != NULL)
		rc_free_secret(secret, strlen(secret));
	free(text); /* json_dumps */
	json_decref(rj);
	json_decref(body);
	conf_registration_cleanup(&reg);
	dossier_free(d);
	rc_free(dossier);
	return ret;
}

/* POST /v1/dossiers/{id}/conformance */
static enum MHD_Result
post_run(struct http_ctx *x, const char *id)
{
	struct rc_err err = { 0 };
	char *dossier = NULL;
	json_t *c = NULL;
	int found, running;

	if (!conf_job_configured(x->dm->pl.cfg))
		return not_configured(x);
	if (store_conf_request(x->dm->store, id, x->who.name, &found, &running,
	        &err) != RC_OK) {
		log_error("job store: %s", err.msg);
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed; nothing was requested");
	}
	if (!found) {
		if (store_conf_dossier(x->dm->store, id, &dossier, &err) !=
		    RC_OK)
			return http_respond_error(x,
			    MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the job store failed");
		if (dossier == NULL)
			return http_respond_error(x, MHD_HTTP_NOT_FOUND,
			    "no such job");
		rc_free(dossier);
		return http_respond_error(x, MHD_HTTP_CONFLICT,
		    "no test client is registered for this job: POST "
		    "/v1/dossiers/{id}/conformance/registration first, and "
		    "configure the site's integration environment with it");
	}
	if (store_conf_get(x->dm->store, id, &c, &err) != RC_OK || c == NULL)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	log_info("job=%s conformance run requested by=%s", id, x->who.name);
	worker_wake(x->dm);
	return http_respond_json(x, MHD_HTTP_ACCEPTED, c, NULL, 0);
}

/* GET /v1/dossiers/{id}/conformance */
static enum MHD_Result
get_run(struct http_ctx *x, const char *id)
{
	struct rc_err err = { 0 };
	json_t *c = NULL;

	if (store_conf_get(x->dm->store, id, &c, &err) != RC_OK)
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	if (c == NULL)
		return http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no conformance run for this job (or no such job)");
	return http_respond_json(x, MHD_HTTP_OK, c, NULL, 0);
}

int
route_conformance(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret)
{
	const char *seg, *tail;
	int get = strcmp(x->method, "GET") == 0,
	    post = strcmp(x->method, "POST") == 0, reg;
	char id[STORE_ID_LEN + 1];
	size_t n;

	if ((seg = http_segment(x->url, "/v1/dossiers/", &n)) == NULL)
		return 0;
	tail = seg + n;
	reg = strcmp(tail, "/conformance/registration") == 0;
	if (!reg && strcmp(tail, "/conformance") != 0)
		return 0;
	if (!http_is_job_id(seg, n)) {
		*ret = http_respond_error(x, MHD_HTTP_NOT_FOUND, "no such job");
		return 1;
	}
	memcpy(id, seg, n);
	id[n] = '\0';
	if (reg ? !post : !post && !get) {
		*ret = http_respond_method(x, reg ? "POST" : "GET, POST");
		return 1;
	}
	if (http_denied(x, R_INSTR | R_ADMIN, ret))
		return 1;
	*ret = reg ? post_registration(x, rq, id)
	    : post ? post_run(x, id)
	           : get_run(x, id);
	return 1;
}
