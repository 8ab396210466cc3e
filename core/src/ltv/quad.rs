//! Adaptive Gauss–Kronrod (7, 15) quadrature of a positive integrand given by its logarithm:
//! `ln ∫ e^{f(u)} du` without ever forming a value that over- or underflows, to a relative
//! error, for probabilities far below the smallest f64 difference of two near-equal terms.

use super::special::log_add_exp;

/// Kronrod nodes on [-1, 1] (the positive half, descending; the last is 0) and their weights;
/// the Gauss nodes are every other one from the second (QUADPACK's `qk15`).
const XK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of the nodes `XK[1]`, `XK[3]`, `XK[5]`, `XK[7]`.
const WG: [f64; 4] =
    [0.129_484_966_168_869_7, 0.279_705_391_489_276_7, 0.381_830_050_505_118_9, 0.417_959_183_673_469_4];

/// Most panels an integral is split into before it settles for its estimate.
const MAX_PANELS: usize = 4096;

/// ln of a sum of `w_k e^{f_k}`.
fn ln_weighted(f: &[f64], w: impl Iterator<Item = f64>) -> f64 {
    let m = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + f.iter().zip(w).map(|(v, w)| w * (v - m).exp()).sum::<f64>().ln()
}

/// One panel: (ln of the Kronrod estimate, ln of |Kronrod − Gauss|).
fn panel(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let mut v = [0.0f64; 15];
    for k in 0..7 {
        v[k] = f(mid - half * XK[k]);
        v[14 - k] = f(mid + half * XK[k]);
    }
    v[7] = f(mid);
    let wk = (0..15).map(|i| WK[if i < 8 { i } else { 14 - i }]);
    let kron = ln_weighted(&v, wk) + half.ln();
    let gauss_idx = [1usize, 3, 5, 7, 9, 11, 13];
    let gv: Vec<f64> = gauss_idx.iter().map(|&i| v[i]).collect();
    let wg = gauss_idx.iter().map(|&i| WG[if i < 8 { i / 2 } else { (14 - i) / 2 }]);
    let gauss = ln_weighted(&gv, wg) + half.ln();
    if kron == f64::NEG_INFINITY {
        return (kron, f64::NEG_INFINITY);
    }
    let diff = (1.0 - (gauss - kron).exp()).abs();
    (kron, kron + diff.max(f64::MIN_POSITIVE).ln())
}

/// `ln ∫_a^b e^{f(u)} du` for a smooth `f` (finite or −∞), starting from `panels` equal panels
/// and halving the worst until the estimated relative error is below `rel`.
pub(crate) fn ln_integral(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize, rel: f64) -> f64 {
    let n = panels.max(1);
    let h = (b - a) / n as f64;
    let mut parts: Vec<(f64, f64, f64, f64)> = (0..n)
        .map(|i| {
            let (lo, hi) = (a + h * i as f64, if i + 1 == n { b } else { a + h * (i + 1) as f64 });
            let (k, e) = panel(&f, lo, hi);
            (lo, hi, k, e)
        })
        .collect();
    let ln_rel = rel.ln();
    loop {
        let total = parts.iter().fold(f64::NEG_INFINITY, |s, p| log_add_exp(s, p.2));
        let err = parts.iter().fold(f64::NEG_INFINITY, |s, p| log_add_exp(s, p.3));
        if total == f64::NEG_INFINITY || err - total <= ln_rel || parts.len() >= MAX_PANELS {
            return total;
        }
        let worst = parts.iter().enumerate().max_by(|x, y| x.1 .3.total_cmp(&y.1 .3)).map_or(0, |(i, _)| i);
        let (lo, hi, _, _) = parts[worst];
        let m = 0.5 * (lo + hi);
        let (k1, e1) = panel(&f, lo, m);
        let (k2, e2) = panel(&f, m, hi);
        parts[worst] = (lo, m, k1, e1);
        parts.push((m, hi, k2, e2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_exact_for_polynomials_and_the_weights_sum_to_two() {
        let s: f64 = WK[..7].iter().sum::<f64>() * 2.0 + WK[7];
        assert!((s - 2.0).abs() < 1e-15, "{s}");
        let g: f64 = WG[..3].iter().sum::<f64>() * 2.0 + WG[3];
        assert!((g - 2.0).abs() < 1e-15, "{g}");
        // Kronrod 15 is exact to degree 22, Gauss 7 to degree 13: the error estimate vanishes
        for k in 0..=13 {
            let (est, err) = panel(&|u: f64| if u == 0.0 { f64::NEG_INFINITY } else { k as f64 * u.ln() }, 0.0, 1.0);
            let want = -((k + 1) as f64).ln();
            assert!((est - want).abs() < 1e-14, "x^{k}: {est} vs {want}");
            assert!(err - est < -30.0, "x^{k}: error estimate {err}");
        }
    }

    #[test]
    fn a_sharp_peak_far_below_f64_range_is_integrated_to_its_relative_error() {
        // ∫_0^∞ e^{-1000 - (u - 3)^2 / (2 * 0.01^2)} du over [-50, 50] = e^{-1000} * 0.01 * sqrt(2π)
        let sd = 0.01f64;
        let got = ln_integral(|u| -1000.0 - (u - 3.0).powi(2) / (2.0 * sd * sd), -50.0, 50.0, 64, 1e-13);
        let want = -1000.0 + (sd * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}
