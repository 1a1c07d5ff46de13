/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with fault injection.
 *
 * Every allocation of raccord goes through rc_malloc and friends.  Tests
 * call rc_mem_fail_after(n) so that the n-th following allocation fails
 * (like curl's torture mode), then step n upward until the function under
 * test returns RC_ENOMEM cleanly with no leak.  The counter is a plain
 * global: production never arms it.
 */
#ifndef RC_COMMON_MEM_H
#define RC_COMMON_MEM_H

#include <stddef.h>

void *rc_malloc(size_t n);
void *rc_calloc(size_t nmemb, size_t size);
void *rc_realloc(void *p, size_t n);
char *rc_strdup(const char *s);
char *rc_strndup(const char *s, size_t n);
void rc_free(void *p);

/* Wipe n bytes at p with OPENSSL_cleanse, then free p.  NULL is a no-op. */
void rc_free_secret(void *p, size_t n);

/*
 * The allocator given to libraries that copy secrets where raccord cannot
 * reach them (jansson's strings of a submitted token, libcurl's copies of
 * an Authorization header): free and realloc wipe the whole block they
 * release (its malloc_usable_size), so no freed heap block keeps a token.
 * rc_realloc_wiped moves the data itself (malloc, copy, wipe, free).
 */
void rc_free_wiped(void *p);
void *rc_realloc_wiped(void *p, size_t n);

/*
 * Make the n-th allocation from now fail (1 = the next one); 0 disarms.
 * Returns nothing; rc_mem_failed() says whether the fault fired.
 */
void rc_mem_fail_after(unsigned long n);
int rc_mem_failed(void);

/*
 * How many allocations were refused to the calling thread so far (by the
 * injector or by the system).  A library that hides an out-of-memory
 * behind its own error (jansson's json_loadb says "invalid syntax") is
 * told apart by comparing the count before and after the call.
 */
unsigned long rc_mem_refused(void);

#endif /* RC_COMMON_MEM_H */
