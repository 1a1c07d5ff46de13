/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life (daemon.h): load the config as the CLI does
 * (pipeline_init), check the ledger and its key, open the job store,
 * start the worker and libmicrohttpd, then wait for signals in this
 * thread.  SIGHUP reloads the tokens (after cfg_reload_check: only
 * reloadable directives may change); SIGTERM/SIGINT: stop accepting,
 * let the running job finish within daemon.shutdown_timeout_s.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/daemon/daemon.h"
#include "connector/daemon/daemon_int.h"
#include "connector/intake/intake_run.h"

/* SIGHUP: a fresh config; only its tokens are taken. */
static void
reload_tokens(struct daemon *dm)
{
	struct rc_err err = { 0 };
	struct rc_errs errs;
	struct cfg *fresh = NULL, *old;
	size_t i;

	/* Every error of the file, not only the first (review finding). */
	rc_errs_init(&errs);
	if (cfg_load_all(dm->config, &fresh, &errs) != RC_OK) {
		for (i = 0; i < rc_errs_kept(&errs); i++)
			log_error("SIGHUP: config not reloaded: %s",
			    errs.e[i].msg);
		if (rc_errs_more(&errs) > 0)
			log_error("SIGHUP: config not reloaded: ... and %zu "
			          "more errors",
			    rc_errs_more(&errs));
		cfg_free(fresh);
		return;
	}
	if (cfg_reload_check(dm->pl.cfg, fresh, &err) != RC_OK) {
		log_error("SIGHUP: config not reloaded: %s", err.msg);
		cfg_free(fresh);
		return;
	}
	pthread_rwlock_wrlock(&dm->tok_lock);
	old = dm->tok_cfg;
	dm->tok_cfg = fresh;
	pthread_rwlock_unlock(&dm->tok_lock);
	cfg_free(old);
	log_info("SIGHUP: %zu tokens loaded", fresh->ntokens);
}

/* Wait for the worker's end until deadline; 1 if it ended. */
static int
worker_wait(struct daemon *dm, time_t seconds)
{
	struct timespec ts;
	int alive;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* dm->cv's clock */
	ts.tv_sec += seconds;
	pthread_mutex_lock(&dm->mu);
	dm->stopping = 1;
	pthread_cond_broadcast(&dm->cv);
	while (dm->worker_alive &&
	    pthread_cond_timedwait(&dm->cv, &dm->mu, &ts) != ETIMEDOUT)
		;
	alive = dm->worker_alive;
	pthread_mutex_unlock(&dm->mu);
	return !alive;
}

static enum rc_code
setup(struct daemon *dm, const char *config, struct rc_err *err)
{
	const struct cfg *cfg;
	struct ledger *lg = NULL;
	struct rc_errs errs;
	char *vkey = NULL;
	size_t requeued;
	long long scheduled;
	enum rc_code rc;

	/*
	 * Every error of the file is said, as `raccord config check` does
	 * (review finding: only the first was); err then counts them.
	 */
	rc_errs_init(&errs);
	if ((rc = pipeline_init_all(&dm->pl, config, &errs)) != RC_OK) {
		if (errs.n <= 1) {
			rc_errs_first(&errs, err);
			return rc;
		}
		pipeline_errs_print(&errs, "raccord serve", stderr);
		return RC_ERR(err, rc,
		    "%s: %zu errors in the configuration (each above)", config,
		    errs.n);
	}
	cfg = dm->pl.cfg;
	policy_defaults(&dm->policy);
	dm->policy.amount_cents = cfg->amount_cents;
	dm->policy.envelope_cents = cfg->envelope_cents;
	dm->policy.window_start = cfg->window_start_t;
	dm->policy.window_end = cfg->window_end_t;
	if (cfg->ledger_key_file == NULL)
		return RC_ERR(err, RC_ECONFIG,
		    "ledger.key_file: required by raccord serve (the key "
		    "that signs the ledger's checkpoints)");
	/* Key and ledger checked before anything listens. */
	if ((rc = ledger_signer_for(cfg->ledger_dir, cfg->ledger_key_file,
	         &dm->signer, err)) != RC_OK ||
	    (rc = ledger_open(cfg->ledger_dir, NULL, NULL, &dm->policy,
	         LEDGER_LOCK_WAIT_MS, &lg, err)) != RC_OK)
		return rc;
	ledger_close(lg);
	if ((rc = note_signer_vkey(dm->signer, &vkey)) != RC_OK ||
	    (rc = note_verifier_parse(vkey, &dm->vkey, err)) != RC_OK) {
		rc_free(vkey);
		return rc == RC_ENOMEM ? RC_ERR(err, rc, "out of memory") : rc;
	}
	rc_free(vkey);
	/* The DS poller's directives and token, before anything listens. */
	if (cfg->intake_ds_poll_interval > 0) {
		const char *token;
		struct intake_ds_mapping m;

		if (cfg->intake_ds_demarche == 0)
			return RC_ERR(err, RC_ECONFIG,
			    "intake.ds.poll_interval_s: %lld, but "
			    "intake.ds.demarche is 0 (no procedure to poll)",
			    cfg->intake_ds_poll_interval);
		if ((rc = intake_ds_setup(cfg, &token, &m, err)) != RC_OK)
			return rc;
	}
	if ((rc = cfg_load(config, &dm->tok_cfg, err)) != RC_OK)
		return rc;
	if (vault_new(&dm->vault) != RC_OK)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if ((rc = store_open(cfg->daemon_store, &dm->store, &requeued, err)) !=
	    RC_OK)
		return rc;
	if (requeued > 0)
		log_warn("job store: %zu jobs were running when the previous "
		         "process stopped; queued again",
		    requeued);
	if ((rc = store_recheck_setup(dm->store, cfg->daemon_recheck_interval,
	         &scheduled, err)) != RC_OK)
		return rc;
	if (scheduled > 0)
		log_info("job store: %lld awarded jobs given a re-check "
		         "schedule",
		    scheduled);
	return RC_OK;
}

enum rc_code
daemon_serve(const char *config, enum daemon_end *end, struct rc_err *err)
{
	struct daemon dm;
	struct MHD_Daemon *mhd = NULL, *mmhd = NULL;
	struct timespec tick = { 1, 0 };
	sigset_t set;
	enum rc_code rc;
	int sig, started = 0, ended = 1;
	MHD_socket lsock;

	*end = DAEMON_END_CLEAN;
	memset(&dm, 0, sizeof(dm));
	dm.config = config;
	pthread_rwlock_init(&dm.tok_lock, NULL);
	pthread_mutex_init(&dm.mu, NULL);
	/* Its waits are measured on the monotonic clock: setting the
	 * system time back cannot lengthen them. */
	{
		pthread_condattr_t ca;
		int bad;

		if (pthread_condattr_init(&ca) != 0)
			return RC_ERR(err, RC_ESYS,
			    "cannot make the worker's condition variable");
		bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
		    pthread_cond_init(&dm.cv, &ca) != 0;
		pthread_condattr_destroy(&ca);
		if (bad)
			return RC_ERR(err, RC_ESYS,
			    "cannot make the worker's condition variable on "
			    "the monotonic clock");
	}
	ratelimit_init(&dm.rate, 0);
	answer_cache_init(&dm.answers);
	/* Signals go to this thread only, taken by sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc_log_set_level(RC_LOG_INFO);

	if ((rc = setup(&dm, config, err)) != RC_OK)
		goto out;
	dm.worker_alive = 1;
	if (pthread_create(&dm.worker, NULL, worker_main, &dm) != 0) {
		dm.worker_alive = 0;
		rc = RC_ERR(err, RC_ESYS, "cannot start the worker thread");
		goto out;
	}
	started = 1;
	if (dm.pl.cfg->intake_ds_poll_interval > 0 &&
	    dm.pl.cfg->intake_ds_demarche != 0) {
		if (pthread_create(&dm.ds_poller, NULL, ds_poll_main, &dm) !=
		    0) {
			rc = RC_ERR(err, RC_ESYS,
			    "cannot start the DS poller thread");
			goto out;
		}
		dm.ds_poller_started = 1;
	}
	if ((rc = http_start(&dm, &mhd, err)) != RC_OK)
		goto out;
	if ((rc = metrics_start(&dm, &mmhd, err)) != RC_OK)
		goto out;
	if (mmhd != NULL)
		log_info("metrics on %s (GET /metrics, no token)",
		    dm.pl.cfg->daemon_metrics_listen);
	log_info("listening on %s store=%s ledger=%s tokens=%zu",
	    dm.pl.cfg->daemon_listen, dm.pl.cfg->daemon_store,
	    dm.pl.cfg->ledger_dir, dm.tok_cfg->ntokens);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGHUP)
			reload_tokens(&dm);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	log_info("stopping: no new connections; waiting up to %llds for the "
	         "running job",
	    dm.pl.cfg->daemon_stop_timeout);
	/* Stop accepting; requests in progress are answered. */
	if ((lsock = MHD_quiesce_daemon(mhd)) != MHD_INVALID_SOCKET)
		close(lsock);
out:
	if (started) {
		ended = worker_wait(&dm,
		    dm.pl.cfg ? (time_t)dm.pl.cfg->daemon_stop_timeout : 60);
		if (ended)
			pthread_join(dm.worker, NULL);
		/* The poller ends within one DS call (network.timeout_ms). */
		if (dm.ds_poller_started)
			pthread_join(dm.ds_poller, NULL);
	}
	if (mhd != NULL)
		MHD_stop_daemon(mhd);
	if (mmhd != NULL)
		MHD_stop_daemon(mmhd);
	if (!ended) {
		/*
		 * The job is still running: it stays `running` in the store
		 * and runs again at the next start.  Its thread still uses
		 * the config and the store: nothing is freed.
		 */
		log_warn("stopped with a job still running; it runs again "
		         "at the next start");
		*end = DAEMON_END_PARKED;
		return rc;
	}
	store_close(dm.store);
	vault_free(dm.vault);
	cfg_free(dm.tok_cfg);
	note_signer_free(dm.signer);
	note_verifier_free(dm.vkey);
	if (dm.pl.cfg != NULL)
		pipeline_cleanup(&dm.pl);
	ratelimit_cleanup(&dm.rate);
	answer_cache_cleanup(&dm.answers);
	pthread_cond_destroy(&dm.cv);
	pthread_mutex_destroy(&dm.mu);
	pthread_rwlock_destroy(&dm.tok_lock);
	if (rc == RC_OK)
		log_info("stopped");
	return rc;
}
