#!/usr/bin/env bash
# Instructions per request of every `overhead/<scenario>/<function>` benchmark, counted by
# valgrind's callgrind (deterministic: other jobs on the machine do not change it).
# Each function runs N and 0 requests; (Ir(N) - Ir(0)) / N is printed, the median of
# REPEAT runs (each run is a new process: the registry's hash maps get new seeds, which moves
# a count by a few hundred instructions).
#
#   scripts/instructions.sh            # N = 2000, REPEAT = 3
#   N=500 REPEAT=1 scripts/instructions.sh typical
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
REPEAT=${REPEAT:-3}
SCENARIOS=${*:-typical nothing_to_do all_allowed large_registry}
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install -y valgrind" >&2; exit 1; }
BIN=$(cargo bench --bench overhead --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
ir() { # id n -> total instructions
  OVERHEAD_COUNT="$1:$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" 2>&1 |
    awk '/Collected :/ && $NF > m { m = $NF } END { print m }' # the largest: the bench, not the gnuplot probe it forks
}
for scenario in $SCENARIOS; do
  for f in ${FUNCTIONS:-passthrough consent consent_no_withdrawal consent_no_decision tower_cookies}; do
    id="overhead/$scenario/$f"
    counts=()
    for _ in $(seq "$REPEAT"); do
      base=$(ir "$id" 0); full=$(ir "$id" "$N")
      counts+=($(( (full - base) / N )))
    done
    median=$(printf '%s\n' "${counts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    printf '%-48s %8d instructions/request (runs: %s)\n' "$id" "$median" "${counts[*]}"
  done
done
