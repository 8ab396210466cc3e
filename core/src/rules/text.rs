//! The printer: a rule tree to its canonical text. `parse(to_text(t)) == t` for every valid
//! tree `t` (property-tested).

use super::ast::*;
use std::fmt::Write;

/// The canonical text of a rule.
///
/// ```
/// use yutang::rules::{parse, to_text};
/// let r = parse(r#"spend(90d, currency: "CNY") > 500.00 and stage == "at_risk""#)?;
/// assert_eq!(to_text(&r), r#"spend(90d, currency: "CNY") > 500 and stage == "at_risk""#);
/// assert_eq!(parse(&to_text(&r))?, r);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn to_text(rule: &Rule) -> String {
    let mut s = String::new();
    node(&mut s, &rule.root, Ctx::Top);
    s
}

/// The text of one node (as it would appear at the top of a rule).
pub fn node_text(n: &Node) -> String {
    let mut s = String::new();
    node(&mut s, n, Ctx::Top);
    s
}

/// The text of one operand.
pub fn operand_text(o: &Operand) -> String {
    let mut s = String::new();
    operand(&mut s, o);
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Top,
    InOr,
    InAnd,
    InNot,
}

fn node(s: &mut String, n: &Node, ctx: Ctx) {
    match n {
        Node::And { args } if args.len() >= 2 => {
            let paren = matches!(ctx, Ctx::InAnd | Ctx::InNot);
            if paren {
                s.push('(');
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(" and ");
                }
                node(s, a, Ctx::InAnd);
            }
            if paren {
                s.push(')');
            }
        }
        Node::Or { args } if args.len() >= 2 => {
            let paren = matches!(ctx, Ctx::InAnd | Ctx::InOr | Ctx::InNot);
            if paren {
                s.push('(');
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(" or ");
                }
                node(s, a, Ctx::InOr);
            }
            if paren {
                s.push(')');
            }
        }
        Node::And { args } | Node::Or { args } => {
            s.push_str(if matches!(n, Node::And { .. }) { "all(" } else { "any(" });
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                node(s, a, Ctx::Top);
            }
            s.push(')');
        }
        Node::Not { arg } => {
            s.push_str("not ");
            node(s, arg, Ctx::InNot);
        }
        Node::Const { value } => s.push_str(if *value { "true" } else { "false" }),
        Node::Compare { left, cmp, right } => {
            operand(s, left);
            let _ = write!(s, " {} ", cmp.as_str());
            value(s, right);
        }
        Node::Missing { operand: o } => {
            s.push_str("missing(");
            operand(s, o);
            s.push(')');
        }
        Node::Did { events, window: w } => {
            s.push_str("did(");
            kind(s, &events.kind);
            args(s, events, w, true);
            s.push(')');
        }
        Node::Sequence { steps, within, window: w } => {
            s.push_str("sequence(");
            for (i, st) in steps.iter().enumerate() {
                if i > 0 {
                    s.push_str(" then ");
                }
                kind(s, &st.kind);
                let mut inner = String::new();
                args(&mut inner, st, &Window::All, false);
                if !inner.is_empty() {
                    let _ = write!(s, "[{}]", &inner[2..]);
                }
            }
            let _ = write!(s, " within {within}");
            if *w != Window::All {
                s.push_str(", ");
                window(s, w);
            }
            s.push(')');
        }
        Node::Segment { name } => {
            s.push_str("segment(");
            string(s, name);
            s.push(')');
        }
    }
}

fn kind(s: &mut String, k: &Option<crate::model::EventKind>) {
    match k {
        None => s.push_str("any"),
        Some(crate::model::EventKind::Custom(_)) => string(s, &k.as_ref().map(|k| k.to_string()).unwrap_or_default()),
        Some(k) => s.push_str(&k.as_str()),
    }
}

/// `, window, channel: …, currency: …, conditions…` (each with a leading ", ").
fn args(s: &mut String, f: &EventFilter, w: &Window, windowed: bool) {
    if windowed && *w != Window::All {
        s.push_str(", ");
        window(s, w);
    }
    if !f.channels.is_empty() {
        s.push_str(", channel: ");
        if f.channels.len() == 1 {
            string(s, &f.channels[0].to_string());
        } else {
            s.push('[');
            for (i, c) in f.channels.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                string(s, &c.to_string());
            }
            s.push(']');
        }
    }
    if let Some(c) = f.currency {
        s.push_str(", currency: ");
        string(s, c.code());
    }
    for c in &f.conditions {
        s.push_str(", ");
        match &c.field {
            Field::Amount => s.push_str("amount"),
            Field::GroupId => s.push_str("group_id"),
            Field::OrderId => s.push_str("order_id"),
            Field::Prop(k) => {
                s.push_str("prop(");
                string(s, k);
                s.push(')');
            }
        }
        let _ = write!(s, " {} ", c.cmp.as_str());
        value(s, &c.value);
    }
}

fn window(s: &mut String, w: &Window) {
    match w {
        Window::All => {}
        Window::Last(d) => {
            let _ = write!(s, "{d}");
        }
        Window::Between { from, to } => {
            s.push_str("between(");
            string(s, from);
            s.push_str(", ");
            string(s, to);
            s.push(')');
        }
    }
}

fn operand(s: &mut String, o: &Operand) {
    match o {
        Operand::Aggregate { agg: AggFn::Spend, events, window: w } => {
            s.push_str("spend(");
            let mut inner = String::new();
            args(&mut inner, events, w, true);
            if !inner.is_empty() {
                s.push_str(&inner[2..]);
            }
            s.push(')');
        }
        Operand::Aggregate { agg, events, window: w } => {
            let _ = write!(s, "{}(", agg.as_str());
            kind(s, &events.kind);
            args(s, events, w, true);
            s.push(')');
        }
        Operand::Since { which, events } => {
            s.push_str(if *which == Which::First { "since_first(" } else { "since_last(" });
            kind(s, &events.kind);
            args(s, events, &Window::All, false);
            s.push(')');
        }
        Operand::Stage => s.push_str("stage"),
        Operand::Tier => s.push_str("tier"),
        Operand::Tag { group } => {
            s.push_str("tag(");
            string(s, group);
            s.push(')');
        }
        Operand::Attr { name } => {
            s.push_str("attr(");
            string(s, name);
            s.push(')');
        }
    }
}

fn number(s: &mut String, x: f64) {
    // Rust's Display for f64 is the shortest text that reads back to the same value, and never
    // uses an exponent.
    let _ = write!(s, "{x}");
}

fn value(s: &mut String, v: &Value) {
    match v {
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(x) => number(s, *x),
        Value::Text(t) => string(s, t),
        Value::Money(m) => {
            number(s, m.amount);
            let _ = write!(s, " {}", m.currency);
        }
        Value::Duration(d) => {
            let _ = write!(s, "{}", d.duration);
        }
        Value::List(items) => {
            s.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                value(s, it);
            }
            s.push(']');
        }
    }
}

fn string(s: &mut String, t: &str) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}
