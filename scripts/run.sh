#!/usr/bin/env bash
# The run command (README): builds the release binary that bench/ measures (scripts/release-build.sh: release,
# profile-guided) into .build and runs it. Arguments go to reprise; without any, --config proxy.conf. The build's
# output goes to stderr, so stdout carries only what reprise writes (the access log).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/release-build.sh" "$ROOT/.build" >&2
[ $# -gt 0 ] || set -- --config proxy.conf
exec "$ROOT/.build/release/reprise" "$@"
