/* SPDX-License-Identifier: MIT */
/*
 * One error code for the whole program, plus an optional detail record.
 *
 * Like CURLcode, enum rc_code values are only ever appended.  The first
 * failure fills a caller-owned struct rc_err with RC_ERR(), which records
 * the function name; callers pass the code up without overwriting the
 * detail.  A finding about a probed site is not an error (see
 * verifier/report.h): RC_E* means our own code could not do its job.
 */
#ifndef RC_COMMON_ERR_H
#define RC_COMMON_ERR_H

enum rc_code {
	RC_OK = 0,
	RC_ENOMEM,  /* allocation failed */
	RC_EINVAL,  /* bad argument or malformed input */
	RC_ESYS,    /* system call failed (errno in the message) */
	RC_ENET,    /* transfer failed (CURLcode in the message) */
	RC_EPARSE,  /* JSON, JWT or JWK could not be parsed */
	RC_ECRYPTO, /* key or signature operation failed */
	RC_ECONFIG, /* configuration rejected */
	RC_ELEDGER, /* ledger integrity or storage */
	RC_EPOLICY, /* an award the policy refuses */
	RC_EBUSY,   /* resource held by someone else (lock) */
	RC__MAX     /* keep last; never returned */
};

struct rc_err {
	enum rc_code code;
	const char *func; /* where the failure was first recorded */
	char msg[512];
};

#define RC_ERR(err, code, ...) rc_err_set((err), (code), __func__, __VA_ARGS__)

/*
 * Record the first failure in err (which may be NULL) and return code.  A
 * second call on an err that already holds a failure keeps the first
 * message, so callers can pass codes up without losing the root cause.
 */
enum rc_code rc_err_set(struct rc_err *err, enum rc_code code, const char *func,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Forget a recorded failure. */
void rc_err_clear(struct rc_err *err);

/*
 * A list of input errors, so that a parser can report every problem of a
 * document at once instead of the first one only.  The first
 * RC_ERRS_KEEP messages are kept; later ones are only counted (n), so
 * memory stays bounded whatever the input.  Caller-owned, no heap:
 * rc_errs_init, then RC_ERRS() or rc_errs_add() per failure.
 */
#define RC_ERRS_KEEP 20

struct rc_errs {
	enum rc_code code; /* the first code recorded; RC_ENOMEM wins */
	size_t n;          /* errors recorded, kept or not */
	struct rc_err e[RC_ERRS_KEEP]; /* the first min(n, RC_ERRS_KEEP) */
};

void rc_errs_init(struct rc_errs *l);

/*
 * Record one failure (l may be NULL) and return code.  Only the first
 * RC_ERRS_KEEP messages are kept; every call counts.
 */
enum rc_code rc_errs_set(struct rc_errs *l, enum rc_code code, const char *func,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define RC_ERRS(l, code, ...) rc_errs_set((l), (code), __func__, __VA_ARGS__)

/*
 * Record the failure held in e (nothing when e holds none) and return
 * its code.
 */
enum rc_code rc_errs_add(struct rc_errs *l, const struct rc_err *e);

/*
 * Append src's failures to dst (dst may be NULL; src's uncounted ones are
 * counted); return src's code.
 */
enum rc_code rc_errs_merge(struct rc_errs *dst, const struct rc_errs *src);

/* Messages kept (at most RC_ERRS_KEEP) and those counted beyond. */
size_t rc_errs_kept(const struct rc_errs *l);
size_t rc_errs_more(const struct rc_errs *l);

/*
 * Start every kept message with "prefix: " (the file or "request body"),
 * cut to fit.  A NULL or empty prefix changes nothing.
 */
void rc_errs_prefix(struct rc_errs *l, const char *prefix);

/*
 * The list as one rc_err: its first message, followed by " (and N more
 * errors)" when there are others; the first code.  For callers that
 * show one line.  Nothing when l holds no failure.
 */
void rc_errs_first(const struct rc_errs *l, struct rc_err *err);

/* A sentence for a code; never NULL. */
const char *rc_strerror(enum rc_code code);

#endif /* RC_COMMON_ERR_H */
