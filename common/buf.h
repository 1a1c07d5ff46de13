/* SPDX-License-Identifier: MIT */
/*
 * A byte buffer with a mandatory maximum.
 *
 * data is always NUL-terminated for the convenience of text parsers, but
 * len is what counts: a response body may itself contain NUL bytes.  Every
 * remote body goes through one of these, which bounds what a hostile
 * server can make us hold.
 */
#ifndef RC_COMMON_BUF_H
#define RC_COMMON_BUF_H

#include <stddef.h>

#include "common/err.h"

struct rc_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int overflow; /* an add was refused because of max */
};

/* Prepare an empty buffer that will refuse to grow past max bytes. */
void rc_buf_init(struct rc_buf *b, size_t max);

/*
 * Append n bytes.  RC_EINVAL (and b->overflow set) when the result would
 * exceed max; RC_ENOMEM when allocation fails.  The buffer is unchanged on
 * failure.
 */
enum rc_code rc_buf_add(struct rc_buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. */
enum rc_code rc_buf_adds(struct rc_buf *b, const char *s);

/* Append printf-formatted text. */
enum rc_code rc_buf_addf(struct rc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empty the buffer, keeping its storage and max. */
void rc_buf_reset(struct rc_buf *b);

/* Release the storage; the buffer may be reused after rc_buf_init. */
void rc_buf_free(struct rc_buf *b);

/* Wipe the storage with OPENSSL_cleanse, then release it. */
void rc_buf_free_secret(struct rc_buf *b);

/*
 * Hand the storage to the caller (who frees it with rc_free) and leave
 * the buffer empty.  Never NULL for an initialised buffer unless
 * allocation fails.
 */
char *rc_buf_steal(struct rc_buf *b);

#endif /* RC_COMMON_BUF_H */
