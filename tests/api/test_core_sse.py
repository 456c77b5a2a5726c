"""Server-Sent Events: GET /api/stream (api.md §5; acceptance SSE-01..03, SSE-07-style privacy checks).

A stream reader runs in a thread and splits the body into frames; tests wait for frames with a timeout
instead of sleeping.  The disconnect test opens and drops 50 raw-socket streams and checks the server
stays healthy and `xcelsior_sse_clients` returns to 0."""
import json
import queue
import re
import socket
import threading
import time

import pytest
import requests

from conftest import GOOD, Api


class Stream:
    """A raw-socket SSE client (HTTP/1.1, chunked or plain body) so that close() never blocks."""

    def __init__(self, url):
        host, port = url.split("//", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.sendall(b"GET /api/stream HTTP/1.1\r\nHost: " + host.encode() +
                          b"\r\nAccept: text/event-stream\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.sock.recv(4096)
            assert c, head
            head += c
        head, self._rest = head.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status_code = int(lines[0].split()[1])
        self.headers = requests.structures.CaseInsensitiveDict(
            (k.strip(), v.strip()) for k, v in (ln.split(":", 1) for ln in lines[1:]))
        self.chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        self.frames = queue.Queue()
        self.raw = b""
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _body(self):
        """Yields decoded body bytes as they arrive."""
        self.sock.settimeout(None)
        buf = self._rest
        if not self.chunked:
            if buf:
                yield buf
            while True:
                c = self.sock.recv(65536)
                if not c:
                    return
                yield c
        while True:
            while b"\r\n" not in buf:
                c = self.sock.recv(65536)
                if not c:
                    return
                buf += c
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return
            while len(buf) < size + 2:
                c = self.sock.recv(65536)
                if not c:
                    return
                buf += c
            yield buf[:size]
            buf = buf[size + 2:]

    def _run(self):
        buf = b""
        try:
            for chunk in self._body():
                with self.lock:
                    self.raw += chunk
                buf += chunk
                while b"\n\n" in buf:
                    frame, buf = buf.split(b"\n\n", 1)
                    self.frames.put(frame.decode())
        except OSError:  # stream closed by the test
            pass

    def next(self, timeout=5):
        """Next non-comment frame as (event, data-dict, raw text)."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no SSE frame within timeout")
            try:
                f = self.frames.get(timeout=left)
            except queue.Empty:
                raise AssertionError("no SSE frame within timeout")
            if f.startswith(":"):
                continue
            lines = f.split("\n")
            assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), repr(f)
            data = json.loads(lines[1][len("data: "):])
            assert isinstance(data, dict)
            return lines[0][len("event: "):], data, f

    def collect(self, quiet=0.4, limit=10):
        """All frames until none arrives for `quiet` seconds."""
        out = []
        end = time.time() + limit
        while time.time() < end:
            try:
                out.append(self.next(timeout=quiet))
            except AssertionError:
                break
        return out

    def wait_for(self, pred, timeout=5):
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            ev = self.next(timeout=max(0.05, end - time.time()))
            seen.append(ev)
            if pred(ev):
                return ev, seen
        raise AssertionError(f"event not seen; got {[(e, d) for e, d, _ in seen]}")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def stream(srv):
    s = Stream(srv.url)
    ev, data, _ = s.next()
    assert (ev, data) == ("connected", {"status": "connected"})
    yield s
    s.close()


def test_stream_headers_and_first_frame(srv):
    s = Stream(srv.url)
    try:
        assert s.status_code == 200
        h = s.headers
        assert h["Content-Type"].startswith("text/event-stream")
        assert h.get("Cache-Control") == "no-cache"
        assert h.get("X-Accel-Buffering") == "no"
        assert "Content-Length" not in h
        s.next()
        with s.lock:
            assert s.raw.startswith(b'event: connected\ndata: {"status":"connected"}\n\n'), s.raw[:80]
    finally:
        s.close()


def test_host_update_once(api, stream):
    api.reg("h9")
    frames = stream.collect()
    hu = [(e, d) for e, d, _ in frames if e == "host_update" and d.get("host_id") == "h9"]
    assert len(hu) == 1, frames
    d = hu[0][1]
    assert d["status"] == "pending" and d["admitted"] is False and d["gpu_model"] == "RTX 4090" and d["country"] == "CA"
    for _, _, raw in frames:
        assert "127.0.0.1" not in raw and "xh-" not in raw  # no IPs or tokens in event data
        assert "id:" not in raw.split("\n")[0] and not raw.startswith("retry:")


def test_admission_events(api, stream):
    api.reg("h1")
    stream.collect()
    api.admit("h1")
    frames = stream.collect()
    names = [e for e, _, _ in frames]
    assert "node_admission" in names, names
    na = [d for e, d, _ in frames if e == "node_admission"][0]
    assert na["host_id"] == "h1" and na["admitted"] is True and na["rejection_reasons"] == []
    assert any(e == "host_update" and d["host_id"] == "h1" and d["admitted"] is True and d["status"] == "active"
               for e, d, _ in frames), frames


def test_job_events_in_order(api, stream):
    api.host_up("h1")
    stream.collect()
    j = api.submit("sse-job", 8)
    jid = j["job_id"]
    api.process()
    api.claim(jid, "h1")
    api.status(jid, "running", "h1")
    api.status(jid, "completed", "h1")
    frames = [(e, d) for e, d, _ in stream.collect()]
    mine = [(e, d) for e, d in frames if d.get("job_id") == jid or e == "queue_processed"]
    names = [e for e, _ in mine]
    assert names.count("job_submitted") == 1, names
    sub = [d for e, d in mine if e == "job_submitted"][0]
    assert sub["name"] == "sse-job" and sub["tier"] == "free" and sub["spot"] is False
    assert "job_assigned" in names and "queue_processed" in names and "lease_granted" in names
    assert names.index("job_submitted") < names.index("job_assigned") < names.index("lease_granted")
    statuses = [(d["previous_status"], d["status"]) for e, d in mine if e == "job_status"]
    assert statuses == [("queued", "assigned"), ("assigned", "leased"), ("leased", "running"),
                        ("running", "completed")], statuses
    assert all(d["host_id"] == "h1" for e, d in mine if e == "job_status")
    qp = [d for e, d in mine if e == "queue_processed"][0]
    assert qp["assigned_count"] == 1


def test_failure_requeue_reaches_sse(api, stream):
    api.host_up("h1")
    j = api.submit("f", 8)
    api.process()
    api.status(j["job_id"], "running", "h1")
    stream.collect()
    api.status(j["job_id"], "failed", "h1", failure_reason="host_lost")
    frames = [(e, d) for e, d, _ in stream.collect()]
    st = [(d["previous_status"], d["status"]) for e, d in frames if e == "job_status" and d["job_id"] == j["job_id"]]
    assert st == [("running", "failed"), ("failed", "queued")], frames


def test_cancel_and_host_removed_events(api, stream):
    api.host_up("h1")
    j = api.submit("c", 8)
    api.process()
    api.status(j["job_id"], "running", "h1")
    stream.collect()
    assert api.status(j["job_id"], "cancelled").status_code == 202
    frames = [(e, d) for e, d, _ in stream.collect()]
    assert any(e == "preemption_scheduled" and d["job_id"] == j["job_id"] and d["host_id"] == "h1"
               and d["reason"] == "cancel" for e, d in frames), frames
    api.delete("/host/h1")
    frames = [(e, d) for e, d, _ in stream.collect()]
    assert any(e == "host_removed" and d == {"host_id": "h1", "reason": "deleted"} for e, d in frames), frames


def test_two_subscribers_both_get_events(api, stream):
    other = Stream(api.url)
    try:
        assert other.next()[0] == "connected"
        api.submit("both", 1)
        a = [e for e, _, _ in stream.collect()]
        b = [e for e, _, _ in other.collect()]
        assert a.count("job_submitted") == 1 and b.count("job_submitted") == 1
    finally:
        other.close()


def _sse_clients(api):
    text = api.get("/metrics").text
    m = re.search(r"^xcelsior_sse_clients (\d+)", text, re.M)
    assert m, text
    return int(m.group(1))


def test_dropped_streams_cost_nothing(api):
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", api.server.port), timeout=5)
        s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        socks.append(s)
    for s in socks:
        data = b""
        while b"connected" not in data:
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
    assert _sse_clients(api) == 50
    for i, s in enumerate(socks):
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
        s.close()
    # events after the drop must not hurt the server
    api.reg("after-drop")
    api.submit("after-drop", 1)
    assert api.healthy()
    deadline = time.time() + 5
    while time.time() < deadline and _sse_clients(api) != 0:
        api.submit("tick", 1)  # a write towards dead sockets lets the server notice them
        time.sleep(0.1)
    assert _sse_clients(api) == 0
    assert api.healthy()
    # a new subscriber still works
    s = Stream(api.url)
    try:
        assert s.next()[0] == "connected"
        api.reg("post-drop")
        ev, d = [(e, d) for e, d, _ in s.collect() if e == "host_update"][0]
        assert d["host_id"] == "post-drop"
    finally:
        s.close()
