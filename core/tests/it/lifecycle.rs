//! Lifecycle stages on the pool: hand-computed cases (arithmetic in the comments), the
//! interface other modules use, snapshots, errors, and the law "the stage at t is the last
//! history entry at or before t".

use proptest::prelude::*;
use yutang::lifecycle::{stage_at, LifecycleConfig, Rhythm, Stage, StageChange};
use yutang::{parse_time, Event, EventKind, Identity, IdentityKind, Money, Pool, Timestamp};

fn t(s: &str) -> Timestamp {
    parse_time(s, chrono_tz::Asia::Shanghai).unwrap()
}

fn ev(id: &str, at: &str, kind: EventKind, phone: &str) -> Event {
    let mut e = Event::new(id, t(at), kind.clone(), vec![Identity::new(IdentityKind::Phone, phone)]);
    if matches!(kind, EventKind::Order | EventKind::Refund) {
        e.money = Some(Money::new(10_000, yutang::Currency::CNY));
    }
    e
}

const A: &str = "13800138000";
const B: &str = "13900139000";
const C: &str = "13700137000";

/// A: registers 01-01, orders 01-10, 08-01, 08-05 (churned in between -> won back -> repeat).
/// B: registers 03-01, never orders (prospect). C: orders once on 06-01 (new, then at risk).
fn pool() -> Pool {
    let mut p = Pool::default();
    let r = p.ingest(vec![
        ev("a1", "2024-01-01 09:00", EventKind::Register, A),
        ev("a2", "2024-01-10 15:00", EventKind::Order, A),
        ev("a3", "2024-08-01 10:00", EventKind::Order, A),
        ev("a4", "2024-08-05 10:00", EventKind::Order, A),
        ev("b1", "2024-03-01 12:00", EventKind::View, B),
        ev("c1", "2024-06-01 12:00", EventKind::Order, C),
    ]);
    assert_eq!(r.accepted, 6);
    p
}

fn id(p: &Pool, phone: &str) -> String {
    p.resolve(&Identity::new(IdentityKind::Phone, phone)).unwrap()
}

#[test]
fn stages_at_dates_hand_computed() {
    let p = pool();
    let (a, b, c) = (id(&p, A), id(&p, B), id(&p, C));
    let at = |when: &str, who: &str| p.stage_of(who, t(when)).unwrap().map(|s| (s.stage, s.since));
    // before anything
    assert_eq!(at("2023-12-31", &a), None);
    assert_eq!(at("2024-01-05", &a), Some((Stage::Prospect, t("2024-01-01 09:00"))));
    assert_eq!(at("2024-01-10 15:00", &a), Some((Stage::New, t("2024-01-10 15:00"))));
    // 2024-01-10 + 90 days: Jan has 21 days left, Feb 29, Mar 31 (= 81), + 9 -> 2024-04-09
    assert_eq!(at("2024-04-08 23:59:59", &a).unwrap().0, Stage::New);
    assert_eq!(at("2024-04-09 00:00", &a), Some((Stage::AtRisk, t("2024-04-09"))));
    // + 180 days: 90 + 21 (Apr) + 31 (May) + 30 (Jun) + 8 -> 2024-07-08
    assert_eq!(at("2024-07-08 00:00", &a), Some((Stage::Churned, t("2024-07-08"))));
    assert_eq!(at("2024-08-01 10:00", &a), Some((Stage::WonBack, t("2024-08-01 10:00"))));
    assert_eq!(at("2024-08-05 10:00", &a), Some((Stage::Repeat, t("2024-08-05 10:00"))));
    assert_eq!(at("2025-01-01", &b), Some((Stage::Prospect, t("2024-03-01 12:00"))));
    // C: 06-01 + 90 = 08-30 (29 + 31 + 30)
    assert_eq!(at("2024-08-30 12:00", &c), Some((Stage::AtRisk, t("2024-08-30"))));
    // the free function other modules call agrees
    let view = p.customer(&c).unwrap();
    assert_eq!(stage_at(&p, view, t("2024-08-30 12:00")).unwrap().stage, Stage::AtRisk);
}

#[test]
fn lifecycle_rows_distribution_matrix_and_changes() {
    let p = pool();
    let (a, b, c) = (id(&p, A), id(&p, B), id(&p, C));
    let as_of = t("2024-09-01");
    let rows = p.lifecycle(as_of);
    let get = |who: &str| rows.iter().find(|r| r.customer_id == who).unwrap().stage;
    assert_eq!((get(&a), get(&b), get(&c)), (Stage::Repeat, Stage::Prospect, Stage::AtRisk));
    // founding order: A (01-01), B (03-01), C (06-01)
    assert_eq!(rows.iter().map(|r| r.customer_id.clone()).collect::<Vec<_>>(), vec![a.clone(), b.clone(), c.clone()]);
    let d = p.stage_distribution(as_of);
    assert_eq!(
        d,
        vec![
            (Stage::Prospect, 1),
            (Stage::New, 0),
            (Stage::Repeat, 1),
            (Stage::AtRisk, 1),
            (Stage::Churned, 0),
            (Stage::WonBack, 0)
        ]
    );
    // at 2024-05-01: A at risk, B prospect, C unknown; at 2024-09-01: A repeat, B prospect, C at risk
    let m = p.stage_transitions(t("2024-05-01"), as_of);
    let cell =
        |from: Option<Stage>, to: Stage| m.iter().find(|x| x.from == from && x.to == to).map_or(0, |x| x.customers);
    assert_eq!(cell(Some(Stage::AtRisk), Stage::Repeat), 1);
    assert_eq!(cell(Some(Stage::Prospect), Stage::Prospect), 1);
    assert_eq!(cell(None, Stage::AtRisk), 1);
    assert_eq!(m.iter().map(|x| x.customers).sum::<u64>(), 3);
    // transitions in (07-01, 09-01]: A churned 07-08, won back 08-01, repeat 08-05; C at risk 08-30
    let ch = p.stage_changes(t("2024-07-01"), as_of);
    let want = vec![
        StageChange { customer_id: a.clone(), from: Some(Stage::AtRisk), to: Stage::Churned, at: t("2024-07-08") },
        StageChange {
            customer_id: a.clone(),
            from: Some(Stage::Churned),
            to: Stage::WonBack,
            at: t("2024-08-01 10:00"),
        },
        StageChange {
            customer_id: a.clone(),
            from: Some(Stage::WonBack),
            to: Stage::Repeat,
            at: t("2024-08-05 10:00"),
        },
        StageChange { customer_id: c.clone(), from: Some(Stage::New), to: Stage::AtRisk, at: t("2024-08-30") },
    ];
    assert_eq!(ch, want);
    // the window is half-open: (after, until]
    assert!(p.stage_changes(t("2024-07-08"), t("2024-07-31")).is_empty());
    let h = p.stage_history(&a, as_of).unwrap();
    assert_eq!(
        h.iter().map(|x| x.to).collect::<Vec<_>>(),
        vec![Stage::Prospect, Stage::New, Stage::AtRisk, Stage::Churned, Stage::WonBack, Stage::Repeat]
    );
    assert!(p.stage_history("cnotacustomer0000000000", as_of).is_err());
}

#[test]
fn config_is_validated_kept_and_snapshotted() {
    let mut p = pool();
    let e = p.set_lifecycle_config(LifecycleConfig::new().at_risk_days(200)).unwrap_err();
    assert_eq!(e.field(), Some("lifecycle.churned_days"));
    assert!(e.to_string().contains("overlap or are unordered"), "{e}");
    assert_eq!(p.lifecycle_config(), &LifecycleConfig::default());
    // 30 / 60 days: C (06-01) is at risk from 07-01 (29 + 1 days) and churned from 07-31
    p.set_lifecycle_config(LifecycleConfig::new().at_risk_days(30).churned_days(60)).unwrap();
    let c = id(&p, C);
    assert_eq!(p.stage_of(&c, t("2024-07-31")).unwrap().unwrap().stage, Stage::Churned);
    assert_eq!(p.stage_of(&c, t("2024-07-30 23:00")).unwrap().unwrap().stage, Stage::AtRisk);
    let q = Pool::restore(&p.snapshot()).unwrap();
    assert_eq!(q.lifecycle_config(), p.lifecycle_config());
    assert_eq!(q.lifecycle(t("2024-09-01")), p.lifecycle(t("2024-09-01")));
    // a default config writes no section: the snapshot of a default pool is unchanged
    let fresh = pool();
    assert_eq!(Pool::restore(&fresh.snapshot()).unwrap().lifecycle_config(), &LifecycleConfig::default());
}

#[test]
fn business_zone_decides_the_day() {
    // an order at 2024-01-10 23:30 in Shanghai is 2024-01-10 15:30 UTC: same day in both;
    // one at 2024-01-11 00:30 Shanghai is 2024-01-10 16:30 UTC: day 01-11 in Shanghai,
    // 01-10 in UTC, so at risk one day later in Shanghai than in UTC
    let mk = |tz: &str| {
        let cfg = yutang::PoolConfig { time_zone: tz.into(), ..Default::default() };
        let mut p = Pool::new(cfg).unwrap();
        p.ingest(vec![ev("o", "2024-01-11T00:30:00+08:00", EventKind::Order, A)]);
        p
    };
    let (sh, utc) = (mk("Asia/Shanghai"), mk("UTC"));
    let s = sh.lifecycle(t("2024-06-01"))[0].clone();
    let s = (s.stage, s.since);
    let u = utc.lifecycle(t("2024-06-01"))[0].clone();
    // Shanghai: 2024-01-11 + 90 = 2024-04-10, 00:00 +08:00; UTC: 2024-01-10 + 90 = 2024-04-09 00:00Z
    assert_eq!(s, (Stage::AtRisk, parse_time("2024-04-10T00:00:00+08:00", chrono_tz::UTC).unwrap()));
    assert_eq!((u.stage, u.since), (Stage::AtRisk, parse_time("2024-04-09T00:00:00Z", chrono_tz::UTC).unwrap()));
}

#[test]
fn rhythm_config_on_the_pool() {
    // orders every 10 days (3 order days, gaps 10, 10 -> median 10): at risk after 2 × 10 = 20
    // days, churned after 4 × 10 = 40; with the fixed days they would still be repeat
    let mut p = Pool::default();
    p.ingest(vec![
        ev("1", "2024-03-01 10:00", EventKind::Order, A),
        ev("2", "2024-03-11 10:00", EventKind::Order, A),
        ev("3", "2024-03-21 10:00", EventKind::Order, A),
    ]);
    let a = id(&p, A);
    assert_eq!(p.stage_of(&a, t("2024-04-20")).unwrap().unwrap().stage, Stage::Repeat);
    p.set_lifecycle_config(LifecycleConfig::new().rhythm(Rhythm::default())).unwrap();
    // 03-21 + 20 = 04-10; + 40 = 04-30
    assert_eq!(p.stage_of(&a, t("2024-04-10")).unwrap().unwrap().stage, Stage::AtRisk);
    assert_eq!(p.stage_of(&a, t("2024-04-30")).unwrap().unwrap().stage, Stage::Churned);
}

fn arb_pool() -> impl Strategy<Value = (Vec<(i64, bool)>, u32)> {
    // (minute offset over ~2 years, is order) events of one customer; thresholds 1..60 days
    (prop::collection::vec((0i64..1_000_000, any::<bool>()), 1..30), 1u32..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn stage_at_is_the_last_history_entry((evs, ar) in arb_pool(), probes in prop::collection::vec(-10_000i64..1_200_000, 1..12), rhythm in any::<bool>()) {
        let base = t("2023-01-01").micros();
        let mut p = Pool::default();
        let events: Vec<Event> = evs.iter().enumerate().map(|(i, &(m, order))| {
            let at = Timestamp::from_micros(base + m * 60_000_000).unwrap();
            let mut e = Event::new(format!("e{i}"), at, if order { EventKind::Order } else { EventKind::View },
                vec![Identity::new(IdentityKind::Phone, A)]);
            if order { e.money = Some(Money::new(100, yutang::Currency::CNY)); }
            e
        }).collect();
        p.ingest(events);
        let mut cfg = LifecycleConfig::new().at_risk_days(ar).churned_days(ar * 2);
        if rhythm { cfg = cfg.rhythm(Rhythm { at_risk_multiple: 1.5, churned_multiple: 3.0, min_orders: 3 }); }
        p.set_lifecycle_config(cfg).unwrap();
        let a = id(&p, A);
        let end = Timestamp::from_micros(base + 1_300_000 * 60_000_000).unwrap();
        let full = p.stage_history(&a, end).unwrap();
        // history times never decrease; each entry's `from` is the previous `to`
        for w in full.windows(2) {
            prop_assert!(w[0].at <= w[1].at);
            prop_assert_eq!(w[1].from, Some(w[0].to));
        }
        for m in probes {
            let at = Timestamp::from_micros(base + m * 60_000_000).unwrap();
            let want = full.iter().rfind(|x| x.at <= at).map(|x| (x.to, x.at));
            let got = p.stage_of(&a, at).unwrap().map(|s| (s.stage, s.since));
            prop_assert_eq!(got, want);
            // the history up to `at` is a prefix of the full history
            let part = p.stage_history(&a, at).unwrap();
            prop_assert_eq!(&full[..part.len()], &part[..]);
            // the changes in (at, end] are the history entries after `at`
            let ch: Vec<(Option<Stage>, Stage, Timestamp)> =
                p.stage_changes(at, end).into_iter().map(|c| (c.from, c.to, c.at)).collect();
            let want: Vec<(Option<Stage>, Stage, Timestamp)> =
                full.iter().filter(|x| x.at > at).map(|x| (x.from, x.to, x.at)).collect();
            prop_assert_eq!(ch, want);
        }
    }
}

/// tests/vectors/lifecycle.json (shared with the Python and Kotlin tests).
#[test]
fn lifecycle_vectors() {
    use serde_json::Value;
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/lifecycle.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    let stage_pair = |v: &Value| -> Option<(String, String)> {
        v.as_array().map(|a| (a[0].as_str().unwrap().to_string(), a[1].as_str().unwrap().to_string()))
    };
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let tz = case.get("time_zone").and_then(Value::as_str).unwrap_or("Asia/Shanghai");
        let cfg = yutang::PoolConfig { time_zone: tz.into(), ..Default::default() };
        let mut p = Pool::new(cfg).unwrap();
        let inputs: Vec<yutang::EventInput> = serde_json::from_value(case["events"].clone()).unwrap();
        assert!(p.ingest_inputs(&inputs).rejected.is_empty(), "{name}");
        if !case["config"].is_null() {
            p.set_lifecycle_config(serde_json::from_value(case["config"].clone()).unwrap()).unwrap();
        }
        let tz = p.time_zone();
        let who = |phone: &str| p.resolve(&Identity::new(IdentityKind::Phone, phone)).unwrap();
        for probe in case["stages"].as_array().unwrap() {
            let as_of = parse_time(probe["as_of"].as_str().unwrap(), tz).unwrap();
            for (phone, want) in probe["expect"].as_object().unwrap() {
                let got = p.stage_of(&who(phone), as_of).unwrap().map(|s| (s.stage.to_string(), s.since.to_rfc3339()));
                assert_eq!(got, stage_pair(want), "{name} {phone} at {as_of}");
            }
        }
        if let Some(d) = case.get("distribution") {
            let as_of = parse_time(d["as_of"].as_str().unwrap(), tz).unwrap();
            for (stage, n) in p.stage_distribution(as_of) {
                assert_eq!(Some(n), d["expect"][stage.as_str()].as_u64(), "{name} {stage}");
            }
        }
        if let Some(h) = case.get("history") {
            let as_of = parse_time(h["as_of"].as_str().unwrap(), tz).unwrap();
            let got: Vec<(Option<String>, String, String)> = p
                .stage_history(&who(h["phone"].as_str().unwrap()), as_of)
                .unwrap()
                .iter()
                .map(|x| (x.from.map(|s| s.to_string()), x.to.to_string(), x.at.to_rfc3339()))
                .collect();
            let want: Vec<(Option<String>, String, String)> = h["expect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (x[0].as_str().map(str::to_string), x[1].as_str().unwrap().into(), x[2].as_str().unwrap().into())
                })
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
