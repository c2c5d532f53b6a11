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
