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

	assert_int_equal(store_open(path, &st, &requeued, &err), RC_OK);
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
	    store_recheck_tick(st, now, 100, per_host, qmax, &queued, &err),
	    RC_OK);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
