/* SPDX-License-Identifier: MIT */
/*
 * Secrets handed to raccord for a dossier: API tokens and DGFiP client
 * secrets (shared/DESIGN.md §5, STYLE.md "Configuration", issue 8
 * "Credentials belong to the dossier's owner"; docs/decisions.md).
 *
 * A dossier is written by an applicant, so it may only reach a secret the
 * operator filed *for that dossier*:
 *   - a file named by the dossier (token_file, client_secret_file) is read
 *     only at <secrets.dir>/<SIRET>/<dossier_id>/<name>, where name is
 *     relative, without "." or ".." components; every component is opened
 *     with openat(O_NOFOLLOW) from the operator's directory (a symbolic
 *     link anywhere below secrets.dir is refused), the file itself with
 *     O_NONBLOCK (a FIFO never blocks) and accepted only when fstat says
 *     it is a regular file;
 *   - a variable named by the dossier (token_env, client_secret_env) is
 *     read only when the operator lists it in secrets.env_allow.
 * Every refusal of that kind (missing, unreadable, not a regular file, a
 * symbolic link, outside the dossier's directory, a variable not allowed
 * or not set) gives ONE message per key, the same whatever the cause
 * (SECRET_FAULT_UNAVAILABLE), so that a dossier learns nothing about the
 * operator's files or environment; nothing is fingerprinted before the
 * secret was accepted.  The reason is logged at debug level for the
 * operator only.
 *
 * Once the file is known to be the dossier's own, its content is judged
 * with specific messages: no group or other permission bit (0600/0400),
 * at most SECRET_MAX_BYTES, one trailing newline dropped, non-empty, no
 * NUL, whitespace or control byte.
 *
 * secret_from_bytes() takes the bytes themselves: the daemon receives a
 * token in the submission and passes it in memory (never a path or a
 * variable name); the file and variable readers end in it too.  Messages
 * name the file or variable, never the value; to correlate, use the
 * fingerprint (rc_fingerprint, "sha256:<16 hex>") or, for the ledger, the
 * full SHA-256 (credential_sha256).  secret_wipe() cleanses the bytes
 * (OPENSSL_cleanse) before freeing them.
 */
#ifndef RC_VERIFIER_SECRET_H
#define RC_VERIFIER_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/err.h"

#define SECRET_MAX_BYTES 8192
#define SECRET_MAX_DEPTH 8 /* components of a dossier's relative name */

/* Why a secret could not be used (struct secret.fault). */
enum secret_fault {
	SECRET_FAULT_NONE = 0,
	SECRET_FAULT_UNAVAILABLE,    /* not filed for this dossier: the uniform
	                                refusal (missing, link, FIFO, outside,
	                                variable not allowed or not set) */
	SECRET_FAULT_NOT_CONFIGURED, /* secrets.dir unset, or no name given */
	SECRET_FAULT_MODE,           /* group or other permission bits */
	SECRET_FAULT_SIZE,           /* larger than SECRET_MAX_BYTES */
	SECRET_FAULT_EMPTY,          /* nothing after the newline is dropped */
	SECRET_FAULT_BYTES,          /* NUL, whitespace or control byte */
	SECRET_FAULT_INTERNAL,       /* out of memory, digest failure */
	SECRET_FAULT__MAX
};

struct secret {
	char *value; /* NUL-terminated; no NUL inside (checked) */
	size_t len;
	char fpr[RC_FPR_LEN];           /* "sha256:..." of the value */
	char sha256[RC_SHA256_HEX_LEN]; /* full hex SHA-256 of the value */
	char source[160];        /* "token_file x", "environment variable X" */
	enum secret_fault fault; /* set when a reader fails */
};

/*
 * Where a dossier's secrets may come from: the operator's configuration
 * (secrets.dir, secrets.env_allow) and the dossier's identity.  All
 * borrowed.  dir NULL: no file may be named; env_allow NULL or empty: no
 * variable may be named.
 */
struct secret_scope {
	const char *dir;
	const char *const *env_allow; /* NULL-terminated */
	const char *siret;
	const char *dossier_id;
};

void secret_init(struct secret *s);

/*
 * True for a content fault: the secret was the dossier's own but is not
 * a credential (empty, NUL/whitespace/control bytes).  Those are findings
 * (a check fails); every other fault means the credential could not be
 * examined (the check is inconclusive).
 */
bool secret_fault_is_content(enum secret_fault f);

/* A word for a fault, for logs and tests ("unavailable"). */
const char *secret_fault_str(enum secret_fault f);

/*
 * True when name is a relative file name a dossier may give: 1 to 4095
 * bytes, '/'-separated components (at most SECRET_MAX_DEPTH), none empty,
 * "." or "..", no control byte.  No file system access.
 */
bool secret_name_ok(const char *name);

/*
 * True when s may be one directory component of the secrets layout
 * (a SIRET, a dossier_id): 1 to 128 bytes of letters, digits, '.', '_'
 * and '-', not starting with '.'.
 */
bool secret_component_ok(const char *s);

/*
 * Take the secret from memory (len bytes at p, copied): one trailing
 * newline dropped, then the content rules.  source names it in messages
 * ("token given in the submission").  RC_EINVAL with s->fault set when
 * the bytes are not a credential, RC_ENOMEM, RC_ECRYPTO.  On failure s is
 * left empty.
 */
enum rc_code secret_from_bytes(const void *p, size_t len, const char *source,
    struct secret *s, struct rc_err *err);

/*
 * Read the secret a dossier names in key ("token_file") as name, at
 * <sc->dir>/<sc->siret>/<sc->dossier_id>/<name> (see above).  RC_EINVAL
 * for every refusal, with s->fault telling which kind and err holding the
 * uniform message for SECRET_FAULT_UNAVAILABLE; RC_ENOMEM.
 */
enum rc_code secret_read_file(const struct secret_scope *sc, const char *key,
    const char *name, struct secret *s, struct rc_err *err);

/*
 * Read the secret a dossier names in key ("token_env") as variable name,
 * only when name is on sc->env_allow.  Same codes as secret_read_file.
 */
enum rc_code secret_read_env(const struct secret_scope *sc, const char *key,
    const char *name, struct secret *s, struct rc_err *err);

/*
 * The dossier's way: the file when file is set, else the variable when
 * env is set, else RC_EINVAL (SECRET_FAULT_NOT_CONFIGURED, "no token
 * given").  kind names the file key's stem in messages: "token" reads
 * token_file/token_env, "client_secret" client_secret_file/_env.
 */
enum rc_code secret_load(const struct secret_scope *sc, const char *kind,
    const char *file, const char *env, struct secret *s, struct rc_err *err);

/* Wipe and free the value; s may be reused.  NULL-safe. */
void secret_wipe(struct secret *s);

#endif /* RC_VERIFIER_SECRET_H */
