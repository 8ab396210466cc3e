//! Attribution on 1M synthetic paths (10 channels, lengths 1–10): parsing, heuristics, Markov
//! order 1 (and 2), Shapley. Run: `cargo bench -p yutang --bench attribution`.
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use yutang::attribution::{heuristic_models, markov_model, shapley_model, HeuristicOptions, MarkovOptions, Paths};

const N: usize = 1_000_000;
const CHANNELS: [&str; 10] = ["douyin", "taobao", "wechat", "app", "sms", "staff", "weibo", "jd", "search", "direct"];

/// Deterministic synthetic paths: a 64-bit LCG, lengths uniform in 1–10, channels skewed so
/// that conversion rates differ by channel.
fn synthetic() -> (Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut paths = Vec::with_capacity(N);
    let mut conv = Vec::with_capacity(N);
    let mut value = Vec::with_capacity(N);
    let mut nulls = Vec::with_capacity(N);
    for _ in 0..N {
        let len = 1 + next() % 10;
        let mut s = String::with_capacity(len * 8);
        let mut score = 0usize;
        for j in 0..len {
            let c = next() % 10;
            score += c;
            if j > 0 {
                s.push_str(" > ");
            }
            s.push_str(CHANNELS[c]);
        }
        let converts = next() % 100 < 5 + score % 20;
        paths.push(s);
        conv.push(if converts { 1.0 } else { 0.0 });
        value.push(if converts { (10 + next() % 500) as f64 } else { 0.0 });
        nulls.push(if converts { 0.0 } else { 1.0 });
    }
    (paths, conv, value, nulls)
}

fn bench(c: &mut Criterion) {
    let (strings, conv, value, nulls) = synthetic();
    let paths = Paths::parse(&strings, &conv, Some(&value), Some(&nulls), ">").unwrap();
    let mut g = c.benchmark_group("attribution_1M_paths");
    g.sample_size(10);
    g.bench_function("parse", |b| {
        b.iter(|| Paths::parse(black_box(&strings), &conv, Some(&value), Some(&nulls), ">").unwrap())
    });
    g.bench_function("heuristics", |b| {
        b.iter(|| heuristic_models(black_box(&paths), &HeuristicOptions::new()).unwrap())
    });
    g.bench_function("markov_order_1", |b| b.iter(|| markov_model(black_box(&paths), &MarkovOptions::new()).unwrap()));
    g.bench_function("markov_order_2", |b| {
        b.iter(|| markov_model(black_box(&paths), &MarkovOptions::new().order(2)).unwrap())
    });
    g.bench_function("shapley", |b| b.iter(|| shapley_model(black_box(&paths), &Default::default()).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
