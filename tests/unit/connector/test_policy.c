/* SPDX-License-Identifier: MIT */
/*
 * The award rules: one forfait per verified kind, at most one
 * franceconnect and one api per SIREN, idempotence, envelope, window,
 * revocations.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/ident.h"
#include "connector/policy.h"

#define SIREN_A "732829320"
#define SIREN_B "217500016"

static void
award(const struct policy *p, struct policy_state *st, uint64_t seq,
    const char *siren, enum policy_kind k, enum rc_code want)
{
	struct policy_entry e = {
		.op = POLICY_OP_AWARD,
		.seq = seq,
		.siren = siren,
		.kind = k,
		.amount_cents = 500000,
	};
	struct rc_err err = { 0 };

	assert_int_equal(policy_state_apply(p, st, &e, &err), want);
}

static void
test_two_per_siren(void **state)
{
	struct policy p;
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	assert_int_equal(p.amount_cents, 500000);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_FRANCECONNECT,
	    POLICY_VERIFIED, 1000, &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	assert_int_equal(d.amount_cents, 500000);
	award(&p, &st, 0, SIREN_A, POLICY_KIND_FRANCECONNECT, RC_OK);
	/* idempotent */
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_FRANCECONNECT,
	    POLICY_VERIFIED, 1000, &d);
	assert_int_equal(d.outcome, POLICY_ALREADY);
	assert_int_equal(d.existing_seq, 0);
	/* the api kind is separate */
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 1000,
	    &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	award(&p, &st, 1, SIREN_A, POLICY_KIND_API, RC_OK);
	/* a second API brings nothing more */
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 1000,
	    &d);
	assert_int_equal(d.outcome, POLICY_ALREADY);
	assert_int_equal(d.existing_seq, 1);
	/* history that breaks the rule is refused */
	award(&p, &st, 2, SIREN_A, POLICY_KIND_API, RC_EPOLICY);
	assert_int_equal(st.live_cents, 1000000);
	/* another SIREN is independent */
	award(&p, &st, 2, SIREN_B, POLICY_KIND_API, RC_OK);
	policy_state_cleanup(&st);
}

static void
test_verdicts_and_limits(void **state)
{
	struct policy p;
	struct policy_state st;
	struct policy_decision d;
	struct policy_entry e = {
		.op = POLICY_OP_AWARD,
		.seq = 0,
		.siren = SIREN_A,
		.kind = POLICY_KIND_API,
		.amount_cents = 400000, /* not the forfait */
	};
	struct rc_err err = { 0 };

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_FAILED, 1, &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_INCONCLUSIVE, 1,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	assert_non_null(strstr(d.reason, "inconclusive"));
	policy_decide(&p, &st, "732829321", POLICY_KIND_API, POLICY_VERIFIED, 1,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	/* wrong amount */
	assert_int_equal(policy_state_apply(&p, &st, &e, &err), RC_EPOLICY);
	/* window */
	p.window_start = 100;
	p.window_end = 200;
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 99,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 201,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 150,
	    &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	/* both ends of the window are inside it (its first and last second:
	 * docs/config.md), the seconds around them outside, each named */
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 100,
	    &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 200,
	    &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 99,
	    &d);
	assert_string_equal(d.reason,
	    "outside the award window: it opens later");
	policy_decide(&p, &st, SIREN_A, POLICY_KIND_API, POLICY_VERIFIED, 201,
	    &d);
	assert_string_equal(d.reason,
	    "outside the award window: it has closed");
	/* envelope of one forfait */
	p.envelope_cents = 500000;
	award(&p, &st, 0, SIREN_A, POLICY_KIND_API, RC_OK);
	policy_decide(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED, 150,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	assert_non_null(strstr(d.reason, "envelope"));
	award(&p, &st, 1, SIREN_B, POLICY_KIND_API, RC_EPOLICY);
	policy_state_cleanup(&st);
}

/* The award that exactly fills the envelope is allowed; one cent less of
 * room refuses it (policy.envelope_cents is the total of live awards). */
static void
test_envelope_boundary(void **state)
{
	struct policy p;
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	p.envelope_cents = 2 * p.amount_cents;
	award(&p, &st, 0, SIREN_A, POLICY_KIND_API, RC_OK);
	policy_decide(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED, 1,
	    &d);
	assert_int_equal(d.outcome, POLICY_AWARD);
	award(&p, &st, 1, SIREN_B, POLICY_KIND_API, RC_OK);
	assert_int_equal(st.live_cents, p.envelope_cents);
	policy_state_cleanup(&st);
	policy_state_init(&st);
	p.envelope_cents = 2 * p.amount_cents - 1;
	award(&p, &st, 0, SIREN_A, POLICY_KIND_API, RC_OK);
	policy_decide(&p, &st, SIREN_B, POLICY_KIND_API, POLICY_VERIFIED, 1,
	    &d);
	assert_int_equal(d.outcome, POLICY_REFUSE);
	award(&p, &st, 1, SIREN_B, POLICY_KIND_API, RC_EPOLICY);
	policy_state_cleanup(&st);
}

static void
test_revoke(void **state)
{
	struct policy p;
	struct policy_state st;
	struct rc_err err = { 0 };
	struct policy_entry r = {
		.op = POLICY_OP_REVOKE,
		.seq = 1,
		.siren = SIREN_A,
		.kind = POLICY_KIND_FRANCECONNECT,
		.ref_seq = 0,
	};

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	/* nothing to revoke */
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_EPOLICY);
	award(&p, &st, 0, SIREN_A, POLICY_KIND_FRANCECONNECT, RC_OK);
	r.ref_seq = 5; /* not that entry */
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_EPOLICY);
	r.ref_seq = 0;
	r.kind = POLICY_KIND_API; /* not that kind */
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_EPOLICY);
	r.kind = POLICY_KIND_FRANCECONNECT;
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_OK);
	assert_int_equal(st.live_cents, 0);
	assert_int_equal(
	    policy_state_live(&st, SIREN_A, POLICY_KIND_FRANCECONNECT), -1);
	/* twice */
	assert_int_equal(policy_state_apply(&p, &st, &r, &err), RC_EPOLICY);
	/* awarded again after a correction */
	award(&p, &st, 2, SIREN_A, POLICY_KIND_FRANCECONNECT, RC_OK);
	assert_int_equal(
	    policy_state_live(&st, SIREN_A, POLICY_KIND_FRANCECONNECT), 2);
	/* Only a 9-digit SIREN finds it: "73282931:" would compute the same
	 * number (':' is '0' + 10) if the digits were not checked first. */
	assert_int_equal(
	    policy_state_live(&st, "73282931:", POLICY_KIND_FRANCECONNECT), -1);
	assert_int_equal(
	    policy_state_live(&st, "73282932", POLICY_KIND_FRANCECONNECT), -1);
	assert_int_equal(
	    policy_state_live(&st, NULL, POLICY_KIND_FRANCECONNECT), -1);
	assert_int_equal(policy_state_live(&st, SIREN_A, POLICY_KIND__MAX), -1);
	policy_state_cleanup(&st);
}

static void
test_many_sirens(void **state)
{
	struct policy p;
	struct policy_state st;
	char siren[16];
	unsigned i, d, base;

	(void)state;
	policy_defaults(&p);
	policy_state_init(&st);
	/* 5000 Luhn-valid SIRENs: make the 9th digit the Luhn key */
	for (i = 0; i < 5000; i++) {
		base = 10000000 + i * 7;
		snprintf(siren, sizeof(siren), "%08u0", base);
		for (d = 0; d < 10; d++) {
			siren[8] = (char)('0' + d);
			if (rc_luhn(siren, RC_SIREN_LEN))
				break;
		}
		award(&p, &st, 2 * i, siren, POLICY_KIND_API, RC_OK);
		award(&p, &st, 2 * i + 1, siren, POLICY_KIND_FRANCECONNECT,
		    RC_OK);
		award(&p, &st, 2 * i + 1, siren, POLICY_KIND_FRANCECONNECT,
		    RC_EPOLICY);
	}
	assert_int_equal(st.awards, 10000);
	policy_state_cleanup(&st);
}

/*
 * The names of the entry fields "op" and "kind" (docs/ledger.md): each
 * name parses to its value and prints back; an unknown name, or one that
 * differs only in case or by a prefix, is refused without reading past
 * the name tables (an out-of-bounds read shows under ASan+UBSan); an
 * out-of-range value prints "?".
 */
static void
test_names(void **state)
{
	static const char *const bad[] = { "", "awar", "awards", "Award",
		"REVOKE", "revoked", "api ", "FranceConnect", "franceconnec",
		"x" };
	enum policy_op op;
	enum policy_kind k;
	size_t i;

	(void)state;
	op = POLICY_OP__MAX;
	assert_int_equal(policy_op_parse("award", &op), RC_OK);
	assert_int_equal(op, POLICY_OP_AWARD);
	assert_int_equal(policy_op_parse("revoke", &op), RC_OK);
	assert_int_equal(op, POLICY_OP_REVOKE);
	assert_string_equal(policy_op_str(POLICY_OP_AWARD), "award");
	assert_string_equal(policy_op_str(POLICY_OP_REVOKE), "revoke");
	assert_string_equal(policy_op_str(POLICY_OP__MAX), "?");
	k = POLICY_KIND__MAX;
	assert_int_equal(policy_kind_parse("franceconnect", &k), RC_OK);
	assert_int_equal(k, POLICY_KIND_FRANCECONNECT);
	assert_int_equal(policy_kind_parse("api", &k), RC_OK);
	assert_int_equal(k, POLICY_KIND_API);
	assert_string_equal(policy_kind_str(POLICY_KIND_FRANCECONNECT),
	    "franceconnect");
	assert_string_equal(policy_kind_str(POLICY_KIND_API), "api");
	assert_string_equal(policy_kind_str(POLICY_KIND__MAX), "?");
	/* a kind is not an operation, nor the reverse */
	assert_int_equal(policy_op_parse("franceconnect", &op), RC_EINVAL);
	assert_int_equal(policy_op_parse("api", &op), RC_EINVAL);
	assert_int_equal(policy_kind_parse("award", &k), RC_EINVAL);
	assert_int_equal(policy_kind_parse("revoke", &k), RC_EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		op = POLICY_OP__MAX;
		k = POLICY_KIND__MAX;
		assert_int_equal(policy_op_parse(bad[i], &op), RC_EINVAL);
		assert_int_equal(op, POLICY_OP__MAX);
		assert_int_equal(policy_kind_parse(bad[i], &k), RC_EINVAL);
		assert_int_equal(k, POLICY_KIND__MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_per_siren),
		cmocka_unit_test(test_verdicts_and_limits),
		cmocka_unit_test(test_envelope_boundary),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_many_sirens),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
