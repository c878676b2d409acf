#!/usr/bin/env bash
# Minimises the corpus of each given target (default: every target) for committing:
# libFuzzer's set-cover merge (`-set_cover_merge=1`, fewest inputs reaching the same
# features), then, to keep the repository small, the smallest inputs up to BUDGET bytes
# (default 24 KiB) per target. The full corpus is kept, uncommitted, in corpus-raw/<target>.
# Run after `cargo fuzz build` (uses the built binaries); niced.
set -euo pipefail
cd "$(dirname "$0")"
BUDGET="${BUDGET:-24576}"
bin=target/x86_64-unknown-linux-gnu/release
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi
for t in "${targets[@]}"; do
  [ -d "corpus/$t" ] || continue
  mkdir -p corpus-raw
  rm -rf "corpus-raw/$t.new" && mv "corpus/$t" "corpus-raw/$t.new"
  if [ -d "corpus-raw/$t" ]; then cp -n "corpus-raw/$t"/* "corpus-raw/$t.new"/ 2>/dev/null || true; fi
  rm -rf "corpus-raw/$t" && mv "corpus-raw/$t.new" "corpus-raw/$t"
  merged=$(mktemp -d)
  nice -n 19 "$bin/$t" -set_cover_merge=1 -max_len=8192 "$merged" "corpus-raw/$t" >/dev/null 2>&1
  mkdir -p "corpus/$t"
  total=0
  while read -r size file; do
    [ $((total + size)) -le "$BUDGET" ] || break
    cp "$file" "corpus/$t/"
    total=$((total + size))
  done < <(find "$merged" -type f -printf '%s %p\n' | sort -n)
  echo "$t: raw $(ls "corpus-raw/$t" | wc -l) files, set cover $(ls "$merged" | wc -l) files $(cat "$merged"/* | wc -c) bytes, committed $(ls "corpus/$t" | wc -l) files $total bytes"
  rm -rf "$merged"
done
