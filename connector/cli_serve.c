/* SPDX-License-Identifier: MIT */
/*
 * raccord serve --config F
 *
 * The daemon (connector/daemon/daemon.h, docs/api.md): the HTTP API, the
 * durable job queue and the worker, until SIGTERM or SIGINT.
 *
 * Exit status: 0 stopped on a signal; 2 bad config, ledger, key or
 * store (the message names it); 3 internal error (cannot listen, ...).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connector/cli.h"
#include "connector/daemon/daemon.h"

static void
serve_usage(FILE *f)
{
	fprintf(f, "usage: raccord serve --config FILE\n");
}

int
cli_serve(int argc, char **argv)
{
	const char *config = NULL;
	struct rc_err err = { 0 };
	enum daemon_end end;
	enum rc_code rc;
	int i;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 ||
		        strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc)
			config = argv[++i];
		else {
			fprintf(stderr, "raccord serve: unexpected \"%s\"\n",
			    argv[i]);
			serve_usage(stderr);
			return 2;
		}
	}
	if (config == NULL) {
		serve_usage(stderr);
		return 2;
	}
	rc = daemon_serve(config, &end, &err);
	if (rc != RC_OK)
		fprintf(stderr, "raccord serve: %s\n", err.msg);
	if (end == DAEMON_END_PARKED) {
		/*
		 * A job thread is still running: leave without the process's
		 * cleanup (libcurl, libxml2) pulling state from under it.
		 */
		fflush(NULL);
		_exit(rc == RC_OK ? 0 : 3);
	}
	if (rc == RC_OK)
		return 0;
	return rc == RC_ESYS || rc == RC_ENOMEM ? 3 : 2;
}
