/* SPDX-License-Identifier: MIT */
/*
 * Error codes and the first-failure detail record (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

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
	/* A "%.40s" or the buffer's end may cut a character in two. */
	rc_utf8_repair(err->msg);
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

void
rc_errs_init(struct rc_errs *l)
{
	memset(l, 0, sizeof(*l));
}

/* Count one failure; the slot to fill, or NULL past RC_ERRS_KEEP. */
static struct rc_err *
errs_slot(struct rc_errs *l, enum rc_code code)
{
	struct rc_err *e = NULL;

	if (l->code == RC_OK || code == RC_ENOMEM)
		l->code = code;
	if (l->n < RC_ERRS_KEEP)
		e = &l->e[l->n];
	l->n++;
	return e;
}

enum rc_code
rc_errs_set(struct rc_errs *l, enum rc_code code, const char *func,
    const char *fmt, ...)
{
	struct rc_err *e;
	va_list ap;

	if (l == NULL || code == RC_OK || (e = errs_slot(l, code)) == NULL)
		return code;
	e->code = code;
	e->func = func;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	rc_utf8_repair(e->msg);
	return code;
}

enum rc_code
rc_errs_add(struct rc_errs *l, const struct rc_err *err)
{
	struct rc_err *e;

	if (err == NULL || err->code == RC_OK)
		return RC_OK;
	if (l != NULL && (e = errs_slot(l, err->code)) != NULL)
		*e = *err;
	return err->code;
}

enum rc_code
rc_errs_merge(struct rc_errs *dst, const struct rc_errs *src)
{
	size_t i;

	if (dst == NULL)
		return src->code;
	for (i = 0; i < src->n; i++)
		if (i < RC_ERRS_KEEP)
			rc_errs_add(dst, &src->e[i]);
		else
			errs_slot(dst, src->code); /* counted only */
	return src->code;
}

size_t
rc_errs_kept(const struct rc_errs *l)
{
	return l->n < RC_ERRS_KEEP ? l->n : RC_ERRS_KEEP;
}

size_t
rc_errs_more(const struct rc_errs *l)
{
	return l->n - rc_errs_kept(l);
}

void
rc_errs_prefix(struct rc_errs *l, const char *prefix)
{
	char tmp[sizeof(l->e[0].msg)], *m;
	size_t i, cap = sizeof(l->e[0].msg);
	int w;

	if (prefix == NULL || prefix[0] == '\0')
		return;
	for (i = 0; i < rc_errs_kept(l); i++) {
		m = l->e[i].msg;
		memcpy(tmp, m, sizeof(tmp));
		w = snprintf(m, cap, "%s: %s", prefix, tmp);
		if (w < 0 || (size_t)w >= cap) /* cut: say so */
			memcpy(m + cap - 4, "...", 4);
		rc_utf8_repair(m);
	}
}

void
rc_errs_first(const struct rc_errs *l, struct rc_err *err)
{
	if (l->n == 0)
		return;
	if (l->n == 1) {
		rc_err_set(err, l->code, l->e[0].func, "%s", l->e[0].msg);
		return;
	}
	rc_err_set(err, l->code, l->e[0].func, "%.440s (and %zu more error%s)",
	    l->e[0].msg, l->n - 1, l->n == 2 ? "" : "s");
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
