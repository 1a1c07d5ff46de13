/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/netguard: every refused IPv4 and IPv6 range,
 * transition forms (mapped, compatible, NAT64, 6to4), the allow list and
 * malformed CIDRs.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/mem.h"
#include "verifier/netguard.h"

struct verdict {
	const char *addr;
	int allowed;
	const char *range; /* expected in the sentence, or NULL */
};

static void
check_all(const struct netguard *g, const struct verdict *v, size_t n)
{
	char why[256];
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		got = netguard_check_str(g, v[i].addr, why, sizeof(why));
		if (got != v[i].allowed)
			fail_msg("%s: got %d, want %d (%s)", v[i].addr, got,
			    v[i].allowed, why);
		if (v[i].range != NULL && strstr(why, v[i].range) == NULL)
			fail_msg("%s: \"%s\" does not name %s", v[i].addr, why,
			    v[i].range);
	}
}

static void
test_ipv4_ranges(void **state)
{
	static const struct verdict v[] = {
		{ "0.0.0.0", 0, "0.0.0.0/8" },
		{ "0.1.2.3", 0, "0.0.0.0/8" },
		{ "10.0.0.1", 0, "10.0.0.0/8" },
		{ "10.255.255.255", 0, "10.0.0.0/8" },
		{ "100.64.0.1", 0, "100.64.0.0/10" },
		{ "100.127.255.254", 0, "100.64.0.0/10" },
		{ "100.128.0.1", 1, NULL },
		{ "100.63.255.255", 1, NULL },
		{ "127.0.0.1", 0,
		    "127.0.0.1 is loopback (127.0.0.0/8); not in "
		    "network.allow_private" },
		{ "127.255.255.254", 0, "loopback" },
		{ "169.254.169.254", 0, "link-local (169.254.0.0/16)" },
		{ "172.16.0.1", 0, "172.16.0.0/12" },
		{ "172.31.255.255", 0, "172.16.0.0/12" },
		{ "172.32.0.1", 1, NULL },
		{ "172.15.255.255", 1, NULL },
		{ "192.0.0.8", 0, "192.0.0.0/24" },
		{ "192.0.2.1", 0, "192.0.2.0/24" },
		{ "192.88.99.1", 0, "192.88.99.0/24" },
		{ "192.168.1.1", 0, "192.168.0.0/16" },
		{ "198.18.0.1", 0, "198.18.0.0/15" },
		{ "198.19.255.255", 0, "198.18.0.0/15" },
		{ "198.20.0.1", 1, NULL },
		{ "198.51.100.7", 0, "198.51.100.0/24" },
		{ "203.0.113.9", 0, "203.0.113.0/24" },
		{ "224.0.0.1", 0, "multicast (224.0.0.0/4)" },
		{ "239.255.255.250", 0, "multicast" },
		{ "240.0.0.1", 0, "reserved (240.0.0.0/4)" },
		{ "255.255.255.254", 0, "reserved" },
		{ "255.255.255.255", 0, "broadcast (255.255.255.255/32)" },
		{ "1.1.1.1", 1, "globally reachable" },
		{ "8.8.8.8", 1, NULL },
		{ "185.24.184.1", 1, NULL },
		{ "223.255.255.255", 1, NULL },
		{ "11.0.0.1", 1, NULL },
		{ "192.169.0.1", 1, NULL },
	};

	(void)state;
	check_all(NULL, v, sizeof(v) / sizeof(v[0]));
}

static void
test_ipv6_ranges(void **state)
{
	static const struct verdict v[] = {
		{ "::", 0, "unspecified (::/128)" },
		{ "::1", 0, "loopback (::1/128)" },
		{ "::ffff:127.0.0.1", 0, "IPv4-mapped (::ffff:0:0/96)" },
		{ "::ffff:8.8.8.8", 0, "IPv4-mapped" },
		{ "::ffff:169.254.169.254", 0, "IPv4-mapped" },
		{ "::127.0.0.1", 0, "IPv4-compatible" },
		{ "::8.8.8.8", 0, "IPv4-compatible" },
		{ "64:ff9b::7f00:1", 0,
		    "NAT64 (64:ff9b::/96) embedding 127.0.0.1, loopback" },
		{ "64:ff9b::a9fe:a9fe", 0, "embedding 169.254.169.254" },
		{ "64:ff9b::808:808", 1, "of 8.8.8.8" },
		{ "64:ff9b:1::1", 0, "64:ff9b:1::/48" },
		{ "100::1", 0, "discard-only" },
		{ "2001::1", 0, "2001::/23" },
		{ "2001:2::1", 0, "benchmarking (2001:2::/48)" },
		{ "2001:10::1", 0, "ORCHID" },
		{ "2001:20::1", 0, "ORCHIDv2" },
		{ "2001:db8::1", 0, "documentation (2001:db8::/32)" },
		{ "2002:7f00:1::", 0,
		    "6to4 (2002::/16) embedding 127.0.0.1, loopback" },
		{ "2002:c0a8:101::1", 0, "embedding 192.168.1.1" },
		{ "2002:808:808::1", 1, "of 8.8.8.8" },
		{ "3fff::1", 0, "3fff::/20" },
		{ "5f00::1", 0, "5f00::/16" },
		{ "fc00::1", 0, "unique local (ULA) (fc00::/7)" },
		{ "fd12:3456::1", 0, "fc00::/7" },
		{ "fe80::1", 0, "link-local (fe80::/10)" },
		{ "febf::1", 0, "fe80::/10" },
		{ "fec0::1", 0, "site-local" },
		{ "ff02::1", 0, "multicast (ff00::/8)" },
		{ "ff0e::1", 0, "multicast" },
		{ "4000::1", 0, "outside global unicast (2000::/3)" },
		{ "e000::1", 0, "2000::/3" },
		{ "1::1", 0, "2000::/3" },
		{ "2a01:e0a:1::1", 1, "globally reachable" },
		{ "2001:4860:4860::8888", 1, NULL },
		{ "2606:4700::1111", 1, NULL },
		{ "3ffe::1", 1, NULL },
	};

	(void)state;
	check_all(NULL, v, sizeof(v) / sizeof(v[0]));
}

static void
test_allow_list_opens_ranges(void **state)
{
	static const char *const allow[] = { "127.0.0.0/8", "::1/128",
		"10.1.0.0/16", "fd00::/8", "192.168.1.10", NULL };
	static const struct verdict v[] = {
		{ "127.0.0.1", 1,
		    "127.0.0.1 is loopback (127.0.0.0/8); allowed by "
		    "network.allow_private 127.0.0.0/8" },
		{ "127.8.9.10", 1, NULL },
		{ "::1", 1, "allowed by network.allow_private ::1/128" },
		{ "10.1.200.3", 1, "10.1.0.0/16" },
		{ "10.2.0.1", 0, "not in network.allow_private" },
		{ "fd00::5", 1, NULL },
		{ "fc00::5", 0, NULL },
		{ "192.168.1.10", 1, NULL },
		{ "192.168.1.11", 0, NULL },
		/* Mapped forms stay refused unless listed as IPv6. */
		{ "::ffff:127.0.0.1", 0, "IPv4-mapped" },
		/* NAT64 and 6to4 of an opened IPv4 address are opened. */
		{ "64:ff9b::7f00:1", 1, "allowed" },
		{ "2002:7f00:1::", 1, "allowed" },
		{ "2002:a02:1::", 0, "embedding 10.2.0.1" },
		{ "169.254.169.254", 0, NULL },
		{ "8.8.8.8", 1, NULL },
	};
	struct rc_err err = { 0 };
	struct netguard *g;

	(void)state;
	g = netguard_new(allow, &err);
	assert_non_null(g);
	check_all(g, v, sizeof(v) / sizeof(v[0]));
	netguard_free(g);
	netguard_free(NULL);
}

static void
test_allow_everything(void **state)
{
	static const char *const allow[] = { "0.0.0.0/0", "::/0", NULL };
	static const struct verdict v[] = {
		{ "127.0.0.1", 1, NULL },
		{ "::ffff:10.0.0.1", 1, NULL },
		{ "ff02::1", 1, NULL },
	};
	struct rc_err err = { 0 };
	struct netguard *g = netguard_new(allow, &err);

	(void)state;
	assert_non_null(g);
	check_all(g, v, sizeof(v) / sizeof(v[0]));
	netguard_free(g);
}

static void
test_bad_cidrs(void **state)
{
	static const char *const bad[] = { "", "127.0.0.0/33", "::1/129",
		"127.0.0.1/8", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8x",
		"localhost", "10.0.0/8", "fe80::1%eth0/128", "fd00::1/8",
		"1.2.3.4/ 8", "0x7f.0.0.1/32", "127.0.0.0/08x", NULL };
	struct rc_err err;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		const char *one[] = { "127.0.0.0/8", bad[i], NULL };
		struct netguard *g;

		memset(&err, 0, sizeof(err));
		g = netguard_new(one, &err);
		if (g != NULL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(err.code, RC_ECONFIG);
		assert_non_null(strstr(err.msg, "network.allow_private"));
		if (*bad[i] != '\0')
			assert_non_null(strstr(err.msg, bad[i]));
	}
	memset(&err, 0, sizeof(err));
	{
		const char *one[] = { "127.0.0.1/8", NULL };

		assert_null(netguard_new(one, &err));
		assert_non_null(strstr(err.msg, "host bits"));
	}
}

static void
test_sockaddr_forms(void **state)
{
	static const char *const allow[] = { "127.0.0.0/8", NULL };
	struct rc_err err = { 0 };
	struct netguard *g = netguard_new(allow, &err);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
	char why[256];

	(void)state;
	assert_non_null(g);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(443);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(netguard_check(g, (struct sockaddr *)&sin, sizeof(sin),
	                     why, sizeof(why)),
	    1);
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	assert_int_equal(netguard_check(g, (struct sockaddr *)&sin, sizeof(sin),
	                     why, sizeof(why)),
	    0);
	assert_non_null(strstr(why, "10.0.0.1 is private"));
	/* A truncated address is refused, never read past its length. */
	assert_int_equal(
	    netguard_check(g, (struct sockaddr *)&sin, 4, why, sizeof(why)), 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	assert_int_equal(netguard_check(g, (struct sockaddr *)&sin6,
	                     sizeof(sin6), why, sizeof(why)),
	    0);
	assert_non_null(strstr(why, "::1 is loopback"));
	inet_pton(AF_INET6, "2a01:e0a::1", &sin6.sin6_addr);
	assert_int_equal(
	    netguard_check(g, (struct sockaddr *)&sin6, sizeof(sin6), NULL, 0),
	    1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	assert_int_equal(netguard_check(g, &sa, sizeof(sa), why, sizeof(why)),
	    0);
	assert_string_equal(why, "address family 1 is not IPv4 or IPv6");
	assert_int_equal(netguard_check(g, NULL, 0, why, sizeof(why)), 0);
	assert_string_equal(why, "address family -1 is not IPv4 or IPv6");
	/* A truncated IPv6 address is refused too. */
	inet_pton(AF_INET6, "2a01:e0a::1", &sin6.sin6_addr);
	assert_int_equal(netguard_check(g, (struct sockaddr *)&sin6,
	                     sizeof(sin6) - 1, why, sizeof(why)),
	    0);
	assert_non_null(strstr(why, "is not IPv4 or IPv6"));

	/* The text form: both families, and a refusal naming the input. */
	assert_int_equal(netguard_check_str(g, "127.0.0.1", why, sizeof(why)),
	    1);
	assert_int_equal(netguard_check_str(g, "::1", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "::1 is loopback"));
	assert_int_equal(netguard_check_str(g, "2a01:e0a::1", NULL, 0), 1);
	assert_int_equal(netguard_check_str(g, "not-an-ip", why, sizeof(why)),
	    -1);
	assert_string_equal(why,
	    "\"not-an-ip\" is not an IPv4 or IPv6 address");
	assert_int_equal(netguard_check_str(g, NULL, why, sizeof(why)), -1);
	assert_string_equal(why, "\"(null)\" is not an IPv4 or IPv6 address");
	assert_int_equal(netguard_check_str(g, "10.0.0.1x", NULL, 0), -1);
	/* A tiny buffer truncates, never overflows. */
	assert_int_equal(netguard_check_str(g, "10.0.0.1", why, 5), 0);
	assert_int_equal(strlen(why), 4);
	netguard_free(g);
}

static void
test_enomem(void **state)
{
	static const char *const allow[] = { "127.0.0.0/8", "::1/128",
		"10.0.0.0/8", NULL };
	struct rc_err err;
	struct netguard *g = NULL;
	unsigned long n;

	(void)state;
	for (n = 1; n < 50; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		g = netguard_new(allow, &err);
		rc_mem_fail_after(0);
		if (g != NULL)
			break;
		assert_int_equal(err.code, RC_ENOMEM);
	}
	assert_non_null(g);
	assert_true(n > 1);
	netguard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_ranges),
		cmocka_unit_test(test_ipv6_ranges),
		cmocka_unit_test(test_allow_list_opens_ranges),
		cmocka_unit_test(test_allow_everything),
		cmocka_unit_test(test_bad_cidrs),
		cmocka_unit_test(test_sockaddr_forms),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
