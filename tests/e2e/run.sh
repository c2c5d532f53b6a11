#!/usr/bin/env bash
# Runs the end-to-end tests of the real window: Xvfb for the display, a session bus for the tray
# and single-instance plugins, tauri-driver + WebKitWebDriver for WebDriver.
#
# `-noreset`: an X server resets itself when its last client disconnects, and a client that
# connects during the reset has its connection closed. Between two tests nothing may be connected
# (one app has exited, the next is starting): GTK then fails to open the display and the app
# panics ("Failed to initialize GTK", seen in CI). 1,000 back-to-back connections of one client
# under `xvfb-run`: 2 and 7 were closed in two runs, none with `-noreset`.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" \
  node --test --test-concurrency=1 tests/e2e/
