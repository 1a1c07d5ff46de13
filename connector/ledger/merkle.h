/* SPDX-License-Identifier: MIT */
/*
 * Merkle hash trees as in RFC 6962 §2.1 (unchanged in RFC 9162 §2.1.1):
 * leaves hashed with a 0x00 prefix, interior nodes with 0x01, the left
 * subtree always the largest power of two strictly smaller than the size.
 * Inclusion and consistency proofs are produced by the recursive PATH and
 * SUBPROOF definitions of RFC 6962 §2.1.1-2 and verified with the
 * iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, plus the input
 * rules that the transparency-dev/merkle vectors enforce (every hash is
 * exactly 32 bytes; a consistency check from size 0 is refused; equal
 * sizes need an empty proof and equal roots).
 *
 * Two tree shapes: struct merkle_tree keeps every complete subtree hash
 * (2n hashes) so that any proof of any size up to n costs O(log n);
 * struct merkle_stack keeps only the O(log n) roots of the complete
 * subtrees so far, for streaming verification of huge logs in constant
 * memory.
 */
#ifndef RC_CONNECTOR_LEDGER_MERKLE_H
#define RC_CONNECTOR_LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MERKLE_HASH_LEN   32
#define MERKLE_MAX_LEVELS 64
#define MERKLE_MAX_PROOF  128 /* hashes in any proof of a 2^64 tree */

/* SHA-256(0x00 || data): the leaf hash.  RC_ECRYPTO on OpenSSL failure. */
enum rc_code merkle_leaf_hash(const void *data, size_t len,
    unsigned char out[MERKLE_HASH_LEN]);

/* SHA-256(0x01 || left || right): the interior node hash. */
enum rc_code merkle_node_hash(const unsigned char left[MERKLE_HASH_LEN],
    const unsigned char right[MERKLE_HASH_LEN],
    unsigned char out[MERKLE_HASH_LEN]);

/* The hash of the empty tree, SHA-256(""). */
enum rc_code merkle_empty_root(unsigned char out[MERKLE_HASH_LEN]);

/* A tree that keeps every complete subtree; caller-owned struct. */
struct merkle_tree {
	unsigned char *level[MERKLE_MAX_LEVELS]; /* level[k][i]: 2^k leaves */
	uint64_t count[MERKLE_MAX_LEVELS];       /* hashes held per level */
	uint64_t cap[MERKLE_MAX_LEVELS];         /* hashes allocated */
	uint64_t size;                           /* leaves */
};

void merkle_tree_init(struct merkle_tree *t);
void merkle_tree_cleanup(struct merkle_tree *t);

/* Append one leaf hash.  RC_ENOMEM, RC_ECRYPTO. */
enum rc_code merkle_tree_append(struct merkle_tree *t,
    const unsigned char leaf[MERKLE_HASH_LEN]);

/* Forget the leaves from size on (size <= t->size). */
void merkle_tree_truncate(struct merkle_tree *t, uint64_t size);

/* The leaf hash at index i (< t->size), borrowed from t. */
const unsigned char *merkle_tree_leaf(const struct merkle_tree *t, uint64_t i);

/* The root of the first size leaves (size <= t->size).  RC_EINVAL. */
enum rc_code merkle_tree_root(const struct merkle_tree *t, uint64_t size,
    unsigned char out[MERKLE_HASH_LEN]);

/*
 * Inclusion proof of leaf index in the tree of the first size leaves
 * (RFC 6962 PATH).  proof receives *n hashes (at most MERKLE_MAX_PROOF,
 * so the caller passes MERKLE_MAX_PROOF * MERKLE_HASH_LEN bytes).
 * RC_EINVAL when index >= size or size > t->size.
 */
enum rc_code merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index,
    uint64_t size, unsigned char *proof, size_t *n);

/*
 * Consistency proof from size1 to size2 (RFC 6962 PROOF), same buffer
 * rules.  An empty proof when size1 == size2.  RC_EINVAL when size1 is 0
 * or size1 > size2 or size2 > t->size.
 */
enum rc_code merkle_tree_consistency(const struct merkle_tree *t,
    uint64_t size1, uint64_t size2, unsigned char *proof, size_t *n);

/* Constant-memory streaming root: the stack of complete subtree roots. */
struct merkle_stack {
	unsigned char h[MERKLE_MAX_LEVELS][MERKLE_HASH_LEN];
	uint64_t size;
};

void merkle_stack_init(struct merkle_stack *s);
enum rc_code merkle_stack_push(struct merkle_stack *s,
    const unsigned char leaf[MERKLE_HASH_LEN]);
enum rc_code merkle_stack_root(const struct merkle_stack *s,
    unsigned char out[MERKLE_HASH_LEN]);

/*
 * RFC 9162 §2.1.3.2.  hashes are given with their lengths so that a hash
 * of the wrong length is refused rather than read out of bounds: leaf and
 * root must be 32 bytes and every proof element too.  RC_OK when the
 * proof shows the leaf at index in the tree of that size with that root;
 * RC_ELEDGER (detail in err) when it does not; RC_ECRYPTO on OpenSSL
 * failure.
 */
enum rc_code merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char *leaf, size_t leaflen,
    const unsigned char *const *proof, const size_t *prooflen, size_t n,
    const unsigned char *root, size_t rootlen, struct rc_err *err);

/*
 * RFC 9162 §2.1.4.2, same conventions.  Refuses size1 == 0, size1 >
 * size2, a non-empty proof or different roots when size1 == size2.
 */
enum rc_code merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char *root1, size_t root1len, const unsigned char *root2,
    size_t root2len, const unsigned char *const *proof, const size_t *prooflen,
    size_t n, struct rc_err *err);

#endif /* RC_CONNECTOR_LEDGER_MERKLE_H */
