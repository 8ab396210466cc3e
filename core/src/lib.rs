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
//!
//! ## Example
//! Two events from two channels make one customer; a rule reads their facts; a snapshot
//! restores them exactly.
//! ```
//! use yutang::{parse_time, parse_tz, Currency, EventInput, Identity, IdentityKind, Pool};
//!
//! let mut pool = Pool::default(); // Asia/Shanghai, CNY, the default ONE_ID rules
//! let events: Vec<EventInput> = serde_json::from_str(r#"[
//!   {"id": "e1", "at": "2024-05-01 10:00", "kind": "register", "channel": "mini_program",
//!    "identities": [{"kind": "phone", "value": "+86 138-0013-8000"}, {"kind": "wechat_unionid", "value": "u1"}]},
//!   {"id": "e2", "at": "2024-05-02 10:00", "kind": "order", "channel": "douyin", "amount": "19.90",
//!    "identities": [{"kind": "wechat_unionid", "value": "u1"}]}]"#)?;
//! let report = pool.ingest_inputs(&events);
//! assert_eq!((report.accepted, report.rejected.len()), (2, 0));
//!
//! let customer = pool.resolve(&Identity::new(IdentityKind::Phone, "13800138000")).expect("one customer");
//! assert_eq!(pool.profile(&customer)?.spend_in(Currency::CNY), 1990); // minor units, exactly
//!
//! let as_of = parse_time("2024-05-10 00:00", parse_tz("Asia/Shanghai")?)?;
//! let rule = yutang::rules::parse("orders(30d) >= 1")?;
//! let buyers: Vec<String> = pool.evaluate(&rule, as_of)?.into_iter().filter(|(_, hit)| *hit).map(|(id, _)| id).collect();
//! assert_eq!(buyers, [customer.clone()]);
//!
//! let again = Pool::restore(&pool.snapshot())?;
//! assert_eq!(again.profile(&customer)?, pool.profile(&customer)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! - `parallel` (on by default): the batch functions (CLV predictions over many rows, attribution
//!   removal effects, segment refreshes and other pool-wide passes) use all cores through
//!   rayon. Results are the same, in the same order, with any number of threads. Build with
//!   `default-features = false` for one thread and no rayon (smaller mobile binaries).
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
pub mod progress;
pub mod report;
pub mod rfm;
pub mod rules;
pub mod segment;
mod stats;
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
    #[doc = include_str!("../docs/concepts.md")]
    pub mod concepts {}
    #[doc = include_str!("../docs/identity.md")]
    pub mod identity {}
    #[doc = include_str!("../docs/limits.md")]
    pub mod limits {}
    #[doc = include_str!("../docs/attribution.md")]
    pub mod attribution {}
    #[doc = include_str!("../docs/rules.md")]
    pub mod rules {}
    #[doc = include_str!("../docs/cookbook.md")]
    pub mod cookbook {}
    #[doc = include_str!("../docs/lifecycle.md")]
    pub mod lifecycle {}
    #[doc = include_str!("../docs/metrics.md")]
    pub mod metrics {}
    #[doc = include_str!("../docs/journeys.md")]
    pub mod journeys {}
}

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
