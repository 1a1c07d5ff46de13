/* SPDX-License-Identifier: MIT */
/*
 * verifier_run: one probe engine, one event loop, every claimed
 * integration of every dossier checked concurrently (see verifier.h).
 */
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "verifier/checks.h"
#include "verifier/verifier.h"

void
verifier_opts_defaults(struct verifier_opts *o)
{
	memset(o, 0, sizeof(*o));
	probe_opts_defaults(&o->probe);
	o->fc_discovery[0][DOSSIER_ENV_PRODUCTION] =
	    "https://oidc.franceconnect.gouv.fr/api/v2/.well-known/"
	    "openid-configuration";
	o->fc_discovery[0][DOSSIER_ENV_INTEGRATION] =
	    "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/.well-known/"
	    "openid-configuration";
	o->fc_discovery[1][DOSSIER_ENV_PRODUCTION] =
	    "https://auth.franceconnect.gouv.fr/api/v2/.well-known/"
	    "openid-configuration";
	o->fc_discovery[1][DOSSIER_ENV_INTEGRATION] =
	    "https://auth.integ01.dev-franceconnect.fr/api/v2/.well-known/"
	    "openid-configuration";
	o->login_fetches = 3;
	o->active_probes = 1;
	o->cert_warn_days = 30;
}

/*
 * A family finished.  Finishing more often than families were started is
 * a programmer error: it would let the verifier read a section while a
 * family still writes to it.  It is made loud, not silent: an error is
 * logged, the section is marked incomplete (never verified), and
 * verifier_run fails as an internal error, returning no report.  (No
 * assert: one buggy family must not abort a whole batch, and the path
 * stays testable.)
 */
void
check_ctx_done(struct check_ctx *ctx)
{
	if (ctx->pending <= 0) {
		ctx->overdone++;
		log_error("integration=%s event=family_done_twice",
		    ctx->in != NULL ? ctx->in->path : "?");
		report_section_incomplete(ctx->sec,
		    "internal error: a check family reported its end twice");
		return;
	}
	ctx->pending--;
}

static const char *
section_label(const struct dossier_integration *in, char *buf, size_t len)
{
	if (in->kind == DOSSIER_FRANCECONNECT)
		snprintf(buf, len, "%s %s (%s)", in->path,
		    in->plus ? "FranceConnect+" : "FranceConnect",
		    dossier_env_str(in->env));
	else
		snprintf(buf, len, "%s %s (%s)", in->path,
		    in->api ? in->api : "api", dossier_env_str(in->env));
	return buf;
}

enum rc_code
verifier_run(const struct verifier_opts *opts,
    const struct dossier *const *dossiers, size_t n, struct report **reports,
    struct rc_err *err)
{
	struct probe *probe;
	enum rc_code rc;
	size_t i;

	for (i = 0; i < n; i++)
		reports[i] = NULL;
	if (opts->login_fetches < 3)
		return RC_ERR(err, RC_ECONFIG,
		    "checks.login_fetches: must be at least 3");
	if ((probe = probe_new(&opts->probe, err)) == NULL)
		return err && err->code ? err->code : RC_ENOMEM;
	rc = verifier_run_on(probe, opts, dossiers, n, reports, err);
	probe_free(probe);
	return rc;
}

struct verifier_cache *
verifier_cache_new(long max_age_s)
{
	struct verifier_cache *c = rc_calloc(1, sizeof(*c));

	if (c != NULL)
		c->max_age_s = max_age_s > 0 ? max_age_s : 0;
	return c;
}

void
verifier_cache_free(struct verifier_cache *cache)
{
	if (cache == NULL)
		return;
	fc_checks_keep_free(cache);
	rc_free(cache);
}

enum rc_code
verifier_run_on(struct probe *probe, const struct verifier_opts *opts,
    const struct dossier *const *dossiers, size_t n, struct report **reports,
    struct rc_err *err)
{
	return verifier_run_cached(probe, NULL, opts, dossiers, n, reports,
	    err);
}

enum rc_code
verifier_run_cached(struct probe *probe, struct verifier_cache *cache,
    const struct verifier_opts *opts, const struct dossier *const *dossiers,
    size_t n, struct report **reports, struct rc_err *err)
{
	struct check_run run = { .keep = cache,
		.now = opts->now ? opts->now : time(NULL) };
	struct check_ctx *ctxs = NULL;
	struct probe_group *group;
	long budget;
	enum rc_code rc = RC_OK;
	size_t total = 0, i, j, k;
	char label[128];

	for (i = 0; i < n; i++)
		reports[i] = NULL;
	if (opts->login_fetches < 3)
		return RC_ERR(err, RC_ECONFIG,
		    "checks.login_fetches: must be at least 3");
	/* An engine left with work by a failed run is not reused. */
	if (probe_recycle(probe, err) != RC_OK)
		return RC_EINVAL;
	budget = opts->dossier_timeout_ms > 0
	    ? opts->dossier_timeout_ms
	    : 4 * probe_get_opts(probe)->timeout_ms;
	for (i = 0; i < n; i++)
		total += dossiers[i]->nintegrations;
	if (total > 0 && (ctxs = rc_calloc(total, sizeof(*ctxs))) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto drain;
	}
	for (i = 0, k = 0; i < n; i++) {
		const struct dossier *d = dossiers[i];

		if ((reports[i] = report_new(d->dossier_id)) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto drain;
		}
		/* Every request of this dossier's checks, follow-ups
		 * included, runs against its deadline. */
		if ((group = probe_group_new(probe, budget, "dossier", err)) ==
		    NULL) {
			rc = err && err->code ? err->code : RC_ENOMEM;
			goto drain;
		}
		probe_set_group(probe, group);
		log_info("dossier=%s event=start integrations=%zu "
		         "deadline_ms=%ld",
		    d->dossier_id, d->nintegrations, budget);
		for (j = 0; j < d->nintegrations; j++, k++) {
			const struct dossier_integration *in =
			    &d->integrations[j];
			struct check_ctx *c = &ctxs[k];

			c->run = &run;
			c->probe = probe;
			c->opts = opts;
			c->dossier = d;
			c->in = in;
			c->rep = reports[i];
			c->sec = report_section_add(reports[i],
			    dossier_kind_str(in->kind),
			    section_label(in, label, sizeof(label)));
			if (c->sec == NULL) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				goto drain;
			}
			/* The explicit link back to the dossier (issue 12). */
			if (report_section_set(c->sec, "integration",
			        in->path) != RC_OK) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				goto drain;
			}
			report_section_set(c->sec, "environment",
			    dossier_env_str(in->env));
			if (in->kind == DOSSIER_FRANCECONNECT) {
				c->pending = 2;
				rc = fc_checks_start(c, err);
				if (rc == RC_OK)
					rc = fc_habilitation_start(c, err);
			} else {
				report_section_set(c->sec, "api", in->api);
				c->pending = 1;
				rc = api_checks_start(c, err);
			}
			if (rc != RC_OK)
				goto drain;
		}
	}
drain:
	probe_set_group(probe, NULL);
	/*
	 * Run the loop even after a failed start: families already started
	 * release their state from their callbacks.
	 */
	if (probe_run(probe, err) != RC_OK && rc == RC_OK)
		rc = err && err->code ? err->code : RC_ENET;
	for (k = 0; rc == RC_OK && k < total; k++)
		if (ctxs[k].overdone != 0)
			rc = RC_ERR(err, RC_EINVAL,
			    "internal: a check family finished twice");
	for (k = 0; rc == RC_OK && k < total; k++)
		if (ctxs[k].pending != 0) {
			log_error("integration=%s pending=%d", ctxs[k].in->path,
			    ctxs[k].pending);
			rc = RC_ERR(err, RC_EINVAL,
			    "internal: a check family did not finish");
		}
	/* Nothing of this run's groups stays in the engine for the next. */
	if (rc == RC_OK && probe_recycle(probe, err) != RC_OK)
		rc = RC_EINVAL;

	for (i = 0; rc == RC_OK && i < n; i++)
		report_log(reports[i]);
	if (rc != RC_OK) {
		for (i = 0; i < n; i++) {
			report_free(reports[i]);
			reports[i] = NULL;
		}
	}
	fc_checks_run_cleanup(&run);
	rc_free(ctxs);
	return rc;
}
