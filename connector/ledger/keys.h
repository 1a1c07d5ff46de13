/* SPDX-License-Identifier: MIT */
/*
 * Ledger key files.  The private key is an Ed25519 key in a PKCS#8 PEM
 * file, created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (never over
 * an existing file, never through a symlink), in the spirit of OpenBSD
 * signify.  Loading refuses a key file that is not a regular file or that
 * its group or others may read.  The verifier key (vkey) file holds the
 * C2SP string name+hex(keyID)+base64(0x01||pubkey) and a newline.
 */
#ifndef RC_CONNECTOR_LEDGER_KEYS_H
#define RC_CONNECTOR_LEDGER_KEYS_H

#include <openssl/evp.h>

#include "common/err.h"
#include "connector/ledger/note.h"

#define LEDGER_KEY_MAX_BYTES 16384

/*
 * Generate a key pair named name (the log origin, or a witness name):
 * keyfile (PEM, 0600) and vkeyfile (0644).  type is NOTE_TYPE_ED25519 for
 * a log, NOTE_TYPE_COSIG for a witness.  Neither file may exist; nothing
 * is left behind on failure.  *vkey_out (rc_free, may be NULL) receives
 * the vkey string.  RC_EINVAL, RC_ESYS, RC_ECRYPTO.
 */
enum rc_code ledger_key_generate(const char *name, unsigned char type,
    const char *keyfile, const char *vkeyfile, char **vkey_out,
    struct rc_err *err);

/*
 * Load an Ed25519 private key.  *out (EVP_PKEY_free) on success.
 * RC_EINVAL when the file is group/other-accessible, not regular, not an
 * Ed25519 PKCS#8 key; RC_ESYS when it cannot be read.
 */
enum rc_code ledger_key_load(const char *keyfile, EVP_PKEY **out,
    struct rc_err *err);

/* Load a signer: the key file and the name it signs as. */
enum rc_code ledger_signer_load(const char *keyfile, const char *name,
    unsigned char type, struct note_signer **out, struct rc_err *err);

/*
 * Read a vkey file (one line) and parse it.  *out for note_verifier_free.
 */
enum rc_code ledger_vkey_load(const char *vkeyfile, struct note_verifier **out,
    struct rc_err *err);

#endif /* RC_CONNECTOR_LEDGER_KEYS_H */
