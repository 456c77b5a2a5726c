"""Each job gets its own network namespace with an nftables default-drop egress policy: an
allow-listed endpoint answers, any other is refused. All addresses are link-local, in namespaces
this test creates."""
import time

import pytest

from xcagent import Endpoint, job_logs, sh, submit, wait_host, wait_job


@pytest.fixture
def endpoints():
    ok = Endpoint(71).start("allowed-endpoint-body\n")
    no = Endpoint(72).start("denied-endpoint-body\n")
    yield ok, no
    ok.stop()
    no.stop()


def test_allowlisted_endpoint_answers_other_is_refused(server_factory, agent_factory, endpoints):
    ok, no = endpoints
    # Both endpoints are reachable from the host itself: any refusal comes from the job's policy.
    for ep in (ok, no):
        r = sh("/usr/bin/python3", "-c",
               f"import urllib.request; print(urllib.request.urlopen('http://{ep.addr}/', timeout=3).read().decode())")
        assert "endpoint-body" in r.stdout

    s = server_factory()
    a = agent_factory(s.url, "h-egress", host_ip="127.0.0.21", subnet="169.254.73.0/24",
                      extra_env={"XCELSIOR_EGRESS_ALLOWLIST": ok.addr})
    wait_host(s.url, "h-egress")
    a.wait_log("egress: per-job network namespaces")
    # busybox-static's wget crashes in static glibc's resolver code; nc speaks HTTP/1.0 fine.
    get = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {} {}"
    script = (f"{get.format(ok.addr, 80)} && echo ALLOWED=ok || echo ALLOWED=failed; "
              f"{get.format(no.addr, 80)} && echo DENIED=reached || echo DENIED=blocked; "
              f"{get.format(ok.addr, 3333)}; echo MINING_PORT=$?; "
              "cat /proc/net/dev | grep -c eth0 | sed 's/^/ETH0=/'")
    jid = submit(s.url, "egress-probe", ["/bin/sh", "-c", script])
    j = wait_job(s.url, jid, {"failed", "completed"}, timeout=90, agents=[a])
    lines = job_logs(s.url, jid)
    text = "\n".join(lines)
    assert j["status"] == "completed", (j, text)
    assert "allowed-endpoint-body" in lines, text
    assert "ALLOWED=ok" in lines, text
    assert "denied-endpoint-body" not in lines, text
    assert "DENIED=blocked" in lines, text
    assert "MINING_PORT=0" not in lines, text
    assert "ETH0=1" in lines, "the job has its own interface"
    # The job's namespace and veth are removed after the run (right after the final report).
    deadline = time.time() + 15
    while f"xcj-{jid}" in sh("ip", "netns", "list").stdout:
        assert time.time() < deadline, "job namespace left behind"
        time.sleep(0.2)
