import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))

import xcagent  # noqa: E402
from xcserver import Server  # noqa: E402


@pytest.fixture(scope="session")
def podman():
    """The podman API service for the session.  If this session started it, it stops it at the end
    (by pid); and the session must not leave the agents' NAT table behind (issue 9, defect 4)."""
    if os.geteuid() != 0:
        pytest.fail("the agent suite needs root (rootful podman, network namespaces, nftables)")
    assert os.path.exists(xcagent.AGENT_BIN), f"build xcelsior-agent first ({xcagent.AGENT_BIN})"
    nat_before = xcagent.nat_table()
    env = xcagent.podman_env()
    yield env
    pid = xcagent.stop_podman_service(env)
    assert pid is None or not xcagent.pid_alive(pid), f"podman service {pid} started by this session still runs"
    nat_after = xcagent.nat_table()
    assert not nat_after or nat_after == nat_before, f"the agents left a NAT table behind:\n{nat_after}"


@pytest.fixture
def server_factory():
    started = []

    def make(env=None, **kw):
        e = dict(xcagent.LOW_MINIMUMS)
        e.update({"XCELSIOR_QUEUE_INTERVAL": "1", "XCELSIOR_SWEEP_INTERVAL": "1"})
        e.update(env or {})
        s = Server(env=e, **kw)
        s.start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def agent_factory(podman):
    started = []

    def make(server_url, host_id, **kw):
        a = xcagent.Agent(server_url, host_id, podman, **kw)
        a.start()
        started.append(a)
        return a

    yield make
    for a in started:
        a.stop()
