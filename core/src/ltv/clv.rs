//! Discounted customer lifetime value, with lifetimes' `customer_lifetime_value` semantics.

use serde::{Deserialize, Serialize};

use super::{rows, GammaGamma, TransactionModel};
use crate::{Error, Result};

/// The time unit the transaction model was fitted in, for converting months to periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeUnit {
    /// Hours (`"H"`): 720 per month in lifetimes.
    Hours,
    /// Days (`"D"`): 30 per month in lifetimes.
    Days,
    /// Weeks (`"W"`): 4.345 per month in lifetimes.
    Weeks,
    /// Months (`"M"`).
    Months,
}

impl TimeUnit {
    /// Periods per month as lifetimes counts them (a month of 30 days = 4.345 weeks).
    /// PyMC-Marketing uses a month of 30.4375 days (365.25 / 12) instead: pass
    /// `30.4375` (days), `30.4375 / 7` (weeks) or `730.5` (hours) to
    /// [`customer_lifetime_value`] to match it.
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::TimeUnit;
    /// assert_eq!(TimeUnit::Weeks.periods_per_month(), 4.345);
    /// ```
    pub fn periods_per_month(self) -> f64 {
        match self {
            TimeUnit::Hours => 720.0,
            TimeUnit::Days => 30.0,
            TimeUnit::Weeks => 4.345,
            TimeUnit::Months => 1.0,
        }
    }

    /// Parse lifetimes' `freq` codes `H`, `D`, `W`, `M`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for `freq` if unknown.
    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "H" | "h" => Ok(TimeUnit::Hours),
            "D" => Ok(TimeUnit::Days),
            "W" => Ok(TimeUnit::Weeks),
            "M" => Ok(TimeUnit::Months),
            other => Err(Error::invalid("freq", other, "must be one of H, D, W, M")),
        }
    }
}

/// Discounted CLV per customer over `months` months (lifetimes' semantics):
/// Σ_{i=1..months} spend · (E[purchases to i·f] − E[purchases to (i−1)·f]) / (1 + d)^i, where f
/// is `periods_per_month`, spend is the Gamma-Gamma conditional expected average profit and d
/// the monthly discount rate.
///
/// # Errors
/// [`Error::InvalidField`] for invalid histories (column and row named), a negative or
/// non-finite discount rate or `periods_per_month`, or mismatched lengths.
///
/// # Example
/// ```
/// use yutang::ltv::{customer_lifetime_value, BgNbd, GammaGamma, TimeUnit};
/// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let clv = customer_lifetime_value(&bg, &gg, &[2.0], &[30.43], &[38.86], &[25.0], 12, 0.01, TimeUnit::Weeks.periods_per_month())?;
/// assert!(clv[0] > 0.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn customer_lifetime_value<M: TransactionModel + Sync>(
    model: &M,
    spend: &GammaGamma,
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    monetary_value: &[f64],
    months: u32,
    discount_rate: f64,
    periods_per_month: f64,
) -> Result<Vec<f64>> {
    if !discount_rate.is_finite() || discount_rate <= -1.0 {
        return Err(Error::invalid("discount_rate", format!("{discount_rate}"), "must be finite and > -1"));
    }
    if !periods_per_month.is_finite() || periods_per_month <= 0.0 {
        return Err(Error::invalid("periods_per_month", format!("{periods_per_month}"), "must be finite and > 0"));
    }
    rows::check_points(frequency, recency, age)?;
    let profit = spend.conditional_expected_average_profit_batch(frequency, monetary_value)?;
    let f = periods_per_month;
    let idx: Vec<f64> = (0..frequency.len()).map(|i| i as f64).collect();
    let value = rows::par_map2(&idx, &profit, |i, m| {
        let i = i as usize;
        let (x, tx, t) = (frequency[i], recency[i], age[i]);
        let mut clv = 0.0;
        let mut prev = 0.0;
        for k in 1..=months {
            let tau = k as f64 * f;
            let cur = model.cond_expected_unchecked(tau, x, tx, t);
            clv += m * (cur - prev) / (1.0 + discount_rate).powf(tau / f);
            prev = cur;
        }
        clv
    });
    Ok(value)
}
