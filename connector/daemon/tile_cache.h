/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the served tiles, kept in memory.
 *
 * A tile (or entry bundle) of the append-only ledger never changes once
 * it exists (c2sp.org/tlog-tiles: full tiles and each partial width are
 * immutable), so tiles.c answers a tile it served before from here,
 * without opening the ledger and rebuilding its tree (O(n) per request).
 * TILE_CACHE_SLOTS tiles of at most TILE_CACHE_MAX bytes each, the least
 * recently used goes first.  A ledger restored from a backup of another
 * log needs a restart of the daemon (docs/operations.md).
 */
#ifndef RC_CONNECTOR_DAEMON_TILE_CACHE_H
#define RC_CONNECTOR_DAEMON_TILE_CACHE_H

#include <pthread.h>
#include <stddef.h>

#include "common/buf.h"
#include "connector/daemon/tiles.h"

#define TILE_CACHE_SLOTS 64
#define TILE_CACHE_MAX   (256 * 1024)

struct tile_cache_entry {
	struct tile_ref t;
	unsigned char *data; /* NULL: free slot */
	size_t len;
	unsigned long long used;
};

struct tile_cache {
	pthread_mutex_t mu;
	unsigned long long clock;
	struct tile_cache_entry e[TILE_CACHE_SLOTS];
};

#define TILE_CACHE_INIT                                                        \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, 0,                                  \
		{                                                              \
			{                                                      \
				{ 0 }, 0, 0, 0                                 \
			}                                                      \
		}                                                              \
	}

/* 1 and a copy of t's bytes appended to out when cached; 0 otherwise. */
int tile_cache_get(struct tile_cache *c, const struct tile_ref *t,
    struct rc_buf *out);

/* Keep a copy of t's bytes (nothing when larger than TILE_CACHE_MAX). */
void tile_cache_put(struct tile_cache *c, const struct tile_ref *t,
    const void *data, size_t len);

/* Forget everything (tests). */
void tile_cache_clear(struct tile_cache *c);

#endif /* RC_CONNECTOR_DAEMON_TILE_CACHE_H */
