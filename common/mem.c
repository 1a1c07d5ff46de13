/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with a fault-injection counter (see mem.h).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/mem.h"

static unsigned long fail_countdown;
static int fail_fired;
/* Allocations refused to this thread (see rc_mem_refused). */
static _Thread_local unsigned long refused;

static int
should_fail(void)
{
	if (fail_countdown == 0)
		return 0;
	if (--fail_countdown == 0) {
		fail_fired = 1;
		return 1;
	}
	return 0;
}

void
rc_mem_fail_after(unsigned long n)
{
	fail_countdown = n;
	fail_fired = 0;
}

int
rc_mem_failed(void)
{
	return fail_fired;
}

unsigned long
rc_mem_refused(void)
{
	return refused;
}

static void *
counted(void *p)
{
	if (p == NULL)
		refused++;
	return p;
}

void *
rc_malloc(size_t n)
{
	if (should_fail())
		return counted(NULL);
	return counted(malloc(n == 0 ? 1 : n));
}

void *
rc_calloc(size_t nmemb, size_t size)
{
	if (should_fail())
		return counted(NULL);
	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	return counted(calloc(nmemb, size));
}

void *
rc_realloc(void *p, size_t n)
{
	if (should_fail())
		return counted(NULL);
	return counted(realloc(p, n == 0 ? 1 : n));
}

char *
rc_strndup(const char *s, size_t n)
{
	char *d;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	if ((d = rc_malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
rc_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return rc_strndup(s, strlen(s));
}

void
rc_free(void *p)
{
	free(p);
}

void
rc_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void
rc_free_wiped(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

void *
rc_realloc_wiped(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL)
		return rc_malloc(n);
	if (n == 0) {
		rc_free_wiped(p);
		return NULL;
	}
	have = malloc_usable_size(p);
	if ((q = rc_malloc(n)) == NULL)
		return NULL; /* p stays, as realloc leaves it */
	memcpy(q, p, have < n ? have : n);
	rc_free_wiped(p);
	return q;
}
