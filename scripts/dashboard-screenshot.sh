#!/usr/bin/env bash
# Takes a screenshot of the operator dashboard with some traffic behind it, and fails when the picture is blank
# or the page never showed any numbers.
#
#   scripts/dashboard-screenshot.sh [--install] [--out docs/dashboard.png]
#
#   --install     apt-get install chromium when no Chromium is found (otherwise the script stops and says so)
#   REPRISE_BIN   the reprise binary to run (default: .build/release/reprise)
#   CHROMIUM      the browser to run (default: chromium, else chromium-browser, else google-chrome)
#
# Everything listens on loopback, on ports the kernel picks; the proxy and the upstream are stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
out="docs/dashboard.png"
install=0
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --out) out="$2"; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

reprise="${REPRISE_BIN:-.build/release/reprise}"
if [ ! -x "$reprise" ]; then
    echo "no reprise binary at $reprise: run scripts/release-build.sh or set REPRISE_BIN" >&2
    exit 2
fi

find_chromium() {
    for candidate in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}
if ! browser="$(find_chromium)"; then
    if [ "$install" -eq 1 ]; then
        apt-get update && apt-get install -y chromium
        browser="$(find_chromium)"
    else
        echo "no Chromium found: install it (apt-get install -y chromium), pass --install, or set CHROMIUM" >&2
        exit 2
    fi
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    # Newest first: the traffic loop stops before the proxy it talks to.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_for() {  # url, what
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "$2 did not come up at $1; its log:" >&2
    cat "$work"/*.log >&2 || true
    exit 1
}

upstream_port="$(free_port)"
proxy_port="$(free_port)"
admin_port="$(free_port)"
token="screenshot-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

cat > "$work/proxy.conf" <<EOF
[server]
listen = "127.0.0.1:$proxy_port"
admin_listen = "127.0.0.1:$admin_port"
admin_token = "$token"

[cache]
memory = "8MiB"

[[upstream]]
name = "demo"
prefix = "/"
url = "http://127.0.0.1:$upstream_port"

[[rule]]
name = "echo"
match = "GET /test/echo"
ttl = "1h"
tags = ["echo"]

[[rule]]
name = "cache"
match = "GET /test/cache"
ttl = "1h"
tags = ["cache"]

[[rule]]
name = "bench"
match = "GET /bench/*"
ttl = "1h"
tags = ["bench"]
EOF

"$reprise" upstream --listen "127.0.0.1:$upstream_port" > "$work/upstream.log" 2>&1 &
pids+=($!)
"$reprise" --config "$work/proxy.conf" > "$work/proxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$upstream_port/test/echo" "the demo upstream"
wait_for "http://127.0.0.1:$admin_port/healthz" "reprise"

# Traffic: every path once (misses), then most of them again (hits), and one purge for the history.
proxy="http://127.0.0.1:$proxy_port"
get() { curl -fsS -o /dev/null "$proxy$1"; }
for i in $(seq 1 12); do get "/test/echo?i=$i"; done
for i in $(seq 1 6); do get "/test/cache?i=$i"; done
for size in 65536 131072 262144 524288; do get "/bench/$size"; done
for round in 1 2 3; do
    for i in $(seq 1 10); do get "/test/echo?i=$i"; done
    for i in $(seq 1 6); do get "/test/cache?i=$i"; done
    for size in 65536 131072 262144; do get "/bench/$size"; done
done
curl -fsS -o /dev/null -X POST -H "authorization: Bearer $token" \
    --data '{"tags":["cache"]}' "http://127.0.0.1:$admin_port/purge"
curl -fsS -o /dev/null -X PURGE -H "authorization: Bearer $token" "http://127.0.0.1:$admin_port/test/echo?i=12"
echo "stats: $(curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$admin_port/stats")"

# Light traffic while the browser polls, so that the per-interval line has points too (mostly hits).
(
    n=100
    while true; do
        for i in $(seq 1 8); do get "/test/echo?i=$i" 2>/dev/null || true; done
        n=$((n + 1)); get "/test/echo?i=$n" 2>/dev/null || true
        sleep 0.2
    done
) &
pids+=($!)

page="http://127.0.0.1:$admin_port/?token=$token"
browse() {
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$work/profile" \
        --window-size=1280,900 --virtual-time-budget=8000 "$@" "$page" 2>>"$work/chromium.log"
}

# The page must have drawn numbers from /stats, not only the token form.
browse --dump-dom > "$work/dom.html"
if ! grep -q 'id="c-requests">[0-9]' "$work/dom.html" || ! grep -q 'id="status"[^>]*>updated' "$work/dom.html"; then
    echo "the dashboard did not show /stats numbers; its status line:" >&2
    grep -o 'id="status"[^<]*' "$work/dom.html" >&2 || true
    exit 1
fi

mkdir -p "$(dirname "$out")"
rm -f "$out"
browse --screenshot="$out" >/dev/null
if [ ! -s "$out" ]; then
    echo "Chromium wrote no screenshot; its log:" >&2
    tail -20 "$work/chromium.log" >&2
    exit 1
fi

# A real pixel check: decode the PNG (zlib + scanline filters) and count colours.
python3 - "$out" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: not a PNG")
offset, idat, header = 8, b"", None
while offset < len(data):
    length, kind = struct.unpack(">I4s", data[offset:offset + 8])
    chunk = data[offset + 8:offset + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", chunk)
    elif kind == b"IDAT":
        idat += chunk
    offset += 12 + length
width, height, depth, colour, _, _, interlace = header
channels = {2: 3, 6: 4}.get(colour)
if depth != 8 or channels is None or interlace != 0:
    sys.exit(f"{path}: unexpected PNG format (depth {depth}, colour type {colour}, interlace {interlace})")
raw, stride = zlib.decompress(idat), width * channels
previous, counts, position = bytearray(stride), {}, 0
for _ in range(height):
    kind, line = raw[position], bytearray(raw[position + 1:position + 1 + stride])
    position += 1 + stride
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up, corner = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
    for i in range(0, stride, channels):
        pixel = bytes(line[i:i + 3])
        counts[pixel] = counts.get(pixel, 0) + 1
    previous = line
total = width * height
dominant = max(counts.values()) / total
print(f"{path}: {width}x{height}, {len(counts)} distinct colours, most common covers {dominant:.1%}")
if len(counts) < 32 or dominant > 0.97:
    sys.exit(f"{path}: looks blank")
PY
echo "screenshot: $out"
