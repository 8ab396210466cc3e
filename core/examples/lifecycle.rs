//! Lifecycle stages and RFM tiers of a synthetic pool, with timings.
//!
//! `cargo run --release --no-default-features --example lifecycle -- 10000000` (events;
//! customers = events / 10).
//! Prints the stage distribution, the tier sizes, a transition matrix and one customer's
//! history. Timings are wall time and this thread's CPU time (Linux), on one core.
use std::time::Instant;
use yutang::lifecycle::Stage;
use yutang::synth::{events, SynthConfig};
use yutang::{parse_time, Pool};

/// CPU time this thread has run, in seconds (Linux schedstat, nanoseconds; 0 elsewhere).
fn thread_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1e9
}

/// Run `f` three times; print the best wall and CPU times.
fn timed<T>(what: &str, f: impl Fn() -> T) -> T {
    let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
    let mut out = None;
    for _ in 0..3 {
        let (t, c) = (Instant::now(), thread_cpu());
        out = Some(f());
        wall = wall.min(t.elapsed().as_secs_f64());
        cpu = cpu.min(thread_cpu() - c);
    }
    println!("{what:<36} wall {wall:.3} s, thread CPU {cpu:.3} s (best of 3)");
    out.unwrap_or_else(|| unreachable!())
}

fn main() -> Result<(), yutang::Error> {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let mut pool = Pool::default();
    for start in (0..n).step_by(500_000) {
        pool.ingest(events(&cfg, start..(start + 500_000).min(n)));
    }
    let _ = pool.customer_ids(); // build the index outside the timings
    let s = pool.stats();
    println!("pool: {} events, {} customers", s.events, s.customers);
    let as_of = parse_time("2024-12-01", pool.time_zone())?;
    let stages = timed("lifecycle(as_of)", || pool.lifecycle(as_of));
    let rfm = timed("rfm(as_of)", || pool.rfm(as_of))?;
    let both = timed("lifecycle_and_rfm(as_of) (one pass)", || pool.lifecycle_and_rfm(as_of))?;
    assert_eq!(both, (stages.clone(), rfm.clone()));
    println!("{} customers with a stage, {} buyers with a tier", stages.len(), rfm.len());
    println!("\nstage distribution at {as_of}:");
    for (stage, count) in pool.stage_distribution(as_of) {
        println!("  {:<10} {count:>9}", stage.as_str());
    }
    println!("\nRFM tier sizes:");
    let names = pool.rfm_options().tiers.tiers.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    for name in names {
        println!("  {:<20} {:>9}", name, rfm.iter().filter(|r| r.tier == name).count());
    }
    let from = parse_time("2024-09-01", pool.time_zone())?;
    println!("\ntransitions {from} -> {as_of} (customers):");
    for c in pool.stage_transitions(from, as_of) {
        println!("  {:<10} -> {:<10} {:>9}", c.from.map_or("(unknown)", Stage::as_str), c.to.as_str(), c.customers);
    }
    if let Some(row) = rfm.iter().max_by_key(|r| r.frequency) {
        println!("\nhistory of the most frequent buyer {} ({} orders):", row.customer_id, row.frequency);
        for t in pool.stage_history(&row.customer_id, as_of)?.iter().rev().take(8).rev() {
            println!("  {}  {:<10} -> {}", t.at, t.from.map_or("-", Stage::as_str), t.to.as_str());
        }
    }
    Ok(())
}
