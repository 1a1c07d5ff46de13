/* SPDX-License-Identifier: MIT */
/*
 * An OpenID Connect authorization request, as a collectivité's login page
 * emits it in its Location header (OpenID Connect Core 1.0 §3.1.2.1,
 * RFC 6749 §4.1.1).
 *
 * The URL is parsed with libcurl's curl_url() API (RFC 3986); the query is
 * split on '&' and '=' and each name and value is decoded as
 * application/x-www-form-urlencoded ('+' is a space, then %XX via
 * curl_easy_unescape).  Parameters keep their order.  A parameter present
 * more than once is not a parse error: RFC 6749 §3.1 says "Request and
 * response parameters MUST NOT be included more than once", so the
 * duplicate is recorded for fc_authreq_judge() to report as a finding, and
 * oidc_authreq_param() returns the first occurrence.
 *
 * Everything returned by the accessors is borrowed from the request and
 * lives until oidc_authreq_free().
 */
#ifndef RC_OIDC_AUTHREQ_H
#define RC_OIDC_AUTHREQ_H

#include <stddef.h>

#include "common/err.h"

/* Longest URL accepted, in bytes; longer is RC_EINVAL. */
#define OIDC_AUTHREQ_MAX_URL (64 * 1024)
/* Most query parameters accepted; more is RC_EINVAL. */
#define OIDC_AUTHREQ_MAX_PARAMS 256

struct oidc_authreq;

/*
 * Parse an absolute URL.  Returns a new request for oidc_authreq_free, or
 * NULL with err filled: RC_EINVAL when the URL is malformed, relative,
 * longer than OIDC_AUTHREQ_MAX_URL, has more than OIDC_AUTHREQ_MAX_PARAMS
 * parameters or a name or value that decodes to a NUL byte; RC_ENOMEM.
 * Any scheme curl can parse is accepted: judging it is fc_profile's job.
 */
struct oidc_authreq *oidc_authreq_parse(const char *url, struct rc_err *err);

/* Release a request; NULL is a no-op. */
void oidc_authreq_free(struct oidc_authreq *req);

/* The URL as given (borrowed). */
const char *oidc_authreq_url(const struct oidc_authreq *req);

/* Lower-case scheme, e.g. "https" (borrowed, never NULL). */
const char *oidc_authreq_scheme(const struct oidc_authreq *req);

/* Host as curl normalises it, lower case; IPv6 in brackets (borrowed). */
const char *oidc_authreq_host(const struct oidc_authreq *req);

/* Port, the scheme's default when the URL has none (443 for https). */
long oidc_authreq_port(const struct oidc_authreq *req);

/* Path, still percent-encoded as in the URL, "/" at least (borrowed). */
const char *oidc_authreq_path(const struct oidc_authreq *req);

/* Fragment without '#', or NULL when the URL has none (borrowed). */
const char *oidc_authreq_fragment(const struct oidc_authreq *req);

/*
 * Decoded value of the first parameter of that (decoded, case-sensitive)
 * name, or NULL when absent.  A parameter without '=' has value "".
 */
const char *oidc_authreq_param(const struct oidc_authreq *req,
    const char *name);

/* Number of query parameters, duplicates included. */
size_t oidc_authreq_nparams(const struct oidc_authreq *req);

/*
 * The i-th parameter in URL order: *name and *value are borrowed decoded
 * strings.  RC_EINVAL when i is out of range (then both are NULL).
 */
enum rc_code oidc_authreq_param_at(const struct oidc_authreq *req, size_t i,
    const char **name, const char **value);

/* Number of distinct parameter names that occur more than once. */
size_t oidc_authreq_ndups(const struct oidc_authreq *req);

/*
 * The i-th duplicated name (in order of its second occurrence), borrowed;
 * NULL when i is out of range.
 */
const char *oidc_authreq_dup_at(const struct oidc_authreq *req, size_t i);

#endif /* RC_OIDC_AUTHREQ_H */
