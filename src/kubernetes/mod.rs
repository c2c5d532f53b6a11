//! Kubernetes: the pods of a kubeconfig context as one more engine of the registry.
//!
//! A context is watched like a Docker or Podman engine: engine id `k8s:<context>`, the same
//! [`crate::watcher::EngineStatus`] lines, the same backoff policy and failure classes, the same
//! store (`Init`…`InitDone` relists, then one change at a time), the same health metrics and
//! telemetry episodes, the same supervisor. What differs is the transport, which is kube-runtime's
//! `watcher` (see [`source`]), the row, which is built from the pod (see [`pods`]), and the
//! only action, deletion (see [`actions`]).
//!
//! - [`contexts`]: which contexts to watch: the ones named (settings, `--context`), or the
//!   kubeconfig's current context. No kubeconfig at all is not an error: most Docker users have
//!   none.
//! - [`error`]: kube errors as Skiff's failure classes, in words with a remedy.

pub mod actions;
pub mod error;
pub mod pods;
pub mod source;
mod terminal;

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

pub use crate::container::{PodContainer, PodInfo};
pub use actions::PodActions;
pub use error::{classify, KubeError};
pub use source::KubeSource;

use k8s_openapi::api::core::v1::Pod;

use crate::container::Container;
use crate::engine::listing::ContainerList;
use crate::engine::{ErrorInfo, FailureKind};

/// Engine ids of Kubernetes contexts start with this.
pub const ENGINE_PREFIX: &str = "k8s:";

/// How long a connection to an API server may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One kubeconfig context to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeContext {
    /// `k8s:<context>`.
    pub id: String,
    pub context: String,
    /// The kubeconfig file; `None`: `$KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// The one namespace to watch; `None`: all (or the context's own when that is forbidden).
    pub namespace: Option<String>,
}

/// The engine id of a context.
#[must_use]
pub fn engine_id(context: &str) -> String {
    format!("{ENGINE_PREFIX}{context}")
}

/// Whether an engine id names a Kubernetes context.
#[must_use]
pub fn is_kube(engine: &str) -> bool {
    engine.starts_with(ENGINE_PREFIX)
}

/// The kubeconfig files that matter for `explicit`: it, or `$KUBECONFIG`'s list, or
/// `~/.kube/config`. Watched for changes: a refreshed token is a reason to retry at once.
#[must_use]
pub fn kubeconfig_paths(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_owned()];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list).collect();
    }
    dirs::home_dir()
        .map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

fn read_kubeconfig(explicit: Option<&Path>) -> Result<Kubeconfig, KubeError> {
    match explicit {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| {
        KubeError(ErrorInfo {
            kind: FailureKind::Incompatible,
            message: format!("cannot read the kubeconfig: {e}"),
            remedy: Some(
                "Fix the kubeconfig file; Skiff retries as soon as it changes.".to_owned(),
            ),
        })
    })
}

/// The contexts to watch: those in `names`, or the current context when `names` is empty.
///
/// Without any kubeconfig file (and none named) there is nothing to watch and no error. A named
/// context the kubeconfig does not have is an error that names the ones it has.
pub fn contexts(
    kubeconfig: Option<&Path>,
    names: &[String],
    namespace: Option<&str>,
) -> Result<Vec<KubeContext>, KubeError> {
    if kubeconfig.is_none()
        && names.is_empty()
        && !kubeconfig_paths(None).iter().any(|p| p.exists())
    {
        return Ok(Vec::new());
    }
    let config = read_kubeconfig(kubeconfig)?;
    let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    let wanted: Vec<String> = if names.is_empty() {
        config.current_context.clone().into_iter().collect()
    } else {
        names.to_vec()
    };
    wanted
        .into_iter()
        .map(|name| {
            if !known.contains(&name.as_str()) {
                return Err(KubeError(ErrorInfo {
                    kind: FailureKind::Incompatible,
                    message: format!(
                        "the kubeconfig has no context {name:?} (it has: {})",
                        known.join(", ")
                    ),
                    remedy: None,
                }));
            }
            Ok(KubeContext {
                id: engine_id(&name),
                context: name,
                kubeconfig: kubeconfig.map(Path::to_path_buf),
                namespace: namespace.map(str::to_owned),
            })
        })
        .collect()
}

/// The contexts the settings ask for, none when Kubernetes is switched off; `namespace`
/// overrides the settings' one. A kubeconfig that cannot be read costs the pods, never the
/// caller (the app, `skiff ps` of a Docker user): it is logged and nothing is watched.
#[must_use]
pub fn from_settings(
    settings: &crate::settings::KubernetesSettings,
    namespace: Option<&str>,
) -> Vec<KubeContext> {
    if !settings.enabled {
        return Vec::new();
    }
    let path = settings.kubeconfig.as_deref().map(Path::new);
    let namespace = namespace.or(settings.namespace.as_deref());
    contexts(path, &settings.contexts, namespace).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Kubernetes contexts skipped");
        Vec::new()
    })
}

/// A client for `ctx`, with the context's default namespace and its server URL.
pub async fn client(ctx: &KubeContext) -> Result<(kube::Client, String, String), KubeError> {
    let config = read_kubeconfig(ctx.kubeconfig.as_deref())?;
    let options = KubeConfigOptions {
        context: Some(ctx.context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(config, &options)
        .await
        .map_err(|e| {
            KubeError(ErrorInfo {
                kind: FailureKind::Incompatible,
                message: format!("context {:?}: {e}", ctx.context),
                remedy: Some(
                    "Fix the context in the kubeconfig; Skiff retries as soon as it changes."
                        .to_owned(),
                ),
            })
        })?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| KubeError(classify(&e, &server)))?;
    Ok((client, namespace, server))
}

/// The pods of `ctx`, listed once (`skiff ps`): all namespaces, or the context's own when that
/// is forbidden. Without `all`, pods that ended (`succeeded`, `failed`) are left out, as `ps`
/// leaves out stopped containers.
pub async fn list(ctx: &KubeContext, all: bool) -> Result<Vec<Container>, KubeError> {
    let (client, home, server) = client(ctx).await?;
    let params = kube::api::ListParams::default();
    let api: kube::Api<Pod> = match &ctx.namespace {
        Some(ns) => kube::Api::namespaced(client.clone(), ns),
        None => kube::Api::all(client.clone()),
    };
    let listed = match api.list(&params).await {
        Err(kube::Error::Api(s)) if s.code == 403 && ctx.namespace.is_none() => {
            kube::Api::<Pod>::namespaced(client, &home)
                .list(&params)
                .await
        }
        other => other,
    }
    .map_err(|e| KubeError(classify(&e, &server)))?;
    let mut rows: Vec<Container> = listed
        .items
        .iter()
        .filter_map(|p| pods::row(&ctx.id, p))
        .filter(|r| all || !matches!(r.state.as_str(), "succeeded" | "failed"))
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// [`list`] of every context at once; unreachable ones are reported, not fatal.
pub async fn list_everywhere(contexts: &[KubeContext], all: bool) -> ContainerList {
    let results = futures_util::future::join_all(contexts.iter().map(|c| list(c, all))).await;
    let mut out = ContainerList::default();
    for (ctx, result) in contexts.iter().zip(results) {
        out.add(
            &ctx.id,
            ctx.context.clone(),
            result.map_err(ErrorInfo::from),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r"
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:1'}
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: team}
- name: prod
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: t}
";

    #[test]
    fn current_context_by_default_named_ones_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).unwrap();
        let current = contexts(Some(&path), &[], None).unwrap();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].id, "k8s:dev");
        let named = contexts(Some(&path), &["prod".into(), "dev".into()], Some("web")).unwrap();
        assert_eq!(
            named.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["k8s:prod", "k8s:dev"]
        );
        assert_eq!(named[0].namespace.as_deref(), Some("web"));
        let err = contexts(Some(&path), &["staging".into()], None).unwrap_err();
        assert!(
            err.to_string()
                .contains("no context \"staging\" (it has: dev, prod)"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_kubeconfig_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "clusters: [[[").unwrap();
        let err = contexts(Some(&path), &[], None).unwrap_err();
        assert_eq!(err.kind(), FailureKind::Incompatible);
        assert!(
            err.to_string().starts_with("cannot read the kubeconfig"),
            "{err}"
        );
        let missing = contexts(Some(&dir.path().join("nope")), &[], None).unwrap_err();
        assert_eq!(missing.kind(), FailureKind::Incompatible);
    }

    #[tokio::test]
    async fn the_client_takes_the_contexts_namespace_and_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).unwrap();
        let ctx = &contexts(Some(&path), &[], None).unwrap()[0];
        let (_client, namespace, server) = client(ctx).await.unwrap();
        assert_eq!(namespace, "team");
        assert_eq!(server, "https://127.0.0.1:1/");
    }
}
