#!/usr/bin/env bash
# Browser end-to-end test of the dashboard (GET /dashboard) against a real xcelsiord.
#   XC_BUILD_DIR  build dir containing xcelsiord, or the binary itself (default /work/main/build)
#   XC_CHROMIUM   browser executable (default /usr/bin/chromium; Debian package "chromium")
# Never downloads browsers: playwright-core drives the system Chromium.
set -euo pipefail
cd "$(dirname "$0")"

CHROMIUM="${XC_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "e2e: Chromium not found at $CHROMIUM (install it with: apt-get install -y chromium)" >&2
  exit 2
fi
command -v node >/dev/null || { echo "e2e: node is required" >&2; exit 2; }

if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@apidevtools/swagger-parser ]; then
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

mkdir -p out
# Hard wall-clock cap so a hung browser or server can never stall CI (whole run < 2 min).
exec timeout --kill-after=5 115 node --test --test-reporter=spec --test-timeout=60000 dashboard.test.mjs docs.test.mjs accounts.test.mjs earnings.mjs trust.mjs
