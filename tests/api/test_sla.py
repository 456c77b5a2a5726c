"""Black-box tests of the SLA (api §8.12, domain §26; acceptance SLA-*): downtime opened by the
sweep when a host misses its heartbeats and closed by the next one, monthly enforcement with the
credit band and the wallet credit of the host's customers (exactly once, also under concurrent
calls), telemetry violations, and bad input on every route."""
import calendar
import concurrent.futures
import datetime

import pytest

from conftest import GOOD, Api, assert_envelope

CUST = "cust-" + "c" * 32
CUST2 = "cust-" + "d" * 32


def now_of(api):
    return api.clock(0)["now"]


def to_next_month(api, day=2):
    """Advances the test clock to the given day of the next UTC month; returns (YYYY-MM, days)."""
    now = datetime.datetime.fromtimestamp(now_of(api), datetime.timezone.utc)
    y, m = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    target = datetime.datetime(y, m, day, tzinfo=datetime.timezone.utc)
    api.clock(int((target - now).total_seconds()) + 1)
    return f"{y:04d}-{m:02d}", calendar.monthrange(y, m)[1]


def wallet(api, cust):
    r = api.get(f"/api/billing/wallet/{cust}")
    assert r.status_code == 200, r.text
    return r.json()["wallet"]


def downtimes(api, **q):
    r = api.get("/api/sla/downtimes", params=q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["downtimes"])
    return body["downtimes"]


def enforce(api, host, month, expect=200, **extra):
    r = api.post("/api/sla/enforce", {"host_id": host, "month": month, **extra})
    assert r.status_code == expect, r.text
    return r.json()


def heartbeat(api, host):
    r = api.get("/agent/work/" + host)
    assert r.status_code in (200, 204), r.text


def billed_month_with_outage(api, host, cust, tier="sovereign", hours=1, rate=50.0, outage_h=3):
    """Next month: a host of the tier runs cust's job for `hours` (one escrow block: the bill is
    capped by what escrow held) at `rate`, then goes silent
    for outage_h hours (the sweep opens a downtime) and heartbeats again (it closes)."""
    month, days = to_next_month(api)
    api.reg(host, cost_per_hour=rate, sla_tier=tier, versions=GOOD)
    assert api.host(host)["sla_tier"] == tier
    r = api.post(f"/api/billing/wallet/{cust}/deposit", {"amount_cad": 200})
    assert r.status_code == 200, r.text
    job = api.submit("sla-job", vram=8, owner=cust)
    assert [a["job_id"] for a in api.process()] == [job["job_id"]]
    assert api.status(job["job_id"], "running").status_code == 200
    api.clock(hours * 3600)
    heartbeat(api, host)
    assert api.status(job["job_id"], "completed").status_code == 200
    assert downtimes(api, host_id=host) == []
    api.clock(outage_h * 3600)
    api.sweep()
    (d,) = downtimes(api, host_id=host)
    assert d["resolved"] is False and d["end_ts"] is None and d["reason"] == "heartbeat_miss"
    assert downtimes(api, host_id=host, open_only="true") == [d]
    assert api.host(host)["status"] == "dead"
    heartbeat(api, host)
    (d,) = downtimes(api, host_id=host)
    assert d["resolved"] is True and abs(d["end_ts"] - d["start_ts"] - outage_h * 3600) < 5
    assert downtimes(api, host_id=host, open_only="true") == []
    assert api.host(host)["status"] == "active"
    return month, days


def expected_uptime(days, outage_s):
    return round(100 * (1 - outage_s / (days * 86400)), 4)


# ---- downtime, enforcement and credits ----------------------------------------------------------

def test_outage_enforced_once_credits_the_customer(api):
    month, days = billed_month_with_outage(api, "sla-h1", CUST)
    r = api.get("/api/sla/sla-h1", params={"month": month})
    assert r.status_code == 200, r.text
    before = r.json()
    assert before["monthly_record"] is None and before["sla_tier"] == "sovereign"
    assert 99.0 < before["uptime_30d_pct"] < 100.0
    w0 = wallet(api, CUST)

    e = enforce(api, "sla-h1", month)
    assert e["ok"] is True and e["host_id"] == "sla-h1" and e["month"] == month and e["tier"] == "sovereign"
    assert abs(e["uptime_pct"] - expected_uptime(days, 10800)) <= 0.0002
    assert e["incidents"] == 1 and abs(e["downtime_seconds"] - 10800) < 5
    assert e["target_pct"] == 99.9 and e["credit_pct"] == 10
    assert e["spend_cad"] == 50.0 and e["credit_cad"] == 5.0
    assert e["credits"] == [{"customer_id": CUST, "credit_cad": 5.0, "duplicate": False}]
    w1 = wallet(api, CUST)
    assert round(w1["balance_cad"] - w0["balance_cad"], 6) == 5.0

    # SLA-08: the record after enforcement
    rec = api.get("/api/sla/sla-h1", params={"month": month}).json()["monthly_record"]
    assert rec == {k: e[k] for k in rec} and set(rec) == {
        "host_id", "month", "tier", "uptime_pct", "downtime_seconds", "incidents", "target_pct", "credit_pct",
        "credit_cad", "spend_cad"}

    # a second call upserts the same record and credits nothing more
    again = enforce(api, "sla-h1", month)
    assert again["credit_cad"] == 5.0 and again["credits"][0]["duplicate"] is True
    assert wallet(api, CUST)["balance_cad"] == w1["balance_cad"]
    r = api.get(f"/api/billing/wallet/{CUST}/history")
    credits = [t for t in r.json()["transactions"] if "SLA credit" in (t.get("description") or "")]
    assert len(credits) == 1 and credits[0]["amount_cad"] == 5.0

    # the community tier asked for explicitly: 99.58 % >= 99.0 % -> no credit (SLA-05)
    c = enforce(api, "sla-h1", month, tier="community")
    assert c["tier"] == "community" and c["credit_pct"] == 0 and c["credit_cad"] == 0.0 and c["credits"] == []
    # SLA-06: spend 500.00 at 10 % -> 50.0 (the record's figure; wallets are credited from what ran)
    s = enforce(api, "sla-h1", month, tier="sovereign", monthly_spend_cad=500.0)
    assert s["credit_pct"] == 10 and s["credit_cad"] == 50.0 and s["spend_cad"] == 500.0
    assert wallet(api, CUST)["balance_cad"] == w1["balance_cad"]

    summary = api.get("/api/sla/hosts-summary").json()
    (h,) = [x for x in summary["hosts"] if x["host_id"] == "sla-h1"]
    assert h["sla_tier"] == "sovereign" and 0 <= h["uptime_30d_pct"] < 100 and h["violation_count"] == 0


def test_concurrent_enforcement_credits_once(api):
    month, _ = billed_month_with_outage(api, "sla-h2", CUST2, rate=20.0)
    w0 = wallet(api, CUST2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda _: Api(api.server).post(
            "/api/sla/enforce", {"host_id": "sla-h2", "month": month}), range(6)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    fresh = [r.json()["credits"][0] for r in results if not r.json()["credits"][0]["duplicate"]]
    assert len(fresh) == 1 and fresh[0]["credit_cad"] == 2.0
    assert round(wallet(api, CUST2)["balance_cad"] - w0["balance_cad"], 6) == 2.0


def test_tier_grace_and_delete_closes_downtime(api):
    # sovereign grace 45 s < XCELSIOR_HOST_DEAD_AFTER_SEC 90: dead after 50 s; community is not
    api.reg("sla-sov", sla_tier="sovereign", versions=GOOD)
    api.reg("sla-com", versions=GOOD)
    api.clock(50)
    api.sweep()
    assert api.host("sla-sov")["status"] == "dead" and api.host("sla-com")["status"] == "active"
    assert [d["host_id"] for d in downtimes(api, open_only="true")] == ["sla-sov"]
    # a second sweep opens nothing more (at most one open downtime per host)
    api.clock(60)
    api.sweep()
    assert sorted(d["host_id"] for d in downtimes(api, open_only="true")) == ["sla-com", "sla-sov"]
    assert len(downtimes(api, host_id="sla-sov")) == 1
    assert api.delete("/host/sla-sov").status_code == 200
    (d,) = downtimes(api, host_id="sla-sov")
    assert d["resolved"] is True
    # re-registering a dead host closes its downtime too
    api.reg("sla-com", versions=GOOD)
    assert downtimes(api, open_only="true") == []
    assert downtimes(api, since=now_of(api) + 10) == []


def test_only_admin_sets_sla_tier(api):
    tok = api.reg("sla-own")["agent_token"]
    agent = Api(api.server, token=tok)
    body = {"host_id": "sla-own", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
            "free_vram_gb": 24, "sla_tier": "sovereign"}
    assert_envelope(agent.put("/host", body), 403, msg_contains="sla_tier")
    del body["sla_tier"]
    assert agent.put("/host", body).status_code == 200
    assert api.host("sla-own")["sla_tier"] == "community"
    assert api.put("/host", dict(body, sla_tier="secure")).status_code == 200
    assert api.host("sla-own")["sla_tier"] == "secure"
    assert api.get("/api/sla/sla-own").json()["sla_tier"] == "secure"


# ---- telemetry violations (SLA-07) ---------------------------------------------------------------

def telemetry(api, host, **metrics):
    r = api.post("/agent/telemetry", {"host_id": host, "metrics": metrics})
    assert r.status_code == 200, r.text


def violations(api, host, **q):
    r = api.get(f"/api/sla/violations/{host}", params=q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["host_id"] == host and body["count"] == len(body["violations"])
    return body["violations"]


def test_telemetry_violations(api):
    api.reg("sla-t", versions=GOOD)
    telemetry(api, "sla-t", temp=72, utilization=85, active_jobs=1, memory_errors=0)
    assert violations(api, "sla-t") == []
    telemetry(api, "sla-t", temp=95)
    (v,) = violations(api, "sla-t")
    assert (v["violation_type"], v["severity"], v["metric_value"], v["threshold"]) == ("thermal", "breach", 95.0, 90.0)
    assert v["host_id"] == "sla-t" and isinstance(v["id"], int) and v["details"] and v["timestamp"] > 0
    telemetry(api, "sla-t", temp=101)  # within 300 s of the last thermal row: not recorded
    assert len(violations(api, "sla-t")) == 1
    api.clock(301)
    telemetry(api, "sla-t", temp=101.5)
    api.clock(1)
    telemetry(api, "sla-t", utilization=10, active_jobs=1)
    api.clock(1)
    telemetry(api, "sla-t", utilization=10, active_jobs=0, memory_errors=1)
    got = [(x["violation_type"], x["severity"], x["metric_value"], x["threshold"]) for x in violations(api, "sla-t")]
    assert got == [("hardware", "critical", 1.0, 0.0), ("throughput", "warning", 10.0, 80.0),
                   ("thermal", "critical", 101.5, 90.0), ("thermal", "breach", 95.0, 90.0)]
    newest = violations(api, "sla-t")[0]
    assert violations(api, "sla-t", since=newest["timestamp"]) == [newest]
    s = [h for h in api.get("/api/sla/hosts-summary").json()["hosts"] if h["host_id"] == "sla-t"][0]
    assert s["violation_count"] == 4 and s["last_violation"] == newest
    assert violations(api, "nobody") == []


# ---- the static routes and the acceptance vectors ------------------------------------------------

def test_targets_summary_and_unknown_host(api):
    t = api.get("/api/sla/targets").json()["targets"]
    rows = {k: (v["availability_pct"], v["latency_ttft_ms"], v["throughput_floor_pct"], v["response_time_hours"],
                v["heartbeat_grace_sec"], v["max_thermal_c"]) for k, v in t.items()}
    assert rows == {"community": (99.0, 200, 80.0, 4, 90, 90), "secure": (99.5, 100, 90.0, 2, 60, 85),
                    "sovereign": (99.9, 50, 95.0, 1, 45, 80)}
    assert all(v["tier"] == k for k, v in t.items())
    assert api.get("/api/sla/hosts-summary").json() == {"ok": True, "hosts": [], "count": 0}
    assert downtimes(api) == []
    api.reg("sla-a", gpu_model="A100", total_vram_gb=80, free_vram_gb=80, versions=GOOD)
    api.reg("sla-b", province="QC")
    api.reg("sla-c", province="BC", versions=GOOD)
    s = api.get("/api/sla/hosts-summary").json()
    assert s["count"] == 3
    by = {h["host_id"]: h for h in s["hosts"]}
    a = by["sla-a"]
    assert (a["gpu_model"], a["sla_tier"], a["country"], a["province"], a["violation_count"],
            a["last_violation"], a["uptime_30d_pct"], a["status"]) == ("A100", "community", "CA", "ON", 0, None,
                                                                        100.0, "active")
    assert by["sla-b"]["status"] == "pending" and by["sla-b"]["province"] == "QC"
    assert by["sla-c"]["province"] == "BC"
    # SLA-01: an unknown host is allowed
    e = enforce(api, "h-sla", "2026-01", tier="community", monthly_spend_cad=500.0)
    assert (e["uptime_pct"], e["downtime_seconds"], e["incidents"], e["target_pct"], e["credit_pct"],
            e["credit_cad"]) == (100.0, 0, 0, 99.0, 0, 0.0)
    current = datetime.datetime.fromtimestamp(now_of(api), datetime.timezone.utc).strftime("%Y-%m")
    assert enforce(api, "h-sla", current)["month"] == current
    h = api.get("/api/sla/h-sla").json()
    assert h["sla_tier"] == "community" and h["uptime_30d_pct"] == 100.0 and h["monthly_record"]["month"] == current
    assert api.get("/api/sla/h-sla", params={"month": "2026-01"}).json()["monthly_record"]["spend_cad"] == 500.0
    assert api.get("/api/sla/h-sla", params={"month": "2025-01"}).json()["monthly_record"] is None


@pytest.mark.parametrize("body,field", [
    ({"month": "2026-01"}, "host_id"),
    ({"host_id": "h1"}, "month"),
    ({"host_id": "h1", "month": "2026-13"}, "month"),
    ({"host_id": "h1", "month": "2026-00"}, "month"),
    ({"host_id": "h1", "month": "2026-1"}, "month"),
    ({"host_id": "h1", "month": "2026-01-01"}, "month"),
    ({"host_id": "h1", "month": "1969-12"}, "month"),
    ({"host_id": "h1", "month": ""}, "month"),
    ({"host_id": "h1", "month": 202601}, "month"),
    ({"host_id": "bad host!", "month": "2026-01"}, "host_id"),
    ({"host_id": "h1", "month": "2026-01", "tier": "gold"}, "tier"),
    ({"host_id": "h1", "month": "2026-01", "monthly_spend_cad": -1}, "monthly_spend_cad"),
    ({"host_id": "h1", "month": "2026-01", "monthly_spend_cad": "many"}, "monthly_spend_cad"),
])
def test_enforce_bad_input_422(mapi, body, field):
    err = assert_envelope(mapi.post("/api/sla/enforce", body), 422, "validation_error")
    assert err["details"][0]["loc"] == ["body", field], err


def test_enforce_null_tier_and_spend_take_defaults(mapi):
    e = enforce(mapi, "h-null", "2026-02", tier=None, monthly_spend_cad=None)
    assert e["tier"] == "community" and e["spend_cad"] == 0.0 and e["uptime_pct"] == 100.0


@pytest.mark.parametrize("path,params,field", [
    ("/api/sla/h1", {"month": "2026-13"}, "month"),
    ("/api/sla/h1", {"month": "soon"}, "month"),
    ("/api/sla/downtimes", {"since": "yesterday"}, "since"),
    ("/api/sla/downtimes", {"open_only": "maybe"}, "open_only"),
    ("/api/sla/violations/h1", {"since": "x"}, "since"),
])
def test_get_bad_query_422(mapi, path, params, field):
    err = assert_envelope(mapi.get(path, params=params), 422, "validation_error")
    assert err["details"][0]["loc"] == ["query", field], err


def test_bad_host_ids_and_methods(mapi):
    assert_envelope(mapi.get("/api/sla/violations/" + "x" * 65), 404)
    assert_envelope(mapi.get("/api/sla/" + "x" * 65), 404)
    # GET /api/sla/enforce is the SLA of a host named "enforce" (no GET of the static route)
    assert mapi.get("/api/sla/enforce").json()["host_id"] == "enforce"
    assert mapi.put("/api/sla/hosts-summary").status_code == 405
    assert mapi.post("/api/sla/enforce", data="{not json").status_code in (400, 422)
    assert mapi.delete("/api/sla/targets").status_code == 405
