//! A container's whole log saved to a file, as `docker logs NAME > FILE 2>&1` would write it:
//! the engine's bytes, stdout and stderr in the order they came, optionally stamped.
//!
//! The file appears whole or not at all: the log goes to a hidden file beside it, which is
//! renamed over the target only once the last byte is written and synced. A full disk, a cut
//! stream or a vanished container leaves the user's existing file as it was.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::follow::{Follow, LogError, Sink};
use super::frame::Message;
use crate::engine::{LogQuery, Tail};
use crate::registry::Registry;
use crate::shutdown::Shutdown;

/// What a save wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub bytes: u64,
    pub messages: u64,
}

/// Why a log could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot write {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes the whole log of container `id` of `engine` to `path` (replacing it), with each
/// message's engine timestamp first when `timestamps`.
pub async fn save(
    registry: &Registry,
    engine: &str,
    id: &str,
    path: &Path,
    timestamps: bool,
    shutdown: Shutdown,
) -> Result<Saved, SaveError> {
    let file_error = |source| SaveError::File {
        path: path.to_owned(),
        source,
    };
    let part = part_path(path);
    let file = File::create(&part).map_err(file_error)?;
    let mut sink = OneFile {
        out: BufWriter::new(file),
        timestamps,
        saved: Saved {
            bytes: 0,
            messages: 0,
        },
    };
    let query = LogQuery {
        follow: false,
        tail: Tail::All,
        ..LogQuery::default()
    };
    let read = Follow::new(registry.clone(), engine, id, query)
        .run(&mut sink, shutdown)
        .await;
    let finished = read.map_err(SaveError::from).and_then(|_| {
        let file = sink
            .out
            .into_inner()
            .map_err(|e| file_error(e.into_error()))?;
        file.sync_all().map_err(file_error)?;
        std::fs::rename(&part, path).map_err(file_error)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    finished.map(|()| sink.saved)
}

/// `dir/.name.skiff-part`: beside the target (a rename never crosses file systems), hidden.
fn part_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "log".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.skiff-part"))
}

struct OneFile {
    out: BufWriter<File>,
    timestamps: bool,
    saved: Saved,
}

impl Sink for OneFile {
    fn message(&mut self, message: Message) -> std::io::Result<()> {
        if let (true, Some(stamp)) = (self.timestamps, &message.stamp) {
            self.out.write_all(&stamp.text)?;
            self.out.write_all(b" ")?;
            self.saved.bytes += stamp.text.len() as u64 + 1;
        }
        self.out.write_all(&message.body)?;
        self.saved.bytes += message.body.len() as u64;
        self.saved.messages += 1;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Flushed once, at the end: a save is not watched while it runs.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_is_hidden_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/home/u/web.log")),
            Path::new("/home/u/.web.log.skiff-part")
        );
    }
}
