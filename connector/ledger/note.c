/* SPDX-License-Identifier: MIT */
/*
 * C2SP signed notes and cosignatures (see note.h).  Parsing follows
 * golang.org/x/mod/sumdb/note Open(): the last "\n\n" splits text from
 * signatures, every signature line starts with "— ", names are valid,
 * base64 is canonical and at least 5 bytes, at most NOTE_MAX_SIGS lines.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/note.h"

static const char sig_prefix[] = "\xe2\x80\x94 "; /* U+2014 and a space */
#define SIG_PREFIX_LEN 4

/*
 * Decode one UTF-8 sequence at s (n bytes left).  Returns its length and
 * the code point in *cp, or 0 for an invalid sequence (overlong,
 * surrogate, above U+10FFFF, truncated).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space, as Go's unicode.IsSpace sees it. */
static int
is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Valid UTF-8 with no control character other than "\n". */
static int
text_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t i = 0, l;

	while (i < n) {
		if ((l = utf8_next(p + i, n - i, &c)) == 0)
			return 0;
		if (c < 0x20 && c != '\n')
			return 0;
		i += l;
	}
	return 1;
}

static int
name_valid_n(const char *name, size_t n)
{
	const unsigned char *p = (const unsigned char *)name;
	uint32_t c;
	size_t i = 0, l;

	if (n == 0 || n > NOTE_MAX_NAME)
		return 0;
	while (i < n) {
		if ((l = utf8_next(p + i, n - i, &c)) == 0)
			return 0;
		if (c < 0x20 || c == 0x7f || c == '+' || is_space(c))
			return 0;
		i += l;
	}
	return 1;
}

int
note_name_valid(const char *name)
{
	return name_valid_n(name, strlen(name));
}

enum rc_code
note_base64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	char *copy = NULL, *again = NULL;
	enum rc_code rc;

	*out = NULL;
	*outlen = 0;
	if (memchr(s, '\0', len) != NULL)
		return RC_EINVAL;
	if ((copy = rc_strndup(s, len)) == NULL)
		return RC_ENOMEM;
	if ((rc = rc_base64_decode(copy, out, outlen)) != RC_OK)
		goto out;
	if ((rc = rc_base64_encode(*out, *outlen, &again)) != RC_OK)
		goto out;
	if (strcmp(again, copy) != 0)
		rc = RC_EINVAL; /* not canonical: stray bits or characters */
out:
	if (rc != RC_OK) {
		rc_free(*out);
		*out = NULL;
		*outlen = 0;
	}
	rc_free(copy);
	rc_free(again);
	return rc;
}

enum rc_code
note_key_id(const char *name, unsigned char type, const unsigned char *pub,
    size_t publen, uint32_t *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	enum rc_code rc = RC_ECRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return RC_ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, &type, 1) == 1 &&
	    EVP_DigestUpdate(ctx, pub, publen) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, NULL) == 1) {
		*out = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
		    (uint32_t)md[2] << 8 | md[3];
		rc = RC_OK;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

enum rc_code
note_ed25519_sign(EVP_PKEY *pkey, const void *msg, size_t len,
    unsigned char sig[64])
{
	EVP_MD_CTX *ctx;
	size_t siglen = 64;
	enum rc_code rc = RC_ECRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return RC_ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == 64)
		rc = RC_OK;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
note_ed25519_verify(EVP_PKEY *pkey, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (siglen != 64 || (ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

enum rc_code
note_signer_new(const char *name, unsigned char type, EVP_PKEY *pkey,
    struct note_signer **out, struct rc_err *err)
{
	struct note_signer *s = NULL;
	size_t publen = 32;
	enum rc_code rc;

	*out = NULL;
	if (!note_name_valid(name))
		return RC_ERR(err, RC_EINVAL,
		    "key name \"%s\" is empty or has a space or a '+'", name);
	if (type != NOTE_TYPE_ED25519 && type != NOTE_TYPE_COSIG)
		return RC_ERR(err, RC_EINVAL, "unsupported key type 0x%02x",
		    type);
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519)
		return RC_ERR(err, RC_EINVAL, "the key is not Ed25519");
	if ((s = rc_calloc(1, sizeof(*s))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->type = type;
	if (EVP_PKEY_get_raw_public_key(pkey, s->pub, &publen) != 1 ||
	    publen != 32) {
		rc = RC_ERR(err, RC_ECRYPTO, "cannot read the public key");
		goto out;
	}
	if ((rc = note_key_id(s->name, type, s->pub, 32, &s->id)) != RC_OK) {
		RC_ERR(err, rc, "cannot compute the key ID");
		goto out;
	}
	if (EVP_PKEY_up_ref(pkey) != 1) {
		rc = RC_ERR(err, RC_ECRYPTO, "EVP_PKEY_up_ref failed");
		goto out;
	}
	s->pkey = pkey;
	*out = s;
	s = NULL; /* transferred */
out:
	note_signer_free(s);
	return rc;
}

void
note_signer_free(struct note_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	rc_free(s);
}

/* Split "a+b+c" on its first two '+' (the base64 part may hold '+'). */
static int
split3(const char *s, const char **a, size_t *alen, const char **b,
    size_t *blen, const char **c)
{
	const char *p1, *p2;

	if ((p1 = strchr(s, '+')) == NULL || (p2 = strchr(p1 + 1, '+')) == NULL)
		return 0;
	*a = s;
	*alen = (size_t)(p1 - s);
	*b = p1 + 1;
	*blen = (size_t)(p2 - p1 - 1);
	*c = p2 + 1;
	return 1;
}

static int
parse_hex32(const char *s, size_t n, uint32_t *out)
{
	unsigned char b[4];
	char tmp[9];

	if (n != 8)
		return 0;
	memcpy(tmp, s, 8);
	tmp[8] = '\0';
	if (rc_unhex(tmp, b, 4) != RC_OK)
		return 0;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 1;
}

enum rc_code
note_signer_from_skey(const char *skey, struct note_signer **out,
    struct rc_err *err)
{
	static const char prefix[] = "PRIVATE+KEY+";
	const char *name, *hex, *b64;
	size_t namelen, hexlen, keylen = 0;
	unsigned char *key = NULL;
	char nbuf[NOTE_MAX_NAME + 1];
	EVP_PKEY *pkey = NULL;
	uint32_t id;
	enum rc_code rc;

	*out = NULL;
	if (strncmp(skey, prefix, sizeof(prefix) - 1) != 0 ||
	    !split3(skey + sizeof(prefix) - 1, &name, &namelen, &hex, &hexlen,
	        &b64) ||
	    namelen > NOTE_MAX_NAME || !parse_hex32(hex, hexlen, &id)) {
		rc = RC_ERR(err, RC_EINVAL, "malformed private key string");
		goto out;
	}
	memcpy(nbuf, name, namelen);
	nbuf[namelen] = '\0';
	rc = note_base64_decode(b64, strlen(b64), &key, &keylen);
	if (rc != RC_OK || keylen != 33 || key[0] != NOTE_TYPE_ED25519) {
		rc = RC_ERR(err, RC_EINVAL, "malformed private key string");
		goto out;
	}
	pkey =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key + 1, 32);
	if (pkey == NULL) {
		rc = RC_ERR(err, RC_ECRYPTO, "invalid Ed25519 seed");
		goto out;
	}
	if ((rc = note_signer_new(nbuf, NOTE_TYPE_ED25519, pkey, out, err)) !=
	    RC_OK)
		goto out;
	if ((*out)->id != id) {
		note_signer_free(*out);
		*out = NULL;
		rc = RC_ERR(err, RC_EINVAL,
		    "private key string: key ID does not match the key");
	}
out:
	if (key != NULL)
		rc_free_secret(key, keylen);
	EVP_PKEY_free(pkey);
	return rc;
}

enum rc_code
note_signer_vkey(const struct note_signer *s, char **out)
{
	unsigned char raw[33];
	char *b64 = NULL, *v = NULL;
	enum rc_code rc;
	size_t n;

	*out = NULL;
	raw[0] = s->type;
	memcpy(raw + 1, s->pub, 32);
	if ((rc = rc_base64_encode(raw, sizeof(raw), &b64)) != RC_OK)
		return rc;
	n = strlen(s->name) + 1 + 8 + 1 + strlen(b64) + 1;
	if ((v = rc_malloc(n)) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	snprintf(v, n, "%s+%08x+%s", s->name, (unsigned)s->id, b64);
	*out = v;
out:
	rc_free(b64);
	return rc;
}

enum rc_code
note_verifier_parse(const char *vkey, struct note_verifier **out,
    struct rc_err *err)
{
	struct note_verifier *v = NULL;
	const char *name, *hex, *b64;
	size_t namelen, hexlen, keylen = 0;
	unsigned char *key = NULL;
	uint32_t id, want;
	enum rc_code rc;

	*out = NULL;
	if (!split3(vkey, &name, &namelen, &hex, &hexlen, &b64)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "verifier key is not name+keyid+key");
		goto out;
	}
	if (!name_valid_n(name, namelen)) {
		rc = RC_ERR(err, RC_EINVAL, "verifier key: invalid key name");
		goto out;
	}
	if (!parse_hex32(hex, hexlen, &id)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "verifier key: key ID is not 8 hex digits");
		goto out;
	}
	rc = note_base64_decode(b64, strlen(b64), &key, &keylen);
	if (rc != RC_OK || keylen != 33 ||
	    (key[0] != NOTE_TYPE_ED25519 && key[0] != NOTE_TYPE_COSIG)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "verifier key: not an Ed25519 (0x01) or cosignature "
		    "(0x04) key");
		goto out;
	}
	if ((v = rc_calloc(1, sizeof(*v))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(v->name, name, namelen);
	v->name[namelen] = '\0';
	v->type = key[0];
	memcpy(v->pub, key + 1, 32);
	if ((rc = note_key_id(v->name, v->type, v->pub, 32, &want)) != RC_OK)
		goto out;
	if (want != id) {
		rc = RC_ERR(err, RC_EINVAL,
		    "verifier key: key ID %08x does not match the key "
		    "(expected %08x)",
		    (unsigned)id, (unsigned)want);
		goto out;
	}
	v->id = id;
	v->pkey =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, v->pub, 32);
	if (v->pkey == NULL) {
		rc = RC_ERR(err, RC_ECRYPTO,
		    "verifier key: invalid Ed25519 key");
		goto out;
	}
	*out = v;
	v = NULL; /* transferred */
out:
	rc_free(key);
	note_verifier_free(v);
	return rc;
}

enum rc_code
note_verifier_vkey_string(const struct note_verifier *v, char **out)
{
	unsigned char raw[33];
	char *b64 = NULL;
	size_t n;
	enum rc_code rc;

	*out = NULL;
	raw[0] = v->type;
	memcpy(raw + 1, v->pub, 32);
	if ((rc = rc_base64_encode(raw, sizeof(raw), &b64)) != RC_OK)
		return rc;
	n = strlen(v->name) + strlen(b64) + 13;
	if ((*out = rc_malloc(n)) == NULL)
		rc = RC_ENOMEM;
	else
		snprintf(*out, n, "%s+%08x+%s\n", v->name, (unsigned)v->id,
		    b64);
	rc_free(b64);
	return rc;
}

void
note_verifier_free(struct note_verifier *v)
{
	if (v == NULL)
		return;
	EVP_PKEY_free(v->pkey);
	rc_free(v);
}

/* "cosignature/v1\ntime <t>\n" + text, in a new buffer. */
static enum rc_code
cosig_message(const char *text, size_t len, uint64_t t, char **out,
    size_t *outlen)
{
	char head[64];
	int h;

	h = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n",
	    (unsigned long long)t);
	if (h < 0 || (size_t)h >= sizeof(head))
		return RC_EINVAL;
	if ((*out = rc_malloc((size_t)h + len + 1)) == NULL)
		return RC_ENOMEM;
	memcpy(*out, head, (size_t)h);
	memcpy(*out + h, text, len);
	(*out)[h + len] = '\0';
	*outlen = (size_t)h + len;
	return RC_OK;
}

enum rc_code
note_sign_line(const struct note_signer *s, const char *text, size_t len,
    uint64_t time, char **line, struct rc_err *err)
{
	unsigned char raw[4 + 8 + 64], *sig;
	char *msg = NULL, *b64 = NULL;
	size_t msglen = 0, rawlen, n;
	enum rc_code rc;
	int i;

	*line = NULL;
	raw[0] = (unsigned char)(s->id >> 24);
	raw[1] = (unsigned char)(s->id >> 16);
	raw[2] = (unsigned char)(s->id >> 8);
	raw[3] = (unsigned char)s->id;
	if (s->type == NOTE_TYPE_COSIG) {
		for (i = 0; i < 8; i++)
			raw[4 + i] = (unsigned char)(time >> (56 - 8 * i));
		sig = raw + 12;
		rawlen = sizeof(raw);
		if ((rc = cosig_message(text, len, time, &msg, &msglen)) !=
		    RC_OK) {
			RC_ERR(err, rc, "cannot build the cosigned message");
			goto out;
		}
		rc = note_ed25519_sign(s->pkey, msg, msglen, sig);
	} else {
		sig = raw + 4;
		rawlen = 4 + 64;
		rc = note_ed25519_sign(s->pkey, text, len, sig);
	}
	if (rc != RC_OK) {
		RC_ERR(err, rc, "Ed25519 signing failed");
		goto out;
	}
	if ((rc = rc_base64_encode(raw, rawlen, &b64)) != RC_OK)
		goto out;
	n = SIG_PREFIX_LEN + strlen(s->name) + 1 + strlen(b64) + 2;
	if ((*line = rc_malloc(n)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(*line, n, "%s%s %s\n", sig_prefix, s->name, b64);
out:
	rc_free(msg);
	rc_free(b64);
	return rc;
}

enum rc_code
note_sign(const char *text, size_t len,
    const struct note_signer *const *signers, size_t n, char **out,
    size_t *outlen, struct rc_err *err)
{
	char *line = NULL, *res = NULL;
	size_t total, i, l;
	enum rc_code rc = RC_OK;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || text[len - 1] != '\n' || !text_valid(text, len))
		return RC_ERR(err, RC_EINVAL,
		    "note text must be UTF-8 ending in a newline, without "
		    "control characters");
	for (i = 0; i + 1 < len; i++)
		if (text[i] == '\n' && text[i + 1] == '\n')
			return RC_ERR(err, RC_EINVAL,
			    "note text must not contain a blank line");
	if (n == 0 || n > NOTE_MAX_SIGS)
		return RC_ERR(err, RC_EINVAL, "bad number of signers");
	total = len + 1;
	if ((res = rc_malloc(total + 1)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	memcpy(res, text, len);
	res[len] = '\n';
	for (i = 0; i < n; i++) {
		char *grown;

		if ((rc = note_sign_line(signers[i], text, len, 0, &line,
		         err)) != RC_OK)
			goto out;
		l = strlen(line);
		if ((grown = rc_realloc(res, total + l + 1)) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		res = grown;
		memcpy(res + total, line, l);
		total += l;
		rc_free(line);
		line = NULL;
	}
	res[total] = '\0';
	*out = res;
	*outlen = total;
	res = NULL; /* transferred */
out:
	rc_free(line);
	rc_free(res);
	return rc;
}

/* The last "\n\n" in msg, or NULL. */
static const char *
last_blank(const char *msg, size_t len)
{
	size_t i;

	for (i = len; i >= 2; i--)
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n')
			return msg + i - 2;
	return NULL;
}

enum rc_code
note_open(const char *msg, size_t len, const struct note_verifier *const *known,
    size_t nknown, struct note_result *res, struct rc_err *err)
{
	struct note_result r;
	const char *split, *p, *end, *nl, *sp;
	unsigned char *sig = NULL;
	char *cmsg = NULL;
	size_t siglen = 0, text_len, nsig = 0, k, cmlen = 0;
	uint32_t id;
	uint64_t t;
	enum rc_code rc = RC_OK;
	int ok;

	memset(&r, 0, sizeof(r));
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (nknown > 8)
		return RC_ERR(err, RC_EINVAL, "at most 8 known keys");
	if (len > NOTE_MAX_BYTES || !text_valid(msg, len))
		return RC_ERR(err, RC_EPARSE,
		    "malformed note: not UTF-8 text without control "
		    "characters");
	if ((split = last_blank(msg, len)) == NULL)
		return RC_ERR(err, RC_EPARSE,
		    "malformed note: no blank line before the signatures");
	text_len = (size_t)(split - msg) + 1;
	p = split + 2;
	end = msg + len;
	if (p == end || end[-1] != '\n')
		return RC_ERR(err, RC_EPARSE,
		    "malformed note: no signature, or no final newline");
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (++nsig > NOTE_MAX_SIGS) {
			rc = RC_ERR(err, RC_EPARSE,
			    "note has too many "
			    "signatures");
			goto out;
		}
		if ((size_t)(nl - p) < SIG_PREFIX_LEN ||
		    memcmp(p, sig_prefix, SIG_PREFIX_LEN) != 0) {
			rc = RC_ERR(err, RC_EPARSE,
			    "malformed note: signature line %zu does not "
			    "start with \"— \"",
			    nsig);
			goto out;
		}
		p += SIG_PREFIX_LEN;
		sp = memchr(p, ' ', (size_t)(nl - p));
		rc = RC_EPARSE;
		if (sp != NULL && name_valid_n(p, (size_t)(sp - p)) &&
		    sp + 1 != nl)
			rc = note_base64_decode(sp + 1, (size_t)(nl - sp - 1),
			    &sig, &siglen);
		if (rc == RC_ENOMEM) { /* ours, not the note's fault */
			rc = RC_ERR(err, rc, "out of memory");
			goto out;
		}
		if (rc != RC_OK || siglen < 5) {
			rc = RC_ERR(err, RC_EPARSE,
			    "malformed note: signature line %zu", nsig);
			goto out;
		}
		id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
		    (uint32_t)sig[2] << 8 | sig[3];
		for (k = 0; k < nknown; k++)
			if (known[k]->id == id &&
			    strlen(known[k]->name) == (size_t)(sp - p) &&
			    memcmp(known[k]->name, p, (size_t)(sp - p)) == 0)
				break;
		if (k == nknown) {
			r.nunknown++; /* ignored, as the spec requires */
		} else if (!r.verified[k]) {
			if (known[k]->type == NOTE_TYPE_COSIG) {
				ok = 0;
				if (siglen == 4 + 8 + 64) {
					t = 0;
					for (int i = 0; i < 8; i++)
						t = t << 8 | sig[4 + i];
					if ((rc = cosig_message(msg, text_len,
					         t, &cmsg, &cmlen)) != RC_OK) {
						rc = RC_ERR(err, rc,
						    "cannot build the "
						    "cosigned message");
						goto out;
					}
					ok = note_ed25519_verify(known[k]->pkey,
					    cmsg, cmlen, sig + 12, 64);
					rc_free(cmsg);
					cmsg = NULL;
					r.time[k] = t;
				}
			} else
				ok = note_ed25519_verify(known[k]->pkey, msg,
				    text_len, sig + 4, siglen - 4);
			if (!ok) {
				rc = RC_ERR(err, RC_ECRYPTO,
				    "invalid signature by key %s+%08x",
				    known[k]->name, (unsigned)id);
				goto out;
			}
			r.verified[k] = 1;
			r.nverified++;
		}
		rc_free(sig);
		sig = NULL;
		p = nl + 1;
	}
	if (r.nverified == 0) {
		rc = RC_ERR(err, RC_ECRYPTO,
		    "note is not signed by any known key");
		goto out;
	}
	r.text_len = text_len;
	if (res != NULL)
		*res = r;
out:
	rc_free(sig);
	return rc;
}
