#!/usr/bin/env bash
# `make run`: starts Skiff. When no engine is reachable, starts a local Podman service with a few
# demo containers first (under $SKIFF_DATA_DIR or ~/.local/share/skiff/demo-engine). Launches the
# desktop app when there is a display, the terminal `skiff ps` view otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
skiff="$target/debug/skiff"

if ! "$skiff" ps >/dev/null 2>&1; then
  demo_dir="${SKIFF_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/skiff}/demo-engine"
  echo "run: no engine reachable; starting a local Podman service in $demo_dir" >&2
  SKIFF_HOST=$(scripts/engines.sh start podman "$demo_dir")
  export SKIFF_HOST
  scripts/engines.sh demo podman "$demo_dir"
  echo "run: stop it later with: scripts/engines.sh destroy podman $demo_dir" >&2
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$target/debug/skiff-desktop"
else
  echo "run: no display; showing the terminal view (skiff ps --all)" >&2
  exec "$skiff" ps --all
fi
