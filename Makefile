# Skiff: the two commands a fresh Debian/Ubuntu machine needs are `make run` and `make test`.
# Both install what is missing first (apt packages, npm packages, tauri-driver).
SHELL := /bin/bash
export CARGO_TERM_COLOR ?= never
TARGET := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test bench bundle test-package ui check test-rust test-ui test-e2e bindings icons fmt

## make run: build and start Skiff (starts a demo Podman service if no engine is reachable).
run:
	scripts/deps.sh run
	$(MAKE) ui
	cargo build -p skiff -p skiff-desktop
	scripts/run.sh

## make test: every check and test: fmt, clippy, Rust (real engines), UI, end-to-end.
# One make run for all four, so the UI they share (`ui`) is built once.
test:
	scripts/deps.sh test
	$(MAKE) check test-rust test-ui test-e2e

## make bench: every benchmark side by side on throwaway engines, release builds; writes
## target/bench/report.md (+ each run's samples) and copies the report to docs/benchmarks.md;
## prints the figures that got worse than the committed report. SKIFF_BENCH_RUNS=2 measures
## everything twice and reports the spread (the noise). About 30 minutes a run here.
bench:
	scripts/deps.sh bench
	scripts/bench.sh

## make bundle: the installable .deb (and .rpm when rpmbuild exists); prints its path.
bundle:
	scripts/deps.sh test
	scripts/bundle.sh

## make test-package: install the .deb with apt-get, start it under Xvfb, uninstall it.
test-package:
	scripts/deps.sh test
	scripts/test-package.sh

ui:
	cd ui && npm run build

check: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npm run check

# SKIFF_REQUIRE_ENGINES: a test that cannot start Podman or Docker fails instead of skipping.
test-rust:
	SKIFF_REQUIRE_ENGINES=1 cargo test --workspace

test-ui:
	cd ui && npm test

test-e2e: ui
	cargo build -p skiff-desktop
	tests/e2e/run.sh

## make bindings: regenerate the committed TypeScript bindings from the Rust IPC types. The test
## rewrites stale files and fails; the second run checks the rewrite. A build error fails both.
bindings:
	cargo test -p skiff --test bindings --quiet || cargo test -p skiff --test bindings --quiet

## make icons: regenerate app and tray icons from icons/skiff.svg.
icons:
	scripts/icons.sh

fmt:
	cargo fmt --all
