/* SPDX-License-Identifier: MIT */
/*
 * The daemon's one worker: claim the oldest queued job and the queued
 * jobs of its kind behind it (up to DAEMON_BATCH_MAX), run them on the
 * CLI's path (dossier_parse, one verifier run with the pipeline's
 * options, as `raccord check --batch`; award_dossier through the ledger
 * for each job that asked for an award), record each outcome.  The
 * probe engine outlives the runs (struct worker_engine).  Awards are
 * made one job after the other, so the ledger has one writer in this
 * process (and ledger_open's exclusive lock keeps `raccord verify` out
 * meanwhile).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/award.h"
#include "connector/daemon/daemon_int.h"
#include "connector/daemon/recheck.h"

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
worker_wake(struct daemon *dm)
{
	pthread_mutex_lock(&dm->mu);
	dm->wake_pending = 1;
	pthread_cond_broadcast(&dm->cv);
	pthread_mutex_unlock(&dm->mu);
}

void
worker_kick(struct daemon *dm)
{
	pthread_mutex_lock(&dm->mu);
	if (dm->kick_first_ms == 0)
		dm->kick_first_ms = mono_ms();
	dm->kick_n++;
	pthread_cond_broadcast(&dm->cv);
	pthread_mutex_unlock(&dm->mu);
}

/*
 * The gathering window (daemon.batch_gather_ms).  Dossiers that arrive one
 * after the other would each be a verifier run of its own, opening its own
 * connections and TLS handshakes to FranceConnect and to portals that a
 * batch shares (as `raccord check --batch` does).  So when the first
 * arrival since the last claim is younger than the window, wait until the
 * window closes, or until a whole batch has arrived, or the daemon stops;
 * then claim everything queued.  Jobs that arrived while a run was going
 * on are usually older than the window when it ends: claimed at once.  A
 * backlog found at start (no arrival recorded) is claimed at once.  The
 * window starts again after each claim.  1 when the daemon is stopping:
 * nothing more is claimed.
 */
static int
gather_wait(struct daemon *dm, long long window_ms)
{
	struct timespec ts;
	long long left;
	int stopping;

	pthread_mutex_lock(&dm->mu);
	while (!dm->stopping && dm->kick_first_ms != 0 &&
	    dm->kick_n < DAEMON_BATCH_MAX &&
	    (left = dm->kick_first_ms + window_ms - mono_ms()) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts); /* dm->cv's clock */
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&dm->cv, &dm->mu, &ts);
	}
	dm->kick_first_ms = 0;
	dm->kick_n = 0;
	stopping = dm->stopping;
	pthread_mutex_unlock(&dm->mu);
	return stopping;
}

/*
 * Award through the ledger; *award is the JSON text to record.  *settled
 * is 1 when no section was refused or held: nothing is left that a later
 * run (a DataPass webhook, an instructor asking again) could award, so the
 * submitted credential may go.
 */
static enum rc_code
run_award(struct daemon *dm, const struct store_job *job,
    const struct dossier *d, const struct report *rep, char **award,
    int *settled, struct rc_err *err)
{
	size_t i;

	struct award_result res;
	char conf_why[400], conf_hash[65];
	struct payable_opts po;
	struct policy pol;
	struct ledger *lg = NULL;
	json_t *j = NULL;
	enum rc_code rc;

	*award = NULL;
	*settled = 0;
	if ((rc = ledger_open(dm->pl.cfg->ledger_dir, dm->signer, NULL,
	         &dm->policy, LEDGER_LOCK_WAIT_MS, &lg, err)) != RC_OK)
		goto out;
	/* The verdict `raccord check` prints and `raccord verify` acts on. */
	pipeline_payable_opts(&dm->pl, &pol, time(NULL), &po);
	/* policy.require_conformance: the job's sealed conformance report. */
	if (dm->pl.cfg->require_conformance) {
		po.conformance_fail = conf_job_judge(dm, lg, job->id, d,
		    conf_hash, conf_why, sizeof(conf_why));
		po.conformance_sha256 =
		    po.conformance_fail == NULL ? conf_hash : NULL;
	}
	/* The token name that asked is signed into each award entry. */
	if ((rc = award_dossier_by(lg, &po, d, rep, job->award_by, &res,
	         err)) != RC_OK)
		goto out;
	if ((j = award_result_to_json(&res)) == NULL ||
	    json_object_set_new(j, "requested_by",
	        json_string(job->award_by ? job->award_by : "?")) != 0 ||
	    json_object_set_new(j, "time", json_integer(time(NULL))) != 0 ||
	    (*award = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	*settled = 1;
	for (i = 0; i < res.n; i++)
		if (res.lines[i].outcome == AWARD_REFUSED ||
		    res.lines[i].outcome == AWARD_HELD)
			*settled = 0;
	log_info("job=%s award status=%d evidence=%s requested_by=%s", job->id,
	    res.status, res.evidence, job->award_by ? job->award_by : "?");
out:
	json_decref(j);
	ledger_close(lg);
	return rc;
}

/*
 * The worker's probe engines, kept from run to run (verifier_run_on):
 * the trust store (the system bundle and network.ca_file, read once
 * instead of once per job) and the TLS session cache; each run gets new
 * connections and DNS answers (probe_recycle).  Two of them, because
 * the address guard differs: the operator's jobs reach
 * network.allow_private, the self-check page's only
 * daemon.selfcheck.allow_private, and nothing vetted for one may serve
 * the other.  Nothing that belongs to a job lives in
 * an engine: cookie jars are per flow and credentials per dossier, both
 * made and freed inside each run.  An engine is rebuilt after
 * DAEMON_ENGINE_MAX_AGE seconds (a renewed system bundle is read
 * again) and after a run that failed.
 */
struct worker_engine {
	struct probe *probe;
	struct verifier_cache *keep; /* FC discovery documents (bounded) */
	time_t born;
};

enum worker_engine_kind {
	WORKER_ENGINE_JOBS,
	WORKER_ENGINE_SELFCHECK,
	WORKER_ENGINE__MAX
};

struct worker {
	struct daemon *dm;
	struct worker_engine eng[WORKER_ENGINE__MAX];
};

/* The verifier options of a kind of job (the pipeline's, as the CLI). */
static void
worker_opts(const struct daemon *dm, enum worker_engine_kind kind,
    struct verifier_opts *vo)
{
	*vo = dm->pl.opts;
	/*
	 * A stranger's check from the public page reaches only the private
	 * ranges opened for it (daemon.selfcheck.allow_private), never the
	 * operator's network.allow_private.
	 */
	if (kind == WORKER_ENGINE_SELFCHECK)
		vo->probe.allow_private =
		    (const char *const *)dm->pl.cfg->selfcheck_allow_private.v;
}

static void
engine_drop(struct worker_engine *e)
{
	probe_free(e->probe);
	e->probe = NULL;
	verifier_cache_free(e->keep);
	e->keep = NULL;
}

/* The engine of kind, made (again) when missing or too old; NULL + err. */
static struct probe *
engine_get(struct worker *w, enum worker_engine_kind kind,
    const struct verifier_opts *vo, struct rc_err *err)
{
	struct worker_engine *e = &w->eng[kind];
	time_t now = time(NULL);

	if (e->probe != NULL &&
	    (now < e->born || now - e->born >= DAEMON_ENGINE_MAX_AGE))
		engine_drop(e);
	if (e->probe == NULL) {
		if ((e->probe = probe_new(&vo->probe, err)) == NULL)
			return NULL;
		/*
		 * FranceConnect's discovery document, reused for a bounded
		 * time (daemon.fc_discovery_max_age_s); without the cache
		 * (ENOMEM) every run fetches it, as before.
		 */
		e->keep = verifier_cache_new(
		    (long)w->dm->pl.cfg->daemon_fc_disc_max_age);
		e->born = now;
		log_info("engine=%s event=new",
		    kind == WORKER_ENGINE_SELFCHECK ? "selfcheck" : "jobs");
	}
	return e->probe;
}

/*
 * Run the dossiers of one batch on the engine of kind; an engine whose
 * run failed is dropped.
 */
static enum rc_code
engine_run(struct worker *w, enum worker_engine_kind kind,
    const struct dossier *const *ds, size_t n, struct report **reps,
    struct rc_err *err)
{
	struct verifier_opts vo;
	struct probe *p;
	enum rc_code rc;
	size_t i;

	for (i = 0; i < n; i++)
		reps[i] = NULL;
	worker_opts(w->dm, kind, &vo);
	if ((p = engine_get(w, kind, &vo, err)) == NULL)
		return err->code ? err->code : RC_ENOMEM;
	/*
	 * One line per job in the daemon's log (job_finish): the verifier's
	 * per-request and per-check lines (those of raccord check -v) are in
	 * each job's report, and at 40-odd lines a dossier their writes
	 * were a tenth of its CPU (docs/bench.md, "Issue 9: gathering
	 * arrivals").  daemon.log_checks keeps them.
	 */
	if (!w->dm->pl.cfg->daemon_log_checks)
		rc_log_cap_thread(RC_LOG_WARN);
	rc = verifier_run_cached(p, w->eng[kind].keep, &vo, ds, n, reps, err);
	rc_log_cap_thread(RC_LOG__MAX);
	if (rc != RC_OK)
		engine_drop(&w->eng[kind]);
	return rc;
}

/* One claimed job of a batch, from its claim to its outcome. */
struct batch_slot {
	struct store_job *job;
	struct dossier *d;  /* parsed, credentials filled; NULL on error */
	struct report *rep; /* from the run */
	char errmsg[600];   /* why it ended in error before the run */
};

/*
 * Parse a claimed job's dossier and give it the credentials submitted
 * with it (from memory, for this job's id only).  On failure slot->d is
 * NULL and slot->errmsg says why.
 */
static void
job_prepare(struct daemon *dm, struct batch_slot *slot)
{
	struct store_job *job = slot->job;
	struct rc_err err = { 0 };
	long missing = -1;

	log_info("job=%s state=running award=%d", job->id, job->want_award);
	if (dossier_parse_submitted(job->dossier, strlen(job->dossier),
	        "stored dossier", &slot->d, &err) != RC_OK) {
		snprintf(slot->errmsg, sizeof(slot->errmsg),
		    "stored dossier: %s", err.msg);
		goto fail;
	}
	/* The credentials given with the submission, from memory. */
	if (vault_fill(dm->vault, job->id, slot->d, time(NULL), &missing) !=
	    RC_OK) {
		snprintf(slot->errmsg, sizeof(slot->errmsg), "out of memory");
		goto fail;
	}
	if (missing >= 0) {
		snprintf(slot->errmsg, sizeof(slot->errmsg),
		    "integrations[%ld]: the credential given with the "
		    "submission is no longer held (the daemon keeps it in "
		    "memory only, for %d hours or until it is awarded: it "
		    "restarted, or the time passed); nothing was checked: "
		    "send the dossier again with its credential (the same "
		    "job takes it back), then ask again",
		    missing, DAEMON_VAULT_TTL / 3600);
		goto fail;
	}
	return;
fail:
	dossier_free(slot->d);
	slot->d = NULL;
}

/*
 * Record a job's outcome: its report (slot->rep, when the run gave one),
 * the award when one was asked for, else the error in slot->errmsg.
 */
static void
job_finish(struct daemon *dm, struct batch_slot *slot)
{
	struct store_job *job = slot->job;
	struct rc_err err = { 0 }, aerr = { 0 };
	char *report = NULL, *award = NULL, *errmsg = slot->errmsg;
	const char *state = "error", *verdict = NULL;
	int settled = 0;
	json_t *j = NULL;

	if (slot->d == NULL || slot->rep == NULL)
		goto out;
	if ((j = report_to_json(slot->rep)) == NULL ||
	    (report = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		snprintf(errmsg, sizeof(slot->errmsg), "out of memory");
		goto out;
	}
	verdict = verdict_str(report_verdict(slot->rep));
	state = "done";
	if (job->want_award &&
	    run_award(dm, job, slot->d, slot->rep, &award, &settled, &aerr) !=
	        RC_OK)
		snprintf(errmsg, sizeof(slot->errmsg),
		    "award: nothing awarded: %s", aerr.msg);
	else if (job->want_award && settled)
		vault_drop(dm->vault, job->id); /* every award decided */
out:
	if (store_finish(dm->store, job, state, verdict, report,
	        errmsg[0] ? errmsg : NULL, award, &err) != RC_OK)
		log_error("job=%s cannot record the outcome: %s", job->id,
		    err.msg);
	else
		log_info("job=%s state=%s verdict=%s%s%s", job->id, state,
		    verdict ? verdict : "-", errmsg[0] ? " error=" : "",
		    errmsg);
	/* A dossier from démarches-simplifiées: its annotation. */
	ds_writeback_job(dm, job->id);
	pthread_mutex_lock(&dm->mu);
	if (strcmp(state, "done") == 0)
		dm->jobs_done++;
	else
		dm->jobs_error++;
	pthread_mutex_unlock(&dm->mu);
	json_decref(j);
	free(report); /* json_dumps */
	free(award);
}

/*
 * Jobs claimed together (store_claim_batch: all of one kind), checked in
 * one verifier run as `raccord check --batch` does: each dossier keeps
 * its own report, deadline, cookie jars and credentials; the engine, the
 * per-host limits and the run's FranceConnect discovery are shared.
 * Each job's outcome is recorded on its own, in claim order.
 */
static void
run_batch(struct worker *w, struct store_job *jobs, size_t n)
{
	struct daemon *dm = w->dm;
	struct batch_slot *slots = NULL;
	const struct dossier **ds = NULL;
	struct report **reps = NULL;
	struct rc_err err = { 0 };
	size_t i, m = 0;

	if ((slots = rc_calloc(n, sizeof(*slots))) == NULL ||
	    (ds = rc_calloc(n, sizeof(*ds))) == NULL ||
	    (reps = rc_calloc(n, sizeof(*reps))) == NULL) {
		log_error("batch jobs=%zu cannot run: out of memory", n);
		for (i = 0; i < n; i++)
			if (store_finish(dm->store, &jobs[i], "error", NULL,
			        NULL, "out of memory", NULL, &err) != RC_OK)
				log_error("job=%s cannot record the outcome: "
				          "%s",
				    jobs[i].id, err.msg);
		goto out;
	}
	if (n > 1)
		log_info("batch jobs=%zu first=%s selfcheck=%d", n, jobs[0].id,
		    jobs[0].selfcheck);
	for (i = 0; i < n; i++) {
		slots[i].job = &jobs[i];
		job_prepare(dm, &slots[i]);
		if (slots[i].d != NULL)
			ds[m++] = slots[i].d;
	}
	if (m > 0 &&
	    engine_run(w,
	        jobs[0].selfcheck ? WORKER_ENGINE_SELFCHECK
	                          : WORKER_ENGINE_JOBS,
	        ds, m, reps, &err) != RC_OK) {
		for (i = 0; i < n; i++)
			if (slots[i].d != NULL)
				snprintf(slots[i].errmsg,
				    sizeof(slots[i].errmsg),
				    "the checks could not run: %s", err.msg);
	}
	/* reps[] follow ds[], which follows the prepared slots in order. */
	for (i = 0, m = 0; i < n; i++)
		if (slots[i].d != NULL)
			slots[i].rep = reps[m++];
	for (i = 0; i < n; i++)
		job_finish(dm, &slots[i]);
out:
	for (i = 0; slots != NULL && i < n; i++) {
		report_free(slots[i].rep);
		dossier_free(slots[i].d);
	}
	rc_free(reps);
	rc_free(ds);
	rc_free(slots);
}

/*
 * A re-check of an awarded job (recheck.h): the stored dossier without
 * its API integrations (their credential was never stored: what needs
 * it cannot run, and is not counted as a failure), through the same
 * verifier; no award.  The job's report, verdict and award stay as they
 * were; the outcome moves the re-check streak.
 */
static void
run_recheck(struct worker *w, struct store_job *job)
{
	struct daemon *dm = w->dm;
	const struct cfg *cfg = dm->pl.cfg;
	struct dossier *d = NULL;
	struct report *rep = NULL;
	struct rc_err err = { 0 };
	struct rc_errs errs;
	const struct dossier *one[1];
	enum recheck_outcome o = RECHECK_ERROR;
	char *report = NULL, errmsg[600] = "";
	json_t *root = NULL, *ins, *in, *j = NULL;
	long long now, streak = 0;
	uint64_t rnd = 0;
	size_t i;

	log_info("job=%s state=running recheck=1", job->id);
	rc_errs_init(&errs);
	if ((root = json_loads(job->dossier, JSON_REJECT_DUPLICATES, NULL)) ==
	        NULL ||
	    !json_is_array(ins = json_object_get(root, "integrations"))) {
		snprintf(errmsg, sizeof(errmsg), "stored dossier: unreadable");
		goto out;
	}
	for (i = json_array_size(ins); i-- > 0;) {
		in = json_array_get(ins, i);
		if (json_string_value(json_object_get(in, "kind")) != NULL &&
		    strcmp(json_string_value(json_object_get(in, "kind")),
		        "api") == 0)
			json_array_remove(ins, i);
	}
	if (json_array_size(ins) == 0) {
		o = RECHECK_NEEDS_TOKEN;
		snprintf(errmsg, sizeof(errmsg),
		    "only API integrations: their credential is never stored, "
		    "so nothing can be re-checked without a new submission");
		goto out;
	}
	if (dossier_from_json_submitted(root, "stored dossier", &d, &errs) !=
	    RC_OK) {
		snprintf(errmsg, sizeof(errmsg), "stored dossier: %s",
		    errs.n > 0 ? errs.e[0].msg : "out of memory");
		goto out;
	}
	one[0] = d;
	if (engine_run(w, WORKER_ENGINE_JOBS, one, 1, &rep, &err) != RC_OK ||
	    rep == NULL) {
		snprintf(errmsg, sizeof(errmsg), "the checks could not run: %s",
		    err.msg);
		goto out;
	}
	if ((j = report_to_json(rep)) == NULL ||
	    (report = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		snprintf(errmsg, sizeof(errmsg), "out of memory");
		goto out;
	}
	switch (report_verdict(rep)) {
	case VERDICT_VERIFIED:
		o = RECHECK_VERIFIED;
		break;
	case VERDICT_FAILED:
		o = RECHECK_FAILED;
		break;
	default:
		o = RECHECK_INCONCLUSIVE;
		break;
	}
out:
	now = (long long)time(NULL);
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint64_t)now;
	if (store_recheck_finish(dm->store, job, o, report,
	        errmsg[0] ? errmsg : NULL, now,
	        recheck_next_at(now, cfg->daemon_recheck_interval, rnd),
	        &streak, &err) != RC_OK)
		log_error("job=%s cannot record the re-check: %s", job->id,
		    err.msg);
	else if (recheck_alerting(streak))
		log_warn("job=%s recheck=%s streak=%lld alert=1%s%s", job->id,
		    recheck_outcome_str(o), streak, errmsg[0] ? " error=" : "",
		    errmsg);
	else
		log_info("job=%s recheck=%s streak=%lld%s%s", job->id,
		    recheck_outcome_str(o), streak, errmsg[0] ? " error=" : "",
		    errmsg);
	pthread_mutex_lock(&dm->mu);
	dm->rechecks[o]++;
	pthread_mutex_unlock(&dm->mu);
	json_decref(j);
	json_decref(root);
	free(report); /* json_dumps */
	report_free(rep);
	dossier_free(d);
}

void *
worker_main(void *arg)
{
	struct daemon *dm = arg;
	struct worker w = { .dm = dm };
	struct store_job jobs[DAEMON_BATCH_MAX];
	struct rc_err err = { 0 };
	struct timespec ts;
	enum rc_code rc;
	long long queued;
	struct verifier_opts vo;
	size_t n, i;
	int k;

	/* A name for ps, top and /proc/PID/task (bench/daemon_bench.sh). */
	(void)prctl(PR_SET_NAME, "raccord-worker", 0, 0, 0);
	/* The operator's engine now, so that no job waits for its trust
	 * store; the self-check page's at its first job. */
	worker_opts(dm, WORKER_ENGINE_JOBS, &vo);
	if (engine_get(&w, WORKER_ENGINE_JOBS, &vo, &err) == NULL)
		log_error("engine=jobs event=new_failed detail=\"%s\" "
		          "(tried again at the first job)",
		    err.msg);
	for (;;) {
		memset(&err, 0, sizeof(err)); /* first failure wins: per turn */
		pthread_mutex_lock(&dm->mu);
		if (dm->stopping) {
			pthread_mutex_unlock(&dm->mu);
			break;
		}
		dm->wake_pending = 0; /* this turn looks at everything */
		pthread_mutex_unlock(&dm->mu);
		/* A conformance run first (conf_job.c): it was asked for. */
		if (conf_job_run_one(dm))
			continue;
		/* Awarded jobs due for a re-check go back to the queue. */
		if (store_recheck_tick(dm->store, (long long)time(NULL),
		        dm->pl.cfg->daemon_recheck_per_host,
		        dm->pl.cfg->daemon_queue_max, &queued, &err) != RC_OK)
			log_error("job store: re-check schedule: %s", err.msg);
		else if (queued > 0)
			log_info("recheck queued=%lld", queued);
		if (gather_wait(dm, dm->pl.cfg->daemon_batch_gather_ms))
			continue; /* stopping: the loop's top ends it */
		vault_gate(dm->vault, 1);
		rc = store_claim_batch(dm->store, jobs, DAEMON_BATCH_MAX, &n,
		    &err);
		vault_gate(dm->vault, 0);
		if (rc != RC_OK) {
			log_error("job store: %s", err.msg);
			n = 0;
		}
		if (n == 0) {
			/* Sleep until woken (unless that came during this
			 * turn), or a second. */
			pthread_mutex_lock(&dm->mu);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			if (!dm->stopping && dm->kick_first_ms == 0 &&
			    !dm->wake_pending)
				pthread_cond_timedwait(&dm->cv, &dm->mu, &ts);
			pthread_mutex_unlock(&dm->mu);
			continue;
		}
		pthread_mutex_lock(&dm->mu);
		dm->worker_busy = 1;
		pthread_mutex_unlock(&dm->mu);
		if (jobs[0].recheck) /* alone (store_claim_batch) */
			run_recheck(&w, &jobs[0]);
		else
			run_batch(&w, jobs, n);
		for (i = 0; i < n; i++)
			store_job_cleanup(&jobs[i]);
		pthread_mutex_lock(&dm->mu);
		dm->worker_busy = 0;
		pthread_mutex_unlock(&dm->mu);
	}
	for (k = 0; k < WORKER_ENGINE__MAX; k++)
		engine_drop(&w.eng[k]);
	pthread_mutex_lock(&dm->mu);
	dm->worker_alive = 0;
	pthread_cond_broadcast(&dm->cv);
	pthread_mutex_unlock(&dm->mu);
	return NULL;
}
