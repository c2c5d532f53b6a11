//! The snapshot as the window receives it: the same content as a [`Snapshot`], in less than
//! half its JSON.
//!
//! The window takes a snapshot at start, after a reload and after a gap. As JSON objects, 10k
//! rows were 3.4 MB: every row repeated its 15 field names, its engine, and texts most rows
//! share (an image, a state, a status line, a project). Getting that into the page cost
//! ~65 ms of IPC and JSON parsing, against ~13 ms for the registry to copy and serialize it. Here
//! a row is an array in a fixed column order, and the texts rows share are written once in
//! `texts` and referred to by index. The UI's IPC layer turns it back into `Container`s
//! (`ui/src/lib/ipc/wire.ts`); nothing past it sees this form.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::order::NameOrder;
use crate::container::{Container, PodInfo};
use crate::objects::Object;
#[cfg(doc)]
use crate::registry::Snapshot;
use crate::registry::{Registry, SnapshotRef, SnapshotStamp};
use crate::watcher::EngineStatus;

/// A [`Snapshot`] with its containers as [`WireRow`]s. It borrows from the
/// registry's stores: nothing of a row is copied on its way to the JSON.
#[derive(Debug, Serialize, TS)]
#[ts(export_to = "WireSnapshot.ts")]
pub struct WireSnapshot<'a> {
    pub engines: &'a [&'a EngineStatus],
    /// The texts rows share, each once; a row refers to them by index.
    pub texts: Vec<&'a str>,
    /// The containers: by name in the window's order when it sent one (`ipc::order`), else in
    /// the snapshot's.
    pub rows: Vec<WireRow<'a>>,
    pub revs: &'a BTreeMap<String, u64>,
    pub objects: &'a [Object],
    pub object_revs: &'a BTreeMap<String, u64>,
}

/// One container: `[id, name, engine, image, image_id, state, status, created, project,
/// networks, ports, volumes, pod, pending, kube]`, where engine, image, image_id, state, status,
/// project and pod are indices into [`WireSnapshot::texts`] (project and pod `null` when absent).
///
/// The columns after `created` are left off the end of a row while they hold their defaults
/// (`null`, `[]`, `false`), in the order that leaves the most off: a container with no kube
/// pod, not pending, in no pod and with no volume or port ends after its networks (a Docker
/// container) or its project. The page fills them back in (`ui/src/lib/ipc/wire.ts`). Why:
/// `JSON.parse` makes an array of each `[]` and reads every value; 10k rows of the benchmark's
/// synthetic engine (a project each, a port on every 7th) are 9 values instead of 15, and
/// JavaScriptCore 2.50 parses their 1.18 MB in 4.2 ms against 7.0–7.1 for the full 1.42 MB
/// (`jsc`, medians of 15 parses of each in turn, three runs).
#[derive(Debug, TS)]
#[ts(export_to = "WireRow.ts")]
pub struct WireRow<'a>(
    &'a str,
    &'a str,
    u32,
    u32,
    u32,
    u32,
    u32,
    i64,
    #[ts(type = "(number | null)?")] Option<u32>,
    #[ts(type = "Array<string>?")] &'a [String],
    #[ts(type = "Array<string>?")] &'a [String],
    #[ts(type = "Array<string>?")] &'a [String],
    #[ts(type = "(number | null)?")] Option<u32>,
    #[ts(type = "boolean?")] bool,
    #[ts(type = "(import(\"./PodInfo\").PodInfo | null)?")] Option<&'a PodInfo>,
);

impl WireRow<'_> {
    /// How many of the columns after `created` the row keeps: up to the last one that is not
    /// at its default.
    fn kept(&self) -> usize {
        let at_default = [
            self.8.is_none(),
            self.9.is_empty(),
            self.10.is_empty(),
            self.11.is_empty(),
            self.12.is_none(),
            !self.13,
            self.14.is_none(),
        ];
        at_default
            .iter()
            .rposition(|d| !d)
            .map_or(0, |last| last + 1)
    }
}

impl Serialize for WireRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let kept = self.kept();
        let mut row = serializer.serialize_tuple(8 + kept)?;
        row.serialize_element(self.0)?;
        row.serialize_element(self.1)?;
        row.serialize_element(&self.2)?;
        row.serialize_element(&self.3)?;
        row.serialize_element(&self.4)?;
        row.serialize_element(&self.5)?;
        row.serialize_element(&self.6)?;
        row.serialize_element(&self.7)?;
        if kept > 0 {
            row.serialize_element(&self.8)?;
        }
        if kept > 1 {
            row.serialize_element(self.9)?;
        }
        if kept > 2 {
            row.serialize_element(self.10)?;
        }
        if kept > 3 {
            row.serialize_element(self.11)?;
        }
        if kept > 4 {
            row.serialize_element(&self.12)?;
        }
        if kept > 5 {
            row.serialize_element(&self.13)?;
        }
        if kept > 6 {
            row.serialize_element(&self.14)?;
        }
        row.end()
    }
}

/// Texts written once each, in the order first seen. hashbrown's default hasher (foldhash,
/// randomly seeded, as std's is) rather than std's SipHash: a 10k-row snapshot looks up ~60k
/// texts under the hub's lock.
#[derive(Default)]
struct Texts<'a> {
    index: hashbrown::HashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Texts<'a> {
    fn of(&mut self, text: &'a str) -> u32 {
        let next = self.list.len();
        *self.index.entry(text).or_insert_with(|| {
            self.list.push(text);
            // More distinct texts than u32 can count cannot be held in memory: saturate.
            u32::try_from(next).unwrap_or(u32::MAX)
        })
    }
}

impl<'a> WireSnapshot<'a> {
    /// The wire form of a borrowed snapshot, its rows by name in `order` when there is one.
    #[must_use]
    pub fn of(snapshot: &'a SnapshotRef<'a>, order: Option<&NameOrder>) -> Self {
        let mut containers = snapshot.containers.clone();
        if let Some(order) = order {
            // Stable: rows of one name keep the snapshot's order (by engine).
            containers.sort_by_cached_key(|c| order.key(&c.name));
        }
        let mut texts = Texts::default();
        let rows = containers
            .into_iter()
            .map(|c: &'a Container| {
                WireRow(
                    &c.id,
                    &c.name,
                    texts.of(&c.engine),
                    texts.of(&c.image),
                    texts.of(&c.image_id),
                    texts.of(&c.state),
                    texts.of(&c.status),
                    c.created,
                    c.project.as_deref().map(|p| texts.of(p)),
                    &c.networks,
                    &c.ports,
                    &c.volumes,
                    c.pod.as_deref().map(|p| texts.of(p)),
                    c.pending,
                    c.kube.as_deref(),
                )
            })
            .collect();
        Self {
            engines: &snapshot.engines,
            texts: texts.list,
            rows,
            revs: &snapshot.revs,
            objects: &snapshot.objects,
            object_revs: &snapshot.object_revs,
        }
    }
}

/// The name of the page's setter that snapshots arrive through, a property of `window`
/// (`ui/src/lib/ipc/delivery.ts`, which takes it from the generated contract).
pub const RECEIVER: &str = "__skiffSnapshot";

/// The snapshot as a script for the webview to evaluate: `window.__skiffSnapshot=[token,'…']`,
/// the JSON of the registry's [`WireSnapshot`], written under the hub's lock straight from the
/// stores (10k rows: ~1.2 MB in a few milliseconds), as a single-quoted string literal, then
/// `;window.__skiffSnapshotSent=0`. The token takes ten characters, spaces before its digits.
///
/// `prepared`, when it still holds (taken in the same order, and the registry's stamp still its
/// own), is sent instead of writing the snapshot again: see [`PreparedSnapshot`].
///
/// Why a script and not the command's response: on Linux a response travels through WebKit's
/// custom-protocol stream, read in small chunks on the UI process's main loop. Measured in the
/// release window (10k rows, warm page, median of 12): 88 ms from invoke to data for 1.4 MB, of
/// which JSON.parse is 18 ms, against 18 ms for 285 KB; about 40 ms per MB go to the transfer. A
/// script is one message, and JavaScriptCore reads an assignment of a literal (its JSONP path)
/// with its JSON parser, not the JavaScript one.
///
/// Why the JSON goes as a string the page parses, not as a literal: as a JavaScript literal, a
/// key `__proto__` (a label an image or an engine chose) would set a prototype instead of being
/// a key. `JSON.parse` keeps the page's reading of every snapshot exactly as before. And a
/// literal is slower here: tried (10k rows, release window, reloads, A/B in one run beside a CI run), the
/// snapshot took 330–390 ms from request to data as a literal against 70–170 ms as a string,
/// although a WebDriver-evaluated probe had shown the literal parsed faster (9 against 21 ms).
///
/// Why single quotes: JSON is full of `"` (two for every text of a row) and has next to no `'`
/// or `\`. In double quotes every `"` is escaped, and JavaScriptCore reads a literal with escapes
/// character by character into a new string; in single quotes the 1.4 MB of 10k rows have none,
/// and it takes them as they are. Measured (release window, 10k rows, the same build switched
/// between the two, two runs of 10 reloads each, medians): from the script handed to the webview
/// to the page's receiver running 4.6–5.8 → 2.4–3.1 ms. And the script is ~3 % shorter.
///
/// Why the second assignment: WebKit sends a script's value back to the app's process (wry asks
/// for it, and turns it into a JavaScriptCore value there), and a script's value is its last
/// statement's. Ended by the snapshot's assignment it would be the snapshot, 1.4 MB at 10k rows,
/// copied back for nothing; ended by this one it is `0`. A second assignment keeps the script in
/// JavaScriptCore's JSONP form (`path = literal;` statements), which an expression such as `;0`
/// would leave for the full parser. Measured (release window, 10k rows, 20 reloads of each build
/// in turn, medians): the script received 25 → 23 ms after the request, rows painted 72 → 70 ms.
pub fn snapshot_script(
    registry: &Registry,
    token: u32,
    order: Option<&NameOrder>,
    prepared: Option<PreparedSnapshot>,
) -> serde_json::Result<String> {
    let script = match prepared {
        Some(p) if p.order.as_ref() == order && p.stamp == registry.stamp() => p.script,
        _ => write_script(registry, order)?.1,
    };
    Ok(with_token(script, token))
}

/// A snapshot's script written ahead of the page's request, while the page loads: the shell
/// starts it when a navigation starts, in the order the page sent last. Measured in the release
/// window (10k rows, reloads): the page asks ~20 ms after the navigation starts, and writing the
/// script took 7-20 ms of the 23-48 from its request to its rows applied, on two cores that the
/// page's own start keeps busy (5-10 ms alone). Written ahead, it is ready when asked for, and the request
/// only checks that it still holds: equal stamps (`SnapshotStamp`) are equal snapshots, so a
/// script sent this way is the one a request would have written, never an older one. When a
/// row changed meanwhile, the request writes the snapshot as it would have without it.
#[derive(Debug)]
pub struct PreparedSnapshot {
    stamp: SnapshotStamp,
    order: Option<NameOrder>,
    script: String,
}

impl PreparedSnapshot {
    /// The registry's snapshot now, its rows in `order`, written for a request to come.
    ///
    /// # Errors
    /// When serializing fails (it does not for the registry's types).
    pub fn write(registry: &Registry, order: Option<NameOrder>) -> serde_json::Result<Self> {
        let (stamp, script) = write_script(registry, order.as_ref())?;
        Ok(Self {
            stamp,
            order,
            script,
        })
    }

    /// The script's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.script.len()
    }

    /// Never: a script holds at least its assignments.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.script.is_empty()
    }
}

/// The digits of the page's token: a `u32` has up to ten, and a shorter one has spaces before
/// it (JSON allows them), so a script written before its request takes the token in place.
const TOKEN_WIDTH: usize = 10;

/// Where the token starts: after `window.<RECEIVER>=[`.
const TOKEN_AT: usize = "window.".len() + RECEIVER.len() + "=[".len();

fn with_token(mut script: String, token: u32) -> String {
    script.replace_range(
        TOKEN_AT..TOKEN_AT + TOKEN_WIDTH,
        &format!("{token:>TOKEN_WIDTH$}"),
    );
    script
}

/// The script with a blank token, and the stamp of the snapshot it holds.
fn write_script(
    registry: &Registry,
    order: Option<&NameOrder>,
) -> serde_json::Result<(SnapshotStamp, String)> {
    let head = format!("window.{RECEIVER}=[{:>TOKEN_WIDTH$},'", "");
    let tail = format!("'];window.{RECEIVER}Sent=0");
    // The JSON is written where it stays in the script, after its head: serializing it apart
    // and copying it into the literal cost a second 1.2 MB buffer and a pass over it (10k rows,
    // release, medians of 60 in three runs: the script took 1.8-2.0 ms more than its JSON
    // alone; written in place 0.4-1.1). It is copied again only from the first character a
    // single-quoted literal cannot hold as it is, and nearly no snapshot has one (see below).
    let mut script = head.into_bytes();
    let start = script.len();
    let stamp = registry.with_snapshot(|snapshot| {
        serde_json::to_writer(&mut script, &WireSnapshot::of(snapshot, order))
            .map(|()| snapshot.stamp())
    })?;
    if let Some(at) = first_to_escape(&script[start..]) {
        let rest = script.split_off(start + at);
        // `at` is a character's first byte: what follows it is whole characters.
        let rest = String::from_utf8(rest).map_err(serde::ser::Error::custom)?;
        let mut escaped = String::with_capacity(rest.len() + rest.len() / 64);
        push_single_quoted(&mut escaped, &rest);
        script.extend_from_slice(escaped.as_bytes());
    }
    script.extend_from_slice(tail.as_bytes());
    // serde_json writes UTF-8; checked rather than trusted (a pass over ASCII, ~0.1 ms).
    let script = String::from_utf8(script).map_err(serde::ser::Error::custom)?;
    Ok((stamp, script))
}

/// Where in `json` the first character is that a single-quoted JavaScript literal cannot hold
/// as it is: `'`, `\`, U+2028 or U+2029 (whose UTF-8 starts with 0xE2, as other characters'
/// do: those are passed over).
fn first_to_escape(json: &[u8]) -> Option<usize> {
    memchr::memchr3_iter(b'\'', b'\\', 0xE2, json).find(|&at| {
        json[at] != 0xE2 || matches!(json.get(at + 1..at + 3), Some([0x80, 0xA8 | 0xA9]))
    })
}

/// Appends `text` as the inside of a single-quoted JavaScript string literal. JSON has no raw
/// line breaks (they are escaped in its strings), so only `'` and `\` need escaping; U+2028 and
/// U+2029, which JSON keeps raw and JavaScript allows in strings only since ES2019, are escaped
/// too rather than trusted to the webview's reading.
fn push_single_quoted(script: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['\'', '\\', '\u{2028}', '\u{2029}']) {
        script.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        match c {
            '\u{2028}' => script.push_str("\\u2028"),
            '\u{2029}' => script.push_str("\\u2029"),
            c => {
                script.push('\\');
                script.push(c);
            }
        }
        rest = &rest[at + c.len_utf8()..];
    }
    script.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Snapshot;
    use crate::watcher::{EngineState, WatchEvent};

    /// The registry's snapshot as JSON alone, written apart from any script: what a script's
    /// literal must read back as.
    fn snapshot_json(registry: &Registry, order: Option<&NameOrder>) -> serde_json::Result<String> {
        registry.with_snapshot(|snapshot| serde_json::to_string(&WireSnapshot::of(snapshot, order)))
    }

    /// The status of the one engine of [`listed`].
    fn podman_status() -> EngineStatus {
        EngineStatus::new("podman", "unix:///x", EngineState::Connected)
    }

    /// A registry whose one engine, `podman`, is connected and has listed `containers`, and
    /// its sender, for what changes after.
    async fn listed(
        containers: Vec<Container>,
    ) -> (Registry, tokio::sync::mpsc::Sender<WatchEvent>) {
        let registry = Registry::new();
        let tx = registry.attach("podman");
        let rows = containers.len();
        let items = [WatchEvent::Status(podman_status()), WatchEvent::Init]
            .into_iter()
            .chain(containers.into_iter().map(WatchEvent::InitApply))
            .chain([WatchEvent::InitDone]);
        for item in items {
            tx.send(item).await.unwrap();
        }
        crate::registry::synthetic::settled(&registry, rows).await;
        (registry, tx)
    }

    fn row(engine: &str, id: &str, image: &str, project: Option<&str>) -> Container {
        Container {
            image: image.into(),
            status: "Up 1 hour".into(),
            project: project.map(Into::into),
            ports: vec!["0.0.0.0:8080->80/tcp".into()],
            ..Container::new(engine, id, &format!("name-{id}"), "running")
        }
    }

    #[test]
    fn shared_texts_are_written_once_and_every_field_is_kept() {
        let containers = [
            row("podman", "a", "busybox", Some("web")),
            row("podman", "b", "busybox", None),
            row("docker", "c", "nginx", Some("web")),
        ];
        let snapshot = SnapshotRef {
            engines: Vec::new(),
            containers: containers.iter().collect(),
            revs: BTreeMap::from([("podman".into(), 7)]),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let wire = WireSnapshot::of(&snapshot, None);
        let json = serde_json::to_value(&wire).unwrap();
        // Each shared text once: engines, images, the empty image id, state, status, project.
        let texts = wire.texts.clone();
        assert_eq!(
            texts,
            [
                "podman",
                "busybox",
                "",
                "running",
                "Up 1 hour",
                "web",
                "docker",
                "nginx"
            ]
        );
        // Its project, then its port; its networks and volumes empty, no pod, not pending, no
        // kube pod: the row ends after its ports.
        assert_eq!(
            json["rows"][0],
            serde_json::json!([
                "a",
                "name-a",
                0,
                1,
                2,
                3,
                4,
                containers[0].created,
                5,
                [],
                ["0.0.0.0:8080->80/tcp"]
            ])
        );
        // No project: `null` where one goes, as its port comes after it.
        assert_eq!(json["rows"][1][8], serde_json::Value::Null);
        assert_eq!(json["rows"][2][2], 6);
        assert_eq!(json["revs"]["podman"], 7);
    }

    #[test]
    fn a_row_leaves_off_the_columns_at_their_defaults_from_its_end_and_no_other() {
        let kube = PodInfo {
            namespace: "default".into(),
            phase: "Running".into(),
            node: None,
            owner: None,
            restarts: 0,
            ready: "1/1".into(),
            containers: Vec::new(),
        };
        let plain = Container {
            ports: Vec::new(),
            ..row("docker", "a", "nginx", None)
        };
        let with = |f: &dyn Fn(&mut Container)| {
            let mut c = plain.clone();
            f(&mut c);
            c
        };
        // Each column after `created` set on its own: the row ends with it, holding the
        // defaults of the columns before it.
        let cases: [(Container, usize); 8] = [
            (plain.clone(), 8),
            (with(&|c| c.project = Some("web".into())), 9),
            (with(&|c| c.networks = vec!["bridge".into()]), 10),
            (with(&|c| c.ports = vec!["80/tcp".into()]), 11),
            (with(&|c| c.volumes = vec!["data".into()]), 12),
            (with(&|c| c.pod = Some("pod".into())), 13),
            (with(&|c| c.pending = true), 14),
            (with(&|c| c.kube = Some(Box::new(kube.clone()))), 15),
        ];
        let containers: Vec<&Container> = cases.iter().map(|(c, _)| c).collect();
        let snapshot = SnapshotRef {
            engines: Vec::new(),
            containers,
            revs: BTreeMap::new(),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let json = serde_json::to_value(WireSnapshot::of(&snapshot, None)).unwrap();
        let rows = json["rows"].as_array().unwrap();
        for (row, (_, len)) in rows.iter().zip(&cases) {
            let row = row.as_array().unwrap();
            assert_eq!(row.len(), *len, "{row:?}");
            let defaults = serde_json::json!([null, [], [], [], null, false, null]);
            for (i, value) in row.iter().enumerate().skip(8).take(len.saturating_sub(9)) {
                assert_eq!(value, &defaults[i - 8], "column {i} of {row:?}");
            }
        }
        assert_eq!(rows[7][14], serde_json::to_value(&kube).unwrap());
    }

    #[test]
    fn ten_thousand_rows_take_less_than_half_the_json_of_objects() {
        // As the benchmark's synthetic engine: a port published on every 7th.
        let containers: Vec<Container> = (0..10_000)
            .map(|i| Container {
                ports: if i % 7 == 0 {
                    vec!["0.0.0.0:8080->80/tcp".into()]
                } else {
                    Vec::new()
                },
                ..row(
                    "synthetic",
                    &format!("{i:064x}"),
                    &format!("registry.example/app-{}:latest", i % 50),
                    Some(&format!("project-{:03}", i / 20)),
                )
            })
            .collect();
        let snapshot = Snapshot {
            engines: Vec::new(),
            containers,
            revs: BTreeMap::new(),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let objects = serde_json::to_vec(&snapshot).unwrap().len();
        let borrowed = SnapshotRef {
            engines: Vec::new(),
            containers: snapshot.containers.iter().collect(),
            revs: BTreeMap::new(),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let wire = serde_json::to_vec(&WireSnapshot::of(&borrowed, None))
            .unwrap()
            .len();
        assert!(wire * 2 < objects, "{wire} bytes against {objects}");
    }

    #[tokio::test]
    async fn the_registrys_json_holds_the_same_rows_as_its_snapshot() {
        let registry = Registry::new();
        crate::registry::synthetic::fill(&registry, "synthetic", 300).await;
        crate::registry::synthetic::fill(&registry, "another", 20).await;
        crate::registry::synthetic::settled(&registry, 320).await;
        let owned = registry.snapshot();
        assert_eq!(owned.containers.len(), 320);
        let json: serde_json::Value =
            serde_json::from_str(&snapshot_json(&registry, None).unwrap()).unwrap();
        let texts = texts_of(&json);
        let rows = json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), owned.containers.len());
        // Row by row, in the snapshot's order (engine, then name).
        for (row, c) in rows.iter().zip(&owned.containers) {
            assert_eq!(row[0], c.id.as_str());
            assert_eq!(row[1], c.name.as_str());
            assert_eq!(texts[row[2].as_u64().unwrap() as usize], c.engine);
            assert_eq!(texts[row[3].as_u64().unwrap() as usize], c.image);
            assert_eq!(texts[row[6].as_u64().unwrap() as usize], c.status);
            assert_eq!(
                row.get(8)
                    .and_then(serde_json::Value::as_u64)
                    .map(|i| texts[i as usize]),
                c.project.as_deref()
            );
        }
        assert_eq!(json["revs"], serde_json::to_value(&owned.revs).unwrap());
        // The script carries the same JSON, whole, as a string beside the page's token.
        let script = snapshot_script(&registry, 4_000_000_000, None, None).unwrap();
        let (token, sent) = read_script(&script);
        assert_eq!(token, "4000000000");
        assert_eq!(sent, json);
        assert_eq!(
            json["engines"],
            serde_json::to_value(&owned.engines).unwrap()
        );
    }

    /// A snapshot's shared texts, from its JSON.
    fn texts_of(json: &serde_json::Value) -> Vec<&str> {
        json["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect()
    }

    /// The token and the JSON a snapshot script carries: `window.<receiver>=[token,'…']`, then
    /// the small last value.
    fn read_script(script: &str) -> (&str, serde_json::Value) {
        let (token, literal) = script
            .strip_prefix(&format!("window.{RECEIVER}=["))
            .expect("an assignment to the page's receiver")
            .strip_suffix(&format!("];window.{RECEIVER}Sent=0"))
            .expect("a small last value")
            .split_once(',')
            .expect("[token,'…']");
        assert_eq!(token.len(), TOKEN_WIDTH, "{token:?}");
        (
            token.trim_start(),
            serde_json::from_str(&read_single_quoted(literal)).unwrap(),
        )
    }

    /// Reads a single-quoted JavaScript string literal as a script would, refusing what
    /// [`push_single_quoted`] never writes: a raw `'` or line break, an escape other than `\'`,
    /// `\\`, `\u2028` and `\u2029`.
    fn read_single_quoted(literal: &str) -> String {
        let inner = literal
            .strip_prefix('\'')
            .and_then(|l| l.strip_suffix('\''))
            .expect("in single quotes");
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e @ ('\'' | '\\')) => out.push(e),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        assert!(hex == "2028" || hex == "2029", "escape \\u{hex}");
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                    }
                    other => panic!("escape {other:?}"),
                },
                '\'' | '\n' | '\r' => panic!("{c:?} raw inside the literal"),
                c => out.push(c),
            }
        }
        out
    }

    #[tokio::test]
    async fn texts_with_quotes_backslashes_and_line_separators_arrive_as_they_were() {
        let hostile = "it's \"quoted\" C:\\path\\ \\' line\u{2028}para\u{2029}new\nline";
        let container = Container {
            status: hostile.into(),
            ..row("podman", "a", "img'\\", Some("o'brien"))
        };
        let (registry, _tx) = listed(vec![container]).await;
        let script = snapshot_script(&registry, 1, None, None).unwrap();
        let (token, json) = read_script(&script);
        assert_eq!(token, "1");
        let texts = texts_of(&json);
        for text in [hostile, "img'\\", "o'brien"] {
            assert!(texts.contains(&text), "{text:?} in {texts:?}");
        }
    }

    #[test]
    fn only_what_a_single_quoted_literal_cannot_hold_is_found() {
        assert_eq!(first_to_escape(br#"{"a":"plain"}"#), None);
        // Other characters whose UTF-8 starts with 0xE2 stay as they are (an arrow, an
        // ellipsis, U+2027), and so does a sequence cut short at the end.
        assert_eq!(first_to_escape("→ … \u{2027}".as_bytes()), None);
        assert_eq!(first_to_escape(&[b'a', 0xE2, 0x80]), None);
        assert_eq!(first_to_escape(b"ab'c"), Some(2));
        assert_eq!(first_to_escape(br"ab\c"), Some(2));
        assert_eq!(first_to_escape("→a\u{2028}".as_bytes()), Some(4));
        assert_eq!(first_to_escape("→\u{2029}'".as_bytes()), Some(3));
    }

    #[tokio::test]
    async fn a_snapshot_with_nothing_to_escape_is_its_json_as_it_was_written() {
        let container = Container {
            status: "Up 1 hour → healthy…".into(),
            ..row("podman", "a", "busybox", None)
        };
        let (registry, _tx) = listed(vec![container]).await;
        let script = snapshot_script(&registry, 9, None, None).unwrap();
        let json = snapshot_json(&registry, None).unwrap();
        assert_eq!(
            script,
            format!("window.{RECEIVER}=[         9,'{json}'];window.{RECEIVER}Sent=0")
        );
        assert!(json.contains("→ healthy…"), "{json}");
    }

    /// Waits, up to a second, until the registry's stamp is no longer `old`.
    async fn changed(registry: &Registry, old: &SnapshotStamp) {
        for _ in 0..200 {
            if registry.stamp() != *old {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the registry did not change");
    }

    #[tokio::test]
    async fn a_prepared_snapshot_is_sent_only_while_it_is_the_snapshot_a_request_would_write() {
        let rows = (0..30).map(|i| row("podman", &format!("{i:02x}"), "busybox", None));
        let (registry, tx) = listed(rows.collect()).await;
        let order = super::super::order::tests::root();
        // Written ahead, it is the script the request would have written, token and all.
        let prepared = PreparedSnapshot::write(&registry, Some(order.clone())).unwrap();
        assert_eq!(
            snapshot_script(&registry, 77, Some(&order), Some(prepared)).unwrap(),
            snapshot_script(&registry, 77, Some(&order), None).unwrap()
        );
        // One whose script is known: sent, with the request's token, while the stamp holds
        // and the order is the same.
        let marked = |order: Option<&NameOrder>| PreparedSnapshot {
            stamp: registry.stamp(),
            order: order.cloned(),
            script: format!("window.{RECEIVER}=[{:>TOKEN_WIDTH$},'marked']", ""),
        };
        assert_eq!(
            snapshot_script(
                &registry,
                4_000_000_000,
                Some(&order),
                Some(marked(Some(&order)))
            )
            .unwrap(),
            format!("window.{RECEIVER}=[4000000000,'marked']")
        );
        // Taken in another order (or none): written again.
        let fresh = snapshot_script(&registry, 5, Some(&order), Some(marked(None))).unwrap();
        assert!(!fresh.contains("marked") && fresh.contains("name-1d"));
        // A status changed since: written again, with it.
        let before = marked(Some(&order));
        tx.send(WatchEvent::Status(EngineStatus {
            reconnects: 41,
            ..podman_status()
        }))
        .await
        .unwrap();
        changed(&registry, &before.stamp).await;
        let fresh = snapshot_script(&registry, 5, Some(&order), Some(before)).unwrap();
        assert!(
            !fresh.contains("marked") && fresh.contains(r#""reconnects":41"#),
            "{fresh:.300}"
        );
        // A row changed since (a relist that drops all but one): written again, with it.
        let before = marked(Some(&order));
        let kept = registry.snapshot().containers[0].clone();
        for item in [
            WatchEvent::Init,
            WatchEvent::InitApply(kept),
            WatchEvent::InitDone,
        ] {
            tx.send(item).await.unwrap();
        }
        changed(&registry, &before.stamp).await;
        let fresh = snapshot_script(&registry, 5, Some(&order), Some(before)).unwrap();
        let (_, json) = read_script(&fresh);
        assert_eq!(json["rows"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn with_the_pages_order_rows_come_by_name_across_engines() {
        let named = |engine: &str, id: &str, name: &str| Container {
            name: name.into(),
            ..row(engine, id, "busybox", None)
        };
        // By bytes (the stores' order within an engine) `Web` and `_x` would sort apart.
        let containers = [
            named("podman", "a", "web"),
            named("docker", "b", "Web"),
            named("podman", "c", "_x"),
            named("docker", "d", "web"),
        ];
        let snapshot = SnapshotRef {
            engines: Vec::new(),
            containers: containers.iter().collect(),
            revs: BTreeMap::new(),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let order = super::super::order::tests::root();
        let ids = |wire: WireSnapshot| wire.rows.iter().map(|r| r.0.to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(WireSnapshot::of(&snapshot, None)), ["a", "b", "c", "d"]);
        // `_x` first (punctuation before letters), then the two `web` in the snapshot's order, then
        // `Web` (lower case first).
        assert_eq!(
            ids(WireSnapshot::of(&snapshot, Some(&order))),
            ["c", "a", "d", "b"]
        );
    }
}
