//! The container detail view's commands: its log, followed through a Tauri `ipc::Channel`
//! (made for streaming, unlike global events) in batches of lines, and its inspect document.
//! The following, the batching and the joining are the core's (`skiff::container_logs`); this
//! only checks the webview's arguments and owns the open views.

use std::collections::BTreeMap;

use parking_lot::Mutex;
use skiff::container_logs::{Batcher, Follow, Line};
use skiff::engine::{LogQuery, Tail};
use skiff::ipc::IpcError;
use skiff::registry::{ActionError, Registry};
use skiff::shutdown::ShutdownTrigger;
use tauri::ipc::Channel;
use tauri::State;

/// Log views open at once at most: opening one more closes the oldest (a reloaded window
/// cannot leave followers behind without bound).
const MAX_VIEWS: usize = 8;

/// The most lines a view may ask to start with.
const MAX_TAIL: u32 = 100_000;

/// The open log views, each ended by dropping its trigger.
#[derive(Debug, Default)]
pub struct LogViews {
    open: Mutex<BTreeMap<u32, ShutdownTrigger>>,
    next: Mutex<u32>,
}

/// Follows a container's log into `lines` (the last `tail` lines first, default 1000) until
/// [`close_logs`] or until the window goes away; returns the view's id.
#[tauri::command]
pub fn open_logs(
    registry: State<'_, Registry>,
    views: State<'_, LogViews>,
    engine: String,
    id: String,
    tail: Option<u32>,
    lines: Channel<Vec<Line>>,
) -> Result<u32, IpcError> {
    crate::commands::known_engine(&registry, &engine)?;
    crate::commands::container_id(&id)?;
    let tail = tail.unwrap_or(1000);
    if tail > MAX_TAIL {
        return Err(IpcError::invalid_argument(format!(
            "tail is at most {MAX_TAIL} lines"
        )));
    }
    let (trigger, shutdown) = skiff::shutdown::channel();
    let view = {
        let mut next = views.next.lock();
        *next = next.wrapping_add(1);
        *next
    };
    {
        let mut open = views.open.lock();
        open.insert(view, trigger);
        while open.len() > MAX_VIEWS {
            open.pop_first();
        }
    }
    let mut follow = Follow::new(
        registry.inner().clone(),
        &engine,
        &id,
        LogQuery {
            follow: true,
            tail: Tail::Last(u64::from(tail)),
            ..LogQuery::default()
        },
    );
    tauri::async_runtime::spawn(async move {
        let mut batcher =
            Batcher::new(|batch: Vec<Line>| lines.send(batch).map_err(std::io::Error::other));
        let ended = follow.run(&mut batcher, shutdown).await;
        let _ = batcher.finish();
        if let Err(e) = ended {
            tracing::debug!(%engine, %id, error = %e, "log view ended");
        }
    });
    Ok(view)
}

/// Stops following a view's log (unknown views are already closed).
#[tauri::command]
pub fn close_logs(views: State<'_, LogViews>, view: u32) {
    views.open.lock().remove(&view);
}

/// The engine's own inspect document of a container (a pod's object).
#[tauri::command]
pub async fn inspect_container(
    registry: State<'_, Registry>,
    engine: String,
    id: String,
) -> Result<serde_json::Value, ActionError> {
    let invalid =
        |e: IpcError| ActionError::new(skiff::registry::ActionErrorKind::Invalid, e.message);
    crate::commands::known_engine(&registry, &engine).map_err(invalid)?;
    crate::commands::container_id(&id).map_err(invalid)?;
    registry.inspect(&engine, &id).await
}
