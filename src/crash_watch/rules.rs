//! The rules as a pure state machine: container events and relists in, findings out. Time is
//! passed in (an `Instant` for the holds, the engines' own stamps for what happened when), so
//! every case is tested without engines or clocks. What the engines send, and why each rule
//! reads it so, is in the module doc of `crash_watch`.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::signs::status_exit_code;
use super::track::{exited, health_turned_bad, restarted, Exit, Track};
use crate::container::Container;
use crate::engine::events::RawEvent;
use crate::registry::{AlertRule, AlertedContainer, Detected};

/// How long an exit is held before it is called a crash: what follows it within this time says
/// whether someone asked for it (Docker's `stop` after `die`, Podman's second `cleanup`) or the
/// restart policy restarted it.
pub const HOLD: Duration = Duration::from_secs(1);

/// Restarts by the restart policy within [`LOOP_WINDOW`] that make a loop.
pub const LOOP_RESTARTS: usize = 3;

/// The window of [`LOOP_RESTARTS`], and how long a looping container must stay up to recover.
pub const LOOP_WINDOW: Duration = Duration::from_secs(300);

/// How long an exit the engine says its restart policy handles waits for the restart before it
/// is a crash after all: Docker's restart delay doubles up to a minute.
pub const POLICY_WAIT: Duration = Duration::from_secs(75);

/// Containers followed per engine (the running ones and those that just exited); past it,
/// containers seen running are not followed until some are removed.
pub const MAX_TRACKED: usize = 20_000;

/// A decision: an alert to raise (the crash watch adds its time when `at` is `None`, the log
/// lines, and filters by the user's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub engine: String,
    pub rule: AlertRule,
    pub container: AlertedContainer,
    pub exit_code: Option<i64>,
    pub detected: Detected,
    /// Engine time of the change; `None` for a relist's finding (the engine's `FinishedAt`
    /// tells it).
    pub at: Option<i64>,
    /// An exit whose restart policy was not checked yet: the engine is asked whether it
    /// restarts the container, and the answer goes back to [`Rules::checked`].
    pub may_restart: bool,
}

/// What each engine's containers are doing, as far as the rules care.
#[derive(Debug, Default)]
pub struct Rules {
    engines: HashMap<String, HashMap<String, Track>>,
}

impl Rules {
    /// Rules that know `running` (engine, id, name) were running when last seen (by an earlier
    /// run): a relist that finds them exited raises what they missed.
    #[must_use]
    pub fn seeded(running: impl IntoIterator<Item = (String, String, String)>) -> Self {
        let mut rules = Self::default();
        for (engine, id, name) in running {
            let tracks = rules.engines.entry(engine).or_default();
            if tracks.len() < MAX_TRACKED {
                tracks.insert(
                    id,
                    Track {
                        name,
                        running: true,
                        ..Track::default()
                    },
                );
            }
        }
        rules
    }

    /// The containers seen running, as (engine, id, name), for the record.
    pub fn running(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.engines.iter().flat_map(|(engine, tracks)| {
            tracks
                .iter()
                .filter(|(_, t)| t.running || t.exit.is_some())
                .map(move |(id, t)| (engine.as_str(), id.as_str(), t.name.as_str()))
        })
    }

    /// One container event.
    pub fn event(
        &mut self,
        engine: &str,
        event: &RawEvent,
        replayed: bool,
        now: Instant,
    ) -> Vec<Finding> {
        if event.typ != "container" {
            return Vec::new();
        }
        let detected = if replayed {
            Detected::Replay
        } else {
            Detected::Live
        };
        let tracks = self.engines.entry(engine.to_owned()).or_default();
        let action = event.action.as_str();
        let name = event.attribute("name").map(str::to_owned);
        let mut found = Vec::new();
        if action == "start" && !tracks.contains_key(&event.id) && tracks.len() >= MAX_TRACKED {
            return found;
        }
        let mut forget = false;
        let track = match action {
            "start" => tracks.entry(event.id.clone()).or_default(),
            _ => match tracks.get_mut(&event.id) {
                Some(track) => track,
                None => return found,
            },
        };
        if let Some(name) = name {
            track.name = name;
        }
        let who = AlertedContainer {
            id: event.id.clone(),
            name: track.name.clone(),
        };
        let finding = |rule, exit_code, at| Finding {
            engine: engine.to_owned(),
            rule,
            container: who.clone(),
            exit_code,
            detected,
            at,
            may_restart: false,
        };
        let just_started = std::mem::replace(&mut track.just_started, action == "start");
        match action {
            "start" => {
                // After an exit nobody asked for: the restart policy (Docker restarts with
                // `start` alone).
                if track.exit.take().is_some() || std::mem::take(&mut track.checking) {
                    restarted(track, event.time_nano, now, &mut found, &finding);
                } else if track.looping {
                    track.recover_due = Some(now + LOOP_WINDOW);
                }
                track.running = true;
                track.stop_asked = false;
                track.oom = false;
                track.unhealthy = false;
            }
            "restart" if track.exit.is_some() || (track.checking && !track.running) => {
                // Podman's restart policy: `restart` right after the exit, then `start`.
                track.exit = None;
                track.checking = false;
                restarted(track, event.time_nano, now, &mut found, &finding);
            }
            // Docker's user restart ends with `restart`, after its `start`: the `kill` before
            // its exit said it all.
            "restart" if just_started => {}
            "kill" | "stop" | "restart" => {
                track.stop_asked = true;
                track.exit = None;
            }
            "oom" => {
                track.oom = true;
                // Docker's `oom` comes from the kernel's cgroup notice, its `die` from the
                // process's exit: two sources, in no set order. An `oom` within the hold still
                // names the exit it caused (a CI run raised a memory-starved exit as `crashed`,
                // 137; this order is one way that happens, not shown to be that run's).
                if let Some(exit) = &mut track.exit {
                    exit.oom = true;
                }
            }
            "cleanup" => {
                if let Some(exit) = &mut track.exit {
                    exit.cleanups += 1;
                    if exit.cleanups >= 2 {
                        track.exit = None;
                    }
                }
            }
            "die" | "died" => exited(track, event, detected, now),
            "remove" | "destroy" => {
                // A crash already held is still raised (a `--rm` container that crashed).
                forget = track.exit.is_none();
            }
            health if health.starts_with("health_status") && health_turned_bad(track, event) => {
                found.push(finding(AlertRule::Unhealthy, None, Some(event.time_nano)));
            }
            _ => {}
        }
        if forget {
            tracks.remove(&event.id);
        }
        found
    }

    /// A relist of `engine` completed with `rows`: containers seen running that have exited
    /// since (non-zero) are held as crashes found by the relist; running rows are followed.
    pub fn relisted<'a>(
        &mut self,
        engine: &str,
        rows: impl IntoIterator<Item = &'a Container>,
        now: Instant,
    ) {
        let tracks = self.engines.entry(engine.to_owned()).or_default();
        let mut listed = std::collections::HashSet::new();
        for row in rows {
            if row.kube.is_some() {
                continue;
            }
            listed.insert(row.id.as_str());
            let up = matches!(row.state.as_str(), "running" | "restarting" | "paused");
            let room = tracks.len() < MAX_TRACKED;
            match tracks.get_mut(&row.id) {
                Some(track) if track.running && !up => {
                    track.running = false;
                    let code = status_exit_code(&row.status);
                    if code.is_some_and(|c| c != 0) && track.exit.is_none() && !track.stop_asked {
                        track.exit = Some(Exit {
                            code,
                            at: None,
                            detected: Detected::Resync,
                            due: now + HOLD,
                            oom: false,
                            cleanups: 0,
                            policy: false,
                        });
                    }
                }
                Some(track) if up => track.running = true,
                None if up && room => {
                    tracks.insert(
                        row.id.clone(),
                        Track {
                            name: row.name.clone(),
                            running: true,
                            ..Track::default()
                        },
                    );
                }
                Some(_) | None => {}
            }
        }
        // Removed while Skiff was away: nothing to say about them.
        tracks.retain(|id, t| listed.contains(id.as_str()) || t.exit.is_some());
    }

    /// When the next held decision is due.
    #[must_use]
    pub fn next_due(&self) -> Option<Instant> {
        self.engines
            .values()
            .flat_map(HashMap::values)
            .flat_map(|t| [t.exit.as_ref().map(|e| e.due), t.recover_due])
            .flatten()
            .min()
    }

    /// The decisions due at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Finding> {
        let mut found = Vec::new();
        for (engine, tracks) in &mut self.engines {
            for (id, track) in tracks.iter_mut() {
                let name = track.name.clone();
                let who = || AlertedContainer {
                    id: id.clone(),
                    name: name.clone(),
                };
                if let Some(exit) = track.exit.take_if(|e| e.due <= now) {
                    // Inside a loop, each exit is part of the loop already raised.
                    if exit.code.is_some_and(|c| c != 0) && !track.looping {
                        track.checking = !exit.policy;
                        found.push(Finding {
                            engine: engine.clone(),
                            rule: if exit.oom {
                                AlertRule::OomKilled
                            } else {
                                AlertRule::Crashed
                            },
                            container: who(),
                            exit_code: exit.code,
                            detected: exit.detected,
                            at: exit.at,
                            may_restart: !exit.policy,
                        });
                    }
                }
                if track.recover_due.is_some_and(|t| t <= now) {
                    track.recover_due = None;
                    if track.looping && track.running {
                        track.looping = false;
                        track.restarts.clear();
                        found.push(Finding {
                            engine: engine.clone(),
                            rule: AlertRule::Recovered,
                            container: who(),
                            exit_code: None,
                            detected: Detected::Live,
                            at: None,
                            may_restart: false,
                        });
                    }
                }
            }
            tracks.retain(|_, t| t.running || t.exit.is_some() || t.looping || t.checking);
        }
        found
    }

    /// The engine's answer for `finding`, an exit raised with `may_restart`: when its restart
    /// policy restarts the container (and no `start` came meanwhile, which was counted as the
    /// policy's restart), the exit is held again for [`POLICY_WAIT`] as the policy's; a restart
    /// then counts toward the loop, and only an exit never restarted is a crash.
    pub fn checked(&mut self, finding: &Finding, restarts: bool, now: Instant) {
        let Some(track) = self
            .engines
            .get_mut(&finding.engine)
            .and_then(|tracks| tracks.get_mut(&finding.container.id))
        else {
            return;
        };
        if !std::mem::take(&mut track.checking) || !restarts || track.stop_asked {
            return;
        }
        track.exit = Some(Exit {
            code: finding.exit_code,
            at: finding.at,
            detected: finding.detected,
            due: now + POLICY_WAIT,
            oom: finding.rule == AlertRule::OomKilled,
            cleanups: 0,
            policy: true,
        });
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
