/* SPDX-License-Identifier: MIT */
/* The answers of GET /v1/dossiers/{id}, kept in memory (answer_cache.h). */
#include <string.h>

#include "common/mem.h"
#include "connector/daemon/answer_cache.h"

void
answer_cache_init(struct answer_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
}

/* Drop one reference; the last one frees.  Under c->mu. */
static void
unref(struct answer *a)
{
	if (a == NULL || --a->refs > 0)
		return;
	MHD_destroy_response(a->r);
	rc_free(a->by);
	rc_free(a);
}

/* Take slot i out of the cache.  Under c->mu. */
static void
evict(struct answer_cache *c, size_t i)
{
	c->bytes -= c->e[i]->len;
	unref(c->e[i]);
	c->e[i] = NULL;
}

void
answer_cache_cleanup(struct answer_cache *c)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < ANSWER_CACHE_SLOTS; i++)
		if (c->e[i] != NULL)
			evict(c, i);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
}

/* The slot of id, or ANSWER_CACHE_SLOTS.  Under c->mu. */
static size_t
find(const struct answer_cache *c, const char *id)
{
	size_t i;

	for (i = 0; i < ANSWER_CACHE_SLOTS; i++)
		if (c->e[i] != NULL && c->e[i]->id[0] == id[0] &&
		    strcmp(c->e[i]->id, id) == 0)
			return i;
	return ANSWER_CACHE_SLOTS;
}

struct answer *
answer_cache_get(struct answer_cache *c, const char *id, unsigned long long gen)
{
	struct answer *a = NULL;
	size_t i;

	pthread_mutex_lock(&c->mu);
	if ((i = find(c, id)) < ANSWER_CACHE_SLOTS) {
		if (c->e[i]->gen == gen) {
			a = c->e[i];
			a->refs++;
			a->used = ++c->clock;
		} else
			evict(c, i); /* the store changed since */
	}
	if (a != NULL)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->mu);
	return a;
}

/* The least recently used slot in use, or ANSWER_CACHE_SLOTS. */
static size_t
lru(const struct answer_cache *c)
{
	size_t i, best = ANSWER_CACHE_SLOTS;

	for (i = 0; i < ANSWER_CACHE_SLOTS; i++)
		if (c->e[i] != NULL &&
		    (best == ANSWER_CACHE_SLOTS ||
		        c->e[i]->used < c->e[best]->used))
			best = i;
	return best;
}

struct answer *
answer_cache_put(struct answer_cache *c, const char *id, const char *by,
    unsigned long long gen, struct MHD_Response *r, size_t len)
{
	struct answer *a;
	size_t i, v;

	if (len > ANSWER_CACHE_ONE || strlen(id) > STORE_ID_LEN ||
	    (a = rc_calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->by = rc_strdup(by != NULL ? by : "")) == NULL) {
		rc_free(a);
		return NULL;
	}
	memcpy(a->id, id, strlen(id) + 1);
	a->gen = gen;
	a->r = r; /* transferred */
	a->len = len;
	a->refs = 2; /* the cache's and the caller's */
	pthread_mutex_lock(&c->mu);
	if ((i = find(c, id)) < ANSWER_CACHE_SLOTS)
		evict(c, i);
	/* Room: a free slot, within the byte budget. */
	while (c->bytes + len > ANSWER_CACHE_BYTES &&
	    (v = lru(c)) < ANSWER_CACHE_SLOTS)
		evict(c, v);
	for (i = 0; i < ANSWER_CACHE_SLOTS && c->e[i] != NULL; i++)
		;
	if (i == ANSWER_CACHE_SLOTS)
		evict(c, i = lru(c));
	a->used = ++c->clock;
	c->e[i] = a;
	c->bytes += len;
	pthread_mutex_unlock(&c->mu);
	return a;
}

void
answer_release(struct answer_cache *c, struct answer *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	unref(a);
	pthread_mutex_unlock(&c->mu);
}
