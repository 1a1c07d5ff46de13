/* SPDX-License-Identifier: MIT */
/*
 * The national-API check predicates of api_checks.c, exposed for the unit
 * tests (tests/unit/verifier/test_api_checks.c).  Each records checks in a
 * report section from data already received; none does I/O.
 */
#ifndef RC_VERIFIER_API_CHECKS_INT_H
#define RC_VERIFIER_API_CHECKS_INT_H

#include <stddef.h>
#include <time.h>

#include "apiclients/api.h"
#include "apiclients/api_datapass.h"
#include "verifier/dossier.h"
#include "verifier/probe.h"
#include "verifier/report.h"

#define API_RETRY_MAX               2 /* retries after a 429, per request */
#define API_RETRY_MAX_WAIT          15 /* seconds; a longer Retry-After: no retry */
#define API_TOKEN_WARN_DAYS_DEFAULT 30

/*
 * api.token.production and api.token.expiry (and the advisory
 * api.token.renewal) from the token's JWT claims: staging markers are a
 * failure in a production dossier; "exp" must be in the future; a token
 * expiring within warn_days gets a warning.  fpr is the token's
 * fingerprint, named in details.  RC_ENOMEM only.
 */
enum rc_code api_record_token_claims(struct report_section *sec,
    const struct api_info *api, int version, enum dossier_env env,
    const char *token, size_t len, const char *fpr, time_t now, long warn_days);

/* What to do after a response. */
enum api_next {
	API_NEXT_DONE,  /* a check was recorded */
	API_NEXT_RETRY, /* 429 with a usable wait: retry after *wait_s */
};

/*
 * api.token.live (and the advisory api.tls) from the answer to the proof
 * call (or the DGFiP token request when dgfip is set).  A 429 whose wait
 * is known and at most API_RETRY_MAX_WAIT returns API_NEXT_RETRY while
 * retries < API_RETRY_MAX, recording nothing.  The token (secret, may be
 * NULL) is scrubbed from any text quoted from the answer.  org (may be
 * NULL) receives the organisation a live answer names.
 */
enum api_next api_record_proof(struct report_section *sec,
    const struct api_info *api, const struct probe_res *res, int exch,
    const char *secret, const char *fpr, int retries, time_t now,
    long cert_warn_days, long *wait_s, struct api_org *org);

/*
 * api.token.owner: fail when the token's claims or the proof answer
 * (either may be NULL) name a SIRET or SIREN other than the dossier's;
 * pass when they name the dossier's; an advisory skip when they name
 * none.  RC_ENOMEM only.
 */
enum rc_code api_record_token_owner(struct report_section *sec,
    const char *siret, const char *siren, const struct api_org *claims,
    const struct api_org *answer, const char *fpr);

/*
 * id ("api.habilitation" or "fc.habilitation") from the active
 * habilitations DataPass lists for siret: pass when one satisfies every
 * rule for want (api name or "france_connect"), fail otherwise naming the
 * rules broken.  eligible_only applies the guichet's list.
 */
enum rc_code api_record_habilitations(struct report_section *sec,
    const char *id, const char *want, const char *siret, int eligible_only,
    time_t start, time_t end, const struct api_habilitation *items, size_t n,
    const int *exch, size_t nexch);

#endif /* RC_VERIFIER_API_CHECKS_INT_H */
