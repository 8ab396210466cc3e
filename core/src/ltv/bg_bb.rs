//! BG/BB: Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
//! noncontractual setting", Marketing Science 29(6), 1086–1108.
//!
//! At each of n discrete opportunities an alive customer buys with probability p ~ Beta(α, β)
//! and, after each opportunity, dies with probability θ ~ Beta(γ, δ). Data per customer:
//! frequency x (purchases after the first opportunity), recency t_x (opportunity of the last
//! purchase), n (opportunities).

use serde::{Deserialize, Serialize};

use super::bg_nbd::check_params;
use super::fit::{self, FitOptions, FitReport, Objective};
use super::special::{ln_beta, ln_gamma, log_add_exp, log_sub_exp};
use super::{check_t, rows};
use crate::{Error, Result};

/// A BG/BB model (parameters α, β, γ, δ).
///
/// # Example
/// ```
/// use yutang::ltv::BgBb;
/// // Fader, Hardie & Shang (2010) donations parameters.
/// let m = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
/// let e = m.conditional_expected_number_of_purchases_up_to_time(5, 6.0, 6.0, 6.0)?;
/// assert!(e > 2.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgBb {
    /// First shape of the Beta distribution of purchase probabilities.
    pub alpha: f64,
    /// Second shape of the Beta distribution of purchase probabilities.
    pub beta: f64,
    /// First shape of the Beta distribution of dropout probabilities.
    pub gamma: f64,
    /// Second shape of the Beta distribution of dropout probabilities.
    pub delta: f64,
    /// Fit facts, if fitted.
    pub report: Option<FitReport>,
}

/// Largest number of opportunities accepted.
const MAX_PERIODS: f64 = 1e7;

fn check_row(i: usize, x: f64, tx: f64, n: f64) -> Result<()> {
    let bad = |f: &str, v: f64, why: &str| Error::invalid(format!("{f}[{i}]"), format!("{v}"), why);
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 {
        return Err(bad("frequency", x, "must be a whole number >= 0"));
    }
    if !tx.is_finite() || tx < 0.0 || tx.fract() != 0.0 {
        return Err(bad("recency", tx, "must be a whole number >= 0"));
    }
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > MAX_PERIODS {
        return Err(bad("n_periods", n, "must be a whole number in [0, 1e7]"));
    }
    if tx > n {
        return Err(bad("recency", tx, "must be <= n_periods"));
    }
    if x > tx {
        return Err(bad("frequency", x, "must be <= recency"));
    }
    if x == 0.0 && tx != 0.0 {
        return Err(bad("recency", tx, "must be 0 when frequency is 0"));
    }
    Ok(())
}

fn check_cols(x: &[f64], tx: &[f64], n: &[f64]) -> Result<()> {
    rows::check_len("recency", tx.len(), x.len())?;
    rows::check_len("n_periods", n.len(), x.len())?;
    for i in 0..x.len() {
        check_row(i, x[i], tx[i], n[i])?;
    }
    Ok(())
}

/// Per-row log-likelihood (Fader, Hardie & Shang 2010, eq. 5), without lifetimes' 1e-15 bias.
pub(crate) fn row_ll(al: f64, be: f64, ga: f64, de: f64, x: f64, tx: f64, n: f64) -> f64 {
    let lb_ab = ln_beta(al, be);
    let lb_gd = ln_beta(ga, de);
    let a = ln_beta(al + x, be + n - x) - lb_ab + ln_beta(ga, de + n) - lb_gd;
    let m = n - tx; // number of terms in the sum, i = 0..m-1
    if m < 1.0 {
        return a;
    }
    // Σ_{i<m} B(α+x, β+tx−x+i) B(γ+1, δ+tx+i), by the ratio of consecutive terms.
    let l0 = ln_beta(al + x, be + tx - x) + ln_beta(ga + 1.0, de + tx);
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    let mi = m as u64;
    for i in 0..mi.saturating_sub(1) {
        let fi = i as f64;
        term *= (be + tx - x + fi) / (al + be + tx + fi) * (de + tx + fi) / (ga + de + 1.0 + tx + fi);
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
    }
    let b = l0 + sum.ln() - lb_ab - lb_gd;
    log_add_exp(a, b)
}

struct Obj<'a> {
    x: &'a [f64],
    tx: &'a [f64],
    n: &'a [f64],
    w: &'a [f64],
    pen: f64,
}

impl Objective for Obj<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn value(&self, lp: &[f64]) -> f64 {
        let p: Vec<f64> = lp.iter().map(|v| v.exp()).collect();
        let mut ll = 0.0;
        for i in 0..self.x.len() {
            ll += self.w[i] * row_ll(p[0], p[1], p[2], p[3], self.x[i], self.tx[i], self.n[i]);
        }
        -ll + self.pen * p.iter().map(|v| v * v).sum::<f64>()
    }
}

impl BgBb {
    /// Parameter names, in order (lifetimes' names).
    pub const PARAM_NAMES: [&'static str; 4] = ["alpha", "beta", "gamma", "delta"];

    /// A model with known parameters (all finite and > 0).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first invalid parameter.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        check_params(&Self::PARAM_NAMES, &[alpha, beta, gamma, delta])?;
        Ok(BgBb { alpha, beta, gamma, delta, report: None })
    }

    /// Fit by maximum likelihood to (frequency, recency, n_periods) with optional weights
    /// (counts of customers sharing the row, as in the donations data).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for invalid rows (non-whole values, recency > n_periods,
    /// frequency > recency, recency ≠ 0 with frequency 0), lengths or empty data;
    /// [`Error::NotConverged`] if the fit fails.
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::{BgBb, FitOptions};
    /// let m = BgBb::fit(&[0.0, 1.0, 3.0, 6.0], &[0.0, 2.0, 5.0, 6.0], &[6.0; 4], Some(&[10.0, 5.0, 4.0, 6.0]), &FitOptions::new().penalizer(0.01))?;
    /// assert!(m.alpha > 0.0);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn fit(
        frequency: &[f64],
        recency: &[f64],
        n_periods: &[f64],
        weights: Option<&[f64]>,
        options: &FitOptions,
    ) -> Result<Self> {
        options.validate(4)?;
        rows::check_nonempty(frequency.len())?;
        check_cols(frequency, recency, n_periods)?;
        let w = rows::weights_or_ones(weights, frequency.len())?;
        let (cols, w) = rows::compress_rows(&[frequency, recency, n_periods], Some(&w));
        let total: f64 = w.iter().sum();
        let obj = Obj { x: &cols[0], tx: &cols[1], n: &cols[2], w: &w, pen: options.penalizer_coef * total };
        let start: Vec<f64> = match &options.initial_params {
            Some(p) => p.iter().map(|v| v.ln()).collect(),
            None => vec![0.1; 4],
        };
        let opt = fit::minimize(&obj, &start, options.tolerance, options.max_iterations)?;
        let v: Vec<f64> = opt.lp.iter().map(|v| v.exp()).collect();
        let ll = (0..w.len()).map(|i| w[i] * row_ll(v[0], v[1], v[2], v[3], cols[0][i], cols[1][i], cols[2][i])).sum();
        let report = fit::report(&Self::PARAM_NAMES, &v, &opt, ll, w.len(), total, options);
        Ok(BgBb { alpha: v[0], beta: v[1], gamma: v[2], delta: v[3], report: Some(report) })
    }

    /// Total log-likelihood of (weighted) data under these parameters.
    ///
    /// # Errors
    /// As [`BgBb::fit`] for invalid data.
    pub fn log_likelihood(
        &self,
        frequency: &[f64],
        recency: &[f64],
        n_periods: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<f64> {
        check_cols(frequency, recency, n_periods)?;
        let w = rows::weights_or_ones(weights, frequency.len())?;
        Ok((0..w.len())
            .map(|i| {
                w[i] * row_ll(self.alpha, self.beta, self.gamma, self.delta, frequency[i], recency[i], n_periods[i])
            })
            .sum())
    }

    /// Parameter values in order (α, β, γ, δ).
    pub fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// Expected purchases in the next `m_periods_in_future` opportunities for a customer with
    /// history (frequency, recency, n_periods) (Fader, Hardie & Shang 2010, eq. 13).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for an invalid history.
    pub fn conditional_expected_number_of_purchases_up_to_time(
        &self,
        m_periods_in_future: u64,
        frequency: f64,
        recency: f64,
        n_periods: f64,
    ) -> Result<f64> {
        check_row(0, frequency, recency, n_periods)?;
        Ok(self.cond_expected_unchecked(m_periods_in_future as f64, frequency, recency, n_periods))
    }

    fn cond_expected_unchecked(&self, m: f64, x: f64, tx: f64, n: f64) -> f64 {
        let (al, be, ga, de) = (self.alpha, self.beta, self.gamma, self.delta);
        if m == 0.0 {
            return 0.0;
        }
        let ll = row_ll(al, be, ga, de, x, tx, n);
        let p2 = ln_beta(al + x + 1.0, be + n - x) - ln_beta(al, be);
        // δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+m)/Γ(γ+δ+n+m)]
        let p4 = ln_gamma(1.0 + de + n) - ln_gamma(ga + de + n);
        let p5 = ln_gamma(1.0 + de + n + m) - ln_gamma(ga + de + n + m);
        let c = ln_gamma(ga + de) - ln_gamma(1.0 + de);
        let (diff, sign) = if p4 >= p5 { (log_sub_exp(p4, p5), 1.0) } else { (log_sub_exp(p5, p4), -1.0) };
        let k = de / (ga - 1.0);
        sign * k * (p2 + c + diff - ll).exp()
    }

    /// Probability that a customer with history (frequency, recency, n_periods) is alive at
    /// opportunity n_periods + m_periods_in_future (lifetimes' `conditional_probability_alive`).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for an invalid history.
    pub fn conditional_probability_alive(
        &self,
        m_periods_in_future: u64,
        frequency: f64,
        recency: f64,
        n_periods: f64,
    ) -> Result<f64> {
        check_row(0, frequency, recency, n_periods)?;
        Ok(self.p_alive_unchecked(m_periods_in_future as f64, frequency, recency, n_periods))
    }

    fn p_alive_unchecked(&self, m: f64, x: f64, tx: f64, n: f64) -> f64 {
        let (al, be, ga, de) = (self.alpha, self.beta, self.gamma, self.delta);
        let p1 = ln_beta(al + x, be + n - x) - ln_beta(al, be);
        let p2 = ln_beta(ga, de + n + m) - ln_beta(ga, de);
        (p1 + p2 - row_ll(al, be, ga, de, x, tx, n)).exp().min(1.0)
    }

    /// Batch [`BgBb::conditional_expected_number_of_purchases_up_to_time`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the column and row of the first invalid value.
    pub fn conditional_expected_number_of_purchases_up_to_time_batch(
        &self,
        m_periods_in_future: u64,
        frequency: &[f64],
        recency: &[f64],
        n_periods: &[f64],
    ) -> Result<Vec<f64>> {
        check_cols(frequency, recency, n_periods)?;
        let m = m_periods_in_future as f64;
        Ok(rows::par_map3(frequency, recency, n_periods, |x, tx, n| self.cond_expected_unchecked(m, x, tx, n)))
    }

    /// Batch [`BgBb::conditional_probability_alive`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the column and row of the first invalid value.
    pub fn conditional_probability_alive_batch(
        &self,
        m_periods_in_future: u64,
        frequency: &[f64],
        recency: &[f64],
        n_periods: &[f64],
    ) -> Result<Vec<f64>> {
        check_cols(frequency, recency, n_periods)?;
        let m = m_periods_in_future as f64;
        Ok(rows::par_map3(frequency, recency, n_periods, |x, tx, n| self.p_alive_unchecked(m, x, tx, n)))
    }

    /// P(X(n) = x): probability that a new customer makes `x` purchases in the first `n`
    /// opportunities (Fader, Hardie & Shang 2010, eq. 7). Multiplied by the number of customers
    /// it is lifetimes' `expected_number_of_transactions_in_first_n_periods`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] if `x > n`.
    pub fn probability_of_n_purchases_in_first_n_periods(&self, n: u64, x: u64) -> Result<f64> {
        if x > n {
            return Err(Error::invalid("x", format!("{x}"), "must be <= n"));
        }
        check_t(n as f64, "n")?;
        let (al, be, ga, de) = (self.alpha, self.beta, self.gamma, self.delta);
        let (nf, xf) = (n as f64, x as f64);
        let ln_choose = |a: f64, b: f64| ln_gamma(a + 1.0) - ln_gamma(b + 1.0) - ln_gamma(a - b + 1.0);
        let lb_ab = ln_beta(al, be);
        let lb_gd = ln_beta(ga, de);
        let mut l = ln_choose(nf, xf) + ln_beta(al + xf, be + nf - xf) - lb_ab + ln_beta(ga, de + nf) - lb_gd;
        for i in x..n {
            let fi = i as f64;
            l = log_add_exp(
                l,
                ln_choose(fi, xf) + ln_beta(al + xf, be + fi - xf) - lb_ab + ln_beta(ga + 1.0, de + fi) - lb_gd,
            );
        }
        Ok(l.exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_n_probabilities_sum_to_one() {
        let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
        let s: f64 = (0..=6).map(|x| m.probability_of_n_purchases_in_first_n_periods(6, x).unwrap()).sum();
        assert!((s - 1.0).abs() < 1e-12, "{s}");
    }

    #[test]
    fn alive_is_one_after_a_purchase_at_the_last_opportunity() {
        let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
        assert!((m.conditional_probability_alive(0, 6.0, 6.0, 6.0).unwrap() - 1.0).abs() < 1e-12);
    }
}
