/* SPDX-License-Identifier: MIT */
/*
 * SHA-256, hex and base64 via OpenSSL (see digest.h).
 */
#include <string.h>

#include <openssl/evp.h>

#include "common/digest.h"
#include "common/mem.h"

enum rc_code
rc_sha256(const void *p, size_t n, unsigned char *out)
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != RC_SHA256_LEN)
		return RC_ECRYPTO;
	return RC_OK;
}

void
rc_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum rc_code
rc_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return RC_EINVAL;
	for (i = 0; i < n; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return RC_EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return RC_OK;
}

enum rc_code
rc_sha256_hex(const void *p, size_t n, char *out)
{
	unsigned char md[RC_SHA256_LEN];
	enum rc_code rc;

	if ((rc = rc_sha256(p, n, md)) != RC_OK)
		return rc;
	rc_hex(md, sizeof(md), out);
	return RC_OK;
}

enum rc_code
rc_fingerprint(const void *p, size_t n, char *out)
{
	unsigned char md[RC_SHA256_LEN];
	enum rc_code rc;

	if ((rc = rc_sha256(p, n, md)) != RC_OK)
		return rc;
	memcpy(out, "sha256:", 7);
	rc_hex(md, 8, out + 7);
	return RC_OK;
}

enum rc_code
rc_base64_encode(const void *p, size_t n, char **out)
{
	char *s;
	size_t cap;

	*out = NULL;
	if (n > (((size_t)-1) / 4 - 2) * 3 || n > 0x3fffffff)
		return RC_EINVAL;
	cap = 4 * ((n + 2) / 3) + 1;
	if ((s = rc_malloc(cap)) == NULL)
		return RC_ENOMEM;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	*out = s;
	return RC_OK;
}

enum rc_code
rc_base64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *d;
	int got;

	*out = NULL;
	*outlen = 0;
	if (n % 4 != 0 || n > 0x3fffffff)
		return RC_EINVAL;
	if ((d = rc_malloc(n / 4 * 3 + 1)) == NULL)
		return RC_ENOMEM;
	got = EVP_DecodeBlock(d, (const unsigned char *)s, (int)n);
	if (got < 0) {
		rc_free(d);
		return RC_EINVAL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes; take them off. */
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	if ((size_t)got < pad) {
		rc_free(d);
		return RC_EINVAL;
	}
	*out = d;
	*outlen = (size_t)got - pad;
	return RC_OK;
}
