//! Kotlin/Swift bindings for `yutang::lifecycle` and `yutang::rfm`: mirror records, a second
//! exported `impl Pool` block, and column scoring as free functions. Times cross as ISO-8601
//! strings (input: with an offset, or in the pool's business zone; output: RFC 3339 UTC).

use crate::errors::YutangError;
use crate::pool::Pool;
use yutang::lifecycle::{LifecycleConfig, PAlive, Rhythm, Stage};
use yutang::rfm::RfmOptions;

fn json_err(field: &str, e: serde_json::Error) -> YutangError {
    YutangError::InvalidField { field: field.into(), value: String::new(), reason: e.to_string() }
}

/// Thresholds relative to the customer's median gap between order days.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RhythmRecord {
    #[uniffi(default = 2.0)]
    pub at_risk_multiple: f64,
    #[uniffi(default = 4.0)]
    pub churned_multiple: f64,
    #[uniffi(default = 3)]
    pub min_orders: u32,
}

/// Thresholds on the BG/NBD probability alive (`params` = r, alpha, a, b; time unit days).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PAliveRecord {
    pub params: Vec<f64>,
    #[uniffi(default = 0.5)]
    pub at_risk_below: f64,
    #[uniffi(default = 0.2)]
    pub churned_below: f64,
}

/// The stage machine's configuration (defaults: at risk after 90 days, churned after 180).
#[derive(Debug, Clone, uniffi::Record)]
pub struct LifecycleConfigRecord {
    #[uniffi(default = 90)]
    pub at_risk_days: u32,
    #[uniffi(default = 180)]
    pub churned_days: u32,
    #[uniffi(default = None)]
    pub rhythm: Option<RhythmRecord>,
    #[uniffi(default = None)]
    pub p_alive: Option<PAliveRecord>,
}

impl TryFrom<LifecycleConfigRecord> for LifecycleConfig {
    type Error = YutangError;
    fn try_from(r: LifecycleConfigRecord) -> Result<Self, YutangError> {
        let p_alive = match r.p_alive {
            Some(p) => {
                let params: [f64; 4] = p.params.as_slice().try_into().map_err(|_| YutangError::InvalidField {
                    field: "lifecycle.p_alive.params".into(),
                    value: format!("{:?}", p.params),
                    reason: "expected the four BG/NBD parameters r, alpha, a, b".into(),
                })?;
                Some(PAlive { params, at_risk_below: p.at_risk_below, churned_below: p.churned_below })
            }
            None => None,
        };
        Ok(LifecycleConfig {
            at_risk_days: r.at_risk_days,
            churned_days: r.churned_days,
            rhythm: r.rhythm.map(|x| Rhythm {
                at_risk_multiple: x.at_risk_multiple,
                churned_multiple: x.churned_multiple,
                min_orders: x.min_orders,
            }),
            p_alive,
        })
    }
}

impl From<&LifecycleConfig> for LifecycleConfigRecord {
    fn from(c: &LifecycleConfig) -> Self {
        LifecycleConfigRecord {
            at_risk_days: c.at_risk_days,
            churned_days: c.churned_days,
            rhythm: c.rhythm.map(|x| RhythmRecord {
                at_risk_multiple: x.at_risk_multiple,
                churned_multiple: x.churned_multiple,
                min_orders: x.min_orders,
            }),
            p_alive: c.p_alive.map(|p| PAliveRecord {
                params: p.params.to_vec(),
                at_risk_below: p.at_risk_below,
                churned_below: p.churned_below,
            }),
        }
    }
}

/// A customer's stage at an instant (`stage` one of prospect, new, repeat, at_risk, churned,
/// won_back; `since` RFC 3339 UTC).
#[derive(Debug, Clone, uniffi::Record)]
pub struct LifecycleRowRecord {
    pub customer_id: String,
    pub stage: String,
    pub since: String,
}

/// A stage and since when.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageAtRecord {
    pub stage: String,
    pub since: String,
}

/// One history entry (`from_stage` null for the first).
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageTransitionRecord {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub at: String,
}

/// A stage transition as an event (for journeys).
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageChangeRecord {
    pub customer_id: String,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub at: String,
}

/// Customers in a stage.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageCountRecord {
    pub stage: String,
    pub customers: u64,
}

/// One cell of a transition matrix (`from_stage` null: not yet known at the first date).
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageTransitionCountRecord {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub customers: u64,
}

/// One buyer's RFM values, scores (1..5) and tier.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RfmRowRecord {
    pub customer_id: String,
    pub recency_days: u32,
    pub frequency: u64,
    pub monetary: f64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub tier: String,
}

/// Scores and tier names of scored columns, one entry per row.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RfmScoresRecord {
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Vec<u8>,
    pub tier: Vec<String>,
}

fn iso(t: yutang::Timestamp) -> String {
    t.to_rfc3339()
}

fn stage_str(s: Option<Stage>) -> Option<String> {
    s.map(|s| s.as_str().to_string())
}

#[uniffi::export]
impl Pool {
    /// Set the lifecycle configuration (validated: unordered or overlapping thresholds are
    /// `YutangException.InvalidField`; kept in snapshots).
    pub fn set_lifecycle_config(&self, config: LifecycleConfigRecord) -> Result<(), YutangError> {
        let c = LifecycleConfig::try_from(config)?;
        Ok(self.write().set_lifecycle_config(c)?)
    }

    /// The lifecycle configuration.
    pub fn lifecycle_config(&self) -> LifecycleConfigRecord {
        self.read().lifecycle_config().into()
    }

    /// Set the lifecycle configuration from its JSON shape (docs/lifecycle.md).
    pub fn set_lifecycle_config_json(&self, json: String) -> Result<(), YutangError> {
        let c: LifecycleConfig = serde_json::from_str(&json).map_err(|e| json_err("lifecycle", e))?;
        Ok(self.write().set_lifecycle_config(c)?)
    }

    /// Set RFM scoring, tiers and rates from the RfmOptions JSON shape (missing parts:
    /// defaults); kept in snapshots.
    pub fn set_rfm_options_json(&self, json: String) -> Result<(), YutangError> {
        let o: RfmOptions = serde_json::from_str(&json).map_err(|e| json_err("rfm", e))?;
        Ok(self.write().set_rfm_options(o)?)
    }

    /// The RFM options as JSON.
    pub fn rfm_options_json(&self) -> String {
        serde_json::to_string(self.read().rfm_options()).unwrap_or_default()
    }

    /// Every customer known at `as_of` with their stage and since when (founding order).
    pub fn lifecycle(&self, as_of: String) -> Result<Vec<LifecycleRowRecord>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        Ok(pool
            .lifecycle(t)
            .into_iter()
            .map(|r| LifecycleRowRecord { customer_id: r.customer_id, stage: r.stage.to_string(), since: iso(r.since) })
            .collect())
    }

    /// One customer's stage at `as_of` (null: no event at or before it).
    pub fn stage(&self, customer_id: String, as_of: String) -> Result<Option<StageAtRecord>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        Ok(pool.stage_of(&customer_id, t)?.map(|s| StageAtRecord { stage: s.stage.to_string(), since: iso(s.since) }))
    }

    /// A customer's stage history up to `as_of`.
    pub fn stage_history(&self, customer_id: String, as_of: String) -> Result<Vec<StageTransitionRecord>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        Ok(pool
            .stage_history(&customer_id, t)?
            .into_iter()
            .map(|x| StageTransitionRecord { from_stage: stage_str(x.from), to_stage: x.to.to_string(), at: iso(x.at) })
            .collect())
    }

    /// Transitions of every customer with `after < at <= until`, by time then customer id.
    pub fn stage_changes(&self, after: String, until: String) -> Result<Vec<StageChangeRecord>, YutangError> {
        let pool = self.read();
        let (a, u) = (yutang::parse_time(&after, pool.time_zone())?, yutang::parse_time(&until, pool.time_zone())?);
        Ok(pool
            .stage_changes(a, u)
            .into_iter()
            .map(|c| StageChangeRecord {
                customer_id: c.customer_id,
                from_stage: stage_str(c.from),
                to_stage: c.to.to_string(),
                at: iso(c.at),
            })
            .collect())
    }

    /// Customers per stage at `as_of` (all six stages, machine order).
    pub fn stage_distribution(&self, as_of: String) -> Result<Vec<StageCountRecord>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        Ok(pool
            .stage_distribution(t)
            .into_iter()
            .map(|(s, n)| StageCountRecord { stage: s.to_string(), customers: n })
            .collect())
    }

    /// The transition matrix between two dates (non-zero cells).
    pub fn stage_transitions(
        &self,
        start: String,
        end: String,
    ) -> Result<Vec<StageTransitionCountRecord>, YutangError> {
        let pool = self.read();
        let (a, b) = (yutang::parse_time(&start, pool.time_zone())?, yutang::parse_time(&end, pool.time_zone())?);
        Ok(pool
            .stage_transitions(a, b)
            .into_iter()
            .map(|c| StageTransitionCountRecord {
                from_stage: stage_str(c.from),
                to_stage: c.to.to_string(),
                customers: c.customers,
            })
            .collect())
    }

    /// RFM of every buyer at `as_of` under the pool's RFM options.
    pub fn rfm(&self, as_of: String) -> Result<Vec<RfmRowRecord>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        Ok(pool
            .rfm(t)?
            .into_iter()
            .map(|r| RfmRowRecord {
                customer_id: r.customer_id,
                recency_days: r.recency_days,
                frequency: r.frequency,
                monetary: r.monetary,
                r: r.r,
                f: r.f,
                m: r.m,
                tier: r.tier,
            })
            .collect())
    }
}

/// Score columns of customers (one entry per buyer) with the RfmOptions JSON (null: quintiles
/// and the eleven default tiers).
#[uniffi::export]
pub fn rfm_scores(
    recency_days: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
    options_json: Option<String>,
) -> Result<RfmScoresRecord, YutangError> {
    let opts: RfmOptions = match options_json {
        Some(j) => serde_json::from_str(&j).map_err(|e| json_err("rfm", e))?,
        None => RfmOptions::default(),
    };
    let s = yutang::rfm::rfm_scores(&recency_days, &frequency, &monetary, &opts)?;
    let tier = s.tier.iter().map(|&i| s.tier_names[i as usize].clone()).collect();
    Ok(RfmScoresRecord { r: s.r, f: s.f, m: s.m, tier })
}

/// Check a tier map (TierMap JSON): returns the tier names, or `YutangException.InvalidField`
/// naming the cell of a gap or an overlap.
#[uniffi::export]
pub fn rfm_check_tiers(json: String) -> Result<Vec<String>, YutangError> {
    let m: yutang::rfm::TierMap = serde_json::from_str(&json).map_err(|e| json_err("tiers", e))?;
    Ok(m.compile()?.names().to_vec())
}

/// The default RFM options (quintiles, the eleven tiers) as JSON.
#[uniffi::export]
pub fn rfm_default_options_json() -> String {
    serde_json::to_string(&RfmOptions::default()).unwrap_or_default()
}
