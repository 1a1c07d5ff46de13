/* SPDX-License-Identifier: MIT */
/*
 * FranceConnect rules as data and small predicates; see fc_profile.h and
 * docs/fc_rules.md.  "ref" below is shared/reference/franceconnect.md;
 * "probes" is shared/reference/oidc_rp_testing_and_probes.md.
 *
 * Every sentence produced here is plain ASCII: values echoed from a probed
 * site are quoted through quote(), which keeps printable ASCII only, so a
 * detail is always valid UTF-8 for the JSON report.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/mem.h"
#include "oidc/fc_profile.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Cited in every state/nonce sentence. */
#define QUALIF_RULE                                                            \
	"qualification rule, docs.partenaires.franceconnect.gouv.fr/fs/"       \
	"devenir-fs/projet-qualification-fs/#verifications-techniques"

/* ---- Findings ----------------------------------------------------------- */

const char *
fc_status_str(enum fc_status st)
{
	static const char *const s[FC_STATUS__MAX] = { "pass", "warn", "fail",
		"skip" };

	if ((unsigned)st >= FC_STATUS__MAX)
		return "unknown";
	return s[st];
}

void
fc_findings_init(struct fc_findings *f)
{
	f->v = NULL;
	f->n = 0;
	f->cap = 0;
}

void
fc_findings_cleanup(struct fc_findings *f)
{
	if (f == NULL)
		return;
	rc_free(f->v);
	fc_findings_init(f);
}

const struct fc_finding *
fc_findings_get(const struct fc_findings *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].id, id) == 0)
			return &f->v[i];
	return NULL;
}

enum rc_code
fc_findings_add(struct fc_findings *f, const char *id, enum fc_status st,
    int required, const char *fmt, ...)
{
	struct fc_finding *v;
	size_t cap;
	va_list ap;

	if (f->n == f->cap) {
		cap = f->cap == 0 ? 16 : f->cap * 2;
		if ((v = rc_realloc(f->v, cap * sizeof(*v))) == NULL)
			return RC_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	v = &f->v[f->n];
	v->id = id;
	v->status = st;
	v->required = required;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	f->n++;
	return RC_OK;
}

/*
 * Append a sentence to detail[len], separated from what is already there
 * by "; ".  Truncates silently.
 */
static void addf(char *detail, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
addf(char *detail, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(detail, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	if (used > 0) {
		snprintf(detail + used, len - used, "; ");
		used = strnlen(detail, len);
		if (used + 1 >= len)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(detail + used, len - used, fmt, ap);
	va_end(ap);
}

/* Append an item to a comma-separated list in buf[len]. */
static void
listadd(char *buf, size_t len, const char *item)
{
	size_t used = strnlen(buf, len);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "", item);
}

/*
 * A site's value made safe for a sentence: printable ASCII kept, anything
 * else '?', cut to fit out[len] with "..." when truncated.
 */
static const char *
quote(const char *v, char *out, size_t len)
{
	size_t i, n;

	if (len == 0)
		return "";
	n = strlen(v);
	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	out[i] = '\0';
	if (i < n && len > 4)
		memcpy(out + len - 4, "...", 4);
	return out;
}

static enum fc_status
worst(enum fc_status a, enum fc_status b)
{
	static const int rank[FC_STATUS__MAX] = { 1, 2, 3, 0 };

	return rank[b] > rank[a] ? b : a;
}

/* Characters in a UTF-8 string (continuation bytes not counted). */
static size_t
nchars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Equality of two captured values, in constant time (STYLE.md). */
static int
same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

/*
 * Call fn on each space-separated token of s (RFC 6749 §3.3: scope and
 * other lists are delimited by %x20).  Empty tokens are skipped.
 */
static size_t
next_token(const char *s, size_t *pos, char *tok, size_t toklen)
{
	size_t start, n;

	while (s[*pos] == ' ')
		(*pos)++;
	start = *pos;
	while (s[*pos] != '\0' && s[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (toklen > 0) {
		size_t c = n < toklen - 1 ? n : toklen - 1;

		memcpy(tok, s + start, c);
		tok[c] = '\0';
	}
	return n;
}

/* ---- Hosts -------------------------------------------------------------- */

/* ref §1 "Endpoints and hostnames". */
/* clang-format off */
static const struct fc_host {
	const char *host;
	enum fc_platform platform;
	int plus;
	const char *why;
} fc_hosts[] = {
	{ "oidc.franceconnect.gouv.fr", FC_PLATFORM_FC_PROD, 0,
	  "FranceConnect v2 production (eIDAS level eidas1)" },
	{ "auth.franceconnect.gouv.fr", FC_PLATFORM_FCPLUS_PROD, 1,
	  "FranceConnect+ production (eIDAS levels eidas2/eidas3)" },
	{ "fcp-low.sbx.dev-franceconnect.fr", FC_PLATFORM_SANDBOX, 0,
	  "FranceConnect v2 sandbox (partner-portal client_ids); sandbox "
	  "keys must never be used in production" },
	{ "fcp-low.integ01.dev-franceconnect.fr", FC_PLATFORM_SANDBOX, 0,
	  "older FranceConnect v2 sandbox (demarches-simplifiees "
	  "client_ids); sandbox keys must never be used in production" },
	{ "auth.integ01.dev-franceconnect.fr", FC_PLATFORM_SANDBOX, 1,
	  "FranceConnect+ sandbox; sandbox keys must never be used in "
	  "production" },
	{ "app.franceconnect.gouv.fr", FC_PLATFORM_LEGACY_V1, 0,
	  "legacy FranceConnect v1 production, decommissioned in September "
	  "2025: the integration must move to FC v2 "
	  "(oidc.franceconnect.gouv.fr/api/v2)" },
	{ "fcp.integ01.dev-franceconnect.fr", FC_PLATFORM_LEGACY_V1, 0,
	  "legacy FranceConnect v1 integration host, decommissioned with v1 "
	  "in September 2025" },
};
/* clang-format on */

const char *
fc_platform_str(enum fc_platform p)
{
	static const char *const s[FC_PLATFORM__MAX] = {
		"unknown host",
		"FranceConnect v2 production",
		"FranceConnect+ production",
		"FranceConnect sandbox",
		"legacy FranceConnect v1",
	};

	if ((unsigned)p >= FC_PLATFORM__MAX)
		return "unknown";
	return s[p];
}

enum fc_platform
fc_platform_classify(const char *host, const char *path, int *plus,
    const char **why)
{
	static const char sbx[] = ".dev-franceconnect.fr";
	size_t i, hl, sl = sizeof(sbx) - 1;

	if (plus != NULL)
		*plus = 0;
	if (why != NULL)
		*why = "not a FranceConnect host";
	if (host == NULL)
		return FC_PLATFORM_UNKNOWN;
	hl = strlen(host);
	if (hl > 0 && host[hl - 1] == '.') /* absolute DNS name */
		hl--;
	/* ref §1 "Legacy v1": every v1 endpoint lives under /api/v1/. */
	if (path != NULL &&
	    (strncmp(path, "/api/v1/", 8) == 0 ||
	        strcmp(path, "/api/v1") == 0)) {
		if (why != NULL)
			*why = "legacy FranceConnect v1 API path (/api/v1/), "
			       "decommissioned in September 2025";
		return FC_PLATFORM_LEGACY_V1;
	}
	for (i = 0; i < ARRAY_LEN(fc_hosts); i++) {
		if (strlen(fc_hosts[i].host) == hl &&
		    strncasecmp(host, fc_hosts[i].host, hl) == 0) {
			if (plus != NULL)
				*plus = fc_hosts[i].plus;
			if (why != NULL)
				*why = fc_hosts[i].why;
			return fc_hosts[i].platform;
		}
	}
	/* Any other *.dev-franceconnect.fr host is a FC test platform. */
	if (hl > sl && strncasecmp(host + hl - sl, sbx, sl) == 0) {
		if (why != NULL)
			*why = "a FranceConnect test platform "
			       "(*.dev-franceconnect.fr); sandbox keys must "
			       "never be used in production";
		return FC_PLATFORM_SANDBOX;
	}
	return FC_PLATFORM_UNKNOWN;
}

/* ---- Predicates --------------------------------------------------------- */

/*
 * ref §2 table "response_type": only the authorization code flow
 * (responseTypes: ['code']); anything else is answered with
 * unsupported_response_type.
 */
enum fc_status
fc_check_response_type(const char *value, char *detail, size_t len)
{
	char q[80];

	if (value == NULL) {
		snprintf(detail, len,
		    "response_type is missing; FranceConnect supports only "
		    "the authorization code flow: response_type=code");
		return FC_FAIL;
	}
	if (strcmp(value, "code") != 0) {
		snprintf(detail, len,
		    "response_type is \"%s\"; FranceConnect supports only the "
		    "authorization code flow (response_type=code) and answers "
		    "unsupported_response_type",
		    quote(value, q, sizeof(q)));
		return FC_FAIL;
	}
	snprintf(detail, len, "response_type=code (authorization code flow)");
	return FC_PASS;
}

/*
 * ref §2 table "client_id": required; the request must carry the
 * client_id the dossier declares (an unknown one gives Y04EA6EF).
 */
enum fc_status
fc_check_client_id(const char *value, const char *declared, char *detail,
    size_t len)
{
	char q[100], d[100];

	if (value == NULL || value[0] == '\0') {
		snprintf(detail, len,
		    "client_id is missing; FranceConnect answers Y04EA6EF");
		return FC_FAIL;
	}
	if (declared == NULL || strcmp(value, declared) != 0) {
		snprintf(detail, len,
		    "client_id is \"%s\" but the dossier declares \"%s\"; the "
		    "login must use the client_id FranceConnect issued for "
		    "this service",
		    quote(value, q, sizeof(q)),
		    quote(declared != NULL ? declared : "", d, sizeof(d)));
		return FC_FAIL;
	}
	snprintf(detail, len, "client_id matches the declared one");
	return FC_PASS;
}

/*
 * ref §2 table "redirect_uri" (must match a registered URI, else
 * Y04C013C) and §5 "Registration data" ([I] https in production);
 * RFC 6749 §3.1.2 (no fragment); probes A1 (redirect_uri exactly equals a
 * registered one, no fragment).  RFC 9700 §4.1: exact matching.
 */
enum fc_status
fc_check_redirect_uri(const char *value, const char *declared, int production,
    char *detail, size_t len)
{
	enum fc_status st = FC_PASS;
	char q[160], d[160];
	CURLU *h = NULL;
	CURLUcode uc;

	detail[0] = '\0';
	if (value == NULL || value[0] == '\0') {
		snprintf(detail, len,
		    "redirect_uri is missing; FranceConnect answers Y030007");
		return FC_FAIL;
	}
	/* Well-formed absolute URL?  (Skipped if curl is out of memory.) */
	if ((h = curl_url()) != NULL) {
		uc = curl_url_set(h, CURLUPART_URL, value,
		    CURLU_NON_SUPPORT_SCHEME);
		if (uc != CURLUE_OK && uc != CURLUE_OUT_OF_MEMORY) {
			addf(detail, len,
			    "redirect_uri \"%s\" is not an absolute URL (%s); "
			    "FranceConnect answers Y030007",
			    quote(value, q, sizeof(q)), curl_url_strerror(uc));
			st = FC_FAIL;
		}
		curl_url_cleanup(h);
	}
	if (declared == NULL || strcmp(value, declared) != 0) {
		addf(detail, len,
		    "redirect_uri \"%s\" differs from the declared \"%s\"; "
		    "it must match a registered redirect URL exactly, or "
		    "FranceConnect answers Y04C013C",
		    quote(value, q, sizeof(q)),
		    quote(declared != NULL ? declared : "", d, sizeof(d)));
		st = FC_FAIL;
	}
	if (strchr(value, '#') != NULL) {
		addf(detail, len,
		    "redirect_uri has a fragment; RFC 6749 section 3.1.2 "
		    "forbids it");
		st = FC_FAIL;
	}
	if (production && strncasecmp(value, "https://", 8) != 0) {
		addf(detail, len,
		    "redirect_uri is not https; a production redirect URL "
		    "must be https (FranceConnect security annex and "
		    "qualification; RFC 9700 section 2.1: never over http)");
		st = FC_FAIL;
	}
	if (st == FC_PASS)
		snprintf(detail, len, "redirect_uri equals the declared %s",
		    production ? "https URL" : "URL");
	return st;
}

/*
 * ref §2 "Scopes and claims on FC v2": single-claim scopes, aliases,
 * restricted scopes; FC+ adds rnipp_* scopes (ref §2, last paragraph).
 */
static const char *const fc_scopes[] = {
	"openid",
	"given_name",
	"family_name",
	"birthdate",
	"gender",
	"birthplace",
	"birthcountry",
	"email",
	"preferred_username",
	"profile",
	"birth",
	"identite_pivot",
	"idp_birthdate",
	"amr",
	"idp_id",
};

/* ref §2: "v2 removed the address and phone scopes". */
static const char *const fc_removed_scopes[] = { "address", "phone" };

int
fc_scope_known(const char *scope)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(fc_scopes); i++)
		if (strcmp(scope, fc_scopes[i]) == 0)
			return 1;
	return strncmp(scope, "rnipp_", 6) == 0 && scope[6] != '\0';
}

static int
scope_removed(const char *scope)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(fc_removed_scopes); i++)
		if (strcmp(scope, fc_removed_scopes[i]) == 0)
			return 1;
	return 0;
}

/*
 * ref §2 table "scope": required, space-separated, must contain openid
 * (else invalid_request); removed v2 scopes give invalid_scope; unknown
 * scopes may be data-provider scopes of the DataPass habilitation (warn).
 */
enum fc_status
fc_check_scope(const char *value, char *detail, size_t len)
{
	char tok[64], removed[160] = "", unknown[200] = "", q[70];
	size_t pos = 0, n, ntok = 0;
	int openid = 0;
	enum fc_status st = FC_PASS;

	detail[0] = '\0';
	if (value == NULL || value[0] == '\0') {
		snprintf(detail, len,
		    "scope is missing; it must contain openid (FranceConnect "
		    "answers invalid_request)");
		return FC_FAIL;
	}
	while ((n = next_token(value, &pos, tok, sizeof(tok))) > 0) {
		ntok++;
		if (n >= sizeof(tok)) {
			listadd(unknown, sizeof(unknown), quote(tok, q, 20));
			continue;
		}
		if (strcmp(tok, "openid") == 0)
			openid = 1;
		else if (scope_removed(tok))
			listadd(removed, sizeof(removed), tok);
		else if (!fc_scope_known(tok))
			listadd(unknown, sizeof(unknown),
			    quote(tok, q, sizeof(q)));
	}
	if (!openid) {
		addf(detail, len,
		    "scope lacks openid; FranceConnect answers invalid_request "
		    "(\"openid scope must be requested\")");
		st = FC_FAIL;
	}
	if (removed[0] != '\0') {
		addf(detail, len,
		    "scope asks for %s, which FranceConnect v2 removed "
		    "(FC answers invalid_scope; see the v1-to-v2 migration "
		    "page)",
		    removed);
		st = FC_FAIL;
	}
	if (unknown[0] != '\0') {
		addf(detail, len,
		    "scope has %s, not a FranceConnect v2 identity scope; "
		    "data-provider scopes are allowed only when granted by "
		    "the DataPass habilitation (otherwise invalid_scope)",
		    unknown);
		st = worst(st, FC_WARN);
	}
	if (st == FC_PASS)
		snprintf(detail, len,
		    "scope has openid and %zu known FranceConnect scope%s",
		    ntok - 1, ntok - 1 == 1 ? "" : "s");
	return st;
}

/*
 * ref §2 table "acr_values": required in v2 (missing: Y030007); FC
 * accepts only eidas1 (acr_values_supported); FC+ eidas2 and eidas3, not
 * eidas1.  Several space-separated values: each must be allowed.
 */
enum fc_status
fc_check_acr_values(const char *value, int plus, char *detail, size_t len)
{
	char tok[32], bad[160] = "", q[40];
	size_t pos = 0, n, ntok = 0;
	int ok;

	detail[0] = '\0';
	if (value == NULL || value[0] == '\0') {
		snprintf(detail, len,
		    "acr_values is missing; it is mandatory in FranceConnect "
		    "v2 (%s), FC answers Y030007",
		    plus ? "eidas2 or eidas3 on FranceConnect+" : "eidas1");
		return FC_FAIL;
	}
	while ((n = next_token(value, &pos, tok, sizeof(tok))) > 0) {
		ntok++;
		if (n >= sizeof(tok))
			ok = 0;
		else if (plus)
			ok = strcmp(tok, "eidas2") == 0 ||
			    strcmp(tok, "eidas3") == 0;
		else
			ok = strcmp(tok, "eidas1") == 0;
		if (!ok)
			listadd(bad, sizeof(bad), quote(tok, q, sizeof(q)));
	}
	if (ntok == 0 || bad[0] != '\0') {
		snprintf(detail, len,
		    "acr_values \"%s\" is not accepted: %s (FC answers "
		    "Y030007)",
		    quote(value, q, sizeof(q)),
		    plus ? "FranceConnect+ accepts only eidas2 and eidas3"
		         : "FranceConnect accepts only eidas1 (eidas2 and "
		           "eidas3 are FranceConnect+ levels)");
		return FC_FAIL;
	}
	snprintf(detail, len, "acr_values=%s", quote(value, q, sizeof(q)));
	return FC_PASS;
}

/*
 * ref §2 table "prompt": optional; only login, consent or both; none,
 * select_account and an empty value are rejected with Y030007.
 */
enum fc_status
fc_check_prompt(const char *value, char *detail, size_t len)
{
	char tok[32], q[40];
	size_t pos = 0, n, ntok = 0;

	if (value == NULL) {
		snprintf(detail, len, "no prompt parameter (optional)");
		return FC_PASS;
	}
	while ((n = next_token(value, &pos, tok, sizeof(tok))) > 0) {
		ntok++;
		if (n >= sizeof(tok) ||
		    (strcmp(tok, "login") != 0 &&
		        strcmp(tok, "consent") != 0)) {
			snprintf(detail, len,
			    "prompt=%s is refused: FranceConnect accepts only "
			    "login and consent (Y030007)",
			    quote(tok, q, sizeof(q)));
			return FC_FAIL;
		}
	}
	if (ntok == 0) {
		snprintf(detail, len,
		    "prompt is empty; FranceConnect refuses an empty prompt "
		    "(Y030007)");
		return FC_FAIL;
	}
	snprintf(detail, len, "prompt=%s", quote(value, q, sizeof(q)));
	return FC_PASS;
}

/*
 * ref §2 table "claims": optional JSON (OpenID Connect Core 1.0 §5.5):
 * an object whose id_token and userinfo members, when present, are
 * objects.
 */
enum fc_status
fc_check_claims(const char *value, char *detail, size_t len)
{
	static const char *const members[] = { "id_token", "userinfo" };
	json_error_t jerr;
	json_t *j, *m;
	size_t i;
	enum fc_status st = FC_PASS;

	if (value == NULL) {
		snprintf(detail, len, "no claims parameter (optional)");
		return FC_PASS;
	}
	j = json_loads(value, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			snprintf(detail, len,
			    "claims could not be analysed (out of memory)");
			return FC_SKIP;
		}
		snprintf(detail, len,
		    "claims is not valid JSON (%.120s at column %d); "
		    "OpenID Connect Core section 5.5 requires a JSON object",
		    jerr.text, jerr.column);
		return FC_FAIL;
	}
	if (!json_is_object(j)) {
		snprintf(detail, len,
		    "claims is JSON but not an object; OpenID Connect Core "
		    "section 5.5 requires a JSON object");
		st = FC_FAIL;
		goto out;
	}
	for (i = 0; i < ARRAY_LEN(members); i++) {
		m = json_object_get(j, members[i]); /* borrowed */
		if (m != NULL && !json_is_object(m)) {
			snprintf(detail, len,
			    "claims.%s must be a JSON object (OpenID Connect "
			    "Core section 5.5)",
			    members[i]);
			st = FC_FAIL;
			goto out;
		}
	}
	snprintf(detail, len, "claims is a valid JSON object");
out:
	json_decref(j);
	return st;
}

/*
 * ref §2 table "state"/"nonce" and the qualification rule quoted there:
 * both required, at least 22 characters (FC's DTO: @MinLength(22));
 * the qualification rule asks for digits and letters only, which FC's
 * code does not check: other characters are a warning.
 */
enum fc_status
fc_check_random_param(const char *name, const char *value, char *detail,
    size_t len)
{
	size_t i, n, other = 0;
	char bad[8] = "";

	if (value == NULL) {
		snprintf(detail, len,
		    "%s is missing; FranceConnect requires it (Y030007), "
		    "even though OpenID Connect makes nonce optional in the "
		    "code flow (%s)",
		    name, QUALIF_RULE);
		return FC_FAIL;
	}
	n = nchars(value);
	if (n < FC_MIN_RANDOM_LEN) {
		snprintf(detail, len,
		    "%s has %zu characters; FranceConnect requires at least "
		    "%d (FC answers Y030007; %s)",
		    name, n, FC_MIN_RANDOM_LEN, QUALIF_RULE);
		return FC_FAIL;
	}
	for (i = 0; value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x80 && isalnum(c))
			continue;
		if (other++ == 0) {
			if (c > 0x20 && c < 0x7f)
				snprintf(bad, sizeof(bad), "'%c'", c);
			else
				snprintf(bad, sizeof(bad), "0x%02x", c);
		}
	}
	if (other > 0) {
		snprintf(detail, len,
		    "%s has %zu characters, %zu of them outside [A-Za-z0-9] "
		    "(first: %s); the qualification rule asks for digits and "
		    "letters only (%s); FC's code checks only the length",
		    name, n, other, bad, QUALIF_RULE);
		return FC_WARN;
	}
	snprintf(detail, len,
	    "%s has %zu characters from [A-Za-z0-9] (at least %d required)",
	    name, n, FC_MIN_RANDOM_LEN);
	return FC_PASS;
}

/*
 * Advisory.  RFC 7636 §4.2-4.3 and RFC 9700 §2.1.1 ("Use S256 only"):
 * when PKCE is sent, the method must be S256 (absent means plain) and the
 * challenge a 43-character base64url SHA-256.
 */
/*
 * Where FC v2 states its authorize parameters: the DTO validated with
 * forbidNonWhitelisted before oidc-provider sees the request
 * (france-connect/sources, back/apps/core-fcp/src/dto/
 * authorize-params.dto.ts and controllers/oidc-provider.controller.ts).
 */
#define FC_DTO_RULE                                                            \
	"FranceConnect v2 refuses with Y030007 (HTTP 400) any parameter its "  \
	"AuthorizeParamsDto does not list (forbidNonWhitelisted; "             \
	"france-connect/sources back/apps/core-fcp/src/dto/"                   \
	"authorize-params.dto.ts)"

/* fc.authorize.pkce: FC v2 has no PKCE parameter (FC_DTO_RULE). */
enum fc_status
fc_check_pkce(const char *challenge, const char *method, char *detail,
    size_t len)
{
	if (challenge == NULL && method == NULL) {
		snprintf(detail, len,
		    "no PKCE parameter, as FranceConnect v2 requires (a "
		    "confidential client binds the code with nonce, RFC 9700 "
		    "section 2.1.1)");
		return FC_PASS;
	}
	snprintf(detail, len,
	    "%s%s%s is sent, but %s: FranceConnect refuses this request. "
	    "Remove PKCE for FranceConnect (keep it for other providers) and "
	    "rely on state and nonce",
	    challenge != NULL ? "code_challenge" : "",
	    challenge != NULL && method != NULL ? " with " : "",
	    method != NULL ? "code_challenge_method" : "", FC_DTO_RULE);
	return FC_FAIL;
}

/* clang-format off */
static const char *const fc_dto_params[] = {
	"client_id", "acr_values", "claims", "response_type", "nonce",
	"state", "redirect_uri", "scope", "prompt", "idp_hint", "ui_locales",
};
/* clang-format on */

int
fc_param_known(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ARRAY_LEN(fc_dto_params); i++)
		if (strcmp(name, fc_dto_params[i]) == 0)
			return 1;
	return 0;
}

/* fc.authorize.params: nothing FC v2's DTO does not list (FC_DTO_RULE). */
enum fc_status
fc_check_params(const struct oidc_authreq *req, char *detail, size_t len)
{
	char names[240] = "", q[40];
	const char *name, *value;
	size_t i, n = 0;

	for (i = 0; i < oidc_authreq_nparams(req); i++) {
		if (oidc_authreq_param_at(req, i, &name, &value) != RC_OK ||
		    fc_param_known(name) ||
		    strcmp(name, "code_challenge") == 0 ||
		    strcmp(name, "code_challenge_method") == 0)
			continue;
		n++;
		listadd(names, sizeof(names), quote(name, q, sizeof(q)));
	}
	if (n == 0) {
		snprintf(detail, len,
		    "every parameter is one FranceConnect v2 accepts");
		return FC_PASS;
	}
	snprintf(detail, len,
	    "parameter%s %s %s not accepted by FranceConnect, which takes only "
	    "client_id, response_type, redirect_uri, scope, acr_values, "
	    "state, nonce, claims, prompt, idp_hint and ui_locales: %s. "
	    "Remove %s",
	    n > 1 ? "s" : "", names, n > 1 ? "are" : "is", FC_DTO_RULE,
	    n > 1 ? "them" : "it");
	return FC_FAIL;
}

/* ---- One request -------------------------------------------------------- */

/*
 * fc.authorize.endpoint: the request goes to the configured
 * authorization_endpoint (from FC's discovery document): scheme, host,
 * port and path equal (ref §1 "Paths"; probes A4 "the redirect goes to the
 * expected authorize host").
 */
static enum rc_code
judge_endpoint(const struct oidc_authreq *req, const char *endpoint,
    struct fc_findings *out, struct rc_err *err)
{
	static const char id[] = "fc.authorize.endpoint";
	struct oidc_authreq *want;
	struct rc_err perr = { 0 };
	char got[200], q[200], port[16] = "";
	enum rc_code rc;

	if ((want = oidc_authreq_parse(endpoint, &perr)) == NULL)
		return RC_ERR(err, perr.code,
		    "configured authorization_endpoint: %s", perr.msg);
	/* Show the port only when it is not the scheme's default. */
	if (!(oidc_authreq_port(req) == 443 &&
	        strcmp(oidc_authreq_scheme(req), "https") == 0) &&
	    !(oidc_authreq_port(req) == 80 &&
	        strcmp(oidc_authreq_scheme(req), "http") == 0))
		snprintf(port, sizeof(port), ":%ld", oidc_authreq_port(req));
	snprintf(got, sizeof(got), "%s://%s%s%s", oidc_authreq_scheme(req),
	    oidc_authreq_host(req), port, oidc_authreq_path(req));
	quote(got, q, sizeof(q));
	if (strcmp(oidc_authreq_scheme(req), oidc_authreq_scheme(want)) == 0 &&
	    strcmp(oidc_authreq_host(req), oidc_authreq_host(want)) == 0 &&
	    oidc_authreq_port(req) == oidc_authreq_port(want) &&
	    strcmp(oidc_authreq_path(req), oidc_authreq_path(want)) == 0)
		rc = fc_findings_add(out, id, FC_PASS, 1,
		    "the login redirects to the configured FranceConnect "
		    "authorization endpoint %s",
		    q);
	else
		rc = fc_findings_add(out, id, FC_FAIL, 1,
		    "the login redirects to %s, not to the configured "
		    "FranceConnect authorization endpoint %.200s (scheme, "
		    "host, port and path must match exactly)",
		    q, endpoint);
	oidc_authreq_free(want);
	return rc;
}

/*
 * fc.authorize.platform: ref §1 (hosts), §1 "Legacy v1" (decommissioned
 * September 2025), §5 step 3 (sandbox keys never in production; FC keys
 * do not work on FC+); DESIGN.md §4 (legacy and integration hosts in a
 * production dossier fail).
 */
static enum rc_code
judge_platform(const struct oidc_authreq *req, const struct fc_expect *exp,
    struct fc_findings *out)
{
	static const char id[] = "fc.authorize.platform";
	const char *why, *host = oidc_authreq_host(req);
	enum fc_platform p;
	int plus;

	p = fc_platform_classify(host, oidc_authreq_path(req), &plus, &why);
	switch (p) {
	case FC_PLATFORM_LEGACY_V1:
		return fc_findings_add(out, id, FC_FAIL, 1, "%s: %s", host,
		    why);
	case FC_PLATFORM_SANDBOX:
		if (exp->production)
			return fc_findings_add(out, id, FC_FAIL, 1,
			    "%s is %s, but the dossier is for production", host,
			    why);
		break;
	case FC_PLATFORM_FC_PROD:
	case FC_PLATFORM_FCPLUS_PROD:
		if (!exp->production)
			return fc_findings_add(out, id, FC_WARN, 0,
			    "%s is %s, but the dossier declares the "
			    "integration (sandbox) environment",
			    host, why);
		break;
	case FC_PLATFORM_UNKNOWN:
	default:
		return fc_findings_add(out, id, FC_WARN, 1,
		    "%s is not a known FranceConnect host; it is accepted "
		    "only because it is the configured authorization endpoint "
		    "(see fc.authorize.endpoint)",
		    host);
	}
	if (plus != exp->plus)
		return fc_findings_add(out, id, FC_FAIL, 1,
		    "%s is %s, but the dossier declares a %s integration "
		    "(FC keys do not work on FC+ and the reverse)",
		    host, why, exp->plus ? "FranceConnect+" : "FranceConnect");
	return fc_findings_add(out, id, FC_PASS, 1, "%s is %s", host, why);
}

/* fc.authorize.duplicates: RFC 6749 §3.1, parameters at most once. */
static enum rc_code
judge_duplicates(const struct oidc_authreq *req, struct fc_findings *out)
{
	static const char id[] = "fc.authorize.duplicates";
	char names[200] = "", q[40];
	size_t i, n = oidc_authreq_ndups(req);

	if (n == 0)
		return fc_findings_add(out, id, FC_PASS, 1,
		    "no parameter is given twice");
	for (i = 0; i < n; i++)
		listadd(names, sizeof(names),
		    quote(oidc_authreq_dup_at(req, i), q, sizeof(q)));
	return fc_findings_add(out, id, FC_FAIL, 1,
	    "parameter%s given more than once: %s; RFC 6749 section 3.1 says "
	    "request parameters MUST NOT be included more than once, and "
	    "which copy FranceConnect uses is undefined",
	    n > 1 ? "s" : "", names);
}

enum rc_code
fc_authreq_judge(const struct oidc_authreq *req, const struct fc_expect *exp,
    struct fc_findings *out, struct rc_err *err)
{
	char d[FC_DETAIL_MAX];
	enum fc_status st;
	enum rc_code rc;

#define P(name) oidc_authreq_param(req, (name))
#define ADD(id, required, call)                                                \
	do {                                                                   \
		d[0] = '\0';                                                   \
		st = (call);                                                   \
		if ((rc = fc_findings_add(out, (id), st, (required), "%s",     \
		         d)) != RC_OK)                                         \
			goto out;                                              \
	} while (0)

	if (exp == NULL || exp->authorization_endpoint == NULL ||
	    exp->client_id == NULL || exp->redirect_uri == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "fc_authreq_judge: authorization_endpoint, client_id and "
		    "redirect_uri are required");
	if ((rc = judge_endpoint(req, exp->authorization_endpoint, out, err)) !=
	    RC_OK)
		goto out;
	if ((rc = judge_platform(req, exp, out)) != RC_OK ||
	    (rc = judge_duplicates(req, out)) != RC_OK)
		goto out;
	ADD("fc.authorize.response_type", 1,
	    fc_check_response_type(P("response_type"), d, sizeof(d)));
	ADD("fc.authorize.client_id", 1,
	    fc_check_client_id(P("client_id"), exp->client_id, d, sizeof(d)));
	ADD("fc.authorize.redirect_uri", 1,
	    fc_check_redirect_uri(P("redirect_uri"), exp->redirect_uri,
	        exp->production, d, sizeof(d)));
	ADD("fc.authorize.scope", 1, fc_check_scope(P("scope"), d, sizeof(d)));
	ADD("fc.authorize.acr_values", 1,
	    fc_check_acr_values(P("acr_values"), exp->plus, d, sizeof(d)));
	ADD("fc.authorize.prompt", 1,
	    fc_check_prompt(P("prompt"), d, sizeof(d)));
	ADD("fc.authorize.claims", 1,
	    fc_check_claims(P("claims"), d, sizeof(d)));
	ADD("fc.authorize.state", 1,
	    fc_check_random_param("state", P("state"), d, sizeof(d)));
	ADD("fc.authorize.nonce", 1,
	    fc_check_random_param("nonce", P("nonce"), d, sizeof(d)));
	ADD("fc.authorize.pkce", 1,
	    fc_check_pkce(P("code_challenge"), P("code_challenge_method"), d,
	        sizeof(d)));
	ADD("fc.authorize.params", 1, fc_check_params(req, d, sizeof(d)));
#undef ADD
#undef P
out:
	if (rc == RC_ENOMEM)
		RC_ERR(err, RC_ENOMEM, "fc_authreq_judge: out of memory");
	return rc;
}

/* ---- Randomness --------------------------------------------------------- */

/*
 * Bits per character of the smallest usual alphabet holding v, and how
 * many characters count (hex separators '-' and base64 padding '=' do
 * not).
 */
static double
alphabet_bits(const char *v, size_t from, size_t to, size_t *counted)
{
	int digit = 1, lhex = 1, uhex = 1, alnum = 1, b64 = 1;
	size_t i, dashes = 0, pads = 0;

	for (i = from; i < to; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '-')
			dashes++;
		if (c == '=')
			pads++;
		if (!(c >= '0' && c <= '9'))
			digit = 0;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		        c == '-'))
			lhex = 0;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
		        c == '-'))
			uhex = 0;
		if (!(c < 0x80 && isalnum(c)))
			alnum = 0;
		if (!((c < 0x80 && isalnum(c)) || c == '-' || c == '_' ||
		        c == '+' || c == '/' || c == '='))
			b64 = 0;
	}
	*counted = to - from;
	if (digit)
		return 3.321928; /* log2(10) */
	if (lhex || uhex) {
		*counted -= dashes;
		return 4.0;
	}
	if (alnum)
		return 5.954196; /* log2(62) */
	if (b64) {
		*counted -= pads;
		return 6.0;
	}
	return 6.554589; /* log2(94) */
}

double
fc_entropy_bits(const char *value)
{
	size_t counted;
	double bpc;

	if (value == NULL)
		return 0.0;
	bpc = alphabet_bits(value, 0, strlen(value), &counted);
	return bpc * (double)counted;
}

/* The values of one kind (state or nonce) that were present. */
struct rset {
	const char *name;
	const char *v[64];
	size_t n;
	size_t prefix, suffix, minlen; /* common to all, when n >= 2 */
};

static void
rset_fill(struct rset *s, const char *name, const char *const *vals, size_t n)
{
	size_t i, k, l;

	s->name = name;
	s->n = 0;
	for (i = 0; vals != NULL && i < n && s->n < ARRAY_LEN(s->v); i++)
		if (vals[i] != NULL)
			s->v[s->n++] = vals[i];
	s->prefix = s->suffix = 0;
	s->minlen = 0;
	if (s->n == 0)
		return;
	s->minlen = strlen(s->v[0]);
	for (i = 1; i < s->n; i++)
		if ((l = strlen(s->v[i])) < s->minlen)
			s->minlen = l;
	if (s->n < 2)
		return;
	for (k = 0; k < s->minlen; k++) {
		for (i = 1; i < s->n; i++)
			if (s->v[i][k] != s->v[0][k])
				break;
		if (i < s->n)
			break;
	}
	s->prefix = k;
	for (k = 0; k < s->minlen - s->prefix; k++) {
		size_t l0 = strlen(s->v[0]);

		for (i = 1; i < s->n; i++) {
			size_t li = strlen(s->v[i]);

			if (s->v[i][li - 1 - k] != s->v[0][l0 - 1 - k])
				break;
		}
		if (i < s->n)
			break;
	}
	s->suffix = k;
}

/* Compare two digit strings as numbers (no sign). */
static int
numcmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c;

	while (la > 1 && *a == '0')
		a++, la--;
	while (lb > 1 && *b == '0')
		b++, lb--;
	if (la != lb)
		return la < lb ? -1 : 1;
	c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

/*
 * A counter or a clock moves its low digits only: the two runs share
 * their leading digits and differ in at most half of them (or 3).  Two
 * random digit strings almost never do.
 */
static int
small_step(const char *a, size_t la, const char *b, size_t lb)
{
	size_t k = 0, lim;

	if (la != lb)
		return la <= 3 && lb <= 3; /* 9 -> 10, 99 -> 100 */
	while (k < la && a[k] == b[k])
		k++;
	lim = la / 2 > 3 ? la / 2 : 3;
	return la - k <= lim;
}

/*
 * Do the values differ only in one run of digits that increases from
 * fetch to fetch?  Compares run structure: maximal digit and non-digit
 * runs, all non-digit runs equal, exactly one digit-run position varying,
 * strictly increasing once sorted.
 */
/* Shorter first, then byte order: numeric order for one digit run. */
static int
cmp_len_str(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int
is_counter(const struct rset *s)
{
	const char *v[ARRAY_LEN(s->v)];
	size_t i, pa, pb, varying = (size_t)-1, run;

	if (s->n < 2)
		return 0;
	/*
	 * Fetches run concurrently, so values arrive in any order: judge
	 * them sorted, which is issue order for a counter.
	 */
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_len_str);
	for (i = 1; i < s->n; i++) {
		const char *a = v[i - 1], *b = v[i];
		size_t la, lb;

		pa = pb = 0;
		run = 0;
		while (a[pa] != '\0' && b[pb] != '\0') {
			int da = isdigit((unsigned char)a[pa]) != 0;
			int db = isdigit((unsigned char)b[pb]) != 0;

			if (da != db)
				return 0;
			la = strspn(a + pa, "0123456789");
			lb = strspn(b + pb, "0123456789");
			if (!da) {
				la = strcspn(a + pa, "0123456789");
				lb = strcspn(b + pb, "0123456789");
				if (la != lb || memcmp(a + pa, b + pb, la) != 0)
					return 0;
			} else if (numcmp(a + pa, la, b + pb, lb) != 0) {
				if (varying != (size_t)-1 && varying != run)
					return 0;
				varying = run;
				if (numcmp(a + pa, la, b + pb, lb) > 0)
					return 0; /* not increasing */
				if (!small_step(a + pa, la, b + pb, lb))
					return 0; /* random digits */
			}
			pa += la;
			pb += lb;
			run++;
		}
		if (a[pa] != '\0' || b[pb] != '\0')
			return 0;
	}
	return varying != (size_t)-1;
}

/* URL markers, plain, percent-encoded or base64 ("http://", "https://"). */
static const char *
find_url(const char *v)
{
	static const char *const marks[] = { "://", "http%3a", "%2f%2f", "www.",
		"aHR0cDovL", "aHR0cHM6Ly" };
	size_t i, j, ml, vl = strlen(v);

	for (i = 0; i < ARRAY_LEN(marks); i++) {
		ml = strlen(marks[i]);
		for (j = 0; j + ml <= vl; j++) {
			int hit = marks[i][0] == 'a'
			    ? strncmp(v + j, marks[i], ml) == 0
			    : strncasecmp(v + j, marks[i], ml) == 0;

			if (hit)
				return marks[i];
		}
	}
	return NULL;
}

/*
 * A maximal run of exactly 10 (seconds) or 13 (milliseconds) digits that
 * reads as a plausible Unix time: within two days of now when now is
 * known, else between 2001-09-09 and 2100-01-01.  Returns its offset or
 * -1.
 */
static long
find_epoch(const char *v, time_t now)
{
	size_t i = 0, run;
	long long t;
	char buf[16];
	char *end;

	while (v[i] != '\0') {
		run = strspn(v + i, "0123456789");
		if (run == 0) {
			i++;
			continue;
		}
		if (run == 10 || run == 13) {
			memcpy(buf, v + i, 10); /* seconds part */
			buf[10] = '\0';
			errno = 0;
			t = strtoll(buf, &end, 10);
			if (errno == 0 && *end == '\0') {
				if (now != 0
				        ? llabs(t - (long long)now) <= 2 * 86400
				        : (t >= 1000000000LL &&
				              t < 4102444800LL))
					return (long)i;
			}
		}
		i += run;
	}
	return -1;
}

static enum rc_code
judge_repeat(const struct rset *st, const struct rset *no,
    const char *const *states, const char *const *nonces, size_t n,
    struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.repeat";
	const char *all[128];
	size_t i, j, k = 0;

	for (i = 0; i < st->n; i++)
		all[k++] = st->v[i];
	for (i = 0; i < no->n; i++)
		all[k++] = no->v[i];
	if (n < 2)
		return fc_findings_add(out, id, FC_SKIP, 1,
		    "only one fetch: cannot tell whether state and nonce "
		    "change on every fetch");
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++) {
			if (!same(all[i], all[j]))
				continue;
			if (i < st->n && j >= st->n) {
				/* state == nonce of one fetch: its own rule
				 * (random.state_is_nonce), not a repeat. */
				size_t a, b;

				for (a = 0; a < n && states[a] != all[i]; a++)
					;
				for (b = 0; b < n && nonces[b] != all[j]; b++)
					;
				if (a == b)
					continue;
			}
			return fc_findings_add(out, id, FC_FAIL, 1,
			    "a %s value was seen again in another of %zu "
			    "fetches (as %s); state and nonce must be random "
			    "and unique per FranceConnect session (%s)",
			    i < st->n ? "state" : "nonce", n,
			    j < st->n ? "state" : "nonce", QUALIF_RULE);
		}
	return fc_findings_add(out, id, FC_PASS, 1,
	    "state and nonce differ on each of %zu fetches", n);
}

static enum rc_code
judge_state_is_nonce(const char *const *states, const char *const *nonces,
    size_t n, struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.state_is_nonce";
	size_t i, seen = 0;

	for (i = 0; i < n; i++) {
		if (states == NULL || nonces == NULL || states[i] == NULL ||
		    nonces[i] == NULL)
			continue;
		seen++;
		if (same(states[i], nonces[i]))
			return fc_findings_add(out, id, FC_FAIL, 1,
			    "state and nonce are the same value in fetch %zu; "
			    "they are two independent random values (OpenID "
			    "Connect Core section 3.1.2.1; %s)",
			    i + 1, QUALIF_RULE);
	}
	if (seen == 0)
		return fc_findings_add(out, id, FC_SKIP, 1,
		    "no fetch carried both state and nonce");
	return fc_findings_add(out, id, FC_PASS, 1,
	    "state and nonce differ within each fetch");
}

static enum rc_code
judge_affix(const struct rset *sets, size_t nsets, struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.affix";
	char d[FC_DETAIL_MAX] = "";
	enum fc_status st = FC_PASS;
	size_t i, fixed, vary, usable = 0;

	for (i = 0; i < nsets; i++) {
		const struct rset *s = &sets[i];

		if (s->n < 2)
			continue;
		usable++;
		fixed = s->prefix + s->suffix;
		vary = s->minlen - fixed;
		if (fixed < 4)
			continue;
		if (vary < FC_MIN_RANDOM_LEN) {
			addf(d, sizeof(d),
			    "%s: %zu leading and %zu trailing characters are "
			    "the same on every fetch, only %zu vary; at least "
			    "%d random characters are required (%s)",
			    s->name, s->prefix, s->suffix, vary,
			    FC_MIN_RANDOM_LEN, QUALIF_RULE);
			st = FC_FAIL;
		} else {
			addf(d, sizeof(d),
			    "%s: %zu leading and %zu trailing characters are "
			    "the same on every fetch (%zu vary); a fixed part "
			    "adds no randomness",
			    s->name, s->prefix, s->suffix, vary);
			st = worst(st, FC_WARN);
		}
	}
	if (usable == 0)
		return fc_findings_add(out, id, FC_SKIP, 1,
		    "fewer than two fetches: no common prefix or suffix to "
		    "measure");
	if (st == FC_PASS)
		return fc_findings_add(out, id, FC_PASS, 1,
		    "no fixed prefix or suffix across fetches");
	return fc_findings_add(out, id, st, 1, "%s", d);
}

static enum rc_code
judge_counter(const struct rset *sets, size_t nsets, struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.counter";
	size_t i, usable = 0;

	for (i = 0; i < nsets; i++) {
		if (sets[i].n < 2)
			continue;
		usable++;
		if (is_counter(&sets[i]))
			return fc_findings_add(out, id, FC_FAIL, 1,
			    "%s values differ only in a number that increases "
			    "from fetch to fetch: a counter or clock is "
			    "predictable; state and nonce must be random (%s)",
			    sets[i].name, QUALIF_RULE);
	}
	if (usable == 0)
		return fc_findings_add(out, id, FC_SKIP, 1,
		    "fewer than two fetches: cannot detect a counter");
	return fc_findings_add(out, id, FC_PASS, 1,
	    "no incrementing counter across fetches");
}

static enum rc_code
judge_embedded(const struct rset *sets, size_t nsets, time_t now,
    struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.embedded";
	const char *mark;
	size_t i, j, seen = 0;
	long off;

	for (i = 0; i < nsets; i++)
		for (j = 0; j < sets[i].n; j++) {
			seen++;
			if ((mark = find_url(sets[i].v[j])) != NULL)
				return fc_findings_add(out, id, FC_FAIL, 1,
				    "%s carries a URL (\"%s\" found); it must "
				    "be random, not carry application data in "
				    "clear (%s; RFC 9700 section 4.7)",
				    sets[i].name, mark, QUALIF_RULE);
		}
	for (i = 0; i < nsets; i++)
		for (j = 0; j < sets[i].n; j++) {
			off = find_epoch(sets[i].v[j], now);
			if (off >= 0)
				return fc_findings_add(out, id, FC_WARN, 1,
				    "%s embeds what looks like a Unix time "
				    "(digits at offset %ld); time is "
				    "predictable and adds no randomness (%s)",
				    sets[i].name, off, QUALIF_RULE);
		}
	if (seen == 0)
		return fc_findings_add(out, id, FC_SKIP, 1,
		    "no state or nonce value to examine");
	return fc_findings_add(out, id, FC_PASS, 1,
	    "no URL or timestamp inside state or nonce");
}

static enum rc_code
judge_entropy(const struct rset *sets, size_t nsets, struct fc_findings *out)
{
	static const char id[] = "fc.authorize.random.entropy";
	double bpc, bits, min = -1.0;
	const char *minname = NULL;
	size_t i, j, counted, from, to, mincount = 0;
	double minbpc = 0.0;

	for (i = 0; i < nsets; i++)
		for (j = 0; j < sets[i].n; j++) {
			const char *v = sets[i].v[j];
			size_t l = strlen(v);

			from = 0;
			to = l;
			if (sets[i].n >= 2 &&
			    sets[i].prefix + sets[i].suffix <= l) {
				from = sets[i].prefix;
				to = l - sets[i].suffix;
			}
			bpc = alphabet_bits(v, from, to, &counted);
			bits = bpc * (double)counted;
			if (min < 0 || bits < min) {
				min = bits;
				minname = sets[i].name;
				minbpc = bpc;
				mincount = counted;
			}
		}
	if (minname == NULL)
		return fc_findings_add(out, id, FC_SKIP, 0,
		    "no state or nonce value to examine");
	if (min < FC_MIN_ENTROPY_BITS)
		return fc_findings_add(out, id, FC_WARN, 0,
		    "%s carries at most about %.0f bits (%zu varying "
		    "characters at %.2f bits each); at least %d bits are "
		    "advisable, as FC's own client draws 32 random bytes "
		    "(reference [I], franceconnect.md 'What a verifier can "
		    "check' 3)",
		    minname, min, mincount, minbpc, FC_MIN_ENTROPY_BITS);
	return fc_findings_add(out, id, FC_PASS, 0,
	    "every state and nonce carries about %.0f bits or more "
	    "(estimated from the alphabet)",
	    min);
}

enum rc_code
fc_random_judge(const char *const *states, const char *const *nonces, size_t n,
    time_t now, struct fc_findings *out, struct rc_err *err)
{
	struct rset sets[2];
	enum rc_code rc;

	if (n > ARRAY_LEN(sets[0].v))
		n = ARRAY_LEN(sets[0].v);
	rset_fill(&sets[0], "state", states, n);
	rset_fill(&sets[1], "nonce", nonces, n);
	if ((rc = judge_repeat(&sets[0], &sets[1], states, nonces, n, out)) !=
	        RC_OK ||
	    (rc = judge_state_is_nonce(states, nonces, n, out)) != RC_OK ||
	    (rc = judge_affix(sets, 2, out)) != RC_OK ||
	    (rc = judge_counter(sets, 2, out)) != RC_OK ||
	    (rc = judge_embedded(sets, 2, now, out)) != RC_OK ||
	    (rc = judge_entropy(sets, 2, out)) != RC_OK)
		return RC_ERR(err, rc, "fc_random_judge: out of memory");
	return RC_OK;
}

/* ---- Error codes -------------------------------------------------------- */

/*
 * ref §2 table (FC error pages from api-authorize.feature) and §3
 * "Callback" (OAuth errors, docs-site page fs-technique-erreurs);
 * login_required/consent_required: OpenID Connect Core §3.1.2.6.
 */
/* clang-format off */
static const struct {
	const char *code;
	const char *explain;
	enum fc_blame blame;
} fc_errors[] = {
	{ "Y04EA6EF", "FranceConnect does not know this client_id, or it is "
	  "deactivated: use the production client_id issued after "
	  "qualification (not a sandbox one), and check that the service is "
	  "active in the FranceConnect partner portal", FC_BLAME_REQUEST },
	{ "Y04C013C", "the redirect_uri is not registered for this client_id: "
	  "declare it exactly (scheme, host, path, trailing slash) among the "
	  "redirect URLs in the FranceConnect partner portal, or send the "
	  "registered one", FC_BLAME_REQUEST },
	{ "Y030007", "FranceConnect rejected a parameter of the authorization "
	  "request as invalid or missing: acr_values (mandatory; eidas1 on "
	  "FC), state, nonce (at least 22 characters), prompt (only login "
	  "and consent), or a malformed redirect_uri", FC_BLAME_REQUEST },
	{ "unsupported_response_type", "FranceConnect supports only the "
	  "authorization code flow: send response_type=code", FC_BLAME_REQUEST },
	{ "invalid_request", "the authorization request is malformed, e.g. "
	  "scope without openid; fix the parameters the error_description "
	  "names", FC_BLAME_REQUEST },
	{ "invalid_scope", "a requested scope is unknown or not granted: "
	  "request only the scopes of the DataPass habilitation (address and "
	  "phone no longer exist in FC v2)", FC_BLAME_REQUEST },
	{ "access_denied", "the user cancelled or could not be identified "
	  "(e.g. not found in the RNIPP); the service must show a clean "
	  "message and let the user retry", FC_BLAME_PROVIDER },
	{ "server_error", "FranceConnect had an internal error; the service "
	  "must show a clean message and let the user retry later", FC_BLAME_PROVIDER },
	{ "temporarily_unavailable", "FranceConnect is temporarily "
	  "unavailable; the service must show a clean message and let the "
	  "user retry later", FC_BLAME_PROVIDER },
	{ "login_required", "no FranceConnect session and prompt=none was "
	  "used; FranceConnect accepts only prompt=login and/or consent", FC_BLAME_REQUEST },
	{ "consent_required", "consent is needed and prompt=none was used; "
	  "FranceConnect accepts only prompt=login and/or consent", FC_BLAME_REQUEST },
	{ "Y04A8220", "FranceConnect could not read the client's "
	  "sector_identifier_uri: publish it over https with every "
	  "redirect_uri it lists", FC_BLAME_REQUEST },
	{ "Y030032", "idp_hint names an identity provider FranceConnect does "
	  "not allow for this service: remove idp_hint or ask FranceConnect "
	  "to allow that provider", FC_BLAME_REQUEST },
	{ "Y190001", "FranceConnect found no session for this step (its "
	  "fc_session_id and interaction cookies did not come back); raccord "
	  "carries them as a browser does, so this points to FranceConnect "
	  "or to the way it was reached, not to the collectivite's request",
	  FC_BLAME_PROVIDER },
	{ "Y000000", "FranceConnect had an unknown internal error; try again "
	  "later", FC_BLAME_PROVIDER },
	{ "unauthorized_client", "FranceConnect does not allow this client to "
	  "use this flow: check the client's settings in the partner portal",
	  FC_BLAME_REQUEST },
	{ "invalid_client", "FranceConnect does not know or accept this "
	  "client_id", FC_BLAME_REQUEST },
};
/* clang-format on */

const char *
fc_error_explain(const char *code)
{
	size_t i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < ARRAY_LEN(fc_errors); i++)
		if (strcmp(code, fc_errors[i].code) == 0)
			return fc_errors[i].explain;
	return NULL;
}

/* Largest body scanned; error pages are small. */
#define FC_ERROR_SCAN_MAX (1024 * 1024)

/*
 * FC error codes: "Y" + a digit + 5 to 7 digits or upper-case letters
 * (Y030007, Y04EA6EF, Y04C013C), or "E" + 6 digits (legacy), not inside
 * a longer word.  The leading digit after Y keeps words such as
 * "YESTERDAY" out (every published code starts with "Y0").
 */
enum rc_code
fc_error_find(const char *html, size_t len, char *code, size_t codelen)
{
	static const char pat[] = "(^|[^A-Za-z0-9])(Y[0-9][0-9A-Z]{5,7}|"
	                          "E[0-9]{6})([^A-Za-z0-9]|$)";
	char *text = NULL, first[16] = "", cur[16];
	regmatch_t m[4];
	regex_t re;
	size_t i, off = 0, n;
	int eflags = 0, compiled = 0;
	enum rc_code rc = RC_OK;

	if (code == NULL || codelen < 10)
		return RC_EINVAL;
	code[0] = '\0';
	if (html == NULL || len == 0)
		return RC_OK;
	if (len > FC_ERROR_SCAN_MAX)
		len = FC_ERROR_SCAN_MAX;
	if ((text = rc_malloc(len + 1)) == NULL) {
		rc = RC_ENOMEM;
		goto out;
	}
	memcpy(text, html, len);
	for (i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[len] = '\0';
	if (regcomp(&re, pat, REG_EXTENDED) != 0) {
		rc = RC_ENOMEM; /* only fails for lack of memory */
		goto out;
	}
	compiled = 1;
	while (off < len && regexec(&re, text + off, 4, m, eflags) == 0) {
		n = (size_t)(m[2].rm_eo - m[2].rm_so);
		if (n >= sizeof(cur))
			break;
		memcpy(cur, text + off + m[2].rm_so, n);
		cur[n] = '\0';
		if (fc_error_explain(cur) != NULL) {
			snprintf(code, codelen, "%s", cur);
			goto out;
		}
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", cur);
		/* Resume at the end of the code: its trailing delimiter may
		 * lead the next one. */
		off += (size_t)m[2].rm_eo;
		eflags = REG_NOTBOL;
	}
	snprintf(code, codelen, "%s", first);
out:
	if (compiled)
		regfree(&re);
	rc_free(text);
	return rc;
}

enum fc_blame
fc_error_blame(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < ARRAY_LEN(fc_errors); i++)
		if (strcmp(code, fc_errors[i].code) == 0)
			return fc_errors[i].blame;
	return FC_BLAME_UNKNOWN;
}

/* ---- FranceConnect's answer to the authorization request ---------------- */

static void answer_set(struct fc_answer_verdict *out, enum fc_answer a,
    const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
answer_set(struct fc_answer_verdict *out, enum fc_answer a, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	out->answer = a;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
}

static int
is_html_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return (n == 9 && strncasecmp(ct, "text/html", 9) == 0) ||
	    (n == 21 && strncasecmp(ct, "application/xhtml+xml", 21) == 0);
}

/*
 * FranceConnect v2's answers, read in its source and its own end-to-end
 * tests (ref §8; france-connect/sources quality/fcp/cypress/integration/
 * api/api-authorize.feature, back/apps/core-fcp/src/views/interaction.ejs
 * and pages/error/error.welcome.ejs, back/_doc/erreurs.md).  Only what is
 * understood is judged: anything else is unclear, never a refusal.
 */
void
fc_provider_page_judge(long status, const char *content_type,
    const struct fc_page_facts *facts, struct fc_answer_verdict *out)
{
	char ct[64];
	const char *code = facts != NULL ? facts->code : "";
	const char *why;
	int error_page;

	quote(content_type ? content_type : "no Content-Type", ct, sizeof(ct));
	if (status >= 500 || status == 429) {
		answer_set(out, FC_ANSWER_UNCLEAR, code,
		    "FranceConnect answered HTTP %ld%s%s%s: it is unavailable "
		    "or limiting requests, which says nothing about the "
		    "request; try again later",
		    status, code[0] ? " (error " : "", code,
		    code[0] ? ")" : "");
		return;
	}
	if (!is_html_type(content_type) || facts == NULL || !facts->html) {
		answer_set(out, FC_ANSWER_UNCLEAR, "",
		    "FranceConnect answered HTTP %ld with %s, not an HTML page "
		    "raccord can read; not judged (the exchange is in the "
		    "evidence)",
		    status, ct);
		return;
	}
	/*
	 * An error page: FC's marked error block, any status >= 400, or a
	 * code of the known table anywhere in the page (an unknown code-like
	 * word on a 200 page without the marks is not taken for one).
	 */
	error_page = facts->error_marked || status >= 400 ||
	    (code[0] != '\0' &&
	        (facts->code_marked || fc_error_explain(code) != NULL));
	if (error_page && code[0] != '\0') {
		why = fc_error_explain(code);
		switch (fc_error_blame(code)) {
		case FC_BLAME_REQUEST:
			answer_set(out, FC_ANSWER_REFUSED, code,
			    "FranceConnect refused the authorization request "
			    "with error %s (HTTP %ld): %s",
			    code, status, why);
			return;
		case FC_BLAME_PROVIDER:
			answer_set(out, FC_ANSWER_UNCLEAR, code,
			    "FranceConnect answered with error %s (HTTP %ld): "
			    "%s; not judged",
			    code, status, why);
			return;
		default:
			answer_set(out, FC_ANSWER_UNCLEAR, code,
			    "FranceConnect answered with error %s (HTTP %ld), "
			    "a code raccord does not know (see FranceConnect's "
			    "list, back/_doc/erreurs.md in france-connect/"
			    "sources); not judged",
			    code, status);
			return;
		}
	}
	if (error_page) {
		answer_set(out, FC_ANSWER_UNCLEAR, "",
		    "FranceConnect answered HTTP %ld with %s but no error "
		    "code raccord could read; not judged",
		    status, facts->error_marked ? "its error page" : "a page");
		return;
	}
	if (status != 200) {
		answer_set(out, FC_ANSWER_UNCLEAR, "",
		    "FranceConnect answered HTTP %ld, which raccord does not "
		    "understand here; not judged",
		    status);
		return;
	}
	answer_set(out, FC_ANSWER_ACCEPTED, "",
	    "FranceConnect accepted the authorization request: it showed its "
	    "page (HTTP 200, HTML, no error)%s%s%s%s",
	    facts->marker_testid || facts->marker_grid
	        ? ", the identity-provider choice ("
	        : "; neither identity-provider choice marker "
	          "(data-testid=\"main-providers\", #grid-main-providers) was "
	          "seen, which FC's markup changes may explain",
	    facts->marker_testid ? "data-testid=\"main-providers\"" : "",
	    facts->marker_testid && facts->marker_grid ? ", " : "",
	    facts->marker_grid ? "#grid-main-providers)"
	                       : (facts->marker_testid ? ")" : ""));
}

/* scheme, host (case-insensitive), port and path of two URLs agree. */
static int
same_endpoint(const struct oidc_authreq *a, const struct oidc_authreq *b)
{
	return strcasecmp(oidc_authreq_scheme(a), oidc_authreq_scheme(b)) ==
	    0 &&
	    strcasecmp(oidc_authreq_host(a), oidc_authreq_host(b)) == 0 &&
	    oidc_authreq_port(a) == oidc_authreq_port(b) &&
	    strcmp(oidc_authreq_path(a), oidc_authreq_path(b)) == 0;
}

/*
 * The parameters of to's fragment, parsed as a query string by the same
 * decoder (a URL of our own carrying the fragment as its query), or NULL
 * when there is no fragment.  Owned by the caller.
 */
static struct oidc_authreq *
fragment_params(const struct oidc_authreq *to)
{
	const char *f = oidc_authreq_fragment(to);
	char *url;
	struct oidc_authreq *r;
	size_t n;

	if (f == NULL || *f == '\0')
		return NULL;
	n = strlen(f) + sizeof("https://fragment.invalid/?");
	if ((url = rc_malloc(n)) == NULL)
		return NULL;
	snprintf(url, n, "https://fragment.invalid/?%s", f);
	r = oidc_authreq_parse(url, NULL);
	rc_free(url);
	return r;
}

void
fc_provider_redirect_judge(const char *location, const char *redirect_uri,
    struct fc_answer_verdict *out)
{
	struct oidc_authreq *to, *ru = NULL, *frag = NULL;
	const char *e, *ed, *why;
	char qe[40], qd[120], host[80];
	int back;

	if (location == NULL ||
	    (to = oidc_authreq_parse(location, NULL)) == NULL) {
		answer_set(out, FC_ANSWER_UNCLEAR, "",
		    "FranceConnect redirected to a URL raccord cannot parse; "
		    "not judged");
		return;
	}
	if (redirect_uri != NULL)
		ru = oidc_authreq_parse(redirect_uri, NULL);
	back = ru != NULL && same_endpoint(to, ru);
	e = oidc_authreq_param(to, "error");
	ed = oidc_authreq_param(to, "error_description");
	if (e == NULL && (frag = fragment_params(to)) != NULL) {
		/* RFC 6749 §4.2.2.1: errors of a fragment response type
		 * travel in the fragment (response_type=id_token). */
		e = oidc_authreq_param(frag, "error");
		ed = oidc_authreq_param(frag, "error_description");
	}
	quote(oidc_authreq_host(to), host, sizeof(host));
	if (e == NULL) {
		answer_set(out, FC_ANSWER_ACCEPTED, "",
		    "FranceConnect accepted the authorization request and sent "
		    "the user on to %s%s",
		    back ? "the redirect_uri on " : "", host);
		goto out;
	}
	quote(e, qe, sizeof(qe));
	quote(ed ? ed : "", qd, sizeof(qd));
	why = fc_error_explain(e);
	if (!back)
		answer_set(out, FC_ANSWER_UNCLEAR, qe,
		    "FranceConnect redirected to %s with error=%s, which is "
		    "not "
		    "the request's redirect_uri; not judged",
		    host, qe);
	else if (fc_error_blame(e) == FC_BLAME_REQUEST)
		answer_set(out, FC_ANSWER_REFUSED, qe,
		    "FranceConnect refused the authorization request and sent "
		    "the user back to the redirect_uri with error=%s%s%s%s: %s",
		    qe, ed ? " (" : "", qd, ed ? ")" : "", why);
	else
		answer_set(out, FC_ANSWER_UNCLEAR, qe,
		    "FranceConnect sent the user back with error=%s%s%s%s%s%s; "
		    "this does not blame the request: not judged",
		    qe, ed ? " (" : "", qd, ed ? ")" : "", why ? ": " : "",
		    why ? why : "");
out:
	oidc_authreq_free(frag);
	oidc_authreq_free(ru);
	oidc_authreq_free(to);
}

/*
 * fc.callback.forged: OIDC Core §3.1.2.7 and RFC 9700 §4.7 (the callback
 * checks state against the user agent's session); probes §A4.  From
 * outside only the answer is seen, so this stays advisory.
 */
enum fc_status
fc_callback_forged_judge(long status, const char *location,
    const struct fc_page_facts *facts, const char *new_cookie, char *detail,
    size_t len)
{
	char q[80];

	if (status >= 500) {
		snprintf(detail, len,
		    "the callback answered HTTP %ld to a forged code and "
		    "state: it must show a clean error, not crash "
		    "(FranceConnect error handling; RFC 9700 section 4.7)",
		    status);
		return FC_WARN;
	}
	if (new_cookie != NULL && new_cookie[0] != '\0') {
		snprintf(detail, len,
		    "the callback set a new cookie \"%s\" in answer to a "
		    "forged code and state: a session may have been opened "
		    "without a valid login",
		    quote(new_cookie, q, sizeof(q)));
		return FC_WARN;
	}
	if (status >= 400) {
		snprintf(detail, len,
		    "the callback refused a forged code and state with HTTP "
		    "%ld",
		    status);
		return FC_PASS;
	}
	if (status >= 300 && status < 400) {
		snprintf(detail, len,
		    "the callback answered a forged code and state with a "
		    "redirect (HTTP %ld to %s) without opening a session",
		    status,
		    quote(location ? location : "nowhere", q, sizeof(q)));
		return FC_PASS;
	}
	if (status >= 200 && status < 300 && facts != NULL &&
	    facts->says_error) {
		snprintf(detail, len,
		    "the callback answered a forged code and state with a page "
		    "(HTTP %ld) that reports an error",
		    status);
		return FC_PASS;
	}
	snprintf(detail, len,
	    "the callback answered a forged code and state with HTTP %ld and "
	    "a page that shows no error: the callback may accept any state. "
	    "It must compare state with the one bound to the browser's "
	    "session and refuse a mismatch (OpenID Connect Core section "
	    "3.1.2.7, RFC 9700 section 4.7); seen from outside only, so "
	    "advisory",
	    status);
	return FC_WARN;
}
