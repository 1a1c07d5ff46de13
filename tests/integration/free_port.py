#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print N (default 1) free TCP ports of 127.0.0.1, below the kernel's
ephemeral range, separated by spaces.

Binding port 0 hands out a port of the ephemeral range, which the kernel
also gives to outgoing connections as their source port: between the moment
the port is printed and the moment a server binds it, a client of another
test running in parallel may take it ("raccord serve did not start ...
Address already in use", seen in CI).  No client ever gets a port below the
range; a random pick checked by a bind avoids the other tests' servers."""
import random
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        eph = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    eph = 32768
lo, hi = 10000, max(10100, eph - 1)
got = []
for _ in range(10000):
    if len(got) == n:
        break
    p = random.randint(lo, hi)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
if len(got) < n:
    sys.exit("free_port: no free port found")
print(*got)
