#!/usr/bin/env bash
# Fleet mode (one command: bench/fleet.sh): three Reprise instances on one redis-server.
#   A (:18581) writes, B (:18583) reads with a normal L1, C (:18585) has an L1 too small to keep anything, so every
#   hit on C is an L2 hit (Redis GET + decode). Rows: L1 hit on B vs L2 hit on C (1 KiB, wrk -t1 -c32), then
#   bench/fleet.py: 1,000 write-then-read trials for purge propagation and stale reads; last, Redis is killed
#   (SIGKILL) and restarted, and the time until every instance reports `"redis":"ok"` again is printed.
# Loopback only: upstream :18580, redis :18590. Every server is pinned to core 0, the load to core 1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" fleet
DURATION=${DURATION:-8}
TOKEN=fleet-bench-token-0123456789
command -v wrk >/dev/null || { echo "fleet.sh: needs wrk"; exit 1; }
command -v redis-server >/dev/null || { echo "fleet.sh: needs redis-server (apt-get install -y redis-server)"; exit 1; }

start_redis() {
  taskset -c 0 redis-server --port 18590 --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >>"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=($REDIS_PID)
}
start_redis
taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18580 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
write_conf() {  # $1 name, $2 port, $3 admin port, $4 memory, $5 max_object
  cat > "$WORK/$1.conf" <<CONF
[server]
listen = "127.0.0.1:$2"
admin_listen = "127.0.0.1:$3"
admin_token = "$TOKEN"
[cache]
memory = "$4"
max_object = "$5"
[metrics]
enabled = false
[redis]
url = "redis://127.0.0.1:18590/0"
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18580"
key_headers = ["xi-api-key"]
[[rule]]
name = "voices"
match = "GET /api/v1/tts/voices"
ttl = "1h"
tags = ["voices"]
[[purge]]
name = "clone-writes"
on = ["POST /api/v1/tts/clone/create", "PUT /api/v1/tts/clone/*", "DELETE /api/v1/tts/clone/*"]
tags = ["voices"]
CONF
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/$1.conf" >"$WORK/$1.log" 2>&1 & PIDS+=($!)
}
sleep 0.2  # redis-server binds within milliseconds; the instances also retry on their own
write_conf a 18581 18582 256MiB 8MiB
write_conf b 18583 18584 256MiB 8MiB
write_conf c 18585 18586 2KiB 1KiB
for port in 18581 18583 18585; do wait_for "http://127.0.0.1:$port/bench/1024"; done

# Warm: A fetches and writes L2; B and C read it from L2 (B keeps it in L1, C cannot).
curl -s -o /dev/null http://127.0.0.1:18581/bench/1024
for _ in $(seq 1 50); do
  curl -s -D - -o /dev/null http://127.0.0.1:18585/bench/1024 | grep -qi 'cache-status: .*detail=l2' && break; sleep 0.05
done
curl -s -D - -o /dev/null http://127.0.0.1:18585/bench/1024 | grep -i cache-status
for _ in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:18583/bench/1024; done
curl -s -D - -o /dev/null http://127.0.0.1:18583/bench/1024 | grep -i cache-status

row() {  # $1 label, $2 port
  local out; out=$(taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$2/bench/1024")
  printf '| %s | %s | %s | %s |\n' "$1" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}
echo
echo "| 1 KiB GET | req/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
row "L1 hit (B)" 18583
row "L2 hit (C: Redis GET + decode every time)" 18585
row "L1 hit (B), again" 18583
row "L2 hit (C), again" 18585
echo
taskset -c 1 python3 "$ROOT/bench/fleet.py" --writer 18581 --reader 18583 --writer-admin 18582 --token "$TOKEN" "$@"

# Redis killed and restarted: how long until every instance is back in the fleet (reconnected and subscribed)?
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
for port in 18582 18584 18586; do
  until curl -s -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$port/readyz" | grep -q degraded; do sleep 0.01; done
done
start_redis
started=$(date +%s%N)
for port in 18582 18584 18586; do
  until curl -s -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$port/readyz" | grep -q '"redis":"ok"'; do sleep 0.005; done
done
echo "Redis killed and restarted: all three instances back in the fleet $(( ($(date +%s%N) - started) / 1000000 )) ms after redis-server was started"
