//! Crash watch: tell the user once when a container crashes, even if it crashed while Skiff was
//! away.
//!
//! - [`rules`]: the rules, pure (events and relists in, findings out).
//! - [`record`]: what survives a restart of Skiff: the containers last seen running and the
//!   alerts raised (bounded), in the data directory.
//! - [`words`]: how an alert reads in a notification (several within seconds grouped) and the
//!   tray.
//! - `run`: the handler on the registry's fan-out; `complete`: the stage that asks the engine
//!   about a finding (its restart policy) and completes it (its time, the last log lines, the
//!   user's exclusions) before the registry fans it out.
//!
//! # What the engines send (measured here on Docker 20.10 and Podman 4.3)
//!
//! | what happened | Docker 20.10 | Podman 4.3 (file event log) |
//! |---|---|---|
//! | main process exits 3 | `die` exitCode=3 | `died` (`die` in the compat stream) exitCode=3, one `cleanup` |
//! | `stop -t 0` | `kill` 15, `kill` 9, `die` 137, `stop` | `stop`, `died` 137, `cleanup` ×2 |
//! | `stop` (timeout runs out, or the process exits on SIGTERM) | `kill` 15, `kill` 9, `die`, `stop` | **sometimes no `stop` at all**: `died` 137 (or 143), `cleanup` ×2 (the stop's own clean-up, then conmon's exit command) |
//! | `kill` | `kill` 9, `die` 137 | `kill`, `died` 137, `cleanup` |
//! | `restart` | `kill`…, `die`, `stop`, `start`, `restart` | `restart`, `stop`, `died`, `init`, `start` |
//! | restart policy | `die`, `start` after 100 ms, 200 ms, 400 ms… | `died`, `restart` at once, `init`, `start` |
//! | memory limit hit | `oom` (several), `die` 137, in either order; inspect `OOMKilled: true` | `died` 137 only; inspect `OOMKilled: false` (cgroupfs here): a plain crash |
//! | health check fails | `health_status: unhealthy` | `health_status` with attribute `health_status` (checks run from systemd timers, which this machine has not: none ran here) |
//! | SIGKILL from outside while the service is down | — | replayed at reconnect: `died` 137, one `cleanup` |
//!
//! So an exit is **held** for [`rules::HOLD`] (1 s): a `kill`, `stop` or user `restart` before
//! it, or a `stop` or Podman's second `cleanup` right after it, means someone asked; a `start`
//! (Docker) or `restart` (Podman) right after it is the restart policy, counted toward
//! `restart_loop` (3 within 5 minutes: one alert, then one `recovered` once it stays up 5
//! minutes) and never a `crashed` of its own. A restart can come later than the hold: Docker's
//! delay doubles (100 ms, 200 ms, … up to a minute) and a loaded engine starts slowly (CI saw a
//! `crashed` for a looping container that way). So an exit still undecided after the hold is
//! checked against the engine before it is raised: Docker's inspect says `Restarting` until the
//! delay ends; Podman's restart policy says what its exit command will do. An exit the policy
//! restarts is held again for [`rules::POLICY_WAIT`] (75 s) as the policy's. Anything else with a non-zero code is `crashed`
//! (`oom_killed` after Docker's `oom`, or when inspect says `OOMKilled`). Skiff's own Stop goes
//! through the same API and reads the same.
//!
//! # Exactly once
//!
//! Only a container **seen running** (a `start`, a running row, or the record of an earlier run)
//! can crash, and raising takes it out of the running set: the same exit replayed after a
//! reconnect, listed again by a relist, or found again after a restart of Skiff finds it not
//! running and raises nothing. A container that had exited before any Skiff saw it running is
//! never raised. A relist that finds a container of the running set exited holds it as a
//! `resync` finding, which a replayed exit event within the hold turns into a `replay` one with
//! the event's own time; otherwise its time is the engine's `FinishedAt`.

mod complete;
mod log_tail;
pub mod record;
pub mod rules;
mod run;
mod signs;
mod track;
pub mod words;

pub use run::{start, CrashWatch, Switches};
