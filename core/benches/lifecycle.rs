//! Criterion benchmarks of lifecycle stages and RFM tiers on a synthetic pool of 10 million
//! events (1 million true customers; identity resolution finds about 1.6 million).
//!
//! Run: `cargo bench -p yutang --bench lifecycle --no-default-features` (one core; the
//! functions are sequential anyway). `YUTANG_BENCH_EVENTS=1000000` for a smaller pool.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use yutang::synth::{events, SynthConfig};
use yutang::{parse_time, Pool};

fn pool() -> Pool {
    let n: usize = std::env::var("YUTANG_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let mut pool = Pool::default();
    for start in (0..n).step_by(500_000) {
        pool.ingest(events(&cfg, start..(start + 500_000).min(n)));
    }
    let s = pool.stats();
    eprintln!("pool: {} events, {} customers", s.events, s.customers);
    pool
}

fn bench(c: &mut Criterion) {
    let pool = pool();
    let as_of = parse_time("2024-12-01", pool.time_zone()).expect("time");
    let mut g = c.benchmark_group("lifecycle");
    g.sample_size(10);
    g.bench_function("lifecycle_and_rfm (one pass)", |b| {
        b.iter(|| black_box(pool.lifecycle_and_rfm(as_of).expect("rfm")))
    });
    g.bench_function("lifecycle", |b| b.iter(|| black_box(pool.lifecycle(as_of))));
    g.bench_function("rfm", |b| b.iter(|| black_box(pool.rfm(as_of).expect("rfm"))));
    g.bench_function("stage_distribution", |b| b.iter(|| black_box(pool.stage_distribution(as_of))));
    let from = parse_time("2024-09-01", pool.time_zone()).expect("time");
    g.bench_function("stage_changes (3 months)", |b| b.iter(|| black_box(pool.stage_changes(from, as_of))));
    g.finish();
    // scoring alone on 1 million rows
    let n = 1_000_000;
    let rec: Vec<f64> = (0..n).map(|i| (yutang::synth::mix(i as u64) % 365) as f64).collect();
    let freq: Vec<f64> = (0..n).map(|i| (1 + yutang::synth::mix(i as u64 + 7) % 12) as f64).collect();
    let mon: Vec<f64> = (0..n).map(|i| (yutang::synth::mix(i as u64 + 9) % 1_000_000) as f64 / 100.0).collect();
    let opts = yutang::rfm::RfmOptions::new();
    c.bench_function("rfm_scores (1M rows)", |b| {
        b.iter(|| black_box(yutang::rfm::rfm_scores(&rec, &freq, &mon, &opts).expect("scores")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
