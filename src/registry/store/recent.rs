//! The events a store applied last, to drop one that comes again (a replay after a reconnect, an
//! event seen both buffered and live): keys `(time, id, action)`, compared exactly.
//!
//! Every event passes through here, so it costs what it can: a ring of the last `capacity` keys,
//! each written into the buffer of the key it pushes out (once the window is full, an event
//! allocates nothing), and a hash table of the ring's slot numbers. Kept as a `VecDeque` and a
//! `HashSet` of owned keys, each event cost four allocations and four frees (the id and the action,
//! twice), and a full window of 4,096 held ~1.1 MiB more than this does (`cargo bench --bench
//! soak`: RSS after the warm-up 8.8 → 7.7–7.8 MiB); an event at 100 containers took 0.31–0.49 µs
//! with it, 0.20–0.25 without (`cargo bench --bench store`, `per_event_cost`).

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// A slot keeps its buffer for the next key up to this size. A larger one (an `exec_start` with a
/// long command) goes with its key: the window holds no more than its keys need, plus at most
/// this much a slot.
const KEPT_BUFFER: usize = 256;

/// One remembered key. `text` is the id followed by the action, `id_len` where one ends: two
/// keys with the same joined text (`ab` + `c`, `a` + `bc`) stay different.
#[derive(Debug, Default)]
struct Slot {
    time: i64,
    hash: u64,
    id_len: usize,
    text: String,
}

impl Slot {
    fn is(&self, time: i64, id: &str, action: &str) -> bool {
        self.time == time
            && self.id_len == id.len()
            && self.text.get(..self.id_len) == Some(id)
            && self.text.get(self.id_len..) == Some(action)
    }

    fn set(&mut self, time: i64, hash: u64, id: &str, action: &str) {
        self.time = time;
        self.hash = hash;
        self.id_len = id.len();
        let len = id.len() + action.len();
        if self.text.capacity() > KEPT_BUFFER.max(len) {
            self.text = String::with_capacity(len);
        } else {
            self.text.clear();
        }
        self.text.push_str(id);
        self.text.push_str(action);
    }
}

/// The last `capacity` keys (see the module's comment). `S` hashes them: a fresh random seed by
/// default (keys come from the engine's stream); the tests give one that makes every key collide.
#[derive(Debug)]
pub(super) struct Recent<S = RandomState> {
    /// The ring, filled in order and then written over from its oldest slot on.
    slots: Vec<Slot>,
    capacity: usize,
    /// The oldest slot once the ring is full: the one the next key takes.
    oldest: usize,
    /// Slot numbers, found by the hash of their key.
    index: HashTable<u32>,
    hasher: S,
}

impl Recent {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self::with_hasher(capacity, RandomState::new())
    }
}

impl<S: BuildHasher> Recent<S> {
    fn with_hasher(capacity: usize, hasher: S) -> Self {
        assert!(
            capacity > 0 && u32::try_from(capacity).is_ok(),
            "a window of 1 to u32::MAX keys"
        );
        Self {
            slots: Vec::with_capacity(capacity),
            capacity,
            oldest: 0,
            // Twice the window: the table churns (one insert and one remove per event), and one
            // fuller than half its capacity when its tombstones run out doubles instead of
            // rehashing in place. Sized like this it never grows.
            index: HashTable::with_capacity(2 * capacity),
            hasher,
        }
    }

    /// Whether `(time, id, action)` is among the last `capacity` keys. When it is not, it
    /// becomes the newest of them, and the oldest leaves if the window is full.
    pub(super) fn seen_or_insert(&mut self, time: i64, id: &str, action: &str) -> bool {
        let hash = self.hasher.hash_one((time, id, action));
        let Self {
            slots,
            capacity,
            oldest,
            index,
            ..
        } = self;
        if index
            .find(hash, |&slot| slots[slot as usize].is(time, id, action))
            .is_some()
        {
            return true;
        }
        let slot = if slots.len() < *capacity {
            slots.push(Slot::default());
            slots.len() - 1
        } else {
            let slot = *oldest;
            *oldest = (slot + 1) % *capacity;
            if let Ok(entry) = index.find_entry(slots[slot].hash, |&s| s as usize == slot) {
                entry.remove();
            }
            slot
        };
        slots[slot].set(time, hash, id, action);
        let number = u32::try_from(slot).expect("fewer slots than u32::MAX (with_hasher)");
        index.insert_unique(hash, number, |&s| slots[s as usize].hash);
        false
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasherDefault, Hasher};

    use super::Recent;

    #[test]
    fn a_key_is_seen_again_only_when_time_id_and_action_all_match() {
        let mut recent = Recent::with_capacity(16);
        assert!(!recent.seen_or_insert(1, "a", "die"));
        assert!(recent.seen_or_insert(1, "a", "die"));
        assert!(!recent.seen_or_insert(2, "a", "die"));
        assert!(!recent.seen_or_insert(1, "b", "die"));
        assert!(!recent.seen_or_insert(1, "a", "start"));
        // The same joined text, split elsewhere: another container's event.
        assert!(!recent.seen_or_insert(5, "ab", "c"));
        assert!(!recent.seen_or_insert(5, "a", "bc"));
        assert!(recent.seen_or_insert(5, "ab", "c"));
        assert!(recent.seen_or_insert(5, "a", "bc"));
    }

    #[test]
    fn the_window_keeps_the_last_keys_and_forgets_the_older_ones() {
        let mut recent = Recent::with_capacity(4);
        for t in 0..10 {
            assert!(!recent.seen_or_insert(t, "a", "die"));
        }
        assert_eq!(recent.len(), 4);
        for t in 6..10 {
            assert!(
                recent.seen_or_insert(t, "a", "die"),
                "{t} is among the last 4"
            );
        }
        assert!(!recent.seen_or_insert(5, "a", "die"), "5 left the window");
        // It came back as the newest; 6 was the oldest and left for it.
        assert!(recent.seen_or_insert(5, "a", "die"));
        assert!(!recent.seen_or_insert(6, "a", "die"));
        assert_eq!(recent.len(), 4);
    }

    #[test]
    fn a_long_key_does_not_leave_its_buffer_behind() {
        let mut recent = Recent::with_capacity(1);
        let long = "x".repeat(1 << 20);
        assert!(!recent.seen_or_insert(1, "a", &long));
        assert!(recent.slots[0].text.capacity() >= 1 << 20);
        assert!(!recent.seen_or_insert(2, "a", "die"));
        assert!(recent.slots[0].text.capacity() <= super::KEPT_BUFFER);
        assert!(recent.seen_or_insert(2, "a", "die"));
    }

    /// Every key hashes alike.
    #[derive(Default)]
    struct Constant;

    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            7
        }

        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn keys_whose_hashes_collide_are_told_apart_and_leave_one_by_one() {
        let mut recent = Recent::with_hasher(3, BuildHasherDefault::<Constant>::default());
        for id in ["a", "b", "c"] {
            assert!(!recent.seen_or_insert(1, id, "die"));
        }
        for id in ["a", "b", "c"] {
            assert!(recent.seen_or_insert(1, id, "die"));
        }
        // "d" pushes out "a" (the oldest), and only it.
        assert!(!recent.seen_or_insert(1, "d", "die"));
        assert_eq!(recent.len(), 3);
        for id in ["b", "c", "d"] {
            assert!(recent.seen_or_insert(1, id, "die"), "{id} is kept");
        }
        assert!(!recent.seen_or_insert(1, "a", "die"));
    }
}
