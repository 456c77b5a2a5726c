"""Black-box tests of the marketplace routes (api §7.2, §8.6; domain §15)."""
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from test_billing import Api  # noqa: E402
from xcserver import Server  # noqa: E402


@pytest.fixture
def api():
    with Server(env={"XCELSIOR_RATE_LIMIT_REQUESTS": "1000000"}) as s:
        yield Api(s)


def test_list_browse_unlist(api):
    api.host("h1", model="RTX 4090", vram=24, rate=0.45)
    lst = api.req("POST", "/marketplace/list", json={"host_id": "h1", "price_per_hour": 0.30})["listing"]
    assert lst["gpu_model"] == "RTX 4090" and lst["vram_gb"] == 24.0 and lst["platform_cut"] == 0.2
    assert lst["active"] is True and lst["province"] == "ON" and lst["price_per_hour"] == 0.3
    assert len(api.req("GET", "/marketplace")["listings"]) == 1
    h = api.req("GET", "/hosts")["hosts"][0]
    assert h["effective_rate_per_hour"] == 0.3 and h["listed"] is True
    assert api.req("DELETE", "/marketplace/h1")["unlisted"] == "h1"
    assert api.req("GET", "/marketplace")["listings"] == []
    assert len(api.req("GET", "/marketplace?active_only=false")["listings"]) == 1
    assert api.req("DELETE", "/marketplace/h1")["unlisted"] == "h1"
    api.req("DELETE", "/marketplace/nope", expect=404)
    assert api.req("GET", "/hosts")["hosts"][0]["effective_rate_per_hour"] == 0.45
    api.req("GET", "/marketplace?active_only=maybe", expect=422)


def test_list_bad_input(api):
    r = api.req("POST", "/marketplace/list", json={"host_id": "ghost", "price_per_hour": 0.3}, expect=404)
    assert "not found" in r["error"]["message"]
    api.host("h1")
    for bad in ({"host_id": "h1"}, {"host_id": "h1", "price_per_hour": 0}, {"host_id": "h1", "price_per_hour": -1},
                {"host_id": "h1", "price_per_hour": 1000.01}, {"host_id": "h1", "price_per_hour": 1e300},
                {"host_id": "h1", "price_per_hour": 1, "vram_gb": 0},
                {"host_id": "h1", "price_per_hour": 1, "description": "d" * 501}):
        api.req("POST", "/marketplace/list", json=bad, expect=422)
    assert api.req("GET", "/marketplace?active_only=false")["listings"] == []


def test_listing_price_captured_and_billed_once(api):
    api.host("m1", rate=2.0)
    api.req("POST", "/marketplace/list", json={"host_id": "m1", "price_per_hour": 1.00})
    jid = api.job("mk")
    api.process()
    assert api.req("GET", f"/job/{jid}")["job"]["rate_per_hour"] == 1.0
    api.run(jid, 3600)
    rec = api.records(job_id=jid)[0]
    assert abs(rec["cost"] - 1.0) < 0.0001 and abs(rec["platform_fee"] - 0.2) < 0.0001
    b1 = api.req("POST", f"/marketplace/bill/{jid}")["bill"]
    b2 = api.req("POST", f"/marketplace/bill/{jid}")["bill"]
    assert b1 == b2 and b1["already_billed"] is True and b1["platform_cut_pct"] == 0.2
    st = api.req("GET", "/marketplace/stats")["stats"]
    assert st["total_jobs_completed"] == 1 and st["default_platform_cut_pct"] == 0.2
    assert abs(st["platform_revenue"] - 0.2) < 0.0001 and abs(st["total_host_payouts"] - 0.8) < 0.0001
    lst = api.req("GET", "/marketplace")["listings"][0]
    assert lst["total_jobs"] == 1 and abs(lst["total_earned"] - 0.8) < 0.0001
    api.req("POST", "/marketplace/bill/" + "0" * 32, expect=404)
    q = api.job("q")
    api.req("POST", f"/marketplace/bill/{q}", expect=400)


def test_search(api):
    api.host("h4090", model="RTX 4090", vram=24, province="ON")
    api.host("ha100", model="A100", vram=80, province="QC")
    api.host("h3090", model="RTX 3090", vram=24, province="BC")
    for h, p in (("h4090", 0.30), ("ha100", 1.50), ("h3090", 0.25)):
        api.req("POST", "/marketplace/list", json={"host_id": h, "price_per_hour": p})
    s = lambda q: api.req("GET", "/marketplace/search" + q)  # noqa: E731
    assert s("?gpu_model=RTX")["total"] == 2
    assert [x["host_id"] for x in s("?min_vram=48")["listings"]] == ["ha100"]
    assert s("?max_price=1.0")["total"] == 2
    assert s("?province=on")["total"] == 1
    assert [x["price_per_hour"] for x in s("?sort_by=price")["listings"]] == [0.25, 0.3, 1.5]
    assert [x["host_id"] for x in s("?sort_by=vram")["listings"]][0] == "ha100"
    f = s("?gpu_model=RTX&min_vram=8")["filters_applied"]
    assert f["gpu_model"] == "RTX" and f["min_vram"] == 8 and f["max_price"] is None
    r = s("?limit=1")
    assert len(r["listings"]) == 1 and r["total"] == 3
    assert s("?gpu_model=NONEXISTENT_GPU_XYZ")["total"] == 0
    for bad in ("?sort_by=bogus", "?limit=0", "?min_vram=abc", "?max_price=1e400"):
        api.req("GET", "/marketplace/search" + bad, expect=422)


def test_canada_only_hides_foreign_listings(api):
    api.host("ca", country="CA", province="ON")
    api.host("us", country="US", province="")
    for h in ("ca", "us"):
        api.req("POST", "/marketplace/list", json={"host_id": h, "price_per_hour": 1})
    assert len(api.req("GET", "/marketplace")["listings"]) == 2
    api.req("PUT", "/canada", json={"enabled": True})
    assert [x["host_id"] for x in api.req("GET", "/marketplace")["listings"]] == ["ca"]
    assert api.req("GET", "/marketplace/search")["total"] == 1


def test_canada_only_env():
    with Server(env={"XCELSIOR_CANADA_ONLY": "true"}) as s:
        a = Api(s)
        a.host("us", country="US", province="")
        a.req("POST", "/marketplace/list", json={"host_id": "us", "price_per_hour": 1})
        assert a.req("GET", "/marketplace")["listings"] == []
        assert requests.get(s.url + "/marketplace/stats").json()["stats"]["total_listings"] == 1
