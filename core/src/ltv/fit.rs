//! The shared maximum-likelihood fitter: damped Newton (Levenberg–Marquardt) steps on
//! log-parameters, converged to a gradient norm, with standard errors from the Hessian.
#![allow(clippy::needless_range_loop, clippy::excessive_precision)]

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Options of a maximum-likelihood fit (builder style).
///
/// # Example
/// ```
/// use yutang::ltv::FitOptions;
/// let opts = FitOptions::new().penalizer(0.001).tolerance(1e-8);
/// assert_eq!(opts.penalizer_coef, 0.001);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitOptions {
    /// L2 penalizer with the semantics of `lifetimes`: the fit maximises
    /// `loglik / total_weight − penalizer_coef · Σ θᵢ²`, where the time-scale parameters
    /// (α, β of the continuous-time models) are taken in units of the largest T, as lifetimes
    /// does. 0 (the default) is the plain maximum-likelihood estimate.
    pub penalizer_coef: f64,
    /// Convergence: the largest absolute component of the gradient of the total negative
    /// log-likelihood (plus penalty) with respect to the log-parameters. Default 1e-6.
    pub tolerance: f64,
    /// Largest number of Newton iterations. Default 200.
    pub max_iterations: u32,
    /// Starting parameters in the model's order and natural units (optional).
    pub initial_params: Option<Vec<f64>>,
    /// Two-sided level of the confidence intervals. Default 0.95 (z = 1.96, as lifetimes).
    pub confidence: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { penalizer_coef: 0.0, tolerance: 1e-6, max_iterations: 200, initial_params: None, confidence: 0.95 }
    }
}

impl FitOptions {
    /// Default options: no penalizer, tolerance 1e-6, 200 iterations, 95 % intervals.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the L2 penalizer (see [`FitOptions::penalizer_coef`]).
    pub fn penalizer(mut self, c: f64) -> Self {
        self.penalizer_coef = c;
        self
    }
    /// Set the gradient-norm tolerance.
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }
    /// Set the iteration limit.
    pub fn max_iterations(mut self, n: u32) -> Self {
        self.max_iterations = n;
        self
    }
    /// Set starting parameters (model order, natural units).
    pub fn initial_params(mut self, p: Vec<f64>) -> Self {
        self.initial_params = Some(p);
        self
    }
    /// Set the confidence level of the intervals (0 < level < 1).
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    pub(crate) fn validate(&self, n_params: usize) -> Result<()> {
        if !self.penalizer_coef.is_finite() || self.penalizer_coef < 0.0 {
            return Err(Error::invalid(
                "penalizer_coef",
                format!("{}", self.penalizer_coef),
                "must be finite and >= 0",
            ));
        }
        if !self.tolerance.is_finite() || self.tolerance <= 0.0 {
            return Err(Error::invalid("tolerance", format!("{}", self.tolerance), "must be finite and > 0"));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::invalid("confidence", format!("{}", self.confidence), "must be in (0, 1)"));
        }
        if let Some(p) = &self.initial_params {
            if p.len() != n_params {
                return Err(Error::invalid(
                    "initial_params.len",
                    format!("{}", p.len()),
                    format!("must be {n_params}"),
                ));
            }
            for (i, &v) in p.iter().enumerate() {
                if !v.is_finite() || v <= 0.0 {
                    return Err(Error::invalid(
                        format!("initial_params[{i}]"),
                        format!("{v}"),
                        "must be finite and > 0",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// serde for f64 values that may be NaN (a singular Hessian): NaN is written as `null` and
/// read back as NaN, so every fitted model round-trips through JSON.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub mod matrix {
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(m: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
            let o: Vec<Vec<Option<f64>>> =
                m.iter().map(|r| r.iter().map(|v| v.is_finite().then_some(*v)).collect()).collect();
            o.serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
            let o = Vec::<Vec<Option<f64>>>::deserialize(d)?;
            Ok(o.into_iter().map(|r| r.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()).collect())
        }
    }
}

/// One fitted parameter with its standard error and confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamEstimate {
    /// Parameter name (lifetimes' name: `r`, `alpha`, `a`, `b`, `s`, `beta`, …).
    pub name: String,
    /// Estimate.
    pub value: f64,
    /// Standard error from the inverse Hessian (delta method from log-parameters); NaN if the
    /// Hessian is singular.
    #[serde(with = "nan_as_null")]
    pub std_error: f64,
    /// Lower bound of the confidence interval (value − z·se, as lifetimes).
    #[serde(with = "nan_as_null")]
    pub lower: f64,
    /// Upper bound of the confidence interval.
    #[serde(with = "nan_as_null")]
    pub upper: f64,
}

/// What a fit found: parameters, uncertainty, likelihood and convergence facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Parameters in the model's order.
    pub params: Vec<ParamEstimate>,
    /// Covariance matrix of the parameters (row-major, model order); NaN if the Hessian is
    /// singular.
    #[serde(with = "nan_as_null::matrix")]
    pub covariance: Vec<Vec<f64>>,
    /// Total (weighted) log-likelihood at the estimate, in the data's time unit — comparable
    /// with the papers (e.g. −9582.43 for BG/NBD on CDNOW). Not lifetimes' scaled mean.
    pub log_likelihood: f64,
    /// Newton iterations used.
    pub iterations: u32,
    /// Largest absolute gradient component (log-parameters) at the estimate.
    pub gradient_norm: f64,
    /// Distinct rows the likelihood was evaluated on.
    pub n_unique_rows: usize,
    /// Sum of the weights (number of customers).
    pub total_weight: f64,
    /// The options the fit ran with.
    pub options: FitOptions,
}

impl FitReport {
    /// Parameter values in the model's order.
    pub fn values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.value).collect()
    }
}

/// An objective in log-parameters: the total negative log-likelihood plus penalty.
pub(crate) trait Objective {
    fn dim(&self) -> usize;
    /// Value at log-parameters `lp` (may be non-finite outside the domain).
    fn value(&self, lp: &[f64]) -> f64;
    /// Value and gradient. Default: 5-point central differences.
    fn value_grad(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        numeric_grad(|x| self.value(x), lp, g)
    }
    /// Whether `value_grad` is analytic (then the Hessian differentiates the gradient;
    /// otherwise it is taken from function values, which is cheaper).
    fn analytic_gradient(&self) -> bool {
        false
    }
    /// The unpenalised log-likelihood at log-parameters `lp`, when the objective computes it in
    /// full (no constants dropped); `None` otherwise.
    fn log_likelihood(&self, _lp: &[f64]) -> Option<f64> {
        None
    }
}

/// `inner` with log-parameter `at` held at `value`: an objective in the other coordinates
/// (for a fit on the bound of a constraint).
pub(crate) struct Pinned<'a> {
    pub inner: &'a dyn Objective,
    pub at: usize,
    pub value: f64,
}

impl Pinned<'_> {
    /// The full log-parameters from the free ones.
    pub fn full(&self, free: &[f64]) -> Vec<f64> {
        let mut x = free.to_vec();
        x.insert(self.at, self.value);
        x
    }
}

impl Objective for Pinned<'_> {
    fn dim(&self) -> usize {
        self.inner.dim() - 1
    }
    fn value(&self, lp: &[f64]) -> f64 {
        self.inner.value(&self.full(lp))
    }
    fn value_grad(&self, lp: &[f64], g: &mut [f64]) -> f64 {
        let mut full = vec![0.0; self.inner.dim()];
        let f = self.inner.value_grad(&self.full(lp), &mut full);
        full.remove(self.at);
        g.copy_from_slice(&full);
        f
    }
    fn analytic_gradient(&self) -> bool {
        self.inner.analytic_gradient()
    }
}

/// The Hessian of `obj` at `lp` (what the report's covariance is built from).
pub(crate) fn hessian_at(obj: &dyn Objective, lp: &[f64]) -> Vec<Vec<f64>> {
    hessian(obj, lp)
}

pub(crate) fn numeric_grad(f: impl Fn(&[f64]) -> f64, lp: &[f64], g: &mut [f64]) -> f64 {
    let f0 = f(lp);
    let h = 1e-3;
    let mut x = lp.to_vec();
    for i in 0..lp.len() {
        let xi = lp[i];
        x[i] = xi + h;
        let f1 = f(&x);
        x[i] = xi - h;
        let fm1 = f(&x);
        x[i] = xi + 2.0 * h;
        let f2 = f(&x);
        x[i] = xi - 2.0 * h;
        let fm2 = f(&x);
        x[i] = xi;
        g[i] = (fm2 - 8.0 * fm1 + 8.0 * f1 - f2) / (12.0 * h);
    }
    f0
}

/// Hessian by central differences: of the gradient when it is analytic, else of values.
fn hessian(obj: &dyn Objective, lp: &[f64]) -> Vec<Vec<f64>> {
    if obj.analytic_gradient() {
        hessian_from_gradient(obj, lp, None)
    } else {
        hessian_from_values(obj, lp)
    }
}

/// Central differences of the gradient, or forward differences from the known gradient `g0`
/// (half the evaluations; used for the Newton steps, not for the reported Hessian).
fn hessian_from_gradient(obj: &dyn Objective, lp: &[f64], g0: Option<&[f64]>) -> Vec<Vec<f64>> {
    let k = lp.len();
    let h = if g0.is_some() { 1e-6 } else { 1e-4 };
    let mut hm = vec![vec![0.0; k]; k];
    let mut x = lp.to_vec();
    let mut gp = vec![0.0; k];
    let mut gm = vec![0.0; k];
    for i in 0..k {
        x[i] = lp[i] + h;
        obj.value_grad(&x, &mut gp);
        match g0 {
            Some(g0) => {
                x[i] = lp[i];
                for j in 0..k {
                    hm[i][j] = (gp[j] - g0[j]) / h;
                }
            }
            None => {
                x[i] = lp[i] - h;
                obj.value_grad(&x, &mut gm);
                x[i] = lp[i];
                for j in 0..k {
                    hm[i][j] = (gp[j] - gm[j]) / (2.0 * h);
                }
            }
        }
    }
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (hm[i][j] + hm[j][i]);
            hm[i][j] = m;
            hm[j][i] = m;
        }
    }
    hm
}

fn hessian_from_values(obj: &dyn Objective, lp: &[f64]) -> Vec<Vec<f64>> {
    let k = lp.len();
    let h = 2e-4;
    let f0 = obj.value(lp);
    let mut hm = vec![vec![0.0; k]; k];
    let mut x = lp.to_vec();
    let f = |x: &[f64]| obj.value(x);
    for i in 0..k {
        x[i] = lp[i] + h;
        let fp = f(&x);
        x[i] = lp[i] - h;
        let fm = f(&x);
        x[i] = lp[i];
        hm[i][i] = (fp - 2.0 * f0 + fm) / (h * h);
        for j in 0..i {
            let mut v = 0.0;
            for (si, sj, sign) in [(1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0)] {
                x[i] = lp[i] + si * h;
                x[j] = lp[j] + sj * h;
                v += sign * f(&x);
            }
            x[i] = lp[i];
            x[j] = lp[j];
            hm[i][j] = v / (4.0 * h * h);
            hm[j][i] = hm[i][j];
        }
    }
    hm
}

/// Cholesky solve of A x = b; None if A is not positive definite.
fn cholesky_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    Some(x)
}

/// Inverse of a symmetric positive-definite matrix (None if not PD).
pub(crate) fn spd_inverse(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(a, &e)?;
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    Some(inv)
}

fn max_abs(g: &[f64]) -> f64 {
    g.iter().fold(0.0f64, |m, &v| m.max(v.abs()))
}

/// The optimum of an objective: log-parameters, the Hessian there, iterations, gradient norm.
pub(crate) struct Optimum {
    pub lp: Vec<f64>,
    pub hessian: Vec<Vec<f64>>,
    pub iterations: u32,
    pub gradient_norm: f64,
}

/// Minimise `obj` from `lp0` to `‖∇‖∞ ≤ tol`.
pub(crate) fn minimize(obj: &dyn Objective, lp0: &[f64], tol: f64, max_iter: u32) -> Result<Optimum> {
    let k = obj.dim();
    let mut x = lp0.to_vec();
    let mut g = vec![0.0; k];
    let mut f = obj.value_grad(&x, &mut g);
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(Error::NotConverged {
            iterations: 0,
            reason: "the likelihood is not finite at the starting parameters".into(),
        });
    }
    let mut lambda = 1e-3;
    let mut radius = 1.0f64;
    let mut gn = vec![0.0; k];
    for it in 0..max_iter {
        let gnorm = max_abs(&g);
        if gnorm <= tol {
            // At the optimum the gradient is ~0 and known: forward differences of it give the
            // Hessian for the standard errors with half the evaluations of central ones.
            let h = if obj.analytic_gradient() { hessian_from_gradient(obj, &x, Some(&g)) } else { hessian(obj, &x) };
            return Ok(Optimum { lp: x, hessian: h, iterations: it, gradient_norm: gnorm });
        }
        let h = if obj.analytic_gradient() { hessian_from_gradient(obj, &x, Some(&g)) } else { hessian(obj, &x) };
        let mut accepted = false;
        for _ in 0..40 {
            let mut a = h.clone();
            for i in 0..k {
                let scale = h[i][i].abs().max(1e-8 * (1.0 + f.abs()));
                a[i][i] += lambda * scale;
            }
            let neg_g: Vec<f64> = g.iter().map(|v| -v).collect();
            let Some(mut d) = cholesky_solve(&a, &neg_g) else {
                lambda = (lambda * 10.0).max(1e-6);
                continue;
            };
            let dmax = max_abs(&d);
            // Trust region in log-parameters: starts at a factor e per iteration and doubles
            // after each accepted step that it clipped (up to e^16).
            let clipped = dmax > radius;
            if clipped {
                for v in &mut d {
                    *v *= radius / dmax;
                }
            }
            let xn: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + b).collect();
            // Objectives with an analytic gradient compute it with the value anyway: evaluate
            // both once and reuse them if the step is taken. Others: the cheap value first, the
            // (numerical) gradient only for a step that may be taken.
            let analytic = obj.analytic_gradient();
            let fv = if analytic { obj.value_grad(&xn, &mut gn) } else { obj.value(&xn) };
            if !(fv.is_finite() && fv <= f + 1e-13 * f.abs().max(1.0)) {
                lambda *= 10.0;
                if lambda > 1e20 {
                    break;
                }
                continue;
            }
            let fnew = if analytic { fv } else { obj.value_grad(&xn, &mut gn) };
            let finite = fnew.is_finite() && gn.iter().all(|v| v.is_finite());
            let better = fnew < f || (fnew <= f + 1e-13 * f.abs().max(1.0) && max_abs(&gn) < gnorm);
            if finite && better {
                x = xn;
                f = fnew;
                g.copy_from_slice(&gn);
                lambda = (lambda * 0.1).max(1e-12);
                if clipped {
                    radius = (radius * 2.0).min(16.0);
                }
                accepted = true;
                break;
            }
            lambda *= 10.0;
            if lambda > 1e20 {
                break;
            }
        }
        if !accepted {
            // At the floating-point floor of the objective: accept if the gradient is at the noise
            // level of a sum of this size, otherwise report.
            let floor = 1e-10 * f.abs().max(1.0);
            if gnorm <= floor.max(tol) {
                let h = hessian(obj, &x);
                return Ok(Optimum { lp: x, hessian: h, iterations: it, gradient_norm: gnorm });
            }
            return Err(Error::NotConverged {
                iterations: it,
                reason: format!("no step decreases the objective; gradient norm {gnorm:.3e} > tolerance {tol:.1e}"),
            });
        }
    }
    let gnorm = max_abs(&g);
    if gnorm <= tol {
        let h = hessian(obj, &x);
        return Ok(Optimum { lp: x, hessian: h, iterations: max_iter, gradient_norm: gnorm });
    }
    Err(Error::NotConverged {
        iterations: max_iter,
        reason: format!("iteration limit reached; gradient norm {gnorm:.3e} > tolerance {tol:.1e}"),
    })
}

/// Standard normal quantile for a two-sided level (1.959963985 for 0.95 — lifetimes rounds to
/// 1.96, and so do we for 0.95).
pub(crate) fn z_for(level: f64) -> f64 {
    if (level - 0.95).abs() < 1e-12 {
        return 1.96;
    }
    crate::stats::norm_ppf(0.5 + level / 2.0)
}

/// Build the report from an optimum: `values` in natural units, `hessian` in log-parameters of
/// the total objective.
pub(crate) fn report(
    names: &[&str],
    values: &[f64],
    opt: &Optimum,
    log_likelihood: f64,
    n_unique_rows: usize,
    total_weight: f64,
    options: &FitOptions,
) -> FitReport {
    let k = values.len();
    let cov_log = spd_inverse(&opt.hessian);
    let z = z_for(options.confidence);
    let mut covariance = vec![vec![f64::NAN; k]; k];
    if let Some(c) = &cov_log {
        for i in 0..k {
            for j in 0..k {
                covariance[i][j] = values[i] * values[j] * c[i][j];
            }
        }
    }
    let params = (0..k)
        .map(|i| {
            let se = covariance[i][i].sqrt();
            ParamEstimate {
                name: names[i].to_string(),
                value: values[i],
                std_error: se,
                lower: values[i] - z * se,
                upper: values[i] + z * se,
            }
        })
        .collect();
    FitReport {
        params,
        covariance,
        log_likelihood,
        iterations: opt.iterations,
        gradient_norm: opt.gradient_norm,
        n_unique_rows,
        total_weight,
        options: options.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quad;
    impl Objective for Quad {
        fn dim(&self) -> usize {
            2
        }
        fn value(&self, x: &[f64]) -> f64 {
            (x[0] - 1.0).powi(2) * 3.0 + (x[1] + 2.0).powi(2) + 0.5 * (x[0] - 1.0) * (x[1] + 2.0) + 10.0
        }
    }

    #[test]
    fn newton_finds_quadratic_minimum() {
        let o = minimize(&Quad, &[0.0, 0.0], 1e-10, 100).unwrap();
        assert!((o.lp[0] - 1.0).abs() < 1e-9 && (o.lp[1] + 2.0).abs() < 1e-9);
    }

    #[test]
    fn z_quantiles() {
        assert_eq!(z_for(0.95), 1.96);
        assert!((z_for(0.9) - 1.6448536269514722).abs() < 1e-8);
    }
}
