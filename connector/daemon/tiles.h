/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the read side of C2SP tlog-tiles
 * (https://c2sp.org/tlog-tiles) over the signed ledger, with the log
 * prefix <base>/v1/ledger:
 *
 *   <prefix>/checkpoint                 (http.c's ledger routes)
 *   <prefix>/tile/<L>/<N>[.p/<W>]       Merkle tree hashes, 32 bytes each
 *   <prefix>/tile/entries/<N>[.p/<W>]   entry bundles: big-endian uint16
 *                                       length + the entry line, each
 *
 * so that standard transparency-log tools can mirror and monitor the
 * ledger.  The path rules and the tile arithmetic are pure functions,
 * unit-tested in tests/unit/connector/test_daemon_tiles.c.
 */
#ifndef RC_CONNECTOR_DAEMON_TILES_H
#define RC_CONNECTOR_DAEMON_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "connector/daemon/http_int.h"

#define TILE_HEIGHT  8   /* levels of the tree one tile spans */
#define TILE_WIDTH   256 /* hashes of a full tile: 2^TILE_HEIGHT */
#define TILE_LEVELS  8   /* levels 0..7 cover any tree of < 2^64 leaves */
#define TILES_PREFIX "/v1/ledger/tile/"

/* One tile or entry bundle, as its path names it. */
struct tile_ref {
	int entries;    /* tile/entries/...: an entry bundle (level 0) */
	unsigned level; /* <L>: 0..63 in a path, 0 for entries */
	uint64_t index; /* <N> */
	unsigned width; /* <W> of a partial tile (1..255), or 256: full */
};

/*
 * Parse the path after "tile/": "<L>/<N>[.p/<W>]" or
 * "entries/<N>[.p/<W>]", in its one canonical spelling (decimal <L> and
 * <W> without leading zeros; <N> in 3-digit groups, all but the last
 * prefixed with "x", the first group not "x000").  1 if it is one.
 */
int tile_parse(const char *path, struct tile_ref *t);

/*
 * Format t's path after "tile/" (the inverse of tile_parse); 1 when it
 * fits in n bytes.
 */
int tile_format(const struct tile_ref *t, char *buf, size_t n);

/*
 * 1 when the tile exists in a tree of size leaves: all its width hashes
 * (or entries) are complete within size.  A full tile exists once its
 * 256 hashes do; a partial one for every width up to what size holds.
 */
int tile_exists(const struct tile_ref *t, uint64_t size);

/* The route module (http_int.h): everything under TILES_PREFIX. */
int tiles_route(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret);

#endif /* RC_CONNECTOR_DAEMON_TILES_H */
