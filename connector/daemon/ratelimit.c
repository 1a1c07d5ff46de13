/* SPDX-License-Identifier: MIT */
/* Fixed-window rate limits (see ratelimit.h). */
#include <stdio.h>
#include <string.h>

#include "connector/daemon/ratelimit.h"

void
ratelimit_init(struct ratelimit *rl, int keep_open)
{
	memset(rl->slot, 0, sizeof(rl->slot));
	rl->keep_open = keep_open;
	pthread_mutex_init(&rl->mu, NULL);
}

void
ratelimit_cleanup(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->mu);
}

int
ratelimit_take(struct ratelimit *rl, const char *key, long long limit,
    long long window, long long now, long long *retry_after)
{
	struct ratelimit_slot *s, *hit = NULL, *free_s = NULL, *oldest = NULL,
	                          *unblocked = NULL;
	size_t i;
	int allowed = 1;

	*retry_after = 0;
	if (limit <= 0)
		return 1;
	pthread_mutex_lock(&rl->mu);
	for (i = 0; i < RATELIMIT_SLOTS; i++) {
		s = &rl->slot[i];
		if (s->key[0] == '\0' || now - s->start >= window) {
			/* Free, or its window is over: nothing to keep. */
			if (free_s == NULL)
				free_s = s;
			continue;
		}
		if (strncmp(s->key, key, RATELIMIT_KEY_MAX) == 0) {
			hit = s;
			break;
		}
		if (oldest == NULL || s->start < oldest->start)
			oldest = s;
		if (s->count < s->limit &&
		    (unblocked == NULL || s->start < unblocked->start))
			unblocked = s;
	}
	if (hit == NULL && free_s == NULL) {
		/*
		 * Full of open windows.  The daemon's table forgets the one
		 * that started first; a keep_open table forgets only a key
		 * still under its limit (it merely gets a fresh window), and
		 * when every key is at its limit the new key waits for the
		 * first window to end: a flood of new keys never frees a key
		 * that is being held back.
		 */
		free_s = rl->keep_open ? unblocked : oldest;
		if (free_s == NULL) {
			*retry_after = oldest->start + window - now;
			if (*retry_after < 1)
				*retry_after = 1;
			pthread_mutex_unlock(&rl->mu);
			return 0;
		}
	}
	if (hit == NULL) {
		hit = free_s;
		snprintf(hit->key, sizeof(hit->key), "%s", key);
		hit->start = now;
		hit->count = 0;
	}
	hit->limit = limit;
	if (hit->count >= limit) {
		allowed = 0;
		*retry_after = hit->start + window - now;
		if (*retry_after < 1)
			*retry_after = 1;
	} else
		hit->count++;
	pthread_mutex_unlock(&rl->mu);
	return allowed;
}
