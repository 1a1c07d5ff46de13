/* SPDX-License-Identifier: MIT */
/*
 * Small request and response helpers shared by every simulator (sim.h).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/digest.h"
#include "common/log.h"
#include "tests/sim/sim.h"

unsigned short
sim_port(const struct sim_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->n; i++)
		if (strcmp(ctx->listeners[i].mod->name, name) == 0)
			return ctx->listeners[i].port;
	return 0;
}

int
sim_stopping(const struct sim_ctx *ctx)
{
	return atomic_load(&ctx->stopping) != 0;
}

int
sim_sleep_ms(const struct sim_ctx *ctx, long ms)
{
	struct timespec ts = { 0, 50L * 1000 * 1000 };

	for (; ms > 0; ms -= 50) {
		if (sim_stopping(ctx))
			return -1;
		nanosleep(&ts, NULL);
	}
	return sim_stopping(ctx) ? -1 : 0;
}

const char *
sim_arg(const struct sim_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
sim_form(const struct sim_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nform; i++)
		if (strcmp(req->form[i].name, name) == 0)
			return req->form[i].value;
	return NULL;
}

const char *
sim_header(const struct sim_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
sim_cookie(const struct sim_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

struct MHD_Response *
sim_response(const char *ctype, const char *text)
{
	struct MHD_Response *resp;

	/* MUST_COPY: MHD copies the bytes, so the cast drops no promise. */
	resp = MHD_create_response_from_buffer(strlen(text),
	    (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
	return resp;
}

enum MHD_Result
sim_queue(struct sim_req *req, unsigned int status, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	log_info("listener=%s method=%s path=%s status=%u", req->l->mod->name,
	    req->method, req->url, status);
	/* Sites that close their connection after each answer (bench). */
	if (req->l->ctx->close_connections &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
	        "close") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	r = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

enum MHD_Result
sim_send_text(struct sim_req *req, unsigned int status, const char *ctype,
    const char *text)
{
	return sim_queue(req, status, sim_response(ctype, text));
}

enum MHD_Result
sim_send_json(struct sim_req *req, unsigned int status, json_t *doc)
{
	struct MHD_Response *resp = NULL;
	char *text;

	if (doc == NULL)
		return MHD_NO;
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	resp = sim_response("application/json", text);
	free(text);
	if (resp != NULL) {
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		MHD_add_response_header(resp, "Pragma", "no-cache");
	}
	return sim_queue(req, status, resp);
}

enum MHD_Result
sim_send_redirect(struct sim_req *req, unsigned int status,
    const char *location)
{
	struct MHD_Response *resp = sim_response(NULL, "");

	if (resp != NULL &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location) !=
	        MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return sim_queue(req, status, resp);
}

enum rc_code
sim_random_hex(char *out, size_t n)
{
	unsigned char raw[128];

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return RC_ECRYPTO;
	rc_hex(raw, n, out);
	return RC_OK;
}

enum rc_code
sim_buf_add_urlenc(struct rc_buf *b, const char *s)
{
	enum rc_code rc;
	char *e;

	if ((e = curl_easy_escape(NULL, s, (int)strlen(s))) == NULL)
		return RC_ENOMEM;
	rc = rc_buf_adds(b, e);
	curl_free(e);
	return rc;
}

enum rc_code
sim_buf_add_html(struct rc_buf *b, const char *s)
{
	enum rc_code rc = RC_OK;
	const char *rep;
	size_t run;

	while (rc == RC_OK && *s != '\0') {
		run = strcspn(s, "&<>\"'");
		if (run > 0)
			rc = rc_buf_add(b, s, run);
		s += run;
		if (rc != RC_OK || *s == '\0')
			break;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			rep = "&#39;";
			break;
		}
		rc = rc_buf_adds(b, rep);
		s++;
	}
	return rc;
}

enum rc_code
sim_buf_add_qsep(struct rc_buf *b)
{
	return rc_buf_adds(b,
	    b->data != NULL && memchr(b->data, '?', b->len) != NULL ? "&"
	                                                            : "?");
}
