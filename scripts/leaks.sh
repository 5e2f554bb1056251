#!/usr/bin/env bash
# Memory errors and leaks (issue 13.4): end-to-end traffic through a `reprise` built with AddressSanitizer, and what
# LeakSanitizer finds when it exits.
#
#   scripts/leaks.sh [--no-sdk] [--soak MINUTES]
#
# 1. Builds the debug `reprise` with `--sanitize=address` into .build-asan (its own build folder).
# 2. Runs, with ASAN_OPTIONS=detect_leaks=1 and every report written to a file per process:
#    - the official-SDK suite (examples/fastapi/run-tests.sh: the FastAPI app, elevenlabs, google-genai and httpx
#      through Reprise with the repository's proxy.conf; the demo upstream is the same binary), unless --no-sdk;
#    - the soak's mixed load (bench/soak.sh, 1 minute unless --soak N): fleet mode on redis-server, reloads, a Redis
#      restart, injected upstream faults, clients that leave mid-response, purges.
#    Each Reprise (and demo upstream) is stopped with SIGTERM, so it exits through the graceful shutdown and
#    LeakSanitizer checks the heap at exit.
# 3. Reads the reports: any AddressSanitizer error fails, and so does any leak not suppressed by
#    scripts/lsan.supp (dependencies' leaks only, each with its reason). Leaks with a frame in Sources/ are listed as
#    Reprise's own.
#
# Prints `leaks: N reports, N errors, N leaks (N in Reprise's code), N suppressed` and exits 1 unless errors and
# leaks are 0 (a process with nothing to report writes no report). LEAKS_KEEP=1 keeps the report folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SDK=1
SOAK_MINUTES=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sdk) SDK=0 ;;
    --soak) SOAK_MINUTES=$2; shift ;;
    *) echo "usage: scripts/leaks.sh [--no-sdk] [--soak MINUTES]" >&2; exit 64 ;;
  esac
  shift
done

nice -n 10 swift build --product reprise --sanitize=address --build-path .build-asan
BIN="$ROOT/.build-asan/debug/reprise"
REPORTS=$(mktemp -d /tmp/reprise-leaks.XXXXXX)
[ "${LEAKS_KEEP:-0}" = 1 ] || trap 'rm -rf "$REPORTS"' EXIT

# halt_on_error=0 would let a process run on after an error; the default (stop at the first) is what we want: the
# report is written and the run fails. Swift's backtracer is turned off so that ASan reports a crash itself.
export ASAN_OPTIONS="detect_leaks=1:log_path=$REPORTS/asan:log_exe_name=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=1"
export SWIFT_BACKTRACE=enable=no
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}

status=0
if [ "$SDK" = 1 ]; then
  echo "leaks: the official-SDK suite through the ASan build"
  REPRISE_BIN="$BIN" examples/fastapi/run-tests.sh || { echo "leaks: the SDK suite failed"; status=1; }
fi
echo "leaks: the soak's mix for $SOAK_MINUTES min through the ASan build"
# The ASan debug build is many times slower than the release build; the soak measures its capacity first, so half of
# it is still half. Its own verdict (unexpected errors, stale reads, fds) counts too.
REPRISE_BIN="$BIN" SOAK_ARGS="--capacity-seconds 10 ${SOAK_ARGS:-}" bench/soak.sh "$SOAK_MINUTES" \
  || { echo "leaks: the soak failed"; status=1; }

# Every ASan process that had something to say wrote $REPORTS/asan.<exe>.<pid>; one without errors or leaks wrote
# nothing, unless suppressions matched (then the suppression statistics).
python3 - "$REPORTS" "$ROOT/Sources/" <<'PY' || status=1
import glob, re, sys
reports, sources = sys.argv[1], sys.argv[2]
errors = leaks = own = suppressed = 0
files = sorted(glob.glob(f"{reports}/asan.*"))
for path in files:
    text = open(path, errors="replace").read()
    if re.search(r"ERROR: AddressSanitizer", text):
        errors += 1
        print(f"--- AddressSanitizer error in {path}:\n" + text[:6000])
    for match in re.finditer(r"Suppressions used:\n\s*count\s+bytes\s+template\n((?:\s*\d+\s+\d+\s+\S+\n)+)", text):
        suppressed += sum(int(line.split()[0]) for line in match.group(1).strip().splitlines())
    for block in re.split(r"\n(?=(?:Direct|Indirect) leak of )", text):
        if not re.match(r"(Direct|Indirect) leak of ", block):
            continue
        block = block.split("\n\n")[0]
        leaks += 1
        mine = sources in block
        own += mine
        print(f"--- leak{' in Reprise code' if mine else ''} ({path}):\n{block[:3000]}")
print(f"leaks: {len(files)} reports, {errors} errors, {leaks} leaks ({own} in Reprise's code), {suppressed} suppressed")
sys.exit(1 if errors or leaks else 0)
PY
exit "$status"
