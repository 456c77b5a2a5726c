"""Issue 12's "done when", end to end: the real xcelsior-agent (fake NVML through dlopen, podman as
the container engine) measures its host with a benchmark container, posts the benchmark and the
verification report itself, and trust tiers decide where jobs run (domain §17.10, §18, §20).

* a `community` job runs on the unverified host;
* a `sovereignty` job stays queued with the exact §20.3 reason while the host is unverified, and
  still after an admin writes a Canadian, vetted record; the agent's own report verifies the host,
  the job runs through podman on the runtime the server chose, leaves a residency trace;
* a `regulated` job stays queued while the record lacks audit-trail support;
* the transparency report answers.

The benchmark container waits for a gate file (created with `podman exec`) before printing its
result, so the unverified phase is observed without racing the agent."""
import json
import os
import subprocess
import time
import uuid

import pytest
import requests

from test_agent_host import _fake_bin
from xcagent import FAKE_NVML, FIXTURES, submit, wait_host, wait_job

HOST = "h-sov"
BENCH_RESULT = {"tflops": 82.6, "pcie_h2d_gbps": 24.1, "pcie_d2h_gbps": 25.9, "compute_capability": "8.9",
                "cuda_version": "12.4", "gpu_temp_max_c": 71, "gpu_temp_avg_c": 68.2}
VETTED = {"country": "CA", "province": "ON", "city": "Toronto", "data_center_name": "TOR1",
          "data_center_class": "colocation", "operator_name": "Acme GPU Inc.", "operator_incorporated_in": "Canada",
          "operator_registered_canada": True, "foreign_control": False, "sovereignty_vetted": True}
VERIFY_REASON = "Host verification required"
AUDIT_REASON = "Audit trail capability required"


def _podman(env, *args, check=True):
    e = dict(os.environ, CONTAINERS_CONF=env["CONTAINERS_CONF"])
    return subprocess.run(["podman", *args], env=e, check=check, capture_output=True, text=True, timeout=120)


@pytest.fixture
def bench_image(podman):
    """A benchmark image: busybox that waits (at most 120 s) for /tmp/go, then prints one JSON line."""
    tag = f"localhost/xc-bench-{uuid.uuid4().hex[:8]}:latest"
    tmp = f"xc-bench-build-{uuid.uuid4().hex[:8]}"
    script = ("i=0; while [ ! -e /tmp/go ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done; "
              f"echo benchmark done; echo '{json.dumps(BENCH_RESULT)}'")
    _podman(podman, "create", "--name", tmp, podman["XC_TEST_IMAGE"])
    try:
        _podman(podman, "commit", "-q", "--change", "CMD " + json.dumps(["/bin/sh", "-c", script]), tmp, tag)
    finally:
        _podman(podman, "rm", "-f", tmp, check=False)
    yield tag
    _podman(podman, "rmi", "-f", tag, check=False)


def _get(url, path):
    r = requests.get(url + path, timeout=10)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    return r.json()


def _host(url):
    return next(h for h in _get(url, "/hosts?active_only=false")["hosts"] if h["host_id"] == HOST)


def _until(what, fn, timeout=60, agent=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.3)
    logs = agent.logs()[-4000:] if agent else ""
    raise AssertionError(f"never: {what}; last: {last}\n{logs}")


def _queued_with(url, job_id, reason):
    j = _get(url, f"/job/{job_id}")["job"]
    return j if j["status"] == "queued" and j.get("pending_reason") == reason else None


def test_trust_tiers_end_to_end(server_factory, agent_factory, podman, bench_image):
    assert os.path.exists(FAKE_NVML), "build the fake NVML fixture (tests/fixtures)"
    s = server_factory()
    ctk = _fake_bin({"nvidia-ctk": f"cat '{FIXTURES}/probe/nvidia_ctk_version.txt'"})
    a = agent_factory(s.url, HOST, host_ip="127.0.0.71", args=(), subnet="169.254.97.0/24",
                      extra_env={"XCELSIOR_NVML_LIB": FAKE_NVML, "XCELSIOR_BENCH_IMAGE": bench_image,
                                 "XCELSIOR_COUNTRY": "CA", "XCELSIOR_PROVINCE": "ON",
                                 "PATH": ctk + ":" + os.environ.get("PATH", "/usr/bin:/bin")})
    host = wait_host(s.url, HOST)
    assert host["verification_state"] == "unverified" and host["trust_tier"] == "community"
    assert host["compute_score"] is None
    # The agent is measuring: its benchmark container runs (held at the gate).
    bench = f"xcelsior-benchmark-{HOST}-1"
    _until("the benchmark container runs", lambda: _podman(podman, "inspect", "-f", "{{.State.Running}}", bench,
                                                           check=False).stdout.strip() == "true", agent=a)

    # Unverified, no record: sovereignty and regulated wait with the exact §20.3 reason.
    sov = submit(s.url, "sov", ["/bin/sh", "-c", "echo sovereign-ok"], trust_tier="sovereignty")
    reg = submit(s.url, "reg", ["/bin/sh", "-c", "echo regulated-ok"], trust_tier="regulated")
    _until("sovereignty job waits for verification", lambda: _queued_with(s.url, sov, VERIFY_REASON), agent=a)
    _until("regulated job waits for verification", lambda: _queued_with(s.url, reg, VERIFY_REASON), agent=a)
    assert _get(s.url, f"/api/jurisdiction/hosts/{HOST}")["jurisdiction"]["sovereignty_vetted"] is False

    # A community job runs on the unverified host.
    com = submit(s.url, "com", ["/bin/sh", "-c", "echo community-ok"])
    j = wait_job(s.url, com, {"completed", "failed"}, timeout=90, agents=[a])
    assert j["status"] == "completed", j
    assert j["host_id"] == HOST and _host(s.url)["verification_state"] == "unverified"

    # An admin attests a Canadian, vetted record (no audit trail): still unverified, still waiting.
    r = requests.put(f"{s.url}/api/jurisdiction/hosts/{HOST}", json=VETTED, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["trust_tier"] == "community" and r.json()["jurisdiction"]["sovereignty_vetted"] is True
    time.sleep(2.5)  # a few scheduler passes
    assert _queued_with(s.url, sov, VERIFY_REASON), _get(s.url, f"/job/{sov}")["job"]

    # The benchmark finishes: the agent posts its benchmark and its measured report.
    speedtest = requests.get(s.url + "/agent/speedtest?bytes=1", timeout=10).status_code
    _podman(podman, "exec", bench, "touch", "/tmp/go")
    a.wait_log("verification: state", timeout=120)
    host = _until("the host has a compute score", lambda: (lambda h: h if h["compute_score"] else None)(
        _host(s.url)), agent=a)
    assert host["compute_score"] == 8.26, host
    if speedtest == 404:
        # No speedtest route on this server: throughput is reported as not measured, never invented,
        # and network_quality fails on it alone.
        st = _get(s.url, f"/api/verify/{HOST}/status")["verification"]
        assert st["state"] == "deverified" and st["deverify_reason"] == "Failed checks: network_quality", st
        net = next(c for c in st["checks"] if c["check_name"] == "network_quality")
        assert "throughput 0" in net["actual"], net
        assert _queued_with(s.url, sov, VERIFY_REASON)
        pytest.skip("GET /agent/speedtest is not served here (404): the host cannot pass network_quality")

    host = _until("the agent's own report verifies the host", lambda: (
        lambda h: h if h["verification_state"] == "verified" else None)(_host(s.url)), agent=a)
    assert host["trust_tier"] == "sovereignty", host
    st = _get(s.url, f"/api/verify/{HOST}/status")["verification"]
    assert st["overall_score"] == 100.0 and all(c["passed"] for c in st["checks"]), st
    assert len(st["gpu_fingerprint"]) == 16

    # Now the sovereignty job is placed and runs through the agent and podman.
    j = wait_job(s.url, sov, {"completed", "failed"}, timeout=90, agents=[a])
    assert j["status"] == "completed" and j["host_id"] == HOST, j
    ev = [e for e in _get(s.url, f"/api/audit/job/{sov}")["events"] if e["event_type"] == "job.assigned"]
    # Isolation preferred above community: the host offers no gVisor/Kata here, so hardened runc.
    assert host["recommended_runtime"] == "runc" and "runsc" not in (host.get("runtimes") or [])
    assert ev and ev[-1]["data"]["runtime"] == "runc", ev

    # Residency trace: where it ran and the attested facts at that time.
    t = _get(s.url, f"/api/jurisdiction/residency-trace/{sov}")["trace"]
    assert t["host_id"] == HOST and t["country"] == "CA" and t["province"] == "ON" and t["city"] == "Toronto", t
    assert t["is_canadian_compute"] is True and t["sovereignty_vetted"] is True
    assert t["operator"] == "Acme GPU Inc." and t["duration_sec"] >= 0

    # Regulated: the record lacks audit-trail support.
    _until("regulated job waits for audit trail", lambda: _queued_with(s.url, reg, AUDIT_REASON), agent=a)

    # The transparency report answers, and counts a legal request about this job.
    r = requests.post(s.url + "/api/transparency/legal-request",
                      json={"request_type": "subpoena", "jurisdiction": "CA", "authority": "RCMP",
                            "scope": f"job {sov}"}, timeout=10)
    assert r.status_code == 200, r.text
    rep = _get(s.url, "/api/transparency/report")
    assert rep["summary"]["requests_received"] == 1 and rep["summary"]["by_jurisdiction"] == {"CA": 1}
    assert "Canadian" in rep["cloud_act_note"]
