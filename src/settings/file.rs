//! Reading and writing `settings.json` so that no key and no update is ever lost.
//!
//! - **Reading is lenient per section.** A file that is not a JSON object is an error. Inside
//!   one, a top-level section this version cannot read (a newer Skiff changed its type) falls
//!   back to its default with one warning, and every other section is used.
//! - **Writing is a three-way merge under a lock.** [`Settings::update`] takes an exclusive lock
//!   on `settings.json.lock` (the CLI and the app both write), reads the file as it is *now*,
//!   applies the edit, and writes back only the sections the edit changed, each merged into what
//!   is on disk: keys this version does not know survive at every level (an endpoint's, the
//!   backoff's, the Kubernetes section's), a section that fell back is left as the newer version
//!   wrote it unless the user changed it, and a concurrent writer's change to another section is
//!   kept. Nothing is written when nothing changed.
//! - **Writing is atomic and durable**: a unique temp file in the same directory, fsynced,
//!   renamed over the file, then the directory fsynced (as SQLite and containerd do), so a crash
//!   or a full disk leaves the old file or the new one, never a mix or nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{config_dir, Settings, SettingsError};

/// The file as read: the settings, the raw JSON they came from, and the sections that fell back.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    raw: Map<String, Value>,
    /// Top-level keys whose value this version could not read (their defaults are used).
    pub fallback: Vec<String>,
}

fn settings_path() -> Result<PathBuf, SettingsError> {
    Ok(config_dir()?.join("settings.json"))
}

impl Settings {
    /// Loads `settings.json` from [`config_dir`]; a missing file gives the defaults.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&settings_path()?)
    }

    pub fn load_from(path: &Path) -> Result<Self, SettingsError> {
        let loaded = read(path)?;
        for key in &loaded.fallback {
            tracing::warn!(path = %path.display(), section = %key, "settings section unreadable by this version; using its default (the file keeps it as it is)");
        }
        Ok(loaded.settings)
    }

    /// Applies `edit` to the settings on disk, under the write lock, and writes back what it
    /// changed. Returns the settings as saved.
    pub fn update(edit: impl FnOnce(&mut Settings)) -> Result<Settings, SettingsError> {
        Self::update_at(&settings_path()?, edit)
    }

    pub fn update_at(
        path: &Path,
        edit: impl FnOnce(&mut Settings),
    ) -> Result<Settings, SettingsError> {
        let write_err = |source| SettingsError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let lock_path = path.with_extension("json.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| SettingsError::Lock {
                path: lock_path.clone(),
                source,
            })?;
        // Blocking: the other writer holds it for one read-modify-write of a small file.
        lock.lock().map_err(|source| SettingsError::Lock {
            path: lock_path.clone(),
            source,
        })?;
        let Loaded {
            mut settings,
            mut raw,
            ..
        } = read(path)?;
        let before = to_map(&settings);
        edit(&mut settings);
        let after = to_map(&settings);
        let mut changed = false;
        for (key, value) in after {
            if before.get(&key) == Some(&value) {
                continue;
            }
            changed = true;
            let merged = match raw.remove(&key) {
                Some(old) => merge(old, value),
                None => value,
            };
            raw.insert(key, merged);
        }
        if changed {
            write_atomically(path, &Value::Object(raw)).map_err(write_err)?;
        }
        Ok(settings)
    }
}

/// Reads the file leniently (see the module doc).
pub fn read(path: &Path) -> Result<Loaded, SettingsError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                settings: Settings::default(),
                raw: Map::new(),
                fallback: Vec::new(),
            })
        }
        Err(source) => {
            return Err(SettingsError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let malformed = |source| SettingsError::Malformed {
        path: path.to_owned(),
        source,
    };
    let raw: Map<String, Value> = serde_json::from_slice(&bytes).map_err(malformed)?;
    if let Ok(settings) = serde_json::from_value::<Settings>(Value::Object(raw.clone())) {
        return Ok(Loaded {
            settings,
            raw,
            fallback: Vec::new(),
        });
    }
    // Some section has a type this version does not read: find which, one at a time, and
    // leave those out (their defaults apply). Unknown keys never fail (they go to `extra`).
    let mut usable = Map::new();
    let mut fallback = Vec::new();
    for (key, value) in &raw {
        let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        if serde_json::from_value::<Settings>(alone).is_ok() {
            usable.insert(key.clone(), value.clone());
        } else {
            fallback.push(key.clone());
        }
    }
    let settings = serde_json::from_value(Value::Object(usable)).map_err(malformed)?;
    Ok(Loaded {
        settings,
        raw,
        fallback,
    })
}

fn to_map(settings: &Settings) -> Map<String, Value> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// `new` over `old`: objects merge key by key (keys only in `old` are kept); arrays of objects
/// merge element by element, matched by their `name` when they have one (an endpoint keeps its
/// unknown keys when another is removed before it), else by position; anything else is `new`.
fn merge(old: Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(mut old), Value::Object(new)) => {
            for (key, value) in new {
                let merged = match old.remove(&key) {
                    Some(o) => merge(o, value),
                    None => value,
                };
                old.insert(key, merged);
            }
            Value::Object(old)
        }
        (Value::Array(old), Value::Array(new)) => {
            let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
            let mut old: Vec<Option<Value>> = old.into_iter().map(Some).collect();
            let merged = new
                .into_iter()
                .enumerate()
                .map(|(i, value)| {
                    let matching = match name(&value) {
                        Some(n) => old
                            .iter_mut()
                            .find(|o| o.as_ref().and_then(name).as_deref() == Some(n.as_str())),
                        None => old.get_mut(i),
                    };
                    match matching.and_then(Option::take) {
                        Some(o) => merge(o, value),
                        None => value,
                    }
                })
                .collect();
            Value::Array(merged)
        }
        (_, new) => new,
    }
}

fn write_atomically(path: &Path, value: &Value) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".settings.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let mut body = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    body.push(b'\n');
    tmp.write_all(&body)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the directory entry is (no-op where unsupported).
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(path: &Path, value: &Value) {
        std::fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
    }

    fn raw(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn unknown_keys_survive_at_every_level() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        write(
            &path,
            &json!({
                "future": {"a": 1},
                "endpoints": [
                    {"name": "old", "url": "tcp://127.0.0.1:1", "ssh_key": "k1"},
                    {"name": "lab", "url": "tcp://127.0.0.1:2", "ssh_key": "k2"}
                ],
                "backoff": {"initial_ms": 500, "max_ms": 30000, "factor": 2.0, "jitter_curve": "x"},
                "kubernetes": {"enabled": true, "exec_plugin": "aws"}
            }),
        );
        Settings::update_at(&path, |s| {
            s.endpoints.remove(0);
            s.endpoints[0].enabled = false;
            s.backoff.max_ms = 20_000;
            s.kubernetes.namespace = Some("team".into());
        })
        .unwrap();
        let v = raw(&path);
        assert_eq!(v["future"]["a"], 1);
        assert_eq!(v["endpoints"].as_array().unwrap().len(), 1);
        assert_eq!(v["endpoints"][0]["name"], "lab");
        assert_eq!(v["endpoints"][0]["ssh_key"], "k2", "{v}");
        assert_eq!(v["endpoints"][0]["enabled"], false);
        assert_eq!(v["backoff"]["jitter_curve"], "x");
        assert_eq!(v["backoff"]["max_ms"], 20_000);
        assert_eq!(v["kubernetes"]["exec_plugin"], "aws");
        assert_eq!(v["kubernetes"]["namespace"], "team");
    }

    #[test]
    fn a_section_of_a_newer_type_falls_back_and_is_kept_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let newer = json!({
            "theme": "dark",
            "backoff": "adaptive",
            "kubernetes": {"contexts": {"dev": {"namespace": "a"}}},
            "endpoints": [{"name": "lab", "url": "tcp://127.0.0.1:2"}]
        });
        write(&path, &newer);
        let loaded = read(&path).unwrap();
        assert_eq!(loaded.fallback, vec!["backoff", "kubernetes"]);
        let s = &loaded.settings;
        assert_eq!(s.theme, crate::settings::Theme::Dark);
        assert_eq!(s.endpoints.len(), 1);
        assert_eq!(s.backoff, crate::reconnect::BackoffPolicy::default());
        // Loading alone never writes; an unrelated edit leaves the newer sections as they are.
        assert_eq!(raw(&path), newer);
        Settings::update_at(&path, |s| s.theme = crate::settings::Theme::Light).unwrap();
        let v = raw(&path);
        assert_eq!(v["theme"], "light");
        assert_eq!(v["backoff"], "adaptive");
        assert_eq!(v["kubernetes"], newer["kubernetes"]);
        // An edit that changes nothing writes nothing.
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        Settings::update_at(&path, |s| s.theme = crate::settings::Theme::Light).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
    }

    #[test]
    fn concurrent_writers_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    Settings::update_at(&path, |s| {
                        s.extra.insert(format!("writer{i}"), json!(i));
                    })
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let v = raw(&path);
        for i in 0..16 {
            assert_eq!(v[format!("writer{i}")], i, "{v}");
        }
        // No temp file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".settings."))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_file_that_is_not_an_object_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "[1, 2]").unwrap();
        assert!(matches!(read(&path), Err(SettingsError::Malformed { .. })));
        assert!(Settings::update_at(&path, |s| s.theme = crate::settings::Theme::Dark).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[1, 2]");
    }
}
