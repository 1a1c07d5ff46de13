/* SPDX-License-Identifier: MIT */
/*
 * Private to connector/daemon/: the daemon's shared state, the HTTP side
 * (http.c) and the worker (worker.c).
 */
#ifndef RC_CONNECTOR_DAEMON_DAEMON_INT_H
#define RC_CONNECTOR_DAEMON_DAEMON_INT_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "common/err.h"
#include "connector/config.h"
#include "connector/daemon/answer_cache.h"
#include "connector/daemon/ratelimit.h"
#include "connector/daemon/store.h"
#include "connector/ledger/ledger.h"
#include "connector/pipeline.h"
#include "connector/policy.h"

/* Largest request body: a dossier (verifier/dossier.h). */
#define DAEMON_BODY_MAX DOSSIER_MAX_BYTES
/* Deepest JSON nesting accepted in a request body. */
#define DAEMON_JSON_DEPTH 16
/*
 * Bytes of headers per connection (libmicrohttpd's memory limit).  Up to
 * 32 KiB, libmicrohttpd takes a connection's pool from malloc; above, it
 * maps one with mmap and unmaps it when the connection closes, which cost
 * every POST page faults and an munmap's cross-CPU TLB shootdown
 * (docs/bench.md, "Issue 9: gathering arrivals").
 */
#define DAEMON_CONN_MEMORY (32 * 1024)
/* Most entries per GET /v1/ledger/entries. */
#define DAEMON_ENTRIES_MAX 1000
/* Shared-lock wait of the ledger reads, ms. */
#define DAEMON_LEDGER_READ_WAIT_MS 2000
/* Seconds a client is told to wait when the queue is full. */
#define DAEMON_RETRY_AFTER 30
/* Credentials given with submissions held at once, and for how long. */
#define DAEMON_VAULT_MAX 4096
#define DAEMON_VAULT_TTL (24 * 3600)
/*
 * Most queued jobs the worker claims and checks in one verifier run
 * (worker.c), and the age, seconds, past which it rebuilds a probe
 * engine (re-reading the trust anchors).
 */
#define DAEMON_BATCH_MAX      32
#define DAEMON_ENGINE_MAX_AGE 3600
/* Longest credential accepted in a submission, bytes. */
#define DAEMON_SECRET_MAX 8192

struct daemon_vault;

struct daemon {
	const char *config; /* file, for SIGHUP */
	struct pipeline pl; /* cfg and verifier options, as the CLI */
	struct policy policy;
	struct note_signer *signer; /* ledger.key_file */
	struct note_verifier *vkey; /* its public half, for exports */
	struct store *store;

	/* Tokens: their own copy of the config, swapped on SIGHUP. */
	pthread_rwlock_t tok_lock;
	struct cfg *tok_cfg;

	/* The worker. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* wakes the worker; signals its end */
	int stopping;
	int worker_alive;
	int worker_busy;
	/* Arrivals since the worker last claimed (worker_kick): when the
	 * first came (CLOCK_MONOTONIC, ms; 0: none) and how many. */
	long long kick_first_ms;
	unsigned kick_n;
	int wake_pending; /* worker_wake since the loop's last turn */
	pthread_t worker;

	/* Metrics (under mu): responses by class 1xx..5xx, jobs finished. */
	unsigned long long http_class[6];
	unsigned long long jobs_done, jobs_error;

	struct ratelimit rate;       /* per token name and per SIREN */
	struct answer_cache answers; /* GET /v1/dossiers/{id} */
	struct daemon_vault *vault;  /* submitted credentials (vault.c) */

	/* The DS poller (ds_poll.c), when intake.ds.poll_interval_s > 0. */
	pthread_t ds_poller;
	int ds_poller_started;
	/* Re-checks this process finished, by recheck_outcome (under mu). */
	unsigned long long rechecks[5];
};

/* Who asked: the token's name and role, copied out under the lock. */
struct daemon_caller {
	int known; /* a valid bearer token was presented */
	enum cfg_role role;
	char name[CFG_TOKEN_NAME_MAX + 1];
};

/* http.c: start libmicrohttpd on cfg's daemon.listen. */
struct MHD_Daemon;
enum rc_code http_start(struct daemon *dm, struct MHD_Daemon **out,
    struct rc_err *err);
/*
 * metrics.c: start the internal /metrics listener on
 * daemon.metrics_listen; *out stays NULL when it is not configured.
 */
enum rc_code metrics_start(struct daemon *dm, struct MHD_Daemon **out,
    struct rc_err *err);

/* worker.c: the job loop, started with pthread_create. */
void *worker_main(void *arg);
/* Wake the worker: a job was queued (it counts for the gathering window,
 * daemon.batch_gather_ms). */
void worker_kick(struct daemon *dm);
/* Wake the worker for anything else (a conformance run asked for). */
void worker_wake(struct daemon *dm);

/*
 * ds_poll.c: the démarches-simplifiées poller thread (started with
 * pthread_create when intake.ds.poll_interval_s > 0; ends when
 * dm->stopping); the write-back of a finished job that came from DS
 * (called by the worker; nothing for other jobs); its counters on
 * /metrics (raccord_intake_ds_total{what=...}).
 */
void *ds_poll_main(void *arg);
void ds_writeback_job(struct daemon *dm, const char *job_id);
struct rc_buf;
void ds_poll_metrics(struct rc_buf *b);

/*
 * vault.c: credentials given with submissions, in memory only, keyed by
 * job id.  vault_put moves d's in-memory credentials (secret_mem of the
 * integrations with a submitted_sha256) into v for job id, replacing
 * what it held for it in one step; RC_EINVAL (nothing changed, d keeps
 * them) when v holds a credential of another fingerprint for one of
 * those integrations.  vault_fill copies them back into a dossier parsed
 * from the store, matching integration and fingerprint; *missing is the
 * first integration whose credential is not held, or -1.  vault_drop
 * forgets (wipes) job id's credentials.
 */
enum rc_code vault_new(struct daemon_vault **out);
void vault_free(struct daemon_vault *v);
enum rc_code vault_put(struct daemon_vault *v, const char *id,
    struct dossier *d, time_t now);
enum rc_code vault_fill(struct daemon_vault *v, const char *id,
    struct dossier *d, time_t now, long *missing);
void vault_drop(struct daemon_vault *v, const char *id);
/*
 * Hold (1) or release (0) the gate that makes a submission's store_submit
 * and vault_put one step for the worker's store_claim: a job is never
 * claimed before its credentials are in the vault.
 */
void vault_gate(struct daemon_vault *v, int hold);

/*
 * Screen and parse a submitted dossier (also used by the unit tests):
 * JSON with duplicate keys refused and nesting at most DAEMON_JSON_DEPTH;
 * no path or variable of the server (token_file, token_env,
 * client_secret_file, client_secret_env).  An api integration's credential
 * may come inline ("token"; "client_secret" for the DGFiP APIs): *canon
 * holds its SHA-256 instead ("credential_sha256") and (*d) the bytes, as
 * integrations[i].secret_mem (for vault_put).  Then the CLI's parser
 * (dossier_from_json_submitted).  On success *canon is the canonical JSON
 * to store (json_dumps, sorted keys; free(); no credential in it), and *d
 * the parsed dossier.
 * RC_EPARSE / RC_EINVAL with every input error recorded in errs (each
 * naming the JSON path), RC_ENOMEM.
 */
enum rc_code daemon_dossier_screen(const char *body, size_t len, char **canon,
    struct dossier **d, struct rc_errs *errs);

/*
 * conf_job.c: the conformance job (docs/conformance.md).  Whether
 * conformance.* is complete; run the oldest queued conformance run (1
 * when one ran, 0 when none was queued); and, for an award of job id
 * under policy.require_conformance, judge its stored sealed report
 * (conf_seal_judge: NULL when it passed, hash set; else the reason in
 * buf).
 */
int conf_job_configured(const struct cfg *c);
int conf_job_run_one(struct daemon *dm);
const char *conf_job_judge(struct daemon *dm, struct ledger *lg, const char *id,
    const struct dossier *d, char hash[65], char *buf, size_t n);

#endif /* RC_CONNECTOR_DAEMON_DAEMON_INT_H */
