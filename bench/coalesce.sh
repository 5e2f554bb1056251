#!/usr/bin/env bash
# Coalescing under load: 1,000 concurrent misses on one key through Reprise (one command: bench/coalesce.sh).
# Starts the demo upstream (:18380) and Reprise (:18381) on loopback, runs bench/coalesce.py, stops both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" coalesce
ulimit -n 65536 2>/dev/null || ulimit -n 8192
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
wait_for http://127.0.0.1:18381/
taskset -c 1 python3 "$ROOT/bench/coalesce.py" --port 18381 "$@"
