//! Compile a rule against a pool: event kinds and channels become the pool's integer codes,
//! amounts become minor units, absolute windows become instants (in the business zone), and
//! segment and tag-group references are inlined (cycles are an error).

use super::ast::*;
use super::check::Path;
use super::limits::MAX_REFERENCE_DEPTH;
use crate::error::{Error, Result};
use crate::model::{Currency, EventKind, Money, Timestamp};
use crate::pool::Pool;

/// A compiled event kind.
#[derive(Debug, Clone)]
pub(crate) enum KindSel {
    Any,
    Code(u8),
    /// A custom kind the pool has not seen at compile time (re-resolved when evaluated).
    Later(EventKind),
}

/// A compiled event filter: integer comparisons first.
#[derive(Debug, Clone)]
pub(crate) struct CFilter {
    pub kind: KindSel,
    /// Channel codes as a 256-bit set (`None`: any channel).
    pub channels: Option<[u64; 4]>,
    /// Channels the pool has not seen at compile time.
    pub later_channels: Vec<crate::model::Channel>,
    pub currency: Option<Currency>,
    pub conds: Vec<CCond>,
    /// `spend`: orders count +, refunds −.
    pub spend: Option<(u8, u8)>,
}

#[derive(Debug, Clone)]
pub(crate) enum CCond {
    /// amount (minor units, in the filter's currency) compared with a value in minor units.
    Amount(Cmp, f64),
    GroupId(Cmp, Vec<String>),
    OrderId(Cmp, Vec<String>),
    Prop(String, Cmp, Value),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum CWindow {
    All,
    Last(i64),
    /// `[from, to)` in µs.
    Between(i64, i64),
}

impl CWindow {
    /// The window at `as_of` as `(lo, hi]` in µs.
    #[inline]
    pub fn bounds(self, as_of: i64) -> (i64, i64) {
        match self {
            CWindow::All => (i64::MIN, as_of),
            CWindow::Last(d) => (as_of.saturating_sub(d), as_of),
            CWindow::Between(a, b) => (a.saturating_sub(1), as_of.min(b.saturating_sub(1))),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum COperand {
    Agg {
        agg: AggFn,
        f: CFilter,
        w: CWindow,
        currency: Currency,
    },
    Since {
        which: Which,
        f: CFilter,
    },
    Stage,
    Tier,
    /// A rule tag group: (value, condition) in order, first match wins.
    TagRules(String, Vec<(String, CNode)>),
    /// A manual tag group.
    TagManual(String),
    Attr(String),
}

/// The right side, compiled for the left side's type.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Num(Cmp, f64),
    /// In minor units.
    Money(Cmp, f64),
    Dur(Cmp, i64),
    Text(Cmp, Vec<String>),
    Dyn(Cmp, Value),
}

#[derive(Debug, Clone)]
pub(crate) enum CNode {
    And(Vec<CNode>),
    Or(Vec<CNode>),
    Not(Box<CNode>),
    Const(bool),
    Cmp(COperand, Test),
    Missing(COperand),
    Did(CFilter, CWindow),
    Seq(Vec<CFilter>, i64, CWindow),
    /// A segment (inlined); membership is two-valued.
    Segment(Box<CNode>),
}

/// What a compiled rule reads besides the timeline.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Uses {
    pub attrs: bool,
    pub manual_tags: bool,
    pub stage: bool,
    pub tier: bool,
}

/// A rule compiled against a pool, ready to evaluate for one customer or for all of them.
///
/// Compile once, evaluate many. The compiled form holds the pool's codes, its reporting
/// currency and time zone, and the segment and tag-group definitions as they were when it was
/// compiled: compile again after redefining a segment or tag group.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(crate) root: CNode,
    pub(crate) uses: Uses,
}

pub(crate) struct Compiler<'p> {
    pool: &'p Pool,
    /// Segment / tag-group names being compiled (cycle detection).
    stack: Vec<String>,
    uses: Uses,
}

fn money_minor(path: &Path<'_>, amount: f64, currency: Currency) -> Result<f64> {
    let m = Money::from_f64(amount.abs(), currency).map(|m| m.minor as f64).or_else(|_| {
        // more decimals than the currency has: compare in fractional minor units
        let v = amount.abs() * 10f64.powi(currency.exponent() as i32);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Error::invalid(path.to_string(), amount.to_string(), "amount out of range"))
        }
    })?;
    Ok(if amount < 0.0 { -m } else { m })
}

impl<'p> Compiler<'p> {
    pub(crate) fn new(pool: &'p Pool) -> Self {
        Compiler { pool, stack: Vec::new(), uses: Uses::default() }
    }

    pub(crate) fn finish(self, root: CNode) -> Compiled {
        Compiled { root, uses: self.uses }
    }

    fn time(&self, path: &Path<'_>, s: &str) -> Result<i64> {
        crate::model::parse_time(s, self.pool.time_zone()).map(Timestamp::micros).map_err(|e| match e {
            Error::InvalidField { value, reason, .. } => Error::InvalidField { field: path.to_string(), value, reason },
            o => o,
        })
    }

    fn window(&self, path: &Path<'_>, w: &Window) -> Result<CWindow> {
        Ok(match w {
            Window::All => CWindow::All,
            Window::Last(d) => CWindow::Last(d.micros()),
            Window::Between { from, to } => {
                CWindow::Between(self.time(&path.field("from"), from)?, self.time(&path.field("to"), to)?)
            }
        })
    }

    fn filter(&mut self, path: &Path<'_>, f: &EventFilter, money_default: Option<Currency>) -> Result<CFilter> {
        let kind = match &f.kind {
            None => KindSel::Any,
            Some(k) => match self.pool.kind_code(k) {
                Some(c) => KindSel::Code(c),
                None => KindSel::Later(k.clone()),
            },
        };
        let (channels, later_channels) = if f.channels.is_empty() {
            (None, Vec::new())
        } else {
            let mut set = [0u64; 4];
            let mut later = Vec::new();
            for c in &f.channels {
                match self.pool.channel_code(c) {
                    Some(code) => set[(code >> 6) as usize] |= 1 << (code & 63),
                    None => later.push(c.clone()),
                }
            }
            (Some(set), later)
        };
        let currency = f.currency.or(money_default);
        let amount_currency = currency.unwrap_or(self.pool.config().currency);
        let mut conds = Vec::with_capacity(f.conditions.len());
        for (i, c) in f.conditions.iter().enumerate() {
            let pw = path.index("where", i);
            let p = pw.field("value");
            let texts = |v: &Value| -> Vec<String> {
                match v {
                    Value::Text(s) => vec![s.clone()],
                    Value::List(items) => items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Text(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                }
            };
            conds.push(match &c.field {
                Field::Amount => {
                    let minor = match &c.value {
                        Value::Number(x) => money_minor(&p, *x, amount_currency)?,
                        Value::Money(m) => {
                            if m.currency != amount_currency {
                                return Err(Error::CurrencyMismatch {
                                    left: amount_currency.to_string(),
                                    right: m.currency.to_string(),
                                });
                            }
                            money_minor(&p, m.amount, m.currency)?
                        }
                        other => {
                            return Err(Error::invalid(
                                p.to_string(),
                                super::check::kind_of(other),
                                "expected an amount",
                            ))
                        }
                    };
                    CCond::Amount(c.cmp, minor)
                }
                Field::GroupId => CCond::GroupId(c.cmp, texts(&c.value)),
                Field::OrderId => CCond::OrderId(c.cmp, texts(&c.value)),
                Field::Prop(k) => CCond::Prop(k.clone(), c.cmp, c.value.clone()),
            });
        }
        // amount conditions need a currency to compare in
        let currency =
            if conds.iter().any(|c| matches!(c, CCond::Amount(..))) { Some(amount_currency) } else { currency };
        Ok(CFilter { kind, channels, later_channels, currency, conds, spend: None })
    }

    pub(crate) fn node(&mut self, n: &Node, path: &Path<'_>) -> Result<CNode> {
        Ok(match n {
            Node::And { args } => CNode::And(
                args.iter().enumerate().map(|(i, a)| self.node(a, &path.index("args", i))).collect::<Result<_>>()?,
            ),
            Node::Or { args } => CNode::Or(
                args.iter().enumerate().map(|(i, a)| self.node(a, &path.index("args", i))).collect::<Result<_>>()?,
            ),
            Node::Not { arg } => CNode::Not(Box::new(self.node(arg, &path.field("arg"))?)),
            Node::Const { value } => CNode::Const(*value),
            Node::Compare { left, cmp, right } => {
                let lp = path.field("left");
                let op = self.operand(left, &lp)?;
                let rp = path.field("right");
                let test = match (&op, right) {
                    (COperand::Agg { agg: AggFn::Count, .. }, Value::Number(x)) => Test::Num(*cmp, *x),
                    (COperand::Agg { currency, .. }, Value::Number(x)) => {
                        Test::Money(*cmp, money_minor(&rp, *x, *currency)?)
                    }
                    (COperand::Agg { currency, .. }, Value::Money(m)) => {
                        if m.currency != *currency {
                            return Err(Error::CurrencyMismatch {
                                left: currency.to_string(),
                                right: m.currency.to_string(),
                            });
                        }
                        Test::Money(*cmp, money_minor(&rp, m.amount, m.currency)?)
                    }
                    (COperand::Since { .. }, Value::Duration(d)) => Test::Dur(*cmp, d.duration.micros()),
                    (COperand::Stage | COperand::Tier | COperand::TagRules(..) | COperand::TagManual(_), v) => {
                        let items = match v {
                            Value::Text(s) => vec![s.clone()],
                            Value::List(items) => items
                                .iter()
                                .map(|x| match x {
                                    Value::Text(s) => Ok(s.clone()),
                                    o => Err(Error::invalid(
                                        rp.to_string(),
                                        super::check::kind_of(o),
                                        "expected strings",
                                    )),
                                })
                                .collect::<Result<_>>()?,
                            o => {
                                return Err(Error::invalid(
                                    rp.to_string(),
                                    super::check::kind_of(o),
                                    "expected a string",
                                ))
                            }
                        };
                        Test::Text(*cmp, items)
                    }
                    (COperand::Attr(_), v) => Test::Dyn(*cmp, v.clone()),
                    (_, v) => {
                        return Err(Error::invalid(
                            rp.to_string(),
                            super::check::kind_of(v),
                            "does not fit the left side's type",
                        ))
                    }
                };
                CNode::Cmp(op, test)
            }
            Node::Missing { operand } => CNode::Missing(self.operand(operand, &path.field("operand"))?),
            Node::Did { events, window } => CNode::Did(
                self.filter(&path.field("events"), events, None)?,
                self.window(&path.field("window"), window)?,
            ),
            Node::Sequence { steps, within, window } => CNode::Seq(
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| self.filter(&path.index("steps", i), s, None))
                    .collect::<Result<_>>()?,
                within.micros(),
                self.window(&path.field("window"), window)?,
            ),
            Node::Segment { name } => {
                let key = format!("segment:{name}");
                if self.stack.contains(&key) {
                    return Err(Error::invalid(
                        path.field("name").to_string(),
                        name,
                        format!("segments refer to each other in a cycle: {} -> {key}", self.stack.join(" -> ")),
                    ));
                }
                if self.stack.len() >= MAX_REFERENCE_DEPTH {
                    return Err(Error::limit(
                        "segment and tag references (nesting)",
                        MAX_REFERENCE_DEPTH,
                        self.stack.len() + 1,
                    ));
                }
                let def = crate::segment::state(self.pool)
                    .segments
                    .get(name)
                    .cloned()
                    .ok_or_else(|| Error::NotFound { what: "segment".into(), id: name.clone() })?;
                self.stack.push(key);
                let inner = self.node(&def.rule.root, &Path::Root("segment"))?;
                self.stack.pop();
                CNode::Segment(Box::new(inner))
            }
        })
    }

    fn operand(&mut self, o: &Operand, path: &Path<'_>) -> Result<COperand> {
        Ok(match o {
            Operand::Aggregate { agg, events, window } => {
                let currency = events.currency.unwrap_or(self.pool.config().currency);
                let money = *agg != AggFn::Count;
                let mut f = self.filter(&path.field("events"), events, money.then_some(currency))?;
                if *agg == AggFn::Spend {
                    let o = self.pool.kind_code(&EventKind::Order).unwrap_or(u8::MAX);
                    let r = self.pool.kind_code(&EventKind::Refund).unwrap_or(u8::MAX);
                    f.spend = Some((o, r));
                }
                COperand::Agg { agg: *agg, f, w: self.window(&path.field("window"), window)?, currency }
            }
            Operand::Since { which, events } => {
                COperand::Since { which: *which, f: self.filter(&path.field("events"), events, None)? }
            }
            Operand::Stage => {
                self.uses.stage = true;
                self.uses.attrs = true;
                COperand::Stage
            }
            Operand::Tier => {
                self.uses.tier = true;
                self.uses.attrs = true;
                COperand::Tier
            }
            Operand::Attr { name } => {
                self.uses.attrs = true;
                COperand::Attr(name.clone())
            }
            Operand::Tag { group } => {
                let def = crate::segment::state(self.pool).tag_groups.get(group).cloned();
                match def {
                    None => {
                        self.uses.manual_tags = true;
                        COperand::TagManual(group.clone())
                    }
                    Some(g) => {
                        let key = format!("tag:{group}");
                        if self.stack.contains(&key) {
                            return Err(Error::invalid(
                                path.field("group").to_string(),
                                group,
                                format!(
                                    "tag groups refer to each other in a cycle: {} -> {key}",
                                    self.stack.join(" -> ")
                                ),
                            ));
                        }
                        if self.stack.len() >= MAX_REFERENCE_DEPTH {
                            return Err(Error::limit(
                                "segment and tag references (nesting)",
                                MAX_REFERENCE_DEPTH,
                                self.stack.len() + 1,
                            ));
                        }
                        self.stack.push(key);
                        let mut vals = Vec::with_capacity(g.values.len());
                        for (i, v) in g.values.iter().enumerate() {
                            vals.push((
                                v.value.clone(),
                                self.node(&v.rule.root, &Path::Root("tag").index("values", i))?,
                            ));
                        }
                        self.stack.pop();
                        COperand::TagRules(group.clone(), vals)
                    }
                }
            }
        })
    }
}

impl Compiled {
    /// Validate and compile a rule against a pool.
    ///
    /// # Errors
    /// What [`Rule::validate`] finds; [`Error::NotFound`] for an undefined segment;
    /// [`Error::InvalidField`] for a reference cycle or an unreadable absolute window;
    /// [`Error::CurrencyMismatch`] for an amount in another currency than the one compared.
    pub fn new(rule: &Rule, pool: &Pool) -> Result<Compiled> {
        rule.validate()?;
        let mut c = Compiler::new(pool);
        let root = c.node(&rule.root, &Path::Root("root"))?;
        Ok(c.finish(root))
    }
}
