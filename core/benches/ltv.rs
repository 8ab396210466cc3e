//! Criterion benchmarks of `yutang::ltv`: BG/NBD fit on the CDNOW summary, a 1-million-customer
//! synthetic fit on unique rows with weights, and batch predictions over 1 million customers.
//!
//! Run: `cargo bench -p yutang --bench ltv` (add `--no-default-features` for one core).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use yutang::ltv::{compress_rows, BgNbd, FitOptions, GammaGamma, ParetoNbd, TransactionModel};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/cdnow");

fn cdnow() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(format!("{DATA}/cdnow_customers_summary.csv")).expect("data");
    let (mut x, mut r, mut t) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().expect("number")).collect();
        x.push(f[1]);
        r.push(f[2]);
        t.push(f[3]);
    }
    (x, r, t)
}

/// SplitMix64: a small deterministic generator for the synthetic data.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Gamma(shape, 1) by Marsaglia & Tsang (with the boost for shape < 1).
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }
}

/// `n` customers drawn from the BG/NBD process with the CDNOW parameters (weeks), first
/// purchases spread over the first 12 weeks, observed in whole days to day 273 (39 weeks),
/// expressed in weeks.
pub fn synthetic_bgnbd(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let mut rng = Rng(seed);
    let (mut xs, mut rs, mut ts) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let first_day = (rng.uniform() * 84.0).floor();
        let age_days = 273.0 - first_day;
        let lambda = rng.gamma(r) / alpha; // per week
        let p = rng.beta(a, b);
        let (mut t, mut last_day, mut x) = (0.0f64, 0.0f64, 0.0f64);
        loop {
            t += -rng.uniform().ln() / lambda * 7.0; // days
            if t > age_days {
                break;
            }
            let day = t.floor();
            if day > last_day {
                x += 1.0;
                last_day = day;
            }
            if rng.uniform() < p {
                break;
            }
        }
        xs.push(x);
        rs.push(last_day / 7.0);
        ts.push(age_days / 7.0);
    }
    (xs, rs, ts)
}

fn benches(c: &mut Criterion) {
    let (x, r, t) = cdnow();
    let opts = FitOptions::new();
    c.bench_function("bgnbd_fit_cdnow_2357", |bch| {
        bch.iter(|| BgNbd::fit(black_box(&x), &r, &t, None, &opts).expect("fit"))
    });
    c.bench_function("pareto_fit_cdnow_2357", |bch| {
        bch.iter(|| ParetoNbd::fit(black_box(&x), &r, &t, None, &opts).expect("fit"))
    });
    let (gx, gm): (Vec<f64>, Vec<f64>) =
        x.iter().zip(&r).filter(|(f, _)| **f > 0.0).map(|(f, rr)| (*f, 10.0 + rr)).unzip();
    c.bench_function("gamma_gamma_fit_synthetic_repeat_buyers", |bch| {
        bch.iter(|| GammaGamma::fit(black_box(&gx), &gm, None, &opts).expect("fit"))
    });

    let (sx, sr, st) = synthetic_bgnbd(1_000_000, 42);
    let (cols, w) = compress_rows(&[&sx, &sr, &st], None);
    eprintln!("synthetic: 1,000,000 customers, {} unique rows", w.len());
    let mut g = c.benchmark_group("million");
    g.sample_size(10);
    g.bench_function("bgnbd_fit_1m_unique_rows_weights", |bch| {
        bch.iter(|| BgNbd::fit(black_box(&cols[0]), &cols[1], &cols[2], Some(&w), &opts).expect("fit"))
    });
    g.bench_function("bgnbd_fit_1m_raw_rows", |bch| {
        bch.iter(|| BgNbd::fit(black_box(&sx), &sr, &st, None, &opts).expect("fit"))
    });
    let m = BgNbd::fit(&cols[0], &cols[1], &cols[2], Some(&w), &opts).expect("fit");
    eprintln!("synthetic fit: {:?}", m.params());
    g.bench_function("bgnbd_predict_1m_cond_expected_and_p_alive", |bch| {
        bch.iter(|| {
            let e =
                m.conditional_expected_number_of_purchases_up_to_time_batch(39.0, black_box(&sx), &sr, &st).expect("e");
            let p = m.conditional_probability_alive_batch(&sx, &sr, &st).expect("p");
            (e, p)
        })
    });
    g.finish();
}

criterion_group!(ltv, benches);
criterion_main!(ltv);
