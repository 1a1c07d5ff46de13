/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/ident: SIREN, SIRET (Luhn and the La Poste
 * rule), IBAN, BIC and INSEE commune codes, with the vectors of
 * shared/reference/national_apis.md section 7.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/ident.h"

static void
test_siren(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_siren_valid("130025265", NULL)); /* DINUM */
	assert_true(rc_siren_valid("217500016", NULL)); /* Paris */
	assert_true(rc_siren_valid("356000000", NULL)); /* La Poste */
	assert_false(rc_siren_valid("130025266", &why));
	assert_string_equal(why, "fails the Luhn check");
	assert_false(rc_siren_valid("13002526", &why));
	assert_string_equal(why, "is not 9 digits");
	assert_false(rc_siren_valid("1300252650", &why));
	assert_false(rc_siren_valid("13002526a", &why));
	assert_false(rc_siren_valid(" 130025265", &why));
	assert_false(rc_siren_valid("", &why));
	assert_false(rc_siren_valid(NULL, &why));
}

static void
test_siret(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_siret_valid("13002526500013", NULL));
	assert_true(rc_siret_valid("73282932000074", NULL));
	assert_true(rc_siret_valid("21750001600019", NULL));
	/* La Poste: head office is Luhn-valid, others by digit sum. */
	assert_true(rc_siret_valid("35600000000048", NULL));
	assert_true(rc_siret_valid("35600000049837", NULL));
	/* Typos. */
	assert_false(rc_siret_valid("13002526500014", &why));
	assert_string_equal(why, "fails the Luhn check");
	assert_false(rc_siret_valid("73282932000047", &why));
	assert_false(rc_siret_valid("21750001600018", &why));
	/* La Poste SIRET with a digit sum not a multiple of 5. */
	assert_false(rc_siret_valid("35600000049838", &why));
	assert_non_null(strstr(why, "La Poste"));
	/* The La Poste rule does not apply to other SIRENs. */
	assert_false(rc_siret_valid("13002526500015", &why));
	assert_false(rc_siret_valid("1300252650001", &why));
	assert_string_equal(why, "is not 14 digits");
	assert_false(rc_siret_valid("130025265000130", &why));
	assert_false(rc_siret_valid("1300252650001x", &why));
}

/* Rule: SIREN order number 00000000 is never assigned (issue 8 item 8). */
static void
test_siren_rule_all_zero(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_luhn("000000000", 9)); /* why the rule is needed */
	assert_false(rc_siren_valid("000000000", &why));
	assert_non_null(strstr(why, "00000000"));
	/* Only the order number: a SIREN with a non-zero order is fine. */
	assert_true(rc_siren_valid("000000018", NULL));
}

/* Rule: a SIRET whose SIREN part is 000000000 is refused. */
static void
test_siret_rule_all_zero(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_luhn("00000000000000", 14));
	assert_false(rc_siret_valid("00000000000000", &why));
	assert_non_null(strstr(why, "000000000"));
	assert_false(rc_siret_valid("00000000000018", &why)); /* Luhn too */
}

/* Rule: the first 9 digits of a SIRET are a valid SIREN. */
static void
test_siret_rule_siren_part(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_luhn("13002526000014", 14)); /* 14 digits pass... */
	assert_false(rc_luhn("130025260", 9));      /* ...the SIREN does not */
	assert_false(rc_siret_valid("13002526000014", &why));
	assert_non_null(strstr(why, "first 9 digits"));
}

/*
 * Rule: La Poste's head office keeps the Luhn key; its other
 * establishments are judged by the digit sum only, so a Luhn-valid La
 * Poste SIRET other than the head office with a digit sum not a multiple
 * of 5 is refused.
 */
static void
test_siret_rule_la_poste(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_siret_valid(RC_LA_POSTE_HEAD_OFFICE, NULL));
	assert_true(rc_siret_valid("35600000049837", NULL)); /* sum 35 */
	assert_true(rc_luhn("35600000000014", 14));          /* sum 19 */
	assert_false(rc_siret_valid("35600000000014", &why));
	assert_non_null(strstr(why, "La Poste"));
	/* Not the head office by Luhn alone: sum 26, not a multiple of 5. */
	assert_false(rc_siret_valid("35600000000049", &why));
}

static void
test_siret_siren_match(void **state)
{
	(void)state;
	assert_true(rc_siret_siren_match("13002526500013", "130025265"));
	assert_false(rc_siret_siren_match("13002526500013", "217500016"));
	assert_false(rc_siret_siren_match("13002526500013", "13002526"));
	assert_false(rc_siret_siren_match("1300", "130025265"));
	assert_false(rc_siret_siren_match(NULL, "130025265"));
	assert_false(rc_siret_siren_match("13002526500013", NULL));
}

static void
test_iban(void **state)
{
	char out[RC_IBAN_MAX + 1], small[8];
	const char *why = NULL;

	(void)state;
	assert_true(rc_iban_normalise("fr76 3000 1007 9412 3456 7890 185", out,
	    sizeof(out)));
	assert_string_equal(out, "FR7630001007941234567890185");
	assert_true(rc_iban_valid(out, NULL));
	assert_true(rc_iban_valid("FR1420041010050500013M02606", NULL));
	assert_true(rc_iban_valid("DE89370400440532013000", NULL));
	assert_true(rc_iban_valid("GB82WEST12345698765432", NULL));
	assert_true(rc_iban_valid("FR7630006000011234567890189", NULL));

	assert_false(rc_iban_valid("FR7630006000011234567890188", &why));
	assert_string_equal(why, "fails the ISO 13616 mod-97 check");
	assert_false(rc_iban_valid("FR763000600001123456789018", &why));
	assert_string_equal(why, "has the wrong length for its country");
	assert_false(rc_iban_valid("US7630006000011234567890189", &why));
	assert_string_equal(why, "is not from a SEPA country");
	assert_false(rc_iban_valid("7630006000011234567890189", &why));
	assert_false(rc_iban_valid("FRXX30006000011234567890189", &why));
	assert_false(rc_iban_valid("FR76300060000112345678901-9", &why));
	assert_false(rc_iban_valid("FR7", &why));
	assert_false(rc_iban_valid(NULL, &why));
	assert_false(
	    rc_iban_valid("FR76300060000112345678901891234567890", &why));

	assert_false(rc_iban_normalise("FR76-3000", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(rc_iban_normalise("FR7630006000", small, sizeof(small)));
	assert_false(rc_iban_normalise(NULL, out, sizeof(out)));
	assert_false(rc_iban_normalise("FR76é", out, sizeof(out)));
	assert_true(rc_iban_normalise("", out, sizeof(out)));
	assert_false(rc_iban_valid(out, &why));
}

static void
test_bic(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(rc_bic_valid("BDFEFRPP", NULL));
	assert_true(rc_bic_valid("BDFEFRPPCCT", NULL));
	assert_true(rc_bic_valid("PSSTFRPPTOU", NULL));
	assert_false(rc_bic_valid("BDFEFRP", &why));
	assert_string_equal(why, "is not 8 or 11 characters");
	assert_false(rc_bic_valid("BDFEFRPPCC", &why));
	assert_false(rc_bic_valid("BDF3FRPP", &why));
	assert_false(rc_bic_valid("bdfefrpp", &why));
	assert_false(rc_bic_valid("BDFEFRP-", &why));
	assert_false(rc_bic_valid(NULL, &why));
}

static void
test_cog(void **state)
{
	static const char *const good[] = { "75056", "01001", "19272", "2A004",
		"2B033", "21231", "95500", "97101", "97411", "97502", "97701",
		"97801", "98411", "98735", "98818", "75101", "69381", NULL };
	static const char *const bad[] = { "20004", "00001", "96001", "97901",
		"97001", "98301", "98901", "2C004", "2a004", "7505", "750560",
		"7505a", "A5056", "", NULL };
	const char *why = NULL;
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_true(rc_cog_valid(good[i], NULL));
	for (i = 0; bad[i] != NULL; i++) {
		why = NULL;
		assert_false(rc_cog_valid(bad[i], &why));
		assert_non_null(why);
	}
	assert_false(rc_cog_valid("20004", &why));
	assert_non_null(strstr(why, "2A or 2B"));
	assert_false(rc_cog_valid(NULL, &why));
}

static void
test_luhn_and_digits(void **state)
{
	(void)state;
	assert_true(rc_digits("123", 3));
	assert_false(rc_digits("1234", 3));
	assert_false(rc_digits("12", 3));
	assert_false(rc_digits(NULL, 3));
	assert_true(rc_luhn("79927398713", 11));
	assert_false(rc_luhn("79927398710", 11));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siren),
		cmocka_unit_test(test_siret),
		cmocka_unit_test(test_siren_rule_all_zero),
		cmocka_unit_test(test_siret_rule_all_zero),
		cmocka_unit_test(test_siret_rule_siren_part),
		cmocka_unit_test(test_siret_rule_la_poste),
		cmocka_unit_test(test_siret_siren_match),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_bic),
		cmocka_unit_test(test_cog),
		cmocka_unit_test(test_luhn_and_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
