#!/usr/bin/env bash
# Cost of metrics and access logging on the hit path: the same 1 KiB hit benchmark with both off, then both on
# (Prometheus metrics + a JSON access log line per request written to a file). One command: bench/observability.sh
# Loopback only: demo upstream on :18480, Reprise on :18481. Runs alternate off/metrics/on (ROUNDS, default 7);
# besides req/s, each run reports Reprise's CPU time per request (all threads, from /proc), the steadier measure
# on a shared machine.
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
run() {  # $1 off|metrics|on → prints "req/s cpu_us_per_request"
  write_conf "$WORK/$1.conf" "$1"
  rm -f "$WORK/access.log"  # each run starts a fresh file, as after a log rotation (no growth across rounds)
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/$1.conf" >"$WORK/reprise-$1.log" 2>&1 &
  local pid=$!
  wait_for http://127.0.0.1:18481/bench/1024
  for _ in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:18481/bench/1024; done
  # CPU time of every Reprise thread (utime + stime, clock ticks) around the run: what a request costs, which the
  # machine's other tenants disturb much less than they disturb req/s.
  local before; before=$(cpu_ticks "$pid")
  local out; out=$(taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" http://127.0.0.1:18481/bench/1024)
  local after; after=$(cpu_ticks "$pid")
  local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
  local rate; rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "$rate $(us_per_request $((after - before)) "$requests")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
ROUNDS=${ROUNDS:-7}
echo "| round | off req/s | metrics req/s | metrics + log req/s | off µs CPU/req | metrics µs/req | metrics + log µs/req | CPU cost of metrics + log |"
echo "|------:|----------:|--------------:|--------------------:|---------------:|---------------:|---------------------:|--------------------------:|"
RATIOS=(); CPUS=()
for round in $(seq 1 "$ROUNDS"); do
  read -r off offcpu < <(run off); read -r metrics metricscpu < <(run metrics); read -r on oncpu < <(run on)
  printf '| %s | %s | %s | %s | %s | %s | %s | +%.1f%% |\n' "$round" "$off" "$metrics" "$on" "$offcpu" "$metricscpu" "$oncpu" \
    "$(echo "$oncpu $offcpu" | awk '{print ($1 / $2 - 1) * 100}')"
  RATIOS+=("$(echo "$on $off" | awk '{print $1 / $2 * 100}')"); CPUS+=("$(echo "$oncpu $offcpu" | awk '{print ($1 / $2 - 1) * 100}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf 'median over %s rounds: metrics + log keep %.1f%% of req/s; CPU per request +%.1f%%\n' "$ROUNDS" "$(median "${RATIOS[@]}")" "$(median "${CPUS[@]}")"
echo "access log lines written in the last 'on' run (warm-up included): $(wc -l < "$WORK/access.log" 2>/dev/null || echo 0)"
