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

/* A sentence for a code; never NULL. */
const char *rc_strerror(enum rc_code code);

#endif /* RC_COMMON_ERR_H */
