"""A pending stop request decides how the attempt ends (issue 9, defect 2; domain §8.3, §10).

An owner cancels a running job: the server records a stop request and waits for the agent.  If the
attempt then ends some other way (its host dies, its lease expires, the operator fails the host over,
the host is removed, or the agent reports failed / preempted), the job must end `cancelled`: it is
never requeued, never retried on another host and never billed for a second attempt.  The same holds
for the max_duration stop request.  Only a pending preemption sends the job back to the queue.

The tests act as the agent through its token, as tests/api/test_core_agent.py does.
"""
import pytest

from conftest import Api


def _agent(api, host):
    tok = api.reg(host)["agent_token"]
    api.admit(host)
    return Api(api.server, token=tok)


def _cancel_pending(api, name="stopme", **extra):
    """h1 runs the job and its owner cancels it: 202, stop request pending.  h2 stands by, idle,
    so any requeue would place the job there at once."""
    a1 = _agent(api, "h1")
    jb = api.running_job("h1", name, 8, **extra)
    r = api.status(jb["job_id"], "cancelled")
    assert r.status_code == 202 and r.json()["stop_requested"] == "cancel", r.text
    _agent(api, "h2")
    return jb["job_id"], a1


def _ends_cancelled(api, jid):
    jb = api.job(jid)
    assert jb["status"] == "cancelled", jb
    assert jb["retries"] == 0 and jb["stop_requested"] is None, jb
    # nothing brings it back: a queue pass places nothing, and both hosts hold no VRAM for it
    assert all(a["job_id"] != jid for a in api.process())
    assert api.job(jid)["status"] == "cancelled"
    for h in ("h1", "h2"):
        assert (api.host(h) or {}).get("reserved_vram_gb", 0.0) == 0.0, h
    types = [e["event_type"] for e in api.audit(jid)]
    assert "job.requeued" not in types and "job.assigned" in types and types.count("job.assigned") == 1, types
    assert types[-1] == "job.cancelled", types
    return jb


def test_host_death_with_cancel_pending(api):
    jid, _ = _cancel_pending(api)
    api.clock(121)  # h1 silent past the dead-after threshold; h2 kept alive below
    api.reg("h2")
    api.sweep()
    assert api.host("h1")["status"] == "dead"
    _ends_cancelled(api, jid)


def test_failover_with_cancel_pending(api):
    jid, _ = _cancel_pending(api)
    r = api.post("/failover", {"host_id": "h1"})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["dead_hosts"] == ["h1"]
    assert b["requeued"] == [] and b["assigned"] == [], b
    _ends_cancelled(api, jid)


def test_lease_expiry_with_cancel_pending(api):
    jid, a1 = _cancel_pending(api)
    api.clock(361)
    api.reg("h1")  # the host is alive; only the lease lapses
    api.reg("h2")
    api.sweep()
    _ends_cancelled(api, jid)


def test_late_renew_with_cancel_pending(api):
    jid, a1 = _cancel_pending(api)
    api.clock(361)
    api.reg("h1")
    r = a1.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid})
    assert r.status_code == 410, r.text
    _ends_cancelled(api, jid)


def test_host_removed_with_cancel_pending(api):
    jid, _ = _cancel_pending(api)
    r = api.delete("/host/h1")
    assert r.status_code == 200, r.text
    _ends_cancelled(api, jid)


@pytest.mark.parametrize("report", [
    {"status": "failed", "exit_code": 143},
    {"status": "failed", "failure_reason": "gpu_error: Xid 79"},
    {"status": "preempted"},
])
def test_agent_report_with_cancel_pending(api, report):
    jid, a1 = _cancel_pending(api)
    r = a1.patch("/job/" + jid, dict(report, host_id="h1"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled", r.text
    _ends_cancelled(api, jid)
    ev = [e for e in api.audit(jid) if e["event_type"] == "job.cancelled"][-1]
    assert ev["data"]["stop_requested"] == {"reason": "cancel", "instead_of": report["status"]}, ev


def test_cancelled_attempt_billed_once(api):
    jid, _ = _cancel_pending(api)
    api.clock(30)
    api.reg("h2")
    r = api.post("/failover", {"host_id": "h1"})
    assert r.status_code == 200, r.text
    _ends_cancelled(api, jid)
    recs = api.get("/billing", params={"job_id": jid}).json()["records"]
    assert len(recs) <= 1, recs
    assert all(rec.get("host_id") in (None, "h1") for rec in recs), recs


def test_max_duration_stop_then_host_death(api):
    _agent(api, "h1")
    jb = api.running_job("h1", "capped", 8, max_duration_hours=0.01)  # 36 s
    jid = jb["job_id"]
    api.clock(40)
    api.reg("h1")
    api.sweep()
    assert api.job(jid)["stop_requested"] == "max_duration"
    _agent(api, "h2")
    api.clock(121)
    api.reg("h2")
    api.sweep()
    jb = api.job(jid)
    assert jb["status"] == "cancelled" and jb["retries"] == 0, jb
    assert all(a["job_id"] != jid for a in api.process())


def test_preempt_pending_still_requeues_on_host_death(api):
    """Only a preemption sends the job back: a host loss with a preempt pending retries as before."""
    _agent(api, "h1")
    jb = api.running_job("h1", "spot", 8)
    jid = jb["job_id"]
    r = api.post(f"/agent/preempt/h1/{jid}", {"reason": "preempt"})
    assert r.status_code in (200, 202), r.text
    _agent(api, "h2")
    r = api.post("/failover", {"host_id": "h1"})
    assert r.status_code == 200, r.text
    jb = api.job(jid)
    assert jb["status"] in ("queued", "assigned") and jb["retries"] == 1, jb
