/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON input helpers over jansson.
 *
 * Every document is loaded with JSON_REJECT_DUPLICATES.  Getters take the
 * JSON path of the parent object ("collectivite", "integrations[1]") so
 * that every error names exactly where the problem is, e.g.
 * "collectivite.siren: must be a string".  Unknown keys are errors.
 */
#ifndef RC_COMMON_JSON_H
#define RC_COMMON_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/*
 * Route jansson's allocations through rc_malloc/rc_free_wiped, so that an
 * out-of-memory inside jansson is counted (rc_mem_refused) and reached by
 * the tests' allocation-failure injector, and a string jansson frees (a
 * token of a submitted dossier) is wiped first.  Call once at the start of
 * main, before any JSON is built.
 */
void rc_json_setup(void);

/*
 * json_loadb with duplicate keys refused.  NULL with *oom set when an
 * allocation was refused during the parse: jansson reports that as a
 * syntax error with a misleading text (which would blame the input), or
 * not at all (its lexer drops the byte it could not save and returns a
 * document with a shortened string).
 */
json_t *rc_json_parse(const char *data, size_t len, json_error_t *jerr,
    int *oom);

/*
 * Load a JSON document from memory.  what names the source in errors (a
 * file name, "request body").  *out is a new reference.  RC_EPARSE with
 * line and column on malformed JSON or duplicate keys; RC_ENOMEM when
 * memory ran out (after rc_json_setup).
 */
enum rc_code rc_json_loadb(const char *data, size_t len, const char *what,
    json_t **out, struct rc_err *err);

/* n bytes of unpadded base64url (RFC 4648 §5): the alphabet, no '='. */
int rc_b64url_ok(const char *p, size_t n);

/*
 * One part of a JWS compact token (RFC 7515 §7.1): n bytes of unpadded
 * base64url, decoded with cjose and loaded as a JSON object (duplicate
 * keys rejected).  The only decoder of token parts: oidc/jwt.c and
 * apiclients/api_jwt.c both call it.  what names the part in errors
 * ("JWT header").  The decoded bytes are wiped before they are freed.
 * *out is a new reference.  RC_EPARSE when empty, not base64url or not
 * a JSON object; RC_ENOMEM.
 */
enum rc_code rc_json_b64url_object(const char *p, size_t n, const char *what,
    json_t **out, struct rc_err *err);

/*
 * Read a whole file (at most max bytes) and load it.  RC_ESYS when the
 * file cannot be read, RC_EINVAL when it is larger than max.
 */
enum rc_code rc_json_load_file(const char *file, size_t max, json_t **out,
    struct rc_err *err);

/* Join a parent path and a key: "a" + "b" -> "a.b"; "" + "b" -> "b". */
void rc_json_path(char *out, size_t outlen, const char *parent,
    const char *key);

/* Path of an array element: "a" + 3 -> "a[3]". */
void rc_json_path_index(char *out, size_t outlen, const char *parent,
    size_t index);

/*
 * The entry of the NULL-terminated list closest to s (case-insensitive
 * edit distance at most 1 for short names, 2 otherwise), borrowed from
 * list, or NULL: the "did you mean" of an input error.
 */
const char *rc_suggest(const char *s, const char *const *list);

/* list's entries joined with ", " into out (cut with "..." if long). */
void rc_list_join(char *out, size_t len, const char *const *list);

/*
 * Fail with RC_EINVAL naming path.key for the first key of obj that is
 * not in allowed (a NULL-terminated list), with the allowed keys and a
 * "did you mean".  RC_EINVAL when obj is not an object.
 */
enum rc_code rc_json_only_keys(json_t *obj, const char *path,
    const char *const *allowed, struct rc_err *err);

/* The same, recording every unknown key of obj in errs. */
enum rc_code rc_json_only_keys_all(json_t *obj, const char *path,
    const char *const *allowed, struct rc_errs *errs);

/*
 * Typed getters.  A missing key leaves *out untouched and is an error
 * only when required.  A present key of the wrong type is always an
 * error.  Strings must be valid UTF-8 without control characters and,
 * when nonempty is set, not empty.  Returned strings are borrowed from
 * obj.
 */
enum rc_code rc_json_get_string(json_t *obj, const char *path, const char *key,
    int required, int nonempty, const char **out, struct rc_err *err);
enum rc_code rc_json_get_int(json_t *obj, const char *path, const char *key,
    int required, long long lo, long long hi, long long *out,
    struct rc_err *err);
enum rc_code rc_json_get_bool(json_t *obj, const char *path, const char *key,
    int required, int *out, struct rc_err *err);
enum rc_code rc_json_get_object(json_t *obj, const char *path, const char *key,
    int required, json_t **out, struct rc_err *err);
enum rc_code rc_json_get_array(json_t *obj, const char *path, const char *key,
    int required, json_t **out, struct rc_err *err);

/* True when s holds an ASCII control character (below 0x20, or 0x7f). */
int rc_str_has_ctrl(const char *s);

#endif /* RC_COMMON_JSON_H */
