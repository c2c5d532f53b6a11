//! A real Kubernetes API server for tests (`scripts/kube.sh`): etcd + kube-apiserver on
//! loopback, verified TLS, token auth, RBAC, everything in a temp dir. No kubelets: pods are
//! created through the API and their status is driven through the status subresource.
//!
//! When the API server cannot be built or started here the test is skipped with a printed
//! reason, unless `SKIFF_REQUIRE_ENGINES=1` (set by `make test` and CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Debug)]
pub struct TestCluster {
    dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kube.sh")
}

impl TestCluster {
    pub fn start() -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("skiff-kube-")
            .tempdir()
            .unwrap();
        let out = Command::new(script())
            .args(["start", dir.path().to_str().unwrap()])
            .output()
            .expect("run scripts/kube.sh");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(
                std::env::var("SKIFF_REQUIRE_ENGINES").as_deref() != Ok("1"),
                "the Kubernetes API server did not start: {why}"
            );
            eprintln!("skipped: no Kubernetes API server here: {why}");
            return None;
        }
        let kubeconfig = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        Some(Self { dir, kubeconfig })
    }

    fn kube_sh(&self, args: &[&str]) -> String {
        let out = Command::new(script())
            .arg(args[0])
            .arg(self.dir.path())
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kube.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn stop_apiserver(&self) {
        self.kube_sh(&["stop-apiserver"]);
    }

    pub fn start_apiserver(&self) {
        self.kube_sh(&["start-apiserver"]);
    }

    /// Drops `user`'s token and restarts the API server (tokens are read at start).
    pub fn revoke(&self, user: &str) {
        self.kube_sh(&["revoke", user]);
    }

    /// Compacts etcd: every older resourceVersion now answers 410 Gone.
    pub fn compact(&self) -> u64 {
        self.kube_sh(&["compact"]).parse().unwrap()
    }

    pub async fn client(&self, context: &str) -> kube::Client {
        let config = Kubeconfig::read_from(&self.kubeconfig).unwrap();
        let options = KubeConfigOptions {
            context: Some(context.to_owned()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(config, &options)
            .await
            .unwrap();
        kube::Client::try_from(config).unwrap()
    }

    pub async fn admin(&self) -> kube::Client {
        self.client("admin").await
    }

    pub async fn namespace(&self, name: &str) {
        let api: Api<Namespace> = Api::all(self.admin().await);
        let ns: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
        api.create(&PostParams::default(), &ns).await.unwrap();
    }

    /// Lets `user` get, list, watch and delete pods in `namespace` (and nothing cluster-wide).
    pub async fn grant_pods(&self, user: &str, namespace: &str) {
        let client = self.admin().await;
        let roles: Api<Role> = Api::namespaced(client.clone(), namespace);
        let role: Role = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "pods"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "delete"]}]
        }))
        .unwrap();
        let _ = roles.create(&PostParams::default(), &role).await;
        let bindings: Api<RoleBinding> = Api::namespaced(client, namespace);
        let binding: RoleBinding = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("pods-{user}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]
        }))
        .unwrap();
        bindings
            .create(&PostParams::default(), &binding)
            .await
            .unwrap();
    }

    /// Creates a pod (bound to node `n1` when `bound`, so that deleting it waits for a kubelet
    /// that never comes: it stays terminating until deleted with grace period 0).
    pub async fn create_pod(&self, namespace: &str, name: &str, bound: bool) -> Pod {
        let api: Api<Pod> = Api::namespaced(self.admin().await, namespace);
        let mut spec =
            serde_json::json!({"containers": [{"name": "app", "image": "busybox:latest"}]});
        if bound {
            spec["nodeName"] = serde_json::json!("n1");
        }
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name}, "spec": spec
        }))
        .unwrap();
        api.create(&PostParams::default(), &pod).await.unwrap()
    }

    /// Sets the pod's phase and its container's state through the status subresource, as a
    /// kubelet would.
    pub async fn set_phase(
        &self,
        namespace: &str,
        name: &str,
        phase: &str,
        state: serde_json::Value,
    ) {
        let api: Api<Pod> = Api::namespaced(self.admin().await, namespace);
        let ready = phase == "Running";
        let status = serde_json::json!({"status": {
            "phase": phase,
            "containerStatuses": [{"name": "app", "image": "busybox:latest", "imageID": "",
                "ready": ready, "restartCount": 0, "state": state}]
        }});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap();
    }

    pub async fn delete_pod(&self, namespace: &str, name: &str) {
        let api: Api<Pod> = Api::namespaced(self.admin().await, namespace);
        api.delete(name, &DeleteParams::default().grace_period(0))
            .await
            .unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", self.dir.path().to_str().unwrap()])
            .output();
    }
}
