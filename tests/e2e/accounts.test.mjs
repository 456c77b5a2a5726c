// Browser end-to-end test of the dashboard's accounts (api.md §8.15, domain.md §28, issue 10 item 7):
// onboarding as a GPU provider creates an account with that role, the account panel shows it, an API
// key is shown once, listed by preview and revoked, a CLI device code is approved, the password is
// changed, sign-out ends the session and e-mail sign-in starts a new one. No console errors.
//
//   XC_BUILD_DIR   build directory holding xcelsiord (default /work/main/build), or the binary itself
//   XC_CHROMIUM    browser executable (default /usr/bin/chromium)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const BUILD = process.env.XC_BUILD_DIR || '/work/main/build';
const BIN = existsSync(BUILD) && statSync(BUILD).isFile() ? BUILD : join(BUILD, 'xcelsiord');
const CHROMIUM = process.env.XC_CHROMIUM || '/usr/bin/chromium';
const EMAIL = 'ada.provider@example.com';
const PASSWORD = 'first-password-1';
const NEW_PASSWORD = 'second-password-2';

let server, serverLog = '', base, dir, browser, page;
const pageErrors = [];
const consoleErrors = [];
const dialogs = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const token = () => page.evaluate(() => sessionStorage.getItem('xc.token'));
const toast = (title) => page.locator('#toasts .toast > b').getByText(title, { exact: true }).first().waitFor({ state: 'visible' });

/* Console errors, less the failed loads of routes this server does not have at all (the router's
 * 404 "Not found: ..."; panels of later issues show "not available" for them). */
async function unexpectedConsoleErrors() {
  const left = [];
  for (const e of consoleErrors) {
    if (/status of 404/.test(e.text) && e.url.startsWith(base + '/')) {
      const r = await api('GET', e.url.slice(base.length));
      if (r.status === 404 && /^not found: /i.test(r.json?.error?.message || '')) continue;
    }
    left.push(e.text + ' @ ' + e.url);
  }
  return left;
}

before(async () => {
  assert.ok(existsSync(BIN), `xcelsiord binary not found at ${BIN} (set XC_BUILD_DIR)`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'xc-e2e-acct-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('XCELSIOR_')) env[k] = v;
  Object.assign(env, { XCELSIOR_ENV: 'test', XCELSIOR_RATE_LIMIT_REQUESTS: '1000000', XCELSIOR_LOG_LEVEL: 'warn' });
  server = spawn(BIN, ['--host', '127.0.0.1', '--port', String(port), '--db', join(dir, 'x.db')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  const t0 = Date.now();
  for (;;) {
    if (server.exitCode !== null) throw new Error('xcelsiord exited early:\n' + serverLog);
    try { const r = await fetch(base + '/healthz'); if (r.ok) break; } catch { /* not up yet */ }
    if (Date.now() - t0 > 10000) throw new Error('xcelsiord did not become healthy:\n' + serverLog);
    await sleep(100);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack || e)));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push({ text: m.text(), url: m.location().url || '' }); });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await Promise.race([new Promise((r) => server.once('exit', r)), sleep(3000)]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the dashboard still works anonymously in test mode', async () => {
  await page.goto(base + '/dashboard');
  await page.locator('#onboard-modal').waitFor({ state: 'visible' });
  assert.equal(await token(), null);
  assert.match(await page.locator('#account-chip').textContent(), /Open access|Sign in/);
});

test('onboarding as a GPU provider registers a provider account', async () => {
  const onboard = page.locator('#onboard-modal');
  await onboard.locator('#onboard-register').check();
  await onboard.getByRole('button', { name: /GPU Provider/ }).click();
  await onboard.waitFor({ state: 'hidden' });
  const acct = page.locator('#account-modal');
  await acct.waitFor({ state: 'visible' });
  const form = acct.locator('#register-form');
  await form.waitFor({ state: 'visible' });
  assert.equal(await form.locator('select[name=role]').inputValue(), 'provider', 'the onboarding choice is the role');
  await form.locator('input[name=email]').fill(EMAIL);
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('input[name=name]').fill('Ada');
  await form.locator('select[name=province]').selectOption('QC');
  await form.getByRole('button', { name: 'Create account' }).click();
  await toast('Account created');

  // The account panel shows who is signed in.
  const kv = acct.locator('#acct-kv');
  await kv.waitFor({ state: 'visible' });
  assert.equal((await kv.locator('dd[data-field="e-mail"]').textContent()).trim(), EMAIL);
  assert.equal((await kv.locator('dd[data-field="role"]').textContent()).trim().toLowerCase(), 'provider');
  assert.match(await kv.locator('dd[data-field="customer"]').textContent(), /^cust-/);
  assert.equal(await acct.locator('#signed-out-box').isHidden(), true);
  assert.equal((await page.locator('#account-chip').textContent()).trim(), 'Ada');
  assert.equal(await page.evaluate(() => localStorage.getItem('xc.role')), 'provider');

  // The token is kept in this tab and is a real session of a provider.
  const t = await token();
  assert.equal(t.length, 64);
  const me = await api('GET', '/api/auth/me', undefined, t);
  assert.equal(me.status, 200);
  assert.equal(me.json.user.email, EMAIL);
  assert.equal(me.json.user.role, 'provider');
  assert.equal(me.json.user.province, 'QC');
});

test('an API key is shown once, listed by preview, works, and is revoked', async () => {
  const acct = page.locator('#account-modal');
  await acct.locator('#keys-body').getByText('No API keys').waitFor();
  await acct.locator('#key-name').fill('e2e-key');
  await acct.getByRole('button', { name: 'Generate key' }).click();
  const shown = acct.locator('#new-key');
  await shown.waitFor({ state: 'visible' });
  const key = (await shown.textContent()).trim();
  assert.match(key, /^xc-[A-Za-z0-9_-]{43}$/);
  const preview = key.slice(0, 12) + '...' + key.slice(-4);
  const row = acct.locator('#keys-body tr', { hasText: preview });
  await row.waitFor();
  assert.match(await row.textContent(), /e2e-key/);
  assert.doesNotMatch(await acct.locator('#keys-body').textContent(), new RegExp(key.slice(12, -4)), 'the list shows previews only');

  const list = await api('GET', '/api/keys', undefined, await token());
  assert.deepEqual(list.json.keys.map((k) => [k.name, k.preview]), [['e2e-key', preview]]);
  assert.equal((await api('GET', '/api/auth/me', undefined, key)).status, 200, 'the key is a credential');

  // Once dismissed, the key is nowhere in the page, even after reopening the panel.
  await acct.getByRole('button', { name: 'Done' }).click();
  await acct.getByRole('button', { name: 'Close dialog' }).click();
  await page.locator('#account-chip').click();
  await acct.locator('#keys-body tr', { hasText: preview }).waitFor();
  assert.equal(await page.evaluate((k) => document.documentElement.outerHTML.includes(k), key), false);

  await acct.locator(`button[data-revoke="${preview}"]`).click();
  await page.locator('#confirm-modal').waitFor({ state: 'visible' });
  await page.locator('#confirm-yes').click();
  await toast('API key revoked');
  await acct.locator('#keys-body').getByText('No API keys').waitFor();
  assert.equal((await api('GET', '/api/auth/me', undefined, key)).status, 401, 'a revoked key is refused');
});

test('a CLI device code is approved from the account panel', async () => {
  const dev = await api('POST', '/api/auth/device', {});
  assert.equal(dev.status, 200);
  const pending = await api('POST', '/api/auth/token', { device_code: dev.json.device_code });
  assert.equal(pending.status, 428);
  const acct = page.locator('#account-modal');
  await acct.locator('#device-box > summary').click();
  await acct.locator('#device-form input[name=user_code]').fill(dev.json.user_code.toLowerCase());
  await acct.locator('#device-form').getByRole('button', { name: 'Approve' }).click();
  await toast('Device authorized');
  const done = await api('POST', '/api/auth/token', { device_code: dev.json.device_code });
  assert.equal(done.status, 200);
  const me = await api('GET', '/api/auth/me', undefined, done.json.access_token);
  assert.equal(me.json.user.email, EMAIL);
});

test('password change, sign-out and e-mail sign-in', async () => {
  const acct = page.locator('#account-modal');
  await acct.locator('#password-box > summary').click();
  await acct.locator('#password-form input[name=current_password]').fill(PASSWORD);
  await acct.locator('#password-form input[name=new_password]').fill(NEW_PASSWORD);
  await acct.locator('#password-form').getByRole('button', { name: 'Change password' }).click();
  await toast('Password changed');
  assert.equal((await api('POST', '/api/auth/login', { email: EMAIL, password: NEW_PASSWORD })).status, 200);

  const before = await token();
  assert.equal((await api('GET', '/api/auth/me', undefined, before)).status, 200, 'this tab stays signed in');
  await acct.locator('#logout-btn').click();
  await toast('Signed out');
  assert.equal(await token(), null);
  assert.equal((await api('GET', '/api/auth/me', undefined, before)).status, 401, 'sign-out ends the session');
  assert.notEqual((await page.locator('#account-chip').textContent()).trim(), 'Ada');

  await page.locator('#account-chip').click();
  await acct.waitFor({ state: 'visible' });
  const login = acct.locator('#login-form');
  await login.waitFor({ state: 'visible' });
  await login.locator('input[name=email]').fill(EMAIL);
  await login.locator('input[name=password]').fill(NEW_PASSWORD);
  await login.getByRole('button', { name: 'Sign in' }).click();
  await toast('Signed in');
  await acct.locator('#acct-kv').waitFor({ state: 'visible' });
  const t = await token();
  assert.equal(t.length, 64);
  assert.notEqual(t, before);
  await sleep(500);
  await page.screenshot({ path: join(OUT, 'accounts.png') });

  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(await unexpectedConsoleErrors(), [], 'console errors');
  assert.deepEqual(dialogs, []);
});

test('a wrong password shows the server message in the dialog', async () => {
  const acct = page.locator('#account-modal');
  await acct.locator('#logout-btn').click();
  await toast('Signed out');
  await page.locator('#account-chip').click();
  const login = acct.locator('#login-form');
  await login.locator('input[name=email]').fill(EMAIL);
  await login.locator('input[name=password]').fill('not-the-password');
  await login.getByRole('button', { name: 'Sign in' }).click();
  const err = acct.locator('[data-err]');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /Invalid email or password/);
  assert.equal(await token(), null);
  assert.deepEqual(pageErrors, []);
});
