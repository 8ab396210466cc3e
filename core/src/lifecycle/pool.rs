//! The stage machine over the pool's customers.

use super::machine::{At, Machine};
use super::stage::{Stage, StageAt, StageChange, Transition};
use super::{LifecycleConfig, Scanner};
use crate::error::Result;
use crate::model::{EventKind, Timestamp};
use crate::pool::{CustomerView, Pool};
use std::collections::BTreeMap;

/// One customer's stage at an instant (a row of [`Pool::lifecycle`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LifecycleRow {
    /// The customer.
    pub customer_id: String,
    /// The stage.
    pub stage: Stage,
    /// Since when.
    pub since: Timestamp,
}

/// One cell of a transition matrix: how many customers were in `from` at the first date and
/// in `to` at the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransitionCount {
    /// Stage at the first date (`None`: not yet known then).
    pub from: Option<Stage>,
    /// Stage at the second date.
    pub to: Stage,
    /// Number of customers.
    pub customers: u64,
}

/// A customer's stage at `as_of` under the pool's lifecycle configuration, and since when;
/// `None` when the customer has no event at or before `as_of`.
///
/// # Example
/// See the [module documentation](super).
pub fn stage_at(pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Option<StageAt> {
    let cfg = pool.lifecycle_config();
    let mut m = Machine::new(cfg, pool.time_zone());
    let rates = BTreeMap::new();
    let mut sc = Scanner::new(pool, &rates);
    stage_with(&mut m, &mut sc, &view, as_of)
}

pub(crate) fn stage_with<'p>(
    m: &mut Machine<'_>,
    sc: &mut Scanner<'p>,
    view: &CustomerView<'p>,
    as_of: Timestamp,
) -> Option<StageAt> {
    let facts = sc.scan(view, as_of.micros())?;
    stage_of_scan(m, sc, facts.first, as_of)
}

/// The stage at `as_of` from the last scan.
pub(crate) fn stage_of_scan(m: &mut Machine<'_>, sc: &Scanner<'_>, first: i64, as_of: Timestamp) -> Option<StageAt> {
    let (stage, since) = m.walk(first, &sc.orders, as_of.micros(), |_, _, _| {})?;
    Some(StageAt { stage, since: ts(m.resolve(since)) })
}

fn ts(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
        .unwrap_or_else(|_| unreachable!("transition times come from stored times and day starts in range"))
}

impl Pool {
    pub(crate) fn order_code(&self) -> u8 {
        self.kind_code(&EventKind::Order).unwrap_or_else(|| unreachable!("built-in kinds always have a code"))
    }

    /// The lifecycle configuration (defaults until [`Pool::set_lifecycle_config`]).
    pub fn lifecycle_config(&self) -> &LifecycleConfig {
        &self.ext().lifecycle.config
    }

    /// Set the lifecycle configuration (kept in snapshots).
    ///
    /// # Errors
    /// The errors of [`LifecycleConfig::validate`]; the pool keeps its configuration.
    pub fn set_lifecycle_config(&mut self, config: LifecycleConfig) -> Result<()> {
        config.validate()?;
        self.ext_mut().lifecycle.config = config;
        Ok(())
    }

    /// Every customer known at `as_of` (an event at or before it) with their stage and since
    /// when, in founding order.
    ///
    /// # Example
    /// See [`crate::lifecycle`].
    pub fn lifecycle(&self, as_of: Timestamp) -> Vec<LifecycleRow> {
        let mut out = Vec::with_capacity(self.customer_count());
        self.each_stage(as_of, |view, s| {
            out.push(LifecycleRow { customer_id: view.id(), stage: s.stage, since: s.since });
        });
        out
    }

    /// Call `f` with each known customer's stage at `as_of`, in founding order.
    pub(crate) fn each_stage(&self, as_of: Timestamp, mut f: impl FnMut(&CustomerView<'_>, StageAt)) {
        let mut m = Machine::new(self.lifecycle_config(), self.time_zone());
        let rates = BTreeMap::new();
        let mut sc = Scanner::new(self, &rates);
        for pos in 0..self.customer_count() {
            let Some(view) = self.customer_at(pos) else { break };
            if let Some(s) = stage_with(&mut m, &mut sc, &view, as_of) {
                f(&view, s);
            }
        }
    }

    /// One customer's stage at `as_of` (`None`: not known yet).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown customer id.
    pub fn stage_of(&self, customer_id: &str, as_of: Timestamp) -> Result<Option<StageAt>> {
        Ok(stage_at(self, self.customer(customer_id)?, as_of))
    }

    /// A customer's stage history up to `as_of`: every transition with its time, the first
    /// entry (`from: None`) when they became known.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown customer id.
    pub fn stage_history(&self, customer_id: &str, as_of: Timestamp) -> Result<Vec<Transition>> {
        let view = self.customer(customer_id)?;
        let mut m = Machine::new(self.lifecycle_config(), self.time_zone());
        let rates = BTreeMap::new();
        let mut sc = Scanner::new(self, &rates);
        let mut out = Vec::new();
        if let Some(facts) = sc.scan(&view, as_of.micros()) {
            let mut raw = Vec::new();
            m.walk(facts.first, &sc.orders, as_of.micros(), |from, to, at| raw.push((from, to, at)));
            out = raw.into_iter().map(|(from, to, at)| Transition { from, to, at: ts(m.resolve(at)) }).collect();
        }
        Ok(out)
    }

    /// Stage transitions of every customer with `after < at <= until`, as events for journeys
    /// to trigger on, sorted by (time, customer id). A transition caused by an order carries
    /// the order's time; a decay (`at_risk`, `churned`) the start of the day it happened.
    pub fn stage_changes(&self, after: Timestamp, until: Timestamp) -> Vec<StageChange> {
        let mut m = Machine::new(self.lifecycle_config(), self.time_zone());
        let rates = BTreeMap::new();
        let mut sc = Scanner::new(self, &rates);
        let mut out = Vec::new();
        let (lo, hi) = (after.micros(), until.micros());
        // a day starts after `lo` exactly when it comes after `lo`'s day
        let lo_day = m.clock().day(lo);
        let mut raw = Vec::new();
        for pos in 0..self.customer_count() {
            let Some(view) = self.customer_at(pos) else { break };
            let Some(facts) = sc.scan(&view, hi) else { continue };
            raw.clear();
            m.walk(facts.first, &sc.orders, hi, |from, to, at| raw.push((from, to, at)));
            let mut id: Option<String> = None;
            for &(from, to, at) in &raw {
                let after = match at {
                    At::Instant(t) => t > lo,
                    At::DayStart(d) => d > lo_day,
                };
                if after {
                    let customer_id = id.get_or_insert_with(|| view.id()).clone();
                    out.push(StageChange { customer_id, from, to, at: ts(m.resolve(at)) });
                }
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.customer_id.cmp(&b.customer_id)));
        out
    }

    /// How many customers are in each stage at `as_of`, in [`Stage::ALL`] order (zeros
    /// included).
    pub fn stage_distribution(&self, as_of: Timestamp) -> Vec<(Stage, u64)> {
        let mut counts = [0u64; 6];
        self.each_stage(as_of, |_, s| counts[s.stage.index()] += 1);
        Stage::ALL.iter().map(|&s| (s, counts[s.index()])).collect()
    }

    /// The transition matrix between two dates: for every (stage at `from`, stage at `to`)
    /// pair with customers, how many; customers not yet known at `from` have `from: None`.
    /// Sorted by (from, to) with `None` first. `from` after `to` swaps nothing: it is counted
    /// as given.
    pub fn stage_transitions(&self, from: Timestamp, to: Timestamp) -> Vec<TransitionCount> {
        let mut counts = [[0u64; 6]; 7];
        let mut m = Machine::new(self.lifecycle_config(), self.time_zone());
        let rates = BTreeMap::new();
        let mut sc = Scanner::new(self, &rates);
        for pos in 0..self.customer_count() {
            let Some(view) = self.customer_at(pos) else { break };
            let Some(b) = stage_with(&mut m, &mut sc, &view, to) else { continue };
            let a = stage_with(&mut m, &mut sc, &view, from);
            counts[a.map_or(0, |s| s.stage.index() + 1)][b.stage.index()] += 1;
        }
        let mut out = Vec::new();
        for (i, row) in counts.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                if c > 0 {
                    out.push(TransitionCount {
                        from: (i > 0).then(|| Stage::ALL[i - 1]),
                        to: Stage::ALL[j],
                        customers: c,
                    });
                }
            }
        }
        out
    }
}
