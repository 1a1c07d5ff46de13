/* SPDX-License-Identifier: MIT */
/*
 * RFC 6962 Merkle trees, proofs, and RFC 9162 proof verification (see
 * merkle.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/mem.h"
#include "connector/ledger/merkle.h"

/*
 * RFC 6962, section 2.1: leaves are hashed with a 0x00 prefix and
 * interior nodes with 0x01, so no leaf can be passed off as a node.
 */
static enum rc_code
merkle_hash(unsigned char prefix, const void *a, size_t alen, const void *b,
    size_t blen, unsigned char *out)
{
	EVP_MD_CTX *ctx;
	enum rc_code rc = RC_ECRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return RC_ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, &prefix, 1) == 1 &&
	    (alen == 0 || EVP_DigestUpdate(ctx, a, alen) == 1) &&
	    (b == NULL || EVP_DigestUpdate(ctx, b, blen) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1)
		rc = RC_OK;
	EVP_MD_CTX_free(ctx);
	return rc;
}

enum rc_code
merkle_leaf_hash(const void *data, size_t len,
    unsigned char out[MERKLE_HASH_LEN])
{
	return merkle_hash(0x00, data, len, NULL, 0, out);
}

enum rc_code
merkle_node_hash(const unsigned char left[MERKLE_HASH_LEN],
    const unsigned char right[MERKLE_HASH_LEN],
    unsigned char out[MERKLE_HASH_LEN])
{
	return merkle_hash(0x01, left, MERKLE_HASH_LEN, right, MERKLE_HASH_LEN,
	    out);
}

enum rc_code
merkle_empty_root(unsigned char out[MERKLE_HASH_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest("", 0, out, &len, EVP_sha256(), NULL) != 1)
		return RC_ECRYPTO;
	return RC_OK;
}

/* The largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void
merkle_tree_init(struct merkle_tree *t)
{
	memset(t, 0, sizeof(*t));
}

void
merkle_tree_cleanup(struct merkle_tree *t)
{
	int k;

	for (k = 0; k < MERKLE_MAX_LEVELS; k++)
		rc_free(t->level[k]);
	memset(t, 0, sizeof(*t));
}

static enum rc_code
level_push(struct merkle_tree *t, int k, const unsigned char *h)
{
	uint64_t ncap;
	unsigned char *p;

	if (t->count[k] == t->cap[k]) {
		ncap = t->cap[k] ? t->cap[k] * 2 : 64;
		if (ncap > SIZE_MAX / MERKLE_HASH_LEN)
			return RC_ENOMEM;
		p = rc_realloc(t->level[k], (size_t)ncap * MERKLE_HASH_LEN);
		if (p == NULL)
			return RC_ENOMEM;
		t->level[k] = p;
		t->cap[k] = ncap;
	}
	memcpy(t->level[k] + t->count[k] * MERKLE_HASH_LEN, h, MERKLE_HASH_LEN);
	t->count[k]++;
	return RC_OK;
}

enum rc_code
merkle_tree_append(struct merkle_tree *t,
    const unsigned char leaf[MERKLE_HASH_LEN])
{
	unsigned char h[MERKLE_HASH_LEN];
	enum rc_code rc;
	int k;

	if ((rc = level_push(t, 0, leaf)) != RC_OK)
		return rc;
	for (k = 0; k + 1 < MERKLE_MAX_LEVELS && t->count[k] % 2 == 0; k++) {
		rc = merkle_node_hash(t->level[k] +
		        (t->count[k] - 2) * MERKLE_HASH_LEN,
		    t->level[k] + (t->count[k] - 1) * MERKLE_HASH_LEN, h);
		if (rc == RC_OK)
			rc = level_push(t, k + 1, h);
		if (rc != RC_OK) {
			/* Leave the tree as it was before this leaf. */
			merkle_tree_truncate(t, t->size);
			return rc;
		}
	}
	t->size++;
	return RC_OK;
}

void
merkle_tree_truncate(struct merkle_tree *t, uint64_t size)
{
	int k;

	if (size > t->size)
		return;
	for (k = 0; k < MERKLE_MAX_LEVELS; k++)
		t->count[k] = size >> k;
	t->size = size;
}

const unsigned char *
merkle_tree_leaf(const struct merkle_tree *t, uint64_t i)
{
	return t->level[0] + i * MERKLE_HASH_LEN;
}

/* MTH(D[lo:hi]) for 0 <= lo < hi <= t->size, with lo aligned as PATH and
 * SUBPROOF produce them: complete subtrees come from the levels. */
static enum rc_code
range_hash(const struct merkle_tree *t, uint64_t lo, uint64_t hi,
    unsigned char out[MERKLE_HASH_LEN])
{
	unsigned char l[MERKLE_HASH_LEN], r[MERKLE_HASH_LEN];
	uint64_t w = hi - lo, k;
	enum rc_code rc;
	int lv = 0;

	if ((w & (w - 1)) == 0) {
		while (((uint64_t)1 << lv) < w)
			lv++;
		if (lo % w == 0 && (lo >> lv) < t->count[lv]) {
			memcpy(out, t->level[lv] + (lo >> lv) * MERKLE_HASH_LEN,
			    MERKLE_HASH_LEN);
			return RC_OK;
		}
	}
	k = split_point(w);
	if ((rc = range_hash(t, lo, lo + k, l)) != RC_OK ||
	    (rc = range_hash(t, lo + k, hi, r)) != RC_OK)
		return rc;
	return merkle_node_hash(l, r, out);
}

enum rc_code
merkle_tree_root(const struct merkle_tree *t, uint64_t size,
    unsigned char out[MERKLE_HASH_LEN])
{
	if (size > t->size)
		return RC_EINVAL;
	if (size == 0)
		return merkle_empty_root(out);
	return range_hash(t, 0, size, out);
}

/* RFC 6962 §2.1.1 PATH(m, D[lo:hi]); hashes appended leaf side first. */
static enum rc_code
path(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi,
    unsigned char *proof, size_t *n)
{
	uint64_t k;
	enum rc_code rc;

	if (hi - lo == 1)
		return RC_OK;
	if (*n >= MERKLE_MAX_PROOF)
		return RC_EINVAL;
	k = split_point(hi - lo);
	if (m < k) {
		if ((rc = path(t, m, lo, lo + k, proof, n)) != RC_OK)
			return rc;
		rc = range_hash(t, lo + k, hi, proof + *n * MERKLE_HASH_LEN);
	} else {
		if ((rc = path(t, m - k, lo + k, hi, proof, n)) != RC_OK)
			return rc;
		rc = range_hash(t, lo, lo + k, proof + *n * MERKLE_HASH_LEN);
	}
	if (rc == RC_OK)
		(*n)++;
	return rc;
}

enum rc_code
merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index,
    uint64_t size, unsigned char *proof, size_t *n)
{
	*n = 0;
	if (index >= size || size > t->size)
		return RC_EINVAL;
	return path(t, index, 0, size, proof, n);
}

/* RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b). */
static enum rc_code
subproof(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi,
    int b, unsigned char *proof, size_t *n)
{
	uint64_t k;
	enum rc_code rc;

	if (*n >= MERKLE_MAX_PROOF)
		return RC_EINVAL;
	if (m == hi - lo) {
		if (b)
			return RC_OK;
		if ((rc = range_hash(t, lo, hi,
		         proof + *n * MERKLE_HASH_LEN)) == RC_OK)
			(*n)++;
		return rc;
	}
	k = split_point(hi - lo);
	if (m <= k) {
		if ((rc = subproof(t, m, lo, lo + k, b, proof, n)) != RC_OK)
			return rc;
		rc = range_hash(t, lo + k, hi, proof + *n * MERKLE_HASH_LEN);
	} else {
		if ((rc = subproof(t, m - k, lo + k, hi, 0, proof, n)) != RC_OK)
			return rc;
		rc = range_hash(t, lo, lo + k, proof + *n * MERKLE_HASH_LEN);
	}
	if (rc == RC_OK)
		(*n)++;
	return rc;
}

enum rc_code
merkle_tree_consistency(const struct merkle_tree *t, uint64_t size1,
    uint64_t size2, unsigned char *proof, size_t *n)
{
	*n = 0;
	if (size1 == 0 || size1 > size2 || size2 > t->size)
		return RC_EINVAL;
	if (size1 == size2)
		return RC_OK;
	return subproof(t, size1, 0, size2, 1, proof, n);
}

void
merkle_stack_init(struct merkle_stack *s)
{
	memset(s, 0, sizeof(*s));
}

/*
 * h[k] holds the root of the complete 2^k subtree when bit k of size is
 * set: pushing a leaf is a binary increment that merges equal subtrees.
 */
enum rc_code
merkle_stack_push(struct merkle_stack *s,
    const unsigned char leaf[MERKLE_HASH_LEN])
{
	unsigned char cur[MERKLE_HASH_LEN];
	enum rc_code rc;
	int k = 0;

	memcpy(cur, leaf, MERKLE_HASH_LEN);
	while (k < MERKLE_MAX_LEVELS && (s->size >> k) & 1) {
		if ((rc = merkle_node_hash(s->h[k], cur, cur)) != RC_OK)
			return rc;
		k++;
	}
	if (k >= MERKLE_MAX_LEVELS)
		return RC_EINVAL;
	memcpy(s->h[k], cur, MERKLE_HASH_LEN);
	s->size++;
	return RC_OK;
}

/* Fold the subtree roots from the smallest (rightmost) up. */
enum rc_code
merkle_stack_root(const struct merkle_stack *s,
    unsigned char out[MERKLE_HASH_LEN])
{
	unsigned char acc[MERKLE_HASH_LEN];
	enum rc_code rc;
	int k, have = 0;

	if (s->size == 0)
		return merkle_empty_root(out);
	for (k = 0; k < MERKLE_MAX_LEVELS; k++) {
		if (!((s->size >> k) & 1))
			continue;
		if (!have) {
			memcpy(acc, s->h[k], MERKLE_HASH_LEN);
			have = 1;
		} else if ((rc = merkle_node_hash(s->h[k], acc, acc)) != RC_OK)
			return rc;
	}
	memcpy(out, acc, MERKLE_HASH_LEN);
	return RC_OK;
}

static int
hash_eq(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, MERKLE_HASH_LEN) == 0;
}

enum rc_code
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char *leaf, size_t leaflen,
    const unsigned char *const *proof, const size_t *prooflen, size_t n,
    const unsigned char *root, size_t rootlen, struct rc_err *err)
{
	unsigned char r[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	enum rc_code rc;
	size_t i;

	if (leaflen != MERKLE_HASH_LEN)
		return RC_ERR(err, RC_ELEDGER, "leaf hash is %zu bytes, not 32",
		    leaflen);
	if (rootlen != MERKLE_HASH_LEN)
		return RC_ERR(err, RC_ELEDGER, "root hash is %zu bytes, not 32",
		    rootlen);
	for (i = 0; i < n; i++)
		if (prooflen[i] != MERKLE_HASH_LEN)
			return RC_ERR(err, RC_ELEDGER,
			    "proof hash %zu is %zu bytes, not 32", i,
			    prooflen[i]);
	if (index >= size)
		return RC_ERR(err, RC_ELEDGER,
		    "index %llu is not below tree size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return RC_ERR(err, RC_ELEDGER,
			    "inclusion proof too long (%zu hashes)", n);
		if ((fn & 1) || fn == sn) {
			rc = merkle_node_hash(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			rc = merkle_node_hash(r, proof[i], r);
		if (rc != RC_OK)
			return RC_ERR(err, rc, "hashing failed");
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "inclusion proof too short (%zu hashes)", n);
	if (!hash_eq(r, root))
		return RC_ERR(err, RC_ELEDGER,
		    "inclusion proof does not lead to the root");
	return RC_OK;
}

enum rc_code
merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char *root1, size_t root1len, const unsigned char *root2,
    size_t root2len, const unsigned char *const *proof, const size_t *prooflen,
    size_t n, struct rc_err *err)
{
	unsigned char fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	const unsigned char *c;
	uint64_t fn, sn;
	enum rc_code rc;
	size_t i, first;

	if (root1len != MERKLE_HASH_LEN || root2len != MERKLE_HASH_LEN)
		return RC_ERR(err, RC_ELEDGER, "root hash is not 32 bytes");
	for (i = 0; i < n; i++)
		if (prooflen[i] != MERKLE_HASH_LEN)
			return RC_ERR(err, RC_ELEDGER,
			    "proof hash %zu is %zu bytes, not 32", i,
			    prooflen[i]);
	if (size1 == 0)
		return RC_ERR(err, RC_ELEDGER,
		    "consistency from an empty tree is not checked");
	if (size1 > size2)
		return RC_ERR(err, RC_ELEDGER,
		    "size %llu is larger than size %llu",
		    (unsigned long long)size1, (unsigned long long)size2);
	if (size1 == size2) {
		if (n != 0)
			return RC_ERR(err, RC_ELEDGER,
			    "a proof between equal sizes must be empty");
		if (!hash_eq(root1, root2))
			return RC_ERR(err, RC_ELEDGER,
			    "different roots for the same size %llu",
			    (unsigned long long)size1);
		return RC_OK;
	}
	if (n == 0)
		return RC_ERR(err, RC_ELEDGER, "empty consistency proof");
	/* When size1 is a power of two, first_hash is the first element. */
	first = (size1 & (size1 - 1)) == 0 ? 0 : 1;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	c = first ? proof[0] : root1;
	memcpy(fr, c, MERKLE_HASH_LEN);
	memcpy(sr, c, MERKLE_HASH_LEN);
	for (i = first; i < n; i++) {
		c = proof[i];
		if (sn == 0)
			return RC_ERR(err, RC_ELEDGER,
			    "consistency proof too long (%zu hashes)", n);
		if ((fn & 1) || fn == sn) {
			rc = merkle_node_hash(c, fr, fr);
			if (rc == RC_OK)
				rc = merkle_node_hash(c, sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			rc = merkle_node_hash(sr, c, sr);
		if (rc != RC_OK)
			return RC_ERR(err, rc, "hashing failed");
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "consistency proof too short (%zu hashes)", n);
	if (!hash_eq(fr, root1))
		return RC_ERR(err, RC_ELEDGER,
		    "consistency proof does not lead to the old root");
	if (!hash_eq(sr, root2))
		return RC_ERR(err, RC_ELEDGER,
		    "consistency proof does not lead to the new root");
	return RC_OK;
}
