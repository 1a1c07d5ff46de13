/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/utf8 and the UTF-8 repair of error messages: a
 * "%.Ns" cut inside a character used to leave a message jansson refuses,
 * and the daemon answered 500 where a 400 was due.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/utf8.h"

static void
test_seq_forms(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(rc_utf8_seq((const unsigned char *)"a", 1, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(rc_utf8_seq((const unsigned char *)"\xC3\xA9", 2, &cp),
	    2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(
	    rc_utf8_seq((const unsigned char *)"\xE2\x82\xAC", 3, &cp), 3);
	assert_int_equal(cp, 0x20AC);
	assert_int_equal(
	    rc_utf8_seq((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	/* Cut by n, stray continuation, overlong, surrogate, past U+10FFFF. */
	assert_int_equal(rc_utf8_seq((const unsigned char *)"\xC3\xA9", 1, &cp),
	    0);
	assert_int_equal(rc_utf8_seq((const unsigned char *)"\xA9", 1, &cp), 0);
	assert_int_equal(rc_utf8_seq((const unsigned char *)"\xC0\xAF", 2, &cp),
	    0);
	assert_int_equal(
	    rc_utf8_seq((const unsigned char *)"\xE0\x80\xAF", 3, &cp), 0);
	assert_int_equal(
	    rc_utf8_seq((const unsigned char *)"\xED\xA0\x80", 3, &cp), 0);
	assert_int_equal(
	    rc_utf8_seq((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(rc_utf8_seq((const unsigned char *)"", 0, &cp), 0);
}

static void
test_repair(void **state)
{
	char s[] = "ok \xC3\xA9 cut \xC3 stray \xA9 end \xE2\x82";

	(void)state;
	assert_int_equal(rc_utf8_repair(s), 4);
	assert_string_equal(s, "ok \xC3\xA9 cut ? stray ? end ??");
}

/* The message a "%.2s" cut leaves is still JSON-able. */
static void
test_err_message_is_utf8(void **state)
{
	struct rc_err err = { 0 };
	struct rc_errs l;
	json_t *j;

	(void)state;
	RC_ERR(&err, RC_EINVAL, "siret: %.2s is not a SIRET", "a\xC3\xA9");
	assert_string_equal(err.msg, "siret: a? is not a SIRET");
	j = json_string(err.msg);
	assert_non_null(j);
	json_decref(j);
	rc_errs_init(&l);
	RC_ERRS(&l, RC_EINVAL, "%.4s", "\xE2\x82\xAC\xE2\x82\xAC");
	assert_string_equal(l.e[0].msg, "\xE2\x82\xAC?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_forms),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_err_message_is_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
