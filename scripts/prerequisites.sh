#!/usr/bin/env bash
# Installs what is missing. `prerequisites.sh build`: only the wasm32-wasip2 Rust target
# (all that `make run` needs to build the components). `prerequisites.sh` (or `test`): also
# redis-server (the tests start real Redis servers), python3-venv (the API fuzzer) and, for
# the browser suite, Node.js, Debian's chromium and the pinned playwright-core (npm ci).
# Safe to run again.
set -euo pipefail
what="${1:-test}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found; install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  echo "==> installing the wasm32-wasip2 Rust target"
  rustup target add wasm32-wasip2
fi

[ "$what" = build ] && exit 0

# System packages the tests need, by the command that shows each is there.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The cluster's load balancer (the cluster tests; sqld and Spin come from ../shared/bin).
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# The API fuzzer (scripts/fuzz-api.sh) installs schemathesis into a Python venv.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  if command -v apt-get >/dev/null 2>&1; then
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: please install ${missing[*]} (Redis 7 or newer, Node.js 20 or newer, Chromium) with your package manager" >&2
    exit 1
  fi
fi

# playwright-core (pinned below) needs Node.js 20 or newer.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "error: the browser suite needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

# The browser suite's npm packages (playwright-core; ESLint for the page), exactly as the
# lockfile pins them.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if ! (cd "$browser_dir" && node -e '
  const lock = require("./package-lock.json").packages;
  const same = (name) =>
    require(`./node_modules/${name}/package.json`).version === lock[`node_modules/${name}`].version;
  process.exit(["playwright-core", "eslint", "globals"].every(same) ? 0 : 1);
' 2>/dev/null); then
  echo "==> installing playwright-core and ESLint (npm ci in tests/browser)"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
