/* SPDX-License-Identifier: MIT */
/*
 * Secrets handed to raccord by a dossier: API tokens and DGFiP client
 * secrets (shared/DESIGN.md §5, STYLE.md "Configuration").
 *
 * A secret comes only from a file or an environment variable, never
 * inline.  A file is opened with O_NOFOLLOW, must be a regular file owned
 * by nobody but its owner (no group or other permission bits: mode 0600 or
 * 0400), and at most SECRET_MAX_BYTES long; one trailing newline is
 * dropped.  The value must be non-empty and hold no whitespace or control
 * byte.  Error messages name the file or variable, never the value; to
 * correlate, use the fingerprint (rc_fingerprint, "sha256:<16 hex>").
 * secret_wipe() cleanses the bytes (OPENSSL_cleanse) before freeing them.
 */
#ifndef RC_VERIFIER_SECRET_H
#define RC_VERIFIER_SECRET_H

#include <stddef.h>

#include "common/digest.h"
#include "common/err.h"

#define SECRET_MAX_BYTES 8192

struct secret {
	char *value; /* NUL-terminated; no NUL inside (checked) */
	size_t len;
	char fpr[RC_FPR_LEN]; /* "sha256:..." of the value */
	char source[160];     /* "file /path" or "environment variable X" */
};

void secret_init(struct secret *s);

/*
 * Read a secret from file.  RC_ESYS when the file cannot be opened or
 * read (missing, a symlink, unreadable); RC_EINVAL when it is not a
 * regular file, is group/other accessible, too long, empty, or holds a
 * NUL, whitespace or control byte.  On failure s is left empty.
 */
enum rc_code secret_read_file(const char *path, struct secret *s,
    struct rc_err *err);

/* Read a secret from an environment variable: RC_EINVAL when unset or
 * malformed (the same rules as files). */
enum rc_code secret_read_env(const char *name, struct secret *s,
    struct rc_err *err);

/*
 * The dossier's way: file when set, else env when set, else RC_EINVAL
 * ("no token_file or token_env").  what names it in messages ("token",
 * "client secret").
 */
enum rc_code secret_load(const char *file, const char *env, const char *what,
    struct secret *s, struct rc_err *err);

/* Wipe and free the value; s may be reused.  NULL-safe. */
void secret_wipe(struct secret *s);

#endif /* RC_VERIFIER_SECRET_H */
