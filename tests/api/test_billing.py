"""Black-box tests of the billing routes (api §7.2, §7.3, §8.5; domain §25): records, revenue,
wallets, escrow, invoices, refunds, CAF export, attestation, pricing — including bad input and
idempotency under concurrent double submission."""
import concurrent.futures
import datetime
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from xcserver import Server  # noqa: E402

GOOD = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "560.35.03", "docker": "27.0.1"}
CUST = "cust-" + "a" * 32
CUST2 = "cust-" + "b" * 32
CUTOFF = 1806537600  # 2027-04-01T00:00:00Z


@pytest.fixture
def srv():
    with Server(env={"XCELSIOR_RATE_LIMIT_REQUESTS": "1000000"}) as s:
        yield s


class Api:
    def __init__(self, s):
        self.u = s.url

    def req(self, method, path, expect=200, **kw):
        r = requests.request(method, self.u + path, timeout=10, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.headers.get("Content-Type", "").startswith("application/json") else r

    def host(self, hid, model="A100", vram=80, rate=1.5, country="CA", province="ON"):
        return self.req("PUT", "/host", json={"host_id": hid, "ip": "127.0.0.1", "gpu_model": model,
                                              "total_vram_gb": vram, "free_vram_gb": vram, "cost_per_hour": rate,
                                              "country": country, "province": province, "versions": GOOD})["host"]

    def job(self, name="j", vram=8, owner=None, **kw):
        body = {"name": name, "vram_needed_gb": vram, **kw}
        if owner:
            body["owner"] = owner
        return self.req("POST", "/job", json=body)["job"]["job_id"]

    def process(self):
        return self.req("POST", "/queue/process")["assigned"]

    def status(self, jid, st, expect=200, **kw):
        return self.req("PATCH", f"/job/{jid}", json={"status": st, **kw}, expect=expect)

    def clock(self, sec):
        return self.req("POST", "/api/test/clock", json={"advance_sec": sec})

    def deposit(self, cust, amount, expect=200, **kw):
        return self.req("POST", f"/api/billing/wallet/{cust}/deposit", json={"amount_cad": amount, **kw},
                        expect=expect)

    def wallet(self, cust):
        return self.req("GET", f"/api/billing/wallet/{cust}")["wallet"]

    def history(self, cust, **q):
        return self.req("GET", f"/api/billing/wallet/{cust}/history", params=q)["transactions"]

    def records(self, **q):
        return self.req("GET", "/billing", params=q)["records"]

    def run(self, jid, seconds):
        self.status(jid, "running")
        self.clock(seconds)
        self.status(jid, "completed")


@pytest.fixture
def api(srv):
    return Api(srv)


# ---- records and revenue ----

def test_fresh_billing_is_empty(api):
    r = api.req("GET", "/billing")
    assert r["records"] == [] and r["total_revenue"] == 0
    rev = api.req("GET", "/billing/revenue")
    assert rev["currency"] == "CAD" and rev["records"] == 0 and rev["total_revenue"] == 0


def test_lifecycle_creates_one_record_with_premium_multiplier(api):
    api.host("h1", rate=1.0)
    jid = api.job("job-int", tier="premium")
    assert len(api.process()) == 1
    api.run(jid, 3600)
    recs = api.records(job_id=jid)
    assert len(recs) == 1
    rec = recs[0]
    assert rec["tier_multiplier"] == 1.5 and rec["rate_per_hour"] == 1.0
    assert abs(rec["cost"] - 1.5) < 0.001 and rec["final_status"] == "completed"
    assert rec["platform_cut"] == 0.2
    assert abs(rec["platform_fee"] + rec["host_payout"] - rec["cost"]) < 1e-9
    assert rec["is_canadian_compute"] is True and rec["country"] == "CA" and rec["province"] == "ON"
    b = api.req("POST", f"/billing/bill/{jid}")
    assert b["already_billed"] is True and b["bill"]["billing_id"] == rec["billing_id"]
    # repeating DONE changes nothing
    api.status(jid, "completed")
    assert len(api.records(job_id=jid)) == 1
    assert api.req("POST", "/billing/bill-all")["billed"] == 0
    rev = api.req("GET", "/billing/revenue")
    assert rev["records"] == 1 and rev["total_revenue"] == rec["cost"]
    assert rev["platform_revenue"] == rec["platform_fee"]


def test_bill_job_errors(api):
    assert api.req("POST", "/billing/bill/" + "0" * 32, expect=404)["error"]["code"] == "not_found"
    api.host("h1")
    jid = api.job("queued")
    r = api.req("POST", f"/billing/bill/{jid}", expect=400)
    assert "no finished attempt" in r["error"]["message"]
    assert api.req("POST", "/billing/bill/not-a-job", expect=404)["ok"] is False


def test_rate_captured_at_assignment(api):
    api.host("h1", rate=1.0)
    jid = api.job("cap")
    api.process()
    api.host("h1", rate=5.0)  # a later price change does not touch this job
    api.run(jid, 1800)
    rec = api.records(job_id=jid)[0]
    assert rec["rate_per_hour"] == 1.0 and abs(rec["cost"] - 0.5) < 0.001


def test_concurrent_double_completion_bills_once(api):
    api.host("h1", rate=1.5)
    api.deposit(CUST, 10)
    jid = api.job("dbl", owner=CUST)
    api.process()
    api.status(jid, "running")
    api.clock(1800)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        codes = [f.result().status_code for f in
                 [ex.submit(requests.patch, f"{api.u}/job/{jid}", json={"status": "completed"}) for _ in range(2)]]
    assert codes == [200, 200]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        bills = [f.result().json() for f in
                 [ex.submit(requests.post, f"{api.u}/billing/bill/{jid}") for _ in range(2)]]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        alls = [f.result().json() for f in [ex.submit(requests.post, f"{api.u}/billing/bill-all") for _ in range(2)]]
    assert bills[0]["bill"]["billing_id"] == bills[1]["bill"]["billing_id"]
    assert all(b["already_billed"] for b in bills) and all(a["billed"] == 0 for a in alls)
    assert len(api.records(job_id=jid)) == 1
    charges = [t for t in api.history(CUST) if t["tx_type"] == "charge"]
    assert len(charges) == 1
    w = api.wallet(CUST)
    assert w["held_cad"] == 0 and abs(w["balance_cad"] - 9.25) < 0.001 and abs(w["total_spent_cad"] - 0.75) < 0.001


def test_billing_query_validation(api):
    api.req("GET", "/billing?limit=0", expect=422)
    api.req("GET", "/billing?since=abc", expect=422)
    api.req("GET", "/billing/revenue?until=nope", expect=422)


# ---- wallets ----

def test_wallet_created_on_first_access(api):
    w = api.req("GET", "/api/billing/wallet/cust-new")["wallet"]
    assert w["customer_id"] == "cust-new" and w["balance_cad"] == 0.0 and w["status"] == "active"
    assert w["grace_until"] is None
    assert api.history("cust-new") == []


@pytest.mark.parametrize("amount", [0, -5, -0.000001, 100000.01, 1e300, "10", None, True])
def test_deposit_rejects_bad_amounts_and_writes_nothing(api, amount):
    r = api.deposit(CUST, amount, expect=422)
    assert r["error"]["code"] == "validation_error"
    assert api.history(CUST) == []
    assert api.wallet(CUST)["total_deposited_cad"] == 0.0


def test_deposit_bad_fields(api):
    api.req("POST", f"/api/billing/wallet/{CUST}/deposit", json={}, expect=422)
    api.deposit(CUST, 5, province="XX", expect=422)
    api.deposit(CUST, 5, reference="r" * 101, expect=422)
    api.deposit(CUST, 5, description="d" * 201, expect=422)
    api.req("POST", "/api/billing/wallet/bad!id/deposit", json={"amount_cad": 5}, expect=422)
    api.req("POST", f"/api/billing/wallet/{CUST}/deposit", data="[1,2]", expect=422)
    assert api.history(CUST) == []


def test_deposit_exact_decimal_and_history(api):
    for _ in range(10):
        api.deposit(CUST, 0.10)
    w = api.wallet(CUST)
    assert w["total_deposited_cad"] == 1.0 and w["balance_cad"] == 1.0
    h = api.history(CUST)
    assert len(h) == 10 and all(t["tx_type"] == "deposit" and t["amount_cad"] == 0.1 for t in h)
    assert len(api.history(CUST, limit=1)) == 1
    api.req("GET", f"/api/billing/wallet/{CUST}/history?limit=0", expect=422)
    r = api.deposit(CUST, 100.0, description="Test deposit")
    assert r["balance_cad"] == 101.0 and r["duplicate"] is False and r["tx_id"].startswith("TX-")
    assert api.history(CUST)[0]["description"] == "Test deposit"  # newest first


def test_deposit_reference_idempotent_under_concurrency(api):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        rs = [f.result().json() for f in [ex.submit(requests.post, f"{api.u}/api/billing/wallet/{CUST}/deposit",
                                                    json={"amount_cad": 25, "reference": "pi_123"}) for _ in range(8)]]
    assert all(r["ok"] for r in rs)
    assert sum(1 for r in rs if not r["duplicate"]) == 1
    assert len({r["tx_id"] for r in rs}) == 1
    assert api.wallet(CUST)["balance_cad"] == 25.0


def test_parallel_deposits_no_lost_updates(api):
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        list(ex.map(lambda _: requests.post(f"{api.u}/api/billing/wallet/{CUST}/deposit",
                                            json={"amount_cad": 1.00}).raise_for_status(), range(50)))
    assert api.wallet(CUST)["balance_cad"] == 50.0


def test_customer_profile_province(api):
    c = api.req("GET", f"/api/billing/customers/{CUST}")["customer"]
    assert c["province"] == "ON"
    api.req("PUT", f"/api/billing/customers/{CUST}", json={"province": "qc", "name": "Acme"})
    c = api.req("GET", f"/api/billing/customers/{CUST}")["customer"]
    assert c["province"] == "QC" and c["name"] == "Acme"
    api.req("PUT", f"/api/billing/customers/{CUST}", json={"province": "ZZ"}, expect=422)
    assert api.req("GET", f"/api/billing/customers/{CUST}")["customer"]["province"] == "QC"


# ---- escrow ----

def test_escrow_hold_settle_release(api):
    api.host("h1", rate=1.5)
    api.deposit(CUST, 10)
    jid = api.job("esc", owner=CUST)
    assert len(api.process()) == 1
    w = api.wallet(CUST)
    assert w["held_cad"] == 1.5 and w["balance_cad"] == 8.5
    api.run(jid, 1800)
    rec = api.records(job_id=jid)[0]
    assert abs(rec["cost"] - 0.75) < 0.001 and rec["owner"] == CUST
    w = api.wallet(CUST)
    assert w["held_cad"] == 0.0 and abs(w["balance_cad"] - 9.25) < 0.001
    kinds = [t["tx_type"] for t in api.history(CUST)]
    assert kinds[:3] == ["release", "charge", "hold"]


def test_escrow_cancel_while_assigned_releases_in_full(api):
    api.host("h1", rate=1.5)
    api.deposit(CUST, 10)
    jid = api.job("esc3", owner=CUST)
    api.process()
    api.status(jid, "cancelled")
    w = api.wallet(CUST)
    assert w["balance_cad"] == 10.0 and w["held_cad"] == 0.0
    assert api.records(job_id=jid) == []


def test_escrow_insufficient_funds_blocks_assignment(api):
    api.host("h1", rate=1.5)
    api.deposit(CUST, 1.0)
    jid = api.job("poor", owner=CUST)
    assert api.process() == []
    j = api.req("GET", f"/job/{jid}")["job"]
    assert j["status"] == "queued" and j["hold_reason"] == "insufficient_funds"
    assert api.wallet(CUST)["balance_cad"] == 1.0
    api.deposit(CUST, 5)
    assert len(api.process()) == 1


def test_host_lost_attempt_not_billed(api):
    api.host("h1", rate=1.5)
    api.deposit(CUST, 10)
    jid = api.job("lost", owner=CUST)
    api.process()
    api.status(jid, "running")
    api.clock(600)
    api.req("POST", "/failover", json={"host_id": "h1"})
    j = api.req("GET", f"/job/{jid}")["job"]
    assert j["status"] in ("queued", "assigned") and j["retries"] == 1
    rec = api.records(job_id=jid)[0]
    assert rec["failure_class"] == "host_lost" and rec["cost"] == 0 and rec["metered_cost"] > 0
    w = api.wallet(CUST)
    assert w["balance_cad"] + w["held_cad"] == 10.0 and w["total_spent_cad"] == 0


# ---- refunds ----

def test_refunds(api):
    r = api.req("POST", "/api/billing/refund", json={"job_id": "job-test-refund", "exit_code": -1,
                                                     "failure_reason": "hardware"})
    assert r == {"ok": True, "refund": False, "reason": "No usage record found"}
    api.req("POST", "/api/billing/refund", json={"job_id": "x"}, expect=422)
    api.req("POST", "/api/billing/refund", json={"job_id": "x", "exit_code": 2 ** 40}, expect=422)
    api.host("h1", rate=1.0)
    api.deposit(CUST, 10)
    jid = api.job("ref", owner=CUST)
    api.process()
    api.run(jid, 1800)
    bal = api.wallet(CUST)["balance_cad"]
    body = {"job_id": jid, "exit_code": -1, "failure_reason": "hardware failure"}
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        rs = [f.result().json() for f in [ex.submit(requests.post, f"{api.u}/api/billing/refund", json=body)
                                          for _ in range(2)]]
    first = [x for x in rs if not x["already_refunded"]]
    assert len(first) == 1 and first[0]["refund"] is True and first[0]["refund_percentage"] == 1.0
    assert first[0]["classification"] == "hardware_error" and first[0]["is_host_fault"] is True
    w = api.wallet(CUST)
    assert abs(w["balance_cad"] - bal - first[0]["refund_amount_cad"]) < 1e-9
    rev = api.req("GET", "/billing/revenue")
    assert rev["refunds"] == first[0]["refund_amount_cad"] and rev["net_revenue"] == 0


# ---- invoices and taxes ----

def one_half_hour_a100(api, cust=CUST):
    api.host("h1", rate=1.5)
    api.deposit(cust, 10)
    jid = api.job("inv", owner=cust)
    api.process()
    api.run(jid, 1800)
    return jid


def test_invoice_preview_taxes_by_province(api):
    inv = api.req("GET", f"/api/billing/invoice/{CUST}")["invoice"]
    assert inv["subtotal_cad"] == 0.0 and inv["line_items"] == [] and inv["status"] == "draft"
    assert inv["invoice_id"] is None and inv["tax_rate"] == 0.13
    one_half_hour_a100(api)
    qc = api.req("GET", f"/api/billing/invoice/{CUST}?province=QC")["invoice"]
    assert qc["subtotal_cad"] == 0.75 and qc["tax_cad"] == 0.11 and qc["total_cad"] == 0.86
    assert qc["taxes"] == [{"name": "GST", "rate": 0.05, "amount_cad": 0.04},
                           {"name": "QST", "rate": 0.09975, "amount_cad": 0.07}]
    assert qc["fund_eligible_reimbursement_cad"] == 0.5 and qc["effective_cost_after_fund_cad"] == 0.25
    assert qc["tax_description"] == "GST 5% + QST 9.975%"
    line = qc["line_items"][0]
    assert line["description"] == "GPU Compute: A100 (community tier)" and line["amount_cad"] == 0.75
    assert line["unit"] == "GPU-hours" and line["quantity"] == 0.5
    on = api.req("GET", f"/api/billing/invoice/{CUST}?province=on")["invoice"]
    assert on["tax_cad"] == 0.1 and on["total_cad"] == 0.85 and on["tax_rate"] == 0.13
    ab = api.req("GET", f"/api/billing/invoice/{CUST}?province=AB")["invoice"]
    assert ab["tax_rate"] == 0.05 and ab["tax_description"] == "GST 5% (no PST)"
    api.req("GET", f"/api/billing/invoice/{CUST}?province=XX", expect=422)
    api.req("GET", f"/api/billing/invoice/{CUST}?period_start=abc", expect=422)
    # the customer's profile province is the default
    api.req("PUT", f"/api/billing/customers/{CUST}", json={"province": "BC"})
    bc = api.req("GET", f"/api/billing/invoice/{CUST}")["invoice"]
    assert bc["province"] == "BC" and bc["tax_rate"] == 0.12


def test_invoices_issue_past_months_once(api):
    assert api.req("GET", f"/api/billing/invoices/{CUST}") == {"ok": True, "invoices": [], "count": 0}
    one_half_hour_a100(api)
    cur = api.req("GET", f"/api/billing/invoices/{CUST}")
    assert cur["count"] == 1 and cur["invoices"][0]["status"] == "draft"
    api.clock(32 * 86400)  # the usage month has ended
    lst = api.req("GET", f"/api/billing/invoices/{CUST}")
    inv = lst["invoices"][0]
    assert inv["invoice_id"] == "INV-000001" and inv["status"] == "issued"
    for k in ("period_start", "period_end", "total_cad", "subtotal_cad", "tax_cad", "tax_rate", "line_items",
              "caf_eligible_cad"):
        assert k in inv
    assert inv["subtotal_cad"] == 0.75 and inv["total_cad"] == 0.85
    again = api.req("GET", f"/api/billing/invoices/{CUST}")["invoices"][0]
    assert again["invoice_id"] == "INV-000001"
    full = api.req("GET", f"/api/billing/invoices/{CUST}/INV-000001")["invoice"]
    assert full["status"] == "issued" and full["subtotal_cad"] == 0.75 and full["tax_cad"] == 0.1
    api.req("GET", f"/api/billing/invoices/{CUST}/INV-999999", expect=404)
    taxes = [t for t in api.history(CUST) if t["description"] == "Sales tax for INV-000001"]
    assert len(taxes) == 1 and taxes[0]["tx_type"] == "charge" and taxes[0]["amount_cad"] == 0.1
    # a second customer's month gets the next number (issued by the sweep)
    jid = api.job("inv2", owner=CUST2)
    api.deposit(CUST2, 10)
    api.process()
    api.run(jid, 1800)
    api.clock(32 * 86400)
    api.req("POST", "/api/test/sweep")
    assert api.req("GET", f"/api/billing/invoices/{CUST2}")["invoices"][0]["invoice_id"] == "INV-000002"
    assert api.req("GET", f"/api/billing/invoices/{CUST}?limit=1")["count"] == 1
    api.req("GET", f"/api/billing/invoices/{CUST}?limit=61", expect=422)


# ---- usage, CAF, attestation ----

def test_usage(api):
    jid = one_half_hour_a100(api)
    u = api.req("GET", f"/api/billing/usage/{CUST}")
    assert u["job_count"] == 1 and u["hosts_used"] == 1 and u["currency"] == "CAD"
    assert abs(u["total_gpu_hours"] - 0.5) < 0.001 and u["canadian_compute_cad"] == u["total_cost_cad"]
    assert jid
    api.req("GET", f"/api/billing/usage/{CUST}?period_start=10&period_end=5", expect=422)


def fmt(ts):
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_caf_csv_byte_exact(api):
    now = api.clock(0)["now"]
    if now > CUTOFF - 40 * 86400:
        pytest.skip("the fund cut-off is too close to the server clock")
    api.deposit(CUST, 100)
    api.host("h1", model="RTX 4090", vram=24, rate=0.675, country="CA", province="ON")
    a1 = api.job("a1", owner=CUST)
    api.process()
    api.host("h2", model='A100 "80GB", SXM', vram=80, rate=1.5, country="US", province="")
    a2 = api.job("a2", owner=CUST)
    api.process()
    api.status(a1, "running")
    api.clock(1800)
    api.status(a2, "running")
    api.clock(1800)
    api.status(a1, "completed")
    api.status(a2, "completed")
    r1, r2 = api.records(job_id=a1)[0], api.records(job_id=a2)[0]
    start, end = int(now) - 60, int(now) + 7200
    resp = api.req("GET", f"/api/billing/export/caf/{CUST}?format=csv&period_start={start}&period_end={end}")
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"] and "caf" in resp.headers["Content-Disposition"]
    rows = [(r1, a1, "h1", "RTX 4090", "1.0000", "0.68", "Canadian cloud compute", "CA", "ON", "Yes"),
            (r2, a2, "h2", '"A100 ""80GB"", SXM"', "0.5000", "0.75", "Non-Canadian cloud compute", "US", "", "No")]
    rows.sort(key=lambda x: (x[0]["completed_at"], x[1]))
    expected = ("Job ID,Host ID,GPU Model,Duration (hrs),Cost (CAD),Eligible Category,Host Country,Host Province,"
                "Trust Tier,Canadian Compute,Start Time,End Time\r\n")
    for rec, jid, h, model, dur, cost, cat, c, p, yn in rows:
        expected += (f"{jid},{h},{model},{dur},{cost},{cat},{c},{p},community,{yn},"
                     f"{fmt(rec['started_at'])},{fmt(rec['completed_at'])}\r\n")
    expected += ("\r\nSUMMARY\r\nTotal Jobs,2\r\nTotal Cost Cad,1.43\r\nCanadian Compute Cost Cad,0.68\r\n"
                 "Non Canadian Compute Cost Cad,0.75\r\nCanadian Reimbursement Rate,67% (2:1)\r\n"
                 "Non Canadian Reimbursement Rate,\"50% (1:1) until March 31, 2027\"\r\n"
                 "Canadian Eligible Reimbursement Cad,0.45\r\nNon Canadian Eligible Reimbursement Cad,0.38\r\n"
                 "Total Eligible Reimbursement Cad,0.83\r\nEffective Cost After Fund Cad,0.60\r\n")
    assert resp.content == expected.encode()
    j = api.req("GET", f"/api/billing/export/caf/{CUST}?period_start={start}&period_end={end}")
    assert j["report_type"].startswith("AI Compute Access Fund")
    assert j["summary"]["total_cost_cad"] == 1.43 and len(j["line_items"]) == 2
    assert j["supplier_attestation"]["data_stays_in_canada"] is False
    assert j["notes"].endswith("Lines marked Non-Canadian ran on hosts outside Canada.")


def test_caf_validation_and_unknown_customer(api):
    r = api.req("GET", "/api/billing/export/caf/default")
    assert r["line_items"] == [] and r["summary"]["total_jobs"] == 0
    api.req("GET", f"/api/billing/export/caf/{CUST}?format=xml", expect=422)
    api.req("GET", f"/api/billing/export/caf/{CUST}?period_end=x", expect=422)


def test_attestation_signed(api):
    a = api.req("GET", "/api/billing/attestation")["attestation"]
    assert a["provider_name"] == "Xcelsior" and len(a["signature"]) == 64
    assert abs(a["valid_until"] - a["attested_at"] - 365 * 86400) < 1e-6
    assert api.req("POST", "/api/billing/attestation/verify", json={"attestation": a})["valid"] is True
    a["data_stays_in_canada"] = not a["data_stays_in_canada"]
    assert api.req("POST", "/api/billing/attestation/verify", json={"attestation": a})["valid"] is False
    api.req("POST", "/api/billing/attestation/verify", json={}, expect=422)
    api.req("GET", "/api/billing/attestation?customer_id=bad!", expect=422)


# ---- pricing ----

def test_pricing_reference(api):
    p = api.req("GET", "/api/pricing/reference")
    assert p["currency"] == "CAD" and list(p["pricing"]) == ["RTX 3090", "RTX 4090", "RTX 4080", "A100", "H100", "L40"]
    assert p["pricing"]["A100"]["base_rate_cad"] == 1.5


def test_pricing_estimate(api):
    e = api.req("POST", "/api/pricing/estimate", json={})
    assert (e["rate_cad_per_hour"], e["gross_cost_cad"], e["fund_reimbursable_cad"], e["effective_cost_cad"],
            e["savings_pct"]) == (0.45, 0.45, 0.3, 0.15, 66.7)
    e = api.req("POST", "/api/pricing/estimate", json={"gpu_model": "RTX 4090", "duration_hours": 2.0, "spot": True})
    assert e["rate_cad_per_hour"] == 0.315 and e["gross_cost_cad"] == 0.63
    e = api.req("POST", "/api/pricing/estimate", json={"gpu_model": "A100", "duration_hours": 10})
    assert (e["gross_cost_cad"], e["fund_reimbursable_cad"], e["effective_cost_cad"]) == (15.0, 10.0, 5.0)
    e = api.req("POST", "/api/pricing/estimate", json={"sovereignty": True})
    assert e["rate_cad_per_hour"] == 0.6075 and e["fund_reimbursable_cad"] == 0.41
    for m in ("Tesla T4", ""):
        r = api.req("POST", "/api/pricing/estimate", json={"gpu_model": m}, expect=400)
        assert r["error"]["message"].startswith("Unknown GPU model")
    for bad in ({"duration_hours": -1}, {"duration_hours": 0}, {"duration_hours": 1e300}, {"num_gpus": 0},
                {"tier": "gold"}, {"trust_tier": "x"}, {"spot": "yes"}):
        api.req("POST", "/api/pricing/estimate", json=bad, expect=422)
