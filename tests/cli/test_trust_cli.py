"""`xcelsior verify`, `jurisdiction`, `sla` and `reputation` against the real server (issue 12, the
user-facing side; api.md §8.4, §8.8, §8.9, §8.12). A host is driven to verified by its own measured
report (POST /agent/verify), the operator attests a Canadian, vetted jurisdiction record through the
CLI, a sovereignty job runs there and leaves a residency trace; the reputation commands read the
host's real score."""
import json
import os


from conftest import add_active_host, api

REPORT = {"gpu_model": "RTX 4090", "total_vram_gb": 24, "serial": "GPU-SN-4090-001", "cuda_version": "12.4",
          "driver_version": "550.54", "compute_capability": "8.9", "pcie_bandwidth_gbps": 15.0,
          "gpu_temp_celsius": 65, "packet_loss_pct": 0.1, "jitter_ms": 5, "latency_ms": 12,
          "throughput_mbps": 500, "versions": {"runc": "1.2.4", "nvidia_ctk": "1.17.8",
                                               "nvidia_driver": "550.54", "docker": "27.1.1"}}
VETTED = ["country=CA", "province=ON", "city=Toronto", "data_center_name=TOR1",
          "data_center_class=colocation", "operator_name=Acme GPU Inc.", "operator_incorporated_in=Canada",
          "operator_registered_canada=yes", "foreign_control=no", "sovereignty_vetted=true"]


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout


def refused(p, code=1):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), p.stderr
    return lines[0]


def new_host(url, name):
    host = f"{name}-{os.getpid()}"
    body = add_active_host(url, host)
    return host, body.get("agent_token")


def verify_by_agent(url, host, token, report=REPORT):
    st, body = api(url, "POST", "/agent/verify", {"host_id": host, "report": report}, token=token)
    assert st == 200, body
    return body


def set_args(pairs):
    return [a for kv in pairs for a in ("--set", kv)]


def test_verify_status_checks_and_admin_actions(cli, server):
    u = server.url
    host, tok = new_host(u, "ver")
    assert ok(cli("verify", host, url=u)).startswith(f"Host {host}: unverified (no verification report yet)")

    verify_by_agent(u, host, tok)
    out = ok(cli("verify", host, url=u))
    assert out.startswith(f"Host {host}: verified (score 100.00%)"), out
    assert "fingerprint:   673faa842221ce47" in out
    assert out.count("PASS ") == 7 and "FAIL" not in out
    assert "PASS gpu_identity" in out and "expected RTX 4090 / 24.0GB" in out
    data = json.loads(ok(cli("--json", "verify", host, url=u)))
    assert data["status"] == "verified" and len(data["verification"]["checks"]) == 7

    # A failed measurement shows which check failed and why the host was de-verified.
    host2, tok2 = new_host(u, "ver-bad")
    verify_by_agent(u, host2, tok2, dict(REPORT, pcie_bandwidth_gbps=2.0))
    out = ok(cli("verify", host2, url=u))
    assert f"Host {host2}: deverified (score 85.71%)" in out
    assert "FAIL pcie_bandwidth" in out and "Failed checks: pcie_bandwidth" in out
    assert "cool-down:     until " in out

    # Operator actions.
    assert ok(cli("verify", host, "--reject", "--reason", "bad fan", url=u)).strip() == \
        f"Host {host} deverified: bad fan"
    assert "deverified:    Admin: bad fan" in ok(cli("verify", host, url=u))
    assert ok(cli("verify", host, "--approve", "--notes", "fixed", url=u)).strip() == \
        f"Host {host} verified (approved by admin)"
    out = ok(cli("verify", host, "--request", url=u))
    assert out.startswith(f"Re-verification requested for {host}: state verifying")
    assert "re-verification due" in ok(cli("verify", host, url=u))
    assert json.loads(ok(cli("--json", "verify", host, "--approve", url=u)))["status"] == "verified"

    # Errors: unknown host (server), bad combinations (usage).
    assert "not found" in refused(cli("verify", "no-such-host", url=u)).lower()
    refused(cli("verify", host, "--approve", "--reject", url=u), code=2)
    refused(cli("verify", host, "--notes", "x", url=u), code=2)
    refused(cli("verify", url=u), code=2)


def test_jurisdiction_attested_by_the_operator_and_residency_trace(cli, server):
    u = server.url
    host, tok = new_host(u, "jur")
    out = ok(cli("jurisdiction", host, url=u))
    assert out.startswith(f"Host {host}: trust tier community")
    assert "No attested record yet" in out

    # A signed-in user who is not an admin may read it but not write it (403 from the server).
    st, reg = api(u, "POST", "/api/auth/register", {"email": f"jur-{os.getpid()}@example.com",
                                                    "password": "trust-cli-pass-1", "role": "provider"})
    assert st == 200, reg
    user = reg["access_token"]
    assert ok(cli("--token", user, "jurisdiction", host, url=u)).startswith(f"Host {host}: trust tier")
    refused(cli("--token", user, "jurisdiction", host, "--set", "sovereignty_vetted=yes", url=u))
    # Nor can the host's own agent token.
    if tok:
        refused(cli("--token", tok, "jurisdiction", host, "--set", "sovereignty_vetted=yes", url=u))

    out = ok(cli("jurisdiction", host, *set_args(VETTED), url=u))
    assert out.startswith(f"Host {host}: trust tier community")  # not verified yet
    assert "city                        Toronto" in out
    assert "sovereignty_vetted          yes" in out and "foreign_control             no" in out
    assert "Attested by admin at " in out

    verify_by_agent(u, host, tok)
    assert ok(cli("jurisdiction", host, url=u)).startswith(f"Host {host}: trust tier sovereignty")
    out = ok(cli("jurisdiction", host, "--set=supports_audit_trail=yes", url=u))
    assert out.startswith(f"Host {host}: trust tier regulated")
    data = json.loads(ok(cli("--json", "jurisdiction", host, url=u)))
    assert data["trust_tier"] == "regulated"
    j = data["jurisdiction"]
    assert j["country"] == "CA" and j["operator_registered_canada"] is True and j["supports_audit_trail"] is True

    # Bad input: a usage error before any request, or the server's 422 message.
    refused(cli("jurisdiction", host, "--set", "sovereignty_vetted=maybe", url=u), code=2)
    refused(cli("jurisdiction", host, "--set", "nonsense=1", url=u), code=2)
    refused(cli("jurisdiction", host, "--set", "novalue", url=u), code=2)
    refused(cli("jurisdiction", host, "--set", "data_center_class=garage", url=u))
    refused(cli("jurisdiction", host, "--set", "country=CAN", url=u))
    refused(cli("jurisdiction", "no-such-host", url=u))
    refused(cli("jurisdiction", "trace", url=u), code=2)

    # A sovereignty job runs on the host and leaves a residency trace.
    st, body = api(u, "POST", "/job", {"name": "sov", "vram_needed_gb": 8, "trust_tier": "sovereignty"})
    assert st == 200, body
    jid = body["job"]["job_id"]
    assert api(u, "POST", "/queue/process")[0] == 200
    assert api(u, "GET", "/job/" + jid)[1]["job"]["host_id"] == host
    assert api(u, "PATCH", "/job/" + jid, {"status": "running"})[0] == 200
    assert api(u, "POST", "/api/test/clock", {"advance_sec": 600})[0] == 200
    assert api(u, "PATCH", "/job/" + jid, {"status": "completed"})[0] == 200
    out = ok(cli("jurisdiction", "trace", jid, url=u))
    assert out.startswith(f"Residency trace of job {jid}: Canadian compute")
    assert f"host_id                       {host}" in out
    assert "city                          Toronto" in out and "sovereignty_vetted            yes" in out
    data = json.loads(ok(cli("--json", "jurisdiction", "trace", jid, url=u)))
    assert data["trace"]["is_canadian_compute"] is True and data["trace"]["operator"] == "Acme GPU Inc."
    assert "not found" in refused(cli("jurisdiction", "trace", "0" * 32, url=u)).lower()


def test_sla_host_targets_and_enforce(cli, server):
    u = server.url
    host, _ = new_host(u, "sla")
    out = ok(cli("sla", host, url=u))
    assert out.startswith(f"Host {host}: SLA tier community\n  30-day uptime: 100.0000%")
    assert "no monthly record yet" in out and "Violations (newest first):\n  none" in out

    out = ok(cli("sla", "targets", url=u)).splitlines()
    assert [line.split()[0] for line in out] == ["community", "secure", "sovereign"]
    assert "availability 99.9%" in out[2] and "TTFT 50" in out[2]
    assert json.loads(ok(cli("--json", "sla", "targets", url=u)))["targets"]["secure"]["availability_pct"] == 99.5

    out = ok(cli("sla", "enforce", host, "2026-11", url=u))
    assert out.startswith(f"SLA enforced for {host} (community tier):")
    assert "2026-11: uptime 100.0000% (target 99.0%), 0 s down in 0 incidents, credit 0% ($0.00 CAD)" in out
    out = ok(cli("sla", host, "--month", "2026-11", url=u))
    assert "2026-11: uptime 100.0000% (target 99.0%)" in out
    data = json.loads(ok(cli("--json", "sla", host, "--month", "2026-11", url=u)))
    assert data["monthly_record"]["month"] == "2026-11" and data["violations"] == []
    data = json.loads(ok(cli("--json", "sla", "enforce", host, "2026-11", "--tier", "sovereign", url=u)))
    assert data["tier"] == "sovereign" and data["target_pct"] == 99.9

    refused(cli("sla", host, "--month", "2026-13", url=u), code=2)
    refused(cli("sla", "enforce", host, "11-2026", url=u), code=2)
    refused(cli("sla", "enforce", host, url=u), code=2)
    refused(cli("sla", "enforce", host, "2026-11", "--tier", "gold", url=u))  # server 422
    refused(cli("sla", "enforce", host, "2026-11", "--spend", "-1", url=u), code=2)


def test_reputation_score_history_breakdown_and_leaderboard(cli, server):
    u = server.url
    host, tok = new_host(u, "rep")
    st, body = api(u, "GET", f"/api/reputation/{host}")
    assert st == 200 and body["reputation"]["tier"] == "new_user", body
    verify_by_agent(u, host, tok)
    st, body = api(u, "POST", "/api/reputation/verify", {"entity_id": host, "verification_type": "hardware_audit"})
    assert st == 200, body
    score = api(u, "GET", f"/api/reputation/{host}")[1]["reputation"]

    out = ok(cli("reputation", host, url=u))
    assert out.startswith(f"{host} (host): {score['final_score']:.1f} points, tier {score['tier']}"), out
    assert "hardware_audit" in out and "reliability:" in out and "search boost" in out
    out = ok(cli("reputation", host, "--history", "--breakdown", url=u))
    assert "Breakdown (" in out and "History:" in out and "verification" in out
    data = json.loads(ok(cli("--json", "reputation", host, "--history", "--breakdown", url=u)))
    assert data["reputation"]["entity_id"] == host
    assert isinstance(data["events"], list) and "total_score" in data["breakdown"]

    st, lb = api(u, "GET", "/api/reputation/leaderboard")
    assert st == 200, lb
    out = ok(cli("reputation", "leaderboard", url=u))
    assert any(host in line for line in out.splitlines()), out
    data = json.loads(ok(cli("--json", "reputation", "leaderboard", "--limit", "5", url=u)))
    assert len(data["leaderboard"]) <= 5

    refused(cli("reputation", host, "--type", "team", url=u), code=2)
    refused(cli("reputation", "leaderboard", "--limit", "101", url=u), code=2)


def test_reputation_cli_reports_a_missing_route_plainly(cli, server):
    """Whatever the server, the CLI's usage errors never reach it, and a server refusal is one line."""
    u = server.url
    refused(cli("reputation", url=u), code=2)
    refused(cli("reputation", "h", "--limit", "5", url=u), code=2)
    p = cli("reputation", "nobody-at-all", url=u)
    if p.returncode == 0:
        assert p.stdout.startswith("nobody-at-all (host): 0.0 points")
    else:
        refused(p)
