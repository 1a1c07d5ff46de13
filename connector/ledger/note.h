/* SPDX-License-Identifier: MIT */
/*
 * C2SP signed notes (https://c2sp.org/signed-note, the format of Go's
 * golang.org/x/mod/sumdb/note) and tlog-cosignature v1
 * (https://c2sp.org/tlog-cosignature), with Ed25519 through OpenSSL EVP.
 *
 * A note is text ending in "\n", a blank line, then signature lines
 * "— <name> <base64(keyID[4] || signature)>\n" (U+2014).  The key ID is
 * SHA-256(name || "\n" || type || public key)[:4], big-endian.  A
 * verifier key ("vkey") is written name+hex(keyID)+base64(type||pubkey).
 *
 * Parsing is strict (valid UTF-8, no control character but "\n", the last
 * blank line splits text from signatures, canonical base64, valid names,
 * at most NOTE_MAX_SIGS lines).  Signatures by unknown (name, ID) pairs
 * are ignored; a known key whose signature fails rejects the note; a note
 * with no verified known key is rejected.
 */
#ifndef RC_CONNECTOR_LEDGER_NOTE_H
#define RC_CONNECTOR_LEDGER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/err.h"

#define NOTE_TYPE_ED25519 0x01 /* signed-note Ed25519 */
#define NOTE_TYPE_COSIG   0x04 /* tlog-cosignature v1, Ed25519 */
#define NOTE_MAX_SIGS     100  /* signature lines accepted in a note */
#define NOTE_MAX_NAME     255  /* bytes in a key name */
#define NOTE_MAX_BYTES    (64 * 1024)

/* A private key and its name; owns pkey. */
struct note_signer {
	char name[NOTE_MAX_NAME + 1];
	unsigned char type; /* NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG */
	uint32_t id;
	unsigned char pub[32];
	EVP_PKEY *pkey;
};

/* A public key and its name; owns pkey. */
struct note_verifier {
	char name[NOTE_MAX_NAME + 1];
	unsigned char type;
	uint32_t id;
	unsigned char pub[32];
	EVP_PKEY *pkey;
};

/* What note_open found, for each known key (same order as given). */
struct note_result {
	size_t text_len;  /* the signed text is msg[0:text_len] */
	int verified[8];  /* known[i] signed the note (first 8 keys) */
	uint64_t time[8]; /* cosignature timestamp of known[i] */
	size_t nverified; /* known keys that signed */
	size_t nunknown;  /* signatures by keys not in the list */
};

/* True when name is a valid key name: non-empty, UTF-8, no space, no +. */
int note_name_valid(const char *name);

/* keyID = SHA-256(name || "\n" || type || pub)[:4], big-endian. */
enum rc_code note_key_id(const char *name, unsigned char type,
    const unsigned char *pub, size_t publen, uint32_t *out);

/*
 * Make a signer from an Ed25519 private key (a reference is taken; the
 * caller keeps its own).  type is NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG.
 * *out for note_signer_free.  RC_EINVAL for a bad name or a key that is
 * not Ed25519.
 */
enum rc_code note_signer_new(const char *name, unsigned char type,
    EVP_PKEY *pkey, struct note_signer **out, struct rc_err *err);

/*
 * Parse Go's private key string PRIVATE+KEY+name+hex(id)+base64(0x01 ||
 * seed).  Used for the published test vectors.  *out as above.
 */
enum rc_code note_signer_from_skey(const char *skey, struct note_signer **out,
    struct rc_err *err);

void note_signer_free(struct note_signer *s);

/* The signer's vkey string; *out for rc_free. */
enum rc_code note_signer_vkey(const struct note_signer *s, char **out);

/*
 * Parse a vkey string; the key ID must match the name and key.  *out for
 * note_verifier_free.  RC_EINVAL with the reason in err.
 */
enum rc_code note_verifier_parse(const char *vkey, struct note_verifier **out,
    struct rc_err *err);

void note_verifier_free(struct note_verifier *v);

/* The vkey string of v plus a newline; *out for rc_free. */
enum rc_code note_verifier_vkey_string(const struct note_verifier *v,
    char **out);

/*
 * One signature line over text (which must end in "\n"):
 * "— name base64(id || [8-byte time] || sig)\n".  time is used only for
 * cosignatures, whose signed message is "cosignature/v1\ntime <t>\n" +
 * text.  *line for rc_free.
 */
enum rc_code note_sign_line(const struct note_signer *s, const char *text,
    size_t len, uint64_t time, char **line, struct rc_err *err);

/*
 * Sign text with every signer: text + "\n" + one line per signer.  text
 * must be valid note text (UTF-8, ends in "\n", no blank line, no control
 * character).  *out (rc_free) is NUL-terminated, *outlen its length.
 */
enum rc_code note_sign(const char *text, size_t len,
    const struct note_signer *const *signers, size_t n, char **out,
    size_t *outlen, struct rc_err *err);

/*
 * Parse and verify a note against known keys (at most 8).  RC_OK when at
 * least one known key signed it and no known key's signature failed;
 * RC_EPARSE for a malformed note; RC_ECRYPTO for a bad or missing
 * signature.  res may be NULL.
 */
enum rc_code note_open(const char *msg, size_t len,
    const struct note_verifier *const *known, size_t nknown,
    struct note_result *res, struct rc_err *err);

/*
 * Decode canonical standard base64 of exactly len characters (re-encoding
 * must give the input back).  *out for rc_free.  RC_EINVAL otherwise.
 */
enum rc_code note_base64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen);

/* Ed25519 over msg with pkey; sig receives 64 bytes. */
enum rc_code note_ed25519_sign(EVP_PKEY *pkey, const void *msg, size_t len,
    unsigned char sig[64]);

/* 1 when sig is a valid Ed25519 signature of msg under pkey. */
int note_ed25519_verify(EVP_PKEY *pkey, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

#endif /* RC_CONNECTOR_LEDGER_NOTE_H */
