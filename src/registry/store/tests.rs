use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;

use super::*;

fn event(id: &str, action: &str, t: i64) -> RawEvent {
    RawEvent {
        typ: "container".into(),
        action: action.into(),
        id: id.into(),
        attributes: HashMap::from([
            ("name".into(), format!("n-{id}")),
            ("image".into(), "busybox".into()),
        ]),
        time_nano: t,
    }
}

fn listed(id: &str, state: &str) -> Container {
    Container {
        image: "busybox".into(),
        ..Container::new("podman", id, &format!("n-{id}"), state)
    }
}

/// A relist of `rows` (its deltas dropped).
fn relist(store: &mut EngineStore, rows: Vec<Container>) {
    store.init();
    for row in rows {
        store.init_apply(row);
    }
    store.init_done(&mut Vec::new());
}

fn states(store: &EngineStore) -> BTreeMap<String, String> {
    store
        .containers()
        .map(|c| (c.id.clone(), c.state.clone()))
        .collect()
}

#[test]
fn resync_done_drops_containers_missing_from_list() {
    let mut s = EngineStore::new("podman");
    relist(&mut s, vec![listed("a", "running"), listed("b", "exited")]);
    s.init();
    s.init_apply(listed("a", "running"));
    let mut out = Vec::new();
    s.init_done(&mut out);
    assert_eq!(states(&s).keys().collect::<Vec<_>>(), ["a"]);
    let ops: Vec<&Change> = out.iter().map(|d| &d.change).collect();
    assert!(matches!(ops[0], Change::ResyncStart { containers: 1 }));
    assert!(matches!(ops[1], Change::Upsert { container } if container.id == "a"));
    assert!(matches!(ops[2], Change::Remove { id } if id == "b"));
    assert!(matches!(ops[3], Change::ResyncDone { containers: 1 }));
}

#[test]
fn revisions_increase_by_one_per_delta() {
    let mut s = EngineStore::new("docker");
    let mut out = Vec::new();
    s.init();
    s.init_done(&mut out);
    out.extend(s.apply(&event("a", "create", 1)));
    out.extend(s.apply(&event("a", "start", 2)));
    out.extend(s.apply(&event("a", "destroy", 3)));
    let revs: Vec<u64> = out.iter().map(|d| d.rev).collect();
    assert_eq!(revs, (1..=revs.len() as u64).collect::<Vec<_>>());
}

#[test]
fn docker_and_podman_lifecycles_end_in_the_same_states() {
    // Docker: create, start, kill, kill, die, stop, destroy.
    // Podman: create, init, start, died-as-die, cleanup, cleanup, remove.
    for (engine, actions) in [
        (
            "docker",
            vec!["create", "start", "kill", "kill", "die", "stop"],
        ),
        (
            "podman",
            vec![
                "create", "init", "start", "sync", "die", "cleanup", "cleanup",
            ],
        ),
    ] {
        let mut s = EngineStore::new(engine);
        for (t, a) in actions.iter().enumerate() {
            s.apply(&event("x", a, i64::try_from(t).unwrap()));
        }
        assert_eq!(s.get("x").unwrap().state, "exited", "{engine}");
        let gone = if engine == "docker" {
            "destroy"
        } else {
            "remove"
        };
        assert!(s.apply(&event("x", gone, 100)).is_some());
        assert!(s.is_empty(), "{engine}");
    }
}

#[test]
fn an_event_older_than_one_already_applied_is_counted_not_applied() {
    let mut s = EngineStore::new("docker");
    s.apply(&event("a", "create", 1));
    s.apply(&event("a", "start", 2));
    s.apply(&event("a", "die", 4));
    assert!(
        s.apply(&event("a", "start", 3)).is_none(),
        "reordered: older than the die"
    );
    assert_eq!(s.get("a").unwrap().state, "exited");
    assert_eq!(s.stats.out_of_order, 1);
}

#[test]
fn a_row_keeps_its_last_event_time_across_a_relist_and_loses_it_with_the_row() {
    let mut s = EngineStore::new("docker");
    relist(&mut s, vec![listed("a", "created"), listed("b", "created")]);
    assert!(s.apply(&event("a", "start", 10)).is_some());
    assert!(s.apply(&event("b", "start", 10)).is_some());
    relist(&mut s, vec![listed("a", "running"), listed("b", "running")]);
    assert_eq!(s.ordering_entries(), 2);
    assert!(
        s.apply(&event("a", "die", 5)).is_none(),
        "older than the start applied before the relist"
    );
    assert_eq!(s.stats.out_of_order, 1);
    // A row the inspect fallback found gone takes its time with it, as a `destroy` does.
    assert!(s.replace("b", None).is_some());
    assert_eq!(s.ordering_entries(), 1);
    assert!(s.apply(&event("a", "destroy", 11)).is_some());
    assert_eq!(s.ordering_entries(), 0);
}

#[test]
fn duplicate_events_are_dropped_and_counted() {
    let mut s = EngineStore::new("podman");
    assert!(s.apply(&event("a", "create", 1)).is_some());
    assert!(s.apply(&event("a", "create", 1)).is_none());
    assert_eq!(s.stats.duplicates, 1);
}

#[test]
fn pause_health_and_rename_update_the_row() {
    let mut s = EngineStore::new("docker");
    s.apply(&event("a", "create", 1));
    s.apply(&event("a", "start", 2));
    s.apply(&event("a", "health_status: healthy", 3));
    assert_eq!(
        s.get("a").unwrap().status,
        "Up Less than a second (healthy)"
    );
    s.apply(&event("a", "pause", 4));
    assert_eq!(s.get("a").unwrap().state, "paused");
    let mut rename = event("a", "rename", 5);
    rename.attributes.insert("name".into(), "renamed".into());
    s.apply(&rename);
    assert_eq!(s.get("a").unwrap().name, "renamed");
}

#[test]
fn unknown_actions_and_other_types_change_nothing() {
    let mut s = EngineStore::new("docker");
    assert!(s.apply(&event("a", "teleport", 1)).is_none());
    assert_eq!(s.stats.unknown, 1);
    let mut pod = event("p", "create", 2);
    pod.typ = "pod".into();
    assert!(s.apply(&pod).is_none());
    assert!(s.is_empty());
}

#[test]
fn an_event_for_a_never_seen_container_creates_its_row() {
    let mut s = EngineStore::new("docker");
    s.apply(&event("ghost", "start", 1));
    assert_eq!(s.get("ghost").unwrap().state, "running");
    assert_eq!(s.get("ghost").unwrap().name, "n-ghost");
}

#[test]
fn pending_survives_a_resync() {
    let mut s = EngineStore::new("docker");
    relist(&mut s, vec![listed("a", "running")]);
    s.set_pending("a", true);
    relist(&mut s, vec![listed("a", "running")]);
    assert!(s.get("a").unwrap().pending);
}

/// A tiny engine: operations on a few containers, producing the events a real engine sends.
#[derive(Debug, Clone)]
enum Op {
    Create(u8),
    Start(u8),
    Stop(u8),
    Pause(u8),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::Create),
        (0u8..6).prop_map(Op::Start),
        (0u8..6).prop_map(Op::Stop),
        (0u8..6).prop_map(Op::Pause),
        (0u8..6).prop_map(Op::Remove),
    ]
}

/// Runs the ops; returns the event log and, for each event index, the engine's set after it.
fn simulate(ops: &[Op]) -> (Vec<RawEvent>, Vec<BTreeMap<String, String>>) {
    let mut engine: BTreeMap<String, String> = BTreeMap::new();
    let mut log = Vec::new();
    let mut after = Vec::new();
    let mut t = 1_000i64;
    let mut emit =
        |engine: &BTreeMap<String, String>, id: &str, action: &str, log: &mut Vec<RawEvent>| {
            t += 1;
            log.push(event(id, action, t));
            after.push(engine.clone());
        };
    for op in ops {
        match op {
            Op::Create(i) => {
                let id = format!("c{i}");
                if !engine.contains_key(&id) {
                    engine.insert(id.clone(), "created".into());
                    emit(&engine, &id, "create", &mut log);
                }
            }
            Op::Start(i) => {
                let id = format!("c{i}");
                if engine
                    .get(&id)
                    .is_some_and(|s| s != "running" && s != "paused")
                {
                    engine.insert(id.clone(), "running".into());
                    emit(&engine, &id, "start", &mut log);
                }
            }
            Op::Stop(i) => {
                let id = format!("c{i}");
                if engine.get(&id).is_some_and(|s| s == "running") {
                    engine.insert(id.clone(), "exited".into());
                    emit(&engine, &id, "die", &mut log);
                    emit(&engine, &id, "stop", &mut log);
                }
            }
            Op::Pause(i) => {
                let id = format!("c{i}");
                if engine.get(&id).is_some_and(|s| s == "running") {
                    engine.insert(id.clone(), "paused".into());
                    emit(&engine, &id, "pause", &mut log);
                }
            }
            Op::Remove(i) => {
                let id = format!("c{i}");
                if engine
                    .get(&id)
                    .is_some_and(|s| s != "running" && s != "paused")
                {
                    engine.remove(&id);
                    emit(&engine, &id, "destroy", &mut log);
                }
            }
        }
    }
    (log, after)
}

proptest! {
    /// Live events up to a disconnect, a gap, then a reconnect that relists at some point of the
    /// log, replays events since the cursor (some before the list, some duplicated) and follows
    /// the rest live: the store always ends equal to the engine.
    #[test]
    fn any_interleaving_of_buffered_events_relist_and_replay_converges(
        ops in prop::collection::vec(op(), 1..80),
        cut in 0.0f64..1.0,
        relist in 0.0f64..1.0,
        replay_back in 0usize..10,
        dup_every in 1usize..7,
    ) {
        let (log, after) = simulate(&ops);
        prop_assume!(!log.is_empty());
        let n = log.len();
        let cut = ((n as f64) * cut) as usize;                 // events delivered before the drop
        let list_at = cut + (((n - cut) as f64) * relist) as usize; // engine state the list shows
        let mut s = EngineStore::new("podman");
        s.init();
        s.init_done(&mut Vec::new());
        for e in &log[..cut] {
            s.apply(e);
        }
        // Reconnect: the list reflects the first `list_at` events.
        s.init();
        let snapshot = if list_at == 0 { BTreeMap::new() } else { after[list_at - 1].clone() };
        for (id, state) in &snapshot {
            s.init_apply(listed(id, state));
        }
        s.init_done(&mut Vec::new());
        // Replay since the cursor: events before the list are history only (as the watcher
        // marks them); from the list on they are applied, some twice.
        let replay_from = cut.saturating_sub(replay_back);
        for (i, e) in log.iter().enumerate().skip(replay_from) {
            if i < list_at {
                continue;
            }
            s.apply(e);
            if i % dup_every == 0 {
                s.apply(e);
            }
        }
        let want = after.last().cloned().unwrap_or_default();
        prop_assert_eq!(states(&s), want);
    }
}

#[test]
fn a_flood_of_events_for_ids_never_stored_keeps_the_store_at_its_containers() {
    let mut store = EngineStore::new("e");
    store.init();
    store.init_apply(listed("a", "running"));
    let mut out = Vec::new();
    store.init_done(&mut out);
    for i in 0..1_000_000_i64 {
        let id = format!("{:064x}", i.wrapping_mul(0x1E37_79B9_7F4A_7C15));
        assert_eq!(store.apply(&event(&id, "kill", i)), None);
    }
    assert_eq!(store.len(), 1);
    assert_eq!(store.ordering_entries(), 0);
    // `die`s for random ids invent rows (a lost `create`), but only so many until a relist.
    for i in 0..5000_i64 {
        let id = format!("{:064x}", i.wrapping_mul(0x2E37_79B9_7F4A_7C15) + 7);
        store.apply(&event(&id, "die", 2_000_000 + i));
    }
    assert_eq!(store.len(), 1 + MAX_INVENTED);
    assert_eq!(store.ordering_entries(), MAX_INVENTED);
    store.init();
    store.init_apply(listed("a", "running"));
    store.init_done(&mut out);
    assert_eq!(store.len(), 1);
    assert_eq!(store.ordering_entries(), 0, "the relist dropped them all");
    // Ordering still holds for the containers it has.
    assert!(store.apply(&event("a", "die", 10_000_000)).is_some());
    assert_eq!(store.apply(&event("a", "start", 5)), None);
    assert_eq!(store.ordering_entries(), 1);
}

#[test]
fn first_rows_show_before_the_list_and_the_list_replaces_them() {
    let mut s = EngineStore::new("podman");
    let mut out = Vec::new();
    s.first_rows(
        vec![listed("b", "running"), listed("a", "exited")],
        &mut out,
    );
    // Upserts only, by name, as creates would be: no relist that a handler could take for the
    // whole list.
    let ops: Vec<&Change> = out.iter().map(|d| &d.change).collect();
    assert!(
        matches!(ops[..], [Change::Upsert { container: a }, Change::Upsert { container: b }] if a.id == "a" && b.id == "b")
    );
    assert_eq!(out.iter().map(|d| d.rev).collect::<Vec<_>>(), [1, 2]);
    // A second page is older news than what the store shows: not taken.
    out.clear();
    s.first_rows(vec![listed("c", "running")], &mut out);
    assert!(out.is_empty());
    assert_eq!(states(&s).keys().collect::<Vec<_>>(), ["a", "b"]);
    // The whole list: "a" went meanwhile, "c" is the rest.
    s.init();
    s.init_apply(listed("b", "running"));
    s.init_apply(listed("c", "created"));
    s.init_done(&mut out);
    assert_eq!(states(&s).keys().collect::<Vec<_>>(), ["b", "c"]);
    let ops: Vec<&Change> = out.iter().map(|d| &d.change).collect();
    assert!(matches!(ops[0], Change::ResyncStart { containers: 2 }));
    assert!(matches!(ops[3], Change::Remove { id } if id == "a"));
    assert!(matches!(ops[4], Change::ResyncDone { containers: 2 }));
    assert_eq!(out.first().map(|d| d.rev), Some(3));
}

#[test]
fn first_rows_after_a_list_change_nothing() {
    let mut s = EngineStore::new("podman");
    let mut out = Vec::new();
    // Even an empty list counts: the engine said it has no containers.
    s.init();
    s.init_done(&mut out);
    out.clear();
    s.first_rows(vec![listed("a", "running")], &mut out);
    assert!(out.is_empty() && s.is_empty());
}

/// The row a delta carries, when it is an upsert.
fn upserted(d: &Delta) -> &Arc<Container> {
    match &d.change {
        Change::Upsert { container } => container,
        other => panic!("not an upsert: {other:?}"),
    }
}

#[test]
fn a_delta_shares_the_stored_row_and_keeps_its_state_when_a_later_event_changes_it() {
    let mut s = EngineStore::new("docker");
    relist(&mut s, vec![listed("a", "created")]);
    // Nobody else holds the row: the delta is the store's row, not a copy of it.
    let started = s.apply(&event("a", "start", 1)).expect("a change");
    assert!(Arc::ptr_eq(upserted(&started), &s.containers["a"].row));
    // A subscriber still holds `started` when the next event comes: the store changes a copy,
    // and what the subscriber holds is still the state it was told.
    let died = s.apply(&event("a", "die", 2)).expect("a change");
    assert_eq!(upserted(&started).state, "running");
    assert_eq!(upserted(&died).state, "exited");
    assert_eq!(s.get("a").map(|c| c.state.as_str()), Some("exited"));
    assert!(Arc::ptr_eq(upserted(&died), &s.containers["a"].row));
    // Pending marks and renames go through the same path.
    let pending = s.set_pending("a", true).expect("a change");
    assert!(upserted(&pending).pending && !upserted(&died).pending);
    assert!(s.set_pending("a", true).is_none(), "no change, no delta");
}
