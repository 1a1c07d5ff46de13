/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim: DataPass v1 (etalab/data_pass config/openapi/v1.yaml and
 * docs/developers/tutorials/lecture.md; national_apis.md §4).
 *
 *   POST /api/v1/oauth/token  form grant_type=client_credentials,
 *        client_id, client_secret[, scope]; 401 {"error":"invalid_client"}
 *        (Doorkeeper) on bad credentials; {access_token, token_type
 *        "Bearer", expires_in 7200, created_at}.
 *   GET  /api/v1/habilitations?siret=&state[]=&limit=&offset=  Bearer;
 *        a JSON array, newest first, limit 1..1000 (default 10); 401
 *        {"errors":[{status,title,detail}]} without a valid token.
 *
 * Fixtures are keyed by SIRET (docs/apis.md lists the cases): the state
 * filter is honoured, so a revoked habilitation is simply absent.
 * SIRET_429 answers its habilitation list with 429 + Retry-After: 1 on
 * every other request (the first of each run, then the retry succeeds);
 * SIRET_429_ALL always does (issue 12 §2: the retry path exercised).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/mem.h"
#include "tests/sim/sim_api.h"

#define DP_CLIENT_ID     "raccord-it"
#define DP_CLIENT_SECRET "sim-datapass-secret-7c41d09e"
#define DP_TOKENS        64

#define SIRET_OK      "21750001600019"
#define SIRET_REVOKED "21750001600027"
#define SIRET_OTHER   "21750001600035"
#define SIRET_SANDBOX "21750001600043"
#define SIRET_PAGED   "21750001600050"
#define SIRET_NONE    "21750001600068"
#define SIRET_DOWN    "21750001600076"
#define SIRET_VENDOR  "13002526500013"
#define SIRET_429     "21750001600084" /* 429 then 200, alternately */
#define SIRET_429_ALL "21750001600092" /* 429 every time */
#define DP_RETRY_S    1                /* their Retry-After, seconds */

struct dp_state {
	pthread_mutex_t lock;
	char tokens[DP_TOKENS][65];
	size_t ntokens;
	unsigned long n429; /* list requests for SIRET_429 */
};

struct dp_fixture {
	const char *siret; /* queried SIRET */
	const char *definition;
	const char *state;
	int revoked;
	const char *org_siret;
	const char *created_at;
};

/*
 * One row per habilitation; FIX names the fields so that a reordered
 * struct cannot shift a row silently.
 */
#define FIX(si, def, st, rev, org, at)                                         \
	{                                                                      \
		.siret = (si), .definition = (def), .state = (st),             \
		.revoked = (rev), .org_siret = (org), .created_at = (at)       \
	}
/* clang-format off */
static const struct dp_fixture fixtures[] = {
	FIX(SIRET_OK, "api_particulier", "active", 0, SIRET_OK, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_OK, "api_entreprise", "active", 0, SIRET_OK, "2021-05-12T10:00:00.000+02:00"),
	FIX(SIRET_OK, "france_connect", "active", 0, SIRET_OK, "2021-03-02T11:30:00.000+01:00"),
	FIX(SIRET_OK, "api_impot_particulier", "active", 0, SIRET_OK, "2021-09-20T08:00:00.000+02:00"),
	FIX(SIRET_OK, "api_impot_particulier_sandbox", "obsolete", 0, SIRET_OK, "2021-04-01T08:00:00.000+02:00"),
	FIX(SIRET_REVOKED, "api_particulier", "revoked", 1, SIRET_REVOKED, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_REVOKED, "france_connect", "obsolete", 1, SIRET_REVOKED, "2021-02-01T09:00:00.000+01:00"),
	FIX(SIRET_OTHER, "api_particulier", "active", 0, SIRET_VENDOR, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_OTHER, "france_connect", "active", 0, SIRET_VENDOR, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_SANDBOX, "api_impot_particulier_sandbox", "active", 0, SIRET_SANDBOX, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_SANDBOX, "api_r2p_sandbox", "active", 0, SIRET_SANDBOX, "2021-06-02T09:00:00.000+02:00"),
	FIX(SIRET_429, "api_particulier", "active", 0, SIRET_429, "2021-06-01T09:00:00.000+02:00"),
	FIX(SIRET_429, "france_connect", "active", 0, SIRET_429, "2021-03-02T11:30:00.000+01:00"),
	FIX(SIRET_429_ALL, "api_particulier", "active", 0, SIRET_429_ALL, "2021-06-01T09:00:00.000+02:00"),
};
/* clang-format on */
#undef FIX

enum rc_code
sim_datapass_init(struct sim_listener *l, void **state, struct rc_err *err)
{
	struct dp_state *s;

	(void)l;
	if ((s = rc_calloc(1, sizeof(*s))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "datapass state");
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return RC_OK;
}

void
sim_datapass_fini(void *state)
{
	struct dp_state *s = state;

	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	rc_free(s);
}

static enum MHD_Result
dp_errors(struct sim_req *req, unsigned int status, const char *title,
    const char *detail)
{
	char st[8];

	snprintf(st, sizeof(st), "%u", status);
	return sim_api_send(req, status,
	    json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "status", st, "title",
	        title, "detail", detail),
	    -1);
}

static enum MHD_Result
dp_token(struct sim_req *req)
{
	struct dp_state *s = req->l->state;
	const char *gt = sim_form(req, "grant_type");
	const char *id = sim_form(req, "client_id");
	const char *sec = sim_form(req, "client_secret");
	char tok[65];

	if (strcmp(req->method, "POST") != 0)
		return dp_errors(req, 405, "Method Not Allowed", "POST only");
	if (gt == NULL || strcmp(gt, "client_credentials") != 0)
		return sim_api_send(req, 400,
		    json_pack("{s:s, s:s}", "error", "unsupported_grant_type",
		        "error_description",
		        "The authorization grant type is not supported."),
		    -1);
	if (id == NULL || sec == NULL || strcmp(id, DP_CLIENT_ID) != 0 ||
	    strcmp(sec, DP_CLIENT_SECRET) != 0)
		return sim_api_send(req, 401,
		    json_pack("{s:s, s:s}", "error", "invalid_client",
		        "error_description",
		        "Client authentication failed due to unknown client, "
		        "no client authentication included, or unsupported "
		        "authentication method."),
		    -1);
	if (sim_random_hex(tok, 32) != RC_OK)
		return MHD_NO;
	pthread_mutex_lock(&s->lock);
	memcpy(s->tokens[s->ntokens % DP_TOKENS], tok, sizeof(tok));
	s->ntokens++;
	pthread_mutex_unlock(&s->lock);
	return sim_api_send(req, 200,
	    json_pack("{s:s, s:s, s:i, s:I, s:s}", "access_token", tok,
	        "token_type", "Bearer", "expires_in", 7200, "created_at",
	        (json_int_t)time(NULL), "scope", "read_authorizations"),
	    -1);
}

static int
dp_token_ok(struct dp_state *s, const char *auth)
{
	size_t i;
	int ok = 0;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < DP_TOKENS && i < s->ntokens; i++)
		if (strcmp(s->tokens[i], auth + 7) == 0)
			ok = 1;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* The request number for SIRET_429 (0 first): even ones are refused. */
static unsigned long
dp_count_429(struct dp_state *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->lock);
	n = s->n429++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Rate limited, as the api.gouv.fr services answer (national_apis.md §1:
 * 429 with Retry-After in seconds), in DataPass's error format.
 */
static enum MHD_Result
dp_rate_limited(struct sim_req *req)
{
	return sim_api_send(req, 429,
	    json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "status", "429",
	        "title", "Too Many Requests", "detail",
	        "Rate limit exceeded, retry later"),
	    DP_RETRY_S);
}

static json_t *
dp_item(long long id, const struct dp_fixture *fx)
{
	char slug[32];

	snprintf(slug, sizeof(slug), "habilitation-%lld", id);
	return json_pack("{s:I, s:s, s:b, s:s, s:s, s:{}, s:s, s:s, s:I, "
	                 "s:{s:I, s:s, s:{}}}",
	    "id", (json_int_t)id, "slug", slug, "revoked", fx->revoked, "state",
	    fx->state, "created_at", fx->created_at, "data",
	    "authorization_request_class", "AuthorizationRequest",
	    "definition_id", fx->definition, "request_id", (json_int_t)id,
	    "organisation", "id", (json_int_t)7, "siret", fx->org_siret,
	    "insee_payload");
}

static enum MHD_Result
dp_habilitations(struct sim_req *req)
{
	struct dp_state *s = req->l->state;
	const char *siret = sim_arg(req, "siret");
	const char *st = sim_arg(req, "state[]");
	const char *ls = sim_arg(req, "limit"), *os = sim_arg(req, "offset");
	struct dp_fixture filler = { .siret = SIRET_PAGED,
		.definition = "api_entreprise",
		.state = "active",
		.org_siret = SIRET_PAGED,
		.created_at = "2021-01-01T00:00:00Z" };
	struct dp_fixture good = { .siret = SIRET_PAGED,
		.definition = "api_particulier",
		.state = "active",
		.org_siret = SIRET_PAGED,
		.created_at = "2021-06-01T09:00:00Z" };
	json_t *all, *page;
	long limit = 10, offset = 0, i;
	char *end;

	if (!dp_token_ok(s, sim_header(req, "Authorization")))
		return dp_errors(req, 401, "Unauthorized",
		    "Le jeton n'est pas valide ou absent");
	if (ls != NULL) {
		limit = strtol(ls, &end, 10);
		if (*end != '\0' || limit < 1 || limit > 1000)
			return dp_errors(req, 400, "Bad Request",
			    "limit must be between 1 and 1000");
	}
	if (os != NULL) {
		offset = strtol(os, &end, 10);
		if (*end != '\0' || offset < 0)
			return dp_errors(req, 400, "Bad Request",
			    "offset must be positive");
	}
	if (siret != NULL && strcmp(siret, SIRET_DOWN) == 0)
		return sim_send_text(req, 503, "text/html",
		    "<html><body>503 Service Unavailable</body></html>");
	if (siret != NULL &&
	    (strcmp(siret, SIRET_429_ALL) == 0 ||
	        (strcmp(siret, SIRET_429) == 0 && dp_count_429(s) % 2 == 0)))
		return dp_rate_limited(req);
	if ((all = json_array()) == NULL)
		return MHD_NO;
	if (siret != NULL && strcmp(siret, SIRET_PAGED) == 0) {
		/* 150 other habilitations, newest first, then ours. */
		for (i = 0; i < 150; i++)
			json_array_append_new(all, dp_item(1000 + i, &filler));
		json_array_append_new(all, dp_item(999, &good));
	}
	for (i = 0; i < (long)(sizeof(fixtures) / sizeof(fixtures[0])); i++) {
		const struct dp_fixture *fx = &fixtures[i];

		if (siret != NULL && strcmp(siret, fx->siret) != 0)
			continue;
		if (st != NULL && strcmp(st, fx->state) != 0)
			continue;
		json_array_append_new(all, dp_item(100 + i, fx));
	}
	page = json_array();
	for (i = offset; page != NULL && i < (long)json_array_size(all) &&
	     i < offset + limit;
	     i++)
		json_array_append(page, json_array_get(all, (size_t)i));
	json_decref(all);
	if (page == NULL)
		return MHD_NO;
	return sim_api_send(req, 200, page, -1);
}

enum MHD_Result
sim_datapass_handle(struct sim_req *req)
{
	if (strcmp(req->url, "/api/v1/oauth/token") == 0)
		return dp_token(req);
	if (strcmp(req->url, "/api/v1/habilitations") == 0 &&
	    strcmp(req->method, "GET") == 0)
		return dp_habilitations(req);
	return dp_errors(req, 404, "Not Found", "No route");
}
