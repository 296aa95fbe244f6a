#!/usr/bin/env bash
# Scenarios i, ii and iv (Redis mode) in three set-ups on this machine: one `spin up` on
# its local SQLite file; one `spin up` on sqld; three `spin up` on sqld behind HAProxy
# (scripts/cluster.mjs, cluster/haproxy.cfg). Writes the table between the
# "cluster:begin/end" markers of docs/benchmarks.md and the raw lines to
# docs/benchmarks/cluster.jsonl.
#
#   bench/cluster.sh [--quick] [--scenarios "i ii iv ramp"] [--setups "sqlite-1 sqld-1 sqld-3"]
#
# Server CPU counts the Spin processes, and HAProxy where it runs; sqld and Redis are
# reported apart. "sqld-1" is the cluster with the load sent to one process directly (the
# two others idle); "sqld-3" sends it through HAProxy. `ramp` is iv's shape at 100, 200,
# ... msg/s until p99 passes 100 ms or anything is lost or refused. On the sqld set-ups,
# iv's set-up (400 users, 400 streams) may never finish (docs/benchmarks.md says why):
# each load run is cut after 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=15; scenarios="i ii iv ramp"; setups="sqlite-1 sqld-1 sqld-3"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) seconds=5 ;;
    --scenarios) scenarios=$2; shift ;;
    --setups) setups=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if ! why_not="$(node scripts/cluster.mjs --check 2>&1)"; then
  echo "error: $why_not" >&2
  exit 1
fi
spin_cli="$(scripts/find-spin.sh)"
scripts/prerequisites.sh build
echo "==> building the components (${CHAT_FLAVOUR:-wasip3}) and the load generator"
scripts/build.sh "${CHAT_FLAVOUR:-wasip3}"
cargo build --locked --release -p chat-bench --bin load

work=$(mktemp -d /tmp/chat-cluster-bench.XXXXXX)
results="$work/cluster.jsonl"
lifted=(messages_per_second=100000 messages_burst=100000 signups_per_ip_per_hour=1000000 password_hashes_per_second=1000000)
group=""; cluster_pid=""; redis_pid=""
stop_all() {
  # spin up's process group; the cluster script stops its own children on SIGINT.
  if [ -n "$group" ]; then kill -KILL -- "-$group" 2>/dev/null || true; fi
  if [ -n "$cluster_pid" ]; then kill -INT "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  group=""; cluster_pid=""; redis_pid=""
  sleep 1
}
trap stop_all EXIT

# One `spin up` on its own SQLite file and a fresh Redis; sets url, pids and redis_pid.
start_sqlite() {
  local state="$work/state-$1" port=3077 redis_port=6397
  mkdir -p "$state"
  redis-server --port "$redis_port" --save '' --appendonly no --logfile "$state/redis.log" &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local args=(--state-dir "$state" --listen "127.0.0.1:$port" --variable "redis_url=redis://127.0.0.1:$redis_port"
    --variable "redis_host=127.0.0.1:$redis_port")
  for v in "${lifted[@]}"; do args+=(--variable "$v"); done
  CHAT_SPIN="$spin_cli" setsid scripts/spin-up.sh "${args[@]}" >"$state/spin.out" 2>"$state/spin.err" &
  group=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done
  url="http://127.0.0.1:$port"
  pids="$group,$(pgrep -P "$group" | paste -sd, -)"
}

# The cluster (fresh sqld and Redis); sets url, pids, redis_arg and database_arg from its
# cluster.json.
start_cluster() {
  local dir="$work/cluster-$1-$2" args=(--no-build --port 3078)
  for v in "${lifted[@]}"; do args+=(--variable "$v"); done
  node scripts/cluster.mjs "${args[@]}" --dir "$dir" >"$work/cluster-$1-$2.out" 2>&1 &
  cluster_pid=$!
  for _ in $(seq 600); do [ -s "$dir/cluster.json" ] && break; sleep 0.2; done
  [ -s "$dir/cluster.json" ] || { echo "error: the cluster did not start; see $work/cluster-$1-$2.out" >&2; exit 1; }
  read -r url pids redis_arg database_arg < <(python3 - "$dir/cluster.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
one = sys.argv[2] == "sqld-1"
url = c["nodes"][0]["base"] if one else c["base"]
nodes = c["nodes"][:1] if one else c["nodes"]
pids = [p for n in nodes for p in n["pids"]] + ([] if one else [c["proxy"]["pid"]])
print(url, ",".join(map(str, pids)), c["redis"]["pid"], c["sqld"]["pid"])
PY
)
}

for setup in $setups; do
  for scenario in $scenarios; do
    echo "==> $setup / $scenario"
    redis_arg=""; database_arg=""
    case $setup in
      sqlite-1) start_sqlite "$scenario"; redis_arg=$redis_pid ;;
      sqld-1 | sqld-3) start_cluster "$setup" "$scenario" ;;
      *) echo "unknown set-up $setup" >&2; exit 2 ;;
    esac
    args=(--url "$url" --pids "$pids" --redis-pid "$redis_arg" --out "$results" --quiet --label "$setup" --scenario "$scenario")
    [ -n "$database_arg" ] && args+=(--database-pid "$database_arg")
    if [ "$scenario" = ramp ]; then args+=(--seconds 10 --from 100 --step 100); else args+=(--seconds "$seconds"); fi
    # A set-up that cannot even finish the scenario's set-up is reported, not waited on.
    timeout 900 "$root/target/release/load" "${args[@]}" || echo "warning: $setup/$scenario failed or timed out" >&2
    stop_all
  done
done

fragment="$work/fragment.md"
python3 - "$results" >"$fragment" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("| set-up | scenario | sent / acknowledged | delivered / expected | p50 ms | p99 ms | Spin (+HAProxy) CPU % | us per delivery | sqld CPU % | Redis CPU % |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    lat = r.get("latency") or {}
    print(f"| {r['label']} | {r['scenario']} ({r['rooms']} x {r['per_room']} at {r['rate']:g}/s) | {r['sent']} / {r['acknowledged']} "
          f"| {r['delivered']} / {r['expected']} | {lat.get('p50', 0):.1f} | {lat.get('p99', 0):.1f} "
          f"| {r['server_cpu_percent']:.0f} | {r['server_cpu_us_per_delivery']:.0f} | {r.get('database_cpu_percent', 0):.0f} | {r['redis_cpu_percent']:.0f} |")
held = {}
for r in rows:
    if r["scenario"] == "ramp" and r["loss"] == 0 and r["failed"] == 0 and (r.get("latency") or {}).get("p99", 1e9) <= 100:
        held[r["label"]] = max(held.get(r["label"], 0), r["rate"])
if held:
    print()
    print("Highest rate held in the ramp (iv's shape; p99 at most 100 ms, nothing lost or refused): "
          + "; ".join(f"{label} {rate:g} msg/s" for label, rate in held.items()) + ".")
PY
{
  echo "<!-- cluster:begin (written by bench/cluster.sh; edits here are overwritten) -->"
  echo
  echo "Run $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD) on $(nproc) cores, $("$spin_cli" --version | head -1), sqld 0.24.32, HAProxy 2.6, $(redis-server --version | cut -d' ' -f1-3); Redis mode; the load generator on the same machine."
  echo
  cat "$fragment"
  echo
  echo "<!-- cluster:end -->"
} >"$work/section.md"
python3 bench/put-section.py cluster "$work/section.md"
mkdir -p docs/benchmarks
cp "$results" docs/benchmarks/cluster.jsonl
cat "$fragment"
echo "==> wrote docs/benchmarks.md (cluster section) and docs/benchmarks/cluster.jsonl (raw lines in $work)"
