#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small C2SP tlog-tiles client, independent of raccord's C code.

    TILES_TOKEN=... tlog_tiles_check.py PREFIX [--vkey F] [--mirror DIR]
                                               [--proofs N]

PREFIX is the log prefix (http://host:port/v1/ledger, or file:///DIR of a
mirror).  The bearer token, when the prefix is http, comes from the
TILES_TOKEN environment variable (never the command line).

It fetches the checkpoint, every tile and every entry bundle the
checkpoint's size implies (c2sp.org/tlog-tiles), and checks:
  1. the checkpoint's signature with the pinned vkey (openssl pkeyutl),
     when --vkey is given;
  2. the Content-Type of each resource (http only), and that every tile is
     width * 32 bytes and every bundle holds width length-prefixed entries;
  3. each entry hashes (RFC 6962 leaf, 0x00 prefix) to its level-0 tile hash;
  4. each hash of a level-L tile (L >= 1) is the Merkle Tree Hash of the
     full level-(L-1) tile below it;
  5. the tree hash computed from the tiles alone, and the one computed from
     the entries alone, both equal the checkpoint's root;
  6. inclusion proofs built from the tiles for N entries (all by default)
     verify against the root with RFC 9162 §2.1.3.2's algorithm, and, on
     http, equal the proof hashes of <prefix>/proof/<seq>;
  7. that tiles past the tree (the next full tile, a partial tile one hash
     too wide) are not served (http only: 404).
--mirror writes what it fetched under DIR in the same layout, so that the
checker can run again on file:///DIR.  Exit 0: all good; 1: a check failed
(the first failure is printed); 2: usage.
"""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

WIDTH = 256


class Bad(Exception):
    pass


def h(b):
    return hashlib.sha256(b).digest()


def node(l, r):
    return h(b"\x01" + l + r)


def index_path(n):
    """<N> of a tile path: 1234067 -> x001/x234/067."""
    groups = ["%03d" % (n % 1000)]
    n //= 1000
    while n > 0:
        groups.insert(0, "x%03d" % (n % 1000))
        n //= 1000
    return "/".join(groups)


def tile_path(level, n, width):
    p = "tile/%s/%s" % (level, index_path(n))
    return p + (".p/%d" % width if width < WIDTH else "")


def bundle_path(n, width):
    p = "tile/entries/%s" % index_path(n)
    return p + (".p/%d" % width if width < WIDTH else "")


class Log:
    def __init__(self, prefix, mirror):
        self.prefix = prefix.rstrip("/")
        self.http = self.prefix.startswith("http")
        self.token = os.environ.get("TILES_TOKEN", "")
        self.mirror = mirror
        self.fetched = 0

    def get(self, path, ctype=None, missing_ok=False):
        req = urllib.request.Request(self.prefix + "/" + path)
        if self.http and self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                body = r.read()
                got = r.headers.get("Content-Type")
                cache = r.headers.get("Cache-Control", "")
        except urllib.error.HTTPError as e:
            if missing_ok and e.code == 404:
                return None
            raise Bad("%s: HTTP %d" % (path, e.code))
        except (urllib.error.URLError, OSError) as e:
            if missing_ok and not self.http:
                return None
            raise Bad("%s: %s" % (path, e))
        if missing_ok:
            raise Bad("%s: served, but the tree does not have it" % path)
        if self.http and ctype and got != ctype:
            raise Bad("%s: Content-Type %r, want %r" % (path, got, ctype))
        if self.http and path.startswith("tile/") and "immutable" not in cache:
            raise Bad("%s: Cache-Control %r is not long-lived" % (path, cache))
        self.fetched += 1
        if self.mirror:
            f = os.path.join(self.mirror, path)
            os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "wb") as out:
                out.write(body)
        return body


def check_signature(note, vkey_file):
    vkey = open(vkey_file).read().strip()
    name, keyid_hex, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    if len(key) != 33 or key[0] != 1:
        raise Bad("%s: not an Ed25519 vkey" % vkey_file)
    keyid = h(name.encode() + b"\n" + key)[:4]
    text, _, sigs = note.partition(b"\n\n")
    text += b"\n"
    sig = None
    for line in sigs.decode().splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == name:
            raw = base64.b64decode(parts[2])
            if raw[:4] == keyid:
                sig = raw[4:]
    if sig is None:
        raise Bad("checkpoint: no signature by %s" % name)
    der = bytes.fromhex("302a300506032b6570032100") + key[1:]
    with tempfile.TemporaryDirectory() as t:
        pem = "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % (
            base64.b64encode(der).decode())
        for fn, data in (("pub.pem", pem.encode()), ("text", text),
                         ("sig", sig)):
            with open(os.path.join(t, fn), "wb") as f:
                f.write(data)
        r = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
             os.path.join(t, "pub.pem"), "-rawin", "-in",
             os.path.join(t, "text"), "-sigfile", os.path.join(t, "sig")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise Bad("checkpoint: BAD signature for %s" % name)


def parse_checkpoint(note):
    lines = note.decode("utf-8").split("\n")
    if len(lines) < 4 or lines[3] != "":
        raise Bad("checkpoint: not a signed note with origin, size, root")
    size = int(lines[1])
    if str(size) != lines[1]:
        raise Bad("checkpoint: size %r" % lines[1])
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise Bad("checkpoint: root is not 32 bytes")
    return lines[0], size, root


def fetch_tiles(log, size):
    """levels[L] = every hash at level L, from the tiles."""
    levels = []
    level = 0
    while True:
        n_hashes = size >> (8 * level)
        if n_hashes == 0:
            break
        hashes = []
        for n in range((n_hashes + WIDTH - 1) // WIDTH):
            width = min(WIDTH, n_hashes - n * WIDTH)
            body = log.get(tile_path(level, n, width),
                           "application/octet-stream")
            if len(body) != 32 * width:
                raise Bad("%s: %d bytes, want %d" % (
                    tile_path(level, n, width), len(body), 32 * width))
            hashes += [body[i:i + 32] for i in range(0, len(body), 32)]
        levels.append(hashes)
        level += 1
    return levels


def fetch_entries(log, size):
    entries = []
    for n in range((size + WIDTH - 1) // WIDTH):
        width = min(WIDTH, size - n * WIDTH)
        p = bundle_path(n, width)
        body = log.get(p, "application/octet-stream")
        at = 0
        got = []
        while at < len(body):
            if at + 2 > len(body):
                raise Bad("%s: truncated length at byte %d" % (p, at))
            ln = int.from_bytes(body[at:at + 2], "big")
            if at + 2 + ln > len(body):
                raise Bad("%s: entry %d overruns the bundle" % (p, len(got)))
            got.append(body[at + 2:at + 2 + ln])
            at += 2 + ln
        if len(got) != width:
            raise Bad("%s: %d entries, want %d" % (p, len(got), width))
        entries += got
    return entries


def reduce_full(hashes):
    """MTH of 2^k consecutive hashes (a complete subtree)."""
    while len(hashes) > 1:
        hashes = [node(hashes[i], hashes[i + 1])
                  for i in range(0, len(hashes), 2)]
    return hashes[0]


def subtree_from_tiles(levels, start, k):
    """MTH(D[start : start + 2^k]) for a complete, aligned subtree."""
    level = k // 8
    span = 1 << (k - 8 * level)
    first = start >> (8 * level)
    return reduce_full(levels[level][first:first + span])


def root_from_tiles(levels, size):
    if size == 0:
        return h(b"")
    parts = []
    start = 0
    for k in range(63, -1, -1):
        if size & (1 << k):
            parts.append(subtree_from_tiles(levels, start, k))
            start += 1 << k
    r = parts[-1]
    for p in reversed(parts[:-1]):
        r = node(p, r)
    return r


def mth(leaves):  # RFC 6962 §2.1, straight from the definition
    if len(leaves) == 0:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path_from_tiles(levels, m, lo, hi):
    """RFC 6962 PATH(m, D[lo:hi]) with subtree hashes from the tiles."""
    n = hi - lo
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2

    def sub(a, b):
        w = b - a
        if w & (w - 1) == 0 and a % w == 0:
            return subtree_from_tiles(levels, a, w.bit_length() - 1)
        kk = 1
        while kk * 2 < w:
            kk *= 2
        return node(sub(a, a + kk), sub(a + kk, b))

    if m - lo < k:
        return path_from_tiles(levels, m, lo, lo + k) + [sub(lo + k, hi)]
    return path_from_tiles(levels, m, lo + k, hi) + [sub(lo, lo + k)]


def verify_inclusion(index, size, leaf, proof, root):  # RFC 9162 §2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def served_proof(log, seq):
    text = log.get("proof/%d" % seq, "text/plain; charset=utf-8").decode()
    lines = text.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Bad("proof/%d: not a tlog-proof" % seq)
    i = 1
    if lines[i].startswith("extra "):
        i += 1
    if lines[i] != "index %d" % seq:
        raise Bad("proof/%d: %r" % (seq, lines[i]))
    out = []
    for line in lines[i + 1:]:
        if line == "":
            break
        out.append(base64.b64decode(line))
    return out


def run(args):
    vkey = mirror = None
    proofs = -1
    prefix = None
    it = iter(args)
    for a in it:
        if a == "--vkey":
            vkey = next(it)
        elif a == "--mirror":
            mirror = next(it)
        elif a == "--proofs":
            proofs = int(next(it))
        elif prefix is None and not a.startswith("-"):
            prefix = a
        else:
            print(__doc__)
            return 2
    if prefix is None:
        print(__doc__)
        return 2
    log = Log(prefix, mirror)
    note = log.get("checkpoint", "text/plain; charset=utf-8")
    if vkey:
        check_signature(note, vkey)
    origin, size, root = parse_checkpoint(note)
    levels = fetch_tiles(log, size)
    entries = fetch_entries(log, size)
    leaves = [h(b"\x00" + e) for e in entries]
    for i, leaf in enumerate(leaves):
        if leaf != levels[0][i]:
            raise Bad("entry %d does not hash to tile 0 hash %d" % (i, i))
    for level in range(1, len(levels)):
        for j, got in enumerate(levels[level]):
            below = levels[level - 1][j * WIDTH:(j + 1) * WIDTH]
            if len(below) != WIDTH or reduce_full(below) != got:
                raise Bad("level %d hash %d is not the hash of full tile "
                          "%d/%d" % (level, j, level - 1, j))
    if root_from_tiles(levels, size) != root:
        raise Bad("the tree hash from the tiles differs from the "
                  "checkpoint's root")
    if mth(leaves) != root:
        raise Bad("the tree hash from the entries differs from the "
                  "checkpoint's root")
    seqs = list(range(size))
    if 0 <= proofs < size:
        step = max(1, size // max(proofs, 1))
        seqs = sorted(set(list(range(0, size, step))[:proofs] + [size - 1]))
        if proofs == 0:
            seqs = []
    for seq in seqs:
        proof = path_from_tiles(levels, seq, 0, size)
        if not verify_inclusion(seq, size, leaves[seq], proof, root):
            raise Bad("entry %d: the inclusion proof from the tiles does "
                      "not verify" % seq)
        if log.http and served_proof(log, seq) != proof:
            raise Bad("entry %d: proof/%d differs from the tiles' proof"
                      % (seq, seq))
    if log.http and size > 0:
        n_hashes = size
        full, part = divmod(n_hashes, WIDTH)
        log.get(tile_path(0, full, WIDTH), missing_ok=True)
        if part < WIDTH - 1:
            log.get(tile_path(0, full, part + 1), missing_ok=True)
            log.get(bundle_path(full, part + 1), missing_ok=True)
        log.get(tile_path(len(levels), 0, 1), missing_ok=True)
    print("tlog-tiles: %s: %d entries, %d levels, %d resources fetched, "
          "root ok, %d inclusion proofs ok" % (origin, size, len(levels),
                                               log.fetched, len(seqs)))
    return 0


def main():
    try:
        return run(sys.argv[1:])
    except Bad as e:
        print("tlog-tiles check FAILED: %s" % e)
        return 1
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        print("tlog-tiles check FAILED: malformed data: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
