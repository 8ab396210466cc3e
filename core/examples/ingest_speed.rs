//! Quick ingest timing (the criterion bench `ingest` is the reference). Reports wall time and,
//! on Linux, the thread's CPU time (meaningful when other processes share the cores).
//!
//! `cargo run --release --example ingest_speed -- 10000000 [owned]`: the borrowed path
//! ([`yutang::Pool::ingester`]) by default; `owned` times `Pool::ingest(Vec<Event>)` instead,
//! which also pays for dropping the caller's events.
use std::time::Instant;
use yutang::synth::{events, synth_events, SynthConfig};

/// CPU time of this thread in seconds (Linux: /proc/thread-self/stat, 10 ms resolution).
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (u, k): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((u + k) / 100.0)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let owned = std::env::args().nth(2).is_some_and(|s| s == "owned");
    let customers = std::env::var("YUTANG_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(n / 10);
    let cfg = SynthConfig { events: n, customers, ..Default::default() };
    // `pregen`: generate every batch before ingesting any (for profilers: the ingest phase is
    // then one stretch of time)
    let pregen = std::env::args().nth(2).is_some_and(|s| s == "pregen");
    let mut batches: std::collections::VecDeque<Vec<yutang::synth::SynthEvent>> = if pregen {
        (0..n).step_by(100_000).map(|start| synth_events(&cfg, start..(start + 100_000).min(n))).collect()
    } else {
        Default::default()
    };
    if pregen {
        eprintln!("generated");
    }
    let mut pool = yutang::Pool::default();
    let batch = 100_000;
    let (mut wall, mut cpu) = (0.0, 0.0);
    for start in (0..n).step_by(batch) {
        let range = start..(start + batch).min(n);
        let (r, t, c0);
        // the host's borrowed data is dropped after the clock stops (it is not the pool's work)
        let mut kept = Vec::new();
        if owned {
            let evs = events(&cfg, range);
            (t, c0) = (Instant::now(), thread_cpu());
            r = pool.ingest(evs);
        } else {
            let evs = batches.pop_front().unwrap_or_else(|| synth_events(&cfg, range));
            (t, c0) = (Instant::now(), thread_cpu());
            let mut ing = pool.ingester();
            for e in &evs {
                e.push_to(&mut ing);
            }
            r = ing.finish();
            kept = evs;
        }
        wall += t.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            cpu += b - a;
        }
        drop(kept);
        assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    }
    let s = pool.stats();
    let mem = pool.memory_bytes();
    println!(
        "{n} events ({}): wall {wall:.2}s = {:.2} M events/s; thread CPU {cpu:.2}s = {:.2} M events/s; {s:?}; {:.1} B/event, {:.1} B/customer",
        if owned { "owned Events" } else { "borrowed" },
        n as f64 / wall / 1e6,
        n as f64 / cpu.max(1e-9) / 1e6,
        mem as f64 / n as f64,
        mem as f64 / s.customers as f64
    );
}
