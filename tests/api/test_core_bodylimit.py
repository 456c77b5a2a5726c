"""Oversize request bodies are refused without being read (issue 9, defect 3; api.md §1, ENV-19).

A declared Content-Length above the route's limit gets its 413 at once, before any of the body is
sent, and the connection closes after it.  A chunked body (no declared length) is stored up to the
limit only: a body that ends within one more limit's worth gets its 413, a longer one is cut off by
closing the connection, so no upload makes the server read without bound.
"""
import json
import socket
import time

import pytest

LIMITS = [("POST", "/job", 1024 * 1024), ("PUT", "/host", 64 * 1024), ("PATCH", "/job/" + "a" * 32, 64 * 1024)]


def _connect(srv, timeout=5):
    host, port = srv.url.split("//", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def _read_all(sock):
    """Everything until the server closes; returns (bytes, closed_cleanly)."""
    out = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return out, True
            out += d
    except ConnectionResetError:
        return out, False


def _parse(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    return status, headers, body


def _assert_413(raw):
    status, headers, body = _parse(raw)
    assert status == 413, raw[:300]
    assert headers.get("content-type", "").startswith("application/json"), headers
    assert headers.get("connection", "").lower() == "close", headers
    env = json.loads(body[: int(headers["content-length"])])
    assert env["ok"] is False and env["error"]["code"] == "payload_too_large", env
    return env


@pytest.mark.parametrize("method,path,limit", LIMITS, ids=[m for m, _, _ in LIMITS])
def test_declared_oversize_refused_before_the_body(srv, method, path, limit):
    """A huge declared length with a tiny body: the 413 comes at once and the connection closes
    (the server neither waits for the body nor drains it)."""
    s = _connect(srv)
    try:
        t0 = time.monotonic()
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  f"Content-Length: 100000000000\r\n\r\n{{}}".encode())
        raw, _ = _read_all(s)
        assert time.monotonic() - t0 < 2.0
    finally:
        s.close()
    env = _assert_413(raw)
    assert str(limit) in env["error"]["message"], env


def test_declared_oversize_no_body_sent_at_all(srv):
    """Only the headers are sent: the answer does not wait for the 1 MiB + 1 byte announced."""
    s = _connect(srv, timeout=3)
    try:
        s.sendall(b"POST /job HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n")
        raw, _ = _read_all(s)
    finally:
        s.close()
    _assert_413(raw)


def test_declared_oversize_with_expect_continue(srv):
    """A client that asks first gets the 413 instead of 100 Continue."""
    s = _connect(srv, timeout=3)
    try:
        s.sendall(b"PUT /host HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 70000\r\n\r\n")
        raw, _ = _read_all(s)
    finally:
        s.close()
    assert not raw.startswith(b"HTTP/1.1 100"), raw[:100]
    _assert_413(raw)


def _chunked_head(method, path):
    return f"{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()


def _chunks(total, size=16 * 1024):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"%x\r\n" % n + b" " * n + b"\r\n"
        sent += n


def test_chunked_oversize_gets_413(srv):
    s = _connect(srv)
    try:
        s.sendall(_chunked_head("POST", "/job"))
        for c in _chunks(1024 * 1024 + 200 * 1024):
            s.sendall(c)
        s.sendall(b"0\r\n\r\n")
        raw, _ = _read_all(s)
    finally:
        s.close()
    _assert_413(raw)


def test_chunked_within_limit_is_served(srv):
    body = json.dumps({"name": "chunky", "vram_needed_gb": 1}).encode()
    s = _connect(srv)
    try:
        s.sendall(_chunked_head("POST", "/job") + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += s.recv(65536)
        status, headers, rest = _parse(raw)
        n = int(headers["content-length"])
        while len(rest) < n:
            rest += s.recv(65536)
    finally:
        s.close()
    assert status == 200, raw[:300]
    assert json.loads(rest[:n])["job"]["name"] == "chunky"


def test_endless_chunked_upload_is_cut_off(srv):
    """A chunked upload that never ends is not read without bound: the server closes the connection
    after about twice the route's limit (plus what the socket buffers hold)."""
    s = _connect(srv, timeout=5)
    sent = 0
    cut = False
    try:
        s.sendall(_chunked_head("PUT", "/host"))
        t0 = time.monotonic()
        chunk = next(_chunks(64 * 1024, 64 * 1024))
        while time.monotonic() - t0 < 10 and sent < 256 * 1024 * 1024:
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                cut = True
                break
            sent += len(chunk)
    finally:
        s.close()
    assert cut, f"server still reading after {sent} bytes"
    assert sent < 64 * 1024 * 1024, sent
    assert srv_healthy(srv)


def srv_healthy(srv):
    import requests
    return requests.get(srv.url + "/healthz", timeout=5).status_code == 200
