"""Starts a real xcelsiord on a free loopback port for black-box tests.

    from xcserver import Server
    with Server(env={"XCELSIOR_ENV": "test"}) as s:
        requests.get(s.url + "/healthz")

The server gets a fresh temporary directory (its SQLite database lives there) unless `db` is
given, so a test can restart a server on the same database. Logs go to <tmp>/server.log.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

BUILD_DIR = os.environ.get("XC_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "build"))
BINARY = os.path.join(BUILD_DIR, "xcelsiord")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env=None, db=None, port=None, args=(), binary=None):
        self.tmp = tempfile.mkdtemp(prefix="xcsrv-")
        self.db = db or os.path.join(self.tmp, "xcelsior.db")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.binary = binary or BINARY
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_")}
        # Every test request comes from 127.0.0.1: lift the per-client limit unless a test sets it.
        self.env.update({"XCELSIOR_ENV": "test", "XCELSIOR_SWEEP_INTERVAL": "0",
                         "XCELSIOR_RATE_LIMIT_REQUESTS": "100000000"})
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "server.log")

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db,
             "--env-file", os.path.join(self.tmp, ".env")] + self.args,
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.tmp)
        if wait:
            try:
                self.wait_ready()
            except Exception:
                # Never leave a server behind that no fixture knows about.
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                raise
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xcelsiord exited with {self.proc.returncode}: {self.logs()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("xcelsiord did not become ready: " + self.logs())

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.check_sanitizers()
        return self.proc.returncode if self.proc else None

    def check_sanitizers(self):
        """Fails the calling test when the server's log holds a sanitizer report (ThreadSanitizer
        keeps running after a race, so the report is the only trace of it)."""
        log = self.logs_full()
        for marker in ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
            at = log.find(marker)
            if at >= 0:
                raise AssertionError(f"sanitizer report in {self.log_path}:\n{log[at:at + 6000]}")

    def logs_full(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
