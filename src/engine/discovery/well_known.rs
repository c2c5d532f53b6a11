//! The well-known engine sockets and pipes of each platform (discovery's last source).

use super::{DiscoveryContext, Os};
use crate::engine::Endpoint;

/// The well-known endpoints of a platform, in precedence order, with their ids.
#[must_use]
pub fn well_known(ctx: &DiscoveryContext) -> Vec<(&'static str, Endpoint)> {
    let home = |rel: &str| ctx.home.as_ref().map(|h| Endpoint::Unix(h.join(rel)));
    let mut out: Vec<(&'static str, Option<Endpoint>)> = Vec::new();
    match ctx.os {
        Os::Linux => {
            out.push((
                "podman",
                ctx.runtime_dir
                    .as_ref()
                    .map(|d| Endpoint::Unix(d.join("podman/podman.sock"))),
            ));
            out.push((
                "podman-rootful",
                Some(Endpoint::Unix("/run/podman/podman.sock".into())),
            ));
            out.push(("docker-desktop", home(".docker/desktop/docker.sock")));
            out.push((
                "docker",
                Some(Endpoint::Unix("/var/run/docker.sock".into())),
            ));
        }
        Os::MacOs => {
            out.push(("docker-desktop", home(".docker/run/docker.sock")));
            out.push((
                "docker",
                Some(Endpoint::Unix("/var/run/docker.sock".into())),
            ));
            out.push(("colima", home(".colima/default/docker.sock")));
            out.push(("colima", home(".config/colima/default/docker.sock")));
            out.push(("orbstack", home(".orbstack/run/docker.sock")));
            out.push(("rancher-desktop", home(".rd/docker.sock")));
            out.push((
                "podman-machine",
                home(".local/share/containers/podman/machine/podman.sock"),
            ));
            out.push((
                "podman-machine",
                home(".local/share/containers/podman/machine/qemu/podman.sock"),
            ));
            out.push((
                "podman-machine",
                ctx.tmp_dir
                    .as_ref()
                    .map(|t| Endpoint::Unix(t.join("podman/podman-machine-default-api.sock"))),
            ));
        }
        Os::Windows => {
            out.push((
                "docker",
                Some(Endpoint::NamedPipe("//./pipe/docker_engine".into())),
            ));
            out.push((
                "podman-machine",
                Some(Endpoint::NamedPipe(
                    "//./pipe/podman-machine-default".into(),
                )),
            ));
        }
    }
    out.into_iter()
        .filter_map(|(id, e)| e.map(|e| (id, e)))
        .collect()
}
