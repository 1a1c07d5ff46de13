/* SPDX-License-Identifier: MIT */
/* Re-verification's scheduling rules (recheck.h). */
#include "connector/daemon/recheck.h"

static const char *const outcomes[RECHECK__MAX] = {
	[RECHECK_VERIFIED] = "verified",
	[RECHECK_FAILED] = "failed",
	[RECHECK_INCONCLUSIVE] = "inconclusive",
	[RECHECK_ERROR] = "error",
	[RECHECK_NEEDS_TOKEN] = "needs_token",
};

const char *
recheck_outcome_str(enum recheck_outcome o)
{
	return (unsigned)o < RECHECK__MAX ? outcomes[o] : "?";
}

long long
recheck_next_at(long long from, long long interval, uint64_t rnd)
{
	long long j = interval / 10, at;

	if (interval < 1)
		interval = 1;
	/* rnd mod (2j + 1) - j: uniform enough over 64 random bits. */
	at = from + interval +
	    (j > 0 ? (long long)(rnd % (uint64_t)(2 * j + 1)) - j : 0);
	return at > from ? at : from + 1;
}

long long
recheck_streak_after(long long streak, enum recheck_outcome o)
{
	switch (o) {
	case RECHECK_VERIFIED:
		return 0;
	case RECHECK_NEEDS_TOKEN:
		return streak;
	default:
		return streak + 1;
	}
}

int
recheck_alerting(long long streak)
{
	return streak >= RECHECK_ALERT_STREAK;
}
