/* SPDX-License-Identifier: MIT */
/*
 * HTML reading with libxml2 (see html.h).  No hand-written HTML scanning:
 * the parser builds a tree in recovery mode and XPath finds the button.
 */
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "common/buf.h"
#include "common/mem.h"
#include "verifier/html.h"
#include "verifier/probe.h"

#define HTML_FORM_MAX 16384

struct html_doc {
	htmlDocPtr doc;
	xmlXPathContextPtr xp;
	char *base;
};

struct html_doc *
html_parse(const char *data, size_t len, const char *base_url)
{
	struct html_doc *d;

	if (len == 0 || len > (size_t)0x7fffffff)
		return NULL;
	if ((d = rc_calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->base = rc_strdup(base_url);
	d->doc = htmlReadMemory(data, (int)len, base_url, NULL,
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	        HTML_PARSE_NONET);
	if (d->base == NULL || d->doc == NULL ||
	    (d->xp = xmlXPathNewContext(d->doc)) == NULL) {
		html_free(d);
		return NULL;
	}
	return d;
}

void
html_free(struct html_doc *d)
{
	if (d == NULL)
		return;
	xmlXPathFreeContext(d->xp);
	xmlFreeDoc(d->doc);
	rc_free(d->base);
	rc_free(d);
}

/* First node matching expr relative to ctxnode (NULL: document). */
static xmlNodePtr
xpath_first(struct html_doc *d, xmlNodePtr ctxnode, const char *expr)
{
	xmlXPathObjectPtr r;
	xmlNodePtr n = NULL;

	d->xp->node = ctxnode ? ctxnode : xmlDocGetRootElement(d->doc);
	r = xmlXPathEvalExpression((const xmlChar *)expr, d->xp);
	if (r != NULL && r->nodesetval != NULL && r->nodesetval->nodeNr > 0)
		n = r->nodesetval->nodeTab[0];
	xmlXPathFreeObject(r);
	return n;
}

static char *
attr_dup(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = rc_strdup((const char *)v);
	xmlFree(v);
	return s;
}

void
html_fc_button_cleanup(struct html_fc_button *b)
{
	rc_free(b->method);
	rc_free(b->url);
	rc_free(b->body);
	rc_free(b->how);
	memset(b, 0, sizeof(*b));
}

/* Append name=value, urlencoded with libcurl, to a form body. */
static enum rc_code
form_add(struct rc_buf *body, const char *name, const char *value)
{
	char *n, *v;
	enum rc_code rc;

	n = curl_easy_escape(NULL, name, 0);
	v = curl_easy_escape(NULL, value ? value : "", 0);
	if (n == NULL || v == NULL)
		rc = RC_ENOMEM;
	else
		rc = rc_buf_addf(body, "%s%s=%s", body->len ? "&" : "", n, v);
	curl_free(n);
	curl_free(v);
	return rc;
}

/* Build the submission of form (GET or POST) into b. */
static enum rc_code
form_submission(struct html_doc *d, xmlNodePtr form, xmlNodePtr button,
    struct html_fc_button *b)
{
	xmlXPathObjectPtr r;
	struct rc_buf body;
	char *action = NULL, *method = NULL, *bname, *bval, *abs = NULL;
	enum rc_code rc = RC_OK;
	int i;

	rc_buf_init(&body, HTML_FORM_MAX);
	action = attr_dup(form, "action");
	method = attr_dup(form, "method");
	d->xp->node = form;
	r = xmlXPathEvalExpression(
	    (const xmlChar
	            *)".//input[@name and not(@disabled) and "
	              "(not(@type) or (translate(@type,'SUBMITCHEKBOXRADIO',"
	              "'submitchekboxradio')!='submit' and "
	              "translate(@type,'SUBMITCHEKBOXRADIO','"
	              "submitchekboxradio')!="
	              "'checkbox' and "
	              "translate(@type,'SUBMITCHEKBOXRADIO','"
	              "submitchekboxradio')!="
	              "'radio'))]",
	    d->xp);
	for (i = 0; rc == RC_OK && r != NULL && r->nodesetval != NULL &&
	     i < r->nodesetval->nodeNr;
	     i++) {
		char *n = attr_dup(r->nodesetval->nodeTab[i], "name");
		char *v = attr_dup(r->nodesetval->nodeTab[i], "value");

		rc = n ? form_add(&body, n, v) : RC_ENOMEM;
		rc_free(n);
		rc_free(v);
	}
	xmlXPathFreeObject(r);
	if (rc == RC_OK && button != NULL &&
	    (bname = attr_dup(button, "name")) != NULL) {
		bval = attr_dup(button, "value");
		rc = form_add(&body, bname, bval);
		rc_free(bname);
		rc_free(bval);
	}
	if (rc != RC_OK)
		goto out;
	rc = probe_url_resolve(d->base, action && action[0] ? action : d->base,
	    &abs);
	if (rc != RC_OK)
		goto out;
	b->is_form = 1;
	if (method != NULL && strcasecmp(method, "post") == 0) {
		b->method = rc_strdup("POST");
		b->url = abs;
		abs = NULL;
		b->body = rc_buf_steal(&body);
	} else {
		struct rc_buf u;

		rc_buf_init(&u, HTML_FORM_MAX * 2);
		/* A GET form replaces the action's query (HTML §4.10.21.3). */
		{
			char *q = strchr(abs, '?');

			if (q != NULL)
				*q = '\0';
		}
		rc = rc_buf_addf(&u, "%s%s%s", abs, body.len ? "?" : "",
		    body.len ? body.data : "");
		b->method = rc_strdup("GET");
		b->url = rc_buf_steal(&u);
	}
	if (b->method == NULL || b->url == NULL ||
	    (b->is_form && strcmp(b->method, "POST") == 0 && b->body == NULL))
		rc = RC_ENOMEM;
out:
	rc_free(abs);
	rc_free(action);
	rc_free(method);
	rc_buf_free(&body);
	return rc;
}

#define HAS_CLASS(c)                                                           \
	"contains(concat(' ',normalize-space(@class),' '),' " c " ')"
#define LOWER(x)                                                               \
	"translate(" x                                                         \
	",'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"

enum rc_code
html_find_fc_button(struct html_doc *d, struct html_fc_button *b)
{
	/* clang-format off */
	/* The DSFR component first, then common hand-made variants. */
	static const struct {
		const char *expr;
		int dsfr;
		const char *how;
	} tries[] = {
		{ "//button[" HAS_CLASS("fr-connect") "][ancestor::form]", 1,
		  "DSFR FranceConnect button in a form" },
		{ "//a[" HAS_CLASS("fr-connect") "]", 1,
		  "DSFR FranceConnect link" },
		{ "//form[contains(" LOWER("@action") ",'franceconnect')]"
		  "//*[self::button or self::input[@type='submit' or "
		  "@type='image']]", 0,
		  "form posting to a FranceConnect route" },
		{ "//a[contains(" LOWER("@href") ",'franceconnect') and "
		  "not(starts-with(@href,'https://franceconnect.gouv.fr')) and "
		  "not(starts-with(@href,'http://franceconnect.gouv.fr'))]", 0,
		  "link to a FranceConnect route" },
		{ "//button[contains(" LOWER("@class") ",'franceconnect')]"
		  "[ancestor::form]", 0,
		  "FranceConnect-styled button in a form" },
	};
	/* clang-format on */
	xmlNodePtr n, form;
	enum rc_code rc = RC_OK;
	size_t i;
	char *href;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if ((n = xpath_first(d, NULL, tries[i].expr)) == NULL)
			continue;
		b->found = 1;
		b->dsfr = tries[i].dsfr;
		if ((b->how = rc_strdup(tries[i].how)) == NULL)
			return RC_ENOMEM;
		if (xmlStrcasecmp(n->name, (const xmlChar *)"a") == 0) {
			if ((href = attr_dup(n, "href")) == NULL) {
				b->found = 0;
				continue;
			}
			rc = probe_url_resolve(d->base, href, &b->url);
			rc_free(href);
			if (rc == RC_EINVAL) { /* javascript: etc. */
				html_fc_button_cleanup(b);
				continue;
			}
			if (rc == RC_OK &&
			    (b->method = rc_strdup("GET")) == NULL)
				rc = RC_ENOMEM;
			return rc;
		}
		form = xpath_first(d, n, "ancestor::form[1]");
		if (form == NULL) {
			html_fc_button_cleanup(b);
			continue;
		}
		rc = form_submission(d, form, n, b);
		if (rc == RC_EINVAL) {
			html_fc_button_cleanup(b);
			continue;
		}
		return rc;
	}
	return RC_OK;
}

int
html_has_fc_info_link(struct html_doc *d, int plus)
{
	const char *expr = plus
	    ? "//a[starts-with(@href,'https://franceconnect.gouv.fr/france-"
	      "connect-plus') and contains(.,'FranceConnect')]"
	    : "//a[(@href='https://franceconnect.gouv.fr/' or "
	      "@href='https://franceconnect.gouv.fr') and "
	      "contains(.,'FranceConnect') and contains(.,'est-ce que')]";

	return xpath_first(d, NULL, expr) != NULL;
}

/* Visible text kept for the error-word search; error pages are small. */
#define HTML_TEXT_MAX (64 * 1024)

/*
 * Words by which a page says that something went wrong, in French and
 * English, compared with the visible text folded to lower case (ASCII,
 * and the UTF-8 capital E acute).
 */
static const char *const html_error_words[] = {
	"erreur",
	"error",
	"\xc3\xa9"
	"chec", /* échec */
	"invalide",
	"invalid",
	"expir\xc3\xa9", /* expiré(e) */
	"expired",
	"refus",
	"denied",
	"failed",
	"n'a pas pu",
	"n\xe2\x80\x99"
	"a pas pu", /* n’a pas pu */
	"incorrect",
	"introuvable",
};

/* The visible text of the page, folded to lower case, for words. */
static enum rc_code
page_text(struct html_doc *d, struct rc_buf *out)
{
	static const char expr[] =
	    "//text()[not(ancestor::script) and not(ancestor::style)]";
	xmlXPathObjectPtr r;
	enum rc_code rc = RC_OK;
	int i;

	d->xp->node = xmlDocGetRootElement(d->doc);
	if (d->xp->node == NULL)
		return RC_OK;
	r = xmlXPathEvalExpression((const xmlChar *)expr, d->xp);
	if (r == NULL)
		return RC_ENOMEM;
	for (i = 0; r->nodesetval != NULL && i < r->nodesetval->nodeNr; i++) {
		const xmlNode *n = r->nodesetval->nodeTab[i];
		size_t len;

		if (n->content == NULL)
			continue;
		len = strlen((const char *)n->content);
		if (out->len + len + 1 > out->max)
			break;
		if ((rc = rc_buf_add(out, (const char *)n->content, len)) !=
		        RC_OK ||
		    (rc = rc_buf_add(out, " ", 1)) != RC_OK)
			break;
	}
	xmlXPathFreeObject(r);
	return rc;
}

static int
text_says_error(char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] >= 'A' && text[i] <= 'Z')
			text[i] = (char)(text[i] - 'A' + 'a');
		else if ((unsigned char)text[i] == 0xc3 && i + 1 < len &&
		    (unsigned char)text[i + 1] == 0x89)
			text[i + 1] = (char)0xa9; /* É -> é */
	}
	for (i = 0; i < sizeof(html_error_words) / sizeof(html_error_words[0]);
	     i++)
		if (strstr(text, html_error_words[i]) != NULL)
			return 1;
	return 0;
}

enum rc_code
html_page_facts(struct html_doc *d, struct fc_page_facts *out)
{
	xmlNodePtr n;
	xmlChar *v;
	struct rc_buf text;
	enum rc_code rc = RC_OK;

	memset(out, 0, sizeof(*out));
	out->html = 1;
	out->marker_testid =
	    xpath_first(d, NULL, "//*[@data-testid='main-providers']") != NULL;
	out->marker_grid =
	    xpath_first(d, NULL, "//*[@id='grid-main-providers']") != NULL;
	out->error_marked =
	    xpath_first(d, NULL,
	        "//*[@data-testid='error-code' or @data-testid='error-section' "
	        "or @data-testid='error-section-title']") != NULL;
	if ((n = xpath_first(d, NULL, "//*[@data-testid='error-code']")) !=
	        NULL &&
	    (v = xmlNodeGetContent(n)) != NULL) {
		rc = fc_error_find((const char *)v, strlen((const char *)v),
		    out->code, sizeof(out->code));
		xmlFree(v);
		if (rc != RC_OK)
			return rc;
		out->code_marked = out->code[0] != '\0';
	}
	rc_buf_init(&text, HTML_TEXT_MAX);
	if ((rc = page_text(d, &text)) != RC_OK)
		goto out;
	if (text.len > 0) {
		if (!out->code_marked &&
		    (rc = fc_error_find(text.data, text.len, out->code,
		         sizeof(out->code))) != RC_OK)
			goto out;
		out->says_error = text_says_error(text.data, text.len);
	}
out:
	rc_buf_free(&text);
	return rc;
}
