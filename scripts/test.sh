#!/usr/bin/env bash
# Runs every test: unit tests, the port conformance suites (SQLite and a real Redis), the
# HTTP integration tests on both bus backends, builds every Spin component in both
# flavours (scripts/build.sh), then the browser suite (real Chromium) against chat-dev
# and, where a Spin CLI exists, against `spin up` (also on Spin 3.6.3 when it is shipped).
# Installs missing prerequisites first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prerequisites.sh

echo "==> native tests (cargo test)"
cargo test --locked

echo "==> Spin components, both flavours: WASIp3 (Spin 4) and WASIp2 (Spin 3.x)"
scripts/build.sh wasip3
scripts/build.sh wasip2

echo "==> each component links only its own area (a marker string of each, in one .wasm only)"
# area:marker — the page's CSS, Argon2's parameter check, the publish key error, the
# edit-someone-else's-message error.
for out in target/wasm32-wasip2/release target/wasm32-wasip2/wasip2; do
  for pair in web:prefers-reduced-motion auth:"argon2 parameters" events:invalid_publish_key conversations:not_author; do
    owner="${pair%%:*}" marker="${pair#*:}"
    for component in auth users conversations events web; do
      if grep -q "$marker" "$out/$component.wasm"; then found=yes; else found=no; fi
      expected=no; [ "$component" = "$owner" ] && expected=yes
      if [ "$found" != "$expected" ]; then
        echo "error: '$marker' (the $owner area) in $out/$component.wasm: $found, expected $expected" >&2
        exit 1
      fi
    done
  done
done

echo "==> browser suite against chat-dev (embedded mode; the fault tests use Redis)"
cargo build --locked -p chat-native --bin chat-dev
(cd tests/browser && CHAT_BROWSER_HOST=chat-dev npm test --silent)

# On real Spin (scripts/spin-up.sh starts it; CHAT_FLAVOUR picks the build): the browser
# suite (which includes the HTTP black-box, api.test.mjs, and the fault injection,
# faults.test.mjs) in one bus mode, those two alone in the other. The WASIp3 build on Spin
# 4; the WASIp2 build on Spin 4 too (the black-box in Redis mode) and, when shipped, on
# Spin 3.6.3, what older hosts run.
if spin_cli="$(scripts/find-spin.sh)"; then
  export CHAT_SPIN="$spin_cli"
  version="$("$spin_cli" --version | head -1)"
  echo "==> browser suite and HTTP black-box against spin up ($version, WASIp3), embedded mode"
  (cd tests/browser && CHAT_FLAVOUR=wasip3 CHAT_BROWSER_HOST=spin npm test --silent)
  echo "==> schemathesis fuzzing the API from /api/openapi.json on spin up ($version, WASIp3)"
  scripts/fuzz-api.sh
  echo "==> HTTP black-box and fault injection against spin up ($version, WASIp3), Redis mode"
  (cd tests/browser && CHAT_FLAVOUR=wasip3 CHAT_BROWSER_HOST=spin-redis npm run api --silent)
  echo "==> HTTP black-box and fault injection against spin up ($version, WASIp2), Redis mode"
  (cd tests/browser && CHAT_FLAVOUR=wasip2 CHAT_BROWSER_HOST=spin-redis npm run api --silent)
  # The shipped CLI also carries Spin 3.6.3 (SPIN_VERSION), which runs WASIp2 only.
  if [ "$spin_cli" -ef ../shared/bin/spin ] && SPIN_VERSION=3.6.3 "$spin_cli" --version >/dev/null 2>&1; then
    version="$(SPIN_VERSION=3.6.3 "$spin_cli" --version | head -1)"
    echo "==> browser suite and HTTP black-box against spin up ($version, WASIp2), Redis mode"
    (cd tests/browser && SPIN_VERSION=3.6.3 CHAT_FLAVOUR=wasip2 CHAT_BROWSER_HOST=spin-redis npm test --silent)
    echo "==> HTTP black-box and fault injection against spin up ($version, WASIp2), embedded mode"
    (cd tests/browser && SPIN_VERSION=3.6.3 CHAT_FLAVOUR=wasip2 CHAT_BROWSER_HOST=spin npm run api --silent)
  fi
else
  echo "==> no Spin CLI (spin on PATH or ../shared/bin/spin): the suites on spin up skipped"
fi

# A cluster (scripts/cluster.mjs): three `spin up` processes on one libSQL server (sqld)
# behind HAProxy. Redis mode: the black-box through the proxy, fault injection (a process,
# sqld and Redis killed and restarted), the cross-process cases and the browser suite
# (all but instances.test.mjs, whose two instances the cluster replaces); embedded mode:
# the black-box and fault injection.
if why_not="$(node scripts/cluster.mjs --check 2>&1)"; then
  echo "==> HTTP black-box, fault injection, cross-process cases and the browser suite through the cluster, Redis mode"
  (cd tests/browser && CHAT_BROWSER_HOST=cluster-redis npm run cluster --silent)
  echo "==> HTTP black-box and fault injection through the cluster, embedded mode"
  (cd tests/browser && CHAT_BROWSER_HOST=cluster npm run api --silent)
else
  echo "==> $why_not: the cluster suites skipped"
fi
echo "==> all tests passed; components built in target/wasm32-wasip2/release/ (WASIp3) and target/wasm32-wasip2/wasip2/ (WASIp2)"
