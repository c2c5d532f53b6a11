//! One kubeconfig context's pods as a [`Source`] of the supervisor: kube-runtime's `watcher`
//! does the list-watch, Skiff's supervisor does the rest, as for a Docker or Podman engine.
//!
//! kube-runtime yields `Init`, the pages of the list as `InitApply`, `InitDone`, then
//! `Apply`/`Delete` as they happen; after a broken watch it resumes from the last
//! resourceVersion it saw (bookmarks keep that fresh), and when the server answers `410 Gone`
//! (the version was compacted away) it relists, which the store swaps in atomically, so pods
//! deleted meanwhile vanish. What this source adds:
//!
//! - **No backoff of its own**: an error ends the session and the supervisor waits as its policy
//!   says (kube-runtime's `StreamBackoff` is not used). The stream is kept over an outage of a
//!   retrying class, so the next session resumes the watch instead of relisting.
//! - **Classes**: an unreachable server retries with backoff; a rejected token or a forbidden
//!   list (`permission_denied`) and a server without the pods API (`incompatible`) are not
//!   retried on a timer at all, only when the kubeconfig changes or the user clicks Retry; both
//!   start a new client.
//! - **Namespace fallback**: when listing pods cluster-wide is forbidden, the context's own
//!   namespace is watched instead, and the status says so.
//! - **Liveness**: `GET /version` on connecting (which is what marks a resumed context connected
//!   when the resumed watch has nothing new to say) and as the supervisor's ping.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher;

use super::actions::PodActions;
use super::error::{classify, classify_watch, is_forbidden_list, is_gone};
use super::{pods, KubeContext};
use crate::container::Container;
use crate::engine::events::RawEvent;
use crate::engine::{ErrorInfo, FailureKind};
use crate::watcher::{AttemptTrigger, Closed, Connected, Ended, Link, Source, WatchEvent};

type PodStream = BoxStream<'static, Result<watcher::Event<Pod>, watcher::Error>>;

/// A context's pods.
pub struct KubeSource {
    ctx: KubeContext,
    /// How long the API server may take to answer `/version`.
    ping_timeout: std::time::Duration,
    /// The session kept between outages: its stream's next poll resumes the watch.
    kept: Option<Session>,
    actions: Arc<PodActions>,
}

impl std::fmt::Debug for KubeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeSource")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

struct Session {
    client: kube::Client,
    server: String,
    stream: PodStream,
    /// The namespace watched, `None` for all.
    scope: Option<String>,
    /// The context's own namespace, the fallback when all are forbidden.
    home: String,
}

impl KubeSource {
    #[must_use]
    pub fn new(
        ctx: KubeContext,
        ping_timeout: std::time::Duration,
        actions: Arc<PodActions>,
    ) -> Self {
        Self {
            ctx,
            ping_timeout,
            kept: None,
            actions,
        }
    }
}

/// Follows `session` of context `id` until it fails; says whether it is worth keeping (a
/// retrying class: its stream resumes where it stopped).
async fn follow_pods(
    id: &str,
    session: &mut Session,
    link: &Link,
) -> Result<(ErrorInfo, bool), Closed> {
    loop {
        let Some(item) = session.stream.next().await else {
            // kube's watcher never ends; if it did, a fresh one relists.
            return Ok((transient("the pod watch ended".to_owned()), false));
        };
        match item {
            Ok(watcher::Event::Init) => link.send(WatchEvent::Init).await?,
            Ok(watcher::Event::InitApply(pod)) => {
                if let Some(row) = pods::row(id, &pod) {
                    link.send(WatchEvent::InitApply(row)).await?;
                }
            }
            Ok(watcher::Event::InitDone) => link.send(WatchEvent::InitDone).await?,
            Ok(watcher::Event::Apply(pod)) => {
                let row = pods::row(id, &pod);
                let action = if pod.metadata.deletion_timestamp.is_some() {
                    "terminating"
                } else if row.is_some() {
                    "modified"
                } else {
                    continue;
                };
                link.send(object(&pod, row, action)).await?;
            }
            Ok(watcher::Event::Delete(pod)) => {
                link.send(object(&pod, None, "deleted")).await?;
            }
            Err(e) if is_gone(&e) => {
                // Compacted away: the next poll relists (Init…InitDone), nothing to wait for.
                tracing::info!(engine = %id, "resourceVersion expired (410); relisting");
            }
            Err(e) if is_forbidden_list(&e) && session.scope.is_none() => {
                let home = session.home.clone();
                tracing::info!(engine = %id, namespace = %home, "listing pods cluster-wide is forbidden; watching the context's namespace");
                session.stream = stream(&session.client, Some(&home));
                session.scope = Some(home.clone());
                link.update(|s| {
                        s.note = Some(format!(
                            "namespace {home} only: listing pods in all namespaces is forbidden for this user"
                        ));
                        s.at = crate::watcher::now_rfc3339();
                    })
                    .await?;
            }
            Err(e) => {
                let error = classify_watch(&e, &session.server);
                let keep = error.kind.retries();
                return Ok((error, keep));
            }
        }
    }
}

impl Source for KubeSource {
    fn watch_path(&self) -> Option<PathBuf> {
        // The kubeconfig: a change is a reason to try again at once (a refreshed token).
        super::kubeconfig_paths(self.ctx.kubeconfig.as_deref())
            .into_iter()
            .next()
    }

    async fn connect(&mut self, trigger: AttemptTrigger) -> Result<Connected, ErrorInfo> {
        // A new kubeconfig (or the user's Retry after a credential failure) means a new client.
        if matches!(trigger, AttemptTrigger::Socket | AttemptTrigger::User) {
            self.kept = None;
        }
        let session = if let Some(kept) = self.kept.take() {
            kept
        } else {
            let (client, home, server) = super::client(&self.ctx).await.map_err(ErrorInfo::from)?;
            let scope = self.ctx.namespace.clone();
            Session {
                stream: stream(&client, scope.as_deref()),
                client,
                server,
                scope,
                home,
            }
        };
        // Reachable and authenticated? Also what marks a resumed context connected: a resumed
        // watch with nothing new to say sends nothing.
        let answered = match version(&session.client, &session.server, self.ping_timeout).await {
            Ok(v) => v,
            Err(error) => {
                if error.kind.retries() {
                    self.kept = Some(session);
                }
                return Err(error);
            }
        };
        self.actions.set(session.client.clone());
        let (client, server, timeout) = (
            session.client.clone(),
            session.server.clone(),
            self.ping_timeout,
        );
        let endpoint = session.server.clone();
        self.kept = Some(session);
        Ok(Connected {
            kind: None,
            version: Some(answered),
            endpoint: Some(endpoint),
            probe: Box::new(move || {
                let (client, server) = (client.clone(), server.clone());
                async move { version(&client, &server, timeout).await.map(drop) }.boxed()
            }),
        })
    }

    async fn follow(&mut self, link: &Link) -> Ended {
        let Some(mut session) = self.kept.take() else {
            return Ended::Failed(transient("not connected".to_owned()));
        };
        match follow_pods(&self.ctx.id, &mut session, link).await {
            Ok((error, keep)) => {
                if keep {
                    self.kept = Some(session);
                }
                Ended::Failed(error)
            }
            Err(Closed) => Ended::Closed,
        }
    }

    fn forget(&mut self) {
        self.kept = None;
    }
}

/// The API server's version, within `timeout`.
async fn version(
    client: &kube::Client,
    server: &str,
    timeout: std::time::Duration,
) -> Result<String, ErrorInfo> {
    match tokio::time::timeout(timeout, client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(info.git_version),
        Ok(Err(e)) => Err(classify(&e, server)),
        Err(_) => Err(transient(format!(
            "{server} did not answer within {} s",
            timeout.as_secs()
        ))),
    }
}

fn transient(message: String) -> ErrorInfo {
    ErrorInfo {
        kind: FailureKind::Transient,
        message,
        remedy: None,
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
