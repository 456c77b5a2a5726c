"""Black-box tests of the transparency, legal-request, events and leases routes (api §7.3, §8.11;
domain §9.1, §20.5, §23.3): legal request -> respond (once, even under two concurrent responds) ->
the public report's counts by type and jurisdiction, pending never negative, the CLOUD Act note
switching with a disclosure to a foreign authority in the window; the events and leases routes'
filters and pages; the lease state machine's events; bad input (422/404, never a 500) and what a
user may see (EV-06, EV-08, EV-10)."""
import os
import sys
import threading
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import Api, assert_envelope, start  # noqa: E402

NOTE_HEAD = ("Xcelsior is a Canadian-controlled entity. All data resides in Canadian jurisdiction. "
             "Foreign legal process requires MLAT through Canadian courts. ")
NOTE_NONE = NOTE_HEAD + "No US CLOUD Act compelled disclosure has been made."


def ok(r, status=200):
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    body = r.json()
    assert next(iter(body)) == "ok" and body["ok"] is True
    return body


def detail(r):
    assert_envelope(r, 422, "validation_error")
    (d,) = r.json()["error"]["details"]
    return d


def legal(api, **body):
    return ok(api.post("/api/transparency/legal-request", body))["request_id"]


def respond(api, rid, **body):
    return api.post(f"/api/transparency/legal-request/{rid}/respond", body)


def report(api, months=None):
    return ok(api.get("/api/transparency/report" + (f"?months={months}" if months else "")))


def register(server, role="submitter"):
    r = Api(server).post("/api/auth/register", {"email": f"t-{uuid.uuid4().hex[:10]}@example.com",
                                               "password": "transp-pass-1", "role": role})
    assert r.status_code == 200, r.text
    return Api(server, token=r.json()["access_token"]), r.json()["user"]


@pytest.fixture
def srv():
    s = start()
    yield s
    s.stop()


@pytest.fixture
def api(srv):
    return Api(srv)


# ---- legal requests and the transparency report ----------------------------------------------

def test_empty_report(api):
    rep = report(api)
    assert rep["period_months"] == 12 and isinstance(rep["generated_at"], float)
    assert rep["summary"] == {"requests_received": 0, "complied": 0, "challenged": 0, "pending": 0,
                              "by_type": {}, "by_jurisdiction": {}, "data_disclosures": 0}
    assert rep["cloud_act_note"] == NOTE_NONE and "Canadian" in rep["cloud_act_note"]
    assert rep["requests"] == [] and rep["disclosures"] == []


def test_request_respond_report(api):
    ca = legal(api, request_type="subpoena", jurisdiction="CA", authority="RCMP", scope="user 7", notes="n1")
    us = legal(api, request_type="warrant", jurisdiction="US", authority="FBI", scope="all")
    fr = legal(api, request_type="mlat", jurisdiction="FR")
    dflt = legal(api)  # subpoena, CA
    for rid in (ca, us, fr, dflt):
        assert len(rid) == 32 and int(rid, 16) >= 0
    rep = report(api)
    s = rep["summary"]
    assert s["requests_received"] == 4 and s["pending"] == 4 and s["complied"] == 0 and s["challenged"] == 0
    assert s["by_type"] == {"subpoena": 2, "warrant": 1, "mlat": 1}
    assert s["by_jurisdiction"] == {"CA": 2, "US": 1, "FR": 1}
    for q in rep["requests"]:  # redacted for the public
        assert set(q) == {"request_id", "received_at", "request_type", "jurisdiction", "status", "responded_at",
                          "complied", "challenged"}
        assert q["status"] == "received" and q["responded_at"] is None

    # A disclosure to a Canadian authority counts, but leaves the note as it is.
    body = ok(respond(api, ca, complied=True, disclosed_records=5, data_category="billing", notes="done"))
    assert body == {"ok": True, "request_id": ca, "status": "responded"}
    rep = report(api)
    assert rep["summary"]["data_disclosures"] == 1 and rep["summary"]["complied"] == 1
    assert rep["summary"]["pending"] == 3 and rep["cloud_act_note"] == NOTE_NONE
    (d,) = rep["disclosures"]
    assert d["request_id"] == ca and d["jurisdiction"] == "CA" and d["records_disclosed"] == 5
    assert d["data_category"] == "billing" and len(d["disclosure_id"]) == 32

    # Challenged without disclosure: no disclosure row.
    ok(respond(api, fr, challenged=True))
    # The foreign disclosure switches the note's last sentence.
    ok(respond(api, us, complied=True, challenged=True, disclosed_records=1))
    ok(respond(api, dflt))
    rep = report(api)
    s = rep["summary"]
    assert s["requests_received"] == 4 and s["pending"] == 0  # never negative
    assert s["complied"] == 2 and s["challenged"] == 2 and s["data_disclosures"] == 2
    assert rep["cloud_act_note"] == NOTE_HEAD + \
        "1 disclosure(s) to foreign authorities were made in this period; see disclosures."
    byid = {q["request_id"]: q for q in rep["requests"]}
    assert byid[us]["status"] == "responded" and byid[us]["complied"] and byid[us]["challenged"]
    assert isinstance(byid[us]["responded_at"], float)


def test_respond_once(api):
    rid = legal(api, request_type="production_order")
    ok(respond(api, rid, complied=True))
    assert_envelope(respond(api, rid, complied=False), 409, "conflict", f"Request {rid} already responded")
    rep = report(api)
    assert rep["summary"]["complied"] == 1 and rep["summary"]["pending"] == 0


def test_two_concurrent_responds_one_wins(srv):
    api = Api(srv)
    for _ in range(5):
        rid = legal(api, request_type="informal", jurisdiction="US")
        barrier = threading.Barrier(2)
        out = []

        def go():
            a = Api(srv)
            barrier.wait()
            out.append(respond(a, rid, complied=True, disclosed_records=2))

        ts = [threading.Thread(target=go) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        codes = sorted(r.status_code for r in out)
        assert codes == [200, 409], [r.text for r in out]
        loser = next(r for r in out if r.status_code == 409)
        assert loser.json()["error"]["message"] == f"Request {rid} already responded"
    rep = report(api)
    assert rep["summary"]["data_disclosures"] == 5 and len(rep["disclosures"]) == 5  # one per request
    ev = ok(api.get(f"/api/events/legal/{rid}"))["events"]
    assert [e["event_type"] for e in ev] == ["transparency.legal_request", "transparency.legal_response"]


def test_window(api):
    old = legal(api, request_type="warrant", jurisdiction="US")
    ok(respond(api, old, disclosed_records=3))
    api.clock(361 * 86400)  # 12 months x 30 days is 360 days: the request is out of the default window
    legal(api, request_type="subpoena", jurisdiction="CA")
    rep = report(api)
    assert rep["summary"]["requests_received"] == 1 and rep["summary"]["by_jurisdiction"] == {"CA": 1}
    assert rep["summary"]["data_disclosures"] == 0 and rep["cloud_act_note"] == NOTE_NONE
    rep = report(api, months=13)
    assert rep["period_months"] == 13 and rep["summary"]["requests_received"] == 2
    assert rep["cloud_act_note"].endswith("1 disclosure(s) to foreign authorities were made in this period; "
                                          "see disclosures.")


def test_legal_events_in_chain(api):
    rid = legal(api, request_type="mlat", jurisdiction="DE", authority="BKA", notes="secret notes")
    ok(respond(api, rid, complied=True, disclosed_records=4, notes="answered"))
    ev = ok(api.get(f"/api/events/legal/{rid}"))["events"]
    assert [e["event_type"] for e in ev] == ["transparency.legal_request", "transparency.legal_response"]
    assert ev[0]["entity_type"] == "legal" and ev[0]["data"] == {"request_type": "mlat", "jurisdiction": "DE"}
    assert ev[1]["data"]["complied"] is True and ev[1]["data"]["disclosed_records"] == 4
    assert "secret" not in str(ev)
    chain = ok(api.get("/api/audit/verify-chain"))["chain_integrity"]
    assert chain["valid"] is True and chain["events_checked"] >= 2


@pytest.mark.parametrize("body,loc,typ", [
    ({"request_type": "letter"}, "request_type", "enum"),
    ({"request_type": 3}, "request_type", "type_error"),
    ({"jurisdiction": ""}, "jurisdiction", "too_short"),
    ({"jurisdiction": "x" * 2001}, "jurisdiction", "too_long"),
    ({"authority": 5}, "authority", "type_error"),
    ({"scope": "s" * 2001}, "scope", "too_long"),
    ({"notes": ["n"]}, "notes", "type_error"),
])
def test_legal_request_bad_input(api, body, loc, typ):
    d = detail(api.post("/api/transparency/legal-request", body))
    assert d["loc"] == ["body", loc] and d["type"] == typ
    assert report(api)["summary"]["requests_received"] == 0  # nothing written


@pytest.mark.parametrize("body,loc,typ", [
    ({"disclosed_records": -1}, "disclosed_records", "greater_equal"),
    ({"disclosed_records": "3"}, "disclosed_records", "type_error"),
    ({"complied": "yes"}, "complied", "type_error"),
    ({"challenged": 1}, "challenged", "type_error"),
    ({"notes": "n" * 2001}, "notes", "too_long"),
    ({"data_category": 7}, "data_category", "type_error"),
])
def test_respond_bad_input(api, body, loc, typ):
    rid = legal(api)
    d = detail(respond(api, rid, **body))
    assert d["loc"] == ["body", loc] and d["type"] == typ
    assert report(api)["summary"]["pending"] == 1  # still received


def test_respond_unknown_and_malformed(api):
    unknown = uuid.uuid4().hex
    assert_envelope(respond(api, unknown), 404, "not_found", f"Request {unknown} not found")
    assert_envelope(respond(api, "not-an-id"), 404, "not_found")
    r = api.req("POST", "/api/transparency/legal-request", data="{not json")
    assert detail(r)["type"] == "json_invalid"
    assert_envelope(api.get("/api/transparency/legal-request"), 405, "method_not_allowed")


@pytest.mark.parametrize("q,typ", [("0", "greater_equal"), ("121", "less_equal"), ("x", "type_error")])
def test_report_bad_months(api, q, typ):
    d = detail(api.get(f"/api/transparency/report?months={q}"))
    assert d["loc"] == ["query", "months"] and d["type"] == typ


def test_report_public_in_production(servers):
    token = "adm-" + "T" * 40
    s = servers(env={"XCELSIOR_ENV": "production", "XCELSIOR_API_TOKEN": token,
                     "XCELSIOR_SECRET_KEY": "sec-" + "T" * 40})
    anon, op = Api(s), Api(s, token=token)
    assert_envelope(anon.post("/api/transparency/legal-request", {}), 401, "unauthorized")
    rid = legal(op, jurisdiction="US", authority="FBI", scope="everything", notes="sealed")
    rep = report(anon)
    assert rep["summary"]["requests_received"] == 1
    assert "FBI" not in str(rep) and "sealed" not in str(rep) and "everything" not in str(rep)
    assert_envelope(anon.get(f"/api/events/legal/{rid}"), 401, "unauthorized")


# ---- events and leases -----------------------------------------------------------------------

def _placed(api, name="ev", vram=8):
    jid = api.submit(name, vram)["job_id"]
    assert any(a["job_id"] == jid for a in api.process())
    return jid


def test_entity_events_filter_and_page(api):
    api.host_up("h1")
    jid = _placed(api)
    ok(api.claim(jid, "h1"))
    ok(api.status(jid, "running", "h1"))
    ok(api.status(jid, "completed", "h1"))
    other = api.submit("other", 8)["job_id"]
    ev = ok(api.get(f"/api/events/job/{jid}"))
    assert ev["entity_type"] == "job" and ev["entity_id"] == jid
    types = [e["event_type"] for e in ev["events"]]
    assert types == ["job.submitted", "job.assigned", "job.lease.granted", "job.running", "job.completed"]
    assert all(e["entity_id"] == jid for e in ev["events"])
    seqs = [e["seq"] for e in ev["events"]]
    assert seqs == sorted(seqs)  # oldest first
    e0 = ev["events"][0]
    assert set(e0) == {"seq", "event_id", "event_type", "entity_type", "entity_id", "timestamp", "ts_us", "actor",
                       "data", "metadata", "prev_hash", "event_hash"}
    one = ok(api.get(f"/api/events/job/{jid}?event_type=job.completed"))["events"]
    assert len(one) == 1 and one[0]["data"]["new_state"] == "completed"
    two = ok(api.get(f"/api/events/job/{jid}?limit=2"))["events"]
    assert [e["event_type"] for e in two] == types[:2]
    since = ev["events"][3]["ts_us"] / 1e6
    later = ok(api.get(f"/api/events/job/{jid}?since={since:.6f}"))["events"]
    assert [e["event_type"] for e in later][-2:] == types[-2:] and all(e["ts_us"] >= ev["events"][3]["ts_us"]
                                                                        for e in later)
    assert ok(api.get(f"/api/events/job/{jid}?since=99999999999"))["events"] == []
    assert [e["event_type"] for e in ok(api.get(f"/api/events/job/{other}"))["events"]] == ["job.submitted"]
    hev = ok(api.get("/api/events/host/h1"))["events"]
    assert hev and all(e["entity_type"] == "host" and e["entity_id"] == "h1" for e in hev)
    assert ok(api.get("/api/events/nothing/here"))["events"] == []


@pytest.mark.parametrize("q,loc,typ", [
    ("limit=0", "limit", "greater_equal"), ("limit=1001", "limit", "less_equal"), ("limit=x", "limit", "type_error"),
    ("since=yesterday", "since", "type_error"), ("event_type=", "event_type", "too_short"),
])
def test_events_bad_query(api, q, loc, typ):
    d = detail(api.get(f"/api/events/job/{uuid.uuid4().hex}?{q}"))
    assert d["loc"] == ["query", loc] and d["type"] == typ


def test_active_lease_route(api):
    api.host_up("h1")
    jid = _placed(api)
    assert_envelope(api.get(f"/api/events/leases/{jid}"), 404, "not_found", f"No active lease for job {jid}")
    claimed = ok(api.claim(jid, "h1"))
    lease = ok(api.get(f"/api/events/leases/{jid}"))["lease"]
    assert lease["lease_id"] == claimed["lease_id"] and lease["job_id"] == jid and lease["host_id"] == "h1"
    assert lease["status"] == "active" and lease["duration_sec"] == 300
    assert lease["expires_at"] > lease["granted_at"] and lease["last_renewed"] == lease["granted_at"]
    ok(api.post("/agent/lease/renew", {"host_id": "h1", "job_id": jid}))
    renewed = ok(api.get(f"/api/events/leases/{jid}"))["lease"]
    assert renewed["expires_at"] >= lease["expires_at"]
    ok(api.status(jid, "running", "h1"))
    ok(api.status(jid, "completed", "h1"))
    assert_envelope(api.get(f"/api/events/leases/{jid}"), 404, "not_found", f"No active lease for job {jid}")
    unknown = uuid.uuid4().hex
    assert_envelope(api.get(f"/api/events/leases/{unknown}"), 404, "not_found", f"Job {unknown} not found")
    assert_envelope(api.get("/api/events/leases/bad-id"), 404, "not_found")
    released = ok(api.get("/api/leases?status=released"))["leases"]
    assert [x["lease_id"] for x in released] == [lease["lease_id"]] and released[0]["status"] == "released"


def test_leases_list_filter_and_page(api):
    api.host_up("h1")
    jobs = [_placed(api, f"l{i}") for i in range(3)]
    ids = [ok(api.claim(j, "h1"))["lease_id"] for j in jobs]
    active = ok(api.get("/api/leases"))
    assert active["count"] == 3 and {x["lease_id"] for x in active["leases"]} == set(ids)
    assert all(x["status"] == "active" for x in active["leases"])
    grants = [x["granted_at"] for x in active["leases"]]
    assert grants == sorted(grants, reverse=True)  # newest grant first
    p1 = ok(api.get("/api/leases?status=active&limit=2"))["leases"]
    p2 = ok(api.get("/api/leases?status=active&limit=2&offset=2"))["leases"]
    assert len(p1) == 2 and len(p2) == 1
    assert [x["lease_id"] for x in p1 + p2] == [x["lease_id"] for x in active["leases"]]
    assert ok(api.get("/api/leases?status=expired"))["leases"] == []


@pytest.mark.parametrize("q,loc,typ", [
    ("status=bogus", "status", "enum"), ("status=", "status", "too_short"), ("limit=0", "limit", "greater_equal"),
    ("offset=-1", "offset", "greater_equal"), ("limit=5001", "limit", "less_equal"),
])
def test_leases_bad_query(api, q, loc, typ):
    d = detail(api.get(f"/api/leases?{q}"))
    assert d["loc"] == ["query", loc] and d["type"] == typ


def test_lost_host_expires_the_lease_with_its_event(api):
    api.host_up("h1")
    jid = _placed(api)
    lease_id = ok(api.claim(jid, "h1"))["lease_id"]
    ok(api.status(jid, "running", "h1"))
    api.clock(91)  # the host is silent past the dead-after threshold; its lease is not yet overdue
    api.sweep()
    types = [e["event_type"] for e in api.audit(jid)]
    assert "job.lease.expired" in types and types.index("job.lease.expired") < types.index("job.failed")
    exp = ok(api.get(f"/api/events/job/{jid}?event_type=job.lease.expired"))["events"]
    assert len(exp) == 1 and exp[0]["data"]["lease_id"] == lease_id and exp[0]["data"]["reason"] == "host_lost"
    expired = ok(api.get("/api/leases?status=expired"))["leases"]
    assert [x["lease_id"] for x in expired] == [lease_id]
    assert ok(api.get("/api/audit/verify-chain"))["chain_integrity"]["valid"] is True


def test_lease_expiry_by_sweep_recorded_once(api):
    api.host_up("h1")
    jid = _placed(api)
    ok(api.claim(jid, "h1"))
    ok(api.status(jid, "running", "h1"))
    api.clock(361)
    api.reg("h1")  # the host stays alive; only the lease runs out
    api.sweep()
    types = [e["event_type"] for e in api.audit(jid)]
    assert types.count("job.lease.expired") == 1


# ---- who may see what ------------------------------------------------------------------------

def test_ownership(srv):
    op = Api(srv)
    a, ua = register(srv)
    b, _ = register(srv)
    prov, _ = register(srv, "provider")
    reg = prov.put("/host", {"host_id": "ph1", "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                             "free_vram_gb": 24, "country": "CA", "province": "ON"})
    assert reg.status_code == 200, reg.text
    agent = Api(srv, token=reg.json()["agent_token"])
    op.admit("ph1")
    ok(op.post("/api/billing/wallet/%s/deposit" % ua["customer_id"], {"amount_cad": 20}))
    jid = a.submit("mine", 8)["job_id"]
    op.process()
    assert op.job(jid)["host_id"] == "ph1"

    # the owner reads the job's events and its lease; nobody else (not found / forbidden)
    assert ok(a.get(f"/api/events/job/{jid}"))["events"][0]["event_type"] == "job.submitted"
    assert_envelope(a.get(f"/api/events/leases/{jid}"), 404, "not_found", f"No active lease for job {jid}")
    assert_envelope(b.get(f"/api/events/job/{jid}"), 404, "not_found", f"Job {jid} not found")
    assert_envelope(b.get(f"/api/events/leases/{jid}"), 404, "not_found", f"Job {jid} not found")
    assert_envelope(prov.get(f"/api/events/job/{jid}"), 403, "forbidden")  # runs it, does not own it
    assert_envelope(agent.get(f"/api/events/job/{jid}"), 403, "forbidden")
    missing = uuid.uuid4().hex
    assert_envelope(a.get(f"/api/events/job/{missing}"), 404, "not_found", f"Job {missing} not found")
    # other entities, the lease listing and the legal routes are the admin's
    assert_envelope(a.get("/api/events/host/ph1"), 403, "forbidden")
    assert_envelope(prov.get("/api/events/host/ph1"), 403, "forbidden")
    assert_envelope(a.get("/api/events/customer/" + ua["customer_id"]), 403, "forbidden")
    assert_envelope(a.get("/api/leases"), 403, "forbidden")
    assert_envelope(agent.get("/api/leases"), 403, "forbidden")
    assert_envelope(a.post("/api/transparency/legal-request", {}), 403, "forbidden")
    rid = legal(op)
    assert_envelope(a.post(f"/api/transparency/legal-request/{rid}/respond", {}), 403, "forbidden")
    assert_envelope(a.get(f"/api/events/legal/{rid}"), 403, "forbidden")
    # everyone reads the public report
    assert report(a)["summary"]["pending"] == 1 and report(agent)["summary"]["pending"] == 1
    # the admin reads everything
    assert ok(op.get("/api/events/host/ph1"))["events"]
    ok(agent.claim(jid, "ph1"))
    assert ok(a.get(f"/api/events/leases/{jid}"))["lease"]["host_id"] == "ph1"
    assert ok(op.get("/api/leases"))["count"] == 1
