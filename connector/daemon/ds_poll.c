/* SPDX-License-Identifier: MIT */
/*
 * The daemon's démarches-simplifiées poller (intake.ds.poll_interval_s,
 * docs/intake.md).  Every interval, one pass over the procedure with the
 * code of `raccord intake run --once` (connector/intake/intake_run.c:
 * intake_ds_pages, intake_ds_map, the annotation text): dossiers
 * changed since the last dateDerniereModification kept in the job store
 * are mapped; a mapped dossier whose content differs from the one last
 * queued becomes a job (the store's ds_dossiers row maps the DS number
 * to it), one that does not map gets its reason in the annotation and
 * the log.  The worker writes the verdict back after the check
 * (ds_writeback_job), and again after an award.
 *
 * DS down (network, 429, 5xx): the pass stops, the cursor stays, the
 * next poll waits Retry-After (at least the interval; doubling up to an
 * hour without one).  A write-back that fails is marked pending in the
 * store and redone at the next poll: the job itself is never marked
 * failed because DS is down.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/mem.h"
#include "connector/daemon/daemon_int.h"
#include "connector/intake/intake_run.h"

#define DS_BACKOFF_MAX 3600
#define DS_PENDING_MAX 256
#define DS_SUBMITTER   "intake-ds"

enum ds_counter {
	DSC_SEEN,
	DSC_MAPPED,
	DSC_REFUSED,
	DSC_QUEUED,
	DSC_AWAITING,
	DSC_ANNOTATED,
	DSC_UNCHANGED,
	DSC_INSTRUCTED,
	DSC_ERRORS,
	DSC_POLLS,
	DSC_UNAVAILABLE,
	DSC__MAX
};
static const char *const ds_counter_names[DSC__MAX] = {
	[DSC_SEEN] = "seen",
	[DSC_MAPPED] = "mapped",
	[DSC_REFUSED] = "refused",
	[DSC_QUEUED] = "queued",
	[DSC_AWAITING] = "awaiting_credential",
	[DSC_ANNOTATED] = "annotations_written",
	[DSC_UNCHANGED] = "annotations_unchanged",
	[DSC_INSTRUCTED] = "instructed",
	[DSC_ERRORS] = "errors",
	[DSC_POLLS] = "polls",
	[DSC_UNAVAILABLE] = "unavailable",
};
static pthread_mutex_t ds_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long ds_count[DSC__MAX];

static void
count(enum ds_counter c)
{
	pthread_mutex_lock(&ds_mu);
	ds_count[c]++;
	pthread_mutex_unlock(&ds_mu);
}

void
ds_poll_metrics(struct rc_buf *b)
{
	unsigned long long n[DSC__MAX];
	int i;

	pthread_mutex_lock(&ds_mu);
	memcpy(n, ds_count, sizeof(n));
	pthread_mutex_unlock(&ds_mu);
	rc_buf_adds(b,
	    "# HELP raccord_intake_ds_total démarches-simplifiées intake "
	    "(the daemon's poller and write-back), by what happened.\n"
	    "# TYPE raccord_intake_ds_total counter\n");
	for (i = 0; i < DSC__MAX; i++)
		rc_buf_addf(b, "raccord_intake_ds_total{what=\"%s\"} %llu\n",
		    ds_counter_names[i], n[i]);
}

/* daemon.public_url without its trailing slashes. */
static int
url_len(const struct cfg *cfg)
{
	size_t n = strlen(cfg->daemon_public_url);

	while (n > 0 && cfg->daemon_public_url[n - 1] == '/')
		n--;
	return (int)n;
}

static const char *
str_or(json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* The lines after the verdict: permalink, award, receipt. */
static void
extra_lines(const struct cfg *cfg, const char *job_id, json_t *job,
    struct rc_buf *b)
{
	json_t *award = json_object_get(job, "award"), *d;
	const char *ev;
	size_t i;

	if (cfg->daemon_public_url != NULL)
		rc_buf_addf(b, "Rapport : %.*s/v1/dossiers/%s", url_len(cfg),
		    cfg->daemon_public_url, job_id);
	if (!json_is_object(award))
		return;
	json_array_foreach(json_object_get(award, "decisions"), i, d)
	{
		const char *out =
		    json_string_value(json_object_get(d, "outcome"));
		json_t *seq = json_object_get(d, "seq"),
		       *amt = json_object_get(d, "amount_cents");
		const char *reason =
		    json_string_value(json_object_get(d, "reason"));

		rc_buf_addf(b, "%sAttribution (%s) : %s", b->len ? "\n" : "",
		    str_or(json_object_get(d, "section"), "?"),
		    out == NULL                       ? "?"
		        : strcmp(out, "awarded") == 0 ? "accordée"
		        : strcmp(out, "already") == 0 ? "déjà accordée"
		        : strcmp(out, "refused") == 0 ? "refusée"
		        : strcmp(out, "held") == 0    ? "en attente"
		                                      : out);
		if (json_is_integer(amt))
			rc_buf_addf(b, ", %lld,%02lld €",
			    (long long)json_integer_value(amt) / 100,
			    (long long)json_integer_value(amt) % 100);
		if (json_is_integer(seq)) {
			rc_buf_addf(b, ", registre n° %lld",
			    (long long)json_integer_value(seq));
			if (cfg->daemon_public_url != NULL)
				rc_buf_addf(b,
				    "\nReçu : %.*s/v1/ledger/proof/%lld",
				    url_len(cfg), cfg->daemon_public_url,
				    (long long)json_integer_value(seq));
		}
		if (reason != NULL)
			rc_buf_addf(b, " (%s)", reason);
	}
	if ((ev = json_string_value(
	         json_object_get(award, "evidence_sha256"))) != NULL)
		rc_buf_addf(b, "%sEmpreinte des preuves (SHA-256) : %s",
		    b->len ? "\n" : "", ev);
}

/* The DS token, or NULL (logged). */
static const char *
ds_token(const struct cfg *cfg)
{
	const char *t = cfg->intake_ds_token_env != NULL
	    ? getenv(cfg->intake_ds_token_env)
	    : NULL;

	if (t == NULL || t[0] == '\0') {
		log_error("intake=ds the variable %s (intake.ds.token_env) is "
		          "not set",
		    cfg->intake_ds_token_env ? cfg->intake_ds_token_env
		                             : "(null)");
		return NULL;
	}
	return t;
}

/* Whether job jid's stored dossier names a DGFiP API (client id and
 * secret rather than a token); 0 when it cannot be read. */
static bool
job_dgfip(struct daemon *dm, const char *jid)
{
	struct rc_err err = { 0 };
	char *dossier = NULL, *award = NULL, state[24];
	json_t *root, *in;
	bool yes = false;
	size_t i;

	if (store_credential_target(dm->store, jid, &dossier, &award, state,
	        &err) != RC_OK ||
	    dossier == NULL)
		return false;
	if ((root = json_loads(dossier, JSON_REJECT_DUPLICATES, NULL)) !=
	    NULL) {
		json_array_foreach(json_object_get(root, "integrations"), i,
		    in) if (intake_ds_dgfip(json_string_value(json_object_get(in,
		                "api")))) yes = true;
		json_decref(root);
	}
	rc_free(dossier);
	rc_free(award);
	return yes;
}

/*
 * Write the outcome of row's job into its annotation (and pass it into
 * instruction when configured).  RC_ENET when DS is down: the row stays
 * pending.
 */
static enum rc_code
writeback_row(struct daemon *dm, json_t *row, int *retry_after)
{
	const struct cfg *cfg = dm->pl.cfg;
	struct rc_err err = { 0 };
	struct rc_buf text, extra;
	json_t *job = NULL;
	const char *token, *jid, *state, *errmsg, *ds_state;
	long long num =
	    (long long)json_integer_value(json_object_get(row, "number"));
	enum rc_code rc = RC_OK;
	int written = 0;

	*retry_after = 0;
	jid = json_string_value(json_object_get(row, "job_id"));
	if (jid == NULL)
		return RC_OK;
	if (store_get(dm->store, jid, &job, &err) != RC_OK || job == NULL) {
		log_error("intake=ds dossier=%lld job=%s: %s", num, jid,
		    job == NULL ? "no such job" : err.msg);
		count(DSC_ERRORS);
		return RC_OK;
	}
	state = json_string_value(json_object_get(job, "state"));
	if (state == NULL ||
	    (strcmp(state, "done") != 0 && strcmp(state, "error") != 0 &&
	        strcmp(state, "awaiting_credential") != 0)) {
		json_decref(job); /* queued again: written when it ends */
		return RC_OK;
	}
	if ((token = ds_token(cfg)) == NULL) {
		json_decref(job);
		count(DSC_ERRORS);
		return RC_ECONFIG; /* pending: released as failed */
	}
	rc_buf_init(&text, 64 * 1024);
	rc_buf_init(&extra, 16 * 1024);
	if (strcmp(state, "awaiting_credential") == 0) {
		/* An API dossier: where the collectivité gives its token
		 * (a DGFiP API: its client id and secret). */
		if (intake_ds_waiting_text(cfg->daemon_public_url, num,
		        job_dgfip(dm, jid), &text) != RC_OK) {
			rc = RC_ENOMEM;
			goto out;
		}
		goto annotate;
	}
	errmsg = json_string_value(json_object_get(job, "error"));
	if (strcmp(state, "error") == 0 && errmsg != NULL)
		rc_buf_addf(&extra, "Erreur : %s", errmsg);
	else if (errmsg != NULL)
		rc_buf_addf(&extra, "Note : %s", errmsg);
	if (extra.len > 0)
		rc_buf_adds(&extra, "\n");
	extra_lines(cfg, jid, job, &extra);
	if (intake_ds_annotation_text(strcmp(state, "done") == 0
	            ? json_object_get(job, "report")
	            : NULL,
	        NULL, extra.data, &text) != RC_OK) {
		rc = RC_ENOMEM;
		goto out;
	}
annotate:
	rc = intake_ds_annotate(cfg, token,
	    json_string_value(json_object_get(row, "node_id")), num,
	    json_string_value(json_object_get(row, "annotation_id")),
	    json_string_value(json_object_get(row, "written")), text.data,
	    &written, retry_after, &err);
	if (rc != RC_OK)
		goto out;
	count(written ? DSC_ANNOTATED : DSC_UNCHANGED);
	log_info("intake=ds dossier=%lld job=%s verdict=%s annotation=%s", num,
	    jid, str_or(json_object_get(job, "verdict"), "-"),
	    written ? "written" : "unchanged");
	ds_state = json_string_value(json_object_get(row, "ds_state"));
	if (cfg->intake_ds_auto_instruction && strcmp(state, "done") == 0 &&
	    !json_is_true(json_object_get(row, "instructed")) &&
	    ds_state != NULL && strcmp(ds_state, "en_construction") == 0) {
		if ((rc = intake_ds_instruct(cfg, token,
		         json_string_value(json_object_get(row, "node_id")),
		         num, retry_after, &err)) != RC_OK)
			goto out;
		count(DSC_INSTRUCTED);
		log_info("intake=ds dossier=%lld passed into instruction", num);
		store_ds_mark(dm->store, num, NULL, "en_instruction", 1, -1,
		    &err);
	}
	if (store_ds_mark(dm->store, num, text.data, NULL, -1, -1, &err) !=
	    RC_OK)
		log_error("intake=ds dossier=%lld: %s", num, err.msg);
out:
	if (rc != RC_OK) {
		count(DSC_ERRORS);
		log_warn("intake=ds dossier=%lld job=%s write-back pending: %s",
		    num, jid, rc == RC_ENOMEM ? "out of memory" : err.msg);
	}
	rc_buf_free(&text);
	rc_buf_free(&extra);
	json_decref(job);
	return rc;
}

/*
 * DS dossier num's write-back by exactly one writer: the worker (a job
 * ended) and the poller (pending write-backs) may both ask at once.  The
 * row is claimed in one store statement; the loser leaves it marked, and
 * the winner's release makes it pending again (redone at the next poll),
 * so the latest outcome is still written.  The row is read after the
 * claim: what was written or instructed before is seen.  RC_ENET when DS
 * is down (the row stays pending).
 */
static enum rc_code
writeback_claimed(struct daemon *dm, long long num, int *retry_after)
{
	struct rc_err err = { 0 };
	json_t *row = NULL;
	enum rc_code rc = RC_OK;
	int claimed = 0;

	*retry_after = 0;
	if (store_ds_claim(dm->store, num, &claimed, &err) != RC_OK) {
		log_error("intake=ds dossier=%lld: %s", num, err.msg);
		return RC_OK;
	}
	if (!claimed) {
		log_info("intake=ds dossier=%lld write-back under way "
		         "elsewhere: redone after it",
		    num);
		return RC_OK;
	}
	if (store_ds_get(dm->store, num, &row, &err) == RC_OK && row != NULL)
		rc = writeback_row(dm, row, retry_after);
	json_decref(row);
	if (store_ds_release(dm->store, num, rc != RC_OK, &err) != RC_OK)
		log_error("intake=ds dossier=%lld: %s", num, err.msg);
	return rc;
}

void
ds_writeback_job(struct daemon *dm, const char *job_id)
{
	struct rc_err err = { 0 };
	json_t *row = NULL;
	int retry;

	if (dm->pl.cfg->intake_ds_poll_interval == 0 ||
	    dm->pl.cfg->intake_ds_demarche == 0)
		return;
	if (store_ds_by_job(dm->store, job_id, &row, &err) != RC_OK) {
		log_error("intake=ds job=%s: %s", job_id, err.msg);
		return;
	}
	if (row != NULL)
		writeback_claimed(dm,
		    (long long)json_integer_value(
		        json_object_get(row, "number")),
		    &retry);
	json_decref(row);
}

struct poll_ctx {
	struct daemon *dm;
	const char *token;
	struct intake_ds_mapping m;
	int incomplete; /* a dossier not queued: keep the cursor */
};

/* A dossier that does not map: its reason into the annotation. */
static enum rc_code
refused(struct poll_ctx *x, json_t *node, long long num, const char *aid,
    const char *cur, const char *why, int fresh, struct rc_err *err)
{
	const struct cfg *cfg = x->dm->pl.cfg;
	struct rc_buf text;
	enum rc_code rc;
	int written = 0, retry;

	if (fresh) {
		count(DSC_REFUSED);
		log_warn("intake=ds dossier=%lld refused: %s", num, why);
	}
	rc_buf_init(&text, 64 * 1024);
	if (intake_ds_annotation_text(NULL, why, NULL, &text) != RC_OK) {
		rc_buf_free(&text);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	rc = intake_ds_annotate(cfg, x->token,
	    json_string_value(json_object_get(node, "id")), num, aid, cur,
	    text.data, &written, &retry, err);
	if (rc == RC_OK) {
		count(written ? DSC_ANNOTATED : DSC_UNCHANGED);
		rc = store_ds_seen(x->dm->store, num,
		    json_string_value(json_object_get(node, "id")), aid,
		    json_string_value(json_object_get(node, "state")),
		    json_string_value(
		        json_object_get(node, "dateDerniereModification")),
		    text.data, NULL, NULL, err);
	}
	rc_buf_free(&text);
	return rc;
}

/* One dossier of a poll. */
static enum rc_code
poll_node(void *arg, json_t *node, struct rc_err *err)
{
	struct poll_ctx *x = arg;
	struct daemon *dm = x->dm;
	struct rc_err merr = { 0 }, e2 = { 0 };
	struct dossier *d = NULL;
	json_t *dj = NULL, *row = NULL;
	const char *aid, *cur, *old, *mod, *siren;
	char *canon = NULL, sha[RC_SHA256_HEX_LEN], idem[RC_SHA256_HEX_LEN],
	     id[STORE_ID_LEN + 1], key[256];
	long long num =
	    (long long)json_integer_value(json_object_get(node, "number"));
	enum rc_code rc = RC_OK;
	int existed = 0, full = 0, awaiting = 0, fresh;

	/*
	 * Counted once per dossier and change, not per read: DS sends again,
	 * at every poll, the dossiers modified at the cursor's instant.
	 */
	mod = json_string_value(
	    json_object_get(node, "dateDerniereModification"));
	if ((rc = store_ds_get(dm->store, num, &row, err)) != RC_OK)
		return rc;
	old = json_string_value(json_object_get(row, "modified"));
	fresh =
	    row == NULL || old == NULL || mod == NULL || strcmp(old, mod) != 0;
	if (fresh)
		count(DSC_SEEN);
	if (intake_ds_annotation_of(dm->pl.cfg, node, &aid, &cur, &e2) !=
	    RC_OK) {
		/* A procedure without the annotation: nothing can be said. */
		count(DSC_ERRORS);
		log_error("intake=ds %s", e2.msg);
		x->incomplete = 1;
		goto out;
	}
	if (intake_ds_map(node, &x->m, &dj, &d, &merr) != RC_OK) {
		rc = refused(x, node, num, aid, cur, merr.msg, fresh, err);
		goto out;
	}
	if (fresh)
		count(DSC_MAPPED);
	siren = json_string_value(
	    json_object_get(json_object_get(dj, "collectivite"), "siren"));
	if ((canon = json_dumps(dj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
	    rc_sha256_hex(canon, strlen(canon), sha) != RC_OK) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	old = json_string_value(json_object_get(row, "content_sha256"));
	if (old != NULL && strcmp(old, sha) == 0 &&
	    json_string_value(json_object_get(row, "job_id")) != NULL) {
		/* Not changed since its check: not queued again. */
		snprintf(id, sizeof(id), "%s",
		    json_string_value(json_object_get(row, "job_id")));
	} else {
		/* The job's key: this content at this modification. */
		snprintf(key, sizeof(key), "ds:%lld:%s:%s", num, sha,
		    mod ? mod : "");
		if (rc_sha256_hex(key, strlen(key), idem) != RC_OK) {
			rc = RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		/*
		 * An API dossier waits for its token (docs/intake.md,
		 * "Credentials"): its job is not queued until it comes.
		 */
		awaiting = intake_ds_awaiting(d);
		if ((rc = (awaiting ? store_submit_awaiting
		                    : store_submit)(dm->store, idem, canon,
		         d->dossier_id, siren ? siren : "", DS_SUBMITTER,
		         dm->pl.cfg->daemon_queue_max, id, &existed, &full,
		         err)) != RC_OK)
			goto out;
		if (full) {
			log_warn("intake=ds dossier=%lld not queued: the queue "
			         "is full (daemon.queue_max); next poll",
			    num);
			x->incomplete = 1;
			goto out;
		}
		count(awaiting ? DSC_AWAITING : DSC_QUEUED);
		log_info("intake=ds dossier=%lld job=%s %s", num, id,
		    existed        ? "known"
		        : awaiting ? "awaiting its API token"
		                   : "queued");
		if (existed || awaiting)
			worker_wake(dm); /* nothing new to claim */
		else
			worker_kick(dm);
	}
	rc = store_ds_seen(dm->store, num,
	    json_string_value(json_object_get(node, "id")), aid,
	    json_string_value(json_object_get(node, "state")), mod ? mod : "",
	    cur, sha, id, err);
	/* Waiting: say so now (the worker writes the others back). */
	if (rc == RC_OK && awaiting)
		ds_writeback_job(dm, id);
out:
	free(canon); /* json_dumps */
	json_decref(dj);
	json_decref(row);
	dossier_free(d);
	return rc;
}

/* Redo the write-backs left pending; RC_ENET stops (DS still down). */
static enum rc_code
redo_pending(struct daemon *dm, int *retry_after)
{
	struct rc_err err = { 0 };
	long long nums[DS_PENDING_MAX];
	size_t i, n;
	enum rc_code rc = RC_OK;

	if (store_ds_pending(dm->store, nums, DS_PENDING_MAX, &n, &err) !=
	    RC_OK) {
		log_error("intake=ds %s", err.msg);
		return RC_OK;
	}
	for (i = 0; i < n && rc != RC_ENET; i++)
		rc = writeback_claimed(dm, nums[i], retry_after);
	return rc;
}

/* One poll; *retry_after from DS when it is down. */
static enum rc_code
poll_once(struct daemon *dm, int *retry_after, struct rc_err *err)
{
	struct poll_ctx x;
	char since[INTAKE_DS_DATE_MAX], latest[INTAKE_DS_DATE_MAX];
	size_t pages = 0;
	enum rc_code rc;

	memset(&x, 0, sizeof(x));
	x.dm = dm;
	count(DSC_POLLS);
	if ((rc = intake_ds_setup(dm->pl.cfg, &x.token, &x.m, err)) != RC_OK)
		return rc;
	if ((rc = redo_pending(dm, retry_after)) == RC_ENET)
		return RC_ERR(err, RC_ENET,
		    "DS unavailable while writing back (Retry-After %d s)",
		    *retry_after);
	if ((rc = store_cursor_get(dm->store, "ds", since, sizeof(since),
	         err)) != RC_OK)
		return rc;
	memcpy(latest, since, sizeof(latest));
	rc = intake_ds_pages(dm->pl.cfg, x.token, since[0] ? since : NULL,
	    poll_node, &x, &pages, latest, retry_after, err);
	if (rc == RC_OK && !x.incomplete && latest[0] != '\0' &&
	    strcmp(latest, since) != 0)
		rc = store_cursor_set(dm->store, "ds", latest, err);
	if (rc == RC_OK)
		log_info("intake=ds poll: %zu page(s) since %s", pages,
		    since[0] ? since : "the start");
	return rc;
}

void *
ds_poll_main(void *arg)
{
	struct daemon *dm = arg;
	const struct cfg *cfg = dm->pl.cfg;
	struct rc_err err;
	struct timespec ts;
	long long delay, backoff = 0;
	enum rc_code rc;
	int retry;

	log_info("intake=ds poller: demarche %lld every %lld s",
	    cfg->intake_ds_demarche, cfg->intake_ds_poll_interval);
	for (;;) {
		pthread_mutex_lock(&dm->mu);
		if (dm->stopping) {
			pthread_mutex_unlock(&dm->mu);
			break;
		}
		pthread_mutex_unlock(&dm->mu);
		memset(&err, 0, sizeof(err));
		retry = 0;
		rc = poll_once(dm, &retry, &err);
		delay = cfg->intake_ds_poll_interval;
		if (rc == RC_ENET) {
			/* DS down: Retry-After, else doubling. */
			count(DSC_UNAVAILABLE);
			if (retry > 0) {
				/* DS said when: that, and no doubling. */
				backoff = 0;
				delay = retry > delay ? retry : delay;
			} else {
				backoff = backoff == 0 ? delay : backoff * 2;
				if (backoff > DS_BACKOFF_MAX)
					backoff = DS_BACKOFF_MAX;
				delay = backoff;
			}
			log_warn("intake=ds %s; next poll in %lld s", err.msg,
			    delay);
		} else {
			backoff = 0;
			if (rc != RC_OK) {
				count(DSC_ERRORS);
				log_error("intake=ds poll: %s", err.msg);
			}
		}
		pthread_mutex_lock(&dm->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts); /* dm->cv's clock */
		ts.tv_sec += (time_t)delay;
		while (!dm->stopping &&
		    pthread_cond_timedwait(&dm->cv, &dm->mu, &ts) == 0)
			;
		pthread_mutex_unlock(&dm->mu);
	}
	return NULL;
}
