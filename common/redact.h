/* SPDX-License-Identifier: MIT */
/*
 * Redaction: the one function through which every string a remote party
 * (or an applicant) chose passes before it reaches a report, a log line or
 * a terminal.
 *
 * A site under probe controls its URLs, its Location, every header value
 * and its bodies.  It can echo the credential raccord sent it (a token in
 * Location or Retry-After), put an authorization code in a URL, or send
 * ESC/BEL bytes that rewrite an instructor's terminal, or bytes that are
 * not UTF-8 and that a JSON writer refuses.  rc_redact turns any byte
 * string into one that is safe everywhere:
 *
 *  1. secrets: every occurrence of each given secret, raw or
 *     percent-encoded (either hex case), becomes "REDACTED";
 *  2. secret-bearing parameters: the value of name=value (URL query,
 *     form, log key) and of a JSON member "name": "value" whose name
 *     carries a secret (rc_redact_param_name: code, *token*, *secret*,
 *     password, api_key, ...) becomes "REDACTED";
 *  3. HTTP credentials: what follows "Bearer " or "Basic " becomes
 *     "REDACTED";
 *  4. bytes: anything but printable UTF-8 is written as \xNN, one escape
 *     per byte: C0 controls (ESC, BEL, CR, LF, TAB...), DEL, the C1
 *     controls U+0080..U+009F, the line separators U+2028/U+2029, bidi
 *     overrides U+202A..U+202E and U+2066..U+2069, invalid, overlong or
 *     truncated UTF-8 sequences and surrogates.
 *
 * rc_redact is idempotent (redacting its own output changes nothing: it
 * runs its passes to a fixed point, at most 4 rounds), so layers may each
 * apply it: the probe with the request's secret, the
 * report with its own, the log.  A backslash is kept as is, so "\x1B" in
 * the output may also be those four characters sent by the site: the
 * evidence's digests are of the raw bytes.
 *
 * The result is valid UTF-8 with no control character: json_string()
 * accepts it, a terminal shows it as text, and it stays on one log line.
 * Nothing is dropped: the evidence is kept, escaped.  Pure (no I/O, no
 * global state); fuzzed by tests/fuzz/fuzz_redact.c.
 */
#ifndef RC_COMMON_REDACT_H
#define RC_COMMON_REDACT_H

#include <stddef.h>

#include "common/err.h"

/* What replaces a secret. */
#define RC_REDACTED "REDACTED"

/*
 * Redact n bytes of s (which may hold NUL bytes; s may be NULL when n is
 * 0).  secrets is a NULL-terminated list of strings to hide (NULL for
 * none; empty entries are ignored).  On success *out is a new
 * NUL-terminated string for rc_free; on RC_ENOMEM *out is NULL.
 */
enum rc_code rc_redact(const char *s, size_t n, const char *const *secrets,
    char **out);

/*
 * rc_redact of a NUL-terminated string with at most one secret (NULL for
 * none).  Returns a new string for rc_free, or NULL on ENOMEM.  s NULL
 * gives "".
 */
char *rc_redact_str(const char *s, const char *secret);

/*
 * Whether a parameter name (n bytes, not decoded) names a secret: code,
 * key, apikey, api_key, assertion, client_assertion, pwd, passwd, sig,
 * signature, id_token_hint, or any name containing "token", "secret" or
 * "password" (ASCII case-insensitive).
 */
int rc_redact_param_name(const char *name, size_t n);

#endif /* RC_COMMON_REDACT_H */
