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
    if std::env::var("YUTANG_WRITE_GOLDEN").is_ok() {
        std::fs::write(GOLDEN_V1, golden_pool().snapshot()).unwrap();
    }
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
