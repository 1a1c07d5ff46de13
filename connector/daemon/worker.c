/* SPDX-License-Identifier: MIT */
/*
 * The daemon's one worker: claim the oldest queued job, run it on the
 * CLI's path (dossier_parse, verifier_run with the pipeline's options;
 * award_dossier through the ledger when an award was asked for), record
 * the outcome.  One job at a time, so the ledger has one writer in this
 * process (and ledger_open's exclusive lock keeps `raccord verify` out
 * meanwhile).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/award.h"
#include "connector/daemon/daemon_int.h"
#include "connector/daemon/recheck.h"

void
worker_kick(struct daemon *dm)
{
	pthread_mutex_lock(&dm->mu);
	pthread_cond_broadcast(&dm->cv);
	pthread_mutex_unlock(&dm->mu);
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

static void
run_job(struct daemon *dm, struct store_job *job)
{
	struct dossier *d = NULL;
	struct report *rep = NULL;
	struct rc_err err = { 0 }, aerr = { 0 };
	const struct dossier *one[1];
	struct verifier_opts vo;
	char *report = NULL, *award = NULL, errmsg[600] = "";
	const char *state = "error", *verdict = NULL;
	int settled = 0;
	json_t *j = NULL;
	long missing = -1;

	log_info("job=%s state=running award=%d", job->id, job->want_award);
	if (dossier_parse_submitted(job->dossier, strlen(job->dossier),
	        "stored dossier", &d, &err) != RC_OK) {
		snprintf(errmsg, sizeof(errmsg), "stored dossier: %s", err.msg);
		goto out;
	}
	/* The credentials given with the submission, from memory. */
	if (vault_fill(dm->vault, job->id, d, time(NULL), &missing) != RC_OK) {
		snprintf(errmsg, sizeof(errmsg), "out of memory");
		goto out;
	}
	if (missing >= 0) {
		snprintf(errmsg, sizeof(errmsg),
		    "integrations[%ld]: the credential given with the "
		    "submission is no longer held (the daemon keeps it in "
		    "memory only, for %d hours or until it is awarded: it "
		    "restarted, or the time passed); nothing was checked: "
		    "send the dossier again with its credential (the same "
		    "job takes it back), then ask again",
		    missing, DAEMON_VAULT_TTL / 3600);
		goto out;
	}
	one[0] = d;
	/*
	 * A stranger's check from the public page reaches only the private
	 * ranges opened for it (daemon.selfcheck.allow_private), never the
	 * operator's network.allow_private.
	 */
	vo = dm->pl.opts;
	if (job->selfcheck)
		vo.probe.allow_private =
		    (const char *const *)dm->pl.cfg->selfcheck_allow_private.v;
	if (verifier_run(&vo, one, 1, &rep, &err) != RC_OK || rep == NULL) {
		snprintf(errmsg, sizeof(errmsg), "the checks could not run: %s",
		    err.msg);
		goto out;
	}
	if ((j = report_to_json(rep)) == NULL ||
	    (report = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		snprintf(errmsg, sizeof(errmsg), "out of memory");
		goto out;
	}
	verdict = verdict_str(report_verdict(rep));
	state = "done";
	if (job->want_award &&
	    run_award(dm, job, d, rep, &award, &settled, &aerr) != RC_OK)
		snprintf(errmsg, sizeof(errmsg), "award: nothing awarded: %s",
		    aerr.msg);
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
	report_free(rep);
	dossier_free(d);
}

/*
 * A re-check of an awarded job (recheck.h): the stored dossier without
 * its API integrations (their credential was never stored: what needs
 * it cannot run, and is not counted as a failure), through the same
 * verifier; no award.  The job's report, verdict and award stay as they
 * were; the outcome moves the re-check streak.
 */
static void
run_recheck(struct daemon *dm, struct store_job *job)
{
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
	if (verifier_run(&dm->pl.opts, one, 1, &rep, &err) != RC_OK ||
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
	struct store_job job;
	struct rc_err err = { 0 };
	struct timespec ts;
	enum rc_code rc;
	long long queued;
	int got;

	for (;;) {
		pthread_mutex_lock(&dm->mu);
		if (dm->stopping) {
			pthread_mutex_unlock(&dm->mu);
			break;
		}
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
		vault_gate(dm->vault, 1);
		rc = store_claim(dm->store, &job, &got, &err);
		vault_gate(dm->vault, 0);
		if (rc != RC_OK) {
			log_error("job store: %s", err.msg);
			got = 0;
		}
		if (!got) {
			/* Sleep until kicked, or a second (a missed kick). */
			pthread_mutex_lock(&dm->mu);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			if (!dm->stopping)
				pthread_cond_timedwait(&dm->cv, &dm->mu, &ts);
			pthread_mutex_unlock(&dm->mu);
			continue;
		}
		pthread_mutex_lock(&dm->mu);
		dm->worker_busy = 1;
		pthread_mutex_unlock(&dm->mu);
		if (job.recheck)
			run_recheck(dm, &job);
		else
			run_job(dm, &job);
		store_job_cleanup(&job);
		pthread_mutex_lock(&dm->mu);
		dm->worker_busy = 0;
		pthread_mutex_unlock(&dm->mu);
	}
	pthread_mutex_lock(&dm->mu);
	dm->worker_alive = 0;
	pthread_cond_broadcast(&dm->cv);
	pthread_mutex_unlock(&dm->mu);
	return NULL;
}
