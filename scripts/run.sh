#!/usr/bin/env bash
# Runs the chat on http://127.0.0.1:3000: with Spin when the `spin` CLI is installed
# (`spin build --up`), otherwise with the native host `chat-dev` (same routers and SQL).
# Extra arguments go to whichever runs, e.g. `make run ARGS="--redis redis://127.0.0.1:6379"`.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v spin >/dev/null 2>&1; then
  scripts/prerequisites.sh
  echo "==> starting with Spin (spin build --up): http://127.0.0.1:3000"
  exec spin build --up "$@"
fi

echo "==> Spin is not installed: starting the native host chat-dev: http://127.0.0.1:3000"
exec cargo run --locked --release -p chat-native --bin chat-dev -- "$@"
