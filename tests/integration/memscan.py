#!/usr/bin/env python3
"""Count the copies of a secret in a live process's memory.

memscan.py PID SECRET_FILE: reads every readable mapping of PID from
/proc/PID/mem (needs ptrace rights over PID: root, or its parent under
Yama's ptrace_scope 1) and prints how many times the bytes of SECRET_FILE
(without a trailing newline) occur.  Exit 2 when the memory cannot be read.
Mappings larger than 256 MiB are skipped (the sanitizers' shadow memory and
allocator reservations): a count under ASan covers less than in the normal
build.
"""
import re
import sys


BIG = 256 << 20
CHUNK = 16 << 20


def main():
    pid, secret_file = sys.argv[1], sys.argv[2]
    secret = open(secret_file, "rb").read().rstrip(b"\n")
    if len(secret) < 8:
        print("memscan: secret shorter than 8 bytes", file=sys.stderr)
        return 2
    count = 0
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as e:
        print(f"memscan: cannot read the memory of {pid}: {e}", file=sys.stderr)
        return 2
    with mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r" or line.endswith(("[vvar]", "[vsyscall]")):
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            if end - start > BIG:
                continue
            tail = b""
            for off in range(start, end, CHUNK):
                try:
                    mem.seek(off)
                    data = tail + mem.read(min(CHUNK, end - off))
                except (OSError, ValueError, OverflowError):
                    break
                count += data.count(secret)
                tail = data[-(len(secret) - 1):]
    print(count)
    return 0


sys.exit(main())
