/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/redact: secrets (given, secret-named parameters,
 * HTTP credentials) become REDACTED; control bytes and invalid UTF-8
 * become \xNN; the result is always valid UTF-8 that jansson accepts.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/mem.h"
#include "common/redact.h"

/* rc_redact of n bytes with one secret; fails the test on ENOMEM. */
static char *
red(const char *s, size_t n, const char *secret)
{
	const char *const list[] = { secret, NULL };
	char *out = NULL;

	assert_int_equal(rc_redact(s, n, list, &out), RC_OK);
	assert_non_null(out);
	return out;
}

static void
expect(const char *in, const char *secret, const char *want)
{
	char *got = red(in, strlen(in), secret);

	if (strcmp(got, want) != 0)
		fail_msg("rc_redact(\"%s\"): got \"%s\", want \"%s\"", in, got,
		    want);
	rc_free(got);
}

static void
test_given_secret_raw_and_encoded(void **state)
{
	(void)state;
	expect("Retry-After: tok/en+1", "tok/en+1", "Retry-After: REDACTED");
	expect("https://h/cb?x=tok%2Fen%2B1", "tok/en+1",
	    "https://h/cb?x=REDACTED");
	expect("https://h/cb?x=tok%2fen%2b1", "tok/en+1",
	    "https://h/cb?x=REDACTED");
	expect("text/html; charset=S3CR3T-S3CR3T", "S3CR3T",
	    "text/html; charset=REDACTED-REDACTED");
	/* No secret, or an empty one: nothing hidden. */
	expect("plain text", NULL, "plain text");
	expect("plain text", "", "plain text");
}

static void
test_secret_named_parameters(void **state)
{
	(void)state;
	expect("https://rp/cb?code=abc123&state=xyz", NULL,
	    "https://rp/cb?code=REDACTED&state=xyz");
	expect("https://rp/cb#access_token=abc&token_type=Bearer", NULL,
	    "https://rp/cb#access_token=REDACTED&token_type=REDACTED");
	expect("/logout?id_token_hint=eyJ.x.y", NULL,
	    "/logout?id_token_hint=REDACTED");
	expect("client_secret=s3 next", NULL, "client_secret=REDACTED next");
	/* JSON members echoed in a body. */
	expect("{\"access_token\": \"a\\\"b\", \"n\": 1}", NULL,
	    "{\"access_token\": \"REDACTED\", \"n\": 1}");
	/* Names that merely contain the letters are left alone. */
	expect("https://rp/cb?zipcode=75001&state=xyz", NULL,
	    "https://rp/cb?zipcode=75001&state=xyz");
	expect("error=invalid_request", NULL, "error=invalid_request");
}

static void
test_http_credentials(void **state)
{
	(void)state;
	expect("Authorization: Bearer abc.def-ghi", NULL,
	    "Authorization: Bearer REDACTED");
	expect("realm=x, basic dXNlcjpwYXNz", NULL, "realm=x, basic REDACTED");
}

static void
test_control_bytes_escaped(void **state)
{
	char *got;

	(void)state;
	expect("a\x1b]0;pwned\x07z", NULL, "a\\x1B]0;pwned\\x07z");
	expect("line\r\nInjected: 1", NULL, "line\\x0D\\x0AInjected: 1");
	expect("del\x7f", NULL, "del\\x7F");
	expect("back\\slash", NULL, "back\\slash");
	/* C1 CSI (U+009B) and a bidi override (U+202E), even well-formed. */
	expect("c1 \xc2\x9b"
	       "31m",
	    NULL, "c1 \\xC2\\x9B31m");
	expect("bidi \xe2\x80\xae"
	       "txt",
	    NULL, "bidi \\xE2\\x80\\xAEtxt");
	/* A NUL byte in the middle is kept, escaped. */
	got = red("a\0b", 3, NULL);
	assert_string_equal(got, "a\\x00b");
	rc_free(got);
}

static void
test_utf8(void **state)
{
	(void)state;
	/* Valid UTF-8 is kept as is. */
	expect("Mairie de Saint-\xc3\x89tienne \xe2\x82\xac \xf0\x9f\x98\x80",
	    NULL,
	    "Mairie de Saint-\xc3\x89tienne \xe2\x82\xac \xf0\x9f\x98\x80");
	/* Invalid: a lone continuation, a truncated sequence, an overlong
	 * slash, a surrogate, a code point past U+10FFFF, 0xFF. */
	expect("a\x80z", NULL, "a\\x80z");
	expect("a\xc3", NULL, "a\\xC3");
	expect("\xc0\xaf", NULL, "\\xC0\\xAF");
	expect("\xed\xa0\x80", NULL, "\\xED\\xA0\\x80");
	expect("\xf4\x90\x80\x80", NULL, "\\xF4\\x90\\x80\\x80");
	expect("\xff", NULL, "\\xFF");
}

/* The output of any input is accepted by json_string and has no control. */
static void
assert_safe(const char *out)
{
	json_t *j = json_string(out);
	size_t i;

	assert_non_null(j);
	json_decref(j);
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		assert_true(c >= 0x20 && c != 0x7F);
		if (c == 0xC2)
			assert_false((unsigned char)out[i + 1] >= 0x80 &&
			    (unsigned char)out[i + 1] <= 0x9F);
	}
}

static void
test_random_inputs_are_safe(void **state)
{
	const char *secret = "TOPSECRET";
	unsigned int seed = (unsigned int)time(NULL);
	char in[256], *out, *again;
	size_t n, i;
	int round;

	(void)state;
	printf("test_random_inputs_are_safe: seed %u\n", seed);
	srand(seed);
	for (round = 0; round < 2000; round++) {
		n = (size_t)(rand() % (int)sizeof(in));
		for (i = 0; i < n; i++)
			in[i] = (char)(rand() % 256);
		/* Plant the secret somewhere, half of the time. */
		if (n > 20 && rand() % 2)
			memcpy(in + (size_t)rand() % (n - 9), secret, 9);
		out = red(in, n, secret);
		assert_safe(out);
		assert_null(strstr(out, secret));
		/* Idempotent: layers may each apply it. */
		again = red(out, strlen(out), secret);
		assert_string_equal(again, out);
		rc_free(again);
		rc_free(out);
	}
}

static void
test_enomem_clean(void **state)
{
	const char *const list[] = { "s e", NULL };
	char *out;
	unsigned long n;
	enum rc_code rc;

	(void)state;
	for (n = 1;; n++) {
		rc_mem_fail_after(n);
		out = (char *)1;
		rc = rc_redact("x=1&code=2 s e \x1b", 16, list, &out);
		rc_mem_fail_after(0);
		if (rc == RC_OK) {
			assert_string_equal(out,
			    "x=1&code=REDACTED REDACTED \\x1B");
			rc_free(out);
			break;
		}
		assert_int_equal(rc, RC_ENOMEM);
		assert_null(out);
	}
	assert_true(n > 1);
}

static void
test_param_names(void **state)
{
	(void)state;
	assert_true(rc_redact_param_name("CODE", 4));
	assert_true(rc_redact_param_name("refresh_token", 13));
	assert_true(rc_redact_param_name("X-Api-Secret", 12));
	assert_false(rc_redact_param_name("state", 5));
	assert_false(rc_redact_param_name("codec", 5));
	assert_false(rc_redact_param_name("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_given_secret_raw_and_encoded),
		cmocka_unit_test(test_secret_named_parameters),
		cmocka_unit_test(test_http_credentials),
		cmocka_unit_test(test_control_bytes_escaped),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_random_inputs_are_safe),
		cmocka_unit_test(test_enomem_clean),
		cmocka_unit_test(test_param_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
