#!/usr/bin/env bash
# Where a server's CPU goes under load (issue 18): `perf record` (cpu-clock sampling, which works where hardware
# counters do not) of one process for DURATION seconds while `wrk -t1 -c32` loads URL from core 1, then the split by
# binary (kernel, the server, its libraries), the functions with the most samples, and the CPU per request split by
# stage of the request path (bench/stages.py).
#   bench/profile.sh PID URL [wrk args...]      e.g. bench/profile.sh $(pgrep -f 'nginx: worker') http://127.0.0.1:18082/bench/1024
# Swift symbols are demangled (swift demangle). Needs perf (Debian's linux-perf) and wrk.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"
[ $# -ge 2 ] || { echo "usage: bench/profile.sh PID URL [wrk args...]" >&2; exit 2; }
PID=$1; URL=$2; shift 2
DURATION=${DURATION:-5}
TOP=${TOP:-25}
OUT=$(mktemp -d /tmp/reprise-profile.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
perf record -e cpu-clock -F 4000 -g -p "$PID" -o "$OUT/perf.data" -- sleep "$DURATION" >"$OUT/perf.log" 2>&1 &
recorder=$!
sleep 0.2
before=$(cpu_ticks "$PID")
taskset -c 1 wrk -t1 -c32 -d"$((DURATION - 1))s" "$@" "$URL" | tee "$OUT/wrk.txt" | grep -E "requests in|Requests/sec"
after=$(cpu_ticks "$PID")
wait $recorder
# CPU per request over wrk's run (user and system).
US_PER_REQUEST=$(us_per_request $((after - before)) "$(awk '/requests in/ { print $1 }' "$OUT/wrk.txt")")
echo "CPU per request: $US_PER_REQUEST µs"
# The reports below end in `head`, which closes its pipe early: not a failure.
set +o pipefail
echo; echo "## by binary"
perf report -i "$OUT/perf.data" --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
echo; echo "## functions, self"
perf report -i "$OUT/perf.data" --no-children --sort dso,symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
  | demangle | head -"$TOP" | cut -c1-160
echo; echo "## by stage of the request path (Reprise; for another server only the totals mean anything)"
perf script -i "$OUT/perf.data" 2>/dev/null | "$(dirname "${BASH_SOURCE[0]}")/stages.py" "$US_PER_REQUEST"
