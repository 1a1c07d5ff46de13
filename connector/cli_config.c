/* SPDX-License-Identifier: MIT */
/*
 * `raccord config`: show or check the effective configuration.
 *
 *   raccord config dump [--config FILE] [--comments]
 *   raccord config check [--config FILE]
 *
 * dump prints the defaults overlaid with FILE as pretty JSON in the
 * file's own layout (a valid config itself; --comments adds the "//"
 * documentation from the directive table).  check only validates.
 * Exit 0 on success, 2 on usage or config errors, 3 on internal errors.
 */
#include <stdio.h>
#include <string.h>

#include "connector/cli.h"
#include "connector/config.h"
#include "connector/pipeline.h"

static void
usage(FILE *f)
{
	fputs("usage: raccord config dump [--config FILE] [--comments]\n"
	      "       raccord config check [--config FILE]\n",
	    f);
}

int
cli_config(int argc, char **argv)
{
	const char *file = NULL, *verb;
	struct rc_errs errs;
	struct cfg *cfg = NULL;
	enum rc_code rc;
	int i, comments = 0, dump;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	verb = argv[1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(verb, "dump") != 0 && strcmp(verb, "check") != 0) {
		fprintf(stderr, "raccord config: unknown command \"%s\"\n",
		    verb);
		usage(stderr);
		return 2;
	}
	dump = strcmp(verb, "dump") == 0;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			file = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0 &&
		    argv[i][9] != '\0') {
			file = argv[i] + 9;
		} else if (dump && strcmp(argv[i], "--comments") == 0) {
			comments = 1;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "raccord config %s: %s \"%s\"\n", verb,
			    strcmp(argv[i], "--config") == 0
			        ? "missing file after"
			        : "unknown argument",
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}
	rc_errs_init(&errs);
	rc = cfg_load_all(file, &cfg, &errs);
	if (rc != RC_OK) {
		pipeline_errs_print(&errs, "raccord config", stderr);
		return rc == RC_ENOMEM ? 3 : 2;
	}
	if (dump) {
		rc = cfg_dump_flags(cfg, stdout,
		    comments ? CFG_DUMP_COMMENTS : 0);
		if (rc == RC_OK && fflush(stdout) != 0)
			rc = RC_ESYS;
		if (rc != RC_OK)
			fprintf(stderr, "raccord config: cannot print: %s\n",
			    rc_strerror(rc));
	} else {
		printf("%s: ok\n", file ? file : "(built-in defaults)");
	}
	cfg_free(cfg);
	return rc == RC_OK ? 0 : 3;
}
