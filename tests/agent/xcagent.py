"""Helpers for the agent black-box tests: the podman engine, agents, jobs, namespaces."""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("XC_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
AGENT_BIN = os.path.join(BUILD_DIR, "xcelsior-agent")
FAKE_NVML = os.path.join(BUILD_DIR, "tests", "fixtures", "libnvidia-ml.so.1")
FIXTURES = os.path.join(HERE, "..", "fixtures")

# Admission minimums lowered explicitly: this machine's runc 1.1.5 and podman API are older
# than the production minimums, and simulated hosts report placeholder GPU-stack versions.
LOW_MINIMUMS = {
    "XCELSIOR_MIN_RUNC": "0",
    "XCELSIOR_MIN_DOCKER": "0",
    "XCELSIOR_MIN_NVIDIA_CTK": "0",
    "XCELSIOR_MIN_NVIDIA_DRIVER": "0",
}


def podman_env():
    """Runs podman_env.sh (idempotent) and returns its variables."""
    out = subprocess.run([os.path.join(HERE, "podman_env.sh")], check=True, capture_output=True, text=True,
                         timeout=300).stdout
    env = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_podman_service(env, timeout=15):
    """Stops the podman API service that podman_env() started for this caller, by its pid and only
    when that pid still is that service (never one started by someone else).  Returns the pid it
    stopped, or None when this caller started none."""
    pid = env.get("XC_PODMAN_STARTED_PID")
    if not pid:
        return None
    pid = int(pid)
    cl = _cmdline(pid)
    if cl and "podman" in cl and env["XC_PODMAN_SOCK"] in cl:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while pid_alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid) and time.time() < deadline + 5:
                time.sleep(0.1)
    pidfile = os.path.join(env["XC_PODMAN_DIR"], "service.pid")
    try:
        with open(pidfile) as f:
            mine = f.read().strip() == str(pid)
    except OSError:
        mine = False
    if mine:
        for p in (pidfile, env["XC_PODMAN_SOCK"]):
            try:
                os.unlink(p)
            except OSError:
                pass
    return pid


def nat_table():
    """The text of `nft list table ip xcelsior_nat`, or "" when there is none."""
    r = subprocess.run(["nft", "list", "table", "ip", "xcelsior_nat"], capture_output=True, text=True, timeout=30)
    return r.stdout if r.returncode == 0 else ""


def engine(env, method, path, **kw):
    """A raw Docker Engine API call through the podman socket (curl, unix socket)."""
    args = ["curl", "-s", "-X", method, "--unix-socket", env["XC_PODMAN_SOCK"], "http://d/v1.41" + path]
    if "json_body" in kw:
        args += ["-H", "Content-Type: application/json", "-d", json.dumps(kw["json_body"])]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    try:
        return json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        return r.stdout


def remove_host_containers(env, host_id):
    filt = urllib.parse.quote(json.dumps({"label": [f"xcelsior.host_id={host_id}"]}))
    for c in engine(env, "GET", f"/containers/json?all=1&filters={filt}") or []:
        engine(env, "DELETE", f"/containers/{c['Id']}?force=1")


class Agent:
    def __init__(self, server_url, host_id, podman, extra_env=None, args=("--simulate",), subnet="169.254.240.0/24",
                 host_ip="127.0.0.2"):
        self.host_id = host_id
        self.podman = podman
        self.tmp = tempfile.mkdtemp(prefix=f"xcagent-{host_id}-")
        self.log_path = os.path.join(self.tmp, "agent.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_")}
        env.update({
            "XCELSIOR_HOST_ID": host_id,
            "XCELSIOR_SCHEDULER_URL": server_url,
            "XCELSIOR_HOST_IP": host_ip,
            "XCELSIOR_DOCKER_HOST": podman["XCELSIOR_DOCKER_HOST"],
            "CONTAINERS_CONF": podman["CONTAINERS_CONF"],
            "XCELSIOR_WORK_DIR": os.path.join(self.tmp, "work"),
            "XCELSIOR_HEARTBEAT_INTERVAL": "1",
            "XCELSIOR_POLL_INTERVAL": "1",
            "XCELSIOR_TELEMETRY_INTERVAL": "1",
            "XCELSIOR_PREEMPTION_GRACE_SEC": "3",
            "XCELSIOR_JOB_MEMORY_LIMIT": "256m",
            "XCELSIOR_JOB_PIDS_LIMIT": "256",
            "XCELSIOR_JOB_TMPFS_MB": "16",
            "XCELSIOR_JOB_WORKSPACE_MB": "16",
            "XCELSIOR_ADMISSION_RETRY_MAX": "2",
            # Only link-local addresses: no DNS traffic and no traffic anywhere else.
            "XCELSIOR_EGRESS_ALLOWLIST": "169.254.254.254",
            "XCELSIOR_EGRESS_DNS": "169.254.254.53",
            "XCELSIOR_EGRESS_MASQUERADE": "false",
            "XCELSIOR_JOB_SUBNET": subnet,
            "XCELSIOR_LOG_LEVEL": "debug",
        })
        env.update(extra_env or {})
        self.env = env
        self.args = list(args)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([AGENT_BIN] + self.args, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.tmp)
        return self

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_log(self, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.logs():
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"agent {self.host_id} never logged {text!r}:\n{self.logs()[-4000:]}")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        remove_host_containers(self.podman, self.host_id)
        return self.proc.returncode if self.proc else None


def submit(url, name, command, image="localhost/xc-busybox:latest", **extra):
    body = {"name": name, "vram_needed_gb": 1, "image": image, "command": command}
    body.update(extra)
    r = requests.post(url + "/job", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["job"]["job_id"]


def job(url, job_id):
    r = requests.get(f"{url}/job/{job_id}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["job"]


def wait_job(url, job_id, statuses, timeout=60, agents=()):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = job(url, job_id)
        except requests.RequestException:
            time.sleep(0.2)
            continue
        if last["status"] in statuses:
            return last
        time.sleep(0.2)
    logs = "\n".join(f"--- agent {a.host_id}\n{a.logs()[-3000:]}" for a in agents)
    raise AssertionError(f"job {job_id} never reached {statuses}; last: {last}\n{logs}")


def job_logs(url, job_id):
    r = requests.get(f"{url}/jobs/{job_id}/logs?limit=500", timeout=10)
    assert r.status_code == 200, r.text
    return [entry["line"] for entry in r.json()["logs"]]


def wait_host(url, host_id, status="active", timeout=30):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        r = requests.get(url + "/hosts?active_only=false", timeout=10)
        if r.status_code == 200:
            for h in r.json()["hosts"]:
                if h["host_id"] == host_id:
                    last = h
                    if h["status"] == status:
                        return h
        time.sleep(0.2)
    raise AssertionError(f"host {host_id} never became {status}; last: {last}")


def sh(*argv, check=True):
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, timeout=30)


# A static HTTP server that never resolves names (http.server's bind does a reverse lookup).
SERVE = """
import functools, http.server, socketserver, sys
class S(http.server.HTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
h.func.address_string = lambda self: self.client_address[0]
S((sys.argv[1], 80), h).serve_forever()
"""


class Endpoint:
    """An HTTP server in its own network namespace, reachable from the host over a veth pair
    with link-local addresses: host side 169.254.<n>.1/30, namespace side 169.254.<n>.2/30."""

    def __init__(self, n):
        self.ns = f"xct-ep{n}-{os.getpid()}"
        self.hif = f"xcth{n}"
        self.addr = f"169.254.{n}.2"
        self.gw = f"169.254.{n}.1"
        self.proc = None

    def start(self, body):
        self.stop()
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.hif, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        sh("ip", "addr", "add", self.gw + "/30", "dev", self.hif)
        sh("ip", "link", "set", self.hif, "up")
        with open(f"/proc/sys/net/ipv4/conf/{self.hif}/forwarding", "w") as f:
            f.write("1")
        sh("ip", "-n", self.ns, "addr", "add", self.addr + "/30", "dev", "eth0")
        sh("ip", "-n", self.ns, "link", "set", "eth0", "up")
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.ns, "route", "add", "default", "via", self.gw)
        self.dir = tempfile.mkdtemp(prefix="xct-www-")
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write(body)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "/usr/bin/python3", "-c", SERVE, self.addr, self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            r = sh("ip", "netns", "exec", self.ns, "/usr/bin/python3", "-c",
                   f"import socket; socket.create_connection(('{self.addr}', 80), 1)", check=False)
            if r.returncode == 0:
                return self
            time.sleep(0.1)
        raise AssertionError(f"endpoint {self.addr} did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        sh("ip", "link", "del", self.hif, check=False)
        sh("ip", "netns", "del", self.ns, check=False)
