/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oidc/fc_profile: host classes, every authorization
 * request rule on real-looking URLs, randomness over several fetches, the
 * error-code table and finder, allocation failures.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "oidc/authreq.h"
#include "oidc/fc_profile.h"

#define FC_AUTHZ  "https://oidc.franceconnect.gouv.fr/api/v2/authorize"
#define FCP_AUTHZ "https://auth.franceconnect.gouv.fr/api/v2/authorize"
#define CLIENT                                                                 \
	"6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
#define REDIRECT "https://demarches.mairie-exemple.fr/oidc/callback"
#define REDIRECT_ENC                                                           \
	"https%3A%2F%2Fdemarches.mairie-exemple.fr%2Foidc%2Fcallback"
#define STATE "8f2a1c9e4b7d3a6f0e5c2b9a8d7f6e1c8f2a1c9e4b7d3a6f0e5c2b9a8d7f6e1c"
#define NONCE "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0AZq3xR8vLm2Nk"

static const struct fc_expect fc_prod = { .authorization_endpoint = FC_AUTHZ,
	.client_id = CLIENT,
	.redirect_uri = REDIRECT,
	.plus = 0,
	.production = 1 };
static const struct fc_expect fcp_prod = { .authorization_endpoint = FCP_AUTHZ,
	.client_id = CLIENT,
	.redirect_uri = REDIRECT,
	.plus = 1,
	.production = 1 };

/* Build "<base>?<query>" and judge it; the findings go into f. */
static void
judge(const char *base, const char *query, const struct fc_expect *exp,
    struct fc_findings *f)
{
	char url[8192];
	struct oidc_authreq *r;
	struct rc_err err = { 0 };

	snprintf(url, sizeof(url), "%s?%s", base, query);
	r = oidc_authreq_parse(url, &err);
	assert_non_null(r);
	fc_findings_init(f);
	assert_int_equal(fc_authreq_judge(r, exp, f, &err), RC_OK);
	oidc_authreq_free(r);
}

static enum fc_status
status_of(const struct fc_findings *f, const char *id)
{
	const struct fc_finding *x = fc_findings_get(f, id);

	assert_non_null(x);
	return x->status;
}

static const char *
detail_of(const struct fc_findings *f, const char *id)
{
	const struct fc_finding *x = fc_findings_get(f, id);

	assert_non_null(x);
	return x->detail;
}

/* s begins with prefix (a detail's opening words). */
static void
assert_prefix(const char *s, const char *prefix)
{
	assert_non_null(s);
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not begin with \"%s\"", s, prefix);
}

#define GOOD_Q                                                                 \
	"response_type=code&client_id=" CLIENT "&redirect_uri=" REDIRECT_ENC   \
	"&scope=openid+given_name+family_name+birthdate&acr_values=eidas1"     \
	"&state=" STATE "&nonce=" NONCE

static void
test_good_fc_v2_request(void **state)
{
	struct fc_findings f;
	size_t i;

	(void)state;
	judge(FC_AUTHZ, GOOD_Q, &fc_prod, &f);
	assert_int_equal(f.n, 14);
	for (i = 0; i < f.n; i++) {
		if (f.v[i].status != FC_PASS)
			fail_msg("%s: %s", f.v[i].id, f.v[i].detail);
		assert_true(f.v[i].required);
	}
	assert_string_equal(f.v[0].id, "fc.authorize.endpoint");
	assert_string_equal(f.v[12].id, "fc.authorize.pkce");
	assert_string_equal(f.v[13].id, "fc.authorize.params");
	fc_findings_cleanup(&f);
}

static void
test_good_fc_plus_request(void **state)
{
	struct fc_findings f;

	(void)state;
	judge(FCP_AUTHZ,
	    "response_type=code&prompt=login+consent&acr_values=eidas2"
	    "&scope=openid%20gender%20given_name%20family_name%20email"
	    "%20preferred_username%20rnipp_birthdate"
	    "&claims=%7B%22id_token%22%3A%7B%22amr%22%3A%7B%22essential%22"
	    "%3Atrue%7D%7D%7D"
	    "&client_id=" CLIENT "&redirect_uri=" REDIRECT_ENC "&state=" STATE
	    "&nonce=" NONCE,
	    &fcp_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.acr_values"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.prompt"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.claims"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.scope"), FC_PASS);
	fc_findings_cleanup(&f);

	/* eidas1 on FC+, eidas2 on FC. */
	judge(FCP_AUTHZ, GOOD_Q, &fcp_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.acr_values"), FC_FAIL);
	fc_findings_cleanup(&f);
	judge(FC_AUTHZ,
	    "response_type=code&acr_values=eidas1+eidas2&scope=openid"
	    "&client_id=" CLIENT "&redirect_uri=" REDIRECT_ENC "&state=" STATE
	    "&nonce=" NONCE,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.acr_values"), FC_FAIL);
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.acr_values"), "only eidas1"));
	fc_findings_cleanup(&f);
	/* FC+ integration pointing at FC (low). */
	judge(FC_AUTHZ, GOOD_Q,
	    &(struct fc_expect){ FC_AUTHZ, CLIENT, REDIRECT, 1, 1 }, &f);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_FAIL);
	fc_findings_cleanup(&f);
}

static void
test_endpoint_and_platform(void **state)
{
	struct fc_findings f;

	(void)state;
	/* Legacy v1. */
	judge("https://app.franceconnect.gouv.fr/api/v1/authorize", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_FAIL);
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.platform"), "September 2025"));
	fc_findings_cleanup(&f);
	/* v1 path on the v2 host. */
	judge("https://oidc.franceconnect.gouv.fr/api/v1/authorize", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_FAIL);
	fc_findings_cleanup(&f);
	/* Sandbox in production. */
	judge("https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize",
	    GOOD_Q, &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_FAIL);
	assert_non_null(strstr(detail_of(&f, "fc.authorize.platform"),
	    "never be used in production"));
	fc_findings_cleanup(&f);
	/* Sandbox in an integration dossier is fine. */
	judge("https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize",
	    GOOD_Q,
	    &(struct fc_expect){
	        "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize",
	        CLIENT, REDIRECT, 0, 0 },
	    &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_PASS);
	fc_findings_cleanup(&f);
	/* Other port, other path, http, upper-case host. */
	judge("https://oidc.franceconnect.gouv.fr:444/api/v2/authorize", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	fc_findings_cleanup(&f);
	judge("https://oidc.franceconnect.gouv.fr/api/v2/authorize/", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	fc_findings_cleanup(&f);
	judge("http://oidc.franceconnect.gouv.fr/api/v2/authorize", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	assert_non_null(strstr(detail_of(&f, "fc.authorize.endpoint"),
	    "redirects to "
	    "http://oidc.franceconnect.gouv.fr/api/v2/authorize,"));
	fc_findings_cleanup(&f);
	judge("https://OIDC.FranceConnect.GOUV.fr:443/api/v2/authorize", GOOD_Q,
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_PASS);
	fc_findings_cleanup(&f);
	/* A look-alike host. */
	judge(
	    "https://oidc.franceconnect.gouv.fr.evil.example/api/v2/authorize",
	    GOOD_Q, &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.endpoint"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.platform"), FC_WARN);
	fc_findings_cleanup(&f);
}

static void
test_classify(void **state)
{
	const char *why;
	int plus;

	(void)state;
	assert_int_equal(fc_platform_classify("oidc.franceconnect.gouv.fr",
	                     "/api/v2/authorize", &plus, &why),
	    FC_PLATFORM_FC_PROD);
	assert_false(plus);
	assert_int_equal(fc_platform_classify("auth.franceconnect.gouv.fr.",
	                     "/api/v2/authorize", &plus, NULL),
	    FC_PLATFORM_FCPLUS_PROD);
	assert_true(plus);
	assert_int_equal(
	    fc_platform_classify("fcp-low.integ01.dev-franceconnect.fr", "/",
	        NULL, NULL),
	    FC_PLATFORM_SANDBOX);
	assert_int_equal(
	    fc_platform_classify("auth.integ01.dev-franceconnect.fr", "/",
	        &plus, NULL),
	    FC_PLATFORM_SANDBOX);
	assert_true(plus);
	assert_int_equal(
	    fc_platform_classify("fcp.integ01.dev-franceconnect.fr",
	        "/api/v2/authorize", NULL, &why),
	    FC_PLATFORM_LEGACY_V1);
	assert_int_equal(
	    fc_platform_classify("new.dev-franceconnect.fr", "/", NULL, NULL),
	    FC_PLATFORM_SANDBOX);
	assert_int_equal(
	    fc_platform_classify("dev-franceconnect.fr", "/", NULL, NULL),
	    FC_PLATFORM_UNKNOWN);
	assert_int_equal(
	    fc_platform_classify("idp.example.org", "/api/v1/x", NULL, NULL),
	    FC_PLATFORM_LEGACY_V1);
	assert_int_equal(fc_platform_classify(NULL, NULL, NULL, &why),
	    FC_PLATFORM_UNKNOWN);
	assert_string_equal(fc_platform_str(FC_PLATFORM_FC_PROD),
	    "FranceConnect v2 production");
}

static void
test_each_fault(void **state)
{
	struct fc_findings f;

	(void)state;
	/* Missing everything. */
	judge(FC_AUTHZ, "foo=bar", &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.response_type"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.client_id"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.redirect_uri"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.scope"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.acr_values"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.state"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.nonce"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.prompt"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.claims"), FC_PASS);
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.acr_values"), "Y030007"));
	fc_findings_cleanup(&f);

	/* Implicit flow, wrong client, http redirect, short nonce. */
	judge(FC_AUTHZ,
	    "response_type=id_token+token&client_id=other"
	    "&redirect_uri=http%3A%2F%2Fdemarches.mairie-exemple.fr%2Foidc%2F"
	    "callback&scope=openid+address+phone+dgfip_rfr&acr_values=eidas1"
	    "&state=" STATE "&nonce=0123456789abcdef&prompt=none"
	    "&claims=%7Bnot-json",
	    &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.response_type"), FC_FAIL);
	assert_non_null(strstr(detail_of(&f, "fc.authorize.response_type"),
	    "unsupported_response_type"));
	assert_int_equal(status_of(&f, "fc.authorize.client_id"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.redirect_uri"), FC_FAIL);
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.redirect_uri"), "not https"));
	assert_int_equal(status_of(&f, "fc.authorize.scope"), FC_FAIL);
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.scope"), "address, phone"));
	assert_non_null(
	    strstr(detail_of(&f, "fc.authorize.scope"), "dgfip_rfr"));
	assert_int_equal(status_of(&f, "fc.authorize.nonce"), FC_FAIL);
	assert_string_equal(detail_of(&f, "fc.authorize.nonce"),
	    "nonce has 16 characters; FranceConnect requires at least 22 (FC "
	    "answers Y030007; qualification rule, "
	    "docs.partenaires.franceconnect.gouv.fr/fs/devenir-fs/"
	    "projet-qualification-fs/#verifications-techniques)");
	assert_int_equal(status_of(&f, "fc.authorize.state"), FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.prompt"), FC_FAIL);
	assert_int_equal(status_of(&f, "fc.authorize.claims"), FC_FAIL);
	fc_findings_cleanup(&f);

	/* Duplicates, named in a sentence whose number agrees with them. */
	judge(FC_AUTHZ, GOOD_Q "&state=" STATE "&nonce=" NONCE, &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.duplicates"), FC_FAIL);
	assert_prefix(detail_of(&f, "fc.authorize.duplicates"),
	    "parameters given more than once: state, nonce; ");
	fc_findings_cleanup(&f);
	judge(FC_AUTHZ, GOOD_Q "&state=" STATE, &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.duplicates"), FC_FAIL);
	assert_prefix(detail_of(&f, "fc.authorize.duplicates"),
	    "parameter given more than once: state; ");
	fc_findings_cleanup(&f);
}

static void
test_redirect_uri(void **state)
{
	char d[FC_DETAIL_MAX];

	(void)state;
	assert_int_equal(
	    fc_check_redirect_uri(REDIRECT, REDIRECT, 1, d, sizeof(d)),
	    FC_PASS);
	/* Trailing slash, case of the path, query: exact match only. */
	assert_int_equal(
	    fc_check_redirect_uri(REDIRECT "/", REDIRECT, 1, d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "Y04C013C"));
	assert_int_equal(
	    fc_check_redirect_uri(
	        "https://demarches.mairie-exemple.fr/OIDC/callback", REDIRECT,
	        1, d, sizeof(d)),
	    FC_FAIL);
	/* Fragment, even when declared so. */
	assert_int_equal(fc_check_redirect_uri(REDIRECT "#x", REDIRECT "#x", 1,
	                     d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "fragment"));
	/* http: fine in a sandbox dossier, not in production. */
	assert_int_equal(fc_check_redirect_uri("http://localhost/cb",
	                     "http://localhost/cb", 0, d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_redirect_uri("http://localhost/cb",
	                     "http://localhost/cb", 1, d, sizeof(d)),
	    FC_FAIL);
	/* Malformed (FC: Y030007). */
	assert_int_equal(fc_check_redirect_uri("example.com", "example.com", 0,
	                     d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "Y030007"));
	/* Control characters are not echoed. */
	assert_int_equal(fc_check_redirect_uri("https://a.example/\x01\n",
	                     REDIRECT, 1, d, sizeof(d)),
	    FC_FAIL);
	assert_null(strchr(d, '\n'));
	assert_null(strchr(d, '\x01'));
}

static void
test_scope_acr_prompt_claims_pkce(void **state)
{
	char d[FC_DETAIL_MAX];

	(void)state;
	assert_int_equal(fc_check_scope("openid", d, sizeof(d)), FC_PASS);
	assert_int_equal(
	    fc_check_scope("  openid   profile birth  ", d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(
	    fc_check_scope("openid identite_pivot idp_id amr", d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_scope("profile email", d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_scope("OpenID", d, sizeof(d)), FC_FAIL);
	assert_int_equal(
	    fc_check_scope("openid cnaf_quotient_familial", d, sizeof(d)),
	    FC_WARN);
	assert_int_equal(fc_check_scope("openid phone", d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_scope("", d, sizeof(d)), FC_FAIL);
	assert_true(fc_scope_known("preferred_username"));
	assert_false(fc_scope_known("address"));
	assert_false(fc_scope_known("rnipp_"));

	assert_int_equal(fc_check_acr_values("eidas1", 0, d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_acr_values("eidas1 eidas1", 0, d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_acr_values("eidas2 eidas3", 1, d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_acr_values("eidas3 eidas1", 1, d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_acr_values("EIDAS1", 0, d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_acr_values(" ", 0, d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_acr_values(NULL, 1, d, sizeof(d)), FC_FAIL);

	assert_int_equal(fc_check_prompt(NULL, d, sizeof(d)), FC_PASS);
	assert_int_equal(fc_check_prompt("login", d, sizeof(d)), FC_PASS);
	assert_int_equal(fc_check_prompt("consent login", d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_prompt("", d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_prompt("none", d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_prompt("login select_account", d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "select_account"));

	assert_int_equal(fc_check_claims("{}", d, sizeof(d)), FC_PASS);
	assert_int_equal(fc_check_claims("[]", d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_claims("{\"a\":1,\"a\":2}", d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_claims("{\"id_token\":true}", d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_claims("", d, sizeof(d)), FC_FAIL);

	/*
	 * FC v2's AuthorizeParamsDto has no PKCE field and forbids unknown
	 * ones: even a perfect S256 challenge is refused (Y030007).
	 */
	assert_int_equal(fc_check_pkce(NULL, NULL, d, sizeof(d)), FC_PASS);
	assert_int_equal(
	    fc_check_pkce("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256",
	        d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "Y030007"));
	assert_non_null(strstr(d, "authorize-params.dto.ts"));
	assert_int_equal(fc_check_pkce("abc", "plain", d, sizeof(d)), FC_FAIL);
	assert_int_equal(fc_check_pkce(NULL, "S256", d, sizeof(d)), FC_FAIL);
}

/* fc.authorize.params: FC's DTO list, and nothing else. */
static void
test_unknown_params(void **state)
{
	struct fc_findings f;
	const struct fc_finding *x;
	static const char *const known[] = { "client_id", "acr_values",
		"claims", "response_type", "nonce", "state", "redirect_uri",
		"scope", "prompt", "idp_hint", "ui_locales" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_true(fc_param_known(known[i]));
	assert_false(fc_param_known("code_challenge"));
	assert_false(fc_param_known("login_hint"));
	assert_false(fc_param_known("Client_id"));
	assert_false(fc_param_known(NULL));

	judge(FC_AUTHZ, GOOD_Q "&idp_hint=abc&ui_locales=fr", &fc_prod, &f);
	assert_int_equal(status_of(&f, "fc.authorize.params"), FC_PASS);
	fc_findings_cleanup(&f);

	judge(FC_AUTHZ, GOOD_Q "&login_hint=x&response_mode=query", &fc_prod,
	    &f);
	x = fc_findings_get(&f, "fc.authorize.params");
	assert_non_null(x);
	assert_int_equal(x->status, FC_FAIL);
	assert_true(x->required);
	assert_non_null(strstr(x->detail, "login_hint"));
	assert_non_null(strstr(x->detail, "response_mode"));
	assert_non_null(strstr(x->detail, "Y030007"));
	/* the sentence agrees with the number of parameters it names */
	assert_prefix(x->detail,
	    "parameters login_hint, response_mode are not "
	    "accepted by FranceConnect");
	assert_non_null(strstr(x->detail, ". Remove them"));
	fc_findings_cleanup(&f);
	judge(FC_AUTHZ, GOOD_Q "&login_hint=x", &fc_prod, &f);
	x = fc_findings_get(&f, "fc.authorize.params");
	assert_non_null(x);
	assert_int_equal(x->status, FC_FAIL);
	assert_prefix(x->detail,
	    "parameter login_hint is not accepted by "
	    "FranceConnect");
	assert_non_null(strstr(x->detail, ". Remove it"));
	fc_findings_cleanup(&f);

	/* PKCE: one required failure, under fc.authorize.pkce only. */
	judge(FC_AUTHZ,
	    GOOD_Q "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	           "&code_challenge_method=S256",
	    &fc_prod, &f);
	x = fc_findings_get(&f, "fc.authorize.pkce");
	assert_non_null(x);
	assert_int_equal(x->status, FC_FAIL);
	assert_true(x->required);
	assert_int_equal(status_of(&f, "fc.authorize.params"), FC_PASS);
	fc_findings_cleanup(&f);
}

/* Facts of FC's identity-provider choice page (interaction.ejs). */
static const struct fc_page_facts choice_page = { .html = 1,
	.marker_testid = 1,
	.marker_grid = 1 };

static struct fc_page_facts
error_page(const char *code)
{
	struct fc_page_facts f = { .html = 1, .error_marked = 1 };

	snprintf(f.code, sizeof(f.code), "%s", code);
	f.code_marked = code[0] != '\0';
	f.says_error = 1;
	return f;
}

static void
test_provider_page(void **state)
{
	struct fc_answer_verdict v;
	struct fc_page_facts f, bare = { .html = 1 };

	(void)state;
	/* Accepted: 200, HTML, no error; the markers are reported. */
	fc_provider_page_judge(200, "text/html; charset=utf-8", &choice_page,
	    &v);
	assert_int_equal(v.answer, FC_ANSWER_ACCEPTED);
	assert_non_null(strstr(v.detail, "data-testid=\"main-providers\""));
	assert_non_null(strstr(v.detail,
	    "(data-testid=\"main-providers\", #grid-main-providers)"));
	/* One marker alone, named alone. */
	f = choice_page;
	f.marker_grid = 0;
	fc_provider_page_judge(200, "text/html", &f, &v);
	assert_non_null(
	    strstr(v.detail, "choice (data-testid=\"main-providers\")"));
	/* ... but not required: FC's markup changes. */
	fc_provider_page_judge(200, "text/html", &bare, &v);
	assert_int_equal(v.answer, FC_ANSWER_ACCEPTED);
	assert_non_null(strstr(v.detail, "neither"));

	/* Refused: codes that blame the request, named and explained. */
	f = error_page("Y030007");
	fc_provider_page_judge(400, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	assert_string_equal(v.code, "Y030007");
	assert_non_null(strstr(v.detail, "Y030007"));
	assert_non_null(strstr(v.detail, "acr_values"));
	f = error_page("Y04EA6EF");
	fc_provider_page_judge(400, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	assert_non_null(strstr(v.detail, "client_id"));
	f = error_page("Y04C013C");
	fc_provider_page_judge(400, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	assert_non_null(strstr(v.detail, "redirect_uri"));
	/* A marked error page is an error page whatever its status. */
	f = error_page("Y030007");
	fc_provider_page_judge(200, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);

	/* Inconclusive: FC's own trouble, unknown codes, the unreadable. */
	f = error_page("Y190001");
	fc_provider_page_judge(401, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	assert_non_null(strstr(v.detail, "Y190001"));
	assert_non_null(strstr(v.detail, "session"));
	f = error_page("Y000000");
	fc_provider_page_judge(200, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	f = error_page("Y999999");
	fc_provider_page_judge(400, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	assert_non_null(strstr(v.detail, "does not know"));
	f = error_page("");
	fc_provider_page_judge(400, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(400, "text/html", &bare, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(404, "text/html", &bare, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	f = error_page("Y030007");
	fc_provider_page_judge(500, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(503, "text/html", &choice_page, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(429, "text/html", &bare, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	assert_non_null(strstr(v.detail, "429"));
	f = error_page("Y030007"); /* rate limiting says nothing of it */
	fc_provider_page_judge(429, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	assert_non_null(strstr(v.detail, "try again later"));
	fc_provider_page_judge(200, "application/json", &choice_page, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(200, NULL, &choice_page, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(200, "text/html", NULL, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_page_judge(204, "text/html", &bare, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	/* An unknown code-like word on a plain 200 page is no error... */
	f = bare;
	snprintf(f.code, sizeof(f.code), "Y12ABCDE");
	fc_provider_page_judge(200, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_ACCEPTED);
	/* ... but a known code in the page's text is. */
	snprintf(f.code, sizeof(f.code), "Y04EA6EF");
	fc_provider_page_judge(200, "text/html", &f, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
}

#define RU "https://demarches.mairie-exemple.fr/oidc/callback"

static void
test_provider_redirect(void **state)
{
	struct fc_answer_verdict v;

	(void)state;
	fc_provider_redirect_judge(RU "?error=invalid_request&error_"
	                              "description=openid%20missing&state=s",
	    RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	assert_string_equal(v.code, "invalid_request");
	assert_non_null(strstr(v.detail, "openid missing"));
	fc_provider_redirect_judge(RU "?error=unsupported_response_type", RU,
	    &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	/* A fragment response type gets its error in the fragment
	 * (RFC 6749 section 4.2.2.1); seen from oidc-provider. */
	fc_provider_redirect_judge(RU "#error=unsupported_response_type&"
	                              "error_description=nope&state=s",
	    RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_REFUSED);
	assert_string_equal(v.code, "unsupported_response_type");
	fc_provider_redirect_judge(RU "#state=s", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_ACCEPTED);
	/* Same host, other path: not the redirect_uri. */
	fc_provider_redirect_judge(
	    "https://demarches.mairie-exemple.fr/other?error=invalid_request",
	    RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	/* Errors that do not blame the request. */
	fc_provider_redirect_judge(RU "?error=server_error", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_redirect_judge(RU "?error=temporarily_unavailable", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_redirect_judge(RU "?error=made_up", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_redirect_judge(RU "?error=invalid_request", NULL, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	/* idp_hint: straight on to an identity provider. */
	fc_provider_redirect_judge(
	    "https://idp.exemple.fr/authorize?client_id=fc&state=x", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_ACCEPTED);
	assert_non_null(strstr(v.detail, "idp.exemple.fr"));
	fc_provider_redirect_judge("not a url", RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
	fc_provider_redirect_judge(NULL, RU, &v);
	assert_int_equal(v.answer, FC_ANSWER_UNCLEAR);
}

static void
test_callback_forged(void **state)
{
	char d[FC_DETAIL_MAX];
	struct fc_page_facts welcome = { .html = 1 },
	                     refused = { .html = 1, .says_error = 1 };

	(void)state;
	assert_int_equal(
	    fc_callback_forged_judge(400, NULL, NULL, "", d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_callback_forged_judge(302,
	                     "https://mairie.test/connexion", NULL, NULL, d,
	                     sizeof(d)),
	    FC_PASS);
	assert_int_equal(
	    fc_callback_forged_judge(200, NULL, &refused, "", d, sizeof(d)),
	    FC_PASS);
	/* A welcome page to a made-up state: the state is not checked. */
	assert_int_equal(
	    fc_callback_forged_judge(200, NULL, &welcome, "", d, sizeof(d)),
	    FC_WARN);
	assert_non_null(strstr(d, "may accept any state"));
	assert_int_equal(
	    fc_callback_forged_judge(200, NULL, NULL, NULL, d, sizeof(d)),
	    FC_WARN);
	assert_int_equal(
	    fc_callback_forged_judge(500, NULL, &refused, "", d, sizeof(d)),
	    FC_WARN);
	assert_int_equal(fc_callback_forged_judge(302, "/espace", NULL,
	                     "session", d, sizeof(d)),
	    FC_WARN);
	assert_non_null(strstr(d, "session"));
}

static void
test_error_blame(void **state)
{
	(void)state;
	assert_int_equal(fc_error_blame("Y030007"), FC_BLAME_REQUEST);
	assert_int_equal(fc_error_blame("Y04EA6EF"), FC_BLAME_REQUEST);
	assert_int_equal(fc_error_blame("Y04C013C"), FC_BLAME_REQUEST);
	assert_int_equal(fc_error_blame("invalid_scope"), FC_BLAME_REQUEST);
	assert_int_equal(fc_error_blame("Y190001"), FC_BLAME_PROVIDER);
	assert_int_equal(fc_error_blame("server_error"), FC_BLAME_PROVIDER);
	assert_int_equal(fc_error_blame("Y123456"), FC_BLAME_UNKNOWN);
	assert_int_equal(fc_error_blame(NULL), FC_BLAME_UNKNOWN);
}

static void
test_state_nonce_chars(void **state)
{
	char d[FC_DETAIL_MAX];

	(void)state;
	/* Exactly 22 alphanumerics passes; 21 fails. */
	assert_int_equal(fc_check_random_param("state",
	                     "abcdefghijABCDEFGHIJ01", d, sizeof(d)),
	    FC_PASS);
	assert_int_equal(fc_check_random_param("state", "abcdefghijABCDEFGHIJ0",
	                     d, sizeof(d)),
	    FC_FAIL);
	assert_non_null(strstr(d, "21 characters"));
	/* base64url and UUIDs: long enough, but outside [A-Za-z0-9]. */
	assert_int_equal(fc_check_random_param("nonce",
	                     "f47ac10b-58cc-4372-a567-0e02b2c3d479", d,
	                     sizeof(d)),
	    FC_WARN);
	assert_non_null(strstr(d, "'-'"));
	assert_non_null(strstr(d, "checks only the length"));
	assert_int_equal(fc_check_random_param("nonce",
	                     "abcdefghijABCDEFGHIJ0 ", d, sizeof(d)),
	    FC_WARN);
	assert_non_null(strstr(d, "0x20"));
	/* Multi-byte characters count once each. */
	assert_int_equal(fc_check_random_param("nonce",
	                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	                     d, sizeof(d)),
	    FC_FAIL);
	assert_int_equal(fc_check_random_param("state", "", d, sizeof(d)),
	    FC_FAIL);
}

static void
test_random_good(void **state)
{
	static const char *const st[] = {
		"5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c5"
		"92",
		"7b8b965ad4bca0e41ab51de7b31363a1e4e0b9f34ef0c3c52c1d4c7e0c0ab7"
		"f1",
		"0cc175b9c0f1b6a831c399e269772661a1b2c3d4e5f60718293a4b5c6d7e8f"
		"90",
	};
	static const char *const no[] = {
		"Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0AZq3xR8vLm2Nk",
		"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6bNm3QwErTyUiO",
		"Mn7bVc4xZl1kJh8gFd5sAp2oIu9yTr6eWq3MnBvCxZlK",
	};
	struct fc_findings f;
	size_t i;

	(void)state;
	fc_findings_init(&f);
	assert_int_equal(fc_random_judge(st, no, 3, 1764350000, &f, NULL),
	    RC_OK);
	assert_int_equal(f.n, 6);
	for (i = 0; i < f.n; i++)
		if (f.v[i].status != FC_PASS)
			fail_msg("%s: %s", f.v[i].id, f.v[i].detail);
	fc_findings_cleanup(&f);

	/* One fetch: the multi-fetch rules skip. */
	fc_findings_init(&f);
	assert_int_equal(fc_random_judge(st, no, 1, 0, &f, NULL), RC_OK);
	assert_int_equal(status_of(&f, "fc.authorize.random.repeat"), FC_SKIP);
	assert_int_equal(status_of(&f, "fc.authorize.random.affix"), FC_SKIP);
	assert_int_equal(status_of(&f, "fc.authorize.random.counter"), FC_SKIP);
	assert_int_equal(status_of(&f, "fc.authorize.random.state_is_nonce"),
	    FC_PASS);
	assert_int_equal(status_of(&f, "fc.authorize.random.entropy"), FC_PASS);
	fc_findings_cleanup(&f);
}

static void
test_random_faults(void **state)
{
	struct fc_findings f;

	(void)state;
	/* Static state, state == nonce, repeat across kinds. */
	{
		const char *st[] = { "homehomehomehomehomehome",
			"homehomehomehomehomehome" };
		const char *no[] = { "homehomehomehomehomehome",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6bNm3QwErTyUiO" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, no, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.repeat"),
		    FC_FAIL);
		assert_int_equal(
		    status_of(&f, "fc.authorize.random.state_is_nonce"),
		    FC_FAIL);
		assert_int_equal(status_of(&f, "fc.authorize.random.affix"),
		    FC_FAIL);
		fc_findings_cleanup(&f);
	}
	/* state == nonce in each fetch, otherwise fresh: not a repeat. */
	{
		const char *st[] = { "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6b" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, st, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.repeat"),
		    FC_PASS);
		assert_int_equal(
		    status_of(&f, "fc.authorize.random.state_is_nonce"),
		    FC_FAIL);
		fc_findings_cleanup(&f);
	}
	/* The state of one fetch is the nonce of another: a repeat, though
	 * each fetch alone looks fine (issue 12 §2). */
	{
		const char *st[] = { "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A",
			"Mn4bV7cX1zL8kJ5hG2fD9sA6pO3iU0yT" };
		const char *no[] = { "Mn4bV7cX1zL8kJ5hG2fD9sA6pO3iU0yT",
			"Rt6yU1iO8pA3sD5fG9hJ2kL7zX4cV0bN" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, no, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.repeat"),
		    FC_FAIL);
		assert_int_equal(
		    status_of(&f, "fc.authorize.random.state_is_nonce"),
		    FC_PASS);
		fc_findings_cleanup(&f);
	}
	/* A counter behind a fixed prefix. */
	{
		const char *st[] = { "session-state-000000000041",
			"session-state-000000000042",
			"session-state-000000000043" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, NULL, 3, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.counter"),
		    FC_FAIL);
		assert_int_equal(status_of(&f, "fc.authorize.random.affix"),
		    FC_FAIL);
		assert_int_equal(status_of(&f, "fc.authorize.random.entropy"),
		    FC_WARN);
		assert_int_equal(
		    status_of(&f, "fc.authorize.random.state_is_nonce"),
		    FC_SKIP);
		fc_findings_cleanup(&f);
	}
	/*
	 * A counter is found whatever order the concurrent fetches return
	 * it in.
	 */
	{
		const char *st[] = { "state0000000000000000000043",
			"state0000000000000000000041",
			"state0000000000000000000042" };
		const char *no[] = { "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6b",
			"Mn4bVc7xZa1sDf5gHj8kLq2wEr6tYu9i" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, no, 3, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.counter"),
		    FC_FAIL);
		fc_findings_cleanup(&f);
	}
	/* Widely spread numbers are not a counter; random digits neither. */
	{
		const char *st[] = { "abcdefghijklmnopqrstuv9931",
			"abcdefghijklmnopqrstuv1204" };
		const char *no[] = { "40950293847561029384756102",
			"98127364501928374650192837" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, no, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.counter"),
		    FC_PASS);
		fc_findings_cleanup(&f);
	}
	/* An embedded URL (plain and base64), a timestamp. */
	{
		const char *st[] = { "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A."
			             "https://mairie.example/compte",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6b" };
		const char *b64[] = { "aHR0cHM6Ly9tYWlyaWUuZXhhbXBsZS9jb21wdGU",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6bQw8eRt5yUi2o" };
		const char *ts[] = {
			"Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A1764350012345",
			"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6bQw8eRt5yUi2o"
		};

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, NULL, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.embedded"),
		    FC_FAIL);
		fc_findings_cleanup(&f);
		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(NULL, b64, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.embedded"),
		    FC_FAIL);
		fc_findings_cleanup(&f);
		fc_findings_init(&f);
		assert_int_equal(
		    fc_random_judge(ts, NULL, 2, 1764350000, &f, NULL), RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.embedded"),
		    FC_WARN);
		fc_findings_cleanup(&f);
		/* Same digits, but far from the fetch time: not a time. */
		fc_findings_init(&f);
		assert_int_equal(
		    fc_random_judge(ts, NULL, 2, 1000000000, &f, NULL), RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.embedded"),
		    FC_PASS);
		fc_findings_cleanup(&f);
	}
	/* A fixed prefix with enough randomness after it: warn only. */
	{
		const char *st[] = { "myapp_Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A",
			"myapp_Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6b" };

		fc_findings_init(&f);
		assert_int_equal(fc_random_judge(st, NULL, 2, 0, &f, NULL),
		    RC_OK);
		assert_int_equal(status_of(&f, "fc.authorize.random.affix"),
		    FC_WARN);
		fc_findings_cleanup(&f);
	}
}

static void
test_entropy(void **state)
{
	(void)state;
	assert_true(
	    fc_entropy_bits("5d41402abc4b2a76b9719d911017c592") == 128.0);
	assert_true(
	    fc_entropy_bits("f47ac10b-58cc-4372-a567-0e02b2c3d479") == 128.0);
	assert_true(fc_entropy_bits("0123456789") > 33.2 &&
	    fc_entropy_bits("0123456789") < 33.3);
	assert_true(fc_entropy_bits("abcdefghijABCDEFGHIJ01") > 130.9 &&
	    fc_entropy_bits("abcdefghijABCDEFGHIJ01") < 131.0);
	assert_true(fc_entropy_bits("ab_c-") == 30.0);
	assert_true(fc_entropy_bits("YWJj==") == 24.0);
	assert_true(fc_entropy_bits(NULL) == 0.0);
	assert_true(fc_entropy_bits("") == 0.0);
}

static void
test_error_codes(void **state)
{
	char code[16];
	static const char page[] =
	    "<!DOCTYPE html><html lang=\"fr\"><head><title>Erreur - "
	    "FranceConnect</title><style>.x{color:#E123456}</style></head>"
	    "<body><main><h1>Une erreur est survenue</h1><p>YESTERDAY ended."
	    "</p><p>Code erreur : <strong>Y04C013C</strong></p>"
	    "<p>ID : 8f0f2a3c-1b0e-4b8e-9f39-5e5b0c1d2e3f</p></main></body>"
	    "</html>";
	static const char unknown[] =
	    "<p>Code d'erreur : Y0AB123</p><p>puis Y030007</p>";
	static const char legacy[] = "<td>Erreur</td><td>E000012</td>";
	static const char none[] = "<p>Bienvenue, AY030007B EY123456 Y12</p>";
	char withnul[64];

	(void)state;
	assert_int_equal(
	    fc_error_find(page, sizeof(page) - 1, code, sizeof(code)), RC_OK);
	assert_string_equal(code, "Y04C013C");
	assert_non_null(fc_error_explain(code));
	/* A known code wins over an earlier unknown one. */
	assert_int_equal(
	    fc_error_find(unknown, strlen(unknown), code, sizeof(code)), RC_OK);
	assert_string_equal(code, "Y030007");
	/* Only unknown: the first. */
	assert_int_equal(fc_error_find(unknown, 28, code, sizeof(code)), RC_OK);
	assert_string_equal(code, "Y0AB123");
	assert_null(fc_error_explain(code));
	assert_int_equal(
	    fc_error_find(legacy, strlen(legacy), code, sizeof(code)), RC_OK);
	assert_string_equal(code, "E000012");
	assert_int_equal(fc_error_find(none, strlen(none), code, sizeof(code)),
	    RC_OK);
	assert_string_equal(code, "");
	/* NUL bytes inside the body do not hide what follows. */
	memcpy(withnul, "<p>\0\0 code Y04EA6EF</p>", 24);
	assert_int_equal(fc_error_find(withnul, 24, code, sizeof(code)), RC_OK);
	assert_string_equal(code, "Y04EA6EF");
	/* At the very start and end of the body. */
	assert_int_equal(fc_error_find("Y030007", 7, code, sizeof(code)),
	    RC_OK);
	assert_string_equal(code, "Y030007");
	assert_int_equal(fc_error_find(page, sizeof(page) - 1, code, 4),
	    RC_EINVAL);
	assert_int_equal(fc_error_find(NULL, 0, code, sizeof(code)), RC_OK);
	assert_string_equal(code, "");

	assert_non_null(strstr(fc_error_explain("Y04EA6EF"), "client_id"));
	assert_non_null(strstr(fc_error_explain("Y030007"), "22"));
	assert_non_null(fc_error_explain("invalid_scope"));
	assert_non_null(fc_error_explain("access_denied"));
	assert_non_null(fc_error_explain("login_required"));
	assert_non_null(fc_error_explain("consent_required"));
	assert_non_null(fc_error_explain("temporarily_unavailable"));
	assert_non_null(fc_error_explain("server_error"));
	assert_non_null(fc_error_explain("invalid_request"));
	assert_non_null(fc_error_explain("unsupported_response_type"));
	assert_null(fc_error_explain("nope"));
	assert_null(fc_error_explain(NULL));
}

static void
test_judge_bad_expect(void **state)
{
	struct oidc_authreq *r;
	struct fc_findings f;
	struct rc_err err = { 0 };
	struct fc_expect e = { .authorization_endpoint = "not a url",
		.client_id = CLIENT,
		.redirect_uri = REDIRECT,
		.production = 1 };

	(void)state;
	r = oidc_authreq_parse(FC_AUTHZ "?" GOOD_Q, NULL);
	assert_non_null(r);
	fc_findings_init(&f);
	assert_int_equal(fc_authreq_judge(r, &e, &f, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "authorization_endpoint"));
	e.authorization_endpoint = NULL;
	assert_int_equal(fc_authreq_judge(r, &e, &f, NULL), RC_EINVAL);
	fc_findings_cleanup(&f);
	oidc_authreq_free(r);
}

static void
test_enomem_is_clean(void **state)
{
	static const char *const st[] = { "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0A",
		"Qw8eRt5yUi2oPa7sDf4gHj1kLz9xCv6b" };
	struct oidc_authreq *r;
	struct fc_findings f;
	struct rc_err err;
	enum rc_code rc;
	unsigned long n;
	int done = 0;

	(void)state;
	r = oidc_authreq_parse(FC_AUTHZ "?" GOOD_Q, NULL);
	assert_non_null(r);
	for (n = 1; n < 100 && !done; n++) {
		memset(&err, 0, sizeof(err));
		fc_findings_init(&f);
		rc_mem_fail_after(n);
		rc = fc_authreq_judge(r, &fc_prod, &f, &err);
		if (!rc_mem_failed()) {
			assert_int_equal(rc, RC_OK);
			done = 1;
		} else {
			assert_int_equal(rc, RC_ENOMEM);
			assert_int_equal(err.code, RC_ENOMEM);
		}
		rc_mem_fail_after(0);
		fc_findings_cleanup(&f);
	}
	assert_true(done);
	oidc_authreq_free(r);

	/* fc_random_judge: the only allocation is the findings array. */
	fc_findings_init(&f);
	rc_mem_fail_after(1);
	assert_int_equal(fc_random_judge(st, st, 2, 0, &f, NULL), RC_ENOMEM);
	rc_mem_fail_after(0);
	fc_findings_cleanup(&f);

	/* fc_error_find copies the body. */
	{
		char code[16];

		rc_mem_fail_after(1);
		assert_int_equal(
		    fc_error_find("Y030007", 7, code, sizeof(code)), RC_ENOMEM);
		rc_mem_fail_after(0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_fc_v2_request),
		cmocka_unit_test(test_good_fc_plus_request),
		cmocka_unit_test(test_endpoint_and_platform),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_each_fault),
		cmocka_unit_test(test_redirect_uri),
		cmocka_unit_test(test_scope_acr_prompt_claims_pkce),
		cmocka_unit_test(test_unknown_params),
		cmocka_unit_test(test_provider_page),
		cmocka_unit_test(test_provider_redirect),
		cmocka_unit_test(test_callback_forged),
		cmocka_unit_test(test_error_blame),
		cmocka_unit_test(test_state_nonce_chars),
		cmocka_unit_test(test_random_good),
		cmocka_unit_test(test_random_faults),
		cmocka_unit_test(test_entropy),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_judge_bad_expect),
		cmocka_unit_test(test_enomem_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
