/* SPDX-License-Identifier: MIT */
/*
 * The daemon's durable job store (SQLite, WAL; docs/api.md, "Jobs").
 *
 * A 202 means the job is committed here: after kill -9 and a restart,
 * store_open puts the jobs left `running` back in the queue, so every
 * accepted job runs to completion.  The schema is versioned
 * (schema_version); a store written by a newer raccord is refused.  One
 * connection, serialised by a mutex: the HTTP threads and the worker
 * share it.  Nothing secret is ever stored: submitted tokens are
 * stripped before a dossier gets here.
 */
#ifndef RC_CONNECTOR_DAEMON_STORE_H
#define RC_CONNECTOR_DAEMON_STORE_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* 3: DS poller, 4: conformance, 5: re-checks, 6: their schedule at award
 * time, queue places, 7: awaiting_credential, 8: superseded */
#define STORE_SCHEMA_VERSION 8
#define STORE_ID_LEN         32 /* hex of 128 random bits */
/* Job states: queued, running, done, error, awaiting_credential,
 * superseded. */
#define STORE_NSTATES  6
#define STORE_LIST_MAX 500

struct store;

/* A claimed job, for the worker. */
struct store_job {
	char id[STORE_ID_LEN + 1];
	char *dossier;        /* stored JSON (token-free) */
	int want_award;       /* an award request is pending */
	long long award_seen; /* award requests counted at claim */
	char *award_by;       /* token name that asked, or NULL */
	int recheck;          /* a re-check of an awarded job (recheck.h) */
	int selfcheck; /* from the public self-check page (selfcheck.h) */
};

/*
 * Open (create) the store at path, migrate an older schema, refuse a
 * newer one (RC_ECONFIG), and re-queue the jobs left running by a
 * previous process (*requeued counts them).  *out for store_close.
 */
enum rc_code store_open(const char *path, struct store **out, size_t *requeued,
    struct rc_err *err);
void store_close(struct store *st);

/*
 * Queue a job unless one with the same idempotency key exists.  idem is
 * the key (64 hex), dossier the token-free JSON.  *existed is 1 when the
 * key was known (id is then that job's), *full is 1 when queue_max jobs
 * are already queued (nothing stored).  id receives the job id.
 */
enum rc_code store_submit(struct store *st, const char *idem,
    const char *dossier, const char *dossier_id, const char *siren,
    const char *by, long long queue_max, char id[STORE_ID_LEN + 1],
    int *existed, int *full, struct rc_err *err);

/*
 * As store_submit, and *full is 2 (nothing stored) when by_max jobs of
 * the same submitter are already queued or running: the share and the
 * queue are counted and the job inserted in one transaction, so two
 * submissions at once cannot both take the last place.
 */
enum rc_code store_submit_capped(struct store *st, const char *idem,
    const char *dossier, const char *dossier_id, const char *siren,
    const char *by, long long queue_max, long long by_max,
    char id[STORE_ID_LEN + 1], int *existed, int *full, struct rc_err *err);

/*
 * As store_submit, for a job that waits for its credential (state
 * awaiting_credential, never claimed; docs/intake.md, "Credentials").
 */
enum rc_code store_submit_awaiting(struct store *st, const char *idem,
    const char *dossier, const char *dossier_id, const char *siren,
    const char *by, long long queue_max, char id[STORE_ID_LEN + 1],
    int *existed, int *full, struct rc_err *err);

/*
 * A credential given for job id: in one statement, its stored dossier
 * becomes dossier (canonical, with the credential's fingerprint) and it
 * is queued, only if it is awaiting_credential, done or error and its
 * award is still award_seen (the JSON text read by the caller, or NULL).
 * *attached 1 when done, 0 when the job changed meanwhile or is queued or
 * running (nothing done).
 */
enum rc_code store_credential_attach(struct store *st, const char *id,
    const char *dossier, const char *award_seen, int *attached,
    struct rc_err *err);

/*
 * Job id's stored dossier and award (JSON texts, rc_free; award NULL when
 * none) and state, "verified" for a done job whose run verified; state ""
 * and both NULL when there is no such job.
 */
enum rc_code store_credential_target(struct store *st, const char *id,
    char **dossier, char **award, char state[24], struct rc_err *err);

/*
 * Is dossier (canonical JSON, credential fingerprints included) the one
 * job id was submitted with?  *same 1 yes, 0 no or no such job.  An
 * Idempotency-Key sent again with another dossier or another credential
 * is refused with it (422), rather than taking the first job's place.
 */
enum rc_code store_same_dossier(struct store *st, const char *id,
    const char *dossier, int *same, struct rc_err *err);

/*
 * The job as the API shows it: {"id", "state", "dossier_id", "siren",
 * "submitted_by", "created", "updated", "attempts", "verdict", "report",
 * "error", "award_requested_by", "award"}.  *out is NULL when no such
 * job (RC_OK).  *by is the submitter's token name (borrowed from *out's
 * "submitted_by").
 */
enum rc_code store_get(struct store *st, const char *id, json_t **out,
    struct rc_err *err);

/*
 * As store_get, and *gen the store's generation the job was read at
 * (store_generation): while it is still the current one, the job is as
 * read.
 */
enum rc_code store_get_at(struct store *st, const char *id, json_t **out,
    unsigned long long *gen, struct rc_err *err);

/*
 * The store's generation: a number that grows with every row any
 * function of this store inserts, changes or deletes (SQLite's
 * sqlite3_total_changes64 of its one connection), published when the
 * function returns.  Equal generations: nothing was written in between.
 * Writes by another process are not seen (nothing else writes the
 * daemon's store).
 */
unsigned long long store_generation(struct store *st);

/*
 * The durability in force for the store's commits (SQLite's PRAGMA
 * synchronous: 2 FULL, 1 NORMAL), -1 on error.  FULL, except inside the
 * worker's claim and outcome commits (docs/operations.md, "The job
 * store's commits"): a 202's submission is always a FULL commit.
 */
int store_synchronous(struct store *st);

/*
 * A page of jobs, oldest first, with n > after: filters are NULL or
 * exact values.  *out = {"jobs": [{id, state, siren, dossier_id,
 * verdict}...], "next": cursor or null}.
 */
enum rc_code store_list(struct store *st, const char *siren, const char *state,
    const char *verdict, long long after, long long limit, json_t **out,
    struct rc_err *err);

/*
 * Claim the next queued job (state running, attempts + 1): the
 * instructors' jobs first, then re-checks, then the jobs of the public
 * self-check page; within each, the one that entered the queue first
 * (submitted, or sent back from done or error: a job keeps no older
 * place).  *got is 0 when the queue is empty.  job->dossier and award_by are
 * the caller's to free with store_job_cleanup.
 */
enum rc_code store_claim(struct store *st, struct store_job *job, int *got,
    struct rc_err *err);

/* Most jobs of the self-check page claimed in one batch. */
#define STORE_SELFCHECK_BATCH_MAX 4

/*
 * Claim up to max queued jobs in one transaction (each running, attempts
 * + 1), for one verifier run: the job store_claim would take first, then
 * the queued jobs of its kind in the order they entered the queue --
 * none beside a re-check; only self-check page jobs beside one of those,
 * and none of those nor a re-check beside an instructor's job.
 * jobs[0..*n) are the caller's to store_job_cleanup; *n is 0 when the
 * queue is empty.  A process killed before store_finish leaves them all
 * running, and store_open queues each again once.
 */
enum rc_code store_claim_batch(struct store *st, struct store_job *jobs,
    size_t max, size_t *n, struct rc_err *err);
void store_job_cleanup(struct store_job *job);

/*
 * Record the end of the run of job (as claimed): state "done" or
 * "error", the verdict, the report JSON text, an error sentence, and the
 * award JSON when this run awarded (NULL otherwise).  The first award
 * with a decision "awarded" or "already" schedules the job's re-checks
 * (store_recheck_setup's interval, jittered; recheck.h) and records the
 * host they count against.  A run that tried
 * to award has handled the requests counted at its claim; a request made
 * during the run, with no award recorded, queues the job once more.  A
 * job killed mid-award keeps its request: it is re-run and awards (the
 * ledger answers "already" for what was appended).
 */
enum rc_code store_finish(struct store *st, const struct store_job *job,
    const char *state, const char *verdict, const char *report,
    const char *error, const char *award, struct rc_err *err);

/*
 * Ask for an award on job id by token name by.  *found 0: no such job.
 * *already 1: the award is recorded (nothing changes).  Otherwise the
 * request is recorded and a finished job goes back to the queue (the
 * award runs on fresh checks, as `raccord verify` does).
 */
enum rc_code store_request_award(struct store *st, const char *id,
    const char *by, int *found, int *already, struct rc_err *err);

/* Jobs per state: n[0] queued, running, done, error (-1 on error). */
void store_counts(struct store *st, long long n[STORE_NSTATES]);

/* Jobs in state queued (or -1 on error). */
long long store_queued(struct store *st);

/*
 * Record an intake event (a webhook, docs/intake.md) and act on it, in
 * one transaction.  source: "datapass"; sha256: 64 hex of the raw body,
 * the replay key; fired_at: the event's own time; event: a short
 * description.  *seen is 1 when (source, sha256) is already recorded:
 * nothing changes.  Otherwise the event is recorded and, when siret is
 * not NULL, the latest job of each dossier_id whose
 * collectivite.siret is siret goes back to the queue if it is finished
 * (*requeued counts them).  Events fired before prune_before are
 * forgotten first: the caller refuses those as stale anyway.
 */
enum rc_code store_intake_event(struct store *st, const char *source,
    const char *sha256, long long fired_at, const char *event,
    const char *siret, long long prune_before, int *seen, long long *requeued,
    struct rc_err *err);

/*
 * As store_intake_event, bounded by daemon.queue_max: when the jobs it
 * would queue again do not fit beside those already queued (queue_max),
 * *full is 1 and nothing is recorded (the sender may retry).
 */
enum rc_code store_intake_event_bounded(struct store *st, const char *source,
    const char *sha256, long long fired_at, const char *event,
    const char *siret, long long prune_before, long long queue_max, int *seen,
    int *full, long long *requeued, struct rc_err *err);

/* Can the store be written now?  (BEGIN IMMEDIATE; ROLLBACK.) */
enum rc_code store_ping(struct store *st, struct rc_err *err);

/*
 * The DS poller (schema 3, docs/intake.md): one row per
 * démarches-simplifiées dossier seen.  A row as JSON: {number, node_id,
 * annotation_id, ds_state, modified, content_sha256, job_id, written,
 * instructed, pending}; *out NULL when there is none.
 */
enum rc_code store_ds_get(struct store *st, long long number, json_t **out,
    struct rc_err *err);
enum rc_code store_ds_by_job(struct store *st, const char *job_id, json_t **out,
    struct rc_err *err);
/*
 * What a poll saw of dossier number: its DS ids and state, its
 * dateDerniereModification, the annotation's current text, the SHA-256
 * of its mapped dossier and that dossier's job (both NULL when it did
 * not map).  Inserts or replaces the row.
 */
enum rc_code store_ds_seen(struct store *st, long long number,
    const char *node_id, const char *annotation_id, const char *ds_state,
    const char *modified, const char *current, const char *content_sha256,
    const char *job_id, struct rc_err *err);
/*
 * Update a row: written and ds_state when not NULL, instructed and
 * pending when >= 0.
 */
enum rc_code store_ds_mark(struct store *st, long long number,
    const char *written, const char *ds_state, int instructed, int pending,
    struct rc_err *err);
/*
 * Claim DS dossier number's write-back for the caller, in one UPDATE:
 * *claimed 1 when it was not claimed (pending 0 or 1; the caller then
 * writes it back and calls store_ds_release), 0 when another writer
 * holds it (it is then marked to be redone once that writer is done, at
 * the next poll).  store_ds_release: pending 1 (redo at the next poll)
 * when failed or asked again meanwhile, else 0.  A claim left by a dead
 * process is redone (store_open).
 */
enum rc_code store_ds_claim(struct store *st, long long number, int *claimed,
    struct rc_err *err);
enum rc_code store_ds_release(struct store *st, long long number, int failed,
    struct rc_err *err);

/* Up to max numbers of the rows whose write-back is to be redone. */
enum rc_code store_ds_pending(struct store *st, long long *numbers, size_t max,
    size_t *n, struct rc_err *err);
/* The last dateDerniereModification kept for source ("ds"); "" if none. */
enum rc_code store_cursor_get(struct store *st, const char *source, char *buf,
    size_t n, struct rc_err *err);
enum rc_code store_cursor_set(struct store *st, const char *source,
    const char *since, struct rc_err *err);

/*
 * Conformance runs of a job's dossier (docs/conformance.md, "The
 * daemon's job"): one row per job.  store_conf_register records (or
 * replaces) the test client registered for job id (registration: the
 * JSON of conf_registration_to_json, no secret), forgetting any earlier
 * run.  store_conf_request queues a run (*found 0: nothing registered;
 * *running 1: a run is under way, nothing changes).  store_conf_claim
 * takes the oldest queued run (state running) with its registration and
 * the job's dossier (rc_free both); *got 0 when none.  store_conf_finish
 * records its end: state "done" or "error", the verdict, the sealed
 * report (JSON text, connector/conf_seal.h) or NULL, an error sentence;
 * when "done", an award of the job refused as conformance_not_passed is
 * asked again (same token name), so the job runs and awards once more.
 * store_conf_get: {"client_id", "state", "requested_by", "verdict",
 * "sealed_report", "error", "updated"} or *out NULL when none.  Runs
 * left running by a killed daemon are queued again by store_open.
 */
enum rc_code store_conf_register(struct store *st, const char *id,
    const char *registration, struct rc_err *err);
enum rc_code store_conf_request(struct store *st, const char *id,
    const char *by, int *found, int *running, struct rc_err *err);
enum rc_code store_conf_claim(struct store *st, char id[STORE_ID_LEN + 1],
    char **registration, char **dossier, int *got, struct rc_err *err);
enum rc_code store_conf_finish(struct store *st, const char *id,
    const char *state, const char *verdict, const char *sealed,
    const char *error, struct rc_err *err);
enum rc_code store_conf_get(struct store *st, const char *id, json_t **out,
    struct rc_err *err);
/* The stored dossier of job id (rc_free), or NULL when no such job. */
enum rc_code store_conf_dossier(struct store *st, const char *id,
    char **dossier, struct rc_err *err);

/*
 * Re-verification (recheck.h).  store_recheck_setup: the interval
 * (daemon.recheck_interval_s) that store_finish schedules awards with,
 * and, once, a schedule for the awarded jobs of an older store that have
 * none (from their last update), and a host for every scheduled job
 * (*scheduled counts them).  The host is that of the first
 * FranceConnect integration's login_url, else "api:<name>", else "-".
 * Until it is called, awards get no schedule.
 */
enum rc_code store_recheck_setup(struct store *st, long long interval,
    long long *scheduled, struct rc_err *err);

/*
 * One pass of the worker: the finished jobs due at now go back to the
 * queue as re-checks, the earliest due first, while fewer than queue_max
 * jobs are queued and fewer than per_host re-checks of the same host are
 * queued or running.  When nothing is due (nearly always) this is one
 * indexed query and no write.  *queued counts the jobs queued.
 */
enum rc_code store_recheck_tick(struct store *st, long long now,
    long long per_host, long long queue_max, long long *queued,
    struct rc_err *err);

/*
 * Record the end of a re-check run of job: the job is done again with
 * its report, verdict and award untouched; outcome (recheck_outcome_str),
 * the re-check's report JSON (or NULL) and error sentence (or NULL) are
 * kept apart; the streak moves (recheck_streak_after) and the next
 * re-check is due at next.  *streak receives the new streak.
 */
enum rc_code store_recheck_finish(struct store *st, const struct store_job *job,
    int outcome, const char *report, const char *error, long long now,
    long long next, long long *streak, struct rc_err *err);

/*
 * GET /v1/alerts: the jobs whose streak is alerting, oldest first:
 * {"alerts": [{"id", "dossier_id", "siren", "host", "streak",
 * "failing_since", "last_checked", "last_outcome", "last_error",
 * "next_check"}]}.
 */
enum rc_code store_alerts(struct store *st, json_t **out, struct rc_err *err);

/* Jobs listed under GET /v1/alerts, and jobs with a re-check schedule. */
void store_recheck_counts(struct store *st, long long *alerting,
    long long *scheduled);

#endif /* RC_CONNECTOR_DAEMON_STORE_H */
