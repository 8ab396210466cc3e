//! Pool integration tests: the golden snapshot from format version 1 restores exactly.

use yutang::{Identity, IdentityKind, Pool};

const GOLDEN_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/snapshot_v1.bin");

/// The pool the golden snapshot was taken from (kept here so it can be regenerated).
fn golden_pool() -> Pool {
    let inputs: Vec<yutang::EventInput> =
        serde_json::from_str(include_str!("../../../tests/vectors/snapshot_v1_events.json")).unwrap();
    let mut p = Pool::default();
    let r = p.ingest_inputs(&inputs);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    p.unbind(&Identity::new(IdentityKind::Device, "dev-shared")).unwrap();
    p
}

#[test]
fn golden_snapshot_v1_restores() {
    let blob = std::fs::read(GOLDEN_V1).expect("golden snapshot");
    let restored = Pool::restore(&blob).expect("restores");
    let fresh = golden_pool();
    assert_eq!(restored.customer_ids(), fresh.customer_ids());
    assert_eq!(restored.profiles(), fresh.profiles());
    assert_eq!(restored.merge_log(), fresh.merge_log());
    assert_eq!(restored.conflicts(), fresh.conflicts());
    let c = restored.resolve(&Identity::new(IdentityKind::Phone, "13800138000")).unwrap();
    assert_eq!(restored.profile(&c).unwrap().spend_in(yutang::Currency::CNY), 1990 + 3500 - 990);
}

#[test]
fn attribution_paths_from_the_pool() {
    let inputs: Vec<yutang::EventInput> = serde_json::from_str(
        r#"[
        {"id": "1", "at": "2024-05-01 10:00", "kind": "view", "channel": "douyin", "identities": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "2", "at": "2024-05-03 10:00", "kind": "view", "channel": "mini_program", "identities": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "3", "at": "2024-05-04 10:00", "kind": "order", "amount": "88", "identities": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "4", "at": "2024-05-02 10:00", "kind": "message_sent", "channel": "sms", "identities": [{"kind": "phone", "value": "13900139000"}]},
        {"id": "5", "at": "2024-05-05 10:00", "kind": "order", "amount": "10", "identities": [{"kind": "phone", "value": "13700137000"}]},
        {"id": "6", "at": "2024-06-30 10:00", "kind": "view", "channel": "app", "identities": [{"kind": "phone", "value": "13800138000"}]}
    ]"#,
    )
    .unwrap();
    let mut pool = Pool::default();
    assert_eq!(pool.ingest_inputs(&inputs).accepted, 6);
    let as_of = yutang::parse_time("2024-05-20", pool.time_zone()).unwrap();
    let t = pool.attribution_paths(as_of, 30, &yutang::EventKind::Order).unwrap();
    let names = t.paths.channels().to_vec();
    let got: Vec<(Vec<String>, f64, f64, f64)> = (0..t.paths.len())
        .map(|i| {
            let p = t.paths.path(i).iter().map(|&c| names[c as usize].clone()).collect();
            (p, t.paths.conversions()[i], t.paths.values()[i], t.paths.nulls()[i])
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (vec!["douyin".to_string(), "mini_program".to_string()], 1.0, 88.0, 0.0),
            (vec!["sms".to_string()], 0.0, 0.0, 1.0)
        ]
    );
    assert_eq!((t.unattributed_conversions, t.unattributed_value), (1.0, 10.0));
    let m = yutang::attribution::markov_model(&t.paths, &yutang::attribution::MarkovOptions::default()).unwrap();
    assert!((m.conversions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}
