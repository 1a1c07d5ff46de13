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

/* The private annotation's text: the same for the same outcome. */
static enum rc_code
annotation_text(const struct report *rep, const char *refusal, struct rc_buf *b)
{
	static const char *const fr[VERDICT__MAX] = {
		[VERDICT_VERIFIED] = "vérifiée",
		[VERDICT_FAILED] = "échouée",
		[VERDICT_INCONCLUSIVE] = "non concluante (réseau ou service "
		                         "indisponible), à relancer",
	};
	json_t *j, *sec, *chk;
	size_t i, k, n = 0;
	enum verdict v;

	if (refusal != NULL)
		return rc_buf_addf(b,
		    "raccord : dossier non vérifiable. %s\nCorrigez le "
		    "dossier ; la vérification reprendra à sa prochaine "
		    "modification.",
		    refusal);
	v = report_verdict(rep);
	if (rc_buf_addf(b, "raccord : vérification %s.",
	        fr[v < VERDICT__MAX ? v : VERDICT_INCONCLUSIVE]) != RC_OK ||
	    (j = report_to_json(rep)) == NULL)
		return RC_ENOMEM;
	json_array_foreach(json_object_get(j, "integrations"), i, sec)
	    json_array_foreach(json_object_get(sec, "checks"), k, chk)
	{
		const char *st =
		    json_string_value(json_object_get(chk, "status"));
		const char *id = json_string_value(json_object_get(chk, "id")),
		           *detail = json_string_value(
		               json_object_get(chk, "detail"));

		if (!json_is_true(json_object_get(chk, "required")) ||
		    st == NULL ||
		    (strcmp(st, "fail") != 0 && strcmp(st, "error") != 0))
			continue;
		if (n++ == 0)
			rc_buf_adds(b, "\nRègles non respectées :");
		rc_buf_addf(b, "\n- %s : %s", id != NULL ? id : "?",
		    detail != NULL ? detail : "");
	}
	json_decref(j);
	return b->data != NULL ? RC_OK : RC_ENOMEM;
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

/* Write text into node's annotation unless it says so already. */
static enum rc_code
annotate(const struct cfg *cfg, const char *token, json_t *node,
    const char *text, int *written, struct rc_err *err)
{
	json_t *a, *vars = NULL, *data = NULL, *errs;
	const char *cur, *id, *msg;
	enum rc_code rc;
	int retry;

	*written = 0;
	if ((a = find_annotation(node, cfg->intake_ds_annotation)) == NULL)
		return RC_ERR(err, RC_ECONFIG,
		    "DS dossier %lld: no annotation \"%s\" "
		    "(intake.ds.annotation) in the procedure",
		    (long long)json_integer_value(
		        json_object_get(node, "number")),
		    cfg->intake_ds_annotation);
	cur = json_string_value(json_object_get(a, "stringValue"));
	if (cur != NULL && strcmp(cur, text) == 0)
		return RC_OK; /* idempotent: the same outcome, no write */
	id = json_string_value(json_object_get(a, "id"));
	if ((vars = json_pack("{s:{s:O, s:s, s:[{s:s, s:{s:s}}]}}", "input",
	         "dossierId", json_object_get(node, "id"), "instructeurId",
	         cfg->intake_ds_instructeur, "annotations", "id",
	         id != NULL ? id : "", "value", "text", text)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = intake_ds_call(cfg, token, INTAKE_DS_DOC_ANNOTATE, vars, &data,
	    &retry, err);
	json_decref(vars);
	if (rc != RC_OK)
		return rc;
	errs = json_object_get(
	    json_object_get(data, "dossierModifierAnnotations"), "errors");
	if (json_array_size(errs) > 0) {
		msg = json_string_value(
		    json_object_get(json_array_get(errs, 0), "message"));
		rc = RC_ERR(err, RC_EINVAL,
		    "DS dossier %lld: the annotation was refused: %.300s",
		    (long long)json_integer_value(
		        json_object_get(node, "number")),
		    msg != NULL ? msg : "?");
	} else
		*written = 1;
	json_decref(data);
	return rc;
}

enum rc_code
intake_ds_run_once(struct pipeline *pl, const char *since,
    struct intake_ds_stats *st, FILE *out, struct rc_err *err)
{
	const struct cfg *cfg = pl->cfg;
	struct intake_ds_mapping m;
	json_t *vars = NULL, *data = NULL, *conn, *nodes, *node, *dj;
	const char *token, *after = NULL;
	char *cursor = NULL;
	struct rc_buf text;
	enum rc_code rc = RC_OK;
	size_t i;
	int retry, more = 1, written;

	memset(st, 0, sizeof(*st));
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
	token = cfg->intake_ds_token_env != NULL
	    ? getenv(cfg->intake_ds_token_env)
	    : NULL;
	if (token == NULL || token[0] == '\0')
		return RC_ERR(err, RC_ECONFIG,
		    "intake.ds.token_env: the variable %s is not set",
		    cfg->intake_ds_token_env ? cfg->intake_ds_token_env
		                             : "(null)");
	memset(&m, 0, sizeof(m));
	for (i = 0; i < INTAKE_DS_FIELD__MAX; i++)
		m.champ[i] = cfg->intake_ds_map[i];
	m.demarche = cfg->intake_ds_demarche;
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
		         vars, &data, &retry, err)) != RC_OK)
			break;
		st->pages++;
		conn = json_object_get(json_object_get(data, "demarche"),
		    "dossiers");
		nodes = json_object_get(conn, "nodes");
		json_array_foreach(nodes, i, node)
		{
			struct rc_err merr = { 0 }, cerr = { 0 };
			struct dossier *d = NULL;
			struct report *rep = NULL;
			long long num = (long long)json_integer_value(
			    json_object_get(node, "number"));

			st->seen++;
			dj = NULL;
			rc_buf_init(&text, 64 * 1024);
			if (intake_ds_map(node, &m, &dj, &d, &merr) != RC_OK) {
				st->refused++;
				log_info("intake=ds dossier=%lld refused: %s",
				    num, merr.msg);
			} else {
				st->mapped++;
				if (check_one(pl, d, &rep, &cerr) != RC_OK) {
					st->errors++;
					rc = RC_ERR(err, cerr.code,
					    "DS dossier %lld: %s", num,
					    cerr.msg);
				}
			}
			if (rc == RC_OK &&
			    annotation_text(rep, d == NULL ? merr.msg : NULL,
			        &text) != RC_OK)
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			if (rc == RC_OK) {
				rc = annotate(cfg, token, node, text.data,
				    &written, err);
				if (rc == RC_OK) {
					written ? st->annotated++
					        : st->unchanged++;
					fprintf(out, "DS %lld: %s%s\n", num,
					    d == NULL
					        ? "refused"
					        : verdict_str(
					              report_verdict(rep)),
					    written
					        ? ""
					        : " (annotation unchanged)");
				} else
					st->errors++;
			}
			json_decref(dj);
			dossier_free(d);
			report_free(rep);
			rc_buf_free(&text);
			if (rc != RC_OK)
				break;
		}
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
