#!/usr/bin/env bash
# A/B of two Reprise binaries (one command: bench/ab.sh OLD NEW). Both run AT THE SAME TIME on core 0, one event
# loop each, in front of the same origin, each loaded by its own `wrk -t1 -c16` on core 1 with hits of SIZE bytes
# (default 1024), or with TARGET (e.g. TARGET='/test/cache?cc=no-store&size=1024' for misses). Prints CPU µs per
# request of each (utime+stime from /proc) and their ratio B/A, ROUNDS times (default 3), swapping the ports every
# other round. Loopback only; origin :PORT (default 18690), the two proxies :PORT+1/:PORT+2. Fails at once if a port
# is taken (another benchmark, a test's redis-server). WRK_SCRIPT=bench/post.lua (with BENCH_DIR=bench exported)
# makes every request a POST with 1 KiB of JSON (TARGET=/bench/1024: the pass-through row); ORIGIN_BIN picks the
# binary that serves as the origin (default OLD).
set -euo pipefail
[ $# -eq 2 ] && [ -x "$1" ] && [ -x "$2" ] || { echo "usage: bench/ab.sh OLD-BINARY NEW-BINARY" >&2; exit 2; }
A=$1
B=$2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" ab
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6}
SIZE=${SIZE:-1024}
TARGET=${TARGET:-/bench/$SIZE}
command -v wrk >/dev/null || { echo "ab.sh: needs wrk"; exit 1; }
PORT=${PORT:-18690}
for port in $PORT $((PORT + 1)) $((PORT + 2)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "ab.sh: port $port is taken (set PORT=...)"; exit 1; fi
done

REPRISE_THREADS=1 taskset -c 0 "${ORIGIN_BIN:-$A}" upstream --listen 127.0.0.1:$PORT >"$WORK/origin.log" 2>&1 & PIDS+=($!)
conf() {
  printf '[server]\nlisten = "127.0.0.1:%s"\n[metrics]\nenabled = false\n[[upstream]]\nname = "origin"\nprefix = "/"\nurl = "http://127.0.0.1:%s"\n' \
    "$1" "$PORT" >"$WORK/$1.conf"
}
conf $((PORT + 1))
conf $((PORT + 2))
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then pa=$((PORT + 1)); pb=$((PORT + 2)); else pa=$((PORT + 2)); pb=$((PORT + 1)); fi
  REPRISE_THREADS=1 taskset -c 0 "$A" --config "$WORK/$pa.conf" >"$WORK/a.log" 2>&1 & a=$!
  REPRISE_THREADS=1 taskset -c 0 "$B" --config "$WORK/$pb.conf" >"$WORK/b.log" 2>&1 & b=$!
  PIDS+=($a $b)
  for port in $pa $pb; do
    wait_for "http://127.0.0.1:$port$TARGET" || { echo "ab.sh: :$port did not start"; exit 1; }
    curl -s -o /dev/null "http://127.0.0.1:$port$TARGET"
  done
  paired_load "http://127.0.0.1:$pa$TARGET" $a "http://127.0.0.1:$pb$TARGET" $b
  kill $a $b; wait $a $b 2>/dev/null || true
  awk -v ua="${PAIR_US[0]}" -v ub="${PAIR_US[1]}" -v ra="${PAIR_RATE[0]}" -v rb="${PAIR_RATE[1]}" \
    'BEGIN { printf "A %.2f µs/req (%.0f req/s)  B %.2f µs/req (%.0f req/s)  B/A %.3f\n", ua, ra, ub, rb, ub / ua }'
done
