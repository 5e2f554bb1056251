#!/usr/bin/env bash
# Cost of metrics and access logging on the hit path, measured side by side (one command:
# bench/observability-paired.sh). Two Reprise processes run AT THE SAME TIME on the same core, one with metrics and
# the access log off (:18491), one with both on (:18492, JSON lines to a file), each loaded by its own
# `wrk -t1 -c16` on the other core with 1 KiB hits. Whatever else the shared machine does hits both alike, so
# the ratio of their CPU time per request (all threads, from /proc) is the cost of observability, measured in one
# run. ROUNDS (default 5) repeats it with the two ports swapped every other round; ON=metrics or ON=log turns on
# only one of the two. Loopback only; upstream :18490.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" obs-paired
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-5}
command -v wrk >/dev/null || { echo "observability-paired.sh: needs wrk"; exit 1; }

taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18490 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
# ON = what the "on" process turns on: both (default), metrics, or log.
ON=${ON:-both}
write_conf() {  # $1 file, $2 port, $3 off|on
  local metrics=false log=off
  if [ "$3" = on ]; then
    [ "$ON" != log ] && metrics=true
    [ "$ON" != metrics ] && log="${LOGFILE:-$WORK/access-$2.log}"
  fi
  cat > "$1" <<CONF
[server]
listen = "127.0.0.1:$2"
[metrics]
enabled = $metrics
[log]
access = "$log"
format = "json"
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18490"
CONF
}
echo "| round | off req/s | on req/s | off µs CPU/req | on µs CPU/req | CPU cost of metrics + log |"
echo "|------:|----------:|---------:|---------------:|--------------:|--------------------------:|"
COSTS=()
for round in $(seq 1 "$ROUNDS"); do
  # Swap the ports every other round, so that neither configuration keeps the same socket or start order.
  if (( round % 2 )); then offport=18491; onport=18492; else offport=18492; onport=18491; fi
  write_conf "$WORK/off.conf" "$offport" off; write_conf "$WORK/on.conf" "$onport" on
  rm -f "$WORK"/access-*.log
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/off.conf" >"$WORK/off.log" 2>&1 & offpid=$!
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/on.conf" >"$WORK/on.log" 2>&1 & onpid=$!
  for port in $offport $onport; do
    wait_for "http://127.0.0.1:$port/bench/1024"
    for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$port/bench/1024"; done
  done
  paired_load "http://127.0.0.1:$offport/bench/1024" $offpid "http://127.0.0.1:$onport/bench/1024" $onpid
  kill $offpid $onpid; wait $offpid $onpid 2>/dev/null || true
  offrate=${PAIR_RATE[0]}; onrate=${PAIR_RATE[1]}; offus=${PAIR_US[0]}; onus=${PAIR_US[1]}
  cost=$(awk -v a="$onus" -v b="$offus" 'BEGIN {printf "%.1f", (a / b - 1) * 100}')
  COSTS+=("$cost")
  printf '| %s | %s | %s | %s | %s | %+.1f%% |\n' "$round" "$offrate" "$onrate" "$offus" "$onus" "$cost"
done
median=$(printf '%s\n' "${COSTS[@]}" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
echo "on = $ON; median over $ROUNDS rounds: it costs +${median}% CPU per request (measured side by side)"
