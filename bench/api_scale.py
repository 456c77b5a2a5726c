"""Scheduler and store at scale, through the HTTP API (issue 8). Prints numbers, asserts nothing.

10,000 hosts registered and admitted, heartbeating (PUT /host, as agents do) for the whole run;
100,000 jobs submitted by 8 clients with the automatic queue loop on. Reports:
  - POST /job throughput and latency while the queue fills;
  - time from the last submission until the queue stops shrinking (every job that fits placed);
  - meanwhile, from separate clients, GET /healthz and GET /job/{id} latency (p50/p99);
  - GET /jobs?status=queued&limit=100 and GET /jobs?limit=100&cursor=… latency at that size.
Usage: api_scale.py URL [hosts] [jobs]"""
import concurrent.futures as cf
import json
import random
import sys
import threading
import time

import requests

URL = sys.argv[1]
NH = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
NJ = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
GOOD = {"runc": "1.2.4", "nvidia_ctk": "1.17.8", "nvidia_driver": "560.35.03", "docker": "27.1.1"}
tls = threading.local()


def sess():
    if not hasattr(tls, "s"):
        tls.s = requests.Session()
    return tls.s


def host_body(i):
    vram = (24, 48, 80)[i % 3]
    return {"host_id": f"h-{i:05d}", "ip": f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}",
            "gpu_model": "RTX 4090", "total_vram_gb": vram, "free_vram_gb": vram, "gpu_count": 1 + i % 8,
            "country": "CA", "province": "ON"}


def put_host(i):
    sess().put(URL + "/host", data=json.dumps(host_body(i)), timeout=60).raise_for_status()
    sess().post(URL + "/agent/versions", data=json.dumps({"host_id": f"h-{i:05d}", "versions": GOOD}),
                timeout=60).raise_for_status()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000 if xs else float("nan")


def queued():
    return sess().get(URL + "/jobs?status=queued&limit=1", timeout=60).json()["total"]


stop = threading.Event()
probe = {"healthz": [], "job": []}
ids = []


def heartbeats():
    s = requests.Session()
    i = 0
    while not stop.is_set():
        s.put(URL + "/host", data=json.dumps(host_body(i % NH)), timeout=60)
        i += 1
        time.sleep(0.002)  # ~300–500 heartbeats/s: 10,000 agents on a 30 s period


def prober(kind):
    s = requests.Session()
    while not stop.is_set():
        if kind == "job":
            if not ids:
                time.sleep(0.01)
                continue
            path = "/job/" + random.choice(ids)
        else:
            path = "/healthz"
        t0 = time.monotonic()
        s.get(URL + path, timeout=60)
        probe[kind].append(time.monotonic() - t0)
        time.sleep(0.01)


t0 = time.monotonic()
with cf.ThreadPoolExecutor(8) as ex:
    list(ex.map(put_host, range(NH)))
print(f"registered and admitted {NH} hosts in {time.monotonic() - t0:.1f} s")

threads = [threading.Thread(target=f, args=a, daemon=True)
           for f, a in ((heartbeats, ()), (prober, ("healthz",)), (prober, ("job",)))]
for t in threads:
    t.start()

post_lat = []


def submit(i):
    b = {"name": f"j{i}", "vram_needed_gb": (1, 2, 4, 8, 16)[i % 5], "tier": ("free", "standard", "premium")[i % 3]}
    t = time.monotonic()
    r = sess().post(URL + "/job", data=json.dumps(b), timeout=60)
    post_lat.append(time.monotonic() - t)
    if r.status_code == 200 and i % 50 == 0:
        ids.append(r.json()["job"]["job_id"])


t0 = time.monotonic()
with cf.ThreadPoolExecutor(8) as ex:
    list(ex.map(submit, range(NJ), chunksize=256))
t_last = time.monotonic()
print(f"POST /job: {NJ} in {t_last - t0:.1f} s = {NJ / (t_last - t0):.0f}/s (8 clients, heartbeats and probes "
      f"running); latency p50 {pct(post_lat, 50):.1f} ms, p99 {pct(post_lat, 99):.1f} ms")

# Until the queue stops shrinking: every job that fits is placed.
last, last_change = queued(), time.monotonic()
while time.monotonic() - last_change < 3:
    time.sleep(0.1)
    q = queued()
    if q != last:
        last, last_change = q, time.monotonic()
drain = max(0.0, last_change - t_last)
print(f"queue drained {drain:.2f} s after the last submission; {last} jobs left queued (no host fits them), "
      f"{NJ - last} placed")
stop.set()
for t in threads:
    t.join(60)
print(f"meanwhile GET /healthz: {len(probe['healthz'])} calls, p50 {pct(probe['healthz'], 50):.1f} ms, "
      f"p99 {pct(probe['healthz'], 99):.1f} ms")
print(f"meanwhile GET /job/{{id}}: {len(probe['job'])} calls, p50 {pct(probe['job'], 50):.1f} ms, "
      f"p99 {pct(probe['job'], 99):.1f} ms")

for path in ("/jobs?status=queued&limit=100", "/jobs?limit=100", "/jobs?status=assigned&limit=100"):
    lat = []
    for _ in range(50):
        t = time.monotonic()
        sess().get(URL + path, timeout=60).raise_for_status()
        lat.append(time.monotonic() - t)
    print(f"GET {path}: p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms")
cur, lat, pages = None, [], 0
while pages < 100:
    t = time.monotonic()
    b = sess().get(URL + "/jobs?limit=100" + (f"&cursor={cur}" if cur else ""), timeout=60).json()
    lat.append(time.monotonic() - t)
    pages += 1
    cur = b["next_cursor"]
    if not cur:
        break
print(f"GET /jobs keyset pages (100 rows): {pages} pages, p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms")
