/* SPDX-License-Identifier: MIT */
/*
 * DataPass v1 client (etalab/data_pass config/openapi/v1.yaml,
 * docs/developers/tutorials/lecture.md; shared/reference/national_apis.md
 * §4): request building and response parsing, no I/O.
 *
 *   POST <base>/api/v1/oauth/token   (form: grant_type=client_credentials,
 *        client_id, client_secret, scope=read_authorizations)
 *   GET  <base>/api/v1/habilitations?siret=<14 digits>&state[]=active
 *        &limit=<n>&offset=<k>       (Authorization: Bearer; a JSON array,
 *        newest first; a page shorter than limit is the last)
 *
 * The habilitation predicates are the rules of the France Relance guichet
 * "FranceConnect & API" (national_apis.md §5 and "What a verifier can
 * check automatically" 2).
 */
#ifndef RC_APICLIENTS_API_DATAPASS_H
#define RC_APICLIENTS_API_DATAPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "apiclients/api.h"
#include "common/err.h"

#define API_DATAPASS_PAGE      100 /* limit per page (DataPass max 1000) */
#define API_DATAPASS_MAX_PAGES 20  /* we never read more than this */
#define API_DATAPASS_SCOPE     "read_authorizations"

/*
 * The URL of a DataPass v1 endpoint.  base is the service origin
 * ("https://datapass.api.gouv.fr") or already ends in "/api/v1" (the
 * OpenAPI servers entry); path is "/oauth/token" or "/habilitations".
 * *out for rc_free.
 */
enum rc_code api_datapass_url(const char *base, const char *path, char **out,
    struct rc_err *err);

/* POST /api/v1/oauth/token with the client credentials in the form body,
 * as the DataPass tutorial does. */
enum rc_code api_datapass_token_request(const char *base, const char *client_id,
    const char *secret, size_t secret_len, struct api_request *out,
    struct rc_err *err);

/* GET /api/v1/habilitations for one SIRET, active ones, one page. */
enum rc_code api_datapass_list_request(const char *base,
    const char *access_token, const char *siret, unsigned limit,
    unsigned long offset, struct api_request *out, struct rc_err *err);

struct api_habilitation {
	long long id;
	char slug[64];
	char definition[64]; /* definition_id, e.g. "api_particulier" */
	char state[16];      /* "active", "obsolete", "revoked" */
	int revoked;         /* the boolean that "fait foi" */
	char siret[32];      /* organisation.siret (or organization.siret) */
	time_t created_at;   /* validation date; 0 when unreadable */
};

/*
 * Parse one page (a JSON array of habilitations).  *out (rc_free) holds
 * *n items.  Items that are not objects or lack id/definition_id/state/
 * revoked are an RC_EPARSE error naming the index: a DataPass answer we do
 * not understand must not be judged.
 */
enum rc_code api_datapass_list_parse(const char *body, size_t len,
    struct api_habilitation **out, size_t *n, struct rc_err *err);

/* ISO 8601 / RFC 3339 date-time ("2021-03-04T10:11:12.123+01:00", "Z") to
 * epoch seconds.  RC_EINVAL when malformed. */
enum rc_code api_datapass_parse_time(const char *s, time_t *out);

/* The predicates.  Each is one rule; api_habilitation_judge combines them. */
bool api_hab_is_active(const struct api_habilitation *h);
bool api_hab_siret_matches(const struct api_habilitation *h, const char *siret);
/* The DGFiP two-stage rule: "_sandbox" definitions are not production. */
bool api_hab_is_production(const struct api_habilitation *h);
/* created_at inside [start, end]; a zero bound is open. */
bool api_hab_in_window(const struct api_habilitation *h, time_t start,
    time_t end);
/* The guichet's eligible list (francerelance_api_restreinte). */
bool api_definition_eligible(const char *definition);
/*
 * The habilitation is for that API: its definition, without a
 * "_sandbox"/"_production" stage suffix and a "_fc" variant marker,
 * equals api ("france_connect" also matches the old "franceconnect").
 */
bool api_hab_definition_matches(const struct api_habilitation *h,
    const char *api);

enum api_hab_verdict {
	API_HAB_OK,
	API_HAB_OTHER_API, /* for another definition: ignored */
	API_HAB_NOT_ELIGIBLE,
	API_HAB_INACTIVE, /* revoked, obsolete */
	API_HAB_OTHER_SIRET,
	API_HAB_SANDBOX,
	API_HAB_OUT_OF_WINDOW,
	API_HAB__MAX
};

/*
 * Judge one habilitation for a claimed api and SIRET.  eligible_only
 * applies the guichet's list (API habilitations; not FranceConnect).  why
 * receives a sentence naming the rule and the observed value.
 */
enum api_hab_verdict api_habilitation_judge(const struct api_habilitation *h,
    const char *api, const char *siret, int eligible_only, time_t start,
    time_t end, char *why, size_t whylen);

#endif /* RC_APICLIENTS_API_DATAPASS_H */
