/* SPDX-License-Identifier: MIT */
/*
 * `raccord intake run --once [--config FILE] [--since ISO8601]`: one pass
 * over the démarches-simplifiées procedure of intake.ds.* (docs/intake.md):
 * each dossier mapped and checked, or refused with its reason, and the
 * outcome written into its private annotation.  Writes no ledger entry.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "connector/cli.h"
#include "connector/intake/intake_run.h"
#include "connector/pipeline.h"

static void
usage(FILE *f)
{
	fputs("usage: raccord intake run --once [--config FILE] "
	      "[--since ISO8601]\n",
	    f);
}

int
cli_intake(int argc, char **argv)
{
	const char *file = NULL, *since = NULL;
	struct intake_ds_stats st;
	struct rc_err err = { 0 };
	struct pipeline pl;
	enum rc_code rc;
	int i, once = 0, status;

	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		if (argc >= 2)
			fprintf(stderr,
			    "raccord intake: unknown command \"%s\"\n",
			    argv[1]);
		usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if ((strcmp(argv[i], "--config") == 0 ||
		             strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else {
			fprintf(stderr,
			    "raccord intake run: unknown argument "
			    "\"%s\"\n",
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!once) {
		fprintf(stderr,
		    "raccord intake run: --once is required (the "
		    "polling daemon is not there yet)\n");
		usage(stderr);
		return 2;
	}
	if (since != NULL &&
	    (strlen(since) < 10 || strlen(since) > 40 ||
	        strspn(since, "0123456789-:T+.Z") != strlen(since))) {
		fprintf(stderr,
		    "raccord intake run: --since: an ISO 8601 date "
		    "or date-time (2026-12-01T00:00:00Z)\n");
		return 2;
	}
	memset(&pl, 0, sizeof(pl));
	if ((rc = pipeline_init(&pl, file, &err)) != RC_OK) {
		fprintf(stderr, "raccord intake run: %s\n", err.msg);
		pipeline_cleanup(&pl);
		return rc == RC_ENOMEM ? 3 : 2;
	}
	rc = intake_ds_run_once(&pl, since, &st, stdout, &err);
	fprintf(stderr,
	    "raccord intake run: %zu page(s), %zu dossier(s): %zu checked, "
	    "%zu refused, %zu awaiting an API token, %zu annotation(s) "
	    "written, %zu unchanged, %zu error(s)\n",
	    st.pages, st.seen, st.mapped, st.refused, st.awaiting, st.annotated,
	    st.unchanged, st.errors);
	status = 0;
	if (rc != RC_OK) {
		fprintf(stderr, "raccord intake run: %s\n", err.msg);
		status = rc == RC_ECONFIG || rc == RC_EINVAL ? 2 : 3;
	}
	pipeline_cleanup(&pl);
	return status;
}
