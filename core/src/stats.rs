//! The standard normal distribution, to full double precision: the one place the crate gets
//! its tail probabilities and quantiles from (confidence intervals, tests, sample sizes).

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// P(Z ≤ x).
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// P(Z > x), accurate in the far upper tail.
pub(crate) fn norm_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x * FRAC_1_SQRT_2)
}

/// The quantile: x with P(Z ≤ x) = p, for 0 < p < 1 (±∞ at 0 and 1, NaN outside).
/// Acklam's rational approximation (relative error 1.2e-9), then one Halley step on the exact
/// tail probability, which brings it to about 1e-15.
pub(crate) fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -lower_ppf(1.0 - p);
    }
    lower_ppf(p)
}

/// x with P(Z > x) = q (the upper quantile, exact for small q).
pub(crate) fn norm_isf(q: f64) -> f64 {
    -norm_ppf(q)
}

/// The quantile for p ≤ 0.5 (x ≤ 0), refined on the lower tail where it is exact.
fn lower_ppf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    let x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // Halley: f(x) = Φ(x) − p, f' = φ(x), f'' = −x φ(x)
    let e = norm_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // scipy.stats.norm: isf(0.025), ppf(0.9), cdf(1), sf(5), ppf(1e-10)
        assert!((norm_isf(0.025) - 1.959963984540054).abs() < 1e-14);
        assert!((norm_ppf(0.9) - 1.2815515655446004).abs() < 1e-14);
        assert!((norm_cdf(1.0) - 0.8413447460685429).abs() < 1e-15);
        assert!((norm_sf(5.0) / 2.866515718791939e-07 - 1.0).abs() < 1e-13);
        assert!((norm_ppf(1e-10) / -6.361340902404056 - 1.0).abs() < 1e-14);
        assert_eq!(norm_ppf(0.5), 0.0);
        assert!(norm_ppf(1.5).is_nan() && norm_ppf(0.0) == f64::NEG_INFINITY);
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for k in 1..1000 {
            let p = k as f64 / 1000.0;
            assert!((norm_cdf(norm_ppf(p)) - p).abs() < 1e-15, "{p}");
        }
    }
}
