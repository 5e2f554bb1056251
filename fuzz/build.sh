#!/usr/bin/env bash
# Builds the fuzz targets (all of them, or `--product TARGET`) with libFuzzer and AddressSanitizer into fuzz/.build.
set -euo pipefail
cd "$(dirname "$0")"
exec nice -n 10 swift build -c release -Xswiftc -sanitize=fuzzer,address "$@"
