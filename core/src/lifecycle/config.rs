//! The configuration of the stage machine: thresholds and how they are measured.

use crate::error::{Error, Result};
use crate::ltv::BgNbd;

/// Thresholds relative to the customer's own purchase rhythm.
///
/// For a customer with at least `min_orders` distinct order days, the at-risk threshold is
/// `max(1, ceil(at_risk_multiple × median gap))` days and the churn threshold
/// `max(at-risk threshold + 1, ceil(churned_multiple × median gap))` days, where the gaps are
/// the calendar-day gaps (business zone) between consecutive distinct order days up to the
/// order in question. Customers with fewer order days use the fixed days.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rhythm {
    /// At risk when the days since the last order reach this multiple of the median gap.
    pub at_risk_multiple: f64,
    /// Churned when the days since the last order reach this multiple of the median gap.
    pub churned_multiple: f64,
    /// Fewer distinct order days than this: the fixed days apply. At least 3 (two gaps).
    pub min_orders: u32,
}

impl Default for Rhythm {
    fn default() -> Self {
        Rhythm { at_risk_multiple: 2.0, churned_multiple: 4.0, min_orders: 3 }
    }
}

/// Thresholds on the probability that the customer is still alive under a fitted BG/NBD
/// model (time unit: days; `frequency` = repeat order days, `recency` and `T` in days since
/// the first order day, as [`crate::Pool::rfm_summary`] with `freq = "D"` computes them).
///
/// Applies to customers with at least one repeat order day; one-time buyers (for whom the
/// BG/NBD probability alive is always 1) use the fixed days. The customer becomes at risk on
/// the first day on which P(alive) < `at_risk_below`, churned on the first day on which
/// P(alive) < `churned_below` (and at least a day after becoming at risk).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PAlive {
    /// BG/NBD parameters `[r, alpha, a, b]` (time unit: days).
    pub params: [f64; 4],
    /// At risk below this probability.
    pub at_risk_below: f64,
    /// Churned below this probability (must be lower than `at_risk_below`).
    pub churned_below: f64,
}

impl PAlive {
    /// Thresholds on a fitted model.
    pub fn new(model: &BgNbd, at_risk_below: f64, churned_below: f64) -> Self {
        PAlive { params: model.params(), at_risk_below, churned_below }
    }
}

/// Configuration of the lifecycle stage machine. The defaults are the issue's: at risk after
/// 90 days without an order, churned after 180, for every buyer.
///
/// # Example
/// ```
/// use yutang::lifecycle::{LifecycleConfig, Rhythm};
/// let c = LifecycleConfig::new().at_risk_days(60).churned_days(120).rhythm(Rhythm::default());
/// c.validate()?;
/// assert!(LifecycleConfig::new().at_risk_days(200).validate().is_err()); // 200 >= 180
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LifecycleConfig {
    /// Days without an order after which a buyer is at risk (default 90, at least 1).
    pub at_risk_days: u32,
    /// Days without an order after which a buyer has churned (default 180, more than
    /// `at_risk_days`).
    pub churned_days: u32,
    /// Thresholds relative to the customer's rhythm (off by default).
    pub rhythm: Option<Rhythm>,
    /// Thresholds on the BG/NBD probability alive (off by default).
    pub p_alive: Option<PAlive>,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig { at_risk_days: 90, churned_days: 180, rhythm: None, p_alive: None }
    }
}

/// Upper bound of the day thresholds (100 years).
pub const MAX_THRESHOLD_DAYS: u32 = 36_525;

impl LifecycleConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the at-risk days.
    pub fn at_risk_days(mut self, days: u32) -> Self {
        self.at_risk_days = days;
        self
    }

    /// Set the churn days.
    pub fn churned_days(mut self, days: u32) -> Self {
        self.churned_days = days;
        self
    }

    /// Use rhythm-relative thresholds.
    pub fn rhythm(mut self, rhythm: Rhythm) -> Self {
        self.rhythm = Some(rhythm);
        self
    }

    /// Use probability-alive thresholds.
    pub fn p_alive(mut self, p: PAlive) -> Self {
        self.p_alive = Some(p);
        self
    }

    /// Check the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field: a zero or too large day threshold,
    /// unordered thresholds (`churned_days` not above `at_risk_days`, `churned_multiple` not
    /// above `at_risk_multiple`, `churned_below` not below `at_risk_below`), non-finite or
    /// non-positive multiples, `min_orders` under 3, probabilities outside (0, 1), invalid
    /// BG/NBD parameters.
    pub fn validate(&self) -> Result<()> {
        if self.at_risk_days == 0 || self.at_risk_days > MAX_THRESHOLD_DAYS {
            return Err(Error::invalid("lifecycle.at_risk_days", self.at_risk_days.to_string(), "must be 1..=36525"));
        }
        if self.churned_days > MAX_THRESHOLD_DAYS {
            return Err(Error::invalid("lifecycle.churned_days", self.churned_days.to_string(), "must be <= 36525"));
        }
        if self.churned_days <= self.at_risk_days {
            return Err(Error::invalid(
                "lifecycle.churned_days",
                self.churned_days.to_string(),
                format!(
                    "thresholds overlap or are unordered: must be greater than at_risk_days ({})",
                    self.at_risk_days
                ),
            ));
        }
        if let Some(r) = &self.rhythm {
            for (field, v) in [
                ("lifecycle.rhythm.at_risk_multiple", r.at_risk_multiple),
                ("lifecycle.rhythm.churned_multiple", r.churned_multiple),
            ] {
                if !(v.is_finite() && v > 0.0 && v <= 1000.0) {
                    return Err(Error::invalid(field, v.to_string(), "must be a finite number in (0, 1000]"));
                }
            }
            if r.churned_multiple <= r.at_risk_multiple {
                return Err(Error::invalid(
                    "lifecycle.rhythm.churned_multiple",
                    r.churned_multiple.to_string(),
                    format!(
                        "thresholds overlap or are unordered: must be greater than at_risk_multiple ({})",
                        r.at_risk_multiple
                    ),
                ));
            }
            if r.min_orders < 3 {
                return Err(Error::invalid(
                    "lifecycle.rhythm.min_orders",
                    r.min_orders.to_string(),
                    "must be at least 3 (a median needs two gaps)",
                ));
            }
        }
        if let Some(p) = &self.p_alive {
            BgNbd::new(p.params[0], p.params[1], p.params[2], p.params[3]).map_err(|e| match e {
                Error::InvalidField { field, value, reason } => {
                    Error::InvalidField { field: format!("lifecycle.p_alive.params.{field}"), value, reason }
                }
                o => o,
            })?;
            for (field, v) in [
                ("lifecycle.p_alive.at_risk_below", p.at_risk_below),
                ("lifecycle.p_alive.churned_below", p.churned_below),
            ] {
                if !(v > 0.0 && v < 1.0) {
                    return Err(Error::invalid(field, v.to_string(), "must be a probability in (0, 1)"));
                }
            }
            if p.churned_below >= p.at_risk_below {
                return Err(Error::invalid(
                    "lifecycle.p_alive.churned_below",
                    p.churned_below.to_string(),
                    format!("thresholds overlap or are unordered: must be below at_risk_below ({})", p.at_risk_below),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_configs_name_the_field() {
        let field = |c: LifecycleConfig| c.validate().unwrap_err().field().map(str::to_string);
        assert_eq!(field(LifecycleConfig::new().at_risk_days(0)).as_deref(), Some("lifecycle.at_risk_days"));
        assert_eq!(field(LifecycleConfig::new().churned_days(90)).as_deref(), Some("lifecycle.churned_days"));
        let r = Rhythm { at_risk_multiple: 3.0, churned_multiple: 2.0, min_orders: 3 };
        assert_eq!(field(LifecycleConfig::new().rhythm(r)).as_deref(), Some("lifecycle.rhythm.churned_multiple"));
        let r = Rhythm { at_risk_multiple: f64::NAN, ..Rhythm::default() };
        assert_eq!(field(LifecycleConfig::new().rhythm(r)).as_deref(), Some("lifecycle.rhythm.at_risk_multiple"));
        let r = Rhythm { min_orders: 2, ..Rhythm::default() };
        assert_eq!(field(LifecycleConfig::new().rhythm(r)).as_deref(), Some("lifecycle.rhythm.min_orders"));
        let p = PAlive { params: [0.24, 4.4, 0.79, 2.4], at_risk_below: 0.3, churned_below: 0.5 };
        assert_eq!(field(LifecycleConfig::new().p_alive(p)).as_deref(), Some("lifecycle.p_alive.churned_below"));
        let p = PAlive { params: [0.24, -4.4, 0.79, 2.4], at_risk_below: 0.5, churned_below: 0.3 };
        assert!(field(LifecycleConfig::new().p_alive(p)).unwrap().starts_with("lifecycle.p_alive.params"));
        assert!(LifecycleConfig::default().validate().is_ok());
    }
}
