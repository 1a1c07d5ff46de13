/* SPDX-License-Identifier: MIT */
/*
 * The internal metrics listener (daemon.metrics_listen): a second
 * libmicrohttpd daemon that answers only GET /metrics, with the same
 * Prometheus text as the main listener (http_get_metrics), and without a
 * token, as transparency-log daemons do on their internal port (ctfe's
 * --metrics_endpoint, Sigsum's internal listener): the address is meant
 * to be reachable only by the monitoring system.  When it is set, the
 * main listener answers /metrics 404 (http.c), so the public side shows
 * no operational detail.  Every other path here is 404, another method
 * 405; a request body is read and dropped.
 */
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "connector/daemon/http_int.h"

/* Connections the monitoring system may hold open at once. */
#define METRICS_CONNECTIONS 16

static enum MHD_Result
metrics_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	static int started;
	struct http_ctx x;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		/* First call: the headers; a marker, nothing allocated. */
		*req_cls = &started;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&x, 0, sizeof(x));
	x.dm = cls;
	x.c = c;
	x.method = method;
	x.url = url;
	if (strcmp(url, "/metrics") != 0)
		return http_respond_error(&x, MHD_HTTP_NOT_FOUND,
		    "no such route: this listener serves only GET /metrics");
	if (strcmp(method, "GET") != 0)
		return http_respond_method(&x, "GET");
	return http_get_metrics(&x);
}

static void
metrics_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("libmicrohttpd (metrics): %s", msg);
}

enum rc_code
metrics_start(struct daemon *dm, struct MHD_Daemon **out, struct rc_err *err)
{
	const struct cfg *cfg = dm->pl.cfg;
	struct sockaddr_storage ss;
	unsigned int flags;
	enum rc_code rc;
	int v6 = 0;

	*out = NULL;
	if (cfg->daemon_metrics_listen == NULL)
		return RC_OK;
	if (strcmp(cfg->daemon_metrics_listen, cfg->daemon_listen) == 0)
		return RC_ERR(err, RC_ECONFIG,
		    "daemon.metrics_listen: the same address as "
		    "daemon.listen (%s); give the internal listener its own "
		    "port, or remove it to serve /metrics on daemon.listen",
		    cfg->daemon_listen);
	if ((rc = http_listen_addr("daemon.metrics_listen",
	         cfg->daemon_metrics_listen, &ss, &v6, err)) != RC_OK)
		return rc;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_ITC | MHD_USE_AUTO;
	if (v6)
		flags |= MHD_USE_IPv6;
	*out = MHD_start_daemon(flags, 0, NULL, NULL, metrics_handler, dm,
	    MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)METRICS_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)cfg->daemon_conn_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)DAEMON_CONN_MEMORY,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_log, NULL, MHD_OPTION_END);
	if (*out == NULL)
		return RC_ERR(err, RC_ESYS,
		    "daemon.metrics_listen: cannot listen on %s (in use, or "
		    "not an address of this host; libmicrohttpd says why "
		    "above)",
		    cfg->daemon_metrics_listen);
	return RC_OK;
}
