"""Black-box tests of reputation (api §8.9, §7.3 leaderboard, §6.8 shapes; domain §19; acceptance
REP-*): every route with bad input, the fact hooks (completed jobs, host- and user-fault failures,
expired leases, mining kills, incorporation approval), read-time decay at chosen instants on the
test clock, the leaderboard order and the marketplace's filter and sort by the live score.

Reads never write: the tests count and fingerprint the reputation tables of the server's SQLite
file around reads (after clock advances too)."""
import datetime
import sqlite3
import uuid

import pytest

from conftest import GOOD, Api, assert_envelope, start
from provider_world import World

TIERS = {"new_user", "bronze", "silver", "gold", "platinum", "diamond"}
SCORE_KEYS = ["entity_id", "entity_type", "verification_points", "activity_points", "decay_points",
              "penalty_points", "reliability_score", "raw_score", "final_score", "tier", "jobs_completed",
              "jobs_failed_host", "jobs_failed_user", "days_active", "last_activity_at", "verifications",
              "search_boost", "pricing_premium_pct"]


@pytest.fixture
def srv():
    s = start()
    yield s
    s.stop()


@pytest.fixture
def api(srv):
    return Api(srv)


def tables(srv):
    """Every stored reputation row and event (a fingerprint of what reads must not change)."""
    c = sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True)
    try:
        rows = c.execute("SELECT * FROM reputation ORDER BY entity_type, entity_id").fetchall()
        evs = c.execute("SELECT * FROM reputation_events ORDER BY event_id").fetchall()
    finally:
        c.close()
    return rows, evs


def rep(api, eid, etype=None):
    q = f"?entity_type={etype}" if etype else ""
    r = api.get(f"/api/reputation/{eid}{q}")
    assert r.status_code == 200, r.text
    return r.json()["reputation"]


def verify(api, eid, vt, etype=None, expect=200):
    body = {"entity_id": eid, "verification_type": vt}
    if etype:
        body["entity_type"] = etype
    r = api.post("/api/reputation/verify", body)
    assert r.status_code == expect, r.text
    return r.json()


def history(api, eid, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    r = api.get(f"/api/reputation/{eid}/history" + (f"?{qs}" if qs else ""))
    assert r.status_code == 200, r.text
    return r.json()["events"]


def complete_one(api, hid, **extra):
    j = api.running_job(hid, **extra)
    assert api.status(j["job_id"], "completed", hid).status_code == 200
    return j["job_id"]


def funded(api):
    """A customer id with money in its wallet (so its jobs are placed)."""
    c = "cust-" + uuid.uuid4().hex
    r = api.post(f"/api/billing/wallet/{c}/deposit", {"amount_cad": 100})
    assert r.status_code == 200, r.text
    return c


# ---- reads ----------------------------------------------------------------------------------------

def test_unknown_entity_is_a_zero_score_and_nothing_is_stored(api, srv):
    before = tables(srv)
    s = rep(api, "host-1")
    assert list(s) == SCORE_KEYS
    assert s["entity_id"] == "host-1" and s["entity_type"] == "host" and s["tier"] == "new_user"
    assert s["final_score"] == 0.0 and s["raw_score"] == 0.0 and s["reliability_score"] == 1.0
    assert s["verifications"] == [] and s["last_activity_at"] is None and s["jobs_completed"] == 0
    assert s["search_boost"] == 0.8 and s["pricing_premium_pct"] == 0.0
    assert history(api, "host-1") == []
    b = api.get("/api/reputation/host-1/breakdown").json()
    assert b["ok"] and b["total_score"] == 0.0 and b["events_analyzed"] == 0
    lb = api.get("/api/reputation/leaderboard?entity_type=host&limit=10").json()
    assert lb == {"ok": True, "entity_type": "host", "leaderboard": []}  # REP-10: no entity "leaderboard"
    assert rep(api, "u1", "user")["entity_type"] == "user"
    assert tables(srv) == before == ([], [])


def test_read_routes_reject_bad_input(api):
    for path in ("/api/reputation/h1?entity_type=bogus", "/api/reputation/h1/breakdown?entity_type=x",
                 "/api/reputation/h1/history?limit=0", "/api/reputation/h1/history?limit=501",
                 "/api/reputation/h1/history?limit=ten", "/api/reputation/leaderboard?limit=0",
                 "/api/reputation/leaderboard?limit=101", "/api/reputation/leaderboard?entity_type=team"):
        assert_envelope(api.get(path), 422, "validation_error")
    assert_envelope(api.get("/api/reputation/" + "x" * 65), 404, "not_found")
    assert_envelope(api.get("/api/reputation/bad%20id"), 404, "not_found")
    assert_envelope(api.delete("/api/reputation/h1"), 405, "method_not_allowed")


# ---- verifications and penalties ------------------------------------------------------------------

def test_verifications_count_once_and_cap_at_250(api, srv):
    s = verify(api, "host-1", "email")["reputation"]  # REP-13
    assert s["entity_id"] == "host-1" and s["tier"] in TIERS
    assert s["verification_points"] == 50.0 and s["verifications"] == ["email"]
    n_events = len(tables(srv)[1])
    assert verify(api, "host-1", "email")["reputation"]["verification_points"] == 50.0  # REP-02
    assert len(tables(srv)[1]) == n_events  # a repeated type records nothing
    assert verify(api, "host-1", "phone")["reputation"]["verification_points"] == 100.0
    pts = [verify(api, "host-1", t)["reputation"]["verification_points"]
           for t in ("gov_id", "hardware_audit", "incorporation", "data_center")]
    assert pts == [175.0, 250.0, 250.0, 250.0]
    s = rep(api, "host-1")
    assert s["tier"] == "silver" and s["search_boost"] == 1.1 and s["pricing_premium_pct"] == 0.05
    assert s["verifications"] == ["email", "phone", "gov_id", "hardware_audit", "incorporation", "data_center"]
    evs = history(api, "host-1")
    assert [e["event_type"] for e in evs][:2] == ["verification_data_center", "verification_incorporation"]
    assert evs[0]["points_delta"] == 0.0 and evs[-1]["points_delta"] == 50.0
    assert evs[-1]["reason"] == "Completed email verification" and evs[-1]["metadata"]["actor"]
    assert history(api, "host-1", limit=2) == evs[:2]
    # user entities are separate from hosts
    assert verify(api, "host-1", "email", "user")["reputation"]["entity_type"] == "user"
    assert rep(api, "host-1", "user")["verification_points"] == 50.0


def test_verify_bad_input(api, srv):
    r = api.post("/api/reputation/verify", {"entity_id": "host-1", "verification_type": "invalid_type"})
    assert_envelope(r, 400, "bad_request", "Invalid verification type: invalid_type")
    for body in ({"verification_type": "email"}, {"entity_id": "host-1"},
                 {"entity_id": "host-1", "verification_type": "email", "entity_type": "team"},
                 {"entity_id": "bad id", "verification_type": "email"},
                 {"entity_id": 5, "verification_type": "email"}):
        assert_envelope(api.post("/api/reputation/verify", body), 422, "validation_error")
    assert_envelope(api.req("POST", "/api/reputation/verify", data="not json"), 422, "validation_error")
    assert tables(srv) == ([], [])


def test_penalties(api):
    s = api.post("/api/reputation/host-1/penalty", {"penalty_type": "chargeback"}).json()["reputation"]
    assert s["penalty_points"] == -100.0 and s["final_score"] == 0.0  # REP-06
    s = api.post("/api/reputation/host-1/penalty", {"penalty_type": "fraud_flag", "reason": "card fraud"}).json()
    assert s["reputation"]["penalty_points"] == -350.0
    api.post("/api/reputation/host-1/penalty", {"penalty_type": "sla_breach"})
    evs = history(api, "host-1")
    assert evs[0]["event_type"] == "penalty_sla_breach" and evs[0]["points_delta"] == -75.0
    assert evs[1]["reason"] == "card fraud" and evs[1]["points_delta"] == -250.0
    u = api.post("/api/reputation/cust-1/penalty", {"penalty_type": "terms_violation", "entity_type": "user"}).json()
    assert u["reputation"]["entity_type"] == "user" and u["reputation"]["penalty_points"] == -100.0
    r = api.post("/api/reputation/host-1/penalty", {"penalty_type": "nope"})
    assert_envelope(r, 400, "bad_request", "Invalid penalty type: nope")
    for body in ({}, {"penalty_type": 3}, {"penalty_type": "chargeback", "entity_type": "x"},
                 {"penalty_type": "chargeback", "reason": "r" * 121}):
        assert_envelope(api.post("/api/reputation/host-1/penalty", body), 422, "validation_error")
    assert rep(api, "host-1")["penalty_points"] == -425.0


def test_admin_routes_need_an_admin(srv):
    w = World(srv)
    tok, _ = w.user("submitter")
    user = Api(srv, tok)
    assert_envelope(user.post("/api/reputation/verify", {"entity_id": "h", "verification_type": "email"}), 403)
    assert_envelope(user.post("/api/reputation/h/penalty", {"penalty_type": "chargeback"}), 403)
    assert user.get("/api/reputation/h").status_code == 200
    assert user.get("/api/reputation/leaderboard").status_code == 200


# ---- hooks ----------------------------------------------------------------------------------------

def test_completed_jobs_raise_the_host_score(api):
    api.host_up("h1")
    jid = complete_one(api, "h1")
    s = rep(api, "h1")
    assert s["activity_points"] == 10.0 and s["jobs_completed"] == 1 and s["final_score"] == 10.0  # REP-03
    assert s["last_activity_at"] is not None and s["reliability_score"] == 1.0
    (ev,) = history(api, "h1")
    assert ev["event_type"] == "job_completed" and ev["points_delta"] == 10.0
    assert ev["reason"] == "Job completed successfully (+10.0 points, job #1)" and ev["metadata"]["job_id"] == jid
    b = api.get("/api/reputation/h1/breakdown").json()  # REP-15
    assert b["entity_id"] == "h1" and b["tier"] == "new_user" and b["events_analyzed"] == 1
    assert b["breakdown"] == {"verification": 0.0, "jobs_completed": 10.0, "uptime_bonus": 0.0, "penalties": 0.0,
                              "decay": 0.0}
    complete_one(api, "h1")
    assert rep(api, "h1")["activity_points"] == 20.0


def test_host_fault_failure_and_expired_lease_penalise_the_host(api):
    api.host_up("h1")
    complete_one(api, "h1")
    j = api.running_job("h1")
    assert api.status(j["job_id"], "failed", "h1", exit_code=255, failure_reason="hardware fault").status_code == 200
    s = rep(api, "h1")
    assert s["penalty_points"] == -50.0 and s["jobs_failed_host"] == 1  # REP-05
    assert s["reliability_score"] == 0.825  # 0.40 × 1 + 0.35 × 1/2 + 0.25 × 1
    assert s["final_score"] == 0.0  # (10 − 50) × 0.825 → floored at 0
    assert len(history(api, "h1")) >= 2  # REP-09
    # the failed job is requeued away from h1 (its avoid list); another one's lease expires there
    jid = api.running_job("h1", name="lease")["job_id"]
    api.clock(361)
    api.reg("h1")  # keep the host alive so only the lease times out
    api.sweep()
    assert api.job(jid)["failure_reason"] == "lease_expired"
    s = rep(api, "h1")
    assert s["penalty_points"] == -100.0 and s["jobs_failed_host"] == 2
    assert history(api, "h1")[0]["reason"] == "Job failed due to host-side error"


def test_user_fault_failure_is_recorded_on_the_owner_without_penalty(api):
    api.host_up("h1")
    owner = funded(api)
    j = api.running_job("h1", owner=owner)
    assert api.status(j["job_id"], "failed", "h1", exit_code=137).status_code == 200
    u = rep(api, owner, "user")
    assert u["jobs_failed_user"] == 1 and u["penalty_points"] == 0.0  # REP-05
    assert history(api, owner, entity_type="user")[0]["reason"] == "Job failed due to user-side error (no penalty)"
    h = rep(api, "h1")
    assert h["penalty_points"] == 0.0 and h["jobs_failed_host"] == 0


def test_mining_kill_penalises_the_owner_once_and_not_the_host(api):
    api.host_up("h1")
    owner = funded(api)
    j = api.running_job("h1", owner=owner)
    alert = {"host_id": "h1", "gpu_index": 0, "confidence": 0.72, "reason": "util=99% pcie_tx=1MB/s",
             "action": "terminated", "job_id": j["job_id"]}
    for _ in range(2):  # the agent may repeat itself
        assert api.post("/agent/mining-alert", alert).status_code == 200
    assert rep(api, owner, "user")["penalty_points"] == -100.0  # REP-16
    r = api.status(j["job_id"], "failed", "h1", failure_reason="mining_detected: util=99% pcie_tx=1MB/s")
    assert r.status_code == 200
    u = rep(api, owner, "user")
    assert u["penalty_points"] == -100.0 and u["jobs_failed_user"] == 1
    assert [e["event_type"] for e in history(api, owner, entity_type="user")] == [
        "job_failure_user", "penalty_terms_violation"]
    h = rep(api, "h1")
    assert h["penalty_points"] == 0.0 and h["jobs_failed_host"] == 0
    # an alert without a kill only records
    assert api.post("/agent/mining-alert", dict(alert, action="alert", job_id=None)).status_code == 200
    assert rep(api, owner, "user")["penalty_points"] == -100.0


def test_incorporation_approval_grants_the_verification(srv):
    w = World(srv)
    tok, user = w.user("provider")
    pid = w.register_provider(tok, provider_type="company", corporation_name="Acme")["provider_id"]
    w.req("POST", f"/api/providers/{pid}/incorporation", token=tok, json={"file_id": "file-123"})
    w.req("POST", f"/api/providers/{pid}/incorporation/approve")
    s = Api(srv).get(f"/api/reputation/{user['customer_id']}?entity_type=user").json()["reputation"]
    assert s["verifications"] == ["incorporation"] and s["verification_points"] == 100.0 and s["tier"] == "bronze"
    ex = w.req("GET", "/api/auth/me/data-export", token=tok)["data_export"]["reputation"]
    assert ex["entity_id"] == user["customer_id"] and ex["verification_points"] == 100.0


def test_data_export_shows_an_empty_object_without_reputation(srv):
    w = World(srv)
    tok, _ = w.user("submitter")
    assert w.req("GET", "/api/auth/me/data-export", token=tok)["data_export"]["reputation"] == {}


# ---- decay at chosen instants ---------------------------------------------------------------------

def test_decay_is_computed_at_read_time_and_never_stored(api, srv):
    api.host_up("h1")
    for _ in range(10):
        complete_one(api, "h1")
    assert rep(api, "h1")["activity_points"] == 100.0
    stored = tables(srv)
    api.clock(7 * 86400)  # exactly 7 days: no decay yet
    api.reg("h1")
    s = rep(api, "h1")
    assert s["decay_points"] == 0.0 and s["activity_points"] == 100.0
    api.clock(3 * 86400 + 43200)  # 10.5 days inactive: decay 3.5 (REP-14)
    a, b = rep(api, "h1"), rep(api, "h1")
    assert a == b
    assert a["activity_points"] == 96.5 and a["decay_points"] == 3.5 and a["final_score"] == 96.5
    assert a["days_active"] == 10
    bd = api.get("/api/reputation/h1/breakdown").json()["breakdown"]
    assert bd["decay"] == -3.5 and bd["jobs_completed"] == 100.0
    assert tables(srv) == stored  # reads wrote nothing, the decay included
    api.clock(200 * 86400)  # decay is capped at the stored activity
    s = rep(api, "h1")
    assert s["activity_points"] == 0.0 and s["decay_points"] == 100.0 and s["final_score"] == 0.0
    complete_one(api, "h1")  # activity resumes from the stored value (decay was never subtracted)
    s = rep(api, "h1")
    assert s["activity_points"] == 110.0 and s["decay_points"] == 0.0
    assert tables(srv)[0][0][4] == 1100  # activity_points column: tenths, before decay


# ---- leaderboard and marketplace ------------------------------------------------------------------

def test_leaderboard_order_and_limit(api, srv):
    for eid, vts in (("a", ["email"]), ("b", ["email", "phone"]), ("c", ["gov_id"]), ("d", ["email"])):
        for vt in vts:
            verify(api, eid, vt)
    verify(api, "u9", "data_center", "user")
    stored = tables(srv)
    r = api.get("/api/reputation/leaderboard?entity_type=host&limit=10").json()
    assert r["ok"] and r["entity_type"] == "host"
    lb = r["leaderboard"]
    assert [(e["rank"], e["entity_id"], e["final_score"]) for e in lb] == [
        (1, "b", 100.0), (2, "c", 75.0), (3, "a", 50.0), (4, "d", 50.0)]
    assert list(lb[0]) == ["rank", "entity_id", "entity_type", "final_score", "tier", "jobs_completed",
                           "reliability_score", "search_boost", "pricing_premium_pct"]
    assert lb[0]["tier"] == "bronze" and lb[0]["search_boost"] == 1.0 and lb[2]["tier"] == "new_user"
    top = api.get("/api/reputation/leaderboard?limit=2").json()["leaderboard"]
    assert [e["entity_id"] for e in top] == ["b", "c"]
    users = api.get("/api/reputation/leaderboard?entity_type=user").json()
    assert [e["entity_id"] for e in users["leaderboard"]] == ["u9"] and users["entity_type"] == "user"
    assert tables(srv) == stored


def test_marketplace_filters_and_sorts_by_live_reputation(api):
    for hid, price in (("m1", 1.0), ("m2", 2.0), ("m3", 3.0)):
        api.host_up(hid)
        r = api.post("/marketplace/list", {"host_id": hid, "price_per_hour": price})
        assert r.status_code == 200, r.text
    verify(api, "m3", "email")
    verify(api, "m2", "gov_id")
    r = api.get("/marketplace/search?sort_by=reputation").json()
    assert [(x["host_id"], x["reputation_score"]) for x in r["listings"]] == [("m2", 75.0), ("m3", 50.0), ("m1", 0.0)]
    r = api.get("/marketplace/search?min_reputation=50").json()
    assert [x["host_id"] for x in r["listings"]] == ["m2", "m3"]  # price order
    assert r["filters_applied"]["min_reputation"] == 50.0 and r["total"] == 2
    assert api.get("/marketplace/search?min_reputation=75.1").json()["total"] == 0
    for i in range(10):  # 100.0 → bronze
        verify(api, "m1", ["email", "phone"][i % 2])
    verify(api, "m1", "data_center")
    browse = {x["host_id"]: x for x in api.get("/marketplace").json()["listings"]}
    assert browse["m1"]["reputation_score"] == 200.0 and browse["m1"]["reputation_tier"] == "bronze"
    assert_envelope(api.get("/marketplace/search?min_reputation=abc"), 422, "validation_error")


# ---- SLA: downtime lowers reliability, an enforced breach penalises once --------------------------

def test_downtime_lowers_reliability_and_an_sla_breach_penalises_once(api):
    now = datetime.datetime.fromtimestamp(api.clock(0)["now"], datetime.timezone.utc)
    y, m = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    api.clock(int((datetime.datetime(y, m, 2, tzinfo=datetime.timezone.utc) - now).total_seconds()) + 1)
    month = f"{y:04d}-{m:02d}"
    api.host_up("h1", sla_tier="sovereign")
    api.clock(3 * 3600)
    api.sweep()  # heartbeats missed: a downtime opens
    api.reg("h1")  # and the next heartbeat closes it (3 h down)
    complete_one(api, "h1")
    s = rep(api, "h1")
    assert s["reliability_score"] == 0.9983  # 0.40 × (1 − 3 h / 30 d) + 0.35 + 0.25
    assert s["final_score"] == 10.0 and s["penalty_points"] == 0.0
    for _ in range(2):
        r = api.post("/api/sla/enforce", {"host_id": "h1", "month": month, "monthly_spend_cad": 100})
        assert r.status_code == 200 and r.json()["credit_pct"] > 0, r.text
    s = rep(api, "h1")
    assert s["penalty_points"] == -75.0
    ev = [e for e in history(api, "h1") if e["event_type"] == "penalty_sla_breach"]
    assert len(ev) == 1 and ev[0]["points_delta"] == -75.0 and ev[0]["metadata"] == {"month": month}


def test_a_failed_network_check_lowers_reliability(api):
    api.host_up("h1")
    complete_one(api, "h1")
    report = {"gpu_model": "RTX 4090", "total_vram_gb": 24, "serial": "GPU-SN-1", "cuda_version": "12.4",
              "driver_version": "550.54", "compute_capability": "8.9", "pcie_bandwidth_gbps": 15.0,
              "gpu_temp_celsius": 65, "packet_loss_pct": 0.1, "jitter_ms": 5, "latency_ms": 12,
              "throughput_mbps": 500, "versions": GOOD}
    r = api.post("/agent/verify", {"host_id": "h1", "report": report})
    assert r.status_code == 200 and r.json()["state"] == "verified", r.text
    assert rep(api, "h1")["reliability_score"] == 1.0  # passed: n = 1.0
    api.clock(1801)
    r = api.post("/agent/verify", {"host_id": "h1", "report": dict(report, packet_loss_pct=5.0)})
    assert r.status_code == 200 and r.json()["state"] == "deverified", r.text
    assert rep(api, "h1")["reliability_score"] == 0.875  # 0.40 + 0.35 + 0.25 × 0.5
