/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the answers of GET /v1/dossiers/{id},
 * kept in memory (issue 9, "Benchmark"; docs/bench.md).
 *
 * Building the answer reads the job under the store's mutex, parses the
 * stored report and serialises the whole job again: about 0.5 ms of CPU
 * for a 15 kB job, every request.  A finished job's answer rarely
 * changes, so the bytes are kept here, already wrapped in a
 * libmicrohttpd response (shared by every connection that sends it; MHD
 * counts its own references), together with the submitter's token name
 * (the route's role rule needs it) and the store generation they were
 * read at (store_generation).  An entry is served only while the store's
 * generation is still the one it was read at: any change to any row of
 * the store, by whichever writer, makes every entry stale.  That is
 * coarse on purpose -- no writer can be forgotten -- and cheap, since
 * writes come a few per job while polls come many.
 *
 * ANSWER_CACHE_SLOTS answers, ANSWER_CACHE_BYTES in all, each at most
 * ANSWER_CACHE_ONE; the least recently used goes first.
 */
#ifndef RC_CONNECTOR_DAEMON_ANSWER_CACHE_H
#define RC_CONNECTOR_DAEMON_ANSWER_CACHE_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>

#include "connector/daemon/store.h"

#define ANSWER_CACHE_SLOTS 256
#define ANSWER_CACHE_BYTES (16u * 1024 * 1024)
#define ANSWER_CACHE_ONE   (1024u * 1024)

/* One cached answer; counted references (the cache holds one). */
struct answer {
	unsigned refs;
	char id[STORE_ID_LEN + 1];
	char *by;                /* submitted_by */
	unsigned long long gen;  /* store generation it was read at */
	struct MHD_Response *r;  /* the 200 answer, headers included */
	size_t len;              /* body bytes */
	unsigned long long used; /* LRU clock */
};

struct answer_cache {
	pthread_mutex_t mu;
	unsigned long long clock;
	size_t bytes;
	struct answer *e[ANSWER_CACHE_SLOTS];
	/* For /metrics and the tests. */
	unsigned long long hits, misses;
};

void answer_cache_init(struct answer_cache *c);
void answer_cache_cleanup(struct answer_cache *c);

/*
 * The answer of job id when it was read at generation gen (the store's
 * current one), with a reference for the caller to answer_release; NULL
 * when there is none (a stale entry is dropped).
 */
struct answer *answer_cache_get(struct answer_cache *c, const char *id,
    unsigned long long gen);

/*
 * Keep r (the 200 answer of job id, body len bytes, submitted by by,
 * read at generation gen) and return it with a reference for the caller
 * (answer_release): r then belongs to the cache (transferred; it calls
 * MHD_destroy_response when the last reference goes).  NULL when nothing
 * was kept (len > ANSWER_CACHE_ONE, out of memory): r is still the
 * caller's.  An entry of the same id is replaced.
 */
struct answer *answer_cache_put(struct answer_cache *c, const char *id,
    const char *by, unsigned long long gen, struct MHD_Response *r, size_t len);

/* Drop the caller's reference from answer_cache_get. */
void answer_release(struct answer_cache *c, struct answer *a);

#endif /* RC_CONNECTOR_DAEMON_ANSWER_CACHE_H */
