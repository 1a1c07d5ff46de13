/* SPDX-License-Identifier: MIT */
/*
 * Sealed conformance reports (connector/conf_seal.h): the right one
 * passes; a hand-edited report, an edited seal, a report for another
 * client_id, redirect_uri or dossier, a stale one, one from the future,
 * one sealed by another key and an unsigned one are each refused with
 * their reason.  The award's ledger entry keeps conformance_sha256.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "connector/conf_seal.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"
#include "connector/ledger/note.h"
#include "verifier/dossier.h"

static const char skey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+"
                           "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
/* another Ed25519 key (C2SP signed-note test vector) */
static const char other_skey[] =
    "PRIVATE+KEY+example.com/log/testdata+33d7b496+"
    "AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";

static const char dossier_json[] =
    "{\"dossier_id\":\"DP-1\",\"collectivite\":{\"siren\":\"217500016\","
    "\"siret\":\"21750001600019\",\"nom\":\"Commune\",\"categorie\":"
    "\"commune\"},\"paiement\":{\"titulaire\":\"DRFIP\",\"iban\":"
    "\"FR1420041010050500013M02606\",\"bic\":\"PSSTFRPPTOU\"},"
    "\"integrations\":["
    "{\"kind\":\"franceconnect\",\"environment\":\"production\","
    "\"client_id\":\"prod123\",\"login_url\":\"https://portail.example.fr/"
    "login\",\"redirect_uri\":\"https://portail.example.fr/callback\"},"
    "{\"kind\":\"franceconnect\",\"environment\":\"integration\","
    "\"client_id\":\"int456\",\"login_url\":\"https://recette.example.fr/"
    "login\",\"redirect_uri\":\"https://recette.example.fr/callback\"}]}";

#define NOW ((time_t)1800000000)

struct fx {
	struct note_signer *s;
	struct dossier *d;
	json_t *report;
};

static int
setup(void **state)
{
	static struct fx f;
	struct rc_err err = { 0 };

	memset(&f, 0, sizeof(f));
	assert_int_equal(note_signer_from_skey(skey, &f.s, &err), RC_OK);
	assert_int_equal(
	    dossier_parse(dossier_json, strlen(dossier_json), "t", &f.d, &err),
	    RC_OK);
	f.report = json_pack("{s:s, s:[{s:s, s:s, s:[{s:s, s:s}]}]}",
	    "dossier_id", "DP-1", "integrations", "kind", "conformance",
	    "verdict", "verified", "checks", "id", "fc.conformance.reference",
	    "status", "pass");
	assert_non_null(f.report);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	note_signer_free(f->s);
	dossier_free(f->d);
	json_decref(f->report);
	return 0;
}

static json_t *
seal_with(const struct fx *f, const struct note_signer *s, const char *cid,
    const char *ru, time_t end)
{
	struct conf_seal_binding b = { .dossier_id = "DP-1",
		.client_id = cid,
		.test_client_id = "raccord-0011223344556677",
		.redirect_uri = ru,
		.environment = "integration",
		.issuer = "https://127.0.0.1:8443/api/v2",
		.start = end - 60,
		.end = end };
	struct rc_err err = { 0 };
	json_t *o = NULL;

	assert_int_equal(conf_seal_make(s, f->report, &b, &o, &err), RC_OK);
	return o;
}

static json_t *
seal(const struct fx *f)
{
	return seal_with(f, f->s, "int456",
	    "https://recette.example.fr/callback", NOW - 3600);
}

/* The reason conf_seal_check gives for sealed, or NULL. */
static const char *
check(const struct fx *f, json_t *sealed, long long max_age)
{
	static char buf[500];
	const json_t *rep;
	char hash[65];
	const char *why;

	why = conf_seal_check(sealed, f->s, f->d, NOW, max_age, &rep, hash, buf,
	    sizeof(buf));
	if (why == NULL) {
		assert_ptr_equal(rep, json_object_get(sealed, "report"));
		assert_int_equal(strlen(hash), 64);
	}
	return why;
}

static void
test_right_one_passes(void **state)
{
	struct fx *f = *state;
	json_t *o = seal(f);
	const char *n;

	assert_null(check(f, o, 30));
	/* the signed text says what was bound */
	n = json_string_value(json_object_get(o, "seal"));
	assert_non_null(strstr(n, "\nclient_id int456\n"));
	assert_non_null(strstr(n, "\nenvironment integration\n"));
	assert_non_null(strstr(n, "\nissuer https://127.0.0.1:8443/api/v2\n"));
	assert_non_null(strstr(n, "\nend 2027-01-15T07:00:00Z\n"));
	assert_non_null(strstr(n, "\nverdict verified\n"));
	/* survives a trip through a file (indented, reloaded) */
	{
		char *s = json_dumps(o, JSON_INDENT(2));
		json_t *back = json_loads(s, 0, NULL);

		assert_null(check(f, back, 30));
		json_decref(back);
		free(s);
	}
	json_decref(o);
}

static void
test_edited_report_refused(void **state)
{
	struct fx *f = *state;
	json_t *o = seal(f), *sec;

	/* the sealed object shares f->report: edit a copy */
	json_object_set_new(o, "report",
	    json_deep_copy(json_object_get(o, "report")));
	sec = json_array_get(
	    json_object_get(json_object_get(o, "report"), "integrations"), 0);
	json_object_set_new(json_array_get(json_object_get(sec, "checks"), 0),
	    "status", json_string("fail"));
	json_object_set_new(sec, "verdict", json_string("verified"));
	assert_non_null(strstr(check(f, o, 30), "changed after it was sealed"));
	json_decref(o);
}

static void
test_edited_seal_refused(void **state)
{
	struct fx *f = *state;
	json_t *o = seal(f);
	char *n = rc_strdup(json_string_value(json_object_get(o, "seal")));
	char *p = strstr(n, "int456");

	p[0] = 'X'; /* claim another client */
	json_object_set_new(o, "seal", json_string(n));
	assert_non_null(strstr(check(f, o, 30), "not a valid signature"));
	rc_free(n);
	json_decref(o);
}

static void
test_other_client_refused(void **state)
{
	struct fx *f = *state;
	json_t *o = seal_with(f, f->s, "prod123",
	    "https://recette.example.fr/callback", NOW - 3600);

	assert_non_null(strstr(check(f, o, 30),
	    "tested client_id prod123, but the dossier's integrations[1] "
	    "has client_id int456"));
	json_decref(o);
	o = seal_with(f, f->s, "int456", "https://evil.example.fr/callback",
	    NOW - 3600);
	assert_non_null(strstr(check(f, o, 30), "tested redirect_uri"));
	json_decref(o);
}

static void
test_stale_refused(void **state)
{
	struct fx *f = *state;
	json_t *o = seal_with(f, f->s, "int456",
	    "https://recette.example.fr/callback", NOW - 31 * 86400);

	assert_non_null(strstr(check(f, o, 30), "is stale"));
	assert_null(check(f, o, 40)); /* the directive decides */
	json_decref(o);
	o = seal_with(f, f->s, "int456", "https://recette.example.fr/callback",
	    NOW + 3600);
	assert_non_null(strstr(check(f, o, 30), "not over yet"));
	json_decref(o);
}

static void
test_unsigned_refused(void **state)
{
	struct fx *f = *state;
	struct note_signer *other = NULL;
	struct rc_err err = { 0 };
	json_t *o;

	/* the bare report, as raccord conformance --format json prints */
	assert_non_null(strstr(check(f, f->report, 30), "not signed"));
	/* a seal without its report */
	o = seal(f);
	json_object_del(o, "report");
	assert_non_null(strstr(check(f, o, 30), "not signed"));
	json_decref(o);
	/* a report with its format but without the seal */
	o = seal(f);
	json_object_del(o, "seal");
	assert_non_null(strstr(check(f, o, 30), "not signed"));
	json_decref(o);
	/* sealed by a key that is not this ledger's */
	assert_int_equal(note_signer_from_skey(other_skey, &other, &err),
	    RC_OK);
	o = seal_with(f, other, "int456", "https://recette.example.fr/callback",
	    NOW - 3600);
	assert_non_null(strstr(check(f, o, 30), "not a valid signature"));
	json_decref(o);
	note_signer_free(other);
}

static void
test_other_dossier_refused(void **state)
{
	struct fx *f = *state;
	struct conf_seal_binding b = { .dossier_id = "DP-2",
		.client_id = "int456",
		.test_client_id = "raccord-0011223344556677",
		.redirect_uri = "https://recette.example.fr/callback",
		.environment = "integration",
		.issuer = "https://127.0.0.1:8443/api/v2",
		.start = NOW - 100,
		.end = NOW - 50 };
	struct rc_err err = { 0 };
	json_t *o = NULL;

	assert_int_equal(conf_seal_make(f->s, f->report, &b, &o, &err), RC_OK);
	assert_non_null(strstr(check(f, o, 30), "for dossier DP-2, not DP-1"));
	json_decref(o);
	/* a value with a newline cannot smuggle a line into the seal */
	b.dossier_id = "DP-1\nclient_id x";
	assert_int_equal(conf_seal_make(f->s, f->report, &b, &o, &err),
	    RC_EINVAL);
}

/* The award entry records the sealed report's hash, and reads it back. */
static void
test_entry_records_hash(void **state)
{
	static const char h[] = "0123456789abcdef0123456789abcdef"
	                        "0123456789abcdef0123456789abcdef";
	struct ledger_entry_in in;
	struct ledger_entry e;
	struct rc_err err = { 0 };
	char *line = NULL;
	size_t len = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.op = POLICY_OP_AWARD;
	in.kind = POLICY_KIND_FRANCECONNECT;
	in.siren = "217500016";
	in.siret = "21750001600019";
	in.nom = "Commune";
	in.titulaire = "DRFIP";
	in.iban = "FR1420041010050500013M02606";
	in.bic = "PSSTFRPPTOU";
	in.dossier_id = "DP-1";
	in.evidence_sha256 = h;
	in.amount_cents = 500000;
	in.conformance_sha256 = h;
	assert_int_equal(ledger_entry_encode(&in, 0, "2027-01-15T08:00:00Z",
	                     &line, &len, &err),
	    RC_OK);
	assert_non_null(strstr(line, "\"conformance_sha256\":\"0123"));
	assert_int_equal(ledger_entry_parse(line, len, &e, &err), RC_OK);
	assert_string_equal(e.conformance_sha256, h);
	rc_free(line);
	in.conformance_sha256 = "not hex";
	assert_int_not_equal(ledger_entry_encode(&in, 0, "2027-01-15T08:00:00Z",
	                         &line, &len, &err),
	    RC_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_one_passes),
		cmocka_unit_test(test_edited_report_refused),
		cmocka_unit_test(test_edited_seal_refused),
		cmocka_unit_test(test_other_client_refused),
		cmocka_unit_test(test_stale_refused),
		cmocka_unit_test(test_unsigned_refused),
		cmocka_unit_test(test_other_dossier_refused),
		cmocka_unit_test(test_entry_records_hash),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
