//! Live stats for the window: the CPU and memory columns of the running rows on screen, and the
//! detail view's charts. Each view is a core [`Board`] fed the containers it shows; its samples
//! reach the webview through a Tauri `ipc::Channel`, each batch as soon as it is ready.

use skiff::container_stats::{Board, ContainerRef, Sample};
use skiff::ipc::IpcError;
use skiff::registry::Registry;
use tauri::ipc::Channel;

use crate::opened::Opened;
use tauri::State;

/// Stats views open at once at most: opening one more closes the oldest.
const MAX_VIEWS: usize = 4;

/// Containers one view may follow at once (rows on screen: a tall window shows about 60).
const MAX_SHOWN: usize = 100;

/// The open stats views.
#[derive(Debug)]
pub struct StatsViews(pub(crate) Opened<Board>);

impl Default for StatsViews {
    fn default() -> Self {
        Self(Opened::new(MAX_VIEWS))
    }
}

/// Opens a stats view whose samples go to `samples`; it follows nothing until [`show_stats`].
#[tauri::command]
pub async fn open_stats(
    registry: State<'_, Registry>,
    views: State<'_, StatsViews>,
    samples: Channel<Vec<Sample>>,
) -> Result<u32, IpcError> {
    let (board, mut rx) = Board::new(registry.inner().clone(), MAX_SHOWN);
    let view = views.0.number();
    views.0.insert(view, board);
    // Ends when the board is gone and its follows with it (their senders dropped).
    tauri::async_runtime::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            if samples.send(batch).is_err() {
                break;
            }
        }
    });
    Ok(view)
}

/// Follows exactly `containers` in `view` (at most 100; pods and unknown ones are skipped);
/// returns how many are followed.
#[tauri::command]
pub async fn show_stats(
    views: State<'_, StatsViews>,
    view: u32,
    containers: Vec<ContainerRef>,
) -> Result<u32, IpcError> {
    if containers.len() > MAX_SHOWN {
        return Err(IpcError::invalid_argument(format!(
            "at most {MAX_SHOWN} containers a view"
        )));
    }
    for c in &containers {
        crate::commands::container_id(&c.id)?;
    }
    let shown = views
        .0
        .with(view, |board| {
            board.show(containers.into_iter().map(|c| (c.engine, c.id)))
        })
        .ok_or_else(|| IpcError::invalid_argument(format!("no stats view {view}")))?;
    Ok(u32::try_from(shown).unwrap_or(u32::MAX))
}

/// Stops a view's stats (unknown views are already closed).
#[tauri::command]
pub fn close_stats(views: State<'_, StatsViews>, view: u32) {
    views.0.remove(view);
}
