//! A daily cap on the log file's size: the 7 files kept are bounded in bytes as well as count.
//!
//! A bug that logs in a loop (or `trace` left on for a week) must not fill the user's disk. Past
//! [`DAILY_CAP`] bytes in a day, one line says so and the rest of that day's lines are dropped
//! from the file (stderr still gets them). The count restarts when the UTC day changes, which is
//! when the appender starts a new file; a restart the same day counts what the file already has.

use std::io::Write;
use std::path::Path;

/// The most one day's file is allowed to grow to.
pub const DAILY_CAP: u64 = 64 * 1024 * 1024;

/// Wraps the file appender; see the module doc.
#[derive(Debug)]
pub struct Capped<W> {
    inner: W,
    cap: u64,
    day: chrono::NaiveDate,
    written: u64,
    refused_noted: bool,
}

impl<W: Write> Capped<W> {
    /// `dir`'s file for today, if any, counts towards today's cap.
    pub fn new(inner: W, dir: &Path, cap: u64) -> Self {
        let day = chrono::Utc::now().date_naive();
        let today = dir.join(format!(
            "{}.{}.{}",
            super::FILE_PREFIX,
            day.format("%Y-%m-%d"),
            super::FILE_SUFFIX
        ));
        let written = std::fs::metadata(today).map_or(0, |m| m.len());
        Self {
            inner,
            cap,
            day,
            written,
            refused_noted: false,
        }
    }

    fn roll_day(&mut self) {
        let day = chrono::Utc::now().date_naive();
        if day != self.day {
            self.day = day;
            self.written = 0;
            self.refused_noted = false;
        }
    }
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.roll_day();
        if self.written + buf.len() as u64 > self.cap {
            if !std::mem::replace(&mut self.refused_noted, true) {
                let note = format!(
                    "skiff: this log file reached {} MiB; further lines today go to stderr only\n",
                    self.cap >> 20
                );
                self.inner.write_all(note.as_bytes())?;
                self.written += note.len() as u64;
            }
            // Reported as written: the line is dropped on purpose, not an error to retry.
            return Ok(buf.len());
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_lines_past_the_cap_is_dropped_after_one_note() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Capped::new(Vec::new(), dir.path(), 10_000);
        let line = [b'x'; 99];
        for _ in 0..1000 {
            w.write_all(&line).unwrap();
            w.write_all(b"\n").unwrap();
        }
        let out = String::from_utf8(w.inner.clone()).unwrap();
        assert!(out.len() <= 10_000 + 200, "{}", out.len());
        assert_eq!(out.matches("reached").count(), 1);
    }

    #[test]
    fn todays_file_counts_towards_the_cap_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let day = chrono::Utc::now().date_naive().format("%Y-%m-%d");
        std::fs::write(
            dir.path().join(format!("skiff.{day}.log")),
            vec![b'x'; 9_990],
        )
        .unwrap();
        let mut w = Capped::new(Vec::new(), dir.path(), 10_000);
        w.write_all(&[b'y'; 100]).unwrap();
        let out = String::from_utf8_lossy(&w.inner).into_owned();
        assert!(!out.contains("yyyy") && out.contains("reached"), "{out}");
    }
}
