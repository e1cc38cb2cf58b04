# Starts target/debug/server (or $SERVER_BIN, when set before sourcing) on
# a new temporary SQLite database with the demo data, on an ephemeral port
# of 127.0.0.1, and waits until it is healthy. Sourced by the suites that
# need a fresh server (end2end/run.sh, contract/run.sh, bench/page/run.sh);
# it sets:
#   TMP          the temporary folder (database, server.log), kept on failure
#   BASE_URL     http://127.0.0.1:PORT
#   SERVER_PID   the server's process id
# and installs an EXIT trap that stops the server and prints the end of its
# log when the suite failed. Extra environment for the server goes in
# SERVER_ENV (an array of NAME=value), set before `start_fresh_server`.

SERVER_BIN="${SERVER_BIN:-target/debug/server}"
SERVER_PID=""
BASE_URL=""

stop_fresh_server() {
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
  if [[ $status -ne 0 && -f "$TMP/server.log" ]]; then
    echo "---- last 50 lines of server log ($TMP/server.log) ----" >&2
    tail -n 50 "$TMP/server.log" >&2 || true
    echo "---- end of server log ----" >&2
  fi
  if [[ $status -eq 0 ]]; then
    rm -rf "$TMP"
  else
    echo "kept $TMP for inspection" >&2
  fi
  exit "$status"
}

# start_fresh_server NAME: NAME labels the temporary folder and messages.
start_fresh_server() {
  local name="$1"
  if [[ ! -x "$SERVER_BIN" ]]; then
    echo "$name: $SERVER_BIN not found; run \`scripts/build_site.sh debug\` first" >&2
    exit 2
  fi
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/tidings-$name.XXXXXX")"
  trap stop_fresh_server EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local log="$TMP/server.log"
  echo "$name: starting $SERVER_BIN (log: $log)"
  env DATABASE_URL="sqlite://$TMP/$name.db" \
    TIDINGS_ADDR="127.0.0.1:0" \
    TIDINGS_SEED="true" \
    RUST_LOG="info" \
    ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} \
    "$SERVER_BIN" >"$log" 2>&1 &
  SERVER_PID=$!

  for _ in $(seq 1 240); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$name: the server exited before it was listening" >&2
      exit 1
    fi
    # Strip the colour codes tracing may add, then find the address.
    BASE_URL="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" \
      | grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' \
      | head -n 1 \
      | sed -e 's/^listening on //' || true)"
    [[ -n "$BASE_URL" ]] && break
    sleep 0.5
  done
  if [[ -z "$BASE_URL" ]]; then
    echo "$name: no 'listening on http://127.0.0.1:PORT' line within 120 s" >&2
    exit 1
  fi
  for _ in $(seq 1 120); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$name: the server exited before it was healthy" >&2
      exit 1
    fi
    if curl -fsS --max-time 2 "$BASE_URL/healthz" >/dev/null 2>&1; then
      echo "$name: server healthy at $BASE_URL"
      return 0
    fi
    sleep 0.5
  done
  echo "$name: $BASE_URL/healthz did not succeed within 60 s" >&2
  exit 1
}
