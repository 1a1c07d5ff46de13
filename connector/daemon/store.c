/* SPDX-License-Identifier: MIT */
/*
 * The durable job store on SQLite (see store.h).  Every statement is
 * prepared with bound parameters; every public function takes the mutex.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/daemon/recheck.h"
#include "connector/daemon/store.h"

struct store {
	sqlite3 *db;
	pthread_mutex_t mu;
	/*
	 * store_generation: SQLite's count of the rows this connection
	 * changed, published at each unlock.  Every write of the store goes
	 * through this one connection under mu, so no writer is left out.
	 */
	atomic_ullong gen;
	/* daemon.recheck_interval_s (store_recheck_setup); 0: no schedule. */
	long long recheck_interval;
	/* The hot paths' statements, prepared once (kept()). */
	sqlite3_stmt *kept[16];
};

/*
 * Statements prepared once and kept for the store's life: those of every
 * job (claim, finish, the worker loop's queries for conformance jobs and
 * due re-checks) and of every GET of a job, plus the two switches
 * of the commit's durability (docs/operations.md, "The job store's
 * commits").
 */
enum store_kept {
	KEPT_CLAIM_FIRST,
	KEPT_CLAIM_MORE,
	KEPT_CLAIM_RUN,
	KEPT_FINISH,
	KEPT_GET,
	KEPT_SYNC_NORMAL,
	KEPT_SYNC_FULL,
	KEPT_CONF_CLAIM,  /* asked between any two jobs */
	KEPT_RECHECK_DUE, /* asked between any two jobs */
	KEPT_BEGIN,       /* exec(): every write's transaction */
	KEPT_COMMIT,
	KEPT_ROLLBACK,
	KEPT_SUBMIT_IDEM, /* every POST /v1/dossiers */
	KEPT_SUBMIT_QUEUED,
	KEPT_SUBMIT_MINE,
	KEPT_SUBMIT_INSERT,
	KEPT__MAX
};
_Static_assert(KEPT__MAX <= 16, "struct store: kept[] too small");

/* The kept statement k of sql, reset and unbound; NULL on error. */
static sqlite3_stmt *
kept(struct store *st, enum store_kept k, const char *sql)
{
	if (st->kept[k] == NULL &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	        &st->kept[k], NULL) != SQLITE_OK) {
		st->kept[k] = NULL;
		return NULL;
	}
	return st->kept[k];
}

/* Done with a kept statement (NULL is a no-op): ready for its next use. */
static void
kept_done(sqlite3_stmt *s)
{
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* count(*) of a kept statement with one optional text argument; -1 on error. */
static long long
kept_count(struct store *st, enum store_kept k, const char *sql,
    const char *arg)
{
	sqlite3_stmt *s = kept(st, k, sql);
	long long n = -1;

	if (s != NULL) {
		if (arg != NULL)
			sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
	}
	kept_done(s);
	return n;
}

/*
 * The durability of the next commits: full (the default: fsync at every
 * commit) or, for the worker's claim and outcome commits only, normal
 * (WAL: a commit is written to the WAL without its fsync; the next full
 * commit or checkpoint syncs it).  A process crash (kill -9) loses
 * nothing either way; a power cut may lose the last normal commits, so a
 * job runs again, and an award is idempotent through the ledger.
 * Failing to switch only costs speed or keeps FULL: never an error.
 */
static void
store_sync(struct store *st, int full)
{
	sqlite3_stmt *s = full
	    ? kept(st, KEPT_SYNC_FULL, "PRAGMA synchronous=FULL")
	    : kept(st, KEPT_SYNC_NORMAL, "PRAGMA synchronous=NORMAL");

	if (s != NULL)
		sqlite3_step(s);
	kept_done(s);
}

/* Leave the store's critical section, publishing its generation. */
static void
store_unlock(struct store *st)
{
	atomic_store(&st->gen,
	    (unsigned long long)sqlite3_total_changes64(st->db));
	pthread_mutex_unlock(&st->mu);
}

unsigned long long
store_generation(struct store *st)
{
	return atomic_load(&st->gen);
}

int
store_synchronous(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &s, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return v;
}

static void recheck_host(const char *dossier, char *host, size_t n);

/* Schema migrations: migrations[v] takes a store from version v to v+1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE jobs ("
	" n INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" idem TEXT NOT NULL UNIQUE,"
	" dossier TEXT NOT NULL,"
	" dossier_id TEXT NOT NULL,"
	" siren TEXT NOT NULL,"
	" submitted_by TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'done', 'error')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" verdict TEXT, report TEXT, error TEXT,"
	" award_req INTEGER NOT NULL DEFAULT 0,"  /* award requests */
	" award_done INTEGER NOT NULL DEFAULT 0," /* award_req handled */
	" award_by TEXT, award TEXT,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX jobs_state ON jobs (state, n);"
	"CREATE INDEX jobs_siren ON jobs (siren, n);",
	/*
	 * 2: intake events (webhooks) already acted on, by source and the
	 * SHA-256 of the raw body, for replay refusal (docs/intake.md).
	 */
	"CREATE TABLE intake_events ("
	" source TEXT NOT NULL,"
	" body_sha256 TEXT NOT NULL,"
	" fired_at INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" event TEXT NOT NULL,"
	" siret TEXT,"
	" requeued INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (source, body_sha256));"
	"CREATE INDEX intake_events_fired ON intake_events (fired_at);",
	/*
	 * 3 (DS poller, docs/intake.md): each démarches-simplifiées
	 * dossier seen, the job of its mapped content, the annotation last
	 * written; and the last dateDerniereModification seen per source.
	 */
	"CREATE TABLE ds_dossiers ("
	" number INTEGER PRIMARY KEY,"
	" node_id TEXT NOT NULL,"
	" annotation_id TEXT,"
	" ds_state TEXT,"
	" modified TEXT NOT NULL,"
	" content_sha256 TEXT," /* mapped dossier; NULL: did not map */
	" job_id TEXT,"
	" written TEXT," /* the annotation's text as last known */
	" instructed INTEGER NOT NULL DEFAULT 0,"
	" pending INTEGER NOT NULL DEFAULT 0," /* write-back to redo */
	" seen INTEGER NOT NULL);"
	"CREATE INDEX ds_dossiers_job ON ds_dossiers (job_id);"
	"CREATE TABLE intake_cursor ("
	" source TEXT PRIMARY KEY,"
	" since TEXT NOT NULL);",
	/*
	 * 4: conformance runs (docs/conformance.md, "The daemon's job"): the
	 * test client registered for a job's dossier (no secret: its
	 * SHA-256) and the latest sealed report.
	 */
	"CREATE TABLE conformance ("
	" job_id TEXT PRIMARY KEY,"
	" registration TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('registered', 'queued', 'running', 'done', 'error')),"
	" requested_by TEXT, verdict TEXT, sealed TEXT, error TEXT,"
	" updated INTEGER NOT NULL);",
	/*
	 * 5: re-verification (recheck.h): when an awarded job is next
	 * re-checked, whether its queued run is a re-check, the host it
	 * counts against, and the streak of failing re-checks with the last
	 * outcome.  Older stores' awarded jobs get a schedule at the first
	 * pass of the worker.
	 */
	"ALTER TABLE jobs ADD COLUMN recheck_run INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN recheck_next INTEGER;"
	"ALTER TABLE jobs ADD COLUMN recheck_host TEXT;"
	"ALTER TABLE jobs ADD COLUMN recheck_streak INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN recheck_since INTEGER;"
	"ALTER TABLE jobs ADD COLUMN recheck_last INTEGER;"
	"ALTER TABLE jobs ADD COLUMN recheck_outcome TEXT;"
	"ALTER TABLE jobs ADD COLUMN recheck_report TEXT;"
	"ALTER TABLE jobs ADD COLUMN recheck_error TEXT;"
	"CREATE INDEX jobs_recheck ON jobs (recheck_next);",
	/*
	 * 6: the re-check schedule is set when the award is recorded
	 * (store_finish, store_recheck_setup), so that a tick of the worker
	 * is one indexed query: recheck_at (was recheck_next), indexed on
	 * the jobs not being re-checked, and the host's in-flight re-checks
	 * indexed by host.  queued_seq: a job's place in the queue, taken
	 * when it enters the queue (submitted, or sent back from done or
	 * error: an award request, a DataPass event, a conformance run, a
	 * re-check), so that an old job sent back does not go ahead of
	 * fresher submissions; the triggers keep it for every writer.
	 */
	"ALTER TABLE jobs RENAME COLUMN recheck_next TO recheck_at;"
	"DROP INDEX jobs_recheck;"
	"CREATE INDEX jobs_recheck_due ON jobs (recheck_at)"
	" WHERE recheck_run = 0;"
	"CREATE INDEX jobs_recheck_busy ON jobs (recheck_host)"
	" WHERE recheck_run = 1;"
	"ALTER TABLE jobs ADD COLUMN queued_seq INTEGER;"
	"UPDATE jobs SET queued_seq = n;"
	"CREATE INDEX jobs_queue ON jobs (queued_seq);"
	"CREATE TRIGGER jobs_queue_insert AFTER INSERT ON jobs BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;"
	"CREATE TRIGGER jobs_queue_requeue AFTER UPDATE OF state ON jobs"
	" WHEN NEW.state = 'queued' AND OLD.state IN ('done', 'error') BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;",
	/*
	 * 7: a job that waits for its credential (docs/intake.md,
	 * "Credentials": a DS dossier naming an API, until the collectivité
	 * gives its token): state 'awaiting_credential', never claimed.
	 * SQLite cannot change a CHECK constraint, so the table is rebuilt
	 * (its columns in the same order, its indexes again).
	 */
	"CREATE TABLE jobs7 ("
	" n INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" idem TEXT NOT NULL UNIQUE,"
	" dossier TEXT NOT NULL,"
	" dossier_id TEXT NOT NULL,"
	" siren TEXT NOT NULL,"
	" submitted_by TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'done', 'error', 'awaiting_credential')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" verdict TEXT, report TEXT, error TEXT,"
	" award_req INTEGER NOT NULL DEFAULT 0,"
	" award_done INTEGER NOT NULL DEFAULT 0,"
	" award_by TEXT, award TEXT,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	" recheck_run INTEGER NOT NULL DEFAULT 0,"
	" recheck_at INTEGER,"
	" recheck_host TEXT,"
	" recheck_streak INTEGER NOT NULL DEFAULT 0,"
	" recheck_since INTEGER,"
	" recheck_last INTEGER,"
	" recheck_outcome TEXT,"
	" recheck_report TEXT,"
	" recheck_error TEXT,"
	" queued_seq INTEGER);"
	"INSERT INTO jobs7 SELECT n, id, idem, dossier, dossier_id, siren,"
	" submitted_by, state, attempts, verdict, report, error, award_req,"
	" award_done, award_by, award, created, updated, recheck_run,"
	" recheck_at, recheck_host, recheck_streak, recheck_since,"
	" recheck_last, recheck_outcome, recheck_report, recheck_error,"
	" queued_seq FROM jobs;"
	"DROP TABLE jobs;"
	"ALTER TABLE jobs7 RENAME TO jobs;"
	"CREATE INDEX jobs_state ON jobs (state, n);"
	"CREATE INDEX jobs_siren ON jobs (siren, n);"
	"CREATE INDEX jobs_recheck_due ON jobs (recheck_at)"
	" WHERE recheck_run = 0;"
	"CREATE INDEX jobs_recheck_busy ON jobs (recheck_host)"
	" WHERE recheck_run = 1;"
	"CREATE INDEX jobs_queue ON jobs (queued_seq);"
	/* The triggers of 6 went with the old table; a job that waited
	 * for its token takes its queue place when the token comes. */
	"CREATE TRIGGER jobs_queue_insert AFTER INSERT ON jobs BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;"
	"CREATE TRIGGER jobs_queue_requeue AFTER UPDATE OF state ON jobs"
	" WHEN NEW.state = 'queued' AND OLD.state IN ('done', 'error',"
	" 'awaiting_credential') BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;",
	/*
	 * 8: a job closed because its DS dossier changed before its
	 * credential came (docs/intake.md, "Credentials"): state
	 * 'superseded', never claimed, never queued again; its error names
	 * the newer job.  The table is rebuilt again for the CHECK.
	 */
	"CREATE TABLE jobs8 ("
	" n INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" idem TEXT NOT NULL UNIQUE,"
	" dossier TEXT NOT NULL,"
	" dossier_id TEXT NOT NULL,"
	" siren TEXT NOT NULL,"
	" submitted_by TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'done', 'error', 'awaiting_credential',"
	"  'superseded')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" verdict TEXT, report TEXT, error TEXT,"
	" award_req INTEGER NOT NULL DEFAULT 0,"
	" award_done INTEGER NOT NULL DEFAULT 0,"
	" award_by TEXT, award TEXT,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	" recheck_run INTEGER NOT NULL DEFAULT 0,"
	" recheck_at INTEGER,"
	" recheck_host TEXT,"
	" recheck_streak INTEGER NOT NULL DEFAULT 0,"
	" recheck_since INTEGER,"
	" recheck_last INTEGER,"
	" recheck_outcome TEXT,"
	" recheck_report TEXT,"
	" recheck_error TEXT,"
	" queued_seq INTEGER);"
	"INSERT INTO jobs8 SELECT n, id, idem, dossier, dossier_id, siren,"
	" submitted_by, state, attempts, verdict, report, error, award_req,"
	" award_done, award_by, award, created, updated, recheck_run,"
	" recheck_at, recheck_host, recheck_streak, recheck_since,"
	" recheck_last, recheck_outcome, recheck_report, recheck_error,"
	" queued_seq FROM jobs;"
	"DROP TABLE jobs;"
	"ALTER TABLE jobs8 RENAME TO jobs;"
	"CREATE INDEX jobs_state ON jobs (state, n);"
	"CREATE INDEX jobs_siren ON jobs (siren, n);"
	"CREATE INDEX jobs_recheck_due ON jobs (recheck_at)"
	" WHERE recheck_run = 0;"
	"CREATE INDEX jobs_recheck_busy ON jobs (recheck_host)"
	" WHERE recheck_run = 1;"
	"CREATE INDEX jobs_queue ON jobs (queued_seq);"
	/* The triggers went with the old table. */
	"CREATE TRIGGER jobs_queue_insert AFTER INSERT ON jobs BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;"
	"CREATE TRIGGER jobs_queue_requeue AFTER UPDATE OF state ON jobs"
	" WHEN NEW.state = 'queued' AND OLD.state IN ('done', 'error',"
	" 'awaiting_credential') BEGIN"
	" UPDATE jobs SET queued_seq ="
	"  (SELECT coalesce(max(queued_seq), 0) + 1 FROM jobs)"
	" WHERE n = NEW.n; END;"
	/* A DS dossier whose content changed: the row points to the
	 * newer job, and the job that still waited for its credential
	 * is closed, naming the one that replaces it. */
	"CREATE TRIGGER ds_supersede AFTER UPDATE OF job_id ON ds_dossiers"
	" WHEN OLD.job_id IS NOT NULL AND NEW.job_id IS NOT NULL"
	" AND NEW.job_id <> OLD.job_id BEGIN"
	" UPDATE jobs SET state = 'superseded', updated = NEW.seen,"
	"  error = 'superseded by job ' || NEW.job_id || ': DS dossier '"
	"  || NEW.number || ' changed on démarches-simplifiées before its"
	" credential was given; the credential goes to the newer job'"
	" WHERE id = OLD.job_id AND state = 'awaiting_credential'; END;",
};

static enum rc_code
dberr(struct store *st, struct rc_err *err, const char *what)
{
	return RC_ERR(err, RC_ESYS, "job store: %s: %s", what,
	    sqlite3_errmsg(st->db));
}

static enum rc_code
exec(struct store *st, const char *sql, struct rc_err *err)
{
	/* The transaction statements of every write: prepared once. */
	static const char *const tx[] = { "BEGIN IMMEDIATE", "COMMIT",
		"ROLLBACK" };
	sqlite3_stmt *s;
	char *msg = NULL;
	enum rc_code rc = RC_OK;
	size_t k;

	for (k = 0; k < sizeof(tx) / sizeof(tx[0]); k++) {
		if (strcmp(sql, tx[k]) != 0)
			continue;
		if ((s = kept(st, (enum store_kept)(KEPT_BEGIN + k), sql)) ==
		        NULL ||
		    sqlite3_step(s) != SQLITE_DONE)
			rc = RC_ERR(err, RC_ESYS, "job store: %s",
			    sqlite3_errmsg(st->db));
		kept_done(s);
		return rc;
	}
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		rc = RC_ERR(err, RC_ESYS, "job store: %s",
		    msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return rc;
}

/* Bind text or NULL. */
static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT)
	         : sqlite3_bind_null(s, i);
}

static enum rc_code
migrate(struct store *st, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	long long v = 0;
	enum rc_code rc;
	char stamp[96];
	int r;

	if ((rc = exec(st,
	         "BEGIN IMMEDIATE;"
	         "CREATE TABLE IF NOT EXISTS schema_version"
	         " (version INTEGER NOT NULL);",
	         err)) != RC_OK)
		return rc;
	if (sqlite3_prepare_v2(st->db,
	        "SELECT max(version) FROM schema_version", -1, &s,
	        NULL) != SQLITE_OK) {
		rc = dberr(st, err, "schema_version");
		goto out;
	}
	if ((r = sqlite3_step(s)) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (v > STORE_SCHEMA_VERSION) {
		rc = RC_ERR(err, RC_ECONFIG,
		    "job store: schema version %lld is newer than this "
		    "raccord's (%d); run the newer raccord or restore a backup",
		    v, STORE_SCHEMA_VERSION);
		goto out;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if ((rc = exec(st, migrations[v], err)) != RC_OK)
			goto out;
	/* The version reached, not a constant (it once always said 1). */
	snprintf(stamp, sizeof(stamp),
	    "DELETE FROM schema_version;"
	    "INSERT INTO schema_version VALUES (%d);"
	    "COMMIT;",
	    STORE_SCHEMA_VERSION);
	if ((rc = exec(st, stamp, err)) != RC_OK)
		goto out;
	return RC_OK;
out:
	sqlite3_finalize(s);
	exec(st, "ROLLBACK;", NULL);
	return rc;
}

enum rc_code
store_open(const char *path, struct store **out, size_t *requeued,
    struct rc_err *err)
{
	struct store *st;
	enum rc_code rc;

	*out = NULL;
	*requeued = 0;
	if ((st = rc_calloc(1, sizeof(*st))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	pthread_mutex_init(&st->mu, NULL);
	if (sqlite3_open_v2(path, &st->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_FULLMUTEX,
	        NULL) != SQLITE_OK) {
		rc = RC_ERR(err, RC_ESYS, "job store %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* WAL and full sync: a 202 is on disk before it is sent. */
	if ((rc = exec(st,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	         "PRAGMA foreign_keys=ON;",
	         err)) != RC_OK ||
	    (rc = migrate(st, err)) != RC_OK)
		goto fail;
	if ((rc = exec(st,
	         "UPDATE jobs SET state = 'queued' WHERE state = 'running'",
	         err)) != RC_OK)
		goto fail;
	*requeued = (size_t)sqlite3_changes(st->db);
	if ((rc = exec(st,
	         "UPDATE conformance SET state = 'queued'"
	         " WHERE state = 'running'",
	         err)) != RC_OK)
		goto fail;
	/* A write-back claimed when the process died: redo it. */
	if ((rc = exec(st,
	         "UPDATE ds_dossiers SET pending = 1 WHERE pending IN (2, 3)",
	         err)) != RC_OK)
		goto fail;
	atomic_store(&st->gen,
	    (unsigned long long)sqlite3_total_changes64(st->db));
	*out = st;
	return RC_OK;
fail:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < KEPT__MAX; i++)
		sqlite3_finalize(st->kept[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->mu);
	rc_free(st);
}

static enum rc_code
new_id(char id[STORE_ID_LEN + 1], struct rc_err *err)
{
	unsigned char b[STORE_ID_LEN / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return RC_ERR(err, RC_ECRYPTO, "no random bytes for a job id");
	rc_hex(b, sizeof(b), id);
	return RC_OK;
}

static long long count1(struct store *st, const char *sql, const char *arg);

/* store_submit_capped, inserting the job in state state. */
static enum rc_code
submit(struct store *st, const char *idem, const char *dossier,
    const char *dossier_id, const char *siren, const char *by,
    long long queue_max, long long by_max, const char *state,
    char id[STORE_ID_LEN + 1], int *existed, int *full, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	long long now = (long long)time(NULL), queued = 0, mine = 0;
	enum rc_code rc = RC_OK;
	int began = 0;

	*existed = *full = 0;
	id[0] = '\0';
	pthread_mutex_lock(&st->mu);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	if ((s = kept(st, KEPT_SUBMIT_IDEM,
	         "SELECT id FROM jobs WHERE idem = ?")) == NULL) {
		rc = dberr(st, err, "lookup");
		goto out;
	}
	bind_text(s, 1, idem);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(id, STORE_ID_LEN + 1, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		*existed = 1;
		goto out;
	}
	kept_done(s);
	queued = kept_count(st, KEPT_SUBMIT_QUEUED,
	    "SELECT count(*) FROM jobs WHERE state = 'queued'", NULL);
	if (queued >= 0 && queued < queue_max && by_max < LLONG_MAX &&
	    (mine = kept_count(st, KEPT_SUBMIT_MINE,
	         "SELECT count(*) FROM jobs WHERE state IN ('queued', "
	         "'running') AND submitted_by = ?",
	         by)) < 0)
		queued = -1;
	if (queued < 0) {
		rc = dberr(st, err, "count");
		goto out;
	}
	if (queued >= queue_max || mine >= by_max) {
		*full = queued >= queue_max ? 1 : 2;
		goto out;
	}
	if ((rc = new_id(id, err)) != RC_OK)
		goto out;
	if ((s = kept(st, KEPT_SUBMIT_INSERT,
	         "INSERT INTO jobs (id, idem, dossier, dossier_id, siren,"
	         " submitted_by, state, created, updated)"
	         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL) {
		rc = dberr(st, err, "insert");
		goto out;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, idem);
	bind_text(s, 3, dossier);
	bind_text(s, 4, dossier_id);
	bind_text(s, 5, siren);
	bind_text(s, 6, by);
	bind_text(s, 7, state);
	sqlite3_bind_int64(s, 8, now);
	sqlite3_bind_int64(s, 9, now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = dberr(st, err, "insert");
		goto out;
	}
out:
	kept_done(s);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK) {
			exec(st, "ROLLBACK", NULL);
			id[0] = '\0';
		}
	}
	store_unlock(st);
	return rc;
}

enum rc_code
store_submit(struct store *st, const char *idem, const char *dossier,
    const char *dossier_id, const char *siren, const char *by,
    long long queue_max, char id[STORE_ID_LEN + 1], int *existed, int *full,
    struct rc_err *err)
{
	return submit(st, idem, dossier, dossier_id, siren, by, queue_max,
	    LLONG_MAX, "queued", id, existed, full, err);
}

enum rc_code
store_submit_capped(struct store *st, const char *idem, const char *dossier,
    const char *dossier_id, const char *siren, const char *by,
    long long queue_max, long long by_max, char id[STORE_ID_LEN + 1],
    int *existed, int *full, struct rc_err *err)
{
	return submit(st, idem, dossier, dossier_id, siren, by, queue_max,
	    by_max, "queued", id, existed, full, err);
}

enum rc_code
store_submit_awaiting(struct store *st, const char *idem, const char *dossier,
    const char *dossier_id, const char *siren, const char *by,
    long long queue_max, char id[STORE_ID_LEN + 1], int *existed, int *full,
    struct rc_err *err)
{
	return submit(st, idem, dossier, dossier_id, siren, by, queue_max,
	    LLONG_MAX, "awaiting_credential", id, existed, full, err);
}

enum rc_code
store_credential_attach(struct store *st, const char *id, const char *dossier,
    const char *award_seen, int *attached, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	*attached = 0;
	pthread_mutex_lock(&st->mu);
	/*
	 * One statement: only a job that waits, or whose last run did not
	 * verify (queued or running: refused; a verified result waiting for
	 * the instructor is never replaced by a stranger's credential; a
	 * run that ended in error may take one), whose award is still the
	 * one the caller judged (IS: NULL included).
	 */
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET dossier = ?2, state = 'queued', error = NULL,"
	        " updated = ?4 WHERE id = ?1 AND (state = "
	        "'awaiting_credential' OR state = 'error' OR (state = 'done'"
	        " AND verdict IS NOT 'verified')) AND award IS ?3",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "credential");
		goto out;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, dossier);
	bind_text(s, 3, award_seen);
	sqlite3_bind_int64(s, 4, (long long)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = dberr(st, err, "credential");
		goto out;
	}
	*attached = sqlite3_changes(st->db) == 1;
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_credential_target(struct store *st, const char *id, char **dossier,
    char **award, char state[24], struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	enum rc_code rc = RC_OK;

	*dossier = *award = NULL;
	state[0] = '\0';
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT dossier, award, CASE WHEN state = 'done' AND verdict ="
	        " 'verified' THEN 'verified' ELSE state END FROM jobs"
	        " WHERE id = ?",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "get");
		goto out;
	}
	bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	snprintf(state, 24, "%s", (const char *)sqlite3_column_text(s, 2));
	if ((*dossier = rc_strdup((const char *)sqlite3_column_text(s, 0))) ==
	        NULL ||
	    ((t = sqlite3_column_text(s, 1)) != NULL &&
	        (*award = rc_strdup((const char *)t)) == NULL)) {
		rc_free(*dossier);
		*dossier = NULL;
		state[0] = '\0';
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
	}
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

/* Column i as a JSON string or null. */
static json_t *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? json_string((const char *)t) : json_null();
}

/* Column i (JSON text we stored) as JSON, or null. */
static json_t *
col_json(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	json_t *j;

	if (t == NULL)
		return json_null();
	j = json_loads((const char *)t, JSON_REJECT_DUPLICATES, NULL);
	return j ? j : json_null();
}

enum rc_code
store_get(struct store *st, const char *id, json_t **out, struct rc_err *err)
{
	unsigned long long gen;

	return store_get_at(st, id, out, &gen, err);
}

enum rc_code
store_get_at(struct store *st, const char *id, json_t **out,
    unsigned long long *gen, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	json_t *o;

	*out = NULL;
	pthread_mutex_lock(&st->mu);
	*gen = (unsigned long long)sqlite3_total_changes64(st->db);
	if ((s = kept(st, KEPT_GET,
	         "SELECT id, state, dossier_id, siren, submitted_by, created,"
	         " updated, attempts, verdict, report, error, award_by, award,"
	         " award_req > award_done FROM jobs WHERE id = ?")) == NULL) {
		rc = dberr(st, err, "get");
		goto out;
	}
	bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o, "
	              "s:o, s:o, s:o, s:b}",
	    "id", col_str(s, 0), "state", col_str(s, 1), "dossier_id",
	    col_str(s, 2), "siren", col_str(s, 3), "submitted_by",
	    col_str(s, 4), "created", (json_int_t)sqlite3_column_int64(s, 5),
	    "updated", (json_int_t)sqlite3_column_int64(s, 6), "attempts",
	    (json_int_t)sqlite3_column_int64(s, 7), "verdict", col_str(s, 8),
	    "report", col_json(s, 9), "error", col_str(s, 10),
	    "award_requested_by", col_str(s, 11), "award", col_json(s, 12),
	    "award_requested", sqlite3_column_int(s, 13));
	if (o == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	*out = o;
out:
	kept_done(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_list(struct store *st, const char *siren, const char *state,
    const char *verdict, long long after, long long limit, json_t **out,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	json_t *arr = NULL, *o;
	long long last = 0, n = 0;
	int r;

	*out = NULL;
	pthread_mutex_lock(&st->mu);
	if ((arr = json_array()) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(st->db,
	        "SELECT n, id, state, siren, dossier_id, verdict FROM jobs"
	        " WHERE n > ?1 AND (?2 IS NULL OR siren = ?2)"
	        " AND (?3 IS NULL OR state = ?3)"
	        " AND (?4 IS NULL OR verdict = ?4) ORDER BY n LIMIT ?5",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "list");
		goto out;
	}
	sqlite3_bind_int64(s, 1, after);
	bind_text(s, 2, siren);
	bind_text(s, 3, state);
	bind_text(s, 4, verdict);
	sqlite3_bind_int64(s, 5, limit + 1);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == limit)
			break;
		last = sqlite3_column_int64(s, 0);
		o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", col_str(s, 1),
		    "state", col_str(s, 2), "siren", col_str(s, 3),
		    "dossier_id", col_str(s, 4), "verdict", col_str(s, 5));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = dberr(st, err, "list");
		goto out;
	}
	*out = json_pack("{s:O, s:o}", "jobs", arr, "next",
	    r == SQLITE_ROW ? json_integer(last) : json_null());
	if (*out == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	json_decref(arr);
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

void
store_job_cleanup(struct store_job *job)
{
	rc_free(job->dossier);
	rc_free(job->award_by);
	memset(job, 0, sizeof(*job));
}

/* The columns store_claim_batch reads, in claim_row's order. */
#define CLAIM_COLUMNS                                                          \
	"SELECT id, dossier, award_req, award_done, award_by, recheck_run,"    \
	" submitted_by = 'self-check page' FROM jobs"

/* One row of CLAIM_COLUMNS into job.  RC_ENOMEM. */
static enum rc_code
claim_row(sqlite3_stmt *s, struct store_job *job, struct rc_err *err)
{
	const unsigned char *t;

	memset(job, 0, sizeof(*job));
	snprintf(job->id, sizeof(job->id), "%s",
	    (const char *)sqlite3_column_text(s, 0));
	job->dossier = rc_strdup((const char *)sqlite3_column_text(s, 1));
	job->award_seen = sqlite3_column_int64(s, 2);
	job->want_award = job->award_seen > sqlite3_column_int64(s, 3);
	t = sqlite3_column_text(s, 4);
	job->award_by = t ? rc_strdup((const char *)t) : NULL;
	job->recheck = sqlite3_column_int(s, 5);
	job->selfcheck = sqlite3_column_int(s, 6);
	if (job->dossier == NULL || (t != NULL && job->award_by == NULL))
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	return RC_OK;
}

enum rc_code
store_claim(struct store *st, struct store_job *job, int *got,
    struct rc_err *err)
{
	size_t n = 0;
	enum rc_code rc;

	rc = store_claim_batch(st, job, 1, &n, err);
	*got = n == 1;
	return rc;
}

enum rc_code
store_claim_batch(struct store *st, struct store_job *jobs, size_t max,
    size_t *n, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	long long now = (long long)time(NULL);
	int began = 0;
	size_t i;

	*n = 0;
	for (i = 0; i < max; i++)
		memset(&jobs[i], 0, sizeof(jobs[i]));
	if (max == 0)
		return RC_OK;
	pthread_mutex_lock(&st->mu);
	/* A claim lost to a power cut only runs its jobs once more. */
	store_sync(st, 0);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	if ((s = kept(st, KEPT_CLAIM_FIRST,
	         CLAIM_COLUMNS
	         " WHERE state = 'queued'"
	         /* The instructors' jobs, then re-checks, then the public
	            self-check page's (connector/daemon/selfcheck.h,
	            SELFCHECK_BY); each in the order they entered the queue
	            (queued_seq, schema 6). */
	         " ORDER BY submitted_by = 'self-check page', recheck_run,"
	         " queued_seq, n LIMIT 1")) == NULL) {
		rc = dberr(st, err, "claim");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	if ((rc = claim_row(s, &jobs[0], err)) != RC_OK)
		goto out;
	*n = 1;
	kept_done(s);
	s = NULL;
	/*
	 * Its companions: the next queued jobs of its kind (a re-check
	 * runs alone; the self-check page's jobs go with each other only:
	 * they reach other networks), in the order they entered the queue.
	 */
	if (max > 1 && !jobs[0].recheck) {
		if ((s = kept(st, KEPT_CLAIM_MORE,
		         CLAIM_COLUMNS
		         " WHERE state = 'queued' AND id <> ?1"
		         " AND recheck_run = 0"
		         " AND (submitted_by = 'self-check page') = ?2"
		         " ORDER BY queued_seq, n LIMIT ?3")) == NULL) {
			rc = dberr(st, err, "claim");
			goto out;
		}
		/*
		 * The self-check page's jobs in small batches: a batch runs
		 * to its end, and strangers' portals aimed at one slow host
		 * would keep an instructor's job (claimed first) waiting for
		 * as many dossier deadlines as the per-host limit stretches.
		 */
		if (jobs[0].selfcheck && max > STORE_SELFCHECK_BATCH_MAX)
			max = STORE_SELFCHECK_BATCH_MAX;
		bind_text(s, 1, jobs[0].id);
		sqlite3_bind_int(s, 2, jobs[0].selfcheck != 0);
		sqlite3_bind_int64(s, 3, (long long)(max - 1));
		while (*n < max && sqlite3_step(s) == SQLITE_ROW) {
			if ((rc = claim_row(s, &jobs[*n], err)) != RC_OK) {
				(*n)++; /* cleaned up below */
				goto out;
			}
			(*n)++;
		}
		kept_done(s);
		s = NULL;
	}
	if ((s = kept(st, KEPT_CLAIM_RUN,
	         "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
	         " updated = ? WHERE id = ?")) == NULL) {
		rc = dberr(st, err, "claim");
		goto out;
	}
	for (i = 0; i < *n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, now);
		bind_text(s, 2, jobs[i].id);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = dberr(st, err, "claim");
			goto out;
		}
	}
out:
	kept_done(s);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK)
			exec(st, "ROLLBACK", NULL);
	}
	store_sync(st, 1);
	if (rc != RC_OK) {
		for (i = 0; i < *n; i++)
			store_job_cleanup(&jobs[i]);
		*n = 0;
	}
	store_unlock(st);
	return rc;
}

/* The award JSON a (SQL parameter) holds a decision awarded or already. */
#define AWARD_KEEPS(a)                                                         \
	"EXISTS (SELECT 1 FROM json_each(" a ", '$.decisions') WHERE"          \
	" json_extract(value, '$.outcome') IN ('awarded', 'already'))"

/*
 * When an award recorded now is first re-checked (recheck_next_at), or -1
 * without daemon.recheck_interval_s (store_recheck_setup not called).
 */
static long long
first_recheck(const struct store *st, long long now)
{
	uint64_t rnd;

	if (st->recheck_interval <= 0)
		return -1;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint64_t)now; /* the jitter only spreads the load */
	return recheck_next_at(now, st->recheck_interval, rnd);
}

enum rc_code
store_finish(struct store *st, const struct store_job *job, const char *state,
    const char *verdict, const char *report, const char *error,
    const char *award, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	long long now = (long long)time(NULL), at = -1;
	char host[256] = "-";

	/* An award with something kept: its re-check schedule and host. */
	if (award != NULL && (at = first_recheck(st, now)) >= 0)
		recheck_host(job->dossier, host, sizeof(host));
	pthread_mutex_lock(&st->mu);
	/*
	 * A run that tried to award has handled the requests counted when
	 * it was claimed (award_done).  A request that came during the
	 * run, with no award recorded, sends the job round once more.  The
	 * first award that keeps something schedules the re-checks.
	 */
	if ((s = kept(st, KEPT_FINISH,
	         "UPDATE jobs SET"
	         " award_done = CASE WHEN ?8 THEN ?9 ELSE award_done END,"
	         " award = coalesce(?3, award),"
	         " state = CASE WHEN coalesce(?3, award) IS NULL AND award_req "
	         ">"
	         "  (CASE WHEN ?8 THEN ?9 ELSE award_done END)"
	         "  THEN 'queued' ELSE ?1 END,"
	         " recheck_host = CASE WHEN recheck_at IS NULL AND ?10 >= 0 AND"
	         "  ?3 IS NOT NULL AND " AWARD_KEEPS(
	             "?3") " THEN ?11"
	                   "  ELSE recheck_host END,"
	                   " recheck_at = CASE WHEN recheck_at IS NULL AND ?10 "
	                   ">= 0 AND"
	                   "  ?3 IS NOT NULL AND " AWARD_KEEPS(
	                       "?3") " THEN ?10"
	                             "  ELSE recheck_at END,"
	                             " verdict = ?4, report = ?5, error = ?6, "
	                             "updated = ?7"
	                             " WHERE id = ?2")) == NULL) {
		rc = dberr(st, err, "finish");
		goto out;
	}
	bind_text(s, 1, state);
	bind_text(s, 2, job->id);
	bind_text(s, 3, award);
	bind_text(s, 4, verdict);
	bind_text(s, 5, report);
	bind_text(s, 6, error);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_int(s, 8, job->want_award);
	sqlite3_bind_int64(s, 9, job->award_seen);
	sqlite3_bind_int64(s, 10, at);
	bind_text(s, 11, host);
	/*
	 * An outcome lost to a power cut leaves the job running, so it is
	 * queued again at start (store_open) and runs once more; its award,
	 * if any, is already in the ledger, which answers "already".
	 */
	store_sync(st, 0);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "finish");
	store_sync(st, 1);
out:
	kept_done(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_request_award(struct store *st, const char *id, const char *by,
    int *found, int *already, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	int began = 0;

	*found = *already = 0;
	pthread_mutex_lock(&st->mu);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	if (sqlite3_prepare_v2(st->db,
	        "SELECT award IS NOT NULL FROM jobs WHERE id = ?", -1, &s,
	        NULL) != SQLITE_OK) {
		rc = dberr(st, err, "award");
		goto out;
	}
	bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*found = 1;
	*already = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (*already)
		goto out;
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET award_req = award_req + 1, award_by = ?1,"
	        " state = CASE WHEN state IN ('done', 'error') THEN 'queued'"
	        " ELSE state END, updated = ?2 WHERE id = ?3",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "award");
		goto out;
	}
	bind_text(s, 1, by);
	sqlite3_bind_int64(s, 2, (long long)time(NULL));
	bind_text(s, 3, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "award");
out:
	sqlite3_finalize(s);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK)
			exec(st, "ROLLBACK", NULL);
	}
	store_unlock(st);
	return rc;
}

void
store_counts(struct store *st, long long n[STORE_NSTATES])
{
	static const char *const states[STORE_NSTATES] = { "queued", "running",
		"done", "error", "awaiting_credential", "superseded" };
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int i;

	for (i = 0; i < STORE_NSTATES; i++)
		n[i] = -1;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT state, count(*) FROM jobs GROUP BY state", -1, &s,
	        NULL) == SQLITE_OK) {
		for (i = 0; i < STORE_NSTATES; i++)
			n[i] = 0;
		while (sqlite3_step(s) == SQLITE_ROW) {
			t = sqlite3_column_text(s, 0);
			for (i = 0; t != NULL && i < STORE_NSTATES; i++)
				if (strcmp((const char *)t, states[i]) == 0)
					n[i] = sqlite3_column_int64(s, 1);
		}
	}
	sqlite3_finalize(s);
	store_unlock(st);
}

long long
store_queued(struct store *st)
{
	sqlite3_stmt *s = NULL;
	long long n = -1;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT count(*) FROM jobs WHERE state = 'queued'", -1, &s,
	        NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	store_unlock(st);
	return n;
}

enum rc_code
store_ping(struct store *st, struct rc_err *err)
{
	enum rc_code rc;

	pthread_mutex_lock(&st->mu);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) == RC_OK)
		rc = exec(st, "ROLLBACK", err);
	store_unlock(st);
	return rc;
}

/* One bound statement run to completion (no rows expected). */
static enum rc_code
run_stmt(struct store *st, sqlite3_stmt *s, const char *what,
    struct rc_err *err)
{
	int r = sqlite3_step(s);

	return r == SQLITE_DONE || r == SQLITE_ROW ? RC_OK
	                                           : dberr(st, err, what);
}

enum rc_code
store_intake_event(struct store *st, const char *source, const char *sha256,
    long long fired_at, const char *event, const char *siret,
    long long prune_before, int *seen, long long *requeued, struct rc_err *err)
{
	int full;

	return store_intake_event_bounded(st, source, sha256, fired_at, event,
	    siret, prune_before, LLONG_MAX, seen, &full, requeued, err);
}

/* The jobs an intake event for siret would queue again (see below). */
#define INTAKE_REQUEUE_WHERE                                                   \
	" WHERE state IN ('done', 'error') AND n IN"                           \
	" (SELECT max(n) FROM jobs"                                            \
	"  WHERE json_extract(dossier, '$.collectivite.siret') = ?2"           \
	"  AND submitted_by IS NOT 'self-check page'" /* strangers' */         \
	"  GROUP BY dossier_id)"

enum rc_code
store_intake_event_bounded(struct store *st, const char *source,
    const char *sha256, long long fired_at, const char *event,
    const char *siret, long long prune_before, long long queue_max, int *seen,
    int *full, long long *requeued, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	long long now = (long long)time(NULL), queued, want;
	enum rc_code rc = RC_OK;
	int began = 0;

	*seen = 0;
	*full = 0;
	*requeued = 0;
	pthread_mutex_lock(&st->mu);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	/* Forget what is too old to be replayed: it is refused as stale. */
	if (sqlite3_prepare_v2(st->db,
	        "DELETE FROM intake_events WHERE fired_at < ?", -1, &s,
	        NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake prune");
		goto out;
	}
	sqlite3_bind_int64(s, 1, prune_before);
	if ((rc = run_stmt(st, s, "intake prune", err)) != RC_OK)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db,
	        "INSERT OR IGNORE INTO intake_events (source, body_sha256,"
	        " fired_at, received, event, siret) VALUES (?, ?, ?, ?, ?, ?)",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake event");
		goto out;
	}
	bind_text(s, 1, source);
	bind_text(s, 2, sha256);
	sqlite3_bind_int64(s, 3, fired_at);
	sqlite3_bind_int64(s, 4, now);
	bind_text(s, 5, event);
	bind_text(s, 6, siret);
	if ((rc = run_stmt(st, s, "intake event", err)) != RC_OK)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_changes(st->db) == 0) {
		*seen = 1;
		goto commit;
	}
	if (siret == NULL)
		goto commit;
	/*
	 * daemon.queue_max holds here too (review finding: it was ignored):
	 * when the jobs to queue again do not fit, nothing is recorded, so
	 * that the sender's retry is not refused as a replay.
	 */
	if (sqlite3_prepare_v2(st->db,
	        "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued'),"
	        " (SELECT count(*) FROM jobs" INTAKE_REQUEUE_WHERE ")",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake recheck");
		goto out;
	}
	bind_text(s, 2, siret);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = dberr(st, err, "intake recheck");
		goto out;
	}
	queued = sqlite3_column_int64(s, 0);
	want = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	s = NULL;
	if (want > 0 && queued + want > queue_max) {
		*full = 1; /* rolled back: the event is not recorded */
		goto out;
	}
	/*
	 * The latest job of each dossier of that SIRET, when finished, runs
	 * again (queued or running ones will read DataPass anyway).
	 */
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET state = 'queued', updated = "
	        "?1" INTAKE_REQUEUE_WHERE,
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake recheck");
		goto out;
	}
	sqlite3_bind_int64(s, 1, now);
	bind_text(s, 2, siret);
	if ((rc = run_stmt(st, s, "intake recheck", err)) != RC_OK)
		goto out;
	*requeued = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE intake_events SET requeued = ?"
	        " WHERE source = ? AND body_sha256 = ?",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake event");
		goto out;
	}
	sqlite3_bind_int64(s, 1, *requeued);
	bind_text(s, 2, source);
	bind_text(s, 3, sha256);
	if ((rc = run_stmt(st, s, "intake event", err)) != RC_OK)
		goto out;
commit:
	rc = exec(st, "COMMIT", err);
	began = rc != RC_OK;
out:
	sqlite3_finalize(s);
	if (began) {
		exec(st, "ROLLBACK", NULL);
		*seen = 0;
		*requeued = 0;
	}
	store_unlock(st);
	return rc;
}

/*
 * The DS poller's rows (schema 3, store.h).
 */

static enum rc_code
ds_row(struct store *st, const char *where, const char *key, long long num,
    json_t **out, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	char sql[400];

	*out = NULL;
	snprintf(sql, sizeof(sql),
	    "SELECT number, node_id, annotation_id, ds_state, modified,"
	    " content_sha256, job_id, written, instructed, pending"
	    " FROM ds_dossiers WHERE %s = ?",
	    where);
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	if (key != NULL)
		bind_text(s, 1, key);
	else
		sqlite3_bind_int64(s, 1, num);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*out = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}",
	    "number", (json_int_t)sqlite3_column_int64(s, 0), "node_id",
	    col_str(s, 1), "annotation_id", col_str(s, 2), "ds_state",
	    col_str(s, 3), "modified", col_str(s, 4), "content_sha256",
	    col_str(s, 5), "job_id", col_str(s, 6), "written", col_str(s, 7),
	    "instructed", sqlite3_column_int(s, 8), "pending",
	    sqlite3_column_int(s, 9));
	if (*out == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_ds_get(struct store *st, long long number, json_t **out,
    struct rc_err *err)
{
	return ds_row(st, "number", NULL, number, out, err);
}

enum rc_code
store_ds_by_job(struct store *st, const char *job_id, json_t **out,
    struct rc_err *err)
{
	return ds_row(st, "job_id", job_id, 0, out, err);
}

enum rc_code
store_ds_seen(struct store *st, long long number, const char *node_id,
    const char *annotation_id, const char *ds_state, const char *modified,
    const char *current, const char *content_sha256, const char *job_id,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "INSERT INTO ds_dossiers (number, node_id, annotation_id,"
	        " ds_state, modified, written, content_sha256, job_id, seen)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	        " ON CONFLICT (number) DO UPDATE SET node_id = ?2,"
	        " annotation_id = ?3, ds_state = ?4, modified = ?5,"
	        " written = ?6, content_sha256 = ?7, job_id = ?8, seen = ?9",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	sqlite3_bind_int64(s, 1, number);
	bind_text(s, 2, node_id);
	bind_text(s, 3, annotation_id);
	bind_text(s, 4, ds_state);
	bind_text(s, 5, modified);
	bind_text(s, 6, current);
	bind_text(s, 7, content_sha256);
	bind_text(s, 8, job_id);
	sqlite3_bind_int64(s, 9, (long long)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "ds_dossiers");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_ds_mark(struct store *st, long long number, const char *written,
    const char *ds_state, int instructed, int pending, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE ds_dossiers SET written = coalesce(?2, written),"
	        " ds_state = coalesce(?3, ds_state),"
	        " instructed = CASE WHEN ?4 < 0 THEN instructed ELSE ?4 END,"
	        " pending = CASE WHEN ?5 < 0 THEN pending ELSE ?5 END"
	        " WHERE number = ?1",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	sqlite3_bind_int64(s, 1, number);
	bind_text(s, 2, written);
	bind_text(s, 3, ds_state);
	sqlite3_bind_int(s, 4, instructed);
	sqlite3_bind_int(s, 5, pending);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "ds_dossiers");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

/*
 * A write-back claimed by one writer (review finding: the poller's
 * pending write-backs and the worker could write the same row at once,
 * and pass a dossier into instruction twice).  ds_dossiers.pending: 0
 * nothing to do, 1 to redo at the next poll, 2 claimed, 3 claimed and
 * asked again meanwhile.  The claim is one UPDATE: whoever changes the
 * row owns it.
 */
enum rc_code
store_ds_claim(struct store *st, long long number, int *claimed,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	*claimed = 0;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE ds_dossiers SET pending = 2"
	        " WHERE number = ?1 AND pending IN (0, 1)",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	sqlite3_bind_int64(s, 1, number);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	*claimed = sqlite3_changes(st->db) == 1;
	sqlite3_finalize(s);
	s = NULL;
	if (*claimed)
		goto out;
	/* Someone writes it now: they redo it (at the next poll) after. */
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE ds_dossiers SET pending = 3"
	        " WHERE number = ?1 AND pending = 2",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	sqlite3_bind_int64(s, 1, number);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "ds_dossiers");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_ds_release(struct store *st, long long number, int failed,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE ds_dossiers SET pending ="
	        " CASE WHEN ?2 OR pending = 3 THEN 1 ELSE 0 END"
	        " WHERE number = ?1 AND pending IN (2, 3)",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	sqlite3_bind_int64(s, 1, number);
	sqlite3_bind_int(s, 2, failed != 0);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "ds_dossiers");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_ds_pending(struct store *st, long long *numbers, size_t max, size_t *n,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	*n = 0;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT number FROM ds_dossiers WHERE pending = 1"
	        " ORDER BY number",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "ds_dossiers");
		goto out;
	}
	while (*n < max && sqlite3_step(s) == SQLITE_ROW)
		numbers[(*n)++] = sqlite3_column_int64(s, 0);
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_cursor_get(struct store *st, const char *source, char *buf, size_t n,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	buf[0] = '\0';
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT since FROM intake_cursor WHERE source = ?", -1, &s,
	        NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake_cursor");
		goto out;
	}
	bind_text(s, 1, source);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(s, 0));
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_cursor_set(struct store *st, const char *source, const char *since,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "INSERT INTO intake_cursor (source, since) VALUES (?1, ?2)"
	        " ON CONFLICT (source) DO UPDATE SET since = ?2",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "intake_cursor");
		goto out;
	}
	bind_text(s, 1, source);
	bind_text(s, 2, since);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "intake_cursor");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

/* Conformance runs (store.h, "conformance"). */

enum rc_code
store_conf_register(struct store *st, const char *id, const char *registration,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "INSERT INTO conformance (job_id, registration, state, updated)"
	        " VALUES (?1, ?2, 'registered', ?3)"
	        " ON CONFLICT (job_id) DO UPDATE SET registration = ?2,"
	        " state = 'registered', requested_by = NULL, verdict = NULL,"
	        " sealed = NULL, error = NULL, updated = ?3",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "conformance register");
		goto out;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, registration);
	sqlite3_bind_int64(s, 3, (long long)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "conformance register");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_conf_request(struct store *st, const char *id, const char *by, int *found,
    int *running, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	*found = *running = 0;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE conformance SET state = CASE WHEN state IN"
	        " ('queued', 'running') THEN state ELSE 'queued' END,"
	        " requested_by = CASE WHEN state IN ('queued', 'running')"
	        " THEN requested_by ELSE ?2 END, updated = ?3"
	        " WHERE job_id = ?1 RETURNING state = 'running'",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "conformance request");
		goto out;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, by);
	sqlite3_bind_int64(s, 3, (long long)time(NULL));
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		*found = 1;
		*running = sqlite3_column_int(s, 0);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = dberr(st, err, "conformance request");
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = dberr(st, err, "conformance request");
	}
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_conf_claim(struct store *st, char id[STORE_ID_LEN + 1],
    char **registration, char **dossier, int *got, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	const char *v;

	*got = 0;
	*registration = *dossier = NULL;
	pthread_mutex_lock(&st->mu);
	if ((s = kept(st, KEPT_CONF_CLAIM,
	         "UPDATE conformance SET state = 'running', updated = ?1"
	         " WHERE job_id = (SELECT c.job_id FROM conformance c"
	         "  JOIN jobs j ON j.id = c.job_id WHERE c.state = 'queued'"
	         "  ORDER BY c.updated, j.n LIMIT 1)"
	         " RETURNING job_id, registration,"
	         "  (SELECT dossier FROM jobs WHERE id = job_id)")) == NULL) {
		rc = dberr(st, err, "conformance claim");
		goto out;
	}
	sqlite3_bind_int64(s, 1, (long long)time(NULL));
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		v = (const char *)sqlite3_column_text(s, 0);
		snprintf(id, STORE_ID_LEN + 1, "%s", v ? v : "");
		v = (const char *)sqlite3_column_text(s, 1);
		*registration = v ? rc_strdup(v) : NULL;
		v = (const char *)sqlite3_column_text(s, 2);
		*dossier = v ? rc_strdup(v) : NULL;
		if (*registration == NULL || *dossier == NULL) {
			rc_free(*registration);
			rc_free(*dossier);
			*registration = *dossier = NULL;
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		} else
			*got = 1;
		(void)sqlite3_step(s);
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = dberr(st, err, "conformance claim");
	}
out:
	kept_done(s);
	store_unlock(st);
	return rc;
}

enum rc_code
store_conf_finish(struct store *st, const char *id, const char *state,
    const char *verdict, const char *sealed, const char *error,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	int began = 0;

	pthread_mutex_lock(&st->mu);
	/*
	 * One transaction: the run's end and the award asked again are
	 * recorded together or not at all.  A crash (or a failed second
	 * update) between them used to leave a run "done" whose job was
	 * never asked to award again; now the run stays "running" and
	 * store_open queues it again.
	 */
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE conformance SET state = ?2, verdict = ?3, sealed = ?4,"
	        " error = ?5, updated = ?6 WHERE job_id = ?1",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "conformance finish");
		goto out;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, state);
	bind_text(s, 3, verdict);
	bind_text(s, 4, sealed);
	bind_text(s, 5, error);
	sqlite3_bind_int64(s, 6, (long long)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = dberr(st, err, "conformance finish");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	/*
	 * An award asked for earlier and refused only for want of this run
	 * is asked again, by the same token name: the job runs once more
	 * and awards on its fresh checks with the new sealed report.
	 */
	if (strcmp(state, "done") != 0)
		goto out;
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET award = NULL, award_req = award_req + 1,"
	        " state = CASE WHEN state IN ('done', 'error') THEN 'queued'"
	        " ELSE state END, updated = ?2"
	        " WHERE id = ?1 AND award IS NOT NULL AND EXISTS"
	        " (SELECT 1 FROM json_each(award, '$.decisions')"
	        "  WHERE json_extract(value, '$.payable') ="
	        "  'conformance_not_passed')",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "conformance finish");
		goto out;
	}
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, (long long)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = dberr(st, err, "conformance finish");
out:
	sqlite3_finalize(s);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK)
			exec(st, "ROLLBACK", NULL);
	}
	store_unlock(st);
	return rc;
}

enum rc_code
store_conf_get(struct store *st, const char *id, json_t **out,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	json_t *o = NULL, *reg = NULL, *sealed = NULL;
	const char *t;

	*out = NULL;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT registration, state, requested_by, verdict, sealed,"
	        " error, updated FROM conformance WHERE job_id = ?1",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "conformance get");
		goto out;
	}
	bind_text(s, 1, id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		t = (const char *)sqlite3_column_text(s, 0);
		reg = t ? json_loads(t, 0, NULL) : NULL;
		t = (const char *)sqlite3_column_text(s, 4);
		sealed = t ? json_loads(t, 0, NULL) : json_null();
#define COL(i)                                                                 \
	(sqlite3_column_type(s, (i)) == SQLITE_NULL                            \
	        ? json_null()                                                  \
	        : json_string((const char *)sqlite3_column_text(s, (i))))
		o = json_pack("{s:O*,s:o,s:o,s:o,s:o,s:o,s:I}", "client_id",
		    json_object_get(reg, "client_id"), "state", COL(1),
		    "requested_by", COL(2), "verdict", COL(3), "sealed_report",
		    sealed ? json_incref(sealed) : json_null(), "error", COL(5),
		    "updated", (json_int_t)sqlite3_column_int64(s, 6));
#undef COL
		if (o == NULL)
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = dberr(st, err, "conformance get");
	}
out:
	sqlite3_finalize(s);
	store_unlock(st);
	json_decref(reg);
	json_decref(sealed);
	*out = o;
	return rc;
}

enum rc_code
store_conf_dossier(struct store *st, const char *id, char **dossier,
    struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	const char *v;

	*dossier = NULL;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, "SELECT dossier FROM jobs WHERE id = ?1",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "dossier");
		goto out;
	}
	bind_text(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (v = (const char *)sqlite3_column_text(s, 0)) != NULL &&
	    (*dossier = rc_strdup(v)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}

/* ---- re-verification (recheck.h) ---------------------------------------- */

/*
 * The host a re-check counts against (store.h, store_recheck_tick), in
 * host (size n): the first FranceConnect login_url's, else "api:<name>",
 * else "-".
 */
static void
recheck_host(const char *dossier, char *host, size_t n)
{
	json_t *root, *ins, *in;
	const char *url, *api = NULL;
	char *h = NULL;
	CURLU *u;
	size_t i;
	int found = 0;

	snprintf(host, n, "-");
	if ((root = json_loads(dossier, 0, NULL)) == NULL)
		return;
	ins = json_object_get(root, "integrations");
	json_array_foreach(ins, i, in)
	{
		url = json_string_value(json_object_get(in, "login_url"));
		if (url != NULL && (u = curl_url()) != NULL) {
			if (curl_url_set(u, CURLUPART_URL, url, 0) ==
			        CURLUE_OK &&
			    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
				found = snprintf(host, n, "%s", h) > 0;
			curl_free(h);
			h = NULL;
			curl_url_cleanup(u);
			if (found)
				break;
		}
		if (api == NULL)
			api = json_string_value(json_object_get(in, "api"));
	}
	if (!found && api != NULL)
		snprintf(host, n, "api:%s", api);
	json_decref(root);
}

static long long
count1(struct store *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (arg != NULL)
			bind_text(s, 1, arg);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

/*
 * Give every awarded job without a schedule its first re-check (from its
 * last update) and every scheduled job its host: the jobs of a store
 * written before schema 6, when the worker scheduled them itself.
 * *n counts the rows given something.
 */
static enum rc_code
recheck_schedule_old(struct store *st, long long *n, struct rc_err *err)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	enum rc_code rc = RC_OK;
	char host[256];
	uint64_t rnd;
	int r;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT id, updated, dossier, recheck_at FROM jobs"
	        " WHERE (recheck_at IS NULL AND award IS NOT NULL "
	        "AND " AWARD_KEEPS("jobs.award") ")"
	                                         " OR (recheck_at IS NOT NULL "
	                                         "AND recheck_host IS NULL)",
	        -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET recheck_at = coalesce(recheck_at, ?1),"
	        " recheck_host = ?2 WHERE id = ?3",
	        -1, &u, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "recheck schedule");
		goto out;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1) {
			rc = RC_ERR(err, RC_ECRYPTO, "no random bytes");
			goto out;
		}
		recheck_host((const char *)sqlite3_column_text(s, 2), host,
		    sizeof(host));
		sqlite3_reset(u);
		sqlite3_bind_int64(u, 1,
		    recheck_next_at(sqlite3_column_int64(s, 1),
		        st->recheck_interval, rnd));
		bind_text(u, 2, host);
		bind_text(u, 3, (const char *)sqlite3_column_text(s, 0));
		if ((rc = run_stmt(st, u, "recheck schedule", err)) != RC_OK)
			goto out;
		(*n)++;
	}
	if (r != SQLITE_DONE)
		rc = dberr(st, err, "recheck schedule");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	return rc;
}

enum rc_code
store_recheck_setup(struct store *st, long long interval, long long *scheduled,
    struct rc_err *err)
{
	enum rc_code rc;

	*scheduled = 0;
	pthread_mutex_lock(&st->mu);
	st->recheck_interval = interval > 0 ? interval : 1;
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	if ((rc = recheck_schedule_old(st, scheduled, err)) == RC_OK)
		rc = exec(st, "COMMIT", err);
	if (rc != RC_OK) {
		exec(st, "ROLLBACK", NULL);
		*scheduled = 0;
	}
out:
	store_unlock(st);
	return rc;
}

/*
 * The finished jobs whose re-check is due at ?1, through jobs_recheck_due
 * (INDEXED BY: without it the planner may walk jobs_state, every finished
 * job, each second).
 */
#define RECHECK_DUE                                                            \
	" FROM jobs INDEXED BY jobs_recheck_due"                               \
	" WHERE recheck_run = 0 AND recheck_at <= ?1"                          \
	" AND state IN ('done', 'error')"

enum rc_code
store_recheck_tick(struct store *st, long long now, long long per_host,
    long long queue_max, long long *queued, struct rc_err *err)
{
	sqlite3_stmt *s = NULL, *u = NULL, *b = NULL, *d;
	enum rc_code rc = RC_OK;
	long long room, busy;
	const char *host;
	int began = 0, r, due;

	*queued = 0;
	pthread_mutex_lock(&st->mu);
	/* Nothing due (nearly always): this one indexed query. */
	if ((d = kept(st, KEPT_RECHECK_DUE,
	         "SELECT EXISTS (SELECT 1" RECHECK_DUE ")")) == NULL)
		goto out;
	sqlite3_bind_int64(d, 1, now);
	due = sqlite3_step(d) == SQLITE_ROW && sqlite3_column_int64(d, 0) == 1;
	kept_done(d);
	if (!due)
		goto out;
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	room = queue_max -
	    count1(st, "SELECT count(*) FROM jobs WHERE state = 'queued'",
	        NULL);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT id, coalesce(recheck_host, '-')" RECHECK_DUE
	        " ORDER BY recheck_at LIMIT 200",
	        -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	        "SELECT count(*) FROM jobs INDEXED BY jobs_recheck_busy"
	        " WHERE recheck_run = 1 AND recheck_host = ?"
	        " AND state IN ('queued', 'running')",
	        -1, &b, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET state = 'queued', recheck_run = 1,"
	        " recheck_host = ?, updated = ? WHERE id = ?",
	        -1, &u, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "recheck queue");
		goto out;
	}
	sqlite3_bind_int64(s, 1, now);
	while (room > 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
		host = (const char *)sqlite3_column_text(s, 1);
		sqlite3_reset(b);
		bind_text(b, 1, host);
		busy = sqlite3_step(b) == SQLITE_ROW
		    ? sqlite3_column_int64(b, 0)
		    : -1;
		if (busy < 0 || busy >= per_host)
			continue; /* that host's turn comes later */
		sqlite3_reset(u);
		bind_text(u, 1, host);
		sqlite3_bind_int64(u, 2, now);
		bind_text(u, 3, (const char *)sqlite3_column_text(s, 0));
		if ((rc = run_stmt(st, u, "recheck queue", err)) != RC_OK)
			goto out;
		(*queued)++;
		room--;
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	sqlite3_finalize(b);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK) {
			exec(st, "ROLLBACK", NULL);
			*queued = 0;
		}
	}
	store_unlock(st);
	return rc;
}

enum rc_code
store_recheck_finish(struct store *st, const struct store_job *job, int outcome,
    const char *report, const char *error, long long now, long long next,
    long long *streak, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	long long old = 0, since = 0;
	int began = 0, had_since = 0;

	*streak = 0;
	pthread_mutex_lock(&st->mu);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) != RC_OK)
		goto out;
	began = 1;
	if (sqlite3_prepare_v2(st->db,
	        "SELECT recheck_streak, recheck_since FROM jobs WHERE id = ?",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "recheck finish");
		goto out;
	}
	bind_text(s, 1, job->id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		old = sqlite3_column_int64(s, 0);
		had_since = sqlite3_column_type(s, 1) != SQLITE_NULL;
		since = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	s = NULL;
	*streak = recheck_streak_after(old, (enum recheck_outcome)outcome);
	if (*streak == 0)
		had_since = 0;
	else if (!had_since) {
		had_since = 1;
		since = now;
	}
	if (sqlite3_prepare_v2(st->db,
	        "UPDATE jobs SET state = 'done', recheck_run = 0,"
	        " recheck_at = ?1, recheck_last = ?2, recheck_outcome = ?3,"
	        " recheck_report = ?4, recheck_error = ?5,"
	        " recheck_streak = ?6, recheck_since = ?7, updated = ?2"
	        " WHERE id = ?8",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "recheck finish");
		goto out;
	}
	sqlite3_bind_int64(s, 1, next);
	sqlite3_bind_int64(s, 2, now);
	bind_text(s, 3, recheck_outcome_str((enum recheck_outcome)outcome));
	bind_text(s, 4, report);
	bind_text(s, 5, error);
	sqlite3_bind_int64(s, 6, *streak);
	if (had_since)
		sqlite3_bind_int64(s, 7, since);
	else
		sqlite3_bind_null(s, 7);
	bind_text(s, 8, job->id);
	rc = run_stmt(st, s, "recheck finish", err);
out:
	sqlite3_finalize(s);
	if (began) {
		if (rc == RC_OK)
			rc = exec(st, "COMMIT", err);
		if (rc != RC_OK)
			exec(st, "ROLLBACK", NULL);
	}
	store_unlock(st);
	return rc;
}

/* Column i as a JSON integer or null. */
static json_t *
col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
	    ? json_null()
	    : json_integer((json_int_t)sqlite3_column_int64(s, i));
}

enum rc_code
store_alerts(struct store *st, json_t **out, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;
	json_t *arr, *o;
	int r;

	*out = NULL;
	if ((arr = json_array()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT id, dossier_id, siren, recheck_host, recheck_streak,"
	        " recheck_since, recheck_last, recheck_outcome, recheck_error,"
	        " recheck_at FROM jobs WHERE recheck_streak >= ? ORDER BY n",
	        -1, &s, NULL) != SQLITE_OK) {
		rc = dberr(st, err, "alerts");
		goto out;
	}
	sqlite3_bind_int(s, 1, RECHECK_ALERT_STREAK);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		o = json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, "
		              "s:o}",
		    "id", col_str(s, 0), "dossier_id", col_str(s, 1), "siren",
		    col_str(s, 2), "host", col_str(s, 3), "streak",
		    (json_int_t)sqlite3_column_int64(s, 4), "failing_since",
		    col_int(s, 5), "last_checked", col_int(s, 6),
		    "last_outcome", col_str(s, 7), "last_error", col_str(s, 8),
		    "next_check", col_int(s, 9));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (r != SQLITE_DONE) {
		rc = dberr(st, err, "alerts");
		goto out;
	}
	if ((*out = json_pack("{s:O}", "alerts", arr)) == NULL)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	store_unlock(st);
	json_decref(arr);
	return rc;
}

void
store_recheck_counts(struct store *st, long long *alerting,
    long long *scheduled)
{
	char q[96];

	pthread_mutex_lock(&st->mu);
	snprintf(q, sizeof(q),
	    "SELECT count(*) FROM jobs WHERE recheck_streak >= %d",
	    RECHECK_ALERT_STREAK);
	*alerting = count1(st, q, NULL);
	*scheduled = count1(st,
	    "SELECT count(*) FROM jobs WHERE recheck_at IS NOT NULL", NULL);
	store_unlock(st);
}

enum rc_code
store_same_dossier(struct store *st, const char *id, const char *dossier,
    int *same, struct rc_err *err)
{
	sqlite3_stmt *s = NULL;
	enum rc_code rc = RC_OK;

	*same = 0;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db,
	        "SELECT dossier = ? FROM jobs WHERE id = ?", -1, &s,
	        NULL) != SQLITE_OK) {
		rc = dberr(st, err, "lookup");
		goto out;
	}
	bind_text(s, 1, dossier);
	bind_text(s, 2, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		*same = sqlite3_column_int(s, 0) == 1;
out:
	sqlite3_finalize(s);
	store_unlock(st);
	return rc;
}
