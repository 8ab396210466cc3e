//! Evaluation of a compiled rule for one customer at an explicit `as_of`, with the
//! three-valued missing-value rule, and `next_change_at`.
//!
//! # The missing-value rule
//! A comparison whose left side has no value (no stage, `avg` over no events, `since_last`
//! of something that never happened, an attribute that is not set or has another type) is
//! **unknown** — for every operator, `!=` included. `and`, `or` and `not` follow Kleene's
//! three-valued logic (`false and unknown = false`, `true or unknown = true`,
//! `not unknown = unknown`). A customer matches a rule only when it is **true**: unknown counts
//! as not matching. `missing(x)` is the one test of absence and is never unknown.

use super::ast::{AggFn, Cmp, Value, Which};
use super::compile::{CCond, CFilter, CNode, COperand, CWindow, Compiled, KindSel, Test};
use crate::model::{PropValue, Timestamp};
use crate::pool::{CustomerView, EventRef, Pool};
use crate::segment::{AttrValue, Side};

/// A three-valued truth value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// Does not hold.
    False,
    /// Holds.
    True,
    /// Cannot be decided: a value it needs is missing.
    Unknown,
}

impl Truth {
    /// From a boolean.
    pub fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// Kleene conjunction.
    pub fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene disjunction.
    pub fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// Kleene negation (`not unknown` is unknown).
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    /// Whether a customer with this value matches (only `True` does).
    pub fn matches(self) -> bool {
        self == Truth::True
    }

    /// `"true"`, `"false"`, `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        }
    }
}

/// A computed operand value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Missing,
    Num(f64),
    /// Minor units.
    Money(f64),
    /// Microseconds.
    Dur(i64),
    Text(String),
    Attr(AttrValue),
}

/// Earliest and latest instants a `Timestamp` can hold.
const MIN_MICROS: i64 = -2_208_988_800_000_000;
const MAX_MICROS: i64 = 7_258_118_400_000_000;

pub(crate) fn ts(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros.clamp(MIN_MICROS, MAX_MICROS)).unwrap_or_else(|_| unreachable!("clamped"))
}

/// Where a customer's side data (attributes, manual tags) comes from.
pub(crate) enum SideSrc<'a> {
    /// Looked up on first use (single-customer evaluation).
    Lazy(Option<Side>),
    /// Given (whole-pool evaluation builds an index once).
    Given(Option<&'a Side>),
}

/// The evaluation context of one customer.
pub(crate) struct Cx<'a> {
    pub pool: &'a Pool,
    pub view: CustomerView<'a>,
    pub as_of: i64,
    pub side: SideSrc<'a>,
    pub tiers: Option<&'a super::attrs::Tiers>,
    pub stage: Option<Option<String>>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(pool: &'a Pool, view: CustomerView<'a>, as_of: i64) -> Self {
        Cx { pool, view, as_of, side: SideSrc::Lazy(None), tiers: None, stage: None }
    }

    fn side(&mut self) -> Option<&Side> {
        match &mut self.side {
            SideSrc::Given(s) => *s,
            SideSrc::Lazy(slot) => {
                if slot.is_none() {
                    *slot = Some(crate::segment::side_of(self.pool, self.view));
                }
                slot.as_ref()
            }
        }
    }

    /// The same customer at another instant (side data reused).
    pub(crate) fn at(&mut self, as_of: i64) {
        self.as_of = as_of;
        self.stage = None;
    }
}

/// The kind code a filter needs: `None` any kind, `Some(None)` a kind the pool has no events of.
#[inline]
fn want_kind(f: &CFilter, pool: &Pool) -> Option<Option<u8>> {
    match &f.kind {
        KindSel::Any => None,
        KindSel::Code(c) => Some(Some(*c)),
        KindSel::Later(kind) => Some(pool.kind_code(kind)),
    }
}

#[inline]
pub(crate) fn matches(f: &CFilter, e: EventRef<'_>, pool: &Pool) -> bool {
    matches_kind(f, want_kind(f, pool), e, pool)
}

#[inline]
fn matches_kind(f: &CFilter, want: Option<Option<u8>>, e: EventRef<'_>, pool: &Pool) -> bool {
    let k = e.kind_code();
    if let Some(w) = want {
        if w != Some(k) {
            return false;
        }
    }
    if let Some((o, r)) = f.spend {
        if k != o && k != r {
            return false;
        }
    }
    if let Some(set) = &f.channels {
        match e.channel_code() {
            Some(c) => {
                if set[(c >> 6) as usize] & (1u64 << (c & 63)) == 0
                    && !f.later_channels.iter().any(|ch| pool.channel_code(ch) == Some(c))
                {
                    return false;
                }
            }
            None => return false,
        }
    }
    if let Some(cur) = f.currency {
        match e.money() {
            Some(m) if m.currency == cur => {}
            _ => return false,
        }
    }
    f.conds.is_empty() || f.conds.iter().all(|c| cond(c, e))
}

fn text_test(cmp: Cmp, set: &[String], v: &str) -> bool {
    match cmp {
        Cmp::Ne => set.first().is_none_or(|s| s != v),
        Cmp::In => set.iter().any(|s| s == v),
        _ => set.first().is_some_and(|s| s == v),
    }
}

fn cond(c: &CCond, e: EventRef<'_>) -> bool {
    match c {
        CCond::Amount(cmp, x) => match e.money() {
            Some(m) => (m.minor as f64).partial_cmp(x).is_some_and(|o| cmp.holds(o)),
            None => false,
        },
        CCond::GroupId(cmp, set) => e.group_id().is_some_and(|g| text_test(*cmp, set, g)),
        CCond::OrderId(cmp, set) => e.order_id().is_some_and(|g| text_test(*cmp, set, g)),
        CCond::Prop(k, cmp, v) => match e.property(k) {
            None => false,
            Some(p) => {
                let av = match p {
                    PropValue::Bool(b) => AttrValue::Bool(*b),
                    PropValue::Int(i) => AttrValue::Int(*i),
                    PropValue::Float(f) => AttrValue::Float(*f),
                    PropValue::Str(s) => AttrValue::Text(s.clone()),
                };
                dyn_test(*cmp, v, &av) == Truth::True
            }
        },
    }
}

/// Compare a host value with a literal; a type mismatch is unknown (as if missing).
pub(crate) fn dyn_test(cmp: Cmp, lit: &Value, v: &AttrValue) -> Truth {
    fn one(cmp: Cmp, lit: &Value, v: &AttrValue) -> Option<bool> {
        match (lit, v) {
            (Value::Number(x), AttrValue::Int(i)) => (*i as f64).partial_cmp(x).map(|o| cmp.holds(o)),
            (Value::Number(x), AttrValue::Float(f)) => f.partial_cmp(x).map(|o| cmp.holds(o)),
            (Value::Text(s), AttrValue::Text(t)) => Some(if cmp == Cmp::Ne { s != t } else { s == t }),
            (Value::Bool(b), AttrValue::Bool(c)) => Some(if cmp == Cmp::Ne { b != c } else { b == c }),
            _ => None,
        }
    }
    match (cmp, lit) {
        (Cmp::In, Value::List(items)) => {
            let mut any_typed = false;
            for it in items {
                match one(Cmp::Eq, it, v) {
                    Some(true) => return Truth::True,
                    Some(false) => any_typed = true,
                    None => {}
                }
            }
            if any_typed {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        _ => one(cmp, lit, v).map_or(Truth::Unknown, Truth::from_bool),
    }
}

/// Number of events at or before `t` (checks the last event first: the common case).
#[inline]
pub(crate) fn until(view: CustomerView<'_>, t: i64) -> usize {
    let n = view.len();
    if n == 0 {
        return 0;
    }
    match view.event(n - 1) {
        Some(last) if last.at_micros() <= t => n,
        _ => view.until(ts(t)),
    }
}

/// Visit the matching events of a window, newest first; stop when `f` returns false.
#[inline]
pub(crate) fn scan_back<'a>(
    view: CustomerView<'a>,
    pool: &Pool,
    filt: &CFilter,
    w: CWindow,
    as_of: i64,
    mut f: impl FnMut(EventRef<'a>) -> bool,
) {
    let (lo, hi) = w.bounds(as_of);
    if hi <= lo {
        return;
    }
    let want = want_kind(filt, pool);
    if want == Some(None) {
        return; // no event of that kind in the pool
    }
    let end = until(view, hi);
    for i in (0..end).rev() {
        let Some(e) = view.event(i) else { break };
        if e.at_micros() <= lo {
            break;
        }
        if matches_kind(filt, want, e, pool) && !f(e) {
            break;
        }
    }
}

pub(crate) fn aggregate(agg: AggFn, f: &CFilter, w: CWindow, cx: &Cx<'_>) -> V {
    let (mut n, mut sum, mut lo, mut hi) = (0u64, 0i128, i64::MAX, i64::MIN);
    let spend_refund = f.spend.map(|(_, r)| r);
    scan_back(cx.view, cx.pool, f, w, cx.as_of, |e| {
        n += 1;
        if agg != AggFn::Count {
            let m = e.money().map_or(0, |m| m.minor);
            if spend_refund == Some(e.kind_code()) {
                sum -= m as i128;
            } else {
                sum += m as i128;
            }
            lo = lo.min(m);
            hi = hi.max(m);
        }
        true
    });
    match agg {
        AggFn::Count => V::Num(n as f64),
        AggFn::Sum | AggFn::Spend => V::Money(sum as f64),
        AggFn::Avg if n > 0 => V::Money(sum as f64 / n as f64),
        AggFn::Min if n > 0 => V::Money(lo as f64),
        AggFn::Max if n > 0 => V::Money(hi as f64),
        _ => V::Missing,
    }
}

/// The time of the first / last matching event at or before `as_of`.
pub(crate) fn since_event<'a>(which: Which, f: &CFilter, cx: &Cx<'a>) -> Option<EventRef<'a>> {
    let end = until(cx.view, cx.as_of);
    match which {
        Which::Last => (0..end).rev().filter_map(|i| cx.view.event(i)).find(|e| matches(f, *e, cx.pool)),
        Which::First => (0..end).filter_map(|i| cx.view.event(i)).find(|e| matches(f, *e, cx.pool)),
    }
}

pub(crate) fn operand(o: &COperand, cx: &mut Cx<'_>) -> V {
    match o {
        COperand::Agg { agg, f, w, .. } => aggregate(*agg, f, *w, cx),
        COperand::Since { which, f } => match since_event(*which, f, cx) {
            Some(e) => V::Dur(cx.as_of - e.at_micros()),
            None => V::Missing,
        },
        COperand::Stage => {
            if let Some(s) = &cx.stage {
                return s.clone().map_or(V::Missing, V::Text);
            }
            let s = match cx.side().and_then(|s| s.attrs.get("stage")) {
                Some(AttrValue::Text(t)) => Some(t.clone()),
                Some(_) => None,
                None => super::attrs::stage(cx.pool, cx.view, ts(cx.as_of)),
            };
            cx.stage = Some(s.clone());
            s.map_or(V::Missing, V::Text)
        }
        COperand::Tier => match cx.side().and_then(|s| s.attrs.get("tier")) {
            Some(AttrValue::Text(t)) => V::Text(t.clone()),
            Some(_) => V::Missing,
            None => cx.tiers.and_then(|t| t.tier_of(cx.view.position())).map_or(V::Missing, V::Text),
        },
        COperand::Attr(name) => cx.side().and_then(|s| s.attrs.get(name)).cloned().map_or(V::Missing, V::Attr),
        COperand::TagRules(_, values) => {
            for (v, n) in values {
                if eval(n, cx).matches() {
                    return V::Text(v.clone());
                }
            }
            V::Missing
        }
        COperand::TagManual(group) => {
            let as_of = cx.as_of;
            match cx.side().and_then(|s| s.manual.get(group)) {
                Some(t) if t.set_at.micros() <= as_of => V::Text(t.value.clone()),
                _ => V::Missing,
            }
        }
    }
}

pub(crate) fn test(t: &Test, v: &V) -> Truth {
    let ord = |a: f64, cmp: Cmp, b: f64| a.partial_cmp(&b).map_or(Truth::Unknown, |o| Truth::from_bool(cmp.holds(o)));
    match (t, v) {
        (_, V::Missing) => Truth::Unknown,
        (Test::Num(cmp, x), V::Num(n)) => ord(*n, *cmp, *x),
        (Test::Money(cmp, x), V::Money(m)) => ord(*m, *cmp, *x),
        (Test::Dur(cmp, x), V::Dur(d)) => Truth::from_bool(cmp.holds(d.cmp(x))),
        (Test::Text(cmp, set), V::Text(s)) => Truth::from_bool(text_test(*cmp, set, s)),
        (Test::Dyn(cmp, lit), V::Attr(a)) => dyn_test(*cmp, lit, a),
        _ => Truth::Unknown,
    }
}

/// Whether the steps occur in order, last at most `within` after the first, inside the window.
pub(crate) fn sequence<'a>(steps: &[CFilter], within: i64, w: CWindow, cx: &Cx<'a>) -> Option<Vec<EventRef<'a>>> {
    let (lo, hi) = w.bounds(cx.as_of);
    if hi <= lo || steps.is_empty() {
        return None;
    }
    let end = until(cx.view, hi);
    let start = if lo == i64::MIN { 0 } else { until(cx.view, lo) };
    let evs: Vec<EventRef<'a>> = (start..end).filter_map(|i| cx.view.event(i)).collect();
    for (i0, e0) in evs.iter().enumerate() {
        if !matches(&steps[0], *e0, cx.pool) {
            continue;
        }
        // earliest completion from this start (greedy is optimal for a fixed start)
        let mut chain = vec![*e0];
        let mut j = i0 + 1;
        for st in &steps[1..] {
            while j < evs.len() && !matches(st, evs[j], cx.pool) {
                j += 1;
            }
            if j >= evs.len() {
                return None; // no later start can complete either
            }
            chain.push(evs[j]);
            j += 1;
        }
        let last = chain[chain.len() - 1].at_micros();
        if last - e0.at_micros() <= within {
            return Some(chain);
        }
    }
    None
}

/// Evaluate a compiled node.
pub(crate) fn eval(n: &CNode, cx: &mut Cx<'_>) -> Truth {
    match n {
        CNode::And(args) => {
            let mut acc = Truth::True;
            for a in args {
                acc = acc.and(eval(a, cx));
                if acc == Truth::False {
                    return acc;
                }
            }
            acc
        }
        CNode::Or(args) => {
            let mut acc = Truth::False;
            for a in args {
                acc = acc.or(eval(a, cx));
                if acc == Truth::True {
                    return acc;
                }
            }
            acc
        }
        CNode::Not(a) => eval(a, cx).not(),
        CNode::Const(b) => Truth::from_bool(*b),
        CNode::Cmp(o, t) => {
            let v = operand(o, cx);
            test(t, &v)
        }
        CNode::Missing(o) => Truth::from_bool(operand(o, cx) == V::Missing),
        CNode::Did(f, w) => {
            let mut found = false;
            scan_back(cx.view, cx.pool, f, *w, cx.as_of, |_| {
                found = true;
                false
            });
            Truth::from_bool(found)
        }
        CNode::Seq(steps, within, w) => Truth::from_bool(sequence(steps, *within, *w, cx).is_some()),
        CNode::Segment(inner) => Truth::from_bool(eval(inner, cx).matches()),
    }
}

/// Instants after `as_of` at which a leaf's inputs change by the passage of time alone.
fn candidates(n: &CNode, cx: &mut Cx<'_>, out: &mut Vec<i64>) {
    let (as_of, view, pool) = (cx.as_of, cx.view, cx.pool);
    let events = |f: &CFilter, w: CWindow, out: &mut Vec<i64>| {
        for e in view.events() {
            if !matches(f, e, pool) {
                continue;
            }
            let at = e.at_micros();
            match w {
                CWindow::All => {
                    if at > as_of {
                        out.push(at);
                    }
                }
                CWindow::Last(d) => {
                    if at > as_of {
                        out.push(at);
                    }
                    if at.saturating_add(d) > as_of {
                        out.push(at.saturating_add(d));
                    }
                }
                CWindow::Between(a, b) => {
                    if at > as_of && at >= a && at < b {
                        out.push(at);
                    }
                }
            }
        }
    };
    match n {
        CNode::And(args) | CNode::Or(args) => {
            for a in args {
                candidates(a, cx, out);
            }
        }
        CNode::Not(a) | CNode::Segment(a) => candidates(a, cx, out),
        CNode::Const(_) => {}
        CNode::Did(f, w) => events(f, *w, out),
        CNode::Seq(steps, _, w) => {
            for s in steps {
                events(s, *w, out);
            }
        }
        CNode::Missing(o) | CNode::Cmp(o, _) => {
            match o {
                COperand::Agg { f, w, .. } => events(f, *w, out),
                COperand::Since { f, .. } => {
                    events(f, CWindow::All, out);
                    if let CNode::Cmp(_, Test::Dur(_, d)) = n {
                        // `since op d` flips at e + d (== holds) and just after it, for the event
                        // that is first / last then (any matching event may become it)
                        for e in view.events().filter(|e| matches(f, *e, pool)) {
                            let t = e.at_micros().saturating_add(*d);
                            for t in [t, t.saturating_add(1)] {
                                if t > as_of {
                                    out.push(t);
                                }
                            }
                        }
                    }
                }
                COperand::TagRules(_, values) => {
                    for (_, v) in values {
                        candidates(v, cx, out);
                    }
                }
                COperand::TagManual(group) => {
                    if let Some(t) = cx.side().and_then(|s| s.manual.get(group)) {
                        if t.set_at.micros() > as_of {
                            out.push(t.set_at.micros());
                        }
                    }
                }
                COperand::Stage => {
                    // a host-set stage does not change with time
                    if !cx.side().is_some_and(|s| s.attrs.contains_key("stage")) {
                        super::attrs::stage_candidates(cx.pool, ts(as_of), out);
                        // and any event coming into view (a first event, an order)
                        out.extend(view.events().map(|e| e.at_micros()).filter(|&t| t > as_of));
                    }
                }
                // host attributes do not change with time; tiers are pool-wide (see docs)
                COperand::Tier | COperand::Attr(_) => {}
            }
        }
    }
}

/// Most instants `next_change_at` re-evaluates at before it answers conservatively.
pub const MAX_NEXT_CHANGE_STEPS: usize = 256;

impl Compiled {
    /// The value of the rule for one customer at `as_of`.
    ///
    /// ```
    /// use yutang::rules::{parse, Compiled, Truth};
    /// use yutang::{EventInput, Pool};
    /// let mut pool = Pool::default();
    /// let evs: Vec<EventInput> = serde_json::from_str(r#"[
    ///   {"id": "e1", "at": "2024-05-02 10:00", "kind": "order", "amount": "99", "identities": [{"kind": "phone", "value": "13800138000"}]}
    /// ]"#).unwrap();
    /// pool.ingest_inputs(&evs);
    /// let rule = parse("orders(30d) >= 1 and avg(order, 30d) > 50")?;
    /// let c = Compiled::new(&rule, &pool)?;
    /// let as_of = yutang::parse_time("2024-05-10", pool.time_zone())?;
    /// let who = pool.customer_at(0).unwrap();
    /// assert_eq!(c.eval(&pool, who, as_of), Truth::True);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn eval(&self, pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Truth {
        let mut cx = Cx::new(pool, view, as_of.micros());
        let tiers = if self.uses.tier { Some(super::attrs::tiers(pool, as_of)) } else { None };
        cx.tiers = tiers.as_deref().and_then(Option::as_ref);
        eval(&self.root, &mut cx)
    }

    /// Whether the customer matches at `as_of` (unknown counts as not matching).
    pub fn matches(&self, pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> bool {
        self.eval(pool, view, as_of).matches()
    }

    /// When the answer for this customer can next change by the passage of time alone (an
    /// event leaving a window, `since_last` crossing its threshold, an event already in the pool
    /// but dated after `as_of` coming into view), or `None` if it cannot. Exact: the rule is
    /// re-evaluated at each instant where one of its inputs changes, up to
    /// [`MAX_NEXT_CHANGE_STEPS`] of them; past that the next such instant is returned (check
    /// again then). Lifecycle stages are followed day by day for 256 days (then that day is
    /// returned: check again then). Value tiers are pool-wide and not followed; see
    /// `docs/rules.md`.
    pub fn next_change_at(&self, pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Option<Timestamp> {
        let mut cx = Cx::new(pool, view, as_of.micros());
        let tiers = if self.uses.tier { Some(super::attrs::tiers(pool, as_of)) } else { None };
        cx.tiers = tiers.as_deref().and_then(Option::as_ref);
        let now = eval(&self.root, &mut cx);
        let mut cands = Vec::new();
        candidates(&self.root, &mut cx, &mut cands);
        cands.retain(|&t| t > as_of.micros() && t <= MAX_MICROS);
        cands.sort_unstable();
        cands.dedup();
        for (i, &t) in cands.iter().enumerate() {
            if i >= MAX_NEXT_CHANGE_STEPS {
                return Some(ts(t));
            }
            cx.at(t);
            if eval(&self.root, &mut cx) != now {
                return Some(ts(t));
            }
        }
        // stages are followed day by day up to a horizon: past it, check again then
        if self.uses.stage {
            return cands.last().map(|&t| ts(t));
        }
        None
    }
}
