#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A tiny FranceConnect relying party for raccord's conformance tests.

Python standard library (http.server over TLS, urllib) plus the
`cryptography` package for ES256/RS256 verification (Debian:
python3-cryptography).  With --flaw none it validates like a careful site:
state bound to the browser, one-time state, ID token signed ES256/RS256 by
a key of the provider's JWKS, iss, aud, exp, nonce, acr eidas1, signed
userinfo with the same sub.  Each other --flaw drops exactly one of those
checks, so that raccord must report exactly the matching run as a failure:

  nonce      the ID token's nonce is never compared (nor required)
  state      the callback's state is not compared with the browser's
  aud        the ID token's aud is not checked
  signature  the ID token's signature is not verified at all
  alg_none   an unsigned ID token (alg none) is accepted
  userinfo_sub the userinfo's sub is not compared with the ID token's:
             the site logs in whoever the userinfo names
  logout_local  /logout only drops the local session: the browser is never
             sent to FranceConnect's end_session
  logout_keep   /logout goes to end_session but keeps the local session
  logout_hint   /logout sends the browser to end_session without
             id_token_hint
  acr_level  (with --plus) any acr is accepted, eidas1 included
  acr_values the authorization request omits acr_values (FranceConnect
             refuses such a request; so does raccord's provider)

With --plus it is a FranceConnect+ relying party: it asks eidas2, requires
acr eidas2 or eidas3, publishes an RSA encryption key at /jwks and decrypts
the ID token and userinfo (JWE, RSA-OAEP + A256GCM) before verifying them.

Routes: /login (starts a login), /callback, /protected (200 with a
session, else 302 to /login; see --landing), /logout (drops the session and
sends the browser to end_session with id_token_hint, state and
post_logout_redirect_uri /au-revoir), /au-revoir.  Loopback only.  Test fixture, not an
example to copy.
"""
import argparse
import base64
import http.server
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FLAWS = ("none", "nonce", "state", "aud", "signature", "alg_none", "userinfo_sub",
         "logout_local", "logout_keep", "logout_hint", "acr_level", "acr_values")


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b2i(b):
    return int.from_bytes(b, "big")


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def i2b64(i):
    return b64e(i.to_bytes((i.bit_length() + 7) // 8, "big"))


class Refused(Exception):
    pass


class RP:
    def __init__(self, a):
        self.a = a
        self.ctx = ssl.create_default_context(cafile=a.ca)
        self.secret = open(a.secret_file).read().strip()
        self.base = "https://127.0.0.1:%d" % a.port
        self.flows = {}     # browser cookie -> (state, nonce)
        self.sessions = {}  # session cookie -> (sub, id_token)
        self.lock = threading.Lock()
        self.meta = None
        self.enc_key = rsa.generate_private_key(public_exponent=65537, key_size=2048) \
            if a.plus else None

    def jwks(self):
        pub = self.enc_key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "enc", "alg": "RSA-OAEP", "kid": "rp-enc-1",
                          "n": i2b64(pub.n), "e": i2b64(pub.e)}]}

    def decrypt(self, token, what):
        """FranceConnect+: a JWE (RSA-OAEP, A256GCM) wrapping the JWS."""
        if not self.a.plus:
            return token
        parts = token.split(".")
        if len(parts) != 5:
            raise Refused(what + ": not encrypted (FranceConnect+ encrypts)")
        hdr = json.loads(b64d(parts[0]))
        if hdr.get("alg") != "RSA-OAEP" or hdr.get("enc") != "A256GCM":
            raise Refused(what + ": JWE alg/enc %r/%r" % (hdr.get("alg"), hdr.get("enc")))
        try:
            cek = self.enc_key.decrypt(b64d(parts[1]), padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
            plain = AESGCM(cek).decrypt(b64d(parts[2]), b64d(parts[3]) + b64d(parts[4]),
                                        parts[0].encode())
        except Exception as e:
            raise Refused(what + ": cannot decrypt: %s" % e)
        return plain.decode()

    def get(self, url, headers=None):
        req = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            return r.read(), r.headers.get("Content-Type", "")

    def discovery(self):
        if self.meta is None:
            body, _ = self.get(self.a.issuer + "/.well-known/openid-configuration")
            self.meta = json.loads(body)
        return self.meta

    def key_for(self, kid):
        body, _ = self.get(self.discovery()["jwks_uri"])
        for k in json.loads(body)["keys"]:
            if k.get("kid") == kid:
                return k
        raise Refused("no key %r in the JWKS" % kid)

    def verify_jws(self, token, what):
        parts = token.split(".")
        if len(parts) != 3:
            raise Refused(what + ": not a JWS")
        hdr = json.loads(b64d(parts[0]))
        claims = json.loads(b64d(parts[1]))
        alg = hdr.get("alg")
        flaw = self.a.flaw
        if what == "id_token" and flaw == "signature":
            return claims
        if alg == "none" and what == "id_token" and flaw == "alg_none":
            return claims
        if alg not in ("ES256", "RS256"):
            raise Refused(what + ": alg %r refused" % alg)
        jwk = self.key_for(hdr.get("kid"))
        data = (parts[0] + "." + parts[1]).encode()
        sig = b64d(parts[2])
        try:
            if alg == "ES256" and jwk["kty"] == "EC":
                pub = ec.EllipticCurvePublicNumbers(
                    b2i(b64d(jwk["x"])), b2i(b64d(jwk["y"])), ec.SECP256R1()).public_key()
                if len(sig) != 64:
                    raise Refused(what + ": bad ES256 signature length")
                der = encode_dss_signature(b2i(sig[:32]), b2i(sig[32:]))
                pub.verify(der, data, ec.ECDSA(hashes.SHA256()))
            elif alg == "RS256" and jwk["kty"] == "RSA":
                pub = rsa.RSAPublicNumbers(b2i(b64d(jwk["e"])), b2i(b64d(jwk["n"]))).public_key()
                pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                raise Refused(what + ": key type does not fit alg")
        except InvalidSignature:
            raise Refused(what + ": signature does not verify")
        return claims

    def check_id_token(self, tok, nonce):
        c = self.verify_jws(tok, "id_token")
        now = time.time()
        if c.get("iss") != self.a.issuer:
            raise Refused("iss")
        aud = c.get("aud")
        if self.a.flaw != "aud" and not (aud == self.a.client_id or
                                         (isinstance(aud, list) and self.a.client_id in aud)):
            raise Refused("aud")
        if not isinstance(c.get("exp"), int) or c["exp"] < now - 30:
            raise Refused("exp")
        if not isinstance(c.get("iat"), int) or c["iat"] > now + 60:
            raise Refused("iat")
        if self.a.flaw != "nonce":
            n = c.get("nonce")
            if not isinstance(n, str) or not secrets.compare_digest(n, nonce):
                raise Refused("nonce")
        acr = c.get("acr")
        if not self.a.plus and acr != "eidas1":
            raise Refused("acr")
        # FranceConnect+: at least the level asked (eidas2).
        if self.a.plus and not acr:
            raise Refused("acr")
        if self.a.plus and self.a.flaw != "acr_level" and acr not in ("eidas2", "eidas3"):
            raise Refused("acr below eidas2")
        if not c.get("sub"):
            raise Refused("sub")
        return c

    def finish(self, code, state_cookie):
        meta = self.discovery()
        params = {"grant_type": "authorization_code", "code": code,
                  "redirect_uri": self.base + "/callback"}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.a.auth == "basic":  # RFC 6749 2.3.1
            cred = "%s:%s" % (urllib.parse.quote(self.a.client_id, safe=""),
                              urllib.parse.quote(self.secret, safe=""))
            headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
        else:
            params["client_id"] = self.a.client_id
            params["client_secret"] = self.secret
        form = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(meta["token_endpoint"], data=form, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                tok = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise Refused("token endpoint: HTTP %d" % e.code)
        idt = self.check_id_token(self.decrypt(tok["id_token"], "id_token"), state_cookie[1])
        body, ctype = self.get(meta["userinfo_endpoint"],
                               {"Authorization": "Bearer " + tok["access_token"]})
        if not ctype.startswith("application/jwt"):
            raise Refused("userinfo is not a JWT")
        ui = self.verify_jws(self.decrypt(body.decode(), "userinfo"), "userinfo")
        if self.a.flaw != "userinfo_sub" and ui.get("sub") != idt["sub"]:
            raise Refused("userinfo sub differs")  # OIDC Core 5.3.2
        return (ui["sub"] if self.a.flaw == "userinfo_sub" else idt["sub"]), tok["id_token"]


def make_handler(rp):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("flawed_rp: " + (fmt % args) + "\n")

        def cookies(self):
            out = {}
            for part in (self.headers.get("Cookie") or "").split(";"):
                if "=" in part:
                    k, v = part.strip().split("=", 1)
                    out[k] = v
            return out

        def send(self, status, body=b"", location=None, cookie=None):
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if cookie:
                self.send_header("Set-Cookie", cookie + "; Path=/; Secure; HttpOnly; SameSite=Lax")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            ck = self.cookies()
            if u.path == "/login":
                state, nonce, bid = (secrets.token_urlsafe(32) for _ in range(3))
                with rp.lock:
                    rp.flows[bid] = (state, nonce)
                params = {
                    "response_type": "code", "client_id": rp.a.client_id,
                    "redirect_uri": rp.base + "/callback", "scope": "openid given_name family_name",
                    "state": state, "nonce": nonce,
                    "acr_values": "eidas2" if rp.a.plus else "eidas1"}
                if rp.a.flaw == "acr_values":
                    del params["acr_values"]
                authz = rp.discovery()["authorization_endpoint"] + "?" + urllib.parse.urlencode(params)
                return self.send(302, location=authz, cookie="rp_flow=" + bid)
            if u.path == "/callback":
                with rp.lock:
                    flow = rp.flows.pop(ck.get("rp_flow", ""), None)
                if flow is None:
                    return self.send(400, b"<p>Erreur : connexion inconnue.</p>")
                if rp.a.flaw != "state" and not secrets.compare_digest(q.get("state", ""), flow[0]):
                    return self.send(400, b"<p>Erreur : state invalide.</p>")
                try:
                    sub = rp.finish(q.get("code", ""), flow)  # (sub, id_token)
                except Refused as e:
                    sys.stderr.write("flawed_rp: refused: %s\n" % e)
                    return self.send(403, b"<p>Erreur : identite refusee.</p>")
                sid = secrets.token_urlsafe(32)
                with rp.lock:
                    rp.sessions[sid] = sub
                return self.send(302, location=rp.base + "/protected", cookie="rp_session=" + sid)
            if u.path == "/protected":
                with rp.lock:
                    ok = ck.get("rp_session", "") in rp.sessions
                if rp.a.landing == "same":
                    return self.send(200, b"<h1>Bienvenue</h1>")
                if ok:
                    return self.send(200, b"<h1>Espace de Angela DUBOIS</h1>")
                if rp.a.landing == "public":
                    return self.send(200, b"<h1>Bienvenue</h1><a href=/login>FranceConnect</a>")
                return self.send(302, location=rp.base + "/login")
            if u.path == "/logout":
                with rp.lock:
                    sid = ck.get("rp_session", "")
                    sess = (rp.sessions.get(sid) if rp.a.flaw == "logout_keep"
                            else rp.sessions.pop(sid, None))
                if sess is None or rp.a.flaw == "logout_local":
                    return self.send(302, location=rp.base + "/au-revoir")
                params = {"state": secrets.token_urlsafe(32),
                          "post_logout_redirect_uri": rp.base + "/au-revoir"}
                if rp.a.flaw != "logout_hint":
                    params["id_token_hint"] = sess[1]
                end = rp.discovery()["end_session_endpoint"] + "?" + urllib.parse.urlencode(params)
                return self.send(302, location=end)
            if u.path == "/jwks" and rp.a.plus:
                body = json.dumps(rp.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if u.path == "/au-revoir":
                return self.send(200, b"<p>Au revoir.</p>")
            return self.send(404, b"not found")
    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--flaw", choices=FLAWS, default="none")
    ap.add_argument("--auth", choices=("post", "basic"), default="post")
    ap.add_argument("--plus", action="store_true", help="FranceConnect+ (eidas2, encrypted tokens)")
    # protected: 302 to /login without a session; public: 200 for
    # everybody, the person's name only with a session; same: one page
    # for everybody (raccord cannot tell a session).
    ap.add_argument("--landing", choices=("protected", "public", "same"), default="protected")
    a = ap.parse_args()
    rp = RP(a)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(rp))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(a.cert, a.key)
    srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
