#!/usr/bin/env bash
# Runs every fuzz target in sequence, one at a time (the machine is shared), niced, and logs
# each run to fuzz/logs/<target>.log. Usage:
#   fuzz/run-all.sh                 # every target, 300 s each
#   SECS=60 fuzz/run-all.sh filter  # chosen targets, 60 s each
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on a stable toolchain with
# RUSTC_BOOTSTRAP=1. Crashes and hangs land in fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SECS="${SECS:-300}"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
mkdir -p logs
nice -n 19 cargo fuzz build || exit 1
for t in "${targets[@]}"; do
  log="logs/$t.log"
  {
    echo "# target=$t date=$(date -u +%FT%TZ) host=$(uname -srm) cpus=$(nproc) secs=$SECS"
    echo "# rustc: $(rustc --version)"
  } >"$log"
  mkdir -p "corpus/$t"
  nice -n 19 cargo fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -dict=dict/cookie.dict -print_final_stats=1 >>"$log" 2>&1
  echo "# exit=$? end=$(date -u +%FT%TZ)" >>"$log"
done
