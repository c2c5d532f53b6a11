//! The container detail view's commands: its log, followed through a Tauri `ipc::Channel`
//! (made for streaming, unlike global events) in batches of lines, and its inspect document.
//! The following, the batching and the joining are the core's (`skiff::container_logs`); this
//! only checks the webview's arguments and owns the open views.

use parking_lot::Mutex;
use std::sync::Arc;

use skiff::container_logs::{Batcher, Follow, Line, Start};
use skiff::engine::{LogQuery, Tail};
use skiff::ipc::IpcError;
use skiff::registry::{ActionError, Registry};
use skiff::shutdown::ShutdownTrigger;
use tauri::ipc::Channel;
use tauri::State;

use crate::opened::Opened;

/// Log views open at once at most: opening one more closes the oldest (a reloaded window
/// cannot leave followers behind without bound).
const MAX_VIEWS: usize = 8;

/// The most lines a view may ask to start with.
const MAX_TAIL: u32 = 100_000;

/// The most lines one page back may ask for.
const MAX_PAGE: u32 = 10_000;

/// The open log views, each ended by dropping its trigger.
#[derive(Debug)]
pub struct LogViews(pub(crate) Opened<View>);

impl Default for LogViews {
    fn default() -> Self {
        Self(Opened::new(MAX_VIEWS))
    }
}

#[derive(Debug)]
pub(crate) struct View {
    engine: String,
    id: String,
    /// Where the view's lines begin, for paging back.
    start: Arc<Mutex<Start>>,
    _following: ShutdownTrigger,
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
    let view = views.0.number();
    let start = Arc::new(Mutex::new(Start::default()));
    views.0.insert(
        view,
        View {
            engine: engine.clone(),
            id: id.clone(),
            start: start.clone(),
            _following: trigger,
        },
    );
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
    // The follow hands batches to the pacer, which lets one a frame through to the webview.
    let (paced, to_pace) = tokio::sync::mpsc::unbounded_channel();
    tauri::async_runtime::spawn(skiff::container_logs::pace(to_pace, move |batch| {
        lines.send(batch).map_err(std::io::Error::other)
    }));
    tauri::async_runtime::spawn(async move {
        let mut batcher = Batcher::new(|batch: Vec<Line>| {
            start.lock().observe(&batch);
            paced
                .send(batch)
                .map_err(|_| std::io::Error::other("the view is gone"))
        });
        let ended = follow.run(&mut batcher, shutdown).await;
        let _ = batcher.finish();
        if let Err(e) = ended {
            tracing::debug!(%engine, %id, error = %e, "log view ended");
        }
    });
    Ok(view)
}

/// Up to `count` lines before the first one view `view` holds (oldest first); none once it
/// holds the log's beginning. Not for pods: Kubernetes cannot read a log up to a time.
#[tauri::command]
pub async fn older_logs(
    registry: State<'_, Registry>,
    views: State<'_, LogViews>,
    view: u32,
    count: u32,
) -> Result<Vec<Line>, IpcError> {
    if count == 0 || count > MAX_PAGE {
        return Err(IpcError::invalid_argument(format!(
            "a page is 1 to {MAX_PAGE} lines"
        )));
    }
    let (engine, id, start) = views
        .0
        .with(view, |v| (v.engine.clone(), v.id.clone(), v.start.clone()))
        .ok_or_else(|| IpcError::invalid_argument(format!("no log view {view}")))?;
    let mut moved = start.lock().clone();
    let (_keep, shutdown) = skiff::shutdown::channel();
    let page = skiff::container_logs::older(
        registry.inner(),
        &engine,
        &id,
        &mut moved,
        count as usize,
        shutdown,
    )
    .await
    .map_err(|e| IpcError::engine(e.to_string()))?;
    *start.lock() = moved;
    Ok(page)
}

/// Stops following a view's log (unknown views are already closed).
#[tauri::command]
pub fn close_logs(views: State<'_, LogViews>, view: u32) {
    views.0.remove(view);
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

/// "Save…" in the log view: asks where in a native save dialog, then writes the container's
/// whole log there (the engine's bytes, both streams in order; `timestamps` as the view shows
/// them). Returns the path written, or `None` when the user cancelled.
#[tauri::command]
pub async fn save_log(
    app: tauri::AppHandle,
    registry: State<'_, Registry>,
    engine: String,
    id: String,
    timestamps: bool,
) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    crate::commands::known_engine(&registry, &engine)?;
    crate::commands::container_id(&id)?;
    let name = registry
        .container(&engine, &id)
        .map_or_else(|| id.chars().take(12).collect(), |c| c.name);
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the container's log")
        .set_file_name(format!("{name}.log"))
        .add_filter("Log", &["log", "txt"])
        .save_file(move |picked| {
            let _ = tx.send(picked);
        });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| IpcError::invalid_argument(format!("not a local file: {e}")))?;
    // Not tied to the view: a save the user asked for finishes even if they go back to the list.
    let (_keep, shutdown) = skiff::shutdown::channel();
    let saved =
        skiff::container_logs::save(registry.inner(), &engine, &id, &path, timestamps, shutdown)
            .await
            .map_err(|e| match e {
                skiff::container_logs::SaveError::File { .. } => {
                    IpcError::unavailable(e.to_string())
                }
                skiff::container_logs::SaveError::Log(_) => IpcError::engine(e.to_string()),
            })?;
    tracing::info!(bytes = saved.bytes, path = %path.display(), "log saved");
    Ok(Some(path.display().to_string()))
}
