use std::collections::HashMap;

use super::super::signs::status_exit_code;
use super::*;

const E: &str = "e";

fn ev(action: &str, id: &str, attrs: &[(&str, &str)], t: i64) -> RawEvent {
    let mut attributes: HashMap<String, String> = attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    attributes.insert("name".into(), format!("n-{id}"));
    RawEvent {
        typ: "container".into(),
        action: action.into(),
        id: id.into(),
        attributes,
        time_nano: t,
    }
}

/// Feeds `events` (action, exit code) to running container `c`, then lets every hold pass.
fn run(rules: &mut Rules, steps: &[(&str, Option<&str>)], replayed: bool) -> Vec<Finding> {
    let t0 = Instant::now();
    let mut found = Vec::new();
    for (i, (action, code)) in steps.iter().enumerate() {
        let attrs: Vec<(&str, &str)> = code.iter().map(|c| ("exitCode", *c)).collect();
        let t = i64::try_from(i).unwrap() * 1_000_000;
        found.extend(rules.event(E, &ev(action, "c", &attrs, t), replayed, t0));
    }
    found.extend(rules.due(t0 + HOLD));
    found
}

fn started() -> Rules {
    let mut rules = Rules::default();
    assert!(rules
        .event(E, &ev("start", "c", &[], 0), false, Instant::now())
        .is_empty());
    rules
}

fn rules_of(found: &[Finding]) -> Vec<AlertRule> {
    found.iter().map(|f| f.rule).collect()
}

#[test]
fn an_exit_nobody_asked_for_is_one_crash_with_its_code() {
    let found = run(&mut started(), &[("die", Some("3"))], false);
    assert_eq!(rules_of(&found), [AlertRule::Crashed]);
    assert_eq!(found[0].exit_code, Some(3));
    assert_eq!(found[0].detected, Detected::Live);
    assert_eq!(found[0].container.name, "n-c");
    // Podman: one cleanup (conmon's exit command) after a crash.
    let podman = run(
        &mut started(),
        &[("die", Some("137")), ("cleanup", None)],
        false,
    );
    assert_eq!(rules_of(&podman), [AlertRule::Crashed]);
}

#[test]
fn stops_kills_and_restarts_are_not_crashes() {
    for steps in [
        // Docker stop, kill, restart.
        &[
            ("kill", None),
            ("kill", None),
            ("die", Some("137")),
            ("stop", None),
        ][..],
        &[("kill", None), ("die", Some("137"))],
        &[
            ("kill", None),
            ("die", Some("137")),
            ("stop", None),
            ("start", None),
            ("restart", None),
        ],
        // Podman stop -t 0, stop that timed out (no `stop` event at all), restart.
        &[
            ("stop", None),
            ("die", Some("137")),
            ("cleanup", None),
            ("cleanup", None),
        ],
        &[("die", Some("143")), ("cleanup", None), ("cleanup", None)],
        &[
            ("restart", None),
            ("stop", None),
            ("die", Some("137")),
            ("start", None),
        ],
        // A clean exit.
        &[("die", Some("0"))],
    ] {
        assert!(run(&mut started(), steps, false).is_empty(), "{steps:?}");
    }
}

#[test]
fn a_crash_after_a_docker_restart_is_still_one() {
    let mut rules = started();
    let restart = [
        ("kill", None),
        ("die", Some("137")),
        ("stop", None),
        ("start", None),
        ("restart", None),
    ];
    assert!(run(&mut rules, &restart, false).is_empty());
    assert_eq!(
        rules_of(&run(&mut rules, &[("die", Some("1"))], false)),
        [AlertRule::Crashed]
    );
}

#[test]
fn an_oom_exit_is_oom_killed_and_a_replayed_one_says_so() {
    let found = run(
        &mut started(),
        &[("oom", None), ("die", Some("137"))],
        false,
    );
    assert_eq!(rules_of(&found), [AlertRule::OomKilled]);
    // The notice after the exit, within the hold: the same.
    let late = run(
        &mut started(),
        &[("die", Some("137")), ("oom", None)],
        false,
    );
    assert_eq!(rules_of(&late), [AlertRule::OomKilled]);
    let replayed = run(&mut started(), &[("die", Some("2"))], true);
    assert_eq!(replayed[0].detected, Detected::Replay);
    assert_eq!(replayed[0].at, Some(0));
}

#[test]
fn a_restart_loop_is_one_alert_then_one_recovery() {
    for auto in [
        &[("die", Some("1")), ("start", None)][..],
        &[("die", Some("1")), ("restart", None), ("start", None)],
    ] {
        let mut rules = started();
        let t0 = Instant::now();
        let mut found = Vec::new();
        let mut t = 0;
        for _ in 0..10 {
            for (action, code) in auto {
                t += 1;
                let attrs: Vec<(&str, &str)> = code.iter().map(|c| ("exitCode", *c)).collect();
                found.extend(rules.event(E, &ev(action, "c", &attrs, t), false, t0));
            }
        }
        found.extend(rules.due(t0 + HOLD));
        assert_eq!(rules_of(&found), [AlertRule::RestartLoop], "{auto:?}");
        assert!(rules.due(t0 + LOOP_WINDOW / 2).is_empty());
        assert_eq!(
            rules_of(&rules.due(t0 + LOOP_WINDOW)),
            [AlertRule::Recovered]
        );
        assert!(rules.due(t0 + LOOP_WINDOW * 3).is_empty(), "one recovery");
    }
}

#[test]
fn unhealthy_is_raised_once_per_turn() {
    let mut rules = started();
    let now = Instant::now();
    let unhealthy = ev("health_status: unhealthy", "c", &[], 1);
    assert_eq!(
        rules_of(&rules.event(E, &unhealthy, false, now)),
        [AlertRule::Unhealthy]
    );
    assert!(rules.event(E, &unhealthy, false, now).is_empty());
    let healthy = ev("health_status", "c", &[("health_status", "healthy")], 2);
    assert!(rules.event(E, &healthy, false, now).is_empty());
    let podman = ev("health_status", "c", &[("health_status", "unhealthy")], 3);
    assert_eq!(rules.event(E, &podman, false, now).len(), 1);
}

#[test]
fn a_container_never_seen_running_raises_nothing() {
    let mut rules = Rules::default();
    assert!(run(&mut rules, &[("die", Some("3"))], true).is_empty());
    let exited = Container {
        status: "Exited (3) 2 minutes ago".into(),
        ..Container::new(E, "c", "n-c", "exited")
    };
    let now = Instant::now();
    rules.relisted(E, [&exited], now);
    assert!(rules.due(now + HOLD).is_empty());
}

#[test]
fn a_relist_finds_a_crash_missed_and_a_replayed_exit_says_when() {
    let exited = Container {
        status: "Exited (137) 5 seconds ago".into(),
        ..Container::new(E, "c", "n-c", "exited")
    };
    let now = Instant::now();
    let seeded = || Rules::seeded([(E.to_owned(), "c".to_owned(), "n-c".to_owned())]);
    let mut rules = seeded();
    rules.relisted(E, [&exited], now);
    let found = rules.due(now + HOLD);
    assert_eq!(rules_of(&found), [AlertRule::Crashed]);
    assert_eq!(
        (found[0].detected, found[0].at, found[0].exit_code),
        (Detected::Resync, None, Some(137))
    );
    assert!(rules.due(now + HOLD * 5).is_empty(), "once");
    rules.relisted(E, [&exited], now);
    assert!(
        rules.due(now + HOLD * 10).is_empty(),
        "not again at the next relist"
    );

    let mut rules = seeded();
    rules.relisted(E, [&exited], now);
    rules.event(E, &ev("die", "c", &[("exitCode", "137")], 42), true, now);
    let found = rules.due(now + HOLD);
    assert_eq!(
        (found[0].detected, found[0].at),
        (Detected::Replay, Some(42))
    );

    // A replayed stop before the exit: asked for.
    let mut rules = seeded();
    rules.relisted(E, [&exited], now);
    for action in ["kill", "die", "stop"] {
        rules.event(E, &ev(action, "c", &[("exitCode", "137")], 42), true, now);
    }
    assert!(rules.due(now + HOLD).is_empty());
}

#[test]
fn the_running_set_follows_starts_exits_and_removals() {
    let mut rules = started();
    assert_eq!(rules.running().count(), 1);
    run(&mut rules, &[("kill", None), ("die", Some("137"))], false);
    assert_eq!(rules.running().count(), 0);
    let now = Instant::now();
    rules.event(E, &ev("start", "c", &[], 5), false, now);
    rules.event(E, &ev("destroy", "c", &[], 6), false, now);
    assert_eq!(rules.running().count(), 0);
    assert_eq!(status_exit_code("Exited (3) 1 second ago"), Some(3));
    assert_eq!(status_exit_code("Up 3 seconds"), None);
}

/// Feeds `action` (with an exit code) to container `c` at engine time `t`.
fn step(rules: &mut Rules, action: &str, code: Option<&str>, t: i64, now: Instant) -> Vec<Finding> {
    let attrs: Vec<(&str, &str)> = code.iter().map(|c| ("exitCode", *c)).collect();
    rules.event(E, &ev(action, "c", &attrs, t), false, now)
}

#[test]
fn restarts_later_than_the_hold_are_the_policys_once_the_engine_says_so() {
    // Docker's delay doubles past the hold, or a loaded engine starts late: each exit comes
    // due, is asked about, and the engine's answer (`Restarting`) makes its start the policy's.
    for (restart, answer_first) in [("start", true), ("start", false), ("restart", false)] {
        let mut rules = started();
        let mut now = Instant::now();
        let mut raised = Vec::new();
        for i in 0..4 {
            let t = i * 10;
            assert!(step(&mut rules, "die", Some("1"), t, now).is_empty());
            now += HOLD;
            let due = rules.due(now);
            if i < 3 {
                assert_eq!(rules_of(&due), [AlertRule::Crashed]);
                assert!(due[0].may_restart, "asked, not raised");
            } else {
                assert!(due.is_empty(), "inside the loop: {due:?}");
            }
            let answer = |rules: &mut Rules| {
                for f in &due {
                    rules.checked(f, true, now);
                }
            };
            if answer_first {
                answer(&mut rules);
            }
            raised.extend(step(&mut rules, restart, None, t + 5, now));
            if restart == "restart" {
                raised.extend(step(&mut rules, "start", None, t + 6, now));
            }
            if !answer_first {
                answer(&mut rules);
            }
        }
        assert_eq!(
            rules_of(&raised),
            [AlertRule::RestartLoop],
            "{restart} {answer_first}"
        );
        assert!(
            rules.due(now + POLICY_WAIT).is_empty(),
            "no exit is left held"
        );
    }
}

#[test]
fn an_exit_the_policy_never_restarts_is_a_crash_after_all() {
    let mut rules = started();
    let now = Instant::now();
    step(&mut rules, "die", Some("2"), 0, now);
    let asked = rules.due(now + HOLD);
    rules.checked(&asked[0], true, now + HOLD);
    assert!(
        rules.due(now + HOLD * 2).is_empty(),
        "waiting for the restart"
    );
    let late = rules.due(now + HOLD + POLICY_WAIT);
    assert_eq!(rules_of(&late), [AlertRule::Crashed]);
    assert_eq!(late[0].exit_code, Some(2));
    assert!(!late[0].may_restart, "asked once");
}

#[test]
fn a_user_start_after_a_crash_the_engine_called_final_is_no_restart() {
    let mut rules = started();
    let mut now = Instant::now();
    for i in 0..4 {
        step(&mut rules, "die", Some("1"), i * 10, now);
        now += HOLD;
        let crash = rules.due(now);
        assert_eq!(rules_of(&crash), [AlertRule::Crashed], "crash {i}");
        rules.checked(&crash[0], false, now);
        assert!(step(&mut rules, "start", None, i * 10 + 5, now).is_empty());
    }
}
