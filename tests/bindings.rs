//! The TypeScript bindings in `ui/src/lib/ipc/bindings/` are generated from the Rust IPC types
//! and committed. This test regenerates them; when the committed files differ it rewrites them
//! and fails, so a drift is both caught (CI) and fixed (commit the rewritten files).

use std::collections::BTreeMap;
use std::path::Path;

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ts") {
            files.insert(
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
    files
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let generated = tempfile::tempdir().unwrap();
    skiff::ipc::export_bindings(generated.path()).expect("export bindings");
    let want = read_dir(generated.path());
    assert!(
        want.contains_key("Container.ts"),
        "exported: {:?}",
        want.keys()
    );

    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/ipc/bindings");
    let have = read_dir(&committed_dir);
    if have == want {
        return;
    }
    let stale: Vec<&String> = want
        .keys()
        .chain(have.keys())
        .filter(|name| want.get(*name) != have.get(*name))
        .collect();
    std::fs::create_dir_all(&committed_dir).unwrap();
    for name in have.keys().filter(|n| !want.contains_key(*n)) {
        std::fs::remove_file(committed_dir.join(name)).unwrap();
    }
    for (name, body) in &want {
        std::fs::write(committed_dir.join(name), body).unwrap();
    }
    panic!(
        "TypeScript bindings were out of date ({stale:?}); they have been regenerated in {}: commit them",
        committed_dir.display()
    );
}

/// The command list lives in `skiff::ipc::contract`; the shell's three lists must match it, so a
/// command cannot be added (or removed) in one place only.
#[test]
fn the_shell_registers_grants_and_builds_exactly_the_contracts_commands() {
    let cfg = ts_rs::Config::new().with_large_int("number");
    let contract: Vec<String> = skiff::ipc::contract::commands(&cfg)
        .into_iter()
        .map(|c| c.name.to_owned())
        .collect();
    assert!(contract.len() > 10, "{contract:?}");
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri");
    let read = |p: &str| std::fs::read_to_string(shell.join(p)).unwrap();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    let main = read("src/main.rs");
    let handler = &main[main.find("generate_handler![").expect("generate_handler!")..];
    let handler = &handler[..handler.find(']').unwrap()];
    // Each entry is `module::command,` (commands.rs, details.rs).
    let registered: Vec<String> = handler
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').rsplit_once("::"))
        .map(|(_, name)| name.trim().to_owned())
        .collect();
    assert_eq!(
        sorted(registered),
        sorted(contract.clone()),
        "main.rs generate_handler!"
    );

    let script = read("build.rs");
    let list = &script[script.find(".commands(&[").expect("commands list")..];
    let list = &list[..list.find("])").unwrap()];
    let built: Vec<String> = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(sorted(built), sorted(contract.clone()), "build.rs");

    let caps: serde_json::Value = serde_json::from_str(&read("capabilities/default.json")).unwrap();
    let granted: Vec<String> = caps["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|s| s.replace('-', "_"))
        .collect();
    assert_eq!(
        sorted(granted),
        sorted(contract),
        "capabilities/default.json"
    );
}
