//! MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
//! models for customer base analysis", International Journal of Research in Marketing 24(3),
//! 201–209 (also Hoppe & Wagner 2007). As BG/NBD, but a customer may also drop out at time 0,
//! so customers without repeat purchases need not be alive.

use serde::{Deserialize, Serialize};

use super::bg_nbd::{
    check_params, continuous_log_likelihood, euler_bracket_over, fit_continuous, nb_tail, penalised, sigmoid, Prepared,
};
use super::fit::{FitOptions, FitReport, Objective};
use super::special::{digamma, ln_beta, ln_gamma};
use super::{check_t, TransactionModel};
use crate::Result;

/// An MBG/NBD model (parameters r, α, a, b in the data's time unit).
///
/// # Example
/// ```
/// use yutang::ltv::{MbgNbd, TransactionModel};
/// let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// let p = m.conditional_probability_alive(0.0, 0.0, 39.0)?;
/// assert!(p < 1.0); // unlike BG/NBD, a customer without repeat purchases may be gone
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MbgNbd {
    /// Shape of the Gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the Gamma distribution of purchase rates.
    pub alpha: f64,
    /// First shape of the Beta distribution of dropout probabilities.
    pub a: f64,
    /// Second shape of the Beta distribution of dropout probabilities.
    pub b: f64,
    /// Fit facts, if fitted.
    pub report: Option<FitReport>,
}

pub(crate) fn row_ll(r: f64, alpha: f64, a: f64, b: f64, x: f64, tx: f64, t: f64) -> f64 {
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_beta(a, b + x + 1.0) - ln_beta(a, b);
    let a3 = -(r + x) * (alpha + t).ln();
    let a4 = (a / (b + x)).ln() + (r + x) * ((t - tx) / (alpha + tx)).ln_1p();
    a1 + a2 + a3 + softplus(a4)
}

/// ln(1 + e^v) without overflow.
pub(crate) fn softplus(v: f64) -> f64 {
    if v > 0.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp().ln_1p()
    }
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
        let mut g = [0.0; 4];
        self.value_grad(lp, &mut g)
    }
    fn analytic_gradient(&self) -> bool {
        true
    }
    fn value_grad(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let (r, alpha, a, b) = (lp[0].exp(), lp[1].exp(), lp[2].exp(), lp[3].exp());
        let d = self.d;
        let ln_alpha = alpha.ln();
        let (lg_r, psi_r) = (ln_gamma(r), digamma(r));
        let (lb_ab, psi_ab, psi_b) = (ln_beta(a, b), digamma(a + b), digamma(b));
        let mut ll = 0.0;
        let mut gr = [0.0f64; 4];
        let mut cur_x = f64::NAN;
        let (mut c12, mut c_psi_rx, mut c_psi_bx1, mut c_psi_abx1, mut c_lnab) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let lat_t: Vec<f64> = d.t_vals.iter().map(|v| (alpha + v).ln()).collect();
        let inv_t: Vec<f64> = d.t_vals.iter().map(|v| 1.0 / (alpha + v)).collect();
        let lat_tx: Vec<f64> = d.tx_vals.iter().map(|v| (alpha + v).ln()).collect();
        let inv_tx: Vec<f64> = d.tx_vals.iter().map(|v| 1.0 / (alpha + v)).collect();
        for i in 0..d.x.len() {
            let (x, w) = (d.x[i], d.w[i]);
            let (ti, txi) = (d.t_idx[i] as usize, d.tx_idx[i] as usize);
            if x != cur_x {
                if x == cur_x + 1.0 && x < 1e4 {
                    // Step by one purchase: Γ and ψ recurrences (rows are sorted by x).
                    let (rx, bx1, abx1) = (r + cur_x, b + cur_x + 1.0, a + b + cur_x + 1.0);
                    c12 += (rx * bx1 / abx1).ln();
                    c_psi_rx += 1.0 / rx;
                    c_psi_bx1 += 1.0 / bx1;
                    c_psi_abx1 += 1.0 / abx1;
                } else {
                    c12 = ln_gamma(r + x) - lg_r + r * ln_alpha + ln_beta(a, b + x + 1.0) - lb_ab;
                    c_psi_rx = digamma(r + x);
                    c_psi_bx1 = digamma(b + x + 1.0);
                    c_psi_abx1 = digamma(a + b + x + 1.0);
                }
                cur_x = x;
                c_lnab = (a / (b + x)).ln();
            }
            let (lat, latx) = (lat_t[ti], lat_tx[txi]);
            let a4 = c_lnab + (r + x) * (lat - latx);
            // softplus and sigmoid from one exp
            let e = (-a4.abs()).exp();
            // softplus: e = exp(-|a4|) is in (0, 1], so ln(1 + e) is within one ulp of 1 of
            // ln_1p(e) (<= 1.1e-16 absolute per row) and glibc's log is ~3x faster than log1p.
            let sp = a4.max(0.0) + (1.0 + e).ln();
            let sig = if a4 >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
            ll += w * (c12 - (r + x) * lat + sp);
            gr[0] += w * (c_psi_rx - psi_r + ln_alpha - lat + sig * (lat - latx));
            gr[1] += w * (r / alpha - (r + x) * inv_t[ti] + sig * (r + x) * (inv_t[ti] - inv_tx[txi]));
            gr[2] += w * (psi_ab - c_psi_abx1 + sig / a);
            gr[3] += w * (psi_ab + c_psi_bx1 - psi_b - c_psi_abx1 - sig / (b + x));
        }
        penalised(&[r, alpha, a, b], ll, &gr, self.pen, g)
    }
}

impl MbgNbd {
    /// Parameter names, in order.
    pub const PARAM_NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// A model with known parameters (all finite and > 0).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first invalid parameter.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_params(&Self::PARAM_NAMES, &[r, alpha, a, b])?;
        Ok(MbgNbd { r, alpha, a, b, report: None })
    }

    /// Fit by maximum likelihood (see [`super::BgNbd::fit`] for the conventions).
    ///
    /// # Errors
    /// As [`super::BgNbd::fit`].
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::{MbgNbd, FitOptions};
    /// let m = MbgNbd::fit(&[0.0, 1.0, 4.0, 0.0], &[0.0, 3.0, 20.0, 0.0], &[30.0, 25.0, 30.0, 10.0], None, &FitOptions::new().penalizer(0.01))?;
    /// assert!(m.r > 0.0);
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
            [false, true, false, false],
            0.1,
            |d, pen| Box::new(Obj { d, pen }),
            row_ll,
        )?;
        Ok(MbgNbd { r: v[0], alpha: v[1], a: v[2], b: v[3], report: Some(report) })
    }

    /// Total log-likelihood of (weighted) data under these parameters.
    ///
    /// # Errors
    /// As [`MbgNbd::fit`] for invalid data.
    pub fn log_likelihood(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<f64> {
        continuous_log_likelihood(row_ll, self.params(), frequency, recency, age, weights)
    }

    /// Parameter values in order (r, α, a, b).
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }
}

impl TransactionModel for MbgNbd {
    fn expected_number_of_purchases_up_to_time(&self, t: f64) -> Result<f64> {
        check_t(t, "t")?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = t / (alpha + t);
        Ok(b * euler_bracket_over(a + b - r, a - 1.0, a + b, z))
    }

    fn probability_of_n_purchases_up_to_time(&self, t: f64, n: u64) -> Result<f64> {
        check_t(t, "t")?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let nf = n as f64;
        let second_coef = (ln_beta(a + 1.0, b + nf) - ln_beta(a, b)).exp();
        if t == 0.0 {
            // Only the "dropped at time 0" mass and the n = 0 mass remain.
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let lz = (t / (alpha + t)).ln();
        let l1z = (alpha / (alpha + t)).ln();
        let first = (ln_beta(a, b + nf + 1.0) - ln_beta(a, b) + ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0)
            + r * l1z
            + nf * lz)
            .exp();
        let tail = if n == 0 { 1.0 } else { nb_tail(r, lz, l1z, n) };
        Ok(first + second_coef * tail)
    }

    fn horizon_factor(&self, t: f64, x: f64, age: f64) -> f64 {
        let (alpha, a, b) = (self.alpha, self.a, self.b);
        if t == 0.0 {
            return 0.0;
        }
        let z = t / (alpha + age + t);
        (a + b + x) * euler_bracket_over(a + b - self.r, a - 1.0, a + b + x, z)
    }

    fn p_alive_unchecked(&self, x: f64, tx: f64, age: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let q = (a / (b + x)).ln() + (r + x) * ((age - tx) / (alpha + tx)).ln_1p();
        sigmoid(-q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_numeric() {
        let d = crate::ltv::bg_nbd::prepare(
            &[0.0, 2.0, 5.0, 1.0],
            &[0.0, 10.0, 30.0, 2.0],
            &[39.0, 35.0, 38.0, 20.0],
            None,
            true,
        )
        .unwrap();
        let obj = Obj { d: &d, pen: 0.1 };
        let lp = [-0.5, -1.0, 0.2, 0.7];
        let (mut ga, mut gn) = ([0.0; 4], [0.0; 4]);
        obj.value_grad(&lp, &mut ga);
        super::super::fit::numeric_grad(|x| obj.value(x), &lp, &mut gn);
        for k in 0..4 {
            assert!((ga[k] - gn[k]).abs() < 1e-7 * (1.0 + ga[k].abs()), "{k}: {} vs {}", ga[k], gn[k]);
        }
    }

    #[test]
    fn n_purchase_probabilities_sum_to_one() {
        let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
        let s: f64 = (0..3000).map(|n| m.probability_of_n_purchases_up_to_time(39.0, n).unwrap()).sum();
        assert!((s - 1.0).abs() < 1e-9, "{s}");
    }
}
