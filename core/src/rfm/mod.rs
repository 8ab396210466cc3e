//! RFM value tiers: R, F, M scores 1–5 and named tiers with no gaps or overlaps.
//!
//! - `recency_days`: calendar days (pool business zone) from the last order to `as_of`;
//! - `frequency`: the number of orders;
//! - `monetary`: net spend (orders − refunds) in major units of the reporting currency
//!   (default CNY); amounts in other currencies need a rate in [`RfmOptions::rates`], else the
//!   call fails with [`crate::Error::CurrencyMismatch`].
//!
//! Only customers with at least one order at or before `as_of` get scores, and each of them
//! gets exactly one tier: [`TierMap::compile`] refuses a map with a gap or an overlap, naming
//! the cell. Scores are by quantiles (quintiles by default, the tie rule in [`score`]) or by
//! fixed cut points ([`Scoring`]). [`rfm_scores`] scores columns of any customers (a data
//! frame); [`crate::Pool::rfm`] computes the columns from the pool first.

mod pool;
pub mod score;
mod tiers;

pub use pool::RfmRow;
pub use score::Scoring;
pub use tiers::{Cells, CompiledTiers, Tier, TierMap, MAX_TIERS, MAX_TIER_BOXES};

use crate::error::{Error, Result};
use crate::model::Currency;
use std::collections::BTreeMap;

/// How RFM scores and tiers are computed (default: quintiles, the eleven default tiers, no
/// rates).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RfmOptions {
    /// Recency scoring (5 = fewest days since the last order).
    #[serde(default)]
    pub recency: Scoring,
    /// Frequency scoring (5 = most orders).
    #[serde(default)]
    pub frequency: Scoring,
    /// Monetary scoring (5 = highest net spend).
    #[serde(default)]
    pub monetary: Scoring,
    /// The tiers.
    #[serde(default)]
    pub tiers: TierMap,
    /// Rates to the reporting currency for amounts in other currencies (1 unit of the key
    /// currency = `rate` units of the reporting currency, major units).
    #[serde(default)]
    pub rates: BTreeMap<Currency, f64>,
}

impl RfmOptions {
    /// Quintiles and the default eleven tiers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Check everything and compile the tier map.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field (`rfm.recency.cuts[1]`, `tiers`, `rates.USD`).
    pub fn compile(&self) -> Result<CompiledTiers> {
        self.recency.validate("rfm.recency")?;
        self.frequency.validate("rfm.frequency")?;
        self.monetary.validate("rfm.monetary")?;
        for (c, r) in &self.rates {
            if !(r.is_finite() && *r > 0.0) {
                return Err(Error::invalid(format!("rates.{c}"), r.to_string(), "a rate must be finite and > 0"));
            }
        }
        self.tiers.compile()
    }
}

/// Scores and tiers of a set of customers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RfmScores {
    /// R score per customer (1..=5).
    pub r: Vec<u8>,
    /// F score per customer.
    pub f: Vec<u8>,
    /// M score per customer.
    pub m: Vec<u8>,
    /// Tier index per customer (into `tier_names`).
    pub tier: Vec<u16>,
    /// Tier names in map order.
    pub tier_names: Vec<String>,
}

/// Score columns of customers (one row each; every row a buyer) and name their tiers.
///
/// # Errors
/// [`Error::InvalidField`] for columns of different lengths, a NaN (naming column and row),
/// a negative recency or frequency, or invalid options.
///
/// # Example
/// ```
/// use yutang::rfm::{rfm_scores, RfmOptions};
/// let s = rfm_scores(&[1.0, 400.0, 30.0, 200.0, 5.0], &[9.0, 1.0, 3.0, 2.0, 1.0],
///                    &[900.0, 10.0, 120.0, 60.0, 15.0], &RfmOptions::new())?;
/// assert_eq!((s.r[0], s.f[0], s.m[0]), (5, 5, 5));
/// assert_eq!(s.tier_names[s.tier[0] as usize], "champions");
/// assert_eq!(s.tier_names[s.tier[1] as usize], "lost");
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn rfm_scores(
    recency_days: &[f64],
    frequency: &[f64],
    monetary: &[f64],
    options: &RfmOptions,
) -> Result<RfmScores> {
    let tiers = options.compile()?;
    let n = recency_days.len();
    for (name, len) in [("frequency", frequency.len()), ("monetary", monetary.len())] {
        if len != n {
            return Err(Error::invalid(name, len.to_string(), format!("length differs from recency_days ({n})")));
        }
    }
    for (name, col) in [("recency_days", recency_days), ("frequency", frequency)] {
        if let Some(i) = col.iter().position(|&v| v < 0.0) {
            return Err(Error::invalid(format!("{name}[{i}]"), col[i].to_string(), "must not be negative"));
        }
    }
    let r = options.recency.score(recency_days, false, "recency_days")?;
    let f = options.frequency.score(frequency, true, "frequency")?;
    let m = options.monetary.score(monetary, true, "monetary")?;
    let tier = (0..n).map(|i| tiers.tier_of(r[i], f[i], m[i]) as u16).collect();
    Ok(RfmScores { r, f, m, tier, tier_names: tiers.names().to_vec() })
}
