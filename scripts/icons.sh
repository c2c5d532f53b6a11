#!/usr/bin/env bash
# Generates every icon from the one committed source, icons/skiff.svg:
#   - the app icons (all sizes, .ico, .icns) via `tauri icon` from the npm-installed CLI;
#   - three tray-state icons: green (all engines connected), amber (some reconnecting),
#     red (none connected).
# Needs rsvg-convert (Debian librsvg2-bin). The outputs are committed; rerun after editing the SVG.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed 's/ACCENT/#3ddc97/g' icons/skiff.svg > "$tmp/app.svg"
rsvg-convert -w 1024 -h 1024 "$tmp/app.svg" -o "$tmp/app.png"
scripts/tauri.sh icon "$tmp/app.png" -o icons >/dev/null 2>&1
# Mobile and Windows Store tiles are not shipped.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png

for state in connected:#3ddc97 degraded:#f5a524 offline:#f04438; do
  name=${state%%:*} colour=${state#*:}
  sed "s/ACCENT/$colour/g" icons/skiff.svg > "$tmp/$name.svg"
  rsvg-convert -w 64 -h 64 "$tmp/$name.svg" -o "icons/tray-$name.png"
done
echo "icons written to icons/"
