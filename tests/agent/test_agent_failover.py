"""Failover: an agent killed with -9 mid-job loses the job to another agent; a restarting
control plane does not cost a running job."""
import time

import requests

from xcagent import remove_host_containers, sh, submit, wait_host, wait_job


def test_killed_agent_job_requeued_and_completed_elsewhere(server_factory, agent_factory, podman):
    s = server_factory({"XCELSIOR_HOST_DEAD_AFTER_SEC": "3"})
    a = agent_factory(s.url, "h-fo-a", host_ip="127.0.0.31", subnet="169.254.81.0/24")
    wait_host(s.url, "h-fo-a")
    cust = "cust-" + "f0" * 16
    r = requests.post(f"{s.url}/api/billing/wallet/{cust}/deposit", json={"amount_cad": 100}, timeout=10)
    assert r.status_code == 200, r.text
    jid = submit(s.url, "survivor", ["/bin/sh", "-c", "echo attempt; sleep 6; echo finished"], owner=cust)
    j = wait_job(s.url, jid, {"running"}, agents=[a])
    assert j["host_id"] == "h-fo-a"
    b = agent_factory(s.url, "h-fo-b", host_ip="127.0.0.32", subnet="169.254.82.0/24")
    wait_host(s.url, "h-fo-b")
    a.kill9()
    try:
        j = wait_job(s.url, jid, {"completed"}, timeout=90, agents=[a, b])
        assert j["host_id"] == "h-fo-b"
        assert j["retries"] == 1
        assert j["attempt"] == 2
        hosts = {h["host_id"]: h for h in requests.get(s.url + "/hosts?active_only=false", timeout=10).json()["hosts"]}
        assert hosts["h-fo-a"]["status"] == "dead"
        # Billed once, for the successful run only: the attempt lost with its host costs nothing.
        recs = {b["attempt"]: b for b in requests.get(s.url + "/billing", timeout=10).json()["records"]
                if b["job_id"] == jid}
        assert set(recs) == {1, 2}, recs
        assert recs[1]["final_status"] == "failed" and recs[1]["cost"] == 0
        assert recs[2]["final_status"] == "completed" and recs[2]["cost"] > 0
        txs = requests.get(f"{s.url}/api/billing/wallet/{cust}/history", timeout=10).json()["transactions"]
        charges = [t for t in txs if t["tx_type"] == "charge"]
        assert len(charges) == 1 and charges[0]["amount_cad"] == recs[2]["cost"], txs
    finally:
        # The orphans of the killed agent: its container and its job's network namespace.
        remove_host_containers(podman, "h-fo-a")
        sh("ip", "netns", "del", f"xcj-{jid}-1", check=False)


def test_control_plane_restart_does_not_lose_running_job(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-cp", host_ip="127.0.0.33", subnet="169.254.83.0/24")
    wait_host(s.url, "h-cp")
    jid = submit(s.url, "outlives-server", ["/bin/sh", "-c", "echo begin; sleep 6; echo end; exit 0"])
    wait_job(s.url, jid, {"running"}, agents=[a])
    s.stop()
    time.sleep(8)  # the job ends while the control plane is down
    s.start()
    j = wait_job(s.url, jid, {"completed", "failed"}, timeout=60, agents=[a])
    assert j["status"] == "completed", j
    assert j["retries"] == 0
    assert a.proc.poll() is None, "the agent kept running"
