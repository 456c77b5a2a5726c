"""`xcelsior provider`, `earnings`, `payouts`, `wallet` and `topup` against the real server
(issue 11 item 6, api.md §8.5 and §8.7). A provider user registers through the CLI, its host runs an
operator job to billing, the operator pays the payout; a customer sees the operator's deposit in
its own wallet and a card top-up fails clearly in stub mode (no Stripe keys)."""
import json
import os
import time

import pytest

from conftest import add_active_host, api

PASSWORD = "wallet-earnings-1"


def register(url, role):
    email = f"{role}-{os.getpid()}-{time.monotonic_ns() % 10**9}@example.com"
    st, body = api(url, "POST", "/api/auth/register", {"email": email, "password": PASSWORD, "role": role})
    assert st == 200, body
    return body["access_token"], body["user"]


def run_job_on(url, host_id, seconds=3600):
    """An operator job placed on host_id, run for `seconds` of test-clock time and completed."""
    st, body = api(url, "POST", "/job", {"name": "earn", "vram_needed_gb": 8})
    assert st == 200, body
    jid = body["job"]["job_id"]
    assert api(url, "POST", "/queue/process")[0] == 200
    assert api(url, "GET", "/job/" + jid)[1]["job"]["host_id"] == host_id
    assert api(url, "PATCH", "/job/" + jid, {"status": "running"})[0] == 200
    assert api(url, "POST", "/api/test/clock", {"advance_sec": seconds})[0] == 200
    assert api(url, "PATCH", "/job/" + jid, {"status": "completed"})[0] == 200
    return jid


def ok(p):
    assert p.returncode == 0, (p.stdout, p.stderr)
    return p.stdout


def refused(p, code=1):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), p.stderr
    return lines[0]


def test_provider_registers_earns_and_is_paid(cli, server):
    u = server.url
    tok, user = register(u, "provider")
    as_user = lambda *a: cli("--token", tok, *a, url=u)  # noqa: E731

    # No provider account yet: earnings says what to do.
    msg = refused(as_user("earnings"))
    assert "xcelsior provider register" in msg

    out = ok(as_user("provider", "register", "--province", "ON"))
    assert "Provider account created: prov-" in out and "onboarding" in out
    pid = api(u, "GET", "/api/auth/me", token=tok)[1]["user"]["provider_id"]
    assert pid and pid in out
    assert pid in ok(as_user("provider"))
    # A second registration is refused with the server's message.
    refused(as_user("provider", "register"))

    # The provider's host earns from a job the operator runs on it.
    host = f"rig-earn-{os.getpid()}"
    st, body = api(u, "PUT", "/host", {
        "host_id": host, "ip": "127.0.0.9", "gpu_model": "A100", "total_vram_gb": 80, "free_vram_gb": 80,
        "cost_per_hour": 1.5, "country": "CA", "province": "ON",
        "versions": {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "550.54", "docker": "27.1.1"}},
        token=tok)
    assert st == 200, body
    if body["host"]["status"] != "active":
        add_active_host(u, host, vram=80, gpu="A100", rate=1.5)
    run_job_on(u, host)

    out = ok(as_user("earnings"))
    assert f"Earnings of {pid}" in out
    assert "jobs:          1" in out
    assert "earned:        $1.20 CAD" in out and "pending:       $1.20 CAD" in out
    assert "settle" in out and "pending" in out

    raw = json.loads(ok(as_user("--json", "earnings")))
    assert raw["provider_id"] == pid and raw["earnings"]["total_jobs"] == 1
    assert raw["recent_payouts"][0]["status"] == "pending"

    # Paying is the operator's (the test server treats an anonymous caller as the operator);
    # the provider itself is refused.
    refused(as_user("payouts", "pay", pid))
    out = ok(cli("payouts", "pay", pid, "--reference", "wire-42", url=u))
    assert f"Paid 1 payout of {pid}: $1.20 CAD (reference wire-42)" in out
    assert "Nothing to pay" in ok(cli("payouts", "pay", pid, url=u))
    paid = json.loads(ok(cli("--json", "payouts", "pay", pid, url=u)))
    assert paid["paid"] == 0

    out = ok(as_user("payouts"))
    assert f"Recent payouts of {pid}" in out and "paid" in out
    raw = json.loads(ok(as_user("--json", "earnings")))
    assert raw["earnings"]["paid_cad"] == 1.2
    # The operator names the provider.
    assert pid in ok(cli("earnings", "--provider", pid, url=u))
    refused(cli("earnings", "--provider", "prov-nope", url=u))

    # --ids pays only the payouts named.
    run_job_on(u, host)
    run_job_on(u, host)
    def pending_settles():  # a sub-cent carry row of the earlier payout may be pending too
        rows = json.loads(ok(as_user("--json", "earnings")))["recent_payouts"]
        return [p for p in rows if p["status"] == "pending" and p["kind"] == "settle"]

    rows = pending_settles()
    assert len(rows) == 2
    out = ok(cli("payouts", "pay", pid, "--ids", rows[0]["payout_id"], url=u))
    assert f"Paid 1 payout of {pid}: $1.20 CAD" in out
    assert [p["payout_id"] for p in pending_settles()] == [rows[1]["payout_id"]]
    refused(cli("payouts", "pay", pid, "--ids", "PAY-nope", url=u))
    refused(cli("payouts", "pay", pid, "--ids", "a,,b", url=u), code=2)
    refused(cli("payouts", "list", "--ids", "x", url=u), code=2)


def test_wallet_shows_own_deposit_and_topup_fails_in_stub_mode(cli, server):
    u = server.url
    tok, user = register(u, "submitter")
    other_tok, other = register(u, "submitter")
    cust = user["customer_id"]
    st, body = api(u, "POST", f"/api/billing/wallet/{cust}/deposit", {"amount_cad": 25.5})
    assert st == 200, body

    out = ok(cli("--token", tok, "wallet", url=u))
    assert f"Wallet {cust} (active)" in out
    assert "balance:     $25.50 CAD" in out and "held:        $0.00 CAD" in out
    assert "deposit" in out and "+$25.50" in out

    raw = json.loads(ok(cli("--token", tok, "--json", "wallet", url=u)))
    assert raw["wallet"]["customer_id"] == cust and raw["wallet"]["balance_cad"] == 25.5
    assert [t["tx_type"] for t in raw["transactions"]] == ["deposit"]

    # Another customer sees its own (empty) wallet, and cannot name the first one.
    out = ok(cli("--token", other_tok, "wallet", url=u))
    assert other["customer_id"] in out and "balance:     $0.00 CAD" in out and "none" in out
    refused(cli("--token", other_tok, "wallet", "--customer", cust, url=u))
    # The operator names the customer.
    assert "$25.50" in ok(cli("wallet", "--customer", cust, url=u))
    # Not signed in and no --customer: a clear message.
    assert "--customer" in refused(cli("wallet", url=u))

    # Stub mode: the server's message, exit status 1, nothing credited.
    msg = refused(cli("--token", tok, "topup", "10", url=u))
    assert "Payments are not configured" in msg
    refused(cli("--token", tok, "--json", "topup", "10", url=u))
    assert json.loads(ok(cli("--token", tok, "--json", "wallet", url=u)))["wallet"]["balance_cad"] == 25.5
    # Bad amounts never reach the server.
    for bad in ("0", "-5", "ten", "10.001"):
        refused(cli("--token", tok, "topup", bad, url=u), code=2)


@pytest.mark.parametrize("verb", ["wallet", "topup", "earnings", "payouts", "provider"])
def test_help(cli, verb):
    p = cli(verb, "--help")
    assert p.returncode == 0 and p.stdout.startswith(f"usage: xcelsior {verb}")
