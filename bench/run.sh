#!/usr/bin/env bash
# make bench: prints numbers, asserts nothing. Usage: bench/run.sh BUILD_DIR
#  1. scheduler: placement decisions/s (core/sched, 10k hosts x 100k jobs)
#  2. scheduler through the store: load + place + one durable commit
#  3. HTTP (wrk, loopback, 50 connections): GET /healthz, durable POST /job, GET /hosts (1,000 hosts)
#  4. xcelsiord peak RSS while serving that load with 10,000 hosts and 100,000 jobs stored
#  5. scheduler and store at scale through the API: 10,000 heartbeating hosts, 100,000 jobs, the
#     queue loop on (bench/api_scale.py: drain time, /healthz and /job p99 meanwhile, list pages)
#  6. agent footprint (when bench/agent_footprint.sh exists)
set -uo pipefail
BUILD=${1:-build-bench}
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/$BUILD
DUR=${BENCH_SECONDS:-10}
TMP=$(mktemp -d /tmp/xc-bench-XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$TMP"' EXIT

echo "== scheduler (core/sched) =="
"$BIN/bench/bench_sched"
echo
echo "== scheduler through the store (load + place + durable commit) =="
XCELSIOR_LOG_LEVEL=warn "$BIN/bench/bench_commit"
echo

start_server() {
  XCELSIOR_ENV=test XCELSIOR_LOG_LEVEL=warn XCELSIOR_SWEEP_INTERVAL=0 XCELSIOR_RATE_LIMIT_REQUESTS=0 \
    "$BIN/xcelsiord" --host 127.0.0.1 --port "$PORT" --db "$TMP/x.db" --env-file /dev/null &
  SRV=$!
  for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && return; sleep 0.05; done
  echo "server did not start"; exit 1
}
peak_rss() { awk '/VmHWM/{print $2/1024 " MB"}' /proc/$SRV/status; }
wrk_rate() { grep -E 'Requests/sec|Non-2xx' | tr -s ' ' | sed 's/^ //'; }

start_server
cat > "$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"name":"bench-job","vram_needed_gb":8}'
wrk.headers["Content-Type"] = "application/json"
LUA
echo "== HTTP (wrk -t2 -c50 -d${DUR}s, loopback; wrk shares the 2 cores) =="
echo "GET /healthz:      $(wrk -t2 -c50 -d${DUR}s "$URL/healthz" | wrk_rate)"
echo "POST /job durable: $(wrk -t2 -c50 -d${DUR}s -s "$TMP/post.lua" "$URL/job" | wrk_rate)"
/usr/bin/python3 - "$URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
for i in range(1000):
    body = json.dumps({"host_id": f"bench-{i:04d}", "ip": f"127.0.{i // 250}.{i % 250 + 1}",
                       "gpu_model": "RTX 4090", "total_vram_gb": 24, "free_vram_gb": 24, "country": "CA",
                       "province": "ON", "versions": {"runc": "1.2.4", "nvidia_ctk": "1.17.8",
                       "nvidia_driver": "560.35.03", "docker": "27.0.1"}}).encode()
    urllib.request.urlopen(urllib.request.Request(url + "/host", body, method="PUT")).read()
PY
echo "GET /hosts (1,000 hosts): $(wrk -t2 -c50 -d${DUR}s "$URL/hosts" | wrk_rate)"
echo "xcelsiord peak RSS so far: $(peak_rss)"
kill $SRV; wait $SRV 2>/dev/null

echo
echo "== credential lookup: the operator token, a session token, an API key (same routes) =="
OPERATOR=bench-operator-token-0123456789abcdef
# A fresh server and store with one user, an API key and 200 of the user's jobs.
cred_setup() {
  rm -f "$TMP"/x.db*
  XCELSIOR_API_TOKEN=$OPERATOR start_server
  read -r SESSION KEY JOB CUST < <(/usr/bin/python3 - "$URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(req))
reg = call("POST", "/api/auth/register", {"email": "bench@example.com", "password": "bench-password-1"})
tok, cust = reg["access_token"], reg["user"]["customer_id"]
key = call("POST", "/api/keys/generate", {"name": "bench"}, tok)["key"]
jobs = [call("POST", "/job", {"name": f"b{i}", "vram_needed_gb": 1}, tok)["job"]["job_id"] for i in range(200)]
print(tok, key, jobs[-1], cust)
PY
)
}
# Reads first (the same 200 jobs, all the user's, for every credential).
cred_setup
for cred in "operator:$OPERATOR" "session:$SESSION" "api-key:$KEY"; do
  name=${cred%%:*}; tok=${cred#*:}
  echo "GET /job/{id} ($name):      $(wrk -t2 -c50 -d${DUR}s -H "Authorization: Bearer $tok" "$URL/job/$JOB" | wrk_rate)"
  echo "GET /jobs?limit=50 ($name): $(wrk -t2 -c50 -d${DUR}s -H "Authorization: Bearer $tok" "$URL/jobs?limit=50" | wrk_rate)"
done
kill $SRV; wait $SRV 2>/dev/null
# Writes: each credential on a fresh store (every submitted job stays queued, and a longer queue
# makes later runs slower), the operator submitting for the same customer (owner) so that only
# the lookup differs.
sed "s/\"vram_needed_gb\":8/\"vram_needed_gb\":8,\"owner\":\"CUST\"/" "$TMP/post.lua" > "$TMP/post-owner.lua.in"
for name in operator session api-key; do
  cred_setup
  case $name in
    operator) tok=$OPERATOR; sed "s/CUST/$CUST/" "$TMP/post-owner.lua.in" > "$TMP/post-cred.lua" ;;
    session) tok=$SESSION; cp "$TMP/post.lua" "$TMP/post-cred.lua" ;;
    api-key) tok=$KEY; cp "$TMP/post.lua" "$TMP/post-cred.lua" ;;
  esac
  echo "POST /job ($name):          $(wrk -t2 -c50 -d${DUR}s -H "Authorization: Bearer $tok" -s "$TMP/post-cred.lua" "$URL/job" | wrk_rate)"
  kill $SRV; wait $SRV 2>/dev/null
done

echo
echo "== memory with 10,000 hosts and 100,000 jobs stored =="
rm -f "$TMP"/x.db*
start_server
/usr/bin/python3 - "$URL" <<'PY'
import json, sys, urllib.request, concurrent.futures as cf
url = sys.argv[1]
def put(i):
    body = json.dumps({"host_id": f"h-{i:05d}", "ip": "127.0.0.2", "gpu_model": "RTX 4090",
                       "total_vram_gb": 24, "free_vram_gb": 24, "gpu_count": 1 + i % 8}).encode()
    urllib.request.urlopen(urllib.request.Request(url + "/host", body, method="PUT")).read()
def job(i):
    body = json.dumps({"name": f"job-{i}", "vram_needed_gb": 8 + i % 40}).encode()
    urllib.request.urlopen(urllib.request.Request(url + "/job", body, method="POST")).read()
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, range(10000)))
    list(ex.map(job, range(100000)))
PY
wrk -t2 -c50 -d${DUR}s "$URL/healthz" >/dev/null
wrk -t2 -c50 -d${DUR}s -s "$TMP/post.lua" "$URL/job" >/dev/null
echo "one POST /queue/process over the whole queue ($(curl -s "$URL/jobs?status=queued&limit=1" | \
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])') queued jobs, 10k hosts): \
$(curl -s -o /dev/null -w '%{time_total}' -XPOST "$URL/queue/process") s"
echo "xcelsiord peak RSS (10k hosts, 100k+ jobs, after load and that pass): $(peak_rss)"
kill $SRV; wait $SRV 2>/dev/null

echo
echo "== scale through the API: 10,000 heartbeating hosts, 100,000 jobs, queue loop on =="
rm -f "$TMP"/x.db*
XCELSIOR_QUEUE_INTERVAL=5 start_server
/usr/bin/python3 bench/api_scale.py "$URL" "${BENCH_HOSTS:-10000}" "${BENCH_JOBS:-100000}"
echo "xcelsiord peak RSS: $(peak_rss)"
kill $SRV; wait $SRV 2>/dev/null

if [ -x bench/agent_footprint.sh ]; then
  echo
  echo "== agent footprint =="
  bench/agent_footprint.sh "$BIN"
fi
