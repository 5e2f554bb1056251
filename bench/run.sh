#!/usr/bin/env bash
# Reprise benchmark harness: Reprise vs nginx proxy_cache vs Varnish vs HAProxy cache,
# all pinned to one core with one worker, in front of the same origin, loopback only.
# See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [--quick] [--no-build] [--install] [--servers LIST] [--duration SECONDS]

  --quick            3 s per measurement instead of 10 s
  --no-build         do not build Reprise first (the build: scripts/release-build.sh .build-bench, the
                     profile-guided release build)
  --install          apt-get install -y wrk nginx varnish haproxy (needs root)
  --servers LIST     comma-separated subset of: reprise,reprise-disk,nginx,varnish,haproxy (default: all)
  --duration N       seconds per measurement (overrides --quick)

Environment: REPRISE_BIN (default <repo>/.build-bench/release/reprise)
Results: printed and written to bench/results/latest.md
EOF
}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
export PATH="$PATH:/usr/sbin:/sbin"

DURATION=10
BUILD=1
INSTALL=0
SERVERS="reprise,reprise-disk,nginx,varnish,haproxy"
ARGS_TEXT="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DURATION=3 ;;
    --no-build) BUILD=0 ;;
    --install) INSTALL=1 ;;
    --servers) [ $# -ge 2 ] || { usage >&2; exit 2; }; SERVERS=$2; shift ;;
    --duration) [ $# -ge 2 ] || { usage >&2; exit 2; }; DURATION=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$DURATION" in ''|*[!0-9]*) echo "run.sh: --duration needs whole seconds" >&2; exit 2 ;; esac
[ "$DURATION" -ge 1 ] && [ "$DURATION" -le 600 ] || { echo "run.sh: --duration must be 1..600" >&2; exit 2; }

ORIGIN_PORT=18080
declare -A PORT=([reprise]=18081 [nginx]=18082 [varnish]=18083 [haproxy]=18084 [reprise-disk]=18085)
SERVER_ORDER=(reprise nginx varnish haproxy reprise-disk)
SIZES=(1024 32768 524288)
# The disk rows: hits answered from files on disk (page cache warm). Reprise's disk tier keeps bodies over its
# memory max_object (256 KiB here) on disk only and sends them with sendfile; nginx's proxy_cache is on disk too.
DISK_SIZES=(524288 4194304)
MISS_PATH="/test/cache?cc=no-store&size=1024"
# The pass-through row's target: the demo upstream answers POST /bench/N with N bytes of JSON, `no-store`.
POST_PATH="/bench/1024"
REPRISE_BIN=${REPRISE_BIN:-$ROOT/.build-bench/release/reprise}
# Reprise's release build (scripts/release-build.sh: no dynamic exclusivity checks, optimized with the profile in pgo/).
RELEASE_BUILD=("$ROOT/scripts/release-build.sh" "$ROOT/.build-bench")
WRK_CONNS=32
SERVER_CPU=0
CLIENT_CPU=1

log()  { printf '[bench] %s\n' "$*" >&2; }
die()  { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- process bookkeeping
STARTED_PIDS=()          # every process this script started (killed on EXIT)
WORK=""

# pid and all its descendants, one per line
tree_pids() {
  ps -e -o pid=,ppid= 2>/dev/null | awk -v root="$1" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      keep[root] = 1; changed = 1
      while (changed) { changed = 0
        for (i in pids) { p = pids[i]
          if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } } }
      for (p in keep) print p
    }'
}

cleanup() {
  local rc=$? pid p all=() i
  set +e
  trap - EXIT INT TERM
  for pid in "${STARTED_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    while read -r p; do [ -n "$p" ] && all+=("$p"); done < <(tree_pids "$pid")
  done
  if [ ${#all[@]} -gt 0 ]; then
    log "stopping ${#all[@]} process(es) started by this run"
    kill -TERM "${all[@]}" 2>/dev/null
    for i in $(seq 1 50); do
      local alive=0
      for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  fi
  wait 2>/dev/null
  [ -n "${DISKWORK:-}" ] && rm -rf "$DISKWORK"
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ $rc -ne 0 ]; then
      log "run failed (exit $rc); logs kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# utime+stime (clock ticks) summed over a process tree
cpu_ticks() {
  local total=0 p s f
  while read -r p; do
    [ -n "$p" ] || continue
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }
    read -ra f <<<"$s"
    total=$((total + f[11] + f[12]))
  done < <(tree_pids "$1")
  echo "$total"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait until url answers any HTTP status; fail early if pid died. 100 x 0.1 s + curl time.
wait_http() {
  local name=$1 url=$2 pid=$3 logf=$4 i code
  for i in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during startup; last lines of $logf:"
      tail -n 15 "$logf" >&2 || true
      return 1
    fi
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$url" || true)
    if [ -n "$code" ] && [ "$code" != "000" ]; then return 0; fi
    sleep 0.1
  done
  log "$name did not accept connections on $url within ~10 s; last lines of $logf:"
  tail -n 15 "$logf" >&2 || true
  return 1
}

# start "name" logfile cmd... in the background; sets LAST_PID
start_bg() {
  local name=$1 logf=$2; shift 2
  "$@" >"$logf" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  log "started $name (pid $LAST_PID): $*"
}

stop_pid() {
  local pid=$1 p i
  local tree; tree=$(tree_pids "$pid")
  # shellcheck disable=SC2086
  kill -TERM $tree 2>/dev/null || true
  for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for p in $tree; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- 1-2. prerequisites
if [ "$INSTALL" -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || die "--install needs root (apt-get)"
  log "installing wrk nginx varnish haproxy with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx varnish haproxy; then
    log "apt-get install failed; running apt-get update and retrying once"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx varnish haproxy \
      || die "apt-get install failed"
  fi
fi

command -v wrk >/dev/null || die "wrk is required but not installed (apt-get install wrk, or rerun with --install)"
command -v curl >/dev/null || die "curl is required but not installed (apt-get install curl)"
command -v taskset >/dev/null || die "taskset is required (package util-linux)"
command -v ps >/dev/null || die "ps is required (package procps)"
NPROC=$(nproc)
[ "$NPROC" -ge 2 ] || die "need at least 2 CPUs (servers on core $SERVER_CPU, wrk on core $CLIENT_CPU); nproc=$NPROC"
# The origin shares core 0 with the server under test unless a third core exists.
if [ "$NPROC" -ge 3 ]; then ORIGIN_CPU=2; else ORIGIN_CPU=0; fi

for p in "$ORIGIN_PORT" "${PORT[@]}"; do
  port_in_use "$p" && die "127.0.0.1:$p is already in use (a leftover run?); free it first"
done

if [ "$BUILD" -eq 1 ]; then
  command -v swift >/dev/null || die "swift not found; install the toolchain or use --no-build"
  log "building reprise (${RELEASE_BUILD[*]})"
  (cd "$ROOT" && "${RELEASE_BUILD[@]}") \
    || die "swift build failed; fix it, or use --no-build to bench the other servers only"
fi

TMPBASE=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPBASE=/dev/shm   # caches on tmpfs when available
WORK=$(mktemp -d "$TMPBASE/reprise-bench.XXXXXX")
chmod 755 "$WORK"          # nginx workers / varnish child run as unprivileged users
# Caches that live on a disk (nginx's proxy_cache, Reprise's disk tier): a real file system, not tmpfs.
DISKWORK=$(mktemp -d /var/tmp/reprise-bench-disk.XXXXXX)
chmod 755 "$DISKWORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
SKIPPED=()
NOTES=()

# ---------------------------------------------------------------- 3. origin
ORIGIN_URL="http://127.0.0.1:$ORIGIN_PORT"
ORIGIN_DESC=""
ORIGIN_PID=""
if [ -x "$REPRISE_BIN" ]; then
  start_bg "origin (reprise upstream)" "$WORK/origin.log" \
    env REPRISE_THREADS=1 taskset -c "$ORIGIN_CPU" "$REPRISE_BIN" upstream --listen "127.0.0.1:$ORIGIN_PORT"
  pid=$LAST_PID
  if wait_http "reprise upstream" "$ORIGIN_URL/bench/1024" "$pid" "$WORK/origin.log" \
     && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ORIGIN_URL/bench/1024")" = 200 ]; then
    ORIGIN_PID=$pid
    ORIGIN_DESC="reprise upstream (DemoUpstream)"
  else
    log "'reprise upstream' is not usable; falling back to bench/origin.py"
    stop_pid "$pid"
  fi
else
  log "no Reprise binary at $REPRISE_BIN; using the stand-in origin bench/origin.py"
fi
if [ -z "$ORIGIN_PID" ]; then
  command -v python3 >/dev/null || die "python3 is needed for the stand-in origin (bench/origin.py)"
  start_bg "origin (bench/origin.py)" "$WORK/origin.log" \
    taskset -c "$ORIGIN_CPU" python3 "$BENCH_DIR/origin.py" --listen "127.0.0.1:$ORIGIN_PORT"
  wait_http "bench/origin.py" "$ORIGIN_URL/bench/1024" "$LAST_PID" "$WORK/origin.log" \
    || die "stand-in origin did not start"
  ORIGIN_PID=$LAST_PID
  ORIGIN_DESC="stand-in bench/origin.py ($(python3 --version 2>&1))"
fi
log "origin: $ORIGIN_DESC on 127.0.0.1:$ORIGIN_PORT, core $ORIGIN_CPU"

# sanity-check the origin's two routes
for size in "${SIZES[@]}"; do
  got=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' "$ORIGIN_URL/bench/$size")
  [ "$got" = "200 $size" ] || die "origin GET /bench/$size answered '$got', expected '200 $size'"
done
cc=$(curl -s -D - -o /dev/null --max-time 5 "$ORIGIN_URL/bench/1024" | tr -d '\r' | grep -i '^cache-control:' || true)
echo "$cc" | grep -qi 'max-age' || die "origin /bench/1024 sent no max-age (got '$cc')"
got=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' "$ORIGIN_URL$MISS_PATH")
[ "$got" = "200 1024" ] || die "origin GET $MISS_PATH answered '$got', expected '200 1024'"

# ---------------------------------------------------------------- 4. servers under test
declare -A SPID=()        # server -> root pid
declare -A VERSION=()

start_reprise() {
  [ -x "$REPRISE_BIN" ] || { SKIPPED+=("reprise: no binary at $REPRISE_BIN"); return 1; }
  start_bg reprise "$WORK/reprise.log" \
    env REPRISE_THREADS=1 taskset -c "$SERVER_CPU" "$REPRISE_BIN" --config "$BENCH_DIR/reprise-bench.conf"
}

start_reprise-disk() {
  [ -x "$REPRISE_BIN" ] || { SKIPPED+=("reprise-disk: no binary at $REPRISE_BIN"); return 1; }
  sed -e "s|@PORT@|${PORT[reprise-disk]}|g" -e "s|@ORIGIN@|127.0.0.1:$ORIGIN_PORT|g" -e "s|@CACHE@|$DISKWORK/reprise-cache|g" \
      "$BENCH_DIR/conf/reprise-disk.conf" >"$WORK/reprise-disk.conf"
  start_bg reprise-disk "$WORK/reprise-disk.log" \
    env REPRISE_THREADS=1 taskset -c "$SERVER_CPU" "$REPRISE_BIN" --config "$WORK/reprise-disk.conf"
}

start_nginx() {
  command -v nginx >/dev/null || { SKIPPED+=("nginx: not installed (apt-get install nginx, or --install)"); return 1; }
  mkdir -p "$DISKWORK/nginx-cache-root"
  sed -e "s|@WORK@|$WORK|g" -e "s|@CACHE@|$DISKWORK/nginx-cache-root|g" \
      -e "s|@ORIGIN@|127.0.0.1:$ORIGIN_PORT|g" -e "s|@PORT@|${PORT[nginx]}|g" \
      "$BENCH_DIR/conf/nginx.conf" >"$WORK/nginx.conf"
  nginx -t -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx-test.log" 2>&1 \
    || { cat "$WORK/nginx-test.log" >&2; SKIPPED+=("nginx: config test failed"); return 1; }
  start_bg nginx "$WORK/nginx.log" taskset -c "$SERVER_CPU" nginx -p "$WORK" -c "$WORK/nginx.conf"
}

start_varnish() {
  command -v varnishd >/dev/null || { SKIPPED+=("varnish: not installed (apt-get install varnish, or --install)"); return 1; }
  start_bg varnish "$WORK/varnish.log" taskset -c "$SERVER_CPU" varnishd -F -n "$WORK/varnish" \
    -a "127.0.0.1:${PORT[varnish]}" -b "127.0.0.1:$ORIGIN_PORT" -T none \
    -s malloc,256m -p thread_pools=1 -p thread_pool_min=5
}

start_haproxy() {
  command -v haproxy >/dev/null || { SKIPPED+=("haproxy: not installed (apt-get install haproxy, or --install)"); return 1; }
  sed -e "s|@ORIGIN@|127.0.0.1:$ORIGIN_PORT|g" -e "s|@PORT@|${PORT[haproxy]}|g" \
      "$BENCH_DIR/conf/haproxy.cfg" >"$WORK/haproxy.cfg"
  haproxy -c -f "$WORK/haproxy.cfg" >"$WORK/haproxy-test.log" 2>&1 \
    || { cat "$WORK/haproxy-test.log" >&2; SKIPPED+=("haproxy: config check failed"); return 1; }
  start_bg haproxy "$WORK/haproxy.log" taskset -c "$SERVER_CPU" haproxy -db -f "$WORK/haproxy.cfg"
}

# does this response (headers on stdin) show a cache hit for this server?
is_hit() {
  local h; h=$(tr -d '\r')
  case "$1" in
    reprise|reprise-disk) grep -qiE '^cache-status:.*(^|[;, ])hit' <<<"$h" ;;
    nginx)   grep -qiE '^x-cache-status: *(HIT|UPDATING|REVALIDATED)' <<<"$h" ;;
    varnish) grep -qiE '^x-varnish: *[0-9]+ +[0-9]+' <<<"$h" ;;
    haproxy) grep -qiE '^age: *[0-9]+' <<<"$h" ;;
    *) return 1 ;;
  esac
}

declare -A CHECK=()       # server|workload -> note
ACTIVE=()
for s in "${SERVER_ORDER[@]}"; do
  case ",$SERVERS," in *",$s,"*) ;; *) continue ;; esac
  "start_$s" || { log "skipping $s: ${SKIPPED[-1]#*: }"; continue; }
  pid=$LAST_PID
  if ! wait_http "$s" "http://127.0.0.1:${PORT[$s]}/bench/1024" "$pid" "$WORK/$s.log"; then
    stop_pid "$pid"
    SKIPPED+=("$s: did not start (see message above)")
    continue
  fi
  SPID[$s]=$pid
  ACTIVE+=("$s")
  # warm every object, then check the next request is served from cache
  warm_sizes=("${SIZES[@]}")
  [ "$s" = reprise-disk ] && warm_sizes=("${DISK_SIZES[@]}")
  [ "$s" = nginx ] && warm_sizes+=(4194304)
  for size in "${warm_sizes[@]}"; do
    url="http://127.0.0.1:${PORT[$s]}/bench/$size"
    for i in 1 2 3; do curl -s -o /dev/null --max-time 5 "$url" || true; done
    hdrs=$(curl -s -D - -o "$WORK/body" --max-time 5 "$url" || true)
    len=$(stat -c %s "$WORK/body" 2>/dev/null || echo 0)
    if [ "$len" != "$size" ]; then
      CHECK["$s|hit $size"]="BODY $len B"
      log "$s: /bench/$size answered $len bytes, expected $size"
    elif is_hit "$s" <<<"$hdrs"; then
      CHECK["$s|hit $size"]="hit"
    else
      CHECK["$s|hit $size"]="NOT A HIT"
      log "$s: warm request for /bench/$size was not a cache hit; headers:"
      printf '%s\n' "$hdrs" | sed 's/^/    /' >&2
    fi
  done
  # the no-store path must be forwarded every time
  url="http://127.0.0.1:${PORT[$s]}$MISS_PATH"
  curl -s -o /dev/null --max-time 5 "$url" || true
  hdrs=$(curl -s -D - -o /dev/null --max-time 5 "$url" || true)
  if is_hit "$s" <<<"$hdrs"; then CHECK["$s|miss"]="CACHED?!"; else CHECK["$s|miss"]="fwd"; fi
  log "$s ready on 127.0.0.1:${PORT[$s]} (hit checks: $(for z in "${warm_sizes[@]}"; do printf '%s=%s ' "$z" "${CHECK["$s|hit $z"]}"; done)miss=${CHECK["$s|miss"]})"
done

# ---------------------------------------------------------------- 5-6. measurements
# run_wrk <server label> <root pid> <url> <workload> <check note> [wrk script, default wrk-report.lua]
run_wrk() {
  local label=$1 pid=$2 url=$3 workload=$4 note=$5 script=${6:-wrk-report.lua} out line c0 c1
  log "wrk ${DURATION}s: $label $workload ($url)"
  c0=$(cpu_ticks "$pid")
  out=$(BENCH_DIR="$BENCH_DIR" timeout $((DURATION + 30)) taskset -c "$CLIENT_CPU" wrk -t1 -c"$WRK_CONNS" -d"${DURATION}s" \
        --latency -s "$BENCH_DIR/$script" "$url" 2>&1) || {
    log "wrk failed for $label $workload:"; printf '%s\n' "$out" >&2
    printf '%s\t%s\t-\t-\t-\t-\t-\twrk failed\n' "$workload" "$label" >>"$RESULTS"
    return 0
  }
  c1=$(cpu_ticks "$pid")
  line=$(grep '^BENCH_RESULT ' <<<"$out" | tail -n 1)
  [ -n "$line" ] || { log "no result line from wrk:"; printf '%s\n' "$out" >&2; return 0; }
  printf '%s\n' "$out" >>"$WORK/wrk.log"
  awk -v line="$line" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
      -v workload="$workload" -v label="$label" -v note="$note" 'BEGIN {
    n = split(line, kv, " ")
    for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
    req = v["requests"]; dur = v["duration_us"] / 1e6
    errs = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"]
    rps = (dur > 0) ? req / dur : 0
    cpu = (req > 0) ? (c1 - c0) / hz * 1e6 / req : 0
    if (v["err_status"] > 0) note = note (note == "" ? "" : ", ") v["err_status"] " non-2xx"
    if (errs > 0) note = note (note == "" ? "" : ", ") errs " socket errors"
    printf "%s\t%s\t%.0f\t%.3f\t%.3f\t%.1f\t%d\t%s\n", workload, label, rps,
      v["p50_us"] / 1000, v["p99_us"] / 1000, cpu, req, note
  }' >>"$RESULTS"
  sleep 1
}

DIRECT="upstream direct"
for size in "${SIZES[@]}"; do
  run_wrk "$DIRECT" "$ORIGIN_PID" "$ORIGIN_URL/bench/$size" "hit $size" "origin"
  for s in "${ACTIVE[@]}"; do
    [ "$s" = reprise-disk ] && continue
    run_wrk "$s" "${SPID[$s]}" "http://127.0.0.1:${PORT[$s]}/bench/$size" "hit $size" "${CHECK["$s|hit $size"]}"
  done
done
# The disk rows: nginx (proxy_cache on disk) and Reprise's disk tier, both from files with a warm page cache.
for size in "${DISK_SIZES[@]}"; do
  for s in nginx reprise-disk; do
    [ -n "${SPID[$s]:-}" ] || continue
    run_wrk "$s" "${SPID[$s]}" "http://127.0.0.1:${PORT[$s]}/bench/$size" "disk hit $size" "${CHECK["$s|hit $size"]}"
  done
done
run_wrk "$DIRECT" "$ORIGIN_PID" "$ORIGIN_URL$MISS_PATH" "miss 1024" "origin"
for s in "${ACTIVE[@]}"; do
  [ "$s" = reprise-disk ] && continue
  run_wrk "$s" "${SPID[$s]}" "http://127.0.0.1:${PORT[$s]}$MISS_PATH" "miss 1024" "${CHECK["$s|miss"]}"
done
# Pass-through: a write forwarded to the backend and never stored (1 KiB of JSON each way, bench/post.lua).
run_wrk "$DIRECT" "$ORIGIN_PID" "$ORIGIN_URL$POST_PATH" "POST 1024" "origin" post.lua
for s in "${ACTIVE[@]}"; do
  [ "$s" = reprise-disk ] && continue
  run_wrk "$s" "${SPID[$s]}" "http://127.0.0.1:${PORT[$s]}$POST_PATH" "POST 1024" "fwd" post.lua
done

# ---------------------------------------------------------------- 7. report
first_line() { { "$@" 2>&1 || true; } | head -n 1; }
ver_reprise="not built"
if [ -x "$REPRISE_BIN" ]; then
  ver_reprise=$({ timeout 5 "$REPRISE_BIN" --version 2>/dev/null || true; } | head -n 1)
  [ -n "$ver_reprise" ] || ver_reprise="(no --version)"
  rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)
  [ -n "$rev" ] && ver_reprise="$ver_reprise, commit $rev"
fi
ver_nginx=$(command -v nginx >/dev/null && first_line nginx -v || echo "not installed")
ver_varnish=$(command -v varnishd >/dev/null && first_line varnishd -V || echo "not installed")
ver_haproxy=$(command -v haproxy >/dev/null && first_line haproxy -v || echo "not installed")
ver_wrk=$(first_line wrk -v)

mkdir -p "$BENCH_DIR/results"
REPORT="$BENCH_DIR/results/latest.md"
{
  echo "# Reprise benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo
  echo "- machine: $NPROC CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
  echo "- command: bench/run.sh $ARGS_TEXT"
  echo "- load: \`taskset -c $CLIENT_CPU wrk -t1 -c$WRK_CONNS -d${DURATION}s --latency\`; servers on core $SERVER_CPU, one worker each; origin on core $ORIGIN_CPU"
  echo "- origin: $ORIGIN_DESC"
  echo "- versions:"
  echo "  - reprise: $ver_reprise"
  echo "  - $ver_nginx"
  echo "  - $ver_varnish"
  echo "  - $ver_haproxy"
  echo "  - $ver_wrk"
  for sk in "${SKIPPED[@]}"; do echo "- skipped: $sk"; done
  echo
  echo "hit N = GET /bench/N from a warm cache; miss 1024 = GET $MISS_PATH (never stored, forwarded every time)."
  echo "POST 1024 = POST $POST_PATH with 1 KiB of JSON, answered with 1 KiB of JSON (no-store): a write passed through."
  echo "disk hit N = GET /bench/N answered from a file on disk (page cache warm): nginx proxy_cache on disk, Reprise's disk tier"
  echo "(reprise-disk: memory max_object 256KiB, so these bodies are on disk only and go out with sendfile)."
  echo "CPU us/req = server utime+stime (all its processes) ÷ requests. Compare ratios within one run only."
  echo
  awk -F'\t' '
    function human(w,  a, k) {
      k = split(w, a, " "); if (a[k] >= 1024) { sub(/ [0-9]+$/, "", w); return w " " a[k] / 1024 " KiB" }; return w " B"
    }
    BEGIN { OFS = "" }
    { n++; for (i = 1; i <= 8; i++) cell[n, i] = $i; cell[n, 1] = human($1) }
    END {
      hdr[1] = "workload"; hdr[2] = "server"; hdr[3] = "req/s"; hdr[4] = "p50 ms"
      hdr[5] = "p99 ms"; hdr[6] = "CPU us/req"; hdr[7] = "requests"; hdr[8] = "check"
      for (i = 1; i <= 8; i++) w[i] = length(hdr[i])
      for (r = 1; r <= n; r++) for (i = 1; i <= 8; i++) if (length(cell[r, i]) > w[i]) w[i] = length(cell[r, i])
      line = "|"; sep = "|"
      for (i = 1; i <= 8; i++) {
        line = line " " sprintf(i <= 2 || i == 8 ? "%-" w[i] "s" : "%" w[i] "s", hdr[i]) " |"
        d = ""; for (k = 0; k < w[i]; k++) d = d "-"
        sep = sep (i <= 2 || i == 8 ? ":" d " |" : " " d ":|")
      }
      print line; print sep
      for (r = 1; r <= n; r++) {
        line = "|"
        for (i = 1; i <= 8; i++) {
          v = (i == 1 && r > 1 && cell[r, 1] == cell[r - 1, 1]) ? "" : cell[r, i]
          line = line " " sprintf(i <= 2 || i == 8 ? "%-" w[i] "s" : "%" w[i] "s", v) " |"
        }
        print line
      }
    }' "$RESULTS"
} >"$REPORT"

echo
cat "$REPORT"
echo
log "written to $REPORT"
