/* SPDX-License-Identifier: MIT */
/*
 * Offline verification of a ledger, of single receipts, and the payment
 * export (see ledger.h and docs/ledger.md).  Nothing here writes to the
 * ledger; verification streams entries.jsonl in constant memory except
 * for 40 bytes per entry (leaf hash and offset) kept for the receipt
 * pass and for naming the first altered line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
	unsigned char leaf[MERKLE_HASH_LEN], *h = NULL;
	const char *p = receipt, *end = receipt + len, *nl;
	const char *leafdata;
	size_t hl = 0, leaflen, i;
	enum rc_code rc;
	char num[32];

	memset(&rr, 0, sizeof(rr));
	if (r != NULL)
		memset(r, 0, sizeof(*r));
#define NEXT_LINE() ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
	if (!NEXT_LINE() || (size_t)(nl - p) != strlen(LEDGER_RECEIPT_HEADER) ||
	    memcmp(p, LEDGER_RECEIPT_HEADER, (size_t)(nl - p)) != 0) {
		rc = RC_ERR(err, RC_EPARSE,
		    "receipt: first line is not " LEDGER_RECEIPT_HEADER);
		goto out;
	}
	p = nl + 1;
	if (NEXT_LINE() && nl - p > 6 && memcmp(p, "extra ", 6) == 0) {
		if (note_base64_decode(p + 6, (size_t)(nl - p - 6), &rr.extra,
		        &rr.extra_len) != RC_OK) {
			rc = RC_ERR(err, RC_EPARSE,
			    "receipt: extra is not base64");
			goto out;
		}
		p = nl + 1;
	}
	if (!NEXT_LINE() || nl - p < 7 || memcmp(p, "index ", 6) != 0 ||
	    (size_t)(nl - p - 6) >= sizeof(num)) {
		rc = RC_ERR(err, RC_EPARSE, "receipt: no index line");
		goto out;
	}
	memcpy(num, p + 6, (size_t)(nl - p - 6));
	num[nl - p - 6] = '\0';
	if (!parse_u64_name(num, "", &rr.index)) {
		rc = RC_ERR(err, RC_EPARSE, "receipt: bad index \"%s\"", num);
		goto out;
	}
	p = nl + 1;
	while (NEXT_LINE() && nl != p) {
		if (rr.n >= MERKLE_MAX_PROOF ||
		    note_base64_decode(p, (size_t)(nl - p), &h, &hl) != RC_OK ||
		    hl != MERKLE_HASH_LEN) {
			rc = RC_ERR(err, RC_EPARSE,
			    "receipt: proof line %zu is not a base64 hash",
			    rr.n + 1);
			goto out;
		}
		memcpy(rr.proof[rr.n++], h, MERKLE_HASH_LEN);
		rc_free(h);
		h = NULL;
		p = nl + 1;
	}
	if (nl == NULL) {
		rc = RC_ERR(err, RC_EPARSE,
		    "receipt: no blank line before the checkpoint");
		goto out;
	}
	rr.note = nl + 1;
	rr.note_len = (size_t)(end - rr.note);
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
	if (ledger_entry_parse(leafdata, leaflen, &e, &lerr) != RC_OK) {
		rc = RC_ERR(err, RC_ELEDGER, "receipt entry: %s", lerr.msg);
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
		rc = RC_ERR(err, RC_ELEDGER,
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
#undef NEXT_LINE
	rc_free(h);
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
	struct cpinfo *cps;
	size_t ncps;
	unsigned char *cpdig;  /* SHA-256 of each verified note, sorted */
	unsigned char *leaves; /* 32 bytes per entry */
	uint64_t *off;         /* line offsets, n + 1 */
	uint64_t n, cap;
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
			rc = RC_ERR(err, RC_ELEDGER, "%s/%s: %s", vs->dir, path,
			    cerr.msg);
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

	snprintf(name, sizeof(name), "evidence/%s.json", hex);
	if (ledger_read_at(vs->dirfd, name, LEDGER_MAX_EVIDENCE, &buf, &len,
	        &e) != RC_OK)
		return RC_ERR(err, RC_ELEDGER,
		    "%s/entries.jsonl line %llu: %s is missing or unreadable",
		    vs->dir, (unsigned long long)line, name);
	rc_sha256_hex(buf, len, got);
	rc_free(buf);
	if (strcmp(got, hex) != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "%s/%s: content hashes to %s, not to its name (altered "
		    "evidence)",
		    vs->dir, name, got);
	return RC_OK;
}

static enum rc_code
stream_entries(struct vstate *vs, const struct policy *p,
    struct ledger_verify_result *res, struct rc_err *err)
{
	struct policy_state st;
	struct merkle_stack ms;
	struct ledger_entry e;
	struct policy_entry pe;
	struct rc_err lerr = { 0 };
	unsigned char leaf[MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	char *buf = NULL, last_ev[65] = "";
	size_t cap = 0, ci = 0;
	ssize_t n;
	uint64_t off = 0, idx = 0, lastgood = 0, signed_size;
	time_t last_time = 0;
	enum rc_code rc = RC_OK;
	FILE *f;
	long at;
	int fd2;

	signed_size = res->cp.size;
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
	while ((n = getline(&buf, &cap, f)) > 0) {
		int complete = buf[n - 1] == '\n';
		size_t len = complete ? (size_t)n - 1 : (size_t)n;

		if (idx >= signed_size) {
			res->unsigned_tail++;
			off += (uint64_t)n;
			idx++;
			continue;
		}
		if (idx == vs->cap) {
			uint64_t ncap = vs->cap ? vs->cap * 2 : 4096;
			unsigned char *l2;
			uint64_t *o2;

			l2 = rc_realloc(vs->leaves, ncap * MERKLE_HASH_LEN);
			if (l2 != NULL)
				vs->leaves = l2;
			o2 = rc_realloc(vs->off, (ncap + 1) * sizeof(*o2));
			if (o2 != NULL)
				vs->off = o2;
			if (l2 == NULL || o2 == NULL) {
				rc = RC_ERR(err, RC_ENOMEM, "out of memory");
				goto out;
			}
			vs->cap = ncap;
		}
		vs->off[idx] = off;
		vs->off[idx + 1] = off + (uint64_t)n;
		rc_err_clear(&lerr);
		rc = complete
		    ? ledger_entry_parse(buf, len, &e, &lerr)
		    : RC_ERR(&lerr, RC_EPARSE, "no final newline (truncated)");
		if (rc == RC_OK && e.seq != idx)
			rc = RC_ERR(&lerr, RC_ELEDGER,
			    "seq %llu, expected %llu",
			    (unsigned long long)e.seq, (unsigned long long)idx);
		if (rc == RC_OK && e.time < last_time)
			rc = RC_ERR(&lerr, RC_ELEDGER,
			    "time %s is before the previous entry's",
			    e.time_str);
		if (rc == RC_OK) {
			ledger_entry_policy(&e, &pe);
			rc = policy_state_apply(p, &st, &pe, &lerr);
		}
		if (rc != RC_OK) {
			at = receipt_diff(vs, idx, buf, len);
			if (at >= 0)
				rc = RC_ERR(err, RC_ELEDGER,
				    "%s/entries.jsonl line %llu (seq %llu), "
				    "byte %ld (file byte %llu): altered "
				    "(differs "
				    "from its receipt): %s",
				    vs->dir, (unsigned long long)idx + 1,
				    (unsigned long long)idx, at,
				    (unsigned long long)off + (uint64_t)at,
				    lerr.msg);
			else
				rc = RC_ERR(err, RC_ELEDGER,
				    "%s/entries.jsonl line %llu (file byte "
				    "%llu): %s",
				    vs->dir, (unsigned long long)idx + 1,
				    (unsigned long long)off, lerr.msg);
			goto out;
		}
		last_time = e.time;
		if (e.op == POLICY_OP_AWARD &&
		    strcmp(last_ev, e.evidence_sha256) != 0) {
			if ((rc = check_evidence(vs, e.evidence_sha256, idx + 1,
			         err)) != RC_OK)
				goto out;
			res->evidence++;
			memcpy(last_ev, e.evidence_sha256, 65);
		}
		if ((rc = merkle_leaf_hash(buf, len, leaf)) != RC_OK ||
		    (rc = merkle_stack_push(&ms, leaf)) != RC_OK)
			goto out;
		memcpy(vs->leaves + idx * MERKLE_HASH_LEN, leaf,
		    MERKLE_HASH_LEN);
		off += (uint64_t)n;
		idx++;
		vs->n = idx;
		while (ci < vs->ncps && vs->cps[ci].size == idx) {
			if ((rc = merkle_stack_root(&ms, root)) != RC_OK)
				goto out;
			if (CRYPTO_memcmp(root, vs->cps[ci].root,
			        MERKLE_HASH_LEN) != 0) {
				rc = blame_range(vs, lastgood, idx, err);
				goto out;
			}
			lastgood = idx;
			ci++;
		}
	}
	if (idx < signed_size) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s/entries.jsonl holds %llu entries but the checkpoint "
		    "signs %llu: truncated",
		    vs->dir, (unsigned long long)idx,
		    (unsigned long long)signed_size);
		goto out;
	}
	if (ci < vs->ncps) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s/checkpoints/%llu signs more entries than the latest "
		    "checkpoint (%llu)",
		    vs->dir, (unsigned long long)vs->cps[ci].size,
		    (unsigned long long)signed_size);
		goto out;
	}
	res->entries = idx - res->unsigned_tail;
	res->awards = st.awards;
	res->revokes = st.revokes;
	res->live_cents = st.live_cents;
out:
	free(buf);
	fclose(f);
	policy_state_cleanup(&st);
	return rc;
}

static enum rc_code
check_receipts(struct vstate *vs, struct ledger_verify_result *res,
    struct rc_err *err)
{
	struct ledger_receipt r;
	struct rc_err lerr = { 0 };
	size_t len = 0;
	const struct cpinfo *ci;
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
		if (seq >= vs->n)
			continue; /* for the unsigned tail: not yet trusted */
		if ((rc = ledger_read_at(vs->dirfd, path, 1024 * 1024, &buf,
		         &len, err)) != RC_OK)
			break;
		/* Signature, origin, index, entry seq and inclusion proof;
		 * then the checkpoint must be one of checkpoints/ (whose
		 * roots the rebuilt tree matched) and the entry the stored
		 * one. */
		rc_err_clear(&lerr);
		rc = receipt_verify(buf, len, vs->vkey,
		    receipt_note_known(vs, buf, len), NULL, 0, (int64_t)seq, &r,
		    &lerr);
		if (rc != RC_OK) {
			rc = RC_ERR(err, RC_ELEDGER, "%s/%s: %s", vs->dir, path,
			    lerr.msg);
			break;
		}
		ci = find_cp(vs, r.cp.size);
		if (ci == NULL ||
		    CRYPTO_memcmp(ci->root, r.cp.root, MERKLE_HASH_LEN) != 0) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "%s/%s: its checkpoint (size %llu) is not one of "
			    "checkpoints/",
			    vs->dir, path, (unsigned long long)r.cp.size);
			rc_free(r.extra);
			break;
		}
		/* The receipt's entry is the stored one. */
		{
			unsigned char leaf[MERKLE_HASH_LEN];

			merkle_leaf_hash(r.extra, r.extra_len, leaf);
			if (CRYPTO_memcmp(leaf,
			        vs->leaves + seq * MERKLE_HASH_LEN,
			        MERKLE_HASH_LEN) != 0) {
				rc = RC_ERR(err, RC_ELEDGER,
				    "%s/%s: proves an entry that differs from "
				    "entries.jsonl line %llu",
				    vs->dir, path, (unsigned long long)seq + 1);
				rc_free(r.extra);
				break;
			}
		}
		rc_free(r.extra);
		rc_free(buf);
		buf = NULL;
		res->receipts++;
	}
	rc_free(buf);
	closedir(d);
	return rc;
}

enum rc_code
ledger_verify(const char *dir, const struct note_verifier *vkey,
    const struct policy *p, struct ledger_verify_result *res,
    struct rc_err *err)
{
	struct ledger_verify_result r;
	struct vstate vs;
	struct rc_err cerr = { 0 };
	const struct cpinfo *ci;
	char *note = NULL;
	size_t len = 0;
	enum rc_code rc;
	int lockfd = -1;

	memset(&r, 0, sizeof(r));
	memset(&vs, 0, sizeof(vs));
	vs.dir = dir;
	vs.vkey = vkey;
	vs.fd = -1;
	vs.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vs.dirfd < 0)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", dir,
		    strerror(errno));
	/* A shared lock, so that no append is half-way while we read. */
	lockfd = openat(vs.dirfd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lockfd >= 0)
		(void)flock(lockfd, LOCK_SH);
	if ((rc = ledger_read_at(vs.dirfd, "checkpoint", NOTE_MAX_BYTES, &note,
	         &len, err)) != RC_OK)
		goto out;
	if ((rc = checkpoint_open(note, len, vkey, NULL, 0, &r.cp, NULL,
	         &cerr)) != RC_OK) {
		rc = RC_ERR(err, rc == RC_ECRYPTO ? RC_ECRYPTO : RC_ELEDGER,
		    "%s/checkpoint: %s", dir, cerr.msg);
		goto out;
	}
	if ((rc = load_checkpoints(&vs, &r, err)) != RC_OK)
		goto out;
	ci = find_cp(&vs, r.cp.size);
	if (ci == NULL ||
	    CRYPTO_memcmp(ci->root, r.cp.root, MERKLE_HASH_LEN) != 0) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s/checkpoint: no identical checkpoints/%llu", dir,
		    (unsigned long long)r.cp.size);
		goto out;
	}
	vs.fd = openat(vs.dirfd, "entries.jsonl",
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (vs.fd < 0) {
		rc = RC_ERR(err, RC_ELEDGER, "%s/entries.jsonl: %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((rc = stream_entries(&vs, p, &r, err)) != RC_OK)
		goto out;
	if ((rc = check_receipts(&vs, &r, err)) != RC_OK)
		goto out;
	if (res != NULL)
		*res = r;
out:
	rc_free(note);
	rc_free(vs.cps);
	rc_free(vs.cpdig);
	rc_free(vs.leaves);
	rc_free(vs.off);
	if (vs.fd >= 0)
		close(vs.fd);
	if (lockfd >= 0)
		close(lockfd);
	close(vs.dirfd);
	return rc;
}
