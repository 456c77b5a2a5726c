"""Helpers shared by the provider and Stripe tests (test_providers.py, test_stripe.py): users,
a host owned by a provider user, and a job run to billing on it."""
import hashlib
import hmac
import itertools
import json
import time

import requests

GOOD = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "560.35.03", "docker": "27.0.1"}
_seq = itertools.count()


class World:
    def __init__(self, server):
        self.server, self.u = server, server.url

    def req(self, method, path, expect=200, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        r = requests.request(method, self.u + path, timeout=30, headers=headers, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def user(self, role="provider"):
        n = next(_seq)
        body = {"email": f"{role}-{n}-{time.time_ns()}@example.com", "password": "provider-pass-1", "role": role}
        r = self.req("POST", "/api/auth/register", json=body)
        return r["access_token"], r["user"]

    def me(self, token):
        return self.req("GET", "/api/auth/me", token=token)["user"]

    def host(self, token, hid, rate=1.5, province="ON"):
        """A host registered by the user of token (its owner), admitted and active."""
        h = self.req("PUT", "/host", token=token, json={
            "host_id": hid, "ip": "127.0.0.1", "gpu_model": "A100", "total_vram_gb": 80, "free_vram_gb": 80,
            "cost_per_hour": rate, "country": "CA", "province": province, "versions": GOOD})["host"]
        if h["status"] != "active":
            self.req("POST", "/agent/versions", json={"host_id": hid, "versions": GOOD})
        return h

    def run_job(self, hid, seconds=3600):
        """An operator job run on hid for `seconds` of test-clock time, then completed (billed)."""
        jid = self.req("POST", "/job", json={"name": "pj", "vram_needed_gb": 8})["job"]["job_id"]
        self.req("POST", "/queue/process")
        assert self.req("GET", "/job/" + jid)["job"]["host_id"] == hid
        self.req("PATCH", "/job/" + jid, json={"status": "running"})
        self.req("POST", "/api/test/clock", json={"advance_sec": seconds})
        self.req("PATCH", "/job/" + jid, json={"status": "completed"})
        return jid

    def register_provider(self, token, expect=200, **body):
        return self.req("POST", "/api/providers/register", expect=expect, token=token, json=body)

    def earnings(self, pid, token=None, expect=200):
        return self.req("GET", f"/api/providers/{pid}/earnings", token=token, expect=expect)

    def payout(self, pid, expect=200, **body):
        return self.req("POST", f"/api/providers/{pid}/payout", expect=expect, json=body)


def sign(payload, secret, t=None, scheme="v1"):
    """A Stripe-Signature header for payload (bytes) signed at t (default now) with secret."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},{scheme}={mac}"


def event(type_, obj):
    return json.dumps({"id": "evt_" + hashlib.sha1(str(time.time_ns()).encode()).hexdigest()[:24],
                       "object": "event", "type": type_, "data": {"object": obj}}).encode()


def approx(a, b):
    return abs(a - b) < 1e-9
