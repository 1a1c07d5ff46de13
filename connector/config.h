/* SPDX-License-Identifier: MIT */
/*
 * The configuration file (shared/DESIGN.md section 3, "Config";
 * docs/config.md).
 *
 * JSON, loaded with JSON_REJECT_DUPLICATES and read through one directive
 * table (JSON path, type, bounds, default, reloadable flag, one line of
 * documentation) in the spirit of Redis's static_configs[].  Every key is
 * optional and the defaults are the real production services.  Unknown
 * keys are errors; every error names the JSON path
 * ("network.timeout_ms: must be between 100 and 120000 (got 5)").  A
 * member named "//" (a string or an array of strings) is a comment, at
 * any level, and is ignored.
 *
 * Secrets never appear in the config: only names of environment
 * variables and paths of files, which are not opened at load.  The
 * loaded struct cfg is read-only; the directives marked reloadable may
 * change on SIGHUP (see cfg_reload_check).
 */
#ifndef RC_CONNECTOR_CONFIG_H
#define RC_CONNECTOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "common/digest.h"
#include "common/err.h"
#include "connector/intake/intake.h"
#include "verifier/dossier.h"
#include "verifier/verifier.h"

#define CFG_MAX_BYTES (256 * 1024)

/* The national APIs of dossier integrations, in table order. */
enum cfg_api {
	CFG_API_PARTICULIER,       /* "api_particulier" */
	CFG_API_ENTREPRISE,        /* "api_entreprise" */
	CFG_API_IMPOT_PARTICULIER, /* "api_impot_particulier" */
	CFG_API_R2P,               /* "api_r2p" */
	CFG_API_FICOBA,            /* "api_ficoba" */
	CFG_API__MAX
};

enum cfg_role {
	CFG_ROLE_INSTRUCTOR, /* submits dossiers, awards, reads the ledger */
	CFG_ROLE_PAYMENT,    /* reads the ledger */
	CFG_ROLE_ADMIN,      /* everything */
	CFG_ROLE_SELFCHECK,  /* only runs checks and reads its own jobs */
	CFG_ROLE__MAX
};

#define CFG_TOKEN_NAME_MAX 64

/*
 * A daemon bearer token, stored only as the SHA-256 of its value.  name
 * is what logs and the job store record about who asked (never the
 * token); "daemon.tokens[i]" when the file gives none.
 */
struct cfg_token {
	enum cfg_role role;
	char name[CFG_TOKEN_NAME_MAX + 1];
	unsigned char sha256[RC_SHA256_LEN];
};

/* A NULL-terminated list of strings (v is never NULL once loaded). */
struct cfg_list {
	char **v;
	size_t n;
};

struct cfg {
	/* OIDC discovery URL, [0] FranceConnect, [1] FranceConnect+. */
	char *fc_discovery[2][DOSSIER_ENV__MAX];
	/* base_url per API and environment; NULL when unknown/unset. */
	char *api_base[CFG_API__MAX][DOSSIER_ENV__MAX];

	char *datapass_base_url;
	char *datapass_client_id_env;     /* variable holding the client id */
	char *datapass_client_secret_env; /* variable holding the secret */

	char *intake_dp_secret_env;  /* DataPass webhook secret: variable */
	char *intake_dp_secret_file; /* ... or file (mode 0600) */
	long long intake_dp_max_age; /* oldest event accepted, s */

	char *intake_ds_url;          /* GraphQL endpoint */
	char *intake_ds_token_env;    /* variable holding the Bearer token */
	long long intake_ds_demarche; /* 0: off */
	char *intake_ds_instructeur;  /* instructeurId of the mutations */
	char *intake_ds_annotation;   /* annotation champ of the verdict */
	char *intake_ds_map[INTAKE_DS_FIELD__MAX]; /* champ per field */
	long long intake_ds_poll_interval; /* daemon's DS poller, s; 0 off */
	int intake_ds_auto_instruction; /* pass checked dossiers en instruction
	                                 */
	long long intake_ds_cred_per_addr;   /* DS credentials/address/hour */
	long long intake_ds_cred_per_number; /* DS credentials/number/hour */

	char *secrets_dir;                 /* secrets filed per dossier */
	struct cfg_list secrets_env_allow; /* variables dossiers may name */

	char *ca_file;                 /* extra trust anchors, or NULL */
	struct cfg_list allow_private; /* CIDRs */
	struct cfg_list resolve;       /* "host:port:addr[,addr...]" */
	long long timeout_ms;
	long long connect_timeout_ms;
	long long max_body_bytes;
	long long max_redirects;
	long long dossier_timeout_ms; /* budget of one dossier, in flight */
	long long per_host_concurrency;
	long long global_concurrency;

	long long login_fetches;
	int active_probes;
	long long cert_warn_days;

	long long amount_cents;
	long long envelope_cents; /* 0: no envelope */
	int require_habilitation; /* awards need a passing DataPass check */
	int require_conformance;  /* FC awards need a passed conformance */
	int require_api_token;    /* API awards need a live credential */
	char *window_start;       /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	char *window_end;         /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	time_t window_start_t;    /* 00:00:00Z of window_start, or 0 */
	time_t window_end_t;      /* 23:59:59Z of window_end, or 0 */
	/* policy.conformance_max_age_days: a sealed report's freshness */
	long long conformance_max_age_days;

	char *ledger_dir;
	char *ledger_key_file; /* NULL: must be given on the command line */
	char *ledger_origin;   /* NULL: must be set before `ledger init` */

	char *daemon_listen; /* "host:port", "[v6]:port" */
	char *tls_cert;      /* both or neither */
	char *tls_key;
	struct cfg_token *tokens;
	size_t ntokens;
	char *daemon_store;            /* SQLite job store */
	long long daemon_queue_max;    /* queued jobs before 503 */
	long long daemon_max_conns;    /* open HTTP connections */
	long long daemon_conn_timeout; /* idle connection timeout, s */
	long long daemon_stop_timeout; /* SIGTERM: wait for the job, s */
	long long daemon_rate_token;   /* submissions per token per minute */
	long long daemon_rate_siren;   /* submissions per SIREN per hour */
	char *daemon_metrics_listen;   /* internal /metrics, or NULL */
	char *daemon_public_url;       /* base of the permalinks, or NULL */
	long long daemon_recheck_interval; /* re-check awarded jobs, s */
	long long daemon_recheck_per_host; /* re-checks in flight per host */
	long long daemon_fc_disc_max_age; /* FC discovery kept across runs, s */
	long long daemon_batch_gather_ms; /* idle worker waits for more, ms */
	int daemon_log_checks; /* the verifier's -v lines in the daemon log */
	/* The public self-check page (docs/selfcheck.md). */
	int selfcheck_enabled;
	char *selfcheck_operator;        /* named on the page, or NULL */
	char *selfcheck_static_dir;      /* the DSFR's dist directory */
	long long selfcheck_queue_share; /* % of queue_max, self-checks */
	long long selfcheck_rate_ip;     /* submissions per address per hour */
	long long selfcheck_rate_host;   /* per login host per hour */
	long long selfcheck_cooldown;    /* s before a login URL is re-run */
	long long selfcheck_ttl;         /* s a result is kept */
	struct cfg_list selfcheck_allow_private; /* CIDRs the page may probe */

	/* Derived at load: the configured API bases, for verifier_opts. */
	struct verifier_api_base api_bases[CFG_API__MAX * DOSSIER_ENV__MAX];
	size_t napi_bases;

	/* conformance.*: the daemon's conformance job (docs/conformance.md) */
	char *conf_listen;     /* "host:port", or NULL: no conformance job */
	char *conf_public_url; /* the test provider's issuer */
	char *conf_tls_cert;
	char *conf_tls_key;
};

/*
 * Load the configuration: the defaults, then file when not NULL.  On
 * success *out is a new config for cfg_free.  RC_ECONFIG with the JSON
 * path in err for anything the file gets wrong (RC_EPARSE for malformed
 * JSON or duplicate keys, RC_ESYS when it cannot be read), RC_ENOMEM.
 */
enum rc_code cfg_load(const char *file, struct cfg **out, struct rc_err *err);

/*
 * The same, recording every error of the file in errs (the first
 * RC_ERRS_KEEP, the rest counted), each naming the file and the JSON
 * path: cfg_load says the first and how many more.
 */
enum rc_code cfg_load_all(const char *file, struct cfg **out,
    struct rc_errs *errs);

/* Same, from a document in memory; what names it in messages. */
enum rc_code cfg_load_mem(const char *data, size_t len, const char *what,
    struct cfg **out, struct rc_err *err);

void cfg_free(struct cfg *cfg);

#define CFG_DUMP_COMMENTS 0x1 /* add "//" members from the table */

/*
 * Print the effective configuration as pretty JSON, with the file's key
 * layout; unset values are null.  The output is itself a valid config.
 * No secret can appear (the config holds none).  RC_ENOMEM, RC_ESYS.
 */
enum rc_code cfg_dump(const struct cfg *cfg, FILE *f);
enum rc_code cfg_dump_flags(const struct cfg *cfg, FILE *f, int flags);

/*
 * Fill opts from cfg.  Pointers are borrowed from cfg (and, for the
 * DataPass client id, from the environment: getenv of
 * datapass.client_id_env).  datapass_client_secret is left NULL: the
 * caller reads it from datapass.client_secret_env itself and wipes it.
 */
void cfg_verifier_opts(const struct cfg *cfg, struct verifier_opts *opts);

/*
 * For a SIGHUP reload: RC_ECONFIG naming the first directive that is not
 * reloadable and differs between old and fresh ("ledger.dir: cannot
 * change on reload; restart"), RC_OK when fresh may replace old.
 */
enum rc_code cfg_reload_check(const struct cfg *old, const struct cfg *fresh,
    struct rc_err *err);

/*
 * The daemon token whose SHA-256 equals digest (compared in constant
 * time over every entry), borrowed from cfg, or NULL.
 */
const struct cfg_token *cfg_token_find(const struct cfg *cfg,
    const unsigned char digest[RC_SHA256_LEN]);

const char *cfg_api_str(enum cfg_api a);
const char *cfg_role_str(enum cfg_role r);

#endif /* RC_CONNECTOR_CONFIG_H */
