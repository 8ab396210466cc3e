//! Quick ingest timing (the criterion bench `ingest` is the reference).
use std::time::Instant;
use yutang::synth::{events, SynthConfig};
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let mut pool = yutang::Pool::default();
    let batch = 100_000;
    let mut t_ingest = 0.0;
    for start in (0..n).step_by(batch) {
        let evs = events(&cfg, start..(start + batch).min(n));
        let t = Instant::now();
        let r = pool.ingest(evs);
        t_ingest += t.elapsed().as_secs_f64();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    }
    let s = pool.stats();
    let mem = pool.memory_bytes();
    println!(
        "{n} events in {t_ingest:.2}s = {:.2} M events/s; {s:?}; {:.1} B/event, {:.1} B/customer",
        n as f64 / t_ingest / 1e6,
        mem as f64 / n as f64,
        mem as f64 / s.customers as f64
    );
}
