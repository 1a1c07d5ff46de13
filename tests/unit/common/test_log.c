/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/log: levels, and every line passing through
 * rc_redact (a value chosen by a site cannot add a line, send terminal
 * controls, or show a secret-named parameter's value).
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Run one log call with stderr sent to a temporary file; its text. */
static char *
capture(enum rc_log_level lvl, const char *value)
{
	char path[] = "/tmp/rc-test-log-XXXXXX";
	static char buf[4096];
	int fd, saved;
	ssize_t n;

	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	rc_log(lvl, "test", "event=probe value=\"%s\"", value);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static void
test_levels(void **state)
{
	(void)state;
	rc_log_set_level(RC_LOG_WARN);
	assert_string_equal(capture(RC_LOG_INFO, "x"), "");
	assert_non_null(strstr(capture(RC_LOG_WARN, "x"), "level=warn"));
	rc_log_set_level(RC_LOG_DEBUG);
	assert_non_null(strstr(capture(RC_LOG_DEBUG, "x"), "level=debug"));
	rc_log_set_level(RC_LOG__MAX); /* ignored */
	assert_int_equal(rc_log_get_level(), RC_LOG_DEBUG);
}

static void *
info_elsewhere(void *arg)
{
	*(int *)arg = strstr(capture(RC_LOG_INFO, "x"), "level=info") != NULL;
	return NULL;
}

/* A thread's cap drops its own lines above it, not the other threads'. */
static void
test_thread_cap(void **state)
{
	pthread_t t;
	int other = 0;

	(void)state;
	rc_log_set_level(RC_LOG_INFO);
	rc_log_cap_thread(RC_LOG_WARN);
	assert_int_equal(rc_log_get_level(), RC_LOG_WARN);
	assert_string_equal(capture(RC_LOG_INFO, "x"), "");
	assert_non_null(strstr(capture(RC_LOG_WARN, "x"), "level=warn"));
	assert_int_equal(pthread_create(&t, NULL, info_elsewhere, &other), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(other, 1);
	rc_log_cap_thread(RC_LOG__MAX);
	assert_int_equal(rc_log_get_level(), RC_LOG_INFO);
	assert_non_null(strstr(capture(RC_LOG_INFO, "x"), "level=info"));
	/* A cap above the global level changes nothing. */
	rc_log_cap_thread(RC_LOG_DEBUG);
	assert_string_equal(capture(RC_LOG_DEBUG, "x"), "");
	rc_log_cap_thread(RC_LOG__MAX);
}

static void
test_line_is_redacted(void **state)
{
	const char *out, *p;
	int lines = 0;

	(void)state;
	rc_log_set_level(RC_LOG_INFO);
	out = capture(RC_LOG_INFO,
	    "https://rp/cb?code=S3cr3tC0de&state=1\x1b]0;pwned\x07\n"
	    "time=forged level=error \xff");
	/* One line, no control byte, no code. */
	for (p = out; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	assert_null(strstr(out, "S3cr3tC0de"));
	assert_non_null(strstr(out,
	    "code=REDACTED&state=1\\x1B]0;pwned\\x07"
	    "\\x0Atime=forged level=error \\xFF"));
	rc_log_set_level(RC_LOG_WARN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_thread_cap),
		cmocka_unit_test(test_line_is_redacted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
