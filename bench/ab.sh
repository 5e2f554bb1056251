#!/usr/bin/env bash
# A/B of two Reprise binaries (one command: bench/ab.sh OLD NEW). Both run AT THE SAME TIME on core 0, one event
# loop each, in front of the same origin, each loaded by its own `wrk -t1 -c16` on core 1 with hits of SIZE bytes
# (default 1024). Prints CPU µs per request of each (utime+stime from /proc) and their ratio B/A, ROUNDS times
# (default 3), swapping the ports every other round. Loopback only; origin :18690, the two proxies :18691/:18692.
set -euo pipefail
[ $# -eq 2 ] && [ -x "$1" ] && [ -x "$2" ] || { echo "usage: bench/ab.sh OLD-BINARY NEW-BINARY" >&2; exit 2; }
A=$1
B=$2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" ab
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6}
SIZE=${SIZE:-1024}
command -v wrk >/dev/null || { echo "ab.sh: needs wrk"; exit 1; }

REPRISE_THREADS=1 taskset -c 0 "$A" upstream --listen 127.0.0.1:18690 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
conf() {
  printf '[server]\nlisten = "127.0.0.1:%s"\n[metrics]\nenabled = false\n[[upstream]]\nname = "origin"\nprefix = "/"\nurl = "http://127.0.0.1:18690"\n' \
    "$1" >"$WORK/$1.conf"
}
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
conf 18691
conf 18692
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then pa=18691; pb=18692; else pa=18692; pb=18691; fi
  REPRISE_THREADS=1 taskset -c 0 "$A" --config "$WORK/$pa.conf" >"$WORK/a.log" 2>&1 & a=$!
  REPRISE_THREADS=1 taskset -c 0 "$B" --config "$WORK/$pb.conf" >"$WORK/b.log" 2>&1 & b=$!
  PIDS+=($a $b)
  for port in $pa $pb; do
    wait_for "http://127.0.0.1:$port/bench/$SIZE" || { echo "ab.sh: :$port did not start"; exit 1; }
    curl -s -o /dev/null "http://127.0.0.1:$port/bench/$SIZE"
  done
  a0=$(cpu $a); b0=$(cpu $b)
  taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" "http://127.0.0.1:$pa/bench/$SIZE" >"$WORK/wa" & w1=$!
  taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" "http://127.0.0.1:$pb/bench/$SIZE" >"$WORK/wb" & w2=$!
  wait $w1 $w2
  a1=$(cpu $a); b1=$(cpu $b)
  kill $a $b; wait $a $b 2>/dev/null || true
  na=$(awk '/requests in/ {print $1}' "$WORK/wa"); nb=$(awk '/requests in/ {print $1}' "$WORK/wb")
  awk -v ta=$((a1 - a0)) -v tb=$((b1 - b0)) -v na="$na" -v nb="$nb" -v hz="$HZ" \
    'BEGIN { ua = ta / hz * 1e6 / na; ub = tb / hz * 1e6 / nb; printf "A %.2f µs/req (%d req)  B %.2f µs/req (%d req)  B/A %.3f\n", ua, na, ub, nb, ub / ua }'
done
