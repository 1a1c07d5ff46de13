/* SPDX-License-Identifier: MIT */
/*
 * What raccord reads in a collectivité's HTML pages, with libxml2's HTML
 * parser and XPath: the FranceConnect button (a link or a form that
 * starts the login) and the "Qu'est-ce que FranceConnect ?" link that the
 * FranceConnect button rules and the DSFR component require
 * (shared/reference/franceconnect.md §5, "Button requirements").
 */
#ifndef RC_VERIFIER_HTML_H
#define RC_VERIFIER_HTML_H

#include <stddef.h>

#include "common/err.h"
#include "oidc/fc_profile.h"

struct html_doc;

/* How the page's FranceConnect button starts the login. */
struct html_fc_button {
	int found;
	int dsfr;     /* the DSFR markup (class fr-connect) is used */
	int is_form;  /* a form submission rather than a link */
	char *method; /* "GET" or "POST" */
	char *url;    /* absolute target (GET forms carry their query) */
	char *body;   /* urlencoded body of a POST form, or NULL */
	char *how;    /* short description for the report */
};

/*
 * Parse an HTML page fetched from base_url.  NULL on ENOMEM or when the
 * bytes are not HTML at all.  Caller frees with html_free.
 */
struct html_doc *html_parse(const char *data, size_t len, const char *base_url);
void html_free(struct html_doc *doc);

/*
 * Find the FranceConnect button.  out->found is 0 when there is none.
 * Strings in out are owned by out (html_fc_button_cleanup).  RC_ENOMEM
 * only.
 */
enum rc_code html_find_fc_button(struct html_doc *doc,
    struct html_fc_button *out);
void html_fc_button_cleanup(struct html_fc_button *b);

/*
 * True when the page links to FranceConnect's explanation page
 * (https://franceconnect.gouv.fr/, or /france-connect-plus for FC+) with
 * a "Qu'est-ce que FranceConnect ?" text.
 */
int html_has_fc_info_link(struct html_doc *doc, int plus);

/*
 * Read the facts raccord judges in a page the provider or the site's
 * callback answered with (see struct fc_page_facts): FranceConnect's
 * identity-provider choice markers (data-testid="main-providers",
 * id="grid-main-providers"), its error block (data-testid="error-code",
 * "error-section" or "error-section-title") and the code in it, else an FC code
 * in the visible text, and whether the visible text (scripts and styles left
 * out) speaks of an error, a failure or an invalid request.  out->html is
 * set.  RC_ENOMEM only.
 */
enum rc_code html_page_facts(struct html_doc *doc, struct fc_page_facts *out);

#endif /* RC_VERIFIER_HTML_H */
