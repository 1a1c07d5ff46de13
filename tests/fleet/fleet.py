#!/usr/bin/env python3
"""The real-software fleet's relying parties, in one table (docs/fleet.md).

From this table come both the FranceConnect stand-in's client registry
(fc-provider.mjs --clients) and the Apache 2.4 + mod_auth_openidc
configuration (one name-based virtual host per relying party, on one https
and one http loopback port).  Each misconfiguration is something the module
really allows; the test (tests/integration/t_fleet.sh) asserts which rule
raccord fails it on.

  fleet.py clients --https-port P --http-port P2 [--hand-port P3] > clients.json
  fleet.py apache  --dir D --https-port P --http-port P2 --fc-port F --certs C
  fleet.py hosts   --https-port P --http-port P2               # one line per RP
  fleet.py dossier NAME --https-port P --http-port P2 [--siret S]
           [--client-id C] [--redirect-uri U] [--login-path P]    > dossier.json
"""
import argparse
import json
import os
import secrets
import sys

FC_SCOPES = "openid given_name family_name birthdate birthplace birthcountry gender email preferred_username"
ACR = "acr_values=eidas1"
SECRET = "fleet-secret-{}-not-a-real-secret"

# name: the RP's differences from a correct FranceConnect v2 integration.
#   scheme     https (default) or http: the port its vhost listens on
#   client_id  what the site sends (default fleet-<name>)
#   register   whether the provider knows the client (default True)
#   redirect   OIDCRedirectURI; default {base}/secure/redirect_uri
#   registered redirect URIs registered at the provider (default [redirect])
#   scope      OIDCScope (default FC_SCOPES)
#   params     OIDCAuthRequestParams (default acr_values=eidas1)
#   alg        id_token / userinfo signing alg (default ES256)
#   extra      other mod_auth_openidc directives
#   authz      OIDCProviderAuthorizationEndpoint override ({fc} = FC base)
RPS = {
    # Correct integrations.
    "ok": {},
    "ok_rs256": {"alg": "RS256", "scope": "openid identite_pivot email"},
    # FC v2 requires acr_values=eidas1: forgotten.
    "no_acr": {"params": None},
    # A client_id the provider does not know (typo, sandbox id, other site's).
    "wrong_client": {"client_id": "fleet-unknown-client", "register": False},
    # An http callback (registered: the portal's URL validator accepts http).
    "http_redirect": {"redirect": "http://{host}:{http_port}/secure/redirect_uri"},
    # A callback the provider was never told about.
    "unregistered_redirect": {"registered": ["{base}/secure/callback"]},
    # PKCE switched on: FC v2 refuses parameters it does not know (Y030007).
    "pkce": {"extra": ["OIDCPKCEMethod S256"]},
    # prompt=select_account: FC accepts only login and consent.
    "prompt": {"params": ACR + "&prompt=select_account"},
    # Scopes removed in v2 (address, phone).
    "bad_scope": {"scope": "openid given_name family_name address phone"},
    # No openid scope.
    "no_openid": {"scope": "given_name family_name email"},
    # The implicit flow (FC supports only the code flow).
    "implicit": {"extra": ["OIDCResponseType id_token"]},
    # A second scope parameter smuggled through OIDCAuthRequestParams.
    "duplicate": {"params": ACR + "&scope=openid%20email"},
    # A claims parameter that is not JSON.
    "claims_text": {"params": ACR + "&claims=amr"},
    # Hand-configured endpoints pointing at FC v1's path.
    "v1_endpoint": {"authz": "{fc_root}/api/v1/authorize"},
    # Sandbox (integration) endpoint in a production dossier.
    "sandbox": {"authz": "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize"},
    # The whole site on plain http.
    "http_site": {"scheme": "http"},
}


# The hand-written relying party (hand-rp.mjs, one client, one redirect URI
# per flavour): what mod_auth_openidc cannot be configured into.
HAND_FLAVOURS = ["ok", "short_nonce", "short_state", "static_state", "same_state_nonce",
                 "counter_state", "prefix_state", "url_state"]
HAND_HOST = "hand.rp.fleet.test"


def hand_base(a):
    return "https://%s:%d" % (HAND_HOST, a.hand_port)


def host(name):
    return name.replace("_", "-") + ".rp.fleet.test"


def rp(name, a):
    d = dict(RPS[name])
    d.setdefault("scheme", "https")
    d.setdefault("client_id", "fleet-" + name)
    d.setdefault("register", True)
    port = a.https_port if d["scheme"] == "https" else a.http_port
    fmt = {"host": host(name), "http_port": a.http_port, "https_port": a.https_port,
           "base": "%s://%s:%d" % (d["scheme"], host(name), port)}
    if getattr(a, "fc_port", None):
        fmt["fc_root"] = "https://fc.fleet.test:%d" % a.fc_port
    d["host"], d["port"], d["base"] = host(name), port, fmt["base"]
    d["redirect"] = d.get("redirect", "{base}/secure/redirect_uri").format(**fmt)
    d["registered"] = [u.format(**fmt) for u in d.get("registered", [d["redirect"]])]
    d.setdefault("scope", FC_SCOPES)
    d["params"] = d.get("params", ACR)
    d.setdefault("alg", "ES256")
    d.setdefault("extra", [])
    if "authz" in d and "fc_root" in fmt:
        d["authz"] = d["authz"].format(**fmt)
    return d


def cmd_clients(a):
    out = []
    for name in RPS:
        d = rp(name, a)
        if not d["register"]:
            continue
        out.append({"client_id": d["client_id"], "client_secret": SECRET.format(name),
                    "redirect_uris": d["registered"],
                    "post_logout_redirect_uris": [d["base"] + "/"],
                    "id_token_signed_response_alg": d["alg"]})
    if a.hand_port:
        out.append({"client_id": "fleet-hand", "client_secret": SECRET.format("hand"),
                    "redirect_uris": ["%s/%s/callback" % (hand_base(a), f) for f in HAND_FLAVOURS],
                    "post_logout_redirect_uris": ["%s/%s/connexion" % (hand_base(a), f)
                                                  for f in HAND_FLAVOURS],
                    "id_token_signed_response_alg": "ES256"})
    json.dump(out, sys.stdout, indent=1)
    print()


def cmd_dossier(a):
    """A FranceConnect dossier for one RP: what the collectivité declares
    (by default exactly what its site sends)."""
    if a.name.startswith("hand/"):
        fl = a.name[5:]
        if fl not in HAND_FLAVOURS or not a.hand_port:
            sys.exit("fleet.py: %s: unknown hand flavour or no --hand-port" % a.name)
        b = "%s/%s" % (hand_base(a), fl)
        d = {"client_id": "fleet-hand", "base": b, "redirect": b + "/callback"}
        a.login_path = "/connexion"
        page, logout = b + "/connexion", b + "/connexion"
    else:
        d = rp(a.name, a)
        page, logout = d["base"] + "/connexion.html", d["base"] + "/"
    siret = a.siret
    doc = {
        "dossier_id": "FLEET-" + a.name,
        "collectivite": {"siren": siret[:9], "siret": siret,
                         "nom": "Commune de Test (%s)" % a.name, "categorie": "commune",
                         "code_insee": "75056"},
        "paiement": {"titulaire": "Commune de Test", "iban": "FR7630006000011234567890189",
                     "bic": "AGRIFRPP"},
        "integrations": [{
            "kind": "franceconnect", "environment": "production",
            "client_id": a.client_id or d["client_id"],
            "login_url": d["base"] + a.login_path,
            "redirect_uri": a.redirect_uri or d["redirect"],
            "post_logout_redirect_uri": logout,
            "button_page_url": page}]}
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    print()


def cmd_hosts(a):
    for name in RPS:
        d = rp(name, a)
        print(name, d["host"], d["scheme"], d["client_id"], d["redirect"])
    if a.hand_port:
        print("hand", HAND_HOST, "hand", "fleet-hand", hand_base(a) + "/<flavour>/callback")


BUTTON = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head>
<body><main>
<h1>Se connecter</h1>
<form method="get" action="/secure/">
<div class="fr-connect-group">
<button class="fr-connect" type="submit"><span class="fr-connect__login">S’identifier avec</span>
<span class="fr-connect__brand">FranceConnect</span></button>
<p><a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">Qu’est-ce que FranceConnect ?</a></p>
</div>
</form>
<p class="fr-hr-or">ou</p>
</main></body></html>
"""

MODULES = ["mpm_event", "authn_core", "authz_core", "authz_user", "ssl", "socache_shmcb",
           "mime", "headers", "alias", "dir", "auth_openidc"]


def cmd_apache(a):
    moddir = a.modules
    root = os.path.abspath(a.dir)
    certs = os.path.abspath(a.certs)
    for sub in ("htdocs", "htdocs/secure", "run", "logs"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    with open(os.path.join(root, "htdocs", "connexion.html"), "w") as f:
        f.write(BUTTON)
    with open(os.path.join(root, "htdocs", "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Accueil</title></head>"
                "<body><p>Accueil</p></body></html>\n")
    with open(os.path.join(root, "htdocs", "secure", "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Espace</title></head>"
                "<body><p>Espace personnel</p></body></html>\n")
    fc = "https://fc.fleet.test:%d/api/v2" % a.fc_port
    # mod_auth_openidc's back channel (token, userinfo, JWKS) uses the
    # system resolver, which knows nothing of fc.fleet.test: it reaches the
    # provider at 127.0.0.1 (in the fleet certificate), through static
    # metadata; the browser-facing URLs keep the provider's name.
    back = "https://127.0.0.1:%d/api/v2" % a.fc_port
    L = []
    L.append('ServerRoot "%s"' % root)
    L.append('PidFile "%s/run/httpd.pid"' % root)
    L.append('DefaultRuntimeDir "%s/run"' % root)
    L.append('ErrorLog "%s/logs/error.log"' % root)
    L.append("LogLevel %s" % a.loglevel)
    L.append('LogFormat "%h \\"%r\\" %>s %{Host}i" fleet')
    L.append('CustomLog "%s/logs/access.log" fleet' % root)
    for m in MODULES:
        L.append("LoadModule %s_module %s/mod_%s.so" % (m, moddir, m))
    if os.getuid() == 0:
        # Apache refuses to serve as root; the children need to read
        # htdocs and the CA file (made world-readable by the test).
        L.append("User nobody")
        L.append("Group nogroup")
    L.append("ServerName rp.fleet.test")
    L.append("TypesConfig /etc/mime.types")
    L.append("DirectoryIndex index.html")
    L.append("StartServers 1")
    L.append("ServerLimit 2")
    L.append("ThreadsPerChild 16")
    L.append("MaxRequestWorkers 32")
    L.append("Listen 127.0.0.1:%d https" % a.https_port)
    L.append("Listen 127.0.0.1:%d http" % a.http_port)
    L.append("SSLSessionCache none")
    L.append('<Directory "%s/htdocs">\n  Require all granted\n</Directory>' % root)
    L.append("OIDCCryptoPassphrase %s" % secrets.token_hex(24))
    L.append('OIDCCABundlePath "%s/ca.pem"' % root)
    L.append("OIDCStateTimeout 300")
    for name in RPS:
        d = rp(name, a)
        v = ["<VirtualHost 127.0.0.1:%d>" % d["port"], "  ServerName %s" % d["host"],
             '  DocumentRoot "%s/htdocs"' % root]
        if d["scheme"] == "https":
            v += ["  SSLEngine on",
                  '  SSLCertificateFile "%s/fleet.pem"' % certs,
                  '  SSLCertificateKeyFile "%s/fleet.key"' % certs,
                  '  Header always set Strict-Transport-Security "max-age=31536000; includeSubDomains"']
        v += ["  OIDCProviderIssuer %s" % fc,
              "  OIDCProviderAuthorizationEndpoint %s" % d.get("authz", fc + "/authorize"),
              "  OIDCProviderTokenEndpoint %s/token" % back,
              "  OIDCProviderTokenEndpointAuth client_secret_post",
              "  OIDCProviderUserInfoEndpoint %s/userinfo" % back,
              "  OIDCProviderJwksUri %s/jwks" % back,
              "  OIDCProviderEndSessionEndpoint %s/session/end" % fc,
              "  OIDCIDTokenSignedResponseAlg %s" % d["alg"],
              "  OIDCUserInfoSignedResponseAlg %s" % d["alg"],
              "  OIDCClientID %s" % d["client_id"],
              "  OIDCClientSecret %s" % SECRET.format(name),
              "  OIDCRedirectURI %s" % d["redirect"],
              '  OIDCScope "%s"' % d["scope"]]
        if d["params"]:
            v.append('  OIDCAuthRequestParams "%s"' % d["params"])
        v += ["  " + x for x in d["extra"]]
        v += ["  <Location /secure>", "    AuthType openid-connect", "    Require valid-user",
              "  </Location>", "</VirtualHost>"]
        L.append("\n".join(v))
    with open(os.path.join(root, "httpd.conf"), "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for c in ("clients", "apache", "hosts", "dossier"):
        s = sub.add_parser(c)
        if c == "dossier":
            s.add_argument("name", help="an RP of the table, or hand/<flavour>")
            s.add_argument("--siret", default="21750001600019")
            s.add_argument("--client-id")
            s.add_argument("--redirect-uri")
            s.add_argument("--login-path", default="/secure/")
        s.add_argument("--https-port", type=int, required=True)
        s.add_argument("--http-port", type=int, required=True)
        s.add_argument("--hand-port", type=int)
        if c == "apache":
            s.add_argument("--dir", required=True)
            s.add_argument("--fc-port", type=int, required=True)
            s.add_argument("--certs", required=True)
            s.add_argument("--modules", default="/usr/lib/apache2/modules")
            s.add_argument("--loglevel", default="warn")
    a = p.parse_args()
    {"clients": cmd_clients, "apache": cmd_apache, "hosts": cmd_hosts,
     "dossier": cmd_dossier}[a.cmd](a)


if __name__ == "__main__":
    main()
