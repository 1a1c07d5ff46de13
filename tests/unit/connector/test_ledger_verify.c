/* SPDX-License-Identifier: MIT */
/*
 * ledger_verify as an audit (docs/ledger.md, "What verify enforces"): an
 * honest ledger verifies; the same ledger against a policy it breaks is
 * refused naming the rule, line and seq; and an allocation failure at any
 * point fails closed — an honest ledger never becomes "broken" (RC_ELEDGER)
 * because our own memory ran out, and a broken one never verifies.  The
 * rule-by-rule fixtures signed with the log key are in
 * tests/integration/t_ledger_audit.sh.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/mem.h"
#include "connector/ledger/ledger.h"

/* The Tessera test key of shared/reference/ledger.md (test data only). */
static const char ts_skey[] = "PRIVATE+KEY+example.com/log/testdata+33d7b496+"
                              "AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";
static const char ts_vkey[] = "example.com/log/testdata+33d7b496+"
                              "AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

#define T0 1772442900 /* 2026-03-02T09:15:00Z */

struct fixture {
	char dir[64];
	struct note_verifier *v;
};

static void
award_in(struct ledger_entry_in *in, const char *siren, const char *siret,
    enum policy_kind kind, const char *ev)
{
	*in = (struct ledger_entry_in){
		.op = POLICY_OP_AWARD,
		.kind = kind,
		.siren = siren,
		.siret = siret,
		.nom = "Commune de test",
		.titulaire = "Commune de test",
		.iban = "FR7630006000011234567890189",
		.bic = "AGRIFRPP",
		.dossier_id = "DP-1",
		.evidence_sha256 = ev,
		.amount_cents = POLICY_AMOUNT_CENTS,
	};
}

/* An honest ledger: three awards (one batch, then one) and a revoke. */
static int
setup(void **state)
{
	static const char report[] = "{\"report\":\"unit\"}";
	struct fixture *f = calloc(1, sizeof(*f));
	struct ledger_entry_in in[3];
	struct note_signer *s = NULL;
	struct ledger *lg = NULL;
	struct rc_err err = { 0 };
	struct policy p;
	char ev[65];
	uint64_t first;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rc-lv-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	policy_defaults(&p);
	assert_int_equal(note_signer_from_skey(ts_skey, &s, &err), RC_OK);
	assert_int_equal(note_verifier_parse(ts_vkey, &f->v, &err), RC_OK);
	assert_int_equal(ledger_init(f->dir, s, &err), RC_OK);
	assert_int_equal(ledger_open(f->dir, s, NULL, &p, 1000, &lg, &err),
	    RC_OK);
	assert_int_equal(
	    ledger_evidence_put(lg, report, strlen(report), ev, &err), RC_OK);
	award_in(&in[0], "217500016", "21750001600019",
	    POLICY_KIND_FRANCECONNECT, ev);
	award_in(&in[1], "217500016", "21750001600019", POLICY_KIND_API, ev);
	award_in(&in[2], "732829320", "73282932000017", POLICY_KIND_API, ev);
	assert_int_equal(ledger_append(lg, in, 2, T0, &first, &err), RC_OK);
	assert_int_equal(ledger_append(lg, in + 2, 1, T0 + 1, &first, &err),
	    RC_OK);
	in[0] = (struct ledger_entry_in){
		.op = POLICY_OP_REVOKE,
		.kind = POLICY_KIND_API,
		.siren = "217500016",
		.ref_seq = 1,
		.reason = "doublon",
	};
	assert_int_equal(ledger_append(lg, in, 1, T0 + 2, &first, &err), RC_OK);
	ledger_close(lg);
	note_signer_free(s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	note_verifier_free(f->v);
	free(f);
	return 0;
}

static void
test_honest(void **state)
{
	struct fixture *f = *state;
	struct ledger_verify_result r;
	struct rc_err err = { 0 };
	struct policy p;

	policy_defaults(&p);
	assert_int_equal(ledger_verify(f->dir, f->v, &p, &r, &err), RC_OK);
	assert_int_equal(r.entries, 4);
	assert_int_equal(r.awards, 3);
	assert_int_equal(r.revokes, 1);
	assert_int_equal(r.live_cents, 2 * POLICY_AMOUNT_CENTS);
	assert_int_equal(r.receipts, 4);
	assert_int_equal(r.checkpoints, 4); /* sizes 0, 2, 3, 4 */
}

/* The signed ledger against a forfait it does not pay: line 1 breaks. */
static void
test_amount_rule(void **state)
{
	struct fixture *f = *state;
	struct rc_err err = { 0 };
	struct policy p;

	policy_defaults(&p);
	p.amount_cents = 400000;
	assert_int_equal(ledger_verify(f->dir, f->v, &p, NULL, &err),
	    RC_ELEDGER);
	assert_non_null(strstr(err.msg, "rule policy.amount broken: "));
	assert_non_null(strstr(err.msg, "entries.jsonl line 1 (seq 0): "));
}

/* A window that closed the second before the third award (line 3). */
static void
test_window_rule(void **state)
{
	struct fixture *f = *state;
	struct rc_err err = { 0 };
	struct policy p;

	policy_defaults(&p);
	p.window_start = T0;
	p.window_end = T0 + 1;
	assert_int_equal(ledger_verify(f->dir, f->v, &p, NULL, &err), RC_OK);
	p.window_end = T0;
	assert_int_equal(ledger_verify(f->dir, f->v, &p, NULL, &err),
	    RC_ELEDGER);
	assert_non_null(strstr(err.msg, "rule policy.window broken: "));
	assert_non_null(strstr(err.msg, "entries.jsonl line 3 (seq 2): "));
	rc_err_clear(&err);
	p.window_start = T0 + 1;
	p.window_end = 0;
	assert_int_equal(ledger_verify(f->dir, f->v, &p, NULL, &err),
	    RC_ELEDGER);
	assert_non_null(strstr(err.msg, "entries.jsonl line 1 (seq 0): "));
}

/* Replace the first "from" of r (NUL-terminated) with "to", into out. */
static void
edit(const char *r, const char *from, const char *to, char *out, size_t n)
{
	const char *at = strstr(r, from);

	assert_non_null(at);
	assert_true(snprintf(out, n, "%.*s%s%s", (int)(at - r), r, to,
	                at + strlen(from)) < (int)n);
}

/* A receipt of the fixture, then every way its layout can be wrong. */
static void
test_receipt(void **state)
{
	struct fixture *f = *state;
	struct ledger_receipt r;
	struct rc_err err = { 0 };
	char path[128], *buf = NULL, bad[8192];
	size_t len = 0;
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ .from = "c2sp.org/tlog-proof@v1\n",
		    .to = "c2sp.org/tlog-proof@v2\n",
		    .want = "first line is not" },
		{ .from = "\nextra ", .to = "\nextra !", .want = "extra" },
		{ .from = "\nindex 2\n",
		    .to = "\nindex 02\n",
		    .want = "bad index" },
		{ .from = "\nindex 2\n",
		    .to = "\nindx 2\n",
		    .want = "no index line" },
		{ .from = "\nindex 2\n",
		    .to = "\nindex 1\n",
		    .want = "not entry 2" },
		{ .from = "\n\nexample.com",
		    .to = "\nAAAA\n\nexample.com",
		    .want = "proof line" },
		{ .from = "\n\nexample.com",
		    .to = "\nexample.com",
		    .want = "" },
	};
	size_t i;

	snprintf(path, sizeof(path), "%s/receipts/2.tlog-proof", f->dir);
	assert_int_equal(ledger_read_file(path, 65536, &buf, &len, &err),
	    RC_OK);
	assert_int_equal(
	    ledger_receipt_verify(buf, len, f->v, NULL, 0, 2, &r, &err), RC_OK);
	assert_int_equal(r.index, 2);
	assert_int_equal(r.cp.size, 3);
	assert_non_null(r.extra);
	rc_free(r.extra);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc_err_clear(&err);
		edit(buf, cases[i].from, cases[i].to, bad, sizeof(bad));
		if (ledger_receipt_verify(bad, strlen(bad), f->v, NULL, 0, 2,
		        NULL, &err) == RC_OK)
			fail_msg("case %zu verified", i);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: %s", i, err.msg);
	}
	/* Cut at every length: never verifies, never reads past the end. */
	for (i = 0; i < len; i++) {
		char *cut = rc_malloc(i + 1);

		assert_non_null(cut);
		memcpy(cut, buf, i);
		assert_int_not_equal(ledger_receipt_verify(cut, i, f->v, NULL,
		                         0, -1, NULL, &err),
		    RC_OK);
		rc_free(cut);
	}
	rc_free(buf);
}

/*
 * Fail closed: fail the n-th allocation for every n.  With an honest
 * ledger the result is RC_ENOMEM, never RC_OK (an entry whose parse or
 * audit ran out of memory was not checked: it must not count as checked)
 * and never a finding about the ledger; with a policy the ledger breaks,
 * it is RC_ENOMEM or exactly the finding of a run without the fault (the
 * same rule, line and seq: an internal failure on one entry must not let
 * that entry pass and put the blame on a later one), never RC_OK.
 */
static void
enomem_loop(const struct fixture *f, const struct policy *p, enum rc_code clean,
    const char *want)
{
	struct rc_err first = { 0 };
	unsigned long n;

	assert_int_equal(ledger_verify(f->dir, f->v, p, NULL, &first), clean);
	assert_non_null(strstr(first.msg, want));
	for (n = 1; n < 100000; n++) {
		struct rc_err err = { 0 };
		enum rc_code rc;

		rc_mem_fail_after(n);
		rc = ledger_verify(f->dir, f->v, p, NULL, &err);
		if (!rc_mem_failed()) {
			rc_mem_fail_after(0);
			assert_int_equal(rc, clean);
			return;
		}
		rc_mem_fail_after(0);
		if (rc == RC_ENOMEM)
			continue;
		if (rc != clean || strcmp(err.msg, first.msg) != 0)
			fail_msg(
			    "allocation %lu: rc %d: %s (without the fault: "
			    "%s)",
			    n, rc, err.msg, first.msg);
	}
	fail_msg("more than 100000 allocations?");
}

static void
test_enomem_honest(void **state)
{
	struct policy p;

	policy_defaults(&p);
	enomem_loop(*state, &p, RC_OK, "");
}

static void
test_enomem_broken(void **state)
{
	struct policy p;

	policy_defaults(&p);
	p.amount_cents = 400000;
	enomem_loop(*state, &p, RC_ELEDGER, "rule policy.amount broken: ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_honest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amount_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_window_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_receipt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enomem_honest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enomem_broken, setup,
		    teardown),
	};

	/* jansson's allocations too, as in raccord's main(): the injector
	 * then reaches the entries' parse (mutation ledger_verify.c:768). */
	rc_json_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
