#!/usr/bin/env bash
# Builds the five Spin components in one flavour (one chat-core and chat-http; only the
# Spin adapter differs):
#   scripts/build.sh          WASIp3 (spin-sdk 6, crates/chat-spin), the default: Spin 4.x,
#                             SpinKube's containerd-shim-spin 0.26, Akamai Functions. Spin
#                             reuses its instances, which keep their connections. Into
#                             target/wasm32-wasip2/release/, run by spin.toml.
#   scripts/build.sh wasip2   WASIp2 (spin-sdk 5.2, crates/chat-spin-wasip2): Spin 3.x and
#                             Fermyon Cloud, one instance per request. Into
#                             target/wasm32-wasip2/wasip2/ (its own cargo profile, so both
#                             builds coexist), run by spin-wasip2.toml, written here from
#                             spin.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

components=(auth users conversations events web)
packages=()
for component in "${components[@]}"; do packages+=(-p "$component"); done

case "${1:-wasip3}" in
  wasip3)
    cargo build --locked --target wasm32-wasip2 --release "${packages[@]}"
    out=target/wasm32-wasip2/release
    ;;
  wasip2)
    cargo build --locked --target wasm32-wasip2 --profile wasip2 \
      --no-default-features --features wasip2 "${packages[@]}"
    out=target/wasm32-wasip2/wasip2
    {
      echo "# Written by scripts/build.sh wasip2 from spin.toml (edit that one): the WASIp2"
      echo "# flavour's manifest, for Spin 3.x and Fermyon Cloud."
      sed -e 's#target/wasm32-wasip2/release/#target/wasm32-wasip2/wasip2/#' \
        -e 's#cargo build --target wasm32-wasip2 --release#cargo build --target wasm32-wasip2 --profile wasip2 --no-default-features --features wasip2#' \
        spin.toml
    } > spin-wasip2.toml
    ;;
  *)
    echo "usage: scripts/build.sh [wasip3|wasip2]" >&2
    exit 2
    ;;
esac
for component in "${components[@]}"; do test -s "$out/$component.wasm"; done
echo "==> ${1:-wasip3} components in $out/"
