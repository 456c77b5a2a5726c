#!/usr/bin/env bash
# Installs the Debian packages Xcelsior needs to build, run and test. Idempotent:
# only missing packages are installed, so a second run costs a dpkg query.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
            libcurl4-openssl-dev libssl-dev libpq-dev libcriterion-dev libargon2-dev)
TEST_PKGS=(python3-pytest python3-requests sqlite3 curl prometheus wrk podman runc busybox-static
           nftables iproute2 procps psmisc chromium)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${TEST_PKGS[@]}")
  # Node.js for the browser test: keep whatever node the machine has (it may come from another
  # packaging of nodejs that bundles npm); otherwise take Debian's.
  command -v node >/dev/null 2>&1 || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the tests (tests/e2e/package-lock.json, from the npm registry): playwright-core
# drives the system Chromium; @apidevtools/swagger-parser validates GET /openapi.json.
if [ "${1:-}" = "--test" ]; then
  e2e="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e"
  if [ ! -d "$e2e/node_modules/playwright-core" ] || [ ! -d "$e2e/node_modules/@apidevtools/swagger-parser" ]; then
    echo "deps: npm ci in tests/e2e" >&2
    (cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
