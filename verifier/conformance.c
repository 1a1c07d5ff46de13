/* SPDX-License-Identifier: MIT */
/*
 * Active conformance (verifier/conformance.h): the registration file, the
 * test FranceConnect provider on libmicrohttpd and the browser that drives
 * one login per run through the probe engine.
 *
 * Threads: the provider answers on libmicrohttpd's one internal polling
 * thread; the browser runs on the caller's thread (probe_run).  What they
 * share (the current login and the provider's log of back-channel calls)
 * is behind prov->mu.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/url.h"
#include "oidc/jwe.h"
#include "oidc/jwks.h"
#include "oidc/jwt.h"
#include "verifier/conformance.h"
#include "verifier/conformance_int.h"

#define CONF_MAX_HOPS       10   /* redirects followed per leg */
#define CONF_CODE_TTL       30   /* seconds: FranceConnect's code lifetime */
#define CONF_TOKEN_TTL      60   /* seconds: ID and access tokens */
#define CONF_FORM_MAX       8192 /* token request body */
#define CONF_MAX_EVENTS     16   /* back-channel calls kept per login */
#define CONF_MAX_EXCH       48   /* exchanges cited by one check */
#define CONF_PEM_MAX        (64 * 1024)
#define CONF_HEX_RANDOM_MAX 64

/* ------------------------------------------------------------------ */
/* Randomness and registration                                         */

/* n random bytes as 2n hex digits into out (2n + 1 bytes). */
static enum rc_code
random_hex(size_t n, char *out, struct rc_err *err)
{
	unsigned char b[CONF_HEX_RANDOM_MAX / 2];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return RC_ERR(err, RC_ECRYPTO, "no randomness");
	rc_hex(b, n, out);
	OPENSSL_cleanse(b, sizeof(b));
	return RC_OK;
}

void
conf_registration_cleanup(struct conf_registration *reg)
{
	if (reg == NULL)
		return;
	rc_free(reg->dossier_id);
	rc_free(reg->client_id);
	rc_free(reg->redirect_uri);
	rc_free(reg->post_logout_redirect_uri);
	rc_free(reg->alg);
	rc_free(reg->jwks_uri);
	memset(reg, 0, sizeof(*reg));
}

enum rc_code
conf_integration(const struct dossier *d,
    const struct dossier_integration **out, struct rc_err *err)
{
	size_t i, nfc = 0;

	*out = NULL;
	/* The first FranceConnect integration of the integration
	 * environment: a dossier may declare its production integration
	 * (awarded) beside the one conformance tests. */
	for (i = 0; i < d->nintegrations; i++) {
		if (d->integrations[i].kind != DOSSIER_FRANCECONNECT)
			continue;
		nfc++;
		if (d->integrations[i].env != DOSSIER_ENV_PRODUCTION) {
			*out = &d->integrations[i];
			return RC_OK;
		}
	}
	if (nfc == 0)
		return RC_ERR(err, RC_EINVAL,
		    "dossier %s: no franceconnect integration to test",
		    d->dossier_id);
	/* issue 11, Safety: the test provider never stands in for a
	 * production integration. */
	return RC_ERR(err, RC_EINVAL,
	    "dossier %s: every franceconnect integration's environment is "
	    "production; conformance runs only against an integration "
	    "environment",
	    d->dossier_id);
}

enum rc_code
conf_register(const struct dossier *d, const char *jwks_uri,
    struct conf_registration *reg, char **secret, struct rc_err *err)
{
	const struct dossier_integration *in;
	char id[2 * 8 + 1], cid[32], sec[2 * CONF_SECRET_BYTES + 1];
	enum rc_code rc;

	*secret = NULL;
	memset(reg, 0, sizeof(*reg));
	if ((rc = conf_integration(d, &in, err)) != RC_OK)
		return rc;
	/* FranceConnect+ encrypts the ID token and userinfo for the FS,
	 * which declares its keys' JWKS URL (reference §3). */
	if (in->plus && jwks_uri == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "%s: FranceConnect+ encrypts tokens for the site: give "
		    "the URL of its JWKS (--jwks-uri; daemon: "
		    "{\"jwks_uri\": URL} as the registration's body)",
		    in->path);
	if (!in->plus && jwks_uri != NULL)
		return RC_ERR(err, RC_EINVAL,
		    "%s: a JWKS URL (--jwks-uri, jwks_uri) is for "
		    "FranceConnect+ only (\"plus\": true): FranceConnect "
		    "does not encrypt tokens",
		    in->path);
	if (jwks_uri != NULL &&
	    (rc = rc_url_check("--jwks-uri", jwks_uri, 1, err)) != RC_OK)
		return rc;
	if ((rc = random_hex(8, id, err)) != RC_OK ||
	    (rc = random_hex(CONF_SECRET_BYTES, sec, err)) != RC_OK)
		goto out;
	snprintf(cid, sizeof(cid), "raccord-%s", id);
	if ((rc = rc_sha256(sec, strlen(sec), reg->secret_sha256)) != RC_OK) {
		RC_ERR(err, rc, "cannot hash the secret");
		goto out;
	}
	reg->dossier_id = rc_strdup(d->dossier_id);
	reg->client_id = rc_strdup(cid);
	reg->redirect_uri = rc_strdup(in->redirect_uri);
	reg->post_logout_redirect_uri = in->post_logout_redirect_uri
	    ? rc_strdup(in->post_logout_redirect_uri)
	    : NULL;
	reg->alg = rc_strdup("ES256"); /* FranceConnect+: ES256 only */
	reg->jwks_uri = jwks_uri ? rc_strdup(jwks_uri) : NULL;
	*secret = rc_strdup(sec);
	if (reg->dossier_id == NULL || reg->client_id == NULL ||
	    reg->redirect_uri == NULL || reg->alg == NULL || *secret == NULL ||
	    (jwks_uri != NULL && reg->jwks_uri == NULL) ||
	    (in->post_logout_redirect_uri != NULL &&
	        reg->post_logout_redirect_uri == NULL)) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	rc = RC_OK;
out:
	if (rc != RC_OK) {
		if (*secret != NULL)
			rc_free_secret(*secret, strlen(*secret));
		*secret = NULL;
		conf_registration_cleanup(reg);
	}
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc;
}

json_t *
conf_registration_to_json(const struct conf_registration *reg)
{
	char hex[RC_SHA256_HEX_LEN];

	rc_hex(reg->secret_sha256, RC_SHA256_LEN, hex);
	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s*,s:s,s:s*}",
	    "registration_version", CONF_REGISTRATION_VERSION, "dossier_id",
	    reg->dossier_id, "client_id", reg->client_id,
	    "client_secret_sha256", hex, "redirect_uri", reg->redirect_uri,
	    "post_logout_redirect_uri", reg->post_logout_redirect_uri,
	    "id_token_signed_response_alg", reg->alg, "jwks_uri",
	    reg->jwks_uri);
}

enum rc_code
conf_registration_save(const struct conf_registration *reg, const char *file,
    struct rc_err *err)
{
	json_t *o = NULL;
	char *text = NULL;
	enum rc_code rc = RC_OK;
	size_t len, done = 0;
	ssize_t w;
	int fd = -1;

	o = conf_registration_to_json(reg);
	if (o == NULL ||
	    (text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	        NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: cannot create: %s", file,
		    strerror(errno));
		goto out;
	}
	len = strlen(text);
	while (done < len) {
		w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done < len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: cannot write: %s", file,
		    strerror(errno));
		(void)unlink(file); /* nothing half-written */
	}
out:
	if (fd >= 0 && close(fd) != 0 && rc == RC_OK)
		rc = RC_ERR(err, RC_ESYS, "%s: %s", file, strerror(errno));
	free(text); /* jansson's allocator */
	json_decref(o);
	return rc;
}

enum rc_code
conf_registration_load(const char *file, struct conf_registration *reg,
    struct rc_err *err)
{
	json_t *o = NULL;
	enum rc_code rc;

	memset(reg, 0, sizeof(*reg));
	if ((rc = rc_json_load_file(file, 64 * 1024, &o, err)) != RC_OK)
		return rc;
	rc = conf_registration_from_json(o, file, reg, err);
	json_decref(o);
	return rc;
}

enum rc_code
conf_registration_from_json(const json_t *co, const char *file,
    struct conf_registration *reg, struct rc_err *err)
{
	static const char *const keys[] = { "registration_version",
		"dossier_id", "client_id", "client_secret_sha256",
		"redirect_uri", "post_logout_redirect_uri",
		"id_token_signed_response_alg", "jwks_uri", NULL };
	const char *dossier_id, *client_id, *hash, *ru, *plru = NULL, *alg;
	const char *jwks_uri = NULL;
	json_t *o = (json_t *)(uintptr_t)co;
	long long v;
	enum rc_code rc;

	memset(reg, 0, sizeof(*reg));
	if ((rc = rc_json_only_keys(o, file, keys, err)) != RC_OK ||
	    (rc = rc_json_get_int(o, file, "registration_version", 1, 1,
	         CONF_REGISTRATION_VERSION, &v, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, file, "dossier_id", 1, 1, &dossier_id,
	         err)) != RC_OK ||
	    (rc = rc_json_get_string(o, file, "client_id", 1, 1, &client_id,
	         err)) != RC_OK ||
	    (rc = rc_json_get_string(o, file, "client_secret_sha256", 1, 1,
	         &hash, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, file, "redirect_uri", 1, 1, &ru,
	         err)) != RC_OK ||
	    (rc = rc_json_get_string(o, file, "id_token_signed_response_alg", 1,
	         1, &alg, err)) != RC_OK)
		goto out;
	if (json_is_string(json_object_get(o, "post_logout_redirect_uri")))
		plru = json_string_value(
		    json_object_get(o, "post_logout_redirect_uri"));
	if (json_object_get(o, "jwks_uri") != NULL &&
	    ((rc = rc_json_get_string(o, file, "jwks_uri", 1, 1, &jwks_uri,
	          err)) != RC_OK ||
	        (rc = rc_url_check("jwks_uri", jwks_uri, 1, err)) != RC_OK))
		goto out;
	if (strlen(hash) != 2 * RC_SHA256_LEN ||
	    rc_unhex(hash, reg->secret_sha256, RC_SHA256_LEN) != RC_OK) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: client_secret_sha256: must be 64 hex digits", file);
		goto out;
	}
	/* FranceConnect v2: "ES256 et RS256" only (reference §3). */
	if (strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: id_token_signed_response_alg: must be ES256 or RS256",
		    file);
		goto out;
	}
	reg->dossier_id = rc_strdup(dossier_id);
	reg->client_id = rc_strdup(client_id);
	reg->redirect_uri = rc_strdup(ru);
	reg->post_logout_redirect_uri = plru ? rc_strdup(plru) : NULL;
	reg->alg = rc_strdup(alg);
	reg->jwks_uri = jwks_uri ? rc_strdup(jwks_uri) : NULL;
	if (reg->dossier_id == NULL || reg->client_id == NULL ||
	    reg->redirect_uri == NULL || reg->alg == NULL ||
	    (plru != NULL && reg->post_logout_redirect_uri == NULL) ||
	    (jwks_uri != NULL && reg->jwks_uri == NULL))
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
out:
	if (rc != RC_OK)
		conf_registration_cleanup(reg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The provider                                                        */

struct conf_event {
	char method[8];
	char path[48];
	long status;
	char peer[64];
	char note[160];
	time_t when;
};

struct conf_prov {
	struct MHD_Daemon *mhd;
	pthread_mutex_t mu;
	const struct conf_registration *reg;
	char *issuer;    /* public_url without a trailing slash */
	char *base_path; /* the issuer's path ("/api/v2"), "" for none */
	char *discovery;
	char *jwks;
	struct oidc_key *ec, *rsa, *rogue;
	char sub[80];
	int plus;                /* FranceConnect+ */
	struct oidc_key *rp_enc; /* FC+: the RP's encryption key */

	/* The current login, under mu. */
	enum conf_run run;
	char *state, *nonce; /* as the site sent them to authorize */
	char code[65];
	time_t code_issued;
	int code_used;
	char access_token[65];
	time_t token_issued;
	char acr[8];           /* the level granted: what the site asked */
	char *id_token;        /* the last ID token issued (logout hint) */
	char *id_token_enc;    /* FC+: the same, as sent (JWE) */
	int end_session_calls; /* end_session requests, whoever made them */
	char ref_code[65];     /* the reference login's code (replays) */
	char *ref_nonce;       /* and its nonce */
	int authorized;        /* authorize answered with a code */
	int token_ok;          /* tokens were handed out */
	int userinfo_ok;       /* userinfo was handed out */
	char authz_error[200]; /* why authorize refused the site's request */
	struct conf_event ev[CONF_MAX_EVENTS];
	size_t nev;
};

/* Per-connection state: the token request's form. */
struct conf_conn {
	struct MHD_PostProcessor *pp;
	size_t bytes;
	int toobig;
	int nul; /* a form value holds a NUL byte (%00) */
	char *grant_type, *code, *redirect_uri, *client_id, *client_secret;
};

static void
conn_free(struct conf_conn *c)
{
	if (c == NULL)
		return;
	if (c->pp != NULL)
		MHD_destroy_post_processor(c->pp);
	rc_free(c->grant_type);
	rc_free(c->code);
	rc_free(c->redirect_uri);
	rc_free(c->client_id);
	if (c->client_secret != NULL)
		rc_free_secret(c->client_secret, strlen(c->client_secret));
	rc_free(c);
}

void
conf_prov_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	conn_free(*con_cls);
	*con_cls = NULL;
}

/* Append data to *field (a form value may come in pieces). */
static int
field_append(char **field, const char *data, size_t size)
{
	size_t old = *field ? strlen(*field) : 0;
	char *n;

	if (old + size > CONF_FORM_MAX)
		return -1;
	if ((n = rc_malloc(old + size + 1)) == NULL)
		return -1;
	if (old)
		memcpy(n, *field, old);
	memcpy(n + old, data, size);
	n[old + size] = '\0';
	if (*field != NULL)
		rc_free_secret(*field, old);
	*field = n;
	return 0;
}

static enum MHD_Result
form_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct conf_conn *c = cls;
	char **f = NULL;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	(void)off;
	if (strcmp(key, "grant_type") == 0)
		f = &c->grant_type;
	else if (strcmp(key, "code") == 0)
		f = &c->code;
	else if (strcmp(key, "redirect_uri") == 0)
		f = &c->redirect_uri;
	else if (strcmp(key, "client_id") == 0)
		f = &c->client_id;
	else if (strcmp(key, "client_secret") == 0)
		f = &c->client_secret;
	if (f == NULL)
		return MHD_YES; /* other members are ignored, as FC does */
	/* "fuzz-secret%00x" must not pass for "fuzz-secret". */
	if (size > 0 && memchr(data, '\0', size) != NULL) {
		c->nul = 1;
		return MHD_YES;
	}
	if (field_append(f, data, size) != 0) {
		c->toobig = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Record one back-channel call (under mu). */
static void
prov_event(struct conf_prov *p, struct MHD_Connection *conn, const char *method,
    const char *path, long status, const char *note)
{
	const union MHD_ConnectionInfo *ci;
	struct conf_event *e;

	if (p->nev >= CONF_MAX_EVENTS)
		return;
	e = &p->ev[p->nev++];
	memset(e, 0, sizeof(*e));
	snprintf(e->method, sizeof(e->method), "%s", method);
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->status = status;
	snprintf(e->note, sizeof(e->note), "%s", note);
	e->when = time(NULL);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL &&
	    getnameinfo(ci->client_addr,
	        ci->client_addr->sa_family == AF_INET6
	            ? sizeof(struct sockaddr_in6)
	            : sizeof(struct sockaddr_in),
	        e->peer, sizeof(e->peer), NULL, 0, NI_NUMERICHOST) != 0)
		e->peer[0] = '\0';
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *ctype,
    const char *body, const char *location)
{
	struct MHD_Response *r;
	enum MHD_Result res;

	r = MHD_create_response_from_buffer(body ? strlen(body) : 0,
	    (void *)(uintptr_t)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (location != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	res = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return res;
}

static enum MHD_Result
reply_error(struct MHD_Connection *conn, unsigned int status, const char *error,
    const char *desc)
{
	json_t *o =
	    json_pack("{s:s,s:s}", "error", error, "error_description", desc);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum MHD_Result r;

	r = t ? reply(conn, status, "application/json", t, NULL) : MHD_NO;
	free(t);
	json_decref(o);
	return r;
}

/* Does the space-separated list have word? */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p = strchr(p, ' ');
	}
	return 0;
}

/* redirect_uri?code=..&state=.. through curl_url.  *out for rc_free. */
static int
callback_url(const char *ru, const char *code, const char *state,
    const char *iss, char **out)
{
	CURLU *u = curl_url();
	char q[512], *s = NULL;
	int bad = 1;

	*out = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, ru, 0) != CURLUE_OK)
		goto out;
	snprintf(q, sizeof(q), "code=%s", code);
	if (curl_url_set(u, CURLUPART_QUERY, q,
	        CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
		goto out;
	snprintf(q, sizeof(q), "state=%s", state);
	if (curl_url_set(u, CURLUPART_QUERY, q,
	        CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
		goto out;
	/* RFC 9207: the issuer beside the code. */
	snprintf(q, sizeof(q), "iss=%s", iss);
	if (curl_url_set(u, CURLUPART_QUERY, q,
	        CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	*out = rc_strdup(s);
	bad = *out == NULL;
out:
	curl_free(s);
	curl_url_cleanup(u);
	return bad ? -1 : 0;
}

/*
 * Query parameter name (borrowed), or NULL when absent.  *nul is set
 * when its decoded value holds a NUL byte (%00): then NULL too, since
 * the C string would stop there ("client_id=x%00y" is not "x").
 */
static const char *
qarg_n(struct MHD_Connection *conn, const char *name, int *nul)
{
	const char *v = NULL;
	size_t n = 0;

	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, name,
	        strlen(name), &v, &n) != MHD_YES ||
	    v == NULL)
		return NULL;
	if (strlen(v) != n) {
		*nul = 1;
		return NULL;
	}
	return v;
}

static const char *
qarg(struct MHD_Connection *conn, const char *name)
{
	int nul = 0;

	return qarg_n(conn, name, &nul);
}

/* The first of names[] whose value holds a NUL byte, or NULL. */
static const char *
qarg_first_nul(struct MHD_Connection *conn, const char *const *names)
{
	int nul = 0;

	for (; *names != NULL; names++) {
		(void)qarg_n(conn, *names, &nul);
		if (nul)
			return *names;
	}
	return NULL;
}

/*
 * GET /authorize.  The FranceConnect v2 rules of the reference
 * (franceconnect.md §2): response_type code, the registered client_id and
 * redirect_uri, openid in scope, state and nonce present (nonce >= 22
 * characters), acr_values eidas1.  A request that breaks one is refused
 * with a 400 page, as FC does, and the reason is kept for the report.
 */
static enum MHD_Result
do_authorize(struct conf_prov *p, struct MHD_Connection *conn)
{
	const char *rt = qarg(conn, "response_type"),
	           *cid = qarg(conn, "client_id"),
	           *ru = qarg(conn, "redirect_uri"),
	           *scope = qarg(conn, "scope"), *state = qarg(conn, "state"),
	           *nonce = qarg(conn, "nonce"),
	           *acr = qarg(conn, "acr_values");
	static const char *const names[] = { "response_type", "client_id",
		"redirect_uri", "scope", "state", "nonce", "acr_values", NULL };
	const char *why = NULL, *code, *st, *nul = qarg_first_nul(conn, names);
	char fresh_state[33], *loc = NULL, nulwhy[64];
	struct rc_err err = { 0 };
	enum MHD_Result r;

	if (nul != NULL) {
		snprintf(nulwhy, sizeof(nulwhy), "%s contains a NUL byte", nul);
		why = nulwhy;
	} else if (rt == NULL || strcmp(rt, "code") != 0)
		why = "response_type is not code";
	else if (cid == NULL || strcmp(cid, p->reg->client_id) != 0)
		why = "client_id is not the one raccord registered";
	else if (ru == NULL || strcmp(ru, p->reg->redirect_uri) != 0)
		why = "redirect_uri is not the registered one";
	else if (scope == NULL || !has_word(scope, "openid"))
		why = "scope lacks openid";
	else if (state == NULL || state[0] == '\0')
		why = "state is missing";
	else if (nonce == NULL || strlen(nonce) < 22)
		why = "nonce is missing or shorter than 22 characters";
	else if (!p->plus && (acr == NULL || !has_word(acr, "eidas1")))
		why = "acr_values does not ask for eidas1";
	/* FranceConnect+ offers eidas2 and eidas3, never eidas1. */
	else if (p->plus &&
	    (acr == NULL ||
	        (!has_word(acr, "eidas2") && !has_word(acr, "eidas3"))))
		why = "acr_values does not ask for eidas2 or eidas3 "
		      "(FranceConnect+)";
	if (why != NULL) {
		snprintf(p->authz_error, sizeof(p->authz_error), "%s", why);
		return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
		    "raccord conformance provider: authorization request "
		    "refused (Y030007)\n",
		    NULL);
	}
	rc_free(p->state);
	rc_free(p->nonce);
	p->state = rc_strdup(state);
	p->nonce = rc_strdup(nonce);
	if (p->state == NULL || p->nonce == NULL ||
	    random_hex(32, p->code, &err) != RC_OK ||
	    random_hex(16, fresh_state, &err) != RC_OK)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
		    "internal error\n", NULL);
	snprintf(p->acr, sizeof(p->acr), "%s",
	    !p->plus                      ? "eidas1"
	        : has_word(acr, "eidas3") ? "eidas3"
	                                  : "eidas2");
	p->code_issued = time(NULL);
	p->code_used = 0;
	p->authorized = 1;
	code = p->code;
	st = state;
	if (p->run == CONF_RUN_STATE_ALTERED)
		st = fresh_state;
	if (p->run == CONF_RUN_CODE_REPLAYED && p->ref_code[0] != '\0')
		code = p->ref_code;
	if (callback_url(ru, code, st, p->issuer, &loc) != 0)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
		    "internal error\n", NULL);
	r = reply(conn, MHD_HTTP_FOUND, "text/plain", "", loc);
	rc_free(loc);
	return r;
}

/*
 * Does the Authorization header hold exactly Basic base64(user ":" pass)?
 * libmicrohttpd hands the decoded user and password out as C strings, so
 * a NUL byte in the decoded credentials would cut them short unseen:
 * encoding them again (OpenSSL) and comparing shows it.
 */
static int
basic_is_exact(struct MHD_Connection *conn, const char *user, const char *pass)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl;
	unsigned char *plain = NULL, *enc = NULL;
	int same = 0;

	/* RFC 7235 §2.1: the scheme is case-insensitive, then one or more
	 * spaces. */
	if (h == NULL || strncasecmp(h, "Basic", 5) != 0 || h[5] != ' ' ||
	    n > INT_MAX / 2 || (plain = rc_malloc(n)) == NULL ||
	    (enc = rc_malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		goto out;
	for (h += 5; *h == ' '; h++)
		;
	memcpy(plain, user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, pass, pl);
	EVP_EncodeBlock(enc, plain, (int)n);
	same = strcmp((const char *)enc, h) == 0;
out:
	if (plain != NULL)
		rc_free_secret(plain, n);
	if (enc != NULL)
		rc_free_secret(enc, strlen((const char *)enc));
	return same;
}

/* The client's credentials: client_secret_post or client_secret_basic. */
static const char *
client_auth(struct conf_prov *p, struct MHD_Connection *conn,
    struct conf_conn *c, const char **method)
{
	unsigned char md[RC_SHA256_LEN];
	char *user = NULL, *pass = NULL;
	const char *why = NULL;

	*method = "client_secret_post";
	if (c->client_secret == NULL) {
		*method = "client_secret_basic";
		user = MHD_basic_auth_get_username_password(conn, &pass);
		if (user == NULL || pass == NULL) {
			why = "no client credentials";
			goto out;
		}
		if (!basic_is_exact(conn, user, pass)) {
			why = "the Authorization header's credentials are not "
			      "the base64 of client_id:client_secret (a NUL "
			      "byte, or not canonical base64)";
			goto out;
		}
		if (c->client_id != NULL && strcmp(c->client_id, user) != 0) {
			why = "client_id differs between body and header";
			goto out;
		}
		rc_free(c->client_id);
		c->client_id = rc_strdup(user);
		c->client_secret = rc_strdup(pass);
		if (c->client_id == NULL || c->client_secret == NULL) {
			why = "out of memory";
			goto out;
		}
	}
	if (c->client_id == NULL ||
	    strcmp(c->client_id, p->reg->client_id) != 0)
		why = "unknown client_id";
	else if (rc_sha256(c->client_secret, strlen(c->client_secret), md) !=
	        RC_OK ||
	    CRYPTO_memcmp(md, p->reg->secret_sha256, RC_SHA256_LEN) != 0)
		why = "wrong client_secret";
out:
	if (pass != NULL) {
		OPENSSL_cleanse(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return why;
}

static const struct oidc_key *
signing_key(const struct conf_prov *p)
{
	return strcmp(p->reg->alg, "RS256") == 0 ? p->rsa : p->ec;
}

/* POST /token (RFC 6749 §4.1.3; FranceConnect: code valid 30 s, once). */
static enum MHD_Result
do_token(struct conf_prov *p, struct MHD_Connection *conn, struct conf_conn *c)
{
	struct conf_claims cl;
	struct rc_err err = { 0 };
	const char *method, *why;
	char *idt = NULL, *enc = NULL, *text = NULL, note[160];
	enum conf_run run = p->run;
	json_t *o = NULL;
	enum MHD_Result r;
	int replay;

	if (c->toobig)
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
		    "invalid_request", "request too large");
	if (c->nul) {
		prov_event(p, conn, "POST", "/token", 400,
		    "a form value contains a NUL byte");
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
		    "invalid_request", "a form value contains a NUL byte");
	}
	if ((why = client_auth(p, conn, c, &method)) != NULL) {
		prov_event(p, conn, "POST", "/token", 401, why);
		return reply_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "invalid_client", why);
	}
	replay = run == CONF_RUN_CODE_REPLAYED && c->code != NULL &&
	    p->ref_code[0] != '\0' && strcmp(c->code, p->ref_code) == 0;
	if (c->grant_type == NULL ||
	    strcmp(c->grant_type, "authorization_code") != 0)
		why = "grant_type is not authorization_code";
	else if (c->redirect_uri == NULL ||
	    strcmp(c->redirect_uri, p->reg->redirect_uri) != 0)
		why = "redirect_uri differs from the registered one";
	else if (!replay &&
	    (c->code == NULL || p->code[0] == '\0' ||
	        CRYPTO_memcmp(c->code, p->code, sizeof(p->code)) != 0 ||
	        strlen(c->code) != strlen(p->code)))
		why = "unknown code";
	else if (!replay && p->code_used)
		why = "code already used";
	else if (!replay && time(NULL) - p->code_issued > CONF_CODE_TTL)
		why = "code expired";
	if (why != NULL) {
		prov_event(p, conn, "POST", "/token", 400, why);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "invalid_grant",
		    why);
	}
	if (!replay)
		p->code_used = 1;
	memset(&cl, 0, sizeof(cl));
	cl.iss = p->issuer;
	cl.aud = p->reg->client_id;
	cl.sub = p->sub;
	cl.nonce = replay ? p->ref_nonce : p->nonce;
	cl.acr = p->acr;
	cl.now = time(NULL);
	cl.lifetime = CONF_TOKEN_TTL;
	if (replay)
		run = CONF_RUN_REFERENCE; /* the earlier login's own token */
	if (conf_forge_id_token(run, &cl, signing_key(p), p->rogue, &idt,
	        &err) != RC_OK ||
	    (p->plus &&
	        oidc_jwe_encrypt(idt, p->rp_enc, &enc, &err) != RC_OK) ||
	    random_hex(32, p->access_token, &err) != RC_OK) {
		prov_event(p, conn, "POST", "/token", 500, "cannot sign");
		r = reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "server_error", "cannot sign");
		goto out;
	}
	p->token_issued = cl.now;
	/* FranceConnect's 5 fields (reference §3): no refresh token. */
	o = json_pack("{s:s,s:s,s:i,s:s,s:s}", "access_token", p->access_token,
	    "token_type", "Bearer", "expires_in", CONF_TOKEN_TTL, "id_token",
	    enc != NULL ? enc : idt, "scope", "openid");
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL) {
		r = MHD_NO;
		goto out;
	}
	if (p->id_token != NULL)
		rc_free_secret(p->id_token, strlen(p->id_token));
	p->id_token = rc_strdup(idt); /* NULL: the logout hint cannot match */
	if (p->id_token_enc != NULL)
		rc_free_secret(p->id_token_enc, strlen(p->id_token_enc));
	p->id_token_enc = enc ? rc_strdup(enc) : NULL;
	p->token_ok = 1;
	snprintf(note, sizeof(note), "%s; tokens issued for run %s", method,
	    conf_run_name(replay ? CONF_RUN_CODE_REPLAYED : run));
	prov_event(p, conn, "POST", "/token", 200, note);
	r = reply(conn, MHD_HTTP_OK, "application/json", text, NULL);
out:
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	json_decref(o);
	rc_free(idt);
	rc_free(enc);
	return r;
}

/* GET /userinfo: a signed JWT, as FranceConnect v2 (reference §3). */
static enum MHD_Result
do_userinfo(struct conf_prov *p, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	struct rc_err err = { 0 };
	struct conf_claims cl;
	json_t *o = NULL;
	char *jwt = NULL, *enc = NULL;
	enum MHD_Result r;
	time_t now = time(NULL);

	if (auth == NULL ||
	    strncasecmp(auth, "Bearer ", 7) != 0 /* RFC 6750 §2.1 */ ||
	    p->access_token[0] == '\0' ||
	    strlen(auth + 7) != strlen(p->access_token) ||
	    CRYPTO_memcmp(auth + 7, p->access_token, strlen(p->access_token)) !=
	        0 ||
	    now - p->token_issued > CONF_TOKEN_TTL) {
		prov_event(p, conn, "GET", "/userinfo", 401,
		    "no valid access token");
		return reply_error(conn, MHD_HTTP_UNAUTHORIZED, "invalid_token",
		    "access token unknown or expired");
	}
	memset(&cl, 0, sizeof(cl));
	cl.iss = p->issuer;
	cl.aud = p->reg->client_id;
	cl.sub = p->sub;
	cl.now = now;
	cl.lifetime = CONF_TOKEN_TTL;
	if (conf_forge_userinfo(p->run, &cl, &o, &err) != RC_OK ||
	    oidc_jwt_sign(o, signing_key(p), &jwt, &err) != RC_OK ||
	    (p->plus &&
	        oidc_jwe_encrypt(jwt, p->rp_enc, &enc, &err) != RC_OK)) {
		r = reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "server_error", "cannot sign");
		goto out;
	}
	p->userinfo_ok = 1;
	prov_event(p, conn, "GET", "/userinfo", 200,
	    p->run == CONF_RUN_USERINFO_SUB
	        ? "signed userinfo JWT with another person's sub"
	        : "signed userinfo JWT for the test identity");
	/* FranceConnect+: a JWE wrapping the JWS, still application/jwt. */
	r = reply(conn, MHD_HTTP_OK, "application/jwt", enc ? enc : jwt, NULL);
out:
	json_decref(o);
	rc_free(jwt);
	rc_free(enc);
	return r;
}

/* GET /session/end (reference §4): back to post_logout_redirect_uri. */
static enum MHD_Result
do_end_session(struct conf_prov *p, struct MHD_Connection *conn)
{
	const char *plru = qarg(conn, "post_logout_redirect_uri");
	const char *state = qarg(conn, "state");
	const char *hint = qarg(conn, "id_token_hint");
	char *loc = NULL;
	enum MHD_Result r;
	CURLU *u;
	char q[512];

	p->end_session_calls++;
	prov_event(p, conn, "GET", "/session/end", plru ? 302 : 200,
	    hint ? "logout with id_token_hint"
	         : "logout without id_token_hint");
	if (plru == NULL || p->reg->post_logout_redirect_uri == NULL ||
	    strcmp(plru, p->reg->post_logout_redirect_uri) != 0)
		return reply(conn, MHD_HTTP_OK, "text/plain",
		    "raccord conformance provider: logged out\n", NULL);
	if ((u = curl_url()) == NULL)
		return MHD_NO;
	if (curl_url_set(u, CURLUPART_URL, plru, 0) == CURLUE_OK &&
	    state != NULL) {
		snprintf(q, sizeof(q), "state=%s", state);
		(void)curl_url_set(u, CURLUPART_QUERY, q,
		    CURLU_APPENDQUERY | CURLU_URLENCODE);
	}
	if (curl_url_get(u, CURLUPART_URL, &loc, 0) != CURLUE_OK)
		loc = NULL;
	r = loc ? reply(conn, MHD_HTTP_FOUND, "text/plain", "", loc) : MHD_NO;
	curl_free(loc);
	curl_url_cleanup(u);
	return r;
}

enum MHD_Result
conf_prov_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct conf_prov *p = cls;
	struct conf_conn *c = *con_cls;
	size_t bl = strlen(p->base_path);
	const char *path;
	enum MHD_Result r;

	(void)version;
	if (strncmp(url, p->base_path, bl) != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
		    "not found\n", NULL);
	path = url + bl;
	if (strcmp(method, "POST") == 0 && strcmp(path, "/token") == 0) {
		if (c == NULL) {
			if ((c = rc_calloc(1, sizeof(*c))) == NULL)
				return MHD_NO;
			c->pp = MHD_create_post_processor(conn, 1024,
			    form_field, c);
			*con_cls = c;
			return MHD_YES;
		}
		if (*upload_data_size != 0) {
			c->bytes += *upload_data_size;
			if (c->bytes > CONF_FORM_MAX)
				c->toobig = 1;
			if (c->pp != NULL && !c->toobig)
				(void)MHD_post_process(c->pp, upload_data,
				    *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (c->pp == NULL)
			return reply_error(conn, MHD_HTTP_BAD_REQUEST,
			    "invalid_request",
			    "not application/x-www-form-urlencoded");
		pthread_mutex_lock(&p->mu);
		r = do_token(p, conn, c);
		pthread_mutex_unlock(&p->mu);
		return r;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    "method not allowed\n", NULL);
	if (strcmp(path, "/.well-known/openid-configuration") == 0)
		return reply(conn, MHD_HTTP_OK, "application/json",
		    p->discovery, NULL);
	if (strcmp(path, "/jwks") == 0)
		return reply(conn, MHD_HTTP_OK, "application/json", p->jwks,
		    NULL);
	pthread_mutex_lock(&p->mu);
	if (strcmp(path, "/authorize") == 0)
		r = do_authorize(p, conn);
	else if (strcmp(path, "/userinfo") == 0)
		r = do_userinfo(p, conn);
	else if (strcmp(path, "/session/end") == 0)
		r = do_end_session(p, conn);
	else
		r = reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n",
		    NULL);
	pthread_mutex_unlock(&p->mu);
	return r;
}

static enum rc_code
read_pem(const char *file, struct rc_buf *b, struct rc_err *err)
{
	FILE *f = fopen(file, "rb");
	char chunk[4096];
	size_t n;
	enum rc_code rc = RC_OK;

	if (f == NULL)
		return RC_ERR(err, RC_ESYS, "%s: %s", file, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = rc_buf_add(b, chunk, n)) != RC_OK) {
			RC_ERR(err, rc, "%s: larger than %d bytes", file,
			    CONF_PEM_MAX);
			break;
		}
	if (rc == RC_OK && ferror(f))
		rc = RC_ERR(err, RC_ESYS, "%s: cannot read", file);
	if (rc == RC_OK)
		rc = rc_buf_add(b, "", 1); /* NUL for libmicrohttpd */
	fclose(f);
	return rc;
}

/* "host:port" or "[v6]:port" to a socket address. */
static enum rc_code
parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6,
    struct rc_err *err)
{
	char host[128];
	const char *colon, *h = listen, *e;
	struct addrinfo hints, *ai = NULL;
	char *end;
	long port;
	size_t hl;

	if (listen[0] == '[') {
		h = listen + 1;
		e = strchr(h, ']');
		colon = e ? e + 1 : NULL;
		if (colon == NULL || *colon != ':')
			colon = NULL;
	} else {
		colon = strrchr(listen, ':');
		e = colon;
	}
	if (colon == NULL || e == NULL || (size_t)(e - h) >= sizeof(host) ||
	    e == h)
		return RC_ERR(err, RC_EINVAL,
		    "--listen %s: expected HOST:PORT or [V6]:PORT", listen);
	hl = (size_t)(e - h);
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 ||
	    port > 65535)
		return RC_ERR(err, RC_EINVAL,
		    "--listen %s: port must be 1..65535", listen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "--listen %s: not a numeric address", listen);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return RC_OK;
}

static enum rc_code
prov_documents(struct conf_prov *p, struct rc_err *err)
{
	const struct oidc_key *pub[2] = { p->ec, p->rsa };
	char ep[5][300];
	json_t *o;
	int i;

	static const char *const paths[5] = { "/authorize", "/token",
		"/userinfo", "/session/end", "/jwks" };
	for (i = 0; i < 5; i++)
		snprintf(ep[i], sizeof(ep[i]), "%s%s", p->issuer, paths[i]);
	/* FranceConnect v2's discovery (reference §1 and §3), with
	 * client_secret_basic added for the RPs that use it. */
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:[s],s:[s],s:[s,s],"
	              "s:[s,s],s:[s,s],s:[s],s:[s,s,s,s,s,s,s,s,s,s]}",
	    "issuer", p->issuer, "authorization_endpoint", ep[0],
	    "token_endpoint", ep[1], "userinfo_endpoint", ep[2],
	    "end_session_endpoint", ep[3], "jwks_uri", ep[4],
	    "response_types_supported", "code", "subject_types_supported",
	    "pairwise", "acr_values_supported", "eidas1",
	    "id_token_signing_alg_values_supported", "ES256", "RS256",
	    "userinfo_signing_alg_values_supported", "ES256", "RS256",
	    "token_endpoint_auth_methods_supported", "client_secret_post",
	    "client_secret_basic", "grant_types_supported",
	    "authorization_code", "scopes_supported", "openid", "given_name",
	    "family_name", "birthdate", "gender", "birthplace", "birthcountry",
	    "email", "profile", "identite_pivot");
	/* FranceConnect+ (reference §1 and §3): eidas2/eidas3, ES256 only,
	 * ID token and userinfo encrypted for the FS. */
	if (o != NULL && p->plus &&
	    (json_object_set_new(o, "acr_values_supported",
	         json_pack("[s,s]", "eidas2", "eidas3")) != 0 ||
	        json_object_set_new(o, "id_token_signing_alg_values_supported",
	            json_pack("[s]", "ES256")) != 0 ||
	        json_object_set_new(o, "userinfo_signing_alg_values_supported",
	            json_pack("[s]", "ES256")) != 0 ||
	        json_object_set_new(o,
	            "id_token_encryption_alg_values_supported",
	            json_pack("[s,s]", "RSA-OAEP", "ECDH-ES")) != 0 ||
	        json_object_set_new(o,
	            "id_token_encryption_enc_values_supported",
	            json_pack("[s]", "A256GCM")) != 0 ||
	        json_object_set_new(o,
	            "userinfo_encryption_alg_values_supported",
	            json_pack("[s,s]", "RSA-OAEP", "ECDH-ES")) != 0 ||
	        json_object_set_new(o,
	            "userinfo_encryption_enc_values_supported",
	            json_pack("[s]", "A256GCM")) != 0)) {
		json_decref(o);
		o = NULL;
	}
	if (o == NULL ||
	    (p->discovery = json_dumps(o,
	         JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	json_decref(o);
	return oidc_jwks_build(pub, 2, &p->jwks, err);
}

static void
prov_stop(struct conf_prov *p)
{
	if (p->mhd != NULL)
		MHD_stop_daemon(p->mhd);
	p->mhd = NULL;
	pthread_mutex_destroy(&p->mu);
	oidc_key_free(p->ec);
	oidc_key_free(p->rsa);
	oidc_key_free(p->rogue);
	rc_free(p->issuer);
	rc_free(p->base_path);
	free(p->discovery);
	rc_free(p->jwks);
	rc_free(p->state);
	rc_free(p->nonce);
	rc_free(p->ref_nonce);
	if (p->id_token != NULL)
		rc_free_secret(p->id_token, strlen(p->id_token));
	if (p->id_token_enc != NULL)
		rc_free_secret(p->id_token_enc, strlen(p->id_token_enc));
	oidc_key_free(p->rp_enc);
	OPENSSL_cleanse(p->code, sizeof(p->code));
	OPENSSL_cleanse(p->ref_code, sizeof(p->ref_code));
	OPENSSL_cleanse(p->access_token, sizeof(p->access_token));
}

/*
 * Everything of the provider but its socket: the issuer and its path,
 * this run's keys, the discovery and JWKS documents, the test
 * identity's sub.  On failure p is cleaned up (prov_stop).
 */
static enum rc_code
prov_init(struct conf_prov *p, const struct conf_registration *reg,
    const char *public_url, int plus, struct rc_err *err)
{
	char kid[24], hexid[9], *path = NULL;
	unsigned char md[RC_SHA256_LEN];
	CURLU *u = NULL;
	size_t n;
	enum rc_code rc;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	p->reg = reg;
	p->plus = plus;
	if ((rc = rc_url_check("--public-url", public_url, 1, err)) != RC_OK)
		goto out;
	n = strlen(public_url);
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	if ((p->issuer = rc_strndup(public_url, n)) == NULL ||
	    (u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, p->issuer, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		rc = RC_ERR(err, RC_EINVAL, "--public-url: cannot parse");
		goto out;
	}
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if ((p->base_path = rc_strndup(path, n)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* Keys made for this run only: never the ledger key. */
	if ((rc = random_hex(4, hexid, err)) != RC_OK)
		goto out;
	snprintf(kid, sizeof(kid), "conf-es-%s", hexid);
	if ((rc = oidc_key_generate(OIDC_KEY_EC_P256, kid, &p->ec, err)) !=
	    RC_OK)
		goto out;
	snprintf(kid, sizeof(kid), "conf-rs-%s", hexid);
	if ((rc = oidc_key_generate(OIDC_KEY_RSA, kid, &p->rsa, err)) != RC_OK)
		goto out;
	snprintf(kid, sizeof(kid), "rogue-%s", hexid);
	if ((rc = oidc_key_generate(strcmp(reg->alg, "RS256") == 0
	             ? OIDC_KEY_RSA
	             : OIDC_KEY_EC_P256,
	         kid, &p->rogue, err)) != RC_OK)
		goto out;
	if ((rc = prov_documents(p, err)) != RC_OK)
		goto out;
	/* The test identity's pairwise sub: FC's "64 hex + v1" shape. */
	if ((rc = rc_sha256(reg->client_id, strlen(reg->client_id), md)) !=
	    RC_OK)
		goto out;
	rc_hex(md, RC_SHA256_LEN, p->sub);
	memcpy(p->sub + 2 * RC_SHA256_LEN, "v1", 3);
out:
	curl_free(path);
	curl_url_cleanup(u);
	if (rc != RC_OK)
		prov_stop(p);
	return rc;
}

static enum rc_code
prov_start(struct conf_prov *p, const struct conf_opts *opts,
    const struct conf_registration *reg, int plus, struct rc_err *err)
{
	struct rc_buf cert, key;
	struct sockaddr_storage ss;
	int v6 = 0;
	enum rc_code rc;

	if ((rc = parse_listen(opts->listen, &ss, &v6, err)) != RC_OK)
		return rc;
	if ((rc = prov_init(p, reg, opts->public_url, plus, err)) != RC_OK)
		return rc; /* p cleaned up */
	rc_buf_init(&cert, CONF_PEM_MAX);
	rc_buf_init(&key, CONF_PEM_MAX);
	if ((rc = read_pem(opts->tls_cert, &cert, err)) != RC_OK ||
	    (rc = read_pem(opts->tls_key, &key, err)) != RC_OK)
		goto out;
	p->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	        MHD_USE_TLS | (v6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, conf_prov_handle, p, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_HTTPS_MEM_CERT,
	    (const char *)cert.data, MHD_OPTION_HTTPS_MEM_KEY,
	    (const char *)key.data, MHD_OPTION_NOTIFY_COMPLETED,
	    conf_prov_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)30, MHD_OPTION_END);
	if (p->mhd == NULL) {
		rc = RC_ERR(err, RC_ESYS,
		    "cannot serve on %s (address in use, or the TLS "
		    "certificate/key %s, %s is not usable)",
		    opts->listen, opts->tls_cert, opts->tls_key);
		goto out;
	}
	rc = RC_OK;
out:
	rc_buf_free(&cert);
	rc_buf_free_secret(&key);
	if (rc != RC_OK)
		prov_stop(p);
	return rc;
}

enum rc_code
conf_prov_new(const struct conf_registration *reg, const char *public_url,
    int plus, struct conf_prov **out, struct rc_err *err)
{
	struct conf_prov *p;
	enum rc_code rc;

	*out = NULL;
	if ((p = rc_malloc(sizeof(*p))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if ((rc = prov_init(p, reg, public_url, plus, err)) != RC_OK) {
		rc_free(p);
		return rc;
	}
	*out = p; /* transferred */
	return RC_OK;
}

void
conf_prov_free(struct conf_prov *p)
{
	if (p == NULL)
		return;
	prov_stop(p);
	rc_free(p);
}

void
conf_prov_set_rp_key(struct conf_prov *p, struct oidc_key *key)
{
	pthread_mutex_lock(&p->mu);
	oidc_key_free(p->rp_enc);
	p->rp_enc = key; /* transferred (NULL when none) */
	pthread_mutex_unlock(&p->mu);
}

void
conf_prov_begin(struct conf_prov *p, enum conf_run r)
{
	pthread_mutex_lock(&p->mu);
	if (p->id_token != NULL)
		rc_free_secret(p->id_token, strlen(p->id_token));
	p->id_token = NULL;
	if (p->id_token_enc != NULL)
		rc_free_secret(p->id_token_enc, strlen(p->id_token_enc));
	p->id_token_enc = NULL;
	p->end_session_calls = 0;
	p->run = r;
	p->authorized = p->token_ok = p->userinfo_ok = 0;
	p->authz_error[0] = '\0';
	p->code[0] = '\0';
	p->access_token[0] = '\0';
	p->nev = 0;
	pthread_mutex_unlock(&p->mu);
}

void
conf_prov_keep_reference(struct conf_prov *p)
{
	pthread_mutex_lock(&p->mu);
	memcpy(p->ref_code, p->code, sizeof(p->code));
	rc_free(p->ref_nonce);
	p->ref_nonce = p->nonce ? rc_strdup(p->nonce) : NULL;
	pthread_mutex_unlock(&p->mu);
}

const char *
conf_prov_code(const struct conf_prov *p)
{
	return p->code;
}

const char *
conf_prov_access_token(const struct conf_prov *p)
{
	return p->access_token;
}

/* ------------------------------------------------------------------ */
/* The browser                                                         */

struct fetch_slot {
	struct probe_res *res;
};

static void
fetch_done(struct probe *pr, struct probe_res *res, void *arg)
{
	struct fetch_slot *s = arg;

	(void)pr;
	s->res = res;
}

/* One request, waited for.  NULL only when it could not be queued. */
static struct probe_res *
fetch(struct probe *pr, struct probe_jar *jar, const char *url,
    struct rc_err *err)
{
	struct fetch_slot s = { NULL };
	struct probe_req req;

	/* A fresh connection per request: a site's error page with a
	 * wrong length must not spill into the next answer (seen with
	 * mod_auth_openidc's error responses). */
	static const char *const hdrs[] = { "Connection: close", NULL };

	memset(&req, 0, sizeof(req));
	req.headers = hdrs;
	req.url = url;
	req.jar = jar;
	req.browser = 1;
	if (probe_submit(pr, &req, fetch_done, &s, err) != RC_OK)
		return NULL;
	if (probe_run(pr, err) != RC_OK) {
		probe_res_free(s.res);
		return NULL;
	}
	return s.res;
}

struct flow {
	int exch[CONF_MAX_EXCH];
	size_t nexch;
	char why[400];       /* when the login could not be driven */
	char *landing;       /* final URL of the callback leg */
	long landing_status; /* its status */
	struct conf_obs obs; /* session probe */
	int token_ok, userinfo_ok, authorized;
	char authz_error[200];
	char events[600]; /* the provider's side, for the detail */
};

static void
flow_cite(struct flow *f, int idx)
{
	if (idx >= 0 && f->nexch < CONF_MAX_EXCH)
		f->exch[f->nexch++] = idx;
}

static int
is_provider(const struct conf_prov *p, const char *url)
{
	size_t n = strlen(p->issuer);

	return url != NULL && strncmp(url, p->issuer, n) == 0 &&
	    (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

/* The provider's log of back-channel calls as exchanges and a sentence. */
static void
drain_events(struct conf_prov *p, struct report *rep, struct flow *f)
{
	struct probe_res res;
	char url[400];
	size_t i, used = 0;
	int n;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nev; i++) {
		const struct conf_event *e = &p->ev[i];

		memset(&res, 0, sizeof(res));
		snprintf(url, sizeof(url), "%s%s", p->issuer, e->path);
		res.outcome = PROBE_OK;
		res.method = (char *)(uintptr_t)e->method;
		res.url_redacted = url;
		res.status = e->status;
		res.started = e->when;
		snprintf(res.primary_ip, sizeof(res.primary_ip), "%s", e->peer);
		flow_cite(f, report_exchange_add(rep, &res));
		n = snprintf(f->events + used, sizeof(f->events) - used,
		    "%s%s %s -> %ld (%s)", used ? "; " : "", e->method, e->path,
		    e->status, e->note);
		if (n > 0 && (size_t)n < sizeof(f->events) - used)
			used += (size_t)n;
	}
	p->nev = 0;
	f->token_ok = p->token_ok;
	f->userinfo_ok = p->userinfo_ok;
	f->authorized = p->authorized;
	snprintf(f->authz_error, sizeof(f->authz_error), "%s", p->authz_error);
	pthread_mutex_unlock(&p->mu);
}

/*
 * Follow redirects from url with jar, by hand, until a response that is
 * not a redirect, a redirect to the provider (*to_provider, the Location
 * in *stop), or CONF_MAX_HOPS.  The last response stays in *last.
 */
static enum rc_code
follow(struct probe *pr, struct conf_prov *p, struct probe_jar *jar,
    const char *url, struct report *rep, struct flow *f,
    struct probe_res **last, char **stop, struct rc_err *err)
{
	struct probe_res *res = NULL;
	char *next = rc_strdup(url);
	int hop;

	*last = NULL;
	*stop = NULL;
	if (next == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	for (hop = 0; hop < CONF_MAX_HOPS; hop++) {
		probe_res_free(res);
		if ((res = fetch(pr, jar, next, err)) == NULL) {
			rc_free(next);
			return err->code ? err->code : RC_ENOMEM;
		}
		flow_cite(f, report_exchange_add(rep, res));
		rc_free(next);
		next = NULL;
		if (res->outcome != PROBE_OK || res->status < 300 ||
		    res->status >= 400 || res->location == NULL)
			break;
		if (is_provider(p, res->location)) {
			*stop = rc_strdup(res->location);
			break;
		}
		if ((next = rc_strdup(res->location)) == NULL)
			break;
	}
	rc_free(next);
	*last = res;
	return RC_OK;
}

/* One login of run r; f says what happened.  RC_* only for our faults. */
static enum rc_code
drive(struct probe *pr, struct conf_prov *p, enum conf_run r,
    const struct dossier_integration *in, const char *landing,
    struct report *rep, struct flow *f, struct probe_jar **keep,
    struct rc_err *err)
{
	struct probe_jar *jar = probe_jar_new();
	struct probe_res *res = NULL, *chk = NULL;
	char *authz = NULL, *cb = NULL, *stop = NULL;
	enum rc_code rc = RC_OK;

	memset(f, 0, sizeof(*f));
	f->obs.outcome = PROBE_OTHER;
	if (keep != NULL)
		*keep = NULL;
	if (jar == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	conf_prov_begin(p, r);

	/* 1. The login URL, as a citizen's browser, up to the provider. */
	if ((rc = follow(pr, p, jar, in->login_url, rep, f, &res, &authz,
	         err)) != RC_OK)
		goto out;
	if (authz == NULL && res->outcome != PROBE_OK) {
		snprintf(f->why, sizeof(f->why),
		    "the login URL could not be fetched: %s (%s)",
		    probe_outcome_str(res->outcome), res->errmsg);
		goto out;
	}
	if (authz == NULL) {
		snprintf(f->why, sizeof(f->why),
		    "the login URL did not lead to raccord's provider (last "
		    "answer: HTTP %ld); is the integration environment "
		    "pointed at %s?",
		    res->status, p->issuer);
		goto out;
	}
	/* 2. The authorization request, at our own provider. */
	probe_res_free(res);
	if ((res = fetch(pr, jar, authz, err)) == NULL) {
		rc = err->code ? err->code : RC_ENOMEM;
		goto out;
	}
	flow_cite(f, report_exchange_add(rep, res));
	if (res->outcome != PROBE_OK || res->status < 300 ||
	    res->status >= 400 || res->location == NULL) {
		pthread_mutex_lock(&p->mu);
		if (res->outcome != PROBE_OK)
			snprintf(f->why, sizeof(f->why),
			    "raccord's browser could not reach raccord's own "
			    "provider at %s: %s (%s); when it is on a private "
			    "address, open it with network.allow_private",
			    p->issuer, probe_outcome_str(res->outcome),
			    res->errmsg);
		else
			snprintf(f->why, sizeof(f->why),
			    "raccord's provider refused the site's "
			    "authorization request: %s",
			    p->authz_error[0] ? p->authz_error
			                      : "no redirect to the callback");
		pthread_mutex_unlock(&p->mu);
		goto out;
	}
	if ((cb = rc_strdup(res->location)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* 3. The callback and what the site does next, with its cookies. */
	probe_res_free(res);
	res = NULL;
	if ((rc = follow(pr, p, jar, cb, rep, f, &res, &stop, err)) != RC_OK)
		goto out;
	f->landing_status = res->outcome == PROBE_OK ? res->status : 0;
	if (stop == NULL && res->outcome == PROBE_OK &&
	    (f->landing = rc_strdup(res->url)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	/* 4. The session probe: the reference's landing page, again. */
	if (landing == NULL)
		landing = f->landing;
	if (landing == NULL) {
		snprintf(f->why, sizeof(f->why),
		    "after the callback the site sent the browser back to "
		    "the provider or failed (HTTP %ld): no landing page",
		    res->status);
		goto out;
	}
	if ((chk = fetch(pr, jar, landing, err)) == NULL) {
		rc = err->code ? err->code : RC_ENOMEM;
		goto out;
	}
	flow_cite(f, report_exchange_add(rep, chk));
	f->obs.outcome = chk->outcome;
	f->obs.status = chk->status;
	f->obs.location_is_provider = is_provider(p, chk->location);
	f->obs.shows_identity =
	    conf_body_shows_identity(chk->body.data, chk->body.len);
out:
	drain_events(p, rep, f);
	probe_res_free(res);
	probe_res_free(chk);
	rc_free(authz);
	rc_free(cb);
	rc_free(stop);
	if (keep != NULL && rc == RC_OK)
		*keep = jar; /* transferred */
	else
		probe_jar_free(jar);
	return rc;
}

static enum rc_code
record(struct report_section *sec, enum conf_run r, const struct flow *f,
    enum conf_tell tell, const struct conf_obs *anon, int on_callback)
{
	char id[64];
	enum conf_verdict v;
	const char *seen = f->events[0] ? f->events : "no back-channel call";

	snprintf(id, sizeof(id), "fc.conformance.%s", conf_run_name(r));
	if (f->why[0] != '\0')
		return report_check(sec, id, CHECK_ERROR, 1, f->exch, f->nexch,
		    "%s: could not complete the login: %s", conf_run_what(r),
		    f->why);
	if (r == CONF_RUN_REFERENCE) {
		if (f->obs.outcome != PROBE_OK || f->obs.status < 200 ||
		    f->obs.status >= 300)
			return report_check(sec, id, CHECK_FAIL, 1, f->exch,
			    f->nexch,
			    "%s did not open a session: the landing page "
			    "answers HTTP %ld (%s; provider side: %s); no "
			    "negative run can be judged",
			    conf_run_what(r), f->obs.status,
			    probe_outcome_str(f->obs.outcome), seen);
		if (on_callback)
			return report_check(sec, id, CHECK_ERROR, 1, f->exch,
			    f->nexch,
			    "the site shows its page on the callback URL "
			    "itself (%s): raccord cannot fetch it again "
			    "without replaying the login; redirect to a "
			    "protected page after the callback",
			    f->landing);
		if (tell == CONF_TELL_NONE)
			return report_check(sec, id, CHECK_ERROR, 1, f->exch,
			    f->nexch,
			    "the landing page %s answers a browser without "
			    "cookies the same way (HTTP %ld) and shows no "
			    "name of the test identity: raccord cannot tell "
			    "a session from none; make it a protected page "
			    "(a redirect or 401/403 without a session)",
			    f->landing, anon->status);
		return report_check(sec, id, CHECK_PASS, 1, f->exch, f->nexch,
		    "%s opened a session: %s answers HTTP %ld with the "
		    "login's cookies and %s without (provider side: %s)",
		    conf_run_what(r), f->landing, f->obs.status,
		    tell == CONF_TELL_STATUS ? "a redirect or 4xx"
		                             : "a page without the person's "
		                               "name",
		    seen);
	}
	/* OpenID Connect Core 1.0 §3.1.3.7 (ID token validation), RFC 6749
	 * §10.12 and RFC 9700 §4.7 (state), RFC 9700 §4.5 (code injection),
	 * FranceConnect: the FS verifies state and nonce (reference §2). */
	v = conf_classify(tell, &f->obs);
	switch (v) {
	case CONF_REFUSED:
		return report_check(sec, id, CHECK_PASS, 1, f->exch, f->nexch,
		    "refused: %s, and the site opened no session (landing "
		    "page HTTP %ld%s; provider side: %s)",
		    conf_run_what(r), f->obs.status,
		    f->obs.location_is_provider ? ", back to login" : "", seen);
	case CONF_SESSION:
		return report_check(sec, id, CHECK_FAIL, 1, f->exch, f->nexch,
		    "accepted a forged identity: %s, yet the site opened a "
		    "session like the reference (landing page HTTP %ld; "
		    "provider side: %s)",
		    conf_run_what(r), f->obs.status, seen);
	default:
		return report_check(sec, id, CHECK_ERROR, 1, f->exch, f->nexch,
		    "%s: the session probe could not be judged (%s, HTTP %ld)",
		    conf_run_what(r), probe_outcome_str(f->obs.outcome),
		    f->obs.status);
	}
}

/* Does url, query left out, name the same resource as the callback? */
static int
same_as_callback(const char *url, const char *redirect_uri)
{
	size_t a = strcspn(url, "?#"), b = strcspn(redirect_uri, "?#");

	return a == b && strncmp(url, redirect_uri, a) == 0;
}

/* The reference's landing page, fetched with no cookie at all. */
static enum rc_code
anonymous_probe(struct probe *pr, const char *landing, struct report *rep,
    struct flow *f, struct conf_obs *anon, struct rc_err *err)
{
	struct probe_jar *jar = probe_jar_new();
	struct probe_res *res;

	memset(anon, 0, sizeof(*anon));
	anon->outcome = PROBE_OTHER;
	if (jar == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	res = fetch(pr, jar, landing, err);
	probe_jar_free(jar);
	if (res == NULL)
		return err->code ? err->code : RC_ENOMEM;
	flow_cite(f, report_exchange_add(rep, res));
	anon->outcome = res->outcome;
	anon->status = res->status;
	anon->shows_identity =
	    conf_body_shows_identity(res->body.data, res->body.len);
	probe_res_free(res);
	return RC_OK;
}

/* Is url the provider's end_session endpoint (any query)? */
static int
is_end_session(const struct conf_prov *p, const char *url)
{
	size_t n = strlen(p->issuer), m = strlen("/session/end");

	return strncmp(url, p->issuer, n) == 0 &&
	    strncmp(url + n, "/session/end", m) == 0 &&
	    (url[n + m] == '?' || url[n + m] == '\0');
}

/* What the logout leg saw, for the check's detail. */
struct logout_obs {
	int reached;   /* the browser was sent to end_session */
	int calls;     /* end_session requests the provider received */
	int has_state; /* the end_session URL carried a state */
	enum conf_logout_fault fault;
	enum conf_verdict after; /* the session probe after logout */
	long after_status;
};

/*
 * The logout leg of a logged-in jar: the site's logout_url, by hand, up
 * to the provider's end_session (judged, then answered), back to the
 * site, and the session probe again.
 */
static enum rc_code
logout_leg(struct probe *pr, struct conf_prov *p, struct probe_jar *jar,
    const char *logout_url, const char *landing, enum conf_tell tell,
    struct report *rep, struct flow *f, struct logout_obs *lo,
    struct rc_err *err)
{
	struct probe_res *res = NULL, *chk = NULL;
	struct conf_obs o;
	char *stop = NULL, *idt = NULL, *enc = NULL, *back = NULL;
	char *stop2 = NULL;
	enum rc_code rc;

	memset(lo, 0, sizeof(*lo));
	lo->after = CONF_UNOBSERVABLE;
	if ((rc = follow(pr, p, jar, logout_url, rep, f, &res, &stop, err)) !=
	    RC_OK)
		goto out;
	if (stop != NULL && is_end_session(p, stop)) {
		lo->reached = 1;
		pthread_mutex_lock(&p->mu);
		idt = p->id_token ? rc_strdup(p->id_token) : NULL;
		enc = p->id_token_enc ? rc_strdup(p->id_token_enc) : NULL;
		pthread_mutex_unlock(&p->mu);
		lo->fault = conf_logout_judge(stop, idt,
		    p->reg->post_logout_redirect_uri, &lo->has_state);
		/* FranceConnect+: the token as received (JWE) or as
		 * decrypted (JWS) are both the ID token of this login. */
		if (lo->fault == CONF_LOGOUT_HINT_OTHER && enc != NULL)
			lo->fault = conf_logout_judge(stop, enc,
			    p->reg->post_logout_redirect_uri, &lo->has_state);
		/* The browser goes on: end_session, then back to the site. */
		probe_res_free(res);
		if ((res = fetch(pr, jar, stop, err)) == NULL) {
			rc = err->code ? err->code : RC_ENOMEM;
			goto out;
		}
		flow_cite(f, report_exchange_add(rep, res));
		if (res->outcome == PROBE_OK && res->status >= 300 &&
		    res->status < 400 && res->location != NULL &&
		    !is_provider(p, res->location)) {
			if ((back = rc_strdup(res->location)) == NULL) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				goto out;
			}
			probe_res_free(res);
			res = NULL;
			if ((rc = follow(pr, p, jar, back, rep, f, &res, &stop2,
			         err)) != RC_OK)
				goto out;
		}
	}
	/* The session probe, as for every run. */
	if ((chk = fetch(pr, jar, landing, err)) == NULL) {
		rc = err->code ? err->code : RC_ENOMEM;
		goto out;
	}
	flow_cite(f, report_exchange_add(rep, chk));
	memset(&o, 0, sizeof(o));
	o.outcome = chk->outcome;
	o.status = chk->status;
	o.location_is_provider = is_provider(p, chk->location);
	o.shows_identity =
	    conf_body_shows_identity(chk->body.data, chk->body.len);
	lo->after = conf_classify(tell, &o);
	lo->after_status = chk->status;
	rc = RC_OK;
out:
	pthread_mutex_lock(&p->mu);
	lo->calls = p->end_session_calls;
	pthread_mutex_unlock(&p->mu);
	if (idt != NULL)
		rc_free_secret(idt, strlen(idt));
	if (enc != NULL)
		rc_free_secret(enc, strlen(enc));
	probe_res_free(res);
	probe_res_free(chk);
	rc_free(stop);
	rc_free(stop2);
	rc_free(back);
	return rc;
}

/*
 * fc.conformance.logout (advisory): FranceConnect reference §4 — logout
 * redirects the browser to end_session with id_token_hint (the ID token
 * received) and a declared post_logout_redirect_uri, so that the
 * FranceConnect session ends too; and the FS destroys its own session.
 */
static enum rc_code
logout_run(struct probe *pr, struct conf_prov *p,
    const struct dossier_integration *in, const char *landing,
    enum conf_tell tell, struct report *rep, struct report_section *sec,
    struct rc_err *err)
{
	static const char id[] = "fc.conformance.logout";
	struct probe_jar *jar = NULL;
	struct logout_obs lo;
	struct flow f;
	enum rc_code rc;
	const char *state_note;

	if (in->logout_url == NULL)
		return report_check(sec, id, CHECK_SKIP, 0, NULL, 0,
		    "not run: the dossier gives no logout_url (the site's "
		    "logout link) to follow");
	if ((rc = drive(pr, p, CONF_RUN_REFERENCE, in, landing, rep, &f, &jar,
	         err)) != RC_OK)
		goto out;
	if (f.why[0] != '\0' || conf_classify(tell, &f.obs) != CONF_SESSION) {
		rc = report_check(sec, id, CHECK_ERROR, 0, f.exch, f.nexch,
		    "a correct login before the logout opened no session "
		    "(landing page HTTP %ld%s%s): logout cannot be judged",
		    f.obs.status, f.why[0] ? "; " : "", f.why);
		goto out;
	}
	if ((rc = logout_leg(pr, p, jar, in->logout_url, landing, tell, rep, &f,
	         &lo, err)) != RC_OK)
		goto out;
	drain_events(p, rep, &f);
	state_note = lo.has_state ? ""
	                          : " (it carried no state: FranceConnect's "
	                            "documentation asks for one, to check on "
	                            "return)";
	if (!lo.reached)
		rc = report_check(sec, id, CHECK_WARN, 0, f.exch, f.nexch,
		    "%s did not send the browser to FranceConnect's "
		    "end_session%s: the citizen's FranceConnect session stays "
		    "open (FranceConnect: logout is a browser redirect to "
		    "/session/end with id_token_hint); session after logout: "
		    "%s",
		    in->logout_url,
		    lo.calls > 0 ? " (the site called it from its server "
		                   "instead, where it clears no browser cookie)"
		                 : "",
		    lo.after == CONF_SESSION ? "still open" : "closed");
	else if (lo.fault != CONF_LOGOUT_OK)
		rc = report_check(sec, id, CHECK_WARN, 0, f.exch, f.nexch,
		    "logout: %s%s; session after logout: %s",
		    conf_logout_fault_str(lo.fault), state_note,
		    lo.after == CONF_SESSION ? "still open" : "closed");
	else if (lo.after == CONF_SESSION)
		rc = report_check(sec, id, CHECK_WARN, 0, f.exch, f.nexch,
		    "%s, but the site's own session is still open afterwards "
		    "(landing page HTTP %ld): the FS must destroy it",
		    conf_logout_fault_str(lo.fault), lo.after_status);
	else if (lo.after != CONF_REFUSED)
		rc = report_check(sec, id, CHECK_ERROR, 0, f.exch, f.nexch,
		    "%s; the session probe after logout could not be judged "
		    "(HTTP %ld)",
		    conf_logout_fault_str(lo.fault), lo.after_status);
	else
		rc = report_check(sec, id, CHECK_PASS, 0, f.exch, f.nexch,
		    "%s%s, and the site's session is closed afterwards",
		    conf_logout_fault_str(lo.fault), state_note);
	if (rc != RC_OK)
		RC_ERR(err, rc, "out of memory");
out:
	rc_free(f.landing);
	probe_jar_free(jar);
	return rc;
}

/*
 * FranceConnect+: the site's encryption key, from the JWKS it registered
 * (reference §3).  A site whose JWKS cannot be fetched or has no
 * encryption key cannot be logged in: f->why says so.
 */
static enum rc_code
rp_enc_key(struct probe *pr, struct conf_prov *p, struct report *rep,
    struct flow *f, struct rc_err *err)
{
	struct probe_jar *jar = probe_jar_new();
	struct probe_res *res;
	struct oidc_key *k = NULL;
	struct rc_err kerr = { 0 };

	memset(f, 0, sizeof(*f));
	if (jar == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	res = fetch(pr, jar, p->reg->jwks_uri, err);
	probe_jar_free(jar);
	if (res == NULL)
		return err->code ? err->code : RC_ENOMEM;
	flow_cite(f, report_exchange_add(rep, res));
	if (res->outcome != PROBE_OK || res->status != 200)
		snprintf(f->why, sizeof(f->why),
		    "the site's JWKS %s (FranceConnect+ encrypts for its "
		    "key) could not be fetched: %s, HTTP %ld",
		    p->reg->jwks_uri, probe_outcome_str(res->outcome),
		    res->status);
	else if (oidc_jwks_enc_key(res->body.data, res->body.len, &k, &kerr) !=
	    RC_OK)
		snprintf(f->why, sizeof(f->why),
		    "the site's JWKS %s gives no key to encrypt for "
		    "(FranceConnect+): %.200s",
		    p->reg->jwks_uri, kerr.msg);
	probe_res_free(res);
	conf_prov_set_rp_key(p, k); /* transferred */
	return RC_OK;
}

enum rc_code
conformance_run(const struct conf_opts *opts, const struct dossier *d,
    const struct conf_registration *reg, struct report *rep, struct rc_err *err)
{
	const struct dossier_integration *in;
	struct report_section *sec;
	struct conf_prov prov;
	struct probe *pr = NULL;
	struct flow f, keyf;
	struct conf_obs anon;
	enum conf_tell tell = CONF_TELL_NONE;
	char label[160], *landing = NULL;
	enum rc_code rc;
	int r, on_callback = 0;

	memset(&anon, 0, sizeof(anon));
	memset(&keyf, 0, sizeof(keyf));
	if ((rc = conf_integration(d, &in, err)) != RC_OK)
		return rc;
	if (strcmp(reg->dossier_id, d->dossier_id) != 0)
		return RC_ERR(err, RC_EINVAL,
		    "the registration is for dossier %s, not %s",
		    reg->dossier_id, d->dossier_id);
	if (strcmp(reg->redirect_uri, in->redirect_uri) != 0)
		return RC_ERR(err, RC_EINVAL,
		    "%s.redirect_uri differs from the registration's; "
		    "register again",
		    in->path);
	snprintf(label, sizeof(label), "%s FranceConnect%s conformance (%s)",
	    in->path, in->plus ? "+" : "", dossier_env_str(in->env));
	if ((sec = report_section_add(rep, "conformance", label)) == NULL ||
	    report_section_set(sec, "environment", dossier_env_str(in->env)) !=
	        RC_OK ||
	    report_section_set(sec, "client_id", reg->client_id) != RC_OK)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	if (in->plus && reg->jwks_uri == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "%s is FranceConnect+ but the registration has no "
		    "jwks_uri; register again with --jwks-uri",
		    in->path);
	if ((rc = prov_start(&prov, opts, reg, in->plus, err)) != RC_OK)
		return rc;
	if ((pr = probe_new(&opts->probe, err)) == NULL) {
		rc = err->code ? err->code : RC_ENOMEM;
		goto out;
	}
	log_info("conformance=%s issuer=%s client_id=%s", d->dossier_id,
	    prov.issuer, reg->client_id);
	if (in->plus && (rc = rp_enc_key(pr, &prov, rep, &keyf, err)) != RC_OK)
		goto out;
	for (r = 0; r < CONF_RUN__MAX; r++) {
		if (!conf_run_applies((enum conf_run)r, in->plus))
			continue;
		if (r == CONF_RUN_REFERENCE && keyf.why[0] != '\0')
			f = keyf; /* no key, no login */
		else if ((rc = drive(pr, &prov, (enum conf_run)r, in, landing,
		              rep, &f, NULL, err)) != RC_OK) {
			rc_free(f.landing);
			goto out;
		}
		if (r == CONF_RUN_REFERENCE && f.why[0] == '\0' &&
		    f.landing != NULL) {
			on_callback =
			    same_as_callback(f.landing, in->redirect_uri);
			if ((rc = anonymous_probe(pr, f.landing, rep, &f, &anon,
			         err)) != RC_OK) {
				rc_free(f.landing);
				goto out;
			}
			tell = on_callback ? CONF_TELL_NONE
			                   : conf_choose_tell(&f.obs, &anon);
		}
		rc =
		    record(sec, (enum conf_run)r, &f, tell, &anon, on_callback);
		if (rc == RC_OK && r == CONF_RUN_REFERENCE &&
		    f.why[0] == '\0' && tell != CONF_TELL_NONE &&
		    conf_classify(tell, &f.obs) == CONF_SESSION) {
			landing = f.landing;
			f.landing = NULL; /* transferred */
			conf_prov_keep_reference(&prov);
		}
		rc_free(f.landing);
		if (rc != RC_OK) {
			RC_ERR(err, rc, "out of memory");
			goto out;
		}
		snprintf(label, sizeof(label), "fc.conformance.%s",
		    conf_run_name((enum conf_run)r));
		log_info("conformance=%s check=%s status=%s", d->dossier_id,
		    label, check_status_str(report_check_status(sec, label)));
		if (landing == NULL) {
			/* Without a reference session nothing else can be
			 * judged: the remaining runs are skipped. */
			for (r = r + 1; r < CONF_RUN__MAX; r++) {
				char id[64];

				if (!conf_run_applies((enum conf_run)r,
				        in->plus))
					continue;
				snprintf(id, sizeof(id), "fc.conformance.%s",
				    conf_run_name((enum conf_run)r));
				if (report_check(sec, id, CHECK_SKIP, 1, NULL,
				        0,
				        "not run: the reference login gave no "
				        "session raccord can recognise") !=
				    RC_OK) {
					rc = RC_ERR(err, RC_ENOMEM,
					    "out of memory");
					goto out;
				}
			}
			break;
		}
	}
	if (landing == NULL)
		rc = report_check(sec, "fc.conformance.logout", CHECK_SKIP, 0,
		    NULL, 0,
		    "not run: the reference login gave no session raccord "
		    "can recognise");
	else
		rc = logout_run(pr, &prov, in, landing, tell, rep, sec, err);
	if (rc != RC_OK) {
		RC_ERR(err, rc, "out of memory");
		goto out;
	}
	log_info("conformance=%s check=fc.conformance.logout status=%s",
	    d->dossier_id,
	    check_status_str(
	        report_check_status(sec, "fc.conformance.logout")));
out:
	rc_free(landing);
	probe_free(pr);
	prov_stop(&prov);
	return rc;
}
