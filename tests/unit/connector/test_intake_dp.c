/* SPDX-License-Identifier: MIT */
/*
 * DataPass webhooks (connector/intake/intake_dp.c): the HMAC-SHA256
 * signature (RFC 4231 vector; one flipped digit, a missing prefix, a
 * short or absent header refused), the event body and what it triggers,
 * the freshness window at its exact edges, the secret's file mode.
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
#include <sys/stat.h>
#include <unistd.h>

#include "connector/intake/intake.h"

/* RFC 4231, test case 2. */
#define JEFE_BODY "what do ya want for nothing?"
#define JEFE_MAC                                                               \
	"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

static void
test_signature(void **state)
{
	const char *b = JEFE_BODY;
	size_t n = strlen(b);
	char h[80];

	(void)state;
	assert_true(
	    intake_dp_signature_ok("Jefe", 4, b, n, "sha256=" JEFE_MAC));
	assert_true(intake_dp_signature_ok("Jefe", 4, b, n,
	    "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964"
	    "EC3843"));
	snprintf(h, sizeof(h), "sha256=%s", JEFE_MAC);
	h[strlen(h) - 1] = '2'; /* last digit */
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, h));
	h[7] = '4'; /* first digit */
	h[strlen(h) - 1] = '3';
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, h));
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, JEFE_MAC));
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, "sha1=" JEFE_MAC));
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, "sha256=5bdc"));
	assert_false(
	    intake_dp_signature_ok("Jefe", 4, b, n, "sha256=" JEFE_MAC "00"));
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, NULL));
	assert_false(intake_dp_signature_ok("Jefe", 4, b, n, ""));
	assert_false(
	    intake_dp_signature_ok("Jeff", 4, b, n, "sha256=" JEFE_MAC));
	assert_false(
	    intake_dp_signature_ok("Jefe", 4, b, n - 1, "sha256=" JEFE_MAC));
}

#define EV(event, model, siret)                                                \
	"{\"event\": \"" event "\", \"fired_at\": 1700000000, "                \
	"\"model_type\": \"" model "\", \"model_id\": 42, \"data\": {"         \
	"\"id\": 42, \"state\": \"validated\", \"organization\": {\"id\": 7, " \
	"\"name\": \"Commune\"" siret "}}}"
#define SIRET ", \"siret\": \"21750001600019\""

static void
parse_ok(const char *body, enum intake_dp_action want)
{
	struct intake_dp_event ev;
	struct rc_err err = { 0 };

	if (intake_dp_parse(body, strlen(body), &ev, &err) != RC_OK)
		fail_msg("%s: %s", body, err.msg);
	assert_int_equal(ev.action, want);
	assert_int_equal(ev.fired_at, 1700000000);
	if (want == INTAKE_DP_RECHECK)
		assert_string_equal(ev.siret, "21750001600019");
	else
		assert_true(ev.why[0] != '\0');
}

static void
parse_fails(const char *body, enum rc_code want, const char *msg)
{
	struct intake_dp_event ev;
	struct rc_err err = { 0 };

	assert_int_equal(intake_dp_parse(body, strlen(body), &ev, &err), want);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, msg);
}

static void
test_parse(void **state)
{
	(void)state;
	parse_ok(EV("approve", "authorization_request/france_connect", SIRET),
	    INTAKE_DP_RECHECK);
	parse_ok(EV("approve", "authorization_request/api_particulier", SIRET),
	    INTAKE_DP_RECHECK);
	parse_ok(EV("submit", "authorization_request/france_connect", SIRET),
	    INTAKE_DP_IGNORE);
	parse_ok(EV("approve", "authorization_request/hubee_cert_dc", SIRET),
	    INTAKE_DP_IGNORE);
	parse_ok(EV("approve", "authorization_request/api_", SIRET),
	    INTAKE_DP_IGNORE);
	parse_ok(EV("refuse", "authorization_request/api_entreprise", ""),
	    INTAKE_DP_IGNORE);
	parse_fails(EV("approve", "authorization_request/france_connect", ""),
	    RC_EINVAL, "data.organization.siret: required");
	parse_fails(EV("approve", "authorization_request/france_connect",
	                ", \"siret\": \"21750001600018\""),
	    RC_EINVAL, "data.organization.siret: ");
	parse_fails("{\"event\": \"approve\", \"event\": \"refuse\"}",
	    RC_EPARSE, "duplicate");
	parse_fails("[1]", RC_EINVAL, "a JSON object");
	parse_fails("{\"event\": \"approve\", \"model_type\": \"x\", "
	            "\"fired_at\": \"1700000000\"}",
	    RC_EINVAL, "fired_at: an integer");
	parse_fails("{\"model_type\": \"x\", \"fired_at\": 1}", RC_EINVAL,
	    "event");
}

static void
test_fresh(void **state)
{
	struct rc_err err = { 0 };
	const long long now = 1700000000;

	(void)state;
	assert_int_equal(intake_dp_fresh(now - 300, now, 300, &err), RC_OK);
	assert_int_equal(intake_dp_fresh(now - 301, now, 300, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "301 s old"));
	rc_err_clear(&err);
	assert_int_equal(
	    intake_dp_fresh(now + INTAKE_DP_FUTURE_SKEW, now, 300, &err),
	    RC_OK);
	assert_int_equal(
	    intake_dp_fresh(now + INTAKE_DP_FUTURE_SKEW + 1, now, 300, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "in the future"));
}

static void
test_secret(void **state)
{
	char dir[] = "/tmp/raccord-dpsecret.XXXXXX", file[64], *s = NULL;
	struct rc_err err = { 0 };
	size_t n = 0;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/secret", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cr3t\n", 7), 7);
	close(fd);
	chmod(file, 0644);
	assert_int_equal(
	    intake_secret_read(NULL, file, "intake.datapass", &s, &n, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "readable by group or others"));
	assert_null(strstr(err.msg, "s3cr3t"));
	rc_err_clear(&err);
	chmod(file, 0600);
	assert_int_equal(
	    intake_secret_read(NULL, file, "intake.datapass", &s, &n, &err),
	    RC_OK);
	assert_int_equal(n, 6); /* the newline dropped */
	assert_memory_equal(s, "s3cr3t", 6);
	intake_secret_free(s, n);
	setenv("RACCORD_TEST_DP_SECRET", "env-secret", 1);
	assert_int_equal(intake_secret_read("RACCORD_TEST_DP_SECRET", NULL,
	                     "intake.datapass", &s, &n, &err),
	    RC_OK);
	assert_string_equal(s, "env-secret");
	intake_secret_free(s, n);
	unsetenv("RACCORD_TEST_DP_SECRET");
	rc_err_clear(&err);
	assert_int_equal(intake_secret_read("RACCORD_TEST_DP_SECRET", NULL,
	                     "intake.datapass", &s, &n, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "RACCORD_TEST_DP_SECRET is not set"));
	assert_int_equal(
	    intake_secret_read(NULL, NULL, "intake.datapass", &s, &n, &err),
	    RC_ECONFIG);
	assert_null(s);
	unlink(file);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
