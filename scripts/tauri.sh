#!/usr/bin/env bash
# The Tauri CLI, at the one version Skiff pins (keep it equal to the `tauri` crate's minor in
# Cargo.lock): fetched from npm on demand, not a locked dependency (its per-platform binaries
# make `npm ci` fail on lockfiles made on another platform). Usage: scripts/tauri.sh ARGS…
set -euo pipefail
TAURI_CLI_VERSION=2.12.5
exec npx --yes "@tauri-apps/cli@$TAURI_CLI_VERSION" "$@"
