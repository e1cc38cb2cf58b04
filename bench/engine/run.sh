#!/usr/bin/env bash
# The cache-engine benchmark, three sides in one run: the engine natively
# (`cargo bench -p tidings --bench engine`), the same workload compiled to
# WebAssembly and run in node, and @tanstack/query-core + @reduxjs/toolkit
# in node (versions pinned in package-lock.json). Builds what it needs,
# checks each side's counts, prints one table of times and ratios.
#
#   bench/engine/run.sh     (BENCH_WARMUP, BENCH_RUNS: 3 and 15 by default)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

export BENCH_WARMUP="${BENCH_WARMUP:-3}" BENCH_RUNS="${BENCH_RUNS:-15}"
target="${CARGO_TARGET_DIR:-$root/target}"
pkg="$target/engine-bench-wasm"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

scripts/tools.sh wasm
if [ ! -d "$here/node_modules/@tanstack/query-core" ] || [ ! -d "$here/node_modules/@reduxjs/toolkit" ]; then
    say "installing @tanstack/query-core and @reduxjs/toolkit (npm ci)"
    npm ci --silent --no-audit --no-fund --prefix "$here"
fi
say "building the native bench"
cargo bench -p tidings --bench engine --no-run
say "building the WebAssembly bench"
cargo build --release -p engine-bench-wasm --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir "$pkg" \
    "$target/wasm32-unknown-unknown/release/engine_bench_wasm.wasm"

say "running: native"
cargo bench -q -p tidings --bench engine >"$out/native.jsonl"
say "running: wasm in node $(node --version)"
node "$here/wasm.mjs" "$pkg/engine_bench_wasm.js" >"$out/wasm.jsonl"
versions="$(cd "$here" && node -p '["@tanstack/query-core", "@reduxjs/toolkit"].map((p) => `${p} ${require(`${p}/package.json`).version}`).join(", ")')"
say "running: $versions in node"
(cd "$here" && node tanstack.mjs) >"$out/tanstack.jsonl"

node "$here/report.mjs" "$out/native.jsonl" "$out/wasm.jsonl" "$out/tanstack.jsonl"
