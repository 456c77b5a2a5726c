"""An agent that stops removes the host firewall state it created (issue 9, defect 4).

With XCELSIOR_EGRESS_MASQUERADE on, the agent installs `table ip xcelsior_nat` for its job subnet at
start; on SIGTERM it must take it away again, so that a test run (or a host that stops its agent)
does not keep masquerading a subnet nobody uses.  The session fixture in conftest.py checks the
other half: the podman API service the session started is stopped, by its pid.
"""
import time

import xcagent

SUBNET = "169.254.77.0/24"


def _wait_nat(present, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (SUBNET in xcagent.nat_table()) == present:
            return True
        time.sleep(0.2)
    return False


def test_sigterm_removes_the_nat_table(podman, server_factory, agent_factory):
    s = server_factory()
    a = agent_factory(s.url, "h-nat", host_ip="127.0.0.61", subnet=SUBNET,
                      extra_env={"XCELSIOR_EGRESS_MASQUERADE": "true"})
    assert _wait_nat(True), "the agent never installed its masquerade:\n" + a.logs()[-3000:]
    assert a.stop() == 0, a.logs()[-3000:]
    assert SUBNET not in xcagent.nat_table(), xcagent.nat_table()
