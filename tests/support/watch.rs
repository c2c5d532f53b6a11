//! `skiff watch --json` as a child process, its lines read on a thread.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `skiff watch --json ARGS…` with its own config dir.
pub struct Watch {
    child: std::process::Child,
    lines: mpsc::Receiver<serde_json::Value>,
    pub seen: Vec<serde_json::Value>,
}

impl Watch {
    pub fn start(args: &[&str], config_dir: &std::path::Path) -> Self {
        Self::start_with(args, config_dir, &[])
    }

    /// [`Watch::start`] with more environment variables.
    pub fn start_with(
        args: &[&str],
        config_dir: &std::path::Path,
        env: &[(&str, &std::path::Path)],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_skiff"))
            .arg("watch")
            .arg("--json")
            .args(args)
            .env("SKIFF_CONFIG_DIR", config_dir)
            // The crash watch's record and lock: the test's own, kept across watches.
            .env("SKIFF_DATA_DIR", config_dir.join("data"))
            .env_remove("SKIFF_HOST")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let value = serde_json::from_str(&line).expect("every line is JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line matching `pred` (earlier lines are kept in `seen`).
    pub fn wait(
        &mut self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(e) => panic!("no line for {what} ({e}); saw {:#?}", self.seen),
            }
        }
    }
}

impl Watch {
    /// Every line that arrives within `span` (kept in `seen` too).
    pub fn lines_for(&mut self, span: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + span;
        let mut got = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line.clone());
            got.push(line);
        }
        got
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
