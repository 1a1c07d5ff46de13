/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/html: finding the FranceConnect button (DSFR
 * form, link, hand-made variants) and the "Qu'est-ce que FranceConnect ?"
 * link.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <libxml/parser.h>

#include "verifier/html.h"

#define BASE "https://mairie.test/compte/connexion"

static struct html_doc *
parse(const char *html)
{
	struct html_doc *d = html_parse(html, strlen(html), BASE);

	assert_non_null(d);
	return d;
}

static void
test_dsfr_form_post(void **state)
{
	static const char page[] =
	    "<html><body><form method=\"post\" action=\"/auth/fc\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"a b&c\">"
	    "<input type=\"submit\" name=\"other\" value=\"no\">"
	    "<div class=\"fr-connect-group\"><button class=\"fr-connect\">"
	    "<span class=\"fr-connect__login\">S’identifier avec</span>"
	    "<span class=\"fr-connect__brand\">FranceConnect</span>"
	    "</button><p><a href=\"https://franceconnect.gouv.fr/\" "
	    "target=\"_blank\">Qu’est-ce que FranceConnect ?</a></p></div>"
	    "</form></body></html>";
	struct html_fc_button b;
	struct html_doc *d = parse(page);

	(void)state;
	assert_int_equal(html_find_fc_button(d, &b), RC_OK);
	assert_true(b.found);
	assert_true(b.dsfr);
	assert_true(b.is_form);
	assert_string_equal(b.method, "POST");
	assert_string_equal(b.url, "https://mairie.test/auth/fc");
	assert_string_equal(b.body, "csrf=a%20b%26c");
	assert_true(html_has_fc_info_link(d, 0));
	assert_false(html_has_fc_info_link(d, 1));
	html_fc_button_cleanup(&b);
	html_free(d);
}

static void
test_link_and_get_form(void **state)
{
	static const char link[] =
	    "<a href=\"https://franceconnect.gouv.fr/\">FranceConnect</a>"
	    "<a class=\"btn fr-connect\" href=\"../sso/franceconnect?x=1\">"
	    "FranceConnect</a>";
	static const char getform[] =
	    "<form action=\"/login/franceconnect?drop=1\" method=\"get\">"
	    "<input type=hidden name=next value=\"/espace\">"
	    "<button type=submit>S'identifier</button></form>";
	struct html_fc_button b;
	struct html_doc *d;

	(void)state;
	d = parse(link);
	assert_int_equal(html_find_fc_button(d, &b), RC_OK);
	assert_true(b.found);
	assert_false(b.is_form);
	assert_string_equal(b.method, "GET");
	assert_string_equal(b.url, "https://mairie.test/sso/franceconnect?x=1");
	/* The info link needs its text too. */
	assert_false(html_has_fc_info_link(d, 0));
	html_fc_button_cleanup(&b);
	html_free(d);

	d = parse(getform);
	assert_int_equal(html_find_fc_button(d, &b), RC_OK);
	assert_true(b.found);
	assert_false(b.dsfr);
	assert_string_equal(b.method, "GET");
	assert_string_equal(b.url,
	    "https://mairie.test/login/franceconnect?next=%2Fespace");
	html_fc_button_cleanup(&b);
	html_free(d);
}

static void
test_no_button(void **state)
{
	static const char page[] =
	    "<html><body><h1>Connexion</h1><form action=\"/login\">"
	    "<input name=user><button>OK</button></form>"
	    "<a href=\"https://franceconnect.gouv.fr/\">site</a>"
	    "<a href=\"javascript:franceconnect()\">x</a></body></html>";
	struct html_fc_button b;
	struct html_doc *d = parse(page);

	(void)state;
	assert_int_equal(html_find_fc_button(d, &b), RC_OK);
	assert_false(b.found);
	html_fc_button_cleanup(&b);
	html_free(d);
	assert_null(html_parse("", 0, BASE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsfr_form_post),
		cmocka_unit_test(test_link_and_get_form),
		cmocka_unit_test(test_no_button),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return rc;
}
