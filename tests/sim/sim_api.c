/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim: API Particulier (v2 X-Api-Key, v3 Bearer) and API
 * Entreprise (Bearer), as documented in shared/reference/national_apis.md
 * §1-§2: GET /api/introspect answers {"_id","name","scopes"}, GET
 * /privileges answers {"privileges":[...]}; errors are v2
 * {error,reason,message} bodies (X-Api-Key) or {"errors":[{code,title,
 * detail,source,meta}]} (Bearer): 401 00101 invalid or unknown, 00103
 * expired, 00105 blacklisted; 429 00429 with Retry-After; 502/504 provider
 * errors.  Every answer carries RateLimit-Limit/-Remaining/-Reset.
 *
 * The case is picked by the token (docs/apis.md, "Simulators"): for a JWT,
 * words in its "sub" claim; for an opaque v2 key, words in the key.  A
 * 32-hex-character legacy v2 key is live when sent in X-Api-Key (refused
 * as a Bearer token, and when it starts with "dead").  A JWT
 * whose "exp" is past is refused as expired, and a staging token (sub
 * "staging...") is refused as unknown, as the production hosts do.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjose/base64.h>
#include <cjose/util.h>

#include "common/digest.h"
#include "common/mem.h"
#include "tests/sim/sim_api.h"

#define SIM_API_SEEN 64

struct sim_api_state {
	pthread_mutex_t lock;
	char seen[SIM_API_SEEN][RC_SHA256_HEX_LEN]; /* tokens rate-limited */
	size_t nseen;
};

enum sim_api_flavour { SIM_PARTICULIER, SIM_ENTREPRISE };

enum rc_code
sim_api_init(struct sim_listener *l, void **state, struct rc_err *err)
{
	struct sim_api_state *s;

	(void)l;
	if ((s = rc_calloc(1, sizeof(*s))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "sim_api state");
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return RC_OK;
}

void
sim_api_fini(void *state)
{
	struct sim_api_state *s = state;

	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	rc_free(s);
}

enum MHD_Result
sim_api_send(struct sim_req *req, unsigned int status, json_t *doc,
    long retry_after)
{
	struct MHD_Response *resp;
	char *text, num[32];
	time_t reset = time(NULL) + 60;

	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	resp = sim_response("application/json; charset=utf-8", text);
	free(text);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "RateLimit-Limit", "20");
	MHD_add_response_header(resp, "RateLimit-Remaining",
	    status == 429 ? "0" : "19");
	snprintf(num, sizeof(num), "%lld", (long long)reset);
	MHD_add_response_header(resp, "RateLimit-Reset", num);
	if (retry_after >= 0) {
		snprintf(num, sizeof(num), "%ld", retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return sim_queue(req, status, resp);
}

char *
sim_api_token_case(const char *token, long long *exp)
{
	const char *d1, *d2;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	cjose_err cerr;
	json_t *pl, *sub, *e;
	char *out = NULL;

	*exp = 0;
	d1 = strchr(token, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
		return rc_strdup(token);
	if (!cjose_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &raw,
	        &rawlen, &cerr))
		return rc_strdup("malformed");
	pl = json_loadb((const char *)raw, rawlen, 0, NULL);
	cjose_get_dealloc()(raw);
	if (!json_is_object(pl)) {
		json_decref(pl);
		return rc_strdup("malformed");
	}
	sub = json_object_get(pl, "sub");
	e = json_object_get(pl, "exp");
	if (json_is_integer(e))
		*exp = (long long)json_integer_value(e);
	out = rc_strdup(json_is_string(sub) ? json_string_value(sub) : "");
	json_decref(pl);
	return out;
}

/* A legacy API Particulier v2 key: 32 hexadecimal characters. */
static int
legacy_key(const char *token)
{
	size_t i;

	for (i = 0; token[i] != '\0'; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		        (token[i] >= 'a' && token[i] <= 'f') ||
		        (token[i] >= 'A' && token[i] <= 'F')))
			return 0;
	return i == 32;
}

/* An error in the format of the scheme the client used. */
static enum MHD_Result
api_error(struct sim_req *req, int v2, unsigned int status, const char *code,
    const char *title, const char *detail, long retry_after)
{
	json_t *doc;

	if (v2)
		doc = json_pack("{s:s, s:s, s:s}", "error",
		    status == 401 ? "invalid_token" : "error", "reason", title,
		    "message", detail);
	else
		doc = json_pack("{s:[{s:s, s:s, s:s, s:{s:s}, s:{}}]}",
		    "errors", "code", code, "title", title, "detail", detail,
		    "source", "parameter", "token", "meta");
	return sim_api_send(req, status, doc, retry_after);
}

/* First call for this token? (then remember it) */
static int
first_time(struct sim_api_state *s, const char *token)
{
	char hex[RC_SHA256_HEX_LEN];
	size_t i;
	int first = 1;

	rc_sha256_hex(token, strlen(token), hex);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i], hex) == 0)
			first = 0;
	if (first && s->nseen < SIM_API_SEEN)
		memcpy(s->seen[s->nseen++], hex, sizeof(hex));
	pthread_mutex_unlock(&s->lock);
	return first;
}

static enum MHD_Result
handle(struct sim_req *req, enum sim_api_flavour fl)
{
	struct sim_api_state *s = req->l->state;
	const char *key = sim_header(req, "X-Api-Key");
	const char *auth = sim_header(req, "Authorization");
	const char *token = NULL, *path;
	char *c = NULL;
	long long exp = 0;
	int v2 = 0;
	enum MHD_Result r;

	path = fl == SIM_PARTICULIER ? "/api/introspect" : "/privileges";
	if (fl == SIM_PARTICULIER && strcmp(req->url, "/api/ping") == 0)
		return sim_send_text(req, 200, "application/json", "\"pong\"");
	if (strcmp(req->url, path) != 0)
		return api_error(req, 0, 404, "00404", "Not found",
		    "No route matches this path", -1);
	if (strcmp(req->method, "GET") != 0)
		return api_error(req, 0, 405, "00405", "Method not allowed",
		    "GET only", -1);
	if (key != NULL && auth != NULL)
		return api_error(req, 1, 400, "00400", "Bad request",
		    "X-Api-Key and Authorization must not both be sent", -1);
	if (fl == SIM_PARTICULIER && key != NULL) {
		token = key;
		v2 = 1;
	} else if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		token = auth + 7;
	}
	if (token == NULL || token[0] == '\0')
		return api_error(req, v2, 401, "00101", "Interdit",
		    "Votre token n'est pas valide ou n'est pas renseigné", -1);
	if ((c = sim_api_token_case(token, &exp)) == NULL)
		return MHD_NO;

	if (legacy_key(token))
		/* A 32-hex legacy v2 key: only in X-Api-Key (the v2 scheme);
		 * keys starting "dead" are unknown ones. */
		r = !v2 || strncmp(token, "dead", 4) == 0
		    ? api_error(req, v2, 401, "00101", "Interdit",
		          v2 ? "Token not found or inactive"
		             : "Votre token n'est pas valide ou n'est pas "
		               "renseigné",
		          -1)
		    : sim_api_send(req, 200,
		          json_pack("{s:s, s:n, s:[s]}", "_id",
		              "9b1b1f5e-0000-4000-8000-000000000002", "name",
		              "scopes", "cnaf_quotient_familial"),
		          -1);
	else if (strncasecmp(c, "staging", 7) == 0 || strstr(c, "unknown") ||
	    strstr(c, "malformed") ||
	    (strchr(token, '.') == NULL && strncmp(token, "sim-", 4) != 0))
		r = api_error(req, v2, 401, "00101", "Interdit",
		    v2 ? "Token not found or inactive"
		       : "Votre token n'est pas valide ou n'est pas renseigné",
		    -1);
	else if (strstr(c, "expired") || (exp != 0 && exp <= time(NULL)))
		r = api_error(req, v2, 401, "00103", "Jeton expiré",
		    "Votre token est expiré.", -1);
	else if (strstr(c, "blacklisted"))
		r = api_error(req, v2, 401, "00105", "Jeton sur liste noire",
		    "Votre jeton est sur liste noire, celui-ci a certainement "
		    "été divulgué sur un canal non-sécurisé.",
		    -1);
	else if (strstr(c, "ratelimit-long"))
		r = api_error(req, v2, 429, "00429", "Trop de requêtes",
		    "Vous avez effectué trop de requêtes", 3600);
	else if (strstr(c, "ratelimit") && first_time(s, token))
		r = api_error(req, v2, 429, "00429", "Trop de requêtes",
		    "Vous avez effectué trop de requêtes", 1);
	else if (strstr(c, "e502"))
		r = api_error(req, v2, 502, "04501",
		    "Erreur de fournisseur de donnée",
		    "Le fournisseur de données a renvoyé une erreur", -1);
	else if (strstr(c, "e504"))
		r = api_error(req, v2, 504, "04504",
		    "Le fournisseur de données n'a pas répondu",
		    "Timeout du fournisseur", -1);
	else if (strstr(c, "e500"))
		r = sim_send_text(req, 500, "text/html",
		    "<html><body>Internal Server Error</body></html>");
	else if (strstr(c, "nonjson"))
		r = sim_send_text(req, 200, "text/html",
		    "<html><body>Maintenance</body></html>");
	else if (strstr(c, "timeout")) {
		sim_sleep_ms(req->l->ctx, 30000);
		r = api_error(req, v2, 504, "04504", "Timeout", "late", -1);
	} else if (strstr(c, "oversized")) {
		json_t *list = json_array();
		int i;
		char name[64];

		for (i = 0; i < 20000; i++) {
			snprintf(name, sizeof(name), "scope_%06d_padding", i);
			json_array_append_new(list, json_string(name));
		}
		r = sim_api_send(req, 200,
		    fl == SIM_PARTICULIER
		        ? json_pack("{s:s, s:n, s:o}", "_id",
		              "9b1b1f5e-0000-4000-8000-000000000001", "name",
		              "scopes", list)
		        : json_pack("{s:o}", "privileges", list),
		    -1);
	} else {
		json_t *list = strstr(c, "noscopes") ? json_array()
		    : fl == SIM_PARTICULIER
		    ? json_pack("[s, s]", "cnaf_quotient_familial",
		          "cnaf_enfants")
		    : json_pack("[s, s]", "attestations_fiscales",
		          "entreprises");

		if (strstr(c, "slow"))
			sim_sleep_ms(req->l->ctx, 2000);
		r = sim_api_send(req, 200,
		    fl == SIM_PARTICULIER
		        ? json_pack("{s:s, s:n, s:o}", "_id",
		              "9b1b1f5e-0000-4000-8000-000000000001", "name",
		              "scopes", list)
		        : json_pack("{s:o}", "privileges", list),
		    -1);
	}
	rc_free(c);
	return r;
}

enum MHD_Result
sim_api_particulier_handle(struct sim_req *req)
{
	return handle(req, SIM_PARTICULIER);
}

enum MHD_Result
sim_api_entreprise_handle(struct sim_req *req)
{
	return handle(req, SIM_ENTREPRISE);
}
