#!/usr/bin/env bash
# Runs the Playwright suite against a freshly started, seeded server.
#
# Usage (from the repository root, after `scripts/build_site.sh debug`):
#   bash end2end/run.sh [playwright args...]
#
# The server gets its own temporary SQLite database and an ephemeral port
# (scripts/fresh_server.sh); every test signs in, so the per-address
# sign-in limit is raised.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ! -d target/site ]]; then
  echo "run.sh: target/site not found; run \`scripts/build_site.sh debug\` first" >&2
  exit 2
fi

# shellcheck source=../scripts/fresh_server.sh
source scripts/fresh_server.sh
SERVER_ENV=(TIDINGS_LOGIN_ATTEMPTS_PER_IP=1000)
start_fresh_server e2e

# Install the test dependencies when missing or when the lockfile changed
# (never downloads browsers).
bash scripts/tools.sh e2e

set +e
(cd end2end && BASE_URL="$BASE_URL" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test "$@")
status=$?
set -e
exit "$status"
