"""Agent protocol: GET /agent/work/{host}, POST /agent/lease/claim|renew|release, GET /agent/preempt/{host},
POST /agent/preempt/{host}/{job}, POST /agent/logs, GET /jobs/{id}/logs, plus the sweep's lease / assign /
heartbeat timers (api.md §8.1, §8.2; domain.md §9, §11; acceptance SM-*, SP-07, SSE-06)."""
import pytest

from conftest import Api, assert_envelope


@pytest.fixture
def h1(api):
    """An admitted 24 GB host h1 and an Api authenticated with its agent token."""
    tok = api.reg("h1")["agent_token"]
    api.admit("h1")
    return Api(api.server, token=tok)


def _assign(api, vram=8, name="w"):
    j = api.submit(name, vram)
    assert [a["job_id"] for a in api.process()] == [j["job_id"]]
    return j["job_id"]


# --- work -----------------------------------------------------------------------------------------

def test_work_lists_assigned_jobs(api, h1):
    a = _assign(api, name="first")
    b = _assign(api, name="second")
    r = h1.get("/agent/work/h1")
    assert r.status_code == 200, r.text
    assert [j["job_id"] for j in r.json()["jobs"]] == [a, b]
    assert all(j["status"] == "assigned" for j in r.json()["jobs"])
    assert api.job(a)["status"] == "assigned"  # read-only


def test_work_empty_is_204(api, h1):
    r = h1.get("/agent/work/h1")
    assert r.status_code == 204 and r.content == b""
    api.reg("pend")
    r = api.get("/agent/work/pend")
    assert r.status_code == 204 and r.content == b""


def test_work_unknown_host_404(api):
    assert_envelope(api.get("/agent/work/nohost"), 404, "not_found", "Host nohost not found")


def test_work_counts_as_heartbeat(api, h1):
    api.clock(60)
    assert h1.get("/agent/work/h1").status_code == 204
    api.clock(60)
    r = api.post("/hosts/check")
    assert r.json()["results"]["h1"] == "alive"
    assert api.host("h1")["status"] == "active"


def test_work_agent_token_for_other_host_403(api, h1):
    api.reg("h2")
    r = h1.get("/agent/work/h2")
    assert_envelope(r, 403, "forbidden", "Agent token is bound to host h1")


# --- leases ---------------------------------------------------------------------------------------

def test_claim(api, h1):
    jid = _assign(api)
    r = h1.claim(jid, "h1")
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["duration_sec"] == 300 and len(b["lease_id"]) == 32
    assert b["job"]["status"] == "leased" and b["job"]["lease_id"] == b["lease_id"]
    assigned_at = api.job(jid)["assigned_at"]
    assert abs(b["expires_at"] - (assigned_at + 300)) < 5
    again = h1.claim(jid, "h1")
    assert again.status_code == 200 and again.json()["lease_id"] == b["lease_id"]
    types = [e["event_type"] for e in api.audit(jid)]
    assert types.count("job.lease.granted") == 1


def test_claim_errors(api, h1):
    q = api.submit("q", 100)  # fits nowhere: stays queued
    assert_envelope(h1.claim(q["job_id"], "h1"), 409, "conflict",
                    f"Job {q['job_id']} is 'queued', expected 'assigned'")
    assert_envelope(h1.claim("a" * 32, "h1"), 404, "not_found", f"Job {'a' * 32} not found")
    tok2 = api.reg("h2")["agent_token"]
    jid = _assign(api)
    h2 = Api(api.server, token=tok2)
    assert_envelope(h2.claim(jid, "h2"), 409, "conflict", f"Job {jid} is assigned to host h1")
    assert_envelope(h1.claim(jid, "h2"), 403, "forbidden", "Agent token is bound to host h1")
    assert api.job(jid)["status"] == "assigned"


def test_renew(api, h1):
    jid = _assign(api)
    exp0 = h1.claim(jid, "h1").json()["expires_at"]
    api.clock(100)
    r = h1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["expires_at"] >= exp0 + 99 and b["stop_requested"] is None and len(b["lease_id"]) == 32
    assert "job.lease.renewed" in [e["event_type"] for e in api.audit(jid)]


def test_renew_without_lease_404(api, h1):
    jid = _assign(api)
    r = h1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    assert_envelope(r, 404, "not_found", f"No active lease for job {jid} on host h1")


def test_renew_after_expiry_410_then_sweep_requeues(api, h1):
    jid = _assign(api, vram=16)
    h1.claim(jid, "h1")
    assert h1.status(jid, "running", "h1").status_code == 200
    api.clock(361)
    # keep the host alive so only the lease times out
    api.reg("h1")
    r = h1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    assert_envelope(r, 410, "gone", f"Lease for job {jid} has expired")
    api.sweep()
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 1
    assert jb["failure_reason"] == "lease_expired" and jb["failure_class"] == "host_lost"
    assert api.host("h1")["reserved_vram_gb"] == 0.0
    assert "job.lease.expired" in [e["event_type"] for e in api.audit(jid)]


def test_lease_expiry_by_sweep(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    api.clock(361)
    api.reg("h1")
    api.sweep()
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 1 and jb["failure_class"] == "host_lost"
    types = [e["event_type"] for e in api.audit(jid)]
    assert "job.lease.expired" in types and types[-1] == "job.requeued"


def test_release(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    r = h1.post("/agent/lease/release", {"host_id": "h1", "job_id": jid})
    assert_envelope(r, 409, "conflict", f"Job {jid} is still running; report a terminal status first")
    assert h1.status(jid, "completed", "h1").status_code == 200
    r = h1.post("/agent/lease/release", {"host_id": "h1", "job_id": jid, "reason": "completed"})
    assert r.status_code == 200
    assert r.json() == {"ok": True, "released": False, "detail": "No active lease"}
    r = h1.post("/agent/lease/release", {"host_id": "h1", "job_id": jid, "reason": "bogus"})
    assert_envelope(r, 422, "validation_error")


def test_assign_timeout_requeues_without_retry(api, h1):
    jid = _assign(api, vram=16)
    api.clock(121)
    api.reg("h1")
    api.sweep()
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 0 and jb["host_id"] is None
    assert api.host("h1")["reserved_vram_gb"] == 0.0
    # h1 is on the avoid list: a second admitted host gets it
    api.host_up("h2")
    assert api.process()[0]["host"] == "h2"


def test_dead_host_requeues_running_job(api, h1):
    jid = _assign(api, vram=16)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    api.clock(91)
    api.sweep()
    assert api.host("h1")["status"] == "dead"
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 1 and jb["failure_reason"] == "host_lost"
    assert api.host("h1")["reserved_vram_gb"] == 0.0


def test_late_report_after_requeue_409(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    api.clock(91)
    api.sweep()
    assert api.job(jid)["status"] == "queued"
    r = h1.status(jid, "completed", "h1")
    assert r.status_code in (403, 404, 409), r.text
    assert r.status_code != 200
    assert api.job(jid)["status"] == "queued"


# --- stop requests ----------------------------------------------------------------------------------

def test_preempt_request_and_poll(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    r = api.post(f"/agent/preempt/h1/{jid}")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "host_id": "h1", "job_id": jid, "reason": "preempt"}
    for _ in range(2):
        p = h1.get("/agent/preempt/h1")
        assert p.status_code == 200
        b = p.json()
        assert b["preempt_jobs"] == [jid]
        assert len(b["stop_requests"]) == 1
        s = b["stop_requests"][0]
        assert s["job_id"] == jid and s["reason"] == "preempt" and "requested_at" in s and "grace_sec" in s
    r = h1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    assert r.json()["stop_requested"] == "preempt"
    assert api.job(jid)["stop_requested"] == "preempt"
    assert h1.status(jid, "preempted", "h1").status_code == 200
    assert h1.get("/agent/preempt/h1").json()["preempt_jobs"] == []


def test_preempt_request_errors(api, h1):
    assert_envelope(api.post("/agent/preempt/h1/" + "b" * 32), 404, "not_found")
    jid = _assign(api)
    assert_envelope(api.post(f"/agent/preempt/h1/{jid}"), 409, "conflict", f"Job {jid} is not running on host h1")
    assert_envelope(api.post(f"/agent/preempt/nohost/{jid}"), 404, "not_found")
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    assert_envelope(api.post(f"/agent/preempt/h1/{jid}", {"reason": "bogus"}), 422, "validation_error")
    r = api.post(f"/agent/preempt/h1/{jid}", {"reason": "cancel"})
    assert r.status_code == 200 and r.json()["reason"] == "cancel"


def test_preempt_list_unknown_host_404(api):
    assert_envelope(api.get("/agent/preempt/nohost"), 404, "not_found")


def test_unacknowledged_preempt_forced(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    h1.status(jid, "running", "h1")
    api.post(f"/agent/preempt/h1/{jid}")
    api.clock(91)
    api.reg("h1")
    h1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    api.sweep()
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 0 and jb["preempted_at"] is not None


# --- logs -----------------------------------------------------------------------------------------

def _running(api, h1):
    jid = _assign(api)
    h1.claim(jid, "h1")
    assert h1.status(jid, "running", "h1").status_code == 200
    return jid


def test_logs_push_and_read(api, h1):
    jid = _running(api, h1)
    lines = [{"timestamp": 1.0 + i, "line": f"line {i}", "level": "info"} for i in range(3)]
    r = h1.post("/agent/logs", {"host_id": "h1", "job_id": jid, "lines": lines})
    assert r.status_code == 200 and r.json() == {"ok": True, "accepted": 3}
    r = api.get(f"/jobs/{jid}/logs")
    assert r.status_code == 200
    b = r.json()
    assert b["job_id"] == jid and b["total"] == 3
    assert [x["line"] for x in b["logs"]] == ["line 0", "line 1", "line 2"]
    assert set(b["logs"][0]) >= {"timestamp", "line", "level"}
    r = api.get(f"/jobs/{jid}/logs?limit=2")
    assert [x["line"] for x in r.json()["logs"]] == ["line 1", "line 2"]
    assert_envelope(api.get(f"/jobs/{jid}/logs?limit=0"), 422, "validation_error")
    assert_envelope(api.get(f"/jobs/{jid}/logs?limit=501"), 422, "validation_error")
    assert_envelope(api.get("/jobs/" + "c" * 32 + "/logs"), 404, "not_found")


def test_logs_default_level_and_timestamp(api, h1):
    jid = _running(api, h1)
    r = h1.post("/agent/logs", {"host_id": "h1", "job_id": jid, "lines": [{"line": "hello"}]})
    assert r.status_code == 200 and r.json()["accepted"] == 1
    log = api.get(f"/jobs/{jid}/logs").json()["logs"][0]
    assert log["level"] == "info" and log["timestamp"] > 1e9


def test_logs_errors(api, h1):
    jid = _running(api, h1)
    for body in ({"host_id": "h1", "job_id": jid, "lines": []},
                 {"host_id": "h1", "job_id": jid, "lines": [{"line": "x"}] * 501},
                 {"host_id": "h1", "job_id": jid, "lines": [{"line": "x" * 10001}]},
                 {"host_id": "h1", "job_id": jid, "lines": [{"line": "x", "level": "loud"}]},
                 {"host_id": "h1", "job_id": jid, "lines": [{"level": "info"}]},
                 {"host_id": "h1", "job_id": jid, "lines": "nope"},
                 {"host_id": "h1", "job_id": jid}):
        assert_envelope(h1.post("/agent/logs", body), 422, "validation_error")
    assert_envelope(h1.post("/agent/logs", {"host_id": "h1", "job_id": "d" * 32, "lines": [{"line": "x"}]}),
                    404, "not_found")
    q = api.submit("queued-only", 100)
    assert_envelope(h1.post("/agent/logs", {"host_id": "h1", "job_id": q["job_id"], "lines": [{"line": "x"}]}),
                    409, "conflict")
    assert api.get(f"/jobs/{jid}/logs").json()["total"] == 0
