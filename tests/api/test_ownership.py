"""Tenancy (issue 10; api §2.2–§2.3, §7): each user sees and changes only what is theirs.

Submitter A's job is invisible to submitter B (404 on read, cancel, requeue, logs); A's jobs are
billed to A's customer whatever `owner` the body names; a provider's host can be changed only by
that provider (and admin); lists are filtered per user; API keys act as their user; a disabled
user's credentials stop working; the rate limit also counts per identity."""
import itertools

import pytest

from conftest import Api, assert_envelope, start
from xcserver import Server

ADMIN = "adm-" + "O" * 40
PROD = {"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": ADMIN, "XCELSIOR_SECRET_KEY": "sec-" + "Q" * 40}
_n = itertools.count()


def register(server, role="submitter"):
    email = "own-%d@example.com" % next(_n)
    r = Api(server).post("/api/auth/register", {"email": email, "password": "owner-pass-1", "role": role})
    assert r.status_code == 200, r.text
    body = r.json()
    return Api(server, token=body["access_token"]), body["user"]


@pytest.fixture(scope="module", params=["test", "production"])
def server(request):
    s = start(env=PROD if request.param == "production" else {"XCELSIOR_API_TOKEN": ADMIN})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def op(server):
    return Api(server, token=ADMIN)


def test_jobs_are_private_to_their_owner(server, op):
    a, ua = register(server)
    b, ub = register(server)
    job = a.submit("mine", vram=1, owner="cust-" + "0" * 32)  # a user cannot bill someone else
    assert job["owner"] == ua["customer_id"]
    other = op.submit("operator-job", vram=1)
    jid = job["job_id"]
    # B: nothing of A's exists
    assert_envelope(b.get("/job/" + jid), 404, "not_found", "Job %s not found" % jid)
    assert_envelope(b.patch("/job/" + jid, {"status": "cancelled"}), 404, "not_found")
    assert_envelope(b.patch("/job/%s/status" % jid, {"status": "cancelled"}), 404, "not_found")
    assert_envelope(b.post("/job/%s/requeue" % jid), 404, "not_found")
    assert_envelope(b.get("/jobs/%s/logs" % jid), 404, "not_found")
    assert_envelope(b.get("/api/audit/job/" + jid), 404, "not_found")
    assert b.get("/jobs").json()["jobs"] == [] and b.get("/jobs").json()["total"] == 0
    assert b.get("/jobs?owner=" + ua["customer_id"]).json()["jobs"] == []
    # A sees exactly their own, not the operator's
    mine = a.get("/jobs").json()
    assert [j["job_id"] for j in mine["jobs"]] == [jid] and mine["total"] == 1
    assert_envelope(a.get("/job/" + other["job_id"]), 404, "not_found")
    assert a.get("/job/" + jid).status_code == 200
    # the operator sees both, and A may cancel their own
    ids = {j["job_id"] for j in op.get("/jobs").json()["jobs"]}
    assert {jid, other["job_id"]} <= ids
    assert_envelope(a.patch("/job/" + other["job_id"], {"status": "cancelled"}), 404, "not_found")
    r = a.patch("/job/" + jid, {"status": "cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


def test_user_cannot_drive_a_job_like_an_agent(server, op):
    a, _ = register(server)
    job = a.submit("self-run", vram=1)
    r = a.patch("/job/" + job["job_id"], {"status": "assigned"})  # the scheduler's move
    assert_envelope(r, 403, "forbidden")


def test_hosts_belong_to_the_registering_provider(server, op):
    pa, ua = register(server, "provider")
    pb, _ = register(server, "provider")
    hid = "own-host-%d" % next(_n)
    reg = pa.reg(hid)
    assert reg["created"] and reg["host"]["owner"] == ua["user_id"] and reg["agent_token"].startswith("xh-")
    agent = Api(server, token=reg["agent_token"])
    agent.admit(hid)
    # B cannot change, delete, list or rotate it
    body = {"host_id": hid, "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24, "free_vram_gb": 1}
    assert_envelope(pb.put("/host", body), 403, "forbidden", "Host %s is owned by another provider" % hid)
    assert_envelope(pb.delete("/host/" + hid), 404, "not_found", "Host %s not found" % hid)
    assert_envelope(pb.post("/host/%s/agent-token" % hid), 404, "not_found")
    assert_envelope(pb.post("/marketplace/list", {"host_id": hid, "price_per_hour": 1}), 404, "not_found")
    assert_envelope(pb.delete("/marketplace/" + hid), 404, "not_found")
    assert_envelope(pb.get("/agent/work/" + hid), 404, "not_found")
    # lists: B sees A's host only in the public pool of active hosts
    assert hid not in [h["host_id"] for h in pb.get("/hosts?active_only=false").json()["hosts"]]
    assert hid in [h["host_id"] for h in pb.get("/hosts?active_only=true").json()["hosts"]]
    assert [h["host_id"] for h in pa.get("/hosts?active_only=false").json()["hosts"]] == [hid]
    # A manages it
    assert pa.put("/host", body).status_code == 200
    r = pa.post("/marketplace/list", {"host_id": hid, "price_per_hour": 1.5})
    assert r.status_code == 200, r.text
    # the operator can change it too, and delete it
    assert op.put("/host", body).status_code == 200
    assert op.delete("/host/" + hid).status_code == 200


def test_provider_sees_jobs_on_own_hosts_but_cannot_change_them(server, op):
    pa, _ = register(server, "provider")
    sa, us = register(server)
    hid = "own-run-%d" % next(_n)
    Api(server, token=pa.reg(hid, total_vram_gb=4096, free_vram_gb=4096)["agent_token"]).admit(hid)
    assert op.post("/api/billing/wallet/%s/deposit" % us["customer_id"], {"amount_cad": 20}).status_code == 200
    job = sa.submit("placed", vram=4000)
    op.process()  # in production the queue loop runs too, and may have placed it first
    placed = op.get("/job/" + job["job_id"]).json()["job"]
    assert placed["status"] == "assigned" and placed["host_id"] == hid, placed
    assert pa.get("/job/" + job["job_id"]).status_code == 200
    assert job["job_id"] in [j["job_id"] for j in pa.get("/jobs").json()["jobs"]]
    assert_envelope(pa.patch("/job/" + job["job_id"], {"status": "cancelled"}), 403, "forbidden")
    r = sa.patch("/job/" + job["job_id"], {"status": "cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


def test_customer_routes_are_the_customers(server, op):
    a, ua = register(server)
    b, _ = register(server)
    cust = ua["customer_id"]
    assert a.get("/api/billing/wallet/" + cust).status_code == 200
    for path in ("/api/billing/wallet/%s", "/api/billing/wallet/%s/history", "/api/billing/usage/%s",
                 "/api/billing/invoices/%s", "/api/billing/export/caf/%s"):
        assert_envelope(b.get(path % cust), 404, "not_found", "Customer %s not found" % cust)
        assert op.get(path % cust).status_code == 200, path
    assert_envelope(b.get("/api/billing/attestation?customer_id=" + cust), 404, "not_found")
    # a deposit is the admin's (or the payment webhook's)
    assert_envelope(a.post("/api/billing/wallet/%s/deposit" % cust, {"amount_cad": 5}), 403, "forbidden")


def test_api_key_acts_as_its_user(server, op):
    a, ua = register(server)
    r = a.post("/api/keys/generate?name=matrix")
    assert r.status_code == 200, r.text
    key = Api(server, token=r.json()["key"])
    job = key.submit("by-key", vram=1)
    assert job["owner"] == ua["customer_id"]
    assert a.get("/job/" + job["job_id"]).status_code == 200
    assert_envelope(key.post("/queue/process"), 403, "forbidden")


def test_disabled_user_is_refused(server, op):
    a, ua = register(server)
    assert a.get("/api/auth/me").status_code == 200
    assert op.patch("/api/admin/users/" + ua["user_id"], {"disabled": True}).status_code == 200
    assert_envelope(a.get("/api/auth/me"), 401, "unauthorized")
    if server.env["XCELSIOR_ENV"] == "production":
        assert_envelope(a.get("/jobs"), 401, "unauthorized")


def test_admin_user_is_admin(server, op):
    a, ua = register(server)
    assert_envelope(a.post("/queue/process"), 403, "forbidden")
    assert op.patch("/api/admin/users/" + ua["user_id"], {"role": "admin"}).status_code == 200
    assert a.post("/queue/process").status_code == 200
    assert a.get("/api/auth/me").status_code == 200  # still a user on U routes


def test_rate_limit_counts_per_identity():
    """Behind a trusted proxy every request comes from a new address, yet one user's requests
    still share one bucket (the per-address limit alone would never trip)."""
    with Server(env={"XCELSIOR_RATE_LIMIT_REQUESTS": "5", "XCELSIOR_RATE_LIMIT_WINDOW_SEC": "60",
                     "XCELSIOR_TRUST_PROXY": "true"}) as s:
        r = Api(s).post("/api/auth/register", {"email": "rl@example.com", "password": "owner-pass-1"},
                        headers={"X-Forwarded-For": "10.0.0.1"})
        assert r.status_code == 200, r.text
        user = Api(s, token=r.json()["access_token"])
        codes = [user.get("/jobs", headers={"X-Forwarded-For": "10.0.1.%d" % i}).status_code for i in range(8)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3, codes
        r = user.get("/jobs", headers={"X-Forwarded-For": "10.0.2.1"})
        assert_envelope(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
        # another identity from yet another address is not affected
        assert Api(s).get("/tiers", headers={"X-Forwarded-For": "10.0.3.1"}).status_code == 200
