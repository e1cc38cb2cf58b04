#!/usr/bin/env bash
# Builds the site the server serves, with cargo, wasm-bindgen and (release)
# wasm-opt alone: what `cargo leptos build` does for this project, without
# compiling cargo-leptos first (about 19 minutes on 2 cores).
#
#   scripts/build_site.sh release   target/release/server, bundle optimized,
#                                   minified and precompressed
#   scripts/build_site.sh debug     target/debug/server, bundle as compiled
#
# The result matches cargo-leptos's layout (Cargo.toml's
# [workspace.metadata.leptos]): the bundle in target/site/pkg with content
# hashes in its names, listed in hash.txt beside the server binary, and
# public/ copied into target/site. The browser crate builds in its own
# target directory (target/front) so its features never mix with the
# server's.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/binaryen/node_modules/.bin:$PWD/.tools/terser/node_modules/.bin:$HOME/.cargo/bin:$PATH"

mode="${1:-release}"
case "$mode" in
    release) front_profile=wasm-release; server_flag=(--release); server_dir=release ;;
    debug) front_profile=dev; server_flag=(); server_dir=debug ;;
    *) echo "usage: $0 release|debug" >&2; exit 2 ;;
esac

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
since() { echo "$(( $(date +%s) - $1 )) s"; }

site=target/site
pkg="$site/pkg"
name=tidings

# What cargo-leptos tells both builds; the server reads the rest of its
# site settings from Leptos.toml when it starts.
export LEPTOS_OUTPUT_NAME="$name" LEPTOS_SITE_ROOT="$site" LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME=hash.txt
# A debug bundle erases component types, as cargo-leptos does in debug:
# it compiles much faster. Only the browser build gets the flag, so the
# server shares its build with `cargo test`.
if [ "$mode" = debug ]; then
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components"
fi

start=$(date +%s)
say "compiling the server and the browser bundle side by side ($mode; from scratch about 10 minutes on 2 cores, logs in target/build-site-*.log)"
mkdir -p target
cargo build -p server --bin server "${server_flag[@]}" > target/build-site-server.log 2>&1 &
server_pid=$!
front_status=0
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features \
    --features hydrate --profile "$front_profile" --target-dir target/front \
    > target/build-site-front.log 2>&1 || front_status=$?
server_status=0
wait "$server_pid" || server_status=$?
for part in front server; do
    status_var="${part}_status"
    if [ "${!status_var}" != 0 ]; then
        tail -n 40 "target/build-site-$part.log" >&2
        echo "build_site: the $part build failed (target/build-site-$part.log)" >&2
        exit 1
    fi
done
say "compiled in $(since "$start")"

front_dir=$front_profile
[ "$front_profile" = dev ] && front_dir=debug
rm -rf "$pkg"
mkdir -p "$pkg"
say "generating the bundle's JavaScript bindings (wasm-bindgen)"
wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$pkg" \
    "target/front/wasm32-unknown-unknown/$front_dir/app.wasm"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
if [ "$mode" = release ]; then
    step=$(date +%s)
    say "optimizing the WebAssembly for size (wasm-opt -Oz, about a minute)"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        "$pkg/$name.wasm" -o "$pkg/$name.wasm"
    terser "$pkg/$name.js" --module --compress --mangle -o "$pkg/$name.js"
    say "optimized in $(since "$step")"
fi
cp style/main.css "$pkg/$name.css"
cp -r public/. "$site/"

compress=()
if [ "$mode" = release ]; then
    compress=(--precompress)
    say "naming the bundle by content hash and precompressing the site (gzip, brotli)"
else
    say "naming the bundle by content hash"
fi
node scripts/bundle_hash_and_compress.mjs --site "$site" --pkg pkg --name "$name" \
    --hash-list "target/$server_dir/hash.txt" "${compress[@]}"
say "site built in $(since "$start"): target/$server_dir/server serves $site"
