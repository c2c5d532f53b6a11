//! Engines: where they live, how to reach one, and how to tell why it cannot be reached.
//!
//! - [`endpoint`]: the address of an engine (`unix://`, `tcp://`, `npipe://`), parsed once.
//! - [`discovery`]: which engines this machine has, in a documented precedence order.
//! - [`actions`]: what a user can do to a container, and the Docker API calls that do it.
//! - [`client`]: a connected engine (bollard underneath), with its kind and API version.
//! - [`error`]: every failure classified into a [`FailureKind`] that decides the retry policy.
//! - [`events`]: the `/events` stream, read line by line with bounded memory.
//! - [`exec`]: a process in a container: exec and attach, their sizes and exit codes.
//! - [`session`]: a terminal session (exec, attach): output, input, size, how it ended.
//! - [`logs`]: a container's log as the engine serves it (the request and its raw body).
//! - [`listing`]: one container list across engines, listed concurrently.

pub mod actions;
pub mod client;
pub mod configured;
pub mod detach;
pub mod discovery;
pub mod docker_actions;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod exec;
pub mod frames;
pub mod http;
pub mod listing;
pub mod logs;
pub mod podman_service;
pub mod session;
pub mod ssh;
pub mod stats;
pub mod tunnel_dirs;

pub use actions::{Action, ActionError, ActionErrorKind, CallError, EngineActions};
pub use client::{EngineClient, EngineKind};
pub use discovery::{discover, DiscoveredEngine, DiscoverySource};
pub use docker_actions::DockerActions;
pub use endpoint::{Endpoint, EndpointParseError, SshTarget};
pub use error::{EngineError, ErrorInfo, FailureKind, SshFailure};
pub use exec::{ExecSpec, RunState, TermSize};
pub use listing::{list_everywhere, ContainerList, EngineFailure};
pub use logs::{ByteStream, Framing, LogBody, LogQuery, Tail};
pub use session::{Control, Ending, Mode, Output, Session, TerminalRequest};
