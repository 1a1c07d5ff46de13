/* SPDX-License-Identifier: MIT */
/*
 * One pass over a démarches-simplifiées procedure (`raccord intake run
 * --once`, docs/intake.md): page through the dossiers with the
 * raccordDossiers query (cursor paging), map each one (intake_ds_map),
 * check the mapped ones with the CLI's verifier, and write the outcome
 * into the dossier's private annotation with dossierModifierAnnotations.
 * Idempotent: an annotation that already says the same is not written
 * again.  raccord never accepts or refuses a DS dossier.
 *
 * DS is reached with libcurl: TLS verified (system store plus
 * network.ca_file), the Bearer token from intake.ds.token_env (never
 * logged), network.timeout_ms, a body bound.  DS down, 429 or 5xx
 * (with its Retry-After): RC_ENET, and the pass stops where it is; what
 * was not annotated stays as it was, nothing is marked failed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "connector/intake/intake_run.h"
#include "verifier/catalog.h"
#include "verifier/report.h"
#include "verifier/verifier.h"

#define DS_BODY_MAX (16 * 1024 * 1024)

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct rc_buf *b = arg;

	return rc_buf_add(b, p, size * n) == RC_OK ? size * n : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	int *retry = arg;
	size_t len = size * n;
	char v[16];
	long long x;
	char *end;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		snprintf(v, sizeof(v), "%.*s",
		    (int)(len - 12 < 15 ? len - 12 : 15), p + 12);
		x = strtoll(v, &end, 10);
		if (end != v && x >= 0 && x <= 86400)
			*retry = (int)x;
	}
	return len;
}

/* Add network.ca_file to the system store (it does not replace it). */
static CURLcode
on_ssl_ctx(CURL *curl, void *ctx, void *arg)
{
	(void)curl;
	return X509_STORE_load_file(SSL_CTX_get_cert_store(ctx), arg) == 1
	    ? CURLE_OK
	    : CURLE_SSL_CACERT_BADFILE;
}

enum rc_code
intake_ds_call(const struct cfg *cfg, const char *token, enum intake_ds_doc doc,
    json_t *vars, json_t **data, int *retry_after, struct rc_err *err)
{
	struct curl_slist *h = NULL;
	struct rc_buf body, auth;
	char *req = NULL, cerr[CURL_ERROR_SIZE] = "";
	json_t *resp = NULL, *errors, *q = NULL;
	const char *msg;
	enum rc_code rc = RC_OK;
	long status = 0;
	CURLcode cc;
	CURL *c;

	*data = NULL;
	*retry_after = 0;
	rc_buf_init(&body, DS_BODY_MAX);
	rc_buf_init(&auth, 8300);
	if ((c = curl_easy_init()) == NULL ||
	    (q = json_pack("{s:s, s:O}", "query", intake_ds_document(doc),
	         "variables", vars)) == NULL ||
	    (req = json_dumps(q, JSON_COMPACT)) == NULL ||
	    rc_buf_addf(&auth, "Authorization: Bearer %s", token) != RC_OK ||
	    rc_buf_add(&auth, "", 1) != RC_OK ||
	    (h = curl_slist_append(h, "Content-Type: application/json")) ==
	        NULL ||
	    (h = curl_slist_append(h, "Accept: application/json")) == NULL ||
	    (h = curl_slist_append(h, auth.data)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, cfg->intake_ds_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, retry_after);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "raccord-intake");
	if (cfg->ca_file != NULL) {
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, cfg->ca_file);
	}
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		rc = RC_ERR(err, RC_ENET, "DS %s: %s (%s)", cfg->intake_ds_url,
		    curl_easy_strerror(cc), cerr);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 || status == 403) {
		rc = RC_ERR(err, RC_ECONFIG,
		    "DS %s: HTTP %ld: the token of intake.ds.token_env is "
		    "refused",
		    cfg->intake_ds_url, status);
		goto out;
	}
	if (status == 429 || status >= 500) {
		rc = RC_ERR(err, RC_ENET,
		    "DS %s: HTTP %ld, DS is unavailable (Retry-After %d s); "
		    "nothing more is done in this pass",
		    cfg->intake_ds_url, status, *retry_after);
		goto out;
	}
	if (status != 200 ||
	    rc_json_loadb(body.data ? body.data : "", body.len, "DS answer",
	        &resp, err) != RC_OK ||
	    !json_is_object(resp)) {
		rc = RC_ERR(err, RC_EPARSE,
		    "DS %s: HTTP %ld, not a GraphQL answer", cfg->intake_ds_url,
		    status);
		goto out;
	}
	errors = json_object_get(resp, "errors");
	if (json_array_size(errors) > 0) {
		msg = json_string_value(
		    json_object_get(json_array_get(errors, 0), "message"));
		rc = RC_ERR(err, RC_EINVAL, "DS %s: %.300s",
		    intake_ds_document_name(doc),
		    msg != NULL ? msg : "an error without a message");
		goto out;
	}
	*data = json_incref(json_object_get(resp, "data"));
	if (!json_is_object(*data)) {
		json_decref(*data);
		*data = NULL;
		rc = RC_ERR(err, RC_EPARSE, "DS %s: no data in the answer",
		    intake_ds_document_name(doc));
	}
out:
	json_decref(q);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(req); /* json_dumps */
	json_decref(resp);
	rc_buf_free(&body);
	if (auth.data != NULL)
		OPENSSL_cleanse(auth.data, auth.len);
	rc_buf_free(&auth);
	return rc;
}

enum rc_code
intake_ds_annotation_text(json_t *report, const char *refusal,
    const char *extra, struct rc_buf *b)
{
	static const struct {
		const char *v, *fr;
	} fr[] = {
		{ "verified", "vérifiée" },
		{ "failed", "échouée" },
	};
	const char *v,
	    *word = "non concluante (réseau ou service "
	            "indisponible), à relancer";
	json_t *sec, *chk;
	size_t i, k, n = 0;

	if (refusal != NULL) {
		rc_buf_addf(b,
		    "raccord : dossier non vérifiable. %s\nCorrigez le "
		    "dossier ; la vérification reprendra à sa prochaine "
		    "modification.",
		    refusal);
		goto extra;
	}
	v = json_string_value(json_object_get(report, "verdict"));
	for (i = 0; v != NULL && i < sizeof(fr) / sizeof(fr[0]); i++)
		if (strcmp(v, fr[i].v) == 0)
			word = fr[i].fr;
	rc_buf_addf(b, "raccord : vérification %s.", word);
	json_array_foreach(json_object_get(report, "integrations"), i, sec)
	    json_array_foreach(json_object_get(sec, "checks"), k, chk)
	{
		const char *st =
		    json_string_value(json_object_get(chk, "status"));
		const char *id = json_string_value(json_object_get(chk, "id")),
		           *detail = json_string_value(
		               json_object_get(chk, "detail"));
		const struct catalog_entry *e =
		    id != NULL ? catalog_find(id) : NULL;

		if (!json_is_true(json_object_get(chk, "required")) ||
		    st == NULL ||
		    (strcmp(st, "fail") != 0 && strcmp(st, "error") != 0))
			continue;
		if (n++ == 0)
			rc_buf_adds(b, "\nRègles non respectées :");
		/* The catalogue's plain French; the evidence after it. */
		if (e != NULL && e->text[CATALOG_FR].title != NULL)
			rc_buf_addf(b, "\n- %s (%s)", e->text[CATALOG_FR].title,
			    id);
		else
			rc_buf_addf(b, "\n- %s", id != NULL ? id : "?");
		if (e != NULL && e->text[CATALOG_FR].fix != NULL)
			rc_buf_addf(b, "\n  À corriger : %s",
			    e->text[CATALOG_FR].fix);
		if (detail != NULL && detail[0] != '\0')
			rc_buf_addf(b, "\n  Constat : %s", detail);
	}
extra:
	if (extra != NULL && extra[0] != '\0')
		rc_buf_addf(b, "\n%s", extra);
	return b->data != NULL ? RC_OK : RC_ENOMEM;
}

/* The old name, from a report in memory. */
static enum rc_code
annotation_text(const struct report *rep, const char *refusal, struct rc_buf *b)
{
	json_t *j = NULL;
	enum rc_code rc;

	if (refusal == NULL && (j = report_to_json(rep)) == NULL)
		return RC_ENOMEM;
	rc = intake_ds_annotation_text(j, refusal, NULL, b);
	json_decref(j);
	return rc;
}

/* The annotation champ (id, current value) of node, or NULL. */
static json_t *
find_annotation(json_t *node, const char *want)
{
	json_t *a;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		json_array_foreach(json_object_get(node, "annotations"), i, a)
		{
			const char *k = json_string_value(json_object_get(a,
			    pass == 0 ? "champDescriptorId" : "label"));

			if (k != NULL && strcmp(k, want) == 0)
				return a;
		}
	return NULL;
}

/* Check one mapped dossier with the CLI's verifier. */
static enum rc_code
check_one(struct pipeline *pl, const struct dossier *d, struct report **rep,
    struct rc_err *err)
{
	const struct dossier *one[1] = { d };

	*rep = NULL;
	return verifier_run(&pl->opts, one, 1, rep, err);
}

enum rc_code
intake_ds_annotation_of(const struct cfg *cfg, json_t *node, const char **id,
    const char **current, struct rc_err *err)
{
	json_t *a;

	*id = *current = NULL;
	if ((a = find_annotation(node, cfg->intake_ds_annotation)) == NULL ||
	    (*id = json_string_value(json_object_get(a, "id"))) == NULL)
		return RC_ERR(err, RC_ECONFIG,
		    "DS dossier %lld: no annotation \"%s\" "
		    "(intake.ds.annotation) in the procedure",
		    (long long)json_integer_value(
		        json_object_get(node, "number")),
		    cfg->intake_ds_annotation);
	*current = json_string_value(json_object_get(a, "stringValue"));
	return RC_OK;
}

/* The first of a mutation answer's errors, as RC_EINVAL, or RC_OK. */
static enum rc_code
mutation_errors(json_t *data, const char *field, long long number,
    const char *what, struct rc_err *err)
{
	json_t *errs = json_object_get(json_object_get(data, field), "errors");
	const char *msg;

	if (json_array_size(errs) == 0)
		return RC_OK;
	msg = json_string_value(
	    json_object_get(json_array_get(errs, 0), "message"));
	return RC_ERR(err, RC_EINVAL, "DS dossier %lld: %s was refused: %.300s",
	    number, what, msg != NULL ? msg : "?");
}

enum rc_code
intake_ds_annotate(const struct cfg *cfg, const char *token,
    const char *node_id, long long number, const char *annotation_id,
    const char *current, const char *text, int *written, int *retry_after,
    struct rc_err *err)
{
	json_t *vars, *data = NULL;
	enum rc_code rc;

	*written = 0;
	*retry_after = 0;
	if (current != NULL && strcmp(current, text) == 0)
		return RC_OK; /* idempotent: the same outcome, no write */
	if ((vars = json_pack("{s:{s:s, s:s, s:[{s:s, s:{s:s}}]}}", "input",
	         "dossierId", node_id, "instructeurId",
	         cfg->intake_ds_instructeur, "annotations", "id", annotation_id,
	         "value", "text", text)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = intake_ds_call(cfg, token, INTAKE_DS_DOC_ANNOTATE, vars, &data,
	    retry_after, err);
	json_decref(vars);
	if (rc == RC_OK &&
	    (rc = mutation_errors(data, "dossierModifierAnnotations", number,
	         "the annotation", err)) == RC_OK)
		*written = 1;
	json_decref(data);
	return rc;
}

enum rc_code
intake_ds_instruct(const struct cfg *cfg, const char *token,
    const char *node_id, long long number, int *retry_after, struct rc_err *err)
{
	json_t *vars, *data = NULL;
	enum rc_code rc;

	if ((vars = json_pack("{s:{s:s, s:s}}", "input", "dossierId", node_id,
	         "instructeurId", cfg->intake_ds_instructeur)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = intake_ds_call(cfg, token, INTAKE_DS_DOC_INSTRUCT, vars, &data,
	    retry_after, err);
	json_decref(vars);
	if (rc == RC_OK)
		rc = mutation_errors(data, "dossierPasserEnInstruction", number,
		    "the passage en instruction", err);
	json_decref(data);
	return rc;
}

/* Write text into node's annotation unless it says so already. */
static enum rc_code
annotate(const struct cfg *cfg, const char *token, json_t *node,
    const char *text, int *written, struct rc_err *err)
{
	const char *id, *cur;
	enum rc_code rc;
	int retry;

	*written = 0;
	if ((rc = intake_ds_annotation_of(cfg, node, &id, &cur, err)) != RC_OK)
		return rc;
	return intake_ds_annotate(cfg, token,
	    json_string_value(json_object_get(node, "id")),
	    (long long)json_integer_value(json_object_get(node, "number")), id,
	    cur, text, written, &retry, err);
}

enum rc_code
intake_ds_setup(const struct cfg *cfg, const char **token,
    struct intake_ds_mapping *m, struct rc_err *err)
{
	size_t i;

	*token = NULL;
	if (cfg->intake_ds_demarche == 0)
		return RC_ERR(err, RC_ECONFIG,
		    "intake.ds.demarche: 0, DS intake is off");
	if (cfg->intake_ds_instructeur == NULL ||
	    cfg->intake_ds_annotation == NULL)
		return RC_ERR(err, RC_ECONFIG,
		    "%s: required to write the verdict back",
		    cfg->intake_ds_instructeur == NULL
		        ? "intake.ds.instructeur_id"
		        : "intake.ds.annotation");
	*token = cfg->intake_ds_token_env != NULL
	    ? getenv(cfg->intake_ds_token_env)
	    : NULL;
	if (*token == NULL || (*token)[0] == '\0')
		return RC_ERR(err, RC_ECONFIG,
		    "intake.ds.token_env: the variable %s is not set",
		    cfg->intake_ds_token_env ? cfg->intake_ds_token_env
		                             : "(null)");
	memset(m, 0, sizeof(*m));
	for (i = 0; i < INTAKE_DS_FIELD__MAX; i++)
		m->champ[i] = cfg->intake_ds_map[i];
	m->demarche = cfg->intake_ds_demarche;
	return RC_OK;
}

enum rc_code
intake_ds_pages(const struct cfg *cfg, const char *token, const char *since,
    intake_ds_node_fn fn, void *arg, size_t *pages,
    char latest[INTAKE_DS_DATE_MAX], int *retry_after, struct rc_err *err)
{
	json_t *vars = NULL, *data = NULL, *conn, *node;
	struct intake_ds_instant mt, lt;
	const char *after = NULL, *mod;
	char *cursor = NULL;
	enum rc_code rc = RC_OK;
	size_t i;
	int more = 1;

	*retry_after = 0;
	while (more && rc == RC_OK) {
		json_decref(vars);
		json_decref(data);
		data = NULL;
		vars = json_pack("{s:I, s:s?, s:s?}", "demarche",
		    (json_int_t)cfg->intake_ds_demarche, "after", after,
		    "updatedSince", since);
		if (vars == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			break;
		}
		if ((rc = intake_ds_call(cfg, token, INTAKE_DS_DOC_DOSSIERS,
		         vars, &data, retry_after, err)) != RC_OK)
			break;
		(*pages)++;
		conn = json_object_get(json_object_get(data, "demarche"),
		    "dossiers");
		json_array_foreach(json_object_get(conn, "nodes"), i, node)
		{
			/*
			 * The latest instant, compared as times (offsets
			 * differ across summer time); a date that does not
			 * parse never moves the cursor.
			 */
			mod = json_string_value(
			    json_object_get(node, "dateDerniereModification"));
			if (latest != NULL && mod != NULL &&
			    strlen(mod) < INTAKE_DS_DATE_MAX &&
			    intake_ds_time(mod, &mt) == RC_OK &&
			    (latest[0] == '\0' ||
			        intake_ds_time(latest, &lt) != RC_OK ||
			        intake_ds_time_cmp(&mt, &lt) > 0))
				memcpy(latest, mod, strlen(mod) + 1);
			if ((rc = fn(arg, node, err)) != RC_OK)
				break;
		}
		if (rc != RC_OK)
			break;
		more = json_is_true(json_object_get(
		    json_object_get(conn, "pageInfo"), "hasNextPage"));
		free(cursor);
		cursor = NULL;
		after = json_string_value(json_object_get(
		    json_object_get(conn, "pageInfo"), "endCursor"));
		if (more && after == NULL) {
			rc = RC_ERR(err, RC_EPARSE,
			    "DS: hasNextPage without an endCursor");
			break;
		}
		if (after != NULL && (cursor = strdup(after)) == NULL) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			break;
		}
		after = cursor;
	}
	free(cursor);
	json_decref(vars);
	json_decref(data);
	return rc;
}

struct run_ctx {
	struct pipeline *pl;
	const char *token;
	struct intake_ds_mapping m;
	struct intake_ds_stats *st;
	FILE *out;
};

/* One dossier of `intake run --once`: map, check, annotate. */
static enum rc_code
run_node(void *arg, json_t *node, struct rc_err *err)
{
	struct run_ctx *x = arg;
	struct intake_ds_stats *st = x->st;
	struct rc_err merr = { 0 }, cerr = { 0 };
	struct dossier *d = NULL;
	struct report *rep = NULL;
	struct rc_buf text;
	json_t *dj = NULL;
	enum rc_code rc = RC_OK;
	long long num =
	    (long long)json_integer_value(json_object_get(node, "number"));
	int written;

	st->seen++;
	rc_buf_init(&text, 64 * 1024);
	if (intake_ds_map(node, &x->m, &dj, &d, &merr) != RC_OK) {
		st->refused++;
		log_info("intake=ds dossier=%lld refused: %s", num, merr.msg);
	} else if (intake_ds_awaiting(d)) {
		/* Its token is given to the daemon, never to this pass. */
		st->awaiting++;
		if (intake_ds_waiting_text(x->pl->cfg->daemon_public_url, num,
		        intake_ds_awaiting_dgfip(d), &text) != RC_OK)
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
	} else {
		st->mapped++;
		if (check_one(x->pl, d, &rep, &cerr) != RC_OK) {
			st->errors++;
			rc = RC_ERR(err, cerr.code, "DS dossier %lld: %s", num,
			    cerr.msg);
		}
	}
	if (rc == RC_OK && text.len == 0 &&
	    annotation_text(rep, d == NULL ? merr.msg : NULL, &text) != RC_OK)
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
	if (rc == RC_OK) {
		rc = annotate(x->pl->cfg, x->token, node, text.data, &written,
		    err);
		if (rc == RC_OK) {
			written ? st->annotated++ : st->unchanged++;
			fprintf(x->out, "DS %lld: %s%s\n", num,
			    d == NULL ? "refused"
			        : rep == NULL
			        ? "awaiting its API token"
			        : verdict_str(report_verdict(rep)),
			    written ? "" : " (annotation unchanged)");
		} else
			st->errors++;
	}
	json_decref(dj);
	dossier_free(d);
	report_free(rep);
	rc_buf_free(&text);
	return rc;
}

enum rc_code
intake_ds_run_once(struct pipeline *pl, const char *since,
    struct intake_ds_stats *st, FILE *out, struct rc_err *err)
{
	struct run_ctx x;
	enum rc_code rc;
	int retry;

	memset(st, 0, sizeof(*st));
	memset(&x, 0, sizeof(x));
	x.pl = pl;
	x.st = st;
	x.out = out;
	if ((rc = intake_ds_setup(pl->cfg, &x.token, &x.m, err)) != RC_OK)
		return rc;
	return intake_ds_pages(pl->cfg, x.token, since, run_node, &x,
	    &st->pages, NULL, &retry, err);
}
