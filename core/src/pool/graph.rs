//! The identity table and the ONE_ID graph: union–find over identities, processed in
//! (event time, event id) order.

use super::store::TagTable;
use super::store::NONE;
use crate::error::{Error, Result};
use crate::hash::fast_hash;

/// Interned identities: (kind code, namespace code, normalised value). Indices are stable
/// until the pool is compacted (erase, retention).
///
/// Each identity is one record in a byte arena — `[index: u32][namespace + 1: u32][kind: u8]
/// [len: u8][value]` — and the hash table points at records, so that a lookup that finds an
/// identity reads one record (not an index, then a record, then the value bytes).
#[derive(Debug, Clone, Default)]
pub(crate) struct IdentTable {
    /// Record offset of each identity.
    offs: Vec<u32>,
    /// Kind code of each identity (read on its own by the graph).
    kinds: Vec<u8>,
    recs: super::hugevec::HugeVec<u8>,
    table: TagTable,
}

const HEAD: usize = 10;

/// Hash of an identity key, from its namespace *bytes* (so that it can be computed before the
/// namespace has a code, while an event is prepared).
pub(crate) fn ident_hash(kind: u8, ns: Option<&[u8]>, value: &[u8]) -> u64 {
    let h = fast_hash(value) ^ ((kind as u64) << 56);
    match ns {
        Some(n) => h ^ fast_hash(n).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        None => h,
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl IdentTable {
    pub fn len(&self) -> usize {
        self.offs.len()
    }

    pub fn kind(&self, i: u32) -> u8 {
        self.kinds[i as usize]
    }

    pub fn ns(&self, i: u32) -> u32 {
        u32_at(&self.recs, self.offs[i as usize] as usize + 4)
    }

    pub fn value_bytes(&self, i: u32) -> &[u8] {
        let o = self.offs[i as usize] as usize;
        let len = self.recs[o + 9] as usize;
        &self.recs[o + HEAD..o + HEAD + len]
    }

    pub fn value(&self, i: u32) -> &str {
        std::str::from_utf8(self.value_bytes(i)).unwrap_or("")
    }

    /// Whether the record at `o` holds (kind, ns, value).
    #[inline]
    fn record_is(&self, o: u32, kind: u8, ns: u32, value: &[u8]) -> bool {
        let o = o as usize;
        let r = &self.recs[o..];
        r[8] == kind
            && r[9] as usize == value.len()
            && u32_at(r, 4) == ns
            && super::store::bytes_eq(&r[HEAD..HEAD + value.len()], value)
    }

    /// Look up (kind, namespace code, value); `ns_bytes` is the namespace itself (for the hash).
    pub fn find(&self, kind: u8, ns: u32, ns_bytes: Option<&[u8]>, value: &str) -> Option<u32> {
        self.find_hashed(ident_hash(kind, ns_bytes, value.as_bytes()), kind, ns, value.as_bytes())
    }

    #[inline]
    fn find_hashed(&self, h: u64, kind: u8, ns: u32, value: &[u8]) -> Option<u32> {
        self.table.find(h, |o| self.record_is(o, kind, ns, value)).map(|o| u32_at(&self.recs, o as usize))
    }

    /// Hint that the key with hash `h` will be looked up soon: its slot.
    #[inline]
    pub fn prefetch_slot(&self, h: u64) {
        self.table.prefetch(h);
    }

    /// Hint that the key with hash `h` and a value of `len` bytes will be looked up soon: the
    /// record its slot points at, both ends (records are packed, so one may straddle two cache
    /// lines). Call once the slot is in cache.
    #[inline]
    pub fn prefetch_record(&self, h: u64, len: usize) {
        if let Some(o) = self.table.find(h, |_| true) {
            if let Some(b) = self.recs.get(o as usize) {
                super::prefetch::prefetch(b);
            }
            if let Some(b) = self.recs.get(o as usize + HEAD + len.max(1) - 1) {
                super::prefetch::prefetch(b);
            }
        }
    }

    /// Hint that identity `i`'s record offset will be read soon.
    #[inline]
    pub fn prefetch_offset(&self, i: u32) {
        if let Some(o) = self.offs.get(i as usize) {
            super::prefetch::prefetch(o);
        }
    }

    /// Hint that identity `i`'s record will be read soon (its offset is read now: prefetch it
    /// first with [`IdentTable::prefetch_offset`]).
    #[inline]
    pub fn prefetch_identity(&self, i: u32) {
        if let Some(&o) = self.offs.get(i as usize) {
            if let Some(b) = self.recs.get(o as usize) {
                super::prefetch::prefetch(b);
            }
        }
    }

    /// Index of (kind, ns, value) whose [`ident_hash`] is `h`, added if new.
    pub fn intern_hashed(&mut self, h: u64, kind: u8, ns: u32, value: &str) -> Result<u32> {
        let value = value.as_bytes();
        let vacancy = match self.table.probe(h, |o| self.record_is(o, kind, ns, value)) {
            Ok(o) => return Ok(u32_at(&self.recs, o as usize)),
            Err(vacancy) => vacancy,
        };
        if self.offs.len() >= MAX_IDENTITIES {
            return Err(Error::limit("identities in the pool", MAX_IDENTITIES, self.offs.len() + 1));
        }
        if value.len() > u8::MAX as usize {
            return Err(Error::limit("identity value bytes", u8::MAX as usize, value.len()));
        }
        if self.recs.len() + HEAD + value.len() > u32::MAX as usize {
            return Err(Error::limit(
                "identity value bytes in the pool",
                u32::MAX as usize,
                self.recs.len() + HEAD + value.len(),
            ));
        }
        let i = self.offs.len() as u32;
        let o = self.recs.len() as u32;
        self.recs.reserve(HEAD + value.len());
        self.recs.extend_from_slice(&i.to_le_bytes());
        self.recs.extend_from_slice(&ns.to_le_bytes());
        self.recs.push(kind);
        self.recs.push(value.len() as u8);
        self.recs.extend_from_slice(value);
        super::store::grow(&mut self.offs, 1);
        self.offs.push(o);
        super::store::grow(&mut self.kinds, 1);
        self.kinds.push(kind);
        self.table.insert_at(vacancy, h, o);
        Ok(i)
    }

    pub fn heap_bytes(&self) -> usize {
        self.offs.capacity() * 4 + self.kinds.capacity() + self.recs.heap_bytes() + self.table.heap_bytes()
    }
}

/// One identity's node in the union–find forest (24 bytes). It repeats the identity's kind
/// so that ordering an event's identities by priority reads nodes only (not a second array).
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(crate) struct Node {
    /// The parent's index; at a root, [`ROOT`] plus the root's kind summary (see [`Summary`]).
    pub parent: u32,
    /// Circular list of the members of each component.
    pub next: u32,
    /// Slot of the first event (in (time, id) order) that carried the identity (`NONE`: not
    /// yet).
    pub first_seen: u32,
    /// At roots: slot of the founding event (`NONE`: not a customer yet).
    pub found: u32,
    /// At roots: the identity the customer id is derived from.
    pub label: u32,
    /// The identity's kind code.
    pub kind: u8,
    _pad: [u8; 3],
}

/// Marks a root in [`Node::parent`] (so identity indices stay below 2^31).
pub(crate) const ROOT: u32 = 1 << 31;

/// The most identities a pool holds (indices must leave [`ROOT`] free).
pub(crate) const MAX_IDENTITIES: usize = (ROOT - 1) as usize;

/// How many identities of each kind a component holds, kept at its root so that a merge can be
/// checked against the per-kind limits without walking the component: a 2-bit saturating count
/// (0, 1, 2, "3 or more") for each of the first 15 kinds, and a flag for "holds a later kind".
/// When the counts cannot decide (a saturated count of a kind whose limit is 3 or more, or the
/// flag), the caller walks the members as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary(u32);

const LANES: u8 = 15;
const LATER_KIND: u32 = 1 << 30;

impl Summary {
    fn of_kind(kind: u8) -> Summary {
        Summary(if kind < LANES { 1 << (2 * kind as u32) } else { LATER_KIND })
    }

    fn lane(self, k: u8) -> u32 {
        (self.0 >> (2 * k as u32)) & 3
    }

    fn plus(self, other: Summary) -> Summary {
        let mut out = (self.0 | other.0) & LATER_KIND;
        for k in 0..LANES {
            out |= (self.lane(k) + other.lane(k)).min(3) << (2 * k as u32);
        }
        Summary(out)
    }

    /// Whether joining `a` and `b` exceeds a limit: `Some(None)` no, `Some(Some(kind))` the first
    /// kind over its limit, `None` undecided (walk the members).
    pub fn over(a: Summary, b: Summary, limits: &[u32]) -> Option<Option<usize>> {
        if (a.0 | b.0) & LATER_KIND != 0 {
            return None;
        }
        for (k, &limit) in limits.iter().enumerate().take(LANES as usize) {
            let (x, y) = (a.lane(k as u8), b.lane(k as u8));
            if (x == 3 || y == 3) && limit >= 3 {
                return None;
            }
            if x + y > limit {
                return Some(Some(k));
            }
        }
        Some(None)
    }
}

/// Hint that `node` will be read soon: both its ends, as a 24-byte node may straddle two cache
/// lines.
#[inline]
pub(crate) fn prefetch_node(node: &Node) {
    super::prefetch::prefetch(node);
    super::prefetch::prefetch(&node.kind);
}

impl Node {
    fn new(i: u32, kind: u8) -> Node {
        Node {
            parent: ROOT | Summary::of_kind(kind).0,
            next: i,
            first_seen: NONE,
            found: NONE,
            label: i,
            kind,
            _pad: [0; 3],
        }
    }
}

/// Union–find state derived from the events (rebuilt from scratch when needed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub n: super::hugevec::HugeVec<Node>,
}

impl Graph {
    /// One singleton per identity of `table`.
    pub fn reset(&mut self, table: &IdentTable) {
        self.n.truncate(0);
        self.grow(table);
    }

    /// Grow to the identities of `table` (new ones are unbound singletons).
    pub fn grow(&mut self, table: &IdentTable) {
        let (old, n) = (self.n.len(), table.len());
        if n > old {
            self.n.extend((old as u32..n as u32).map(|i| Node::new(i, table.kind(i))));
        }
    }

    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// Make each of `nodes` an unbound singleton again (the caller passes whole components).
    pub fn reset_nodes(&mut self, nodes: &[u32], table: &IdentTable) {
        for &i in nodes {
            self.n[i as usize] = Node::new(i, table.kind(i));
        }
    }

    /// Whether `x` is a root.
    #[inline]
    pub fn is_root(&self, x: u32) -> bool {
        self.n[x as usize].parent & ROOT != 0
    }

    /// The kind summary of a root.
    pub fn summary(&self, root: u32) -> Summary {
        Summary(self.n[root as usize].parent & !ROOT)
    }

    /// Root with path halving.
    pub fn find(&mut self, mut x: u32) -> u32 {
        loop {
            let p = self.n[x as usize].parent;
            if p & ROOT != 0 {
                return x;
            }
            let gp = self.n[p as usize].parent;
            if gp & ROOT != 0 {
                return p;
            }
            self.n[x as usize].parent = gp;
            x = gp;
        }
    }

    /// Root without modifying (for `&self` queries).
    pub fn root(&self, mut x: u32) -> u32 {
        while self.n[x as usize].parent & ROOT == 0 {
            x = self.n[x as usize].parent;
        }
        x
    }

    pub fn is_customer(&self, root: u32) -> bool {
        self.n[root as usize].found != NONE
    }

    /// Members of the component of `root`.
    pub fn members(&self, root: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = root;
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let out = cur;
            cur = self.n[cur as usize].next;
            if cur == root {
                done = true;
            }
            Some(out)
        })
    }

    /// Link two roots; `a_survives` says which one keeps its customer id (the caller decides:
    /// the one founded earlier). Returns (survivor, absorbed).
    pub fn union(&mut self, a: u32, b: u32, a_survives: bool) -> (u32, u32) {
        let (w, l) = if a_survives { (a, b) } else { (b, a) };
        let summary = self.summary(w).plus(self.summary(l));
        self.n[l as usize].parent = w;
        self.n[w as usize].parent = ROOT | summary.0;
        let (nw, nl) = (self.n[w as usize].next, self.n[l as usize].next);
        self.n[w as usize].next = nl;
        self.n[l as usize].next = nw;
        (w, l)
    }

    pub fn heap_bytes(&self) -> usize {
        self.n.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn summary(kinds: &[u8]) -> Summary {
        kinds.iter().fold(Summary(0), |s, &k| s.plus(Summary::of_kind(k)))
    }

    proptest! {
        /// Whenever the summaries decide, they agree with counting the members one by one.
        #[test]
        fn summary_agrees_with_counting(
            limits in proptest::collection::vec(1u32..6, 1..18),
            a in proptest::collection::vec(0u8..18, 1..8),
            b in proptest::collection::vec(0u8..18, 1..8),
        ) {
            let nk = limits.len() as u8;
            let a: Vec<u8> = a.into_iter().map(|k| k % nk).collect();
            let b: Vec<u8> = b.into_iter().map(|k| k % nk).collect();
            let count = |v: &[u8], k: usize| v.iter().filter(|&&x| x as usize == k).count() as u32;
            let truth = (0..limits.len()).find(|&k| count(&a, k) + count(&b, k) > limits[k]);
            if let Some(decided) = Summary::over(summary(&a), summary(&b), &limits) {
                prop_assert_eq!(decided, truth);
            }
            // with few kinds, small limits and no saturation it always decides
            if nk <= LANES && a.len() + b.len() <= 2 {
                prop_assert!(Summary::over(summary(&a), summary(&b), &limits).is_some());
            }
        }
    }

    #[test]
    fn saturation_and_later_kinds_defer_to_counting() {
        let three = summary(&[11, 11, 11]);
        // device-like kind 11 with limit 5: three and one more cannot be decided by 2 bits
        let mut limits = vec![1; 12];
        limits[11] = 5;
        assert_eq!(Summary::over(three, summary(&[11]), &limits), None);
        // with limit 2 it is over whatever the true count
        limits[11] = 2;
        assert_eq!(Summary::over(three, summary(&[11]), &limits), Some(Some(11)));
        assert_eq!(Summary::over(summary(&[15]), summary(&[0]), &[1; 16]), None);
    }
}
