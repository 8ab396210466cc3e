//! Gamma-Gamma spend model: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves
//! for customer base analysis", Journal of Marketing Research 42(4), 415–430; the note
//! "The Gamma-Gamma model of monetary value" (Fader & Hardie 2013).
//!
//! A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers; the
//! average of x repeat transactions is the observed data. Fit on repeat buyers (x > 0).

use serde::{Deserialize, Serialize};

use super::bg_nbd::check_params;
use super::fit::{self, FitOptions, FitReport, Objective};
use super::rows;
use super::special::{digamma, ln_gamma};
use crate::{Error, Result};

/// A Gamma-Gamma model (parameters p, q, v — lifetimes' names; v is the paper's γ).
///
/// # Example
/// ```
/// use yutang::ltv::GammaGamma;
/// let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let e = gg.conditional_expected_average_profit(2.0, 30.0)?;
/// assert!(e > 30.0 * 0.5 && e < 40.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of the per-transaction spend distribution.
    pub p: f64,
    /// Shape of the Gamma distribution of ν across customers.
    pub q: f64,
    /// Scale of the Gamma distribution of ν across customers (the paper's γ).
    pub v: f64,
    /// Fit facts, if fitted.
    pub report: Option<FitReport>,
}

fn check_rows(frequency: &[f64], monetary: &[f64]) -> Result<()> {
    rows::check_len("monetary_value", monetary.len(), frequency.len())?;
    for i in 0..frequency.len() {
        let x = frequency[i];
        if !x.is_finite() || x <= 0.0 || x.fract() != 0.0 || x > 1e7 {
            return Err(Error::invalid(
                format!("frequency[{i}]"),
                format!("{x}"),
                "must be a whole number in [1, 1e7] (fit on repeat buyers)",
            ));
        }
        let m = monetary[i];
        if !m.is_finite() || m <= 0.0 {
            return Err(Error::invalid(format!("monetary_value[{i}]"), format!("{m}"), "must be finite and > 0"));
        }
    }
    Ok(())
}

pub(crate) fn row_ll(p: f64, q: f64, v: f64, x: f64, m: f64) -> f64 {
    let px = p * x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * v.ln() + (px - 1.0) * m.ln() + px * x.ln()
        - (px + q) * (x * m + v).ln()
}

struct Obj<'a> {
    x: &'a [f64],
    m: &'a [f64],
    w: &'a [f64],
    /// ln m and ln x, constant during the fit.
    ln_m: Vec<f64>,
    ln_x: Vec<f64>,
    pen: f64,
    /// v is fitted on money scaled by `scale`; the penalty is on v in the original units.
    scale: f64,
}

impl Objective for Obj<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn value(&self, lp: &[f64]) -> f64 {
        let mut g = [0.0; 3];
        self.value_grad(lp, &mut g)
    }
    fn analytic_gradient(&self) -> bool {
        true
    }
    fn value_grad(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let (p, q, v) = (lp[0].exp(), lp[1].exp(), lp[2].exp());
        let (lg_q, psi_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
        let mut ll = 0.0;
        let mut gr = [0.0f64; 3];
        // Rows are sorted by frequency: the Γ and ψ terms are computed once per distinct x.
        let mut cur_x = f64::NAN;
        let (mut c_lg, mut c_psi_pxq, mut c_psi_px) = (0.0, 0.0, 0.0);
        for i in 0..self.x.len() {
            let (x, m, w) = (self.x[i], self.m[i], self.w[i]);
            let px = p * x;
            if x != cur_x {
                cur_x = x;
                c_lg = ln_gamma(px + q) - ln_gamma(px) - lg_q;
                c_psi_pxq = digamma(px + q);
                c_psi_px = digamma(px);
            }
            let (lm, lx) = (self.ln_m[i], self.ln_x[i]);
            let xmv = x * m + v;
            let lxmv = xmv.ln();
            ll += w * (c_lg + q * ln_v + (px - 1.0) * lm + px * lx - (px + q) * lxmv);
            gr[0] += w * x * (c_psi_pxq - c_psi_px + lm + lx - lxmv);
            gr[1] += w * (c_psi_pxq - psi_q + ln_v - lxmv);
            gr[2] += w * (q / v - (px + q) / xmv);
        }
        let c = [1.0, 1.0, 1.0 / self.scale];
        let pv = [p, q, v];
        let mut pen = 0.0;
        for k in 0..3 {
            let pk = pv[k] * c[k];
            pen += pk * pk;
            g[k] = -gr[k] * pv[k] + 2.0 * self.pen * pk * pk;
        }
        -ll + self.pen * pen
    }
}

impl GammaGamma {
    /// Parameter names, in order (lifetimes' names).
    pub const PARAM_NAMES: [&'static str; 3] = ["p", "q", "v"];

    /// A model with known parameters (all finite and > 0).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first invalid parameter.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        check_params(&Self::PARAM_NAMES, &[p, q, v])?;
        Ok(GammaGamma { p, q, v, report: None })
    }

    /// Fit by maximum likelihood to repeat buyers' (frequency, average monetary value) with
    /// optional weights. Money is rescaled internally (so any currency unit fits equally well);
    /// the penalizer applies to v in the data's units, as lifetimes.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for frequency ≤ 0 or non-whole, monetary value ≤ 0 or NaN,
    /// lengths, empty data; [`Error::NotConverged`] if the fit fails.
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::{GammaGamma, FitOptions};
    /// let gg = GammaGamma::fit(&[1.0, 2.0, 3.0, 1.0, 5.0], &[20.0, 35.5, 18.0, 50.0, 27.0], None, &FitOptions::new().penalizer(0.01))?;
    /// assert!(gg.p > 0.0);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn fit(
        frequency: &[f64],
        monetary_value: &[f64],
        weights: Option<&[f64]>,
        options: &FitOptions,
    ) -> Result<Self> {
        Self::fit_inner(frequency, monetary_value, weights, options, false)
    }

    /// [`GammaGamma::fit`] with q ≥ 1 (lifetimes' `q_constraint=True`): below 1 the population
    /// mean spend p·v/(q−1) is negative or infinite, and so is every CLV built on it. When the
    /// unconstrained estimate already has q ≥ 1 it is the answer; otherwise p and v are fitted
    /// with q held at 1 (the maximum on the bound), and the report's gradient norm is that of
    /// p and v (q's component is not zero on the bound) while its standard errors come from the
    /// full Hessian there, as lifetimes computes them.
    ///
    /// # Errors
    /// As [`GammaGamma::fit`].
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::{GammaGamma, FitOptions};
    /// let (x, m) = ([1.0, 2.0, 3.0, 1.0, 5.0], [20.0, 35.5, 18.0, 50.0, 27.0]);
    /// let gg = GammaGamma::fit_q_constrained(&x, &m, None, &FitOptions::new().penalizer(0.01))?;
    /// assert!(gg.q >= 1.0);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn fit_q_constrained(
        frequency: &[f64],
        monetary_value: &[f64],
        weights: Option<&[f64]>,
        options: &FitOptions,
    ) -> Result<Self> {
        Self::fit_inner(frequency, monetary_value, weights, options, true)
    }

    fn fit_inner(
        frequency: &[f64],
        monetary_value: &[f64],
        weights: Option<&[f64]>,
        options: &FitOptions,
        q_at_least_one: bool,
    ) -> Result<Self> {
        options.validate(3)?;
        rows::check_nonempty(frequency.len())?;
        check_rows(frequency, monetary_value)?;
        let w = rows::weights_or_ones(weights, frequency.len())?;
        let (cols, w) = rows::compress_rows(&[frequency, monetary_value], Some(&w));
        let total: f64 = w.iter().sum();
        let mean_m = cols[1].iter().zip(&w).map(|(m, w)| m * w).sum::<f64>() / total;
        let scale = 1.0 / mean_m;
        let ms: Vec<f64> = cols[1].iter().map(|m| m * scale).collect();
        let obj = Obj {
            x: &cols[0],
            m: &ms,
            w: &w,
            ln_m: ms.iter().map(|v| v.ln()).collect(),
            ln_x: cols[0].iter().map(|v| v.ln()).collect(),
            pen: options.penalizer_coef * total,
            scale,
        };
        let start: Vec<f64> = match &options.initial_params {
            Some(p) => vec![p[0].ln(), p[1].ln(), (p[2] * scale).ln()],
            None => vec![0.1; 3],
        };
        let free = fit::minimize(&obj, &start, options.tolerance, options.max_iterations);
        // the free fit ran below q = 1, or (heavy-tailed spend) off towards q → 0 without
        // converging: then the maximum lies on the bound ln q = 0
        let to_bound = q_at_least_one && free.as_ref().map_or(true, |o| o.lp[1] < 0.0);
        let opt = if !to_bound {
            free?
        } else {
            let (from, iterations) = match &free {
                Ok(o) => ([o.lp[0], o.lp[2]], o.iterations),
                Err(_) => ([start[0], start[2]], 0),
            };
            let pinned = fit::Pinned { inner: &obj, at: 1, value: 0.0 };
            let on_bound = fit::minimize(&pinned, &from, options.tolerance, options.max_iterations)?;
            let lp = pinned.full(&on_bound.lp);
            // a maximum on the bound: raising q must not improve the fit there
            let mut g = [0.0; 3];
            obj.value_grad(&lp, &mut g);
            if let Err(e) = free {
                if g[1] < -options.tolerance {
                    return Err(e);
                }
            }
            fit::Optimum {
                hessian: fit::hessian_at(&obj, &lp),
                lp,
                iterations: iterations + on_bound.iterations,
                gradient_norm: on_bound.gradient_norm,
            }
        };
        let p: Vec<f64> = opt.lp.iter().map(|v| v.exp()).collect();
        let v = [p[0], p[1], p[2] / scale];
        let ll = (0..w.len()).map(|i| w[i] * row_ll(v[0], v[1], v[2], cols[0][i], cols[1][i])).sum();
        let report = fit::report(&Self::PARAM_NAMES, &v, &opt, ll, w.len(), total, options);
        Ok(GammaGamma { p: v[0], q: v[1], v: v[2], report: Some(report) })
    }

    /// Total log-likelihood of (weighted) data under these parameters.
    ///
    /// # Errors
    /// As [`GammaGamma::fit`] for invalid data.
    pub fn log_likelihood(&self, frequency: &[f64], monetary_value: &[f64], weights: Option<&[f64]>) -> Result<f64> {
        check_rows(frequency, monetary_value)?;
        let w = rows::weights_or_ones(weights, frequency.len())?;
        Ok((0..w.len()).map(|i| w[i] * row_ll(self.p, self.q, self.v, frequency[i], monetary_value[i])).sum())
    }

    /// Parameter values in order (p, q, v).
    pub fn params(&self) -> [f64; 3] {
        [self.p, self.q, self.v]
    }

    /// E[average transaction value | x, m̄]: the population mean p·v/(q−1) shrunk towards the
    /// customer's own average (Fader, Hardie & Lee 2005, eq. 5). Frequency 0 gives the
    /// population mean.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a negative or non-whole frequency or a non-finite value.
    pub fn conditional_expected_average_profit(&self, frequency: f64, monetary_value: f64) -> Result<f64> {
        check_profit_row(0, frequency, monetary_value)?;
        Ok(self.profit_unchecked(frequency, monetary_value))
    }

    fn profit_unchecked(&self, x: f64, m: f64) -> f64 {
        // (1 − w)·p·v/(q − 1) + w·m with w = p·x/(p·x + q − 1), without the 0·∞ at q = 1
        // (where a repeat buyer's expectation is m + v/x)
        let (p, q, v) = (self.p, self.q, self.v);
        p * (v + x * m) / (p * x + q - 1.0)
    }

    /// Batch [`GammaGamma::conditional_expected_average_profit`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the column and row of the first invalid value.
    pub fn conditional_expected_average_profit_batch(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Vec<f64>> {
        rows::check_len("monetary_value", monetary_value.len(), frequency.len())?;
        for i in 0..frequency.len() {
            check_profit_row(i, frequency[i], monetary_value[i])?;
        }
        Ok(rows::par_map2(frequency, monetary_value, |x, m| self.profit_unchecked(x, m)))
    }
}

fn check_profit_row(i: usize, x: f64, m: f64) -> Result<()> {
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 {
        return Err(Error::invalid(format!("frequency[{i}]"), format!("{x}"), "must be a whole number >= 0"));
    }
    if !m.is_finite() {
        return Err(Error::invalid(format!("monetary_value[{i}]"), format!("{m}"), "must be finite"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_numeric() {
        let (x, m, w) = ([1.0, 2.0, 5.0], [0.5, 1.3, 0.9], [1.0, 2.0, 1.0]);
        let obj = Obj {
            x: &x,
            m: &m,
            w: &w,
            ln_m: m.iter().map(|v: &f64| v.ln()).collect(),
            ln_x: x.iter().map(|v: &f64| v.ln()).collect(),
            pen: 0.3,
            scale: 0.1,
        };
        let lp = [1.2, 0.9, 0.3];
        let (mut ga, mut gn) = ([0.0; 3], [0.0; 3]);
        obj.value_grad(&lp, &mut ga);
        fit::numeric_grad(|v| obj.value(v), &lp, &mut gn);
        for k in 0..3 {
            assert!((ga[k] - gn[k]).abs() < 1e-7 * (1.0 + ga[k].abs()), "{k}: {} vs {}", ga[k], gn[k]);
        }
    }
}
