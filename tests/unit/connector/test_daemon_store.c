/* SPDX-License-Identifier: MIT */
/*
 * The daemon's job store (connector/daemon/store.h) and the screening of
 * submitted dossiers (daemon_dossier_screen): idempotency, the queue
 * bound, claim/finish, re-queue after a crash, award requests during a
 * run, a newer schema refused; credentials naming server paths refused,
 * nesting bounded, duplicate keys refused, the CLI's parser messages.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/daemon/daemon_int.h"
#include "connector/daemon/store.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/raccord-store.XXXXXX");
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

static struct store *
open_store(size_t *requeued)
{
	struct rc_err err = { 0 };
	struct store *st = NULL;
	size_t dummy;

	assert_int_equal(
	    store_open(path, &st, requeued ? requeued : &dummy, &err), RC_OK);
	return st;
}

static void
submit(struct store *st, const char *idem, long long max, char *id,
    int want_existed, int want_full)
{
	struct rc_err err = { 0 };
	int existed, full;

	assert_int_equal(store_submit(st, idem, "{}", "D-1", "217500016",
	                     "dinum-1", max, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(existed, want_existed);
	assert_int_equal(full, want_full);
}

static const char *
state_of(struct store *st, const char *id, json_t **job)
{
	struct rc_err err = { 0 };

	json_decref(*job);
	*job = NULL;
	assert_int_equal(store_get(st, id, job, &err), RC_OK);
	assert_non_null(*job);
	return json_string_value(json_object_get(*job, "state"));
}

static void
test_idempotent_and_bounded(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1];
	struct store *st = open_store(NULL);
	size_t i;

	(void)state;
	submit(st, "k1", 2, a, 0, 0);
	assert_int_equal(strlen(a), STORE_ID_LEN);
	for (i = 0; i < STORE_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	submit(st, "k1", 2, b, 1, 0); /* same key: same job */
	assert_string_equal(a, b);
	submit(st, "k2", 2, b, 0, 0);
	assert_string_not_equal(a, b); /* random ids differ */
	submit(st, "k3", 2, c, 0, 1);  /* two queued: full */
	assert_string_equal(c, "");
	submit(st, "k1", 2, c, 1, 0); /* a known key is answered, full or not */
	assert_int_equal(store_queued(st), 2);
	store_close(st);
}

/* Submit a job as who ("dinum-1", or the self-check page). */
static void
submit_by(struct store *st, const char *idem, const char *who, char *id)
{
	struct rc_err err = { 0 };
	int existed, full;

	assert_int_equal(store_submit(st, idem, "{}", "D-1", "217500016", who,
	                     100, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(existed, 0);
}

static long long
attempts_of(struct store *st, const char *id)
{
	json_t *j = NULL;
	long long n;

	(void)state_of(st, id, &j);
	n = json_integer_value(json_object_get(j, "attempts"));
	json_decref(j);
	return n;
}

/*
 * store_claim_batch: the oldest queued job and the queued jobs of its
 * kind behind it, up to max, all running with one more attempt; the
 * self-check page's jobs never beside the operator's; a re-check alone;
 * a crash mid-batch queues each job again exactly once.
 */
static void
test_claim_batch(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1];
	char sc1[STORE_ID_LEN + 1], sc2[STORE_ID_LEN + 1], r[STORE_ID_LEN + 1];
	struct store_job jobs[4];
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	sqlite3 *db;
	json_t *j = NULL;
	char sql[160];
	size_t n, i, requeued;

	(void)state;
	submit_by(st, "k1", "dinum-1", a);
	submit_by(st, "s1", "self-check page", sc1);
	submit_by(st, "k2", "dinum-1", b);
	submit_by(st, "s2", "self-check page", sc2);
	submit_by(st, "k3", "dinum-1", c);
	submit_by(st, "k4", "dinum-1", r);
	/* r is a re-check of an awarded job (store_recheck_tick's mark). */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "UPDATE jobs SET recheck_run = 1 WHERE id = '%s'", r);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* At most 2: a and b, oldest first, not the self-check job between. */
	assert_int_equal(store_claim_batch(st, jobs, 2, &n, &err), RC_OK);
	assert_int_equal(n, 2);
	assert_string_equal(jobs[0].id, a);
	assert_string_equal(jobs[1].id, b);
	for (i = 0; i < n; i++) {
		assert_int_equal(jobs[i].selfcheck, 0);
		assert_string_equal(state_of(st, jobs[i].id, &j), "running");
		assert_int_equal(attempts_of(st, jobs[i].id), 1);
		store_job_cleanup(&jobs[i]);
	}
	/* A crash mid-batch: each of its jobs is queued again, once. */
	store_close(st);
	st = open_store(&requeued);
	assert_int_equal(requeued, 2);
	assert_string_equal(state_of(st, a, &j), "queued");
	assert_string_equal(state_of(st, b, &j), "queued");

	/* Room for 4: a, b and c; not the re-check, not the strangers'. */
	assert_int_equal(store_claim_batch(st, jobs, 4, &n, &err), RC_OK);
	assert_int_equal(n, 3);
	assert_string_equal(jobs[0].id, a);
	assert_string_equal(jobs[1].id, b);
	assert_string_equal(jobs[2].id, c);
	assert_int_equal(attempts_of(st, a), 2);
	assert_int_equal(attempts_of(st, b), 2);
	assert_int_equal(attempts_of(st, c), 1);
	for (i = 0; i < n; i++) {
		assert_int_equal(store_finish(st, &jobs[i], "done", "verified",
		                     "{}", NULL, NULL, &err),
		    RC_OK);
		store_job_cleanup(&jobs[i]);
	}
	/* The re-check, alone. */
	assert_int_equal(store_claim_batch(st, jobs, 4, &n, &err), RC_OK);
	assert_int_equal(n, 1);
	assert_string_equal(jobs[0].id, r);
	assert_int_equal(jobs[0].recheck, 1);
	store_job_cleanup(&jobs[0]);
	/* The self-check page's jobs, together. */
	assert_int_equal(store_claim_batch(st, jobs, 4, &n, &err), RC_OK);
	assert_int_equal(n, 2);
	assert_string_equal(jobs[0].id, sc1);
	assert_string_equal(jobs[1].id, sc2);
	assert_int_equal(jobs[0].selfcheck, 1);
	assert_int_equal(jobs[1].selfcheck, 1);
	for (i = 0; i < n; i++)
		store_job_cleanup(&jobs[i]);
	/* Nothing left. */
	assert_int_equal(store_claim_batch(st, jobs, 4, &n, &err), RC_OK);
	assert_int_equal(n, 0);
	json_decref(j);
	store_close(st);
}

/* The self-check page's jobs go in batches of at most
 * STORE_SELFCHECK_BATCH_MAX, however many the worker could take. */
static void
test_claim_batch_selfcheck_small(void **state)
{
	struct store_job jobs[16];
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	char id[STORE_ID_LEN + 1], key[16];
	size_t n, i;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		submit_by(st, key, "self-check page", id);
	}
	assert_int_equal(store_claim_batch(st, jobs, 16, &n, &err), RC_OK);
	assert_int_equal(n, STORE_SELFCHECK_BATCH_MAX);
	for (i = 0; i < n; i++)
		store_job_cleanup(&jobs[i]);
	store_close(st);
}

/* One submitter's share of the queue, counted in the insert's transaction. */
static void
test_submit_capped(void **state)
{
	struct store *st = open_store(NULL);
	struct rc_err err = { 0 };
	char id[STORE_ID_LEN + 1];
	int existed, full;

	(void)state;
	assert_int_equal(store_submit_capped(st, "s1", "{}", "self-check",
	                     "217500016", "page", 10, 1, id, &existed, &full,
	                     &err),
	    RC_OK);
	assert_int_equal(full, 0);
	assert_int_equal(strlen(id), STORE_ID_LEN);
	/* The page's one place is taken: refused, nothing stored. */
	assert_int_equal(store_submit_capped(st, "s2", "{}", "self-check",
	                     "217500016", "page", 10, 1, id, &existed, &full,
	                     &err),
	    RC_OK);
	assert_int_equal(full, 2);
	assert_string_equal(id, "");
	assert_int_equal(store_queued(st), 1);
	/* Another submitter is not counted against it. */
	assert_int_equal(store_submit_capped(st, "s3", "{}", "D-1", "217500016",
	                     "dinum-1", 10, 1, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(full, 0);
	assert_int_equal(store_queued(st), 2);
	store_close(st);
}

static void
test_claim_finish_requeue(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	size_t requeued;
	int got;

	(void)state;
	/* Every commit is FULL but the claim's and the outcome's. */
	assert_int_equal(store_synchronous(st), 2);
	submit(st, "k1", 10, a, 0, 0);
	submit(st, "k2", 10, b, 0, 0);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(store_synchronous(st), 2);
	assert_int_equal(got, 1);
	assert_string_equal(job.id, a); /* oldest first */
	assert_string_equal(state_of(st, a, &j), "running");
	store_job_cleanup(&job);
	/* A crash now: the running job is queued again at the next open. */
	store_close(st);
	st = open_store(&requeued);
	assert_int_equal(requeued, 1);
	assert_string_equal(state_of(st, a, &j), "queued");
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_string_equal(job.id, a);
	assert_int_equal(json_integer_value(json_object_get(
	                     (state_of(st, a, &j), j), "attempts")),
	    2);
	assert_int_equal(store_finish(st, &job, "done", "verified",
	                     "{\"verdict\":\"verified\"}", NULL, NULL, &err),
	    RC_OK);
	assert_int_equal(store_synchronous(st), 2);
	store_job_cleanup(&job);
	assert_string_equal(state_of(st, a, &j), "done");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "report"), "verdict")),
	    "verified");
	json_decref(j);
	store_close(st);
	st = open_store(&requeued);
	assert_int_equal(requeued, 0); /* done stays done */
	store_close(st);
}

/*
 * A job awaiting its credential (schema 7, a DS dossier naming an API) is
 * never claimed; the credential queues it in one statement, only from a
 * state that is not queued or running and only while its award is the
 * one the caller judged.
 */
static void
test_awaiting_credential(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], st_[24];
	char *dossier = NULL, *award = NULL;
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	long long n[STORE_NSTATES];
	int existed, full, got, attached;

	(void)state;
	assert_int_equal(store_submit_awaiting(st, "ka", "{\"w\":1}", "DS-1",
	                     "217500016", "intake-ds", 10, a, &existed, &full,
	                     &err),
	    RC_OK);
	assert_string_equal(state_of(st, a, &j), "awaiting_credential");
	submit(st, "kb", 10, b, 0, 0);
	store_counts(st, n);
	assert_int_equal(n[0], 1); /* queued: b only */
	assert_int_equal(n[4], 1); /* awaiting_credential: a */
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_string_equal(job.id, b);
	store_job_cleanup(&job);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 0); /* a waits */
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":2}", NULL, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 1);
	assert_string_equal(state_of(st, a, &j), "queued");
	/* Queued now: a second credential changes nothing. */
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":3}", NULL, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 0);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_string_equal(job.id, a);
	assert_string_equal(job.dossier, "{\"w\":2}");
	assert_int_equal(store_finish(st, &job, "done", "failed", "{}", NULL,
	                     "{\"decisions\":[]}", &err),
	    RC_OK);
	store_job_cleanup(&job);
	/* The award changed since the caller read it (NULL): refused. */
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":4}", NULL, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 0);
	assert_int_equal(
	    store_credential_target(st, a, &dossier, &award, st_, &err), RC_OK);
	assert_string_equal(dossier, "{\"w\":2}");
	assert_string_equal(award, "{\"decisions\":[]}");
	assert_string_equal(st_, "done");
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":4}", award, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 1);
	assert_string_equal(state_of(st, a, &j), "queued");
	/* Verified, waiting for the instructor: a credential (a stranger's,
	 * the route is public) never replaces the one it verified with
	 * (review finding). */
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_string_equal(job.id, a);
	assert_int_equal(
	    store_finish(st, &job, "done", "verified", "{}", NULL, award, &err),
	    RC_OK);
	store_job_cleanup(&job);
	rc_free(dossier);
	rc_free(award);
	assert_int_equal(
	    store_credential_target(st, a, &dossier, &award, st_, &err), RC_OK);
	assert_string_equal(st_, "verified");
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":5}", award, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 0);
	assert_string_equal(state_of(st, a, &j), "done");
	rc_free(dossier);
	rc_free(award);
	assert_int_equal(
	    store_credential_target(st, "nope", &dossier, &award, st_, &err),
	    RC_OK);
	assert_null(dossier);
	assert_string_equal(st_, "");
	json_decref(j);
	store_close(st);
}

/*
 * A DS dossier whose content changed while its job waited for the
 * credential: the row points to the newer job, the old one is closed
 * (superseded, naming the newer), never claimed nor given a credential;
 * a job that already ran is left as it was.
 */
static void
test_ds_supersede(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	long long n[STORE_NSTATES];
	const char *e;
	int existed, full, got, attached;

	(void)state;
	assert_int_equal(store_submit_awaiting(st, "ka", "{\"w\":1}", "DS-1-7",
	                     "217500016", "intake-ds", 10, a, &existed, &full,
	                     &err),
	    RC_OK);
	assert_int_equal(store_ds_seen(st, 7, "n7", "an", "en_construction",
	                     "t1", NULL, "h1", a, &err),
	    RC_OK);
	/* The same job seen again: nothing closes. */
	assert_int_equal(store_ds_seen(st, 7, "n7", "an", "en_construction",
	                     "t1", "w", "h1", a, &err),
	    RC_OK);
	assert_string_equal(state_of(st, a, &j), "awaiting_credential");
	assert_int_equal(store_submit_awaiting(st, "kb", "{\"w\":2}", "DS-1-7",
	                     "217500016", "intake-ds", 10, b, &existed, &full,
	                     &err),
	    RC_OK);
	assert_int_equal(store_ds_seen(st, 7, "n7", "an", "en_construction",
	                     "t2", "w", "h2", b, &err),
	    RC_OK);
	assert_string_equal(state_of(st, a, &j), "superseded");
	e = json_string_value(json_object_get(j, "error"));
	assert_non_null(e);
	assert_non_null(strstr(e, b));
	assert_non_null(strstr(e, "DS dossier 7 changed"));
	assert_string_equal(state_of(st, b, &j), "awaiting_credential");
	store_counts(st, n);
	assert_int_equal(n[4], 1);
	assert_int_equal(n[5], 1); /* superseded: a */
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 0);
	assert_int_equal(
	    store_credential_attach(st, a, "{\"w\":9}", NULL, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 0);
	/* b checked (done), then the content changes again: b stays done. */
	assert_int_equal(
	    store_credential_attach(st, b, "{\"w\":3}", NULL, &attached, &err),
	    RC_OK);
	assert_int_equal(attached, 1);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(
	    store_finish(st, &job, "done", "failed", "{}", NULL, NULL, &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_int_equal(store_submit_awaiting(st, "kc", "{\"w\":4}", "DS-1-7",
	                     "217500016", "intake-ds", 10, c, &existed, &full,
	                     &err),
	    RC_OK);
	assert_int_equal(store_ds_seen(st, 7, "n7", "an", "en_construction",
	                     "t3", "w", "h3", c, &err),
	    RC_OK);
	assert_string_equal(state_of(st, b, &j), "done");
	assert_string_equal(state_of(st, c, &j), "awaiting_credential");
	json_decref(j);
	store_close(st);
}

/*
 * The write-back race (review finding): the poller's pending write-backs
 * and the worker could write back the same DS row at once (a dossier
 * passed into instruction twice).  A claim is taken by exactly one
 * writer; the other leaves it marked, and the release makes it pending
 * again so that the latest outcome is written at the next poll.
 */
struct claim_race {
	struct store *st;
	pthread_mutex_t mu;
	int holders, max_holders, claims;
};

static void *
claim_loop(void *arg)
{
	struct claim_race *r = arg;
	struct rc_err err = { 0 };
	int i, got;

	for (i = 0; i < 300; i++) {
		assert_int_equal(store_ds_claim(r->st, 101, &got, &err), RC_OK);
		if (!got)
			continue;
		pthread_mutex_lock(&r->mu);
		if (++r->holders > r->max_holders)
			r->max_holders = r->holders;
		r->claims++;
		pthread_mutex_unlock(&r->mu);
		sched_yield(); /* the write-back: let the other writer try */
		pthread_mutex_lock(&r->mu);
		r->holders--;
		pthread_mutex_unlock(&r->mu);
		assert_int_equal(store_ds_release(r->st, 101, 0, &err), RC_OK);
	}
	return NULL;
}

static void
test_ds_writeback_claim(void **state)
{
	struct rc_err err = { 0 };
	struct claim_race r = { 0 };
	struct store *st = open_store(NULL);
	pthread_t t[4];
	long long nums[4];
	size_t n, i;
	int got;

	(void)state;
	assert_int_equal(store_ds_seen(st, 101, "RG9z", "QW5u",
	                     "en_construction", "2026-11-30T10:15:32+01:00",
	                     NULL, "ab", "j", &err),
	    RC_OK);
	/* One writer at a time; the second one's ask is not lost. */
	assert_int_equal(store_ds_claim(st, 101, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(store_ds_claim(st, 101, &got, &err), RC_OK);
	assert_int_equal(got, 0);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 0); /* claimed: not listed for the poller */
	assert_int_equal(store_ds_release(st, 101, 0, &err), RC_OK);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 1); /* asked again meanwhile: redone */
	assert_int_equal(store_ds_claim(st, 101, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(store_ds_release(st, 101, 0, &err), RC_OK);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 0); /* written: nothing left */
	assert_int_equal(store_ds_claim(st, 101, &got, &err), RC_OK);
	assert_int_equal(store_ds_release(st, 101, 1, &err), RC_OK);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 1); /* failed (DS down): pending */
	/* A claim left by a dead process is redone. */
	assert_int_equal(store_ds_claim(st, 101, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	store_close(st);
	st = open_store(NULL);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 1);
	/* Four writers racing: never two holders at once. */
	r.st = st;
	pthread_mutex_init(&r.mu, NULL);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, claim_loop, &r),
		    0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&r.mu);
	assert_int_equal(r.max_holders, 1);
	assert_true(r.claims > 0);
	store_close(st);
}

static void
test_award_requests(void **state)
{
	char a[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	int got, found, already;

	(void)state;
	submit(st, "k1", 10, a, 0, 0);
	assert_int_equal(
	    store_request_award(st, "0123", "x", &found, &already, &err),
	    RC_OK);
	assert_int_equal(found, 0);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	/* Asked while the checks run without award: run once more. */
	assert_int_equal(
	    store_request_award(st, a, "dinum-2", &found, &already, &err),
	    RC_OK);
	assert_int_equal(found, 1);
	assert_int_equal(already, 0);
	assert_int_equal(
	    store_finish(st, &job, "done", "verified", "{}", NULL, NULL, &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_string_equal(state_of(st, a, &j), "queued");
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(job.want_award, 1);
	assert_string_equal(job.award_by, "dinum-2");
	assert_int_equal(store_finish(st, &job, "done", "verified", "{}", NULL,
	                     "{\"status\":0}", &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_string_equal(state_of(st, a, &j), "done");
	/* Awarded: asking again changes nothing. */
	assert_int_equal(
	    store_request_award(st, a, "dinum-1", &found, &already, &err),
	    RC_OK);
	assert_int_equal(already, 1);
	assert_string_equal(state_of(st, a, &j), "done");
	assert_string_equal(
	    json_string_value(json_object_get(j, "award_requested_by")),
	    "dinum-2");
	json_decref(j);
	store_close(st);
}

static void
test_award_survives_crash(void **state)
{
	char a[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	int got, found, already;

	(void)state;
	submit(st, "k1", 10, a, 0, 0);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(job.want_award, 0);
	assert_int_equal(
	    store_finish(st, &job, "done", "verified", "{}", NULL, NULL, &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_int_equal(
	    store_request_award(st, a, "dinum-1", &found, &already, &err),
	    RC_OK);
	assert_string_equal(state_of(st, a, &j), "queued");
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(job.want_award, 1);
	store_job_cleanup(&job);
	/* kill -9 in the middle of the award: the request is not lost. */
	store_close(st);
	st = open_store(NULL);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(job.want_award, 1);
	/* The award fails (ledger error): recorded, not retried for ever. */
	assert_int_equal(store_finish(st, &job, "done", "verified", "{}",
	                     "award: nothing awarded: busy", NULL, &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_string_equal(state_of(st, a, &j), "done");
	assert_false(json_is_true(json_object_get(j, "award_requested")));
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 0);
	json_decref(j);
	store_close(st);
}

static void
test_newer_schema_refused(void **state)
{
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	sqlite3 *db;
	size_t requeued;

	(void)state;
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "UPDATE schema_version SET version = 99", NULL,
	                     NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(store_open(path, &st, &requeued, &err), RC_ECONFIG);
	assert_null(st);
	assert_non_null(strstr(err.msg, "schema version 99 is newer"));
}

static long long
schema_version_of(void)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT max(version) FROM schema_version", -1, &s,
	                     NULL),
	    SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/*
 * migrate() stamps the version it reached (it once always wrote 1, so a
 * version-2 store re-ran migration 2 at its next open and failed).
 */
static void
test_schema_version_stamped(void **state)
{
	struct store *st = open_store(NULL);

	(void)state;
	store_close(st);
	assert_int_equal(schema_version_of(), STORE_SCHEMA_VERSION);
	st = open_store(NULL); /* a second open migrates nothing */
	store_close(st);
	assert_int_equal(schema_version_of(), STORE_SCHEMA_VERSION);
}

/* A version-1 store (jobs only) gains intake_events, keeping its jobs. */
static void
test_migrate_from_v1(void **state)
{
	char id[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store *st;
	sqlite3 *db;
	json_t *j = NULL;
	int seen;
	long long n;

	(void)state;
	st = open_store(NULL);
	submit(st, "k1", 10, id, 0, 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "DROP TRIGGER jobs_queue_insert;"
	                     "DROP TRIGGER jobs_queue_requeue;"
	                     "DROP INDEX jobs_queue;"
	                     "DROP INDEX jobs_recheck_due;"
	                     "DROP INDEX jobs_recheck_busy;"
	                     "ALTER TABLE jobs DROP COLUMN queued_seq;"
	                     "ALTER TABLE jobs RENAME COLUMN recheck_at"
	                     " TO recheck_next;"
	                     "CREATE INDEX jobs_recheck ON jobs (recheck_next);"
	                     "DROP TABLE intake_events;"
	                     "DROP TABLE ds_dossiers;"
	                     "DROP TABLE intake_cursor;"
	                     "DROP TABLE conformance;"
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
	                     "UPDATE schema_version SET version = 1",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version_of(), 1);
	st = open_store(NULL);
	assert_string_equal(state_of(st, id, &j), "queued");
	assert_int_equal(store_intake_event(st, "datapass", "ab", 100, "e",
	                     NULL, 0, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(seen, 0);
	store_close(st);
	json_decref(j);
	assert_int_equal(schema_version_of(), STORE_SCHEMA_VERSION);
}

/*
 * Migration 3 (the DS poller): a version-2 store gains ds_dossiers and
 * intake_cursor, keeping its jobs; the rows and the cursor round-trip.
 */
static void
test_migrate_from_v2_ds(void **state)
{
	char id[STORE_ID_LEN + 1], since[64];
	struct rc_err err = { 0 };
	struct store *st;
	sqlite3 *db;
	json_t *j = NULL, *row = NULL;
	long long nums[4];
	size_t n;

	(void)state;
	st = open_store(NULL);
	submit(st, "k1", 10, id, 0, 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "DROP TRIGGER jobs_queue_insert;"
	                     "DROP TRIGGER jobs_queue_requeue;"
	                     "DROP INDEX jobs_queue;"
	                     "DROP INDEX jobs_recheck_due;"
	                     "DROP INDEX jobs_recheck_busy;"
	                     "ALTER TABLE jobs DROP COLUMN queued_seq;"
	                     "ALTER TABLE jobs RENAME COLUMN recheck_at"
	                     " TO recheck_next;"
	                     "CREATE INDEX jobs_recheck ON jobs (recheck_next);"
	                     "DROP TABLE ds_dossiers;"
	                     "DROP TABLE intake_cursor;"
	                     "DROP TABLE conformance;"
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
	                     "UPDATE schema_version SET version = 2",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version_of(), 2);
	st = open_store(NULL);
	assert_string_equal(state_of(st, id, &j), "queued");
	assert_int_equal(schema_version_of(), STORE_SCHEMA_VERSION);
	assert_int_equal(store_cursor_get(st, "ds", since, sizeof(since), &err),
	    RC_OK);
	assert_string_equal(since, "");
	assert_int_equal(
	    store_cursor_set(st, "ds", "2026-11-30T10:15:32+01:00", &err),
	    RC_OK);
	assert_int_equal(store_cursor_get(st, "ds", since, sizeof(since), &err),
	    RC_OK);
	assert_string_equal(since, "2026-11-30T10:15:32+01:00");
	assert_int_equal(store_ds_seen(st, 101, "RG9z", "QW5u",
	                     "en_construction", "2026-11-30T10:15:32+01:00",
	                     NULL, "ab", id, &err),
	    RC_OK);
	assert_int_equal(store_ds_by_job(st, id, &row, &err), RC_OK);
	assert_non_null(row);
	assert_int_equal(json_integer_value(json_object_get(row, "number")),
	    101);
	assert_string_equal(
	    json_string_value(json_object_get(row, "content_sha256")), "ab");
	json_decref(row);
	assert_int_equal(store_ds_mark(st, 101, "texte", NULL, 1, 1, &err),
	    RC_OK);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(nums[0], 101);
	assert_int_equal(store_ds_get(st, 101, &row, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(row, "written")),
	    "texte");
	assert_true(json_is_true(json_object_get(row, "instructed")));
	json_decref(row);
	assert_int_equal(store_ds_mark(st, 101, NULL, NULL, -1, 0, &err),
	    RC_OK);
	assert_int_equal(store_ds_pending(st, nums, 4, &n, &err), RC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_ds_get(st, 999, &row, &err), RC_OK);
	assert_null(row);
	store_close(st);
	json_decref(j);
}

static void
finish_job(struct store *st, const char *want_id)
{
	struct rc_err err = { 0 };
	struct store_job job;
	int got;

	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_string_equal(job.id, want_id);
	assert_int_equal(
	    store_finish(st, &job, "done", "failed", "{}", NULL, NULL, &err),
	    RC_OK);
	store_job_cleanup(&job);
}

static void
submit_siret(struct store *st, const char *idem, const char *dossier_id,
    const char *siret, char *id)
{
	struct rc_err err = { 0 };
	char doc[200];
	int existed, full;

	snprintf(doc, sizeof(doc), "{\"collectivite\":{\"siret\":\"%s\"}}",
	    siret);
	assert_int_equal(store_submit(st, idem, doc, dossier_id, "217500016",
	                     "dinum-1", 100, id, &existed, &full, &err),
	    RC_OK);
	assert_int_equal(existed, 0);
}

/*
 * An intake event is acted on once: the latest finished job of each
 * dossier of the SIRET is queued again; the same body again changes
 * nothing; another SIRET's jobs are untouched; old events are pruned.
 */
static void
test_intake_event(void **state)
{
	char a1[STORE_ID_LEN + 1], a2[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1],
	    c[STORE_ID_LEN + 1], sc[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	long long n;
	int seen;

	(void)state;
	submit_siret(st, "k1", "D-1", "21750001600019", a1);
	submit_siret(st, "k2", "D-1", "21750001600019", a2); /* D-1 again */
	submit_siret(st, "k3", "D-2", "21750001600019", b);
	submit_siret(st, "k4", "D-3", "21330063500017", c);
	/* A stranger typed this SIRET on the public self-check page: its
	 * job is never the collectivité's dossier, never re-run by intake. */
	{
		int existed, full;

		assert_int_equal(store_submit(st, "k5",
		                     "{\"collectivite\":{\"siret\":"
		                     "\"21750001600019\"}}",
		                     "self-check", "217500016",
		                     "self-check page", 100, sc, &existed,
		                     &full, &err),
		    RC_OK);
	}
	finish_job(st, a1);
	finish_job(st, a2);
	finish_job(st, b);
	finish_job(st, c);
	finish_job(st, sc);
	assert_int_equal(store_intake_event(st, "datapass", "h1", 1000,
	                     "approve", "21750001600019", 0, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(seen, 0);
	assert_int_equal(n, 2); /* a2 (latest of D-1) and b */
	assert_string_equal(state_of(st, sc, &j), "done");
	assert_string_equal(state_of(st, a1, &j), "done");
	assert_string_equal(state_of(st, a2, &j), "queued");
	assert_string_equal(state_of(st, b, &j), "queued");
	assert_string_equal(state_of(st, c, &j), "done");
	finish_job(st, a2);
	finish_job(st, b);
	/* Replayed: nothing is queued again. */
	assert_int_equal(store_intake_event(st, "datapass", "h1", 1000,
	                     "approve", "21750001600019", 0, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(seen, 1);
	assert_int_equal(n, 0);
	assert_string_equal(state_of(st, a2, &j), "done");
	assert_int_equal(store_queued(st), 0);
	/* Same body from another source is another event. */
	assert_int_equal(store_intake_event(st, "other", "h1", 1000, "x", NULL,
	                     0, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(seen, 0);
	/* Pruned once older than prune_before: seen again as new. */
	assert_int_equal(store_intake_event(st, "datapass", "h2", 2000, "x",
	                     NULL, 1001, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(store_intake_event(st, "datapass", "h1", 1000, "x",
	                     NULL, 1001, &seen, &n, &err),
	    RC_OK);
	assert_int_equal(seen, 0);
	json_decref(j);
	store_close(st);
}

/*
 * daemon.queue_max bounds what an intake event queues again (review
 * finding: the DataPass requeue ignored it): when the jobs do not fit,
 * nothing changes and the event is not recorded, so a retry is new.
 */
static void
test_intake_event_bounded(void **state)
{
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], x[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	json_t *j = NULL;
	long long n;
	int seen, full;

	(void)state;
	submit_siret(st, "k1", "D-1", "21750001600019", a);
	submit_siret(st, "k2", "D-2", "21750001600019", b);
	finish_job(st, a);
	finish_job(st, b);
	submit_siret(st, "k3", "D-3", "21330063500017", x); /* stays queued */
	assert_int_equal(store_intake_event_bounded(st, "datapass", "h1", 1000,
	                     "approve", "21750001600019", 0, 2, &seen, &full,
	                     &n, &err),
	    RC_OK);
	assert_int_equal(full, 1);
	assert_int_equal(seen, 0);
	assert_int_equal(n, 0);
	assert_string_equal(state_of(st, a, &j), "done");
	assert_string_equal(state_of(st, b, &j), "done");
	assert_int_equal(store_queued(st), 1);
	/* Room for both: the same event (not recorded before) acts. */
	assert_int_equal(store_intake_event_bounded(st, "datapass", "h1", 1000,
	                     "approve", "21750001600019", 0, 3, &seen, &full,
	                     &n, &err),
	    RC_OK);
	assert_int_equal(full, 0);
	assert_int_equal(seen, 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_queued(st), 3);
	/* An event that queues nothing is recorded even when full. */
	assert_int_equal(store_intake_event_bounded(st, "datapass", "h2", 1000,
	                     "x", NULL, 0, 1, &seen, &full, &n, &err),
	    RC_OK);
	assert_int_equal(full, 0);
	json_decref(j);
	store_close(st);
}

#define FC_OK                                                                  \
	"{\"dossier_id\": \"D-1\", \"collectivite\": {\"siren\": "             \
	"\"217500016\", \"siret\": \"21750001600019\", \"nom\": \"Commune\", " \
	"\"categorie\": \"commune\"}, \"paiement\": {\"titulaire\": \"C\", "   \
	"\"iban\": \"FR7630006000011234567890189\", \"bic\": \"AGRIFRPP\"}, "  \
	"\"integrations\": [{\"kind\": \"franceconnect\", \"environment\": "   \
	"\"production\", \"client_id\": \"c\", \"login_url\": "                \
	"\"https://a.test/l\", \"redirect_uri\": \"https://a.test/cb\"%s}]}"

static void
screen_fails(const char *extra, enum rc_code want, const char *msg)
{
	struct rc_errs errs;
	struct dossier *d = NULL;
	char body[2048], *canon = NULL;

	rc_errs_init(&errs);
	snprintf(body, sizeof(body), FC_OK, extra);
	assert_int_equal(
	    daemon_dossier_screen(body, strlen(body), &canon, &d, &errs), want);
	assert_null(canon);
	assert_null(d);
	assert_true(errs.n >= 1);
	/* The daemon's rule comes first, whatever else is wrong. */
	if (strstr(errs.e[0].msg, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", errs.e[0].msg, msg);
}

/*
 * Everything wrong with a submission at once: the daemon's own rules
 * (a server path, an API integration) and the parser's, in one answer.
 */
static void
test_screen_all_errors(void **state)
{
	static const char *const want[] = {
		"integrations[0].token_file: a dossier submitted to the daemon",
		"integrations[0].client_secret_env: a dossier submitted",
		"request body: integrations[0].login_url",
		"request body: integrations[0].token_file: not used by kind "
		"franceconnect",
		"request body: integrations[0].plus: must be",
	};
	struct rc_errs errs;
	struct dossier *d = NULL;
	char body[2048], *canon = NULL;
	size_t i, j;

	(void)state;
	rc_errs_init(&errs);
	snprintf(body, sizeof(body), FC_OK,
	    ", \"token_file\": \"t\", \"client_secret_env\": \"X\", "
	    "\"plus\": 3, \"button_page_url\": \"https://a.test/\"");
	/* login_url made wrong in place */
	memcpy(strstr(body, "https://a.test/l"), "ftp:/", 5);
	assert_int_equal(
	    daemon_dossier_screen(body, strlen(body), &canon, &d, &errs),
	    RC_EINVAL);
	assert_null(canon);
	assert_null(d);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; j < rc_errs_kept(&errs); j++)
			if (strstr(errs.e[j].msg, want[i]) != NULL)
				break;
		if (j == rc_errs_kept(&errs))
			fail_msg("no error says \"%s\" (%zu errors)", want[i],
			    errs.n);
	}
}

/*
 * A body that jansson refuses inside a token's value: the 400's message
 * names line and column, never the token's bytes (jansson quotes up to 20
 * bytes of the input "near" the fault).
 */
static void
test_screen_parse_error_hides_input(void **state)
{
	static const char body[] = "{\"dossier_id\": \"D\", \"integrations\": "
	                           "[{\"kind\": \"api_particulier\", "
	                           "\"token\": \"SECRETtok\\q\"}]}";
	struct rc_errs errs;
	struct dossier *d = NULL;
	char *canon = NULL;

	(void)state;
	rc_errs_init(&errs);
	assert_int_not_equal(
	    daemon_dossier_screen(body, strlen(body), &canon, &d, &errs),
	    RC_OK);
	assert_null(canon);
	assert_null(d);
	assert_int_equal(rc_errs_kept(&errs), 1);
	assert_non_null(strstr(errs.e[0].msg, "request body: line 1, column"));
	if (strstr(errs.e[0].msg, "SECRET") != NULL)
		fail_msg("the parse error quotes the token: %s", errs.e[0].msg);
}

static void
test_screen(void **state)
{
	struct rc_errs errs;
	struct dossier *d = NULL;
	char body[2048], *canon = NULL;

	(void)state;
	rc_errs_init(&errs);
	snprintf(body, sizeof(body), FC_OK, "");
	assert_int_equal(
	    daemon_dossier_screen(body, strlen(body), &canon, &d, &errs),
	    RC_OK);
	assert_string_equal(d->collectivite.siren, "217500016");
	assert_non_null(strstr(canon, "{\"collectivite\":")); /* sorted */
	free(canon);
	dossier_free(d);
	screen_fails(", \"token_file\": \"/etc/shadow\"", RC_EINVAL,
	    "integrations[0].token_file: a dossier submitted to the daemon");
	screen_fails(", \"token_env\": \"HOME\"", RC_EINVAL,
	    "integrations[0].token_env");
	screen_fails(", \"client_secret_file\": \"/k\"", RC_EINVAL,
	    "integrations[0].client_secret_file");
	screen_fails(", \"x\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
	    RC_EINVAL, "nested deeper than 16");
	screen_fails(", \"client_id\": \"again\"", RC_EPARSE, "duplicate");
	screen_fails(", \"login_url\": \"ftp://x\"", RC_EPARSE, "duplicate");
	screen_fails(", \"button_page_url\": \"ftp://x\"", RC_EINVAL,
	    "integrations[0].button_page_url");
	assert_int_equal(daemon_dossier_screen("[1]", 3, &canon, &d, &errs),
	    RC_EINVAL);
}

/* FC_OK with a second integration, of kind api: its members in %s. */
#define API_OK                                                                 \
	"{\"dossier_id\": \"D-1\", \"collectivite\": {\"siren\": "             \
	"\"217500016\", \"siret\": \"21750001600019\", \"nom\": \"Commune\", " \
	"\"categorie\": \"commune\"}, \"paiement\": {\"titulaire\": \"C\", "   \
	"\"iban\": \"FR7630006000011234567890189\", \"bic\": \"AGRIFRPP\"}, "  \
	"\"integrations\": [{\"kind\": \"franceconnect\", \"client_id\": "     \
	"\"c\", \"login_url\": \"https://a.test/l\", \"redirect_uri\": "       \
	"\"https://a.test/cb\"}, {\"kind\": \"api\", %s}]}"

#define SOME_SHA                                                               \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
api_fails(const char *members, const char *msg)
{
	struct rc_errs errs;
	struct dossier *d = NULL;
	char body[2048], *canon = NULL;
	size_t j;

	rc_errs_init(&errs);
	snprintf(body, sizeof(body), API_OK, members);
	assert_int_equal(
	    daemon_dossier_screen(body, strlen(body), &canon, &d, &errs),
	    RC_EINVAL);
	assert_null(canon);
	assert_null(d);
	for (j = 0; j < rc_errs_kept(&errs); j++)
		if (strstr(errs.e[j].msg, msg) != NULL)
			return;
	fail_msg("no error says \"%s\" (first: \"%s\")", msg,
	    errs.n ? errs.e[0].msg : "");
}

/* screen API_OK with members: RC_OK. */
static void
api_ok(const char *members, char **canon, struct dossier **d)
{
	struct rc_errs errs;
	char body[2048];

	rc_errs_init(&errs);
	snprintf(body, sizeof(body), API_OK, members);
	assert_int_equal(
	    daemon_dossier_screen(body, strlen(body), canon, d, &errs), RC_OK);
}

/*
 * An API credential travels in the submission: taken out of the stored
 * document (its SHA-256 stays), handed over in memory.
 */
static void
test_screen_api_credential(void **state)
{
	struct dossier *d = NULL;
	char *canon = NULL, want[200], sha[65];

	(void)state;
	assert_int_equal(rc_sha256_hex("tok-123", 7, sha), RC_OK);
	api_ok("\"api\": \"api_particulier\", \"token\": \"tok-123\"", &canon,
	    &d);
	assert_null(strstr(canon, "tok-123"));
	assert_null(strstr(canon, "\"token\""));
	snprintf(want, sizeof(want), "\"credential_sha256\":\"%s\"", sha);
	assert_non_null(strstr(canon, want));
	assert_int_equal(d->nintegrations, 2);
	assert_string_equal(d->integrations[1].submitted_sha256, sha);
	assert_int_equal(d->integrations[1].secret_mem_len, 7);
	assert_memory_equal(d->integrations[1].secret_mem, "tok-123", 7);
	assert_null(d->integrations[0].secret_mem);
	free(canon);
	dossier_free(d);

	/* No credential: accepted (DataPass checks only), nothing held. */
	api_ok("\"api\": \"api_entreprise\"", &canon, &d);
	assert_null(strstr(canon, "credential_sha256"));
	assert_null(d->integrations[1].secret_mem);
	assert_string_equal(d->integrations[1].submitted_sha256, "");
	free(canon);
	dossier_free(d);

	/* The DGFiP APIs take a client secret. */
	api_ok("\"api\": \"api_impot_particulier\", \"oauth_client_id\": "
	       "\"oc\", \"client_secret\": \"cs-9\"",
	    &canon, &d);
	assert_null(strstr(canon, "cs-9"));
	assert_memory_equal(d->integrations[1].secret_mem, "cs-9", 4);
	free(canon);
	dossier_free(d);

	/* Neither the client id nor its secret (a DS dossier waiting for
	 * them): DataPass checks only; the secret without the id: refused. */
	api_ok("\"api\": \"api_impot_particulier\"", &canon, &d);
	assert_null(d->integrations[1].oauth_client_id);
	assert_string_equal(d->integrations[1].submitted_sha256, "");
	free(canon);
	dossier_free(d);
	api_fails("\"api\": \"api_impot_particulier\", \"client_secret\": "
	          "\"cs-9\"",
	    "integrations[1].oauth_client_id: is required");
	api_fails("\"api\": \"api_impot_particulier\", \"oauth_client_id\": "
	          "\"oc\", \"token\": \"t\"",
	    "integrations[1].token: api_impot_particulier takes its "
	    "credential as \"client_secret\"");
	api_fails("\"api\": \"api_particulier\", \"token\": 7",
	    "integrations[1].token: a string of 1 to 8192 bytes");
	api_fails("\"api\": \"api_particulier\", \"token\": \"\"",
	    "integrations[1].token: a string");
	api_fails("\"api\": \"api_particulier\", \"credential_sha256\": "
	          "\"" SOME_SHA "\"",
	    "integrations[1].credential_sha256: set by the daemon");
	api_fails("\"api\": \"api_particulier\", \"token_file\": \"t\"",
	    "integrations[1].token_file");
	api_fails("\"api\": \"nope\", \"token\": \"tok\"",
	    "integrations[1].api");
}

/* The vault: put, fill by fingerprint, missing after a drop or expiry. */
static void
test_vault(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	static const char tok[] =
	    "\"api\": \"api_particulier\", \"token\": \"tok-123\"";
	struct daemon_vault *v = NULL;
	struct rc_err err = { 0 };
	struct dossier *d = NULL, *stored = NULL;
	char *canon = NULL, *canon2 = NULL;
	long missing;

	(void)state;
	assert_int_equal(vault_new(&v), RC_OK);
	api_ok(tok, &canon, &d);
	assert_int_equal(vault_put(v, id, d, 1000), RC_OK);
	assert_null(d->integrations[1].secret_mem); /* moved */
	assert_int_equal(
	    dossier_parse_submitted(canon, strlen(canon), "s", &stored, &err),
	    RC_OK);
	assert_int_equal(vault_fill(v, id, stored, 2000, &missing), RC_OK);
	assert_int_equal(missing, -1);
	assert_memory_equal(stored->integrations[1].secret_mem, "tok-123", 7);
	dossier_free(stored);
	/* Another job id, or after the TTL: not held. */
	assert_int_equal(
	    dossier_parse_submitted(canon, strlen(canon), "s", &stored, &err),
	    RC_OK);
	assert_int_equal(vault_fill(v, "ffffffffffffffffffffffffffffffff",
	                     stored, 2000, &missing),
	    RC_OK);
	assert_int_equal(missing, 1);
	assert_null(stored->integrations[1].secret_mem);
	assert_int_equal(
	    vault_fill(v, id, stored, 1000 + DAEMON_VAULT_TTL, &missing),
	    RC_OK);
	assert_int_equal(missing, 1);
	dossier_free(stored);
	dossier_free(d);
	free(canon);
	/* Dropped. */
	api_ok(tok, &canon, &d);
	assert_int_equal(vault_put(v, id, d, 1000), RC_OK);
	vault_drop(v, id);
	assert_int_equal(
	    dossier_parse_submitted(canon, strlen(canon), "s", &stored, &err),
	    RC_OK);
	assert_int_equal(vault_fill(v, id, stored, 1001, &missing), RC_OK);
	assert_int_equal(missing, 1);
	dossier_free(stored);
	dossier_free(d);
	free(canon);
	/*
	 * The same job with another credential for the same integration: the
	 * vault keeps the first (it was replaced, review finding); the same
	 * credential again is taken.
	 */
	api_ok(tok, &canon, &d);
	assert_int_equal(vault_put(v, id, d, 1000), RC_OK);
	dossier_free(d);
	api_ok("\"api\": \"api_particulier\", \"token\": \"tok-456\"", &canon2,
	    &d);
	assert_int_equal(vault_put(v, id, d, 1000), RC_EINVAL);
	assert_non_null(d->integrations[1].secret_mem); /* not taken */
	dossier_free(d);
	free(canon2);
	api_ok(tok, &canon2, &d);
	assert_int_equal(vault_put(v, id, d, 1000), RC_OK);
	dossier_free(d);
	free(canon2);
	assert_int_equal(
	    dossier_parse_submitted(canon, strlen(canon), "s", &stored, &err),
	    RC_OK);
	assert_int_equal(vault_fill(v, id, stored, 1001, &missing), RC_OK);
	assert_int_equal(missing, -1);
	assert_memory_equal(stored->integrations[1].secret_mem, "tok-123", 7);
	dossier_free(stored);
	free(canon);
	vault_free(v);
}

/* Conformance runs: register, request, claim, requeue after a kill, and
 * the award refused for want of a run asked again when one is done. */
static void
test_conformance_runs(void **state)
{
	char id[STORE_ID_LEN + 1], cid[STORE_ID_LEN + 1], *reg = NULL,
	                                                  *dos = NULL;
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st;
	json_t *c = NULL, *j = NULL;
	int found, running, got;

	(void)state;
	st = open_store(NULL);
	submit(st, "k1", 10, id, 0, 0);
	assert_int_equal(
	    store_conf_request(st, id, "dinum-1", &found, &running, &err),
	    RC_OK);
	assert_int_equal(found, 0);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_null(c);
	assert_int_equal(
	    store_conf_register(st, id, "{\"client_id\":\"raccord-00\"}", &err),
	    RC_OK);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "registered");
	assert_string_equal(json_string_value(json_object_get(c, "client_id")),
	    "raccord-00");
	assert_true(json_is_null(json_object_get(c, "sealed_report")));
	json_decref(c);
	assert_int_equal(
	    store_conf_request(st, id, "dinum-1", &found, &running, &err),
	    RC_OK);
	assert_int_equal(found, 1);
	assert_int_equal(running, 0);
	assert_int_equal(store_conf_claim(st, cid, &reg, &dos, &got, &err),
	    RC_OK);
	assert_int_equal(got, 1);
	assert_string_equal(cid, id);
	assert_string_equal(reg, "{\"client_id\":\"raccord-00\"}");
	assert_string_equal(dos, "{}");
	rc_free(reg);
	rc_free(dos);
	assert_int_equal(
	    store_conf_request(st, id, "other", &found, &running, &err), RC_OK);
	assert_int_equal(running, 1);
	/* killed mid-run: queued again at start */
	store_close(st);
	st = open_store(NULL);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "queued");
	assert_string_equal(
	    json_string_value(json_object_get(c, "requested_by")), "dinum-1");
	json_decref(c);
	assert_int_equal(store_conf_claim(st, cid, &reg, &dos, &got, &err),
	    RC_OK);
	assert_int_equal(got, 1);
	rc_free(reg);
	rc_free(dos);
	/* the job awarded nothing for want of conformance */
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(store_finish(st, &job, "done", "verified", "{}", NULL,
	                     "{\"decisions\":[{\"payable\":"
	                     "\"conformance_not_passed\"}]}",
	                     &err),
	    RC_OK);
	store_job_cleanup(&job);
	assert_string_equal(state_of(st, id, &j), "done");
	/* a failed run (error) asks nothing again */
	assert_int_equal(
	    store_conf_finish(st, id, "error", NULL, NULL, "boom", &err),
	    RC_OK);
	assert_string_equal(state_of(st, id, &j), "done");
	assert_int_equal(store_conf_finish(st, id, "done", "verified",
	                     "{\"format\":\"x\"}", NULL, &err),
	    RC_OK);
	assert_string_equal(state_of(st, id, &j), "queued");
	assert_true(json_is_null(json_object_get(j, "award")));
	assert_true(json_is_true(json_object_get(j, "award_requested")));
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(c, "sealed_report"), "format")),
	    "x");
	json_decref(c);
	json_decref(j);
	store_close(st);
}

/*
 * store_conf_finish is one transaction: when its second update (the
 * award asked again) fails, as a crash between the two would leave it,
 * the run is not recorded as done either; it stays running (store_open
 * queues it again) and the job keeps its refused award.  The failure is
 * injected with a trigger on jobs, added and dropped through a second
 * connection to the same file.
 */
static void
test_conf_finish_atomic(void **state)
{
	char id[STORE_ID_LEN + 1], cid[STORE_ID_LEN + 1], *reg = NULL,
	                                                  *dos = NULL;
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st;
	sqlite3 *db = NULL;
	json_t *c = NULL, *j = NULL;
	int found, running, got;
	size_t requeued = 0;

	(void)state;
	st = open_store(NULL);
	submit(st, "k1", 10, id, 0, 0);
	assert_int_equal(
	    store_conf_register(st, id, "{\"client_id\":\"raccord-00\"}", &err),
	    RC_OK);
	assert_int_equal(
	    store_conf_request(st, id, "dinum-1", &found, &running, &err),
	    RC_OK);
	assert_int_equal(store_conf_claim(st, cid, &reg, &dos, &got, &err),
	    RC_OK);
	assert_int_equal(got, 1);
	rc_free(reg);
	rc_free(dos);
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	assert_int_equal(got, 1);
	assert_int_equal(store_finish(st, &job, "done", "verified", "{}", NULL,
	                     "{\"decisions\":[{\"payable\":"
	                     "\"conformance_not_passed\"}]}",
	                     &err),
	    RC_OK);
	store_job_cleanup(&job);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "CREATE TRIGGER no_award BEFORE UPDATE OF award_req"
	        " ON jobs BEGIN SELECT RAISE(ABORT, 'injected');"
	        " END",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(store_conf_finish(st, id, "done", "verified",
	                         "{\"format\":\"x\"}", NULL, &err),
	    RC_OK);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "running");
	assert_true(json_is_null(json_object_get(c, "sealed_report")));
	json_decref(c);
	assert_string_equal(state_of(st, id, &j), "done");
	assert_false(json_is_null(json_object_get(j, "award")));

	/* A restart queues the run again; its end is then recorded whole. */
	store_close(st);
	st = open_store(&requeued);
	assert_int_equal(
	    sqlite3_exec(db, "DROP TRIGGER no_award", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "queued");
	json_decref(c);
	assert_int_equal(store_conf_claim(st, cid, &reg, &dos, &got, &err),
	    RC_OK);
	assert_int_equal(got, 1);
	rc_free(reg);
	rc_free(dos);
	memset(&err, 0, sizeof(err));
	assert_int_equal(store_conf_finish(st, id, "done", "verified",
	                     "{\"format\":\"x\"}", NULL, &err),
	    RC_OK);
	assert_int_equal(store_conf_get(st, id, &c, &err), RC_OK);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "done");
	json_decref(c);
	assert_string_equal(state_of(st, id, &j), "queued");
	json_decref(j);
	store_close(st);
}

/* An Idempotency-Key sent again: the same dossier or not. */
static void
test_same_dossier(void **state)
{
	char id[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store *st = open_store(NULL);
	int same = -1;

	(void)state;
	submit(st, "k1", 10, id, 0, 0); /* dossier "{}" */
	assert_int_equal(store_same_dossier(st, id, "{}", &same, &err), RC_OK);
	assert_int_equal(same, 1);
	assert_int_equal(store_same_dossier(st, id,
	                     "{\"credential_sha256\":\"ab\"}", &same, &err),
	    RC_OK);
	assert_int_equal(same, 0);
	assert_int_equal(store_same_dossier(st,
	                     "ffffffffffffffffffffffffffffffff", "{}", &same,
	                     &err),
	    RC_OK);
	assert_int_equal(same, 0);
	store_close(st);
}

/*
 * The store's generation (store_generation, the key of the
 * GET /v1/dossiers/{id} answer cache): every function that writes a row
 * moves it, reads do not, and store_get_at reports the generation its
 * read belongs to.  A writer that did not move it would let a stale
 * answer be served.
 */
static void
test_generation(void **state)
{
	char a[STORE_ID_LEN + 1];
	struct rc_err err = { 0 };
	struct store_job job;
	struct store *st = open_store(NULL);
	unsigned long long g, at;
	long long n[STORE_NSTATES], queued;
	json_t *j = NULL;
	int got, found, already, seen;

	(void)state;
#define MOVED(call)                                                            \
	do {                                                                   \
		g = store_generation(st);                                      \
		assert_int_equal((call), RC_OK);                               \
		assert_true(store_generation(st) > g);                         \
	} while (0)
	g = store_generation(st);
	submit(st, "k1", 10, a, 0, 0);
	assert_true(store_generation(st) > g);
	/* Reads leave it. */
	g = store_generation(st);
	assert_int_equal(store_get_at(st, a, &j, &at, &err), RC_OK);
	assert_non_null(j);
	assert_true(at == g);
	json_decref(j);
	j = NULL;
	store_counts(st, n);
	assert_int_equal(store_list(st, NULL, NULL, NULL, 0, 10, &j, &err),
	    RC_OK);
	json_decref(j);
	j = NULL;
	assert_true(store_generation(st) == g);
	MOVED(store_claim(st, &job, &got, &err));
	assert_int_equal(got, 1);
	MOVED(
	    store_finish(st, &job, "done", "verified", "{}", NULL, NULL, &err));
	store_job_cleanup(&job);
	MOVED(store_request_award(st, a, "dinum-1", &found, &already, &err));
	assert_int_equal(store_claim(st, &job, &got, &err), RC_OK);
	MOVED(store_finish(st, &job, "done", "verified", "{}", NULL,
	    "{\"status\":0}", &err));
	store_job_cleanup(&job);
	MOVED(store_intake_event(st, "datapass", "ab", 1, "ev", NULL, 0, &seen,
	    &queued, &err));
	MOVED(store_ds_seen(st, 7, "n", "a", "en_instruction", "m", "w", NULL,
	    a, &err));
	MOVED(store_ds_mark(st, 7, "x", NULL, -1, 1, &err));
	MOVED(store_conf_register(st, a, "{}", &err));
	/* store_get_at's generation is the one of its read, not later. */
	assert_int_equal(store_get_at(st, a, &j, &at, &err), RC_OK);
	json_decref(j);
	MOVED(store_request_award(st, a, "dinum-1", &found, &already, &err) ==
	                RC_OK &&
	            store_ds_mark(st, 7, "y", NULL, -1, 0, &err) == RC_OK
	        ? RC_OK
	        : RC_ESYS);
	assert_true(at < store_generation(st));
#undef MOVED
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idempotent_and_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_claim_batch_selfcheck_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_capped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_claim_finish_requeue,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_awaiting_credential, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ds_supersede, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ds_writeback_claim, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_award_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_award_survives_crash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version_stamped,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v2_ds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_intake_event, setup,
		    teardown),
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_screen_api_credential),
		cmocka_unit_test(test_vault),
		cmocka_unit_test_setup_teardown(test_intake_event_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_dossier, setup,
		    teardown),
		cmocka_unit_test(test_screen_all_errors),
		cmocka_unit_test(test_screen_parse_error_hides_input),
		cmocka_unit_test_setup_teardown(test_conf_finish_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conformance_runs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generation, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
