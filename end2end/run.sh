#!/usr/bin/env bash
# Runs the Playwright suite against a freshly started, seeded server.
#
# Usage (from the repository root, after `cargo leptos build`):
#   bash end2end/run.sh [playwright args...]
#
# The server gets its own temporary SQLite database and an ephemeral port;
# every test signs in, so the per-address sign-in limit is raised.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SERVER_BIN="target/debug/server"
if [[ ! -x "$SERVER_BIN" ]]; then
  echo "run.sh: $SERVER_BIN not found; run \`cargo leptos build\` first" >&2
  exit 2
fi
if [[ ! -d target/site ]]; then
  echo "run.sh: target/site not found; run \`cargo leptos build\` first" >&2
  exit 2
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/tidings-e2e.XXXXXX")"
LOG="$TMP/server.log"
SERVER_PID=""

cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$LOG" ]]; then
    echo "---- last 50 lines of server log ($LOG) ----" >&2
    tail -n 50 "$LOG" >&2 || true
    echo "---- end of server log ----" >&2
  fi
  if [[ $status -eq 0 ]]; then
    rm -rf "$TMP"
  else
    echo "run.sh: kept $TMP for inspection" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run.sh: starting $SERVER_BIN (log: $LOG)"
DATABASE_URL="sqlite://$TMP/e2e.db" \
TIDINGS_ADDR="127.0.0.1:0" \
TIDINGS_SEED="true" \
TIDINGS_LOGIN_ATTEMPTS_PER_IP="1000" \
RUST_LOG="info" \
  "$SERVER_BIN" >"$LOG" 2>&1 &
SERVER_PID=$!

# Wait for the server to announce its address.
BASE_URL=""
for _ in $(seq 1 240); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: server exited before it was listening" >&2
    exit 1
  fi
  # Strip ANSI colour codes that tracing may add, then find the address.
  BASE_URL="$(sed -e 's/\x1b\[[0-9;]*m//g' "$LOG" \
    | grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' \
    | head -n 1 \
    | sed -e 's/^listening on //' || true)"
  if [[ -n "$BASE_URL" ]]; then
    break
  fi
  sleep 0.5
done
if [[ -z "$BASE_URL" ]]; then
  echo "run.sh: no 'listening on http://127.0.0.1:PORT' line within 120 s" >&2
  exit 1
fi
echo "run.sh: server listening at $BASE_URL"

# Wait for the health check.
healthy=0
for _ in $(seq 1 120); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: server exited before it was healthy" >&2
    exit 1
  fi
  if curl -fsS --max-time 2 "$BASE_URL/healthz" >/dev/null 2>&1; then
    healthy=1
    break
  fi
  sleep 0.5
done
if [[ $healthy -ne 1 ]]; then
  echo "run.sh: $BASE_URL/healthz did not succeed within 60 s" >&2
  exit 1
fi
echo "run.sh: server healthy"

# Install the test dependencies once (never downloads browsers).
if [[ ! -d end2end/node_modules/@playwright/test ]]; then
  if [[ -f end2end/package-lock.json ]]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix end2end
  else
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix end2end
  fi
fi

set +e
(cd end2end && BASE_URL="$BASE_URL" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test "$@")
status=$?
set -e
exit "$status"
