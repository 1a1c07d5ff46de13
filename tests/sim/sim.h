/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim: simulated FranceConnect, collectivité portals and (later)
 * national APIs, on loopback only, with real TLS from certs/mkcerts.sh.
 *
 * One process, one libmicrohttpd daemon per *listener*.  Every listener
 * binds port 0 on the loopback address, so the kernel picks the port; once
 * all are bound, the ports are published as one JSON object whose keys are
 * the listener names, in table order (see docs/sim.md).
 *
 * ADDING A SIMULATOR (the extension point)
 *
 *   1. Write tests/sim/<name>.c.  It provides a handler of type
 *      sim_handler_fn and, when it needs state, init/fini hooks of types
 *      sim_init_fn/sim_fini_fn.  Declare them at the bottom of this
 *      header (one block per simulator) or in a header of your own that
 *      modules.c includes.
 *   2. Add one row per listener to sim_modules[] in tests/sim/modules.c:
 *        { "datapass", "datapass.test", "server", datapass_init,
 *          datapass_fini, datapass_handle },
 *      The name becomes the key in the ports JSON; the cert is the base
 *      name of a pair DIR/<cert>.pem + DIR/<cert>.key under --certs (NULL
 *      for plain HTTP).
 *   3. Document the routes in docs/sim.md.
 *
 * The Makefile links every .c file of tests/sim, so no build change is
 * needed.
 *
 * Handlers run on libmicrohttpd's connection threads (one thread per
 * connection), so they may block, but they must return promptly once
 * sim_stopping() is true, and any state they share must be locked.  The
 * core buffers the request body (at most SIM_BODY_MAX bytes, else 413)
 * and calls the handler exactly once per request, with the whole body.
 * Handlers reach any other listener's port with sim_port() (the portals
 * need FranceConnect's to build their redirects).
 */
#ifndef RC_TESTS_SIM_SIM_H
#define RC_TESTS_SIM_SIM_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "common/err.h"

#define SIM_BODY_MAX (1024 * 1024)
#define SIM_HOST_MAX 64

struct sim_ctx;
struct sim_listener;
struct sim_req;

/* Make the listener's state (*state, NULL is fine).  Runs after every
 * listener is bound, so sim_port() works, and before any request. */
typedef enum rc_code sim_init_fn(struct sim_listener *l, void **state,
    struct rc_err *err);
/* Release what init made.  Runs after the daemons stopped. */
typedef void sim_fini_fn(void *state);
/* Answer one request: queue a response (sim_send*) and return its result,
 * or return MHD_NO to drop the connection. */
typedef enum MHD_Result sim_handler_fn(struct sim_req *req);

struct sim_module {
	const char *name;  /* listener name: key in the ports JSON */
	const char *host;  /* host name clients use (resolved to loopback) */
	const char *cert;  /* DIR/<cert>.pem and .key; NULL: plain HTTP */
	sim_init_fn *init; /* optional */
	sim_fini_fn *fini; /* optional */
	sim_handler_fn *handle;
};

/* The registration list (tests/sim/modules.c). */
extern const struct sim_module sim_modules[];
extern const size_t sim_modules_count;

struct sim_listener {
	const struct sim_module *mod;
	struct sim_ctx *ctx;
	unsigned short port;
	int tls;     /* served over TLS */
	void *state; /* from mod->init */
	int fd;      /* listening socket, owned by daemon once started */
	struct MHD_Daemon *daemon;
	atomic_long tls_full;    /* closed TLS connections: not resumed */
	atomic_long tls_resumed; /* ... and resumed (tls.c, GET /_sim/tls) */
};

struct sim_ctx {
	const char *certs_dir;
	const char *bind_addr; /* numeric loopback address */
	char ca_file[4096];    /* certs_dir/ca.pem, for simulated clients */
	struct sim_listener *listeners;
	size_t n;
	atomic_int stopping;
	int close_connections; /* --close: "Connection: close" everywhere */
	int tls12;             /* --tls12: no TLS 1.3 on TLS listeners */
};

struct sim_form_field {
	char *name;
	char *value;
};

struct sim_req {
	struct sim_listener *l;
	struct MHD_Connection *conn;
	const char *method;
	const char *url; /* path only; MHD keeps the query in GET args */
	struct rc_buf body;
	struct sim_form_field *form; /* parsed urlencoded body */
	size_t nform;
	int too_large;
};

/* --- context --- */

/* Port of the listener called name, 0 when there is none. */
unsigned short sim_port(const struct sim_ctx *ctx, const char *name);
/* True once shutdown began: long handlers must give up. */
int sim_stopping(const struct sim_ctx *ctx);
/* Sleep ms milliseconds, waking early on shutdown.  Returns 0 when the
 * full time elapsed, -1 when interrupted by shutdown. */
int sim_sleep_ms(const struct sim_ctx *ctx, long ms);

/* --- TLS (tls.c): session tickets and handshake counts --- */

/* The ticket key, once per run (0, or -1 when GnuTLS cannot make it). */
int sim_tls_init(void);
/* MHD_OPTION_NOTIFY_CONNECTION of every TLS listener (cls: the listener). */
void sim_tls_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe);
/* GET /_sim/tls: "full=N resumed=M" of the listener asked. */
enum MHD_Result sim_tls_counts(struct sim_req *req);

/* --- request --- */

/* Query argument (decoded), NULL when absent. */
const char *sim_arg(const struct sim_req *req, const char *name);
/* urlencoded body field (decoded), NULL when absent. */
const char *sim_form(const struct sim_req *req, const char *name);
/* Request header, NULL when absent. */
const char *sim_header(const struct sim_req *req, const char *name);
/* Cookie value, NULL when absent. */
const char *sim_cookie(const struct sim_req *req, const char *name);

/* --- responses: each sim_send* queues and releases the response --- */

/* A response holding a copy of text; NULL on allocation failure. */
struct MHD_Response *sim_response(const char *ctype, const char *text);
/* Queue resp (may be NULL: MHD_NO) with status, then destroy it. */
enum MHD_Result sim_queue(struct sim_req *req, unsigned int status,
    struct MHD_Response *resp);
enum MHD_Result sim_send_text(struct sim_req *req, unsigned int status,
    const char *ctype, const char *text);
/* Steals doc.  Adds Cache-Control: no-store. */
enum MHD_Result sim_send_json(struct sim_req *req, unsigned int status,
    json_t *doc);
/* 30x with Location and an empty body. */
enum MHD_Result sim_send_redirect(struct sim_req *req, unsigned int status,
    const char *location);

/* --- helpers --- */

/* n random bytes as 2n lowercase hex digits into out[2n + 1]. */
enum rc_code sim_random_hex(char *out, size_t n);
/* Percent-encode s (RFC 3986 unreserved kept) into b. */
enum rc_code sim_buf_add_urlenc(struct rc_buf *b, const char *s);
/* Append s to b with & < > " ' escaped. */
enum rc_code sim_buf_add_html(struct rc_buf *b, const char *s);
/* Append "?" or "&" to b depending on whether b already has a query. */
enum rc_code sim_buf_add_qsep(struct rc_buf *b);

/* --- FranceConnect v2 (fc.c) --- */
sim_init_fn fc_init;
sim_fini_fn fc_fini;
sim_handler_fn fc_handle;

/* --- collectivité portals (portal.c) --- */
sim_init_fn portal_init;
sim_fini_fn portal_fini;
sim_handler_fn portal_handle;
/* The flavour names, in docs/sim.md order (FC registers one client per
 * flavour: cid-<name> / secret-<name>). */
size_t portal_flavour_count(void);
const char *portal_flavour_name(size_t i);

#endif /* RC_TESTS_SIM_SIM_H */
