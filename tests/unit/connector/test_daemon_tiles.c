/* SPDX-License-Identifier: MIT */
/*
 * The tlog-tiles path rules and tile arithmetic (connector/daemon/tiles.h)
 * against the examples of c2sp.org/tlog-tiles: index 1234067 is
 * "x001/x234/067"; a tree of 70,000 leaves has 273 full level-0 tiles, a
 * partial one of width 112, one full level-1 tile, a partial one of width
 * 17 and a partial level-2 tile of width 1; a tree of 256 a full level-0
 * tile and a partial level-1 tile of width 1.  Every non-canonical
 * spelling is refused.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "connector/daemon/tile_cache.h"
#include "connector/daemon/tiles.h"

static void
test_parse_canonical(void **state)
{
	struct tile_ref t;

	(void)state;
	assert_true(tile_parse("0/000", &t));
	assert_false(t.entries);
	assert_int_equal(t.level, 0);
	assert_int_equal(t.index, 0);
	assert_int_equal(t.width, 256);

	assert_true(tile_parse("1/x001/x234/067", &t));
	assert_int_equal(t.level, 1);
	assert_int_equal(t.index, 1234067);
	assert_int_equal(t.width, 256);

	assert_true(tile_parse("entries/x001/x234/067.p/8", &t));
	assert_true(t.entries);
	assert_int_equal(t.level, 0);
	assert_int_equal(t.index, 1234067);
	assert_int_equal(t.width, 8);

	assert_true(tile_parse("2/000.p/255", &t));
	assert_int_equal(t.level, 2);
	assert_int_equal(t.width, 255);

	assert_true(tile_parse("63/999", &t));
	assert_int_equal(t.level, 63);
	assert_int_equal(t.index, 999);

	assert_true(tile_parse("0/x018/x446/x744/x073/x709/x551/615", &t));
	assert_true(t.index == UINT64_MAX);
}

static void
test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"0/",
		"0/0",
		"0/00",
		"0/0000",
		"00/000",
		"01/000",
		"64/000",
		"x/000",
		"-1/000",
		"0/x000/001", /* a leading zero group */
		"0/001/002",  /* a group without x before the last */
		"0/x001/02",
		"0/x01/002",
		"0/x001x002",
		"0/000/",
		"0/000.p/",
		"0/000.p/0",
		"0/000.p/256",
		"0/000.p/007",
		"0/000.p/5/",
		"0/000.q/5",
		"0/000.p5",
		"entries/",
		"entries/00",
		"entries/x000/000",
		"entries/000.p/300",
		"data/000",
		"0/x018/x446/x744/x073/x709/x551/616", /* 2^64 */
		"0/x999/x999/x999/x999/x999/x999/x999/999",
		"0/ 000",
		"0/000 ",
		NULL,
	};
	struct tile_ref t;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (tile_parse(bad[i], &t)) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			fail();
		}
}

static void
test_format_round_trip(void **state)
{
	static const uint64_t idx[] = { 0, 1, 999, 1000, 1001, 999999, 1000000,
		1234067, 72057594037927935ULL, UINT64_MAX };
	struct tile_ref t, back;
	char buf[96];
	size_t i;
	unsigned w;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.level = 1;
	t.index = 1234067;
	t.width = 256;
	assert_true(tile_format(&t, buf, sizeof(buf)));
	assert_string_equal(buf, "1/x001/x234/067");
	t.entries = 1;
	t.level = 0;
	t.width = 8;
	assert_true(tile_format(&t, buf, sizeof(buf)));
	assert_string_equal(buf, "entries/x001/x234/067.p/8");
	assert_false(tile_format(&t, buf, 10));
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		for (w = 1; w <= 256; w += 85) {
			t.entries = (int)(i % 2);
			t.level = t.entries ? 0 : (unsigned)(i % 8);
			t.index = idx[i];
			t.width = w;
			assert_true(tile_format(&t, buf, sizeof(buf)));
			assert_true(tile_parse(buf, &back));
			assert_int_equal(back.entries, t.entries);
			assert_int_equal(back.level, t.level);
			assert_true(back.index == t.index);
			assert_int_equal(back.width, t.width);
		}
}

static int
exists(int entries, unsigned level, uint64_t index, unsigned width,
    uint64_t size)
{
	struct tile_ref t = { .entries = entries,
		.level = level,
		.index = index,
		.width = width };

	return tile_exists(&t, size);
}

static void
test_exists_spec_examples(void **state)
{
	(void)state;
	/* 70,000 leaves. */
	assert_true(exists(0, 0, 0, 256, 70000));
	assert_true(exists(0, 0, 272, 256, 70000));
	assert_false(exists(0, 0, 273, 256, 70000));
	assert_true(exists(0, 0, 273, 112, 70000));
	assert_false(exists(0, 0, 273, 113, 70000));
	assert_false(exists(0, 0, 274, 1, 70000));
	assert_true(exists(1, 0, 273, 112, 70000));
	assert_false(exists(1, 0, 273, 113, 70000));
	assert_true(exists(0, 1, 0, 256, 70000));
	assert_false(exists(0, 1, 1, 256, 70000));
	assert_true(exists(0, 1, 1, 17, 70000));
	assert_false(exists(0, 1, 1, 18, 70000));
	assert_true(exists(0, 2, 0, 1, 70000));
	assert_false(exists(0, 2, 0, 2, 70000));
	assert_false(exists(0, 3, 0, 1, 70000));
	/* 256 leaves. */
	assert_true(exists(0, 0, 0, 256, 256));
	assert_true(exists(0, 1, 0, 1, 256));
	assert_false(exists(0, 1, 0, 2, 256));
	assert_false(exists(0, 0, 1, 1, 256));
	/* Empty tiles are never served. */
	assert_false(exists(0, 0, 0, 1, 0));
	assert_false(exists(1, 0, 0, 1, 0));
	assert_false(exists(0, 0, 0, 0, 100));
	/* Bundles are level 0 only; levels past 7 hold nothing. */
	assert_false(exists(1, 1, 0, 1, 70000));
	assert_false(exists(0, 8, 0, 1, UINT64_MAX));
	assert_true(exists(0, 7, 0, 255, UINT64_MAX));
	assert_false(exists(0, 7, 0, 256, UINT64_MAX));
	/* No overflow at the end of the index space. */
	assert_true(exists(0, 0, UINT64_MAX / 256, 255, UINT64_MAX));
	assert_false(exists(0, 0, UINT64_MAX / 256, 256, UINT64_MAX));
	assert_false(exists(0, 0, UINT64_MAX, 256, UINT64_MAX));
}

/* The tile cache: hits by exact tile, least recently used evicted. */
static void
test_cache(void **state)
{
	static struct tile_cache c = TILE_CACHE_INIT;
	struct tile_ref t = { 0, 0, 1, 256 }, p = { 0, 0, 1, 7 };
	struct rc_buf b;
	unsigned char data[32] = { 1, 2, 3 };
	size_t i;

	(void)state;
	rc_buf_init(&b, 1 << 20); /* every hit appends */
	assert_false(tile_cache_get(&c, &t, &b));
	tile_cache_put(&c, &t, data, sizeof(data));
	assert_false(tile_cache_get(&c, &p, &b)); /* another width */
	assert_true(tile_cache_get(&c, &t, &b));
	assert_int_equal(b.len, sizeof(data));
	assert_memory_equal(b.data, data, sizeof(data));
	/* Fill the rest; t, used last, survives; the first of them goes. */
	for (i = 0; i < TILE_CACHE_SLOTS; i++) {
		p.index = 100 + i;
		tile_cache_put(&c, &p, data, 1);
		if (i == 0)
			assert_true(tile_cache_get(&c, &t, &b));
	}
	assert_true(tile_cache_get(&c, &t, &b));
	p.index = 100;
	assert_false(tile_cache_get(&c, &p, &b)); /* evicted */
	p.index = 101;
	assert_true(tile_cache_get(&c, &p, &b));
	/* Too large: not kept. */
	p.index = 999;
	tile_cache_put(&c, &p, data, TILE_CACHE_MAX + 1);
	assert_false(tile_cache_get(&c, &p, &b));
	tile_cache_clear(&c);
	assert_false(tile_cache_get(&c, &t, &b));
	rc_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_canonical),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_exists_spec_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
