"""`make demo` (scripts/demo.sh), driven without a terminal: one job end to end on this machine,
and afterwards nothing it started is left — no process, no temporary directory, no image."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("XC_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD_DIR = os.environ.get("XC_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
DEMO = os.path.join(SOURCE_DIR, "scripts", "demo.sh")
IMAGE = "localhost/xcelsior-demo-busybox:latest"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _needs_root():
    if os.geteuid() != 0:
        pytest.fail("the demo needs root (rootful podman, network namespaces)")


def demo_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XCELSIOR_", "DEMO_"))}
    env.update({"DEMO_PORT": str(free_port()), "NO_COLOR": "1"})
    env.update(extra)
    return env


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def assert_nothing_left(out):
    """Every process the demo reported starting is gone, no process mentions its directory, and
    the directory (and an image it imported) is removed."""
    started = re.findall(r"^demo: started (.+?) \(pid (\d+)\)", out, re.M)
    names = {n.split()[0] for n, _ in started}
    assert {"xcelsiord", "podman", "xcelsior-agent"} <= names, out
    assert len(started) == 4, out  # the control plane, the engine and two agents
    for name, pid in started:
        assert re.search(rf"^demo: stopped {re.escape(name)} \(pid {pid}\)", out, re.M), (name, out)
        cl = cmdline(pid)
        # The pid may have been reused by now, but never by one of ours.
        assert cl is None or not re.search(r"xcelsiord|xcelsior-agent|podman", cl), (name, pid, cl)
    m = re.search(r"^demo: working directory (\S+)", out, re.M)
    assert m, out
    work = m.group(1)
    assert not os.path.exists(work), f"{work} was left behind"
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            cl = cmdline(pid)
            assert not (cl and work in cl), f"process {pid} still runs from the demo: {cl}"
    if f"imported image {IMAGE}" in out:
        assert f"removed image {IMAGE}" in out, out
        r = subprocess.run(["podman", "image", "exists", IMAGE], capture_output=True, timeout=60)
        assert r.returncode != 0, "the demo's image was left behind"


def test_demo_once_runs_a_job_end_to_end_and_cleans_up():
    p = subprocess.run(["bash", DEMO, BUILD_DIR, "--once"], env=demo_env(DEMO_NONINTERACTIVE="1"),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    # The banner says the minimums are lowered.
    assert "admission minimums are LOWERED" in out and "NOT FOR PRODUCTION" in out
    # Two simulated hosts, admitted.
    assert re.search(r"^\[active\] demo-rig-1 .* Simulated GPU", out, re.M), out
    assert re.search(r"^\[active\] demo-rig-2 .* Simulated GPU", out, re.M), out
    # The provider path: host-add printed the agent's lines and the agent used them.
    assert re.search(r"^XCELSIOR_API_TOKEN=xh-", out, re.M), out
    # The job ran in a container as a non-root user, its logs came back, it completed.
    m = re.search(r"Hello from Xcelsior: job running as uid (\d+)", out)
    assert m and m.group(1) != "0", out
    assert "step 3 of 3" in out and "--- status: completed" in out, out
    assert re.search(r"^\[completed\] [0-9a-f]{32} \| hello-xcelsior", out, re.M), out
    # A non-zero bill.
    bill = re.search(r"^  Billed: hello-xcelsior \| ([0-9.]+)s \| \$([0-9.]+)$", out, re.M)
    assert bill, out
    assert float(bill.group(1)) > 0 and float(bill.group(2)) > 0, bill.group(0)
    assert re.search(r"^== Dashboard: http://127\.0\.0\.1:\d+/dashboard", out, re.M), out
    assert_nothing_left(out)


def test_demo_interactive_stops_everything_on_ctrl_c():
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    proc = subprocess.Popen(["bash", DEMO, BUILD_DIR], env=demo_env(DEMO_NONINTERACTIVE="0"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines = []
    deadline = time.time() + 300
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line or time.time() > deadline:
                break
        assert any("Press Ctrl-C" in x for x in lines), "".join(lines)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = "".join(lines) + rest
    assert proc.returncode == 130, out
    assert "Stopping everything the demo started" in out, out
    assert_nothing_left(out)
