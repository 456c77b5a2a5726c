// Browser end-to-end test of the dashboard's own-money panels (issue 11 item 6, api.md §8.5, §8.7):
// a provider signs in, opens a provider account from My Earnings, and sees its earnings, payouts
// and GST/HST threshold status; customers sign in and see their own wallet, usage and invoices —
// never another customer's — and a card top-up in stub mode (no Stripe keys) says so plainly.
// (tests/e2e/harness.mjs starts the server and the browser.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, GOOD } from './harness.mjs';

const PASSWORD = 'earnings-pass-1';

let h, base, api, ok, pageErrors, consoleErrors;

async function register(email, role) {
  return ok('POST', '/api/auth/register', { email, password: PASSWORD, role });
}

/* A fresh browser context (its own sessionStorage) signed in through the account dialog. */
async function signIn(email, role) {
  const { context, page } = await h.newPage(role);
  await page.goto(base + '/dashboard');
  await page.locator('#account-chip').click();
  const acct = page.locator('#account-modal');
  await acct.locator('#login-form').waitFor({ state: 'visible' });
  await acct.locator('#login-form input[name=email]').fill(email);
  await acct.locator('#login-form input[name=password]').fill(PASSWORD);
  await acct.locator('#login-form').getByRole('button', { name: /sign in/i }).click();
  await page.locator('#toasts .toast > b').getByText('Signed in', { exact: true }).first().waitFor({ state: 'visible' });
  await acct.getByRole('button', { name: 'Close dialog' }).click();
  return { context, page };
}

before(async () => {
  h = await startHarness('earn');
  ({ base, api, ok, pageErrors, consoleErrors } = h);
});

after(async () => { if (h) await h.stop(); });

test('a provider opens its account from My Earnings and sees its earnings and GST/HST status', async () => {
  const email = 'grace.provider@example.com';
  const reg = await register(email, 'provider');
  const { context, page } = await signIn(email, 'provider');
  await page.locator('#tab-earnings').click();
  const form = page.locator('#provider-form');
  await form.waitFor({ state: 'visible' });
  await form.locator('select[name=province]').selectOption('ON');
  await form.getByRole('button', { name: 'Register as a provider' }).click();
  await page.locator('#toasts .toast > b').getByText('Provider account created', { exact: true }).first().waitFor();
  const me = await ok('GET', '/api/auth/me', undefined, reg.access_token);
  const pid = me.user.provider_id;
  assert.match(pid, /^prov-/);
  await page.locator('#prov-id').getByText(pid).waitFor();
  await page.locator('#gst-status').getByText(/Below threshold/).waitFor();

  // Its host runs one operator job for an hour of test-clock time: 1.20 CAD earned, then paid.
  const host = await ok('PUT', '/host', { host_id: 'rig-grace', ip: '127.0.0.1', gpu_model: 'A100', total_vram_gb: 80, free_vram_gb: 80,
    cost_per_hour: 1.5, country: 'CA', province: 'ON', versions: GOOD }, reg.access_token);
  if (host.host.status !== 'active') await ok('POST', '/agent/versions', { host_id: 'rig-grace', versions: GOOD });
  const jid = (await ok('POST', '/job', { name: 'earn', vram_needed_gb: 8 })).job.job_id;
  await ok('POST', '/queue/process');
  await ok('PATCH', '/job/' + jid, { status: 'running' });
  await ok('POST', '/api/test/clock', { advance_sec: 3600 });
  await ok('PATCH', '/job/' + jid, { status: 'completed' });
  await ok('POST', `/api/providers/${pid}/payout`, { reference: 'wire-e2e' });

  await page.reload();
  await page.locator('#tab-earnings[aria-selected=true]').waitFor();
  const totals = page.locator('#earn-totals');
  await totals.waitFor();
  await totals.getByText('$1.20').first().waitFor();
  assert.match(await totals.textContent(), /Earned\$1\.20/);
  assert.match(await totals.textContent(), /Paid out\$1\.20/);
  assert.match(await page.locator('#payouts-body').textContent(), /paid/i);
  assert.equal(await page.locator('#provider-form').count(), 0, 'no registration form once registered');
  await context.close();
});

test('customers see their own wallet, usage and invoices, and a stub-mode top-up is refused clearly', async () => {
  const a = await register('alice.customer@example.com', 'submitter');
  const b = await register('bob.customer@example.com', 'submitter');
  const ca = a.user.customer_id, cb = b.user.customer_id;
  await ok('POST', `/api/billing/wallet/${ca}/deposit`, { amount_cad: 25.5 });
  await ok('POST', `/api/billing/wallet/${cb}/deposit`, { amount_cad: 7 });

  const { context, page } = await signIn('alice.customer@example.com', 'submitter');
  await page.locator('#tab-billing').click();
  const stats = page.locator('#wallet-stats');
  await stats.waitFor();
  assert.equal(await stats.getAttribute('data-customer'), ca);
  assert.match(await stats.textContent(), /Available\$25\.50/);
  assert.equal(await page.locator('#wallet-cid').inputValue(), ca);
  assert.equal(await page.locator('#wallet-cid').evaluate((e) => e.readOnly), true, 'a customer cannot pick another customer');
  assert.equal(await page.locator('#wallet-owner').textContent(), ca);
  await page.locator('#wallet-out').getByText('deposit', { exact: true }).waitFor();
  await page.locator('#usage-stats').waitFor();
  await page.locator('#invoices-body').getByText('No invoices yet.').waitFor();
  const html = await page.content();
  assert.equal(html.includes(cb), false, "another customer's id appears nowhere");
  assert.equal(html.includes('$7.00'), false, "another customer's balance appears nowhere");

  // Stub mode: the server's message, plainly, and nothing credited.
  await page.locator('#topup-amount').fill('10');
  await page.locator('#topup-btn').click();
  const msg = page.locator('#topup-msg');
  await msg.waitFor();
  assert.match(await msg.textContent(), /Card payments are not available on this server\. .*Payments are not configured/);
  assert.equal((await ok('GET', `/api/billing/wallet/${ca}`, undefined, a.access_token)).wallet.balance_cad, 25.5);
  await context.close();

  const other = await signIn('bob.customer@example.com', 'submitter');
  await other.page.locator('#tab-billing').click();
  const s2 = other.page.locator('#wallet-stats');
  await s2.waitFor();
  assert.equal(await s2.getAttribute('data-customer'), cb);
  assert.match(await s2.textContent(), /Available\$7\.00/);
  const html2 = await other.page.content();
  assert.equal(html2.includes(ca), false);
  assert.equal(html2.includes('$25.50'), false);
  await other.context.close();
});

/* Other panels load operator routes a user may not read (403s that predate these panels); the
 * money panels' own routes fail only for the refused top-up. */
test('no page errors, and the money routes fail only for the refused top-up', async () => {
  assert.deepEqual(pageErrors, []);
  const mine = consoleErrors.filter((e) => /\/api\/(billing|providers)\//.test(e.url));
  const left = mine.filter((e) => !(/status of 503/.test(e.text) && /\/topup$/.test(e.url)));
  assert.ok(mine.length >= 1, 'the refused top-up was seen');
  assert.deepEqual(left.map((e) => e.text + ' @ ' + e.url), []);
});
