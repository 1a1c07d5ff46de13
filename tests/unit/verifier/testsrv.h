/* SPDX-License-Identifier: MIT */
/*
 * Loopback HTTP(S) servers for the probe tests (header-only).
 *
 * testsrv_start binds libmicrohttpd to 127.0.0.1 on a port the kernel
 * picks, plain or with a certificate of $RC_TEST_CERTS, one thread per
 * connection, and serves a few canned routes:
 *
 *   /ok            200 "hello world\n"
 *   /.../redir     302 to the relative "next/page?x=1"
 *   /hop/N         302 to /hop/N-1; /hop/0 is 200 "arrived"
 *   /big           100000 bytes with Content-Length
 *   /bigchunked    100000 bytes, chunked
 *   /slow          one byte every 50 ms (a slow-drip server)
 *   /setcookie     two Set-Cookie headers (a=1, b=2)
 *   /echocookie    the Cookie header, or "none"
 *   /headers       Accept, Accept-Language and User-Agent as received
 *   /count         counts requests in flight, answers after 20 ms
 *   /echo          "METHOD body"
 *
 * It counts connections and requests in flight (max reached, per Host
 * header too) so tests can check the client's concurrency limits.
 * testsrv_raw_start is a bare TCP server that answers garbage.
 */
#ifndef RC_TESTS_VERIFIER_TESTSRV_H
#define RC_TESTS_VERIFIER_TESTSRV_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define TESTSRV_HOSTS 4

struct testsrv {
	struct MHD_Daemon *d;
	unsigned short port;
	pthread_mutex_t mu;
	int stop;
	int conns, max_conns, total_conns;
	int reqs, max_reqs, total_reqs;
	struct {
		char name[64];
		int cur, max;
	} host[TESTSRV_HOSTS];
	int hits_next; /* requests for the redirect target */
	char *cert, *key;
};

struct testsrv_req {
	struct testsrv *s;
	int counted;
	int host;
	char *body;
	size_t len;
};

static void
testsrv_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static char *
testsrv_slurp(const char *dir, const char *name, const char *ext)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Directory of the test certificates. */
static const char *
testsrv_certs(void)
{
	const char *d = getenv("RC_TEST_CERTS");

	return d != NULL ? d : "build/certs";
}

static int
testsrv_stopped(struct testsrv *s)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = s->stop;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static ssize_t
testsrv_drip(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct testsrv *s = cls;

	(void)max;
	if (pos >= 200 || testsrv_stopped(s))
		return MHD_CONTENT_READER_END_OF_STREAM;
	testsrv_sleep_ms(50);
	buf[0] = 'x';
	return 1;
}

static ssize_t
testsrv_chunks(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t n = max < 1000 ? max : 1000;

	(void)cls;
	if (pos >= 100000)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, 'y', n);
	return (ssize_t)n;
}

static enum MHD_Result
testsrv_send(struct MHD_Connection *c, unsigned int status, const char *body,
    size_t len, const char *h1, const char *v1)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	if (h1 != NULL)
		MHD_add_response_header(r, h1, v1);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Count one more request in flight for its Host header. */
static void
testsrv_count(struct testsrv *s, struct testsrv_req *rq, const char *host)
{
	int i;

	pthread_mutex_lock(&s->mu);
	rq->counted = 1;
	rq->host = -1;
	s->reqs++;
	s->total_reqs++;
	if (s->reqs > s->max_reqs)
		s->max_reqs = s->reqs;
	for (i = 0; host != NULL && i < TESTSRV_HOSTS; i++) {
		if (s->host[i].name[0] == '\0')
			snprintf(s->host[i].name, sizeof(s->host[i].name), "%s",
			    host);
		if (strcmp(s->host[i].name, host) == 0) {
			rq->host = i;
			if (++s->host[i].cur > s->host[i].max)
				s->host[i].max = s->host[i].cur;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
}

/* The request leaves the in-flight count (once). */
static void
testsrv_uncount(struct testsrv *s, struct testsrv_req *rq)
{
	pthread_mutex_lock(&s->mu);
	if (rq->counted) {
		rq->counted = 0;
		s->reqs--;
		if (rq->host >= 0)
			s->host[rq->host].cur--;
	}
	pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result
testsrv_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **req_cls)
{
	struct testsrv *s = cls;
	struct testsrv_req *rq = *req_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *v;
	char out[1024], loc[64];
	int n;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->s = s;
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		char *nb = realloc(rq->body, rq->len + *upload_len + 1);

		if (nb == NULL)
			return MHD_NO;
		rq->body = nb;
		memcpy(rq->body + rq->len, upload, *upload_len);
		rq->len += *upload_len;
		rq->body[rq->len] = '\0';
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/ok") == 0)
		return testsrv_send(c, 200, "hello world\n", 12, NULL, NULL);
	if (strlen(url) >= 6 && strcmp(url + strlen(url) - 6, "/redir") == 0)
		return testsrv_send(c, 302, "moved", 5, "Location",
		    "next/page?x=1");
	if (strstr(url, "/next/page") != NULL) {
		pthread_mutex_lock(&s->mu);
		s->hits_next++;
		pthread_mutex_unlock(&s->mu);
		return testsrv_send(c, 200, "next", 4, NULL, NULL);
	}
	if (strncmp(url, "/hop/", 5) == 0) {
		n = (int)strtol(url + 5, NULL, 10);
		if (n <= 0)
			return testsrv_send(c, 200, "arrived", 7, NULL, NULL);
		snprintf(loc, sizeof(loc), "/hop/%d", n - 1);
		return testsrv_send(c, 302, "", 0, "Location", loc);
	}
	if (strcmp(url, "/big") == 0) {
		char *big = malloc(100000);

		if (big == NULL)
			return MHD_NO;
		memset(big, 'z', 100000);
		ret = testsrv_send(c, 200, big, 100000, NULL, NULL);
		free(big);
		return ret;
	}
	if (strcmp(url, "/bigchunked") == 0 || strcmp(url, "/slow") == 0) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024,
		    strcmp(url, "/slow") == 0 ? testsrv_drip : testsrv_chunks,
		    s, NULL);
		if (r == NULL)
			return MHD_NO;
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/setcookie") == 0) {
		r = MHD_create_response_from_buffer(2, (void *)(uintptr_t) "ok",
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, "Set-Cookie", "a=1; Path=/");
		MHD_add_response_header(r, "Set-Cookie", "b=2; Path=/");
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/echocookie") == 0) {
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
		snprintf(out, sizeof(out), "%s", v != NULL ? v : "none");
		return testsrv_send(c, 200, out, strlen(out), NULL, NULL);
	}
	if (strcmp(url, "/headers") == 0) {
		const char *a, *l, *u;

		a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
		l = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Accept-Language");
		u = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "User-Agent");
		snprintf(out, sizeof(out), "accept=%s\nlang=%s\nua=%s\n",
		    a ? a : "", l ? l : "", u ? u : "");
		return testsrv_send(c, 200, out, strlen(out), NULL, NULL);
	}
	if (strcmp(url, "/count") == 0) {
		testsrv_count(s, rq,
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"));
		testsrv_sleep_ms(20);
		/*
		 * Leave the count before answering: the client cannot start
		 * another request in the slot before it has the answer.
		 */
		testsrv_uncount(s, rq);
		return testsrv_send(c, 200, "counted", 7, NULL, NULL);
	}
	if (strcmp(url, "/echo") == 0) {
		snprintf(out, sizeof(out), "%s %s", method,
		    rq->body != NULL ? rq->body : "");
		return testsrv_send(c, 200, out, strlen(out), NULL, NULL);
	}
	return testsrv_send(c, 404, "not found", 9, NULL, NULL);
}

static void
testsrv_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct testsrv *s = cls;
	struct testsrv_req *rq = *req_cls;

	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	testsrv_uncount(s, rq);
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}

static void
testsrv_conn(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct testsrv *s = cls;

	(void)c;
	(void)socket_context;
	pthread_mutex_lock(&s->mu);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		s->conns++;
		s->total_conns++;
		if (s->conns > s->max_conns)
			s->max_conns = s->conns;
	} else {
		s->conns--;
	}
	pthread_mutex_unlock(&s->mu);
}

/*
 * Start a server; certname NULL for plain HTTP, else "server", "expired",
 * "wronghost", "selfsigned" (files of $RC_TEST_CERTS).  0 on success.
 */
static int
testsrv_start(struct testsrv *s, const char *certname)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	unsigned int flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (certname != NULL) {
		s->cert = testsrv_slurp(testsrv_certs(), certname, "pem");
		s->key = testsrv_slurp(testsrv_certs(), certname, "key");
		if (s->cert == NULL || s->key == NULL)
			return -1;
		s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    testsrv_access, s, MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_NOTIFY_COMPLETED, testsrv_completed, s,
		    MHD_OPTION_NOTIFY_CONNECTION, testsrv_conn, s,
		    MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		    MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_HTTPS_MEM_CERT,
		    s->cert, MHD_OPTION_END);
	} else {
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, testsrv_access, s,
		    MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_NOTIFY_COMPLETED,
		    testsrv_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
		    testsrv_conn, s, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		    MHD_OPTION_END);
	}
	if (s->d == NULL)
		return -1;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		return -1;
	s->port = info->port;
	return 0;
}

static void
testsrv_stop(struct testsrv *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	s->d = NULL;
	free(s->cert);
	free(s->key);
	s->cert = s->key = NULL;
	pthread_mutex_destroy(&s->mu);
}

/* A bare TCP server that answers every connection with garbage. */
struct testsrv_raw {
	int fd;
	unsigned short port;
	pthread_t th;
};

static void *
testsrv_raw_main(void *arg)
{
	struct testsrv_raw *r = arg;
	static const char junk[] = "SSH-2.0-notHTTP\r\n\r\n";
	char buf[2048];
	int c;

	while ((c = accept(r->fd, NULL, NULL)) >= 0) {
		if (recv(c, buf, sizeof(buf), 0) > 0)
			(void)!send(c, junk, sizeof(junk) - 1, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static int
testsrv_raw_start(struct testsrv_raw *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(r->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(r->fd, 8) != 0 ||
	    getsockname(r->fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	r->port = ntohs(sin.sin_port);
	return pthread_create(&r->th, NULL, testsrv_raw_main, r) == 0 ? 0 : -1;
}

static void
testsrv_raw_stop(struct testsrv_raw *r)
{
	shutdown(r->fd, SHUT_RDWR);
	pthread_join(r->th, NULL);
	close(r->fd);
}

#endif /* RC_TESTS_VERIFIER_TESTSRV_H */
