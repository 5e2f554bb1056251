#!/usr/bin/env bash
# The book-creation workload (bench/book.py) through 1, 2 and 3 Reprise instances sharing one redis-server: per kind,
# the share of avoidable upstream calls avoided, stale reads and wrong bodies. Every case starts from nothing (a new
# redis-server, upstream and instances). Users' requests alternate between the instances (SPREAD=sticky: one
# instance per user).
#   bench/book.sh                       # 1, 2 and 3 instances with this build
#   BEFORE_BIN=/path/to/old/reprise bench/book.sh   # the same cases with another binary first (e.g. main's)
#   USERS=200 CONCURRENCY=8 INSTANCES="1 2 3" SPREAD=alternate
# Loopback only: upstream :18680, redis :18690, instances :18681, :18683, :18685 (admin +1). Run under nice on a
# shared machine; a case takes about a minute with the debug build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" book
command -v redis-server >/dev/null || { echo "book.sh: needs redis-server (apt-get install -y redis-server)"; exit 1; }
USERS=${USERS:-200}
CONCURRENCY=${CONCURRENCY:-8}
INSTANCES=${INSTANCES:-"1 2 3"}
SPREAD=${SPREAD:-alternate}
RESULTS=${RESULTS:-$ROOT/bench/results/book.jsonl}
mkdir -p "$(dirname "$RESULTS")"

write_conf() {  # $1 name, $2 port, $3 admin port
  cat > "$WORK/$1.conf" <<CONF
[server]
listen = "127.0.0.1:$2"
admin_listen = "127.0.0.1:$3"
admin_token = "book-bench-token-0123456789"
[cache]
memory = "256MiB"
max_object = "32MiB"
coalesce_timeout = "10s"
[metrics]
enabled = true
[redis]
url = "redis://127.0.0.1:18690/0"
max_object = "8MiB"
command_timeout = "${COMMAND_TIMEOUT:-2s}"
[[upstream]]
name = "elevenlabs"
prefix = "/elevenlabs"
url = "http://127.0.0.1:18680"
key_headers = ["xi-api-key"]
[[upstream]]
name = "gemini"
prefix = "/gemini"
url = "http://127.0.0.1:18680"
key_headers = ["x-goog-api-key"]
[[upstream]]
name = "kling"
prefix = "/kling"
url = "http://127.0.0.1:18680"
key_jwt_claim = { header = "Authorization", claim = "iss", secret = "demo-secret", leeway = "30s" }
[[upstream]]
name = "backend"
prefix = "/"
url = "http://127.0.0.1:18680"
key_headers = ["xi-api-key"]
[[rule]]
name = "app-voices"
match = "GET /api/v1/tts/voices"
ttl = "5m"
tags = ["voices"]
[[rule]]
name = "elevenlabs-tts"
match = "POST /elevenlabs/v1/text-to-speech/*"
cache_body = true
ttl = "30d"
cache_status_codes = [200]
[[rule]]
name = "elevenlabs-tts-stream"
match = "POST /elevenlabs/v1/text-to-speech/*/stream"
cache_body = true
ttl = "30d"
cache_status_codes = [200]
[[rule]]
name = "gemini-generate"
match = "POST /gemini/*/models/*"
cache_body = true
ttl = "7d"
cache_status_codes = [200]
[[rule]]
name = "kling-image-task"
match = "GET /kling/v1/images/generations/*"
ttl = "1d"
store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }
[[purge]]
name = "app-voice-clone-writes"
on = ["POST /api/v1/tts/clone/create", "PUT /api/v1/tts/clone/*", "DELETE /api/v1/tts/clone/*"]
tags = ["voices"]
CONF
}

run_case() {  # $1 binary, $2 label, $3 instances
  local case_pids=() ports=() i port
  redis-server --port 18690 --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >>"$WORK/redis.log" 2>&1 &
  case_pids+=($!)
  "$1" upstream --listen 127.0.0.1:18680 >"$WORK/upstream.log" 2>&1 & case_pids+=($!)
  wait_for "http://127.0.0.1:18680/test/counts"
  for i in $(seq 1 "$3"); do
    port=$((18679 + 2 * i))
    write_conf "i$i" "$port" $((port + 1))
    REPRISE_THREADS=1 "$1" --config "$WORK/i$i.conf" >"$WORK/i$i.log" 2>&1 & case_pids+=($!)
    ports+=("$port")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 100); do
      curl -s "http://127.0.0.1:$((port + 1))/readyz" | grep -q '"redis":"ok"' && break; sleep 0.1
    done
  done
  python3 "$ROOT/bench/book.py" --ports "$(IFS=,; echo "${ports[*]}")" --upstream 18680 --users "$USERS" \
    --concurrency "$CONCURRENCY" --spread "$SPREAD" --label "$2" --json "$RESULTS" ${DUMP:+--dump}
  for port in "${ports[@]}"; do
    curl -s -H "Authorization: Bearer book-bench-token-0123456789" "http://127.0.0.1:$((port + 1))/stats" \
      | python3 -c 'import json,sys; r=json.load(sys.stdin).get("redis") or {}; print("  single_flight", r.get("single_flight"), "l2_writes", r.get("l2_writes"), "skipped", r.get("l2_writes_skipped"))'
  done
  kill "${case_pids[@]}" 2>/dev/null || true
  wait "${case_pids[@]}" 2>/dev/null || true
  echo
}

if [ -n "${BEFORE_BIN:-}" ]; then
  for n in $INSTANCES; do run_case "$BEFORE_BIN" "before" "$n"; done
fi
for n in $INSTANCES; do run_case "$BIN" "this build" "$n"; done
