#!/usr/bin/env bash
# Makes src-tauri/link-order.txt: the functions one start of the release app runs, most run first,
# which src-tauri/build/link_order.rs hands the linker so they sit together in the binary (half
# the code pages a start faults in: docs/benchmarks.md, "What the 61 MiB are made of").
#
#   scripts/link-order.sh         build, instrument, run one start, write the list (~14 min)
#
# Run it again when the list has gone stale: its names carry hashes that change with a dependency
# upgrade, a new rustc or a renamed function, and a name the binary lacks is skipped, so a stale
# list silently loses its effect. The script prints how many of the old list's names the new
# build still has. `make bench`'s row "The app's binary resident" shows it too (~7 → ~14 MiB).
#
# How: BOLT 15 (Debian's bolt-15) instruments a release build linked with its relocations kept,
# which then runs the start `make bench` measures (scripts/link-order-run.mjs: 1,000 containers
# on a throwaway Podman, the window under Xvfb, 100 s idle, SIGTERM) and writes every branch it
# took. Only BOLT's profile is used: the binaries BOLT 15 rewrites from it crash at start (a jump
# to 0 in a Tokio worker), while lld's ordering needs nothing but the names.
#
# Why 100 s of idle: what the app runs while idle (its liveness pings, twice a minute, and what
# else wakes it) must be in the list too. Profiled over 20 s, the list left those functions among
# the unlisted rest of the code, and the idle window cost 4.4-6.2 CPU ms a minute against
# 3.3-4.9 without any list; profiled over 100 s, 3.7-4.0 (two starts of each, in turn).
#
# The build is a `cargo rustc` of the app in release with two extra flags; it replaces
# $CARGO_TARGET_DIR/release/skiff-desktop, which the next release build links again. Its features
# are the ones `tauri build` (scripts/bundle.sh, what the .deb ships) passes: `tauri/custom-protocol`,
# not the crate's own `custom-protocol`. The two compile the same code, but cargo hashes the feature
# list into every symbol name of the desktop crate and of the generic code it instantiates: a list
# made from the other build matched only part of the package (its binary 10.6 MiB resident instead
# of 6.4).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
export CARGO_TARGET_DIR="$target"
list="$root/src-tauri/link-order.txt"
work=$(mktemp -d "${TMPDIR:-/tmp}/skiff-link-order-XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { echo "link-order: $*" >&2; }

scripts/deps.sh test
if ! command -v llvm-bolt-15 >/dev/null; then
  say "installing bolt-15"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q bolt-15 >&2
fi
# BOLT 15 looks for its runtime under /usr/lib/.
runtime=llvm-15/lib/libbolt_rt_instr.a

say "building the app in release with its relocations and symbols kept"
npm --prefix ui run build >&2
cargo rustc --quiet --release -p skiff-desktop --features tauri/custom-protocol --bin skiff-desktop -- \
  -C link-arg=-Wl,--emit-relocs -C strip=none
cp "$target/release/skiff-desktop" "$work/app"
# The symbols the binary defines, with their sizes where known ("addr size type name"): their
# names are what the list may hold (BOLT's profile also names PLT stubs and local symbols with a
# "/N" suffix).
nm -S --defined-only "$work/app" > "$work/symbols"
awk '{ print $NF }' "$work/symbols" | sort -u > "$work/names"
if [ -f "$list" ]; then
  grep -v '^#' "$list" | sort -u > "$work/old"
  say "the committed list: $(comm -12 "$work/old" "$work/names" | wc -l) of $(wc -l < "$work/old") names still in this build"
fi

say "instrumenting"
llvm-bolt-15 "$work/app" -instrument -o "$work/app-instrumented" \
  -instrumentation-file="$work/profile.fdata" -runtime-instrumentation-lib="$runtime" > "$work/bolt.log" 2>&1 \
  || { cat "$work/bolt.log" >&2; exit 1; }

say "one start, 1,000 containers"
scripts/headless.sh node scripts/link-order-run.mjs "$work/app-instrumented" "${SKIFF_LINK_ORDER_SECONDS:-100}"
[ -s "$work/profile.fdata" ] || { say "the instrumented app wrote no profile"; exit 1; }

# Each line of the profile is a branch: `1 <from> <offset> 1 <to> <offset> <mispredicted> <count>`
# (0 for an address without a symbol). A function's weight is the branches it took and received.
awk '$1 == 1 { w[$2] += $NF } $4 == 1 { w[$5] += $NF } END { for (f in w) print w[f], f }' "$work/profile.fdata" \
  | sed 's#/[0-9]*$##' | sort -k1,1nr -k2,2 | awk '!seen[$2]++ { print $2 }' > "$work/ranked"
grep -Fxf "$work/names" "$work/ranked" > "$work/list" || true
count=$(wc -l < "$work/list")
[ "$count" -gt 100 ] || { say "only $count functions in the profile: not writing the list"; exit 1; }
{
  echo "# The functions a start of Skiff and its first ${SKIFF_LINK_ORDER_SECONDS:-100} s run, most run first: made by"
  echo "# scripts/link-order.sh ($(git rev-parse --short HEAD), $(rustc --version | cut -d' ' -f1-2)); read by src-tauri/build/link_order.rs."
  cat "$work/list"
} > "$list"
bytes=$(python3 -c '
import sys
want = set(open(sys.argv[1]).read().split())
print(sum(int(f[1], 16) for f in map(str.split, sys.stdin) if len(f) == 4 and f[3] in want))' "$work/list" < "$work/symbols")
say "wrote $list: $count functions, $bytes bytes of code of $(size -A "$work/app" | awk '$1 == ".text" { print $2 }')"
