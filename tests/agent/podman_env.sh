#!/usr/bin/env bash
# Sets up a Docker-compatible engine for the agent tests, idempotently:
#   podman (runc, cgroupfs, bounded ulimits) serving the Docker Engine API on a unix socket, and a
#   locally imported busybox-static image (nothing is pulled from any registry).
# Usage: eval "$(tests/agent/podman_env.sh)"   — prints shell assignments:
#   XC_PODMAN_DIR, XC_PODMAN_SOCK, XCELSIOR_DOCKER_HOST, XC_TEST_IMAGE, CONTAINERS_CONF, and
#   XC_PODMAN_STARTED_PID when this call started the API service (empty when one was already
#   answering): whoever gets a pid there owns that service and stops it (by that pid) when done.
#   tests/agent/podman_env.sh --stop           — stops the API service it started.
# XC_PODMAN_DIR (default /tmp/xc-podman) holds the config, the socket, the pid file and the log.
set -euo pipefail

DIR=${XC_PODMAN_DIR:-/tmp/xc-podman}
SOCK=$DIR/podman.sock
IMAGE=${XC_TEST_IMAGE:-localhost/xc-busybox:latest}
export CONTAINERS_CONF=$DIR/containers.conf

die() { echo "podman_env: $*" >&2; exit 1; }

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$DIR/service.pid" ]; then
    pid=$(cat "$DIR/service.pid")
    if kill -0 "$pid" 2>/dev/null && grep -q podman "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" || true
    fi
    rm -f "$DIR/service.pid" "$SOCK"
  fi
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (rootful podman, network namespaces)"
for tool in podman runc busybox; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (scripts/deps.sh --test)"
done
mkdir -p "$DIR"
chmod 700 "$DIR"

# crun fails on this host's cgroup v1 layout; the default nofile/nproc limits exceed the hard limits.
cat > "$DIR/containers.conf.new" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
mv "$DIR/containers.conf.new" "$DIR/containers.conf"

# The image: a static busybox rootfs with a world-writable /tmp, imported once.
if ! podman image exists "$IMAGE" 2>/dev/null; then
  bb=$(command -v busybox)
  file -L "$bb" 2>/dev/null | grep -q "statically linked" || [ -x /bin/busybox ] || die "need busybox-static"
  root=$(mktemp -d "$DIR/rootfs.XXXXXX")
  mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,workspace,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp "$bb" "$root/bin/busybox"
  for app in $("$root/bin/busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  tar -C "$root" -cf "$DIR/rootfs.tar" .
  rm -rf "$root"
  podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$DIR/rootfs.tar" "$IMAGE" >/dev/null \
    || die "podman import failed"
  rm -f "$DIR/rootfs.tar"
fi

ping_sock() {
  command -v curl >/dev/null 2>&1 || { [ -S "$SOCK" ]; return; }
  [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null || true)" = "OK" ]
}

STARTED=
if ! ping_sock; then
  if [ -f "$DIR/service.pid" ]; then
    old=$(cat "$DIR/service.pid")
    if kill -0 "$old" 2>/dev/null && grep -q podman "/proc/$old/cmdline" 2>/dev/null; then
      kill "$old" || true
      sleep 0.5
    fi
  fi
  rm -f "$SOCK"
  setsid podman system service --time=0 "unix://$SOCK" >>"$DIR/service.log" 2>&1 < /dev/null &
  STARTED=$!
  echo "$STARTED" > "$DIR/service.pid"
  for _ in $(seq 1 100); do
    ping_sock && break
    sleep 0.1
  done
  ping_sock || die "the podman API service did not start (see $DIR/service.log)"
fi

cat <<OUT
XC_PODMAN_DIR=$DIR
XC_PODMAN_SOCK=$SOCK
XCELSIOR_DOCKER_HOST=unix://$SOCK
XC_TEST_IMAGE=$IMAGE
CONTAINERS_CONF=$DIR/containers.conf
XC_PODMAN_STARTED_PID=$STARTED
OUT
