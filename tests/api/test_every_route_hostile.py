"""Hostile input on every route of the table (read from routes.c, so a route added later is swept
too): nasty path parameters (10 kB, traversal, SQL and shell metacharacters, %00, invalid UTF-8),
malformed, wrongly typed and too-deep bodies, nonsense query strings — as the open test gate's
operator and as a signed-in user. Nothing may answer 5xx or a non-JSON error, the server must stay
up, and afterwards the store must pass SQLite's integrity check."""
import json
import sqlite3

import requests

from conftest import start
from test_openapi import ROUTES

PARAMS = ["x" * 10240, "..%2F..%2Fetc%2Fpasswd", "a%00b", "%27%3B%20DROP%20TABLE%20jobs%3B--", "%24(reboot)",
          "%C3%BC", "%FF%FE", "job-" + "0" * 32]
BODIES = [b"not json", b"[]", b'{"a":', b"[" * 5000 + b"]" * 5000, b'{"x":"\xff\xfe"}', b"{}", b'{"' + b"k" * 9000 + b'":1}',
          json.dumps({"amount_cad": "1e400", "host_id": "../x", "status": ["running"], "limit": -1}).encode()]
QUERY = "?limit=-1&since=abc&offset=1e99&status=%00&cursor=%FF&days=0&group_by=%27"


def fill(path, value):
    out, i = [], 0
    while i < len(path):
        if path[i] == "{":
            j = path.index("}", i)
            out.append(value)
            i = j + 1
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def check(r, what):
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers.get("Content-Type", "").startswith("application/json"), what
        body = r.json()
        assert body.get("ok") is False and isinstance(body["error"]["message"], str), what


def test_every_route_survives_hostile_input():
    s = start()
    try:
        sess = requests.Session()
        reg = sess.post(s.url + "/api/auth/register", json={"email": "hostile@example.com", "password": "hostile-pass-1"})
        assert reg.status_code == 200, reg.text
        user = {"Authorization": "Bearer " + reg.json()["access_token"]}
        sent = 0
        for rt in ROUTES:
            method, path = rt["method"], rt["path"]
            streaming = path.endswith("/stream")
            values = PARAMS if "{" in path else ["-"]
            for who in ({}, user):
                for v in values:
                    url = s.url + fill(path, v) + ("" if streaming else QUERY)
                    r = sess.request(method, url, headers=who, timeout=30, stream=streaming)
                    check(r, f"{method} {url[:120]}")
                    r.close()
                    sent += 1
                if method in ("POST", "PUT", "PATCH"):
                    for b in BODIES:
                        url = s.url + fill(path, "job-" + "1" * 32)
                        r = sess.request(method, url, data=b, headers=dict(who, **{"Content-Type": "application/json"}),
                                         timeout=30)
                        check(r, f"{method} {path} body {b[:40]!r}")
                        sent += 1
        assert sent > 1000
        assert sess.get(s.url + "/healthz", timeout=5).status_code == 200
        db = sqlite3.connect(f"file:{s.db}?mode=ro", uri=True)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
    finally:
        s.stop()
