# CPU time of a running process, for the scripts that measure CPU per request (lib.sh's paired loads, profile.sh).
# Source it; it only defines functions.

HZ=$(getconf CLK_TCK)

# CPU ticks (utime + stime) of a process and its children (nginx's master and worker).
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}

# `us_per_request TICKS REQUESTS`: CPU µs per request, two decimals.
us_per_request() {
  awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}'
}
