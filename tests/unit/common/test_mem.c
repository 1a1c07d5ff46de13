/* SPDX-License-Identifier: MIT */
/*
 * The wiping allocator given to jansson and libcurl (common/mem.h):
 * rc_realloc_wiped keeps the data when it grows or shrinks a block and
 * behaves as realloc at NULL; rc_free_wiped accepts NULL.  (That the
 * released block is wiped is seen from outside: t_daemon_api.sh counts
 * the token's copies in the daemon's memory.)
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/mem.h"

static void
test_realloc_wiped(void **state)
{
	char *p, *q;
	size_t i;

	(void)state;
	p = rc_realloc_wiped(NULL, 16);
	assert_non_null(p);
	memcpy(p, "0123456789abcdef", 16);
	q = rc_realloc_wiped(p, 4096); /* grows: the 16 bytes kept */
	assert_non_null(q);
	assert_memory_equal(q, "0123456789abcdef", 16);
	for (i = 16; i < 4096; i++)
		q[i] = 'x';
	p = rc_realloc_wiped(q, 8); /* shrinks: the first 8 kept */
	assert_non_null(p);
	assert_memory_equal(p, "01234567", 8);
	rc_free_wiped(p);
	rc_free_wiped(NULL);
	assert_null(rc_realloc_wiped(rc_malloc(4), 0));
}

static void
test_realloc_wiped_refused(void **state)
{
	char *p = rc_malloc(8), *q;

	(void)state;
	assert_non_null(p);
	memcpy(p, "kept!!!", 8);
	rc_mem_fail_after(1); /* the next allocation is refused */
	q = rc_realloc_wiped(p, 64);
	assert_null(q);
	assert_string_equal(p, "kept!!!"); /* as realloc: p untouched */
	rc_mem_fail_after(0);
	rc_free_wiped(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realloc_wiped),
		cmocka_unit_test(test_realloc_wiped_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
