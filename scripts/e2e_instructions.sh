#!/usr/bin/env bash
# User-space instructions per request of the end-to-end server (examples/hello.rs), without
# and with the consent layer, counted by valgrind's callgrind (deterministic, unlike
# requests/s on a shared machine). Each server runs under callgrind and gets N keep-alive
# requests on one connection with the typical 1 KB Cookie field of scripts/load.sh; a run
# with no request is subtracted, so start-up is not counted.
#
#   scripts/e2e_instructions.sh          # N = 1000
#   N=300 scripts/e2e_instructions.sh
#
# Needs valgrind, callgrind_control and curl (Debian: apt-get install -y valgrind curl).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
PORT=${PORT:-3111}
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install -y valgrind" >&2; exit 1; }

cargo build --release --example hello
BIN=target/release/examples/hello
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

NOW_MS=$(( $(date +%s) * 1000 - 3600000 ))
CONSENT="%7B%22necessary%22%3Atrue%2C%22functional%22%3Atrue%2C%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%2C%22timestamp%22%3A${NOW_MS}%7D"
COOKIE="sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; _ga=GA1.1.1234567890.1735689600; _ga_ABCDEF1234=GS1.1.1735689600.5.1.1735690000.0.0.0; _gid=GA1.2.987654321.1735689600; _fbp=fb.1.1735689600000.1234567890; _pk_id.1.a1b2=0123456789abcdef.1735689600.; _hjSessionUser_123456=eyJpZCI6IjAxMjM0NTY3LTg5YWItY2RlZi0wMTIzLTQ1Njc4OWFiY2RlZiIsImNyZWF0ZWQiOjE3MzU2ODk2MDAwMDAsImV4aXN0aW5nIjp0cnVlfQ==; __cf_bm=Hx2b9kLmN4pQ7rStUvWxYz0123456789abcdefGHIJKLmnopQRSTuvwxYZ-1735689600-1.0.1.1-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIj; intercom-id-abc123=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; lang=fr; cookies_preferences=$CONSENT"

count() { # mode requests -> instructions of the whole run
  local file="$OUT/cg.$1.$2"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$BIN" "127.0.0.1:$PORT" "$1" \
    2>"$OUT/log" & local pid=$!
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health-probe-404" 2>/dev/null && break
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/x" 2>/dev/null)" = 404 ] && break
    sleep 0.2
  done
  if [ "$2" -gt 0 ]; then
    curl -fsS -o /dev/null -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/?[1-$2]"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk '/^summary:|^totals:/ { print $2; exit }' "$file"*
}

for mode in off on; do
  base=$(count "$mode" 0)
  full=$(count "$mode" "$N")
  printf 'layer %-3s %8d instructions/request\n' "$mode" $(( (full - base) / N ))
done
