/* SPDX-License-Identifier: MIT */
/*
 * Ledger key files (see keys.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "common/mem.h"
#include "connector/ledger/keys.h"

/* Write all of buf to a new file (O_EXCL, O_NOFOLLOW) and fsync it. */
static enum rc_code
write_new_file(const char *path, const void *buf, size_t len, mode_t mode,
    struct rc_err *err)
{
	const char *p = buf;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return RC_ERR(err, errno == EEXIST ? RC_EINVAL : RC_ESYS,
		    "%s: cannot create: %s", path, strerror(errno));
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return RC_OK;
fail:
	RC_ERR(err, RC_ESYS, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return RC_ESYS;
}

enum rc_code
ledger_key_generate(const char *name, unsigned char type, const char *keyfile,
    const char *vkeyfile, char **vkey_out, struct rc_err *err)
{
	struct note_signer *s = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem = NULL, *vkey = NULL, *line = NULL;
	long pemlen;
	size_t n;
	enum rc_code rc;

	if (vkey_out != NULL)
		*vkey_out = NULL;
	if (!note_name_valid(name))
		return RC_ERR(err, RC_EINVAL,
		    "name \"%s\" must be non-empty, without spaces or '+'",
		    name);
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		rc = RC_ERR(err, RC_ECRYPTO, "Ed25519 key generation failed");
		goto out;
	}
	if ((rc = note_signer_new(name, type, pkey, &s, err)) != RC_OK)
		goto out;
	if ((rc = note_signer_vkey(s, &vkey)) != RC_OK)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) !=
	        1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		rc = RC_ERR(err, RC_ECRYPTO, "cannot encode the key as PKCS#8");
		goto out;
	}
	n = strlen(vkey) + 2;
	if ((line = rc_malloc(n)) == NULL) {
		rc = RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(line, n, "%s\n", vkey);
	/* Refuse before writing anything if the vkey file exists. */
	if (access(vkeyfile, F_OK) == 0) {
		rc = RC_ERR(err, RC_EINVAL, "%s: already exists", vkeyfile);
		goto out;
	}
	if ((rc = write_new_file(keyfile, pem, (size_t)pemlen, 0600, err)) !=
	    RC_OK)
		goto out;
	if ((rc = write_new_file(vkeyfile, line, strlen(line), 0644, err)) !=
	    RC_OK) {
		unlink(keyfile);
		goto out;
	}
	if (vkey_out != NULL) {
		*vkey_out = vkey;
		vkey = NULL; /* transferred */
	}
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, (size_t)BIO_pending(bio));
	BIO_free(bio);
	note_signer_free(s);
	EVP_PKEY_free(pkey);
	rc_free(vkey);
	rc_free(line);
	return rc;
}

/* Read a small file opened with O_NOFOLLOW; st receives its status. */
static enum rc_code
read_small(const char *path, struct stat *st, char *buf, size_t max,
    size_t *len, struct rc_err *err)
{
	ssize_t r;
	int fd;

	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return RC_ERR(err, RC_ESYS, "%s: cannot open: %s", path,
		    strerror(errno));
	if (fstat(fd, st) != 0) {
		close(fd);
		return RC_ERR(err, RC_ESYS, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return RC_ERR(err, RC_EINVAL, "%s: not a regular file", path);
	}
	while (*len < max) {
		r = read(fd, buf + *len, max - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return RC_ERR(err, RC_ESYS, "%s: %s", path,
			    strerror(errno));
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	if (*len == max)
		return RC_ERR(err, RC_EINVAL, "%s: too large", path);
	buf[*len] = '\0';
	return RC_OK;
}

enum rc_code
ledger_key_load(const char *keyfile, EVP_PKEY **out, struct rc_err *err)
{
	char *buf = NULL;
	struct stat st;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	size_t len = 0;
	enum rc_code rc;

	*out = NULL;
	if ((buf = rc_malloc(LEDGER_KEY_MAX_BYTES)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	rc = read_small(keyfile, &st, buf, LEDGER_KEY_MAX_BYTES, &len, err);
	if (rc != RC_OK)
		goto out;
	if (st.st_mode & 077) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: private key is accessible to group or others "
		    "(mode %04o); run chmod 600 %s",
		    keyfile, (unsigned)(st.st_mode & 07777), keyfile);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		rc = RC_ERR(err, RC_EINVAL,
		    "%s: not an unencrypted PKCS#8 PEM private key", keyfile);
		goto out;
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		rc = RC_ERR(err, RC_EINVAL, "%s: not an Ed25519 key", keyfile);
		goto out;
	}
	*out = pkey;
	pkey = NULL; /* transferred */
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	rc_free_secret(buf, LEDGER_KEY_MAX_BYTES);
	return rc;
}

enum rc_code
ledger_signer_load(const char *keyfile, const char *name, unsigned char type,
    struct note_signer **out, struct rc_err *err)
{
	EVP_PKEY *pkey = NULL;
	enum rc_code rc;

	*out = NULL;
	if ((rc = ledger_key_load(keyfile, &pkey, err)) != RC_OK)
		return rc;
	rc = note_signer_new(name, type, pkey, out, err);
	EVP_PKEY_free(pkey);
	return rc;
}

enum rc_code
ledger_vkey_load(const char *vkeyfile, struct note_verifier **out,
    struct rc_err *err)
{
	char buf[1024];
	struct stat st;
	size_t len = 0;
	enum rc_code rc;

	*out = NULL;
	if ((rc = read_small(vkeyfile, &st, buf, sizeof(buf), &len, err)) !=
	    RC_OK)
		return rc;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (strlen(buf) != len || memchr(buf, '\n', len) != NULL)
		return RC_ERR(err, RC_EINVAL, "%s: not a single vkey line",
		    vkeyfile);
	rc = note_verifier_parse(buf, out, err);
	if (rc != RC_OK)
		RC_ERR(err, rc, "%s: invalid verifier key", vkeyfile);
	return rc;
}
