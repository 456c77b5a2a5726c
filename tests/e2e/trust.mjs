// Browser end-to-end test of the dashboard's Trust & Verification tab (issue 12, user-facing side):
// trust tiers and their requirements, verified hosts with state, tier, compute score and reputation,
// one host's checks, jurisdiction record (edited by the operator, read-only for a provider) and SLA,
// the reputation leaderboard and the public transparency report with its CLOUD Act note. No page
// errors, no console errors from the tab's routes, no request leaves the server's origin.
// (tests/e2e/harness.mjs starts the server and the browser.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, GOOD } from './harness.mjs';

const PASSWORD = 'trust-pass-1';
const REPORT = { gpu_model: 'RTX 4090', total_vram_gb: 24, serial: 'GPU-SN-4090-001', cuda_version: '12.4', driver_version: '560.35.03',
  compute_capability: '8.9', pcie_bandwidth_gbps: 15.0, gpu_temp_celsius: 65, packet_loss_pct: 0.1, jitter_ms: 5, latency_ms: 12,
  throughput_mbps: 500, versions: GOOD };
const VETTED = { country: 'CA', province: 'ON', city: 'Toronto', data_center_name: 'TOR1', data_center_class: 'colocation',
  operator_name: 'Acme GPU Inc.', operator_incorporated_in: 'Canada', operator_registered_canada: true, foreign_control: false,
  sovereignty_vetted: true };
const HOST = 'rig-trust';
const TAB_ROUTES = /\/api\/(verify|verified-hosts|trust-tiers|jurisdiction|sla|transparency|reputation)\b|\/canada$/;

let h, base, api, ok, pageErrors, consoleErrors, foreign;
const newPage = (role) => h.newPage(role);

before(async () => {
  h = await startHarness('trust');
  ({ base, api, ok, pageErrors, consoleErrors, foreign } = h);

  // A host verified by its own measured report, with a benchmark and an attested, vetted record.
  const reg = await ok('PUT', '/host', { host_id: HOST, ip: '127.0.0.1', gpu_model: 'RTX 4090', total_vram_gb: 24, free_vram_gb: 24,
    country: 'CA', province: 'ON', versions: GOOD });
  if (reg.host.status !== 'active') await ok('POST', '/agent/versions', { host_id: HOST, versions: GOOD });
  const tok = reg.agent_token;
  assert.equal((await ok('POST', '/agent/verify', { host_id: HOST, report: REPORT }, tok)).state, 'verified');
  await ok('POST', '/agent/benchmark', { host_id: HOST, gpu_model: 'RTX 4090', score: 8.5, tflops: 82.6 }, tok);
  assert.equal((await ok('PUT', '/api/jurisdiction/hosts/' + HOST, VETTED)).trust_tier, 'sovereignty');
  const month = new Date().toISOString().slice(0, 7);
  await ok('POST', '/api/sla/enforce', { host_id: HOST, month });
  const lr = await ok('POST', '/api/transparency/legal-request', { request_type: 'subpoena', jurisdiction: 'CA', authority: 'Secret authority' });
  await ok('POST', `/api/transparency/legal-request/${lr.request_id}/respond`, { challenged: true });
});

after(async () => { if (h) await h.stop(); });

test('the operator sees tiers, verified hosts, checks, SLA and the transparency report, and edits the record', async () => {
  const { context, page } = await newPage('admin');
  await page.goto(base + '/dashboard');
  await page.locator('#tab-trust').click();

  // Trust tiers with their requirements.
  const tiers = page.locator('#tiers-body');
  await tiers.getByText('Canada Sovereignty').waitFor();
  assert.match(await tiers.textContent(), /Sovereignty vetted/);
  assert.match(await tiers.textContent(), /Audit trail/);

  // Verified hosts: state, trust tier and compute score.
  const row = page.locator(`#verif-body tr[data-host-id="${HOST}"]`);
  await row.locator('[data-status=verified]').waitFor();
  await row.getByText('Sovereignty').waitFor();
  await row.getByText(/XCU$/).waitFor();

  // The host's detail: seven passed checks, the attested record, the SLA.
  const body = page.locator('#trust-host-body');
  await body.locator('#th-verif tr[data-check]').first().waitFor();
  assert.equal(await body.locator('#th-verif tr[data-check]').count(), 7);
  assert.equal(await body.locator('#th-verif tr[data-check] [data-status=verified]').count(), 7);
  assert.match(await body.locator('#th-verif').textContent(), /673faa842221ce47/);
  assert.equal(await body.locator('#th-tier').textContent(), 'Sovereignty');
  assert.equal(await body.locator('#juris-form input[name=city]').inputValue(), 'Toronto');
  assert.match(await body.locator('#th-sla').textContent(), /30-day uptime100\.00%/);
  assert.match(await body.locator('#th-sla').textContent(), new RegExp(new Date().toISOString().slice(0, 7) + ' · 100\\.00%'));
  await body.locator('#th-rep').waitFor();

  // The operator adds the audit-trail capability: the host classifies as regulated.
  await body.locator('#juris-form input[name=supports_audit_trail]').check();
  await body.locator('#juris-form').getByRole('button', { name: 'Save record' }).click();
  await page.locator('#toasts .toast > b').getByText('Jurisdiction saved', { exact: true }).first().waitFor();
  await page.locator('#th-tier').getByText('Regulated', { exact: true }).waitFor();
  const rec = await ok('GET', '/api/jurisdiction/hosts/' + HOST);
  assert.equal(rec.jurisdiction.supports_audit_trail, true);
  assert.equal(rec.jurisdiction.city, 'Toronto');
  assert.equal(rec.trust_tier, 'regulated');

  // Bad input is shown, not saved.
  await page.locator('#juris-form input[name=country]').fill('CAN');
  await page.locator('#juris-form').getByRole('button', { name: 'Save record' }).click();
  await page.locator('#juris-err:not([hidden])').waitFor();
  assert.equal((await ok('GET', '/api/jurisdiction/hosts/' + HOST)).jurisdiction.country, 'CA');

  // Reject, then approve, from the dashboard.
  await page.locator('#verif-reject').click();
  await page.locator('#th-verif .sub-h [data-status=deverified]').waitFor();
  assert.match(await page.locator('#th-verif').textContent(), /Admin: Rejected from the dashboard/);
  await page.locator('#verif-approve').click();
  await page.locator('#th-verif .sub-h [data-status=verified]').waitFor();

  // Transparency report: the public summary and the CLOUD Act note, never the authority.
  const tr = page.locator('#transp-body');
  await tr.locator('#cloud-act-note').waitFor();
  assert.match(await tr.locator('#cloud-act-note').textContent(), /Canadian/);
  assert.match(await tr.locator('#transp-stats').textContent(), /Requests received1/);
  assert.match(await tr.locator('#transp-stats').textContent(), /Challenged1/);
  assert.match(await tr.textContent(), /Subpoena/);
  assert.equal((await page.content()).includes('Secret authority'), false);

  // Reputation: the leaderboard is real data.
  const rep = await api('GET', '/api/reputation/leaderboard');
  assert.equal(rep.status, 200);
  await page.locator('#leader-body').locator('table, .ph').first().waitFor();
  await context.close();
});

test('a signed-in provider reads the record but cannot edit it or act on verification', async () => {
  const email = 'tina.provider@example.com';
  const reg = await ok('POST', '/api/auth/register', { email, password: PASSWORD, role: 'provider' });
  // Its own host (users see their own hosts), with a record the operator attested.
  await ok('PUT', '/host', { host_id: 'rig-tina', ip: '127.0.0.1', gpu_model: 'RTX 4090', total_vram_gb: 24, free_vram_gb: 24,
    country: 'CA', province: 'ON', versions: GOOD }, reg.access_token);
  await ok('PUT', '/api/jurisdiction/hosts/rig-tina', VETTED);
  const { context, page } = await newPage('provider');
  await page.goto(base + '/dashboard');
  await page.locator('#account-chip').click();
  const acct = page.locator('#account-modal');
  await acct.locator('#login-form').waitFor({ state: 'visible' });
  await acct.locator('#login-form input[name=email]').fill(email);
  await acct.locator('#login-form input[name=password]').fill(PASSWORD);
  await acct.locator('#login-form').getByRole('button', { name: /sign in/i }).click();
  await page.locator('#toasts .toast > b').getByText('Signed in', { exact: true }).first().waitFor();
  await acct.getByRole('button', { name: 'Close dialog' }).click();
  await page.locator('#tab-trust').click();
  const juris = page.locator('#th-juris');
  await juris.waitFor();
  await juris.getByText('Toronto').waitFor();
  assert.equal(await page.locator('#juris-form').count(), 0);
  assert.equal(await page.locator('#verif-approve').count(), 0);
  await page.locator('#cloud-act-note').waitFor();
  await context.close();
});

test('no page errors, no foreign requests, and the tab routes fail only on purpose', async () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(foreign, []);
  const mine = consoleErrors.filter((e) => TAB_ROUTES.test(e.url));
  const left = mine
    .filter((e) => !(/\/api\/jurisdiction\/hosts\//.test(e.url) && /status of 422/.test(e.text))); // the bad country, on purpose
  assert.deepEqual(left.map((e) => e.text + ' @ ' + e.url), []);
});
