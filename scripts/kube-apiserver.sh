#!/usr/bin/env bash
# Builds a real kube-apiserver offline from Debian's `kubernetes` source package (1.20.2, which
# carries its vendored Go modules) and prints the path of the binary. Kubernetes is not packaged as a
# binary in Debian; this is the only API server we can run here. The build takes ~5 min on 2 cores,
# so the binary is cached in $SKIFF_KUBE_CACHE (default ~/.cache/skiff-kube; CI points it at its
# cache directory) and rebuilt only when missing.
#
# The system's apt configuration is left alone: the deb-src lines live in a private sources.list
# under the cache directory, with their own lists and archives.
set -euo pipefail
cache=${SKIFF_KUBE_CACHE:-$HOME/.cache/skiff-kube}
bin=$cache/kube-apiserver
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$cache"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
missing=()
for p in golang-1.19-go rsync etcd-server dpkg-dev golang-github-modern-go-reflect2-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "kube-apiserver: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$cache/src"
cat > "$apt/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
SRC
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
src=$(ls -d "$cache"/src/kubernetes-*/ 2>/dev/null | head -1 || true)
if [ -z "$src" ]; then
  echo "kube-apiserver: fetching the kubernetes source package" >&2
  apt-get "${opts[@]}" update -qq
  (cd "$cache/src" && apt-get "${opts[@]}" source -qq kubernetes >/dev/null)
  src=$(ls -d "$cache"/src/kubernetes-*/ | head -1)
fi

# The vendored modern-go/reflect2 1.0.1 crashes under Go >= 1.18 (nil dereference decoding any
# JSON map: every pod create panics). 1.0.2 fixed it with the same API; Debian packages it.
rm -f "$src"/vendor/github.com/modern-go/reflect2/*.go "$src"/vendor/github.com/modern-go/reflect2/*.s
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s \
  "$src/vendor/github.com/modern-go/reflect2/"

echo "kube-apiserver: building in $src (about 5 min on 2 cores)" >&2
export PATH=/usr/lib/go-1.19/bin:$PATH GOFLAGS= GOCACHE=$cache/gocache GOPATH=$cache/gopath
(cd "$src" && CGO_ENABLED=0 make WHAT=cmd/kube-apiserver >&2)
cp "$src/_output/bin/kube-apiserver" "$bin.tmp" 2>/dev/null || cp "$(find "$src/_output" -name kube-apiserver -type f | head -1)" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
