/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/dossier: the sample dossiers parse, every
 * error path names its JSON path and the rule, ownership is clean under
 * allocation failure.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/mem.h"
#include "verifier/dossier.h"

static const char base[] =
    "{\"dossier_id\": \"DP-2021-4242\","
    " \"collectivite\": {\"siren\": \"217500016\","
    "   \"siret\": \"21750001600019\", \"nom\": \"Commune de Paris\","
    "   \"categorie\": \"commune\", \"code_insee\": \"75056\"},"
    " \"paiement\": {\"titulaire\": \"Ville de Paris\","
    "   \"iban\": \"FR76 3000 1007 9412 3456 7890 185\","
    "   \"bic\": \"bdfefrppcct\"},"
    " \"integrations\": ["
    "  {\"kind\": \"franceconnect\", \"client_id\": \"abc123\","
    "   \"login_url\": \"https://mairie.example/connexion\","
    "   \"redirect_uri\": \"https://mairie.example/callback\","
    "   \"post_logout_redirect_uri\": \"https://mairie.example/\","
    "   \"button_page_url\": \"http://mairie.example/\","
    "   \"logout_url\": \"https://mairie.example/deconnexion\"},"
    "  {\"kind\": \"api\", \"api\": \"api_particulier\","
    "   \"environment\": \"integration\", \"api_version\": 2,"
    "   \"token_env\": \"API_PART_TOKEN\"},"
    "  {\"kind\": \"api\", \"api\": \"api_ficoba\","
    "   \"oauth_client_id\": \"cid\","
    "   \"client_secret_file\": \"ficoba.secret\"}]}";

static void
test_base_parses(void **state)
{
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	const struct dossier_integration *in;

	(void)state;
	assert_int_equal(dossier_parse(base, strlen(base), "t", &d, &err),
	    RC_OK);
	assert_string_equal(d->dossier_id, "DP-2021-4242");
	assert_string_equal(d->collectivite.siren, "217500016");
	assert_string_equal(d->collectivite.categorie, "commune");
	assert_string_equal(d->collectivite.code_insee, "75056");
	assert_string_equal(d->paiement.iban, "FR7630001007941234567890185");
	assert_string_equal(d->paiement.bic, "BDFEFRPPCCT");
	assert_int_equal(d->nintegrations, 3);
	in = &d->integrations[0];
	assert_int_equal(in->kind, DOSSIER_FRANCECONNECT);
	assert_int_equal(in->env, DOSSIER_ENV_PRODUCTION);
	assert_int_equal(in->plus, 0);
	assert_string_equal(in->path, "integrations[0]");
	assert_string_equal(in->client_id, "abc123");
	assert_string_equal(in->button_page_url, "http://mairie.example/");
	assert_string_equal(in->logout_url,
	    "https://mairie.example/deconnexion");
	assert_null(in->api);
	in = &d->integrations[1];
	assert_int_equal(in->kind, DOSSIER_API);
	assert_int_equal(in->env, DOSSIER_ENV_INTEGRATION);
	assert_string_equal(in->api, "api_particulier");
	assert_int_equal(in->api_version, 2);
	assert_string_equal(in->token_env, "API_PART_TOKEN");
	assert_null(in->token_file);
	in = &d->integrations[2];
	assert_string_equal(in->api, "api_ficoba");
	assert_string_equal(in->oauth_client_id, "cid");
	assert_string_equal(in->client_secret_file, "ficoba.secret");
	assert_null(in->client_secret_env);
	assert_string_equal(dossier_kind_str(DOSSIER_API), "api");
	assert_string_equal(dossier_env_str(DOSSIER_ENV_INTEGRATION),
	    "integration");
	assert_string_equal(dossier_kind_str(DOSSIER_KIND__MAX), "unknown");
	dossier_free(d);
	dossier_free(NULL);
}

static void
test_examples_parse(void **state)
{
	static const char *const files[] = {
		"examples/dossiers/franceconnect-demo.json",
		"examples/dossiers/api-particulier.json",
		"examples/dossiers/both-kinds.json",
	};
	struct dossier *d = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct rc_err err = { 0 };

		if (dossier_load_file(files[i], &d, &err) != RC_OK)
			fail_msg("%s: %s", files[i], err.msg);
		assert_true(d->nintegrations >= 1);
		dossier_free(d);
	}
}

/*
 * Apply one edit to the base document: set the value at path (JSON text)
 * or, with value NULL, delete it.  path: "a.b", "integrations[1].x".
 */
static char *
edit(const char *path, const char *value)
{
	json_t *root, *cur, *v = NULL;
	char buf[256], *p, *dot, *br, *out;
	json_error_t jerr;

	root = json_loads(base, 0, &jerr);
	assert_non_null(root);
	if (value != NULL) {
		v = json_loads(value, JSON_DECODE_ANY, &jerr);
		if (v == NULL)
			fail_msg("bad test value %s: %s", value, jerr.text);
	}
	snprintf(buf, sizeof(buf), "%s", path);
	cur = root;
	for (p = buf;;) {
		dot = strchr(p, '.');
		if (dot != NULL)
			*dot = '\0';
		br = strchr(p, '[');
		if (br != NULL) {
			*br = '\0';
			cur = json_array_get(json_object_get(cur, p),
			    strtoul(br + 1, NULL, 10));
		} else if (dot != NULL) {
			cur = json_object_get(cur, p);
		} else {
			if (v == NULL)
				json_object_del(cur, p);
			else
				json_object_set_new(cur, p, v);
			break;
		}
		assert_non_null(cur);
		if (dot == NULL) { /* path ended with [i]: replace element */
			json_decref(v);
			fail_msg("unsupported path %s", path);
		}
		p = dot + 1;
	}
	out = json_dumps(root, 0);
	json_decref(root);
	assert_non_null(out);
	return out;
}

struct bad_case {
	const char *path;
	const char *value; /* NULL: delete */
	const char *expect;
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ "extra", "1", "t: extra: unknown key" },
	{ "dossier_id", NULL, "dossier_id: is required" },
	{ "dossier_id", "\"\"", "dossier_id: must not be empty" },
	{ "dossier_id", "42", "dossier_id: must be a string" },
	{ "dossier_id", "\"a\\u0001b\"", "dossier_id: contains a control character" },
	{ "collectivite", NULL, "collectivite: is required" },
	{ "collectivite", "[]", "collectivite: must be an object" },
	{ "collectivite.tel", "\"x\"", "collectivite.tel: unknown key" },
	{ "collectivite.siren", NULL, "collectivite.siren: is required" },
	{ "collectivite.siren", "\"217500017\"", "collectivite.siren: 217500017 fails the Luhn check" },
	{ "collectivite.siren", "\"21750001\"", "collectivite.siren: 21750001 is not 9 digits" },
	{ "collectivite.siret", "\"21750001600018\"", "collectivite.siret: 21750001600018 fails the Luhn check" },
	{ "collectivite.siret", "\"2175000160001\"", "collectivite.siret: 2175000160001 is not 14 digits" },
	{ "collectivite.siret", "\"13002526500013\"", "collectivite.siret: 13002526500013 does not start with the SIREN 217500016" },
	/* Differs from the SIREN 217500016 only in the 9th digit, and
	 * passes Luhn over 14 digits (issue 12 §2 boundary). */
	{ "collectivite.siret", "\"21750001700009\"", "collectivite.siret: 21750001700009" },
	{ "collectivite.nom", "\"\"", "collectivite.nom: must not be empty" },
	{ "collectivite.categorie", NULL, "collectivite.categorie: is required" },
	{ "collectivite.categorie", "\"ville\"", "collectivite.categorie: unknown categorie \"ville\"" },
	/* the allowed values, and a "did you mean" when one is close (issue 14) */
	{ "collectivite.categorie", "\"Commune\"", "collectivite.categorie: unknown categorie \"Commune\"; did you mean \"commune\"? (one of: commune, epci," },
	{ "collectivite.categorie", "\"ville\"", "(one of: commune, epci, departement" },
	{ "integrations[0].clientid", "\"x\"", "integrations[0].clientid: unknown key; did you mean \"client_id\"? (allowed: kind, environment, plus, client_id, login_url," },
	{ "collectivite.siret_", "\"x\"", "collectivite.siret_: unknown key; did you mean \"siret\"? (allowed: siren, siret, nom," },
	{ "collectivite.code_insee", "\"20004\"", "collectivite.code_insee: 20004 uses d" },
	{ "collectivite.code_insee", "75056", "collectivite.code_insee: must be a string" },
	{ "paiement", "null", "paiement: must be an object" },
	{ "paiement.iban", NULL, "paiement.iban: is required" },
	{ "paiement.iban", "\"FR76 3000 1007 9412 3456 7890 186\"", "paiement.iban: the IBAN fails the ISO 13616 mod-97 check" },
	{ "paiement.iban", "\"FR76-3000\"", "paiement.iban: must hold only letters, digits and spaces" },
	{ "paiement.iban", "\"US7630001007941234567890185\"", "paiement.iban: the IBAN is not from a SEPA country" },
	{ "paiement.bic", "\"BDFEFR\"", "paiement.bic: BDFEFR is not 8 or 11 characters" },
	{ "paiement.titulaire", NULL, "paiement.titulaire: is required" },
	{ "paiement.rib", "\"x\"", "paiement.rib: unknown key" },
	{ "integrations", NULL, "integrations: is required" },
	{ "integrations", "[]", "integrations: must list at least one" },
	{ "integrations", "{}", "integrations: must be an array" },
	{ "integrations", "[1]", "integrations[0]: must be an object" },
	{ "integrations[1].tokn", "\"x\"", "integrations[1].tokn: unknown key" },
	{ "integrations[1].token", "\"eyJ...\"", "integrations[1].token: tokens are never inline: use token_file or token_env" },
	{ "integrations[2].client_secret", "\"s\"", "integrations[2].client_secret: secrets are never inline" },
	{ "integrations[0].kind", NULL, "integrations[0].kind: is required" },
	{ "integrations[0].kind", "\"saml\"", "integrations[0].kind: unknown kind \"saml\"" },
	{ "integrations[0].environment", "\"staging\"", "integrations[0].environment: unknown environment" },
	{ "integrations[0].plus", "\"yes\"", "integrations[0].plus: must be true or false" },
	{ "integrations[0].client_id", NULL, "integrations[0].client_id: is required" },
	{ "integrations[0].login_url", NULL, "integrations[0].login_url: is required" },
	{ "integrations[0].redirect_uri", NULL, "integrations[0].redirect_uri: is required" },
	{ "integrations[0].token_file", "\"f\"", "integrations[0].token_file: not used by kind franceconnect" },
	{ "integrations[0].login_url", "\"ftp://mairie.example/\"", "integrations[0].login_url: scheme must be https (or http), not ftp" },
	{ "integrations[0].login_url", "\"/connexion\"", "integrations[0].login_url: not an absolute http(s) URL" },
	{ "integrations[0].login_url", "\"https://mairie.example/a b\"", "integrations[0].login_url: must be a URL of printable ASCII" },
	{ "integrations[0].redirect_uri", "\"https://u:p@mairie.example/cb\"", "integrations[0].redirect_uri: user information" },
	{ "integrations[0].redirect_uri", "\"https://u@mairie.example/cb\"", "integrations[0].redirect_uri: user information" },
	{ "integrations[0].button_page_url", "\"mairie.example\"", "integrations[0].button_page_url: not an absolute http(s) URL" },
	{ "integrations[0].post_logout_redirect_uri", "\"javascript:alert(1)\"", "integrations[0].post_logout_redirect_uri:" },
	{ "integrations[0].logout_url", "\"/deconnexion\"", "integrations[0].logout_url: not an absolute http(s) URL" },
	{ "integrations[0].login_url", "\"https://mairie-\\u00e9vry.fr/\"", "integrations[0].login_url: must be a URL of printable ASCII" },
	{ "integrations[1].api", NULL, "integrations[1].api: is required" },
	{ "integrations[1].api", "\"api_foo\"", "integrations[1].api: unknown API \"api_foo\"" },
	{ "integrations[1].token_env", NULL, "integrations[1]: one of token_file or token_env is required" },
	{ "integrations[1].token_file", "\"t\"", "integrations[1]: give either token_file or token_env, not both" },
	{ "integrations[1].token_env", "\"1BAD\"", "integrations[1].token_env: not an environment variable name" },
	{ "integrations[1].token_env", "\"A-B\"", "integrations[1].token_env: not an environment variable name" },
	{ "integrations[1].api_version", "4", "integrations[1].api_version: must be between 2 and 3" },
	{ "integrations[1].api_version", "\"3\"", "integrations[1].api_version: must be an integer" },
	{ "integrations[1].oauth_client_id", "\"x\"", "integrations[1].oauth_client_id: not used by api_particulier" },
	{ "integrations[1].login_url", "\"https://a.example/\"", "integrations[1].login_url: not used by api_particulier" },
	{ "integrations[2].api_version", "3", "integrations[2].api_version: only applies to api_particulier" },
	{ "integrations[2].token_file", "\"t\"", "integrations[2].token_file: not used by api_ficoba (DGFiP APIs use oauth_client_id" },
	{ "integrations[2].oauth_client_id", NULL, "integrations[2].oauth_client_id: is required" },
	{ "integrations[2].client_secret_file", NULL, "integrations[2]: one of client_secret_file or client_secret_env is required" },
	{ "integrations[2].client_secret_env", "\"S\"", "integrations[2]: give either client_secret_file or client_secret_env, not both" },
	{ "integrations[2].client_secret_file", "\"\"", "integrations[2].client_secret_file: must not be empty" },
	/* secret files are relative to the dossier's secrets folder (issue 8) */
	{ "integrations[2].client_secret_file", "\"/etc/raccord/other.secret\"", "integrations[2].client_secret_file: must be a file name relative to the dossier's secrets folder" },
	{ "integrations[2].client_secret_file", "\"../21750001600027/DP-1/s\"", "integrations[2].client_secret_file: must be a file name relative" },
	{ "integrations[2].client_secret_file", "\"a/../../s\"", "integrations[2].client_secret_file: must be a file name relative" },
	{ "integrations[2].client_secret_file", "\"./s\"", "integrations[2].client_secret_file: must be a file name relative" },
	{ "integrations[2].client_secret_file", "\"a//s\"", "integrations[2].client_secret_file: must be a file name relative" },
	/* identifiers INSEE never assigns (issue 8 item 8) */
	{ "collectivite.siren", "\"000000000\"", "collectivite.siren: 000000000 is not a SIREN" },
	{ "collectivite.siret", "\"00000000000000\"", "collectivite.siret: 00000000000000 is not a SIRET" },
};
/* clang-format on */

/* A self-check needs no bank details: paiement may be left out (an
 * award then refuses: connector/payable.c "no_bank_details"). */
static void
test_no_paiement(void **state)
{
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	char *doc = edit("paiement", NULL);

	(void)state;
	assert_int_equal(dossier_parse(doc, strlen(doc), "t", &d, &err), RC_OK);
	assert_null(d->paiement.iban);
	assert_null(d->paiement.titulaire);
	dossier_free(d);
	free(doc);
}

static void
test_errors_name_the_path(void **state)
{
	struct dossier *d;
	enum rc_code rc;
	char *doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rc_err err = { 0 };

		doc = edit(bad_cases[i].path, bad_cases[i].value);
		d = (struct dossier *)1;
		rc = dossier_parse(doc, strlen(doc), "t", &d, &err);
		free(doc);
		if (rc != RC_EINVAL || d != NULL)
			fail_msg("case %zu (%s): rc %d, %s", i,
			    bad_cases[i].path, rc, err.msg);
		if (strstr(err.msg, bad_cases[i].expect) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    err.msg, bad_cases[i].expect);
	}
}

/* A valid dossier with k API integrations. */
static void
make_many(char *doc, size_t cap, size_t k)
{
	size_t n, i;

	n = (size_t)snprintf(doc, cap,
	    "{\"dossier_id\":\"x\",\"collectivite\":{\"siren\":"
	    "\"217500016\",\"siret\":\"21750001600019\",\"nom\":\"P\","
	    "\"categorie\":\"commune\"},\"paiement\":{\"titulaire\":\"P\","
	    "\"iban\":\"FR7630001007941234567890185\",\"bic\":"
	    "\"BDFEFRPP\"},\"integrations\":[");
	for (i = 0; i < k; i++)
		n += (size_t)snprintf(doc + n, cap - n,
		    "%s{\"kind\":\"api\",\"api\":\"api_entreprise\","
		    "\"token_env\":\"T\"}",
		    i ? "," : "");
	n += (size_t)snprintf(doc + n, cap - n, "]}");
	assert_true(n < cap);
}

static void
test_malformed_and_limits(void **state)
{
	struct dossier *d = NULL;
	struct rc_err err = { 0 };
	char doc[4096];

	(void)state;
	assert_int_equal(dossier_parse("{", 1, "x.json", &d, &err), RC_EPARSE);
	assert_null(d);
	assert_non_null(strstr(err.msg, "x.json"));

	rc_err_clear(&err);
	assert_int_equal(dossier_parse("{\"a\":1,\"a\":2}", 13, "x", &d, &err),
	    RC_EPARSE);

	rc_err_clear(&err);
	assert_int_equal(dossier_parse("[]", 2, "x", &d, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "must be a JSON object"));

	rc_err_clear(&err);
	assert_int_equal(
	    dossier_parse("{}", DOSSIER_MAX_BYTES + 1, "x", &d, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "limit"));

	rc_err_clear(&err);
	assert_int_equal(dossier_load_file("/nonexistent/d.json", &d, &err),
	    RC_ESYS);

	rc_err_clear(&err);
	make_many(doc, sizeof(doc), DOSSIER_MAX_INTEGRATIONS + 1);
	assert_int_equal(dossier_parse(doc, strlen(doc), "x", &d, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "integrations: at most 16"));
	rc_err_clear(&err);
	make_many(doc, sizeof(doc), DOSSIER_MAX_INTEGRATIONS);
	assert_int_equal(dossier_parse(doc, strlen(doc), "x", &d, &err), RC_OK);
	assert_int_equal(d->nintegrations, DOSSIER_MAX_INTEGRATIONS);
	assert_string_equal(d->integrations[15].path, "integrations[15]");
	dossier_free(d);
}

static void
test_enomem_is_clean(void **state)
{
	struct dossier *d;
	enum rc_code rc;
	unsigned long n;

	(void)state;
	for (n = 1; n < 200; n++) {
		struct rc_err err = { 0 };

		d = NULL;
		rc_mem_fail_after(n);
		rc = dossier_parse(base, strlen(base), "t", &d, &err);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, RC_OK);
			dossier_free(d);
			return; /* every allocation has failed once */
		}
		rc_mem_fail_after(0);
		assert_int_equal(rc, RC_ENOMEM);
		assert_null(d);
	}
	fail_msg("more than 200 allocations?");
}

/* A dossier with one mistake in each section and in each integration. */
static const char many_bad[] =
    "{\"dossier_id\": \"\", \"extra\": 1,"
    " \"collectivite\": {\"siren\": \"217500017\","
    "   \"siret\": \"2175000160001\", \"nom\": \"P\","
    "   \"categorie\": \"Commune\"},"
    " \"paiement\": {\"titulaire\": \"P\", \"iban\": \"FR00\","
    "   \"bic\": \"BDFEFRPP\"},"
    " \"integrations\": ["
    "  {\"kind\": \"franceconnect\", \"client_id\": \"c\","
    "   \"login_url\": \"ftp://x/\", \"token\": \"s3cr3t\"},"
    "  {\"kind\": \"api\", \"api\": \"api_entreprise\"},"
    "  {\"kind\": \"nope\"}]}";

/* Every error of a dossier at once, each naming where, none twice. */
static void
test_all_errors_at_once(void **state)
{
	static const char *const want[] = {
		"t: extra: unknown key",
		"t: dossier_id: must not be empty",
		"t: collectivite.siren: 217500017",
		"t: collectivite.siret: 2175000160001",
		"t: collectivite.categorie: unknown categorie \"Commune\"; "
		"did you mean \"commune\"?",
		"t: paiement.iban: the IBAN",
		"t: integrations[0].token: tokens are never inline",
		"t: integrations[0].login_url",
		"t: integrations[0].redirect_uri: is required",
		"t: integrations[1]: one of token_file or token_env is "
		"required",
		"t: integrations[2].kind: unknown kind \"nope\"",
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	struct rc_errs errs;
	struct dossier *d = (struct dossier *)1;
	size_t i, j;

	(void)state;
	rc_errs_init(&errs);
	assert_int_equal(
	    dossier_parse_all(many_bad, strlen(many_bad), "t", &d, &errs),
	    RC_EINVAL);
	assert_null(d);
	assert_int_equal(errs.n, nwant);
	assert_int_equal(rc_errs_more(&errs), 0);
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < errs.n; j++)
			if (strstr(errs.e[j].msg, want[i]) != NULL)
				break;
		if (j == errs.n)
			fail_msg("no error says \"%s\"", want[i]);
	}
	/* The secret's value is never quoted back. */
	for (j = 0; j < errs.n; j++)
		assert_null(strstr(errs.e[j].msg, "s3cr3t"));
}

/*
 * More errors than RC_ERRS_KEEP: the first ones kept, the rest counted;
 * the one-line form says how many more.
 */
static void
test_errors_capped(void **state)
{
	char doc[4096], key[16];
	struct rc_errs errs;
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	size_t n, i, total = RC_ERRS_KEEP + 7;

	(void)state;
	n = (size_t)snprintf(doc, sizeof(doc), "{");
	for (i = 0; i < total; i++) {
		snprintf(key, sizeof(key), "zz%02zu", i);
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"%s\": 1",
		    i ? ", " : "", key);
	}
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "}");
	assert_true(n < sizeof(doc));
	rc_errs_init(&errs);
	assert_int_equal(dossier_parse_all(doc, n, "t", &d, &errs), RC_EINVAL);
	/* 27 unknown keys, then the four required sections missing */
	assert_int_equal(errs.n, total + 3);
	assert_int_equal(rc_errs_kept(&errs), RC_ERRS_KEEP);
	assert_int_equal(rc_errs_more(&errs), total + 3 - RC_ERRS_KEEP);
	assert_non_null(strstr(errs.e[0].msg, "t: zz00: unknown key"));
	assert_non_null(
	    strstr(errs.e[RC_ERRS_KEEP - 1].msg, "t: zz19: unknown key"));

	assert_int_equal(dossier_parse(doc, n, "t", &d, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "t: zz00: unknown key"));
	assert_non_null(strstr(err.msg, "(and 29 more errors)"));
}

/* Out of memory while errors pile up: RC_ENOMEM, nothing leaked. */
static void
test_enomem_while_collecting(void **state)
{
	struct dossier *d;
	struct rc_errs errs;
	enum rc_code rc;
	unsigned long n;

	(void)state;
	for (n = 1; n < 200; n++) {
		d = NULL;
		rc_errs_init(&errs);
		rc_mem_fail_after(n);
		rc = dossier_parse_all(many_bad, strlen(many_bad), "t", &d,
		    &errs);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, RC_EINVAL);
			return;
		}
		rc_mem_fail_after(0);
		assert_int_equal(rc, RC_ENOMEM);
		assert_int_equal(errs.code, RC_ENOMEM);
		assert_null(d);
	}
	fail_msg("more than 200 allocations?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_parses),
		cmocka_unit_test(test_examples_parse),
		cmocka_unit_test(test_errors_name_the_path),
		cmocka_unit_test(test_no_paiement),
		cmocka_unit_test(test_malformed_and_limits),
		cmocka_unit_test(test_enomem_is_clean),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_errors_capped),
		cmocka_unit_test(test_enomem_while_collecting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
