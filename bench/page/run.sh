#!/usr/bin/env bash
# What a newcomer's first page costs, against the release build `make run`
# serves: the bytes of every file the first page loads (raw, gzip, brotli
# and on the wire), the WebAssembly's bytes per crate and its largest
# functions, and Lighthouse 12's scores for the signed-in users and posts
# pages. Builds what it needs; the server gets a temporary database with
# the demo data on an ephemeral port of 127.0.0.1.
#
#   bench/page/run.sh               all three
#   bench/page/run.sh bytes         one of: bytes, wasm, lighthouse
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
parts=("${@:-bytes wasm lighthouse}")
parts=(${parts[*]})
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

scripts/tools.sh release
if [ ! -d "$here/node_modules/lighthouse" ] || [ ! -d "$here/node_modules/playwright-core" ]; then
    say "installing Lighthouse and playwright-core (npm ci; no browser download)"
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --silent --no-audit --no-fund --prefix "$here"
fi
scripts/build_site.sh release

if wants wasm; then
    bash "$here/wasm_by_crate.sh"
fi

if wants bytes || wants lighthouse; then
    SERVER_BIN=target/release/server
    # shellcheck source=../../scripts/fresh_server.sh
    source scripts/fresh_server.sh
    SERVER_ENV=(LEPTOS_ENV=PROD TIDINGS_LOGIN_ATTEMPTS_PER_IP=1000)
    start_fresh_server page-bench
    if wants bytes; then
        say "bytes of each first page's files"
        node "$here/bytes.mjs" "$BASE_URL"
    fi
    if wants lighthouse; then
        say "Lighthouse $(node -p "require('$here/node_modules/lighthouse/package.json').version") (Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
        node "$here/lighthouse.mjs" "$BASE_URL"
    fi
fi
