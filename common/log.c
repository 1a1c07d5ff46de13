/* SPDX-License-Identifier: MIT */
/*
 * key=value logging to stderr (see log.h).  Every line goes through
 * rc_redact: a value a site chose cannot break the line, move the cursor
 * of the terminal, or show a secret-named parameter's value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/redact.h"

static enum rc_log_level log_level = RC_LOG_WARN;
/* This thread's cap (rc_log_cap_thread); RC_LOG__MAX: none. */
static _Thread_local enum rc_log_level thread_cap = RC_LOG__MAX;

void
rc_log_set_level(enum rc_log_level lvl)
{
	if (lvl < RC_LOG__MAX)
		log_level = lvl;
}

enum rc_log_level
rc_log_get_level(void)
{
	return thread_cap < log_level ? thread_cap : log_level;
}

void
rc_log_cap_thread(enum rc_log_level cap)
{
	thread_cap = cap < RC_LOG__MAX ? cap : RC_LOG__MAX;
}

void
rc_log(enum rc_log_level lvl, const char *func, const char *fmt, ...)
{
	static const char *const names[RC_LOG__MAX] = { "error", "warn", "info",
		"debug" };
	char line[2048];
	char ts[32], *safe;
	struct tm tm;
	time_t now;
	va_list ap;

	if (lvl > rc_log_get_level() || lvl >= RC_LOG__MAX)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Values may come from a site: one line, no control byte, no
	 * secret-named parameter's value (common/redact.h). */
	safe = rc_redact_str(line, NULL);
	fprintf(stderr, "time=%s level=%s func=%s %s\n", ts, names[lvl], func,
	    safe != NULL ? safe : "(line withheld: out of memory)");
	rc_free(safe);
}
