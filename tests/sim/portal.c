/* SPDX-License-Identifier: MIT */
/*
 * Simulated collectivité portals: one correct FranceConnect integration
 * ("ok") and flavours that each differ from it by exactly one flaw, for
 * the verifier's checks to find.  Every portal listener (portal,
 * portal_http, portal_expired, ...) serves the same routes, per flavour F:
 *
 *   GET  /F/connexion           login page with the DSFR FranceConnect
 *                               button (a form to /F/auth/franceconnect)
 *   GET  /F/auth/franceconnect  start the flow: 302 to FC's authorize
 *   GET  /F/callback            the redirect_uri
 *   GET  /F/                    home, also the post-logout target
 *   GET  /F/espace              needs a session, else 302 /F/connexion
 *   GET  /F/deconnexion         302 to FC's session/end
 *
 * docs/sim.md lists what each flavour does differently.
 *
 * State (pending flows, CSRF tokens, sessions) lives per listener in a
 * jansson object guarded by a mutex, keyed by the random cookie value.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "tests/sim/portal_int.h"
#include "tests/sim/sim.h"

#define PORTAL_PAGE_MAX     (64 * 1024)
#define PORTAL_FLOW_TTL     1800
#define PORTAL_STORE_MAX    10000
#define PORTAL_HUGE_BYTES   ((uint64_t)50 * 1024 * 1024)
#define PORTAL_SLOW_MS      20000L
#define PORTAL_HSTS         "max-age=31536000; includeSubDomains"
#define PORTAL_COOKIE_ATTR  "; Path=/; Secure; HttpOnly; SameSite=Lax"
#define PORTAL_STATIC_STATE "9f86d081884c7d659a2feaa0c55ad015"

enum portal_kind {
	PK_OK,
	PK_FORMPOST,
	PK_MULTIHOP,
	PK_V1,
	PK_SANDBOX,
	PK_OTHERHOST,
	PK_STATIC_STATE,
	PK_SHORT_NONCE,
	PK_NO_NONCE,
	PK_SAME_STATE_NONCE,
	PK_COUNTER_STATE,
	PK_NO_ACR,
	PK_BAD_ACR,
	PK_WRONG_CLIENT,
	PK_UNREGISTERED_REDIRECT,
	PK_HTTP_REDIRECT,
	PK_BAD_SCOPE,
	PK_NO_OPENID,
	PK_PROMPT_NONE,
	PK_TOKEN_FLOW,
	PK_CALLBACK_500,
	PK_CALLBACK_SESSION,
	PK_ERROR_500,
	PK_WEAK_COOKIE,
	PK_NO_HSTS,
	PK_NO_BUTTON,
	PK_PKCE,
	PK_CALLBACK_WELCOME,
	PK_LOOP,
	PK_HUGE,
	PK_SLOW,
	PK_FLAKY_ACR,
	PK_FLAKY_500,
	PK_CROSS_STATE_NONCE,
	PK__MAX
};

/* Indexed by enum portal_kind. */
static const char *const portal_names[PK__MAX] = {
	"ok",
	"formpost",
	"multihop",
	"v1",
	"sandbox",
	"otherhost",
	"static_state",
	"short_nonce",
	"no_nonce",
	"same_state_nonce",
	"counter_state",
	"no_acr",
	"bad_acr",
	"wrong_client",
	"unregistered_redirect",
	"http_redirect",
	"bad_scope",
	"no_openid",
	"prompt_none",
	"token_flow",
	"callback_500",
	"callback_session",
	"error_500",
	"weak_cookie",
	"no_hsts",
	"no_button",
	"pkce",
	"callback_welcome",
	"loop",
	"huge",
	"slow",
	"flaky_acr",
	"flaky_500",
	"cross_state_nonce",
};

struct portal_state {
	struct sim_listener *l;
	pthread_mutex_t mu;
	json_t *store; /* id -> {type: flow|csrf|session, flavour, exp, ...} */
	unsigned long counter; /* counter_state */
	unsigned long flaky;   /* flaky_acr, flaky_500: flows started */
	char last_nonce[65];   /* cross_state_nonce: the previous flow's */
};

/* One request on a portal, with its flavour. */
struct preq {
	struct sim_req *req;
	struct portal_state *st;
	enum portal_kind kind;
	const char *name; /* flavour name */
	char base[96];    /* scheme://portal.test:PORT of this listener */
};

size_t
portal_flavour_count(void)
{
	return PK__MAX;
}

const char *
portal_flavour_name(size_t i)
{
	return i < PK__MAX ? portal_names[i] : NULL;
}

/* --- life cycle --- */

enum rc_code
portal_init(struct sim_listener *l, void **state, struct rc_err *err)
{
	struct portal_state *st;

	*state = NULL;
	if ((st = rc_calloc(1, sizeof(*st))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "portal state");
	if ((st->store = json_object()) == NULL) {
		rc_free(st);
		return RC_ERR(err, RC_ENOMEM, "portal state");
	}
	st->l = l;
	pthread_mutex_init(&st->mu, NULL);
	*state = st;
	return RC_OK;
}

void
portal_fini(void *state)
{
	struct portal_state *st = state;

	if (st == NULL)
		return;
	json_decref(st->store);
	pthread_mutex_destroy(&st->mu);
	rc_free(st);
}

/* --- store --- */

/* Keep v (stolen) under a fresh random id copied into id[65]. */
static enum rc_code
store_put(struct portal_state *st, json_t *v, char *id)
{
	json_int_t now = (json_int_t)time(NULL);
	enum rc_code rc;
	const char *k;
	json_t *e;
	void *tmp;

	if (v == NULL)
		return RC_ENOMEM;
	if ((rc = sim_random_hex(id, 32)) != RC_OK) {
		json_decref(v);
		return rc;
	}
	pthread_mutex_lock(&st->mu);
	json_object_foreach_safe(st->store, tmp, k, e)
	{
		if (json_integer_value(json_object_get(e, "exp")) < now)
			json_object_del(st->store, k);
	}
	if (json_object_size(st->store) >= PORTAL_STORE_MAX)
		json_object_clear(st->store);
	rc = json_object_set_new(st->store, id, v) == 0 ? RC_OK : RC_ENOMEM;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/*
 * A copy of the entry id when it exists, is of type and flavour, and has
 * not expired; NULL otherwise.  take removes it (single use).
 */
static json_t *
store_get(struct preq *p, const char *id, const char *type, int take)
{
	json_t *e, *copy = NULL;

	if (id == NULL)
		return NULL;
	pthread_mutex_lock(&p->st->mu);
	e = json_object_get(p->st->store, id);
	if (e != NULL &&
	    strcmp(json_string_value(json_object_get(e, "type")), type) == 0 &&
	    strcmp(json_string_value(json_object_get(e, "flavour")), p->name) ==
	        0 &&
	    json_integer_value(json_object_get(e, "exp")) >= time(NULL)) {
		copy = json_deep_copy(e);
		if (take)
			json_object_del(p->st->store, id);
	}
	pthread_mutex_unlock(&p->st->mu);
	return copy;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* --- responses --- */

/* Headers every portal response carries: HSTS on https (not no_hsts). */
static enum MHD_Result
psend(struct preq *p, unsigned int status, struct MHD_Response *resp)
{
	if (resp != NULL && p->req->l->tls && p->kind != PK_NO_HSTS)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		    PORTAL_HSTS);
	return sim_queue(p->req, status, resp);
}

static enum MHD_Result
psend_html(struct preq *p, unsigned int status, const char *html)
{
	return psend(p, status, sim_response("text/html; charset=utf-8", html));
}

/* A redirect with an optional Set-Cookie. */
static enum MHD_Result
psend_redirect(struct preq *p, unsigned int status, const char *location,
    const char *cookie)
{
	struct MHD_Response *resp = sim_response(NULL, "");

	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
		    location);
		if (cookie != NULL)
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_SET_COOKIE, cookie);
	}
	return psend(p, status, resp);
}

/* Wrap body (HTML, trusted) in the portal's page layout. */
static enum rc_code
page_begin(struct rc_buf *b, const struct preq *p, const char *title)
{
	return rc_buf_addf(b,
	    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	    "<title>%s - Mairie de Simville (%s)</title>"
	    "<link rel=\"stylesheet\" href=\"/dsfr/dsfr.min.css\"></head>\n"
	    "<body>\n<header class=\"fr-header\"><p "
	    "class=\"fr-header__service-title\">Mairie de Simville - "
	    "démarches en ligne</p></header>\n<main class=\"fr-container\">\n"
	    "<h1>%s</h1>\n",
	    title, p->name, title);
}

static enum rc_code
page_end(struct rc_buf *b)
{
	return rc_buf_adds(b, "</main>\n</body></html>\n");
}

/* A page with title and one paragraph of text (escaped). */
static enum MHD_Result
psend_message(struct preq *p, unsigned int status, const char *title,
    const char *text)
{
	struct rc_buf b;
	enum MHD_Result r = MHD_NO;

	rc_buf_init(&b, PORTAL_PAGE_MAX);
	if (page_begin(&b, p, title) == RC_OK &&
	    rc_buf_adds(&b, "<p>") == RC_OK &&
	    sim_buf_add_html(&b, text) == RC_OK &&
	    rc_buf_addf(&b,
	        "</p>\n<p><a href=\"/%s/connexion\">Retour à la page de "
	        "connexion</a></p>\n",
	        p->name) == RC_OK &&
	    page_end(&b) == RC_OK)
		r = psend_html(p, status, b.data);
	rc_buf_free(&b);
	return r;
}

static enum MHD_Result
psend_not_allowed(struct preq *p, const char *allow)
{
	struct MHD_Response *resp = sim_response("text/plain; charset=utf-8",
	    "Méthode non autorisée\n");

	if (resp != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	return psend(p, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
}

static int
is_get(const struct preq *p)
{
	return strcmp(p->req->method, "GET") == 0 ||
	    strcmp(p->req->method, "HEAD") == 0;
}

/* --- /F/connexion --- */

/* The DSFR "Bouton FranceConnect" component (systeme-de-design.gouv.fr). */
static const char dsfr_button[] =
    "<div class=\"fr-connect-group\">\n"
    "<button class=\"fr-connect\" type=\"submit\">\n"
    "<span class=\"fr-connect__login\">S’identifier avec</span>\n"
    "<span class=\"fr-connect__brand\">FranceConnect</span>\n"
    "</button>\n"
    "<p><a href=\"https://franceconnect.gouv.fr/\" target=\"_blank\" "
    "rel=\"noopener\" title=\"Qu’est-ce que FranceConnect ? - nouvelle "
    "fenêtre\">Qu’est-ce que FranceConnect ?</a></p>\n"
    "</div>\n";

static enum MHD_Result
route_connexion(struct preq *p)
{
	struct rc_buf b;
	char csrf_id[65], cookie[160];
	enum rc_code rc;
	enum MHD_Result r = MHD_NO;
	struct MHD_Response *resp;

	if (!is_get(p))
		return psend_not_allowed(p, "GET");
	rc_buf_init(&b, PORTAL_PAGE_MAX);
	rc = page_begin(&b, p, "Connexion");
	if (rc == RC_OK && p->kind == PK_FORMPOST) {
		rc = store_put(p->st,
		    json_pack("{s:s, s:s, s:I}", "type", "csrf", "flavour",
		        p->name, "exp",
		        (json_int_t)time(NULL) + PORTAL_FLOW_TTL),
		    csrf_id);
		if (rc == RC_OK)
			rc = rc_buf_addf(&b,
			    "<form method=\"post\" action=\"/%s/auth/"
			    "franceconnect\">\n<input type=\"hidden\" "
			    "name=\"csrf\" value=\"%s\">\n",
			    p->name, csrf_id);
	} else if (rc == RC_OK && p->kind != PK_NO_BUTTON) {
		rc = rc_buf_addf(&b,
		    "<form method=\"get\" action=\"/%s/auth/franceconnect\">\n",
		    p->name);
	}
	if (rc == RC_OK && p->kind != PK_NO_BUTTON)
		rc = rc_buf_addf(&b,
		    "<p>FranceConnect est la solution proposée par l’État "
		    "pour sécuriser et simplifier la connexion à vos services "
		    "en ligne.</p>\n%s</form>\n<p class=\"fr-hr-or\">ou</p>\n",
		    dsfr_button);
	if (rc == RC_OK)
		rc = rc_buf_addf(&b,
		    "<form method=\"post\" action=\"/%s/login\">\n"
		    "<label for=\"email\">Adresse électronique</label>"
		    "<input id=\"email\" name=\"email\" type=\"email\">\n"
		    "<label for=\"password\">Mot de passe</label>"
		    "<input id=\"password\" name=\"password\" "
		    "type=\"password\">\n<button class=\"fr-btn\" "
		    "type=\"submit\">Se connecter</button>\n</form>\n",
		    p->name);
	if (rc == RC_OK)
		rc = page_end(&b);
	if (rc == RC_OK &&
	    (resp = sim_response("text/html; charset=utf-8", b.data)) != NULL) {
		if (p->kind == PK_FORMPOST) {
			snprintf(cookie, sizeof(cookie), "fc_csrf=%s%s",
			    csrf_id, PORTAL_COOKIE_ATTR);
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_SET_COOKIE, cookie);
		}
		r = psend(p, MHD_HTTP_OK, resp);
	}
	rc_buf_free(&b);
	return r;
}

/* --- /F/auth/franceconnect --- */

static const char *
authorize_base(const struct preq *p, char *buf, size_t len)
{
	switch (p->kind) {
	case PK_V1:
		return "https://app.franceconnect.gouv.fr/api/v1/authorize";
	case PK_SANDBOX:
		return "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/"
		       "authorize";
	case PK_OTHERHOST:
		return "https://login.example.invalid/authorize";
	default:
		snprintf(buf, len, "https://fc.test:%u/api/v2/authorize",
		    sim_port(p->req->l->ctx, "fc"));
		return buf;
	}
}

static void
make_redirect_uri(const struct preq *p, char *buf, size_t len)
{
	if (p->kind == PK_UNREGISTERED_REDIRECT)
		snprintf(buf, len, "%s/%s/other-callback", p->base, p->name);
	else if (p->kind == PK_HTTP_REDIRECT)
		snprintf(buf, len, "http://%s:%u/%s/callback",
		    p->req->l->mod->host, p->req->l->port, p->name);
	else
		snprintf(buf, len, "%s/%s/callback", p->base, p->name);
}

/* state and nonce as this flavour makes them (NULL nonce: none sent). */
static enum rc_code
make_state_nonce(struct preq *p, char *state, char *nonce, int *has_nonce)
{
	unsigned long n;
	enum rc_code rc;

	*has_nonce = 1;
	if ((rc = sim_random_hex(state, 32)) != RC_OK ||
	    (rc = sim_random_hex(nonce, 32)) != RC_OK)
		return rc;
	switch (p->kind) {
	case PK_STATIC_STATE:
		memcpy(state, PORTAL_STATIC_STATE, sizeof(PORTAL_STATIC_STATE));
		break;
	case PK_SHORT_NONCE:
		rc = sim_random_hex(nonce, 8); /* 16 characters */
		break;
	case PK_NO_NONCE:
		*has_nonce = 0;
		nonce[0] = '\0';
		break;
	case PK_SAME_STATE_NONCE:
		memcpy(nonce, state, 65);
		break;
	case PK_CROSS_STATE_NONCE:
		/* This flow's state is the previous flow's nonce: each fetch
		 * looks fine alone, the value repeats across fetches. */
		pthread_mutex_lock(&p->st->mu);
		if (p->st->last_nonce[0] != '\0')
			memcpy(state, p->st->last_nonce, 65);
		memcpy(p->st->last_nonce, nonce, 65);
		pthread_mutex_unlock(&p->st->mu);
		break;
	case PK_COUNTER_STATE:
		pthread_mutex_lock(&p->st->mu);
		n = ++p->st->counter;
		pthread_mutex_unlock(&p->st->mu);
		snprintf(state, 65, "state%017lu", n); /* 22 characters */
		break;
	default:
		break;
	}
	return rc;
}

/*
 * Start the flow: new state and nonce kept server-side under a random
 * session id, the fc_state cookie naming it, and a 302 to the authorize
 * endpoint with this flavour's parameters.
 */
static enum MHD_Result
start_flow(struct preq *p)
{
	char state[65], nonce[65], sid[65], base[128], redirect_uri[256];
	char cookie[192];
	struct rc_buf loc;
	int has_nonce, flaky = 0;
	enum rc_code rc;
	enum MHD_Result r = MHD_NO;

	make_redirect_uri(p, redirect_uri, sizeof(redirect_uri));
	if (p->kind == PK_FLAKY_ACR || p->kind == PK_FLAKY_500) {
		/* Every second flow differs: once in two fetches the login
		 * answers 500, or leaves acr_values out. */
		pthread_mutex_lock(&p->st->mu);
		flaky = ++p->st->flaky % 2 == 0;
		pthread_mutex_unlock(&p->st->mu);
		if (flaky && p->kind == PK_FLAKY_500)
			return psend_html(p, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "<!DOCTYPE html><html><head><title>500</title>"
			    "</head><body><h1>Erreur interne</h1></body>"
			    "</html>\n");
	}
	if (make_state_nonce(p, state, nonce, &has_nonce) != RC_OK)
		return MHD_NO;
	if (store_put(p->st,
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", "flow",
	            "flavour", p->name, "state", state, "nonce", nonce,
	            "redirect_uri", redirect_uri, "exp",
	            (json_int_t)time(NULL) + PORTAL_FLOW_TTL),
	        sid) != RC_OK)
		return MHD_NO;
	rc_buf_init(&loc, 8192);
	rc = rc_buf_addf(&loc, "%s?response_type=%s&client_id=cid-%s",
	    authorize_base(p, base, sizeof(base)),
	    p->kind == PK_TOKEN_FLOW ? "token" : "code",
	    p->kind == PK_WRONG_CLIENT ? "someone-else" : p->name);
	if (rc == RC_OK)
		rc = rc_buf_adds(&loc, "&redirect_uri=");
	if (rc == RC_OK)
		rc = sim_buf_add_urlenc(&loc, redirect_uri);
	if (rc == RC_OK)
		rc = rc_buf_adds(&loc,
		    p->kind == PK_NO_OPENID
		        ? "&scope=given_name%20family_name%20email"
		        : "&scope=openid%20given_name%20family_name%20email");
	if (rc == RC_OK && p->kind == PK_BAD_SCOPE)
		rc = rc_buf_adds(&loc, "%20address");
	if (rc == RC_OK && p->kind != PK_NO_ACR && !flaky)
		rc = rc_buf_adds(&loc,
		    p->kind == PK_BAD_ACR ? "&acr_values=eidas2"
		                          : "&acr_values=eidas1");
	if (rc == RC_OK)
		rc = rc_buf_addf(&loc, "&state=%s", state);
	if (rc == RC_OK && has_nonce)
		rc = rc_buf_addf(&loc, "&nonce=%s", nonce);
	if (rc == RC_OK && p->kind == PK_PROMPT_NONE)
		rc = rc_buf_adds(&loc, "&prompt=none");
	if (rc == RC_OK && p->kind == PK_PKCE) /* RFC 7636 appendix B */
		rc = rc_buf_adds(&loc,
		    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-"
		    "cM"
		    "&code_challenge_method=S256");
	if (rc == RC_OK) {
		snprintf(cookie, sizeof(cookie), "fc_state=%s%s", sid,
		    p->kind == PK_WEAK_COOKIE ? "; Path=/"
		                              : PORTAL_COOKIE_ATTR);
		r = psend_redirect(p, MHD_HTTP_FOUND, loc.data, cookie);
	}
	rc_buf_free(&loc);
	return r;
}

struct huge_body {
	const struct sim_ctx *ctx;
};

/* An HTML-looking body of PORTAL_HUGE_BYTES, chunked (no length). */
static ssize_t
huge_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct huge_body *h = cls;
	static const char line[] = "<p>Chargement en cours...</p>\n";
	size_t n, i;

	if (sim_stopping(h->ctx))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= PORTAL_HUGE_BYTES)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = max;
	if (n > PORTAL_HUGE_BYTES - pos)
		n = (size_t)(PORTAL_HUGE_BYTES - pos);
	for (i = 0; i < n; i++)
		buf[i] = line[(pos + i) % (sizeof(line) - 1)];
	return (ssize_t)n;
}

static void
huge_free(void *cls)
{
	rc_free(cls);
}

static enum MHD_Result
route_auth(struct preq *p)
{
	struct MHD_Response *resp;
	struct huge_body *h;
	json_t *csrf;
	const char *tok, *ck;
	char loc[160];

	if (p->kind == PK_FORMPOST) {
		if (strcmp(p->req->method, "POST") != 0)
			return psend_not_allowed(p, "POST");
		tok = sim_form(p->req, "csrf");
		ck = sim_cookie(p->req, "fc_csrf");
		if (tok == NULL || ck == NULL || strcmp(tok, ck) != 0 ||
		    (csrf = store_get(p, tok, "csrf", 1)) == NULL)
			return psend_message(p, MHD_HTTP_FORBIDDEN,
			    "Requête refusée",
			    "Jeton CSRF absent ou invalide. Rechargez la "
			    "page de connexion.");
		json_decref(csrf);
		return start_flow(p);
	}
	if (!is_get(p))
		return psend_not_allowed(p, "GET");
	switch (p->kind) {
	case PK_MULTIHOP:
		snprintf(loc, sizeof(loc), "/%s/sso/start", p->name);
		return psend_redirect(p, MHD_HTTP_FOUND, loc, NULL);
	case PK_LOOP:
		snprintf(loc, sizeof(loc), "/%s/auth/franceconnect", p->name);
		return psend_redirect(p, MHD_HTTP_FOUND, loc, NULL);
	case PK_HUGE:
		if ((h = rc_calloc(1, sizeof(*h))) == NULL)
			return MHD_NO;
		h->ctx = p->req->l->ctx;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    64 * 1024, huge_read, h, huge_free);
		if (resp == NULL) {
			rc_free(h);
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/html; charset=utf-8");
		return psend(p, MHD_HTTP_OK, resp);
	case PK_SLOW:
		if (sim_sleep_ms(p->req->l->ctx, PORTAL_SLOW_MS) != 0)
			return MHD_NO; /* shutting down */
		return start_flow(p);
	default:
		return start_flow(p);
	}
}

/* --- /F/callback --- */

static const char stack_trace[] =
    "<!DOCTYPE html>\n<html><head><title>HTTP Status 500 - Internal "
    "Server Error</title></head><body>\n<h1>HTTP Status 500 - Internal "
    "Server Error</h1>\n<pre>\n"
    "java.lang.IllegalStateException: OIDC state not found in session\n"
    "\tat fr.simville.portail.auth.FranceConnectCallbackServlet.doGet"
    "(FranceConnectCallbackServlet.java:87)\n"
    "\tat javax.servlet.http.HttpServlet.service(HttpServlet.java:655)\n"
    "\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter"
    "(ApplicationFilterChain.java:231)\n"
    "\tat org.apache.catalina.core.StandardWrapperValve.invoke"
    "(StandardWrapperValve.java:197)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:829)\n"
    "</pre>\n<hr><h3>Apache Tomcat/9.0.58</h3></body></html>\n";

/* Make a logged-in session; the cookie to set goes into cookie[]. */
static enum rc_code
new_session(struct preq *p, const struct portal_login *li, char *cookie,
    size_t len)
{
	char sid[65];
	enum rc_code rc;

	rc = store_put(p->st,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "type", "session",
	        "flavour", p->name, "id_token",
	        li && li->id_token ? li->id_token : "", "sub",
	        li && li->sub ? li->sub : "", "given_name",
	        li && li->given_name ? li->given_name : "", "family_name",
	        li && li->family_name ? li->family_name : "", "exp",
	        (json_int_t)time(NULL) + PORTAL_FLOW_TTL),
	    sid);
	if (rc == RC_OK)
		snprintf(cookie, len, "session=%s%s", sid, PORTAL_COOKIE_ATTR);
	return rc;
}

static enum MHD_Result
route_callback(struct preq *p)
{
	const char *qstate = sim_arg(p->req, "state");
	const char *error = sim_arg(p->req, "error");
	const char *desc = sim_arg(p->req, "error_description");
	const char *code = sim_arg(p->req, "code");
	const char *sid = sim_cookie(p->req, "fc_state");
	struct portal_login li;
	struct rc_err err = { 0 };
	char cid[96], secret[96], cookie[192], loc[160];
	json_t *flow = NULL;
	struct rc_buf msg;
	enum MHD_Result r;

	if (!is_get(p))
		return psend_not_allowed(p, "GET");
	if (error != NULL && p->kind == PK_ERROR_500)
		return psend_html(p, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    stack_trace);
	/* The state must be the one bound to this browser's fc_state
	 * cookie; it is then spent (single use). */
	flow = store_get(p, sid, "flow", 0);
	if (flow == NULL || qstate == NULL ||
	    strcmp(jstr(flow, "state"), qstate) != 0) {
		json_decref(flow);
		if (p->kind == PK_CALLBACK_500)
			return psend_html(p, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    stack_trace);
		if (p->kind == PK_CALLBACK_WELCOME)
			return psend_message(p, MHD_HTTP_OK, "Bienvenue",
			    "Vous êtes connecté à votre espace.");
		if (p->kind == PK_CALLBACK_SESSION) {
			if (new_session(p, NULL, cookie, sizeof(cookie)) !=
			    RC_OK)
				return MHD_NO;
			snprintf(loc, sizeof(loc), "/%s/espace", p->name);
			return psend_redirect(p, MHD_HTTP_FOUND, loc, cookie);
		}
		return psend_message(p, MHD_HTTP_BAD_REQUEST,
		    "Échec de la connexion",
		    "La connexion avec FranceConnect a échoué : le paramètre "
		    "state est absent ou ne correspond pas à votre session.");
	}
	json_decref(flow);
	if ((flow = store_get(p, sid, "flow", 1)) == NULL)
		return psend_message(p, MHD_HTTP_BAD_REQUEST,
		    "Échec de la connexion",
		    "Cette tentative de connexion a déjà été utilisée.");
	if (error != NULL) {
		json_decref(flow);
		rc_buf_init(&msg, 4096);
		rc_buf_addf(&msg,
		    "Vous avez annulé la connexion avec FranceConnect "
		    "(%.100s%s%.300s).",
		    error, desc ? " : " : "", desc ? desc : "");
		r = psend_message(p, MHD_HTTP_OK, "Connexion annulée",
		    msg.data ? msg.data : "");
		rc_buf_free(&msg);
		return r;
	}
	if (code == NULL) {
		json_decref(flow);
		return psend_message(p, MHD_HTTP_BAD_REQUEST,
		    "Échec de la connexion",
		    "La réponse de FranceConnect ne contient pas de code.");
	}
	snprintf(cid, sizeof(cid), "cid-%s", p->name);
	snprintf(secret, sizeof(secret), "secret-%s", p->name);
	if (portal_rp_login(p->req->l->ctx, cid, secret,
	        jstr(flow, "redirect_uri"), code, jstr(flow, "nonce"), &li,
	        &err) != RC_OK) {
		json_decref(flow);
		log_warn("flavour=%s login failed: %s", p->name, err.msg);
		return psend_message(p, MHD_HTTP_BAD_REQUEST,
		    "Échec de la connexion",
		    "La connexion avec FranceConnect a échoué : la réponse de "
		    "FranceConnect n'a pas pu être vérifiée.");
	}
	json_decref(flow);
	if (new_session(p, &li, cookie, sizeof(cookie)) != RC_OK) {
		portal_login_cleanup(&li);
		return MHD_NO;
	}
	portal_login_cleanup(&li);
	snprintf(loc, sizeof(loc), "/%s/espace", p->name);
	return psend_redirect(p, MHD_HTTP_FOUND, loc, cookie);
}

/* --- home, espace, logout --- */

static enum MHD_Result
route_home(struct preq *p, int espace)
{
	json_t *sess =
	    store_get(p, sim_cookie(p->req, "session"), "session", 0);
	struct rc_buf b;
	char loc[160];
	enum rc_code rc;
	enum MHD_Result r = MHD_NO;

	if (!is_get(p)) {
		json_decref(sess);
		return psend_not_allowed(p, "GET");
	}
	if (espace && sess == NULL) {
		snprintf(loc, sizeof(loc), "/%s/connexion", p->name);
		return psend_redirect(p, MHD_HTTP_FOUND, loc, NULL);
	}
	rc_buf_init(&b, PORTAL_PAGE_MAX);
	rc = page_begin(&b, p, espace ? "Espace personnel" : "Accueil");
	if (rc == RC_OK && sess != NULL) {
		rc = rc_buf_adds(&b, "<p id=\"user\">Bonjour ");
		if (rc == RC_OK)
			rc = sim_buf_add_html(&b, jstr(sess, "given_name"));
		if (rc == RC_OK)
			rc = rc_buf_adds(&b, " ");
		if (rc == RC_OK)
			rc = sim_buf_add_html(&b, jstr(sess, "family_name"));
		if (rc == RC_OK)
			rc = rc_buf_addf(&b,
			    "</p>\n<p><a href=\"/%s/deconnexion\">Se "
			    "déconnecter</a></p>\n",
			    p->name);
	} else if (rc == RC_OK) {
		rc = rc_buf_addf(&b,
		    "<p><a href=\"/%s/connexion\">Se connecter</a></p>\n",
		    p->name);
	}
	if (rc == RC_OK)
		rc = page_end(&b);
	if (rc == RC_OK)
		r = psend_html(p, MHD_HTTP_OK, b.data);
	rc_buf_free(&b);
	json_decref(sess);
	return r;
}

/* 302 to FC's session/end with the ID token, a fresh state and this
 * flavour's home as post_logout_redirect_uri; the local session ends. */
static enum MHD_Result
route_logout(struct preq *p)
{
	json_t *sess =
	    store_get(p, sim_cookie(p->req, "session"), "session", 1);
	struct rc_buf loc;
	char state[65], home[160];
	enum rc_code rc;
	enum MHD_Result r = MHD_NO;

	if (!is_get(p)) {
		json_decref(sess);
		return psend_not_allowed(p, "GET");
	}
	snprintf(home, sizeof(home), "%s/%s/", p->base, p->name);
	rc_buf_init(&loc, 8192);
	rc = sim_random_hex(state, 32);
	if (rc == RC_OK)
		rc = rc_buf_addf(&loc, "https://fc.test:%u/api/v2/session/end?",
		    sim_port(p->req->l->ctx, "fc"));
	if (rc == RC_OK && sess != NULL && jstr(sess, "id_token")[0] != '\0')
		rc = rc_buf_addf(&loc, "id_token_hint=%s&",
		    jstr(sess, "id_token"));
	if (rc == RC_OK)
		rc = rc_buf_addf(&loc,
		    "state=%s&post_logout_redirect_uri=", state);
	if (rc == RC_OK)
		rc = sim_buf_add_urlenc(&loc, home);
	if (rc == RC_OK)
		r = psend_redirect(p, MHD_HTTP_FOUND, loc.data,
		    "session=; Path=/; Max-Age=0; Secure; HttpOnly; "
		    "SameSite=Lax");
	rc_buf_free(&loc);
	json_decref(sess);
	return r;
}

/* GET / on a portal listener: the list of flavours. */
static enum MHD_Result
route_index(struct preq *p)
{
	struct rc_buf b;
	enum rc_code rc;
	enum MHD_Result r = MHD_NO;
	size_t i;

	rc_buf_init(&b, PORTAL_PAGE_MAX);
	rc = rc_buf_adds(&b,
	    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	    "<title>raccord-sim portals</title></head><body>\n<ul>\n");
	for (i = 0; rc == RC_OK && i < PK__MAX; i++)
		rc = rc_buf_addf(&b,
		    "<li><a href=\"/%s/connexion\">%s</a></li>\n",
		    portal_names[i], portal_names[i]);
	if (rc == RC_OK)
		rc = rc_buf_adds(&b, "</ul>\n</body></html>\n");
	if (rc == RC_OK)
		r = psend_html(p, MHD_HTTP_OK, b.data);
	rc_buf_free(&b);
	return r;
}

enum MHD_Result
portal_handle(struct sim_req *req)
{
	struct preq p;
	const char *url = req->url, *rest;
	size_t n, i;

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.st = req->l->state;
	p.kind = PK_OK; /* for HSTS on pages outside any flavour */
	if (strcmp(url, "/") == 0)
		return route_index(&p);
	n = url[0] == '/' ? strcspn(url + 1, "/") : 0;
	for (i = 0; n > 0 && i < PK__MAX; i++)
		if (strlen(portal_names[i]) == n &&
		    strncmp(portal_names[i], url + 1, n) == 0)
			break;
	if (n == 0 || i >= PK__MAX)
		return psend(&p, MHD_HTTP_NOT_FOUND,
		    sim_response("text/plain; charset=utf-8",
		        "Page introuvable\n"));
	p.kind = (enum portal_kind)i;
	p.name = portal_names[i];
	snprintf(p.base, sizeof(p.base), "%s://%s:%u",
	    req->l->tls ? "https" : "http", req->l->mod->host, req->l->port);
	rest = url + 1 + n;
	if (strcmp(rest, "/connexion") == 0)
		return route_connexion(&p);
	if (strcmp(rest, "/auth/franceconnect") == 0)
		return route_auth(&p);
	if (strcmp(rest, "/sso/start") == 0 && p.kind == PK_MULTIHOP)
		return is_get(&p) ? start_flow(&p)
		                  : psend_not_allowed(&p, "GET");
	if (strcmp(rest, "/callback") == 0)
		return route_callback(&p);
	if (strcmp(rest, "/") == 0 || strcmp(rest, "") == 0)
		return route_home(&p, 0);
	if (strcmp(rest, "/espace") == 0)
		return route_home(&p, 1);
	if (strcmp(rest, "/deconnexion") == 0)
		return route_logout(&p);
	return psend_message(&p, MHD_HTTP_NOT_FOUND, "Page introuvable",
	    "Cette page n'existe pas.");
}
