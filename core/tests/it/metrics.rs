//! Growth metrics: shared vectors, laws (proptest) and pool-level behaviour.

use proptest::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use yutang::metrics::{
    affinity, cohort_retention, decompose, AffinityOptions, CohortOptions, GrowthOptions, PoolAffinityOptions,
    ReferralOptions,
};
use yutang::synth::{events_with_items, SynthConfig};
use yutang::{parse_time, EventInput, Pool};

fn vectors() -> Value {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/metrics.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("metrics.json")).expect("json")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12) || (a - b).abs() < 1e-9
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// Dense codes of strings, in order of first appearance.
fn codes(v: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = vec![];
    let c = v
        .iter()
        .map(|s| match names.iter().position(|n| n == s) {
            Some(i) => i as u32,
            None => {
                names.push(s.clone());
                names.len() as u32 - 1
            }
        })
        .collect();
    (c, names)
}

#[test]
fn vectors_decomposition_match_ang_formula() {
    for case in vectors()["decomposition"].as_array().unwrap() {
        let names = strs(&case["factors"]);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let d = decompose(&names, &f64s(&case["previous"]), &f64s(&case["current"])).unwrap();
        let want = f64s(&case["contributions"]);
        for (g, w) in d.contributions.iter().zip(&want) {
            assert!(close(*g, *w), "{}: {g} vs {w}", case["name"]);
        }
        assert!(close(d.change(), case["change"].as_f64().unwrap()));
    }
}

#[test]
fn vectors_cohort_retention() {
    for case in vectors()["cohort_retention"].as_array().unwrap() {
        let tz = yutang::parse_tz(case["time_zone"].as_str().unwrap()).unwrap();
        let (cust, _) = codes(&strs(&case["customer_id"]));
        let at: Vec<i64> = strs(&case["at"]).iter().map(|s| parse_time(s, tz).unwrap().micros()).collect();
        let c = cohort_retention(&cust, &at, &CohortOptions::new().time_zone(tz)).unwrap();
        let want = case["cohorts"].as_array().unwrap();
        assert_eq!(c.cohorts.len(), want.len());
        for (g, w) in c.cohorts.iter().zip(want) {
            assert_eq!(g.month, w["month"].as_str().unwrap());
            assert_eq!(g.customers, w["customers"].as_u64().unwrap());
            let active: Vec<u64> = w["active"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
            assert_eq!(g.active, active, "{}", g.month);
        }
        assert!(close(c.repurchase_rate(), case["repurchase_rate"].as_f64().unwrap()));
    }
}

#[test]
fn vectors_affinity() {
    for case in vectors()["affinity"].as_array().unwrap() {
        let baskets: Vec<u32> = case["basket"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
        let (items, names) = codes(&strs(&case["item"]));
        let a = affinity(&baskets, &items, &names, &AffinityOptions::default()).unwrap();
        let want = case["rules"].as_array().unwrap();
        assert_eq!(a.rules.len(), want.len());
        for (g, w) in a.rules.iter().zip(want) {
            assert_eq!(
                (g.antecedent.as_str(), g.consequent.as_str()),
                (w["antecedent"].as_str().unwrap(), w["consequent"].as_str().unwrap())
            );
            for (x, k) in [(g.support, "support"), (g.confidence, "confidence"), (g.lift, "lift")] {
                assert!(close(x, w[k].as_f64().unwrap()), "{k}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// LMDI-I: the contributions add up to the total change, with or without zeros.
    #[test]
    fn prop_contributions_sum_to_change(
        prev in prop::collection::vec(prop_oneof![Just(0.0), 0.001f64..1e4], 1..7),
        scale in prop::collection::vec(prop_oneof![Just(0.0), 0.01f64..100.0], 7),
    ) {
        let cur: Vec<f64> = prev.iter().zip(&scale).map(|(p, s)| if *p == 0.0 { *s } else { p * s }).collect();
        let names: Vec<String> = (0..prev.len()).map(|i| format!("f{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let d = decompose(&names, &prev, &cur).unwrap();
        let sum: f64 = d.contributions.iter().sum();
        let scale = d.previous_value.abs().max(d.current_value.abs()).max(1.0);
        prop_assert!((sum - d.change()).abs() <= 1e-9 * scale, "{sum} vs {}", d.change());
        // no change in a factor: no contribution
        for i in 0..prev.len() {
            if prev[i] == cur[i] {
                prop_assert_eq!(d.contributions[i], 0.0);
            }
        }
    }

    /// The cohort table equals a direct computation with sets (months in Shanghai = UTC+8).
    #[test]
    fn prop_cohorts_match_naive(rows in prop::collection::vec((0u32..20, 0i64..(3 * 365 * 86_400)), 1..200)) {
        let base = 1_700_000_000i64;
        let tz = chrono_tz::Asia::Shanghai;
        let n = rows.len();
        let cust: Vec<u32> = rows.iter().map(|r| r.0 % n as u32).collect();
        let at: Vec<i64> = rows.iter().map(|r| (base + r.1) * 1_000_000).collect();
        let c = cohort_retention(&cust, &at, &CohortOptions::new().time_zone(tz)).unwrap();
        let month = |us: i64| {
            let d = yutang::Timestamp::from_micros(us).unwrap().date_in(tz);
            chrono::Datelike::year(&d) * 12 + chrono::Datelike::month0(&d) as i32
        };
        let mut act: BTreeMap<u32, BTreeSet<i32>> = BTreeMap::new();
        let mut times: BTreeMap<u32, BTreeSet<i64>> = BTreeMap::new();
        for (&k, &t) in cust.iter().zip(&at) {
            act.entry(k).or_default().insert(month(t));
            times.entry(k).or_default().insert(t);
        }
        let lo = act.values().map(|s| *s.iter().next().unwrap()).min().unwrap();
        for (&k, s) in &act {
            let first = *s.iter().next().unwrap();
            let cohort = &c.cohorts[(first - lo) as usize];
            for &m in s {
                prop_assert!(cohort.active[(m - first) as usize] >= 1, "customer {k}");
            }
        }
        let total_active: u64 = c.cohorts.iter().flat_map(|x| x.active.iter()).sum();
        prop_assert_eq!(total_active, act.values().map(|s| s.len() as u64).sum::<u64>());
        prop_assert_eq!(c.customers, act.len() as u64);
        prop_assert_eq!(c.repeat_customers, times.values().filter(|s| s.len() > 1).count() as u64);
    }

    /// Confidence and lift follow from the supports; rules come in both directions.
    #[test]
    fn prop_affinity_laws(rows in prop::collection::vec((0u32..30, 0u32..6), 1..150)) {
        let n = rows.len() as u32;
        let b: Vec<u32> = rows.iter().map(|r| r.0 % n).collect();
        let i: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let names: Vec<String> = (0..6).map(|k| format!("i{k}")).collect();
        let a = affinity(&b, &i, &names, &AffinityOptions::default()).unwrap();
        for r in &a.rules {
            prop_assert!((r.confidence - r.support / r.antecedent_support).abs() < 1e-12);
            prop_assert!((r.lift - r.confidence / r.consequent_support).abs() < 1e-9);
            prop_assert!(a.rules.iter().any(|q| q.antecedent == r.consequent && q.consequent == r.antecedent && q.support == r.support));
        }
    }
}

fn ev(json: &str) -> Vec<EventInput> {
    serde_json::from_str(json).unwrap()
}

#[test]
fn self_referral_is_blocked_through_the_identity_graph() {
    // A owns phone 138.. and unionid uA (linked on the register event). A "invites" their own
    // unionid account: the referrer phone resolves to A, the invitee is A -> self_referral.
    // A invites B (phone 139..), who orders 3 days later -> converted. B invites C, who never orders.
    let mut pool = Pool::default();
    let r = pool.ingest_inputs(&ev(r#"[
      {"id": "1", "at": "2024-05-01 10:00", "kind": "register", "identities": [{"kind": "phone", "value": "13800138000"}, {"kind": "wechat_unionid", "value": "uA"}]},
      {"id": "2", "at": "2024-05-02 10:00", "kind": "referral", "identities": [{"kind": "wechat_unionid", "value": "uA"}], "referrer": {"kind": "phone", "value": "13800138000"}},
      {"id": "3", "at": "2024-05-03 10:00", "kind": "referral", "identities": [{"kind": "phone", "value": "13900139000"}], "referrer": {"kind": "phone", "value": "13800138000"}},
      {"id": "4", "at": "2024-05-06 10:00", "kind": "order", "amount": "88", "identities": [{"kind": "phone", "value": "13900139000"}]},
      {"id": "5", "at": "2024-05-07 10:00", "kind": "referral", "identities": [{"kind": "phone", "value": "13700137000"}], "referrer": {"kind": "phone", "value": "13900139000"}},
      {"id": "6", "at": "2024-05-08 10:00", "kind": "referral", "identities": [{"kind": "phone", "value": "13600136000"}], "referrer": {"kind": "phone", "value": "13500135000"}}
    ]"#));
    assert_eq!(r.accepted, 6, "{:?}", r.rejected);
    let refs = pool.referrals(None, &ReferralOptions::default()).unwrap();
    let reasons: Vec<(&str, &str)> = refs.rejected.iter().map(|x| (x.event_id.as_str(), x.reason.as_str())).collect();
    // event 6: the referrer phone 135.. belongs to nobody
    assert_eq!(reasons, [("2", "self_referral"), ("6", "unknown_referrer")]);
    let a = pool.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13800138000")).unwrap();
    assert_eq!(refs.trees.len(), 1);
    assert_eq!((refs.trees[0].root.clone(), refs.trees[0].size, refs.trees[0].depth), (a, 2, 2));
    // customers: A, B, C, D = 4; invites 2; converted 1 (B) -> K = 2/4 × 1/2 = 0.25
    assert_eq!((refs.customers, refs.invites, refs.converted), (4, 2, 1));
    assert_eq!(refs.k_factor(), 0.25);
}

#[test]
fn pool_paths_agree_with_columns_on_synthetic_pool() {
    let cfg = SynthConfig { events: 20_000, customers: 2_000, ..Default::default() };
    let mut pool = Pool::default();
    let r = pool.ingest(events_with_items(&cfg, 0..cfg.events));
    assert_eq!(r.accepted, cfg.events);
    let tz = pool.time_zone();
    let c = pool.cohort_retention(None).unwrap();
    assert!(c.customers > 500 && c.repurchase_rate() > 0.0 && c.repurchase_rate() < 1.0, "{}", c.repurchase_rate());
    // sizes add up to the customers; active[0] = size
    assert_eq!(c.cohorts.iter().map(|x| x.customers).sum::<u64>(), c.customers);
    assert!(c.cohorts.iter().all(|x| x.active[0] == x.customers));
    let cats = pool.category_metrics(None).unwrap();
    assert!(cats.len() >= 6);
    assert!(cats.windows(2).all(|w| w[0].category < w[1].category));
    let g = pool
        .growth(
            (parse_time("2024-01-01", tz).unwrap(), parse_time("2024-07-01", tz).unwrap()),
            (parse_time("2024-07-01", tz).unwrap(), parse_time("2025-01-01", tz).unwrap()),
            &GrowthOptions::default(),
        )
        .unwrap();
    // channel rows partition the "all" row
    for rows in [&g.previous, &g.current] {
        let all = &rows[0];
        assert_eq!(rows[1..].iter().map(|r| r.traffic).sum::<u64>(), all.traffic);
        assert_eq!(rows[1..].iter().map(|r| r.orders).sum::<u64>(), all.orders);
        assert!(all.invited > 0);
    }
    for d in &g.decomposition {
        let s: f64 = d.contributions.iter().sum();
        assert!((s - d.change()).abs() <= 1e-9 * d.current_value.abs().max(d.previous_value.abs()).max(1.0));
    }
    let refs = pool.referrals(None, &ReferralOptions::default()).unwrap();
    assert!(refs.invites > 0 && !refs.trees.is_empty());
    assert!(refs.edges.iter().all(|e| e.inviter != e.invitee));
    let groups =
        pool.group_activity(parse_time("2024-06-01", tz).unwrap(), parse_time("2024-07-01", tz).unwrap()).unwrap();
    assert!(groups.groups.len() > 100);
    for s in &groups.groups {
        assert!(s.speakers <= s.members_during && s.silent <= s.members);
        assert!((0.0..=1.0).contains(&s.daily_active_share));
    }
    let aff =
        pool.affinity(None, PoolAffinityOptions::Sku, &AffinityOptions { min_count: 5, ..Default::default() }).unwrap();
    // the catalogue pairs beans with filter papers: a strong rule
    let r = aff.rules.iter().find(|r| r.antecedent == "beans_house" && r.consequent == "filter_papers").unwrap();
    assert!(r.lift > 1.5, "{r:?}");
    let some = pool.customer_at(0).unwrap().id();
    let recs = pool.recommend(&aff, &some, None, PoolAffinityOptions::Sku, 3).unwrap();
    assert!(recs.len() <= 3);
}

#[test]
fn cohort_of_cdnow_sample() {
    // CDNOW (data/cdnow/CDNOW_master.txt): 23,570 customers, first purchases in 1997-01..03.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/cdnow/CDNOW_master.txt")).unwrap();
    let tz = chrono_tz::UTC;
    let (mut cust, mut at) = (vec![], vec![]);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Ok(c), Some(d)) = (f[0].parse::<u32>(), f.get(1)) else { continue };
        let d = chrono::NaiveDate::parse_from_str(d, "%Y%m%d").unwrap();
        cust.push(c - 1);
        at.push(yutang::Timestamp::start_of_day(d, tz).unwrap().micros());
    }
    let c = cohort_retention(&cust, &at, &CohortOptions::new().time_zone(tz)).unwrap();
    assert_eq!(c.customers, 23_570);
    let sizes: Vec<u64> = c.cohorts.iter().map(|x| x.customers).collect();
    // the panel was recruited in Q1 1997
    assert_eq!(sizes.iter().sum::<u64>(), 23_570);
    assert!(sizes[3..].iter().all(|&s| s == 0));
    assert_eq!(c.cohorts.len(), 18); // 1997-01 .. 1998-06
}
