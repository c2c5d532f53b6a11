#!/usr/bin/env bash
# make bench: every benchmark in one run on this machine, then one Markdown report.
#
# Side by side on the same engines in the same run (absolute times drift on shared machines):
# stream overhead (skiff watch vs the engine's raw /events stream), reconnect, registry scale
# (criterion), memory (skiff watch and the desktop backend with many containers), the soak curve,
# and event → pixel / first paint in the real window. Raw samples: CSV files beside the report.
#
# Output: $TARGET/bench/report.md (+ *.csv, *.txt, pixel.json), copied to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/bench"
rm -rf "$out" && mkdir -p "$out"
out="$(cd "$out" && pwd)"
export SKIFF_BENCH_OUT="$out" SKIFF_REQUIRE_ENGINES=1
started=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - started )) s)" >&2; }

step "building (release benches, debug desktop app)"
cargo bench --no-run --quiet 2>&1 | grep -v "^\s*Compiling" || true
(cd ui && npm run build --silent)
cargo build --quiet -p skiff -p skiff-desktop

step "stream overhead: Docker and Podman, ${SKIFF_BENCH_OPS:-500} operations each"
cargo bench --quiet --bench streams | tee "$out/streams.log"

step "logs: skiff logs -f beside docker/podman logs -f, ${SKIFF_BENCH_LINES:-200000} lines at ~50k/s"
cargo bench --quiet --bench logs | tee "$out/logs.log"

step "reconnect: 20 restarts of Podman and of Docker"
SKIFF_BENCH_DOCKER=1 cargo bench --quiet --bench reconnect | tee "$out/reconnect.log"

step "registry scale (criterion)"
cargo bench --quiet --bench store -- --noplot 2>&1 | tee "$out/store.log" | grep -E "time:|thrpt:" || true
echo "== object store: one image event at 100 and 10k images"
cargo bench --quiet --bench objects -- --noplot 2>&1 | tee "$out/objects.log" | grep -E "time:" || true
for f in "$target"/criterion/ingest_10k_containers/100k_events/new/estimates.json \
         "$target"/criterion/per_event_cost/{100,1000,10000}/new/estimates.json; do
  name=$(echo "$f" | sed -E 's|.*/criterion/([^/]+)/([^/]+)/new/.*|\1/\2|')
  echo "$name $(node -e 'const e=JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(e.median.point_estimate, e.median.confidence_interval.lower_bound, e.median.confidence_interval.upper_bound)' "$f")"
done > "$out/store.txt"

step "chaos: 100 SIGKILLs of the Podman service and of dockerd during a workload"
SKIFF_CHAOS_KILLS=100 SKIFF_REQUIRE_ENGINES=1 cargo test --quiet --release --test chaos -- --nocapture 2>&1 \
  | grep "^chaos " | tee "$out/chaos.txt" || true

step "soak: 1M events over 1k containers"
cargo bench --quiet --bench soak | tail -1 | tee "$out/soak.log"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Memory of `skiff watch` and of the desktop backend with N containers on an engine.
memory() {
  local kind=$1 n=$2 dir host sock pid
  dir=$(mktemp -d /tmp/skiff-mem-XXXX)
  host=$(scripts/engines.sh start "$kind" "$dir")
  sock=${host#unix://}
  step "memory: creating $n containers on $kind"
  seq 1 "$n" | xargs -P 4 -I{} curl -sf -o /dev/null --unix-socket "$sock" -H 'content-type: application/json' \
    -d '{"Image":"busybox:latest","Cmd":["sleep","1"],"HostConfig":{"NetworkMode":"none"}}' \
    "http://d/v1.41/containers/create?name=mem-{}"
  local count
  count=$(curl -s --unix-socket "$sock" "http://d/v1.41/containers/json?all=1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
  # skiff watch: RSS once the first resync is printed and 2 s later.
  SKIFF_CONFIG_DIR="$dir/config" SKIFF_DATA_DIR="$dir/data" "$target/debug/skiff" watch --json --host "$host" > "$dir/watch.out" &
  pid=$!
  for _ in $(seq 1 600); do grep -q '"phase":"done"' "$dir/watch.out" && break; sleep 0.1; done
  sleep 2
  local watch_rss; watch_rss=$(rss_kib "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The desktop app's backend process (the WebKit web process is separate and reported apart).
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
    SKIFF_HOST="$1" SKIFF_CONFIG_DIR="$2/config" SKIFF_DATA_DIR="$2/data" "$3" >"$2/app.log" 2>&1 &
    app=$!; sleep 12
    echo "$(awk "/^VmRSS/ {print \$2}" /proc/$app/status) $(for p in $(pgrep -P $app; pgrep -f WebKitWebProcess); do awk "/^VmRSS/ {print \$2}" /proc/$p/status 2>/dev/null; done | sort -n | tail -1)" > "$2/app.rss"
    kill $app; wait $app 2>/dev/null || true' _ "$host" "$dir" "$target/debug/skiff-desktop" 2>/dev/null
  echo "$kind $count $watch_rss $(cat "$dir/app.rss")" | tee -a "$out/memory.txt"
  # The containers never ran: stopping the engine and deleting its directory is enough (removing
  # 1000 vfs containers one by one takes minutes).
  scripts/engines.sh stop "$kind" "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
# Docker's vfs storage creates only ~4 containers/s here: 200 there, 1000 on Podman.
memory podman "${SKIFF_BENCH_MEM_PODMAN:-1000}"
memory docker "${SKIFF_BENCH_MEM_DOCKER:-200}"

step "event → pixel and first paint of 10k rows in the real window"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" node benches/ui/pixel.mjs 2>/dev/null | tee "$out/pixel.log"

step "stats: 100 running containers followed as the list does, Docker and Podman"
cargo bench --quiet --bench stats | tee "$out/stats.log"

step "log view in the real window (release build): 1M-line first paint, write → pixel at ~10k lines/s, RSS"
cargo build --quiet --release -p skiff-desktop
SKIFF_APP_PROFILE=release dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" node benches/ui/logs.mjs 2>/dev/null | tee "$out/logs-window.log"

step "terminal in the real window (release build): keystroke → echo, cat of 20 MB, beside docker exec -it"
SKIFF_APP_PROFILE=release dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" node benches/ui/terminal.mjs 2>/dev/null | tee "$out/terminal-window.log"

step "report"
node scripts/bench-report.mjs "$out" "$(( $(date +%s) - started ))" > "$out/report.md"
cp "$out/report.md" docs/benchmarks.md
step "done: $out/report.md (copied to docs/benchmarks.md)"
