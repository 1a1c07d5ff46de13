/* SPDX-License-Identifier: MIT */
/*
 * `raccord serve`: the HTTP API of shared/DESIGN.md §3 and docs/api.md.
 *
 * One process: libmicrohttpd's threads answer requests; one worker thread
 * runs the queued jobs through the same path as the CLI (pipeline_init's
 * verifier options, verifier_run on the verifier's one event loop,
 * award_dossier and ledger_append for awards).  Jobs are durable in
 * SQLite (store.h).  Signals are taken synchronously by the thread that
 * called daemon_serve (sigtimedwait): SIGTERM and SIGINT stop accepting
 * and let the running job finish within daemon.shutdown_timeout_s;
 * SIGHUP reloads the tokens.
 */
#ifndef RC_CONNECTOR_DAEMON_DAEMON_H
#define RC_CONNECTOR_DAEMON_DAEMON_H

#include "common/err.h"

enum daemon_end {
	DAEMON_END_CLEAN,  /* stopped; the worker finished its job */
	DAEMON_END_PARKED, /* stopped; a job was still running: the caller
	                      must leave without cleanup (_exit); the job
	                      runs again at the next start */
	DAEMON_END__MAX
};

/*
 * Run the daemon with config file (required) until SIGTERM or SIGINT.
 * The calling thread must not have other threads yet: daemon_serve
 * blocks SIGTERM, SIGINT and SIGHUP in every thread it starts.
 * RC_ECONFIG, RC_ESYS (cannot listen, store), RC_ELEDGER... with err
 * saying why; RC_OK with *end once stopped.
 */
enum rc_code daemon_serve(const char *config, enum daemon_end *end,
    struct rc_err *err);

#endif /* RC_CONNECTOR_DAEMON_DAEMON_H */
