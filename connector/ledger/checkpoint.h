/* SPDX-License-Identifier: MIT */
/*
 * C2SP checkpoints (https://c2sp.org/tlog-checkpoint): the signed note
 * whose text is the log's origin, its size in decimal (no leading zero)
 * and its RFC 6962 root in standard base64, one per line.
 *
 * Parsing is strict: the origin is a valid key name (no space, no '+'),
 * the size has no sign, no leading zero and fits in 63 bits, the root is
 * canonical base64 of exactly 32 bytes.  raccord never writes extension
 * lines (the spec does not recommend them) and refuses checkpoints that
 * carry any: an extension we cannot audit is not something we sign off.
 */
#ifndef RC_CONNECTOR_LEDGER_CHECKPOINT_H
#define RC_CONNECTOR_LEDGER_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "connector/ledger/merkle.h"
#include "connector/ledger/note.h"

struct checkpoint {
	char origin[NOTE_MAX_NAME + 1];
	uint64_t size;
	unsigned char root[MERKLE_HASH_LEN];
};

/* The body "origin\nsize\nroot\n"; *out (rc_free), *outlen. */
enum rc_code checkpoint_format(const struct checkpoint *cp, char **out,
    size_t *outlen);

/* Parse a checkpoint body (the note text, ending in "\n"). */
enum rc_code checkpoint_parse(const char *text, size_t len,
    struct checkpoint *out, struct rc_err *err);

/*
 * Parse the text of a signed checkpoint (before its last blank line)
 * without checking any signature.
 */
enum rc_code checkpoint_parse_signed(const char *note, size_t len,
    struct checkpoint *out, struct rc_err *err);

/* Format and sign with one or more signers; *note (rc_free). */
enum rc_code checkpoint_sign(const struct checkpoint *cp,
    const struct note_signer *const *signers, size_t n, char **note,
    size_t *notelen, struct rc_err *err);

/*
 * Open a signed checkpoint: the log's key (log) must have signed it and
 * its origin must equal the key's name (the C2SP convention, which this
 * ledger follows).  Other known keys (cosigners) may be given in known
 * after log; res says which signed.  RC_EPARSE, RC_ECRYPTO, RC_ELEDGER
 * (origin of another log).
 */
enum rc_code checkpoint_open(const char *note, size_t len,
    const struct note_verifier *log, const struct note_verifier *const *others,
    size_t nothers, struct checkpoint *out, struct note_result *res,
    struct rc_err *err);

#endif /* RC_CONNECTOR_LEDGER_CHECKPOINT_H */
