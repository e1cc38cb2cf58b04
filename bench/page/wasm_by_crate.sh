#!/usr/bin/env bash
# Where the browser bundle's bytes go: the release WebAssembly (before
# wasm-bindgen and wasm-opt, which keep its function names) weighed by
# twiggy, summed per crate, with its largest functions. Run by run.sh after
# the release build; alone: bash bench/page/wasm_by_crate.sh [WASM_FILE].
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

# scripts/build_site.sh builds the browser half under target/front.
wasm="${1:-${CARGO_TARGET_DIR:-$root/target}/front/wasm32-unknown-unknown/wasm-release/app.wasm}"
if [ ! -f "$wasm" ]; then
    echo "wasm_by_crate.sh: $wasm not found; build with scripts/build_site.sh release" >&2
    exit 2
fi
scripts/tools.sh size
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
twiggy top --format json "$wasm" >"$out/top.json"
node "$here/wasm_by_crate.mjs" "$out/top.json" "$wasm"
