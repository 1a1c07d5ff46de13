/* SPDX-License-Identifier: MIT */
/*
 * Reading secrets from mode-checked files and environment variables (see
 * secret.h).  Like signify's key files: O_NOFOLLOW, fstat on the open
 * descriptor, and the bytes wiped before they are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/mem.h"
#include "verifier/secret.h"

void
secret_init(struct secret *s)
{
	memset(s, 0, sizeof(*s));
}

void
secret_wipe(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->value != NULL)
		rc_free_secret(s->value, s->len);
	s->value = NULL;
	s->len = 0;
	s->fpr[0] = '\0';
}

/* Check the bytes and take ownership of buf (len bytes, NUL-terminated). */
static enum rc_code
secret_take(char *buf, size_t len, struct secret *s, struct rc_err *err)
{
	size_t i;

	/* One trailing newline (LF or CRLF), as editors and echo add. */
	if (len > 0 && buf[len - 1] == '\n') {
		buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
	}
	if (len == 0) {
		rc_free_secret(buf, len + 1);
		return RC_ERR(err, RC_EINVAL, "%s is empty", s->source);
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c <= 0x20 || c == 0x7f) {
			rc_free_secret(buf, len + 1);
			return RC_ERR(err, RC_EINVAL,
			    "%s holds a %s at byte %zu (a token is one "
			    "printable word)",
			    s->source,
			    c == 0 ? "NUL byte"
			        : c == ' ' || c == '\t' || c == '\n' ||
			            c == '\r'
			        ? "whitespace character"
			        : "control character",
			    i);
		}
	}
	if (rc_fingerprint(buf, len, s->fpr) != RC_OK) {
		rc_free_secret(buf, len + 1);
		return RC_ERR(err, RC_ECRYPTO, "fingerprint");
	}
	s->value = buf;
	s->len = len;
	return RC_OK;
}

enum rc_code
secret_read_file(const char *path, struct secret *s, struct rc_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;
	enum rc_code rc;

	secret_wipe(s);
	snprintf(s->source, sizeof(s->source), "secret file %s",
	    path ? path : "(none)");
	if (path == NULL || path[0] == '\0')
		return RC_ERR(err, RC_EINVAL, "no secret file named");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return RC_ERR(err, RC_ESYS,
			    "%s is a symbolic link; name the file itself",
			    s->source);
		return RC_ERR(err, RC_ESYS, "%s: %s", s->source,
		    strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: %s", s->source, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = RC_ERR(err, RC_EINVAL, "%s is not a regular file",
		    s->source);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s is accessible to group or others (mode %04o); "
		    "chmod 600 it",
		    s->source, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > SECRET_MAX_BYTES) {
		rc = RC_ERR(err, RC_EINVAL, "%s is larger than %d bytes",
		    s->source, SECRET_MAX_BYTES);
		goto out;
	}
	if ((buf = rc_malloc(SECRET_MAX_BYTES + 2)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "secret");
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, SECRET_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = RC_ERR(err, RC_ESYS, "%s: %s", s->source,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SECRET_MAX_BYTES) {
			rc =
			    RC_ERR(err, RC_EINVAL, "%s is larger than %d bytes",
			        s->source, SECRET_MAX_BYTES);
			goto out;
		}
	}
	buf[len] = '\0';
	rc = secret_take(buf, len, s, err);
	buf = NULL; /* transferred, or freed by secret_take */
out:
	if (buf != NULL)
		rc_free_secret(buf, SECRET_MAX_BYTES + 2);
	close(fd);
	return rc;
}

enum rc_code
secret_read_env(const char *name, struct secret *s, struct rc_err *err)
{
	const char *v;
	char *buf;
	size_t len;

	secret_wipe(s);
	snprintf(s->source, sizeof(s->source), "environment variable %s",
	    name ? name : "(none)");
	if (name == NULL || name[0] == '\0')
		return RC_ERR(err, RC_EINVAL, "no environment variable named");
	if ((v = getenv(name)) == NULL)
		return RC_ERR(err, RC_EINVAL, "%s is not set", s->source);
	len = strlen(v);
	if (len > SECRET_MAX_BYTES)
		return RC_ERR(err, RC_EINVAL, "%s is longer than %d bytes",
		    s->source, SECRET_MAX_BYTES);
	if ((buf = rc_malloc(len + 1)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "secret");
	memcpy(buf, v, len + 1);
	return secret_take(buf, len, s, err);
}

enum rc_code
secret_load(const char *file, const char *env, const char *what,
    struct secret *s, struct rc_err *err)
{
	if (file != NULL)
		return secret_read_file(file, s, err);
	if (env != NULL)
		return secret_read_env(env, s, err);
	secret_wipe(s);
	return RC_ERR(err, RC_EINVAL,
	    "no %s given (a file or an environment "
	    "variable)",
	    what ? what : "secret");
}
