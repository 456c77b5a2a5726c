// Browser end-to-end test of the XCELSIOR dashboard (GET /dashboard, domain.md §28).
//
// Starts the real xcelsiord on a free port with a throw-away database, drives Debian's Chromium
// through playwright-core (no browser download) and checks the page against the running API.
//
//   XC_BUILD_DIR   build directory holding xcelsiord (default /work/main/build), or the binary itself
//   XC_CHROMIUM    browser executable (default /usr/bin/chromium)
//
// Run: tests/e2e/run.sh   (or: cd tests/e2e && node --test)

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
const ADMITTED_VERSIONS = { runc: '1.2.4', nvidia_ctk: '1.17.8', nvidia_driver: '560.35.03', docker: '27.0.1' };
const TAB_LABELS = ['Overview', 'GPU Telemetry', 'Trust & Verification', 'Billing & Fund', 'My Earnings', 'Event Log'];
const XSS = '<img src=x onerror=alert(1)>';

let server, serverLog = '', base, dir, browser, context, page;
const pageErrors = [];
const dialogs = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Waits until the row for a host/job is present with the given status (data-status attribute). */
async function waitRowStatus(kind, id, status, timeout = 8000) {
  const sel = kind === 'host' ? `#hosts-body tr[data-host-id="${id}"]` : `#jobs-body tr[data-job-id="${id}"]`;
  await page.waitForFunction(([s, st]) => {
    const tr = document.querySelector(s);
    return !!tr && tr.dataset.status === st && !!tr.querySelector(`.pill[data-status="${st}"]`);
  }, [sel, status], { timeout });
  return page.locator(sel);
}

before(async () => {
  assert.ok(existsSync(BIN), `xcelsiord binary not found at ${BIN} (set XC_BUILD_DIR)`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'xc-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('XCELSIOR_')) env[k] = v;
  Object.assign(env, { XCELSIOR_ENV: 'test', XCELSIOR_RATE_LIMIT_REQUESTS: '1000000', XCELSIOR_LOG_LEVEL: 'warn' });
  // cwd = the temp dir, so no stray ./.env is picked up.
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
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
  page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack || e)));
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

test('GET /dashboard serves one self-contained page with the required strings', async () => {
  const r = await api('GET', '/dashboard');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') || '', /^text\/html/);
  const html = r.text;
  for (const s of ['XCELSIOR', 'Hosts', 'Jobs', 'Submit Job', 'Marketplace', 'Billing', 'Telemetry', ...TAB_LABELS]) {
    assert.ok(html.includes(s), `page must contain the literal string ${JSON.stringify(s)}`);
  }
  assert.match(html, /modal/i);
  assert.match(html, /<title>[^<]*XCELSIOR[^<]*<\/title>/);
  assert.ok(html.includes("EventSource('/api/stream')"), 'live updates use EventSource(\'/api/stream\')');
  // Self-contained: no external scripts, styles or fonts.
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+rel=["']?stylesheet/i);
  assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}\//i);
  // API data is never rendered through innerHTML.
  assert.doesNotMatch(html, /\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=|document\.write/);
});

test('first visit shows the role onboarding dialog, then the six tabs', async () => {
  await page.goto(base + '/dashboard');
  assert.match(await page.title(), /XCELSIOR/);
  const onboard = page.locator('#onboard-modal');
  await onboard.waitFor({ state: 'visible' });
  for (const role of ['GPU Provider', 'Job Submitter', 'Admin']) {
    assert.equal(await onboard.getByRole('button', { name: new RegExp(role) }).count(), 1, `role ${role}`);
  }
  await onboard.getByRole('button', { name: /Admin/ }).click();
  await onboard.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => localStorage.getItem('xc.role')), 'admin');
  const labels = (await page.locator('nav.tabs [role=tab]').allTextContents()).map((s) => s.trim());
  assert.deepEqual(labels, TAB_LABELS);
  for (const name of TAB_LABELS) assert.equal(await page.getByRole('tab', { name, exact: true }).count(), 1, name);
  // Live stream connected.
  await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'live');
  // Reload: the onboarding dialog does not come back.
  await page.reload();
  await page.locator('#hosts-card').waitFor();
  await sleep(300);
  assert.equal(await page.locator('#onboard-modal').isVisible(), false);
});

test('+ Add Host modal registers a host that shows as pending', async () => {
  await page.getByRole('button', { name: '+ Add Host' }).first().click();
  const modal = page.locator('#add-host-modal');
  await modal.waitFor({ state: 'visible' });
  await modal.locator('input[name=host_id]').fill('ui-host-1');
  await modal.locator('input[name=ip]').fill('127.0.0.21');
  await modal.locator('input[name=gpu_model]').fill('RTX 4090');
  await modal.locator('input[name=total_vram_gb]').fill('24');
  await modal.locator('input[name=cost_per_hour]').fill('0.45');
  await page.screenshot({ path: join(OUT, 'modal-add-host.png') });
  await modal.getByRole('button', { name: 'Register host' }).click();
  await modal.locator('#add-host-done').waitFor({ state: 'visible' });
  assert.match(await modal.locator('#add-host-done').innerText(), /ui-host-1/);
  assert.match(await modal.locator('#add-host-done code').innerText(), /^xh-/, 'agent token shown once');
  await modal.getByRole('button', { name: 'Done' }).click();
  await modal.waitFor({ state: 'hidden' });
  const row = await waitRowStatus('host', 'ui-host-1', 'pending');
  const text = await row.innerText();
  assert.match(text, /pending/);
  assert.match(text, /RTX 4090/);
  assert.match(text, /\$0\.45/, 'money shown with 2 decimals');
  assert.match(text, /CA · ON/);
  const r = await api('GET', '/hosts?active_only=false');
  const h = r.json.hosts.find((x) => x.host_id === 'ui-host-1');
  assert.equal(h.status, 'pending');
  assert.equal(h.admitted, false);
});

let jobId;
test('+ Submit Job modal (tier + trust tier) queues a job', async () => {
  await page.getByRole('button', { name: '+ Submit Job' }).click();
  const modal = page.locator('#submit-job-modal');
  await modal.waitFor({ state: 'visible' });
  // Tier and trust-tier choices come from the API (GET /tiers) or the published defaults.
  const tiers = await modal.locator('select[name=tier] option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(tiers, ['free', 'standard', 'premium', 'urgent']);
  const trust = await modal.locator('input[name=trust_tier]').evaluateAll((is) => is.map((i) => i.value));
  assert.deepEqual(trust, ['community', 'residency', 'sovereignty', 'regulated']);
  await modal.locator('input[name=name]').fill('llama3-finetune');
  await modal.locator('input[name=vram_needed_gb]').fill('16');
  await modal.locator('select[name=tier]').selectOption('premium');
  await modal.locator('label[for=tt-community]').click();
  await page.screenshot({ path: join(OUT, 'modal-submit-job.png') });
  await modal.getByRole('button', { name: 'Submit Job' }).click();
  await modal.waitFor({ state: 'hidden' });
  const r = await api('GET', '/jobs');
  const job = r.json.jobs.find((j) => j.name === 'llama3-finetune');
  assert.ok(job, 'job created on the server');
  assert.equal(job.tier, 'premium');
  assert.equal(job.trust_tier, 'community');
  jobId = job.job_id;
  const row = await waitRowStatus('job', jobId, 'queued');
  const text = await row.innerText();
  assert.match(text, /llama3-finetune/);
  assert.match(text, /Premium/);
  assert.match(text, /16 GB/);
});

test('a host registered through the API appears live over SSE, without a reload', async () => {
  await page.evaluate(() => { window.__noReload = 'still-here'; });
  const evBefore = await page.evaluate(() => document.querySelectorAll('#ev-rows tr').length);
  const r = await api('PUT', '/host', {
    host_id: 'live-host-1', ip: '127.0.0.31', gpu_model: 'A100', total_vram_gb: 80, free_vram_gb: 80, cost_per_hour: 1.5,
    country: 'CA', province: 'QC', versions: ADMITTED_VERSIONS,
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.host.status, 'active');
  const row = await waitRowStatus('host', 'live-host-1', 'active', 5000);
  assert.match(await row.innerText(), /Admitted/);
  assert.equal(await page.evaluate(() => window.__noReload), 'still-here', 'page was not reloaded');
  // The Event Log recorded the stream event (newest first).
  await page.waitForFunction((n) => document.querySelectorAll('#ev-rows tr').length > n, evBefore);
  const types = await page.locator('#ev-rows tr').evaluateAll((trs) => trs.slice(0, 6).map((t) => t.dataset.type));
  assert.ok(types.includes('host_update'), 'host_update in the event log: ' + types.join(','));
});

test('HTML in API data is rendered as text (no element injected)', async () => {
  const r = await api('PUT', '/host', { host_id: 'xss-host', ip: '127.0.0.66', gpu_model: XSS, total_vram_gb: 8, free_vram_gb: 8 });
  assert.equal(r.status, 200, r.text);
  const row = await waitRowStatus('host', 'xss-host', 'pending', 5000);
  assert.equal(await row.locator('.gpu-model').textContent(), XSS);
  assert.equal(await page.locator('img').count(), 0, 'no <img> element may be created from data');
  // Visit every tab so that every renderer sees the hostile host.
  for (const name of TAB_LABELS) { await page.getByRole('tab', { name, exact: true }).click(); await sleep(250); }
  await page.getByRole('tab', { name: 'Overview', exact: true }).click();
  assert.equal(await page.locator('img').count(), 0);
  assert.deepEqual(dialogs, [], 'no alert() fired');
});

test('Process queue assigns the job; job detail shows logs and can cancel it', async () => {
  await page.getByRole('button', { name: 'Process queue' }).click();
  await waitRowStatus('job', jobId, 'assigned', 5000);
  const row = page.locator(`#jobs-body tr[data-job-id="${jobId}"]`);
  assert.match(await row.innerText(), /live-host-1/);
  await row.getByRole('button', { name: 'Details' }).click();
  const modal = page.locator('#job-modal');
  await modal.waitFor({ state: 'visible' });
  assert.match(await modal.locator('#job-kv').innerText(), new RegExp(jobId));
  // Per-job log stream connects (fetch stream of /jobs/{id}/logs/stream).
  await page.waitForFunction(() => /streaming|snapshot/.test(document.querySelector('#log-state').textContent));
  await modal.getByRole('tab', { name: 'Audit trail' }).click();
  await modal.locator('#job-audit').getByText('job.submitted').first().waitFor();
  await modal.getByRole('button', { name: 'Cancel job' }).click();
  const confirm = page.locator('#confirm-modal');
  await confirm.waitFor({ state: 'visible' });
  await confirm.getByRole('button', { name: 'Cancel job' }).click();
  await page.waitForFunction(() => document.querySelector('#job-pill .pill')?.dataset.status === 'cancelled');
  await modal.getByRole('button', { name: 'Close', exact: true }).click();
  await waitRowStatus('job', jobId, 'cancelled', 5000);
  const j = await api('GET', '/job/' + jobId);
  assert.equal(j.json.job.status, 'cancelled');
});

test('job detail streams log lines live (fetch stream of /jobs/{id}/logs/stream)', async () => {
  const sub = await api('POST', '/job', { name: 'log-demo', vram_needed_gb: 4, tier: 'standard' });
  assert.equal(sub.status, 200, sub.text);
  const id = sub.json.job.job_id;
  const q = await api('POST', '/queue/process');
  const placed = (q.json.assigned || []).find((a) => a.job_id === id);
  assert.ok(placed, 'job placed: ' + q.text);
  const host = placed.host;
  assert.equal((await api('POST', '/agent/lease/claim', { host_id: host, job_id: id })).status, 200);
  assert.equal((await api('PATCH', '/job/' + id, { status: 'running', host_id: host })).status, 200);
  await waitRowStatus('job', id, 'running', 5000);
  await page.locator(`#jobs-body tr[data-job-id="${id}"]`).getByRole('button', { name: 'Details' }).click();
  const modal = page.locator('#job-modal');
  await modal.waitFor({ state: 'visible' });
  await page.waitForFunction(() => /streaming/.test(document.querySelector('#log-state').textContent));
  const r = await api('POST', '/agent/logs', { host_id: host, job_id: id, lines: [
    { line: 'epoch 1/3 loss=0.4213', level: 'info' }, { line: '<b>not bold</b>', level: 'warn' }] });
  assert.equal(r.status, 200, r.text);
  await modal.locator('#job-logs').getByText('epoch 1/3 loss=0.4213').waitFor({ timeout: 5000 });
  await modal.locator('#job-logs').getByText('<b>not bold</b>').waitFor();
  assert.equal(await modal.locator('#job-logs b').count(), 0, 'log lines are text');
  await page.screenshot({ path: join(OUT, 'job-detail.png') });
  await modal.getByRole('button', { name: 'Close', exact: true }).click();
  await modal.waitFor({ state: 'hidden' });
  assert.equal((await api('PATCH', '/job/' + id, { status: 'completed', host_id: host, exit_code: 0 })).status, 200);
  await waitRowStatus('job', id, 'completed', 5000);
});

test('GPU Telemetry shows per-host gauges from pushed telemetry', async () => {
  const r = await api('POST', '/agent/telemetry', {
    host_id: 'live-host-1',
    metrics: { utilization: 87, temp: 71, memory_used_gb: 61.5, memory_total_gb: 80, power_draw_w: 310, power_limit_w: 400, memory_errors: 0, ecc_errors_single: 2, ecc_errors_double: 0 },
  });
  assert.equal(r.status, 200, r.text);
  await page.getByRole('tab', { name: 'GPU Telemetry', exact: true }).click();
  const card = page.locator('.tcard[data-host-id="live-host-1"]');
  await card.waitFor({ timeout: 8000 });
  const t = await card.innerText();
  assert.match(t, /87%/);
  assert.match(t, /71°/);
  assert.match(t, /310W/);
  assert.match(t, /ECC errors/);
  await page.screenshot({ path: join(OUT, 'telemetry.png') });
});

test('routes that are not implemented yet degrade to "Not available", never break the page', async () => {
  for (const name of ['Trust & Verification', 'Billing & Fund', 'My Earnings', 'Overview']) {
    await page.getByRole('tab', { name, exact: true }).click();
    await sleep(700);
    const panel = page.locator('main > .panel:not([hidden])');
    assert.equal(await panel.count(), 1);
    const text = await panel.innerText();
    assert.doesNotMatch(text, /Could not load|undefined|NaN|\[object Object\]/, `${name}: ${text.slice(0, 400)}`);
  }
  await page.getByRole('tab', { name: 'Overview', exact: true }).click();

  // Deterministic check: a second page where the optional routes answer the router's 404.
  const p2 = await context.newPage();
  const errs = [];
  p2.on('pageerror', (e) => errs.push(String(e)));
  const missing = /\/(billing|marketplace|spot-prices|autoscale\/pool|api\/(pricing|billing|telemetry|reputation|trust-tiers|verified-hosts)|canada)(\/|\?|$)/;
  await p2.route((url) => missing.test(url.pathname + url.search), (route) => route.fulfill({
    status: 404, contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ ok: false, error: { code: 'not_found', message: 'Not found: ' + new URL(route.request().url()).pathname } }),
  }));
  await p2.goto(base + '/dashboard#overview');
  const na = async (sel) => p2.locator(sel).getByText('Not available', { exact: true }).waitFor({ timeout: 5000 });
  for (const sel of ['#market-body', '#revenue-body', '#spot-body', '#pool-body']) await na(sel);
  await p2.locator('#hosts-body tr[data-host-id="live-host-1"]').waitFor();   // core tables still work
  await p2.getByRole('tab', { name: 'GPU Telemetry', exact: true }).click();
  await na('#tele-body');
  await p2.getByRole('tab', { name: 'Trust & Verification', exact: true }).click();
  for (const sel of ['#leader-body', '#tiers-body']) await na(sel);
  assert.match(await p2.locator('#verif-body').innerText(), /live-host-1/);
  await p2.getByRole('tab', { name: 'Billing & Fund', exact: true }).click();
  for (const sel of ['#pricing-body', '#attest-body', '#billing-body']) await na(sel);
  await p2.locator('#estimate-form').getByRole('button', { name: 'Estimate' }).click();
  await na('#estimate-out');
  await p2.getByRole('tab', { name: 'My Earnings', exact: true }).click();
  await na('#earn-hosts');
  await p2.screenshot({ path: join(OUT, 'degraded.png') });
  await p2.close();
  assert.deepEqual(errs, [], 'no uncaught errors with missing routes');
});

test('Event Log is newest first and capped at 500 rows', async () => {
  await page.getByRole('tab', { name: 'Event Log', exact: true }).click();
  // Generate > 500 stream events: a host whose GPU model flips emits host_update on every PUT.
  for (let i = 0; i < 520; i++) {
    const r = await api('PUT', '/host', { host_id: 'churn-host', ip: '127.0.1.1', gpu_model: i % 2 ? 'RTX 3090' : 'RTX 3090 Ti', total_vram_gb: 24, free_vram_gb: 24 });
    assert.equal(r.status, 200);
  }
  await page.waitForFunction(() => document.querySelectorAll('#ev-rows tr').length === 500, null, { timeout: 15000 });
  await sleep(500);
  assert.equal(await page.locator('#ev-rows tr').count(), 500);
  assert.match(await page.locator('#ev-count').innerText(), /500/);
  // Newest first: the first row is the last update (and the stream order is preserved).
  const first = await page.locator('#ev-rows tr').first().innerText();
  assert.match(first, /host_update/);
  assert.match(first, /churn-host/);
  // The filter narrows the rows.
  await page.locator('#ev-cat').selectOption('job');
  const visible = await page.locator('#ev-rows tr:not([hidden])').count();
  assert.ok(visible < 500);
  await page.locator('#ev-cat').selectOption('');
});

test('screenshot of the overview; no uncaught page errors', async () => {
  await page.getByRole('tab', { name: 'Overview', exact: true }).click();
  await api('DELETE', '/host/churn-host');
  await api('POST', '/job', { name: 'sd-xl-render', vram_needed_gb: 12, tier: 'standard', trust_tier: 'residency' });
  await api('POST', '/job', { name: 'whisper-batch', vram_needed_gb: 8, tier: 'urgent' });
  await api('PUT', '/host', { host_id: 'gpu-rig-07', ip: '127.0.0.7', gpu_model: 'H100', gpu_count: 2, total_vram_gb: 160, free_vram_gb: 160, cost_per_hour: 3.5, country: 'CA', province: 'BC', versions: ADMITTED_VERSIONS });
  await api('POST', '/queue/process');
  await waitRowStatus('host', 'gpu-rig-07', 'active', 5000);
  // Let the throttled refetch replace the partial rows built from stream events.
  await page.waitForFunction(() => /160 GB/.test(document.querySelector('#hosts-body tr[data-host-id="gpu-rig-07"]')?.textContent || ''), null, { timeout: 8000 });
  await sleep(500);
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
  for (const [name, file] of [['Trust & Verification', 'trust'], ['Billing & Fund', 'billing'], ['My Earnings', 'earnings'], ['Event Log', 'events']]) {
    await page.getByRole('tab', { name, exact: true }).click();
    await sleep(600);
    await page.screenshot({ path: join(OUT, `tab-${file}.png`) });
  }
  await page.getByRole('tab', { name: 'Overview', exact: true }).click();
  await sleep(300);
  await page.evaluate(() => document.documentElement.dataset.theme = 'light');
  await page.screenshot({ path: join(OUT, 'dashboard-light.png'), fullPage: true });
  await page.evaluate(() => document.documentElement.dataset.theme = 'dark');
  await page.setViewportSize({ width: 420, height: 900 });
  await sleep(300);
  await page.screenshot({ path: join(OUT, 'dashboard-mobile.png') });
  await page.setViewportSize({ width: 1440, height: 900 });
  // Optional token field lives in the Account modal (sessionStorage, sent as Authorization: Bearer).
  await page.locator('#account-chip').click();
  const acct = page.locator('#account-modal');
  await acct.waitFor({ state: 'visible' });
  assert.equal(await acct.locator('#token-input').count(), 1);
  await acct.getByRole('button', { name: 'Close dialog' }).click();
  await acct.waitFor({ state: 'hidden' });
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(dialogs, []);
});
