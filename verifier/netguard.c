/* SPDX-License-Identifier: MIT */
/*
 * The SSRF guard (see netguard.h).
 *
 * The refused ranges follow the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and updates): every block that is not "globally
 * reachable", plus multicast and the transition forms that would let a
 * hostile DNS answer reach an internal IPv4 address through IPv6.  The
 * first matching row names the range, so narrower rows come first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "verifier/netguard.h"

enum ng_kind {
	NG_PLAIN,       /* refused as such */
	NG_EMBED_NAT64, /* refused when the last 32 bits are refused */
	NG_EMBED_6TO4,  /* refused when bits 16..47 are refused */
	NG_KIND__MAX
};

struct ng_range {
	const char *cidr;
	const char *name;
	enum ng_kind kind;
};

static const struct ng_range ng_v4[] = {
	{ "0.0.0.0/8", "unspecified (\"this network\")", NG_PLAIN },
	{ "10.0.0.0/8", "private (RFC 1918)", NG_PLAIN },
	{ "100.64.0.0/10", "shared address space, CGNAT (RFC 6598)", NG_PLAIN },
	{ "127.0.0.0/8", "loopback", NG_PLAIN },
	{ "169.254.0.0/16", "link-local", NG_PLAIN },
	{ "172.16.0.0/12", "private (RFC 1918)", NG_PLAIN },
	{ "192.0.0.0/24", "IETF protocol assignments", NG_PLAIN },
	{ "192.0.2.0/24", "documentation (TEST-NET-1)", NG_PLAIN },
	{ "192.88.99.0/24", "6to4 relay anycast (deprecated)", NG_PLAIN },
	{ "192.168.0.0/16", "private (RFC 1918)", NG_PLAIN },
	{ "198.18.0.0/15", "benchmarking (RFC 2544)", NG_PLAIN },
	{ "198.51.100.0/24", "documentation (TEST-NET-2)", NG_PLAIN },
	{ "203.0.113.0/24", "documentation (TEST-NET-3)", NG_PLAIN },
	{ "224.0.0.0/4", "multicast", NG_PLAIN },
	{ "255.255.255.255/32", "broadcast", NG_PLAIN },
	{ "240.0.0.0/4", "reserved", NG_PLAIN },
};

static const struct ng_range ng_v6[] = {
	{ "::/128", "unspecified", NG_PLAIN },
	{ "::1/128", "loopback", NG_PLAIN },
	{ "::ffff:0:0/96", "IPv4-mapped", NG_PLAIN },
	{ "::/96", "IPv4-compatible (deprecated)", NG_PLAIN },
	{ "64:ff9b::/96", "NAT64", NG_EMBED_NAT64 },
	{ "64:ff9b:1::/48", "local-use NAT64 (RFC 8215)", NG_PLAIN },
	{ "100::/64", "discard-only", NG_PLAIN },
	{ "2001:2::/48", "benchmarking", NG_PLAIN },
	{ "2001:10::/28", "ORCHID (deprecated)", NG_PLAIN },
	{ "2001:20::/28", "ORCHIDv2", NG_PLAIN },
	{ "2001:db8::/32", "documentation", NG_PLAIN },
	{ "2001::/23", "IETF protocol assignments (Teredo and others)",
	    NG_PLAIN },
	{ "2002::/16", "6to4", NG_EMBED_6TO4 },
	{ "3fff::/20", "documentation (RFC 9637)", NG_PLAIN },
	{ "5f00::/16", "SRv6 SIDs (RFC 9602)", NG_PLAIN },
	{ "fc00::/7", "unique local (ULA)", NG_PLAIN },
	{ "fe80::/10", "link-local", NG_PLAIN },
	{ "fec0::/10", "site-local (deprecated)", NG_PLAIN },
	{ "ff00::/8", "multicast", NG_PLAIN },
};

/* Whatever IPv6 lies outside global unicast is not allocated for hosts. */
static const struct ng_range ng_v6_outside = { "2000::/3",
	"outside global unicast", NG_PLAIN };

struct ng_net {
	int family;
	unsigned char a[16];
	unsigned int len; /* prefix length in bits */
};

struct netguard {
	struct ng_net *allow;
	char **allow_txt; /* as configured, for messages */
	size_t nallow;
};

/* Parse "addr[/len]" into n.  0 on success, -1 with why filled. */
static int
ng_parse(const char *s, struct ng_net *n, char *why, size_t whylen)
{
	char buf[64];
	char *slash, *end;
	unsigned long len;
	unsigned int max, i;

	memset(n, 0, sizeof(*n));
	if (s == NULL || *s == '\0' || strlen(s) >= sizeof(buf)) {
		snprintf(why, whylen, "empty or too long");
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->a) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->a) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address",
		    buf);
		return -1;
	}
	n->len = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9') {
			snprintf(why, whylen, "prefix length is not a number");
			return -1;
		}
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno != 0 || *end != '\0' || len > max) {
			snprintf(why, whylen, "prefix length must be 0..%u",
			    max);
			return -1;
		}
		n->len = (unsigned int)len;
	}
	for (i = n->len; i < max; i++) {
		if (n->a[i / 8] & (0x80 >> (i % 8))) {
			snprintf(why, whylen,
			    "host bits are set beyond /%u (mistyped network?)",
			    n->len);
			return -1;
		}
	}
	return 0;
}

/* Whether address a of family lies in net. */
static int
ng_contains(const struct ng_net *net, int family, const unsigned char *a)
{
	unsigned int full, rest;

	if (net->family != family)
		return 0;
	full = net->len / 8;
	rest = net->len % 8;
	if (memcmp(net->a, a, full) != 0)
		return 0;
	if (rest != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((net->a[full] & mask) != (a[full] & mask))
			return 0;
	}
	return 1;
}

/* Whether a built-in range row contains a. */
static int
ng_range_contains(const struct ng_range *r, int family, const unsigned char *a)
{
	struct ng_net net;
	char why[8];

	if (ng_parse(r->cidr, &net, why, sizeof(why)) != 0)
		return 0; /* the tables are tested; cannot happen */
	return ng_contains(&net, family, a);
}

/* The first refused range containing a, or NULL when a is public. */
static const struct ng_range *
ng_refusal(int family, const unsigned char *a)
{
	const struct ng_range *tab = family == AF_INET ? ng_v4 : ng_v6;
	size_t i,
	    n = family == AF_INET ? sizeof(ng_v4) / sizeof(ng_v4[0])
	                          : sizeof(ng_v6) / sizeof(ng_v6[0]);

	for (i = 0; i < n; i++)
		if (ng_range_contains(&tab[i], family, a))
			return &tab[i];
	if (family == AF_INET6 && (a[0] & 0xe0) != 0x20)
		return &ng_v6_outside;
	return NULL;
}

/* The configured CIDR containing a, or NULL. */
static const char *
ng_allowed(const struct netguard *g, int family, const unsigned char *a)
{
	size_t i;

	if (g == NULL)
		return NULL;
	for (i = 0; i < g->nallow; i++)
		if (ng_contains(&g->allow[i], family, a))
			return g->allow_txt[i];
	return NULL;
}

/* Judge a raw address; see netguard_check. */
static int
ng_judge(const struct netguard *g, int family, const unsigned char *a,
    char *why, size_t whylen)
{
	const struct ng_range *r, *r4;
	const char *by;
	unsigned char v4[4];
	char txt[INET6_ADDRSTRLEN], txt4[INET_ADDRSTRLEN];

	if (inet_ntop(family, a, txt, sizeof(txt)) == NULL)
		snprintf(txt, sizeof(txt), "?");
	if ((r = ng_refusal(family, a)) == NULL) {
		snprintf(why, whylen, "%s is globally reachable", txt);
		return 1;
	}
	if (r->kind == NG_EMBED_NAT64 || r->kind == NG_EMBED_6TO4) {
		memcpy(v4, r->kind == NG_EMBED_NAT64 ? a + 12 : a + 2, 4);
		if (inet_ntop(AF_INET, v4, txt4, sizeof(txt4)) == NULL)
			snprintf(txt4, sizeof(txt4), "?");
		if ((r4 = ng_refusal(AF_INET, v4)) == NULL) {
			snprintf(why, whylen,
			    "%s is %s (%s) of %s, globally "
			    "reachable",
			    txt, r->name, r->cidr, txt4);
			return 1;
		}
		if ((by = ng_allowed(g, family, a)) != NULL ||
		    (by = ng_allowed(g, AF_INET, v4)) != NULL) {
			snprintf(why, whylen,
			    "%s is %s (%s) embedding %s, %s "
			    "(%s); allowed by network.allow_private %s",
			    txt, r->name, r->cidr, txt4, r4->name, r4->cidr,
			    by);
			return 1;
		}
		snprintf(why, whylen,
		    "%s is %s (%s) embedding %s, %s (%s); "
		    "not in network.allow_private",
		    txt, r->name, r->cidr, txt4, r4->name, r4->cidr);
		return 0;
	}
	if ((by = ng_allowed(g, family, a)) != NULL) {
		snprintf(why, whylen,
		    "%s is %s (%s); allowed by "
		    "network.allow_private %s",
		    txt, r->name, r->cidr, by);
		return 1;
	}
	snprintf(why, whylen, "%s is %s (%s); not in network.allow_private",
	    txt, r->name, r->cidr);
	return 0;
}

struct netguard *
netguard_new(const char *const *allow, struct rc_err *err)
{
	struct netguard *g = NULL, *ret = NULL;
	char why[128];
	size_t n = 0, i;

	while (allow != NULL && allow[n] != NULL)
		n++;
	if ((g = rc_calloc(1, sizeof(*g))) == NULL ||
	    (g->allow = rc_calloc(n, sizeof(*g->allow))) == NULL ||
	    (g->allow_txt = rc_calloc(n, sizeof(*g->allow_txt))) == NULL) {
		RC_ERR(err, RC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (ng_parse(allow[i], &g->allow[i], why, sizeof(why)) != 0) {
			RC_ERR(err, RC_ECONFIG,
			    "network.allow_private: \"%s\" is not a CIDR: %s",
			    allow[i], why);
			goto out;
		}
		if ((g->allow_txt[i] = rc_strdup(allow[i])) == NULL) {
			RC_ERR(err, RC_ENOMEM, "out of memory");
			goto out;
		}
		g->nallow = i + 1;
	}
	ret = g;
	g = NULL; /* transferred */
out:
	netguard_free(g);
	return ret;
}

void
netguard_free(struct netguard *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nallow; i++)
		rc_free(g->allow_txt[i]);
	rc_free(g->allow_txt);
	rc_free(g->allow);
	rc_free(g);
}

int
netguard_check(const struct netguard *g, const struct sockaddr *sa,
    socklen_t salen, char *why, size_t whylen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char dummy[8];

	if (why == NULL || whylen == 0) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	if (sa != NULL && sa->sa_family == AF_INET &&
	    salen >= (socklen_t)sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		return ng_judge(g, AF_INET,
		    (const unsigned char *)&sin.sin_addr, why, whylen);
	}
	if (sa != NULL && sa->sa_family == AF_INET6 &&
	    salen >= (socklen_t)sizeof(sin6)) {
		memcpy(&sin6, sa, sizeof(sin6));
		return ng_judge(g, AF_INET6,
		    (const unsigned char *)&sin6.sin6_addr, why, whylen);
	}
	snprintf(why, whylen, "address family %d is not IPv4 or IPv6",
	    sa != NULL ? sa->sa_family : -1);
	return 0;
}

int
netguard_check_str(const struct netguard *g, const char *addr, char *why,
    size_t whylen)
{
	unsigned char a[16];
	char dummy[8];

	if (why == NULL || whylen == 0) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	if (addr != NULL && inet_pton(AF_INET, addr, a) == 1)
		return ng_judge(g, AF_INET, a, why, whylen);
	if (addr != NULL && inet_pton(AF_INET6, addr, a) == 1)
		return ng_judge(g, AF_INET6, a, why, whylen);
	snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address",
	    addr != NULL ? addr : "(null)");
	return -1;
}
