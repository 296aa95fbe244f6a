#!/usr/bin/env bash
# Runs the chat on http://127.0.0.1:3000: with Spin when a Spin CLI is found (scripts/find-spin.sh):
# scripts/build.sh, then scripts/spin-up.sh (the WASIp3 build on Spin 4, WASIp2 on Spin 3.x);
# otherwise with the native host `chat-dev` (same routers and SQL).
# Extra arguments go to whichever runs: `make run ARGS="--variable redis_url=redis://127.0.0.1:6379"`
# with Spin, `make run ARGS="--redis redis://127.0.0.1:6379"` with chat-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

if spin_cli="$(scripts/find-spin.sh)"; then
  scripts/prerequisites.sh build
  # Spin 4 runs the WASIp3 build (instances reused); Spin 3.x only the WASIp2 one.
  flavour=wasip3
  if [ "$("$spin_cli" --version | sed -n 's/^spin \([0-9]*\)\..*/\1/p' | head -1)" -lt 4 ]; then flavour=wasip2; fi
  scripts/build.sh "$flavour"
  echo "==> starting with Spin ($spin_cli, the $flavour build): http://127.0.0.1:3000"
  CHAT_SPIN="$spin_cli" CHAT_FLAVOUR="$flavour" exec scripts/spin-up.sh --listen 127.0.0.1:3000 "$@"
fi

echo "==> no Spin CLI (spin on PATH or ../shared/bin/spin): starting the native host chat-dev: http://127.0.0.1:3000"
exec cargo run --locked --release -p chat-native --bin chat-dev -- "$@"
