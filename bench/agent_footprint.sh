#!/usr/bin/env bash
# Agent footprint: an admitted simulated-GPU agent idling against a real xcelsiord and a real
# podman engine for 60 s at a 5 s telemetry interval. Prints peak RSS and CPU share.
# Usage: bench/agent_footprint.sh BUILD_DIR [SECONDS]
set -uo pipefail
BIN=$1
SECS=${2:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$ROOT/tests/agent/podman_env.sh")"
TMP=$(mktemp -d /tmp/xc-agentbench-XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
XCELSIOR_ENV=test XCELSIOR_LOG_LEVEL=warn XCELSIOR_RATE_LIMIT_REQUESTS=0 XCELSIOR_MIN_RUNC=0 XCELSIOR_MIN_DOCKER=0 \
  XCELSIOR_MIN_NVIDIA_CTK=0 XCELSIOR_MIN_NVIDIA_DRIVER=0 \
  "$BIN/xcelsiord" --port "$PORT" --db "$TMP/x.db" --env-file /dev/null &
SRV=$!
sleep 0.5
XCELSIOR_HOST_ID=bench-agent XCELSIOR_SCHEDULER_URL=http://127.0.0.1:$PORT XCELSIOR_HOST_IP=127.0.0.2 \
  XCELSIOR_DOCKER_HOST=$XCELSIOR_DOCKER_HOST CONTAINERS_CONF=$CONTAINERS_CONF XCELSIOR_WORK_DIR=$TMP/work \
  XCELSIOR_TELEMETRY_INTERVAL=5 XCELSIOR_LOG_LEVEL=warn \
  "$BIN/xcelsior-agent" --simulate >"$TMP/agent.log" 2>&1 &
AG=$!
sleep 3
ticks() { awk '{print $14 + $15}' /proc/$AG/stat; }
t0=$(ticks); s0=$(date +%s.%N)
sleep "$SECS"
t1=$(ticks); s1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmHWM/{print $2/1024}' /proc/$AG/status)
cpu=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$hz" 'BEGIN{printf "%.3f", (b-a)/hz/(e-s)*100}')
echo "agent over ${SECS}s at 5 s telemetry: peak RSS ${rss} MB, CPU ${cpu} % of one core"
kill $AG $SRV; wait $AG $SRV 2>/dev/null
rm -rf "$TMP"
