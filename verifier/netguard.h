/* SPDX-License-Identifier: MIT */
/*
 * The SSRF guard: judge the address a probe is about to connect to.
 *
 * raccord fetches URLs chosen by third parties (login pages, Location
 * headers).  The probe engine calls netguard_check on the socket address
 * libcurl is about to connect to, on every connection of every hop, so the
 * judgement applies to the address actually used, whatever the URL said
 * (hex or octal IPv4 forms, DNS names, rebinding).
 *
 * Refused unless an operator CIDR (network.allow_private) contains them:
 * every IPv4 and IPv6 range that is not globally reachable unicast
 * (loopback, RFC 1918, link-local, CGNAT, ULA, multicast, unspecified,
 * broadcast, reserved, documentation, benchmarking, IETF protocol
 * assignments, Teredo, ORCHID, discard), IPv4-mapped and IPv4-compatible
 * IPv6, and NAT64 (64:ff9b::/96) or 6to4 (2002::/16) addresses whose
 * embedded IPv4 address would itself be refused.
 */
#ifndef RC_VERIFIER_NETGUARD_H
#define RC_VERIFIER_NETGUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "common/err.h"

struct netguard;

/*
 * A guard that opens the NULL-terminated list of CIDRs in allow (NULL: no
 * exception).  A CIDR is "addr/len" or a bare address (/32 or /128); host
 * bits beyond len must be zero.  Returns NULL and fills err on failure:
 * RC_ECONFIG naming the bad CIDR, RC_ENOMEM.  Owned by the caller.
 */
struct netguard *netguard_new(const char *const *allow, struct rc_err *err);

/* Release g; NULL is a no-op. */
void netguard_free(struct netguard *g);

/*
 * Judge the address sa (AF_INET or AF_INET6; anything else is refused).
 * Returns 1 when a connection may be made, 0 when it is refused.  why
 * (which may be NULL) receives a sentence naming the address and the range,
 * e.g. "127.0.0.1 is loopback (127.0.0.0/8); not in
 * network.allow_private", or for an allowed address what opened it.
 */
int netguard_check(const struct netguard *g, const struct sockaddr *sa,
    socklen_t salen, char *why, size_t whylen);

/*
 * Same as netguard_check for a textual IPv4 or IPv6 address.  Returns -1
 * (and a why) when addr is not an address.
 */
int netguard_check_str(const struct netguard *g, const char *addr, char *why,
    size_t whylen);

#endif /* RC_VERIFIER_NETGUARD_H */
