//! Customer lifetime value: RFM summaries and the Buy-Till-You-Die models.
//!
//! - [`summary`]: per-customer frequency / recency / T / monetary value from a transaction log,
//!   with the semantics of `lifetimes.utils.summary_data_from_transaction_data`.
//! - Models, one per file: [`BgNbd`] (Fader, Hardie & Lee 2005), [`ParetoNbd`] (Schmittlein,
//!   Morrison & Colombo 1987), [`MbgNbd`] (Batislam, Denizel & Filiztekin 2007), [`BgBb`]
//!   (Fader, Hardie & Shang 2010, discrete time) and [`GammaGamma`] (Fader, Hardie & Lee 2005,
//!   "RFM and CLV").
//! - Each is fitted by exact maximum likelihood (Newton steps on log-parameters with analytic
//!   or high-order numerical gradients, converged to a gradient norm ≤ 1e-6), with optional
//!   row weights and an L2 penalizer with the semantics of `lifetimes`.
//! - Fitted models serialise with serde.
//!
//! # Example
//! ```
//! use yutang::ltv::{BgNbd, FitOptions, TransactionModel};
//! let freq = [0.0, 2.0, 5.0, 1.0, 0.0, 3.0];
//! let rec = [0.0, 20.0, 35.0, 5.0, 0.0, 30.0];
//! let t = [38.0, 38.0, 39.0, 30.0, 20.0, 36.0];
//! // Six customers are too few for a plain MLE to exist: a small penalizer keeps it finite.
//! let model = BgNbd::fit(&freq, &rec, &t, None, &FitOptions::new().penalizer(0.01))?;
//! let p = model.conditional_probability_alive(2.0, 20.0, 38.0)?;
//! assert!(p > 0.0 && p <= 1.0);
//! # Ok::<(), yutang::Error>(())
//! ```

pub mod special;
pub mod summary;

mod bg_bb;
mod bg_nbd;
mod clv;
mod fit;
mod gamma_gamma;
mod mbg_nbd;
mod pareto_nbd;
mod quad;
mod rows;

pub use bg_bb::BgBb;
pub use bg_nbd::BgNbd;
pub use clv::{customer_lifetime_value, TimeUnit};
pub use fit::{FitOptions, FitReport, ParamEstimate};
pub use gamma_gamma::GammaGamma;
pub use mbg_nbd::MbgNbd;
pub use pareto_nbd::ParetoNbd;
pub use rows::compress_rows;
pub use summary::{
    calibration_and_holdout, rfm_summary, CalibrationHoldout, CustomerKeys, Freq, RfmSummary, SummaryOptions, Zone,
};

use crate::Result;

/// A model of repeat-purchase counts in continuous time (BG/NBD, Pareto/NBD, MBG/NBD):
/// the predictions shared by all three, in the model's time unit.
pub trait TransactionModel {
    /// Expected number of repeat purchases in (0, t] for a new, randomly chosen customer.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] if `t` is negative or not finite.
    fn expected_number_of_purchases_up_to_time(&self, t: f64) -> Result<f64>;

    /// Expected number of repeat purchases in the next `t` periods for a customer with
    /// history (frequency, recency, T).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an invalid history or `t`.
    fn conditional_expected_number_of_purchases_up_to_time(
        &self,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        check_t(t, "t")?;
        rows::check_point(0, frequency, recency, age)?;
        Ok(self.cond_expected_unchecked(t, frequency, recency, age))
    }

    /// Probability that a customer with history (frequency, recency, T) is still alive.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an invalid history.
    fn conditional_probability_alive(&self, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        rows::check_point(0, frequency, recency, age)?;
        Ok(self.p_alive_unchecked(frequency, recency, age))
    }

    /// Probability that a new customer makes exactly `n` repeat purchases in (0, t].
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] if `t` is negative or not finite.
    fn probability_of_n_purchases_up_to_time(&self, t: f64, n: u64) -> Result<f64>;

    /// Batch [`TransactionModel::conditional_expected_number_of_purchases_up_to_time`] over
    /// columns (parallel with the `parallel` feature; same output either way).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the column and row of the first invalid value,
    /// or mismatched lengths.
    fn conditional_expected_number_of_purchases_up_to_time_batch(
        &self,
        t: f64,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>>
    where
        Self: Sync,
    {
        check_t(t, "t")?;
        rows::check_points(frequency, recency, age)?;
        // The horizon factor depends on (frequency, T) only: compute it once per distinct pair.
        let factor = rows::memo2(frequency, age, |x, tt| self.horizon_factor(t, x, tt));
        Ok(rows::par_map3(frequency, recency, age, |x, tx, tt| {
            let f = factor(x, tt);
            if f == 0.0 {
                0.0
            } else {
                f * self.p_alive_unchecked(x, tx, tt)
            }
        }))
    }

    /// Batch conditional expectation with one horizon per row (`t[i]` for row i).
    ///
    /// # Errors
    /// As [`TransactionModel::conditional_expected_number_of_purchases_up_to_time_batch`];
    /// `t[i]` is named for an invalid horizon.
    fn conditional_expected_number_of_purchases_up_to_times(
        &self,
        t: &[f64],
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>>
    where
        Self: Sync,
    {
        rows::check_len("t", t.len(), frequency.len())?;
        for (i, &h) in t.iter().enumerate() {
            check_t(h, &format!("t[{i}]"))?;
        }
        rows::check_points(frequency, recency, age)?;
        let idx: Vec<f64> = (0..t.len()).map(|i| i as f64).collect();
        Ok(rows::par_map2(&idx, t, |i, h| {
            let i = i as usize;
            self.cond_expected_unchecked(h, frequency[i], recency[i], age[i])
        }))
    }

    /// Batch [`TransactionModel::conditional_probability_alive`] over columns.
    ///
    /// # Errors
    /// As [`TransactionModel::conditional_expected_number_of_purchases_up_to_time_batch`].
    fn conditional_probability_alive_batch(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> Result<Vec<f64>>
    where
        Self: Sync,
    {
        rows::check_points(frequency, recency, age)?;
        Ok(rows::par_map3(frequency, recency, age, |x, tx, tt| self.p_alive_unchecked(x, tx, tt)))
    }

    /// Conditional expectation without input checks (inputs already validated):
    /// P(alive | history) × E[purchases in t | alive, frequency, T].
    #[doc(hidden)]
    fn cond_expected_unchecked(&self, t: f64, frequency: f64, recency: f64, age: f64) -> f64 {
        let f = self.horizon_factor(t, frequency, age);
        if f == 0.0 {
            return 0.0;
        }
        f * self.p_alive_unchecked(frequency, recency, age)
    }

    /// E[purchases in the next t | alive now, frequency, T]: the part of the conditional
    /// expectation that does not depend on recency (batch functions compute it once per
    /// distinct (frequency, T)).
    #[doc(hidden)]
    fn horizon_factor(&self, t: f64, frequency: f64, age: f64) -> f64;

    /// Probability alive without input checks (inputs already validated).
    #[doc(hidden)]
    fn p_alive_unchecked(&self, frequency: f64, recency: f64, age: f64) -> f64;
}

pub(crate) fn check_t(t: f64, field: &str) -> Result<()> {
    if !t.is_finite() || t < 0.0 {
        return Err(crate::Error::invalid(field, format!("{t}"), "must be finite and >= 0"));
    }
    Ok(())
}
