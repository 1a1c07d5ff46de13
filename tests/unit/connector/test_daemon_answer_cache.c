/* SPDX-License-Identifier: MIT */
/*
 * The answer cache of GET /v1/dossiers/{id} (connector/daemon/
 * answer_cache.h): an answer is served only at the store generation it
 * was read at, an entry of the same job is replaced, the least recently
 * used goes first when the slots or the byte budget are full, and a
 * response still held by a caller survives its eviction.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "connector/daemon/answer_cache.h"

static struct MHD_Response *
resp(const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);

	assert_non_null(r);
	return r;
}

static void
job_id(char id[STORE_ID_LEN + 1], unsigned n)
{
	snprintf(id, STORE_ID_LEN + 1, "%032x", n);
}

static void
test_generation_and_replace(void **state)
{
	struct answer_cache c;
	struct answer *a;
	char id[STORE_ID_LEN + 1];

	(void)state;
	answer_cache_init(&c);
	job_id(id, 1);
	assert_null(answer_cache_get(&c, id, 5));
	a = answer_cache_put(&c, id, "dinum-1", 5, resp("{\"v\":1}"), 7);
	assert_non_null(a);
	answer_release(&c, a);
	a = answer_cache_get(&c, id, 5);
	assert_non_null(a);
	assert_string_equal(a->by, "dinum-1");
	assert_int_equal(a->len, 7);
	answer_release(&c, a);
	/* The store changed: a miss, and the stale entry is gone. */
	assert_null(answer_cache_get(&c, id, 6));
	assert_null(answer_cache_get(&c, id, 5));
	assert_int_equal(c.bytes, 0);
	/* The same job again replaces, never duplicates. */
	answer_release(&c, answer_cache_put(&c, id, "a", 7, resp("x"), 1));
	answer_release(&c, answer_cache_put(&c, id, "b", 8, resp("yy"), 2));
	assert_int_equal(c.bytes, 2);
	assert_null(answer_cache_get(&c, id, 7));
	answer_release(&c, answer_cache_put(&c, id, "b", 8, resp("yy"), 2));
	a = answer_cache_get(&c, id, 8);
	assert_non_null(a);
	assert_string_equal(a->by, "b");
	answer_release(&c, a);
	/* Too large: not kept, the response stays the caller's. */
	{
		struct MHD_Response *r = resp("z");

		assert_null(
		    answer_cache_put(&c, id, "b", 9, r, ANSWER_CACHE_ONE + 1));
		MHD_destroy_response(r);
	}
	answer_cache_cleanup(&c);
}

static void
test_lru_and_held(void **state)
{
	struct answer_cache c;
	struct answer *held, *a;
	char id[STORE_ID_LEN + 1];
	unsigned i;

	(void)state;
	answer_cache_init(&c);
	job_id(id, 0);
	held = answer_cache_put(&c, id, "x", 1, resp("held"), 4);
	assert_non_null(held); /* kept by the caller throughout */
	for (i = 1; i <= ANSWER_CACHE_SLOTS; i++) {
		job_id(id, i);
		if (i == 2) { /* job 1 used recently: it stays */
			char one[STORE_ID_LEN + 1];

			job_id(one, 1);
			answer_release(&c, answer_cache_get(&c, one, 1));
		}
		answer_release(&c,
		    answer_cache_put(&c, id, "x", 1, resp("abcd"), 4));
	}
	/* Job 0 (least recently used) went; the caller's copy lives. */
	job_id(id, 0);
	assert_null(answer_cache_get(&c, id, 1));
	assert_int_equal(held->len, 4);
	assert_non_null(held->r);
	answer_release(&c, held);
	job_id(id, 1);
	a = answer_cache_get(&c, id, 1);
	assert_non_null(a);
	answer_release(&c, a);
	/* The byte budget: a large answer evicts the oldest ones. */
	job_id(id, 9999);
	answer_release(&c,
	    answer_cache_put(&c, id, "x", 1, resp("big"), ANSWER_CACHE_ONE));
	for (i = 0; i < ANSWER_CACHE_BYTES / ANSWER_CACHE_ONE + 1; i++) {
		job_id(id, 10000 + i);
		answer_release(&c,
		    answer_cache_put(&c, id, "x", 1, resp("big"),
		        ANSWER_CACHE_ONE));
	}
	assert_true(c.bytes <= ANSWER_CACHE_BYTES);
	job_id(id, 9999);
	assert_null(answer_cache_get(&c, id, 1));
	answer_cache_cleanup(&c);
}

/*
 * Out of memory while keeping an answer: nothing is kept, the response
 * stays the caller's (who sends it and destroys it), nothing leaks
 * (ASan), and the cache is as it was.
 */
static void
test_enomem(void **state)
{
	struct answer_cache c;
	struct MHD_Response *r;
	struct answer *a;
	char id[STORE_ID_LEN + 1];
	unsigned long n;

	(void)state;
	answer_cache_init(&c);
	job_id(id, 1);
	for (n = 1; n < 10; n++) {
		r = resp("{}");
		rc_mem_fail_after(n);
		a = answer_cache_put(&c, id, "dinum-1", 3, r, 2);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_non_null(a);
			answer_release(&c, a);
			assert_int_equal(c.bytes, 2);
			answer_cache_cleanup(&c);
			return;
		}
		rc_mem_fail_after(0);
		assert_null(a);
		assert_int_equal(c.bytes, 0);
		assert_null(answer_cache_get(&c, id, 3));
		MHD_destroy_response(r);
	}
	fail_msg("more than 10 allocations?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generation_and_replace),
		cmocka_unit_test(test_lru_and_held),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
