"""Black-box tests of the Stripe paths (api §8.5, §8.7) against a local fake Stripe
(tests/fakes/fake_stripe.py): Connect onboarding, payout transfers with an Idempotency-Key
derived from the payout ids, card top-ups (PaymentIntents) and the signed webhook, which credits a
wallet once per payment intent however often Stripe (or an attacker) replays it."""
import concurrent.futures
import hashlib
import json
import os
import random
import sqlite3
import sys
import time

import pytest
import requests

from conftest import start
from provider_world import World, event, sign

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fakes"))
from fake_stripe import FakeStripe  # noqa: E402

WHSEC = "whsec_test_" + "s" * 24


@pytest.fixture
def fake():
    with FakeStripe() as f:
        yield f


@pytest.fixture
def w(fake):
    s = start(env={"XCELSIOR_STRIPE_API_BASE": fake.url, "XCELSIOR_STRIPE_SECRET_KEY": fake.key,
                   "XCELSIOR_STRIPE_WEBHOOK_SECRET": WHSEC, "XCELSIOR_PUBLIC_URL": "https://xc.example/"})
    yield World(s)
    s.stop()


def test_register_creates_connect_account_and_onboarding_link(w, fake):
    tok, user = w.user("provider")
    reg = w.register_provider(tok, email="Payouts@Example.com", province="BC")
    pid = reg["provider_id"]
    assert "stripe_account_id" not in reg  # a real account id is never handed out
    (acct_req,) = fake.requests("/v1/accounts")
    assert acct_req["authorization"] == "Bearer " + fake.key and acct_req["idempotency_key"]
    assert acct_req["content_type"] == "application/x-www-form-urlencoded"
    assert acct_req["form"] == {"type": "express", "country": "CA", "email": "payouts@example.com",
                                "capabilities[transfers][requested]": "true"}
    recorded = json.loads(requests.get(fake.url + "/__requests", timeout=5).text)  # also over HTTP
    assert [x["path"] for x in recorded] == ["/v1/accounts", "/v1/account_links"]
    (link_req,) = fake.requests("/v1/account_links")
    form = link_req["form"]
    assert form["type"] == "account_onboarding" and form["account"].startswith("acct_")
    assert form["refresh_url"] == f"https://xc.example/dashboard?provider={pid}&onboarding=refresh"
    assert form["return_url"] == f"https://xc.example/dashboard?provider={pid}&onboarding=complete"
    assert link_req["idempotency_key"] and link_req["idempotency_key"] != acct_req["idempotency_key"]
    assert reg["onboarding_url"].startswith("https://connect.stripe.test/setup/e/" + form["account"])

    # account.updated with payouts enabled makes the provider active.
    body = event("account.updated", {"id": form["account"], "object": "account", "charges_enabled": False,
                                     "payouts_enabled": True})
    r = w.req("POST", "/api/providers/webhook", data=body, headers={"Stripe-Signature": sign(body, WHSEC)})
    assert r["handled"] is True and r["event_type"] == "account.updated"
    p = w.req("GET", "/api/providers/" + pid, token=tok)["provider"]
    assert p["status"] == "active" and p["onboarded_at"]
    body = event("account.updated", {"id": "acct_unknown", "object": "account", "payouts_enabled": True})
    r = w.req("POST", "/api/providers/webhook", data=body, headers={"Stripe-Signature": sign(body, WHSEC)})
    assert r["handled"] is False


def test_stripe_refusal_is_a_502_and_writes_nothing(w, fake):
    tok, _ = w.user("submitter")
    fake.fail_next("/v1/accounts", 400, message="Connect is not enabled for this platform", code="account_invalid")
    r = w.register_provider(tok, expect=502)
    assert r["error"]["message"] == "Payment provider error: Connect is not enabled for this platform"
    assert w.req("GET", "/api/providers")["count"] == 0 and w.me(tok)["provider_id"] is None
    assert w.register_provider(tok)["provider_id"]  # the retry succeeds


def test_wrong_key_is_reported_not_crashed(fake):
    s = start(env={"XCELSIOR_STRIPE_API_BASE": fake.url, "XCELSIOR_STRIPE_SECRET_KEY": "rk_live_wrong"})
    try:
        w = World(s)
        tok, _ = w.user("provider")
        r = w.register_provider(tok, expect=502)
        assert r["error"]["message"].startswith("Payment provider error: Invalid API Key provided")
        assert w.req("GET", "/api/providers")["count"] == 0
    finally:
        s.stop()


def test_unreachable_stripe_is_a_502(fake):
    s = start(env={"XCELSIOR_STRIPE_API_BASE": "http://127.0.0.1:9", "XCELSIOR_STRIPE_SECRET_KEY": fake.key})
    try:
        w = World(s)
        tok, user = w.user("submitter")
        r = w.req("POST", f"/api/billing/wallet/{user['customer_id']}/topup", token=tok, json={"amount_cad": 5},
                  expect=502)
        assert r["error"]["message"].startswith("Payment provider error:")
    finally:
        s.stop()


def test_payout_is_one_transfer_with_an_idempotency_key(w, fake):
    tok, _ = w.user("provider")
    pid = w.register_provider(tok)["provider_id"]
    w.host(tok, "sh-1")
    w.run_job("sh-1")
    w.run_job("sh-1")
    rows = w.earnings(pid)["recent_payouts"]
    ids = sorted(r["payout_id"] for r in rows)

    # The first transfer is refused: 502, and the rows go back to pending for the next call.
    fake.fail_next("/v1/transfers", 400, message="Insufficient funds in Stripe account", code="balance_insufficient")
    r = w.payout(pid, expect=502)
    assert r["error"]["message"] == "Payment provider error: Insufficient funds in Stripe account"
    assert all(p["status"] == "pending" for p in w.earnings(pid)["recent_payouts"])

    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        outs = [f.result() for f in [ex.submit(requests.post, f"{w.u}/api/providers/{pid}/payout", json={},
                                               timeout=30) for _ in range(3)]]
    bodies = [o.json() for o in outs]
    assert all(o.status_code == 200 for o in outs), bodies
    assert sum(b["paid"] for b in bodies) == 2
    done = next(b for b in bodies if b["paid"])
    ok_transfers = [t for t in fake.requests("/v1/transfers") if t["status"] == 200]
    assert len(ok_transfers) == 1
    t = ok_transfers[0]
    want_key = hashlib.sha256("".join(i + "\n" for i in ids).encode()).hexdigest()
    assert t["idempotency_key"] == want_key  # derived from the sorted payout ids, same as the refused try
    assert fake.requests("/v1/transfers")[0]["idempotency_key"] == want_key
    assert t["form"]["currency"] == "cad" and t["form"]["metadata[provider_id]"] == pid
    assert int(t["form"]["amount"]) == round(done["total_cad"] * 100)
    assert list(fake.accounts) == [t["form"]["destination"]]  # the provider's Connect account
    assert done["transfer_reference"].startswith("tr_")
    e = w.earnings(pid)["earnings"]
    assert e["paid_cad"] == done["total_cad"]


def test_topup_creates_a_payment_intent(w, fake):
    tok, user = w.user("submitter")
    cust = user["customer_id"]
    r = w.req("POST", f"/api/billing/wallet/{cust}/topup", token=tok, json={"amount_cad": 25.5, "currency": "CAD"})
    assert r["ok"] and r["payment_intent_id"].startswith("pi_") and r["client_secret"].startswith(r["payment_intent_id"])
    assert r["amount_cad"] == 25.5 and r["currency"] == "cad"
    (pi,) = fake.requests("/v1/payment_intents")
    assert pi["form"] == {"amount": "2550", "currency": "cad", "metadata[customer_id]": cust,
                          "automatic_payment_methods[enabled]": "true"}
    assert pi["idempotency_key"] and pi["authorization"] == "Bearer " + fake.key
    # Bad input: 4xx, and nothing reaches Stripe.
    for body, status in [({"amount_cad": 0}, 422), ({"amount_cad": -5}, 422), ({"amount_cad": 10000.01}, 422),
                         ({"amount_cad": "5"}, 422), ({}, 422), ({"amount_cad": 5, "currency": "usd"}, 422),
                         ({"amount_cad": 1.234}, 400)]:
        w.req("POST", f"/api/billing/wallet/{cust}/topup", token=tok, json=body, expect=status)
    w.req("POST", "/api/billing/wallet/bad!id/topup", token=tok, json={"amount_cad": 5}, expect=404)
    tok2, _ = w.user("submitter")
    w.req("POST", f"/api/billing/wallet/{cust}/topup", token=tok2, json={"amount_cad": 5}, expect=404)
    assert len(fake.requests("/v1/payment_intents")) == 1
    # Stripe's own refusal (below its minimum) is a 502 with Stripe's message.
    r = w.req("POST", f"/api/billing/wallet/{cust}/topup", token=tok, json={"amount_cad": 0.1}, expect=502)
    assert r["error"]["message"] == "Payment provider error: Amount must be at least $0.50 cad"
    assert w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]["balance_cad"] == 0.0


def test_topup_retried_with_an_idempotency_key_is_one_intent(w, fake):
    tok, user = w.user("submitter")
    cust = user["customer_id"]
    path = f"/api/billing/wallet/{cust}/topup"
    h = {"Idempotency-Key": "checkout-42"}
    a = w.req("POST", path, token=tok, json={"amount_cad": 20}, headers=dict(h))
    b = w.req("POST", path, token=tok, json={"amount_cad": 20}, headers=dict(h))
    assert a["payment_intent_id"] == b["payment_intent_id"]
    c = w.req("POST", path, token=tok, json={"amount_cad": 20}, headers={"Idempotency-Key": "checkout-43"})
    assert c["payment_intent_id"] != a["payment_intent_id"]
    # Another customer using the same key gets their own intent (keys are per customer).
    tok2, user2 = w.user("submitter")
    d = w.req("POST", f"/api/billing/wallet/{user2['customer_id']}/topup", token=tok2, json={"amount_cad": 20},
              headers=dict(h))
    assert d["payment_intent_id"] != a["payment_intent_id"]
    # The same key with another amount is Stripe's idempotency error, reported as such.
    r = w.req("POST", path, token=tok, json={"amount_cad": 21}, headers=dict(h), expect=502)
    assert "same parameters" in r["error"]["message"]
    for bad in ("", "x" * 65, "a b", "ü"):
        w.req("POST", path, token=tok, json={"amount_cad": 20}, headers={"Idempotency-Key": bad}, expect=400)


def _succeeded(cust, pi="pi_" + "a" * 24, amount=2500, currency="cad"):
    return event("payment_intent.succeeded", {"id": pi, "object": "payment_intent", "amount": amount,
                                              "amount_received": amount, "currency": currency,
                                              "metadata": {"customer_id": cust}, "status": "succeeded"})


def test_webhook_replayed_ten_times_credits_once(w):
    tok, user = w.user("submitter")
    cust = user["customer_id"]
    body = _succeeded(cust)
    hdr = {"Stripe-Signature": sign(body, WHSEC)}
    first = w.req("POST", "/api/providers/webhook", data=body, headers=hdr)
    assert first["handled"] is True and first["duplicate"] is False and first["event_type"] == "payment_intent.succeeded"
    with concurrent.futures.ThreadPoolExecutor(5) as ex:
        rs = list(ex.map(lambda _: requests.post(w.u + "/api/providers/webhook", data=body, headers=hdr, timeout=30),
                         range(9)))
    assert all(r.status_code == 200 and r.json()["handled"] and r.json()["duplicate"] for r in rs)
    assert all(r.json()["tx_id"] == first["tx_id"] for r in rs)
    wallet = w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]
    assert wallet["balance_cad"] == 25.0 and wallet["total_deposited_cad"] == 25.0
    txs = w.req("GET", f"/api/billing/wallet/{cust}/history", token=tok)["transactions"]
    assert [t["tx_type"] for t in txs] == ["deposit"]


def test_webhook_refuses_bad_signatures_and_credits_nothing(w):
    tok, user = w.user("submitter")
    cust = user["customer_id"]
    body = _succeeded(cust, pi="pi_" + "b" * 24)
    now = int(time.time())
    mac = sign(body, WHSEC, now).split("v1=")[1]
    bad = [sign(body, WHSEC, now - 301), sign(body, WHSEC, now + 301), sign(body, "whsec_forged"),
           sign(body, WHSEC, scheme="v0"), f"t={now}", f"v1={mac}", "garbage", "",
           f"t={now},v1={'0' * 64}", f"t=abc,v1={mac}"]
    for h in bad:
        r = w.req("POST", "/api/providers/webhook", data=body, headers={"Stripe-Signature": h}, expect=400)
        assert r["error"]["message"] == "Invalid signature", h
    w.req("POST", "/api/providers/webhook", data=body, expect=400)  # no header at all
    tampered = body.replace(b"2500", b"9500")
    w.req("POST", "/api/providers/webhook", data=tampered, headers={"Stripe-Signature": sign(body, WHSEC)},
          expect=400)
    assert w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]["balance_cad"] == 0.0
    # Several v1 candidates (a secret being rolled): any one that matches is enough.
    good = sign(body, WHSEC, now - 299)
    t, v1 = good.split(",")
    r = w.req("POST", "/api/providers/webhook", data=body,
              headers={"Stripe-Signature": f"{t},v1={'f' * 64},{v1},v0=deadbeef"})
    assert r["handled"] is True
    assert w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]["balance_cad"] == 25.0


def test_webhook_events_not_acted_on(w):
    tok, user = w.user("submitter")
    cust = user["customer_id"]
    for body, reason in [(_succeeded(cust, pi="pi_usd", currency="usd"), "payment intent not in CAD"),
                         (_succeeded("not a customer!", pi="pi_x"), "payment intent without a valid metadata.customer_id"),
                         (_succeeded(cust, pi="pi_zero", amount=0), "payment intent without a valid amount_received"),
                         (event("charge.refunded", {"id": "ch_1", "object": "charge"}), "Event type not handled")]:
        r = w.req("POST", "/api/providers/webhook", data=body, headers={"Stripe-Signature": sign(body, WHSEC)})
        assert r["handled"] is False and r["reason"] == reason, r
    for body in (b"not json", b'{"type":"payment_intent.succeeded"}', b"[]"):
        r = w.req("POST", "/api/providers/webhook", data=body, headers={"Stripe-Signature": sign(body, WHSEC)},
                  expect=400)
        assert r["error"]["message"] == "Invalid payload"
    assert w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]["balance_cad"] == 0.0


def test_transfer_in_flight_at_a_crash_completes_once_on_restart(fake):
    """The server dies after Stripe made the transfer but before the reply came back: on the next
    start the claimed rows are finished under the same Idempotency-Key (Stripe replays its
    result), so the money moved once and the rows are paid."""
    s = start(env={"XCELSIOR_STRIPE_API_BASE": fake.url, "XCELSIOR_STRIPE_SECRET_KEY": fake.key,
                   "XCELSIOR_STRIPE_WEBHOOK_SECRET": WHSEC})
    try:
        w = World(s)
        tok, _ = w.user("provider")
        pid = w.register_provider(tok)["provider_id"]
        w.host(tok, "crash-1")
        w.run_job("crash-1")
        fake.stall_next("/v1/transfers", 20)
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            pending = ex.submit(requests.post, f"{w.u}/api/providers/{pid}/payout", json={}, timeout=30)
            deadline = time.time() + 10
            while not fake.requests("/v1/transfers") and time.time() < deadline:
                time.sleep(0.05)
            assert fake.requests("/v1/transfers"), "the transfer never reached Stripe"
            s.kill9()
            with pytest.raises(requests.RequestException):
                pending.result()
        s.start()
        e = w.earnings(pid)
        assert [p["status"] for p in e["recent_payouts"] if p["kind"] == "settle"] == ["paid"], e
        sent = fake.requests("/v1/transfers")
        assert len(sent) == 2 and sent[0]["idempotency_key"] == sent[1]["idempotency_key"]
        assert len({t["idempotency_key"] for t in sent}) == 1
        assert e["earnings"]["paid_cad"] > 0
        assert "resumed transfer" in s.logs()
        assert w.payout(pid)["paid"] == 0  # nothing left to pay, nothing sent
        assert len(fake.requests("/v1/transfers")) == 2
    finally:
        s.stop()


def test_money_under_concurrent_load(w):
    """Many clients at once: card payments (each event sent three times, interleaved), operator
    deposits with references (each sent twice), wallet and history reads. Afterwards every wallet
    holds exactly its unique credits, its ledger sums to its totals, and the store is intact."""
    custs = []
    for _ in range(6):
        tok, user = w.user("submitter")
        custs.append((tok, user["customer_id"]))
    calls, want = [], {c: 0 for _, c in custs}
    for i in range(60):
        tok, cust = custs[i % len(custs)]
        cents = 100 + i
        if i % 2:
            body = _succeeded(cust, pi="pi_load%019d" % i, amount=cents)
            hdr = {"Stripe-Signature": sign(body, WHSEC), "Content-Type": "application/json"}
            calls += [("POST", "/api/providers/webhook", {"data": body, "headers": hdr})] * 3
        else:
            js = {"amount_cad": cents / 100, "reference": "ref-load-%d" % i}
            calls += [("POST", f"/api/billing/wallet/{cust}/deposit", {"json": js})] * 2
        want[cust] += cents
        calls.append(("GET", f"/api/billing/wallet/{cust}/history", {"headers": {"Authorization": "Bearer " + tok}}))
    random.Random(7).shuffle(calls)

    def go(c):
        method, path, kw = c
        r = requests.request(method, w.u + path, timeout=60, **kw)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text[:200]}"

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(go, calls))
    for tok, cust in custs:
        wal = w.req("GET", f"/api/billing/wallet/{cust}", token=tok)["wallet"]
        assert round(wal["balance_cad"] * 100) == want[cust], (cust, wal, want[cust])
        assert round(wal["total_deposited_cad"] * 100) == want[cust]
        txs = w.req("GET", f"/api/billing/wallet/{cust}/history?limit=500", token=tok)["transactions"]
        assert all(t["tx_type"] == "deposit" for t in txs) and len(txs) == 10
        assert round(sum(t["amount_cad"] for t in txs) * 100) == want[cust]
    db = sqlite3.connect(f"file:{w.server.db}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
