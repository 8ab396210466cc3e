//! Heap bytes held by the values of a pool, for [`crate::Pool::memory_bytes`]: the capacities
//! of strings and vectors and the entries of maps (with their node or bucket overhead),
//! recursively. Definitions (journeys, segment rules, settings) are small and counted by their
//! encoded size.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::mem::size_of;

/// What an allocation of `n` bytes takes from the allocator: glibc's chunks carry 8 bytes of
/// header, are 16-byte aligned and at least 32 bytes (other allocators round similarly).
pub(crate) fn alloc(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        ((n + 8).div_ceil(16) * 16).max(32)
    }
}

/// Heap bytes owned by a value (not counting the value itself).
pub(crate) trait Heap {
    fn heap(&self) -> usize;
}

macro_rules! flat {
    ($($t:ty),*) => { $(impl Heap for $t { fn heap(&self) -> usize { 0 } })* };
}
flat!(u8, u16, u32, u64, u128, i64, f64, bool, usize, [u64; 5], crate::model::Timestamp, std::cmp::Reverse<(i64, u32)>);

impl Heap for String {
    fn heap(&self) -> usize {
        alloc(self.capacity())
    }
}

impl<T: Heap> Heap for Vec<T> {
    fn heap(&self) -> usize {
        alloc(self.capacity() * size_of::<T>()) + self.iter().map(Heap::heap).sum::<usize>()
    }
}

impl<T: Heap> Heap for Option<T> {
    fn heap(&self) -> usize {
        self.as_ref().map_or(0, Heap::heap)
    }
}

impl<A: Heap, B: Heap> Heap for (A, B) {
    fn heap(&self) -> usize {
        self.0.heap() + self.1.heap()
    }
}

impl<A: Heap, B: Heap, C: Heap> Heap for (A, B, C) {
    fn heap(&self) -> usize {
        self.0.heap() + self.1.heap() + self.2.heap()
    }
}

impl<T: Heap + Ord> Heap for BinaryHeap<T> {
    fn heap(&self) -> usize {
        alloc(self.capacity() * size_of::<T>()) + self.iter().map(Heap::heap).sum::<usize>()
    }
}

/// B-tree nodes hold up to 11 entries and run about two-thirds full: 1.5 entry slots per entry
/// (the edges of internal nodes are a few percent more).
impl<K: Heap, V: Heap> Heap for BTreeMap<K, V> {
    fn heap(&self) -> usize {
        self.len() * (size_of::<K>() + size_of::<V>()) * 3 / 2
            + self.iter().map(|(k, v)| k.heap() + v.heap()).sum::<usize>()
    }
}

/// One bucket and one control byte per slot of the table's capacity.
impl<K: Heap, V: Heap, S> Heap for HashMap<K, V, S> {
    fn heap(&self) -> usize {
        self.capacity() * (size_of::<(K, V)>() + 1) + self.iter().map(|(k, v)| k.heap() + v.heap()).sum::<usize>()
    }
}

impl Heap for crate::model::Item {
    fn heap(&self) -> usize {
        self.sku.heap() + self.category.heap()
    }
}

impl Heap for crate::model::PropValue {
    fn heap(&self) -> usize {
        match self {
            crate::model::PropValue::Str(s) => s.heap(),
            _ => 0,
        }
    }
}

impl Heap for crate::model::Consent {
    fn heap(&self) -> usize {
        self.source.heap()
    }
}

impl Heap for crate::model::Subscription {
    fn heap(&self) -> usize {
        self.id.heap()
    }
}

/// A built-in channel holds nothing; a custom one its name.
impl Heap for crate::model::Channel {
    fn heap(&self) -> usize {
        match self {
            crate::model::Channel::Custom(n) => n.heap(),
            _ => 0,
        }
    }
}

impl Heap for crate::journey::CustomerSettings {
    fn heap(&self) -> usize {
        self.time_zone.heap() + self.tier.heap()
    }
}

impl Heap for crate::journey::JourneySettings {
    fn heap(&self) -> usize {
        let caps = alloc(self.caps.capacity() * size_of::<crate::journey::Cap>())
            + self
                .caps
                .iter()
                .map(|c| if let crate::journey::CapScope::Channel(ch) = &c.scope { ch.heap() } else { 0 })
                .sum::<usize>();
        self.time_zone.heap() + caps + self.customers.heap()
    }
}

/// The encoded size of a definition (what it holds, near enough for small values).
pub(crate) fn encoded<T: serde::Serialize>(v: &T) -> usize {
    postcard::to_stdvec(v).map_or(0, |b| b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_capacities_and_entries() {
        let mut v: Vec<String> = Vec::with_capacity(4);
        v.push(String::with_capacity(10));
        assert_eq!(v.heap(), alloc(4 * size_of::<String>()) + 32);
        let m: BTreeMap<String, u64> = [("ab".to_string(), 1), ("cd".to_string(), 2)].into_iter().collect();
        assert_eq!(m.heap(), 2 * (size_of::<String>() + 8) * 3 / 2 + 64);
        assert_eq!(Some("xyz".to_string()).heap(), 32);
        assert_eq!((alloc(24), alloc(25), alloc(100)), (32, 48, 112));
        assert_eq!(None::<String>.heap(), 0);
    }
}
