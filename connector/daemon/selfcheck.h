/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the public self-check page
 * (docs/selfcheck.md), served by `raccord serve` when
 * daemon.selfcheck.enabled is true:
 *
 *   GET  /                 the form (French, DSFR)
 *   POST /selfcheck        a check queued: 303 to /r/<id>
 *   GET  /r/<id>           progress, then the verdict and one row per check
 *   GET  /r/<id>.json      the job's state and report (catalogue texts in)
 *   POST /r/<id>/retest    the same check again, after the cooldown
 *   GET  /regles           the catalogue of checks, in French
 *   GET  /static/...       the DSFR (daemon.selfcheck.static_dir) and the
 *                          page's own script and style (compiled in)
 *
 * Jobs go through the daemon's store and worker like POST /v1/dossiers,
 * submitted as SELFCHECK_BY (a name no token can have: it holds a
 * space); such a job is never awarded.  The HTML escaping and the CSRF
 * token are pure functions, unit-tested in
 * tests/unit/connector/test_daemon_selfcheck.c.
 */
#ifndef RC_CONNECTOR_DAEMON_SELFCHECK_H
#define RC_CONNECTOR_DAEMON_SELFCHECK_H

#include <stddef.h>

#include "common/buf.h"
#include "connector/daemon/http_int.h"

/* The submitter recorded for the page's jobs (no token name has a space). */
#define SELFCHECK_BY "self-check page"
/* A result's public id: base64url of 16 random bytes. */
#define SELFCHECK_ID_LEN 22
/* Bytes of the per-process CSRF key; seconds a form token lives. */
#define SELFCHECK_CSRF_KEY_LEN 32
#define SELFCHECK_CSRF_TTL     7200
/* A CSRF token: "<unix time>.<43 base64url of an HMAC-SHA256>". */
#define SELFCHECK_CSRF_MAX 64

/*
 * Append s to b escaped for HTML text and attribute values (quoted with
 * "): & < > " ' as character references; a control character (other
 * than tab and newline) or a byte that is not part of valid UTF-8 as
 * U+FFFD.  RC_ENOMEM when b refuses.
 */
enum rc_code selfcheck_html_escape(struct rc_buf *b, const char *s);

/*
 * A CSRF token for a form shown at time now to the client bind (its
 * address): now and HMAC-SHA256(key, now, bind).  1 when it fits in n.
 */
int selfcheck_csrf_make(const unsigned char key[SELFCHECK_CSRF_KEY_LEN],
    const char *bind, long long now, char *out, size_t n);

/*
 * 1 when token was made with key for bind at most ttl seconds before now
 * (and not more than 60 s after it); the HMAC compared in constant time.
 */
int selfcheck_csrf_check(const unsigned char key[SELFCHECK_CSRF_KEY_LEN],
    const char *bind, const char *token, long long now, long long ttl);

/* The route module (http_int.h). */
int selfcheck_route(struct http_ctx *x, struct http_req *rq,
    enum MHD_Result *ret);

#endif /* RC_CONNECTOR_DAEMON_SELFCHECK_H */
