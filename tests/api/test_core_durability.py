"""Durability: kill -9 in the middle of a concurrent submit burst loses no acknowledged job; SIGTERM with
requests in flight exits 0 after answering them completely and leaves an intact database; tampering with
the audit log in the SQLite file is detected by GET /api/audit/verify-chain after a restart
(domain.md §23.4, §29; api.md §8.11)."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import requests

from conftest import Api, uid


def _integrity(db):
    p = subprocess.run(["sqlite3", db, "PRAGMA integrity_check;"], capture_output=True, timeout=30)
    return p.stdout.decode().strip(), p.returncode


def _chain(api):
    r = api.get("/api/audit/verify-chain")
    assert r.status_code == 200, r.text
    b = r.json()
    return b.get("chain_integrity", b)


def test_kill9_mid_burst_loses_no_acknowledged_job(servers):
    s = servers()
    acked = []
    lock = threading.Lock()
    stop = threading.Event()
    errors_after_kill = []

    def worker(n):
        sess = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = sess.post(s.url + "/job", data=json.dumps({"name": f"w{n}-{i}", "vram_needed_gb": 1}), timeout=5)
            except requests.RequestException:
                if stop.is_set() or s.proc.poll() is not None:
                    return
                continue
            if r.status_code == 200:
                try:
                    jid = r.json()["job"]["job_id"]
                except ValueError:
                    errors_after_kill.append(r.text[:100])
                    continue
                with lock:
                    acked.append(jid)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        with lock:
            if len(acked) >= 150:
                break
        time.sleep(0.01)
    s.kill9()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) >= 150, len(acked)
    assert not errors_after_kill
    s2 = servers(db=s.db)
    a = Api(s2)
    missing = [j for j in acked if a.get("/job/" + j).status_code != 200]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged jobs lost after kill -9"
    assert a.jobs_total() >= len(acked)
    assert _chain(a)["valid"] is True
    s2.stop()
    out, rc = _integrity(s.db)
    assert rc == 0 and out == "ok", out


def _http_response_complete(sock):
    """Read one full HTTP/1.1 response (Content-Length framed) from the socket; returns (status, body)."""
    data = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in data:
        c = sock.recv(65536)
        if not c:
            raise AssertionError(f"connection closed before headers: {data!r}")
        data += c
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    n = int(hdrs["content-length"])
    while len(body) < n:
        c = sock.recv(65536)
        if not c:
            raise AssertionError(f"truncated body: {len(body)} of {n} bytes")
        body += c
    return status, body[:n]


def test_sigterm_with_requests_in_flight(servers):
    s = servers()
    a = Api(s)
    a.host_up("h1")
    for i in range(20):
        a.submit(f"pre-{i}", 1)
    # slow clients: headers and half the body sent, the rest after SIGTERM
    slow = []
    for i in range(5):
        body = json.dumps({"name": f"slow-{i}", "vram_needed_gb": 1}).encode()
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        sock.sendall(b"POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        slow.append((sock, body))
    # a concurrent burst of ordinary requests
    results = []
    rlock = threading.Lock()
    stop = threading.Event()

    def burst(n):
        sess = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = sess.post(s.url + "/job", data=json.dumps({"name": f"b{n}-{i}", "vram_needed_gb": 1}), timeout=10)
                ok = r.status_code == 200 and r.json()["ok"] is True
                with rlock:
                    results.append(("resp", r.status_code, ok, r.json()["job"]["job_id"] if ok else None))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
                # refused/reset before a response started is fine once shutdown began; a response cut in
                # the middle (ChunkedEncodingError, bad JSON) is not
                with rlock:
                    results.append(("conn", str(e)[:80], None, None))
                if s.proc.poll() is not None:
                    return
                time.sleep(0.01)
            except (requests.exceptions.ChunkedEncodingError, ValueError) as e:
                with rlock:
                    results.append(("broken", repr(e)[:120], None, None))

    threads = [threading.Thread(target=burst, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    slow_results = []
    for sock, body in slow:
        try:
            sock.sendall(body[10:])
            slow_results.append(_http_response_complete(sock))
        except (OSError, AssertionError) as e:
            slow_results.append(("error", repr(e)))
        finally:
            sock.close()
    try:
        rc = s.proc.wait(15)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert rc == 0, f"exit status {rc}: {s.logs()}"
    broken = [r for r in results if r[0] == "broken"]
    assert not broken, broken
    bad = [r for r in results if r[0] == "resp" and not r[2]]
    assert not bad, bad[:5]
    assert sum(1 for r in results if r[0] == "resp") > 0
    for st in slow_results:
        assert st[0] == 200, f"in-flight request not answered completely: {st}"
        assert json.loads(st[1])["ok"] is True
    out, irc = _integrity(s.db)
    assert irc == 0 and out == "ok", out
    # everything acknowledged is there after a restart
    s2 = servers(db=s.db)
    a2 = Api(s2)
    acked = [r[3] for r in results if r[0] == "resp" and r[2]]
    acked += [json.loads(b)["job"]["job_id"] for st, b in slow_results if st == 200]
    missing = [j for j in acked if a2.get("/job/" + j).status_code != 200]
    assert not missing, missing[:5]


def test_sigterm_idle_exits_zero(servers):
    s = servers()
    Api(s).submit("x", 1)
    assert s.stop() == 0
    out, rc = _integrity(s.db)
    assert out == "ok"


def _workload(a):
    a.host_up("h1")
    ids = []
    for i in range(3):
        j = a.submit(f"w{i}", 8)
        a.process()
        a.status(j["job_id"], "running", "h1")
        a.status(j["job_id"], "completed", "h1")
        ids.append(j["job_id"])
    return ids


def _sql(db, stmt):
    p = subprocess.run(["sqlite3", db, stmt], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode().strip()


def _tampered(servers, stmt):
    s = servers()
    a = Api(s)
    _workload(a)
    c = _chain(a)
    assert c["valid"] is True and c["events_checked"] >= 15, c
    assert s.stop() == 0
    _sql(s.db, stmt)
    s2 = servers(db=s.db)
    return _chain(Api(s2))


def test_verify_chain_detects_edited_event(servers):
    c = _tampered(servers, "UPDATE events SET data = replace(data, 'w1', 'w9') WHERE seq = "
                           "(SELECT min(seq) FROM events WHERE event_type = 'job.submitted' AND data LIKE '%w1%');")
    assert c["valid"] is False, c
    if "reason" in c:
        assert "event_hash mismatch at event" in c["reason"], c


def test_verify_chain_detects_blanked_hashes(servers):
    c = _tampered(servers, "UPDATE events SET event_hash = '';")
    assert c["valid"] is False, c
    if "reason" in c:
        assert "missing hash" in c["reason"], c


def test_verify_chain_detects_truncation(servers):
    c = _tampered(servers, "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events);")
    assert c["valid"] is False, c
    if "reason" in c:
        assert "chain head mismatch" in c["reason"], c


def test_verify_chain_detects_actor_change(servers):
    c = _tampered(servers, "UPDATE events SET actor = 'system' WHERE seq = 3;")
    assert c["valid"] is False, c


def test_verify_chain_valid_across_restart(servers):
    s = servers()
    _workload(Api(s))
    assert s.stop() == 0
    s2 = servers(db=s.db)
    a = Api(s2)
    a.submit("after-restart", 1)
    c = _chain(a)
    assert c["valid"] is True, c
