#!/usr/bin/env bash
# The official-SDK suite (issue 14): the example FastAPI app and pytest, with elevenlabs, google-genai and httpx
# at the pinned versions of requirements.txt, against the demo upstream through a real Reprise running the
# repository's proxy.conf (tests/conftest.py starts both).
#
#   examples/fastapi/run-tests.sh [pytest arguments]
#
# Creates examples/fastapi/.venv (git-ignored) and installs requirements.txt from PyPI when a pinned package is
# missing or at another version. Uses $REPRISE_BIN, else builds the debug `reprise` (`swift build --product
# reprise`, quick after `swift test`). Needs python3 (3.10 or newer) with venv, and PyPI on first run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# pip check of the pins: reinstall only when one differs from what is installed.
if ! "$venv/bin/python" - "$here/requirements.txt" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, wanted = line.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

if [ -z "${REPRISE_BIN:-}" ]; then
    (cd "$root" && swift build --product reprise >/dev/null)
    REPRISE_BIN="$root/.build/debug/reprise"
fi
# The tests run from this folder: a relative path is made absolute first.
REPRISE_BIN="$(cd "$(dirname "$REPRISE_BIN")" && pwd)/$(basename "$REPRISE_BIN")"
export REPRISE_BIN

cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" tests
