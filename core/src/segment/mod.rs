//! Named segments over the pool: membership at `as_of`, the enter/exit changes between two
//! instants as timed events, sizes over time; host-set customer attributes; and the pool state
//! of the condition language (segments, tag groups, manual tags, attributes), kept in the
//! snapshot.
//!
//! ```
//! use yutang::{EventInput, Pool, parse_time};
//! use yutang::rules::parse;
//! let mut pool = Pool::default();
//! let evs: Vec<EventInput> = serde_json::from_str(r#"[
//!   {"id": "e1", "at": "2024-05-01 10:00", "kind": "order", "amount": "99", "identities": [{"kind": "phone", "value": "13800138000"}]},
//!   {"id": "e2", "at": "2024-05-01 11:00", "kind": "register", "identities": [{"kind": "phone", "value": "13900139000"}]}
//! ]"#).unwrap();
//! pool.ingest_inputs(&evs);
//! pool.define_segment("buyers_30d", parse("orders(30d) >= 1")?)?;
//! let may10 = parse_time("2024-05-10", pool.time_zone())?;
//! assert_eq!(pool.segment_members("buyers_30d", may10)?.len(), 1);
//! // thirty days after the order it leaves the segment, exactly then:
//! let changes = pool.segment_changes("buyers_30d", may10, parse_time("2024-06-30", pool.time_zone())?)?;
//! assert_eq!(changes.len(), 1);
//! assert!(!changes[0].entered);
//! assert_eq!(changes[0].at, parse_time("2024-05-31 10:00", pool.time_zone())?);
//! # Ok::<(), yutang::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::model::{Identity, Timestamp};
use crate::pool::{CustomerView, Pool};
use crate::rules::{Compiled, Explanation, Rule, SideSrc, Truth};
use crate::tag::{ManualTag, TagGroup};
use std::collections::{BTreeMap, HashMap};

pub(crate) mod section;

/// A host-set customer attribute value (`attr("city")`, or `stage` / `tier` overrides).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A string.
    Text(String),
}

impl std::fmt::Display for AttrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Float(x) => write!(f, "{x}"),
            AttrValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A named segment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// Its name.
    pub name: String,
    /// Its rule.
    pub rule: Rule,
}

/// A customer entering or leaving a segment, at the instant it happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SegmentChange {
    /// The customer.
    pub customer_id: String,
    /// The segment.
    pub segment: String,
    /// `true`: entered; `false`: left.
    pub entered: bool,
    /// When (the first instant at which the new membership holds).
    pub at: Timestamp,
}

/// The segment's size at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SizePoint {
    /// The instant.
    pub at: Timestamp,
    /// Number of members.
    pub size: u64,
}

impl crate::heap::Heap for AttrValue {
    fn heap(&self) -> usize {
        match self {
            AttrValue::Text(t) => crate::heap::alloc(t.capacity()),
            _ => 0,
        }
    }
}

impl crate::heap::Heap for SizePoint {
    fn heap(&self) -> usize {
        0
    }
}

impl crate::heap::Heap for IdKey {
    fn heap(&self) -> usize {
        self.namespace.heap() + self.value.heap() + crate::heap::encoded(&self.kind).saturating_sub(1)
    }
}

impl crate::heap::Heap for Checkpoint {
    fn heap(&self) -> usize {
        self.members.heap()
    }
}

/// A normalised identity as a map key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IdKey {
    kind: crate::model::IdentityKind,
    namespace: Option<String>,
    value: String,
}

impl From<&Identity> for IdKey {
    fn from(i: &Identity) -> Self {
        IdKey { kind: i.kind.clone(), namespace: i.namespace.clone(), value: i.value.clone() }
    }
}

impl IdKey {
    pub(crate) fn identity(&self) -> Identity {
        Identity { kind: self.kind.clone(), namespace: self.namespace.clone(), value: self.value.clone() }
    }
}

/// The last refresh of a segment (for `refresh_segment`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Checkpoint {
    pub as_of: Option<Timestamp>,
    pub members: Vec<String>,
}

/// The pool state of the condition language (one snapshot section, `rules`, written from the
/// frozen types of its `section` module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesState {
    pub(crate) segments: BTreeMap<String, Segment>,
    pub(crate) tag_groups: BTreeMap<String, TagGroup>,
    /// customer id -> group -> tag.
    pub(crate) manual_tags: BTreeMap<String, BTreeMap<String, ManualTag>>,
    /// Tags on identities (pre-tagging), normalised identity -> group -> tag.
    pub(crate) identity_tags: BTreeMap<IdKey, BTreeMap<String, ManualTag>>,
    /// customer id -> attribute -> value.
    pub(crate) attributes: BTreeMap<String, BTreeMap<String, AttrValue>>,
    pub(crate) checkpoints: BTreeMap<String, Checkpoint>,
    pub(crate) sizes: BTreeMap<String, Vec<SizePoint>>,
}

impl RulesState {
    /// Heap bytes held: manual and identity tags, attributes, checkpoint members and size
    /// history; segment and tag-group definitions by their encoded size.
    pub(crate) fn heap_bytes(&self) -> usize {
        use crate::heap::{encoded, Heap};
        encoded(&self.segments)
            + encoded(&self.tag_groups)
            + self.manual_tags.heap()
            + self.identity_tags.heap()
            + self.attributes.heap()
            + self.checkpoints.heap()
            + self.sizes.heap()
    }

    /// Drop what is held for erased customer ids and their identities (identity tags).
    pub(crate) fn on_erase(&mut self, ids: &[String], identities: &[crate::model::Identity]) {
        for id in ids {
            self.manual_tags.remove(id);
            self.attributes.remove(id);
        }
        for ident in identities {
            self.identity_tags.remove(&IdKey::from(ident));
        }
        for c in self.checkpoints.values_mut() {
            c.members.retain(|m| !ids.contains(m));
        }
    }
}

pub(crate) fn state(pool: &Pool) -> &RulesState {
    &pool.ext().rules
}

/// One customer's side data: attributes and manual tags (its own first, then those of ids
/// merged into it in sorted order, then tags on its identities; the first value of a name
/// wins).
#[derive(Debug, Clone, Default)]
pub(crate) struct Side {
    pub attrs: BTreeMap<String, AttrValue>,
    pub manual: BTreeMap<String, ManualTag>,
}

fn add_side(side: &mut Side, st: &RulesState, id: &str) {
    if let Some(a) = st.attributes.get(id) {
        for (k, v) in a {
            side.attrs.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(m) = st.manual_tags.get(id) {
        for (k, v) in m {
            side.manual.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// Side data of one customer (single-customer evaluation).
pub(crate) fn side_of(pool: &Pool, view: CustomerView<'_>) -> Side {
    let st = state(pool);
    let mut side = Side::default();
    let id = view.id();
    add_side(&mut side, st, &id);
    if !pool.merge_log().is_empty() && (!st.attributes.is_empty() || !st.manual_tags.is_empty()) {
        for alias in pool.aliases(&id).unwrap_or_default() {
            add_side(&mut side, st, &alias);
        }
    }
    if !st.identity_tags.is_empty() {
        for ident in view.identities() {
            if let Some(m) = st.identity_tags.get(&IdKey::from(&ident)) {
                for (k, v) in m {
                    side.manual.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    side
}

/// Side data of every customer that has some, by position (whole-pool evaluation).
pub(crate) fn side_index(pool: &Pool) -> HashMap<usize, Side> {
    let st = state(pool);
    let mut by_pos: HashMap<usize, Vec<(bool, &str)>> = HashMap::new();
    for id in st.attributes.keys().chain(st.manual_tags.keys()) {
        if let Some(p) = pool.position_of(id) {
            let own = pool.customer_at(p).is_some_and(|v| v.id() == *id);
            by_pos.entry(p).or_default().push((!own, id.as_str()));
        }
    }
    let mut out: HashMap<usize, Side> = HashMap::new();
    for (p, mut ids) in by_pos {
        ids.sort();
        ids.dedup();
        let side = out.entry(p).or_default();
        for (_, id) in ids {
            add_side(side, st, id);
        }
    }
    for (ident, m) in &st.identity_tags {
        if let Some(p) = pool.position_of_identity(&ident.identity()) {
            let side = out.entry(p).or_default();
            for (k, v) in m {
                side.manual.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    out
}

pub(crate) fn check_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > crate::rules::limits::MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            crate::rules::check_truncate(name, 40),
            format!("names are 1-{} bytes without control characters", crate::rules::limits::MAX_NAME_BYTES),
        ));
    }
    Ok(())
}

impl Pool {
    fn customer_or_err(&self, customer_id: &str) -> Result<CustomerView<'_>> {
        self.customer(customer_id)
    }

    /// Evaluate a compiled rule for every customer at `as_of`, in founding order (position
    /// `i` of the result is the customer at position `i`); unknown counts as `false`.
    /// Parallel over customers with the `parallel` feature.
    pub fn evaluate_compiled(&self, compiled: &Compiled, as_of: Timestamp) -> Vec<bool> {
        self.evaluate_truths(compiled, as_of).into_iter().map(Truth::matches).collect()
    }

    /// Like [`Pool::evaluate_compiled`] with the three-valued results.
    pub fn evaluate_truths(&self, compiled: &Compiled, as_of: Timestamp) -> Vec<Truth> {
        let n = self.customer_count();
        let sides = if compiled.uses.attrs || compiled.uses.manual_tags { Some(side_index(self)) } else { None };
        let tiers = if compiled.uses.tier { Some(crate::rules::attrs::tiers(self, as_of)) } else { None };
        let one = |p: usize| -> Truth {
            let Some(view) = self.customer_at(p) else { return Truth::Unknown };
            let mut cx = crate::rules::Cx::new(self, view, as_of.micros());
            cx.tiers = tiers.as_deref().and_then(Option::as_ref);
            cx.side = SideSrc::Given(sides.as_ref().and_then(|s| s.get(&p)));
            crate::rules::eval_node(&compiled.root, &mut cx)
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            (0..n).into_par_iter().with_min_len(1024).map(one).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            (0..n).map(one).collect()
        }
    }

    /// Evaluate a rule for every customer at `as_of`: `(customer id, matches)` in founding
    /// order; a rule that is unknown for a customer counts as not matching.
    ///
    /// # Errors
    /// What [`Compiled::new`] finds.
    pub fn evaluate(&self, rule: &Rule, as_of: Timestamp) -> Result<Vec<(String, bool)>> {
        let c = Compiled::new(rule, self)?;
        let r = self.evaluate_compiled(&c, as_of);
        Ok(self.customer_ids().into_iter().zip(r).collect())
    }

    /// Why a rule is (not) true for one customer at `as_of`.
    ///
    /// # Errors
    /// What [`Compiled::new`] finds; [`Error::NotFound`] for an unknown customer.
    pub fn explain(&self, rule: &Rule, customer_id: &str, as_of: Timestamp) -> Result<Explanation> {
        let c = Compiled::new(rule, self)?;
        let view = self.customer_or_err(customer_id)?;
        let mut cx = crate::rules::Cx::new(self, view, as_of.micros());
        let tiers = if c.uses.tier { Some(crate::rules::attrs::tiers(self, as_of)) } else { None };
        cx.tiers = tiers.as_deref().and_then(Option::as_ref);
        Ok(crate::rules::explain_node(&rule.root, &c.root, &mut cx))
    }

    /// When a rule's answer for one customer can next change by time alone (see
    /// [`Compiled::next_change_at`]).
    ///
    /// # Errors
    /// What [`Compiled::new`] finds; [`Error::NotFound`] for an unknown customer.
    pub fn next_change_at(&self, rule: &Rule, customer_id: &str, as_of: Timestamp) -> Result<Option<Timestamp>> {
        let c = Compiled::new(rule, self)?;
        Ok(c.next_change_at(self, self.customer_or_err(customer_id)?, as_of))
    }

    // ------------------------------------------------------------------ attributes

    /// Set a host attribute of a customer (`attr("city")`; `stage` and `tier` override the
    /// lifecycle module's values).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer; [`Error::InvalidField`] for a bad name or a
    /// non-finite float; [`Error::LimitExceeded`] for a string over 256 bytes.
    pub fn set_attribute(&mut self, customer_id: &str, name: &str, value: AttrValue) -> Result<()> {
        check_name("attribute", name)?;
        match &value {
            AttrValue::Float(x) if !x.is_finite() => {
                return Err(Error::invalid(format!("attributes.{name}"), x.to_string(), "not a finite number"))
            }
            AttrValue::Text(s) if s.len() > crate::rules::limits::MAX_STRING_BYTES => {
                return Err(Error::limit(
                    format!("attributes.{name} bytes"),
                    crate::rules::limits::MAX_STRING_BYTES,
                    s.len(),
                ))
            }
            _ => {}
        }
        let id = self.customer_or_err(customer_id)?.id();
        self.ext_mut().rules.attributes.entry(id).or_default().insert(name.to_string(), value);
        Ok(())
    }

    /// Remove a host attribute; returns whether it was set.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer.
    pub fn remove_attribute(&mut self, customer_id: &str, name: &str) -> Result<bool> {
        let id = self.customer_or_err(customer_id)?.id();
        let st = &mut self.ext_mut().rules;
        let had = st.attributes.get_mut(&id).and_then(|m| m.remove(name)).is_some();
        if st.attributes.get(&id).is_some_and(BTreeMap::is_empty) {
            st.attributes.remove(&id);
        }
        Ok(had)
    }

    /// A customer's host attributes (those set on ids merged into it included).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer.
    pub fn attributes(&self, customer_id: &str) -> Result<BTreeMap<String, AttrValue>> {
        Ok(side_of(self, self.customer_or_err(customer_id)?).attrs)
    }

    // ------------------------------------------------------------------ segments

    /// Define (or redefine) a named segment. The rule is validated and compiled against the
    /// pool (undefined segment references and reference cycles are errors).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a bad name; what [`Compiled::new`] finds.
    pub fn define_segment(&mut self, name: &str, rule: Rule) -> Result<()> {
        check_name("segment", name)?;
        let old = self
            .ext_mut()
            .rules
            .segments
            .insert(name.to_string(), Segment { name: name.to_string(), rule: rule.clone() });
        if let Err(e) = Compiled::new(&rule, self) {
            match old {
                Some(o) => self.ext_mut().rules.segments.insert(name.to_string(), o),
                None => self.ext_mut().rules.segments.remove(name),
            };
            return Err(e);
        }
        Ok(())
    }

    /// Remove a segment (with its refresh checkpoint and size history); returns whether it
    /// existed. Rules that refer to it fail to compile from then on.
    pub fn remove_segment(&mut self, name: &str) -> bool {
        let st = &mut self.ext_mut().rules;
        st.checkpoints.remove(name);
        st.sizes.remove(name);
        st.segments.remove(name).is_some()
    }

    /// The defined segments, by name.
    pub fn segments(&self) -> Vec<Segment> {
        state(self).segments.values().cloned().collect()
    }

    fn segment_rule(&self, name: &str) -> Result<Rule> {
        state(self)
            .segments
            .get(name)
            .map(|s| s.rule.clone())
            .ok_or_else(|| Error::NotFound { what: "segment".into(), id: name.to_string() })
    }

    /// The members of a segment at `as_of`, in founding order.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an undefined segment; what [`Compiled::new`] finds.
    pub fn segment_members(&self, name: &str, as_of: Timestamp) -> Result<Vec<String>> {
        let c = Compiled::new(&self.segment_rule(name)?, self)?;
        let r = self.evaluate_compiled(&c, as_of);
        Ok(self.customer_ids().into_iter().zip(r).filter(|(_, m)| *m).map(|(id, _)| id).collect())
    }

    /// The sizes of a segment at each of the given instants.
    ///
    /// # Errors
    /// As [`Pool::segment_members`].
    pub fn segment_sizes(&self, name: &str, at: &[Timestamp]) -> Result<Vec<SizePoint>> {
        let c = Compiled::new(&self.segment_rule(name)?, self)?;
        Ok(at
            .iter()
            .map(|&t| SizePoint {
                at: t,
                size: self.evaluate_compiled(&c, t).into_iter().filter(|m| *m).count() as u64,
            })
            .collect())
    }

    /// Every entry into and exit from a segment in `(from, to]`, at the instant it happened,
    /// sorted by (time, customer id), for the pool as it is now (events dated in that interval
    /// that are already ingested count at their time). A customer who enters and leaves again
    /// has both changes.
    ///
    /// # Errors
    /// As [`Pool::segment_members`]; [`Error::InvalidField`] if `to` is before `from`.
    pub fn segment_changes(&self, name: &str, from: Timestamp, to: Timestamp) -> Result<Vec<SegmentChange>> {
        let c = Compiled::new(&self.segment_rule(name)?, self)?;
        self.changes_between(&c, name, from, to)
    }

    fn changes_between(&self, c: &Compiled, name: &str, from: Timestamp, to: Timestamp) -> Result<Vec<SegmentChange>> {
        if to < from {
            return Err(Error::invalid("to", to.to_rfc3339(), "must not be before `from`"));
        }
        let sides = if c.uses.attrs || c.uses.manual_tags { Some(side_index(self)) } else { None };
        let tiers = if c.uses.tier { Some(crate::rules::attrs::tiers(self, from)) } else { None };
        let one = |p: usize| -> Vec<SegmentChange> {
            let Some(view) = self.customer_at(p) else { return Vec::new() };
            let mut cx = crate::rules::Cx::new(self, view, from.micros());
            cx.tiers = tiers.as_deref().and_then(Option::as_ref);
            cx.side = SideSrc::Given(sides.as_ref().and_then(|s| s.get(&p)));
            let mut member = crate::rules::eval_node(&c.root, &mut cx).matches();
            let mut out = Vec::new();
            let mut t = from;
            for _ in 0..10_000 {
                let Some(n) = c.next_change_at(self, view, t) else { break };
                if n > to {
                    break;
                }
                cx.at(n.micros());
                let m = crate::rules::eval_node(&c.root, &mut cx).matches();
                if m != member {
                    out.push(SegmentChange { customer_id: view.id(), segment: name.to_string(), entered: m, at: n });
                    member = m;
                }
                t = n;
            }
            out
        };
        let n = self.customer_count();
        #[cfg(feature = "parallel")]
        let mut all: Vec<SegmentChange> = {
            use rayon::prelude::*;
            (0..n).into_par_iter().with_min_len(256).flat_map_iter(one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let mut all: Vec<SegmentChange> = (0..n).flat_map(one).collect();
        all.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.customer_id.cmp(&b.customer_id)));
        Ok(all)
    }

    /// Evaluate a segment at `as_of`, record its size, and return the enter/exit changes since
    /// the previous refresh (timed exactly, as [`Pool::segment_changes`]); the first refresh
    /// reports every member as entering at `as_of`. Ingests between two refreshes are
    /// reflected: a customer whose membership changed because of new events enters or leaves
    /// at the instant it happened (customers merged away leave at `as_of`).
    ///
    /// # Errors
    /// As [`Pool::segment_members`]; [`Error::InvalidField`] if `as_of` is before the previous
    /// refresh.
    pub fn refresh_segment(&mut self, name: &str, as_of: Timestamp) -> Result<Vec<SegmentChange>> {
        let c = Compiled::new(&self.segment_rule(name)?, self)?;
        let members: Vec<String> = self
            .customer_ids()
            .into_iter()
            .zip(self.evaluate_compiled(&c, as_of))
            .filter(|(_, m)| *m)
            .map(|(id, _)| id)
            .collect();
        let prev = state(self).checkpoints.get(name).cloned().unwrap_or_default();
        let mut changes = Vec::new();
        match prev.as_of {
            None => {
                for id in &members {
                    changes.push(SegmentChange {
                        customer_id: id.clone(),
                        segment: name.into(),
                        entered: true,
                        at: as_of,
                    });
                }
            }
            Some(p) => {
                if as_of < p {
                    return Err(Error::invalid("as_of", as_of.to_rfc3339(), "is before the previous refresh"));
                }
                // exact times from the timelines, replayed from the recorded members (the pool may
                // have changed in between: late events, merges); what still differs at the end is
                // settled at `as_of`
                let timed = self.changes_between(&c, name, p, as_of)?;
                let mut per: BTreeMap<&str, Vec<&SegmentChange>> = BTreeMap::new();
                for ch in &timed {
                    per.entry(ch.customer_id.as_str()).or_default().push(ch);
                }
                let was: std::collections::BTreeSet<&str> = prev.members.iter().map(String::as_str).collect();
                let now: std::collections::BTreeSet<&str> = members.iter().map(String::as_str).collect();
                let ids: std::collections::BTreeSet<&str> =
                    was.iter().chain(now.iter()).chain(per.keys()).copied().collect();
                for id in ids {
                    let mut state = was.contains(id);
                    for ch in per.get(id).map(Vec::as_slice).unwrap_or_default() {
                        if ch.entered != state {
                            changes.push((*ch).clone());
                            state = ch.entered;
                        }
                    }
                    if state != now.contains(id) {
                        changes.push(SegmentChange {
                            customer_id: id.to_string(),
                            segment: name.into(),
                            entered: !state,
                            at: as_of,
                        });
                    }
                }
                changes.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.customer_id.cmp(&b.customer_id)));
            }
        }
        let size = members.len() as u64;
        let st = &mut self.ext_mut().rules;
        st.checkpoints.insert(name.to_string(), Checkpoint { as_of: Some(as_of), members });
        st.sizes.entry(name.to_string()).or_default().push(SizePoint { at: as_of, size });
        Ok(changes)
    }

    /// The sizes recorded by [`Pool::refresh_segment`], oldest first.
    pub fn segment_size_history(&self, name: &str) -> Vec<SizePoint> {
        state(self).sizes.get(name).cloned().unwrap_or_default()
    }
}
