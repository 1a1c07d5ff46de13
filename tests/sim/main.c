/* SPDX-License-Identifier: MIT */
/*
 * raccord-sim entry point: bind every listener of sim_modules[] on port 0
 * of a loopback address, start one libmicrohttpd daemon per listener
 * (thread per connection, so a slow handler blocks nobody else), publish
 * the ports as one JSON line on stdout and, atomically, in --ports-file,
 * then wait for SIGTERM or SIGINT and shut down cleanly.
 *
 *   raccord-sim --certs DIR [--ports-file FILE] [--bind 127.0.0.1] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "tests/sim/sim.h"

#define SIM_PEM_MAX (256 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord-sim --certs DIR [--ports-file FILE] "
	    "[--bind ADDR] [-v]\n"
	    "  --certs DIR       certificates made by certs/mkcerts.sh\n"
	    "  --close           close every connection after its answer "
	    "(bench)\n"
	    "  --tls12           offer TLS 1.2 only (session resumption "
	    "tests)\n"
	    "  --ports-file FILE also write the ports JSON there "
	    "(atomically)\n"
	    "  --bind ADDR       loopback address (default 127.0.0.1)\n"
	    "  -v, --verbose     log every request on stderr\n");
}

/* Only loopback: the simulators must never be reachable from outside. */
static int
addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

/* Bind and listen on addr:0; return the kernel-chosen port. */
static enum rc_code
listener_bind(struct sim_listener *l, const char *addr, int *v6,
    struct rc_err *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	enum rc_code rc = RC_ESYS;
	int fd = -1, one = 1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if ((gai = getaddrinfo(addr, "0", &hints, &ai)) != 0) {
		rc = RC_ERR(err, RC_EINVAL, "--bind %s: %s", addr,
		    gai_strerror(gai));
		goto out;
	}
	if (!addr_is_loopback(ai->ai_addr)) {
		rc = RC_ERR(err, RC_EINVAL, "--bind %s: not a loopback address",
		    addr);
		goto out;
	}
	*v6 = ai->ai_family == AF_INET6;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		rc = RC_ERR(err, RC_ESYS, "listener %s: %s", l->mod->name,
		    strerror(errno));
		goto out;
	}
	l->port = ntohs(ss.ss_family == AF_INET6
	        ? ((struct sockaddr_in6 *)&ss)->sin6_port
	        : ((struct sockaddr_in *)&ss)->sin_port);
	l->fd = fd;
	fd = -1; /* transferred */
	rc = RC_OK;
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}

static enum rc_code
read_file(const char *dir, const char *name, const char *ext,
    struct rc_buf *out, struct rc_err *err)
{
	char path[4096];
	char chunk[4096];
	FILE *f;
	size_t n;
	enum rc_code rc = RC_OK;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	if ((f = fopen(path, "rb")) == NULL)
		return RC_ERR(err, RC_ESYS, "%s: %s", path, strerror(errno));
	while (rc == RC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = rc_buf_add(out, chunk, n);
	if (rc == RC_OK && ferror(f))
		rc = RC_ESYS;
	fclose(f);
	if (rc != RC_OK)
		return RC_ERR(err, rc, "%s: cannot read", path);
	return RC_OK;
}

static void
req_free(struct sim_req *req)
{
	size_t i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nform; i++) {
		curl_free(req->form[i].name);
		curl_free(req->form[i].value);
	}
	rc_free(req->form);
	rc_buf_free(&req->body);
	rc_free(req);
}

static void
req_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	req_free(*req_cls);
	*req_cls = NULL;
}

/* Decode one "name=value" of an urlencoded body ('+' is a space). */
static char *
form_unescape(const char *s, size_t n)
{
	char *tmp, *out;
	size_t i;

	if ((tmp = rc_strndup(s, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (tmp[i] == '+')
			tmp[i] = ' ';
	out = curl_easy_unescape(NULL, tmp, (int)n, NULL);
	rc_free(tmp);
	return out;
}

static enum rc_code
form_parse(struct sim_req *req)
{
	const char *p = req->body.data, *end = p + req->body.len, *amp, *eq;
	struct sim_form_field *f;
	size_t max = 1;

	if (req->body.len == 0)
		return RC_OK;
	for (; p < end; p++)
		if (*p == '&')
			max++;
	if ((req->form = rc_calloc(max, sizeof(*req->form))) == NULL)
		return RC_ENOMEM;
	for (p = req->body.data; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		f = &req->form[req->nform];
		f->name = form_unescape(p, (size_t)((eq ? eq : amp) - p));
		f->value = eq ? form_unescape(eq + 1, (size_t)(amp - eq - 1))
		              : form_unescape("", 0);
		req->nform++;
		if (f->name == NULL || f->value == NULL)
			return RC_ENOMEM;
	}
	return RC_OK;
}

/* Called with the headers, then once per body chunk, then to answer. */
static enum MHD_Result
sim_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **req_cls)
{
	struct sim_listener *l = cls;
	struct sim_req *req = *req_cls;
	const char *ctype;

	(void)version;
	if (req == NULL) {
		if ((req = rc_calloc(1, sizeof(*req))) == NULL)
			return MHD_NO;
		rc_buf_init(&req->body, SIM_BODY_MAX);
		req->l = l;
		req->conn = conn;
		*req_cls = req; /* freed by req_completed */
		return MHD_YES;
	}
	req->method = method;
	req->url = url;
	if (*upload_len != 0) {
		if (rc_buf_add(&req->body, upload, *upload_len) != RC_OK)
			req->too_large = 1;
		*upload_len = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return sim_send_text(req, 413, "text/plain",
		    "request body too large\n");
	if (l->tls && strcmp(url, "/_sim/tls") == 0)
		return sim_tls_counts(req);
	ctype = sim_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ctype != NULL &&
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0 &&
	    form_parse(req) != RC_OK)
		return MHD_NO;
	return l->mod->handle(req);
}

/* MHD's own messages (TLS handshakes refused by clients, etc.). */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	if (rc_log_get_level() < RC_LOG_DEBUG)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("mhd=\"%s\"", line);
}

static enum rc_code
listener_start(struct sim_listener *l, int v6, struct rc_err *err)
{
	struct rc_buf cert, key;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	enum rc_code rc = RC_OK;

	rc_buf_init(&cert, SIM_PEM_MAX);
	rc_buf_init(&key, SIM_PEM_MAX);
	if (v6)
		flags |= MHD_USE_IPv6;
	if (l->mod->cert != NULL) {
		flags |= MHD_USE_TLS;
		if ((rc = read_file(l->ctx->certs_dir, l->mod->cert, ".pem",
		         &cert, err)) != RC_OK ||
		    (rc = read_file(l->ctx->certs_dir, l->mod->cert, ".key",
		         &key, err)) != RC_OK)
			goto out;
		if (sim_tls_init() != 0) {
			rc = RC_ERR(err, RC_ESYS,
			    "listener %s: cannot make a TLS ticket key",
			    l->mod->name);
			goto out;
		}
		l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, sim_access,
		    l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, l->fd,
		    MHD_OPTION_NOTIFY_COMPLETED, req_completed, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, sim_tls_notify, l,
		    MHD_OPTION_CONNECTION_TIMEOUT, 30U,
		    MHD_OPTION_CONNECTION_LIMIT, 512U, MHD_OPTION_HTTPS_MEM_KEY,
		    key.data, MHD_OPTION_HTTPS_MEM_CERT, cert.data,
		    /* --tls12: the list goes on; otherwise it ends here. */
		    l->ctx->tls12 ? MHD_OPTION_HTTPS_PRIORITIES
		                  : MHD_OPTION_END,
		    "NORMAL:-VERS-TLS1.3", MHD_OPTION_END);
	} else {
		l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, sim_access,
		    l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, l->fd,
		    MHD_OPTION_NOTIFY_COMPLETED, req_completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, 30U,
		    MHD_OPTION_CONNECTION_LIMIT, 512U, MHD_OPTION_END);
	}
	if (l->daemon == NULL) {
		rc = RC_ERR(err, RC_ESYS, "listener %s: cannot start daemon",
		    l->mod->name);
		goto out;
	}
	l->fd = -1; /* the daemon closes it; handlers never read fd */
out:
	rc_buf_free_secret(&key);
	rc_buf_free(&cert);
	return rc;
}

/* Write text to file atomically: temp file, fsync, rename. */
static enum rc_code
write_atomic(const char *file, const char *text, struct rc_err *err)
{
	char tmp[4096];
	size_t len = strlen(text), off = 0;
	ssize_t w;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return RC_ERR(err, RC_ESYS, "%s: %s", tmp, strerror(errno));
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) != 0 || close(fd) != 0) {
		if (off != len)
			close(fd);
		unlink(tmp);
		return RC_ERR(err, RC_ESYS, "%s: write failed", tmp);
	}
	if (rename(tmp, file) != 0) {
		unlink(tmp);
		return RC_ERR(err, RC_ESYS, "%s: %s", file, strerror(errno));
	}
	return RC_OK;
}

static enum rc_code
publish_ports(const struct sim_ctx *ctx, const char *file, struct rc_err *err)
{
	json_t *doc;
	char *text = NULL;
	enum rc_code rc = RC_ENOMEM;
	size_t i;

	if ((doc = json_object()) == NULL)
		return RC_ERR(err, RC_ENOMEM, "ports JSON");
	for (i = 0; i < ctx->n; i++)
		if (json_object_set_new(doc, ctx->listeners[i].mod->name,
		        json_integer(ctx->listeners[i].port)) != 0)
			goto out;
	if ((text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		goto out;
	printf("%s\n", text);
	fflush(stdout);
	rc = RC_OK;
	if (file != NULL) {
		struct rc_buf line;

		rc_buf_init(&line, strlen(text) + 2);
		if ((rc = rc_buf_addf(&line, "%s\n", text)) == RC_OK)
			rc = write_atomic(file, line.data, err);
		rc_buf_free(&line);
	}
out:
	free(text);
	json_decref(doc);
	if (rc == RC_ENOMEM)
		RC_ERR(err, rc, "ports JSON");
	return rc;
}

static enum rc_code
sim_run(struct sim_ctx *ctx, const char *ports_file, sigset_t *sigs,
    struct rc_err *err)
{
	enum rc_code rc = RC_OK;
	size_t i;
	int v6 = 0, sig = 0;

	for (i = 0; i < ctx->n; i++) {
		ctx->listeners[i].mod = &sim_modules[i];
		ctx->listeners[i].ctx = ctx;
		ctx->listeners[i].fd = -1;
		ctx->listeners[i].tls = sim_modules[i].cert != NULL;
	}
	for (i = 0; i < ctx->n && rc == RC_OK; i++)
		rc =
		    listener_bind(&ctx->listeners[i], ctx->bind_addr, &v6, err);
	for (i = 0; i < ctx->n && rc == RC_OK; i++)
		if (sim_modules[i].init != NULL)
			rc = sim_modules[i].init(&ctx->listeners[i],
			    &ctx->listeners[i].state, err);
	for (i = 0; i < ctx->n && rc == RC_OK; i++)
		rc = listener_start(&ctx->listeners[i], v6, err);
	if (rc == RC_OK)
		rc = publish_ports(ctx, ports_file, err);
	if (rc == RC_OK) {
		log_info("ready listeners=%zu", ctx->n);
		while (
		    sigwait(sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
			;
		log_info("signal=%d shutting down", sig);
	}
	atomic_store(&ctx->stopping, 1);
	for (i = 0; i < ctx->n; i++)
		if (ctx->listeners[i].daemon != NULL)
			MHD_stop_daemon(ctx->listeners[i].daemon);
	for (i = 0; i < ctx->n; i++) {
		if (ctx->listeners[i].state != NULL &&
		    sim_modules[i].fini != NULL)
			sim_modules[i].fini(ctx->listeners[i].state);
		if (ctx->listeners[i].fd >= 0)
			close(ctx->listeners[i].fd);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "certs", required_argument, NULL, 'c' },
		{ "ports-file", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "close", no_argument, NULL, 'C' },
		{ "tls12", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_ctx ctx;
	struct rc_err err = { 0 };
	const char *ports_file = NULL;
	sigset_t sigs;
	enum rc_code rc;
	int c;

	rc_json_setup();
	memset(&ctx, 0, sizeof(ctx));
	ctx.bind_addr = "127.0.0.1";
	while ((c = getopt_long(argc, argv, "c:p:b:vCTh", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			ctx.close_connections = 1;
			break;
		case 'T':
			ctx.tls12 = 1;
			break;
		case 'c':
			ctx.certs_dir = optarg;
			break;
		case 'p':
			ports_file = optarg;
			break;
		case 'b':
			ctx.bind_addr = optarg;
			break;
		case 'v':
			rc_log_set_level(RC_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (ctx.certs_dir == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	snprintf(ctx.ca_file, sizeof(ctx.ca_file), "%s/ca.pem", ctx.certs_dir);

	/* Signals are taken synchronously by sigwait in the main thread;
	 * block them before any thread starts so that all inherit it. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "raccord-sim: curl_global_init failed\n");
		return 1;
	}
	ctx.n = sim_modules_count;
	if ((ctx.listeners = rc_calloc(ctx.n, sizeof(*ctx.listeners))) ==
	    NULL) {
		curl_global_cleanup();
		return 1;
	}
	rc = sim_run(&ctx, ports_file, &sigs, &err);
	if (rc != RC_OK)
		fprintf(stderr, "raccord-sim: %s: %s\n", rc_strerror(rc),
		    err.msg);
	rc_free(ctx.listeners);
	curl_global_cleanup();
	return rc == RC_OK ? 0 : 1;
}
