/* SPDX-License-Identifier: MIT */
/*
 * The credentials given with submissions, held in memory only (the
 * credential model of issue 8: an API token travels in the submission,
 * lives in memory for the check and is never stored).  The job store
 * keeps only each credential's SHA-256 in the dossier
 * ("credential_sha256"); the worker takes the bytes from here for the
 * job's runs, matched by job id, integration and fingerprint.
 *
 * A credential is held from its submission until the job's award is
 * recorded, or DAEMON_VAULT_TTL seconds, whichever comes first; at most
 * DAEMON_VAULT_MAX at once (the oldest goes first).  It is wiped
 * (OPENSSL_cleanse) whenever it goes.  A restart loses them all: a job
 * that still needs one then ends in error, asking for a new submission.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/daemon/daemon_int.h"

struct vault_entry {
	char id[STORE_ID_LEN + 1];
	size_t idx;   /* the integration */
	char sha[65]; /* its fingerprint, as stored */
	char *bytes;  /* owned, wiped */
	size_t len;
	time_t expires;
};

struct daemon_vault {
	pthread_mutex_t gate; /* a submission against the worker's claim */
	pthread_mutex_t mu;
	struct vault_entry e[DAEMON_VAULT_MAX];
	size_t n;
};

static void
entry_wipe(struct vault_entry *e)
{
	rc_free_secret(e->bytes, e->len);
	memset(e, 0, sizeof(*e));
}

/* Remove entry i (keeps the order: oldest first). */
static void
entry_remove(struct daemon_vault *v, size_t i)
{
	entry_wipe(&v->e[i]);
	memmove(&v->e[i], &v->e[i + 1], (v->n - i - 1) * sizeof(v->e[0]));
	v->n--;
	memset(&v->e[v->n], 0, sizeof(v->e[0]));
}

static void
sweep(struct daemon_vault *v, time_t now)
{
	size_t i = 0;

	while (i < v->n)
		if (v->e[i].expires <= now)
			entry_remove(v, i);
		else
			i++;
}

enum rc_code
vault_new(struct daemon_vault **out)
{
	struct daemon_vault *v;

	*out = NULL;
	if ((v = rc_calloc(1, sizeof(*v))) == NULL)
		return RC_ENOMEM;
	pthread_mutex_init(&v->gate, NULL);
	pthread_mutex_init(&v->mu, NULL);
	*out = v;
	return RC_OK;
}

void
vault_free(struct daemon_vault *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		entry_wipe(&v->e[i]);
	pthread_mutex_destroy(&v->mu);
	pthread_mutex_destroy(&v->gate);
	rc_free(v);
}

void
vault_gate(struct daemon_vault *v, int hold)
{
	if (hold)
		pthread_mutex_lock(&v->gate);
	else
		pthread_mutex_unlock(&v->gate);
}

void
vault_drop(struct daemon_vault *v, const char *id)
{
	size_t i = 0;

	pthread_mutex_lock(&v->mu);
	while (i < v->n)
		if (strcmp(v->e[i].id, id) == 0)
			entry_remove(v, i);
		else
			i++;
	pthread_mutex_unlock(&v->mu);
}

enum rc_code
vault_put(struct daemon_vault *v, const char *id, struct dossier *d, time_t now)
{
	struct dossier_integration *in;
	struct vault_entry *e;
	size_t i, k;

	pthread_mutex_lock(&v->mu);
	sweep(v, now);
	/*
	 * One step under the lock: a worker filling this job's dossier never
	 * sees it between the old credentials and the new (review finding:
	 * vault_drop then a second lock left that gap).  A credential for
	 * the same integration with another fingerprint is refused, never
	 * replaced.
	 */
	for (k = 0; k < v->n; k++) {
		if (strcmp(v->e[k].id, id) != 0)
			continue;
		for (i = 0; i < d->nintegrations; i++) {
			in = &d->integrations[i];
			if (v->e[k].idx == i && in->secret_mem != NULL &&
			    CRYPTO_memcmp(v->e[k].sha, in->submitted_sha256,
			        64) != 0) {
				pthread_mutex_unlock(&v->mu);
				return RC_EINVAL;
			}
		}
	}
	k = 0;
	while (k < v->n)
		if (strcmp(v->e[k].id, id) == 0)
			entry_remove(v, k);
		else
			k++;
	for (i = 0; i < d->nintegrations; i++) {
		in = &d->integrations[i];
		if (in->secret_mem == NULL || in->submitted_sha256[0] == '\0')
			continue;
		if (v->n == DAEMON_VAULT_MAX) {
			log_warn("credential vault full (%d): the oldest "
			         "credential (job=%s) is forgotten",
			    DAEMON_VAULT_MAX, v->e[0].id);
			entry_remove(v, 0);
		}
		e = &v->e[v->n++];
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->idx = i;
		memcpy(e->sha, in->submitted_sha256, sizeof(e->sha));
		e->bytes = in->secret_mem; /* transferred */
		e->len = in->secret_mem_len;
		e->expires = now + DAEMON_VAULT_TTL;
		in->secret_mem = NULL;
		in->secret_mem_len = 0;
	}
	pthread_mutex_unlock(&v->mu);
	return RC_OK;
}

enum rc_code
vault_fill(struct daemon_vault *v, const char *id, struct dossier *d,
    time_t now, long *missing)
{
	struct dossier_integration *in;
	enum rc_code rc = RC_OK;
	size_t i, k;

	*missing = -1;
	pthread_mutex_lock(&v->mu);
	sweep(v, now);
	for (i = 0; i < d->nintegrations && rc == RC_OK; i++) {
		in = &d->integrations[i];
		if (in->submitted_sha256[0] == '\0')
			continue;
		for (k = 0; k < v->n; k++)
			if (v->e[k].idx == i && strcmp(v->e[k].id, id) == 0 &&
			    CRYPTO_memcmp(v->e[k].sha, in->submitted_sha256,
			        64) == 0)
				break;
		if (k == v->n) {
			if (*missing < 0)
				*missing = (long)i;
			continue;
		}
		rc_free_secret(in->secret_mem, in->secret_mem_len);
		if ((in->secret_mem = rc_malloc(v->e[k].len + 1)) == NULL) {
			in->secret_mem_len = 0;
			rc = RC_ENOMEM;
			break;
		}
		memcpy(in->secret_mem, v->e[k].bytes, v->e[k].len);
		in->secret_mem[v->e[k].len] = '\0';
		in->secret_mem_len = v->e[k].len;
	}
	pthread_mutex_unlock(&v->mu);
	return rc;
}
