/* SPDX-License-Identifier: MIT */
/*
 * A sealed conformance report (docs/conformance.md, "Verdict and award"):
 * what `raccord conformance --signed-report FILE` writes and what
 * `raccord verify --conformance FILE` (and the daemon) accept under
 * policy.require_conformance.
 *
 * The file is JSON {"format": CONF_SEAL_FORMAT, "report": R, "seal": N}
 * where R is the conformance report and N a C2SP signed note
 * (connector/ledger/note.h), signed with the ledger's key, whose text is
 *
 *   raccord conformance report/v1
 *   dossier_id D
 *   client_id C          (the dossier integration's client_id)
 *   test_client_id T     (the client raccord registered for the run)
 *   redirect_uri U
 *   environment E
 *   issuer I             (raccord's provider for that run)
 *   start YYYY-MM-DDTHH:MM:SSZ
 *   end YYYY-MM-DDTHH:MM:SSZ
 *   verdict V
 *   report_sha256 H      (SHA-256 of R, compact JSON with sorted keys)
 *
 * Only the signed text is trusted: a report edited after the run changes
 * H; a seal edited breaks its signature; a report of another dossier or
 * integration, or older than policy.conformance_max_age_days, is refused.
 */
#ifndef RC_CONNECTOR_CONF_SEAL_H
#define RC_CONNECTOR_CONF_SEAL_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "common/err.h"
#include "connector/ledger/note.h"
#include "verifier/dossier.h"

#define CONF_SEAL_FORMAT "raccord-conformance-sealed/1"
#define CONF_SEAL_HEADER "raccord conformance report/v1"
/* policy.conformance_max_age_days when the configuration says nothing */
#define CONF_SEAL_MAX_AGE_DAYS 30
/* a seal whose end is later than now by more than this is refused */
#define CONF_SEAL_SKEW_S 300

struct conf_seal_binding {
	const char *dossier_id;
	const char *client_id;      /* the dossier integration's */
	const char *test_client_id; /* raccord's registered client */
	const char *redirect_uri;
	const char *environment; /* dossier_env_str */
	const char *issuer;      /* the provider's issuer (public URL) */
	time_t start, end;
};

/* SHA-256 (64 lowercase hex + NUL) of report as compact sorted JSON. */
enum rc_code conf_seal_report_hash(const json_t *report, char hex[65],
    struct rc_err *err);

/*
 * Seal report (its verdict is read from its section of kind
 * "conformance", "none" when absent) for b with signer s.  *out is a new
 * JSON object (json_decref).  RC_EINVAL when a bound value holds a
 * control character; RC_ECRYPTO, RC_ENOMEM.
 */
enum rc_code conf_seal_make(const struct note_signer *s, const json_t *report,
    const struct conf_seal_binding *b, json_t **out, struct rc_err *err);

/*
 * Check a sealed file for dossier d: the seal is signed by s's key, the
 * report is the one sealed, the seal names d's dossier_id and the
 * client_id and redirect_uri of d's tested FranceConnect integration
 * (conf_integration), and its end is at most max_age_days old (and not in
 * the future).  NULL when all holds, with *report (borrowed from sealed)
 * and hash (the report's SHA-256) set; otherwise a sentence saying what is
 * wrong, in buf (n bytes), which is returned.  The verdict is not judged
 * here: payable_conformance(*report, ...) does that.
 */
const char *conf_seal_check(const json_t *sealed, const struct note_signer *s,
    const struct dossier *d, time_t now, long long max_age_days,
    const json_t **report, char hash[65], char *buf, size_t n);

struct ledger;
struct report;
struct conf_registration;

/*
 * Seal the report of a run of `raccord conformance` (or the daemon's job)
 * for dossier d and registration reg, whose provider answered at
 * public_url (the issuer: trailing slashes dropped), from start to end.
 * *out as conf_seal_make.
 */
enum rc_code conf_seal_run(const struct note_signer *s,
    const struct report *rep, const struct dossier *d,
    const struct conf_registration *reg, const char *public_url, time_t start,
    time_t end, json_t **out, struct rc_err *err);

/*
 * What verify and the daemon do with a sealed file under
 * policy.require_conformance: conf_seal_check, then the verdict
 * (payable_conformance); when both pass, the sealed file is stored as
 * evidence (compact JSON, sorted keys) and hash receives its SHA-256,
 * which the FranceConnect award's entry records as conformance_sha256.
 * sealed NULL: no report was given.  Returns NULL when it passed, else
 * the reason in buf (n bytes).
 */
const char *conf_seal_judge(struct ledger *lg, const struct note_signer *s,
    const json_t *sealed, const struct dossier *d, time_t now,
    long long max_age_days, char hash[65], char *buf, size_t n);

#endif /* RC_CONNECTOR_CONF_SEAL_H */
