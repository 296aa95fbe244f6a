#!/usr/bin/env bash
# Runs every test: unit tests, the port conformance suites (SQLite and a real Redis), the
# HTTP integration tests on both bus backends, and builds every Spin component for
# wasm32-wasip2 in release mode. Installs missing prerequisites first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prerequisites.sh

echo "==> native tests (cargo test)"
cargo test --locked

echo "==> Spin components for wasm32-wasip2 (release)"
cargo build --locked --target wasm32-wasip2 --release \
  -p auth -p users -p conversations -p events -p web
for component in auth users conversations events web; do
  test -s "target/wasm32-wasip2/release/$component.wasm"
done
echo "==> all tests passed; components built in target/wasm32-wasip2/release/"
