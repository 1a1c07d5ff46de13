/* SPDX-License-Identifier: MIT */
/*
 * The one description of raccord's command line.  `--help` of every
 * command and subcommand, the man page raccord(1), the bash completion
 * script and the reference part of docs/cli.md are all printed from the
 * table in help.c, so they cannot drift apart (a test compares
 * docs/cli.md with `raccord help --markdown`).
 */
#ifndef RC_CONNECTOR_HELP_H
#define RC_CONNECTOR_HELP_H

#include <stdio.h>

struct help_opt {
	const char *flag; /* "-c, --config" */
	const char *arg;  /* "FILE", or NULL for a switch */
	const char *text; /* one sentence */
};

struct help_cmd {
	const char *path;         /* "ledger export" */
	const char *const *usage; /* synopsis lines after the path, NULL-t. */
	const char *summary;      /* one line, lower case, no full stop */
	const char *description;  /* paragraphs, '\n' between lines */
	const struct help_opt *opts; /* terminated by a NULL flag */
	const char *exits;           /* "0 …\n1 …" one status per line */
};

/*
 * The most specific command named by the words of argv (options and
 * their values skipped), or NULL when argv names no command.  argv[0] is
 * the first word after "raccord".  Borrowed from a static table.
 */
const struct help_cmd *help_find(int argc, char *const *argv);

/* The command whose path is exactly path, or NULL. */
const struct help_cmd *help_get(const char *path);

/* `raccord COMMAND --help`: synopsis, description, options, exit status. */
void help_print(FILE *f, const struct help_cmd *cmd);

/* `raccord --help`: every command with its summary. */
void help_print_overview(FILE *f);

/* raccord(1) in man(7) roff. */
void help_print_man(FILE *f, const char *version);

/* A bash completion script for raccord. */
void help_print_bash(FILE *f);

/* The command reference of docs/cli.md (Markdown). */
void help_print_markdown(FILE *f);

#endif /* RC_CONNECTOR_HELP_H */
