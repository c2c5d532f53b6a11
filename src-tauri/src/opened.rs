//! What the window opened and the shell keeps for it: log views, stats views, terminals.
//!
//! Each is numbered and ended by being dropped. At most `max` are open at once: opening one more
//! closes the oldest, so a reloaded window cannot leave followers behind without bound. When the
//! window is destroyed (closed to the tray), all of them are closed.

use std::collections::BTreeMap;

use parking_lot::Mutex;

/// A numbered table of what the window opened.
#[derive(Debug)]
pub struct Opened<T> {
    open: Mutex<BTreeMap<u32, T>>,
    next: Mutex<u32>,
    max: usize,
}

impl<T> Opened<T> {
    pub fn new(max: usize) -> Self {
        Self {
            open: Mutex::new(BTreeMap::new()),
            next: Mutex::new(0),
            max,
        }
    }

    /// A fresh number for the next one opened.
    pub fn number(&self) -> u32 {
        let mut next = self.next.lock();
        *next = next.wrapping_add(1);
        *next
    }

    /// Keeps `item` as `number`, closing the oldest while more than `max` are open.
    pub fn insert(&self, number: u32, item: T) {
        let mut open = self.open.lock();
        open.insert(number, item);
        while open.len() > self.max {
            open.pop_first();
        }
    }

    /// `f` on the one numbered `number`, if it is open.
    pub fn with<R>(&self, number: u32, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.open.lock().get_mut(&number).map(f)
    }

    /// Closes the one numbered `number` (an unknown one is already closed).
    pub fn remove(&self, number: u32) {
        self.open.lock().remove(&number);
    }

    /// Closes every one (the window that opened them is gone).
    pub fn close_all(&self) {
        let open = std::mem::take(&mut *self.open.lock());
        drop(open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_is_closed_past_max_and_close_all_closes_every_one() {
        let opened = Opened::new(2);
        let numbers: Vec<u32> = (0..3).map(|_| opened.number()).collect();
        assert_eq!(numbers, [1, 2, 3]);
        for n in &numbers {
            opened.insert(*n, format!("view {n}"));
        }
        assert_eq!(opened.with(1, |v| v.clone()), None, "the oldest was closed");
        assert_eq!(opened.with(3, |v| v.clone()).as_deref(), Some("view 3"));
        opened.remove(3);
        assert_eq!(opened.with(3, |v| v.clone()), None);
        opened.close_all();
        assert_eq!(opened.with(2, |v| v.clone()), None);
    }
}
