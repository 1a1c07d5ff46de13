/* SPDX-License-Identifier: MIT */
/*
 * The configuration file: one directive table drives loading, defaults,
 * validation, `raccord config dump` (with or without "//" comments) and
 * the SIGHUP reload rule (see config.h and docs/config.md).
 *
 * Loading walks the JSON tree: a member whose path is a directive is
 * read with that directive's type and bounds; a member whose path is a
 * prefix of directives must be an object and is walked; "//" members are
 * comments; anything else is an unknown key, named by its path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/json.h"
#include "common/mem.h"
#include "common/url.h"
#include "connector/config.h"

#define WHERE       256
#define MAX_LIST    64 /* entries of allow_private, resolve, tokens */
#define MAX_PATHLEN 4096

enum cfg_type {
	CFG_URL,     /* absolute https URL, or null */
	CFG_PATH,    /* file or directory path, or null */
	CFG_ENV,     /* environment variable name, or null */
	CFG_LISTEN,  /* host:port */
	CFG_ORIGIN,  /* C2SP log origin, or null */
	CFG_DATE,    /* YYYY-MM-DD, or null */
	CFG_INT,     /* integer within [lo, hi] */
	CFG_BOOL,    /* true or false */
	CFG_CIDRS,   /* array of CIDR strings */
	CFG_RESOLVE, /* array of host:port:addr strings */
	CFG_TOKENS,  /* array of {role, sha256} */
	CFG_ENVS,    /* array of environment variable names */
	CFG_TEXT, /* free text, 1..256 bytes, no control character, or null */
	CFG_TYPE__MAX
};

struct cfg_directive {
	const char *path; /* JSON path in the file */
	enum cfg_type type;
	size_t off;       /* of the field in struct cfg */
	long long lo, hi; /* CFG_INT bounds */
	const char *def;  /* default as text; NULL: unset or empty */
	int reloadable;   /* may change on SIGHUP */
	const char *doc;  /* one line for the "//" comments */
};

#define FC_DISCOVERY "/api/v2/.well-known/openid-configuration"
#define PROD         DOSSIER_ENV_PRODUCTION
#define INTEG        DOSSIER_ENV_INTEGRATION

/* clang-format off */
#define D(n, t, f, lo, hi, d, r, doc) \
	{ (n), (t), offsetof(struct cfg, f), (lo), (hi), (d), (r), (doc) }

static const struct cfg_directive directives[] = {
	D("franceconnect.production.discovery_url", CFG_URL, fc_discovery[0][PROD], 0, 0,
	  "https://oidc.franceconnect.gouv.fr" FC_DISCOVERY, 1,
	  "FranceConnect v2 (eidas1) OIDC discovery, production"),
	D("franceconnect.integration.discovery_url", CFG_URL, fc_discovery[0][INTEG], 0, 0,
	  "https://fcp-low.sbx.dev-franceconnect.fr" FC_DISCOVERY, 1,
	  "FranceConnect v2 sandbox (partner-portal client ids)"),
	D("franceconnect_plus.production.discovery_url", CFG_URL, fc_discovery[1][PROD], 0, 0,
	  "https://auth.franceconnect.gouv.fr" FC_DISCOVERY, 1,
	  "FranceConnect+ (eidas2/eidas3) OIDC discovery, production"),
	D("franceconnect_plus.integration.discovery_url", CFG_URL, fc_discovery[1][INTEG], 0, 0,
	  "https://auth.integ01.dev-franceconnect.fr" FC_DISCOVERY, 1,
	  "FranceConnect+ sandbox"),
	D("apis.api_particulier.production.base_url", CFG_URL, api_base[CFG_API_PARTICULIER][PROD], 0, 0,
	  "https://particulier.api.gouv.fr", 1, "API Particulier, production"),
	D("apis.api_particulier.integration.base_url", CFG_URL, api_base[CFG_API_PARTICULIER][INTEG], 0, 0,
	  "https://staging.particulier.api.gouv.fr", 1, "API Particulier, staging"),
	D("apis.api_entreprise.production.base_url", CFG_URL, api_base[CFG_API_ENTREPRISE][PROD], 0, 0,
	  "https://entreprise.api.gouv.fr", 1, "API Entreprise, production"),
	D("apis.api_entreprise.integration.base_url", CFG_URL, api_base[CFG_API_ENTREPRISE][INTEG], 0, 0,
	  "https://staging.entreprise.api.gouv.fr", 1, "API Entreprise, staging"),
	D("apis.api_impot_particulier.production.base_url", CFG_URL, api_base[CFG_API_IMPOT_PARTICULIER][PROD], 0, 0,
	  NULL, 1, "DGFiP gateway base with /impotparticulier/1.0, from your convention"),
	D("apis.api_impot_particulier.integration.base_url", CFG_URL, api_base[CFG_API_IMPOT_PARTICULIER][INTEG], 0, 0,
	  NULL, 1, "DGFiP sandbox gateway base with /impotparticulier/1.0"),
	D("apis.api_r2p.production.base_url", CFG_URL, api_base[CFG_API_R2P][PROD], 0, 0,
	  NULL, 1, "DGFiP gateway base with /r2p/v1, from your convention"),
	D("apis.api_r2p.integration.base_url", CFG_URL, api_base[CFG_API_R2P][INTEG], 0, 0,
	  NULL, 1, "DGFiP sandbox gateway base with /r2p/v1"),
	D("apis.api_ficoba.production.base_url", CFG_URL, api_base[CFG_API_FICOBA][PROD], 0, 0,
	  NULL, 1, "DGFiP gateway base with /fcb-masrestit/api/v2, from your convention"),
	D("apis.api_ficoba.integration.base_url", CFG_URL, api_base[CFG_API_FICOBA][INTEG], 0, 0,
	  NULL, 1, "DGFiP sandbox gateway base with /fcb-masrestit/api/v2"),
	D("datapass.base_url", CFG_URL, datapass_base_url, 0, 0,
	  "https://datapass.api.gouv.fr/api/v1", 1, "DataPass API v1"),
	D("datapass.client_id_env", CFG_ENV, datapass_client_id_env, 0, 0,
	  "RACCORD_DATAPASS_CLIENT_ID", 1,
	  "variable holding the DataPass OAuth client id; null or unset variable: DataPass checks skipped"),
	D("datapass.client_secret_env", CFG_ENV, datapass_client_secret_env, 0, 0,
	  "RACCORD_DATAPASS_CLIENT_SECRET", 1,
	  "variable holding the DataPass OAuth client secret"),
	D("intake.datapass.secret_env", CFG_ENV, intake_dp_secret_env, 0, 0, NULL, 0,
	  "variable holding the DataPass webhook secret (POST /v1/hooks/datapass); null: see secret_file"),
	D("intake.datapass.secret_file", CFG_PATH, intake_dp_secret_file, 0, 0, NULL, 0,
	  "file (mode 0600) holding the DataPass webhook secret; both null: the webhook route answers 404"),
	D("intake.datapass.max_age_s", CFG_INT, intake_dp_max_age, 10, 86400, "300", 0,
	  "webhook events fired longer ago than this are refused, seconds"),
	D("intake.ds.graphql_url", CFG_URL, intake_ds_url, 0, 0,
	  "https://www.demarches-simplifiees.fr/api/v2/graphql", 0,
	  "demarches-simplifiees GraphQL API v2 endpoint"),
	D("intake.ds.token_env", CFG_ENV, intake_ds_token_env, 0, 0, "RACCORD_DS_TOKEN", 0,
	  "variable holding the DS API token (Bearer)"),
	D("intake.ds.demarche", CFG_INT, intake_ds_demarche, 0, 2147483647, "0", 0,
	  "number of the DS procedure to read; 0: DS intake off"),
	D("intake.ds.instructeur_id", CFG_TEXT, intake_ds_instructeur, 0, 0, NULL, 0,
	  "DS id of the instructeur in whose name annotations are written"),
	D("intake.ds.annotation", CFG_TEXT, intake_ds_annotation, 0, 0, NULL, 0,
	  "private annotation (text) receiving the verdict: its champDescriptorId or label"),
	D("intake.ds.mapping.client_id", CFG_TEXT, intake_ds_map[INTAKE_DS_CLIENT_ID], 0, 0, NULL, 0,
	  "DS champ holding the client_id: champDescriptorId or label"),
	D("intake.ds.mapping.login_url", CFG_TEXT, intake_ds_map[INTAKE_DS_LOGIN_URL], 0, 0, NULL, 0,
	  "DS champ holding the login URL: champDescriptorId or label"),
	D("intake.ds.mapping.redirect_uri", CFG_TEXT, intake_ds_map[INTAKE_DS_REDIRECT_URI], 0, 0, NULL, 0,
	  "DS champ holding the redirect_uri: champDescriptorId or label"),
	D("intake.ds.mapping.post_logout_redirect_uri", CFG_TEXT, intake_ds_map[INTAKE_DS_POST_LOGOUT_REDIRECT_URI], 0, 0, NULL, 0,
	  "DS champ holding the post_logout_redirect_uri (optional): champDescriptorId or label"),
	D("intake.ds.mapping.button_page_url", CFG_TEXT, intake_ds_map[INTAKE_DS_BUTTON_PAGE_URL], 0, 0, NULL, 0,
	  "DS champ holding the page showing the button (optional): champDescriptorId or label"),
	D("intake.ds.mapping.kind", CFG_TEXT, intake_ds_map[INTAKE_DS_KIND], 0, 0, NULL, 0,
	  "DS champ holding FranceConnect or FranceConnect+ (optional: FranceConnect): champDescriptorId or label"),
	D("intake.ds.mapping.environment", CFG_TEXT, intake_ds_map[INTAKE_DS_ENVIRONMENT], 0, 0, NULL, 0,
	  "DS champ holding production or integration (optional: production): champDescriptorId or label"),
	D("intake.ds.mapping.categorie", CFG_TEXT, intake_ds_map[INTAKE_DS_CATEGORIE], 0, 0, NULL, 0,
	  "DS champ holding the collectivite's categorie (optional: commune): champDescriptorId or label"),
	D("intake.ds.mapping.iban", CFG_TEXT, intake_ds_map[INTAKE_DS_IBAN], 0, 0, NULL, 0,
	  "DS champ holding the IBAN (optional: no paiement): champDescriptorId or label"),
	D("intake.ds.mapping.bic", CFG_TEXT, intake_ds_map[INTAKE_DS_BIC], 0, 0, NULL, 0,
	  "DS champ holding the BIC: champDescriptorId or label"),
	D("intake.ds.mapping.titulaire", CFG_TEXT, intake_ds_map[INTAKE_DS_TITULAIRE], 0, 0, NULL, 0,
	  "DS champ holding the account holder (optional: the raison sociale): champDescriptorId or label"),
	D("intake.ds.poll_interval_s", CFG_INT, intake_ds_poll_interval, 0, 86400, "0", 0,
	  "raccord serve polls the DS procedure every this many seconds (dossiers changed since the last poll queued as jobs, verdicts written back); 0: no polling"),
	D("intake.ds.auto_instruction", CFG_BOOL, intake_ds_auto_instruction, 0, 0, "false", 0,
	  "after a check, pass a DS dossier en construction into instruction (never accepts or refuses it)"),
	D("intake.ds.credential_per_address_hour", CFG_INT, intake_ds_cred_per_addr, 1, 1000000, "20", 0,
	  "API credentials given for DS dossiers (POST /v1/intake/ds/{number}/credential, the #jeton-ds form) per client address (IPv6: per /64) per hour, then 429"),
	D("intake.ds.credential_per_number_hour", CFG_INT, intake_ds_cred_per_number, 1, 1000000, "6", 0,
	  "API credentials a DS dossier would take per hour (requests refused before do not count), then 429"),
	D("secrets.dir", CFG_PATH, secrets_dir, 0, 0, NULL, 1,
	  "directory of the secrets filed per dossier: a dossier's token_file/client_secret_file X is read only at <dir>/<SIRET>/<dossier_id>/X; null: dossiers cannot name files"),
	D("secrets.env_allow", CFG_ENVS, secrets_env_allow, 0, 0, NULL, 1,
	  "environment variables a dossier may name in token_env/client_secret_env; any other is refused"),
	D("network.ca_file", CFG_PATH, ca_file, 0, 0, NULL, 1,
	  "PEM file of extra trust anchors (added to the system store)"),
	D("network.allow_private", CFG_CIDRS, allow_private, 0, 0, NULL, 1,
	  "CIDRs of private addresses probes may reach (tests, demo)"),
	D("network.resolve", CFG_RESOLVE, resolve, 0, 0, NULL, 1,
	  "host:port:addr[,addr] overrides of DNS, as curl --resolve"),
	D("network.timeout_ms", CFG_INT, timeout_ms, 100, 120000, "15000", 1,
	  "time limit of one request, ms"),
	D("network.connect_timeout_ms", CFG_INT, connect_timeout_ms, 100, 60000, "5000", 1,
	  "time limit of one connection, ms (at most timeout_ms)"),
	D("network.max_body_bytes", CFG_INT, max_body_bytes, 1024, 67108864, "2097152", 1,
	  "largest response body read"),
	D("network.max_redirects", CFG_INT, max_redirects, 0, 20, "10", 1,
	  "redirect hops a check may follow (0: none)"),
	D("network.dossier_timeout_ms", CFG_INT, dossier_timeout_ms, 1000, 3600000, "60000", 1,
	  "time budget of one dossier's requests in flight, ms (at least timeout_ms)"),
	D("network.per_host_concurrency", CFG_INT, per_host_concurrency, 1, 64, "4", 1,
	  "requests in flight per host"),
	D("network.global_concurrency", CFG_INT, global_concurrency, 1, 1024, "64", 1,
	  "requests in flight in all"),
	D("checks.login_fetches", CFG_INT, login_fetches, 3, 20, "3", 1,
	  "fetches of a login URL to judge state/nonce randomness"),
	D("checks.active_probes", CFG_BOOL, active_probes, 0, 0, "true", 1,
	  "send forged callbacks (advisory checks)"),
	D("checks.cert_warn_days", CFG_INT, cert_warn_days, 0, 365, "30", 1,
	  "warn when a certificate expires within this many days"),
	D("policy.amount_cents", CFG_INT, amount_cents, 1, 100000000, "500000", 0,
	  "forfait per verified kind, euro cents"),
	D("policy.envelope_cents", CFG_INT, envelope_cents, 0, 10000000000000LL, "0", 0,
	  "total budget, euro cents; 0: no envelope"),
	D("policy.require_habilitation", CFG_BOOL, require_habilitation, 0, 0, "true", 0,
	  "award only when a DataPass habilitation proves the integration is the collectivite's"),
	D("policy.require_conformance", CFG_BOOL, require_conformance, 0, 0, "false", 0,
	  "award FranceConnect only with a passed conformance report (verify --conformance)"),
	D("policy.require_api_token", CFG_BOOL, require_api_token, 0, 0, "true", 0,
	  "award the API forfait only when a live production credential was shown (api.token.live passed)"),
	D("policy.conformance_max_age_days", CFG_INT, conformance_max_age_days, 1, 3650, "30", 0,
	  "refuse a conformance report whose run ended more than this many days ago"),
	D("policy.window_start", CFG_DATE, window_start, 0, 0, NULL, 0,
	  "first day (UTC) habilitations and awards count, YYYY-MM-DD"),
	D("policy.window_end", CFG_DATE, window_end, 0, 0, NULL, 0,
	  "last day (UTC, inclusive), YYYY-MM-DD"),
	D("ledger.dir", CFG_PATH, ledger_dir, 0, 0, "/var/lib/raccord/ledger", 0,
	  "ledger directory"),
	D("ledger.key_file", CFG_PATH, ledger_key_file, 0, 0, NULL, 0,
	  "Ed25519 private key (PEM, mode 0600) that signs checkpoints"),
	D("ledger.origin", CFG_ORIGIN, ledger_origin, 0, 0, NULL, 0,
	  "log origin and key name, e.g. example.gouv.fr/subventions/v1"),
	D("daemon.listen", CFG_LISTEN, daemon_listen, 0, 0, "127.0.0.1:8750", 0,
	  "address and port of the HTTP API"),
	D("daemon.tls_cert", CFG_PATH, tls_cert, 0, 0, NULL, 0,
	  "PEM certificate chain; with tls_key, serve HTTPS"),
	D("daemon.tls_key", CFG_PATH, tls_key, 0, 0, NULL, 0,
	  "PEM private key (mode 0600)"),
	D("daemon.tokens", CFG_TOKENS, tokens, 0, 0, NULL, 1,
	  "bearer tokens as [{\"name\": who, \"role\": instructor|payment|selfcheck|admin, \"sha256\": hex of SHA-256(token)}]"),
	D("daemon.store", CFG_PATH, daemon_store, 0, 0, "/var/lib/raccord/jobs.sqlite", 0,
	  "SQLite file of the daemon's durable job queue (WAL)"),
	D("daemon.queue_max", CFG_INT, daemon_queue_max, 1, 1000000, "1000", 0,
	  "queued jobs before POST /v1/dossiers answers 503"),
	D("daemon.max_connections", CFG_INT, daemon_max_conns, 1, 65536, "256", 0,
	  "open HTTP connections; more are refused"),
	D("daemon.connection_timeout_s", CFG_INT, daemon_conn_timeout, 1, 3600, "30", 0,
	  "idle or slow HTTP connection closed after, seconds"),
	D("daemon.shutdown_timeout_s", CFG_INT, daemon_stop_timeout, 1, 3600, "60", 0,
	  "SIGTERM: wait this long for the running job, seconds"),
	D("daemon.rate_per_token_min", CFG_INT, daemon_rate_token, 0, 1000000, "60", 0,
	  "POST /v1/dossiers per token name per minute, then 429; 0: no limit"),
	D("daemon.rate_per_siren_hour", CFG_INT, daemon_rate_siren, 0, 1000000, "20", 0,
	  "POST /v1/dossiers per SIREN per hour, then 429; 0: no limit"),
	D("daemon.metrics_listen", CFG_LISTEN, daemon_metrics_listen, 0, 0, NULL, 0,
	  "address and port of a second, internal listener serving only GET /metrics, without a token; null: /metrics on daemon.listen (token needed)"),
	D("daemon.public_url", CFG_URL, daemon_public_url, 0, 0, NULL, 0,
	  "the daemon's public base URL, for the report permalinks written into DS annotations (<url>/v1/dossiers/<job>); null: no permalink"),
	D("daemon.recheck_interval_s", CFG_INT, daemon_recheck_interval, 1, 315360000, "2592000", 0,
	  "re-check every awarded dossier this often, seconds (jittered by up to a tenth either way)"),
	D("daemon.recheck_per_host", CFG_INT, daemon_recheck_per_host, 1, 1000, "2", 0,
	  "re-checks queued or running at once against one host"),
	D("daemon.fc_discovery_max_age_s", CFG_INT, daemon_fc_disc_max_age, 0, 3600, "300", 0,
	  "the worker reuses a FranceConnect discovery document for at most this long after fetching it, seconds (0: fetched again by every verifier run); a request that does not target a reused document's endpoint has it fetched again first"),
	D("daemon.batch_gather_ms", CFG_INT, daemon_batch_gather_ms, 0, 10000, "250", 0,
	  "when the worker is idle and a dossier arrives, it waits this long for more to check them in one verifier run (as raccord check --batch: connections and TLS handshakes shared), milliseconds; 0: every arrival is claimed at once"),
	D("daemon.log_checks", CFG_BOOL, daemon_log_checks, 0, 0, "false", 0,
	  "also log the verifier's line per request and per check of every job (those of raccord check -v); false: one line per job, the details being in its report"),
	D("conformance.listen", CFG_LISTEN, conf_listen, 0, 0, NULL, 0,
	  "where the daemon's FranceConnect test provider listens during a conformance job (POST /v1/dossiers/{id}/conformance); null: no conformance job"),
	D("conformance.public_url", CFG_URL, conf_public_url, 0, 0, NULL, 0,
	  "that provider's issuer as the site reaches it, e.g. https://raccord.example:8443/api/v2"),
	D("conformance.tls_cert", CFG_PATH, conf_tls_cert, 0, 0, NULL, 0,
	  "PEM certificate chain the provider serves"),
	D("conformance.tls_key", CFG_PATH, conf_tls_key, 0, 0, NULL, 0,
	  "PEM private key of that certificate (mode 0600)"),
	D("daemon.selfcheck.enabled", CFG_BOOL, selfcheck_enabled, 0, 0, "false", 0,
	  "serve the public self-check page (GET /, docs/selfcheck.md), without a token"),
	D("daemon.selfcheck.operator", CFG_TEXT, selfcheck_operator, 0, 0, NULL, 0,
	  "who runs the service, named on the page (e.g. the ministry or agency)"),
	D("daemon.selfcheck.static_dir", CFG_PATH, selfcheck_static_dir, 0, 0, "web/node_modules/@gouvfr/dsfr/dist", 0,
	  "the DSFR's dist directory (npm ci --prefix web), served under /static/dsfr/"),
	D("daemon.selfcheck.queue_share", CFG_INT, selfcheck_queue_share, 1, 100, "50", 0,
	  "percent of daemon.queue_max that queued self-checks may fill, then 503"),
	D("daemon.selfcheck.rate_per_address_hour", CFG_INT, selfcheck_rate_ip, 0, 1000000, "20", 0,
	  "self-check submissions per client address per hour, then 429; 0: no limit"),
	D("daemon.selfcheck.rate_per_host_hour", CFG_INT, selfcheck_rate_host, 0, 1000000, "10", 0,
	  "self-checks per login URL host per hour, then 429; 0: no limit"),
	D("daemon.selfcheck.cooldown_s", CFG_INT, selfcheck_cooldown, 0, 86400, "300", 0,
	  "a login URL checked less than this long ago shows the cached result, seconds"),
	D("daemon.selfcheck.result_ttl_s", CFG_INT, selfcheck_ttl, 1, 2592000, "86400", 0,
	  "a self-check result is forgotten after, seconds"),
	D("daemon.selfcheck.allow_private", CFG_CIDRS, selfcheck_allow_private, 0, 0, NULL, 0,
	  "private ranges the public page's checks may reach, instead of network.allow_private (which is the operator's, not strangers'); null: none"),
};
#undef D
/* clang-format on */

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static const char *const api_names[CFG_API__MAX] = {
	[CFG_API_PARTICULIER] = "api_particulier",
	[CFG_API_ENTREPRISE] = "api_entreprise",
	[CFG_API_IMPOT_PARTICULIER] = "api_impot_particulier",
	[CFG_API_R2P] = "api_r2p",
	[CFG_API_FICOBA] = "api_ficoba",
};

static const char *const role_names[CFG_ROLE__MAX] = {
	[CFG_ROLE_INSTRUCTOR] = "instructor",
	[CFG_ROLE_PAYMENT] = "payment",
	[CFG_ROLE_ADMIN] = "admin",
	[CFG_ROLE_SELFCHECK] = "selfcheck",
};

const char *
cfg_api_str(enum cfg_api a)
{
	return (unsigned)a < CFG_API__MAX ? api_names[a] : "unknown";
}

const char *
cfg_role_str(enum cfg_role r)
{
	return (unsigned)r < CFG_ROLE__MAX ? role_names[r] : "unknown";
}

static enum rc_code
nomem(struct rc_err *err)
{
	return RC_ERR(err, RC_ENOMEM, "out of memory");
}

/* Field accessors: the table's offsets into struct cfg. */
static void *
field(struct cfg *c, const struct cfg_directive *d)
{
	return (char *)c + d->off;
}

static const void *
cfield(const struct cfg *c, const struct cfg_directive *d)
{
	return (const char *)c + d->off;
}

static void
list_free(struct cfg_list *l)
{
	size_t i;

	if (l->v != NULL)
		for (i = 0; i < l->n; i++)
			rc_free(l->v[i]);
	rc_free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
field_free(struct cfg *c, const struct cfg_directive *d)
{
	char **s;

	switch (d->type) {
	case CFG_CIDRS:
	case CFG_RESOLVE:
	case CFG_ENVS:
		list_free(field(c, d));
		break;
	case CFG_TOKENS:
		rc_free_secret(c->tokens, c->ntokens * sizeof(*c->tokens));
		c->tokens = NULL;
		c->ntokens = 0;
		break;
	case CFG_INT:
	case CFG_BOOL:
	case CFG_TYPE__MAX:
		break;
	default:
		s = field(c, d);
		rc_free(*s);
		*s = NULL;
	}
}

void
cfg_free(struct cfg *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NDIRECTIVES; i++)
		field_free(cfg, &directives[i]);
	rc_free(cfg);
}

/*
 * Strict decimal: digits only (no sign, no spaces), within [lo, hi].
 * strtoll with errno and end pointer, as STYLE.md asks.
 */
static bool
parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD", a real calendar day; *t is its 00:00:00 UTC. */
static bool
parse_date(const char *s, time_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	char part[5];
	long long y, m, d;
	bool leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	memcpy(part, s, 4);
	part[4] = '\0';
	if (!parse_num(part, 1970, 9999, &y))
		return false;
	memcpy(part, s + 5, 2);
	part[2] = '\0';
	if (!parse_num(part, 1, 12, &m))
		return false;
	memcpy(part, s + 8, 2);
	if (!parse_num(part, 1, 31, &d) || d > mdays[m - 1])
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return false;
	*t = (time_t)(days_from_civil(y, (int)m, (int)d) * 86400);
	return true;
}

/* An IPv4 or IPv6 address, IPv6 optionally in brackets. */
static bool
parse_addr(const char *s, size_t n, int *family, unsigned char *bytes)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
		if (n == 0 || n >= sizeof(buf))
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		*family = AF_INET6;
		return inet_pton(AF_INET6, buf, bytes) == 1;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, bytes) == 1) {
		*family = AF_INET;
		return true;
	}
	*family = AF_INET6;
	return inet_pton(AF_INET6, buf, bytes) == 1;
}

/* "addr/len" (or a bare address) with no host bits set. */
static enum rc_code
check_cidr(const char *where, const char *s, struct rc_err *err)
{
	unsigned char bytes[16];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s), i;
	long long plen, max;
	int family;

	if (s[0] == '[' || !parse_addr(s, alen, &family, bytes))
		return RC_ERR(err, RC_EINVAL,
		    "%s: \"%.64s\" is not an address or CIDR (e.g. "
		    "127.0.0.0/8, ::1/128)",
		    where, s);
	max = family == AF_INET ? 32 : 128;
	plen = max;
	if (slash != NULL && !parse_num(slash + 1, 0, max, &plen))
		return RC_ERR(err, RC_EINVAL,
		    "%s: \"%.64s\" has a prefix length outside 0-%lld", where,
		    s, max);
	for (i = 0; i < (size_t)max / 8; i++) {
		long long bit0 = (long long)i * 8;
		unsigned char mask;

		if (bit0 + 8 <= plen)
			continue;
		mask = bit0 >= plen ? 0xff
		                    : (unsigned char)(0xff >> (plen - bit0));
		if (bytes[i] & mask)
			return RC_ERR(err, RC_EINVAL,
			    "%s: \"%.64s\" has host bits set past the "
			    "/%lld prefix",
			    where, s, plen);
	}
	return RC_OK;
}

/* host:port:addr[,addr...] as CURLOPT_RESOLVE takes it. */
static enum rc_code
check_resolve(const char *where, const char *s, struct rc_err *err)
{
	const char *c1 = strchr(s, ':'), *c2, *a, *comma;
	unsigned char bytes[16];
	char port[8];
	long long p;
	int family;

	if (c1 == NULL || c1 == s || (c2 = strchr(c1 + 1, ':')) == NULL)
		goto bad;
	if ((size_t)(c2 - c1 - 1) >= sizeof(port))
		goto bad;
	memcpy(port, c1 + 1, (size_t)(c2 - c1 - 1));
	port[c2 - c1 - 1] = '\0';
	if (!parse_num(port, 1, 65535, &p))
		goto bad;
	for (a = c2 + 1;; a = comma + 1) {
		comma = strchr(a, ',');
		if (!parse_addr(a, comma ? (size_t)(comma - a) : strlen(a),
		        &family, bytes))
			goto bad;
		if (comma == NULL)
			break;
	}
	return RC_OK;
bad:
	return RC_ERR(err, RC_EINVAL,
	    "%s: \"%.64s\" is not host:port:address[,address] (e.g. "
	    "fc.test:443:127.0.0.1)",
	    where, s);
}

static enum rc_code
check_listen(const char *where, const char *s, struct rc_err *err)
{
	const char *colon;
	long long p;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (colon == NULL || colon[1] != ':')
			goto bad;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)))
			goto bad;
	}
	if (colon == s || strchr(s, ' ') != NULL ||
	    !parse_num(colon + 1, 1, 65535, &p))
		goto bad;
	return RC_OK;
bad:
	return RC_ERR(err, RC_EINVAL,
	    "%s: \"%.64s\" is not host:port (e.g. 127.0.0.1:8750, "
	    "[::1]:8750)",
	    where, s);
}

/* An environment variable name: letters, digits, _; no leading digit. */
static enum rc_code
check_env_name(const char *where, const char *s, struct rc_err *err)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		        *p == '_' || (p != s && *p >= '0' && *p <= '9')))
			return RC_ERR(err, RC_EINVAL,
			    "%s: not an environment variable name (letters, "
			    "digits, _; not starting with a digit)",
			    where);
	return strlen(s) > 128
	    ? RC_ERR(err, RC_EINVAL, "%s: longer than 128 bytes", where)
	    : RC_OK;
}

/* Validate a string value for its directive's type. */
static enum rc_code
check_string(const struct cfg_directive *d, const char *where, const char *s,
    struct rc_err *err)
{
	const char *p;
	time_t t;

	switch (d->type) {
	case CFG_URL:
		return rc_url_check(where, s, 1, err);
	case CFG_PATH:
		if (strlen(s) >= MAX_PATHLEN)
			return RC_ERR(err, RC_EINVAL,
			    "%s: longer than %d bytes", where, MAX_PATHLEN);
		return RC_OK;
	case CFG_ENV:
		return check_env_name(where, s, err);
	case CFG_LISTEN:
		return check_listen(where, s, err);
	case CFG_ORIGIN:
		for (p = s; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 ||
			    (unsigned char)*p >= 0x7f || *p == '+')
				return RC_ERR(err, RC_EINVAL,
				    "%s: a log origin is printable ASCII "
				    "without spaces or '+'",
				    where);
		return strlen(s) > 255
		    ? RC_ERR(err, RC_EINVAL, "%s: longer than 255 bytes", where)
		    : RC_OK;
	case CFG_TEXT:
		if (strlen(s) > 256 || rc_str_has_ctrl(s))
			return RC_ERR(err, RC_EINVAL,
			    "%s: at most 256 bytes, no control character",
			    where);
		return RC_OK;
	case CFG_DATE:
		if (!parse_date(s, &t))
			return RC_ERR(err, RC_EINVAL,
			    "%s: \"%.32s\" is not a date YYYY-MM-DD", where, s);
		return RC_OK;
	default:
		return RC_ERR(err, RC_EINVAL, "%s: not a string directive",
		    where);
	}
}

static enum rc_code
set_string(struct cfg *c, const struct cfg_directive *d, const char *s,
    struct rc_err *err)
{
	char **dst = field(c, d), *copy = NULL;

	if (s != NULL && (copy = rc_strdup(s)) == NULL)
		return nomem(err);
	rc_free(*dst);
	*dst = copy;
	return RC_OK;
}

/* A list of strings from a JSON array, each checked by fn. */
static enum rc_code
set_list(struct cfg *c, const struct cfg_directive *d, const char *where,
    json_t *arr, struct rc_err *err)
{
	struct cfg_list fresh = { NULL, 0 }, *dst = field(c, d);
	char at[WHERE];
	const char *s = NULL;
	enum rc_code rc = RC_OK;
	size_t i, n;

	if (json_is_null(arr)) {
		n = 0;
	} else if (!json_is_array(arr)) {
		return RC_ERR(err, RC_EINVAL, "%s: must be an array of strings",
		    where);
	} else if ((n = json_array_size(arr)) > MAX_LIST) {
		return RC_ERR(err, RC_EINVAL, "%s: at most %d entries", where,
		    MAX_LIST);
	}
	if ((fresh.v = rc_calloc(n + 1, sizeof(char *))) == NULL)
		return nomem(err);
	for (i = 0; i < n; i++) {
		rc_json_path_index(at, sizeof(at), where, i);
		if (!json_is_string(json_array_get(arr, i))) {
			rc = RC_ERR(err, RC_EINVAL, "%s: must be a string", at);
			goto out;
		}
		s = json_string_value(json_array_get(arr, i));
		if (strlen(s) != json_string_length(json_array_get(arr, i)) ||
		    rc_str_has_ctrl(s) || s[0] == '\0') {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s: must be a non-empty string without control "
			    "characters",
			    at);
			goto out;
		}
		rc = d->type == CFG_CIDRS ? check_cidr(at, s, err)
		    : d->type == CFG_ENVS ? check_env_name(at, s, err)
		                          : check_resolve(at, s, err);
		if (rc != RC_OK)
			goto out;
		if ((fresh.v[i] = rc_strdup(s)) == NULL) {
			rc = nomem(err);
			goto out;
		}
		fresh.n = i + 1;
	}
	list_free(dst);
	*dst = fresh;
	fresh.v = NULL; /* transferred */
	fresh.n = 0;
out:
	list_free(&fresh);
	return rc;
}

/* A "//" member: a string or an array of strings. */
static enum rc_code
check_comment(const char *where, json_t *v, struct rc_err *err)
{
	size_t i;

	if (json_is_string(v))
		return RC_OK;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				break;
		if (i == json_array_size(v))
			return RC_OK;
	}
	return RC_ERR(err, RC_EINVAL,
	    "%s: a comment must be a string or an array of strings", where);
}

static bool
is_secret_key(const char *key)
{
	static const char *const keys[] = { "token", "secret", "client_secret",
		"password", "private_key", "api_key", NULL };
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

static enum rc_code
set_tokens(struct cfg *c, const char *where, json_t *arr, struct rc_err *err)
{
	static const char *const allowed[] = { "name", "role", "sha256", "//",
		NULL };
	struct cfg_token *fresh = NULL;
	char at[WHERE], sub[WHERE];
	const char *role = NULL, *hex = NULL, *name = NULL, *key, *p;
	enum rc_code rc = RC_OK;
	size_t i, j, n = 0;
	json_t *obj, *v;
	int r;

	if (!json_is_null(arr) && !json_is_array(arr))
		return RC_ERR(err, RC_EINVAL, "%s: must be an array of objects",
		    where);
	if (json_is_array(arr) && (n = json_array_size(arr)) > MAX_LIST)
		return RC_ERR(err, RC_EINVAL, "%s: at most %d tokens", where,
		    MAX_LIST);
	if ((fresh = rc_calloc(n + 1, sizeof(*fresh))) == NULL)
		return nomem(err);
	for (i = 0; i < n; i++) {
		obj = json_array_get(arr, i);
		name = NULL;
		rc_json_path_index(at, sizeof(at), where, i);
		if (!json_is_object(obj)) {
			rc =
			    RC_ERR(err, RC_EINVAL, "%s: must be an object", at);
			goto out;
		}
		json_object_foreach(obj, key, v)
		{
			if (strcmp(key, "token") == 0) {
				rc_json_path(sub, sizeof(sub), at, key);
				rc = RC_ERR(err, RC_EINVAL,
				    "%s: tokens are never inline: store "
				    "\"sha256\", the hex SHA-256 of the token",
				    sub);
				goto out;
			}
			if (strcmp(key, "//") == 0) {
				rc_json_path(sub, sizeof(sub), at, key);
				if ((rc = check_comment(sub, v, err)) != RC_OK)
					goto out;
			}
		}
		if ((rc = rc_json_only_keys(obj, at, allowed, err)) != RC_OK ||
		    (rc = rc_json_get_string(obj, at, "role", 1, 1, &role,
		         err)) != RC_OK ||
		    (rc = rc_json_get_string(obj, at, "sha256", 1, 1, &hex,
		         err)) != RC_OK ||
		    (rc = rc_json_get_string(obj, at, "name", 0, 1, &name,
		         err)) != RC_OK)
			goto out;
		if (name == NULL)
			snprintf(fresh[i].name, sizeof(fresh[i].name), "%.64s",
			    at);
		else {
			/* Names go into logs: printable, no space or '='. */
			for (p = name; *p != '\0'; p++)
				if ((unsigned char)*p <= 0x20 ||
				    (unsigned char)*p >= 0x7f || *p == '=' ||
				    *p == '"')
					break;
			if (*p != '\0' || strlen(name) > CFG_TOKEN_NAME_MAX) {
				rc = RC_ERR(err, RC_EINVAL,
				    "%s.name: 1 to %d printable ASCII "
				    "characters, no space, '=' or '\"'",
				    at, CFG_TOKEN_NAME_MAX);
				goto out;
			}
			snprintf(fresh[i].name, sizeof(fresh[i].name), "%.64s",
			    name);
		}
		for (j = 0; j < i; j++)
			if (strcmp(fresh[j].name, fresh[i].name) == 0) {
				rc = RC_ERR(err, RC_EINVAL,
				    "%s.name: \"%s\" already names %s[%zu]", at,
				    fresh[i].name, where, j);
				goto out;
			}
		for (r = 0; r < CFG_ROLE__MAX; r++)
			if (strcmp(role, role_names[r]) == 0)
				break;
		if (r == CFG_ROLE__MAX) {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s.role: unknown role \"%.32s\" (instructor, "
			    "payment, selfcheck or admin)",
			    at, role);
			goto out;
		}
		fresh[i].role = (enum cfg_role)r;
		if (strlen(hex) != 2 * RC_SHA256_LEN ||
		    rc_unhex(hex, fresh[i].sha256, RC_SHA256_LEN) != RC_OK) {
			rc = RC_ERR(err, RC_EINVAL,
			    "%s.sha256: must be 64 hex digits (the SHA-256 "
			    "of the token)",
			    at);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (memcmp(fresh[j].sha256, fresh[i].sha256,
			        RC_SHA256_LEN) == 0) {
				rc = RC_ERR(err, RC_EINVAL,
				    "%s.sha256: the same token as %s[%zu]", at,
				    where, j);
				goto out;
			}
	}
	rc_free_secret(c->tokens, c->ntokens * sizeof(*c->tokens));
	c->tokens = fresh;
	c->ntokens = n;
	fresh = NULL; /* transferred */
out:
	rc_free_secret(fresh, (n + 1) * sizeof(*fresh));
	return rc;
}

/* Set directive d from the member key of obj (whose path is prefix). */
static enum rc_code
set_json(struct cfg *c, const struct cfg_directive *d, json_t *obj,
    const char *prefix, const char *key, const char *where, struct rc_err *err)
{
	json_t *v = json_object_get(obj, key);
	const char *s = NULL;
	long long x = 0;
	enum rc_code rc;
	int b = 0;

	switch (d->type) {
	case CFG_INT:
		rc =
		    rc_json_get_int(obj, prefix, key, 1, d->lo, d->hi, &x, err);
		if (rc == RC_OK)
			*(long long *)field(c, d) = x;
		return rc;
	case CFG_BOOL:
		rc = rc_json_get_bool(obj, prefix, key, 1, &b, err);
		if (rc == RC_OK)
			*(int *)field(c, d) = b;
		return rc;
	case CFG_CIDRS:
	case CFG_RESOLVE:
	case CFG_ENVS:
		return set_list(c, d, where, v, err);
	case CFG_TOKENS:
		return set_tokens(c, where, v, err);
	default:
		break;
	}
	if (json_is_null(v))
		return set_string(c, d, NULL, err);
	rc = rc_json_get_string(obj, prefix, key, 1, 1, &s, err);
	if (rc == RC_OK)
		rc = check_string(d, where, s, err);
	if (rc == RC_OK)
		rc = set_string(c, d, s, err);
	return rc;
}

static const struct cfg_directive *
find_directive(const char *path)
{
	size_t i;

	for (i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].path, path) == 0)
			return &directives[i];
	return NULL;
}

/* The directive whose path is closest to path ("did you mean"), or NULL. */
static const char *
guess_directive(const char *path)
{
	const char *paths[NDIRECTIVES + 1];
	size_t i;

	for (i = 0; i < NDIRECTIVES; i++)
		paths[i] = directives[i].path;
	paths[NDIRECTIVES] = NULL;
	return rc_suggest(path, paths);
}

/* True when path names an object that holds directives. */
static bool
is_section(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < NDIRECTIVES; i++)
		if (strncmp(directives[i].path, path, n) == 0 &&
		    directives[i].path[n] == '.')
			return true;
	return false;
}

/*
 * The keys the object at prefix may hold ("" for the top level): each
 * directive's next path component, once, joined with ", " into out (cut
 * with "..." when long), for an "unknown key" message.
 */
static void
section_keys(const char *prefix, char *out, size_t len)
{
	const char *keys[NDIRECTIVES + 2], *p, *dot;
	char buf[NDIRECTIVES][64];
	size_t i, j, n = 0, plen = strlen(prefix), k;

	for (i = 0; i < NDIRECTIVES; i++) {
		p = directives[i].path;
		if (plen > 0 &&
		    (strncmp(p, prefix, plen) != 0 || p[plen] != '.'))
			continue;
		p += plen > 0 ? plen + 1 : 0;
		dot = strchr(p, '.');
		k = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (k >= sizeof(buf[0]))
			continue;
		for (j = 0; j < n; j++)
			if (strlen(keys[j]) == k && strncmp(keys[j], p, k) == 0)
				break;
		if (j < n)
			continue;
		memcpy(buf[n], p, k);
		buf[n][k] = '\0';
		keys[n] = buf[n];
		n++;
	}
	keys[n++] = "//";
	keys[n] = NULL;
	rc_list_join(out, len, keys);
}

static enum rc_code walk(struct cfg *c, json_t *obj, const char *prefix,
    struct rc_errs *errs);

/*
 * One member of a directive object: set it, or say why not (in e).  Every
 * member's error is wanted at once, so walk() goes on after one.
 */
static enum rc_code
walk_member(struct cfg *c, json_t *obj, const char *prefix, const char *key,
    json_t *v, struct rc_errs *errs)
{
	const struct cfg_directive *d;
	struct rc_err e = { 0 };
	char where[WHERE], names[400];
	const char *g;

	rc_json_path(where, sizeof(where), prefix, key);
	if (strcmp(key, "//") == 0)
		check_comment(where, v, &e);
	else if ((d = find_directive(where)) != NULL)
		set_json(c, d, obj, prefix, key, where, &e);
	else if (is_section(where)) {
		if (!json_is_object(v))
			return RC_ERRS(errs, RC_EINVAL, "%s: must be an object",
			    where);
		return walk(c, v, where, errs);
	} else if (is_secret_key(key))
		RC_ERR(&e, RC_EINVAL,
		    "%s: secrets are never inline: name an environment "
		    "variable (..._env) or a file",
		    where);
	else {
		g = guess_directive(where);
		section_keys(prefix, names, sizeof(names));
		RC_ERR(&e, RC_EINVAL,
		    "%s: unknown key%s%s%s (allowed%s%s: %s; docs/config.md "
		    "lists every directive)",
		    where, g ? "; did you mean \"" : "", g ? g : "",
		    g ? "\"?" : "", prefix[0] ? " in " : "", prefix, names);
	}
	return rc_errs_add(errs, &e);
}

/* Every member of obj, each error recorded in errs; RC_ENOMEM stops. */
static enum rc_code
walk(struct cfg *c, json_t *obj, const char *prefix, struct rc_errs *errs)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (walk_member(c, obj, prefix, key, v, errs) == RC_ENOMEM)
			return RC_ENOMEM;
	}
	return RC_OK;
}

static enum rc_code
set_default(struct cfg *c, const struct cfg_directive *d, struct rc_err *err)
{
	long long x;

	switch (d->type) {
	case CFG_INT:
		if (d->def == NULL || !parse_num(d->def, d->lo, d->hi, &x))
			return RC_ERR(err, RC_ECONFIG,
			    "%s: bad built-in default", d->path);
		*(long long *)field(c, d) = x;
		return RC_OK;
	case CFG_BOOL:
		*(int *)field(c, d) = d->def && strcmp(d->def, "true") == 0;
		return RC_OK;
	case CFG_CIDRS:
	case CFG_RESOLVE:
	case CFG_ENVS:
		return set_list(c, d, d->path, json_null(), err);
	case CFG_TOKENS:
		return set_tokens(c, d->path, json_null(), err);
	default:
		return set_string(c, d, d->def, err);
	}
}

/*
 * secrets.env_allow may not offer a dossier the operator's own DataPass
 * credentials (issue 8: a token_env naming the DataPass secret sent it to
 * the API host).
 */
static void
secrets_env_check(const struct cfg *c, struct rc_errs *errs)
{
	static const char *const names[3] = { "datapass.client_id_env",
		"datapass.client_secret_env", "intake.datapass.secret_env" };
	const char *own[3] = { c->datapass_client_id_env,
		c->datapass_client_secret_env, c->intake_dp_secret_env };
	size_t i, j;

	for (i = 0; i < c->secrets_env_allow.n; i++)
		for (j = 0; j < 3; j++)
			if (own[j] != NULL &&
			    strcmp(c->secrets_env_allow.v[i], own[j]) == 0)
				RC_ERRS(errs, RC_EINVAL,
				    "secrets.env_allow[%zu]: %s holds "
				    "raccord's own DataPass credentials "
				    "(%s); a dossier may never name it",
				    i, own[j], names[j]);
}

/* Rules across directives (each broken one recorded), derived values. */
static void
finish(struct cfg *c, struct rc_errs *errs)
{
	size_t a, e;

	if (c->connect_timeout_ms > c->timeout_ms)
		RC_ERRS(errs, RC_EINVAL,
		    "network.connect_timeout_ms: must not exceed "
		    "network.timeout_ms (%lld > %lld)",
		    c->connect_timeout_ms, c->timeout_ms);
	if (c->dossier_timeout_ms < c->timeout_ms)
		RC_ERRS(errs, RC_EINVAL,
		    "network.dossier_timeout_ms: must be at least "
		    "network.timeout_ms (%lld < %lld)",
		    c->dossier_timeout_ms, c->timeout_ms);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		RC_ERRS(errs, RC_EINVAL,
		    "%s: required when %s is set (HTTPS needs both)",
		    c->tls_cert ? "daemon.tls_key" : "daemon.tls_cert",
		    c->tls_cert ? "daemon.tls_cert" : "daemon.tls_key");
	secrets_env_check(c, errs);
	if (c->intake_ds_token_env != NULL)
		for (a = 0; a < c->secrets_env_allow.n; a++)
			if (strcmp(c->secrets_env_allow.v[a],
			        c->intake_ds_token_env) == 0)
				RC_ERRS(errs, RC_EINVAL,
				    "secrets.env_allow[%zu]: %s holds "
				    "raccord's own DS token "
				    "(intake.ds.token_env); a dossier may "
				    "never name it",
				    a, c->intake_ds_token_env);
	if (c->intake_dp_secret_env != NULL && c->intake_dp_secret_file != NULL)
		RC_ERRS(errs, RC_EINVAL,
		    "intake.datapass.secret_file: set only one of "
		    "intake.datapass.secret_env and secret_file");
	c->window_start_t = c->window_end_t = 0;
	if (c->window_start != NULL)
		parse_date(c->window_start, &c->window_start_t);
	if (c->window_end != NULL) {
		parse_date(c->window_end, &c->window_end_t);
		c->window_end_t += 86400 - 1;
	}
	if (c->window_start != NULL && c->window_end != NULL &&
	    c->window_end_t < c->window_start_t)
		RC_ERRS(errs, RC_EINVAL,
		    "policy.window_end: %s is before policy.window_start %s",
		    c->window_end, c->window_start);
	if (c->envelope_cents != 0 && c->envelope_cents < c->amount_cents)
		RC_ERRS(errs, RC_EINVAL,
		    "policy.envelope_cents: %lld is less than one award "
		    "(policy.amount_cents %lld); 0 means no envelope",
		    c->envelope_cents, c->amount_cents);
	c->napi_bases = 0;
	for (a = 0; a < CFG_API__MAX; a++)
		for (e = 0; e < DOSSIER_ENV__MAX; e++) {
			if (c->api_base[a][e] == NULL)
				continue;
			c->api_bases[c->napi_bases].api = api_names[a];
			c->api_bases[c->napi_bases].env = (enum dossier_env)e;
			c->api_bases[c->napi_bases].base_url =
			    c->api_base[a][e];
			c->napi_bases++;
		}
}

/*
 * Defaults, then the document's members, then the rules across
 * directives (only when every member was accepted: they compare values).
 * Every error is recorded in errs.
 */
static enum rc_code
load(json_t *root, struct cfg **out, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	struct cfg *c;
	size_t i;

	*out = NULL;
	if (root != NULL && !json_is_object(root))
		return RC_ERRS(errs, RC_EINVAL,
		    "(document): the configuration must be a JSON object");
	if ((c = rc_calloc(1, sizeof(*c))) == NULL)
		return RC_ERRS(errs, RC_ENOMEM, "out of memory");
	for (i = 0; i < NDIRECTIVES && e.code == RC_OK; i++)
		set_default(c, &directives[i], &e);
	rc_errs_add(errs, &e);
	if (errs->n == 0 && root != NULL)
		walk(c, root, "", errs);
	if (errs->n == 0)
		finish(c, errs);
	if (errs->n > 0) {
		cfg_free(c);
		return errs->code;
	}
	*out = c;
	return RC_OK;
}

/*
 * Run load, naming the source and reporting input errors as config
 * errors (RC_ECONFIG); the new errors are appended to errs.
 */
static enum rc_code
load_named(json_t *root, const char *what, struct cfg **out,
    struct rc_errs *errs)
{
	struct rc_errs local;
	size_t i;

	rc_errs_init(&local);
	if (load(root, out, &local) == RC_OK)
		return RC_OK;
	if (local.code == RC_EINVAL)
		local.code = RC_ECONFIG;
	for (i = 0; i < rc_errs_kept(&local); i++)
		if (local.e[i].code == RC_EINVAL)
			local.e[i].code = RC_ECONFIG;
	if (local.code != RC_ENOMEM)
		rc_errs_prefix(&local, what);
	return rc_errs_merge(errs, &local);
}

enum rc_code
cfg_load_mem(const char *data, size_t len, const char *what, struct cfg **out,
    struct rc_err *err)
{
	struct rc_errs errs;
	json_t *root = NULL;
	enum rc_code rc;

	*out = NULL;
	if (what == NULL)
		what = "config";
	if (len > CFG_MAX_BYTES)
		return RC_ERR(err, RC_ECONFIG,
		    "%s: larger than the %d-byte limit", what, CFG_MAX_BYTES);
	if ((rc = rc_json_loadb(data, len, what, &root, err)) != RC_OK)
		return rc;
	rc_errs_init(&errs);
	if ((rc = load_named(root, what, out, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	json_decref(root);
	return rc;
}

enum rc_code
cfg_load_all(const char *file, struct cfg **out, struct rc_errs *errs)
{
	struct rc_err e = { 0 };
	json_t *root = NULL;
	enum rc_code rc;

	*out = NULL;
	if (file == NULL)
		return load_named(NULL, NULL, out, errs);
	if (rc_json_load_file(file, CFG_MAX_BYTES, &root, &e) != RC_OK)
		return rc_errs_add(errs, &e);
	rc = load_named(root, file, out, errs);
	json_decref(root);
	return rc;
}

enum rc_code
cfg_load(const char *file, struct cfg **out, struct rc_err *err)
{
	struct rc_errs errs;
	enum rc_code rc;

	rc_errs_init(&errs);
	if ((rc = cfg_load_all(file, out, &errs)) != RC_OK)
		rc_errs_first(&errs, err);
	return rc;
}

/* The value of one directive as a new JSON reference (NULL: ENOMEM). */
static json_t *
value_json(const struct cfg *c, const struct cfg_directive *d)
{
	const struct cfg_list *l;
	char hex[RC_SHA256_HEX_LEN];
	json_t *arr, *o;
	const char *s;
	size_t i;

	switch (d->type) {
	case CFG_INT:
		return json_integer(*(const long long *)cfield(c, d));
	case CFG_BOOL:
		return json_boolean(*(const int *)cfield(c, d));
	case CFG_CIDRS:
	case CFG_RESOLVE:
	case CFG_ENVS:
		l = cfield(c, d);
		if ((arr = json_array()) == NULL)
			return NULL;
		for (i = 0; i < l->n; i++)
			if (json_array_append_new(arr, json_string(l->v[i])) !=
			    0) {
				json_decref(arr);
				return NULL;
			}
		return arr;
	case CFG_TOKENS:
		if ((arr = json_array()) == NULL)
			return NULL;
		for (i = 0; i < c->ntokens; i++) {
			rc_hex(c->tokens[i].sha256, RC_SHA256_LEN, hex);
			o = json_pack("{s:s, s:s, s:s}", "name",
			    c->tokens[i].name, "role",
			    role_names[c->tokens[i].role], "sha256", hex);
			if (o == NULL || json_array_append_new(arr, o) != 0) {
				json_decref(arr);
				return NULL;
			}
		}
		return arr;
	default:
		s = *(char *const *)cfield(c, d);
		return s ? json_string(s) : json_null();
	}
}

/* The "//" line for a directive: "leaf: doc (default X; lo..hi)". */
static json_t *
doc_json(const struct cfg_directive *d, const char *leaf)
{
	char line[512], range[64] = "";

	if (d->type == CFG_INT)
		snprintf(range, sizeof(range), "; %lld..%lld", d->lo, d->hi);
	snprintf(line, sizeof(line), "%s: %s (default %s%s%s)", leaf, d->doc,
	    d->def ? d->def
	           : (d->type == CFG_CIDRS || d->type == CFG_RESOLVE ||
	                         d->type == CFG_ENVS || d->type == CFG_TOKENS
	                     ? "[]"
	                     : "null"),
	    range, d->reloadable ? "; reloadable" : "");
	return json_string(line);
}

/* Find or make the object at the dotted prefix of path (up to leaf). */
static json_t *
section(json_t *root, const char *path, const char **leaf)
{
	char part[64];
	const char *p = path, *dot;
	json_t *cur = root, *next;
	size_t n;

	while ((dot = strchr(p, '.')) != NULL) {
		n = (size_t)(dot - p);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		if ((next = json_object_get(cur, part)) == NULL) {
			if ((next = json_object()) == NULL ||
			    json_object_set_new(cur, part, next) != 0)
				return NULL;
		}
		cur = next;
		p = dot + 1;
	}
	*leaf = p;
	return cur;
}

/* Append the directive's line to the "//" member of sec, made first. */
static int
add_doc(json_t *sec, const struct cfg_directive *d, const char *leaf)
{
	json_t *arr = json_object_get(sec, "//");

	if (arr == NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(sec, "//", arr) != 0)
			return -1;
	}
	return json_array_append_new(arr, doc_json(d, leaf));
}

enum rc_code
cfg_dump_flags(const struct cfg *cfg, FILE *f, int flags)
{
	int comments = (flags & CFG_DUMP_COMMENTS) != 0;
	enum rc_code rc = RC_ENOMEM;
	json_t *root, *sec, *v;
	const char *leaf;
	size_t i;

	if ((root = json_object()) == NULL)
		return RC_ENOMEM;
	if (comments &&
	    json_object_set_new(root, "//",
	        json_pack("[s,s]",
	            "raccord configuration: every key is optional; the "
	            "defaults are the real production services.",
	            "\"//\" members are comments. See docs/config.md.")) != 0)
		goto out;
	for (i = 0; i < NDIRECTIVES; i++) {
		sec = section(root, directives[i].path, &leaf);
		if (sec == NULL)
			goto out;
		if (comments && add_doc(sec, &directives[i], leaf) != 0)
			goto out;
		if ((v = value_json(cfg, &directives[i])) == NULL ||
		    json_object_set_new(sec, leaf, v) != 0)
			goto out;
	}
	rc = RC_ESYS;
	if (json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF)
		goto out;
	rc = RC_OK;
out:
	json_decref(root);
	return rc;
}

enum rc_code
cfg_dump(const struct cfg *cfg, FILE *f)
{
	return cfg_dump_flags(cfg, f, 0);
}

enum rc_code
cfg_reload_check(const struct cfg *old, const struct cfg *fresh,
    struct rc_err *err)
{
	json_t *a, *b;
	size_t i;
	int same;

	for (i = 0; i < NDIRECTIVES; i++) {
		if (directives[i].reloadable)
			continue;
		a = value_json(old, &directives[i]);
		b = value_json(fresh, &directives[i]);
		same = a != NULL && b != NULL && json_equal(a, b);
		json_decref(a);
		json_decref(b);
		if (a == NULL || b == NULL)
			return nomem(err);
		if (!same)
			return RC_ERR(err, RC_ECONFIG,
			    "%s: cannot change on reload; restart raccord",
			    directives[i].path);
	}
	return RC_OK;
}

const struct cfg_token *
cfg_token_find(const struct cfg *cfg, const unsigned char digest[RC_SHA256_LEN])
{
	const struct cfg_token *hit = NULL;
	size_t i;

	/* Look at every entry so the time does not depend on which. */
	for (i = 0; i < cfg->ntokens; i++)
		if (CRYPTO_memcmp(cfg->tokens[i].sha256, digest,
		        RC_SHA256_LEN) == 0 &&
		    hit == NULL)
			hit = &cfg->tokens[i];
	return hit;
}

void
cfg_verifier_opts(const struct cfg *cfg, struct verifier_opts *opts)
{
	const char *id = NULL;
	int p, e;

	memset(opts, 0, sizeof(*opts));
	opts->probe.ca_file = cfg->ca_file;
	opts->probe.allow_private = (const char *const *)cfg->allow_private.v;
	opts->probe.resolve = (const char *const *)cfg->resolve.v;
	opts->probe.timeout_ms = (long)cfg->timeout_ms;
	opts->probe.connect_timeout_ms = (long)cfg->connect_timeout_ms;
	opts->probe.max_body_bytes = (size_t)cfg->max_body_bytes;
	opts->probe.max_redirects = (long)cfg->max_redirects;
	opts->dossier_timeout_ms = (long)cfg->dossier_timeout_ms;
	opts->probe.per_host_concurrency = (long)cfg->per_host_concurrency;
	opts->probe.global_concurrency = (long)cfg->global_concurrency;
	opts->probe.user_agent = NULL; /* the engine's default */
	for (p = 0; p < 2; p++)
		for (e = 0; e < DOSSIER_ENV__MAX; e++)
			opts->fc_discovery[p][e] = cfg->fc_discovery[p][e];
	opts->api_bases = cfg->api_bases;
	opts->napi_bases = cfg->napi_bases;
	opts->datapass_base_url = cfg->datapass_base_url;
	if (cfg->datapass_client_id_env != NULL)
		id = getenv(cfg->datapass_client_id_env);
	opts->datapass_client_id = id != NULL && id[0] != '\0' ? id : NULL;
	opts->datapass_client_secret = NULL; /* the caller's business */
	opts->secrets_dir = cfg->secrets_dir;
	opts->secrets_env_allow = (const char *const *)cfg->secrets_env_allow.v;
	opts->login_fetches = (int)cfg->login_fetches;
	opts->active_probes = cfg->active_probes;
	opts->cert_warn_days = (long)cfg->cert_warn_days;
	opts->window_start = cfg->window_start_t;
	opts->window_end = cfg->window_end_t;
	opts->now = 0;
}
