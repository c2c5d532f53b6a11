#!/usr/bin/env bash
# make bench: every benchmark on this machine, release builds, then one Markdown report.
#
# Side by side on the same engines in the same run (absolute times drift on shared machines):
# stream overhead (skiff watch vs the engine's raw /events stream), log following, reconnect,
# registry scale (criterion), the soak curve, event → pixel / first paint, the log view and the
# terminal in the real window, stats, idle: cold start, memory, idle CPU and engine requests
# beside lazydocker and an empty Tauri window, and memory under an hour of churn in the window. Raw samples: CSV and JSON files beside the report.
#
# Output: $TARGET/bench/report.md (+ run1/, run2/ with each run's files), copied to
# docs/benchmarks.md; the figures that got worse than the committed report are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/bench"
rm -rf "$out" && mkdir -p "$out"
out="$(cd "$out" && pwd)"
export SKIFF_BENCH_OUT="$out" SKIFF_REQUIRE_ENGINES=1
started=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - started )) s)" >&2; }

# Every figure is measured on release builds: the binaries the .deb ships (the bench profile
# inherits the release one). SKIFF_BENCH_RUNS=2 measures everything twice, so the report states
# the spread between runs (the noise) beside each figure; regressions against the committed
# docs/benchmarks.md are judged against that noise.
runs=${SKIFF_BENCH_RUNS:-1}
base=$out

# SKIFF_BENCH_ONLY="idle pixel": only those steps (names: streams logs reconnect store chaos soak
# pixel stats logs-window terminal idle churn); the report keeps the committed report's other rows.
want() { [ -z "${SKIFF_BENCH_ONLY:-}" ] || [[ " $SKIFF_BENCH_ONLY " == *" $1 "* ]]; }

step "building (release: benches, the .deb and its binaries, the empty Tauri window beside it)"
if want streams || want logs || want reconnect || want store || want soak || want stats; then
  cargo bench --no-run --quiet 2>&1 | grep -v "^\s*Compiling" || true
fi
# The package's build leaves the binaries it ships in $target/release: the window benchmarks run
# those. The empty window gets the same features (custom-protocol, as `tauri build` sets).
built=$(scripts/bundle.sh)
deb=$(grep '\.deb$' <<<"$built" | head -1 || true)
# Said, not enforced (make test-package enforces it): a stale list shows in the memory rows.
scripts/link-order-check.sh "$(grep '\.map$' <<<"$built" || true)" || true
cargo build --quiet --release -p skiff-desktop --features custom-protocol --example empty_window
mkdir -p "$base/run1"
stat -c %s "$deb" "$target/release/skiff-desktop" "$target/release/skiff" | xargs > "$base/run1/package.txt"
lazydocker=$(scripts/peers.sh lazydocker)

# One measurement of every figure into $out ($run: which run this is).
measure() {
  if want streams; then
    step "stream overhead: Docker and Podman, ${SKIFF_BENCH_OPS:-500} operations each"
    cargo bench --quiet --bench streams | tee "$out/streams.log"
  fi

  if want logs; then
    step "logs: skiff logs -f beside docker/podman logs -f, ${SKIFF_BENCH_LINES:-200000} lines at ~50k/s"
    cargo bench --quiet --bench logs | tee "$out/logs.log"
  fi

  if want reconnect; then
    step "reconnect: 20 restarts of Podman and of Docker"
    SKIFF_BENCH_DOCKER=1 cargo bench --quiet --bench reconnect | tee "$out/reconnect.log"
  fi

  if want store; then
    step "registry scale (criterion)"
    cargo bench --quiet --bench store -- --noplot 2>&1 | tee "$out/store.log" | grep -E "time:|thrpt:" || true
    echo "== object store: one image event at 100 and 10k images"
    cargo bench --quiet --bench objects -- --noplot 2>&1 | tee "$out/objects.log" | grep -E "time:" || true
    for f in "$target"/criterion/ingest_10k_containers/100k_events/new/estimates.json \
             "$target"/criterion/per_event_cost/{100,1000,10000}/new/estimates.json; do
      name=$(echo "$f" | sed -E 's|.*/criterion/([^/]+)/([^/]+)/new/.*|\1/\2|')
      echo "$name $(node -e 'const e=JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(e.median.point_estimate, e.median.confidence_interval.lower_bound, e.median.confidence_interval.upper_bound)' "$f")"
    done > "$out/store.txt"
  fi

  # Correctness under faults, not a timing: the first run only (10 minutes).
  if [ "$run" = 1 ] && want chaos; then
    step "chaos: 100 SIGKILLs of the Podman service and of dockerd during a workload"
    SKIFF_CHAOS_KILLS=100 SKIFF_REQUIRE_ENGINES=1 cargo test --quiet --release --test chaos -- --nocapture 2>&1 \
      | grep "^chaos " | tee "$out/chaos.txt" || true
  fi

  if want soak; then
    step "soak: 1M events over 1k containers"
    cargo bench --quiet --bench soak | tail -1 | tee "$out/soak.log"
  fi

  if want pixel; then
    step "event → pixel and first paint of 10k rows in the real window"
    SKIFF_APP_PROFILE=release scripts/headless.sh node benches/ui/pixel.mjs 2>/dev/null | tee "$out/pixel.log"
  fi

  if want stats; then
    step "stats: 100 running containers followed as the list does, Docker and Podman"
    cargo bench --quiet --bench stats | tee "$out/stats.log"
  fi

  if want logs-window; then
    step "log view in the real window: 1M-line first paint, write → pixel at ~10k lines/s, RSS"
    SKIFF_APP_PROFILE=release scripts/headless.sh node benches/ui/logs.mjs 2>/dev/null | tee "$out/logs-window.log"
  fi

  if want terminal; then
    step "terminal in the real window: keystroke → echo, cat of 20 MB, beside docker exec -it"
    SKIFF_APP_PROFILE=release scripts/headless.sh node benches/ui/terminal.mjs 2>/dev/null | tee "$out/terminal-window.log"
  fi

  if want idle; then
    step "idle: cold start, memory, idle CPU and engine requests with ${SKIFF_IDLE_CONTAINERS:-1000} containers, beside lazydocker and an empty Tauri window"
    SKIFF_LAZYDOCKER="$lazydocker" scripts/headless.sh node benches/ui/idle.mjs 2>"$out/idle.err" | tee "$out/idle.log"
  fi
}

for run in $(seq 1 "$runs"); do
  out="$base/run$run"
  mkdir -p "$out"
  export SKIFF_BENCH_OUT="$out"
  step "run $run of $runs"
  measure
done
out=$base

# Memory under churn through the window takes the hour (SKIFF_CHURN_MINUTES): once, not per run.
if want churn; then
  step "churn through the window: ${SKIFF_CHURN_MINUTES:-60} min of pause/unpause on 1,000 containers, PSS every 30 s"
  SKIFF_BENCH_OUT="$base/run1" scripts/headless.sh node benches/ui/churn.mjs 2>"$base/run1/churn.err" | tee "$base/run1/churn.log"
fi

step "report"
node scripts/bench-report.mjs "$(( $(date +%s) - started ))" "$out"/run* > "$out/report.md"
# The figures that got worse than the committed report by more than the noise.
sed -n '/^## Regressions/,/^## /p' "$out/report.md" | sed '$d' >&2
cp "$out/report.md" docs/benchmarks.md
step "done: $out/report.md (copied to docs/benchmarks.md)"
