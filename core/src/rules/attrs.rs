//! Customer attributes that other modules provide: the lifecycle stage and the value tier.
//!
//! **The one place where the lifecycle module is wired in**: `stage` is
//! [`crate::lifecycle::stage_at`] under the pool's lifecycle configuration and `tier` the tier
//! of [`Pool::rfm`] at the same `as_of`. Host-set attributes (`Pool::set_attribute(id, "stage",
//! …)`) override both.

use crate::model::Timestamp;
use crate::pool::{CustomerView, Pool};

/// Value tiers of every customer at one instant (pool-wide quantiles), by position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tiers {
    by_position: Vec<Option<String>>,
}

impl Tiers {
    pub(crate) fn tier_of(&self, position: usize) -> Option<String> {
        self.by_position.get(position).cloned().flatten()
    }
}

/// The lifecycle stage of a customer at `as_of` (without a host-set override).
pub(crate) fn stage(pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Option<String> {
    crate::lifecycle::stage_at(pool, view, as_of).map(|s| s.stage.as_str().to_string())
}

/// When the lifecycle stage of a customer can next change by time alone.
pub(crate) fn stage_next_change(pool: &Pool, view: CustomerView<'_>, as_of: Timestamp) -> Option<Timestamp> {
    crate::lifecycle::next_stage_change(pool, view, as_of)
}

/// Value tiers of the pool at `as_of` (the pool's RFM settings); `None` when they cannot be
/// computed (e.g. an order in a currency without a rate), so `tier` is missing.
pub(crate) fn tiers(pool: &Pool, as_of: Timestamp) -> Option<Tiers> {
    let rows = pool.rfm(as_of).ok()?;
    let mut by_position = vec![None; pool.customer_count()];
    for row in rows {
        if let Some(p) = pool.position_of(&row.customer_id) {
            by_position[p] = Some(row.tier);
        }
    }
    Some(Tiers { by_position })
}
