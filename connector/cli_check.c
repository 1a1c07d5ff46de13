/* SPDX-License-Identifier: MIT */
/*
 * raccord check DOSSIER.json | --batch FILE.jsonl [--config F]
 *               [--format text|json] [-v]
 *
 * Probe every claimed integration and print the report; writes nothing.
 * Exit 0: every claimed integration verified; 1: some failed; 3:
 * inconclusive (network, timeouts); 2: bad input or usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/redact.h"
#include "connector/cli.h"
#include "connector/pipeline.h"

/* Dossiers probed together in one turn of a --batch. */
#define CHECK_CHUNK 1000

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord check DOSSIER.json [options]\n"
	    "       raccord check --batch FILE.jsonl [options]\n"
	    "\n"
	    "Probe the dossier's FranceConnect and API integrations from "
	    "outside and\nexplain every finding.  Writes nothing.\n"
	    "\n"
	    "  -c, --config FILE     configuration (default: built-in, real "
	    "services)\n"
	    "  -b, --batch FILE      one dossier per line (JSONL; - for "
	    "stdin), probed\n"
	    "                        concurrently; one report line each\n"
	    "  -f, --format FMT      text (default on a terminal) or json\n"
	    "  -v, --verbose         log progress to stderr (twice: debug)\n"
	    "  -h, --help            this help\n"
	    "\n"
	    "exit: 0 all verified, 1 some failed, 3 inconclusive, 2 bad "
	    "input\n");
}

/* Colours on a terminal, unless NO_COLOR is set (no-color.org). */
static int use_colour;

/* What a batch saw, for its closing line. */
struct batch_tally {
	size_t verified, failed, inconclusive, refused;
};

static void
tally_item(struct batch_tally *t, const struct pipeline_item *it)
{
	if (it->report == NULL) {
		t->refused++;
		return;
	}
	switch (report_verdict(it->report)) {
	case VERDICT_VERIFIED:
		t->verified++;
		break;
	case VERDICT_FAILED:
		t->failed++;
		break;
	default:
		t->inconclusive++;
		break;
	}
}

/* An error on stderr; it may quote a dossier's bytes: redacted. */
static void
check_perror(const struct rc_err *err)
{
	char *m = rc_redact_str(err->msg, NULL);

	fprintf(stderr, "raccord check: %s\n", m != NULL ? m : "out of memory");
	rc_free(m);
}

/*
 * Print one item: a report, or the reason its input was refused.  The
 * reason may quote the applicant's bytes: it goes through rc_redact like
 * everything else that reaches the terminal (the report did already).
 */
static int
print_item(const struct pipeline *pl, const struct pipeline_item *it, int json,
    int batch)
{
	json_t *o;
	char *why;
	int rc = 0;

	if (it->report == NULL) {
		why = rc_redact_str(it->error ? it->error : "refused", NULL);
		if (why == NULL)
			return -1;
		if (json) {
			o = json_pack("{s:I,s:s}", "line", (json_int_t)it->line,
			    "error", why);
			if (o == NULL ||
			    json_dumpf(o, stdout, JSON_COMPACT) != 0)
				rc = -1;
			fputc('\n', stdout);
			json_decref(o);
		} else {
			printf("line %zu: refused: %s\n\n", it->line, why);
		}
		rc_free(why);
		return rc;
	}
	if (!json) {
		report_print_text_colour(it->report, stdout, use_colour);
		/* What `raccord verify` would do (connector/payable.h). */
		if (pipeline_payable_text(pl, it, stdout, NULL) != RC_OK)
			return -1;
		if (batch)
			fputc('\n', stdout);
		return 0;
	}
	if ((o = report_to_json(it->report)) == NULL ||
	    pipeline_payable_json(pl, it, o, NULL) != RC_OK) {
		json_decref(o);
		return -1;
	}
	if (batch &&
	    json_object_set_new(o, "line",
	        json_integer((json_int_t)it->line)) != 0)
		rc = -1;
	if (json_dumpf(o, stdout,
	        batch ? JSON_COMPACT : JSON_INDENT(2) | JSON_PRESERVE_ORDER) !=
	    0)
		rc = -1;
	fputc('\n', stdout);
	json_decref(o);
	return rc;
}

/*
 * A batch, CHECK_CHUNK dossiers at a time: each chunk is probed
 * concurrently on one event loop and printed, in input order, before the
 * next is read, so memory stays bounded whatever the batch size.
 */
static int
check_batch(struct pipeline *pl, const char *batch, int json, int quiet)
{
	struct rc_err err = { 0 };
	struct batch_tally t = { 0 };
	struct timespec t0, t1;
	int more = 1, status, progress = !quiet && isatty(STDERR_FILENO);
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (pipeline_open_batch(pl, batch, &err) != RC_OK) {
		check_perror(&err);
		return 2;
	}
	while (more) {
		if (pipeline_next_chunk(pl, CHECK_CHUNK, &more, &err) !=
		    RC_OK) {
			check_perror(&err);
			return 2;
		}
		if (pl->nitems == 0)
			continue;
		if (pipeline_run(pl, &err) != RC_OK) {
			check_perror(&err);
			return err.code == RC_ECONFIG ? 2 : 3;
		}
		if (progress)
			fprintf(stderr,
			    "\rraccord check: %zu dossiers checked…",
			    t.verified + t.failed + t.inconclusive + t.refused +
			        pl->nitems);
		for (i = 0; i < pl->nitems; i++)
			tally_item(&t, &pl->items[i]);
		for (i = 0; i < pl->nitems; i++)
			if (print_item(pl, &pl->items[i], json, 1) != 0) {
				fprintf(stderr,
				    "raccord check: cannot write "
				    "the report\n");
				return 3;
			}
		if (fflush(stdout) != 0) {
			fprintf(stderr,
			    "raccord check: cannot write the "
			    "report\n");
			return 3;
		}
	}
	status = pipeline_exit_status(pl);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet)
		fprintf(stderr,
		    "%sraccord check: %zu dossiers: %zu verified, %zu failed, "
		    "%zu inconclusive, %zu refused inputs (%.1f s)\n",
		    progress ? "\r" : "",
		    t.verified + t.failed + t.inconclusive + t.refused,
		    t.verified, t.failed, t.inconclusive, t.refused,
		    (double)(t1.tv_sec - t0.tv_sec) +
		        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return status;
}

int
cli_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *batch = NULL, *format = NULL;
	const char *nc = getenv("NO_COLOR");
	struct pipeline pl;
	struct rc_err err = { 0 };
	struct rc_errs errs;
	int c, json, status, verbose = 0, quiet = 0;
	size_t i;

	optind = 1;
	while (
	    (c = getopt_long(argc, argv, "c:b:f:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return 2;
		}
	}
	if ((batch == NULL) == (optind >= argc) ||
	    (batch == NULL && argc - optind != 1) ||
	    (batch != NULL && optind != argc)) {
		fprintf(stderr,
		    "raccord check: give one DOSSIER.json or "
		    "--batch FILE.jsonl\n");
		check_usage(stderr);
		return 2;
	}
	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "text") != 0) {
		fprintf(stderr,
		    "raccord check: --format must be text or json, not "
		    "\"%s\"\n",
		    format);
		return 2;
	}
	json = format ? strcmp(format, "json") == 0 : !isatty(STDOUT_FILENO);
	use_colour =
	    !json && isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
	rc_log_set_level(verbose >= 2 ? RC_LOG_DEBUG
	        : verbose             ? RC_LOG_INFO
	        : quiet               ? RC_LOG_ERROR
	                              : RC_LOG_WARN);

	if (pipeline_init(&pl, config, &err) != RC_OK) {
		check_perror(&err);
		pipeline_cleanup(&pl);
		return 2;
	}
	if (batch != NULL) {
		status = check_batch(&pl, batch, json, quiet);
		pipeline_cleanup(&pl);
		return status;
	}
	rc_errs_init(&errs);
	if (pipeline_add_file(&pl, argv[optind], &errs) != RC_OK) {
		pipeline_errs_print(&errs, "raccord check", stderr);
		pipeline_cleanup(&pl);
		return errs.code == RC_ENOMEM ? 3 : 2;
	}
	if (pipeline_run(&pl, &err) != RC_OK) {
		check_perror(&err);
		pipeline_cleanup(&pl);
		return err.code == RC_ECONFIG ? 2 : 3;
	}
	status = pipeline_exit_status(&pl);
	for (i = 0; i < pl.nitems; i++)
		if (print_item(&pl, &pl.items[i], json, 0) != 0) {
			fprintf(stderr,
			    "raccord check: cannot write the "
			    "report\n");
			status = 3;
		}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "raccord check: cannot write the report\n");
		status = 3;
	}
	pipeline_cleanup(&pl);
	return status;
}
