//! Containers' logs: every line, at once, once, and no storm when the engine is away.
//!
//! - [`frame`]: the engine's body → messages (demultiplexed stdout/stderr, or a TTY's raw
//!   stream), each with its stamp; the bytes untouched.
//! - [`cursor`]: where a follow resumes, and which messages of a resumed log it already
//!   delivered (pure, tested on its own).
//! - [`line`]: messages → lines of text per stream (cut lines and characters joined, invalid
//!   UTF-8 replaced, never dropped), for the window and `--json`.
//! - [`follow`]: one read, or a follow that waits out every break through the registry (the
//!   engine's own watcher decides when the engine is back; a follow never retries on its own).
//!
//! - `podman_tail`: a Podman view's first lines, read around Podman's `tail` (which glues a
//!   split line to the one before it, through Podman 4.6).
//! - [`page`]: the lines before a view's first one, read on demand with `until`.
//! - [`save`]: a whole log to a file, which appears whole or not at all.
//! - [`view`]: lines in batches for a window (at most one per animation frame).
//!
//! Deliberately *not* here: the request itself (`crate::engine::logs`), and where lines go (the
//! CLI's writers, a window's ring): a [`Sink`] receives them.
//!
//! # Bounds
//!
//! | what | bound |
//! |---|---|
//! | an unfinished frame | [`frame::MAX_FRAME`] (16 MiB), then a `protocol` error |
//! | a TTY message without newline | [`frame::MAX_RAW_MESSAGE`] (1 MiB), then handed on in pieces |
//! | a line without newline (`line`) | [`line::MAX_LINE`] (8 MiB), then cut |

pub mod cursor;
pub mod follow;
pub mod frame;
pub mod line;
pub mod page;
mod podman_tail;
pub mod save;
pub mod view;

pub use crate::registry::Ended;
pub use cursor::Cursor;
pub use follow::{Collected, Follow, FollowStats, LogError, Sink};
pub use frame::{Message, Stamp, Stream};
pub use line::{Joiner, Line};
pub use page::{older, Start};
pub use save::{save, SaveError, Saved};
pub use view::{pace, Batcher};
