/* SPDX-License-Identifier: MIT */
/*
 * démarches-simplifiées mapping (connector/intake/intake_ds.c): each DS
 * dossier of tests/dssim/dossiers_page1.json (an answer shaped by DS's
 * schema, see tests/dssim/README.md) becomes a raccord dossier, or gets
 * one sentence naming the DS dossier and the champ or rule; the compiled
 * GraphQL documents are the files tests/dssim validates.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector/intake/intake.h"

static json_t *nodes;

static int
setup(void **state)
{
	json_t *page;

	(void)state;
	page = json_load_file("tests/dssim/dossiers_page1.json",
	    JSON_REJECT_DUPLICATES, NULL);
	if (page == NULL)
		return -1;
	nodes = json_incref(json_object_get(
	    json_object_get(
	        json_object_get(json_object_get(page, "data"), "demarche"),
	        "dossiers"),
	    "nodes"));
	json_decref(page);
	return json_is_array(nodes) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(nodes);
	return 0;
}

static void
labels(struct intake_ds_mapping *m)
{
	memset(m, 0, sizeof(*m));
	m->demarche = 4242;
	m->champ[INTAKE_DS_KIND] = "Type d'intégration";
	m->champ[INTAKE_DS_CLIENT_ID] =
	    "Identifiant client FranceConnect (client_id)";
	m->champ[INTAKE_DS_LOGIN_URL] = "Adresse de connexion";
	m->champ[INTAKE_DS_REDIRECT_URI] = "URL de retour (redirect_uri)";
	m->champ[INTAKE_DS_ENVIRONMENT] = "Environnement";
	m->champ[INTAKE_DS_IBAN] = "IBAN";
	m->champ[INTAKE_DS_BIC] = "BIC";
}

/* The node of DS dossier number n. */
static json_t *
node(long long n)
{
	json_t *v;
	size_t i;

	json_array_foreach(nodes, i, v) if (json_integer_value(json_object_get(
	                                        v, "number")) == n) return v;
	fail_msg("no DS dossier %lld in the fixture", n);
	return NULL;
}

static void
map_fails(const struct intake_ds_mapping *m, long long n, const char *msg)
{
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	json_t *j = NULL;

	assert_int_equal(intake_ds_map(node(n), m, &j, &d, &err), RC_EINVAL);
	assert_null(j);
	assert_null(d);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("DS %lld: \"%s\" lacks \"%s\"", n, err.msg, msg);
}

static void
test_map_ok(void **state)
{
	struct intake_ds_mapping m;
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	json_t *j = NULL;

	(void)state;
	labels(&m);
	if (intake_ds_map(node(101), &m, &j, &d, &err) != RC_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(d->dossier_id, "DS-4242-101");
	assert_string_equal(d->collectivite.siren, "217500016");
	assert_string_equal(d->collectivite.siret, "21750001600019");
	assert_string_equal(d->collectivite.nom, "COMMUNE DE PARIS");
	assert_string_equal(d->collectivite.categorie, "commune");
	assert_string_equal(d->collectivite.code_insee, "75056");
	assert_int_equal(d->nintegrations, 1);
	assert_int_equal(d->integrations[0].kind, DOSSIER_FRANCECONNECT);
	assert_int_equal(d->integrations[0].env, DOSSIER_ENV_PRODUCTION);
	assert_string_equal(d->integrations[0].client_id, "cid-ok");
	assert_string_equal(d->integrations[0].login_url,
	    "https://mairie.example.fr/auth/franceconnect");
	assert_string_equal(d->paiement.iban, "FR7630006000011234567890189");
	assert_string_equal(d->paiement.titulaire, "COMMUNE DE PARIS");
	assert_string_equal(json_string_value(json_object_get(j, "dossier_id")),
	    "DS-4242-101");
	assert_false(intake_ds_awaiting(d));
	json_decref(j);
	dossier_free(d);
	d = NULL;
	/* An API: mapped without its token, which comes to the daemon. */
	assert_int_equal(intake_ds_map(node(104), &m, &j, &d, &err), RC_OK);
	assert_int_equal(d->integrations[0].kind, DOSSIER_API);
	assert_string_equal(d->integrations[0].api, "api_particulier");
	assert_null(json_object_get(
	    json_array_get(json_object_get(j, "integrations"), 0),
	    "client_id"));
	assert_true(intake_ds_awaiting(d));
	assert_false(intake_ds_awaiting_dgfip(d));
	json_decref(j);
	dossier_free(d);
	d = NULL;
	/* A DGFiP API: mapped without client id nor secret (both come to
	 * the daemon), awaiting them; another API is refused. */
	{
		static const char *const kinds[][2] = {
			{ "API Impôt particulier", "api_impot_particulier" },
			{ "API R2P", "api_r2p" },
			{ "api-ficoba", "api_ficoba" },
		};
		struct rc_buf b;
		json_t *n2 = json_deep_copy(node(104)), *ch = NULL;
		size_t i, k;

		json_array_foreach(json_object_get(n2, "champs"), i,
		    ch) if (strcmp(json_string_value(json_object_get(ch,
		                       "label")),
		                "Type d'intégration") == 0) break;
		assert_non_null(ch);
		for (k = 0; k < 3; k++) {
			json_object_set_new(ch, "stringValue",
			    json_string(kinds[k][0]));
			if (intake_ds_map(n2, &m, &j, &d, &err) != RC_OK)
				fail_msg("%s: %s", kinds[k][0], err.msg);
			assert_string_equal(d->integrations[0].api,
			    kinds[k][1]);
			assert_null(d->integrations[0].oauth_client_id);
			assert_true(intake_ds_awaiting(d));
			assert_true(intake_ds_awaiting_dgfip(d));
			json_decref(j);
			dossier_free(d);
			d = NULL;
		}
		rc_buf_init(&b, 4096);
		assert_int_equal(intake_ds_waiting_text("https://r.example.fr/",
		                     104, true, &b),
		    RC_OK);
		assert_non_null(strstr(b.data,
		    "en attente des identifiants DGFiP (client_id et "
		    "client_secret): déposez-les sur "
		    "https://r.example.fr/#jeton-ds avec le numéro de dossier "
		    "104"));
		rc_buf_free(&b);
		json_object_set_new(ch, "stringValue",
		    json_string("API Droits CNAM"));
		assert_int_equal(intake_ds_map(n2, &m, &j, &d, &err),
		    RC_EINVAL);
		assert_non_null(strstr(err.msg, "API Impôt particulier"));
		json_decref(n2);
	}
	/* FranceConnect+ */
	assert_int_equal(intake_ds_map(node(107), &m, &j, &d, &err), RC_OK);
	assert_true(d->integrations[0].plus);
	json_decref(j);
	dossier_free(d);
	d = NULL;
	/* By champDescriptorId rather than label; no IBAN mapped: no paiement.
	 */
	m.champ[INTAKE_DS_LOGIN_URL] = "Q2hhbXBEZXNjcmlwdG9yLT3";
	m.champ[INTAKE_DS_IBAN] = NULL;
	m.default_categorie = "epci";
	assert_int_equal(intake_ds_map(node(101), &m, &j, &d, &err), RC_OK);
	assert_string_equal(d->integrations[0].login_url,
	    "https://mairie.example.fr/auth/franceconnect");
	assert_null(json_object_get(j, "paiement"));
	assert_string_equal(d->collectivite.categorie, "epci");
	json_decref(j);
	dossier_free(d);
}

static void
test_map_refused(void **state)
{
	struct intake_ds_mapping m;

	(void)state;
	labels(&m);
	map_fails(&m, 102,
	    "DS dossier 102: champ \"Adresse de connexion\" (login_url) is "
	    "empty");
	map_fails(&m, 103, "DS dossier 103: demandeur SIRET 21750001600018");
	map_fails(&m, 105,
	    "DS dossier 105: the demandeur is not a personne morale with a "
	    "SIRET (PersonnePhysique)");
	map_fails(&m, 106, "DS dossier 106");
	map_fails(&m, 106, "paiement.iban");
	m.champ[INTAKE_DS_REDIRECT_URI] = "Pas dans la démarche";
	map_fails(&m, 101,
	    "champ \"Pas dans la démarche\" (redirect_uri) is missing from "
	    "the dossier");
	labels(&m);
	m.champ[INTAKE_DS_CLIENT_ID] = NULL;
	map_fails(&m, 101, "intake.ds.mapping.client_id is not configured");
}

/* The updatedSince cursor: DS times compared as instants, not strings. */
static void
test_ds_time(void **state)
{
	struct intake_ds_instant a, b;

	(void)state;
	assert_int_equal(intake_ds_time("2026-11-30T10:15:32+01:00", &a),
	    RC_OK);
	assert_int_equal(a.s, 1796030132LL);
	assert_int_equal(intake_ds_time("2026-11-30T09:15:32Z", &b), RC_OK);
	assert_int_equal(intake_ds_time_cmp(&a, &b), 0);
	/* As strings "10:15+01:00" > "09:20Z"; as times it is earlier. */
	assert_int_equal(intake_ds_time("2026-11-30T09:20:00Z", &b), RC_OK);
	assert_true(
	    strcmp("2026-11-30T10:15:32+01:00", "2026-11-30T09:20:00Z") > 0);
	assert_true(intake_ds_time_cmp(&a, &b) < 0);
	/* Summer time: +02:00 then +01:00. */
	assert_int_equal(intake_ds_time("2026-10-25T02:30:00+02:00", &a),
	    RC_OK);
	assert_int_equal(intake_ds_time("2026-10-25T02:10:00+01:00", &b),
	    RC_OK);
	assert_true(intake_ds_time_cmp(&a, &b) < 0);
	/* Fractions, offsets without a colon, negative offsets. */
	assert_int_equal(intake_ds_time("2026-11-30T09:15:32.250+0000", &a),
	    RC_OK);
	assert_int_equal(a.ns, 250000000LL);
	assert_int_equal(intake_ds_time("2026-11-30T09:15:32.2500001Z", &b),
	    RC_OK);
	assert_true(intake_ds_time_cmp(&a, &b) < 0);
	assert_int_equal(intake_ds_time("2026-11-30T04:15:32-05:00", &a),
	    RC_OK);
	assert_int_equal(a.s, 1796030132LL);
	/* Not a DS time: refused (the cursor never moves on one). */
	assert_int_equal(intake_ds_time("2026-11-30T10:15:32", &a), RC_EINVAL);
	assert_int_equal(intake_ds_time("2026-13-30T10:15:32Z", &a), RC_EINVAL);
	assert_int_equal(intake_ds_time("2026-02-30T10:15:32Z", &a), RC_EINVAL);
	assert_int_equal(intake_ds_time("2026-11-30T10:15:32+1:00", &a),
	    RC_EINVAL);
	assert_int_equal(intake_ds_time("2026-11-30T10:15:32Zjunk", &a),
	    RC_EINVAL);
	assert_int_equal(intake_ds_time("2026-11-30T10:15:32.Z", &a),
	    RC_EINVAL);
	assert_int_equal(intake_ds_time(NULL, &a), RC_EINVAL);
}

static void
test_documents(void **state)
{
	FILE *f;
	char buf[8192];
	size_t n;

	(void)state;
	f = fopen("connector/intake/ds_dossiers.graphql", "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(intake_ds_document(INTAKE_DS_DOC_DOSSIERS), buf);
	assert_non_null(strstr(intake_ds_document(INTAKE_DS_DOC_ANNOTATE),
	    "dossierModifierAnnotations(input: $input)"));
	assert_non_null(strstr(intake_ds_document(INTAKE_DS_DOC_INSTRUCT),
	    "dossierPasserEnInstruction(input: $input)"));
	assert_null(intake_ds_document(INTAKE_DS_DOC__MAX));
	assert_string_equal(intake_ds_field_str(INTAKE_DS_LOGIN_URL),
	    "login_url");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_ok),
		cmocka_unit_test(test_map_refused),
		cmocka_unit_test(test_ds_time),
		cmocka_unit_test(test_documents),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
