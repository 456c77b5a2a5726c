"""Bad input on every core route with a body or parameters (api.md §1, §4; acceptance ENV-18..20):
malformed JSON, non-object bodies, wrong types, missing fields, oversize bodies, deep nesting, 10 kB ids,
path traversal and shell metacharacters, unknown routes, wrong methods, bad query parameters.

Every answer must be a 4xx JSON envelope (never a 500, never a crash), and nothing may be stored: an
autouse fixture snapshots GET /jobs and GET /hosts?active_only=false around each test and checks that the
server still answers /healthz."""
import http.client
import json
import urllib.parse

import pytest

from conftest import GOOD, Api, assert_envelope

BIG = 10_000


@pytest.fixture(scope="module")
def base(mapi):
    mapi.reg("base-h1")
    mapi.admit("base-h1")
    job = mapi.submit("base-job", 100)  # fits nowhere: stays queued
    return {"job": job["job_id"], "host": "base-h1"}


def _snapshot(api):
    jobs = api.get("/jobs").json()
    hosts = api.get("/hosts?active_only=false").json()
    pool = api.get("/autoscale/pool").json()
    canada = api.get("/canada").json()
    return jobs, hosts, pool, canada


def _revive(server):
    """If the server died (or is dying), restart it on the same port and database; returns its exit status
    (None when it was still alive)."""
    import subprocess
    try:
        rc = server.proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return None
    server.start()
    return rc


@pytest.fixture(autouse=True)
def unchanged(msrv, mapi, base):
    before = _snapshot(mapi)
    yield
    if msrv.proc.poll() is not None:
        rc = msrv.proc.returncode
        msrv.start()  # same port and database, so later tests are not cascaded failures
        pytest.fail(f"xcelsiord crashed (exit status {rc}) during this test")
    assert mapi.healthy(), "server stopped answering /healthz"
    after = _snapshot(mapi)
    assert after[0]["total"] == before[0]["total"], "a job was stored"
    assert after[0] == before[0], "jobs changed"
    assert after[1] == before[1], "hosts changed"
    assert after[2] == before[2], "autoscale pool changed"
    assert after[3] == before[3], "canada flag changed"


def raw(api, method, path, body=None, headers=None):
    """Send exactly `path` (no client-side normalisation) and return (status, headers, parsed-or-bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", api.server.port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data
    finally:
        c.close()


def assert_raw_envelope(status, headers, data, allowed):
    assert status in allowed, (status, data[:300])
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert ctype.startswith("application/json"), (status, ctype, data[:200])
    body = json.loads(data)
    assert body["ok"] is False and isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


# --- body routes ----------------------------------------------------------------------------------
# (method, path template, valid body template, required fields, {field: wrong values})
S_WRONG = [123, True, [], {}]
N_WRONG = ["abc", "24", True, [], {}]
I_WRONG = ["abc", "1", 1.5, True, []]
B_WRONG = ["maybe", 5, [], {}, "yes"]
A_WRONG = ["x", 1, {}]
O_WRONG = ["x", 1, []]

ROUTES = [
    ("PUT", "/host",
     {"host_id": "bi-new", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24, "free_vram_gb": 24},
     ["host_id", "ip", "gpu_model", "total_vram_gb", "free_vram_gb"],
     {"host_id": S_WRONG, "ip": S_WRONG, "gpu_model": S_WRONG, "total_vram_gb": N_WRONG, "free_vram_gb": N_WRONG,
      "gpu_count": I_WRONG, "cost_per_hour": N_WRONG, "country": S_WRONG, "province": S_WRONG,
      "versions": O_WRONG, "runtimes": A_WRONG}),
    ("POST", "/job", {"name": "bi", "vram_needed_gb": 8}, ["name", "vram_needed_gb"],
     {"name": S_WRONG, "vram_needed_gb": N_WRONG, "priority": I_WRONG, "num_gpus": I_WRONG, "tier": [1, True, []],
      "trust_tier": [1, True], "image": [1, True, []], "command": A_WRONG + [[1, 2]], "environment": O_WRONG + [{"A": 1}],
      "max_duration_hours": N_WRONG}),
    ("PATCH", "/job/{job}", {"status": "cancelled"}, ["status"],
     {"status": S_WRONG, "exit_code": I_WRONG, "failure_reason": S_WRONG, "host_id": [1, True, []]}),
    ("PATCH", "/job/{job}/status", {"status": "cancelled"}, ["status"],
     {"status": S_WRONG, "exit_code": I_WRONG, "failure_reason": S_WRONG}),
    ("POST", "/agent/versions", {"host_id": "{host}", "versions": GOOD}, ["host_id", "versions"],
     {"host_id": S_WRONG, "versions": O_WRONG + [{"runc": 1}], "runtimes": A_WRONG}),
    ("POST", "/agent/lease/claim", {"host_id": "{host}", "job_id": "{job}"}, ["host_id", "job_id"],
     {"host_id": S_WRONG, "job_id": S_WRONG}),
    ("POST", "/agent/lease/renew", {"host_id": "{host}", "job_id": "{job}"}, ["host_id", "job_id"],
     {"host_id": S_WRONG, "job_id": S_WRONG}),
    ("POST", "/agent/lease/release", {"host_id": "{host}", "job_id": "{job}"}, ["host_id", "job_id"],
     {"host_id": S_WRONG, "job_id": S_WRONG, "reason": S_WRONG}),
    ("POST", "/agent/logs", {"host_id": "{host}", "job_id": "{job}", "lines": [{"line": "x"}]},
     ["host_id", "job_id", "lines"],
     {"host_id": S_WRONG, "job_id": S_WRONG, "lines": A_WRONG + [[1], [{"line": 5}]]}),
    ("PUT", "/canada", {"enabled": True}, ["enabled"], {"enabled": B_WRONG}),
    ("POST", "/autoscale/pool", {"host_id": "bi-pool", "ip": "127.0.0.9", "gpu_model": "RTX 4090", "vram_gb": 24},
     ["host_id", "ip", "gpu_model", "vram_gb"],
     {"host_id": S_WRONG, "ip": S_WRONG, "gpu_model": S_WRONG, "vram_gb": N_WRONG, "gpu_count": I_WRONG,
      "cost_per_hour": N_WRONG}),
    ("POST", "/failover", {}, [], {"host_id": S_WRONG}),
    ("POST", "/agent/preempt/{host}/{job}", {}, [], {"reason": S_WRONG}),
    ("POST", "/api/test/clock", {"advance_sec": 0}, ["advance_sec"], {"advance_sec": I_WRONG + [-1]}),
]
ROUTE_IDS = [f"{m} {p}" for m, p, *_ in ROUTES]


def fill(obj, base):
    if isinstance(obj, str):
        return obj.replace("{job}", base["job"]).replace("{host}", base["host"])
    if isinstance(obj, dict):
        return {k: fill(v, base) for k, v in obj.items()}
    return obj


def send(api, method, path, data, headers=None):
    return api.req(method, path, data=data, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_malformed_json(mapi, base, route):
    method, path = route[0], fill(route[1], base)
    for data in ['{bad', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}}', "\x00", '{"a":"\xff"}'.encode("latin-1"),
                 b'{"name":"\xc3\x28"}', '{"a":NaN}', '{"a":1e99999}']:
        r = send(mapi, method, path, data)
        err = assert_envelope(r, 422, "validation_error")
        assert err.get("details"), err


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_body_not_object(mapi, base, route):
    method, path = route[0], fill(route[1], base)
    for data in ["[]", "[1,2]", '"str"', "42", "true", "null", "3.5"]:
        r = send(mapi, method, path, data)
        assert_envelope(r, 422, "validation_error")


@pytest.mark.parametrize("route", [r for r in ROUTES if r[3]], ids=[i for r, i in zip(ROUTES, ROUTE_IDS) if r[3]])
def test_missing_fields(mapi, base, route):
    method, path, valid, required = route[0], fill(route[1], base), fill(route[2], base), route[3]
    for f in required:
        body = {k: v for k, v in valid.items() if k != f}
        r = mapi.req(method, path, body)
        err = assert_envelope(r, 422, "validation_error")
        assert any(d.get("loc") == ["body", f] for d in err.get("details", [])), (f, err)
    # empty body and {} are the same thing
    assert_envelope(mapi.req(method, path, data=""), 422, "validation_error")
    assert_envelope(mapi.req(method, path, {}), 422, "validation_error")


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_wrong_types(mapi, base, route):
    method, path, valid, wrong = route[0], fill(route[1], base), fill(route[2], base), route[4]
    for field, values in wrong.items():
        for v in values:
            body = dict(valid)
            body[field] = v
            r = mapi.req(method, path, body)
            err = assert_envelope(r, 422, "validation_error")
            assert err.get("details") and err["details"][0]["loc"][0] == "body", (field, v, err)


def _big(api, method, path, data):
    """Send an oversize body.  The server may answer 413 before it has read the body and then close,
    which can reset the connection under the client (seen ~1 in 10 here); one retry keeps the test about
    the answer itself (the reset is reported separately)."""
    import requests
    for attempt in range(3):
        try:
            return api.req(method, path, data=data)
        except requests.exceptions.ConnectionError:
            if attempt == 2:
                raise


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_oversize_body_413(mapi, base, route):
    method, path, valid = route[0], fill(route[1], base), fill(route[2], base)
    body = dict(valid)
    body["pad"] = "a" * (1024 * 1024 + 16)
    assert_envelope(_big(mapi, method, path, json.dumps(body)), 413, "payload_too_large")
    assert_envelope(_big(mapi, method, path, b" " * (2 * 1024 * 1024)), 413, "payload_too_large")


def test_put_host_limit_64k(mapi, base):
    body = {"host_id": "bi-big", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24, "free_vram_gb": 24,
            "pad": "a" * (65 * 1024)}
    assert_envelope(_big(mapi, "PUT", "/host", json.dumps(body)), 413, "payload_too_large")
    # under the limit: an ordinary validation answer, not 413
    body["pad"] = "a" * (60 * 1024)
    body["total_vram_gb"] = 0
    assert_envelope(mapi.put("/host", body), 422, "validation_error")


def test_job_body_between_64k_and_1m_is_not_413(mapi, base):
    body = {"name": "big", "vram_needed_gb": 0, "pad": "a" * (512 * 1024)}
    assert_envelope(mapi.post("/job", body), 422, "validation_error")


def _nest(depth):
    """An object whose value nests `depth` levels in total (the outer object counts as 1)."""
    return '{"name":"deep","vram_needed_gb":8,"x":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_too_deep(mapi, base, route):
    method, path = route[0], fill(route[1], base)
    err = assert_envelope(send(mapi, method, path, _nest(33)), 422, "validation_error")
    assert any(d.get("type") == "too_deep" for d in err.get("details", [])), err
    # pathological depth must not crash the parser
    for data in ["[" * 200_000, '{"a":' * 100_000, _nest(5000)]:
        r = send(mapi, method, path, data)
        assert r.status_code in (413, 422), (r.status_code, r.text[:200])
        assert_envelope(r, r.status_code)


# --- ids ------------------------------------------------------------------------------------------

def test_huge_ids_in_bodies(mapi, base):
    big = "a" * BIG
    cases = [
        ("PUT", "/host", {"host_id": big, "ip": "127.0.0.1", "gpu_model": "x", "total_vram_gb": 1, "free_vram_gb": 1}),
        ("PUT", "/host", {"host_id": "bi-x", "ip": big, "gpu_model": "x", "total_vram_gb": 1, "free_vram_gb": 1}),
        ("PUT", "/host", {"host_id": "bi-x", "ip": "127.0.0.1", "gpu_model": big, "total_vram_gb": 1, "free_vram_gb": 1}),
        ("POST", "/job", {"name": big, "vram_needed_gb": 1}),
        ("POST", "/agent/versions", {"host_id": big, "versions": GOOD}),
        ("POST", "/agent/lease/claim", {"host_id": base["host"], "job_id": big}),
        ("POST", "/agent/lease/claim", {"host_id": big, "job_id": base["job"]}),
        ("POST", "/agent/lease/renew", {"host_id": base["host"], "job_id": big}),
        ("POST", "/agent/lease/release", {"host_id": base["host"], "job_id": big}),
        ("POST", "/agent/logs", {"host_id": base["host"], "job_id": big, "lines": [{"line": "x"}]}),
        ("POST", "/failover", {"host_id": big}),
        ("POST", "/autoscale/pool", {"host_id": big, "ip": "127.0.0.1", "gpu_model": "x", "vram_gb": 1}),
        ("PATCH", "/job/" + base["job"], {"status": "cancelled", "host_id": big}),
        ("PATCH", "/job/" + base["job"], {"status": big}),
    ]
    for method, path, body in cases:
        r = mapi.req(method, path, body)
        assert r.status_code in (400, 403, 404, 409, 413, 422), (method, path, r.status_code, r.text[:200])
        assert_envelope(r, r.status_code)


PATH_ROUTES = [("GET", "/job/{}"), ("PATCH", "/job/{}"), ("PATCH", "/job/{}/status"), ("POST", "/job/{}/requeue"),
               ("DELETE", "/host/{}"), ("GET", "/agent/work/{}"), ("GET", "/agent/preempt/{}"),
               ("POST", "/agent/preempt/{}/{}"), ("GET", "/jobs/{}/logs"), ("GET", "/api/audit/job/{}"),
               ("DELETE", "/autoscale/pool/{}")]


@pytest.mark.parametrize("method,tmpl", PATH_ROUTES, ids=[f"{m} {t}" for m, t in PATH_ROUTES])
def test_hostile_path_ids(msrv, mapi, base, method, tmpl):
    body = json.dumps({"status": "cancelled"}) if method == "PATCH" else None
    ids = ["a" * BIG, "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2e%2e", "..",
           "x%3Bls%20-la", "a%7Cb", "%60id%60", "%24(id)", "%24%28reboot%29", "%00", "a%00b", "%25", "%ff%fe",
           "%c3%28", "'%20OR%201=1--", "*"]
    problems = []
    for pid in ids:
        path = tmpl.format(pid, pid)
        try:
            st, hd, data = raw(mapi, method, path, body)
            assert_raw_envelope(st, hd, data, (400, 403, 404, 405, 409, 414, 422))
        except (http.client.HTTPException, OSError) as e:
            rc = _revive(msrv)
            problems.append(f"{method} {path[:60]}: no response ({e!r}); server exit status {rc}")
        except AssertionError as e:
            problems.append(f"{method} {path[:60]}: {str(e)[:200]}")
    assert not problems, "\n".join(problems)


def test_raw_traversal_paths(mapi, base):
    for method, path in [("GET", "/job/../hosts"), ("GET", "/job/../../etc/passwd"), ("DELETE", "/host/../hosts"),
                         ("GET", "/agent/work/../../hosts"), ("GET", "/jobs/../../../etc/passwd/logs"),
                         ("GET", "/%2e%2e/%2e%2e/etc/passwd"), ("GET", "/job/;ls"), ("GET", "/job/a|b"),
                         ("GET", "/job/`id`"), ("GET", "/job/$(id)"), ("PATCH", "/job/;reboot")]:
        st, hd, data = raw(mapi, method, path, json.dumps({"status": "cancelled"}) if method == "PATCH" else None)
        if st == 200:  # a server that normalises /job/../hosts to /hosts serves a harmless read
            assert method == "GET" and path.endswith("/hosts"), (method, path)
            continue
        assert_raw_envelope(st, hd, data, (400, 404, 405, 422))


def test_shell_metachars_in_body_ids(mapi, base):
    for hid in ["h1;rm -rf /", "h1|cat", "`id`", "$(id)", "../etc", "h1&&x", "h 1", "h1\n", "-h1", ".h1",
                "h\u00e9", "a" * 65]:
        r = mapi.put("/host", {"host_id": hid, "ip": "127.0.0.1", "gpu_model": "x", "total_vram_gb": 1,
                               "free_vram_gb": 1})
        err = assert_envelope(r, 422, "validation_error")
        assert err["details"][0]["loc"] == ["body", "host_id"], err
        r = mapi.post("/autoscale/pool", {"host_id": hid, "ip": "127.0.0.1", "gpu_model": "x", "vram_gb": 1})
        assert_envelope(r, 422, "validation_error")
    for name in ["a;b", "x|y", "`id`", "$(id)", "a\nb", "a\x00b"]:
        assert_envelope(mapi.post("/job", {"name": name, "vram_needed_gb": 1}), 422, "validation_error")
    for img in ["ubuntu;rm -rf /", "$(id)", "a b", "../../x"]:
        assert_envelope(mapi.post("/job", {"name": "i", "vram_needed_gb": 1, "image": img}), 422, "validation_error")
    for path in ["relative/path", "/a/../b"]:
        assert_envelope(mapi.post("/job", {"name": "n", "vram_needed_gb": 1, "nfs_server": "127.0.0.5",
                                           "nfs_path": path}), 422, "validation_error")
    assert_envelope(mapi.put("/host", {"host_id": "bi-ip", "ip": "127.0.0.1; ls", "gpu_model": "x",
                                       "total_vram_gb": 1, "free_vram_gb": 1}), 422, "validation_error")


def test_other_field_constraints(mapi, base):
    hb = {"host_id": "bi-c", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24, "free_vram_gb": 24}
    cases = []
    for extra in [{"free_vram_gb": 25}, {"total_vram_gb": 0}, {"total_vram_gb": 4097}, {"free_vram_gb": -1},
                  {"province": "XX"}, {"country": "CAN"}, {"gpu_count": 0}, {"gpu_count": 65},
                  {"cost_per_hour": -0.01}, {"cost_per_hour": 1000.01}, {"gpu_model": ""}, {"gpu_model": "g" * 129},
                  {"ip": "not-an-ip"}, {"ip": "999.1.1.1"}, {"runtimes": [1]}, {"runtimes": ["runc", {}]},
                  {"corporation_name": "c" * 201}]:
        b = dict(hb)
        b.update(extra)
        cases.append(("PUT", "/host", b))
    job = "/job/" + base["job"]
    cases += [
        ("PATCH", job, {"status": "failed", "failure_reason": "r" * 501}),
        ("PATCH", job, {"status": "failed", "exit_code": 2 ** 31}),
        ("POST", "/agent/versions", {"host_id": base["host"], "versions": {f"k{i}": "1" for i in range(33)}}),
        ("POST", "/agent/versions", {"host_id": base["host"], "versions": dict(GOOD, runc=["1.2.4"])}),
        ("POST", "/agent/versions", {"host_id": base["host"], "versions": GOOD, "runtimes": [1]}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "environment": {f"K{i}": "v" for i in range(65)}}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "environment": {"K": "v" * 4097}}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "command": ["x"] * 65}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "command": ["x" * 4097]}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "image": "a" * 256}),
        ("POST", "/job", {"name": "e", "vram_needed_gb": 1, "max_duration_hours": 721}),
    ]
    problems = []
    for method, path, body in cases:
        r = mapi.req(method, path, body)
        if r.status_code != 422 or r.json().get("error", {}).get("code") != "validation_error":
            shown = {k: (v if len(json.dumps(v)) < 60 else "<long>") for k, v in body.items()}
            problems.append(f"{method} {path} {shown}: expected 422, got {r.status_code} {r.text[:120]}")
    assert not problems, "\n".join(problems)


# --- routing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/nope"), ("GET", "/api/nope"), ("POST", "/jobs/x/y/z"),
                                         ("GET", "/job"), ("GET", "/hostsx"), ("POST", "/job/x/unknown"),
                                         ("GET", "/agent/work"), ("GET", "/agent/work/"), ("GET", "/job//x"),
                                         ("PUT", "/host/x/y"), ("GET", "/ssh/pubkey"), ("GET", "/swagger")])
def test_unknown_routes_404(mapi, base, method, path):
    st, hd, data = raw(mapi, method, path)
    assert_raw_envelope(st, hd, data, (404,) if path not in ("/job",) else (404, 405))
    assert json.loads(data)["error"]["code"] in ("not_found", "method_not_allowed")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/hosts", {"GET"}), ("POST", "/hosts", {"GET"}), ("GET", "/host", {"PUT"}),
    ("POST", "/host", {"PUT"}), ("PUT", "/jobs", {"GET"}), ("GET", "/queue/process", {"POST"}),
    ("GET", "/queue/process/ca", {"POST"}), ("GET", "/failover", {"POST"}), ("POST", "/canada", {"GET", "PUT"}),
    ("PUT", "/job/{job}", {"GET", "PATCH"}), ("DELETE", "/job/{job}", {"GET", "PATCH"}),
    ("GET", "/job/{job}/requeue", {"POST"}), ("GET", "/agent/lease/claim", {"POST"}),
    ("PUT", "/agent/work/{host}", {"GET"}), ("GET", "/agent/versions", {"POST"}), ("POST", "/healthz", {"GET"}),
    ("HEAD", "/healthz", {"GET"}), ("HEAD", "/hosts", {"GET"}), ("POST", "/metrics", {"GET"}),
    ("POST", "/api/stream", {"GET"}), ("GET", "/agent/logs", {"POST"}), ("DELETE", "/autoscale/cycle", {"POST"}),
    ("PUT", "/autoscale/pool", {"GET", "POST"}), ("GET", "/hosts/check", {"POST"}),
])
def test_wrong_method_405(mapi, base, method, path, allowed):
    path = fill(path, base)
    st, hd, data = raw(mapi, method, path)
    assert st == 405, (st, data[:200])
    h = {k.lower(): v for k, v in hd.items()}
    assert "allow" in h, hd
    got = {m.strip() for m in h["allow"].split(",")}
    assert got == allowed, (h["allow"], allowed)
    if method != "HEAD":
        assert_raw_envelope(st, hd, data, (405,))
        assert json.loads(data)["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path,loc", [
    ("/hosts?active_only=maybe", "active_only"), ("/hosts?active_only=", "active_only"),
    ("/hosts?active_only=2", "active_only"), ("/jobs?status=bogus", "status"), ("/jobs?status=QUEUED%3B", "status"),
    ("/jobs?limit=0", "limit"), ("/jobs?limit=-5", "limit"), ("/jobs?limit=abc", "limit"),
    ("/jobs?limit=5001", "limit"), ("/jobs?limit=1.5", "limit"), ("/jobs?offset=-1", "offset"),
    ("/jobs?offset=x", "offset"), ("/jobs?limit=99999999999999999999999", "limit"),
    ("/jobs/{job}/logs?limit=0", "limit"), ("/jobs/{job}/logs?limit=abc", "limit"),
    ("/metrics?format=xml", "format"), ("/hosts?active_only=true&active_only=maybe", "active_only"),
])
def test_bad_query_422(mapi, base, path, loc):
    r = mapi.get(fill(path, base))
    err = assert_envelope(r, 422, "validation_error")
    assert any(d.get("loc") == ["query", loc] for d in err["details"]), err


def test_good_query_variants(mapi, base):
    assert mapi.get("/hosts?active_only=maybe&active_only=false").status_code == 200  # last one wins
    assert mapi.get("/jobs?status=queued&limit=5000&offset=0").status_code == 200
    assert mapi.get("/hosts/ca?unknown=1").status_code == 200
    assert mapi.get("/jobs?status=queued&host_id=" + urllib.parse.quote("a" * BIG)).status_code == 200


def test_content_type_ignored_and_query_token_rejected(mapi, base):
    r = mapi.req("POST", "/job", data='{"name":"","vram_needed_gb":1}', headers={"Content-Type": "text/plain"})
    assert_envelope(r, 422, "validation_error")
    r = mapi.req("POST", "/job", data="name=x&vram_needed_gb=1",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_envelope(r, 422, "validation_error")


def test_garbage_requests_do_not_crash(mapi, base):
    import socket
    for payload in [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                    b"POST /job HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{}",
                    b"POST /job HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}",
                    b"POST /job HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 10000 + b"\r\n"]:
        s = socket.create_connection(("127.0.0.1", mapi.server.port), timeout=5)
        try:
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except OSError:  # the server may close early on a hostile request; that is fine
                pass
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
                # 505 is the protocol-level answer to "HTTP/9.9"; everything else must be a 4xx
                assert status == 0 or 400 <= status < 500 or (status == 505 and b"9.9" in payload), data[:200]
        finally:
            s.close()
        assert mapi.healthy()


def test_nesting_32_accepted(servers):
    a = Api(servers())
    r = a.req("POST", "/job", data=_nest(32))
    assert r.status_code == 200, r.text
    assert a.jobs_total() == 1
