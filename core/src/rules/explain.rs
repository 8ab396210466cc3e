//! `explain`: for each node of a rule, its value for one customer and the facts it used.

use super::ast::{Node, Operand};
use super::compile::{CNode, COperand, Test};
use super::eval::{dyn_test, eval, operand, scan_back, sequence, since_event, test, Cx, Truth, V};
use super::text::{node_text, operand_text};
use crate::model::{Currency, Money};
use crate::pool::EventRef;

/// Most event ids listed per node.
pub const MAX_EXPLAINED_EVENTS: usize = 20;

/// Why a rule is (not) true for one customer: one entry per node, children nested.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Explanation {
    /// The node's text (`count(order, 30d) >= 2`).
    pub node: String,
    /// Its value.
    pub result: Truth,
    /// The computed value compared (`1`, `450.00 CNY`, `"at_risk"`, `missing`), for
    /// comparisons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Ids of the events the node used (newest first; at most [`MAX_EXPLAINED_EVENTS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// A sentence: `count(order, 30d) = 1 (order on 2024-05-02), needed >= 2`.
    pub detail: String,
    /// Explanations of the children (`and`, `or`, `not`, a segment's rule, a tag group's values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Explanation>,
}

impl Explanation {
    /// The explanation as indented lines (`✓` true, `✗` false, `?` unknown).
    pub fn to_lines(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, 0);
        s
    }

    fn write(&self, s: &mut String, depth: usize) {
        let mark = match self.result {
            Truth::True => "✓",
            Truth::False => "✗",
            Truth::Unknown => "?",
        };
        s.push_str(&"  ".repeat(depth));
        s.push_str(mark);
        s.push(' ');
        s.push_str(&self.detail);
        s.push('\n');
        for c in &self.children {
            c.write(s, depth + 1);
        }
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn fmt_money(minor: f64, cur: Currency) -> String {
    if minor.fract() == 0.0 && minor.abs() < 9e15 {
        format!("{} {cur}", Money::new(minor as i64, cur).to_decimal_string())
    } else {
        let e = cur.exponent();
        format!("{:.*} {cur}", e as usize + 2, minor / 10f64.powi(e as i32))
    }
}

pub(crate) fn fmt_duration(micros: i64) -> String {
    let neg = micros < 0;
    let mut secs = micros.unsigned_abs() / 1_000_000;
    let d = secs / 86_400;
    secs %= 86_400;
    let h = secs / 3600;
    let m = (secs % 3600) / 60;
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m}min"));
    }
    format!("{}{}", if neg { "-" } else { "" }, parts.join(" "))
}

fn fmt_value(v: &V, op: &COperand) -> String {
    match v {
        V::Missing => "missing".into(),
        V::Num(x) => fmt_num(*x),
        V::Money(m) => match op {
            COperand::Agg { currency, .. } => fmt_money(*m, *currency),
            _ => fmt_num(*m),
        },
        V::Dur(d) => fmt_duration(*d),
        V::Text(t) => format!("{t:?}"),
        V::Attr(a) => a.to_string(),
    }
}

fn needed(t: &Test, right: &str) -> String {
    let cmp = match t {
        Test::Num(c, _) | Test::Money(c, _) | Test::Dur(c, _) | Test::Text(c, _) | Test::Dyn(c, _) => *c,
    };
    format!("{} {right}", cmp.as_str())
}

fn event_list(cx: &Cx<'_>, evs: &[EventRef<'_>]) -> String {
    let tz = cx.pool.time_zone();
    let mut parts: Vec<String> =
        evs.iter().take(5).map(|e| format!("{} {} on {}", e.kind(), e.id(), e.at().date_in(tz))).collect();
    if evs.len() > 5 {
        parts.push(format!("{} more", evs.len() - 5));
    }
    parts.join(", ")
}

fn operand_events<'a>(op: &COperand, cx: &Cx<'a>) -> Vec<EventRef<'a>> {
    let mut out = Vec::new();
    match op {
        COperand::Agg { f, w, .. } => scan_back(cx.view, cx.pool, f, *w, cx.as_of, |e| {
            out.push(e);
            out.len() < MAX_EXPLAINED_EVENTS
        }),
        COperand::Since { which, f } => out.extend(since_event(*which, f, cx)),
        _ => {}
    }
    out
}

fn ids(evs: &[EventRef<'_>]) -> Vec<String> {
    evs.iter().map(|e| e.id().to_string()).collect()
}

/// Explain `n` (compiled as `c`) for the customer in `cx`.
pub(crate) fn explain(n: &Node, c: &CNode, cx: &mut Cx<'_>) -> Explanation {
    let text = node_text(n);
    match (n, c) {
        (Node::And { args }, CNode::And(cargs)) | (Node::Or { args }, CNode::Or(cargs)) => {
            let children: Vec<Explanation> = args.iter().zip(cargs).map(|(a, ca)| explain(a, ca, cx)).collect();
            let result = eval(c, cx);
            let count = |t: Truth| children.iter().filter(|x| x.result == t).count();
            let detail = format!(
                "{} of {} {} ({} true, {} false, {} unknown)",
                if matches!(n, Node::And { .. }) { "all" } else { "any" },
                children.len(),
                if matches!(n, Node::And { .. }) { "must hold" } else { "may hold" },
                count(Truth::True),
                count(Truth::False),
                count(Truth::Unknown)
            );
            Explanation {
                node: text,
                result,
                value: None,
                events: Vec::new(),
                detail: format!("{detail}: {}", result.as_str()),
                children,
            }
        }
        (Node::Not { arg }, CNode::Not(ca)) => {
            let child = explain(arg, ca, cx);
            let result = child.result.not();
            Explanation {
                node: text,
                result,
                value: None,
                events: Vec::new(),
                detail: format!("not {}: {}", child.result.as_str(), result.as_str()),
                children: vec![child],
            }
        }
        (Node::Compare { left, right, .. }, CNode::Cmp(op, t)) => {
            let v = operand(op, cx);
            let result = test(t, &v);
            let evs = operand_events(op, cx);
            let lt = operand_text(left);
            let rt = {
                let r = super::ast::Rule::new(Node::Compare {
                    left: Operand::Stage,
                    cmp: super::ast::Cmp::Eq,
                    right: right.clone(),
                });
                let s = super::text::to_text(&r);
                s.trim_start_matches("stage == ").to_string()
            };
            let mut detail = format!("{lt} = {}", fmt_value(&v, op));
            if !evs.is_empty() {
                detail.push_str(&format!(" ({})", event_list(cx, &evs)));
            }
            detail.push_str(&format!(", needed {}", needed(t, &rt)));
            if v == V::Missing {
                detail.push_str(": a missing value makes the comparison unknown");
            } else if let (Test::Dyn(cmp, lit), V::Attr(a)) = (t, &v) {
                if dyn_test(*cmp, lit, a) == Truth::Unknown {
                    detail.push_str(": the value has another type, so the comparison is unknown");
                }
            }
            let children = tag_children(op, cx);
            Explanation { node: text, result, value: Some(fmt_value(&v, op)), events: ids(&evs), detail, children }
        }
        (Node::Missing { operand: o }, CNode::Missing(op)) => {
            let v = operand(op, cx);
            let result = Truth::from_bool(v == V::Missing);
            let evs = operand_events(op, cx);
            Explanation {
                node: text,
                result,
                value: Some(fmt_value(&v, op)),
                events: ids(&evs),
                detail: format!("{} = {}", operand_text(o), fmt_value(&v, op)),
                children: tag_children(op, cx),
            }
        }
        (Node::Did { .. }, CNode::Did(f, w)) => {
            let mut evs = Vec::new();
            scan_back(cx.view, cx.pool, f, *w, cx.as_of, |e| {
                evs.push(e);
                evs.len() < MAX_EXPLAINED_EVENTS
            });
            let result = Truth::from_bool(!evs.is_empty());
            let detail = if evs.is_empty() {
                format!("{text}: no matching event in the window")
            } else {
                format!(
                    "{text}: {} matching ({})",
                    if evs.len() >= MAX_EXPLAINED_EVENTS { format!("{}+", evs.len()) } else { evs.len().to_string() },
                    event_list(cx, &evs)
                )
            };
            Explanation { node: text, result, value: None, events: ids(&evs), detail, children: Vec::new() }
        }
        (Node::Sequence { .. }, CNode::Seq(steps, within, w)) => {
            let chain = sequence(steps, *within, *w, cx);
            let result = Truth::from_bool(chain.is_some());
            let detail = match &chain {
                Some(ch) => format!(
                    "{text}: {} ({} apart)",
                    event_list(cx, ch),
                    fmt_duration(ch[ch.len() - 1].at_micros() - ch[0].at_micros())
                ),
                None => format!("{text}: no such sequence in the window"),
            };
            Explanation {
                node: text,
                result,
                value: None,
                events: chain.as_deref().map(ids).unwrap_or_default(),
                detail,
                children: Vec::new(),
            }
        }
        (Node::Segment { name }, CNode::Segment(inner)) => {
            let def = crate::segment::state(cx.pool).segments.get(name).map(|s| s.rule.root.clone());
            let child = match def {
                Some(root) => explain(&root, inner, cx),
                None => Explanation {
                    node: String::new(),
                    result: eval(inner, cx),
                    value: None,
                    events: Vec::new(),
                    detail: "definition changed since compiling".into(),
                    children: Vec::new(),
                },
            };
            let result = Truth::from_bool(child.result.matches());
            let detail = format!(
                "segment {name:?}: {}{}",
                if result.matches() { "member" } else { "not a member" },
                if child.result == Truth::Unknown {
                    " (its rule is unknown, which counts as not matching)"
                } else {
                    ""
                }
            );
            Explanation { node: text, result, value: None, events: Vec::new(), detail, children: vec![child] }
        }
        _ => {
            let result = eval(c, cx);
            Explanation {
                node: text.clone(),
                result,
                value: None,
                events: Vec::new(),
                detail: format!("{text}: {}", result.as_str()),
                children: Vec::new(),
            }
        }
    }
}

/// For a rule tag group: which value matched first.
fn tag_children(op: &COperand, cx: &mut Cx<'_>) -> Vec<Explanation> {
    let COperand::TagRules(group, values) = op else {
        return Vec::new();
    };
    let defs = crate::segment::state(cx.pool).tag_groups.get(group).map(|g| g.values.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for ((value, cn), def) in values.iter().zip(defs.iter()) {
        let mut e = explain(&def.rule.root, cn, cx);
        e.detail = format!("tag {group:?} = {value:?} if: {}", e.detail);
        let stop = e.result.matches();
        out.push(e);
        if stop {
            break;
        }
    }
    out
}
