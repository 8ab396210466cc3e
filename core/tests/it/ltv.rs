//! Integration tests of `yutang::ltv`: published parameters (named after their sources),
//! exact-MLE checks, the special-function table, robustness and input errors.
#![allow(clippy::excessive_precision)] // mpmath values are pasted with all their digits

use yutang::ltv::special::{digamma, hyp2f1, ln_gamma};
use yutang::ltv::{
    calibration_and_holdout, customer_lifetime_value, rfm_summary, BgBb, BgNbd, CustomerKeys, FitOptions, Freq,
    GammaGamma, MbgNbd, ParetoNbd, SummaryOptions, TimeUnit, TransactionModel,
};
use yutang::Error;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/cdnow");

/// `cdnow_customers_summary.csv` (rounded to two decimals): (frequency, recency, T).
fn cdnow_summary_csv() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(format!("{DATA}/cdnow_customers_summary.csv")).unwrap();
    let (mut x, mut r, mut t) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        x.push(f[1]);
        r.push(f[2]);
        t.push(f[3]);
    }
    (x, r, t)
}

fn day_micros(yyyymmdd: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").unwrap();
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros()
}

/// The CDNOW sample transaction log: (customer id, µs, dollars).
fn cdnow_sample_log() -> (Vec<u64>, Vec<i64>, Vec<f64>) {
    let text = std::fs::read_to_string(format!("{DATA}/CDNOW_sample.txt")).unwrap();
    let (mut id, mut ts, mut m) = (vec![], vec![], vec![]);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            continue;
        }
        id.push(f[1].parse().unwrap());
        ts.push(day_micros(f[2]));
        m.push(f[4].parse().unwrap());
    }
    (id, ts, m)
}

/// The unrounded calibration summary of the sample, in weeks, calibration to 1997-09-30.
fn cdnow_sample_calibration() -> yutang::ltv::CalibrationHoldout {
    let (id, ts, m) = cdnow_sample_log();
    let opts = SummaryOptions::new().freq(Freq::Day).freq_multiplier(7.0);
    calibration_and_holdout(
        CustomerKeys::U64(&id),
        &ts,
        Some(&m),
        day_micros("19970930"),
        Some(day_micros("19980630")),
        &opts,
    )
    .unwrap()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    ((got - want) / want).abs() <= rel
}

fn donations() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(format!("{DATA}/donations.csv")).unwrap();
    let (mut x, mut r, mut n, mut w) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        x.push(f[0]);
        r.push(f[1]);
        n.push(f[2]);
        w.push(f[3]);
    }
    (x, r, n, w)
}

fn round_to(v: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (v * k).round() / k
}

// ---------------------------------------------------------------- special functions

/// Values from mpmath 1.3.0 (`mp.hyp2f1`, `mp.loggamma`, `mp.digamma` at `mp.dps = 40`),
/// printed to 20 significant digits by /tmp/ltv/mp.py during development (the script is
/// reproduced in docs/clv.md). Inputs are the f64 values written here.
const HYP2F1_MPMATH: &[(f64, f64, f64, f64, f64)] = &[
    (0.243, 2.426, 2.219, 0.5, 1.2070970070440423133),
    (0.243, 2.426, 2.219, 0.9, 1.9476311698186018571),
    (0.243, 2.426, 2.219, 0.999, 11.09650428868049392),
    (0.243, 2.426, 2.219, 0.999999, 233.33324907341471771),
    (0.243, 2.426, 2.219, -0.5, 0.89893022030240575234),
    (0.243, 2.426, 2.219, -5.0, 0.6325284551677968933),
    (0.243, 2.426, 2.219, -1000.0, 0.1812889047522221195),
    (1.0, 1.0, 2.0, 0.9999, 9.2112614981261053793),
    (0.5, 0.5, 1.0, 0.99, 2.3527158167797423215),
    (1.5, 2.5, 4.0, 0.97, 9.7847348610851569399),
    (1.5, 2.5, 6.0, 0.98, 2.9133776333193784098),
    (1.5, 2.5, 2.0, 0.98, 2132.3885878971988828),
    (1.5, 2.5, 3.0, 0.999, 1689.9804604278612239),
    (2.0, 3.0, 4.0, 0.9999, 29953.722876052528477),
    (0.7, 1.3, 3.0000001, 0.9999, 1.8851632721386867584),
    (0.7, 1.3, 3.0001, 0.999, 1.8762684751866164907),
    (10.243, 12.426, 12.219, 0.8, 1.9563730742699515552e+7),
    (100.5, 102.4, 103.2, 0.3, 2.7955686441163592585e+15),
    (100000.0, 100002.2, 100001.9, 0.0001, 22038.143670999505491),
    (1.0, 1000.5, 1001.1, 0.95, 19.778840698596526302),
    (1.0, 1000.5, 1001.1, 0.9995, 1216.3453196317731505),
    (1.0, 0.8, 2.4, -30.0, 0.19246677406554410474),
    (1.619, 1.426, 100002.2, 0.9, 1.000020778382962438),
    (1.619, 1.426, 3.2, 0.999999, 15.081851272906366069),
    (4.159, 1.6059999999999999, 5.159, 0.85, 8.871297110647825058),
    (-3.0, 2.5, 1.5, 0.7, -0.099000000000000017319),
    (0.1, 0.2, 0.3, 0.95, 1.2027034401166201469),
    (5.5, -0.5, 2.25, 0.99, -3273.7873404447726219),
    (0.8, 0.9, -0.5, 0.6, -10.149465179633757574),
];

const LN_GAMMA_MPMATH: &[(f64, f64)] = &[
    (1e-10, 23.025850929882735237),
    (0.001, 6.9071788853838536617),
    (0.243, 1.3180435846996698765),
    (0.5, 0.57236494292470008707),
    (0.999, 0.00057803853289138023817),
    (1.0001, -0.000057713342220471268005),
    (1.5, -0.12078223763524522235),
    (2.0001, 0.000042281658112919946317),
    (3.7, 1.4280723266653881292),
    (9.99, 12.77931521435019336),
    (10.5, 13.940625219403763633),
    (57.3, 173.56386827969141894),
    (1000.2, 5906.6018942569800879),
    (100000.243, 1051290.5066136251523),
    (10000000000.0, 220258509288.81058147),
    (1000000000000000.0, 33538776394910668.91),
];

const DIGAMMA_MPMATH: &[(f64, f64)] = &[
    (1e-06, -1000000.5772140200139),
    (0.243, -4.3510938644232107288),
    (0.5, -1.9635100260214234794),
    (1.0, -0.57721566490153286061),
    (3.7, 1.1671535393615114409),
    (10.5, 2.3030010342976863753),
    (57.3, 4.0395492399575791602),
    (100000.0, 11.512920464961895087),
];

#[test]
fn test_hyp2f1_matches_mpmath_table() {
    for &(a, b, c, z, want) in HYP2F1_MPMATH {
        let got = hyp2f1(a, b, c, z);
        assert!(close(got, want, 5e-12), "2F1({a}, {b}; {c}; {z}) = {got}, mpmath {want}");
    }
}

#[test]
fn test_ln_gamma_matches_mpmath_table() {
    for &(x, want) in LN_GAMMA_MPMATH {
        let got = ln_gamma(x);
        assert!((got - want).abs() <= 4e-15 * want.abs().max(1.0), "lnΓ({x}) = {got}, mpmath {want}");
    }
}

#[test]
fn test_digamma_matches_mpmath_table() {
    for &(x, want) in DIGAMMA_MPMATH {
        let got = digamma(x);
        assert!(close(got, want, 1e-14), "ψ({x}) = {got}, mpmath {want}");
    }
}

// ---------------------------------------------------------------- published parameters

#[test]
fn test_bg_nbd_params_match_fader_hardie_lee_2005() {
    let c = cdnow_sample_calibration();
    let s = &c.calibration;
    assert_eq!(s.frequency.len(), 2357);
    let m = BgNbd::fit(&s.frequency, &s.recency, &s.t, None, &FitOptions::new()).unwrap();
    assert_eq!(
        [round_to(m.r, 3), round_to(m.alpha, 3), round_to(m.a, 3), round_to(m.b, 3)],
        [0.243, 4.414, 0.793, 2.426]
    );
    let rep = m.report.as_ref().unwrap();
    assert_eq!(round_to(rep.log_likelihood, 1), -9582.4);
    assert!(rep.gradient_norm <= 1e-6);
}

#[test]
fn test_bg_nbd_conditional_expectation_matches_fader_hardie_lee_2005() {
    // Section 5 of the paper: customer 1516 (x = 2, t_x = 30.43, T = 38.86) expects 1.226
    // purchases in the next 39 weeks.
    let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let e = m.conditional_expected_number_of_purchases_up_to_time(39.0, 2.0, 30.43, 38.86).unwrap();
    assert_eq!(round_to(e, 3), 1.226);
}

#[test]
fn test_pareto_nbd_params_match_fader_hardie_2005() {
    let c = cdnow_sample_calibration();
    let s = &c.calibration;
    let m = ParetoNbd::fit(&s.frequency, &s.recency, &s.t, None, &FitOptions::new()).unwrap();
    assert_eq!(
        [round_to(m.r, 3), round_to(m.alpha, 3), round_to(m.s, 3), round_to(m.beta, 3)],
        [0.553, 10.578, 0.606, 11.669]
    );
}

#[test]
fn test_gamma_gamma_params_match_fader_hardie_lee_2005_rfm_clv() {
    let c = cdnow_sample_calibration();
    let s = &c.calibration;
    let mv = s.monetary_value.as_ref().unwrap();
    let (x, m): (Vec<f64>, Vec<f64>) =
        s.frequency.iter().zip(mv).filter(|(x, _)| **x > 0.0).map(|(a, b)| (*a, *b)).unzip();
    assert_eq!(x.len(), 946);
    let g = GammaGamma::fit(&x, &m, None, &FitOptions::new()).unwrap();
    assert_eq!([round_to(g.p, 2), round_to(g.q, 2), round_to(g.v, 2)], [6.25, 3.74, 15.44]);
}

#[test]
fn test_bg_bb_params_match_fader_hardie_shang_2010() {
    let (x, r, n, w) = donations();
    let m = BgBb::fit(&x, &r, &n, Some(&w), &FitOptions::new()).unwrap();
    assert_eq!(
        [round_to(m.alpha, 3), round_to(m.beta, 3), round_to(m.gamma, 3), round_to(m.delta, 3)],
        [1.204, 0.750, 0.657, 2.783]
    );
    assert_eq!(m.report.as_ref().unwrap().total_weight, 11104.0);
}

#[test]
fn test_mbg_nbd_params_match_btydplus_on_cdnow() {
    // BTYDplus (Platzer) mbgcnbd with k = 1 on the CDNOW summary: r = 0.525, α = 6.183,
    // a = 0.891, b = 1.614 (the values lifetimes' own test checks).
    let (x, r, t) = cdnow_summary_csv();
    let m = MbgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    assert_eq!(
        [round_to(m.r, 3), round_to(m.alpha, 3), round_to(m.a, 3), round_to(m.b, 3)],
        [0.525, 6.183, 0.891, 1.614]
    );
}

// ---------------------------------------------------------------- fitting mechanics

#[test]
fn test_unique_rows_with_counts_equal_raw_rows() {
    let (x, r, t) = cdnow_summary_csv();
    let raw = BgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    let (cols, w) = yutang::ltv::compress_rows(&[&x, &r, &t], None);
    assert!(cols[0].len() < x.len());
    let uniq = BgNbd::fit(&cols[0], &cols[1], &cols[2], Some(&w), &FitOptions::new()).unwrap();
    assert_eq!(raw.params(), uniq.params());
    assert_eq!(raw.report.as_ref().unwrap().log_likelihood, uniq.report.as_ref().unwrap().log_likelihood);
    // and in another row order
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.reverse();
    let (xr, rr, tr): (Vec<f64>, Vec<f64>, Vec<f64>) =
        (idx.iter().map(|&i| x[i]).collect(), idx.iter().map(|&i| r[i]).collect(), idx.iter().map(|&i| t[i]).collect());
    let rev = BgNbd::fit(&xr, &rr, &tr, None, &FitOptions::new()).unwrap();
    assert_eq!(raw.params(), rev.params());
}

#[test]
fn test_weights_scale_like_repeated_rows() {
    let (x, r, t) = cdnow_summary_csv();
    let w2 = vec![2.0; x.len()];
    let once = ParetoNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    let twice = ParetoNbd::fit(&x, &r, &t, Some(&w2), &FitOptions::new()).unwrap();
    for (a, b) in once.params().iter().zip(twice.params()) {
        assert!(close(*a, b, 1e-6), "{a} vs {b}");
    }
    let l1 = once.report.unwrap().log_likelihood;
    let l2 = twice.report.unwrap().log_likelihood;
    assert!((l2 - 2.0 * l1).abs() < 1e-6);
}

#[test]
fn test_penalizer_shrinks_parameters() {
    let (x, r, t) = cdnow_summary_csv();
    let plain = BgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    let pen = BgNbd::fit(&x, &r, &t, None, &FitOptions::new().penalizer(0.1)).unwrap();
    assert!(pen.a < plain.a && pen.b < plain.b);
    assert!(pen.report.unwrap().log_likelihood < plain.report.unwrap().log_likelihood);
}

#[test]
fn test_standard_errors_are_positive_and_intervals_contain_estimate() {
    let (x, r, t) = cdnow_summary_csv();
    let m = BgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    for p in &m.report.as_ref().unwrap().params {
        assert!(p.std_error > 0.0 && p.std_error.is_finite(), "{p:?}");
        assert!(p.lower < p.value && p.value < p.upper);
        assert!((p.upper - p.value - 1.96 * p.std_error).abs() < 1e-12);
    }
}

#[test]
fn test_not_converged_is_reported() {
    let (x, r, t) = cdnow_summary_csv();
    let err = BgNbd::fit(&x, &r, &t, None, &FitOptions::new().max_iterations(2)).unwrap_err();
    assert!(matches!(err, Error::NotConverged { iterations: 2, .. }), "{err:?}");
}

#[test]
fn test_fitted_models_roundtrip_through_serde() {
    let (x, r, t) = cdnow_summary_csv();
    let m = BgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    let js = serde_json::to_string(&m).unwrap();
    let back: BgNbd = serde_json::from_str(&js).unwrap();
    assert_eq!(m, back);
    let g = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let back: GammaGamma = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
    assert_eq!(g, back);
}

// ---------------------------------------------------------------- robustness

fn extreme_rows() -> Vec<(f64, f64, f64)> {
    vec![
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 1e5),
        (1e5, 1e5, 1e5),
        (1e5, 1.0, 1e5),
        (1e5, 5e4, 1e5),
        (1.0, 1e-6, 1e5),
        (1.0, 1e5, 1e5),
        (3.0, 2.0, 2.0),
        (500.0, 40.0, 40.0),
        (500.0, 0.5, 40.0),
    ]
}

fn assert_sane<M: TransactionModel + Sync>(name: &str, m: &M) {
    for (x, tx, t) in extreme_rows() {
        let p = m.conditional_probability_alive(x, tx, t).unwrap();
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{name} p_alive({x},{tx},{t}) = {p}");
        for h in [0.0, 1.0, 39.0, 1e5] {
            let e = m.conditional_expected_number_of_purchases_up_to_time(h, x, tx, t).unwrap();
            assert!(e.is_finite() && e >= 0.0, "{name} E({h}|{x},{tx},{t}) = {e}");
        }
    }
    for h in [0.0, 1e-3, 39.0, 1e5] {
        let e = m.expected_number_of_purchases_up_to_time(h).unwrap();
        assert!(e.is_finite() && e >= 0.0, "{name} E({h}) = {e}");
    }
}

#[test]
fn test_no_nan_or_inf_for_extreme_valid_inputs() {
    assert_sane("bgnbd", &BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap());
    assert_sane("mbgnbd", &MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap());
    assert_sane("pareto", &ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap());
    assert_sane("pareto_a<b", &ParetoNbd::new(0.553, 5.0, 0.606, 11.669).unwrap());
    // the log-likelihoods too
    let rows = extreme_rows();
    let (x, r, t): (Vec<f64>, Vec<f64>, Vec<f64>) =
        (rows.iter().map(|v| v.0).collect(), rows.iter().map(|v| v.1).collect(), rows.iter().map(|v| v.2).collect());
    for ll in [
        BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap().log_likelihood(&x, &r, &t, None).unwrap(),
        MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap().log_likelihood(&x, &r, &t, None).unwrap(),
        ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap().log_likelihood(&x, &r, &t, None).unwrap(),
    ] {
        assert!(ll.is_finite(), "{ll}");
    }
}

#[test]
fn test_fits_on_extreme_and_single_customer_data() {
    let opts = FitOptions::new().penalizer(0.01);
    for (x, r, t) in
        [(vec![0.0], vec![0.0], vec![10.0]), (vec![1e5], vec![1e5], vec![1e5]), (vec![3.0], vec![2.0], vec![5.0])]
    {
        let m = BgNbd::fit(&x, &r, &t, None, &opts).unwrap();
        assert!(m.params().iter().all(|v| v.is_finite()), "{:?}", m.params());
        let p = ParetoNbd::fit(&x, &r, &t, None, &opts).unwrap();
        assert!(p.params().iter().all(|v| v.is_finite()), "{:?}", p.params());
        let mb = MbgNbd::fit(&x, &r, &t, None, &opts).unwrap();
        assert!(mb.params().iter().all(|v| v.is_finite()));
    }
}

#[test]
fn test_heavy_buyer_expectation_matches_series_for_large_frequency() {
    // For x = 1e4 the BG/NBD conditional expectation's 2F1(r+x, b+x; a+b+x-1; z) overflows in
    // lifetimes; here we check the value against a direct evaluation of the Euler-transformed
    // series written for this test (terms decay as z^n / x^n, so 40 terms are exact).
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let m = BgNbd::new(r, alpha, a, b).unwrap();
    let (x, tx, t, h) = (1e4, 38.0, 39.0, 39.0);
    let z = h / (alpha + t + h);
    let (pa, pb, pc) = (a + b - 1.0 - r, a - 1.0, a + b + x - 1.0);
    let (mut term, mut f) = (1.0, 1.0);
    for n in 0..40 {
        let nf = n as f64;
        term *= (pa + nf) * (pb + nf) / ((pc + nf) * (nf + 1.0)) * z;
        f += term;
    }
    let bracket = 1.0 - (1.0 - z).powf(a - 1.0) * f;
    let p_alive = 1.0 / (1.0 + a / (b + x - 1.0) * ((alpha + t) / (alpha + tx)).powf(r + x));
    let want = (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive;
    let got = m.conditional_expected_number_of_purchases_up_to_time(h, x, tx, t).unwrap();
    assert!(close(got, want, 1e-10), "{got} vs {want}");
}

// ---------------------------------------------------------------- errors

#[test]
fn test_invalid_inputs_name_field_and_row() {
    let opts = FitOptions::new();
    let field = |e: Error| e.field().unwrap().to_string();
    assert_eq!(field(BgNbd::fit(&[0.0, -1.0], &[0.0, 0.0], &[1.0, 1.0], None, &opts).unwrap_err()), "frequency[1]");
    assert_eq!(field(BgNbd::fit(&[1.0, 1.0], &[1.0, 3.0], &[2.0, 2.0], None, &opts).unwrap_err()), "recency[1]");
    assert_eq!(field(BgNbd::fit(&[0.0], &[0.0], &[f64::NAN], None, &opts).unwrap_err()), "T[0]");
    assert_eq!(field(BgNbd::fit(&[2.0], &[0.0], &[5.0], None, &opts).unwrap_err()), "recency[0]");
    assert_eq!(field(BgNbd::fit(&[0.0], &[1.0], &[5.0], None, &opts).unwrap_err()), "recency[0]");
    assert_eq!(field(BgNbd::fit(&[0.5], &[1.0], &[5.0], None, &opts).unwrap_err()), "frequency[0]");
    assert_eq!(field(BgNbd::fit(&[0.0, 0.0], &[0.0], &[5.0, 5.0], None, &opts).unwrap_err()), "recency.len");
    assert_eq!(field(BgNbd::fit(&[], &[], &[], None, &opts).unwrap_err()), "frequency");
    assert_eq!(field(BgNbd::fit(&[0.0], &[0.0], &[5.0], Some(&[-1.0]), &opts).unwrap_err()), "weights[0]");
    assert_eq!(
        field(ParetoNbd::fit(&[0.0], &[0.0], &[5.0], None, &FitOptions::new().penalizer(-1.0)).unwrap_err()),
        "penalizer_coef"
    );
    assert_eq!(field(GammaGamma::fit(&[1.0, 0.0], &[3.0, 4.0], None, &opts).unwrap_err()), "frequency[1]");
    assert_eq!(field(GammaGamma::fit(&[1.0, 2.0], &[3.0, -4.0], None, &opts).unwrap_err()), "monetary_value[1]");
    assert_eq!(field(BgBb::fit(&[3.0], &[2.0], &[6.0], None, &opts).unwrap_err()), "frequency[0]");
    assert_eq!(field(BgBb::fit(&[1.0], &[7.0], &[6.0], None, &opts).unwrap_err()), "recency[0]");
    assert_eq!(field(BgNbd::new(0.2, -1.0, 1.0, 1.0).unwrap_err()), "alpha");
    let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    assert_eq!(
        field(m.conditional_probability_alive_batch(&[0.0, 1.0], &[0.0, 2.0], &[1.0, 1.0]).unwrap_err()),
        "recency[1]"
    );
    assert_eq!(field(m.expected_number_of_purchases_up_to_time(-1.0).unwrap_err()), "t");
}

// ---------------------------------------------------------------- batch = scalar

#[test]
fn test_batch_predictions_equal_scalar_predictions() {
    let (x, r, t) = cdnow_summary_csv();
    let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let e = m.conditional_expected_number_of_purchases_up_to_time_batch(39.0, &x, &r, &t).unwrap();
    let p = m.conditional_probability_alive_batch(&x, &r, &t).unwrap();
    for i in 0..x.len() {
        assert_eq!(e[i], m.conditional_expected_number_of_purchases_up_to_time(39.0, x[i], r[i], t[i]).unwrap());
        assert_eq!(p[i], m.conditional_probability_alive(x[i], r[i], t[i]).unwrap());
    }
}

#[test]
fn test_clv_follows_lifetimes_definition() {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let (x, tx, t, m) = (2.0, 30.43, 38.86, 25.0);
    let clv = customer_lifetime_value(&bg, &gg, &[x], &[tx], &[t], &[m], 12, 0.01, TimeUnit::Weeks.periods_per_month())
        .unwrap();
    let spend = gg.conditional_expected_average_profit(x, m).unwrap();
    let mut want = 0.0;
    for i in 1..=12 {
        let hi = bg.conditional_expected_number_of_purchases_up_to_time(i as f64 * 4.345, x, tx, t).unwrap();
        let lo = bg.conditional_expected_number_of_purchases_up_to_time((i - 1) as f64 * 4.345, x, tx, t).unwrap();
        want += spend * (hi - lo) / 1.01f64.powi(i);
    }
    assert!(close(clv[0], want, 1e-12));
}

// ---------------------------------------------------------------- summaries

#[test]
fn test_rfm_summary_matches_lifetimes_on_a_small_log() {
    // Expected values printed by lifetimes 0.11.3 (pandas 2.2.3) for the same log,
    // observation_period_end = 2024-06-01.
    let ids = ["a", "a", "a", "b", "b", "c"];
    let ts: Vec<i64> = [
        "2024-01-03T10:00",
        "2024-01-03T12:00",
        "2024-03-31T23:00",
        "2024-02-10T00:00",
        "2024-05-02T00:00",
        "2024-05-30T00:00",
    ]
    .iter()
    .map(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap().and_utc().timestamp_micros())
    .collect();
    let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let end = day_micros("20240601");
    let d = rfm_summary(CustomerKeys::Str(&ids), &ts, Some(&m), &SummaryOptions::new().observation_period_end(end))
        .unwrap();
    assert_eq!(d.frequency, vec![1.0, 1.0, 0.0]);
    assert_eq!(d.recency, vec![88.0, 82.0, 0.0]);
    assert_eq!(d.t, vec![150.0, 112.0, 2.0]);
    assert_eq!(d.monetary_value, Some(vec![3.0, 5.0, 0.0]));
    let w = rfm_summary(
        CustomerKeys::Str(&ids),
        &ts,
        Some(&m),
        &SummaryOptions::new().freq(Freq::Week).observation_period_end(end),
    )
    .unwrap();
    assert_eq!(w.recency, vec![12.0, 12.0, 0.0]);
    assert_eq!(w.t, vec![21.0, 16.0, 0.0]);
    let first = rfm_summary(
        CustomerKeys::Str(&ids),
        &ts,
        Some(&m),
        &SummaryOptions::new().include_first_transaction(true).observation_period_end(end),
    )
    .unwrap();
    assert_eq!(first.frequency, vec![2.0, 2.0, 1.0]);
    assert_eq!(first.monetary_value, Some(vec![3.0, 4.5, 6.0]));
}

#[test]
fn test_cdnow_sample_summary_matches_shipped_summary_to_rounding() {
    let c = cdnow_sample_calibration();
    let (x, r, t) = cdnow_summary_csv();
    let s = &c.calibration;
    for i in 0..x.len() {
        assert_eq!(s.frequency[i], x[i]);
        assert!((s.recency[i] - r[i]).abs() <= 0.005 + 1e-9, "{i}");
        assert!((s.t[i] - t[i]).abs() <= 0.005 + 1e-9, "{i}");
    }
    assert_eq!(c.duration_holdout, 273.0 / 7.0);
}

#[test]
fn test_summary_errors_name_the_field() {
    let ids = [1u64, 2];
    let e = rfm_summary(CustomerKeys::U64(&ids), &[0], None, &SummaryOptions::new()).unwrap_err();
    assert_eq!(e.field(), Some("datetime.len"));
    let e = rfm_summary(CustomerKeys::U64(&ids), &[0, 1], Some(&[1.0, f64::NAN]), &SummaryOptions::new()).unwrap_err();
    assert_eq!(e.field(), Some("monetary_value[1]"));
    let e =
        calibration_and_holdout(CustomerKeys::U64(&ids), &[0, 1], None, 5, None, &SummaryOptions::new()).unwrap_err();
    assert_eq!(e.field(), Some("observation_period_end"));
}

// ---------------------------------------------------------------- laws

mod laws {
    use super::*;
    use proptest::prelude::*;

    fn history() -> impl Strategy<Value = (f64, f64, f64)> {
        (0u32..2000, 0.0f64..1.0, 0.01f64..2000.0).prop_map(|(x, frac, t)| {
            let x = x as f64;
            let tx = if x == 0.0 { 0.0 } else { (frac * t).max(t * 1e-3) };
            (x, tx, t)
        })
    }

    proptest! {
        #[test]
        fn prop_p_alive_is_a_probability_and_expectations_grow((x, tx, t) in history(), h in 0.0f64..500.0) {
            check_model(&BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap(), x, tx, t, h)?;
            check_model(&ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap(), x, tx, t, h)?;
            check_model(&MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap(), x, tx, t, h)?;
        }

        #[test]
        fn prop_hyp2f1_euler_and_pfaff_agree(a in 0.05f64..5.0, b in 0.05f64..5.0, c in 0.1f64..8.0, z in -20.0f64..0.999) {
            let f = hyp2f1(a, b, c, z);
            let euler = (1.0 - z).powf(c - a - b) * hyp2f1(c - a, c - b, c, z);
            prop_assert!(((f - euler) / f).abs() < 1e-9, "{} vs {}", f, euler);
        }
    }

    fn check_model<M: TransactionModel>(m: &M, x: f64, tx: f64, t: f64, h: f64) -> Result<(), TestCaseError> {
        let p = m.conditional_probability_alive(x, tx, t).unwrap();
        let e1 = m.conditional_expected_number_of_purchases_up_to_time(h, x, tx, t).unwrap();
        let e2 = m.conditional_expected_number_of_purchases_up_to_time(h + 1.0, x, tx, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&p), "p_alive {}", p);
        prop_assert!(e1.is_finite() && e1 >= 0.0, "E {}", e1);
        prop_assert!(e2 >= e1 * (1.0 - 1e-12), "{} < {}", e2, e1);
        Ok(())
    }
}

// ---------------------------------------------------------------- exact maximum likelihood

/// Exact MLE on `cdnow_customers_summary.csv`, found with mpmath 1.3.0 at 30 digits (Newton on
/// log-parameters with `mp.diff` derivatives until the step was < 1e-15; gradient 2.7e-23 for
/// BG/NBD and 1.8e-15 for Pareto/NBD at the end). Script: docs/clv.md, "Reproducing the
/// reference values".
const BG_NBD_EXACT_MLE: [f64; 4] = [0.242592907204466, 4.41353156120543, 0.792886148098769, 2.42575343649362];
const BG_NBD_EXACT_LOGLIK: f64 = -9582.42556056736;
const PARETO_NBD_EXACT_LOGLIK: f64 = -9594.97392982686;

#[test]
fn test_bg_nbd_matches_exact_mle_mpmath() {
    let (x, r, t) = cdnow_summary_csv();
    let m = BgNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    for (got, want) in m.params().iter().zip(BG_NBD_EXACT_MLE) {
        assert!(close(*got, want, 1e-5), "{got} vs {want}");
    }
    assert!((m.report.unwrap().log_likelihood - BG_NBD_EXACT_LOGLIK).abs() < 1e-6);
}

#[test]
fn test_pareto_nbd_loglik_matches_exact_mle_mpmath() {
    let (x, r, t) = cdnow_summary_csv();
    let m = ParetoNbd::fit(&x, &r, &t, None, &FitOptions::new()).unwrap();
    let rep = m.report.unwrap();
    assert!((rep.log_likelihood - PARETO_NBD_EXACT_LOGLIK).abs() < 1e-6, "{}", rep.log_likelihood);
    assert!(rep.gradient_norm <= 1e-6);
}

#[test]
fn test_models_with_singular_hessian_roundtrip_through_serde() {
    // Ten customers: the Pareto/NBD Hessian can be singular (NaN standard errors); JSON must
    // still restore the model (NaN is written as null).
    let x = [0.0, 2.0, 5.0, 1.0, 0.0, 3.0, 0.0, 7.0, 1.0, 0.0];
    let r = [0.0, 20.0, 35.0, 5.0, 0.0, 30.0, 0.0, 38.0, 12.0, 0.0];
    let t = [38.0, 38.0, 39.0, 30.0, 20.0, 36.0, 39.0, 39.0, 33.0, 25.0];
    let m = ParetoNbd::fit(&x, &r, &t, None, &FitOptions::new().penalizer(0.01)).unwrap();
    let back: ParetoNbd = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(m.params(), back.params());
    let mut rep = m.report.clone().unwrap();
    rep.params[0].std_error = f64::NAN;
    rep.covariance[0][0] = f64::NAN;
    let back: yutang::ltv::FitReport = serde_json::from_str(&serde_json::to_string(&rep).unwrap()).unwrap();
    assert!(back.params[0].std_error.is_nan() && back.covariance[0][0].is_nan());
    assert_eq!(back.log_likelihood, rep.log_likelihood);
}

/// Heavy-tailed spend across customers (each customer's average a power of 1.6 times 10):
/// the unconstrained Gamma-Gamma estimate has q < 1, so the population mean is not finite.
fn heavy_tailed_spend() -> (Vec<f64>, Vec<f64>) {
    (0..60).map(|i| ((i % 4 + 1) as f64, 10.0 * 1.6f64.powi(i % 30))).unzip()
}

#[test]
fn test_gamma_gamma_q_constraint_holds_q_at_one_on_the_bound() {
    let (x, m) = heavy_tailed_spend();
    let free = GammaGamma::fit(&x, &m, None, &FitOptions::new()).unwrap();
    assert!(free.q < 1.0, "the data needs the constraint: q = {}", free.q);
    let on = GammaGamma::fit_q_constrained(&x, &m, None, &FitOptions::new()).unwrap();
    assert_eq!(on.q, 1.0);
    let ll = |p: f64, q: f64, v: f64| GammaGamma::new(p, q, v).unwrap().log_likelihood(&x, &m, None).unwrap();
    let at = ll(on.p, 1.0, on.v);
    assert!((on.report.as_ref().unwrap().log_likelihood - at).abs() < 1e-9 * at.abs());
    assert!(at < ll(free.p, free.q, free.v), "the bound costs likelihood");
    // the maximum over p and v with q = 1: every nearby (p, v) is lower
    for (dp, dv) in [(1.001, 1.0), (0.999, 1.0), (1.0, 1.001), (1.0, 0.999), (1.001, 1.001), (0.999, 0.999)] {
        assert!(ll(on.p * dp, 1.0, on.v * dv) < at, "({dp}, {dv})");
    }
    assert!(on.report.as_ref().unwrap().gradient_norm <= 1e-6);
    // on the bound a repeat buyer's expected spend is finite: m + v/x (the limit q -> 1)
    for (&xi, &mi) in x.iter().zip(&m).take(8) {
        let e = on.conditional_expected_average_profit(xi, mi).unwrap();
        assert!((e - (mi + on.v / xi)).abs() <= 1e-12 * e, "{e} at x = {xi}, m = {mi}");
    }
}

#[test]
fn test_gamma_gamma_q_constraint_changes_nothing_when_q_is_above_one() {
    let c = cdnow_sample_calibration();
    let s = &c.calibration;
    let mv = s.monetary_value.as_ref().unwrap();
    let (x, m): (Vec<f64>, Vec<f64>) =
        s.frequency.iter().zip(mv).filter(|(x, _)| **x > 0.0).map(|(a, b)| (*a, *b)).unzip();
    let free = GammaGamma::fit(&x, &m, None, &FitOptions::new()).unwrap();
    let on = GammaGamma::fit_q_constrained(&x, &m, None, &FitOptions::new()).unwrap();
    assert_eq!(free, on);
}

#[test]
fn test_predictions_are_defined_where_recency_and_frequency_disagree_but_fits_check_it() {
    // lifetimes evaluates P(alive) over every (frequency, recency) cell of a grid; the formulas
    // are defined there, so predictions accept any 0 <= recency <= T while fits keep checking
    let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    assert_eq!(m.conditional_probability_alive(0.0, 4.0, 10.0).unwrap(), 1.0);
    let p = m.conditional_probability_alive(2.0, 0.0, 10.0).unwrap();
    assert!(p > 0.0 && p < 1.0);
    let grid = m.conditional_probability_alive_batch(&[0.0, 2.0, 3.0], &[5.0, 0.0, 10.0], &[10.0; 3]).unwrap();
    assert_eq!(grid[1], p);
    assert!(m.conditional_probability_alive(1.0, 11.0, 10.0).is_err(), "recency after T");
    assert!(BgNbd::fit(&[0.0, 1.0], &[4.0, 1.0], &[10.0, 10.0], None, &FitOptions::new()).is_err());
}

#[test]
fn test_an_empty_holdout_names_its_dates_as_dates() {
    let ids = [1u64, 1, 2];
    let day = |d: &str| day_micros(d);
    let ts = [day("20150101"), day("20150206"), day("20150202")];
    let e = calibration_and_holdout(
        CustomerKeys::U64(&ids),
        &ts,
        None,
        day("20150210"),
        Some(day("20150301")),
        &SummaryOptions::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("2015-03-01 00:00:00") && e.contains("2015-02-10 00:00:00"), "{e}");
    assert!(e.contains("There is no data available"), "lifetimes' wording, for code that matches it: {e}");
}

#[test]
fn test_gamma_gamma_q_constraint_fits_spend_whose_free_fit_does_not_converge() {
    // Pareto-tailed spend (quantiles of a Pareto with index 0.3): the free fit runs off towards
    // q -> 0 and fails; held at q = 1 the fit has a maximum, as lifetimes' bounded fit finds
    let (x, m): (Vec<f64>, Vec<f64>) =
        (0..300).map(|i| (((i % 5) + 1) as f64, 10.0 * ((i as f64 + 0.5) / 300.0).powf(-1.0 / 0.3))).unzip();
    assert!(GammaGamma::fit(&x, &m, None, &FitOptions::new()).is_err());
    let on = GammaGamma::fit_q_constrained(&x, &m, None, &FitOptions::new()).unwrap();
    assert_eq!(on.q, 1.0);
    let ll = |p: f64, v: f64| GammaGamma::new(p, 1.0, v).unwrap().log_likelihood(&x, &m, None).unwrap();
    let at = ll(on.p, on.v);
    for (dp, dv) in [(1.001, 1.0), (0.999, 1.0), (1.0, 1.001), (1.0, 0.999)] {
        assert!(ll(on.p * dp, on.v * dv) < at, "({dp}, {dv})");
    }
}
