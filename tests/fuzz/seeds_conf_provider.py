#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of tests/fuzz/fuzz_conf_provider.c (see its
header for the input format) into tests/fuzz/corpus/conf_provider/:
real requests of a relying party to the conformance provider, good and
hostile.  Run from the repository root; the files are committed, so this
only needs running again when a seed is added."""
import base64
import os
import urllib.parse as up

OUT = "tests/fuzz/corpus/conf_provider"
ES, RS, PLUS = b"\x00", b"\x01", b"\x02"
SEP = b"\n@@@\n"
CODE = b"@CODE".ljust(64, b"@")        # the marks the harness replaces
TOKEN = b"@TOKEN".ljust(64, b"@")
REFCODE = b"@REFCODE".ljust(64, b"@")
HOST = b"Host: 127.0.0.1:9\r\n"
RU = "https://mairie.test/callback"
PLRU = "https://mairie.test/au-revoir"
NONCE = "n0nce-Qk7v2dYbV0x3n1pWmZr8sA"
STATE = "st4te-Qk7v2dYbV0x3n1pWmZr8sA"


def q(params):
    """A query string; params is a list of (name, value) (repeats kept)."""
    return "&".join(up.quote(k, safe="") + "=" + up.quote(v, safe="")
                    for k, v in params).encode()


def authz_params(acr="eidas1", **over):
    p = [("response_type", "code"), ("client_id", "fuzz-client"),
         ("redirect_uri", RU), ("scope", "openid given_name family_name"),
         ("state", STATE), ("nonce", NONCE), ("acr_values", acr)]
    return [(k, over.get(k, v)) for k, v in p]


def get(path, query=b"", headers=b""):
    return (b"GET /api/v2" + path + (b"?" + query if query else b"") +
            b" HTTP/1.1\r\n" + HOST + headers + b"\r\n")


def post(path, body, headers=b"",
         ctype=b"application/x-www-form-urlencoded"):
    return (b"POST /api/v2" + path + b" HTTP/1.1\r\n" + HOST +
            b"Content-Type: " + ctype + b"\r\n" +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n" +
            headers + b"\r\n" + body)


def authz(acr="eidas1", **over):
    return get(b"/authorize", q(authz_params(acr, **over)))


def token_form(code=CODE, secret=b"fuzz-secret", extra=b""):
    return (b"grant_type=authorization_code&code=" + code +
            b"&redirect_uri=" + up.quote(RU, safe="").encode() +
            b"&client_id=fuzz-client&client_secret=" + secret + extra)


def token_post(**kw):
    return post(b"/token", token_form(**kw))


def basic(user_pass):
    return b"Authorization: Basic " + base64.b64encode(user_pass) + b"\r\n"


def token_basic(hdr=None):
    body = (b"grant_type=authorization_code&code=" + CODE + b"&redirect_uri=" +
            up.quote(RU, safe="").encode())
    return post(b"/token", body,
                hdr if hdr is not None else basic(b"fuzz-client:fuzz-secret"))


USERINFO = get(b"/userinfo", headers=b"Authorization: Bearer " + TOKEN + b"\r\n")
LOGOUT = get(b"/session/end", q([("id_token_hint", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"),
                                  ("state", "bye"),
                                  ("post_logout_redirect_uri", PLRU)]))


def flow(*reqs):
    return SEP.join(reqs)


SEEDS = {
    # Good logins, every provider and both client authentications.
    "login_post_es256": ES + flow(authz(), token_post(), USERINFO, LOGOUT),
    "login_basic_es256": ES + flow(authz(), token_basic(), USERINFO, LOGOUT),
    "login_post_rs256": RS + flow(authz(), token_post(), USERINFO),
    "login_basic_fcplus": PLUS + flow(authz("eidas2"), token_basic(),
                                      USERINFO, LOGOUT),
    "discovery_jwks": ES + flow(get(b"/.well-known/openid-configuration"),
                                get(b"/jwks"), get(b"/nowhere"),
                                b"GET /elsewhere HTTP/1.1\r\n" + HOST + b"\r\n"),
    # Every run's token and userinfo (the run changes what is forged).
    **{"run_%02d" % r: ES + flow(b"@RUN %d" % r, authz(), token_post(),
                                 USERINFO) for r in range(1, 15)},
    "replay_code": ES + flow(authz(), token_post(), b"@RUN 14", authz(),
                             token_post(code=REFCODE),
                             token_post(code=REFCODE)),
    "code_twice": ES + flow(authz(), token_post(), token_post()),
    "fcplus_acr_eidas3": PLUS + flow(authz("eidas3 eidas2"), token_post(),
                                     USERINFO),
    "fcplus_acr_eidas1": PLUS + authz("eidas1"),
    # Authorize: duplicated parameters, missing ones, hostile values.
    "authz_dup_client_id": ES + get(b"/authorize", q(
        [("client_id", "other")] + authz_params())),
    "authz_dup_state": ES + get(b"/authorize", q(
        authz_params() + [("state", "second"), ("nonce", "x")])),
    "authz_empty": ES + get(b"/authorize"),
    "authz_no_value": ES + get(b"/authorize", b"response_type&client_id&state=&nonce"),
    "authz_short_nonce": ES + authz(nonce="short"),
    "authz_scope_words": ES + authz(scope="  openidx  xopenid openid"),
    "authz_acr_words": ES + authz(acr="eidas11 eidas"),
    "authz_huge_nonce": ES + authz(nonce="N" * 20000),
    "authz_huge_state": ES + authz(state="S" * 70000),
    "authz_bad_percent": ES + get(b"/authorize", q(authz_params())[:-6] +
                                  b"%zz%4&state=%&nonce=%%%0"),
    "authz_nul_escaped": ES + get(b"/authorize", q(authz_params()).replace(
        b"client_id=fuzz-client", b"client_id=fuzz-client%00evil")),
    "authz_nul_raw": ES + get(b"/authorize", q(authz_params())).replace(
        b"state=", b"state=\x00", 1),
    "authz_redirect_other": ES + authz(redirect_uri="https://evil.test/cb"),
    "authz_redirect_nul": ES + get(b"/authorize", q(authz_params()).replace(
        b"callback", b"callback%00.evil.test")),
    "authz_utf8": ES + authz(state="\u00e9t\u00e9-\u2603-" + "x" * 20),
    "authz_post": ES + post(b"/authorize", q(authz_params())),
    "authz_head": ES + authz().replace(b"GET", b"HEAD", 1),
    # Token: wrong credentials, duplicates, bad forms.
    "token_no_auth": ES + flow(authz(), post(b"/token", b"grant_type=authorization_code&code=" + CODE + b"")),
    "token_wrong_secret": ES + flow(authz(), token_post(secret=b"nope")),
    "token_secret_nul": ES + flow(authz(), token_post(secret=b"fuzz-secret%00tail")),
    "token_dup_secret": ES + flow(authz(), token_post(
        extra=b"&client_secret=again&client_id=other&code=x")),
    "token_huge_code": ES + flow(authz(), token_post(code=b"C" * 9000)),
    "token_bad_percent": ES + flow(authz(), post(b"/token",
                                   b"grant_type=%zz&code=%&redirect_uri=%4")),
    "token_json_body": ES + flow(authz(), post(b"/token", b'{"code":"' + CODE + b'"}',
                                   ctype=b"application/json")),
    "token_no_ctype": ES + flow(authz(), b"POST /api/v2/token HTTP/1.1\r\n" +
                               HOST + b"Content-Length: 4\r\n\r\nabcd"),
    "token_short_body": ES + flow(authz(), post(b"/token", token_form())[:-20]),
    "token_chunked": ES + flow(authz(), b"POST /api/v2/token HTTP/1.1\r\n" + HOST +
                               b"Content-Type: application/x-www-form-urlencoded\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n" +
                               b"%x\r\n" % len(token_form()) + token_form() +
                               b"\r\n0\r\n\r\n"),
    "token_multipart": ES + flow(authz(), post(
        b"/token",
        b"--b\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n" + CODE + b"\r\n--b--\r\n",
        ctype=b"multipart/form-data; boundary=b")),
    # client_secret_basic: wrong scheme, garbage, no colon, mismatch.
    "basic_wrong_scheme": ES + flow(authz(), token_basic(
        b"Authorization: Bearer ZnV6ei1jbGllbnQ6ZnV6ei1zZWNyZXQ=\r\n")),
    "basic_garbage": ES + flow(authz(), token_basic(
        b"Authorization: Basic !!!*not-base64*===\r\n")),
    "basic_no_colon": ES + flow(authz(), token_basic(basic(b"fuzz-client"))),
    "basic_empty": ES + flow(authz(), token_basic(b"Authorization: Basic\r\n")),
    "basic_nul": ES + flow(authz(), token_basic(basic(b"fuzz-client\x00x:fuzz-secret\x00y"))),
    "basic_nul_secret": ES + flow(authz(), token_basic(basic(b"fuzz-client:fuzz-secret\x00tail"))),
    "basic_unpadded": ES + flow(authz(), token_basic(
        b"Authorization: Basic " + base64.b64encode(b"fuzz-client:fuzz-secret").rstrip(b"=") + b"\r\n")),
    "basic_other_client": ES + flow(authz(), post(
        b"/token", token_form(), basic(b"other:fuzz-secret"))),
    "basic_huge": ES + flow(authz(), token_basic(basic(b"u" * 6000 + b":" + b"p" * 6000))),
    "basic_lowercase": ES + flow(authz(), token_basic(
        b"authorization: bAsIc " + base64.b64encode(b"fuzz-client:fuzz-secret") + b"\r\n")),
    # userinfo: Bearer variants.
    "userinfo_no_token": ES + flow(authz(), token_post(), get(b"/userinfo")),
    "userinfo_lower_bearer": ES + flow(authz(), token_post(), get(
        b"/userinfo", headers=b"Authorization: bearer " + TOKEN + b"\r\n")),
    "userinfo_bearer_only": ES + flow(authz(), token_post(), get(
        b"/userinfo", headers=b"Authorization: Bearer\r\n")),
    "userinfo_token_prefix": ES + flow(authz(), token_post(), get(
        b"/userinfo", headers=b"Authorization: Bearer " + TOKEN + b"x\r\n")),
    "userinfo_basic": ES + flow(authz(), token_post(), get(
        b"/userinfo", headers=basic(b"a:b"))),
    "userinfo_dup_header": ES + flow(authz(), token_post(), get(
        b"/userinfo", headers=b"Authorization: Bearer nope\r\n"
                              b"Authorization: Bearer " + TOKEN + b"\r\n")),
    # end_session: other/no post_logout_redirect_uri, hostile state.
    "logout_other_plru": ES + get(b"/session/end", q(
        [("post_logout_redirect_uri", "https://evil.test/"), ("state", "s")])),
    "logout_bare": ES + get(b"/session/end"),
    "logout_huge_state": ES + get(b"/session/end", q(
        [("post_logout_redirect_uri", PLRU), ("state", "s" * 1000)])),
    "logout_state_hostile": ES + get(b"/session/end", q(
        [("post_logout_redirect_uri", PLRU), ("state", "a b&c=d#e\r\nX: y")])),
    # HTTP framing.
    "garbage": ES + b"\x00\xff\r\n\r\nGET",
    "http10": ES + b"GET /api/v2/jwks HTTP/1.0\r\n\r\n",
    "no_host": ES + b"GET /api/v2/jwks HTTP/1.1\r\n\r\n",
    "empty": ES,
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(SEEDS), OUT))
