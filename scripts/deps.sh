#!/usr/bin/env bash
# Installs what Skiff needs to build, run and test on Debian/Ubuntu, skipping what is present.
#   scripts/deps.sh run    build + run the app (and a local Podman for demo containers)
#   scripts/deps.sh test   + Docker Engine, Xvfb, WebKitWebDriver, tauri-driver, dbus, python3-xlib
#                          (closing a window as its close button does), dunst (a notification
#                          server for the alerts)
#   scripts/deps.sh bench  + tmux (lazydocker's terminal)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

need=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
      librsvg2-dev librsvg2-bin podman uidmap runc busybox-static openssh-client)
if [ "$mode" = bench ]; then
  need+=(tmux)
  mode=test
fi
if [ "$mode" = test ]; then
  need+=(docker.io xvfb xauth webkit2gtk-driver dbus dbus-x11 etcd-server openssl curl docker-registry
        docker-compose podman-compose openssh-server python3-xlib dunst)
fi
command -v node >/dev/null || need+=(nodejs npm)

missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "deps: Rust is missing: install it with rustup (https://rustup.rs)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "deps: Node.js >= 20.19 is required (found $(node -v))" >&2; exit 1; }

if [ "$mode" = test ] && ! command -v tauri-driver >/dev/null; then
  echo "deps: installing tauri-driver" >&2
  cargo install tauri-driver --locked --quiet
fi

# The Kubernetes API server the tests run: built once from Debian's source (~10 min the first
# time, then cached; see scripts/kube-apiserver.sh).
if [ "$mode" = test ]; then
  scripts/kube-apiserver.sh >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
