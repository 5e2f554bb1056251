#!/usr/bin/env bash
# Regenerates pgo/reprise.profdata, the profile the release build is optimized with (scripts/release-build.sh).
# Builds an instrumented reprise (.build-pgo-gen), runs it on core 0 in front of the demo upstream under the request
# kinds bench/ measures (1 KiB, 32 KiB and 512 KiB hits, misses, pass-through POSTs, conditional and range requests,
# misses that are stored), stops it cleanly so it writes its counts, and merges them, sparse (a function that never
# ran is left out, so the file stays small). Needs wrk, and the llvm-profdata of the Swift toolchain.
# Run it after a change to the hit or forward path: a function whose code changed loses its profile until then.
#   scripts/pgo.sh        (about 20 minutes on 2 cores: the instrumented build, then 50 s of load)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROFDATA=$(dirname "$(readlink -f "$(command -v swift)")")/llvm-profdata
[ -x "$PROFDATA" ] || { echo "pgo.sh: no llvm-profdata beside swift ($PROFDATA)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "pgo.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
ORIGIN=18700; PROXY=18701
for port in $ORIGIN $PROXY; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "pgo.sh: port $port is taken" >&2; exit 1; fi
done
# Instrumented (the release build without the profile, every module counting, the profile runtime linked in), then
# bench/lib.sh for the work folder, the cleanup of what this starts, and wait_for.
GEN=$ROOT/.build-pgo-gen
REPRISE_PGO=0 scripts/release-build.sh "$GEN" -Xswiftc -Xfrontend -Xswiftc "-ir-profile-generate=$GEN/default.profraw" \
  -Xswiftc -Xclang-linker -Xswiftc -fprofile-generate
BIN=$GEN/release/reprise
REPRISE_BIN=$BIN source bench/lib.sh pgo

# The origin's counts go to a file of their own and are dropped: only the proxy's paths shape the profile.
LLVM_PROFILE_FILE=$WORK/origin.profraw REPRISE_THREADS=1 taskset -c 1 "$BIN" upstream --listen 127.0.0.1:$ORIGIN \
  >"$WORK/origin.log" 2>&1 & PIDS+=($!)
printf '[server]\nlisten = "127.0.0.1:%s"\n[metrics]\nenabled = false\n[[upstream]]\nname = "origin"\nprefix = "/"\nurl = "http://127.0.0.1:%s"\n' \
  $PROXY $ORIGIN >"$WORK/proxy.conf"
LLVM_PROFILE_FILE=$WORK/proxy.profraw REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/proxy.conf" \
  >"$WORK/proxy.log" 2>&1 & proxy=$!; PIDS+=($proxy)
wait_for "http://127.0.0.1:$PROXY/bench/1024" || { echo "pgo.sh: the instrumented proxy did not start" >&2; exit 1; }
U=http://127.0.0.1:$PROXY
printf 'n = 0\nrequest = function() n = n + 1; return wrk.format("GET", "/test/cache?size=2048&cc=max-age%%3D600&n=" .. n) end\n' \
  >"$WORK/unique.lua"
load() { local seconds=$1; shift; echo "pgo.sh: $*"; taskset -c 1 wrk -t1 -c32 -d"${seconds}s" "$@" | grep -E "Requests/sec"; }
load 6 "$U/bench/1024"
load 6 "$U/bench/32768"
load 3 "$U/bench/524288"
load 6 "$U/test/cache?cc=no-store&size=1024"
BENCH_DIR=$ROOT/bench load 6 -s "$ROOT/bench/post.lua" "$U/bench/1024"
load 6 -H 'If-None-Match: "bench-1024"' "$U/bench/1024"
load 4 -s "$WORK/unique.lua" "$U/"
load 6 -H 'Range: bytes=0-99' "$U/bench/32768"
load 6 "$U/bench/1024"
kill -INT $proxy; wait $proxy
[ -s "$WORK/proxy.profraw" ] || { echo "pgo.sh: the proxy wrote no profile" >&2; exit 1; }
mkdir -p pgo
"$PROFDATA" merge --sparse -o pgo/reprise.profdata "$WORK/proxy.profraw"
echo "pgo.sh: wrote pgo/reprise.profdata ($(wc -c <pgo/reprise.profdata) bytes); scripts/release-build.sh uses it"
