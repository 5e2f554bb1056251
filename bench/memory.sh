#!/usr/bin/env bash
# Memory accounting benchmark (issue 15): does `memory` mean what it says? Starts the demo origin and Reprise
# (`memory = "2GiB"`, `--threads 1`, admin API on), fills the cache with ENTRIES (default 50,000) responses of
# SIZE bytes (default 1024) from ONE path with distinct queries, and prints, per entry: the growth of the
# process's RSS (/proc/PID/status VmRSS), the bytes the store accounted (/stats memory.bytes), and the response
# head and body bytes; plus entries kept and evicted. Loopback only: origin :18790, Reprise :18791, admin :18792.
# One command: bench/memory.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" memory
ENTRIES=${ENTRIES:-50000}
SIZE=${SIZE:-1024}
MEMORY=${MEMORY:-2GiB}
command -v wrk >/dev/null || { echo "memory.sh: needs wrk"; exit 1; }
TOKEN=memory-bench-admin-token

cat >"$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18791"
admin_listen = "127.0.0.1:18792"
admin_token = "$TOKEN"
[cache]
memory = "$MEMORY"
max_object = "1MiB"
[metrics]
enabled = false
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18790"
CONF
REPRISE_THREADS=1 "$BIN" upstream --listen 127.0.0.1:18790 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
REPRISE_THREADS=1 "$BIN" --config "$WORK/reprise.conf" --threads 1 >"$WORK/reprise.log" 2>&1 & R=$!; PIDS+=($R)
wait_for "http://127.0.0.1:18790/bench/$SIZE"
wait_for "http://127.0.0.1:18791/bench/$SIZE?warm=0"

stat_field() {  # $1: a top-level path in /stats, e.g. memory.bytes
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18792/stats \
    | python3 -c "import json,sys; v=json.load(sys.stdin); [v:=v[k] for k in '$1'.split('.')]; print(v)"
}
rss() { awk '/^VmRSS/ {print $2 * 1024}' "/proc/$R/status"; }

# Requests of distinct queries, N of them, then the same one again: wrk with one thread and one Lua state.
load() {  # $1: first query number, $2: count
  cat >"$WORK/fill.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  if n > $2 then n = $2 end
  return wrk.format("GET", "/bench/$SIZE?q=" .. ($1 + n))
end
LUA
  # Long enough for every request to be made (misses run at several thousand per second).
  wrk -t1 -c1 -d"$(( $2 / 1500 + 5 ))s" -s "$WORK/fill.lua" http://127.0.0.1:18791/ >"$WORK/wrk.txt"
}

# Warm-up: every allocator arena and buffer pool the miss path uses exists before the first reading.
load 1000000 2000
sleep 1
rss0=$(rss); bytes0=$(stat_field memory.bytes); entries0=$(stat_field memory.entries)
load 0 "$ENTRIES"
sleep 1
rss1=$(rss); bytes1=$(stat_field memory.bytes); entries1=$(stat_field memory.entries)
evictions=$(stat_field memory.evictions)
head=$(curl -s -D - -o /dev/null "http://127.0.0.1:18790/bench/$SIZE?q=1" | wc -c)
stored=$((entries1 - entries0))
awk -v r0="$rss0" -v r1="$rss1" -v b0="$bytes0" -v b1="$bytes1" -v n="$stored" -v head="$head" -v size="$SIZE" \
    -v evictions="$evictions" -v asked="$ENTRIES" 'BEGIN {
  rssper = (r1 - r0) / n; accper = (b1 - b0) / n
  printf "entries asked %d, stored %d (evictions %d)\n", asked, n, evictions
  printf "RSS growth per entry      %7.0f bytes\n", rssper
  printf "accounted per entry       %7.0f bytes (RSS / accounted = %.3f)\n", accper, rssper / accper
  printf "origin head + body        %7.0f bytes (head %d from the origin, body %d)\n", head + size, head, size
  printf "accounted beyond head+body %6.0f bytes\n", accper - head - size
  printf "RSS beyond head+body      %7.0f bytes\n", rssper - head - size
}'
