//! A process in a container, joined through the engine: exec (a new process) and attach (the
//! main one). The requests only; `crate::terminal` makes a session of them.
//!
//! bollard creates, resizes and inspects exec instances. Starting one (and attaching) is done
//! here, on Skiff's own connection ([`super::http::hijack`]), because bollard's decoder guesses
//! the framing from each chunk's first byte: a TTY session whose output starts with a byte below
//! 3 (`printf '\1'`, a binary `cat`) would be read as a frame header and garble or stall the
//! terminal. Skiff knows whether the session has a TTY, so it knows the framing.
//!
//! The size of a TTY at start: Podman reads `h`/`w` from the start request's body; Docker from
//! `ConsoleSize` since API 1.42. Docker 20.10 (API 1.41) has neither, so a Docker session is
//! resized right after it started (as the Docker CLI does), and again at every resize.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::client::EngineClient;
use super::error::EngineError;
use super::events::percent_encode;
use super::http::Upgraded;

/// A terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "TermSize.ts")]
pub struct TermSize {
    pub rows: u16,
    pub cols: u16,
}

impl TermSize {
    /// Sizes an engine can apply: at least 1×1 (a pane collapsed to nothing would send zeros,
    /// which Docker refuses).
    #[must_use]
    pub fn clamped(self) -> Self {
        Self {
            rows: self.rows.max(1),
            cols: self.cols.max(1),
        }
    }
}

/// A new process to run in a container, as `docker exec` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub tty: bool,
    /// Whether the process reads Skiff's input (`-i`).
    pub stdin: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `KEY=VALUE` pairs.
    pub env: Vec<String>,
}

impl EngineClient {
    /// Creates an exec instance of `spec` in container `id`; its id.
    pub async fn exec_create(&self, id: &str, spec: &ExecSpec) -> Result<String, EngineError> {
        let config = bollard::models::ExecConfig {
            attach_stdin: Some(spec.stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
            cmd: Some(spec.cmd.clone()),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            user: spec.user.clone().filter(|u| !u.is_empty()),
            working_dir: spec.workdir.clone().filter(|w| !w.is_empty()),
            ..Default::default()
        };
        self.docker()
            .create_exec(id, config)
            .await
            .map(|created| created.id)
            .map_err(|e| EngineError::from_bollard(self.endpoint(), &e))
    }

    /// Starts exec instance `exec_id` and returns its raw connection: the process's input one
    /// way; its output the other (framed unless `tty`).
    pub async fn exec_start(
        &self,
        exec_id: &str,
        tty: bool,
        size: Option<TermSize>,
    ) -> Result<Upgraded, EngineError> {
        let mut body = serde_json::json!({ "Detach": false, "Tty": tty });
        if let (true, Some(size)) = (tty, size.map(TermSize::clamped)) {
            body["h"] = size.rows.into();
            body["w"] = size.cols.into();
            body["ConsoleSize"] = serde_json::json!([size.rows, size.cols]);
        }
        let path = format!(
            "/v{}/exec/{}/start",
            self.api_version(),
            percent_encode(exec_id)
        );
        super::http::hijack(self.endpoint(), &path, Some(&body)).await
    }

    /// Resizes exec instance `exec_id`'s TTY.
    pub async fn exec_resize(&self, exec_id: &str, size: TermSize) -> Result<(), EngineError> {
        let size = size.clamped();
        let options = bollard::query_parameters::ResizeExecOptions {
            h: i32::from(size.rows),
            w: i32::from(size.cols),
        };
        self.docker()
            .resize_exec(exec_id, options)
            .await
            .map_err(|e| EngineError::from_bollard(self.endpoint(), &e))
    }

    /// The exit code of exec instance `exec_id`, or `None` while it runs.
    pub async fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i64>, EngineError> {
        let inspected = self
            .docker()
            .inspect_exec(exec_id)
            .await
            .map_err(|e| EngineError::from_bollard(self.endpoint(), &e))?;
        Ok(if inspected.running == Some(true) {
            None
        } else {
            inspected.exit_code
        })
    }

    /// Joins container `id`'s main process: its output from now on, and its input when `stdin`.
    /// Leaving is closing the connection (the process keeps running). The detach keys are
    /// Skiff's to see (see `super::session`): Podman 4.3's compat attach ignores `detachKeys`.
    pub async fn attach(&self, id: &str, stdin: bool) -> Result<Upgraded, EngineError> {
        let path = format!(
            "/v{}/containers/{}/attach?stream=1&stdout=1&stderr=1&stdin={}",
            self.api_version(),
            percent_encode(id),
            u8::from(stdin)
        );
        // No body: Podman reads an attach request's body as the process's first input.
        super::http::hijack(self.endpoint(), &path, None).await
    }

    /// Resizes container `id`'s TTY (its main process's).
    pub async fn resize_tty(&self, id: &str, size: TermSize) -> Result<(), EngineError> {
        let size = size.clamped();
        let options = bollard::query_parameters::ResizeContainerTTYOptions {
            h: i32::from(size.rows),
            w: i32::from(size.cols),
        };
        self.docker()
            .resize_container_tty(id, options)
            .await
            .map_err(|e| EngineError::from_bollard(self.endpoint(), &e))
    }

    /// Whether container `id` runs, and its exit code when it does not.
    pub async fn run_state(&self, id: &str) -> Result<RunState, EngineError> {
        let document = self.inspect(id).await?;
        let state = &document["State"];
        Ok(RunState {
            running: state["Running"].as_bool().unwrap_or(false),
            tty: document["Config"]["Tty"].as_bool().unwrap_or(false),
            stdin_open: document["Config"]["OpenStdin"].as_bool().unwrap_or(false),
            exit_code: state["ExitCode"].as_i64(),
        })
    }
}

/// What inspect says of a container's main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunState {
    pub running: bool,
    /// Whether it has a TTY (an attach then reads raw bytes).
    pub tty: bool,
    /// Whether it was started with its stdin open (`-i`): only then can an attach write to it.
    pub stdin_open: bool,
    pub exit_code: Option<i64>,
}
