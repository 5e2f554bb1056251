#!/usr/bin/env bash
# Reprise's release build: the binary scripts/run.sh runs and bench/ measures. Release, without the dynamic
# exclusivity checks in every module (NIO's included: 9% less CPU per 1 KiB hit), and optimized with the profile in
# pgo/reprise.profdata (profile-guided optimization, every module: 15% less CPU per 1 KiB hit, 10% per pass-through
# POST; BENCHMARKS.md, issue 18). REPRISE_PGO=0 builds without the profile.
#   scripts/release-build.sh [BUILD_PATH [SWIFT-BUILD-ARGS...]]   (default .build; the binary is BUILD_PATH/release/reprise)
# Further arguments go to `swift build` (the Dockerfile's --static-swift-stdlib, scripts/pgo.sh's instrumentation).
# SwiftPM does not recompile a module when only -Xswiftc flags or the profile's contents changed, so the flags (with
# the profile's checksum) are kept in BUILD_PATH/release-build.flags, and a change empties the release folder first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_PATH=$(mkdir -p "${1:-$ROOT/.build}" && cd "${1:-$ROOT/.build}" && pwd)
shift $(($# > 0 ? 1 : 0))
FLAGS=(-Xswiftc -enforce-exclusivity=unchecked "$@")
PROFILE=$ROOT/pgo/reprise.profdata
if [ "${REPRISE_PGO:-1}" != 0 ] && [ -f "$PROFILE" ]; then
  named=$BUILD_PATH/pgo-$(cksum <"$PROFILE" | cut -d' ' -f1).profdata
  [ -f "$named" ] || cp "$PROFILE" "$named"
  FLAGS+=(-Xswiftc -Xfrontend -Xswiftc "-ir-profile-use=$named")
fi
STAMP=$BUILD_PATH/release-build.flags
if [ -e "$BUILD_PATH/release" ] && [ "$(cat "$STAMP" 2>/dev/null)" != "${FLAGS[*]}" ]; then
  echo "release-build.sh: the flags or the profile changed since the last release build in $BUILD_PATH: rebuilding it" >&2
  rm -rf "$(readlink -f "$BUILD_PATH/release")" "$BUILD_PATH/release"
fi
cd "$ROOT"
swift build -c release --product reprise "${FLAGS[@]}" --build-path "$BUILD_PATH"
printf '%s' "${FLAGS[*]}" >"$STAMP"
