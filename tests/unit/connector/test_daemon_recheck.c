/* SPDX-License-Identifier: MIT */
/*
 * Re-verification (connector/daemon/recheck.h and the store's part,
 * store_recheck_*): the jitter stays within a tenth of the interval and
 * spreads; the streak rules (verified clears, needs_token leaves it,
 * anything else adds one); an awarded job gets a schedule, a refused one
 * does not; due jobs are queued as re-checks, bounded per host and by the
 * queue; three failing re-checks list the job under alerts, a verified
 * one clears it; the schedule survives a reopen; a schema-3 store is
 * migrated and its awarded jobs scheduled.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "connector/daemon/recheck.h"
#include "connector/daemon/store.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/raccord-recheck.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/jobs.sqlite", dir);
	return 0;
}

static int
teardown(void **state)
{
	char f[160];

	(void)state;
	unlink(path);
	snprintf(f, sizeof(f), "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", path);
	unlink(f);
	rmdir(dir);
	return 0;
}

static void
test_jitter(void **state)
{
	long long at, lo = 1LL << 62, hi = 0;
	uint64_t r;

	(void)state;
	for (r = 0; r < 5000; r++) {
		at = recheck_next_at(1000, 100, r * 0x9e3779b97f4a7c15ULL);
		assert_true(at >= 1000 + 90 && at <= 1000 + 110);
		lo = at < lo ? at : lo;
		hi = at > hi ? at : hi;
	}
	/* It spreads over the whole window, not a constant. */
	assert_int_equal(lo, 1090);
	assert_int_equal(hi, 1110);
	/* 30 days: within 3 days either way. */
	at = recheck_next_at(0, 2592000, UINT64_MAX);
	assert_true(at >= 2592000 - 259200 && at <= 2592000 + 259200);
	/* Tiny intervals: never before from + 1. */
	assert_int_equal(recheck_next_at(50, 1, 12345), 51);
	assert_int_equal(recheck_next_at(50, 0, 12345), 51);
}

static void
test_streak(void **state)
{
	(void)state;
	assert_int_equal(recheck_streak_after(0, RECHECK_FAILED), 1);
	assert_int_equal(recheck_streak_after(1, RECHECK_INCONCLUSIVE), 2);
	assert_int_equal(recheck_streak_after(2, RECHECK_ERROR), 3);
	assert_int_equal(recheck_streak_after(3, RECHECK_NEEDS_TOKEN), 3);
	assert_int_equal(recheck_streak_after(0, RECHECK_NEEDS_TOKEN), 0);
	assert_int_equal(recheck_streak_after(7, RECHECK_VERIFIED), 0);
	assert_false(recheck_alerting(2));
	assert_true(recheck_alerting(3));
	assert_int_equal(RECHECK_ALERT_STREAK, 3);
	assert_string_equal(recheck_outcome_str(RECHECK_NEEDS_TOKEN),
	    "needs_token");
}

static const char *const AWARDED =
    "{\"decisions\":[{\"outcome\":\"awarded\",\"seq\":0}]}";
static const char *const REFUSED =
    "{\"decisions\":[{\"outcome\":\"refused\"}]}";

static struct store *
open_store(void)
{
	struct rc_err err = { 0 };
	struct store *st = NULL;
	size_t requeued;

	long long n;

	assert_int_equal(store_open(path, &st, &requeued, &err), RC_OK);
	/* Awards are scheduled 100 s (+- 10) after they are recorded. */
	assert_int_equal(store_recheck_setup(st, 100, &n, &err), RC_OK);
	return st;
}

/* A job for host (in its login_url), run once and awarded (or not). */
static void
awarded_job(struct store *st, const char *idem, const char *host,
    const char *award, char id[STORE_ID_LEN + 1])
{
	struct rc_err err = { 0 };
	struct store_job job;
	char dossier[256];
	int existed, full, got;

	snprintf(dossier, sizeof(dossier),
	    "{\"integrations\":[{\"kind\":\"franceconnect\","
	    "\"login_url\":\"https://%s:8443/fc/login\"}]}",
	    host);
	assert_int_equal(store_submit(st, idem, dossier, idem, "217500016",
	                     "dinum-1", 100, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_string_equal(job.id, id);
	assert_int_equal(job.recheck, 0);
	assert_int_equal(
	    store_finish(st, &job, "done", "verified", "{}", NULL, award, &err),
	    RC_OK);
	store_job_cleanup(&job);
}

static long long
tick(struct store *st, long long now, long long per_host, long long qmax)
{
	struct rc_err err = { 0 };
	long long queued = -1;

	assert_int_equal(
	    store_recheck_tick(st, now, per_host, qmax, &queued, &err), RC_OK);
	return queued;
}

/* Claim the next job: it must be a re-check; finish it with outcome o. */
static char last_id[STORE_ID_LEN + 1];

/*
 * Finished re-checks are next due at now + 100 when failing, + 150 when
 * verified: the failing job comes first in the next round.  last_id: the
 * job re-checked.
 */
static long long
recheck_once(struct store *st, enum recheck_outcome o, long long now)
{
	struct rc_err err = { 0 };
	struct store_job job;
	long long streak = -1;
	int got;

	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(job.recheck, 1);
	assert_int_equal(job.want_award, 0);
	assert_int_equal(store_recheck_finish(st, &job, o, "{}", NULL, now,
	                     now + (o == RECHECK_VERIFIED ? 150 : 100), &streak,
	                     &err),
	    RC_OK);
	memcpy(last_id, job.id, sizeof(last_id));
	store_job_cleanup(&job);
	return streak;
}

static size_t
nalerts(struct store *st, const char *want_id)
{
	struct rc_err err = { 0 };
	json_t *a = NULL, *list;
	size_t n;

	assert_int_equal(store_alerts(st, &a, &err), RC_OK);
	list = json_object_get(a, "alerts");
	n = json_array_size(list);
	if (n > 0 && want_id != NULL)
		assert_string_equal(json_string_value(json_object_get(
		                        json_array_get(list, 0), "id")),
		    want_id);
	json_decref(a);
	return n;
}

static void
test_schedule_streak_alert(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1];
	struct store *st = open_store();
	long long al, sc, now = (long long)time(NULL) + 1000;
	json_t *j = NULL;
	struct rc_err err = { 0 };

	(void)state;
	awarded_job(st, "a", "one.test", AWARDED, a);
	awarded_job(st, "b", "one.test", AWARDED, b);
	awarded_job(st, "c", "two.test", REFUSED, c);
	/* Scheduled from the award, not due yet: nothing queued. */
	assert_int_equal(tick(st, 0, 5, 100), 0);
	store_recheck_counts(st, &al, &sc);
	assert_int_equal(sc, 2); /* the refused one has no schedule */
	assert_int_equal(al, 0);
	/* Due; one per host at a time: only one of a, b. */
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(tick(st, now, 1, 100), 0);
	/* A full queue leaves due re-checks for later. */
	assert_int_equal(tick(st, now, 5, 1), 0);
	/* Whichever came first (the jitter decides) is the one that broke. */
	assert_int_equal(recheck_once(st, RECHECK_FAILED, now), 1);
	memcpy(a, last_id, sizeof(a));
	assert_int_equal(tick(st, now, 1, 100), 1); /* now the other's turn */
	assert_int_equal(recheck_once(st, RECHECK_VERIFIED, now), 0);
	/* a: two more failing re-checks (needs_token does not count). */
	now += 200;
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_NEEDS_TOKEN, now), 1);
	assert_int_equal(tick(st, now, 1, 100), 1); /* b */
	assert_int_equal(recheck_once(st, RECHECK_VERIFIED, now), 0);
	now += 200;
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_INCONCLUSIVE, now), 2);
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_VERIFIED, now), 0);
	assert_int_equal(nalerts(st, NULL), 0);
	now += 200;
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_ERROR, now), 3);
	assert_string_equal(last_id, a);
	assert_int_equal(nalerts(st, a), 1);
	/* The job itself keeps its verdict, award and state. */
	assert_int_equal(store_get(st, a, &j, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "done");
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
	    "verified");
	assert_non_null(
	    json_object_get(json_object_get(j, "award"), "decisions"));
	json_decref(j);
	/* A reopen keeps the schedule and the streak. */
	store_close(st);
	st = open_store();
	store_recheck_counts(st, &al, &sc);
	assert_int_equal(al, 1);
	assert_int_equal(sc, 2);
	/* The other job is due (skipped last round); a is not, until +100. */
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_VERIFIED, now + 1), 0);
	assert_string_not_equal(last_id, a);
	assert_int_equal(tick(st, now, 1, 100), 0);
	now += 120;
	assert_int_equal(tick(st, now, 1, 100), 1);
	assert_int_equal(recheck_once(st, RECHECK_VERIFIED, now), 0);
	assert_string_equal(last_id, a);
	assert_int_equal(nalerts(st, NULL), 0); /* a recovery clears it */
	store_close(st);
}

/* A recheck left running by a crash is queued again, still a re-check. */
static void
test_recheck_survives_crash(void **state)
{
	char a[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store();
	int got;

	(void)state;
	awarded_job(st, "a", "one.test", AWARDED, a);
	assert_int_equal(tick(st, 1LL << 40, 1, 100), 1);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(job.recheck, 1);
	store_job_cleanup(&job);
	store_close(st);
	st = open_store();
	assert_int_equal(recheck_once(st, RECHECK_FAILED, 5), 1);
	store_close(st);
}

/* A schema-4 store (before re-checks): migrated, its awarded job scheduled. */
static void
test_migrate_from_v4(void **state)
{
	char a[STORE_ID_LEN + 1];
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *s;
	long long al, sc;

	(void)state;
	st = open_store();
	awarded_job(st, "a", "one.test", AWARDED, a);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "DROP TRIGGER ds_supersede;"
	                     "DROP TRIGGER jobs_queue_insert;"
	                     "DROP TRIGGER jobs_queue_requeue;"
	                     "DROP INDEX jobs_queue;"
	                     "DROP INDEX jobs_recheck_due;"
	                     "DROP INDEX jobs_recheck_busy;"
	                     "ALTER TABLE jobs DROP COLUMN queued_seq;"
	                     "ALTER TABLE jobs RENAME COLUMN recheck_at"
	                     " TO recheck_next;"
	                     "CREATE INDEX jobs_recheck ON jobs (recheck_next);"
	                     "DROP INDEX jobs_recheck;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_run;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_next;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_host;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_streak;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_since;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_last;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_outcome;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_report;"
	                     "ALTER TABLE jobs DROP COLUMN recheck_error;"
	                     "UPDATE schema_version SET version = 4",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = open_store();
	assert_int_equal(tick(st, 0, 1, 100), 0);
	store_recheck_counts(st, &al, &sc);
	assert_int_equal(sc, 1);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT version FROM schema_version", -1, &s,
	                     NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* recheck_at and recheck_host of job id, read by another connection. */
static void
schedule_of(const char *id, long long *at, char *host, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT recheck_at, recheck_host FROM jobs"
	                     " WHERE id = ?",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	*at = sqlite3_column_type(s, 0) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int64(s, 0);
	snprintf(host, n, "%s",
	    sqlite3_column_type(s, 1) == SQLITE_NULL
	        ? "(null)"
	        : (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * Schema 6: the schedule is made when the award is recorded, not by the
 * worker's tick -- due one interval (+- a tenth) after the award, with
 * the host it counts against; a refused award has none, nor an award
 * recorded before store_recheck_setup; a tick never schedules, and
 * store_recheck_setup gives the old unscheduled awards theirs.
 */
static void
test_schedule_at_award(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1],
	    host[64];
	struct rc_err err = { 0 };
	struct store *st;
	long long at, t0, n;
	size_t requeued;

	(void)state;
	st = open_store();
	t0 = (long long)time(NULL);
	awarded_job(st, "a", "one.test", AWARDED, a);
	schedule_of(a, &at, host, sizeof(host));
	assert_true(at >= t0 + 90 && at <= (long long)time(NULL) + 110);
	assert_string_equal(host, "one.test");
	awarded_job(st, "b", "two.test", REFUSED, b);
	schedule_of(b, &at, host, sizeof(host));
	assert_int_equal(at, -1);
	store_close(st);
	/* Without store_recheck_setup: no schedule, and a tick makes none. */
	assert_int_equal(store_open(path, &st, &requeued, &err), RC_OK);
	awarded_job(st, "c", "three.test", AWARDED, c);
	schedule_of(c, &at, host, sizeof(host));
	assert_int_equal(at, -1);
	assert_int_equal(tick(st, t0 + 1000000, 5, 100), 1); /* a only */
	schedule_of(c, &at, host, sizeof(host));
	assert_int_equal(at, -1);
	/* Setup schedules it once, from its last update, with its host. */
	assert_int_equal(store_recheck_setup(st, 100, &n, &err), RC_OK);
	assert_int_equal(n, 1);
	schedule_of(c, &at, host, sizeof(host));
	assert_true(at >= t0 + 90 && at <= (long long)time(NULL) + 110);
	assert_string_equal(host, "three.test");
	assert_int_equal(store_recheck_setup(st, 100, &n, &err), RC_OK);
	assert_int_equal(n, 0);
	store_close(st);
}

/* Submit a job (of SIRET siret) and return its id. */
static void
fresh_job(struct store *st, const char *idem, const char *siret,
    char id[STORE_ID_LEN + 1])
{
	struct rc_err err = { 0 };
	char dossier[256];
	int existed, full;

	snprintf(dossier, sizeof(dossier),
	    "{\"collectivite\":{\"siret\":\"%s\"},"
	    "\"integrations\":[{\"kind\":\"franceconnect\","
	    "\"login_url\":\"https://x.test/\"}]}",
	    siret);
	assert_int_equal(store_submit(st, idem, dossier, idem, "217500016",
	                     "dinum-1", 100, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(existed, 0);
}

static void
claim_is(struct store *st, const char *want, int recheck)
{
	struct rc_err err = { 0 };
	struct store_job job;
	int got;

	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_string_equal(job.id, want);
	assert_int_equal(job.recheck, recheck);
	if (recheck) {
		long long streak;

		assert_int_equal(store_recheck_finish(st, &job,
		                     RECHECK_VERIFIED, "{}", NULL, 1, 1LL << 50,
		                     &streak, &err),
		    RC_OK);
	} else
		assert_int_equal(store_finish(st, &job, "done", "verified",
		                     "{}", NULL, NULL, &err),
		    RC_OK);
	store_job_cleanup(&job);
}

/*
 * Queue places (schema 6): a job sent back to the queue -- a re-check,
 * an award request, a DataPass event -- takes its place behind what was
 * queued before it, not its first submission's place; re-checks come
 * after the instructors' jobs; a job put back from running by a restart
 * keeps its place.
 */
static void
test_queue_places(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1],
	    d[STORE_ID_LEN + 1], e[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store();
	long long q;
	size_t requeued;
	int found, already, seen, got;

	(void)state;
	awarded_job(st, "a", "one.test", AWARDED, a); /* the oldest job */
	fresh_job(st, "b", "21750001600019", b);
	/* a is due: queued as a re-check after b, yet b (an instructor's
	   job) goes first, and so does c, submitted after the re-check. */
	assert_int_equal(tick(st, 1LL << 40, 5, 100), 1);
	fresh_job(st, "c", "20000000800017", c);
	claim_is(st, b, 0);
	claim_is(st, c, 0);
	claim_is(st, a, 1);
	/* An award request on b (done, older than d) comes after d. */
	fresh_job(st, "d", "21750001600019", d);
	assert_int_equal(
	    store_request_award(st, b, "dinum-1", &found, &already, &err),
	    RC_OK);
	assert_int_equal(found, 1);
	claim_is(st, d, 0);
	claim_is(st, b, 0);
	/* A DataPass event sending c back: behind e, queued before it. */
	fresh_job(st, "e", "21750001600019", e);
	assert_int_equal(store_intake_event(st, "datapass", "ev1", 1, "e",
	                     "20000000800017", 0, &seen, &q, &err),
	    RC_OK);
	assert_int_equal(q, 1);
	claim_is(st, e, 0);
	claim_is(st, c, 0);
	/* A restart puts a running job back in its place, ahead. */
	fresh_job(st, "f", "21750001600019", d); /* d's buffer */
	fresh_job(st, "g", "21750001600019", e);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_string_equal(job.id, d);
	store_job_cleanup(&job);
	store_close(st);
	assert_int_equal(store_open(path, &st, &requeued, &err), RC_OK);
	assert_int_equal(requeued, 1);
	claim_is(st, d, 0);
	claim_is(st, e, 0);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_streak),
		cmocka_unit_test_setup_teardown(test_schedule_streak_alert,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recheck_survives_crash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v4, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_schedule_at_award, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_places, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
