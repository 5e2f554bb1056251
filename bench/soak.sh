#!/usr/bin/env bash
# The soak (issue 13.3): bench/soak.sh [MINUTES]   (default 30; `bench/soak.sh 1` is the CI form)
#
# One Reprise (the benchmark build, see lib.sh) with the repository's proxy.conf rules, in fleet mode on a local
# redis-server, in front of the demo upstream (`reprise upstream`) for all four upstreams. bench/soak.py measures this
# mix's capacity on this machine, then drives it at half of that for MINUTES with voice-list reads, TTS and Gemini
# generations with repeats, Kling polls, clone writes that purge, admin purges, injected upstream faults (5xx, a reset
# before the head, a reset mid-body: the `x-demo-fault` header) and clients that leave mid-response. Meanwhile a
# SIGHUP with a changed config every minute and a Redis kill and restart every five minutes (a 1-minute run: a reload
# every 20 s and a Redis restart at 15 s and 45 s).
#
# Each minute it prints requests, unexpected errors, stale reads, RSS and open fds; at the end the fds once idle, the
# final /stats and a verdict. Exits 1 on any unexpected error, stale read or leak (see soak.py for the rules).
# Differences from proxy.conf: loopback ports, the upstream URLs, the access log in the work folder, `memory` 32 MiB
# (the cache fills its budget within the first minutes, so RSS reaches its plateau before the 5-minute mark), and
# `[redis]`. Loopback only: upstream :P, Reprise :P+1 (admin :P+2), redis :P+10, where P is SOAK_PORT (28680).
# SOAK_NICE (default 10) is the niceness of everything it starts; SOAK_KEEP=1 keeps the work folder (logs);
# the disk tier is on as in proxy.conf, its directory in the work folder and `disk_size` 96 MiB (filled within the
# first minutes, as `memory`); SOAK_DISK=0 turns it off.
set -euo pipefail
MINUTES=${1:-30}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" soak
command -v redis-server >/dev/null || { echo "soak.sh: needs redis-server (apt-get install -y redis-server)"; exit 1; }
NICE=(nice -n "${SOAK_NICE:-10}")
TOKEN=soak-admin-token-0123456789abcdef
P=${SOAK_PORT:-28680}
UP=$P; PROXY=$((P + 1)); ADMIN=$((P + 2)); REDIS=$((P + 10))
# Cleanup: SIGTERM to Reprise and the upstream, and wait (bounded) until they exited (scripts/leaks.sh reads what
# LeakSanitizer reports at exit); redis-server, restarted by soak.py, by its pid file.
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do timeout 60 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true; done
  [ -f "$WORK/redis.pid" ] && kill -9 "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

REDIS_CMD="exec ${NICE[*]} redis-server --port $REDIS --bind 127.0.0.1 --save '' --appendonly no --dir $WORK"
(bash -c "$REDIS_CMD" >>"$WORK/redis.log" 2>&1 & echo $! >"$WORK/redis.pid")
"${NICE[@]}" "$BIN" upstream --listen 127.0.0.1:$UP >"$WORK/upstream.log" 2>&1 & PIDS+=($!)

# The repository's proxy.conf, pointed at the demo upstream and at Redis.
SOAK_DISK=${SOAK_DISK:-1} python3 - "$ROOT/proxy.conf" "$WORK/soak.conf" "$WORK/access.log" "$UP" "$PROXY" "$ADMIN" "$REDIS" "$WORK/cache" <<'PY'
import os, re, sys
up, proxy, admin, redis = sys.argv[4:8]
text = open(sys.argv[1]).read()
assert '\ndisk_path = "cache"' in text, "soak.sh: proxy.conf changed shape; cannot place the disk tier"
if os.environ["SOAK_DISK"] == "1":
    text = text.replace('\ndisk_path = "cache"', f'\ndisk_path = "{sys.argv[8]}"')
    # Like `memory`: a budget the run fills in its first minutes, so that the disk index (in memory, one record per
    # file) stops growing before the RSS baseline is taken at minute 5 (it writes about 30 MiB a minute).
    assert '\ndisk_size = "4GiB"' in text, "soak.sh: proxy.conf changed shape; cannot size the disk tier"
    text = text.replace('\ndisk_size = "4GiB"', '\ndisk_size = "96MiB"')
else:
    for key in ("disk_path", "disk_size", "disk_max_object"):
        text = re.sub(rf'^{key} =', f'# {key} =', text, flags=re.M)
text = text.replace('listen = "0.0.0.0:8080"', f'listen = "127.0.0.1:{proxy}"')
text = text.replace('admin_listen = "127.0.0.1:9090"', f'admin_listen = "127.0.0.1:{admin}"')
text = re.sub(r'^url = "https?://[^"]*"', f'url = "http://127.0.0.1:{up}"', text, flags=re.M)
text = text.replace('memory = "256MiB"', 'memory = "32MiB"')
text = text.replace('access = "stdout"', f'access = "{sys.argv[3]}"')
text = text.replace('# [redis]\n# url = "redis://127.0.0.1:6379/0"', f'[redis]\nurl = "redis://127.0.0.1:{redis}/0"')
for needle in (f'127.0.0.1:{proxy}"', f'127.0.0.1:{admin}"', '32MiB', '[redis]\nurl', sys.argv[3], 'coalesce_timeout = "10s"'):
    assert needle in text, f"soak.sh: proxy.conf changed shape; cannot place {needle!r}"
open(sys.argv[2], "w").write(text)
PY
REPRISE_ADMIN_TOKEN=$TOKEN KLING_SECRET_KEY=demo-secret "${NICE[@]}" "$BIN" --config "$WORK/soak.conf" \
  >"$WORK/reprise.log" 2>&1 & REPRISE_PID=$!; PIDS+=($REPRISE_PID)
wait_for http://127.0.0.1:$UP/test/counts || { echo "soak.sh: the demo upstream did not start"; exit 1; }
for _ in $(seq 1 100); do
  curl -s -H "authorization: Bearer $TOKEN" http://127.0.0.1:$ADMIN/readyz | grep -q '"redis":"ok"' && break; sleep 0.1
done
curl -s -H "authorization: Bearer $TOKEN" http://127.0.0.1:$ADMIN/readyz | grep -q '"redis":"ok"' \
  || { echo "soak.sh: Reprise is not ready with Redis"; cat "$WORK/reprise.log"; exit 1; }

echo "soak: $MINUTES min; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); $("$BIN" --version); $(redis-server --version | cut -d' ' -f1-3)"
status=0
"${NICE[@]}" python3 "$ROOT/bench/soak.py" --minutes "$MINUTES" --port "$PROXY" --admin-port "$ADMIN" --upstream-port "$UP" \
  --redis-port "$REDIS" --redis-cmd "$REDIS_CMD" --redis-pid-file "$WORK/redis.pid" --pid "$REPRISE_PID" \
  --conf "$WORK/soak.conf" --token "$TOKEN" ${SOAK_ARGS:-} || status=$?

# Every reload applied (none rejected), and Reprise still alive.
kill -0 "$REPRISE_PID" 2>/dev/null || { echo "soak.sh: Reprise exited"; tail -20 "$WORK/reprise.log"; exit 1; }
if grep -q 'reload rejected\|reload failed' "$WORK/reprise.log"; then
  echo "soak.sh: a reload was rejected:"; grep 'reload rejected\|reload failed' "$WORK/reprise.log" | head -3; status=1
fi
echo "access log: $(wc -l <"$WORK/access.log") lines; aborted: $(grep -c '"cache":"aborted"' "$WORK/access.log" || true)"
exit "$status"
