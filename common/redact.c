/* SPDX-License-Identifier: MIT */
/*
 * Redaction of strings chosen by remote parties (see redact.h).
 *
 * Two passes: the first works on the raw bytes and replaces secrets
 * (given ones, secret-named parameters, HTTP credentials); the second
 * escapes every byte that is not printable UTF-8 (RFC 3629 §4 for the
 * well-formed sequences; Unicode's C1 controls, line separators and bidi
 * controls, which a terminal or an editor would act on, are escaped too).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/redact.h"
#include "common/utf8.h"

#define REDACT_MAX    (SIZE_MAX / 4)
#define REDACT_ROUNDS 4

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII comparison of n bytes of a with the string b. */
static int
ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || lower((unsigned char)a[i]) != b[i])
			return 0;
	return b[n] == '\0';
}

/* Whether the lower-case word w (wl bytes) occurs in n bytes of s. */
static int
icontains(const char *s, size_t n, const char *w, size_t wl)
{
	size_t i, j;

	for (i = 0; i + wl <= n; i++) {
		for (j = 0; j < wl; j++)
			if (lower((unsigned char)s[i + j]) != w[j])
				break;
		if (j == wl)
			return 1;
	}
	return 0;
}

int
rc_redact_param_name(const char *name, size_t n)
{
	static const char *const exact[] = { "code", "key", "apikey", "api_key",
		"api-key", "assertion", "client_assertion", "pwd", "passwd",
		"sig", "signature", "id_token_hint", NULL };
	static const struct {
		const char *w;
		size_t len;
	} part[] = { { "token", 5 }, { "secret", 6 }, { "password", 8 } };
	size_t i;

	if (n < 3) /* shorter than any name above */
		return 0;
	for (i = 0; exact[i] != NULL; i++)
		if (ieq(name, n, exact[i]))
			return 1;
	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (icontains(name, n, part[i].w, part[i].len))
			return 1;
	return 0;
}

/* --- pass 1: secrets ---------------------------------------------------- */

struct needle {
	const char *s;
	size_t len;
};

/* Percent-encode every byte but RFC 3986 unreserved ones (rc_free). */
static char *
pct_encode(const char *s, const char *hex)
{
	size_t i, o = 0, n = strlen(s);
	unsigned char c;
	char *out;

	if (n > REDACT_MAX / 3 || (out = rc_malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Where a parameter name may start: after one of these, or at 0. */
static int
is_boundary(int c)
{
	return c == '?' || c == '&' || c == '#' || c == ';' || c == ' ' ||
	    c == ',' || c == '"' || c == '\'' || c == '{' || c == '(' ||
	    c == '[' || c == '\t' || c == '\r' || c == '\n' || c == '/';
}

/*
 * Where an unquoted value ends: printable delimiters only.  A control byte
 * does not end it (it would become "\xNN" text, which would not end it
 * when the output is redacted again).
 */
static int
ends_value(int c)
{
	return c == '&' || c == '#' || c == ';' || c == ' ' || c == ',' ||
	    c == '"' || c == '\'' || c == '<' || c == '>' || c == ')' ||
	    c == ']' || c == '}';
}

/*
 * At s[i] (a boundary), a secret-named parameter: name=value, or (after a
 * quote) "name": "value".  Returns the length of the prefix to keep
 * (name and separator) and sets *vlen to the value's length, or returns 0.
 */
static size_t
param_at(const char *s, size_t n, size_t i, size_t *vlen)
{
	size_t j = i, k;
	int quoted = i > 0 && s[i - 1] == '"';

	while (j < n && is_name_char((unsigned char)s[j]))
		j++;
	/*
	 * Only a name followed by '=' (or, quoted, by '"') can start a
	 * parameter: test that before the name itself, which most words of
	 * a sentence would otherwise pay for.
	 */
	if (j == i || j >= n || (s[j] != '=' && !(quoted && s[j] == '"')) ||
	    !rc_redact_param_name(s + i, j - i))
		return 0;
	if (s[j] == '=') {
		for (k = j + 1; k < n && !ends_value((unsigned char)s[k]); k++)
			;
		*vlen = k - (j + 1);
		return j + 1 - i;
	}
	if (!quoted || j >= n || s[j] != '"')
		return 0;
	for (k = j + 1; k < n && s[k] == ' '; k++)
		;
	if (k >= n || s[k] != ':')
		return 0;
	for (k++; k < n && s[k] == ' '; k++)
		;
	if (k >= n || s[k] != '"')
		return 0;
	j = ++k; /* the value, up to an unescaped quote */
	while (k < n && s[k] != '"') {
		if (s[k] == '\\' && k + 1 < n)
			k++;
		k++;
	}
	*vlen = k - j;
	return j - i;
}

/* At s[i] (a boundary), "Bearer " or "Basic ": length of the scheme. */
static size_t
auth_at(const char *s, size_t n, size_t i, size_t *vlen)
{
	static const char *const schemes[] = { "bearer ", "basic ", NULL };
	size_t k, l, j;

	for (k = 0; schemes[k] != NULL; k++) {
		l = strlen(schemes[k]);
		if (n - i < l || !ieq(s + i, l, schemes[k]))
			continue;
		for (j = i + l; j < n && !ends_value((unsigned char)s[j]); j++)
			;
		*vlen = j - (i + l);
		return *vlen > 0 ? l : 0;
	}
	return 0;
}

/*
 * Copy s to b with secrets replaced.  A secret-named parameter's name is
 * copied through the same loop as any text (a given secret inside it is
 * still hidden); its value, from vs to ve, becomes one REDACTED.
 */
static enum rc_code
pass_secrets(const char *s, size_t n, const struct needle *nd, size_t nn,
    struct rc_buf *b)
{
	size_t i = 0, run = 0, k, keep, vlen, vs = SIZE_MAX, ve = 0;

/* Copy the bytes since run, then the replacement; go on at to. */
#define REPLACE(to)                                                            \
	do {                                                                   \
		if (rc_buf_add(b, s + run, i - run) != RC_OK ||                \
		    rc_buf_adds(b, RC_REDACTED) != RC_OK)                      \
			return RC_ENOMEM;                                      \
		i = run = (to);                                                \
	} while (0)

	while (i < n) {
		if (i >= vs) {
			if (i < ve)
				REPLACE(ve);
			vs = SIZE_MAX;
			continue;
		}
		for (k = 0; k < nn; k++)
			if (s[i] == nd[k].s[0] && nd[k].len <= n - i &&
			    memcmp(s + i, nd[k].s, nd[k].len) == 0)
				break;
		if (k < nn) {
			REPLACE(i + nd[k].len);
			continue;
		}
		if (vs == SIZE_MAX &&
		    (i == 0 || is_boundary((unsigned char)s[i - 1]))) {
			vlen = 0;
			keep = param_at(s, n, i, &vlen);
			if (keep == 0)
				keep = auth_at(s, n, i, &vlen);
			if (keep > 0 && vlen > 0) {
				vs = i + keep;
				ve = vs + vlen;
			}
		}
		i++;
	}
	if (vs != SIZE_MAX && vs < ve)
		REPLACE(n);
#undef REPLACE
	if (rc_buf_add(b, s + run, n - run) != RC_OK)
		return RC_ENOMEM;
	return RC_OK;
}

/* --- pass 2: bytes ------------------------------------------------------ */

/* Code points a terminal or an editor would act on. */
static int
cp_is_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static enum rc_code
add_escape(struct rc_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	return rc_buf_add(b, e, sizeof(e));
}

static enum rc_code
pass_bytes(const unsigned char *s, size_t n, struct rc_buf *b)
{
	size_t i = 0, len, j;
	uint32_t cp = 0;

	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7F) {
			for (j = i; j < n && s[j] >= 0x20 && s[j] < 0x7F; j++)
				;
			if (rc_buf_add(b, s + i, j - i) != RC_OK)
				return RC_ENOMEM;
			i = j;
			continue;
		}
		len = s[i] >= 0x80 ? rc_utf8_seq(s + i, n - i, &cp) : 0;
		if (len > 0 && !cp_is_control(cp)) {
			if (rc_buf_add(b, s + i, len) != RC_OK)
				return RC_ENOMEM;
			i += len;
			continue;
		}
		if (len == 0)
			len = 1;
		for (j = 0; j < len; j++)
			if (add_escape(b, s[i + j]) != RC_OK)
				return RC_ENOMEM;
		i += len;
	}
	return RC_OK;
}

/* --- the function ------------------------------------------------------- */

enum rc_code
rc_redact(const char *s, size_t n, const char *const *secrets, char **out)
{
	struct needle *nd = NULL;
	char **enc = NULL;
	struct rc_buf mid, fin;
	char *prev = NULL, *res, *shrunk;
	size_t ns = 0, nn = 0, i;
	int round;
	enum rc_code rc = RC_ENOMEM;

	*out = NULL;
	rc_buf_init(&mid, REDACT_MAX);
	rc_buf_init(&fin, REDACT_MAX);
	if (s == NULL)
		n = 0;
	for (i = 0; secrets != NULL && secrets[i] != NULL; i++)
		ns++;
	if (ns > 0) {
		if ((nd = rc_calloc(ns * 3, sizeof(*nd))) == NULL ||
		    (enc = rc_calloc(ns * 2, sizeof(*enc))) == NULL)
			goto out;
		for (i = 0; i < ns; i++) {
			if (secrets[i][0] == '\0')
				continue;
			nd[nn].s = secrets[i];
			nd[nn++].len = strlen(secrets[i]);
			if ((enc[2 * i] = pct_encode(secrets[i],
			         "0123456789ABCDEF")) == NULL ||
			    (enc[2 * i + 1] = pct_encode(secrets[i],
			         "0123456789abcdef")) == NULL)
				goto out;
			if (strcmp(enc[2 * i], secrets[i]) != 0) {
				nd[nn].s = enc[2 * i];
				nd[nn++].len = strlen(enc[2 * i]);
				nd[nn].s = enc[2 * i + 1];
				nd[nn++].len = strlen(enc[2 * i + 1]);
			}
		}
	}
	/*
	 * Rounds until a fixed point, so that the result is idempotent: a
	 * replacement can join neighbouring text into a secret again, and
	 * escapes can complete a secret-named parameter's value.  Every
	 * round ends with pass_bytes, so every result is safe; REDACT_ROUNDS
	 * bounds the work on inputs built to never settle.
	 */
	for (round = 0; round < REDACT_ROUNDS; round++) {
		rc_buf_reset(&mid);
		rc_buf_reset(&fin);
		if (pass_secrets(s, n, nd, nn, &mid) != RC_OK ||
		    pass_bytes(
		        (const unsigned char *)(mid.data ? mid.data : ""),
		        mid.len, &fin) != RC_OK ||
		    rc_buf_adds(&fin, "") != RC_OK)
			goto out;
		if (fin.len == n && memcmp(fin.data, s, n) == 0)
			break; /* a fixed point (at once, for most strings) */
		rc_free(prev);
		if ((prev = rc_buf_steal(&fin)) == NULL)
			goto out;
		s = prev;
		n = strlen(prev);
	}
	if (round == REDACT_ROUNDS) { /* did not settle: the last round's */
		res = prev;
		prev = NULL;
	} else if ((res = rc_buf_steal(&fin)) == NULL) {
		goto out;
	}
	/* Give back the buffer's slack: reports keep thousands of these. */
	if ((shrunk = rc_realloc(res, strlen(res) + 1)) != NULL)
		res = shrunk;
	*out = res;
	rc = RC_OK;
out:
	for (i = 0; enc != NULL && i < ns * 2; i++)
		if (enc[i] != NULL)
			rc_free_secret(enc[i], strlen(enc[i]));
	rc_free(enc);
	rc_free(nd);
	rc_free(prev);
	rc_buf_free_secret(&mid);
	rc_buf_free(&fin);
	return rc;
}

char *
rc_redact_str(const char *s, const char *secret)
{
	const char *const list[] = { secret, NULL };
	char *out = NULL;

	if (rc_redact(s, s != NULL ? strlen(s) : 0, list, &out) != RC_OK)
		return NULL;
	return out;
}
