"""Jobs, scheduler and state machine: POST /job, GET /jobs, GET /job/{id}, PATCH /job/{id}[/status],
POST /queue/process, /queue/process/ca, GET/PUT /canada (api.md §7.1, §8.2, §8.4; domain.md §4–§8, §10,
§14; acceptance JOB-*, Q-*, SM-*, CA-*)."""
import re

import pytest

from conftest import Api, assert_envelope, uid

HEX32 = re.compile(r"^[0-9a-f]{32}$")


# --- submission and reads -----------------------------------------------------------------------

def test_submit_job_defaults(mapi):
    j = mapi.submit("llama3", 16)
    assert HEX32.match(j["job_id"])
    assert j["status"] == "queued" and j["name"] == "llama3" and j["vram_needed_gb"] == 16.0
    assert j["num_gpus"] == 1 and j["priority"] == 0 and j["tier"] == "free"
    assert j["trust_tier"] == "community" and j["retries"] == 0 and j["max_retries"] == 3
    assert j["attempt"] == 1 and j["host_id"] is None and j["vram_reserved_gb"] == 0.0
    assert j["owner"] == "" and j["completed_at"] is None
    got = mapi.job(j["job_id"])
    assert got["name"] == "llama3" and got["status"] == "queued"


def test_submit_response_first_key_ok(mapi):
    r = mapi.post("/job", {"name": "k", "vram_needed_gb": 1})
    assert r.status_code == 200 and r.text.startswith('{"ok":true,')


def test_get_unknown_job_404(mapi):
    r = mapi.get("/job/" + "0" * 32)
    assert_envelope(r, 404, "not_found", f"Job {'0' * 32} not found")
    assert_envelope(mapi.get("/job/nonexistent"), 404, "not_found")


@pytest.mark.parametrize("body", [
    {"name": "", "vram_needed_gb": 8}, {"name": "a", "vram_needed_gb": 0}, {"name": "a", "vram_needed_gb": -1},
    {"name": "a", "vram_needed_gb": 4097}, {"name": "a", "vram_needed_gb": 8, "num_gpus": 65},
    {"name": "a", "vram_needed_gb": 8, "num_gpus": 0}, {"name": "a", "vram_needed_gb": 8, "priority": 11},
    {"name": "a", "vram_needed_gb": 8, "tier": "nonexistent"}, {"name": "a", "vram_needed_gb": 8, "image": "Not A Valid Image"},
    {"name": "-bad", "vram_needed_gb": 8}, {"name": "x" * 129, "vram_needed_gb": 8},
    {"name": "a", "vram_needed_gb": 8, "max_duration_hours": 0},
    {"name": "a", "vram_needed_gb": 8, "environment": {"1BAD": "x"}},
    {"name": "a", "vram_needed_gb": 8, "trust_tier": "gold"},
])
def test_submit_validation_422(mapi, body):
    before = mapi.jobs_total()
    r = mapi.post("/job", body)
    err = assert_envelope(r, 422, "validation_error")
    assert err["details"] and err["details"][0]["loc"][0] == "body"
    assert mapi.jobs_total() == before


@pytest.mark.parametrize("extra,tier,prio,trust", [
    ({"tier": "urgent", "priority": 0}, "urgent", 3, "community"),
    ({"priority": 1}, "standard", 1, "community"),
    ({"priority": 7}, "urgent", 3, "community"),
    ({"tier": "premium"}, "premium", 2, "community"),
    ({"tier": "sovereign"}, "free", 0, "sovereignty"),
    ({"tier": "secure"}, "free", 0, "residency"),
    ({"tier": None, "priority": 2}, "premium", 2, "community"),
])
def test_tier_mapping(mapi, extra, tier, prio, trust):
    j = mapi.submit("t", 1, **extra)
    assert (j["tier"], j["priority"], j["trust_tier"]) == (tier, prio, trust)


def test_submit_echoes_optional_fields(mapi):
    j = mapi.submit("opt", 4, num_gpus=4, nfs_server="127.0.0.5", nfs_path="/exports/models",
                    nfs_mount_point="/mnt/models", image="nvcr.io/nvidia/pytorch:24.01-py3",
                    command=["python", "train.py"])
    assert j["num_gpus"] == 4 and j["nfs_server"] == "127.0.0.5" and j["nfs_path"] == "/exports/models"
    assert j["nfs_mount_point"] == "/mnt/models" and j["image"] == "nvcr.io/nvidia/pytorch:24.01-py3"
    assert j["command"] == ["python", "train.py"]


def test_jobs_list_status_filter(api):
    j = api.submit("llama3", 16)
    r = api.get("/jobs")
    assert r.status_code == 200 and r.json()["total"] == 1 and r.json()["jobs"][0]["job_id"] == j["job_id"]
    assert api.get("/jobs?status=running").json()["total"] == 0
    assert api.get("/jobs?status=queued").json()["total"] == 1
    assert_envelope(api.get("/jobs?status=bogus"), 422, "validation_error")
    assert_envelope(api.get("/jobs?limit=0"), 422, "validation_error")
    assert_envelope(api.get("/jobs?limit=5001"), 422, "validation_error")
    assert_envelope(api.get("/jobs?offset=-1"), 422, "validation_error")
    j2 = api.submit("second", 1)
    r = api.get("/jobs?limit=1&offset=1")
    assert r.json()["total"] == 2 and [x["job_id"] for x in r.json()["jobs"]] == [j2["job_id"]]


def test_environment_redacted_and_dropped_when_terminal(api):
    api.host_up("h1")
    j = api.submit("envjob", 8, environment={"MODEL": "x", "HF_TOKEN": "abc"})
    assert api.job(j["job_id"])["environment"] == {"MODEL": "x", "HF_TOKEN": "[REDACTED]"}
    api.process()
    api.claim(j["job_id"], "h1")
    assert api.status(j["job_id"], "running", "h1").status_code == 200
    assert api.status(j["job_id"], "completed", "h1").status_code == 200
    assert api.job(j["job_id"])["environment"] == {}


# --- scheduler ------------------------------------------------------------------------------------

def test_assignment_reserves_vram(api):
    api.host_up("h1")
    j = api.submit("llama3", 16)
    assigned = api.process()
    assert assigned == [{"job": "llama3", "job_id": j["job_id"], "host": "h1"}]
    jb = api.job(j["job_id"])
    assert jb["status"] == "assigned" and jb["host_id"] == "h1" and jb["vram_reserved_gb"] == 16.0
    assert jb["assigned_at"] is not None and jb["rate_per_hour"] == 0.2
    h = api.host("h1")
    assert h["reserved_vram_gb"] == 16.0 and h["free_vram_gb"] == 8.0


def test_queue_order_priority_then_age(api):
    api.host_up("h1", total_vram_gb=80, free_vram_gb=80)
    a = api.submit("job-a", 1)
    b = api.submit("job-b", 1)
    hi = api.submit("high", 1, priority=2)
    urgent = api.submit("urg", 1, tier="urgent")
    order = [x["job_id"] for x in api.process()]
    assert order == [urgent["job_id"], hi["job_id"], a["job_id"], b["job_id"]]


def test_queue_order_limited_capacity(api):
    api.host_up("h1")
    low = api.submit("low", 16)
    first = api.submit("first", 16)  # noqa: F841
    high = api.submit("high", 16, priority=2)
    assert [x["job_id"] for x in api.process()] == [high["job_id"]]
    api.clock(1)
    assert api.status(high["job_id"], "cancelled").status_code == 200
    assert [x["job_id"] for x in api.process()] == [low["job_id"]]


def test_vram_filter_and_pending_reason(api):
    api.host_up("h1")
    j = api.submit("big", 48)
    assert api.process() == []
    jb = api.job(j["job_id"])
    assert jb["status"] == "queued"
    assert jb["hold_reason"] == "no_eligible_host"
    assert jb["pending_reason"] == "no admitted host with 48.0 GB free VRAM: 1 host too small"


def test_pending_host_never_chosen(api):
    api.reg("h1")
    j = api.submit("x", 8)
    assert api.process() == []
    assert api.post("/queue/process/ca").json()["assigned"] == []
    assert api.job(j["job_id"])["status"] == "queued"
    assert api.job(j["job_id"])["pending_reason"] != ""
    api.admit("h1")
    assert [x["job_id"] for x in api.process()] == [j["job_id"]]


def test_two_hosts_two_jobs(api):
    api.host_up("h24")
    api.host_up("h80", total_vram_gb=80, free_vram_gb=80)
    api.submit("a", 16)
    api.submit("b", 8)
    assert len(api.process()) == 2


def test_several_jobs_on_one_host(api):
    api.host_up("h1")
    api.submit("a", 10)
    api.submit("b", 8)
    assert len(api.process()) == 2
    assert api.host("h1")["free_vram_gb"] == 6.0
    api.submit("c", 8)
    assert api.process() == []


def test_worst_fit(api):
    api.host_up("mh-1", total_vram_gb=24, free_vram_gb=24, cost_per_hour=0.50)
    api.host_up("mh-2", total_vram_gb=80, free_vram_gb=80, cost_per_hour=1.20)
    api.host_up("mh-3", total_vram_gb=48, free_vram_gb=48, cost_per_hour=0.90)
    j = api.submit("big-job", 40)
    assert api.process() == [{"job": "big-job", "job_id": j["job_id"], "host": "mh-2"}]


def test_worst_fit_uses_free_not_total(api):
    api.host_up("h16", total_vram_gb=24, free_vram_gb=16)
    api.host_up("h24", total_vram_gb=24, free_vram_gb=24)
    api.submit("a", 8)
    assert api.process()[0]["host"] == "h24"


def test_tie_breaks_rate_then_registration(api):
    api.host_up("exp", cost_per_hour=0.50)
    api.host_up("cheap", cost_per_hour=0.20)
    api.submit("a", 8)
    assert api.process()[0]["host"] == "cheap"
    api2_first = "zz-first"
    api.host_up(api2_first, total_vram_gb=48, free_vram_gb=48)
    api.host_up("aa-second", total_vram_gb=48, free_vram_gb=48)
    api.submit("b", 8)
    assert api.process()[0]["host"] == "zz-first"


def test_multi_gpu_job(api):
    api.host_up("one-gpu", total_vram_gb=80, free_vram_gb=80)
    j = api.submit("four", 16, num_gpus=4)
    assert api.process() == []
    assert api.job(j["job_id"])["status"] == "queued"
    api.host_up("quad", gpu_count=4, total_vram_gb=96, free_vram_gb=96)
    assert api.process() == [{"job": "four", "job_id": j["job_id"], "host": "quad"}]


def test_canada_only_flag(api):
    assert api.get("/canada").json() == {"ok": True, "canada_only": False}
    api.host_up("ca-host", cost_per_hour=0.50, country="CA", province="ON")
    api.host_up("us-host", cost_per_hour=0.20, country="US", province="")
    r = api.put("/canada", {"enabled": True})
    assert r.status_code == 200 and r.json() == {"ok": True, "canada_only": True}
    assert api.get("/canada").json()["canada_only"] is True
    j = api.submit("a", 8)
    assert api.process() == [{"job": "a", "job_id": j["job_id"], "host": "ca-host"}]
    assert api.put("/canada", {"enabled": False}).json()["canada_only"] is False
    j2 = api.submit("b", 8)
    assert api.process() == [{"job": "b", "job_id": j2["job_id"], "host": "us-host"}]


def test_canada_only_never_us(api):
    api.host_up("us-host", country="US", province="")
    api.put("/canada", {"enabled": True})
    j = api.submit("a", 8)
    assert api.process() == []
    assert api.job(j["job_id"])["status"] == "queued"


def test_canada_only_persisted_across_restart(servers):
    s = servers()
    a = Api(s)
    assert a.put("/canada", {"enabled": True}).status_code == 200
    s.stop()
    s2 = servers(db=s.db)
    assert Api(s2).get("/canada").json()["canada_only"] is True
    assert Api(s2).put("/canada", {"enabled": False}).json()["canada_only"] is False
    s2.stop()
    s3 = servers(db=s.db)
    assert Api(s3).get("/canada").json()["canada_only"] is False


def test_canada_only_env(servers):
    s = servers(env={"XCELSIOR_CANADA_ONLY": "true"})
    a = Api(s)
    assert a.get("/canada").json()["canada_only"] is True
    a.host_up("us-host", country="US", province="")
    j = a.submit("a", 8)
    assert a.process() == []
    a.host_up("ca-host", country="CA", province="ON")
    assert a.process() == [{"job": "a", "job_id": j["job_id"], "host": "ca-host"}]


def test_queue_process_ca(api):
    api.host_up("us-host", country="US", province="", total_vram_gb=80, free_vram_gb=80)
    api.host_up("ca-host", country="CA", province="ON")
    j1 = api.submit("a", 8)
    j2 = api.submit("b", 20)
    r = api.post("/queue/process/ca")
    assert r.status_code == 200
    b = r.json()
    assert b["canada_only"] is True
    assert b["assigned"] == [{"job": "a", "job_id": j1["job_id"], "host": "ca-host", "country": "CA"}]
    assert api.job(j2["job_id"])["status"] == "queued"
    assert api.get("/canada").json()["canada_only"] is False


# --- state machine --------------------------------------------------------------------------------

def _assigned(api, host="h1", vram=8, name="sm"):
    j = api.submit(name, vram)
    assert [x["job_id"] for x in api.process()] == [j["job_id"]]
    return j["job_id"]


def _running(api, host="h1", vram=8, name="sm"):
    jid = _assigned(api, host, vram, name)
    assert api.claim(jid, host).status_code == 200
    r = api.status(jid, "running", host)
    assert r.status_code == 200, r.text
    return jid


def test_full_lifecycle_and_audit(api):
    api.host_up("h1")
    jid = _running(api)
    jb = api.job(jid)
    assert jb["status"] == "running" and jb["started_at"] is not None
    r = api.status(jid, "completed", "h1", exit_code=0)
    assert r.status_code == 200
    b = r.json()
    assert b["status"] == "completed" and b["previous_status"] == "running" and b["job_id"] == jid
    assert b["job"]["completed_at"] is not None
    h = api.host("h1")
    assert h["free_vram_gb"] == 24.0 and h["reserved_vram_gb"] == 0.0
    events = api.audit(jid)
    assert [e["event_type"] for e in events] == ["job.submitted", "job.assigned", "job.lease.granted",
                                                 "job.running", "job.completed"]
    assert events[-1]["data"]["new_state"] == "completed" and events[-1]["data"]["previous_state"] == "running"


def test_patch_status_alias(api):
    api.host_up("h1")
    jid = _assigned(api)
    api.claim(jid, "h1")
    r = api.patch(f"/job/{jid}/status", {"status": "running", "host_id": "h1"})
    assert r.status_code == 200 and r.json()["status"] == "running"
    r = api.patch(f"/job/{jid}/status", {"status": "queuedx"})
    assert_envelope(r, 400, "bad_request", "Invalid status 'queuedx'")


def test_invalid_status_400(api):
    j = api.submit("x", 1)
    r = api.status(j["job_id"], "totally_bogus_status")
    assert_envelope(r, 400, "bad_request", "Invalid status")
    assert "must be one of (queued, assigned, leased, running, completed, failed, preempted, cancelled)" in \
        r.json()["error"]["message"]


def test_illegal_transition_409_names_allowed(api):
    j = api.submit("x", 1)
    r = api.status(j["job_id"], "completed")
    err = assert_envelope(r, 409, "conflict", "Invalid transition: queued → completed")
    assert "assigned" in err["message"] and "cancelled" in err["message"]
    assert api.job(j["job_id"])["status"] == "queued"
    assert_envelope(api.status(j["job_id"], "running", "h1"), 409, "conflict")


def test_completed_to_running_409(api):
    api.host_up("h1")
    jid = _running(api)
    assert api.status(jid, "completed", "h1").status_code == 200
    r = api.status(jid, "running", "h1")
    assert_envelope(r, 409, "conflict", "Invalid transition: completed → running")
    assert api.job(jid)["status"] == "completed"


def test_same_status_repeat_is_noop(api):
    api.host_up("h1")
    jid = _running(api)
    before = api.audit(jid)
    r = api.status(jid, "running", "h1")
    assert r.status_code == 200 and r.json()["status"] == "running"
    assert len(api.audit(jid)) == len(before)
    assert api.status(jid, "completed", "h1").status_code == 200
    n = len(api.audit(jid))
    r = api.status(jid, "completed", "h1")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert len(api.audit(jid)) == n


def test_unknown_job_patch_404(api):
    assert_envelope(api.status("f" * 32, "cancelled"), 404, "not_found")


def test_report_from_other_host_409(api):
    api.host_up("h1")
    api.host_up("h2", total_vram_gb=8, free_vram_gb=8)
    jid = _assigned(api, vram=16)
    r = api.status(jid, "running", "h2")
    assert_envelope(r, 409, "conflict", f"Job {jid} is assigned to host h1")
    assert api.job(jid)["status"] == "assigned"


def test_agent_token_of_other_host(api):
    t1 = api.reg("h1")["agent_token"]
    t2 = api.reg("h2", total_vram_gb=8, free_vram_gb=8)["agent_token"]
    api.admit("h1")
    api.admit("h2")
    jid = _assigned(api, vram=16)
    a2 = Api(api.server, token=t2)
    r = a2.status(jid, "running", "h2")
    assert r.status_code in (403, 409), r.text
    assert_envelope(r, r.status_code)
    r = a2.status(jid, "running")
    assert r.status_code in (403, 409), r.text
    r = a2.status(jid, "running", "h1")
    assert r.status_code in (403, 409), r.text
    assert a2.claim(jid, "h2").status_code == 409
    assert api.job(jid)["status"] == "assigned"
    a1 = Api(api.server, token=t1)
    assert a1.status(jid, "running", "h1").status_code == 200


def test_implicit_claim_on_running(api):
    api.host_up("h1")
    jid = _assigned(api)
    r = api.status(jid, "running", "h1")
    assert r.status_code == 200 and r.json()["status"] == "running"
    types = [e["event_type"] for e in api.audit(jid)]
    assert types[-2:] == ["job.lease.granted", "job.running"]
    assert api.job(jid)["lease_id"] is not None


def test_cancel_queued(api):
    j = api.submit("x", 1)
    r = api.status(j["job_id"], "cancelled")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.job(j["job_id"])["completed_at"] is not None


def test_cancel_running_is_async(api):
    tok = api.reg("h1")["agent_token"]
    api.admit("h1")
    agent = Api(api.server, token=tok)
    jid = _running(api)
    r = api.status(jid, "cancelled")
    assert r.status_code == 202, r.text
    b = r.json()
    assert b["ok"] is True and b["status"] == "running" and b["stop_requested"] == "cancel"
    assert b["job"]["stop_requested"] == "cancel"
    assert api.job(jid)["status"] == "running"
    p = agent.get("/agent/preempt/h1").json()
    assert any(s["job_id"] == jid and s["reason"] == "cancel" for s in p["stop_requests"]), p
    r = agent.status(jid, "cancelled", "h1")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    h = api.host("h1")
    assert h["reserved_vram_gb"] == 0.0 and h["free_vram_gb"] == 24.0


def test_vram_released_on_completed(api):
    api.host_up("h1")
    jid = _running(api, vram=16)
    assert api.host("h1")["reserved_vram_gb"] == 16.0
    api.status(jid, "completed", "h1")
    assert api.host("h1")["reserved_vram_gb"] == 0.0 and api.host("h1")["free_vram_gb"] == 24.0
    assert api.job(jid)["vram_reserved_gb"] == 0.0


def test_vram_released_on_failed_nonretryable(api):
    api.host_up("h1")
    jid = _running(api, vram=16)
    r = api.status(jid, "failed", "h1", exit_code=137)
    assert r.status_code == 200
    jb = api.job(jid)
    assert jb["status"] == "failed" and jb["failure_class"] == "user_oom" and jb["retries"] == 0
    assert jb["vram_reserved_gb"] == 0.0
    h = api.host("h1")
    assert h["reserved_vram_gb"] == 0.0 and h["free_vram_gb"] == 24.0


def test_vram_released_on_cancel_assigned(api):
    api.host_up("h1")
    jid = _assigned(api, vram=16)
    assert api.status(jid, "cancelled").status_code == 200
    assert api.job(jid)["status"] == "cancelled"
    assert api.host("h1")["reserved_vram_gb"] == 0.0


def test_vram_released_on_preempted(api):
    api.host_up("h1")
    jid = _running(api, vram=16)
    r = api.post(f"/agent/preempt/h1/{jid}")
    assert r.status_code == 200 and r.json()["reason"] == "preempt"
    r = api.status(jid, "preempted", "h1")
    assert r.status_code == 200, r.text
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["host_id"] is None and jb["preempted_at"] is not None
    assert jb["retries"] == 0 and jb["attempt"] == 2 and jb["vram_reserved_gb"] == 0.0
    assert api.host("h1")["reserved_vram_gb"] == 0.0 and api.host("h1")["free_vram_gb"] == 24.0


def test_vram_released_on_admin_requeue(api):
    api.host_up("h1")
    jid = _running(api, vram=16)
    r = api.post(f"/job/{jid}/requeue")
    assert r.status_code == 200, r.text
    jb = r.json()["job"]
    assert jb["status"] == "queued" and jb["host_id"] is None and jb["started_at"] is None
    assert jb["retries"] == 1
    assert api.host("h1")["reserved_vram_gb"] == 0.0


@pytest.mark.parametrize("extra,cls", [({"failure_reason": "host_lost"}, "host_lost"),
                                        ({"exit_code": 255}, "hardware_error"),
                                        ({"exit_code": 1, "failure_reason": "GPU timeout"}, "network_error"),
                                        ({"failure_reason": "CUDA error: xid 79"}, "gpu_error")])
def test_retryable_failure_autorequeues(api, extra, cls):
    api.host_up("h1")
    jid = _running(api, vram=16)
    r = api.status(jid, "failed", "h1", **extra)
    assert r.status_code == 200, r.text
    jb = api.job(jid)
    assert jb["status"] == "queued" and jb["retries"] == 1 and jb["failure_class"] == cls
    assert jb["host_id"] is None and jb["vram_reserved_gb"] == 0.0
    assert api.host("h1")["reserved_vram_gb"] == 0.0
    types = [e["event_type"] for e in api.audit(jid)]
    assert types[-2:] == ["job.failed", "job.requeued"]


def test_retry_limit(api):
    api.host_up("h1")
    api.host_up("h2")
    api.host_up("h3")
    api.host_up("h4")
    j = api.submit("retry", 8)
    jid = j["job_id"]
    for attempt in range(4):
        assigned = api.process()
        assert [a["job_id"] for a in assigned] == [jid], (attempt, assigned)
        host = assigned[0]["host"]
        assert api.status(jid, "running", host).status_code == 200
        assert api.status(jid, "failed", host, exit_code=255).status_code == 200
        jb = api.job(jid)
        if attempt < 3:
            assert jb["status"] == "queued" and jb["retries"] == attempt + 1
    jb = api.job(jid)
    assert jb["status"] == "failed" and jb["retries"] == 3
    assert jb["failure_reason"].endswith("; max retries exceeded"), jb["failure_reason"]
    assert_envelope(api.post(f"/job/{jid}/requeue"), 409, "conflict", "exceeded max retries (3)")
    assert api.job(jid)["status"] == "failed"


def test_every_transition_has_event(api):
    api.host_up("h1")
    jid = _running(api)
    api.post(f"/agent/preempt/h1/{jid}")
    api.status(jid, "preempted", "h1")
    types = [e["event_type"] for e in api.audit(jid) if e["event_type"] != "job.stop_requested"]
    assert types == ["job.submitted", "job.assigned", "job.lease.granted", "job.running", "job.preempted",
                     "job.requeued"], types
    seqs = [e["seq"] for e in api.audit(jid)]
    assert seqs == sorted(seqs)
