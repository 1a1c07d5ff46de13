/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a site's header and URL bytes on their way into the report
 * (verifier/report.c), the path where invalid UTF-8 once made a check end
 * with "cannot write the report" and dropped the exchange in --batch.
 *
 * The input is NUL-separated fields: secret, URL, Location, Content-Type,
 * Retry-After, Strict-Transport-Security, error message, certificate
 * subject, method.  They fill a probe_res as raw as a hostile site could
 * make them (the redacted forms set to the raw bytes, as if the probe had
 * missed them), the secret is given to report_secret_add, and a check
 * quotes the Content-Type.  Checked: the exchange is recorded (never
 * dropped), the JSON serialises, and neither rendering holds a control
 * byte or the secret.  The secret check is skipped for secrets that the
 * report's own text could form: shorter than 8 bytes, part of
 * "REDACTED", holding JSON punctuation, a backslash, a space or a control
 * byte, or found in the rendering of a report whose site fields are all
 * empty (its fixed vocabulary: keys, status words).  A violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/mem.h"
#include "verifier/probe.h"
#include "verifier/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 9

static void
check_text(const char *s, size_t n, const char *secret, int check_secret)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n') || c == 0x7F)
			abort();
		if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9F)
			abort();
	}
	if (check_secret && strstr(s, secret) != NULL)
		abort();
}

/* Both renderings of a report with one exchange from res (malloc). */
static int
render(const struct probe_res *res, const char *secret, const char *detail,
    char **dump, char **text, size_t *tlen)
{
	struct report *rep;
	struct report_section *sec;
	json_t *j = NULL;
	FILE *mf;
	int idx, ret = -1;

	*dump = *text = NULL;
	if ((rep = report_new("FUZZ")) == NULL ||
	    report_secret_add(rep, secret) != RC_OK ||
	    (sec = report_section_add(rep, "api", res->location_redacted)) ==
	        NULL)
		goto out;
	if ((idx = report_exchange_add(rep, res)) < 0)
		abort(); /* evidence dropped */
	if (report_check(sec, "api.token.live", CHECK_PASS, 1, &idx, 1,
	        "the site answered %s", detail) != RC_OK)
		goto out;
	if ((j = report_to_json(rep)) == NULL ||
	    (*dump = json_dumps(j, JSON_COMPACT)) == NULL)
		abort(); /* "cannot write the report" */
	if ((mf = open_memstream(text, tlen)) == NULL)
		goto out;
	report_print_text(rep, mf);
	fclose(mf);
	ret = 0;
out:
	json_decref(j);
	report_free(rep);
	return ret;
}

/* Whether the report's own text could form secret (see above). */
static int
secret_checkable(const char *secret)
{
	struct probe_header hdrs[3];
	struct probe_res res;
	char *dump = NULL, *text = NULL;
	size_t tlen = 0, i;
	int ok;

	if (strlen(secret) < 8 || strstr("REDACTED", secret) != NULL ||
	    strpbrk(secret, "\"\\:,{}[] ") != NULL)
		return 0;
	for (i = 0; secret[i] != '\0'; i++)
		if ((unsigned char)secret[i] < 0x20 ||
		    (unsigned char)secret[i] >= 0x7F)
			return 0;
	memset(&res, 0, sizeof(res));
	memset(hdrs, 0, sizeof(hdrs));
	hdrs[0].name = (char *)(uintptr_t) "Content-Type";
	hdrs[1].name = (char *)(uintptr_t) "Retry-After";
	hdrs[2].name = (char *)(uintptr_t) "Strict-Transport-Security";
	for (i = 0; i < 3; i++)
		hdrs[i].value = hdrs[i].value_redacted = (char *)(uintptr_t) "";
	res.headers = hdrs;
	res.nheaders = 3;
	res.url = res.url_redacted = (char *)(uintptr_t) "";
	res.location = res.location_redacted = (char *)(uintptr_t) "";
	res.method = (char *)(uintptr_t) "";
	res.outcome = PROBE_TLS;
	res.status = 302;
	snprintf(res.tls_version, sizeof(res.tls_version), "x");
	if (render(&res, NULL, "", &dump, &text, &tlen) != 0)
		ok = 0;
	else
		ok = strstr(dump, secret) == NULL &&
		    strstr(text, secret) == NULL;
	free(dump);
	free(text);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *f[NFIELDS], *p, *end, *dump = NULL, *text = NULL;
	struct probe_header hdrs[3];
	struct probe_res res;
	size_t i, tlen = 0;
	int check_secret;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0, p = buf, end = buf + size; i < NFIELDS; i++) {
		f[i] = p;
		p += strlen(p);
		if (p < end)
			p++;
	}
	check_secret = secret_checkable(f[0]);

	memset(&res, 0, sizeof(res));
	memset(hdrs, 0, sizeof(hdrs));
	hdrs[0].name = (char *)(uintptr_t) "Content-Type";
	hdrs[1].name = (char *)(uintptr_t) "Retry-After";
	hdrs[2].name = (char *)(uintptr_t) "Strict-Transport-Security";
	for (i = 0; i < 3; i++)
		hdrs[i].value = hdrs[i].value_redacted = f[3 + i];
	res.headers = hdrs;
	res.nheaders = 3;
	res.url = res.url_redacted = f[1];
	res.location = res.location_redacted = f[2];
	res.method = f[8];
	res.outcome = (enum probe_outcome)(size % PROBE__MAX);
	res.status = (long)(size % 600);
	snprintf(res.errmsg, sizeof(res.errmsg), "%s", f[6]);
	snprintf(res.cert_subject, sizeof(res.cert_subject), "%s", f[7]);
	snprintf(res.tls_version, sizeof(res.tls_version), "%s", f[7]);

	if (render(&res, f[0], f[3], &dump, &text, &tlen) == 0) {
		check_text(dump, strlen(dump), f[0], check_secret);
		check_text(text, tlen, f[0], check_secret);
	}
	free(text);
	free(dump);
	free(buf);
	return 0;
}
