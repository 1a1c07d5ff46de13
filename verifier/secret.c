/* SPDX-License-Identifier: MIT */
/*
 * Reading a dossier's secrets (see secret.h): only below the operator's
 * secrets directory, in the dossier's own <SIRET>/<dossier_id>/ folder,
 * walked with openat(O_NOFOLLOW) one component at a time; only from
 * allowed environment variables; or straight from memory.  Like signify's
 * key files: O_NOFOLLOW, fstat on the open descriptor, and the bytes
 * wiped before they are freed.  Every "not yours / not there" refusal
 * gives one uniform message (issue 8, "Credentials belong to the
 * dossier's owner").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/mem.h"
#include "verifier/secret.h"

#define SECRET_NAME_MAX      4095
#define SECRET_COMPONENT_MAX 128

static const char *const fault_names[SECRET_FAULT__MAX] = {
	[SECRET_FAULT_NONE] = "none",
	[SECRET_FAULT_UNAVAILABLE] = "unavailable",
	[SECRET_FAULT_NOT_CONFIGURED] = "not-configured",
	[SECRET_FAULT_MODE] = "mode",
	[SECRET_FAULT_SIZE] = "size",
	[SECRET_FAULT_EMPTY] = "empty",
	[SECRET_FAULT_BYTES] = "bytes",
	[SECRET_FAULT_INTERNAL] = "internal",
};

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
		rc_free_secret(s->value, s->len + 1);
	s->value = NULL;
	s->len = 0;
	s->fpr[0] = '\0';
	s->sha256[0] = '\0';
}

bool
secret_fault_is_content(enum secret_fault f)
{
	return f == SECRET_FAULT_EMPTY || f == SECRET_FAULT_BYTES;
}

const char *
secret_fault_str(enum secret_fault f)
{
	return (unsigned)f < SECRET_FAULT__MAX ? fault_names[f] : "?";
}

bool
secret_component_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > SECRET_COMPONENT_MAX ||
	    s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-'))
			return false;
	}
	return true;
}

bool
secret_name_ok(const char *name)
{
	const char *p, *slash;
	size_t n, depth = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > SECRET_NAME_MAX)
		return false;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (++depth > SECRET_MAX_DEPTH)
			return false;
		if (slash == NULL)
			return true;
	}
}

/* s as printable ASCII for a message: others become '?', long ones cut. */
static void
label(const char *s, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; s != NULL && s[i] != '\0' && n + 4 < outlen; i++)
		out[n++] =
		    (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f
		    ? s[i]
		    : '?';
	if (s != NULL && s[i] != '\0' && n + 3 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Check the bytes and take ownership of buf (len bytes, NUL-terminated,
 * cap bytes allocated). */
static enum rc_code
secret_take(char *buf, size_t len, size_t cap, struct secret *s,
    struct rc_err *err)
{
	size_t i;

	/* One trailing newline (LF or CRLF), as editors and echo add. */
	if (len > 0 && buf[len - 1] == '\n') {
		buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
	}
	if (len == 0) {
		rc_free_secret(buf, cap);
		s->fault = SECRET_FAULT_EMPTY;
		return RC_ERR(err, RC_EINVAL, "%s is empty", s->source);
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c <= 0x20 || c == 0x7f) {
			rc_free_secret(buf, cap);
			s->fault = SECRET_FAULT_BYTES;
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
	if (rc_fingerprint(buf, len, s->fpr) != RC_OK ||
	    rc_sha256_hex(buf, len, s->sha256) != RC_OK) {
		rc_free_secret(buf, cap);
		s->fpr[0] = s->sha256[0] = '\0';
		s->fault = SECRET_FAULT_INTERNAL;
		return RC_ERR(err, RC_ECRYPTO, "fingerprint");
	}
	/* Shrink nothing: value is freed with len + 1, so wipe the rest. */
	if (cap > len + 1)
		OPENSSL_cleanse(buf + len + 1, cap - len - 1);
	s->value = buf;
	s->len = len;
	s->fault = SECRET_FAULT_NONE;
	return RC_OK;
}

enum rc_code
secret_from_bytes(const void *p, size_t len, const char *source,
    struct secret *s, struct rc_err *err)
{
	char *buf;

	secret_wipe(s);
	if (source != s->source) /* secret_read_env names it already */
		snprintf(s->source, sizeof(s->source), "%s",
		    source ? source : "secret");
	if (len > SECRET_MAX_BYTES) {
		s->fault = SECRET_FAULT_SIZE;
		return RC_ERR(err, RC_EINVAL, "%s is longer than %d bytes",
		    s->source, SECRET_MAX_BYTES);
	}
	if ((buf = rc_malloc(len + 1)) == NULL) {
		s->fault = SECRET_FAULT_INTERNAL;
		return RC_ERR(err, RC_ENOMEM, "secret");
	}
	if (len > 0)
		memcpy(buf, p, len);
	buf[len] = '\0';
	return secret_take(buf, len, len + 1, s, err);
}

/*
 * The uniform refusal of a file: the same text whatever the cause, which
 * only the operator's debug log names.
 */
static enum rc_code
file_unavailable(const struct secret_scope *sc, const char *key,
    const char *name, const char *cause, struct secret *s, struct rc_err *err)
{
	char n[80], siret[40], id[80];

	label(name, n, sizeof(n));
	label(sc->siret, siret, sizeof(siret));
	label(sc->dossier_id, id, sizeof(id));
	log_debug("secret=%s cause=\"%s\"", key, cause);
	s->fault = SECRET_FAULT_UNAVAILABLE;
	return RC_ERR(err, RC_EINVAL,
	    "%s \"%s\": no such secret was filed for this dossier (raccord "
	    "reads only a regular file at <secrets.dir>/%s/%s/%s)",
	    key, n, siret, id, n);
}

/* openat one directory component, refusing symbolic links. */
static int
open_dir_at(int dfd, const char *comp)
{
	return openat(dfd, comp,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

/*
 * Open <dir>/<siret>/<dossier_id>/<name> one component at a time.  Returns
 * the descriptor of the last component (not yet fstat'ed) or -1 with
 * *cause set.
 */
static int
open_beneath(const struct secret_scope *sc, const char *name,
    const char **cause)
{
	char comp[SECRET_NAME_MAX + 1];
	const char *p, *slash;
	int dfd, next;
	size_t n;

	dfd = open(sc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (dfd < 0) {
		log_warn("secrets.dir cannot be opened: %s", strerror(errno));
		*cause = "secrets.dir cannot be opened";
		return -1;
	}
	if ((next = open_dir_at(dfd, sc->siret)) < 0) {
		*cause = "no SIRET directory (or a link)";
		goto fail;
	}
	close(dfd);
	dfd = next;
	if ((next = open_dir_at(dfd, sc->dossier_id)) < 0) {
		*cause = "no dossier directory (or a link)";
		goto fail;
	}
	close(dfd);
	dfd = next;
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (slash == NULL)
			break;
		if ((next = open_dir_at(dfd, comp)) < 0) {
			*cause = "an intermediate directory is missing or a "
			         "link";
			goto fail;
		}
		close(dfd);
		dfd = next;
	}
	/* O_NONBLOCK: opening a FIFO for reading must not wait for a writer;
	 * O_NOFOLLOW: the file itself may not be a symbolic link. */
	next = openat(dfd, comp,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (next < 0)
		*cause = errno == ELOOP ? "a symbolic link"
		                        : "missing or unreadable";
	close(dfd);
	return next;
fail:
	close(dfd);
	return -1;
}

enum rc_code
secret_read_file(const struct secret_scope *sc, const char *key,
    const char *name, struct secret *s, struct rc_err *err)
{
	const char *cause = "?";
	struct stat st;
	char *buf = NULL, n[80];
	size_t len = 0;
	ssize_t r;
	int fd = -1;
	enum rc_code rc;

	secret_wipe(s);
	s->fault = SECRET_FAULT_NONE;
	key = key ? key : "secret file";
	label(name, n, sizeof(n));
	snprintf(s->source, sizeof(s->source), "%s \"%s\"", key, n);
	if (name == NULL || name[0] == '\0') {
		s->fault = SECRET_FAULT_NOT_CONFIGURED;
		return RC_ERR(err, RC_EINVAL, "no %s named", key);
	}
	if (sc == NULL || sc->dir == NULL || sc->dir[0] == '\0') {
		s->fault = SECRET_FAULT_NOT_CONFIGURED;
		return RC_ERR(err, RC_EINVAL,
		    "%s: this raccord has no secrets directory (secrets.dir "
		    "is not set), so a dossier cannot name a secret file",
		    s->source);
	}
	if (!secret_name_ok(name))
		return file_unavailable(sc, key, name, "name not relative", s,
		    err);
	if (!secret_component_ok(sc->siret) ||
	    !secret_component_ok(sc->dossier_id))
		return file_unavailable(sc, key, name,
		    "SIRET or dossier_id unusable as a directory name", s, err);
	if ((fd = open_beneath(sc, name, &cause)) < 0)
		return file_unavailable(sc, key, name, cause, s, err);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = file_unavailable(sc, key, name, "not a regular file", s,
		    err);
		goto out;
	}
	/* From here on the file is the dossier's own: say what is wrong. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		s->fault = SECRET_FAULT_MODE;
		rc = RC_ERR(err, RC_EINVAL,
		    "%s is accessible to group or others (mode %04o); "
		    "chmod 600 it",
		    s->source, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > SECRET_MAX_BYTES) {
		s->fault = SECRET_FAULT_SIZE;
		rc = RC_ERR(err, RC_EINVAL, "%s is larger than %d bytes",
		    s->source, SECRET_MAX_BYTES);
		goto out;
	}
	if ((buf = rc_malloc(SECRET_MAX_BYTES + 2)) == NULL) {
		s->fault = SECRET_FAULT_INTERNAL;
		rc = RC_ERR(err, RC_ENOMEM, "secret");
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, SECRET_MAX_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = file_unavailable(sc, key, name, "read error", s,
			    err);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SECRET_MAX_BYTES) {
			s->fault = SECRET_FAULT_SIZE;
			rc =
			    RC_ERR(err, RC_EINVAL, "%s is larger than %d bytes",
			        s->source, SECRET_MAX_BYTES);
			goto out;
		}
	}
	buf[len] = '\0';
	rc = secret_take(buf, len, SECRET_MAX_BYTES + 2, s, err);
	buf = NULL; /* transferred, or freed by secret_take */
out:
	if (buf != NULL)
		rc_free_secret(buf, SECRET_MAX_BYTES + 2);
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool
env_allowed(const struct secret_scope *sc, const char *name)
{
	size_t i;

	if (sc == NULL || sc->env_allow == NULL)
		return false;
	for (i = 0; sc->env_allow[i] != NULL; i++)
		if (strcmp(sc->env_allow[i], name) == 0)
			return true;
	return false;
}

enum rc_code
secret_read_env(const struct secret_scope *sc, const char *key,
    const char *name, struct secret *s, struct rc_err *err)
{
	const char *v = NULL;
	char n[80];

	secret_wipe(s);
	s->fault = SECRET_FAULT_NONE;
	key = key ? key : "secret variable";
	label(name, n, sizeof(n));
	if (name == NULL || name[0] == '\0') {
		s->fault = SECRET_FAULT_NOT_CONFIGURED;
		return RC_ERR(err, RC_EINVAL, "no %s named", key);
	}
	/* Not allowed and not set read the same: no oracle on the
	 * operator's environment, and nothing of a refused variable is
	 * read, let alone fingerprinted. */
	if (env_allowed(sc, name))
		v = getenv(name);
	if (v == NULL) {
		log_debug("secret=%s cause=\"%s\"", key,
		    env_allowed(sc, name) ? "allowed but not set"
		                          : "not on secrets.env_allow");
		s->fault = SECRET_FAULT_UNAVAILABLE;
		return RC_ERR(err, RC_EINVAL,
		    "%s \"%s\": no such secret was provided for this dossier "
		    "(raccord reads only the variables listed in "
		    "secrets.env_allow)",
		    key, n);
	}
	snprintf(s->source, sizeof(s->source), "environment variable %s", n);
	return secret_from_bytes(v, strlen(v), s->source, s, err);
}

enum rc_code
secret_load(const struct secret_scope *sc, const char *kind, const char *file,
    const char *env, struct secret *s, struct rc_err *err)
{
	char fk[40], ek[40];

	kind = kind ? kind : "token";
	snprintf(fk, sizeof(fk), "%s_file", kind);
	snprintf(ek, sizeof(ek), "%s_env", kind);
	if (file != NULL)
		return secret_read_file(sc, fk, file, s, err);
	if (env != NULL)
		return secret_read_env(sc, ek, env, s, err);
	secret_wipe(s);
	s->fault = SECRET_FAULT_NOT_CONFIGURED;
	return RC_ERR(err, RC_EINVAL, "no %s given (%s or %s)", kind, fk, ek);
}
