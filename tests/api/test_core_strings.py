"""User strings are data, never numbers (issue 9, defect 1).

The server writes exact decimals (money, VRAM, timestamps) as bare JSON numbers.  An earlier writer
tagged them in-band with a string prefix (U+0001 '#'), so a client string starting with that prefix came
back as a number (["echo", 7]) or, with a quote in it, as broken JSON that read back as [].  Every place
that stores and echoes a client's free text is checked here with such strings and other control
characters: job commands and environment, host fields (GPU model, corporation fields, versions,
runtimes), the admission report, SSE frames, and the 422 replies for names and ids that must not hold
control characters at all.
"""
import json

import pytest

from conftest import GOOD, Api, assert_envelope
from test_core_sse import Stream

FORGED = [
    "\u0001#7",
    "\u0001#1,\"x\":1",
    "\u0001#",
    "\u0001#-0.5e3",
    "a\"\u0001#5",
    "\"\u0001#5\"",
    "\u00ff1.5",
    "\uffff#2",
    "\t\n\r\b\f\u001f\u007f",
    "\\u0001#3",
]


def _strict(r):
    """The body parses as JSON with no leftovers (json.loads rejects trailing text)."""
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    return json.loads(r.content.decode("utf-8"))


def test_command_strings_round_trip(api):
    cmd = ["echo"] + FORGED
    r = api.post("/job", {"name": "forged", "vram_needed_gb": 1, "command": cmd})
    assert r.status_code == 200, r.text
    j = _strict(r)["job"]
    assert j["command"] == cmd
    jid = j["job_id"]
    assert _strict(api.get("/job/" + jid))["job"]["command"] == cmd
    listed = [x for x in _strict(api.get("/jobs"))["jobs"] if x["job_id"] == jid]
    assert listed and listed[0]["command"] == cmd


def test_command_breakout_is_not_stored_as_broken_json(api):
    cmd = ["\u0001#1,\"x\":1"]
    jid = api.submit("breakout", 1, command=cmd)["job_id"]
    assert api.job(jid)["command"] == cmd  # not [] (unparseable stored text) and not [1, ...]


def test_environment_values_round_trip(api):
    env = {f"V{i}": s for i, s in enumerate(FORGED)}
    jid = api.submit("envforged", 1, environment=env)["job_id"]
    assert _strict(api.get("/job/" + jid))["job"]["environment"] == env


def test_agent_sees_command_and_environment_intact(api):
    tok = api.reg("h1")["agent_token"]
    api.admit("h1")
    agent = Api(api.server, token=tok)
    cmd, env = ["sh", "-c", "\u0001#9"], {"ARG": "\u0001#10"}
    jid = api.submit("agentview", 1, command=cmd, environment=env)["job_id"]
    assert [a["job_id"] for a in api.process()] == [jid]
    r = agent.get("/agent/work/h1")
    assert r.status_code == 200, r.text
    jobs = [j for j in _strict(r)["jobs"] if j["job_id"] == jid]
    assert jobs and jobs[0]["command"] == cmd and jobs[0]["environment"] == env


@pytest.mark.parametrize("s", FORGED)
def test_host_fields_round_trip(api, s):
    api.reg("hs", gpu_model="RTX " + s, corporation_name=s, legal_name="x" + s)
    h = api.host("hs")
    assert h["gpu_model"] == "RTX " + s
    assert h.get("corporation_name") == s and h.get("legal_name") == "x" + s
    assert isinstance(h["total_vram_gb"], (int, float))  # real numbers still come out as numbers


def test_versions_and_runtimes_round_trip(api):
    tok = api.reg("hv")["agent_token"]
    agent = Api(api.server, token=tok)
    versions = dict(GOOD, extra="\u0001#42", other="\u0001#1,\"x\":1")
    r = agent.post("/agent/versions", {"host_id": "hv", "versions": versions, "runtimes": ["runc", "\u0001#5"]})
    assert r.status_code == 200, r.text
    body = _strict(r)
    assert body["host"]["versions"]["extra"] == "\u0001#42"
    assert body["host"]["versions"]["other"] == "\u0001#1,\"x\":1"
    assert api.host("hv")["versions"] == body["host"]["versions"]


def test_names_and_ids_with_control_characters_are_422(api):
    for name in ["\u0001#7", "a\nb", "x\u0000"]:
        r = api.post("/job", {"name": name, "vram_needed_gb": 1})
        assert_envelope(r, 422)
        _strict(r)
        r = api.put("/host", {"host_id": name, "ip": "127.0.0.1", "gpu_model": "g", "total_vram_gb": 1,
                              "free_vram_gb": 1})
        assert_envelope(r, 422)
        _strict(r)


def test_unknown_id_in_path_echoed_as_text(api):
    r = api.get("/job/%01%237")
    assert r.status_code in (404, 422), r.text
    _strict(r)


def test_sse_frames_carry_strings(srv):
    api = Api(srv)
    s = Stream(srv.url)
    try:
        s.next()
        api.reg("hsse", gpu_model="\u0001#7")
        got, _ = s.wait_for(lambda f: f[0] == "host_update" and f[1].get("host_id") == "hsse")
        assert got[1]["gpu_model"] == "\u0001#7"
    finally:
        s.close()
