/* SPDX-License-Identifier: MIT */
/*
 * DataPass webhooks: signature, parsing, freshness (see intake.h).  The
 * daemon's route (connector/daemon/route_intake.c) adds the replay
 * refusal and the re-check through the job store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/digest.h"
#include "common/ident.h"
#include "common/json.h"
#include "common/mem.h"
#include "connector/intake/intake.h"
#include "verifier/secret.h"

bool
intake_dp_signature_ok(const void *secret, size_t secret_len, const void *body,
    size_t len, const char *header)
{
	unsigned char want[EVP_MAX_MD_SIZE], got[32];
	unsigned int wlen = 0;
	bool ok;

	if (header == NULL || strncmp(header, "sha256=", 7) != 0 ||
	    strlen(header + 7) != 64 ||
	    rc_unhex(header + 7, got, sizeof(got)) != RC_OK)
		return false;
	if (secret_len > INT32_MAX ||
	    HMAC(EVP_sha256(), secret, (int)secret_len,
	        body != NULL ? body : (const void *)"", len, want,
	        &wlen) == NULL ||
	    wlen != sizeof(got))
		return false;
	ok = CRYPTO_memcmp(want, got, sizeof(got)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* "france_connect*" or "api_*" after "authorization_request/". */
static bool
habilitation_kind(const char *model_type)
{
	static const char pre[] = "authorization_request/";
	const char *k;

	if (strncmp(model_type, pre, sizeof(pre) - 1) != 0)
		return false;
	k = model_type + sizeof(pre) - 1;
	return strncmp(k, "france_connect", 14) == 0 ||
	    (strncmp(k, "api_", 4) == 0 && k[4] != '\0');
}

static enum rc_code
copy_field(json_t *root, const char *key, char *out, size_t n,
    struct rc_err *err)
{
	const char *v;
	enum rc_code rc;

	if ((rc = rc_json_get_string(root, "", key, 1, 1, &v, err)) != RC_OK)
		return rc;
	if (strlen(v) >= n || rc_str_has_ctrl(v))
		return RC_ERR(err, RC_EINVAL,
		    "%s: at most %zu printable characters", key, n - 1);
	memcpy(out, v, strlen(v) + 1);
	return RC_OK;
}

enum rc_code
intake_dp_parse(const char *body, size_t len, struct intake_dp_event *ev,
    struct rc_err *err)
{
	json_t *root = NULL, *org, *fired;
	const char *siret, *why = NULL;
	enum rc_code rc;

	memset(ev, 0, sizeof(*ev));
	if ((rc = rc_json_loadb(body != NULL ? body : "", len, "webhook body",
	         &root, err)) != RC_OK)
		return rc;
	if (!json_is_object(root)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "webhook body: a JSON object is required");
		goto out;
	}
	if ((rc = copy_field(root, "event", ev->event, sizeof(ev->event),
	         err)) != RC_OK ||
	    (rc = copy_field(root, "model_type", ev->model_type,
	         sizeof(ev->model_type), err)) != RC_OK)
		goto out;
	fired = json_object_get(root, "fired_at");
	if (!json_is_integer(fired) || json_integer_value(fired) < 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    "fired_at: an integer (epoch seconds) is required");
		goto out;
	}
	ev->fired_at = (long long)json_integer_value(fired);
	org = json_object_get(json_object_get(root, "data"), "organization");
	siret = json_string_value(json_object_get(org, "siret"));
	if (siret != NULL) {
		if (!rc_siret_valid(siret, &why)) {
			rc = RC_ERR(err, RC_EINVAL,
			    "data.organization.siret: %s", why);
			goto out;
		}
		memcpy(ev->siret, siret, 15);
	}
	ev->action = INTAKE_DP_IGNORE;
	if (strcmp(ev->event, "approve") != 0)
		snprintf(ev->why, sizeof(ev->why),
		    "event %.31s: only approve (a validated habilitation) "
		    "triggers a re-check",
		    ev->event);
	else if (!habilitation_kind(ev->model_type))
		snprintf(ev->why, sizeof(ev->why),
		    "model_type %.100s: not a FranceConnect or API "
		    "habilitation",
		    ev->model_type);
	else if (ev->siret[0] == '\0') {
		rc = RC_ERR(err, RC_EINVAL,
		    "data.organization.siret: required for an approve event");
		goto out;
	} else
		ev->action = INTAKE_DP_RECHECK;
out:
	json_decref(root);
	return rc;
}

enum rc_code
intake_dp_fresh(long long fired_at, long long now, long long max_age_s,
    struct rc_err *err)
{
	if (fired_at > now + INTAKE_DP_FUTURE_SKEW)
		return RC_ERR(err, RC_EINVAL,
		    "fired_at: %lld s in the future (clocks more than %d s "
		    "apart?)",
		    fired_at - now, INTAKE_DP_FUTURE_SKEW);
	if (now - fired_at > max_age_s)
		return RC_ERR(err, RC_EINVAL,
		    "fired_at: the event is %lld s old, older than "
		    "intake.datapass.max_age_s (%lld)",
		    now - fired_at, max_age_s);
	return RC_OK;
}

void
intake_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, len);
	rc_free(s);
}

/* The file's bytes: regular, no group/other bits, SECRET_MAX_BYTES. */
static enum rc_code
read_secret_file(const char *file, const char *what, char *buf, size_t *len,
    struct rc_err *err)
{
	struct stat st;
	ssize_t r;
	int fd;

	*len = 0;
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return RC_ERR(err, RC_EINVAL, "%s: %s: cannot open: %s", what,
		    file, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return RC_ERR(err, RC_EINVAL, "%s: %s: not a regular file",
		    what, file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return RC_ERR(err, RC_EINVAL,
		    "%s: %s: readable by group or others (mode %04o); run "
		    "chmod 600 %s",
		    what, file, (unsigned)(st.st_mode & 07777), file);
	}
	while (*len <= SECRET_MAX_BYTES) {
		r = read(fd, buf + *len, SECRET_MAX_BYTES + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	return RC_OK;
}

enum rc_code
intake_secret_read(const char *env, const char *file, const char *what,
    char **out, size_t *len, struct rc_err *err)
{
	char buf[SECRET_MAX_BYTES + 2], source[200];
	struct secret s;
	const char *v;
	size_t n = 0;
	enum rc_code rc;

	*out = NULL;
	*len = 0;
	secret_init(&s);
	if (env != NULL) {
		if ((v = getenv(env)) == NULL || v[0] == '\0')
			return RC_ERR(err, RC_EINVAL,
			    "%s: environment variable %s is not set", what,
			    env);
		snprintf(source, sizeof(source), "%s: environment variable %s",
		    what, env);
		rc = secret_from_bytes(v, strlen(v), source, &s, err);
	} else if (file != NULL) {
		if ((rc = read_secret_file(file, what, buf, &n, err)) != RC_OK)
			return rc;
		snprintf(source, sizeof(source), "%s: %s", what, file);
		rc = secret_from_bytes(buf, n, source, &s, err);
		OPENSSL_cleanse(buf, sizeof(buf));
	} else
		return RC_ERR(err, RC_ECONFIG,
		    "%s: no secret configured (secret_env or secret_file)",
		    what);
	if (rc != RC_OK)
		return rc;
	if ((*out = rc_malloc(s.len + 1)) == NULL) {
		secret_wipe(&s);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	memcpy(*out, s.value, s.len + 1);
	*len = s.len;
	secret_wipe(&s);
	return RC_OK;
}
