# Shared setup of the small benchmark scripts (tts.sh, coalesce.sh, observability.sh): the release binary, a work
# folder, and cleanup of every process they start. Source it after `set -euo pipefail`; $1 names the work folder.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${REPRISE_BIN:-$ROOT/.build/release/reprise}
[ -x "$BIN" ] || (cd "$ROOT" && swift build -c release --product reprise)
WORK=$(mktemp -d "/tmp/reprise-$1.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Waits (bounded) until something answers on this URL.
wait_for() { for _ in $(seq 1 50); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
