#!/usr/bin/env bash
# Builds the fuzz targets (all of them, or `--product TARGET`) with libFuzzer and AddressSanitizer into fuzz/.build.
set -euo pipefail
cd "$(dirname "$0")"
# SwiftPM does not notice a file added to or removed from a module of the repository (a path dependency here) while
# its build plan is cached: drop the plan so that it is made again from the files as they are (compiled modules whose
# inputs did not change are kept).
rm -f .build/release.yaml
exec nice -n 10 swift build -c release -Xswiftc -sanitize=fuzzer,address "$@"
