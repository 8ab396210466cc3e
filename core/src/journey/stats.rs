//! The statistics of journey results: intervals and tests for two independent proportions
//! (the formulas of statsmodels' `proportion_confint(method="wilson")`,
//! `confint_proportions_2indep` with `newcomb` for the difference and `log-adjusted` for the
//! ratio, `test_proportions_2indep(method="score")`), the always-valid p-value of a mixture
//! sequential probability ratio test, and the sample size per arm.

use crate::error::{Error, Result};
use crate::stats::{norm_isf, norm_sf};

/// The Wilson score interval of `x` successes in `n` trials at critical value `z`.
pub(crate) fn wilson(x: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let q = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (q + z2 / (2.0 * n)) / denom;
    let dist = z * (q * (1.0 - q) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    (center - dist, center + dist)
}

/// Newcombe's hybrid score interval for p1 − p0, from the two Wilson intervals.
pub(crate) fn newcombe(x1: f64, n1: f64, x0: f64, n0: f64, z: f64) -> (f64, f64) {
    let (p1, p0) = (x1 / n1, x0 / n0);
    let (l1, u1) = wilson(x1, n1, z);
    let (l0, u0) = wilson(x0, n0, z);
    let diff = p1 - p0;
    let low = diff - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt();
    let high = diff + ((p0 - l0).powi(2) + (u1 - p1).powi(2)).sqrt();
    (low, high)
}

/// The interval for the ratio p1 / p0 on the log scale, with ½ added to counts and trials
/// (defined when either count is 0).
pub(crate) fn ratio_log_adjusted(x1: f64, n1: f64, x0: f64, n0: f64, z: f64) -> (f64, f64) {
    let (x1, n1, x0, n0) = (x1 + 0.5, n1 + 0.5, x0 + 0.5, n0 + 0.5);
    let ratio = (x1 / n1) / (x0 / n0);
    let d = z * (1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0).sqrt();
    ((ratio.ln() - d).exp(), (ratio.ln() + d).exp())
}

/// The two-sided p-value of the score test of p1 = p0 (the pooled proportion under the null,
/// the variance corrected by N / (N − 1) as Miettinen and Nurminen do). `None` when the
/// variance is 0 (no successes or no failures at all).
pub(crate) fn score_test(x1: f64, n1: f64, x0: f64, n0: f64) -> Option<f64> {
    let n = n1 + n0;
    let p = (x1 + x0) / n;
    let var = p * (1.0 - p) * (1.0 / n1 + 1.0 / n0) * n / (n - 1.0);
    if var.is_nan() || var <= 0.0 || var.is_infinite() {
        return None;
    }
    let z = (x1 / n1 - x0 / n0) / var.sqrt();
    Some(2.0 * norm_sf(z.abs()))
}

/// A mixture sequential probability ratio test of p1 = p0 over a stream of outcomes, with a
/// normal mixing distribution N(0, τ²) on the difference (Johari, Koomen, Pekelis and Walsh,
/// "Always Valid Inference", 2017): after each outcome the likelihood ratio
/// Λ = √(V / (V + τ²)) · exp(τ² d² / (2 V (V + τ²))), with d the difference of the observed
/// rates and V its plug-in variance, and the p-value is the running minimum of 1 / Λ. It stays
/// valid however often it is looked at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sequential {
    tau2: f64,
    n: [f64; 2],
    x: [f64; 2],
    /// The p-value so far.
    pub p: f64,
}

impl Sequential {
    pub(crate) fn new(mixing_variance: f64) -> Self {
        Sequential { tau2: mixing_variance, n: [0.0; 2], x: [0.0; 2], p: 1.0 }
    }

    /// One outcome of arm 0 (control) or 1 (treatment).
    pub(crate) fn push(&mut self, arm: usize, converted: bool) {
        self.n[arm] += 1.0;
        if converted {
            self.x[arm] += 1.0;
        }
        if self.n[0] == 0.0 || self.n[1] == 0.0 {
            return;
        }
        let (p0, p1) = (self.x[0] / self.n[0], self.x[1] / self.n[1]);
        let v = p1 * (1.0 - p1) / self.n[1] + p0 * (1.0 - p0) / self.n[0];
        if v.is_nan() || v <= 0.0 {
            return;
        }
        let d = p1 - p0;
        let t = self.tau2;
        let log_lambda = 0.5 * (v / (v + t)).ln() + t * d * d / (2.0 * v * (v + t));
        let p = (-log_lambda).exp();
        if p < self.p {
            self.p = p;
        }
    }
}

/// A conversion rate against a baseline's: the rate with its Wilson interval, the difference
/// with Newcombe's interval, the ratio − 1 with its log-scale interval, and the score test.
/// `None` where a value is undefined (no entries; a baseline rate of 0 for the relative lift).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateComparison {
    /// `converted / entered`.
    pub rate: Option<f64>,
    /// Wilson interval, lower end.
    pub rate_low: Option<f64>,
    /// Wilson interval, upper end.
    pub rate_high: Option<f64>,
    /// The rate minus the baseline's.
    pub lift: Option<f64>,
    /// Newcombe's interval of the lift, lower end.
    pub lift_low: Option<f64>,
    /// Upper end.
    pub lift_high: Option<f64>,
    /// The rate over the baseline's, minus 1.
    pub relative_lift: Option<f64>,
    /// The log-adjusted interval of the ratio, minus 1: lower end.
    pub relative_lift_low: Option<f64>,
    /// Upper end.
    pub relative_lift_high: Option<f64>,
    /// Two-sided p-value of the score test of equal rates.
    pub p_value: Option<f64>,
}

/// Compare `converted` of `entered` against `base_converted` of `base_entered` at confidence
/// `level` (the statistics of [`crate::journey::JourneyResults`], for counts from anywhere).
///
/// # Errors
/// [`Error::InvalidField`] naming `level` (strictly between 0 and 1), `converted` (more than
/// `entered`) or `base_converted` (more than `base_entered`).
pub fn compare_rates(
    converted: u64,
    entered: u64,
    base_converted: u64,
    base_entered: u64,
    level: f64,
) -> Result<RateComparison> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::invalid("level", level.to_string(), "must lie strictly between 0 and 1"));
    }
    if converted > entered {
        return Err(Error::invalid("converted", converted.to_string(), format!("more than entered ({entered})")));
    }
    if base_converted > base_entered {
        return Err(Error::invalid(
            "base_converted",
            base_converted.to_string(),
            format!("more than base_entered ({base_entered})"),
        ));
    }
    Ok(compare(converted, entered, Some((base_converted, base_entered)), level))
}

/// [`compare_rates`] on checked counts; without a baseline only the rate and its interval.
pub(crate) fn compare(x: u64, n: u64, base: Option<(u64, u64)>, level: f64) -> RateComparison {
    let z = norm_isf((1.0 - level) / 2.0);
    let (xf, nf) = (x as f64, n as f64);
    let some = n > 0;
    let (lo, hi) = wilson(xf, nf, z);
    let mut r = RateComparison {
        rate: some.then(|| xf / nf),
        rate_low: some.then_some(lo),
        rate_high: some.then_some(hi),
        lift: None,
        lift_low: None,
        lift_high: None,
        relative_lift: None,
        relative_lift_low: None,
        relative_lift_high: None,
        p_value: None,
    };
    if let Some((x0, n0)) = base.filter(|b| some && b.1 > 0) {
        let (x0, n0) = (x0 as f64, n0 as f64);
        let (p1, p0) = (xf / nf, x0 / n0);
        let (l, h) = newcombe(xf, nf, x0, n0, z);
        r.lift = Some(p1 - p0);
        r.lift_low = Some(l);
        r.lift_high = Some(h);
        if x0 > 0.0 {
            r.relative_lift = Some(p1 / p0 - 1.0);
        }
        let (rl, rh) = ratio_log_adjusted(xf, nf, x0, n0, z);
        r.relative_lift_low = Some(rl - 1.0);
        r.relative_lift_high = Some(rh - 1.0);
        r.p_value = score_test(xf, nf, x0, n0);
    }
    r
}

/// Customers needed in each of two equal arms to detect `baseline` → `baseline + min_lift`
/// with a two-sided test at level `alpha` and the given power (the normal approximation
/// without continuity correction, as in Fleiss, Levin and Paik, *Statistical Methods for Rates
/// and Proportions*, 3rd ed., §4.2): n = (z_{α/2} √(2 p̄ q̄) + z_β √(p₁q₁ + p₂q₂))² / δ².
///
/// # Errors
/// [`Error::InvalidField`] naming the argument: `baseline` and `baseline + min_lift` must lie
/// in (0, 1), `min_lift` must not be 0, `alpha` and `power` must lie in (0, 1).
pub fn sample_size_per_arm(baseline: f64, min_lift: f64, alpha: f64, power: f64) -> Result<u64> {
    let open = |name: &str, v: f64| {
        if v.is_finite() && v > 0.0 && v < 1.0 {
            Ok(())
        } else {
            Err(Error::invalid(name, v.to_string(), "must lie strictly between 0 and 1"))
        }
    };
    open("baseline", baseline)?;
    open("alpha", alpha)?;
    open("power", power)?;
    if !min_lift.is_finite() || min_lift == 0.0 {
        return Err(Error::invalid("min_lift", min_lift.to_string(), "must be a non-zero difference of rates"));
    }
    let p2 = baseline + min_lift;
    if !(p2 > 0.0 && p2 < 1.0) {
        return Err(Error::invalid(
            "min_lift",
            min_lift.to_string(),
            format!("baseline + min_lift = {p2} must lie strictly between 0 and 1"),
        ));
    }
    let p1 = baseline;
    let bar = (p1 + p2) / 2.0;
    let za = norm_isf(alpha / 2.0);
    let zb = norm_isf(1.0 - power);
    let root = za * (2.0 * bar * (1.0 - bar)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let n = (root * root / (min_lift * min_lift)).ceil();
    if n > 1e15 {
        return Err(Error::invalid("min_lift", min_lift.to_string(), "too small to plan for"));
    }
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_cases() {
        // 10 % → 15 %, α 0.05 two-sided, power 0.8: 686 per arm (Fleiss without correction)
        assert_eq!(sample_size_per_arm(0.10, 0.05, 0.05, 0.8).unwrap(), 686);
        // Wilson, 0 of 10 at 1.96: (0, 1.96² / (10 + 1.96²))
        let (l, u) = wilson(0.0, 10.0, 1.96);
        assert!(l.abs() < 1e-16 && (u - 1.96f64.powi(2) / (10.0 + 1.96f64.powi(2))).abs() < 1e-15);
        // equal arms: p-value 1, interval symmetric about 0
        assert_eq!(score_test(10.0, 100.0, 10.0, 100.0), Some(1.0));
        let (l, u) = newcombe(10.0, 100.0, 10.0, 100.0, 1.96);
        assert!((l + u).abs() < 1e-15);
        assert!(score_test(0.0, 10.0, 0.0, 10.0).is_none());
    }

    fn splitmix(state: &mut u64) -> f64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A/A runs looked at after every outcome: the sequential p-value falls below 5 % in at
    /// most 5 % of the runs (within three Monte-Carlo standard errors), while the score test
    /// looked at every 100 outcomes does far more often.
    #[test]
    fn sequential_p_value_keeps_its_level_under_continuous_looks() {
        let (runs, per_arm, rate, alpha) = (400, 2_000, 0.1, 0.05);
        let mut seed = 42u64;
        let (mut seq_hits, mut naive_hits) = (0, 0);
        for _ in 0..runs {
            let mut seq = Sequential::new(0.001);
            let (mut naive, mut x, mut n) = (false, [0.0; 2], [0.0; 2]);
            for k in 0..2 * per_arm {
                let arm = k % 2;
                let c = splitmix(&mut seed) < rate;
                seq.push(arm, c);
                n[arm] += 1.0;
                x[arm] += c as u8 as f64;
                if k % 100 == 99 && score_test(x[1], n[1], x[0], n[0]).is_some_and(|p| p < alpha) {
                    naive = true;
                }
            }
            seq_hits += (seq.p < alpha) as u32;
            naive_hits += naive as u32;
        }
        let (fpr, naive) = (seq_hits as f64 / runs as f64, naive_hits as f64 / runs as f64);
        let mc = 3.0 * (alpha * (1.0 - alpha) / runs as f64).sqrt();
        assert!(fpr <= alpha + mc, "sequential false-positive rate {fpr}");
        assert!(naive > 2.0 * alpha, "peeking at the score test: {naive}");
    }

    #[test]
    fn sample_size_refuses_bad_arguments_by_name() {
        for (b, l, a, p, name) in [
            (0.0, 0.1, 0.05, 0.8, "baseline"),
            (0.5, 0.6, 0.05, 0.8, "min_lift"),
            (0.5, 0.0, 0.05, 0.8, "min_lift"),
            (0.5, 0.1, 1.0, 0.8, "alpha"),
            (0.5, 0.1, 0.05, f64::NAN, "power"),
        ] {
            let e = sample_size_per_arm(b, l, a, p).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
