//! The detail view's terminal: a session (the core's `engine::Session`) whose output reaches
//! xterm.js through a Tauri `ipc::Channel` as raw bytes (no JSON array of numbers), paced by the
//! bytes the window acknowledges after xterm.js rendered them (`skiff::terminal::Credit`). What
//! the user types comes back through `terminal_input` (a Tauri channel only goes to the
//! webview), into a bounded queue.

use std::sync::Arc;

use bytes::Bytes;
use skiff::engine::Control;
use skiff::ipc::IpcError;
use skiff::registry::Registry;
use skiff::shutdown::ShutdownTrigger;
use skiff::terminal::{Credit, TerminalOpened, TerminalOptions};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

use crate::opened::Opened;

/// Terminals open at once at most: opening one more closes the oldest (a reloaded window
/// cannot leave sessions behind without bound).
const MAX_SESSIONS: usize = 16;

/// The most one `terminal_input` may carry (a large paste); more is refused, not truncated.
const MAX_INPUT: usize = 1 << 20;

/// Input is queued in pieces of this size, so a paste cannot hold the queue in one write.
const INPUT_PIECE: usize = 16 * 1024;

/// The open terminals.
pub struct Terminals(pub(crate) Opened<Open>);

impl Default for Terminals {
    fn default() -> Self {
        Self(Opened::new(MAX_SESSIONS))
    }
}

pub(crate) struct Open {
    handles: Handles,
    _stop: ShutdownTrigger,
}

/// What the commands of an open terminal reach it by.
#[derive(Clone)]
struct Handles {
    typed: tokio::sync::mpsc::Sender<Bytes>,
    control: Arc<dyn Control>,
    credit: Arc<Credit>,
}

impl Terminals {
    fn get(&self, session: u32) -> Result<Handles, IpcError> {
        self.0
            .with(session, |o| o.handles.clone())
            .ok_or_else(|| IpcError::invalid_argument(format!("no terminal {session}")))
    }
}

/// Opens a terminal in container `id` of `engine`; its output, then how it ended, go to
/// `output` (see `skiff::terminal::TAG_OUTPUT`).
#[tauri::command]
pub async fn open_terminal(
    registry: State<'_, Registry>,
    terminals: State<'_, Terminals>,
    engine: String,
    id: String,
    options: TerminalOptions,
    output: Channel<InvokeResponseBody>,
) -> Result<TerminalOpened, IpcError> {
    crate::commands::known_engine(&registry, &engine)?;
    crate::commands::container_id(&id)?;
    let request = options.request().map_err(IpcError::invalid_argument)?;
    let session = registry
        .terminal(&engine, &id, request)
        .await
        .map_err(|e| IpcError::engine(e.message))?;
    let number = terminals.0.number();
    let opened = TerminalOpened {
        session: number,
        command: session.command.clone(),
        tty: session.tty,
    };
    let control = session.control.clone();
    let credit = Arc::new(Credit::default());
    let (stop, shutdown) = skiff::shutdown::channel();
    let data = output.clone();
    let typed = skiff::terminal::start(
        session,
        credit.clone(),
        move |bytes| {
            data.send(InvokeResponseBody::Raw(skiff::terminal::output_message(
                &bytes,
            )))
            .is_ok()
        },
        move |ending| {
            let _ = output.send(InvokeResponseBody::Raw(skiff::terminal::ended_message(
                &ending,
            )));
        },
        registry.engine_lost(&engine),
        shutdown,
    );
    terminals.0.insert(
        number,
        Open {
            handles: Handles {
                typed,
                control,
                credit,
            },
            _stop: stop,
        },
    );
    Ok(opened)
}

/// What the user typed or pasted into terminal `session`.
#[tauri::command]
pub async fn terminal_input(
    terminals: State<'_, Terminals>,
    session: u32,
    data: String,
) -> Result<(), IpcError> {
    if data.len() > MAX_INPUT {
        return Err(IpcError::invalid_argument(format!(
            "at most {} KiB of input at once",
            MAX_INPUT >> 10
        )));
    }
    let typed = terminals.get(session)?.typed;
    let bytes = Bytes::from(data.into_bytes());
    for start in (0..bytes.len()).step_by(INPUT_PIECE) {
        let piece = bytes.slice(start..(start + INPUT_PIECE).min(bytes.len()));
        // Waits while the queue is full (the process is not reading): the window's next
        // keystroke waits too, instead of memory growing.
        if typed.send(piece).await.is_err() {
            return Err(IpcError::invalid_argument(format!(
                "terminal {session} has ended"
            )));
        }
    }
    Ok(())
}

/// Terminal `session`'s pane is now `rows`×`cols`.
#[tauri::command]
pub async fn terminal_resize(
    terminals: State<'_, Terminals>,
    session: u32,
    rows: u16,
    cols: u16,
) -> Result<(), IpcError> {
    let size = skiff::terminal::size(rows, cols).map_err(IpcError::invalid_argument)?;
    let control = terminals.get(session)?.control;
    control
        .resize(size)
        .await
        .map_err(|e| IpcError::engine(e.to_string()))
}

/// xterm.js rendered `bytes` more of terminal `session`'s output.
#[tauri::command]
pub fn terminal_ack(
    terminals: State<'_, Terminals>,
    session: u32,
    bytes: u32,
) -> Result<(), IpcError> {
    terminals.get(session)?.credit.ack(u64::from(bytes));
    Ok(())
}

/// Closes terminal `session` (an exec'd shell gets its hang-up; an attached process runs on).
/// Unknown sessions are already closed.
#[tauri::command]
pub fn close_terminal(terminals: State<'_, Terminals>, session: u32) {
    terminals.0.remove(session);
}
