//! Growth-dashboard metrics: the growth formula and its decomposition, cohort retention and
//! repurchase, referral ("fission") trees and the K-factor, group-chat activity, and cross-sell
//! affinity.
//!
//! Every metric has a columnar form (dense `u32` codes for customers, items, channels …, `i64`
//! µs timestamps, `f64` amounts in major units) that the bindings call on DataFrames, and a pool
//! form (`Pool::cohort_retention`, `Pool::growth`, `Pool::referrals`, `Pool::group_activity`,
//! `Pool::affinity`) that reads the pool's compact rows. Both run the same kernels. Month, day
//! and week boundaries are those of a business time zone (the pool's, or the caller's).
//!
//! See the guide [`crate::_documentation::metrics`] for definitions, defaults and formulas.

mod affinity;
mod calendar;
mod cohort;
mod groups;
mod growth;
mod pool;
mod referral;

pub use affinity::{affinity, recommend, Affinity, AffinityOptions, ItemStat, PairRule, Recommendation};
pub use calendar::{month_label, Calendar, Unit};
pub use cohort::{category_metrics, cohort_retention, CategoryMetrics, Cohort, CohortOptions, Cohorts, Fit};
pub use groups::{group_activity, GroupActivity, GroupDay, GroupInput, GroupRow, GroupSummary};
pub use growth::{
    decompose, growth, growth_factors, Decomposition, Growth, GrowthColumns, GrowthKind, GrowthOptions, GrowthRow,
    Period, Traffic, FACTORS,
};
pub use pool::{PoolAffinityOptions, PoolReferralOptions};
pub use referral::{referral_trees, Invite, ReferralEdge, ReferralOptions, ReferralRejection, ReferralTree, Referrals};

/// Code meaning "none" in optional code columns (channel, category).
pub const NO_CODE: u32 = u32::MAX;
