#!/usr/bin/env bash
# What verifying a Kling JWT costs a hit: one binary, two proxies at the same time on core 0 (one event loop each)
# in front of the same origin, both loaded by `wrk -t1 -c16` on core 1 with 1 KiB hits carrying the same HS256
# token. A partitions on the Authorization header's HMAC (key_headers = ["authorization"]); B verifies the token and
# partitions on its iss (key_jwt_claim with a secret). Prints CPU µs per request of each and B/A, ROUNDS times
# (default 3), swapping the ports every other round. Loopback only; origin :18695, the proxies :18696/:18697.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" jwt
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6}
TARGET=${TARGET:-/bench/1024}
command -v wrk >/dev/null || { echo "jwt.sh: needs wrk"; exit 1; }

SECRET=bench-kling-secret-key-0123456789
# A PyJWT-shaped token (iss, exp, nbf), valid for an hour.
TOKEN=$(python3 - "$SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps({"iss": "AK-bench", "exp": now + 3600, "nbf": now - 5}, separators=(",", ":")).encode())
mac = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(mac)}")
PY
)
export WRK_HEADER="Authorization: Bearer $TOKEN"

REPRISE_THREADS=1 taskset -c 0 "$BIN" upstream --listen 127.0.0.1:18695 >"$WORK/origin.log" 2>&1 & PIDS+=($!)
conf() {  # port, credential key line
  printf '[server]\nlisten = "127.0.0.1:%s"\n[metrics]\nenabled = false\n[[upstream]]\nname = "origin"\nprefix = "/"\nurl = "http://127.0.0.1:18695"\n%s\n' \
    "$1" "$2" >"$WORK/$1.conf"
}
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then pa=18696; pb=18697; else pa=18697; pb=18696; fi
  conf $pa 'key_headers = ["authorization"]'
  conf $pb "key_jwt_claim = { header = \"Authorization\", claim = \"iss\", secret = \"$SECRET\" }"
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/$pa.conf" >"$WORK/a.log" 2>&1 & a=$!
  REPRISE_THREADS=1 taskset -c 0 "$BIN" --config "$WORK/$pb.conf" >"$WORK/b.log" 2>&1 & b=$!
  PIDS+=($a $b)
  for port in $pa $pb; do
    wait_for "http://127.0.0.1:$port$TARGET" || { echo "jwt.sh: :$port did not start"; exit 1; }
    curl -s -o /dev/null -H "$WRK_HEADER" "http://127.0.0.1:$port$TARGET"
    status=$(curl -s -o /dev/null -D - -H "$WRK_HEADER" "http://127.0.0.1:$port$TARGET" | tr -d '\r' | awk -F': ' 'tolower($1) == "cache-status" {print $2}')
    case "$status" in *"; hit"*) ;; *) echo "jwt.sh: :$port does not hit ($status)"; exit 1 ;; esac
  done
  paired_load "http://127.0.0.1:$pa$TARGET" $a "http://127.0.0.1:$pb$TARGET" $b
  kill $a $b; wait $a $b 2>/dev/null || true
  awk -v ua="${PAIR_US[0]}" -v ub="${PAIR_US[1]}" -v ra="${PAIR_RATE[0]}" -v rb="${PAIR_RATE[1]}" \
    'BEGIN { printf "header %.2f µs/req (%.0f req/s)  jwt %.2f µs/req (%.0f req/s)  jwt/header %.3f\n", ua, ra, ub, rb, ub / ua }'
done
