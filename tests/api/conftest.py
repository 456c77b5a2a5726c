"""Fixtures and helpers for the black-box API tests of the core routes (tests/api/test_core_*.py).

Each test talks to a real xcelsiord started by tests/xcserver.py on a free loopback port with its own
temporary SQLite database.  Starting a server takes well under 100 ms, so tests whose queue passes or
counters would interfere with each other take a fresh one (`srv`); the rest share one per module
(`msrv`).  Time is moved with the test clock (POST /api/test/clock) instead of sleeping.
"""
import json
import os
import sys
import uuid

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from xcserver import BINARY, Server  # noqa: E402

GOOD = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "560.35.03", "docker": "27.1.1"}
BAD = {"runc": "1.0.0", "nvidia_ctk": "1.10.0", "nvidia_driver": "520.0", "docker": "20.0.0"}
JOB_STATUSES = ["queued", "assigned", "leased", "running", "completed", "failed", "preempted", "cancelled"]

# Every request of the suite comes from 127.0.0.1: lift the per-address rate limit (A§3).
BASE_ENV = {"XCELSIOR_RATE_LIMIT_REQUESTS": "1000000"}


class Api:
    """A thin requests wrapper bound to one server; every call returns the raw Response."""

    def __init__(self, server, token=None):
        self.server = server
        self.url = server.url
        self.s = requests.Session()
        if token:
            self.s.headers["Authorization"] = "Bearer " + token

    def req(self, method, path, body=None, data=None, headers=None, timeout=10, **kw):
        if body is not None:
            data = json.dumps(body)
        return self.s.request(method, self.url + path, data=data, headers=headers, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.req("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.req("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    # --- acceptance-style shortcuts (acceptance.md §0) -------------------------------------------
    def reg(self, host_id, expect=200, **extra):
        body = {"host_id": host_id, "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                "free_vram_gb": 24, "country": "CA", "province": "ON"}
        body.update(extra)
        r = self.put("/host", body)
        assert r.status_code == expect, f"PUT /host {host_id}: {r.status_code} {r.text}"
        return r.json()

    def admit(self, host_id, versions=None, expect=200):
        r = self.post("/agent/versions", {"host_id": host_id, "versions": GOOD if versions is None else versions})
        assert r.status_code == expect, f"POST /agent/versions {host_id}: {r.status_code} {r.text}"
        return r.json()

    def host_up(self, host_id, **extra):
        """Register + admit; returns the host object."""
        self.reg(host_id, **extra)
        return self.admit(host_id)["host"]

    def submit(self, name="job", vram=8, expect=200, **extra):
        body = {"name": name, "vram_needed_gb": vram}
        body.update(extra)
        r = self.post("/job", body)
        assert r.status_code == expect, f"POST /job: {r.status_code} {r.text}"
        return r.json()["job"] if expect == 200 else r.json()

    def process(self):
        r = self.post("/queue/process")
        assert r.status_code == 200, r.text
        return r.json()["assigned"]

    def job(self, job_id):
        r = self.get("/job/" + job_id)
        assert r.status_code == 200, f"GET /job/{job_id}: {r.status_code} {r.text}"
        return r.json()["job"]

    def host(self, host_id):
        r = self.get("/hosts?active_only=false")
        assert r.status_code == 200, r.text
        for h in r.json()["hosts"]:
            if h["host_id"] == host_id:
                return h
        return None

    def hosts(self, active_only=False):
        r = self.get("/hosts?active_only=" + ("true" if active_only else "false"))
        assert r.status_code == 200, r.text
        return r.json()["hosts"]

    def jobs_total(self):
        r = self.get("/jobs")
        assert r.status_code == 200, r.text
        return r.json()["total"]

    def status(self, job_id, status, host_id=None, **extra):
        body = {"status": status}
        if host_id is not None:
            body["host_id"] = host_id
        body.update(extra)
        return self.patch("/job/" + job_id, body)

    def claim(self, job_id, host_id):
        return self.post("/agent/lease/claim", {"host_id": host_id, "job_id": job_id})

    def clock(self, sec):
        r = self.post("/api/test/clock", {"advance_sec": int(sec)})
        assert r.status_code == 200, r.text
        return r.json()

    def sweep(self):
        r = self.post("/api/test/sweep")
        assert r.status_code == 200, r.text

    def audit(self, job_id):
        r = self.get("/api/audit/job/" + job_id)
        assert r.status_code == 200, r.text
        return r.json()["events"]

    def healthy(self):
        r = self.get("/healthz", timeout=5)
        return r.status_code == 200 and r.json().get("status") == "healthy"

    def running_job(self, host_id, name="run", vram=8, **extra):
        """Submit a job, assign it (the host must be the only fit), claim it and report running."""
        j = self.submit(name, vram, **extra)
        assigned = self.process()
        assert any(a["job_id"] == j["job_id"] for a in assigned), assigned
        jb = self.job(j["job_id"])
        assert jb["host_id"] == host_id, jb
        r = self.claim(j["job_id"], host_id)
        assert r.status_code == 200, r.text
        r = self.status(j["job_id"], "running", host_id)
        assert r.status_code == 200, r.text
        return self.job(j["job_id"])


def uid(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_envelope(r, status, code=None, msg_contains=None):
    """The response is the §4.1 error envelope with the given status (and code / message part)."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), f"error Content-Type {ctype!r}"
    body = r.json()
    assert isinstance(body, dict) and body.get("ok") is False, body
    err = body.get("error")
    assert isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str), body
    if code:
        assert err["code"] == code, body
    if msg_contains:
        assert msg_contains in err["message"], body
    return err


def start(env=None, db=None, **kw):
    e = dict(BASE_ENV)
    e.update(env or {})
    return Server(env=e, db=db, **kw).start()


@pytest.fixture(scope="module")
def msrv():
    s = start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def mapi(msrv):
    return Api(msrv)


@pytest.fixture
def srv():
    s = start()
    yield s
    s.stop()


@pytest.fixture
def api(srv):
    return Api(srv)


@pytest.fixture
def servers():
    """Factory for servers with custom env/db; all are stopped at the end of the test."""
    started = []

    def make(env=None, db=None, **kw):
        s = start(env, db, **kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()
