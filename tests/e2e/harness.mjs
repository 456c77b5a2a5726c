// What the browser tests share: a real xcelsiord on a free loopback port with its own store, a
// JSON client for it, Debian's Chromium, and pages that record page errors, console errors and
// requests leaving the server's origin.
//
//   XC_BUILD_DIR   build directory holding xcelsiord (default /work/main/build), or the binary itself
//   XC_CHROMIUM    browser executable (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BUILD = process.env.XC_BUILD_DIR || '/work/main/build';
const BIN = existsSync(BUILD) && statSync(BUILD).isFile() ? BUILD : join(BUILD, 'xcelsiord');
const CHROMIUM = process.env.XC_CHROMIUM || '/usr/bin/chromium';

export const GOOD = { runc: '1.2.4', nvidia_ctk: '1.17.8', nvidia_driver: '560.35.03', docker: '27.0.1' };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/* Starts xcelsiord (test environment) and Chromium. Returns the harness: base URL, api/ok, newPage,
 * the recorded errors and foreign requests, and stop(). */
export async function startHarness(name) {
  assert.ok(existsSync(BIN), `xcelsiord binary not found at ${BIN} (set XC_BUILD_DIR)`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const h = { pageErrors: [], consoleErrors: [], foreign: [], log: '' };
  h.dir = mkdtempSync(join(tmpdir(), `xc-e2e-${name}-`));
  const port = await freePort();
  h.base = `http://127.0.0.1:${port}`;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('XCELSIOR_')) env[k] = v;
  Object.assign(env, { XCELSIOR_ENV: 'test', XCELSIOR_RATE_LIMIT_REQUESTS: '1000000', XCELSIOR_LOG_LEVEL: 'warn', XCELSIOR_SWEEP_INTERVAL: '0' });
  h.server = spawn(BIN, ['--host', '127.0.0.1', '--port', String(port), '--db', join(h.dir, 'x.db')],
    { cwd: h.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  h.server.stdout.on('data', (d) => { h.log += d; });
  h.server.stderr.on('data', (d) => { h.log += d; });
  const t0 = Date.now();
  for (;;) {
    if (h.server.exitCode !== null) throw new Error('xcelsiord exited early:\n' + h.log);
    try { const r = await fetch(h.base + '/healthz'); if (r.ok) break; } catch { /* not up yet */ }
    if (Date.now() - t0 > 10000) throw new Error('xcelsiord did not become healthy:\n' + h.log);
    await sleep(100);
  }
  h.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  h.api = async (method, path, body, token) => {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(h.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  h.ok = async (method, path, body, token) => {
    const r = await h.api(method, path, body, token);
    assert.equal(r.status, 200, `${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  /* A fresh context (its own storage) whose page records errors and foreign requests. */
  h.newPage = async (role) => {
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    await context.addInitScript((r) => { localStorage.setItem('xc.role', r); }, role);
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    page.on('pageerror', (e) => h.pageErrors.push(String(e && e.stack || e)));
    page.on('console', (m) => { if (m.type() === 'error') h.consoleErrors.push({ text: m.text(), url: m.location().url || '' }); });
    page.on('request', (rq) => { const u = rq.url(); if (!u.startsWith(h.base + '/') && !u.startsWith('data:')) h.foreign.push(u); });
    return { context, page };
  };
  h.stop = async () => {
    if (h.browser) await h.browser.close().catch(() => {});
    if (h.server && h.server.exitCode === null) {
      h.server.kill('SIGTERM');
      await Promise.race([new Promise((r) => h.server.once('exit', r)), sleep(3000)]);
      if (h.server.exitCode === null) h.server.kill('SIGKILL');
    }
    if (h.dir) rmSync(h.dir, { recursive: true, force: true });
  };
  return h;
}
