#!/usr/bin/env bash
# make bundle: the installable .deb of Skiff (desktop app + `skiff` CLI + desktop entry + icons),
# built with `tauri build` from the npm registry's prebuilt Tauri CLI: no download at build time
# beyond npm. Honours CARGO_TARGET_DIR; prints the paths of the packages it built, then of the
# linker's map of the app (the one place that names it: its callers take the `.map` line).
#
# AppImage needs linuxdeploy, downloaded from GitHub at build time: a release-pipeline-only format
# (.github/workflows/release.yml). An .rpm needs rpmbuild, which this bundler drives offline when
# it is installed (Debian `rpm`): built too when present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
export CARGO_TARGET_DIR="$target"

cargo build --release --quiet -p skiff
bundles=deb
command -v rpmbuild >/dev/null && bundles=deb,rpm
# The CLI goes into the package next to the app; its path depends on the target dir, so it is
# given at build time rather than in tauri.conf.json.
extra=$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/skiff":"%s"}},"rpm":{"files":{"/usr/bin/skiff":"%s"}}}}}' \
  "$target/release/skiff" "$target/release/skiff")
# The linker writes its map of the app there (src-tauri/build/link_order.rs): the binary is
# stripped, and the map is how scripts/link-order-check.sh sees whether the link order still
# matches the code (`make test-package` fails when it does not; `make bench` says it).
export SKIFF_LINK_MAP="$target/release/skiff-desktop.map"
(cd src-tauri && "$root/scripts/tauri.sh" build --ci --bundles "$bundles" --config "$extra") >&2

# The .deb is xz-compressed, as Debian's own packages are (Tauri writes gzip): a third smaller.
# At -9 (64 MiB window) xz finds what the app and the CLI share (the same core, Tokio, serde,
# hyper, compiled twice), which the default 8 MiB window cannot reach across 23 MB of app:
# 8.9 MB instead of 11.6 MB. It costs ~30 s here, and 65 MiB of memory to install.
for deb in "$target"/release/bundle/deb/*.deb; do
  tree=$(mktemp -d)
  dpkg-deb -R "$deb" "$tree"
  dpkg-deb --root-owner-group -Zxz -z9 -Sextreme -b "$tree" "$deb" >/dev/null
  rm -rf "$tree"
  echo "bundle: $deb recompressed with xz" >&2
done
for f in "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm; do
  [ -f "$f" ] && echo "$f"
done
[ -f "$SKIFF_LINK_MAP" ] && echo "$SKIFF_LINK_MAP"
true
