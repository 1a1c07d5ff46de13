/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/ledger/: durable file helpers and entry encoding.
 */
#ifndef RC_CONNECTOR_LEDGER_LEDGER_INT_H
#define RC_CONNECTOR_LEDGER_LEDGER_INT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

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

#endif /* RC_CONNECTOR_LEDGER_LEDGER_INT_H */
