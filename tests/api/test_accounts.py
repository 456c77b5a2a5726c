"""Accounts and teams, black box (api §8.15, §8.16; domain §24, §21.6; acceptance USR-*, TEAM-*).

Every flow runs against a real xcelsiord in the test environment (anonymous callers are the operator
there, so admin routes are called without a header); the production checks start their own server.
Secrets that are shown once (session tokens, API keys, reset tokens, device codes) are searched for in
the SQLite files (database, WAL, shared memory), the server log and later responses: only their
SHA-256 may be stored. Time moves with the test clock (POST /api/test/clock)."""
import glob
import json
import os
import sqlite3
import time
import uuid

import pytest
import requests

from conftest import Api, assert_envelope, start
from test_core_sse import Stream

PW = "securepass123"


def email(tag="u"):
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def bearer(token):
    return {"Authorization": "Bearer " + token}


class User:
    """A registered user: its e-mail, password, current session token and user object."""

    def __init__(self, api, tag="u", pw=PW, **extra):
        self.api, self.email, self.pw = api, email(tag), pw
        body = {"email": self.email, "password": pw}
        body.update(extra)
        r = api.post("/api/auth/register", body)
        assert r.status_code == 200, r.text
        j = r.json()
        self.token, self.user = j["access_token"], j["user"]
        self.id = self.user["user_id"]

    def h(self, token=None):
        return bearer(token or self.token)

    def get(self, path, token=None, **kw):
        return self.api.get(path, headers=self.h(token), **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.api.post(path, body, headers=self.h(token), **kw)

    def patch(self, path, body=None, token=None, **kw):
        return self.api.patch(path, body, headers=self.h(token), **kw)

    def delete(self, path, token=None, **kw):
        return self.api.delete(path, headers=self.h(token), **kw)

    def login(self, pw=None):
        r = self.api.post("/api/auth/login", {"email": self.email, "password": pw or self.pw})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


def stored_bytes(srv):
    """Every byte of the server's SQLite files and its log."""
    out = b""
    for p in glob.glob(srv.db + "*") + [srv.log_path]:
        with open(p, "rb") as f:
            out += f.read()
    return out


def users_total(api):
    r = api.get("/api/admin/users?limit=5000")
    assert r.status_code == 200, r.text
    return r.json()["total"]


@pytest.fixture(scope="module")
def asrv():
    s = start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def aapi(asrv):
    return Api(asrv)


# ---- register, login, me -------------------------------------------------------------------------


def test_register_login_me(aapi):
    e = email("Reg").replace("reg", "Reg")
    r = aapi.post("/api/auth/register", {"email": "  " + e.upper() + " ", "password": PW, "name": "Test User"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert list(j)[:5] == ["ok", "access_token", "token_type", "expires_in", "user"]
    assert j["token_type"] == "Bearer" and j["expires_in"] == 2592000 and len(j["access_token"]) == 64
    u = j["user"]
    assert list(u) == ["user_id", "email", "name", "role", "customer_id", "provider_id", "country", "province",
                       "team_id", "created_at"]
    assert u["email"] == e.lower() and u["name"] == "Test User" and u["role"] == "submitter"
    assert u["user_id"].startswith("user-") and len(u["user_id"]) == 37
    assert u["customer_id"].startswith("cust-") and u["provider_id"] is None and u["team_id"] is None
    assert (u["country"], u["province"]) == ("CA", "ON")
    # The wallet exists (zero balance) and belongs to the new customer.
    w = aapi.get("/api/billing/wallet/" + u["customer_id"])
    assert w.status_code == 200, w.text

    me = aapi.get("/api/auth/me", headers=bearer(j["access_token"]))
    assert me.status_code == 200 and me.json()["user"] == u
    # Login with another spelling of the same address; same message for unknown e-mail / wrong password.
    r = aapi.post("/api/auth/login", {"email": e.upper(), "password": PW})
    assert r.status_code == 200 and r.json()["user"]["user_id"] == u["user_id"], r.text
    assert r.json()["access_token"] != j["access_token"]
    wrong = assert_envelope(aapi.post("/api/auth/login", {"email": e, "password": "wrongpass123"}), 401, "unauthorized")
    unknown = assert_envelope(aapi.post("/api/auth/login", {"email": email("nobody"), "password": PW}), 401)
    assert wrong["message"] == unknown["message"] == "Invalid email or password"

    assert_envelope(aapi.post("/api/auth/register", {"email": e.lower(), "password": PW}), 409,
                    msg_contains="Email already registered")
    assert_envelope(aapi.post("/api/auth/register", {"email": email(), "password": "short"}), 400,
                    msg_contains="Password must be at least 8 characters")
    assert_envelope(aapi.post("/api/auth/register", {"email": "no-at-sign.example.com", "password": PW}), 400,
                    msg_contains="Invalid email address")
    assert_envelope(aapi.post("/api/auth/register", {"email": email(), "password": PW, "role": "admin"}), 403,
                    msg_contains="Cannot self-assign the admin role")
    p = aapi.post("/api/auth/register", {"email": email("prov"), "password": PW, "role": "provider",
                                         "province": "QC"})
    assert p.status_code == 200 and p.json()["user"]["role"] == "provider" and p.json()["user"]["province"] == "QC"


def test_me_requires_a_user(aapi):
    for h in ({}, bearer("x" * 64), bearer("xc-" + "A" * 43), bearer("garbage")):
        err = assert_envelope(aapi.get("/api/auth/me", headers=h), 401, "unauthorized")
        assert err["message"] == "Not authenticated"
    # The open test gate makes an anonymous caller the operator, but the operator is no user.
    assert_envelope(aapi.post("/api/keys/generate"), 401)
    assert_envelope(aapi.post("/api/teams", {"name": "T"}), 401)


def test_patch_me(aapi):
    u = User(aapi)
    r = u.patch("/api/auth/me", {"name": "Updated Name", "role": "provider", "country": "CA", "province": "BC"})
    assert r.status_code == 200 and r.json()["message"] == "Profile updated", r.text
    me = u.get("/api/auth/me").json()["user"]
    assert (me["name"], me["role"], me["province"]) == ("Updated Name", "provider", "BC")
    r = u.patch("/api/auth/me", {"name": "Updated Name"})
    assert r.status_code == 200 and r.json()["message"] == "No changes"
    assert_envelope(u.patch("/api/auth/me", {"role": "admin"}), 403, msg_contains="Cannot self-assign")
    assert_envelope(u.patch("/api/auth/me", {"province": "XX"}), 400)
    assert u.get("/api/auth/me").json()["user"]["role"] == "provider"


# ---- API keys ------------------------------------------------------------------------------------


def test_keys_shown_once_and_never_stored(asrv, aapi):
    u = User(aapi)
    r = u.post("/api/keys/generate?name=test-key")
    assert r.status_code == 200, r.text
    k = r.json()
    assert list(k) == ["ok", "key", "name", "preview", "note"]
    key = k["key"]
    assert key.startswith("xc-") and len(key) == 46 and k["name"] == "test-key"
    assert k["preview"] == key[:12] + "..." + key[-4:]
    assert k["note"] == "Save this key \u2014 it will not be shown again."
    r2 = u.post("/api/keys/generate", {"name": "from-body"})
    assert r2.status_code == 200 and r2.json()["name"] == "from-body", r2.text
    r3 = u.post("/api/keys/generate")
    assert r3.status_code == 200 and r3.json()["name"] == "default"

    # The key authenticates as the user; its use shows as last_used without a write per request.
    me = aapi.get("/api/auth/me", headers=bearer(key))
    assert me.status_code == 200 and me.json()["user"]["user_id"] == u.id
    lst = u.get("/api/keys")
    assert lst.status_code == 200
    keys = lst.json()["keys"]
    assert [x["name"] for x in keys] == ["test-key", "from-body", "default"]
    assert list(keys[0]) == ["name", "preview", "created_at", "last_used"]
    assert keys[0]["last_used"] is not None and keys[1]["last_used"] is None

    # The raw key and session token appear in no later response, no database file and no log line.
    later = lst.text + u.get("/api/auth/me/data-export").text + u.get("/api/auth/me").text
    assert key not in later and u.token not in later
    blob = stored_bytes(asrv)
    for secret in (key, u.token, r2.json()["key"], r3.json()["key"]):
        assert secret.encode() not in blob
    # Only 64-hex SHA-256 digests are stored (USR-10).
    con = sqlite3.connect(f"file:{asrv.db}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    if isinstance(v, str):
                        assert key not in v and u.token not in v, (t, v)
    finally:
        con.close()

    # Revoke by preview: the key stops working at once; only the caller's keys are searched.
    other = User(aapi)
    assert_envelope(other.delete("/api/keys/" + k["preview"]), 404, msg_contains="API key not found")
    r = u.delete("/api/keys/" + k["preview"])
    assert r.status_code == 200 and r.json()["message"] == "API key revoked", r.text
    assert_envelope(aapi.get("/api/auth/me", headers=bearer(key)), 401)
    assert_envelope(u.delete("/api/keys/" + k["preview"]), 404)
    assert [x["name"] for x in u.get("/api/keys").json()["keys"]] == ["from-body", "default"]


def test_key_limit_and_name_rules(aapi):
    u = User(aapi)
    assert_envelope(u.post("/api/keys/generate?name=" + "x" * 65), 400)
    assert_envelope(u.post("/api/keys/generate", {"name": "bad\r\nname"}), 400)
    for i in range(20):
        assert u.post(f"/api/keys/generate?name=k{i}").status_code == 200
    assert_envelope(u.post("/api/keys/generate"), 409, msg_contains="API key limit reached (20)")


# ---- sessions ------------------------------------------------------------------------------------


def test_refresh_and_logout(aapi):
    u = User(aapi)
    key = u.post("/api/keys/generate").json()["key"]
    r = u.post("/api/auth/refresh")
    assert r.status_code == 200, r.text
    j = r.json()
    assert list(j) == ["ok", "access_token", "token_type", "expires_in"] and j["access_token"] != u.token
    assert_envelope(u.get("/api/auth/me"), 401)
    # The old session is gone: refresh names it (api §8.15), not the generic "Not authenticated".
    err = assert_envelope(u.post("/api/auth/refresh"), 401, "unauthorized")
    assert err["message"] == "Session expired or invalid"
    assert u.get("/api/auth/me", token=j["access_token"]).status_code == 200
    # A key refreshes into a session and stays valid.
    r = u.post("/api/auth/refresh", token=key)
    assert r.status_code == 200 and u.get("/api/auth/me", token=key).status_code == 200
    # Logout ends the presented session only; the key and other sessions are unaffected.
    other = u.login()
    assert u.post("/api/auth/logout", token=j["access_token"]).json() == {"ok": True}
    assert_envelope(u.get("/api/auth/me", token=j["access_token"]), 401)
    assert u.get("/api/auth/me", token=other).status_code == 200
    assert u.get("/api/auth/me", token=key).status_code == 200
    assert_envelope(aapi.post("/api/auth/logout"), 401)


def test_change_password_revokes_other_sessions(aapi):
    u = User(aapi)
    second = u.login()
    key = u.post("/api/keys/generate").json()["key"]
    assert_envelope(u.post("/api/auth/change-password", {"current_password": "wrong-password", "new_password": "newpass12345"}),
                    400, msg_contains="incorrect")
    assert_envelope(u.post("/api/auth/change-password", {"current_password": PW, "new_password": "abc"}), 400,
                    msg_contains="New password must be at least 8 characters")
    assert_envelope(aapi.post("/api/auth/change-password", {"current_password": PW, "new_password": "newpass12345"}), 401)
    r = u.post("/api/auth/change-password", {"current_password": PW, "new_password": "newpass12345"})
    assert r.status_code == 200 and r.json()["message"] == "Password changed successfully", r.text
    assert u.get("/api/auth/me").status_code == 200  # the current session stays
    assert_envelope(u.get("/api/auth/me", token=second), 401)
    assert u.get("/api/auth/me", token=key).status_code == 200  # keys are not sessions
    assert_envelope(aapi.post("/api/auth/login", {"email": u.email, "password": PW}), 401)
    assert u.login("newpass12345")


def test_login_lockout(aapi):
    u = User(aapi)
    for _ in range(10):
        assert_envelope(aapi.post("/api/auth/login", {"email": u.email, "password": "wrong-password"}), 401)
    err = assert_envelope(aapi.post("/api/auth/login", {"email": u.email.upper(), "password": PW}), 429)
    assert err["message"] == "Too many failed login attempts"
    # Other accounts are not affected; the window passes after 15 minutes.
    v = User(aapi)
    assert v.login()
    aapi.clock(15 * 60 + 1)
    assert u.login()


# ---- password reset ------------------------------------------------------------------------------


def test_password_reset_end_to_end(asrv, aapi):
    u = User(aapi)
    other = u.login()
    r = aapi.post("/api/auth/password-reset", {"email": "  " + u.email.upper()})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["message"] == "If the email exists, a reset link has been sent."
    tok = j["reset_token"]
    assert len(tok) == 43
    r = aapi.post("/api/auth/password-reset", {"email": email("unknown")})
    assert r.status_code == 200 and r.json() == {"ok": True, "message": j["message"]}

    assert_envelope(aapi.post("/api/auth/password-reset/confirm", {"token": tok, "new_password": "short"}), 400,
                    msg_contains="at least 8")
    assert_envelope(aapi.post("/api/auth/password-reset/confirm", {"token": "invalid-token-xxx",
                                                                    "new_password": "newpass12345"}), 400)
    r = aapi.post("/api/auth/password-reset/confirm", {"token": tok, "new_password": "newpass12345"})
    assert r.status_code == 200 and r.json()["message"] == "Password updated. Please log in again.", r.text
    assert_envelope(aapi.post("/api/auth/password-reset/confirm", {"token": tok, "new_password": "another12345"}), 400)
    # Every session is revoked; the new password works, the old one does not.
    assert_envelope(u.get("/api/auth/me"), 401)
    assert_envelope(u.get("/api/auth/me", token=other), 401)
    assert_envelope(aapi.post("/api/auth/login", {"email": u.email, "password": PW}), 401)
    assert u.login("newpass12345")
    assert tok.encode() not in stored_bytes(asrv)

    # A token past its hour is refused.
    tok2 = aapi.post("/api/auth/password-reset", {"email": u.email}).json()["reset_token"]
    aapi.clock(3601)
    err = assert_envelope(aapi.post("/api/auth/password-reset/confirm", {"token": tok2, "new_password": "late12345678"}), 400)
    assert "expired" in err["message"] or "nvalid" in err["message"]


def test_production_never_returns_reset_token(servers):
    srv = servers(env={"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": "t" * 40, "XCELSIOR_SECRET_KEY": "s" * 40})
    api = Api(srv)
    r = api.post("/api/auth/register", {"email": email("prod"), "password": PW})
    assert r.status_code == 200, r.text
    tok = r.json()["access_token"]
    e = r.json()["user"]["email"]
    known = api.post("/api/auth/password-reset", {"email": e})
    unknown = api.post("/api/auth/password-reset", {"email": email("nobody")})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json() == {"ok": True, "message": "If the email exists, a reset link has been sent."}
    # The session works in production for user routes, without the global token.
    assert api.get("/api/auth/me", headers=bearer(tok)).status_code == 200
    assert_envelope(api.get("/api/auth/me"), 401)
    assert_envelope(api.get("/api/admin/users", headers=bearer(tok)), 403)
    assert api.get("/api/admin/users", headers=bearer("t" * 40)).status_code == 200


# ---- device flow ---------------------------------------------------------------------------------


def test_device_flow(asrv, aapi):
    u = User(aapi)
    r = aapi.post("/api/auth/device", {"client_id": "cli-test"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert list(d) == ["ok", "device_code", "user_code", "verification_uri", "expires_in", "interval"]
    assert len(d["device_code"]) == 43 and d["expires_in"] == 600 and d["interval"] == 5
    uc = d["user_code"]
    assert len(uc) == 9 and uc[4] == "-" and all(c in "BCDFGHJKLMNPQRSTVWXZ23456789" for c in uc.replace("-", ""))
    assert d["verification_uri"].endswith("/api/auth/verify")

    poll = {"device_code": d["device_code"], "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
    r = aapi.post("/api/auth/token", poll)
    assert_envelope(r, 428, "precondition_required", "authorization_pending")
    assert r.headers.get("Retry-After") == "5"
    assert_envelope(aapi.post("/api/auth/token", {"device_code": d["device_code"], "grant_type": "password"}), 400,
                    msg_contains="unsupported_grant_type")
    assert_envelope(aapi.post("/api/auth/token", {"device_code": "A" * 43}), 404, msg_contains="invalid_device_code")

    page = aapi.get("/api/auth/verify")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "user_code" in page.text and "/api/auth/verify" in page.text

    # Approval needs a user; the code is typed case-insensitively, hyphen optional.
    assert_envelope(aapi.post("/api/auth/verify", {"user_code": uc}), 401)
    assert_envelope(u.post("/api/auth/verify", {"user_code": "BBBB-BBBB"}), 404, msg_contains="Invalid or expired user code")
    r = u.post("/api/auth/verify", {"user_code": uc.replace("-", "").lower()})
    assert r.status_code == 200 and r.json() == {"ok": True, "message": "Device authorized", "user_code": uc}, r.text
    assert_envelope(u.post("/api/auth/verify", {"user_code": uc}), 404)

    r = aapi.post("/api/auth/token", {"device_code": d["device_code"]})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["token_type"] == "Bearer" and t["expires_in"] == 2592000 and len(t["access_token"]) == 64
    me = aapi.get("/api/auth/me", headers=bearer(t["access_token"]))
    assert me.status_code == 200 and me.json()["user"]["user_id"] == u.id
    assert_envelope(aapi.post("/api/auth/token", poll), 404, msg_contains="invalid_device_code")
    blob = stored_bytes(asrv)
    assert d["device_code"].encode() not in blob and t["access_token"].encode() not in blob

    # Expiry: an unapproved code after 600 s answers 410 to the poller and to the approver.
    d2 = aapi.post("/api/auth/device").json()
    aapi.clock(601)
    assert_envelope(aapi.post("/api/auth/token", {"device_code": d2["device_code"]}), 410, "gone", "expired_token")
    assert_envelope(u.post("/api/auth/verify", {"user_code": d2["user_code"]}), 410, msg_contains="Code expired")


def test_oauth_placeholders(aapi):
    for p in ("google", "github", "huggingface"):
        assert_envelope(aapi.post("/api/auth/oauth/" + p), 501, msg_contains=f"OAuth provider {p} is not configured")
    assert_envelope(aapi.post("/api/auth/oauth/facebook"), 400, msg_contains="Unsupported OAuth provider: facebook")


# ---- deletion, export, administration ------------------------------------------------------------


def test_account_deletion_revokes_every_credential(aapi):
    u = User(aapi)
    s2 = u.login()
    key = u.post("/api/keys/generate").json()["key"]
    d = aapi.post("/api/auth/device").json()
    assert u.post("/api/auth/verify", {"user_code": d["user_code"]}).status_code == 200
    team = u.post("/api/teams", {"name": "Doomed"}).json()["team_id"]
    r = u.delete("/api/auth/me")
    assert r.status_code == 200 and r.json() == {"ok": True, "message": "Account deleted"}, r.text
    for tok in (u.token, s2, key):
        assert_envelope(aapi.get("/api/auth/me", headers=bearer(tok)), 401)
    assert_envelope(aapi.post("/api/auth/token", {"device_code": d["device_code"]}), 404)
    assert_envelope(aapi.post("/api/auth/login", {"email": u.email, "password": PW}), 401)
    # PII is gone from the admin view, the owned team with it; the address may register again.
    listed = aapi.get("/api/admin/users?limit=5000").json()["users"]
    assert u.id not in [x["user_id"] for x in listed]
    assert not any(x["email"] == u.email for x in listed)
    v = User(aapi)
    assert_envelope(v.get("/api/teams/" + team), 404)
    again = aapi.post("/api/auth/register", {"email": u.email, "password": PW})
    assert again.status_code == 200 and again.json()["user"]["user_id"] != u.id


def test_data_export(aapi):
    u = User(aapi, name="Export Me")
    u.post("/api/keys/generate?name=exp")
    r = u.get("/api/auth/me/data-export")
    assert r.status_code == 200, r.text
    x = r.json()["data_export"]
    assert list(x) == ["exported_at", "profile", "jobs", "billing_records", "billing_transactions", "invoices",
                       "reputation", "consents", "api_keys", "total_jobs", "total_transactions"]
    assert x["profile"]["user_id"] == u.id and x["profile"]["name"] == "Export Me"
    assert [k["name"] for k in x["api_keys"]] == ["exp"] and list(x["api_keys"][0]) == ["name", "preview", "created_at",
                                                                                       "last_used"]
    assert x["jobs"] == [] and x["total_jobs"] == 0 and x["consents"] == [] and x["reputation"] == {}
    text = r.text.lower()
    for banned in ("password", "argon2", "hash", "salt", u.token.lower()):
        assert banned not in text, banned
    assert_envelope(aapi.get("/api/auth/me/data-export"), 401)


def test_admin_list_and_patch(aapi):
    u = User(aapi, role="provider")
    key = u.post("/api/keys/generate").json()["key"]
    r = aapi.get("/api/admin/users?role=provider&limit=5000")
    assert r.status_code == 200, r.text
    j = r.json()
    assert list(j) == ["ok", "users", "total"] and all(x["role"] == "provider" for x in j["users"])
    assert u.id in [x["user_id"] for x in j["users"]]
    page = aapi.get("/api/admin/users?limit=1&offset=0").json()
    assert len(page["users"]) == 1 and page["total"] >= 1
    assert_envelope(aapi.get("/api/admin/users?limit=0"), 422)
    assert_envelope(aapi.get("/api/admin/users?role=root"), 422)
    # A non-admin user may not administer.
    assert_envelope(u.get("/api/admin/users"), 403)
    assert_envelope(u.patch(f"/api/admin/users/{u.id}", {"role": "admin"}), 403)

    r = aapi.patch(f"/api/admin/users/{u.id}", {"role": "admin"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "admin", r.text
    # An admin-role user may now use admin routes with its own credential.
    assert u.get("/api/admin/users").status_code == 200
    assert_envelope(aapi.patch("/api/admin/users/user-" + "0" * 32, {"role": "submitter"}), 404)
    assert_envelope(aapi.patch(f"/api/admin/users/{u.id}", {"disabled": "yes"}), 422)

    r = aapi.patch(f"/api/admin/users/{u.id}", {"disabled": True})
    assert r.status_code == 200, r.text
    assert_envelope(u.get("/api/auth/me"), 401)
    assert_envelope(aapi.get("/api/auth/me", headers=bearer(key)), 401)
    assert_envelope(aapi.post("/api/auth/login", {"email": u.email, "password": PW}), 401)
    # Re-enabling does not bring revoked credentials back, but login works again.
    assert aapi.patch(f"/api/admin/users/{u.id}", {"disabled": False}).status_code == 200
    assert_envelope(u.get("/api/auth/me"), 401)
    assert u.login()


# ---- teams ---------------------------------------------------------------------------------------


def test_teams(aapi):
    owner = User(aapi, "owner")
    members = [User(aapi, f"m{i}") for i in range(6)]
    outsider = User(aapi, "out")
    assert_envelope(aapi.post("/api/teams", {"name": "API Team"}), 401)
    assert_envelope(owner.post("/api/teams", {"name": "X", "plan": "gold"}), 422)
    r = owner.post("/api/teams", {"name": "API Team"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert list(t) == ["ok", "team_id", "name", "plan", "max_members"]
    assert t["name"] == "API Team" and t["plan"] == "free" and t["max_members"] == 5 and t["team_id"].startswith("team-")
    tid = t["team_id"]

    mine = owner.get("/api/teams/me").json()["teams"]
    assert [x["team_id"] for x in mine] == [tid] and mine[0]["member_role"] == "admin"
    assert mine[0]["owner_user_id"] == owner.id
    g = owner.get("/api/teams/" + tid).json()
    assert g["team"]["name"] == "API Team"
    assert [(m["user_id"], m["role"]) for m in g["members"]] == [(owner.id, "admin")]
    assert g["members"][0]["email"] == owner.email
    assert_envelope(outsider.get("/api/teams/" + tid), 403, msg_contains="Not a member of this team")
    assert_envelope(owner.get("/api/teams/team-" + "0" * 32), 404, msg_contains="Team not found")

    # Capacity: five members on the free plan, the owner included.
    for m in members[:4]:
        r = owner.post(f"/api/teams/{tid}/members", {"email": m.email.upper()})
        assert r.status_code == 200 and r.json()["message"] == f"{m.email} added to team as member", r.text
    assert_envelope(owner.post(f"/api/teams/{tid}/members", {"email": members[4].email}), 400,
                    msg_contains="Team is at member capacity")
    assert_envelope(owner.post(f"/api/teams/{tid}/members", {"email": email("ghost")}), 404, msg_contains="not found")
    assert_envelope(members[0].post(f"/api/teams/{tid}/members", {"email": members[5].email}), 403,
                    msg_contains="Only team admins can add members")
    # Members see each other without e-mails.
    view = members[0].get("/api/teams/" + tid).json()
    assert len(view["members"]) == 5 and all("email" not in m for m in view["members"])

    # Removal rules.
    assert_envelope(members[0].delete(f"/api/teams/{tid}/members/{members[1].email}"), 403,
                    msg_contains="Only admins can remove other members")
    r = members[0].delete(f"/api/teams/{tid}/members/{members[0].email}")
    assert r.status_code == 200 and r.json()["message"] == f"{members[0].email} removed from team", r.text
    r = owner.delete(f"/api/teams/{tid}/members/{members[1].email}")
    assert r.status_code == 200, r.text
    assert_envelope(owner.delete(f"/api/teams/{tid}/members/{owner.email}"), 400, msg_contains="Cannot remove team owner")
    # A second admin may add and remove others but neither remove nor delete the owner's team.
    assert owner.post(f"/api/teams/{tid}/members", {"email": members[4].email, "role": "admin"}).status_code == 200
    assert_envelope(members[4].delete(f"/api/teams/{tid}/members/{owner.email}"), 400)
    assert_envelope(members[4].delete(f"/api/teams/{tid}"), 403, msg_contains="Only the team owner can delete this team")
    assert_envelope(outsider.delete(f"/api/teams/{tid}"), 403)

    r = owner.delete(f"/api/teams/{tid}")
    assert r.status_code == 200 and r.json()["message"] == "Team deleted", r.text
    assert_envelope(owner.get("/api/teams/" + tid), 404)
    assert members[2].get("/api/teams/me").json()["teams"] == []
    assert members[2].get("/api/auth/me").json()["user"]["team_id"] is None


def test_team_plans(aapi):
    u = User(aapi)
    for plan, cap in (("pro", 25), ("enterprise", 100)):
        r = u.post("/api/teams", {"name": f"{plan} team", "plan": plan})
        assert r.status_code == 200 and r.json()["max_members"] == cap, r.text


# ---- SSE -----------------------------------------------------------------------------------------


def test_sse_user_registered_and_team_created(asrv, aapi):
    st = Stream(asrv.url)
    try:
        assert st.next()[0] == "connected"
        u = User(aapi)
        ev, _ = st.wait_for(lambda e: e[0] == "user_registered" and e[1].get("user_id") == u.id)
        assert ev[1] == {"user_id": u.id} and u.email not in ev[2]
        tid = u.post("/api/teams", {"name": "Streamed"}).json()["team_id"]
        ev, _ = st.wait_for(lambda e: e[0] == "team_created")
        assert ev[1] == {"team_id": tid, "name": "Streamed"}
    finally:
        st.close()


# ---- bad input -----------------------------------------------------------------------------------


BAD_EMAILS = ["", "plain", "@example.com", "a@", "a@b", "a b@example.com", "a@exa mple.com", "a@@example.com",
              "a@example.com\r\nBcc: x@evil.com", "a\x00b@example.com", "\u00fc@example.com",
              "\uff41@example.com", "a@example.com'; DROP TABLE users;--", "x" * 250 + "@example.com",
              "a@example.com" + " " * 2000 + "b"]


def test_bad_input_stores_nothing(asrv, aapi):
    before = users_total(aapi)
    for e in BAD_EMAILS:
        r = aapi.post("/api/auth/register", {"email": e, "password": PW})
        assert 400 <= r.status_code < 500, (e, r.status_code, r.text)
        assert_envelope(r, r.status_code)
    for body in ({"email": email(), "password": "p" * 10240},  # 10 kB password
                 {"email": email(), "password": "\u00e9" * 257},  # 257 characters
                 {"email": email(), "password": PW, "name": "Eve\r\nSet-Cookie: session=x"},
                 {"email": email(), "password": PW, "name": "tab\there"},
                 {"email": email(), "password": PW, "name": "x" * 101},
                 {"email": email(), "password": PW, "name": ""},
                 {"email": email(), "password": PW, "role": "root"},
                 {"email": email(), "password": PW, "role": "admin"},
                 {"email": email(), "password": PW, "country": "Canada"},
                 {"email": email(), "password": PW, "province": "ZZ"},
                 {"email": email(), "password": 12345678},
                 {"email": ["a@example.com"], "password": PW},
                 {"password": PW}):
        r = aapi.post("/api/auth/register", body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    assert_envelope(aapi.post("/api/auth/register", data="{not json"), 422)
    assert users_total(aapi) == before
    # Nothing of the refused input reached the database.
    con = sqlite3.connect(f"file:{asrv.db}?mode=ro", uri=True)
    try:
        rows = list(con.execute("SELECT email, name FROM users"))
    finally:
        con.close()
    assert not any("drop table" in e or "evil" in e or "\u00fc" in e for e, _ in rows)
    assert not any("Set-Cookie" in n or "\t" in n for _, n in rows)

    # A 10 kB password at login is refused without work; login with SQL metacharacters finds nobody.
    assert 400 <= aapi.post("/api/auth/login", {"email": email(), "password": "p" * 10240}).status_code < 500
    assert_envelope(aapi.post("/api/auth/login", {"email": "' OR '1'='1@x.com", "password": "' OR '1'='1"}), 401)


def test_email_normalisation_and_metacharacters_stored_verbatim(asrv, aapi):
    base = uuid.uuid4().hex[:8]
    r = aapi.post("/api/auth/register", {"email": f"  Mixed.{base}@Example.COM\t", "password": PW})
    assert r.status_code == 200 and r.json()["user"]["email"] == f"mixed.{base}@example.com", r.text
    for spelling in (f"mixed.{base}@example.com", f"MIXED.{base}@EXAMPLE.COM", f" mixed.{base}@example.com "):
        assert_envelope(aapi.post("/api/auth/register", {"email": spelling, "password": PW}), 409)
    # SQL metacharacters inside a valid address and a valid name are data, kept as given.
    odd = f"o'brien+{base}@example.com"
    name = "Robert'); DROP TABLE users;-- \u00e9"
    r = aapi.post("/api/auth/register", {"email": odd, "password": PW, "name": name})
    assert r.status_code == 200, r.text
    tok = r.json()["access_token"]
    me = aapi.get("/api/auth/me", headers=bearer(tok)).json()["user"]
    assert me["email"] == odd and me["name"] == name
    assert aapi.post("/api/auth/login", {"email": odd.upper(), "password": PW}).status_code == 200
    assert users_total(aapi) >= 2
    # Header injection through a profile update is refused and leaves the name alone.
    assert_envelope(aapi.patch("/api/auth/me", {"name": "x\r\nX-Injected: 1"}, headers=bearer(tok)), 400)
    assert aapi.get("/api/auth/me", headers=bearer(tok)).json()["user"]["name"] == name


def test_key_last_used_survives_a_restart(servers):
    """Key uses are written in batches by a loop and at shutdown, never per request."""
    a = servers()
    api = Api(a)
    u = User(api)
    key = u.post("/api/keys/generate").json()["key"]
    assert api.get("/api/auth/me", headers=bearer(key)).status_code == 200
    a.stop()
    b = servers(db=a.db)
    u.api = Api(b)
    keys = u.get("/api/keys").json()["keys"]
    assert keys[0]["last_used"] is not None


def test_deletion_cancels_the_users_queued_jobs(aapi):
    """Domain §21.6: the jobs of a deleted account do not stay in the queue."""
    u = User(aapi)
    r = u.post("/job", {"name": "mine", "vram_needed_gb": 4096})
    assert r.status_code == 200, r.text
    job = r.json()["job"]
    assert job["owner"] == u.user["customer_id"], job
    assert u.get("/api/auth/me/data-export").json()["data_export"]["total_jobs"] == 1
    assert u.delete("/api/auth/me").status_code == 200
    assert aapi.job(job["job_id"])["status"] == "cancelled"


def test_team_members_see_the_teams_jobs(aapi):
    """api §8.16 / issue 10: a member sees the jobs of the team's other members (one by one and
    as a list with ?team_id); outsiders get 404 on both; seeing is not cancelling."""
    owner, member, outsider = User(aapi, "towner"), User(aapi, "tmember"), User(aapi, "tout")
    tid = owner.post("/api/teams", {"name": "Shared"}).json()["team_id"]
    assert owner.post(f"/api/teams/{tid}/members", {"email": member.email}).status_code == 200
    jo = owner.post("/job", {"name": "owners", "vram_needed_gb": 4096}).json()["job"]["job_id"]
    jm = member.post("/job", {"name": "members", "vram_needed_gb": 4096}).json()["job"]["job_id"]
    jx = outsider.post("/job", {"name": "outsiders", "vram_needed_gb": 4096}).json()["job"]["job_id"]

    assert member.get(f"/job/{jo}").status_code == 200
    assert owner.get(f"/job/{jm}").status_code == 200
    assert_envelope(outsider.get(f"/job/{jo}"), 404)
    assert_envelope(member.get(f"/job/{jx}"), 404)
    # Without ?team_id a user's list stays their own.
    assert [j["job_id"] for j in member.get("/jobs").json()["jobs"]] == [jm]
    lst = member.get("/jobs", params={"team_id": tid}).json()
    assert sorted(j["job_id"] for j in lst["jobs"]) == sorted([jo, jm]) and lst["total"] == 2
    assert_envelope(outsider.get("/jobs", params={"team_id": tid}), 404, msg_contains="Team not found")
    assert_envelope(member.get("/jobs", params={"team_id": "team-" + "0" * 32}), 404)
    # Visibility is not ownership: a member cannot cancel another member's job.
    r = member.patch(f"/job/{jo}", {"status": "cancelled"})
    assert r.status_code in (403, 404), r.text
    assert owner.get(f"/job/{jo}").json()["job"]["status"] == "queued"
    # Leaving the team ends it.
    assert member.delete(f"/api/teams/{tid}/members/{member.email}").status_code == 200
    assert_envelope(member.get(f"/job/{jo}"), 404)
    assert_envelope(member.get("/jobs", params={"team_id": tid}), 404)


def test_resolved_credentials_are_never_stale(aapi):
    """Sessions and keys are remembered between requests (cred_cache); every change that alters
    what a credential means is seen by the very next request."""
    u = User(aapi, "cache")
    key = u.post("/api/keys/generate").json()["key"]
    for tok in (u.token, key):
        for _ in range(5):  # warm
            assert u.get("/api/auth/me", token=tok).status_code == 200
    # A role change shows at once (admin routes open, then close again).
    uid = u.id
    assert_envelope(u.get("/api/admin/users"), 403)
    assert aapi.patch(f"/api/admin/users/{uid}", {"role": "admin"}).status_code == 200
    assert u.get("/api/admin/users", token=key).status_code == 200
    assert aapi.patch(f"/api/admin/users/{uid}", {"role": "submitter"}).status_code == 200
    assert_envelope(u.get("/api/admin/users", token=key), 403)
    # Revoking the key, then disabling the account: the next request is refused.
    preview = u.get("/api/keys").json()["keys"][0]["preview"]
    assert u.delete(f"/api/keys/{preview}").status_code == 200
    assert_envelope(u.get("/api/auth/me", token=key), 401)
    assert u.get("/api/auth/me").status_code == 200
    assert aapi.patch(f"/api/admin/users/{uid}", {"disabled": True}).status_code == 200
    assert_envelope(u.get("/api/auth/me"), 401)
    # A warm session still expires on time (30 days on the test clock).
    v = User(aapi, "cache2")
    for _ in range(3):
        assert v.get("/api/auth/me").status_code == 200
    aapi.clock(30 * 86400 + 1)
    assert_envelope(v.get("/api/auth/me"), 401)
