//! Log files for real: written to disk, rotated daily with 7 kept, level switched at runtime.

use skiff::logs::{LogLevel, Logging, KEPT_FILES};

fn read_all(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        out += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    out
}

#[test]
fn level_changes_at_runtime_and_lines_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let day = || format!("skiff.{}.log", chrono::Utc::now().format("%Y-%m-%d"));
    let first_day = day();
    let (subscriber, logging) = Logging::build(Some(dir.path()), LogLevel::Info, None).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(target: "skiff::test", "first-info");
        tracing::debug!(target: "skiff::test", "hidden-debug");
        tracing::debug!(target: "hyper::proto", "dependency-debug");
        logging.set_level(LogLevel::Debug).unwrap();
        tracing::debug!(target: "skiff::test", "shown-debug");
        tracing::debug!(target: "hyper::proto", "dependency-debug-2");
        logging.set_level(LogLevel::Error).unwrap();
        tracing::warn!(target: "skiff::test", "hidden-warn");
        tracing::error!(target: "skiff::test", "shown-error");
    });
    assert_eq!(logging.dir(), Some(dir.path()));
    drop(logging); // flushes the background writer
    let text = read_all(dir.path());
    for shown in [
        "first-info",
        "shown-debug",
        "shown-error",
        "log level changed",
    ] {
        assert!(text.contains(shown), "{shown} missing from:\n{text}");
    }
    for hidden in ["hidden-debug", "hidden-warn", "dependency-debug"] {
        assert!(
            !text.contains(hidden),
            "{hidden} should be filtered:\n{text}"
        );
    }
    // Files carry no terminal colour codes.
    assert!(!text.contains('\x1b'));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // One file, today's: two (the day's and the next) when the test ran across midnight UTC.
    let mut days = vec![first_day, day()];
    days.dedup();
    assert!(
        !names.is_empty() && names.iter().all(|n| days.contains(n)),
        "{names:?}, expected {days:?}"
    );
}

#[test]
fn only_the_newest_seven_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Ten older days, oldest written first (pruning goes by file creation time), and a file
    // that is not Skiff's, which must survive.
    for day in 1..=10 {
        let path = dir.path().join(format!("skiff.2026-10-{day:02}.log"));
        std::fs::write(&path, format!("day {day}\n")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let (_subscriber, logging) = Logging::build(Some(dir.path()), LogLevel::Info, None).unwrap();
    drop(logging);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("skiff."))
        .collect();
    names.sort();
    assert_eq!(names.len(), KEPT_FILES, "{names:?}");
    // The six newest old days survive, plus today's.
    assert_eq!(names[0], "skiff.2026-10-05.log");
    assert_eq!(names[5], "skiff.2026-10-10.log");
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn an_unusable_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = Logging::build(Some(&file.join("logs")), LogLevel::Info, None)
        .err()
        .expect("a file in the way must fail");
    assert!(
        err.to_string().contains("cannot create the log folder"),
        "{err}"
    );
}

#[test]
fn a_bad_skiff_log_directive_falls_back_to_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let (subscriber, logging) =
        Logging::build(Some(dir.path()), LogLevel::Info, Some("skiff=[[[")).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(target: "skiff::test", "still-logged");
    });
    drop(logging);
    assert!(read_all(dir.path()).contains("still-logged"));
}
