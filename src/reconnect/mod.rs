//! Reconnect policy: how long to wait between attempts, and when to stop waiting on a timer.
//!
//! - [`backoff`]: capped exponential backoff with jitter (on `backon`), reset only after a
//!   connection stayed healthy long enough.
//! - [`socket_watch`]: waits for a unix socket to appear, so an engine that comes back is
//!   reconnected at once instead of at the next timer tick.
//!
//! Deliberately not here: the connection state machine itself (see [`crate::watcher`]), which
//! asks this module *when* to try, never *whether* a failure class retries (that is
//! [`crate::engine::FailureKind::retries`]).

pub mod backoff;
pub mod socket_watch;

pub use backoff::{Backoff, BackoffPolicy};
pub use socket_watch::SocketWatch;
