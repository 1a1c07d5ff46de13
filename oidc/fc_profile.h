/* SPDX-License-Identifier: MIT */
/*
 * FranceConnect knowledge: the hosts, the rules an authorization request
 * must follow, the state/nonce randomness heuristics and FC's error codes.
 *
 * Sources: shared/reference/franceconnect.md (FC v2 "low", FC+ "high",
 * legacy v1) and shared/reference/oidc_rp_testing_and_probes.md part A;
 * each rule below and in fc_profile.c cites its origin, and
 * docs/fc_rules.md lists them with the choices made where the reference is
 * unclear.  No network I/O: every function here is pure apart from
 * allocation.
 *
 * Findings.  A rule broken by the collectivité is a finding, not an error:
 * the judges return RC_OK and append one struct fc_finding per rule, with
 * a stable check id, a status and a sentence in English (FC terms kept)
 * that a collectivité can act on.  FC_WARN never refuses an award; a
 * FC_FAIL of a finding whose "required" flag is set does.  The verifier
 * maps fc_status one to one onto its check_status (PASS, WARN, FAIL,
 * SKIP).
 */
#ifndef RC_OIDC_FC_PROFILE_H
#define RC_OIDC_FC_PROFILE_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"
#include "oidc/authreq.h"

/* FC's minimum state and nonce length (@MinLength(22), qualification). */
#define FC_MIN_RANDOM_LEN 22
/* Estimated entropy below which a state or nonce draws a warning. */
#define FC_MIN_ENTROPY_BITS 128
/* Bytes of a finding's sentence, NUL included (longer is truncated). */
#define FC_DETAIL_MAX 512

enum fc_status {
	FC_PASS,
	FC_WARN, /* advisory: reported, never refuses an award */
	FC_FAIL,
	FC_SKIP, /* the rule does not apply (e.g. no PKCE sent) */
	FC_STATUS__MAX
};

/* "pass", "warn", "fail", "skip". */
const char *fc_status_str(enum fc_status st);

struct fc_finding {
	const char *id; /* static, stable: "fc.authorize.nonce" */
	enum fc_status status;
	int required; /* a FAIL of this check refuses the award */
	char detail[FC_DETAIL_MAX];
};

/* A growable list of findings; the caller owns it (init/cleanup). */
struct fc_findings {
	struct fc_finding *v;
	size_t n;
	size_t cap;
};

void fc_findings_init(struct fc_findings *f);
void fc_findings_cleanup(struct fc_findings *f);

/* First finding with that id (borrowed from f), or NULL. */
const struct fc_finding *fc_findings_get(const struct fc_findings *f,
    const char *id);

/*
 * Append a finding with a printf-formatted sentence (truncated to
 * FC_DETAIL_MAX).  RC_ENOMEM only.
 */
enum rc_code fc_findings_add(struct fc_findings *f, const char *id,
    enum fc_status st, int required, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- Hosts ------------------------------------------------------------ */

enum fc_platform {
	FC_PLATFORM_UNKNOWN,     /* not a FranceConnect host we know */
	FC_PLATFORM_FC_PROD,     /* FC v2 production, eidas1 */
	FC_PLATFORM_FCPLUS_PROD, /* FC+ production, eidas2/eidas3 */
	FC_PLATFORM_SANDBOX,     /* an integration/sandbox host (v2) */
	FC_PLATFORM_LEGACY_V1,   /* v1 host or any /api/v1/ path */
	FC_PLATFORM__MAX
};

/* "FranceConnect v2 production", ... */
const char *fc_platform_str(enum fc_platform p);

/*
 * Classify a host (case-insensitive, no port) and a path.  Any path under
 * /api/v1/ is FC_PLATFORM_LEGACY_V1 whatever the host.  *plus (may be
 * NULL) is set when the host is a FranceConnect+ host.  *why (may be NULL)
 * receives a static sentence explaining the class (v1 decommissioned in
 * September 2025; sandbox keys never in production).
 */
enum fc_platform fc_platform_classify(const char *host, const char *path,
    int *plus, const char **why);

/* ---- One authorization request ----------------------------------------- */

/* What the dossier declares and the configuration expects. */
struct fc_expect {
	const char *authorization_endpoint; /* from discovery; required */
	const char *client_id;              /* declared; required */
	const char *redirect_uri;           /* declared; required */
	int plus;       /* FranceConnect+ integration: eidas2/eidas3 */
	int production; /* production dossier: https and no sandbox */
};

/*
 * Judge one captured authorization request.  Appends exactly one finding
 * for each of these ids, in this order (all required unless marked):
 *   fc.authorize.endpoint       scheme, host, port, path equal the
 *                               configured authorization_endpoint
 *   fc.authorize.platform       host class vs environment and FC/FC+
 *   fc.authorize.duplicates     no parameter given twice (RFC 6749 §3.1)
 *   fc.authorize.response_type  exactly "code"
 *   fc.authorize.client_id      equals the declared client_id
 *   fc.authorize.redirect_uri   equals the declared one; https in
 *                               production; no fragment
 *   fc.authorize.scope          openid; no address/phone; unknown: warn
 *   fc.authorize.acr_values     eidas1 (FC) / eidas2, eidas3 (FC+)
 *   fc.authorize.prompt         absent, or only login/consent
 *   fc.authorize.claims         absent, or a JSON object
 *   fc.authorize.state          present, >= 22 chars; non-alnum: warn
 *   fc.authorize.nonce          present, >= 22 chars; non-alnum: warn
 *   fc.authorize.pkce           absent: FC v2 refuses code_challenge
 *                               and code_challenge_method (Y030007)
 *   fc.authorize.params         only parameters FC v2's authorize DTO
 *                               knows (others: Y030007)
 * Returns RC_OK (findings appended) or RC_ENOMEM, RC_EINVAL when exp lacks
 * authorization_endpoint, client_id or redirect_uri, or the configured
 * endpoint is not a URL (a configuration error, not a finding).
 */
enum rc_code fc_authreq_judge(const struct oidc_authreq *req,
    const struct fc_expect *exp, struct fc_findings *out, struct rc_err *err);

/*
 * The small predicates fc_authreq_judge() is made of.  Each returns the
 * verdict and writes its sentence into detail[len] (always terminated,
 * truncated if needed).  A NULL value means "parameter absent".
 */
enum fc_status fc_check_response_type(const char *value, char *detail,
    size_t len);
enum fc_status fc_check_client_id(const char *value, const char *declared,
    char *detail, size_t len);
/* value: the decoded redirect_uri parameter. */
enum fc_status fc_check_redirect_uri(const char *value, const char *declared,
    int production, char *detail, size_t len);
enum fc_status fc_check_scope(const char *value, char *detail, size_t len);
enum fc_status fc_check_acr_values(const char *value, int plus, char *detail,
    size_t len);
enum fc_status fc_check_prompt(const char *value, char *detail, size_t len);
enum fc_status fc_check_claims(const char *value, char *detail, size_t len);
/* name is "state" or "nonce" (used in the sentence). */
enum fc_status fc_check_random_param(const char *name, const char *value,
    char *detail, size_t len);
/*
 * FC v2 validates the query against its AuthorizeParamsDto with
 * forbidNonWhitelisted, which has no PKCE field: any code_challenge or
 * code_challenge_method is refused with Y030007.  FC_PASS when both are
 * absent, FC_FAIL otherwise.
 */
enum fc_status fc_check_pkce(const char *challenge, const char *method,
    char *detail, size_t len);

/*
 * Is name one of the parameters FC v2's authorize DTO accepts (client_id,
 * response_type, redirect_uri, scope, acr_values, state, nonce, claims,
 * prompt, idp_hint, ui_locales)?
 */
int fc_param_known(const char *name);

/*
 * fc.authorize.params: every parameter of req other than the PKCE ones
 * (judged by fc_check_pkce) is one FC v2 accepts; FC_FAIL naming the
 * others.
 */
enum fc_status fc_check_params(const struct oidc_authreq *req, char *detail,
    size_t len);

/*
 * Is the scope one FC v2 knows (openid, identity claims, aliases,
 * restricted scopes)?  Removed v2 scopes (address, phone) are not.
 */
int fc_scope_known(const char *scope);

/* ---- Randomness over several fetches ----------------------------------- */

/*
 * Estimated entropy of a value from its alphabet: digits 3.32 bits per
 * character, hex 4, alphanumeric 5.95, base64/base64url 6, anything else
 * 6.55 (printable ASCII).  Separators '-' in a hex value (UUIDs) count
 * nothing.  An estimate of an upper bound, not a measure.
 */
double fc_entropy_bits(const char *value);

/*
 * Judge the state and nonce values captured from n independent fetches of
 * the login URL (states[i] and nonces[i] from fetch i; a NULL entry means
 * the parameter was absent and is skipped).  now is the time of the
 * fetches (0 when unknown) and sharpens timestamp detection.  Appends one
 * finding for each of:
 *   fc.authorize.random.repeat      a value seen twice (any fetch, state
 *                                   or nonce): fail
 *   fc.authorize.random.state_is_nonce  state == nonce in a fetch: fail
 *   fc.authorize.random.affix       a prefix/suffix common to every fetch:
 *                                   warn; fail when fewer than 22
 *                                   characters vary
 *   fc.authorize.random.counter     values differ only in an incrementing
 *                                   number: fail
 *   fc.authorize.random.embedded    a URL (fail) or a 10/13-digit epoch
 *                                   time (warn) inside a value
 *   fc.authorize.random.entropy     advisory: < 128 estimated bits: warn
 * Rules that need two fetches are FC_SKIP when fewer than two values are
 * available.  RC_OK or RC_ENOMEM.
 */
enum rc_code fc_random_judge(const char *const *states,
    const char *const *nonces, size_t n, time_t now, struct fc_findings *out,
    struct rc_err *err);

/* ---- FranceConnect error codes ----------------------------------------- */

/*
 * An explanation a collectivité can act on for an FC error code (Y04EA6EF,
 * Y04C013C, Y030007, ...) or an OAuth error returned to the redirect_uri
 * (invalid_scope, access_denied, ...).  Static string; NULL when unknown.
 */
const char *fc_error_explain(const char *code);

/*
 * Find an FC error code (Y followed by 6 to 8 digits or upper-case
 * letters, or E followed by 6 digits, standing alone) in an FC error page
 * body of len bytes (NULs allowed) with POSIX regex.  A code from the
 * known table wins over an unknown one; otherwise the first match.  On
 * RC_OK, code[codelen] holds the code, or "" when none was found.
 * RC_EINVAL when codelen < 10; RC_ENOMEM.
 */
enum rc_code fc_error_find(const char *html, size_t len, char *code,
    size_t codelen);

/* Whose fault an FC error code or OAuth error names. */
enum fc_blame {
	FC_BLAME_UNKNOWN,  /* a code raccord does not know */
	FC_BLAME_REQUEST,  /* the authorization request (the site) */
	FC_BLAME_PROVIDER, /* FranceConnect's own state or trouble */
	FC_BLAME__MAX
};

enum fc_blame fc_error_blame(const char *code);

/* ---- FranceConnect's answer to the authorization request ---------------- */

/*
 * What raccord read in a page the provider answered with (filled by
 * verifier/html.c from the parsed page; kept here so the decision below
 * stays pure and testable).
 */
struct fc_page_facts {
	int html;          /* the body parsed as an HTML document */
	int marker_testid; /* an element data-testid="main-providers" */
	int marker_grid;   /* an element id="grid-main-providers" */
	int error_marked;  /* data-testid="error-code", "error-section" or
	                      "error-section-title" is present */
	int code_marked;   /* code[] was read in the error-code element */
	char code[16];     /* an FC error code, or "" */
	int says_error;    /* the visible text speaks of an error, a failure
	                      or an invalid request */
};

enum fc_answer {
	FC_ANSWER_ACCEPTED, /* the page a person would see, without error */
	FC_ANSWER_REFUSED,  /* FC named a fault of the request */
	FC_ANSWER_UNCLEAR,  /* not understood, or FC's own trouble */
	FC_ANSWER__MAX
};

struct fc_answer_verdict {
	enum fc_answer answer;
	char code[32]; /* the FC code or OAuth error named, or "" */
	char detail[FC_DETAIL_MAX];
};

/*
 * Judge the last answer of the provider's origin (not a redirect):
 * status, its Content-Type (NULL when absent) and facts read in the body
 * (NULL when the body is not HTML or empty).  Accepted: 200, HTML, no
 * error; refused: an FC code blaming the request; unclear (inconclusive):
 * 5xx, 429, any other answer, codes that blame FranceConnect or that
 * raccord does not know.  Pure (shared/reference/franceconnect.md §8,
 * docs/fc_rules.md "How acceptance is decided").
 */
void fc_provider_page_judge(long status, const char *content_type,
    const struct fc_page_facts *facts, struct fc_answer_verdict *out);

/*
 * Judge a redirect that leaves the provider's origin: location (absolute)
 * against the redirect_uri the request sent (NULL when none).  Back to the
 * redirect_uri with error=: refused when the error blames the request,
 * unclear otherwise; elsewhere with error=: unclear; without error=:
 * accepted (an identity provider chosen by idp_hint, or the site).
 */
void fc_provider_redirect_judge(const char *location, const char *redirect_uri,
    struct fc_answer_verdict *out);

/*
 * fc.callback.forged (advisory): the site's callback answered a made-up
 * code and state with status, Location (NULL when none), a page (facts,
 * NULL when not HTML) and, when it set a cookie a normal visit does not,
 * that cookie's name (NULL or "" otherwise).  FC_WARN for a 5xx, a new
 * cookie, or a 2xx page that shows no error ("the callback may accept
 * any state"); FC_PASS for a clean refusal (4xx, a redirect, a page
 * saying the request failed).  Pure.
 */
enum fc_status fc_callback_forged_judge(long status, const char *location,
    const struct fc_page_facts *facts, const char *new_cookie, char *detail,
    size_t len);

#endif /* RC_OIDC_FC_PROFILE_H */
