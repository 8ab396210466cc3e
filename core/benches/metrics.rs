//! Growth metrics at scale (one thread: every kernel here is sequential). Run:
//! `cargo bench -p yutang --bench metrics`.
//!
//! - cohort table over 10 million orders of 1 million customers spread over three years, in a
//!   random order (the floor: under 1 second);
//! - category metrics over 2 million order lines (8 categories);
//! - the growth formula over 10 million events, two periods, 8 channels;
//! - affinity over 1 million baskets (~2.3 items each, 200 items).
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use yutang::metrics::{
    affinity, category_metrics, cohort_retention, growth, AffinityOptions, CohortOptions, GrowthColumns, GrowthOptions,
    Period,
};

const START: i64 = 1_704_038_400_000_000; // 2023-12-31T16:00Z = 2024-01-01 00:00 Shanghai
const DAY: i64 = 86_400_000_000;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn orders(n: usize, customers: u64) -> (Vec<u32>, Vec<i64>) {
    let mut r = Lcg(7);
    let mut c = Vec::with_capacity(n);
    let mut t = Vec::with_capacity(n);
    for _ in 0..n {
        c.push((r.next() % customers) as u32);
        t.push(START + (r.next() % (3 * 365 * DAY as u64 / 1_000_000)) as i64 * 1_000_000);
    }
    (c, t)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("metrics");
    g.sample_size(10);
    let (cust, at) = orders(10_000_000, 1_000_000);
    let opts = CohortOptions::new();
    g.bench_function("cohort_retention_10m_orders_1m_customers", |b| {
        b.iter(|| black_box(cohort_retention(black_box(&cust), black_box(&at), &opts).unwrap()))
    });
    let names: Vec<String> = (0..8).map(|i| format!("cat{i}")).collect();
    let (c2, t2) = (&cust[..2_000_000], &at[..2_000_000]);
    let cat: Vec<u32> = (0..2_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 29) % 8).collect();
    let amount: Vec<f64> = (0..2_000_000).map(|i| 10.0 + (i % 300) as f64).collect();
    g.bench_function("category_metrics_2m_lines_8_categories", |b| {
        b.iter(|| black_box(category_metrics(c2, t2, &cat, &names, Some(&amount), &opts).unwrap()))
    });
    let mut r = Lcg(11);
    let kind: Vec<u8> = (0..cust.len())
        .map(|_| match r.next() % 100 {
            0..=19 => 2,
            20..=22 => 1,
            23..=24 => 3,
            _ => 0,
        })
        .collect();
    let amount10: Vec<f64> = (0..cust.len()).map(|i| 10.0 + (i % 500) as f64).collect();
    let channel: Vec<u32> = (0..cust.len()).map(|i| ((i as u64 * 2_654_435_761) >> 13) as u32 % 8).collect();
    let chan_names: Vec<String> = (0..8).map(|i| format!("ch{i}")).collect();
    let cols = GrowthColumns {
        customers: &cust,
        at: &at,
        kind: &kind,
        amount: &amount10,
        channel: Some(&channel),
        channel_names: &chan_names,
    };
    let p0 = Period { start: START, end: START + 365 * DAY };
    let p1 = Period { start: START + 365 * DAY, end: START + 730 * DAY };
    g.bench_function("growth_10m_events_2_periods_8_channels", |b| {
        b.iter(|| black_box(growth(&cols, p0, p1, &GrowthOptions::default()).unwrap()))
    });
    let mut r = Lcg(13);
    let (mut baskets, mut items) = (vec![], vec![]);
    for b in 0..1_000_000u32 {
        let k = 1 + r.next() % 3 + r.next().is_multiple_of(4) as u64;
        let first = r.next() % 200;
        for j in 0..k {
            baskets.push(b);
            // the first item, then a companion of it half the time, then random items
            let item = match j {
                0 => first,
                1 if r.next().is_multiple_of(2) => (first + 1) % 200,
                _ => r.next() % 200,
            };
            items.push(item as u32);
        }
    }
    let item_names: Vec<String> = (0..200).map(|i| format!("sku{i}")).collect();
    g.bench_function("affinity_1m_baskets_200_items", |b| {
        b.iter(|| black_box(affinity(&baskets, &items, &item_names, &AffinityOptions::default()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
