#!/usr/bin/env bash
# The contract suite: Schemathesis runs every check of the OpenAPI document
# (`/api/openapi.json`) against a fresh seeded server, signed in as the demo
# admin, and fails on any disagreement between document and server.
#
# Usage (from the repository root, after `scripts/build_site.sh debug` and
# `scripts/tools.sh test`):
#   bash contract/run.sh [schemathesis run args...]
#
# Settings are in contract/schemathesis.toml (fixed seed), hooks in
# contract/hooks.py. Schemathesis only talks to the server on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCHEMATHESIS="$ROOT/.tools/schemathesis/bin/schemathesis"
if [[ ! -x "$SCHEMATHESIS" ]]; then
  echo "contract: $SCHEMATHESIS not found; run \`scripts/tools.sh test\` first" >&2
  exit 2
fi

# shellcheck source=../scripts/fresh_server.sh
source scripts/fresh_server.sh
start_fresh_server contract

TOKEN="$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"email":"admin@tidings.dev","password":"tidings-demo"}' \
  "$BASE_URL/api/auth/login" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')"

# Schemathesis keeps its files in the working directory: the temporary one.
cd "$TMP"
CONTRACT_DIR="$ROOT/contract" "$SCHEMATHESIS" --config-file "$ROOT/contract/schemathesis.toml" \
  run "$BASE_URL/api/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $TOKEN" \
  --no-color \
  "$@"
