/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON input helpers (see json.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/util.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/mem.h"

void
rc_json_setup(void)
{
	json_set_alloc_funcs(rc_malloc, rc_free_wiped);
}

json_t *
rc_json_parse(const char *data, size_t len, json_error_t *jerr, int *oom)
{
	unsigned long before = rc_mem_refused();
	json_t *j;

	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, jerr);
	/*
	 * Even a document jansson returns is suspect: its lexer ignores a
	 * failed append to its token buffer (lex_save), so a refused
	 * allocation can cut a string value short without any error.
	 */
	*oom = rc_mem_refused() != before;
	if (*oom) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

enum rc_code
rc_json_loadb(const char *data, size_t len, const char *what, json_t **out,
    struct rc_err *err)
{
	json_error_t jerr;
	json_t *j;
	char *near;
	int oom;

	*out = NULL;
	j = rc_json_parse(data, len, &jerr, &oom);
	if (oom)
		return RC_ERR(err, RC_ENOMEM, "%s: out of memory while parsing",
		    what);
	if (j == NULL) {
		/*
		 * jansson ends its message with " near '<up to 20 bytes of
		 * the input>'", which may be a token's first bytes (a bad
		 * escape inside a secret): the line and column say where.
		 */
		if ((near = strstr(jerr.text, " near '")) != NULL)
			*near = '\0';
		return RC_ERR(err, RC_EPARSE, "%s: line %d, column %d: %s",
		    what, jerr.line, jerr.column, jerr.text);
	}
	*out = j;
	return RC_OK;
}

/*
 * cjose 0.6's decoder aborts (assert) on some malformed input, such as an
 * '=' inside a part (docs/fc_rules.md): the alphabet is checked first.
 */
int
rc_b64url_ok(const char *p, size_t n)
{
	size_t i;

	if (n % 4 == 1)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

enum rc_code
rc_json_b64url_object(const char *p, size_t n, const char *what, json_t **out,
    struct rc_err *err)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_error_t jerr;
	cjose_err cerr;
	json_t *j = NULL;
	enum rc_code rc = RC_OK;

	*out = NULL;
	if (n == 0)
		return RC_ERR(err, RC_EPARSE, "%s: empty", what);
	if (!rc_b64url_ok(p, n))
		return RC_ERR(err, RC_EPARSE, "%s: not base64url", what);
	if (!cjose_base64url_decode(p, n, &raw, &rawlen, &cerr)) {
		rc = RC_ERR(err,
		    cerr.code == CJOSE_ERR_NO_MEMORY ? RC_ENOMEM : RC_EPARSE,
		    "%s: not base64url", what);
		goto out;
	}
	j = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (j == NULL || !json_is_object(j)) {
		rc = RC_ERR(err,
		    j == NULL &&
		            json_error_code(&jerr) == json_error_out_of_memory
		        ? RC_ENOMEM
		        : RC_EPARSE,
		    "%s: not a JSON object", what);
		goto out;
	}
	*out = j;
	j = NULL; /* transferred */
out:
	json_decref(j);
	if (raw != NULL) {
		OPENSSL_cleanse(raw, rawlen);
		cjose_get_dealloc()(raw);
	}
	return rc;
}

enum rc_code
rc_json_load_file(const char *file, size_t max, json_t **out,
    struct rc_err *err)
{
	struct rc_buf b;
	char chunk[8192];
	enum rc_code rc = RC_OK;
	size_t n;
	FILE *f;

	*out = NULL;
	rc_buf_init(&b, max);
	/* "-" is the standard input (`raccord check -`). */
	if (strcmp(file, "-") == 0)
		f = stdin;
	else if ((f = fopen(file, "rb")) == NULL)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", file,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = rc_buf_add(&b, chunk, n);
		if (rc == RC_EINVAL) {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s: larger than the %zu-byte limit", file, max);
			goto out;
		}
		if (rc != RC_OK) {
			rc = RC_ERR(err, rc, "%s: %s", file, rc_strerror(rc));
			goto out;
		}
	}
	if (ferror(f)) {
		rc = RC_ERR(err, RC_ESYS, "%s: read error: %s", file,
		    strerror(errno));
		goto out;
	}
	rc = rc_json_loadb(b.data ? b.data : "", b.len, file, out, err);
out:
	if (f != stdin)
		fclose(f);
	rc_buf_free(&b);
	return rc;
}

void
rc_json_path(char *out, size_t outlen, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, outlen, "%s", key);
	else
		snprintf(out, outlen, "%s.%s", parent, key);
}

void
rc_json_path_index(char *out, size_t outlen, const char *parent, size_t index)
{
	snprintf(out, outlen, "%s[%zu]", parent ? parent : "", index);
}

/* Levenshtein distance of a and b, capped: strings are short names. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev +
			    (tolower((unsigned char)a[i - 1]) !=
			        tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
rc_suggest(const char *s, const char *const *list)
{
	const char *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit;

	if (s == NULL)
		return NULL;
	limit = strlen(s) <= 4 ? 1 : 2;
	for (i = 0; list[i] != NULL; i++) {
		d = edit_distance(s, list[i]);
		if (d <= limit && d < bestd) {
			best = list[i];
			bestd = d;
		}
	}
	return best;
}

void
rc_list_join(char *out, size_t len, const char *const *list)
{
	size_t i, n = 0;
	int w;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; list[i] != NULL && n < len; i++) {
		w = snprintf(out + n, len - n, "%s%s", i ? ", " : "", list[i]);
		if (w < 0 || (size_t)w >= len - n) {
			/* cut: end on an ellipsis rather than half a name */
			if (len >= 4)
				memcpy(out + len - 4, "...", 4);
			return;
		}
		n += (size_t)w;
	}
}

/*
 * Record an error in errs for every key of obj not in allowed or, when
 * errs is NULL, the first one in err.
 */
static enum rc_code
unknown_keys(json_t *obj, const char *path, const char *const *allowed,
    struct rc_err *err, struct rc_errs *errs)
{
	const char *key, *guess;
	char where[256], names[400];
	struct rc_err one;
	enum rc_code rc = RC_OK;
	json_t *val;
	size_t i;

	json_object_foreach(obj, key, val)
	{
		(void)val;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		guess = rc_suggest(key, allowed);
		rc_json_path(where, sizeof(where), path, key);
		rc_list_join(names, sizeof(names), allowed);
		rc_err_clear(&one);
		rc = RC_ERR(&one, RC_EINVAL,
		    "%s: unknown key%s%s%s (allowed: %s)", where,
		    guess ? "; did you mean \"" : "", guess ? guess : "",
		    guess ? "\"?" : "", names);
		if (errs == NULL)
			return rc_err_set(err, rc, one.func, "%s", one.msg);
		rc_errs_add(errs, &one);
	}
	return rc;
}

enum rc_code
rc_json_only_keys(json_t *obj, const char *path, const char *const *allowed,
    struct rc_err *err)
{
	if (!json_is_object(obj))
		return RC_ERR(err, RC_EINVAL, "%s: must be an object",
		    path && path[0] ? path : "(document)");
	return unknown_keys(obj, path, allowed, err, NULL);
}

enum rc_code
rc_json_only_keys_all(json_t *obj, const char *path, const char *const *allowed,
    struct rc_errs *errs)
{
	if (!json_is_object(obj))
		return RC_ERRS(errs, RC_EINVAL, "%s: must be an object",
		    path && path[0] ? path : "(document)");
	return unknown_keys(obj, path, allowed, NULL, errs);
}

int
rc_str_has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Find key; *where receives its path.  NULL when absent. */
static json_t *
lookup(json_t *obj, const char *path, const char *key, char *where, size_t wlen)
{
	rc_json_path(where, wlen, path, key);
	return json_object_get(obj, key);
}

enum rc_code
rc_json_get_string(json_t *obj, const char *path, const char *key, int required,
    int nonempty, const char **out, struct rc_err *err)
{
	char where[256];
	json_t *v = lookup(obj, path, key, where, sizeof(where));
	const char *s;

	if (v == NULL)
		return required
		    ? RC_ERR(err, RC_EINVAL, "%s: is required", where)
		    : RC_OK;
	if (!json_is_string(v))
		return RC_ERR(err, RC_EINVAL, "%s: must be a string", where);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return RC_ERR(err, RC_EINVAL, "%s: contains a NUL byte", where);
	if (rc_str_has_ctrl(s))
		return RC_ERR(err, RC_EINVAL,
		    "%s: contains a control character", where);
	if (nonempty && s[0] == '\0')
		return RC_ERR(err, RC_EINVAL, "%s: must not be empty", where);
	*out = s;
	return RC_OK;
}

enum rc_code
rc_json_get_int(json_t *obj, const char *path, const char *key, int required,
    long long lo, long long hi, long long *out, struct rc_err *err)
{
	char where[256];
	json_t *v = lookup(obj, path, key, where, sizeof(where));
	long long x;

	if (v == NULL)
		return required
		    ? RC_ERR(err, RC_EINVAL, "%s: is required", where)
		    : RC_OK;
	if (!json_is_integer(v))
		return RC_ERR(err, RC_EINVAL, "%s: must be an integer", where);
	x = json_integer_value(v);
	if (x < lo || x > hi)
		return RC_ERR(err, RC_EINVAL,
		    "%s: must be between %lld and %lld (got %lld)", where, lo,
		    hi, x);
	*out = x;
	return RC_OK;
}

enum rc_code
rc_json_get_bool(json_t *obj, const char *path, const char *key, int required,
    int *out, struct rc_err *err)
{
	char where[256];
	json_t *v = lookup(obj, path, key, where, sizeof(where));

	if (v == NULL)
		return required
		    ? RC_ERR(err, RC_EINVAL, "%s: is required", where)
		    : RC_OK;
	if (!json_is_boolean(v))
		return RC_ERR(err, RC_EINVAL, "%s: must be true or false",
		    where);
	*out = json_is_true(v);
	return RC_OK;
}

enum rc_code
rc_json_get_object(json_t *obj, const char *path, const char *key, int required,
    json_t **out, struct rc_err *err)
{
	char where[256];
	json_t *v = lookup(obj, path, key, where, sizeof(where));

	if (v == NULL)
		return required
		    ? RC_ERR(err, RC_EINVAL, "%s: is required", where)
		    : RC_OK;
	if (!json_is_object(v))
		return RC_ERR(err, RC_EINVAL, "%s: must be an object", where);
	*out = v;
	return RC_OK;
}

enum rc_code
rc_json_get_array(json_t *obj, const char *path, const char *key, int required,
    json_t **out, struct rc_err *err)
{
	char where[256];
	json_t *v = lookup(obj, path, key, where, sizeof(where));

	if (v == NULL)
		return required
		    ? RC_ERR(err, RC_EINVAL, "%s: is required", where)
		    : RC_OK;
	if (!json_is_array(v))
		return RC_ERR(err, RC_EINVAL, "%s: must be an array", where);
	*out = v;
	return RC_OK;
}
