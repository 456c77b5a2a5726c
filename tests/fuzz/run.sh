#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# FUZZ_SECONDS (default 30). A crash leaves its input in tests/fuzz/out/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/fuzz/out
SECS=${FUZZ_SECONDS:-30}
mkdir -p "$OUT"
CFLAGS=(-g -O1 -std=gnu17 -D_GNU_SOURCE -DXC_VERSION=\"fuzz\" -fsanitize=fuzzer,address,undefined -I"$ROOT/src"
        -I"$ROOT/build/generated")
LIBS=(-ljansson -lcrypto -lm)
CORE=(src/common/fixed.c src/core/hashchain.c src/core/admit.c src/core/gpu.c src/common/jsonx.c src/common/xalloc.c)
# routes.c references every handler; the fuzz build links stand-ins that are never called.
stubs=$OUT/handler_stubs.c
grep -ohE '\bh_[a-z_]+\b' src/server/api/handlers.h src/server/api/handlers_billing.h | sort -u |
  sed 's/.*/void &(struct req *r) { (void)r; __builtin_trap(); }/' | sed '1i struct req;' > "$stubs"
clang "${CFLAGS[@]}" tests/fuzz/fuzz_fixed.c "${CORE[@]}" "${LIBS[@]}" -o "$OUT/fuzz_fixed"
clang "${CFLAGS[@]}" tests/fuzz/fuzz_json.c "${CORE[@]}" "${LIBS[@]}" -o "$OUT/fuzz_json"
clang "${CFLAGS[@]}" tests/fuzz/fuzz_routes.c src/server/http/routes.c src/common/xalloc.c "$stubs" -o "$OUT/fuzz_routes"
for t in fuzz_fixed fuzz_json fuzz_routes; do
  echo "== $t (${SECS}s) =="
  (cd "$OUT" && ./"$t" -max_total_time="$SECS" -print_final_stats=1 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' || true)
  (cd "$OUT" && ! ls crash-* leak-* oom-* timeout-* >/dev/null 2>&1) || { echo "$t found a failing input in $OUT"; exit 1; }
done
