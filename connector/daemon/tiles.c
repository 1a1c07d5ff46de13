/* SPDX-License-Identifier: MIT */
/*
 * C2SP tlog-tiles over the ledger (tiles.h).  Every request opens the
 * ledger read-only (shared lock, the signed entries only), so that a
 * tile never shows a hash or an entry past the signed checkpoint.
 *
 * From the specification (c2sp.org/tlog-tiles):
 *  - the n-th tile at level l holds MTH(D[(n*256+i)*256^l :
 *    (n*256+i+1)*256^l]) for i in 0..255: here the complete subtree of
 *    height 8*l at index n*256+i (ledger_subtree_hash);
 *  - a partial tile holds its first W hashes (1..255), and an empty tile
 *    is never served;
 *  - entry bundles are big-endian uint16 length-prefixed entries, the
 *    entry being the exact line hashed as the leaf;
 *  - tiles and bundles are immutable, so their caching is long-lived
 *    (private: the entries hold bank details, and every route needs a
 *    bearer token); the checkpoint is not cached.
 */
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "connector/daemon/tile_cache.h"
#include "connector/daemon/tiles.h"

#define TILE_CACHE "private, max-age=31536000, immutable"
/* Largest entry a bundle can carry: its length is a uint16. */
#define TILE_ENTRY_MAX 65535u

/* "0".."999"-style decimal without leading zeros, at most hi. */
static int
parse_small(const char *s, size_t len, unsigned hi, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > hi)
		return 0;
	*out = v;
	return 1;
}

static int
three_digits(const char *s, unsigned *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return 0;
	*out = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
	    (unsigned)(s[2] - '0');
	return 1;
}

/* <N>: "x001/x234/067" is 1234067. */
static int
parse_index(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;
	size_t i = 0;
	int first = 1;

	for (;;) {
		if (len - i == 3) {
			/* The last group: no "x". */
			if (!three_digits(s + i, &d) ||
			    v > (UINT64_MAX - d) / 1000)
				return 0;
			*out = v * 1000 + d;
			return 1;
		}
		/* "xDDD/" and at least a last group after it. */
		if (len - i < 8 || s[i] != 'x' ||
		    !three_digits(s + i + 1, &d) || s[i + 4] != '/')
			return 0;
		if ((first && d == 0) || v > (UINT64_MAX - d) / 1000)
			return 0;
		v = v * 1000 + d;
		first = 0;
		i += 5;
	}
}

int
tile_parse(const char *path, struct tile_ref *t)
{
	const char *n, *dot;
	size_t nlen;
	unsigned w;

	memset(t, 0, sizeof(*t));
	t->width = TILE_WIDTH;
	if (strncmp(path, "entries/", 8) == 0) {
		t->entries = 1;
		n = path + 8;
	} else {
		n = strchr(path, '/');
		if (n == NULL ||
		    !parse_small(path, (size_t)(n - path), 63, &t->level))
			return 0;
		n++;
	}
	nlen = strlen(n);
	if ((dot = strstr(n, ".p/")) != NULL) {
		if (!parse_small(dot + 3, strlen(dot + 3), TILE_WIDTH - 1,
		        &w) ||
		    w == 0)
			return 0;
		t->width = w;
		nlen = (size_t)(dot - n);
	}
	return nlen >= 3 && parse_index(n, nlen, &t->index);
}

int
tile_format(const struct tile_ref *t, char *buf, size_t n)
{
	unsigned group[8];
	uint64_t v = t->index;
	struct rc_buf b;
	size_t ng = 0;
	int ok;

	do {
		group[ng++] = (unsigned)(v % 1000);
		v /= 1000;
	} while (v > 0); /* at most 7 groups: 2^64 < 10^21 */
	rc_buf_init(&b, n > 0 ? n - 1 : 0);
	ok = (t->entries ? rc_buf_adds(&b, "entries/")
	                 : rc_buf_addf(&b, "%u/", t->level)) == RC_OK;
	while (ok && ng > 1)
		ok = rc_buf_addf(&b, "x%03u/", group[--ng]) == RC_OK;
	ok = ok && rc_buf_addf(&b, "%03u", group[0]) == RC_OK &&
	    (t->width >= TILE_WIDTH ||
	        rc_buf_addf(&b, ".p/%u", t->width) == RC_OK);
	if (ok && n > 0) {
		memcpy(buf, b.data, b.len);
		buf[b.len] = '\0';
	}
	rc_buf_free(&b);
	return ok && n > 0;
}

int
tile_exists(const struct tile_ref *t, uint64_t size)
{
	uint64_t hashes;

	if (t->width == 0 || t->width > TILE_WIDTH || t->level >= TILE_LEVELS ||
	    (t->entries && t->level != 0))
		return 0;
	/* Complete hashes at this level: subtrees of 256^level leaves. */
	hashes = size >> (TILE_HEIGHT * t->level);
	/* index*256 + width <= hashes, without overflow. */
	return hashes >= t->width &&
	    t->index <= (hashes - t->width) / TILE_WIDTH;
}

static enum MHD_Result
tiles_ledger_fail(struct http_ctx *x, const struct rc_err *err)
{
	log_warn("ledger read: %s", err->msg);
	return http_respond_error(x,
	    err->code == RC_EBUSY ? MHD_HTTP_SERVICE_UNAVAILABLE
	                          : MHD_HTTP_INTERNAL_SERVER_ERROR,
	    "the ledger cannot be read now");
}

/* The width hashes of t, 32 bytes each, into b. */
static enum rc_code
tile_hashes(const struct ledger *lg, const struct tile_ref *t, struct rc_buf *b,
    struct rc_err *err)
{
	const unsigned char *h;
	unsigned i;

	for (i = 0; i < t->width; i++) {
		h = ledger_subtree_hash(lg, TILE_HEIGHT * t->level,
		    t->index * TILE_WIDTH + i);
		if (h == NULL)
			return RC_ERR(err, RC_ELEDGER,
			    "tile %u/%llu: hash %u missing", t->level,
			    (unsigned long long)t->index, i);
		if (rc_buf_add(b, h, MERKLE_HASH_LEN) != RC_OK)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	return RC_OK;
}

/* The width entries of bundle t, each behind its uint16 length. */
static enum rc_code
tile_entries(const struct ledger *lg, const struct tile_ref *t,
    struct rc_buf *b, struct rc_err *err)
{
	unsigned char be[2];
	char *line = NULL;
	size_t len = 0;
	enum rc_code rc = RC_OK;
	unsigned i;

	for (i = 0; i < t->width && rc == RC_OK; i++) {
		if ((rc = ledger_entry_line(lg, t->index * TILE_WIDTH + i,
		         &line, &len, err)) != RC_OK)
			break;
		if (len > TILE_ENTRY_MAX) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entry %llu: %zu bytes, more than a tile bundle "
			    "can carry (65535)",
			    (unsigned long long)(t->index * TILE_WIDTH + i),
			    len);
		} else {
			be[0] = (unsigned char)(len >> 8);
			be[1] = (unsigned char)(len & 0xff);
			if (rc_buf_add(b, be, 2) != RC_OK ||
			    rc_buf_add(b, line, len) != RC_OK)
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		}
		rc_free(line);
		line = NULL;
	}
	return rc;
}

/* Tiles already served: they never change (tile_cache.h). */
static struct tile_cache cache = TILE_CACHE_INIT;

static enum MHD_Result
tile_serve(struct http_ctx *x, const struct tile_ref *t)
{
	static const char *const hdrs[] = { MHD_HTTP_HEADER_CACHE_CONTROL,
		TILE_CACHE, NULL };
	struct daemon *dm = x->dm;
	struct rc_err err = { 0 };
	struct ledger *lg = NULL;
	struct rc_buf b;
	enum MHD_Result ret;
	enum rc_code rc;

	rc_buf_init(&b,
	    t->entries ? (size_t)TILE_WIDTH * (TILE_ENTRY_MAX + 2)
	               : (size_t)TILE_WIDTH * MERKLE_HASH_LEN);
	if (tile_cache_get(&cache, t, &b)) {
		ret = http_respond(x, MHD_HTTP_OK, "application/octet-stream",
		    b.data, b.len, hdrs);
		goto out;
	}
	if (ledger_open(dm->pl.cfg->ledger_dir, NULL, NULL, &dm->policy,
	        DAEMON_LEDGER_READ_WAIT_MS, &lg, &err) != RC_OK) {
		ret = tiles_ledger_fail(x, &err);
		goto out;
	}
	if (!tile_exists(t, ledger_size(lg))) {
		ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such tile in the signed tree (see the checkpoint's "
		    "size)");
		goto out;
	}
	rc = t->entries ? tile_entries(lg, t, &b, &err)
	                : tile_hashes(lg, t, &b, &err);
	if (rc != RC_OK) {
		ret = tiles_ledger_fail(x, &err);
		goto out;
	}
	tile_cache_put(&cache, t, b.data, b.len);
	ret = http_respond(x, MHD_HTTP_OK, "application/octet-stream", b.data,
	    b.len, hdrs);
out:
	rc_buf_free(&b);
	ledger_close(lg);
	return ret;
}

int
tiles_route(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret)
{
	struct tile_ref t;

	(void)rq;
	if (strncmp(x->url, TILES_PREFIX, strlen(TILES_PREFIX)) != 0)
		return 0;
	if (strcmp(x->method, "GET") != 0) {
		*ret = http_respond_method(x, "GET");
		return 1;
	}
	if (http_denied(x, R_INSTR | R_PAY | R_ADMIN, ret))
		return 1;
	if (!tile_parse(x->url + strlen(TILES_PREFIX), &t)) {
		*ret = http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such tile: tile/<L>/<N>[.p/<W>] or "
		    "tile/entries/<N>[.p/<W>], <N> in 3-digit groups "
		    "(c2sp.org/tlog-tiles)");
		return 1;
	}
	*ret = tile_serve(x, &t);
	return 1;
}
