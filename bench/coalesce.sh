#!/usr/bin/env bash
# Coalescing under load: 1,000 concurrent misses on one key through Reprise (one command: bench/coalesce.sh).
# Starts the demo upstream (:18380) and Reprise (:18381) on loopback, runs bench/coalesce.py, stops both.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${REPRISE_BIN:-$ROOT/.build/release/reprise}
[ -x "$BIN" ] || (cd "$ROOT" && swift build -c release --product reprise)
ulimit -n 65536 2>/dev/null || ulimit -n 8192
WORK=$(mktemp -d /tmp/reprise-coalesce.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
cat > "$WORK/reprise.conf" <<CONF
[server]
listen = "127.0.0.1:18381"
[cache]
memory = "256MiB"
max_object = "8MiB"
coalesce_timeout = "30s"
[[upstream]]
name = "origin"
prefix = "/"
url = "http://127.0.0.1:18380"
CONF
taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18380 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/reprise.conf" >"$WORK/reprise.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:18381/ 2>/dev/null && break; sleep 0.1; done
taskset -c 1 python3 "$ROOT/bench/coalesce.py" --port 18381 "$@"
