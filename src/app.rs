//! The one start of Skiff's core, shared by the `skiff` CLI and the desktop shell.
//!
//! [`Plan::resolve`] reads the settings once and decides what to watch (engines from `--host`
//! or discovery, Kubernetes contexts from the flags or the settings) and with which timings;
//! [`Core`] starts each of them as a [`Source`](crate::watcher::Source) under the one
//! supervisor, attached to the registry, with its actions; telemetry follows the user's consent
//! ([`TelemetrySwitch`]). Everything ends with the one [`Shutdown`]. The callers keep only what is
//! theirs: argument parsing and output (CLI), windows, tray and notifications (desktop).
//!
//! Data flows one way: engine → source → supervisor → store → hub → consumers. The registry
//! starts nothing; this module is the only place that connects a source to it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::discovery::{self, DiscoveredEngine, DiscoveryError};
use crate::engine::{DiscoverySource, DockerActions, Endpoint};
use crate::kubernetes::{KubeContext, KubeSource, PodActions};
use crate::registry::{Ports, Registry};
use crate::settings::{Settings, SettingsError};
use crate::shutdown::Shutdown;
use crate::telemetry::TelemetrySwitch;
use crate::watcher::{
    supervise, DockerSource, EngineSpec, EngineState, EngineStatus, Source, WatcherConfig,
};

/// Why the core could not decide what to watch.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Kubernetes(#[from] crate::kubernetes::KubeError),
}

/// What the user asked for: the CLI's flags (the desktop: `SKIFF_HOST` only).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--host` (or `SKIFF_HOST`): when given, replaces discovery.
    pub hosts: Vec<Endpoint>,
    pub kubeconfig: Option<PathBuf>,
    pub contexts: Vec<String>,
    pub namespace: Option<String>,
}

/// What a run watches: engines, and Kubernetes contexts.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub engines: Vec<DiscoveredEngine>,
    pub contexts: Vec<KubeContext>,
    /// The contexts were asked for (`--kubeconfig`/`--context`), not just found: an unreachable
    /// one then fails a command. A stale kubeconfig found by default only warns, so it never
    /// turns `skiff ps` of a Docker user red.
    pub contexts_asked: bool,
}

impl Targets {
    /// How many engines and contexts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.engines.len() + self.contexts.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything a start needs, decided once: the settings as read, the targets, the timings.
#[derive(Debug, Clone)]
pub struct Plan {
    pub settings: Settings,
    pub targets: Targets,
    pub config: WatcherConfig,
}

impl Plan {
    /// Reads the settings (once) and resolves `selection` against them.
    pub fn resolve(selection: &Selection) -> Result<Self, AppError> {
        Self::with_settings(Settings::load()?, selection)
    }

    /// Resolves `selection` against `settings`: engines from `--host` or discovery (with the
    /// settings' endpoints); contexts from `--kubeconfig`/`--context`, else (without `--host`)
    /// the settings': the current context unless Kubernetes is switched off.
    pub fn with_settings(settings: Settings, selection: &Selection) -> Result<Self, AppError> {
        let explicit = selection.kubeconfig.is_some() || !selection.contexts.is_empty();
        let namespace = selection.namespace.as_deref();
        let contexts = if explicit {
            crate::kubernetes::contexts(
                selection.kubeconfig.as_deref(),
                &selection.contexts,
                namespace,
            )?
        } else if selection.hosts.is_empty() {
            crate::kubernetes::from_settings(&settings.kubernetes, namespace)
        } else {
            Vec::new()
        };
        let choices = if selection.hosts.is_empty() {
            discovery::EngineChoices {
                endpoints: settings.endpoints.clone(),
                tools: settings.tool_engines.clone(),
            }
        } else {
            discovery::EngineChoices::default()
        };
        // Kubernetes alone is enough: no container engine on this machine is then no error.
        let engines = match discovery::resolve(&selection.hosts, &choices) {
            Err(DiscoveryError::NoEngine) if selection.hosts.is_empty() && !contexts.is_empty() => {
                Vec::new()
            }
            other => other?,
        };
        Ok(Self {
            config: watcher_config(&settings),
            settings,
            targets: Targets {
                engines,
                contexts,
                contexts_asked: explicit,
            },
        })
    }

    /// A plan that watches nothing, with `settings`' timings (the desktop when nothing could be
    /// resolved: its window offers the remedies).
    #[must_use]
    pub fn nothing(settings: Settings) -> Self {
        Self {
            config: watcher_config(&settings),
            settings,
            targets: Targets::default(),
        }
    }
}

/// The watcher timings: the product's defaults, backoff from the settings then the environment.
fn watcher_config(settings: &Settings) -> WatcherConfig {
    WatcherConfig {
        backoff: settings.backoff.with_env(),
        ..WatcherConfig::default()
    }
}

/// The running core: the registry and what starts sources on it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Core {
    pub registry: Registry,
    pub config: WatcherConfig,
    pub shutdown: Shutdown,
}

impl Core {
    /// A core on `registry` (subscribe to it before [`Core::start`] to see every first status).
    #[must_use]
    pub fn new(registry: Registry, config: WatcherConfig, shutdown: Shutdown) -> Self {
        Self {
            registry,
            config,
            shutdown,
        }
    }

    /// Starts every target: engines first, then contexts (the order of `engine_ids`).
    pub fn start(&self, targets: &Targets) {
        for engine in &targets.engines {
            self.watch_engine(engine);
        }
        for ctx in &targets.contexts {
            self.watch_context(ctx);
        }
    }

    /// Starts telemetry as the settings' consent says, following it while the process runs.
    #[must_use]
    pub fn telemetry(
        &self,
        settings: &Settings,
        runtime: &tokio::runtime::Handle,
    ) -> TelemetrySwitch {
        TelemetrySwitch::start(settings, &self.registry, &self.shutdown, runtime)
    }

    /// Starts the crash watch (see [`crate::crash_watch`]); with `persist`, on the record in the
    /// data directory. Call before [`Core::start`] so that the first relist is seen.
    #[must_use]
    pub fn crash_watch(
        &self,
        settings: &Settings,
        persist: bool,
    ) -> crate::crash_watch::CrashWatch {
        let dir = persist.then(|| crate::settings::data_dir().ok()).flatten();
        crate::crash_watch::start(&self.registry, settings.alerts.clone(), dir, &self.shutdown)
    }

    /// Watches a Docker or Podman engine.
    pub fn watch_engine(&self, engine: &DiscoveredEngine) {
        let actions = Arc::new(DockerActions::default());
        let ports = self
            .registry
            .add_source(&engine.id, Some(engine.clone()), actions.clone());
        let spec = EngineSpec {
            id: engine.id.clone(),
            endpoint: engine.endpoint.clone(),
        };
        let status = EngineStatus::new(
            &spec.id,
            &spec.endpoint.to_string(),
            EngineState::Connecting,
        );
        let source = DockerSource::new(spec, self.config.clone(), actions);
        self.supervise(&engine.id, source, status, ports);
    }

    /// Watches the pods of a Kubernetes context (engine id `k8s:<context>`).
    pub fn watch_context(&self, ctx: &KubeContext) {
        let actions = Arc::new(PodActions::default());
        let ports = self.registry.add_source(&ctx.id, None, actions.clone());
        let status = EngineStatus::new(&ctx.id, &ctx.context, EngineState::Connecting);
        let source = KubeSource::new(ctx.clone(), self.config.ping_timeout, actions);
        self.supervise(&ctx.id, source, status, ports);
    }

    /// Runs `source` under the supervisor on `ports`, as the supervised task `watcher` of `id`.
    fn supervise(
        &self,
        id: &str,
        source: impl Source + 'static,
        status: EngineStatus,
        ports: Ports,
    ) {
        self.registry.spawn_supervised(
            id,
            "watcher",
            supervise(
                source,
                status,
                self.config.clone(),
                ports.controls,
                ports.out,
                self.shutdown.clone().wait(),
            ),
        );
    }

    /// Starts watching `endpoint` unless an engine already does (then it is retried at once);
    /// returns the engine's id. The id is `id_hint`, or `id_hint-2`… when that is taken.
    #[must_use]
    pub fn ensure_watched(&self, endpoint: Endpoint, id_hint: &str) -> String {
        let engines = self.registry.engines();
        if let Some(e) = engines.iter().find(|e| e.endpoint == endpoint) {
            let _ = self.registry.retry_now(Some(&e.id));
            return e.id.clone();
        }
        // At most `engines.len()` ids can be taken, so one of the first `len + 1` is free.
        let id = std::iter::once(id_hint.to_owned())
            .chain((2..=engines.len() + 1).map(|n| format!("{id_hint}-{n}")))
            .find(|id| !engines.iter().any(|e| &e.id == id))
            .expect("an unused id");
        self.watch_engine(&DiscoveredEngine {
            id: id.clone(),
            endpoint,
            source: DiscoverySource::WellKnown,
        });
        id
    }
}

/// Starts `engines` on `registry` (for tests and tools that hold a registry of their own).
pub fn watch_engines(
    registry: &Registry,
    engines: &[DiscoveredEngine],
    config: &WatcherConfig,
    shutdown: &Shutdown,
) {
    let core = Core::new(registry.clone(), config.clone(), shutdown.clone());
    for engine in engines {
        core.watch_engine(engine);
    }
}

/// Starts `contexts` on `registry` (for tests and tools that hold a registry of their own).
pub fn watch_contexts(
    registry: &Registry,
    contexts: &[KubeContext],
    config: &WatcherConfig,
    shutdown: &Shutdown,
) {
    let core = Core::new(registry.clone(), config.clone(), shutdown.clone());
    for ctx in contexts {
        core.watch_context(ctx);
    }
}
