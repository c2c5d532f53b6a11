//! Objects from the engines' documents. Docker 20.10 and Podman 4.3 (compat API) write the same
//! shapes, except where noted; every field is optional on the wire, and an entry without an id is
//! skipped (it could not be tracked, as for containers).

use serde::Deserialize;
use serde_json::Value;

use super::{image_id, Image, Network, Object, Pod, Volume};

/// An image of `/images/json` (`Created` in seconds) or `/images/{name}/json` (`Created` in
/// RFC 3339).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireImage {
    id: Option<String>,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    created: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireVolume {
    name: Option<String>,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    mountpoint: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    usage_data: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireUsage {
    size: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireNetwork {
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default, rename = "IPAM")]
    ipam: Option<WireIpam>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireIpam {
    #[serde(default)]
    config: Option<Vec<WireIpamConfig>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireIpamConfig {
    subnet: Option<String>,
}

/// A network of libpod's `/libpod/networks/json`: Podman's own names (its compat API calls the
/// default network `bridge`, which `podman network ls` calls `podman`).
#[derive(Debug, Deserialize)]
struct LibpodNetwork {
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    subnets: Option<Vec<LibpodSubnet>>,
}

#[derive(Debug, Deserialize)]
struct LibpodSubnet {
    subnet: Option<String>,
}

impl From<LibpodNetwork> for WireNetwork {
    fn from(n: LibpodNetwork) -> Self {
        let config = n.subnets.map(|s| {
            s.into_iter()
                .map(|s| WireIpamConfig { subnet: s.subnet })
                .collect()
        });
        Self {
            id: n.id,
            name: n.name,
            driver: n.driver,
            ipam: Some(WireIpam { config }),
        }
    }
}

/// A pod of libpod's `/libpod/pods/json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WirePod {
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    containers: Option<Vec<WirePodContainer>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WirePodContainer {
    #[serde(default)]
    names: Option<String>,
}

/// `Created` as seconds, whichever way the engine wrote it.
fn seconds(created: Option<&Value>) -> i64 {
    match created {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp())
            .unwrap_or_default(),
        _ => 0,
    }
}

fn image(engine: &str, w: WireImage) -> Option<Object> {
    let tags = w
        .repo_tags
        .unwrap_or_default()
        .into_iter()
        // Docker lists a dangling image's tags as `<none>:<none>`.
        .filter(|t| t != "<none>:<none>")
        .collect();
    Some(Object::Image(Image {
        id: image_id(&w.id?),
        engine: engine.to_owned(),
        tags,
        size_bytes: w.size.unwrap_or_default().max(0).unsigned_abs(),
        created: seconds(w.created.as_ref()),
        containers: Vec::new(),
    }))
}

fn volume(engine: &str, w: WireVolume) -> Option<Object> {
    Some(Object::Volume(Volume {
        id: w.name?,
        engine: engine.to_owned(),
        driver: w.driver.unwrap_or_default(),
        mountpoint: w.mountpoint.unwrap_or_default(),
        created: w.created_at,
        // Docker writes -1 where it did not compute the size.
        size_bytes: w
            .usage_data
            .and_then(|u| u.size)
            .and_then(|s| u64::try_from(s).ok()),
        containers: Vec::new(),
    }))
}

fn network(engine: &str, w: WireNetwork) -> Option<Object> {
    let id = w.id?;
    Some(Object::Network(Network {
        name: w.name.unwrap_or_else(|| id.clone()),
        id,
        engine: engine.to_owned(),
        driver: w.driver.unwrap_or_default(),
        subnet: w
            .ipam
            .and_then(|i| i.config)
            .and_then(|c| c.into_iter().find_map(|c| c.subnet)),
        containers: Vec::new(),
    }))
}

fn pod(engine: &str, w: WirePod) -> Option<Object> {
    let id = w.id?;
    Some(Object::Pod(Pod {
        name: w.name.unwrap_or_else(|| id.clone()),
        id,
        engine: engine.to_owned(),
        status: w.status.unwrap_or_default(),
        created: w.created,
        containers: w
            .containers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.names)
            .collect(),
    }))
}

/// What a document of a kind could not be read as.
#[derive(Debug, thiserror::Error)]
#[error("{what} is not what the engine API describes: {source}")]
pub struct ParseError {
    what: &'static str,
    source: serde_json::Error,
}

fn read<T: serde::de::DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|source| ParseError { what, source })
}

/// `/images/json`.
pub fn images(engine: &str, body: &[u8]) -> Result<Vec<Object>, ParseError> {
    let list: Vec<WireImage> = read("the image list", body)?;
    Ok(list.into_iter().filter_map(|w| image(engine, w)).collect())
}

/// `/images/{name}/json`.
pub fn one_image(engine: &str, body: &[u8]) -> Result<Option<Object>, ParseError> {
    Ok(image(engine, read("an image", body)?))
}

/// `/volumes` (`{"Volumes": [...]}`; `null` when there are none).
pub fn volumes(engine: &str, body: &[u8]) -> Result<Vec<Object>, ParseError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct List {
        volumes: Option<Vec<WireVolume>>,
    }
    let list: List = read("the volume list", body)?;
    Ok(list
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| volume(engine, w))
        .collect())
}

/// `/volumes/{name}`.
pub fn one_volume(engine: &str, body: &[u8]) -> Result<Option<Object>, ParseError> {
    Ok(volume(engine, read("a volume", body)?))
}

/// `/networks`.
pub fn networks(engine: &str, body: &[u8]) -> Result<Vec<Object>, ParseError> {
    let list: Vec<WireNetwork> = read("the network list", body)?;
    Ok(list
        .into_iter()
        .filter_map(|w| network(engine, w))
        .collect())
}

/// `/networks/{id}`.
pub fn one_network(engine: &str, body: &[u8]) -> Result<Option<Object>, ParseError> {
    Ok(network(engine, read("a network", body)?))
}

/// libpod's `/libpod/networks/json`.
pub fn libpod_networks(engine: &str, body: &[u8]) -> Result<Vec<Object>, ParseError> {
    let list: Option<Vec<LibpodNetwork>> = read("the network list", body)?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| network(engine, w.into()))
        .collect())
}

/// libpod's `/libpod/networks/{name}/json`.
pub fn one_libpod_network(engine: &str, body: &[u8]) -> Result<Option<Object>, ParseError> {
    let w: LibpodNetwork = read("a network", body)?;
    Ok(network(engine, w.into()))
}

/// libpod's `/libpod/pods/json` (`null` when there are none).
pub fn pods(engine: &str, body: &[u8]) -> Result<Vec<Object>, ParseError> {
    let list: Option<Vec<WirePod>> = read("the pod list", body)?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| pod(engine, w))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_image_list_entry_and_an_inspect_document_give_the_same_image() {
        let listed = br#"[{"Id":"sha256:abc","RepoTags":["busybox:latest"],"Size":1234,"Created":1700000000,"Containers":-1},
                         {"Id":"sha256:def","RepoTags":["<none>:<none>"],"Size":-5},{"RepoTags":["noid:1"]}]"#;
        let list = images("docker", listed).unwrap();
        assert_eq!(list.len(), 2, "the entry without an id is skipped");
        let inspected =
            br#"{"Id":"sha256:abc","RepoTags":["busybox:latest"],"Size":1234,"Created":"2023-11-14T22:13:20.123456789Z"}"#;
        assert_eq!(one_image("docker", inspected).unwrap().unwrap(), list[0]);
        let Object::Image(dangling) = &list[1] else {
            unreachable!()
        };
        assert!(dangling.tags.is_empty());
        assert_eq!(dangling.size_bytes, 0);
    }

    #[test]
    fn volumes_networks_and_pods_parse_with_missing_fields() {
        let v = volumes("podman", br#"{"Volumes":[{"Name":"data","Driver":"local","Mountpoint":"/x","UsageData":{"Size":-1,"RefCount":-1}}]}"#).unwrap();
        let Object::Volume(v) = &v[0] else {
            unreachable!()
        };
        assert_eq!((v.id.as_str(), v.size_bytes), ("data", None));
        assert!(volumes("docker", br#"{"Volumes":null}"#)
            .unwrap()
            .is_empty());
        let n = networks("docker", br#"[{"Id":"n1","Name":"net","Driver":"bridge","IPAM":{"Config":[{"Gateway":"10.0.0.1"},{"Subnet":"10.0.0.0/24"}]}}]"#).unwrap();
        let Object::Network(n) = &n[0] else {
            unreachable!()
        };
        assert_eq!(n.subnet.as_deref(), Some("10.0.0.0/24"));
        let p = pods("podman", br#"[{"Id":"p1","Name":"web","Status":"Running","Containers":[{"Id":"c","Names":"web-infra"}]}]"#).unwrap();
        let Object::Pod(p) = &p[0] else {
            unreachable!()
        };
        assert_eq!(p.containers, vec!["web-infra"]);
        assert!(pods("podman", b"null").unwrap().is_empty());
        let n = libpod_networks("podman", br#"[{"name":"podman","id":"2f","driver":"bridge","subnets":[{"subnet":"10.88.0.0/16","gateway":"10.88.0.1"}]}]"#).unwrap();
        let Object::Network(n) = &n[0] else {
            unreachable!()
        };
        assert_eq!(
            (n.name.as_str(), n.subnet.as_deref()),
            ("podman", Some("10.88.0.0/16"))
        );
    }

    #[test]
    fn a_malformed_list_is_an_error_that_names_it() {
        let e = images("docker", br#"{"not":"a list"}"#).unwrap_err();
        assert!(e.to_string().contains("the image list"), "{e}");
    }
}
