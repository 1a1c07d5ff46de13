/* SPDX-License-Identifier: MIT */
/*
 * One payable verdict per report section (see payable.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/digest.h"
#include "connector/payable.h"

static const char *const code_names[PAYABLE__MAX] = { "yes", "already_awarded",
	"checks_failed", "inconclusive", "not_production",
	"habilitation_not_checked", "habilitation_not_confirmed",
	"second_of_kind", "credential_conflict", "policy", "unlinked",
	"no_bank_details", "conformance_not_passed", "token_not_shown" };

const char *
payable_code_str(enum payable_code c)
{
	return (unsigned)c < PAYABLE__MAX ? code_names[c] : "unknown";
}

const char *
payable_conformance(const json_t *report, const char *dossier_id, char *buf,
    size_t n)
{
	json_t *secs, *s;
	const char *id, *v;
	size_t i;
	int found = 0;

	if (report == NULL) {
		snprintf(buf, n,
		    "no conformance report was given (raccord verify "
		    "--conformance FILE, made by raccord conformance --format "
		    "json)");
		return buf;
	}
	id = json_string_value(json_object_get(report, "dossier_id"));
	if (id == NULL || strcmp(id, dossier_id) != 0) {
		snprintf(buf, n,
		    "the conformance report is for dossier %.80s, not %.80s",
		    id ? id : "(none)", dossier_id);
		return buf;
	}
	secs = json_object_get(report, "integrations");
	json_array_foreach(secs, i, s)
	{
		if (!json_is_string(json_object_get(s, "kind")) ||
		    strcmp(json_string_value(json_object_get(s, "kind")),
		        "conformance") != 0)
			continue;
		found = 1;
		v = json_string_value(json_object_get(s, "verdict"));
		if (v == NULL || strcmp(v, "verified") != 0) {
			snprintf(buf, n,
			    "its conformance run was %.20s, not verified: the "
			    "site accepted a forged identity or a run could "
			    "not be judged (see the conformance report)",
			    v ? v : "without a verdict");
			return buf;
		}
	}
	if (!found) {
		snprintf(buf, n,
		    "the conformance report has no section of kind "
		    "conformance");
		return buf;
	}
	return NULL;
}

enum rc_code
payable_fc_fingerprint(const char *client_id, const char *redirect_uri,
    char hex[65], struct rc_err *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *p;
	struct rc_buf b;
	enum rc_code rc = RC_OK;
	CURLU *u;

	hex[0] = '\0';
	rc_buf_init(&b, 8192);
	if (client_id == NULL || redirect_uri == NULL ||
	    (u = curl_url()) == NULL)
		return RC_ERR(err, RC_EINVAL, "no client_id or redirect_uri");
	if (curl_url_set(u, CURLUPART_URL, redirect_uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = RC_ERR(err, RC_EINVAL,
		    "redirect_uri: not an absolute URL with a host");
		goto out;
	}
	for (p = scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		rc = RC_ERR(err, RC_EINVAL, "redirect_uri: not http(s)");
		goto out;
	}
	/* No port, or the scheme's default: not part of the origin. */
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK ||
	    strcmp(port, strcmp(scheme, "https") == 0 ? "443" : "80") == 0) {
		curl_free(port);
		port = NULL;
	}
	rc = rc_buf_addf(&b,
	    "raccord-fc-credential-v1\nclient_id=%s\nredirect_origin=%s://"
	    "%s%s%s\n",
	    client_id, scheme, host, port ? ":" : "", port ? port : "");
	if (rc == RC_OK)
		rc = rc_sha256_hex(b.data, b.len, hex);
	if (rc != RC_OK)
		RC_ERR(err, rc, "cannot fingerprint the FranceConnect client");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	rc_buf_free(&b);
	return rc;
}

static const struct dossier_integration *
find_integration(const struct dossier *d, const char *path)
{
	size_t j;

	if (path == NULL)
		return NULL;
	for (j = 0; j < d->nintegrations; j++)
		if (strcmp(d->integrations[j].path, path) == 0)
			return &d->integrations[j];
	return NULL;
}

static enum policy_verdict
pverdict(enum verdict v)
{
	switch (v) {
	case VERDICT_VERIFIED:
		return POLICY_VERIFIED;
	case VERDICT_FAILED:
		return POLICY_FAILED;
	default:
		return POLICY_INCONCLUSIVE;
	}
}

/* The credential that proved this integration, or "" with a note. */
static void
credential_of(const struct payable *p, json_t *sj, char hex[65])
{
	const char *s;

	hex[0] = '\0';
	if (p->in->kind == DOSSIER_FRANCECONNECT) {
		if (payable_fc_fingerprint(p->in->client_id,
		        p->in->redirect_uri, hex, NULL) != RC_OK)
			hex[0] = '\0';
		return;
	}
	/* API: the verifier's fingerprint of the token it used. */
	s = json_string_value(json_object_get(sj, "credential_sha256"));
	if (policy_hex64(s))
		snprintf(hex, 65, "%s", s);
}

static void
decide_one(const struct dossier *d, const struct report_section *sec,
    json_t *sj, const struct payable_opts *o, const struct policy_state *st,
    int decided[POLICY_KIND__MAX], struct payable *p)
{
	struct policy_decision dec;
	enum verdict v = report_section_verdict(sec);
	enum check_status hab, live;
	const char *what;
	int k;

	p->in = find_integration(d,
	    json_string_value(json_object_get(sj, "integration")));
	if (p->in == NULL) {
		p->code = PAYABLE_UNLINKED;
		snprintf(p->reason, sizeof(p->reason),
		    "internal: this report section names no integration of "
		    "the dossier; nothing is awarded");
		return;
	}
	if (policy_kind_parse(report_section_kind(sec), &p->kind) != RC_OK) {
		p->code = PAYABLE_UNLINKED;
		snprintf(p->reason, sizeof(p->reason),
		    "%s: kind \"%s\" earns no forfait", p->in->path,
		    report_section_kind(sec));
		return;
	}
	p->kind_known = 1;
	k = (int)p->kind;
	what = policy_kind_str(p->kind);
	credential_of(p, sj, p->credential_sha256);
	/* Only a production integration connects citizens to anything. */
	if (p->in->env != DOSSIER_ENV_PRODUCTION) {
		p->code = PAYABLE_SANDBOX;
		snprintf(p->reason, sizeof(p->reason),
		    "%s targets the %s environment; forfaits are paid for "
		    "production integrations only",
		    p->in->path, dossier_env_str(p->in->env));
		return;
	}
	/*
	 * The technical checks prove an integration works, not whose it
	 * is: a DataPass habilitation for the SIRET ties it to the
	 * collectivité (policy.require_habilitation).
	 */
	hab = report_check_status(sec,
	    p->kind == POLICY_KIND_API ? "api.habilitation"
	                               : "fc.habilitation");
	if (o->require_habilitation && v == VERDICT_VERIFIED &&
	    hab != CHECK_PASS) {
		if (!o->datapass_configured) {
			p->code = PAYABLE_HABILITATION_UNCHECKED;
			snprintf(p->reason, sizeof(p->reason),
			    "verified, but no DataPass habilitation for SIRET "
			    "%s was confirmed: it was not checked because "
			    "DataPass is not configured (datapass.base_url, "
			    "datapass.client_id_env, "
			    "datapass.client_secret_env) and "
			    "policy.require_habilitation is true",
			    d->collectivite.siret);
		} else {
			p->code = PAYABLE_NO_HABILITATION;
			snprintf(p->reason, sizeof(p->reason),
			    "verified, but no DataPass habilitation for SIRET "
			    "%s was confirmed (check %s: %s)",
			    d->collectivite.siret,
			    p->kind == POLICY_KIND_API ? "api.habilitation"
			                               : "fc.habilitation",
			    hab == CHECK__MAX ? "absent"
			                      : check_status_str(hab));
		}
		return;
	}
	/*
	 * policy.require_api_token: a habilitation says the collectivité may
	 * call the API, not that it does; only a live production credential
	 * shown to raccord (api.token.live passed) proves the connection.
	 */
	live = report_check_status(sec, "api.token.live");
	if (o->require_api_token && p->kind == POLICY_KIND_API &&
	    v == VERDICT_VERIFIED && live != CHECK_PASS) {
		p->code = PAYABLE_NO_LIVE_TOKEN;
		snprintf(p->reason, sizeof(p->reason),
		    "verified on the DataPass habilitation alone, but "
		    "policy.require_api_token is true and no live production "
		    "credential was shown (check api.token.live: %s): give "
		    "the integration's token or client credentials",
		    live == CHECK__MAX ? "absent" : check_status_str(live));
		return;
	}
	/*
	 * policy.require_conformance (issue 11, Verdict): the site's
	 * integration environment must have refused every forged identity
	 * raccord's test provider tried (docs/conformance.md).
	 */
	if (o->require_conformance && p->kind == POLICY_KIND_FRANCECONNECT &&
	    v == VERDICT_VERIFIED && o->conformance_fail != NULL) {
		p->code = PAYABLE_NO_CONFORMANCE;
		snprintf(p->reason, sizeof(p->reason),
		    "verified, but policy.require_conformance is true and %s",
		    o->conformance_fail);
		return;
	}
	if (decided[k]) {
		p->code = PAYABLE_SECOND_OF_KIND;
		snprintf(p->reason, sizeof(p->reason),
		    "%s: a %s integration earlier in the dossier decides the "
		    "%s forfait; a second one brings nothing more",
		    verdict_str(v), what, what);
		return;
	}
	policy_decide_cred(o->policy, st, d->collectivite.siren, p->kind,
	    pverdict(v), o->now,
	    p->credential_sha256[0] ? p->credential_sha256 : NULL,
	    o->approve_seq, &dec);
	p->seq = dec.conflict_seq;
	snprintf(p->conflict_siren, sizeof(p->conflict_siren), "%s",
	    dec.conflict_siren);
	snprintf(p->reason, sizeof(p->reason), "%s", dec.reason);
	switch (dec.outcome) {
	case POLICY_AWARD:
		decided[k] = 1;
		/* A self-check needs no bank details; a payment does. */
		if (d->paiement.iban == NULL) {
			p->code = PAYABLE_NO_BANK_DETAILS;
			snprintf(p->reason, sizeof(p->reason),
			    "%s would earn the %s forfait, but the dossier "
			    "gives no paiement (titulaire, iban, bic): nothing "
			    "can be paid without them",
			    p->in->path, what);
			break;
		}
		p->code = PAYABLE_YES;
		p->amount_cents = dec.amount_cents;
		break;
	case POLICY_ALREADY:
		p->code = PAYABLE_ALREADY;
		p->seq = dec.existing_seq;
		decided[k] = 1;
		break;
	case POLICY_HOLD:
		p->code = PAYABLE_CREDENTIAL_CONFLICT;
		decided[k] = 1;
		break;
	default:
		p->code = v == VERDICT_FAILED   ? PAYABLE_FAILED
		    : v == VERDICT_INCONCLUSIVE ? PAYABLE_INCONCLUSIVE
		                                : PAYABLE_POLICY;
		if (v == VERDICT_VERIFIED)
			decided[k] = 1; /* the policy, not the checks */
		break;
	}
}

enum rc_code
payable_dossier(const struct dossier *d, const struct report *rep,
    const struct payable_opts *o, const struct policy_state *st,
    struct payable *out, struct rc_err *err)
{
	struct policy_state empty;
	int decided[POLICY_KIND__MAX] = { 0 };
	json_t *rj, *secs;
	size_t i, n = report_section_count(rep);
	size_t len;

	/* The section attributes, read through the report's own JSON. */
	if ((rj = report_to_json(rep)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	secs = json_object_get(rj, "integrations");
	policy_state_init(&empty);
	for (i = 0; i < n; i++) {
		struct payable *p = &out[i];

		memset(p, 0, sizeof(*p));
		p->seq = -1;
		p->ledger_checked = st != NULL;
		decide_one(d, report_section_get(rep, i),
		    json_array_get(secs, i), o, st ? st : &empty, decided, p);
		if (st == NULL &&
		    (p->code == PAYABLE_YES || p->code == PAYABLE_POLICY)) {
			len = strlen(p->reason);
			snprintf(p->reason + len, sizeof(p->reason) - len,
			    " (ledger not consulted: `raccord verify` also "
			    "refuses a kind this SIREN already holds and holds "
			    "a credential awarded to another SIREN for an "
			    "instructor)");
		}
		if (p->code == PAYABLE_YES && p->in != NULL &&
		    p->in->kind == DOSSIER_API &&
		    p->credential_sha256[0] == '\0') {
			len = strlen(p->reason);
			snprintf(p->reason + len, sizeof(p->reason) - len,
			    "; no credential fingerprint is known for it (no "
			    "token checked), so the award records none");
		}
	}
	policy_state_cleanup(&empty);
	json_decref(rj);
	return RC_OK;
}

json_t *
payable_to_json(const struct payable *p)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	bad |= json_object_set_new(o, "would_award",
	    json_boolean(p->code == PAYABLE_YES));
	bad |= json_object_set_new(o, "code",
	    json_string(payable_code_str(p->code)));
	bad |= json_object_set_new(o, "reason", json_string(p->reason));
	bad |= json_object_set_new(o, "ledger_checked",
	    json_boolean(p->ledger_checked));
	if (p->code == PAYABLE_YES)
		bad |= json_object_set_new(o, "amount_cents",
		    json_integer(p->amount_cents));
	if (p->seq >= 0)
		bad |= json_object_set_new(o,
		    p->code == PAYABLE_ALREADY ? "award_seq" : "credential_seq",
		    json_integer((json_int_t)p->seq));
	if (p->conflict_siren[0])
		bad |= json_object_set_new(o, "credential_siren",
		    json_string(p->conflict_siren));
	if (p->credential_sha256[0])
		bad |= json_object_set_new(o, "credential_sha256",
		    json_string(p->credential_sha256));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum rc_code
payable_annotate(json_t *report_json, const struct payable *p, size_t n,
    struct rc_err *err)
{
	json_t *secs = json_object_get(report_json, "integrations"), *pj;
	size_t i;

	if (json_array_size(secs) != n)
		return RC_ERR(err, RC_EINVAL,
		    "internal: %zu payable verdicts for %zu sections", n,
		    json_array_size(secs));
	for (i = 0; i < n; i++) {
		if ((pj = payable_to_json(&p[i])) == NULL ||
		    json_object_set_new(json_array_get(secs, i), "payable",
		        pj) != 0)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
	}
	return RC_OK;
}

void
payable_print_text(const struct payable *p, size_t n, FILE *f)
{
	size_t i;

	fprintf(f,
	    "\n  payable (what `raccord verify` with this config "
	    "would do):\n");
	for (i = 0; i < n; i++)
		fprintf(f, "    %s %s: %s — %s\n",
		    p[i].in ? p[i].in->path : "?",
		    p[i].kind_known ? policy_kind_str(p[i].kind) : "?",
		    p[i].code == PAYABLE_YES ? "YES" : "no", p[i].reason);
}
