#!/usr/bin/env bash
# Prints the Spin CLI to use: `spin` on PATH (what a user has), else the CLI shipped beside
# this checkout in ../shared/bin/spin; prints nothing (and exits 1) when there is neither.
root="$(cd "$(dirname "$0")/.." && pwd)"
if command -v spin >/dev/null 2>&1; then
  command -v spin
elif [ -x "$root/../shared/bin/spin" ]; then
  echo "$(cd "$root/../shared/bin" && pwd)/spin"
else
  exit 1
fi
