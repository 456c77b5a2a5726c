"""Black-box tests of the spot market routes (api §8.3, §7.2; domain §11–12)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from test_billing import Api  # noqa: E402
from xcserver import Server  # noqa: E402


@pytest.fixture
def api():
    with Server(env={"XCELSIOR_RATE_LIMIT_REQUESTS": "1000000"}) as s:
        yield Api(s)


def test_prices_fresh_and_formula(api):
    assert api.req("GET", "/spot-prices")["prices"] == {}
    assert api.req("POST", "/spot-prices/update")["prices"] == {}
    api.host("h1", model="RTX 4090", vram=24, rate=0.30)
    assert api.req("POST", "/spot-prices/update")["prices"] == {"RTX 4090": 0.21}
    api.job("q1")  # one queued 1-GPU job that fits: D/S = 1
    assert api.req("POST", "/spot-prices/update")["prices"] == {"RTX 4090": 0.232086}
    h = api.req("GET", "/spot-prices?history=true")
    assert h["prices"] == {"RTX 4090": 0.232086}
    e = h["history"][0]
    assert (e["gpu_model"], e["price"], e["base"], e["supply"], e["demand"]) == ("RTX 4090", 0.232086, 0.21, 1, 1)
    assert len(h["history"]) == 2
    assert len(api.req("GET", "/spot-prices?history=true&limit=1")["history"]) == 1
    api.req("GET", "/spot-prices?history=maybe", expect=422)
    api.req("GET", "/spot-prices?limit=0", expect=422)


def test_spot_job_submission(api):
    j = api.req("POST", "/spot/job", json={"name": "spot-test", "vram_needed_gb": 8, "max_bid": 1.0,
                                            "tier": "urgent", "priority": 3})["job"]
    assert j["spot"] is True and j["preemptible"] is True and j["max_bid"] == 1.0
    assert j["tier"] == "free" and j["priority"] == 0 and j["status"] == "queued"
    for bad in ({"name": "s", "vram_needed_gb": 8}, {"name": "s", "vram_needed_gb": 8, "max_bid": 0},
                {"name": "s", "vram_needed_gb": 8, "max_bid": -1}, {"name": "s", "vram_needed_gb": 8, "max_bid": 1001},
                {"name": "s", "vram_needed_gb": 0, "max_bid": 1}, {"name": "", "vram_needed_gb": 8, "max_bid": 1},
                {"name": "s", "vram_needed_gb": 8, "max_bid": 1, "trust_tier": "x"},
                {"name": "s", "vram_needed_gb": 8, "max_bid": 1, "owner": "cust-x"},
                {"name": "s", "vram_needed_gb": 8, "max_bid": 1, "command": [1]}):
        api.req("POST", "/spot/job", json=bad, expect=422)
    assert api.req("GET", "/jobs")["total"] == 1


def test_preemption_cycle(api):
    r = api.req("POST", "/spot/preemption-cycle")
    assert r["prices"] == {} and r["preempted"] == []
    api.host("h1", model="RTX 4090", vram=24, rate=0.30)
    spot = api.req("POST", "/spot/job", json={"name": "cheap", "vram_needed_gb": 8, "max_bid": 0.5})["job"]["job_id"]
    normal = api.job("normal", vram=8)
    assert len(api.process()) == 2
    api.status(spot, "running")
    api.status(normal, "running")
    assert api.req("POST", "/spot/preemption-cycle")["preempted"] == []  # 0.5 ≥ price
    # a listing at 10.00 raises the model's spot base above the bid
    api.req("POST", "/marketplace/list", json={"host_id": "h1", "price_per_hour": 10})
    r = api.req("POST", "/spot/preemption-cycle")
    assert [p["job_id"] for p in r["preempted"]] == [spot]
    assert r["preempted"][0]["max_bid"] == 0.5 and r["preempted"][0]["spot_price"] > 0.5
    assert api.req("GET", f"/job/{spot}")["job"]["stop_requested"] == "preempt"
    assert api.req("GET", f"/job/{normal}")["job"]["stop_requested"] is None
    stops = api.req("GET", "/agent/preempt/h1")["stop_requests"]
    assert [s["job_id"] for s in stops] == [spot]
    api.clock(60)
    api.status(spot, "preempted")
    j = api.req("GET", f"/job/{spot}")["job"]
    assert j["status"] == "queued" and j["host_id"] is None and j["retries"] == 0
    rec = api.records(job_id=spot)[0]
    assert rec["final_status"] == "preempted" and rec["spot"] is True and rec["tier"] == "free"
