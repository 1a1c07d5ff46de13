/* SPDX-License-Identifier: MIT */
/*
 * Fixed-window rate limits of the daemon (docs/api.md, "Limits"): at most
 * `limit` events per key (a token name, a SIREN) per window of `window`
 * seconds, on CLOCK_MONOTONIC.  A bounded table (RATELIMIT_SLOTS keys).
 * When it is full of open windows, a table made with keep_open 0 forgets
 * the key whose window started first (the daemon's table: its keys are
 * token names and SIRENs of authenticated callers); one made with
 * keep_open 1 forgets only a key still under its limit (the oldest such),
 * never one at its limit, and when every key is at its limit refuses the
 * new key until a window ends (the public pages' tables: their keys are
 * strangers' addresses, and a flood of them must neither reset the count
 * of a key being held back nor lock everyone else out).
 * Thread-safe.
 */
#ifndef RC_CONNECTOR_DAEMON_RATELIMIT_H
#define RC_CONNECTOR_DAEMON_RATELIMIT_H

#include <pthread.h>

#define RATELIMIT_SLOTS   1024
#define RATELIMIT_KEY_MAX 72

struct ratelimit_slot {
	char key[RATELIMIT_KEY_MAX + 1];
	long long start; /* monotonic seconds */
	long long count;
	long long limit; /* of the last take: is the key held back? */
};

struct ratelimit {
	pthread_mutex_t mu;
	int keep_open;
	struct ratelimit_slot slot[RATELIMIT_SLOTS];
};

void ratelimit_init(struct ratelimit *rl, int keep_open);
void ratelimit_cleanup(struct ratelimit *rl);

/*
 * Count one event for key at monotonic time now.  1 when allowed; 0 when
 * over limit (or, keep_open, when the table is full of open windows),
 * with *retry_after the seconds until a window ends.  limit 0 means no
 * limit.
 */
int ratelimit_take(struct ratelimit *rl, const char *key, long long limit,
    long long window, long long now, long long *retry_after);

#endif /* RC_CONNECTOR_DAEMON_RATELIMIT_H */
