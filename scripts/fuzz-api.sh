#!/usr/bin/env bash
# Fuzzes the API on real Spin with schemathesis (a tool nobody here wrote), driven by the
# service's own /api/openapi.json: thousands of generated requests, valid and not, as a
# signed-in user. Fails on any 5xx, any response that does not match its documented
# schema, or a documented content type not kept. Needs the WASIp3 build (scripts/build.sh)
# and Python 3 with venv; schemathesis is installed into target/fuzz-venv, pinned by
# tests/fuzz/requirements.txt.
#   scripts/fuzz-api.sh [extra schemathesis options]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="$root/target/fuzz-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$(sed -n 's/^schemathesis==//p' tests/fuzz/requirements.txt)"; then
  echo "==> installing schemathesis into target/fuzz-venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
fi

port="${CHAT_FUZZ_PORT:-3097}"
work="$(mktemp -d)"
cleanup() {
  if [ -n "${spin_pid:-}" ]; then kill -- "-$spin_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The limits that would turn most generated requests into 429s are lifted: the fuzzer
# should reach the handlers. Event streams end after a second, so one that is opened is
# not waited on.
settings=(
  --variable stream_seconds=1
  --variable messages_per_second=10000 --variable messages_burst=10000
  --variable deliveries_per_second=1000000
  --variable signups_per_ip_per_hour=1000 --variable uploads_per_hour=1000
)
set -m
scripts/spin-up.sh --listen "127.0.0.1:$port" --state-dir "$work/spin-state" "${settings[@]}" \
  >"$work/spin.log" 2>&1 &
spin_pid=$!
set +m
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/api/health" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "$base/api/health" >/dev/null; then
  echo "spin did not come up; its log:" >&2
  cat "$work/spin.log" >&2
  exit 1
fi

token="$(curl -fsS -X POST "$base/api/auth/signup" -H 'content-type: application/json' \
  -d '{"username":"fuzzer","password":"a long enough pass phrase"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

# Operations that end the fuzzer's own session (or account) are left out: everything
# after them would be 401s. The event stream is a long response, fuzzed by the suites.
status=0
(cd "$work" && "$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --exclude-path /api/events \
  --exclude-operation-id logout --exclude-operation-id changePassword \
  --exclude-operation-id deleteAccount --exclude-operation-id revokeSession \
  --max-examples "${CHAT_FUZZ_EXAMPLES:-40}" --no-color "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "==> schemathesis failed; the service's log:" >&2
  tail -50 "$work/spin.log" >&2
fi
exit "$status"
