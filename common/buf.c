/* SPDX-License-Identifier: MIT */
/*
 * Capped byte buffers (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/mem.h"

void
rc_buf_init(struct rc_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->overflow = 0;
}

static enum rc_code
buf_reserve(struct rc_buf *b, size_t need)
{
	size_t ncap;
	char *p;

	if (need + 1 <= b->cap)
		return RC_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need + 1)
		ncap = ncap > ((size_t)-1) / 2 ? need + 1 : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = rc_realloc(b->data, ncap)) == NULL)
		return RC_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return RC_OK;
}

enum rc_code
rc_buf_add(struct rc_buf *b, const void *p, size_t n)
{
	enum rc_code rc;

	if (n > b->max || b->len > b->max - n) {
		b->overflow = 1;
		return RC_EINVAL;
	}
	if ((rc = buf_reserve(b, b->len + n)) != RC_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return RC_OK;
}

enum rc_code
rc_buf_adds(struct rc_buf *b, const char *s)
{
	return rc_buf_add(b, s, strlen(s));
}

enum rc_code
rc_buf_addf(struct rc_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	char *big = NULL;
	enum rc_code rc;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return RC_EINVAL;
	if ((size_t)n < sizeof(small))
		return rc_buf_add(b, small, (size_t)n);
	if ((big = rc_malloc((size_t)n + 1)) == NULL)
		return RC_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = rc_buf_add(b, big, (size_t)n);
	rc_free(big);
	return rc;
}

void
rc_buf_reset(struct rc_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
rc_buf_free(struct rc_buf *b)
{
	rc_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->overflow = 0;
}

void
rc_buf_free_secret(struct rc_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	rc_buf_free(b);
}

char *
rc_buf_steal(struct rc_buf *b)
{
	char *p;

	if (b->data == NULL && buf_reserve(b, 0) != RC_OK)
		return NULL;
	if (b->len == 0)
		b->data[0] = '\0';
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
