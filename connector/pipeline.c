/* SPDX-License-Identifier: MIT */
/*
 * Config → options → dossiers → reports (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/redact.h"
#include "connector/pipeline.h"

enum rc_code
pipeline_init_all(struct pipeline *pl, const char *config_file,
    struct rc_errs *errs)
{
	const char *secret;
	enum rc_code rc;

	memset(pl, 0, sizeof(*pl));
	if ((rc = cfg_load_all(config_file, &pl->cfg, errs)) != RC_OK)
		return rc;
	verifier_opts_defaults(&pl->opts);
	cfg_verifier_opts(pl->cfg, &pl->opts);
	if (pl->cfg->datapass_client_secret_env != NULL &&
	    (secret = getenv(pl->cfg->datapass_client_secret_env)) != NULL &&
	    secret[0] != '\0') {
		if ((pl->datapass_secret = rc_strdup(secret)) == NULL)
			return RC_ERRS(errs, RC_ENOMEM, "out of memory");
		pl->opts.datapass_client_secret = pl->datapass_secret;
	}
	return RC_OK;
}

enum rc_code
pipeline_init(struct pipeline *pl, const char *config_file, struct rc_err *err)
{
	struct rc_errs errs;
	enum rc_code rc;

	rc_errs_init(&errs);
	if ((rc = pipeline_init_all(pl, config_file, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	return rc;
}

static enum rc_code
add_item(struct pipeline *pl, struct dossier *d, const char *error, size_t line)
{
	struct pipeline_item *ni;

	ni = rc_realloc(pl->items, (pl->nitems + 1) * sizeof(*ni));
	if (ni == NULL)
		return RC_ENOMEM;
	pl->items = ni;
	memset(&ni[pl->nitems], 0, sizeof(*ni));
	ni[pl->nitems].dossier = d;
	ni[pl->nitems].line = line;
	if (error != NULL) {
		if ((ni[pl->nitems].error = rc_strdup(error)) == NULL)
			return RC_ENOMEM;
		pl->nbad++;
	}
	pl->nitems++;
	return RC_OK;
}

enum rc_code
pipeline_add_file(struct pipeline *pl, const char *file, struct rc_errs *errs)
{
	struct dossier *d = NULL;
	struct rc_err err = { 0 };
	enum rc_code rc;

	if ((rc = dossier_load_file_all(file, &d, errs)) != RC_OK)
		return rc;
	if ((rc = pipeline_add_dossier(pl, d, &err)) != RC_OK)
		rc_errs_add(errs, &err);
	return rc;
}

enum rc_code
pipeline_add_dossier(struct pipeline *pl, struct dossier *d, struct rc_err *err)
{
	enum rc_code rc;

	if ((rc = add_item(pl, d, NULL, 0)) != RC_OK) {
		dossier_free(d);
		return RC_ERR(err, rc, "out of memory");
	}
	return RC_OK;
}

void
pipeline_errs_print(const struct rc_errs *errs, const char *prog, FILE *f)
{
	size_t i, more = rc_errs_more(errs);
	char *m;

	for (i = 0; i < rc_errs_kept(errs); i++) {
		m = rc_redact_str(errs->e[i].msg, NULL);
		fprintf(f, "%s: %s\n", prog, m != NULL ? m : "out of memory");
		rc_free(m);
	}
	if (more > 0)
		fprintf(f, "%s: ... and %zu more error%s\n", prog, more,
		    more == 1 ? "" : "s");
}

/*
 * One batch line's input errors as one message: "line N: a; b; c ... and
 * K more errors" (what, "line N", said once).  Returns a new string for
 * rc_free, or NULL on ENOMEM.
 */
static char *
errs_join(const struct rc_errs *errs, const char *what)
{
	size_t i, n = strlen(what), more = rc_errs_more(errs);
	struct rc_buf b;
	const char *m;
	char *out = NULL;

	rc_buf_init(&b, 64 * 1024);
	for (i = 0; i < rc_errs_kept(errs); i++) {
		m = errs->e[i].msg;
		if (i > 0 && strncmp(m, what, n) == 0 && m[n] == ':' &&
		    m[n + 1] == ' ')
			m += n + 2;
		if ((i > 0 && rc_buf_adds(&b, "; ") != RC_OK) ||
		    rc_buf_adds(&b, m) != RC_OK)
			goto out;
	}
	if (more > 0 &&
	    rc_buf_addf(&b, " ... and %zu more error%s", more,
	        more == 1 ? "" : "s") != RC_OK)
		goto out;
	out = rc_strdup(b.data != NULL ? b.data : "refused");
out:
	rc_buf_free(&b);
	return out;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/*
 * Read up to max non-blank lines of f (max 0: all) as items.  *more is 0
 * at end of file.
 */
static enum rc_code
read_lines(struct pipeline *pl, FILE *f, const char *file, size_t *lineno,
    size_t max, int *more, struct rc_err *err)
{
	char what[64], *line = NULL, *why = NULL;
	size_t cap = 0, got = 0;
	struct rc_errs lerrs;
	struct dossier *d;
	enum rc_code rc = RC_OK;
	ssize_t n;

	*more = 1;
	while (max == 0 || got < max) {
		if ((n = getline(&line, &cap, f)) == -1) {
			*more = 0;
			break;
		}
		++*lineno;
		if ((size_t)n > PIPELINE_LINE_MAX) {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s: line %zu is longer than %d bytes", file,
			    *lineno, PIPELINE_LINE_MAX);
			goto out;
		}
		if (blank(line, (size_t)n))
			continue;
		if (*lineno > PIPELINE_BATCH_MAX) {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s: more than %d lines in one batch", file,
			    PIPELINE_BATCH_MAX);
			goto out;
		}
		snprintf(what, sizeof(what), "line %zu", *lineno);
		rc_errs_init(&lerrs);
		d = NULL;
		got++;
		if (dossier_parse_all(line, (size_t)n, what, &d, &lerrs) !=
		    RC_OK) {
			if (lerrs.code == RC_ENOMEM ||
			    (why = errs_join(&lerrs, what)) == NULL)
				rc = RC_ENOMEM;
			else
				rc = add_item(pl, NULL, why, *lineno);
			rc_free(why);
			why = NULL;
		} else if ((rc = add_item(pl, d, NULL, *lineno)) != RC_OK)
			dossier_free(d);
		if (rc != RC_OK) {
			rc = RC_ERR(err, rc, "out of memory");
			goto out;
		}
	}
	if (ferror(f))
		rc = RC_ERR(err, RC_ESYS, "%s: read error: %s", file,
		    strerror(errno));
out:
	free(line); /* from getline */
	return rc;
}

enum rc_code
pipeline_add_batch(struct pipeline *pl, const char *file, struct rc_err *err)
{
	size_t lineno = 0;
	enum rc_code rc;
	int more;
	FILE *f;

	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (f == NULL)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", file,
		    strerror(errno));
	rc = read_lines(pl, f, file, &lineno, 0, &more, err);
	if (f != stdin)
		fclose(f);
	return rc;
}

enum rc_code
pipeline_open_batch(struct pipeline *pl, const char *file, struct rc_err *err)
{
	pl->batch = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (pl->batch == NULL)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", file,
		    strerror(errno));
	if ((pl->batch_name = rc_strdup(file)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	pl->batch_line = 0;
	return RC_OK;
}

/* Forget the current items, keeping their verdicts for the exit status. */
static void
release_items(struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->nitems; i++) {
		if (pl->items[i].report != NULL) {
			switch (report_verdict(pl->items[i].report)) {
			case VERDICT_FAILED:
				pl->nfailed++;
				break;
			case VERDICT_INCONCLUSIVE:
				pl->nunsure++;
				break;
			default:
				break;
			}
		}
		dossier_free(pl->items[i].dossier);
		report_free(pl->items[i].report);
		rc_free(pl->items[i].error);
	}
	rc_free(pl->items);
	pl->items = NULL;
	pl->nitems = 0;
}

enum rc_code
pipeline_next_chunk(struct pipeline *pl, size_t max, int *more,
    struct rc_err *err)
{
	*more = 0;
	release_items(pl);
	if (pl->batch == NULL)
		return RC_ERR(err, RC_EINVAL, "no batch open");
	return read_lines(pl, pl->batch, pl->batch_name, &pl->batch_line, max,
	    more, err);
}

enum rc_code
pipeline_run(struct pipeline *pl, struct rc_err *err)
{
	const struct dossier **ds = NULL;
	struct report **reps = NULL;
	size_t i, n = 0;
	enum rc_code rc;

	if (pl->nitems > 0) {
		ds = rc_calloc(pl->nitems, sizeof(*ds));
		reps = rc_calloc(pl->nitems, sizeof(*reps));
		if (ds == NULL || reps == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < pl->nitems; i++)
		if (pl->items[i].dossier != NULL)
			ds[n++] = pl->items[i].dossier;
	rc = verifier_run(&pl->opts, (const struct dossier *const *)ds, n, reps,
	    err);
	if (rc != RC_OK)
		goto out;
	for (i = 0, n = 0; i < pl->nitems; i++)
		if (pl->items[i].dossier != NULL)
			pl->items[i].report = reps[n++];
out:
	rc_free(ds);
	rc_free(reps);
	return rc;
}

void
pipeline_cleanup(struct pipeline *pl)
{
	release_items(pl);
	if (pl->batch != NULL && pl->batch != stdin)
		fclose(pl->batch);
	rc_free(pl->batch_name);
	if (pl->datapass_secret != NULL)
		rc_free_secret(pl->datapass_secret,
		    strlen(pl->datapass_secret));
	cfg_free(pl->cfg);
	memset(pl, 0, sizeof(*pl));
}

void
pipeline_payable_opts(const struct pipeline *pl, struct policy *p, time_t now,
    struct payable_opts *o)
{
	const struct verifier_opts *v = &pl->opts;

	policy_defaults(p);
	p->amount_cents = pl->cfg->amount_cents;
	p->envelope_cents = pl->cfg->envelope_cents;
	p->window_start = pl->cfg->window_start_t;
	p->window_end = pl->cfg->window_end_t;
	memset(o, 0, sizeof(*o));
	o->policy = p;
	o->require_habilitation = pl->cfg->require_habilitation;
	/* The verifier's own test (verifier/api_checks.c). */
	o->datapass_configured = v->datapass_base_url != NULL &&
	    v->datapass_client_id != NULL &&
	    v->datapass_client_secret != NULL &&
	    v->datapass_client_secret[0] != '\0';
	o->now = now;
	o->approve_seq = -1;
	o->require_conformance = pl->cfg->require_conformance;
	o->require_api_token = pl->cfg->require_api_token;
	o->conformance_fail = "no conformance report was given (raccord "
	                      "verify --conformance FILE)";
}

/* The verdicts of it's sections; *out for rc_free. */
static enum rc_code
item_payable(const struct pipeline *pl, const struct pipeline_item *it,
    struct payable **out, size_t *n, struct rc_err *err)
{
	struct payable_opts o;
	struct policy p;
	enum rc_code rc;

	*out = NULL;
	*n = report_section_count(it->report);
	if ((*out = rc_calloc(*n ? *n : 1, sizeof(**out))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	pipeline_payable_opts(pl, &p, time(NULL), &o);
	if ((rc = payable_dossier(it->dossier, it->report, &o, NULL, *out,
	         err)) != RC_OK) {
		rc_free(*out);
		*out = NULL;
	}
	return rc;
}

enum rc_code
pipeline_payable_json(const struct pipeline *pl, const struct pipeline_item *it,
    json_t *report_json, struct rc_err *err)
{
	struct payable *pay = NULL;
	size_t n = 0;
	enum rc_code rc;

	if ((rc = item_payable(pl, it, &pay, &n, err)) == RC_OK)
		rc = payable_annotate(report_json, pay, n, err);
	rc_free(pay);
	return rc;
}

enum rc_code
pipeline_payable_text(const struct pipeline *pl, const struct pipeline_item *it,
    FILE *f, struct rc_err *err)
{
	struct payable *pay = NULL;
	size_t n = 0;
	enum rc_code rc;

	if ((rc = item_payable(pl, it, &pay, &n, err)) == RC_OK)
		payable_print_text(pay, n, f);
	rc_free(pay);
	return rc;
}

int
pipeline_exit_status(const struct pipeline *pl)
{
	int failed = pl->nfailed > 0, unsure = pl->nunsure > 0;
	size_t i;

	if (pl->nbad > 0)
		return 2;
	for (i = 0; i < pl->nitems; i++) {
		if (pl->items[i].report == NULL)
			continue;
		switch (report_verdict(pl->items[i].report)) {
		case VERDICT_FAILED:
			failed = 1;
			break;
		case VERDICT_INCONCLUSIVE:
			unsure = 1;
			break;
		default:
			break;
		}
	}
	return failed ? 1 : unsure ? 3 : 0;
}
