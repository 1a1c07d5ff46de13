/* SPDX-License-Identifier: MIT */
/*
 * raccord keygen NAME --key FILE --vkey FILE [--witness]
 *
 * Makes an Ed25519 key pair: the private key as PKCS#8 PEM (created with
 * O_EXCL|O_NOFOLLOW, mode 0600) and the C2SP verifier key
 * name+hex(keyID)+base64(type||pubkey).  NAME is the log origin (the
 * checkpoint's first line), or with --witness the witness name of a
 * cosigner (tlog-cosignature v1, type 0x04).  The private key is never
 * printed; the vkey is.
 */
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "connector/cli.h"
#include "connector/ledger/keys.h"

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord keygen NAME --key FILE --vkey FILE "
	    "[--witness]\n"
	    "  NAME   the log origin, e.g. example.gouv.fr/raccord/v1\n"
	    "  --key  private key file to create (PEM, mode 0600)\n"
	    "  --vkey verifier key file to create (public)\n"
	    "  --witness  a cosigning (witness) key instead of a log "
	    "key\n");
}

int
cli_keygen(int argc, char **argv)
{
	const char *name = NULL, *key = NULL, *vkey = NULL;
	struct rc_err err = { 0 };
	unsigned char type = NOTE_TYPE_ED25519;
	char *vk = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			keygen_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--vkey") == 0 && i + 1 < argc)
			vkey = argv[++i];
		else if (strcmp(argv[i], "--witness") == 0)
			type = NOTE_TYPE_COSIG;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "raccord keygen: unexpected \"%s\"\n",
			    argv[i]);
			keygen_usage(stderr);
			return 2;
		}
	}
	if (name == NULL || key == NULL || vkey == NULL) {
		keygen_usage(stderr);
		return 2;
	}
	if (ledger_key_generate(name, type, key, vkey, &vk, &err) != RC_OK) {
		fprintf(stderr, "raccord keygen: %s\n", err.msg);
		return err.code == RC_EINVAL ? 2 : 3;
	}
	printf("%s\n", vk);
	fprintf(stderr,
	    "raccord keygen: private key in %s (mode 0600), verifier key in "
	    "%s\n",
	    key, vkey);
	rc_free(vk);
	return 0;
}
