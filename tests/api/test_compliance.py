"""Black-box tests of the compliance routes of api §8.5 (domain §20.1, §20.4, §21.5, §25.2, §25.13,
§25.14): tax rates at an instant, the provincial matrix, trust tier requirements, the Québec PIA
check, the platform's GST/HST threshold, reserved plans and commitments, and usage analytics —
including bad input (a clear 4xx, never a 500, and nothing written) and ownership (404)."""
import datetime
import os
import re
import sqlite3
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import BASE_ENV, Api, assert_envelope, start  # noqa: E402
from test_core_sse import Stream  # noqa: E402

CODES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
NS_CHANGE = 1743476400  # 2025-04-01T03:00:00Z
GOOD = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "560.35.03", "docker": "27.1.1"}
RESERVE = {"customer_id": "cust-1", "gpu_model": "RTX 4090", "commitment_type": "1_month", "quantity": 1,
           "province": "ON"}


def ok(r, status=200):
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    body = r.json()
    assert next(iter(body)) == "ok" and body["ok"] is True
    return body


def db_count(server, sql, *args):
    con = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def events_checked(api):
    return ok(api.get("/api/audit/verify-chain"))["chain_integrity"]["events_checked"]


def register(api, who, role="submitter"):
    r = api.post("/api/auth/register", {"email": f"{who}@example.com", "password": "compliance-1", "role": role})
    b = ok(r)
    return Api(api.server, token=b["access_token"]), b["user"]


# ---- tax rates (§25.2) ------------------------------------------------------------------------

def test_tax_rates_thirteen_codes_alphabetical_now(mapi):
    b = ok(mapi.get("/api/compliance/tax-rates"))
    assert list(b["rates"]) == CODES
    assert abs(b["at"] - datetime.datetime.now(datetime.timezone.utc).timestamp()) < 3600 * 24 * 3650
    qc = b["rates"]["QC"]
    assert qc == {"rate": 0.14975, "description": "GST 5% + QST 9.975%",
                  "components": [{"name": "GST", "rate": 0.05}, {"name": "QST", "rate": 0.09975}],
                  "effective_from": "2020-01-01"}
    assert b["rates"]["ON"]["components"] == [{"name": "HST", "rate": 0.13}]
    assert b["rates"]["BC"]["components"] == [{"name": "GST", "rate": 0.05}, {"name": "PST", "rate": 0.07}]
    for code in CODES:
        assert b["rates"][code]["description"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", b["rates"][code]["effective_from"])


@pytest.mark.parametrize("at,rate,desc,since", [
    (NS_CHANGE - 1, 0.15, "HST 15%", "2020-01-01"),
    ("%d.999999" % (NS_CHANGE - 1), 0.15, "HST 15%", "2020-01-01"),
    (NS_CHANGE, 0.14, "HST 14%", "2025-04-01"),
    (1781532000, 0.14, "HST 14%", "2025-04-01"),   # 2026
    (0, 0.15, "HST 15%", "2020-01-01"),             # before the table origin: the first row
])
def test_tax_rates_nova_scotia_change(mapi, at, rate, desc, since):
    b = ok(mapi.get("/api/compliance/tax-rates", params={"at": at}))
    assert b["at"] == float(at)
    ns = b["rates"]["NS"]
    assert (ns["rate"], ns["description"], ns["effective_from"]) == (rate, desc, since)
    assert ns["components"] == [{"name": "HST", "rate": rate}]
    assert b["rates"]["ON"]["rate"] == 0.13 and b["rates"]["AB"]["rate"] == 0.05


@pytest.mark.parametrize("at", ["abc", "-1", "1e400", "", "12:00"])
def test_tax_rates_bad_at(mapi, at):
    err = assert_envelope(mapi.get("/api/compliance/tax-rates", params={"at": at}), 422, "validation_error")
    assert err["details"][0]["loc"] == ["query", "at"]


# ---- provinces (§20.4) and trust tiers (§20.1) --------------------------------------------------

def test_provinces_exact_strings_with_current_tax(mapi):
    p = ok(mapi.get("/api/compliance/provinces"))["provinces"]
    assert list(p) == ["QC", "NS", "BC", "ON"]
    assert p["QC"] == {"regime": "Law 25 (private sector)",
                       "key_rule": "Cross-border transfer requires PIA + written agreement",
                       "max_penalty": "$25M or 4% worldwide turnover",
                       "scheduling_impact": "quebec_only routing recommended for personal info workloads",
                       "tax_rate": 0.14975, "tax_description": "GST 5% + QST 9.975%"}
    assert p["NS"] == {"regime": "PIIDPA (public bodies)", "key_rule": "Stored AND accessed only in Canada",
                       "scheduling_impact": "canada_only enforced for public body workloads",
                       "tax_rate": 0.14, "tax_description": "HST 14%"}
    assert p["BC"] == {"regime": "FOIPPA (post-Bill 22, risk-based)",
                       "key_rule": "Extra PIA for sensitive PI stored outside Canada",
                       "scheduling_impact": "canada_preferred for sensitive workloads",
                       "tax_rate": 0.12, "tax_description": "GST 5% + PST 7%"}
    assert p["ON"] == {"regime": "PHIPA (health, s.10.1 not yet in force)",
                       "key_rule": "Electronic audit log drafted but not proclaimed",
                       "scheduling_impact": "audit_tier available as premium feature",
                       "tax_rate": 0.13, "tax_description": "HST 13%"}


def test_trust_tier_requirements_in_order(mapi):
    tiers = ok(mapi.get("/api/compliance/trust-tier-requirements"))["tiers"]
    assert [t["tier"] for t in tiers] == ["community", "residency", "sovereignty", "regulated"]
    assert tiers[1] == {"tier": "residency", "label": "Canada Residency",
                        "description": "Workload scheduled on machines physically in Canada.",
                        "requires_canada": True, "requires_verified": True, "requires_sovereignty_vetting": False,
                        "requires_audit_trail": False, "pricing_multiplier": 1.15, "isolation": "preferred"}
    assert tiers[0]["pricing_multiplier"] == 1.0 and tiers[0]["isolation"] == "none"
    assert not any(tiers[0][k] for k in ("requires_canada", "requires_verified", "requires_sovereignty_vetting",
                                         "requires_audit_trail"))
    assert tiers[2]["label"] == "Canada Sovereignty" and tiers[2]["requires_sovereignty_vetting"]
    assert not tiers[2]["requires_audit_trail"] and tiers[2]["pricing_multiplier"] == 1.35
    assert tiers[3]["requires_audit_trail"] and tiers[3]["pricing_multiplier"] == 1.6
    assert tiers[3]["description"] == "Full audit trail. Suitable for health/public sector workloads."


# ---- Québec PIA check (§21.5) ------------------------------------------------------------------

PIA_REQUIRED = ("Québec Law 25 requires PIA for cross-border transfer (QC → {}). Enterprise must assess "
                "sensitivity, purpose, safeguards, and legal framework of destination.")


@pytest.mark.parametrize("body,want", [
    ({"data_origin_province": "ON", "processing_province": "BC", "data_contains_pi": True},
     {"pia_required": False, "reason": "Data does not originate from Québec", "recommendation": None}),
    ({"data_origin_province": "QC", "processing_province": "ON", "data_contains_pi": False},
     {"pia_required": False, "reason": "No personal information identified in workload",
      "recommendation": "Verify workload does not contain PI"}),
    ({}, {"pia_required": False, "reason": "No personal information identified in workload",
          "recommendation": "Verify workload does not contain PI"}),
    ({"data_origin_province": "QC", "processing_province": "QC", "data_contains_pi": True},
     {"pia_required": False, "reason": "Processing stays within Québec", "recommendation": None}),
    ({"data_origin_province": "qc", "processing_province": "on", "data_contains_pi": True},
     {"pia_required": True, "reason": PIA_REQUIRED.format("ON"),
      "recommendation": "Use quebec_only routing or obtain written agreement",
      "max_penalty": "$25,000,000 or 4% of worldwide turnover",
      "law_reference": "Act respecting the protection of personal information in the private sector, s. 17"}),
    ({"data_contains_pi": True},  # defaults QC → ON
     {"pia_required": True, "reason": PIA_REQUIRED.format("ON"),
      "recommendation": "Use quebec_only routing or obtain written agreement",
      "max_penalty": "$25,000,000 or 4% of worldwide turnover",
      "law_reference": "Act respecting the protection of personal information in the private sector, s. 17"}),
])
def test_pia_check(mapi, body, want):
    b = ok(mapi.post("/api/compliance/quebec-pia-check", body))
    b.pop("ok")
    assert b == want


@pytest.mark.parametrize("body,field", [
    ({"data_contains_pi": "yes"}, "data_contains_pi"),
    ({"data_origin_province": 5}, "data_origin_province"),
    ({"processing_province": "X" * 65}, "processing_province"),
])
def test_pia_check_bad_input(mapi, body, field):
    err = assert_envelope(mapi.post("/api/compliance/quebec-pia-check", body), 422, "validation_error")
    assert err["details"][0]["loc"] == ["body", field]
    assert_envelope(mapi.post("/api/compliance/quebec-pia-check", data="[1]"), 422, "validation_error")


# ---- GST/HST small-supplier threshold (§25.13) --------------------------------------------------

def host(api, hid, rate=1000, gpus=8, model="A100", vram=80, province="ON", country="CA", token_api=None):
    a = token_api or api
    ok(a.put("/host", {"host_id": hid, "ip": "127.0.0.1", "gpu_model": model, "total_vram_gb": vram,
                       "free_vram_gb": vram, "gpu_count": gpus, "cost_per_hour": rate, "country": country,
                       "province": province, "versions": GOOD}))
    ok(api.post("/agent/versions", {"host_id": hid, "versions": GOOD}))


def run_job(api, seconds, owner=None, gpus=8, vram=8, submit_api=None):
    body = {"name": "g", "vram_needed_gb": vram, "num_gpus": gpus}
    if owner:
        body["owner"] = owner
    jid = ok((submit_api or api).post("/job", body))["job"]["job_id"]
    api.process()
    assert api.job(jid)["status"] == "assigned", api.job(jid)
    ok(api.status(jid, "running"))
    api.clock(seconds)
    ok(api.status(jid, "completed"))
    return jid


def gst(api):
    """The threshold answer, money rounded to the cent: a run lasts the test clock's advance plus
    the few real microseconds between the two status reports."""
    b = ok(api.get("/api/billing/gst-threshold"))
    assert list(b) == ["ok", "exceeded", "total_revenue_cad", "current_quarter_revenue_cad", "threshold_cad",
                       "quarters_assessed", "must_register", "message"]
    assert b["threshold_cad"] == 30000.0 and b["exceeded"] == b["must_register"]
    for k in ("total_revenue_cad", "current_quarter_revenue_cad"):
        b[k] = round(b[k], 2)
    return b


GST_ENV = dict(BASE_ENV, XCELSIOR_ESCROW_HOLD_HOURS="4")


def test_gst_threshold_below_then_quarters_roll_off():
    s = start(env=GST_ENV)
    try:
        api = Api(s)
        b = gst(api)
        assert (b["exceeded"], b["total_revenue_cad"], b["current_quarter_revenue_cad"], b["quarters_assessed"]) == \
            (False, 0.0, 0.0, 0)
        assert b["message"] == "Below threshold ($0.00 / $30,000). Registration not yet required but recommended."
        host(api, "g1")
        cust = "cust-" + "c" * 32
        ok(api.post(f"/api/billing/wallet/{cust}/deposit", {"amount_cad": 50000}))
        run_job(api, 5400, owner=cust)        # 8 GPUs × 1000 CAD/h × 1.5 h = 12 000.00, owned
        run_job(api, 3600)                    # an operator job: not a sale to a customer
        # Metering also counts the real microseconds between the calls (a few cents at 8 000 CAD/h
        # on a slow, sanitized build): amounts are checked to within 0.05.
        near = lambda v: pytest.approx(v, abs=0.05)  # noqa: E731
        b = gst(api)
        assert (b["exceeded"], b["total_revenue_cad"], b["current_quarter_revenue_cad"], b["quarters_assessed"]) == \
            (False, near(12000.0), near(12000.0), 1)
        assert re.fullmatch(r"Below threshold \(\$12,000\.0\d / \$30,000\)\. Registration not yet required but "
                            r"recommended\.", b["message"]), b["message"]
        api.clock(100 * 86400)                # the next quarter: still within the four
        b = gst(api)
        assert (b["total_revenue_cad"], b["current_quarter_revenue_cad"], b["quarters_assessed"]) == \
            (near(12000.0), 0.0, 1)
        api.clock(300 * 86400)                # 400 days later: outside the four quarters
        b = gst(api)
        assert (b["total_revenue_cad"], b["quarters_assessed"], b["exceeded"]) == (0.0, 0, False)
    finally:
        s.stop()


def test_gst_threshold_exceeded():
    s = start(env=GST_ENV)
    try:
        api = Api(s)
        host(api, "g1")
        cust = "cust-" + "d" * 32
        ok(api.post(f"/api/billing/wallet/{cust}/deposit", {"amount_cad": 50000}))
        run_job(api, 4 * 3600, owner=cust)    # 32 000.00
        b = gst(api)
        assert (b["exceeded"], b["must_register"]) == (True, True)
        assert b["current_quarter_revenue_cad"] == pytest.approx(32000.0, abs=0.05)
        assert b["message"] == "GST/HST registration REQUIRED — revenue exceeds $30,000 threshold."
    finally:
        s.stop()


# ---- reserved plans and commitments (§25.14) ----------------------------------------------------

def test_reserved_plans(mapi):
    b = ok(mapi.get("/api/pricing/reserved-plans"))
    assert b["currency"] == "CAD" and list(b["reserved_tiers"]) == ["1_month", "3_month", "1_year"]
    m1 = b["reserved_tiers"]["1_month"]
    assert m1["commitment"] == "1 month" and m1["discount_pct"] == 20 and m1["min_hours_per_day"] == 4
    assert m1["description"] == "20% off on-demand rates for 1-month commitment"
    assert m1["sample_hourly_rates_cad"] == {"RTX 3090": 0.28, "RTX 4090": 0.36, "RTX 4080": 0.304, "A100": 1.2,
                                             "H100": 2.8, "L40": 0.96}
    m3, y1 = b["reserved_tiers"]["3_month"], b["reserved_tiers"]["1_year"]
    assert (m3["commitment"], m3["discount_pct"], m3["min_hours_per_day"]) == ("3 months", 30, 4)
    assert m3["description"] == "30% off on-demand rates for 3-month commitment"
    assert (y1["commitment"], y1["discount_pct"], y1["min_hours_per_day"]) == ("1 year", 45, 0)
    assert y1["description"] == "45% off on-demand rates for 1-year commitment"
    assert y1["sample_hourly_rates_cad"]["A100"] == 0.825


@pytest.fixture
def rsrv():
    s = start()
    yield s
    s.stop()


def test_reserve_spec_example_persisted_with_sse(rsrv):
    api = Api(rsrv)
    st = Stream(rsrv.url)
    try:
        assert st.next()[0] == "connected"
        before = events_checked(api)
        b = ok(api.post("/api/pricing/reserve", RESERVE))
        assert list(b) == ["ok", "commitment_id", "customer_id", "commitment_type", "gpu_model", "quantity",
                           "base_rate_cad", "discounted_rate_cad", "discount_pct", "province", "tax_rate",
                           "tax_description", "commitment_description", "min_hours_per_day", "created_at", "status",
                           "monthly_estimate_cad", "monthly_estimate_with_tax_cad"]
        assert re.fullmatch(r"[0-9a-f]{32}", b["commitment_id"])
        assert (b["customer_id"], b["commitment_type"], b["gpu_model"], b["quantity"]) == \
            ("cust-1", "1_month", "RTX 4090", 1)
        assert (b["base_rate_cad"], b["discounted_rate_cad"], b["discount_pct"]) == (0.45, 0.36, 20)
        assert (b["province"], b["tax_rate"], b["tax_description"]) == ("ON", 0.13, "HST 13%")
        assert b["commitment_description"] == "20% off on-demand rates for 1-month commitment"
        assert (b["min_hours_per_day"], b["status"]) == (4, "active")
        assert (b["monthly_estimate_cad"], b["monthly_estimate_with_tax_cad"]) == (259.2, 292.9)
        ev, data, _ = st.wait_for(lambda e: e[0] == "reservation_created")[0]
        assert data == {"commitment_id": b["commitment_id"], "customer_id": "cust-1", "type": "1_month"}
        assert db_count(rsrv, "SELECT count(*) FROM reservations WHERE commitment_id=? AND status='active'"
                        " AND monthly_cents=25920 AND monthly_with_tax_cents=29290", b["commitment_id"]) == 1
        assert events_checked(api) == before + 1
        # defaults: RTX 4090, 1_month, 1, ON; a lower-case province is the same code
        d = ok(api.post("/api/pricing/reserve", {"customer_id": "cust-1", "province": "qc"}))
        assert (d["gpu_model"], d["commitment_type"], d["quantity"], d["province"]) == ("RTX 4090", "1_month", 1, "QC")
        assert (d["tax_rate"], d["monthly_estimate_cad"]) == (0.14975, 259.2)
        assert d["monthly_estimate_with_tax_cad"] == 298.02  # 259.20 × 1.14975 = 298.0152
        y = ok(api.post("/api/pricing/reserve", {"customer_id": "cust-2", "gpu_model": "A100",
                                                 "commitment_type": "1_year", "quantity": 1000, "province": "NS"}))
        assert (y["discounted_rate_cad"], y["monthly_estimate_cad"], y["tax_rate"]) == (0.825, 594000.0, 0.14)
        assert y["monthly_estimate_with_tax_cad"] == 677160.0
        assert db_count(rsrv, "SELECT count(*) FROM reservations") == 3
    finally:
        st.close()


@pytest.mark.parametrize("body,status,msg", [
    (dict(RESERVE, commitment_type="5_year"), 400, "Invalid commitment_type: 5_year. Valid: 1_month, 3_month, 1_year"),
    (dict(RESERVE, commitment_type=""), 400, "Invalid commitment_type: . Valid: 1_month, 3_month, 1_year"),
    (dict(RESERVE, commitment_type="1_MONTH"), 400, "Invalid commitment_type: 1_MONTH. Valid: 1_month, 3_month, 1_year"),
    (dict(RESERVE, gpu_model="RTX 9999"), 400, "Unknown GPU model: RTX 9999"),
    (dict(RESERVE, gpu_model="rtx 4090"), 400, "Unknown GPU model: rtx 4090"),
    (dict(RESERVE, gpu_model="Tesla T4"), 400, "Unknown GPU model: Tesla T4"),
    (dict(RESERVE, quantity=0), 422, None),
    (dict(RESERVE, quantity=1001), 422, None),
    (dict(RESERVE, quantity=1.5), 422, None),
    (dict(RESERVE, quantity="1"), 422, None),
    ({k: v for k, v in RESERVE.items() if k != "customer_id"}, 422, None),
    (dict(RESERVE, customer_id=""), 422, None),
    (dict(RESERVE, customer_id="cust/../x"), 422, None),
    (dict(RESERVE, province="XX"), 422, None),
])
def test_reserve_bad_input_writes_nothing(rsrv, body, status, msg):
    api = Api(rsrv)
    before = events_checked(api)
    err = assert_envelope(api.post("/api/pricing/reserve", body), status)
    if msg:
        assert err["code"] == "bad_request" and err["message"] == msg
    else:
        assert err["code"] == "validation_error"
    assert db_count(rsrv, "SELECT count(*) FROM reservations") == 0
    assert events_checked(api) == before


def test_reserve_only_for_the_callers_customer(rsrv):
    anon = Api(rsrv)
    a, ua = register(anon, "res-a")
    b, ub = register(anon, "res-b")
    mine = ok(a.post("/api/pricing/reserve", dict(RESERVE, customer_id=ua["customer_id"])))
    assert mine["customer_id"] == ua["customer_id"]
    # another user's customer (or one that does not exist) is not found, whatever else is wrong
    for body in (dict(RESERVE, customer_id=ub["customer_id"]), dict(RESERVE, customer_id="cust-1"),
                 dict(RESERVE, customer_id=ub["customer_id"], commitment_type="5_year")):
        err = assert_envelope(a.post("/api/pricing/reserve", body), 404, "not_found")
        assert err["message"] == "Customer %s not found" % body["customer_id"]
    assert db_count(rsrv, "SELECT count(*) FROM reservations") == 1
    # the operator may commit for anyone
    ok(anon.post("/api/pricing/reserve", dict(RESERVE, customer_id=ub["customer_id"])))
    assert db_count(rsrv, "SELECT count(*) FROM reservations WHERE customer_id=?", ub["customer_id"]) == 1


# ---- usage analytics ----------------------------------------------------------------------------

def iso_week(ts):
    y, w, _ = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isocalendar()
    return "%04d-W%02d" % (y, w)


def day(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")


@pytest.fixture
def world():
    """Two users with owned jobs on an ON A100 host and a QC RTX 4090 host, and an operator job."""
    s = start(env=GST_ENV)
    api = Api(s)
    a, ua = register(api, "an-a")
    b, ub = register(api, "an-b", role="provider")
    for u in (ua, ub):
        ok(api.post("/api/billing/wallet/%s/deposit" % u["customer_id"], {"amount_cad": 1000}))
    host(api, "on1", rate=1.0, gpus=1)
    run_job(api, 3600, submit_api=a, gpus=1)                    # A: 1.00 in ON on an A100
    api.clock(8 * 86400)                                        # a week later
    ok(api.delete("/host/on1"))
    host(api, "qc1", rate=2.0, gpus=1, model="RTX 4090", vram=24, province="QC", token_api=b)
    run_job(api, 1800, submit_api=a, gpus=1)                    # A: 1.00 in QC on B's RTX 4090
    run_job(api, 3600, owner=ub["customer_id"], gpus=1)         # B's customer: 2.00
    run_job(api, 900, gpus=1)                                   # operator job: 0.50
    recs = ok(api.get("/billing"))["records"]
    yield {"s": s, "api": api, "a": a, "b": b, "ua": ua, "ub": ub, "recs": recs}
    s.stop()


def analytics(api, **q):
    """The analytics answer, money and hours rounded to 2 decimals (runs last a few real µs more
    than the test clock's advance)."""
    b = ok(api.get("/api/analytics/usage", params=q))
    assert list(b) == ["ok", "days", "group_by", "analytics", "summary"]
    assert list(b["summary"]) == ["total_jobs", "total_spend_cad", "total_gpu_hours"]
    for row in b["analytics"]:
        assert list(row) == ["period", "job_count", "total_cost_cad", "total_gpu_hours", "canadian_jobs",
                             "international_jobs"]
        row["total_cost_cad"], row["total_gpu_hours"] = round(row["total_cost_cad"], 2), round(row["total_gpu_hours"], 2)
    for k in ("total_spend_cad", "total_gpu_hours"):
        b["summary"][k] = round(b["summary"][k], 2)
    return b


def test_analytics_groupings_admin(world):
    api, recs = world["api"], world["recs"]
    assert len(recs) == 4
    b = analytics(api)
    assert (b["days"], b["group_by"]) == (30, "day")
    assert b["summary"] == {"total_jobs": 4, "total_spend_cad": 4.5, "total_gpu_hours": 2.75}
    assert [r["period"] for r in b["analytics"]] == sorted({day(r["completed_at"]) for r in recs})
    assert sum(r["job_count"] for r in b["analytics"]) == 4
    w = analytics(api, group_by="week")
    assert [r["period"] for r in w["analytics"]] == sorted({iso_week(r["completed_at"]) for r in recs})
    assert all(re.fullmatch(r"\d{4}-W\d{2}", r["period"]) for r in w["analytics"])
    assert w["summary"] == b["summary"] and len(w["analytics"]) == 2
    m = analytics(api, group_by="gpu_model")
    assert [(r["period"], r["job_count"], r["total_cost_cad"]) for r in m["analytics"]] == \
        [("A100", 1, 1.0), ("RTX 4090", 3, 3.5)]
    p = analytics(api, group_by="province")
    assert [(r["period"], r["job_count"], r["total_cost_cad"], r["total_gpu_hours"], r["canadian_jobs"],
             r["international_jobs"]) for r in p["analytics"]] == [("ON", 1, 1.0, 1.0, 1, 0),
                                                                   ("QC", 3, 3.5, 1.75, 3, 0)]
    # the window: one day back sees only this week's records
    d1 = analytics(api, days=1)
    assert d1["days"] == 1 and d1["summary"]["total_jobs"] == 3
    c = analytics(api, customer_id=world["ua"]["customer_id"], group_by="province")
    assert [(r["period"], r["job_count"]) for r in c["analytics"]] == [("ON", 1), ("QC", 1)]
    empty = analytics(api, customer_id="cust-nobody")
    assert empty["analytics"] == [] and empty["summary"] == {"total_jobs": 0, "total_spend_cad": 0.0,
                                                             "total_gpu_hours": 0.0}


def test_analytics_users_see_their_own(world):
    a, ua, ub = world["a"], world["ua"], world["ub"]
    mine = analytics(a)
    assert mine["summary"] == {"total_jobs": 2, "total_spend_cad": 2.0, "total_gpu_hours": 1.5}
    assert analytics(a, customer_id=ua["customer_id"])["summary"] == mine["summary"]
    for other in (ub["customer_id"], "cust-nobody"):
        err = assert_envelope(a.get("/api/analytics/usage", params={"customer_id": other}), 404, "not_found")
        assert err["message"] == "Customer %s not found" % other
    # a user has no provider id yet: any provider filter is not found
    err = assert_envelope(a.get("/api/analytics/usage", params={"provider_id": "prov-x"}), 404, "not_found")
    assert err["message"] == "Provider prov-x not found"
    assert_envelope(world["api"].get("/api/analytics/usage", params={"provider_id": "prov-x"}), 404, "not_found")


def test_analytics_provider_filter(world):
    s, ub = world["s"], world["ub"]
    s.stop()
    con = sqlite3.connect(s.db, timeout=10)
    con.execute("UPDATE users SET provider_id='prov-b' WHERE user_id=?", (ub["user_id"],))
    con.commit()
    con.close()
    s.start()
    api, b, a = Api(s), world["b"], world["a"]
    # B's hosts ran three jobs (A's, B's own customer's, the operator's); B sees them with its provider id
    got = analytics(b, provider_id="prov-b", group_by="gpu_model")
    assert [(r["period"], r["job_count"], r["total_cost_cad"]) for r in got["analytics"]] == [("RTX 4090", 3, 3.5)]
    assert analytics(api, provider_id="prov-b")["summary"]["total_jobs"] == 3
    # with a customer too, both filters apply
    assert analytics(b, provider_id="prov-b", customer_id=ub["customer_id"])["summary"]["total_jobs"] == 1
    assert_envelope(a.get("/api/analytics/usage", params={"provider_id": "prov-b"}), 404, "not_found")


@pytest.mark.parametrize("q,field", [
    ({"group_by": "bogus"}, "group_by"), ({"group_by": "DAY"}, "group_by"), ({"group_by": ""}, "group_by"),
    ({"days": 0}, "days"), ({"days": 367}, "days"), ({"days": "x"}, "days"), ({"days": "1.5"}, "days"),
    ({"customer_id": "a/b"}, "customer_id"),
])
def test_analytics_bad_query(mapi, q, field):
    err = assert_envelope(mapi.get("/api/analytics/usage", params=q), 422, "validation_error")
    assert err["details"][0]["loc"] == ["query", field]
    if field == "group_by":
        assert err["details"][0]["msg"] == "must be one of day, week, gpu_model, province"


def test_analytics_days_bounds(mapi):
    assert analytics(mapi, days=366)["days"] == 366
    assert analytics(mapi, days=1, group_by="week")["analytics"] == []
