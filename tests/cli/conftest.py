"""Fixtures for the `xcelsior` CLI black-box tests: a real xcelsiord on loopback per module (and a
fresh one where a test needs an empty system), plus a helper that runs the CLI binary."""
import json
import os
import pathlib
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

TESTS_DIR = pathlib.Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

import xcserver  # noqa: E402  # tests/xcserver.py: a real xcelsiord on a free loopback port


BUILD_DIR = pathlib.Path(os.environ.get("XC_BUILD_DIR", TESTS_DIR.parent / "build"))
CLI = BUILD_DIR / "xcelsior"
SERVERD = BUILD_DIR / "xcelsiord"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env=None):
    if not SERVERD.exists():
        pytest.skip(f"xcelsiord not built at {SERVERD}")
    # Every CLI call comes from 127.0.0.1: lift the per-address rate limit (A§3) for the suite.
    e = {"XCELSIOR_RATE_LIMIT_REQUESTS": "1000000"}
    e.update(env or {})
    return xcserver.Server(env=e).start()


@pytest.fixture(scope="session", autouse=True)
def _cli_built():
    if not CLI.exists():
        pytest.fail(f"xcelsior not built at {CLI} (set XC_BUILD_DIR)")


@pytest.fixture(scope="module")
def server():
    s = start_server()
    yield s
    s.stop()


@pytest.fixture
def fresh_server():
    s = start_server()
    yield s
    s.stop()


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture(scope="session")
def empty_home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def cli(empty_home):
    """cli(*args, url=..., env=..., home=...) -> CompletedProcess (text)."""

    def run(*args, url=None, env=None, home=None, timeout=60):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("XCELSIOR_") and k != "NO_COLOR"}
        e["HOME"] = str(home or empty_home)
        if url is not None:
            e["XCELSIOR_API_URL"] = url
        e.update(env or {})
        return subprocess.run([str(CLI), *args], env=e, capture_output=True, text=True,
                              timeout=timeout)

    return run


def api(url, method, path, body=None, token=None):
    """Direct HTTP call for test setup. Returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None


GOOD_VERSIONS = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "550.54",
                 "docker": "27.1.1"}


def add_active_host(url, host_id, vram=24, gpu="RTX 4090", rate=0.45, country="CA", province="ON"):
    """Registers a host with versions that pass admission, so it is active and schedulable."""
    st, body = api(url, "PUT", "/host", {
        "host_id": host_id, "ip": "127.0.0.9", "gpu_model": gpu, "total_vram_gb": vram,
        "free_vram_gb": vram, "cost_per_hour": rate, "country": country, "province": province,
        "versions": GOOD_VERSIONS,
    })
    assert st == 200, body
    if body["host"]["status"] != "active":
        st, body2 = api(url, "POST", "/agent/versions", {"host_id": host_id, "versions": GOOD_VERSIONS})
        assert st == 200, body2
    return body
