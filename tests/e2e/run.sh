#!/usr/bin/env bash
# Runs the end-to-end tests of the real window: under scripts/headless.sh (a session bus, Xvfb),
# with tauri-driver + WebKitWebDriver for WebDriver.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/headless.sh node --test --test-concurrency=1 tests/e2e/
