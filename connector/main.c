/* SPDX-License-Identifier: MIT */
/*
 * raccord: the command-line entry point.  Only dispatch lives here: each
 * subcommand parses its own arguments in cli_<name>.c and calls into the
 * libraries, so the CLI and the daemon behave the same.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "common/json.h"
#include "common/mem.h"
#include "connector/cli.h"
#include "connector/help.h"

#define RACCORD_VERSION "0.1.0"

typedef int cli_fn(int argc, char **argv);

/* The commands; their help lives in connector/help.c. */
static const struct {
	const char *name;
	cli_fn *fn;
} commands[] = {
	{ "check", cli_check },
	{ "checks", cli_checks },
	{ "verify", cli_verify },
	{ "ledger", cli_ledger },
	{ "keygen", cli_keygen },
	{ "config", cli_config },
	{ "conformance", cli_conformance },
	{ "serve", cli_serve },
	{ "intake", cli_intake },
};

/* `raccord help [COMMAND...] | --man | --completion bash | --markdown` */
static int
help_command(int argc, char **argv)
{
	const struct help_cmd *cmd;

	if (argc == 1) {
		help_print_overview(stdout);
		return 0;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help_print(stdout, help_get("help"));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		help_print_man(stdout, RACCORD_VERSION);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
		help_print_markdown(stdout);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--completion") == 0 &&
	    strcmp(argv[2], "bash") == 0) {
		help_print_bash(stdout);
		return 0;
	}
	cmd = help_find(argc - 1, argv + 1);
	if (cmd == NULL || argv[1][0] == '-') {
		fprintf(stderr, "raccord help: no command \"%s\"\n\n", argv[1]);
		help_print_overview(stderr);
		return 2;
	}
	help_print(stdout, cmd);
	return 0;
}

/* Does argv ask for help (-h or --help anywhere before "--")? */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct help_cmd *cmd;
	size_t i;
	int status;

	rc_json_setup();
	if (argc < 2) {
		help_print_overview(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help_print_overview(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0)
		return help_command(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("raccord %s (%s)\n", RACCORD_VERSION, curl_version());
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (wants_help(argc, argv)) {
			cmd = help_find(argc - 1, argv + 1);
			help_print(stdout,
			    cmd != NULL ? cmd : help_get(argv[1]));
			return 0;
		}
		/* libcurl copies the Authorization headers that carry API
		 * tokens into buffers of its own: they are wiped when freed
		 * (rc_free_wiped, common/mem.h). */
		if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, rc_malloc,
		        rc_free_wiped, rc_realloc_wiped, rc_strdup,
		        rc_calloc) != CURLE_OK) {
			fprintf(stderr, "raccord: cannot initialise libcurl\n");
			return 3;
		}
		xmlInitParser();
		status = commands[i].fn(argc - 1, argv + 1);
		xmlCleanupParser();
		curl_global_cleanup();
		return status;
	}
	fprintf(stderr, "raccord: unknown command \"%s\"\n\n", argv[1]);
	help_print_overview(stderr);
	return 2;
}
