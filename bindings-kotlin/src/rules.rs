//! Kotlin/Swift bindings for the condition language, tags and segments: free functions for
//! rule text <-> JSON tree, and `Pool` methods in a second export block. A `rule` argument is
//! rule text or the JSON tree (text starting with `{`); times are ISO-8601 strings.

use crate::errors::YutangError;
use crate::pool::{IdentityRecord, Pool};
use yutang::rules::{parse, to_text, Rule};
use yutang::segment::AttrValue;
use yutang::tag::{TagGroup, TagValue};

fn rule_arg(rule: &str) -> Result<Rule, YutangError> {
    Ok(if rule.trim_start().starts_with('{') { Rule::from_json(rule)? } else { parse(rule)? })
}

fn other(e: impl std::fmt::Display) -> YutangError {
    YutangError::Other { detail: e.to_string() }
}

fn time(pool: &yutang::Pool, s: &str, field: &str) -> Result<yutang::Timestamp, YutangError> {
    yutang::parse_time(s, pool.time_zone()).map_err(|e| match e {
        yutang::Error::InvalidField { value, reason, .. } => {
            YutangError::InvalidField { field: field.to_string(), value, reason }
        }
        o => o.into(),
    })
}

/// Parse rule text into its JSON tree.
#[uniffi::export]
pub fn parse_rule(text: String) -> Result<String, YutangError> {
    serde_json::to_string(&parse(&text)?).map_err(other)
}

/// The canonical text of a rule given as its JSON tree (or as text, which is normalised).
#[uniffi::export]
pub fn rule_to_text(rule: String) -> Result<String, YutangError> {
    Ok(to_text(&rule_arg(&rule)?))
}

/// One customer's result (unknown counts as `false`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RuleResultRecord {
    pub customer_id: String,
    pub result: bool,
}

/// One node of an explanation, in pre-order; `depth` 0 is the rule itself. `result` is
/// "true", "false" or "unknown".
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExplanationRecord {
    pub depth: u32,
    pub node: String,
    pub result: String,
    pub value: Option<String>,
    pub events: Vec<String>,
    pub detail: String,
}

/// A customer entering (`entered`) or leaving a segment at `at`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SegmentChangeRecord {
    pub customer_id: String,
    pub segment: String,
    pub entered: bool,
    pub at: String,
}

/// A segment's size at an instant.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SegmentSizeRecord {
    pub at: String,
    pub size: u64,
}

/// One value of a tag group: the value and its rule (text or JSON tree).
#[derive(Debug, Clone, uniffi::Record)]
pub struct TagValueRecord {
    pub value: String,
    pub rule: String,
}

/// A warning about a tag group: `kind` is "unreachable" or "overlap".
#[derive(Debug, Clone, uniffi::Record)]
pub struct TagWarningRecord {
    pub value: String,
    pub kind: String,
    pub earlier: String,
}

/// One tag of a customer: `source` is "rule", "manual" or "identity".
#[derive(Debug, Clone, uniffi::Record)]
pub struct TagRecord {
    pub group: String,
    pub value: String,
    pub source: String,
    pub set_by: Option<String>,
    pub set_at: Option<String>,
}

/// A host attribute value.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum AttrValueRecord {
    Bool { value: bool },
    Int { value: i64 },
    Float { value: f64 },
    Text { value: String },
}

impl From<AttrValueRecord> for AttrValue {
    fn from(v: AttrValueRecord) -> Self {
        match v {
            AttrValueRecord::Bool { value } => AttrValue::Bool(value),
            AttrValueRecord::Int { value } => AttrValue::Int(value),
            AttrValueRecord::Float { value } => AttrValue::Float(value),
            AttrValueRecord::Text { value } => AttrValue::Text(value),
        }
    }
}

impl From<AttrValue> for AttrValueRecord {
    fn from(v: AttrValue) -> Self {
        match v {
            AttrValue::Bool(value) => AttrValueRecord::Bool { value },
            AttrValue::Int(value) => AttrValueRecord::Int { value },
            AttrValue::Float(value) => AttrValueRecord::Float { value },
            AttrValue::Text(value) => AttrValueRecord::Text { value },
        }
    }
}

fn flatten(e: &yutang::rules::Explanation, depth: u32, out: &mut Vec<ExplanationRecord>) {
    out.push(ExplanationRecord {
        depth,
        node: e.node.clone(),
        result: e.result.as_str().to_string(),
        value: e.value.clone(),
        events: e.events.clone(),
        detail: e.detail.clone(),
    });
    for c in &e.children {
        flatten(c, depth + 1, out);
    }
}

fn change(c: yutang::segment::SegmentChange) -> SegmentChangeRecord {
    SegmentChangeRecord { customer_id: c.customer_id, segment: c.segment, entered: c.entered, at: c.at.to_rfc3339() }
}

fn to_identity(r: &IdentityRecord) -> Result<yutang::Identity, YutangError> {
    Ok(yutang::Identity {
        kind: yutang::IdentityKind::parse(&r.kind)?,
        namespace: r.namespace.clone(),
        value: r.value.clone(),
    })
}

fn warning_kind(k: yutang::tag::TagWarningKind) -> String {
    match k {
        yutang::tag::TagWarningKind::Unreachable => "unreachable",
        yutang::tag::TagWarningKind::Overlap => "overlap",
    }
    .to_string()
}

fn source(s: yutang::tag::TagSource) -> String {
    match s {
        yutang::tag::TagSource::Rule => "rule",
        yutang::tag::TagSource::Manual => "manual",
        yutang::tag::TagSource::Identity => "identity",
    }
    .to_string()
}

#[uniffi::export]
impl Pool {
    /// Evaluate a rule for every customer at `as_of`, in founding order.
    pub fn evaluate(&self, rule: String, as_of: String) -> Result<Vec<RuleResultRecord>, YutangError> {
        let pool = self.read();
        let r = pool.evaluate(&rule_arg(&rule)?, time(&pool, &as_of, "as_of")?)?;
        Ok(r.into_iter().map(|(customer_id, result)| RuleResultRecord { customer_id, result }).collect())
    }

    /// Why a rule is (not) true for one customer: every node, pre-order.
    pub fn explain(
        &self,
        rule: String,
        customer_id: String,
        as_of: String,
    ) -> Result<Vec<ExplanationRecord>, YutangError> {
        let pool = self.read();
        let e = pool.explain(&rule_arg(&rule)?, &customer_id, time(&pool, &as_of, "as_of")?)?;
        let mut out = Vec::new();
        flatten(&e, 0, &mut out);
        Ok(out)
    }

    /// When a rule's answer for one customer can next change by time alone (ISO-8601 UTC).
    pub fn next_change_at(
        &self,
        rule: String,
        customer_id: String,
        as_of: String,
    ) -> Result<Option<String>, YutangError> {
        let pool = self.read();
        let t = pool.next_change_at(&rule_arg(&rule)?, &customer_id, time(&pool, &as_of, "as_of")?)?;
        Ok(t.map(|t| t.to_rfc3339()))
    }

    /// Define (or redefine) a named segment.
    pub fn define_segment(&self, name: String, rule: String) -> Result<(), YutangError> {
        let r = rule_arg(&rule)?;
        Ok(self.write().define_segment(&name, r)?)
    }

    /// Remove a segment; whether it existed.
    pub fn remove_segment(&self, name: String) -> bool {
        self.write().remove_segment(&name)
    }

    /// The segment names.
    pub fn segment_names(&self) -> Vec<String> {
        self.read().segments().into_iter().map(|s| s.name).collect()
    }

    /// Members of a segment at `as_of`, in founding order.
    pub fn segment_members(&self, name: String, as_of: String) -> Result<Vec<String>, YutangError> {
        let pool = self.read();
        let t = time(&pool, &as_of, "as_of")?;
        Ok(pool.segment_members(&name, t)?)
    }

    /// Entries and exits in `(start, end]`, at the instant each happened.
    pub fn segment_changes(
        &self,
        name: String,
        start: String,
        end: String,
    ) -> Result<Vec<SegmentChangeRecord>, YutangError> {
        let pool = self.read();
        let ch = pool.segment_changes(&name, time(&pool, &start, "start")?, time(&pool, &end, "end")?)?;
        Ok(ch.into_iter().map(change).collect())
    }

    /// Evaluate a segment, record its size and return the changes since the previous refresh.
    pub fn refresh_segment(&self, name: String, as_of: String) -> Result<Vec<SegmentChangeRecord>, YutangError> {
        let mut pool = self.write();
        let t = time(&pool, &as_of, "as_of")?;
        Ok(pool.refresh_segment(&name, t)?.into_iter().map(change).collect())
    }

    /// Segment sizes at the given instants (none: the sizes recorded by `refreshSegment`).
    pub fn segment_sizes(&self, name: String, at: Vec<String>) -> Result<Vec<SegmentSizeRecord>, YutangError> {
        let pool = self.read();
        let points = if at.is_empty() {
            pool.segment_size_history(&name)
        } else {
            let ts = at.iter().map(|s| time(&pool, s, "at")).collect::<Result<Vec<_>, _>>()?;
            pool.segment_sizes(&name, &ts)?
        };
        Ok(points.into_iter().map(|p| SegmentSizeRecord { at: p.at.to_rfc3339(), size: p.size }).collect())
    }

    /// Define a rule tag group (first match wins); returns warnings.
    pub fn define_tag_group(
        &self,
        name: String,
        values: Vec<TagValueRecord>,
    ) -> Result<Vec<TagWarningRecord>, YutangError> {
        let vals = values
            .iter()
            .map(|v| Ok(TagValue::new(v.value.clone(), rule_arg(&v.rule)?)))
            .collect::<Result<Vec<_>, YutangError>>()?;
        let ws = self.write().define_tag_group(TagGroup::new(name, vals))?;
        Ok(ws
            .into_iter()
            .map(|w| TagWarningRecord { kind: warning_kind(w.kind), value: w.value, earlier: w.earlier })
            .collect())
    }

    /// Remove a rule tag group.
    pub fn remove_tag_group(&self, name: String) -> bool {
        self.write().remove_tag_group(&name)
    }

    /// Set a staff tag on a customer (applies from `at` on).
    pub fn set_manual_tag(
        &self,
        customer_id: String,
        group: String,
        value: String,
        set_by: String,
        at: String,
    ) -> Result<(), YutangError> {
        let mut pool = self.write();
        let t = time(&pool, &at, "at")?;
        Ok(pool.set_manual_tag(&customer_id, &group, &value, &set_by, t)?)
    }

    /// Remove a customer's manual tag of a group.
    pub fn remove_manual_tag(&self, customer_id: String, group: String) -> Result<bool, YutangError> {
        Ok(self.write().remove_manual_tag(&customer_id, &group)?)
    }

    /// Pre-tag an identity; the tag follows it to its customer.
    pub fn tag_identity(
        &self,
        identity: IdentityRecord,
        group: String,
        value: String,
        set_by: String,
        at: String,
    ) -> Result<(), YutangError> {
        let ident = to_identity(&identity)?;
        let mut pool = self.write();
        let t = time(&pool, &at, "at")?;
        Ok(pool.tag_identity(&ident, &group, &value, &set_by, t)?)
    }

    /// Remove an identity's tag of a group.
    pub fn remove_identity_tag(&self, identity: IdentityRecord, group: String) -> Result<bool, YutangError> {
        let ident = to_identity(&identity)?;
        Ok(self.write().remove_identity_tag(&ident, &group)?)
    }

    /// A customer's tags (rule groups evaluated at `as_of`, skipped when it is null).
    pub fn tags(&self, customer_id: String, as_of: Option<String>) -> Result<Vec<TagRecord>, YutangError> {
        let pool = self.read();
        let t = as_of.map(|s| time(&pool, &s, "as_of")).transpose()?;
        Ok(pool
            .tags(&customer_id, t)?
            .into_iter()
            .map(|x| TagRecord {
                group: x.group,
                value: x.value,
                source: source(x.source),
                set_by: x.set_by,
                set_at: x.set_at.map(|t| t.to_rfc3339()),
            })
            .collect())
    }

    /// Set a host attribute (`attr("name")`; `stage` / `tier` override the lifecycle module).
    pub fn set_attribute(&self, customer_id: String, name: String, value: AttrValueRecord) -> Result<(), YutangError> {
        Ok(self.write().set_attribute(&customer_id, &name, value.into())?)
    }

    /// Remove a host attribute.
    pub fn remove_attribute(&self, customer_id: String, name: String) -> Result<bool, YutangError> {
        Ok(self.write().remove_attribute(&customer_id, &name)?)
    }

    /// A customer's host attributes.
    pub fn attributes(
        &self,
        customer_id: String,
    ) -> Result<std::collections::HashMap<String, AttrValueRecord>, YutangError> {
        Ok(self.read().attributes(&customer_id)?.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}
