//! Journey results: per arm, the customers who entered, converted (a goal within the conversion
//! window) and their revenue, with the lift over the control and its intervals and tests.
//!
//! The customer is the unit, as the arms are drawn per customer: an instance of a journey that
//! customers re-enter is not an independent trial (a frequent buyer enters often and converts
//! often), and counting instances would make the tests far too confident. Every customer
//! counts in the arm they were assigned (intention to treat): the journey's first split arm
//! drawn for them, or `global_control`. Conversions and revenue are read from the customer's
//! events after each entry, so a control instance, which sends nothing, is measured exactly
//! like the arms that send, and a late order counts when it arrives.

use super::runner::{Ctx, Instance, JourneyState, HELD, MERGED};
use super::simulate::StepCount;
use super::stats::{compare, Sequential};
use super::{Journey, Span};
use crate::error::{Error, Result};
use crate::model::{EventKind, Timestamp};
use crate::pool::Pool;
use serde::{Deserialize, Serialize};

/// The arm name of the global control group.
pub const GLOBAL_CONTROL: &str = "global_control";
/// The arm name of the customers who received a journey without a split (or, in
/// [`Pool::global_control_results`], any journey).
pub const TREATMENT: &str = "treatment";

/// Options of the results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResultsOptions {
    /// Confidence level of the intervals (default 0.95).
    pub level: f64,
    /// τ², the variance of the normal mixing distribution of the sequential test, on the scale
    /// of a difference of conversion rates (default 0.001: τ ≈ 3 percentage points). Set τ near
    /// the lift you expect: the test is most powerful there, and valid for any τ.
    pub mixing_variance: f64,
}

impl Default for ResultsOptions {
    fn default() -> Self {
        ResultsOptions { level: 0.95, mixing_variance: 0.001 }
    }
}

impl ResultsOptions {
    /// Check the options.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `level` (strictly between 0 and 1) or `mixing_variance`
    /// (positive and finite).
    pub fn validate(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::invalid("level", self.level.to_string(), "must lie strictly between 0 and 1"));
        }
        if !(self.mixing_variance > 0.0 && self.mixing_variance.is_finite()) {
            return Err(Error::invalid("mixing_variance", self.mixing_variance.to_string(), "must be positive"));
        }
        Ok(())
    }
}

/// The results of one arm. Rates and lifts are `None` where they are undefined (no entries, or
/// the arm is the baseline itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    /// The arm: a split arm's name, [`TREATMENT`] or [`GLOBAL_CONTROL`].
    pub arm: String,
    /// Customers who entered the journey by `as_of` (once or more).
    pub entered: u64,
    /// Of those, customers with a goal event after an entry and within its conversion window
    /// (and by `as_of`).
    pub converted: u64,
    /// Customers not converted yet with a conversion window still open at `as_of` (they may
    /// still convert).
    pub open: u64,
    /// `converted / entered`.
    pub conversion_rate: Option<f64>,
    /// The Wilson score interval of the conversion rate, lower end.
    pub rate_low: Option<f64>,
    /// The Wilson score interval, upper end.
    pub rate_high: Option<f64>,
    /// Order amounts within the customers' conversion windows (each order once), in the pool's
    /// currency (major units).
    pub revenue: f64,
    /// `revenue / entered`.
    pub revenue_per_customer: Option<f64>,
    /// The conversion rate minus the baseline's.
    pub lift: Option<f64>,
    /// Newcombe's hybrid score interval of the lift, lower end.
    pub lift_low: Option<f64>,
    /// Newcombe's interval, upper end.
    pub lift_high: Option<f64>,
    /// The conversion rate over the baseline's, minus 1.
    pub relative_lift: Option<f64>,
    /// The log-scale interval of the rate ratio (½ added to counts and trials), minus 1:
    /// lower end.
    pub relative_lift_low: Option<f64>,
    /// Upper end.
    pub relative_lift_high: Option<f64>,
    /// Revenue per customer minus the baseline's.
    pub revenue_lift: Option<f64>,
    /// The normal (delta-method) interval of the revenue lift, with the two arms' sample
    /// variances: lower end.
    pub revenue_lift_low: Option<f64>,
    /// Upper end.
    pub revenue_lift_high: Option<f64>,
    /// Two-sided p-value of the score test of equal conversion rates (pooled variance with the
    /// N / (N − 1) correction).
    pub p_value: Option<f64>,
    /// The always-valid p-value of the mixture sequential test over the customers' outcomes in
    /// the order they became final (the first conversion, or the close of the last window
    /// without one): valid however often the results are looked at.
    pub p_value_sequential: Option<f64>,
}

/// Results of a journey (or of the global control group across every journey).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyResults {
    /// The journey id (`*` for the results of the global control group across journeys).
    pub journey: String,
    /// The time of the results.
    pub as_of: Timestamp,
    /// The conversion window (the longest of the journeys' across journeys).
    pub conversion_window: Span,
    /// The arm the lifts are measured against: the journey's control arm (a split arm without
    /// `goto`), else the global control group; `None` when there is neither.
    pub baseline: Option<String>,
    /// The confidence level of the intervals.
    pub level: f64,
    /// Per arm: the split's arms in their order (or [`TREATMENT`]), then [`GLOBAL_CONTROL`]
    /// when the pool has a global control group.
    pub arms: Vec<ArmResult>,
    /// Per step of the journey: visits, sends, deferrals, drops and suppressions counted by
    /// this pool object (they start at zero when a pool is restored from a snapshot). Empty
    /// across journeys.
    pub steps: Vec<StepCount>,
    /// Orders in the windows whose currency is not the pool's (left out of the revenue).
    pub other_currency_orders: u64,
}

/// One customer, measured.
struct Measured {
    converted: bool,
    /// When the outcome became final (the first conversion, or the close of the customer's
    /// last window); `None` while a window is open.
    final_at: Option<i64>,
    revenue: f64,
}

#[derive(Default, Clone)]
struct Tally {
    n: u64,
    x: u64,
    open: u64,
    rev: f64,
    rev2: f64,
    finals: Vec<(i64, u32, bool)>,
}

impl Tally {
    fn add(&mut self, m: &Measured, order: u32) {
        self.n += 1;
        self.x += m.converted as u64;
        self.open += (!m.converted && m.final_at.is_none()) as u64;
        self.rev += m.revenue;
        self.rev2 += m.revenue * m.revenue;
        if let Some(t) = m.final_at {
            self.finals.push((t, order, m.converted));
        }
    }

    fn mean_var(&self) -> (f64, f64) {
        let n = self.n as f64;
        let mean = self.rev / n;
        let var = if self.n > 1 { ((self.rev2 - n * mean * mean) / (n - 1.0)).max(0.0) } else { 0.0 };
        (mean, var)
    }
}

/// One entry of a customer: its arm, entry time, the close of its window and its conversion.
struct Entry {
    arm: usize,
    entered: i64,
    close: i64,
    converted_at: Option<i64>,
}

impl JourneyState {
    /// Results of journey `id` at `as_of`.
    pub(crate) fn results(&self, pool: &Pool, id: &str, as_of: i64, opts: &ResultsOptions) -> Result<JourneyResults> {
        opts.validate()?;
        let defs = self.definitions();
        let Some(j) = defs.iter().position(|d| d.id == id) else {
            return Err(Error::invalid("journey", id, "no journey with this id in the pool"));
        };
        let def = &defs[j];
        let mut names: Vec<String> = match def.first_split() {
            Some((_, arms)) => arms.iter().map(|a| a.name.clone()).collect(),
            None => vec![TREATMENT.to_string()],
        };
        let gc = names.len();
        names.push(GLOBAL_CONTROL.to_string());
        let pick = |x: &Instance| {
            if x.journey as usize != j {
                return None;
            }
            Some(match self.arm_of(def, x) {
                Some(GLOBAL_CONTROL) => gc,
                Some(name) => names.iter().position(|n| n == name).unwrap_or(0),
                None => 0,
            })
        };
        let (mut tally, other) = self.tally(pool, &defs, as_of, names.len(), pick)?;
        let control_arm = def.first_split().and_then(|(_, arms)| arms.iter().position(|a| a.goto.is_none()));
        let has_gc = self.settings.global_control > 0.0 || tally[gc].n > 0;
        if !has_gc {
            names.pop();
            tally.pop();
        }
        let baseline = control_arm.or(has_gc.then_some(gc));
        let steps = self.step_counts(j, def);
        Ok(assemble(id, as_of, def.conversion_window_span(), names, tally, baseline, opts, steps, other))
    }

    /// Results of the global control group across every journey at `as_of`.
    pub(crate) fn global_results(&self, pool: &Pool, as_of: i64, opts: &ResultsOptions) -> Result<JourneyResults> {
        opts.validate()?;
        let defs = self.definitions();
        let names = vec![TREATMENT.to_string(), GLOBAL_CONTROL.to_string()];
        let (tally, other) = self.tally(pool, &defs, as_of, 2, |x| Some((x.outcome & HELD != 0) as usize))?;
        let longest = defs.iter().map(|d| d.conversion_window_span()).max().unwrap_or(super::DEFAULT_CONVERSION_WINDOW);
        Ok(assemble("*", as_of, longest, names, tally, Some(1), opts, Vec::new(), other))
    }

    /// Tally the customers with an entry that `pick` assigns to an arm, entered by `as_of`.
    /// The customer is the unit (it is what the arms are drawn for): in the arm of their first
    /// entry; converted when any entry had a goal event after its entry and within its
    /// conversion window; their revenue is the orders within the union of their windows.
    fn tally(
        &self,
        pool: &Pool,
        defs: &[Journey],
        as_of: i64,
        arms: usize,
        pick: impl Fn(&Instance) -> Option<usize>,
    ) -> Result<(Vec<Tally>, u64)> {
        let mut ctx = Ctx::new(pool, self);
        ctx.compile(defs)?;
        let mut tally = vec![Tally::default(); arms];
        let mut other = 0u64;
        let mut order = 0u32;
        let mut entries: Vec<Entry> = Vec::new();
        let mut flush = |view: &crate::pool::CustomerView<'_>, entries: &mut Vec<Entry>, other: &mut u64| {
            if entries.is_empty() {
                return;
            }
            entries.sort_by_key(|e| e.entered);
            let first_conv = entries.iter().filter_map(|e| e.converted_at).min();
            let last_close = entries.iter().map(|e| e.close).max().unwrap_or(i64::MIN);
            let final_at = first_conv.or((last_close <= as_of).then_some(last_close));
            let mut revenue = 0.0;
            let mut reach = i64::MIN;
            for e in entries.iter() {
                let (lo, hi) = (e.entered.max(reach), e.close.min(as_of));
                if hi > lo {
                    revenue += orders_between(pool, view, lo, hi, other);
                    reach = hi;
                }
            }
            let m = Measured { converted: first_conv.is_some(), final_at, revenue };
            tally[entries[0].arm].add(&m, order);
            order += 1;
            entries.clear();
        };
        let mut cur = None;
        self.for_each_view(pool, |view, inst| {
            if inst.entered > as_of {
                return;
            }
            let Some(arm) = pick(inst) else { return };
            if cur.is_some_and(|(p, _)| p != view.position()) {
                if let Some((_, v)) = cur {
                    flush(&v, &mut entries, &mut other);
                }
            }
            cur = Some((view.position(), *view));
            let def = &defs[inst.journey as usize];
            let close = inst.entered.saturating_add(def.conversion_window_span().micros());
            let converted_at = self.converted_at(&ctx, view, def, inst, close.min(as_of));
            entries.push(Entry { arm, entered: inst.entered, close, converted_at });
        });
        if let Some((_, v)) = cur {
            flush(&v, &mut entries, &mut other);
        }
        Ok((tally, other))
    }

    /// Call `f` with the customer's view and each of their entries (the ended instances kept
    /// for the results, then the instances), customer by customer in the pool's order. The
    /// younger instance of a merge (outcome `merged`) is not an entry of its own; a customer no
    /// longer in the pool is skipped.
    fn for_each_view<'p>(&self, pool: &'p Pool, mut f: impl FnMut(&crate::pool::CustomerView<'p>, &Instance)) {
        let nc = self.customers.len();
        let survivor = |mut c: usize| {
            for _ in 0..nc {
                match self.customers[c].merged_into {
                    u32::MAX => break,
                    m => c = m as usize,
                }
            }
            c
        };
        let mut pos = vec![None; nc];
        for (l, c) in self.customers.iter().enumerate() {
            if c.merged_into == u32::MAX && !c.id.is_empty() {
                pos[l] = pool.position_of(&c.id);
            }
        }
        let mut items: Vec<(usize, u32, Instance)> = Vec::new();
        for (n, e) in self.ended.iter().enumerate() {
            let l = survivor(e.cust as usize);
            if let Some(p) = pos[l] {
                items.push((p, n as u32, e.instance(l as u32)));
            }
        }
        let base = self.ended.len() as u32;
        for (l, p) in pos.iter().enumerate() {
            let Some(p) = *p else { continue };
            let mut i = self.customers[l].first;
            while i != u32::MAX {
                let x = self.instances[i as usize];
                items.push((p, base + i, x));
                i = x.next;
            }
        }
        items.retain(|it| it.2.outcome & !HELD != MERGED);
        items.sort_unstable_by_key(|it| (it.0, it.1));
        let mut k = 0;
        while k < items.len() {
            let p = items[k].0;
            let Some(view) = pool.customer_at(p) else {
                k += 1;
                continue;
            };
            while k < items.len() && items[k].0 == p {
                f(&view, &items[k].2);
                k += 1;
            }
        }
    }

    /// The time of the first goal event after the instance's entry, up to `hi`.
    fn converted_at(
        &self,
        ctx: &Ctx<'_>,
        view: &crate::pool::CustomerView<'_>,
        def: &Journey,
        inst: &Instance,
        hi: i64,
    ) -> Option<i64> {
        if def.goals.is_empty() || hi <= inst.entered {
            return None;
        }
        let (a, b) = (view.until(ts(inst.entered)), view.until(ts(hi)));
        (a..b)
            .filter_map(|k| view.event(k))
            .find(|e| def.goals.iter().any(|r| self.rule_matches(ctx, view, r, def, inst, e)))
            .map(|e| e.at_micros())
    }

    fn step_counts(&self, j: usize, def: &Journey) -> Vec<StepCount> {
        let counters = self.live_counters().get(j);
        def.steps
            .iter()
            .enumerate()
            .map(|(s, step)| {
                let k = counters.and_then(|c| c.steps.get(s)).copied().unwrap_or([0; 5]);
                StepCount {
                    journey: def.id.clone(),
                    step: step.id.clone(),
                    visits: k[0],
                    sent: k[1],
                    deferred: k[2],
                    dropped: k[3],
                    suppressed: k[4],
                }
            })
            .collect()
    }
}

fn ts(t: i64) -> Timestamp {
    super::runner::ts(t)
}

/// An order's amount in the pool's currency (0, counted in `other`, for another currency).
fn order_amount(pool: &Pool, e: &crate::pool::EventRef<'_>, other: &mut u64) -> f64 {
    match e.money() {
        Some(m) if m.currency == pool.config().currency => m.to_major_f64(),
        Some(_) => {
            *other += 1;
            0.0
        }
        None => 0.0,
    }
}

/// Order amounts of the customer in `(lo, hi]`.
fn orders_between(pool: &Pool, view: &crate::pool::CustomerView<'_>, lo: i64, hi: i64, other: &mut u64) -> f64 {
    let Some(code) = pool.kind_code(&EventKind::Order) else { return 0.0 };
    let (a, b) = (view.until(ts(lo)), view.until(ts(hi)));
    (a..b).filter_map(|k| view.event(k)).filter(|e| e.kind_code() == code).map(|e| order_amount(pool, &e, other)).sum()
}

/// The results from the tallies: rates, intervals, lifts and tests against the baseline.
#[allow(clippy::too_many_arguments)]
fn assemble(
    id: &str,
    as_of: i64,
    window: Span,
    names: Vec<String>,
    tally: Vec<Tally>,
    baseline: Option<usize>,
    opts: &ResultsOptions,
    steps: Vec<StepCount>,
    other: u64,
) -> JourneyResults {
    let z = crate::stats::norm_isf((1.0 - opts.level) / 2.0);
    let base = baseline.map(|b| &tally[b]).filter(|b| b.n > 0);
    let arms = names
        .iter()
        .zip(&tally)
        .enumerate()
        .map(|(k, (name, t))| {
            let against = base.filter(|_| Some(k) != baseline);
            let c = compare(t.x, t.n, against.map(|b| (b.x, b.n)), opts.level);
            let mut r = ArmResult {
                arm: name.clone(),
                entered: t.n,
                converted: t.x,
                open: t.open,
                conversion_rate: c.rate,
                rate_low: c.rate_low,
                rate_high: c.rate_high,
                revenue: t.rev,
                revenue_per_customer: (t.n > 0).then(|| t.rev / t.n as f64),
                lift: c.lift,
                lift_low: c.lift_low,
                lift_high: c.lift_high,
                relative_lift: c.relative_lift,
                relative_lift_low: c.relative_lift_low,
                relative_lift_high: c.relative_lift_high,
                revenue_lift: None,
                revenue_lift_low: None,
                revenue_lift_high: None,
                p_value: c.p_value,
                p_value_sequential: None,
            };
            if let Some(b) = against.filter(|_| t.n > 0) {
                let ((m1, v1), (m0, v0)) = (t.mean_var(), b.mean_var());
                let se = (v1 / t.n as f64 + v0 / b.n as f64).sqrt();
                r.revenue_lift = Some(m1 - m0);
                r.revenue_lift_low = Some(m1 - m0 - z * se);
                r.revenue_lift_high = Some(m1 - m0 + z * se);
                let mut seq = Sequential::new(opts.mixing_variance);
                let mut stream: Vec<(i64, u32, bool, usize)> = b
                    .finals
                    .iter()
                    .map(|f| (f.0, f.1, f.2, 0))
                    .chain(t.finals.iter().map(|f| (f.0, f.1, f.2, 1)))
                    .collect();
                stream.sort_unstable();
                for (_, _, conv, arm) in stream {
                    seq.push(arm, conv);
                }
                r.p_value_sequential = Some(seq.p);
            }
            r
        })
        .collect();
    JourneyResults {
        journey: id.to_string(),
        as_of: ts(as_of),
        conversion_window: window,
        baseline: baseline.map(|b| names[b].clone()),
        level: opts.level,
        arms,
        steps,
        other_currency_orders: other,
    }
}
