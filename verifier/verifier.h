/* SPDX-License-Identifier: MIT */
/*
 * The verifier: probe every claimed integration of one or many dossiers,
 * all on one probe event loop, and produce one report per dossier.
 *
 * Nothing here knows about the ledger, the daemon or the CLI: the
 * connector fills struct verifier_opts from its configuration.
 */
#ifndef RC_VERIFIER_VERIFIER_H
#define RC_VERIFIER_VERIFIER_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"
#include "verifier/dossier.h"
#include "verifier/probe.h"
#include "verifier/report.h"

struct verifier_api_base {
	const char *api;      /* "api_particulier", ... */
	enum dossier_env env; /* production or integration */
	const char *base_url; /* "https://particulier.api.gouv.fr" */
};

struct verifier_opts {
	struct probe_opts probe;
	/*
	 * Deadline of one dossier: its requests' time in flight, ms
	 * (probe_group_new); past it, what is left ends as a timeout and
	 * its checks as errors.  0: 4 x probe.timeout_ms.
	 */
	long dossier_timeout_ms;
	/* OIDC discovery URL of FranceConnect [plus][env] (plus = FC+). */
	const char *fc_discovery[2][DOSSIER_ENV__MAX];
	/* National API hosts. */
	const struct verifier_api_base *api_bases;
	size_t napi_bases;
	/* DataPass v1: checks skipped when base_url or credentials unset. */
	const char *datapass_base_url;
	const char *datapass_client_id;     /* secret-free identifier */
	const char *datapass_client_secret; /* secret: never logged */
	/* Where a dossier's secrets may come from (verifier/secret.h):
	 * <secrets_dir>/<SIRET>/<dossier_id>/<name>; NULL: no file. */
	const char *secrets_dir;
	const char *const *secrets_env_allow; /* NULL-terminated, or NULL */
	int login_fetches;   /* fetches of the login URL, >= 3 */
	int active_probes;   /* forged-callback probes (advisory); 1 */
	long cert_warn_days; /* warn when a certificate expires sooner */
	time_t window_start; /* policy window for habilitations, 0: none */
	time_t window_end;
	time_t now; /* "now" for expiry judgements; 0: time(NULL) */
};

/* Fill opts with the built-in defaults (real production endpoints). */
void verifier_opts_defaults(struct verifier_opts *opts);

/*
 * Check n dossiers concurrently on one engine.  reports[i] receives a new
 * report for dossiers[i] (report_free).  Findings about sites are in the
 * reports; an error return means raccord itself could not work (RC_ENOMEM,
 * RC_ECONFIG for bad options), and then no report is returned.
 */
enum rc_code verifier_run(const struct verifier_opts *opts,
    const struct dossier *const *dossiers, size_t n, struct report **reports,
    struct rc_err *err);

/*
 * verifier_run on an engine the caller keeps from run to run (the
 * daemon's worker): its trust store, TLS session cache, connections and
 * DNS cache serve every run, while the checks' own state stays per run
 * (cookie jars per flow, credentials per dossier; the FranceConnect
 * discovery documents are fetched once per run, or kept across runs by
 * verifier_run_cached).  The engine's options (probe_new) are the
 * ones in force; opts->probe is not read.  The engine is recycled
 * (probe_recycle) before and after the run.  RC_EINVAL when it still had
 * work from a failed run (free it then); other errors as verifier_run,
 * after which the caller should not reuse the engine.
 */
enum rc_code verifier_run_on(struct probe *probe,
    const struct verifier_opts *opts, const struct dossier *const *dossiers,
    size_t n, struct report **reports, struct rc_err *err);

/*
 * What a caller that runs the verifier again and again (the daemon's
 * worker) keeps from run to run beside its engine: the FranceConnect
 * discovery documents fetched successfully, each reused for at most
 * max_age_s seconds after its fetch (0: none is kept).  A report that
 * relies on a kept document cites that fetch (its exchange, with the
 * time it was made).  A kept document is never what fails a dossier: when
 * a captured authorization request does not target the kept document's
 * authorization endpoint, the document is fetched again and the request
 * judged against the fresh one (FranceConnect's metadata may have
 * changed).  Not thread-safe: one cache per engine.
 */
struct verifier_cache;

struct verifier_cache *verifier_cache_new(long max_age_s);
void verifier_cache_free(struct verifier_cache *cache);

/* verifier_run_on with a cache kept across runs (NULL: none). */
enum rc_code verifier_run_cached(struct probe *probe,
    struct verifier_cache *cache, const struct verifier_opts *opts,
    const struct dossier *const *dossiers, size_t n, struct report **reports,
    struct rc_err *err);

#endif /* RC_VERIFIER_VERIFIER_H */
