/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/ledger/: durable file helpers and entry encoding.
 */
#ifndef RC_CONNECTOR_LEDGER_LEDGER_INT_H
#define RC_CONNECTOR_LEDGER_LEDGER_INT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "connector/ledger/ledger.h"

/* write(2) until done; RC_ESYS naming what. */
enum rc_code ledger_write_all(int fd, const void *buf, size_t len,
    const char *what, struct rc_err *err);

/* fsync(2); RC_ESYS naming what.  Never retried by callers. */
enum rc_code ledger_fsync(int fd, const char *what, struct rc_err *err);

/* Replace dirfd/name atomically (temp, fsync, rename, fsync dir). */
enum rc_code ledger_replace_at(int dirfd, const char *name, const void *data,
    size_t len, mode_t mode, struct rc_err *err);

/*
 * Create dirfd/name once (temp, fsync, link, fsync dir).  When it exists
 * already with the same bytes, *existed is set and RC_OK; with other
 * bytes, RC_ELEDGER.
 */
enum rc_code ledger_create_once_at(int dirfd, const char *name,
    const void *data, size_t len, int *existed, struct rc_err *err);

/* Read dirfd/name (at most max bytes); *out (rc_free) NUL-terminated. */
enum rc_code ledger_read_at(int dirfd, const char *name, size_t max, char **out,
    size_t *len, struct rc_err *err);

/* RFC 3339 UTC with seconds: "2026-03-02T09:15:00Z". */
void ledger_time_format(time_t t, char out[21]);

/* The compact JSON line of a new entry (no "\n"); *out for rc_free. */
enum rc_code ledger_entry_encode(const struct ledger_entry_in *in, uint64_t seq,
    const char *time_str, char **out, size_t *len, struct rc_err *err);

/* The policy's view of an entry read back (pe borrows e's strings). */
void ledger_entry_policy(const struct ledger_entry *e, struct policy_entry *pe);

/*
 * The export model (ledger_export.c): every cell of awards.csv,
 * awards.json and awards.xlsx, derived from the signed entries alone, so
 * that `ledger export` writes it and `ledger verify-export` rebuilds it
 * from the export's own entries.jsonl and checkpoint with the same code.
 */
enum export_col {
	EXPORT_COL_SEQ,
	EXPORT_COL_SIREN,
	EXPORT_COL_SIRET,
	EXPORT_COL_NOM,
	EXPORT_COL_TITULAIRE,
	EXPORT_COL_TYPE,
	EXPORT_COL_EUR,
	EXPORT_COL_CENTS,
	EXPORT_COL_IBAN,
	EXPORT_COL_BIC,
	EXPORT_COL_DOSSIER,
	EXPORT_COL_DATE,
	EXPORT_COL_PREUVE,
	EXPORT_COL_FEUILLE,
	EXPORT_COL_STATUT,
	EXPORT_COL__MAX
};

/* Column names (the CSV header and the xlsx header row). */
extern const char *const export_col_names[EXPORT_COL__MAX];

struct export_row {
	uint64_t seq;
	time_t time;
	long long cents;
	int revoked;
	char *cell[EXPORT_COL__MAX]; /* raw text of each cell (owned) */
};

struct export_model {
	struct checkpoint cp;
	char root_b64[64];
	struct export_row *rows; /* the awards, in seq order */
	size_t nrows;
	long long payable_cents; /* the awards not revoked */
	json_t *doc;             /* awards.json */
};

/*
 * Build the model from a signed checkpoint note and the entries.jsonl
 * bytes it covers: the note must verify with vkey, the lines must be
 * exactly its size and hash to its root, each must parse (v1 or v2).
 * RC_ELEDGER naming the problem; RC_ENOMEM.
 */
enum rc_code export_model_build(const char *note, size_t notelen,
    const struct note_verifier *vkey, const char *entries, size_t len,
    struct export_model *m, struct rc_err *err);
void export_model_free(struct export_model *m);

/* The xlsx (ledger_xlsx.c): written from the model... */
enum rc_code export_xlsx_write(const struct export_model *m, const char *path,
    struct rc_err *err);

/*
 * ...and read back (libzip, libxml2) and compared cell by cell: each
 * mismatch is one line in report (at most max lines), *bad counts them.
 * RC_OK when the file could be read (then *bad says whether it matches).
 */
enum rc_code export_xlsx_check(const struct export_model *m, const char *path,
    struct rc_buf *report, size_t max, size_t *bad, struct rc_err *err);

#endif /* RC_CONNECTOR_LEDGER_LEDGER_INT_H */
