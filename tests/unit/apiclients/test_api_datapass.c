/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for apiclients/api_datapass.c: URLs, requests, the
 * habilitation list parser and each predicate of the guichet's rules.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "apiclients/api_datapass.h"
#include "common/mem.h"

#define SIRET "21750001600019"

static void
test_url(void **state)
{
	struct rc_err err = { 0 };
	char *u;

	(void)state;
	assert_int_equal(
	    api_datapass_url("https://datapass.test", "/oauth/token", &u, &err),
	    RC_OK);
	assert_string_equal(u, "https://datapass.test/api/v1/oauth/token");
	rc_free(u);
	assert_int_equal(api_datapass_url("https://dp.test:8443/api/v1/",
	                     "/habilitations", &u, &err),
	    RC_OK);
	assert_string_equal(u, "https://dp.test:8443/api/v1/habilitations");
	rc_free(u);
	assert_int_equal(api_datapass_url(NULL, "/x", &u, &err), RC_EINVAL);
}

static void
test_token_request(void **state)
{
	struct api_request req;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(api_datapass_token_request("https://dp.test", "cid",
	                     "s e", 3, &req, &err),
	    RC_EINVAL);
	assert_int_equal(api_datapass_token_request("https://dp.test", "cid",
	                     "p+s/=", 5, &req, &err),
	    RC_OK);
	assert_string_equal(req.url, "https://dp.test/api/v1/oauth/token");
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.body,
	    "grant_type=client_credentials&client_id=cid&client_secret="
	    "p%2Bs%2F%3D&scope=read_authorizations");
	assert_int_equal(req.body_len, strlen(req.body));
	assert_string_equal(req.secret, "p+s/=");
	assert_null(strstr(req.url, "p+s"));
	api_request_cleanup(&req);
}

static void
test_list_request(void **state)
{
	struct api_request req;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(api_datapass_list_request("https://dp.test", "AT",
	                     SIRET, 100, 200, &req, &err),
	    RC_OK);
	assert_string_equal(req.url,
	    "https://dp.test/api/v1/habilitations?siret=" SIRET
	    "&state%5B%5D=active&limit=100&offset=200");
	assert_string_equal(req.headers[0], "Authorization: Bearer AT");
	assert_string_equal(req.secret, "AT");
	api_request_cleanup(&req);
	assert_int_equal(api_datapass_list_request("https://dp.test", "AT",
	                     "2175&x=1", 100, 0, &req, &err),
	    RC_EINVAL);
	assert_int_equal(api_datapass_list_request("https://dp.test", "AT",
	                     SIRET, 1001, 0, &req, &err),
	    RC_EINVAL);
	assert_int_equal(api_datapass_list_request("https://dp.test", "", SIRET,
	                     10, 0, &req, &err),
	    RC_EINVAL);
}

static void
test_parse_time(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(api_datapass_parse_time("2021-03-04T10:11:12Z", &t),
	    RC_OK);
	assert_int_equal(t, 1614852672);
	assert_int_equal(
	    api_datapass_parse_time("2021-03-04T11:11:12.345+01:00", &t),
	    RC_OK);
	assert_int_equal(t, 1614852672);
	assert_int_equal(
	    api_datapass_parse_time("2021-03-04T05:11:12-0500", &t), RC_OK);
	assert_int_equal(t, 1614852672);
	assert_int_equal(api_datapass_parse_time("2021-03-04", &t), RC_EINVAL);
	assert_int_equal(api_datapass_parse_time("2021-13-04T10:11:12Z", &t),
	    RC_EINVAL);
	assert_int_equal(api_datapass_parse_time("2021-03-04T10:11:12", &t),
	    RC_EINVAL);
	assert_int_equal(api_datapass_parse_time("2021-03-04T10:11:12Zx", &t),
	    RC_EINVAL);
	assert_int_equal(api_datapass_parse_time(NULL, &t), RC_EINVAL);
}

static const char page[] =
    "[{\"id\":12,\"slug\":\"h-12\",\"revoked\":false,\"state\":\"active\","
    "\"created_at\":\"2021-06-01T09:00:00.000+02:00\",\"data\":{},"
    "\"authorization_request_class\":\"AuthorizationRequest::APIParticulier"
    "\",\"definition_id\":\"api_particulier\",\"request_id\":7,"
    "\"organisation\":{\"id\":1,\"siret\":\"" SIRET "\"}},"
    "{\"id\":13,\"revoked\":true,\"state\":\"obsolete\",\"created_at\":"
    "\"2021-01-01T00:00:00Z\",\"definition_id\":\"api_impot_particulier_"
    "sandbox\",\"organization\":{\"siret\":\"13002526500013\"}}]";

static void
test_list_parse(void **state)
{
	struct api_habilitation *h;
	struct rc_err err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(
	    api_datapass_list_parse(page, strlen(page), &h, &n, &err), RC_OK);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].id, 12);
	assert_string_equal(h[0].definition, "api_particulier");
	assert_string_equal(h[0].siret, SIRET);
	assert_string_equal(h[0].slug, "h-12");
	assert_int_equal(h[0].created_at, 1622530800);
	assert_false(h[0].revoked);
	assert_true(h[1].revoked);
	assert_string_equal(h[1].siret, "13002526500013"); /* "organization" */
	rc_free(h);

	assert_int_equal(api_datapass_list_parse("[]", 2, &h, &n, &err), RC_OK);
	assert_int_equal(n, 0);
	assert_null(h);
	assert_int_equal(api_datapass_list_parse("{}", 2, &h, &n, &err),
	    RC_EPARSE);
	rc_err_clear(&err);
	assert_int_equal(api_datapass_list_parse("<html>", 6, &h, &n, &err),
	    RC_EPARSE);
	rc_err_clear(&err);
	assert_int_equal(
	    api_datapass_list_parse("[{\"id\":1}]", 10, &h, &n, &err),
	    RC_EPARSE);
	assert_non_null(strstr(err.msg, "habilitations[0]"));
	rc_err_clear(&err);
	assert_int_equal(api_datapass_list_parse("[1]", 3, &h, &n, &err),
	    RC_EPARSE);
}

static struct api_habilitation
hab(const char *def, const char *st, int revoked, const char *siret,
    time_t created)
{
	struct api_habilitation h;

	memset(&h, 0, sizeof(h));
	h.id = 42;
	strncpy(h.definition, def, sizeof(h.definition) - 1);
	strncpy(h.state, st, sizeof(h.state) - 1);
	h.revoked = revoked;
	strncpy(h.siret, siret, sizeof(h.siret) - 1);
	h.created_at = created;
	return h;
}

static void
test_predicates(void **state)
{
	struct api_habilitation h;

	(void)state;
	h = hab("api_particulier", "active", 0, SIRET, 1622530800);
	assert_true(api_hab_is_active(&h));
	assert_true(api_hab_siret_matches(&h, SIRET));
	assert_false(api_hab_siret_matches(&h, "21750001600027"));
	assert_false(api_hab_siret_matches(&h, NULL));
	assert_true(api_hab_is_production(&h));
	assert_true(api_hab_in_window(&h, 0, 0));
	assert_true(api_hab_in_window(&h, 1609459200, 1664582400));
	assert_false(api_hab_in_window(&h, 1640995200, 0));
	assert_false(api_hab_in_window(&h, 0, 1609459200));
	h.created_at = 0;
	assert_false(api_hab_in_window(&h, 1, 0));

	h = hab("api_particulier", "active", 1, SIRET, 1);
	assert_false(api_hab_is_active(&h)); /* revoked fait foi */
	h = hab("api_particulier", "obsolete", 0, SIRET, 1);
	assert_false(api_hab_is_active(&h));

	h = hab("api_impot_particulier_sandbox", "active", 0, SIRET, 1);
	assert_false(api_hab_is_production(&h));
	assert_true(api_hab_definition_matches(&h, "api_impot_particulier"));
	h = hab("api_impot_particulier_fc_production", "active", 0, SIRET, 1);
	assert_true(api_hab_is_production(&h));
	assert_true(api_hab_definition_matches(&h, "api_impot_particulier"));
	assert_false(api_hab_definition_matches(&h, "api_particulier"));
	h = hab("franceconnect", "active", 0, SIRET, 1);
	assert_true(api_hab_definition_matches(&h, "france_connect"));

	assert_true(api_definition_eligible("api_entreprise"));
	assert_true(api_definition_eligible("api_r2p_production"));
	assert_true(api_definition_eligible("api_ficoba_sandbox"));
	assert_true(api_definition_eligible("le_taxi_chauffeurs"));
	assert_false(api_definition_eligible("france_connect"));
	assert_false(api_definition_eligible("api_captchetat"));
}

static void
test_judge(void **state)
{
	struct api_habilitation h;
	char why[256];

	(void)state;
	h = hab("api_particulier", "active", 0, SIRET, 1622530800);
	assert_int_equal(api_habilitation_judge(&h, "api_particulier", SIRET, 1,
	                     0, 0, why, sizeof(why)),
	    API_HAB_OK);
	assert_non_null(strstr(why, "2021-06-01"));
	assert_int_equal(api_habilitation_judge(&h, "api_entreprise", SIRET, 1,
	                     0, 0, why, sizeof(why)),
	    API_HAB_OTHER_API);
	assert_int_equal(api_habilitation_judge(&h, "api_particulier",
	                     "21750001600027", 1, 0, 0, why, sizeof(why)),
	    API_HAB_OTHER_SIRET);
	assert_non_null(strstr(why, "21750001600027"));
	assert_non_null(strstr(why, SIRET));
	assert_int_equal(api_habilitation_judge(&h, "api_particulier", SIRET, 1,
	                     1640995200, 0, why, sizeof(why)),
	    API_HAB_OUT_OF_WINDOW);
	assert_non_null(strstr(why, "2022-01-01"));

	h = hab("api_particulier", "revoked", 1, SIRET, 1622530800);
	assert_int_equal(api_habilitation_judge(&h, "api_particulier", SIRET, 1,
	                     0, 0, why, sizeof(why)),
	    API_HAB_INACTIVE);
	assert_non_null(strstr(why, "revoked true"));

	h = hab("api_ficoba_sandbox", "active", 0, SIRET, 1622530800);
	assert_int_equal(api_habilitation_judge(&h, "api_ficoba", SIRET, 1, 0,
	                     0, why, sizeof(why)),
	    API_HAB_SANDBOX);
	assert_non_null(strstr(why, "sandbox"));

	h = hab("france_connect", "active", 0, SIRET, 1622530800);
	assert_int_equal(api_habilitation_judge(&h, "france_connect", SIRET, 1,
	                     0, 0, why, sizeof(why)),
	    API_HAB_NOT_ELIGIBLE);
	assert_int_equal(api_habilitation_judge(&h, "france_connect", SIRET, 0,
	                     0, 0, why, sizeof(why)),
	    API_HAB_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_token_request),
		cmocka_unit_test(test_list_request),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
