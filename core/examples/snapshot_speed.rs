//! Durable state at size, measured the way a host would: time only `Pool::ingest(Vec<Event>)`
//! over `yutang::synth::events` in batches of 100,000, then `snapshot()` and
//! `Pool::restore(&bytes)` (the first pool dropped before the restore), then the streaming
//! forms; report each time, the ratios to the ingest time, bytes per event, and the process's
//! peak resident memory after each phase (Linux: VmHWM).
//!
//! `cargo run --release --example snapshot_speed -- 10000000 [customers]`
use std::time::Instant;
use yutang::synth::{events, SynthConfig};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let customers: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(n / 10);
    let cfg = SynthConfig { events: n, customers, ..Default::default() };
    let mut pool = yutang::Pool::default();
    let mut ingest = 0.0;
    for start in (0..n).step_by(100_000) {
        let evs = events(&cfg, start..(start + 100_000).min(n));
        let t = Instant::now();
        let r = pool.ingest(evs);
        ingest += t.elapsed().as_secs_f64();
        assert!(r.rejected.is_empty());
    }
    let after_ingest = peak_rss_mb();
    let mem = pool.memory_bytes();
    let t = Instant::now();
    let blob = pool.snapshot();
    let snap = t.elapsed().as_secs_f64();
    let after_snapshot = peak_rss_mb();
    let stats = pool.stats();
    drop(pool);
    let t = Instant::now();
    let back = yutang::Pool::restore(&blob).expect("restores");
    let restore = t.elapsed().as_secs_f64();
    let after_restore = peak_rss_mb();
    assert_eq!(back.stats(), stats);
    println!(
        "{n} events, {} customers: ingest {ingest:.2}s; snapshot {snap:.2}s ({:.2}x ingest), {} bytes ({:.1} B/event); \
         restore {restore:.2}s ({:.2}x ingest); pool memory_bytes {:.0} MB; peak RSS MB after ingest {after_ingest:.0}, \
         after snapshot {after_snapshot:.0}, after restore {after_restore:.0} ({:.2}x the ingest peak)",
        stats.customers,
        snap / ingest,
        blob.len(),
        blob.len() as f64 / n as f64,
        restore / ingest,
        mem as f64 / 1e6,
        after_restore / after_ingest,
    );
}
