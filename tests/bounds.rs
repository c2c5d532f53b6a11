//! Every collection Skiff keeps is bounded by count and by bytes, whatever an engine sends: a
//! flood of events for ids it never listed, and names of a megabyte.

mod support;

use std::time::Duration;

use skiff::container::FIELD_CAP;
use skiff::engine::events::RawEvent;
use skiff::registry::{Change, Registry, RegistryEvent};
use skiff::watcher::WatchEvent;

/// An event whose name and image are both `name` (a megabyte of each, in the worst case).
fn event(id: String, action: &str, name: &str, t: i64) -> RawEvent {
    let mut e = support::fixtures::event(action, &id, name, t);
    e.attributes.insert("image".into(), name.to_owned());
    e
}

#[tokio::test]
async fn a_thousand_events_with_megabyte_names_stay_under_the_byte_caps() {
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let feed = registry.attach("e");
    let huge = "n".repeat(1 << 20);
    for i in 0..1000_i64 {
        feed.send(WatchEvent::Event(event(
            format!("{i:064x}"),
            "create",
            &huge,
            i,
        )))
        .await
        .unwrap();
    }
    let snapshot = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let s = registry.snapshot();
            if s.containers.len() == 1000 {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("1000 rows");
    let row_bytes: usize = snapshot
        .containers
        .iter()
        .map(|c| c.name.len() + c.image.len())
        .sum();
    assert!(snapshot
        .containers
        .iter()
        .all(|c| c.name.len() <= FIELD_CAP));
    assert!(row_bytes <= 2 * 1000 * FIELD_CAP, "{row_bytes}");
    let history_bytes: usize = registry
        .history()
        .iter()
        .map(|r| r.name.as_ref().map_or(0, String::len))
        .sum();
    assert!(history_bytes <= 1000 * FIELD_CAP, "{history_bytes}");
    // What the fan-out carried was the bounded row too.
    let mut fanned = 0;
    while let Ok(item) = rx.try_recv() {
        if let RegistryEvent::Delta(d) = item {
            if let Change::Upsert { container } = d.change {
                assert!(container.name.len() <= FIELD_CAP);
                fanned += 1;
            }
        }
    }
    assert_eq!(fanned, 1000);
    // 1000 MiB of names arrived; about 2 MiB is kept.
    println!("1000 events with 1 MiB names: {row_bytes} bytes of names kept in rows, {history_bytes} in history");
}

#[tokio::test]
async fn handlers_whose_consumer_is_gone_are_pruned() {
    let registry = Registry::new();
    for _ in 0..100 {
        let metrics = registry.handler("cli-watch");
        drop(metrics);
    }
    let kept = registry.handler("ui-bridge");
    let names: Vec<String> = registry
        .handler_reports()
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(names, ["ui-bridge"], "{names:?}");
    drop(kept);
}
