//! The identity table and the ONE_ID graph: union–find over identities, processed in
//! (event time, event id) order.

use super::store::NONE;
use crate::error::{Error, Result};
use crate::hash::fast_hash;
use hashbrown::HashTable;

/// Interned identities: (kind code, namespace code, normalised value). Indices are stable
/// until the pool is compacted (erase, retention).
#[derive(Debug, Clone, Default)]
pub(crate) struct IdentTable {
    /// Kind code, namespace code + 1 (0: none) and value position, packed so that a lookup
    /// touches one record and the value bytes.
    meta: Vec<IdMeta>,
    bytes: Vec<u8>,
    table: HashTable<u32>,
}

#[derive(Debug, Clone, Copy)]
struct IdMeta {
    start: u32,
    ns: u32,
    len: u8,
    kind: u8,
}

fn key_hash(kind: u8, ns: u32, value: &[u8]) -> u64 {
    fast_hash(value) ^ ((kind as u64) << 56) ^ ((ns as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl IdentTable {
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn kind(&self, i: u32) -> u8 {
        self.meta[i as usize].kind
    }

    pub fn ns(&self, i: u32) -> u32 {
        self.meta[i as usize].ns
    }

    pub fn value_bytes(&self, i: u32) -> &[u8] {
        let m = self.meta[i as usize];
        &self.bytes[m.start as usize..m.start as usize + m.len as usize]
    }

    pub fn value(&self, i: u32) -> &str {
        std::str::from_utf8(self.value_bytes(i)).unwrap_or("")
    }

    pub fn find(&self, kind: u8, ns: u32, value: &str) -> Option<u32> {
        let h = key_hash(kind, ns, value.as_bytes());
        self.table
            .find(h, |&i| {
                let m = self.meta[i as usize];
                m.kind == kind && m.ns == ns && self.value_bytes(i) == value.as_bytes()
            })
            .copied()
    }

    pub fn intern(&mut self, kind: u8, ns: u32, value: &str) -> Result<u32> {
        if let Some(i) = self.find(kind, ns, value) {
            return Ok(i);
        }
        if self.meta.len() >= (NONE - 1) as usize {
            return Err(Error::limit("identities in the pool", (NONE - 1) as usize, self.meta.len() + 1));
        }
        if value.len() > u8::MAX as usize {
            return Err(Error::limit("identity value bytes", u8::MAX as usize, value.len()));
        }
        if self.bytes.len() + value.len() > u32::MAX as usize {
            return Err(Error::limit(
                "identity value bytes in the pool",
                u32::MAX as usize,
                self.bytes.len() + value.len(),
            ));
        }
        let i = self.meta.len() as u32;
        let start = self.bytes.len() as u32;
        super::store::grow(&mut self.bytes, value.len());
        self.bytes.extend_from_slice(value.as_bytes());
        super::store::grow(&mut self.meta, 1);
        self.meta.push(IdMeta { start, ns, len: value.len() as u8, kind });
        let (meta, bytes) = (&self.meta, &self.bytes);
        self.table.insert_unique(key_hash(kind, ns, value.as_bytes()), i, |&j| {
            let m = meta[j as usize];
            key_hash(m.kind, m.ns, &bytes[m.start as usize..m.start as usize + m.len as usize])
        });
        Ok(i)
    }

    pub fn heap_bytes(&self) -> usize {
        self.meta.capacity() * std::mem::size_of::<IdMeta>() + self.bytes.capacity() + self.table.capacity() * 5
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
