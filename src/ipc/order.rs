//! The window's name order, so that a snapshot arrives in the order the container list shows.
//!
//! The page sorts its list again after every change (`ui/src/lib/stores/collate.ts`), by name in
//! its `Intl.Collator`'s order. When its input is in that order already, it only checks it
//! (n − 1 comparisons) instead of making a key for each row and sorting: on a page just loaded,
//! where no key is known yet, that was ~16 ms of a 10k-row snapshot's ~80.
//!
//! Why the page sends its order instead of the shell sorting by bytes: bytes put `Z` before `a`
//! and `_` after the digits, and the collator's order is the user's locale's. The page reads the
//! place of each printable ASCII character in its collator once (letters without case: `a` and
//! `A` share one) and sends those 95 places with its request. Names of printable ASCII (nearly
//! every name: engines allow `[a-zA-Z0-9][a-zA-Z0-9_.-]`) compare by them here as there; names
//! equal but for case put the first lower-case letter first, as the collator does. Other names
//! go after them, in bytes' order: when they are few, the page inserts them where they belong.
//!
//! The page checks the order either way: a wrong guess here costs it a sort, never a wrong list.

/// The printable ASCII characters, `' '` (0x20) to `'~'` (0x7e): one place each.
pub const PRINTABLE: usize = 0x7f - 0x20;

/// Why the page's places were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the name order has {0} places, not one for each of the {PRINTABLE} printable ASCII characters")]
    Length(usize),
    #[error("the name order gives no place (0) to {0:?}")]
    NoPlace(char),
}

/// The page's places of the printable ASCII characters in its collator, at its first level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameOrder {
    places: [u8; PRINTABLE],
}

impl NameOrder {
    /// The order from the page's places, one for each printable ASCII character in code order.
    ///
    /// # Errors
    /// When there are not [`PRINTABLE`] places, or one of them is 0.
    pub fn new(places: &[u8]) -> Result<Self, OrderError> {
        let places: [u8; PRINTABLE] = places
            .try_into()
            .map_err(|_| OrderError::Length(places.len()))?;
        if let Some(i) = places.iter().position(|&p| p == 0) {
            return Err(OrderError::NoPlace(char::from(0x20 + i as u8)));
        }
        Ok(Self { places })
    }

    /// The byte's place; `None` outside printable ASCII.
    fn place(&self, byte: u8) -> Option<u8> {
        self.places
            .get(usize::from(byte.wrapping_sub(0x20)))
            .copied()
    }

    /// What `name` sorts by: compared as the page's collator compares it, as far as this side
    /// can tell. Keys, not a comparison: a snapshot sorts 10k names under the hub's lock, and a
    /// key made once per name spares the ~14 comparisons each name takes part in.
    #[must_use]
    pub fn key(&self, name: &str) -> NameKey {
        let mut key = Vec::with_capacity(2 * name.len() + 2);
        key.push(PRINTABLE_NAME);
        key.extend(name.bytes().map_while(|b| self.place(b)));
        if key.len() == name.len() + 1 {
            // Equal places but for case: the first lower-case letter where they differ goes
            // first, as the collator's third level puts it. The 0 ends the places (none is 0):
            // a name that is the start of another goes before it.
            key.push(0);
            key.extend(name.bytes().map(|b| u8::from(b.is_ascii_uppercase())));
        } else {
            key.clear();
            key.push(OTHER_NAME);
            key.extend_from_slice(name.as_bytes());
        }
        NameKey(key)
    }
}

/// The first byte of a key: names of printable ASCII before any other.
const PRINTABLE_NAME: u8 = 0;
const OTHER_NAME: u8 = 1;

/// A name's place in the page's order ([`NameOrder::key`]): names of printable ASCII by their
/// characters' places, then their capitals; any other name after them, by its bytes. One buffer
/// compared as bytes (a snapshot makes 10k of them): `0`, the places, `0`, a `1` for each
/// capital and a `0` for each other character; or `1` and the name's bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NameKey(Vec<u8>);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The places a root-locale collator gives (what `placesOf` reads in the page): space and
    /// punctuation, then digits, then letters without case.
    pub(crate) fn root() -> NameOrder {
        let order = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
        let mut places = [0u8; PRINTABLE];
        for (i, ch) in order.chars().enumerate() {
            let place = u8::try_from(i + 1).unwrap();
            places[usize::from(ch as u8 - 0x20)] = place;
            places[usize::from(ch.to_ascii_uppercase() as u8 - 0x20)] = place;
        }
        NameOrder::new(&places).unwrap()
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let order = root();
        let mut out: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
        // As a snapshot sorts them (`WireSnapshot::of`).
        out.sort_by_cached_key(|n| order.key(n));
        out
    }

    #[test]
    fn orders_names_as_the_collator_does_not_as_bytes() {
        assert_eq!(
            sorted(&["web_2", "Zeta", "web-1", "web10", "alpha", "web1", "web", "Web", "wEb"]),
            ["alpha", "web", "wEb", "Web", "web_2", "web-1", "web1", "web10", "Zeta"]
        );
    }

    #[test]
    fn names_outside_printable_ascii_go_last_in_bytes_order() {
        assert_eq!(
            sorted(&["zürich", "zebra", "café", "tab\there", "cafe"]),
            ["cafe", "zebra", "café", "tab\there", "zürich"]
        );
    }

    /// The order as it was first written: a name's places and capitals as two lists, any other
    /// name after all of those by its bytes. [`NameKey`] packs it into one buffer.
    fn reference(order: &NameOrder, a: &str, b: &str) -> std::cmp::Ordering {
        let pair = |n: &str| -> Option<(Vec<u8>, Vec<bool>)> {
            let places = n
                .bytes()
                .map(|b| order.place(b))
                .collect::<Option<Vec<u8>>>()?;
            Some((places, n.bytes().map(|b| b.is_ascii_uppercase()).collect()))
        };
        match (pair(a), pair(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.as_bytes().cmp(b.as_bytes()),
        }
    }

    proptest::proptest! {
        #[test]
        fn keys_compare_as_places_then_capitals(
            places in proptest::collection::vec(1u8..=4, PRINTABLE),
            a in "[ -~]{0,6}|[a-cA-C_ ]{0,6}|[a-cé\\t]{0,4}",
            b in "[ -~]{0,6}|[a-cA-C_ ]{0,6}|[a-cé\\t]{0,4}",
        ) {
            // Few places, so that names of different characters often tie on them.
            let order = NameOrder::new(&places).unwrap();
            proptest::prop_assert_eq!(order.key(&a).cmp(&order.key(&b)), reference(&order, &a, &b));
            let prefix = &a[..a.char_indices().last().map_or(0, |(i, _)| i)];
            proptest::prop_assert_eq!(
                order.key(prefix).cmp(&order.key(&a)),
                reference(&order, prefix, &a)
            );
        }
    }

    #[test]
    fn refuses_places_that_are_not_one_per_printable_character() {
        assert_eq!(NameOrder::new(&[1; 94]), Err(OrderError::Length(94)));
        assert_eq!(NameOrder::new(&[]), Err(OrderError::Length(0)));
        let mut places = [1u8; PRINTABLE];
        places[usize::from(b'a' - 0x20)] = 0;
        assert_eq!(NameOrder::new(&places), Err(OrderError::NoPlace('a')));
    }
}
