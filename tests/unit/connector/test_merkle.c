/* SPDX-License-Identifier: MIT */
/*
 * RFC 6962 / RFC 9162 Merkle trees: the reference's root table and
 * single-hash vectors, the RFC 6962 §2.1.3 example proofs, the
 * transparency-dev/merkle JSON vectors shipped in tests/data/ledger/merkle
 * (byte for byte) and mutations of their happy paths, and a cross-check
 * of every proof of every tree up to 70 leaves.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/merkle.h"

#define H MERKLE_HASH_LEN

static const char *const leaf_hex[] = { "", "00", "10", "2021", "3031",
	"40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" };

static const char *const roots_hex[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static int vectors_passed;

static void
leaf_of(size_t i, unsigned char out[H])
{
	unsigned char d[16];
	size_t n = strlen(leaf_hex[i]) / 2;

	assert_int_equal(rc_unhex(leaf_hex[i], d, n), RC_OK);
	assert_int_equal(merkle_leaf_hash(d, n, out), RC_OK);
}

static void
build8(struct merkle_tree *t, unsigned char leaves[8][H])
{
	size_t i;

	merkle_tree_init(t);
	for (i = 0; i < 8; i++) {
		leaf_of(i, leaves[i]);
		assert_int_equal(merkle_tree_append(t, leaves[i]), RC_OK);
	}
}

static void
assert_hex(const unsigned char *h, const char *hex)
{
	char buf[2 * H + 1];

	rc_hex(h, H, buf);
	assert_string_equal(buf, hex);
}

static void
test_roots_table(void **state)
{
	unsigned char leaves[8][H], root[H];
	struct merkle_stack s;
	struct merkle_tree t;
	size_t n;

	(void)state;
	build8(&t, leaves);
	merkle_stack_init(&s);
	for (n = 0; n <= 8; n++) {
		assert_int_equal(merkle_tree_root(&t, n, root), RC_OK);
		assert_hex(root, roots_hex[n]);
		assert_int_equal(merkle_stack_root(&s, root), RC_OK);
		assert_hex(root, roots_hex[n]);
		if (n < 8)
			assert_int_equal(merkle_stack_push(&s, leaves[n]),
			    RC_OK);
		vectors_passed++;
	}
	merkle_tree_cleanup(&t);
}

static void
test_single_hashes(void **state)
{
	unsigned char a[H], b[H], out[H];

	(void)state;
	assert_int_equal(merkle_leaf_hash("", 0, out), RC_OK);
	assert_hex(out, roots_hex[1]);
	assert_int_equal(merkle_leaf_hash("L123456", 7, out), RC_OK);
	assert_hex(out,
	    "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
	/* HashChildren("N123", "N456") hashes the raw strings as children. */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	{
		unsigned char buf[9] = { 0x01, 'N', '1', '2', '3', 'N', '4',
			'5', '6' };
		assert_int_equal(rc_sha256(buf, sizeof(buf), out), RC_OK);
	}
	assert_hex(out,
	    "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
	vectors_passed += 3;
}

/* RFC 6962 §2.1.3: seven leaves d0..d6. */
static void
test_rfc6962_example(void **state)
{
	unsigned char leaves[8][H], g[H], h[H], i[H], k[H], l[H];
	unsigned char proof[MERKLE_MAX_PROOF * H];
	struct merkle_tree t, t7;
	size_t n, j;

	(void)state;
	build8(&t, leaves);
	merkle_tree_init(&t7);
	for (j = 0; j < 7; j++)
		assert_int_equal(merkle_tree_append(&t7, leaves[j]), RC_OK);
	assert_int_equal(merkle_node_hash(leaves[0], leaves[1], g), RC_OK);
	assert_int_equal(merkle_node_hash(leaves[2], leaves[3], h), RC_OK);
	assert_int_equal(merkle_node_hash(leaves[4], leaves[5], i), RC_OK);
	assert_int_equal(merkle_node_hash(g, h, k), RC_OK);
	assert_int_equal(merkle_node_hash(i, leaves[6], l), RC_OK);

	/* PATH(0, D[7]) = [b, h, l] */
	assert_int_equal(merkle_tree_inclusion(&t7, 0, 7, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(proof, leaves[1], H);
	assert_memory_equal(proof + H, h, H);
	assert_memory_equal(proof + 2 * H, l, H);
	/* PATH(3, D[7]) = [c, g, l] */
	assert_int_equal(merkle_tree_inclusion(&t7, 3, 7, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(proof, leaves[2], H);
	assert_memory_equal(proof + H, g, H);
	assert_memory_equal(proof + 2 * H, l, H);
	/* PATH(4, D[7]) = [f, j, k] */
	assert_int_equal(merkle_tree_inclusion(&t7, 4, 7, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(proof, leaves[5], H);
	assert_memory_equal(proof + H, leaves[6], H);
	assert_memory_equal(proof + 2 * H, k, H);
	/* PATH(6, D[7]) = [i, k] */
	assert_int_equal(merkle_tree_inclusion(&t7, 6, 7, proof, &n), RC_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(proof, i, H);
	assert_memory_equal(proof + H, k, H);
	/* PROOF(3, D[7]) = [c, d, g, l] */
	assert_int_equal(merkle_tree_consistency(&t7, 3, 7, proof, &n), RC_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(proof, leaves[2], H);
	assert_memory_equal(proof + H, leaves[3], H);
	assert_memory_equal(proof + 2 * H, g, H);
	assert_memory_equal(proof + 3 * H, l, H);
	/* PROOF(4, D[7]) = [l] */
	assert_int_equal(merkle_tree_consistency(&t7, 4, 7, proof, &n), RC_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(proof, l, H);
	/* PROOF(6, D[7]) = [i, j, k] */
	assert_int_equal(merkle_tree_consistency(&t7, 6, 7, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(proof, i, H);
	assert_memory_equal(proof + H, leaves[6], H);
	assert_memory_equal(proof + 2 * H, k, H);
	vectors_passed += 7;
	merkle_tree_cleanup(&t);
	merkle_tree_cleanup(&t7);
}

/* A decoded vector: hashes with their true lengths. */
struct vec {
	int consistency;
	uint64_t a, b;          /* leafIdx, treeSize or size1, size2 */
	unsigned char *h1, *h2; /* leafHash, root or root1, root2 */
	size_t h1len, h2len;
	unsigned char *proof[MERKLE_MAX_PROOF];
	size_t prooflen[MERKLE_MAX_PROOF];
	size_t n;
	int want_err;
};

static void
vec_free(struct vec *v)
{
	size_t i;

	rc_free(v->h1);
	rc_free(v->h2);
	for (i = 0; i < v->n; i++)
		rc_free(v->proof[i]);
	memset(v, 0, sizeof(*v));
}

static void
b64(json_t *j, unsigned char **out, size_t *len)
{
	assert_true(json_is_string(j));
	assert_int_equal(rc_base64_decode(json_string_value(j), out, len),
	    RC_OK);
}

static void
vec_load(const char *file, int consistency, struct vec *v)
{
	json_error_t jerr;
	json_t *j, *p, *x;
	size_t i;

	memset(v, 0, sizeof(*v));
	j = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("%s: %s", file, jerr.text);
	v->consistency = consistency;
	if (consistency) {
		v->a =
		    (uint64_t)json_integer_value(json_object_get(j, "size1"));
		v->b =
		    (uint64_t)json_integer_value(json_object_get(j, "size2"));
		b64(json_object_get(j, "root1"), &v->h1, &v->h1len);
		b64(json_object_get(j, "root2"), &v->h2, &v->h2len);
	} else {
		x = json_object_get(j, "leafIdx");
		if (x == NULL)
			x = json_object_get(j, "leafIndex");
		v->a = (uint64_t)json_integer_value(x);
		v->b = (uint64_t)json_integer_value(
		    json_object_get(j, "treeSize"));
		b64(json_object_get(j, "leafHash"), &v->h1, &v->h1len);
		b64(json_object_get(j, "root"), &v->h2, &v->h2len);
	}
	p = json_object_get(j, "proof");
	if (json_is_array(p)) {
		assert_true(json_array_size(p) <= MERKLE_MAX_PROOF);
		for (i = 0; i < json_array_size(p); i++)
			b64(json_array_get(p, i), &v->proof[i],
			    &v->prooflen[i]);
		v->n = json_array_size(p);
	}
	v->want_err = json_is_true(json_object_get(j, "wantErr"));
	json_decref(j);
}

static enum rc_code
vec_check(const struct vec *v)
{
	struct rc_err err = { 0 };

	if (v->consistency)
		return merkle_verify_consistency(v->a, v->b, v->h1, v->h1len,
		    v->h2, v->h2len, (const unsigned char *const *)v->proof,
		    v->prooflen, v->n, &err);
	return merkle_verify_inclusion(v->a, v->b, v->h1, v->h1len,
	    (const unsigned char *const *)v->proof, v->prooflen, v->n, v->h2,
	    v->h2len, &err);
}

/* Every way of breaking a happy path must be refused. */
static void
mutate_all(struct vec *v)
{
	unsigned char *save, garbage[H];
	uint64_t a = v->a, b = v->b;
	size_t i, bit, n = v->n;

	memset(garbage, 0x5a, sizeof(garbage));
	/* proof elements: every bit flipped */
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8 * H; bit++) {
			v->proof[i][bit / 8] ^=
			    (unsigned char)(1u << (bit % 8));
			assert_int_not_equal(vec_check(v), RC_OK);
			v->proof[i][bit / 8] ^=
			    (unsigned char)(1u << (bit % 8));
		}
	/* truncated proof, extra trailing and leading elements */
	if (n > 0) {
		v->n = n - 1;
		assert_int_not_equal(vec_check(v), RC_OK);
		v->n = n;
	}
	if (n + 1 < MERKLE_MAX_PROOF) {
		v->proof[n] = garbage;
		v->prooflen[n] = H;
		v->n = n + 1;
		assert_int_not_equal(vec_check(v), RC_OK);
		v->proof[n] = v->h2; /* trailing root */
		assert_int_not_equal(vec_check(v), RC_OK);
		v->n = n;
		save = v->proof[0];
		memmove(&v->proof[1], &v->proof[0], n * sizeof(v->proof[0]));
		memmove(&v->prooflen[1], &v->prooflen[0], n * sizeof(size_t));
		v->proof[0] = garbage;
		v->prooflen[0] = H;
		v->n = n + 1;
		assert_int_not_equal(vec_check(v), RC_OK);
		memmove(&v->proof[0], &v->proof[1], n * sizeof(v->proof[0]));
		memmove(&v->prooflen[0], &v->prooflen[1], n * sizeof(size_t));
		v->proof[0] = n ? v->proof[0] : save;
		v->n = n;
	}
	/* wrong first and second hashes, and a 31-byte hash */
	v->h1[0] ^= 1;
	assert_int_not_equal(vec_check(v), RC_OK);
	v->h1[0] ^= 1;
	v->h2[H - 1] ^= 0x80;
	assert_int_not_equal(vec_check(v), RC_OK);
	v->h2[H - 1] ^= 0x80;
	v->h2len = H - 1;
	assert_int_not_equal(vec_check(v), RC_OK);
	v->h2len = H;
	/* indexes and sizes */
	{
		/* The mutations of the transparency-dev generator: the
		 * RFC 9162 algorithm binds the size only through the proof
		 * shape, so size +/- 1 may legitimately pass for some
		 * leaves (index 0 of 8 and of 7 share a proof shape). */
		uint64_t as[] = { a + 1, a - 1, a ^ 2 };
		uint64_t bs[] = { b * 2, b / 2 };

		for (i = 0; i < 3; i++) {
			if (as[i] == a)
				continue;
			v->a = as[i];
			if (v->consistency && as[i] == b &&
			    memcmp(v->h1, v->h2, H) == 0 && v->n == 0)
				continue; /* not actually broken */
			assert_int_not_equal(vec_check(v), RC_OK);
		}
		v->a = a;
		for (i = 0; i < 2; i++) {
			if (bs[i] == b)
				continue;
			v->b = bs[i];
			if (vec_check(v) == RC_OK)
				fail_msg(
				    "accepted size %llu (was %llu), a=%llu",
				    (unsigned long long)bs[i],
				    (unsigned long long)b,
				    (unsigned long long)a);
		}
		v->b = b;
	}
	if (v->consistency && memcmp(v->h1, v->h2, H) != 0) {
		save = v->h1;
		v->h1 = v->h2;
		v->h2 = save;
		assert_int_not_equal(vec_check(v), RC_OK);
		v->h2 = v->h1;
		v->h1 = save;
	}
	assert_int_equal(vec_check(v), RC_OK);
}

static int
run_dir(const char *dir, int consistency, int mutate)
{
	char path[1024];
	struct dirent *de;
	struct vec v;
	DIR *d;
	int count = 0;

	if ((d = opendir(dir)) == NULL)
		fail_msg("%s: cannot open", dir);
	count = 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		vec_load(path, consistency, &v);
		if (v.want_err) {
			if (vec_check(&v) == RC_OK)
				fail_msg("%s: accepted", path);
		} else {
			if (vec_check(&v) != RC_OK)
				fail_msg("%s: refused", path);
			if (mutate)
				mutate_all(&v);
		}
		vec_free(&v);
		count++;
		vectors_passed++;
	}
	closedir(d);
	return count;
}

static void
test_json_vectors(void **state)
{
	static const char *const sub[] = { "0", "1", "2", "3", "4",
		"additional", "additional/0", "additional/1", "additional/2" };
	const char *data = getenv("RC_TEST_DATA");
	char dir[512];
	size_t i;
	int total = 0;

	(void)state;
	if (data == NULL)
		data = "tests/data";
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/ledger/merkle/inclusion/%s",
		    data, sub[i]);
		total += run_dir(dir, 0, 1);
		if (i <= 5) {
			snprintf(dir, sizeof(dir),
			    "%s/ledger/merkle/consistency/%s", data, sub[i]);
			total += run_dir(dir, 1, 1);
		}
	}
	assert_int_equal(total, 23);
}

/* The proofs we produce equal the shipped vectors byte for byte. */
static void
test_produced_proofs_match(void **state)
{
	unsigned char leaves[8][H], proof[MERKLE_MAX_PROOF * H];
	static const char *const incl[] = {
		"vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
		"yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
		"037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="
	};
	static const char *const cons[] = {
		"DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
		"yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
		"037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="
	};
	struct merkle_tree t;
	char *s;
	size_t n, i;

	(void)state;
	build8(&t, leaves);
	assert_int_equal(merkle_tree_inclusion(&t, 5, 8, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(rc_base64_encode(proof + i * H, H, &s), RC_OK);
		assert_string_equal(s, incl[i]);
		rc_free(s);
	}
	assert_int_equal(merkle_tree_consistency(&t, 6, 8, proof, &n), RC_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(rc_base64_encode(proof + i * H, H, &s), RC_OK);
		assert_string_equal(s, cons[i]);
		rc_free(s);
	}
	vectors_passed += 2;
	merkle_tree_cleanup(&t);
}

/* Every inclusion and consistency proof of every tree up to 70 leaves. */
static void
test_all_small_trees(void **state)
{
	unsigned char leaf[H], r1[H], r2[H], buf[MERKLE_MAX_PROOF * H];
	const unsigned char *pp[MERKLE_MAX_PROOF];
	size_t pl[MERKLE_MAX_PROOF], n, k;
	struct merkle_stack s;
	struct merkle_tree t;
	struct rc_err err = { 0 };
	uint64_t size, i, m;
	unsigned char b;

	(void)state;
	merkle_tree_init(&t);
	merkle_stack_init(&s);
	for (size = 1; size <= 70; size++) {
		b = (unsigned char)size;
		assert_int_equal(merkle_leaf_hash(&b, 1, leaf), RC_OK);
		assert_int_equal(merkle_tree_append(&t, leaf), RC_OK);
		assert_int_equal(merkle_stack_push(&s, leaf), RC_OK);
		assert_int_equal(merkle_tree_root(&t, size, r2), RC_OK);
		assert_int_equal(merkle_stack_root(&s, r1), RC_OK);
		assert_memory_equal(r1, r2, H);
		for (k = 0; k < MERKLE_MAX_PROOF; k++) {
			pp[k] = buf + k * H;
			pl[k] = H;
		}
		for (i = 0; i < size; i++) {
			assert_int_equal(
			    merkle_tree_inclusion(&t, i, size, buf, &n), RC_OK);
			assert_int_equal(merkle_verify_inclusion(i, size,
			                     merkle_tree_leaf(&t, i), H, pp, pl,
			                     n, r2, H, &err),
			    RC_OK);
			if (size > 1)
				assert_int_not_equal(
				    merkle_verify_inclusion((i + 1) % size,
				        size, merkle_tree_leaf(&t, i), H, pp,
				        pl, n, r2, H, &err),
				    RC_OK);
		}
		for (m = 1; m <= size; m++) {
			assert_int_equal(merkle_tree_root(&t, m, r1), RC_OK);
			assert_int_equal(
			    merkle_tree_consistency(&t, m, size, buf, &n),
			    RC_OK);
			assert_int_equal(merkle_verify_consistency(m, size, r1,
			                     H, r2, H, pp, pl, n, &err),
			    RC_OK);
		}
	}
	/* truncation keeps the older roots */
	merkle_tree_truncate(&t, 8);
	assert_int_equal(merkle_tree_root(&t, 8, r1), RC_OK);
	b = 9;
	assert_int_equal(merkle_leaf_hash(&b, 1, leaf), RC_OK);
	assert_int_equal(merkle_tree_append(&t, leaf), RC_OK);
	assert_int_equal(t.size, 9);
	merkle_tree_cleanup(&t);
}

/*
 * An append that runs out of memory leaves the tree exactly as it was:
 * for every size up to 140 (past the first growth of levels 0 to 7 and
 * the second of levels 0 and 1), the next append is made to fail at its
 * first allocation.  When it fails, the size and the root are those of
 * the tree before it, and the same leaf appended again gives the root an
 * untouched tree (a merkle_stack) computes, at that size and every later
 * one: a half-appended leaf would shift every later hash.
 */
static void
test_append_enomem_rollback(void **state)
{
	unsigned char leaf[H], r1[H], r2[H], b[2];
	struct merkle_stack s;
	struct merkle_tree t;
	uint64_t size;
	enum rc_code rc;
	int fired, failed = 0, failed_above_leaves = 0;

	(void)state;
	merkle_tree_init(&t);
	merkle_stack_init(&s);
	for (size = 0; size < 140; size++) {
		b[0] = (unsigned char)(size & 0xff);
		b[1] = (unsigned char)(size >> 8);
		assert_int_equal(merkle_leaf_hash(b, 2, leaf), RC_OK);
		rc_mem_fail_after(1);
		rc = merkle_tree_append(&t, leaf);
		fired = rc_mem_failed();
		rc_mem_fail_after(0);
		if (rc != RC_OK) {
			assert_int_equal(rc, RC_ENOMEM);
			assert_true(fired);
			failed++;
			/* sizes 0, 64, 128 grow the leaf level itself */
			failed_above_leaves += size % 64 != 0;
			assert_int_equal(t.size, size);
			if (size > 0) {
				assert_int_equal(merkle_tree_root(&t, size, r1),
				    RC_OK);
				assert_int_equal(merkle_stack_root(&s, r2),
				    RC_OK);
				assert_memory_equal(r1, r2, H);
			}
			assert_int_equal(merkle_tree_append(&t, leaf), RC_OK);
		}
		assert_int_equal(merkle_stack_push(&s, leaf), RC_OK);
		assert_int_equal(t.size, size + 1);
		assert_int_equal(merkle_tree_root(&t, size + 1, r1), RC_OK);
		assert_int_equal(merkle_stack_root(&s, r2), RC_OK);
		assert_memory_equal(r1, r2, H);
	}
	assert_true(failed_above_leaves >= 7);
	assert_true(failed > failed_above_leaves);
	merkle_tree_cleanup(&t);
}

static int
report(void **state)
{
	(void)state;
	printf("merkle: %d vectors passed\n", vectors_passed);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots_table),
		cmocka_unit_test(test_single_hashes),
		cmocka_unit_test(test_rfc6962_example),
		cmocka_unit_test(test_json_vectors),
		cmocka_unit_test(test_produced_proofs_match),
		cmocka_unit_test(test_all_small_trees),
		cmocka_unit_test(test_append_enomem_rollback),
	};

	return cmocka_run_group_tests(tests, NULL, report);
}
