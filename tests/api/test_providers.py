"""Black-box tests of provider accounts and payouts in stub mode (api §8.7, domain §25.9): no
Stripe is configured, so registration hands out acct_stub_… and payouts only record a reference.
The Stripe-backed paths are in test_stripe.py."""
import concurrent.futures
import re
from decimal import ROUND_HALF_UP, Decimal


import pytest
import requests

from conftest import start
from provider_world import World

QC = Decimal("0.14975")  # GST 5 % + QST 9.975 %


def D(v):
    """A JSON number as the exact decimal it was rendered from (money is never a float here)."""
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def rhu(x):
    return x.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@pytest.fixture
def w():
    s = start()
    yield World(s)
    s.stop()


def test_onboarding_settlement_earnings_and_one_payout(w):
    tok, user = w.user("provider")
    w.host(tok, "ph-1", rate=1.5, province="ON")
    w.run_job("ph-1")  # before the provider account exists: the row waits with provider_id ''
    reg = w.register_provider(tok, province="qc", gst_hst_number="123 456 789 RT 0001", legal_name="Pat")
    pid = reg["provider_id"]
    assert re.fullmatch(r"prov-[0-9a-f]{32}", pid) and reg["status"] == "onboarding"
    assert reg["stripe_account_id"] == "acct_stub_" + pid[5:13]
    assert reg["onboarding_url"].endswith("/dashboard#provider=" + pid)
    me = w.me(tok)
    assert me["provider_id"] == pid and me["role"] == "provider"

    e = w.earnings(pid, token=tok)
    assert e["earnings"]["total_jobs"] == 1
    (row,) = e["recent_payouts"]
    assert row["provider_id"] == pid and row["status"] == "pending" and row["kind"] == "settle"
    # Metering counts real microseconds too: amounts are ~1 h at 1.50, checked by their relations.
    gross, fee, pay, gst = (D(row[k]) for k in ("gross_cad", "platform_fee_cad", "provider_payout_cad", "gst_hst_cad"))
    assert abs(gross - D("1.5")) < D("0.001") and fee == rhu(gross * D("0.2")) and pay == gross - fee
    assert gst == rhu(pay * QC)  # the provider's QC registration decides, not the host's ON

    w.run_job("ph-1")  # settled after registration: attached at once
    e = w.earnings(pid, token=tok)
    t = {k: D(v) for k, v in e["earnings"].items()}
    rows = e["recent_payouts"]
    assert t["total_jobs"] == 2 and len(rows) == 2 and all(r["provider_id"] == pid for r in rows)
    assert t["total_earned_cad"] == sum(D(r["provider_payout_cad"]) for r in rows)
    assert t["total_platform_cad"] == sum(D(r["platform_fee_cad"]) for r in rows)
    assert t["total_tax_cad"] == sum(D(r["gst_hst_cad"]) for r in rows)
    due = t["total_earned_cad"] + t["total_tax_cad"]
    assert t["pending_cad"] == due and t["paid_cad"] == 0

    # Four payout calls at once: the rows are paid exactly once.
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        rs = list(ex.map(lambda _: requests.post(f"{w.u}/api/providers/{pid}/payout", json={}, timeout=30), range(4)))
    bodies = [r.json() for r in rs]
    assert all(r.status_code == 200 for r in rs), bodies
    assert sum(b["paid"] for b in bodies) == 2, bodies
    transfer = due.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert sorted(D(b["total_cad"]) for b in bodies) == [0, 0, 0, transfer]
    paid = next(b for b in bodies if b["paid"])
    assert paid["transfer_reference"].startswith("stub-")

    e = w.earnings(pid, token=tok)
    t = {k: D(v) for k, v in e["earnings"].items()}
    assert t["paid_cad"] == transfer and t["pending_cad"] == due - transfer  # the carry stays pending
    assert t["total_earned_cad"] + t["total_tax_cad"] == t["paid_cad"] + t["pending_cad"]
    kinds = sorted((p["kind"], p["status"]) for p in e["recent_payouts"])
    assert kinds == ([("carry", "pending")] if due != transfer else []) + [("settle", "paid"), ("settle", "paid")]
    assert all(p["paid_at"] for p in e["recent_payouts"] if p["status"] == "paid")
    if due - transfer <= 0:
        assert w.payout(pid)["paid"] == 0  # nothing positive left: nothing written


def test_payout_with_explicit_ids_and_reference(w):
    tok, _ = w.user("provider")
    pid = w.register_provider(tok)["provider_id"]
    w.host(tok, "ph-2")
    w.run_job("ph-2")
    w.run_job("ph-2")
    rows = w.earnings(pid)["recent_payouts"]
    assert all(r["gst_hst_cad"] == 0.0 for r in rows)  # no GST/HST registration: nothing on top
    first = rows[-1]["payout_id"]
    out = w.payout(pid, payout_ids=[first], reference="wire-42")
    want = D(rows[-1]["provider_payout_cad"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert out["paid"] == 1 and D(out["total_cad"]) == want and out["transfer_reference"] == "wire-42"
    assert w.payout(pid, payout_ids=[first])["paid"] == 0  # already paid
    # Bad ids: 4xx and nothing written.
    assert w.payout(pid, expect=422, payout_ids=["nope"])["error"]["code"] == "validation_error"
    assert w.payout(pid, expect=422, payout_ids="PAY-x")["error"]["code"] == "validation_error"
    tok2, _ = w.user("provider")
    pid2 = w.register_provider(tok2)["provider_id"]
    w.payout(pid2, expect=404, payout_ids=[rows[0]["payout_id"]])  # another provider's row
    w.payout("prov-" + "0" * 32, expect=404)
    w.payout("not-a-provider", expect=404)
    pending = D(w.earnings(pid)["earnings"]["pending_cad"])
    assert pending == D(rows[0]["provider_payout_cad"]) + D(rows[-1]["provider_payout_cad"]) - want
    # Only admins pay.
    w.req("POST", f"/api/providers/{pid}/payout", token=tok, json={}, expect=403)


def test_register_rules(w):
    tok, _ = w.user("submitter")
    bad = [({"provider_type": "company"}, 400, "corporation_name required for company providers"),
           ({"provider_type": "company", "corporation_name": "  "}, 400, "corporation_name required for company providers"),
           ({"gst_hst_number": "garbage"}, 400, None), ({"gst_hst_number": "123456789RC0001"}, 400, None),
           ({"gst_hst_number": "12345678RT0001"}, 400, None), ({"business_number": "12345"}, 400, None),
           ({"business_number": "111111111", "gst_hst_number": "222222222RT0001"}, 400,
            "gst_hst_number does not belong to business_number"),
           ({"email": "not-an-email"}, 400, None), ({"province": "ZZ"}, 422, None),
           ({"provider_type": "corp"}, 422, None), ({"legal_name": "x" * 201}, 422, None)]
    for body, status, msg in bad:
        r = w.register_provider(tok, expect=status, **body)
        if msg:
            assert r["error"]["message"] == msg, r
    assert w.req("GET", "/api/providers")["count"] == 0  # nothing written
    assert w.me(tok)["role"] == "submitter"
    reg = w.register_provider(tok, provider_type="company", corporation_name="Acme GPU Inc.",
                              business_number="123456789", gst_hst_number="123456789rt0001", province="")
    p = w.req("GET", "/api/providers/" + reg["provider_id"], token=tok)["provider"]
    assert p["provider_type"] == "company" and p["corporation_name"] == "Acme GPU Inc."
    assert p["business_number"] == "123456789" and p["gst_hst_number"] == "123456789RT0001"
    assert p["country"] == "CA" and p["province"] == "" and p["default_currency"] == "cad"
    assert w.me(tok)["role"] == "provider"
    r = w.register_provider(tok, expect=409)
    assert r["error"]["message"] == "Provider account already exists"
    assert w.req("GET", "/api/providers")["count"] == 1
    assert w.req("GET", "/api/providers?status=active")["count"] == 0
    assert w.req("GET", "/api/providers?status=onboarding")["providers"][0]["provider_id"] == reg["provider_id"]
    w.req("GET", "/api/providers?status=bogus", expect=422)
    # Providers are for users only (U): the operator is refused even in test.
    w.req("POST", "/api/providers/register", json={}, expect=401)


def test_provider_routes_are_private(w):
    tok_a, _ = w.user("provider")
    tok_b, _ = w.user("submitter")
    pid = w.register_provider(tok_a)["provider_id"]
    for path in (f"/api/providers/{pid}", f"/api/providers/{pid}/earnings"):
        r = w.req("GET", path, token=tok_b, expect=404)
        assert r["error"]["message"] == f"Provider {pid} not found"
        w.req("GET", path, token=tok_a)
        w.req("GET", path)  # anonymous is the operator in test
    w.req("POST", f"/api/providers/{pid}/incorporation", token=tok_b, json={"file_id": "f"}, expect=404)
    w.req("GET", "/api/providers", token=tok_a, expect=403)
    w.req("GET", "/api/providers/prov-" + "1" * 32, expect=404)
    w.req("GET", "/api/providers/prov-" + "1" * 32 + "/earnings", expect=404)


def test_incorporation_review(w):
    tok, _ = w.user("provider")
    pid = w.register_provider(tok, provider_type="company", corporation_name="Acme")["provider_id"]
    r = w.req("POST", f"/api/providers/{pid}/incorporation/approve", expect=400)
    assert "incorporation document" in r["error"]["message"]
    w.req("POST", f"/api/providers/{pid}/incorporation", token=tok, json={}, expect=422)
    r = w.req("POST", f"/api/providers/{pid}/incorporation", token=tok, json={"file_id": "file-123"})
    assert r == {"ok": True, "provider_id": pid, "incorporation_file_id": "file-123", "review_status": "pending"}
    w.req("POST", f"/api/providers/{pid}/incorporation/approve", token=tok, expect=403)
    r = w.req("POST", f"/api/providers/{pid}/incorporation/approve")
    assert r == {"ok": True, "provider_id": pid, "review_status": "approved"}
    p = w.req("GET", f"/api/providers/{pid}", token=tok)["provider"]
    assert p["incorporation_file_id"] == "file-123" and p["incorporation_review_status"] == "approved"
    w.req("POST", "/api/providers/prov-" + "2" * 32 + "/incorporation/approve", expect=404)


def test_payments_without_stripe(w):
    tok, user = w.user("submitter")
    r = w.req("POST", f"/api/billing/wallet/{user['customer_id']}/topup", token=tok, json={"amount_cad": 25},
              expect=503)
    assert r["error"]["message"] == "Payments are not configured: ask the operator for a deposit"
    assert w.req("GET", f"/api/billing/wallet/{user['customer_id']}/history", token=tok)["transactions"] == []
    r = w.req("POST", "/api/providers/webhook", data=b'{"type":"payment_intent.succeeded"}')
    assert r == {"ok": True, "handled": False, "reason": "Stripe not enabled"}


def test_gst_threshold_of_a_provider(w):
    tok, _ = w.user("provider")
    pid = w.register_provider(tok)["provider_id"]
    r = w.req("GET", f"/api/billing/gst-threshold/{pid}", token=tok)
    assert r == {"ok": True, "provider_id": pid, "exceeded": False, "total_payouts_cad": 0.0, "threshold_cad": 30000.0,
                 "must_register_gst": False, "message": "Below threshold ($0.00 / $30,000).",
                 "simplified_regime_eligible": True}
    w.host(tok, "ph-g", rate=1000)  # 40 h at 1000 CAD an hour pays the provider 32 000
    w.run_job("ph-g", seconds=40 * 3600)
    r = w.req("GET", f"/api/billing/gst-threshold/{pid}", token=tok)
    assert r["exceeded"] is True and r["must_register_gst"] is True and r["total_payouts_cad"] > 30000
    assert r["message"] == "Provider should register for GST/HST \u2014 payouts exceed $30,000."
    tok2, _ = w.user("submitter")
    w.req("GET", f"/api/billing/gst-threshold/{pid}", token=tok2, expect=404)
    w.req("GET", "/api/billing/gst-threshold/prov-" + "3" * 32, expect=404)


def test_refund_clawback_is_the_providers(w):
    """A refund of a job on a provider's host writes one negative payout row owned by the provider
    (§25.9), with its GST/HST; earnings net it out and a second refund call adds nothing."""
    tok, _ = w.user("provider")
    w.host(tok, "ph-claw", rate=2.0, province="ON")
    pid = w.register_provider(tok, gst_hst_number="123456789RT0001")["provider_id"]
    jid = w.run_job("ph-claw")
    body = {"job_id": jid, "exit_code": -1, "failure_reason": "hardware failure"}
    first = w.req("POST", "/api/billing/refund", json=body)
    assert first["refund"] is True and first["is_host_fault"] is True, first
    again = w.req("POST", "/api/billing/refund", json=body)
    assert again["already_refunded"] is True
    rows = w.earnings(pid, token=tok)["recent_payouts"]
    settle = next(r for r in rows if r["kind"] == "settle")
    (claw,) = [r for r in rows if r["kind"] == "clawback"]
    assert claw["provider_id"] == pid and claw["status"] == "pending" and claw["job_id"] == jid
    assert D(claw["gross_cad"]) < 0 and D(claw["provider_payout_cad"]) < 0 and D(claw["gst_hst_cad"]) < 0
    # A full host-fault refund takes back the whole payout and its tax.
    assert D(claw["provider_payout_cad"]) == -D(settle["provider_payout_cad"])
    assert D(claw["gst_hst_cad"]) == -D(settle["gst_hst_cad"])
    t = {k: D(v) for k, v in w.earnings(pid, token=tok)["earnings"].items()}
    assert t["pending_cad"] == 0 and t["total_earned_cad"] == 0
