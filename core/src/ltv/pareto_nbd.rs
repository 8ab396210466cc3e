//! Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they
//! and what will they do next?", Management Science 33(1), 1–24; likelihood as in Fader &
//! Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions".
//!
//! While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); her lifetime is
//! exponential with rate μ ~ Gamma(s, β).

use serde::{Deserialize, Serialize};

use super::bg_nbd::{check_params, continuous_log_likelihood, fit_continuous, Prepared};
use super::fit::{FitOptions, FitReport, Objective};
use super::special::{hyp2f1, ln_beta, ln_gamma, log_add_exp, log_sub_exp};
use super::{check_t, rows, TransactionModel};
use crate::Result;

/// A Pareto/NBD model (parameters r, α, s, β in the data's time unit).
///
/// # Example
/// ```
/// use yutang::ltv::{ParetoNbd, TransactionModel};
/// let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// let p = m.conditional_probability_alive(2.0, 30.43, 38.86)?;
/// assert!(p > 0.5 && p < 1.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// Shape of the Gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the Gamma distribution of purchase rates.
    pub alpha: f64,
    /// Shape of the Gamma distribution of dropout rates.
    pub s: f64,
    /// Scale of the Gamma distribution of dropout rates.
    pub beta: f64,
    /// Fit facts, if fitted.
    pub report: Option<FitReport>,
}

/// ln A₀ of Fader & Hardie (2005): ln ∫ terms, via ₂F₁ with Euler's transformation applied so
/// that the hypergeometric parameters stay small for large frequencies.
fn log_a0(r: f64, alpha: f64, s: f64, beta: f64, x: f64, tx: f64, t: f64) -> f64 {
    let big = r + s + x;
    let term = |y: f64| -> f64 {
        let (mx, mn) = if alpha >= beta { (alpha, beta) } else { (beta, alpha) };
        let z = (mx - mn) / (mx + y);
        let l1z = ((mn + y) / (mx + y)).ln();
        // F(big, p; big+1; z) = (1-z)^{big+1-big-p} F(1, big+1-p; big+1; z)
        let p = if alpha >= beta { s + 1.0 } else { r + x };
        let f = hyp2f1(1.0, big + 1.0 - p, big + 1.0, z);
        f.ln() + (1.0 - p) * l1z - big * (mx + y).ln()
    };
    if tx == t {
        return f64::NEG_INFINITY;
    }
    log_sub_exp(term(tx), term(t))
}

pub(crate) fn row_ll(r: f64, alpha: f64, s: f64, beta: f64, x: f64, tx: f64, t: f64) -> f64 {
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
    a1 + a2(r, alpha, s, beta, x, tx, t)
}

fn a2(r: f64, alpha: f64, s: f64, beta: f64, x: f64, tx: f64, t: f64) -> f64 {
    let first = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let la0 = log_a0(r, alpha, s, beta, x, tx, t);
    log_add_exp(first, s.ln() - (r + s + x).ln() + la0)
}

struct Obj<'a> {
    d: &'a Prepared,
    pen: f64,
}

impl Objective for Obj<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn value(&self, lp: &[f64]) -> f64 {
        let (r, alpha, s, beta) = (lp[0].exp(), lp[1].exp(), lp[2].exp(), lp[3].exp());
        let d = self.d;
        let mut ll = 0.0;
        for i in 0..d.x.len() {
            ll += d.w[i] * row_ll(r, alpha, s, beta, d.x[i], d.tx[i], d.t[i]);
        }
        -ll + self.pen * (r * r + alpha * alpha + s * s + beta * beta)
    }
}

/// (1 − (1+u)^{−(s−1)}) / (s − 1), continuous at s = 1 (where it is ln(1+u)).
fn one_minus_pow_over(s: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    if (s - 1.0).abs() < 1e-12 {
        return l;
    }
    -(-(s - 1.0) * l).exp_m1() / (s - 1.0)
}

impl ParetoNbd {
    /// Parameter names, in order.
    pub const PARAM_NAMES: [&'static str; 4] = ["r", "alpha", "s", "beta"];

    /// A model with known parameters (all finite and > 0).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first invalid parameter.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        check_params(&Self::PARAM_NAMES, &[r, alpha, s, beta])?;
        Ok(ParetoNbd { r, alpha, s, beta, report: None })
    }

    /// Fit by maximum likelihood (see [`super::BgNbd::fit`] for the conventions). The gradient is
    /// numerical (5-point central differences on log-parameters).
    ///
    /// # Errors
    /// As [`super::BgNbd::fit`].
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::{ParetoNbd, FitOptions};
    /// let m = ParetoNbd::fit(&[0.0, 1.0, 4.0, 0.0, 2.0], &[0.0, 3.0, 20.0, 0.0, 28.0], &[30.0, 25.0, 30.0, 10.0, 30.0], None, &FitOptions::new().penalizer(0.01))?;
    /// assert!(m.s > 0.0);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn fit(
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: Option<&[f64]>,
        options: &FitOptions,
    ) -> Result<Self> {
        let (v, report) = fit_continuous(
            &Self::PARAM_NAMES,
            frequency,
            recency,
            age,
            weights,
            options,
            [false, true, false, true],
            0.0,
            |d, pen| Box::new(Obj { d, pen }),
            row_ll,
        )?;
        Ok(ParetoNbd { r: v[0], alpha: v[1], s: v[2], beta: v[3], report: Some(report) })
    }

    /// Total log-likelihood of (weighted) data under these parameters.
    ///
    /// # Errors
    /// As [`ParetoNbd::fit`] for invalid data.
    pub fn log_likelihood(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<f64> {
        continuous_log_likelihood(row_ll, self.params(), frequency, recency, age, weights)
    }

    /// Parameter values in order (r, α, s, β).
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// P(X(T, T+t] = n | history): probability of exactly `n` purchases in the next `t` periods
    /// for a customer with history (frequency, recency, T) (lifetimes'
    /// `conditional_probability_of_n_purchases_up_to_time`; Fader & Hardie 2006 note).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an invalid history or `t`.
    pub fn conditional_probability_of_n_purchases_up_to_time(
        &self,
        n: u64,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        check_t(t, "t")?;
        rows::check_point(0, frequency, recency, age)?;
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let (x, nf) = (frequency, n as f64);
        let (mx, mn, p) = if alpha < beta { (beta, alpha, r + x + nf) } else { (alpha, beta, s + 1.0) };
        let ab = mx - mn;
        let log_l = row_ll(r, alpha, s, beta, x, recency, age);
        let ra_sb = r * alpha.ln() + s * beta.ln();
        let log_p_zero =
            ln_gamma(r + x) + ra_sb - (ln_gamma(r) + (r + x) * (alpha + age).ln() + s * (beta + age).ln() + log_l);
        let log_b_one = ln_gamma(r + x + nf) + ra_sb
            - (ln_gamma(r) + (r + x + nf) * (alpha + age + t).ln() + s * (beta + age + t).ln());
        let common = ra_sb + ln_beta(r + x + nf, s + 1.0) - ln_gamma(r) - ln_gamma(s);
        let log_b_two = common + ln_gamma(r + s + x) + hyp2f1(r + s + x, p, r + s + x + nf + 1.0, ab / (mx + age)).ln()
            - (r + s + x) * (mx + age).ln();
        let zeroth = if n == 0 { 1.0 - log_p_zero.exp() } else { 0.0 };
        let first = nf * t.ln() - ln_gamma(nf + 1.0) + log_b_one - log_l;
        let second = log_b_two - log_l;
        let mut third = f64::NEG_INFINITY;
        for i in 0..=n {
            let fi = i as f64;
            let lb3 = common
                + ln_gamma(r + s + x + fi)
                + hyp2f1(r + s + x + fi, p, r + s + x + nf + 1.0, ab / (mx + age + t)).ln()
                - (r + s + x + fi) * (mx + age + t).ln();
            third = log_add_exp(third, fi * t.ln() - ln_gamma(fi + 1.0) + lb3 - log_l);
        }
        let v = zeroth + first.exp() + second.exp() - third.exp();
        Ok(v.clamp(0.0, 1.0))
    }
}

impl TransactionModel for ParetoNbd {
    fn expected_number_of_purchases_up_to_time(&self, t: f64) -> Result<f64> {
        check_t(t, "t")?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        Ok(r * beta / alpha * one_minus_pow_over(s, t / beta))
    }

    fn probability_of_n_purchases_up_to_time(&self, t: f64, n: u64) -> Result<f64> {
        // A new customer is one with history (0, 0, 0).
        self.conditional_probability_of_n_purchases_up_to_time(n, t, 0.0, 0.0, 0.0)
    }

    fn horizon_factor(&self, t: f64, x: f64, age: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        (r + x) * (beta + age) / (alpha + age) * one_minus_pow_over(s, t / (beta + age))
    }

    fn p_alive_unchecked(&self, x: f64, tx: f64, age: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let first = -(r + x) * (alpha + age).ln() - s * (beta + age).ln();
        (first - a2(r, alpha, s, beta, x, tx, age)).exp().min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive_is_one_when_recency_is_t() {
        let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
        assert!((m.p_alive_unchecked(3.0, 20.0, 20.0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn n_purchase_probabilities_sum_to_one() {
        let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
        let s: f64 = (0..60).map(|n| m.probability_of_n_purchases_up_to_time(10.0, n).unwrap()).sum();
        assert!((s - 1.0).abs() < 1e-6, "{s}");
    }
}
