/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 well-formedness (see utf8.h).
 */
#include <string.h>

#include "common/utf8.h"

size_t
rc_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c, lo = 0x80, hi = 0xBF;
	size_t len, i;
	uint32_t v;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

size_t
rc_utf8_repair(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s), i = 0, len, fixed = 0;
	uint32_t cp;

	while (i < n) {
		len = rc_utf8_seq(p + i, n - i, &cp);
		if (len == 0) {
			p[i] = '?';
			fixed++;
			len = 1;
		}
		i += len;
	}
	return fixed;
}
