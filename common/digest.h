/* SPDX-License-Identifier: MIT */
/*
 * SHA-256, hex and base64 helpers over OpenSSL.  Fingerprints are how
 * secrets appear anywhere outside memory: "sha256:" plus the first 16 hex
 * digits of the secret's digest.
 */
#ifndef RC_COMMON_DIGEST_H
#define RC_COMMON_DIGEST_H

#include <stddef.h>

#include "common/err.h"

#define RC_SHA256_LEN     32
#define RC_SHA256_HEX_LEN 65 /* 64 digits and the NUL */
#define RC_FPR_LEN        24 /* "sha256:" + 16 digits + NUL */

/* out receives RC_SHA256_LEN bytes.  RC_ECRYPTO on OpenSSL failure. */
enum rc_code rc_sha256(const void *p, size_t n, unsigned char *out);

/* out receives 64 lowercase hex digits and a NUL. */
enum rc_code rc_sha256_hex(const void *p, size_t n, char *out);

/* Lowercase hex of n bytes into out, which holds 2n + 1 bytes. */
void rc_hex(const unsigned char *in, size_t n, char *out);

/*
 * Parse exactly 2n hex digits of s into out[n].  RC_EINVAL on any other
 * character or length.
 */
enum rc_code rc_unhex(const char *s, unsigned char *out, size_t n);

/* "sha256:<16 hex>" of a secret, into out[RC_FPR_LEN]. */
enum rc_code rc_fingerprint(const void *p, size_t n, char *out);

/*
 * Standard base64 (RFC 4648 §4, with padding) via OpenSSL.  *out is a new
 * NUL-terminated string for rc_free.
 */
enum rc_code rc_base64_encode(const void *p, size_t n, char **out);

/*
 * Decode standard padded base64.  *out (rc_free) receives the bytes and
 * *outlen their count.  RC_EINVAL on any malformed input.
 */
enum rc_code rc_base64_decode(const char *s, unsigned char **out,
    size_t *outlen);

#endif /* RC_COMMON_DIGEST_H */
