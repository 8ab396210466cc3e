//! The `rules` snapshot section, version 1: frozen types that never change. The runtime
//! state ([`RulesState`]) is converted to and from them, so it can change shape freely; a
//! change to what the section holds is a new version here, and the old one is still read.
//!
//! Version 1 (the layout of formats 3 and 4) in order, each map as (key, value) pairs in key
//! order: segments (name, rule), tag groups (name, values with their rules), manual tags
//! (customer id → group → tag), tags on identities (identity → group → tag), attributes
//! (customer id → name → value), refresh checkpoints (segment → as-of time, members) and size
//! histories (segment → (time, size)). Rules are their versioned JSON tree as text; times are
//! microseconds since the Unix epoch.

use super::{AttrValue, Checkpoint, IdKey, RulesState, Segment, SizePoint};
use crate::error::{Error, Result};
use crate::model::{Identity, IdentityKind, Timestamp};
use crate::rules::Rule;
use crate::tag::{ManualTag, TagGroup, TagValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version this library writes (and the newest it reads).
pub(crate) const VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
pub(crate) struct RulesV1 {
    segments: Vec<(String, SegmentV1)>,
    tag_groups: Vec<(String, TagGroupV1)>,
    manual_tags: Vec<(String, Vec<(String, TagV1)>)>,
    identity_tags: Vec<(IdentV1, Vec<(String, TagV1)>)>,
    attributes: Vec<(String, Vec<(String, AttrV1)>)>,
    checkpoints: Vec<(String, CheckpointV1)>,
    sizes: Vec<(String, Vec<(i64, u64)>)>,
}

#[derive(Serialize, Deserialize)]
struct SegmentV1 {
    name: String,
    rule: String,
}

#[derive(Serialize, Deserialize)]
struct TagGroupV1 {
    name: String,
    values: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct TagV1 {
    value: String,
    set_by: String,
    set_at: i64,
}

#[derive(Serialize, Deserialize)]
struct IdentV1 {
    kind: String,
    namespace: Option<String>,
    value: String,
}

#[derive(Serialize, Deserialize)]
enum AttrV1 {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct CheckpointV1 {
    as_of: Option<i64>,
    members: Vec<String>,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted section `rules`: {what}") }
}

fn rule_v1(r: &Rule) -> Result<String> {
    serde_json::to_string(r).map_err(|e| bad(format!("a rule does not encode: {e}")))
}

fn rule_from(json: &str) -> Result<Rule> {
    Rule::from_json(json).map_err(bad)
}

fn ts(micros: i64) -> Result<Timestamp> {
    Timestamp::from_micros(micros).map_err(bad)
}

fn tags_v1(m: &BTreeMap<String, ManualTag>) -> Vec<(String, TagV1)> {
    m.iter()
        .map(|(g, t)| {
            (g.clone(), TagV1 { value: t.value.clone(), set_by: t.set_by.clone(), set_at: t.set_at.micros() })
        })
        .collect()
}

fn tags_from(v: Vec<(String, TagV1)>) -> Result<BTreeMap<String, ManualTag>> {
    map(v.into_iter().map(|(g, t)| Ok((g, ManualTag { value: t.value, set_by: t.set_by, set_at: ts(t.set_at)? }))))
}

/// A map from pairs, each key once.
fn map<K: Ord, V>(pairs: impl Iterator<Item = Result<(K, V)>>) -> Result<BTreeMap<K, V>> {
    let mut out = BTreeMap::new();
    for kv in pairs {
        let (k, v) = kv?;
        if out.insert(k, v).is_some() {
            return Err(bad("a key appears twice"));
        }
    }
    Ok(out)
}

impl RulesV1 {
    /// The frozen form of the state.
    pub(crate) fn of(st: &RulesState) -> Result<RulesV1> {
        Ok(RulesV1 {
            segments: st
                .segments
                .iter()
                .map(|(k, s)| Ok((k.clone(), SegmentV1 { name: s.name.clone(), rule: rule_v1(&s.rule)? })))
                .collect::<Result<_>>()?,
            tag_groups: st
                .tag_groups
                .iter()
                .map(|(k, g)| {
                    let values =
                        g.values.iter().map(|v| Ok((v.value.clone(), rule_v1(&v.rule)?))).collect::<Result<_>>()?;
                    Ok((k.clone(), TagGroupV1 { name: g.name.clone(), values }))
                })
                .collect::<Result<_>>()?,
            manual_tags: st.manual_tags.iter().map(|(id, m)| (id.clone(), tags_v1(m))).collect(),
            identity_tags: st
                .identity_tags
                .iter()
                .map(|(k, m)| {
                    let i = k.identity();
                    (IdentV1 { kind: i.kind.to_string(), namespace: i.namespace, value: i.value }, tags_v1(m))
                })
                .collect(),
            attributes: st
                .attributes
                .iter()
                .map(|(id, m)| {
                    let attrs = m
                        .iter()
                        .map(|(n, v)| {
                            let v = match v {
                                AttrValue::Bool(b) => AttrV1::Bool(*b),
                                AttrValue::Int(i) => AttrV1::Int(*i),
                                AttrValue::Float(x) => AttrV1::Float(*x),
                                AttrValue::Text(t) => AttrV1::Text(t.clone()),
                            };
                            (n.clone(), v)
                        })
                        .collect();
                    (id.clone(), attrs)
                })
                .collect(),
            checkpoints: st
                .checkpoints
                .iter()
                .map(|(k, c)| {
                    (k.clone(), CheckpointV1 { as_of: c.as_of.map(|t| t.micros()), members: c.members.clone() })
                })
                .collect(),
            sizes: st
                .sizes
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(|p| (p.at.micros(), p.size)).collect()))
                .collect(),
        })
    }

    /// The runtime state, every rule and time checked.
    pub(crate) fn into_state(self) -> Result<RulesState> {
        Ok(RulesState {
            segments: map(self
                .segments
                .into_iter()
                .map(|(k, s)| Ok((k, Segment { name: s.name, rule: rule_from(&s.rule)? }))))?,
            tag_groups: map(self.tag_groups.into_iter().map(|(k, g)| {
                let values =
                    g.values.into_iter().map(|(v, r)| Ok(TagValue::new(v, rule_from(&r)?))).collect::<Result<_>>()?;
                Ok((k, TagGroup::new(g.name, values)))
            }))?,
            manual_tags: map(self.manual_tags.into_iter().map(|(id, m)| Ok((id, tags_from(m)?))))?,
            identity_tags: map(self.identity_tags.into_iter().map(|(i, m)| {
                let kind = IdentityKind::parse(&i.kind).map_err(bad)?;
                let ident = Identity { kind, namespace: i.namespace, value: i.value };
                Ok((IdKey::from(&ident), tags_from(m)?))
            }))?,
            attributes: map(self.attributes.into_iter().map(|(id, m)| {
                let attrs = map(m.into_iter().map(|(n, v)| {
                    let v = match v {
                        AttrV1::Bool(b) => AttrValue::Bool(b),
                        AttrV1::Int(i) => AttrValue::Int(i),
                        AttrV1::Float(x) if x.is_finite() => AttrValue::Float(x),
                        AttrV1::Float(x) => return Err(bad(format!("attribute `{n}` is {x}"))),
                        AttrV1::Text(t) => AttrValue::Text(t),
                    };
                    Ok((n, v))
                }))?;
                Ok((id, attrs))
            }))?,
            checkpoints: map(self
                .checkpoints
                .into_iter()
                .map(|(k, c)| Ok((k, Checkpoint { as_of: c.as_of.map(ts).transpose()?, members: c.members }))))?,
            sizes: map(self.sizes.into_iter().map(|(k, v)| {
                let points =
                    v.into_iter().map(|(at, size)| Ok(SizePoint { at: ts(at)?, size })).collect::<Result<_>>()?;
                Ok((k, points))
            }))?,
        })
    }
}
