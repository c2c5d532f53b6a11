//! The core must stay Tauri-free: `cargo test` at the root never builds WebKit, and the CLI runs
//! on machines without a desktop.

use std::process::Command;

#[test]
fn the_core_package_depends_on_no_tauri_wry_or_webkit() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "skiff",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.lines().count() > 20,
        "cargo tree printed the dependency list:\n{tree}"
    );
    for forbidden in ["tauri", "wry", "webkit", "gtk", "tao "] {
        let hits: Vec<&str> = tree
            .lines()
            .filter(|l| l.to_lowercase().starts_with(forbidden))
            .collect();
        assert!(hits.is_empty(), "skiff depends on {forbidden}: {hits:?}");
    }
}
