//! RFM on the pool and on columns: hand-computed cases (arithmetic in the comments), the tier
//! map's partition check, and the laws: every buyer gets exactly one tier, scores in 1..=5,
//! a map with a gap or an overlap is refused naming the cell.

use proptest::prelude::*;
use yutang::rfm::{rfm_scores, Cells, RfmOptions, Scoring, Tier, TierMap};
use yutang::{parse_time, Currency, Event, EventKind, Identity, IdentityKind, Money, Pool, Timestamp};

fn t(s: &str) -> Timestamp {
    parse_time(s, chrono_tz::Asia::Shanghai).unwrap()
}

fn order(id: &str, at: &str, phone: &str, fen: i64, cur: Currency, kind: EventKind) -> Event {
    let mut e = Event::new(id, t(at), kind, vec![Identity::new(IdentityKind::Phone, phone)]);
    e.money = Some(Money::new(fen, cur));
    e
}

#[test]
fn pool_rfm_hand_computed() {
    let mut p = Pool::default();
    let o = |id: &str, at: &str, phone: &str, fen: i64| order(id, at, phone, fen, Currency::CNY, EventKind::Order);
    p.ingest(vec![
        // P1: 3 orders (100 + 200 + 300) − refund 50 = 550.00, last 2024-05-30 23:30 (Shanghai)
        o("1", "2024-05-01 10:00", "13800000001", 10_000),
        o("2", "2024-05-20 10:00", "13800000001", 20_000),
        o("3", "2024-05-30 23:30", "13800000001", 30_000),
        order("4", "2024-05-31 09:00", "13800000001", 5_000, Currency::CNY, EventKind::Refund),
        // P2: 1 order 19.90 on 2024-03-01
        o("5", "2024-03-01 10:00", "13800000002", 1_990),
        // P3: 2 orders 50 + 50 on 2024-04-01, 2024-04-15
        o("6", "2024-04-01 10:00", "13800000003", 5_000),
        o("7", "2024-04-15 10:00", "13800000003", 5_000),
        // P4: never orders; P1's order after as_of is ignored
        Event::new("8", t("2024-05-01"), EventKind::View, vec![Identity::new(IdentityKind::Phone, "13800000004")]),
        o("9", "2024-07-01 10:00", "13800000001", 99_900),
    ]);
    let rows = p.rfm(t("2024-06-01 08:00")).unwrap();
    assert_eq!(rows.len(), 3, "only buyers");
    let get = |phone: &str| {
        let id = p.resolve(&Identity::new(IdentityKind::Phone, phone)).unwrap();
        rows.iter().find(|r| r.customer_id == id).unwrap().clone()
    };
    let (p1, p2, p3) = (get("13800000001"), get("13800000002"), get("13800000003"));
    // recency: 05-30 -> 06-01 = 2 days; 03-01 -> 06-01 = 31 + 30 + 31 = 92; 04-15 -> 06-01 = 15 + 31 = 47
    assert_eq!((p1.recency_days, p1.frequency, p1.monetary), (2, 3, 550.0));
    assert_eq!((p2.recency_days, p2.frequency, p2.monetary), (92, 1, 19.9));
    assert_eq!((p3.recency_days, p3.frequency, p3.monetary), (47, 2, 100.0));
    // n = 3, no ties: x = (rank − 1)/2 = 0, 0.5, 1 -> scores 1, 3, 5
    assert_eq!((p1.r, p1.f, p1.m), (5, 5, 5));
    assert_eq!((p2.r, p2.f, p2.m), (1, 1, 1));
    assert_eq!((p3.r, p3.f, p3.m), (3, 3, 3));
    assert_eq!((p1.tier.as_str(), p2.tier.as_str(), p3.tier.as_str()), ("champions", "lost", "needs_attention"));
}

#[test]
fn other_currencies_need_rates() {
    let mut p = Pool::default();
    p.ingest(vec![
        order("1", "2024-05-01 10:00", "13800000001", 10_000, Currency::CNY, EventKind::Order),
        order("2", "2024-05-02 10:00", "13800000001", 1_000, Currency::parse("USD").unwrap(), EventKind::Order),
    ]);
    let e = p.rfm(t("2024-06-01")).unwrap_err();
    assert!(matches!(e, yutang::Error::CurrencyMismatch { .. }), "{e}");
    let mut o = RfmOptions::new();
    o.rates.insert(Currency::parse("USD").unwrap(), 7.0);
    p.set_rfm_options(o.clone()).unwrap();
    // 100.00 CNY + 10.00 USD × 7 = 170 CNY
    assert_eq!(p.rfm(t("2024-06-01")).unwrap()[0].monetary, 170.0);
    o.rates.insert(Currency::parse("EUR").unwrap(), -1.0);
    assert_eq!(p.set_rfm_options(o).unwrap_err().field(), Some("rates.EUR"));
    // kept in snapshots
    let q = Pool::restore(&p.snapshot()).unwrap();
    assert_eq!(q.rfm_options(), p.rfm_options());
}

#[test]
fn fixed_cut_points() {
    let mut o = RfmOptions::new();
    o.recency = Scoring::Cuts([30.0, 60.0, 90.0, 180.0]);
    o.frequency = Scoring::Cuts([1.0, 2.0, 4.0, 8.0]);
    o.monetary = Scoring::Cuts([100.0, 300.0, 1000.0, 3000.0]);
    // right-closed bins: 30 days -> 5, 31 -> 4; 1 order -> 1, 3 -> 3; 100 -> 1, 100.01 -> 2
    let s = rfm_scores(&[30.0, 31.0, 400.0], &[1.0, 3.0, 9.0], &[100.0, 100.01, 5000.0], &o).unwrap();
    assert_eq!((s.r, s.f, s.m), (vec![5, 4, 1], vec![1, 3, 5], vec![1, 2, 5]));
    o.frequency = Scoring::Cuts([1.0, 1.0, 4.0, 8.0]);
    assert_eq!(rfm_scores(&[1.0], &[1.0], &[1.0], &o).unwrap_err().field(), Some("rfm.frequency.cuts[1]"));
    assert_eq!(rfm_scores(&[1.0, 2.0], &[1.0], &[1.0], &RfmOptions::new()).unwrap_err().field(), Some("frequency"));
    assert_eq!(rfm_scores(&[-1.0], &[1.0], &[1.0], &RfmOptions::new()).unwrap_err().field(), Some("recency_days[0]"));
}

#[test]
fn user_defined_tiers() {
    // two tiers: "vip" = R ≥ 4 and M = 5, "rest" = everything else (three boxes)
    let map = TierMap {
        tiers: vec![
            Tier { name: "vip".into(), cells: vec![Cells::new([4, 5], [1, 5], [5, 5])] },
            Tier {
                name: "rest".into(),
                cells: vec![Cells::new([1, 3], [1, 5], [1, 5]), Cells::new([4, 5], [1, 5], [1, 4])],
            },
        ],
    };
    let c = map.compile().unwrap();
    assert_eq!((c.name_of(5, 1, 5), c.name_of(3, 5, 5), c.name_of(4, 4, 4)), ("vip", "rest", "rest"));
    // JSON shape: missing ranges mean 1..=5
    let m: TierMap = serde_json::from_str(r#"{"tiers": [{"name": "all", "cells": [{}]}]}"#).unwrap();
    assert_eq!(m.compile().unwrap().name_of(2, 3, 4), "all");
}

fn cells() -> Vec<(u8, u8, u8)> {
    let mut v = Vec::new();
    for r in 1..=5 {
        for f in 1..=5 {
            for m in 1..=5 {
                v.push((r, f, m));
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_buyer_gets_exactly_one_tier_and_scores_are_1_to_5(
        rows in prop::collection::vec((0u32..400, 1u32..30, -100i64..100_000), 1..200),
        cuts in any::<bool>(),
    ) {
        let rec: Vec<f64> = rows.iter().map(|r| r.0 as f64).collect();
        let freq: Vec<f64> = rows.iter().map(|r| r.1 as f64).collect();
        let mon: Vec<f64> = rows.iter().map(|r| r.2 as f64 / 100.0).collect();
        let mut o = RfmOptions::new();
        if cuts {
            o.recency = Scoring::Cuts([30.0, 60.0, 90.0, 180.0]);
            o.monetary = Scoring::Cuts([10.0, 50.0, 200.0, 500.0]);
        }
        let s = rfm_scores(&rec, &freq, &mon, &o).unwrap();
        prop_assert_eq!(s.tier.len(), rows.len());
        let c = o.tiers.compile().unwrap();
        for i in 0..rows.len() {
            for v in [s.r[i], s.f[i], s.m[i]] {
                prop_assert!((1..=5).contains(&v));
            }
            // exactly one tier contains the cell
            let owners = o.tiers.tiers.iter().filter(|t| t.cells.iter().any(|b| {
                (b.r[0]..=b.r[1]).contains(&s.r[i]) && (b.f[0]..=b.f[1]).contains(&s.f[i]) && (b.m[0]..=b.m[1]).contains(&s.m[i])
            })).count();
            prop_assert_eq!(owners, 1);
            prop_assert_eq!(s.tier[i] as usize, c.tier_of(s.r[i], s.f[i], s.m[i]));
        }
        // monotone: a larger value never gets a lower score; equal values equal scores
        for i in 0..rows.len() {
            for j in 0..rows.len() {
                if freq[i] > freq[j] { prop_assert!(s.f[i] >= s.f[j]); }
                if freq[i] == freq[j] { prop_assert_eq!(s.f[i], s.f[j]); }
                if rec[i] < rec[j] { prop_assert!(s.r[i] >= s.r[j]); }
            }
        }
    }

    #[test]
    fn a_gap_or_an_overlap_is_refused_naming_the_cell(k in 0usize..125, other in 0usize..11) {
        let (r, f, m) = cells()[k];
        let name = format!("r={r} f={f} m={m}");
        // overlap: add the single cell to a tier that does not own it
        let mut map = TierMap::default();
        let c = map.compile().unwrap();
        let owner = c.tier_of(r, f, m);
        let to = if other == owner { (other + 1) % 11 } else { other };
        map.tiers[to].cells.push(Cells::new([r, r], [f, f], [m, m]));
        let e = map.compile().unwrap_err().to_string();
        prop_assert!(e.contains(&name) && e.contains("overlap"), "{}", e);
        // gap: one tier per cell, all but this one
        let tiers = cells().into_iter().filter(|&x| x != (r, f, m)).map(|(a, b, cc)| Tier {
            name: format!("t{a}{b}{cc}"), cells: vec![Cells::new([a, a], [b, b], [cc, cc])],
        }).collect();
        let e = TierMap { tiers }.compile().unwrap_err().to_string();
        prop_assert!(e.contains(&name) && e.contains("gap"), "{}", e);
    }

    #[test]
    fn pool_rfm_covers_exactly_the_buyers(orders in prop::collection::vec((0u8..6, 0i64..200, any::<bool>()), 1..40)) {
        let mut p = Pool::default();
        let evs: Vec<Event> = orders.iter().enumerate().map(|(i, &(who, day, is_order))| {
            let at = Timestamp::from_micros(t("2024-01-01").micros() + day * 86_400_000_000).unwrap();
            let mut e = Event::new(format!("e{i}"), at, if is_order { EventKind::Order } else { EventKind::View },
                vec![Identity::new(IdentityKind::Phone, format!("1380000000{who}"))]);
            if is_order { e.money = Some(Money::new(100 + i as i64, Currency::CNY)); }
            e
        }).collect();
        p.ingest(evs);
        let rows = p.rfm(t("2024-08-01")).unwrap();
        // the one-pass call returns exactly what the two calls return
        let (stages, rows2) = p.lifecycle_and_rfm(t("2024-08-01")).unwrap();
        prop_assert_eq!(&rows2, &rows);
        prop_assert_eq!(stages, p.lifecycle(t("2024-08-01")));
        let buyers = p.profiles().iter().filter(|x| x.order_count > 0).count();
        prop_assert_eq!(rows.len(), buyers);
        let names: Vec<String> = TierMap::default().tiers.into_iter().map(|t| t.name).collect();
        for r in &rows {
            prop_assert!(names.contains(&r.tier));
            prop_assert!(r.frequency >= 1);
        }
    }
}

/// tests/vectors/rfm.json (shared with the Python and Kotlin tests).
#[test]
fn rfm_vectors() {
    use serde_json::Value;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/rfm.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let col = |v: &Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
    let bytes = |v: &Value| -> Vec<u8> { v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u8).collect() };
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let opts: RfmOptions = serde_json::from_value(case["options"].clone()).unwrap();
        let got = rfm_scores(&col(&case["recency_days"]), &col(&case["frequency"]), &col(&case["monetary"]), &opts);
        if let Some(err) = case.get("error") {
            let e = got.unwrap_err();
            assert_eq!(e.field(), err["field"].as_str(), "{name}");
            assert!(e.to_string().contains(err["contains"].as_str().unwrap()), "{name}: {e}");
            continue;
        }
        let s = got.unwrap();
        let exp = &case["expect"];
        assert_eq!(
            (s.r.clone(), s.f.clone(), s.m.clone()),
            (bytes(&exp["r"]), bytes(&exp["f"]), bytes(&exp["m"])),
            "{name}"
        );
        let tiers: Vec<&str> = s.tier.iter().map(|&i| s.tier_names[i as usize].as_str()).collect();
        let want: Vec<&str> = exp["tier"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(tiers, want, "{name}");
    }
    for case in doc["pool_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut p = Pool::default();
        let inputs: Vec<yutang::EventInput> = serde_json::from_value(case["events"].clone()).unwrap();
        assert!(p.ingest_inputs(&inputs).rejected.is_empty(), "{name}");
        let rows = p.rfm(parse_time(case["as_of"].as_str().unwrap(), p.time_zone()).unwrap()).unwrap();
        let exp = case["expect"].as_object().unwrap();
        assert_eq!(rows.len(), exp.len(), "{name}");
        for (phone, e) in exp {
            let id = p.resolve(&Identity::new(IdentityKind::Phone, phone.as_str())).unwrap();
            let r = rows.iter().find(|r| r.customer_id == id).unwrap();
            assert_eq!(
                (r.recency_days as u64, r.frequency, r.monetary, r.r as u64, r.f as u64, r.m as u64, r.tier.as_str()),
                (
                    e["recency_days"].as_u64().unwrap(),
                    e["frequency"].as_u64().unwrap(),
                    e["monetary"].as_f64().unwrap(),
                    e["r"].as_u64().unwrap(),
                    e["f"].as_u64().unwrap(),
                    e["m"].as_u64().unwrap(),
                    e["tier"].as_str().unwrap()
                ),
                "{name} {phone}"
            );
        }
    }
}
