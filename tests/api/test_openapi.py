"""GET /openapi.json and the declared-input validation (issue 9: one declaration per route).

The route list is read independently from src/server/http/routes.c (the table's PUBLIC(...) /
ROUTE(...) entries and the field arrays they name), then compared with the served document, which
must also pass an OpenAPI validator from npm (@apidevtools/swagger-parser, installed under
tests/e2e/node_modules by scripts/deps.sh --test or tests/e2e/run.sh).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import assert_envelope

SRC = os.environ.get("XC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
ROUTES_C = os.path.join(SRC, "src", "server", "http", "routes.c")
E2E = os.path.join(SRC, "tests", "e2e")
VALIDATOR = os.path.join(E2E, "openapi-validate.mjs")

FIELD_RE = re.compile(r'\bF_(STR|INT|FIXED|BOOL|OBJ|ARR|TS)\("([a-z_]+)"([^()]*(?:\([^()]*\)[^()]*)*)\)')
ENTRY_RE = re.compile(r'^\s*(PUBLIC|ROUTE)\("([A-Z]+)", "([^"]+)", (h_\w+)(.*)\),\s*$', re.M)


def _fields(text, macros):
    """[(name, required)] of a field-array initializer, expanding the file's field macros."""
    for name, body in macros.items():
        text = re.sub(r"\b%s\b" % name, body, text)
    return [(m.group(2), ".required = true" in m.group(3)) for m in FIELD_RE.finditer(text)]


def parse_routes_c():
    src = open(ROUTES_C).read()
    macros = {m.group(1): m.group(2).replace("\\\n", " ")
              for m in re.finditer(r"#define (\w+_FIELDS)\s+((?:.*\\\n)*.*)", src)}
    arrays = {m.group(1): _fields(m.group(2), macros)
              for m in re.finditer(r"static const struct field (\w+)\[\] = \{(.*?)\};", src, re.S)}
    routes = []
    for m in ENTRY_RE.finditer(src):
        kind, method, path, handler, rest = m.groups()
        mark = "P" if kind == "PUBLIC" else rest.split(",")[1].strip()  # P A S U O(JOB) H(HOST) …
        q = re.search(r"\.query = (\w+)", rest)
        b = re.search(r"\.body = (\w+)", rest)
        routes.append({"method": method, "path": path, "mark": mark,
                       "query": arrays[q.group(1)] if q else [], "body": arrays[b.group(1)] if b else None,
                       "response": re.search(r'\.response = "(\w+)"', rest).group(1)})
    return routes


ROUTES = parse_routes_c()


@pytest.fixture(scope="module")
def doc(mapi):
    r = mapi.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    return r.json()


def test_routes_c_parsed():
    # A sanity floor, so a parser that silently finds nothing cannot pass the checks below.
    assert len(ROUTES) >= 75
    assert {"method": "GET", "path": "/openapi.json"}.items() <= next(
        r for r in ROUTES if r["path"] == "/openapi.json").items()


def test_document_validates_with_swagger_parser(doc):
    node = shutil.which("node")
    assert node, "node is required (scripts/deps.sh --test)"
    assert os.path.isdir(os.path.join(E2E, "node_modules", "@apidevtools", "swagger-parser")), \
        "the validator is not installed: run scripts/deps.sh --test (npm ci in tests/e2e)"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    try:
        p = subprocess.run([node, VALIDATOR, f.name], cwd=E2E, capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    assert p.returncode == 0, p.stdout + p.stderr
    assert doc["openapi"].startswith("3.1")


def test_every_route_present_with_its_schema(doc):
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    declared = {(r["method"], r["path"]) for r in ROUTES}
    assert documented == declared
    for rt in ROUTES:
        op = doc["paths"][rt["path"]][rt["method"].lower()]
        where = f'{rt["method"]} {rt["path"]}'
        # Path parameters, then the declared query parameters, by name.
        path_params = re.findall(r"\{(\w+)\}", rt["path"])
        params = op.get("parameters", [])
        assert [p["name"] for p in params if p["in"] == "path"] == path_params, where
        assert [(p["name"], p["required"]) for p in params if p["in"] == "query"] == rt["query"], where
        for p in params:
            assert "type" in p["schema"], where
        # The body: every declared field, and the required ones.
        if rt["body"] is None:
            assert "requestBody" not in op, where
        else:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert list(schema["properties"]) == [n for n, _ in rt["body"]], where
            assert schema.get("required", []) == [n for n, req in rt["body"] if req], where
            for name, s in schema["properties"].items():
                assert "type" in s, f"{where} {name}"
        # The response shape and the security of the permission mark.
        content = op["responses"]["200"]["content"]
        (media,) = content.values()
        assert media["schema"]["$ref"] == "#/components/schemas/" + rt["response"], where
        assert rt["response"] in doc["components"]["schemas"]
        assert op["x-permission"] == rt["mark"][0] and rt["mark"][0] in "PASUOH", where
        if rt["mark"] == "P":
            assert op["security"] == [], where
        else:
            assert op["security"] == [{"bearerAuth": []}], where
        if rt["body"] or rt["query"]:
            assert op["responses"]["422"]["$ref"] == "#/components/responses/ValidationError", where


def test_every_declared_get_route_answers(mapi):
    """Probing: each parameterless GET of the table is routed (never 404/405)."""
    for rt in ROUTES:
        if rt["method"] == "GET" and "{" not in rt["path"] and rt["path"] not in ("/api/stream",):
            r = mapi.get(rt["path"], stream=True)
            assert r.status_code not in (404, 405), f'{rt["path"]}: {r.status_code}'
            r.close()


def detail(r):
    assert_envelope(r, 422, "validation_error")
    (d,) = r.json()["error"]["details"]
    return d


def test_missing_required_body_field_named_for_every_route(doc, mapi):
    """Driven by the document: {} to each route with a required body field answers 422 naming
    the first required field (validation runs before any handler). User routes (U) are gated
    first in every environment, so they are called with a registered user's session."""
    reg = mapi.post("/api/auth/register", {"email": "openapi-probe@example.com", "password": "probe-pass-123"})
    assert reg.status_code == 200, reg.text
    user = {"Authorization": "Bearer " + reg.json()["access_token"]}
    n = 0
    for rt in ROUTES:
        required = [name for name, req in (rt["body"] or []) if req]
        if not required:
            continue
        path = re.sub(r"\{customer_id\}", "cust-x", re.sub(r"\{\w+\}", "x1", rt["path"]))
        d = detail(mapi.req(rt["method"], path, {}, headers=user if rt["mark"] == "U" else None))
        assert d["loc"] == ["body", required[0]] and d["type"] == "missing", f'{rt["path"]}: {d}'
        n += 1
    assert n >= 15


@pytest.mark.parametrize("method,path,body,loc,typ", [
    ("POST", "/job", {"name": "ok", "vram_needed_gb": "8"}, ["body", "vram_needed_gb"], "type_error"),
    ("POST", "/job", {"name": "-bad", "vram_needed_gb": 8}, ["body", "name"], "pattern"),
    ("POST", "/job", {"name": "ok", "vram_needed_gb": 0}, ["body", "vram_needed_gb"], "greater_than"),
    ("POST", "/job", {"name": "ok", "vram_needed_gb": 8, "priority": 11}, ["body", "priority"], "less_equal"),
    ("POST", "/job", {"name": "ok", "vram_needed_gb": 8, "image": "UPPER/Case"}, ["body", "image"], "pattern"),
    ("POST", "/job", {"name": "ok", "vram_needed_gb": 8, "owner": "bob"}, ["body", "owner"], "pattern"),
    ("POST", "/job", {"name": "ok", "vram_needed_gb": 8, "command": "echo"}, ["body", "command"], "type_error"),
    ("POST", "/spot/job", {"name": "ok", "vram_needed_gb": 8}, ["body", "max_bid"], "missing"),
    ("PUT", "/canada", {"enabled": "yes"}, ["body", "enabled"], "type_error"),
    ("PUT", "/host", {"host_id": "h1", "ip": "not-an-ip", "gpu_model": "x", "total_vram_gb": 1, "free_vram_gb": 1},
     ["body", "ip"], "pattern"),
    ("POST", "/agent/lease/release", {"host_id": "h", "job_id": "j", "reason": "done"}, ["body", "reason"], "enum"),
    ("POST", "/agent/mining-alert", {"host_id": "h", "gpu_index": 0, "confidence": 2, "reason": "r"},
     ["body", "confidence"], "less_equal"),
    ("GET", "/jobs?status=bogus", None, ["query", "status"], "enum"),
    ("GET", "/jobs?limit=0", None, ["query", "limit"], "greater_equal"),
    ("GET", "/jobs?limit=x", None, ["query", "limit"], "type_error"),
    ("GET", "/hosts?active_only=maybe", None, ["query", "active_only"], "type_error"),
    ("GET", "/metrics?format=xml", None, ["query", "format"], "enum"),
    ("GET", "/marketplace/search?sort_by=age", None, ["query", "sort_by"], "enum"),
    ("GET", "/marketplace/search?max_price=cheap", None, ["query", "max_price"], "type_error"),
    ("GET", "/billing?since=-5", None, ["query", "since"], "type_error"),
    ("GET", "/api/billing/invoice/cust-1?province=ZZ", None, ["query", "province"], "enum"),
    ("GET", "/api/billing/attestation?customer_id=a%20b", None, ["query", "customer_id"], "pattern"),
])
def test_validation_422_names_the_field(mapi, method, path, body, loc, typ):
    d = detail(mapi.req(method, path, body))
    assert d["loc"] == loc and d["type"] == typ, d


def test_first_failing_field_in_declaration_order(mapi):
    d = detail(mapi.post("/job", {"vram_needed_gb": "x", "priority": 99}))
    assert d["loc"] == ["body", "name"]


def test_enum_message_lists_the_declared_values(mapi):
    d = detail(mapi.get("/jobs?status=bogus"))
    assert d["msg"] == "must be one of queued, assigned, leased, running, completed, failed, preempted, cancelled"


def test_case_blind_enum_accepts_any_case(mapi):
    r = mapi.get("/api/billing/invoice/cust-1?province=on")
    assert r.status_code == 200, r.text


def test_valid_values_pass_through_to_the_handler(mapi):
    r = mapi.get("/jobs?limit=1&status=queued")
    assert r.status_code == 200 and r.json()["ok"] is True
    r = mapi.post("/api/pricing/estimate", {"gpu_model": "RTX 4090", "duration_hours": 2.5, "spot": True})
    assert r.status_code == 200, r.text


def test_docs_page_and_viewer_are_embedded(mapi):
    r = mapi.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/docs/redoc.standalone.js" in r.text and "/openapi.json" in r.text
    assert "https://" not in r.text.split("<body>")[1]  # no CDN
    js = mapi.get("/docs/redoc.standalone.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "cdn.redoc.ly" not in js.text
