/* SPDX-License-Identifier: MIT */
/*
 * The daemon's fixed-window rate limits (connector/daemon/ratelimit.h):
 * a key gets `limit` events per window and then a Retry-After until the
 * window ends; a full table forgets its oldest window (keep_open 0, the
 * API's table) or, keep_open 1 (the public pages' tables, whose keys are
 * strangers' addresses), only a key still under its limit, and refuses
 * new keys when every key is at its limit.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "connector/daemon/ratelimit.h"

static struct ratelimit *
table(int keep_open)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	assert_non_null(rl);
	ratelimit_init(rl, keep_open);
	return rl;
}

static void
done(struct ratelimit *rl)
{
	ratelimit_cleanup(rl);
	free(rl);
}

/* Fill every slot with one open window, started at times 100, 101, ... */
static void
fill(struct ratelimit *rl)
{
	char key[32];
	long long retry;
	size_t i;

	for (i = 0; i < RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "addr:%zu", i);
		assert_true(ratelimit_take(rl, key, 2, 3600, 100 + (long long)i,
		    &retry));
	}
}

static void
test_window(void **state)
{
	struct ratelimit *rl = table(0);
	long long retry = -1;

	(void)state;
	assert_true(ratelimit_take(rl, "tok:a", 2, 60, 1000, &retry));
	assert_int_equal(retry, 0);
	assert_true(ratelimit_take(rl, "tok:a", 2, 60, 1010, &retry));
	assert_false(ratelimit_take(rl, "tok:a", 2, 60, 1020, &retry));
	assert_int_equal(retry, 40);
	/* Another key has its own count. */
	assert_true(ratelimit_take(rl, "tok:b", 2, 60, 1020, &retry));
	/* The window ends: a new one. */
	assert_true(ratelimit_take(rl, "tok:a", 2, 60, 1060, &retry));
	/* No limit. */
	assert_true(ratelimit_take(rl, "tok:c", 0, 60, 1060, &retry));
	done(rl);
}

static void
test_evicts_oldest(void **state)
{
	struct ratelimit *rl = table(0);
	long long retry;

	(void)state;
	fill(rl);
	assert_true(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	assert_false(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	/* A new key takes the oldest window's slot (addr:0's, started at
	 * 100), whose count is then forgotten. */
	assert_true(ratelimit_take(rl, "new", 2, 3600, 2000, &retry));
	assert_true(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	done(rl);
}

static void
test_keep_open(void **state)
{
	struct ratelimit *rl = table(1);
	long long retry = 0;
	char key[32];
	size_t i;

	(void)state;
	fill(rl); /* every key once, under its limit of 2 */
	assert_true(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	assert_false(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	/* A new key takes the place of the oldest key still under its
	 * limit (addr:1), never of addr:0, which is held back. */
	assert_true(ratelimit_take(rl, "new", 2, 3600, 2000, &retry));
	assert_false(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	done(rl);

	/* Every key at its limit: a new key waits for the first window to
	 * end (addr:0's, from 100), and no held key is forgotten. */
	rl = table(1);
	fill(rl);
	for (i = 0; i < RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "addr:%zu", i);
		assert_true(ratelimit_take(rl, key, 2, 3600, 2000, &retry));
	}
	assert_false(ratelimit_take(rl, "new", 2, 3600, 2000, &retry));
	assert_int_equal(retry, 100 + 3600 - 2000);
	assert_false(ratelimit_take(rl, "new2", 2, 3600, 2000, &retry));
	assert_false(ratelimit_take(rl, "addr:0", 2, 3600, 2000, &retry));
	assert_false(ratelimit_take(rl, "addr:5", 2, 3600, 2000, &retry));
	/* addr:0's window ends: its slot is free again. */
	assert_true(ratelimit_take(rl, "new", 2, 3600, 3700, &retry));
	assert_true(ratelimit_take(rl, "new", 2, 3600, 3700, &retry));
	assert_false(ratelimit_take(rl, "new2", 2, 3600, 3700, &retry));
	done(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_evicts_oldest),
		cmocka_unit_test(test_keep_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
