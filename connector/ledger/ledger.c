/* SPDX-License-Identifier: MIT */
/*
 * The ledger writer: init, open with recovery, append, proofs (see
 * ledger.h).  The append order is the one of shared/DESIGN.md §3 and
 * reference/ledger.md §6.2; the comments at each step say what a crash
 * right there leaves behind and how the next open recovers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

struct ledger {
	char *dir;
	int dirfd, cpdirfd, rcdirfd, evdirfd, lockfd, fd;
	int writable;
	int broken; /* a write or fsync failed: no more appends */
	const struct note_signer *signer; /* borrowed */
	struct policy policy;
	struct policy_state st;
	struct merkle_tree tree;
	uint64_t *off; /* byte offset of each line; off[size] = end */
	uint64_t offcap;
	time_t last_time;
	char *cp_note;
	size_t cp_len;
	struct checkpoint cp;
};

static enum rc_code
push_off(struct ledger *lg, uint64_t off)
{
	uint64_t *p, ncap;

	if (lg->tree.size + 1 >= lg->offcap) {
		ncap = lg->offcap ? lg->offcap * 2 : 1024;
		if ((p = rc_realloc(lg->off, ncap * sizeof(*p))) == NULL)
			return RC_ENOMEM;
		lg->off = p;
		lg->offcap = ncap;
	}
	lg->off[lg->tree.size + 1] = off;
	return RC_OK;
}

static int
open_subdir(int dirfd, const char *name, int create)
{
	if (create && mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Sign lg's tree at its current size and store the checkpoint. */
static enum rc_code
commit_checkpoint(struct ledger *lg, struct rc_err *err)
{
	const struct note_signer *signers[1] = { lg->signer };
	struct checkpoint cp;
	char *note = NULL, name[32];
	size_t len = 0;
	enum rc_code rc;
	int existed;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", lg->signer->name);
	cp.size = lg->tree.size;
	if ((rc = merkle_tree_root(&lg->tree, cp.size, cp.root)) != RC_OK)
		return RC_ERR(err, rc, "cannot compute the root");
	if ((rc = checkpoint_sign(&cp, signers, 1, &note, &len, err)) != RC_OK)
		return rc;
	/* checkpoints/<n> first: immutable, created once.  Ed25519 is
	 * deterministic, so re-signing after a crash gives the same bytes
	 * and the existing file is accepted. */
	snprintf(name, sizeof(name), "%llu", (unsigned long long)cp.size);
	rc = ledger_create_once_at(lg->cpdirfd, name, note, len, &existed, err);
	if (rc == RC_OK)
		rc = ledger_replace_at(lg->dirfd, "checkpoint", note, len, 0644,
		    err);
	if (rc != RC_OK) {
		lg->broken = 1;
		rc_free(note);
		return rc;
	}
	rc_free(lg->cp_note);
	lg->cp_note = note;
	lg->cp_len = len;
	lg->cp = cp;
	return RC_OK;
}

static enum rc_code
read_line(const struct ledger *lg, uint64_t seq, char **out, size_t *len,
    struct rc_err *err)
{
	uint64_t a = lg->off[seq], b = lg->off[seq + 1];
	size_t n = (size_t)(b - a), got = 0;
	ssize_t r;
	char *buf;

	*out = NULL;
	*len = 0;
	if (n == 0 || n > LEDGER_MAX_LINE + 1)
		return RC_ERR(err, RC_ELEDGER, "entry %llu: bad length",
		    (unsigned long long)seq);
	if ((buf = rc_malloc(n + 1)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	while (got < n) {
		r = pread(lg->fd, buf + got, n - got, (off_t)(a + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc_free(buf);
			return RC_ERR(err, RC_ESYS,
			    "entries.jsonl: cannot read entry %llu",
			    (unsigned long long)seq);
		}
		got += (size_t)r;
	}
	buf[n - 1] = '\0'; /* the newline */
	*out = buf;
	*len = n - 1;
	return RC_OK;
}

enum rc_code
ledger_entry_line(const struct ledger *lg, uint64_t seq, char **out,
    size_t *len, struct rc_err *err)
{
	*out = NULL;
	if (seq >= lg->cp.size)
		return RC_ERR(err, RC_EINVAL,
		    "no entry %llu: the ledger holds %llu",
		    (unsigned long long)seq, (unsigned long long)lg->cp.size);
	return read_line(lg, seq, out, len, err);
}

/* The tlog-proof of seq against the checkpoint cp/note. */
static enum rc_code
build_proof(const struct ledger *lg, uint64_t seq, char **out, size_t *len,
    struct rc_err *err)
{
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	struct rc_buf b;
	char *line = NULL, *b64 = NULL;
	size_t n = 0, i, linelen = 0;
	enum rc_code rc;

	*out = NULL;
	*len = 0;
	rc_buf_init(&b, 256 * 1024);
	if ((rc = read_line(lg, seq, &line, &linelen, err)) != RC_OK)
		goto out;
	if ((rc = merkle_tree_inclusion(&lg->tree, seq, lg->cp.size, proof,
	         &n)) != RC_OK) {
		RC_ERR(err, rc, "no inclusion proof for entry %llu",
		    (unsigned long long)seq);
		goto out;
	}
	if ((rc = rc_base64_encode(line, linelen, &b64)) != RC_OK)
		goto out;
	rc = rc_buf_addf(&b, "%s\nextra %s\nindex %llu\n",
	    LEDGER_RECEIPT_HEADER, b64, (unsigned long long)seq);
	for (i = 0; rc == RC_OK && i < n; i++) {
		rc_free(b64);
		b64 = NULL;
		if ((rc = rc_base64_encode(proof + i * MERKLE_HASH_LEN,
		         MERKLE_HASH_LEN, &b64)) == RC_OK)
			rc = rc_buf_addf(&b, "%s\n", b64);
	}
	if (rc == RC_OK)
		rc = rc_buf_adds(&b, "\n");
	if (rc == RC_OK)
		rc = rc_buf_add(&b, lg->cp_note, lg->cp_len);
	if (rc != RC_OK) {
		RC_ERR(err, rc, "cannot build the receipt");
		goto out;
	}
	*len = b.len;
	*out = rc_buf_steal(&b);
out:
	rc_free(line);
	rc_free(b64);
	rc_buf_free(&b);
	return rc;
}

enum rc_code
ledger_prove(const struct ledger *lg, uint64_t seq, char **out, size_t *len,
    struct rc_err *err)
{
	*out = NULL;
	if (seq >= lg->cp.size)
		return RC_ERR(err, RC_EINVAL,
		    "no entry %llu: the ledger holds %llu",
		    (unsigned long long)seq, (unsigned long long)lg->cp.size);
	return build_proof(lg, seq, out, len, err);
}

void
ledger_receipt_path(const struct ledger *lg, uint64_t seq, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/receipts/%llu.tlog-proof", lg->dir,
	    (unsigned long long)seq);
}

static enum rc_code
write_receipt(struct ledger *lg, uint64_t seq, struct rc_err *err)
{
	char *r = NULL, name[48];
	size_t len = 0;
	enum rc_code rc;

	if ((rc = build_proof(lg, seq, &r, &len, err)) != RC_OK)
		return rc;
	/* A receipt is replaced (not created once): a later checkpoint
	 * after recovery proves the same entry just as well. */
	snprintf(name, sizeof(name), "%llu.tlog-proof",
	    (unsigned long long)seq);
	rc = ledger_replace_at(lg->rcdirfd, name, r, len, 0644, err);
	if (rc != RC_OK)
		lg->broken = 1;
	rc_free(r);
	return rc;
}

static int
receipt_exists(const struct ledger *lg, uint64_t seq)
{
	char name[48];
	struct stat st;

	snprintf(name, sizeof(name), "%llu.tlog-proof",
	    (unsigned long long)seq);
	return fstatat(lg->rcdirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

enum rc_code
ledger_init(const char *dir, const struct note_signer *signer,
    struct rc_err *err)
{
	struct ledger lg;
	struct dirent *de;
	DIR *d;
	enum rc_code rc = RC_OK;
	int fd;

	memset(&lg, 0, sizeof(lg));
	lg.dirfd = lg.cpdirfd = lg.rcdirfd = lg.evdirfd = lg.fd = lg.lockfd =
	    -1;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return RC_ERR(err, RC_ESYS, "%s: cannot create: %s", dir,
		    strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			RC_ERR(err, RC_EINVAL,
			    "%s: not empty (found %s); a ledger is created "
			    "in a new or empty directory",
			    dir, de->d_name);
			closedir(d);
			return RC_EINVAL;
		}
	closedir(d);
	lg.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lg.dirfd < 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: %s", dir, strerror(errno));
		goto out;
	}
	lg.cpdirfd = open_subdir(lg.dirfd, "checkpoints", 1);
	lg.rcdirfd = open_subdir(lg.dirfd, "receipts", 1);
	lg.evdirfd = open_subdir(lg.dirfd, "evidence", 1);
	if (lg.cpdirfd < 0 || lg.rcdirfd < 0 || lg.evdirfd < 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: cannot create subdirectories",
		    dir);
		goto out;
	}
	fd = openat(lg.dirfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644);
	if (fd >= 0)
		close(fd);
	fd = openat(lg.dirfd, "entries.jsonl",
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || fsync(fd) != 0) {
		rc = RC_ERR(err, RC_ESYS, "%s/entries.jsonl: %s", dir,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if ((rc = ledger_fsync(lg.dirfd, dir, err)) != RC_OK)
		goto out;
	lg.signer = signer;
	merkle_tree_init(&lg.tree);
	rc = commit_checkpoint(&lg, err);
	rc_free(lg.cp_note);
out:
	if (lg.cpdirfd >= 0)
		close(lg.cpdirfd);
	if (lg.rcdirfd >= 0)
		close(lg.rcdirfd);
	if (lg.evdirfd >= 0)
		close(lg.evdirfd);
	if (lg.dirfd >= 0)
		close(lg.dirfd);
	return rc;
}

static enum rc_code
take_lock(struct ledger *lg, int exclusive, long wait_ms, struct rc_err *err)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long waited = 0;

	lg->lockfd = openat(lg->dirfd, "lock",
	    (exclusive ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
	if (lg->lockfd < 0) {
		if (!exclusive && (errno == ENOENT || errno == EACCES))
			return RC_OK; /* a read-only copy without lock */
		return RC_ERR(err, RC_ELEDGER, "%s/lock: cannot open: %s",
		    lg->dir, strerror(errno));
	}
	for (;;) {
		if (flock(lg->lockfd,
		        (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
			return RC_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return RC_ERR(err, RC_ESYS, "%s/lock: flock: %s",
			    lg->dir, strerror(errno));
		if (waited >= wait_ms)
			return RC_ERR(err, RC_EBUSY,
			    "%s is locked by another raccord process (waited "
			    "%ld ms); try again when it has finished",
			    lg->dir, waited);
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

/*
 * Read entries.jsonl, rebuilding the tree and the policy state.  Lines
 * past the signed size are kept only in write mode, where a torn tail is
 * truncated.
 */
static enum rc_code
load_entries(struct ledger *lg, struct rc_err *err)
{
	struct ledger_entry e;
	struct rc_err lerr = { 0 };
	struct policy_entry pe;
	unsigned char leaf[MERKLE_HASH_LEN];
	struct stat st;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t off = 0, idx = 0;
	enum rc_code rc = RC_OK;
	FILE *f = NULL;
	int fd2, torn = 0;

	if (fstat(lg->fd, &st) != 0)
		return RC_ERR(err, RC_ESYS, "entries.jsonl: %s",
		    strerror(errno));
	if ((fd2 = dup(lg->fd)) < 0 || lseek(fd2, 0, SEEK_SET) != 0 ||
	    (f = fdopen(fd2, "rb")) == NULL) {
		if (fd2 >= 0)
			close(fd2);
		return RC_ERR(err, RC_ESYS, "entries.jsonl: %s",
		    strerror(errno));
	}
	if ((rc = push_off(lg, 0)) != RC_OK)
		goto out;
	lg->off[0] = 0;
	while ((n = getline(&buf, &cap, f)) > 0) {
		int complete = buf[n - 1] == '\n';
		size_t len = complete ? (size_t)n - 1 : (size_t)n;
		int last = off + (uint64_t)n == (uint64_t)st.st_size;

		if (idx >= lg->cp.size && !lg->writable)
			break; /* unsigned tail: not ours to judge here */
		if (len > LEDGER_MAX_LINE) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %llu (byte %llu): longer "
			    "than %d bytes",
			    (unsigned long long)idx + 1,
			    (unsigned long long)off, LEDGER_MAX_LINE);
			goto out;
		}
		rc_err_clear(&lerr);
		rc = complete ? ledger_entry_parse(buf, len, &e, &lerr)
		              : RC_EPARSE;
		if (rc != RC_OK && idx >= lg->cp.size && last) {
			torn = 1; /* unsigned last line, incomplete or bad */
			rc = RC_OK;
			break;
		}
		if (rc != RC_OK) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %llu (file byte %llu): %s%s",
			    (unsigned long long)idx + 1,
			    (unsigned long long)off,
			    complete ? ""
			             : "no final newline in a signed "
			               "line; ",
			    complete ? lerr.msg : "the file was truncated");
			goto out;
		}
		if (e.seq != idx) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %llu (file byte %llu): seq "
			    "%llu, expected %llu",
			    (unsigned long long)idx + 1,
			    (unsigned long long)off, (unsigned long long)e.seq,
			    (unsigned long long)idx);
			goto out;
		}
		if (e.time < lg->last_time) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %llu: time %s goes back",
			    (unsigned long long)idx + 1, e.time_str);
			goto out;
		}
		ledger_entry_policy(&e, &pe);
		rc_err_clear(&lerr);
		if ((rc = policy_state_apply(&lg->policy, &lg->st, &pe,
		         &lerr)) != RC_OK) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "entries.jsonl line %llu: breaks the policy: %s",
			    (unsigned long long)idx + 1, lerr.msg);
			goto out;
		}
		lg->last_time = e.time;
		if ((rc = merkle_leaf_hash(buf, len, leaf)) != RC_OK ||
		    (rc = push_off(lg, off + (uint64_t)n)) != RC_OK ||
		    (rc = merkle_tree_append(&lg->tree, leaf)) != RC_OK) {
			RC_ERR(err, rc, "out of memory");
			goto out;
		}
		off += (uint64_t)n;
		idx++;
	}
	if (idx < lg->cp.size) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "entries.jsonl holds %llu entries but the checkpoint "
		    "signs %llu: the file was truncated below its signed "
		    "size",
		    (unsigned long long)idx, (unsigned long long)lg->cp.size);
		goto out;
	}
	if (lg->writable && (torn || off != (uint64_t)st.st_size)) {
		/* Recovery: drop the torn, never-signed tail. */
		if (ftruncate(lg->fd, (off_t)off) != 0 || fsync(lg->fd) != 0) {
			rc = RC_ERR(err, RC_ESYS,
			    "entries.jsonl: cannot truncate the torn tail: %s",
			    strerror(errno));
			goto out;
		}
		fprintf(stderr,
		    "raccord: ledger %s: dropped a torn, unsigned last line "
		    "(%llu bytes at byte %llu)\n",
		    lg->dir, (unsigned long long)st.st_size - off,
		    (unsigned long long)off);
	}
out:
	free(buf); /* getline's */
	fclose(f);
	return rc;
}

/* Read and check the latest checkpoint with key (a vkey). */
static enum rc_code
load_checkpoint(struct ledger *lg, const struct note_verifier *key,
    struct rc_err *err)
{
	struct rc_err cerr = { 0 };
	enum rc_code rc;

	rc = ledger_read_at(lg->dirfd, "checkpoint", NOTE_MAX_BYTES,
	    &lg->cp_note, &lg->cp_len, err);
	if (rc != RC_OK)
		return RC_ERR(err, RC_ELEDGER,
		    "%s is not a ledger (no readable checkpoint)", lg->dir);
	if (key == NULL)
		return checkpoint_parse_signed(lg->cp_note, lg->cp_len, &lg->cp,
		    err);
	rc = checkpoint_open(lg->cp_note, lg->cp_len, key, NULL, 0, &lg->cp,
	    NULL, &cerr);
	if (rc != RC_OK)
		return RC_ERR(err, rc == RC_ECRYPTO ? RC_ECRYPTO : RC_ELEDGER,
		    "%s/checkpoint: %s (key %s+%08x)", lg->dir, cerr.msg,
		    key->name, (unsigned)key->id);
	return RC_OK;
}

enum rc_code
ledger_open(const char *dir, const struct note_signer *signer,
    const struct note_verifier *vkey, const struct policy *p, long lock_wait_ms,
    struct ledger **out, struct rc_err *err)
{
	struct note_verifier *self = NULL;
	struct ledger *lg;
	char *vk = NULL;
	uint64_t signed_size, s;
	enum rc_code rc;

	*out = NULL;
	if ((lg = rc_calloc(1, sizeof(*lg))) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	lg->dirfd = lg->cpdirfd = lg->rcdirfd = lg->evdirfd = lg->lockfd =
	    lg->fd = -1;
	merkle_tree_init(&lg->tree);
	policy_state_init(&lg->st);
	lg->policy = *p;
	lg->signer = signer;
	lg->writable = signer != NULL;
	if ((lg->dir = rc_strdup(dir)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	lg->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lg->dirfd < 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: cannot open the ledger: %s", dir,
		    strerror(errno));
		goto out;
	}
	lg->cpdirfd = open_subdir(lg->dirfd, "checkpoints", 0);
	lg->rcdirfd = open_subdir(lg->dirfd, "receipts", 0);
	lg->evdirfd = open_subdir(lg->dirfd, "evidence", 0);
	if (lg->cpdirfd < 0 || lg->rcdirfd < 0 || lg->evdirfd < 0) {
		rc = RC_ERR(err, RC_ELEDGER,
		    "%s is not a ledger (checkpoints/, receipts/ or "
		    "evidence/ missing)",
		    dir);
		goto out;
	}
	if ((rc = take_lock(lg, lg->writable, lock_wait_ms, err)) != RC_OK)
		goto out;
	if (lg->writable) {
		/* The key given must be the one that signed the ledger. */
		if ((rc = note_signer_vkey(signer, &vk)) != RC_OK ||
		    (rc = note_verifier_parse(vk, &self, err)) != RC_OK)
			goto out;
		vkey = self;
	}
	if ((rc = load_checkpoint(lg, vkey, err)) != RC_OK) {
		if (lg->writable)
			RC_ERR(err, rc,
			    "the key does not match the ledger's signer");
		goto out;
	}
	lg->fd = openat(lg->dirfd, "entries.jsonl",
	    (lg->writable ? O_RDWR | O_APPEND : O_RDONLY) | O_NOFOLLOW |
	        O_CLOEXEC);
	if (lg->fd < 0) {
		rc = RC_ERR(err, RC_ELEDGER, "%s/entries.jsonl: %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((rc = load_entries(lg, err)) != RC_OK)
		goto out;
	{
		unsigned char root[MERKLE_HASH_LEN];

		if ((rc = merkle_tree_root(&lg->tree, lg->cp.size, root)) !=
		    RC_OK)
			goto out;
		if (CRYPTO_memcmp(root, lg->cp.root, MERKLE_HASH_LEN) != 0) {
			rc = RC_ERR(err, RC_ELEDGER,
			    "%s/entries.jsonl: the first %llu entries do not "
			    "hash to the signed root of the checkpoint: an "
			    "entry was altered; run `raccord ledger verify` "
			    "to locate it",
			    dir, (unsigned long long)lg->cp.size);
			goto out;
		}
	}
	if (!lg->writable) {
		merkle_tree_truncate(&lg->tree, lg->cp.size);
		goto done;
	}
	/* Complete, valid lines past the checkpoint were appended and
	 * fsynced but never signed (a crash before signing): sign them
	 * now, then give them receipts. */
	signed_size = lg->cp.size;
	if (lg->tree.size > signed_size) {
		if ((rc = commit_checkpoint(lg, err)) != RC_OK)
			goto out;
		fprintf(stderr,
		    "raccord: ledger %s: signed %llu entries left unsigned "
		    "by an interrupted append\n",
		    dir, (unsigned long long)(lg->tree.size - signed_size));
	}
	/* Receipts missing at the end (a crash before they were written). */
	for (s = lg->tree.size; s > 0 && !receipt_exists(lg, s - 1); s--)
		;
	for (; s < lg->tree.size; s++)
		if ((rc = write_receipt(lg, s, err)) != RC_OK)
			goto out;
done:
	*out = lg;
	lg = NULL; /* transferred */
	rc = RC_OK;
out:
	rc_free(vk);
	note_verifier_free(self);
	ledger_close(lg);
	return rc;
}

void
ledger_close(struct ledger *lg)
{
	if (lg == NULL)
		return;
	if (lg->fd >= 0)
		close(lg->fd);
	if (lg->cpdirfd >= 0)
		close(lg->cpdirfd);
	if (lg->rcdirfd >= 0)
		close(lg->rcdirfd);
	if (lg->evdirfd >= 0)
		close(lg->evdirfd);
	if (lg->lockfd >= 0)
		close(lg->lockfd); /* releases the flock */
	if (lg->dirfd >= 0)
		close(lg->dirfd);
	merkle_tree_cleanup(&lg->tree);
	policy_state_cleanup(&lg->st);
	rc_free(lg->off);
	rc_free(lg->cp_note);
	rc_free(lg->dir);
	rc_free(lg);
}

uint64_t
ledger_size(const struct ledger *lg)
{
	return lg->cp.size;
}

const char *
ledger_origin(const struct ledger *lg)
{
	return lg->cp.origin;
}

const struct policy_state *
ledger_state(const struct ledger *lg)
{
	return &lg->st;
}

const char *
ledger_dir(const struct ledger *lg)
{
	return lg->dir;
}

const char *
ledger_checkpoint_note(const struct ledger *lg, size_t *len)
{
	*len = lg->cp_len;
	return lg->cp_note;
}

const struct checkpoint *
ledger_checkpoint(const struct ledger *lg)
{
	return &lg->cp;
}

const unsigned char *
ledger_subtree_hash(const struct ledger *lg, unsigned height, uint64_t index)
{
	if (height >= MERKLE_MAX_LEVELS || height >= 64 ||
	    index >= (lg->cp.size >> height) || index >= lg->tree.count[height])
		return NULL;
	return lg->tree.level[height] + index * MERKLE_HASH_LEN;
}

enum rc_code
ledger_evidence_put(struct ledger *lg, const void *data, size_t len,
    char hex[65], struct rc_err *err)
{
	char name[80];
	enum rc_code rc;
	int existed;

	if (!lg->writable || lg->broken)
		return RC_ERR(err, RC_ELEDGER,
		    "ledger not open for writing, or an earlier write "
		    "failed");
	if ((rc = rc_sha256_hex(data, len, hex)) != RC_OK)
		return RC_ERR(err, rc, "cannot hash the evidence");
	snprintf(name, sizeof(name), "%s.json", hex);
	rc = ledger_create_once_at(lg->evdirfd, name, data, len, &existed, err);
	if (rc != RC_OK)
		lg->broken = 1;
	return rc;
}

/* Rebuild the policy state from the stored entries (after a refusal). */
static enum rc_code
rebuild_state(struct ledger *lg, struct rc_err *err)
{
	struct ledger_entry e;
	struct policy_entry pe;
	char *line = NULL;
	size_t len;
	uint64_t i;
	enum rc_code rc = RC_OK;

	policy_state_cleanup(&lg->st);
	policy_state_init(&lg->st);
	for (i = 0; i < lg->tree.size && rc == RC_OK; i++) {
		if ((rc = read_line(lg, i, &line, &len, err)) != RC_OK)
			break;
		if ((rc = ledger_entry_parse(line, len, &e, err)) == RC_OK) {
			ledger_entry_policy(&e, &pe);
			rc = policy_state_apply(&lg->policy, &lg->st, &pe, err);
		}
		rc_free(line);
		line = NULL;
	}
	if (rc != RC_OK)
		lg->broken = 1;
	return rc;
}

static int
evidence_exists(const struct ledger *lg, const char *hex)
{
	char name[80];
	struct stat st;

	snprintf(name, sizeof(name), "%s.json", hex);
	return fstatat(lg->evdirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

void
ledger_entry_policy(const struct ledger_entry *e, struct policy_entry *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->op = e->op;
	pe->seq = e->seq;
	pe->siren = e->siren;
	pe->kind = e->kind;
	pe->amount_cents = e->amount_cents;
	pe->ref_seq = e->ref_seq;
	pe->time = e->time;
	pe->credential_sha256 =
	    e->credential_sha256[0] != '\0' ? e->credential_sha256 : NULL;
	pe->has_shared_with = e->has_shared_with;
	pe->shared_with = e->shared_with;
}

enum rc_code
ledger_append(struct ledger *lg, const struct ledger_entry_in *in, size_t n,
    time_t now, uint64_t *first_seq, struct rc_err *err)
{
	struct policy_entry pe;
	struct rc_buf batch;
	struct rc_err perr = { 0 };
	unsigned char leaf[MERKLE_HASH_LEN];
	char tstr[21], *line = NULL;
	uint64_t base = lg->tree.size, oldend, off;
	size_t len, i, applied = 0;
	enum rc_code rc = RC_OK;

	*first_seq = base;
	if (!lg->writable)
		return RC_ERR(err, RC_EINVAL, "ledger opened read-only");
	if (lg->broken)
		return RC_ERR(err, RC_ELEDGER,
		    "an earlier write to %s failed; reopen the ledger to "
		    "recover before appending",
		    lg->dir);
	if (n == 0)
		return RC_OK;
	if (now < lg->last_time)
		now = lg->last_time; /* time never goes back in the log */
	ledger_time_format(now, tstr);
	rc_buf_init(&batch, (size_t)n * (LEDGER_MAX_LINE + 1));
	/* 1. Policy, for the whole batch, before anything is written. */
	for (i = 0; i < n; i++) {
		if (in[i].op == POLICY_OP_AWARD &&
		    (in[i].evidence_sha256 == NULL ||
		        !evidence_exists(lg, in[i].evidence_sha256))) {
			rc = RC_ERR(err, RC_EPOLICY,
			    "entry %zu: its evidence is not stored in "
			    "evidence/",
			    i);
			goto refuse;
		}
		memset(&pe, 0, sizeof(pe));
		pe.op = in[i].op;
		pe.seq = base + i;
		pe.credential_sha256 = in[i].credential_sha256;
		pe.has_shared_with = in[i].has_shared_with;
		pe.shared_with = in[i].shared_with;
		pe.siren = in[i].siren;
		pe.kind = in[i].kind;
		pe.amount_cents = in[i].amount_cents;
		pe.ref_seq = in[i].ref_seq;
		pe.time = now;
		rc_err_clear(&perr);
		if ((rc = policy_state_apply(&lg->policy, &lg->st, &pe,
		         &perr)) != RC_OK) {
			rc = RC_ERR(err, rc, "%s", perr.msg);
			goto refuse;
		}
		applied++;
		if ((rc = ledger_entry_encode(&in[i], base + i, tstr, &line,
		         &len, err)) != RC_OK)
			goto refuse;
		if ((rc = rc_buf_add(&batch, line, len)) != RC_OK ||
		    (rc = rc_buf_add(&batch, "\n", 1)) != RC_OK) {
			RC_ERR(err, rc, "batch too large");
			goto refuse;
		}
		rc_free(line);
		line = NULL;
	}
	/* 2. Append and fsync.  A crash here leaves a torn or unsigned
	 * tail, which the next open truncates or signs. */
	oldend = lg->off[base];
	rc = ledger_write_all(lg->fd, batch.data, batch.len, "entries.jsonl",
	    err);
	if (rc == RC_OK)
		rc = ledger_fsync(lg->fd, "entries.jsonl", err);
	if (rc != RC_OK) {
		/* Best effort: take the partial write back; never retry the
		 * fsync (its error may have dropped dirty pages). */
		if (ftruncate(lg->fd, (off_t)oldend) == 0)
			(void)fsync(lg->fd);
		lg->broken = 1;
		goto out;
	}
	/* 3. The tree. */
	off = oldend;
	for (i = 0; i < n; i++) {
		const char *p = batch.data + (off - oldend);
		const char *nl = memchr(p, '\n', batch.len - (off - oldend));

		len = (size_t)(nl - p);
		if ((rc = merkle_leaf_hash(p, len, leaf)) != RC_OK ||
		    (rc = push_off(lg, off + len + 1)) != RC_OK ||
		    (rc = merkle_tree_append(&lg->tree, leaf)) != RC_OK) {
			RC_ERR(err, rc, "out of memory");
			lg->broken = 1;
			goto out;
		}
		off += len + 1;
	}
	lg->last_time = now;
	/* 4. Sign and store the checkpoint (checkpoints/<n>, then
	 * checkpoint).  A crash here leaves signed-later entries. */
	if ((rc = commit_checkpoint(lg, err)) != RC_OK)
		goto out;
	/* 5. Only then the receipts. */
	for (i = 0; i < n; i++)
		if ((rc = write_receipt(lg, base + i, err)) != RC_OK)
			goto out;
	*first_seq = base;
	goto out;
refuse:
	if (applied > 0 && rebuild_state(lg, &perr) != RC_OK)
		lg->broken = 1;
out:
	rc_free(line);
	rc_buf_free(&batch);
	return rc;
}

enum rc_code
ledger_consistency_hashes(const struct ledger *lg, uint64_t old,
    unsigned char *proof, size_t *n, struct rc_err *err)
{
	*n = 0;
	if (old == 0 || old > lg->cp.size)
		return RC_ERR(err, RC_EINVAL,
		    "size %llu: must be between 1 and %llu",
		    (unsigned long long)old, (unsigned long long)lg->cp.size);
	return merkle_tree_consistency(&lg->tree, old, lg->cp.size, proof, n);
}

enum rc_code
ledger_consistency(const struct ledger *lg, uint64_t old, char **out,
    size_t *len, struct rc_err *err)
{
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	struct rc_buf b;
	char *b64 = NULL;
	size_t n = 0, i;
	enum rc_code rc;

	*out = NULL;
	*len = 0;
	if ((rc = ledger_consistency_hashes(lg, old, proof, &n, err)) != RC_OK)
		return rc;
	rc_buf_init(&b, 64 * 1024);
	rc = rc_buf_addf(&b, "old %llu\n", (unsigned long long)old);
	for (i = 0; rc == RC_OK && i < n; i++) {
		if ((rc = rc_base64_encode(proof + i * MERKLE_HASH_LEN,
		         MERKLE_HASH_LEN, &b64)) == RC_OK)
			rc = rc_buf_addf(&b, "%s\n", b64);
		rc_free(b64);
		b64 = NULL;
	}
	if (rc == RC_OK)
		rc = rc_buf_adds(&b, "\n");
	if (rc == RC_OK)
		rc = rc_buf_add(&b, lg->cp_note, lg->cp_len);
	if (rc != RC_OK) {
		rc_buf_free(&b);
		return RC_ERR(err, rc, "cannot build the proof");
	}
	*len = b.len;
	*out = rc_buf_steal(&b);
	return RC_OK;
}

enum rc_code
ledger_signer_for(const char *dir, const char *keyfile,
    struct note_signer **out, struct rc_err *err)
{
	struct checkpoint cp;
	char path[4096], *note = NULL;
	size_t len = 0;
	enum rc_code rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	if ((rc = ledger_read_file(path, NOTE_MAX_BYTES, &note, &len, err)) !=
	    RC_OK)
		return RC_ERR(err, RC_ELEDGER,
		    "%s is not a ledger (no readable checkpoint)", dir);
	rc = checkpoint_parse_signed(note, len, &cp, err);
	rc_free(note);
	if (rc != RC_OK)
		return RC_ERR(err, RC_ELEDGER, "%s: %s", path, err->msg);
	return ledger_signer_load(keyfile, cp.origin, NOTE_TYPE_ED25519, out,
	    err);
}
