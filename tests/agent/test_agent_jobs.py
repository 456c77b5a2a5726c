"""A real agent runs real containers in podman (Docker Engine API over a unix socket)."""
import re
import time

import requests

from xcagent import job, job_logs, submit, wait_host, wait_job

PROBE = ("grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status; echo uid=$(id -u) gid=$(id -g); "
         "if touch /root-write-test 2>/dev/null; then echo ROOTFS=writable; else echo ROOTFS=readonly; fi; "
         "if echo x > /tmp/t 2>/dev/null; then echo TMP=writable; fi; "
         "echo to-stderr >&2; exit 7")


def test_hardened_container_exit_code_and_logs(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-sec", host_ip="127.0.0.11")
    host = wait_host(s.url, "h-sec")
    assert host["admitted"] is True
    assert host["gpu_model"] == "Simulated GPU"
    assert host["ip"] == "127.0.0.11"

    jid = submit(s.url, "hardening-probe", ["/bin/sh", "-c", PROBE])
    j = wait_job(s.url, jid, {"failed", "completed"}, agents=[a])
    assert j["status"] == "failed"
    assert j["exit_code"] == 7
    assert j["failure_reason"] == "exit code 7"
    lines = job_logs(s.url, jid)
    text = "\n".join(lines)
    assert re.search(r"CapEff:\s+0000000000000000", text), text
    assert re.search(r"CapPrm:\s+0000000000000000", text), text
    assert re.search(r"NoNewPrivs:\s+1", text), text
    m = re.search(r"uid=(\d+) gid=(\d+)", text)
    assert m and m.group(1) != "0" and m.group(2) != "0", text
    assert "ROOTFS=readonly" in lines, text
    assert "TMP=writable" in lines, text
    assert "to-stderr" in lines, "stderr comes back too"

    ok = submit(s.url, "exit-zero", ["/bin/sh", "-c", "echo hello from the job; exit 0"])
    j = wait_job(s.url, ok, {"failed", "completed"}, agents=[a])
    assert j["status"] == "completed", j
    assert "hello from the job" in job_logs(s.url, ok)

    # The container was removed after the run.
    assert "started" in a.logs()


def test_empty_and_invalid_images_fail_cleanly(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-img", host_ip="127.0.0.12")
    wait_host(s.url, "h-img")
    jid = submit(s.url, "no-image", ["/bin/true"], image="")
    j = wait_job(s.url, jid, {"failed", "completed"}, agents=[a])
    assert j["status"] == "failed"
    assert j["failure_reason"] == "image_error: no image"
    assert j["failure_class"] == "image_error"


def test_pull_policy_never_with_missing_image(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-never", host_ip="127.0.0.13", extra_env={"XCELSIOR_PULL_POLICY": "never"})
    wait_host(s.url, "h-never")
    missing = submit(s.url, "missing", ["/bin/true"], image="localhost/xc-not-here:1")
    j = wait_job(s.url, missing, {"failed", "completed"}, agents=[a])
    assert j["status"] == "failed"
    assert j["failure_reason"].startswith("image_error"), j["failure_reason"]
    assert "pull policy is never" in j["failure_reason"]
    assert "pulling" not in a.logs()
    present = submit(s.url, "present", ["/bin/true"])
    j = wait_job(s.url, present, {"failed", "completed"}, agents=[a])
    assert j["status"] == "completed", j


def test_pull_policy_if_not_present_uses_local_image(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-ifnp", host_ip="127.0.0.14", extra_env={"XCELSIOR_PULL_POLICY": "if-not-present"})
    wait_host(s.url, "h-ifnp")
    jid = submit(s.url, "local", ["/bin/true"])
    j = wait_job(s.url, jid, {"failed", "completed"}, agents=[a])
    assert j["status"] == "completed", j
    assert "pulling" not in a.logs()


def test_pull_policy_always_pulls(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-always", host_ip="127.0.0.15", extra_env={"XCELSIOR_PULL_POLICY": "always"})
    wait_host(s.url, "h-always")
    jid = submit(s.url, "always", ["/bin/true"])
    a.wait_log("pulling localhost/xc-busybox:latest")
    # podman cannot pull localhost/ images here: the pull is attempted and its failure reported
    # (a network_error is retryable, so the job goes back to the queue with this host avoided).
    deadline = time.time() + 60
    while True:
        j = job(s.url, jid)
        if j["failure_reason"] or time.time() > deadline:
            break
        time.sleep(0.2)
    assert j["status"] != "completed", j
    assert re.match(r"^(image_error|network_error)", j["failure_reason"]), j
    assert j["exit_code"] is None, "the container never ran"


def test_cancel_running_job_stops_container(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-cancel", host_ip="127.0.0.16")
    wait_host(s.url, "h-cancel")
    jid = submit(s.url, "long", ["/bin/sh", "-c", "echo started; sleep 300"])
    wait_job(s.url, jid, {"running"}, agents=[a])
    r = requests.patch(f"{s.url}/job/{jid}", json={"status": "cancelled"}, timeout=10)
    assert r.status_code == 202, r.text
    j = wait_job(s.url, jid, {"cancelled", "failed", "completed"}, timeout=40, agents=[a])
    assert j["status"] == "cancelled", j
    a.wait_log("stopping (cancel)")


def test_graceful_shutdown_preempts_and_keeps_host(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-shut", host_ip="127.0.0.17")
    wait_host(s.url, "h-shut")
    jid = submit(s.url, "interrupted", ["/bin/sh", "-c", "sleep 300"])
    wait_job(s.url, jid, {"running"}, agents=[a])
    assert a.stop() == 0
    j = wait_job(s.url, jid, {"queued", "assigned"}, timeout=30, agents=[a])
    assert j["retries"] == 0, "a preemption is not a failure"
    hosts = requests.get(s.url + "/hosts?active_only=false", timeout=10).json()["hosts"]
    assert any(h["host_id"] == "h-shut" for h in hosts), "the agent never deletes its host record"
    assert "agent_shutdown" in a.logs()
