//! A pod as a registry row: the same [`Container`] every consumer reads, with the
//! Kubernetes-only facts in [`PodInfo`].
//!
//! The row's `state` is the pod phase in lowercase (`pending`, `running`, `succeeded`, `failed`,
//! `unknown`), or `terminating` once the pod has a deletion timestamp. Its `status` is worded like
//! `kubectl get pods`' STATUS column: the most telling container reason (`CrashLoopBackOff`,
//! `ImagePullBackOff`, `Completed`, `Error`…) or the phase, then readiness and restarts.

use std::fmt::Write as _;

use crate::container::{Container, PodContainer, PodInfo};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

/// The row of `pod` in engine `engine`; `None` without a uid (such a pod cannot be tracked: an
/// invented id would be a row that never goes away).
#[must_use]
pub fn row(engine: &str, pod: &Pod) -> Option<Container> {
    let meta = &pod.metadata;
    let id = meta.uid.clone().filter(|u| !u.is_empty())?;
    let name = meta.name.clone().unwrap_or_else(|| id.clone());
    let spec_containers = pod.spec.as_ref().map_or(&[][..], |s| &s.containers[..]);
    let status = pod.status.as_ref();
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let containers: Vec<PodContainer> = spec_containers
        .iter()
        .map(|c| {
            let st = statuses.iter().find(|s| s.name == c.name);
            container(&c.name, c.image.as_deref().unwrap_or_default(), st)
        })
        .collect();
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_owned());
    let restarts = containers.iter().map(|c| c.restarts).sum();
    let ready_count = containers.iter().filter(|c| c.ready).count();
    let ready = format!("{ready_count}/{}", containers.len());
    let terminating = meta.deletion_timestamp.is_some();
    let state = if terminating {
        "terminating".to_owned()
    } else {
        phase.to_lowercase()
    };
    let reason = if terminating {
        "Terminating".to_owned()
    } else {
        headline(
            &phase,
            status.and_then(|s| s.reason.as_deref()),
            &containers,
        )
    };
    let mut words = format!("{reason} · {ready} ready");
    if restarts > 0 {
        let plural = if restarts == 1 { "" } else { "s" };
        let _ = write!(words, " · {restarts} restart{plural}");
    }
    let images: Vec<&str> = containers.iter().map(|c| c.image.as_str()).collect();
    Some(Container {
        id,
        name,
        image: images.join(", "),
        image_id: String::new(),
        volumes: Vec::new(),
        networks: Vec::new(),
        state,
        status: words,
        engine: engine.to_owned(),
        created: meta
            .creation_timestamp
            .as_ref()
            .map_or(0, |t| t.0.as_second()),
        ports: Vec::new(),
        pod: None,
        project: None,
        pending: false,
        kube: Some(Box::new(PodInfo {
            namespace: meta.namespace.clone().unwrap_or_default(),
            phase,
            node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            owner: owner(pod),
            restarts,
            ready,
            containers,
        })),
    })
}

fn container(name: &str, image: &str, status: Option<&ContainerStatus>) -> PodContainer {
    let mut c = PodContainer {
        name: name.to_owned(),
        image: image.to_owned(),
        state: "waiting".to_owned(),
        reason: None,
        exit_code: None,
        restarts: 0,
        ready: false,
    };
    let Some(s) = status else {
        return c;
    };
    c.restarts = u32::try_from(s.restart_count).unwrap_or(0);
    c.ready = s.ready;
    if !s.image.is_empty() {
        c.image.clone_from(&s.image);
    }
    if let Some(state) = &s.state {
        if let Some(w) = &state.waiting {
            c.reason.clone_from(&w.reason);
        } else if state.running.is_some() {
            "running".clone_into(&mut c.state);
        } else if let Some(t) = &state.terminated {
            "terminated".clone_into(&mut c.state);
            c.reason.clone_from(&t.reason);
            c.exit_code = Some(t.exit_code);
        }
    }
    c
}

/// The STATUS word: a waiting reason beats a terminated one (a crash loop is news), which beats
/// the pod's own reason (`Evicted`), which beats the phase.
fn headline(phase: &str, pod_reason: Option<&str>, containers: &[PodContainer]) -> String {
    let reason_of = |state: &str| {
        containers
            .iter()
            .filter(|c| c.state == state)
            .find_map(|c| c.reason.clone())
    };
    reason_of("waiting")
        .filter(|r| r != "ContainerCreating" || phase == "Pending")
        .or_else(|| {
            (phase != "Running")
                .then(|| reason_of("terminated"))
                .flatten()
        })
        .or_else(|| pod_reason.map(str::to_owned))
        .unwrap_or_else(|| phase.to_owned())
}

/// `Kind/name` of the pod's controller. A ReplicaSet named `<deployment>-<pod-template-hash>`
/// is reported as its Deployment, which is what the user created.
fn owner(pod: &Pod) -> Option<String> {
    let refs = pod.metadata.owner_references.as_deref()?;
    let owner = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or(refs.first())?;
    if owner.kind == "ReplicaSet" {
        let hash = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"));
        if let Some(deployment) = hash.and_then(|h| owner.name.strip_suffix(&format!("-{h}"))) {
            return Some(format!("Deployment/{deployment}"));
        }
    }
    Some(format!("{}/{}", owner.kind, owner.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).expect("pod json")
    }

    #[test]
    fn a_running_deployment_pod() {
        let p = pod(serde_json::json!({
            "metadata": {
                "name": "web-7d4b9c-x2x9z", "namespace": "shop", "uid": "1f0e-aa",
                "creationTimestamp": "2026-11-23T10:00:00Z",
                "labels": {"pod-template-hash": "7d4b9c"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c", "uid": "u", "controller": true}]
            },
            "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "nginx:1"}, {"name": "log", "image": "busybox"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "image": "nginx:1", "imageID": "", "ready": true, "restartCount": 2, "state": {"running": {}}},
                {"name": "log", "image": "busybox", "imageID": "", "ready": false, "restartCount": 1,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ]}
        }));
        let row = row("k8s:dev", &p).expect("row");
        assert_eq!(row.id, "1f0e-aa");
        assert_eq!(row.name, "web-7d4b9c-x2x9z");
        assert_eq!(row.engine, "k8s:dev");
        assert_eq!(row.state, "running");
        assert_eq!(row.status, "CrashLoopBackOff · 1/2 ready · 3 restarts");
        assert_eq!(row.image, "nginx:1, busybox");
        assert_eq!(row.created, 1_795_428_000);
        let info = row.kube.expect("pod info");
        assert_eq!(info.namespace, "shop");
        assert_eq!(info.owner.as_deref(), Some("Deployment/web"));
        assert_eq!(info.node.as_deref(), Some("n1"));
        assert_eq!(info.restarts, 3);
        assert_eq!(
            info.containers[1].reason.as_deref(),
            Some("CrashLoopBackOff")
        );
        assert_eq!(info.containers[0].state, "running");
    }

    #[test]
    fn pending_completed_failed_and_terminating() {
        let base = |phase: &str, state: serde_json::Value, extra: serde_json::Value| {
            let mut meta = serde_json::json!({"name": "p", "namespace": "ns", "uid": "u1",
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "backup", "uid": "j"}]});
            if let serde_json::Value::Object(extra) = extra {
                meta.as_object_mut().unwrap().extend(extra);
            }
            pod(serde_json::json!({
                "metadata": meta,
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                "status": {"phase": phase, "containerStatuses": [
                    {"name": "c", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": state}]}
            }))
        };
        let none = serde_json::json!({});
        let r = row(
            "k",
            &base(
                "Pending",
                serde_json::json!({"waiting": {"reason": "ContainerCreating"}}),
                none.clone(),
            ),
        )
        .unwrap();
        assert_eq!(
            (r.state.as_str(), r.status.as_str()),
            ("pending", "ContainerCreating · 0/1 ready")
        );
        let r = row(
            "k",
            &base(
                "Succeeded",
                serde_json::json!({"terminated": {"exitCode": 0, "reason": "Completed"}}),
                none.clone(),
            ),
        )
        .unwrap();
        assert_eq!(
            (r.state.as_str(), r.status.as_str()),
            ("succeeded", "Completed · 0/1 ready")
        );
        assert_eq!(
            r.kube.as_ref().unwrap().owner.as_deref(),
            Some("Job/backup")
        );
        assert_eq!(r.kube.as_ref().unwrap().containers[0].exit_code, Some(0));
        let r = row(
            "k",
            &base(
                "Failed",
                serde_json::json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}),
                none,
            ),
        )
        .unwrap();
        assert_eq!(
            (r.state.as_str(), r.status.as_str()),
            ("failed", "OOMKilled · 0/1 ready")
        );
        let r = row(
            "k",
            &base(
                "Running",
                serde_json::json!({"running": {}}),
                serde_json::json!({"deletionTimestamp": "2026-11-23T10:00:00Z"}),
            ),
        )
        .unwrap();
        assert_eq!(
            (r.state.as_str(), r.status.as_str()),
            ("terminating", "Terminating · 0/1 ready")
        );
    }

    #[test]
    fn a_bare_pod_without_status_is_pending_and_one_without_uid_is_skipped() {
        let p = pod(serde_json::json!({"metadata": {"name": "bare", "uid": "u"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}));
        let r = row("k", &p).unwrap();
        assert_eq!(r.state, "pending");
        assert_eq!(r.status, "Pending · 0/1 ready");
        assert_eq!(r.kube.unwrap().owner, None);
        let p = pod(serde_json::json!({"metadata": {"name": "ghost"}}));
        assert!(row("k", &p).is_none());
    }
}
