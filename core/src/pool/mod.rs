//! The customer pool: ingest events, resolve identities (ONE_ID), read timelines and profile
//! facts, export and erase a customer, snapshot and restore.
//!
//! # Identity resolution
//! Events that share a linking identity belong to one customer, transitively. The outcome is
//! defined as if events were processed in (event time, event id) order, whatever order they
//! arrive in: a batch that only adds later events is processed incrementally; late events (dated
//! before the last processed event) re-link the customers they touch, again in that order (so
//! the result is always that of the sorted order).
//!
//! For each event, its usable identities are taken in order of (kind priority descending, first
//! seen, kind, namespace, value). The first is the *anchor*: the event belongs to the anchor's
//! customer. Each further identity is linked to the anchor's customer unless that would give
//! the customer more identities of some kind than the kind's limit; then it is left unlinked
//! and a [`Conflict`] is recorded. A new identity left unlinked stays unbound (it resolves to no
//! customer until an event can attach it).
//!
//! # Customer ids
//! A customer's id is derived from its *label*: the anchor of the event that founded it (the
//! earliest event of the customer in (time, id) order). The id is `c` followed by 20 base-32
//! characters of a keyed SipHash-1-3 of the label (100 bits; the key is
//! [`PoolConfig::id_key`]), so ids do not reveal phone numbers and are the same on every
//! platform. When two customers merge, the one founded earlier survives and keeps its id; the
//! other id is recorded in the merge log and keeps resolving to the survivor.
//!
//! # Thread safety
//! `Pool` is `Send + Sync`: reads (`&self`) can run in parallel, writes (`&mut self`) are
//! exclusive — wrap it in a `RwLock` to share it. The Python and Kotlin objects do exactly that.

mod columns;
mod ext;
mod frames;
pub(crate) use frames::decode_exact as decode_section;
mod graph;
mod hugevec;
mod ingest;
mod late;
mod prefetch;
mod rfm_summary;
mod snapshot;
mod store;
mod touch;
mod view;

use crate::error::{Error, Result};
use crate::heap::Heap;
use crate::identity::IdentityRules;
use crate::model::{Channel, Currency, Event, EventKind, Identity, IdentityKind, Limits, Money, Timestamp};
use crate::profile::Profile;
use chrono_tz::Tz;
use graph::{Graph, IdentTable, Summary};
use hashbrown::HashTable;
use std::cmp::Ordering;
use std::sync::OnceLock;
use store::{Codes, Extra, Rare, Row, SideOrders, StrSet, NONE};

pub use ingest::Ingester;
pub use rfm_summary::PoolRfmSummary;
pub use snapshot::SNAPSHOT_VERSION;
pub use view::{CustomerView, EventRef};

/// Configuration of a pool.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PoolConfig {
    /// The business time zone (IANA name): zone-less input times are read in it, and it decides
    /// day and month boundaries. Default `Asia/Shanghai`.
    pub time_zone: String,
    /// The reporting currency, also used for amounts that arrive without one. Default CNY.
    pub currency: Currency,
    /// Identity kinds, normalisers, priorities, limits and the blocklist.
    pub identity_rules: IdentityRules,
    /// Per-event limits.
    pub limits: Limits,
    /// Key of the customer-id hash. Keep it secret to make ids unguessable from phone numbers.
    pub id_key: [u64; 2],
    /// Keep events for this many days: [`Pool::apply_retention`] drops older ones.
    pub retention_days: Option<u32>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            time_zone: "Asia/Shanghai".to_string(),
            currency: Currency::CNY,
            identity_rules: IdentityRules::default(),
            limits: Limits::default(),
            id_key: [0x7975_7461_6e67_0001, 0x6f6e_655f_6964_0001],
            retention_days: None,
        }
    }
}

/// One rejected (or warned-about) input event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    /// Position of the event in the ingested batch.
    pub index: usize,
    /// The field at fault (`at`, `amount`, `identities[0].value` …).
    pub field: String,
    /// Why (personal values masked).
    pub reason: String,
}

/// What an ingest did. `accepted + duplicates + rejected.len()` = the number of input events.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IngestReport {
    /// Events stored.
    pub accepted: usize,
    /// Events whose id was already stored with the same content (skipped).
    pub duplicates: usize,
    /// Events refused, with the field and the reason.
    pub rejected: Vec<Rejection>,
    /// Accepted events from which something was dropped (a blocklisted identity …).
    pub warnings: Vec<Rejection>,
    /// Accepted events dated before the latest event already processed ((time, id) order):
    /// late arrivals, such as a marketplace's orders synced hours later.
    #[serde(default)]
    pub late: usize,
    /// Whether the late events made the pool recompute its identity graph from every stored
    /// event: they touched more than a quarter of the pool (otherwise they re-link only the
    /// customers they touch).
    #[serde(default)]
    pub full_pass: bool,
    /// Whether a progress callback stopped the ingest: only the events before the stop were
    /// read (and counted here); they are stored and linked.
    #[serde(default)]
    pub stopped: bool,
}

/// A link refused because it would exceed a kind's per-customer limit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conflict {
    /// The event that carried both identities.
    pub event_id: String,
    /// Its time.
    pub at: Timestamp,
    /// The identity left unlinked.
    pub identity: Identity,
    /// The kind whose limit would have been exceeded.
    pub limit_kind: IdentityKind,
    /// The customer the event went to.
    pub customer_id: String,
    /// The customer that holds the unlinked identity, if any.
    pub other_customer_id: Option<String>,
}

/// Why a merge-log entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeReason {
    /// An event linked two customers.
    Merge,
    /// Events arrived out of order and the graph was recomputed; the id now belongs to
    /// `survivor`.
    Reorder,
    /// `unbind` or a retention drop changed the graph.
    Split,
}

/// One entry of the append-only merge log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MergeEntry {
    /// Position in the log (0, 1, 2 …; never reused).
    pub seq: u64,
    /// Time of the event that caused it (for merges), else of the latest processed event.
    pub at: Timestamp,
    /// The event that caused it (merges only).
    pub event_id: Option<String>,
    /// The customer that survives.
    pub survivor: Option<String>,
    /// The customer id that no longer stands on its own (an alias of `survivor`).
    pub absorbed: String,
    /// Why.
    pub reason: MergeReason,
}

/// Counts describing a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolStats {
    /// Stored events.
    pub events: usize,
    /// Distinct identities.
    pub identities: usize,
    /// Customers (after identity resolution).
    pub customers: usize,
    /// Recorded conflicts.
    pub conflicts: usize,
    /// Merge-log entries.
    pub merges: usize,
}

/// What `erase` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EraseReport {
    /// Events removed.
    pub events: usize,
    /// Identities removed.
    pub identities: usize,
}

/// Everything the pool holds about one customer (for a personal-information access request).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomerExport {
    /// The customer id.
    pub customer_id: String,
    /// Ids merged into this customer.
    pub aliases: Vec<String>,
    /// Profile facts (with every identity).
    pub profile: Profile,
    /// Every event, in time order.
    pub events: Vec<Event>,
    /// Merge-log entries that mention the customer or an alias.
    pub merge_log: Vec<MergeEntry>,
    /// Conflicts that involve the customer.
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Copy)]
struct ConflictRec {
    slot: u32,
    ident: u32,
    kind: u8,
}

/// Lazily built lookup structures (rebuilt after any change).
#[derive(Debug, Clone, Default)]
struct Index {
    /// Customer roots, in founding order.
    roots: Vec<u32>,
    /// Customer id bits per position.
    ids: Vec<u128>,
    /// Event slots per customer (CSR), each in (time, id) order.
    offsets: Vec<u32>,
    events: Vec<u32>,
    /// id bits -> position.
    by_id: HashTable<u32>,
    /// root -> position (dense, NONE for non-roots).
    pos: Vec<u32>,
    /// Merged-away id -> the id it was last merged into (newest merge-log entry wins).
    alias: std::collections::HashMap<u128, Option<u128>>,
}

/// The customer pool. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Pool {
    config: PoolConfig,
    tz: Tz,
    /// Rule position of each built-in identity kind (`u8::MAX`: not declared).
    builtin_kind_pos: Vec<u8>,
    /// Per-customer limit of each identity kind, by kind code.
    kind_limits: Vec<u32>,
    // --- source of truth: the events ---
    event_ids: StrSet,
    rows: Vec<Row>,
    idents: Vec<u32>,
    extras: Vec<Extra>,
    groups: StrSet,
    orders: SideOrders,
    kinds: Codes<EventKind>,
    channels: Codes<Channel>,
    currencies: Codes<Currency>,
    namespaces: StrSet,
    table: IdentTable,
    merge_log: Vec<MergeEntry>,
    retention_horizon: Option<Timestamp>,
    /// The state of the modules built on the pool (segments, tags, lifecycle, journeys).
    ext: ext::Extensions,
    // --- derived ---
    /// Pool-wide values at one `as_of` (RFM tiers for the condition language).
    as_of_cache: ext::AsOfCache,
    graph: Graph,
    anchor: Vec<u32>,
    /// Events by anchor, kept once a batch reached back in time (see [`late`]).
    anchored: Option<late::Anchored>,
    order: ProcOrder,
    conflicts: Vec<ConflictRec>,
    index: OnceLock<Index>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new(PoolConfig::default()).unwrap_or_else(|_| unreachable!("the default config is valid"))
    }
}

/// The most identities one event may carry (a stored event keeps a 16-bit no-link mask).
pub const MAX_IDENTITIES_PER_EVENT: usize = 16;

/// Maximum events in one pool.
pub const MAX_EVENTS: usize = (u32::MAX - 1) as usize;

impl Pool {
    /// An empty pool.
    ///
    /// # Errors
    /// An invalid time zone or identity rules.
    pub fn new(config: PoolConfig) -> Result<Pool> {
        let tz = crate::model::parse_tz(&config.time_zone)?;
        config.identity_rules.validate()?;
        if config.identity_rules.kinds.len() > 255 {
            return Err(Error::limit("identity_rules.kinds", 255, config.identity_rules.kinds.len()));
        }
        if !(1..=MAX_IDENTITIES_PER_EVENT).contains(&config.limits.max_identities) {
            return Err(Error::invalid(
                "limits.max_identities",
                config.limits.max_identities.to_string(),
                format!("must be 1..={MAX_IDENTITIES_PER_EVENT}"),
            ));
        }
        let builtin_kind_pos = IdentityKind::BUILTIN
            .iter()
            .map(|k| config.identity_rules.kinds.iter().position(|r| &r.kind == k).map_or(u8::MAX, |p| p as u8))
            .collect();
        let kind_limits = config.identity_rules.kinds.iter().map(|k| k.limit).collect();
        Ok(Pool {
            tz,
            builtin_kind_pos,
            kind_limits,
            event_ids: StrSet::default(),
            rows: Vec::new(),
            idents: Vec::new(),
            extras: Vec::new(),
            groups: StrSet::default(),
            orders: SideOrders::default(),
            kinds: Codes::new(EventKind::BUILTIN, 255),
            channels: Codes::new(Channel::BUILTIN, 255),
            currencies: Codes::new(&[config.currency], u16::MAX as usize - 1),
            namespaces: StrSet::default(),
            table: IdentTable::default(),
            merge_log: Vec::new(),
            retention_horizon: None,
            ext: ext::Extensions::default(),
            as_of_cache: ext::AsOfCache::default(),
            graph: Graph::default(),
            anchor: Vec::new(),
            anchored: None,
            order: ProcOrder::default(),
            conflicts: Vec::new(),
            index: OnceLock::new(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// The business time zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The state of the modules built on the pool.
    pub(crate) fn ext(&self) -> &ext::Extensions {
        &self.ext
    }

    /// The state of the modules built on the pool, to change (drops the pool-wide cache).
    pub(crate) fn ext_mut(&mut self) -> &mut ext::Extensions {
        self.as_of_cache.clear();
        &mut self.ext
    }

    /// A pool-wide value at `as_of`, computed once until the pool changes.
    pub(crate) fn cached_at<T: std::any::Any + Send + Sync + crate::heap::Heap>(
        &self,
        as_of: Timestamp,
        f: impl FnOnce() -> T,
    ) -> std::sync::Arc<T> {
        self.as_of_cache.get_or_compute(as_of.micros(), f)
    }

    // ------------------------------------------------------------------ ingest

    fn identity(&self, i: u32) -> Identity {
        let k = self.table.kind(i) as usize;
        let ns = self.table.ns(i);
        Identity {
            kind: self.config.identity_rules.kinds[k].kind.clone(),
            namespace: (ns != 0).then(|| self.namespaces.get(ns - 1).to_string()),
            value: self.table.value(i).to_string(),
        }
    }

    /// Reconstruct the stored event in slot `slot`.
    fn event_at(&self, slot: u32) -> Event {
        let r = &self.rows[slot as usize];
        let ids = &self.idents[r.ident_start as usize..r.ident_start as usize + r.ident_len as usize];
        let mut e = Event::new(
            self.event_ids.get(slot),
            Timestamp::from_micros(r.at).unwrap_or(Timestamp::from_micros(0).unwrap_or_else(|_| unreachable!())),
            self.kinds.values[r.kind as usize].clone(),
            ids.iter().map(|&i| self.identity(i)).collect(),
        );
        e.channel = (r.channel != 0).then(|| self.channels.values[r.channel as usize - 1].clone());
        e.money = (r.currency != 0).then(|| Money::new(r.amount, self.currencies.values[r.currency as usize - 1]));
        e.order_id = self.orders.get(slot).map(str::to_string);
        if r.extra != NONE {
            let x = &self.extras[r.extra as usize];
            e.referrer = (x.referrer != NONE).then(|| self.identity(x.referrer));
            e.group_id = (x.group != NONE).then(|| self.groups.get(x.group).to_string());
            if let Some(rare) = &x.rare {
                e.items = rare.items.clone();
                e.properties = rare.properties.clone();
                e.consent = rare.consent.clone();
                e.subscription = rare.subscription.clone();
            }
        }
        e
    }

    // ------------------------------------------------------------------ graph

    fn key_cmp(&self, a: u32, b: u32) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        ra.at.cmp(&rb.at).then_with(|| self.event_ids.arena.bytes(a).cmp(self.event_ids.arena.bytes(b)))
    }

    /// The order of two slots in (time, id) order (equal only for the same slot).
    #[inline]
    fn slot_cmp(&self, a: u32, b: u32) -> Ordering {
        if a == b {
            Ordering::Equal
        } else {
            self.key_cmp(a, b)
        }
    }

    /// Link newly stored events; returns how many of them were late (before the latest event
    /// already processed) and whether that cost a full pass.
    ///
    /// Late events re-link only the identity components they touch (see [`late`]); the rest
    /// of the batch, after every processed event, links incrementally.
    fn process_new(&mut self, mut slots: Vec<u32>) -> (usize, bool) {
        self.index = OnceLock::new();
        self.as_of_cache.clear();
        if !slots.is_sorted_by(|&a, &b| self.key_cmp(a, b) != Ordering::Greater) {
            slots.sort_unstable_by(|&a, &b| self.key_cmp(a, b));
        }
        let late = match self.order.last() {
            Some(last) => slots.partition_point(|&s| self.key_cmp(s, last) == Ordering::Less),
            None => 0,
        };
        self.graph.grow(&self.table);
        let missing = self.rows.len() - self.anchor.len();
        store::grow(&mut self.anchor, missing);
        self.anchor.resize(self.rows.len(), NONE);
        if self.anchored.is_some() {
            self.anchored_grown(self.order.len());
        }
        if late > 0 && !self.relink_late(&slots[..late]) {
            self.rebuild(MergeReason::Reorder);
            return (late, true);
        }
        self.process_in_order(&slots[late..]);
        (late, false)
    }

    /// Link events that come after every processed one, in (time, id) order.
    fn process_in_order(&mut self, slots: &[u32]) {
        let mut scratch = Scratch::default();
        self.order.reserve(slots.len());
        for k in 0..slots.len() {
            // the graph nodes of the events 16 ahead, then the roots of those 8 ahead (whose
            // nodes have arrived by now): their cache misses overlap this event's work
            if let Some(&ahead) = slots.get(k + 16) {
                self.prefetch_nodes(ahead, false);
            }
            if let Some(&mid) = slots.get(k + 8) {
                self.prefetch_nodes(mid, true);
            }
            let s = slots[k];
            self.process(s, true, &mut scratch);
            self.order.push(s);
        }
        self.log_merges(&scratch.merges);
    }

    /// Log merges recorded by [`Pool::process`], in order. A customer id is a hash of its label
    /// identity: the labels' records are fetched several merges ahead.
    fn log_merges(&mut self, merges: &[(u32, u32, u32)]) {
        self.merge_log.reserve(merges.len());
        for (k, &(slot, sv, ab)) in merges.iter().enumerate() {
            if let Some(&(_, a, b)) = merges.get(k + 16) {
                self.table.prefetch_offset(a);
                self.table.prefetch_offset(b);
            }
            if let Some(&(_, a, b)) = merges.get(k + 8) {
                self.table.prefetch_identity(a);
                self.table.prefetch_identity(b);
            }
            let at = Timestamp::from_micros(self.rows[slot as usize].at).unwrap_or_else(|_| unreachable!("stored"));
            let eid = self.event_ids.get(slot).to_string();
            let (sv, ab) = (self.label_bits(sv), self.label_bits(ab));
            self.log(at, Some(eid), Some(id_string(sv)), id_string(ab), MergeReason::Merge);
        }
    }

    /// Hint that the graph nodes of `slot`'s identities (or, with `parents`, their parents)
    /// will be read soon.
    #[inline]
    fn prefetch_nodes(&self, slot: u32, parents: bool) {
        let r = &self.rows[slot as usize];
        let start = r.ident_start as usize;
        for &i in &self.idents[start..start + r.ident_len as usize] {
            let node = &self.graph.n[i as usize];
            if !parents {
                graph::prefetch_node(node);
            } else if node.parent & graph::ROOT == 0 {
                graph::prefetch_node(&self.graph.n[node.parent as usize]);
            }
        }
    }

    /// Recompute the whole graph from the stored events, then log the ids that moved.
    fn rebuild(&mut self, reason: MergeReason) {
        let before: Vec<(u128, u32)> =
            self.customer_roots().into_iter().map(|r| (self.id_bits(r), self.graph.n[r as usize].label)).collect();
        let mut order: Vec<u32> = (0..self.rows.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.key_cmp(a, b));
        self.relink(ProcOrder::from_vec(order));
        let at = self.latest_at();
        for (old, label) in before {
            if (label as usize) >= self.table.len() {
                continue;
            }
            let root = self.graph.find(label);
            let now = self.graph.is_customer(root).then(|| self.id_bits(root));
            if now != Some(old) {
                self.log(at, None, now.map(id_string), id_string(old), reason);
            }
        }
    }

    /// Link every stored event anew, in `order` (the (time, id) order of all slots), without
    /// logging merges.
    fn relink(&mut self, order: ProcOrder) {
        self.index = OnceLock::new();
        self.as_of_cache.clear();
        self.graph.reset(&self.table);
        self.anchored = None;
        self.anchor.clear();
        self.anchor.resize(self.rows.len(), NONE);
        self.conflicts.clear();
        let mut scratch = Scratch::default();
        let n = order.len();
        for rank in 0..n {
            // as on ingestion: the nodes of the events ahead are fetched while this one links
            if rank + 16 < n {
                self.prefetch_nodes(order.get(rank + 16), false);
            }
            if rank + 8 < n {
                self.prefetch_nodes(order.get(rank + 8), true);
            }
            self.process(order.get(rank), false, &mut scratch);
        }
        self.order = order;
    }

    fn latest_at(&self) -> Timestamp {
        let micros = self.order.last().map_or(0, |s| self.rows[s as usize].at);
        Timestamp::from_micros(micros).unwrap_or_else(|_| unreachable!("stored times are in range"))
    }

    fn log(
        &mut self,
        at: Timestamp,
        event_id: Option<String>,
        survivor: Option<String>,
        absorbed: String,
        reason: MergeReason,
    ) {
        let seq = self.merge_log.last().map_or(0, |m| m.seq + 1);
        self.merge_log.push(MergeEntry { seq, at, event_id, survivor, absorbed, reason });
    }

    /// Order of identities within an event: priority desc, first seen, then content.
    fn ident_cmp(&self, a: u32, b: u32) -> Ordering {
        let kinds = &self.config.identity_rules.kinds;
        let (na, nb) = (&self.graph.n[a as usize], &self.graph.n[b as usize]);
        kinds[nb.kind as usize]
            .priority
            .cmp(&kinds[na.kind as usize].priority)
            .then_with(|| self.slot_cmp(na.first_seen, nb.first_seen))
            .then_with(|| self.content_cmp(a, b))
    }

    fn content_cmp(&self, a: u32, b: u32) -> Ordering {
        let ns = |i: u32| {
            let n = self.table.ns(i);
            if n == 0 {
                &[][..]
            } else {
                self.namespaces.arena.bytes(n - 1)
            }
        };
        self.table
            .kind(a)
            .cmp(&self.table.kind(b))
            .then_with(|| ns(a).cmp(ns(b)))
            .then_with(|| self.table.value_bytes(a).cmp(self.table.value_bytes(b)))
    }

    /// Link one event: its identities join the anchor's customer within the kinds' limits.
    /// Nodes record slots (first event, founding event), compared in (time, id) order, so
    /// that events can be linked again in any subset that is closed under shared identities.
    fn process(&mut self, slot: u32, log: bool, sc: &mut Scratch) {
        let r = self.rows[slot as usize];
        let start = r.ident_start as usize;
        sc.link.clear();
        sc.nolink.clear();
        for k in 0..r.ident_len as usize {
            let i = self.idents[start + k];
            if self.graph.n[i as usize].first_seen == NONE {
                self.graph.n[i as usize].first_seen = slot;
            }
            if r.nolink & (1 << k) != 0 {
                sc.nolink.push(i);
            } else {
                sc.link.push(i);
            }
        }
        for idx in 0..sc.nolink.len() {
            let i = sc.nolink[idx];
            let root = self.graph.find(i);
            if !self.graph.is_customer(root) {
                self.graph.n[root as usize].found = slot;
                self.graph.n[root as usize].label = i;
            }
        }
        if sc.link.is_empty() {
            let mut best = sc.nolink[0];
            for &i in &sc.nolink[1..] {
                if self.ident_cmp(i, best) == Ordering::Less {
                    best = i;
                }
            }
            self.set_anchor(slot, best);
            return;
        }
        let mut link = std::mem::take(&mut sc.link);
        if link.len() > 1 {
            link.sort_by(|&a, &b| self.ident_cmp(a, b));
        }
        let anchor = link[0];
        let mut ra = self.graph.find(anchor);
        if !self.graph.is_customer(ra) {
            self.graph.n[ra as usize].found = slot;
            self.graph.n[ra as usize].label = anchor;
        }
        // counting the kinds of the anchor's customer is needed only when another customer (or
        // a new identity) would join it: repeat events whose identities are all linked already
        // skip it
        if link.len() > 1 && link[1..].iter().any(|&j| self.graph.find(j) != ra) {
            let nk = self.config.identity_rules.kinds.len();
            // sc.counts holds the kinds of ra's component while `counted` (walked only when the
            // roots' summaries cannot decide)
            let mut counted = false;
            for &j in &link[1..] {
                let rj = self.graph.find(j);
                if rj == ra {
                    continue;
                }
                let limits = &self.kind_limits;
                let over = match Summary::over(self.graph.summary(ra), self.graph.summary(rj), limits) {
                    Some(o) => o,
                    None => {
                        if !counted {
                            sc.counts.clear();
                            sc.counts.resize(nk, 0);
                            for m in self.graph.members(ra) {
                                sc.counts[self.graph.n[m as usize].kind as usize] += 1;
                            }
                            counted = true;
                        }
                        sc.other.clear();
                        sc.other.resize(nk, 0);
                        for m in self.graph.members(rj) {
                            sc.other[self.graph.n[m as usize].kind as usize] += 1;
                        }
                        (0..nk).find(|&k| sc.counts[k] + sc.other[k] > limits[k])
                    }
                };
                match over {
                    None => {
                        let bound_j = self.graph.is_customer(rj);
                        let (fa, fj) = (self.graph.n[ra as usize].found, self.graph.n[rj as usize].found);
                        let a_survives = !bound_j
                            || self.slot_cmp(fa, fj) == Ordering::Less
                            || (fa == fj
                                && self.content_cmp(self.graph.n[ra as usize].label, self.graph.n[rj as usize].label)
                                    != Ordering::Greater);
                        if bound_j && log {
                            let (la, lj) = (self.graph.n[ra as usize].label, self.graph.n[rj as usize].label);
                            sc.merges.push(if a_survives { (slot, la, lj) } else { (slot, lj, la) });
                        }
                        let (w, _l) = self.graph.union(ra, rj, a_survives);
                        counted = false;
                        ra = w;
                    }
                    Some(k) => self.conflicts.push(ConflictRec { slot, ident: j, kind: k as u8 }),
                }
            }
        }
        self.set_anchor(slot, anchor);
        sc.link = link;
    }

    /// The amount of a stored event in the reporting currency's major units (0 without money).
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] for money in another currency (no silent conversion).
    fn reporting_amount(&self, r: &Row) -> Result<f64> {
        if r.currency == 0 {
            return Ok(0.0);
        }
        let c = self.currencies.values[r.currency as usize - 1];
        if c != self.config.currency {
            return Err(Error::CurrencyMismatch { left: self.config.currency.to_string(), right: c.to_string() });
        }
        Ok(Money::new(r.amount, c).to_major_f64())
    }

    fn id_bits(&self, root: u32) -> u128 {
        self.label_bits(self.graph.n[root as usize].label)
    }

    /// The customer id bits of a customer labelled by identity `label`.
    fn label_bits(&self, label: u32) -> u128 {
        let kind = self.config.identity_rules.kinds[self.table.kind(label) as usize].kind.as_str();
        let ns = self.table.ns(label);
        let ns = if ns == 0 { &[][..] } else { self.namespaces.arena.bytes(ns - 1) };
        let parts: [&[u8]; 5] = [kind.as_bytes(), &[0x1f], ns, &[0x1f], self.table.value_bytes(label)];
        crate::hash::siphash13_128_parts(self.config.id_key, &parts) & ((1u128 << 100) - 1)
    }

    /// Customer roots sorted by founding event in (time, id) order, then by node.
    fn in_founding_order(&self, mut roots: Vec<u32>) -> Vec<u32> {
        let found = |r: u32| self.graph.n[r as usize].found;
        match &self.order.explicit {
            // slots are in (time, id) order: the founding slot is the founding rank
            None => roots.sort_unstable_by_key(|&r| (found(r), r)),
            Some(order) => {
                let mut rank = vec![NONE; self.rows.len()];
                for (k, &s) in order.iter().enumerate() {
                    rank[s as usize] = k as u32;
                }
                roots.sort_unstable_by_key(|&r| (rank[found(r) as usize], r));
            }
        }
        roots
    }

    fn customer_roots(&self) -> Vec<u32> {
        match self.index.get() {
            Some(ix) => ix.roots.clone(),
            None => {
                let roots: Vec<u32> = (0..self.graph.len() as u32)
                    .filter(|&i| self.graph.is_root(i) && self.graph.is_customer(i))
                    .collect();
                self.in_founding_order(roots)
            }
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let roots = self.customer_roots();
            let n = self.graph.len();
            let mut pos = vec![NONE; n];
            for (p, &r) in roots.iter().enumerate() {
                pos[r as usize] = p as u32;
            }
            let mut counts = vec![0u32; roots.len() + 1];
            let owner: Vec<u32> = self
                .order
                .iter()
                .map(|s| {
                    let a = self.anchor[s as usize];
                    if a == NONE {
                        NONE
                    } else {
                        pos[self.graph.root(a) as usize]
                    }
                })
                .collect();
            for &o in &owner {
                if o != NONE {
                    counts[o as usize + 1] += 1;
                }
            }
            for i in 1..counts.len() {
                counts[i] += counts[i - 1];
            }
            let offsets = counts.clone();
            let mut events = vec![0u32; *counts.last().unwrap_or(&0) as usize];
            for (k, &o) in owner.iter().enumerate() {
                if o != NONE {
                    events[counts[o as usize] as usize] = self.order.get(k);
                    counts[o as usize] += 1;
                }
            }
            let ids: Vec<u128> = roots.iter().map(|&r| self.id_bits(r)).collect();
            let mut by_id = HashTable::with_capacity(ids.len());
            for (p, &id) in ids.iter().enumerate() {
                by_id.insert_unique(id as u64, p as u32, |&q| ids[q as usize] as u64);
            }
            let mut alias = std::collections::HashMap::with_capacity(self.merge_log.len());
            for m in &self.merge_log {
                if let Some(a) = parse_id(&m.absorbed) {
                    alias.insert(a, m.survivor.as_deref().and_then(parse_id));
                }
            }
            Index { roots, ids, offsets, events, by_id, pos, alias }
        })
    }

    // ------------------------------------------------------------------ queries

    /// Counts of events, identities, customers, conflicts and merges.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            events: self.rows.len(),
            identities: self.table.len(),
            customers: self.index().roots.len(),
            conflicts: self.conflicts.len(),
            merges: self.merge_log.len(),
        }
    }

    /// Heap memory held by the pool, in bytes, at rest: the capacities of its buffers, its
    /// lookup structures once built, the merge log, the modules' state (tags, attributes,
    /// segment checkpoints, journey instances and send history; definitions by their encoded
    /// size) and cached RFM tiers. A call's own working memory (a query's result, a snapshot
    /// in memory) comes on top while it runs: see the limits guide for the measured peaks.
    pub fn memory_bytes(&self) -> usize {
        let rows = self.rows.capacity() * std::mem::size_of::<Row>();
        let extras = self.extras.capacity() * std::mem::size_of::<Extra>()
            + self
                .extras
                .iter()
                .filter_map(|x| x.rare.as_ref())
                .map(|r| std::mem::size_of::<Rare>() + r.heap_bytes())
                .sum::<usize>()
            + self.groups.heap_bytes();
        let log = self.merge_log.capacity() * std::mem::size_of::<MergeEntry>()
            + self.merge_log.iter().map(|m| m.absorbed.heap() + m.survivor.heap() + m.event_id.heap()).sum::<usize>();
        let ix = self.index.get().map_or(0, |ix| {
            ix.roots.capacity() * 4
                + ix.ids.capacity() * 16
                + ix.offsets.capacity() * 4
                + ix.events.capacity() * 4
                + ix.by_id.capacity() * 5
                + ix.pos.capacity() * 4
                + ix.alias.heap()
        });
        rows + extras
            + self.event_ids.heap_bytes()
            + self.idents.capacity() * 4
            + self.orders.arena.heap_bytes()
            + self.orders.refs.capacity() * 8
            + self.namespaces.heap_bytes()
            + self.table.heap_bytes()
            + self.graph.heap_bytes()
            + self.anchor.capacity() * 4
            + self.order.heap_bytes()
            + self.anchored.as_ref().map_or(0, late::Anchored::heap_bytes)
            + self.conflicts.capacity() * std::mem::size_of::<ConflictRec>()
            + ix
            + log
            + self.ext.heap_bytes()
            + self.as_of_cache.heap_bytes()
    }

    /// The customer an identity belongs to (normalised as on ingestion), or `None`.
    pub fn resolve(&self, identity: &Identity) -> Option<String> {
        let root = self.root_of(identity)?;
        self.graph.is_customer(root).then(|| id_string(self.id_bits(root)))
    }

    /// The graph root of an identity (normalised as on ingestion), if it is known.
    fn root_of(&self, identity: &Identity) -> Option<u32> {
        let n = self.config.identity_rules.normalize(identity).ok()?.ok()?;
        Some(self.graph.root(self.stored_identity(&n)?))
    }

    /// Index of an already normalised identity in the identity table, if the pool has it.
    fn stored_identity(&self, n: &Identity) -> Option<u32> {
        let kind = self.config.identity_rules.position(&n.kind).ok()? as u8;
        let ns = match &n.namespace {
            Some(x) => self.namespaces.find(x)? + 1,
            None => 0,
        };
        self.table.find(kind, ns, n.namespace.as_deref().map(str::as_bytes), &n.value)
    }

    /// The current id of a customer id (itself, or the survivor it was merged into), or `None`.
    pub fn canonical_id(&self, customer_id: &str) -> Option<String> {
        self.position(customer_id).map(|p| id_string(self.index().ids[p]))
    }

    fn position(&self, customer_id: &str) -> Option<usize> {
        self.position_bits(parse_id(customer_id)?)
    }

    /// Position of a live id, or of the customer a merged-away id now belongs to.
    fn position_bits(&self, bits: u128) -> Option<usize> {
        let ix = self.index();
        let live = |b: u128| ix.by_id.find(b as u64, |&p| ix.ids[p as usize] == b).map(|&p| p as usize);
        let mut cur = bits;
        // a chain is at most as long as the merge log; each step follows one entry
        for _ in 0..=ix.alias.len() {
            if let Some(p) = live(cur) {
                return Some(p);
            }
            cur = (*ix.alias.get(&cur)?)?;
        }
        None
    }

    fn require(&self, customer_id: &str) -> Result<usize> {
        self.position(customer_id)
            .ok_or_else(|| Error::NotFound { what: "customer".into(), id: shown_customer_id(customer_id) })
    }

    /// Every customer id, in founding order.
    pub fn customer_ids(&self) -> Vec<String> {
        self.index().ids.iter().map(|&b| id_string(b)).collect()
    }

    /// Event slots of the customer at `pos`, in (time, id) order.
    /// Number of stored events (slots `0..n`, in the order the events arrived).
    pub(crate) fn slot_count(&self) -> usize {
        self.rows.len()
    }

    /// When the event in `slot` happened (µs since the epoch).
    pub(crate) fn slot_at(&self, slot: u32) -> i64 {
        self.rows[slot as usize].at
    }

    /// The position of the customer the event in `slot` belongs to.
    pub(crate) fn position_of_slot(&self, slot: u32) -> Option<usize> {
        let a = *self.anchor.get(slot as usize)?;
        if a == NONE {
            return None;
        }
        let p = *self.index().pos.get(self.graph.root(a) as usize)?;
        (p != NONE).then_some(p as usize)
    }

    fn slots_of(&self, pos: usize) -> &[u32] {
        let ix = self.index();
        &ix.events[ix.offsets[pos] as usize..ix.offsets[pos + 1] as usize]
    }

    /// A customer's events in (time, id) order.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id (aliases of merged customers resolve).
    pub fn timeline(&self, customer_id: &str) -> Result<Vec<Event>> {
        let p = self.require(customer_id)?;
        Ok(self.slots_of(p).iter().map(|&s| self.event_at(s)).collect())
    }

    /// A customer's identities, by priority then value.
    pub fn identities(&self, customer_id: &str) -> Result<Vec<Identity>> {
        let p = self.require(customer_id)?;
        Ok(self.identities_at(p))
    }

    fn identities_at(&self, pos: usize) -> Vec<Identity> {
        let root = self.index().roots[pos];
        let mut m: Vec<u32> = self.graph.members(root).collect();
        m.sort_by(|&a, &b| {
            let kinds = &self.config.identity_rules.kinds;
            let (ka, kb) = (self.table.kind(a) as usize, self.table.kind(b) as usize);
            kinds[kb].priority.cmp(&kinds[ka].priority).then_with(|| self.content_cmp(a, b))
        });
        m.into_iter().map(|i| self.identity(i)).collect()
    }

    /// Profile facts of one customer.
    pub fn profile(&self, customer_id: &str) -> Result<Profile> {
        let p = self.require(customer_id)?;
        Ok(self.profile_at(p))
    }

    fn profile_at(&self, pos: usize) -> Profile {
        let mut pr = Profile::new(id_string(self.index().ids[pos]), self.identities_at(pos));
        for &s in self.slots_of(pos) {
            let r = &self.rows[s as usize];
            let at = Timestamp::from_micros(r.at).unwrap_or_else(|_| unreachable!("stored"));
            let ch = (r.channel != 0).then(|| &self.channels.values[r.channel as usize - 1]);
            let money =
                (r.currency != 0).then(|| Money::new(r.amount, self.currencies.values[r.currency as usize - 1]));
            pr.add(at, &self.kinds.values[r.kind as usize], ch, money);
        }
        pr
    }

    /// Profile facts of every customer, in founding order (parallel with the `parallel`
    /// feature).
    pub fn profiles(&self) -> Vec<Profile> {
        let n = self.index().roots.len();
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            (0..n).into_par_iter().map(|p| self.profile_at(p)).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            (0..n).map(|p| self.profile_at(p)).collect()
        }
    }

    /// Conflicts in processing order.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.conflicts
            .iter()
            .map(|c| {
                let r = &self.rows[c.slot as usize];
                let anchor = self.anchor[c.slot as usize];
                let ra = self.graph.root(anchor);
                let rj = self.graph.root(c.ident);
                Conflict {
                    event_id: self.event_ids.get(c.slot).to_string(),
                    at: Timestamp::from_micros(r.at).unwrap_or_else(|_| unreachable!("stored")),
                    identity: self.identity(c.ident),
                    limit_kind: self.config.identity_rules.kinds[c.kind as usize].kind.clone(),
                    customer_id: id_string(self.id_bits(ra)),
                    other_customer_id: self.graph.is_customer(rj).then(|| id_string(self.id_bits(rj))),
                }
            })
            .collect()
    }

    /// The append-only merge log.
    pub fn merge_log(&self) -> &[MergeEntry] {
        &self.merge_log
    }

    /// Ids that now resolve to `customer_id` (merged into it), sorted.
    pub fn aliases(&self, customer_id: &str) -> Result<Vec<String>> {
        let p = self.require(customer_id)?;
        let me = id_string(self.index().ids[p]);
        let mut out: Vec<String> = self
            .index()
            .alias
            .keys()
            .filter(|&&a| self.position_bits(a) == Some(p))
            .map(|&a| id_string(a))
            .filter(|a| a != &me)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Everything the pool holds about one customer.
    pub fn export(&self, customer_id: &str) -> Result<CustomerExport> {
        let p = self.require(customer_id)?;
        let id = id_string(self.index().ids[p]);
        let aliases = self.aliases(&id)?;
        let mention = |s: &str| s == id || aliases.iter().any(|a| a == s);
        Ok(CustomerExport {
            profile: self.profile_at(p),
            events: self.slots_of(p).iter().map(|&s| self.event_at(s)).collect(),
            merge_log: self
                .merge_log
                .iter()
                .filter(|m| mention(&m.absorbed) || m.survivor.as_deref().is_some_and(mention))
                .cloned()
                .collect(),
            conflicts: self
                .conflicts()
                .into_iter()
                .filter(|c| c.customer_id == id || c.other_customer_id.as_deref() == Some(id.as_str()))
                .collect(),
            aliases,
            customer_id: id,
        })
    }

    // ------------------------------------------------------------------ changes

    /// Remove a customer: their events, their identities (also where they appear on other
    /// customers' events, e.g. as an unlinked conflict or a referrer), merge-log entries and
    /// conflicts that mention them. Nothing of theirs survives in a later snapshot. Re-ingesting
    /// the same events would bring them back: stop sending them.
    pub fn erase(&mut self, customer_id: &str) -> Result<EraseReport> {
        let p = self.require(customer_id)?;
        let id = id_string(self.index().ids[p]);
        let aliases = self.aliases(&id)?;
        let identities = self.identities_at(p);
        let root = self.index().roots[p];
        let gone_idents: std::collections::HashSet<u32> = self.graph.members(root).collect();
        let gone_events: std::collections::HashSet<u32> = self.slots_of(p).iter().copied().collect();
        let mut kept = Vec::with_capacity(self.rows.len() - gone_events.len());
        let mut kept_slots = Vec::with_capacity(kept.capacity());
        for slot in 0..self.rows.len() as u32 {
            if gone_events.contains(&slot) {
                continue;
            }
            let (mut e, nolink) = self.stored_event(slot);
            let mut mask = 0u16;
            let mut idents = Vec::new();
            let r = self.rows[slot as usize];
            for k in 0..r.ident_len as usize {
                let i = self.idents[r.ident_start as usize + k];
                if !gone_idents.contains(&i) {
                    if nolink & (1 << k) != 0 {
                        mask |= 1 << idents.len();
                    }
                    idents.push(e.identities[k].clone());
                }
            }
            if idents.is_empty() {
                continue;
            }
            e.identities = idents;
            if let Some(x) = self.extras.get(r.extra as usize) {
                if x.referrer != NONE && gone_idents.contains(&x.referrer) {
                    e.referrer = None;
                }
            }
            kept.push((e, mask));
            kept_slots.push(slot);
        }
        let mentions = |s: &str| s == id || aliases.iter().any(|a| a == s);
        let log: Vec<MergeEntry> = self
            .merge_log
            .iter()
            .filter(|m| !mentions(&m.absorbed) && !m.survivor.as_deref().is_some_and(mentions))
            .cloned()
            .collect();
        let report = EraseReport { events: gone_events.len(), identities: gone_idents.len() };
        self.reload(kept, log)?;
        self.ext.journeys.slots_kept(&kept_slots);
        let mut ids = aliases;
        ids.push(id);
        self.ext.on_erase(&ids, &identities);
        Ok(report)
    }

    /// Split an identity off its customer: on every stored event it no longer links to the
    /// event's other identities, so it becomes a customer of its own (with the events that
    /// carry only it). Later events can link it again. Returns the identity's customer id.
    pub fn unbind(&mut self, identity: &Identity) -> Result<Option<String>> {
        let n = self.normalized(identity)?;
        let i = self
            .stored_identity(&n)
            .ok_or_else(|| Error::NotFound { what: "identity".into(), id: crate::mask(&n.value) })?;
        for r in self.rows.iter_mut() {
            for k in 0..r.ident_len as usize {
                if self.idents[r.ident_start as usize + k] == i {
                    r.nolink |= 1 << k;
                }
            }
        }
        self.rebuild(MergeReason::Split);
        let root = self.graph.find(i);
        Ok(self.graph.is_customer(root).then(|| id_string(self.id_bits(root))))
    }

    /// Drop events older than `as_of − retention_days` (no-op without a retention setting) and
    /// refuse such events from now on. Returns the number of events dropped.
    pub fn apply_retention(&mut self, as_of: Timestamp) -> Result<usize> {
        let Some(days) = self.config.retention_days else {
            return Ok(0);
        };
        let horizon = as_of.plus_seconds(-(days as i64) * 86_400);
        self.retention_horizon = Some(self.retention_horizon.map_or(horizon, |h| h.max(horizon)));
        let keep: Vec<u32> =
            (0..self.rows.len() as u32).filter(|&s| self.rows[s as usize].at >= horizon.micros()).collect();
        let dropped = self.rows.len() - keep.len();
        if dropped > 0 {
            let kept = keep.iter().map(|&s| self.stored_event(s)).collect();
            let log = self.merge_log.clone();
            self.reload(kept, log)?;
            self.ext.journeys.slots_kept(&keep);
        }
        Ok(dropped)
    }

    /// The stored event and its no-link mask.
    fn stored_event(&self, slot: u32) -> (Event, u16) {
        (self.event_at(slot), self.rows[slot as usize].nolink)
    }

    /// Replace the contents with these events (already normalised) and merge log, then rebuild.
    fn reload(&mut self, events: Vec<(Event, u16)>, log: Vec<MergeEntry>) -> Result<()> {
        let mut fresh = Pool::new(self.config.clone())?;
        fresh.retention_horizon = self.retention_horizon;
        fresh.merge_log = log;
        let (mut warnings, mut staged) = (Vec::new(), ingest::Staged::default());
        for (index, (e, mask)) in events.into_iter().enumerate() {
            if let Some(slot) = ingest::store_event(&mut fresh, &e.as_borrowed(), index, &mut warnings, &mut staged)? {
                // a mask naming an identity the stored event does not have (an older snapshot
                // can say anything) would be written out and refused by the next restore
                let n = fresh.rows[slot as usize].ident_len;
                if u32::from(mask) >> n != 0 {
                    return Err(Error::Snapshot {
                        reason: format!("event {index}: no-link mask {mask:#x} for {n} identities"),
                    });
                }
                fresh.rows[slot as usize].nolink = mask;
            }
        }
        // only now that nothing can fail: the modules' state moves over
        fresh.ext = std::mem::take(&mut self.ext);
        fresh.graph.grow(&fresh.table);
        let before = std::mem::replace(self, fresh);
        // keep the ids the old graph had, so that the rebuild can log what moved
        let _ = before;
        self.rebuild(MergeReason::Split);
        Ok(())
    }
}

/// Event slots in processing ((time, id)) order. While events were stored in that order (the
/// common case: hosts send time-ordered batches) the order is just "slot 0, 1, 2 …" and takes
/// no memory; it is written out only once a batch reaches back in time.
#[derive(Debug, Clone, Default)]
struct ProcOrder {
    /// Slots `0..n` in slot order (when `explicit` is `None`).
    n: usize,
    explicit: Option<Vec<u32>>,
}

impl ProcOrder {
    fn from_vec(v: Vec<u32>) -> Self {
        if v.iter().enumerate().all(|(k, &s)| s as usize == k) {
            ProcOrder { n: v.len(), explicit: None }
        } else {
            ProcOrder { n: v.len(), explicit: Some(v) }
        }
    }

    fn len(&self) -> usize {
        self.explicit.as_ref().map_or(self.n, Vec::len)
    }

    fn get(&self, k: usize) -> u32 {
        self.explicit.as_ref().map_or(k as u32, |v| v[k])
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(move |k| self.get(k))
    }

    fn last(&self) -> Option<u32> {
        match &self.explicit {
            Some(v) => v.last().copied(),
            None => self.n.checked_sub(1).map(|k| k as u32),
        }
    }

    fn reserve(&mut self, additional: usize) {
        if let Some(v) = &mut self.explicit {
            store::grow(v, additional);
        }
    }

    fn push(&mut self, slot: u32) {
        match &mut self.explicit {
            Some(v) => v.push(slot),
            None if slot as usize == self.n => self.n += 1,
            None => {
                let mut v: Vec<u32> = (0..self.n as u32).collect();
                v.push(slot);
                self.explicit = Some(v);
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.explicit.as_ref().map_or(0, |v| v.capacity() * 4)
    }

    /// The slots in order, written out.
    fn explicit(&mut self) -> &mut Vec<u32> {
        let n = self.n;
        self.explicit.get_or_insert_with(|| (0..n as u32).collect())
    }

    /// Insert `slots` (in order) before the positions `at` (ascending, one per slot): slot
    /// `slots[k]` goes before the entry now at `at[k]`. Moves the entries once, from the back.
    fn insert_at(&mut self, slots: &[u32], at: &[usize]) {
        debug_assert_eq!(slots.len(), at.len());
        let v = self.explicit();
        let old = v.len();
        store::grow(v, slots.len());
        v.resize(old + slots.len(), 0);
        let mut end = old;
        for k in (0..slots.len()).rev() {
            let dst = at[k] + k + 1;
            v.copy_within(at[k]..end, dst);
            v[at[k] + k] = slots[k];
            end = at[k];
        }
    }
}

/// A pool shared between threads: reads run in parallel, writes are exclusive. A panic in
/// another thread while it held the lock does not make the pool unusable (the lock's poison is
/// ignored: the pool is only ever changed through methods that leave it consistent or fail
/// before changing it). The Python and Kotlin objects hold one of these.
#[derive(Debug, Default)]
pub struct SharedPool(std::sync::RwLock<Pool>);

impl SharedPool {
    /// Share a pool.
    pub fn new(pool: Pool) -> Self {
        SharedPool(std::sync::RwLock::new(pool))
    }

    /// Read access (many readers at once).
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Pool> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access (exclusive).
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Pool> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct Scratch {
    link: Vec<u32>,
    nolink: Vec<u32>,
    counts: Vec<u32>,
    other: Vec<u32>,
    /// Merges to log, in order: (event slot, survivor's label, absorbed label). Their ids are
    /// derived after the batch, when the labels' records can be fetched together.
    merges: Vec<(u32, u32, u32)>,
}

/// `c` + 20 base-32 characters.
fn id_string(bits: u128) -> String {
    let mut s = String::with_capacity(21);
    s.push('c');
    crate::hash::base32_into(bits, 100, &mut s);
    s
}

/// A customer-id argument as an error shows it: a well-formed id as it is, anything else (a
/// phone number passed by mistake) masked.
pub(crate) fn shown_customer_id(s: &str) -> String {
    if parse_id(s).is_some() {
        s.to_string()
    } else {
        crate::mask(s)
    }
}

fn parse_id(s: &str) -> Option<u128> {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let body = s.strip_prefix('c')?;
    if body.len() != 20 {
        return None;
    }
    let mut v: u128 = 0;
    for b in body.bytes() {
        let d = ALPHABET.iter().position(|&a| a == b)? as u128;
        v = (v << 5) | d;
    }
    Some(v)
}

fn rename_field(e: Error, prefix: &str) -> Error {
    match e {
        Error::InvalidField { field, value, reason } => {
            let tail = field.split_once('.').map_or(String::new(), |(_, t)| format!(".{t}"));
            Error::InvalidField { field: format!("{prefix}{tail}"), value, reason }
        }
        other => other,
    }
}

fn rejection(index: usize, e: &Error) -> Rejection {
    let (field, reason) = match e {
        Error::InvalidField { field, value, reason } => {
            let shown = if field.starts_with("identities") || field.starts_with("referrer") {
                crate::mask(value)
            } else {
                value.clone()
            };
            (field.clone(), if shown.is_empty() { reason.clone() } else { format!("{reason}: {shown:?}") })
        }
        Error::LimitExceeded { what, limit, got } => {
            (what.clone(), format!("exceeds the limit of {limit} (got {got})"))
        }
        other => (String::new(), other.to_string()),
    };
    Rejection { index, field, reason }
}

#[cfg(test)]
mod tests;
