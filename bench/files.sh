#!/usr/bin/env bash
# Files and search on real `spin up` (embedded mode, a fresh state dir): the throughput of
# a 10 MiB upload and download, and search latency over a room of 100,000 messages. Writes
# the figures into docs/benchmarks.md between its "files:begin/end" markers.
#
#   bench/files.sh [--messages N] [--flavour wasip3|wasip2]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
messages=100000; flavour=wasip3
while [ $# -gt 0 ]; do
  case $1 in
    --messages) messages=$2; shift ;;
    --flavour) flavour=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if ! spin_cli="$(scripts/find-spin.sh)"; then
  echo "error: no Spin CLI (spin on PATH or ../shared/bin/spin): bench/files.sh measures real Spin" >&2
  exit 1
fi
scripts/prerequisites.sh build
scripts/build.sh "$flavour"
cargo build --locked --release -p chat-bench --bin files

work=$(mktemp -d /tmp/chat-files.XXXXXX)
port=3078
env SPIN_VARIABLE_SIGNUPS_PER_IP_PER_HOUR=1000000 SPIN_VARIABLE_PASSWORD_HASHES_PER_SECOND=1000000 \
  CHAT_SPIN="$spin_cli" CHAT_FLAVOUR="$flavour" setsid scripts/spin-up.sh --state-dir "$work/state" \
  --listen "127.0.0.1:$port" >"$work/spin.out" 2>"$work/spin.err" &
spin_pgid=$!
trap 'kill -TERM -- "-$spin_pgid" 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done
db=$(find "$work/state" -name '*.db' | head -1)
[ -n "$db" ] || { echo "error: no SQLite file under $work/state" >&2; tail -20 "$work/spin.err" >&2; exit 1; }

figures=$("$root/target/release/files" --url "http://127.0.0.1:$port" --db "$db" --messages "$messages")
echo "$figures"
{
  echo "<!-- files:begin (written by bench/files.sh; edits here are overwritten) -->"
  echo
  echo "Run $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD) on $(nproc) cores, $("$spin_cli" --version | head -1), the $flavour build, embedded mode; the client on the same machine."
  echo
  echo "$figures"
  echo
  echo "<!-- files:end -->"
} > "$work/section.md"
python3 bench/put-section.py files "$work/section.md"
echo "==> docs/benchmarks.md updated"
