/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: common/redact.  The first byte splits the input into a
 * secret (its first data[0] % 32 bytes) and the text to redact.  Checks
 * the properties raccord relies on: the output is valid UTF-8 that jansson
 * accepts, holds no C0/DEL/C1 control byte, and (for a secret of at
 * least 4 bytes that is not part of "REDACTED") never contains the
 * secret, and redacting it again changes nothing.  A violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/mem.h"
#include "common/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *list[2] = { NULL, NULL };
	char *secret = NULL, *out = NULL, *again = NULL;
	size_t slen, i;
	json_t *j;

	if (size == 0)
		return 0;
	slen = data[0] % 32;
	if (slen > size - 1)
		slen = size - 1;
	/* The secret is a C string: stop at its first NUL. */
	if ((secret = rc_strndup((const char *)data + 1, slen)) == NULL)
		return 0;
	list[0] = secret;
	if (rc_redact((const char *)data + 1 + slen, size - 1 - slen, list,
	        &out) != RC_OK)
		goto out;
	if ((j = json_string(out)) == NULL)
		abort(); /* not valid UTF-8 */
	json_decref(j);
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7F)
			abort();
		if (c == 0xC2 && (unsigned char)out[i + 1] >= 0x80 &&
		    (unsigned char)out[i + 1] <= 0x9F)
			abort(); /* a C1 control */
	}
	/*
	 * The secret properties hold for secrets that are not part of the
	 * replacement itself (a secret "ED" is in every "REDACTED"): real
	 * credentials are long and random.
	 */
	if (strlen(secret) < 4 || strstr("REDACTED", secret) != NULL)
		goto out;
	if (strstr(out, secret) != NULL)
		abort();
	if (rc_redact(out, strlen(out), list, &again) == RC_OK &&
	    strcmp(again, out) != 0)
		abort(); /* not idempotent */
out:
	rc_free(again);
	rc_free(out);
	rc_free(secret);
	return 0;
}
