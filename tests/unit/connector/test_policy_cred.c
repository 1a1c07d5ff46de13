/* SPDX-License-Identifier: MIT */
/*
 * One credential, one collectivité (issue 8) and the one payable verdict
 * (issue 14 item 3): the credential rule of policy_state_apply and
 * policy_decide_cred, the FranceConnect fingerprint's canonical string,
 * and payable_dossier's rules in the order `raccord verify` applies them.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector/payable.h"
#include "connector/policy.h"
#include "verifier/dossier.h"
#include "verifier/report.h"

#define SIREN_A "732829320"
#define SIREN_B "217500016"
#define CRED_X                                                                 \
	"15250a4b527254b1578b85d5634f24953511f728d9a6a02ff6b93b51914c4dbf"
#define CRED_Y                                                                 \
	"89ed4934acdabae1026a78b3112569da830886d277ffc6122e57b727c8f35e1a"

static enum rc_code
award(struct policy_state *st, uint64_t seq, const char *siren,
    enum policy_kind k, const char *cred, int share, uint64_t with)
{
	struct policy p;
	struct policy_entry e = { .op = POLICY_OP_AWARD,
		.seq = seq,
		.siren = siren,
		.kind = k,
		.amount_cents = 500000,
		.credential_sha256 = cred,
		.has_shared_with = share,
		.shared_with = with };
	struct rc_err err = { 0 };

	policy_defaults(&p);
	return policy_state_apply(&p, st, &e, &err);
}

/* Replay: a credential of another SIREN needs the approval naming its
 * first award, and an approval needs a real conflict. */
static void
test_apply_rule(void **state)
{
	struct policy_state st;
	char siren[10];

	(void)state;
	policy_state_init(&st);
	assert_int_equal(award(&st, 0, SIREN_A, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_OK);
	assert_int_equal(policy_state_cred(&st, CRED_X, siren), 0);
	assert_string_equal(siren, SIREN_A);
	assert_int_equal(policy_state_cred(&st, CRED_Y, siren), -1);
	assert_string_equal(siren, "");
	/* a lookup with a malformed fingerprint finds nothing, even with
	 * entry 0 in the table (upper case, short, NULL) */
	assert_int_equal(policy_state_cred(&st,
	                     "15250A4B527254B1578B85D5634F24953511F728D9A6A02F"
	                     "F6B93B51914C4DBF",
	                     siren),
	    -1);
	assert_string_equal(siren, "");
	assert_int_equal(policy_state_cred(&st, "15250a4b", siren), -1);
	assert_int_equal(policy_state_cred(&st, NULL, siren), -1);
	assert_string_equal(siren, "");
	/* the same credential, another SIREN, no approval: refused */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_EPOLICY);
	/* an approval naming another entry: refused */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, CRED_X, 1, 5),
	    RC_EPOLICY);
	/* an approval without a conflict: refused */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, CRED_Y, 1, 0),
	    RC_EPOLICY);
	/* an approval without a credential: refused */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, NULL, 1, 0),
	    RC_EPOLICY);
	/* a malformed fingerprint: refused */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API,
	                     "15250A4B527254B1578B85D5634F24953511F728D9A6A02F"
	                     "F6B93B51914C4DBF",
	                     0, 0),
	    RC_EPOLICY);
	assert_int_equal(st.awards, 1);
	/* the approval naming the first award: accepted */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, CRED_X, 1, 0),
	    RC_OK);
	/* the same SIREN with its own credential, other kind: no conflict */
	assert_int_equal(
	    award(&st, 2, SIREN_A, POLICY_KIND_FRANCECONNECT, CRED_X, 0, 0),
	    RC_OK);
	/* the first award stays the reference */
	assert_int_equal(policy_state_cred(&st, CRED_X, siren), 0);
	assert_string_equal(siren, SIREN_A);
	/* no credential at all (v1 entries, tokenless API): no rule */
	assert_int_equal(
	    award(&st, 3, SIREN_B, POLICY_KIND_FRANCECONNECT, NULL, 0, 0),
	    RC_OK);
	policy_state_cleanup(&st);
}

/* A revoked award still owns its credential: revocation says nothing
 * about whose it is. */
static void
test_revoked_keeps_owner(void **state)
{
	struct policy p;
	struct policy_state st;
	struct policy_entry r = { .op = POLICY_OP_REVOKE,
		.seq = 1,
		.siren = SIREN_A,
		.kind = POLICY_KIND_API,
		.ref_seq = 0 };
	struct rc_err err = { 0 };

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	assert_int_equal(award(&st, 0, SIREN_A, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_OK);
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_OK);
	assert_int_equal(award(&st, 2, SIREN_B, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_EPOLICY);
	assert_int_equal(award(&st, 2, SIREN_A, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_OK);
	policy_state_cleanup(&st);
}

static void
test_decide(void **state)
{
	struct policy p;
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	assert_int_equal(award(&st, 0, SIREN_A, POLICY_KIND_API, CRED_X, 0, 0),
	    RC_OK);
	/* held, naming the earlier award */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED,
	    0, CRED_X, -1, &d);
	assert_int_equal(d.outcome, POLICY_HOLD);
	assert_int_equal(d.conflict_seq, 0);
	assert_string_equal(d.conflict_siren, SIREN_A);
	assert_non_null(strstr(d.reason, "SIREN " SIREN_A " (entry 0)"));
	/* an approval of another entry does not count */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED,
	    0, CRED_X, 3, &d);
	assert_int_equal(d.outcome, POLICY_HOLD);
	/* the approval of that entry: awarded, with the link to record */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED,
	    0, CRED_X, 0, &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	assert_int_equal(d.conflict_seq, 0);
	/* a failed check is refused before any credential question */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_FAILED, 0,
	    CRED_X, -1, &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	/* the owner itself: already awarded, not a conflict */
	policy_decide_cred(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED,
	    0, CRED_X, -1, &d);
	assert_int_equal(d.outcome, POLICY_ALREADY);
	/* the owner's own credential for its other kind: no conflict */
	policy_decide_cred(&p, &st, SIREN_A, POLICY_KIND_FRANCECONNECT,
	    POLICY_VERIFIED, 0, CRED_X, -1, &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	assert_int_equal(d.conflict_seq, -1);
	/* another credential: awarded, no link */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED,
	    0, CRED_Y, -1, &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	assert_int_equal(d.conflict_seq, -1);
	/* no credential known: the rule cannot apply */
	policy_decide_cred(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED,
	    0, NULL, -1, &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	policy_state_cleanup(&st);
}

/* The canonical string of docs/ledger.md, computed independently with
 * Python's hashlib:
 *   sha256(b"raccord-fc-credential-v1\nclient_id=abc123\n"
 *          b"redirect_origin=https://portail.example.fr\n") */
static void
test_fc_fingerprint(void **state)
{
	char a[65], b[65];

	(void)state;
	assert_int_equal(payable_fc_fingerprint("abc123",
	                     "https://portail.example.fr/callback?x=1", a,
	                     NULL),
	    RC_OK);
	assert_string_equal(a, CRED_X);
	/* case of scheme and host, the default port, the path: same origin */
	assert_int_equal(payable_fc_fingerprint("abc123",
	                     "HTTPS://Portail.Example.FR:443/autre", b, NULL),
	    RC_OK);
	assert_string_equal(b, CRED_X);
	/* another port is another origin */
	assert_int_equal(payable_fc_fingerprint("abc123",
	                     "https://portail.example.fr:8443/callback", b,
	                     NULL),
	    RC_OK);
	assert_string_equal(b, CRED_Y);
	/* another client_id */
	assert_int_equal(payable_fc_fingerprint("abc124",
	                     "https://portail.example.fr/callback", b, NULL),
	    RC_OK);
	assert_string_not_equal(b, CRED_X);
	assert_int_not_equal(
	    payable_fc_fingerprint("abc123", "callback", b, NULL), RC_OK);
	/* either half missing: no fingerprint */
	assert_int_not_equal(payable_fc_fingerprint(NULL,
	                         "https://portail.example.fr/callback", b,
	                         NULL),
	    RC_OK);
	assert_int_not_equal(payable_fc_fingerprint("abc123", NULL, b, NULL),
	    RC_OK);
	assert_int_not_equal(payable_fc_fingerprint("abc123",
	                         "ftp://portail.example.fr/", b, NULL),
	    RC_OK);
}

static const char dossier_json[] =
    "{\"dossier_id\":\"DP-1\",\"collectivite\":{\"siren\":\"217500016\","
    "\"siret\":\"21750001600019\",\"nom\":\"Commune\",\"categorie\":"
    "\"commune\"},\"paiement\":{\"titulaire\":\"DRFIP\",\"iban\":"
    "\"FR1420041010050500013M02606\",\"bic\":\"PSSTFRPPTOU\"},"
    "\"integrations\":["
    "{\"kind\":\"franceconnect\",\"environment\":\"production\","
    "\"client_id\":\"abc123\",\"login_url\":\"https://portail.example.fr/"
    "login\",\"redirect_uri\":\"https://portail.example.fr/callback\"},"
    "{\"kind\":\"api\",\"api\":\"api_particulier\",\"environment\":"
    "\"integration\",\"token_env\":\"T1\"},"
    "{\"kind\":\"api\",\"api\":\"api_particulier\",\"environment\":"
    "\"production\",\"token_env\":\"T2\"},"
    "{\"kind\":\"api\",\"api\":\"api_entreprise\",\"environment\":"
    "\"production\",\"token_env\":\"T3\"}]}";

/* A verified section linked to integrations[idx], habilitation hab. */
static struct report_section *
section(struct report *rep, const char *kind, const char *path,
    enum check_status hab, const char *cred)
{
	struct report_section *sec = report_section_add(rep, kind, path);

	assert_non_null(sec);
	if (path != NULL)
		assert_int_equal(report_section_set(sec, "integration", path),
		    RC_OK);
	if (cred != NULL)
		assert_int_equal(
		    report_section_set(sec, "credential_sha256", cred), RC_OK);
	/* Ids from the catalogue of checks, or the section is incomplete. */
	assert_int_equal(report_check(sec,
	                     strcmp(kind, "api") == 0 ? "api.token.live"
	                                              : "fc.provider.accepts",
	                     CHECK_PASS, 1, NULL, 0, "ok"),
	    RC_OK);
	assert_int_equal(report_check(sec,
	                     strcmp(kind, "api") == 0 ? "api.habilitation"
	                                              : "fc.habilitation",
	                     hab, 0, NULL, 0, "hab"),
	    RC_OK);
	return sec;
}

/*
 * `raccord check`'s "payable" block: one line per section, in order, with
 * the integration's path, its kind, YES only for a payable one, and the
 * reason; a section that names no integration or kind prints "?".
 */
static void
print_check(const struct payable *out, size_t n)
{
	struct payable unlinked = { .code = PAYABLE_UNLINKED };
	char want[4096], line[700], *text = NULL;
	size_t len = 0, i;
	FILE *f;

	assert_non_null(f = open_memstream(&text, &len));
	payable_print_text(out, n, f);
	fclose(f);
	snprintf(want, sizeof(want),
	    "\n  payable (what `raccord verify` with this config would do):\n");
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "    %s %s: %s — %s\n",
		    out[i].in != NULL ? out[i].in->path : "?",
		    out[i].kind_known ? policy_kind_str(out[i].kind) : "?",
		    out[i].code == PAYABLE_YES ? "YES" : "no", out[i].reason);
		strncat(want, line, sizeof(want) - strlen(want) - 1);
	}
	assert_string_equal(text, want);
	/* the lines the rules above decided */
	assert_non_null(
	    strstr(text, "    integrations[0] franceconnect: YES — "));
	assert_non_null(strstr(text, "    integrations[1] api: no — "));
	assert_non_null(strstr(text, "    integrations[2] api: no — "));
	free(text);

	snprintf(unlinked.reason, sizeof(unlinked.reason), "unlinked");
	text = NULL;
	assert_non_null(f = open_memstream(&text, &len));
	payable_print_text(&unlinked, 1, f);
	fclose(f);
	assert_non_null(strstr(text, "\n    ? ?: no — unlinked\n"));
	free(text);
}

static void
test_payable_dossier(void **state)
{
	struct dossier *d = NULL;
	struct report *rep;
	struct payable out[6];
	struct payable_opts o;
	struct policy p;
	struct policy_state st;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(
	    dossier_parse(dossier_json, strlen(dossier_json), "t", &d, &err),
	    RC_OK);
	policy_defaults(&p);
	memset(&o, 0, sizeof(o));
	o.policy = &p;
	o.require_habilitation = 1;
	o.datapass_configured = 1;
	o.approve_seq = -1;
	assert_non_null(rep = report_new("DP-1"));
	/* Sections deliberately NOT in the dossier's order: the link is
	 * the "integration" attribute, never the position. */
	section(rep, "api", "integrations[3]", CHECK_PASS, CRED_Y);
	section(rep, "api", "integrations[1]", CHECK_PASS, NULL);
	section(rep, "franceconnect", "integrations[0]", CHECK_SKIP, NULL);
	section(rep, "api", "integrations[2]", CHECK_PASS, NULL);
	section(rep, "api", NULL, CHECK_PASS, NULL);
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	/* integrations[3]: production, habilitation passed: the api one */
	assert_int_equal(out[0].code, PAYABLE_YES);
	assert_ptr_equal(out[0].in, &d->integrations[3]);
	assert_string_equal(out[0].credential_sha256, CRED_Y);
	assert_int_equal(out[0].ledger_checked, 0);
	assert_non_null(strstr(out[0].reason, "ledger not consulted"));
	/* integrations[1] is a sandbox one */
	assert_int_equal(out[1].code, PAYABLE_SANDBOX);
	/* FranceConnect without a passing habilitation (DataPass on) */
	assert_int_equal(out[2].code, PAYABLE_NO_HABILITATION);
	assert_string_equal(out[2].credential_sha256, CRED_X);
	/* a second api integration brings nothing more */
	assert_int_equal(out[3].code, PAYABLE_SECOND_OF_KIND);
	/* a section that names no integration fails closed */
	assert_int_equal(out[4].code, PAYABLE_UNLINKED);

	/* DataPass not configured: said so, not "no habilitation" alone */
	o.datapass_configured = 0;
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[2].code, PAYABLE_HABILITATION_UNCHECKED);
	assert_non_null(strstr(out[2].reason, "not configured"));

	/* Against a ledger where CRED_Y belongs to another SIREN: held. */
	policy_state_init(&st);
	assert_int_equal(award(&st, 0, SIREN_A, POLICY_KIND_API, CRED_Y, 0, 0),
	    RC_OK);
	assert_int_equal(payable_dossier(d, rep, &o, &st, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_CREDENTIAL_CONFLICT);
	assert_int_equal(out[0].seq, 0);
	assert_string_equal(out[0].conflict_siren, SIREN_A);
	assert_int_equal(out[0].ledger_checked, 1);
	/* and the held kind is decided: the next api section is second */
	assert_int_equal(out[3].code, PAYABLE_SECOND_OF_KIND);
	/* the instructor's approval of entry 0 */
	o.approve_seq = 0;
	assert_int_equal(payable_dossier(d, rep, &o, &st, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_YES);
	assert_int_equal(out[0].seq, 0);
	/* already awarded to this SIREN */
	assert_int_equal(award(&st, 1, SIREN_B, POLICY_KIND_API, CRED_Y, 1, 0),
	    RC_OK);
	assert_int_equal(payable_dossier(d, rep, &o, &st, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_ALREADY);
	assert_int_equal(out[0].seq, 1);
	policy_state_cleanup(&st);

	/* policy.require_habilitation false: FranceConnect is payable */
	o.require_habilitation = 0;
	o.approve_seq = -1;
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[2].code, PAYABLE_YES);
	print_check(out, 5);
	report_free(rep);
	dossier_free(d);
}

/*
 * A kind is decided by a verified section only: a failed (or
 * inconclusive) first api integration leaves the next one of that kind
 * its chance.
 */
static void
test_failed_first_of_kind(void **state)
{
	struct dossier *d = NULL;
	struct report *rep;
	struct report_section *sec;
	struct payable out[2];
	struct payable_opts o;
	struct policy p;
	struct rc_err err = { 0 };
	static const enum check_status firsts[] = { CHECK_FAIL, CHECK_ERROR };
	enum check_status first;
	size_t i;

	(void)state;
	assert_int_equal(
	    dossier_parse(dossier_json, strlen(dossier_json), "t", &d, &err),
	    RC_OK);
	policy_defaults(&p);
	memset(&o, 0, sizeof(o));
	o.policy = &p;
	o.require_habilitation = 1;
	o.datapass_configured = 1;
	o.approve_seq = -1;
	for (i = 0; i < 2; i++) {
		first = firsts[i];
		assert_non_null(rep = report_new("DP-1"));
		sec =
		    section(rep, "api", "integrations[3]", CHECK_PASS, CRED_Y);
		assert_int_equal(report_check(sec, "api.token.expiry", first, 1,
		                     NULL, 0, "broken"),
		    RC_OK);
		section(rep, "api", "integrations[2]", CHECK_PASS, CRED_X);
		assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err),
		    RC_OK);
		assert_int_equal(out[0].code,
		    first == CHECK_FAIL ? PAYABLE_FAILED
		                        : PAYABLE_INCONCLUSIVE);
		assert_int_equal(out[1].code, PAYABLE_YES);
		report_free(rep);
	}
	/* No paiement: a self-check says what is missing, never YES. */
	{
		char *saved = d->paiement.iban;

		d->paiement.iban = NULL;
		assert_non_null(rep = report_new("DP-1"));
		section(rep, "api", "integrations[2]", CHECK_PASS, CRED_X);
		assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err),
		    RC_OK);
		assert_int_equal(out[0].code, PAYABLE_NO_BANK_DETAILS);
		assert_non_null(strstr(out[0].reason, "paiement"));
		report_free(rep);
		d->paiement.iban = saved;
	}
	/* Payable without a fingerprint: the reason says the award will
	 * record none. */
	assert_non_null(rep = report_new("DP-1"));
	section(rep, "api", "integrations[2]", CHECK_PASS, NULL);
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_YES);
	assert_non_null(strstr(out[0].reason, "no credential fingerprint"));
	report_free(rep);
	dossier_free(d);
}

/*
 * policy.require_conformance (issue 11): the FranceConnect forfait needs
 * the dossier's own conformance report, verified; the API one does not.
 */
static void
test_require_conformance(void **state)
{
	static const char ok_report[] =
	    "{\"report_version\":1,\"dossier_id\":\"DP-1\",\"integrations\":"
	    "[{\"kind\":\"conformance\",\"verdict\":\"verified\"}]}";
	static const struct {
		const char *json; /* NULL: no report */
		const char *why;  /* NULL: passed */
	} t[] = {
		{ NULL, "no conformance report" },
		{ ok_report, NULL },
		{ "{\"dossier_id\":\"DP-2\",\"integrations\":[{\"kind\":"
		  "\"conformance\",\"verdict\":\"verified\"}]}",
		    "not DP-1" },
		{ "{\"dossier_id\":\"DP-1\",\"integrations\":[{\"kind\":"
		  "\"conformance\",\"verdict\":\"failed\"}]}",
		    "was failed" },
		{ "{\"dossier_id\":\"DP-1\",\"integrations\":[{\"kind\":"
		  "\"franceconnect\",\"verdict\":\"verified\"}]}",
		    "no section of kind conformance" },
	};
	struct dossier *d = NULL;
	struct report *rep;
	struct payable out[2];
	struct payable_opts o;
	struct policy p;
	struct rc_err err = { 0 };
	char buf[300];
	const char *why;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		j = t[i].json ? json_loads(t[i].json, 0, NULL) : NULL;
		why = payable_conformance(j, "DP-1", buf, sizeof(buf));
		if (t[i].why == NULL)
			assert_null(why);
		else if (why == NULL || strstr(why, t[i].why) == NULL)
			fail_msg("case %zu: %s", i, why ? why : "(passed)");
		json_decref(j);
	}
	assert_int_equal(
	    dossier_parse(dossier_json, strlen(dossier_json), "t", &d, &err),
	    RC_OK);
	policy_defaults(&p);
	memset(&o, 0, sizeof(o));
	o.policy = &p;
	o.approve_seq = -1;
	o.require_conformance = 1;
	o.conformance_fail = "no conformance report was given";
	assert_non_null(rep = report_new("DP-1"));
	section(rep, "franceconnect", "integrations[0]", CHECK_PASS, NULL);
	section(rep, "api", "integrations[2]", CHECK_PASS, CRED_X);
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_NO_CONFORMANCE);
	assert_string_equal(payable_code_str(out[0].code),
	    "conformance_not_passed");
	assert_non_null(strstr(out[0].reason, "policy.require_conformance"));
	assert_int_equal(out[1].code, PAYABLE_YES); /* API: unaffected */
	/* Passed, or not required: the FranceConnect forfait is payable. */
	o.conformance_fail = NULL;
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_YES);
	o.conformance_fail = "x";
	o.require_conformance = 0;
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_YES);
	report_free(rep);
	dossier_free(d);
}

/*
 * policy.require_api_token: an API section verified on its habilitation
 * alone (api.token.live skipped, no credential given) is refused
 * "token_not_shown"; one whose credential was shown live is payable; the
 * FranceConnect section is unaffected; off, the habilitation suffices.
 */
static void
test_require_api_token(void **state)
{
	struct dossier *d = NULL;
	struct report *rep;
	struct report_section *sec;
	struct payable out[2];
	struct payable_opts o;
	struct policy p;
	struct rc_err err = { 0 };

	(void)state;
	assert_int_equal(
	    dossier_parse(dossier_json, strlen(dossier_json), "t", &d, &err),
	    RC_OK);
	policy_defaults(&p);
	memset(&o, 0, sizeof(o));
	o.policy = &p;
	o.approve_seq = -1;
	o.require_api_token = 1;
	/* No credential: api.token.live skipped, the habilitation passed. */
	assert_non_null(rep = report_new("DP-1"));
	section(rep, "franceconnect", "integrations[0]", CHECK_PASS, NULL);
	assert_non_null(
	    sec = report_section_add(rep, "api", "integrations[2]"));
	assert_int_equal(
	    report_section_set(sec, "integration", "integrations[2]"), RC_OK);
	assert_int_equal(report_check(sec, "api.token.live", CHECK_SKIP, 0,
	                     NULL, 0, "no token"),
	    RC_OK);
	assert_int_equal(report_check(sec, "api.habilitation", CHECK_PASS, 0,
	                     NULL, 0, "hab"),
	    RC_OK);
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[0].code, PAYABLE_YES); /* FranceConnect */
	assert_int_equal(out[1].code, PAYABLE_NO_LIVE_TOKEN);
	assert_string_equal(payable_code_str(out[1].code), "token_not_shown");
	assert_non_null(strstr(out[1].reason, "policy.require_api_token"));
	assert_non_null(strstr(out[1].reason, "api.token.live: skip"));
	/* Off: the habilitation alone pays, as the reference's recipe. */
	o.require_api_token = 0;
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[1].code, PAYABLE_YES);
	report_free(rep);
	/* A live credential shown: payable with the rule on. */
	o.require_api_token = 1;
	assert_non_null(rep = report_new("DP-1"));
	section(rep, "franceconnect", "integrations[0]", CHECK_PASS, NULL);
	section(rep, "api", "integrations[2]", CHECK_PASS, CRED_X);
	assert_int_equal(payable_dossier(d, rep, &o, NULL, out, &err), RC_OK);
	assert_int_equal(out[1].code, PAYABLE_YES);
	report_free(rep);
	dossier_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_rule),
		cmocka_unit_test(test_revoked_keeps_owner),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_fc_fingerprint),
		cmocka_unit_test(test_payable_dossier),
		cmocka_unit_test(test_failed_first_of_kind),
		cmocka_unit_test(test_require_conformance),
		cmocka_unit_test(test_require_api_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
