//! Memory over days: the soak harness with ≥ 1M events over 1k churning containers through the
//! full core (store, fan-out, telemetry, alerts, a rendering consumer), sampling RSS.
//!
//! `cargo bench --bench soak` (events from `SKIFF_SOAK_EVENTS`, default 1,000,000). Prints the
//! curve and writes it as CSV to `$SKIFF_BENCH_OUT/soak.csv` when that is set.

#[path = "../tests/support/soak.rs"]
mod soak;

fn main() {
    let events: usize = std::env::var("SKIFF_SOAK_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = std::time::Instant::now();
    let r = runtime.block_on(soak::run(events, 1_000, 50, events / 4));
    let secs = started.elapsed().as_secs_f64();
    println!("events,rss_bytes");
    for (k, rss) in &r.samples {
        println!("{k},{rss}");
    }
    println!(
        "soak: {events} events over 1000 containers in {secs:.1} s ({:.0} events/s); RSS start \
         {:.1} MiB, after warm-up ({} events) {:.1} MiB, end {:.1} MiB; growth after warm-up \
         {:.2} % (goal < 5 %); notifications {}; telemetry events recorded {}",
        events as f64 / secs,
        r.rss_start as f64 / 1_048_576.0,
        r.warmup_events,
        r.rss_after_warmup as f64 / 1_048_576.0,
        r.rss_end as f64 / 1_048_576.0,
        r.growth_pct,
        r.alerts,
        r.telemetry_recorded
    );
    if let Some(dir) = std::env::var_os("SKIFF_BENCH_OUT") {
        let csv: String = std::iter::once("events,rss_bytes\n".to_owned())
            .chain(r.samples.iter().map(|(k, rss)| format!("{k},{rss}\n")))
            .collect();
        std::fs::write(std::path::Path::new(&dir).join("soak.csv"), csv).expect("write soak.csv");
        std::fs::write(
            std::path::Path::new(&dir).join("soak.txt"),
            format!(
                "{events} {secs:.1} {} {} {} {:.2}\n",
                r.rss_start, r.rss_after_warmup, r.rss_end, r.growth_pct
            ),
        )
        .expect("write soak.txt");
    }
}
