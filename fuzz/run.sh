#!/usr/bin/env bash
# Builds one fuzz target and runs it: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
#
# The target is a folder of fuzz/Sources (request-parser, http-fields, canonical-json, resp, proxy-conf). It starts
# from the committed seeds in fuzz/corpus/TARGET and the inputs it kept on earlier runs in fuzz/findings/TARGET/corpus
# (where it also adds the new ones); a failing input is saved as fuzz/findings/TARGET/crash-<sha1> (or leak-, timeout-,
# oom-). fuzz/findings is not committed. Exits non-zero on a finding.
#
# FUZZ_SKIP_BUILD=1 uses the binary already built (fuzz/ci.sh builds all targets once); FUZZ_WORK=DIR keeps the
# inputs found in DIR instead of fuzz/findings/TARGET (fuzz/ci.sh starts from the seeds alone).
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 2 ]; then
    echo "usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]" >&2
    echo "targets: $(ls Sources | grep -v '^FuzzSupport$' | tr '\n' ' ')" >&2
    exit 64
fi
target=$1
seconds=$2
shift 2
if [ ! -d "Sources/$target" ] || [ "$target" = FuzzSupport ]; then
    echo "run.sh: no fuzz target \"$target\" (fuzz/Sources has: $(ls Sources | grep -v '^FuzzSupport$' | tr '\n' ' '))" >&2
    exit 64
fi

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    ./build.sh --product "$target"
fi
binary=.build/release/$target

findings=findings/$target
work=${FUZZ_WORK:-$findings/corpus}
mkdir -p "$findings" "$work" "corpus/$target"
flags=(
    -max_total_time="$seconds"
    -print_final_stats=1
    -timeout=10
    -rss_limit_mb=2048
    -artifact_prefix="$findings/"
)
if [ -f "dict/$target.dict" ]; then
    flags+=(-dict="dict/$target.dict")
fi

# libFuzzer reports the crash and saves the input; Swift's own backtracer would only get in its way. Leaks are
# findings too, except those of a dependency listed in lsan.supp.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS=suppressions=$PWD/lsan.supp:print_suppressions=0
exec nice -n 10 "$binary" "${flags[@]}" "$@" "$work" "corpus/$target"
