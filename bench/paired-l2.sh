#!/usr/bin/env bash
# L1 hits against L2 hits, side by side (one command: bench/paired-l2.sh; issue 18's third goal). Two Reprise
# instances in fleet mode share one redis-server: B keeps the object in L1 (every request an L1 hit), C's L1 is too
# small to keep it (every request an L2 hit: a Redis GET and a decode, then the same answer path). B and C run AT THE
# SAME TIME on core 0, one event loop each, each loaded by its own `wrk -t1 -c16` on core 1; redis-server and the
# origin run on core 1, so Redis's work is not charged to core 0. Prints, ROUNDS times (default 3), the CPU µs per
# request of B and C (utime+stime from /proc), their ratio C/B, and Redis's own CPU µs per L2 hit.
# SIZE (default 1024) bytes per body. Loopback only: origin :18570, redis :18579, B :18571, C :18573.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" paired-l2
DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-1024}
command -v wrk >/dev/null || { echo "paired-l2.sh: needs wrk"; exit 1; }
command -v redis-server >/dev/null || { echo "paired-l2.sh: needs redis-server (apt-get install -y redis-server)"; exit 1; }

taskset -c 1 redis-server --port 18579 --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
  >"$WORK/redis.log" 2>&1 & REDIS=$!
PIDS+=($REDIS)
REPRISE_THREADS=1 taskset -c 1 "$BIN" upstream --listen 127.0.0.1:18570 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
write_conf() {  # $1 name, $2 port, $3 memory, $4 max_object
  cat >"$WORK/$1.conf" <<CONF
[server]
listen = "127.0.0.1:$2"
[cache]
memory = "$3"
max_object = "$4"
[metrics]
enabled = false
[redis]
url = "redis://127.0.0.1:18579/0"
max_object = "8MiB"
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18570"
CONF
}
write_conf b 18571 256MiB 8MiB
# C keeps nothing in L1: its largest object is smaller than the body.
write_conf c 18573 64KiB "$((SIZE / 2))"
sleep 0.2
kill -0 $REDIS 2>/dev/null || { echo "paired-l2.sh: redis-server did not start (port 18579 taken?)"; cat "$WORK/redis.log"; exit 1; }
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/b.conf" >"$WORK/b.log" 2>&1 & B=$!
PIDS+=($B)
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/c.conf" >"$WORK/c.log" 2>&1 & C=$!
PIDS+=($C)
URL_B="http://127.0.0.1:18571/bench/$SIZE"
URL_C="http://127.0.0.1:18573/bench/$SIZE"
wait_for "$URL_B" && wait_for "$URL_C" || { echo "paired-l2.sh: an instance did not start"; exit 1; }
# B fetches and writes L2; C then finds it there on every request.
for _ in 1 2 3; do curl -s -o /dev/null "$URL_B"; done
for _ in $(seq 1 50); do
  curl -s -D - -o /dev/null "$URL_C" | grep -qi 'cache-status: .*detail=l2' && break
  sleep 0.05
done
status_b=$(curl -s -D - -o /dev/null "$URL_B" | tr -d '\r' | grep -i '^cache-status' || true)
status_c=$(curl -s -D - -o /dev/null "$URL_C" | tr -d '\r' | grep -i '^cache-status' || true)
echo "B: $status_b"
echo "C: $status_c"
grep -q 'detail=l2' <<<"$status_c" || { echo "paired-l2.sh: C does not answer from L2"; exit 1; }

echo
echo "| round | L1 hit (B) req/s | L2 hit (C) req/s | B µs CPU/req | C µs CPU/req | C/B | Redis µs CPU per L2 hit |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  r0=$(cpu_ticks $REDIS)
  paired_load "$URL_B" $B "$URL_C" $C
  r1=$(cpu_ticks $REDIS)
  nc=$(awk '/requests in/ {print $1}' "$WORK/wrk-b.txt")
  awk -v k="$round" -v br="${PAIR_RATE[0]}" -v cr="${PAIR_RATE[1]}" -v bu="${PAIR_US[0]}" -v cu="${PAIR_US[1]}" \
    -v rt=$((r1 - r0)) -v hz="$HZ" -v n="$nc" \
    'BEGIN { printf "| %d | %.0f | %.0f | %.2f | %.2f | %.3f | %.2f |\n", k, br, cr, bu, cu, cu/bu, rt/hz*1e6/n }'
done
