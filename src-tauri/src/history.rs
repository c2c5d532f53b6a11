//! The Events page's feed: the registry's history, pushed to the page as records are kept.
//!
//! The page used to ask for the whole history every 2 s while open: 1,000 records serialized,
//! sent and parsed 30 times a minute whether anything happened or not, and a new event shown up
//! to 2 s late. Now a view waits on the history's count and sends what came after the last
//! record it sent: nothing while the engines are quiet, each record as soon as it is kept.

use skiff::registry::{HistoryPage, Registry};
use skiff::shutdown::{Shutdown, ShutdownTrigger};
use tauri::ipc::Channel;
use tauri::State;

use crate::opened::Opened;

/// Events views open at once at most (one page, and one being reloaded).
const MAX_VIEWS: usize = 2;

/// The open events views, each ended by dropping its trigger.
#[derive(Debug)]
pub struct EventsViews(pub(crate) Opened<ShutdownTrigger>);

impl Default for EventsViews {
    fn default() -> Self {
        Self(Opened::new(MAX_VIEWS))
    }
}

/// Sends the history into `pages` (first every record kept, then each record as it comes)
/// until [`close_events`] or until the window goes away; returns the view's id.
#[tauri::command]
pub fn open_events(
    registry: State<'_, Registry>,
    views: State<'_, EventsViews>,
    pages: Channel<HistoryPage>,
) -> u32 {
    let (trigger, shutdown) = skiff::shutdown::channel();
    let view = views.0.number();
    views.0.insert(view, trigger);
    let registry = registry.inner().clone();
    tauri::async_runtime::spawn(follow(registry, shutdown, move |page| {
        pages.send(page).is_ok()
    }));
    view
}

/// Stops a view (an unknown one is already closed).
#[tauri::command]
pub fn close_events(views: State<'_, EventsViews>, view: u32) {
    views.0.remove(view);
}

/// Hands `send` every page of the history: the whole of it first, then after each change what
/// came after the last record sent. Ends at `shutdown`, when `send` says the page is gone, or
/// with the registry.
async fn follow(registry: Registry, shutdown: Shutdown, mut send: impl FnMut(HistoryPage) -> bool) {
    let mut changes = registry.history_changes();
    let ended = shutdown.wait();
    tokio::pin!(ended);
    let mut since = None;
    loop {
        // Seen before the read: a record kept after it wakes the wait below at once.
        changes.borrow_and_update();
        let page = registry.history_since(since);
        since = Some(page.seq);
        if (page.reset || !page.records.is_empty()) && !send(page) {
            return;
        }
        tokio::select! {
            alive = changes.changed() => if alive.is_err() { return },
            () = &mut ended => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff::engine::events::RawEvent;
    use skiff::watcher::WatchEvent;
    use tokio::sync::mpsc;

    fn start(n: usize) -> WatchEvent {
        WatchEvent::Event(RawEvent {
            typ: "container".into(),
            action: "start".into(),
            id: format!("{n:064x}"),
            attributes: [("name".to_owned(), format!("c{n}"))].into(),
            time_nano: 1,
        })
    }

    #[tokio::test]
    async fn a_view_gets_the_history_then_each_new_record_once_and_ends_with_its_trigger() {
        let registry = Registry::new();
        let tx = registry.attach("podman");
        tx.send(start(1)).await.expect("applied");
        while registry.history().is_empty() {
            tokio::task::yield_now().await;
        }
        let (pages_tx, mut pages) = mpsc::unbounded_channel();
        let (trigger, shutdown) = skiff::shutdown::channel();
        let task = tokio::spawn(follow(registry.clone(), shutdown, move |p| {
            pages_tx.send(p).is_ok()
        }));
        let first = pages.recv().await.expect("the first page");
        assert!(first.reset);
        assert_eq!(first.records.len(), 1);
        for n in 2..=4 {
            tx.send(start(n)).await.expect("applied");
        }
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let page = pages.recv().await.expect("a page");
            assert!(!page.reset, "a follower that kept up is never reset");
            seen.extend(page.records.into_iter().filter_map(|r| r.name));
        }
        assert_eq!(seen, ["c2", "c3", "c4"], "each record once, in order");
        drop(trigger);
        task.await.expect("the view ends");
        assert!(pages.try_recv().is_err(), "nothing after the last record");
    }

    #[tokio::test]
    async fn a_view_whose_page_is_gone_ends_at_the_next_record() {
        let registry = Registry::new();
        let tx = registry.attach("podman");
        let (_trigger, shutdown) = skiff::shutdown::channel();
        let (pages_tx, mut pages) = mpsc::unbounded_channel();
        // The page takes the first page, then is gone.
        let mut sent = 0;
        let task = tokio::spawn(follow(registry.clone(), shutdown, move |p| {
            sent += 1;
            let _ = pages_tx.send(p);
            sent == 1
        }));
        let first = pages.recv().await.expect("the first page");
        assert!(first.reset && first.records.is_empty());
        assert!(!task.is_finished(), "the view waits for a record");
        tx.send(start(1)).await.expect("applied");
        tokio::time::timeout(std::time::Duration::from_secs(10), task)
            .await
            .expect("ended")
            .expect("no panic");
    }
}
