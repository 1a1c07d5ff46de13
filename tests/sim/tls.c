/* SPDX-License-Identifier: MIT */
/*
 * TLS session resumption on every TLS listener, as real sites offer it:
 * GnuTLS issues session tickets (one key per simulator run) and, for TLS
 * 1.2 clients that send no ticket (libcurl turns TLS 1.2 tickets off),
 * keeps sessions by ID in a small in-memory cache; and the simulator counts
 * the TLS connections of each listener as they close, resumed or not (a
 * full handshake, or one that failed), for tests that check a client
 * resumes its sessions, and only where its checks passed:
 * GET /_sim/tls answers "full=N resumed=M" for the listener asked.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "common/log.h"
#include "tests/sim/sim.h"

static gnutls_datum_t sim_ticket_key;

/* The TLS 1.2 session-ID cache: a ring, the oldest entry overwritten. */
#define SIM_TLS_DB_SLOTS 256
#define SIM_TLS_ID_MAX   32
#define SIM_TLS_DATA_MAX 4096
struct sim_tls_entry {
	unsigned char id[SIM_TLS_ID_MAX];
	size_t idlen;
	unsigned char data[SIM_TLS_DATA_MAX];
	size_t len;
};
static struct sim_tls_entry sim_tls_db[SIM_TLS_DB_SLOTS];
static size_t sim_tls_db_next;
static pthread_mutex_t sim_tls_db_mu = PTHREAD_MUTEX_INITIALIZER;

static struct sim_tls_entry *
db_find(gnutls_datum_t key)
{
	size_t i;

	for (i = 0; i < SIM_TLS_DB_SLOTS; i++)
		if (sim_tls_db[i].idlen != 0 &&
		    sim_tls_db[i].idlen == key.size &&
		    memcmp(sim_tls_db[i].id, key.data, key.size) == 0)
			return &sim_tls_db[i];
	return NULL;
}

static int
db_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
	struct sim_tls_entry *e;

	(void)ptr;
	if (key.size == 0 || key.size > SIM_TLS_ID_MAX ||
	    data.size > SIM_TLS_DATA_MAX)
		return -1;
	pthread_mutex_lock(&sim_tls_db_mu);
	if ((e = db_find(key)) == NULL) {
		e = &sim_tls_db[sim_tls_db_next];
		sim_tls_db_next = (sim_tls_db_next + 1) % SIM_TLS_DB_SLOTS;
	}
	memcpy(e->id, key.data, key.size);
	e->idlen = key.size;
	memcpy(e->data, data.data, data.size);
	e->len = data.size;
	pthread_mutex_unlock(&sim_tls_db_mu);
	return 0;
}

static gnutls_datum_t
db_retrieve(void *ptr, gnutls_datum_t key)
{
	gnutls_datum_t out = { NULL, 0 };
	struct sim_tls_entry *e;

	(void)ptr;
	pthread_mutex_lock(&sim_tls_db_mu);
	/* GnuTLS frees the copy with gnutls_free (malloc by default). */
	if ((e = db_find(key)) != NULL &&
	    (out.data = gnutls_malloc(e->len)) != NULL) {
		memcpy(out.data, e->data, e->len);
		out.size = (unsigned int)e->len;
	}
	pthread_mutex_unlock(&sim_tls_db_mu);
	return out;
}

static int
db_remove(void *ptr, gnutls_datum_t key)
{
	struct sim_tls_entry *e;

	(void)ptr;
	pthread_mutex_lock(&sim_tls_db_mu);
	if ((e = db_find(key)) != NULL)
		e->idlen = 0;
	pthread_mutex_unlock(&sim_tls_db_mu);
	return 0;
}

int
sim_tls_init(void)
{
	if (sim_ticket_key.data != NULL)
		return 0;
	return gnutls_session_ticket_key_generate(&sim_ticket_key) == 0 ? 0
	                                                                : -1;
}

void
sim_tls_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sim_listener *l = cls;
	const union MHD_ConnectionInfo *ci;

	(void)socket_ctx;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Before the handshake: MHD made the session, nothing read. */
		if (ci == NULL || ci->tls_session == NULL)
			return;
		if (sim_ticket_key.data != NULL &&
		    gnutls_session_ticket_enable_server(ci->tls_session,
		        &sim_ticket_key) != 0)
			log_warn("cannot enable TLS session tickets");
		gnutls_db_set_store_function(ci->tls_session, db_store);
		gnutls_db_set_retrieve_function(ci->tls_session, db_retrieve);
		gnutls_db_set_remove_function(ci->tls_session, db_remove);
		gnutls_db_set_ptr(ci->tls_session, NULL);
		return;
	}
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED && ci != NULL &&
	    ci->tls_session != NULL)
		atomic_fetch_add(gnutls_session_is_resumed(ci->tls_session)
		        ? &l->tls_resumed
		        : &l->tls_full,
		    1);
}

enum MHD_Result
sim_tls_counts(struct sim_req *req)
{
	char t[64];

	snprintf(t, sizeof(t), "full=%ld resumed=%ld\n",
	    atomic_load(&req->l->tls_full), atomic_load(&req->l->tls_resumed));
	return sim_send_text(req, MHD_HTTP_OK, "text/plain", t);
}
