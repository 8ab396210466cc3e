//! Late events at the cost of the customers they touch.
//!
//! The identity graph is defined by linking events in (time, id) order. An event dated before
//! the latest processed one changes only the components (customers, unbound identities) that
//! share an identity with it, and the components that share an identity with *their* events,
//! and so on. Those events are linked again, in order, from singletons; every other component
//! keeps its state, which is already what the sorted order gives it: linking reads and writes
//! only the nodes of the event's identities, and the nodes record slots (first event, founding
//! event) compared in (time, id) order, not positions that a late event would shift.
//!
//! The events of a component are found through [`Anchored`] (the events anchored at each of
//! its identities), the conflicts (an identity a limit kept off an event's customer) and the
//! events with identities that do not link (after `unbind`). `Anchored` is built at the first
//! late batch and kept from then on: pools that only ever receive later events do not pay for
//! it (4 bytes per event and per identity).

use super::{MergeReason, Pool, Scratch, NONE};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Beyond this share of the processed events (1/4), linking everything again is cheaper.
const MAX_SHARE: usize = 4;

/// The events anchored at each identity, as linked lists through the slots.
#[derive(Debug, Clone, Default)]
pub(super) struct Anchored {
    /// Per identity: the latest event anchored at it (`NONE`: none).
    head: Vec<u32>,
    /// Per slot: the event anchored at the same identity before it (`NONE`: none).
    next: Vec<u32>,
    /// Events with an identity that does not link (`Row::nolink`), in slot order.
    nolink: Vec<u32>,
}

impl Anchored {
    #[inline]
    fn push(&mut self, slot: u32, anchor: u32) {
        self.next[slot as usize] = self.head[anchor as usize];
        self.head[anchor as usize] = slot;
    }

    /// The events anchored at `node`.
    fn at(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.head[node as usize];
        std::iter::from_fn(move || {
            (cur != NONE).then(|| {
                let s = cur;
                cur = self.next[s as usize];
                s
            })
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        (self.head.capacity() + self.next.capacity() + self.nolink.capacity()) * 4
    }
}

impl Pool {
    /// Record that `slot` is anchored at identity `anchor`.
    #[inline]
    pub(super) fn set_anchor(&mut self, slot: u32, anchor: u32) {
        self.anchor[slot as usize] = anchor;
        if let Some(a) = &mut self.anchored {
            a.push(slot, anchor);
        }
    }

    /// Size [`Anchored`] for the stored events and identities, building it on first use from
    /// the processed events (slots below `processed`).
    pub(super) fn anchored_grown(&mut self, processed: usize) -> &mut Anchored {
        let (nodes, slots) = (self.graph.len(), self.rows.len());
        let a = self.anchored.get_or_insert_with(|| {
            let mut a = Anchored { head: vec![NONE; nodes], next: vec![NONE; slots], nolink: Vec::new() };
            for s in 0..processed as u32 {
                let anchor = self.anchor[s as usize];
                if anchor != NONE {
                    a.push(s, anchor);
                }
                if self.rows[s as usize].nolink != 0 {
                    a.nolink.push(s);
                }
            }
            a
        });
        let (more_nodes, more_slots) = (nodes.saturating_sub(a.head.len()), slots.saturating_sub(a.next.len()));
        super::store::grow(&mut a.head, more_nodes);
        a.head.resize(nodes, NONE);
        super::store::grow(&mut a.next, more_slots);
        a.next.resize(slots, NONE);
        for s in processed..slots {
            if self.rows[s].nolink != 0 && a.nolink.last().is_none_or(|&l| l < s as u32) {
                a.nolink.push(s as u32);
            }
        }
        a
    }

    /// Link the late events `late` (in (time, id) order, each before the latest processed
    /// event) with the processed events of the components they touch, again in order. Returns
    /// `false`, having changed nothing, when those are so many that a full pass is cheaper.
    pub(super) fn relink_late(&mut self, late: &[u32]) -> bool {
        let processed = self.order.len();
        self.anchored_grown(processed);
        let Some((members, events)) = self.touched(late, processed) else {
            return false;
        };

        // the customers the touched components held, in founding order, to log what moved
        let mut roots: Vec<u32> =
            members.iter().copied().filter(|&m| self.graph.is_root(m) && self.graph.is_customer(m)).collect();
        roots.sort_unstable_by(|&a, &b| {
            let (fa, fb) = (self.graph.n[a as usize].found, self.graph.n[b as usize].found);
            self.slot_cmp(fa, fb).then(a.cmp(&b))
        });
        let before: Vec<(u128, u32)> =
            roots.into_iter().map(|r| (self.id_bits(r), self.graph.n[r as usize].label)).collect();

        // unlink: singletons again, no events anchored, no conflicts from the events linked again
        self.graph.reset_nodes(&members, &self.table);
        if let Some(a) = &mut self.anchored {
            for &m in &members {
                a.head[m as usize] = NONE;
            }
        }
        self.conflicts.retain(|c| events.binary_search(&c.slot).is_err());
        let kept = self.conflicts.len();

        let mut again = events;
        again.extend_from_slice(late);
        again.sort_unstable_by(|&a, &b| self.key_cmp(a, b));
        let mut scratch = Scratch::default();
        for &s in &again {
            self.process(s, false, &mut scratch);
        }

        // conflicts stay in processing order: merge the new ones in
        if self.conflicts.len() > kept {
            let fresh = self.conflicts.split_off(kept);
            let mut merged = Vec::with_capacity(kept + fresh.len());
            let mut old = std::mem::take(&mut self.conflicts).into_iter().peekable();
            for c in fresh {
                while let Some(o) = old.next_if(|o| self.key_cmp(o.slot, c.slot) == Ordering::Less) {
                    merged.push(o);
                }
                merged.push(c);
            }
            merged.extend(old);
            self.conflicts = merged;
        }

        // the late slots join the processing order where they belong
        self.order.explicit();
        let order = &self.order.explicit.as_deref().unwrap_or_default()[..processed];
        let at: Vec<usize> =
            late.iter().map(|&s| order.partition_point(|&o| self.key_cmp(o, s) == Ordering::Less)).collect();
        self.order.insert_at(late, &at);

        let at = self.latest_at();
        for (old, label) in before {
            let root = self.graph.find(label);
            let now = self.graph.is_customer(root).then(|| self.id_bits(root));
            if now != Some(old) {
                self.log(at, None, now.map(super::id_string), super::id_string(old), MergeReason::Reorder);
            }
        }
        true
    }

    /// The components touched by `late`, closed under shared identities: their nodes, and the
    /// processed events (sorted slots) that carry any of them. `None` when those events pass the
    /// share beyond which a full pass is cheaper.
    fn touched(&mut self, late: &[u32], processed: usize) -> Option<(Vec<u32>, Vec<u32>)> {
        let mut nodes: HashSet<u32> = HashSet::new();
        let mut members: Vec<u32> = Vec::new();
        let mut events: HashSet<u32> = HashSet::new();
        // add the component of each identity of `slot` that is not in yet
        let add_event = |pool: &mut Pool, slot: u32, nodes: &mut HashSet<u32>, members: &mut Vec<u32>| {
            let r = pool.rows[slot as usize];
            for k in 0..r.ident_len as usize {
                let i = pool.idents[r.ident_start as usize + k];
                if !nodes.contains(&i) {
                    let root = pool.graph.find(i);
                    for m in pool.graph.members(root) {
                        nodes.insert(m);
                        members.push(m);
                    }
                }
            }
        };
        for &s in late {
            add_event(self, s, &mut nodes, &mut members);
        }
        // events that carry an identity without being anchored in its component: a conflict (a
        // limit kept the identity off), or an identity that does not link; by identity
        let mut carried: HashMap<u32, Vec<u32>> = HashMap::new();
        for c in &self.conflicts {
            carried.entry(c.ident).or_default().push(c.slot);
        }
        if let Some(a) = &self.anchored {
            for &s in a.nolink.iter().filter(|&&s| (s as usize) < processed) {
                let r = self.rows[s as usize];
                for &i in &self.idents[r.ident_start as usize..r.ident_start as usize + r.ident_len as usize] {
                    carried.entry(i).or_default().push(s);
                }
            }
        }
        let limit = processed / MAX_SHARE;
        let mut walked = 0;
        // the events anchored at, or carrying, each member not walked yet
        while walked < members.len() {
            let m = members[walked];
            walked += 1;
            let mut found: Vec<u32> = self.anchored.as_ref().map_or(Vec::new(), |a| a.at(m).collect());
            found.extend(carried.get(&m).into_iter().flatten());
            for s in found {
                if events.insert(s) {
                    if events.len() > limit {
                        return None;
                    }
                    add_event(self, s, &mut nodes, &mut members);
                }
            }
        }
        let mut events: Vec<u32> = events.into_iter().collect();
        events.sort_unstable();
        Some((members, events))
    }
}
