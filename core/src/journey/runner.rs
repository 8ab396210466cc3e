//! The runner: compact instance state, a time-ordered wake queue, and per-customer processing
//! of events and timers in time order.

use super::caps;
use super::consent::refused_at;
use super::def::{Anchor, Blocked, Condition, EventRule, InstanceKey, Journey, Reentry, StepKind};
use super::quiet::QuietHours;
use super::validate::END;
use super::{Action, JourneySettings};
use crate::hash::{base32, siphash13_128_parts};
use crate::model::{local_to_utc, Channel, Timestamp};
use crate::pool::{CustomerView, EventRef, Pool};
use crate::progress::{Meter, Stage};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

const NIL: u32 = u32::MAX;
const END_STEP: u16 = u16::MAX;
/// Most steps one instance runs at one instant (validation rules out loops without a wait).
const MAX_STEPS_PER_RUN: usize = 4_096;
const KEY: [u64; 2] = [0x6a6f_7572_6e65_7901, 0x6964_656d_706f_7401];

/// Instance status.
pub(crate) const RUN: u8 = 0;
pub(crate) const HOLD: u8 = 1;
pub(crate) const DEFER: u8 = 2;
pub(crate) const DONE: u8 = 3;
/// A control instance (a split's control arm or the global control group): nothing is sent,
/// it is followed until its conversion window closes.
pub(crate) const FOLLOW: u8 = 4;

/// Instance outcomes.
pub(crate) const ACTIVE: u8 = 0;
pub(crate) const FINISHED: u8 = 1;
pub(crate) const CONVERTED: u8 = 2;
pub(crate) const EXITED: u8 = 3;
pub(crate) const MERGED: u8 = 4;
pub(crate) const RESTARTED: u8 = 5;
pub(crate) const CONTROL: u8 = 6;
pub(crate) const ERASED: u8 = 7;
pub(crate) const GLOBAL_CONTROL: u8 = 8;
/// A flag on the outcome: the customer is in the global control group (kept through any
/// outcome, so results report the instance in that arm).
pub(crate) const HELD: u8 = 0x80;

/// One journey instance (48 bytes). `wake` is the next timer while active, the end time once
/// done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instance {
    pub cust: u32,
    pub origin: u32,
    pub key: u32,
    pub next: u32,
    pub journey: u16,
    pub step: u16,
    pub sends: u16,
    pub status: u8,
    pub outcome: u8,
    pub wake: i64,
    pub entered: i64,
    pub anchor: i64,
}

/// An instance that ended and whose slot a later entry of the same journey and key took over
/// (24 bytes), kept so the results count every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ended {
    pub journey: u16,
    pub outcome: u8,
    pub cust: u32,
    pub origin: u32,
    pub key: u32,
    pub entered: i64,
}

impl Ended {
    fn of(x: &Instance) -> Ended {
        Ended { journey: x.journey, outcome: x.outcome, cust: x.cust, origin: x.origin, key: x.key, entered: x.entered }
    }

    /// The entry as an ended instance (for the results).
    pub(crate) fn instance(&self, cust: u32) -> Instance {
        Instance {
            cust,
            origin: self.origin,
            key: self.key,
            next: NIL,
            journey: self.journey,
            step: END_STEP,
            sends: 0,
            status: DONE,
            outcome: self.outcome,
            wake: self.entered,
            entered: self.entered,
            anchor: self.entered,
        }
    }
}

impl crate::heap::Heap for Ended {
    fn heap(&self) -> usize {
        0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cust {
    pub id: String,
    pub first: u32,
    pub merged_into: u32,
    /// Recent sends (time, channel code), for the caps.
    pub sends: Vec<(i64, u8)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registered {
    pub json: String,
    pub since: i64,
    pub watermark: i64,
}

/// Counters per journey (and per step), kept while running (not part of the snapshot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// entered, finished, converted, exited, merged, restarted, control, erased, global
    /// control
    pub outcomes: [u64; 9],
    /// per step: visits, sent, deferred, dropped (cap or quiet hours), suppressed (consent)
    pub steps: Vec<[u64; 5]>,
}

impl crate::heap::Heap for Instance {
    fn heap(&self) -> usize {
        0
    }
}

impl crate::heap::Heap for Cust {
    fn heap(&self) -> usize {
        self.id.heap() + self.sends.heap()
    }
}

impl crate::heap::Heap for Registered {
    fn heap(&self) -> usize {
        self.json.heap()
    }
}

impl crate::heap::Heap for Counters {
    fn heap(&self) -> usize {
        self.steps.heap()
    }
}

#[derive(Debug, Clone, Default)]
struct Cache {
    ready: bool,
    defs: Vec<Journey>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    by_id: HashMap<String, u32>,
    keys: HashMap<String, u32>,
    sig: (usize, usize, usize),
    local_of_pos: Vec<u32>,
    pos_of_local: Vec<u32>,
    counters: Vec<Counters>,
    /// The `as_of` of the advance under way (timers at or before it are run at once).
    as_of: i64,
    /// Whether the customer being processed has consent events (computed on first need).
    consent: Option<bool>,
    /// The events in slots from here on arrived since the previous advance.
    seen_before: u32,
    /// What the advance under way did with late events.
    late: LateTally,
}

/// Late events met by the advance under way.
#[derive(Debug, Clone, Default)]
struct LateTally {
    events: u64,
    too_late: u64,
    last_slot: Option<u32>,
    ended: Vec<LateEnd>,
}

/// An instance that a late goal or exit event ended as of the event's time: an action sent to
/// it at or after `at` would not have been sent had the event arrived in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateEnd {
    /// The customer.
    pub customer_id: String,
    /// The journey id.
    pub journey: String,
    /// The instance key (order or subscription id) of a keyed journey.
    pub instance_key: Option<String>,
    /// The time of the late event (the instance's end).
    pub at: Timestamp,
    /// `converted` (a goal) or `exited` (an exit rule).
    pub outcome: String,
}

/// What [`Pool::advance_report`](crate::pool::Pool::advance_report) returns: the actions due and
/// what was done with events that arrived dated before the previous advance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvanceReport {
    /// The actions due, as [`Pool::advance`](crate::pool::Pool::advance) returns them.
    pub actions: Vec<Action>,
    /// Events acted on although they arrived dated before the previous advance.
    pub late_events: u64,
    /// Trigger events that arrived later than their journey's `max_lateness`: reported, not
    /// acted on.
    pub too_late_triggers: u64,
    /// Instances ended by a late goal or exit as of the event's time.
    pub ended_late: Vec<LateEnd>,
}

/// The journeys of a pool and their instances (part of the pool snapshot). Use it through
/// [`Pool::add_journey`], [`Pool::advance`] and friends.
#[derive(Debug, Clone, Default)]
pub struct JourneyState {
    pub(super) settings: JourneySettings,
    pub(super) journeys: Vec<Registered>,
    pub(super) customers: Vec<Cust>,
    pub(super) instances: Vec<Instance>,
    pub(super) keys: Vec<String>,
    pub(super) channels: Vec<Channel>,
    pub(super) merges_seen: u64,
    pub(super) processed_to: Option<i64>,
    /// Members at the last advance, per (journey, trigger) of a segment or stage trigger
    /// (sorted customer ids), to see entries that time alone does not explain.
    pub(super) entry_members: Vec<(u16, u16, Vec<String>)>,
    /// Ended instances whose slots were taken over by later entries (for the results).
    pub(super) ended: Vec<Ended>,
    /// The pool's event slots seen by the last advance (`None` before the first): the events in
    /// later slots arrived since.
    pub(super) seen_slots: Option<u32>,
    cache: Cache,
}

impl PartialEq for JourneyState {
    fn eq(&self, o: &Self) -> bool {
        self.settings == o.settings
            && self.journeys == o.journeys
            && self.customers == o.customers
            && self.instances == o.instances
            && self.keys == o.keys
            && self.channels == o.channels
            && self.merges_seen == o.merges_seen
            && self.processed_to == o.processed_to
            && self.entry_members == o.entry_members
            && self.ended == o.ended
            && self.seen_slots == o.seen_slots
    }
}

/// One instance, for inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// The customer.
    pub customer_id: String,
    /// The journey id.
    pub journey: String,
    /// The instance key (order or subscription id).
    pub instance_key: Option<String>,
    /// The current step (`end` once done).
    pub step: String,
    /// `waiting`, `holding`, `deferred`, `following` (a control instance within its
    /// conversion window) or the outcome: `finished`, `converted`, `exited`, `merged`,
    /// `restarted`, `control`, `global_control`, `erased`.
    pub status: String,
    /// The arm: the journey's first split arm assigned to the customer (whether or not the
    /// instance has reached the split yet), `global_control` for members of the global
    /// control group, `None` for a journey without a split.
    pub arm: Option<String>,
    /// When it was entered.
    pub entered_at: Timestamp,
    /// The next timer while active; the end time once done.
    pub at: Timestamp,
}

enum Sent {
    Done,
    Deferred(i64),
}

/// How an event stands for a journey (see `JourneyState::timing`).
enum Timing {
    New,
    Late,
    Seen,
}

pub(super) fn ts(t: i64) -> Timestamp {
    Timestamp::from_micros(t).unwrap_or_else(|_| {
        Timestamp::from_micros(if t < 0 { -2_208_988_800_000_000 } else { 7_258_118_400_000_000 })
            .unwrap_or_else(|_| unreachable!())
    })
}

/// Number of events at or before `t`; the ends are checked first (most calls fall there).
fn until(view: &CustomerView<'_>, t: i64) -> usize {
    let n = view.len();
    match (view.event(0), view.event(n.wrapping_sub(1))) {
        (Some(first), _) if first.at_micros() > t => 0,
        (_, Some(last)) if last.at_micros() <= t => n,
        _ => view.until(ts(t)),
    }
}

impl JourneyState {
    pub(crate) fn processed_to(&self) -> Option<i64> {
        self.processed_to
    }

    pub(crate) fn settings(&self) -> &JourneySettings {
        &self.settings
    }

    pub(crate) fn set_settings(&mut self, s: JourneySettings) {
        self.settings = s;
    }

    /// A fresh state with these settings (for simulations).
    pub(crate) fn with_settings(s: JourneySettings) -> Self {
        JourneyState { settings: s, ..Default::default() }
    }

    pub(crate) fn definitions(&self) -> Vec<Journey> {
        self.journeys.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect()
    }

    /// The counters as they stand (empty before the first advance of this pool object).
    pub(crate) fn live_counters(&self) -> &[Counters] {
        if self.cache.ready {
            &self.cache.counters
        } else {
            &[]
        }
    }

    pub(crate) fn counters(&mut self) -> &[Counters] {
        self.ensure_ready();
        &self.cache.counters
    }

    pub(crate) fn add(&mut self, j: Journey, since: i64) {
        self.remove(&j.id);
        let json = serde_json::to_string(&j).unwrap_or_default();
        self.journeys.push(Registered { json, since, watermark: since });
        self.cache.ready = false;
    }

    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.ensure_ready();
        let Some(k) = self.cache.defs.iter().position(|d| d.id == id) else { return false };
        self.journeys.remove(k);
        let k = k as u16;
        self.entry_members.retain(|e| e.0 != k);
        for e in &mut self.entry_members {
            if e.0 > k {
                e.0 -= 1;
            }
        }
        self.instances.retain(|i| i.journey != k);
        for i in &mut self.instances {
            if i.journey > k {
                i.journey -= 1;
            }
        }
        self.ended.retain(|e| e.journey != k);
        for e in &mut self.ended {
            if e.journey > k {
                e.journey -= 1;
            }
        }
        self.relink();
        self.cache.ready = false;
        true
    }

    /// Rebuild the per-customer instance lists (after instances were removed).
    fn relink(&mut self) {
        for c in &mut self.customers {
            c.first = NIL;
        }
        for idx in (0..self.instances.len()).rev() {
            let c = self.instances[idx].cust as usize;
            self.instances[idx].next = self.customers[c].first;
            self.customers[c].first = idx as u32;
        }
    }

    fn ensure_ready(&mut self) {
        if self.cache.ready {
            return;
        }
        let defs: Vec<Journey> = self.journeys.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
        let counters = defs.iter().map(|d| Counters { outcomes: [0; 9], steps: vec![[0; 5]; d.steps.len()] }).collect();
        let mut heap = BinaryHeap::new();
        for (i, x) in self.instances.iter().enumerate() {
            if x.status != DONE {
                heap.push(Reverse((x.wake, i as u32)));
            }
        }
        let by_id = self
            .customers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.merged_into == NIL && !c.id.is_empty())
            .map(|(i, c)| (c.id.clone(), i as u32))
            .collect();
        let keys = self.keys.iter().enumerate().map(|(i, k)| (k.clone(), i as u32)).collect();
        let old = std::mem::take(&mut self.cache.counters);
        self.cache = Cache {
            ready: true,
            defs,
            heap,
            by_id,
            keys,
            sig: (usize::MAX, 0, 0),
            local_of_pos: Vec::new(),
            pos_of_local: Vec::new(),
            counters: if old.len() == self.journeys.len() { old } else { counters },
            as_of: i64::MIN,
            consent: None,
            seen_before: 0,
            late: LateTally::default(),
        };
    }

    /// The earliest pending timer.
    pub(crate) fn next_wake_at(&self) -> Option<i64> {
        if self.cache.ready {
            // the heap may hold stale entries: skip them without changing it
            let mut best: Option<i64> = None;
            for Reverse((w, i)) in self.cache.heap.iter() {
                let x = &self.instances[*i as usize];
                if x.status != DONE && x.wake == *w {
                    best = Some(best.map_or(*w, |b| b.min(*w)));
                }
            }
            best
        } else {
            self.instances.iter().filter(|x| x.status != DONE).map(|x| x.wake).min()
        }
    }

    /// Instances, for inspection.
    pub(crate) fn instances_info(&mut self) -> Vec<InstanceInfo> {
        self.ensure_ready();
        self.instances
            .iter()
            .map(|x| {
                let d = &self.cache.defs[x.journey as usize];
                let status = match (x.status, x.outcome & !HELD) {
                    (RUN, _) => "waiting",
                    (HOLD, _) => "holding",
                    (DEFER, _) => "deferred",
                    (FOLLOW, _) => "following",
                    (_, FINISHED) => "finished",
                    (_, CONVERTED) => "converted",
                    (_, EXITED) => "exited",
                    (_, MERGED) => "merged",
                    (_, RESTARTED) => "restarted",
                    (_, CONTROL) => "control",
                    (_, GLOBAL_CONTROL) => "global_control",
                    _ => "erased",
                };
                let arm = self.arm_of(d, x).map(str::to_string);
                InstanceInfo {
                    customer_id: self.customers[x.cust as usize].id.clone(),
                    journey: d.id.clone(),
                    instance_key: (x.key != NIL).then(|| self.keys[x.key as usize].clone()),
                    step: if x.step == END_STEP || x.status == DONE {
                        END.to_string()
                    } else {
                        d.steps[x.step as usize].id.clone()
                    },
                    status: status.to_string(),
                    arm,
                    entered_at: ts(x.entered),
                    at: ts(x.wake),
                }
            })
            .collect()
    }

    /// Check every index and reference of a restored state (a damaged snapshot section is a
    /// [`Error::Snapshot`], never a panic later): definitions parse and validate, instances
    /// point at existing journeys, steps, customers and keys, and each customer's instance
    /// list visits its own instances once.
    pub(crate) fn validate(&self) -> crate::error::Result<()> {
        let bad =
            |what: String| crate::error::Error::Snapshot { reason: format!("corrupted section `journeys`: {what}") };
        let defs = self
            .journeys
            .iter()
            .enumerate()
            .map(|(k, r)| Journey::from_json(&r.json).map_err(|e| bad(format!("journey {k}: {e}"))))
            .collect::<crate::error::Result<Vec<_>>>()?;
        if defs.len() >= u16::MAX as usize {
            return Err(bad(format!("{} journeys", defs.len())));
        }
        let (nc, ni) = (self.customers.len(), self.instances.len());
        if nc >= NIL as usize || ni >= NIL as usize || self.keys.len() >= NIL as usize {
            return Err(bad("too many entries".into()));
        }
        for (i, x) in self.instances.iter().enumerate() {
            let Some(d) = defs.get(x.journey as usize) else {
                return Err(bad(format!("instance {i}: journey {}", x.journey)));
            };
            let step_ok = x.step == END_STEP || (x.step as usize) < d.steps.len();
            let key_ok = x.key == NIL || (x.key as usize) < self.keys.len();
            let next_ok = x.next == NIL || (x.next as usize) < ni;
            if !step_ok || !key_ok || !next_ok || x.cust as usize >= nc || x.origin as usize >= nc {
                return Err(bad(format!("instance {i}: a reference out of range")));
            }
            if x.status > FOLLOW || x.outcome & !HELD > GLOBAL_CONTROL {
                return Err(bad(format!("instance {i}: status {} / outcome {}", x.status, x.outcome)));
            }
            if x.status != DONE && x.step == END_STEP {
                return Err(bad(format!("instance {i}: active at the end step")));
            }
        }
        let mut seen = vec![false; ni];
        for (c, cu) in self.customers.iter().enumerate() {
            if cu.merged_into != NIL && (cu.merged_into as usize >= nc || cu.merged_into as usize == c) {
                return Err(bad(format!("customer {c}: merged into {}", cu.merged_into)));
            }
            let mut i = cu.first;
            while i != NIL {
                let Some(x) = self.instances.get(i as usize) else {
                    return Err(bad(format!("customer {c}: instance {i}")));
                };
                if seen[i as usize] || x.cust as usize != c {
                    return Err(bad(format!("customer {c}: instance list broken at {i}")));
                }
                seen[i as usize] = true;
                i = x.next;
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(bad(format!("instance {i} is in no customer's list")));
        }
        // merge chains end (no cycles)
        for c in 0..nc {
            let mut cur = c;
            for _ in 0..=nc {
                let m = self.customers[cur].merged_into;
                if m == NIL {
                    break;
                }
                cur = m as usize;
            }
            if self.customers[cur].merged_into != NIL {
                return Err(bad(format!("customer {c}: a cycle of merges")));
            }
        }
        for (n, e) in self.ended.iter().enumerate() {
            let key_ok = e.key == NIL || (e.key as usize) < self.keys.len();
            if (e.journey as usize) >= defs.len() || e.cust as usize >= nc || e.origin as usize >= nc || !key_ok {
                return Err(bad(format!("ended instance {n}: a reference out of range")));
            }
            if e.outcome & !HELD > GLOBAL_CONTROL || e.outcome & !HELD == ACTIVE {
                return Err(bad(format!("ended instance {n}: outcome {}", e.outcome)));
            }
        }
        for (j, k, _) in &self.entry_members {
            if defs.get(*j as usize).is_none_or(|d| *k as usize >= d.triggers.len()) {
                return Err(bad(format!("entry members of journey {j}, trigger {k}")));
            }
        }
        Ok(())
    }

    /// Heap bytes held: instances, customers and their send history, instance keys, entry
    /// memberships, settings, the run-time indexes; the parsed definitions by their encoded
    /// size.
    pub(crate) fn heap_bytes(&self) -> usize {
        use crate::heap::{encoded, Heap};
        let c = &self.cache;
        self.settings.heap()
            + self.journeys.heap()
            + self.customers.heap()
            + self.instances.heap()
            + self.keys.heap()
            + self.channels.heap()
            + self.entry_members.heap()
            + self.ended.heap()
            + c.defs.capacity() * std::mem::size_of::<Journey>()
            + encoded(&c.defs)
            + c.heap.heap()
            + c.by_id.heap()
            + c.keys.heap()
            + c.local_of_pos.heap()
            + c.pos_of_local.heap()
            + c.counters.heap()
    }

    /// Drop the state of erased customers: their instances (and the instance keys only they
    /// used: order and subscription ids), their send history, their settings and their
    /// entry memberships. Nothing of theirs stays in a later snapshot.
    pub(crate) fn on_erase(&mut self, ids: &[String]) {
        for e in &mut self.entry_members {
            e.2.retain(|x| !ids.contains(x));
        }
        self.settings.customers.retain(|id, _| !ids.contains(id));
        let gone: Vec<bool> = self.customers.iter().map(|c| !c.id.is_empty() && ids.contains(&c.id)).collect();
        if !gone.iter().any(|&g| g) {
            return;
        }
        for (c, &g) in self.customers.iter_mut().zip(&gone) {
            if g {
                c.id.clear();
                c.sends = Vec::new();
            }
        }
        self.instances.retain(|x| !gone[x.cust as usize] && !gone[x.origin as usize]);
        let survivor = |mut c: usize| {
            for _ in 0..gone.len() {
                match self.customers[c].merged_into {
                    NIL => break,
                    m => c = m as usize,
                }
            }
            c
        };
        let keep: Vec<bool> =
            self.ended.iter().map(|e| !gone[survivor(e.cust as usize)] && !gone[e.origin as usize]).collect();
        let mut k = keep.iter();
        self.ended.retain(|_| k.next().copied().unwrap_or(false));
        // keep the keys still in use, in their order
        let mut remap = vec![NIL; self.keys.len()];
        for x in &self.instances {
            if x.key != NIL {
                remap[x.key as usize] = 0;
            }
        }
        for e in &self.ended {
            if e.key != NIL {
                remap[e.key as usize] = 0;
            }
        }
        let mut keys = Vec::with_capacity(self.keys.len());
        for (k, r) in std::mem::take(&mut self.keys).into_iter().zip(remap.iter_mut()) {
            if *r != NIL {
                *r = keys.len() as u32;
                keys.push(k);
            }
        }
        self.keys = keys;
        for x in &mut self.instances {
            if x.key != NIL {
                x.key = remap[x.key as usize];
            }
        }
        for e in &mut self.ended {
            if e.key != NIL {
                e.key = remap[e.key as usize];
            }
        }
        self.relink();
        self.cache.ready = false;
    }

    // ------------------------------------------------------------------ sync with the pool

    fn sync(&mut self, pool: &Pool) {
        self.ensure_ready();
        let merges = pool.merge_log().len() as u64;
        if merges != self.merges_seen {
            self.merges_seen = merges;
            let at = pool.merge_log().last().map_or(0, |m| m.at.micros());
            self.apply_merges(pool, at);
        }
        let sig = (pool.customer_count(), pool.merge_log().len(), pool.stats().events);
        if sig != self.cache.sig {
            self.cache.sig = sig;
            let n = pool.customer_count();
            self.cache.local_of_pos = vec![NIL; n];
            self.cache.pos_of_local = vec![NIL; self.customers.len()];
            for (l, c) in self.customers.iter().enumerate() {
                if c.merged_into != NIL || c.id.is_empty() {
                    continue;
                }
                if let Some(p) = pool.position_of(&c.id) {
                    if self.cache.local_of_pos[p] == NIL {
                        self.cache.local_of_pos[p] = l as u32;
                        self.cache.pos_of_local[l] = p as u32;
                    }
                }
            }
        }
    }

    fn apply_merges(&mut self, pool: &Pool, at: i64) {
        for l in 0..self.customers.len() {
            let c = &self.customers[l];
            if c.merged_into != NIL || c.id.is_empty() {
                continue;
            }
            let Some(canon) = pool.canonical_id(&c.id) else { continue };
            if canon == c.id {
                continue;
            }
            match self.cache.by_id.get(&canon).copied() {
                Some(into) if into as usize != l => self.merge_into(l, into as usize, at),
                _ => {
                    let old = std::mem::replace(&mut self.customers[l].id, canon.clone());
                    self.cache.by_id.remove(&old);
                    self.cache.by_id.insert(canon, l as u32);
                }
            }
        }
    }

    /// Merge local customer `from` into `into`: the older of two active instances of one
    /// journey and key survives, the other exits as `merged`.
    fn merge_into(&mut self, from: usize, into: usize, at: i64) {
        let old_id = std::mem::take(&mut self.customers[from].id);
        self.cache.by_id.remove(&old_id);
        self.customers[from].id = old_id; // keep for keys of instances that began there
        self.customers[from].merged_into = into as u32;
        let mut sends = std::mem::take(&mut self.customers[from].sends);
        sends.extend_from_slice(&self.customers[into].sends);
        sends.sort_unstable();
        self.customers[into].sends = sends;
        // move the instance list
        let mut i = std::mem::replace(&mut self.customers[from].first, NIL);
        while i != NIL {
            let next = self.instances[i as usize].next;
            self.instances[i as usize].cust = into as u32;
            self.instances[i as usize].next = self.customers[into].first;
            self.customers[into].first = i;
            i = next;
        }
        // resolve duplicates
        let list = self.list(into as u32);
        for (a_pos, &a) in list.iter().enumerate() {
            for &b in &list[a_pos + 1..] {
                let (x, y) = (self.instances[a as usize], self.instances[b as usize]);
                if x.status == DONE || y.status == DONE || x.journey != y.journey || x.key != y.key {
                    continue;
                }
                let loser = if (x.entered, a) <= (y.entered, b) { b } else { a };
                let l = &mut self.instances[loser as usize];
                l.status = DONE;
                l.outcome = MERGED | (l.outcome & HELD);
                l.wake = at;
                if let Some(c) = self.cache.counters.get_mut(l.journey as usize) {
                    c.outcomes[MERGED as usize] += 1;
                }
            }
        }
    }

    fn list(&self, cust: u32) -> Vec<u32> {
        let mut v = Vec::new();
        let mut i = self.customers[cust as usize].first;
        while i != NIL {
            v.push(i);
            i = self.instances[i as usize].next;
        }
        v
    }

    fn local_for(&mut self, pos: usize, view: &CustomerView<'_>) -> u32 {
        let l = self.cache.local_of_pos[pos];
        if l != NIL {
            return l;
        }
        let id = view.id();
        let l = self.customers.len() as u32;
        self.customers.push(Cust { id: id.clone(), first: NIL, merged_into: NIL, sends: Vec::new() });
        self.cache.by_id.insert(id, l);
        self.cache.local_of_pos[pos] = l;
        self.cache.pos_of_local.push(pos as u32);
        l
    }

    fn intern_key(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.cache.keys.get(k) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k.to_string());
        self.cache.keys.insert(k.to_string(), i);
        i
    }

    // ------------------------------------------------------------------ advance

    /// The event slots of the pool were renumbered (an erasure or retention kept the events
    /// of the old slots `kept`, in order): keep pointing at the same events.
    pub(crate) fn slots_kept(&mut self, kept: &[u32]) {
        if let Some(n) = self.seen_slots {
            self.seen_slots = Some(kept.partition_point(|&s| s < n) as u32);
        }
    }

    /// Process events and timers up to `as_of` (µs): the actions due, sorted, and what was
    /// done with late events.
    pub(crate) fn advance_report(&mut self, pool: &Pool, as_of: i64) -> crate::error::Result<AdvanceReport> {
        let actions = self.advance(pool, as_of)?;
        let late = std::mem::take(&mut self.cache.late);
        Ok(AdvanceReport {
            actions,
            late_events: late.events,
            too_late_triggers: late.too_late,
            ended_late: late.ended,
        })
    }

    /// Process events and timers up to `as_of` (µs); return the actions due, sorted.
    pub(crate) fn advance(&mut self, pool: &Pool, as_of: i64) -> crate::error::Result<Vec<Action>> {
        self.advance_metered(pool, as_of, &mut Meter::default())
    }

    /// [`JourneyState::advance`], counting customers on `meter` (stage
    /// [`Stage::Journeys`]); a stop leaves the state half-advanced, so only scratch states
    /// (simulations) are metered.
    pub(crate) fn advance_metered(
        &mut self,
        pool: &Pool,
        as_of: i64,
        meter: &mut Meter<'_, '_>,
    ) -> crate::error::Result<Vec<Action>> {
        self.sync(pool);
        self.cache.as_of = as_of;
        self.cache.late = LateTally::default();
        let slots = pool.slot_count().min(u32::MAX as usize) as u32;
        self.cache.seen_before = self.seen_slots.unwrap_or(slots).min(slots);
        self.seen_slots = Some(slots);
        let mut out = Vec::new();
        if self.journeys.is_empty() {
            self.processed_to = Some(self.processed_to.map_or(as_of, |p| p.max(as_of)));
            return Ok(out);
        }
        let mut ctx = Ctx::new(pool, self);
        ctx.compile(&self.cache.defs)?;
        // customers with due timers
        let mut todo: Vec<(u32, u32, u32)> = Vec::new();
        let mut orphans: Vec<u32> = Vec::new();
        while let Some(&Reverse((w, i))) = self.cache.heap.peek() {
            if w > as_of {
                break;
            }
            self.cache.heap.pop();
            let x = &self.instances[i as usize];
            if x.status == DONE || x.wake != w {
                continue;
            }
            let p = self.cache.pos_of_local.get(x.cust as usize).copied().unwrap_or(NIL);
            if p == NIL {
                orphans.push(i);
            } else {
                todo.push((p, u32::MAX, 0));
            }
        }
        for i in orphans {
            // the customer is gone from the pool (erased): end quietly
            let x = &mut self.instances[i as usize];
            x.status = DONE;
            x.outcome = ERASED | (x.outcome & HELD);
        }
        // customers with new relevant events
        let lo = self.journeys.iter().map(|r| r.watermark).min().unwrap_or(as_of);
        if lo < as_of {
            for p in 0..pool.customer_count() {
                let Some(view) = pool.customer_at(p) else { continue };
                let b = until(&view, as_of);
                if b == 0 {
                    continue;
                }
                let a = until(&view, lo);
                if a < b {
                    todo.push((p as u32, a as u32, b as u32));
                }
            }
        }
        // customers with events that arrived since the last advance dated at or before `lo`:
        // from their earliest such event on
        let mut late_from: Vec<(u32, i64)> = Vec::new();
        for slot in self.cache.seen_before..slots {
            let at = pool.slot_at(slot);
            if at <= lo && at <= as_of {
                if let Some(p) = pool.position_of_slot(slot) {
                    late_from.push((p as u32, at));
                }
            }
        }
        late_from.sort_unstable();
        late_from.dedup_by_key(|x| x.0);
        for (p, at) in late_from {
            let Some(view) = pool.customer_at(p as usize) else { continue };
            let a = until(&view, at - 1);
            let b = until(&view, as_of);
            todo.push((p, a as u32, b as u32));
        }
        // segment and stage entries in (watermark, as_of]: (position, time, journey, trigger)
        let entries = self.entries(pool, as_of)?;
        todo.extend(entries.iter().map(|e| (e.0, u32::MAX, 0)));
        // by position; a customer listed for events and for timers is processed once, from the
        // earliest event listed
        todo.sort_unstable();
        todo.dedup_by_key(|x| x.0);
        meter.restart(Stage::Journeys, todo.len() as u64);
        for (p, a, b) in todo {
            if meter.stopped() {
                return Err(crate::Error::Cancelled { call: "simulate".into() });
            }
            let Some(view) = pool.customer_at(p as usize) else { continue };
            let (a, b) = if a == u32::MAX { (until(&view, lo), until(&view, as_of)) } else { (a as usize, b as usize) };
            let from = entries.partition_point(|e| e.0 < p);
            let to = entries.partition_point(|e| e.0 <= p);
            self.process_customer(&ctx, &view, a, b, &entries[from..to], as_of, &mut out);
            meter.tick();
        }
        if meter.finish() {
            return Err(crate::Error::Cancelled { call: "simulate".into() });
        }
        for r in &mut self.journeys {
            r.watermark = r.watermark.max(as_of);
        }
        self.processed_to = Some(self.processed_to.map_or(as_of, |p| p.max(as_of)));
        // keys are unique, so the order is total and an unstable sort is deterministic
        out.sort_unstable_by(|a, b| {
            (a.due_at, &a.customer_id, &a.journey, &a.step, &a.key).cmp(&(
                b.due_at,
                &b.customer_id,
                &b.journey,
                &b.step,
                &b.key,
            ))
        });
        Ok(out)
    }

    /// Customers entering the segments and stages of entry triggers in (watermark, as_of]:
    /// exact times from the condition language's `next_change_at`, plus changes that time
    /// alone does not explain (a host-set attribute, a redefined segment) at `as_of`.
    fn entries(&mut self, pool: &Pool, as_of: i64) -> crate::error::Result<Vec<(u32, i64, u16, u16)>> {
        let mut out = Vec::new();
        for j in 0..self.cache.defs.len() {
            for k in 0..self.cache.defs[j].triggers.len() {
                let Some(text) = self.cache.defs[j].triggers[k].entry_rule_text() else { continue };
                let from = self.journeys[j].watermark;
                if from >= as_of {
                    continue;
                }
                let c = crate::rules::Compiled::new(&crate::rules::parse(&text)?, pool)?;
                let slot = self.entry_members.iter().position(|e| e.0 as usize == j && e.1 as usize == k);
                let prev = slot.map(|s| std::mem::take(&mut self.entry_members[s].2));
                let mut now = Vec::new();
                for p in 0..pool.customer_count() {
                    let Some(view) = pool.customer_at(p) else { continue };
                    let id = view.id();
                    let mut member = match &prev {
                        Some(set) => set.binary_search(&id).is_ok(),
                        None => c.matches(pool, view, ts(from)),
                    };
                    let mut t = from;
                    for _ in 0..10_000 {
                        let Some(n) = c.next_change_at(pool, view, ts(t)).map(|x| x.micros()) else { break };
                        if n > as_of || n <= t {
                            break;
                        }
                        let m = c.matches(pool, view, ts(n));
                        if m && !member {
                            out.push((p as u32, n, j as u16, k as u16));
                        }
                        member = m;
                        t = n;
                    }
                    let m = if t == as_of { member } else { c.matches(pool, view, ts(as_of)) };
                    if m && !member {
                        out.push((p as u32, as_of, j as u16, k as u16));
                    }
                    if m {
                        now.push(id);
                    }
                }
                now.sort_unstable();
                match slot {
                    Some(s) => self.entry_members[s].2 = now,
                    None => self.entry_members.push((j as u16, k as u16, now)),
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn process_customer(
        &mut self,
        ctx: &Ctx<'_>,
        view: &CustomerView<'_>,
        ea: usize,
        eb: usize,
        enters: &[(u32, i64, u16, u16)],
        as_of: i64,
        out: &mut Vec<Action>,
    ) {
        let pos = view.position();
        let mut local = self.cache.local_of_pos[pos];
        self.cache.consent = None;
        let mut ei = ea;
        let mut ni = 0;
        loop {
            while ei < eb && view.event(ei).is_some_and(|e| !ctx.relevant[e.kind_code() as usize]) {
                ei += 1;
            }
            let ev = (ei < eb).then(|| view.event(ei)).flatten();
            let et = ev.as_ref().map_or(i64::MAX, |e| e.at_micros());
            let nt = enters.get(ni).map_or(i64::MAX, |e| e.1);
            let wake = if local == NIL { None } else { self.next_due(local, as_of) };
            let wt = wake.map_or(i64::MAX, |w| w.0);
            // at one instant: events first, then entries, then timers
            if let Some(e) = ev.filter(|_| et <= nt && et <= wt) {
                ei += 1;
                self.on_event(ctx, view, &mut local, e, out);
            } else if nt != i64::MAX && nt <= wt {
                let (_, t, j, k) = enters[ni];
                ni += 1;
                self.on_enter(ctx, view, &mut local, j as usize, k as usize, t, out);
            } else if let Some((t, i)) = wake {
                self.on_wake(ctx, view, i, t, out);
            } else {
                break;
            }
        }
    }

    /// Queue the timer of instance `i` unless this advance runs it anyway.
    fn schedule(&mut self, i: u32) {
        let w = self.instances[i as usize].wake;
        if w > self.cache.as_of {
            self.cache.heap.push(Reverse((w, i)));
        }
    }

    fn next_due(&self, local: u32, as_of: i64) -> Option<(i64, u32)> {
        let mut best: Option<(i64, u32)> = None;
        let mut i = self.customers[local as usize].first;
        while i != NIL {
            let x = &self.instances[i as usize];
            if x.status != DONE && x.wake <= as_of && best.is_none_or(|b| (x.wake, i) < b) {
                best = Some((x.wake, i));
            }
            i = x.next;
        }
        best
    }

    fn event_key(def: &Journey, e: &EventRef<'_>) -> Option<Option<String>> {
        match def.instance_key {
            InstanceKey::Customer => Some(None),
            InstanceKey::Order => e.order_id().map(|s| Some(s.to_string())),
            InstanceKey::Subscription => e.subscription().map(|s| Some(s.id.clone())),
        }
    }

    pub(super) fn rule_matches(
        &self,
        ctx: &Ctx<'_>,
        view: &CustomerView<'_>,
        rule: &EventRule,
        def: &Journey,
        inst: &Instance,
        e: &EventRef<'_>,
    ) -> bool {
        if ctx.pool.kind_code(&rule.event) != Some(e.kind_code()) {
            return false;
        }
        if rule.same_key {
            let k = Self::event_key(def, e).flatten();
            let mine = (inst.key != NIL).then(|| self.keys[inst.key as usize].as_str());
            if k.as_deref() != mine {
                return false;
            }
        }
        rule.when.as_ref().is_none_or(|c| ctx.eval(c, view, e.at_micros(), self.tier_of(ctx, inst.cust)))
    }

    fn tier_of<'s>(&'s self, ctx: &'s Ctx<'_>, cust: u32) -> Option<&'s str> {
        ctx.override_of(&self.customers[cust as usize].id).and_then(|o| o.tier.as_deref())
    }

    fn end(&mut self, i: u32, outcome: u8, t: i64) {
        let x = &mut self.instances[i as usize];
        x.status = DONE;
        x.outcome = outcome | (x.outcome & HELD);
        x.wake = t;
        self.cache.counters[x.journey as usize].outcomes[outcome as usize] += 1;
    }

    fn on_event(
        &mut self,
        ctx: &Ctx<'_>,
        view: &CustomerView<'_>,
        local: &mut u32,
        e: EventRef<'_>,
        out: &mut Vec<Action>,
    ) {
        let t = e.at_micros();
        let mut was_late = false;
        // goals, exits and holds of running instances
        if *local != NIL {
            let mut cursor = self.customers[*local as usize].first;
            while cursor != NIL {
                let i = cursor;
                let x = self.instances[i as usize];
                cursor = x.next;
                if x.status == DONE {
                    was_late |= self.late_end_of_done(ctx, view, i, &e);
                    continue;
                }
                let late = match self.timing(x.journey as usize, t, &e) {
                    Timing::Seen => continue,
                    // a late event acts on the instances that existed at its time
                    Timing::Late if x.entered >= t => continue,
                    Timing::Late => true,
                    Timing::New => false,
                };
                let what = {
                    let def = &self.cache.defs[x.journey as usize];
                    if def.goals.iter().any(|r| self.rule_matches(ctx, view, r, def, &x, &e)) {
                        Some(CONVERTED as u16)
                    } else if def.exits.iter().any(|r| self.rule_matches(ctx, view, r, def, &x, &e)) {
                        Some(EXITED as u16)
                    } else if x.status == HOLD {
                        match &def.steps[x.step as usize].kind {
                            // a late event counts when it came after the hold began
                            StepKind::Hold { timeout, .. } if late && t < x.wake - timeout.micros() => None,
                            StepKind::Hold { event, same_key, .. } => {
                                let rule = EventRule { event: event.clone(), same_key: *same_key, when: None };
                                self.rule_matches(ctx, view, &rule, def, &x, &e).then_some(1000)
                            }
                            _ => None,
                        }
                    } else {
                        None
                    }
                };
                was_late |= late && what.is_some();
                match what {
                    Some(o) if o == CONVERTED as u16 || o == EXITED as u16 => {
                        self.end(i, o as u8, t);
                        if late {
                            self.report_late_end(&x, t, o as u8);
                        }
                    }
                    Some(_) => {
                        let to = {
                            let def = &self.cache.defs[x.journey as usize];
                            match &def.steps[x.step as usize].kind {
                                StepKind::Hold { on_event, .. } => step_target(def, on_event),
                                _ => END_STEP,
                            }
                        };
                        let xm = &mut self.instances[i as usize];
                        xm.step = to;
                        xm.status = RUN;
                        self.run(ctx, view, i, t, out);
                    }
                    None => {}
                }
            }
        }
        // triggers
        for j in 0..self.cache.defs.len() {
            let late = match self.timing(j, t, &e) {
                Timing::Seen => continue,
                Timing::Late => true,
                Timing::New => false,
            };
            let found = {
                let def = &self.cache.defs[j];
                def.triggers
                    .iter()
                    .find(|tr| {
                        tr.event.as_ref().is_some_and(|k| ctx.pool.kind_code(k) == Some(e.kind_code()))
                            && tr.when.as_ref().is_none_or(|c| {
                                let id = if ctx.over.is_empty() { String::new() } else { view.id() };
                                let tier = ctx.override_of(&id).and_then(|o| o.tier.as_deref());
                                ctx.eval(c, view, t, tier)
                            })
                    })
                    .and_then(|trig| {
                        let start = trig.start.as_deref().map_or(0, |s| step_target(def, s));
                        Self::event_key(def, &e).map(|k| (k, start, def.reentry))
                    })
            };
            let Some((key, start, reentry)) = found else { continue };
            if late {
                let r = &self.journeys[j];
                let limit = r.watermark.saturating_sub(self.cache.defs[j].max_lateness_span().micros());
                if t <= r.since {
                    continue;
                }
                if t < limit {
                    self.cache.late.too_late += 1;
                    continue;
                }
                was_late = true;
            }
            let anchor = e.subscription().and_then(|s| s.expires_at).map_or(t, |x| x.micros());
            self.start(ctx, view, local, j, start, reentry, key, anchor, t, out);
        }
        if was_late && self.cache.late.last_slot != Some(e.slot()) {
            self.cache.late.last_slot = Some(e.slot());
            self.cache.late.events += 1;
        }
    }

    /// A late goal or exit dated while an instance that has since finished (or whose control
    /// window has since closed) was running: it ends as converted or exited as of the event's
    /// time after all. Returns whether it did.
    fn late_end_of_done(&mut self, ctx: &Ctx<'_>, view: &CustomerView<'_>, i: u32, e: &EventRef<'_>) -> bool {
        let x = self.instances[i as usize];
        let t = e.at_micros();
        let o = x.outcome & !HELD;
        // an event at the instant the instance ended comes first (events before timers)
        if !(x.entered < t && t <= x.wake && matches!(o, FINISHED | CONTROL | GLOBAL_CONTROL)) {
            return false;
        }
        if !matches!(self.timing(x.journey as usize, t, e), Timing::Late) {
            return false;
        }
        let def = &self.cache.defs[x.journey as usize];
        let outcome = if def.goals.iter().any(|r| self.rule_matches(ctx, view, r, def, &x, e)) {
            CONVERTED
        } else if def.exits.iter().any(|r| self.rule_matches(ctx, view, r, def, &x, e)) {
            EXITED
        } else {
            return false;
        };
        let xm = &mut self.instances[i as usize];
        xm.outcome = outcome | (x.outcome & HELD);
        xm.wake = t;
        let c = &mut self.cache.counters[x.journey as usize].outcomes;
        if o == FINISHED {
            // control assignments stay counted as such
            c[FINISHED as usize] = c[FINISHED as usize].saturating_sub(1);
        }
        c[outcome as usize] += 1;
        self.report_late_end(&x, t, outcome);
        true
    }

    /// Report that a late event ended instance `x` as of `t`.
    fn report_late_end(&mut self, x: &Instance, t: i64, outcome: u8) {
        self.cache.late.ended.push(LateEnd {
            customer_id: self.customers[x.cust as usize].id.clone(),
            journey: self.cache.defs[x.journey as usize].id.clone(),
            instance_key: (x.key != NIL).then(|| self.keys[x.key as usize].clone()),
            at: ts(t),
            outcome: if outcome == CONVERTED { "converted" } else { "exited" }.to_string(),
        });
    }

    /// How an event at `t` stands for journey `j`: after its watermark (new), before it and
    /// arrived since the last advance (late), or before it and seen by an earlier advance.
    fn timing(&self, j: usize, t: i64, e: &EventRef<'_>) -> Timing {
        if t > self.journeys[j].watermark {
            Timing::New
        } else if e.slot() >= self.cache.seen_before {
            Timing::Late
        } else {
            Timing::Seen
        }
    }

    /// A customer entered a segment or stage: the entry triggers of journey `j`.
    #[allow(clippy::too_many_arguments)]
    fn on_enter(
        &mut self,
        ctx: &Ctx<'_>,
        view: &CustomerView<'_>,
        local: &mut u32,
        j: usize,
        trig: usize,
        t: i64,
        out: &mut Vec<Action>,
    ) {
        let found = {
            let def = &self.cache.defs[j];
            let tr = &def.triggers[trig];
            let ok = tr.when.as_ref().is_none_or(|c| {
                let id = if ctx.over.is_empty() { String::new() } else { view.id() };
                let tier = ctx.override_of(&id).and_then(|o| o.tier.as_deref());
                ctx.eval(c, view, t, tier)
            });
            (ok && def.instance_key == InstanceKey::Customer)
                .then(|| (tr.start.as_deref().map_or(0, |s| step_target(def, s)), def.reentry))
        };
        if let Some((start, reentry)) = found {
            self.start(ctx, view, local, j, start, reentry, None, t, t, out);
        }
    }

    /// Start an instance of journey `j` at `start` unless the re-entry policy forbids it.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        ctx: &Ctx<'_>,
        view: &CustomerView<'_>,
        local: &mut u32,
        j: usize,
        start: u16,
        reentry: Reentry,
        key: Option<String>,
        anchor: i64,
        t: i64,
        out: &mut Vec<Action>,
    ) {
        if *local == NIL {
            *local = self.local_for(view.position(), view);
        }
        let key = key.map_or(NIL, |k| self.intern_key(&k));
        // the latest instance of this journey and key
        let mut prev: Option<u32> = None;
        let mut cursor = self.customers[*local as usize].first;
        while cursor != NIL {
            let i = cursor;
            let x = &self.instances[i as usize];
            cursor = x.next;
            if x.journey as usize == j && x.key == key {
                let better = match prev {
                    None => true,
                    Some(p) => {
                        let y = &self.instances[p as usize];
                        (x.status != DONE, x.wake) > (y.status != DONE, y.wake)
                    }
                };
                if better {
                    prev = Some(i);
                }
            }
        }
        let slot = match prev {
            Some(p) if self.instances[p as usize].status != DONE => {
                if reentry != Reentry::EveryTrigger {
                    return;
                }
                self.end(p, RESTARTED, t);
                Some(p)
            }
            Some(p) => {
                let ended = self.instances[p as usize].wake;
                let ok = match reentry {
                    Reentry::Never => false,
                    Reentry::AfterExit | Reentry::EveryTrigger => true,
                    Reentry::Cooldown { cooldown } => t - ended >= cooldown.micros(),
                };
                if !ok {
                    return;
                }
                Some(p)
            }
            None => None,
        };
        let held = self.held_out(ctx, &self.customers[*local as usize].id);
        let window = self.cache.defs[j].conversion_window_span().micros();
        let inst = Instance {
            cust: *local,
            origin: *local,
            key,
            next: NIL,
            journey: j as u16,
            step: start,
            sends: 0,
            status: if held { FOLLOW } else { RUN },
            outcome: if held { ACTIVE | HELD } else { ACTIVE },
            wake: if held { t.saturating_add(window) } else { t },
            entered: t,
            anchor,
        };
        let i = match slot {
            Some(p) => {
                // the ended instance is kept for the results
                self.ended.push(Ended::of(&self.instances[p as usize]));
                let next = self.instances[p as usize].next;
                self.instances[p as usize] = Instance { next, ..inst };
                p
            }
            None => {
                let i = self.instances.len() as u32;
                let first = self.customers[*local as usize].first;
                self.instances.push(Instance { next: first, ..inst });
                self.customers[*local as usize].first = i;
                i
            }
        };
        self.cache.counters[j].outcomes[ACTIVE as usize] += 1;
        if held {
            // nothing is sent: followed until the conversion window closes
            self.cache.counters[j].outcomes[GLOBAL_CONTROL as usize] += 1;
            self.schedule(i);
            return;
        }
        self.run(ctx, view, i, t, out);
    }

    /// Whether the customer is in the global control group.
    fn held_out(&self, ctx: &Ctx<'_>, id: &str) -> bool {
        let f = self.settings.global_control;
        if f <= 0.0 {
            return false;
        }
        let h = siphash13_128_parts(ctx.pool.config().id_key, &[b"global_control\0", id.as_bytes()]);
        ((h >> 64) as u64 as f64) < f * 18_446_744_073_709_551_616.0
    }

    /// The arm of an instance: `global_control`, else the name of the journey's first split
    /// arm drawn for the customer (the draw is deterministic, so it is the arm the instance
    /// takes or took at that split), else `None`.
    pub(crate) fn arm_of<'d>(&self, def: &'d Journey, x: &Instance) -> Option<&'d str> {
        if x.outcome & HELD != 0 {
            return Some(super::results::GLOBAL_CONTROL);
        }
        let (s, arms) = def.first_split()?;
        Some(arms[self.arm_index(def, x.origin, s, arms)].name.as_str())
    }

    /// The index of the arm the split step `s` draws for the customer `origin`.
    fn arm_index(&self, def: &Journey, origin: u32, s: usize, arms: &[super::def::Arm]) -> usize {
        let total: u64 = arms.iter().map(|a| a.weight as u64).sum();
        let mut r = self.draw(def, origin, &def.steps[s].id, b"split") % total.max(1);
        for (k, a) in arms.iter().enumerate() {
            if r < a.weight as u64 {
                return k;
            }
            r -= a.weight as u64;
        }
        arms.len() - 1
    }

    fn on_wake(&mut self, ctx: &Ctx<'_>, view: &CustomerView<'_>, i: u32, t: i64, out: &mut Vec<Action>) {
        let x = self.instances[i as usize];
        match x.status {
            HOLD => {
                let def = &self.cache.defs[x.journey as usize];
                let to = match &def.steps[x.step as usize].kind {
                    StepKind::Hold { on_timeout, .. } => step_target(def, on_timeout),
                    _ => END_STEP,
                };
                let xm = &mut self.instances[i as usize];
                xm.step = to;
                xm.status = RUN;
                self.run(ctx, view, i, t, out);
            }
            FOLLOW => {
                // the conversion window of a control instance closed
                let xm = &mut self.instances[i as usize];
                let held = xm.outcome & HELD;
                xm.status = DONE;
                xm.outcome = if held != 0 { GLOBAL_CONTROL | HELD } else { CONTROL };
                xm.wake = t;
            }
            DEFER => match self.try_send(ctx, view, i, t, out) {
                Sent::Done => {
                    let def = &self.cache.defs[x.journey as usize];
                    let xm = &mut self.instances[i as usize];
                    xm.step = next_of(def, x.step);
                    xm.status = RUN;
                    self.run(ctx, view, i, t, out);
                }
                Sent::Deferred(t2) => {
                    self.instances[i as usize].wake = t2;
                    self.schedule(i);
                }
            },
            _ => self.run(ctx, view, i, t, out),
        }
    }

    /// Execute steps of instance `i` at time `t` until it waits or ends.
    fn run(&mut self, ctx: &Ctx<'_>, view: &CustomerView<'_>, i: u32, t: i64, out: &mut Vec<Action>) {
        for _ in 0..MAX_STEPS_PER_RUN {
            let x = self.instances[i as usize];
            if x.step == END_STEP {
                self.end(i, FINISHED, t);
                return;
            }
            let j = x.journey as usize;
            let s = x.step as usize;
            self.cache.counters[j].steps[s][0] += 1;
            let def = &self.cache.defs[j];
            match &def.steps[s].kind {
                StepKind::Send { .. } => match self.try_send(ctx, view, i, t, out) {
                    Sent::Done => {
                        let def = &self.cache.defs[j];
                        self.instances[i as usize].step = next_of(def, x.step);
                    }
                    Sent::Deferred(t2) => {
                        let xm = &mut self.instances[i as usize];
                        xm.status = DEFER;
                        xm.wake = t2;
                        self.schedule(i);
                        return;
                    }
                },
                StepKind::Wait { min, max, .. } => {
                    let d = match max {
                        Some(m) if m > min => {
                            let lo = min.seconds().div_euclid(60);
                            let hi = m.seconds().div_euclid(60);
                            let h = self.draw(def, x.origin, &def.steps[s].id, b"wait");
                            ((lo + (h % (hi - lo + 1) as u64) as i64) * 60).clamp(min.seconds(), m.seconds())
                        }
                        _ => min.seconds(),
                    };
                    let next = next_of(def, x.step);
                    let xm = &mut self.instances[i as usize];
                    xm.step = next;
                    if d > 0 {
                        xm.status = RUN;
                        xm.wake = t + d * 1_000_000;
                        self.schedule(i);
                        return;
                    }
                }
                StepKind::WaitUntil { anchor, offset, at_local, .. } => {
                    let base = match anchor {
                        Anchor::Entered => x.entered,
                        Anchor::SubscriptionExpires => x.anchor,
                    };
                    let mut target = base + offset.micros();
                    if let Some(lt) = at_local {
                        let (tz, _) = ctx.zone(&self.customers[x.cust as usize].id);
                        let date = ts(target).date_in(tz);
                        let m = lt.minutes();
                        if let Some(ndt) = date.and_hms_opt(m / 60, m % 60, 0) {
                            target = local_to_utc(ndt, tz).map_or(target, |v| v.micros());
                        }
                    }
                    let next = next_of(def, x.step);
                    let xm = &mut self.instances[i as usize];
                    xm.step = next;
                    if target > t {
                        xm.status = RUN;
                        xm.wake = target;
                        self.schedule(i);
                        return;
                    }
                }
                StepKind::Hold { timeout, .. } => {
                    let xm = &mut self.instances[i as usize];
                    xm.status = HOLD;
                    xm.wake = t + timeout.micros();
                    self.schedule(i);
                    return;
                }
                StepKind::Branch { cases, otherwise } => {
                    let tier = self.tier_of(ctx, x.cust);
                    let to = cases
                        .iter()
                        .find(|c| ctx.eval(&c.when, view, t, tier))
                        .map_or_else(|| step_target(def, otherwise), |c| step_target(def, &c.goto));
                    self.instances[i as usize].step = to;
                }
                StepKind::Split { arms } => {
                    let arm = &arms[self.arm_index(def, x.origin, s, arms)];
                    match arm.goto.as_deref().map(|g| step_target(def, g)) {
                        Some(step) => self.instances[i as usize].step = step,
                        None => {
                            // a control arm: nothing is sent, the instance is followed until
                            // its conversion window closes
                            self.cache.counters[j].outcomes[CONTROL as usize] += 1;
                            let close = x.entered.saturating_add(def.conversion_window_span().micros());
                            if close <= t {
                                let xm = &mut self.instances[i as usize];
                                xm.status = DONE;
                                xm.outcome = CONTROL;
                                xm.wake = t;
                            } else {
                                let xm = &mut self.instances[i as usize];
                                xm.status = FOLLOW;
                                xm.wake = close;
                                self.schedule(i);
                            }
                            return;
                        }
                    }
                }
                StepKind::End => {
                    self.end(i, FINISHED, t);
                    return;
                }
            }
        }
        // unreachable for validated journeys; end rather than spin
        self.end(i, FINISHED, t);
    }

    fn draw(&self, def: &Journey, origin: u32, step: &str, what: &[u8]) -> u64 {
        let id = &self.customers[origin as usize].id;
        let h = siphash13_128_parts(
            [def.seed, 0x7975_7461_6e67],
            &[def.id.as_bytes(), b"\0", id.as_bytes(), b"\0", step.as_bytes(), b"\0", what],
        );
        (h >> 64) as u64
    }

    /// Try to emit the send step of instance `i` at `t`.
    fn try_send(&mut self, ctx: &Ctx<'_>, view: &CustomerView<'_>, i: u32, t: i64, out: &mut Vec<Action>) -> Sent {
        let x = self.instances[i as usize];
        let j = x.journey as usize;
        let s = x.step as usize;
        let def = &self.cache.defs[j];
        let StepKind::Send { channel, channel_by, template, offer_id, offer, .. } = &def.steps[s].kind else {
            return Sent::Done;
        };
        let cid = self.customers[x.cust as usize].id.clone();
        let tier = ctx.override_of(&cid).and_then(|o| o.tier.as_deref());
        let mut ch =
            channel_by.iter().find(|c| ctx.eval(&c.when, view, t, tier)).map_or(channel, |c| &c.channel).clone();
        let has_consent = *self.cache.consent.get_or_insert_with(|| ctx.has_consent_events(view));
        if has_consent {
            let refused = refused_at(view, t);
            if refused.contains(&ch) {
                match def.fallback_channels.iter().find(|c| !refused.contains(c)) {
                    Some(f) => ch = f.clone(),
                    None => {
                        self.cache.counters[j].steps[s][4] += 1;
                        return Sent::Done;
                    }
                }
            }
        }
        let (tz, quiet) = ctx.zone(&cid);
        let code = intern_channel(&mut self.channels, &ch);
        let def = &self.cache.defs[j];
        let codes = &self.channels;
        let code_of = |c: &Channel| codes.iter().position(|x| x == c).map(|p| p.min(254) as u8);
        let sends = &self.customers[x.cust as usize].sends;
        let mut at = Some(t);
        for _ in 0..32 {
            let Some(cur) = at else { break };
            let q = if def.quiet_hours { quiet.next_allowed(cur, tz) } else { cur };
            match caps::next_allowed(q, code, &code_of, sends, &self.settings.caps) {
                Some(c) if c == q => {
                    at = Some(q);
                    break;
                }
                other => at = other,
            }
        }
        match at {
            Some(a) if a == t => {}
            Some(a) if def.blocked == Blocked::Defer => {
                self.cache.counters[j].steps[s][2] += 1;
                return Sent::Deferred(a);
            }
            _ => {
                self.cache.counters[j].steps[s][3] += 1;
                return Sent::Done;
            }
        }
        let origin = &self.customers[x.origin as usize].id;
        let ikey = (x.key != NIL).then(|| self.keys[x.key as usize].clone());
        let h = siphash13_128_parts(
            KEY,
            &[
                def.id.as_bytes(),
                b"\0",
                origin.as_bytes(),
                b"\0",
                ikey.as_deref().unwrap_or("").as_bytes(),
                b"\0",
                &x.entered.to_le_bytes(),
                def.steps[s].id.as_bytes(),
                b"\0",
                &x.sends.to_le_bytes(),
            ],
        );
        out.push(Action {
            customer_id: cid,
            journey: def.id.clone(),
            step: def.steps[s].id.clone(),
            channel: ch,
            template: template.clone(),
            offer_id: offer_id.clone(),
            offer: *offer,
            due_at: ts(t),
            key: {
                let mut k = String::with_capacity(21);
                k.push('a');
                k.push_str(&base32(h, 100));
                k
            },
            instance_key: ikey,
        });
        self.cache.counters[j].steps[s][1] += 1;
        let longest = self.settings.caps.iter().map(|c| c.window.micros()).max().unwrap_or(0);
        let sends = &mut self.customers[x.cust as usize].sends;
        sends.retain(|&(a, _)| a > t - longest);
        // in time order (a late event's send can come before sends already made)
        let at = sends.partition_point(|&(a, _)| a <= t);
        sends.insert(at, (t, code));
        let xm = &mut self.instances[i as usize];
        xm.sends = xm.sends.saturating_add(1);
        Sent::Done
    }
}

fn intern_channel(channels: &mut Vec<Channel>, c: &Channel) -> u8 {
    if let Some(i) = channels.iter().position(|x| x == c) {
        return i.min(254) as u8;
    }
    if channels.len() < 255 {
        channels.push(c.clone());
    }
    (channels.len() - 1).min(254) as u8
}

fn step_target(def: &Journey, id: &str) -> u16 {
    if id == END {
        END_STEP
    } else {
        def.step_index(id).map_or(END_STEP, |i| i as u16)
    }
}

/// The step after `s` (its `next`, or the following one in the list, or the end).
fn next_of(def: &Journey, s: u16) -> u16 {
    let next = match &def.steps[s as usize].kind {
        StepKind::Send { next, .. } | StepKind::Wait { next, .. } | StepKind::WaitUntil { next, .. } => next,
        _ => &None,
    };
    match next {
        Some(id) => step_target(def, id),
        None if (s as usize) + 1 < def.steps.len() => s + 1,
        None => END_STEP,
    }
}

/// Per-advance context: the pool, relevant kinds, zones and per-customer overrides.
pub(crate) struct Ctx<'p> {
    pool: &'p Pool,
    relevant: [bool; 256],
    consent_kinds: [bool; 256],
    tz: Tz,
    quiet: QuietHours,
    over: HashMap<String, Override>,
    /// Compiled condition-language rules, by the address of their condition in `defs`.
    compiled: HashMap<usize, crate::rules::Compiled>,
}

struct Override {
    tz: Option<Tz>,
    quiet: Option<QuietHours>,
    tier: Option<String>,
}

impl<'p> Ctx<'p> {
    pub(super) fn new(pool: &'p Pool, st: &JourneyState) -> Self {
        let mut relevant = [false; 256];
        let mut mark = |k: &crate::model::EventKind| {
            if let Some(c) = pool.kind_code(k) {
                relevant[c as usize] = true;
            }
        };
        for d in &st.cache.defs {
            for t in &d.triggers {
                if let Some(k) = &t.event {
                    mark(k);
                }
            }
            for r in d.goals.iter().chain(&d.exits) {
                mark(&r.event);
            }
            for s in &d.steps {
                if let StepKind::Hold { event, .. } = &s.kind {
                    mark(event);
                }
            }
        }
        let mut consent_kinds = [false; 256];
        for k in [crate::model::EventKind::Consent, crate::model::EventKind::Unfollow, crate::model::EventKind::Follow]
        {
            if let Some(c) = pool.kind_code(&k) {
                consent_kinds[c as usize] = true;
            }
        }
        let tz =
            st.settings.time_zone.as_deref().and_then(|z| crate::model::parse_tz(z).ok()).unwrap_or(pool.time_zone());
        let over = st
            .settings
            .customers
            .iter()
            .map(|(id, c)| {
                let id = pool.canonical_id(id).unwrap_or_else(|| id.clone());
                let o = Override {
                    tz: c.time_zone.as_deref().and_then(|z| crate::model::parse_tz(z).ok()),
                    quiet: c.quiet_hours,
                    tier: c.tier.clone(),
                };
                (id, o)
            })
            .collect();
        Ctx { pool, relevant, consent_kinds, tz, quiet: st.settings.quiet_hours, over, compiled: HashMap::default() }
    }

    /// Compile every condition-language rule of the journeys against the pool.
    pub(super) fn compile(&mut self, defs: &[Journey]) -> crate::error::Result<()> {
        fn walk(
            c: &Condition,
            path: &str,
            out: &mut Vec<(usize, String, crate::rules::Rule)>,
        ) -> crate::error::Result<()> {
            match c {
                Condition::Rule(r) => out.push((c as *const Condition as usize, path.to_string(), r.clone())),
                Condition::RuleText(t) => {
                    out.push((c as *const Condition as usize, path.to_string(), crate::rules::parse(t)?))
                }
                Condition::Tier(name) => {
                    let r =
                        crate::rules::parse(&format!("tier == {}", serde_json::to_string(name).unwrap_or_default()))?;
                    out.push((c as *const Condition as usize, path.to_string(), r));
                }
                Condition::All(v) | Condition::Any(v) => {
                    for (k, x) in v.iter().enumerate() {
                        walk(x, &format!("{path}[{k}]"), out)?;
                    }
                }
                Condition::Not(x) => walk(x, path, out)?,
                _ => {}
            }
            Ok(())
        }
        let mut all = Vec::new();
        for d in defs {
            for (i, t) in d.triggers.iter().enumerate() {
                if let Some(c) = &t.when {
                    walk(c, &format!("{}.triggers[{i}].when", d.id), &mut all)?;
                }
            }
            for (name, rules) in [("goals", &d.goals), ("exits", &d.exits)] {
                for (i, r) in rules.iter().enumerate() {
                    if let Some(c) = &r.when {
                        walk(c, &format!("{}.{name}[{i}].when", d.id), &mut all)?;
                    }
                }
            }
            for (i, s) in d.steps.iter().enumerate() {
                match &s.kind {
                    StepKind::Send { channel_by, .. } => {
                        for (k, c) in channel_by.iter().enumerate() {
                            walk(&c.when, &format!("{}.steps[{i}].channel_by[{k}].when", d.id), &mut all)?;
                        }
                    }
                    StepKind::Branch { cases, .. } => {
                        for (k, c) in cases.iter().enumerate() {
                            walk(&c.when, &format!("{}.steps[{i}].cases[{k}].when", d.id), &mut all)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        for (addr, path, rule) in all {
            let c = crate::rules::Compiled::new(&rule, self.pool).map_err(|e| match e {
                crate::error::Error::InvalidField { field, value, reason } => {
                    crate::error::Error::InvalidField { field: format!("{path}.{field}"), value, reason }
                }
                other => other,
            })?;
            self.compiled.insert(addr, c);
        }
        Ok(())
    }

    fn override_of(&self, id: &str) -> Option<&Override> {
        if self.over.is_empty() {
            None
        } else {
            self.over.get(id)
        }
    }

    fn zone(&self, id: &str) -> (Tz, QuietHours) {
        match self.override_of(id) {
            Some(o) => (o.tz.unwrap_or(self.tz), o.quiet.unwrap_or(self.quiet)),
            None => (self.tz, self.quiet),
        }
    }

    fn rule_matches(&self, c: &Condition, view: &CustomerView<'_>, t: i64) -> bool {
        self.compiled.get(&(c as *const Condition as usize)).is_some_and(|r| r.matches(self.pool, *view, ts(t)))
    }

    fn has_consent_events(&self, view: &CustomerView<'_>) -> bool {
        view.events().any(|e| self.consent_kinds[e.kind_code() as usize])
    }

    /// Evaluate a condition for a customer at `t` (µs).
    fn eval(&self, c: &Condition, view: &CustomerView<'_>, t: i64, tier: Option<&str>) -> bool {
        match c {
            Condition::Count { event, at_least, at_most, within } => {
                let Some(code) = self.pool.kind_code(event) else {
                    return at_least.unwrap_or(0) == 0;
                };
                let end = until(view, t);
                let from = within.map_or(i64::MIN, |w| t - w.micros());
                let n = (0..end)
                    .rev()
                    .map_while(|k| view.event(k).filter(|e| e.at_micros() > from))
                    .filter(|e| e.kind_code() == code)
                    .count() as u32;
                at_least.is_none_or(|a| n >= a) && at_most.is_none_or(|b| n <= b)
            }
            Condition::Tier(name) => match tier {
                Some(t) => t == name.as_str(),
                None => self.rule_matches(c, view, t),
            },
            Condition::Rule(_) | Condition::RuleText(_) => self.rule_matches(c, view, t),
            Condition::Property { event, key, value } => {
                let Some(code) = self.pool.kind_code(event) else { return false };
                let end = until(view, t);
                (0..end)
                    .rev()
                    .filter_map(|k| view.event(k))
                    .find(|e| e.kind_code() == code)
                    .and_then(|e| e.property(key))
                    .is_some_and(|v| v == value)
            }
            Condition::All(v) => v.iter().all(|x| self.eval(x, view, t, tier)),
            Condition::Any(v) => v.iter().any(|x| self.eval(x, view, t, tier)),
            Condition::Not(x) => !self.eval(x, view, t, tier),
        }
    }
}

impl JourneyState {
    /// Active instances per journey.
    pub(crate) fn active_counts(&self) -> Vec<u64> {
        let mut v = vec![0u64; self.journeys.len()];
        for x in &self.instances {
            if x.status != DONE {
                v[x.journey as usize] += 1;
            }
        }
        v
    }
}
