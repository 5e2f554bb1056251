#!/usr/bin/env bash
# Slow clients do not stall service (issue 12). One command: bench/slowclients.sh
#
# 1. A normal `wrk -t1 -c32` load of 1 KiB hits for DURATION s (default 10), alone.
# 2. The same load again, while SLOW connections (default 2,000) each send a request head one byte every 2 s.
#    Reports the hit req/s kept (goal: at least 90%, 0 errors for wrk), and how long after its first byte the last
#    slow connection was closed by client_header_timeout (goal: within the timeout + 1 s).
# 3. RSS of Reprise with IDLE (default 10,000) idle kept-alive connections (goal: under 64 KiB per connection).
#
# Reprise runs with one event loop on core 0 (REPRISE_THREADS=1), wrk and the slow clients on core 1; loopback only;
# origin :18790, Reprise :18791. client_header_timeout is the default (10 s) unless HEADER_TIMEOUT is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" slowclients
DURATION=${DURATION:-10}
SLOW=${SLOW:-2000}
IDLE=${IDLE:-10000}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10s}
command -v wrk >/dev/null || { echo "slowclients.sh: needs wrk"; exit 1; }
ulimit -n "$(ulimit -Hn)"

taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18790 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
cat >"$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18791"
client_header_timeout = "$HEADER_TIMEOUT"
max_connections = 100000
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18790"
CONF
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/reprise.conf" >"$WORK/reprise.log" 2>&1 & reprise=$!
PIDS+=($reprise)
wait_for "http://127.0.0.1:18791/bench/1024" || { echo "slowclients.sh: Reprise did not start"; exit 1; }
for _ in 1 2 3; do curl -s -o /dev/null -H 'Host: bench' http://127.0.0.1:18791/bench/1024; done

load() {
  taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" -H 'Host: bench' http://127.0.0.1:18791/bench/1024 >"$WORK/wrk-$1.txt"
  awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$1.txt"
}
errors() { awk '/Socket errors|Non-2xx/ {print}' "$WORK/wrk-$1.txt" | tr '\n' ' '; }

alone=$(load alone)
taskset -c 1 python3 "$ROOT/bench/slowclients.py" slow 18791 "$SLOW" 2 >"$WORK/slow.json" & slow=$!
sleep 3  # let the slow connections open before the second load
with=$(load with)
wait $slow
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
awk -v a="$alone" -v w="$with" 'BEGIN { printf "hit req/s alone %.0f, with slow clients %.0f: %.1f%% kept\n", a, w, 100 * w / a }'
e1=$(errors alone); e2=$(errors with)
echo "wrk errors: alone ${e1:-none}; with slow clients ${e2:-none}"
echo "slow clients: $(cat "$WORK/slow.json")"
echo "idle kept-alive connections: $(taskset -c 1 python3 "$ROOT/bench/slowclients.py" idle 18791 "$IDLE" "$reprise")"
