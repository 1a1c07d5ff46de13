/* SPDX-License-Identifier: MIT */
/*
 * C2SP checkpoints (see checkpoint.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/checkpoint.h"

enum rc_code
checkpoint_format(const struct checkpoint *cp, char **out, size_t *outlen)
{
	char *b64 = NULL, *s;
	size_t n;
	enum rc_code rc;
	int w;

	*out = NULL;
	*outlen = 0;
	if ((rc = rc_base64_encode(cp->root, MERKLE_HASH_LEN, &b64)) != RC_OK)
		return rc;
	n = strlen(cp->origin) + strlen(b64) + 32;
	if ((s = rc_malloc(n)) == NULL) {
		rc_free(b64);
		return RC_ENOMEM;
	}
	w = snprintf(s, n, "%s\n%llu\n%s\n", cp->origin,
	    (unsigned long long)cp->size, b64);
	rc_free(b64);
	if (w < 0 || (size_t)w >= n) {
		rc_free(s);
		return RC_EINVAL;
	}
	*out = s;
	*outlen = (size_t)w;
	return RC_OK;
}

/* Strict decimal: digits only, no leading zero, below 2^63. */
static int
parse_size(const char *s, size_t n, uint64_t *out)
{
	char buf[24], *end;
	unsigned long long v;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return 0;
	*out = v;
	return 1;
}

enum rc_code
checkpoint_parse(const char *text, size_t len, struct checkpoint *out,
    struct rc_err *err)
{
	const char *l1, *l2, *l3, *end = text + len;
	unsigned char *root = NULL;
	size_t rootlen = 0;
	enum rc_code rc;

	memset(out, 0, sizeof(*out));
	if (len == 0 || text[len - 1] != '\n')
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: text does not end in a newline");
	l1 = memchr(text, '\n', len);
	l2 = memchr(l1 + 1, '\n', (size_t)(end - l1 - 1));
	l3 = l2 ? memchr(l2 + 1, '\n', (size_t)(end - l2 - 1)) : NULL;
	if (l2 == NULL || l3 == NULL)
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: fewer than three lines");
	if (l3 + 1 != end)
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: extension lines are not accepted");
	if ((size_t)(l1 - text) > NOTE_MAX_NAME)
		return RC_ERR(err, RC_EPARSE, "checkpoint: origin too long");
	memcpy(out->origin, text, (size_t)(l1 - text));
	out->origin[l1 - text] = '\0';
	if (!note_name_valid(out->origin))
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: origin is empty or has a space or '+'");
	if (!parse_size(l1 + 1, (size_t)(l2 - l1 - 1), &out->size))
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: tree size is not a decimal number without "
		    "leading zeros");
	rc = note_base64_decode(l2 + 1, (size_t)(l3 - l2 - 1), &root, &rootlen);
	if (rc == RC_ENOMEM) /* ours, not the checkpoint's fault */
		return RC_ERR(err, rc, "out of memory");
	if (rc != RC_OK || rootlen != MERKLE_HASH_LEN) {
		rc_free(root);
		return RC_ERR(err, RC_EPARSE,
		    "checkpoint: root hash is not base64 of 32 bytes");
	}
	memcpy(out->root, root, MERKLE_HASH_LEN);
	rc_free(root);
	return RC_OK;
}

enum rc_code
checkpoint_sign(const struct checkpoint *cp,
    const struct note_signer *const *signers, size_t n, char **note,
    size_t *notelen, struct rc_err *err)
{
	char *body = NULL;
	size_t len = 0;
	enum rc_code rc;

	*note = NULL;
	*notelen = 0;
	if ((rc = checkpoint_format(cp, &body, &len)) != RC_OK)
		return RC_ERR(err, rc, "cannot format the checkpoint");
	rc = note_sign(body, len, signers, n, note, notelen, err);
	rc_free(body);
	return rc;
}

enum rc_code
checkpoint_parse_signed(const char *note, size_t len, struct checkpoint *out,
    struct rc_err *err)
{
	size_t i;

	for (i = len; i >= 2; i--)
		if (note[i - 1] == '\n' && note[i - 2] == '\n')
			return checkpoint_parse(note, i - 1, out, err);
	return RC_ERR(err, RC_EPARSE, "checkpoint: not a signed note");
}

enum rc_code
checkpoint_open(const char *note, size_t len, const struct note_verifier *log,
    const struct note_verifier *const *others, size_t nothers,
    struct checkpoint *out, struct note_result *res, struct rc_err *err)
{
	const struct note_verifier *known[8];
	struct note_result r;
	enum rc_code rc;
	size_t i;

	if (nothers > 7)
		return RC_ERR(err, RC_EINVAL, "too many cosigner keys");
	known[0] = log;
	for (i = 0; i < nothers; i++)
		known[i + 1] = others[i];
	if ((rc = checkpoint_parse_signed(note, len, out, err)) != RC_OK)
		return rc;
	if (strcmp(out->origin, log->name) != 0)
		return RC_ERR(err, RC_ELEDGER,
		    "checkpoint of another log: origin \"%s\", expected "
		    "\"%s\"",
		    out->origin, log->name);
	if ((rc = note_open(note, len, known, nothers + 1, &r, err)) != RC_OK)
		return rc;
	if (!r.verified[0])
		return RC_ERR(err, RC_ECRYPTO,
		    "checkpoint is not signed by the log key %s+%08x",
		    log->name, (unsigned)log->id);
	if (res != NULL)
		*res = r;
	return RC_OK;
}
