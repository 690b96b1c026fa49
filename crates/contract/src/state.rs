//! The key-value state a contract reads and writes, an in-memory implementation, and an
//! overlay that buffers a transaction's writes until it succeeds.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

/// Ordered key-value state over byte strings.
pub trait State {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The value under `key`, lent when the implementation can (the default copies
    /// through [`State::get`]).
    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.get(key).map(Cow::Owned)
    }
    /// Stores `value` under `key`.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
    /// Removes `key` (nothing happens if it is absent).
    fn delete(&mut self, key: &[u8]);
    /// Calls `visit` with the entries with `start <= key < end` (no upper bound when
    /// `end` is `None`), in key order, until it returns `false`. Implementations lend
    /// their entries; nothing is copied.
    fn scan(&self, start: &[u8], end: Option<&[u8]>, visit: &mut dyn FnMut(&[u8], &[u8]) -> bool);

    /// The entries [`State::scan`] visits, copied.
    fn range(&self, start: &[u8], end: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        self.scan(start, end, &mut |key, value| {
            out.push((key.to_vec(), value.to_vec()));
            true
        });
        out
    }
}

/// Keys up to this long are kept inside the map's nodes.
const INLINE: usize = 62;

/// A key of [`MemState`], ordered as its bytes. Short keys (all the sharing contract
/// uses) are kept inline, so that a search through the map compares bytes in the node
/// it is reading instead of following a pointer per comparison: on a large state that
/// pointer is a cache miss.
#[derive(Clone)]
enum Key {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Key {
    fn new(bytes: &[u8]) -> Self {
        Self::inline(bytes).unwrap_or_else(|| Self::Heap(bytes.into()))
    }

    /// The key, if it is short enough to be kept inline.
    fn inline(bytes: &[u8]) -> Option<Self> {
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= INLINE => {
                let mut inline = [0; INLINE];
                inline[..bytes.len()].copy_from_slice(bytes);
                Some(Self::Inline(len, inline))
            }
            _ => None,
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline(len, bytes) => &bytes[..usize::from(*len)],
            Self::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    /// The order of the bytes. Two inline keys are compared eight bytes at a time as
    /// big-endian integers, over their zero padding, and then by length: zero is the
    /// least byte, so a key that is a prefix of another (or equal to it but for
    /// trailing zeros) sorts first exactly when it is shorter. No call to `memcmp` per
    /// comparison; keys here share long prefixes (`d/ds-0000000000…`).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Inline(a_len, a), Self::Inline(b_len, b)) => {
                let words = usize::from(*a_len.max(b_len)).div_ceil(8);
                for (a, b) in a.chunks(8).zip(b.chunks(8)).take(words) {
                    let order = word(a).cmp(&word(b));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                a_len.cmp(b_len)
            }
            _ => self.as_slice().cmp(other.as_slice()),
        }
    }
}

/// Up to eight bytes as a big-endian integer, zero-padded on the right.
fn word(bytes: &[u8]) -> u64 {
    let mut padded = [0u8; 8];
    padded[..bytes.len()].copy_from_slice(bytes);
    u64::from_be_bytes(padded)
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// State in a `BTreeMap`: ordered, so iteration (and anything hashed from it) is
/// deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState {
    entries: BTreeMap<Key, Vec<u8>>,
}

impl MemState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the state is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromIterator<(Vec<u8>, Vec<u8>)> for MemState {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Vec<u8>)>>(iter: I) -> Self {
        Self {
            entries: iter.into_iter().map(|(k, v)| (Key::new(&k), v)).collect(),
        }
    }
}

impl MemState {
    /// The value under `key`, searched with an inline [`Key`] (compared word by word)
    /// when the key is short, by its bytes otherwise (nothing allocated for a long key).
    fn value(&self, key: &[u8]) -> Option<&Vec<u8>> {
        match Key::inline(key) {
            Some(inline) => self.entries.get(&inline),
            None => self.entries.get(key),
        }
    }

    /// Removes `key`, searched as [`MemState::value`] searches.
    fn remove(&mut self, key: &[u8]) {
        match Key::inline(key) {
            Some(inline) => self.entries.remove(&inline),
            None => self.entries.remove(key),
        };
    }
}

impl State for MemState {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.value(key).cloned()
    }

    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.value(key).map(|v| Cow::Borrowed(v.as_slice()))
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.entries.insert(Key::new(&key), value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.remove(key);
    }

    fn scan(&self, start: &[u8], end: Option<&[u8]>, visit: &mut dyn FnMut(&[u8], &[u8]) -> bool) {
        // An open range and a check of the end as it goes: a bounded range would search
        // for both ends all the way down the tree.
        for (key, value) in self
            .entries
            .range((Bound::Included(Key::new(start)), Bound::Unbounded))
        {
            let key = key.as_slice();
            if end.is_some_and(|end| key >= end) || !visit(key, value) {
                break;
            }
        }
    }
}

/// Buffers writes over a read-only base; [`Overlay::into_writes`] hands them over so the
/// caller applies them only if the transaction succeeded.
#[derive(Debug)]
pub struct Overlay<'a> {
    base: &'a MemState,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Overlay<'a> {
    /// An overlay with no writes over `base`.
    pub fn new(base: &'a MemState) -> Self {
        Self {
            base,
            writes: BTreeMap::new(),
        }
    }

    /// The buffered writes (`None` deletes), in key order.
    pub fn into_writes(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.writes
    }
}

impl State for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(key) {
            Some(written) => written.clone(),
            None => self.base.get(key),
        }
    }

    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self.writes.get(key) {
            Some(written) => written.as_deref().map(Cow::Borrowed),
            None => self.base.get_ref(key),
        }
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    /// Merges the base's entries with the buffered writes as it walks them: a write
    /// replaces (or, for a delete, hides) the base entry under its key.
    fn scan(&self, start: &[u8], end: Option<&[u8]>, visit: &mut dyn FnMut(&[u8], &[u8]) -> bool) {
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        let mut writes = self
            .writes
            .range::<[u8], _>((Bound::Included(start), upper))
            .peekable();
        let mut going = true;
        self.base.scan(start, end, &mut |key, value| {
            while let Some((written_key, written)) = writes.next_if(|(k, _)| k.as_slice() < key) {
                if let Some(written) = written
                    && !visit(written_key, written)
                {
                    going = false;
                    return false;
                }
            }
            let shown = match writes.next_if(|(k, _)| k.as_slice() == key) {
                Some((_, written)) => written.as_deref(),
                None => Some(value),
            };
            if let Some(shown) = shown
                && !visit(key, shown)
            {
                going = false;
                return false;
            }
            true
        });
        if going {
            for (key, written) in writes {
                if let Some(written) = written
                    && !visit(key, written)
                {
                    break;
                }
            }
        }
    }
}

impl MemState {
    /// Applies writes (`None` deletes), such as those an [`Overlay`] produced.
    pub fn apply(&mut self, writes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>) {
        for (key, value) in writes {
            match value {
                Some(value) => self.put(key, value),
                None => self.remove(&key),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_their_bytes_inline_or_not() {
        let long = vec![b'k'; INLINE + 1];
        let keys: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![0],
            b"a".to_vec(),
            vec![b'k'; INLINE - 1],
            vec![b'k'; INLINE],
            long.clone(),
            [long.as_slice(), b"\0"].concat(),
            vec![b'k'; 300],
            vec![0xff; 3],
        ];
        let mut state = MemState::new();
        for key in keys.iter().rev() {
            state.put(key.clone(), key.clone());
        }
        let mut sorted = keys.clone();
        sorted.sort();
        let stored: Vec<Vec<u8>> = state.iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(stored, sorted);
        for key in &keys {
            assert_eq!(state.get(key).as_ref(), Some(key));
        }
        assert_eq!(state.range(&long, None).len(), 4);
        state.delete(&long);
        assert_eq!(state.get(&long), None);
        assert_eq!(state.len(), keys.len() - 1);
        assert_eq!(state.clone(), state);
    }

    proptest::proptest! {
        /// Keys compare as their bytes, inline or not, with zeros and shared prefixes.
        #[test]
        fn keys_compare_as_their_bytes(
            a in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'/', 0xff]), 0..80),
            b in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'/', 0xff]), 0..80),
            shared in 0usize..70,
            zeros in 0usize..10,
        ) {
            // b: a prefix of a, some zeros (padding looks like zeros), then anything.
            let b = [&a[..shared.min(a.len())], &vec![0; zeros], &b[..]].concat();
            proptest::prop_assert_eq!(Key::new(&a).cmp(&Key::new(&b)), a.cmp(&b));
            proptest::prop_assert_eq!(Key::new(&b).cmp(&Key::new(&a)), b.cmp(&a));
            proptest::prop_assert_eq!(Key::new(&a) == Key::new(&b), a == b);
        }
    }

    #[test]
    fn range_is_half_open_and_ordered() {
        let mut state = MemState::new();
        for key in [b"a".as_slice(), b"b", b"c", b"d"] {
            state.put(key.to_vec(), key.to_vec());
        }
        let keys: Vec<_> = state
            .range(b"b", Some(b"d"))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(state.range(b"c", None).len(), 2);
    }

    #[test]
    fn overlay_reads_its_writes_and_leaves_the_base_alone() {
        let mut base = MemState::new();
        base.put(b"a".to_vec(), b"1".to_vec());
        base.put(b"b".to_vec(), b"2".to_vec());
        let mut overlay = Overlay::new(&base);
        overlay.put(b"c".to_vec(), b"3".to_vec());
        overlay.delete(b"a");
        assert_eq!(overlay.get(b"a"), None);
        assert_eq!(overlay.get(b"c"), Some(b"3".to_vec()));
        let keys: Vec<_> = overlay
            .range(b"", None)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(overlay.get_ref(b"b").as_deref(), Some(b"2".as_slice()));
        assert_eq!(overlay.get_ref(b"a"), None);
        let writes = overlay.into_writes();
        assert_eq!(base.len(), 2);
        base.apply(writes);
        assert_eq!(base.get(b"a"), None);
        assert_eq!(base.get(b"c"), Some(b"3".to_vec()));
    }

    #[test]
    fn overlay_scan_merges_writes_in_key_order_and_stops_when_asked() {
        let mut base = MemState::new();
        for key in [b"b".as_slice(), b"d", b"f", b"h"] {
            base.put(key.to_vec(), b"base".to_vec());
        }
        let mut overlay = Overlay::new(&base);
        overlay.put(b"a".to_vec(), b"new".to_vec());
        overlay.put(b"d".to_vec(), b"new".to_vec());
        overlay.delete(b"f");
        overlay.put(b"g".to_vec(), b"new".to_vec());
        overlay.put(b"z".to_vec(), b"new".to_vec());
        let mut seen = Vec::new();
        overlay.scan(b"", None, &mut |k, v| {
            seen.push((k.to_vec(), v.to_vec()));
            true
        });
        let expected: Vec<(Vec<u8>, Vec<u8>)> = [
            ("a", "new"),
            ("b", "base"),
            ("d", "new"),
            ("g", "new"),
            ("h", "base"),
            ("z", "new"),
        ]
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
        assert_eq!(seen, expected);
        assert_eq!(overlay.range(b"c", Some(b"h")).len(), 2);
        for stop in 1..=expected.len() {
            let mut seen = Vec::new();
            overlay.scan(b"", None, &mut |k, _| {
                seen.push(k.to_vec());
                seen.len() < stop
            });
            assert_eq!(seen.len(), stop);
        }
    }
}
