/* SPDX-License-Identifier: MIT */
/*
 * National API clients: what raccord knows about API Particulier, API
 * Entreprise and the DGFiP APIs (API Impôt particulier, R2P, FICOBA), as
 * pure functions with no network I/O.
 *
 * For each API: its hosts per environment, its authentication scheme and
 * the one harmless call that proves a credential without touching personal
 * data (shared/reference/national_apis.md §1-§3, "What a verifier can check
 * automatically"):
 *   - API Particulier: GET /api/introspect, v2 with "X-Api-Key: <token>",
 *     v3 with "Authorization: Bearer <JWT>";
 *   - API Entreprise: GET /privileges with "Authorization: Bearer <JWT>";
 *   - DGFiP APIs: an OAuth2 client_credentials token request (RFC 6749
 *     §4.4) at the gateway's token endpoint, and no data call.
 * The caller (verifier/api_checks.c) builds a struct api_request here,
 * sends it through the probe engine, and hands the response back to the
 * parsers here, which turn it into a struct api_finding.
 *
 * Secrets (tokens, client secrets) are passed as (pointer, length) and
 * copied only into the request's headers or body and into
 * api_request.secret, all wiped by api_request_cleanup().  No function here
 * logs anything.
 */
#ifndef RC_APICLIENTS_API_H
#define RC_APICLIENTS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "common/err.h"

enum api_kind {
	API_PARTICULIER,       /* "api_particulier" */
	API_ENTREPRISE,        /* "api_entreprise" */
	API_IMPOT_PARTICULIER, /* "api_impot_particulier" (DGFiP) */
	API_R2P,               /* "api_r2p" (DGFiP) */
	API_FICOBA,            /* "api_ficoba" (DGFiP) */
	API__MAX
};

enum api_env {
	API_ENV_PRODUCTION,
	API_ENV_STAGING, /* the dossier's "integration" environment */
	API_ENV__MAX
};

enum api_auth {
	API_AUTH_TOKEN,              /* a long-lived token (JWT or v2 key) */
	API_AUTH_CLIENT_CREDENTIALS, /* OAuth2 client_id + client_secret */
	API_AUTH__MAX
};

struct api_info {
	enum api_kind kind;
	const char *name;  /* dossier and DataPass name: "api_particulier" */
	const char *label; /* "API Particulier" */
	enum api_auth auth;
	/* Built-in base URLs; NULL where no public host is documented. */
	const char *base[API_ENV__MAX];
	const char *proof_path; /* "/api/introspect", "/privileges", "/token" */
	int jwt_tokens;         /* its tokens are JWTs (v3 and later) */
};

/* The API of that dossier name, or NULL.  Borrowed, static. */
const struct api_info *api_info_lookup(const char *name);
const struct api_info *api_info_get(enum api_kind kind);

/*
 * One HTTP request to make.  Everything is owned by the struct; headers
 * and body may hold a secret, and secret is the exact string to redact
 * from evidence (probe_req.secret).  api_request_cleanup() wipes it all.
 */
#define API_REQ_MAX_HEADERS 4
struct api_request {
	const char *method; /* static: "GET" or "POST" */
	char *url;          /* never carries a secret */
	char *body;         /* POST body, or NULL */
	size_t body_len;
	const char *content_type;               /* static, or NULL */
	char *headers[API_REQ_MAX_HEADERS + 1]; /* NULL-terminated */
	char *secret;                           /* what to redact, or NULL */
	size_t max_body; /* response cap suited to the call */
};

void api_request_init(struct api_request *req);
/* Wipe (OPENSSL_cleanse) and free everything; the struct is reusable. */
void api_request_cleanup(struct api_request *req);

/*
 * Join a base URL and a path with curl_url (RFC 3986): a base path is
 * kept ("https://h/x" + "/y" -> "https://h/x/y").  *out for rc_free.
 * RC_EINVAL when base is not an absolute https or http URL.
 */
enum rc_code api_url_join(const char *base, const char *path, char **out,
    struct rc_err *err);

/*
 * The harmless request that proves a token: API Particulier
 * /api/introspect (version 2: X-Api-Key; 3: Bearer), API Entreprise
 * /privileges (Bearer).  RC_EINVAL for a DGFiP API (use
 * api_client_credentials_request) or a bad base URL.
 */
enum rc_code api_proof_request(const struct api_info *api, int version,
    const char *base, const char *token, size_t token_len,
    struct api_request *out, struct rc_err *err);

/*
 * OAuth2 client_credentials token request (RFC 6749 §4.4) at token_url,
 * the client authenticated with HTTP Basic (§2.3.1: id and secret
 * form-urlencoded, then base64), body "grant_type=client_credentials"
 * plus "&scope=" when scope is not NULL.  secret is set to the Basic
 * credentials string.
 */
enum rc_code api_client_credentials_request(const char *token_url,
    const char *client_id, const char *secret, size_t secret_len,
    const char *scope, struct api_request *out, struct rc_err *err);

/*
 * Organisation identifiers a token's claims or an introspection answer
 * name (issue 8: bind the token to the dossier).  National_apis.md §1-§2:
 * neither API Particulier's /api/introspect ({_id, name, scopes}) nor API
 * Entreprise's /privileges nor their JWT claims carry a SIRET today, so
 * these are usually empty; when a token does name one, it must be the
 * dossier's.  Read from "siret" / "siren" members, at the top level or in
 * an "organisation" / "organization" object; strings (or integers) only,
 * sanitised.  Empty strings when absent.
 */
struct api_org {
	char siret[32];
	char siren[32];
};

/* Fill org from a JSON object (NULL or not an object: empty). */
void api_org_from_json(json_t *obj, struct api_org *org);

/* What one response says about the credential. */
enum api_result {
	API_RES_OK,           /* the credential is live */
	API_RES_DENIED,       /* 401/403: refused (a finding) */
	API_RES_RATE_LIMITED, /* 429 */
	API_RES_UNAVAILABLE,  /* 5xx, 502/504: the service could not say */
	API_RES_UNEXPECTED,   /* another status, or an unreadable answer */
	API_RES__MAX
};

struct api_finding {
	enum api_result result;
	long status;
	char code[32];      /* "00103", v2 "error", OAuth2 "error", or "" */
	char reason[240];   /* sanitised title/detail/message, or what failed */
	size_t nscopes;     /* scopes or privileges of a live token */
	char scopes[512];   /* the first ones, comma-separated */
	struct api_org org; /* organisation the answer names, if any */
};

const char *api_result_str(enum api_result r);

/*
 * Parse the error body of any of the documented formats into f->code and
 * f->reason: v3 and API Entreprise {"errors":[{code,title,detail}]},
 * DataPass {"errors":[{status,title,detail}]}, v2 {error,reason,message},
 * OAuth2 {error,error_description} (RFC 6749 §5.2).  Leaves both empty when
 * the body is none of these.  Never fails.
 */
void api_error_parse(const char *body, size_t len, struct api_finding *f);

/*
 * A sentence for the well-known API Particulier / API Entreprise error
 * codes ("00103" -> "the token has expired"), or NULL.
 */
const char *api_error_code_str(const char *code);

/*
 * Judge the answer to api_proof_request: 200 with a JSON body whose
 * "scopes" (introspect) or "privileges" array is non-empty is API_RES_OK;
 * an empty list is API_RES_DENIED; a non-JSON 200 or a wrong content type
 * is API_RES_UNEXPECTED.  content_type may be NULL.  Never fails.
 */
void api_proof_parse(const struct api_info *api, long status,
    const char *content_type, const char *body, size_t len,
    struct api_finding *f);

/*
 * Judge an OAuth2 token response (RFC 6749 §5.1): 200 with a non-empty
 * string access_token and token_type Bearer is API_RES_OK, and then
 * *access_token (rc_free_secret with its length, or api_secret_free) is a
 * copy of it when access_token is not NULL.  RC_ENOMEM only.
 */
enum rc_code api_token_response_parse(long status, const char *content_type,
    const char *body, size_t len, char **access_token, long *expires_in,
    struct api_finding *f);

/* Wipe and free a NUL-terminated secret string; NULL is a no-op. */
void api_secret_free(char *s);

/*
 * An application/x-www-form-urlencoded value (curl_easy_escape), for
 * rc_free; curl's own copy is wiped since it may hold a secret.  NULL on
 * ENOMEM.
 */
char *api_form_escape(const char *s, size_t len);

/*
 * True when s (len bytes) is a non-empty credential with no byte a header
 * or form could be smuggled with (no control character, space or DEL).
 */
bool api_secret_ok(const char *s, size_t len);

/* True when the media type is application/json or some +json type. */
bool api_content_type_is_json(const char *content_type);

/*
 * Rate-limit headers (IETF draft RateLimit-Limit/-Remaining/-Reset, as
 * API Particulier and API Entreprise send them; Retry-After, RFC 9110
 * §10.2.3).  Any argument may be NULL when the header is absent.
 */
struct api_ratelimit {
	long limit;       /* -1 when absent or malformed */
	long remaining;   /* -1 when absent or malformed */
	time_t reset;     /* epoch seconds, 0 when absent */
	long retry_after; /* seconds to wait, -1 when absent or malformed */
};

void api_ratelimit_parse(const char *limit, const char *remaining,
    const char *reset, const char *retry_after, time_t now,
    struct api_ratelimit *out);

/*
 * Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), as the
 * number of seconds to wait from now (0 for a date in the past).
 * RC_EINVAL when malformed.
 */
enum rc_code api_retry_after_parse(const char *value, time_t now,
    long *seconds);

/*
 * The wait before retrying a 429, honouring Retry-After and never less:
 * Retry-After when present, else RateLimit-Reset - now when in the future,
 * else -1 (no guidance: do not retry).  At least 1 second when >= 0.
 */
long api_ratelimit_wait(const struct api_ratelimit *rl, time_t now);

/*
 * JWT claims raccord reads from a token (decoded, NOT verified: these
 * tokens are HMAC-signed with the operator's secret, so a third party can
 * read but not verify them; national_apis.md §2).
 */
struct api_jwt_claims {
	int has_exp, has_iat;
	time_t exp, iat;
	char sub[160]; /* habilitation intitulé, or "staging ..." */
	char jti[64];
	char uid[64];
	size_t nscopes;
	char alg[16];       /* from the header */
	struct api_org org; /* organisation the claims name, if any */
};

/*
 * True when token is an API Particulier v2 key of the legacy kind: exactly
 * 32 hexadecimal characters (issue 7 §4).  Such a key goes in X-Api-Key
 * (national_apis.md §1, v2) and carries no claims.
 */
bool api_token_is_legacy_key(const char *token, size_t len);

/* True when s has the shape of a JWS compact serialisation (3 parts). */
bool api_jwt_looks_like(const char *token, size_t len);

/*
 * Decode the header and payload of a compact JWS with cjose's base64url
 * and jansson (JSON_REJECT_DUPLICATES).  RC_EPARSE, with the reason in err
 * (never the token), when it is not a well-formed JWT.
 */
enum rc_code api_jwt_decode(const char *token, size_t len,
    struct api_jwt_claims *out, struct rc_err *err);

/*
 * Staging markers (national_apis.md §1 "Public staging tokens", §3):
 * "sub" starting with "staging", or an all-zero "jti" or "uid" UUID.
 * why receives the marker found.
 */
bool api_jwt_is_staging(const struct api_jwt_claims *c, char *why,
    size_t whylen);

/*
 * Copy s into out (outlen > 0), dropping control characters and cutting
 * at outlen - 1 bytes on a UTF-8 boundary: safe for a report detail.
 */
void api_sanitize(const char *s, size_t len, char *out, size_t outlen);

#endif /* RC_APICLIENTS_API_H */
