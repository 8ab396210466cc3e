//! Customer attributes that other modules provide: the lifecycle stage and the value tier.
//!
//! **The one place where the lifecycle module is wired in.** A host-set attribute (`stage`,
//! `tier` through `Pool::set_attribute`) overrides what the lifecycle module computes.

use crate::model::Timestamp;
use crate::pool::{CustomerView, Pool};

/// Value tiers of every customer at one instant (RFM, pool-wide quantiles), by position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tiers {
    by_position: Vec<Option<String>>,
}

impl crate::heap::Heap for Tiers {
    fn heap(&self) -> usize {
        self.by_position.heap()
    }
}

impl Tiers {
    pub(crate) fn tier_of(&self, position: usize) -> Option<String> {
        self.by_position.get(position).cloned().flatten()
    }
}

/// The lifecycle stage of a customer at `as_of` under the pool's lifecycle configuration.
pub(crate) fn stage(pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Option<String> {
    crate::lifecycle::stage_at(pool, view, as_of).map(|s| s.stage.as_str().to_string())
}

/// Most days ahead that `next_change_at` follows lifecycle stages.
const STAGE_DAYS_AHEAD: u32 = 256;

/// Instants after `as_of` at which the lifecycle stage can change by time alone: stages move at
/// the start of a day in the business zone, so the next day starts (up to 256 of them;
/// `next_change_at` answers conservatively past that).
pub(crate) fn stage_candidates(pool: &Pool, as_of: Timestamp, out: &mut Vec<i64>) {
    let tz = pool.time_zone();
    let mut day = as_of.date_in(tz);
    for _ in 0..STAGE_DAYS_AHEAD {
        let Some(next) = day.succ_opt() else { break };
        day = next;
        if let Ok(t) = Timestamp::start_of_day(day, tz) {
            if t > as_of {
                out.push(t.micros());
            }
        }
    }
}

/// Value tiers of the pool at `as_of` (RFM scores with the pool's options); `None` inside when
/// they cannot be computed (e.g. amounts in a currency without a rate). Computed once per
/// `as_of` until the pool changes, so evaluating one customer at a time (journeys, `explain`)
/// does not recompute the whole pool's RFM for each customer.
pub(crate) fn tiers(pool: &Pool, as_of: Timestamp) -> std::sync::Arc<Option<Tiers>> {
    pool.cached_at(as_of, || {
        let rows = pool.rfm(as_of).ok()?;
        let mut by_position = vec![None; pool.customer_count()];
        for r in rows {
            if let Some(p) = pool.position_of(&r.customer_id) {
                by_position[p] = Some(r.tier);
            }
        }
        Some(Tiers { by_position })
    })
}
