//! `skiff logs [-f] [-n N|all] [--since T] [--until T] [-t] [--json] NAME_OR_ID`.
//!
//! Without `--json` the output is the engine's bytes, as `docker logs` / `podman --url logs`
//! write them: stdout messages on stdout, stderr messages on stderr (a TTY container's one
//! stream on stdout), each message's stamp only with `-t`, and nothing else on either (Skiff's
//! own log lines are off for this command unless `SKIFF_LOG` asks for them). `--json` prints
//! one line object a line. `-f` follows across restarts of the container and of the engine
//! (see `crate::container_logs::follow`); an interrupt (SIGINT, SIGTERM) writes out what it
//! holds and exits 0.

use std::io::{BufWriter, Write};

use super::Outcome;
use crate::app::Plan;
use crate::container_logs::{Follow, Joiner, Line, LogError, Message, Sink, Stream};
use crate::engine::{LogQuery, Tail};
use crate::shutdown::Shutdown;

/// What `skiff logs` was asked. (Flags are booleans by nature: clap's derive wants them so.)
#[derive(Debug, Clone, clap::Args)]
#[allow(clippy::struct_excessive_bools)]
pub struct LogsArgs {
    /// The container (name, id, or unique id prefix).
    pub container: String,
    /// Keep following: across restarts of the container and of its engine, until interrupted
    /// or the container is removed.
    #[arg(short, long)]
    pub follow: bool,
    /// Messages from the end of the log to start with (`all`: the whole log).
    #[arg(short = 'n', long, default_value = "all", value_parser = parse_tail)]
    pub tail: Tail,
    /// Only messages since this time: RFC 3339 (`2026-12-02T10:00:00Z`), a Unix timestamp
    /// (`1796200000.5`), or a duration before now (`10m`, `1h30m`).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub since: Option<i64>,
    /// Only messages until this time (same forms as `--since`).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub until: Option<i64>,
    /// Print each message's stamp, as the engine wrote it, before it.
    #[arg(short, long)]
    pub timestamps: bool,
    /// One JSON object a line: `{"stream","time","line"}`.
    #[arg(long)]
    pub json: bool,
    /// Kubernetes: which container of the pod (default: its only one).
    #[arg(short = 'c', long = "kube-container", value_name = "NAME")]
    pub kube_container: Option<String>,
    /// Kubernetes: the log of the container's previous run (after a crash or a restart).
    #[arg(short, long)]
    pub previous: bool,
}

pub(super) async fn run(
    plan: &Plan,
    args: &LogsArgs,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    // The sources keep running (and reconnecting) for as long as the follow needs them.
    let (registry, _sources) = super::synced_registry(plan).await;
    let (engine, id) = match registry.resolve(None, &args.container) {
        Ok(found) => found,
        Err(e) => {
            writeln!(err, "skiff: logs {}: {e}", args.container)?;
            return Ok(Outcome::Failure);
        }
    };
    let query = LogQuery {
        follow: args.follow,
        tail: args.tail,
        since: args.since,
        until: args.until,
        container: args.kube_container.clone(),
        previous: args.previous,
    };
    let mut follow = Follow::new(registry, &engine, &id, query);
    let result = if args.json {
        let mut sink = JsonLines {
            out: BufWriter::with_capacity(64 * 1024, out),
            joiner: Joiner::default(),
        };
        let result = follow.run(&mut sink, shutdown).await;
        // The lines held without their newline (the last one, or on interrupt) go out too.
        sink.finish().map_err(LogError::Sink).and(result)
    } else {
        let mut sink = Bytes {
            out: BufWriter::with_capacity(64 * 1024, out),
            err: BufWriter::with_capacity(64 * 1024, &mut *err),
            timestamps: args.timestamps,
        };
        let result = follow.run(&mut sink, shutdown).await;
        sink.flush().map_err(LogError::Sink).and(result)
    };
    match result {
        Ok(_) => Ok(Outcome::Success),
        // A reader that went away (`| head`) is not a failure of the log.
        Err(LogError::Sink(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(Outcome::Success)
        }
        Err(e) => {
            writeln!(err, "skiff: logs {}: {e}", args.container)?;
            Ok(Outcome::Failure)
        }
    }
}

/// The engine's bytes, per stream.
struct Bytes<'a> {
    out: BufWriter<&'a mut dyn Write>,
    err: BufWriter<&'a mut dyn Write>,
    timestamps: bool,
}

impl Sink for Bytes<'_> {
    fn message(&mut self, message: Message) -> std::io::Result<()> {
        let to = match message.stream {
            Stream::Stdout => &mut self.out,
            Stream::Stderr => &mut self.err,
        };
        if let (true, Some(stamp)) = (self.timestamps, &message.stamp) {
            to.write_all(&stamp.text)?;
            to.write_all(b" ")?;
        }
        to.write_all(&message.body)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}

/// Lines as JSON objects.
struct JsonLines<'a> {
    out: BufWriter<&'a mut dyn Write>,
    joiner: Joiner,
}

impl JsonLines<'_> {
    fn finish(&mut self) -> std::io::Result<()> {
        let Self { out, joiner } = self;
        let mut written = Ok(());
        joiner.finish(|line| {
            if written.is_ok() {
                written = write_line(out, &line);
            }
        });
        written?;
        out.flush()
    }
}

impl Sink for JsonLines<'_> {
    fn message(&mut self, message: Message) -> std::io::Result<()> {
        let Self { out, joiner } = self;
        let mut written = Ok(());
        joiner.push(&message, |line| {
            if written.is_ok() {
                written = write_line(out, &line);
            }
        });
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn write_line(out: &mut impl Write, line: &Line) -> std::io::Result<()> {
    let object = serde_json::json!({
        "stream": line.stream,
        "time": line.time_rfc3339(),
        "line": line.line,
    });
    serde_json::to_writer(&mut *out, &object)?;
    out.write_all(b"\n")
}

/// Why a `--tail` or a time was not understood.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgument(String);

fn parse_tail(s: &str) -> Result<Tail, BadArgument> {
    if s == "all" {
        return Ok(Tail::All);
    }
    // `docker logs -n -1` means all, as any negative number.
    match s.parse::<i64>() {
        Ok(n) if n < 0 => Ok(Tail::All),
        Ok(n) => Ok(Tail::Last(n.unsigned_abs())),
        Err(_) => Err(BadArgument(format!(
            "{s:?} is not a number of lines or `all`"
        ))),
    }
}

fn parse_time(s: &str) -> Result<i64, BadArgument> {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
    time_at(s, now)
}

/// `s` as nanoseconds since the epoch: RFC 3339, a Unix timestamp (`secs[.fraction]`), or a
/// duration before `now` (`90s`, `10m`, `1h30m`, `500ms`).
fn time_at(s: &str, now: i64) -> Result<i64, BadArgument> {
    let bad = || {
        BadArgument(format!(
            "{s:?} is not a time (RFC 3339, a Unix timestamp, or a duration like 10m)"
        ))
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt().ok_or_else(bad);
    }
    if let Some(t) = unix_time(s) {
        return Ok(t);
    }
    let back = duration(s).ok_or_else(bad)?;
    Ok(now.saturating_sub(back))
}

fn unix_time(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = format!("{frac:0<9}").parse().ok()?;
    secs.parse::<i64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)
}

/// Go's duration syntax, as `docker logs --since` takes it.
fn duration(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&i| i > 0)?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add((value * scale) as i64)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_form_docker_logs_takes() {
        let now = 1_796_186_626_000_000_000;
        assert_eq!(
            time_at("2026-12-02T04:43:46Z", now).unwrap(),
            1_796_186_626_000_000_000
        );
        assert_eq!(
            time_at("1796186626.5", now).unwrap(),
            1_796_186_626_500_000_000
        );
        assert_eq!(
            time_at("1796186626", now).unwrap(),
            1_796_186_626_000_000_000
        );
        assert_eq!(time_at("10m", now).unwrap(), now - 600_000_000_000);
        assert_eq!(time_at("1h30m", now).unwrap(), now - 5_400_000_000_000);
        assert_eq!(time_at("500ms", now).unwrap(), now - 500_000_000);
        assert!(time_at("yesterday", now).is_err());
        assert!(time_at("10x", now).is_err());
        assert!(time_at("", now).is_err());
    }

    #[test]
    fn tail_takes_numbers_and_all() {
        assert_eq!(parse_tail("all").unwrap(), Tail::All);
        assert_eq!(parse_tail("0").unwrap(), Tail::Last(0));
        assert_eq!(parse_tail("-1").unwrap(), Tail::All);
        assert!(parse_tail("many").is_err());
    }
}
