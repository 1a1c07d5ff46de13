// A small hand-written FranceConnect relying party for the fleet
// (docs/fleet.md), beside the Apache + mod_auth_openidc ones: a login page
// whose button is a form POST with a CSRF token, then the code flow done by
// hand with Node's core modules only (state/nonce bound to a cookie, token
// exchange with client_secret_post, ID token signature, iss, aud, exp, nonce
// and acr checked).  The flavours other than `ok` break one state/nonce rule
// the way real integrations have (shared/reference/franceconnect.md §6);
// mod_auth_openidc cannot be configured into any of them.
//
//   node hand-rp.mjs --cert PEM --key PEM --ca PEM --port P --fc-port F
//                    --client-id ID --client-secret-file FILE [--bind 127.0.0.1]
//
// Flavour routes: /<fl>/connexion, POST /<fl>/login, /<fl>/callback,
// /<fl>/espace.  Writes "ready" on stdout once listening.
import {
  createPublicKey, randomBytes, timingSafeEqual, verify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import { isIP } from 'node:net';

function usage(msg) {
  process.stderr.write(`hand-rp: ${msg}\n`);
  process.exit(2);
}
const o = { bind: '127.0.0.1', host: 'hand.rp.fleet.test' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (m, c) => c.toUpperCase());
  if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
  o[k] = argv[i + 1];
}
for (const k of ['cert', 'key', 'ca', 'port', 'fcPort', 'clientId', 'clientSecretFile']) {
  if (!o[k]) usage(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is required`);
}
if (!((isIP(o.bind) === 4 && o.bind.startsWith('127.')) || o.bind === '::1')) usage('--bind: loopback only');
const ca = readFileSync(o.ca);
const secret = readFileSync(o.clientSecretFile, 'utf8').trim();
const ISSUER = `https://fc.fleet.test:${o.fcPort}/api/v2`;
// Back channel by address (the certificate names 127.0.0.1), the browser
// sees the provider's name.
const BACK = `https://127.0.0.1:${o.fcPort}/api/v2`;
const BASE = `https://${o.host}:${o.port}`;

const hex = (n) => randomBytes(n).toString('hex');
let counter = 0;
// state and nonce per flavour.
const FLAVOURS = {
  ok: () => ({ state: hex(32), nonce: hex(32) }),
  short_nonce: () => ({ state: hex(32), nonce: hex(8) }),
  short_state: () => ({ state: hex(8), nonce: hex(32) }),
  static_state: () => ({ state: 'f1e2d3c4b5a6978877665544332211aa', nonce: hex(32) }),
  same_state_nonce: () => { const v = hex(32); return { state: v, nonce: v }; },
  counter_state: () => { counter += 1; return { state: `state${String(counter).padStart(17, '0')}`, nonce: hex(32) }; },
  prefix_state: () => ({ state: `c0ll3ct1v1t3d3t3st${'0'.repeat(20)}${hex(4)}`, nonce: hex(32) }),
  url_state: () => ({ state: `${hex(16)}${BASE}/url_state/espace`, nonce: hex(32) }),
};

const flows = new Map(); // flow id -> { fl, state, nonce }
const csrfs = new Set();
const sessions = new Map(); // session id -> { fl, name }

const HSTS = 'max-age=31536000; includeSubDomains';
function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Strict-Transport-Security': HSTS,
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}
const page = (title, body) => `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head><body><main>${body}</main></body></html>\n`;
function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
const cookie = (n, v) => `${n}=${v}; Path=/; Secure; HttpOnly; SameSite=Lax`;
function same(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fetchBack(path, { method = 'GET', form, bearer } = {}) {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : null;
    const headers = { Accept: 'application/json, application/jwt' };
    if (body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const req = request(`${BACK}${path}`, { method, headers, ca, timeout: 5000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] || '', data }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
// Verify a JWS against the provider's JWKS (ES256 or RS256), return claims.
async function verifyJws(jws) {
  const [h, p, s] = jws.split('.');
  const header = b64json(h);
  if (header.alg !== 'ES256' && header.alg !== 'RS256') throw new Error(`alg ${header.alg} refused`);
  const jwks = JSON.parse((await fetchBack('/jwks')).data);
  const jwk = jwks.keys.find((k) => k.kid === header.kid && k.alg === header.alg);
  if (!jwk) throw new Error(`no key ${header.kid}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), header.alg === 'ES256'
    ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  const c = b64json(p);
  if (c.iss !== ISSUER) throw new Error('iss');
  return c;
}

async function callback(req, res, fl, url) {
  const flow = flows.get(cookies(req).fc_flow);
  const state = url.searchParams.get('state');
  if (!flow || flow.fl !== fl || !same(flow.state, state)) {
    send(res, 400, page('Échec', '<h1>Échec de la connexion</h1><p>Requête invalide.</p>'));
    return;
  }
  flows.delete(cookies(req).fc_flow); // single use
  if (url.searchParams.has('error')) {
    send(res, 200, page('Connexion annulée', '<h1>Connexion annulée</h1>'));
    return;
  }
  try {
    const tok = await fetchBack('/token', {
      method: 'POST',
      form: {
        grant_type: 'authorization_code', code: url.searchParams.get('code') || '',
        redirect_uri: `${BASE}/${fl}/callback`, client_id: o.clientId, client_secret: secret,
      },
    });
    if (tok.status !== 200) throw new Error(`token endpoint HTTP ${tok.status}`);
    const t = JSON.parse(tok.data);
    const id = await verifyJws(t.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (id.aud !== o.clientId || id.exp < now || id.nonce !== flow.nonce || id.acr !== 'eidas1') {
      throw new Error('ID token claims');
    }
    const ui = await fetchBack('/userinfo', { bearer: t.access_token });
    if (ui.status !== 200 || !ui.type.startsWith('application/jwt')) throw new Error('userinfo');
    const who = await verifyJws(ui.data);
    if (who.sub !== id.sub || who.aud !== o.clientId) throw new Error('userinfo claims');
    const sid = hex(32);
    sessions.set(sid, { fl, name: `${who.given_name || ''} ${who.family_name || ''}`.trim() });
    send(res, 302, '', { Location: `/${fl}/espace`, 'Set-Cookie': cookie('session', sid) });
  } catch (e) {
    process.stderr.write(`hand-rp: ${fl}: login refused: ${e.message}\n`);
    send(res, 400, page('Échec', '<h1>Échec de la connexion</h1>'));
  }
}

function readBody(req) {
  return new Promise((resolve) => {
    let d = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { if (d.length < 65536) d += c; });
    req.on('end', () => resolve(d));
  });
}

const server = createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, async (req, res) => {
  try {
    const url = new URL(req.url, BASE);
    const m = url.pathname.match(/^\/([a-z_]+)\/(connexion|login|callback|espace)$/);
    if (!m || !FLAVOURS[m[1]]) { send(res, 404, page('Introuvable', '<h1>Page introuvable</h1>')); return; }
    const [, fl, what] = m;
    if (what === 'connexion' && req.method === 'GET') {
      const t = hex(32);
      csrfs.add(t);
      send(res, 200, page('Connexion', `<h1>Se connecter</h1>
<form method="post" action="/${fl}/login"><input type="hidden" name="csrf" value="${t}">
<div class="fr-connect-group"><button class="fr-connect" type="submit"><span class="fr-connect__login">S’identifier avec</span> <span class="fr-connect__brand">FranceConnect</span></button>
<p><a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">Qu’est-ce que FranceConnect ?</a></p></div></form>
<p class="fr-hr-or">ou</p>`), { 'Set-Cookie': cookie('csrf', t) });
    } else if (what === 'login' && req.method === 'POST') {
      const t = new URLSearchParams(await readBody(req)).get('csrf');
      if (!csrfs.has(t) || !same(t, cookies(req).csrf)) {
        send(res, 403, page('Refusé', '<h1>Requête refusée</h1>'));
        return;
      }
      csrfs.delete(t);
      const { state, nonce } = FLAVOURS[fl]();
      const id = hex(32);
      flows.set(id, { fl, state, nonce });
      const q = new URLSearchParams({
        response_type: 'code', client_id: o.clientId, redirect_uri: `${BASE}/${fl}/callback`,
        scope: 'openid given_name family_name email', acr_values: 'eidas1', state, nonce,
      });
      send(res, 302, '', { Location: `${ISSUER}/authorize?${q}`, 'Set-Cookie': cookie('fc_flow', id) });
    } else if (what === 'callback' && req.method === 'GET') {
      await callback(req, res, fl, url);
    } else if (what === 'espace' && req.method === 'GET') {
      const s = sessions.get(cookies(req).session);
      if (s && s.fl === fl) send(res, 200, page('Espace', `<h1>Espace personnel</h1><p>Bonjour ${s.name}</p>`));
      else send(res, 302, '', { Location: `/${fl}/connexion` });
    } else {
      send(res, 405, page('Méthode', '<h1>Méthode non autorisée</h1>'));
    }
  } catch (e) {
    process.stderr.write(`hand-rp: ${e.stack || e}\n`);
    if (!res.headersSent) send(res, 500, page('Erreur', '<h1>Erreur interne</h1>'));
  }
});
server.on('error', (e) => { process.stderr.write(`hand-rp: ${e.message}\n`); process.exit(1); });
server.listen(Number(o.port), o.bind, () => process.stdout.write('ready\n'));
const stop = () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
