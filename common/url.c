/* SPDX-License-Identifier: MIT */
/*
 * URL input checks with curl_url (see url.h).
 */
#include <string.h>

#include <curl/curl.h>

#include "common/url.h"

enum rc_code
rc_url_check(const char *where, const char *url, int https_only,
    struct rc_err *err)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	enum rc_code rc = RC_OK;
	const char *p;
	CURLUcode uc;
	CURLU *h;

	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return RC_ERR(err, RC_EINVAL,
			    "%s: must be a URL of printable ASCII without "
			    "spaces (percent-encode, use punycode for "
			    "international names)",
			    where);
	if ((h = curl_url()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	uc = curl_url_set(h, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OUT_OF_MEMORY)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
	else if (uc != CURLUE_OK)
		rc = RC_ERR(err, RC_EINVAL, "%s: not an absolute %s URL (%s)",
		    where, https_only ? "https" : "http(s)",
		    curl_url_strerror(uc));
	else if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 &&
	        (https_only || strcmp(scheme, "http") != 0)))
		rc = https_only
		    ? RC_ERR(err, RC_EINVAL,
		          "%s: must be an https URL (TLS is never optional)",
		          where)
		    : RC_ERR(err, RC_EINVAL,
		          "%s: scheme must be https (or http), not %s", where,
		          scheme ? scheme : "none");
	else if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		rc = RC_ERR(err, RC_EINVAL, "%s: the URL has no host", where);
	else if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: user information (user:password@) is not allowed in "
		    "a URL",
		    where);
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(h);
	return rc;
}
