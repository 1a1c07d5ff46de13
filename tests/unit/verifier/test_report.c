/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/report: verdict rules, JSON shape, ENOMEM.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/mem.h"
#include "verifier/report.h"

static struct report_section *
section_with(struct report *rep, const enum check_status *st, const int *req,
    size_t n)
{
	struct report_section *sec =
	    report_section_add(rep, "franceconnect", "fc");
	size_t i;

	assert_non_null(sec);
	for (i = 0; i < n; i++)
		assert_int_equal(report_check(sec, "x.check", st[i], req[i],
		                     NULL, 0, "check %zu", i),
		    RC_OK);
	return sec;
}

static void
test_verdict_rules(void **state)
{
	static const struct {
		enum check_status st[3];
		int req[3];
		enum verdict want;
	} cases[] = {
		{ { CHECK_PASS, CHECK_PASS, CHECK_WARN }, { 1, 1, 0 },
		    VERDICT_VERIFIED },
		{ { CHECK_PASS, CHECK_FAIL, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_FAILED },
		{ { CHECK_PASS, CHECK_ERROR, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_INCONCLUSIVE },
		/* A definite failure outranks a network error. */
		{ { CHECK_FAIL, CHECK_ERROR, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_FAILED },
		/* A required check that could not run never verifies. */
		{ { CHECK_PASS, CHECK_SKIP, CHECK_PASS }, { 1, 1, 1 },
		    VERDICT_INCONCLUSIVE },
		/* Advisory failures and errors never block. */
		{ { CHECK_PASS, CHECK_FAIL, CHECK_ERROR }, { 1, 0, 0 },
		    VERDICT_VERIFIED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report *rep = report_new("D-1");
		struct report_section *sec;

		assert_non_null(rep);
		sec = section_with(rep, cases[i].st, cases[i].req, 3);
		assert_int_equal(report_section_verdict(sec), cases[i].want);
		assert_int_equal(report_verdict(rep), cases[i].want);
		report_free(rep);
	}
}

static void
test_empty_section_is_inconclusive(void **state)
{
	struct report *rep = report_new("D-2");

	(void)state;
	assert_non_null(report_section_add(rep, "api", "api"));
	assert_int_equal(report_verdict(rep), VERDICT_INCONCLUSIVE);
	report_free(rep);
}

static void
test_overall_worst_section(void **state)
{
	static const enum check_status pass[1] = { CHECK_PASS };
	static const enum check_status fail[1] = { CHECK_FAIL };
	static const enum check_status err[1] = { CHECK_ERROR };
	static const int req[1] = { 1 };
	struct report *rep = report_new("D-3");

	(void)state;
	section_with(rep, pass, req, 1);
	section_with(rep, err, req, 1);
	assert_int_equal(report_verdict(rep), VERDICT_INCONCLUSIVE);
	section_with(rep, fail, req, 1);
	assert_int_equal(report_verdict(rep), VERDICT_FAILED);
	report_free(rep);
}

static void
test_json_shape(void **state)
{
	struct report *rep = report_new("DP-42");
	struct report_section *sec;
	json_t *j, *c;
	int ex[1] = { 0 };

	(void)state;
	sec = report_section_add(rep, "franceconnect", "fc (production)");
	assert_int_equal(report_section_set(sec, "environment", "production"),
	    RC_OK);
	assert_int_equal(report_check(sec, "fc.authorize.nonce", CHECK_FAIL, 1,
	                     ex, 1, "nonce has %d characters", 16),
	    RC_OK);
	assert_int_equal(report_check_status(sec, "fc.authorize.nonce"),
	    CHECK_FAIL);
	assert_string_equal(report_check_detail(sec, "fc.authorize.nonce"),
	    "nonce has 16 characters");
	assert_int_equal(report_check_status(sec, "nope"), CHECK__MAX);
	j = report_to_json(rep);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "report_version")),
	    REPORT_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
	    "failed");
	c = json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "checks"),
	    0);
	assert_string_equal(json_string_value(json_object_get(c, "id")),
	    "fc.authorize.nonce");
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "fail");
	assert_true(json_is_true(json_object_get(c, "required")));
	assert_int_equal(json_integer_value(json_array_get(
	                     json_object_get(c, "exchanges"), 0)),
	    0);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "environment")),
	    "production");
	json_decref(j);
	report_free(rep);
}

/* Every allocation failure is reported cleanly (ASan checks for leaks). */
static void
test_enomem(void **state)
{
	unsigned long n;
	int completed = 0;

	(void)state;
	for (n = 1; n < 200 && !completed; n++) {
		struct report *rep;
		struct report_section *sec;
		enum rc_code rc = RC_ENOMEM;

		rc_mem_fail_after(n);
		rep = report_new("D");
		if (rep != NULL &&
		    (sec = report_section_add(rep, "api", "api")) != NULL)
			rc = report_check(sec, "a.b", CHECK_PASS, 1, NULL, 0,
			    "ok");
		if (!rc_mem_failed()) {
			assert_int_equal(rc, RC_OK);
			completed = 1;
		}
		rc_mem_fail_after(0);
		report_free(rep);
	}
	assert_true(completed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_rules),
		cmocka_unit_test(test_empty_section_is_inconclusive),
		cmocka_unit_test(test_overall_worst_section),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
