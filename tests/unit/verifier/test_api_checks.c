/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/api_checks.c (the predicates of
 * api_checks_int.h, fed with fixtures).  verifier/secret.c has its own
 * test_secret.c.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cjose/base64.h>
#include <cjose/util.h>

#include "common/mem.h"
#include "verifier/api_checks_int.h"
#include "verifier/secret.h"

#define NOW   1700000000
#define SIRET "21750001600019"
#define FPR   "sha256:0011223344556677"

struct fx {
	struct report *rep;
	struct report_section *sec;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	report_free(f->rep);
	free(f);
	return 0;
}

static char *
make_jwt(const char *payload)
{
	static const char hdr[] = "{\"alg\":\"HS256\"}";
	char *h = NULL, *p = NULL, *out;
	size_t hl, pl;
	cjose_err cerr;

	assert_true(cjose_base64url_encode((const uint8_t *)hdr, strlen(hdr),
	    &h, &hl, &cerr));
	assert_true(cjose_base64url_encode((const uint8_t *)payload,
	    strlen(payload), &p, &pl, &cerr));
	out = malloc(hl + pl + 8);
	snprintf(out, hl + pl + 8, "%s.%s.c2ln", h, p);
	cjose_get_dealloc()(h);
	cjose_get_dealloc()(p);
	return out;
}

static void
claims(struct fx *f, const char *payload, enum dossier_env env, const char *api,
    int version)
{
	char *jwt = make_jwt(payload);

	assert_int_equal(api_record_token_claims(f->sec, api_info_lookup(api),
	                     version, env, jwt, strlen(jwt), FPR, NOW, 30),
	    RC_OK);
	free(jwt);
}

static void
test_claims_production_token(void **state)
{
	struct fx *f = *state;

	claims(f,
	    "{\"sub\":\"Commune\",\"jti\":\"5e1c\",\"exp\":1800000000,"
	    "\"scopes\":[\"a\"]}",
	    DOSSIER_ENV_PRODUCTION, "api_entreprise", 3);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_PASS);
	assert_int_equal(report_check_status(f->sec, "api.token.expiry"),
	    CHECK_PASS);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.expiry"),
	    "2027-01-15"));
	assert_non_null(
	    strstr(report_check_detail(f->sec, "api.token.production"), FPR));
	assert_int_equal(report_check_status(f->sec, "api.token.renewal"),
	    CHECK__MAX);
}

static void
test_claims_staging_expired_soon(void **state)
{
	struct fx *f = *state;

	claims(f,
	    "{\"sub\":\"staging development\",\"jti\":\"00000000-0000-0000-"
	    "0000-000000000000\",\"exp\":1600000000}",
	    DOSSIER_ENV_PRODUCTION, "api_particulier", 3);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_FAIL);
	assert_non_null(
	    strstr(report_check_detail(f->sec, "api.token.production"),
	        "staging development"));
	assert_int_equal(report_check_status(f->sec, "api.token.expiry"),
	    CHECK_FAIL);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.expiry"),
	    "expired on 2020-09-13"));
}

static void
test_claims_staging_in_integration(void **state)
{
	struct fx *f = *state;

	claims(f, "{\"sub\":\"staging\",\"exp\":1700100000}",
	    DOSSIER_ENV_INTEGRATION, "api_particulier", 3);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_PASS);
	assert_int_equal(report_check_status(f->sec, "api.token.renewal"),
	    CHECK_WARN); /* one day left */
}

static void
test_claims_not_jwt(void **state)
{
	struct fx *f = *state;
	const struct api_info *pa = api_info_lookup("api_particulier");

	assert_int_equal(api_record_token_claims(f->sec, pa, 2,
	                     DOSSIER_ENV_PRODUCTION, "abcd-1234", 9, FPR, NOW,
	                     30),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_SKIP);
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	assert_int_equal(api_record_token_claims(f->sec, pa, 3,
	                     DOSSIER_ENV_PRODUCTION, "abcd-1234", 9, FPR, NOW,
	                     30),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_FAIL);
	assert_non_null(strstr(
	    report_check_detail(f->sec, "api.token.production"), "not a JWT"));
	/* A malformed JWT: three parts, the payload is not JSON. */
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	assert_int_equal(api_record_token_claims(f->sec, pa, 3,
	                     DOSSIER_ENV_PRODUCTION, "e30.bm9wZQ.x", 12, FPR,
	                     NOW, 30),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_FAIL);
	assert_non_null(
	    strstr(report_check_detail(f->sec, "api.token.production"),
	        "malformed JWT"));
}

/* A response as the probe engine would hand it over. */
static void
res_init(struct probe_res *r, long status, const char *ctype, const char *body,
    struct probe_header *hdrs, size_t nh)
{
	static char url[] = "https://particulier.api.gouv.fr/api/introspect";
	static char get[] = "GET";

	memset(r, 0, sizeof(*r));
	r->outcome = PROBE_OK;
	r->status = status;
	r->method = get;
	r->url = url;
	r->url_redacted = url;
	memcpy(r->tls_version, "TLSv1.3", 8);
	r->cert_not_after = NOW + 90 * 86400;
	rc_buf_init(&r->body, 1 << 20);
	if (body != NULL)
		assert_int_equal(rc_buf_adds(&r->body, body), RC_OK);
	hdrs[0].name = (char *)(uintptr_t) "Content-Type";
	hdrs[0].value = (char *)(uintptr_t)ctype;
	r->headers = hdrs;
	r->nheaders = ctype != NULL ? nh : 0;
}

/* Issue 7 §4: a 32-hex legacy key is verified, never failed for its kind. */
static void
test_claims_legacy_key(void **state)
{
	struct fx *f = *state;
	const struct api_info *pa = api_info_lookup("api_particulier");
	static const char key[] = "9f86d081884c7d659a2feaa0c55ad015";

	/* In a v3 dossier (the default): not "not a JWT". */
	assert_int_equal(api_record_token_claims(f->sec, pa, 3,
	                     DOSSIER_ENV_PRODUCTION, key, 32, FPR, NOW, 30),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_SKIP);
	assert_int_equal(report_check_status(f->sec, "api.token.expiry"),
	    CHECK_SKIP);
	assert_int_equal(report_check_status(f->sec, "api.token.legacy"),
	    CHECK_WARN);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.legacy"),
	    "32-hex-character legacy"));
	assert_null(
	    strstr(report_check_detail(f->sec, "api.token.legacy"), key));
	/* The same shape for API Entreprise is no API Particulier key. */
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	assert_int_equal(api_record_token_claims(f->sec,
	                     api_info_lookup("api_entreprise"), 0,
	                     DOSSIER_ENV_PRODUCTION, key, 32, FPR, NOW, 30),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.production"),
	    CHECK_FAIL);
	assert_int_equal(report_check_status(f->sec, "api.token.legacy"),
	    CHECK__MAX);
}

/* Issue 8: a token naming another organisation fails api.token.owner. */
static void
test_token_owner(void **state)
{
	struct fx *f = *state;
	struct api_org claims, answer;
	const char *d;

	memset(&claims, 0, sizeof(claims));
	memset(&answer, 0, sizeof(answer));
	/* Nothing named (today's tokens): advisory skip. */
	assert_int_equal(api_record_token_owner(f->sec, SIRET, "217500016",
	                     &claims, &answer, FPR),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.owner"),
	    CHECK_SKIP);
	/* The claims name the dossier's SIRET: pass. */
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	snprintf(claims.siret, sizeof(claims.siret), "%s", SIRET);
	assert_int_equal(api_record_token_owner(f->sec, SIRET, "217500016",
	                     &claims, &answer, FPR),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.owner"),
	    CHECK_PASS);
	/* Another SIRET in the claims: fail, both named. */
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	snprintf(claims.siret, sizeof(claims.siret), "13002526500013");
	assert_int_equal(api_record_token_owner(f->sec, SIRET, "217500016",
	                     &claims, NULL, FPR),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.owner"),
	    CHECK_FAIL);
	d = report_check_detail(f->sec, "api.token.owner");
	assert_non_null(strstr(d, "13002526500013"));
	assert_non_null(strstr(d, SIRET));
	assert_non_null(strstr(d, "another organisation"));
	/* The answer names another SIREN, the claims the right SIRET. */
	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	snprintf(claims.siret, sizeof(claims.siret), "%s", SIRET);
	snprintf(answer.siren, sizeof(answer.siren), "130025265");
	assert_int_equal(api_record_token_owner(f->sec, SIRET, "217500016",
	                     &claims, &answer, FPR),
	    RC_OK);
	assert_int_equal(report_check_status(f->sec, "api.token.owner"),
	    CHECK_FAIL);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.owner"),
	    "SIREN 130025265"));
}

/* The organisation a live answer names reaches the owner check. */
static void
test_proof_org(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	struct api_org org;
	long wait;

	res_init(&r, 200, "application/json",
	    "{\"_id\":\"x\",\"scopes\":[\"a\"],\"organisation\":"
	    "{\"siret\":\"13002526500013\"}}",
	    h, 1);
	memset(&org, 0x55, sizeof(org));
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, 0, NOW, 30, &wait, &org),
	    API_NEXT_DONE);
	assert_string_equal(org.siret, "13002526500013");
	assert_string_equal(org.siren, "");
	rc_buf_free(&r.body);
}

static void
test_proof_live(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	long wait;

	res_init(&r, 200, "application/json",
	    "{\"_id\":\"x\",\"name\":null,\"scopes\":[\"cnaf_enfants\"]}", h,
	    1);
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, 0, NOW, 30, &wait, NULL),
	    API_NEXT_DONE);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_PASS);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.live"),
	    "cnaf_enfants"));
	assert_int_equal(report_check_status(f->sec, "api.tls"), CHECK_PASS);
	rc_buf_free(&r.body);
}

static void
test_proof_denied_scrubs_secret(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	long wait;
	const char *d;

	/* A hostile answer that quotes the token back. */
	res_init(&r, 401, "application/json",
	    "{\"errors\":[{\"code\":\"00105\",\"title\":\"Jeton sur liste "
	    "noire\",\"detail\":\"token SECRET-TOKEN-1 leaked\"}]}",
	    h, 1);
	api_record_proof(f->sec, api_info_lookup("api_entreprise"), &r, 0,
	    "SECRET-TOKEN-1", FPR, 0, NOW, 30, &wait, NULL);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_FAIL);
	d = report_check_detail(f->sec, "api.token.live");
	assert_non_null(strstr(d, "00105"));
	assert_non_null(strstr(d, "blacklisted"));
	assert_null(strstr(d, "SECRET-TOKEN-1"));
	rc_buf_free(&r.body);
}

static void
test_proof_inconclusive(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	long wait;

	res_init(&r, 502, "application/json",
	    "{\"errors\":[{\"code\":\"04501\",\"title\":\"Erreur\"}]}", h, 1);
	api_record_proof(f->sec, api_info_lookup("api_particulier"), &r, 0,
	    "tok", FPR, 0, NOW, 30, &wait, NULL);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_ERROR);
	rc_buf_free(&r.body);

	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	res_init(&r, 0, NULL, NULL, h, 0);
	r.outcome = PROBE_TIMEOUT;
	snprintf(r.errmsg, sizeof(r.errmsg), "Operation timed out");
	api_record_proof(f->sec, api_info_lookup("api_particulier"), &r, 0,
	    "tok", FPR, 0, NOW, 30, &wait, NULL);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_ERROR);
	assert_non_null(strstr(report_check_detail(f->sec, "api.token.live"),
	    "inconclusive"));

	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	res_init(&r, 200, "text/html", "<html>", h, 1);
	api_record_proof(f->sec, api_info_lookup("api_particulier"), &r, 0,
	    "tok", FPR, 0, NOW, 30, &wait, NULL);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_ERROR);
	rc_buf_free(&r.body);
}

static void
test_proof_rate_limited(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	long wait = -5;

	res_init(&r, 429, "application/json", "{}", h, 2);
	h[1].name = (char *)(uintptr_t) "Retry-After";
	h[1].value = (char *)(uintptr_t) "3";
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, 0, NOW, 30, &wait, NULL),
	    API_NEXT_RETRY);
	assert_int_equal(wait, 3); /* never sooner than Retry-After */
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK__MAX); /* nothing recorded yet */
	/* Out of retries: inconclusive. */
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, API_RETRY_MAX, NOW, 30, &wait, NULL),
	    API_NEXT_DONE);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_ERROR);
	/* A wait beyond the cap is not waited for. */
	h[1].value = (char *)(uintptr_t) "3600";
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, 0, NOW, 30, &wait, NULL),
	    API_NEXT_DONE);
	/* No guidance at all: no retry. */
	r.nheaders = 1;
	assert_int_equal(api_record_proof(f->sec,
	                     api_info_lookup("api_particulier"), &r, 0, "tok",
	                     FPR, 0, NOW, 30, &wait, NULL),
	    API_NEXT_DONE);
	rc_buf_free(&r.body);
}

static void
test_proof_dgfip(void **state)
{
	struct fx *f = *state;
	struct probe_res r;
	struct probe_header h[4];
	long wait;

	res_init(&r, 200, "application/json",
	    "{\"access_token\":\"AT\",\"token_type\":\"Bearer\","
	    "\"expires_in\":3600}",
	    h, 1);
	api_record_proof(f->sec, api_info_lookup("api_r2p"), &r, 0, "sec", FPR,
	    0, NOW, 30, &wait, NULL);
	assert_int_equal(report_check_status(f->sec, "api.token.live"),
	    CHECK_PASS);
	assert_null(
	    strstr(report_check_detail(f->sec, "api.token.live"), "AT"));
	rc_buf_free(&r.body);
}

static struct api_habilitation
hab(long long id, const char *def, const char *st, int revoked,
    const char *siret)
{
	struct api_habilitation h;

	memset(&h, 0, sizeof(h));
	h.id = id;
	snprintf(h.definition, sizeof(h.definition), "%s", def);
	snprintf(h.state, sizeof(h.state), "%s", st);
	h.revoked = revoked;
	snprintf(h.siret, sizeof(h.siret), "%s", siret);
	h.created_at = 1622530800;
	return h;
}

static void
test_habilitations(void **state)
{
	struct fx *f = *state;
	struct api_habilitation h[3];
	int ex[2] = { 0, 1 };

	h[0] = hab(1, "api_entreprise", "active", 0, SIRET);
	h[1] = hab(2, "api_particulier", "active", 0, "13002526500013");
	h[2] = hab(3, "api_particulier", "active", 0, SIRET);
	api_record_habilitations(f->sec, "api.habilitation", "api_particulier",
	    SIRET, 1, 0, 0, h, 3, ex, 2);
	assert_int_equal(report_check_status(f->sec, "api.habilitation"),
	    CHECK_PASS);

	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	api_record_habilitations(f->sec, "api.habilitation", "api_particulier",
	    SIRET, 1, 0, 0, h, 2, ex, 2);
	assert_int_equal(report_check_status(f->sec, "api.habilitation"),
	    CHECK_FAIL);
	assert_non_null(strstr(report_check_detail(f->sec, "api.habilitation"),
	    "13002526500013"));

	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "franceconnect", "ut");
	api_record_habilitations(f->sec, "fc.habilitation", "france_connect",
	    SIRET, 0, 0, 0, h, 1, NULL, 0);
	assert_int_equal(report_check_status(f->sec, "fc.habilitation"),
	    CHECK_FAIL);
	assert_non_null(strstr(report_check_detail(f->sec, "fc.habilitation"),
	    "only: api_entreprise"));

	report_free(f->rep);
	f->rep = report_new("UT");
	f->sec = report_section_add(f->rep, "api", "ut");
	api_record_habilitations(f->sec, "api.habilitation", "api_particulier",
	    SIRET, 1, 0, 0, NULL, 0, NULL, 0);
	assert_int_equal(report_check_status(f->sec, "api.habilitation"),
	    CHECK_FAIL);
	assert_non_null(strstr(report_check_detail(f->sec, "api.habilitation"),
	    "no active api_particulier"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claims_production_token,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_claims_staging_expired_soon, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_claims_staging_in_integration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_not_jwt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proof_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_claims_legacy_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proof_org, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proof_denied_scrubs_secret,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proof_inconclusive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proof_rate_limited, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proof_dgfip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_habilitations, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
