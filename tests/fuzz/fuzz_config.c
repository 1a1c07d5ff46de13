/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the configuration loader (connector/config.c): load,
 * and when the input is accepted, dump it and load the dump again; the
 * dump must be accepted (it is a valid config by construction).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "connector/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_err err = { 0 };
	struct cfg *c = NULL, *again = NULL;
	struct verifier_opts opts;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (cfg_load_mem((const char *)data, size, "fuzz", &c, &err) != RC_OK)
		return 0;
	cfg_verifier_opts(c, &opts);
	if ((f = open_memstream(&buf, &len)) != NULL) {
		if (cfg_dump_flags(c, f, CFG_DUMP_COMMENTS) == RC_OK &&
		    fclose(f) == 0) {
			if (cfg_load_mem(buf, len, "dump", &again, &err) !=
			    RC_OK)
				__builtin_trap(); /* dump must reload */
			if (cfg_reload_check(c, again, &err) != RC_OK)
				__builtin_trap(); /* and be the same */
		} else {
			fclose(f);
		}
	}
	free(buf);
	cfg_free(again);
	cfg_free(c);
	return 0;
}
