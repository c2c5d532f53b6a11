//! Skiff core: everything a container manager needs that works without a desktop around it.
//!
//! The desktop shell (`src-tauri/`) and the `skiff` CLI are thin adapters onto this crate; neither
//! holds domain logic. Nothing here depends on Tauri, wry or WebKit.
//!
//! # Layout
//!
//! - [`app`]: the one start and stop of the core (settings, targets, sources, telemetry), called
//!   by the CLI and the desktop shell.
//! - [`engine`]: where engines live and how to talk to one: endpoints, discovery (with its
//!   documented precedence), the bollard client, container actions, and failure classification.
//! - [`reconnect`]: backoff policy and socket watching: *when* to try an engine again.
//! - [`watcher`]: the one connection supervisor and the `Source` trait; the Docker/Podman source.
//! - [`registry`]: the hub: the container sets of all engines, applied from the sources, fanned
//!   out as deltas to consumers; actions and their confirmation.
//! - [`kubernetes`]: the pods of kubeconfig contexts, as one more source (kube-rs).
//! - [`telemetry`]: opt-in, episode-based, throttled telemetry with a persisted outbox.
//! - [`crash_watch`]: alerts when a container crashes, once, even when it crashed while Skiff
//!   was away.
//! - [`health`]: the at-a-glance state of all engines (tray colour, tooltip).
//! - [`container`]: the container summary every consumer (CLI, UI, tray) reads.
//! - [`container_logs`]: containers' logs read and followed across restarts, once, with no gap.
//! - [`container_stats`]: containers' CPU, memory, network, block I/O and PIDs, streamed.
//! - [`terminal`]: a terminal session relayed to a view at the view's pace (flow control).
//! - [`logs`]: log files (daily, 7 kept) and the level switch the Settings page drives.
//! - [`settings`]: the one `settings.json` the CLI and the desktop app share.
//! - [`shutdown`]: the shutdown signal every long-running part takes as a parameter.
//! - [`ipc`]: payload types shared with the UI, generated into TypeScript with ts-rs.
//! - [`cli`]: the `skiff` subcommands, written against `std::io::Write` so tests can run them.
//!
//! Data flows one way: engine → source → supervisor → store → hub → consumers (UI bridge, tray,
//! telemetry, alerts, CLI); the top-level modules form no cycle (`tests/layout.rs` checks).
//!
//! Deliberately *not* here: windows, trays, notifications, anything that needs a display.

pub mod app;
pub mod build_info;
pub mod cli;
pub mod container;
pub mod container_logs;
pub mod container_stats;
pub mod crash_watch;
pub mod engine;
pub mod health;
pub mod ipc;
pub mod kubernetes;
pub mod logs;
pub mod objects;
pub mod reconnect;
pub mod registry;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod terminal;
pub mod watcher;
