//! Columnar storage of events and identities: byte arenas, small interners, 32-byte rows.

use crate::error::{Error, Result};
use crate::hash::fast_hash;

/// Strings back to back in one byte buffer; string `i` is `bytes[ends[i-1]..ends[i]]`.
/// Total size is limited to 4 GiB (documented pool limit).
#[derive(Debug, Clone, Default)]
pub(crate) struct StrArena {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl StrArena {
    pub fn push(&mut self, s: &str, what: &'static str) -> Result<u32> {
        let end = self.bytes.len() + s.len();
        if end > u32::MAX as usize || self.ends.len() >= u32::MAX as usize {
            return Err(Error::limit(format!("{what} bytes in the pool"), u32::MAX as usize, end));
        }
        grow(&mut self.bytes, s.len());
        self.bytes.extend_from_slice(s.as_bytes());
        grow(&mut self.ends, 1);
        self.ends.push(end as u32);
        Ok((self.ends.len() - 1) as u32)
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Total bytes of the strings.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether a string of `len` bytes still fits under the 4 GiB limit.
    pub fn fits(&self, len: usize) -> bool {
        self.bytes.len() + len <= u32::MAX as usize && self.ends.len() < u32::MAX as usize
    }

    /// The bytes of string `i` (no UTF-8 re-validation: for comparisons and hashing).
    #[inline]
    pub fn bytes(&self, i: u32) -> &[u8] {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// String `i` (only valid UTF-8 is ever pushed).
    pub fn get(&self, i: u32) -> &str {
        std::str::from_utf8(self.bytes(i)).unwrap_or("")
    }

    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4
    }
}

/// A hash table of `u32` values that keeps 32 bits of each key's hash beside the value, so
/// that probing rarely reads a key that does not match and growing never re-reads a key.
/// Correctness never rests on the hash: a match is always confirmed by comparing the key.
///
/// Open addressing with linear probing over one array of 8-byte slots (`0`: empty, else
/// `tag << 32 | value + 1`), at most 3/4 full. Hand-written rather than `hashbrown` because
/// ingestion prefetches the slot of a key several events before it looks the key up
/// ([`TagTable::prefetch`]), which needs the slot's address.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagTable {
    slots: super::hugevec::HugeVec<u64>,
    len: usize,
}

/// How many slots past its home [`TagTable::prefetch`] covers (a probe at the table's usual
/// load visits about 2 slots to find a key and 4 to find a vacancy).
const PROBE_AHEAD: usize = 3;

/// Where a [`TagTable::probe`] that found nothing ended: slot `at` of a table of `of` slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Vacancy {
    at: usize,
    of: usize,
}

/// The 32-bit tag kept for a key whose full hash is `h`.
#[inline]
pub(crate) fn tag_of(h: u64) -> u32 {
    (h >> 32) as u32
}

/// The slot holding `value` for a key whose full hash is `h`: its tag, then `value + 1`.
#[inline]
fn slot_of(h: u64, value: u32) -> u64 {
    (tag_of(h) as u64) << 32 | (value as u64 + 1)
}

impl TagTable {
    /// First slot to probe for `tag`: its top bits (the tag is already a mixed hash). Homes keep
    /// the tags' order, so that growing moves slots front to back instead of scattering them
    /// over the new array (on a large table, a cache miss per slot).
    #[inline]
    fn home(&self, tag: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (((tag as u64) << 32) >> (64 - bits)) as usize
    }

    /// The value whose tag is `tag(h)` and for which `eq(value)` holds.
    #[inline]
    pub fn find(&self, h: u64, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.probe(h, eq).ok()
    }

    /// [`TagTable::find`], or where the probe ended: the empty slot at which this key would be
    /// inserted (see [`TagTable::insert_at`]).
    #[inline]
    pub fn probe(&self, h: u64, mut eq: impl FnMut(u32) -> bool) -> std::result::Result<u32, Vacancy> {
        let of = self.slots.len();
        if of == 0 {
            return Err(Vacancy { at: 0, of });
        }
        let tag = tag_of(h);
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(Vacancy { at: i, of });
            }
            if (s >> 32) as u32 == tag && eq((s as u32).wrapping_sub(1)) {
                return Ok((s as u32).wrapping_sub(1));
            }
            i = (i + 1) & mask;
        }
    }

    /// [`TagTable::insert_new`] at the vacancy a [`TagTable::probe`] for the same key returned,
    /// without probing again. Other keys may have been inserted since: the table never deletes,
    /// so the vacancy is still the first empty slot on the key's path unless it was taken or
    /// the table grew, and then the key is placed as by `insert_new`.
    #[inline]
    pub fn insert_at(&mut self, vacancy: Vacancy, h: u64, value: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 || vacancy.of != self.slots.len() || self.slots[vacancy.at] != 0 {
            return self.insert_new(h, value);
        }
        self.slots[vacancy.at] = slot_of(h, value);
        self.len += 1;
    }

    /// Hint that the key with hash `h` will be looked up soon (no effect on the result).
    #[inline]
    pub fn prefetch(&self, h: u64) {
        if !self.slots.is_empty() {
            let home = self.home(tag_of(h));
            super::prefetch::prefetch(&self.slots[home]);
            // a probe often runs a few slots on, into the next cache line
            if let Some(next) = self.slots.get(home + PROBE_AHEAD) {
                super::prefetch::prefetch(next);
            }
        }
    }

    /// Add `value` (< `u32::MAX`) for a key with hash `h`, known to be absent.
    #[inline]
    pub fn insert_new(&mut self, h: u64, value: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.place(slot_of(h, value));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = self.home((slot >> 32) as u32);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, super::hugevec::HugeVec::zeroed(n));
        for &s in old.iter() {
            if s != 0 {
                self.place(s);
            }
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
    }
}

/// An arena plus a hash table: each distinct string stored once, looked up without allocating.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrSet {
    pub arena: StrArena,
    table: TagTable,
}

impl StrSet {
    pub fn find(&self, s: &str) -> Option<u32> {
        self.find_hashed(fast_hash(s.as_bytes()), s)
    }

    /// Hint that `s` with hash `h` will be looked up soon.
    pub fn prefetch(&self, h: u64) {
        self.table.prefetch(h);
    }

    /// Look up with a hash computed by the caller (`fast_hash(s)`), to hash once.
    pub fn find_hashed(&self, h: u64, s: &str) -> Option<u32> {
        self.table.find(h, |i| bytes_eq(self.arena.bytes(i), s.as_bytes()))
    }

    /// [`StrSet::find_hashed`], or the vacancy for [`StrSet::insert_at`].
    pub fn probe(&self, h: u64, s: &str) -> std::result::Result<u32, Vacancy> {
        self.table.probe(h, |i| bytes_eq(self.arena.bytes(i), s.as_bytes()))
    }

    /// Add `s`, known to be absent, at the vacancy a [`StrSet::probe`] for `s` returned.
    pub fn insert_at(&mut self, vacancy: Vacancy, h: u64, s: &str, what: &'static str) -> Result<u32> {
        let i = self.arena.push(s, what)?;
        self.table.insert_at(vacancy, h, i);
        Ok(i)
    }

    /// Index of `s`, and whether it was new.
    pub fn intern(&mut self, s: &str, what: &'static str) -> Result<(u32, bool)> {
        let h = fast_hash(s.as_bytes());
        match self.probe(h, s) {
            Ok(i) => Ok((i, false)),
            Err(vacancy) => Ok((self.insert_at(vacancy, h, s, what)?, true)),
        }
    }

    pub fn get(&self, i: u32) -> &str {
        self.arena.get(i)
    }

    pub fn heap_bytes(&self) -> usize {
        self.arena.heap_bytes() + self.table.heap_bytes()
    }
}

/// Whether two byte strings are equal: short ones (the usual identity values and event ids)
/// compared in 8-byte words inline, longer ones by the slice comparison.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    match n {
        // the first and the last 8 bytes (overlapping when shorter than 16)
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// A small interner of values with a u8/u16 code (kinds, channels, namespaces …).
#[derive(Debug, Clone)]
pub(crate) struct Codes<T: PartialEq + Clone> {
    pub values: Vec<T>,
    max: usize,
}

impl<T: PartialEq + Clone + std::fmt::Display> Codes<T> {
    pub fn new(initial: &[T], max: usize) -> Self {
        Codes { values: initial.to_vec(), max }
    }

    pub fn code(&mut self, v: &T, what: &'static str) -> Result<usize> {
        if let Some(i) = self.values.iter().position(|x| x == v) {
            return Ok(i);
        }
        if self.values.len() >= self.max {
            return Err(Error::limit(format!("distinct {what} values"), self.max, self.values.len() + 1));
        }
        self.values.push(v.clone());
        Ok(self.values.len() - 1)
    }
}

/// One stored event: 32 bytes. Variable-size parts live in arenas and side tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// Microseconds since the epoch.
    pub at: i64,
    /// Minor units (0 when there is no money).
    pub amount: i64,
    /// Start of this event's identities in `Store::idents`.
    pub ident_start: u32,
    /// Index into `Store::extras`, or `NONE`.
    pub extra: u32,
    /// Event kind code.
    pub kind: u8,
    /// Channel code + 1 (0: none).
    pub channel: u8,
    /// Currency code + 1 (0: no money).
    pub currency: u16,
    /// Number of identities.
    pub ident_len: u8,
    /// Bit i set: identity i does not link (after `unbind`).
    pub nolink: u16,
}

pub(crate) const NONE: u32 = u32::MAX;

/// Make room for `additional` more items, growing large buffers by 1.25x instead of Vec's 2x
/// (amortised O(1) all the same; keeps the pool's memory per event close to what it uses).
#[inline]
pub(crate) fn grow<T>(v: &mut Vec<T>, additional: usize) {
    let need = v.len() + additional;
    if need > v.capacity() {
        let target =
            if v.capacity() < 1 << 16 { need.max(v.capacity() * 2) } else { need.max(v.capacity() + v.capacity() / 4) };
        v.reserve_exact(target - v.len());
    }
}

/// The less common parts of an event: 16 bytes, with the rare ones boxed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Extra {
    /// Group id (interned in `Pool::groups`), or `NONE`.
    pub group: u32,
    /// Referrer identity, or `NONE`.
    pub referrer: u32,
    /// Items, properties, consent, subscription.
    pub rare: Option<Box<Rare>>,
}

/// The rarely present parts of an event.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Rare {
    pub items: Vec<crate::model::Item>,
    pub properties: std::collections::BTreeMap<String, crate::model::PropValue>,
    pub consent: Option<crate::model::Consent>,
    pub subscription: Option<crate::model::Subscription>,
}

impl Rare {
    /// Heap bytes of the items, properties, consent and subscription.
    pub fn heap_bytes(&self) -> usize {
        use crate::heap::Heap;
        self.items.heap() + self.properties.heap() + self.consent.heap() + self.subscription.heap()
    }
}

/// Order ids get their own arena: most orders carry one and nothing else extra.
#[derive(Debug, Clone, Default)]
pub(crate) struct SideOrders {
    pub arena: StrArena,
    /// (event slot, order-id index), sorted by slot because slots only grow.
    pub refs: Vec<(u32, u32)>,
}

impl SideOrders {
    pub fn get(&self, slot: u32) -> Option<&str> {
        self.refs.binary_search_by_key(&slot, |r| r.0).ok().map(|i| self.arena.get(self.refs[i].1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The table maps keys to values like a map, through growth, with hashes whose tags
        /// take only 8 values (so that tags and homes collide and only the key comparison tells
        /// keys apart), also when other keys went in between a probe and its insert (taking
        /// the vacancy, or growing the table).
        #[test]
        fn tag_table_is_a_map(
            keys in proptest::collection::vec((0u32..2000, proptest::option::of(2000u32..2400)), 1..400),
        ) {
            fn hash(key: u32) -> u64 {
                (((key % 8) as u64) << 61) | (((key % 8) as u64 * 7) << 32) | key as u64
            }
            let mut table = TagTable::default();
            let mut model: std::collections::BTreeMap<u32, u32> = Default::default();
            let mut stored: Vec<u32> = Vec::new();
            type Model = std::collections::BTreeMap<u32, u32>;
            fn add(table: &mut TagTable, model: &mut Model, stored: &mut Vec<u32>, key: u32, vacancy: Option<Vacancy>) {
                let v = stored.len() as u32;
                stored.push(key);
                match vacancy {
                    Some(vacancy) => table.insert_at(vacancy, hash(key), v),
                    None => table.insert_new(hash(key), v),
                }
                model.insert(key, v);
            }
            for &(key, between) in &keys {
                let found = table.probe(hash(key), |v| stored[v as usize] == key);
                match found {
                    Ok(v) => prop_assert_eq!(model.get(&key), Some(&v)),
                    Err(vacancy) => {
                        prop_assert!(!model.contains_key(&key));
                        if let Some(other) = between.filter(|o| !model.contains_key(o)) {
                            add(&mut table, &mut model, &mut stored, other, None);
                        }
                        add(&mut table, &mut model, &mut stored, key, Some(vacancy));
                    }
                }
            }
            prop_assert_eq!(table.len, model.len());
            for (&key, &v) in &model {
                prop_assert_eq!(table.find(hash(key), |x| stored[x as usize] == key), Some(v));
            }
            prop_assert_eq!(table.find(hash(5000), |x| stored[x as usize] == 5000), None);
        }
    }

    proptest! {
        /// `bytes_eq` is slice equality.
        #[test]
        fn bytes_eq_is_equality(a in proptest::collection::vec(0u8..3, 0..40), b in proptest::collection::vec(0u8..3, 0..40)) {
            prop_assert_eq!(bytes_eq(&a, &b), a == b);
            prop_assert!(bytes_eq(&a, &a.clone()));
            // the same bytes but the last one: found unequal whichever branch compares them
            if let Some((&last, rest)) = a.split_last() {
                let mut c = rest.to_vec();
                c.push(last ^ 1);
                prop_assert!(!bytes_eq(&a, &c));
            }
        }
    }

    #[test]
    fn str_set_interns_once() {
        let mut set = StrSet::default();
        let words: Vec<String> = (0..5000).map(|i| format!("w{}", i % 1700)).collect();
        let ids: Vec<u32> = words.iter().map(|w| set.intern(w, "word").unwrap().0).collect();
        for (w, &i) in words.iter().zip(&ids) {
            assert_eq!(set.get(i), w);
            assert_eq!(set.find(w), Some(i));
        }
        assert_eq!(set.arena.ends.len(), 1700);
        assert_eq!(set.find("absent"), None);
    }
}
