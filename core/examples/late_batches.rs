//! Late batches at size: a year of daily batches in which a share of each day's events arrives
//! one day late ([`yutang::synth::late_batch`]), against the same events in order. Times only
//! `Pool::ingest(Vec<Event>)`; reports both totals, their ratio, the late events and full
//! passes the reports counted, and checks that both pools end equal (the same customers in the
//! same order, the same conflicts, profiles and timelines).
//!
//! `cargo run --release --example late_batches -- [events=10000000] [late_percent=1] [batches=365]`
use std::time::Instant;
use yutang::synth::{late_batch, SynthConfig};
use yutang::Pool;

fn main() {
    let arg = |k: usize, d: usize| std::env::args().nth(k).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n, late_pct, batches) = (arg(1, 10_000_000), arg(2, 1) as u64, arg(3, 365));
    let cfg = SynthConfig { events: n, customers: (n / 10).max(1), ..Default::default() };
    let run = |pct: u64| {
        let mut pool = Pool::default();
        let (mut secs, mut late, mut full) = (0.0, 0usize, 0usize);
        for d in 0..batches {
            let evs = late_batch(&cfg, batches, pct, d);
            let t = Instant::now();
            let r = pool.ingest(evs);
            secs += t.elapsed().as_secs_f64();
            assert!(r.rejected.is_empty());
            late += r.late;
            full += usize::from(r.full_pass);
        }
        (pool, secs, late, full)
    };
    let (in_order, t_in, none_late, _) = run(0);
    assert_eq!(none_late, 0);
    let (late, t_late, late_events, full_passes) = run(late_pct);
    println!(
        "{n} events in {batches} batches, {} customers: in order {t_in:.2}s; {late_pct}% one batch late \
         {t_late:.2}s ({:.2}x); {late_events} late events, {full_passes} full passes",
        in_order.stats().customers,
        t_late / t_in,
    );
    // the merge logs differ by design: a late batch logs what it moved, not each merge again
    let t = Instant::now();
    let counts = |p: &Pool| {
        let s = p.stats();
        (s.events, s.identities, s.customers, s.conflicts)
    };
    assert_eq!(counts(&late), counts(&in_order), "same counts");
    assert_eq!(late.customer_ids(), in_order.customer_ids(), "same customers, same order");
    assert_eq!(late.conflicts(), in_order.conflicts(), "same conflicts");
    assert_eq!(late.profiles(), in_order.profiles(), "same profiles");
    let ids = in_order.customer_ids();
    for id in ids.iter().step_by((ids.len() / 1000).max(1)) {
        assert_eq!(late.timeline(id).ok(), in_order.timeline(id).ok(), "same timeline of {id}");
    }
    println!("pools equal (checked in {:.1}s)", t.elapsed().as_secs_f64());
}
