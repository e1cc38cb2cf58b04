#!/usr/bin/env bash
# Installs what building and testing Tidings needs, each piece only when it
# is missing or at the wrong version. Everything comes from the package
# registries (crates.io, npm, Debian); nothing is downloaded from elsewhere.
#
#   scripts/tools.sh wasm     wasm32 target, wasm-bindgen-cli, wasm-split: enough for
#                             scripts/build_site.sh debug
#   scripts/tools.sh release  + wasm-opt (binaryen) and terser, from npm,
#                             under .tools/: scripts/build_site.sh release
#   scripts/tools.sh dev      + cargo-leptos, for `make dev` (cargo leptos watch)
#   scripts/tools.sh e2e      the end-to-end test dependencies (npm, end2end/)
#   scripts/tools.sh size     twiggy, which weighs a WebAssembly file (bench/page)
#   scripts/tools.sh test     wasm + Chromium, ChromeDriver, the end-to-end
#                             test dependencies, Schemathesis (PyPI) under .tools/
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
TWIGGY_VERSION=0.8.0
WASM_SPLIT_VERSION=0.2.4
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.44.1

# The build tools are compiled with a light release profile: they run for
# seconds per build, so full optimisation would only lengthen the install.
light_install() {
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
        cargo install "$@"
}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The wasm-bindgen version the lockfile pins; the CLI must match it exactly.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

wasm_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    local want
    want="$(wasm_bindgen_version)"
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
        say "installing wasm-bindgen-cli $want (compiles from source, about 2 minutes on 2 cores)"
        # Not --locked: the CLI's own lockfile names a crate version the
        # registry no longer serves.
        light_install wasm-bindgen-cli --version "$want" --force
    fi
    # wasm-split-cli has no --version: cargo's list of installs says it.
    if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
        say "installing wasm-split $WASM_SPLIT_VERSION (compiles from source, about a minute on 2 cores): it cuts each page's code out of the bundle"
        light_install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --features build-binary --force
    fi
}

dev_tools() {
    wasm_tools
    if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
        say "installing cargo-leptos $CARGO_LEPTOS_VERSION (compiles from source, about 25 minutes on 2 cores)"
        light_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
    fi
}

# Installs npm package $1 at version $2 under .tools/$1 unless its
# executable $3 is there; $4 says what it is for.
npm_tool() {
    if [ ! -x ".tools/$1/node_modules/.bin/$3" ]; then
        say "installing $1 $2 (npm): $4"
        mkdir -p ".tools/$1"
        npm install --silent --no-audit --no-fund --prefix ".tools/$1" "$1@$2"
    fi
}

release_tools() {
    npm_tool binaryen "$BINARYEN_VERSION" wasm-opt "wasm-opt, which shrinks the WebAssembly"
    npm_tool terser "$TERSER_VERSION" terser "it minifies the bundle's JavaScript"
}

apt_install() {
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    fi
}

test_tools() {
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        say "installing Chromium and ChromeDriver (Debian packages)"
        apt_install chromium chromium-driver
    fi
    e2e_deps
}

# The end-to-end test dependencies (Playwright's test runner, which uses the
# system Chromium, and axe-core), exactly as end2end/package-lock.json pins
# them: installed again when a package is missing or the lockfile differs
# from the one the last install read (recorded in node_modules).
E2E_LOCK_STAMP=end2end/node_modules/.installed-lockfile.sha256
e2e_deps() {
    local want
    want="$(sha256sum end2end/package-lock.json | awk '{print $1}')"
    if [ ! -d end2end/node_modules/@playwright/test ] \
        || [ ! -d end2end/node_modules/@axe-core/playwright ] \
        || [ "$(cat "$E2E_LOCK_STAMP" 2>/dev/null)" != "$want" ]; then
        say "installing the end-to-end test dependencies (npm ci; no browser download)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund --prefix end2end
        echo "$want" > "$E2E_LOCK_STAMP"
    fi
}

# Schemathesis for the contract suite (contract/run.sh), at the version
# contract/requirements.txt pins, in its own virtual environment.
contract_tools() {
    local want
    want="$(sed -n 's/^schemathesis==//p' contract/requirements.txt)"
    if [ "$(.tools/schemathesis/bin/schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$want" ]; then
        say "installing Schemathesis $want (PyPI, into .tools/schemathesis)"
        rm -rf .tools/schemathesis
        python3 -m venv .tools/schemathesis
        .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check \
            -r contract/requirements.txt
    fi
}

size_tools() {
    if [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$TWIGGY_VERSION" ]; then
        say "installing twiggy $TWIGGY_VERSION (about 2 minutes)"
        light_install twiggy --version "$TWIGGY_VERSION" --locked
    fi
}

case "${1:-wasm}" in
    wasm) wasm_tools ;;
    release) wasm_tools; release_tools ;;
    dev) dev_tools ;;
    e2e) e2e_deps ;;
    size) size_tools ;;
    test) wasm_tools; test_tools; contract_tools ;;
    *) echo "usage: $0 wasm|release|dev|e2e|size|test" >&2; exit 2 ;;
esac
