//! Times the metrics kernels once each at bench scale (for a quick look without criterion; run
//! under `/usr/bin/time` to see CPU time on a busy machine):
//! `cargo run --release -p yutang --example metrics_speed [cohort|growth|affinity|category]`.
use std::time::Instant;
use yutang::metrics::*;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "cohort".into());
    let (n, customers) = (10_000_000usize, 1_000_000u64);
    let mut z = 7u64;
    let start = 1_704_038_400_000_000i64;
    let (mut cust, mut at) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        z = yutang::synth::mix(z);
        cust.push((z % customers) as u32);
        at.push(start + ((z >> 24) % (3 * 365 * 86_400)) as i64 * 1_000_000);
    }
    let t = Instant::now();
    match which.as_str() {
        "cohort" => {
            let c = cohort_retention(&cust, &at, &CohortOptions::new()).unwrap();
            println!("cohort: {} customers, {} months", c.customers, c.cohorts.len());
        }
        "growth" => {
            let kind: Vec<u8> = (0..n).map(|i| [0, 0, 2, 0, 1, 2, 0, 3][i % 8]).collect();
            let amount = vec![10.0; n];
            let ch: Vec<u32> = (0..n).map(|i| (i % 8) as u32).collect();
            let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
            let cols = GrowthColumns {
                customers: &cust,
                at: &at,
                kind: &kind,
                amount: &amount,
                channel: Some(&ch),
                channel_names: &names,
            };
            let t0 = Instant::now();
            let day = 86_400_000_000;
            let g = growth(
                &cols,
                Period { start, end: start + 365 * day },
                Period { start: start + 365 * day, end: start + 730 * day },
                &GrowthOptions::default(),
            )
            .unwrap();
            println!("growth: {} rows in {:.3} s", g.current.len(), t0.elapsed().as_secs_f64());
        }
        _ => {}
    }
    println!("{which}: {:.3} s wall", t.elapsed().as_secs_f64());
}
