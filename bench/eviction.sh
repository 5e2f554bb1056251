#!/usr/bin/env bash
# Eviction on the book replay workload (issue 15): bench/book-trace.py makes a month of a children's-book app's upstream
# traffic (200 users; text-to-speech and Gemini with repeats), and eviction-replay plays it against the memory tier
# with LRU and with GreedyDual-Size-Frequency, in one run, with a budget of a quarter of the working set and no
# disk: hit ratio, byte hit ratio, characters (text-to-speech) and tokens (Gemini) avoided. Deterministic (a seeded
# trace, the store's own code, no network): the numbers do not depend on the machine's load.
# One command: bench/eviction.sh [book.py options, e.g. --users 400] ; FRACTION=0.25 by default.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRACTION=${FRACTION:-0.25}
BIN=${REPLAY_BIN:-$ROOT/.build-bench/release/eviction-replay}
[ -x "$BIN" ] || (cd "$ROOT" && swift build -c release --product eviction-replay --build-path "$ROOT/.build-bench")
WORK=$(mktemp -d /tmp/reprise-book.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/book-trace.py" "$@" >"$WORK/book.jsonl"
"$BIN" "$WORK/book.jsonl" --budget-fraction "$FRACTION"
