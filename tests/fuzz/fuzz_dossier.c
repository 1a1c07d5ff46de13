/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the dossier parser (verifier/dossier.c): any input
 * either parses into a dossier that is freed, or fails with a message;
 * never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "verifier/dossier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_err err = { 0 };
	struct dossier *d = NULL;
	size_t i;

	if (dossier_parse((const char *)data, size, "fuzz", &d, &err) ==
	    RC_OK) {
		/* Touch what consumers read. */
		for (i = 0; i < d->nintegrations; i++)
			(void)strlen(d->integrations[i].path);
		(void)dossier_kind_str(d->integrations[0].kind);
		(void)dossier_env_str(d->integrations[0].env);
	} else if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL) {
		__builtin_trap(); /* messages are always terminated */
	}
	dossier_free(d);
	return 0;
}
