//! A terminal session relayed to a view that renders at its own pace (the window's xterm.js),
//! with flow control: the view acknowledges the bytes it has rendered, and the relay stops
//! reading the engine while too many are unacknowledged. The engine's socket buffer then fills
//! and the process in the container blocks on its next write, as it would on a slow real
//! terminal: a container printing megabytes costs the window a bounded amount of memory and
//! never freezes it.
//!
//! The watermarks are xterm.js's own advice for its write callbacks (pause above a high mark,
//! resume below a low one, so acknowledging costs one message per many chunks, not one per
//! chunk). Both directions stay bounded: the output by the credit, the input by a small queue
//! whose sender waits when the process does not read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::{mpsc, Notify};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::{Ending, Mode, Output, Session, TermSize, TerminalRequest};
use crate::shutdown::Shutdown;

/// What the window opens: a shell, or the main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "TerminalMode.ts")]
pub enum TerminalMode {
    /// `bash`, else `sh`, as `user` in `workdir`.
    Shell,
    /// The container's main process (its TTY when it has one).
    Attach,
}

/// The window's request for a terminal, validated by [`TerminalOptions::request`]: it comes
/// from a webview, which is not trusted with the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "TerminalOptions.ts")]
pub struct TerminalOptions {
    pub mode: TerminalMode,
    /// User to run the shell as (`name`, `uid`, `uid:gid`); the image's default when absent.
    pub user: Option<String>,
    /// Working directory of the shell; the image's default when absent.
    pub workdir: Option<String>,
    pub rows: u16,
    pub cols: u16,
}

/// A terminal the window opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "TerminalOpened.ts")]
pub struct TerminalOpened {
    pub session: u32,
    /// What runs (`["bash"]`); empty for an attach.
    pub command: Vec<String>,
    pub tty: bool,
}

/// A terminal no engine could size: larger than any screen.
pub const MAX_CELLS: u16 = 1000;

/// Longest user or directory accepted (a path longer than Linux's `PATH_MAX` cannot be one).
const MAX_FIELD: usize = 4096;

impl TerminalOptions {
    /// The session to open, or what is wrong with the request.
    pub fn request(&self) -> Result<TerminalRequest, String> {
        let field = |name: &str, v: &Option<String>| -> Result<Option<String>, String> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(v) if v.len() > MAX_FIELD => {
                    Err(format!("{name} is longer than {MAX_FIELD} bytes"))
                }
                Some(v) if v.chars().any(char::is_control) => {
                    Err(format!("{name} has a control character"))
                }
                Some(v) => Ok(Some(v.to_owned())),
            }
        };
        let size = size(self.rows, self.cols)?;
        let mode = match self.mode {
            TerminalMode::Shell => Mode::Shell {
                user: field("user", &self.user)?,
                workdir: field("working directory", &self.workdir)?,
            },
            TerminalMode::Attach => Mode::Attach { stdin: true },
        };
        Ok(TerminalRequest {
            mode,
            size: Some(size),
        })
    }
}

/// A size from the window: 1 to [`MAX_CELLS`] each way.
pub fn size(rows: u16, cols: u16) -> Result<TermSize, String> {
    if rows == 0 || cols == 0 || rows > MAX_CELLS || cols > MAX_CELLS {
        return Err(format!(
            "a terminal is 1 to {MAX_CELLS} rows and columns, not {rows}×{cols}"
        ));
    }
    Ok(TermSize { rows, cols })
}

/// The window's channel carries one kind of message, so that their order holds: a tag byte,
/// then the output's bytes ([`TAG_OUTPUT`]) or the [`Ending`] as JSON ([`TAG_ENDED`], last).
pub const TAG_OUTPUT: u8 = 0;
/// See [`TAG_OUTPUT`].
pub const TAG_ENDED: u8 = 1;

/// The message carrying `bytes` of output.
#[must_use]
pub fn output_message(bytes: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(bytes.len() + 1);
    message.push(TAG_OUTPUT);
    message.extend_from_slice(bytes);
    message
}

/// The last message: how the session ended.
#[must_use]
pub fn ended_message(ending: &Ending) -> Vec<u8> {
    let mut message = vec![TAG_ENDED];
    // An `Ending` is strings and numbers: it always serializes.
    message.extend(serde_json::to_vec(ending).unwrap_or_default());
    message
}

/// Unacknowledged bytes above which the relay stops reading.
pub const HIGH_WATER: u64 = 512 * 1024;
/// Unacknowledged bytes below which it reads again.
pub const LOW_WATER: u64 = 128 * 1024;

/// What the view has not yet acknowledged.
#[derive(Debug, Default)]
pub struct Credit {
    sent: AtomicU64,
    acked: AtomicU64,
    freed: Notify,
}

impl Credit {
    /// The view rendered `bytes` more (an ack larger than what was sent counts as all of it: a
    /// view cannot make the relay read ahead by over-acknowledging).
    pub fn ack(&self, bytes: u64) {
        let sent = self.sent.load(Ordering::Acquire);
        let _ = self
            .acked
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                Some(a.saturating_add(bytes).min(sent))
            });
        if self.in_flight() < LOW_WATER {
            self.freed.notify_one();
        }
    }

    /// Bytes sent and not yet acknowledged.
    #[must_use]
    pub fn in_flight(&self) -> u64 {
        self.sent
            .load(Ordering::Acquire)
            .saturating_sub(self.acked.load(Ordering::Acquire))
    }

    fn sent(&self, bytes: usize) {
        self.sent.fetch_add(bytes as u64, Ordering::AcqRel);
    }

    /// Waits until reading may go on: at once below the high mark; once paused, until the
    /// view is back below the low one.
    async fn room(&self) {
        if self.in_flight() < HIGH_WATER {
            return;
        }
        loop {
            let freed = self.freed.notified();
            if self.in_flight() < LOW_WATER {
                return;
            }
            freed.await;
        }
    }
}

/// Relays `output` to `send` (both streams merged, as a terminal shows them) as long as the
/// view keeps up, then returns how the session ended. Ends early, as detached, when `shutdown`
/// fires (the view closed) or `send` fails (the view is gone); as lost when `lost` resolves
/// (the engine's watcher lost the engine: see `Registry::engine_lost`).
pub async fn relay(
    mut output: futures_util::stream::BoxStream<'static, std::io::Result<Output>>,
    control: &dyn crate::engine::Control,
    credit: &Credit,
    mut send: impl FnMut(Bytes) -> bool,
    lost: impl std::future::Future<Output = String>,
    shutdown: Shutdown,
) -> Ending {
    let closed = shutdown.wait();
    tokio::pin!(closed);
    tokio::pin!(lost);
    let cut = loop {
        tokio::select! {
            () = credit.room() => {}
            () = &mut closed => return Ending::Detached,
            message = &mut lost => return Ending::Lost { message },
        }
        let item = tokio::select! {
            item = output.next() => item,
            () = &mut closed => return Ending::Detached,
            message = &mut lost => return Ending::Lost { message },
        };
        match item {
            None => break None,
            Some(Err(e)) => break Some(e.to_string()),
            Some(Ok(Output::Stdout(b) | Output::Stderr(b))) => {
                credit.sent(b.len());
                if !send(b) {
                    return Ending::Detached;
                }
            }
        }
    };
    control.ending(cut).await
}

/// The input side: what is typed, queued and written in order until the queue's senders are
/// gone (then the process's stdin is closed: its end of file) or the process stops reading.
pub async fn feed(
    mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    mut typed: mpsc::Receiver<Bytes>,
) {
    while let Some(bytes) = typed.recv().await {
        if input.write_all(&bytes).await.is_err() || input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}

/// A session split for a view: its output relayed with `credit`, its input fed from a queue.
/// Returns the queue's sender; `on_end` gets how the session ended.
pub fn start(
    session: Session,
    credit: Arc<Credit>,
    send: impl FnMut(Bytes) -> bool + Send + 'static,
    on_end: impl FnOnce(Ending) + Send + 'static,
    lost: impl std::future::Future<Output = String> + Send + 'static,
    shutdown: Shutdown,
) -> mpsc::Sender<Bytes> {
    let (typed, queue) = mpsc::channel(16);
    let Session {
        output,
        input,
        control,
        ..
    } = session;
    let feeding = tokio::spawn(feed(input, queue));
    tokio::spawn(async move {
        let ending = relay(output, control.as_ref(), &credit, send, lost, shutdown).await;
        feeding.abort();
        on_end(ending);
    });
    typed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use futures_util::future::BoxFuture;
    use futures_util::FutureExt as _;
    use parking_lot::Mutex;

    use super::*;
    use crate::engine::{Control, EngineError, TermSize};

    struct Exits(i64);
    impl Control for Exits {
        fn resize(&self, _: TermSize) -> BoxFuture<'static, Result<(), EngineError>> {
            async { Ok(()) }.boxed()
        }
        fn ending(&self, _: Option<String>) -> BoxFuture<'static, Ending> {
            let code = self.0;
            async move { Ending::Exited { code } }.boxed()
        }
    }

    /// An endless process printing 64 KiB chunks, counting what was read of it.
    fn endless(
        read: Arc<AtomicU64>,
    ) -> futures_util::stream::BoxStream<'static, std::io::Result<Output>> {
        futures_util::stream::repeat_with(move || {
            read.fetch_add(65_536, Ordering::SeqCst);
            Ok(Output::Stdout(Bytes::from(vec![b'x'; 65_536])))
        })
        .boxed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_view_that_does_not_acknowledge_stops_the_reading_at_the_high_mark() {
        let read = Arc::new(AtomicU64::new(0));
        let credit = Arc::new(Credit::default());
        let got = Arc::new(AtomicU64::new(0));
        let (trigger, shutdown) = crate::shutdown::channel();
        let relayed = {
            let (credit, got, read) = (credit.clone(), got.clone(), read.clone());
            tokio::spawn(async move {
                relay(
                    endless(read),
                    &Exits(0),
                    &credit,
                    |b| {
                        got.fetch_add(b.len() as u64, Ordering::SeqCst);
                        true
                    },
                    std::future::pending(),
                    shutdown,
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(got.load(Ordering::SeqCst), HIGH_WATER, "stops at the mark");
        assert_eq!(
            read.load(Ordering::SeqCst),
            HIGH_WATER,
            "and reads no further"
        );

        // Acknowledging a little is not enough; down to the low mark resumes.
        credit.ack(HIGH_WATER - LOW_WATER - 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(got.load(Ordering::SeqCst), HIGH_WATER);
        credit.ack(2);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = got.load(Ordering::SeqCst);
        assert!(
            after > HIGH_WATER && credit.in_flight() >= HIGH_WATER,
            "{after}"
        );

        // Over-acknowledging does not buy read-ahead.
        credit.ack(u64::MAX);
        assert_eq!(credit.in_flight(), 0);
        drop(trigger);
        assert_eq!(relayed.await.unwrap(), Ending::Detached);
    }

    #[test]
    fn hostile_options_are_refused_with_the_reason() {
        let ok = TerminalOptions {
            mode: TerminalMode::Shell,
            user: Some(" 1000 ".to_owned()),
            workdir: Some(String::new()),
            rows: 24,
            cols: 80,
        };
        assert_eq!(
            ok.request().unwrap().mode,
            Mode::Shell {
                user: Some("1000".to_owned()),
                workdir: None
            }
        );
        let bad = |o: TerminalOptions| o.request().unwrap_err();
        assert!(bad(TerminalOptions {
            rows: 0,
            ..ok.clone()
        })
        .contains("rows"));
        assert!(bad(TerminalOptions {
            cols: 5000,
            ..ok.clone()
        })
        .contains("1000"));
        assert!(bad(TerminalOptions {
            user: Some("root\nx".to_owned()),
            ..ok.clone()
        })
        .contains("control"));
        assert!(bad(TerminalOptions {
            workdir: Some("/".repeat(5000)),
            ..ok
        })
        .contains("longer"));
    }

    #[test]
    fn messages_carry_their_tag() {
        assert_eq!(output_message(b"hi"), b"\0hi");
        let ended = ended_message(&Ending::Exited { code: 3 });
        assert_eq!(ended[0], TAG_ENDED);
        assert_eq!(&ended[1..], br#"{"kind":"exited","code":3}"#);
    }

    #[tokio::test]
    async fn the_output_then_the_ending() {
        let chunks = vec![
            Ok(Output::Stdout(Bytes::from_static(b"out "))),
            Ok(Output::Stderr(Bytes::from_static(b"err"))),
        ];
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let (_trigger, shutdown) = crate::shutdown::channel();
        let ending = relay(
            futures_util::stream::iter(chunks).boxed(),
            &Exits(3),
            &Credit::default(),
            move |b| {
                sink.lock().extend_from_slice(&b);
                true
            },
            std::future::pending(),
            shutdown,
        )
        .await;
        assert_eq!(ending, Ending::Exited { code: 3 });
        assert_eq!(&*seen.lock(), b"out err");
    }
}
