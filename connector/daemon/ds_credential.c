/* SPDX-License-Identifier: MIT */
/*
 * The API token of a démarches-simplifiées dossier (docs/intake.md,
 * "Credentials"; issue 13 §4).  A DS dossier that names an API maps to a
 * job in state awaiting_credential: the token never travels through DS.
 * The collectivité (or its vendor) gives it once, naming its DS dossier
 * number, on the self-check page's form or with
 * POST /v1/intake/ds/{number}/credential; both come here.
 *
 * Who may give a token for a DS dossier: anyone who knows the number (the
 * route is public, like the self-check page: a collectivité holds no
 * bearer token of the daemon).  What a stranger can do with that is
 * bounded: the token is checked against the dossier's own SIRET (the
 * DataPass habilitation and the token's holder), and an award pays the
 * IBAN of the DS dossier, which only its applicant wrote; a foreign token
 * yields a failed check, never money.  A dossier already awarded, or
 * being checked, refuses a new token (409); rate limits per address and
 * per dossier number keep a stranger from spinning a dossier's checks.
 *
 * The token follows the credential model of submissions exactly
 * (docs/api.md, "Credentials in submissions"): daemon_dossier_screen
 * takes it out of the dossier (the stored dossier keeps its SHA-256,
 * "credential_sha256"), the vault holds the bytes in memory, and the job
 * is queued in one store statement under the vault's gate.  The token is
 * wiped from our buffers, never logged, never stored, never written to DS.
 */
#include <netdb.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/daemon/ds_credential.h"
#include "connector/intake/intake.h"

#define DS_CLIENT_ID_MAX 256 /* a DGFiP OAuth client id */

static const char *const outcome_names[DS_CRED__MAX] = {
	[DS_CRED_OK] = "accepted",
	[DS_CRED_BAD] = "bad_token",
	[DS_CRED_NOT_FOUND] = "not_found",
	[DS_CRED_CONFLICT] = "refused",
	[DS_CRED_LIMITED] = "rate_limited",
	[DS_CRED_ERROR] = "error",
};
static pthread_mutex_t cred_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long cred_count[DS_CRED__MAX];
static struct ratelimit cred_rate;
static pthread_once_t cred_once = PTHREAD_ONCE_INIT;

static void
cred_init(void)
{
	/* Strangers' addresses: a flood of keys never resets a count. */
	ratelimit_init(&cred_rate, 1);
}

static void
count(enum ds_cred o)
{
	pthread_mutex_lock(&cred_mu);
	cred_count[o]++;
	pthread_mutex_unlock(&cred_mu);
}

void
ds_credential_metrics(struct rc_buf *b)
{
	unsigned long long n[DS_CRED__MAX];
	int i;

	pthread_mutex_lock(&cred_mu);
	memcpy(n, cred_count, sizeof(n));
	pthread_mutex_unlock(&cred_mu);
	rc_buf_adds(b,
	    "# HELP raccord_intake_ds_credentials_total API tokens given for "
	    "démarches-simplifiées dossiers, by outcome.\n"
	    "# TYPE raccord_intake_ds_credentials_total counter\n");
	for (i = 0; i < DS_CRED__MAX; i++)
		rc_buf_addf(b,
		    "raccord_intake_ds_credentials_total{outcome=\"%s\"} "
		    "%llu\n",
		    outcome_names[i], n[i]);
}

int
ds_credential_on(const struct cfg *cfg)
{
	return cfg->intake_ds_poll_interval > 0 && cfg->intake_ds_demarche > 0;
}

/* Take one from key's hourly budget of max; 1 when over it. */
static int
over_limit(const char *key, long long max, long long *retry_after)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_once(&cred_once, cred_init);
	return !ratelimit_take(&cred_rate, key, max, 3600, (long long)ts.tv_sec,
	    retry_after);
}

int
ds_credential_limited(const struct cfg *cfg, const char *addr,
    long long *retry_after)
{
	char key[RATELIMIT_KEY_MAX + 1];

	snprintf(key, sizeof(key), "a:%s", addr);
	if (!over_limit(key, cfg->intake_ds_cred_per_addr, retry_after))
		return 0;
	count(DS_CRED_LIMITED);
	return 1;
}

int
ds_credential_token_ok(const char *t, size_t len)
{
	size_t i;

	if (t == NULL || len == 0 || len > DAEMON_SECRET_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return 0;
	return 1;
}

/* Whether the job's award JSON names a section awarded (now or before). */
static int
awarded(const char *award)
{
	json_t *a, *d;
	const char *o;
	size_t i;
	int yes = 0;

	if (award == NULL ||
	    (a = json_loads(award, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return 0;
	json_array_foreach(json_object_get(a, "decisions"), i, d)
	{
		o = json_string_value(json_object_get(d, "outcome"));
		if (o != NULL &&
		    (strcmp(o, "awarded") == 0 || strcmp(o, "already") == 0))
			yes = 1;
	}
	json_decref(a);
	return yes;
}

/*
 * The stored dossier (no credential) with the credential inline in each
 * api integration: the body a vendor would have POSTed to
 * /v1/dossiers ("token"; a DGFiP API: "oauth_client_id" and
 * "client_secret").  *body wiped by the caller; *apis 0 when the
 * dossier names no API; *dgfip 1 when it names a DGFiP API, and api its
 * name; *body NULL (RC_OK) when what was given does not fit the API.
 */
static enum rc_code
with_cred(const char *dossier, const struct ds_cred_in *c, char **body,
    int *apis, int *dgfip, char api[32])
{
	json_t *root, *in;
	const char *kind, *name;
	size_t i;
	enum rc_code rc = RC_OK;

	*body = NULL;
	*apis = *dgfip = 0;
	api[0] = '\0';
	if ((root = json_loads(dossier, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return RC_EPARSE;
	json_array_foreach(json_object_get(root, "integrations"), i, in)
	{
		kind = json_string_value(json_object_get(in, "kind"));
		if (kind == NULL || strcmp(kind, "api") != 0)
			continue;
		(*apis)++;
		name = json_string_value(json_object_get(in, "api"));
		snprintf(api, 32, "%s", name ? name : "");
		if (intake_ds_dgfip(name))
			*dgfip = 1;
	}
	if (*apis == 0 ||
	    (*dgfip ? c->token != NULL || c->client_id == NULL ||
	                c->client_secret == NULL
	            : c->token == NULL || c->client_id != NULL ||
	                c->client_secret != NULL)) {
		json_decref(root);
		return RC_OK;
	}
	json_array_foreach(json_object_get(root, "integrations"), i, in)
	{
		kind = json_string_value(json_object_get(in, "kind"));
		if (kind == NULL || strcmp(kind, "api") != 0)
			continue;
		json_object_del(in, "credential_sha256");
		if (intake_ds_dgfip(
		        json_string_value(json_object_get(in, "api")))) {
			if (json_object_set_new(in, "oauth_client_id",
			        json_string(c->client_id)) != 0 ||
			    json_object_set_new(in, "client_secret",
			        json_string(c->client_secret)) != 0)
				rc = RC_ENOMEM;
		} else if (json_object_set_new(in, "token",
		               json_string(c->token)) != 0)
			rc = RC_ENOMEM;
	}
	if (rc == RC_OK && *apis > 0 &&
	    (*body = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		rc = RC_ENOMEM;
	/* jansson frees its copies through rc_free_wiped (common/json.c). */
	json_decref(root);
	return rc;
}

/* Screen the body, then the vault and the store in one step. */
static enum ds_cred
attach(struct daemon *dm, long long number, const char *jid, const char *body,
    const char *award, char *why, size_t n)
{
	struct dossier *d = NULL;
	struct rc_errs errs;
	struct rc_err err = { 0 };
	char *canon = NULL;
	enum ds_cred o = DS_CRED_OK;
	int attached = 0;

	rc_errs_init(&errs);
	if (daemon_dossier_screen(body, strlen(body), &canon, &d, &errs) !=
	    RC_OK) {
		snprintf(why, n, "DS dossier %lld: %s", number,
		    errs.n > 0 ? errs.e[0].msg : "out of memory");
		o = errs.n > 0 ? DS_CRED_BAD : DS_CRED_ERROR;
		goto out;
	}
	/*
	 * Under the gate the worker cannot claim the job: the store first
	 * (it may refuse: a check started or verified meanwhile), and only
	 * once it took the new dossier is the old credential dropped for
	 * the new one.  Two credentials at once: the second finds the job
	 * queued and changes nothing.
	 */
	vault_gate(dm->vault, 1);
	if (store_credential_attach(dm->store, jid, canon, award, &attached,
	        &err) != RC_OK ||
	    !attached) {
		vault_gate(dm->vault, 0);
		if (err.msg[0] != '\0') {
			log_error("intake=ds dossier=%lld job=%s: %s", number,
			    jid, err.msg);
			snprintf(why, n,
			    "the job store failed; nothing was "
			    "done, send the token again");
			o = DS_CRED_ERROR;
		} else {
			snprintf(why, n,
			    "DS dossier %lld: its check started or passed "
			    "meanwhile; nothing was done",
			    number);
			o = DS_CRED_CONFLICT;
		}
		goto out;
	}
	vault_drop(dm->vault, jid); /* a credential given before, for a
	                               check that did not pass */
	if (vault_put(dm->vault, jid, d, time(NULL)) != RC_OK)
		/* The job runs and ends asking for the credential again. */
		log_error("intake=ds dossier=%lld job=%s: the credential "
		          "could not be held (memory)",
		    number, jid);
	vault_gate(dm->vault, 0);
	worker_kick(dm);
out:
	free(canon); /* json_dumps */
	dossier_free(d);
	return o;
}

/* A given field (NULL: not given) is well-formed; len bytes, max. */
static int
field_ok(const char *v, size_t len, size_t max)
{
	return v == NULL ||
	    (len <= max && ds_credential_token_ok(v, len) && strlen(v) == len);
}

enum ds_cred
ds_credential_give(struct daemon *dm, long long number,
    const struct ds_cred_in *c, char id[STORE_ID_LEN + 1], char *why, size_t n,
    long long *retry_after)
{
	char key[RATELIMIT_KEY_MAX + 1];
	struct rc_err err = { 0 };
	json_t *row = NULL;
	char *dossier = NULL, *award = NULL, *body = NULL, state[24], api[32];
	const char *jid;
	enum ds_cred o = DS_CRED_OK;
	int apis = 0, dgfip = 0;

	id[0] = '\0';
	why[0] = '\0';
	*retry_after = 0;
	if (!field_ok(c->token, c->token_len, DAEMON_SECRET_MAX) ||
	    !field_ok(c->client_secret, c->client_secret_len,
	        DAEMON_SECRET_MAX)) {
		snprintf(why, n,
		    "%s: 1 to %d printable ASCII characters, without blanks "
		    "or line breaks (as the API's provider gave it)",
		    !field_ok(c->token, c->token_len, DAEMON_SECRET_MAX)
		        ? "token"
		        : "client_secret",
		    DAEMON_SECRET_MAX);
		o = DS_CRED_BAD;
		goto out;
	}
	if (!field_ok(c->client_id, c->client_id_len, DS_CLIENT_ID_MAX)) {
		snprintf(why, n,
		    "client_id: 1 to %d printable ASCII characters, without "
		    "blanks (the DGFiP OAuth client id)",
		    DS_CLIENT_ID_MAX);
		o = DS_CRED_BAD;
		goto out;
	}
	if (c->token == NULL && c->client_id == NULL &&
	    c->client_secret == NULL) {
		snprintf(why, n,
		    "token (or, for a DGFiP API, client_id and "
		    "client_secret): missing");
		o = DS_CRED_BAD;
		goto out;
	}
	if (store_ds_get(dm->store, number, &row, &err) != RC_OK) {
		log_error("intake=ds dossier=%lld: %s", number, err.msg);
		snprintf(why, n, "the job store failed; send the token again");
		o = DS_CRED_ERROR;
		goto out;
	}
	if (row == NULL) {
		snprintf(why, n,
		    "no DS dossier %lld of démarche %lld is known to raccord: "
		    "check the number (a dossier filed in the last minutes is "
		    "read at the next poll)",
		    number, dm->pl.cfg->intake_ds_demarche);
		o = DS_CRED_NOT_FOUND;
		goto out;
	}
	if ((jid = json_string_value(json_object_get(row, "job_id"))) == NULL) {
		snprintf(why, n,
		    "DS dossier %lld does not map to a raccord dossier (its "
		    "annotation says why): correct it on "
		    "démarches-simplifiées first",
		    number);
		o = DS_CRED_CONFLICT;
		goto out;
	}
	snprintf(id, STORE_ID_LEN + 1, "%s", jid);
	if (store_credential_target(dm->store, id, &dossier, &award, state,
	        &err) != RC_OK ||
	    dossier == NULL) {
		log_error("intake=ds dossier=%lld job=%s: %s", number, id,
		    dossier == NULL ? "no such job" : err.msg);
		snprintf(why, n, "the job store failed; send the token again");
		o = DS_CRED_ERROR;
		goto out;
	}
	if (awarded(award)) {
		snprintf(why, n,
		    "DS dossier %lld was already awarded: no new token is "
		    "taken",
		    number);
		o = DS_CRED_CONFLICT;
	} else if (strcmp(state, "queued") == 0 ||
	    strcmp(state, "running") == 0) {
		snprintf(why, n,
		    "DS dossier %lld is being checked; send the token again "
		    "once the check ended (its annotation will say)",
		    number);
		o = DS_CRED_CONFLICT;
	} else if (strcmp(state, "verified") == 0) {
		/* A stranger knowing the number must not replace a good
		 * credential and turn the result into a failure. */
		snprintf(why, n,
		    "DS dossier %lld was verified with the credential given "
		    "before and waits for the instructor: no new one is "
		    "taken",
		    number);
		o = DS_CRED_CONFLICT;
	} else if (with_cred(dossier, c, &body, &apis, &dgfip, api) != RC_OK) {
		snprintf(why, n, "out of memory");
		o = DS_CRED_ERROR;
	} else if (apis == 0) {
		snprintf(why, n,
		    "DS dossier %lld names no national API: it needs no token",
		    number);
		o = DS_CRED_CONFLICT;
	} else if (body == NULL) {
		if (dgfip)
			snprintf(why, n,
			    "DS dossier %lld names %s, a DGFiP API: give its "
			    "OAuth client credentials, client_id and "
			    "client_secret (no token)",
			    number, api);
		else
			snprintf(why, n,
			    "DS dossier %lld names %s: give its token "
			    "(client_id and client_secret are for the DGFiP "
			    "APIs)",
			    number, api);
		o = DS_CRED_BAD;
	} else if (snprintf(key, sizeof(key), "n:%lld", number) > 0 &&
	    over_limit(key, dm->pl.cfg->intake_ds_cred_per_number,
	        retry_after)) {
		snprintf(why, n,
		    "too many credentials for DS dossier %lld this hour; "
		    "wait and send again",
		    number);
		o = DS_CRED_LIMITED;
	} else
		o = attach(dm, number, id, body, award, why, n);
out:
	if (body != NULL)
		OPENSSL_cleanse(body, strlen(body));
	free(body); /* json_dumps */
	rc_free(dossier);
	rc_free(award);
	json_decref(row);
	count(o);
	/* The token never: its outcome and the dossier only. */
	if (o == DS_CRED_OK)
		log_info("intake=ds dossier=%lld job=%s credential received, "
		         "queued",
		    number, id);
	else
		log_warn("intake=ds dossier=%lld credential refused: %s",
		    number, why);
	return o;
}

/* Field k of an application/x-www-form-urlencoded body, decoded. */
static enum rc_code
form_value(CURL *cu, const char *p, size_t n, char **out, size_t *outlen)
{
	char *raw, *dec, *s;
	int dlen;

	if ((raw = rc_malloc(n + 1)) == NULL)
		return RC_ENOMEM;
	memcpy(raw, p, n);
	raw[n] = '\0';
	for (s = raw; *s != '\0'; s++)
		if (*s == '+')
			*s = ' ';
	dec = curl_easy_unescape(cu, raw, 0, &dlen);
	rc_free_secret(raw, n);
	if (dec == NULL)
		return RC_ENOMEM;
	/* A NUL inside: the token check refuses it (length differs). */
	if ((*out = rc_malloc((size_t)dlen + 1)) == NULL) {
		OPENSSL_cleanse(dec, (size_t)dlen);
		curl_free(dec);
		return RC_ENOMEM;
	}
	memcpy(*out, dec, (size_t)dlen);
	(*out)[dlen] = '\0';
	*outlen = (size_t)dlen;
	OPENSSL_cleanse(dec, (size_t)dlen);
	curl_free(dec);
	return RC_OK;
}

enum rc_code
ds_credential_form_parse(const char *body, size_t len,
    struct ds_credential_form *f)
{
	static const char *const names[5] = { "ds_number", "token", "csrf",
		"client_id", "client_secret" };
	const char *p = body, *end = body + len, *amp, *eq;
	char **slot[5];
	enum rc_code rc = RC_OK;
	CURL *cu;
	size_t k, vlen;

	memset(f, 0, sizeof(*f));
	slot[0] = &f->number;
	slot[1] = &f->token;
	slot[2] = &f->csrf;
	slot[3] = &f->client_id;
	slot[4] = &f->client_secret;
	if ((cu = curl_easy_init()) == NULL)
		return RC_ENOMEM;
	while (p < end && rc == RC_OK) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		for (k = 0; eq != NULL && k < 5; k++)
			if ((size_t)(eq - p) == strlen(names[k]) &&
			    memcmp(p, names[k], (size_t)(eq - p)) == 0)
				break;
		if (eq != NULL && k < 5 && *slot[k] == NULL &&
		    (size_t)(amp - eq - 1) <= 3 * DAEMON_SECRET_MAX + 64) {
			rc = form_value(cu, eq + 1, (size_t)(amp - eq - 1),
			    slot[k], &vlen);
			if (rc == RC_OK && k == 1)
				f->token_len = vlen;
			if (rc == RC_OK && k == 3)
				f->client_id_len = vlen;
			if (rc == RC_OK && k == 4)
				f->client_secret_len = vlen;
		}
		p = amp + 1;
	}
	curl_easy_cleanup(cu);
	if (rc != RC_OK)
		ds_credential_form_cleanup(f);
	return rc;
}

void
ds_credential_form_cleanup(struct ds_credential_form *f)
{
	rc_free(f->number);
	if (f->token != NULL)
		rc_free_secret(f->token, f->token_len);
	if (f->client_secret != NULL)
		rc_free_secret(f->client_secret, f->client_secret_len);
	rc_free(f->client_id);
	rc_free(f->csrf);
	memset(f, 0, sizeof(*f));
}

long long
ds_credential_number(const char *s)
{
	unsigned long long v = 0;
	size_t n;

	if (s == NULL)
		return 0;
	while (*s == ' ')
		s++;
	n = strspn(s, "0123456789");
	if (n == 0 || n > 18 || s[n + strspn(s + n, " ")] != '\0')
		return 0;
	{
		char d[20];

		memcpy(d, s, n);
		d[n] = '\0';
		if (!http_parse_u64(d, (unsigned long long)INT64_MAX, &v))
			return 0;
	}
	return (long long)v;
}

static unsigned
status_of(enum ds_cred o)
{
	switch (o) {
	case DS_CRED_OK:
		return MHD_HTTP_ACCEPTED;
	case DS_CRED_BAD:
		return MHD_HTTP_BAD_REQUEST;
	case DS_CRED_NOT_FOUND:
		return MHD_HTTP_NOT_FOUND;
	case DS_CRED_CONFLICT:
		return MHD_HTTP_CONFLICT;
	case DS_CRED_LIMITED:
		return MHD_HTTP_TOO_MANY_REQUESTS;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* POST /v1/intake/ds/{number}/credential, body {"token": "…"}. */
static enum MHD_Result
post_credential(struct http_ctx *x, struct http_req *rq, long long number)
{
	static const char *const keys[] = { "token", "client_id",
		"client_secret", NULL };
	char addr[64], why[600], id[STORE_ID_LEN + 1];
	const char *k;
	struct ds_cred_in in = { 0 };
	json_t *body = NULL, *v;
	json_error_t je;
	long long retry = 0;
	enum ds_cred o;
	enum MHD_Result ret;
	size_t i;

	http_client_addr(x, addr, sizeof(addr));
	if (ds_credential_limited(x->dm->pl.cfg, addr, &retry)) {
		log_warn("intake=ds dossier=%lld credential refused: rate "
		         "limit (address %s)",
		    number, addr);
		return http_respond_json(x, MHD_HTTP_TOO_MANY_REQUESTS,
		    json_pack("{s:s}", "error",
		        "too many credentials from this address; wait and send "
		        "again"),
		    NULL, (int)(retry > 0 ? retry : 60));
	}
	if ((body = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
	         JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(body)) {
		count(DS_CRED_BAD);
		json_decref(body);
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "request body: a JSON object {\"token\": \"…\"} or, for a "
		    "DGFiP API, {\"client_id\": \"…\", \"client_secret\": "
		    "\"…\"}");
	}
	json_object_foreach(body, k, v)
	{
		for (i = 0; keys[i] != NULL && strcmp(k, keys[i]) != 0; i++)
			;
		if (keys[i] != NULL && json_is_string(v)) {
			if (i == 0) {
				in.token = json_string_value(v);
				in.token_len = json_string_length(v);
			} else if (i == 1) {
				in.client_id = json_string_value(v);
				in.client_id_len = json_string_length(v);
			} else {
				in.client_secret = json_string_value(v);
				in.client_secret_len = json_string_length(v);
			}
			continue;
		}
		count(DS_CRED_BAD);
		snprintf(why, sizeof(why), "request body: %.64s: %s", k,
		    keys[i] != NULL
		        ? "a string"
		        : "unknown key (only \"token\", or \"client_id\" and "
		          "\"client_secret\")");
		json_decref(body);
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST, why);
	}
	if (in.token == NULL && in.client_id == NULL &&
	    in.client_secret == NULL) {
		count(DS_CRED_BAD);
		json_decref(body);
		return http_respond_error(x, MHD_HTTP_BAD_REQUEST,
		    "request body: token (or, for a DGFiP API, client_id and "
		    "client_secret): missing");
	}
	o = ds_credential_give(x->dm, number, &in, id, why, sizeof(why),
	    &retry);
	json_decref(body); /* known limit: jansson's copy is not wiped */
	if (o == DS_CRED_LIMITED)
		return http_respond_json(x, MHD_HTTP_TOO_MANY_REQUESTS,
		    json_pack("{s:s}", "error", why), NULL,
		    (int)(retry > 0 ? retry : 60));
	if (o != DS_CRED_OK)
		return http_respond_error(x, status_of(o), why);
	ret = http_respond_json(x, MHD_HTTP_ACCEPTED,
	    json_pack("{s:I, s:s, s:s}", "ds_number", (json_int_t)number, "id",
	        id, "state", "queued"),
	    NULL, 0);
	return ret;
}

int
ds_credential_route(struct http_ctx *x, struct http_req *rq,
    enum MHD_Result *ret)
{
	static const char prefix[] = "/v1/intake/ds/";
	static const char suffix[] = "/credential";
	const char *u = x->url, *p;
	unsigned long long num = 0;
	char digits[24];
	size_t n;

	if (strncmp(u, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	p = u + sizeof(prefix) - 1;
	n = strspn(p, "0123456789");
	if (n == 0 || n >= sizeof(digits) - 1 || strcmp(p + n, suffix) != 0 ||
	    (memcpy(digits, p, n), digits[n] = '\0',
	        !http_parse_u64(digits, (unsigned long long)INT64_MAX, &num)) ||
	    num == 0) {
		*ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such route (POST /v1/intake/ds/{number}/credential, "
		    "number: the DS dossier number)");
		return 1;
	}
	if (!ds_credential_on(x->dm->pl.cfg))
		*ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such route (the démarches-simplifiées poller is off: "
		    "intake.ds.poll_interval_s)");
	else if (strcmp(x->method, "POST") != 0)
		*ret = http_respond_method(x, "POST");
	else
		*ret = post_credential(x, rq, (long long)num);
	return 1;
}
