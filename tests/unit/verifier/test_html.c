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

/*
 * FranceConnect's identity-provider choice page, abridged from its source
 * (france-connect/sources back/apps/core-fcp/src/views/interaction.ejs):
 * the markers are reported; the script's words are not the page's.
 */
static void
test_facts_fc_choice_page(void **state)
{
	static const char page[] =
	    "<!DOCTYPE html><html lang=\"fr\"><head><title>FranceConnect"
	    "</title><script>console.error('error: invalid')</script></head>"
	    "<body><main><section id=\"grid-main-providers\">"
	    "<div class=\"fr-grid-row\" data-testid=\"main-providers\">"
	    "<button>impots.gouv.fr</button></div></section></main>"
	    "</body></html>";
	struct html_doc *d = parse(page);
	struct fc_page_facts f;

	(void)state;
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_true(f.html);
	assert_true(f.marker_testid);
	assert_true(f.marker_grid);
	assert_false(f.error_marked);
	assert_string_equal(f.code, "");
	assert_false(f.says_error);
	html_free(d);
}

/* FC's error page (pages/error/error.welcome.ejs, "Erreur {code}"). */
static void
test_facts_fc_error_page(void **state)
{
	static const char page[] =
	    "<html><body><h1 data-testid=\"error-section-title\">\n"
	    "  Une erreur est survenue\n</h1>\n"
	    "<p class=\"fr-text--sm\" data-testid='error-code'>\n"
	    "    Erreur Y04C013C\n  </p><p>ID : 1234-abcd</p></body></html>";
	struct html_doc *d = parse(page);
	struct fc_page_facts f;

	(void)state;
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_true(f.error_marked);
	assert_true(f.code_marked);
	assert_string_equal(f.code, "Y04C013C");
	assert_true(f.says_error);
	assert_false(f.marker_testid);
	html_free(d);
}

/* A code in the text only (older markup), and the words of a refusal. */
static void
test_facts_text(void **state)
{
	static const char older[] =
	    "<html><body><p class=\"error-code\">Code d'erreur : "
	    "<strong>Y030007</strong></p></body></html>";
	static const char refusal[] = "<html><body><h1>\xc3\x89"
	                              "CHEC DE LA CONNEXION</h1></body></html>";
	static const char welcome[] =
	    "<html><body><h1>Bienvenue sur votre espace</h1><style>.error{}"
	    "</style></body></html>";
	struct html_doc *d;
	struct fc_page_facts f;

	(void)state;
	d = parse(older);
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_string_equal(f.code, "Y030007");
	assert_false(f.code_marked);
	assert_false(f.error_marked);
	html_free(d);
	d = parse(refusal);
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_true(f.says_error);
	html_free(d);
	d = parse(welcome);
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_false(f.says_error);
	assert_false(f.error_marked);
	html_free(d);
	/* views/error.ejs wraps every error page in data-testid=error-section
	 */
	d = parse("<html><body><div data-testid=\"error-section\"><p>x</p>"
	          "</div></body></html>");
	assert_int_equal(html_page_facts(d, &f), RC_OK);
	assert_true(f.error_marked);
	html_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsfr_form_post),
		cmocka_unit_test(test_link_and_get_form),
		cmocka_unit_test(test_no_button),
		cmocka_unit_test(test_facts_fc_choice_page),
		cmocka_unit_test(test_facts_fc_error_page),
		cmocka_unit_test(test_facts_text),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return rc;
}
