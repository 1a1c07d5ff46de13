/* SPDX-License-Identifier: MIT */
/*
 * Error codes and the first-failure detail record (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

enum rc_code
rc_err_set(struct rc_err *err, enum rc_code code, const char *func,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != RC_OK)
		return code;
	err->code = code;
	err->func = func;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
rc_err_clear(struct rc_err *err)
{
	if (err == NULL)
		return;
	err->code = RC_OK;
	err->func = NULL;
	err->msg[0] = '\0';
}

const char *
rc_strerror(enum rc_code code)
{
	/* clang-format off */
	static const char *const text[RC__MAX] = {
		[RC_OK]      = "success",
		[RC_ENOMEM]  = "out of memory",
		[RC_EINVAL]  = "invalid argument or input",
		[RC_ESYS]    = "system call failed",
		[RC_ENET]    = "network transfer failed",
		[RC_EPARSE]  = "could not parse input",
		[RC_ECRYPTO] = "cryptographic operation failed",
		[RC_ECONFIG] = "configuration rejected",
		[RC_ELEDGER] = "ledger integrity or storage error",
		[RC_EPOLICY] = "refused by the award policy",
		[RC_EBUSY]   = "resource busy",
	};
	/* clang-format on */

	if ((unsigned)code >= RC__MAX || text[code] == NULL)
		return "unknown error";
	return text[code];
}
