# Tidings: the two commands a fresh machine needs, plus development helpers.
#   make run   build (release) and serve http://localhost:3000 on SQLite with demo data
#   make test  every check and test: fmt, clippy (native + wasm), unit and
#              integration tests, wasm tests in headless Chromium, Playwright,
#              the OpenAPI contract (Schemathesis)
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/binaryen/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
WASM_TEST_ENV := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120

.PHONY: run dev test lint unit wasm-test e2e contract tools

run:
	scripts/tools.sh release
	scripts/build_site.sh release
	@echo "Starting Tidings at http://localhost:3000 (data in ./tidings.db; Ctrl-C to stop)"
	LEPTOS_ENV=PROD target/release/server --seed true

dev:
	scripts/tools.sh dev
	TIDINGS_SEED=true LEPTOS_HASH_FILES=false cargo leptos watch --split

test: tools lint unit wasm-test e2e contract
	@echo "All checks passed."

tools:
	scripts/tools.sh test

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --target wasm32-unknown-unknown --features hydrate -- -D warnings
	cargo clippy -p app --target wasm32-unknown-unknown --features hydrate,testing --all-targets -- -D warnings

unit:
	cargo test --workspace

# wasm-bindgen-test-runner writes each test module (tens of MB), and Chromium
# its profiles, to a temporary directory: beside the build, not into a /tmp
# that may be small, and emptied before each run.
wasm-test:
	rm -rf target/wasm-test-tmp && mkdir -p target/wasm-test-tmp
	cd app && TMPDIR=$(CURDIR)/target/wasm-test-tmp $(WASM_TEST_ENV) \
		cargo test --target wasm32-unknown-unknown --features hydrate,testing

e2e:
	scripts/build_site.sh debug
	bash end2end/run.sh

# Schemathesis against the server e2e built: document and server agree.
contract:
	bash contract/run.sh
