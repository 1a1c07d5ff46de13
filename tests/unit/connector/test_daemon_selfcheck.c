/* SPDX-License-Identifier: MIT */
/*
 * The self-check page's HTML escaping and CSRF tokens
 * (connector/daemon/selfcheck.h): every markup character becomes a
 * character reference, control characters and broken UTF-8 become
 * U+FFFD, valid UTF-8 passes; a token is accepted for its key, its
 * client and its time window only, and any changed byte refuses it.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "connector/daemon/selfcheck.h"

static char *
escaped(const char *s)
{
	static char out[1024];
	struct rc_buf b;

	rc_buf_init(&b, 4096);
	assert_int_equal(selfcheck_html_escape(&b, s), RC_OK);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.data ? b.data : "", b.len);
	out[b.len] = '\0';
	rc_buf_free(&b);
	return out;
}

static void
test_escape_markup(void **state)
{
	(void)state;
	assert_string_equal(escaped("<script>alert(1)</script>"),
	    "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_string_equal(escaped("a & b"), "a &amp; b");
	assert_string_equal(escaped("\" onmouseover='x'"),
	    "&quot; onmouseover=&#39;x&#39;");
	assert_string_equal(escaped("&amp;"), "&amp;amp;");
	assert_string_equal(escaped(""), "");
}

static void
test_escape_utf8(void **state)
{
	(void)state;
	/* French text passes as it is. */
	assert_string_equal(escaped("Préfecture d’essai — été"),
	    "Préfecture d’essai — été");
	/* Tab and newline pass; other controls and DEL become U+FFFD. */
	assert_string_equal(escaped("a\tb\nc"), "a\tb\nc");
	assert_string_equal(escaped("a\x01z"), "a\xef\xbf\xbdz");
	assert_string_equal(escaped("a\x7fz"), "a\xef\xbf\xbdz");
	/* Broken UTF-8: a lone continuation, a truncated sequence, an
	 * overlong '<', a surrogate. */
	assert_string_equal(escaped("a\x80z"), "a\xef\xbf\xbdz");
	assert_string_equal(escaped("a\xc3"), "a\xef\xbf\xbd");
	assert_string_equal(escaped("\xc0\xbc"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(escaped("\xed\xa0\x80"),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(escaped("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

static const unsigned char key[SELFCHECK_CSRF_KEY_LEN] = { 1, 2, 3, 4, 5 };
static const unsigned char key2[SELFCHECK_CSRF_KEY_LEN] = { 9, 9, 9 };

static void
test_csrf_roundtrip(void **state)
{
	char tok[SELFCHECK_CSRF_MAX];

	(void)state;
	assert_true(
	    selfcheck_csrf_make(key, "192.0.2.1", 1000000, tok, sizeof(tok)));
	assert_true(selfcheck_csrf_check(key, "192.0.2.1", tok, 1000000,
	    SELFCHECK_CSRF_TTL));
	assert_true(selfcheck_csrf_check(key, "192.0.2.1", tok,
	    1000000 + SELFCHECK_CSRF_TTL, SELFCHECK_CSRF_TTL));
	/* Too small a buffer. */
	assert_false(selfcheck_csrf_make(key, "192.0.2.1", 1000000, tok, 20));
}

static void
test_csrf_refused(void **state)
{
	char tok[SELFCHECK_CSRF_MAX], bad[SELFCHECK_CSRF_MAX];
	size_t i, n;

	(void)state;
	assert_true(
	    selfcheck_csrf_make(key, "192.0.2.1", 1000000, tok, sizeof(tok)));
	/* Another key, another client. */
	assert_false(selfcheck_csrf_check(key2, "192.0.2.1", tok, 1000000,
	    SELFCHECK_CSRF_TTL));
	assert_false(selfcheck_csrf_check(key, "192.0.2.2", tok, 1000000,
	    SELFCHECK_CSRF_TTL));
	/* Expired; from the future. */
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", tok,
	    1000000 + SELFCHECK_CSRF_TTL + 1, SELFCHECK_CSRF_TTL));
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", tok, 1000000 - 61,
	    SELFCHECK_CSRF_TTL));
	/* Any byte changed. */
	n = strlen(tok);
	for (i = 0; i < n; i++) {
		memcpy(bad, tok, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : (bad[i] == '1' ? '2' : 'A');
		assert_false(selfcheck_csrf_check(key, "192.0.2.1", bad,
		    1000000, SELFCHECK_CSRF_TTL));
	}
	/* Malformed. */
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", NULL, 1000000,
	    SELFCHECK_CSRF_TTL));
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", "", 1000000,
	    SELFCHECK_CSRF_TTL));
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", "1000000.", 1000000,
	    SELFCHECK_CSRF_TTL));
	/* A time of 19 digits: refused before it is read (it overflowed a
	 * long long, undefined behaviour caught by the UBSan build). */
	snprintf(bad, sizeof(bad), "9999999999999999999%s", strchr(tok, '.'));
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", bad, 1000000,
	    SELFCHECK_CSRF_TTL));
	memcpy(bad, tok, n + 1);
	bad[n - 1] = '\0'; /* a MAC one character short */
	assert_false(selfcheck_csrf_check(key, "192.0.2.1", bad, 1000000,
	    SELFCHECK_CSRF_TTL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_csrf_roundtrip),
		cmocka_unit_test(test_csrf_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
