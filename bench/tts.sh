#!/usr/bin/env bash
# TTS replay benchmark: a 1 MiB text-to-speech result replayed from the cache (req/s, MB/s), and the
# time-to-first-byte overhead of a miss (a fresh generation) through Reprise versus calling the upstream directly.
# Loopback only: the demo upstream (fake ElevenLabs) on :18280, Reprise on :18281. One command: bench/tts.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" tts
DURATION=${DURATION:-5}
command -v wrk >/dev/null || { echo "tts.sh: needs wrk (apt-get install wrk)"; exit 1; }

cat > "$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18281"
[cache]
memory = "256MiB"
max_object = "8MiB"
[[upstream]]
name = "elevenlabs"
prefix = "/elevenlabs"
url = "http://127.0.0.1:18280"
key_headers = ["xi-api-key"]
[[rule]]
name = "tts"
match = "POST /elevenlabs/v1/text-to-speech/*"
cache_body = true
ttl = "30d"
CONF
taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18280 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/reprise.conf" >"$WORK/reprise.log" 2>&1 & PIDS+=($!)
wait_for http://127.0.0.1:18281/

VOICE=21m00Tcm4TlvDq8ikWAM
BODY='{"text":"The fox read the book aloud to the owl.","model_id":"eleven_multilingual_v2"}'
URL="http://127.0.0.1:18281/elevenlabs/v1/text-to-speech/$VOICE?size=1048576"
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["xi-api-key"] = "bench-key"
wrk.headers["content-type"] = "application/json"
LUA
curl -s -o /dev/null -X POST -H 'xi-api-key: bench-key' -H 'content-type: application/json' -d "$BODY" "$URL"
STATUS=$(curl -s -o /dev/null -D - -X POST -H 'xi-api-key: bench-key' -H 'content-type: application/json' -d "$BODY" "$URL" | tr -d '\r' | grep -i '^cache-status' || true)
echo "warm check: $STATUS"
echo
echo "## TTS replay: 1 MiB audio from the cache (wrk -t1 -c16 -d${DURATION}s, Reprise on core 0, wrk on core 1)"
taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency -s "$WORK/post.lua" "$URL" | tee "$WORK/wrk.txt" | grep -E "Requests/sec|Transfer/sec|50%|99%"

echo
echo "## Miss time to first byte: a new generation each time (/stream, 30 trials each)"
ttfb() {  # $1 base URL; prints the median and p90 of time_starttransfer in ms
  local base=$1 values=()
  for i in $(seq 1 30); do
    values+=("$(curl -s -o /dev/null -w '%{time_starttransfer}' -X POST -H 'xi-api-key: bench-key' \
      -H 'content-type: application/json' -d "{\"text\":\"chapter $RANDOM $i $base\",\"model_id\":\"m\"}" \
      "$base/v1/text-to-speech/$VOICE/stream?size=262144")")
  done
  printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1*1000} END {printf "median %.2f ms, p90 %.2f ms\n", a[int(NR/2)+1], a[int(NR*0.9)]}'
}
echo "upstream direct: $(ttfb http://127.0.0.1:18280)"
echo "through Reprise: $(ttfb http://127.0.0.1:18281/elevenlabs)"
