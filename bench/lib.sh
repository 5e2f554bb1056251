# Shared setup of the small benchmark scripts (tts.sh, coalesce.sh, observability.sh): the release binary, a work
# folder, and cleanup of every process they start. Source it after `set -euo pipefail`; $1 names the work folder.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The benchmark build: Reprise's release build (scripts/release-build.sh: no dynamic exclusivity checks, optimized
# with the profile in pgo/), in its own build folder.
RELEASE_BUILD=("$ROOT/scripts/release-build.sh" "$ROOT/.build-bench")
BIN=${REPRISE_BIN:-$ROOT/.build-bench/release/reprise}
[ -x "$BIN" ] || (cd "$ROOT" && "${RELEASE_BUILD[@]}")
WORK=$(mktemp -d "/tmp/reprise-$1.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Waits (bounded) until something answers on this URL.
wait_for() { for _ in $(seq 1 50); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# cpu_ticks PID, us_per_request TICKS REQUESTS.
source "$ROOT/bench/cpu.sh"

# The side-by-side measurement of ab.sh, paired-nginx.sh and observability-paired.sh: two servers loaded at the
# same time, each by its own `wrk -t1 -c16` on core 1 for $DURATION s. `paired_load URL_A PID_A URL_B PID_B` sets
# PAIR_RATE=(a b) (req/s) and PAIR_US=(a b) (CPU µs per request, the process and its children). With WRK_HEADER set
# (e.g. "Authorization: Bearer ..."), every request of both loads carries it; with WRK_SCRIPT, both run that script.
paired_load() {
  local a0 b0 a1 b1 w1 w2 na nb
  local header=()
  [ -n "${WRK_HEADER:-}" ] && header=(-H "$WRK_HEADER")
  # WRK_SCRIPT (e.g. bench/post.lua): a wrk Lua script for both loads.
  [ -n "${WRK_SCRIPT:-}" ] && header+=(-s "$WRK_SCRIPT")
  a0=$(cpu_ticks "$2"); b0=$(cpu_ticks "$4")
  taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" "${header[@]}" "$1" >"$WORK/wrk-a.txt" & w1=$!
  taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" "${header[@]}" "$3" >"$WORK/wrk-b.txt" & w2=$!
  wait $w1 $w2
  a1=$(cpu_ticks "$2"); b1=$(cpu_ticks "$4")
  na=$(awk '/requests in/ {print $1}' "$WORK/wrk-a.txt"); nb=$(awk '/requests in/ {print $1}' "$WORK/wrk-b.txt")
  PAIR_RATE=("$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-a.txt")" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-b.txt")")
  PAIR_US=("$(us_per_request $((a1 - a0)) "$na")" "$(us_per_request $((b1 - b0)) "$nb")")
}
