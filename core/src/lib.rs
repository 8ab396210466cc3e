//! # yutang
//!
//! A pure-logic engine for private-domain customer operations ("鱼塘", the brand's own pool of
//! customers): one customer id across every channel (ONE_ID), timelines and profile facts,
//! customer-lifetime-value models, channel attribution, and more.
//!
//! yutang decides; the host stores and sends. There is no network, no database and no clock
//! inside: every time-dependent call takes an explicit `as_of`, and state is a value that
//! serialises and restores exactly.
//!
//! ## Two ways in
//! 1. [`Pool`] — stateful and incremental: events in, customers and facts out.
//! 2. Batch functions — stateless and columnar: [`ltv`], [`attribution`].
//!
//! One condition language ([`rules`]) decides tags ([`tag`]), segments ([`segment`]) and
//! journey branches: `orders(30d) >= 2 and not did(coupon_redeemed, 14d)`.
#![deny(missing_docs)]

pub mod attribution;
pub mod error;
mod hash;
mod heap;
pub mod identity;
pub mod journey;
pub mod lifecycle;
pub mod ltv;
pub mod metrics;
pub mod model;
pub mod pool;
pub mod profile;
pub mod rfm;
pub mod rules;
pub mod segment;
pub mod synth;
pub mod tag;

pub use error::{Error, Result};
pub use identity::{BlockRule, IdentityRules, KindRule, Normalizer};
pub use model::{
    local_to_utc, mask, parse_time, parse_tz, BorrowedEvent, BorrowedIdentity, Channel, Consent, Currency, Event,
    EventInput, EventKind, Identity, IdentityInput, IdentityKind, IdentitySlice, Item, ItemInput, Limits, Money,
    PropValue, Subscription, Timestamp,
};
pub use pool::{
    Conflict, CustomerExport, EraseReport, IngestReport, MergeEntry, MergeReason, Pool, PoolConfig, PoolRfmSummary,
    PoolStats, Rejection, SharedPool, MAX_IDENTITIES_PER_EVENT,
};
pub use profile::Profile;

/// Guides from `docs/`, rendered in the API documentation.
pub mod _documentation {
    #[doc = include_str!("../../docs/concepts.md")]
    pub mod concepts {}
    #[doc = include_str!("../../docs/identity.md")]
    pub mod identity {}
    #[doc = include_str!("../../docs/limits.md")]
    pub mod limits {}
    #[doc = include_str!("../../docs/attribution.md")]
    pub mod attribution {}
    #[doc = include_str!("../../docs/rules.md")]
    pub mod rules {}
    #[doc = include_str!("../../docs/cookbook.md")]
    pub mod cookbook {}
    #[doc = include_str!("../../docs/lifecycle.md")]
    pub mod lifecycle {}
    #[doc = include_str!("../../docs/metrics.md")]
    pub mod metrics {}
    #[doc = include_str!("../../docs/journeys.md")]
    pub mod journeys {}
}

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
