//! The window's next snapshot, written while its page loads
//! ([`skiff::ipc::wire::PreparedSnapshot`] says why and what makes it safe to send).
//!
//! A navigation (the app's window built, a reload, the window built again after it was closed to
//! the tray) starts here, on the main thread: the snapshot is written on a blocking thread, in
//! the order of the page's last request. The page's request takes it, waiting for it while it
//! is still being written rather than writing a second one beside it. Nothing is written before
//! the page has asked once, in its name order (the page always sends one): the order is the
//! page's, and at the app's start the engines are still being listed, which would leave the
//! script stale by the time it is asked for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use skiff::ipc::order::NameOrder;
use skiff::ipc::wire::PreparedSnapshot;
use skiff::registry::Registry;

/// Shared by the page-load hook and the `snapshot` command.
#[derive(Debug, Default, Clone)]
pub struct Prepared(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// Navigations started.
    loads: AtomicU64,
    /// The navigation the page's last request came after: its page has its snapshot.
    asked: AtomicU64,
    /// The order of the page's last request; `None` before the first, or when it sent none.
    order: Mutex<Option<NameOrder>>,
    /// The script written for a navigation, with its number. Locked while it is written.
    ready: Mutex<Option<(u64, PreparedSnapshot)>>,
}

/// What a navigation is to write: its number and the order.
#[derive(Debug)]
struct Job {
    load: u64,
    order: NameOrder,
}

impl Prepared {
    /// A navigation started: writes the snapshot its page will ask for, off the main thread.
    pub fn on_navigation(&self, registry: &Registry) {
        if let Some(job) = self.navigated() {
            let this = self.clone();
            let registry = registry.clone();
            tauri::async_runtime::spawn_blocking(move || this.write(&registry, job));
        }
    }

    /// Counts the navigation; what to write for it, once the page has asked before.
    fn navigated(&self) -> Option<Job> {
        let load = self.0.loads.fetch_add(1, Ordering::SeqCst) + 1;
        let order = self.0.order.lock().clone()?;
        Some(Job { load, order })
    }

    /// Writes the snapshot for `job`'s navigation, unless its page asked first or another
    /// navigation started meanwhile (its page will not ask for this one).
    fn write(&self, registry: &Registry, job: Job) {
        let mut ready = self.0.ready.lock();
        let current = self.0.loads.load(Ordering::SeqCst) == job.load;
        if !current || self.0.asked.load(Ordering::SeqCst) >= job.load {
            return;
        }
        match PreparedSnapshot::write(registry, Some(job.order)) {
            Ok(p) => {
                tracing::debug!(
                    bytes = p.len(),
                    "snapshot written ahead of the page's request"
                );
                *ready = Some((job.load, p));
            }
            Err(e) => tracing::warn!(error = %e, "the snapshot could not be written ahead"),
        }
    }

    /// The page asks, in `order`: the snapshot written for its navigation, if any (waiting
    /// while it is being written). The order is kept for the next navigation.
    pub fn take(&self, order: Option<&NameOrder>) -> Option<PreparedSnapshot> {
        self.0.order.lock().clone_from(&order.cloned());
        let load = self.0.loads.load(Ordering::SeqCst);
        self.0.asked.store(load, Ordering::SeqCst);
        let (written_for, p) = self.0.ready.lock().take()?;
        // One written for an earlier navigation whose page never asked: not this page's.
        (written_for == load).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff::container::Container;
    use skiff::watcher::{EngineState, EngineStatus, WatchEvent};

    /// The page's places in code order.
    fn order() -> NameOrder {
        NameOrder::new(&(1..=95).collect::<Vec<u8>>()).unwrap()
    }

    async fn registry_of(rows: usize) -> Registry {
        let registry = Registry::new();
        let tx = registry.attach("podman");
        let status = EngineStatus::new("podman", "unix:///x", EngineState::Connected);
        tx.send(WatchEvent::Status(status)).await.unwrap();
        tx.send(WatchEvent::Init).await.unwrap();
        for i in 0..rows {
            let c = Container::new("podman", &format!("{i:04x}"), &format!("c{i}"), "running");
            tx.send(WatchEvent::InitApply(c)).await.unwrap();
        }
        tx.send(WatchEvent::InitDone).await.unwrap();
        for _ in 0..200 {
            if registry.snapshot().containers.len() == rows {
                return registry;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the registry did not fill");
    }

    #[tokio::test]
    async fn nothing_is_written_before_the_page_has_asked_once() {
        let registry = registry_of(3).await;
        let prepared = Prepared::default();
        assert!(prepared.navigated().is_none());
        // Asked without an order: still nothing to write in.
        assert!(prepared.take(None).is_none());
        assert!(prepared.navigated().is_none());
        // Asked in an order: the next navigation writes for it, in that order.
        assert!(prepared.take(Some(&order())).is_none());
        let job = prepared.navigated().expect("a job once the page has asked");
        assert_eq!(job.order, order());
        prepared.write(&registry, job);
        let p = prepared.take(Some(&order())).expect("written ahead");
        assert!(p.len() > 100, "{}", p.len());
        // Taken once.
        assert!(prepared.take(Some(&order())).is_none());
    }

    #[tokio::test]
    async fn a_page_that_asked_first_or_a_newer_navigation_leaves_nothing_written() {
        let registry = registry_of(3).await;
        let prepared = Prepared::default();
        prepared.take(Some(&order()));
        // The page asked before the thread got to write: nothing is written for it.
        let job = prepared.navigated().unwrap();
        assert!(prepared.take(Some(&order())).is_none());
        prepared.write(&registry, job);
        assert!(prepared.0.ready.lock().is_none());
        // A second navigation started before the first one's thread wrote: its page will ask
        // for the second one's.
        let first = prepared.navigated().unwrap();
        let second = prepared.navigated().unwrap();
        prepared.write(&registry, first);
        assert!(prepared.0.ready.lock().is_none());
        prepared.write(&registry, second);
        assert!(prepared.take(Some(&order())).is_some());
        // Written for a navigation whose page never asked: not given to the next page.
        let job = prepared.navigated().unwrap();
        prepared.write(&registry, job);
        prepared.navigated().unwrap();
        assert!(prepared.take(Some(&order())).is_none());
    }
}
