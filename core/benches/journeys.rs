//! Journeys: `advance` over 1 million active instances by one simulated day, `simulate`
//! of the coffee coupon ladder over a 1-million-customer synthetic pool for a year, and
//! `journey_results` over 1 million instances (a split with a control arm, a fifth of the
//! customers ordering).
//!
//! `advance` by one day whose batch has 1 % of its events dated the day before (late), against
//! the same batch in time.
//!
//! Floor: advance < 1 s on one core; simulate < 10 s; journey_results < 1 s; the late day
//! within 1.5x of the in-time one. Only the measured call is
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

fn bench_results(c: &mut Criterion) {
    let n: usize = std::env::var("YUTANG_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let mut pool = registered_pool(n, 30);
    // every fifth customer orders 5 days after registering
    for start in (0..n).step_by(500_000) {
        let evs: Vec<Event> = (start..(start + 500_000).min(n))
            .step_by(5)
            .map(|i| {
                let at = JAN1 + (i as i64 * 30 * DAY) / n as i64 + 5 * DAY;
                Event::new(
                    format!("o{i}"),
                    ts(at),
                    EventKind::Order,
                    vec![Identity::new(IdentityKind::Phone, format!("13{i:09}"))],
                )
                .money(yutang::Money::new(2_500, yutang::Currency::CNY))
            })
            .collect();
        pool.ingest(evs);
    }
    let j = yutang::journey::Journey::from_json(
        r#"{"version": 1, "id": "winback", "seed": 3, "triggers": [{"event": "register"}],
            "goals": [{"event": "order"}], "conversion_window": "14d",
            "steps": [{"id": "split", "type": "split", "arms": [
                {"name": "coupon", "weight": 9, "goto": "sms"}, {"name": "control", "weight": 1}]},
              {"id": "sms", "type": "send", "channel": "sms", "template": "t"}]}"#,
    )
    .unwrap();
    pool.add_journey(j, Some(ts(JAN1 - DAY))).unwrap();
    let as_of = ts(JAN1 + 60 * DAY);
    let t0 = Instant::now();
    pool.advance(as_of).unwrap();
    eprintln!("results: setup advance {:.2?}, {} instances", t0.elapsed(), pool.journey_instances().len());
    let mut group = c.benchmark_group("journeys_results");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut shown = false;
    group.bench_function("1M_instances_split_with_control", |b| {
        b.iter(|| {
            let r = pool.journey_results("winback", as_of).unwrap();
            if !shown {
                for a in &r.arms {
                    eprintln!("results: {} entered {} converted {} p {:?}", a.arm, a.entered, a.converted, a.p_value);
                }
                shown = true;
            }
            r.arms.len()
        })
    });
    group.finish();
}

fn bench_late(c: &mut Criterion) {
    let n: usize = std::env::var("YUTANG_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    // customers register over 30 days, every one orders 10 days after registering; the pool
    // has been advanced daily to day 20
    let day_of = |i: usize| (i as i64 * 30) / n as i64;
    let reg = |i: usize| {
        Event::new(
            format!("r{i}"),
            ts(JAN1 + day_of(i) * DAY + 10 * 3_600_000_000),
            EventKind::Register,
            vec![Identity::new(IdentityKind::Phone, format!("13{i:09}"))],
        )
    };
    let order = |i: usize, at: i64| {
        let mut e = Event::new(
            format!("o{i}"),
            ts(at),
            EventKind::Order,
            vec![Identity::new(IdentityKind::Phone, format!("13{i:09}"))],
        )
        .money(yutang::Money::new(2_500, yutang::Currency::CNY));
        e.order_id = Some(format!("o{i}"));
        e
    };
    let mut pool = Pool::default();
    pool.add_journey(examples::coffee_coupon_ladder(), Some(ts(JAN1 - DAY))).unwrap();
    for d in 0..20 {
        let regs: Vec<Event> = (0..n).filter(|&i| day_of(i) == d).map(reg).collect();
        let ords: Vec<Event> =
            (0..n).filter(|&i| day_of(i) + 10 == d).map(|i| order(i, JAN1 + d * DAY + 12 * 3_600_000_000)).collect();
        pool.ingest(regs.into_iter().chain(ords));
        pool.advance(ts(JAN1 + (d + 1) * DAY)).unwrap();
    }
    // day 20's batch: the registrations and orders of the day; in the late variant 1 % of the
    // orders are dated the day before (a marketplace synced late)
    let d = 20;
    let batch = |late: bool| -> Vec<Event> {
        let regs = (0..n).filter(|&i| day_of(i) == d).map(reg);
        let ords = (0..n).filter(|&i| day_of(i) + 10 == d).map(|i| {
            let back = if late && i % 100 == 0 { DAY } else { 0 };
            order(i, JAN1 + d * DAY + 12 * 3_600_000_000 - back)
        });
        regs.chain(ords).collect()
    };
    let mut group = c.benchmark_group("journeys_late");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, late) in [("one_day_in_time", false), ("one_day_1pct_late", true)] {
        let mut p = pool.clone();
        p.ingest(batch(late));
        let to = ts(JAN1 + (d + 1) * DAY);
        let mut shown = false;
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || p.clone(),
                |q| {
                    let r = q.advance_report(to).unwrap();
                    if !shown {
                        eprintln!("{name}: {} actions, {} late events", r.actions.len(), r.late_events);
                        shown = true;
                    }
                    r.actions.len()
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_advance, bench_simulate, bench_results, bench_late);
criterion_main!(benches);
