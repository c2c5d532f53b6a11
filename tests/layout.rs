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

/// The crate's top-level modules and the `crate::<module>` paths between them, outside
/// `#[cfg(test)]` items and comments.
mod graph {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    pub type Edges = BTreeMap<String, BTreeSet<String>>;

    /// Every `.rs` file under `src/` with its top-level module (`src/engine/x.rs` → `engine`);
    /// the binary's `main.rs` and the crate root are left out (they only declare modules).
    pub fn files(src: &Path) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let rel = path.strip_prefix(src).unwrap();
                let first = rel
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy();
                let module = first.trim_end_matches(".rs").to_owned();
                if module == "main" || module == "lib" {
                    continue;
                }
                // A file that is a test module (`#[cfg(test)] mod tests;`).
                if path.file_stem().is_some_and(|s| s == "tests") {
                    continue;
                }
                out.push((module, path));
            }
        }
        out
    }

    /// `text` without comments and without `#[cfg(test)]` items.
    pub fn production(text: &str) -> String {
        let uncommented: String = text
            .lines()
            .map(|l| match l.find("//") {
                Some(i) => &l[..i],
                None => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut out = String::new();
        let mut rest = uncommented.as_str();
        while let Some(i) = rest.find("#[cfg(test)]") {
            out.push_str(&rest[..i]);
            rest = &rest[i + "#[cfg(test)]".len()..];
            // Skip the item: to its `;` or the end of its outermost braces.
            let mut depth = 0usize;
            let mut end = rest.len();
            for (j, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = j + 1;
                            break;
                        }
                    }
                    ';' if depth == 0 => {
                        end = j + 1;
                        break;
                    }
                    _ => {}
                }
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// The top-level modules `code` names through `crate::…` (also inside `use crate::{…}`).
    pub fn uses(code: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        for (i, _) in code.match_indices("crate::") {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let after = code[i + "crate::".len()..].trim_start();
            if let Some(group) = after.strip_prefix('{') {
                // Names at depth 0 of the group: `{a, b::c, d::{e, f}}`.
                let mut depth = 0usize;
                let mut start = true;
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if start && !c.is_whitespace() => {
                            start = false;
                            found.insert(ident(&group[j..]));
                        }
                        _ => {}
                    }
                }
            } else {
                found.insert(ident(after));
            }
        }
        found.retain(|m| !m.is_empty());
        found
    }

    pub fn edges(src: &Path) -> Edges {
        let mut edges = Edges::new();
        for (module, path) in files(src) {
            let code = production(&std::fs::read_to_string(&path).unwrap());
            let entry = edges.entry(module.clone()).or_default();
            for used in uses(&code) {
                if used != module {
                    entry.insert(used);
                }
            }
        }
        edges
    }

    /// A cycle, as the modules along it, if there is one.
    pub fn cycle(edges: &Edges) -> Option<Vec<String>> {
        fn visit(
            node: &str,
            edges: &Edges,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|n| n == node) {
                let mut cycle = path[at..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_owned());
            for next in edges.get(node).into_iter().flatten() {
                if let Some(c) = visit(next, edges, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(node.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        for node in edges.keys() {
            if let Some(c) = visit(node, edges, &mut Vec::new(), &mut done) {
                return Some(c);
            }
        }
        None
    }
}

#[test]
fn the_module_graph_parser_sees_grouped_inline_and_test_only_paths() {
    let code = graph::production(
        "use crate::{engine::{A, B}, watcher};\nfn f() { crate::health::x(); } // crate::cli\n#[cfg(test)]\nmod tests { use crate::telemetry; fn g() { if true { } } }\nfn h() { crate::logs::y() }",
    );
    let uses = graph::uses(&code);
    assert_eq!(
        uses.into_iter().collect::<Vec<_>>(),
        ["engine", "health", "logs", "watcher"]
    );
    let mut edges = graph::Edges::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(graph::cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(graph::cycle(&edges).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn the_core_modules_form_no_cycle() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph::edges(&src);
    assert!(edges.len() > 10, "modules found: {edges:?}");
    if let Some(cycle) = graph::cycle(&edges) {
        panic!("module cycle: {}\nedges: {edges:#?}", cycle.join(" → "));
    }
}

/// Lines of `text` outside its `#[cfg(test)] mod … { … }` (which, by convention, comes last).
fn production_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .position(|(i, l)| {
            l.trim() == "#[cfg(test)]"
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with("mod ") && n.trim_end().ends_with('{'))
        })
        .unwrap_or(lines.len())
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_stem().is_none_or(|s| s != "tests")
            {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_source_file_is_over_400_lines_without_its_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = rust_files(&root.join("src"));
    files.extend(rust_files(&root.join("src-tauri/src")));
    assert!(files.len() > 40, "{files:?}");
    let long: Vec<String> = files
        .iter()
        .map(|p| (p, production_lines(&std::fs::read_to_string(p).unwrap())))
        .filter(|(_, n)| *n > 400)
        .map(|(p, n)| format!("{} ({n} lines)", p.display()))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
    assert_eq!(
        production_lines("fn a() {}\n#[cfg(test)]\nmod tests {\n}\n"),
        1
    );
}

/// One reconnect policy: the backoff sequence is read, and a retry waited for, only by the
/// supervisor (no second loop, no wrapper around one source). The one other user is the
/// telemetry sender, which is no stream: it posts batches to the collector, paced by the same
/// capped, jittered backoff and by the collector's own `Retry-After`.
#[test]
fn only_the_supervisor_backs_off_or_waits_to_retry() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let allowed = [
        "src/watcher/policy.rs",
        "src/watcher/supervisor.rs",
        "src/reconnect/backoff.rs",
        "src/telemetry/worker.rs",
    ];
    let mut offenders = Vec::new();
    for path in rust_files(&root.join("src")) {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let code = graph::production(&std::fs::read_to_string(&path).unwrap());
        for needle in [
            "next_delay(",
            "StreamBackoff",
            "Backoff::new(",
            ".start_seeded(",
            "backoff.start()",
        ] {
            if code.contains(needle) && !allowed.contains(&rel.as_str()) {
                offenders.push(format!("{rel}: {needle}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

/// The names `src-tauri/link-order.txt` lists (its comment lines and blank lines left out).
fn link_order_names() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("src-tauri/link-order.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The linker matches `src-tauri/link-order.txt` name by name and skips, silently, what it does
/// not find: a list of demangled names (`tokio::runtime::…`) or of BOLT's local names
/// (`foo/1`) would build fine and order nothing. So the list holds mangled names only.
#[test]
fn the_link_order_list_holds_linker_symbol_names() {
    let names = link_order_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // A start runs ~2,300 functions; a list of a few is a profile that did not run.
    assert!(names.len() > 1000, "only {} names", names.len());
    let symbol = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'))
    };
    let bad: Vec<&&str> = names.iter().filter(|n| !symbol(n)).take(5).collect();
    assert!(bad.is_empty(), "not symbol names: {bad:?}");
    // Most are Rust's (legacy `_ZN…` or v0 `_R…` mangling): the rest are the C runtime's.
    let rust = names
        .iter()
        .filter(|n| n.starts_with("_ZN") || n.starts_with("_R"))
        .count();
    assert!(
        rust * 10 > names.len() * 9,
        "{rust} of {} are Rust's",
        names.len()
    );
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "a name is listed twice");
}

/// `scripts/link-order-check.sh` (run by `make test-package` on the linker's map of the package)
/// passes a map that holds the committed list's names and fails one that holds half of them (the
/// stale list of 6 December: 1,325 of 2,390), saying what to run, or 98 % of them (33 of 2,386
/// missing kept ~3 MiB more of the binary resident).
#[test]
fn the_link_order_check_fails_a_list_the_build_has_left_behind() {
    use std::fmt::Write as _;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = link_order_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    // Lines as lld writes them: the input section, then the symbol.
    let map = |names: &[&str]| {
        let path = dir.path().join(format!("{}.map", names.len()));
        let mut lines = String::new();
        for n in names {
            writeln!(lines, "  1000  1000  10  16  app.o:(.text.{n})").unwrap();
            writeln!(lines, "  1000  1000  10  1  {n}").unwrap();
        }
        std::fs::write(&path, lines).unwrap();
        path
    };
    let check = |map: &std::path::Path| {
        Command::new(root.join("scripts/link-order-check.sh"))
            .arg(map)
            .env_remove("SKIFF_LINK_ORDER_FLOOR")
            .output()
            .unwrap()
    };

    let whole = check(&map(&names));
    let said = String::from_utf8_lossy(&whole.stdout);
    assert!(whole.status.success(), "{said}");
    assert!(
        said.contains(&format!("{0} of the list's {0} names", names.len())),
        "{said}"
    );

    let half = check(&map(&names[..names.len() / 2]));
    assert_eq!(half.status.code(), Some(1));
    let said = String::from_utf8_lossy(&half.stderr);
    assert!(said.contains("scripts/link-order.sh"), "{said}");

    let most = check(&map(&names[..names.len() * 98 / 100]));
    assert_eq!(most.status.code(), Some(1));

    let none = check(&dir.path().join("absent.map"));
    assert_eq!(none.status.code(), Some(1));
}
