//! The IPC contract in one place: every command the window may invoke (its name, arguments,
//! result and error) and every event the shell emits (its name and payload).
//!
//! It is generated into `bindings/contract.ts` with the other bindings, where the UI's one
//! `call` and one `listen` are typed by it: a command or an event cannot be misspelt, nor its
//! payload mistyped. The shell's handler list, build script and capability are checked against
//! [`commands`] (`src-tauri`'s tests), so a command cannot be added in one place only.

mod objects;

use std::fmt::Write as _;

use ts_rs::{Config, TS};

use super::IpcError;
use crate::registry::ContainerAlert;
use crate::registry::{Action, ActionError, ActionOutcome, Delta, HistoryPage};
use crate::settings::Settings;
use crate::watcher::EngineStatus;

/// The events the shell emits to the window.
pub mod events {
    /// An `EngineStatus` per state change or failed attempt.
    pub const ENGINE_STATUS: &str = "engine://status";
    /// A run of consecutive container `Delta`s, oldest first, each with the engine's `rev`: an
    /// engine's list is one event, a change alone is a run of one.
    pub const CONTAINERS_DELTA: &str = "containers://delta";
    /// The bridge fell behind the fan-out (how many items it missed): the window takes a
    /// snapshot.
    pub const CONTAINERS_LAGGED: &str = "containers://lagged";
    /// A run of consecutive `ObjectDelta`s (image, volume, network or pod changes), oldest
    /// first, each with the engine's objects' own `rev`.
    pub const OBJECTS_DELTA: &str = "objects://delta";
    /// A `ContainerAlert` the crash watch raised.
    pub const CONTAINER_ALERT: &str = "alerts://container";
}

/// One command: what the window sends and what it gets back, as TypeScript types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    /// Argument names (as the window passes them) and types.
    pub args: Vec<(&'static str, String)>,
    pub result: String,
    pub error: String,
}

fn ts<T: TS>(cfg: &Config) -> String {
    T::name(cfg)
}

/// A command whose error is an [`IpcError`].
fn command(
    cfg: &Config,
    name: &'static str,
    args: Vec<(&'static str, String)>,
    result: String,
) -> CommandSpec {
    CommandSpec {
        name,
        args,
        result,
        error: ts::<IpcError>(cfg),
    }
}

/// Every command, in the order the shell registers them.
#[must_use]
pub fn commands(cfg: &Config) -> Vec<CommandSpec> {
    let cmd = |name, args, result| command(cfg, name, args, result);
    vec![
        // The snapshot itself arrives as a script the page's receiver takes (`ipc::wire`):
        // `[token, JSON of a WireSnapshot]`.
        // `places`: the page's name order (`ipc::order`), its rows' order.
        cmd(
            "snapshot",
            vec![
                ("token", ts::<u32>(cfg)),
                ("places", ts::<Option<Vec<u8>>>(cfg)),
            ],
            ts::<()>(cfg),
        ),
        cmd(
            "retry_now",
            vec![("engine", ts::<Option<String>>(cfg))],
            ts::<usize>(cfg),
        ),
        CommandSpec {
            error: ts::<ActionError>(cfg),
            ..cmd(
                "container_action",
                vec![
                    ("engine", ts::<String>(cfg)),
                    ("id", ts::<String>(cfg)),
                    ("action", ts::<Action>(cfg)),
                    ("force", ts::<Option<bool>>(cfg)),
                ],
                ts::<ActionOutcome>(cfg),
            )
        },
        // The Events page follows the history: its first page holds every record kept, each
        // later one what came after (a Tauri `ipc::Channel` the shell sends them into).
        cmd(
            "open_events",
            vec![("pages", format!("Channel<{}>", ts::<HistoryPage>(cfg)))],
            ts::<u32>(cfg),
        ),
        cmd(
            "close_events",
            vec![("view", ts::<u32>(cfg))],
            ts::<()>(cfg),
        ),
        cmd(
            "telemetry_report",
            vec![],
            ts::<crate::telemetry::TelemetryReport>(cfg),
        ),
        cmd("ping", vec![], ts::<crate::health::PingReport>(cfg)),
        cmd(
            "set_telemetry_consent",
            vec![("enabled", ts::<bool>(cfg))],
            ts::<()>(cfg),
        ),
        cmd("clear_telemetry_queue", vec![], ts::<()>(cfg)),
        cmd(
            "recent_alerts",
            vec![],
            ts::<Vec<crate::health::alerts::AlertRecord>>(cfg),
        ),
        cmd("get_settings", vec![], ts::<Settings>(cfg)),
        cmd(
            "save_settings",
            vec![("settings", ts::<Settings>(cfg))],
            ts::<Settings>(cfg),
        ),
        cmd(
            "podman_setup",
            vec![],
            ts::<crate::engine::podman_service::PodmanSetup>(cfg),
        ),
        cmd("start_podman", vec![], ts::<String>(cfg)),
        cmd(
            "build_info",
            vec![],
            ts::<crate::build_info::BuildInfo>(cfg),
        ),
        cmd("log_folder", vec![], ts::<Option<String>>(cfg)),
        cmd("choose_kubeconfig", vec![], ts::<Option<String>>(cfg)),
        cmd("reset_kubeconfig", vec![], ts::<()>(cfg)),
        cmd("open_log_folder", vec![], ts::<()>(cfg)),
    ]
    .into_iter()
    .chain(detail_commands(cfg))
    .chain(objects::object_commands(cfg))
    .collect()
}

/// The container detail view's commands: its log, its stats, its inspect document.
fn detail_commands(cfg: &Config) -> Vec<CommandSpec> {
    let cmd = |name, args, result| command(cfg, name, args, result);
    vec![
        cmd(
            "open_logs",
            vec![
                ("engine", ts::<String>(cfg)),
                ("id", ts::<String>(cfg)),
                ("tail", ts::<Option<u32>>(cfg)),
                // A Tauri `ipc::Channel` the shell streams batches of lines into.
                (
                    "lines",
                    format!("Channel<{}>", ts::<Vec<crate::container_logs::Line>>(cfg)),
                ),
            ],
            ts::<u32>(cfg),
        ),
        cmd("close_logs", vec![("view", ts::<u32>(cfg))], ts::<()>(cfg)),
        cmd(
            "older_logs",
            vec![("view", ts::<u32>(cfg)), ("count", ts::<u32>(cfg))],
            ts::<Vec<crate::container_logs::Line>>(cfg),
        ),
        cmd(
            "save_log",
            vec![
                ("engine", ts::<String>(cfg)),
                ("id", ts::<String>(cfg)),
                ("timestamps", ts::<bool>(cfg)),
            ],
            ts::<Option<String>>(cfg),
        ),
        cmd(
            "open_stats",
            vec![(
                "samples",
                format!(
                    "Channel<{}>",
                    ts::<Vec<crate::container_stats::Sample>>(cfg)
                ),
            )],
            ts::<u32>(cfg),
        ),
        cmd(
            "show_stats",
            vec![
                ("view", ts::<u32>(cfg)),
                (
                    "containers",
                    ts::<Vec<crate::container_stats::ContainerRef>>(cfg),
                ),
            ],
            ts::<u32>(cfg),
        ),
        cmd("close_stats", vec![("view", ts::<u32>(cfg))], ts::<()>(cfg)),
        cmd(
            "open_terminal",
            vec![
                ("engine", ts::<String>(cfg)),
                ("id", ts::<String>(cfg)),
                ("options", ts::<crate::terminal::TerminalOptions>(cfg)),
                // Raw messages: a tag byte, then output bytes or the `TerminalEnding` as JSON
                // (see `crate::terminal::TAG_OUTPUT`).
                ("output", "Channel<ArrayBuffer>".to_owned()),
            ],
            ts::<crate::terminal::TerminalOpened>(cfg),
        ),
        cmd(
            "terminal_input",
            vec![("session", ts::<u32>(cfg)), ("data", ts::<String>(cfg))],
            ts::<()>(cfg),
        ),
        cmd(
            "terminal_resize",
            vec![
                ("session", ts::<u32>(cfg)),
                ("rows", ts::<u16>(cfg)),
                ("cols", ts::<u16>(cfg)),
            ],
            ts::<()>(cfg),
        ),
        cmd(
            "terminal_ack",
            vec![("session", ts::<u32>(cfg)), ("bytes", ts::<u32>(cfg))],
            ts::<()>(cfg),
        ),
        cmd(
            "close_terminal",
            vec![("session", ts::<u32>(cfg))],
            ts::<()>(cfg),
        ),
        CommandSpec {
            error: ts::<ActionError>(cfg),
            ..cmd(
                "inspect_container",
                vec![("engine", ts::<String>(cfg)), ("id", ts::<String>(cfg))],
                // The engine's own document, whatever fields its version has.
                "Record<string, unknown>".to_owned(),
            )
        },
    ]
}

/// The events, with their payload types.
#[must_use]
pub fn event_specs(cfg: &Config) -> Vec<(&'static str, String)> {
    vec![
        (events::ENGINE_STATUS, ts::<EngineStatus>(cfg)),
        (events::CONTAINERS_DELTA, ts::<Vec<Delta>>(cfg)),
        (events::CONTAINERS_LAGGED, ts::<u64>(cfg)),
        (
            events::OBJECTS_DELTA,
            ts::<Vec<crate::registry::objects::ObjectDelta>>(cfg),
        ),
        (events::CONTAINER_ALERT, ts::<ContainerAlert>(cfg)),
    ]
}

/// `contract.ts`: the `Commands` and `Events` maps, importing the bindings they name.
#[must_use]
pub fn typescript(cfg: &Config) -> String {
    let commands = commands(cfg);
    let events = event_specs(cfg);
    let mut named = std::collections::BTreeSet::new();
    let mut note = |ty: &str| {
        for word in ty.split(|c: char| !c.is_alphanumeric() && c != '_') {
            // Generic words of TypeScript itself are no bindings.
            if word.starts_with(|c: char| c.is_ascii_uppercase())
                && !matches!(word, "Array" | "ArrayBuffer" | "Record")
            {
                named.insert(word.to_owned());
            }
        }
    };
    for c in &commands {
        for (_, t) in &c.args {
            note(t);
        }
        note(&c.result);
        note(&c.error);
    }
    for (_, t) in &events {
        note(t);
    }

    let mut out =
        String::from("// Generated from src/ipc/contract.rs (`make bindings`); do not edit.\n");
    for name in &named {
        // Channels are Tauri's own type; every other name is a binding beside this file.
        let from = if name == "Channel" {
            "@tauri-apps/api/core".to_owned()
        } else {
            format!("./{name}")
        };
        let _ = writeln!(out, "import type {{ {name} }} from \"{from}\";");
    }
    out +=
        "\n/** Every command: its arguments, result and error. */\nexport interface Commands {\n";
    for c in &commands {
        let args = if c.args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            let fields: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            format!("{{ {} }}", fields.join("; "))
        };
        let _ = writeln!(
            out,
            "  {}: {{ args: {args}; result: {}; error: {} }};",
            c.name, c.result, c.error
        );
    }
    out +=
        "}\n\n/** Every event the shell emits, with its payload. */\nexport interface Events {\n";
    for (name, payload) in &events {
        let _ = writeln!(out, "  \"{name}\": {payload};");
    }
    out += "}\n\nexport const EVENTS = {\n";
    for (name, _) in &events {
        let key = name.replace("://", "_").to_uppercase();
        let _ = writeln!(out, "  {key}: \"{name}\",");
    }
    out += "} as const;\n";
    let _ = write!(
        out,
        "\n/** The property of `window` the shell assigns snapshots to (`skiff::ipc::wire::RECEIVER`). */\nexport const SNAPSHOT_RECEIVER = \"{}\";\n",
        super::wire::RECEIVER
    );
    out
}
