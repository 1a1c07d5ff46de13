/* SPDX-License-Identifier: MIT */
/*
 * C2SP signed notes, checkpoints and cosignatures: the reference's
 * vectors byte for byte (golang/mod note_test.go, C2SP signed-note.md,
 * the Tessera test key checkpoint), strict parsing, multiple and unknown
 * signatures, vkey rules.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/digest.h"
#include "common/mem.h"
#include "connector/ledger/checkpoint.h"
#include "connector/ledger/note.h"

static const char pn_skey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+"
                              "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char pn_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char pn_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char pn_sig[] =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n";

static const char c2_vkey[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char c2_note[] =
    "This is an example message.\n\n"
    "\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mF"
    "XmRKuwHjG1Yu72IneyaQM=\n";

static const char ts_skey[] = "PRIVATE+KEY+example.com/log/testdata+33d7b496+"
                              "AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";
static const char ts_vkey[] = "example.com/log/testdata+33d7b496+"
                              "AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
static const char ts_cp[] =
    "example.com/log/testdata\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/"
    "RgQyg=\n\n"
    "\xe2\x80\x94 example.com/log/testdata "
    "M9e0loRVkEPcM/dTSb6Mjv4p+ddtWVs8jOuTljfuDAFhvGTLRlsxA/"
    "U6MghQ8dOdcWU9wylzFS3B9MbyqXOzmNpbmwM=\n";

static int vectors_passed;

static void
test_go_vector(void **state)
{
	struct note_signer *s = NULL;
	struct note_verifier *v = NULL;
	const struct note_signer *ss[1];
	const struct note_verifier *vv[1];
	struct rc_err err = { 0 };
	struct note_result r;
	char *vk = NULL, *note = NULL;
	size_t len;

	(void)state;
	assert_int_equal(note_signer_from_skey(pn_skey, &s, &err), RC_OK);
	assert_int_equal(note_signer_vkey(s, &vk), RC_OK);
	assert_string_equal(vk, pn_vkey);
	ss[0] = s;
	assert_int_equal(
	    note_sign(pn_text, strlen(pn_text), ss, 1, &note, &len, &err),
	    RC_OK);
	assert_int_equal(len, strlen(pn_text) + 1 + strlen(pn_sig));
	assert_memory_equal(note, pn_text, strlen(pn_text));
	assert_string_equal(note + strlen(pn_text) + 1, pn_sig);
	assert_int_equal(note_verifier_parse(pn_vkey, &v, &err), RC_OK);
	vv[0] = v;
	assert_int_equal(note_open(note, len, vv, 1, &r, &err), RC_OK);
	assert_int_equal(r.text_len, strlen(pn_text));
	assert_int_equal(r.nverified, 1);
	vectors_passed += 3;
	rc_free(vk);
	rc_free(note);
	note_signer_free(s);
	note_verifier_free(v);
}

static void
test_c2sp_vector(void **state)
{
	struct note_verifier *v = NULL;
	const struct note_verifier *vv[1];
	struct rc_err err = { 0 };
	char buf[512];

	(void)state;
	assert_int_equal(note_verifier_parse(c2_vkey, &v, &err), RC_OK);
	vv[0] = v;
	assert_int_equal(note_open(c2_note, strlen(c2_note), vv, 1, NULL, &err),
	    RC_OK);
	/* A changed text byte breaks it. */
	snprintf(buf, sizeof(buf), "%s", c2_note);
	buf[3] = 'S';
	assert_int_equal(note_open(buf, strlen(buf), vv, 1, NULL, &err),
	    RC_ECRYPTO);
	vectors_passed += 2;
	note_verifier_free(v);
}

static void
test_checkpoint_vector(void **state)
{
	struct note_signer *s = NULL;
	struct note_verifier *v = NULL;
	const struct note_signer *ss[1];
	struct rc_err err = { 0 };
	struct checkpoint cp, got;
	unsigned char *root = NULL;
	size_t rootlen, len;
	char *vk = NULL, *note = NULL;

	(void)state;
	assert_int_equal(note_signer_from_skey(ts_skey, &s, &err), RC_OK);
	assert_int_equal(note_signer_vkey(s, &vk), RC_OK);
	assert_string_equal(vk, ts_vkey);
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "example.com/log/testdata");
	cp.size = 8;
	assert_int_equal(
	    rc_base64_decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
	        &root, &rootlen),
	    RC_OK);
	memcpy(cp.root, root, 32);
	ss[0] = s;
	assert_int_equal(checkpoint_sign(&cp, ss, 1, &note, &len, &err), RC_OK);
	assert_string_equal(note, ts_cp);
	assert_int_equal(note_verifier_parse(ts_vkey, &v, &err), RC_OK);
	assert_int_equal(
	    checkpoint_open(ts_cp, strlen(ts_cp), v, NULL, 0, &got, NULL, &err),
	    RC_OK);
	assert_int_equal(got.size, 8);
	assert_memory_equal(got.root, cp.root, 32);
	assert_string_equal(got.origin, "example.com/log/testdata");
	vectors_passed += 3;
	rc_free(root);
	rc_free(vk);
	rc_free(note);
	note_signer_free(s);
	note_verifier_free(v);
}

static void
test_strict_parse(void **state)
{
	struct note_verifier *v = NULL, *v2 = NULL;
	struct note_signer *s = NULL;
	const struct note_verifier *vv[2];
	struct rc_err err = { 0 };
	struct checkpoint cp;
	char buf[1024];
	size_t i;
	static const char *const bad_cp[] = {
		"o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n8 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
		"o o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+"
		"Nw7/RgQyg=\n",
	};
	static const char *const bad_vkeys[] = {
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
		"LDE4izWy10TW",
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
		"LDE4izWy10TW",
		"PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/"
		"LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
		"LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
		"",
	};

	(void)state;
	for (i = 0; i < sizeof(bad_cp) / sizeof(bad_cp[0]); i++)
		if (checkpoint_parse(bad_cp[i], strlen(bad_cp[i]), &cp, &err) ==
		    RC_OK)
			fail_msg("accepted checkpoint %zu", i);
	for (i = 0; i < sizeof(bad_vkeys) / sizeof(bad_vkeys[0]); i++)
		if (note_verifier_parse(bad_vkeys[i], &v, &err) == RC_OK)
			fail_msg("accepted vkey %zu", i);
	/* A key ID of 8 characters that are not hex is named as such (and
	 * never compared: its value is unknown), in a verifier key and in a
	 * private key string. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(note_verifier_parse("PeterNeumann+c74f20g3+"
	                                     "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
	                                     "LDE4izWy10TW",
	                     &v, &err),
	    RC_EINVAL);
	assert_string_equal(err.msg,
	    "verifier key: key ID is not 8 hex digits");
	memset(&err, 0, sizeof(err));
	assert_int_equal(note_verifier_parse("PeterNeumann+c74f20a3x+"
	                                     "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
	                                     "LDE4izWy10TW",
	                     &v, &err),
	    RC_EINVAL);
	assert_string_equal(err.msg,
	    "verifier key: key ID is not 8 hex digits");
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	    note_signer_from_skey("PRIVATE+KEY+PeterNeumann+"
	                          "c74f20z3+AYEKFALVFGyNhPJEMzD1QID"
	                          "r+Y7hfZx09iUvxdXHKDFz",
	        &s, &err),
	    RC_EINVAL);
	assert_null(s);
	assert_string_equal(err.msg, "malformed private key string");

	assert_int_equal(note_verifier_parse(c2_vkey, &v, &err), RC_OK);
	assert_int_equal(note_verifier_parse(pn_vkey, &v2, &err), RC_OK);
	vv[0] = v;
	vv[1] = v2;
	/* an unknown signature is ignored, the known one suffices */
	snprintf(buf, sizeof(buf), "%s%s", c2_note, pn_sig);
	assert_int_equal(note_open(buf, strlen(buf), vv, 1, NULL, &err), RC_OK);
	/* a known key whose signature fails rejects the note */
	assert_int_equal(note_open(buf, strlen(buf), vv, 2, NULL, &err),
	    RC_ECRYPTO);
	/* no known key: rejected */
	assert_int_equal(
	    note_open(c2_note, strlen(c2_note), vv + 1, 1, NULL, &err),
	    RC_ECRYPTO);
	/* malformed: no blank line, CR, bad prefix, no final newline, bad
	 * base64, short signature, invalid UTF-8 */
	{
		static const char *const bad[] = {
			"text\n\xe2\x80\x94 a AAAAAAA=\n",
			"text\r\n\n\xe2\x80\x94 example.com/foo AAAAAAA=\n",
			"text\n\n- example.com/foo AAAAAAA=\n",
			"text\n\n\xe2\x80\x94 example.com/foo AAAAAAA=",
			"text\n\n\xe2\x80\x94 example.com/foo AAAAAAA\n",
			"text\n\n\xe2\x80\x94 example.com/foo AAAA\n",
			"text\n\n\xe2\x80\x94 example.com/foo \n",
			"te\xff\n\n\xe2\x80\x94 example.com/foo AAAAAAA=\n",
			"text\n\n",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (note_open(bad[i], strlen(bad[i]), vv, 2, NULL,
			        &err) != RC_EPARSE)
				fail_msg("malformed note %zu not refused as "
				         "such",
				    i);
	}
	note_verifier_free(v);
	note_verifier_free(v2);
}

static void
test_multi_and_cosign(void **state)
{
	struct note_signer *log = NULL, *pn = NULL, *wit = NULL;
	struct note_verifier *vlog = NULL, *vwit = NULL, *vpn = NULL;
	const struct note_signer *ss[2];
	const struct note_verifier *vv[3];
	struct rc_err err = { 0 };
	struct note_result r;
	char *note = NULL, *line = NULL, *vk = NULL, *both = NULL;
	size_t len, n;
	EVP_PKEY *pk = NULL;
	static const char body[] = "example.com/log/testdata\n8\n"
	                           "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/"
	                           "RgQyg=\n";

	(void)state;
	assert_int_equal(note_signer_from_skey(ts_skey, &log, &err), RC_OK);
	assert_int_equal(note_signer_from_skey(pn_skey, &pn, &err), RC_OK);
	ss[0] = log;
	ss[1] = pn;
	/* the same text signed by two keys carries both lines */
	assert_int_equal(
	    note_sign(body, strlen(body), ss, 2, &note, &len, &err), RC_OK);
	assert_true(strncmp(note, ts_cp, strlen(ts_cp)) == 0);

	/* a witness cosignature (type 0x04) over the checkpoint */
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	assert_int_equal(note_signer_new("witness.example/office",
	                     NOTE_TYPE_COSIG, pk, &wit, &err),
	    RC_OK);
	assert_int_equal(
	    note_sign_line(wit, note, strlen(body), 1700000000, &line, &err),
	    RC_OK);
	n = len + strlen(line);
	both = rc_malloc(n + 1);
	memcpy(both, note, len);
	memcpy(both + len, line, strlen(line) + 1);
	assert_int_equal(note_signer_vkey(wit, &vk), RC_OK);
	assert_int_equal(note_verifier_parse(vk, &vwit, &err), RC_OK);
	assert_int_equal(vwit->type, NOTE_TYPE_COSIG);
	assert_int_equal(note_verifier_parse(ts_vkey, &vlog, &err), RC_OK);
	assert_int_equal(note_verifier_parse(pn_vkey, &vpn, &err), RC_OK);
	vv[0] = vlog;
	vv[1] = vwit;
	vv[2] = vpn;
	assert_int_equal(note_open(both, n, vv, 3, &r, &err), RC_OK);
	assert_int_equal(r.nverified, 3);
	assert_true(r.verified[1]);
	assert_int_equal(r.time[1], 1700000000);
	/* the cosignature does not verify as a plain signature over other
	 * text */
	both[1] ^= 1;
	assert_int_not_equal(note_open(both, n, vv, 3, &r, &err), RC_OK);
	/* Ed25519 signatures are 64 bytes: a valid one cut or padded is
	 * no signature (a surviving mutant accepted any other length). */
	{
		unsigned char sig[65] = { 0 };

		assert_int_equal(note_ed25519_sign(pk, body, strlen(body), sig),
		    RC_OK);
		assert_int_equal(
		    note_ed25519_verify(pk, body, strlen(body), sig, 64), 1);
		assert_int_equal(
		    note_ed25519_verify(pk, body, strlen(body), sig, 63), 0);
		assert_int_equal(
		    note_ed25519_verify(pk, body, strlen(body), sig, 65), 0);
		assert_int_equal(
		    note_ed25519_verify(pk, body, strlen(body), sig, 0), 0);
	}
	EVP_PKEY_free(pk);
	rc_free(note);
	rc_free(line);
	rc_free(vk);
	rc_free(both);
	note_signer_free(log);
	note_signer_free(pn);
	note_signer_free(wit);
	note_verifier_free(vlog);
	note_verifier_free(vwit);
	note_verifier_free(vpn);
}

static int
report(void **state)
{
	(void)state;
	printf("note: %d vectors passed\n", vectors_passed);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_vector),
		cmocka_unit_test(test_c2sp_vector),
		cmocka_unit_test(test_checkpoint_vector),
		cmocka_unit_test(test_strict_parse),
		cmocka_unit_test(test_multi_and_cosign),
	};

	return cmocka_run_group_tests(tests, NULL, report);
}
