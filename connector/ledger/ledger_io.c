/* SPDX-License-Identifier: MIT */
/*
 * Durable file operations and entry encoding for the ledger (see
 * ledger.h and ledger_int.h).  The fsync rules follow
 * shared/reference/ledger.md §5: fsync the file, then the directory after
 * create, link or rename; never retry after an fsync error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/ident.h"
#include "common/json.h"
#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

enum rc_code
ledger_write_all(int fd, const void *buf, size_t len, const char *what,
    struct rc_err *err)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return RC_ERR(err, RC_ESYS, "%s: write failed: %s",
			    what, strerror(errno));
		if (w == 0)
			return RC_ERR(err, RC_ESYS,
			    "%s: write made no progress", what);
		p += w;
		len -= (size_t)w;
	}
	return RC_OK;
}

enum rc_code
ledger_fsync(int fd, const char *what, struct rc_err *err)
{
	if (fsync(fd) != 0)
		return RC_ERR(err, RC_ESYS, "%s: fsync failed: %s", what,
		    strerror(errno));
	return RC_OK;
}

/* Write data to a fresh temp file in dirfd; *tmp receives its name. */
static enum rc_code
write_temp(int dirfd, const char *base, const void *data, size_t len,
    mode_t mode, char *tmp, size_t tmplen, struct rc_err *err)
{
	enum rc_code rc;
	int fd;

	snprintf(tmp, tmplen, ".tmp-%ld-%s", (long)getpid(), base);
	(void)unlinkat(dirfd, tmp, 0); /* a stale one from a crash */
	fd = openat(dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return RC_ERR(err, RC_ESYS, "%s: cannot create: %s", tmp,
		    strerror(errno));
	rc = ledger_write_all(fd, data, len, base, err);
	if (rc == RC_OK)
		rc = ledger_fsync(fd, base, err);
	if (close(fd) != 0 && rc == RC_OK)
		rc = RC_ERR(err, RC_ESYS, "%s: close failed: %s", base,
		    strerror(errno));
	if (rc != RC_OK)
		(void)unlinkat(dirfd, tmp, 0);
	return rc;
}

enum rc_code
ledger_replace_at(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct rc_err *err)
{
	char tmp[512];
	enum rc_code rc;

	if ((rc = write_temp(dirfd, name, data, len, mode, tmp, sizeof(tmp),
	         err)) != RC_OK)
		return rc;
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		rc = RC_ERR(err, RC_ESYS, "%s: rename failed: %s", name,
		    strerror(errno));
		(void)unlinkat(dirfd, tmp, 0);
		return rc;
	}
	return ledger_fsync(dirfd, name, err);
}

/* Read a whole file relative to dirfd. */
enum rc_code
ledger_read_at(int dirfd, const char *name, size_t max, char **out, size_t *len,
    struct rc_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return RC_ERR(err, errno == ENOENT ? RC_ELEDGER : RC_ESYS,
		    "%s: cannot open: %s", name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		close(fd);
		return RC_ERR(err, RC_ELEDGER,
		    "%s: not a regular file of at most %zu bytes", name, max);
	}
	if ((buf = rc_malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		rc_free(buf);
		return RC_ERR(err, RC_ESYS, "%s: short read", name);
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return RC_OK;
}

enum rc_code
ledger_read_file(const char *path, size_t max, char **out, size_t *len,
    struct rc_err *err)
{
	return ledger_read_at(AT_FDCWD, path, max, out, len, err);
}

enum rc_code
ledger_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct rc_err *err)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	enum rc_code rc;
	int dfd;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return RC_ERR(err, RC_EINVAL, "path too long");
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
		base = slash + 1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", dir,
		    strerror(errno));
	rc = ledger_replace_at(dfd, base, data, len, mode, err);
	close(dfd);
	return rc;
}

enum rc_code
ledger_create_once_at(int dirfd, const char *name, const void *data, size_t len,
    int *existed, struct rc_err *err)
{
	char tmp[512], *old = NULL;
	size_t oldlen = 0;
	enum rc_code rc;

	*existed = 0;
	if ((rc = write_temp(dirfd, name, data, len, 0644, tmp, sizeof(tmp),
	         err)) != RC_OK)
		return rc;
	if (linkat(dirfd, tmp, dirfd, name, 0) != 0) {
		int e = errno;

		(void)unlinkat(dirfd, tmp, 0);
		if (e != EEXIST)
			return RC_ERR(err, RC_ESYS, "%s: link failed: %s", name,
			    strerror(e));
		/* Same bytes: a crash between link and return, fine. */
		rc = ledger_read_at(dirfd, name, len + 1, &old, &oldlen, err);
		if (rc == RC_OK && (oldlen != len || memcmp(old, data, len)))
			rc = RC_ERR(err, RC_ELEDGER,
			    "%s exists with different content", name);
		rc_free(old);
		*existed = 1;
		return rc;
	}
	(void)unlinkat(dirfd, tmp, 0);
	return ledger_fsync(dirfd, name, err);
}

void
ledger_time_format(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Exactly YYYY-MM-DDTHH:MM:SSZ, a real instant. */
static int
time_parse(const char *s, time_t *out)
{
	struct tm tm;
	char back[21];
	int i;

	if (strlen(s) != 20)
		return 0;
	for (i = 0; i < 20; i++) {
		int digit = s[i] >= '0' && s[i] <= '9';

		if ((i == 4 || i == 7)         ? s[i] != '-'
		        : i == 10              ? s[i] != 'T'
		        : (i == 13 || i == 16) ? s[i] != ':'
		        : i == 19              ? s[i] != 'Z'
		                               : !digit)
			return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	*out = timegm(&tm);
	ledger_time_format(*out, back);
	return strcmp(back, s) == 0;
}

static int
hex64(const char *s)
{
	int i;

	if (strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

enum rc_code
ledger_entry_encode(const struct ledger_entry_in *in, uint64_t seq,
    const char *time_str, char **out, size_t *len, struct rc_err *err)
{
	json_t *o = json_object();
	char *s = NULL;
	int bad = 0;

	*out = NULL;
	*len = 0;
	if (o == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	bad |= json_object_set_new(o, "v", json_integer(LEDGER_VERSION));
	bad |= json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	bad |= json_object_set_new(o, "op", json_string(policy_op_str(in->op)));
	bad |= json_object_set_new(o, "time", json_string(time_str));
	bad |= json_object_set_new(o, "siren", json_string(in->siren));
	if (in->op == POLICY_OP_AWARD) {
		bad |= json_object_set_new(o, "siret", json_string(in->siret));
		bad |= json_object_set_new(o, "nom", json_string(in->nom));
		bad |= json_object_set_new(o, "titulaire",
		    json_string(in->titulaire));
		bad |= json_object_set_new(o, "kind",
		    json_string(policy_kind_str(in->kind)));
		bad |= json_object_set_new(o, "amount_cents",
		    json_integer(in->amount_cents));
		bad |= json_object_set_new(o, "currency", json_string("EUR"));
		bad |= json_object_set_new(o, "iban", json_string(in->iban));
		bad |= json_object_set_new(o, "bic", json_string(in->bic));
		bad |= json_object_set_new(o, "dossier_id",
		    json_string(in->dossier_id));
		bad |= json_object_set_new(o, "evidence_sha256",
		    json_string(in->evidence_sha256));
		if (in->credential_sha256 != NULL)
			bad |= !policy_hex64(in->credential_sha256) ||
			    json_object_set_new(o, "credential_sha256",
			        json_string(in->credential_sha256));
		if (in->conformance_sha256 != NULL)
			bad |= !policy_hex64(in->conformance_sha256) ||
			    json_object_set_new(o, "conformance_sha256",
			        json_string(in->conformance_sha256));
		if (in->has_shared_with)
			bad |= in->credential_sha256 == NULL ||
			    in->shared_with >= seq ||
			    json_object_set_new(o, "credential_shared_with",
			        json_integer((json_int_t)in->shared_with));
	} else {
		bad |= json_object_set_new(o, "kind",
		    json_string(policy_kind_str(in->kind)));
		bad |= json_object_set_new(o, "ref_seq",
		    json_integer((json_int_t)in->ref_seq));
		bad |=
		    json_object_set_new(o, "reason", json_string(in->reason));
	}
	if (in->requested_by != NULL)
		bad |= !ledger_requester_ok(in->requested_by) ||
		    json_object_set_new(o, "requested_by",
		        json_string(in->requested_by));
	if (!bad)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (bad || s == NULL)
		return RC_ERR(err, RC_EINVAL,
		    "entry %llu: a field is missing or not UTF-8",
		    (unsigned long long)seq);
	*len = strlen(s);
	if ((*out = rc_strdup(s)) == NULL) {
		free(s);
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	free(s);
	return RC_OK;
}

/*
 * Version 1 awards, version 2 (titulaire, credential), version 3
 * (requested_by, on revokes too).
 */
static const char *const award_keys_v1[] = { "v", "seq", "op", "time", "siren",
	"siret", "nom", "kind", "amount_cents", "currency", "iban", "bic",
	"dossier_id", "evidence_sha256", NULL };
static const char *const award_keys_v2[] = { "v", "seq", "op", "time", "siren",
	"siret", "nom", "titulaire", "kind", "amount_cents", "currency", "iban",
	"bic", "dossier_id", "evidence_sha256", "credential_sha256",
	"credential_shared_with", NULL };
static const char *const award_keys[] = { "v", "seq", "op", "time", "siren",
	"siret", "nom", "titulaire", "kind", "amount_cents", "currency", "iban",
	"bic", "dossier_id", "evidence_sha256", "credential_sha256",
	"credential_shared_with", "requested_by", "conformance_sha256", NULL };
static const char *const revoke_keys_v1[] = { "v", "seq", "op", "time", "siren",
	"kind", "ref_seq", "reason", NULL };
static const char *const revoke_keys[] = { "v", "seq", "op", "time", "siren",
	"kind", "ref_seq", "reason", "requested_by", NULL };

bool
ledger_requester_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '=' || s[i] == '"')
			return false;
	return i > 0 && i <= LEDGER_REQUESTER_MAX;
}

/* The keys an entry of that op and version may have. */
static const char *const *
entry_keys(enum policy_op op, long long v)
{
	if (op == POLICY_OP_REVOKE)
		return v >= 3 ? revoke_keys : revoke_keys_v1;
	return v >= 3 ? award_keys : v == 2 ? award_keys_v2 : award_keys_v1;
}

/* Version 3: the optional requested_by. */
static enum rc_code
parse_requester(json_t *o, long long v, struct ledger_entry *e,
    struct rc_err *err)
{
	const char *s = NULL;
	enum rc_code rc;

	if (v < 3)
		return RC_OK;
	if ((rc = rc_json_get_string(o, "", "requested_by", 0, 1, &s, err)) !=
	        RC_OK ||
	    s == NULL)
		return rc;
	if (!ledger_requester_ok(s))
		return RC_ERR(err, RC_EINVAL,
		    "requested_by: 1 to %d printable characters without "
		    "space, '=' or '\"'",
		    LEDGER_REQUESTER_MAX);
	snprintf(e->requested_by, sizeof(e->requested_by), "%s", s);
	return RC_OK;
}

/* Version 3 awards: the optional conformance_sha256. */
static enum rc_code
parse_conformance(json_t *o, long long v, struct ledger_entry *e,
    struct rc_err *err)
{
	const char *s = NULL;
	enum rc_code rc;

	if (v < 3 || e->op != POLICY_OP_AWARD)
		return RC_OK;
	if ((rc = rc_json_get_string(o, "", "conformance_sha256", 0, 1, &s,
	         err)) != RC_OK ||
	    s == NULL)
		return rc;
	if (!hex64(s))
		return RC_ERR(err, RC_EINVAL,
		    "conformance_sha256: not 64 lowercase hex digits");
	snprintf(e->conformance_sha256, sizeof(e->conformance_sha256), "%s", s);
	return RC_OK;
}

enum rc_code
ledger_entry_parse(const char *line, size_t len, struct ledger_entry *e,
    struct rc_err *err)
{
	const char *op, *kind, *t, *siren, *s;
	json_error_t jerr;
	long long v, seq, x;
	json_t *o;
	enum rc_code rc;
	int oom;

	memset(e, 0, sizeof(*e));
	o = rc_json_parse(line, len, &jerr, &oom);
	if (oom) /* not a finding about the line */
		return RC_ERR(err, RC_ENOMEM, "out of memory parsing an entry");
	if (o == NULL)
		return RC_ERR(err, RC_EPARSE, "byte %d: %s", jerr.position,
		    jerr.text);
	if (!json_is_object(o)) {
		rc = RC_ERR(err, RC_EPARSE, "not a JSON object");
		goto out;
	}
	if ((rc = rc_json_get_string(o, "", "op", 1, 1, &op, err)) != RC_OK)
		goto out;
	if (policy_op_parse(op, &e->op) != RC_OK) {
		rc = RC_ERR(err, RC_EINVAL, "op: unknown \"%s\"", op);
		goto out;
	}
	if ((rc = rc_json_get_int(o, "", "v", 1, LEDGER_VERSION_MIN,
	         LEDGER_VERSION, &v, err)) != RC_OK)
		goto out;
	e->version = (int)v;
	if ((rc = rc_json_only_keys(o, "", entry_keys(e->op, v), err)) !=
	        RC_OK ||
	    (rc = parse_requester(o, v, e, err)) != RC_OK ||
	    (rc = parse_conformance(o, v, e, err)) != RC_OK)
		goto out;
	if ((rc = rc_json_get_int(o, "", "seq", 1, 0, INT64_MAX, &seq, err)) !=
	        RC_OK ||
	    (rc = rc_json_get_string(o, "", "time", 1, 1, &t, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, "", "siren", 1, 1, &siren, err)) !=
	        RC_OK ||
	    (rc = rc_json_get_string(o, "", "kind", 1, 1, &kind, err)) != RC_OK)
		goto out;
	e->seq = (uint64_t)seq;
	if (!time_parse(t, &e->time)) {
		rc = RC_ERR(err, RC_EINVAL, "time: not YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	snprintf(e->time_str, sizeof(e->time_str), "%s", t);
	if (!rc_siren_valid(siren, NULL)) {
		rc = RC_ERR(err, RC_EINVAL, "siren: not a valid SIREN");
		goto out;
	}
	snprintf(e->siren, sizeof(e->siren), "%s", siren);
	if (policy_kind_parse(kind, &e->kind) != RC_OK) {
		rc = RC_ERR(err, RC_EINVAL, "kind: unknown \"%s\"", kind);
		goto out;
	}
	if (e->op == POLICY_OP_REVOKE) {
		if ((rc = rc_json_get_int(o, "", "ref_seq", 1, 0, INT64_MAX, &x,
		         err)) != RC_OK ||
		    (rc = rc_json_get_string(o, "", "reason", 1, 1, &s, err)) !=
		        RC_OK)
			goto out;
		e->ref_seq = (uint64_t)x;
		if (e->ref_seq >= e->seq)
			rc = RC_ERR(err, RC_EINVAL,
			    "ref_seq: must name an earlier entry");
		goto out;
	}
	if ((rc = rc_json_get_string(o, "", "siret", 1, 1, &s, err)) != RC_OK)
		goto out;
	if (!rc_siret_valid(s, NULL) || !rc_siret_siren_match(s, siren)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "siret: not a valid SIRET of that SIREN");
		goto out;
	}
	snprintf(e->siret, sizeof(e->siret), "%s", s);
	if ((rc = rc_json_get_int(o, "", "amount_cents", 1, 1, INT64_MAX,
	         &e->amount_cents, err)) != RC_OK)
		goto out;
	if ((rc = rc_json_get_string(o, "", "currency", 1, 1, &s, err)) !=
	    RC_OK)
		goto out;
	if (strcmp(s, "EUR") != 0) {
		rc = RC_ERR(err, RC_EINVAL, "currency: must be EUR");
		goto out;
	}
	if ((rc = rc_json_get_string(o, "", "nom", 1, 1, &s, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, "", "iban", 1, 1, &s, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, "", "bic", 1, 1, &s, err)) != RC_OK ||
	    (rc = rc_json_get_string(o, "", "dossier_id", 1, 1, &s, err)) !=
	        RC_OK ||
	    (rc = rc_json_get_string(o, "", "evidence_sha256", 1, 1, &s,
	         err)) != RC_OK)
		goto out;
	if (!hex64(s)) {
		rc = RC_ERR(err, RC_EINVAL,
		    "evidence_sha256: not 64 lowercase hex digits");
		goto out;
	}
	snprintf(e->evidence_sha256, sizeof(e->evidence_sha256), "%s", s);
	if (v < 2)
		goto out;
	/* Version 2: the holder, and the credential when one was known. */
	if ((rc = rc_json_get_string(o, "", "titulaire", 1, 1, &s, err)) !=
	    RC_OK)
		goto out;
	s = NULL;
	if ((rc = rc_json_get_string(o, "", "credential_sha256", 0, 1, &s,
	         err)) != RC_OK)
		goto out;
	if (s != NULL) {
		if (!hex64(s)) {
			rc = RC_ERR(err, RC_EINVAL,
			    "credential_sha256: not 64 lowercase hex digits");
			goto out;
		}
		snprintf(e->credential_sha256, sizeof(e->credential_sha256),
		    "%s", s);
	}
	if (json_object_get(o, "credential_shared_with") != NULL) {
		if ((rc = rc_json_get_int(o, "", "credential_shared_with", 1, 0,
		         INT64_MAX, &x, err)) != RC_OK)
			goto out;
		if (s == NULL || (uint64_t)x >= e->seq) {
			rc = RC_ERR(err, RC_EINVAL,
			    "credential_shared_with: needs a credential and "
			    "must name an earlier entry");
			goto out;
		}
		e->has_shared_with = 1;
		e->shared_with = (uint64_t)x;
	}
out:
	json_decref(o);
	return rc;
}
