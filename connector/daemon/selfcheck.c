/* SPDX-License-Identifier: MIT */
/*
 * The public self-check page (selfcheck.h, docs/selfcheck.md).
 *
 * Every page is built here in C; every interpolated value goes through
 * selfcheck_html_escape (text and attribute values alike).  No inline
 * script or style: the Content-Security-Policy forbids them.
 *
 * The results the page knows are held in memory (a bounded table of
 * public id -> job id), forgotten after daemon.selfcheck.result_ttl_s and
 * at a restart; the job itself stays in the store like any other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/digest.h"
#include "common/json.h"
#include "common/ident.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "connector/daemon/ds_credential.h"
#include "connector/daemon/selfcheck.h"
#include "connector/site_dossier.h"
#include "verifier/catalog.h"
#include "verifier/netguard.h"

#include "selfcheck_assets.h"

/* Results held at once; the oldest goes when the table is full. */
#define SC_SLOTS 2048
/* Largest form field kept, bytes (the dossier's URL limit). */
#define SC_FIELD_MAX 2048
/* Largest static file served. */
#define SC_STATIC_MAX   (8 * 1024 * 1024)
#define SC_STATIC_CACHE "public, max-age=604800"
#define SC_PAGE_MAX     (4 * 1024 * 1024)

#define CSP                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; "          \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct sc_slot {
	char rid[SELFCHECK_ID_LEN + 1]; /* "" when free */
	char job[STORE_ID_LEN + 1];
	char siren[RC_SIREN_LEN + 1];
	char *dossier; /* canonical JSON, for a re-test */
	char *login;   /* the login URL, the cooldown's key */
	time_t created;
};

static struct {
	pthread_once_t once;
	pthread_mutex_t mu;
	int ready;
	unsigned char key[SELFCHECK_CSRF_KEY_LEN];
	struct sc_slot slot[SC_SLOTS];
	/* Strangers' addresses and hosts: a table of their own, apart from
	 * the API's token and SIREN counters, that never forgets an open
	 * window (ratelimit.h). */
	struct ratelimit rate;
} sc = { .once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER };

static void
sc_init(void)
{
	ratelimit_init(&sc.rate, 1);
	sc.ready = RAND_bytes(sc.key, sizeof(sc.key)) == 1;
}

/* --- pure helpers ------------------------------------------------------ */

enum rc_code
selfcheck_html_escape(struct rc_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	enum rc_code rc = RC_OK;
	uint32_t cp;
	size_t n;

	while (*p != '\0' && rc == RC_OK) {
		switch (*p) {
		case '&':
			rc = rc_buf_adds(b, "&amp;");
			break;
		case '<':
			rc = rc_buf_adds(b, "&lt;");
			break;
		case '>':
			rc = rc_buf_adds(b, "&gt;");
			break;
		case '"':
			rc = rc_buf_adds(b, "&quot;");
			break;
		case '\'':
			rc = rc_buf_adds(b, "&#39;");
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f) {
				rc = rc_buf_adds(b, "\xef\xbf\xbd");
				break;
			}
			if ((n = rc_utf8_seq(p, strnlen((const char *)p, 4),
			         &cp)) == 0) {
				rc = rc_buf_adds(b, "\xef\xbf\xbd");
				break;
			}
			rc = rc_buf_add(b, p, n);
			p += n - 1;
		}
		p++;
	}
	return rc;
}

/* The MAC of a CSRF token as 43 base64url characters into out[44]. */
static int
csrf_mac(const unsigned char key[SELFCHECK_CSRF_KEY_LEN], const char *bind,
    long long t, char out[44])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[256], *b64 = NULL;
	size_t blen = 0;
	cjose_err cerr;
	int n, ok;

	n = snprintf(msg, sizeof(msg), "raccord-selfcheck-csrf\n%lld\n%s", t,
	    bind);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    HMAC(EVP_sha256(), key, SELFCHECK_CSRF_KEY_LEN,
	        (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL ||
	    maclen != 32 ||
	    !cjose_base64url_encode(mac, maclen, &b64, &blen, &cerr))
		return 0;
	ok = blen == 43;
	if (ok) {
		memcpy(out, b64, 43);
		out[43] = '\0';
	}
	cjose_get_dealloc()(b64);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

int
selfcheck_csrf_make(const unsigned char key[SELFCHECK_CSRF_KEY_LEN],
    const char *bind, long long now, char *out, size_t n)
{
	char mac[44];
	int w;

	if (!csrf_mac(key, bind, now, mac))
		return 0;
	w = snprintf(out, n, "%lld.%s", now, mac);
	return w > 0 && (size_t)w < n;
}

int
selfcheck_csrf_check(const unsigned char key[SELFCHECK_CSRF_KEY_LEN],
    const char *bind, const char *token, long long now, long long ttl)
{
	char want[44];
	const char *dot;
	long long t = 0;
	size_t i;

	/* At most 18 digits: 10^18 - 1 fits a long long, 19 digits may not. */
	if (token == NULL || (dot = strchr(token, '.')) == NULL ||
	    dot == token || dot - token > 18 || strlen(dot + 1) != 43)
		return 0;
	for (i = 0; token + i < dot; i++) {
		if (token[i] < '0' || token[i] > '9')
			return 0;
		t = t * 10 + (token[i] - '0');
	}
	if (t > now + 60 || now - t > ttl)
		return 0;
	if (!csrf_mac(key, bind, t, want))
		return 0;
	return CRYPTO_memcmp(want, dot + 1, 43) == 0;
}

/* --- request helpers --------------------------------------------------- */

/* A form field of an application/x-www-form-urlencoded body. */
struct sc_form {
	char *v[7]; /* siret, login_url, client_id, redirect_uri,
	               environment, button_page_url, csrf */
};

static const char *const form_names[7] = { "siret", "login_url", "client_id",
	"redirect_uri", "environment", "button_page_url", "csrf" };
enum {
	F_SIRET,
	F_LOGIN,
	F_CLIENT,
	F_REDIRECT,
	F_ENV,
	F_BUTTON,
	F_CSRF,
	F__FIELDS = 6 /* the fields a person types */
};

static void
form_free(struct sc_form *f)
{
	size_t i;

	for (i = 0; i < 7; i++)
		rc_free(f->v[i]);
	memset(f, 0, sizeof(*f));
}

/*
 * Parse body (urlencoded): known names only, the first value of each, at
 * most SC_FIELD_MAX bytes decoded, surrounding blanks trimmed.  0 when
 * memory ran out.
 */
static int
form_parse(const char *body, size_t len, struct sc_form *f)
{
	const char *p = body, *end = body + len, *amp, *eq;
	char *raw, *dec, *s, *e;
	int dlen, k;
	CURL *cu;

	memset(f, 0, sizeof(*f));
	if ((cu = curl_easy_init()) == NULL)
		return 0;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL) {
			for (k = 0; k < 7; k++)
				if ((size_t)(eq - p) == strlen(form_names[k]) &&
				    memcmp(p, form_names[k],
				        (size_t)(eq - p)) == 0)
					break;
			if (k < 7 && f->v[k] == NULL &&
			    (size_t)(amp - eq - 1) <= 3 * SC_FIELD_MAX) {
				if ((raw = rc_malloc((size_t)(amp - eq))) ==
				    NULL) {
					curl_easy_cleanup(cu);
					return 0;
				}
				memcpy(raw, eq + 1, (size_t)(amp - eq - 1));
				raw[amp - eq - 1] = '\0';
				for (s = raw; *s != '\0'; s++)
					if (*s == '+')
						*s = ' ';
				dec = curl_easy_unescape(cu, raw, 0, &dlen);
				rc_free(raw);
				if (dec == NULL) {
					curl_easy_cleanup(cu);
					return 0;
				}
				if ((size_t)dlen > SC_FIELD_MAX)
					f->v[k] = rc_strdup("\x01");
				else if (strlen(dec) != (size_t)dlen)
					f->v[k] = rc_strdup("\x02"); /* a NUL */
				else {
					for (s = dec; *s == ' ' || *s == '\t' ||
					     *s == '\r' || *s == '\n';
					     s++)
						;
					e = s + strlen(s);
					while (e > s &&
					    (e[-1] == ' ' || e[-1] == '\t' ||
					        e[-1] == '\r' || e[-1] == '\n'))
						e--;
					*e = '\0';
					f->v[k] = rc_strdup(s);
				}
				curl_free(dec);
				if (f->v[k] == NULL) {
					curl_easy_cleanup(cu);
					return 0;
				}
			}
		}
		p = amp + 1;
	}
	curl_easy_cleanup(cu);
	return 1;
}

/* --- HTML -------------------------------------------------------------- */

static void
esc(struct rc_buf *b, const char *s)
{
	selfcheck_html_escape(b, s != NULL ? s : "");
}

static void
page_head(struct daemon *dm, struct rc_buf *b, const char *title, int refresh)
{
	const char *op = dm->pl.cfg->selfcheck_operator;

	rc_buf_adds(b,
	    "<!DOCTYPE html>\n<html lang=\"fr\" data-fr-scheme=\"light\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n");
	/*
	 * The no-JavaScript path only: with JavaScript, selfcheck.js polls
	 * and updates the page, and a live refresh would reload it every 2 s
	 * (axe-core meta-refresh, WCAG 2.2.1).
	 */
	if (refresh)
		rc_buf_adds(b,
		    "<noscript><meta http-equiv=\"refresh\" "
		    "content=\"2\"></noscript>\n");
	rc_buf_adds(b, "<title>");
	esc(b, title);
	rc_buf_adds(b,
	    " — Auto-contrôle FranceConnect</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/dsfr/dsfr.min.css\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/selfcheck.css\">\n"
	    "</head>\n<body>\n"
	    "<div class=\"fr-skiplinks\"><nav class=\"fr-container\" "
	    "role=\"navigation\" aria-label=\"Accès rapide\"><ul "
	    "class=\"fr-skiplinks__list\"><li><a class=\"fr-link\" "
	    "href=\"#contenu\">Contenu</a></li></ul></nav></div>\n"
	    "<header role=\"banner\" class=\"fr-header\"><div "
	    "class=\"fr-header__body\"><div class=\"fr-container\"><div "
	    "class=\"fr-header__body-row\"><div class=\"fr-header__brand "
	    "fr-enlarge-link\"><div class=\"fr-header__brand-top\"><div "
	    "class=\"fr-header__logo\"><p class=\"fr-logo\">République<br>"
	    "Française</p></div></div><div class=\"fr-header__service\">"
	    "<a href=\"/\" title=\"Accueil — Auto-contrôle FranceConnect\">"
	    "<p class=\"fr-header__service-title\">Auto-contrôle "
	    "FranceConnect</p></a><p class=\"fr-header__service-tagline\">"
	    "Service opéré par ");
	esc(b, op != NULL ? op : "l'exploitant de ce serveur raccord");
	rc_buf_adds(b,
	    "</p></div></div></div></div></div></header>\n"
	    "<main id=\"contenu\" class=\"fr-container fr-my-6w\" "
	    "role=\"main\" tabindex=\"-1\">\n");
}

static void
page_foot(struct daemon *dm, struct rc_buf *b)
{
	const char *op = dm->pl.cfg->selfcheck_operator;

	rc_buf_adds(b,
	    "</main>\n<footer class=\"fr-footer\" role=\"contentinfo\"><div "
	    "class=\"fr-container\"><div class=\"fr-footer__body\"><div "
	    "class=\"fr-footer__brand\"><p class=\"fr-logo\">République<br>"
	    "Française</p></div><div class=\"fr-footer__content\"><p "
	    "class=\"fr-footer__content-desc\">Auto-contrôle FranceConnect, "
	    "service opéré par ");
	esc(b, op != NULL ? op : "l'exploitant de ce serveur raccord");
	rc_buf_adds(b,
	    ", avec le logiciel libre raccord. Rien n'est attribué par ce "
	    "test ; aucune donnée personnelle n'est demandée.</p><ul "
	    "class=\"fr-footer__content-list\"><li "
	    "class=\"fr-footer__content-item\"><a "
	    "class=\"fr-footer__content-link\" href=\"/regles\">Les règles "
	    "vérifiées</a></li></ul></div></div></div></footer>\n"
	    "<script type=\"module\" "
	    "src=\"/static/dsfr/dsfr.module.min.js\"></script>\n"
	    "<script src=\"/static/selfcheck.js\" defer></script>\n"
	    "</body>\n</html>\n");
}

/* Security headers of every page, then extra (NULL-ended pairs). */
static enum MHD_Result
send_page(struct http_ctx *x, unsigned status, struct rc_buf *b,
    const char *loc, long long retry_after)
{
	const char *h[16];
	char num[24];
	size_t n = 0;
	enum MHD_Result ret;

	h[n++] = "Content-Security-Policy";
	h[n++] = CSP;
	h[n++] = "Referrer-Policy";
	h[n++] = "no-referrer";
	h[n++] = "X-Frame-Options";
	h[n++] = "DENY";
	h[n++] = "Cross-Origin-Opener-Policy";
	h[n++] = "same-origin";
	if (x->dm->pl.cfg->tls_cert != NULL) {
		h[n++] = "Strict-Transport-Security";
		h[n++] = "max-age=31536000";
	}
	if (loc != NULL) {
		h[n++] = MHD_HTTP_HEADER_LOCATION;
		h[n++] = loc;
	}
	if (retry_after > 0) {
		snprintf(num, sizeof(num), "%lld", retry_after);
		h[n++] = MHD_HTTP_HEADER_RETRY_AFTER;
		h[n++] = num;
	}
	h[n] = NULL;
	if (b->data == NULL || b->overflow) {
		ret = http_respond(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/plain; charset=utf-8", "erreur interne\n", 15, h);
	} else
		ret = http_respond(x, status, "text/html; charset=utf-8",
		    b->data, b->len, h);
	rc_buf_free(b);
	return ret;
}

/* A page with one DSFR alert: title and text (both escaped). */
static enum MHD_Result
alert_page(struct http_ctx *x, unsigned status, const char *kind,
    const char *testid, const char *title, const char *text,
    long long retry_after)
{
	struct rc_buf b;

	rc_buf_init(&b, SC_PAGE_MAX);
	page_head(x->dm, &b, title, 0);
	rc_buf_addf(&b, "<div class=\"fr-alert fr-alert--%s\"", kind);
	if (testid != NULL)
		rc_buf_addf(&b, " data-testid=\"%s\"", testid);
	rc_buf_adds(&b, "><h1 class=\"fr-alert__title\">");
	esc(&b, title);
	rc_buf_adds(&b, "</h1><p>");
	esc(&b, text);
	rc_buf_adds(&b,
	    "</p></div>\n<p class=\"fr-mt-4w\"><a class=\"fr-link\" "
	    "href=\"/\">Revenir au formulaire</a></p>\n");
	page_foot(x->dm, &b);
	return send_page(x, status, &b, NULL, retry_after);
}

static enum MHD_Result
too_many(struct http_ctx *x, long long retry, const char *what)
{
	char text[400];

	snprintf(text, sizeof(text),
	    "%s Rien n'a été lancé. Réessayez dans %lld seconde%s.", what,
	    retry, retry > 1 ? "s" : "");
	return alert_page(x, MHD_HTTP_TOO_MANY_REQUESTS, "warning",
	    "rate-limited", "Trop de demandes", text, retry);
}

/* The form's labels, hints and input attributes. */
static const struct {
	const char *label, *hint, *type, *extra;
} field_ui[F__FIELDS] = {
	{ "SIRET de la collectivité",
	    "14 chiffres, sans espace (exemple : 21750001600019).", "text",
	    " inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"20\"" },
	{ "Adresse de connexion FranceConnect",
	    "L'adresse https:// qui lance la connexion (le bouton "
	    "FranceConnect y mène).",
	    "url", " autocomplete=\"url\"" },
	{ "Identifiant client (client_id)",
	    "Fourni par FranceConnect à l'inscription du service.", "text",
	    " autocomplete=\"off\" spellcheck=\"false\"" },
	{ "Adresse de retour (redirect_uri)",
	    "L'adresse de retour déclarée à FranceConnect.", "url",
	    " autocomplete=\"url\"" },
	{ "Environnement", "", "", "" },
	{ "Page du bouton FranceConnect (facultatif)",
	    "La page où le bouton s'affiche, pour vérifier sa présentation.",
	    "url", " autocomplete=\"url\"" },
};

static void
form_field(struct rc_buf *b, int k, const char *value, const char *error)
{
	const char *name = form_names[k];

	rc_buf_addf(b, "<div class=\"fr-%s-group%s%s\">\n",
	    k == F_ENV ? "select" : "input",
	    error ? (k == F_ENV ? " fr-select-group--error"
	                        : " fr-input-group--error")
	          : "",
	    "");
	rc_buf_addf(b, "<label class=\"fr-label\" for=\"%s\">", name);
	esc(b, field_ui[k].label);
	if (field_ui[k].hint[0] != '\0') {
		rc_buf_adds(b, "<span class=\"fr-hint-text\">");
		esc(b, field_ui[k].hint);
		rc_buf_adds(b, "</span>");
	}
	rc_buf_adds(b, "</label>\n");
	if (k == F_ENV) {
		int integ = value != NULL && strcmp(value, "integration") == 0;

		rc_buf_addf(b,
		    "<select class=\"fr-select%s\" id=\"environment\" "
		    "name=\"environment\"%s>\n"
		    "<option value=\"production\"%s>Production</option>\n"
		    "<option value=\"integration\"%s>Intégration (bac à "
		    "sable FranceConnect)</option>\n</select>\n",
		    error ? " fr-select--error" : "",
		    error ? " aria-invalid=\"true\" "
		            "aria-describedby=\"environment-error\""
		          : "",
		    integ ? "" : " selected", integ ? " selected" : "");
	} else {
		rc_buf_addf(b,
		    "<input class=\"fr-input%s\" type=\"%s\" id=\"%s\" "
		    "name=\"%s\"%s%s",
		    error ? " fr-input--error" : "", field_ui[k].type, name,
		    name, field_ui[k].extra, k == F_BUTTON ? "" : " required");
		if (error)
			rc_buf_addf(b,
			    " aria-invalid=\"true\" "
			    "aria-describedby=\"%s-error\"",
			    name);
		rc_buf_adds(b, " value=\"");
		esc(b, value);
		rc_buf_adds(b, "\">\n");
	}
	if (error) {
		rc_buf_addf(b, "<p id=\"%s-error\" class=\"fr-error-text\">",
		    name);
		esc(b, error);
		rc_buf_adds(b, "</p>\n");
	}
	rc_buf_adds(b, "</div>\n");
}

/* Below: the DS token section of the page (only with the DS poller). */
static void ds_token_section(struct rc_buf *b, const char *csrf);

/* GET / (errs NULL) or the form again with the field messages. */
static enum MHD_Result
form_page(struct http_ctx *x, unsigned status, const struct sc_form *f,
    char *const *errs)
{
	char addr[INET6_ADDRSTRLEN + 8], tok[SELFCHECK_CSRF_MAX];
	struct rc_buf b;
	int k, nerr = 0;

	http_client_addr(x, addr, sizeof(addr));
	if (!selfcheck_csrf_make(sc.key, addr, (long long)time(NULL), tok,
	        sizeof(tok)))
		tok[0] = '\0';
	rc_buf_init(&b, SC_PAGE_MAX);
	for (k = 0; errs != NULL && k < F__FIELDS; k++)
		nerr += errs[k] != NULL;
	page_head(x->dm, &b,
	    nerr ? "Erreur — Tester une intégration FranceConnect"
	         : "Tester une intégration FranceConnect",
	    0);
	rc_buf_adds(&b,
	    "<h1>Tester une intégration FranceConnect</h1>\n"
	    "<p class=\"fr-text--lead\">Indiquez le SIRET de la collectivité "
	    "et l'adresse de connexion de son portail : raccord vérifie, "
	    "comme le ferait FranceConnect, que l'intégration serait "
	    "acceptée, et explique chaque point à corriger.</p>\n"
	    "<div class=\"fr-callout fr-mb-4w\"><h2 "
	    "class=\"fr-callout__title\">Ce qui est testé, et ce qui ne "
	    "l'est pas</h2><ul class=\"fr-callout__text\">"
	    "<li>Testé : l'adresse de connexion (la demande envoyée à "
	    "FranceConnect, ses paramètres, state et nonce), l'adresse de "
	    "retour, le chiffrement HTTPS et, si vous l'indiquez, la page "
	    "du bouton.</li>"
	    "<li>Non testé : la suite de la connexion d'une vraie personne "
	    "(aucune identité n'est utilisée), ni vos échanges avec les API "
	    "nationales.</li>"
	    "<li>Rien n'est attribué par ce test, et aucune donnée "
	    "personnelle ni coordonnée bancaire n'est demandée.</li>"
	    "</ul></div>\n");
	if (nerr) {
		rc_buf_addf(&b,
		    "<div class=\"fr-alert fr-alert--error fr-mb-4w\" "
		    "data-testid=\"form-errors\" role=\"alert\" "
		    "tabindex=\"-1\" id=\"form-errors\"><h2 "
		    "class=\"fr-alert__title\">Le formulaire contient %d "
		    "erreur%s</h2><ul>\n",
		    nerr, nerr > 1 ? "s" : "");
		for (k = 0; k < F__FIELDS; k++) {
			if (errs[k] == NULL)
				continue;
			rc_buf_addf(&b, "<li><a href=\"#%s\">", form_names[k]);
			esc(&b, field_ui[k].label);
			rc_buf_adds(&b, "</a> : ");
			esc(&b, errs[k]);
			rc_buf_adds(&b, "</li>\n");
		}
		rc_buf_adds(&b, "</ul></div>\n");
	}
	rc_buf_adds(&b,
	    "<form id=\"selfcheck-form\" method=\"post\" "
	    "action=\"/selfcheck\" novalidate>\n"
	    "<fieldset class=\"fr-fieldset\"><legend "
	    "class=\"fr-fieldset__legend\">Votre intégration</legend>\n"
	    "<div class=\"fr-fieldset__content\">\n");
	for (k = 0; k < F__FIELDS; k++)
		form_field(&b, k, f != NULL ? f->v[k] : NULL,
		    errs != NULL ? errs[k] : NULL);
	rc_buf_adds(&b,
	    "</div></fieldset>\n<input type=\"hidden\" "
	    "name=\"csrf\" value=\"");
	esc(&b, tok);
	rc_buf_adds(&b,
	    "\">\n<button class=\"fr-btn\" type=\"submit\" "
	    "id=\"selfcheck-submit\">Lancer le test</button>\n</form>\n");
	if (ds_credential_on(x->dm->pl.cfg))
		ds_token_section(&b, tok);
	page_foot(x->dm, &b);
	return send_page(x, status, &b, NULL, 0);
}

/* --- the results table ------------------------------------------------- */

static void
slot_clear(struct sc_slot *s)
{
	rc_free(s->dossier);
	rc_free(s->login);
	memset(s, 0, sizeof(*s));
}

/* Forget the expired results (under sc.mu). */
static void
slots_expire(struct daemon *dm, time_t now)
{
	size_t i;

	for (i = 0; i < SC_SLOTS; i++)
		if (sc.slot[i].rid[0] != '\0' &&
		    now - sc.slot[i].created >= dm->pl.cfg->selfcheck_ttl)
			slot_clear(&sc.slot[i]);
}

/* The slot of rid (under sc.mu), or NULL; compared in constant time. */
static struct sc_slot *
slot_find(const char *rid)
{
	struct sc_slot *hit = NULL;
	size_t i;

	if (strlen(rid) != SELFCHECK_ID_LEN)
		return NULL;
	for (i = 0; i < SC_SLOTS; i++)
		if (sc.slot[i].rid[0] != '\0' &&
		    CRYPTO_memcmp(sc.slot[i].rid, rid, SELFCHECK_ID_LEN) == 0)
			hit = &sc.slot[i];
	return hit;
}

/*
 * The newest result for the same canonical dossier (SIRET, login URL,
 * client_id, redirect_uri, environment, button page) still within the
 * cooldown (under sc.mu).  Keyed on the whole dossier, not the login URL
 * alone: a corrected client_id must not be shown the verdict of the wrong
 * one; the per-host limit bounds how often one portal is probed.
 */
static struct sc_slot *
slot_recent(struct daemon *dm, const char *canon, time_t now)
{
	struct sc_slot *hit = NULL;
	size_t i;

	for (i = 0; i < SC_SLOTS; i++) {
		struct sc_slot *s = &sc.slot[i];

		if (s->rid[0] != '\0' && strcmp(s->dossier, canon) == 0 &&
		    now - s->created < dm->pl.cfg->selfcheck_cooldown &&
		    (hit == NULL || s->created > hit->created))
			hit = s;
	}
	return hit;
}

/* A free slot (under sc.mu): the oldest one goes when none is free. */
static struct sc_slot *
slot_take(void)
{
	struct sc_slot *old = &sc.slot[0];
	size_t i;

	for (i = 0; i < SC_SLOTS; i++) {
		if (sc.slot[i].rid[0] == '\0')
			return &sc.slot[i];
		if (sc.slot[i].created < old->created)
			old = &sc.slot[i];
	}
	slot_clear(old);
	return old;
}

/* A new public id: 16 random bytes, base64url (22 characters). */
static int
new_rid(char out[SELFCHECK_ID_LEN + 1])
{
	unsigned char r[16];
	char *b64 = NULL;
	size_t blen = 0;
	cjose_err cerr;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1 ||
	    !cjose_base64url_encode(r, sizeof(r), &b64, &blen, &cerr))
		return 0;
	ok = blen == SELFCHECK_ID_LEN;
	if (ok) {
		memcpy(out, b64, SELFCHECK_ID_LEN);
		out[SELFCHECK_ID_LEN] = '\0';
	}
	cjose_get_dealloc()(b64);
	return ok;
}

/* The host of an absolute URL into out (lower case, no port), or "". */
static void
url_host(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *h = NULL;
	size_t i;

	out[0] = '\0';
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		snprintf(out, n, "%s", h);
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] >= 'A' && out[i] <= 'Z')
				out[i] = (char)(out[i] - 'A' + 'a');
	}
	curl_free(h);
	curl_url_cleanup(u);
}

/*
 * The SSRF guard on a URL whose host is an address (or "localhost"):
 * 0 with a French explanation in why when it is refused.  A name is
 * judged when the probe resolves it (the result page explains it then).
 */
static int
url_guard_ok(struct daemon *dm, const char *url, char *why, size_t n)
{
	/* Never the operator's network.allow_private: strangers type these. */
	const struct cfg_list *al = &dm->pl.cfg->selfcheck_allow_private;
	const char *allow[65];
	char host[300], g[300], hv[300];
	struct rc_err err = { 0 };
	struct netguard *ng;
	size_t i, hl;
	int r;

	url_host(url, host, sizeof(host));
	if (host[0] == '\0')
		return 1;
	snprintf(hv, sizeof(hv), "%s", host);
	hl = strlen(hv);
	if (hl >= 2 && hv[0] == '[' && hv[hl - 1] == ']') {
		memmove(hv, hv + 1, hl - 2);
		hv[hl - 2] = '\0';
	}
	for (i = 0; i < al->n && i < 64; i++)
		allow[i] = al->v[i];
	allow[i] = NULL;
	if ((ng = netguard_new(allow, &err)) == NULL)
		return 1; /* the config loaded it already */
	if (strcmp(hv, "localhost") == 0 ||
	    (hl > 10 && strcmp(hv + strlen(hv) - 10, ".localhost") == 0))
		r = netguard_check_str(ng, "127.0.0.1", g, sizeof(g));
	else
		r = netguard_check_str(ng, hv, g, sizeof(g));
	netguard_free(ng);
	if (r != 0)
		return 1; /* allowed, or a name */
	snprintf(why, n,
	    "Cette adresse mène à un réseau privé ou réservé (%s) : par "
	    "sécurité, ce service ne contacte que des adresses publiques "
	    "d'internet, pour ne pas servir à sonder des réseaux internes. "
	    "Indiquez l'adresse publique de votre portail.",
	    g);
	return 0;
}

/* --- POST /selfcheck --------------------------------------------------- */

/* The dossier's JSON paths as the form's fields. */
static const struct {
	const char *path;
	int field;
} field_paths[] = {
	{ "collectivite.siret", F_SIRET },
	{ "collectivite.siren", F_SIRET },
	{ "integrations[0].environment", F_ENV },
	{ "integrations[0].client_id", F_CLIENT },
	{ "integrations[0].login_url", F_LOGIN },
	{ "integrations[0].redirect_uri", F_REDIRECT },
	{ "integrations[0].button_page_url", F_BUTTON },
};

/* The French message of a field the dossier parser refused. */
static const char *const field_fr[F__FIELDS] = {
	"Ce SIRET n'est pas valide.",
	"Indiquez une adresse web complète, commençant par https:// "
	"(exemple : https://www.mairie-exemple.fr/connexion).",
	"Indiquez l'identifiant client fourni par FranceConnect.",
	"Indiquez une adresse web complète, commençant par https:// "
	"(exemple : https://www.mairie-exemple.fr/callback).",
	"Choisissez « production » ou « intégration ».",
	"Indiquez une adresse web complète, commençant par https://, ou "
	"laissez ce champ vide.",
};

/* errs[k] = msg, with the parser's English detail when given. */
static int
set_err(char **errs, int k, const char *msg, const char *detail)
{
	char m[1200];

	if (errs[k] != NULL)
		return 1;
	if (detail != NULL)
		snprintf(m, sizeof(m), "%s (Détail, en anglais : %s)", msg,
		    detail);
	else
		snprintf(m, sizeof(m), "%s", msg);
	return (errs[k] = rc_strdup(m)) != NULL;
}

/* A SIRET as the INSEE rule reads it, in French; NULL when valid. */
static const char *
siret_fr(const char *s)
{
	const char *why = NULL;
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return "Le SIRET ne contient que des chiffres (14).";
	if (i != RC_SIRET_LEN)
		return "Le SIRET compte exactement 14 chiffres.";
	if (rc_siret_valid(s, &why))
		return NULL;
	if (why != NULL && strstr(why, "La Poste") != NULL)
		return "Ce SIRET d'un établissement de La Poste ne respecte "
		       "pas "
		       "sa règle de contrôle (somme des chiffres multiple de "
		       "5) : vérifiez-le.";
	if (why != NULL && strstr(why, "SIREN") != NULL)
		return "Les 9 premiers chiffres (le SIREN) ne forment pas un "
		       "SIREN valide : vérifiez le numéro.";
	return "La clé de contrôle de ce SIRET (formule de Luhn) ne "
	       "correspond pas : un chiffre est probablement erroné.";
}

/* Submit the job for a slot; its HTTP answer in *ret when it fails. */
static int
submit_job(struct http_ctx *x, const char *canon, const char *siren,
    const char *rid, char job[STORE_ID_LEN + 1], enum MHD_Result *ret)
{
	struct daemon *dm = x->dm;
	const struct cfg *cfg = dm->pl.cfg;
	struct rc_err err = { 0 };
	char idem[65], key[64];
	long long share;
	int existed = 0, full = 0;

	share = cfg->daemon_queue_max * cfg->selfcheck_queue_share / 100;
	if (share < 1)
		share = 1;
	snprintf(key, sizeof(key), "selfcheck\n%s", rid);
	if (rc_sha256_hex(key, strlen(key), idem) != RC_OK ||
	    store_submit_capped(dm->store, idem, canon, "self-check", siren,
	        SELFCHECK_BY, cfg->daemon_queue_max, share, job, &existed,
	        &full, &err) != RC_OK) {
		if (err.msg[0])
			log_error("job store: %s", err.msg);
		*ret = alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service",
		    "Le test n'a pas pu être enregistré. Réessayez plus tard.",
		    0);
		return 0;
	}
	if (full) {
		*ret = alert_page(x, MHD_HTTP_SERVICE_UNAVAILABLE, "warning",
		    "queue-full", "Service très sollicité",
		    full == 2 ? "Trop de tests sont déjà en attente. Rien n'a "
		                "été lancé : réessayez dans quelques instants."
		              : "La file d'attente est pleine. Rien n'a été "
		                "lancé : réessayez dans quelques instants.",
		    DAEMON_RETRY_AFTER);
		return 0;
	}
	log_info("job=%s state=queued dossier_id=self-check siren=%s by=%s",
	    job, siren, SELFCHECK_BY);
	worker_kick(dm);
	return 1;
}

/* 429 unless the address and the host are within their limits. */
static int
limited(struct http_ctx *x, const char *prefix, const char *value,
    long long limit, const char *what, enum MHD_Result *ret)
{
	char key[RATELIMIT_KEY_MAX + 1];
	struct timespec now;
	long long retry;

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(key, sizeof(key), "%s%s", prefix, value);
	if (ratelimit_take(&sc.rate, key, limit, 3600, (long long)now.tv_sec,
	        &retry))
		return 0;
	*ret = too_many(x, retry, what);
	return 1;
}

/* Record a new result and answer 303 to it (under nothing). */
static enum MHD_Result
start_check(struct http_ctx *x, const char *canon, const char *siren,
    const char *login)
{
	char rid[SELFCHECK_ID_LEN + 1], job[STORE_ID_LEN + 1], loc[64],
	    host[300];
	struct sc_slot *s;
	enum MHD_Result ret;
	char *dcopy, *lcopy;

	url_host(login, host, sizeof(host));
	if (limited(x, "schost:", host, x->dm->pl.cfg->selfcheck_rate_host,
	        "Ce portail a déjà été testé plusieurs fois dans l'heure.",
	        &ret))
		return ret;
	if (!new_rid(rid))
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	if (!submit_job(x, canon, siren, rid, job, &ret))
		return ret;
	dcopy = rc_strdup(canon);
	lcopy = rc_strdup(login);
	if (dcopy == NULL || lcopy == NULL) {
		rc_free(dcopy);
		rc_free(lcopy);
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	}
	pthread_mutex_lock(&sc.mu);
	s = slot_take();
	memcpy(s->rid, rid, sizeof(s->rid));
	memcpy(s->job, job, sizeof(s->job));
	snprintf(s->siren, sizeof(s->siren), "%s", siren);
	s->dossier = dcopy;
	s->login = lcopy;
	s->created = time(NULL);
	pthread_mutex_unlock(&sc.mu);
	snprintf(loc, sizeof(loc), "/r/%s", rid);
	{
		struct rc_buf b;

		rc_buf_init(&b, 4096);
		rc_buf_addf(&b,
		    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta "
		    "charset=\"utf-8\"><title>Test lancé</title></head><body>"
		    "<p><a href=\"%s\">Voir le résultat</a></p></body></html>"
		    "\n",
		    loc);
		return send_page(x, MHD_HTTP_SEE_OTHER, &b, loc, 0);
	}
}

static int
csrf_ok(struct http_ctx *x, const char *tok)
{
	char addr[INET6_ADDRSTRLEN + 8];

	http_client_addr(x, addr, sizeof(addr));
	return selfcheck_csrf_check(sc.key, addr, tok, (long long)time(NULL),
	    SELFCHECK_CSRF_TTL);
}

static enum MHD_Result
csrf_refused(struct http_ctx *x)
{
	return alert_page(x, MHD_HTTP_FORBIDDEN, "error", "csrf-refused",
	    "Formulaire expiré ou invalide",
	    "Ce formulaire n'a pas été envoyé depuis cette page, ou il a "
	    "expiré (il vaut deux heures). Rechargez le formulaire et "
	    "envoyez-le de nouveau.",
	    0);
}

static enum MHD_Result
post_selfcheck(struct http_ctx *x, struct http_req *rq)
{
	struct daemon *dm = x->dm;
	struct sc_form f;
	struct site_flags sf = { 0 };
	struct rc_errs errs;
	struct dossier *d = NULL;
	char *fe[F__FIELDS] = { 0 }, *canon = NULL, *json = NULL,
	     addr[INET6_ADDRSTRLEN + 8], loc[80], why[900];
	const char *msg, *m;
	json_t *root = NULL;
	struct sc_slot *s;
	enum MHD_Result ret;
	size_t i, k, pl;
	int bad = 0, j;

	if (!form_parse(rq->body.data ? rq->body.data : "", rq->body.len, &f))
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	if (!csrf_ok(x, f.v[F_CSRF])) {
		ret = csrf_refused(x);
		goto out;
	}
	http_client_addr(x, addr, sizeof(addr));
	if (limited(x, "scaddr:", addr, dm->pl.cfg->selfcheck_rate_ip,
	        "Vous avez lancé beaucoup de tests depuis cette adresse.",
	        &ret))
		goto out;
	if (f.v[F_SIRET] != NULL) { /* "217 500 016 00019" as typed */
		char *r = f.v[F_SIRET], *w = r;

		for (; *r != '\0'; r++)
			if (*r != ' ')
				*w++ = *r;
		*w = '\0';
	}
	for (j = 0; j < F__FIELDS; j++) {
		if (f.v[j] != NULL && strcmp(f.v[j], "\x01") == 0)
			bad |= !set_err(fe, j,
			    "Ce champ est trop long (2048 caractères au plus).",
			    NULL);
		if (f.v[j] != NULL && strcmp(f.v[j], "\x02") == 0)
			bad |= !set_err(fe, j,
			    "Ce champ contient des caractères invalides.",
			    NULL);
	}
	if (f.v[F_SIRET] != NULL && f.v[F_SIRET][0] != '\0' &&
	    fe[F_SIRET] == NULL && (msg = siret_fr(f.v[F_SIRET])) != NULL)
		bad |= !set_err(fe, F_SIRET, msg, NULL);
	if (f.v[F_ENV] != NULL && strcmp(f.v[F_ENV], "production") != 0 &&
	    strcmp(f.v[F_ENV], "integration") != 0)
		bad |= !set_err(fe, F_ENV, field_fr[F_ENV], NULL);
	/* The CLI's path: the same JSON, the same parser. */
	sf.siret = f.v[F_SIRET] && f.v[F_SIRET][0] ? f.v[F_SIRET] : NULL;
	sf.login_url = f.v[F_LOGIN] && f.v[F_LOGIN][0] ? f.v[F_LOGIN] : NULL;
	sf.client_id = f.v[F_CLIENT] && f.v[F_CLIENT][0] ? f.v[F_CLIENT] : NULL;
	sf.redirect_uri =
	    f.v[F_REDIRECT] && f.v[F_REDIRECT][0] ? f.v[F_REDIRECT] : NULL;
	sf.env = f.v[F_ENV] && f.v[F_ENV][0] ? f.v[F_ENV] : NULL;
	sf.button_page_url =
	    f.v[F_BUTTON] && f.v[F_BUTTON][0] ? f.v[F_BUTTON] : NULL;
	rc_errs_init(&errs);
	if ((root = site_dossier_json(&sf)) == NULL ||
	    (json = json_dumps(root, JSON_COMPACT)) == NULL) {
		for (j = 0; j < F__FIELDS; j++)
			if (f.v[j] != NULL)
				bad |= !set_err(fe, j,
				    "Ce champ contient des caractères "
				    "invalides.",
				    NULL);
	} else if (daemon_dossier_screen(json, strlen(json), &canon, &d,
	               &errs) != RC_OK) {
		for (i = 0; i < rc_errs_kept(&errs); i++) {
			m = errs.e[i].msg;
			if (strncmp(m, "request body: ", 14) == 0)
				m += 14;
			for (k = 0;
			     k < sizeof(field_paths) / sizeof(field_paths[0]);
			     k++) {
				pl = strlen(field_paths[k].path);
				if (strncmp(m, field_paths[k].path, pl) == 0 &&
				    m[pl] == ':')
					break;
			}
			j = k < sizeof(field_paths) / sizeof(field_paths[0])
			    ? field_paths[k].field
			    : F_LOGIN;
			if (j == F_SIRET && f.v[F_SIRET] != NULL &&
			    f.v[F_SIRET][0] == '\0')
				bad |= !set_err(fe, j,
				    "Indiquez le SIRET de la collectivité.",
				    NULL);
			else if (j != F_SIRET && j != F_ENV &&
			    (f.v[j] == NULL || f.v[j][0] == '\0'))
				bad |= !set_err(fe, j,
				    "Ce champ est obligatoire.", NULL);
			else
				bad |= !set_err(fe, j, field_fr[j], m);
		}
		if (rc_errs_kept(&errs) == 0)
			bad = 1;
	}
	for (j = 0; j < F__FIELDS && d != NULL; j++)
		if ((j == F_LOGIN || j == F_REDIRECT || j == F_BUTTON) &&
		    fe[j] == NULL && f.v[j] != NULL && f.v[j][0] != '\0' &&
		    !url_guard_ok(dm, f.v[j], why, sizeof(why)))
			bad |= !set_err(fe, j, why, NULL);
	for (j = 0; j < F__FIELDS; j++)
		if (fe[j] != NULL)
			break;
	if (bad && j == F__FIELDS) {
		ret = alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
		goto out;
	}
	if (j < F__FIELDS) {
		ret = form_page(x, MHD_HTTP_BAD_REQUEST, &f, fe);
		goto out;
	}
	/* A login URL checked within the cooldown: that result, cached. */
	pthread_mutex_lock(&sc.mu);
	slots_expire(dm, time(NULL));
	s = slot_recent(dm, canon, time(NULL));
	if (s != NULL)
		snprintf(loc, sizeof(loc), "/r/%s?cache=1", s->rid);
	pthread_mutex_unlock(&sc.mu);
	if (s != NULL) {
		struct rc_buf b;

		rc_buf_init(&b, 4096);
		rc_buf_adds(&b,
		    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta "
		    "charset=\"utf-8\"><title>Résultat "
		    "récent</title></head><body><p><a href=\"");
		esc(&b, loc);
		rc_buf_adds(&b,
		    "\">Voir le résultat récent</a></p></body>"
		    "</html>\n");
		ret = send_page(x, MHD_HTTP_SEE_OTHER, &b, loc, 0);
		goto out;
	}
	ret = start_check(x, canon, d->collectivite.siren,
	    d->integrations[0].login_url);
out:
	for (j = 0; j < F__FIELDS; j++)
		rc_free(fe[j]);
	form_free(&f);
	json_decref(root);
	free(json);  /* json_dumps */
	free(canon); /* json_dumps */
	dossier_free(d);
	return ret;
}

/* --- GET /r/<id>, /r/<id>.json, POST /r/<id>/retest -------------------- */

/* The job of rid with its slot's data copied out; 0 when unknown. */
static int
lookup(struct daemon *dm, const char *rid, char job[STORE_ID_LEN + 1],
    time_t *created, long long *cooldown_left)
{
	struct sc_slot *s;
	time_t now = time(NULL);
	int found = 0;

	pthread_mutex_lock(&sc.mu);
	slots_expire(dm, now);
	if ((s = slot_find(rid)) != NULL) {
		memcpy(job, s->job, STORE_ID_LEN + 1);
		*created = s->created;
		*cooldown_left = dm->pl.cfg->selfcheck_cooldown -
		    (long long)(now - s->created);
		if (*cooldown_left < 0)
			*cooldown_left = 0;
		found = 1;
	}
	pthread_mutex_unlock(&sc.mu);
	return found;
}

static enum MHD_Result
not_found(struct http_ctx *x)
{
	return alert_page(x, MHD_HTTP_NOT_FOUND, "info", "not-found",
	    "Résultat introuvable",
	    "Ce résultat n'existe pas ou a expiré (les résultats sont "
	    "effacés au bout d'un moment). Lancez un nouveau test.",
	    0);
}

/* The job's report with the French catalogue texts, or NULL. */
static json_t *
job_report(json_t *job)
{
	json_t *rep = json_object_get(job, "report");

	if (!json_is_object(rep))
		return NULL;
	catalog_explain_report_json(rep, CATALOG_FR);
	return rep;
}

static enum MHD_Result
get_result_json(struct http_ctx *x, const char *rid)
{
	char job[STORE_ID_LEN + 1], when[32];
	struct rc_err err = { 0 };
	long long left;
	time_t created;
	json_t *j = NULL, *o, *rep;
	struct tm tm;

	if (!lookup(x->dm, rid, job, &created, &left))
		return http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such result (unknown or expired)");
	if (store_get(x->dm->store, job, &j, &err) != RC_OK || j == NULL) {
		json_decref(j);
		return http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the job store failed");
	}
	gmtime_r(&created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rep = job_report(j);
	o = json_pack("{s:s, s:O, s:O, s:s, s:I, s:O, s:O}", "id", rid, "state",
	    json_object_get(j, "state"), "verdict",
	    json_object_get(j, "verdict"), "submitted", when, "retest_in_s",
	    (json_int_t)left, "error", json_object_get(j, "error"), "report",
	    rep != NULL ? rep : json_null());
	json_decref(j);
	return http_respond_json(x, MHD_HTTP_OK, o, NULL, 0);
}

static const char *
status_fr(const char *st)
{
	static const struct {
		const char *s, *fr, *badge;
	} t[] = {
		{ "pass", "Réussi", "success" },
		{ "fail", "Échec", "error" },
		{ "warn", "Avertissement", "warning" },
		{ "skip", "Non applicable", "info" },
		{ "error", "Non vérifiable", "warning" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(st, t[i].s) == 0)
			return t[i].fr;
	return st;
}

static const char *
status_badge(const char *st)
{
	if (strcmp(st, "pass") == 0)
		return "success";
	if (strcmp(st, "fail") == 0)
		return "error";
	if (strcmp(st, "warn") == 0 || strcmp(st, "error") == 0)
		return "warning";
	return "info";
}

/* A check's row: status, French title, why, fix, detail, source. */
static void
check_row(struct rc_buf *b, json_t *c, json_t *exchanges)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *st = json_string_value(json_object_get(c, "status"));
	const char *detail = json_string_value(json_object_get(c, "detail"));
	const struct catalog_entry *e = catalog_find(id ? id : "");
	json_t *ex = json_object_get(c, "exchanges"), *v, *one;
	size_t i;

	(void)exchanges;
	if (id == NULL || st == NULL)
		return;
	rc_buf_adds(b, "<li data-testid=\"check-row\" data-check-id=\"");
	esc(b, id);
	rc_buf_adds(b, "\" data-status=\"");
	esc(b, st);
	rc_buf_addf(b,
	    "\" class=\"fr-mb-4w\">\n<h3 class=\"fr-h6 fr-mb-1w\"><span "
	    "class=\"fr-badge fr-badge--sm fr-badge--%s fr-mr-1w\">",
	    status_badge(st));
	esc(b, status_fr(st));
	rc_buf_adds(b, "</span>");
	esc(b, e != NULL ? e->text[CATALOG_FR].title : id);
	rc_buf_adds(b, "</h3>\n");
	if (e != NULL) {
		rc_buf_adds(b,
		    "<p class=\"fr-mb-1w\"><strong>Pourquoi c'est "
		    "important :</strong> ");
		esc(b, e->text[CATALOG_FR].why);
		rc_buf_adds(b, "</p>\n");
		if (strcmp(st, "pass") != 0 && strcmp(st, "skip") != 0) {
			rc_buf_adds(b,
			    "<p class=\"fr-mb-1w\"><strong>Comment "
			    "corriger :</strong> ");
			esc(b, e->text[CATALOG_FR].fix);
			rc_buf_adds(b, "</p>\n");
		}
	}
	if (detail != NULL && detail[0] != '\0') {
		rc_buf_adds(b,
		    "<p class=\"fr-text--sm fr-mb-1w\">Constat "
		    "technique (en anglais) : <code>");
		esc(b, detail);
		rc_buf_adds(b, "</code></p>\n");
	}
	rc_buf_adds(b,
	    "<p class=\"fr-text--sm\"><a class=\"fr-link "
	    "fr-link--sm\" href=\"/regles#");
	esc(b, id);
	rc_buf_adds(b, "\">Source de la règle « ");
	esc(b, id);
	rc_buf_adds(b, " »</a>");
	if (e != NULL && e->spec != NULL) {
		rc_buf_adds(b, " — ");
		esc(b, e->spec);
	}
	rc_buf_adds(b, "</p>\n");
	if (json_array_size(ex) > 0) {
		rc_buf_adds(b, "<p class=\"fr-text--xs\">Échanges HTTP : ");
		json_array_foreach(ex, i, v)
		{
			one = v; /* indexes into the report's exchanges */
			rc_buf_addf(b,
			    "%s<a href=\"#echange-%lld\">n° %lld</a>",
			    i ? ", " : "", (long long)json_integer_value(one),
			    (long long)json_integer_value(one) + 1);
		}
		rc_buf_adds(b, "</p>\n");
	}
	rc_buf_adds(b, "</li>\n");
}

static void
exchanges_block(struct rc_buf *b, json_t *exs)
{
	json_t *e;
	size_t i;
	const char *s;

	rc_buf_addf(b,
	    "<details data-testid=\"exchanges\" class=\"fr-mb-4w\"><summary>"
	    "Voir les échanges HTTP (%zu)</summary>\n<ol>\n",
	    json_array_size(exs));
	json_array_foreach(exs, i, e)
	{
		rc_buf_addf(b, "<li id=\"echange-%zu\"><code>", i);
		esc(b, json_string_value(json_object_get(e, "method")));
		rc_buf_adds(b, " ");
		esc(b, json_string_value(json_object_get(e, "url")));
		rc_buf_adds(b, "</code>");
		if (json_is_integer(json_object_get(e, "status")))
			rc_buf_addf(b, " → HTTP %lld",
			    (long long)json_integer_value(
			        json_object_get(e, "status")));
		if ((s = json_string_value(json_object_get(e, "location"))) !=
		    NULL) {
			rc_buf_adds(b, " → <code>");
			esc(b, s);
			rc_buf_adds(b, "</code>");
		}
		if ((s = json_string_value(json_object_get(e, "error"))) !=
		    NULL) {
			rc_buf_adds(b, " — erreur : ");
			esc(b, s);
		}
		rc_buf_adds(b, "</li>\n");
	}
	rc_buf_adds(b, "</ol></details>\n");
}

/* Does any exchange of the report show the SSRF guard's refusal? */
static int
guard_refused(json_t *rep)
{
	json_t *e;
	size_t i;
	const char *s;

	json_array_foreach(json_object_get(rep, "exchanges"), i, e)
	{
		s = json_string_value(json_object_get(e, "error"));
		if (s != NULL && strstr(s, "network.allow_private") != NULL)
			return 1;
	}
	return 0;
}

static void
french_time(time_t t, char *out, size_t n)
{
	static const char *const mois[12] = { "janvier", "février", "mars",
		"avril", "mai", "juin", "juillet", "août", "septembre",
		"octobre", "novembre", "décembre" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%d %s %d à %02d:%02d:%02d UTC", tm.tm_mday,
	    mois[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

static void
age_fr(long long s, char *out, size_t n)
{
	if (s < 60)
		snprintf(out, n, "%lld seconde%s", s, s > 1 ? "s" : "");
	else if (s < 3600)
		snprintf(out, n, "%lld minute%s", s / 60, s >= 120 ? "s" : "");
	else
		snprintf(out, n, "%lld heure%s", s / 3600,
		    s >= 7200 ? "s" : "");
}

static enum MHD_Result
get_result(struct http_ctx *x, const char *rid)
{
	char job[STORE_ID_LEN + 1], when[40], iso[32], age[40], wait[40],
	    tok[SELFCHECK_CSRF_MAX], addr[INET6_ADDRSTRLEN + 8];
	struct rc_err err = { 0 };
	const char *state, *verdict, *label, *kind, *cache;
	json_t *j = NULL, *rep, *sec, *c;
	long long left;
	time_t created, checked;
	struct rc_buf b;
	struct tm tm;
	size_t i, k;
	int running;

	if (!lookup(x->dm, rid, job, &created, &left))
		return not_found(x);
	if (store_get(x->dm->store, job, &j, &err) != RC_OK || j == NULL) {
		json_decref(j);
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	}
	state = json_string_value(json_object_get(j, "state"));
	running = state == NULL || strcmp(state, "queued") == 0 ||
	    strcmp(state, "running") == 0;
	rc_buf_init(&b, SC_PAGE_MAX);
	if (running) {
		page_head(x->dm, &b, "Test en cours", 1);
		rc_buf_adds(&b,
		    "<h1>Test en cours</h1>\n<div class=\"fr-callout\" "
		    "data-testid=\"progress\" id=\"progress\" "
		    "aria-live=\"polite\" data-poll=\"/r/");
		esc(&b, rid);
		rc_buf_addf(&b,
		    ".json\"><h2 class=\"fr-callout__title\">%s</h2><p "
		    "class=\"fr-callout__text\">raccord interroge votre "
		    "portail comme le ferait FranceConnect. Cette page se "
		    "met à jour d'elle-même ; le test dure en général moins "
		    "d'une minute.</p></div>\n",
		    state != NULL && strcmp(state, "running") == 0
		        ? "Vérification en cours…"
		        : "En attente de vérification…");
		page_foot(x->dm, &b);
		json_decref(j);
		return send_page(x, MHD_HTTP_OK, &b, NULL, 0);
	}
	rep = job_report(j);
	verdict = json_string_value(json_object_get(j, "verdict"));
	if (verdict == NULL || rep == NULL)
		verdict = "inconclusive";
	if (strcmp(verdict, "verified") == 0) {
		kind = "success";
		label = "Intégration vérifiée : FranceConnect l'accepterait";
	} else if (strcmp(verdict, "failed") == 0) {
		kind = "error";
		label = "Échec : FranceConnect refuserait cette intégration";
	} else {
		verdict = "inconclusive";
		kind = "warning";
		label = "Non concluant : le test n'a pas pu tout vérifier";
	}
	checked = (time_t)json_integer_value(json_object_get(j, "updated"));
	if (checked == 0)
		checked = created;
	page_head(x->dm, &b, label, 0);
	rc_buf_adds(&b, "<h1>Résultat du test</h1>\n");
	rc_buf_addf(&b,
	    "<div class=\"fr-alert fr-alert--%s fr-mb-3w\" "
	    "data-testid=\"verdict\" data-verdict=\"%s\"><h2 "
	    "class=\"fr-alert__title\">",
	    kind, verdict);
	esc(&b, label);
	rc_buf_adds(&b, "</h2>");
	if (rep == NULL) {
		rc_buf_adds(&b,
		    "<p>Les vérifications n'ont pas pu être "
		    "menées : ");
		esc(&b, json_string_value(json_object_get(j, "error")));
		rc_buf_adds(&b, "</p>");
	}
	rc_buf_adds(&b, "</div>\n");
	if (rep != NULL && guard_refused(rep))
		rc_buf_adds(&b,
		    "<div class=\"fr-alert fr-alert--info fr-mb-3w\" "
		    "data-testid=\"ssrf-refused\"><h2 "
		    "class=\"fr-alert__title\">Adresse non publique</h2><p>Une "
		    "adresse de votre portail mène à un réseau privé ou "
		    "réservé : par sécurité, ce service ne contacte que des "
		    "adresses publiques d'internet. Vérifiez que votre "
		    "portail est joignable depuis internet sous le nom "
		    "indiqué.</p></div>\n");
	gmtime_r(&checked, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	french_time(checked, when, sizeof(when));
	rc_buf_addf(&b,
	    "<p>Vérifié le <time data-testid=\"checked-at\" "
	    "datetime=\"%s\">%s</time>.</p>\n",
	    iso, when);
	cache = http_query(x, "cache");
	if (cache != NULL && strcmp(cache, "1") == 0) {
		age_fr((long long)(time(NULL) - checked), age, sizeof(age));
		rc_buf_adds(&b,
		    "<p class=\"fr-badge fr-badge--info\" "
		    "data-testid=\"cached-age\">Résultat récent "
		    "réutilisé : vérifié il y a ");
		esc(&b, age);
		rc_buf_adds(&b, "</p>\n");
	}
	json_array_foreach(json_object_get(rep, "integrations"), i, sec)
	{
		rc_buf_adds(&b, "<h2 class=\"fr-mt-4w\">");
		esc(&b, json_string_value(json_object_get(sec, "label")));
		rc_buf_adds(&b, "</h2>\n<ul class=\"fr-raw-list\">\n");
		json_array_foreach(json_object_get(sec, "checks"), k, c)
		    check_row(&b, c, json_object_get(rep, "exchanges"));
		rc_buf_adds(&b, "</ul>\n");
	}
	if (rep != NULL)
		exchanges_block(&b, json_object_get(rep, "exchanges"));
	rc_buf_adds(&b,
	    "<p><a data-testid=\"download-json\" class=\"fr-link "
	    "fr-link--icon-left fr-icon-download-line\" "
	    "href=\"/r/");
	esc(&b, rid);
	rc_buf_adds(&b,
	    ".json\" download>Télécharger le rapport (JSON)"
	    "</a></p>\n");
	http_client_addr(x, addr, sizeof(addr));
	if (!selfcheck_csrf_make(sc.key, addr, (long long)time(NULL), tok,
	        sizeof(tok)))
		tok[0] = '\0';
	rc_buf_adds(&b,
	    "<form data-testid=\"retest\" method=\"post\" "
	    "action=\"/r/");
	esc(&b, rid);
	rc_buf_adds(&b,
	    "/retest\"><input type=\"hidden\" name=\"csrf\" "
	    "value=\"");
	esc(&b, tok);
	if (left > 0) {
		age_fr(left, wait, sizeof(wait));
		rc_buf_adds(&b,
		    "\"><button class=\"fr-btn fr-btn--secondary\" "
		    "type=\"submit\" disabled aria-describedby=\"retest-wait\">"
		    "Relancer le test</button><p id=\"retest-wait\" "
		    "class=\"fr-hint-text\">Nouveau test possible dans ");
		esc(&b, wait);
		rc_buf_adds(&b, ".</p></form>\n");
	} else
		rc_buf_adds(&b,
		    "\"><button class=\"fr-btn "
		    "fr-btn--secondary\" type=\"submit\">Relancer le "
		    "test</button></form>\n");
	page_foot(x->dm, &b);
	json_decref(j);
	return send_page(x, MHD_HTTP_OK, &b, NULL, 0);
}

static enum MHD_Result
post_retest(struct http_ctx *x, struct http_req *rq, const char *rid)
{
	struct daemon *dm = x->dm;
	struct sc_form f;
	struct sc_slot *s;
	char addr[INET6_ADDRSTRLEN + 8], loc[64], siren[RC_SIREN_LEN + 1];
	char newer[SELFCHECK_ID_LEN + 1] = "";
	char *canon = NULL, *login = NULL;
	long long left = 0;
	enum MHD_Result ret;

	if (!form_parse(rq->body.data ? rq->body.data : "", rq->body.len, &f))
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	if (!csrf_ok(x, f.v[F_CSRF])) {
		form_free(&f);
		return csrf_refused(x);
	}
	form_free(&f);
	pthread_mutex_lock(&sc.mu);
	slots_expire(dm, time(NULL));
	if ((s = slot_find(rid)) != NULL) {
		struct sc_slot *r = slot_recent(dm, s->dossier, time(NULL));

		left = dm->pl.cfg->selfcheck_cooldown -
		    (long long)(time(NULL) - s->created);
		/* Past this result's cooldown, a newer result for the same
		 * dossier (someone else's re-test) still within its own is
		 * the one to show: the cooldown is per dossier, not per
		 * result. */
		if (left <= 0 && r != NULL && r != s) {
			left = 1;
			snprintf(newer, sizeof(newer), "%s", r->rid);
		}
		canon = rc_strdup(s->dossier);
		login = rc_strdup(s->login);
		snprintf(siren, sizeof(siren), "%s", s->siren);
	}
	pthread_mutex_unlock(&sc.mu);
	if (s == NULL) {
		ret = not_found(x);
		goto out;
	}
	if (canon == NULL || login == NULL) {
		ret = alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
		goto out;
	}
	if (left > 0) {
		/* Within the cooldown: the result as it is. */
		struct rc_buf b;

		if (newer[0] != '\0')
			snprintf(loc, sizeof(loc), "/r/%s?cache=1", newer);
		else
			snprintf(loc, sizeof(loc), "/r/%s", rid);
		rc_buf_init(&b, 4096);
		rc_buf_addf(&b,
		    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta "
		    "charset=\"utf-8\"><title>Patientez</title></head><body>"
		    "<p><a href=\"%s\">Revenir au résultat</a></p></body>"
		    "</html>\n",
		    loc);
		ret = send_page(x, MHD_HTTP_SEE_OTHER, &b, loc, 0);
		goto out;
	}
	http_client_addr(x, addr, sizeof(addr));
	if (limited(x, "scaddr:", addr, dm->pl.cfg->selfcheck_rate_ip,
	        "Vous avez lancé beaucoup de tests depuis cette adresse.",
	        &ret))
		goto out;
	ret = start_check(x, canon, siren, login);
out:
	rc_free(canon);
	rc_free(login);
	return ret;
}

/* --- GET /regles ------------------------------------------------------- */

static enum MHD_Result
get_rules(struct http_ctx *x)
{
	const struct catalog_entry *e;
	struct rc_buf b;
	size_t i;

	rc_buf_init(&b, SC_PAGE_MAX);
	page_head(x->dm, &b, "Les règles vérifiées", 0);
	rc_buf_adds(&b,
	    "<h1>Les règles vérifiées</h1>\n<p>Chaque "
	    "vérification, ce qu'elle protège, comment corriger "
	    "et ses sources normatives.</p>\n");
	for (i = 0; (e = catalog_get(i)) != NULL; i++) {
		rc_buf_adds(&b, "<section class=\"fr-mb-4w\" id=\"");
		esc(&b, e->id);
		rc_buf_adds(&b, "\"><h2 class=\"fr-h5\">");
		esc(&b, e->text[CATALOG_FR].title);
		rc_buf_adds(&b, " <code>");
		esc(&b, e->id);
		rc_buf_adds(&b, "</code></h2>\n<p><strong>Niveau :</strong> ");
		esc(&b, catalog_level_str(e->level, CATALOG_FR));
		rc_buf_adds(&b, "</p>\n<p><strong>Pourquoi :</strong> ");
		esc(&b, e->text[CATALOG_FR].why);
		rc_buf_adds(&b,
		    "</p>\n<p><strong>Comment corriger :</strong> ");
		esc(&b, e->text[CATALOG_FR].fix);
		rc_buf_adds(&b,
		    "</p>\n<p class=\"fr-text--sm\"><strong>Règle "
		    "exacte (en anglais) :</strong> ");
		esc(&b, e->rule);
		rc_buf_adds(&b,
		    "</p>\n<p class=\"fr-text--sm\"><strong>"
		    "Sources :</strong> ");
		esc(&b, e->spec != NULL ? e->spec : "—");
		rc_buf_adds(&b, " ; documentation de raccord : <code>");
		esc(&b, e->doc);
		rc_buf_adds(&b, "</code></p></section>\n");
	}
	page_foot(x->dm, &b);
	return send_page(x, MHD_HTTP_OK, &b, NULL, 0);
}

/* --- static files ------------------------------------------------------ */

static const char *
content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".map", "application/json" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".woff", "font/woff" },
	};
	size_t i, n = strlen(path), el;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		el = strlen(t[i].ext);
		if (n > el && strcmp(path + n - el, t[i].ext) == 0)
			return t[i].type;
	}
	return NULL;
}

/* A relative path of plain names: [A-Za-z0-9._-], no segment from '.'. */
static int
safe_rel(const char *p)
{
	int seg_start = 1;

	if (*p == '\0' || strlen(p) > 512)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '/') {
			if (seg_start)
				return 0;
			seg_start = 1;
			continue;
		}
		if (seg_start && *p == '.')
			return 0;
		seg_start = 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		        *p == '-'))
			return 0;
	}
	return !seg_start;
}

static const char *const static_hdrs[] = { MHD_HTTP_HEADER_CACHE_CONTROL,
	SC_STATIC_CACHE, "Cross-Origin-Resource-Policy", "same-origin", NULL };

/*
 * The page's own files from memory; the DSFR's from static_dir, sent from
 * the file by libmicrohttpd (never read whole into memory: many clients
 * asking for the largest file at once cost no heap).
 */
static enum MHD_Result
get_static(struct http_ctx *x, const char *rel)
{
	const char *dir = x->dm->pl.cfg->selfcheck_static_dir, *type;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (strcmp(rel, "selfcheck.js") == 0)
		return http_respond(x, MHD_HTTP_OK,
		    "text/javascript; charset=utf-8", selfcheck_js,
		    sizeof(selfcheck_js), static_hdrs);
	if (strcmp(rel, "selfcheck.css") == 0)
		return http_respond(x, MHD_HTTP_OK, "text/css; charset=utf-8",
		    selfcheck_css, sizeof(selfcheck_css), static_hdrs);
	if (strncmp(rel, "dsfr/", 5) != 0 || !safe_rel(rel + 5) ||
	    (type = content_type(rel)) == NULL || dir == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel + 5) >=
	        sizeof(path))
		return http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such file");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			log_warn("selfcheck static: %s: %s", path,
			    strerror(errno));
		return http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such file");
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SC_STATIC_MAX) {
		close(fd);
		return http_respond_error(x, MHD_HTTP_NOT_FOUND,
		    "no such file");
	}
	return http_respond_fd(x, MHD_HTTP_OK, type, fd, (size_t)st.st_size,
	    static_hdrs);
}

/* --- a DS dossier's API token (ds_credential.c, docs/intake.md) -------- */

/*
 * The section of GET / where a collectivité gives the API token of its
 * démarches-simplifiées dossier, once, with the dossier's number (only
 * when the DS poller runs).  Its own form: the same CSRF token, posted to
 * /jeton-ds.
 */
static void
ds_token_section(struct rc_buf *b, const char *csrf)
{
	rc_buf_adds(b,
	    "<section class=\"fr-mt-8w\" id=\"jeton-ds\" "
	    "aria-labelledby=\"jeton-ds-titre\">\n"
	    "<h2 id=\"jeton-ds-titre\">Déposer le jeton d'API d'un dossier "
	    "démarches-simplifiées</h2>\n"
	    "<p>Votre dossier sur démarches-simplifiées désigne une API "
	    "nationale (API Particulier, API Entreprise ; pour une API de "
	    "la DGFiP, ses identifiants client) : son jeton n'y "
	    "passe jamais. Déposez-le ici, une fois, avec le numéro du "
	    "dossier. Il sert seulement à vérifier ce dossier, pour le SIRET "
	    "du dossier ; il est gardé en mémoire le temps de la "
	    "vérification et n'est jamais enregistré. Le résultat est écrit "
	    "dans l'annotation du dossier.</p>\n"
	    "<form id=\"jeton-ds-form\" method=\"post\" action=\"/jeton-ds\" "
	    "novalidate>\n"
	    "<fieldset class=\"fr-fieldset\"><legend "
	    "class=\"fr-fieldset__legend\">Votre dossier</legend>\n"
	    "<div class=\"fr-fieldset__content\">\n"
	    "<div class=\"fr-input-group\">\n"
	    "<label class=\"fr-label\" for=\"ds_number\">Numéro du dossier "
	    "démarches-simplifiées<span class=\"fr-hint-text\">Le numéro "
	    "affiché sur démarches-simplifiées, en chiffres (exemple : "
	    "104).</span></label>\n"
	    "<input class=\"fr-input\" type=\"text\" id=\"ds_number\" "
	    "name=\"ds_number\" inputmode=\"numeric\" autocomplete=\"off\" "
	    "maxlength=\"20\" required value=\"\">\n</div>\n"
	    "<div class=\"fr-input-group\">\n"
	    "<label class=\"fr-label\" for=\"ds_token\">Jeton d'API<span "
	    "class=\"fr-hint-text\">Tel que le fournisseur de l'API vous "
	    "l'a remis, sans espace.</span></label>\n"
	    "<input class=\"fr-input\" type=\"password\" id=\"ds_token\" "
	    "name=\"token\" autocomplete=\"off\" spellcheck=\"false\" "
	    "maxlength=\"8192\" value=\"\">\n</div>\n"
	    "<details class=\"fr-mb-3w\" id=\"ds-dgfip\">\n<summary>API de la "
	    "DGFiP (Impôt particulier, R2P, FICOBA) : identifiant et secret "
	    "client, à la place du jeton</summary>\n"
	    "<div class=\"fr-input-group\">\n"
	    "<label class=\"fr-label\" for=\"ds_client_id\">Identifiant "
	    "client (client_id)<span class=\"fr-hint-text\">Celui de votre "
	    "accès à l'API de la DGFiP.</span></label>\n"
	    "<input class=\"fr-input\" type=\"text\" id=\"ds_client_id\" "
	    "name=\"client_id\" autocomplete=\"off\" spellcheck=\"false\" "
	    "maxlength=\"256\" value=\"\">\n</div>\n"
	    "<div class=\"fr-input-group\">\n"
	    "<label class=\"fr-label\" for=\"ds_client_secret\">Secret "
	    "client (client_secret)<span class=\"fr-hint-text\">Il n'est "
	    "jamais enregistré.</span></label>\n"
	    "<input class=\"fr-input\" type=\"password\" "
	    "id=\"ds_client_secret\" name=\"client_secret\" "
	    "autocomplete=\"off\" spellcheck=\"false\" maxlength=\"8192\" "
	    "value=\"\">\n</div>\n</details>\n"
	    "</div></fieldset>\n<input type=\"hidden\" name=\"csrf\" "
	    "value=\"");
	esc(b, csrf);
	rc_buf_adds(b,
	    "\">\n<button class=\"fr-btn\" type=\"submit\" "
	    "id=\"jeton-ds-submit\">Déposer le jeton</button>\n</form>\n"
	    "</section>\n");
}

/* POST /jeton-ds: the form above. */
static enum MHD_Result
post_ds_token(struct http_ctx *x, struct http_req *rq)
{
	struct ds_credential_form f;
	struct ds_cred_in cin = { 0 };
	char addr[INET6_ADDRSTRLEN + 8], id[STORE_ID_LEN + 1], why[600],
	    text[700];
	long long num, retry = 0;
	enum MHD_Result ret;
	enum ds_cred o;

	if (ds_credential_form_parse(rq->body.data ? rq->body.data : "",
	        rq->body.len, &f) != RC_OK)
		return alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service", "Réessayez plus tard.", 0);
	if (!csrf_ok(x, f.csrf)) {
		ret = csrf_refused(x);
		goto out;
	}
	if ((num = ds_credential_number(f.number)) <= 0) {
		ret = alert_page(x, MHD_HTTP_BAD_REQUEST, "error",
		    "ds-token-refused", "Numéro de dossier invalide",
		    "Indiquez le numéro du dossier démarches-simplifiées, en "
		    "chiffres (exemple : 104). Rien n'a été fait.",
		    0);
		goto out;
	}
	http_client_addr(x, addr, sizeof(addr));
	if (ds_credential_limited(x->dm->pl.cfg, addr, &retry)) {
		ret = too_many(x, retry > 0 ? retry : 60,
		    "Beaucoup de jetons ont été déposés depuis cette "
		    "adresse.");
		goto out;
	}
	/* A form posts its empty fields: empty is not given. */
	if (f.token != NULL && f.token_len > 0) {
		cin.token = f.token;
		cin.token_len = f.token_len;
	}
	if (f.client_id != NULL && f.client_id_len > 0) {
		cin.client_id = f.client_id;
		cin.client_id_len = f.client_id_len;
	}
	if (f.client_secret != NULL && f.client_secret_len > 0) {
		cin.client_secret = f.client_secret;
		cin.client_secret_len = f.client_secret_len;
	}
	o = ds_credential_give(x->dm, num, &cin, id, why, sizeof(why), &retry);
	switch (o) {
	case DS_CRED_LIMITED:
		ret = too_many(x, retry > 0 ? retry : 60,
		    "Beaucoup de jetons ont été déposés pour ce dossier.");
		break;
	case DS_CRED_OK:
		snprintf(text, sizeof(text),
		    "La vérification du dossier n° %lld commence. Son "
		    "résultat sera écrit dans l'annotation du dossier sur "
		    "démarches-simplifiées. Le jeton n'est pas enregistré.",
		    num);
		ret = alert_page(x, MHD_HTTP_ACCEPTED, "success",
		    "ds-token-accepted", "Jeton reçu", text, 0);
		break;
	case DS_CRED_BAD:
		ret = alert_page(x, MHD_HTTP_BAD_REQUEST, "error",
		    "ds-token-refused", "Jeton invalide",
		    "Le jeton compte de 1 à 8192 caractères imprimables, "
		    "sans espace ni retour à la ligne. Un dossier d'API de la "
		    "DGFiP (Impôt particulier, R2P, FICOBA) prend à la place "
		    "son identifiant client et son secret client, les deux ; "
		    "les autres API, un jeton. Rien n'a été fait.",
		    0);
		break;
	case DS_CRED_NOT_FOUND:
		snprintf(text, sizeof(text),
		    "Aucun dossier n° %lld de la démarche n'est connu de "
		    "raccord. Vérifiez le numéro ; un dossier déposé il y a "
		    "quelques minutes est lu au prochain passage. Rien n'a "
		    "été fait.",
		    num);
		ret = alert_page(x, MHD_HTTP_NOT_FOUND, "error",
		    "ds-token-refused", "Dossier inconnu", text, 0);
		break;
	case DS_CRED_CONFLICT:
		snprintf(text, sizeof(text),
		    "Le dossier n° %lld ne prend pas de jeton maintenant : il "
		    "est déjà attribué, en cours de vérification, déjà vérifié "
		    "et en attente de l'instructeur, ne désigne pas d'API, ou "
		    "ne correspond pas à un dossier raccord (son annotation "
		    "dit "
		    "pourquoi). Rien n'a été fait.",
		    num);
		ret = alert_page(x, MHD_HTTP_CONFLICT, "error",
		    "ds-token-refused", "Jeton non accepté", text, 0);
		break;
	default:
		ret = alert_page(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
		    NULL, "Erreur du service",
		    "Rien n'a été fait ; réessayez plus tard.", 0);
		break;
	}
out:
	ds_credential_form_cleanup(&f);
	return ret;
}

/* --- dispatch ---------------------------------------------------------- */

int
selfcheck_route(struct http_ctx *x, struct http_req *rq, enum MHD_Result *ret)
{
	const char *u = x->url, *seg;
	int get = strcmp(x->method, "GET") == 0,
	    post = strcmp(x->method, "POST") == 0;
	char rid[SELFCHECK_ID_LEN + 1];
	size_t n;

	if (!x->dm->pl.cfg->selfcheck_enabled)
		return 0;
	if (strcmp(u, "/jeton-ds") == 0 && ds_credential_on(x->dm->pl.cfg)) {
		pthread_once(&sc.once, sc_init);
		*ret = !sc.ready
		    ? http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		          "no random key for the self-check page")
		    : post ? post_ds_token(x, rq)
		           : http_respond_method(x, "POST");
		return 1;
	}
	if (strcmp(u, "/") != 0 && strcmp(u, "/selfcheck") != 0 &&
	    strcmp(u, "/regles") != 0 && strncmp(u, "/r/", 3) != 0 &&
	    strncmp(u, "/static/", 8) != 0)
		return 0;
	pthread_once(&sc.once, sc_init);
	if (!sc.ready) {
		*ret = http_respond_error(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "no random key for the self-check page");
		return 1;
	}
	if (strcmp(u, "/") == 0 || strcmp(u, "/regles") == 0) {
		if (!get)
			*ret = http_respond_method(x, "GET");
		else
			*ret = u[1] == '\0'
			    ? form_page(x, MHD_HTTP_OK, NULL, NULL)
			    : get_rules(x);
		return 1;
	}
	if (strcmp(u, "/selfcheck") == 0) {
		*ret = post ? post_selfcheck(x, rq)
		            : http_respond_method(x, "POST");
		return 1;
	}
	if (strncmp(u, "/static/", 8) == 0) {
		*ret =
		    get ? get_static(x, u + 8) : http_respond_method(x, "GET");
		return 1;
	}
	seg = http_segment(u, "/r/", &n);
	if (seg != NULL && n == SELFCHECK_ID_LEN + 5 &&
	    strcmp(seg + SELFCHECK_ID_LEN, ".json") == 0) {
		memcpy(rid, seg, SELFCHECK_ID_LEN);
		rid[SELFCHECK_ID_LEN] = '\0';
		*ret = get ? get_result_json(x, rid)
		           : http_respond_method(x, "GET");
		return 1;
	}
	if (seg != NULL && n == SELFCHECK_ID_LEN && rc_b64url_ok(seg, n)) {
		memcpy(rid, seg, n);
		rid[n] = '\0';
		if (seg[n] == '\0') {
			*ret = get ? get_result(x, rid)
			           : http_respond_method(x, "GET");
			return 1;
		}
		if (strcmp(seg + n, "/retest") == 0) {
			*ret = post ? post_retest(x, rq, rid)
			            : http_respond_method(x, "POST");
			return 1;
		}
	}
	*ret = not_found(x);
	return 1;
}
