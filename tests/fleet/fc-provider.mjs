// A FranceConnect v2 stand-in for raccord's real-software test fleet.
//
// Built on the npm package oidc-provider (the library FranceConnect v2's
// core is built on; pinned by package-lock.json), mounted at FC v2's paths
// (/api/v2/...), with FC's acr (eidas1), scopes and claims, ES256 and RS256
// signing keys and the library's own cookie handling.  What FranceConnect
// adds in front of the library is reproduced from its public source
// (france-connect/sources, see docs/fleet.md):
//   * the authorize DTO (authorize-params.dto.ts, forbidNonWhitelisted):
//     missing/short/unknown parameters -> error page Y030007, HTTP 400;
//   * the error page shape: [data-testid="error-code"] holds the Y code;
//     unknown client Y04EA6EF, unregistered redirect_uri Y04C013C, no
//     interaction session Y190001 (HTTP 401);
//   * the identity-provider choice page at /api/v2/interaction/<uid>
//     ([data-testid="main-providers"], #grid-main-providers), which needs
//     the cookies the library set at /authorize.
// Everything else is the library's behaviour.  Loopback only.
//
//   node fc-provider.mjs --cert PEM --key PEM --clients JSON --ports-file F
//                        [--host fc.fleet.test] [--bind 127.0.0.1] [-v]
//
// Once listening, writes {"fc":PORT} to --ports-file (tmp + rename) and
// stdout.  Runs until SIGTERM/SIGINT.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { isIP } from 'node:net';

import Provider, { errors } from 'oidc-provider';

const PREFIX = '/api/v2';

function usage(msg) {
  process.stderr.write(`fc-provider: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { host: 'fc.fleet.test', bind: '127.0.0.1', verbose: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      i += 1;
      return argv[i];
    };
    if (a === '--cert') o.cert = val();
    else if (a === '--key') o.key = val();
    else if (a === '--clients') o.clients = val();
    else if (a === '--ports-file') o.portsFile = val();
    else if (a === '--host') o.host = val();
    else if (a === '--bind') o.bind = val();
    else if (a === '-v') o.verbose = true;
    else usage(`unknown argument ${a}`);
  }
  if (!o.cert || !o.key || !o.clients) usage('--cert, --key and --clients are required');
  const v = isIP(o.bind);
  if (!(v === 4 && o.bind.startsWith('127.')) && o.bind !== '::1') {
    usage(`--bind ${o.bind}: loopback only (127.0.0.0/8 or ::1)`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => { if (opts.verbose) process.stderr.write(`${a.join(' ')}\n`); };

// FranceConnect v2 "low" scopes and claims (france-connect/sources,
// back/libs/scopes/src/data/fcp-low/fcp-low.scopes.ts).
const PROFILE = ['given_name', 'given_name_array', 'family_name', 'birthdate', 'gender', 'preferred_username'];
const BIRTH = ['birthplace', 'birthcountry'];
const CLAIMS = {
  openid: ['sub'],
  given_name: ['given_name', 'given_name_array'],
  family_name: ['family_name'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  birthplace: ['birthplace'],
  birthcountry: ['birthcountry'],
  email: ['email'],
  preferred_username: ['preferred_username'],
  profile: PROFILE,
  birth: BIRTH,
  identite_pivot: ['given_name', 'given_name_array', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'],
};
const SCOPES = Object.keys(CLAIMS);

// FC's mock identity (docker mock IdP, citizen test/123).
const CITIZEN = {
  given_name: 'Angela Claire Louise',
  given_name_array: ['Angela', 'Claire', 'Louise'],
  family_name: 'DUBOIS',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '75107',
  birthcountry: '99100',
  email: 'wossewodda-3728@yopmail.com',
  preferred_username: '',
};

// The authorize parameters FC's DTO knows (authorize-params.dto.ts plus
// ui_locales); anything else is refused (forbidNonWhitelisted).
const AUTHORIZE_REQUIRED = ['client_id', 'acr_values', 'response_type', 'nonce', 'state', 'redirect_uri', 'scope'];
const AUTHORIZE_KNOWN = new Set([...AUTHORIZE_REQUIRED, 'claims', 'prompt', 'idp_hint', 'ui_locales']);

// Y codes FC shows for the library's errors (quality/fcp api-authorize.feature,
// connexion-session-absente.feature).
function yCode(out, error) {
  if (error && error.name === 'SessionNotFound') return { code: 'Y190001', status: 401 };
  if (out.error === 'invalid_client') return { code: 'Y04EA6EF' };
  if (out.error === 'invalid_redirect_uri') return { code: 'Y04C013C' };
  return { code: null };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function errorPage(code, message) {
  const id = randomBytes(16).toString('hex');
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Erreur - FranceConnect</title></head>
<body><main role="main">
<h1>Une erreur est survenue</h1>
${code ? `<p class="error-code">Code d’erreur : <strong data-testid="error-code">${esc(code)}</strong></p>` : ''}
<p class="error-message" data-testid="error-message">${esc(message)}</p>
<p class="error-id">ID : <span data-testid="error-id">${id}</span></p>
</main></body></html>
`;
}

function choicePage(uid, client) {
  const base = `${PREFIX}/interaction/${encodeURIComponent(uid)}`;
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion - FranceConnect</title></head>
<body><main role="main">
<h1>Je choisis un compte pour me connecter sur ${esc(client)}</h1>
<div id="grid-main-providers" data-testid="main-providers">
<a id="idp-mock" href="${base}/login">Identity Provider - eIDAS faible</a>
</div>
<p><a id="cancel" href="${base}/abort">Revenir sur ${esc(client)}</a></p>
</main></body></html>
`;
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function jwk(type) {
  const { privateKey } = type === 'EC'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k = privateKey.export({ format: 'jwk' });
  const alg = type === 'EC' ? 'ES256' : 'RS256';
  return { ...k, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` };
}

function loadClients(file) {
  let list;
  try {
    list = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    usage(`${file}: ${e.message}`);
  }
  if (!Array.isArray(list)) usage(`${file}: expected a JSON array of clients`);
  return list.map((c, i) => {
    if (typeof c.client_id !== 'string' || typeof c.client_secret !== 'string'
        || !Array.isArray(c.redirect_uris)) {
      usage(`${file}: client ${i}: client_id, client_secret and redirect_uris are required`);
    }
    const alg = c.id_token_signed_response_alg || 'ES256';
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris || [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: alg,
      userinfo_signed_response_alg: c.userinfo_signed_response_alg || alg,
      subject_type: 'pairwise',
    };
  });
}

const clients = loadClients(opts.clients);
let tls;
try {
  tls = { cert: readFileSync(opts.cert), key: readFileSync(opts.key) };
} catch (e) {
  usage(e.message);
}
const salt = randomBytes(16).toString('hex');

const server = createServer(tls);
server.listen(0, opts.bind, () => {
  const { port } = server.address();
  const issuer = `https://${opts.host}:${port}${PREFIX}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk('EC'), jwk('RSA')] },
    acrValues: ['eidas1'],
    scopes: SCOPES,
    claims: { ...CLAIMS, acr: null, amr: null },
    subjectTypes: ['pairwise'],
    // FC's sub: a hash of the client and the identity, 64 hex + "v1".
    pairwiseIdentifier: async (ctx, accountId, client) => `${createHash('sha256')
      .update(`${client.clientId}\0${accountId}\0${salt}`).digest('hex')}v1`,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      idTokenSigningAlgValues: ['HS256', 'ES256', 'RS256'],
      userinfoSigningAlgValues: ['HS256', 'ES256', 'RS256'],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
    },
    pkce: { methods: ['S256'], required: () => false },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      end_session: '/session/end',
      jwks: '/jwks',
      revocation: '/token/revocation',
    },
    extraParams: ['idp_hint'],
    interactions: { url: async (ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}` },
    // The library's own cookies, signed, Secure, SameSite=Lax (FC's
    // fc_session_id has the same attributes).
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      long: { signed: true, secure: true, sameSite: 'lax', httpOnly: true },
      short: { signed: true, secure: true, sameSite: 'lax', httpOnly: true },
    },
    ttl: {
      AuthorizationCode: 30, AccessToken: 60, IdToken: 60, Interaction: 600, Session: 1800, Grant: 1800,
    },
    conformIdTokenClaims: true,
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...CITIZEN }),
    }),
    renderError: async (ctx, out, error) => {
      const { code, status } = yCode(out, error);
      if (status) ctx.status = status;
      ctx.type = 'html';
      ctx.body = errorPage(code, `${out.error}: ${out.error_description || ''}`);
    },
  });
  provider.proxy = false;
  const callback = provider.callback();

  // The identity-provider choice, the mock identity provider and its
  // cancel link.  Without the library's interaction cookie: Y190001.
  async function interaction(req, res, uid, action) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (e) {
      if (e instanceof errors.SessionNotFound) {
        sendHtml(res, 401, errorPage('Y190001', `session not found: ${e.error_description}`));
        return;
      }
      throw e;
    }
    if (details.uid !== uid) {
      sendHtml(res, 401, errorPage('Y190001', 'session not found: interaction mismatch'));
      return;
    }
    if (action === '') {
      sendHtml(res, 200, choicePage(uid, details.params.client_id));
      return;
    }
    if (action === '/abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'user authentication aborted',
      }, { mergeWithLastSubmission: false });
      return;
    }
    // /login: the mock identity provider logs the citizen in; public
    // service providers get no consent screen, so grant what was asked.
    const grant = new provider.Grant({ accountId: 'test', clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    if (details.params.claims) {
      const c = JSON.parse(details.params.claims);
      for (const use of ['id_token', 'userinfo']) {
        if (c[use]) grant.addOIDCClaims(Object.keys(c[use]));
      }
    }
    grant.addOIDCClaims(['acr', 'amr']);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId: 'test', acr: 'eidas1', amr: ['pwd'] },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  // FC's own validation of /authorize, before the library (GET; a form
  // POST goes to the library as is).
  function authorizeDto(url) {
    const q = url.searchParams;
    for (const k of new Set(q.keys())) {
      if (!AUTHORIZE_KNOWN.has(k)) return `property ${k} should not exist`;
    }
    for (const k of AUTHORIZE_KNOWN) {
      // A repeated parameter reaches the DTO as an array: not a string.
      if (q.getAll(k).length > 1) return `${k} must be a string`;
    }
    for (const k of AUTHORIZE_REQUIRED) {
      if (!q.has(k)) return `${k} must be a string`;
    }
    if (q.get('client_id').length < 1) return 'client_id must be longer than or equal to 1 characters';
    if (q.get('nonce').length < 22) return 'nonce must be longer than or equal to 22 characters';
    if (!/^https?:\/\/[^/?#\s]+\.[a-z]{2,}(:\d+)?(\/[^#\s]*)?$/i.test(q.get('redirect_uri'))) {
      return 'redirect_uri must be an URL address';
    }
    if (q.has('prompt')) {
      const p = q.get('prompt').split(/[ ]+/);
      if (!p.every((v) => v === 'login' || v === 'consent')) return 'prompt must be login and/or consent';
    }
    return null;
  }

  // FC answers a scope it does not know with invalid_scope, back to a
  // trusted redirect_uri (docs partenaires, fs-technique-erreurs); the
  // library would silently drop it.
  async function unknownScope(url, res) {
    const q = url.searchParams;
    const bad = q.get('scope').split(/[ ]+/).filter((s) => s && !SCOPES.includes(s));
    if (!bad.length) return false;
    const client = await provider.Client.find(q.get('client_id'));
    if (!client || !client.redirectUris.includes(q.get('redirect_uri'))) return false;
    const back = new URL(q.get('redirect_uri'));
    back.searchParams.set('error', 'invalid_scope');
    back.searchParams.set('error_description', `unknown scope: ${bad.join(' ')}`);
    back.searchParams.set('state', q.get('state'));
    back.searchParams.set('iss', issuer);
    res.writeHead(303, { Location: back.href });
    res.end();
    return true;
  }

  server.on('request', async (req, res) => {
    log(`${req.method} ${req.url}`);
    try {
      const url = new URL(req.url, issuer);
      const { pathname } = url;
      if (!pathname.startsWith(`${PREFIX}/`)) {
        sendHtml(res, 404, errorPage(null, 'page introuvable'));
        return;
      }
      const m = pathname.match(/^\/api\/v2\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/);
      if (m && req.method === 'GET') {
        await interaction(req, res, m[1], m[2] || '');
        return;
      }
      if (pathname === `${PREFIX}/authorize` && req.method === 'GET') {
        const why = authorizeDto(url);
        if (why) {
          sendHtml(res, 400, errorPage('Y030007', why));
          return;
        }
        if (await unknownScope(url, res)) return;
      }
      // The library, mounted at /api/v2 (it reads the mount path from
      // req.originalUrl, as under express or connect).
      req.originalUrl = req.url;
      req.url = req.url.slice(PREFIX.length);
      callback(req, res);
    } catch (e) {
      process.stderr.write(`fc-provider: ${e.stack || e}\n`);
      if (!res.headersSent) sendHtml(res, 500, errorPage(null, 'erreur interne'));
      else res.end();
    }
  });

  const line = `${JSON.stringify({ fc: port })}\n`;
  if (opts.portsFile) {
    const tmp = `${opts.portsFile}.tmp.${process.pid}`;
    writeFileSync(tmp, line);
    renameSync(tmp, opts.portsFile);
  }
  process.stdout.write(line);
});
server.on('error', (e) => {
  process.stderr.write(`fc-provider: ${e.message}\n`);
  process.exit(1);
});
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
