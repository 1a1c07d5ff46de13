/* SPDX-License-Identifier: MIT */
/*
 * Offline verification of a ledger and of single receipts (see ledger.h
 * and docs/ledger.md), as the payment office's audit: signatures and the
 * rebuilt tree, and then the rules a validly signed ledger must still
 * obey, each named when broken ("What verify enforces": seq, time,
 * window, the policy replay, rollback and fork against the receipts and
 * the cosigned checkpoint).  Nothing here writes to the ledger;
 * verification streams entries.jsonl in constant memory except for 41
 * bytes per entry (leaf hash, offset, a mark) kept for the receipt pass,
 * for naming the first altered line and for naming a revoke's fault.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

/* Strict decimal file name without leading zeros. */
static int
parse_u64_name(const char *s, const char *suffix, uint64_t *out)
{
	size_t n = strlen(s), sl = strlen(suffix), i;
	uint64_t v = 0;

	if (n <= sl || strcmp(s + n - sl, suffix) != 0)
		return 0;
	n -= sl;
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 1;
}

/*
 * The code for a problem found while reading the ledger: a finding about
 * the ledger (RC_ELEDGER, or RC_ECRYPTO for a bad signature), except that
 * our own failures (out of memory, a system call) stay ours and never
 * become a verdict.
 */
static enum rc_code
finding(enum rc_code rc, enum rc_code as)
{
	return rc == RC_ENOMEM || rc == RC_ESYS ? rc : as;
}

/*
 * ledger_receipt_verify, where sig_checked says the receipt's checkpoint
 * note is byte for byte one whose signature was already verified (then
 * only its origin is compared with the key's name).
 */
static enum rc_code receipt_verify(const char *receipt, size_t len,
    const struct note_verifier *vkey, int sig_checked, const char *entry,
    size_t entry_len, int64_t want_seq, struct ledger_receipt *r,
    struct rc_err *err);

enum rc_code
ledger_receipt_verify(const char *receipt, size_t len,
    const struct note_verifier *vkey, const char *entry, size_t entry_len,
    int64_t want_seq, struct ledger_receipt *r, struct rc_err *err)
{
	return receipt_verify(receipt, len, vkey, 0, entry, entry_len, want_seq,
	    r, err);
}

/* The next line of [*p, end) without its "\n" (length *len), or NULL. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/*
 * Split a c2sp.org/tlog-proof@v1 receipt into *rr without verifying
 * anything: the header, an optional "extra" line (decoded into rr->extra,
 * for rc_free), "index N", the proof hashes up to a blank line, then the
 * checkpoint note (rr->note points into receipt).  RC_EPARSE, RC_ENOMEM.
 */
static enum rc_code
receipt_parse(const char *receipt, size_t len, struct ledger_receipt *rr,
    struct rc_err *err)
{
	const char *p = receipt, *end = receipt + len, *l;
	unsigned char *h = NULL;
	size_t ll = 0, hl = 0;
	enum rc_code rc;
	char num[32];

	memset(rr, 0, sizeof(*rr));
	l = next_line(&p, end, &ll);
	if (l == NULL || ll != strlen(LEDGER_RECEIPT_HEADER) ||
	    memcmp(l, LEDGER_RECEIPT_HEADER, ll) != 0)
		return RC_ERR(err, RC_EPARSE,
		    "receipt: first line is not " LEDGER_RECEIPT_HEADER);
	l = next_line(&p, end, &ll);
	if (l != NULL && ll > 6 && memcmp(l, "extra ", 6) == 0) {
		if ((rc = note_base64_decode(l + 6, ll - 6, &rr->extra,
		         &rr->extra_len)) != RC_OK)
			return RC_ERR(err, finding(rc, RC_EPARSE),
			    "receipt: extra is not base64");
		l = next_line(&p, end, &ll);
	}
	if (l == NULL || ll < 7 || memcmp(l, "index ", 6) != 0 ||
	    ll - 6 >= sizeof(num)) {
		rc = RC_ERR(err, RC_EPARSE, "receipt: no index line");
		goto fail;
	}
	memcpy(num, l + 6, ll - 6);
	num[ll - 6] = '\0';
	if (!parse_u64_name(num, "", &rr->index)) {
		rc = RC_ERR(err, RC_EPARSE, "receipt: bad index \"%s\"", num);
		goto fail;
	}
	while ((l = next_line(&p, end, &ll)) != NULL && ll != 0) {
		rc = rr->n >= MERKLE_MAX_PROOF
		    ? RC_EPARSE
		    : note_base64_decode(l, ll, &h, &hl);
		if (rc != RC_OK || hl != MERKLE_HASH_LEN) {
			rc_free(h);
			rc = RC_ERR(err, finding(rc, RC_EPARSE),
			    "receipt: proof line %zu is not a base64 hash",
			    rr->n + 1);
			goto fail;
		}
		memcpy(rr->proof[rr->n++], h, MERKLE_HASH_LEN);
		rc_free(h);
		h = NULL;
	}
	if (l == NULL) {
		rc = RC_ERR(err, RC_EPARSE,
		    "receipt: no blank line before the checkpoint");
		goto fail;
	}
	rr->note = p;
	rr->note_len = (size_t)(end - p);
	return RC_OK;
fail:
	rc_free(rr->extra);
	rr->extra = NULL;
	return rc;
}

static enum rc_code
receipt_verify(const char *receipt, size_t len,
    const struct note_verifier *vkey, int sig_checked, const char *entry,
    size_t entry_len, int64_t want_seq, struct ledger_receipt *r,
    struct rc_err *err)
{
	struct ledger_receipt rr;
	struct ledger_entry e;
	struct rc_err lerr = { 0 };
	const unsigned char *pp[MERKLE_MAX_PROOF];
	size_t pl[MERKLE_MAX_PROOF];
	unsigned char leaf[MERKLE_HASH_LEN];
	const char *leafdata;
	size_t leaflen, i;
	enum rc_code rc;

	if (r != NULL)
		memset(r, 0, sizeof(*r));
	if ((rc = receipt_parse(receipt, len, &rr, err)) != RC_OK)
		return rc;
	if (sig_checked) {
		if ((rc = checkpoint_parse_signed(rr.note, rr.note_len, &rr.cp,
		         &lerr)) == RC_OK &&
		    strcmp(rr.cp.origin, vkey->name) != 0)
			rc = RC_ERR(&lerr, RC_ELEDGER,
			    "checkpoint of another log: origin \"%s\"",
			    rr.cp.origin);
	} else
		rc = checkpoint_open(rr.note, rr.note_len, vkey, NULL, 0,
		    &rr.cp, NULL, &lerr);
	if (rc != RC_OK) {
		rc = RC_ERR(err, rc, "receipt checkpoint: %s", lerr.msg);
		goto out;
	}
	if (want_seq >= 0 && rr.index != (uint64_t)want_seq) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "receipt is for entry %llu, not entry %lld",
		    (unsigned long long)rr.index, (long long)want_seq);
		goto out;
	}
	if (entry != NULL && rr.extra != NULL &&
	    (entry_len != rr.extra_len ||
	        memcmp(entry, rr.extra, entry_len) != 0)) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "receipt is for another entry (its extra data differs "
		    "from the entry given)");
		goto out;
	}
	leafdata = entry != NULL ? entry : (const char *)rr.extra;
	leaflen = entry != NULL ? entry_len : rr.extra_len;
	if (leafdata == NULL) {
		rc = RC_ERR(err, RC_EINVAL,
		    "receipt carries no entry: give the entry line");
		goto out;
	}
	rc_err_clear(&lerr);
	if ((rc = ledger_entry_parse(leafdata, leaflen, &e, &lerr)) != RC_OK) {
		rc = RC_ERR(err, finding(rc, RC_ELEDGER), "receipt entry: %s",
		    lerr.msg);
		goto out;
	}
	if (e.seq != rr.index) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "receipt is for another entry: index %llu, entry seq "
		    "%llu",
		    (unsigned long long)rr.index, (unsigned long long)e.seq);
		goto out;
	}
	if ((rc = merkle_leaf_hash(leafdata, leaflen, leaf)) != RC_OK)
		goto out;
	for (i = 0; i < rr.n; i++) {
		pp[i] = rr.proof[i];
		pl[i] = MERKLE_HASH_LEN;
	}
	rc_err_clear(&lerr);
	if ((rc = merkle_verify_inclusion(rr.index, rr.cp.size, leaf,
	         MERKLE_HASH_LEN, pp, pl, rr.n, rr.cp.root, MERKLE_HASH_LEN,
	         &lerr)) != RC_OK) {
		rc = RC_ERR(err, finding(rc, RC_ELEDGER),
		    "receipt does not prove entry %llu in the tree of size "
		    "%llu: %s",
		    (unsigned long long)rr.index,
		    (unsigned long long)rr.cp.size, lerr.msg);
		goto out;
	}
	if (r != NULL) {
		*r = rr;
		rr.extra = NULL; /* transferred */
	}
out:
	rc_free(rr.extra);
	return rc;
}

struct cpinfo {
	uint64_t size;
	unsigned char root[MERKLE_HASH_LEN];
};

static int
cpinfo_cmp(const void *a, const void *b)
{
	const struct cpinfo *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

struct vstate {
	const char *dir;
	int dirfd, fd;
	const struct note_verifier *vkey;
	const struct policy *p;
	struct cpinfo *cps; /* every checkpoints/<n>, sorted by size */
	size_t ncps;
	unsigned char *cpdig;  /* SHA-256 of each verified note, sorted */
	unsigned char *leaves; /* 32 bytes per entry */
	unsigned char *marks;  /* MARK_* per entry */
	uint64_t *off;         /* line offsets, n + 1 */
	uint64_t n, cap;       /* signed entries read; room */
	uint64_t head;         /* the size the latest checkpoint signs */
};

static int
digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RC_SHA256_LEN);
}

/* Remember the digest of a note whose signature verified (cpdig has the
 * capacity of cps; called before ncps is incremented). */
static enum rc_code
ledger_note_digest_add(struct vstate *vs, const char *note, size_t len,
    struct rc_err *err)
{
	if (rc_sha256(note, len, vs->cpdig + vs->ncps * RC_SHA256_LEN) != RC_OK)
		return RC_ERR(err, RC_ECRYPTO, "SHA-256 failed");
	return RC_OK;
}

/*
 * Was the checkpoint note at the end of this receipt (after its first
 * blank line) already verified, byte for byte, as one of checkpoints/?
 * Then its signature need not be checked again: a full verification of a
 * large ledger would otherwise spend most of its time re-verifying the
 * same few signatures once per receipt.
 */
static int
receipt_note_known(const struct vstate *vs, const char *buf, size_t len)
{
	unsigned char md[RC_SHA256_LEN];
	const char *sep = NULL;
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			sep = buf + i + 2;
			break;
		}
	if (sep == NULL || vs->ncps == 0 ||
	    rc_sha256(sep, len - (size_t)(sep - buf), md) != RC_OK)
		return 0;
	return bsearch(md, vs->cpdig, vs->ncps, RC_SHA256_LEN, digest_cmp) !=
	    NULL;
}

static enum rc_code
load_checkpoints(struct vstate *vs, struct ledger_verify_result *res,
    struct rc_err *err)
{
	struct rc_err cerr = { 0 };
	struct dirent *de;
	struct cpinfo *p;
	unsigned char *d2;
	char path[300], *note = NULL;
	size_t len = 0, cap = 0;
	uint64_t size;
	enum rc_code rc = RC_OK;
	int cfd;
	DIR *d;

	cfd = openat(vs->dirfd, "checkpoints",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0 || (d = fdopendir(cfd)) == NULL) {
		if (cfd >= 0)
			close(cfd);
		return RC_ERR(err, RC_ELEDGER, "%s/checkpoints: missing",
		    vs->dir);
	}
	while ((de = readdir(d)) != NULL) {
		struct checkpoint cp;

		if (de->d_name[0] == '.')
			continue;
		if (!parse_u64_name(de->d_name, "", &size)) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "%s/checkpoints/%s: unexpected file", vs->dir,
			    de->d_name);
			break;
		}
		snprintf(path, sizeof(path), "checkpoints/%s", de->d_name);
		if ((rc = ledger_read_at(vs->dirfd, path, NOTE_MAX_BYTES, &note,
		         &len, err)) != RC_OK)
			break;
		rc_err_clear(&cerr);
		rc = checkpoint_open(note, len, vs->vkey, NULL, 0, &cp, NULL,
		    &cerr);
		if (rc == RC_OK && cp.size != size)
			rc = RC_ERR(&cerr, RC_ELEDGER,
			    "signs size %llu, not %llu",
			    (unsigned long long)cp.size,
			    (unsigned long long)size);
		if (rc != RC_OK) {
			rc = RC_ERR(err, finding(rc, RC_ELEDGER), "%s/%s: %s",
			    vs->dir, path, cerr.msg);
			break;
		}
		if (vs->ncps == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = rc_realloc(vs->cps, cap * sizeof(*p))) ==
			    NULL) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				break;
			}
			vs->cps = p;
			if ((d2 = rc_realloc(vs->cpdig, cap * RC_SHA256_LEN)) ==
			    NULL) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				break;
			}
			vs->cpdig = d2;
		}
		if ((rc = ledger_note_digest_add(vs, note, len, err)) != RC_OK)
			break;
		vs->cps[vs->ncps].size = size;
		memcpy(vs->cps[vs->ncps].root, cp.root, MERKLE_HASH_LEN);
		vs->ncps++;
		rc_free(note);
		note = NULL;
	}
	rc_free(note);
	closedir(d);
	if (rc != RC_OK)
		return rc;
	qsort(vs->cps, vs->ncps, sizeof(*vs->cps), cpinfo_cmp);
	qsort(vs->cpdig, vs->ncps, RC_SHA256_LEN, digest_cmp);
	res->checkpoints = vs->ncps;
	return RC_OK;
}

static const struct cpinfo *
find_cp(const struct vstate *vs, uint64_t size)
{
	struct cpinfo key;

	key.size = size;
	return bsearch(&key, vs->cps, vs->ncps, sizeof(*vs->cps), cpinfo_cmp);
}

/*
 * The first byte where line seq differs from what its receipt carries,
 * or -1 when there is no receipt or they agree.
 */
static long
receipt_diff(const struct vstate *vs, uint64_t seq, const char *line,
    size_t len)
{
	struct ledger_receipt r;
	struct rc_err e = { 0 };
	char name[64], *buf = NULL;
	size_t blen = 0, i;
	long at = -1;

	snprintf(name, sizeof(name), "receipts/%llu.tlog-proof",
	    (unsigned long long)seq);
	if (ledger_read_at(vs->dirfd, name, 1024 * 1024, &buf, &blen, &e) !=
	    RC_OK)
		return -1;
	if (ledger_receipt_verify(buf, blen, vs->vkey, NULL, 0, (int64_t)seq,
	        &r, &e) == RC_OK &&
	    r.extra != NULL) {
		for (i = 0; i < len && i < r.extra_len; i++)
			if (line[i] != (char)r.extra[i])
				break;
		if (i < len || i < r.extra_len)
			at = (long)i;
		rc_free(r.extra);
	}
	rc_free(buf);
	return at;
}

static enum rc_code
read_span(const struct vstate *vs, uint64_t seq, char **out, size_t *len)
{
	size_t n = (size_t)(vs->off[seq + 1] - vs->off[seq]);
	char *b;

	*out = NULL;
	if ((b = rc_malloc(n + 1)) == NULL)
		return RC_ENOMEM;
	if (pread(vs->fd, b, n, (off_t)vs->off[seq]) != (ssize_t)n) {
		rc_free(b);
		return RC_ESYS;
	}
	b[n] = '\0';
	*len = n && b[n - 1] == '\n' ? n - 1 : n;
	*out = b;
	return RC_OK;
}

/* A root mismatch at checkpoint size hi (lo was fine): name the line. */
static enum rc_code
blame_range(const struct vstate *vs, uint64_t lo, uint64_t hi,
    struct rc_err *err)
{
	char *line = NULL;
	size_t len = 0;
	uint64_t s;
	long at;

	for (s = lo; s < hi; s++) {
		if (read_span(vs, s, &line, &len) != RC_OK)
			break;
		at = receipt_diff(vs, s, line, len);
		rc_free(line);
		if (at >= 0)
			return RC_ERR(err, RC_ELEDGER,
			    "%s/entries.jsonl line %llu (seq %llu), byte %ld "
			    "(file byte %llu): differs from the entry its "
			    "receipt proves; checkpoints/%llu does not match",
			    vs->dir, (unsigned long long)s + 1,
			    (unsigned long long)s, at,
			    (unsigned long long)vs->off[s] + (uint64_t)at,
			    (unsigned long long)hi);
	}
	return RC_ERR(err, RC_ELEDGER,
	    "%s/entries.jsonl lines %llu..%llu: do not hash to the root "
	    "signed in checkpoints/%llu (an entry was altered, inserted, "
	    "removed or reordered)",
	    vs->dir, (unsigned long long)lo + 1, (unsigned long long)hi,
	    (unsigned long long)hi);
}

static enum rc_code
check_evidence(const struct vstate *vs, const char *hex, uint64_t line,
    struct rc_err *err)
{
	char name[96], *buf = NULL, got[RC_SHA256_HEX_LEN];
	struct rc_err e = { 0 };
	size_t len = 0;
	enum rc_code rc;

	snprintf(name, sizeof(name), "evidence/%s.json", hex);
	if ((rc = ledger_read_at(vs->dirfd, name, LEDGER_MAX_EVIDENCE, &buf,
	         &len, &e)) != RC_OK)
		return RC_ERR(err, rc == RC_ENOMEM ? rc : RC_ELEDGER,
		    "%s/entries.jsonl line %llu: %s is missing or unreadable",
		    vs->dir, (unsigned long long)line, name);
	rc = rc_sha256_hex(buf, len, got);
	rc_free(buf);
	if (rc != RC_OK)
		return RC_ERR(err, rc, "%s/%s: cannot hash it", vs->dir, name);
	if (strcmp(got, hex) != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "%s/%s: content hashes to %s, not to its name (altered "
		    "evidence)",
		    vs->dir, name, got);
	return RC_OK;
}

/*
 * The rules a validly signed ledger must still obey.  The operator holds
 * the signing key, so a signature proves who wrote the log, not that what
 * it says is right: `ledger verify` is the payment office's audit, and
 * each rule is checked on its own and reported by name (docs/ledger.md,
 * "What verify enforces").  Values are only ever appended.
 */
enum audit_rule {
	AUDIT_SEQ,                 /* seq is the line index */
	AUDIT_TIME,                /* time never goes back */
	AUDIT_WINDOW,              /* awards inside policy.window */
	AUDIT_AMOUNT,              /* an award is the forfait */
	AUDIT_ONE_PER_KIND,        /* one live award per kind and SIREN */
	AUDIT_TWO_PER_SIREN,       /* so at most two per SIREN */
	AUDIT_ENVELOPE,            /* live awards within policy.envelope */
	AUDIT_REVOKE_UNKNOWN,      /* a revoke names a live award */
	AUDIT_REVOKE_TWICE,        /* an award is revoked once */
	AUDIT_POLICY,              /* any other refusal of policy.c */
	AUDIT_ROLLBACK_CHECKPOINT, /* no checkpoints/<n> beyond the head */
	AUDIT_ROLLBACK_RECEIPT,    /* no receipt beyond the head */
	AUDIT_ROLLBACK_COSIGNED,   /* head >= the cosigned size */
	AUDIT_FORK_RECEIPT,        /* a receipt's root is the ledger's own */
	AUDIT_FORK_COSIGNED,       /* the cosigned root is the ledger's own */
	AUDIT__MAX
};

/* clang-format off */
static const char *const audit_names[AUDIT__MAX] = {
	[AUDIT_SEQ]                 = "ledger.seq",
	[AUDIT_TIME]                = "ledger.time",
	[AUDIT_WINDOW]              = "policy.window",
	[AUDIT_AMOUNT]              = "policy.amount",
	[AUDIT_ONE_PER_KIND]        = "policy.one_per_kind",
	[AUDIT_TWO_PER_SIREN]       = "policy.two_per_siren",
	[AUDIT_ENVELOPE]            = "policy.envelope",
	[AUDIT_REVOKE_UNKNOWN]      = "policy.revoke_unknown",
	[AUDIT_REVOKE_TWICE]        = "policy.revoke_twice",
	[AUDIT_POLICY]              = "policy",
	[AUDIT_ROLLBACK_CHECKPOINT] = "rollback.checkpoint",
	[AUDIT_ROLLBACK_RECEIPT]    = "rollback.receipt",
	[AUDIT_ROLLBACK_COSIGNED]   = "rollback.cosigned",
	[AUDIT_FORK_RECEIPT]        = "fork.receipt",
	[AUDIT_FORK_COSIGNED]       = "fork.cosigned",
};
/* clang-format on */

/* Per-entry mark kept for naming a revoke's fault. */
#define MARK_REVOKED 0x01

/*
 * ledger.seq: line i (from 0) holds seq i, so no gap and no repeat
 * (docs/ledger.md, "seq is the leaf index"; a receipt's index is the
 * seq).
 */
static bool
rule_seq_ok(const struct ledger_entry *e, uint64_t idx)
{
	return e->seq == idx;
}

/*
 * ledger.time: entry times never go back (docs/ledger.md: the writer
 * clamps a clock that does to the last entry's time).
 */
static bool
rule_time_ok(const struct ledger_entry *e, time_t last)
{
	return e->time >= last;
}

/*
 * policy.window: an award is dated inside the configured window, both
 * ends inclusive (shared/DESIGN.md §4 "optional envelope and time
 * window"; config policy.window_start/window_end, UTC days).  Revokes are
 * corrections and may come at any time.
 */
static bool
rule_window_ok(const struct policy *p, const struct ledger_entry *e)
{
	if (e->op != POLICY_OP_AWARD)
		return true;
	if (p->window_start != 0 && e->time < p->window_start)
		return false;
	return p->window_end == 0 || e->time <= p->window_end;
}

/*
 * Which rule policy_state_apply() refused e for (the state is unchanged
 * after a refusal): its checks, in its order (connector/policy.h), so
 * that the report names the rule; a refusal none of these explains is
 * reported as "policy" with policy.c's own reason.
 */
static enum audit_rule
policy_rule_of(const struct vstate *vs, const struct policy_state *st,
    const struct ledger_entry *e)
{
	int k, live = 0;

	if (e->op == POLICY_OP_REVOKE) {
		if (e->ref_seq < vs->n &&
		    (vs->marks[e->ref_seq] & MARK_REVOKED) != 0)
			return AUDIT_REVOKE_TWICE;
		return AUDIT_REVOKE_UNKNOWN;
	}
	if (e->amount_cents != vs->p->amount_cents)
		return AUDIT_AMOUNT;
	if (policy_state_live(st, e->siren, e->kind) >= 0) {
		for (k = 0; k < POLICY_KIND__MAX; k++)
			live += policy_state_live(st, e->siren,
			            (enum policy_kind)k) >= 0;
		return live >= POLICY_KIND__MAX ? AUDIT_TWO_PER_SIREN
		                                : AUDIT_ONE_PER_KIND;
	}
	if (vs->p->envelope_cents > 0 &&
	    st->live_cents + e->amount_cents > vs->p->envelope_cents)
		return AUDIT_ENVELOPE;
	return AUDIT_POLICY;
}

/*
 * Check entry e, line idx, against every entry rule and apply it to st.
 * RC_OK; RC_ELEDGER with *rule and the detail in err; RC_ENOMEM.
 */
static enum rc_code
audit_entry(struct vstate *vs, struct policy_state *st,
    const struct ledger_entry *e, uint64_t idx, time_t last_time,
    enum audit_rule *rule, struct rc_err *err)
{
	struct rc_err perr = { 0 };
	struct policy_entry pe;
	char w[2][21];
	enum rc_code rc;

	*rule = AUDIT__MAX;
	if (!rule_seq_ok(e, idx)) {
		*rule = AUDIT_SEQ;
		return RC_ERR(err, RC_ELEDGER,
		    "line %llu holds seq %llu instead of %llu (a %s)",
		    (unsigned long long)idx + 1, (unsigned long long)e->seq,
		    (unsigned long long)idx, e->seq > idx ? "gap" : "repeat");
	}
	if (!rule_time_ok(e, last_time)) {
		ledger_time_format(last_time, w[0]);
		*rule = AUDIT_TIME;
		return RC_ERR(err, RC_ELEDGER,
		    "time %s is before the previous entry's %s", e->time_str,
		    w[0]);
	}
	if (!rule_window_ok(vs->p, e)) {
		ledger_time_format(vs->p->window_start, w[0]);
		ledger_time_format(vs->p->window_end, w[1]);
		*rule = AUDIT_WINDOW;
		return RC_ERR(err, RC_ELEDGER,
		    "award dated %s, outside the window %s..%s", e->time_str,
		    vs->p->window_start != 0 ? w[0] : "",
		    vs->p->window_end != 0 ? w[1] : "");
	}
	ledger_entry_policy(e, &pe);
	if ((rc = policy_state_apply(vs->p, st, &pe, &perr)) == RC_ENOMEM)
		return RC_ERR(err, rc, "out of memory");
	if (rc != RC_OK) {
		*rule = policy_rule_of(vs, st, e);
		if (*rule == AUDIT_TWO_PER_SIREN)
			return RC_ERR(err, RC_ELEDGER,
			    "third award for SIREN %s: it holds the %s (entry "
			    "%lld) and %s (entry %lld) forfaits, at most two",
			    e->siren,
			    policy_kind_str(POLICY_KIND_FRANCECONNECT),
			    (long long)policy_state_live(st, e->siren,
			        POLICY_KIND_FRANCECONNECT),
			    policy_kind_str(POLICY_KIND_API),
			    (long long)policy_state_live(st, e->siren,
			        POLICY_KIND_API));
		if (*rule == AUDIT_REVOKE_TWICE)
			return RC_ERR(err, RC_ELEDGER,
			    "revoke of entry %llu, already revoked",
			    (unsigned long long)e->ref_seq);
		return RC_ERR(err, RC_ELEDGER, "%s", perr.msg);
	}
	if (e->op == POLICY_OP_REVOKE)
		vs->marks[e->ref_seq] |= MARK_REVOKED; /* ref_seq < seq */
	return RC_OK;
}

/* Room for entry idx in leaves, marks and off. */
static enum rc_code
vstate_grow(struct vstate *vs, uint64_t idx, struct rc_err *err)
{
	uint64_t ncap = vs->cap ? vs->cap * 2 : 4096;
	unsigned char *l2, *m2;
	uint64_t *o2;

	if (idx < vs->cap)
		return RC_OK;
	if ((l2 = rc_realloc(vs->leaves, ncap * MERKLE_HASH_LEN)) != NULL)
		vs->leaves = l2;
	if ((m2 = rc_realloc(vs->marks, ncap)) != NULL)
		vs->marks = m2;
	if ((o2 = rc_realloc(vs->off, (ncap + 1) * sizeof(*o2))) != NULL)
		vs->off = o2;
	if (l2 == NULL || m2 == NULL || o2 == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	memset(vs->marks + vs->cap, 0, ncap - vs->cap);
	vs->cap = ncap;
	return RC_OK;
}

/*
 * Parse line idx (buf, n bytes read with its newline) and check it
 * against the rules; on failure name the line, its seq and the rule, or
 * the byte where it differs from its receipt when it was altered.
 */
static enum rc_code
read_entry(struct vstate *vs, struct policy_state *st, const char *buf,
    size_t n, uint64_t idx, uint64_t off, time_t last_time,
    struct ledger_entry *e, struct rc_err *err)
{
	struct rc_err lerr = { 0 };
	enum audit_rule rule = AUDIT__MAX;
	size_t len = n && buf[n - 1] == '\n' ? n - 1 : n;
	enum rc_code rc;
	long at;

	if (len == n)
		rc = RC_ERR(&lerr, RC_EPARSE, "no final newline (truncated)");
	else
		rc = ledger_entry_parse(buf, len, e, &lerr);
	if (rc == RC_OK)
		rc = audit_entry(vs, st, e, idx, last_time, &rule, &lerr);
	if (rc == RC_OK || finding(rc, RC_ELEDGER) != RC_ELEDGER)
		return rc == RC_OK ? RC_OK : RC_ERR(err, rc, "%s", lerr.msg);
	at = receipt_diff(vs, idx, buf, len);
	if (at >= 0)
		return RC_ERR(err, RC_ELEDGER,
		    "%s/entries.jsonl line %llu (seq %llu), byte %ld (file "
		    "byte %llu): altered (differs from its receipt): %s%s%s",
		    vs->dir, (unsigned long long)idx + 1,
		    (unsigned long long)idx, at,
		    (unsigned long long)off + (uint64_t)at,
		    rule < AUDIT__MAX ? audit_names[rule] : "",
		    rule < AUDIT__MAX ? ": " : "", lerr.msg);
	if (rule < AUDIT__MAX)
		return RC_ERR(err, RC_ELEDGER,
		    "rule %s broken: %s/entries.jsonl line %llu (seq %llu): "
		    "%s",
		    audit_names[rule], vs->dir, (unsigned long long)idx + 1,
		    (unsigned long long)e->seq, lerr.msg);
	return RC_ERR(err, RC_ELEDGER,
	    "%s/entries.jsonl line %llu (file byte %llu): %s", vs->dir,
	    (unsigned long long)idx + 1, (unsigned long long)off, lerr.msg);
}

/* Compare the tree of idx entries with every checkpoints/<idx>. */
static enum rc_code
match_checkpoints(const struct vstate *vs, const struct merkle_stack *ms,
    size_t *ci, uint64_t *lastgood, struct rc_err *err)
{
	unsigned char root[MERKLE_HASH_LEN];
	enum rc_code rc;

	while (*ci < vs->ncps && vs->cps[*ci].size == vs->n) {
		if ((rc = merkle_stack_root(ms, root)) != RC_OK)
			return RC_ERR(err, rc, "cannot compute a root");
		if (CRYPTO_memcmp(root, vs->cps[*ci].root, MERKLE_HASH_LEN) !=
		    0)
			return blame_range(vs, *lastgood, vs->n, err);
		*lastgood = vs->n;
		(*ci)++;
	}
	return RC_OK;
}

static enum rc_code
stream_entries(struct vstate *vs, struct ledger_verify_result *res,
    struct rc_err *err)
{
	struct policy_state st;
	struct merkle_stack ms;
	struct ledger_entry e;
	unsigned char leaf[MERKLE_HASH_LEN];
	char *buf = NULL, last_ev[65] = "";
	size_t cap = 0, ci = 0;
	ssize_t n;
	uint64_t off = 0, idx = 0, lastgood = 0;
	time_t last_time = 0;
	enum rc_code rc = RC_OK;
	FILE *f;
	int fd2;

	policy_state_init(&st);
	merkle_stack_init(&ms);
	if ((fd2 = dup(vs->fd)) < 0 || (f = fdopen(fd2, "rb")) == NULL) {
		if (fd2 >= 0)
			close(fd2);
		return RC_ERR(err, RC_ESYS, "entries.jsonl: %s",
		    strerror(errno));
	}
	while (ci < vs->ncps && vs->cps[ci].size == 0)
		ci++; /* the empty tree */
	for (; (n = getline(&buf, &cap, f)) > 0; off += (uint64_t)n, idx++) {
		if (idx >= vs->head) {
			res->unsigned_tail++;
			continue;
		}
		if ((rc = vstate_grow(vs, idx, err)) != RC_OK)
			goto out;
		vs->off[idx] = off;
		vs->off[idx + 1] = off + (uint64_t)n;
		if ((rc = read_entry(vs, &st, buf, (size_t)n, idx, off,
		         last_time, &e, err)) != RC_OK)
			goto out;
		last_time = e.time;
		if (e.op == POLICY_OP_AWARD &&
		    strcmp(last_ev, e.evidence_sha256) != 0) {
			if ((rc = check_evidence(vs, e.evidence_sha256, idx + 1,
			         err)) != RC_OK)
				goto out;
			res->evidence++;
			memcpy(last_ev, e.evidence_sha256, 65);
		}
		if ((rc = merkle_leaf_hash(buf, (size_t)n - 1, leaf)) !=
		        RC_OK ||
		    (rc = merkle_stack_push(&ms, leaf)) != RC_OK) {
			rc = RC_ERR(err, rc, "cannot hash line %llu",
			    (unsigned long long)idx + 1);
			goto out;
		}
		memcpy(vs->leaves + idx * MERKLE_HASH_LEN, leaf,
		    MERKLE_HASH_LEN);
		vs->n = idx + 1;
		if ((rc = match_checkpoints(vs, &ms, &ci, &lastgood, err)) !=
		    RC_OK)
			goto out;
	}
	if (idx < vs->head) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s/entries.jsonl holds %llu entries but the checkpoint "
		    "signs %llu: truncated",
		    vs->dir, (unsigned long long)idx,
		    (unsigned long long)vs->head);
		goto out;
	}
	/* rollback.checkpoint: every checkpoint ever signed is kept, and the
	 * head is the largest (docs/ledger.md, "Directory"); a larger one
	 * means the head was moved back. */
	if (ci < vs->ncps) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "rule %s broken: %s/checkpoints/%llu signs more entries "
		    "than the head (%s/checkpoint signs %llu): the log was "
		    "rolled back",
		    audit_names[AUDIT_ROLLBACK_CHECKPOINT], vs->dir,
		    (unsigned long long)vs->cps[ci].size, vs->dir,
		    (unsigned long long)vs->head);
		goto out;
	}
	res->entries = vs->n;
	res->awards = st.awards;
	res->revokes = st.revokes;
	res->live_cents = st.live_cents;
out:
	free(buf);
	fclose(f);
	policy_state_cleanup(&st);
	return rc;
}

/*
 * The root of the ledger's own first size entries (size <= vs->n): the
 * root of checkpoints/<size>, which the rebuilt tree matched, or else
 * recomputed from the leaf hashes (only on the way to a failure).
 */
static enum rc_code
own_root(const struct vstate *vs, uint64_t size,
    unsigned char out[MERKLE_HASH_LEN])
{
	const struct cpinfo *ci = find_cp(vs, size);
	struct merkle_stack ms;
	enum rc_code rc;
	uint64_t i;

	if (size > vs->n)
		return RC_EINVAL; /* not ours to compute */
	if (ci != NULL) {
		memcpy(out, ci->root, MERKLE_HASH_LEN);
		return RC_OK;
	}
	merkle_stack_init(&ms);
	for (i = 0; i < size; i++)
		if ((rc = merkle_stack_push(&ms,
		         vs->leaves + i * MERKLE_HASH_LEN)) != RC_OK)
			return rc;
	return merkle_stack_root(&ms, out);
}

/* Base64 of a root, for messages ("?" if it cannot be made). */
static void
root_b64(const unsigned char root[MERKLE_HASH_LEN], char out[48])
{
	char *b = NULL;

	snprintf(out, 48, "?");
	if (rc_base64_encode(root, MERKLE_HASH_LEN, &b) == RC_OK)
		snprintf(out, 48, "%s", b);
	rc_free(b);
}

/*
 * A signed checkpoint cp that someone holds (a receipt's, or the one the
 * payment office cosigned), against this ledger: rollback.* when it signs
 * more entries than the head (entries were removed after it was handed
 * out), fork.* when the ledger's own tree of that size has another root
 * (two histories signed with one key: a split view).  what names it.
 */
static enum rc_code
check_held(const struct vstate *vs, const struct checkpoint *cp,
    enum audit_rule rollback, enum audit_rule fork, const char *what,
    struct rc_err *err)
{
	unsigned char own[MERKLE_HASH_LEN];
	char a[48], b[48];
	enum rc_code rc;

	if (cp->size > vs->head)
		return RC_ERR(err, RC_ELEDGER,
		    "rule %s broken: %s: signed for %llu entries, but the "
		    "head of %s signs only %llu (entries removed after it was "
		    "handed out)",
		    audit_names[rollback], what, (unsigned long long)cp->size,
		    vs->dir, (unsigned long long)vs->head);
	if ((rc = own_root(vs, cp->size, own)) != RC_OK)
		return RC_ERR(err, rc, "cannot compute the root of size %llu",
		    (unsigned long long)cp->size);
	if (CRYPTO_memcmp(own, cp->root, MERKLE_HASH_LEN) == 0)
		return RC_OK;
	root_b64(cp->root, a);
	root_b64(own, b);
	return RC_ERR(err, RC_ELEDGER,
	    "rule %s broken: %s: its checkpoint of size %llu has root %s, "
	    "the ledger's own tree of size %llu has root %s (a fork: two "
	    "histories signed with the log key; keep both as evidence)",
	    audit_names[fork], what, (unsigned long long)cp->size, a,
	    (unsigned long long)cp->size, b);
}

/*
 * One receipt: signature, origin, index, entry seq and inclusion proof;
 * then its checkpoint must be one of the ledger's own (rollback.receipt,
 * fork.receipt), kept in checkpoints/, and its entry the stored one.
 */
static enum rc_code
check_receipt(const struct vstate *vs, const char *path, uint64_t seq,
    const char *buf, size_t len, struct rc_err *err)
{
	struct ledger_receipt r;
	struct rc_err lerr = { 0 };
	unsigned char leaf[MERKLE_HASH_LEN];
	char what[400];
	enum rc_code rc;

	if ((rc = receipt_verify(buf, len, vs->vkey,
	         receipt_note_known(vs, buf, len), NULL, 0, (int64_t)seq, &r,
	         &lerr)) != RC_OK)
		return RC_ERR(err, finding(rc, RC_ELEDGER), "%s/%s: %s",
		    vs->dir, path, lerr.msg);
	snprintf(what, sizeof(what), "%s/%s (entry %llu)", vs->dir, path,
	    (unsigned long long)seq);
	if ((rc = check_held(vs, &r.cp, AUDIT_ROLLBACK_RECEIPT,
	         AUDIT_FORK_RECEIPT, what, err)) != RC_OK)
		goto out;
	if (find_cp(vs, r.cp.size) == NULL) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s: its checkpoint (size %llu) is not one of "
		    "checkpoints/ (a signed checkpoint was removed)",
		    what, (unsigned long long)r.cp.size);
		goto out;
	}
	if ((rc = merkle_leaf_hash(r.extra, r.extra_len, leaf)) != RC_OK) {
		rc = RC_ERR(err, rc, "%s: cannot hash its entry", what);
		goto out;
	}
	if (CRYPTO_memcmp(leaf, vs->leaves + seq * MERKLE_HASH_LEN,
	        MERKLE_HASH_LEN) != 0)
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s: proves an entry that differs from entries.jsonl line "
		    "%llu",
		    what, (unsigned long long)seq + 1);
out:
	rc_free(r.extra);
	return rc;
}

static enum rc_code
check_receipts(struct vstate *vs, struct ledger_verify_result *res,
    struct rc_err *err)
{
	size_t len = 0;
	struct dirent *de;
	char path[300], *buf = NULL;
	uint64_t seq;
	enum rc_code rc = RC_OK;
	int rfd;
	DIR *d;

	rfd = openat(vs->dirfd, "receipts", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || (d = fdopendir(rfd)) == NULL) {
		if (rfd >= 0)
			close(rfd);
		return RC_ERR(err, RC_ELEDGER, "%s/receipts: missing", vs->dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "receipts/%s", de->d_name);
		if (!parse_u64_name(de->d_name, ".tlog-proof", &seq)) {
			rc = RC_ERR(err, RC_ELEDGER, "%s/%s: unexpected file",
			    vs->dir, path);
			break;
		}
		/* A receipt is written only after the checkpoint that covers
		 * its entry: one beyond the head was handed out for entries
		 * since removed (check_held names it). */
		if ((rc = ledger_read_at(vs->dirfd, path, 1024 * 1024, &buf,
		         &len, err)) != RC_OK ||
		    (rc = check_receipt(vs, path, seq, buf, len, err)) != RC_OK)
			break;
		rc_free(buf);
		buf = NULL;
		res->receipts++;
	}
	rc_free(buf);
	closedir(d);
	return rc;
}

/*
 * The checkpoint the payment office last cosigned (the file `ledger
 * cosign --state` keeps), signed by the log key: the head must not be
 * smaller (rollback.cosigned) and the ledger's tree of its size must have
 * its root (fork.cosigned).  Reading it: RC_EINVAL (bad input).
 */
static enum rc_code
load_cosigned(const struct vstate *vs, const char *path, struct checkpoint *cp,
    struct rc_err *err)
{
	struct rc_err lerr = { 0 };
	char *note = NULL;
	size_t len = 0;
	enum rc_code rc;

	if ((rc = ledger_read_file(path, NOTE_MAX_BYTES, &note, &len, &lerr)) ==
	    RC_OK)
		rc = checkpoint_open(note, len, vs->vkey, NULL, 0, cp, NULL,
		    &lerr);
	rc_free(note);
	if (rc != RC_OK)
		return RC_ERR(err, rc == RC_ENOMEM ? rc : RC_EINVAL,
		    "%s: not a checkpoint of this log signed by the pinned "
		    "key: %s",
		    path, lerr.msg);
	return RC_OK;
}

static enum rc_code
open_head(struct vstate *vs, struct ledger_verify_result *r, struct rc_err *err)
{
	struct rc_err cerr = { 0 };
	const struct cpinfo *ci;
	char *note = NULL;
	size_t len = 0;
	enum rc_code rc;

	if ((rc = ledger_read_at(vs->dirfd, "checkpoint", NOTE_MAX_BYTES, &note,
	         &len, err)) != RC_OK)
		return rc;
	rc = checkpoint_open(note, len, vs->vkey, NULL, 0, &r->cp, NULL, &cerr);
	rc_free(note);
	if (rc != RC_OK)
		return RC_ERR(err,
		    finding(rc, rc == RC_ECRYPTO ? RC_ECRYPTO : RC_ELEDGER),
		    "%s/checkpoint: %s", vs->dir, cerr.msg);
	vs->head = r->cp.size;
	if ((rc = load_checkpoints(vs, r, err)) != RC_OK)
		return rc;
	ci = find_cp(vs, r->cp.size);
	if (ci == NULL ||
	    CRYPTO_memcmp(ci->root, r->cp.root, MERKLE_HASH_LEN) != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "%s/checkpoint: no identical checkpoints/%llu", vs->dir,
		    (unsigned long long)r->cp.size);
	return RC_OK;
}

enum rc_code
ledger_verify_audit(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, const struct ledger_verify_opts *o,
    struct ledger_verify_result *res, struct rc_err *err)
{
	struct ledger_verify_result r;
	struct checkpoint cos;
	struct vstate vs;
	char what[4200];
	enum rc_code rc;
	int lockfd = -1;

	memset(&r, 0, sizeof(r));
	memset(&vs, 0, sizeof(vs));
	vs.dir = dir;
	vs.vkey = vkey;
	vs.p = p;
	vs.fd = -1;
	vs.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vs.dirfd < 0)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", dir,
		    strerror(errno));
	if (o != NULL && o->cosigned != NULL &&
	    (rc = load_cosigned(&vs, o->cosigned, &cos, err)) != RC_OK)
		goto out;
	/* A shared lock, so that no append is half-way while we read. */
	lockfd = openat(vs.dirfd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lockfd >= 0)
		(void)flock(lockfd, LOCK_SH);
	if ((rc = open_head(&vs, &r, err)) != RC_OK)
		goto out;
	vs.fd = openat(vs.dirfd, "entries.jsonl",
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (vs.fd < 0) {
		rc = RC_ERR(err, RC_ELEDGER, "%s/entries.jsonl: %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((rc = stream_entries(&vs, &r, err)) != RC_OK ||
	    (rc = check_receipts(&vs, &r, err)) != RC_OK)
		goto out;
	if (o != NULL && o->cosigned != NULL) {
		snprintf(what, sizeof(what), "the checkpoint cosigned in %s",
		    o->cosigned);
		if ((rc = check_held(&vs, &cos, AUDIT_ROLLBACK_COSIGNED,
		         AUDIT_FORK_COSIGNED, what, err)) != RC_OK)
			goto out;
		r.cosigned_size = cos.size;
	}
	if (res != NULL)
		*res = r;
out:
	rc_free(vs.cps);
	rc_free(vs.cpdig);
	rc_free(vs.leaves);
	rc_free(vs.marks);
	rc_free(vs.off);
	if (vs.fd >= 0)
		close(vs.fd);
	if (lockfd >= 0)
		close(lockfd);
	close(vs.dirfd);
	return rc;
}

enum rc_code
ledger_verify(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, struct ledger_verify_result *res,
    struct rc_err *err)
{
	return ledger_verify_audit(dir, vkey, p, NULL, res, err);
}
