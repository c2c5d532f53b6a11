//! Who uses an object, derived from the container rows when the object is read (see the module
//! doc of `objects` for why it is not kept).

use std::collections::HashMap;

use super::Object;
use crate::container::Container;

/// Fills the `containers` of every image, volume and network in `objects` with the names of the
/// containers of the same engine that use it, sorted; O(objects + containers). A pod keeps the
/// containers Podman listed in it.
pub fn fill<'a, 'o>(
    objects: impl IntoIterator<Item = &'o mut Object>,
    containers: impl IntoIterator<Item = &'a Container>,
) {
    // (engine, kind, key) → names. Keys: an image's id, a volume's name, a network's name.
    let mut users: HashMap<(&str, u8, &str), Vec<String>> = HashMap::new();
    for c in containers {
        let mut add = |kind: u8, key: &'a str| {
            users
                .entry((c.engine.as_str(), kind, key))
                .or_default()
                .push(c.name.clone());
        };
        if !c.image_id.is_empty() {
            add(IMAGE, c.image_id.as_str());
        }
        for v in &c.volumes {
            add(VOLUME, v);
        }
        for n in &c.networks {
            add(NETWORK, n);
        }
    }
    for object in objects {
        let key = match &*object {
            Object::Image(i) => (i.engine.as_str(), IMAGE, i.id.as_str()),
            Object::Volume(v) => (v.engine.as_str(), VOLUME, v.id.as_str()),
            Object::Network(n) => (n.engine.as_str(), NETWORK, n.name.as_str()),
            Object::Pod(_) => continue,
        };
        let mut names = users.get(&key).cloned().unwrap_or_default();
        names.sort();
        *object.containers_mut() = names;
    }
}

const IMAGE: u8 = 0;
const VOLUME: u8 = 1;
const NETWORK: u8 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Image, Network, Volume};

    #[test]
    fn users_are_matched_by_engine_and_key() {
        let row = |engine: &str, name: &str, image: &str, volumes: &[&str], networks: &[&str]| {
            Container {
                image_id: image.to_owned(),
                volumes: volumes.iter().map(|s| (*s).to_owned()).collect(),
                networks: networks.iter().map(|s| (*s).to_owned()).collect(),
                ..Container::new(engine, name, name, "running")
            }
        };
        let containers = [
            row("docker", "web", "sha256:a", &["data"], &["front"]),
            row("docker", "api", "sha256:a", &[], &["front", "back"]),
            row("podman", "other", "sha256:a", &["data"], &["front"]),
        ];
        let mut objects = vec![
            Object::Image(Image {
                id: "sha256:a".into(),
                engine: "docker".into(),
                tags: vec![],
                size_bytes: 0,
                created: 0,
                containers: vec!["stale".into()],
            }),
            Object::Volume(Volume {
                id: "data".into(),
                engine: "docker".into(),
                driver: "local".into(),
                mountpoint: String::new(),
                created: None,
                size_bytes: None,
                containers: vec![],
            }),
            Object::Network(Network {
                id: "n1".into(),
                name: "back".into(),
                engine: "docker".into(),
                driver: "bridge".into(),
                subnet: None,
                containers: vec![],
            }),
        ];
        fill(&mut objects, &containers);
        let names: Vec<Vec<String>> = objects
            .iter_mut()
            .map(|o| o.containers_mut().clone())
            .collect();
        assert_eq!(names, vec![vec!["api", "web"], vec!["web"], vec!["api"]]);
    }
}
