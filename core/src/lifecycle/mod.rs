//! Lifecycle stages: a configurable stage machine over each customer's orders.
//!
//! # The default machine
//! `prospect` (known, no order) → `new` (exactly one order) → `repeat` (two or more) →
//! `at_risk` (no order for 90 days) → `churned` (no order for 180 days) → `won_back` (a churned
//! customer bought again) → `repeat` at their next order. Stages move backwards: any order
//! moves an at-risk customer back to `repeat` (a churned one to `won_back`); a one-time buyer
//! decays too. Thresholds can instead follow each customer's own rhythm ([`Rhythm`]) or the
//! BG/NBD probability alive ([`PAlive`]); see [`LifecycleConfig`].
//!
//! Days are calendar days in the pool's business time zone: a buyer whose last order was on
//! day `D` becomes at risk at 00:00 of day `D + 90` (when their `recency_days` reaches 90) and
//! churned at 00:00 of day `D + 180`. An order at exactly that instant wins over the decay.
//! Orders are `order` events (refunds do not change the stage); the customer is known from
//! their first event of any kind. The stage is recomputed from the events, so a late or
//! merged event rewrites the history consistently.
//!
//! # Interface for the other modules
//! - [`stage_at`]`(pool, view, as_of) -> Option<StageAt>`: one customer's stage and since when
//!   (`None` when the customer has no event at or before `as_of`), under the pool's
//!   lifecycle configuration ([`crate::Pool::lifecycle_config`]).
//! - [`crate::Pool::lifecycle`]`(as_of)`: every known customer's stage.
//! - [`crate::Pool::stage_history`], [`crate::Pool::stage_changes`] (transitions as timed
//!   [`StageChange`] events, for journeys), [`crate::Pool::stage_distribution`],
//!   [`crate::Pool::stage_transitions`] (the matrix between two dates).
//!
//! The stage at `t` is always the `to` of the last history entry at or before `t`: all of them
//! come from one walk over the orders ([`Machine::walk`]).
//!
//! # Example
//! ```
//! use yutang::{EventInput, Pool, parse_time};
//! use yutang::lifecycle::Stage;
//! let mut pool = Pool::default();
//! let evs: Vec<EventInput> = serde_json::from_str(r#"[
//!   {"id": "1", "at": "2024-01-01 09:00", "kind": "register", "identities": [{"kind": "phone", "value": "13800138000"}]},
//!   {"id": "2", "at": "2024-01-10 15:00", "kind": "order", "amount": "99", "identities": [{"kind": "phone", "value": "13800138000"}]}
//! ]"#).unwrap();
//! pool.ingest_inputs(&evs);
//! let tz = pool.time_zone();
//! let rows = pool.lifecycle(parse_time("2024-02-01", tz)?);
//! assert_eq!(rows[0].stage, Stage::New);
//! // 2024-01-10 + 90 days = 2024-04-09: at risk from its midnight (business zone)
//! let rows = pool.lifecycle(parse_time("2024-04-09 00:00", tz)?);
//! assert_eq!((rows[0].stage, rows[0].since), (Stage::AtRisk, parse_time("2024-04-09", tz)?));
//! # Ok::<(), yutang::Error>(())
//! ```

mod config;
mod machine;
pub(crate) mod pool;
mod scan;
pub(crate) mod section;
mod stage;

pub use config::{LifecycleConfig, PAlive, Rhythm, MAX_THRESHOLD_DAYS};
pub use machine::{At, DayClock, Machine};
pub use pool::{next_stage_change, stage_at, LifecycleRow, TransitionCount};
pub(crate) use scan::Scanner;
pub use stage::{Stage, StageAt, StageChange, Transition};

/// The pool-held settings of the lifecycle and RFM modules (one snapshot section,
/// `lifecycle`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LifecycleState {
    /// The stage machine's configuration.
    pub config: LifecycleConfig,
    /// RFM scoring and tiers.
    pub rfm: crate::rfm::RfmOptions,
}
