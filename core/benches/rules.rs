//! Condition-language speed.
//!
//! - A segment of five clauses, two of them windowed event aggregates, over the synthetic pool
//!   (default 10 million events, 1 million true customers; YUTANG_BENCH_EVENTS to change), on
//!   one and on two threads. Throughput is customer evaluations per second.
//! - Parsing and compiling a 50-clause rule.
//!
//! Floors: >= 2 million customer evaluations/s on one core, >= 1.6x that on two; parse +
//! compile of 50 clauses < 100 µs.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use yutang::rules::{parse, Compiled};
use yutang::synth::{events, SynthConfig};

/// Five clauses; `orders(30d)` and `spend(90d)` are the windowed aggregates.
pub const FIVE_AND: &str =
    r#"orders(30d) >= 1 and spend(90d) > 100.00 and channel_seen("douyin") and not did(refund) and count(view) >= 1"#;
/// The same five clauses as `or` of negations: no short cut, every clause is evaluated for
/// almost every customer.
pub const FIVE_OR: &str = r#"orders(30d) >= 3 or spend(90d) > 2000.00 or channel_seen("custom:none") or did("custom:none") or count(view) >= 1000"#;

fn fifty_clauses() -> String {
    let mut parts = Vec::new();
    for i in 0..50 {
        parts.push(match i % 5 {
            0 => format!("orders({}d) >= {}", 7 + i, i % 4),
            1 => format!("spend({}d, currency: \"CNY\") > {}.50", 30 + i, 100 * i),
            2 => format!("not did(coupon_redeemed, {}d, channel: [\"douyin\", \"wecom\"])", 3 + i),
            3 => format!("sequence(add_to_cart then order[amount >= {}] within 2d, 90d)", i),
            _ => format!("stage in [\"new\", \"repeat\", \"s{i}\"]"),
        });
    }
    parts.join(" and ")
}

/// CPU time of every thread of this process (Linux `schedstat`, ns): on a shared machine this
/// is what the work cost, whatever else runs.
fn cpu_ns() -> u64 {
    let mut total = 0;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                total += s.split_whitespace().next().and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
            }
        }
    }
    total
}

/// Run `f` `n` times; CPU seconds per run.
fn cpu_per_run(n: u32, mut f: impl FnMut()) -> f64 {
    let t0 = cpu_ns();
    for _ in 0..n {
        f();
    }
    (cpu_ns() - t0) as f64 / 1e9 / n as f64
}

fn pool() -> yutang::Pool {
    let n: usize = std::env::var("YUTANG_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let mut pool = yutang::Pool::default();
    for start in (0..n).step_by(200_000) {
        pool.ingest(events(&cfg, start..(start + 200_000).min(n)));
    }
    let s = pool.stats();
    eprintln!("pool: {} events, {} customers", s.events, s.customers);
    pool
}

fn bench_segment(c: &mut Criterion) {
    let pool = pool();
    let _ = pool.customer_at(0); // build the customer index outside the timing
    let customers = pool.customer_count();
    let as_of = yutang::Timestamp::from_micros(1_704_038_400_000_000 + 365 * 86_400_000_000).unwrap();
    let mut group = c.benchmark_group("rules/segment");
    group.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(customers as u64));
    for (name, text) in [("five_and", FIVE_AND), ("five_or", FIVE_OR)] {
        let compiled = Compiled::new(&parse(text).unwrap(), &pool).unwrap();
        let members = pool.evaluate_compiled(&compiled, as_of).iter().filter(|m| **m).count();
        eprintln!("{name}: {members} of {customers} customers match");
        let tp1 = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let secs = cpu_per_run(5, || {
            tp1.install(|| pool.evaluate_compiled(&compiled, as_of).len());
        });
        eprintln!(
            "{name}: CPU time {:.1} ms per pass = {:.2} M customer evaluations per CPU-second",
            secs * 1e3,
            customers as f64 / secs / 1e6
        );
        for threads in [1, 2] {
            let tp = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            group.bench_function(format!("{name}/{threads}_threads/{customers}_customers"), |b| {
                b.iter(|| tp.install(|| pool.evaluate_compiled(&compiled, as_of).len()))
            });
        }
    }
    group.finish();
}

fn bench_parse_compile(c: &mut Criterion) {
    let pool = yutang::Pool::default();
    let text = fifty_clauses();
    let secs = cpu_per_run(2000, || {
        Compiled::new(&parse(&text).unwrap(), &pool).unwrap();
    });
    eprintln!("parse + compile 50 clauses: {:.1} µs CPU time", secs * 1e6);
    c.bench_function("rules/parse_compile_50_clauses", |b| {
        b.iter(|| Compiled::new(&parse(&text).unwrap(), &pool).unwrap())
    });
    c.bench_function("rules/parse_50_clauses", |b| b.iter(|| parse(&text).unwrap()));
}

criterion_group!(benches, bench_parse_compile, bench_segment);
criterion_main!(benches);
