/* SPDX-License-Identifier: MIT */
/*
 * raccord check DOSSIER.json | --batch FILE.jsonl [--config F]
 *               [--format text|json] [--lang en|fr] [-v]
 * raccord check --siret S --login-url U --client-id C --redirect-uri R
 *               [--env E] [--kind CATEGORIE] [--name N] [options]
 *
 * The second form is a collectivité's quick self-check: the dossier is
 * built from the flags (no file, no bank details) and read by the same
 * parser, so that the same rules apply; its messages name the flags.
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
#include "common/ident.h"
#include "connector/cli.h"
#include "connector/help.h"
#include "connector/pipeline.h"
#include "connector/site_dossier.h"
#include "verifier/catalog.h"

/* Dossiers probed together in one turn of a --batch. */
#define CHECK_CHUNK 1000

/* Long options without a short form. */
enum {
	OPT_SIRET = 256,
	OPT_LOGIN_URL,
	OPT_CLIENT_ID,
	OPT_REDIRECT_URI,
	OPT_ENV,
	OPT_KIND,
	OPT_NAME,
};

static void
check_usage(FILE *f)
{
	help_print(f, help_get("check"));
}

static int
site_flags_given(const struct site_flags *sf)
{
	return sf->siret || sf->login_url || sf->client_id ||
	    sf->redirect_uri || sf->env || sf->kind || sf->name;
}

/*
 * The dossier's JSON paths as the flags that set them, so that an error
 * names what the user typed ("--siret: ... fails the Luhn check").
 */
static const struct {
	const char *path, *flag;
} flag_paths[] = {
	{ "collectivite.siret", "--siret" },
	{ "collectivite.siren", "--siret (its first 9 digits, the SIREN)" },
	{ "collectivite.nom", "--name" },
	{ "collectivite.categorie", "--kind" },
	{ "integrations[0].environment", "--env" },
	{ "integrations[0].client_id", "--client-id" },
	{ "integrations[0].login_url", "--login-url" },
	{ "integrations[0].redirect_uri", "--redirect-uri" },
};

/*
 * src's errors into dst, each leading JSON path rewritten as its flag;
 * the SIREN's errors are left out when the SIRET has one (the SIREN is
 * cut from it).
 */
static void
errs_name_flags(struct rc_errs *dst, const struct rc_errs *src)
{
	static const char siret[] = "collectivite.siret:",
	                  siren[] = "collectivite.siren:";
	struct rc_err e;
	size_t i, k, n, more = rc_errs_more(src);
	int bad_siret = 0;

	for (i = 0; i < rc_errs_kept(src); i++)
		if (strncmp(src->e[i].msg, siret, sizeof(siret) - 1) == 0)
			bad_siret = 1;
	for (i = 0; i < rc_errs_kept(src); i++) {
		e = src->e[i];
		if (bad_siret && strncmp(e.msg, siren, sizeof(siren) - 1) == 0)
			continue;
		for (k = 0; k < sizeof(flag_paths) / sizeof(flag_paths[0]);
		     k++) {
			n = strlen(flag_paths[k].path);
			if (strncmp(e.msg, flag_paths[k].path, n) == 0 &&
			    e.msg[n] == ':') {
				rc_err_clear(&e);
				rc_err_set(&e, src->e[i].code, src->e[i].func,
				    "%s%s", flag_paths[k].flag,
				    src->e[i].msg + n);
				break;
			}
		}
		rc_errs_add(dst, &e);
	}
	for (i = 0; i < more; i++) /* src counted them without a message */
		RC_ERRS(dst, src->code, "an error past the first %d",
		    RC_ERRS_KEEP);
}

/*
 * A one-integration dossier from the flags, read by dossier_from_json
 * like any other: the SIREN is the SIRET's first nine digits, the
 * category "commune" unless --kind, the name "Self-check SIRET" unless
 * --name, no paiement (a self-check needs no bank details).  Every
 * missing flag and every bad value is recorded in errs at once, named as
 * the flag.
 */
static enum rc_code
dossier_from_flags(const struct site_flags *sf, struct dossier **out,
    struct rc_errs *errs)
{
	struct rc_errs local;
	json_t *root;
	enum rc_code rc;

	*out = NULL;
	if ((root = site_dossier_json(sf)) == NULL)
		return RC_ERRS(errs, RC_EINVAL,
		    "the flags must be valid UTF-8 text (or memory ran "
		    "out)");
	rc_errs_init(&local);
	rc = dossier_from_json(root, "", out, &local);
	json_decref(root);
	errs_name_flags(errs, &local);
	return rc;
}

/* Colours on a terminal, unless NO_COLOR is set (no-color.org). */
static int use_colour;

/* --lang: the catalogue's language for explanations, or -1 (none). */
static int explain_lang = -1;

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
	char *why, *text;
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
		report_print_text_explained(it->report, stdout, use_colour,
		    explain_lang);
		/* What `raccord verify` would do (connector/payable.h). */
		if (pipeline_payable_text(pl, it, stdout, NULL) != RC_OK)
			return -1;
		if (batch)
			fputc('\n', stdout);
		return 0;
	}
	if ((o = report_to_json(it->report)) == NULL ||
	    (explain_lang >= 0 &&
	        catalog_explain_report_json(o,
	            (enum catalog_lang)explain_lang) != RC_OK) ||
	    pipeline_payable_json(pl, it, o, NULL) != RC_OK) {
		json_decref(o);
		return -1;
	}
	if (batch &&
	    json_object_set_new(o, "line",
	        json_integer((json_int_t)it->line)) != 0)
		rc = -1;
	/*
	 * Serialised in memory, then written at once: json_dumpf would call
	 * fwrite (and take stdout's lock) for every token, a quarter of the
	 * serialisation's cost (docs/bench.md, issue 7 §5).
	 */
	text = json_dumps(o,
	    batch ? JSON_COMPACT : JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL || fputs(text, stdout) == EOF)
		rc = -1;
	fputc('\n', stdout);
	free(text); /* json_dumps */
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
		{ "lang", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "siret", required_argument, NULL, OPT_SIRET },
		{ "login-url", required_argument, NULL, OPT_LOGIN_URL },
		{ "client-id", required_argument, NULL, OPT_CLIENT_ID },
		{ "redirect-uri", required_argument, NULL, OPT_REDIRECT_URI },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	struct site_flags sf = { 0 };
	struct dossier *d = NULL;
	const char *config = NULL, *batch = NULL, *format = NULL;
	const char *nc = getenv("NO_COLOR");
	enum catalog_lang lang;
	struct pipeline pl;
	struct rc_err err = { 0 };
	struct rc_errs errs;
	int c, json, status, verbose = 0, quiet = 0, bad_args;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:b:f:l:vqh", longopts, NULL)) !=
	    -1) {
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
		case 'l':
			if (catalog_lang_parse(optarg, &lang, &err) != RC_OK) {
				check_perror(&err);
				return 2;
			}
			explain_lang = (int)lang;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		case OPT_SIRET:
			sf.siret = optarg;
			break;
		case OPT_LOGIN_URL:
			sf.login_url = optarg;
			break;
		case OPT_CLIENT_ID:
			sf.client_id = optarg;
			break;
		case OPT_REDIRECT_URI:
			sf.redirect_uri = optarg;
			break;
		case OPT_ENV:
			sf.env = optarg;
			break;
		case OPT_KIND:
			sf.kind = optarg;
			break;
		case OPT_NAME:
			sf.name = optarg;
			break;
		default:
			check_usage(stderr);
			return 2;
		}
	}
	/* One source: a site's flags, a batch, or one dossier file. */
	if (site_flags_given(&sf))
		bad_args = batch != NULL || optind != argc;
	else if (batch != NULL)
		bad_args = optind != argc;
	else
		bad_args = argc - optind != 1;
	if (bad_args) {
		fprintf(stderr,
		    "raccord check: give one DOSSIER.json, --batch "
		    "FILE.jsonl, or a site's --siret, --login-url, "
		    "--client-id and --redirect-uri\n");
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

	rc_errs_init(&errs);
	if (pipeline_init_all(&pl, config, &errs) != RC_OK) {
		pipeline_errs_print(&errs, "raccord check", stderr);
		pipeline_cleanup(&pl);
		return errs.code == RC_ENOMEM ? 3 : 2;
	}
	if (batch != NULL) {
		status = check_batch(&pl, batch, json, quiet);
		pipeline_cleanup(&pl);
		return status;
	}
	rc_errs_init(&errs);
	if (site_flags_given(&sf)) {
		if (dossier_from_flags(&sf, &d, &errs) == RC_OK &&
		    pipeline_add_dossier(&pl, d, &err) != RC_OK)
			rc_errs_add(&errs, &err);
	} else
		pipeline_add_file(&pl, argv[optind], &errs);
	if (errs.n > 0) {
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
