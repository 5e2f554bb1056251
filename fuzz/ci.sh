#!/usr/bin/env bash
# CI's fuzzing: builds every fuzz target once, then runs each for FUZZ_SECONDS (20 by default) from the committed
# seeds alone, one after the other. Fails on the first finding (the input is in fuzz/findings/TARGET/).
# The mutations follow a fixed seed (FUZZ_SEED, 1 by default), so that CI does not pass or fail by luck: a machine
# of about this speed repeats the same inputs, and a new finding shows up first where the fuzzers run for long.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-20}
seed=${FUZZ_SEED:-1}
targets=$(ls Sources | grep -v '^FuzzSupport$')

start=$(date +%s)
./build.sh
echo "fuzz: built $(echo $targets | wc -w) targets in $(( $(date +%s) - start ))s"

passed=0
failed=0
for target in $targets; do
    work=$(mktemp -d)
    log=$(mktemp)
    if FUZZ_SKIP_BUILD=1 FUZZ_WORK="$work" ./run.sh "$target" "$seconds" -seed="$seed" >"$log" 2>&1; then
        passed=$((passed + 1))
        # libFuzzer's last status line (executions, coverage) and its exec/s.
        echo "fuzz: $target: OK, $(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/ +/ /g'); \
$(grep -E 'stat::average_exec_per_sec' "$log" | sed -E 's/.*: +//') exec/s"
    else
        failed=$((failed + 1))
        echo "fuzz: $target: FAILED"
        grep -v -E '^(#[0-9]+|INFO:|MS:|base unit:|0x|\s*$)' "$log" | tail -40
    fi
    rm -rf "$work" "$log"
done
echo "fuzz: $passed passed, $failed failed ($(( $(date +%s) - start ))s in all)"
[ "$failed" -eq 0 ]
