/* SPDX-License-Identifier: MIT */
/*
 * The award ledger (shared/DESIGN.md §3 "Ledger"; docs/ledger.md).
 *
 * A directory:
 *   entries.jsonl          one compact JSON object per line, written once;
 *                          leaf i = SHA-256(0x00 || line i without "\n")
 *   checkpoint             latest C2SP checkpoint (signed note, Ed25519)
 *   checkpoints/<size>     every checkpoint ever signed, immutable
 *   evidence/<sha256>.json reports, stored by content hash before use
 *   receipts/<seq>.tlog-proof  c2sp.org/tlog-proof@v1 per entry
 *   lock                   flock(2) target; nothing else opens it
 *
 * Append order (one writer, under an exclusive flock): recover the torn
 * tail (never below the signed size, never dropping a complete valid
 * line) -> check the policy -> append + fsync -> sign -> checkpoints/<n>
 * and checkpoint written atomically (temp, fsync, link or rename, fsync
 * directory) -> only then the receipts.  After any failed write or fsync
 * the handle refuses further appends: reopen, which recovers from what
 * is durable.
 */
#ifndef RC_CONNECTOR_LEDGER_LEDGER_H
#define RC_CONNECTOR_LEDGER_LEDGER_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "common/err.h"
#include "connector/ledger/checkpoint.h"
#include "connector/ledger/keys.h"
#include "connector/ledger/merkle.h"
#include "connector/ledger/note.h"
#include "connector/policy.h"

/*
 * Entry format version written in "v".  1: the first format.  2 (since
 * issue 14/8): awards add "titulaire" (the account holder, required) and
 * optionally "credential_sha256" (fingerprint of the credential that
 * proved the integration) and "credential_shared_with" (seq of the earlier
 * award of that credential to another SIREN, approved by an instructor).
 * 3 (since issue 9): awards and revokes may carry "requested_by", the
 * name of the daemon token that asked for them (never the token).
 * Readers accept all three; docs/ledger.md "Entries".
 */
#define LEDGER_VERSION        3
#define LEDGER_VERSION_MIN    1
#define LEDGER_MAX_LINE       (64 * 1024)
#define LEDGER_MAX_EVIDENCE   (16 * 1024 * 1024)
#define LEDGER_LOCK_WAIT_MS   10000
#define LEDGER_RECEIPT_HEADER "c2sp.org/tlog-proof@v1"
/* Longest requested_by: a daemon token name (CFG_TOKEN_NAME_MAX). */
#define LEDGER_REQUESTER_MAX 64

struct ledger;

/* One new entry.  Strings are borrowed for the duration of the call. */
struct ledger_entry_in {
	enum policy_op op;
	enum policy_kind kind;
	const char *siren;
	/* award */
	const char *siret, *nom, *iban, *bic, *dossier_id;
	const char *titulaire;         /* account holder (required) */
	const char *evidence_sha256;   /* 64 lowercase hex, stored first */
	const char *credential_sha256; /* 64 lowercase hex, or NULL */
	int has_shared_with;           /* instructor approved a shared... */
	uint64_t shared_with;          /* ...credential: that award's seq */
	long long amount_cents;
	/* the sealed conformance report the award relied on
	   (policy.require_conformance): 64 lowercase hex, or NULL */
	const char *conformance_sha256;
	/* revoke */
	uint64_t ref_seq;
	const char *reason;
	/* both: the daemon token's name that asked, or NULL (the CLI) */
	const char *requested_by;
};

/* An entry as read back (strings inside the struct). */
struct ledger_entry {
	enum policy_op op;
	enum policy_kind kind;
	uint64_t seq;
	time_t time;
	char time_str[21];
	char siren[10], siret[15];
	char evidence_sha256[65];
	long long amount_cents;
	uint64_t ref_seq;
	int version;                /* "v": 1 or 2 */
	char credential_sha256[65]; /* "" when absent (v1, or none) */
	int has_shared_with;        /* "credential_shared_with" present */
	uint64_t shared_with;
	char requested_by[LEDGER_REQUESTER_MAX + 1]; /* "" when absent */
	char conformance_sha256[65];                 /* "" when absent */
};

/*
 * True when s may be an entry's requested_by: 1 to LEDGER_REQUESTER_MAX
 * printable ASCII characters without space, '=' or '"' (the rule of a
 * daemon token's name).
 */
bool ledger_requester_ok(const char *s);

/*
 * Create a new ledger in dir (created when missing; it must otherwise be
 * empty): the subdirectories, an empty entries.jsonl and the checkpoint of
 * the empty tree, signed by signer (whose name is the origin).
 */
enum rc_code ledger_init(const char *dir, const struct note_signer *signer,
    struct rc_err *err);

/*
 * Open a ledger.  With a signer: exclusive lock (waiting up to
 * lock_wait_ms, then RC_EBUSY), recovery, and the signer must be the key
 * that signed the checkpoint.  Without one: a shared lock and a read-only
 * view of the signed entries; the checkpoint must verify with vkey when
 * given.  p is the policy the history must obey (copied).  *out for
 * ledger_close.  RC_ELEDGER (corrupt or foreign ledger, message naming
 * file, line and byte), RC_ECRYPTO, RC_ESYS, RC_EBUSY.
 */
enum rc_code ledger_open(const char *dir, const struct note_signer *signer,
    const struct note_verifier *vkey, const struct policy *p, long lock_wait_ms,
    struct ledger **out, struct rc_err *err);

void ledger_close(struct ledger *lg);

/*
 * Load keyfile as the signer of the ledger in dir: its name is the origin
 * of dir's checkpoint (ledger_open then checks the key signed it).
 */
enum rc_code ledger_signer_for(const char *dir, const char *keyfile,
    struct note_signer **out, struct rc_err *err);

/* Signed size; the origin; the policy state (all borrowed). */
uint64_t ledger_size(const struct ledger *lg);
const char *ledger_origin(const struct ledger *lg);
const struct policy_state *ledger_state(const struct ledger *lg);
const char *ledger_dir(const struct ledger *lg);

/* The latest checkpoint note (borrowed) and its parsed form. */
const char *ledger_checkpoint_note(const struct ledger *lg, size_t *len);
const struct checkpoint *ledger_checkpoint(const struct ledger *lg);

/*
 * The Merkle Tree Hash of the complete subtree of 2^height signed leaves
 * that starts at leaf index << height (RFC 6962 MTH(D[i*2^h:(i+1)*2^h])),
 * 32 bytes borrowed from lg; NULL when that subtree is not wholly within
 * the signed size.  The tlog-tiles routes read their hashes here.
 */
const unsigned char *ledger_subtree_hash(const struct ledger *lg,
    unsigned height, uint64_t index);

/*
 * Store data as evidence/<sha256>.json (temp, fsync, link, fsync dir);
 * hex receives the digest.  An existing file must hold the same bytes.
 */
enum rc_code ledger_evidence_put(struct ledger *lg, const void *data,
    size_t len, char hex[65], struct rc_err *err);

/*
 * Append n entries as one batch, signed by one checkpoint, each with its
 * receipt.  All are checked against the policy first: RC_EPOLICY (err
 * names the entry and rule) and nothing is written when any breaks it.
 * *first_seq receives the seq of the first.  now is the entry time
 * (raised to the last entry's time if the clock went back).
 */
enum rc_code ledger_append(struct ledger *lg, const struct ledger_entry_in *in,
    size_t n, time_t now, uint64_t *first_seq, struct rc_err *err);

/* receipts/<seq>.tlog-proof, into buf. */
void ledger_receipt_path(const struct ledger *lg, uint64_t seq, char *buf,
    size_t len);

/* The stored line of entry seq (< size), without "\n"; *out for rc_free. */
enum rc_code ledger_entry_line(const struct ledger *lg, uint64_t seq,
    char **out, size_t *len, struct rc_err *err);

/*
 * A tlog-proof of entry seq against the latest checkpoint (extra = the
 * entry line).  *out (rc_free), NUL-terminated.
 */
enum rc_code ledger_prove(const struct ledger *lg, uint64_t seq, char **out,
    size_t *len, struct rc_err *err);

/*
 * A consistency proof from size old to the latest checkpoint, in the
 * C2SP tlog-witness add-checkpoint layout: "old <n>\n", one base64 hash
 * per line, a blank line, the checkpoint.  *out (rc_free).
 */
enum rc_code ledger_consistency(const struct ledger *lg, uint64_t old,
    char **out, size_t *len, struct rc_err *err);

/* The consistency proof hashes alone (MERKLE_MAX_PROOF * 32 bytes). */
enum rc_code ledger_consistency_hashes(const struct ledger *lg, uint64_t old,
    unsigned char *proof, size_t *n, struct rc_err *err);

/* Parse one entry line strictly; err names what is wrong. */
enum rc_code ledger_entry_parse(const char *line, size_t len,
    struct ledger_entry *e, struct rc_err *err);

/* What ledger_verify found. */
struct ledger_verify_result {
	uint64_t entries;       /* lines covered by the checkpoint */
	uint64_t unsigned_tail; /* complete lines past it (not trusted) */
	uint64_t awards, revokes;
	long long live_cents;
	uint64_t checkpoints;   /* checkpoints/<n> verified */
	uint64_t receipts;      /* receipts verified */
	uint64_t evidence;      /* evidence files hashed */
	uint64_t cosigned_size; /* the cosigned checkpoint checked, if any */
	struct checkpoint cp;
};

/*
 * Verify a ledger offline against a pinned log key: every checkpoint
 * signature and origin, the whole tree rebuilt and compared with every
 * checkpoints/<n>, every entry parsed and replayed through the policy
 * (amounts, one per kind and SIREN, contiguous seq, non-decreasing time),
 * every evidence file present and hashing to its name, every receipt
 * proving its entry.  Read-only (shared lock when the lock file exists).
 * RC_OK when all holds; RC_ELEDGER with the first problem (file, line,
 * byte) in err.
 */
enum rc_code ledger_verify(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, struct ledger_verify_result *res,
    struct rc_err *err);

/* What the auditor holds besides the pinned key (fields may be NULL). */
struct ledger_verify_opts {
	/* The checkpoint the payment office last cosigned: the file that
	 * `ledger cosign --state` keeps. */
	const char *cosigned;
};

/*
 * ledger_verify, and also against what the auditor holds: a head smaller
 * than the cosigned checkpoint is a rollback, a tree whose root at that
 * size differs is a fork (docs/ledger.md, "What verify enforces").  Every
 * broken rule is RC_ELEDGER, and err starts with "rule <name> broken: "
 * and names the file, line and seq.  RC_EINVAL when the cosigned file is
 * unreadable or not signed by vkey.
 */
enum rc_code ledger_verify_audit(const char *dir,
    const struct note_verifier *vkey, const struct policy *p,
    const struct ledger_verify_opts *o, struct ledger_verify_result *res,
    struct rc_err *err);

/* A parsed receipt (c2sp.org/tlog-proof@v1). */
struct ledger_receipt {
	uint64_t index;
	unsigned char *extra; /* entry line, or NULL */
	size_t extra_len;
	unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	size_t n;
	const char *note; /* the checkpoint, inside the parsed buffer */
	size_t note_len;
	struct checkpoint cp;
};

/*
 * Verify a receipt offline: checkpoint signed by vkey, extra (or entry,
 * when given: then both must agree) included at index, and the entry's
 * own seq equal to index.  want_seq < 0 means any.  r (may be NULL)
 * receives the details; free r->extra with rc_free.
 */
enum rc_code ledger_receipt_verify(const char *receipt, size_t len,
    const struct note_verifier *vkey, const char *entry, size_t entry_len,
    int64_t want_seq, struct ledger_receipt *r, struct rc_err *err);

/*
 * Export the signed entries of a verified ledger into outdir (created; it
 * must not exist): awards.csv (French spreadsheet dialect), awards.xlsx,
 * awards.json, entries.jsonl, checkpoint, log.vkey, and the offline
 * recipe verify_export.py with LISEZMOI-README.txt (docs/ledger.md).
 * Every cell is derived from the signed entries.
 */
enum rc_code ledger_export(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, const char *outdir, struct rc_err *err);

/* What ledger_export_verify found. */
struct ledger_export_check {
	struct checkpoint cp;
	uint64_t awards;
	long long payable_cents;
	size_t mismatches;
	char *report;           /* one line per mismatch (capped); rc_free */
	char recipe_sha256[65]; /* of the verify_export.py raccord ships */
};

/*
 * Verify an export directory offline against a pinned log key: the
 * checkpoint's signature, entries.jsonl against its root, then every
 * row and cell of awards.csv, awards.json and awards.xlsx recomputed from
 * those entries, and the shipped recipe equal to the one raccord ships.
 * RC_OK when everything matches; RC_ELEDGER with res->report naming each
 * file, row and column that does not (err holds the first).
 */
enum rc_code ledger_export_verify(const char *outdir,
    const struct note_verifier *vkey, struct ledger_export_check *res,
    struct rc_err *err);

/*
 * Write a file atomically: temp in the same directory, fsync, rename,
 * fsync the directory.
 */
enum rc_code ledger_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct rc_err *err);

/* Read a whole file of at most max bytes; *out (rc_free) NUL-terminated. */
enum rc_code ledger_read_file(const char *path, size_t max, char **out,
    size_t *len, struct rc_err *err);

#endif /* RC_CONNECTOR_LEDGER_LEDGER_H */
