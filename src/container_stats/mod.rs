//! Containers' resource use (CPU, memory, network, block I/O, PIDs), streamed.
//!
//! - [`sample`]: one sample from the engine's stats document, computed as `docker stats`
//!   computes it (pure, tested on the engines' documents).
//! - [`follow`]: one container's stats stream, at most one sample a second, read again through
//!   the registry (the engine's watcher decides when the engine is back; a stats stream never
//!   retries on its own) until nobody wants it.
//!
//! - [`board`]: the follows of the containers one view shows, started and ended as that set
//!   changes.
//!
//! Kubernetes pods have no stats here: the API server serves none without metrics-server.

pub mod board;
pub mod follow;
pub mod sample;

pub use board::{Board, ContainerRef};
pub use follow::{StatsError, StatsFollow};
pub use sample::Sample;
