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

#include "connector/cli.h"

#define RACCORD_VERSION "0.1.0"

typedef int cli_fn(int argc, char **argv);

/* clang-format off */
static const struct {
	const char *name;
	cli_fn *fn;
	const char *help;
} commands[] = {
	{ "check",  cli_check,  "probe a dossier's integrations and report (writes nothing)" },
	{ "verify", cli_verify, "check, then award per policy into the signed ledger; print receipts" },
	{ "ledger", cli_ledger, "init|show|verify|prove|consistency|export|cosign the signed ledger" },
	{ "keygen", cli_keygen, "make an Ed25519 ledger key and its C2SP verifier key" },
	{ "config", cli_config, "config dump|check: print or validate the effective configuration" },
};
/* clang-format on */

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: raccord <command> [options]\n"
	    "\n"
	    "raccord verifies, from outside, a collectivité's FranceConnect "
	    "and national-API\nintegrations and records the awards it "
	    "grants in a signed ledger.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
	    "\n'raccord <command> --help' describes a command; "
	    "docs/cli.md has the details.\n");
}

int
main(int argc, char **argv)
{
	size_t i;
	int status;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("raccord %s (%s)\n", RACCORD_VERSION, curl_version());
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
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
	usage(stderr);
	return 2;
}
