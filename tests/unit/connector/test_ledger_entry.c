/* SPDX-License-Identifier: MIT */
/*
 * Ledger entries, version 3 (connector/ledger/ledger.h): requested_by, the
 * daemon token's name that asked for an award or a revoke, is written
 * into the signed line when given, read back, and validated both ways;
 * an entry of an older version may not carry it; entries of versions 1
 * and 2 still read.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "connector/ledger/ledger.h"
#include "connector/ledger/ledger_int.h"

#define EV "9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"

static struct ledger_entry_in
award(const char *by)
{
	return (struct ledger_entry_in){
		.op = POLICY_OP_AWARD,
		.kind = POLICY_KIND_FRANCECONNECT,
		.siren = "217500016",
		.siret = "21750001600019",
		.nom = "Commune de test",
		.titulaire = "Commune de test",
		.iban = "FR7630006000011234567890189",
		.bic = "AGRIFRPP",
		.dossier_id = "DP-1",
		.evidence_sha256 = EV,
		.amount_cents = POLICY_AMOUNT_CENTS,
		.requested_by = by,
	};
}

static void
test_award_round_trip(void **state)
{
	struct ledger_entry_in in = award("dinum-1");
	struct ledger_entry e;
	struct rc_err err = { 0 };
	char *line = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ledger_entry_encode(&in, 0, "2026-03-02T09:15:00Z",
	                     &line, &len, &err),
	    RC_OK);
	assert_non_null(strstr(line, "{\"v\":3,"));
	assert_non_null(strstr(line, ",\"requested_by\":\"dinum-1\"}"));
	assert_int_equal(ledger_entry_parse(line, len, &e, &err), RC_OK);
	assert_int_equal(e.version, 3);
	assert_string_equal(e.requested_by, "dinum-1");
	rc_free(line);

	/* Without it (the CLI): no key, and "" read back. */
	in = award(NULL);
	assert_int_equal(ledger_entry_encode(&in, 0, "2026-03-02T09:15:00Z",
	                     &line, &len, &err),
	    RC_OK);
	assert_null(strstr(line, "requested_by"));
	assert_int_equal(ledger_entry_parse(line, len, &e, &err), RC_OK);
	assert_string_equal(e.requested_by, "");
	rc_free(line);
}

static void
test_revoke_round_trip(void **state)
{
	struct ledger_entry_in in = {
		.op = POLICY_OP_REVOKE,
		.kind = POLICY_KIND_FRANCECONNECT,
		.siren = "217500016",
		.ref_seq = 0,
		.reason = "doublon",
		.requested_by = "daemon.tokens[2]",
	};
	struct ledger_entry e;
	struct rc_err err = { 0 };
	char *line = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ledger_entry_encode(&in, 1, "2026-03-02T09:15:00Z",
	                     &line, &len, &err),
	    RC_OK);
	assert_int_equal(ledger_entry_parse(line, len, &e, &err), RC_OK);
	assert_string_equal(e.requested_by, "daemon.tokens[2]");
	rc_free(line);
}

static void
test_encode_refuses_bad_names(void **state)
{
	static const char *const bad[] = { "", "two words", "a=b", "q\"uote",
		"tab\there", "caf\xc3\xa9",
		"12345678901234567890123456789012345678901234567890123456789012"
		"345",
		NULL };
	struct ledger_entry_in in;
	struct rc_err err = { 0 };
	char *line = NULL;
	size_t len = 0, i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		in = award(bad[i]);
		memset(&err, 0, sizeof(err));
		if (ledger_entry_encode(&in, 0, "2026-03-02T09:15:00Z", &line,
		        &len, &err) != RC_EINVAL) {
			fprintf(stderr, "accepted requested_by \"%s\"\n",
			    bad[i]);
			fail();
		}
		assert_null(line);
	}
	assert_true(ledger_requester_ok("12345678901234567890123456789012345678"
	                                "90123456789012345678901234"));
	assert_false(ledger_requester_ok(""));
}

static void
parse_fails(const char *line, const char *want)
{
	struct ledger_entry e;
	struct rc_err err = { 0 };

	assert_int_not_equal(ledger_entry_parse(line, strlen(line), &e, &err),
	    RC_OK);
	if (strstr(err.msg, want) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want, err.msg);
}

static void
test_parse_versions(void **state)
{
	static const char v2[] =
	    "{\"v\":2,\"seq\":0,\"op\":\"award\",\"time\":\"2026-03-02T09:15:"
	    "00Z\","
	    "\"siren\":\"217500016\",\"siret\":\"21750001600019\",\"nom\":"
	    "\"C\","
	    "\"titulaire\":\"C\",\"kind\":\"franceconnect\",\"amount_cents\":"
	    "500000,\"currency\":\"EUR\",\"iban\":\"FR76\",\"bic\":"
	    "\"AGRIFRPP\","
	    "\"dossier_id\":\"DP-1\",\"evidence_sha256\":\"" EV "\"";
	static const char rv1[] =
	    "{\"v\":1,\"seq\":1,\"op\":\"revoke\",\"time\":\"2026-03-02T09:15:"
	    "00Z\","
	    "\"siren\":\"217500016\",\"kind\":\"franceconnect\",\"ref_seq\":0,"
	    "\"reason\":\"x\"";
	struct ledger_entry e;
	struct rc_err err = { 0 };
	char line[1024];

	(void)state;
	snprintf(line, sizeof(line), "%s}", v2);
	assert_int_equal(ledger_entry_parse(line, strlen(line), &e, &err),
	    RC_OK);
	assert_int_equal(e.version, 2);
	assert_string_equal(e.requested_by, "");
	/* Version 2 never had it: refused, naming the key. */
	snprintf(line, sizeof(line), "%s,\"requested_by\":\"dinum-1\"}", v2);
	parse_fails(line, "requested_by");
	snprintf(line, sizeof(line), "%s,\"requested_by\":\"dinum-1\"}", rv1);
	parse_fails(line, "requested_by");
	/* Version 3 reads it, and checks it. */
	snprintf(line, sizeof(line), "%s,\"requested_by\":\"dinum-1\"}", v2);
	line[5] = '3';
	assert_int_equal(ledger_entry_parse(line, strlen(line), &e, &err),
	    RC_OK);
	assert_string_equal(e.requested_by, "dinum-1");
	snprintf(line, sizeof(line), "%s,\"requested_by\":\"a b\"}", v2);
	line[5] = '3';
	parse_fails(line, "requested_by");
	snprintf(line, sizeof(line), "%s,\"requested_by\":7}", v2);
	line[5] = '3';
	parse_fails(line, "requested_by");
	snprintf(line, sizeof(line), "%s,\"requested_by\":\"ops\"}", rv1);
	line[5] = '3';
	assert_int_equal(ledger_entry_parse(line, strlen(line), &e, &err),
	    RC_OK);
	assert_string_equal(e.requested_by, "ops");
	/* Version 4 is not known yet. */
	snprintf(line, sizeof(line), "%s}", v2);
	line[5] = '4';
	parse_fails(line, "v");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_award_round_trip),
		cmocka_unit_test(test_revoke_round_trip),
		cmocka_unit_test(test_encode_refuses_bad_names),
		cmocka_unit_test(test_parse_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
