/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 well-formedness (RFC 3629 §4).
 *
 * Messages are cut with "%.40s" and into fixed buffers: a cut can fall
 * inside a multi-byte character, and a string that is not UTF-8 cannot go
 * into JSON (jansson refuses it, and the daemon's 400 became a 500).
 */
#ifndef RC_COMMON_UTF8_H
#define RC_COMMON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) (1 to 4), or 0 when
 * s[0] does not start one (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, or a sequence cut by n).  *cp
 * receives its code point.
 */
size_t rc_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Make the NUL-terminated s well-formed in place: every byte that does not
 * belong to a well-formed sequence becomes '?'.  Returns how many bytes
 * were replaced.
 */
size_t rc_utf8_repair(char *s);

#endif
