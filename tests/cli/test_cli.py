"""Black-box tests of the `xcelsior` CLI against a real xcelsiord on loopback (domain §27,
acceptance CLI-01..CLI-09)."""
import json
import os
import re
import select
import subprocess
import time

import pytest

from conftest import CLI, add_active_host, api, free_port

HEX32 = r"[0-9a-f]{32}"
EM = "\u2014"

ALL_VERBS = ["run", "jobs", "job", "cancel", "requeue", "process", "logs", "host-add", "host-rm",
             "hosts", "check", "bill", "bill-all", "revenue", "billing", "spot-prices", "list-rig",
             "unlist-rig", "marketplace", "failover", "autoscale", "canada-only", "events", "login",
             "whoami", "version", "help", "wallet", "topup", "earnings", "payouts", "provider",
             "verify", "reputation", "jurisdiction", "sla"]


def one_error_line(p):
    """The stderr of a refused request: exactly one line `error: <message>`."""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: ") and len(lines[0]) > len("error: "), p.stderr
    return lines[0][len("error: "):]


def ok_or_server_error(p, pattern=None):
    """For routes that belong to later issues: either success in the spec'd format, or the
    server's error as one line with exit 1."""
    if p.returncode == 0:
        if pattern is not None:
            assert re.search(pattern, p.stdout, re.M), p.stdout
        return True
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    one_error_line(p)
    assert p.stdout == ""
    return False


def submit(cli, url, *args):
    p = cli("run", *args, url=url)
    assert p.returncode == 0, p.stderr
    m = re.match(rf"Job submitted: ({HEX32}) \|", p.stdout)
    assert m, p.stdout
    return m.group(1), p


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}"


# ---------------------------------------------------------------- help and usage (no server)

def test_tool_help_lists_every_verb(cli):
    p = cli("--help")
    assert p.returncode == 0 and p.stderr == ""
    for verb in ALL_VERBS:
        assert re.search(rf"^  {re.escape(verb)}\s", p.stdout, re.M), verb
    assert "--url" in p.stdout and "--api-url" in p.stdout and "--token" in p.stdout
    assert "--json" in p.stdout


@pytest.mark.parametrize("verb", ALL_VERBS)
def test_help_for_each_verb(cli, verb):
    a = cli("help", verb)
    b = cli(verb, "--help")
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    assert a.stdout.startswith(f"usage: xcelsior {verb}")
    assert a.stdout == b.stdout


def test_no_command_is_usage_error(cli):
    p = cli()
    assert p.returncode == 2
    assert "usage: xcelsior" in p.stderr and p.stdout == ""


def test_unknown_command_and_help_topic(cli):
    p = cli("frobnicate")
    assert p.returncode == 2
    assert p.stderr.startswith("error: unknown command 'frobnicate'")
    assert cli("help", "frobnicate").returncode == 2


def test_version_flag(cli):
    p = cli("--version")
    assert p.returncode == 0
    assert re.fullmatch(r"xcelsior \d+\.\d+\.\d+\n", p.stdout)


# Usage errors are detected before any request: pointing at a closed port proves it (a request
# would give exit 3 instead of 2).
BAD_ARGS = [
    ["run"],
    ["run", "llama3"],
    ["run", "llama3", "abc"],
    ["run", "llama3", "0"],
    ["run", "llama3", "-4"],
    ["run", "llama3", "16", "--priority", "high"],
    ["run", "llama3", "16", "--gpus", "0"],
    ["run", "llama3", "16", "--tier"],
    ["run", "llama3", "16", "extra"],
    ["jobs", "--bogus"],
    ["jobs", "extra"],
    ["job"],
    ["cancel"],
    ["cancel", "a", "b"],
    ["requeue"],
    ["requeue", "--job", "a", "b"],
    ["logs"],
    ["logs", "x", "--limit", "0"],
    ["host-add"],
    ["host-add", "--id", "h1", "--ip", "127.0.0.1", "--gpu", "RTX 4090"],
    ["host-add", "--id", "h1", "--ip", "127.0.0.1", "--gpu", "RTX 4090", "--vram", "lots"],
    ["host-add", "--id", "h1", "--ip", "127.0.0.1", "--gpu", "RTX 4090", "--vram", "24", "--rate", "x"],
    ["host-rm"],
    ["hosts", "--all=yes"],
    ["check", "now"],
    ["bill"],
    ["bill-all", "x"],
    ["revenue", "--x"],
    ["list-rig", "--host", "h1"],
    ["list-rig", "--rate", "0.75"],
    ["list-rig", "--host", "h1", "--rate", "-1"],
    ["unlist-rig"],
    ["failover", "--host"],
    ["canada-only", "--enable", "--disable"],
    ["canada-only", "yes"],
    ["events", "--count", "none"],
    ["--url"],
    ["--frob", "jobs"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=lambda a: " ".join(a) or "empty")
def test_bad_arguments_exit_2(cli, args):
    dead = f"http://127.0.0.1:{free_port()}"
    p = cli(*args, url=dead)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith("error: ")
    assert p.stdout == ""


def test_invalid_url_is_usage_error(cli):
    p = cli("--url", "ftp://example.org", "jobs")
    assert p.returncode == 2
    assert p.stderr.startswith("error: invalid server URL")


# ---------------------------------------------------------------- unreachable server

UNREACHABLE = [
    ["run", "llama3", "16"],
    ["jobs"],
    ["job", "0" * 32],
    ["cancel", "0" * 32],
    ["requeue", "--job", "0" * 32],
    ["process"],
    ["logs", "0" * 32],
    ["logs", "-f", "0" * 32],
    ["host-add", "--id", "h1", "--ip", "127.0.0.1", "--gpu", "RTX 4090", "--vram", "24"],
    ["host-rm", "h1"],
    ["hosts"],
    ["check"],
    ["bill", "0" * 32],
    ["bill-all"],
    ["revenue"],
    ["billing"],
    ["spot-prices"],
    ["list-rig", "--host", "h1", "--rate", "0.75"],
    ["unlist-rig", "--host", "h1"],
    ["marketplace"],
    ["failover"],
    ["requeue", "0" * 32],
    ["autoscale"],
    ["canada-only"],
    ["canada-only", "--enable"],
    ["events", "-f"],
    ["whoami"],
    ["login"],
]


@pytest.mark.parametrize("args", UNREACHABLE, ids=lambda a: " ".join(a))
def test_unreachable_server_exit_3(cli, args):
    dead = f"http://127.0.0.1:{free_port()}"
    p = cli(*args, url=dead)
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
    msg = one_error_line(p)
    assert dead in msg and "curl" not in msg.lower()
    assert p.stdout == ""


def test_unreachable_via_flag_and_alias(cli):
    dead = f"http://127.0.0.1:{free_port()}"
    for flag in ("--url", "--api-url"):
        p = cli(flag, dead, "hosts", url="http://127.0.0.1:9")
        assert p.returncode == 3 and dead in p.stderr
        p = cli("hosts", f"{flag}={dead}")
        assert p.returncode == 3 and dead in p.stderr


def test_version_without_server(cli):
    dead = f"http://127.0.0.1:{free_port()}"
    p = cli("version", url=dead)
    assert p.returncode == 0
    assert p.stdout.splitlines()[0].startswith("xcelsior ")
    assert "unreachable" in p.stdout


# ---------------------------------------------------------------- against xcelsiord

def test_empty_system(cli, fresh_server):
    u = fresh_server.url
    assert cli("jobs", url=u).stdout == "No jobs.\n"
    assert cli("hosts", url=u).stdout == "No hosts.\n"
    assert cli("hosts", "--all", url=u).stdout == "No hosts.\n"
    p = cli("process", url=u)
    assert p.returncode == 0 and p.stdout == "Nothing to assign.\n"
    p = cli("failover", url=u)
    assert p.returncode == 0 and p.stdout == "No jobs to failover.\n"


def test_version_with_server(cli, server):
    p = cli("version", url=server.url)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0].startswith("xcelsior ")
    assert lines[1].startswith("server ") and server.url in lines[1]


def test_host_add_and_list(cli, fresh_server):
    u = fresh_server.url
    # CLI-04: --free-vram defaults to --vram.
    p = cli("host-add", "--id", "h1", "--ip", "127.0.0.1", "--gpu", "RTX 4090", "--vram", "24",
            "--rate", "0.45", url=u)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == f"Host registered: h1 | 127.0.0.1 | RTX 4090 | {EM} | 24.0GB | $0.45/hr | pending"
    assert any(re.search(r"xh-[A-Za-z0-9_-]{43}", line) for line in lines[1:]), p.stdout
    st, body = api(u, "GET", "/hosts?active_only=false")
    h = body["hosts"][0]
    assert h["free_vram_gb"] == 24.0 and h["total_vram_gb"] == 24.0 and h["cost_per_hour"] == 0.45

    # Updating: same line, no new agent token.
    p = cli("host-add", "--id", "h1", "--ip", "127.0.0.2", "--gpu", "RTX 4090", "--vram", "24",
            "--free-vram", "20", "--country", "CA", "--province", "ON", url=u)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Host registered: h1 | 127.0.0.2 | RTX 4090 | CA ON | 24.0GB | $0.45/hr | pending\n"

    # A pending host is not in the default (active-only) listing.
    assert cli("hosts", url=u).stdout == "No hosts.\n"
    p = cli("hosts", "--all", url=u)
    assert p.stdout == "[pending] h1 | 127.0.0.2 | RTX 4090 | 20.0GB free | $0.45/hr\n"

    add_active_host(u, "h2", vram=80, gpu="A100", rate=1.5)
    p = cli("hosts", url=u)
    assert p.returncode == 0
    assert p.stdout == "[active] h2 | 127.0.0.9 | A100 | 80.0GB free | $1.50/hr\n"

    # Aligned columns with --all: every " | " separator at the same offset.
    p = cli("hosts", "--all", url=u)
    rows = p.stdout.splitlines()
    assert len(rows) == 2
    offs = [[m.start() for m in re.finditer(r" \| ", r)] for r in rows]
    assert offs[0] == offs[1], p.stdout

    p = cli("--json", "hosts", "--all", url=u)
    data = json.loads(p.stdout)
    assert data["ok"] is True and {h["host_id"] for h in data["hosts"]} == {"h1", "h2"}

    p = cli("check", url=u)
    assert p.returncode == 0
    assert set(p.stdout.splitlines()) == {"  h1: alive", "  h2: alive"}
    data = json.loads(cli("check", "--json", url=u).stdout)
    assert data["results"] == {"h1": "alive", "h2": "alive"}


def test_host_add_server_validation_error(cli, server):
    p = cli("host-add", "--id", "bad id!", "--ip", "127.0.0.1", "--gpu", "RTX 4090", "--vram", "24",
            url=server.url)
    assert p.returncode == 1
    one_error_line(p)
    assert p.stdout == ""


def test_host_rm(cli, server):
    u = server.url
    hid = unique("rm")
    add_active_host(u, hid)
    p = cli("host-rm", hid, url=u)
    assert p.returncode == 0
    assert p.stdout.splitlines()[0] == f"Host removed: {hid}"
    p = cli("host-rm", hid, url=u)
    assert p.returncode == 1
    assert one_error_line(p) == f"Host {hid} not found"


def test_run_without_hosts(cli, fresh_server):
    # CLI-01
    u = fresh_server.url
    jid, p = submit(cli, u, "llama3", "16", "--tier", "premium")
    assert p.stdout == (f"Job submitted: {jid} | llama3 | 16.0GB | tier=premium (priority 2)\n"
                        "  No host available. Job queued.\n")
    st, body = api(u, "GET", f"/job/{jid}")
    assert body["job"]["status"] == "queued" and body["job"]["tier"] == "premium"

    # CLI-02
    p = cli("jobs", "--status", "queued", url=u)
    assert p.returncode == 0
    assert p.stdout == f"[queued] {jid} | llama3 | 16.0GB | premium | host: {EM}\n"
    assert cli("jobs", "--status", "running", url=u).stdout == "No jobs.\n"

    # The pending reason is shown with the job detail.
    p = cli("job", jid, url=u)
    assert p.returncode == 0
    job = json.loads(p.stdout)
    assert job["job_id"] == jid and job["name"] == "llama3"
    reason = job.get("pending_reason") or ""
    if reason:
        assert f"pending: {reason}" in p.stderr


def test_run_assigns_to_active_host(cli, fresh_server):
    u = fresh_server.url
    add_active_host(u, "h1", vram=24)
    jid, p = submit(cli, u, "llama3", "16", "--tier", "standard")
    assert p.stdout == (f"Job submitted: {jid} | llama3 | 16.0GB | tier=standard (priority 1)\n"
                        "  Assigned: llama3 -> h1\n")
    p = cli("jobs", url=u)
    assert p.stdout == f"[assigned] {jid} | llama3 | 16.0GB | standard | host: h1\n"

    # --no-assign leaves it queued; `process` then assigns it.
    jid2, p = submit(cli, u, "mistral-7b", "8", "--no-assign")
    assert p.stdout.count("\n") == 1
    p = cli("process", url=u)
    assert p.returncode == 0
    assert p.stdout == f"  mistral-7b ({jid2}) -> h1\n"
    assert cli("process", url=u).stdout == "Nothing to assign.\n"

    # Aligned table: both rows have their separators at the same columns.
    rows = cli("jobs", url=u).stdout.splitlines()
    assert len(rows) == 2
    offs = [[m.start() for m in re.finditer(r" \| ", r)] for r in rows]
    assert offs[0] == offs[1]


def test_run_json_and_options(cli, server):
    u = server.url
    p = cli("--json", "run", "opt-job", "2.5", "--gpus", "2", "--trust-tier", "community",
            "--image", "nvcr.io/nvidia/pytorch:24.01-py3", "--no-assign", url=u)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    job = data["job"]
    assert data["ok"] is True and job["num_gpus"] == 2 and job["vram_needed_gb"] == 2.5
    assert job["image"] == "nvcr.io/nvidia/pytorch:24.01-py3"
    # Legacy numeric priority without a tier.
    p = cli("run", "prio-job", "1", "--priority", "2", "--no-assign", url=u)
    assert p.returncode == 0, p.stderr
    assert re.match(rf"Job submitted: {HEX32} \| prio-job \| 1.0GB \| tier=\w+ \(priority \d\)$", p.stdout)


def test_run_rejected_by_server(cli, server):
    p = cli("run", "llama3", "16", "--tier", "platinum", url=server.url)
    assert p.returncode == 1
    one_error_line(p)
    assert p.stdout == ""
    p = cli("run", "-bad name", "16", url=server.url)  # name must start alphanumeric
    assert p.returncode in (1, 2)


def test_jobs_json_and_bad_status(cli, server):
    u = server.url
    jid, _ = submit(cli, u, "json-job", "1", "--no-assign")
    for args in (["--json", "jobs"], ["jobs", "--json"]):
        p = cli(*args, url=u)
        data = json.loads(p.stdout)
        assert data["ok"] is True and jid in {j["job_id"] for j in data["jobs"]}
    p = cli("jobs", "--status", "sleeping", url=u)
    assert p.returncode == 1
    one_error_line(p)


def test_job_not_found(cli, server):
    p = cli("job", "f" * 32, url=server.url)
    assert p.returncode == 1
    assert one_error_line(p) == f"Job {'f' * 32} not found"
    assert p.stdout == ""


def test_cancel(cli, server):
    # CLI-03
    u = server.url
    jid, _ = submit(cli, u, "to-cancel", "1", "--no-assign")
    p = cli("cancel", jid, url=u)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"Job {jid} cancelled.\n"
    st, body = api(u, "GET", f"/job/{jid}")
    assert body["job"]["status"] == "cancelled"
    p = cli("cancel", "e" * 32, url=u)
    assert p.returncode == 1
    assert one_error_line(p) == f"Job {'e' * 32} not found"


def test_requeue(cli, fresh_server):
    u = fresh_server.url
    jid, _ = submit(cli, u, "rq", "1", "--no-assign")
    p = cli("requeue", "--job", jid, url=u)
    assert p.returncode == 1
    assert one_error_line(p) == f"Job {jid} is 'queued'; cannot requeue"

    add_active_host(u, "h1")
    assert cli("process", url=u).stdout == f"  rq ({jid}) -> h1\n"
    st, body = api(u, "GET", f"/job/{jid}")
    assert body["job"]["status"] == "assigned", body
    p = cli("requeue", "--job", jid, url=u)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"Job {jid} requeued (retry 1)\n"
    # The positional form works too (the job is queued again now, so the server refuses).
    p = cli("requeue", jid, url=u)
    assert p.returncode == 1
    one_error_line(p)


def test_failover(cli, fresh_server):
    u = fresh_server.url
    p = cli("failover", "--host", "nope", url=u)
    assert p.returncode == 1
    one_error_line(p)
    add_active_host(u, "h1")
    jid, p = submit(cli, u, "fo", "4")
    assert "Assigned: fo -> h1" in p.stdout
    p = cli("failover", "--host", "h1", url=u)
    assert p.returncode == 0, p.stderr
    assert "h1" in p.stdout
    p = cli("--json", "failover", url=u)
    data = json.loads(p.stdout)
    assert data["ok"] is True and isinstance(data["requeued"], list)


def test_autoscale(cli, fresh_server):
    p = cli("autoscale", url=fresh_server.url)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "No scaling actions.\n"
    data = json.loads(cli("autoscale", "--json", url=fresh_server.url).stdout)
    assert data["provisioned"] == [] and data["deprovisioned"] == []


def test_canada_only(cli, fresh_server):
    # CLI-05
    u = fresh_server.url
    assert cli("canada-only", url=u).stdout == "Canada-only mode: OFF\n"
    p = cli("canada-only", "--enable", url=u)
    assert p.returncode == 0 and p.stdout == "Canada-only mode: ON\n"
    assert api(u, "GET", "/canada")[1]["canada_only"] is True
    assert cli("canada-only", url=u).stdout == "Canada-only mode: ON\n"
    p = cli("canada-only", "--disable", "--json", url=u)
    assert json.loads(p.stdout) == {"ok": True, "canada_only": False}


def test_logs(cli, fresh_server):
    u = fresh_server.url
    p = cli("logs", "a" * 32, url=u)
    assert p.returncode == 1
    assert one_error_line(p) == f"Job {'a' * 32} not found"
    p = cli("logs", "-f", "a" * 32, url=u)
    assert p.returncode == 1
    one_error_line(p)

    jid, _ = submit(cli, u, "logger", "1", "--no-assign")
    p = cli("logs", jid, url=u)
    assert p.returncode == 0 and p.stdout == "No logs.\n"
    data = json.loads(cli("--json", "logs", jid, url=u).stdout)
    assert data["logs"] == []
    p = cli("logs", "-f", "--timeout", "1", jid, url=u)
    assert p.returncode == 0, p.stderr


def test_logs_with_agent_lines(cli, fresh_server):
    """Full path: an agent claims the job and pushes lines; `logs` and `logs -f` show them."""
    u = fresh_server.url
    reg = add_active_host(u, "h1")
    tok = reg.get("agent_token")
    jid, p = submit(cli, u, "talker", "4")
    assert "Assigned: talker -> h1" in p.stdout
    st, body = api(u, "POST", "/agent/lease/claim", {"host_id": "h1", "job_id": jid}, token=tok)
    if st == 404 and not (body or {}).get("error", {}).get("message", "").startswith("Job"):
        pytest.skip("agent routes not available yet")
    assert st == 200, body
    st, body = api(u, "POST", "/agent/logs", {"host_id": "h1", "job_id": jid, "lines": [
        {"timestamp": 1767225600.5, "line": "loading weights", "level": "info"},
        {"timestamp": 1767225601.25, "line": "low memory", "level": "warn"},
    ]}, token=tok)
    assert st == 200, body
    p = cli("logs", jid, url=u)
    assert p.returncode == 0
    assert p.stdout.splitlines() == ["2026-01-01T00:00:00.500Z info  loading weights",
                                     "2026-01-01T00:00:01.250Z warn  low memory"]
    p = cli("logs", "-f", "--timeout", "2", jid, url=u)
    assert p.returncode == 0
    assert p.stdout.splitlines()[:2] == ["2026-01-01T00:00:00.500Z info  loading weights",
                                         "2026-01-01T00:00:01.250Z warn  low memory"]


def _read_line(stream, timeout):
    r, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if r else ""


def test_events_follow(cli, server, empty_home):
    u = server.url
    env = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_")}
    env.update({"XCELSIOR_API_URL": u, "HOME": str(empty_home)})
    proc = subprocess.Popen([str(CLI), "--json", "events", "-f", "--count", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _read_line(proc.stderr, 10)
        assert line.startswith("Listening for events"), line
        jid, _ = submit(cli, u, "evented", "1", "--no-assign")
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    ev = json.loads(out.splitlines()[0])
    assert ev["event"] == "job_submitted" and ev["data"]["job_id"] == jid

    p = cli("events", "--timeout", "1", url=u)
    assert p.returncode == 0


# ---------------------------------------------------------------- billing and marketplace
# Their server routes arrive in a later issue: accept either the spec'd output or a one-line
# server error with exit 1.

def test_billing_verbs(cli, server):
    u = server.url
    jid, _ = submit(cli, u, "billable", "1", "--no-assign")
    ok_or_server_error(cli("bill", jid, url=u), r"^  Billed: billable \| [\d.]+s \| \$[\d.]+$")
    ok_or_server_error(cli("bill-all", url=u), r"^(Nothing to bill\.|  Billed: .*)$")
    if ok_or_server_error(cli("revenue", url=u)):  # CLI-07
        out = cli("revenue", url=u).stdout.splitlines()
        assert re.fullmatch(r"Total jobs billed: \d+", out[0])
        assert re.fullmatch(r"Total revenue:     \$\d+\.\d{2}(\d{4})?", out[1])
        assert re.fullmatch(r"Platform revenue:  \$\d+\.\d{2}(\d{4})?", out[2])
    ok_or_server_error(cli("billing", url=u), r"^Total: \$\d+\.\d+$")
    ok_or_server_error(cli("spot-prices", url=u), r"^(No spot prices\.|.+: \$[\d.]+/hr)$")
    p = cli("--json", "billing", url=u)
    if p.returncode == 0:
        assert json.loads(p.stdout)["ok"] is True


def test_marketplace_verbs(cli, server):
    # CLI-06
    u = server.url
    hid = unique("mk")
    add_active_host(u, hid, gpu="RTX 4090", vram=24)
    listed = ok_or_server_error(
        cli("list-rig", "--host", hid, "--rate", "0.75", "--description", "RTX 4090", url=u),
        rf"^Listed: {re.escape(hid)} \| RTX 4090 \| 24.0GB \| \$0.75/hr$")
    p = cli("marketplace", url=u)
    if ok_or_server_error(p) and listed:
        assert re.search(rf"^{re.escape(hid)}\s*\| RTX 4090\s*\| 24.0GB\s*\| \$0.75/hr\s*\| RTX 4090",
                         p.stdout, re.M), p.stdout
    ok_or_server_error(cli("unlist-rig", "--host", hid, url=u), rf"^Unlisted: {re.escape(hid)}$")
    ok_or_server_error(cli("marketplace", "--all", url=u))


def test_whoami_needs_user(cli, server):
    p = cli("whoami", url=server.url)
    assert p.returncode == 1  # anonymous is not a user principal (401 Not authenticated)
    one_error_line(p)


# ---------------------------------------------------------------- auth and token sources

TOKEN = "t" * 40


@pytest.fixture(scope="module")
def prod_server():
    from conftest import start_server
    s = start_server(env={"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": TOKEN,
                          "XCELSIOR_SECRET_KEY": "s" * 40})
    yield s
    s.stop()


def test_token_sources(cli, prod_server, home):
    u = prod_server.url
    p = cli("jobs", url=u, home=home)
    assert p.returncode == 1
    assert one_error_line(p) == "Unauthorized"
    p = cli("--token", "wrong", "jobs", url=u, home=home)
    assert p.returncode == 1
    assert cli("--token", TOKEN, "jobs", url=u, home=home).stdout == "No jobs.\n"
    assert cli("jobs", "--token", TOKEN, url=u, home=home).returncode == 0
    assert cli("jobs", url=u, home=home, env={"XCELSIOR_API_TOKEN": TOKEN}).returncode == 0
    (home / ".xcelsior").mkdir()
    (home / ".xcelsior" / "token").write_text(TOKEN + "\n")
    assert cli("jobs", url=u, home=home).returncode == 0
    # An explicit --token wins over the file.
    assert cli("--token", "wrong", "jobs", url=u, home=home).returncode == 1


# ---------------------------------------------------------------- completion script and man page

SOURCE_DIR = os.environ.get("XC_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _complete(*words):
    script = os.path.join(SOURCE_DIR, "scripts", "xcelsior-completion.bash")
    ws = " ".join(f"'{w}'" for w in words)
    prog = (f"source '{script}'; COMP_WORDS=({ws}); COMP_CWORD={len(words) - 1}; "
            "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _xcelsior; "
            "printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return set(p.stdout.split())


def test_bash_completion():
    assert _complete("xcelsior", "") >= set(ALL_VERBS)
    assert _complete("xcelsior", "ho") == {"host-add", "host-rm", "hosts"}
    assert _complete("xcelsior", "run", "llama3", "16", "--t") == {"--tier", "--trust-tier", "--token"}
    assert _complete("xcelsior", "run", "x", "1", "--tier", "") == {"free", "standard", "premium", "urgent"}
    assert "--status" in _complete("xcelsior", "jobs", "--")
    assert _complete("xcelsior", "jobs", "--status", "ru") == {"running"}
    assert _complete("xcelsior", "--json", "canada-only", "--") >= {"--enable", "--disable"}
    assert _complete("xcelsior", "help", "bil") == {"bill", "bill-all", "billing"}


def test_man_page_covers_every_verb():
    with open(os.path.join(SOURCE_DIR, "docs", "xcelsior.1"), encoding="utf-8") as f:
        text = f.read()
    assert text.startswith(".TH XCELSIOR 1")
    for verb in ALL_VERBS:
        assert re.search(rf"^\.B {re.escape(verb.replace('-', chr(92) + '-'))}\b", text, re.M), verb
    for section in ("EXIT STATUS", "ENVIRONMENT", "FILES"):
        assert f".SH {section}" in text
