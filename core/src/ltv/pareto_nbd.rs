//! Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they
//! and what will they do next?", Management Science 33(1), 1–24; likelihood as in Fader &
//! Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions".
//!
//! While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); her lifetime is
//! exponential with rate μ ~ Gamma(s, β).

use serde::{Deserialize, Serialize};

use super::bg_nbd::{check_params, continuous_log_likelihood, fit_continuous, Prepared};
use super::fit::{FitOptions, FitReport, Objective};
use super::quad;
use super::special::{hyp2f1, ln_gamma, log_add_exp, log_sub_exp};
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
        // Given the history, the customer is alive at T with probability P(alive), and then
        // λ ~ Gamma(r + x, α + T) and μ ~ Gamma(s, β + T): the next t periods are those of a
        // new customer with these parameters. Otherwise they make no more purchases.
        let p_alive = self.p_alive_unchecked(frequency, recency, age);
        let (r, s) = (self.r + frequency, self.s);
        let (alpha, beta) = (self.alpha + age, self.beta + age);
        let alive = p_alive * ln_pmf(r, alpha, s, beta, t, n).exp();
        Ok(if n == 0 { (1.0 - p_alive) + alive } else { alive }.clamp(0.0, 1.0))
    }
}

/// ln P(X(t) = n) for a new Pareto/NBD customer, to about 1e-12 relative wherever it is
/// representable: the customer is either alive through t, with n purchases of the NBD, or
/// drops out at some τ < t after n purchases in (0, τ),
///
/// P = NB(n; r, α, t)·(β/(β+t))^s + ∫_0^t NB(n; r, α, τ)·s·β^s/(β+τ)^{s+1} dτ,
///
/// NB(n; r, α, τ) = Γ(r+n)/(Γ(r) n!)·(α/(α+τ))^r·(τ/(α+τ))^n. Both terms are positive, so
/// nothing cancels (the closed form of Fader & Hardie's note 028, "second − third", does, and
/// loses every digit once P is below about 1e-7); the integral is taken in u = ln τ, by
/// adaptive Gauss–Kronrod quadrature of its logarithm.
pub(crate) fn ln_pmf(r: f64, alpha: f64, s: f64, beta: f64, t: f64, n: u64) -> f64 {
    let nf = n as f64;
    let ln_coef = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
    let ln_nb = |tau: f64| ln_coef - r * (tau / alpha).ln_1p() + nf * (tau.ln() - (alpha + tau).ln());
    let alive = ln_nb(t) - s * (t / beta).ln_1p();
    // the integrand in u = ln τ carries e^{(n+1)u}: below ln t − 46/(n+1) it is under 1e-20
    // of its value near t
    let hi = t.ln();
    let lo = hi - 46.0 / (nf + 1.0) - 40.0;
    let ln_f = |u: f64| {
        let tau = u.exp();
        ln_nb(tau) + s.ln() - (s + 1.0) * (tau / beta).ln_1p() - beta.ln() + u
    };
    log_add_exp(alive, quad::ln_integral(ln_f, lo, hi, 64, 1e-13))
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
        assert!((s - 1.0).abs() < 1e-12, "{s}");
    }

    /// ln P(X(T, T+t] = n | x, t_x, T) of the Pareto/NBD, from the closed form of Fader &
    /// Hardie's note 028 in mpmath 1.3.0 with enough digits that its cancellation is exact
    /// (`scripts/reference/pareto_nbd_pmf.py`): (r, α, s, β, x, t_x, T, t, n, ln P). New
    /// customers (0, 0, 0) and histories, n up to 500, t up to 1,040 weeks; both α < β and α > β.
    type Case = (f64, f64, f64, f64, f64, f64, f64, f64, u64, f64);
    #[allow(clippy::excessive_precision)] // the digits as mpmath printed them
    const PMF_MPMATH: &[Case] = &[
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 0, -0.048710350646817129),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 1, -3.115428625228362),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 5, -13.555475564782047),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 20, -50.899531944532059),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 100, -247.54452436801829),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1.0, 500, -1227.9060665762338),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 0, -0.52150741887657742),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 1, -1.798403810392604),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 5, -3.8404082505317459),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 20, -8.2632051557309189),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 100, -28.2557326260455),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 39.0, 500, -124.98552686483534),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 0, -0.66334717274689562),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 1, -1.9880698964740412),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 5, -3.787958893279235),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 20, -5.7270940439706783),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 100, -8.7570306899788952),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 520.0, 500, -17.743131083879138),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 0, -0.66911018736875734),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 1, -1.9995814911611724),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 5, -3.8193108394223982),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 20, -5.7774987785828675),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 100, -8.3183365946670219),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 0.0, 1040.0, 500, -13.468393953206668),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 0, -0.033991160028235432),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 1, -3.4404403415429435),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 5, -15.979518468841674),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 20, -61.945510297772905),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 100, -305.83604587587776),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1.0, 500, -1523.9683503852527),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 0, -0.17246076032003801),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 1, -2.2517233370419785),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 5, -5.8504191942120519),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 20, -12.956612522270104),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 100, -46.559358670519297),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 39.0, 500, -212.50274832972022),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 0, -0.1782484744395517),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 1, -2.2684655162588933),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 5, -5.6673048892440291),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 20, -9.1206518894418992),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 100, -14.027091902325285),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 520.0, 500, -29.800525408079412),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 0, -0.17827007850536739),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 1, -2.2685960890676346),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 5, -5.6695522414665539),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 20, -9.1319414919250885),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 100, -13.292032985608939),
        (0.8, 20.0, 1.5, 5.0, 0.0, 0.0, 0.0, 1040.0, 500, -21.942981334735197),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 0, -0.71595059962626757),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 1, -1.1914265896562737),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 5, -5.1942230585418877),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 20, -24.152351879097085),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 100, -132.71425372131511),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1.0, 500, -684.83279975717589),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 0, -4.237186549332855),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 1, -4.2231525163782773),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 5, -4.0364100307139005),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 20, -3.8331987062650525),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 100, -7.5475838611887516),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 39.0, 500, -34.810568781284077),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 0, -4.3114514261306773),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 1, -4.4017436669343966),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 5, -4.6707735143872903),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 20, -5.2558998591927876),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 100, -6.2960192605874101),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 520.0, 500, -7.3762229142006945),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 0, -4.3115159602978473),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 1, -4.4019191248217484),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 5, -4.6718239977838114),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 20, -5.2667026606569985),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 100, -6.5026227162100689),
        (2.5, 3.0, 0.3, 40.0, 0.0, 0.0, 0.0, 1040.0, 500, -7.5810635952143416),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 39.0, 0, -0.89633438206431836),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 39.0, 1, -1.5173716342989082),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 39.0, 5, -3.4425829643063458),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 39.0, 50, -37.107271310403806),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 39.0, 200, -157.80176109313028),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 104.0, 0, -1.1546663591089255),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 104.0, 1, -2.0034042437128312),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 104.0, 5, -2.7973946540220329),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 104.0, 50, -17.335811745677635),
        (0.553, 10.578, 0.606, 11.669, 2.0, 30.43, 38.86, 104.0, 200, -73.56828063218108),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 39.0, 0, -2.0647177254729396),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 39.0, 1, -3.014324492758127),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 39.0, 5, -2.5151881195235058),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 39.0, 50, -23.299477577201572),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 39.0, 200, -133.81156867816455),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 104.0, 0, -2.0754246252160524),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 104.0, 1, -3.150130840697306),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 104.0, 5, -3.5734348955421913),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 104.0, 50, -7.8836940060761958),
        (0.553, 10.578, 0.606, 11.669, 10.0, 35.0, 39.0, 104.0, 200, -53.844129468490851),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 39.0, 0, -0.071483382966243308),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 39.0, 1, -3.0848350773561451),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 39.0, 5, -7.1332887147006321),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 39.0, 50, -45.122296318309274),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 39.0, 200, -168.79526659861382),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 104.0, 0, -0.10875639770554893),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 104.0, 1, -2.9891418690401086),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 104.0, 5, -5.4948200264174906),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 104.0, 50, -24.21640742038942),
        (0.553, 10.578, 0.606, 11.669, 0.0, 0.0, 39.0, 104.0, 200, -83.325198043638435),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 39.0, 0, -3.4137833096036328),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 39.0, 1, -4.6849225268033927),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 39.0, 5, -4.7835623575295518),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 39.0, 50, -3.5310289114255523),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 39.0, 200, -62.609271202351108),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 104.0, 0, -3.4137833096036442),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 104.0, 1, -4.6849225268044742),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 104.0, 5, -4.7835623634289015),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 104.0, 50, -5.6071706347637432),
        (0.553, 10.578, 0.606, 11.669, 60.0, 38.0, 39.0, 104.0, 200, -10.149885184846411),
    ];

    #[test]
    fn pmf_matches_mpmath_to_1e10_relative_wherever_representable() {
        for &(r, alpha, s, beta, x, tx, age, t, n, want) in PMF_MPMATH {
            let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
            let case = format!("r={r} α={alpha} s={s} β={beta} x={x} tx={tx} T={age} t={t} n={n}");
            if x == 0.0 && age == 0.0 {
                // the log itself, also far below f64's range (ln P = -1228 at n = 500, t = 1)
                let got = ln_pmf(r, alpha, s, beta, t, n);
                assert!((got - want).abs() <= 1e-10, "{case}: ln P {got} vs {want}");
            }
            let p = m.conditional_probability_of_n_purchases_up_to_time(n, t, x, tx, age).unwrap();
            if want > f64::MIN_POSITIVE.ln() {
                assert!((p.ln() - want).abs() <= 1e-10, "{case}: P {p:e} vs {:e}", want.exp());
            } else {
                assert_eq!(p, 0.0, "{case}");
            }
        }
    }
}
