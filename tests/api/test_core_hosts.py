"""Hosts and admission: PUT /host, POST /agent/versions, GET /hosts, /hosts/ca, POST /hosts/check,
DELETE /host/{id} (api.md §7.1, §8.4; domain.md §2, §3; acceptance HOST-*, ADM-*, CA-02)."""
import re

import pytest

from conftest import BAD, GOOD, Api, assert_envelope, uid

RUNC_R = "runc 1.0.0 is below minimum 1.1.14 (CVE-2024-21626, CVE-2024-45310)"
CTK_R = "NVIDIA Container Toolkit 1.10.0 is below minimum 1.17.8 (CVE-2025-23266)"
DRV_R = "NVIDIA driver 520.0 is below minimum 535.0"
DOCKER_R = "Docker 20.0.0 is below minimum 24.0.0"


# --- registration --------------------------------------------------------------------------------

def test_register_creates_pending_host_with_agent_token(mapi):
    h = uid("h")
    b = mapi.reg(h)
    assert b["ok"] is True and list(b)[0] == "ok"
    assert b["created"] is True
    assert b["host"]["host_id"] == h
    assert b["host"]["admitted"] is False
    assert b["host"]["status"] == "pending"
    assert b["host"]["admission_details"] is None
    assert b["host"]["country"] == "CA" and b["host"]["province"] == "ON"
    assert isinstance(b["agent_token"], str) and re.fullmatch(r"xh-[A-Za-z0-9_-]{43}", b["agent_token"]), b
    assert b["host"]["total_vram_gb"] == 24.0 and b["host"]["free_vram_gb"] == 24.0
    assert b["host"]["reserved_vram_gb"] == 0.0
    assert b["host"]["cost_per_hour"] == 0.2


def test_register_with_good_versions_is_admitted_and_active(mapi):
    h = uid("h")
    b = mapi.reg(h, versions=GOOD)
    assert b["host"]["admitted"] is True
    assert b["host"]["status"] == "active"
    assert b["host"]["admission_details"]["rejection_reasons"] == []


def test_register_with_bad_versions_lists_four_reasons_in_order(mapi):
    h = uid("h")
    b = mapi.reg(h, versions=BAD)
    assert b["host"]["admitted"] is False and b["host"]["status"] == "pending"
    assert b["host"]["admission_details"]["rejection_reasons"] == [RUNC_R, CTK_R, DRV_R, DOCKER_R]


def test_second_put_is_heartbeat_update_not_creation(mapi):
    h = uid("h")
    first = mapi.reg(h, versions=GOOD)
    second = mapi.reg(h, ip="127.0.0.2", free_vram_gb=20)
    assert second["created"] is False
    assert second["agent_token"] is None
    host = second["host"]
    assert host["admitted"] is True and host["status"] == "active"  # a heartbeat never revokes admission
    assert host["registered_at"] == first["host"]["registered_at"]
    assert host["admission_details"] == first["host"]["admission_details"]
    assert host["ip"] == "127.0.0.2"
    assert host["reported_free_vram_gb"] == 20.0 and host["free_vram_gb"] == 20.0
    assert [x["host_id"] for x in mapi.hosts()].count(h) == 1


def test_heartbeat_without_country_keeps_stored_country(mapi):
    h = uid("h")
    r = mapi.put("/host", {"host_id": h, "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                           "free_vram_gb": 24})
    assert r.status_code == 200, r.text
    assert r.json()["host"]["country"] == ""
    mapi.reg(h, country="US", province="")
    r = mapi.put("/host", {"host_id": h, "ip": "127.0.0.1", "gpu_model": "RTX 4090", "total_vram_gb": 24,
                           "free_vram_gb": 24})
    assert r.json()["host"]["country"] == "US"


def test_heartbeat_with_null_versions_does_not_reevaluate(mapi):
    h = uid("h")
    mapi.reg(h, versions=GOOD)
    b = mapi.reg(h, versions=None)
    assert b["host"]["admitted"] is True and b["host"]["status"] == "active"


def test_corporate_fields_echoed(mapi):
    h = uid("h")
    b = mapi.reg(h, corporation_name="Acme GPU Inc.", business_number="123456789RC0001",
                 gst_hst_number="RT0001", legal_name="Acme GPU Inc.")
    for k, v in (("corporation_name", "Acme GPU Inc."), ("business_number", "123456789RC0001"),
                 ("gst_hst_number", "RT0001"), ("legal_name", "Acme GPU Inc.")):
        assert b["host"][k] == v


def test_changed_gpu_model_resets_verification(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.reg(h, gpu_model="A100")
    assert b["host"]["verification_state"] == "unverified"
    assert b["reverify_due"] is True


# --- admission rules -----------------------------------------------------------------------------

def test_admit_route_admits_and_lists_active(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h)
    assert b["ok"] is True and b["admitted"] is True
    assert b["details"]["admitted"] is True and b["details"]["host_id"] == h
    assert b["details"]["versions"] == GOOD
    assert b["host"]["status"] == "active"
    host = mapi.host(h)
    assert host["admitted"] is True and host["status"] == "active"


def test_admit_bad_versions_pending(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, BAD)
    assert b["admitted"] is False
    assert b["details"]["rejection_reasons"] == [RUNC_R, CTK_R, DRV_R, DOCKER_R]
    assert mapi.host(h)["status"] == "pending"


def test_numeric_compare_driver_560_35_03_passes(mapi):
    h = uid("h")
    mapi.reg(h)
    v = dict(GOOD, nvidia_driver="560.35.03")
    assert mapi.admit(h, v)["admitted"] is True


@pytest.mark.parametrize("driver,ok", [("535", True), ("535.0.0", True), ("530.1", False), ("1000.0", True),
                                       ("99.999", False)])
def test_driver_versions(mapi, driver, ok):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, dict(GOOD, nvidia_driver=driver))
    assert b["admitted"] is ok, b["details"]
    if not ok:
        assert b["details"]["rejection_reasons"] == [f"NVIDIA driver {driver} is below minimum 535.0"]


@pytest.mark.parametrize("runc,ok", [("v1.1.14", True), ("1.1.14-rc1", True), ("1.1.13", False),
                                     ("1.10.0", True), ("1.2", True)])
def test_runc_versions(mapi, runc, ok):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, dict(GOOD, runc=runc))
    assert b["admitted"] is ok, b["details"]


def test_unparseable_version_reason(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, dict(GOOD, runc="abc"))
    assert b["admitted"] is False
    assert b["details"]["rejection_reasons"] == ["runc version 'abc' could not be parsed"]


@pytest.mark.parametrize("key", ["nvidia_ctk", "nvidia_toolkit", "nvidia_container_toolkit"])
def test_toolkit_key_aliases(mapi, key):
    h = uid("h")
    mapi.reg(h)
    v = {k: x for k, x in GOOD.items() if k != "nvidia_ctk"}
    v[key] = "1.17.8"
    assert mapi.admit(h, v)["admitted"] is True
    v[key] = "1.17.0"
    b = mapi.admit(h, v)
    assert b["admitted"] is False
    assert b["details"]["rejection_reasons"] == [
        "NVIDIA Container Toolkit 1.17.0 is below minimum 1.17.8 (CVE-2025-23266)"]


def test_both_toolkit_keys_must_pass(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, dict(GOOD, nvidia_ctk="1.17.8", nvidia_toolkit="1.17.7"))
    assert b["admitted"] is False, b
    b = mapi.admit(h, dict(GOOD, nvidia_ctk="1.17.8", nvidia_toolkit="1.18.0"))
    assert b["admitted"] is True, b


def test_missing_versions_all_reasons_in_order(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, {})
    assert b["admitted"] is False
    assert b["details"]["rejection_reasons"] == [
        "runc version not reported", "NVIDIA Container Toolkit version not reported",
        "NVIDIA driver version not reported", "Docker version not reported"]
    b = mapi.admit(h, {"runc": "1.2.4", "docker": "", "nvidia_driver": None})
    assert b["details"]["rejection_reasons"] == [
        "NVIDIA Container Toolkit version not reported", "NVIDIA driver version not reported",
        "Docker version not reported"]


def test_mixed_reasons_fixed_component_order(mapi):
    h = uid("h")
    mapi.reg(h)
    b = mapi.admit(h, {"docker": "1.0", "runc": "1.0.0", "nvidia_driver": "zz"})
    assert b["details"]["rejection_reasons"] == [
        RUNC_R, "NVIDIA Container Toolkit version not reported",
        "NVIDIA driver version 'zz' could not be parsed", "Docker 1.0 is below minimum 24.0.0"]


def test_heartbeat_never_revokes_admission(mapi):
    h = uid("h")
    mapi.reg(h)
    mapi.admit(h)
    for _ in range(3):
        b = mapi.reg(h, free_vram_gb=10)
        assert b["host"]["admitted"] is True and b["host"]["status"] == "active"
    r = mapi.get(f"/agent/work/{h}")
    assert r.status_code == 204
    assert mapi.host(h)["admitted"] is True


def test_failed_report_unadmits(mapi):
    h = uid("h")
    mapi.host_up(h)
    b = mapi.admit(h, BAD)
    assert b["admitted"] is False
    assert mapi.host(h)["status"] == "pending"


def test_agent_versions_unknown_host_404(mapi):
    r = mapi.post("/agent/versions", {"host_id": uid("ghost"), "versions": GOOD})
    assert_envelope(r, 404, "not_found", "not found")


def test_runtime_recommendation(mapi):
    h = uid("h")
    b = mapi.reg(h, versions=dict(GOOD, runsc="release-20240101"))
    assert b["host"]["recommended_runtime"] == "runsc"
    assert b["host"]["admission_details"]["runtime_reason"] == "gVisor with nvproxy (GPU RTX 4090 supported)"
    h2 = uid("h")
    b = mapi.reg(h2, versions=GOOD)
    assert b["host"]["recommended_runtime"] == "runc"
    assert b["host"]["admission_details"]["runtime_reason"] == "Hardened runc (gVisor not available on host)"


def test_min_version_env_lowering(servers):
    s = servers(env={"XCELSIOR_MIN_RUNC": "1.1.0"})
    a = Api(s)
    a.reg("h1")
    assert a.admit("h1", dict(GOOD, runc="1.1.5"))["admitted"] is True
    assert a.admit("h1", dict(GOOD, runc="1.0.9"))["admitted"] is False
    # default server still rejects runc 1.1.5
    s2 = servers()
    b = Api(s2)
    b.reg("h1")
    d = b.admit("h1", dict(GOOD, runc="1.1.5"))
    assert d["admitted"] is False


def test_min_driver_env(servers):
    s = servers(env={"XCELSIOR_MIN_NVIDIA_DRIVER": "500", "XCELSIOR_MIN_DOCKER": "20.0.0"})
    a = Api(s)
    a.reg("h1")
    assert a.admit("h1", dict(GOOD, nvidia_driver="520.0", docker="20.10"))["admitted"] is True


# --- listings -------------------------------------------------------------------------------------

def test_hosts_active_only_default_and_order(api):
    api.reg("b-host")
    api.reg("a-host")
    assert api.get("/hosts").json()["hosts"] == []
    r = api.get("/hosts?active_only=false")
    ids = [h["host_id"] for h in r.json()["hosts"]]
    assert ids == ["b-host", "a-host"]  # registered_at asc
    api.admit("a-host")
    assert [h["host_id"] for h in api.get("/hosts?active_only=true").json()["hosts"]] == ["a-host"]
    assert [h["host_id"] for h in api.get("/hosts").json()["hosts"]] == ["a-host"]
    for v in ("1", "yes", "ON", "True"):
        assert [h["host_id"] for h in api.get("/hosts?active_only=" + v).json()["hosts"]] == ["a-host"]
    for v in ("0", "no", "off", "FALSE"):
        assert len(api.get("/hosts?active_only=" + v).json()["hosts"]) == 2
    # trailing slash
    assert api.get("/hosts/?active_only=false").status_code == 200


def test_hosts_ca(api):
    api.host_up("ca-host", country="CA", province="ON")
    api.host_up("us-host", country="US", province="")
    api.reg("ca-pending", country="CA", province="QC")
    r = api.get("/hosts/ca")
    assert r.status_code == 200
    assert [h["host_id"] for h in r.json()["hosts"]] == ["ca-host"]


def test_hosts_check_alive_then_dead(api):
    api.host_up("h1")
    api.reg("h2")
    r = api.post("/hosts/check")
    assert r.status_code == 200
    assert r.json()["results"] == {"h1": "alive", "h2": "alive"}
    api.clock(91)
    r = api.post("/hosts/check")
    assert r.json()["results"] == {"h1": "dead", "h2": "dead"}
    assert api.host("h1")["status"] == "dead"
    assert api.host("h2")["status"] == "dead"
    # admitted dead host that heartbeats → active; pending one → pending
    assert api.reg("h1")["host"]["status"] == "active"
    assert api.reg("h2")["host"]["status"] == "pending"


# --- deletion -------------------------------------------------------------------------------------

def test_delete_host(api):
    api.reg("h1")
    r = api.delete("/host/h1")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "removed": "h1", "requeued": []}
    assert_envelope(api.delete("/host/h1"), 404, "not_found", "Host h1 not found")
    assert api.host("h1") is None


def test_delete_host_requeues_and_releases(api):
    api.host_up("h1")
    j1 = api.submit("a", 8)
    j2 = api.submit("b", 8)
    api.process()
    api.claim(j2["job_id"], "h1")
    assert api.status(j2["job_id"], "running", "h1").status_code == 200
    r = api.delete("/host/h1")
    assert r.status_code == 200, r.text
    assert sorted(r.json()["requeued"]) == sorted([j1["job_id"], j2["job_id"]])
    a, b = api.job(j1["job_id"]), api.job(j2["job_id"])
    assert a["status"] == "queued" and a["retries"] == 0 and a["host_id"] is None
    assert b["status"] == "queued" and b["retries"] == 1 and b["failure_reason"] == "host_removed"
    assert b["failure_class"] == "host_lost"
    assert a["vram_reserved_gb"] == 0.0 and b["vram_reserved_gb"] == 0.0
