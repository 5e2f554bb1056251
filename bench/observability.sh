#!/usr/bin/env bash
# Cost of metrics and access logging on the hit path: the same 1 KiB hit benchmark with both off, then both on
# (Prometheus metrics + a JSON access log line per request written to a file). One command: bench/observability.sh
# Loopback only: demo upstream on :18480, Reprise on :18481. Runs alternate off/on three times.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" obs
DURATION=${DURATION:-8}
command -v wrk >/dev/null || { echo "observability.sh: needs wrk"; exit 1; }

taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18480 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
write_conf() {  # $1 file, $2 off|metrics|on (metrics and access log)
  cat > "$1" <<CONF
[server]
listen = "127.0.0.1:18481"
[cache]
memory = "256MiB"
max_object = "8MiB"
[metrics]
enabled = $( [ "$2" = off ] && echo false || echo true )
[log]
access = "$( [ "$2" = on ] && echo "$WORK/access.log" || echo off )"
format = "json"
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18480"
CONF
}
run() {  # $1 off|metrics|on → prints req/s
  write_conf "$WORK/$1.conf" "$1"
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/$1.conf" >"$WORK/reprise-$1.log" 2>&1 &
  local pid=$!
  wait_for http://127.0.0.1:18481/bench/1024
  for _ in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:18481/bench/1024; done
  taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" http://127.0.0.1:18481/bench/1024 | awk '/Requests\/sec/ {print $2}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo "| round | both off (req/s) | metrics on (req/s) | metrics + access log (req/s) | metrics/off | both/off |"
echo "|------:|-----------------:|-------------------:|-----------------------------:|------------:|---------:|"
for round in 1 2 3; do
  off=$(run off); metrics=$(run metrics); on=$(run on)
  printf '| %s | %s | %s | %s | %.1f%% | %.1f%% |\n' "$round" "$off" "$metrics" "$on" \
    "$(echo "$metrics $off" | awk '{print $1 / $2 * 100}')" "$(echo "$on $off" | awk '{print $1 / $2 * 100}')"
done
echo "access log lines written in the last 'on' run: $(wc -l < "$WORK/access.log" 2>/dev/null || echo 0)"
