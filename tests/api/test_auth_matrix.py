"""The auth matrix of api §2.2–§2.3 (issue 10), generated from the route table.

Every route of src/server/http/routes.c × {no credential, invalid credential, submitter A,
submitter B, provider A, provider B, admin user, operator token, agent of host X, agent of host Y}
is called in the `test` and the `production` environment, and the gate's decision is compared with
the one §2.2–§2.3 give for the route's mark:

  * refused: the exact status (401/403/404) and, where the spec fixes it, the message;
  * passed:  anything but a refusal — not 401, not 403, and not the 404 "not found" of the very
             resource the route addresses (the no-existence-leak answer).

The world: provider A registered host X (owner A; agent X holds its token), provider B host Y;
submitter A submitted job JA, which the scheduler placed on X (so provider A sees it but does not
own it); customer routes address submitter A's customer. Routes a `{}` body does not stop at
validation (they would act) get a fresh world each, so one row cannot spoil the next.

The marks are also checked against the spec: SPEC_MARKS below is the Auth column of api.md for
every route; a route added to the table without a row here (or without a mark) fails."""
import itertools
import re
import subprocess

import pytest

from conftest import BASE_ENV, BINARY, Api
from xcserver import Server
from test_openapi import ROUTES

ADMIN = "adm-" + "M" * 40
SECRET = "sec-" + "K" * 40
PROD = dict(BASE_ENV, XCELSIOR_ENV="production", XCELSIOR_API_TOKEN=ADMIN, XCELSIOR_SECRET_KEY=SECRET)
TEST = dict(BASE_ENV, XCELSIOR_ENV="test", XCELSIOR_API_TOKEN=ADMIN)

# api.md's Auth column (§7, §8), first letter; O/H with what they address.
SPEC_MARKS = {
    ("GET", "/"): "P", ("GET", "/healthz"): "P", ("GET", "/readyz"): "P", ("GET", "/metrics"): "P",
    ("GET", "/dashboard"): "P", ("GET", "/api/stream"): "P", ("GET", "/openapi.json"): "P",
    ("GET", "/docs"): "P", ("GET", "/docs/redoc.standalone.js"): "P", ("GET", "/llms.txt"): "P",
    ("GET", "/api/transparency/report"): "P",
    ("PUT", "/host"): "S", ("DELETE", "/host/{host_id}"): "H(HOST)",
    ("POST", "/host/{host_id}/agent-token"): "O(HOST)", ("GET", "/hosts"): "S", ("GET", "/hosts/ca"): "S",
    ("POST", "/hosts/check"): "A", ("POST", "/agent/versions"): "H(HOST)",
    ("POST", "/job"): "S", ("GET", "/jobs"): "S", ("GET", "/job/{job_id}"): "S",
    ("PATCH", "/job/{job_id}"): "S", ("PATCH", "/job/{job_id}/status"): "S",
    ("POST", "/job/{job_id}/requeue"): "O(JOB)", ("GET", "/jobs/{job_id}/logs"): "O(JOB)",
    ("GET", "/jobs/{job_id}/logs/stream"): "O(JOB)", ("GET", "/tiers"): "S",
    ("POST", "/queue/process"): "A", ("POST", "/queue/process/ca"): "A", ("POST", "/failover"): "A",
    ("GET", "/canada"): "S", ("PUT", "/canada"): "A",
    ("POST", "/autoscale/pool"): "A", ("GET", "/autoscale/pool"): "A", ("DELETE", "/autoscale/pool/{host_id}"): "A",
    ("POST", "/autoscale/cycle"): "A", ("POST", "/autoscale/up"): "A", ("POST", "/autoscale/down"): "A",
    ("GET", "/agent/work/{host_id}"): "H(HOST)", ("POST", "/agent/lease/claim"): "H(HOST)",
    ("POST", "/agent/lease/renew"): "H(HOST)", ("POST", "/agent/lease/release"): "H(HOST)",
    ("GET", "/agent/preempt/{host_id}"): "H(HOST)", ("POST", "/agent/preempt/{host_id}/{job_id}"): "A",
    ("POST", "/agent/logs"): "H(HOST)", ("POST", "/agent/telemetry"): "H(HOST)",
    ("GET", "/agent/telemetry/{host_id}"): "S", ("GET", "/api/telemetry/all"): "S",
    ("POST", "/agent/mining-alert"): "H(HOST)",
    ("POST", "/agent/benchmark"): "H(HOST)", ("POST", "/agent/verify"): "H(HOST)",
    ("GET", "/compute-scores"): "S", ("GET", "/compute-score/{host_id}"): "S",
    ("POST", "/api/verify/{host_id}"): "A", ("GET", "/api/verify/{host_id}/status"): "S",
    ("POST", "/api/verify/{host_id}/approve"): "A", ("POST", "/api/verify/{host_id}/reject"): "A",
    ("GET", "/api/verified-hosts"): "S", ("GET", "/api/trust-tiers"): "S",
    ("GET", "/api/jurisdiction/hosts/{host_id}"): "S", ("PUT", "/api/jurisdiction/hosts/{host_id}"): "A",
    ("GET", "/api/jurisdiction/residency-trace/{job_id}"): "O(JOB)",
    ("POST", "/api/jurisdiction/hosts"): "S", ("POST", "/api/queue/process-sovereign"): "A",
    ("GET", "/agent/popular-images"): "S", ("GET", "/agent/speedtest"): "S",
    ("GET", "/api/audit/verify-chain"): "A", ("GET", "/api/audit/job/{job_id}"): "O(JOB)",
    ("POST", "/api/test/clock"): "A", ("POST", "/api/test/sweep"): "A",
    ("POST", "/billing/bill-all"): "A", ("POST", "/billing/bill/{job_id}"): "A", ("GET", "/billing"): "S",
    ("GET", "/billing/revenue"): "A", ("GET", "/api/billing/wallet/{customer_id}"): "O(CUSTOMER)",
    ("POST", "/api/billing/wallet/{customer_id}/deposit"): "A",
    ("POST", "/api/billing/wallet/{customer_id}/topup"): "O(CUSTOMER)",
    ("GET", "/api/billing/wallet/{customer_id}/history"): "O(CUSTOMER)",
    ("GET", "/api/billing/customers/{customer_id}"): "O(CUSTOMER)",
    ("PUT", "/api/billing/customers/{customer_id}"): "O(CUSTOMER)",
    ("GET", "/api/billing/usage/{customer_id}"): "O(CUSTOMER)",
    ("GET", "/api/billing/invoice/{customer_id}"): "O(CUSTOMER)",
    ("GET", "/api/billing/invoices/{customer_id}"): "O(CUSTOMER)",
    ("GET", "/api/billing/invoices/{customer_id}/{invoice_id}"): "O(CUSTOMER)",
    ("POST", "/api/billing/refund"): "A", ("GET", "/api/billing/export/caf/{customer_id}"): "O(CUSTOMER)",
    ("GET", "/api/billing/attestation"): "S", ("POST", "/api/billing/attestation/verify"): "S",
    ("GET", "/api/pricing/reference"): "S", ("POST", "/api/pricing/estimate"): "S",
    # §8.5 compliance, GST, reservations, analytics. The reserve route addresses the customer in its
    # body and the analytics route in its query (api.md: "A; users only with their own
    # customer_id"): both are O(CUSTOMER), checked by the handler after validation.
    ("GET", "/api/billing/gst-threshold"): "A", ("GET", "/api/compliance/tax-rates"): "S",
    ("GET", "/api/compliance/provinces"): "S", ("GET", "/api/compliance/trust-tier-requirements"): "S",
    ("POST", "/api/compliance/quebec-pia-check"): "S", ("GET", "/api/pricing/reserved-plans"): "S",
    ("POST", "/api/pricing/reserve"): "O(CUSTOMER)", ("GET", "/api/analytics/usage"): "O(CUSTOMER)",
    ("POST", "/marketplace/list"): "O(HOST)", ("DELETE", "/marketplace/{host_id}"): "O(HOST)",
    ("GET", "/marketplace"): "S", ("GET", "/marketplace/search"): "S", ("GET", "/marketplace/stats"): "S",
    ("POST", "/marketplace/bill/{job_id}"): "A", ("GET", "/spot-prices"): "S", ("POST", "/spot-prices/update"): "A",
    ("POST", "/spot/job"): "S", ("POST", "/spot/preemption-cycle"): "A",
    # §8.15, §8.16
    ("POST", "/api/auth/register"): "P", ("POST", "/api/auth/login"): "P", ("POST", "/api/auth/logout"): "U",
    ("POST", "/api/auth/refresh"): "U", ("GET", "/api/auth/me"): "U", ("PATCH", "/api/auth/me"): "U",
    ("DELETE", "/api/auth/me"): "U", ("GET", "/api/auth/me/data-export"): "U",
    ("POST", "/api/auth/password-reset"): "P", ("POST", "/api/auth/password-reset/confirm"): "P",
    ("POST", "/api/auth/change-password"): "U", ("POST", "/api/keys/generate"): "U", ("GET", "/api/keys"): "U",
    ("DELETE", "/api/keys/{key_preview}"): "U", ("POST", "/api/auth/device"): "P", ("POST", "/api/auth/token"): "P",
    ("POST", "/api/auth/verify"): "U", ("GET", "/api/auth/verify"): "P", ("POST", "/api/auth/oauth/{provider}"): "P",
    ("GET", "/api/admin/users"): "A", ("PATCH", "/api/admin/users/{user_id}"): "A",
    ("POST", "/api/teams"): "U", ("GET", "/api/teams/me"): "U", ("GET", "/api/teams/{team_id}"): "U",
    ("POST", "/api/teams/{team_id}/members"): "U", ("DELETE", "/api/teams/{team_id}/members/{email}"): "U",
    ("DELETE", "/api/teams/{team_id}"): "U",
    # §8.7 (providers)
    ("POST", "/api/providers/register"): "U", ("GET", "/api/providers/{provider_id}"): "O(PROVIDER)",
    ("GET", "/api/providers"): "A", ("POST", "/api/providers/{provider_id}/incorporation"): "O(PROVIDER)",
    ("POST", "/api/providers/{provider_id}/incorporation/approve"): "A",
    ("GET", "/api/providers/{provider_id}/earnings"): "O(PROVIDER)",
    ("POST", "/api/providers/{provider_id}/payout"): "A", ("POST", "/api/providers/webhook"): "P",
    ("GET", "/api/billing/gst-threshold/{provider_id}"): "O(PROVIDER)",
    # §8.9, §7.3 (reputation)
    ("GET", "/api/reputation/leaderboard"): "S", ("POST", "/api/reputation/verify"): "A",
    ("GET", "/api/reputation/{entity_id}"): "S", ("GET", "/api/reputation/{entity_id}/history"): "S",
    ("GET", "/api/reputation/{entity_id}/breakdown"): "S", ("POST", "/api/reputation/{entity_id}/penalty"): "A",
    # §8.11 (transparency, events, leases). The events route is "A (owners may read job entities
    # they own)": O(JOB) with the job named by {entity_id}, checked by the handler (below, the
    # matrix addresses job JA through it, so it is checked like a job path).
    ("POST", "/api/transparency/legal-request"): "A",
    ("POST", "/api/transparency/legal-request/{request_id}/respond"): "A",
    ("GET", "/api/events/leases/{job_id}"): "O(JOB)", ("GET", "/api/events/{entity_type}/{entity_id}"): "O(JOB)",
    ("GET", "/api/leases"): "A",
    # §8.12 (SLA)
    ("POST", "/api/sla/enforce"): "A", ("GET", "/api/sla/hosts-summary"): "S", ("GET", "/api/sla/targets"): "S",
    ("GET", "/api/sla/downtimes"): "A", ("GET", "/api/sla/violations/{host_id}"): "S",
    ("GET", "/api/sla/{host_id}"): "S",
}
EVENTS_ROUTE = "/api/events/{entity_type}/{entity_id}"

MARK_RE = re.compile(r"^(P|A|S|U|[OH]\((JOB|HOST|CUSTOMER|PROVIDER)\))$")
PRINCIPALS = ["none", "invalid", "sub_a", "sub_b", "prov_a", "prov_b", "admin_user", "operator", "agent_x", "agent_y"]
USERS = {"sub_a", "sub_b", "prov_a", "prov_b", "admin_user"}
ADMINS = {"admin_user", "operator"}
AGENTS = {"agent_x", "agent_y"}


# ---- the table itself ------------------------------------------------------------------------

def test_every_route_has_a_mark_matching_the_spec():
    assert len(ROUTES) >= 75
    for rt in ROUTES:
        key = (rt["method"], rt["path"])
        assert MARK_RE.match(rt["mark"]), f"{key}: mark {rt['mark']!r} is not one of P A S U O(..) H(..)"
        assert key in SPEC_MARKS, f"{key}: no Auth row for this route in SPEC_MARKS (api.md)"
        assert rt["mark"] == SPEC_MARKS[key], f"{key}: table says {rt['mark']}, api.md says {SPEC_MARKS[key]}"


def test_binary_checks_the_table():
    p = subprocess.run([BINARY, "--check-routes"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and "every one marked" in p.stdout, p.stdout + p.stderr


def test_openapi_names_every_mark(mapi):
    doc = mapi.get("/openapi.json").json()
    for rt in ROUTES:
        op = doc["paths"][rt["path"]][rt["method"].lower()]
        assert op["x-permission"] == rt["mark"][0], (rt["path"], op["x-permission"])


# ---- the world -------------------------------------------------------------------------------

_seq = itertools.count()


class World:
    """Users, hosts X/Y with their agents, job JA of submitter A placed on X."""

    def __init__(self, server):
        n = next(_seq)
        self.server = server
        self.op = Api(server, token=ADMIN)
        self.tok = {"none": None, "invalid": "not-a-credential-" + "z" * 20, "operator": ADMIN}
        self.user = {}
        for who, role in [("sub_a", "submitter"), ("sub_b", "submitter"), ("prov_a", "provider"),
                          ("prov_b", "provider"), ("admin_user", "submitter")]:
            r = Api(server).post("/api/auth/register", {"email": f"{who}-{n}@example.com",
                                                       "password": "matrix-pass-1", "role": role})
            assert r.status_code == 200, r.text
            self.tok[who] = r.json()["access_token"]
            self.user[who] = r.json()["user"]
        r = self.op.patch("/api/admin/users/" + self.user["admin_user"]["user_id"], {"role": "admin"})
        assert r.status_code == 200, r.text
        self.host_x, self.host_y = f"mx-{n}-x", f"mx-{n}-y"
        for who, host, agent in [("prov_a", self.host_x, "agent_x"), ("prov_b", self.host_y, "agent_y")]:
            b = self.api(who).reg(host)
            assert b["created"] and b["host"]["owner"] == self.user[who]["user_id"], b
            self.tok[agent] = b["agent_token"]
        self.api("agent_x").admit(self.host_x)
        r = self.op.post("/api/billing/wallet/%s/deposit" % self.user["sub_a"]["customer_id"], {"amount_cad": 50})
        assert r.status_code == 200, r.text  # an owned job is placed only with an escrow hold
        self.job = self.api("sub_a").submit("ja-%d" % n, vram=1)
        assert self.job["owner"] == self.user["sub_a"]["customer_id"]
        self.op.process()  # in production the queue loop runs too, and may have placed it first
        placed = self.op.get("/job/" + self.job["job_id"]).json()["job"]
        assert placed["host_id"] == self.host_x, placed
        self.customer = self.user["sub_a"]["customer_id"]

    def api(self, who):
        return Api(self.server, token=self.tok[who])

    def path(self, pattern):
        subst = {"job_id": self.job["job_id"], "host_id": self.host_x, "customer_id": self.customer,
                 "entity_type": "job", "entity_id": self.job["job_id"]}
        return re.sub(r"\{(\w+)\}", lambda m: subst.get(m.group(1), "nx1"), pattern)


PASS = "pass"


def expected(rt, who, env, world):
    """The gate's answer per api §2.2–§2.3: PASS, or (status, message or None)."""
    mark = rt["mark"]
    letter = mark[0]
    anon = who in ("none", "invalid")
    if letter == "P":
        return PASS
    if env == "production" and anon:
        return (401, "Unauthorized")
    if letter == "U":
        if who in USERS:
            return PASS
        return (401, "Session expired or invalid" if rt["path"] == "/api/auth/refresh" else "Not authenticated")
    if anon or who in ADMINS:
        return PASS  # dev/test: anonymous (or an ignored invalid credential) is the operator
    if letter == "A":
        return (403, None)
    if letter == "S":
        if rt["method"] == "GET" and "{job_id}" in rt["path"]:
            # "S with visibility" (api §7.1): owners, users whose host runs it, its host's agent.
            if who in ("sub_a", "prov_a", "agent_x"):
                return PASS
            return (404, "Job %s not found" % world.job["job_id"])
        return PASS
    what = mark[2:-1]
    param = {"JOB": "{job_id}", "HOST": "{host_id}", "CUSTOMER": "{customer_id}", "PROVIDER": "{provider_id}"}[what]
    if letter == "O" and who in AGENTS:
        return (403, None)
    if param not in rt["path"] and rt["path"] != EVENTS_ROUTE:
        return PASS  # the resource is in the body: checked by the handler, after validation
    if what == "JOB":
        if who == "sub_a":
            # JA is assigned: requeueing an active job is for admins only (api §8.2), the owner's 403.
            return (403, None) if rt["path"].endswith("/requeue") else PASS
        if who == "prov_a":  # sees JA (it runs on host X) but does not own it
            return (403, None)
        return (404, "Job %s not found" % world.job["job_id"])
    if what == "HOST":
        if who in ("prov_a", "agent_x"):
            return PASS
        if who == "agent_y":
            return (403, "Agent token is bound to host %s" % world.host_y)
        return (404, "Host %s not found" % world.host_x)
    if what == "CUSTOMER":
        return PASS if who == "sub_a" else (404, "Customer %s not found" % world.customer)
    # PROVIDER: the path names provider "nx1", which no user owns: the 404 of an unknown provider.
    return (404, "Provider nx1 not found")


# Calls that, passing the gate with a `{}` body, would spoil the shared world for later rows
# (remove a host or a session, rotate an agent token, move job JA). Every DELETE counts.
SPOILERS = {"/host/{host_id}/agent-token", "/job/{job_id}/requeue", "/api/auth/logout", "/api/auth/refresh"}


def spoils(rt):
    if rt["method"] == "GET" or any(req for _, req in (rt["body"] or [])):
        return False
    return rt["method"] == "DELETE" or rt["path"] in SPOILERS


def call(world, who, rt):
    api = world.api(who)
    body = None if rt["method"] in ("GET", "DELETE") else {}
    return api.req(rt["method"], world.path(rt["path"]), body, stream=True, timeout=15)


def check(world, who, rt, env):
    want = expected(rt, who, env, world)
    r = call(world, who, rt)
    try:
        where = f'{env} {who} {rt["method"]} {rt["path"]} ({rt["mark"]}): {r.status_code}'
        if want == PASS:
            assert r.status_code not in (401, 403), where + " " + r.text[:300]
            if r.status_code == 404:
                msg = r.json()["error"]["message"]
                denial = {"Job %s not found" % world.job["job_id"], "Host %s not found" % world.host_x,
                          "Customer %s not found" % world.customer}
                assert msg not in denial, where + " refused as not found: " + msg
        else:
            status, msg = want
            assert r.status_code == status, where + f" expected {status}: " + r.text[:300]
            err = r.json()["error"]
            assert err["code"] == {401: "unauthorized", 403: "forbidden", 404: "not_found"}[status], where
            if msg:
                assert err["message"] == msg, where + " " + err["message"]
            if status == 401:
                assert r.headers.get("WWW-Authenticate") == "Bearer", where
    finally:
        r.close()


@pytest.fixture(scope="module", params=["test", "production"])
def env_server(request):
    from conftest import start
    s = start(env=TEST if request.param == "test" else PROD)
    yield request.param, s
    s.stop()


def test_matrix(env_server):
    env, server = env_server
    shared = World(server)
    n = 0
    for rt in ROUTES:
        if rt["path"] == "/api/stream" or rt["path"].endswith("/logs/stream"):
            continue  # streams: covered below without reading them
        if rt["path"].startswith("/api/test/") and env == "production":
            continue  # absent in production (404 whoever asks)
        for who in PRINCIPALS:
            if spoils(rt) and expected(rt, who, env, shared) == PASS:
                with Server(env=TEST if env == "test" else PROD) as own:  # a world of its own
                    check(World(own), who, rt, env)
            else:
                check(shared, who, rt, env)
            n += 1
    assert n >= 75 * len(PRINCIPALS)


def test_matrix_streams(env_server):
    env, server = env_server
    w = World(server)
    rt = next(r for r in ROUTES if r["path"] == "/jobs/{job_id}/logs/stream")
    for who in PRINCIPALS:
        check(w, who, rt, env)
