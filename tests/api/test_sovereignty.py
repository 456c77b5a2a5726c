"""Verification, compute score, jurisdiction and sovereign scheduling (api §7.3, §8.1 benchmark/verify,
§8.2 compute scores, §8.4 jurisdiction, §8.8; domain §16, §18, §20; acceptance XCU-*, VER-*, JUR-*)."""
import pytest

from conftest import GOOD, Api, assert_envelope

REPORT = {"gpu_model": "RTX 4090", "total_vram_gb": 24, "serial": "GPU-SN-4090-001", "cuda_version": "12.4",
          "driver_version": "550.54", "compute_capability": "8.9", "pcie_bandwidth_gbps": 15.0,
          "gpu_temp_celsius": 65, "packet_loss_pct": 0.1, "jitter_ms": 5, "latency_ms": 12,
          "throughput_mbps": 500, "versions": GOOD}
VETTED = {"country": "CA", "province": "ON", "city": "Toronto", "data_center_name": "TOR1",
          "data_center_class": "colocation", "operator_name": "Acme GPU Inc.", "operator_incorporated_in": "Canada",
          "operator_registered_canada": True, "foreign_control": False, "sovereignty_vetted": True}


@pytest.fixture
def h1(api):
    tok = api.reg("h1", runtimes=["runc", "runsc"])["agent_token"]
    api.post("/agent/versions", {"host_id": "h1", "versions": dict(GOOD, gvisor="20240807.0"),
                                 "runtimes": ["runc", "runsc"]})
    return Api(api.server, token=tok)


def verify(agent, report=REPORT, host="h1"):
    r = agent.post("/agent/verify", {"host_id": host, "report": report})
    assert r.status_code == 200, r.text
    return r.json()


def test_sovereignty_job_waits_for_record_and_verification(api, h1):
    j = api.submit("sov", 8, trust_tier="sovereignty")
    assert api.process() == []
    job = api.job(j["job_id"])
    assert job["status"] == "queued" and job["hold_reason"] == "no_eligible_host"
    assert job["pending_reason"] == "Host verification required"  # declared CA, unverified
    # The admin attests a Canadian, vetted record: the host is still unverified.
    r = api.put("/api/jurisdiction/hosts/h1", VETTED)
    assert r.status_code == 200, r.text
    assert r.json()["trust_tier"] == "community" and r.json()["jurisdiction"]["sovereignty_vetted"] is True
    assert api.process() == []
    assert api.job(j["job_id"])["pending_reason"] == "Host verification required"
    # The host's own measured report verifies it; now it classifies as sovereignty and is placed.
    out = verify(h1)
    assert out["state"] == "verified" and out["score"] == 100.0 and len(out["checks"]) == 7
    assert out["gpu_fingerprint"] == "673faa842221ce47"
    host = api.host("h1")
    assert host["verification_state"] == "verified" and host["trust_tier"] == "sovereignty"
    assert host["latency_ms"] == 12
    assigned = api.process()
    assert [a["job_id"] for a in assigned] == [j["job_id"]]
    # Isolation preference: above community, the host's sandboxed runtime.
    ev = [e for e in api.audit(j["job_id"]) if e["event_type"] == "job.assigned"]
    assert ev and ev[0]["data"]["runtime"] == "runsc"
    # Residency trace: the attested facts.
    assert h1.claim(j["job_id"], "h1").status_code == 200
    assert api.status(j["job_id"], "running", host_id="h1").status_code == 200
    api.clock(3600)
    assert api.status(j["job_id"], "completed", host_id="h1").status_code == 200
    t = api.get("/api/jurisdiction/residency-trace/" + j["job_id"]).json()["trace"]
    assert t["country"] == "CA" and t["province"] == "ON" and t["city"] == "Toronto"
    assert t["is_canadian_compute"] is True and t["sovereignty_vetted"] is True
    assert t["operator"] == "Acme GPU Inc." and abs(t["duration_sec"] - 3600.0) < 2


def test_community_job_runs_on_runc(api, h1):
    j = api.submit("com", 8)
    assert [a["job_id"] for a in api.process()] == [j["job_id"]]
    ev = [e for e in api.audit(j["job_id"]) if e["event_type"] == "job.assigned"]
    assert ev[0]["data"]["runtime"] == "runc"


def test_regulated_needs_audit_trail(api, h1):
    api.put("/api/jurisdiction/hosts/h1", VETTED)
    verify(h1)
    j = api.submit("reg", 8, trust_tier="regulated")
    assert api.process() == []
    assert api.job(j["job_id"])["pending_reason"] == "Audit trail capability required"
    r = api.put("/api/jurisdiction/hosts/h1", {"supports_audit_trail": True})
    assert r.json()["trust_tier"] == "regulated"
    assert [a["job_id"] for a in api.process()] == [j["job_id"]]


def test_foreign_control_stays_residency(api, h1):
    verify(h1)
    r = api.put("/api/jurisdiction/hosts/h1", dict(VETTED, foreign_control=True))
    assert r.json()["trust_tier"] == "residency"
    j = api.submit("sov2", 8, trust_tier="sovereignty")
    assert api.process() == []
    assert api.job(j["job_id"])["pending_reason"] == "Host operator is subject to foreign jurisdiction"
    r2 = api.submit("res", 8, trust_tier="residency")
    assert [a["job_id"] for a in api.process()] == [r2["job_id"]]


def test_host_cannot_set_its_own_trust_fields(api, h1):
    r = h1.put("/host", {"host_id": "h1", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                         "free_vram_gb": 24, "country": "CA", "province": "ON", "verification_state": "verified",
                         "trust_tier": "regulated", "compute_score": 99, "sovereignty_vetted": True})
    assert r.status_code == 200, r.text
    h = r.json()["host"]
    assert h["verification_state"] == "unverified" and h["trust_tier"] == "community"
    assert h["compute_score"] is None
    # The jurisdiction and verification admin routes refuse the host's agent token outright.
    assert h1.put("/api/jurisdiction/hosts/h1", VETTED).status_code == 403
    assert h1.post("/api/verify/h1/approve").status_code == 403
    assert api.get("/api/jurisdiction/hosts/h1").json()["jurisdiction"]["sovereignty_vetted"] is False


def test_verification_failures_and_admin(api, h1):
    bad = verify(h1, dict(REPORT, pcie_bandwidth_gbps=2.0))
    assert bad["state"] == "deverified" and bad["score"] == 85.71
    st = api.get("/api/verify/h1/status").json()["verification"]
    assert st["deverify_reason"] == "Failed checks: pcie_bandwidth"
    assert api.host("h1")["verification_state"] == "deverified"
    assert bad["cooldown_until"] is not None
    again = verify(h1)  # cool-down: stored record unchanged
    assert again["state"] == "deverified"
    api.clock(1801)
    assert verify(h1)["state"] == "verified"
    st = api.get("/api/verify/h1/status").json()
    assert st["status"] == "verified" and st["verification"]["next_check_at"] is not None
    r = api.post("/api/verify/h1/reject?reason=x")
    assert r.status_code == 200 and r.json()["status"] == "deverified"
    st = api.get("/api/verify/h1/status").json()["verification"]
    assert st["deverify_reason"] == "Admin: x"
    r = api.post("/api/verify/h1/approve", {"notes": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "verified"
    lst = api.get("/api/verified-hosts").json()
    assert lst["count"] == 1 and lst["hosts"][0]["gpu_model"] == "RTX 4090"
    assert api.get("/api/verified-hosts?state=deverified").json()["count"] == 0


def test_reverify_schedule(api, h1):
    verify(h1)
    api.clock(86400)
    assert api.post("/hosts/check").status_code == 200
    r = h1.put("/host", {"host_id": "h1", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                         "free_vram_gb": 24})
    assert r.json()["reverify_due"] is True and r.json()["host"]["verification_state"] == "verifying"
    api.clock(86400)
    assert api.post("/hosts/check").status_code == 200
    st = api.get("/api/verify/h1/status").json()
    assert st["status"] == "deverified" and st["verification"]["deverify_reason"] == "Re-verification overdue"


def test_status_unknown(api):
    api.reg("h9")
    assert api.get("/api/verify/h9/status").json() == {"ok": True, "host_id": "h9", "status": "unverified"}
    assert_envelope(api.get("/api/verify/nohost/status"), 404)


def test_benchmark_and_scores(api, h1):
    r = h1.post("/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090", "score": 8.5, "tflops": 82.6})
    assert r.status_code == 200 and r.json()["xcu"] == 8.26 and r.json()["flags"] == []
    assert api.get("/compute-score/h1").json()["score"] == 8.26
    assert api.host("h1")["compute_score"] == 8.26
    r = h1.post("/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090", "tflops": 200})
    assert r.json()["accepted_tflops"] == 103.25 and r.json()["xcu"] == 10.33 and "clamped_high" in r.json()["flags"]
    r = h1.post("/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 3090", "tflops": 35.6})
    assert "model_mismatch" in r.json()["flags"]
    assert api.get("/compute-score/h1").json()["score"] == 10.33
    s = api.get("/compute-scores").json()["scores"]
    assert s["h1"]["score"] == 10.33 and s["h1"]["gpu_model"] == "RTX 4090"
    assert_envelope(api.get("/compute-score/nohost"), 404, "not_found", "No compute score for host nohost")


def test_trust_tiers(api):
    t = api.get("/api/trust-tiers").json()["tiers"]
    assert [t[k]["pricing_multiplier"] for k in ("community", "residency", "sovereignty", "regulated")] == \
        [1.0, 1.15, 1.35, 1.6]


def test_residency_trace_unassigned(api):
    j = api.submit("never", 8)
    t = api.get("/api/jurisdiction/residency-trace/" + j["job_id"]).json()["trace"]
    assert t["country"] == "unknown" and t["is_canadian_compute"] is False and t["started_at"] is None
    assert_envelope(api.get("/api/jurisdiction/residency-trace/" + "0" * 32), 404)


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090"}),
    ("POST", "/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090", "tflops": -1}),
    ("POST", "/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090", "tflops": "x"}),
    ("POST", "/agent/benchmark", {"host_id": "h1", "gpu_model": "RTX 4090", "tflops": 1, "details": "x"}),
    ("POST", "/agent/verify", {"host_id": "h1"}),
    ("POST", "/agent/verify", {"host_id": "h1", "report": []}),
    ("POST", "/agent/verify", {"host_id": "h1", "report": {"pad": "x" * 17000}}),
    ("PUT", "/api/jurisdiction/hosts/h1", {"country": "CAN"}),
    ("PUT", "/api/jurisdiction/hosts/h1", {"country": "C"}),
    ("PUT", "/api/jurisdiction/hosts/h1", {"sovereignty_vetted": "yes"}),
    ("PUT", "/api/jurisdiction/hosts/h1", {"data_center_class": "basement"}),
    ("PUT", "/api/jurisdiction/hosts/h1", {"city": "x" * 201}),
    ("POST", "/api/verify/h1/approve", {"notes": 5}),
    ("POST", "/api/verify/h1/reject", {"reason": ["x"]}),
    ("GET", "/api/verified-hosts?state=bogus", None),
])
def test_bad_input_422(api, h1, method, path, body):
    r = api.req(method, path, body)
    assert_envelope(r, 422, "validation_error")


def test_unknown_hosts_404(api):
    for method, path, body in [("POST", "/agent/benchmark", {"host_id": "zz", "gpu_model": "T4", "tflops": 1}),
                               ("POST", "/agent/verify", {"host_id": "zz", "report": {}}),
                               ("PUT", "/api/jurisdiction/hosts/zz", {}), ("GET", "/api/jurisdiction/hosts/zz", None),
                               ("POST", "/api/verify/zz", None), ("POST", "/api/verify/zz/approve", None),
                               ("POST", "/api/verify/zz/reject", None)]:
        assert_envelope(api.req(method, path, body), 404)
