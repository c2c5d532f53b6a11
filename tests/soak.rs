//! Memory over days, shortened: 200,000 events over 1,000 churning containers through the full
//! core must leave RSS flat after warm-up (< 5 % growth). The full run (≥ 1M events) is
//! `cargo bench --bench soak`. Alone in its binary so that no other test's memory is counted.

#[path = "support/soak.rs"]
mod soak;

#[tokio::test]
async fn rss_stays_flat_over_200k_events() {
    let events = 200_000;
    // Half the run is warm-up here: a debug build's allocator settles later than the bench's
    // release build (which uses a quarter of 1M events).
    let r = soak::run(events, 1_000, 20, events / 2).await;
    println!(
        "soak: {events} events, RSS start {} KiB, after warm-up {} KiB, end {} KiB, growth {:.2} %",
        r.rss_start / 1024,
        r.rss_after_warmup / 1024,
        r.rss_end / 1024,
        r.growth_pct
    );
    // Every item reached the store: the events, 3 start-up items and 2 statuses per 10,000.
    assert_eq!(r.processed, (events + 3 + 2 * (events / 10_000)) as u64);
    assert!(r.rss_after_warmup > 0, "sysinfo gave no RSS");
    // A leak grows RSS in every interval; the allocator grows it in rare one-off steps (glibc
    // raising its mmap threshold after a large block is freed: ~470 KiB here, once or twice per
    // debug run at random points, never in the 1M-event release bench). So the test sums the
    // growth of the intervals after warm-up without the two largest: a steady leak still shows
    // (at 80 % of its size), one-off steps do not. The raw figure is printed above and reported
    // by the bench.
    let mut steps: Vec<i64> = r
        .samples
        .windows(2)
        .filter(|w| w[0].0 >= r.warmup_events)
        .map(|w| w[1].1.cast_signed() - w[0].1.cast_signed())
        .collect();
    steps.sort_unstable();
    let steady: i64 = steps[..steps.len() - 2].iter().sum();
    let steady_pct = steady as f64 / r.rss_after_warmup as f64 * 100.0;
    println!("steady growth after warm-up (two largest steps left out): {steady_pct:.2} %");
    assert!(
        steady_pct < 5.0,
        "RSS grew steadily by {steady_pct:.2} % after warm-up: {:?}",
        r.samples
    );
    // 20 outages of the same engine: one notification pair at most (cooldown), not 20.
    assert!(r.alerts <= 2, "{} alerts", r.alerts);
    // And telemetry: recorded within its hourly budget (10 per name), not once per outage.
    assert!(
        (1..=20).contains(&r.telemetry_recorded),
        "{} telemetry events",
        r.telemetry_recorded
    );
}
