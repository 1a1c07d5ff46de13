/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for connector/config and `raccord config`: defaults, every
 * directive type and error path (the message names the JSON path), dump
 * round trip, the generated reference config, reload rule, token lookup,
 * verifier options, and allocation failures.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/cli.h"
#include "connector/config.h"

static struct cfg *
load_ok(const char *doc)
{
	struct rc_err err = { 0 };
	struct cfg *c = NULL;

	if (cfg_load_mem(doc, strlen(doc), "t.json", &c, &err) != RC_OK)
		fail_msg("%s: %s", doc, err.msg);
	return c;
}

static void
test_defaults(void **state)
{
	struct rc_err err = { 0 };
	struct cfg *c = NULL;

	(void)state;
	assert_int_equal(cfg_load(NULL, &c, &err), RC_OK);
	assert_string_equal(c->fc_discovery[0][DOSSIER_ENV_PRODUCTION],
	    "https://oidc.franceconnect.gouv.fr/api/v2/"
	    ".well-known/openid-configuration");
	assert_string_equal(c->fc_discovery[0][DOSSIER_ENV_INTEGRATION],
	    "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/"
	    ".well-known/openid-configuration");
	assert_string_equal(c->fc_discovery[1][DOSSIER_ENV_PRODUCTION],
	    "https://auth.franceconnect.gouv.fr/api/v2/"
	    ".well-known/openid-configuration");
	assert_string_equal(c->fc_discovery[1][DOSSIER_ENV_INTEGRATION],
	    "https://auth.integ01.dev-franceconnect.fr/api/v2/"
	    ".well-known/openid-configuration");
	assert_string_equal(
	    c->api_base[CFG_API_PARTICULIER][DOSSIER_ENV_PRODUCTION],
	    "https://particulier.api.gouv.fr");
	assert_string_equal(
	    c->api_base[CFG_API_ENTREPRISE][DOSSIER_ENV_INTEGRATION],
	    "https://staging.entreprise.api.gouv.fr");
	assert_null(c->api_base[CFG_API_FICOBA][DOSSIER_ENV_PRODUCTION]);
	assert_int_equal(c->napi_bases, 4);
	assert_string_equal(c->datapass_base_url,
	    "https://datapass.api.gouv.fr/api/v1");
	assert_null(c->ca_file);
	assert_int_equal(c->allow_private.n, 0);
	assert_non_null(c->allow_private.v);
	assert_null(c->allow_private.v[0]);
	assert_int_equal(c->timeout_ms, 15000);
	assert_int_equal(c->connect_timeout_ms, 5000);
	assert_int_equal(c->max_body_bytes, 2097152);
	assert_int_equal(c->login_fetches, 3);
	assert_int_equal(c->active_probes, 1);
	assert_int_equal(c->cert_warn_days, 30);
	assert_int_equal(c->amount_cents, 500000);
	assert_int_equal(c->envelope_cents, 0);
	assert_null(c->window_start);
	assert_int_equal(c->window_start_t, 0);
	assert_string_equal(c->daemon_listen, "127.0.0.1:8750");
	assert_int_equal(c->ntokens, 0);
	assert_string_equal(cfg_api_str(CFG_API_R2P), "api_r2p");
	assert_string_equal(cfg_role_str(CFG_ROLE_PAYMENT), "payment");
	assert_string_equal(cfg_role_str(CFG_ROLE__MAX), "unknown");
	cfg_free(c);
	cfg_free(NULL);
}

static const char full[] =
    "{\"//\": \"a comment\","
    " \"franceconnect\": {\"//\": [\"x\", \"y\"], \"production\":"
    "   {\"discovery_url\": \"https://fc.test/api/v2/.well-known/"
    "openid-configuration\"}},"
    " \"apis\": {\"api_ficoba\": {\"production\": {\"base_url\":"
    "   \"https://dgfip.test/fcb-masrestit/api/v2\"}},"
    "   \"api_particulier\": {\"integration\": {\"base_url\": null}}},"
    " \"datapass\": {\"client_id_env\": \"DP_ID\","
    "   \"client_secret_env\": null},"
    " \"network\": {\"ca_file\": \"build/certs/ca.pem\","
    "   \"allow_private\": [\"127.0.0.0/8\", \"::1/128\", \"10.1.2.3\"],"
    "   \"resolve\": [\"fc.test:443:127.0.0.1\","
    "     \"api.test:8443:[::1],127.0.0.2\"],"
    "   \"timeout_ms\": 2000, \"connect_timeout_ms\": 1000,"
    "   \"max_body_bytes\": 4096, \"max_redirects\": 0,"
    "   \"per_host_concurrency\": 2, \"global_concurrency\": 8},"
    " \"checks\": {\"login_fetches\": 5, \"active_probes\": false,"
    "   \"cert_warn_days\": 0},"
    " \"policy\": {\"amount_cents\": 500000, \"envelope_cents\": 1000000,"
    "   \"window_start\": \"2021-01-15\", \"window_end\": \"2022-09-30\"},"
    " \"ledger\": {\"dir\": \"/tmp/ledger\", \"key_file\": \"k.pem\","
    "   \"origin\": \"raccord.test/subventions/v1\"},"
    " \"daemon\": {\"listen\": \"[::1]:8443\", \"tls_cert\": \"c.pem\","
    "   \"tls_key\": \"k.pem\", \"tokens\": [{\"role\": \"instructor\","
    "   \"sha256\": "
    "\"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\","
    "   \"//\": \"hello\"},"
    "   {\"role\": \"payment\", \"sha256\":"
    "   "
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}}";

static void
test_full(void **state)
{
	struct verifier_opts o;
	struct cfg *c;
	unsigned char dg[RC_SHA256_LEN];
	const struct cfg_token *t;

	(void)state;
	c = load_ok(full);
	assert_string_equal(c->fc_discovery[0][DOSSIER_ENV_PRODUCTION],
	    "https://fc.test/api/v2/.well-known/openid-configuration");
	assert_null(c->api_base[CFG_API_PARTICULIER][DOSSIER_ENV_INTEGRATION]);
	assert_int_equal(c->napi_bases, 4);
	assert_null(c->datapass_client_secret_env);
	assert_int_equal(c->allow_private.n, 3);
	assert_string_equal(c->allow_private.v[1], "::1/128");
	assert_null(c->allow_private.v[3]);
	assert_int_equal(c->resolve.n, 2);
	assert_int_equal(c->max_redirects, 0);
	assert_int_equal(c->active_probes, 0);
	assert_int_equal(c->window_start_t, 1610668800); /* 2021-01-15Z */
	assert_int_equal(c->window_end_t, 1664582399);   /* 2022-09-30 end */
	assert_int_equal(c->ntokens, 2);
	assert_int_equal(c->tokens[0].role, CFG_ROLE_INSTRUCTOR);

	/* Tokens are found by the SHA-256 of their value. */
	assert_int_equal(rc_sha256("hello", 5, dg), RC_OK);
	t = cfg_token_find(c, dg);
	assert_non_null(t);
	assert_int_equal(t->role, CFG_ROLE_INSTRUCTOR);
	assert_int_equal(rc_sha256("", 0, dg), RC_OK);
	assert_int_equal(cfg_token_find(c, dg)->role, CFG_ROLE_PAYMENT);
	assert_int_equal(rc_sha256("nope", 4, dg), RC_OK);
	assert_null(cfg_token_find(c, dg));

	setenv("DP_ID", "datapass-client", 1);
	cfg_verifier_opts(c, &o);
	assert_string_equal(o.probe.ca_file, "build/certs/ca.pem");
	assert_string_equal(o.probe.allow_private[0], "127.0.0.0/8");
	assert_null(o.probe.allow_private[3]);
	assert_string_equal(o.probe.resolve[0], "fc.test:443:127.0.0.1");
	assert_int_equal(o.probe.timeout_ms, 2000);
	assert_int_equal(o.probe.connect_timeout_ms, 1000);
	assert_int_equal(o.probe.max_body_bytes, 4096);
	assert_int_equal(o.probe.per_host_concurrency, 2);
	assert_int_equal(o.probe.global_concurrency, 8);
	assert_string_equal(o.fc_discovery[0][DOSSIER_ENV_PRODUCTION],
	    c->fc_discovery[0][DOSSIER_ENV_PRODUCTION]);
	assert_ptr_equal(o.fc_discovery[1][DOSSIER_ENV_INTEGRATION],
	    c->fc_discovery[1][DOSSIER_ENV_INTEGRATION]);
	assert_int_equal(o.napi_bases, 4);
	assert_string_equal(o.api_bases[0].api, "api_particulier");
	assert_int_equal(o.api_bases[0].env, DOSSIER_ENV_PRODUCTION);
	assert_string_equal(o.api_bases[3].api, "api_ficoba");
	assert_string_equal(o.api_bases[3].base_url,
	    "https://dgfip.test/fcb-masrestit/api/v2");
	assert_string_equal(o.datapass_client_id, "datapass-client");
	assert_null(o.datapass_client_secret);
	assert_int_equal(o.login_fetches, 5);
	assert_int_equal(o.active_probes, 0);
	assert_int_equal(o.cert_warn_days, 0);
	assert_int_equal(o.window_start, 1610668800);
	assert_int_equal(o.window_end, 1664582399);
	unsetenv("DP_ID");
	cfg_verifier_opts(c, &o);
	assert_null(o.datapass_client_id);
	cfg_free(c);
}

struct bad_case {
	const char *doc;
	const char *expect;
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ "[]", "the configuration must be a JSON object" },
	{ "{\"nework\": {}}", "t.json: nework: unknown key" },
	{ "{\"network\": {\"timeout\": 5}}", "network.timeout: unknown key" },
	{ "{\"network\": {\"timout_ms\": 5}}", "network.timout_ms: unknown key; did you mean \"network.timeout_ms\"?" },
	{ "{\"apis\": {\"api_foo\": {}}}", "apis.api_foo: unknown key" },
	{ "{\"apis\": {\"api_particulier\": {\"prod\": {}}}}", "apis.api_particulier.prod: unknown key" },
	{ "{\"apis\": {\"api_particulier\": {\"production\": {\"url\": \"https://a.test\"}}}}", "apis.api_particulier.production.url: unknown key" },
	{ "{\"network\": 5}", "network: must be an object" },
	{ "{\"network\": {\"timeout_ms\": 5}}", "network.timeout_ms: must be between 100 and 120000" },
	{ "{\"network\": {\"timeout_ms\": 200000}}", "network.timeout_ms: must be between 100 and 120000" },
	{ "{\"network\": {\"timeout_ms\": \"1000\"}}", "network.timeout_ms: must be an integer" },
	{ "{\"network\": {\"timeout_ms\": 1.5}}", "network.timeout_ms: must be an integer" },
	{ "{\"network\": {\"timeout_ms\": null}}", "network.timeout_ms: must be an integer" },
	{ "{\"network\": {\"timeout_ms\": 1000, \"connect_timeout_ms\": 2000}}", "network.connect_timeout_ms: must not exceed network.timeout_ms" },
	{ "{\"network\": {\"max_redirects\": -1}}", "network.max_redirects: must be between 0 and 20" },
	{ "{\"network\": {\"ca_file\": \"\"}}", "network.ca_file: must not be empty" },
	{ "{\"network\": {\"ca_file\": 1}}", "network.ca_file: must be a string" },
	{ "{\"network\": {\"allow_private\": \"127.0.0.0/8\"}}", "network.allow_private: must be an array of strings" },
	{ "{\"network\": {\"allow_private\": [1]}}", "network.allow_private[0]: must be a string" },
	{ "{\"network\": {\"allow_private\": [\"127.0.0.0/8\", \"10.0.0.0/33\"]}}", "network.allow_private[1]: \"10.0.0.0/33\" has a prefix length outside 0-32" },
	{ "{\"network\": {\"allow_private\": [\"10.0.0.1/8\"]}}", "network.allow_private[0]: \"10.0.0.1/8\" has host bits set" },
	{ "{\"network\": {\"allow_private\": [\"localhost\"]}}", "network.allow_private[0]: \"localhost\" is not an address or CIDR" },
	{ "{\"network\": {\"allow_private\": [\"::1/129\"]}}", "network.allow_private[0]: \"::1/129\" has a prefix length outside 0-128" },
	{ "{\"network\": {\"allow_private\": [\"10.0.0.0/\"]}}", "network.allow_private[0]: \"10.0.0.0/\" has a prefix length" },
	{ "{\"network\": {\"allow_private\": [\"\"]}}", "network.allow_private[0]: must be a non-empty string" },
	{ "{\"network\": {\"resolve\": [\"fc.test:443\"]}}", "network.resolve[0]: \"fc.test:443\" is not host:port:address" },
	{ "{\"network\": {\"resolve\": [\"fc.test:0:127.0.0.1\"]}}", "network.resolve[0]:" },
	{ "{\"network\": {\"resolve\": [\"fc.test:443:127.0.0.1,x\"]}}", "network.resolve[0]:" },
	{ "{\"network\": {\"resolve\": [\":443:127.0.0.1\"]}}", "network.resolve[0]:" },
	{ "{\"franceconnect\": {\"production\": {\"discovery_url\": \"http://fc.test/x\"}}}", "franceconnect.production.discovery_url: must be an https URL" },
	{ "{\"franceconnect\": {\"production\": {\"discovery_url\": \"fc.test/x\"}}}", "franceconnect.production.discovery_url: not an absolute https URL" },
	{ "{\"datapass\": {\"base_url\": \"https://u:p@dp.test/\"}}", "datapass.base_url: user information" },
	{ "{\"datapass\": {\"base_url\": \"https://dp.test/a b\"}}", "datapass.base_url: must be a URL of printable ASCII" },
	{ "{\"datapass\": {\"client_secret\": \"s3cret\"}}", "datapass.client_secret: secrets are never inline" },
	{ "{\"datapass\": {\"client_id_env\": \"9X\"}}", "datapass.client_id_env: not an environment variable name" },
	{ "{\"checks\": {\"login_fetches\": 2}}", "checks.login_fetches: must be between 3 and 20" },
	{ "{\"checks\": {\"active_probes\": 1}}", "checks.active_probes: must be true or false" },
	{ "{\"policy\": {\"window_start\": \"2021-02-30\"}}", "policy.window_start: \"2021-02-30\" is not a date YYYY-MM-DD" },
	{ "{\"policy\": {\"window_start\": \"2022-02-29\"}}", "policy.window_start: \"2022-02-29\" is not a date" },
	{ "{\"policy\": {\"window_end\": \"2021-1-5\"}}", "policy.window_end: \"2021-1-5\" is not a date" },
	{ "{\"policy\": {\"window_end\": \"2021-01-05T00:00:00Z\"}}", "policy.window_end:" },
	{ "{\"policy\": {\"window_start\": \"2022-01-02\", \"window_end\": \"2022-01-01\"}}", "policy.window_end: 2022-01-01 is before policy.window_start 2022-01-02" },
	{ "{\"policy\": {\"amount_cents\": 0}}", "policy.amount_cents: must be between 1 and" },
	{ "{\"policy\": {\"envelope_cents\": 100}}", "policy.envelope_cents: 100 is less than one award" },
	{ "{\"policy\": {\"window\": \"2021\"}}", "policy.window: unknown key" },
	{ "{\"ledger\": {\"origin\": \"raccord test\"}}", "ledger.origin: a log origin is printable ASCII without spaces" },
	{ "{\"ledger\": {\"origin\": \"a+b\"}}", "ledger.origin:" },
	{ "{\"daemon\": {\"listen\": \"8750\"}}", "daemon.listen: \"8750\" is not host:port" },
	{ "{\"daemon\": {\"listen\": \"::1:8750\"}}", "daemon.listen:" },
	{ "{\"daemon\": {\"listen\": \"127.0.0.1:99999\"}}", "daemon.listen:" },
	{ "{\"daemon\": {\"tls_cert\": \"c.pem\"}}", "daemon.tls_key: required when daemon.tls_cert is set" },
	{ "{\"daemon\": {\"tls_key\": \"k.pem\"}}", "daemon.tls_cert: required when daemon.tls_key is set" },
	{ "{\"daemon\": {\"tokens\": {}}}", "daemon.tokens: must be an array of objects" },
	{ "{\"daemon\": {\"tokens\": [\"abc\"]}}", "daemon.tokens[0]: must be an object" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\", \"token\": \"hunter2\"}]}}", "daemon.tokens[0].token: tokens are never inline" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"root\", \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}}", "daemon.tokens[0].role: unknown role \"root\"" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\", \"sha256\": \"e3b0\"}]}}", "daemon.tokens[0].sha256: must be 64 hex digits" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\"}]}}", "daemon.tokens[0].sha256: is required" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\", \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"name\": \"a b\"}]}}", "daemon.tokens[0].name: 1 to 64 printable" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\", \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}, {\"role\": \"payment\", \"sha256\": \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}]}}", "daemon.tokens[1].sha256: the same token as daemon.tokens[0]" },
	{ "{\"daemon\": {\"tokens\": [{\"role\": \"admin\", \"//\": 3}]}}", "daemon.tokens[0].//: a comment must be" },
	{ "{\"//\": 1}", "//: a comment must be a string or an array of strings" },
	{ "{\"network\": {\"//\": [\"ok\", 2]}}", "network.//: a comment must be" },
	{ "{\"ledger\": {\"dir\": \"a\\u0001b\"}}", "ledger.dir: contains a control character" },
};
/* clang-format on */

static void
test_errors_name_the_path(void **state)
{
	struct cfg *c;
	enum rc_code rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rc_err err = { 0 };

		c = (struct cfg *)1;
		rc = cfg_load_mem(bad_cases[i].doc, strlen(bad_cases[i].doc),
		    "t.json", &c, &err);
		if (rc != RC_ECONFIG || c != NULL)
			fail_msg("case %zu: rc %d: %s", i, rc, err.msg);
		if (strstr(err.msg, bad_cases[i].expect) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    err.msg, bad_cases[i].expect);
	}
}

static void
test_malformed(void **state)
{
	struct rc_err err = { 0 };
	struct cfg *c = NULL;
	static const char dup[] = "{\"network\": {\"timeout_ms\": 1000, "
	                          "\"timeout_ms\": 2000}}";

	(void)state;
	assert_int_equal(cfg_load_mem(dup, strlen(dup), "t.json", &c, &err),
	    RC_EPARSE);
	assert_non_null(strstr(err.msg, "duplicate"));
	assert_null(c);
	rc_err_clear(&err);
	assert_int_equal(cfg_load_mem("{", 1, "t.json", &c, &err), RC_EPARSE);
	assert_non_null(strstr(err.msg, "t.json"));
	rc_err_clear(&err);
	assert_int_equal(cfg_load("/nonexistent/raccord.json", &c, &err),
	    RC_ESYS);
	rc_err_clear(&err);
	assert_int_equal(cfg_load_mem("{}", CFG_MAX_BYTES + 1, "t", &c, &err),
	    RC_ECONFIG);
}

/* Dump to a string (caller frees). */
static char *
dump(const struct cfg *c, int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cfg_dump_flags(c, f, flags), RC_OK);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_dump_round_trip(void **state)
{
	struct cfg *c, *c2;
	char *a, *b;

	(void)state;
	c = load_ok(full);
	a = dump(c, 0);
	assert_non_null(strstr(a, "\"timeout_ms\": 2000"));
	assert_non_null(strstr(a, "\"base_url\": null"));
	assert_non_null(strstr(a,
	    "\"sha256\": \"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e"
	    "73043362938b9824\""));
	assert_null(strstr(a, "\"//\""));
	c2 = load_ok(a);
	b = dump(c2, 0);
	assert_string_equal(a, b);
	free(b);
	cfg_free(c2);
	/* With comments, still a valid config that loads the same. */
	b = dump(c, CFG_DUMP_COMMENTS);
	assert_non_null(strstr(b, "\"//\""));
	assert_non_null(strstr(b, "timeout_ms: time limit of one request"));
	c2 = load_ok(b);
	free(b);
	b = dump(c2, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cfg_free(c2);
	cfg_free(c);
}

/* examples/raccord.conf.json is `raccord config dump --comments`. */
static void
test_reference_config_in_sync(void **state)
{
	struct rc_err err = { 0 };
	struct cfg *c = NULL;
	char *want, *got = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(cfg_load(NULL, &c, &err), RC_OK);
	want = dump(c, CFG_DUMP_COMMENTS);
	f = fopen("examples/raccord.conf.json", "r");
	assert_non_null(f);
	assert_true(getdelim(&got, &len, '\0', f) > 0);
	fclose(f);
	if (strcmp(want, got) != 0)
		fail_msg("examples/raccord.conf.json is stale: regenerate it "
		         "with `raccord config dump --comments`");
	free(want);
	free(got);
	cfg_free(c);
	assert_int_equal(cfg_load("examples/raccord.conf.json", &c, &err),
	    RC_OK);
	cfg_free(c);
}

static void
test_reload_check(void **state)
{
	struct rc_err err = { 0 };
	struct cfg *a, *b;

	(void)state;
	a = load_ok("{\"network\": {\"timeout_ms\": 1000, "
	            "\"connect_timeout_ms\": 500}}");
	b = load_ok("{\"network\": {\"timeout_ms\": 9000}, \"daemon\": "
	            "{\"tokens\": [{\"role\": \"admin\", \"sha256\": "
	            "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	            "91b7852b855\"}]}}");
	assert_int_equal(cfg_reload_check(a, b, &err), RC_OK);
	cfg_free(b);
	b = load_ok("{\"ledger\": {\"dir\": \"/elsewhere\"}}");
	assert_int_equal(cfg_reload_check(a, b, &err), RC_ECONFIG);
	assert_non_null(strstr(err.msg, "ledger.dir: cannot change on reload"));
	cfg_free(b);
	rc_err_clear(&err);
	b = load_ok("{\"policy\": {\"window_end\": \"2030-01-01\"}}");
	assert_int_equal(cfg_reload_check(a, b, &err), RC_ECONFIG);
	assert_non_null(strstr(err.msg, "policy.window_end"));
	cfg_free(b);
	cfg_free(a);
}

static void
test_enomem_is_clean(void **state)
{
	struct cfg *c;
	enum rc_code rc;
	unsigned long n;

	(void)state;
	for (n = 1; n < 1000; n++) {
		struct rc_err err = { 0 };

		c = NULL;
		rc_mem_fail_after(n);
		rc = cfg_load_mem(full, strlen(full), "t.json", &c, &err);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, RC_OK);
			cfg_free(c);
			return;
		}
		rc_mem_fail_after(0);
		if (rc != RC_ENOMEM)
			fail_msg("allocation %lu: rc %d: %s", n, rc, err.msg);
		assert_null(c);
	}
	fail_msg("more than 1000 allocations?");
}

/* Run cli_config with stdout sent to /dev/null. */
static int
run_cli(int argc, const char *const *args)
{
	char *argv[8];
	int i, rc, saved;

	for (i = 0; i < argc; i++)
		argv[i] = (char *)(uintptr_t)args[i];
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	assert_true(freopen("/dev/null", "w", stdout) != NULL);
	rc = cli_config(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static void
test_cli(void **state)
{
	char path[] = "/tmp/raccord-test-config-XXXXXX";
	static const char bad[] = "{\"network\": {\"timeout_ms\": 1}}";
	int fd;

	(void)state;
	{
		const char *const a[] = { "config", "dump" };
		assert_int_equal(run_cli(2, a), 0);
	}
	{
		const char *const a[] = { "config", "dump", "--comments",
			"--config", "examples/raccord.conf.json" };
		assert_int_equal(run_cli(5, a), 0);
	}
	{
		const char *const a[] = { "config", "check",
			"--config=examples/raccord.conf.json" };
		assert_int_equal(run_cli(3, a), 0);
	}
	{
		const char *const a[] = { "config" };
		assert_int_equal(run_cli(1, a), 2);
	}
	{
		const char *const a[] = { "config", "show" };
		assert_int_equal(run_cli(2, a), 2);
	}
	{
		const char *const a[] = { "config", "dump", "--config" };
		assert_int_equal(run_cli(3, a), 2);
	}
	{
		const char *const a[] = { "config", "check", "--comments" };
		assert_int_equal(run_cli(3, a), 2);
	}
	{
		const char *const a[] = { "config", "dump", "--config",
			"/nonexistent.json" };
		assert_int_equal(run_cli(4, a), 2);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1),
	    (ssize_t)(sizeof(bad) - 1));
	close(fd);
	{
		const char *const a[] = { "config", "check", "--config", path };
		assert_int_equal(run_cli(4, a), 2);
	}
	unlink(path);
}

/*
 * secrets.dir and secrets.env_allow (issue 8, docs/decisions.md): loaded
 * and handed to the verifier; variable names checked; the operator's own
 * DataPass variables can never be offered to a dossier.
 */
static void
test_secrets_directives(void **state)
{
	static const char ok[] = "{\"secrets\": {\"dir\": \"/srv/secrets\","
	                         " \"env_allow\": [\"CI_TOKEN\", \"B_2\"]}}";
	static const struct {
		const char *doc, *expect;
	} bad[] = {
		{ "{\"secrets\": {\"env_allow\": [\"1X\"]}}",
		    "secrets.env_allow[0]: not an environment variable name" },
		{ "{\"secrets\": {\"env_allow\": \"CI_TOKEN\"}}",
		    "secrets.env_allow: must be an array of strings" },
		{ "{\"secrets\": {\"env_allow\": "
		  "[\"RACCORD_DATAPASS_CLIENT_SECRET\"]}}",
		    "secrets.env_allow[0]: RACCORD_DATAPASS_CLIENT_SECRET "
		    "holds "
		    "raccord's own DataPass credentials" },
		{ "{\"datapass\": {\"client_id_env\": \"MY_ID\"}, "
		  "\"secrets\": {\"env_allow\": [\"A\", \"MY_ID\"]}}",
		    "secrets.env_allow[1]: MY_ID holds raccord's own" },
		{ "{\"intake\": {\"datapass\": {\"secret_env\": \"HOOK\"}}, "
		  "\"secrets\": {\"env_allow\": [\"HOOK\"]}}",
		    "secrets.env_allow[0]: HOOK holds raccord's own DataPass "
		    "credentials (intake.datapass.secret_env)" },
		{ "{\"intake\": {\"datapass\": {\"secret_env\": \"HOOK\", "
		  "\"secret_file\": \"/etc/h\"}}}",
		    "intake.datapass.secret_file: set only one of" },
		{ "{\"secrets\": {\"env_allow\": [\"RACCORD_DS_TOKEN\"]}}",
		    "secrets.env_allow[0]: RACCORD_DS_TOKEN holds raccord's "
		    "own "
		    "DS token" },
		{ "{\"intake\": {\"ds\": {\"mapping\": {\"iban\": "
		  "\"I\\u0001\"}}}}",
		    "intake.ds.mapping.iban: contains a control character" },
		{ "{\"intake\": {\"datapass\": {\"max_age_s\": 5}}}",
		    "intake.datapass.max_age_s: must be between 10 and 86400" },
		{ "{\"secrets\": {\"dir\": \"\"}}",
		    "secrets.dir: must not be empty" },
		{ "{\"secrets\": {\"token\": \"x\"}}",
		    "secrets.token: secrets are never inline" },
	};
	struct verifier_opts o;
	struct rc_err err = { 0 };
	struct cfg *c = NULL;
	size_t i;

	(void)state;
	assert_int_equal(cfg_load_mem("{}", 2, "t.json", &c, &err), RC_OK);
	cfg_verifier_opts(c, &o);
	assert_null(o.secrets_dir); /* default: dossiers name no file */
	assert_non_null(o.secrets_env_allow);
	assert_null(o.secrets_env_allow[0]); /* ... and no variable */
	cfg_free(c);
	assert_int_equal(cfg_load_mem(ok, strlen(ok), "t.json", &c, &err),
	    RC_OK);
	cfg_verifier_opts(c, &o);
	assert_string_equal(o.secrets_dir, "/srv/secrets");
	assert_string_equal(o.secrets_env_allow[1], "B_2");
	assert_null(o.secrets_env_allow[2]);
	cfg_free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc_err_clear(&err);
		c = (struct cfg *)1;
		if (cfg_load_mem(bad[i].doc, strlen(bad[i].doc), "t.json", &c,
		        &err) != RC_ECONFIG ||
		    c != NULL)
			fail_msg("secrets case %zu: %s", i, err.msg);
		if (strstr(err.msg, bad[i].expect) == NULL)
			fail_msg("secrets case %zu: got \"%s\", want \"%s\"", i,
			    err.msg, bad[i].expect);
	}
}

/* A config document in a temporary file, loaded with cfg_load_all. */
static enum rc_code
load_all(const char *doc, struct cfg **c, struct rc_errs *errs)
{
	char path[] = "/tmp/raccord-test-config-XXXXXX";
	enum rc_code rc;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	rc_errs_init(errs);
	rc = cfg_load_all(path, c, errs);
	unlink(path);
	return rc;
}

static void
want_error(const struct rc_errs *errs, const char *want)
{
	size_t i;

	for (i = 0; i < rc_errs_kept(errs); i++)
		if (strstr(errs->e[i].msg, want) != NULL)
			return;
	fail_msg("no error says \"%s\" (%zu errors)", want, errs->n);
}

/*
 * Every error of a config file at once (issue 14): members first; the
 * rules across directives, each of them, once every member is accepted.
 */
static void
test_all_errors_at_once(void **state)
{
	static const char members[] =
	    "{\"network\": {\"timeout_ms\": 5, \"tiemout_ms\": 3,"
	    " \"allow_private\": \"x\"}, \"policy\": {\"amount_cents\": \"x\"},"
	    " \"client_secret\": \"s\", \"daemon\": 3}";
	static const char rules[] =
	    "{\"network\": {\"timeout_ms\": 5000, \"connect_timeout_ms\": 6000,"
	    " \"dossier_timeout_ms\": 4000}, \"daemon\": {\"tls_cert\": "
	    "\"c.pem\"},"
	    " \"policy\": {\"envelope_cents\": 100}}";
	struct rc_errs errs;
	struct rc_err err = { 0 };
	struct cfg *c = (struct cfg *)1;

	(void)state;
	assert_int_equal(load_all(members, &c, &errs), RC_ECONFIG);
	assert_null(c);
	assert_int_equal(errs.n, 6);
	want_error(&errs, "network.timeout_ms: must be between");
	want_error(&errs,
	    "network.tiemout_ms: unknown key; did you mean "
	    "\"network.timeout_ms\"? (allowed in network: ca_file, "
	    "allow_private, resolve, timeout_ms,");
	want_error(&errs, "network.allow_private: must be an array");
	want_error(&errs, "policy.amount_cents: must be an integer");
	want_error(&errs, "client_secret: secrets are never inline");
	want_error(&errs, "daemon: must be an object");
	assert_int_equal(errs.e[0].code, RC_ECONFIG);
	assert_non_null(strstr(errs.e[0].msg, "/tmp/raccord-test-config-"));

	assert_int_equal(load_all(rules, &c, &errs), RC_ECONFIG);
	assert_int_equal(errs.n, 4);
	want_error(&errs, "network.connect_timeout_ms: must not exceed");
	want_error(&errs, "network.dossier_timeout_ms: must be at least");
	want_error(&errs, "daemon.tls_key: required when daemon.tls_cert");
	want_error(&errs, "policy.envelope_cents: 100 is less than one award");

	/* The one-line form: the first error and how many more. */
	assert_int_equal(
	    cfg_load_mem(members, strlen(members), "t.json", &c, &err),
	    RC_ECONFIG);
	assert_non_null(strstr(err.msg, "t.json: network.timeout_ms"));
	assert_non_null(strstr(err.msg, "(and 5 more errors)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors_name_the_path),
		cmocka_unit_test(test_secrets_directives),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_reference_config_in_sync),
		cmocka_unit_test(test_reload_check),
		cmocka_unit_test(test_enomem_is_clean),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_all_errors_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
