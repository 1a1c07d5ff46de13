/* SPDX-License-Identifier: MIT */
/*
 * Simulated FranceConnect v2 ("fc-low") identity provider.
 *
 * Follows the documented behaviour of the real service (see
 * shared/reference/franceconnect.md): discovery, JWKS (one ES256 key made
 * at start), authorize with FC's validation order and error codes, a mock
 * identity-provider selection and login (test / 123, Angela Claire Louise
 * DUBOIS), token (client_secret_post only), userinfo as a signed JWT, and
 * session/end.  The client registry holds one client per portal flavour;
 * see docs/sim.md for every rule and its source.
 *
 * All mutable state (interactions, codes, access tokens) lives in jansson
 * objects guarded by one mutex; handlers copy what they need out of it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjose/cjose.h>
#include <curl/curl.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/mem.h"
#include "tests/sim/sim.h"

#define FC_CODE_TTL        30   /* seconds (FC config) */
#define FC_TOKEN_TTL       60   /* access token and ID token */
#define FC_INTERACTION_TTL 1800 /* FC session: 30 minutes */
#define FC_STORE_MAX       10000
#define FC_NONCE_MIN       22
#define FC_PAGE_MAX        (64 * 1024)
#define FC_SUB_SALT        "raccord-sim pairwise salt"

/* FC's authorize error codes (quality/fcp/.../api-authorize.feature). */
#define FC_E_CLIENT   "Y04EA6EF" /* unknown client_id */
#define FC_E_PARAMS   "Y030007"  /* invalid parameters */
#define FC_E_REDIRECT "Y04C013C" /* redirect_uri not registered */
#define FC_E_SESSION  "Y190001"  /* no session (SessionNotFoundException) */
#define FC_E_UNKNOWN  "Y000000"  /* unknown internal error */

/* The session cookie FC sets at /authorize (core-fcp-low session.ts). */
#define FC_SESSION_COOKIE "fc_session_id"
#define FC_COOKIE_ATTR    "; Path=/; HttpOnly; Secure; SameSite=Lax"

/*
 * Failure switches (docs/sim.md), set at run time by
 * GET /_sim/fault/<name>: FC failing the way real services fail, so that
 * tests can assert an outage is inconclusive, not a failure.
 */
enum fc_fault {
	FC_FAULT_NONE,
	FC_FAULT_DISCOVERY_500,     /* discovery answers 503 */
	FC_FAULT_DISCOVERY_TIMEOUT, /* discovery never answers in time */
	FC_FAULT_AUTHORIZE_500,     /* /authorize answers 500 */
	FC_FAULT_AUTHORIZE_429,     /* /authorize answers 429 Retry-After */
	FC_FAULT_ERROR_200,         /* error page (Y000000) with HTTP 200 */
	FC_FAULT_LOST_SESSION,      /* interaction ignores the cookies */
	FC_FAULT_LOOP,              /* /authorize redirects to itself */
	FC_FAULT_JSON,              /* /authorize answers 200 JSON */
	FC_FAULT_BARE_400,          /* /authorize answers 400, no code */
	FC_FAULT_IDP_HINT,          /* /authorize 303s to an identity
	                               provider on another origin */
	FC_FAULT_DISCOVERY_MOVED,   /* discovery names another authorization
	                               endpoint (/authorize-previous): the
	                               metadata of before a change, for the
	                               daemon's discovery cache tests */
	FC_FAULT__MAX
};

static const char *const fc_fault_names[FC_FAULT__MAX] = { "none",
	"discovery_500", "discovery_timeout", "authorize_500", "authorize_429",
	"error_200", "lost_session", "loop", "json", "bare_400", "idp_hint",
	"discovery_moved" };

static atomic_int fc_fault_now;
/* /authorize requests that arrived with an fc_session_id already: a
 * prober that reuses a jar across flows or dossiers (GET /_sim/seen). */
static atomic_int fc_seen_session_at_authorize;
/* Requests to FC carrying a portal's cookie (fc_state, session): a jar
 * that does not scope cookies to their host, as a browser does. */
static atomic_int fc_seen_foreign_cookie;

struct fc_state {
	struct sim_listener *l;
	char issuer[128];
	cjose_jwk_t *key;
	char kid[33];
	json_t *clients; /* client_id -> {secret, redirect_uris, ...} */
	pthread_mutex_t mu;
	json_t *interactions; /* uid -> authorize request */
	json_t *codes;        /* code -> grant */
	json_t *tokens;       /* access token -> grant */
};

/* The mock user (FC's docker mock IdP, citizen "test"). */
static const struct {
	const char *scope, *claim, *value;
} fc_user[] = {
	{ "given_name", "given_name", "Angela Claire Louise" },
	{ "family_name", "family_name", "DUBOIS" },
	{ "birthdate", "birthdate", "1962-08-24" },
	{ "gender", "gender", "female" },
	{ "birthplace", "birthplace", "75107" },
	{ "birthcountry", "birthcountry", "99100" },
	{ "email", "email", "wossewodda-3728@yopmail.com" },
	{ "preferred_username", "preferred_username", "" },
};

/* Scopes FC-low knows (fcp-low.scopes.ts) and the scopes they expand to.
 * Anything else, including the removed address and phone, is
 * invalid_scope. */
static const struct {
	const char *name, *expands;
} fc_scopes[] = {
	{ "openid", "" },
	{ "given_name", "given_name" },
	{ "given_name_array", "given_name" },
	{ "family_name", "family_name" },
	{ "birthdate", "birthdate" },
	{ "gender", "gender" },
	{ "birthplace", "birthplace" },
	{ "birthcountry", "birthcountry" },
	{ "email", "email" },
	{ "preferred_username", "preferred_username" },
	{ "profile",
	    "given_name family_name birthdate gender preferred_username" },
	{ "birth", "birthplace birthcountry" },
	{ "identite_pivot",
	    "given_name family_name birthdate gender birthplace "
	    "birthcountry" },
};

/* --- client registry --- */

static enum rc_code
fc_add_uri(json_t *arr, const struct sim_listener *pl, const char *scheme,
    const char *flavour, const char *suffix)
{
	char uri[256];

	snprintf(uri, sizeof(uri), "%s://%s:%u/%s/%s", scheme, pl->mod->host,
	    pl->port, flavour, suffix);
	return json_array_append_new(arr, json_string(uri)) == 0 ? RC_OK
	                                                         : RC_ENOMEM;
}

/*
 * One client per portal flavour: "cid-<F>" / "secret-<F>", with the
 * callback and the post-logout URL of every portal listener (https, or
 * http for portal_http), plus http:// callbacks for http_redirect.
 */
static enum rc_code
fc_registry_build(struct fc_state *st)
{
	const struct sim_ctx *ctx = st->l->ctx;
	char cid[96], secret[96];
	const char *scheme;
	json_t *c, *ru, *lu;
	size_t f, i;

	if ((st->clients = json_object()) == NULL)
		return RC_ENOMEM;
	for (f = 0; f < portal_flavour_count(); f++) {
		const char *name = portal_flavour_name(f);

		snprintf(cid, sizeof(cid), "cid-%s", name);
		snprintf(secret, sizeof(secret), "secret-%s", name);
		ru = json_array();
		lu = json_array();
		c = json_pack("{s:s, s:o, s:o}", "client_secret", secret,
		    "redirect_uris", ru, "post_logout_redirect_uris", lu);
		if (c == NULL || json_object_set_new(st->clients, cid, c) != 0)
			return RC_ENOMEM;
		for (i = 0; i < ctx->n; i++) {
			const struct sim_listener *pl = &ctx->listeners[i];

			if (pl->mod->handle != portal_handle)
				continue;
			scheme = pl->tls ? "https" : "http";
			if (fc_add_uri(ru, pl, scheme, name, "callback") !=
			        RC_OK ||
			    fc_add_uri(lu, pl, scheme, name, "") != RC_OK)
				return RC_ENOMEM;
			/* http_redirect's flaw: an http:// redirect_uri on the
			 * https listeners, which FC registered (its partner
			 * portal accepts http). */
			if (pl->tls && strcmp(name, "http_redirect") == 0 &&
			    fc_add_uri(ru, pl, "http", name, "callback") !=
			        RC_OK)
				return RC_ENOMEM;
		}
	}
	return RC_OK;
}

static int
fc_json_array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* --- life cycle --- */

enum rc_code
fc_init(struct sim_listener *l, void **state, struct rc_err *err)
{
	struct fc_state *st;
	cjose_err cerr;
	enum rc_code rc;

	*state = NULL;
	if ((st = rc_calloc(1, sizeof(*st))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "fc state");
	st->l = l;
	pthread_mutex_init(&st->mu, NULL);
	snprintf(st->issuer, sizeof(st->issuer), "https://%s:%u/api/v2",
	    l->mod->host, l->port);
	st->interactions = json_object();
	st->codes = json_object();
	st->tokens = json_object();
	if (st->interactions == NULL || st->codes == NULL ||
	    st->tokens == NULL || fc_registry_build(st) != RC_OK) {
		rc = RC_ERR(err, RC_ENOMEM, "fc state");
		goto fail;
	}
	if ((rc = sim_random_hex(st->kid, 16)) != RC_OK) {
		RC_ERR(err, rc, "fc key id");
		goto fail;
	}
	st->key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &cerr);
	if (st->key == NULL ||
	    !cjose_jwk_set_kid(st->key, st->kid, strlen(st->kid), &cerr)) {
		rc = RC_ERR(err, RC_ECRYPTO, "fc ES256 key: %s", cerr.message);
		goto fail;
	}
	*state = st;
	return RC_OK;
fail:
	fc_fini(st);
	return rc;
}

void
fc_fini(void *state)
{
	struct fc_state *st = state;

	if (st == NULL)
		return;
	cjose_jwk_release(st->key);
	json_decref(st->clients);
	json_decref(st->interactions);
	json_decref(st->codes);
	json_decref(st->tokens);
	pthread_mutex_destroy(&st->mu);
	rc_free(st);
}

/* Drop expired entries ("exp" member); call with st->mu held. */
static void
fc_prune(json_t *store)
{
	json_int_t now = (json_int_t)time(NULL);
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(store, tmp, k, v)
	{
		if (json_integer_value(json_object_get(v, "exp")) < now)
			json_object_del(store, k);
	}
}

/* Store v (stolen) under a fresh random key copied into id[65]. */
static enum rc_code
fc_store_put(struct fc_state *st, json_t *store, json_t *v, char *id,
    size_t nbytes)
{
	enum rc_code rc = RC_ENOMEM;

	if (v == NULL)
		return RC_ENOMEM;
	if ((rc = sim_random_hex(id, nbytes)) != RC_OK) {
		json_decref(v);
		return rc;
	}
	pthread_mutex_lock(&st->mu);
	fc_prune(store);
	if (json_object_size(store) >= FC_STORE_MAX)
		json_object_clear(store);
	rc = json_object_set_new(store, id, v) == 0 ? RC_OK : RC_ENOMEM;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* A deep copy of store[id] when present and not expired; NULL else. */
static json_t *
fc_store_get(struct fc_state *st, json_t *store, const char *id, int take)
{
	json_t *v, *copy = NULL;

	pthread_mutex_lock(&st->mu);
	v = json_object_get(store, id);
	if (v != NULL &&
	    json_integer_value(json_object_get(v, "exp")) >= time(NULL))
		copy = json_deep_copy(v);
	if (v != NULL && take)
		json_object_del(store, id);
	pthread_mutex_unlock(&st->mu);
	return copy;
}

static const char *
fc_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* --- JOSE --- */

/* Sign claims (borrowed) as a compact ES256 JWS; NULL on failure. */
static char *
fc_sign(struct fc_state *st, const json_t *claims)
{
	cjose_header_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	const char *ser = NULL;
	char *payload, *out = NULL;
	cjose_err cerr;

	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL)
		return NULL;
	if ((hdr = cjose_header_new(&cerr)) == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &cerr) ||
	    !cjose_header_set(hdr, CJOSE_HDR_KID, st->kid, &cerr) ||
	    !cjose_header_set(hdr, "typ", "JWT", &cerr))
		goto out;
	pthread_mutex_lock(&st->mu);
	jws = cjose_jws_sign(st->key, hdr, (const uint8_t *)payload,
	    strlen(payload), &cerr);
	pthread_mutex_unlock(&st->mu);
	if (jws == NULL || !cjose_jws_export(jws, &ser, &cerr))
		goto out;
	out = rc_strdup(ser);
out:
	if (out == NULL)
		log_error("sign failed");
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	free(payload);
	return out;
}

/* Verify a JWS we issued; return its claims (new reference) or NULL. */
static json_t *
fc_verify(struct fc_state *st, const char *compact)
{
	cjose_jws_t *jws;
	cjose_err cerr;
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_t *claims = NULL;
	int ok;

	if ((jws = cjose_jws_import(compact, strlen(compact), &cerr)) == NULL)
		return NULL;
	pthread_mutex_lock(&st->mu);
	ok = cjose_jws_verify(jws, st->key, &cerr);
	pthread_mutex_unlock(&st->mu);
	if (ok && cjose_jws_get_plaintext(jws, &plain, &plen, &cerr))
		claims = json_loadb((const char *)plain, plen, 0, NULL);
	cjose_jws_release(jws);
	if (claims != NULL && !json_is_object(claims)) {
		json_decref(claims);
		claims = NULL;
	}
	return claims;
}

/* Pairwise sub: 64 hex digits of a per-client hash, then "v1". */
static void
fc_sub(const char *client_id, char *out /* [67] */)
{
	struct rc_buf b;

	rc_buf_init(&b, 512);
	if (rc_buf_addf(&b, "%s|test|%s", client_id, FC_SUB_SALT) != RC_OK ||
	    rc_sha256_hex(b.data, b.len, out) != RC_OK)
		memset(out, '0', 64);
	memcpy(out + 64, "v1", 3);
	rc_buf_free(&b);
}

/* --- pages --- */

/* FC's error page: "Code d'erreur : <code>" and a short message. */
static enum MHD_Result
fc_error_page(struct sim_req *req, unsigned int status, const char *code,
    const char *message)
{
	struct rc_buf b;
	char id[33];
	enum MHD_Result r;
	enum rc_code rc;

	rc_buf_init(&b, FC_PAGE_MAX);
	if (sim_random_hex(id, 16) != RC_OK)
		memset(id, '0', 33);
	/* FC's markup: views/pages/error/error.welcome.ejs ("Erreur {code}"
	 * in data-testid="error-code", fr-FR.i18n.ts). */
	rc = rc_buf_adds(&b,
	    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	    "<title>Erreur - FranceConnect</title></head>\n<body>\n"
	    "<header><p class=\"fr-header__service-title\">FranceConnect</p>"
	    "</header>\n<main class=\"fr-container\" id=\"error-page\">\n"
	    "<h1 data-testid=\"error-section-title\">Une erreur est "
	    "survenue</h1>\n");
	if (rc == RC_OK && code != NULL)
		rc = rc_buf_addf(&b,
		    "<p class=\"fr-text--sm\" data-testid=\"error-code\">"
		    "Erreur %s</p>\n",
		    code);
	if (rc == RC_OK)
		rc = rc_buf_adds(&b, "<p class=\"error-message\">");
	if (rc == RC_OK)
		rc = sim_buf_add_html(&b, message);
	if (rc == RC_OK)
		rc = rc_buf_addf(&b,
		    "</p>\n<p class=\"error-id\">ID : %s</p>\n"
		    "<p>Vous pouvez fermer cette page et réessayer.</p>\n"
		    "</main>\n</body></html>\n",
		    id);
	if (rc != RC_OK) {
		rc_buf_free(&b);
		return MHD_NO;
	}
	r = sim_send_text(req, status, "text/html; charset=utf-8", b.data);
	rc_buf_free(&b);
	return r;
}

/* 303 back to the client's redirect_uri with an OAuth error (RFC 6749
 * 4.1.2.1, plus iss from RFC 9207 as FC does). */
static enum MHD_Result
fc_error_redirect(struct fc_state *st, struct sim_req *req,
    const char *redirect_uri, const char *error, const char *desc,
    const char *state)
{
	struct rc_buf b;
	enum MHD_Result r = MHD_NO;

	rc_buf_init(&b, 8192);
	if (rc_buf_adds(&b, redirect_uri) != RC_OK ||
	    sim_buf_add_qsep(&b) != RC_OK ||
	    rc_buf_addf(&b, "error=%s&error_description=", error) != RC_OK ||
	    sim_buf_add_urlenc(&b, desc) != RC_OK)
		goto out;
	if (state != NULL &&
	    (rc_buf_adds(&b, "&state=") != RC_OK ||
	        sim_buf_add_urlenc(&b, state) != RC_OK))
		goto out;
	if (rc_buf_adds(&b, "&iss=") != RC_OK ||
	    sim_buf_add_urlenc(&b, st->issuer) != RC_OK)
		goto out;
	r = sim_send_redirect(req, MHD_HTTP_SEE_OTHER, b.data);
out:
	rc_buf_free(&b);
	return r;
}

/* --- discovery and keys --- */

static enum MHD_Result
fc_discovery(struct fc_state *st, struct sim_req *req)
{
	char u[6][192];
	static const char *const paths[6] = { "authorize", "token", "userinfo",
		"session/end", "jwks", "token/revocation" };
	json_t *scopes = json_array(), *claims = json_array();
	size_t i;

	for (i = 0; i < 6; i++)
		snprintf(u[i], sizeof(u[i]), "%s/%s%s", st->issuer, paths[i],
		    i == 0 &&
		            atomic_load(&fc_fault_now) ==
		                FC_FAULT_DISCOVERY_MOVED
		        ? "-previous"
		        : "");
	for (i = 0; i < sizeof(fc_scopes) / sizeof(fc_scopes[0]); i++)
		json_array_append_new(scopes, json_string(fc_scopes[i].name));
	json_array_append_new(claims, json_string("sub"));
	for (i = 0; i < sizeof(fc_user) / sizeof(fc_user[0]); i++)
		json_array_append_new(claims, json_string(fc_user[i].claim));
	json_array_append_new(claims, json_string("given_name_array"));
	json_array_append_new(claims, json_string("amr"));
	return sim_send_json(req, MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:o, "
	              "s:[s], s:[s], s:[s], s:[s,s], s:[s,s], "
	              "s:[s,s,s], s:[s,s,s], s:o, s:[s], s:b, s:b, s:b, s:b, "
	              "s:b}",
	        "issuer", st->issuer, "authorization_endpoint", u[0],
	        "token_endpoint", u[1], "userinfo_endpoint", u[2],
	        "end_session_endpoint", u[3], "jwks_uri", u[4],
	        "revocation_endpoint", u[5], "acr_values_supported", "eidas1",
	        "scopes_supported", scopes, "response_types_supported", "code",
	        "response_modes_supported", "query", "grant_types_supported",
	        "authorization_code", "token_endpoint_auth_methods_supported",
	        "client_secret_post", "private_key_jwt",
	        "id_token_signing_alg_values_supported", "ES256", "RS256",
	        "userinfo_signing_alg_values_supported", "HS256", "ES256",
	        "RS256", "claim_types_supported", "normal", "aggregated",
	        "distributed", "claims_supported", claims,
	        "subject_types_supported", "pairwise",
	        "claims_parameter_supported", 1, "request_parameter_supported",
	        0, "request_uri_parameter_supported", 0,
	        "require_request_uri_registration", 1,
	        "authorization_response_iss_parameter_supported", 1));
}

static enum MHD_Result
fc_jwks(struct fc_state *st, struct sim_req *req)
{
	cjose_err cerr;
	char *pub;
	json_t *k;

	if ((pub = cjose_jwk_to_json(st->key, false, &cerr)) == NULL)
		return MHD_NO;
	k = json_loads(pub, 0, NULL);
	free(pub);
	if (k == NULL)
		return MHD_NO;
	json_object_set_new(k, "use", json_string("sig"));
	json_object_set_new(k, "alg", json_string("ES256"));
	return sim_send_json(req, MHD_HTTP_OK, json_pack("{s:[o]}", "keys", k));
}

/* --- authorize --- */

/* A redirect_uri FC can parse: absolute http(s) URL, no fragment. */
static int
fc_uri_ok(const char *s)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *frag = NULL;
	int ok;

	if ((u = curl_url()) == NULL)
		return 0;
	ok = curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    (strcmp(scheme, "https") == 0 || strcmp(scheme, "http") == 0) &&
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) != CURLUE_OK;
	curl_free(scheme);
	curl_free(host);
	curl_free(frag);
	curl_url_cleanup(u);
	return ok;
}

static int
fc_scope_known(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(fc_scopes) / sizeof(fc_scopes[0]); i++)
		if (strlen(fc_scopes[i].name) == n &&
		    strncmp(fc_scopes[i].name, s, n) == 0)
			return 1;
	return 0;
}

/*
 * Scope check: 0 ok, 1 no openid (invalid_request), 2 an unknown or
 * removed scope (invalid_scope).
 */
static int
fc_scope_check(const char *scope)
{
	const char *p = scope;
	size_t n;
	int openid = 0;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n > 0) {
			if (n == 6 && strncmp(p, "openid", 6) == 0)
				openid = 1;
			else if (!fc_scope_known(p, n))
				return 2;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return openid ? 0 : 1;
}

static int
fc_prompt_ok(const char *p)
{
	return strcmp(p, "login") == 0 || strcmp(p, "consent") == 0 ||
	    strcmp(p, "login consent") == 0 || strcmp(p, "consent login") == 0;
}

/* The parameters of FC's AuthorizeParamsDto (core-fcp
 * src/dto/authorize-params.dto.ts); forbidNonWhitelisted refuses others. */
static int
fc_dto_param(const char *name)
{
	static const char *const known[] = { "client_id", "acr_values",
		"claims", "response_type", "nonce", "state", "redirect_uri",
		"scope", "prompt", "idp_hint", "ui_locales" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i]) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
fc_count_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	int *n = cls;

	(void)kind;
	(void)value;
	if (key != NULL && !fc_dto_param(key))
		(*n)++;
	return MHD_YES;
}

/* Parameters the DTO does not list, in the query or the form body. */
static int
fc_unknown_params(const struct sim_req *req)
{
	int n = 0;
	size_t i;

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
	    fc_count_unknown, &n);
	for (i = 0; i < req->nform; i++)
		if (!fc_dto_param(req->form[i].name))
			n++;
	return n;
}

/* 303 to the interaction with FC's session and interaction cookies. */
static enum MHD_Result
fc_send_interaction_redirect(struct sim_req *req, const char *uid,
    const char *sid)
{
	struct MHD_Response *resp = sim_response(NULL, "");
	char loc[256], c1[256], c2[256], c3[128];

	snprintf(loc, sizeof(loc), "/api/v2/interaction/%s", uid);
	/* FC resets the library's cookies, then sets its session and the
	 * library's interaction cookies (ref §8). */
	snprintf(c1, sizeof(c1), "%s=%s%s", FC_SESSION_COOKIE, sid,
	    FC_COOKIE_ATTR);
	snprintf(c2, sizeof(c2), "_interaction=%s%s", uid, FC_COOKIE_ATTR);
	snprintf(c3, sizeof(c3),
	    "_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
	if (resp != NULL &&
	    (MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc) !=
	            MHD_YES ||
	        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c3) !=
	            MHD_YES ||
	        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c1) !=
	            MHD_YES ||
	        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c2) !=
	            MHD_YES ||
	        MHD_add_response_header(resp, "Cache-Control", "no-store") !=
	            MHD_YES)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return sim_queue(req, MHD_HTTP_SEE_OTHER, resp);
}

/* The /authorize failure switches; MHD_NO when none applies (*hit 0). */
static enum MHD_Result
fc_authorize_fault(struct fc_state *st, struct sim_req *req, int *hit)
{
	struct MHD_Response *resp;
	char loc[256];

	*hit = 1;
	switch (atomic_load(&fc_fault_now)) {
	case FC_FAULT_AUTHORIZE_500:
		return fc_error_page(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "Le service est momentanément indisponible.");
	case FC_FAULT_AUTHORIZE_429:
		resp = sim_response("text/html; charset=utf-8",
		    "<!DOCTYPE html><html><body><p>Trop de requêtes.</p>"
		    "</body></html>\n");
		if (resp != NULL &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		        "30") != MHD_YES) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
		return sim_queue(req, MHD_HTTP_TOO_MANY_REQUESTS, resp);
	case FC_FAULT_ERROR_200:
		return fc_error_page(req, MHD_HTTP_OK, FC_E_UNKNOWN,
		    "Une erreur technique est survenue.");
	case FC_FAULT_LOOP:
		return sim_send_redirect(req, MHD_HTTP_SEE_OTHER,
		    "/api/v2/authorize?loop=1");
	case FC_FAULT_JSON:
		return sim_send_json(req, MHD_HTTP_OK,
		    json_pack("{s:s}", "status", "ok"));
	case FC_FAULT_BARE_400:
		return sim_send_text(req, MHD_HTTP_BAD_REQUEST,
		    "text/html; charset=utf-8",
		    "<!DOCTYPE html><html><body><p>Bad Request</p></body>"
		    "</html>\n");
	case FC_FAULT_IDP_HINT:
		/* An allowed idp_hint: straight on to the identity provider,
		 * another origin (ref §8). */
		snprintf(loc, sizeof(loc),
		    "https://idp.test:%u/authorize?client_id=fc&state=x",
		    (unsigned)st->l->port);
		return sim_send_redirect(req, MHD_HTTP_SEE_OTHER, loc);
	default:
		*hit = 0;
		return MHD_NO;
	}
}

/*
 * GET /api/v2/authorize, validated in FC's order: client, redirect_uri
 * (malformed, then unregistered): these give an error page, since FC
 * cannot trust the redirect_uri; then the DTO rules (acr_values, state,
 * nonce, prompt) also as a page with Y030007; finally the OIDC rules
 * answered by a 303 to the client (response_type, scope).
 */
static enum MHD_Result
fc_authorize(struct fc_state *st, struct sim_req *req)
{
	const char *client_id = sim_arg(req, "client_id");
	const char *redirect_uri = sim_arg(req, "redirect_uri");
	const char *acr = sim_arg(req, "acr_values");
	const char *state = sim_arg(req, "state");
	const char *nonce = sim_arg(req, "nonce");
	const char *prompt = sim_arg(req, "prompt");
	const char *rtype = sim_arg(req, "response_type");
	const char *scope = sim_arg(req, "scope");
	json_t *client, *ia;
	char uid[65], sid[129];
	enum MHD_Result r;
	int sc, hit;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
		return fc_error_page(req, MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
		    "Méthode non autorisée.");
	if (strcmp(req->method, "POST") == 0) {
		/* Form POST carries the same parameters in the body. */
		client_id = sim_form(req, "client_id");
		redirect_uri = sim_form(req, "redirect_uri");
		acr = sim_form(req, "acr_values");
		state = sim_form(req, "state");
		nonce = sim_form(req, "nonce");
		prompt = sim_form(req, "prompt");
		rtype = sim_form(req, "response_type");
		scope = sim_form(req, "scope");
	}
	if (sim_cookie(req, FC_SESSION_COOKIE) != NULL)
		atomic_fetch_add(&fc_seen_session_at_authorize, 1);
	r = fc_authorize_fault(st, req, &hit);
	if (hit)
		return r;
	/* The DTO first: forbidNonWhitelisted refuses any other parameter,
	 * e.g. PKCE's code_challenge (docs/fc_rules.md). */
	if (fc_unknown_params(req) > 0)
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "Un paramètre de la requête n'est pas autorisé.");
	client =
	    client_id != NULL ? json_object_get(st->clients, client_id) : NULL;
	if (client == NULL)
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_CLIENT,
		    "Le fournisseur de service n'est pas reconnu "
		    "(client_id inconnu).");
	if (redirect_uri == NULL || !fc_uri_ok(redirect_uri))
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "redirect_uri: must be a URL address.");
	if (!fc_json_array_has(json_object_get(client, "redirect_uris"),
	        redirect_uri))
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_REDIRECT,
		    "L'adresse de redirection (redirect_uri) n'est pas "
		    "enregistrée pour ce fournisseur de service.");
	if (acr == NULL || strcmp(acr, "eidas1") != 0)
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "acr_values: must be one of the following values: eidas1.");
	if (state == NULL || state[0] == '\0')
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "state: should not be empty.");
	if (nonce == NULL || strlen(nonce) < FC_NONCE_MIN)
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "nonce: must be longer than or equal to 22 characters.");
	if (prompt != NULL && !fc_prompt_ok(prompt))
		return fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "prompt: must be one of the following values: login, "
		    "consent, login consent.");
	if (rtype == NULL)
		return fc_error_redirect(st, req, redirect_uri,
		    "invalid_request",
		    "missing required parameter 'response_type'", state);
	if (strcmp(rtype, "code") != 0)
		return fc_error_redirect(st, req, redirect_uri,
		    "unsupported_response_type",
		    "unsupported response_type requested", state);
	sc = fc_scope_check(scope != NULL ? scope : "");
	if (sc == 1)
		return fc_error_redirect(st, req, redirect_uri,
		    "invalid_request",
		    "openid scope must be requested when using the acr_values "
		    "parameter",
		    state);
	if (sc == 2)
		return fc_error_redirect(st, req, redirect_uri, "invalid_scope",
		    "requested scope is not allowed", state);

	if (sim_random_hex(sid, 64) != RC_OK)
		return MHD_NO;
	ia = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "client_id",
	    client_id, "redirect_uri", redirect_uri, "state", state, "nonce",
	    nonce, "scope", scope, "sid", sid, "exp",
	    (json_int_t)time(NULL) + FC_INTERACTION_TTL);
	if (fc_store_put(st, st->interactions, ia, uid, 16) != RC_OK)
		return MHD_NO;
	return fc_send_interaction_redirect(req, uid, sid);
}

/*
 * The interaction uid, when this browser carries the session FC set for
 * it (fc_session_id and _interaction); a copy of the interaction, or NULL
 * (then FC throws SessionNotFoundException: Y190001, HTTP 401).
 */
static json_t *
fc_interaction_of(struct fc_state *st, struct sim_req *req, const char *uid,
    int take)
{
	const char *sid = sim_cookie(req, FC_SESSION_COOKIE);
	const char *iuid = sim_cookie(req, "_interaction");
	json_t *ia;

	if (atomic_load(&fc_fault_now) == FC_FAULT_LOST_SESSION ||
	    sid == NULL || iuid == NULL || strcmp(iuid, uid) != 0)
		return NULL;
	if ((ia = fc_store_get(st, st->interactions, uid, 0)) == NULL)
		return NULL;
	if (strcmp(fc_str(ia, "sid"), sid) != 0) {
		json_decref(ia);
		return NULL;
	}
	if (take) {
		json_decref(ia);
		ia = fc_store_get(st, st->interactions, uid, 1);
	}
	return ia;
}

static enum MHD_Result
fc_no_session(struct sim_req *req)
{
	return fc_error_page(req, MHD_HTTP_UNAUTHORIZED, FC_E_SESSION,
	    "Votre session a expiré ou n'existe pas. Veuillez recommencer "
	    "votre connexion.");
}

/* GET /api/v2/interaction/<uid>: identity-provider selection. */
static enum MHD_Result
fc_interaction_page(struct fc_state *st, struct sim_req *req, const char *uid)
{
	struct rc_buf b;
	json_t *ia;
	enum MHD_Result r = MHD_NO;

	if ((ia = fc_interaction_of(st, req, uid, 0)) == NULL)
		return fc_no_session(req);
	json_decref(ia);
	rc_buf_init(&b, FC_PAGE_MAX);
	if (rc_buf_addf(&b,
	        "<!DOCTYPE html>\n<html lang=\"fr\"><head>"
	        "<meta charset=\"utf-8\"><title>Choisissez votre compte - "
	        "FranceConnect</title></head>\n<body>\n<main "
	        "class=\"fr-container\">\n<h1>Choisissez votre compte</h1>\n"
	        "<p>pour vous connecter via FranceConnect</p>\n"
	        "<section id=\"grid-main-providers\">\n<ul "
	        "data-testid=\"main-providers\">\n"
	        "<li><a id=\"idp-mock\" class=\"fr-btn\" "
	        "href=\"/api/v2/interaction/%s/login?login=test&amp;"
	        "password=123\">Fournisseur d'identité de démonstration "
	        "(test / 123)</a></li>\n</ul>\n</section>\n<p><a "
	        "id=\"cancel\" "
	        "href=\"/api/v2/interaction/%s/abort\">Revenir sur le site "
	        "du service</a></p>\n</main>\n</body></html>\n",
	        uid, uid) == RC_OK)
		r = sim_send_text(req, MHD_HTTP_OK, "text/html; charset=utf-8",
		    b.data);
	rc_buf_free(&b);
	return r;
}

/* Redirect to the client with code (or error) + state + iss. */
static enum MHD_Result
fc_return_to_client(struct fc_state *st, struct sim_req *req, const json_t *ia,
    const char *code)
{
	struct rc_buf b;
	enum MHD_Result r = MHD_NO;

	rc_buf_init(&b, 8192);
	if (rc_buf_adds(&b, fc_str(ia, "redirect_uri")) != RC_OK ||
	    sim_buf_add_qsep(&b) != RC_OK ||
	    rc_buf_addf(&b, "code=%s&state=", code) != RC_OK ||
	    sim_buf_add_urlenc(&b, fc_str(ia, "state")) != RC_OK ||
	    rc_buf_adds(&b, "&iss=") != RC_OK ||
	    sim_buf_add_urlenc(&b, st->issuer) != RC_OK)
		goto out;
	r = sim_send_redirect(req, MHD_HTTP_FOUND, b.data);
out:
	rc_buf_free(&b);
	return r;
}

/* GET /api/v2/interaction/<uid>/login?login=test&password=123 */
static enum MHD_Result
fc_interaction_login(struct fc_state *st, struct sim_req *req, const char *uid)
{
	const char *login = sim_arg(req, "login");
	const char *password = sim_arg(req, "password");
	json_t *ia, *grant;
	char code[65];
	enum MHD_Result r;

	if (login == NULL || password == NULL || strcmp(login, "test") != 0 ||
	    strcmp(password, "123") != 0)
		return sim_send_text(req, MHD_HTTP_UNAUTHORIZED,
		    "text/html; charset=utf-8",
		    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta "
		    "charset=\"utf-8\"><title>Connexion</title></head><body>"
		    "<p>Identifiant ou mot de passe incorrect.</p>"
		    "</body></html>\n");
	if ((ia = fc_interaction_of(st, req, uid, 1)) == NULL)
		return fc_no_session(req);
	grant = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "client_id",
	    fc_str(ia, "client_id"), "redirect_uri", fc_str(ia, "redirect_uri"),
	    "nonce", fc_str(ia, "nonce"), "scope", fc_str(ia, "scope"),
	    "auth_time", (json_int_t)time(NULL), "exp",
	    (json_int_t)time(NULL) + FC_CODE_TTL);
	if (fc_store_put(st, st->codes, grant, code, 32) != RC_OK) {
		json_decref(ia);
		return MHD_NO;
	}
	r = fc_return_to_client(st, req, ia, code);
	json_decref(ia);
	return r;
}

/* GET /api/v2/interaction/<uid>/abort: the user cancels at FC. */
static enum MHD_Result
fc_interaction_abort(struct fc_state *st, struct sim_req *req, const char *uid)
{
	json_t *ia;
	enum MHD_Result r;

	if ((ia = fc_interaction_of(st, req, uid, 1)) == NULL)
		return fc_no_session(req);
	r = fc_error_redirect(st, req, fc_str(ia, "redirect_uri"),
	    "access_denied", "user authentication aborted",
	    fc_str(ia, "state"));
	json_decref(ia);
	return r;
}

/* --- token --- */

static enum MHD_Result
fc_oauth_error(struct sim_req *req, unsigned int status, const char *error,
    const char *desc)
{
	return sim_send_json(req, status,
	    json_pack("{s:s, s:s}", "error", error, "error_description", desc));
}

/* POST /api/v2/token: client_secret_post only; codes last 30 s, once. */
static enum MHD_Result
fc_token(struct fc_state *st, struct sim_req *req)
{
	const char *auth = sim_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *client_id = sim_form(req, "client_id");
	const char *secret = sim_form(req, "client_secret");
	const char *gtype = sim_form(req, "grant_type");
	const char *code = sim_form(req, "code");
	const char *redirect_uri = sim_form(req, "redirect_uri");
	json_t *client, *grant = NULL, *claims = NULL, *tok;
	char sub[67], at[65];
	char *idt = NULL;
	json_int_t now = (json_int_t)time(NULL);
	enum MHD_Result r = MHD_NO;

	if (strcmp(req->method, "POST") != 0)
		return fc_oauth_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "invalid_request", "only POST is supported");
	if (auth != NULL && strncasecmp(auth, "Basic ", 6) == 0)
		return fc_oauth_error(req, MHD_HTTP_UNAUTHORIZED,
		    "invalid_client",
		    "client authentication failed (client_secret_basic is "
		    "not supported)");
	client =
	    client_id != NULL ? json_object_get(st->clients, client_id) : NULL;
	if (client == NULL || secret == NULL ||
	    strcmp(fc_str(client, "client_secret"), secret) != 0)
		return fc_oauth_error(req, MHD_HTTP_UNAUTHORIZED,
		    "invalid_client", "client authentication failed");
	if (gtype == NULL || code == NULL)
		return fc_oauth_error(req, MHD_HTTP_BAD_REQUEST,
		    "invalid_request", "missing required parameter");
	if (strcmp(gtype, "authorization_code") != 0)
		return fc_oauth_error(req, MHD_HTTP_BAD_REQUEST,
		    "unsupported_grant_type",
		    "unsupported grant_type requested");
	/* Single use: the code is removed whatever happens next. */
	grant = fc_store_get(st, st->codes, code, 1);
	if (grant == NULL ||
	    strcmp(fc_str(grant, "client_id"), client_id) != 0 ||
	    redirect_uri == NULL ||
	    strcmp(fc_str(grant, "redirect_uri"), redirect_uri) != 0) {
		r = fc_oauth_error(req, MHD_HTTP_BAD_REQUEST, "invalid_grant",
		    "grant request is invalid");
		goto out;
	}
	fc_sub(client_id, sub);
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "iss",
	    st->issuer, "sub", sub, "aud", client_id, "exp", now + FC_TOKEN_TTL,
	    "iat", now, "nonce", fc_str(grant, "nonce"), "acr", "eidas1",
	    "auth_time",
	    json_integer_value(json_object_get(grant, "auth_time")));
	if (claims == NULL || (idt = fc_sign(st, claims)) == NULL)
		goto out;
	tok = json_pack("{s:s, s:s, s:s, s:I}", "client_id", client_id, "scope",
	    fc_str(grant, "scope"), "sub", sub, "exp", now + FC_TOKEN_TTL);
	if (fc_store_put(st, st->tokens, tok, at, 32) != RC_OK)
		goto out;
	r = sim_send_json(req, MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", at,
	        "token_type", "Bearer", "expires_in", FC_TOKEN_TTL, "id_token",
	        idt, "scope", fc_str(grant, "scope")));
out:
	rc_free(idt);
	json_decref(claims);
	json_decref(grant);
	return r;
}

/* --- userinfo --- */

/* True when the space-separated scope list grants claim. */
static int
fc_scope_grants(const char *scope, const char *claim)
{
	const char *p = scope, *e, *q;
	size_t n, i, cl = strlen(claim);

	while (*p != '\0') {
		n = strcspn(p, " ");
		for (i = 0;
		     n > 0 && i < sizeof(fc_scopes) / sizeof(fc_scopes[0]);
		     i++) {
			if (strlen(fc_scopes[i].name) != n ||
			    strncmp(fc_scopes[i].name, p, n) != 0)
				continue;
			for (q = fc_scopes[i].expands; *q != '\0'; q = e) {
				e = q + strcspn(q, " ");
				if ((size_t)(e - q) == cl &&
				    strncmp(q, claim, cl) == 0)
					return 1;
				while (*e == ' ')
					e++;
			}
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* GET /api/v2/userinfo with a Bearer token: application/jwt, ES256. */
static enum MHD_Result
fc_userinfo(struct fc_state *st, struct sim_req *req)
{
	const char *auth = sim_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	json_t *tok = NULL, *claims = NULL;
	struct MHD_Response *resp;
	const char *scope;
	json_int_t now = (json_int_t)time(NULL);
	char *jwt = NULL;
	size_t i;
	enum MHD_Result r = MHD_NO;

	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
		tok = fc_store_get(st, st->tokens, auth + 7, 0);
	if (tok == NULL) {
		resp = sim_response("application/json",
		    "{\"error\":\"invalid_token\",\"error_description\":"
		    "\"invalid token provided\"}");
		if (resp != NULL)
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			    "Bearer realm=\"fc\", error=\"invalid_token\"");
		return sim_queue(req, MHD_HTTP_UNAUTHORIZED, resp);
	}
	scope = fc_str(tok, "scope");
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "sub",
	    fc_str(tok, "sub"), "iss", st->issuer, "aud",
	    fc_str(tok, "client_id"), "iat", now, "exp", now + FC_TOKEN_TTL);
	if (claims == NULL)
		goto out;
	for (i = 0; i < sizeof(fc_user) / sizeof(fc_user[0]); i++)
		if (fc_scope_grants(scope, fc_user[i].scope))
			json_object_set_new(claims, fc_user[i].claim,
			    json_string(fc_user[i].value));
	if (fc_scope_grants(scope, "given_name"))
		json_object_set_new(claims, "given_name_array",
		    json_pack("[s,s,s]", "Angela", "Claire", "Louise"));
	if ((jwt = fc_sign(st, claims)) == NULL)
		goto out;
	r = sim_send_text(req, MHD_HTTP_OK, "application/jwt; charset=utf-8",
	    jwt);
out:
	rc_free(jwt);
	json_decref(claims);
	json_decref(tok);
	return r;
}

/* --- logout --- */

/* GET /api/v2/session/end?id_token_hint&state&post_logout_redirect_uri */
static enum MHD_Result
fc_session_end(struct fc_state *st, struct sim_req *req)
{
	const char *hint = sim_arg(req, "id_token_hint");
	const char *state = sim_arg(req, "state");
	const char *plru = sim_arg(req, "post_logout_redirect_uri");
	json_t *claims = NULL, *client;
	struct rc_buf b;
	enum MHD_Result r = MHD_NO;

	rc_buf_init(&b, 8192);
	if (hint == NULL || hint[0] == '\0') {
		r = fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "id_token_hint: should not be empty.");
		goto out;
	}
	claims = fc_verify(st, hint);
	client = claims != NULL
	    ? json_object_get(st->clients, fc_str(claims, "aud"))
	    : NULL;
	if (client == NULL || strcmp(fc_str(claims, "iss"), st->issuer) != 0) {
		r = fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "id_token_hint: could not validate id_token_hint.");
		goto out;
	}
	if (plru == NULL ||
	    !fc_json_array_has(
	        json_object_get(client, "post_logout_redirect_uris"), plru)) {
		r = fc_error_page(req, MHD_HTTP_BAD_REQUEST, FC_E_PARAMS,
		    "post_logout_redirect_uri: does not match one of the "
		    "registered post_logout_redirect_uris.");
		goto out;
	}
	if (rc_buf_adds(&b, plru) != RC_OK)
		goto out;
	if (state != NULL &&
	    (sim_buf_add_qsep(&b) != RC_OK ||
	        rc_buf_adds(&b, "state=") != RC_OK ||
	        sim_buf_add_urlenc(&b, state) != RC_OK))
		goto out;
	r = sim_send_redirect(req, MHD_HTTP_SEE_OTHER, b.data);
out:
	rc_buf_free(&b);
	json_decref(claims);
	return r;
}

/* --- dispatch --- */

/* GET /_sim/fault/<name>: switch the failure mode (test control). */
static enum MHD_Result
fc_set_fault(struct sim_req *req, const char *name)
{
	int i;

	for (i = 0; i < FC_FAULT__MAX; i++)
		if (strcmp(name, fc_fault_names[i]) == 0) {
			atomic_store(&fc_fault_now, i);
			log_info("fc fault=%s", name);
			return sim_send_text(req, MHD_HTTP_OK, "text/plain",
			    "ok\n");
		}
	return sim_send_text(req, MHD_HTTP_NOT_FOUND, "text/plain",
	    "unknown fault\n");
}

enum MHD_Result
fc_handle(struct sim_req *req)
{
	struct fc_state *st = req->l->state;
	const char *p = req->url, *rest;
	char uid[65];
	size_t n;

	if (sim_cookie(req, "fc_state") != NULL ||
	    sim_cookie(req, "session") != NULL)
		atomic_fetch_add(&fc_seen_foreign_cookie, 1);
	if (strncmp(p, "/_sim/fault/", 12) == 0)
		return fc_set_fault(req, p + 12);
	if (strcmp(p, "/_sim/seen") == 0) {
		char t[96];

		snprintf(t, sizeof(t),
		    "authorize_with_session=%d foreign_cookie=%d\n",
		    atomic_load(&fc_seen_session_at_authorize),
		    atomic_load(&fc_seen_foreign_cookie));
		return sim_send_text(req, MHD_HTTP_OK, "text/plain", t);
	}
	if (strncmp(p, "/api/v2/", 8) != 0)
		return fc_error_page(req, MHD_HTTP_NOT_FOUND, NULL,
		    "Page introuvable.");
	p += 8;
	if (strcmp(p, ".well-known/openid-configuration") == 0) {
		switch (atomic_load(&fc_fault_now)) {
		case FC_FAULT_DISCOVERY_500:
			return fc_error_page(req, MHD_HTTP_SERVICE_UNAVAILABLE,
			    NULL, "Le service est momentanément indisponible.");
		case FC_FAULT_DISCOVERY_TIMEOUT:
			/* Longer than any client timeout; ends on shutdown. */
			sim_sleep_ms(req->l->ctx, 60000);
			return MHD_NO;
		default:
			return fc_discovery(st, req);
		}
	}
	if (strcmp(p, "jwks") == 0)
		return fc_jwks(st, req);
	if (strcmp(p, "authorize") == 0)
		return fc_authorize(st, req);
	if (strcmp(p, "token") == 0)
		return fc_token(st, req);
	if (strcmp(p, "userinfo") == 0)
		return fc_userinfo(st, req);
	if (strcmp(p, "session/end") == 0)
		return fc_session_end(st, req);
	if (strncmp(p, "interaction/", 12) == 0) {
		p += 12;
		n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(uid))
			goto notfound;
		memcpy(uid, p, n);
		uid[n] = '\0';
		rest = p + n;
		if (strcmp(rest, "") == 0)
			return fc_interaction_page(st, req, uid);
		if (strcmp(rest, "/login") == 0)
			return fc_interaction_login(st, req, uid);
		if (strcmp(rest, "/abort") == 0)
			return fc_interaction_abort(st, req, uid);
	}
notfound:
	return fc_error_page(req, MHD_HTTP_NOT_FOUND, NULL,
	    "Page introuvable.");
}
