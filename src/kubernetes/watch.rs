//! One kubeconfig context's pods, followed with kube-runtime's `watcher`, told to the registry
//! as the same [`WatchEvent`]s a Docker or Podman watcher sends.
//!
//! kube-runtime does the list-watch: `Init`, the pages of the list as `InitApply`, `InitDone`,
//! then `Apply`/`Delete` as they happen; after a broken watch it resumes from the last
//! resourceVersion it saw (bookmarks keep that fresh), and when the server answers `410 Gone`
//! (the version was compacted away) it relists, which the store swaps in atomically, so pods
//! deleted meanwhile vanish. Skiff adds what kube-runtime leaves to its user:
//!
//! - **Backoff** is Skiff's policy ([`crate::reconnect::Backoff`]), not kube's default: after an
//!   error the stream is not polled again until the delay has passed (kube-runtime's documented
//!   way to apply one). The same stream is kept, so polling it again resumes the watch.
//! - **Classes**: an unreachable server retries with backoff; a rejected token or a forbidden
//!   list (`permission_denied`) and a server without the pods API (`incompatible`) are not
//!   retried on a timer at all, only when the kubeconfig changes or the user clicks Retry.
//! - **Namespace fallback**: when listing pods cluster-wide is forbidden, the context's own
//!   namespace is watched instead, and the status says so.
//! - **Liveness**: `GET /version` every 30 s (and before resuming after an outage, which is what
//!   marks the context connected again when the resumed watch has nothing new to say).

use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};
use kube::runtime::watcher;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::error::{classify, classify_watch, is_forbidden_list, is_gone};
use super::{pods, KubeContext};
use crate::container::Container;
use crate::engine::events::RawEvent;
use crate::engine::{ErrorInfo, FailureKind};
use crate::reconnect::{Backoff, SocketWatch};
use crate::registry::{ActionError, ActionErrorKind, ObjectActions};
use crate::watcher::{
    now_rfc3339, AttemptTrigger, Control, EngineState, EngineStatus, Outage, WatchEvent,
    WatcherConfig,
};

type PodStream = BoxStream<'static, Result<watcher::Event<Pod>, watcher::Error>>;

/// Runs the watcher of `ctx` until `shutdown` resolves or the registry drops its receiver.
pub async fn run(
    ctx: KubeContext,
    config: WatcherConfig,
    controls: mpsc::Receiver<Control>,
    out: mpsc::Sender<WatchEvent>,
    actions: std::sync::Arc<PodActions>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let status = EngineStatus::new(&ctx.id, &ctx.context, EngineState::Connecting);
    let mut w = KubeWatcher {
        backoff: config.backoff.start(),
        files: super::kubeconfig_paths(ctx.kubeconfig.as_deref())
            .into_iter()
            .find_map(|p| SocketWatch::new(&p).ok()),
        ctx,
        config,
        controls,
        controls_open: true,
        out,
        status,
        session: None,
        outage: None,
        actions,
    };
    tokio::select! {
        () = shutdown => {}
        () = w.run() => {}
    }
}

/// What a connected context keeps between outages: the client, and the watch stream, whose
/// next poll resumes from the last resourceVersion.
struct Session {
    client: kube::Client,
    server: String,
    stream: PodStream,
    /// The namespace watched, `None` for all.
    scope: Option<String>,
    /// The context's own namespace, the fallback when all are forbidden.
    home: String,
}

struct KubeWatcher {
    ctx: KubeContext,
    config: WatcherConfig,
    controls: mpsc::Receiver<Control>,
    controls_open: bool,
    out: mpsc::Sender<WatchEvent>,
    backoff: Backoff,
    status: EngineStatus,
    session: Option<Session>,
    outage: Option<Outage>,
    /// The kubeconfig: a change is a reason to try again at once (a refreshed token).
    files: Option<SocketWatch>,
    actions: std::sync::Arc<PodActions>,
}

/// How following the stream ended.
enum End {
    Failed {
        error: ErrorInfo,
        connected_for: Option<Duration>,
    },
    Disabled,
    Closed,
}

impl KubeWatcher {
    // `&mut self`: the session's stream is `Send` but not `Sync`, so `&self` could not be held
    // across an await in a spawned task.
    async fn emit(&mut self, item: WatchEvent) -> bool {
        self.out.send(item).await.is_ok()
    }

    async fn set_state(&mut self, state: EngineState, trigger: Option<AttemptTrigger>) -> bool {
        self.status.enter(state, trigger);
        self.emit(WatchEvent::Status(self.status.clone())).await
    }

    async fn run(&mut self) {
        let mut trigger = AttemptTrigger::Start;
        loop {
            if self.outage.is_none()
                && !self.set_state(EngineState::Connecting, Some(trigger)).await
            {
                return;
            }
            let end = self.attempt(trigger).await;
            let next = match end {
                End::Closed => return,
                End::Disabled => self.disabled().await,
                End::Failed {
                    error,
                    connected_for,
                } => self.after_failure(error, connected_for).await,
            };
            match next {
                Some(t) => trigger = t,
                None => return,
            }
        }
    }

    /// Connects (or reuses the session kept over an outage), then follows the stream.
    async fn attempt(&mut self, trigger: AttemptTrigger) -> End {
        let failed = |error| End::Failed {
            error,
            connected_for: None,
        };
        // A new kubeconfig (or the user's Retry after a credential failure) means a new client.
        if matches!(trigger, AttemptTrigger::Socket | AttemptTrigger::User) {
            self.session = None;
        }
        if self.session.is_none() {
            match super::client(&self.ctx).await {
                Ok((client, home, server)) => {
                    self.status.endpoint.clone_from(&server);
                    let scope = self.ctx.namespace.clone();
                    self.session = Some(Session {
                        stream: stream(&client, scope.as_deref()),
                        client,
                        server,
                        scope,
                        home,
                    });
                }
                Err(e) => return failed(e),
            }
        }
        let mut session = self.session.take().expect("session");
        // Reachable and authenticated? Also what marks a resumed context connected: a resumed
        // watch with nothing new to say sends nothing.
        match tokio::time::timeout(self.config.ping_timeout, session.client.apiserver_version())
            .await
        {
            Ok(Ok(info)) => self.status.version = Some(info.git_version),
            Ok(Err(e)) => {
                let error = classify(&e, &session.server);
                if error.kind.retries() {
                    self.session = Some(session);
                }
                return failed(error);
            }
            Err(_) => {
                let error = ErrorInfo {
                    kind: FailureKind::Transient,
                    message: format!(
                        "{} did not answer within {} s",
                        session.server,
                        self.config.ping_timeout.as_secs()
                    ),
                    remedy: None,
                };
                self.session = Some(session);
                return failed(error);
            }
        }
        // Connected before the (re)list, as a Docker engine is: the list follows at once.
        if !self.connected(trigger).await {
            return End::Closed;
        }
        self.actions.set(session.client.clone());
        let (end, keep) = self.follow(&mut session).await;
        if keep {
            self.session = Some(session);
        }
        end
    }

    /// Marks the context connected (ending an outage).
    async fn connected(&mut self, trigger: AttemptTrigger) -> bool {
        Outage::end(&mut self.outage, &mut self.status);
        self.set_state(EngineState::Connected, Some(trigger)).await
    }

    /// Follows the stream until it fails; says whether `session` is worth keeping (its
    /// stream resumes where it stopped).
    async fn follow(&mut self, session: &mut Session) -> (End, bool) {
        let connected_at = Instant::now();
        let failed = |error: ErrorInfo, keep: bool| {
            (
                End::Failed {
                    error,
                    connected_for: Some(connected_at.elapsed()),
                },
                keep,
            )
        };
        let mut liveness = tokio::time::interval_at(
            Instant::now() + self.config.liveness_interval,
            self.config.liveness_interval,
        );
        liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let item = tokio::select! {
                item = session.stream.next() => item,
                _ = liveness.tick() => {
                    let answered = tokio::time::timeout(self.config.ping_timeout, session.client.apiserver_version()).await;
                    let error = match answered {
                        Ok(Ok(_)) => continue,
                        Ok(Err(e)) => classify(&e, &session.server),
                        Err(_) => ErrorInfo {
                            kind: FailureKind::Transient,
                            message: format!("{} did not answer a liveness check within {} s", session.server, self.config.ping_timeout.as_secs()),
                            remedy: None,
                        },
                    };
                    // The stream may hang on a dead connection until its own timeout: start over.
                    return failed(error, false);
                }
                control = self.controls.recv(), if self.controls_open => {
                    match control {
                        Some(Control::Enable(false)) => return (End::Disabled, false),
                        Some(_) => {}
                        None => self.controls_open = false,
                    }
                    continue;
                }
            };
            let Some(item) = item else {
                // kube's watcher never ends; if it did, a fresh one relists.
                let error = ErrorInfo {
                    kind: FailureKind::Transient,
                    message: "the pod watch ended".to_owned(),
                    remedy: None,
                };
                return failed(error, false);
            };
            let id = self.ctx.id.clone();
            let ok = match item {
                Ok(watcher::Event::Init) => self.emit(WatchEvent::Init).await,
                Ok(watcher::Event::InitApply(pod)) => match pods::row(&id, &pod) {
                    Some(row) => self.emit(WatchEvent::InitApply(row)).await,
                    None => true,
                },
                Ok(watcher::Event::InitDone) => self.emit(WatchEvent::InitDone).await,
                Ok(watcher::Event::Apply(pod)) => {
                    let row = pods::row(&id, &pod);
                    let action = if pod.metadata.deletion_timestamp.is_some() {
                        "terminating"
                    } else if row.is_some() {
                        "modified"
                    } else {
                        continue;
                    };
                    self.emit(object(&pod, row, action)).await
                }
                Ok(watcher::Event::Delete(pod)) => self.emit(object(&pod, None, "deleted")).await,
                Err(e) if is_gone(&e) => {
                    // Compacted away: the next poll relists (Init…InitDone), nothing to wait for.
                    tracing::info!(engine = %id, "resourceVersion expired (410); relisting");
                    true
                }
                Err(e) if is_forbidden_list(&e) && session.scope.is_none() => {
                    let home = session.home.clone();
                    tracing::info!(engine = %id, namespace = %home, "listing pods cluster-wide is forbidden; watching the context's namespace");
                    session.scope = Some(home.clone());
                    session.stream = stream(&session.client, Some(&home));
                    self.status.note = Some(format!(
                        "namespace {home} only: listing pods in all namespaces is forbidden for this user"
                    ));
                    self.status.at = now_rfc3339();
                    let status = self.status.clone();
                    self.emit(WatchEvent::Status(status)).await
                }
                Err(e) => {
                    let error = classify_watch(&e, &session.server);
                    let keep = error.kind.retries();
                    return failed(error, keep);
                }
            };
            if !ok {
                return (End::Closed, false);
            }
        }
    }

    /// Publishes the failure and waits as its class says; `None` when the registry is gone.
    async fn after_failure(
        &mut self,
        error: ErrorInfo,
        connected_for: Option<Duration>,
    ) -> Option<AttemptTrigger> {
        if connected_for.is_some_and(|d| d >= self.config.backoff.healthy_after()) {
            self.backoff.reset();
        }
        let attempt = Outage::failed(
            &mut self.outage,
            &self.status,
            connected_for,
            error.kind,
            &error.message,
        );
        if !error.kind.retries() {
            if !self
                .set_state(EngineState::Unavailable { error }, None)
                .await
            {
                return None;
            }
            // Only a new kubeconfig or the user can fix this: no timer.
            return self.wait(None).await;
        }
        let delay = self.backoff.next_delay();
        let state = EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(delay.as_millis() as u64),
            error,
        };
        if !self.set_state(state, None).await {
            return None;
        }
        self.wait(Some(delay)).await
    }

    /// Waits for the timer, a kubeconfig change, or the user.
    async fn wait(&mut self, delay: Option<Duration>) -> Option<AttemptTrigger> {
        loop {
            let sleep = async {
                match delay {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let files = self.files.as_mut();
            let changed = async move {
                match files {
                    Some(f) => f.changed().await,
                    None => std::future::pending().await,
                }
            };
            return tokio::select! {
                () = sleep => Some(AttemptTrigger::Timer),
                () = changed => Some(AttemptTrigger::Socket),
                control = self.controls.recv(), if self.controls_open => match control {
                    Some(Control::RetryNow | Control::Enable(true)) => Some(AttemptTrigger::User),
                    Some(Control::Enable(false)) => self.disabled().await,
                    None => {
                        self.controls_open = false;
                        continue;
                    }
                },
                () = self.out.closed() => None,
            };
        }
    }

    async fn disabled(&mut self) -> Option<AttemptTrigger> {
        self.session = None;
        self.outage = None;
        if !self.set_state(EngineState::Disabled, None).await {
            return None;
        }
        // Nothing of a disabled context stays on screen.
        if !(self.emit(WatchEvent::Init).await && self.emit(WatchEvent::InitDone).await) {
            return None;
        }
        loop {
            tokio::select! {
                control = self.controls.recv(), if self.controls_open => match control {
                    Some(Control::Enable(true)) => return Some(AttemptTrigger::Start),
                    Some(_) => {}
                    None => self.controls_open = false,
                },
                () = self.out.closed() => return None,
            }
        }
    }
}

fn stream(client: &kube::Client, namespace: Option<&str>) -> PodStream {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    // kube's defaults: bookmarks on, pages of 500, ListWatch (an API server of any version).
    watcher(api, watcher::Config::default()).boxed()
}

/// The registry item for a changed pod.
fn object(pod: &Pod, row: Option<Container>, action: &str) -> WatchEvent {
    let mut attributes = std::collections::HashMap::new();
    if let Some(name) = &pod.metadata.name {
        attributes.insert("name".to_owned(), name.clone());
    }
    if let Some(ns) = &pod.metadata.namespace {
        attributes.insert("namespace".to_owned(), ns.clone());
    }
    WatchEvent::Object {
        row: row.map(Box::new),
        event: RawEvent {
            typ: "pod".to_owned(),
            action: action.to_owned(),
            id: pod.metadata.uid.clone().unwrap_or_default(),
            attributes,
            // The API gives no event time: the moment Skiff received it.
            time_nano: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX),
        },
    }
}

/// Deleting pods of one context, with the client of its current session.
#[derive(Default)]
pub struct PodActions {
    client: parking_lot::Mutex<Option<kube::Client>>,
}

impl std::fmt::Debug for PodActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodActions").finish_non_exhaustive()
    }
}

impl PodActions {
    fn set(&self, client: kube::Client) {
        *self.client.lock() = Some(client);
    }
}

impl std::fmt::Debug for KubeWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeWatcher")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl ObjectActions for PodActions {
    fn delete(
        &self,
        row: Container,
    ) -> futures_util::future::BoxFuture<'static, Result<(), ActionError>> {
        let client = self.client.lock().clone();
        async move {
            let client = client.ok_or_else(|| ActionError {
                kind: ActionErrorKind::Engine,
                message: "the cluster is not connected".to_owned(),
            })?;
            let namespace = row
                .kube
                .as_ref()
                .map(|k| k.namespace.clone())
                .unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(client, &namespace);
            // The uid precondition: never delete a newer pod that took the same name.
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: Some(row.id.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match api.delete(&row.name, &params).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Err(ActionError {
                    kind: ActionErrorKind::NotFound,
                    message: format!("pod {}/{} is already gone", namespace, row.name),
                }),
                Err(kube::Error::Api(s)) if s.code == 403 => Err(ActionError {
                    kind: ActionErrorKind::Conflict,
                    message: format!("forbidden: {}", s.message),
                }),
                Err(e) => Err(ActionError {
                    kind: ActionErrorKind::Engine,
                    message: e.to_string(),
                }),
            }
        }
        .boxed()
    }
}
