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
	struct ratelimit_slot *s, *hit = NULL, *victim = NULL;
	size_t i;
	int allowed = 1;

	*retry_after = 0;
	if (limit <= 0)
		return 1;
	pthread_mutex_lock(&rl->mu);
	for (i = 0; i < RATELIMIT_SLOTS; i++) {
		s = &rl->slot[i];
		if (s->key[0] != '\0' &&
		    strncmp(s->key, key, RATELIMIT_KEY_MAX) == 0) {
			hit = s;
			break;
		}
		/* A free slot, else the one whose window started first. */
		if (victim == NULL || victim->key[0] != '\0') {
			if (s->key[0] == '\0' || now - s->start >= window ||
			    victim == NULL || s->start < victim->start)
				victim = s;
		}
	}
	if (hit == NULL && rl->keep_open && victim->key[0] != '\0' &&
	    now - victim->start < window) {
		/* Full of open windows: the new key waits for the first end. */
		*retry_after = victim->start + window - now;
		if (*retry_after < 1)
			*retry_after = 1;
		pthread_mutex_unlock(&rl->mu);
		return 0;
	}
	if (hit == NULL) {
		hit = victim;
		snprintf(hit->key, sizeof(hit->key), "%s", key);
		hit->start = now;
		hit->count = 0;
	}
	if (now - hit->start >= window) {
		hit->start = now;
		hit->count = 0;
	}
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
