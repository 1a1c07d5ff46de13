/* SPDX-License-Identifier: MIT */
/*
 * URL input checks shared by the dossier and the configuration parsers:
 * an absolute http(s) URL that libcurl's curl_url() accepts (RFC 3986),
 * with a host, no user information and only printable ASCII.
 */
#ifndef RC_COMMON_URL_H
#define RC_COMMON_URL_H

#include "common/err.h"

/*
 * Check url; where names it in messages ("integrations[0].login_url").
 * https_only refuses http too (configuration: TLS is never optional); a
 * dossier accepts http because plain http is a check finding, not an
 * input error.  RC_EINVAL with the reason in err, RC_ENOMEM.
 */
enum rc_code rc_url_check(const char *where, const char *url, int https_only,
    struct rc_err *err);

#endif /* RC_COMMON_URL_H */
