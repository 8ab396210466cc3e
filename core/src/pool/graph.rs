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
    pub kind: Vec<u8>,
    /// Namespace code + 1 (0: none).
    pub ns: Vec<u32>,
    values: super::store::StrArena,
    table: HashTable<u32>,
}

fn key_hash(kind: u8, ns: u32, value: &[u8]) -> u64 {
    fast_hash(value) ^ ((kind as u64) << 56) ^ ((ns as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl IdentTable {
    pub fn len(&self) -> usize {
        self.kind.len()
    }

    pub fn value(&self, i: u32) -> &str {
        self.values.get(i)
    }

    pub fn value_bytes(&self, i: u32) -> &[u8] {
        self.values.bytes(i)
    }

    pub fn find(&self, kind: u8, ns: u32, value: &str) -> Option<u32> {
        let h = key_hash(kind, ns, value.as_bytes());
        self.table
            .find(h, |&i| {
                self.kind[i as usize] == kind && self.ns[i as usize] == ns && self.values.bytes(i) == value.as_bytes()
            })
            .copied()
    }

    pub fn intern(&mut self, kind: u8, ns: u32, value: &str) -> Result<u32> {
        if let Some(i) = self.find(kind, ns, value) {
            return Ok(i);
        }
        if self.kind.len() >= (NONE - 1) as usize {
            return Err(Error::limit("identities in the pool", (NONE - 1) as usize, self.kind.len() + 1));
        }
        let i = self.values.push(value, "identity value")?;
        super::store::grow(&mut self.kind, 1);
        self.kind.push(kind);
        super::store::grow(&mut self.ns, 1);
        self.ns.push(ns);
        let (kinds, nss, vals) = (&self.kind, &self.ns, &self.values);
        self.table.insert_unique(key_hash(kind, ns, value.as_bytes()), i, |&j| {
            key_hash(kinds[j as usize], nss[j as usize], vals.bytes(j))
        });
        Ok(i)
    }

    pub fn heap_bytes(&self) -> usize {
        self.kind.capacity() + self.ns.capacity() * 4 + self.values.heap_bytes() + self.table.capacity() * 5
    }
}

/// Union–find state derived from the events (rebuilt from scratch when needed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub parent: Vec<u32>,
    /// Circular list of the members of each component.
    pub next: Vec<u32>,
    /// Processing rank of the first event that carried the identity (`NONE`: not yet).
    pub first_seen: Vec<u32>,
    /// At roots: processing rank of the founding event (`NONE`: not a customer yet).
    pub found: Vec<u32>,
    /// At roots: the identity the customer id is derived from.
    pub label: Vec<u32>,
}

impl Graph {
    pub fn reset(&mut self, n: usize) {
        self.parent.clear();
        self.parent.extend(0..n as u32);
        self.next.clear();
        self.next.extend(0..n as u32);
        self.first_seen.clear();
        self.first_seen.resize(n, NONE);
        self.found.clear();
        self.found.resize(n, NONE);
        self.label.clear();
        self.label.extend(0..n as u32);
    }

    /// Grow to `n` identities (new ones are unbound singletons).
    pub fn grow(&mut self, n: usize) {
        let old = self.parent.len();
        if n <= old {
            return;
        }
        self.parent.extend(old as u32..n as u32);
        self.next.extend(old as u32..n as u32);
        self.first_seen.resize(n, NONE);
        self.found.resize(n, NONE);
        self.label.extend(old as u32..n as u32);
    }

    /// Root with path halving.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            let gp = self.parent[p as usize];
            self.parent[x as usize] = gp;
            x = gp;
        }
        x
    }

    /// Root without modifying (for `&self` queries).
    pub fn root(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    pub fn is_customer(&self, root: u32) -> bool {
        self.found[root as usize] != NONE
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
            cur = self.next[cur as usize];
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
        self.parent[l as usize] = w;
        self.next.swap(w as usize, l as usize);
        (w, l)
    }

    pub fn heap_bytes(&self) -> usize {
        (self.parent.capacity()
            + self.next.capacity()
            + self.first_seen.capacity()
            + self.found.capacity()
            + self.label.capacity())
            * 4
    }
}
