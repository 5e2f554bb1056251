#!/usr/bin/env bash
# Start-up of the disk tier with ENTRIES entries (issue 15; default 100,000): fills a disk tier through Reprise with
# ENTRIES distinct responses of SIZE bytes (default 1024), stops it with SIGTERM, starts it again over the same
# directory and prints how long until it accepts connections (the "listening on port" line) and until its disk index
# is complete (/stats disk.loading false), then checks that entries are answered from disk. The page cache is warm
# (the files were just written) unless DROP_CACHES=1 (root: echo 3 > /proc/sys/vm/drop_caches before the restart).
# Loopback only: origin :18890, Reprise :18891, admin :18892. One command: bench/disk-start.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" disk-start
ENTRIES=${ENTRIES:-100000}
SIZE=${SIZE:-1024}
TOKEN=disk-start-bench-admin-token
command -v wrk >/dev/null || { echo "disk-start.sh: needs wrk"; exit 1; }
DISK=$(mktemp -d /var/tmp/reprise-disk-start.XXXXXX)
trap 'cleanup; rm -rf "$DISK"' EXIT

cat >"$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18891"
admin_listen = "127.0.0.1:18892"
admin_token = "$TOKEN"
[cache]
memory = "64MiB"
disk_path = "$DISK/cache"
disk_size = "8GiB"
[metrics]
enabled = false
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18890"
CONF
REPRISE_THREADS=1 "$BIN" upstream --listen 127.0.0.1:18890 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
disk_field() {  # $1: a key of /stats "disk"
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18892/stats \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['disk']['$1'])"
}
now_ms() { date +%s%3N; }

"$BIN" --config "$WORK/reprise.conf" >"$WORK/first.out" 2>"$WORK/first.err" & FIRST=$!; PIDS+=($FIRST)
wait_for "http://127.0.0.1:18890/bench/$SIZE"
wait_for "http://127.0.0.1:18891/bench/$SIZE?warm=0"
cat >"$WORK/fill.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  if n > $ENTRIES then n = $ENTRIES end
  return wrk.format("GET", "/bench/$SIZE?q=" .. n)
end
LUA
echo "filling $ENTRIES entries of $SIZE bytes"
started=$(now_ms)
# One connection, so that the Lua counter hands out each query once; long enough for every request.
wrk -t1 -c1 -d"$(( ENTRIES / 800 + 10 ))s" -s "$WORK/fill.lua" http://127.0.0.1:18891/ >"$WORK/wrk.txt"
until [ "$(disk_field writes)" -ge "$ENTRIES" ]; do sleep 0.2; done
echo "filled in $(( ($(now_ms) - started) / 1000 )) s: $(disk_field entries) entries, $(du -sh "$DISK/cache" | cut -f1) on disk"
kill -TERM $FIRST; wait $FIRST || true

if [ "${DROP_CACHES:-0}" = 1 ]; then sync; echo 3 >/proc/sys/vm/drop_caches; echo "page cache dropped"; fi
started=$(now_ms)
"$BIN" --config "$WORK/reprise.conf" >"$WORK/second.out" 2>"$WORK/second.err" & SECOND=$!; PIDS+=($SECOND)
until grep -q "listening on port" "$WORK/second.out" 2>/dev/null; do sleep 0.005; done
listening=$(( $(now_ms) - started ))
until [ "$(disk_field loading 2>/dev/null)" = "False" ]; do sleep 0.01; done
complete=$(( $(now_ms) - started ))
echo "restart: accepting connections after ${listening} ms, index complete after ${complete} ms"
echo "the tier's own report: $(curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18892/stats \
  | python3 -c "import json,sys; print(json.load(sys.stdin)['disk']['load'])")"
hits=0
for q in 1 $((ENTRIES / 2)) $ENTRIES; do
  curl -s -D - -o /dev/null "http://127.0.0.1:18891/bench/$SIZE?q=$q" | grep -qi '^cache-status:.*hit.*detail=disk' && hits=$((hits + 1))
done
echo "sample answered from disk: $hits of 3"
kill -TERM $SECOND; wait $SECOND || true
