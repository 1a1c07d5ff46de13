/* SPDX-License-Identifier: MIT */
/*
 * raccord checks [ID...] [--lang en|fr] [--format text|json|markdown]
 *
 * Print the catalogue of checks (verifier/catalog.h): every check id the
 * verifier can record, what it guards, how a site fixes it and where the
 * rule comes from, in English or French.  docs/checks.md below its
 * "generated" marker is `raccord checks --format markdown`.  Given ids,
 * only those (an unknown id is refused with a "did you mean").  Probes
 * nothing, writes nothing.  Exit 0, or 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/mem.h"
#include "common/redact.h"
#include "connector/cli.h"
#include "verifier/catalog.h"

static void
checks_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord checks [ID...] [--lang en|fr] "
	    "[--format text|json|markdown]\n"
	    "\n"
	    "Explain every check raccord can report (or only the IDs "
	    "given).\n"
	    "\n"
	    "  -l, --lang LANG       en (default) or fr; json and markdown "
	    "give both\n"
	    "                        languages unless --lang is given\n"
	    "  -f, --format FMT      text (default), json or markdown\n"
	    "  -h, --help            this help\n"
	    "\n"
	    "exit: 0 printed, 2 usage or unknown check id\n");
}

/* An unknown id on stderr, redacted, with the closest known one. */
static void
unknown_id(const char *id)
{
	const char **ids;
	const char *near = NULL;
	char *clean = rc_redact_str(id, NULL);
	size_t i, n = catalog_count();

	if ((ids = rc_calloc(n + 1, sizeof(*ids))) != NULL) {
		for (i = 0; i < n; i++)
			ids[i] = catalog_get(i)->id;
		near = rc_suggest(id, ids);
	}
	fprintf(stderr,
	    "raccord checks: no check \"%s\"%s%s%s (raccord checks lists "
	    "them)\n",
	    clean != NULL ? clean : "?", near ? "; did you mean \"" : "",
	    near ? near : "", near ? "\"?" : "");
	rc_free(ids);
	rc_free(clean);
}

int
cli_checks(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text";
	struct rc_err err = { 0 };
	enum catalog_lang lang = CATALOG_EN;
	int c, i, only = -1, bad = 0;
	json_t *o, *pick;

	optind = 1;
	while ((c = getopt_long(argc, argv, "l:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (catalog_lang_parse(optarg, &lang, &err) != RC_OK) {
				char *m = rc_redact_str(err.msg, NULL);

				fprintf(stderr, "raccord checks: --lang: %s\n",
				    m != NULL ? m : "out of memory");
				rc_free(m);
				return 2;
			}
			only = (int)lang;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			checks_usage(stdout);
			return 0;
		default:
			checks_usage(stderr);
			return 2;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "markdown") != 0) {
		char *clean = rc_redact_str(format, NULL);

		fprintf(stderr,
		    "raccord checks: --format must be text, json or markdown, "
		    "not \"%s\"\n",
		    clean != NULL ? clean : "?");
		rc_free(clean);
		return 2;
	}
	for (i = optind; i < argc; i++)
		if (catalog_find(argv[i]) == NULL) {
			unknown_id(argv[i]);
			bad = 1;
		}
	if (bad)
		return 2;
	if (strcmp(format, "markdown") == 0) {
		if (optind < argc) {
			fprintf(stderr,
			    "raccord checks: --format markdown prints the "
			    "whole catalogue (no ID)\n");
			return 2;
		}
		catalog_print_markdown(stdout, only);
	} else if (strcmp(format, "json") == 0) {
		if ((o = catalog_to_json(only)) == NULL)
			goto nomem;
		if (optind < argc) { /* keep only the ids asked, in order */
			size_t j;
			json_t *chk;

			if ((pick = json_array()) == NULL) {
				json_decref(o);
				goto nomem;
			}
			for (i = optind; i < argc; i++)
				json_array_foreach(json_object_get(o, "checks"),
				    j, chk)
				{
					if (strcmp(
					        json_string_value(
					            json_object_get(chk, "id")),
					        argv[i]) == 0 &&
					    json_array_append(pick, chk) != 0)
						bad = 1;
				}
			if (bad ||
			    json_object_set_new(o, "checks", pick) != 0) {
				json_decref(o);
				goto nomem;
			}
		}
		if (json_dumpf(o, stdout,
		        JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
			json_decref(o);
			goto nomem;
		}
		fputc('\n', stdout);
		json_decref(o);
	} else if (optind < argc) {
		for (i = optind; i < argc; i++)
			catalog_print_entry_text(stdout, catalog_find(argv[i]),
			    lang);
	} else {
		catalog_print_text(stdout, lang);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "raccord checks: cannot write the catalogue\n");
		return 3;
	}
	return 0;
nomem:
	fprintf(stderr, "raccord checks: out of memory\n");
	return 3;
}
