#!/usr/bin/env bash
# Starts `spin up` on the chat in one flavour, with the Spin settings that flavour wants;
# every script and test that starts Spin comes through here. Arguments go to `spin up`.
#   CHAT_FLAVOUR=wasip3 (default): spin.toml, components from `scripts/build.sh`; needs
#     Spin 4. Instance reuse is tuned below.
#   CHAT_FLAVOUR=wasip2: spin-wasip2.toml, from `scripts/build.sh wasip2`; Spin 3.x or 4.
#   CHAT_SPIN: the Spin CLI (default: scripts/find-spin.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! spin="${CHAT_SPIN:-$("$root/scripts/find-spin.sh")}"; then
  echo "no Spin CLI (spin on PATH or ../shared/bin/spin)" >&2
  exit 1
fi
major="$("$spin" --version | sed -n 's/^spin \([0-9]*\)\..*/\1/p' | head -1)"

flavour="${CHAT_FLAVOUR:-wasip3}"
case "$flavour" in
  wasip3)
    if [ "${major:-0}" -lt 4 ]; then
      echo "Spin $major.x runs WASIp2 only: build and run the wasip2 flavour (scripts/build.sh wasip2, CHAT_FLAVOUR=wasip2)" >&2
      exit 1
    fi
    # Spin 4 reuses a WASIp3 instance for many requests (128 by default, 16 at once; a
    # streaming response stops counting once its headers are out), and the instance keeps
    # its settings, router and connections meanwhile. Its default idle timeout of 1 s
    # drops a warm instance, and its connections, at the first pause in traffic: keep
    # them a minute. No --request-timeout: event streams share instances with short
    # requests, and end by themselves (stream_seconds).
    exec "$spin" up --from "$root/spin.toml" --idle-instance-timeout 60s "$@"
    ;;
  wasip2)
    if [ ! -s "$root/spin-wasip2.toml" ]; then
      echo "no spin-wasip2.toml: run scripts/build.sh wasip2 first" >&2
      exit 1
    fi
    exec "$spin" up --from "$root/spin-wasip2.toml" "$@"
    ;;
  *)
    echo "CHAT_FLAVOUR must be wasip3 or wasip2, not '$flavour'" >&2
    exit 2
    ;;
esac
