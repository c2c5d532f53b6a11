#!/usr/bin/env bash
# Whether src-tauri/link-order.txt still orders the app: how many of its names the last package
# build's linker found. A name the binary lacks is skipped without a word (its hashes change with
# a rename, a new generic use, a closure that captures something else, a dependency upgrade; a
# local copy's ".N" suffix with nearly any change), so the list loses its effect silently: on
# 6 December 1,325 of its 2,390 names were left, and the app's binary kept 12.3 MiB resident
# instead of ~7 (docs/benchmarks.md, "the link order had gone stale").
#
#   scripts/link-order-check.sh MAP    MAP: the linker's map that scripts/bundle.sh had written
#
# Prints the count; exits 1 when fewer than SKIFF_LINK_ORDER_FLOOR percent (99) of the names are
# in the build, with what to run. The floor is high because each function the list misses sits
# among the rest of the code, and its first call faults in the 64 KiB around it: 33 of 2,386
# missing (98.6 %: the bridge's closure, the task that polls it, a few `write_str` copies) kept
# 9.7-10.4 MiB of the binary resident against 6.8-7.4 with none missing. The package's binary is
# stripped, so its names are read from the map (`-Wl,--Map`, src-tauri/build/link_order.rs),
# which lists every section and symbol the link put in it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/link-order-check.sh MAP" >&2; exit 2; }
map=$1
floor=${SKIFF_LINK_ORDER_FLOOR:-99}
list=src-tauri/link-order.txt
say() { echo "link-order-check: $*" >&2; }

[ -s "$map" ] || { say "no linker map${map:+ at $map}: the list was not given to the linker (not lld?)"; exit 1; }
names=$(mktemp)
trap 'rm -f "$names"' EXIT
grep -v '^#' "$list" | grep -v '^$' | sort -u > "$names"
total=$(wc -l < "$names")
# Each name is searched as a fixed string; a mangled name ends in its hash and `E`, so one name
# is never the start of another.
found=$(grep -oFf "$names" "$map" | sort -u | wc -l)
pct=$((found * 100 / total))
echo "link-order-check: $found of the list's $total names are in the build ($pct %)"
if [ "$pct" -lt "$floor" ]; then
  say "under $floor %: the list has gone stale, and the app's start faults in up to 64 KiB more of its code for each name missing."
  say "Make it again with scripts/link-order.sh (~14 min) and commit src-tauri/link-order.txt."
  exit 1
fi
