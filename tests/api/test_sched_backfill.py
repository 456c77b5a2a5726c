"""The queue pass considers the whole queue (issue 8): a job that cannot be placed never blocks one
that can (backfill), every unplaced job gets its pending reason, and a job that has waited longer
than XCELSIOR_BACKFILL_RESERVE_AFTER_SEC reserves the host it waits for so that younger jobs cannot
starve it. With the queue loop on, passes follow each other while they place work."""
import concurrent.futures as cf
import json
import time

import requests

from conftest import Api


def _submit_many(url, bodies):
    def one(b):
        with requests.Session() as s:
            r = s.post(url + "/job", data=json.dumps(b), timeout=30)
            assert r.status_code == 200, r.text
            return r.json()["job"]["job_id"]
    with cf.ThreadPoolExecutor(8) as ex:
        return list(ex.map(one, bodies))


def test_head_of_line_blocking_is_gone(servers):
    s = servers()
    api = Api(s)
    api.host_up("hol-24", total_vram_gb=24, free_vram_gb=24)
    big = _submit_many(s.url, [{"name": f"big{i}", "vram_needed_gb": 80, "tier": "urgent"} for i in range(1001)])
    small = api.submit("small", 1, tier="free")["job_id"]
    assigned = api.process()
    assert [a["job_id"] for a in assigned] == [small]
    assert api.job(small)["status"] == "assigned"
    # Every unplaced job has its reason.
    for jid in big[:3] + big[-3:]:
        j = api.job(jid)
        assert j["status"] == "queued"
        assert "80.0 GB" in (j.get("pending_reason") or ""), j


def test_mixed_queue_places_every_job_that_fits(servers):
    s = servers()
    api = Api(s)
    for i in range(3):
        api.host_up(f"mx-{i}", ip=f"127.0.0.{20 + i}", total_vram_gb=24, free_vram_gb=24)
    tiers = ["free", "standard", "premium", "urgent"]
    fits, never = [], []
    for k in range(24):
        t = tiers[k % 4]
        never.append(api.submit(f"never-{k}", 48, tier=t)["job_id"])       # no 48 GB host
        if k < 9:
            fits.append(api.submit(f"fits-{k}", 8, tier=tiers[(k + 1) % 4])["job_id"])  # 3 per host
    placed = {a["job_id"] for a in api.process()}
    assert placed == set(fits)
    for jid in never:
        j = api.job(jid)
        assert j["status"] == "queued" and "48.0 GB" in j["pending_reason"], j
    # The hosts are full now: a further small job waits with a reason naming the cause.
    late = api.submit("late", 8)["job_id"]
    assert api.process() == []
    assert "too small" in api.job(late)["pending_reason"]


def test_an_old_big_job_reserves_its_host_against_younger_small_ones(servers):
    s = servers(env={"XCELSIOR_BACKFILL_RESERVE_AFTER_SEC": "600"})
    api = Api(s)
    api.host_up("drain-1", total_vram_gb=24, free_vram_gb=24)
    running = api.running_job("drain-1", "first", 8)
    big = api.submit("big", 20, tier="free")["job_id"]
    assert api.process() == []           # 16 GB free: the big job waits
    young = api.submit("young-1", 8)["job_id"]
    assert [a["job_id"] for a in api.process()] == [young]   # backfill while the big job is young
    api.clock(601)
    younger = api.submit("young-2", 4)["job_id"]
    assert api.process() == []           # the big job has waited 10 min: the host is reserved
    reason = api.job(big)["pending_reason"]
    assert "drain-1" in reason and "reserved" in reason, reason
    assert api.job(younger)["status"] == "queued"
    for jid in (running["job_id"], young):
        if api.job(jid)["status"] == "assigned":
            assert api.claim(jid, "drain-1").status_code == 200
            assert api.status(jid, "running", "drain-1").status_code == 200
        assert api.status(jid, "completed", "drain-1").status_code == 200
    # The host drained: the big job gets it first, the 4 GB job backfills what is left.
    assigned = [a["job_id"] for a in api.process()]
    assert assigned == [big, younger], assigned


def test_queue_loop_drains_back_to_back_and_on_new_work(servers):
    s = servers(env={"XCELSIOR_QUEUE_INTERVAL": "30"})
    api = Api(s)
    for i in range(4):
        api.host_up(f"loop-{i}", ip=f"127.0.0.{40 + i}", total_vram_gb=80, free_vram_gb=80, gpu_count=8)
    # Far more than one chunk of placements; the interval (30 s) is never waited for.
    ids = _submit_many(s.url, [{"name": f"l{i}", "vram_needed_gb": 0.25} for i in range(1200)])
    deadline = time.time() + 20
    while time.time() < deadline:
        r = api.get("/jobs?status=queued&limit=1").json()
        if r["total"] == 0:
            break
        time.sleep(0.1)
    assert r["total"] == 0, r
    assert api.get("/jobs?status=assigned&limit=1").json()["total"] == len(ids)
