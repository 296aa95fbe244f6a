#!/usr/bin/env bash
# Runs every load scenario against real `spin up`, in both bus modes, and writes the
# figures into docs/benchmarks.md (between its "load:begin/end" markers) with SVG plots in
# docs/benchmarks/. Each bus mode gets one `spin up` (fresh SQLite state dir, and a fresh
# Redis in Redis mode) kept running through all its scenarios, as a real server would be,
# with the send and signup limits lifted through variables.
#
#   bench/run.sh [--demo] [--quick] [--fresh] [--flavour wasip3|wasip2] [--modes "redis embedded"]
#                [--scenarios "i ii iii iv ramp idle cost"]
#
# --fresh: a fresh server for every scenario instead. --flavour: which build to measure
# (scripts/build.sh; wasip3, the default, needs Spin 4).
# --demo also runs Cloudflare's edge chat demo (../shared/anchor) on the same scenarios,
# one after the other on this machine, and puts it beside ours in the tables and plots.
# --quick: 5 s windows, for trying the script itself. Needs redis-server and a Spin CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

demo=no; seconds=15; modes="redis embedded"; scenarios="i ii iii iv ramp idle cost"; fresh=no
flavour=wasip3
while [ $# -gt 0 ]; do
  case $1 in
    --demo) demo=yes ;;
    --quick) seconds=5 ;;
    --fresh) fresh=yes ;;
    --flavour) flavour=$2; shift ;;
    --modes) modes=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if ! spin_cli="$(scripts/find-spin.sh)"; then
  echo "error: no Spin CLI (spin on PATH or ../shared/bin/spin): bench/run.sh measures real Spin" >&2
  exit 1
fi
command -v redis-server >/dev/null || { echo "error: redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
scripts/prerequisites.sh build
echo "==> building the components ($flavour) and the load generator"
scripts/build.sh "$flavour"
cargo build --locked --release -p chat-bench --bin load --bin report

work=$(mktemp -d /tmp/chat-bench.XXXXXX)
results="$work/results.jsonl"; demo_results="$work/demo.jsonl"
port=3077; redis_port=6397
spin_pgid=""; redis_pid=""
stop_all() {
  if [ -n "$spin_pgid" ]; then kill -TERM -- "-$spin_pgid" 2>/dev/null || true; sleep 1; kill -KILL -- "-$spin_pgid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  spin_pgid=""; redis_pid=""
  sleep 1
}
trap stop_all EXIT

# Starts a fresh server for one scenario; sets $pids (spin up and its children).
start() {
  local mode=$1 state="$work/state-$mode-$2"
  stop_all
  rm -rf "$state"; mkdir -p "$state"
  local vars=(SPIN_VARIABLE_MESSAGES_PER_SECOND=100000 SPIN_VARIABLE_MESSAGES_BURST=100000
    SPIN_VARIABLE_SIGNUPS_PER_IP_PER_HOUR=1000000 SPIN_VARIABLE_PASSWORD_HASHES_PER_SECOND=1000000)
  if [ "$mode" = redis ]; then
    redis-server --port "$redis_port" --save '' --appendonly no --daemonize no --logfile "$work/redis.log" &
    redis_pid=$!
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    vars+=(SPIN_VARIABLE_REDIS_URL="redis://127.0.0.1:$redis_port" SPIN_VARIABLE_REDIS_HOST="127.0.0.1:$redis_port")
  fi
  env "${vars[@]}" CHAT_SPIN="$spin_cli" CHAT_FLAVOUR="$flavour" setsid scripts/spin-up.sh --state-dir "$state" --listen "127.0.0.1:$port" \
    >"$state/spin.out" 2>"$state/spin.err" &
  spin_pgid=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/api/health" >/dev/null || { echo "error: spin up did not come up; $state/spin.err:" >&2; tail -20 "$state/spin.err" >&2; exit 1; }
  pids="$spin_pgid,$(pgrep -P "$spin_pgid" | paste -sd, -)"
}

load() {
  "$root/target/release/load" --url "http://127.0.0.1:$port" --pids "$pids" \
    ${redis_pid:+--redis-pid "$redis_pid"} --out "$results" --quiet "$@"
}

for mode in $modes; do
  for scenario in $scenarios; do
    if [ "$scenario" = cost ] && [ "$mode" != redis ]; then continue; fi
    echo "==> $mode / $scenario"
    if [ "$fresh" = yes ] || [ -z "$spin_pgid" ]; then start "$mode" "$scenario"; fi
    case $scenario in
      ramp)
        if [ "$mode" = redis ]; then steps="--from 300 --step 100"; else steps="--from 100 --step 100"; fi
        load --label "$mode" --scenario ramp --seconds 10 $steps || echo "warning: $mode/ramp failed" >&2 ;;
      idle) load --label "$mode" --scenario idle --streams 1000 || echo "warning: $mode/idle failed" >&2 ;;
      cost) load --label "$mode" --scenario cost --seconds 8 || echo "warning: $mode/cost failed" >&2 ;;
      *) load --label "$mode" --scenario "$scenario" --seconds "$seconds" || echo "warning: $mode/$scenario failed" >&2 ;;
    esac
  done
  stop_all
done

report_args=(--results "$results")
if [ "$demo" = yes ]; then
  anchor="$root/../shared/anchor"
  home=$("$anchor/setup.sh")
  for scenario in $scenarios; do
    case $scenario in
      i) a="--rooms 1 --perRoom 2 --rate 50" ;;
      ii) a="--rooms 1 --perRoom 100 --rate 20" ;;
      iii) a="--rooms 1 --perRoom 500 --rate 10" ;;
      iv) a="--rooms 200 --perRoom 2 --rate 500" ;;
      idle) a="--mode idle --rooms 500 --perRoom 2 --hold 5" ;;
      *) continue ;;
    esac
    echo "==> Cloudflare demo (workerd) / $scenario"
    wpid=$("$anchor/start-workerd.sh" 8788)
    echo "$wpid" > "$work/workerd.pid"
    node "$home/chat-load.mjs" --protocol cf-demo --url ws://127.0.0.1:8788 --pidFile "$work/workerd.pid" \
      $a --duration "$seconds" --warmup 2 --label "workerd/$scenario" --out "$demo_results" --quiet || true
    kill "$wpid" 2>/dev/null || true
    # Not our child, so no `wait`: the next demo must not find this one still on the port.
    for _ in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
    sleep 1
  done
  report_args+=(--demo "$demo_results")
fi

fragment="$work/fragment.md"
"$root/target/release/report" "${report_args[@]}" --svg-dir docs/benchmarks --svg-link benchmarks --markdown "$fragment"
{
  echo "<!-- load:begin (written by bench/run.sh; edits here are overwritten) -->"
  echo
  echo -n "Run $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD) on $(nproc) cores, $("$spin_cli" --version | head -1), the $flavour build, $(redis-server --version | cut -d' ' -f1-3); the load generator on the same machine; one server per bus mode kept through its scenarios$([ "$fresh" = yes ] && echo " (--fresh: one per scenario)")."
  if [ "$demo" = yes ]; then
    echo -n " Cloudflare's demo (workerd, its durable storage on local disk, its per-IP limiter off) was run by the same script with the anchor kit's harness, scenario by scenario in the same session."
  fi
  echo
  echo
  cat "$fragment"
  echo
  echo "<!-- load:end -->"
} > "$work/section.md"
python3 bench/put-section.py load "$work/section.md"
cp "$results" docs/benchmarks/results.jsonl
[ -f "$demo_results" ] && cp "$demo_results" docs/benchmarks/demo.jsonl
echo "==> wrote docs/benchmarks.md and docs/benchmarks/ (raw figures in $work)"
