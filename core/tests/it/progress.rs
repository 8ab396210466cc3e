//! Progress callbacks: what they are told, and what a stop keeps.

use crate::snapshots::same_pool;
use yutang::journey::examples;
use yutang::progress::{Progress, Stage, STEPS};
use yutang::synth::{synth_events, SynthConfig};
use yutang::{parse_time, Error, Pool};

fn cfg(events: usize) -> SynthConfig {
    SynthConfig { events, customers: events / 10, ..SynthConfig::default() }
}

/// Ingest synthetic events through a metered ingester; `stop_after`: the callback returns
/// `false` from that call on.
fn metered(pool: &mut Pool, n: usize, stop_after: Option<usize>) -> (yutang::IngestReport, Vec<Progress>) {
    let events = synth_events(&cfg(n), 0..n);
    let mut seen = Vec::new();
    let mut on = |p: Progress| {
        seen.push(p);
        stop_after.is_none_or(|k| seen.len() <= k)
    };
    let mut ing = pool.ingester_with_progress(n as u64, &mut on);
    for e in &events {
        if ing.stopped() {
            break;
        }
        e.push_to(&mut ing);
    }
    let report = ing.finish();
    (report, seen)
}

#[test]
fn ingest_reports_each_stage_from_zero_to_its_total() {
    let n = 1234;
    let mut pool = Pool::default();
    let (report, seen) = metered(&mut pool, n, None);
    assert_eq!(report.accepted, n);
    assert!(!report.stopped);
    let ingest: Vec<u64> = seen.iter().filter(|p| p.stage == Stage::Ingest).map(|p| p.done).collect();
    // every ceil(1234 / 100) = 13 events, then the end
    let mut want: Vec<u64> = (0..=n as u64).step_by(13).collect();
    want.push(n as u64);
    assert_eq!(ingest, want);
    assert!(ingest.len() as u64 <= STEPS + 1);
    assert!(seen.iter().all(|p| p.total == n as u64));
    let link: Vec<(u64, u64)> = seen.iter().filter(|p| p.stage == Stage::Link).map(|p| (p.done, p.total)).collect();
    assert_eq!(link, [(0, n as u64), (n as u64, n as u64)]);
    // the same pool as without a callback
    let mut plain = Pool::default();
    let events = synth_events(&cfg(n), 0..n);
    let mut ing = plain.ingester();
    events.iter().for_each(|e| e.push_to(&mut ing));
    ing.finish();
    same_pool(&pool, &plain);
}

#[test]
fn a_stopped_ingest_keeps_what_it_read_and_a_second_ingest_completes_it() {
    let n = 2007;
    let every = 21; // ceil(2007 / 100)
    let mut pool = Pool::default();
    // the callback answers false at its third call: after 2 * 21 events
    let (report, seen) = metered(&mut pool, n, Some(2));
    assert!(report.stopped);
    assert_eq!(report.accepted + report.duplicates + report.rejected.len(), 2 * every);
    assert_eq!(pool.stats().events, 2 * every);
    assert!(seen.iter().all(|p| p.stage == Stage::Ingest), "no link stage reported after a stop: {seen:?}");
    // the rest, by ingesting everything again: the stored ones are duplicates
    let (again, _) = metered(&mut pool, n, None);
    assert_eq!((again.accepted, again.duplicates), (n - 2 * every, 2 * every));
    let mut whole = Pool::default();
    metered(&mut whole, n, None);
    same_pool(&pool, &whole);
}

#[test]
fn ingest_inputs_with_progress_stops_reading_at_once() {
    let inputs: Vec<yutang::EventInput> = (0..5)
        .map(|i| {
            serde_json::from_value(serde_json::json!({"id": format!("e{i}"), "at": "2024-05-01 10:00",
                "kind": "view", "identities": [{"kind": "phone", "value": format!("1380013800{i}")}]}))
            .unwrap()
        })
        .collect();
    let mut pool = Pool::default();
    let report = pool.ingest_inputs_with_progress(&inputs, &mut |_| false);
    assert!(report.stopped);
    assert_eq!((report.accepted, pool.stats().events), (0, 0));
}

#[test]
fn simulate_reports_customers_and_a_stop_is_an_error() {
    let n = 20_000;
    let mut pool = Pool::default();
    metered(&mut pool, n, None);
    let tz = pool.time_zone();
    let (start, end) = (parse_time("2024-01-01", tz).unwrap(), parse_time("2024-12-31", tz).unwrap());
    let journeys = [examples::coffee_coupon_ladder()];
    let mut seen = Vec::new();
    let sim = pool
        .simulate_with_progress(&journeys, start, end, &mut |p| {
            seen.push(p);
            true
        })
        .unwrap();
    assert_eq!(sim, pool.simulate(&journeys, start, end).unwrap());
    assert!(seen.iter().all(|p| p.stage == Stage::Journeys));
    let last = seen.last().unwrap();
    assert!(last.total > 1000, "{last:?}");
    assert_eq!(last.done, last.total);
    assert_eq!(seen[0].done, 0);
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done && w[0].total == w[1].total));
    let n = seen.len() as u64;
    assert!((STEPS / 2..=STEPS + 1).contains(&n), "{n} reports for {} customers", last.total);
    let mut calls = 0;
    let err = pool
        .simulate_with_progress(&journeys, start, end, &mut |_| {
            calls += 1;
            calls < 3
        })
        .unwrap_err();
    assert_eq!(err, Error::Cancelled { call: "simulate".into() });
    assert_eq!(err.to_string(), "simulate stopped by its progress callback");
}
