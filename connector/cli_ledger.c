/* SPDX-License-Identifier: MIT */
/*
 * raccord ledger init|show|verify|prove|consistency|export|verify-export|
 *                cosign|revoke|conflicts
 *
 * The ledger's whole life from the command line (docs/ledger.md).  Exit
 * status: 0 success; 1 the ledger, receipt or proof does not verify (a
 * finding); 2 usage or bad input (missing file, wrong or
 * world-readable key); 3 internal error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"
#include "common/json.h"
#include "common/mem.h"
#include "connector/award.h"
#include "connector/cli.h"
#include "connector/config.h"
#include "connector/ledger/ledger.h"
#include "connector/policy.h"

struct largs {
	const char *dir, *key, *vkey, *origin, *config, *receipt, *entry, *out,
	    *state, *name, *reason, *pos2;
	long long seq, from;
};

static void
ledger_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord ledger <command> ...\n"
	    "  init DIR --key KEY (--origin NAME | --vkey VKEY)\n"
	    "  show DIR [--vkey VKEY] [--seq N]\n"
	    "  verify DIR --vkey VKEY [--config F] [--state COSIGNED]\n"
	    "  verify --vkey VKEY --receipt FILE [--entry FILE] [--seq N]\n"
	    "  prove DIR SEQ [--vkey VKEY]\n"
	    "  consistency DIR --from N [--vkey VKEY]\n"
	    "  export DIR --vkey VKEY --out NEWDIR [--config F]\n"
	    "  verify-export EXPORTDIR --vkey VKEY\n"
	    "  conflicts DIR [--vkey VKEY]\n"
	    "  cosign DIR --vkey LOG.VKEY --key WITNESS.KEY --name NAME "
	    "--state FILE [--out FILE]\n"
	    "  revoke DIR --key KEY --seq N --reason TEXT [--config F]\n");
}

/* Exit status for an error code. */
static int
status_of(enum rc_code rc)
{
	switch (rc) {
	case RC_OK:
		return 0;
	case RC_ELEDGER:
	case RC_ECRYPTO:
	case RC_EPOLICY:
		return 1;
	case RC_EINVAL:
	case RC_EPARSE:
	case RC_ECONFIG:
	case RC_ESYS:
	case RC_EBUSY:
		return 2;
	default:
		return 3;
	}
}

static int
fail(const char *cmd, const struct rc_err *err)
{
	fprintf(stderr, "raccord ledger %s: %s\n", cmd,
	    err->msg[0] ? err->msg : rc_strerror(err->code));
	return status_of(err->code);
}

static int
parse_num(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= 0;
}

static int
parse_args(int argc, char **argv, struct largs *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->seq = -1;
	a->from = -1;
	for (i = 2; i < argc; i++) {
		const char *o = argv[i];
		const char **dst = NULL;

		if (strcmp(o, "--key") == 0)
			dst = &a->key;
		else if (strcmp(o, "--vkey") == 0)
			dst = &a->vkey;
		else if (strcmp(o, "--origin") == 0)
			dst = &a->origin;
		else if (strcmp(o, "--config") == 0)
			dst = &a->config;
		else if (strcmp(o, "--receipt") == 0)
			dst = &a->receipt;
		else if (strcmp(o, "--entry") == 0)
			dst = &a->entry;
		else if (strcmp(o, "--out") == 0)
			dst = &a->out;
		else if (strcmp(o, "--state") == 0)
			dst = &a->state;
		else if (strcmp(o, "--name") == 0)
			dst = &a->name;
		else if (strcmp(o, "--reason") == 0)
			dst = &a->reason;
		if (dst != NULL) {
			if (i + 1 >= argc)
				return 0;
			*dst = argv[++i];
			continue;
		}
		if (strcmp(o, "--seq") == 0 || strcmp(o, "--from") == 0) {
			if (i + 1 >= argc ||
			    !parse_num(argv[i + 1],
			        o[2] == 's' ? &a->seq : &a->from))
				return 0;
			i++;
			continue;
		}
		if (o[0] == '-' && o[1] != '\0')
			return 0;
		if (a->dir == NULL)
			a->dir = o;
		else if (a->pos2 == NULL)
			a->pos2 = o;
		else
			return 0;
	}
	return 1;
}

/* The policy of the config file (defaults when NULL). */
static enum rc_code
load_policy(const char *config, struct policy *p, struct rc_err *err)
{
	struct cfg *cfg = NULL;
	enum rc_code rc;

	policy_defaults(p);
	if (config == NULL)
		return RC_OK;
	if ((rc = cfg_load(config, &cfg, err)) != RC_OK)
		return rc;
	p->amount_cents = cfg->amount_cents;
	p->envelope_cents = cfg->envelope_cents;
	p->window_start = cfg->window_start_t;
	p->window_end = cfg->window_end_t;
	cfg_free(cfg);
	return RC_OK;
}

static int
cmd_init(const struct largs *a)
{
	struct note_verifier *v = NULL;
	struct note_signer *s = NULL;
	struct rc_err err = { 0 };
	const char *origin = a->origin;
	char *vk = NULL;
	enum rc_code rc;

	if (a->dir == NULL || a->key == NULL ||
	    (a->origin == NULL && a->vkey == NULL)) {
		ledger_usage(stderr);
		return 2;
	}
	if (a->vkey != NULL) {
		if ((rc = ledger_vkey_load(a->vkey, &v, &err)) != RC_OK)
			goto out;
		if (origin != NULL && strcmp(origin, v->name) != 0) {
			rc = RC_ERR(&err, RC_EINVAL,
			    "--origin %s differs from the vkey's name %s",
			    origin, v->name);
			goto out;
		}
		origin = v->name;
	}
	if ((rc = ledger_signer_load(a->key, origin, NOTE_TYPE_ED25519, &s,
	         &err)) != RC_OK)
		goto out;
	if (v != NULL && (s->id != v->id || memcmp(s->pub, v->pub, 32) != 0)) {
		rc = RC_ERR(&err, RC_EINVAL, "%s is not the key of %s", a->key,
		    a->vkey);
		goto out;
	}
	if ((rc = ledger_init(a->dir, s, &err)) != RC_OK)
		goto out;
	note_signer_vkey(s, &vk);
	printf("ledger %s created, origin %s\nverifier key: %s\n", a->dir,
	    origin, vk ? vk : "?");
out:
	rc_free(vk);
	note_signer_free(s);
	note_verifier_free(v);
	return rc == RC_OK ? 0 : fail("init", &err);
}

static enum rc_code
maybe_vkey(const struct largs *a, struct note_verifier **v, struct rc_err *err)
{
	*v = NULL;
	if (a->vkey == NULL)
		return RC_OK;
	return ledger_vkey_load(a->vkey, v, err);
}

/*
 * Open a->dir read-only with the default policy (*p, which must outlive
 * *lg), checking its checkpoint against --vkey when one is given: the
 * start of every command that only reads the ledger.
 */
static enum rc_code
open_reader(const struct largs *a, struct policy *p, struct note_verifier **v,
    struct ledger **lg, struct rc_err *err)
{
	enum rc_code rc;

	policy_defaults(p);
	if ((rc = maybe_vkey(a, v, err)) != RC_OK)
		return rc;
	return ledger_open(a->dir, NULL, *v, p, LEDGER_LOCK_WAIT_MS, lg, err);
}

static int
cmd_show(const struct largs *a)
{
	struct note_verifier *v = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	const struct checkpoint *cp;
	const struct policy_state *st;
	char *line = NULL, *b64 = NULL, path[4200];
	size_t len;
	enum rc_code rc;

	if (a->dir == NULL) {
		ledger_usage(stderr);
		return 2;
	}
	if ((rc = open_reader(a, &p, &v, &lg, &err)) != RC_OK)
		goto out;
	cp = ledger_checkpoint(lg);
	if (a->seq >= 0) {
		if ((rc = ledger_entry_line(lg, (uint64_t)a->seq, &line, &len,
		         &err)) != RC_OK)
			goto out;
		ledger_receipt_path(lg, (uint64_t)a->seq, path, sizeof(path));
		printf("%s\nreceipt: %s\n", line, path);
		goto out;
	}
	st = ledger_state(lg);
	rc_base64_encode(cp->root, MERKLE_HASH_LEN, &b64);
	printf("origin: %s\nsize: %llu\nroot: %s\n%s\n"
	       "awards: %llu, revocations: %llu, payable: %lld,%02lld EUR\n",
	    cp->origin, (unsigned long long)cp->size, b64 ? b64 : "?",
	    v ? "checkpoint signature: verified with the given vkey"
	      : "checkpoint signature: NOT verified (give --vkey)",
	    (unsigned long long)st->awards, (unsigned long long)st->revokes,
	    st->live_cents / 100, st->live_cents % 100);
out:
	rc_free(line);
	rc_free(b64);
	ledger_close(lg);
	note_verifier_free(v);
	return rc == RC_OK ? 0 : fail("show", &err);
}

static int
cmd_verify_receipt(const struct largs *a, const struct note_verifier *v)
{
	struct ledger_receipt r;
	struct rc_err err = { 0 };
	char *buf = NULL, *entry = NULL;
	size_t len = 0, elen = 0;
	enum rc_code rc;

	if ((rc = ledger_read_file(a->receipt, 1024 * 1024, &buf, &len,
	         &err)) != RC_OK) {
		rc = RC_ERR(&err, RC_EINVAL, "%s", err.msg);
		goto out;
	}
	if (a->entry != NULL) {
		if ((rc = ledger_read_file(a->entry, LEDGER_MAX_LINE + 2,
		         &entry, &elen, &err)) != RC_OK) {
			rc = RC_ERR(&err, RC_EINVAL, "%s", err.msg);
			goto out;
		}
		if (elen > 0 && entry[elen - 1] == '\n')
			elen--;
	}
	rc = ledger_receipt_verify(buf, len, v, entry, elen, a->seq, &r, &err);
	if (rc != RC_OK) {
		RC_ERR(&err, rc, "%s", a->receipt);
		goto out;
	}
	printf("receipt %s: entry %llu is in %s at size %llu (signature "
	       "verified)\n",
	    a->receipt, (unsigned long long)r.index, r.cp.origin,
	    (unsigned long long)r.cp.size);
	rc_free(r.extra);
out:
	rc_free(buf);
	rc_free(entry);
	if (rc != RC_OK) {
		fprintf(stderr, "raccord ledger verify: %s: %s\n", a->receipt,
		    err.msg);
		return status_of(rc);
	}
	return 0;
}

static int
cmd_verify(const struct largs *a)
{
	struct ledger_verify_opts vo = { .cosigned = NULL };
	struct ledger_verify_result r;
	struct note_verifier *v = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	enum rc_code rc;
	int st;

	if (a->vkey == NULL || (a->dir == NULL && a->receipt == NULL)) {
		fprintf(stderr,
		    "raccord ledger verify: --vkey is required: "
		    "the key must be pinned, not taken from the "
		    "ledger\n");
		return 2;
	}
	if ((rc = ledger_vkey_load(a->vkey, &v, &err)) != RC_OK)
		return fprintf(stderr, "raccord ledger verify: %s\n", err.msg),
		       2;
	if (a->receipt != NULL) {
		st = cmd_verify_receipt(a, v);
		note_verifier_free(v);
		return st;
	}
	if ((rc = load_policy(a->config, &p, &err)) != RC_OK) {
		note_verifier_free(v);
		fprintf(stderr, "raccord ledger verify: %s\n", err.msg);
		return 2;
	}
	vo.cosigned = a->state; /* the checkpoint cosign keeps, if given */
	rc = ledger_verify_audit(a->dir, v, &p, &vo, &r, &err);
	note_verifier_free(v);
	if (rc != RC_OK) {
		fprintf(stderr, "raccord ledger verify: FAILED: %s\n", err.msg);
		return status_of(rc) == 2 ? 2 : (rc == RC_ENOMEM ? 3 : 1);
	}
	printf("ledger %s verified: origin %s, %llu entries (%llu awards, "
	       "%llu revocations), payable %lld,%02lld EUR; %llu "
	       "checkpoints, %llu receipts, %llu evidence files checked\n",
	    a->dir, r.cp.origin, (unsigned long long)r.entries,
	    (unsigned long long)r.awards, (unsigned long long)r.revokes,
	    r.live_cents / 100, r.live_cents % 100,
	    (unsigned long long)r.checkpoints, (unsigned long long)r.receipts,
	    (unsigned long long)r.evidence);
	if (a->state != NULL)
		printf("consistent with the checkpoint cosigned in %s (size "
		       "%llu)\n",
		    a->state, (unsigned long long)r.cosigned_size);
	if (r.unsigned_tail)
		printf("warning: %llu entries after the signed size are not "
		       "covered by a checkpoint (an interrupted append); "
		       "they are not trusted until the next append signs "
		       "them\n",
		    (unsigned long long)r.unsigned_tail);
	return 0;
}

static int
cmd_prove(const struct largs *a, int consistency)
{
	struct note_verifier *v = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	char *out = NULL;
	size_t len = 0;
	long long seq = -1;
	enum rc_code rc;

	if (a->dir == NULL ||
	    (!consistency && (a->pos2 == NULL || !parse_num(a->pos2, &seq))) ||
	    (consistency && a->from < 0)) {
		ledger_usage(stderr);
		return 2;
	}
	if ((rc = open_reader(a, &p, &v, &lg, &err)) != RC_OK)
		goto out;
	if (consistency)
		rc =
		    ledger_consistency(lg, (uint64_t)a->from, &out, &len, &err);
	else
		rc = ledger_prove(lg, (uint64_t)seq, &out, &len, &err);
	if (rc == RC_OK)
		fwrite(out, 1, len, stdout);
out:
	rc_free(out);
	ledger_close(lg);
	note_verifier_free(v);
	if (rc == RC_EINVAL)
		err.code = RC_EINVAL;
	return rc == RC_OK ? 0
	                   : fail(consistency ? "consistency" : "prove", &err);
}

static int
cmd_export(const struct largs *a)
{
	struct note_verifier *v = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	enum rc_code rc;

	if (a->dir == NULL || a->vkey == NULL || a->out == NULL) {
		ledger_usage(stderr);
		return 2;
	}
	if ((rc = ledger_vkey_load(a->vkey, &v, &err)) != RC_OK ||
	    (rc = load_policy(a->config, &p, &err)) != RC_OK) {
		note_verifier_free(v);
		fprintf(stderr, "raccord ledger export: %s\n", err.msg);
		return 2;
	}
	rc = ledger_export(a->dir, v, &p, a->out, &err);
	note_verifier_free(v);
	if (rc != RC_OK)
		return fail("export", &err);
	printf("exported to %s: awards.csv, awards.xlsx, awards.json, "
	       "entries.jsonl, checkpoint, log.vkey, verify_export.py, "
	       "LISEZMOI-README.txt\n",
	    a->out);
	return 0;
}

/*
 * The payment office's check of an export it received: every cell of
 * awards.csv, awards.json and awards.xlsx recomputed from the export's
 * entries.jsonl, itself bound to the checkpoint signed by the pinned key.
 */
static int
cmd_verify_export(const struct largs *a)
{
	struct ledger_export_check r;
	struct note_verifier *v = NULL;
	struct rc_err err = { 0 };
	char *b64 = NULL;
	enum rc_code rc;

	if (a->dir == NULL || a->vkey == NULL) {
		fprintf(stderr,
		    "raccord ledger verify-export: give EXPORTDIR and --vkey "
		    "(the key must be pinned, not taken from the export)\n");
		return 2;
	}
	if ((rc = ledger_vkey_load(a->vkey, &v, &err)) != RC_OK) {
		fprintf(stderr, "raccord ledger verify-export: %s\n", err.msg);
		return 2;
	}
	rc = ledger_export_verify(a->dir, v, &r, &err);
	note_verifier_free(v);
	if (rc == RC_ELEDGER && r.report != NULL && r.report[0] != '\0') {
		fputs(r.report, stdout);
		printf("export %s: NOT verified: %zu mismatches; pay nothing "
		       "from it\n",
		    a->dir, r.mismatches);
		rc_free(r.report);
		return 1;
	}
	rc_free(r.report);
	if (rc != RC_OK) {
		fprintf(stderr, "raccord ledger verify-export: FAILED: %s\n",
		    err.msg);
		return rc == RC_ENOMEM ? 3 : status_of(rc);
	}
	rc_base64_encode(r.cp.root, MERKLE_HASH_LEN, &b64);
	printf("export %s verified: origin %s, %llu entries, root %s; every "
	       "cell of awards.csv, awards.json and awards.xlsx matches the "
	       "signed entries (%llu awards, payable %lld,%02lld EUR)\n",
	    a->dir, r.cp.origin, (unsigned long long)r.cp.size, b64 ? b64 : "?",
	    (unsigned long long)r.awards, r.payable_cents / 100,
	    r.payable_cents % 100);
	rc_free(b64);
	printf("the shipped verify_export.py is the one this raccord ships "
	       "(SHA-256 %s)\n",
	    r.recipe_sha256);
	return 0;
}

/* An award as `conflicts` needs it. */
struct cawards {
	uint64_t seq;
	enum policy_kind kind;
	char siren[10];
	char cred[65];
	char *dossier_id;
	int shared;
	uint64_t shared_with;
};

/* The award of dossier_id and kind, or NULL. */
static const struct cawards *
find_award(const struct cawards *a, size_t n, const char *dossier_id,
    const char *kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i].dossier_id, dossier_id) == 0 &&
		    strcmp(policy_kind_str(a[i].kind), kind) == 0)
			return &a[i];
	return NULL;
}

/* Held decisions recorded in one evidence report (the payable verdicts
 * `raccord verify` stored with it). */
static void
held_in_evidence(const char *dir, const char *name, const struct cawards *a,
    size_t n, size_t *pending, size_t *decided)
{
	struct rc_err err = { 0 };
	const struct cawards *aw;
	char path[4200], *data = NULL;
	const char *did;
	size_t len = 0, i;
	json_t *rep, *secs, *sec, *pay;

	snprintf(path, sizeof(path), "%s/evidence/%s", dir, name);
	if (ledger_read_file(path, LEDGER_MAX_EVIDENCE, &data, &len, &err) !=
	    RC_OK)
		return;
	rep = json_loadb(data, len, 0, NULL);
	rc_free(data);
	did = json_string_value(json_object_get(rep, "dossier_id"));
	secs = json_object_get(rep, "integrations");
	for (i = 0; did != NULL && i < json_array_size(secs); i++) {
		const char *kind, *code;

		sec = json_array_get(secs, i);
		pay = json_object_get(sec, "payable");
		code = json_string_value(json_object_get(pay, "code"));
		kind = json_string_value(json_object_get(sec, "kind"));
		if (code == NULL || kind == NULL ||
		    strcmp(code, "credential_conflict") != 0)
			continue;
		aw = find_award(a, n, did, kind);
		printf("  dossier %s %s (%s): the credential of entry %lld "
		       "(SIREN %s); evidence %s\n"
		       "    %s\n",
		    did,
		    json_string_value(json_object_get(sec, "integration"))
		        ? json_string_value(json_object_get(sec, "integration"))
		        : "?",
		    kind,
		    (long long)json_integer_value(
		        json_object_get(pay, "credential_seq")),
		    json_string_value(json_object_get(pay, "credential_siren"))
		        ? json_string_value(
		              json_object_get(pay, "credential_siren"))
		        : "?",
		    path,
		    aw ? "decided since: awarded"
		       : "PENDING: an instructor decides");
		if (aw != NULL)
			printf("    (entry %llu)\n",
			    (unsigned long long)aw->seq);
		else
			printf("    to approve a shared portal: raccord verify "
			       "DOSSIER --ledger %s --key KEY "
			       "--approve-shared-credential %lld\n",
			    dir,
			    (long long)json_integer_value(
			        json_object_get(pay, "credential_seq")));
		++*(aw ? decided : pending);
	}
	json_decref(rep);
}

/*
 * One credential, one collectivité (issue 8): the credentials awarded to
 * more than one SIREN (each with an instructor's approval recorded in the
 * entry), then the verifications held for an instructor, found in the
 * evidence reports, with whether they were decided since.
 */
static int
cmd_conflicts(const struct largs *a)
{
	struct note_verifier *v = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct ledger_entry e;
	struct policy p;
	struct cawards *aw = NULL, *na;
	struct dirent *de;
	char *line = NULL, path[4200];
	size_t len, n = 0, cap = 0, i, j, shared = 0, pending = 0, decided = 0;
	uint64_t s;
	enum rc_code rc;
	json_t *o;
	DIR *d;

	if (a->dir == NULL) {
		ledger_usage(stderr);
		return 2;
	}
	if ((rc = open_reader(a, &p, &v, &lg, &err)) != RC_OK)
		goto out;
	for (s = 0; s < ledger_size(lg); s++) {
		if ((rc = ledger_entry_line(lg, s, &line, &len, &err)) !=
		        RC_OK ||
		    (rc = ledger_entry_parse(line, len, &e, &err)) != RC_OK)
			goto out;
		if (e.op == POLICY_OP_AWARD) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((na = rc_realloc(aw, cap * sizeof(*aw))) ==
				    NULL) {
					rc = RC_ERR(&err, RC_ENOMEM,
					    "out of memory");
					goto out;
				}
				aw = na;
			}
			memset(&aw[n], 0, sizeof(aw[n]));
			aw[n].seq = e.seq;
			aw[n].kind = e.kind;
			snprintf(aw[n].siren, sizeof(aw[n].siren), "%s",
			    e.siren);
			snprintf(aw[n].cred, sizeof(aw[n].cred), "%s",
			    e.credential_sha256);
			aw[n].shared = e.has_shared_with;
			aw[n].shared_with = e.shared_with;
			o = json_loadb(line, len, 0, NULL);
			aw[n].dossier_id = rc_strdup(
			    json_string_value(json_object_get(o, "dossier_id"))
			        ? json_string_value(
			              json_object_get(o, "dossier_id"))
			        : "");
			json_decref(o);
			if (aw[n].dossier_id == NULL) {
				rc = RC_ERR(&err, RC_ENOMEM, "out of memory");
				goto out;
			}
			n++;
		}
		rc_free(line);
		line = NULL;
	}
	printf("credentials awarded to more than one SIREN (approved by an "
	       "instructor):\n");
	for (i = 0; i < n; i++) {
		if (!aw[i].shared)
			continue;
		for (j = 0; j < n && aw[j].seq != aw[i].shared_with; j++)
			;
		printf("  entry %llu (SIREN %s, %s, dossier %s) shares the "
		       "credential %.16s… of entry %llu (SIREN %s)\n",
		    (unsigned long long)aw[i].seq, aw[i].siren,
		    policy_kind_str(aw[i].kind), aw[i].dossier_id, aw[i].cred,
		    (unsigned long long)aw[i].shared_with,
		    j < n ? aw[j].siren : "?");
		shared++;
	}
	if (shared == 0)
		printf("  none\n");
	printf("verifications held for an instructor (credential of another "
	       "SIREN), from evidence/:\n");
	snprintf(path, sizeof(path), "%s/evidence", a->dir);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t nl = strlen(de->d_name);

			if (nl == 69 && strcmp(de->d_name + 64, ".json") == 0)
				held_in_evidence(a->dir, de->d_name, aw, n,
				    &pending, &decided);
		}
		closedir(d);
	}
	if (pending + decided == 0)
		printf("  none\n");
	printf("%zu shared, %zu pending, %zu decided since\n", shared, pending,
	    decided);
out:
	for (i = 0; i < n; i++)
		rc_free(aw[i].dossier_id);
	rc_free(aw);
	rc_free(line);
	ledger_close(lg);
	note_verifier_free(v);
	return rc == RC_OK ? 0 : fail("conflicts", &err);
}

/*
 * The payment office as witness (C2SP tlog-cosignature v1): it keeps the
 * last checkpoint it cosigned in --state and cosigns a newer one only
 * after the consistency proof from that one verifies.
 */
static int
cmd_cosign(const struct largs *a)
{
	struct note_verifier *v = NULL;
	struct note_signer *w = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 }, merr = { 0 };
	struct checkpoint old;
	struct policy p;
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	const unsigned char *pp[MERKLE_MAX_PROOF];
	size_t pl[MERKLE_MAX_PROOF], n = 0, i, len = 0, notelen;
	char *state = NULL, *line = NULL, *outbuf = NULL;
	const char *note;
	const struct checkpoint *cp;
	int have_old = 0;
	enum rc_code rc;

	if (a->dir == NULL || a->vkey == NULL || a->key == NULL ||
	    a->name == NULL || a->state == NULL) {
		ledger_usage(stderr);
		return 2;
	}
	policy_defaults(&p);
	if ((rc = ledger_vkey_load(a->vkey, &v, &err)) != RC_OK ||
	    (rc = ledger_signer_load(a->key, a->name, NOTE_TYPE_COSIG, &w,
	         &err)) != RC_OK) {
		rc = RC_ERR(&err, RC_EINVAL, "%s", err.msg);
		goto out;
	}
	/* Verify the whole ledger first: a witness vouches for it. */
	if ((rc = ledger_verify(a->dir, v, &p, NULL, &err)) != RC_OK)
		goto out;
	if ((rc = ledger_open(a->dir, NULL, v, &p, LEDGER_LOCK_WAIT_MS, &lg,
	         &err)) != RC_OK)
		goto out;
	cp = ledger_checkpoint(lg);
	note = ledger_checkpoint_note(lg, &notelen);
	if (ledger_read_file(a->state, NOTE_MAX_BYTES, &state, &len, &err) ==
	    RC_OK) {
		if ((rc = checkpoint_open(state, len, v, NULL, 0, &old, NULL,
		         &err)) != RC_OK) {
			RC_ERR(&err, RC_ELEDGER, "%s: %s", a->state, err.msg);
			goto out;
		}
		have_old = 1;
	} else
		rc_err_clear(&err);
	if (have_old && old.size > cp->size) {
		rc = RC_ERR(&err, RC_ELEDGER,
		    "the ledger went back from size %llu to %llu: refusing "
		    "(keep %s as evidence)",
		    (unsigned long long)old.size, (unsigned long long)cp->size,
		    a->state);
		goto out;
	}
	if (have_old && old.size > 0) {
		if ((rc = ledger_consistency_hashes(lg, old.size, proof, &n,
		         &err)) != RC_OK)
			goto out;
		for (i = 0; i < n; i++) {
			pp[i] = proof + i * MERKLE_HASH_LEN;
			pl[i] = MERKLE_HASH_LEN;
		}
		if ((rc = merkle_verify_consistency(old.size, cp->size,
		         old.root, MERKLE_HASH_LEN, cp->root, MERKLE_HASH_LEN,
		         pp, pl, n, &merr)) != RC_OK) {
			RC_ERR(&err, RC_ELEDGER,
			    "not consistent with the checkpoint of size %llu "
			    "in %s (split view or rewritten history): %s; "
			    "nothing cosigned, keep both as evidence",
			    (unsigned long long)old.size, a->state, merr.msg);
			goto out;
		}
	}
	/* The cosigned checkpoint: the log's note plus our line. */
	{
		size_t tl = 0;

		for (i = notelen; i >= 2; i--)
			if (note[i - 1] == '\n' && note[i - 2] == '\n') {
				tl = i - 1;
				break;
			}
		if ((rc = note_sign_line(w, note, tl, (uint64_t)time(NULL),
		         &line, &err)) != RC_OK)
			goto out;
	}
	if ((outbuf = rc_malloc(notelen + strlen(line) + 1)) == NULL) {
		rc = RC_ERR(&err, RC_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(outbuf, note, notelen);
	memcpy(outbuf + notelen, line, strlen(line) + 1);
	/* Persist the new state before handing out the cosignature. */
	if ((rc = ledger_write_atomic(a->state, note, notelen, 0644, &err)) !=
	    RC_OK)
		goto out;
	if (a->out != NULL)
		rc = ledger_write_atomic(a->out, outbuf, strlen(outbuf), 0644,
		    &err);
	else
		fputs(outbuf, stdout);
	if (rc == RC_OK)
		fprintf(stderr,
		    "raccord ledger cosign: cosigned %s at size %llu%s\n",
		    cp->origin, (unsigned long long)cp->size,
		    have_old ? " after a valid consistency proof"
		             : " (first checkpoint seen: trust on first use)");
out:
	rc_free(state);
	rc_free(line);
	rc_free(outbuf);
	ledger_close(lg);
	note_signer_free(w);
	note_verifier_free(v);
	return rc == RC_OK ? 0 : fail("cosign", &err);
}

/*
 * Cancel award N with a new revoke entry naming it and a reason: nothing
 * is ever edited (DESIGN §3).  The policy refuses a revoke of anything but
 * a standing award.  Signed, checkpointed and receipted like an award.
 */
static int
cmd_revoke(const struct largs *a)
{
	struct note_signer *s = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	char receipt[4096], siren[10];
	uint64_t first = 0;
	enum rc_code rc;

	if (a->dir == NULL || a->key == NULL || a->seq < 0 ||
	    a->reason == NULL) {
		ledger_usage(stderr);
		return 2;
	}
	/* The same checks and append as the daemon's revoke route. */
	if ((rc = load_policy(a->config, &p, &err)) != RC_OK ||
	    (rc = ledger_signer_for(a->dir, a->key, &s, &err)) != RC_OK ||
	    (rc = ledger_open(a->dir, s, NULL, &p, LEDGER_LOCK_WAIT_MS, &lg,
	         &err)) != RC_OK ||
	    (rc = award_revoke(lg, (uint64_t)a->seq, a->reason, &first, siren,
	         &err)) != RC_OK)
		goto out;
	ledger_receipt_path(lg, first, receipt, sizeof(receipt));
	printf("REVOKED entry %lld (SIREN %s): revoke entry %llu, receipt %s\n",
	    a->seq, siren, (unsigned long long)first, receipt);
out:
	ledger_close(lg);
	note_signer_free(s);
	return rc == RC_OK ? 0 : fail("revoke", &err);
}

int
cli_ledger(int argc, char **argv)
{
	struct largs a;
	const char *cmd;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		ledger_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (!parse_args(argc, argv, &a)) {
		fprintf(stderr, "raccord ledger %s: bad arguments\n", cmd);
		ledger_usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&a);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(&a);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(&a);
	if (strcmp(cmd, "prove") == 0)
		return cmd_prove(&a, 0);
	if (strcmp(cmd, "consistency") == 0)
		return cmd_prove(&a, 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(&a);
	if (strcmp(cmd, "verify-export") == 0)
		return cmd_verify_export(&a);
	if (strcmp(cmd, "conflicts") == 0)
		return cmd_conflicts(&a);
	if (strcmp(cmd, "cosign") == 0)
		return cmd_cosign(&a);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(&a);
	fprintf(stderr, "raccord ledger: unknown command \"%s\"\n", cmd);
	ledger_usage(stderr);
	return 2;
}
