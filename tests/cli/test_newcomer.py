"""A newcomer's first hour (issue 13): the agent token line printed by `xcelsior host-add` is the
one `xcelsior-agent` reads, `xcelsior hosts` says what it hides, `--help` is grouped by who uses
each verb, and `run -- CMD` carries the job's command."""
import os
import re
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD_DIR, add_active_host, api, start_server

AGENT = BUILD_DIR / "xcelsior-agent"
ADMIN = "a" * 40
PROD = {"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ADMIN, "XCELSIOR_SECRET_KEY": "s" * 40,
        "XCELSIOR_MIN_RUNC": "0", "XCELSIOR_MIN_DOCKER": "0", "XCELSIOR_MIN_NVIDIA_CTK": "0",
        "XCELSIOR_MIN_NVIDIA_DRIVER": "0"}
SOURCE_DIR = os.environ.get("XC_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture
def prod():
    s = start_server(env=PROD)
    yield s
    s.stop()


def env_lines(stdout):
    """The `NAME=value` lines of host-add's output, as the user would paste them."""
    return dict(line.split("=", 1) for line in stdout.splitlines()
                if re.match(r"^XCELSIOR_[A-Z_]+=\S+$", line))


def start_agent(env_from_cli, tmp):
    """xcelsior-agent --simulate with exactly the variables the CLI printed, plus where to keep its
    files; nothing else from XCELSIOR_* (no engine: it still registers and reports versions)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(env_from_cli)
    env.update({"XCELSIOR_WORK_DIR": os.path.join(tmp, "work"),
                "XCELSIOR_DOCKER_HOST": f"unix://{tmp}/no-engine.sock",
                "XCELSIOR_HEARTBEAT_INTERVAL": "1", "XCELSIOR_ADMISSION_RETRY_MAX": "2"})
    log = open(os.path.join(tmp, "agent.log"), "wb")
    return subprocess.Popen([str(AGENT), "--simulate"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return None


def host(url, host_id):
    st, body = api(url, "GET", "/hosts?active_only=false", token=ADMIN)
    assert st == 200, body
    return next((h for h in body["hosts"] if h["host_id"] == host_id), None)


def test_agent_authenticates_with_the_lines_host_add_prints(cli, prod):
    if not AGENT.exists():
        pytest.fail(f"xcelsior-agent not built at {AGENT}")
    u = prod.url
    p = cli("--token", ADMIN, "host-add", "--id", "rig-new", "--ip", "127.0.0.5", "--gpu", "RTX 4090",
            "--vram", "24", url=u)
    assert p.returncode == 0, p.stderr
    assert "XCELSIOR_AGENT_TOKEN" not in p.stdout
    lines = env_lines(p.stdout)
    assert set(lines) == {"XCELSIOR_HOST_ID", "XCELSIOR_SCHEDULER_URL", "XCELSIOR_API_TOKEN"}, p.stdout
    assert lines["XCELSIOR_HOST_ID"] == "rig-new" and lines["XCELSIOR_SCHEDULER_URL"] == u
    assert re.fullmatch(r"xh-[A-Za-z0-9_-]{43}", lines["XCELSIOR_API_TOKEN"]), p.stdout

    with tempfile.TemporaryDirectory(prefix="xc-newcomer-") as tmp:
        a = start_agent(lines, tmp)
        try:
            # Only an authenticated agent can change the host record and report its versions on a
            # production control plane: the simulated GPU and the agent's versions show up.
            h = wait_for(lambda: (lambda h: h if h and h["gpu_model"] == "Simulated GPU"
                                  and h["versions"].get("simulated") == "true" else None)(host(u, "rig-new")))
            log = open(os.path.join(tmp, "agent.log")).read()
            assert h, f"the agent never authenticated:\n{log[-3000:]}\n{prod.logs()}"
            assert "token from XCELSIOR_API_TOKEN" in log, log
            assert "401" not in log and "Unauthorized" not in log, log
        finally:
            stop(a)


def test_agent_token_alias_is_logged(cli, prod):
    p = cli("--token", ADMIN, "host-add", "--id", "rig-alias", "--ip", "127.0.0.6", "--gpu", "RTX 4090",
            "--vram", "24", url=prod.url)
    assert p.returncode == 0, p.stderr
    lines = env_lines(p.stdout)
    lines["XCELSIOR_AGENT_TOKEN"] = lines.pop("XCELSIOR_API_TOKEN")
    with tempfile.TemporaryDirectory(prefix="xc-newcomer-") as tmp:
        a = start_agent(lines, tmp)
        try:
            ok = wait_for(lambda: (host(prod.url, "rig-alias") or {}).get("gpu_model") == "Simulated GPU")
            log = open(os.path.join(tmp, "agent.log")).read()
            assert ok, log
            assert "token from XCELSIOR_AGENT_TOKEN (an alias); name it XCELSIOR_API_TOKEN" in log, log
        finally:
            stop(a)


def test_hosts_says_what_it_does_not_show(cli, fresh_server):
    u = fresh_server.url
    assert cli("host-add", "--id", "p1", "--ip", "127.0.0.7", "--gpu", "RTX 4090", "--vram", "24",
               url=u).returncode == 0
    p = cli("hosts", url=u)
    assert p.returncode == 0
    assert p.stdout == "No hosts.\n"
    assert p.stderr == "1 pending host not shown; use --all\n"
    p = cli("hosts", "--all", url=u)
    assert p.stdout.startswith("[pending] p1 ") and p.stderr == ""

    add_active_host(u, "a1")
    cli("host-add", "--id", "p2", "--ip", "127.0.0.8", "--gpu", "RTX 4090", "--vram", "24", url=u)
    p = cli("hosts", url=u)
    assert p.stdout.startswith("[active] a1 ") and len(p.stdout.splitlines()) == 1
    assert p.stderr == "2 pending hosts not shown; use --all\n"
    # --json stays the server's answer for the filter asked for, with no note.
    p = cli("--json", "hosts", url=u)
    assert '"a1"' in p.stdout and '"p1"' not in p.stdout and p.stderr == ""


def test_help_is_grouped_by_user(cli):
    out = cli("--help").stdout
    heads = re.findall(r"^(Provider|Submitter|Operator|General)\b[^\n]*:$", out, re.M)
    assert heads == ["Provider", "Submitter", "Operator", "General"], out
    sections = re.split(r"^(?:Provider|Submitter|Operator|General)\b.*:$", out, flags=re.M)
    verbs = [set(re.findall(r"^  ([a-z-]+)\s", s, re.M)) for s in sections[1:5]]
    assert {"host-add", "hosts"} <= verbs[0]
    assert {"run", "logs", "bill"} <= verbs[1]
    assert {"process", "failover", "events"} <= verbs[2]
    assert {"version", "help"} <= verbs[3]


def test_run_carries_the_command_after_double_dash(cli, fresh_server):
    u = fresh_server.url
    p = cli("run", "hello", "1", "--no-assign", "--", "/bin/sh", "-c", "echo hi; exit 0", url=u)
    assert p.returncode == 0, p.stderr
    jid = re.match(r"Job submitted: ([0-9a-f]{32})", p.stdout).group(1)
    st, body = api(u, "GET", f"/job/{jid}")
    assert body["job"]["command"] == ["/bin/sh", "-c", "echo hi; exit 0"]
    p = cli("run", "hello", "1", "extra", url=u)
    assert p.returncode == 2 and "after --" in p.stderr


def test_one_token_variable_in_the_docs():
    """README, the deploy files and the agent's help name the variable the agent reads."""
    texts = {}
    for rel in ("README.md", "deploy/xcelsior-agent.service", "deploy/.env.example",
                "deploy/agent.env.example"):
        path = os.path.join(SOURCE_DIR, rel)
        if os.path.exists(path):
            texts[rel] = open(path, encoding="utf-8").read()
    assert "XCELSIOR_AGENT_TOKEN" not in "".join(texts.values())
    assert "XCELSIOR_API_TOKEN=xh-" in texts["deploy/xcelsior-agent.service"]
    agent_help = subprocess.run([str(AGENT), "--help"], capture_output=True, text=True).stdout
    assert "XCELSIOR_API_TOKEN" in agent_help and "printed by `xcelsior host-add`" in agent_help
