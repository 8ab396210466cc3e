//! The `lifecycle` snapshot section, version 1: frozen types that never change. The runtime
//! settings ([`LifecycleState`]) are converted to and from them, so they can change shape
//! freely; a change to what the section holds is a new version here, and the old one is still
//! read.
//!
//! Version 1 (the layout of formats 3 and 4) in order: the stage thresholds (at-risk and
//! churn days, the rhythm multiples and minimum orders, the BG/NBD probability-alive
//! parameters and thresholds), then the RFM options (the scoring of R, F and M as quantile
//! probabilities or cut points, the tiers with their boxes of score cells, the currency rates
//! by ISO code).

use super::{LifecycleConfig, LifecycleState, PAlive, Rhythm};
use crate::error::{Error, Result};
use crate::model::Currency;
use crate::rfm::{Cells, RfmOptions, Scoring, Tier, TierMap};
use serde::{Deserialize, Serialize};

/// The version this library writes (and the newest it reads).
pub(crate) const VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
pub(crate) struct LifecycleV1 {
    at_risk_days: u32,
    churned_days: u32,
    rhythm: Option<RhythmV1>,
    p_alive: Option<PAliveV1>,
    recency: ScoringV1,
    frequency: ScoringV1,
    monetary: ScoringV1,
    tiers: Vec<TierV1>,
    rates: Vec<(String, f64)>,
}

#[derive(Serialize, Deserialize)]
struct RhythmV1 {
    at_risk_multiple: f64,
    churned_multiple: f64,
    min_orders: u32,
}

#[derive(Serialize, Deserialize)]
struct PAliveV1 {
    params: [f64; 4],
    at_risk_below: f64,
    churned_below: f64,
}

#[derive(Serialize, Deserialize)]
enum ScoringV1 {
    Quantiles([f64; 4]),
    Cuts([f64; 4]),
}

#[derive(Serialize, Deserialize)]
struct TierV1 {
    name: String,
    /// Boxes: (R, F, M) score ranges.
    cells: Vec<([u8; 2], [u8; 2], [u8; 2])>,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted section `lifecycle`: {what}") }
}

fn scoring_v1(s: &Scoring) -> ScoringV1 {
    match s {
        Scoring::Quantiles(q) => ScoringV1::Quantiles(*q),
        Scoring::Cuts(c) => ScoringV1::Cuts(*c),
    }
}

fn scoring_from(s: ScoringV1) -> Scoring {
    match s {
        ScoringV1::Quantiles(q) => Scoring::Quantiles(q),
        ScoringV1::Cuts(c) => Scoring::Cuts(c),
    }
}

impl LifecycleV1 {
    /// The frozen form of the settings.
    pub(crate) fn of(st: &LifecycleState) -> LifecycleV1 {
        let (c, o) = (&st.config, &st.rfm);
        LifecycleV1 {
            at_risk_days: c.at_risk_days,
            churned_days: c.churned_days,
            rhythm: c.rhythm.map(|r| RhythmV1 {
                at_risk_multiple: r.at_risk_multiple,
                churned_multiple: r.churned_multiple,
                min_orders: r.min_orders,
            }),
            p_alive: c.p_alive.map(|p| PAliveV1 {
                params: p.params,
                at_risk_below: p.at_risk_below,
                churned_below: p.churned_below,
            }),
            recency: scoring_v1(&o.recency),
            frequency: scoring_v1(&o.frequency),
            monetary: scoring_v1(&o.monetary),
            tiers: o
                .tiers
                .tiers
                .iter()
                .map(|t| TierV1 { name: t.name.clone(), cells: t.cells.iter().map(|b| (b.r, b.f, b.m)).collect() })
                .collect(),
            rates: o.rates.iter().map(|(c, r)| (c.to_string(), *r)).collect(),
        }
    }

    /// The runtime settings, checked as when they were set.
    pub(crate) fn into_state(self) -> Result<LifecycleState> {
        let config = LifecycleConfig {
            at_risk_days: self.at_risk_days,
            churned_days: self.churned_days,
            rhythm: self.rhythm.map(|r| Rhythm {
                at_risk_multiple: r.at_risk_multiple,
                churned_multiple: r.churned_multiple,
                min_orders: r.min_orders,
            }),
            p_alive: self.p_alive.map(|p| PAlive {
                params: p.params,
                at_risk_below: p.at_risk_below,
                churned_below: p.churned_below,
            }),
        };
        let mut rates = std::collections::BTreeMap::new();
        for (code, rate) in self.rates {
            if rates.insert(Currency::parse(&code).map_err(bad)?, rate).is_some() {
                return Err(bad(format!("the rate of {code} appears twice")));
            }
        }
        let tiers = self
            .tiers
            .into_iter()
            .map(|t| Tier { name: t.name, cells: t.cells.into_iter().map(|(r, f, m)| Cells::new(r, f, m)).collect() })
            .collect();
        let rfm = RfmOptions {
            recency: scoring_from(self.recency),
            frequency: scoring_from(self.frequency),
            monetary: scoring_from(self.monetary),
            tiers: TierMap { tiers },
            rates,
        };
        config.validate().map_err(bad)?;
        rfm.compile().map_err(bad)?;
        Ok(LifecycleState { config, rfm })
    }
}
