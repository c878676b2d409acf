#!/usr/bin/env bash
# Prints one Markdown table row per fuzz log in fuzz/logs/ (or the directory given), for
# FUZZING.md:
# target | start (UTC) | seconds | executions | exec/s | coverage (cov / ft) | corpus | findings
cd "$(dirname "$0")"
for log in "${1:-logs}"/*.log; do
  t=$(basename "$log" .log)
  start=$(sed -n 's/^# target=[^ ]* date=\([^ ]*\).*/\1/p' "$log" | head -1)
  secs=$(sed -n 's/.* secs=\([0-9]*\).*/\1/p' "$log" | head -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \/ \2/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
  crashes=$(grep -cE '^==[0-9]+==ERROR|^thread .* panicked|deadly signal|ALARM: working on the last Unit' "$log")
  echo "| \`$t\` | $start | $secs | ${runs:-?} | ${eps:-?} | $cov | $corp | $crashes |"
done
