/* SPDX-License-Identifier: MIT */
/*
 * National-API checks (shared/DESIGN.md §4 "National API", issue 4 §2) and
 * the DataPass habilitation check of FranceConnect integrations.
 *
 * This file glues the pure clients of apiclients/ to the probe engine: it
 * builds requests there, submits them here, and hands the answers back to
 * the parsers.  Two flows run concurrently per integration:
 *
 *   DataPass (when datapass.base_url, client id and secret are set):
 *     POST /api/v1/oauth/token, then GET /api/v1/habilitations?siret=
 *     &state[]=active page by page -> api.habilitation / fc.habilitation
 *     (required);
 *   credential (when the dossier gives a token or DGFiP client
 *     credentials): the JWT claims are read locally -> api.token.production,
 *     api.token.expiry (required), api.token.renewal (advisory); then the
 *     harmless proof call (API Particulier /api/introspect, API Entreprise
 *     /privileges, DGFiP client_credentials token) -> api.token.live
 *     (required) and api.tls (advisory: the host is the State's, not the
 *     collectivité's).
 *
 * No call touches personal data.  Network failures, timeouts, 5xx and
 * answers we cannot read are CHECK_ERROR (inconclusive), never a pass or a
 * failure.  A 429 is retried at most API_RETRY_MAX times, never sooner
 * than Retry-After (RFC 9110 §10.2.3) and only when that wait is at most
 * API_RETRY_MAX_WAIT seconds; the wait is a probe_timer_add timer, so
 * other transfers go on meanwhile.
 *
 * Secrets (the dossier's token or client secret, raccord's DataPass secret
 * and access token) go only into the request for the configured host,
 * redacted from evidence through probe_req.secret, scrubbed from any text
 * quoted from answers, named in details only by fingerprint, and wiped
 * (OPENSSL_cleanse) when the flow ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "apiclients/api.h"
#include "apiclients/api_datapass.h"
#include "common/log.h"
#include "common/mem.h"
#include "verifier/api_checks_int.h"
#include "verifier/checks.h"
#include "verifier/secret.h"

enum fam_kind { FAM_API, FAM_FC };

struct fam {
	struct check_ctx *ctx;
	enum fam_kind kind;
	int pending; /* flows still running */
	const struct api_info *api;
	const char *want; /* DataPass definition wanted */
	const char *hab_id;
	time_t now;
	char base[512]; /* API base URL for the dossier's environment */

	/* DataPass flow */
	char *dp_token; /* raccord's DataPass access token (secret) */
	unsigned long dp_offset;
	int dp_pages;
	int dp_retries;
	int dp_exch[API_DATAPASS_MAX_PAGES + 4];
	size_t dp_nexch;
	struct api_habilitation *habs;
	size_t nhabs;
	enum rc_code (*dp_again)(struct fam *, struct rc_err *);

	/* credential flow */
	struct secret tok; /* token, or DGFiP client secret */
	int tk_retries;
	int tk_version;         /* API Particulier scheme used for the proof */
	struct api_org tk_org;  /* organisation the token's claims name */
	struct api_org ans_org; /* organisation the proof answer names */
};

static void
fam_free(struct fam *f)
{
	if (f == NULL)
		return;
	api_secret_free(f->dp_token);
	secret_wipe(&f->tok);
	rc_free(f->habs);
	rc_free(f);
}

/* One flow ended; the last one closes the family. */
static void
flow_done(struct fam *f)
{
	if (--f->pending > 0)
		return;
	check_ctx_done(f->ctx);
	fam_free(f);
}

/* Replace every occurrence of secret in s (NUL-terminated) with "***". */
static void
scrub(char *s, const char *secret)
{
	size_t sl, n;
	char *p;

	if (secret == NULL || (sl = strlen(secret)) < 4)
		return;
	while ((p = strstr(s, secret)) != NULL) {
		n = strlen(p + sl);
		memcpy(p, "***", 3);
		memmove(p + 3, p + sl, n + 1);
	}
}

static int
exch_add(struct check_ctx *ctx, const struct probe_res *res)
{
	return report_exchange_add(ctx->rep, res);
}

static const char *
env_word(enum dossier_env env)
{
	return env == DOSSIER_ENV_PRODUCTION ? "production" : "integration";
}

static void
fmt_day(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, outlen, "?");
	else
		strftime(out, outlen, "%Y-%m-%d", &tm);
}

/* --- predicates on data already received ---------------------------- */

/*
 * An opaque API Particulier v2 key (issue 7 §4): a 32-hex-character key
 * of the legacy kind, or any opaque key in a dossier that says
 * api_version 2.  /api/introspect accepting it (X-Api-Key, ref §1 v2)
 * proves a live production credential, so nothing here fails: no claims
 * to judge (api.token.production, api.token.expiry skipped) and an
 * advisory api.token.legacy says the key is of the kind v3 replaced
 * (Authorization: Bearer <JWT>, ref §1 v3).  Only the introspection
 * refusal (api.token.live) fails it.
 */
static enum rc_code
record_legacy_key(struct report_section *sec, enum dossier_env env,
    const char *token, size_t len, const char *fpr)
{
	int hex = api_token_is_legacy_key(token, len);
	enum rc_code rc;

	if ((rc = report_check(sec, "api.token.production", CHECK_SKIP, 0, NULL,
	         0,
	         "token %s is an opaque API Particulier v2 key: it has no "
	         "claims to read; /api/introspect on the %s host is the proof",
	         fpr, env_word(env))) != RC_OK)
		return rc;
	if ((rc = report_check(sec, "api.token.expiry", CHECK_SKIP, 0, NULL, 0,
	         "an opaque v2 key carries no expiry date")) != RC_OK)
		return rc;
	return report_check(sec, "api.token.legacy", CHECK_WARN, 0, NULL, 0,
	    "token %s is %s API Particulier v2 key (sent as X-Api-Key): it "
	    "stays a production credential while /api/introspect accepts it, "
	    "but v3 routes take a JWT in \"Authorization: Bearer\"; ask API "
	    "Particulier for a v3 token before v2 keys are retired",
	    fpr, hex ? "a 32-hex-character legacy" : "an opaque (legacy kind)");
}

/*
 * api.token.owner (issue 8, "The check also binds the token to the
 * dossier"): when the token's claims or the proof answer name an
 * organisation, it must be the dossier's (SIRET equal to the
 * collectivité's, SIREN equal to its SIREN); otherwise the credential is
 * someone else's and proves nothing about this collectivité.  Today's
 * tokens and introspection answers name none (national_apis.md §1-§2):
 * then the check is an advisory skip and the binding rests on the DataPass
 * habilitation and on the credential's fingerprint (credential_sha256),
 * which the ledger compares across SIRENs.
 */
enum rc_code
api_record_token_owner(struct report_section *sec, const char *siret,
    const char *siren, const struct api_org *claims,
    const struct api_org *answer, const char *fpr)
{
	static const char id[] = "api.token.owner";
	struct {
		const char *got, *want, *what, *where;
	} v[4] = {
		{ claims ? claims->siret : "", siret, "SIRET", "claims name" },
		{ claims ? claims->siren : "", siren, "SIREN", "claims name" },
		{ answer ? answer->siret : "", siret, "SIRET",
		    "proof answer names" },
		{ answer ? answer->siren : "", siren, "SIREN",
		    "proof answer names" },
	};
	size_t i, named = 0;

	for (i = 0; i < 4; i++) {
		if (v[i].got == NULL || v[i].got[0] == '\0')
			continue;
		named++;
		if (v[i].want == NULL || strcmp(v[i].got, v[i].want) != 0)
			return report_check(sec, id, CHECK_FAIL, 1, NULL, 0,
			    "token %s belongs to another organisation: its %s "
			    "%s %s, but this dossier is %s %s; a "
			    "credential only proves its owner's connection",
			    fpr, v[i].where, v[i].what, v[i].got, v[i].what,
			    v[i].want ? v[i].want : "(none)");
	}
	if (named > 0)
		return report_check(sec, id, CHECK_PASS, 1, NULL, 0,
		    "token %s names this dossier's organisation (SIRET %s)",
		    fpr, siret);
	return report_check(sec, id, CHECK_SKIP, 0, NULL, 0,
	    "token %s names no organisation (neither its claims nor the "
	    "answer carry a SIRET, as documented for these APIs): its owner "
	    "rests on the DataPass habilitation and on its fingerprint in the "
	    "ledger",
	    fpr);
}

/*
 * api.token.production: national_apis.md §1 "Public staging tokens" and
 * "What a verifier can check" 3 (reject sub "staging...", all-zero jti).
 * api.token.expiry: RFC 7519 §4.1.4, "exp" must be in the future.
 */
enum rc_code
api_record_token_claims(struct report_section *sec, const struct api_info *api,
    int version, enum dossier_env env, const char *token, size_t len,
    const char *fpr, time_t now, long warn_days)
{
	struct api_jwt_claims c;
	struct rc_err err = { 0 };
	char why[200], day[16];
	enum rc_code rc;
	long days;

	if (!api_jwt_looks_like(token, len)) {
		if (api->kind == API_PARTICULIER &&
		    (version == 2 || api_token_is_legacy_key(token, len)))
			return record_legacy_key(sec, env, token, len, fpr);
		if ((rc = report_check(sec, "api.token.production", CHECK_FAIL,
		         1, NULL, 0,
		         "token %s is not a JWT, but %s%s tokens are JWTs "
		         "(three base64url parts): it cannot be a token that "
		         "%s issued",
		         fpr, api->label,
		         api->kind == API_PARTICULIER ? " v3" : "",
		         api->label)) != RC_OK)
			return rc;
		return report_check(sec, "api.token.expiry", CHECK_SKIP, 0,
		    NULL, 0, "no JWT, no expiry date to read");
	}
	if (api_jwt_decode(token, len, &c, &err) != RC_OK) {
		if ((rc = report_check(sec, "api.token.production", CHECK_FAIL,
		         1, NULL, 0, "token %s is a malformed JWT: %s", fpr,
		         err.msg)) != RC_OK)
			return rc;
		return report_check(sec, "api.token.expiry", CHECK_SKIP, 0,
		    NULL, 0, "malformed JWT: no expiry date to read");
	}
	if (api_jwt_is_staging(&c, why, sizeof(why))) {
		if (env == DOSSIER_ENV_PRODUCTION)
			rc = report_check(sec, "api.token.production",
			    CHECK_FAIL, 1, NULL, 0,
			    "token %s is a staging token (%s) in a production "
			    "dossier: staging tokens only open the staging "
			    "hosts and fictitious data",
			    fpr, why);
		else
			rc = report_check(sec, "api.token.production",
			    CHECK_PASS, 0, NULL, 0,
			    "token %s is a staging token (%s), as expected "
			    "for the integration environment",
			    fpr, why);
	} else {
		rc = report_check(sec, "api.token.production", CHECK_PASS,
		    env == DOSSIER_ENV_PRODUCTION, NULL, 0,
		    "token %s carries no staging marker (sub \"%s\", %zu "
		    "scopes in its claims)",
		    fpr, c.sub, c.nscopes);
	}
	if (rc != RC_OK)
		return rc;
	if (!c.has_exp)
		return report_check(sec, "api.token.expiry", CHECK_WARN, 0,
		    NULL, 0,
		    "token %s has no \"exp\" claim: its expiry cannot be "
		    "read (API tokens last 18 months)",
		    fpr);
	fmt_day(c.exp, day, sizeof(day));
	if (c.exp <= now)
		return report_check(sec, "api.token.expiry", CHECK_FAIL, 1,
		    NULL, 0,
		    "token %s expired on %s (\"exp\" claim): ask %s for a "
		    "new one",
		    fpr, day, api->label);
	if ((rc = report_check(sec, "api.token.expiry", CHECK_PASS, 1, NULL, 0,
	         "token %s is valid until %s (\"exp\" claim)", fpr, day)) !=
	    RC_OK)
		return rc;
	days = (long)((c.exp - now) / 86400);
	if (warn_days > 0 && days < warn_days)
		return report_check(sec, "api.token.renewal", CHECK_WARN, 0,
		    NULL, 0,
		    "token %s expires in %ld days (%s): renew it before it "
		    "stops working",
		    fpr, days, day);
	return RC_OK;
}

/* api.tls (advisory): the API host's TLS as the probe saw it. */
static enum rc_code
record_tls(struct report_section *sec, const struct probe_res *res, int exch,
    time_t now, long warn_days)
{
	const int *ex = exch >= 0 ? &exch : NULL;
	size_t nex = exch >= 0 ? 1 : 0;
	char day[16];

	if (res->outcome == PROBE_TLS)
		return report_check(sec, "api.tls", CHECK_ERROR, 0, ex, nex,
		    "TLS with %s could not be verified: %s",
		    res->url_redacted ? res->url_redacted : "the API host",
		    res->errmsg);
	if (res->outcome != PROBE_OK)
		return report_check(sec, "api.tls", CHECK_SKIP, 0, ex, nex,
		    "no answer from the API host: TLS not observed");
	if (res->tls_version[0] == '\0')
		return report_check(sec, "api.tls", CHECK_FAIL, 0, ex, nex,
		    "%s was reached over plain HTTP: the token travelled "
		    "unencrypted; use the https base URL",
		    res->url_redacted);
	if (res->cert_not_after != 0) {
		fmt_day(res->cert_not_after, day, sizeof(day));
		if (res->cert_not_after - now < warn_days * 86400)
			return report_check(sec, "api.tls", CHECK_WARN, 0, ex,
			    nex,
			    "%s, verified; the certificate expires soon "
			    "(%s)",
			    res->tls_version, day);
		return report_check(sec, "api.tls", CHECK_PASS, 0, ex, nex,
		    "%s, certificate verified, valid until %s",
		    res->tls_version, day);
	}
	return report_check(sec, "api.tls", CHECK_PASS, 0, ex, nex,
	    "%s, certificate verified", res->tls_version);
}

/*
 * api.token.live: national_apis.md "What a verifier can check" 3 — a 200
 * with non-empty scopes proves an active token; 401 codes 00101 (invalid),
 * 00103 (expired), 00105 (blacklisted); a DGFiP gateway proves client
 * credentials by issuing a token (RFC 6749 §4.4, §5.1).
 */
enum api_next
api_record_proof(struct report_section *sec, const struct api_info *api,
    const struct probe_res *res, int exch, const char *secret, const char *fpr,
    int retries, time_t now, long cert_warn_days, long *wait_s,
    struct api_org *org)
{
	static const char id[] = "api.token.live";
	const int *ex = exch >= 0 ? &exch : NULL;
	size_t nex = exch >= 0 ? 1 : 0;
	int dgfip = api->auth == API_AUTH_CLIENT_CREDENTIALS;
	const char *url = res->url_redacted ? res->url_redacted : "?";
	const char *ctype, *meaning;
	struct api_finding f;
	struct api_ratelimit rl;
	char errmsg[256];
	long wait;

	*wait_s = 0;
	if (org != NULL)
		memset(org, 0, sizeof(*org));
	if (res->outcome != PROBE_OK) {
		snprintf(errmsg, sizeof(errmsg), "%s", res->errmsg);
		scrub(errmsg, secret);
		record_tls(sec, res, exch, now, cert_warn_days);
		report_check(sec, id, CHECK_ERROR, 1, ex, nex,
		    "%s %s failed (%s%s%s): the check is inconclusive, "
		    "run it again later",
		    res->method ? res->method : "GET", url,
		    probe_outcome_str(res->outcome), errmsg[0] ? ": " : "",
		    errmsg);
		return API_NEXT_DONE;
	}
	ctype = probe_res_header(res, "Content-Type");
	if (dgfip)
		api_token_response_parse(res->status, ctype, res->body.data,
		    res->body.len, NULL, NULL, &f);
	else
		api_proof_parse(api, res->status, ctype, res->body.data,
		    res->body.len, &f);
	scrub(f.reason, secret);
	scrub(f.code, secret);
	if (f.result == API_RES_RATE_LIMITED) {
		api_ratelimit_parse(probe_res_header(res, "RateLimit-Limit"),
		    probe_res_header(res, "RateLimit-Remaining"),
		    probe_res_header(res, "RateLimit-Reset"),
		    probe_res_header(res, "Retry-After"), now, &rl);
		wait = api_ratelimit_wait(&rl, now);
		if (wait >= 0 && wait <= API_RETRY_MAX_WAIT &&
		    retries < API_RETRY_MAX) {
			*wait_s = wait;
			return API_NEXT_RETRY;
		}
	}
	record_tls(sec, res, exch, now, cert_warn_days);
	meaning = api_error_code_str(f.code);
	switch (f.result) {
	case API_RES_OK:
		if (org != NULL)
			*org = f.org;
		if (dgfip)
			report_check(sec, id, CHECK_PASS, 1, ex, nex,
			    "%s issued an access token to these client "
			    "credentials (%s): they are live; no data call was "
			    "made",
			    url, fpr);
		else
			report_check(sec, id, CHECK_PASS, 1, ex, nex,
			    "GET %s answered 200: token %s is live with %zu "
			    "scope%s (%s)",
			    url, fpr, f.nscopes, f.nscopes > 1 ? "s" : "",
			    f.scopes);
		break;
	case API_RES_DENIED:
		report_check(sec, id, CHECK_FAIL, 1, ex, nex,
		    "%s answered %ld%s%s%s%s%s: %s %s refused%s%s", url,
		    f.status, f.code[0] ? " code " : "", f.code,
		    meaning ? " (" : "", meaning ? meaning : "",
		    meaning ? ")" : "", dgfip ? "client credentials" : "token",
		    fpr, f.reason[0] ? "; the API said: " : "", f.reason);
		break;
	case API_RES_RATE_LIMITED:
		api_ratelimit_parse(NULL, NULL,
		    probe_res_header(res, "RateLimit-Reset"),
		    probe_res_header(res, "Retry-After"), now, &rl);
		wait = api_ratelimit_wait(&rl, now);
		report_check(sec, id, CHECK_ERROR, 1, ex, nex,
		    "%s answered 429 (rate limited) %s; retry-after %ld s: "
		    "not retried further (at most %d retries of at most %d "
		    "s each) — run the check again later",
		    url, retries > 0 ? "again" : "", wait, API_RETRY_MAX,
		    API_RETRY_MAX_WAIT);
		break;
	case API_RES_UNAVAILABLE:
		report_check(sec, id, CHECK_ERROR, 1, ex, nex,
		    "%s answered %ld%s%s: the service could not answer "
		    "(provider error or timeout); inconclusive, run the "
		    "check again later",
		    url, f.status, f.reason[0] ? ": " : "", f.reason);
		break;
	default:
		report_check(sec, id, CHECK_ERROR, 1, ex, nex,
		    "%s answered %ld, which raccord cannot read%s%s; "
		    "inconclusive",
		    url, f.status, f.reason[0] ? ": " : "", f.reason);
		break;
	}
	return API_NEXT_DONE;
}

/* DataPass habilitation rules: national_apis.md "What a verifier can
 * check" 2, and the guichet's eligible list (§5). */
enum rc_code
api_record_habilitations(struct report_section *sec, const char *id,
    const char *want, const char *siret, int eligible_only, time_t start,
    time_t end, const struct api_habilitation *items, size_t n, const int *exch,
    size_t nexch)
{
	char why[320], reasons[900], others[200];
	size_t i, nmatch = 0, nothers = 0, used = 0, oused = 0;
	enum api_hab_verdict v;

	reasons[0] = others[0] = '\0';
	for (i = 0; i < n; i++) {
		v = api_habilitation_judge(&items[i], want, siret,
		    eligible_only, start, end, why, sizeof(why));
		if (v == API_HAB_OK)
			return report_check(sec, id, CHECK_PASS, 1, exch, nexch,
			    "DataPass: %s", why);
		if (v == API_HAB_OTHER_API) {
			if (nothers++ < 4 && oused + 70 < sizeof(others))
				oused += (size_t)snprintf(others + oused,
				    sizeof(others) - oused, "%s%s",
				    oused ? ", " : "", items[i].definition);
			continue;
		}
		if (nmatch++ < 3 && used + 10 < sizeof(reasons))
			used += (size_t)snprintf(reasons + used,
			    sizeof(reasons) - used, "%s%s", used ? "; " : "",
			    why);
		if (used >= sizeof(reasons))
			used = sizeof(reasons) - 1;
		if (oused >= sizeof(others))
			oused = sizeof(others) - 1;
	}
	if (nmatch > 0)
		return report_check(sec, id, CHECK_FAIL, 1, exch, nexch,
		    "DataPass lists %zu %s habilitation%s for SIRET %s, none "
		    "acceptable: %s",
		    nmatch, want, nmatch > 1 ? "s" : "", siret, reasons);
	return report_check(sec, id, CHECK_FAIL, 1, exch, nexch,
	    "DataPass lists no active %s habilitation for SIRET %s%s%s%s", want,
	    siret, nothers ? " (only: " : "", others, nothers ? ")" : "");
}

/* --- DataPass flow ---------------------------------------------------- */

static void dp_token_done(struct probe *p, struct probe_res *res, void *arg);
static void dp_page_done(struct probe *p, struct probe_res *res, void *arg);

static enum rc_code
submit(struct fam *f, struct api_request *r, probe_done_fn *fn,
    struct rc_err *err)
{
	struct probe_req pr;
	enum rc_code rc;

	memset(&pr, 0, sizeof(pr));
	pr.method = r->method;
	pr.url = r->url;
	pr.body = r->body;
	pr.body_len = r->body_len;
	pr.content_type = r->content_type;
	pr.headers = (const char *const *)r->headers;
	pr.max_body = r->max_body;
	pr.secret = r->secret;
	rc = probe_submit(f->ctx->probe, &pr, fn, f, err);
	api_request_cleanup(r); /* the engine copied it; wipe ours */
	return rc;
}

static void dp_end(struct fam *f, enum check_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the habilitation check as not decided, and end the flow. */
static void
dp_end(struct fam *f, enum check_status st, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	scrub(msg, f->dp_token);
	scrub(msg, f->ctx->opts->datapass_client_secret);
	report_check(f->ctx->sec, f->hab_id, st, 1, f->dp_exch, f->dp_nexch,
	    "%s", msg);
	api_secret_free(f->dp_token);
	f->dp_token = NULL;
	flow_done(f);
}

static enum rc_code
dp_submit_token(struct fam *f, struct rc_err *err)
{
	const struct verifier_opts *o = f->ctx->opts;
	struct api_request r;
	enum rc_code rc;

	rc = api_datapass_token_request(o->datapass_base_url,
	    o->datapass_client_id, o->datapass_client_secret,
	    strlen(o->datapass_client_secret), &r, err);
	if (rc != RC_OK)
		return rc;
	return submit(f, &r, dp_token_done, err);
}

static enum rc_code
dp_submit_page(struct fam *f, struct rc_err *err)
{
	struct api_request r;
	enum rc_code rc;

	rc = api_datapass_list_request(f->ctx->opts->datapass_base_url,
	    f->dp_token, f->ctx->dossier->collectivite.siret, API_DATAPASS_PAGE,
	    f->dp_offset, &r, err);
	if (rc != RC_OK)
		return rc;
	return submit(f, &r, dp_page_done, err);
}

/* Retry-After has passed: submit the DataPass request again. */
static void
dp_retry_timer(struct probe *p, void *arg)
{
	struct fam *f = arg;
	struct rc_err err = { 0 };

	(void)p;
	if (f->dp_again(f, &err) != RC_OK)
		dp_end(f, CHECK_ERROR, "DataPass retry: %s", err.msg);
}

/* A non-200 DataPass answer: retry a 429, else an inconclusive check. */
static void
dp_refused(struct fam *f, const struct probe_res *res, const char *what,
    enum rc_code (*again)(struct fam *, struct rc_err *))
{
	struct api_finding fi;
	struct api_ratelimit rl;
	struct rc_err err = { 0 };
	long wait;

	memset(&fi, 0, sizeof(fi));
	api_error_parse(res->body.data, res->body.len, &fi);
	if (res->status == 429) {
		api_ratelimit_parse(NULL, NULL,
		    probe_res_header(res, "RateLimit-Reset"),
		    probe_res_header(res, "Retry-After"), f->now, &rl);
		wait = api_ratelimit_wait(&rl, f->now);
		if (wait >= 0 && wait <= API_RETRY_MAX_WAIT &&
		    f->dp_retries < API_RETRY_MAX) {
			f->dp_retries++;
			f->dp_again = again;
			log_warn("datapass=%s status=429 retry_after=%ld "
			         "attempt=%d",
			    what, wait, f->dp_retries);
			if (probe_timer_add(f->ctx->probe, wait * 1000,
			        dp_retry_timer, f, &err) == RC_OK)
				return;
			dp_end(f, CHECK_ERROR, "DataPass %s: %s", what,
			    err.msg);
			return;
		}
	}
	if (res->status == 401 || res->status == 403 || res->status == 400)
		dp_end(f, CHECK_ERROR,
		    "DataPass refused raccord's %s (%ld%s%s): check "
		    "datapass.client_id_env/client_secret_env and that the "
		    "OAuth application's user holds the developer role on "
		    "the definition; habilitation not checked",
		    what, res->status, fi.reason[0] ? ": " : "", fi.reason);
	else
		dp_end(f, CHECK_ERROR,
		    "DataPass %s answered %ld%s%s: habilitation not checked "
		    "(inconclusive)",
		    what, res->status, fi.reason[0] ? ": " : "", fi.reason);
}

static void
dp_token_done(struct probe *p, struct probe_res *res, void *arg)
{
	struct fam *f = arg;
	struct api_finding fi;
	struct rc_err err = { 0 };
	int ex;

	(void)p;
	if ((ex = exch_add(f->ctx, res)) >= 0 &&
	    f->dp_nexch < sizeof(f->dp_exch) / sizeof(f->dp_exch[0]))
		f->dp_exch[f->dp_nexch++] = ex;
	if (res->outcome != PROBE_OK) {
		dp_end(f, CHECK_ERROR,
		    "DataPass token request to %s failed (%s: %s): "
		    "habilitation not checked (inconclusive)",
		    res->url_redacted, probe_outcome_str(res->outcome),
		    res->errmsg);
		goto out;
	}
	if (res->status != 200) {
		dp_refused(f, res, "client credentials", dp_submit_token);
		goto out;
	}
	if (api_token_response_parse(res->status,
	        probe_res_header(res, "Content-Type"), res->body.data,
	        res->body.len, &f->dp_token, NULL, &fi) != RC_OK) {
		dp_end(f, CHECK_ERROR, "out of memory");
		goto out;
	}
	if (fi.result != API_RES_OK) {
		dp_end(f, CHECK_ERROR,
		    "DataPass token answer unreadable (%s): habilitation "
		    "not checked",
		    fi.reason);
		goto out;
	}
	f->dp_retries = 0;
	if (dp_submit_page(f, &err) != RC_OK)
		dp_end(f, CHECK_ERROR, "DataPass: %s", err.msg);
out:
	probe_res_free(res);
}

static void
dp_page_done(struct probe *p, struct probe_res *res, void *arg)
{
	struct fam *f = arg;
	struct api_habilitation *items = NULL, *all;
	struct rc_err err = { 0 };
	size_t n = 0;
	int ex;

	(void)p;
	if ((ex = exch_add(f->ctx, res)) >= 0 &&
	    f->dp_nexch < sizeof(f->dp_exch) / sizeof(f->dp_exch[0]))
		f->dp_exch[f->dp_nexch++] = ex;
	if (res->outcome != PROBE_OK) {
		dp_end(f, CHECK_ERROR,
		    "DataPass habilitations request %s failed (%s: %s): "
		    "inconclusive",
		    res->url_redacted, probe_outcome_str(res->outcome),
		    res->errmsg);
		goto out;
	}
	if (res->status != 200) {
		dp_refused(f, res, "habilitations list", dp_submit_page);
		goto out;
	}
	if (!api_content_type_is_json(probe_res_header(res, "Content-Type")) ||
	    api_datapass_list_parse(res->body.data, res->body.len, &items, &n,
	        &err) != RC_OK) {
		dp_end(f, CHECK_ERROR,
		    "DataPass habilitations answer unreadable (%s): "
		    "inconclusive",
		    err.msg[0] ? err.msg : "not JSON");
		goto out;
	}
	if (n > 0) {
		all = rc_realloc(f->habs, (f->nhabs + n) * sizeof(*all));
		if (all == NULL) {
			dp_end(f, CHECK_ERROR, "out of memory");
			goto out;
		}
		memcpy(all + f->nhabs, items, n * sizeof(*items));
		f->habs = all;
		f->nhabs += n;
	}
	f->dp_pages++;
	f->dp_retries = 0;
	if (n == API_DATAPASS_PAGE && f->dp_pages < API_DATAPASS_MAX_PAGES) {
		f->dp_offset += n;
		if (dp_submit_page(f, &err) != RC_OK)
			dp_end(f, CHECK_ERROR, "DataPass: %s", err.msg);
		goto out;
	}
	api_record_habilitations(f->ctx->sec, f->hab_id, f->want,
	    f->ctx->dossier->collectivite.siret, f->kind == FAM_API,
	    f->ctx->opts->window_start, f->ctx->opts->window_end, f->habs,
	    f->nhabs, f->dp_exch, f->dp_nexch);
	api_secret_free(f->dp_token);
	f->dp_token = NULL;
	flow_done(f);
out:
	rc_free(items);
	probe_res_free(res);
}

static int
datapass_configured(const struct verifier_opts *o)
{
	return o->datapass_base_url != NULL && o->datapass_client_id != NULL &&
	    o->datapass_client_secret != NULL &&
	    o->datapass_client_secret[0] != '\0';
}

/* Start the DataPass flow, or record the skip.  RC_ENOMEM only. */
static enum rc_code
dp_start(struct fam *f, struct rc_err *err)
{
	struct rc_err e2 = { 0 };

	if (!datapass_configured(f->ctx->opts))
		return report_check(f->ctx->sec, f->hab_id, CHECK_SKIP, 0, NULL,
		    0,
		    "DataPass is not configured (datapass.base_url and the "
		    "client id and secret variables): the %s habilitation "
		    "was not checked",
		    f->want);
	f->pending++;
	if (dp_submit_token(f, &e2) != RC_OK) {
		if (e2.code == RC_ENOMEM) {
			f->pending--;
			return RC_ERR(err, RC_ENOMEM, "%s", e2.msg);
		}
		/* A malformed DataPass configuration: say so, once. */
		report_check(f->ctx->sec, f->hab_id, CHECK_ERROR, 1, NULL, 0,
		    "DataPass configuration unusable: %s", e2.msg);
		f->pending--;
	}
	return RC_OK;
}

/* --- credential flow -------------------------------------------------- */

static void tk_done(struct probe *p, struct probe_res *res, void *arg);

static const char *
api_base_for(const struct check_ctx *ctx, const struct api_info *api)
{
	const struct verifier_opts *o = ctx->opts;
	size_t i;

	for (i = 0; i < o->napi_bases; i++)
		if (o->api_bases[i].api != NULL &&
		    strcmp(o->api_bases[i].api, api->name) == 0 &&
		    o->api_bases[i].env == ctx->in->env)
			return o->api_bases[i].base_url;
	return api
	    ->base[ctx->in->env == DOSSIER_ENV_PRODUCTION ? API_ENV_PRODUCTION
	                                                  : API_ENV_STAGING];
}

/* The DGFiP gateway's token endpoint: "/token" at the origin of the
 * configured base (WSO2 gateways) [I]. */
static enum rc_code
dgfip_token_url(const char *base, char **out, struct rc_err *err)
{
	CURLU *u;
	char *origin = NULL;
	enum rc_code rc;

	*out = NULL;
	if ((u = curl_url()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "curl_url");
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, "/", 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &origin, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return RC_ERR(err, RC_EINVAL, "bad DGFiP base URL \"%s\"",
		    base);
	}
	rc = api_url_join(origin, "/token", out, err);
	curl_free(origin);
	curl_url_cleanup(u);
	return rc;
}

static enum rc_code
tk_submit(struct fam *f, struct rc_err *err)
{
	const struct dossier_integration *in = f->ctx->in;
	struct api_request r;
	char *url = NULL;
	enum rc_code rc;

	if (f->api->auth == API_AUTH_CLIENT_CREDENTIALS) {
		if ((rc = dgfip_token_url(f->base, &url, err)) != RC_OK)
			return rc;
		rc = api_client_credentials_request(url, in->oauth_client_id,
		    f->tok.value, f->tok.len, NULL, &r, err);
		rc_free(url);
	} else {
		rc = api_proof_request(f->api, f->tk_version, f->base,
		    f->tok.value, f->tok.len, &r, err);
	}
	if (rc != RC_OK)
		return rc;
	return submit(f, &r, tk_done, err);
}

/* The credential flow ends: bind the token to the dossier, wipe it. */
static void
tk_end(struct fam *f)
{
	const struct dossier *d = f->ctx->dossier;

	if (f->api->auth != API_AUTH_CLIENT_CREDENTIALS)
		api_record_token_owner(f->ctx->sec, d->collectivite.siret,
		    d->collectivite.siren, &f->tk_org, &f->ans_org, f->tok.fpr);
	secret_wipe(&f->tok);
	flow_done(f);
}

/* Retry-After has passed: send the proof request again. */
static void
tk_retry_timer(struct probe *p, void *arg)
{
	struct fam *f = arg;
	struct rc_err err = { 0 };

	(void)p;
	if (tk_submit(f, &err) == RC_OK)
		return;
	report_check(f->ctx->sec, "api.token.live", CHECK_ERROR, 1, NULL, 0,
	    "retry failed: %s", err.msg);
	tk_end(f);
}

static void
tk_done(struct probe *p, struct probe_res *res, void *arg)
{
	struct fam *f = arg;
	struct rc_err err = { 0 };
	const char *secret = f->tok.value;
	long wait = 0;
	int ex;

	(void)p;
	ex = exch_add(f->ctx, res);
	if (api_record_proof(f->ctx->sec, f->api, res, ex, secret, f->tok.fpr,
	        f->tk_retries, f->now, f->ctx->opts->cert_warn_days, &wait,
	        &f->ans_org) == API_NEXT_RETRY) {
		f->tk_retries++;
		log_warn("api=%s status=429 retry_after=%ld attempt=%d "
		         "token=%s",
		    f->api->name, wait, f->tk_retries, f->tok.fpr);
		probe_res_free(res);
		if (probe_timer_add(f->ctx->probe, wait * 1000, tk_retry_timer,
		        f, &err) == RC_OK)
			return;
		report_check(f->ctx->sec, "api.token.live", CHECK_ERROR, 1,
		    NULL, 0, "retry failed: %s", err.msg);
		tk_end(f);
		return;
	}
	probe_res_free(res);
	tk_end(f);
}

/*
 * Read the dossier's credential: from memory (the daemon's submission),
 * else from the file or variable it names, within the scope the operator
 * configured (secrets.dir, secrets.env_allow) for this dossier.  On
 * failure f->tok.fault says which kind.
 */
static enum rc_code
tk_load(struct fam *f, struct rc_err *err)
{
	const struct dossier_integration *in = f->ctx->in;
	const struct verifier_opts *o = f->ctx->opts;
	struct secret_scope sc;
	int dgfip = f->api->auth == API_AUTH_CLIENT_CREDENTIALS;
	enum rc_code rc;

	sc.dir = o->secrets_dir;
	sc.env_allow = o->secrets_env_allow;
	sc.siret = f->ctx->dossier->collectivite.siret;
	sc.dossier_id = f->ctx->dossier->dossier_id;
	if (in->secret_mem != NULL)
		rc = secret_from_bytes(in->secret_mem, in->secret_mem_len,
		    dgfip ? "client secret given in the submission"
		          : "token given in the submission",
		    &f->tok, err);
	else if (dgfip)
		rc = secret_load(&sc, "client_secret", in->client_secret_file,
		    in->client_secret_env, &f->tok, err);
	else
		rc = secret_load(&sc, "token", in->token_file, in->token_env,
		    &f->tok, err);
	if (rc == RC_OK && dgfip && in->oauth_client_id == NULL) {
		secret_wipe(&f->tok);
		f->tok.fault = SECRET_FAULT_NOT_CONFIGURED;
		rc = RC_ERR(err, RC_EINVAL,
		    "no oauth_client_id given with the client secret");
	}
	return rc;
}

/* Read the credential and start its flow, or record why not. */
static enum rc_code
tk_start(struct fam *f, struct rc_err *err)
{
	const struct dossier_integration *in = f->ctx->in;
	struct report_section *sec = f->ctx->sec;
	struct rc_err e2 = { 0 };
	const char *base = api_base_for(f->ctx, f->api);
	int dgfip = f->api->auth == API_AUTH_CLIENT_CREDENTIALS;
	enum rc_code rc;

	if (base == NULL || strlen(base) >= sizeof(f->base))
		return report_check(sec, "api.token.live", CHECK_ERROR, 1, NULL,
		    0,
		    "no %s host is configured for the %s environment (set "
		    "apis.%s.%s.base_url from your convention): the "
		    "credentials were not checked",
		    f->api->label, env_word(in->env), f->api->name,
		    env_word(in->env));
	memcpy(f->base, base, strlen(base) + 1);
	rc = tk_load(f, &e2);
	if (rc == RC_ENOMEM)
		return RC_ERR(err, rc, "%s", e2.msg);
	if (rc != RC_OK)
		/* A secret that is the dossier's own but not a credential
		 * (empty, whitespace or control bytes) is a finding; any
		 * other fault means the credential could not be examined. */
		return report_check(sec, "api.token.live",
		    secret_fault_is_content(f->tok.fault) ? CHECK_FAIL
		                                          : CHECK_ERROR,
		    1, NULL, 0, "the %s could not be used: %s",
		    dgfip ? "client secret" : "token", e2.msg);
	/* The credential that proves this section, for the ledger; the
	 * credential itself is hidden from everything recorded from now on
	 * (details quoting an answer included), not only from exchanges. */
	if ((rc = report_section_set(sec, "credential_sha256",
	         f->tok.sha256)) != RC_OK ||
	    (rc = report_secret_add(f->ctx->rep, f->tok.value)) != RC_OK) {
		secret_wipe(&f->tok);
		return RC_ERR(err, rc, "out of memory");
	}
	f->tk_version = in->api_version;
	if (!dgfip && api_jwt_looks_like(f->tok.value, f->tok.len)) {
		struct api_jwt_claims c;
		struct rc_err e3 = { 0 };

		if (api_jwt_decode(f->tok.value, f->tok.len, &c, &e3) == RC_OK)
			f->tk_org = c.org;
	} else if (f->api->kind == API_PARTICULIER &&
	    api_token_is_legacy_key(f->tok.value, f->tok.len)) {
		f->tk_version = 2; /* a legacy key goes in X-Api-Key */
	}
	if (dgfip) {
		if ((rc = report_check(sec, "api.token.production", CHECK_SKIP,
		         0, NULL, 0,
		         "DGFiP client credentials carry no claims: the "
		         "production stage is judged on the DataPass "
		         "habilitation")) != RC_OK)
			return rc;
	} else if ((rc = api_record_token_claims(sec, f->api, in->api_version,
	                in->env, f->tok.value, f->tok.len, f->tok.fpr, f->now,
	                API_TOKEN_WARN_DAYS_DEFAULT)) != RC_OK) {
		return rc;
	}
	f->pending++;
	if ((rc = tk_submit(f, &e2)) != RC_OK) {
		f->pending--;
		secret_wipe(&f->tok);
		if (rc == RC_ENOMEM)
			return RC_ERR(err, rc, "%s", e2.msg);
		return report_check(sec, "api.token.live", CHECK_ERROR, 1, NULL,
		    0, "the proof request could not be built: %s", e2.msg);
	}
	return RC_OK;
}

static int
has_credential(const struct dossier_integration *in, const struct api_info *api)
{
	if (in->secret_mem != NULL)
		return 1;
	if (api->auth == API_AUTH_CLIENT_CREDENTIALS)
		return in->client_secret_file != NULL ||
		    in->client_secret_env != NULL ||
		    in->oauth_client_id != NULL;
	return in->token_file != NULL || in->token_env != NULL;
}

static struct fam *
fam_new(struct check_ctx *ctx, enum fam_kind kind)
{
	struct fam *f;

	if ((f = rc_calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->ctx = ctx;
	f->kind = kind;
	f->now = ctx->opts->now != 0 ? ctx->opts->now : time(NULL);
	secret_init(&f->tok);
	return f;
}

/* Hold the family open while starting; close it if nothing is running. */
static void
fam_release_start(struct fam *f)
{
	flow_done(f);
}

enum rc_code
api_checks_start(struct check_ctx *ctx, struct rc_err *err)
{
	const struct dossier_integration *in = ctx->in;
	struct fam *f;
	int cred;
	enum rc_code rc;

	if ((f = fam_new(ctx, FAM_API)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	f->pending = 1; /* held until both flows are started */
	f->api = api_info_lookup(in->api);
	f->hab_id = "api.habilitation";
	if (f->api == NULL) {
		rc = report_check(ctx->sec, "api.habilitation", CHECK_ERROR, 1,
		    NULL, 0, "unknown API \"%s\"", in->api ? in->api : "");
		goto started;
	}
	f->want = f->api->name;
	cred = has_credential(in, f->api);
	if (!datapass_configured(ctx->opts) && !cred) {
		rc = report_check(ctx->sec, "api.evidence", CHECK_ERROR, 1,
		    NULL, 0,
		    "nothing can prove this %s connection: DataPass is not "
		    "configured and the dossier gives no %s",
		    f->api->label,
		    f->api->auth == API_AUTH_CLIENT_CREDENTIALS
		        ? "client credentials"
		        : "token (token_file or token_env)");
		if (rc == RC_OK)
			rc = report_check(ctx->sec, "api.habilitation",
			    CHECK_SKIP, 0, NULL, 0,
			    "DataPass is not configured");
		goto started;
	}
	if ((rc = dp_start(f, err)) != RC_OK)
		goto started;
	if (!cred)
		rc = report_check(ctx->sec, "api.token.live", CHECK_SKIP, 0,
		    NULL, 0,
		    "the dossier gives no %s: the connection rests on the "
		    "DataPass habilitation",
		    f->api->auth == API_AUTH_CLIENT_CREDENTIALS
		        ? "client credentials"
		        : "token");
	else
		rc = tk_start(f, err);
started:
	if (rc != RC_OK && f->pending == 1) {
		/* Nothing submitted: the start failed as a whole. */
		fam_free(f);
		return rc;
	}
	fam_release_start(f);
	return RC_OK;
}

enum rc_code
fc_habilitation_start(struct check_ctx *ctx, struct rc_err *err)
{
	struct fam *f;
	enum rc_code rc;

	if ((f = fam_new(ctx, FAM_FC)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	f->pending = 1;
	f->want = "france_connect";
	f->hab_id = "fc.habilitation";
	rc = dp_start(f, err);
	if (rc != RC_OK && f->pending == 1) {
		fam_free(f);
		return rc;
	}
	fam_release_start(f);
	return RC_OK;
}
