"""Registration, admission, version probes, NVML telemetry through the fake library, mesh."""
import json
import os
import stat
import subprocess
import tempfile

import requests

from xcagent import AGENT_BIN, FAKE_NVML, FIXTURES, wait_host


def test_rejected_admission_logs_every_reason_and_retries(server_factory, agent_factory):
    # Production minimums: this machine's runc/podman are older, and --simulate reports
    # placeholder GPU-stack versions.
    s = server_factory({"XCELSIOR_MIN_RUNC": "1.1.14", "XCELSIOR_MIN_DOCKER": "24.0.0",
                        "XCELSIOR_MIN_NVIDIA_CTK": "1.17.8", "XCELSIOR_MIN_NVIDIA_DRIVER": "535.0"})
    a = agent_factory(s.url, "h-old", host_ip="127.0.0.41")
    a.wait_log("admission rejected")
    a.wait_log("rejected: runc 1.1.5+ds1 is below minimum 1.1.14")
    a.wait_log("rejected: NVIDIA Container Toolkit 0.0.0-simulated is below minimum 1.17.8")
    a.wait_log("rejected: Docker")
    a.wait_log("next version report in 2 s")  # capped backoff (XCELSIOR_ADMISSION_RETRY_MAX=2)
    host = wait_host(s.url, "h-old", status="pending")
    assert host["admitted"] is False
    assert a.logs().count("admission rejected") >= 2 or a.wait_log("admission rejected")


def test_probe_reports_real_runc_and_engine(podman):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_")}
    env["XCELSIOR_DOCKER_HOST"] = podman["XCELSIOR_DOCKER_HOST"]
    out = subprocess.run([AGENT_BIN, "--probe", "--simulate"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    p = json.loads(out.stdout)
    real = subprocess.run(["runc", "--version"], capture_output=True, text=True).stdout
    assert p["versions"]["runc"] == real.split()[2]
    assert p["versions"]["docker"]  # from GET /version of the engine
    assert p["engine_podman"] is True
    assert p["gpu_source"] == "simulated"
    assert p["versions"]["nvidia_driver"].endswith("simulated")


def test_no_gpu_is_a_clear_error():
    env = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_")}
    env.update({"XCELSIOR_HOST_ID": "h-nogpu", "XCELSIOR_SCHEDULER_URL": "http://127.0.0.1:9",
                "XCELSIOR_NVML_LIB": "/nonexistent/libnvidia-ml.so.1", "PATH": "/usr/bin:/bin"})
    out = subprocess.run([AGENT_BIN], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "no GPU found" in out.stderr and "--simulate" in out.stderr


def _fake_bin(files):
    d = tempfile.mkdtemp(prefix="xct-bin-")
    for name, body in files.items():
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(p, stat.S_IRWXU)
    return d


def test_nvml_telemetry_through_fake_library(server_factory, agent_factory):
    assert os.path.exists(FAKE_NVML), "build the fake NVML fixture (tests/fixtures)"
    ctk = _fake_bin({"nvidia-ctk": f"cat '{FIXTURES}/probe/nvidia_ctk_version.txt'"})
    s = server_factory()
    agent_factory(s.url, "h-nvml", host_ip="127.0.0.42", args=(),
                  extra_env={"XCELSIOR_NVML_LIB": FAKE_NVML, "FAKE_NVML_COUNT": "2",
                             "PATH": ctk + ":" + os.environ.get("PATH", "/usr/bin:/bin")})
    host = wait_host(s.url, "h-nvml")
    assert host["gpu_model"] == "NVIDIA GeForce RTX 4090"
    assert host["gpu_count"] == 2
    assert host["total_vram_gb"] == 48.0
    assert host["versions"]["nvidia_driver"] == "550.54.14"
    assert host["versions"]["nvidia_ctk"] == "1.17.8"
    assert host["versions"]["cuda"] == "12.4"
    deadline = __import__("time").time() + 20
    while True:
        r = requests.get(s.url + "/agent/telemetry/h-nvml", timeout=5)
        if r.status_code == 200:
            break
        assert __import__("time").time() < deadline, r.text
        __import__("time").sleep(0.3)
    body = r.json()
    # Spec shape (api.md §6.4) is {"metrics": {...}}; accept the server's current nesting too.
    m = body.get("metrics") or body["telemetry"].get("metrics") or body["telemetry"]
    assert m["utilization"] == 65
    assert m["temp"] == 72
    assert m["power_draw_w"] == 285.0
    assert m["pcie_tx_mb_s"] == 500.0
    assert m["memory_errors"] == 1
    assert m["gpu_count"] == 2
    assert m["egress_enforced"] is True


def test_mesh_address_from_fake_tailscale(server_factory, agent_factory):
    rec = tempfile.mkdtemp(prefix="xct-ts-")
    ts = _fake_bin({"tailscale": (
        'case "$1" in\n'
        f"status) cat '{FIXTURES}/probe/tailscale_status_needslogin.json' ;;\n"
        "ip) echo 127.0.0.43 ;;\n"
        f'up) echo "$@" > {rec}/up ;;\n'
        "esac")})
    s = server_factory()
    a = agent_factory(s.url, "h-mesh", host_ip="",
                      extra_env={"XCELSIOR_TAILSCALE_ENABLED": "true", "XCELSIOR_TAILSCALE_AUTHKEY": "tskey-secret",
                                 "XCELSIOR_HEADSCALE_URL": "https://hs.invalid",
                                 "PATH": ts + ":" + os.environ.get("PATH", "/usr/bin:/bin")})
    host = wait_host(s.url, "h-mesh")
    assert host["ip"] == "127.0.0.43"
    up = open(os.path.join(rec, "up")).read()
    assert "--login-server https://hs.invalid" in up
    assert "--auth-key=file:" in up and "tskey-secret" not in up
    assert "tskey-secret" not in a.logs()
