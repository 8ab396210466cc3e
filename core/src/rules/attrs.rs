//! Customer attributes that other modules provide: the lifecycle stage and the value tier.
//!
//! **The one place where the lifecycle module is wired in.** Until it is, `stage` and `tier`
//! come only from host-set attributes (`Pool::set_attribute(id, "stage", …)`), which also
//! override what the lifecycle module computes.

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
// LIFECYCLE WIRING: call `crate::lifecycle::stage_at(pool, view, as_of)` here.
pub(crate) fn stage(_pool: &Pool, _view: CustomerView<'_>, _as_of: Timestamp) -> Option<String> {
    None
}

/// When the lifecycle stage of a customer can next change by time alone.
// LIFECYCLE WIRING: the lifecycle module's next transition time goes here.
pub(crate) fn stage_next_change(_pool: &Pool, _view: CustomerView<'_>, _as_of: Timestamp) -> Option<Timestamp> {
    None
}

/// Value tiers of the pool at `as_of`.
// LIFECYCLE WIRING: build from `Pool::rfm(as_of)` (tier per customer position) here.
pub(crate) fn tiers(_pool: &Pool, _as_of: Timestamp) -> Option<Tiers> {
    let _ = Tiers::default().by_position.len();
    None
}
