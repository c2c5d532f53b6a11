#!/usr/bin/env bash
# make test-package: builds the .deb (make bundle), installs it with apt-get as a user would,
# checks what it installed (app, CLI, desktop entry, icons), starts the installed app under Xvfb
# and checks that its window loads, then uninstalls it and checks that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)

built=$(scripts/bundle.sh)
deb=$(grep '\.deb$' <<<"$built" | head -1 || true)
[ -n "$deb" ] || { echo "test-package: no .deb was built" >&2; exit 1; }
# The code a start runs still laid out together (the memory goal's ~5 MiB depend on it). No map
# printed is a missing map, which the check reports as such.
scripts/link-order-check.sh "$(grep '\.map$' <<<"$built" || true)"
pkg=$(dpkg-deb -f "$deb" Package)
echo "test-package: $deb ($(du -h "$deb" | cut -f1), $(stat -c %s "$deb") bytes, package $pkg)"
if dpkg -s "$pkg" >/dev/null 2>&1; then
  echo "test-package: $pkg is already installed; refusing to replace it" >&2
  exit 1
fi

cleanup() { $sudo apt-get remove -y -qq "$pkg" >/dev/null 2>&1 || true; }
trap cleanup EXIT
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null

fail() { echo "test-package: $*" >&2; exit 1; }
files=$(dpkg -L "$pkg")
app=$(echo "$files" | grep -E '^/usr/bin/' | grep -v '/usr/bin/skiff$' | head -1)
[ -x "$app" ] || fail "no app binary in /usr/bin"
[ -x /usr/bin/skiff ] || fail "the skiff CLI is not installed"
desktop=$(echo "$files" | grep -E '^/usr/share/applications/.*\.desktop$' | head -1)
[ -f "$desktop" ] || fail "no desktop entry"
grep -q "^Exec=" "$desktop" || fail "desktop entry without Exec"
sizes=$(echo "$files" | grep -cE '^/usr/share/icons/hicolor/[0-9x@]+/apps/.*\.png$' || true)
[ "$sizes" -ge 3 ] || fail "icons at $sizes sizes, expected at least 3"
echo "test-package: installed $app, /usr/bin/skiff, $desktop, icons at $sizes sizes"
/usr/bin/skiff --version | grep -q '^skiff ' || fail "/usr/bin/skiff --version did not answer"
[ "$(ar t "$deb" | grep '^data\.tar')" = data.tar.xz ] || fail "the package is not xz-compressed"

scripts/headless.sh node tests/package/window.mjs "$app" "$target/e2e/package-window.png" 2>/dev/null

$sudo apt-get remove -y -qq "$pkg" >/dev/null
trap - EXIT
for f in "$app" /usr/bin/skiff "$desktop"; do
  [ ! -e "$f" ] || fail "$f is still there after removal"
done
dpkg -s "$pkg" >/dev/null 2>&1 && fail "$pkg still installed"
echo "test-package: install -> start -> uninstall passed"
