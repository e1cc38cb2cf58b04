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
# Both builds erase components' view types (`--cfg erase_components`):
# each component returns one boxed view instead of a type nesting all its
# children, so less code is generated and it compiles faster. The release
# WebAssembly is 17 % smaller gzipped for it, and Lighthouse's phone runs
# scored it higher than the unerased build, side by side (README, under the
# page bench). Both halves must agree: a bundle hydrating a page its server
# rendered the other way panics (end2end/tests/hydration-console.spec.ts).
erase="--cfg erase_components"

front_dir=$front_profile
[ "$front_profile" = dev ] && front_dir=debug
staged=target/front/pkg

start=$(date +%s)
minutes=8
[ "$mode" = debug ] && minutes=4
say "compiling the server and the browser bundle side by side ($mode; from scratch about $minutes minutes on 2 cores, logs in target/build-site-*.log)"
mkdir -p target/front
RUSTFLAGS="$erase" cargo build -p server --bin server "${server_flag[@]}" \
    > target/build-site-server.log 2>&1 &
server_pid=$!
# The link keeps its relocations (`--emit-relocs`): wasm-split needs them
# to cut each page's code out of the main module.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$erase -Clink-args=--emit-relocs" cargo build -p app --lib \
    --target wasm32-unknown-unknown --no-default-features --features hydrate --profile "$front_profile" --target-dir target/front \
    > target/build-site-front.log 2>&1 &
front_pid=$!
for part in front server; do
    pid_var="${part}_pid"
    if ! wait "${!pid_var}"; then
        tail -n 40 "target/build-site-$part.log" >&2
        echo "build_site: the $part build failed (target/build-site-$part.log)" >&2
        kill "$server_pid" 2>/dev/null || true
        exit 1
    fi
    say "$part compiled in $(since "$start")"
done

# Bound and optimized only once the server is compiled: on 2 cores wasm-opt
# beside the server's compile took both cores and lengthened the build
# (1,003 s against 885-900 s in sequence).
# Each page is a lazy route (app/src/routes.rs): wasm-split moves the code
# only that page uses into a module of its own, the code pages share into
# chunks, and writes the loader that fetches them (__wasm_split.js).
say "splitting the pages' code out of the main module (wasm-split)"
split=target/front/split
rm -rf "$split" "$staged"
wasm-split-cli "target/front/wasm32-unknown-unknown/$front_dir/app.wasm" "$split" --target web --out-name "$name"
say "generating the bundle's JavaScript bindings (wasm-bindgen)"
# The loader calls into the main module through the function table,
# which wasm-bindgen keeps exported only when asked.
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-name "$name" --out-dir "$staged" \
    "$split/$name.wasm"
mv "$staged/${name}_bg.wasm" "$staged/$name.wasm"
find "$split" -maxdepth 1 \( -name '*.wasm' ! -name "$name.wasm" -o -name '__wasm_split.js' \) -exec cp {} "$staged/" \;
if [ "$mode" = release ]; then
    step=$(date +%s)
    say "optimizing the WebAssembly for size (wasm-opt -Oz, about a minute)"
    # Two at a time, the main module first: it takes most of the minute.
    ls -S "$staged"/*.wasm | xargs -P 2 -I{} \
        wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int {} -o {}
    terser "$staged/$name.js" --module --compress --mangle -o "$staged/$name.js"
    say "optimized in $(since "$step")"
fi

# The whole site anew: a release build's precompressed siblings (sw.js.br
# and the like) would otherwise outlive their files and be served instead.
rm -rf "$site"
mkdir -p "$site"
mv "$staged" "$pkg"
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
