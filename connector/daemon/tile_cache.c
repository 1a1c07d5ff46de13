/* SPDX-License-Identifier: MIT */
/* The served tiles, kept in memory (tile_cache.h). */
#include <string.h>

#include "common/mem.h"
#include "connector/daemon/tile_cache.h"

static int
same(const struct tile_ref *a, const struct tile_ref *b)
{
	return a->entries == b->entries && a->level == b->level &&
	    a->index == b->index && a->width == b->width;
}

int
tile_cache_get(struct tile_cache *c, const struct tile_ref *t,
    struct rc_buf *out)
{
	int hit = 0;
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < TILE_CACHE_SLOTS; i++)
		if (c->e[i].data != NULL && same(&c->e[i].t, t)) {
			if (rc_buf_add(out, c->e[i].data, c->e[i].len) ==
			    RC_OK) {
				c->e[i].used = ++c->clock;
				hit = 1;
			}
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
tile_cache_put(struct tile_cache *c, const struct tile_ref *t, const void *data,
    size_t len)
{
	struct tile_cache_entry *e = NULL;
	unsigned char *copy;
	size_t i;

	if (len == 0 || len > TILE_CACHE_MAX || (copy = rc_malloc(len)) == NULL)
		return;
	memcpy(copy, data, len);
	pthread_mutex_lock(&c->mu);
	/* The same tile (served twice at once), else a free slot, else LRU. */
	for (i = 0; i < TILE_CACHE_SLOTS && e == NULL; i++)
		if (c->e[i].data != NULL && same(&c->e[i].t, t))
			e = &c->e[i];
	for (i = 0; i < TILE_CACHE_SLOTS && e == NULL; i++)
		if (c->e[i].data == NULL)
			e = &c->e[i];
	if (e == NULL) {
		e = &c->e[0];
		for (i = 1; i < TILE_CACHE_SLOTS; i++)
			if (c->e[i].used < e->used)
				e = &c->e[i];
	}
	rc_free(e->data);
	e->t = *t;
	e->data = copy;
	e->len = len;
	e->used = ++c->clock;
	pthread_mutex_unlock(&c->mu);
}

void
tile_cache_clear(struct tile_cache *c)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < TILE_CACHE_SLOTS; i++) {
		rc_free(c->e[i].data);
		memset(&c->e[i], 0, sizeof(c->e[i]));
	}
	pthread_mutex_unlock(&c->mu);
}
