//! Tags: rule tag groups with ordered values decided first-match, manual tags set by staff
//! (kept apart, with who set them and when), and tags on identities before their customer
//! exists (pre-tagging by phone or unionid), which follow the identity once it appears.
//!
//! ```
//! use yutang::{EventInput, Pool, parse_time};
//! use yutang::rules::parse;
//! use yutang::tag::{TagGroup, TagValue};
//! let mut pool = Pool::default();
//! let evs: Vec<EventInput> = serde_json::from_str(r#"[
//!   {"id": "e1", "at": "2024-05-01 10:00", "kind": "order", "amount": "1200", "identities": [{"kind": "phone", "value": "13800138000"}]}
//! ]"#).unwrap();
//! pool.ingest_inputs(&evs);
//! let warnings = pool.define_tag_group(TagGroup::new("value_level", vec![
//!     TagValue::new("high", parse("spend(365d) >= 1000")?),
//!     TagValue::new("mid", parse("spend(365d) >= 200")?),
//!     TagValue::new("top", parse("spend(365d) >= 5000")?),   // never reached: `high` takes it
//!     TagValue::new("low", parse("true")?),
//! ]))?;
//! assert_eq!(warnings.len(), 2); // `mid` overlaps `high` (informational); `top` is unreachable
//! let id = pool.customer_ids()[0].clone();
//! let tags = pool.tags(&id, Some(parse_time("2024-05-10", pool.time_zone())?))?;
//! assert_eq!(tags[0].value, "high");
//! # Ok::<(), yutang::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::model::{Identity, Timestamp};
use crate::pool::Pool;
use crate::rules::{Cmp, Compiled, Node, Rule, Value};
use std::collections::BTreeMap;

/// Most values in one tag group.
pub const MAX_TAG_VALUES: usize = 64;

/// One value of a tag group and the rule that gives it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TagValue {
    /// The value (`high`).
    pub value: String,
    /// When it applies (`true` for "otherwise").
    pub rule: Rule,
}

impl TagValue {
    /// A value and its rule.
    pub fn new(value: impl Into<String>, rule: Rule) -> Self {
        TagValue { value: value.into(), rule }
    }
}

/// A rule tag group: ordered values, the first whose rule is true wins (unknown counts as not
/// true); a customer matched by none has no value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TagGroup {
    /// The group name (`value_level`).
    pub name: String,
    /// The values in decision order.
    pub values: Vec<TagValue>,
}

impl TagGroup {
    /// A group.
    pub fn new(name: impl Into<String>, values: Vec<TagValue>) -> Self {
        TagGroup { name: name.into(), values }
    }
}

/// A tag set by staff (or on an identity).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManualTag {
    /// The value.
    pub value: String,
    /// Who set it.
    pub set_by: String,
    /// When it was set (it applies from then on).
    pub set_at: Timestamp,
}

impl crate::heap::Heap for ManualTag {
    fn heap(&self) -> usize {
        crate::heap::alloc(self.value.capacity()) + crate::heap::alloc(self.set_by.capacity())
    }
}

/// What a warning about a tag group says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagWarningKind {
    /// Every customer the value's rule matches is taken by an earlier value.
    Unreachable,
    /// Some customers the value's rule matches are taken by an earlier value (usual in tiers;
    /// informational).
    Overlap,
}

/// A warning about a tag group, where it can be decided from the rules alone (identical rules,
/// an earlier `true`, numeric thresholds on the same value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagWarning {
    /// The value warned about.
    pub value: String,
    /// What.
    pub kind: TagWarningKind,
    /// The earlier value that takes its customers.
    pub earlier: String,
}

/// Where a customer's tag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagSource {
    /// A rule tag group.
    Rule,
    /// Set by staff on the customer.
    Manual,
    /// Set on one of the customer's identities (pre-tagging).
    Identity,
}

/// One tag of a customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagAssignment {
    /// The group.
    pub group: String,
    /// The value.
    pub value: String,
    /// Where it comes from.
    pub source: TagSource,
    /// Who set it (manual and identity tags).
    pub set_by: Option<String>,
    /// When it was set (manual and identity tags).
    pub set_at: Option<Timestamp>,
}

/// A half-line or segment of numbers, for deciding overlaps.
#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: f64,
    lo_in: bool,
    hi: f64,
    hi_in: bool,
}

impl Interval {
    fn of(cmp: Cmp, x: f64) -> Option<Interval> {
        let inf = f64::INFINITY;
        Some(match cmp {
            Cmp::Eq => Interval { lo: x, lo_in: true, hi: x, hi_in: true },
            Cmp::Ge => Interval { lo: x, lo_in: true, hi: inf, hi_in: false },
            Cmp::Gt => Interval { lo: x, lo_in: false, hi: inf, hi_in: false },
            Cmp::Le => Interval { lo: -inf, lo_in: false, hi: x, hi_in: true },
            Cmp::Lt => Interval { lo: -inf, lo_in: false, hi: x, hi_in: false },
            Cmp::Ne | Cmp::In => return None,
        })
    }

    fn intersect(self, o: Interval) -> Interval {
        let (lo, lo_in) = if self.lo > o.lo {
            (self.lo, self.lo_in)
        } else if o.lo > self.lo {
            (o.lo, o.lo_in)
        } else {
            (self.lo, self.lo_in && o.lo_in)
        };
        let (hi, hi_in) = if self.hi < o.hi {
            (self.hi, self.hi_in)
        } else if o.hi < self.hi {
            (o.hi, o.hi_in)
        } else {
            (self.hi, self.hi_in && o.hi_in)
        };
        Interval { lo, lo_in, hi, hi_in }
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_in && self.hi_in))
    }

    fn within(self, o: Interval) -> bool {
        let lo_ok = self.lo > o.lo || (self.lo == o.lo && (o.lo_in || !self.lo_in));
        let hi_ok = self.hi < o.hi || (self.hi == o.hi && (o.hi_in || !self.hi_in));
        self.is_empty() || (lo_ok && hi_ok)
    }
}

/// A rule as numeric constraints per operand (`None`: not decidable this way).
fn constraints(n: &Node) -> Option<BTreeMap<String, Interval>> {
    let mut out: BTreeMap<String, Interval> = BTreeMap::new();
    let mut add = |n: &Node| -> Option<()> {
        match n {
            Node::Const { value: true } => Some(()),
            Node::Compare { left, cmp, right } => {
                let x = match right {
                    Value::Number(x) => *x,
                    Value::Money(m) => m.amount,
                    Value::Duration(d) => d.duration.seconds() as f64,
                    _ => return None,
                };
                let key = crate::rules::node_text(&Node::Missing { operand: left.clone() });
                let iv = Interval::of(*cmp, x)?;
                let e = out.entry(key).or_insert(Interval {
                    lo: f64::NEG_INFINITY,
                    lo_in: false,
                    hi: f64::INFINITY,
                    hi_in: false,
                });
                *e = e.intersect(iv);
                Some(())
            }
            _ => None,
        }
    };
    match n {
        Node::And { args } => {
            for a in args {
                add(a)?;
            }
        }
        other => add(other)?,
    }
    Some(out)
}

fn warnings(g: &TagGroup) -> Vec<TagWarning> {
    let mut out = Vec::new();
    let cons: Vec<Option<BTreeMap<String, Interval>>> = g.values.iter().map(|v| constraints(&v.rule.root)).collect();
    'values: for (j, vj) in g.values.iter().enumerate() {
        let mut overlap: Option<&str> = None;
        for (i, vi) in g.values[..j].iter().enumerate() {
            if vi.rule.root == vj.rule.root {
                out.push(TagWarning {
                    value: vj.value.clone(),
                    kind: TagWarningKind::Unreachable,
                    earlier: vi.value.clone(),
                });
                continue 'values;
            }
            let (Some(ci), Some(cj)) = (&cons[i], &cons[j]) else { continue };
            // j's set within i's: every constraint of i holds on j's set
            let subset = ci.iter().all(|(k, ii)| cj.get(k).is_some_and(|ij| ij.within(*ii)));
            if subset {
                out.push(TagWarning {
                    value: vj.value.clone(),
                    kind: TagWarningKind::Unreachable,
                    earlier: vi.value.clone(),
                });
                continue 'values;
            }
            let meets = ci.iter().all(|(k, ii)| cj.get(k).is_none_or(|ij| !ii.intersect(*ij).is_empty()));
            let catch_all = vj.rule.root == Node::Const { value: true };
            if meets && !catch_all && overlap.is_none() && cj.values().all(|x| !x.is_empty()) {
                overlap = Some(&vi.value);
            }
        }
        if let Some(e) = overlap {
            out.push(TagWarning { value: vj.value.clone(), kind: TagWarningKind::Overlap, earlier: e.to_string() });
        }
    }
    out
}

fn check_tag(field: &str, s: &str) -> Result<()> {
    crate::segment::check_name(field, s)
}

impl Pool {
    /// Define (or redefine) a rule tag group. Returns warnings for values that can never be
    /// reached or overlap an earlier one, where that can be decided from the rules.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for bad or repeated names, no values, or a reference cycle;
    /// [`Error::LimitExceeded`] for more than [`MAX_TAG_VALUES`] values; what
    /// [`Compiled::new`] finds in each value's rule (field `values[i].rule` …).
    pub fn define_tag_group(&mut self, group: TagGroup) -> Result<Vec<TagWarning>> {
        check_tag("tag_group", &group.name)?;
        if group.values.is_empty() {
            return Err(Error::invalid("values", "", "a tag group needs at least one value"));
        }
        if group.values.len() > MAX_TAG_VALUES {
            return Err(Error::limit("values", MAX_TAG_VALUES, group.values.len()));
        }
        for (i, v) in group.values.iter().enumerate() {
            check_tag(&format!("values[{i}].value"), &v.value)?;
            if group.values[..i].iter().any(|w| w.value == v.value) {
                return Err(Error::invalid(format!("values[{i}].value"), &v.value, "repeated value"));
            }
        }
        let name = group.name.clone();
        let ws = warnings(&group);
        let old = self.ext_mut().rules.tag_groups.insert(name.clone(), group.clone());
        let checked = group.values.iter().enumerate().try_for_each(|(i, v)| {
            Compiled::new(&v.rule, self).map(|_| ()).map_err(|e| match e {
                Error::InvalidField { field, value, reason } => {
                    Error::InvalidField { field: format!("values[{i}].rule.{field}"), value, reason }
                }
                o => o,
            })
        });
        if let Err(e) = checked {
            match old {
                Some(o) => self.ext_mut().rules.tag_groups.insert(name, o),
                None => self.ext_mut().rules.tag_groups.remove(&name),
            };
            return Err(e);
        }
        Ok(ws)
    }

    /// Remove a rule tag group; returns whether it existed.
    pub fn remove_tag_group(&mut self, name: &str) -> bool {
        self.ext_mut().rules.tag_groups.remove(name).is_some()
    }

    /// The rule tag groups, by name.
    pub fn tag_groups(&self) -> Vec<TagGroup> {
        crate::segment::state(self).tag_groups.values().cloned().collect()
    }

    /// Set a manual tag on a customer (replacing the group's earlier manual value). It applies
    /// from `at` on. A group that is also a rule tag group is decided by its rules in
    /// conditions; the manual tag is still listed by [`Pool::tags`].
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer; [`Error::InvalidField`] for bad names.
    pub fn set_manual_tag(
        &mut self,
        customer_id: &str,
        group: &str,
        value: &str,
        set_by: &str,
        at: Timestamp,
    ) -> Result<()> {
        let tag = manual_tag(group, value, set_by, at)?;
        let id = self.customer(customer_id)?.id();
        self.ext_mut().rules.manual_tags.entry(id).or_default().insert(group.to_string(), tag);
        Ok(())
    }

    /// Remove a customer's manual tag of a group; returns whether there was one.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer.
    pub fn remove_manual_tag(&mut self, customer_id: &str, group: &str) -> Result<bool> {
        let id = self.customer(customer_id)?.id();
        Ok(remove_tag(&mut self.ext_mut().rules.manual_tags, &id, group))
    }

    /// Tag an identity (a phone number, a unionid …), whether or not a customer has it yet;
    /// the tag follows the identity to whichever customer holds it. The identity is normalised
    /// as on ingestion.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for bad names or an identity that normalises to nothing.
    pub fn tag_identity(
        &mut self,
        identity: &Identity,
        group: &str,
        value: &str,
        set_by: &str,
        at: Timestamp,
    ) -> Result<()> {
        let tag = manual_tag(group, value, set_by, at)?;
        let n = crate::segment::IdKey::from(&self.normalized(identity)?);
        self.ext_mut().rules.identity_tags.entry(n).or_default().insert(group.to_string(), tag);
        Ok(())
    }

    /// Remove an identity's tag of a group; returns whether there was one.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for an identity that normalises to nothing.
    pub fn remove_identity_tag(&mut self, identity: &Identity, group: &str) -> Result<bool> {
        let n = crate::segment::IdKey::from(&self.normalized(identity)?);
        Ok(remove_tag(&mut self.ext_mut().rules.identity_tags, &n, group))
    }

    /// `identity` normalised as on ingestion; junk is an error naming the (masked) value.
    pub(crate) fn normalized(&self, identity: &Identity) -> Result<Identity> {
        match self.config().identity_rules.normalize(identity)? {
            Ok(n) => Ok(n),
            Err(why) => Err(Error::invalid("identity.value", crate::mask(&identity.value), why)),
        }
    }

    /// A customer's tags: rule tag groups evaluated at `as_of` (skipped when `as_of` is
    /// `None`), manual tags and identity tags set at or before `as_of` (all when `None`).
    /// Sorted by (group, source).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer; what [`Compiled::new`] finds in a group.
    pub fn tags(&self, customer_id: &str, as_of: Option<Timestamp>) -> Result<Vec<crate::tag::TagAssignment>> {
        let view = self.customer(customer_id)?;
        let st = crate::segment::state(self);
        let mut out = Vec::new();
        if let Some(t) = as_of {
            for g in st.tag_groups.values() {
                let op = crate::rules::Operand::Tag { group: g.name.clone() };
                let rule = Rule::new(Node::Missing { operand: op.clone() });
                let c = Compiled::new(&rule, self)?;
                let mut cx = crate::rules::Cx::new(self, view, t.micros());
                if let crate::rules::CNode::Missing(cop) = &c.root {
                    if let crate::rules::eval::V::Text(v) = crate::rules::eval::operand(cop, &mut cx) {
                        out.push(TagAssignment {
                            group: g.name.clone(),
                            value: v,
                            source: TagSource::Rule,
                            set_by: None,
                            set_at: None,
                        });
                    }
                }
            }
        }
        let visible = |m: &ManualTag| as_of.is_none_or(|t| m.set_at <= t);
        let id = view.id();
        let mut ids = vec![id.clone()];
        if !self.merge_log().is_empty() {
            ids.extend(self.aliases(&id)?);
        }
        let mut seen: std::collections::BTreeSet<String> = Default::default();
        for i in &ids {
            if let Some(m) = st.manual_tags.get(i) {
                for (g, t) in m {
                    if visible(t) && seen.insert(g.clone()) {
                        out.push(TagAssignment {
                            group: g.clone(),
                            value: t.value.clone(),
                            source: TagSource::Manual,
                            set_by: Some(t.set_by.clone()),
                            set_at: Some(t.set_at),
                        });
                    }
                }
            }
        }
        if !st.identity_tags.is_empty() {
            for ident in view.identities() {
                if let Some(m) = st.identity_tags.get(&crate::segment::IdKey::from(&ident)) {
                    for (g, t) in m {
                        if visible(t) && seen.insert(g.clone()) {
                            out.push(TagAssignment {
                                group: g.clone(),
                                value: t.value.clone(),
                                source: TagSource::Identity,
                                set_by: Some(t.set_by.clone()),
                                set_at: Some(t.set_at),
                            });
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| a.group.cmp(&b.group).then_with(|| (a.source as u8).cmp(&(b.source as u8))));
        Ok(out)
    }
}

/// A manual tag with its names checked (customer and identity tags alike).
fn manual_tag(group: &str, value: &str, set_by: &str, at: Timestamp) -> Result<ManualTag> {
    check_tag("group", group)?;
    check_tag("value", value)?;
    check_tag("set_by", set_by)?;
    Ok(ManualTag { value: value.to_string(), set_by: set_by.to_string(), set_at: at })
}

/// Remove `key`'s tag of `group` (dropping `key`'s entry once it has none); whether there was one.
fn remove_tag<K: Ord>(tags: &mut BTreeMap<K, BTreeMap<String, ManualTag>>, key: &K, group: &str) -> bool {
    let had = tags.get_mut(key).and_then(|m| m.remove(group)).is_some();
    if tags.get(key).is_some_and(BTreeMap::is_empty) {
        tags.remove(key);
    }
    had
}
