#!/usr/bin/env bash
# Runs the chat on http://127.0.0.1:3000: with Spin when a Spin CLI is found (scripts/find-spin.sh)
# (`spin build --up`), otherwise with the native host `chat-dev` (same routers and SQL).
# Extra arguments go to whichever runs: `make run ARGS="--variable redis_url=redis://127.0.0.1:6379"`
# with Spin, `make run ARGS="--redis redis://127.0.0.1:6379"` with chat-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

if spin_cli="$(scripts/find-spin.sh)"; then
  scripts/prerequisites.sh build
  echo "==> starting with Spin ($spin_cli build --up): http://127.0.0.1:3000"
  exec "$spin_cli" build --up "$@"
fi

echo "==> no Spin CLI (spin on PATH or ../shared/bin/spin): starting the native host chat-dev: http://127.0.0.1:3000"
exec cargo run --locked --release -p chat-native --bin chat-dev -- "$@"
