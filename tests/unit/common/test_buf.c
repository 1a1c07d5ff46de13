/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/buf, common/digest and common/err.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/mem.h"

static void
test_buf_refuses_past_max(void **state)
{
	struct rc_buf b;

	(void)state;
	rc_buf_init(&b, 8);
	assert_int_equal(rc_buf_add(&b, "abcd", 4), RC_OK);
	assert_int_equal(rc_buf_add(&b, "efgh", 4), RC_OK);
	assert_int_equal(b.len, 8);
	assert_int_equal(rc_buf_add(&b, "i", 1), RC_EINVAL);
	assert_true(b.overflow);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdefgh", 9);
	rc_buf_free(&b);
}

static void
test_buf_addf_long(void **state)
{
	struct rc_buf b;
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rc_buf_init(&b, 4096);
	assert_int_equal(rc_buf_addf(&b, "%s-%d", big, 7), RC_OK);
	assert_int_equal(b.len, 1001);
	assert_string_equal(b.data + 999, "-7");
	rc_buf_free(&b);
}

static void
test_buf_enomem_is_clean(void **state)
{
	struct rc_buf b;

	(void)state;
	rc_buf_init(&b, 64);
	rc_mem_fail_after(1);
	assert_int_equal(rc_buf_add(&b, "abc", 3), RC_ENOMEM);
	assert_true(rc_mem_failed());
	rc_mem_fail_after(0);
	assert_int_equal(b.len, 0);
	assert_int_equal(rc_buf_add(&b, "abc", 3), RC_OK);
	rc_buf_free(&b);
}

static void
test_sha256_and_base64(void **state)
{
	char hex[RC_SHA256_HEX_LEN], fpr[RC_FPR_LEN];
	unsigned char *dec = NULL;
	size_t declen;
	char *enc = NULL;

	(void)state;
	assert_int_equal(rc_sha256_hex("", 0, hex), RC_OK);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(rc_fingerprint("", 0, fpr), RC_OK);
	assert_string_equal(fpr, "sha256:e3b0c44298fc1c14");
	assert_int_equal(rc_base64_encode("ab", 2, &enc), RC_OK);
	assert_string_equal(enc, "YWI=");
	assert_int_equal(rc_base64_decode(enc, &dec, &declen), RC_OK);
	assert_int_equal(declen, 2);
	assert_memory_equal(dec, "ab", 2);
	rc_free(dec);
	rc_free(enc);
	assert_int_equal(rc_base64_decode("YW=", &dec, &declen), RC_EINVAL);
	assert_int_equal(rc_base64_decode("Y!!=", &dec, &declen), RC_EINVAL);
}

static void
test_err_keeps_first(void **state)
{
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(RC_ERR(&err, RC_EPARSE, "first %d", 1), RC_EPARSE);
	assert_int_equal(RC_ERR(&err, RC_ENOMEM, "second"), RC_ENOMEM);
	assert_int_equal(err.code, RC_EPARSE);
	assert_string_equal(err.msg, "first 1");
	assert_string_equal(err.func, "test_err_keeps_first");
	assert_string_equal(rc_strerror(RC_ENOMEM), "out of memory");
	assert_string_equal(rc_strerror(RC__MAX), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_refuses_past_max),
		cmocka_unit_test(test_buf_addf_long),
		cmocka_unit_test(test_buf_enomem_is_clean),
		cmocka_unit_test(test_sha256_and_base64),
		cmocka_unit_test(test_err_keeps_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
