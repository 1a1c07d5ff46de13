/* SPDX-License-Identifier: MIT */
/*
 * The daemon's conformance job (docs/conformance.md, "The daemon's job"):
 * the worker runs a queued conformance run of a job's dossier exactly as
 * `raccord conformance --signed-report` does, with the provider on
 * conformance.listen / conformance.public_url, and stores the report
 * sealed with the ledger's key beside the job, where
 * POST /v1/dossiers/{id}/verify finds it under policy.require_conformance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/conf_seal.h"
#include "connector/daemon/daemon_int.h"
#include "verifier/conformance.h"
#include "verifier/report.h"

int
conf_job_configured(const struct cfg *c)
{
	return c->conf_listen != NULL && c->conf_public_url != NULL &&
	    c->conf_tls_cert != NULL && c->conf_tls_key != NULL;
}

/* Run the claimed conformance run of job id. */
static void
run(struct daemon *dm, const char *id, const char *regtext, const char *dossier)
{
	const struct cfg *c = dm->pl.cfg;
	struct conf_registration reg;
	struct conf_opts co;
	struct dossier *d = NULL;
	struct report *rep = NULL;
	struct rc_err err = { 0 };
	json_t *rj = NULL, *sealed = NULL;
	char errmsg[600] = "", *text = NULL;
	const char *verdict = NULL;
	time_t start, end;

	memset(&reg, 0, sizeof(reg));
	if (!conf_job_configured(c)) {
		snprintf(errmsg, sizeof(errmsg),
		    "conformance.listen, conformance.public_url, "
		    "conformance.tls_cert and conformance.tls_key must all be "
		    "set for a conformance job");
		goto out;
	}
	if ((rj = json_loads(regtext, 0, NULL)) == NULL ||
	    conf_registration_from_json(rj, "stored registration", &reg,
	        &err) != RC_OK) {
		snprintf(errmsg, sizeof(errmsg), "stored registration: %s",
		    err.msg[0] ? err.msg : "not JSON");
		goto out;
	}
	if (dossier_parse_submitted(dossier, strlen(dossier), "stored dossier",
	        &d, &err) != RC_OK) {
		snprintf(errmsg, sizeof(errmsg), "stored dossier: %s", err.msg);
		goto out;
	}
	if ((rep = report_new(d->dossier_id)) == NULL) {
		snprintf(errmsg, sizeof(errmsg), "out of memory");
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.listen = c->conf_listen;
	co.public_url = c->conf_public_url;
	co.tls_cert = c->conf_tls_cert;
	co.tls_key = c->conf_tls_key;
	co.probe = dm->pl.opts.probe;
	log_info("job=%s conformance run starts", id);
	start = time(NULL);
	if (conformance_run(&co, d, &reg, rep, &err) != RC_OK) {
		snprintf(errmsg, sizeof(errmsg),
		    "the conformance run failed: %s", err.msg);
		goto out;
	}
	end = time(NULL);
	if (conf_seal_run(dm->signer, rep, d, &reg, c->conf_public_url, start,
	        end, &sealed, &err) != RC_OK ||
	    (text = json_dumps(sealed, JSON_COMPACT | JSON_SORT_KEYS)) ==
	        NULL) {
		snprintf(errmsg, sizeof(errmsg), "cannot seal the report: %s",
		    err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	verdict = verdict_str(report_verdict(rep));
out:
	if (store_conf_finish(dm->store, id, errmsg[0] ? "error" : "done",
	        verdict, errmsg[0] ? NULL : text, errmsg[0] ? errmsg : NULL,
	        &err) != RC_OK)
		log_error("job=%s conformance: cannot record the outcome: %s",
		    id, err.msg);
	else
		log_info("job=%s conformance state=%s verdict=%s%s%s", id,
		    errmsg[0] ? "error" : "done", verdict ? verdict : "-",
		    errmsg[0] ? " error=" : "", errmsg);
	free(text); /* json_dumps */
	json_decref(sealed);
	json_decref(rj);
	report_free(rep);
	dossier_free(d);
	conf_registration_cleanup(&reg);
}

int
conf_job_run_one(struct daemon *dm)
{
	char id[STORE_ID_LEN + 1], *regtext = NULL, *dossier = NULL;
	struct rc_err err = { 0 };
	int got = 0;

	if (store_conf_claim(dm->store, id, &regtext, &dossier, &got, &err) !=
	    RC_OK) {
		log_error("job store: %s", err.msg);
		return 0;
	}
	if (!got)
		return 0;
	pthread_mutex_lock(&dm->mu);
	dm->worker_busy = 1;
	pthread_mutex_unlock(&dm->mu);
	run(dm, id, regtext, dossier);
	pthread_mutex_lock(&dm->mu);
	dm->worker_busy = 0;
	pthread_mutex_unlock(&dm->mu);
	rc_free(regtext);
	rc_free(dossier);
	return 1;
}

const char *
conf_job_judge(struct daemon *dm, struct ledger *lg, const char *id,
    const struct dossier *d, char hash[65], char *buf, size_t n)
{
	struct rc_err err = { 0 };
	json_t *c = NULL;
	const char *why;

	hash[0] = '\0';
	if (store_conf_get(dm->store, id, &c, &err) != RC_OK) {
		snprintf(buf, n, "the job store failed: %.200s", err.msg);
		return buf;
	}
	if (c == NULL || !json_is_object(json_object_get(c, "sealed_report"))) {
		snprintf(buf, n,
		    "no conformance report was made for this job (POST "
		    "/v1/dossiers/{id}/conformance/registration, then "
		    "/conformance%s)",
		    c != NULL ? "; the last run has no sealed report yet" : "");
		json_decref(c);
		return buf;
	}
	why = conf_seal_judge(lg, dm->signer,
	    json_object_get(c, "sealed_report"), d, time(NULL),
	    dm->pl.cfg->conformance_max_age_days, hash, buf, n);
	json_decref(c);
	return why;
}
