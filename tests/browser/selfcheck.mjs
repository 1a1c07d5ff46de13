// Browser tests of the self-check page (issue 10), run by
// tests/integration/t_selfcheck_browser.sh against `raccord serve` and
// raccord-sim.  Debian's headless Chromium driven by puppeteer-core (no
// browser download); axe-core injected from node_modules.  The DOM contract
// the page and these tests share is in docs/selfcheck.md.
//
//   node selfcheck.mjs --base http://127.0.0.1:PORT --portal https://portal.test:PORT
//        --closed-port N --out DIR [--screenshot FILE] [--chromium PATH]
//
// Prints "ok   NAME" / "FAIL NAME: why" per assertion and a closing
// "selfcheck.mjs: N passed, M failed"; exits 1 when anything failed.
// Nothing leaves loopback: every request the pages make is intercepted and
// refused unless it goes to 127.0.0.1 or [::1], and Chromium's resolver
// answers NOTFOUND for every other name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i];
	if (!k.startsWith('--') || i + 1 >= process.argv.length) {
		console.error(`selfcheck.mjs: bad argument '${k}' (see the header comment)`);
		process.exit(2);
	}
	args[k.slice(2)] = process.argv[i + 1];
}
for (const k of ['base', 'portal', 'closed-port', 'out']) {
	if (!args[k]) {
		console.error(`selfcheck.mjs: --${k} is required`);
		process.exit(2);
	}
}
const BASE = args.base.replace(/\/$/, '');
const PORTAL = args.portal.replace(/\/$/, '');
const OUT = args.out;
const CHROMIUM = args.chromium || '/usr/bin/chromium';
fs.mkdirSync(OUT, { recursive: true });

// The data every submission uses: a valid SIRET (Luhn), the simulated
// portal flavour's client and callback (docs/sim.md).
const SIRET = '21750001600019';
const SIRET_BAD = '21750001600018'; // Luhn fails
const SIRET_LAPOSTE = '35600000049837'; // Luhn fails, La Poste's rule holds
const portal = (flavour, base = PORTAL, suffix = '') => ({
	siret: SIRET,
	login_url: `${base}/${flavour}/auth/franceconnect${suffix}`,
	client_id: `cid-${flavour}`,
	redirect_uri: `${base}/${flavour}/callback`,
	button_page_url: `${base}/${flavour}/connexion`,
});
const closedBase = PORTAL.replace(/:\d+$/, `:${args['closed-port']}`);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_SRC = fs.readFileSync(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
const FIELDS = ['siret', 'login_url', 'client_id', 'redirect_uri', 'environment', 'button_page_url'];

let passed = 0;
let failed = 0;
const ok = (name) => {
	passed++;
	console.log(`ok   ${name}`);
};
const nok = (name, why) => {
	failed++;
	console.log(`FAIL ${name}: ${why}`);
};
const check = (cond, name, why) => (cond ? ok(name) : nok(name, why));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const browser = await puppeteer.launch({
	executablePath: CHROMIUM,
	headless: true,
	protocolTimeout: 60000,
	args: [
		...(isRoot ? ['--no-sandbox'] : []),
		// Every name but loopback fails to resolve: Chromium's own
		// background requests cannot leave the machine either.
		'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE [::1]',
		'--no-first-run',
		'--no-pings',
		'--disable-domain-reliability',
		'--lang=fr-FR',
	],
	defaultViewport: { width: 1024, height: 800 },
});

// Every request of every page, for the loopback rule and the JS/no-JS
// assertions; requests to anything but loopback are aborted and counted.
const requests = [];
const outside = [];
const badResponses = [];
const cspErrors = [];
const loopback = (u) => {
	let url;
	try {
		url = new URL(u);
	} catch {
		return false;
	}
	if (url.protocol === 'data:' || url.protocol === 'about:' || url.protocol === 'blob:') return true;
	return url.hostname === '127.0.0.1' || url.hostname === '[::1]';
};
async function newPage(label, { js = true } = {}) {
	const ctx = await browser.createBrowserContext();
	const page = await ctx.newPage();
	page.setDefaultTimeout(30000);
	await page.setJavaScriptEnabled(js);
	await page.setRequestInterception(true);
	page.on('request', (req) => {
		const u = req.url();
		requests.push({ label, url: u, method: req.method(), type: req.resourceType() });
		if (!loopback(u)) {
			outside.push(`${label}: ${req.method()} ${u}`);
			req.abort('blockedbyclient').catch(() => {});
			return;
		}
		req.continue().catch(() => {});
	});
	page.on('response', (res) => {
		const s = res.status();
		// The server's refusal of a bad form (4xx to a POST) and the 429 page
		// are expected answers, and so is a 404 for the favicon the browser
		// asks for by itself; any other 4xx/5xx is a broken page or asset.
		if (s >= 400 && s !== 429 && !(s < 500 && res.request().method() === 'POST') &&
		    new URL(res.url()).pathname !== '/favicon.ico')
			badResponses.push(`${label}: ${s} ${res.request().method()} ${res.url()}`);
	});
	page.on('console', (m) => {
		if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(`${label}: ${m.text()}`);
	});
	page.__ctx = ctx;
	return page;
}
async function closePage(page) {
	await page.__ctx.close().catch(() => {});
}
// A page that reloads itself (the progress state) may navigate under an
// evaluate or a screenshot: such an attempt is retried on the new page.
const navError = (e) => /context was destroyed|navigat|detached|timed out|Target closed/i.test(String(e && e.message));
async function retry(fn, tries = 4) {
	for (let i = 1; ; i++) {
		try {
			return await fn();
		} catch (e) {
			if (i >= tries || !navError(e)) throw e;
			await sleep(300);
		}
	}
}
const within = (ms, p) =>
	Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms))]);
async function shot(page, name) {
	const file = path.join(OUT, `${name}.png`);
	try {
		await retry(() => within(15000, page.screenshot({ path: file, fullPage: true })));
	} catch (e) {
		nok(`screenshot ${name}`, e.message);
	}
	return file;
}
// axe-core with the WCAG 2.1 A/AA tags.  Runtime.evaluate is not subject
// to the page's CSP, so the engine goes in without weakening it.
// `must`: a selector the page must still show when axe has finished, so
// that a page which changed state under the run is not taken for the state.
async function axe(page, state, must = 'body') {
	try {
		const { v, still } = await retry(async () => {
			await page.evaluate(AXE_SRC);
			return page.evaluate(
				(tags, sel) =>
					window.axe
						.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
						.then((r) => ({
							v: r.violations.map(
								(x) => `${x.id} (${x.impact}): ${x.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`,
							),
							still: !!document.querySelector(sel),
						})),
				AXE_TAGS,
				must,
			);
		});
		if (!still) {
			nok(`axe-core on ${state}`, `the page left that state (${must}) before axe-core finished`);
			return;
		}
		check(v.length === 0, `axe-core: 0 WCAG 2.1 AA violations on ${state}`, v.join('; '));
	} catch (e) {
		nok(`axe-core on ${state}`, e.message);
	}
}
// The state of the result page read at once (works with JavaScript off:
// a synchronous evaluate needs no page script).
async function readResult(page) {
	return page.evaluate(() => {
		const q = (s) => document.querySelector(s);
		const v = q('[data-testid="verdict"]');
		const rows = [...document.querySelectorAll('[data-testid="check-row"]')].map((r) => ({
			id: r.getAttribute('data-check-id'),
			status: r.getAttribute('data-status'),
			text: r.textContent.replace(/\s+/g, ' ').trim(),
			links: [...r.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
		}));
		const refresh = q('meta[http-equiv="refresh" i]');
		const retest = q('form[data-testid="retest"]');
		const rbtn = retest && retest.querySelector('button, input[type="submit"]');
		const said = (el) =>
			[el.textContent, ...(el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean).map((id) => document.getElementById(id)?.textContent || '')]
				.join(' ')
				.replace(/\s+/g, ' ')
				.trim();
		const t = q('time[data-testid="checked-at"]');
		const dl = q('a[data-testid="download-json"]');
		const ex = q('details[data-testid="exchanges"]');
		const age = q('[data-testid="cached-age"]');
		return {
			url: location.href,
			progress: !!q('[data-testid="progress"]'),
			refresh: refresh ? refresh.getAttribute('content') : null,
			verdict: v ? v.getAttribute('data-verdict') : null,
			verdictText: v ? v.textContent.replace(/\s+/g, ' ').trim() : '',
			rows,
			exchanges: ex ? { open: ex.open, n: ex.textContent.length } : null,
			download: dl ? dl.getAttribute('href') : null,
			checkedAt: t ? t.getAttribute('datetime') : null,
			retest: retest
				? {
						method: (retest.getAttribute('method') || '').toLowerCase(),
						disabled: rbtn ? rbtn.disabled : null,
						text: rbtn ? said(rbtn) : '',
					}
				: null,
			cachedAge: age ? age.textContent.replace(/\s+/g, ' ').trim() : null,
			scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
		};
	});
}
// Poll the page until the verdict is there (navigations from the meta
// refresh may be in flight: errors then mean "not yet").
async function waitVerdict(page, ms = 60000) {
	const end = Date.now() + ms;
	let last = null;
	while (Date.now() < end) {
		try {
			last = await readResult(page);
			if (last.verdict) return last;
		} catch {
			/* navigating */
		}
		await sleep(250);
	}
	return last;
}
// Fill the form's fields (typing is what the keyboard-only step does;
// here the values are set with input and change events, which is faster on
// a loaded machine and works with JavaScript off).
async function fill(page, data, environment = 'production') {
	await page.evaluate((d) => {
		for (const [k, v] of Object.entries(d)) {
			const el = document.getElementById(k);
			if (!el) throw new Error(`no field #${k}`);
			el.value = v;
			el.dispatchEvent(new Event('input', { bubbles: true }));
			el.dispatchEvent(new Event('change', { bubbles: true }));
		}
	}, data);
	await page.evaluate((env) => {
		const el = document.getElementById('environment');
		if (el && el.tagName === 'SELECT') el.value = env;
		for (const r of document.querySelectorAll('input[name="environment"]')) r.checked = r.value === env;
	}, environment);
}
// Fill and submit with the mouse; returns the result page's state when
// the verdict is there, and the /r/<id> path.
async function submitAndWait(page, data, label) {
	await page.goto(`${BASE}/`, { waitUntil: 'load' });
	await fill(page, data);
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#selfcheck-submit')]);
	const at = new URL(page.url()).pathname;
	const res = await waitVerdict(page);
	return { at, res };
}
function rowsSane(res, name) {
	const bad = res.rows.filter((r) => !r.id || !r.status || r.text.length < 20 || r.links.length === 0);
	check(
		res.rows.length >= 5 && bad.length === 0,
		`${name}: every check row has an id, a status, its French texts and a source link`,
		`${res.rows.length} rows; incomplete: ${bad.map((r) => r.id || '?').join(', ')}`,
	);
}
let tSection = Date.now();
const section = (name) => {
	const now = Date.now();
	console.log(`info ${name}: ${((now - tSection) / 1000).toFixed(1)} s`);
	tSection = now;
};
const row = (res, id) => res.rows.find((r) => r.id === id);
const ID_RE = /^\/r\/[A-Za-z0-9_-]{22,}$/;

// One step of the run on a fresh page (its own browser context, so no
// cookie carries over): an exception fails the step, not the whole run.
async function step(name, opts, fn) {
	const page = await newPage(name, opts);
	try {
		await fn(page);
	} catch (e) {
		nok(`${name}: the step stopped`, (e && e.stack) || String(e));
		await shot(page, `error-${name}`);
	} finally {
		await closePage(page);
		section(name);
	}
}

async function run() {
	// --- the form ---------------------------------------------------------
	await step('form', {}, async (page) => {
		const resp = await page.goto(`${BASE}/`, { waitUntil: 'load' });
		check(resp && resp.status() === 200, 'GET / answers 200', `HTTP ${resp && resp.status()}`);
		const form = await page.evaluate((fields) => {
			const f = document.getElementById('selfcheck-form');
			const out = {
				lang: document.documentElement.getAttribute('lang'),
				form: !!f,
				method: f && (f.getAttribute('method') || '').toLowerCase(),
				action: f && f.getAttribute('action'),
				csrf: !!(f && f.querySelector('input[type="hidden"][name="csrf"]')?.value),
				submit: !!document.querySelector('button[type="submit"]#selfcheck-submit'),
				envs: [...document.querySelectorAll('[name="environment"]')].flatMap((e) =>
					e.tagName === 'SELECT' ? [...e.options].map((o) => o.value) : [e.value],
				),
				missing: [],
				unlabelled: [],
			};
			for (const id of fields) {
				const el = id === 'environment' ? document.querySelector('[name="environment"]') : document.getElementById(id);
				if (!el || (id !== 'environment' && el.getAttribute('name') !== id)) out.missing.push(id);
				else if (!el.labels || el.labels.length === 0) out.unlabelled.push(id);
			}
			return out;
		}, FIELDS);
		check(form.lang === 'fr', 'the page is in French (lang="fr")', `lang=${form.lang}`);
		check(
			form.form && form.method === 'post' && form.action === '/selfcheck',
			'form#selfcheck-form posts to /selfcheck',
			JSON.stringify(form),
		);
		check(form.missing.length === 0, 'every field of the contract is there (name = id)', `missing: ${form.missing}`);
		check(form.unlabelled.length === 0, 'every field has a <label>', `no label: ${form.unlabelled}`);
		check(form.csrf, 'the form carries a CSRF token', 'no hidden csrf value');
		check(form.submit, 'button#selfcheck-submit submits', 'no submit button');
		check(
			form.envs.includes('production') && form.envs.includes('integration'),
			'environment: production | integration',
			`values ${form.envs}`,
		);
		await axe(page, 'the form');
		await shot(page, '01-form');

		// --- client-side validation: bad SIRET and bad URL, then La Poste ------
		await fill(page, { ...portal('ok'), siret: SIRET_BAD, login_url: 'pas une adresse' });
		const before = page.url();
		await page.click('#selfcheck-submit');
		await sleep(700);
		const errState = async () =>
			page.evaluate(() => {
				const st = (id) => {
					const input = document.getElementById(id);
					const e = document.getElementById(`${id}-error`);
					const shown = !!(e && e.textContent.trim() && e.getClientRects().length);
					return {
						shown,
						text: e ? e.textContent.replace(/\s+/g, ' ').trim() : '',
						described: !!(input && (input.getAttribute('aria-describedby') || '').split(/\s+/).includes(`${id}-error`)),
						group: !!(input && input.closest('.fr-input-group--error')),
						cls: !!(e && e.classList.contains('fr-error-text')),
					};
				};
				return { siret: st('siret'), login_url: st('login_url') };
			});
		let es = await errState();
		check(page.url() === before, 'a bad SIRET or URL is stopped in the browser (no submission)', `went to ${page.url()}`);
		for (const f of ['siret', 'login_url']) {
			check(
				es[f].shown && es[f].cls && es[f].group,
				`${f}: its message (#${f}-error, fr-error-text in fr-input-group--error) is shown`,
				JSON.stringify(es[f]),
			);
			check(es[f].described, `${f}: the message is tied to the field (aria-describedby)`, JSON.stringify(es[f]));
		}
		await axe(page, 'the form with its error messages');
		await shot(page, '02-form-errors');
		await page.$eval('#siret', (el) => {
			el.value = '';
		});
		await page.type('#siret', SIRET_LAPOSTE);
		await page.keyboard.press('Tab');
		await page.click('#selfcheck-submit');
		await sleep(700);
		es = await errState();
		check(
			!es.siret.shown && !es.siret.group && es.login_url.shown,
			"La Poste's SIRET (sum of digits rule) is accepted while the URL still is not",
			JSON.stringify(es),
		);
	});

	// --- the progress state and a live (JavaScript) update -----------------
	// `slow` answers after 20 s; the daemon gives up after its network
	// timeout (10 s), so the check runs that long, then is inconclusive.
	await step('progress', {}, async (page) => {
		await page.goto(`${BASE}/`, { waitUntil: 'load' });
		await fill(page, portal('slow'));
		const [nav] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#selfcheck-submit')]);
		const slowAt = new URL(page.url()).pathname;
		const chain = nav ? nav.request().redirectChain() : [];
		check(
			chain.length === 1 && chain[0].response()?.status() === 303 && chain[0].method() === 'POST',
			'submit: POST /selfcheck answers 303',
			chain.map((r) => `${r.method()} ${r.url()} ${r.response()?.status()}`).join(' -> ') || 'no redirect',
		);
		check(ID_RE.test(slowAt), 'the result is at /r/<id>, id ≥ 128 bits base64url', slowAt);
		let pr = await readResult(page);
		check(pr.progress && !pr.verdict, 'while the check runs: the progress state', JSON.stringify(pr).slice(0, 300));
		check(
			pr.scripts.includes('/static/selfcheck.js') && pr.scripts.every((s) => s !== null),
			'progress: /static/selfcheck.js, no inline script',
			`scripts ${JSON.stringify(pr.scripts)}`,
		);
		if (pr.progress) {
			await shot(page, '03-progress');
			await axe(page, 'the progress state', '[data-testid="progress"]');
		}
		pr = await waitVerdict(page);
		check(pr && pr.verdict === 'inconclusive', 'slow portal: verdict inconclusive', pr && pr.verdict);
		const polls = requests.filter((r) => r.label === 'progress' && new URL(r.url).pathname === `${slowAt}.json`);
		check(polls.length >= 1, 'with JavaScript the page polls /r/<id>.json', `${polls.length} polls`);
		// Live: the script polls and shows the verdict (one reload at the end
		// at most); the no-JavaScript refresh must not reload it meanwhile.
		const loads = requests.filter((r) => r.label === 'progress' && r.type === 'document' && new URL(r.url).pathname === slowAt).length;
		check(loads <= 2, 'with JavaScript the progress is live: no refresh reload while the check runs', `${loads} loads of ${slowAt} for ${polls.length} JSON polls (the meta refresh fires with JavaScript on)`);
	});

	// --- a correct portal: verified ---------------------------------------
	await step('verified', {}, async (page) => {
		const v = await submitAndWait(page, portal('ok'), 'verified');
		const okAt = v.at;
		check(ID_RE.test(okAt), 'correct portal: result permalink /r/<id>', okAt);
		check(v.res && v.res.verdict === 'verified', 'correct portal: verdict verified', v.res && `${v.res.verdict} ${v.res.verdictText}`);
		if (v.res && v.res.verdict) {
			rowsSane(v.res, 'verified');
			const nonce = row(v.res, 'fc.authorize.nonce');
			check(nonce && nonce.status === 'pass', 'verified: fc.authorize.nonce row passes', JSON.stringify(nonce));
			check(!v.res.rows.some((r) => r.status === 'fail'), 'verified: no row fails', v.res.rows.filter((r) => r.status === 'fail').map((r) => r.id).join(','));
			check(v.res.exchanges && !v.res.exchanges.open, 'the HTTP exchanges are there, closed until asked for', JSON.stringify(v.res.exchanges));
			check(v.res.download === `${okAt}.json`, 'JSON download link /r/<id>.json', v.res.download);
			check(v.res.checkedAt && !Number.isNaN(Date.parse(v.res.checkedAt)), 'time of the check: <time datetime>', v.res.checkedAt);
			check(v.res.retest && v.res.retest.method === 'post', 'a re-test form (POST)', JSON.stringify(v.res.retest));
			check(
				v.res.retest && v.res.retest.disabled === true && /\d/.test(v.res.retest.text),
				'right after the check, re-test is disabled and says the remaining cooldown (in the button or its aria-describedby)',
				JSON.stringify(v.res.retest),
			);
			const j = await page.evaluate(async (u) => {
				const r = await fetch(u);
				return { status: r.status, type: r.headers.get('content-type'), body: await r.json().catch(() => null) };
			}, `${okAt}.json`);
			check(
				j.status === 200 && /json/.test(j.type || '') && j.body && JSON.stringify(j.body).includes('verified'),
				'the JSON download is the report (verified)',
				`${j.status} ${j.type}`,
			);
			await axe(page, 'the verified verdict');
			await page.evaluate(() => {
				const d = document.querySelector('details[data-testid="exchanges"]');
				if (d) d.open = true;
			});
			await axe(page, 'the verified verdict with the exchanges open');
			await page.evaluate(() => {
				const d = document.querySelector('details[data-testid="exchanges"]');
				if (d) d.open = false;
			});
			await shot(page, '04-verdict-verified');
		}
	});

	// --- the re-test cooldown: the same login address again ----------------
	await step('cooldown', {}, async (page) => {
		const c = await submitAndWait(page, portal('ok'), 'cooldown');
		check(c.res && c.res.verdict === 'verified', 'same portal within the cooldown: the verdict is shown', c.res && c.res.verdict);
		check(
			c.res && c.res.cachedAge !== null && /\d/.test(c.res.cachedAge),
			'within the cooldown: the cached result with its age ([data-testid="cached-age"])',
			c.res && `cached-age=${c.res.cachedAge} at ${c.at}`,
		);
		check(
			c.res && c.res.retest && c.res.retest.disabled === true,
			'within the cooldown: the re-test button is disabled',
			c.res && JSON.stringify(c.res.retest),
		);
		await shot(page, '05-cached');
	});

	// --- a flawed portal: failed, the nonce row fails ----------------------
	await step('failed', {}, async (page) => {
		const f = await submitAndWait(page, portal('no_nonce'), 'failed');
		check(f.res && f.res.verdict === 'failed', 'flawed portal (no nonce): verdict failed', f.res && `${f.res.verdict} ${f.res.verdictText}`);
		if (f.res && f.res.verdict) {
			rowsSane(f.res, 'failed');
			const nonce = row(f.res, 'fc.authorize.nonce');
			check(nonce && nonce.status === 'fail', 'failed: the fc.authorize.nonce row fails', JSON.stringify(nonce));
			check(
				nonce && /nonce/i.test(nonce.text) && nonce.text.length > 60,
				'failed: the row says why and how to fix, in French',
				nonce && nonce.text.slice(0, 200),
			);
			await axe(page, 'the failed verdict');
			const file = await shot(page, '06-verdict-failed');
			if (args.screenshot) {
				fs.mkdirSync(path.dirname(path.resolve(args.screenshot)), { recursive: true });
				// The README's picture: the failed result from its top (the
				// banner) down to the first failing row, not the whole long page.
				const bottom = await page.evaluate(() => {
					const r = document.querySelector('[data-testid="check-row"][data-status="fail"]');
					return r ? r.getBoundingClientRect().bottom + window.scrollY : 0;
				});
				const height = Math.min(Math.max(Math.ceil(bottom) + 16, 800), 2400);
				await page.screenshot({ path: args.screenshot, clip: { x: 0, y: 0, width: 1024, height }, captureBeyondViewport: true });
				console.log(`info README screenshot written to ${args.screenshot} (full page: ${file})`);
			}
		}
	});

	// --- an unreachable portal: inconclusive -------------------------------
	await step('unreachable', {}, async (page) => {
		const u = await submitAndWait(page, portal('ok', closedBase), 'unreachable');
		check(u.res && u.res.verdict === 'inconclusive', 'unreachable portal: verdict inconclusive', u.res && `${u.res.verdict} ${u.res.verdictText}`);
		if (u.res && u.res.verdict) {
			const lr = row(u.res, 'fc.login.redirect');
			check(lr && lr.status === 'error', 'inconclusive: fc.login.redirect is an error, not a fail', JSON.stringify(lr));
			check(!u.res.rows.some((r) => r.status === 'fail'), 'inconclusive: no row fails', u.res.rows.filter((r) => r.status === 'fail').map((r) => r.id).join(','));
			await axe(page, 'the inconclusive verdict');
			await shot(page, '07-verdict-inconclusive');
		}
	});

	// --- keyboard only: Tab through the form in order, Enter submits -------
	await step('keyboard', {}, async (page) => {
		await page.goto(`${BASE}/`, { waitUntil: 'load' });
		const kdata = portal('multihop');
		const order = [];
		let submitted = false;
		for (let i = 0; i < 80 && !submitted; i++) {
			await page.keyboard.press('Tab');
			const a = await page.evaluate(() => {
				const e = document.activeElement;
				return e ? { id: e.id, name: e.getAttribute('name'), tag: e.tagName, type: e.type, checked: e.checked } : null;
			});
			if (!a) continue;
			const key = a.name === 'environment' ? 'environment' : a.id;
			if (order[order.length - 1] !== key) order.push(key);
			if (kdata[a.id] !== undefined && a.name === a.id) {
				await page.keyboard.type(kdata[a.id]);
				delete kdata[a.id];
			} else if (a.name === 'environment' && a.type === 'radio' && !a.checked) {
				await page.keyboard.press('Space');
			} else if (a.id === 'selfcheck-submit' && Object.keys(kdata).length === 0) {
				await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }), page.keyboard.press('Enter')]);
				submitted = true;
			}
		}
		const expected = [...FIELDS, 'selfcheck-submit'];
		const seen = order.filter((k) => expected.includes(k));
		check(
			JSON.stringify(seen) === JSON.stringify(expected),
			'keyboard: Tab reaches every field then the button, in reading order',
			`focus order ${seen.join(' > ')}`,
		);
		check(submitted && Object.keys(kdata).length === 0, 'keyboard: filled and submitted with Tab/Enter only', `left unfilled: ${Object.keys(kdata)}`);
		const k = submitted ? await waitVerdict(page) : null;
		check(k && k.verdict === 'verified', 'keyboard: the submission reaches its verdict (verified)', k && k.verdict);
		await shot(page, '08-keyboard-verdict');
	});

	// --- without JavaScript: server-side refusal, then refresh-based progress
	await step('nojs', { js: false }, async (page) => {
		await page.goto(`${BASE}/`, { waitUntil: 'load' });
		await fill(page, { ...portal('ok'), siret: SIRET_BAD });
		await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#selfcheck-submit')]);
		const sv = await page.evaluate(() => {
			const e = document.getElementById('siret-error');
			const i = document.getElementById('siret');
			return {
				summary: !!document.querySelector('[data-testid="form-errors"]'),
				msg: e ? e.textContent.trim() : '',
				described: !!(i && (i.getAttribute('aria-describedby') || '').split(/\s+/).includes('siret-error')),
				kept: i ? i.value : null,
			};
		});
		check(
			sv.summary && sv.msg.length > 0 && sv.described,
			'no JavaScript: the server refuses a bad SIRET with the summary and the field message',
			JSON.stringify(sv),
		);
		await shot(page, '09-nojs-refused');
		// A login address of its own (query string), so no cooldown applies.
		await page.goto(`${BASE}/`, { waitUntil: 'load' });
		await fill(page, portal('slow', PORTAL, '?nojs=1'));
		await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#selfcheck-submit')]);
		const nAt = new URL(page.url()).pathname;
		const n0 = await readResult(page);
		check(n0.progress && !n0.verdict, 'no JavaScript: the progress state', JSON.stringify(n0).slice(0, 300));
		check(n0.refresh !== null && /^\s*2\s*$/.test(n0.refresh), 'no JavaScript: <meta http-equiv="refresh" content="2">', `refresh=${n0.refresh}`);
		await shot(page, '10-nojs-progress');
		const nr = await waitVerdict(page);
		check(nr && nr.verdict === 'inconclusive', 'no JavaScript: the refresh reaches the verdict', nr && nr.verdict);
		const nreq = requests.filter((r) => r.label === 'nojs');
		const reloads = nreq.filter((r) => r.type === 'document' && new URL(r.url).pathname === nAt).length;
		check(reloads >= 2, 'no JavaScript: the page reloaded itself (meta refresh)', `${reloads} loads of ${nAt}`);
		check(
			!nreq.some((r) => new URL(r.url).pathname === `${nAt}.json`),
			'no JavaScript: nothing polled /r/<id>.json',
			'a JSON poll happened with JavaScript off',
		);
		await shot(page, '11-nojs-verdict');
	});

	// --- what every page did ----------------------------------------------
	check(outside.length === 0, `no request left loopback (${requests.length} requests)`, outside.slice(0, 5).join('; '));
	check(badResponses.length === 0, 'no page or asset answered an error', badResponses.slice(0, 5).join('; '));
	check(cspErrors.length === 0, 'no Content-Security-Policy violation in the console', cspErrors.slice(0, 5).join('; '));
}

try {
	await run();
} catch (e) {
	nok('the browser run', e.stack || String(e));
} finally {
	await browser.close().catch(() => {});
}
console.log(`selfcheck.mjs: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
