/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/catalog: every check id explained once, in both
 * languages, and the report failing closed on an id the catalogue does
 * not explain or contradicts (issue 10 §3, issue 12 §3).
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/catalog.h"
#include "verifier/conformance_int.h"
#include "verifier/report.h"

static int
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Each id once, well formed, in a known kind that its prefix agrees with. */
static void
test_ids_unique_and_well_formed(void **state)
{
	size_t i, j, n = catalog_count();

	(void)state;
	assert_true(n >= 50);
	assert_null(catalog_get(n));
	for (i = 0; i < n; i++) {
		const struct catalog_entry *e = catalog_get(i);

		assert_non_null(e);
		assert_true(nonempty(e->id));
		assert_int_equal(
		    strspn(e->id, "abcdefghijklmnopqrstuvwxyz0123456789_."),
		    strlen(e->id));
		for (j = i + 1; j < n; j++)
			if (strcmp(e->id, catalog_get(j)->id) == 0)
				fail_msg("check id %s is catalogued twice",
				    e->id);
		assert_ptr_equal(catalog_find(e->id), e);
		if (strncmp(e->id, "fc.conformance.", 15) == 0)
			assert_string_equal(e->kind, "conformance");
		else if (strncmp(e->id, "fc.", 3) == 0)
			assert_string_equal(e->kind, "franceconnect");
		else if (strncmp(e->id, "api.", 4) == 0)
			assert_string_equal(e->kind, "api");
		else
			fail_msg("check id %s has an unknown prefix", e->id);
		assert_true((unsigned)e->level < CATALOG_LEVEL__MAX);
	}
}

/*
 * Every entry says what, why and how to fix in English and in French (a
 * copy of the English is no translation), with its rule and a doc link.
 */
static void
test_both_languages_explained(void **state)
{
	size_t i, n = catalog_count();

	(void)state;
	for (i = 0; i < n; i++) {
		const struct catalog_entry *e = catalog_get(i);
		const struct catalog_text *en = &e->text[CATALOG_EN],
		                          *fr = &e->text[CATALOG_FR];

		if (!nonempty(en->title) || !nonempty(en->why) ||
		    !nonempty(en->fix))
			fail_msg("%s: an English text is missing", e->id);
		if (!nonempty(fr->title) || !nonempty(fr->why) ||
		    !nonempty(fr->fix))
			fail_msg("%s: a French text is missing", e->id);
		if (strcmp(en->title, fr->title) == 0 ||
		    strcmp(en->why, fr->why) == 0 ||
		    strcmp(en->fix, fr->fix) == 0)
			fail_msg("%s: a French text is the English one", e->id);
		if (!nonempty(e->rule))
			fail_msg("%s: no rule", e->id);
		if (e->doc == NULL || strncmp(e->doc, "docs/", 5) != 0 ||
		    strchr(e->doc, '#') == NULL)
			fail_msg("%s: doc must be docs/FILE.md#anchor", e->id);
	}
}

/* The conformance ids are built at run time: each run has its entry. */
static void
test_conformance_runs_catalogued(void **state)
{
	char id[64];
	int r;

	(void)state;
	for (r = 0; r < CONF_RUN__MAX; r++) {
		snprintf(id, sizeof(id), "fc.conformance.%s",
		    conf_run_name((enum conf_run)r));
		if (catalog_find(id) == NULL)
			fail_msg("%s is not in the catalogue", id);
	}
	assert_null(catalog_find("fc.conformance.nosuch"));
	assert_null(catalog_find(NULL));
}

/* One section, all passing, plus one more check: its verdict. */
static enum verdict
verdict_with(const char *kind, const char *id, enum check_status st,
    int required, int *incomplete)
{
	struct report *rep = report_new("D-CAT");
	struct report_section *sec;
	enum verdict v;

	assert_non_null(rep);
	assert_non_null(sec = report_section_add(rep, kind, kind));
	assert_int_equal(
	    report_check(sec,
	        strcmp(kind, "api") == 0 ? "api.token.live" : "fc.discovery",
	        CHECK_PASS, 1, NULL, 0, "ok"),
	    RC_OK);
	/* Recorded (RC_OK), kept as evidence, whatever the catalogue says. */
	assert_int_equal(report_check(sec, id, st, required, NULL, 0, "x"),
	    RC_OK);
	assert_int_equal(report_check_status(sec, id), st);
	v = report_section_verdict(sec);
	*incomplete = report_section_incomplete_why(sec) != NULL;
	report_free(rep);
	return v;
}

/* A check the catalogue does not explain can never pay. */
static void
test_unknown_id_is_incomplete(void **state)
{
	int inc;

	(void)state;
	assert_int_equal(
	    verdict_with("franceconnect", "fc.tls.hsts", CHECK_PASS, 0, &inc),
	    VERDICT_VERIFIED);
	assert_false(inc);
	assert_int_equal(
	    verdict_with("franceconnect", "fc.brand.new", CHECK_PASS, 1, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
	assert_int_equal(
	    verdict_with("api", "fc.brand.new", CHECK_PASS, 0, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
}

/* An id recorded in a section of another kind than its entry's. */
static void
test_wrong_kind_is_incomplete(void **state)
{
	int inc;

	(void)state;
	assert_int_equal(
	    verdict_with("api", "fc.habilitation", CHECK_PASS, 1, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
	assert_int_equal(verdict_with("franceconnect", "fc.habilitation",
	                     CHECK_PASS, 1, &inc),
	    VERDICT_VERIFIED);
	assert_false(inc);
}

/*
 * A required (or conditional) check that fails or errs flagged advisory
 * would let a broken rule pay: the section is incomplete.  An advisory check
 * may fail as advisory.
 */
static void
test_required_fail_as_advisory_is_incomplete(void **state)
{
	int inc;

	(void)state;
	assert_int_equal(verdict_with("franceconnect", "fc.authorize.pkce",
	                     CHECK_FAIL, 0, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
	assert_int_equal(
	    verdict_with("api", "api.habilitation", CHECK_FAIL, 0, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
	assert_int_equal(verdict_with("franceconnect", "fc.authorize.pkce",
	                     CHECK_FAIL, 1, &inc),
	    VERDICT_FAILED);
	assert_false(inc);
	/* Nor may it err as advisory: an error left out of the verdict. */
	assert_int_equal(verdict_with("franceconnect", "fc.provider.accepts",
	                     CHECK_ERROR, 0, &inc),
	    VERDICT_INCONCLUSIVE);
	assert_true(inc);
	/* A required check may warn or skip as advisory. */
	assert_int_equal(
	    verdict_with("api", "api.token.expiry", CHECK_WARN, 0, &inc),
	    VERDICT_VERIFIED);
	assert_false(inc);
	assert_int_equal(verdict_with("api", "api.tls", CHECK_FAIL, 0, &inc),
	    VERDICT_VERIFIED);
	assert_false(inc);
}

static void
test_lang_parse(void **state)
{
	struct rc_err err = { 0 };
	enum catalog_lang l = CATALOG_EN;

	(void)state;
	assert_int_equal(catalog_lang_parse("fr", &l, NULL), RC_OK);
	assert_int_equal(l, CATALOG_FR);
	assert_int_equal(catalog_lang_parse("EN", &l, NULL), RC_OK);
	assert_int_equal(l, CATALOG_EN);
	assert_int_equal(catalog_lang_parse("de", &l, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "en, fr"));
	assert_int_equal(catalog_lang_parse(NULL, &l, NULL), RC_EINVAL);
	assert_string_equal(catalog_lang_str(CATALOG_FR), "fr");
}

/* The JSON catalogue holds every entry, one language or both. */
static void
test_to_json(void **state)
{
	json_t *o, *c;

	(void)state;
	assert_non_null(o = catalog_to_json(-1));
	assert_int_equal(json_array_size(json_object_get(o, "checks")),
	    catalog_count());
	c = json_array_get(json_object_get(o, "checks"), 0);
	assert_non_null(json_object_get(c, "en"));
	assert_non_null(json_object_get(c, "fr"));
	json_decref(o);
	assert_non_null(o = catalog_to_json(CATALOG_FR));
	c = json_array_get(json_object_get(o, "checks"), 0);
	assert_null(json_object_get(c, "en"));
	assert_non_null(json_object_get(json_object_get(c, "fr"), "fix"));
	json_decref(o);
}

/* A report's JSON and text get the catalogue's words in the language. */
static void
test_report_explained(void **state)
{
	struct report *rep = report_new("D-FR");
	struct report_section *sec;
	const struct catalog_entry *pkce = catalog_find("fc.authorize.pkce");
	json_t *j, *chk, *x;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(pkce);
	assert_non_null(rep);
	assert_non_null(sec = report_section_add(rep, "franceconnect", "fc"));
	assert_int_equal(report_check(sec, "fc.authorize.pkce", CHECK_FAIL, 1,
	                     NULL, 0, "code_challenge sent"),
	    RC_OK);
	assert_int_equal(
	    report_check(sec, "fc.discovery", CHECK_PASS, 1, NULL, 0, "ok"),
	    RC_OK);

	assert_non_null(j = report_to_json(rep));
	assert_int_equal(catalog_explain_report_json(j, CATALOG_FR), RC_OK);
	chk = json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "checks"),
	    1); /* id order: fc.authorize.pkce, fc.discovery */
	assert_string_equal(json_string_value(json_object_get(chk, "id")),
	    "fc.discovery");
	chk = json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(j, "integrations"), 0),
	        "checks"),
	    0);
	assert_non_null(x = json_object_get(chk, "explanation"));
	assert_string_equal(json_string_value(json_object_get(x, "lang")),
	    "fr");
	assert_string_equal(json_string_value(json_object_get(x, "fix")),
	    pkce->text[CATALOG_FR].fix);
	/* The English detail stays the evidence. */
	assert_string_equal(json_string_value(json_object_get(chk, "detail")),
	    "code_challenge sent");
	json_decref(j);
	assert_non_null(j = json_object()); /* not a report */
	assert_int_equal(catalog_explain_report_json(j, CATALOG_FR), RC_EINVAL);
	json_decref(j);

	assert_non_null(f = open_memstream(&text, &len));
	report_print_text_explained(rep, f, 0, CATALOG_FR);
	fclose(f);
	assert_non_null(strstr(text, "Dossier D-FR: échec"));
	assert_non_null(strstr(text, pkce->text[CATALOG_FR].title));
	assert_non_null(strstr(text, pkce->text[CATALOG_FR].fix));
	assert_non_null(strstr(text, "code_challenge sent"));
	/* A passed check gets its title only. */
	assert_non_null(
	    strstr(text, catalog_find("fc.discovery")->text[CATALOG_FR].title));
	assert_null(
	    strstr(text, catalog_find("fc.discovery")->text[CATALOG_FR].fix));
	free(text);

	/* Without a language: the report's plain text, unchanged. */
	text = NULL;
	assert_non_null(f = open_memstream(&text, &len));
	report_print_text_explained(rep, f, 0, -1);
	fclose(f);
	assert_non_null(strstr(text, "Dossier D-FR: failed"));
	assert_null(strstr(text, pkce->text[CATALOG_EN].title));
	free(text);
	report_free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_unique_and_well_formed),
		cmocka_unit_test(test_both_languages_explained),
		cmocka_unit_test(test_conformance_runs_catalogued),
		cmocka_unit_test(test_unknown_id_is_incomplete),
		cmocka_unit_test(test_wrong_kind_is_incomplete),
		cmocka_unit_test(test_required_fail_as_advisory_is_incomplete),
		cmocka_unit_test(test_lang_parse),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_report_explained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
