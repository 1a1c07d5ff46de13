/* SPDX-License-Identifier: MIT */
/*
 * Logging: one key=value event per line on stderr.
 *
 * The macros capture __func__ and are checked as printf formats.  Never
 * pass tokens, codes, secrets, keys or personal data; to correlate a
 * secret, log rc_fingerprint() of it (common/digest.h).
 */
#ifndef RC_COMMON_LOG_H
#define RC_COMMON_LOG_H

enum rc_log_level {
	RC_LOG_ERROR,
	RC_LOG_WARN,
	RC_LOG_INFO,
	RC_LOG_DEBUG,
	RC_LOG__MAX
};

/* Events above this level are dropped.  Default RC_LOG_WARN. */
void rc_log_set_level(enum rc_log_level lvl);
/* The level in force in the calling thread: the lower of the global one
 * and this thread's cap. */
enum rc_log_level rc_log_get_level(void);
/*
 * Cap the calling thread's level (its events above cap are dropped, the
 * other threads' are not); RC_LOG__MAX lifts the cap.  The daemon's worker
 * caps the verifier's per-request and per-check lines this way
 * (daemon.log_checks).
 */
void rc_log_cap_thread(enum rc_log_level cap);

void rc_log(enum rc_log_level lvl, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) rc_log(RC_LOG_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)  rc_log(RC_LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...)  rc_log(RC_LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) rc_log(RC_LOG_DEBUG, __func__, __VA_ARGS__)

#endif /* RC_COMMON_LOG_H */
