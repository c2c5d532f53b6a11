#!/usr/bin/env bash
# Runs the end-to-end tests of the real window: Xvfb for the display, a session bus for the tray
# and single-instance plugins, tauri-driver + WebKitWebDriver for WebDriver.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  node --test --test-concurrency=1 tests/e2e/
