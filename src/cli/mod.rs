//! The `skiff` command line: argument definitions and the subcommands.
//!
//! Each subcommand writes to a `std::io::Write` it is given, so tests run it against real engines
//! and read what a user would see. `src/main.rs` only parses arguments and maps the outcome to an
//! exit code.

mod act;
mod engines;
mod exec;
mod images;
mod inspect;
pub mod lines;
mod logs;
mod objects;
mod ping;
mod ps;
mod stats;
mod table;
mod telemetry;
mod watch;

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::app::{Core, Plan, Selection};
use crate::engine::Endpoint;
use crate::objects::Kind;
use crate::registry::{Action, Registry};
use crate::shutdown::{Shutdown, ShutdownTrigger};

/// Skiff: every container of every engine on this machine.
#[derive(Debug, Parser)]
#[command(name = "skiff", version = crate::build_info::VERSION_LINE, about)]
pub struct Cli {
    /// Engine endpoint (`unix:///path`, `tcp://host:port`, `npipe:////./pipe/NAME`). Repeatable; when
    /// given, replaces discovery.
    /// Also read from `SKIFF_HOST` (comma-separated).
    #[arg(
        long = "host",
        global = true,
        value_name = "URL",
        env = "SKIFF_HOST",
        value_delimiter = ','
    )]
    pub hosts: Vec<Endpoint>,
    /// Kubeconfig file for Kubernetes contexts (default: `$KUBECONFIG`, then `~/.kube/config`).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Kubernetes context to include (its pods are engine `k8s:<context>`). Repeatable; default:
    /// the kubeconfig's current context, unless `--host` is given.
    #[arg(long = "context", global = true, value_name = "NAME")]
    pub contexts: Vec<String>,
    /// Only this namespace of the Kubernetes contexts (default: all the user may list).
    #[arg(long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List containers of every engine.
    Ps {
        /// Include stopped containers.
        #[arg(short, long)]
        all: bool,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List images of every engine (with the containers made from each).
    Images {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List volumes of every engine (with the containers that mount each).
    Volumes {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List networks of every engine (with the containers attached to each).
    Networks {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the pods of every Podman engine.
    Pods {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Pull an image from its registry (progress on a terminal, one summary line otherwise).
    Pull {
        /// `name[:tag]` (`latest` when no tag is given) or `name@digest`.
        image: String,
        #[command(flatten)]
        engine: images::EngineArg,
    },
    /// Add a tag to an image.
    Tag {
        /// The image (a name or an id).
        image: String,
        /// `repo[:tag]` (`latest` when no tag is given).
        target: String,
        #[command(flatten)]
        engine: images::EngineArg,
    },
    /// Remove an image (refused with the engine's reason while a container uses it).
    Rmi {
        image: String,
        /// Remove it even if containers use it.
        #[arg(short, long)]
        force: bool,
        #[command(flatten)]
        engine: images::EngineArg,
    },
    /// Remove what nothing uses, on every engine (or `--engine`); prints the space reclaimed.
    Prune(images::PruneArgs),
    /// Disk use of each engine: images, containers, volumes.
    Df {
        #[arg(long)]
        json: bool,
    },
    /// Show each engine's connection state.
    Engines {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Start a container (waits for the engine's confirmation).
    Start { container: String },
    /// Stop a container (waits for the engine's confirmation).
    Stop { container: String },
    /// Restart a container.
    Restart { container: String },
    /// Pause a container.
    Pause { container: String },
    /// Unpause a container.
    Unpause { container: String },
    /// Kill a container.
    Kill { container: String },
    /// Remove a container.
    Rm {
        container: String,
        /// Remove even if running.
        #[arg(short, long)]
        force: bool,
    },
    /// The engine's own description of a container (its inspect document; a pod's object), as
    /// one JSON object.
    Inspect { container: String },
    /// Resource use of containers (default: every running one), as `docker stats` shows it.
    Stats {
        /// Containers (names, ids or unique id prefixes).
        containers: Vec<String>,
        /// One sample each, then exit.
        #[arg(long)]
        no_stream: bool,
        /// One JSON object a sample.
        #[arg(long)]
        json: bool,
    },
    /// Run a command in a running container, as `docker exec` does; exits with its exit code.
    Exec(exec::ExecArgs),
    /// Join a container's main process (its output, and stdin unless `--no-stdin`); detach with
    /// Ctrl-P Ctrl-Q, which leaves it running.
    Attach(exec::AttachArgs),
    /// A container's log, as `docker logs` prints it; `-f` follows it across restarts of the
    /// container and of its engine.
    Logs(logs::LogsArgs),
    /// Health report: engines, handlers, telemetry counters, this process. Exit 1 if unhealthy.
    Ping {
        #[arg(long)]
        json: bool,
    },
    /// Show what telemetry recorded and sent, or switch it on or off.
    Telemetry {
        #[command(subcommand)]
        command: TelemetryCommand,
    },
    /// Follow engines and containers as JSON lines until interrupted.
    Watch {
        /// Print JSON lines (the only format).
        #[arg(long, default_value_t = true)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TelemetryCommand {
    /// Print the outbox and the events sent.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Agree to send telemetry.
    Enable,
    /// Stop telemetry (nothing more is recorded).
    Disable,
}

/// How a command ended, for the exit code. Errors the user should read were already printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Some engine could not be reached or an action failed (exit code 1).
    Failure,
    /// A process's own exit code (`skiff exec`).
    Exit(u8),
}

/// Runs a parsed command line.
pub async fn run(
    cli: Cli,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    if let Command::Telemetry { command } = &cli.command {
        return match command {
            TelemetryCommand::Show { json } => telemetry::show(*json, out),
            TelemetryCommand::Enable => telemetry::set(true, out),
            TelemetryCommand::Disable => telemetry::set(false, out),
        };
    }
    // The settings are read here, once, for everything the command does.
    let plan = Plan::resolve(&Selection {
        hosts: cli.hosts.clone(),
        kubeconfig: cli.kubeconfig.clone(),
        contexts: cli.contexts.clone(),
        namespace: cli.namespace.clone(),
    })?;
    if let Some((action, container, force)) = cli.command.action() {
        return act::run(&plan, action, container, force, out, err).await;
    }
    match cli.command {
        Command::Ps { all, json } => ps::run(&plan.targets, all, json, out, err).await,
        Command::Images { json } => {
            objects::run(&plan.targets.engines, Kind::Image, json, out, err).await
        }
        Command::Volumes { json } => {
            objects::run(&plan.targets.engines, Kind::Volume, json, out, err).await
        }
        Command::Networks { json } => {
            objects::run(&plan.targets.engines, Kind::Network, json, out, err).await
        }
        Command::Pods { json } => {
            objects::run(&plan.targets.engines, Kind::Pod, json, out, err).await
        }
        Command::Pull { image, engine } => {
            images::pull(&plan.targets.engines, &image, &engine, out, err).await
        }
        Command::Tag {
            image,
            target,
            engine,
        } => images::tag(&plan.targets.engines, &image, &target, &engine, err).await,
        Command::Rmi {
            image,
            force,
            engine,
        } => images::rmi(&plan.targets.engines, &image, force, &engine, out, err).await,
        Command::Prune(args) => images::prune(&plan.targets.engines, &args, out, err).await,
        Command::Df { json } => images::df(&plan.targets.engines, json, out, err).await,
        Command::Engines { json } => engines::run(&plan, json, out).await,
        Command::Ping { json } => ping::run(&plan, json, out).await,
        Command::Watch { json: _ } => watch::run(&plan, shutdown, out).await,
        Command::Inspect { container } => inspect::run(&plan, &container, out, err).await,
        Command::Logs(args) => logs::run(&plan, &args, shutdown, out, err).await,
        Command::Exec(args) => exec::exec(&plan, args, shutdown, out, err).await,
        Command::Attach(args) => exec::attach(&plan, args, shutdown, out, err).await,
        Command::Stats {
            containers,
            no_stream,
            json,
        } => stats::run(&plan, &containers, no_stream, json, shutdown, out, err).await,
        _ => unreachable!("telemetry and actions are handled above"),
    }
}

impl Command {
    /// Whether the command's stdout and stderr carry data only (a container's own streams):
    /// Skiff's log lines then stay off unless `SKIFF_LOG` asks for them.
    #[must_use]
    pub fn owns_stderr(&self) -> bool {
        matches!(self, Self::Logs(_) | Self::Exec(_) | Self::Attach(_))
    }

    /// The container action a subcommand asks for: (action, target, force).
    fn action(&self) -> Option<(Action, &str, bool)> {
        Some(match self {
            Self::Start { container } => (Action::Start, container, false),
            Self::Stop { container } => (Action::Stop, container, false),
            Self::Restart { container } => (Action::Restart, container, false),
            Self::Pause { container } => (Action::Pause, container, false),
            Self::Unpause { container } => (Action::Unpause, container, false),
            Self::Kill { container } => (Action::Kill, container, false),
            Self::Rm { container, force } => (Action::Remove, container, *force),
            _ => return None,
        })
    }
}

/// A core started on `plan`'s targets and given up to 5 s to connect and sync them all (they
/// sync concurrently), for the one-shot commands. Dropping the trigger stops its sources.
async fn synced_registry(plan: &Plan) -> (Registry, ShutdownTrigger) {
    synced(plan, false).await
}

/// [`synced_registry`], with the crash watch's rule handlers running on it when `rules` (for
/// `ping`, which reports them; read-only: nothing is recorded).
async fn synced(plan: &Plan, rules: bool) -> (Registry, ShutdownTrigger) {
    let (trigger, shutdown) = crate::shutdown::channel();
    let core = Core::new(Registry::new(), plan.config.clone(), shutdown);
    let _crash_watch = rules.then(|| core.crash_watch(&plan.settings, false));
    core.start(&plan.targets);
    core.registry
        .settled(std::time::Duration::from_secs(5))
        .await;
    (core.registry, trigger)
}
