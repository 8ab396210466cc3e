//! Validation and type-check of a rule tree: version, limits and literal types, with the path
//! of the offending node in every error.

use super::ast::truncate;
use super::ast::*;
use super::limits::*;
use crate::error::{Error, Result};

/// The type of an operand's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Number,
    Money,
    Duration,
    Text,
    /// Host attributes: string, number or boolean, known at evaluation.
    Dynamic,
}

pub(crate) fn operand_type(o: &Operand) -> Ty {
    match o {
        Operand::Aggregate { agg: AggFn::Count, .. } => Ty::Number,
        Operand::Aggregate { .. } => Ty::Money,
        Operand::Since { .. } => Ty::Duration,
        Operand::Stage | Operand::Tier | Operand::Tag { .. } => Ty::Text,
        Operand::Attr { .. } => Ty::Dynamic,
    }
}

/// A node's path, rendered only for an error message (`root.args[1].window`).
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root(&'static str),
    Field(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, &'static str, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root(s) => f.write_str(s),
            Path::Field(p, s) => write!(f, "{p}.{s}"),
            Path::Index(p, s, i) => write!(f, "{p}.{s}[{i}]"),
        }
    }
}

impl<'a> Path<'a> {
    pub(crate) fn field(&'a self, s: &'static str) -> Path<'a> {
        Path::Field(self, s)
    }
    pub(crate) fn index(&'a self, s: &'static str, i: usize) -> Path<'a> {
        Path::Index(self, s, i)
    }
}

struct Checker {
    nodes: usize,
}

pub(crate) fn validate(rule: &Rule) -> Result<()> {
    if rule.version != RULE_VERSION {
        return Err(Error::invalid(
            "rule.version",
            rule.version.to_string(),
            format!("unsupported rule version (this build reads version {RULE_VERSION})"),
        ));
    }
    let mut c = Checker { nodes: 0 };
    c.node(&rule.root, &Path::Root("root"), 1)
}

fn name(path: &Path<'_>, s: &str, what: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(path.to_string(), s, format!("{what} must not be empty")));
    }
    if s.len() > MAX_NAME_BYTES {
        return Err(Error::limit(format!("{path} bytes"), MAX_NAME_BYTES, s.len()));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(
            path.to_string(),
            truncate(s, 40),
            format!("{what} must not contain control characters"),
        ));
    }
    Ok(())
}

fn duration(path: &Path<'_>, d: Duration, min_seconds: i64) -> Result<()> {
    let max = MAX_WINDOW_DAYS * 86_400;
    if d.seconds() > max {
        return Err(Error::limit(format!("{path} days"), MAX_WINDOW_DAYS as usize, (d.seconds() / 86_400) as usize));
    }
    if d.seconds() < min_seconds {
        return Err(Error::invalid(path.to_string(), d.to_string(), "must be at least 1min"));
    }
    Ok(())
}

fn window(path: &Path<'_>, w: &Window) -> Result<()> {
    match w {
        Window::All => Ok(()),
        Window::Last(d) => duration(&path.field("last"), *d, 60),
        Window::Between { from, to } => {
            for (k, s) in [("from", from), ("to", to)] {
                let p = format!("{path}.between.{k}");
                if crate::model::parse_time(s, chrono_tz::UTC).is_ok() && s.len() <= 40 {
                    continue;
                }
                if s.len() > 40 {
                    return Err(Error::limit(format!("{p} bytes"), 40, s.len()));
                }
                crate::model::parse_time(s, chrono_tz::UTC).map_err(|e| match e {
                    Error::InvalidField { value, reason, .. } => {
                        Error::InvalidField { field: p.clone(), value, reason }
                    }
                    o => o,
                })?;
            }
            let (a, b) =
                (crate::model::parse_time(from, chrono_tz::UTC)?, crate::model::parse_time(to, chrono_tz::UTC)?);
            if b <= a {
                return Err(Error::invalid(
                    format!("{path}.between"),
                    format!("{from}..{to}"),
                    "`to` must be after `from`",
                ));
            }
            if (b.micros() - a.micros()) / 86_400_000_000 > MAX_WINDOW_DAYS {
                return Err(Error::limit(
                    format!("{path}.between days"),
                    MAX_WINDOW_DAYS as usize,
                    ((b.micros() - a.micros()) / 86_400_000_000) as usize,
                ));
            }
            Ok(())
        }
    }
}

fn number(path: &Path<'_>, x: f64) -> Result<()> {
    if !x.is_finite() {
        return Err(Error::invalid(path.to_string(), x.to_string(), "not a finite number"));
    }
    if x.abs() > MAX_NUMBER {
        return Err(Error::invalid(path.to_string(), x.to_string(), "numbers are limited to ±1e15"));
    }
    Ok(())
}

/// What a literal may be, given the left side's type.
fn literal(path: &Path<'_>, ty: Ty, cmp: Cmp, v: &Value, currency: Option<crate::model::Currency>) -> Result<()> {
    if cmp == Cmp::In {
        if !matches!(ty, Ty::Text | Ty::Dynamic) {
            return Err(Error::invalid(
                path.to_string(),
                "in",
                "`in` compares strings (stage, tier, tag, attr, group_id, order_id, prop)",
            ));
        }
        let Value::List(items) = v else {
            return Err(Error::invalid(path.to_string(), kind_of(v), "`in` needs a list"));
        };
        if items.is_empty() {
            return Err(Error::invalid(path.to_string(), "[]", "`in` needs a non-empty list"));
        }
        if items.len() > MAX_LIST {
            return Err(Error::limit(format!("{path} items"), MAX_LIST, items.len()));
        }
        for (i, it) in items.iter().enumerate() {
            if matches!(it, Value::List(_)) {
                return Err(Error::invalid(format!("{path}[{i}]"), "list", "lists do not nest"));
            }
            literal(path, ty, Cmp::Eq, it, currency).map_err(|e| match e {
                Error::InvalidField { value, reason, .. } => {
                    Error::InvalidField { field: format!("{path}[{i}]"), value, reason }
                }
                o => o,
            })?;
        }
        return Ok(());
    }
    let ordering = !matches!(cmp, Cmp::Eq | Cmp::Ne);
    match (ty, v) {
        (_, Value::List(_)) => Err(Error::invalid(path.to_string(), "list", "a list needs `in`")),
        (Ty::Number, Value::Number(x)) => number(path, *x),
        (Ty::Money, Value::Number(x)) => number(path, *x),
        (Ty::Money, Value::Money(m)) => {
            number(path, m.amount)?;
            match currency {
                Some(c) if c != m.currency => {
                    Err(Error::CurrencyMismatch { left: c.to_string(), right: m.currency.to_string() })
                }
                _ => Ok(()),
            }
        }
        (Ty::Duration, Value::Duration(d)) => duration(path, d.duration, 0),
        (Ty::Text, Value::Text(s)) if !ordering => text(path, s),
        (Ty::Text, Value::Text(_)) => {
            Err(Error::invalid(path.to_string(), cmp.as_str(), "strings compare only with ==, != or in"))
        }
        (Ty::Dynamic, Value::Number(x)) => number(path, *x),
        (Ty::Dynamic, Value::Text(_) | Value::Bool(_)) if !ordering => match v {
            Value::Text(s) => text(path, s),
            _ => Ok(()),
        },
        (Ty::Dynamic, Value::Text(_) | Value::Bool(_)) => {
            Err(Error::invalid(path.to_string(), cmp.as_str(), "strings and booleans compare only with ==, != or in"))
        }
        (ty, v) => Err(Error::invalid(path.to_string(), kind_of(v), format!("expected {}", expected(ty)))),
    }
}

fn text(path: &Path<'_>, s: &str) -> Result<()> {
    if s.len() > MAX_STRING_BYTES {
        return Err(Error::limit(format!("{path} bytes"), MAX_STRING_BYTES, s.len()));
    }
    Ok(())
}

fn expected(ty: Ty) -> &'static str {
    match ty {
        Ty::Number => "a number",
        Ty::Money => "an amount (a number in major units, optionally with its currency: 500.00 CNY)",
        Ty::Duration => "a duration such as 30d",
        Ty::Text => "a string",
        Ty::Dynamic => "a string, number or boolean",
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Text(_) => "string",
        Value::Money(_) => "amount",
        Value::Duration(_) => "duration",
        Value::List(_) => "list",
    }
}

impl Checker {
    fn count(&mut self, path: &Path<'_>) -> Result<()> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Error::limit(format!("rule nodes (at {path})"), MAX_NODES, self.nodes));
        }
        Ok(())
    }

    fn node(&mut self, n: &Node, path: &Path<'_>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::limit(format!("rule depth (at {path})"), MAX_DEPTH, depth));
        }
        self.count(path)?;
        match n {
            Node::And { args } | Node::Or { args } => {
                for (i, a) in args.iter().enumerate() {
                    self.node(a, &path.index("args", i), depth + 1)?;
                }
                Ok(())
            }
            Node::Not { arg } => self.node(arg, &path.field("arg"), depth + 1),
            Node::Const { .. } => Ok(()),
            Node::Compare { left, cmp, right } => {
                let cur = self.operand(left, &path.field("left"))?;
                self.count(path)?;
                literal(&path.field("right"), operand_type(left), *cmp, right, cur)
            }
            Node::Missing { operand } => self.operand(operand, &path.field("operand")).map(|_| ()),
            Node::Did { events, window: w } => {
                self.filter(events, &path.field("events"))?;
                window(&path.field("window"), w)
            }
            Node::Sequence { steps, within, window: w } => {
                if steps.len() < 2 {
                    return Err(Error::invalid(
                        format!("{path}.steps"),
                        steps.len().to_string(),
                        "needs 2 or more steps",
                    ));
                }
                if steps.len() > MAX_STEPS {
                    return Err(Error::limit(format!("{path}.steps"), MAX_STEPS, steps.len()));
                }
                for (i, s) in steps.iter().enumerate() {
                    self.filter(s, &path.index("steps", i))?;
                }
                duration(&path.field("within"), *within, 0)?;
                window(&path.field("window"), w)
            }
            Node::Segment { name: s } => name(&path.field("name"), s, "a segment name"),
        }
    }

    /// Check an operand; returns the currency its money is in, where the rule fixes it.
    fn operand(&mut self, o: &Operand, path: &Path<'_>) -> Result<Option<crate::model::Currency>> {
        self.count(path)?;
        match o {
            Operand::Aggregate { agg, events, window: w } => {
                if *agg == AggFn::Spend && events.kind.is_some() {
                    return Err(Error::invalid(
                        format!("{path}.events.kind"),
                        events.kind.as_ref().map(|k| k.to_string()).unwrap_or_default(),
                        "spend always nets orders and refunds: it takes no event kind",
                    ));
                }
                self.filter(events, &path.field("events"))?;
                window(&path.field("window"), w)?;
                Ok(events.currency)
            }
            Operand::Since { events, .. } => {
                self.filter(events, &path.field("events"))?;
                Ok(None)
            }
            Operand::Stage | Operand::Tier => Ok(None),
            Operand::Tag { group } => name(&path.field("group"), group, "a tag group").map(|_| None),
            Operand::Attr { name: n } => name(&path.field("name"), n, "an attribute name").map(|_| None),
        }
    }

    fn filter(&mut self, f: &EventFilter, path: &Path<'_>) -> Result<()> {
        if f.channels.len() > MAX_LIST {
            return Err(Error::limit(format!("{path}.channels"), MAX_LIST, f.channels.len()));
        }
        for (i, c) in f.conditions.iter().enumerate() {
            let p = path.index("where", i);
            self.count(&p)?;
            let ty = match &c.field {
                Field::Amount => Ty::Money,
                Field::GroupId | Field::OrderId => Ty::Text,
                Field::Prop(k) => {
                    name(&p.field("field").field("prop"), k, "a property key")?;
                    Ty::Dynamic
                }
            };
            literal(&p.field("value"), ty, c.cmp, &c.value, f.currency)?;
        }
        Ok(())
    }
}

/// Type-check one literal against the type of what it is compared with (used by the parser).
pub(crate) fn check_literal(ty: Ty, cmp: Cmp, v: &Value, currency: Option<crate::model::Currency>) -> Result<()> {
    literal(&Path::Root("literal"), ty, cmp, v, currency)
}

/// Check one window (used by the parser).
pub(crate) fn check_window(w: &Window) -> Result<()> {
    window(&Path::Root("window"), w)
}
