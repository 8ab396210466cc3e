//! Journeys: `advance` over 1 million active instances by one simulated day, and `simulate`
//! of the coffee coupon ladder over a 1-million-customer synthetic pool for a year.
//!
//! Floor: advance < 1 s on one core; simulate < 10 s. Only the measured call is
//! timed (building the pools and cloning them per iteration is not). Set
//! YUTANG_BENCH_CUSTOMERS / YUTANG_BENCH_EVENTS to change the sizes.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::time::{Duration, Instant};
use yutang::journey::examples;
use yutang::synth::{events, SynthConfig};
use yutang::{Event, EventKind, Identity, IdentityKind, Pool, Timestamp};

const DAY: i64 = 86_400_000_000;
/// 2024-01-01T00:00:00+08:00
const JAN1: i64 = 1_704_038_400_000_000;

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us).unwrap()
}

/// `n` customers, each registering once; registrations spread over `spread_days` from Jan 1.
fn registered_pool(n: usize, spread_days: i64) -> Pool {
    let mut pool = Pool::default();
    let span = spread_days * DAY;
    for start in (0..n).step_by(100_000) {
        let evs: Vec<Event> = (start..(start + 100_000).min(n))
            .map(|i| {
                let at = JAN1 + (i as i64 * span) / n as i64;
                Event::new(
                    format!("r{i}"),
                    ts(at),
                    EventKind::Register,
                    vec![Identity::new(IdentityKind::Phone, format!("13{i:09}"))],
                )
            })
            .collect();
        pool.ingest(evs);
    }
    pool
}

fn bench_advance(c: &mut Criterion) {
    let n: usize = std::env::var("YUTANG_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let mut group = c.benchmark_group("journeys_advance");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, spread, from_day) in [("1M_active_one_day_of_30_due", 30, 40), ("1M_active_all_due_same_day", 1, 30)] {
        let mut pool = registered_pool(n, spread);
        pool.add_journey(examples::coffee_coupon_ladder(), Some(ts(JAN1 - DAY))).unwrap();
        let t0 = Instant::now();
        pool.advance(ts(JAN1 + from_day * DAY)).unwrap();
        let active =
            pool.journey_instances().iter().filter(|i| i.status == "waiting" || i.status == "deferred").count();
        eprintln!("{name}: setup advance {:.2?}, {active} active instances", t0.elapsed());
        let to = ts(JAN1 + (from_day + 1) * DAY);
        let mut shown = false;
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || pool.clone(),
                |p| {
                    let a = p.advance(to).unwrap();
                    if !shown {
                        eprintln!("{name}: {} actions in the day", a.len());
                        shown = true;
                    }
                    a.len()
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn bench_simulate(c: &mut Criterion) {
    let customers: usize =
        std::env::var("YUTANG_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let n: usize = std::env::var("YUTANG_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10 * customers);
    let cfg = SynthConfig { events: n, customers, ..Default::default() };
    let mut pool = Pool::default();
    for start in (0..n).step_by(100_000) {
        pool.ingest(events(&cfg, start..(start + 100_000).min(n)));
    }
    let start = ts(cfg.start_micros);
    let end = ts(cfg.start_micros + cfg.days as i64 * DAY);
    let journeys = [examples::coffee_coupon_ladder()];
    let mut group = c.benchmark_group("journeys_simulate");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    let mut shown = false;
    group.bench_function("coffee_ladder_1M_customers_1_year", |b| {
        b.iter(|| {
            let s = pool.simulate(&journeys, start, end).unwrap();
            if !shown {
                eprintln!(
                    "simulate: {} customers, {} events, {} actions, {:?}",
                    pool.customer_count(),
                    n,
                    s.actions.len(),
                    s.journeys
                );
                shown = true;
            }
            s.actions.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_advance, bench_simulate);
criterion_main!(benches);
