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
    recs: Vec<u8>,
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
        r[8] == kind && r[9] as usize == value.len() && u32_at(r, 4) == ns && &r[HEAD..HEAD + value.len()] == value
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

    /// Hint that the key with hash `h` will be looked up soon: the record its slot points at
    /// (call once the slot is in cache).
    #[inline]
    pub fn prefetch_record(&self, h: u64) {
        if let Some(o) = self.table.find(h, |_| true) {
            if let Some(b) = self.recs.get(o as usize) {
                super::prefetch::prefetch(b);
            }
        }
    }

    /// Index of (kind, ns, value) whose [`ident_hash`] is `h`, added if new.
    pub fn intern_hashed(&mut self, h: u64, kind: u8, ns: u32, value: &str) -> Result<u32> {
        let value = value.as_bytes();
        if let Some(i) = self.find_hashed(h, kind, ns, value) {
            return Ok(i);
        }
        if self.offs.len() >= (NONE - 1) as usize {
            return Err(Error::limit("identities in the pool", (NONE - 1) as usize, self.offs.len() + 1));
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
        super::store::grow(&mut self.recs, HEAD + value.len());
        self.recs.extend_from_slice(&i.to_le_bytes());
        self.recs.extend_from_slice(&ns.to_le_bytes());
        self.recs.push(kind);
        self.recs.push(value.len() as u8);
        self.recs.extend_from_slice(value);
        super::store::grow(&mut self.offs, 1);
        self.offs.push(o);
        super::store::grow(&mut self.kinds, 1);
        self.kinds.push(kind);
        self.table.insert_new(h, o);
        Ok(i)
    }

    pub fn heap_bytes(&self) -> usize {
        self.offs.capacity() * 4 + self.kinds.capacity() + self.recs.capacity() + self.table.heap_bytes()
    }
}

/// One identity's node in the union–find forest (20 bytes: one cache line fetch per visit).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub parent: u32,
    /// Circular list of the members of each component.
    pub next: u32,
    /// Processing rank of the first event that carried the identity (`NONE`: not yet).
    pub first_seen: u32,
    /// At roots: processing rank of the founding event (`NONE`: not a customer yet).
    pub found: u32,
    /// At roots: the identity the customer id is derived from.
    pub label: u32,
}

impl Node {
    fn new(i: u32) -> Node {
        Node { parent: i, next: i, first_seen: NONE, found: NONE, label: i }
    }
}

/// Union–find state derived from the events (rebuilt from scratch when needed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub n: Vec<Node>,
}

impl Graph {
    pub fn reset(&mut self, n: usize) {
        self.n.clear();
        self.n.extend((0..n as u32).map(Node::new));
    }

    /// Grow to `n` identities (new ones are unbound singletons).
    pub fn grow(&mut self, n: usize) {
        let old = self.n.len();
        if n > old {
            super::store::grow(&mut self.n, n - old);
            self.n.extend((old as u32..n as u32).map(Node::new));
        }
    }

    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// Root with path halving.
    pub fn find(&mut self, mut x: u32) -> u32 {
        loop {
            let p = self.n[x as usize].parent;
            if p == x {
                return x;
            }
            let gp = self.n[p as usize].parent;
            self.n[x as usize].parent = gp;
            x = gp;
        }
    }

    /// Root without modifying (for `&self` queries).
    pub fn root(&self, mut x: u32) -> u32 {
        while self.n[x as usize].parent != x {
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
        self.n[l as usize].parent = w;
        let (nw, nl) = (self.n[w as usize].next, self.n[l as usize].next);
        self.n[w as usize].next = nl;
        self.n[l as usize].next = nw;
        (w, l)
    }

    pub fn heap_bytes(&self) -> usize {
        self.n.capacity() * std::mem::size_of::<Node>()
    }
}
