"""Environments and agent tokens (api.md §2; acceptance ENV-01..10, HOST-23): startup refusals with exit
status 78, the production gate (401 + WWW-Authenticate), public routes, the admin token, and agent
tokens bound to one host."""
import os
import socket
import subprocess
import tempfile

import pytest

from conftest import BINARY, GOOD, Api, assert_envelope

ADMIN = "adm-" + "A" * 40
SECRET = "sec-" + "S" * 40
PROD = {"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ADMIN, "XCELSIOR_SECRET_KEY": SECRET}


def _run_startup(env):
    """Start xcelsiord with only `env` (plus PATH) and expect it to refuse: returns (rc, stderr)."""
    tmp = tempfile.mkdtemp(prefix="xcenv-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    e.update(env)
    p = subprocess.run([BINARY, "--host", "127.0.0.1", "--port", str(port), "--db", os.path.join(tmp, "x.db"),
                        "--env-file", os.path.join(tmp, ".env")],
                       env=e, cwd=tmp, capture_output=True, timeout=10)
    return p.returncode, p.stderr.decode(), port


TOKEN_MSG = "xcelsior: XCELSIOR_API_TOKEN must be set (at least 32 characters) when XCELSIOR_ENV=production"
SECRET_MSG = "xcelsior: XCELSIOR_SECRET_KEY must be set (at least 32 characters) when XCELSIOR_ENV=production"


@pytest.mark.parametrize("env,msg", [
    ({"XCELSIOR_ENV": "production"}, TOKEN_MSG),
    ({"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ""}, TOKEN_MSG),
    ({"XCELSIOR_ENV": "prod", "XCELSIOR_API_TOKEN": "short"}, TOKEN_MSG),
    ({"XCELSIOR_ENV": "PRODUCTION", "XCELSIOR_API_TOKEN": "x" * 31, "XCELSIOR_SECRET_KEY": SECRET}, TOKEN_MSG),
    ({"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ADMIN}, SECRET_MSG),
    ({"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ADMIN, "XCELSIOR_SECRET_KEY": "s" * 31}, SECRET_MSG),
    ({"XCELSIOR_ENV": "staging"}, "xcelsior: invalid XCELSIOR_ENV 'staging' (expected dev, test or production)"),
    ({"XCELSIOR_ENV": "prodution"}, "xcelsior: invalid XCELSIOR_ENV 'prodution' (expected dev, test or production)"),
])
def test_startup_refusals_exit_78(env, msg):
    rc, err, port = _run_startup(env)
    assert rc == 78, (rc, err)
    assert msg in err, err
    with socket.socket() as s:  # it never bound the port
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_production_exact_message_line():
    rc, err, _ = _run_startup({"XCELSIOR_ENV": "production"})
    assert rc == 78
    assert err.strip().splitlines()[-1] == TOKEN_MSG, err


@pytest.fixture(scope="module")
def prod():
    from conftest import start
    s = start(env=PROD)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(prod):
    return Api(prod, token=ADMIN)


@pytest.fixture(scope="module")
def anon(prod):
    return Api(prod)


def test_production_gate_401(anon):
    for method, path in [("GET", "/hosts"), ("GET", "/jobs"), ("PUT", "/host"), ("POST", "/job"),
                         ("POST", "/queue/process"), ("GET", "/canada"), ("GET", "/agent/work/h1"),
                         ("POST", "/agent/versions"), ("GET", "/api/audit/verify-chain"), ("POST", "/failover"),
                         ("GET", "/autoscale/pool"), ("GET", "/hosts/ca")]:
        r = anon.req(method, path, {} if method != "GET" else None)
        err = assert_envelope(r, 401, "unauthorized")
        assert err["message"] == "Unauthorized", err
        assert r.headers.get("WWW-Authenticate") == "Bearer", (path, r.headers)


def test_production_invalid_and_query_tokens_401(prod, anon):
    assert_envelope(Api(prod, token="nope").get("/hosts"), 401, "unauthorized")
    assert_envelope(Api(prod, token="xh-" + "a" * 43).get("/hosts"), 401, "unauthorized")
    assert_envelope(anon.get("/hosts?token=" + ADMIN), 401, "unauthorized")
    r = anon.get("/hosts", headers={"Authorization": "Basic " + ADMIN})
    assert_envelope(r, 401, "unauthorized")
    r = anon.get("/hosts", headers={"Authorization": "Bearer  " + ADMIN})  # two spaces
    assert_envelope(r, 401, "unauthorized")


def test_production_admin_token(prod, admin, anon):
    assert admin.get("/hosts").status_code == 200
    assert anon.get("/hosts", headers={"Authorization": "bearer " + ADMIN}).status_code == 200
    assert anon.get("/hosts", headers={"Authorization": "BEARER " + ADMIN}).status_code == 200


def test_production_public_routes(anon):
    for path in ("/", "/healthz", "/readyz", "/metrics", "/metrics?format=json"):
        r = anon.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
    assert anon.get("/healthz").json()["env"] == "production"
    # an invalid credential on a public route is ignored
    assert Api(anon.server, token="garbage").get("/healthz").status_code == 200
    r = anon.s.get(anon.url + "/api/stream", stream=True, timeout=5)
    try:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
    finally:
        r.close()


def test_production_unknown_path_404(anon):
    assert_envelope(anon.get("/no/such/path"), 404, "not_found")


def test_production_test_routes_absent(admin):
    assert_envelope(admin.post("/api/test/clock", {"advance_sec": 1}), 404, "not_found")
    assert_envelope(admin.post("/api/test/sweep"), 404, "not_found")


def test_agent_token_issued_once_and_bound(prod, admin):
    b = admin.reg("ag-1")
    tok = b["agent_token"]
    assert tok.startswith("xh-") and len(tok) == 46
    assert admin.reg("ag-1")["agent_token"] is None
    admin.reg("ag-2")
    agent = Api(prod, token=tok)
    # own host: heartbeat, versions, work, preempt poll
    r = agent.put("/host", {"host_id": "ag-1", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                            "free_vram_gb": 20})
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["agent_token"] is None
    assert agent.post("/agent/versions", {"host_id": "ag-1", "versions": GOOD}).status_code == 200
    assert agent.get("/agent/work/ag-1").status_code == 204
    assert agent.get("/agent/preempt/ag-1").status_code == 200
    # another host
    for method, path, body in [
        ("GET", "/agent/work/ag-2", None), ("GET", "/agent/preempt/ag-2", None),
        ("POST", "/agent/versions", {"host_id": "ag-2", "versions": GOOD}),
        ("PUT", "/host", {"host_id": "ag-2", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                          "free_vram_gb": 24}),
        ("PUT", "/host", {"host_id": "ag-new", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                          "free_vram_gb": 24}),
        ("DELETE", "/host/ag-2", None),
        ("POST", "/agent/lease/claim", {"host_id": "ag-2", "job_id": "0" * 32}),
        ("POST", "/agent/lease/renew", {"host_id": "ag-2", "job_id": "0" * 32}),
        ("POST", "/agent/logs", {"host_id": "ag-2", "job_id": "0" * 32, "lines": [{"line": "x"}]}),
    ]:
        r = agent.req(method, path, body)
        assert_envelope(r, 403, "forbidden", "Agent token is bound to host ag-1")
    assert admin.host("ag-2")["free_vram_gb"] == 24.0
    assert admin.host("ag-new") is None


def test_agent_restrictions(prod, admin):
    tok = admin.reg("ag-3")["agent_token"]
    admin.admit("ag-3")
    admin.reg("ag-4")
    agent = Api(prod, token=tok)
    assert_envelope(agent.post("/job", {"name": "x", "vram_needed_gb": 1}), 403, "forbidden",
                    "Agents cannot submit jobs")
    r = agent.get("/hosts?active_only=false")
    assert r.status_code == 200
    assert [h["host_id"] for h in r.json()["hosts"]] == ["ag-3"]
    for method, path in [("POST", "/queue/process"), ("POST", "/failover"), ("PUT", "/canada"),
                         ("GET", "/autoscale/pool"), ("GET", "/api/audit/verify-chain"), ("POST", "/hosts/check")]:
        r = agent.req(method, path, {"enabled": True} if path == "/canada" else None)
        assert_envelope(r, 403, "forbidden")


def test_agent_full_flow_with_token(prod, admin):
    tok = admin.reg("ag-5", total_vram_gb=80, free_vram_gb=80)["agent_token"]
    agent = Api(prod, token=tok)
    agent.admit("ag-5")
    j = admin.submit("prod-job", 70)
    admin.process()  # in production the queue loop runs too, and may have placed it first
    assert admin.job(j["job_id"])["host_id"] == "ag-5"
    r = agent.get("/agent/work/ag-5")
    assert r.status_code == 200 and [x["job_id"] for x in r.json()["jobs"]] == [j["job_id"]]
    assert agent.claim(j["job_id"], "ag-5").status_code == 200
    assert agent.status(j["job_id"], "running", "ag-5").status_code == 200
    assert agent.post("/agent/logs", {"host_id": "ag-5", "job_id": j["job_id"],
                                      "lines": [{"line": "hi"}]}).status_code == 200
    assert agent.status(j["job_id"], "completed", "ag-5", exit_code=0).status_code == 200
    assert admin.job(j["job_id"])["status"] == "completed"
    assert admin.get(f"/jobs/{j['job_id']}/logs").json()["total"] == 1


def test_delete_revokes_agent_token(prod, admin):
    tok = admin.reg("ag-6")["agent_token"]
    agent = Api(prod, token=tok)
    assert agent.get("/agent/work/ag-6").status_code == 204
    assert admin.delete("/host/ag-6").status_code == 200
    assert_envelope(agent.get("/agent/work/ag-6"), 401, "unauthorized")
    # re-registration issues a new token; the old one stays dead
    tok2 = admin.reg("ag-6")["agent_token"]
    assert tok2 and tok2 != tok
    assert_envelope(agent.get("/agent/work/ag-6"), 401, "unauthorized")
    assert Api(prod, token=tok2).get("/agent/work/ag-6").status_code == 204


def test_agent_token_in_test_env_is_bound_too(srv, api):
    tok = api.reg("h1")["agent_token"]
    api.reg("h2")
    agent = Api(srv, token=tok)
    assert_envelope(agent.get("/agent/work/h2"), 403, "forbidden", "Agent token is bound to host h1")
    assert agent.get("/agent/work/h1").status_code == 204
