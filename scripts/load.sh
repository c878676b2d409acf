#!/usr/bin/env bash
# End-to-end overhead of the consent layer (issue 7): the axum hello-world of
# examples/hello.rs, which sets two cookies, served without and with CookieConsentLayer,
# loaded by wrk on loopback for DURATION seconds each, alternating, ROUNDS times.
# Prints requests/s of every run, the means, and the ratio with/without (target >= 0.97).
# With REFERENCE=1 (the default) each round also loads the same hello-world behind
# tower-cookies' CookieManagerLayer (handler reads one cookie), the reference of issue 7, and
# prints its ratio to without too.
#
#   scripts/load.sh                 # 3 rounds of 10 s each way
#   DURATION=5 ROUNDS=2 REFERENCE=0 scripts/load.sh
#
# Needs wrk (Debian: apt-get install -y wrk). Uses taskset (util-linux), when present, to
# put the server on CPU 0 and wrk on CPU 1. Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
PORT_OFF=${PORT_OFF:-3101}
PORT_ON=${PORT_ON:-3102}
PORT_REF=${PORT_REF:-3103}
REFERENCE=${REFERENCE:-1}

command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
else
  SERVER_CPU=(); CLIENT_CPU=()
fi

cargo build --release --example hello
BIN=target/release/examples/hello

"${SERVER_CPU[@]}" "$BIN" "127.0.0.1:$PORT_OFF" off & PID_OFF=$!
"${SERVER_CPU[@]}" "$BIN" "127.0.0.1:$PORT_ON" on & PID_ON=$!
PORTS=("$PORT_OFF" "$PORT_ON"); PID_REF=
if [ "$REFERENCE" = 1 ]; then
  "${SERVER_CPU[@]}" "$BIN" "127.0.0.1:$PORT_REF" tower-cookies & PID_REF=$!
  PORTS+=("$PORT_REF")
fi
trap 'kill "$PID_OFF" "$PID_ON" $PID_REF 2>/dev/null || true' EXIT

for port in "${PORTS[@]}"; do
  for _ in $(seq 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
done

# A real visitor's Cookie field: 12 cookies, about 1 KB, the consent cookie last, granting
# statistics (so both responses carry the same two Set-Cookie and the same bytes).
NOW_MS=$(( $(date +%s) * 1000 - 3600000 ))
CONSENT="%7B%22necessary%22%3Atrue%2C%22functional%22%3Atrue%2C%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%2C%22timestamp%22%3A${NOW_MS}%7D"
COOKIE="sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; _ga=GA1.1.1234567890.1735689600; _ga_ABCDEF1234=GS1.1.1735689600.5.1.1735690000.0.0.0; _gid=GA1.2.987654321.1735689600; _fbp=fb.1.1735689600000.1234567890; _pk_id.1.a1b2=0123456789abcdef.1735689600.; _hjSessionUser_123456=eyJpZCI6IjAxMjM0NTY3LTg5YWItY2RlZi0wMTIzLTQ1Njc4OWFiY2RlZiIsImNyZWF0ZWQiOjE3MzU2ODk2MDAwMDAsImV4aXN0aW5nIjp0cnVlfQ==; __cf_bm=Hx2b9kLmN4pQ7rStUvWxYz0123456789abcdefGHIJKLmnopQRSTuvwxYZ-1735689600-1.0.1.1-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIj; intercom-id-abc123=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; lang=fr; cookies_preferences=$CONSENT"

# Every server answers with the same two Set-Cookie for this visitor.
for port in "${PORTS[@]}"; do
  n=$(curl -fsS -D - -o /dev/null -H "Cookie: $COOKIE" "http://127.0.0.1:$port/" | grep -ci '^set-cookie:')
  [ "$n" = 2 ] || { echo "port $port sent $n Set-Cookie, expected 2" >&2; exit 1; }
done
# Without consent the layer removes _ga: it is really there.
n=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$PORT_ON/" | grep -ci '^set-cookie:')
[ "$n" = 1 ] || { echo "the layer kept $n Set-Cookie for an undecided visitor, expected 1" >&2; exit 1; }

cpu_ticks() { # pid -> user + system clock ticks of that process so far
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

run() { # port pid -> "requests/s server-CPU-µs-per-request"
  local before after out
  before=$(cpu_ticks "$2")
  out=$("${CLIENT_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "Cookie: $COOKIE" \
    "http://127.0.0.1:$1/")
  after=$(cpu_ticks "$2")
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%s %.2f\n", rps, ticks * 1e6 / hz / n }'
}

# Requests/s is the target; the server's CPU time per request (from /proc, 10 ms ticks) is
# printed too: it is less disturbed than throughput when other jobs share the machine.
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds, alternating (load: $(cut -d' ' -f1-3 /proc/loadavg))"
OFF=(); ON=(); CPU_OFF=(); CPU_ON=(); REF=(); CPU_REF=()
for round in $(seq "$ROUNDS"); do
  read -r off cpu_off < <(run "$PORT_OFF" "$PID_OFF")
  read -r on cpu_on < <(run "$PORT_ON" "$PID_ON")
  OFF+=("$off"); ON+=("$on"); CPU_OFF+=("$cpu_off"); CPU_ON+=("$cpu_on")
  printf 'round %d: without %9.1f req/s (%6.2f µs CPU/req)   with %9.1f req/s (%6.2f µs CPU/req)   ratio %.3f\n' \
    "$round" "$off" "$cpu_off" "$on" "$cpu_on" "$(echo "$on / $off" | bc -l)"
  if [ -n "$PID_REF" ]; then
    read -r ref cpu_ref < <(run "$PORT_REF" "$PID_REF")
    REF+=("$ref"); CPU_REF+=("$cpu_ref")
    printf '         tower-cookies %9.1f req/s (%6.2f µs CPU/req)   ratio to without %.3f\n' \
      "$ref" "$cpu_ref" "$(echo "$ref / $off" | bc -l)"
  fi
done
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.2f", s / NR }'; }
m_off=$(mean "${OFF[@]}"); m_on=$(mean "${ON[@]}")
c_off=$(mean "${CPU_OFF[@]}"); c_on=$(mean "${CPU_ON[@]}")
printf 'mean:    without %9.1f req/s (%6.2f µs CPU/req)   with %9.1f req/s (%6.2f µs CPU/req)\n' \
  "$m_off" "$c_off" "$m_on" "$c_on"
printf 'server CPU per request with/without: %.3f\n' "$(echo "$c_on / $c_off" | bc -l)"
if [ -n "$PID_REF" ]; then
  m_ref=$(mean "${REF[@]}"); c_ref=$(mean "${CPU_REF[@]}")
  printf 'tower-cookies: %9.1f req/s (%6.2f µs CPU/req), ratio to without %.3f; CPU per request over without: layer %+.2f µs, tower-cookies %+.2f µs\n' \
    "$m_ref" "$c_ref" "$(echo "$m_ref / $m_off" | bc -l)" \
    "$(echo "$c_on - $c_off" | bc -l)" "$(echo "$c_ref - $c_off" | bc -l)"
fi
printf 'ratio with/without: %.3f (target >= 0.97)\n' "$(echo "$m_on / $m_off" | bc -l)"
