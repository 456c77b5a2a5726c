"""Mining detection end to end: the agent reads GPU samples through the fake NVML library
(dlopen, as with a real driver), runs a real container, and stops it on a sustained mining
signature; unavailable PCIe counters never trigger."""
import os

import requests

from test_agent_host import _fake_bin
from xcagent import FAKE_NVML, FIXTURES, submit, wait_host, wait_job


def _nvml_env(**fake):
    ctk = _fake_bin({"nvidia-ctk": f"cat '{FIXTURES}/probe/nvidia_ctk_version.txt'"})
    env = {"XCELSIOR_NVML_LIB": FAKE_NVML, "XCELSIOR_MINING_CHECK_INTERVAL": "1",
           "XCELSIOR_MINING_DURATION_SEC": "3",
           "PATH": ctk + ":" + os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(fake)
    return env


def test_sustained_mining_signature_stops_the_job(server_factory, agent_factory):
    assert os.path.exists(FAKE_NVML)
    s = server_factory()
    a = agent_factory(s.url, "h-mine", host_ip="127.0.0.51", args=(), subnet="169.254.91.0/24",
                      extra_env=_nvml_env(FAKE_NVML_UTIL="99", FAKE_NVML_TX_KB="1024"))
    wait_host(s.url, "h-mine")
    jid = submit(s.url, "miner", ["/bin/sh", "-c", "sleep 300"])
    j = wait_job(s.url, jid, {"failed", "completed"}, timeout=60, agents=[a])
    assert j["status"] == "failed", j
    assert j["failure_reason"] == "mining_detected: util=99% pcie_tx=1.0MB/s", j
    assert j["failure_class"] == "policy_violation"
    assert j["retries"] == 0, "no retry for a policy violation"
    a.wait_log("matches mining signature (high compute, low PCIe)")
    assert "mining alert for job" not in a.logs(), "the alert was accepted"


def test_unavailable_pcie_counters_never_flag(server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-nopcie", host_ip="127.0.0.52", args=(), subnet="169.254.92.0/24",
                      extra_env=_nvml_env(FAKE_NVML_UTIL="100", FAKE_NVML_PCIE="unsupported"))
    wait_host(s.url, "h-nopcie")
    jid = submit(s.url, "busy-training", ["/bin/sh", "-c", "sleep 6; echo trained"])
    j = wait_job(s.url, jid, {"failed", "completed"}, timeout=60, agents=[a])
    assert j["status"] == "completed", j
    assert "mining signature" not in a.logs()
    r = requests.get(s.url + "/agent/telemetry/h-nopcie", timeout=5).json()
    m = r.get("metrics") or r["telemetry"].get("metrics") or r["telemetry"]
    assert m["pcie_tx_mb_s"] is None, "unavailable is null, not 0"
