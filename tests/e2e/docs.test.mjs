// Browser test of the API reference (GET /docs, issue 9): the page renders the generated
// OpenAPI document (GET /openapi.json) with the vendored viewer, in headless Chromium, loading
// nothing from outside the server and logging no console error.
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

let server, serverLog = '', base, dir, browser, page;
const consoleErrors = [], pageErrors = [], foreign = [], failed = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

before(async () => {
  assert.ok(existsSync(BIN), `xcelsiord binary not found at ${BIN} (set XC_BUILD_DIR)`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'xc-docs-'));
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
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack || e)));
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  // Same-origin only: the server's own URLs, blobs it made (the viewer's workers) and data: URIs.
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('blob:' + base) && !u.startsWith('data:')) foreign.push(u);
  });
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

test('GET /docs renders the generated OpenAPI document without console errors', async () => {
  const doc = await (await fetch(base + '/openapi.json')).json();
  const res = await page.goto(base + '/docs', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'] || '', /^text\/html/);
  // The viewer renders the document's title and an entry for the operations.
  await page.getByText(doc.info.title).first().waitFor();
  await page.getByText('Download OpenAPI description').first().waitFor();
  await page.waitForLoadState('networkidle');
  await sleep(500); // let late renders log whatever they log
  await page.screenshot({ path: join(OUT, 'docs.png') });
  const text = await page.evaluate(() => document.body.innerText);
  // Every tag of the document gets its section, listing its operations' paths.
  const tags = new Set(Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags)));
  for (const tag of tags) assert.ok(text.includes(tag), `the rendered page lacks the section "${tag}"`);
  for (const path of ['/healthz', '/openapi.json', '/host/{host_id}', '/hosts/check'])
    assert.ok(text.includes(path), `the rendered page lacks "${path}"`);
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  assert.deepEqual(consoleErrors, [], 'console errors');
  assert.deepEqual(failed, [], 'failed requests');
  assert.deepEqual(foreign, [], 'requests outside the server (no CDN)');
});
