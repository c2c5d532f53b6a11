#!/usr/bin/env bash
# Runs a command where a real window can open without a desktop: a session bus (the tray and
# single-instance plugins need one) and a virtual X display (Xvfb) of 1280×800. Every test,
# bench and script that starts the real window goes through here.
#
#   scripts/headless.sh COMMAND [ARG...]
#
# `-noreset`: an X server resets itself when its last client disconnects, and a client that
# connects during the reset has its connection closed. Between two windows nothing may be
# connected (one app has exited, the next is starting): GTK then fails to open the display and
# the app stops with "cannot open a window" (before: tao's panic "Failed to initialize GTK",
# seen in CI). 1,000 back-to-back connections of one client under `xvfb-run`: 2 and 7 were closed
# in two runs, none with `-noreset`.
set -euo pipefail
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$@"
