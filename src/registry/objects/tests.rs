use super::*;
use crate::objects::needs_refresh;
use crate::objects::{Image, Volume};

fn image(id: &str, tags: &[&str]) -> Box<Object> {
    Box::new(Object::Image(Image {
        id: id.to_owned(),
        engine: "docker".into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        size_bytes: 10,
        created: 1,
        containers: Vec::new(),
    }))
}

fn volume(name: &str) -> Box<Object> {
    Box::new(Object::Volume(Volume {
        id: name.to_owned(),
        engine: "docker".into(),
        driver: "local".into(),
        mountpoint: format!("/v/{name}"),
        created: None,
        size_bytes: None,
        containers: Vec::new(),
    }))
}

fn ops(out: &[ObjectDelta]) -> Vec<String> {
    out.iter()
        .map(|d| match &d.change {
            ObjectChange::Upsert { kind, object } => format!("{}:+{kind}:{}", d.rev, object.id()),
            ObjectChange::Remove { kind, id } => format!("{}:-{kind}:{id}", d.rev),
            ObjectChange::ResyncStart { objects } => format!("{}:start:{objects}", d.rev),
            ObjectChange::ResyncDone { objects } => format!("{}:done:{objects}", d.rev),
        })
        .collect()
}

#[test]
fn a_relist_swaps_in_and_removes_what_vanished() {
    let mut s = ObjectStore::new("docker");
    let mut out = Vec::new();
    for item in [
        ObjectItem::Init,
        ObjectItem::Apply(image("sha256:a", &["a:1"])),
        ObjectItem::Apply(volume("data")),
        ObjectItem::Done,
    ] {
        s.apply(item, &mut out);
    }
    assert_eq!(
        ops(&out),
        [
            "1:start:2",
            "2:+image:sha256:a",
            "3:+volume:data",
            "4:done:2"
        ]
    );
    out.clear();
    for item in [
        ObjectItem::Init,
        ObjectItem::Apply(volume("data")),
        ObjectItem::Done,
    ] {
        s.apply(item, &mut out);
    }
    assert_eq!(
        ops(&out),
        [
            "5:start:1",
            "6:+volume:data",
            "7:-image:sha256:a",
            "8:done:1"
        ]
    );
    assert_eq!(s.len(), 1);
}

#[test]
fn a_refresh_upserts_only_a_change_and_a_missing_object_is_removed_once() {
    let mut s = ObjectStore::new("docker");
    let mut out = Vec::new();
    let refreshed = |object| ObjectItem::Refreshed {
        kind: Kind::Image,
        id: "a".repeat(64),
        object,
    };
    let id = format!("sha256:{}", "a".repeat(64));
    s.apply(refreshed(Some(image(&id, &["x:1"]))), &mut out);
    s.apply(refreshed(Some(image(&id, &["x:1"]))), &mut out);
    s.apply(refreshed(Some(image(&id, &["x:1", "x:2"]))), &mut out);
    // Podman's bare hex in the event finds the `sha256:` id.
    s.apply(refreshed(None), &mut out);
    s.apply(refreshed(None), &mut out);
    assert_eq!(
        ops(&out),
        [
            format!("1:+image:{id}"),
            format!("2:+image:{id}"),
            format!("3:-image:{id}")
        ]
    );
    assert!(s.is_empty());
}

#[test]
fn a_removal_named_by_name_finds_the_object() {
    let mut s = ObjectStore::new("podman");
    let mut out = Vec::new();
    s.apply(
        ObjectItem::Refreshed {
            kind: Kind::Image,
            id: "sha256:b".into(),
            object: Some(image("sha256:b", &["busybox:latest"])),
        },
        &mut out,
    );
    s.apply(
        ObjectItem::Refreshed {
            kind: Kind::Image,
            id: "busybox:latest".into(),
            object: None,
        },
        &mut out,
    );
    assert_eq!(ops(&out), ["1:+image:sha256:b", "2:-image:sha256:b"]);
}

#[test]
fn mounts_and_connects_need_no_refresh() {
    assert!(!needs_refresh(Kind::Volume, "mount"));
    assert!(!needs_refresh(Kind::Network, "disconnect"));
    assert!(needs_refresh(Kind::Image, "tag"));
    assert!(needs_refresh(Kind::Volume, "create"));
}
