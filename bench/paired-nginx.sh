#!/usr/bin/env bash
# Reprise and nginx proxy_cache side by side (one command: bench/paired-nginx.sh). Both run AT THE SAME TIME on
# core 0, one worker each, in front of the same origin, each loaded by its own `wrk -t1 -c16` on core 1, with
# hits of SIZES (default 1 KiB and 32 KiB). Whatever else the shared machine does hits both alike, so their
# ratio (req/s, and CPU time per request from /proc, all processes) is measured in one run. ROUNDS (default 3)
# repeats each size. Loopback only; origin :18590, Reprise :18591, nginx :18592.
# PEER=haproxy: HAProxy's cache instead of nginx (hits only: HAProxy keeps no disk cache).
# DISK=1: hits from disk on both sides (default SIZES 512 KiB and 4 MiB): Reprise's disk tier with memory
# max_object 256 KiB (these bodies live on disk only and go out with sendfile), nginx's proxy_cache, both on the
# work folder's file system (page cache warm).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" paired-nginx
DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-3}
DISK=${DISK:-0}
if [ "$DISK" = 1 ]; then SIZES=${SIZES:-"524288 4194304"}; else SIZES=${SIZES:-"1024 32768"}; fi
# TARGET=PATH: that request instead of hits, one row per round (issue 18's miss and pass-through rows, paired):
# TARGET='/test/cache?cc=no-store&size=1024' for misses; with WRK_SCRIPT=bench/post.lua (BENCH_DIR=bench exported),
# TARGET=/bench/1024 for the POST passed through.
[ -n "${TARGET:-}" ] && SIZES=target
path_for() { if [ "$1" = target ]; then echo "$TARGET"; else echo "/bench/$1"; fi; }
export PATH="$PATH:/usr/sbin:/sbin"
command -v wrk >/dev/null || { echo "paired-nginx.sh: needs wrk"; exit 1; }
command -v nginx >/dev/null || { echo "paired-nginx.sh: needs nginx (apt-get install -y nginx)"; exit 1; }
chmod 755 "$WORK"  # nginx workers run as an unprivileged user

REPRISE_THREADS=1 taskset -c 1 "$BIN" upstream --listen 127.0.0.1:18590 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
if [ "$DISK" = 1 ]; then
  CACHE_KEYS="max_object = \"256KiB\"
disk_path = \"$WORK/reprise-disk\"
disk_size = \"2GiB\"
disk_max_object = \"64MiB\""
else
  CACHE_KEYS='max_object = "8MiB"'
fi
cat >"$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18591"
[cache]
memory = "512MiB"
$CACHE_KEYS
[metrics]
enabled = false
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18590"
CONF
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/reprise.conf" >"$WORK/reprise.log" 2>&1 & REPRISE=$!
PIDS+=($REPRISE)
PEER=${PEER:-nginx}
if [ "$PEER" = haproxy ]; then
  command -v haproxy >/dev/null || { echo "paired-nginx.sh: needs haproxy (apt-get install -y haproxy)"; exit 1; }
  [ "$DISK" = 1 ] && { echo "paired-nginx.sh: HAProxy has no disk cache (DISK=1 is for nginx)"; exit 2; }
  sed -e "s|@ORIGIN@|127.0.0.1:18590|g" -e "s|@PORT@|18592|g" "$ROOT/bench/conf/haproxy.cfg" >"$WORK/haproxy.cfg"
  taskset -c 0 haproxy -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 & NGINX=$!
else
  sed -e "s|@WORK@|$WORK|g" -e "s|@CACHE@|$WORK|g" -e "s|@ORIGIN@|127.0.0.1:18590|g" -e "s|@PORT@|18592|g" \
    "$ROOT/bench/conf/nginx.conf" >"$WORK/nginx.conf"
  taskset -c 0 nginx -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 & NGINX=$!
fi
PIDS+=($NGINX)
for port in 18591 18592; do
  wait_for "http://127.0.0.1:$port/bench/1024" || { echo "paired-nginx.sh: :$port did not start"; exit 1; }
  for size in $SIZES; do curl -s -o /dev/null "http://127.0.0.1:$port$(path_for $size)"; curl -s -o /dev/null "http://127.0.0.1:$port$(path_for $size)"; done
done

echo "| size | round | Reprise req/s | $PEER req/s | req/s ratio | Reprise µs CPU/req | $PEER µs CPU/req |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for size in $SIZES; do
  for round in $(seq 1 "$ROUNDS"); do
    paired_load "http://127.0.0.1:18591$(path_for $size)" $REPRISE "http://127.0.0.1:18592$(path_for $size)" $NGINX
    awk -v s="$size" -v k="$round" -v rr="${PAIR_RATE[0]}" -v nr="${PAIR_RATE[1]}" -v ru="${PAIR_US[0]}" -v nu="${PAIR_US[1]}" \
      'BEGIN { printf "| %s | %d | %.0f | %.0f | %.3f | %.1f | %.1f |\n", s, k, rr, nr, rr/nr, ru, nu }'
  done
done
