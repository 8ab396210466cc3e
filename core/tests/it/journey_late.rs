//! Late events: goals, exits, holds and triggers that arrive dated before the last advance.

use proptest::prelude::*;
use std::collections::BTreeSet;
use yutang::journey::examples;
use yutang::{parse_time, EventInput, Pool, Timestamp};

fn t(pool: &Pool, s: &str) -> Timestamp {
    parse_time(s, pool.time_zone()).expect("time")
}

fn ev(id: &str, at: &str, kind: &str, phone: &str) -> EventInput {
    let mut v =
        serde_json::json!({"id": id, "at": at, "kind": kind, "identities": [{"kind": "phone", "value": phone}]});
    if kind == "order" {
        v["amount"] = "20".into();
        v["order_id"] = format!("o-{id}").into();
    }
    serde_json::from_value(v).unwrap()
}

fn ladder_pool(max_lateness: Option<&str>) -> Pool {
    let mut pool = Pool::default();
    let mut j = examples::coffee_coupon_ladder();
    j.max_lateness = max_lateness.map(|m| yutang::journey::Span::parse(m).unwrap());
    pool.add_journey(j, Some(t(&pool, "2024-02-01"))).unwrap();
    pool
}

#[test]
fn a_late_goal_ends_the_instance_as_of_its_time_and_is_reported() {
    let mut pool = ladder_pool(None);
    pool.ingest_inputs(&[ev("r1", "2024-03-01 10:00", "register", "13800000001")]);
    assert!(pool.advance(t(&pool, "2024-03-31 12:00")).unwrap().iter().any(|a| a.step == "coupon_85"));
    // an order of 03-30 08:00, synced after the advance of 03-31 12:00: the ladder ends as
    // converted on 03-30
    pool.ingest_inputs(&[ev("o1", "2024-03-30 08:00", "order", "13800000001")]);
    let r = pool.advance_report(t(&pool, "2024-04-01 12:00")).unwrap();
    assert_eq!(r.late_events, 1);
    assert_eq!(r.ended_late.len(), 1);
    let end = &r.ended_late[0];
    assert_eq!((end.journey.as_str(), end.outcome.as_str()), ("coffee_coupon_ladder", "converted"));
    assert_eq!(end.at, t(&pool, "2024-03-30 08:00"));
    // the order is also a trigger, but dated 28 hours before the last advance: beyond the
    // default 24 hours
    assert_eq!(r.too_late_triggers, 1);
    let later = pool.advance(t(&pool, "2024-06-01")).unwrap();
    assert!(later.is_empty(), "nothing more is sent: {later:?}");
    let inst = pool.journey_instances();
    assert_eq!(inst.len(), 1);
    assert_eq!(inst[0].status, "converted");
    assert_eq!(inst[0].at, t(&pool, "2024-03-30 08:00"));
}

#[test]
fn a_late_trigger_within_max_lateness_starts_at_its_own_time() {
    for (lateness, starts) in [(None, false), (Some("3d"), true)] {
        let mut pool = ladder_pool(lateness);
        pool.ingest_inputs(&[ev("r1", "2024-03-01 10:00", "register", "13800000001")]);
        pool.advance(t(&pool, "2024-03-31 12:00")).unwrap();
        // dated 26 hours before the last advance
        pool.ingest_inputs(&[ev("o1", "2024-03-30 10:00", "order", "13800000001")]);
        let r = pool.advance_report(t(&pool, "2024-04-01 12:00")).unwrap();
        assert_eq!(r.too_late_triggers, u64::from(!starts));
        let acts = pool.advance(t(&pool, "2024-06-01")).unwrap();
        if starts {
            // the post-purchase wait ran from the order's own time: 7 days after 03-30 10:00
            assert_eq!(acts.len(), 1, "{acts:?}");
            assert_eq!(acts[0].step, "first_43");
            assert_eq!(acts[0].due_at, t(&pool, "2024-04-06 10:00"));
        } else {
            assert!(acts.is_empty());
        }
    }
}

#[test]
fn a_late_trigger_gives_the_actions_and_keys_of_an_in_time_one() {
    let on_time = {
        let mut pool = ladder_pool(None);
        pool.ingest_inputs(&[ev("r1", "2024-03-01 10:00", "register", "13800000001")]);
        pool.advance(t(&pool, "2024-03-01 12:00")).unwrap();
        pool.advance(t(&pool, "2024-06-01")).unwrap()
    };
    let mut pool = ladder_pool(None);
    pool.advance(t(&pool, "2024-03-01 12:00")).unwrap();
    pool.ingest_inputs(&[ev("r1", "2024-03-01 10:00", "register", "13800000001")]);
    let r = pool.advance_report(t(&pool, "2024-03-02")).unwrap();
    assert_eq!((r.late_events, r.too_late_triggers), (1, 0));
    let late = pool.advance(t(&pool, "2024-06-01")).unwrap();
    assert_eq!(late, on_time);
    assert_eq!(late.len(), 3);
}

#[test]
fn late_events_survive_a_snapshot_and_an_erasure_of_another_customer() {
    let mut pool = ladder_pool(None);
    pool.ingest_inputs(&[
        ev("r1", "2024-03-01 10:00", "register", "13800000001"),
        ev("r2", "2024-03-01 11:00", "register", "13800000002"),
    ]);
    pool.advance(t(&pool, "2024-03-20")).unwrap();
    let mut back = Pool::restore(&pool.snapshot()).unwrap();
    let other = back.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13800000002")).unwrap();
    back.erase(&other).unwrap();
    back.ingest_inputs(&[ev("o1", "2024-03-19 18:00", "order", "13800000001")]);
    let r = back.advance_report(t(&pool, "2024-03-20 12:00")).unwrap();
    assert_eq!((r.late_events, r.ended_late.len()), (1, 1));
}

/// Events of a few customers, each arriving up to 20 hours after its time, advanced every 6
/// hours: the keys emitted are the in-order run's, plus only actions sent to instances that a
/// late goal or exit then ended, at or after the late event's time.
fn run(
    events: &[(EventInput, i64)],
    delayed: bool,
) -> (BTreeSet<String>, Vec<yutang::journey::Action>, Vec<yutang::journey::LateEnd>) {
    let mut pool = ladder_pool(None);
    let start = t(&pool, "2024-03-01").micros();
    let mut keys = BTreeSet::new();
    let mut actions = Vec::new();
    let mut ended = Vec::new();
    let step = 6 * 3_600_000_000i64;
    let mut now = start;
    let mut done = vec![false; events.len()];
    while now <= start + 100 * 24 * 3_600_000_000 {
        let due: Vec<usize> = (0..events.len())
            .filter(|&k| {
                let (e, delay) = &events[k];
                let at = parse_time(e.at.as_deref().unwrap(), pool.time_zone()).unwrap().micros();
                !done[k] && at + if delayed { *delay } else { 0 } <= now
            })
            .collect();
        let batch: Vec<EventInput> = due.iter().map(|&k| events[k].0.clone()).collect();
        for k in due {
            done[k] = true;
        }
        pool.ingest_inputs(&batch);
        let r = pool.advance_report(Timestamp::from_micros(now).unwrap()).unwrap();
        for a in &r.actions {
            keys.insert(a.key.clone());
        }
        actions.extend(r.actions);
        ended.extend(r.ended_late);
        now += step;
    }
    (keys, actions, ended)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn arrival_order_changes_only_the_reported_actions(
        people in proptest::collection::vec(
            (0i64..20 * 24, proptest::collection::vec((1i64..60 * 24, 0i64..20), 0..4), 0i64..20),
            1..5,
        )
    ) {
        let pool = Pool::default();
        let base = t(&pool, "2024-03-01 09:00").micros();
        let hour = 3_600_000_000i64;
        let fmt = |us: i64| Timestamp::from_micros(us).unwrap().to_rfc3339();
        let mut events = Vec::new();
        for (c, (reg, orders, reg_delay)) in people.iter().enumerate() {
            let phone = format!("1390000{c:04}");
            let at = base + reg * hour;
            events.push((ev(&format!("r{c}"), &fmt(at), "register", &phone), reg_delay * hour));
            for (k, (after, delay)) in orders.iter().enumerate() {
                events.push((ev(&format!("o{c}-{k}"), &fmt(at + after * hour), "order", &phone), delay * hour));
            }
        }
        let (in_order, _, none) = run(&events, false);
        prop_assert!(none.is_empty());
        let (late, late_actions, ended) = run(&events, true);
        prop_assert!(in_order.is_subset(&late), "missing: {:?}", in_order.difference(&late).collect::<Vec<_>>());
        for k in late.difference(&in_order) {
            let a = late_actions.iter().find(|a| &a.key == k).unwrap();
            prop_assert!(
                ended.iter().any(|e| e.customer_id == a.customer_id && e.journey == a.journey && e.at <= a.due_at),
                "an extra action not explained by a late end: {a:?} {ended:?}"
            );
        }
    }
}
