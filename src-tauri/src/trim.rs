//! Giving the heap's free memory back to the system once the app has gone quiet.
//!
//! glibc keeps what the app frees in its heaps for the next allocation: after a start, an
//! engine's list of 1,000 containers (its JSON, what serde made of it), the rows sent to the
//! window in runs, the snapshot's script and what WebKit copies of it in this process are all
//! freed, and ~3 MiB of those pages stay with the app for as long as it runs. `malloc_trim(0)`
//! returns the free pages of every heap (`MADV_DONTNEED`), keeping the heap itself.
//!
//! When: [`QUIET`] after the last thing the window was sent (the bridge's runs, a snapshot),
//! once, and again only after more work. Nothing runs while the app idles (no timer without a
//! poke: the idle goals count wake-ups), and nothing on the way of a snapshot or an event: a
//! trim after each snapshot would hand back pages the next one faults in again, which is what
//! made a fixed mmap threshold cost the 10k snapshot 15–20 ms (docs/benchmarks.md, "Large
//! blocks given back"). Churn that never pauses for [`QUIET`] is never trimmed during it; the
//! hour of churn holds flat without (`benches/ui/churn.mjs`).
//!
//! Measured (release, 1,000 containers on Podman, read 20 s after start, three starts of each in
//! turn, 2026-12-06, `malloc_trim(0)` called from gdb 10 s after start): the backend 91.5 →
//! 88.7 MiB PSS, its anonymous memory 15.1 → 12.0 MiB; the app 285.8 → 283.6 MiB in all.
#![allow(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use skiff::shutdown::Shutdown;
use tokio::sync::Notify;

/// How long nothing must have been sent to the window before a trim: past a start's bursts (the
/// engines' first pages, their whole lists, the snapshot: ~1 s at 1,000 containers) and the
/// pauses between a user's clicks.
pub const QUIET: Duration = Duration::from_secs(5);

/// Pokes the trimming task: held as Tauri state and by the bridge.
#[derive(Debug, Clone)]
pub struct Trimmer(Arc<Notify>);

impl Trimmer {
    /// Starts the task that gives memory back [`QUIET`] after the last [`poke`](Self::poke),
    /// until `shutdown`.
    pub fn start(shutdown: &Shutdown) -> Self {
        let notify = Arc::new(Notify::new());
        tauri::async_runtime::spawn(after_quiet(
            notify.clone(),
            QUIET,
            shutdown.clone(),
            give_back,
        ));
        Self(notify)
    }

    /// Work was done: trim once it has been quiet for [`QUIET`].
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// Runs `trim` once `quiet` has passed without a notification since the last one, and again
/// after each later notification and quiet spell; waits without a timer until the first.
async fn after_quiet(
    notify: Arc<Notify>,
    quiet: Duration,
    shutdown: Shutdown,
    mut trim: impl FnMut() -> bool + Send,
) {
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = notify.notified() => {}
            () = &mut stopped => return,
        }
        // Each notification during the wait starts it again.
        loop {
            tokio::select! {
                () = notify.notified() => {}
                () = tokio::time::sleep(quiet) => break,
                () = &mut stopped => return,
            }
        }
        let started = std::time::Instant::now();
        let released = trim();
        tracing::debug!(released, took = ?started.elapsed(), "free heap memory given back");
    }
}

/// Hands the free pages of glibc's heaps back to the system; whether any were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back() -> bool {
    // SAFETY: `malloc_trim` takes a byte count and only touches glibc's own heaps, under their
    // locks; any thread may call it at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other C libraries and platforms have no such call (musl's heap and macOS's and Windows'
/// allocators give memory back on their own).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A trimmer on a paused clock whose trims are counted.
    fn counted() -> (
        Arc<Notify>,
        Arc<AtomicUsize>,
        skiff::shutdown::ShutdownTrigger,
    ) {
        let notify = Arc::new(Notify::new());
        let trims = Arc::new(AtomicUsize::new(0));
        let (trigger, shutdown) = skiff::shutdown::channel();
        let count = trims.clone();
        tokio::spawn(after_quiet(notify.clone(), QUIET, shutdown, move || {
            count.fetch_add(1, Ordering::SeqCst);
            true
        }));
        (notify, trims, trigger)
    }

    async fn wait(d: Duration) {
        tokio::time::sleep(d).await;
        // Let the task run what the clock made ready.
        tokio::task::yield_now().await;
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_trimmed_before_any_work() {
        let (_notify, trims, _trigger) = counted();
        wait(QUIET * 100).await;
        assert_eq!(trims.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn one_trim_comes_a_quiet_spell_after_the_last_poke() {
        let (notify, trims, _trigger) = counted();
        // A burst: pokes every second for ten seconds.
        for _ in 0..10 {
            notify.notify_one();
            wait(Duration::from_secs(1)).await;
            assert_eq!(trims.load(Ordering::SeqCst), 0, "trimmed during the burst");
        }
        wait(QUIET).await;
        assert_eq!(trims.load(Ordering::SeqCst), 1);
        // Quiet after it: no more trims, until more work.
        wait(QUIET * 10).await;
        assert_eq!(trims.load(Ordering::SeqCst), 1);
        notify.notify_one();
        wait(QUIET + Duration::from_millis(1)).await;
        assert_eq!(trims.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_ends_the_task_without_a_last_trim() {
        let (notify, trims, trigger) = counted();
        notify.notify_one();
        wait(Duration::from_secs(1)).await;
        trigger.fire();
        wait(QUIET * 2).await;
        assert_eq!(trims.load(Ordering::SeqCst), 0);
        assert_eq!(
            Arc::strong_count(&notify),
            1,
            "the task still holds the notify"
        );
    }

    /// The real call on glibc: 64 MiB of small blocks (below the mmap threshold, so in a heap)
    /// freed behind one still in use stay resident, since the heap cannot shrink past that one;
    /// the trim hands their pages back.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_heap_memory_is_given_back() {
        fn resident_mib() -> usize {
            let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
            let pages: usize = statm.split(' ').nth(1).unwrap().parse().unwrap();
            pages * 4096 / (1024 * 1024)
        }
        let blocks: Vec<Vec<u8>> = (0..16 * 1024).map(|i| vec![i as u8; 4096]).collect();
        let pin = vec![1u8; 4096];
        drop(blocks);
        let before = resident_mib();
        assert!(give_back(), "nothing given back");
        let after = resident_mib();
        assert!(
            before >= after + 48,
            "{before} MiB resident before the trim, {after} after"
        );
        drop(pin);
    }
}
