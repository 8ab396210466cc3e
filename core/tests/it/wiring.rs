//! Modules working together: the condition language reads the lifecycle stage and the RFM tier
//! that the lifecycle module computes.

use yutang::{parse_time, EventInput, Pool};

fn pool(events: &str) -> Pool {
    let evs: Vec<EventInput> = serde_json::from_str(events).unwrap();
    let mut p = Pool::default();
    let r = p.ingest_inputs(&evs);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    p
}

#[test]
fn rules_read_the_lifecycle_stage_and_its_next_change() {
    // A: one order on 01-02, nothing since; B: orders on 01-02 and 04-10.
    let p = pool(
        r#"[
        {"id": "1", "at": "2024-01-02 10:00", "kind": "order", "amount": "30", "identities": [{"kind": "phone", "value": "13800000001"}]},
        {"id": "2", "at": "2024-01-02 11:00", "kind": "order", "amount": "30", "identities": [{"kind": "phone", "value": "13800000002"}]},
        {"id": "3", "at": "2024-04-10 11:00", "kind": "order", "amount": "30", "identities": [{"kind": "phone", "value": "13800000002"}]}
    ]"#,
    );
    let tz = p.time_zone();
    let as_of = parse_time("2024-04-15 12:00", tz).unwrap();
    let a = p.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13800000001")).unwrap();
    let b = p.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13800000002")).unwrap();
    let rule = yutang::rules::parse(r#"stage == "at_risk""#).unwrap();
    let got: std::collections::BTreeMap<String, bool> = p.evaluate(&rule, as_of).unwrap().into_iter().collect();
    // A: 104 days since the last order > 90 -> at_risk; B bought 5 days ago -> repeat
    assert!(got[&a]);
    assert!(!got[&b]);
    let stage_a = p.stage_of(&a, as_of).unwrap().unwrap();
    assert_eq!(stage_a.stage.as_str(), "at_risk");
    // the rule's answer for A changes when A churns: the lifecycle's next transition
    let next = p.next_change_at(&rule, &a, as_of).unwrap().expect("A will churn");
    let later = p.stage_history(&a, parse_time("2025-01-01", tz).unwrap()).unwrap();
    let churn = later.iter().find(|t| t.to.as_str() == "churned").expect("churned later").at;
    assert_eq!(next, churn);
    assert!(next > as_of);
    // the lifecycle module says the same directly
    let view = p.customer(&a).unwrap();
    assert_eq!(yutang::lifecycle::next_stage_change(&p, view, as_of), Some(churn));
    // B (repeat since 04-10) turns at_risk 90 days after that order, with no new event
    let vb = p.customer(&b).unwrap();
    let nb = yutang::lifecycle::next_stage_change(&p, vb, as_of).unwrap();
    assert_eq!(yutang::lifecycle::stage_at(&p, vb, nb).unwrap().stage.as_str(), "at_risk");
    let just_before = yutang::Timestamp::from_micros(nb.micros() - 1).unwrap();
    assert_eq!(yutang::lifecycle::stage_at(&p, vb, just_before).unwrap().stage.as_str(), "repeat");
    // the explanation names the stage it used
    let why = format!("{:?}", p.explain(&rule, &a, as_of).unwrap());
    assert!(why.contains("at_risk"), "{why}");
}

#[test]
fn rules_read_the_rfm_tier() {
    let p = pool(
        r#"[
        {"id": "1", "at": "2024-04-01 10:00", "kind": "order", "amount": "500", "identities": [{"kind": "phone", "value": "13800000001"}]},
        {"id": "2", "at": "2024-04-10 10:00", "kind": "order", "amount": "500", "identities": [{"kind": "phone", "value": "13800000001"}]},
        {"id": "3", "at": "2024-01-02 11:00", "kind": "order", "amount": "5", "identities": [{"kind": "phone", "value": "13800000002"}]},
        {"id": "4", "at": "2024-04-12 11:00", "kind": "view", "identities": [{"kind": "phone", "value": "13800000003"}]}
    ]"#,
    );
    let as_of = parse_time("2024-04-15 12:00", p.time_zone()).unwrap();
    let rows = p.rfm(as_of).unwrap();
    let tier_of: std::collections::BTreeMap<String, String> =
        rows.into_iter().map(|r| (r.customer_id, r.tier)).collect();
    for (id, tier) in &tier_of {
        let rule = yutang::rules::parse(&format!("tier == {tier:?}")).unwrap();
        let got: std::collections::BTreeMap<String, bool> = p.evaluate(&rule, as_of).unwrap().into_iter().collect();
        assert!(got[id], "{id} should be in tier {tier}");
        // everyone else with a different tier (or none: the non-buyer) is not
        for (other, yes) in &got {
            if other != id {
                assert_eq!(*yes, tier_of.get(other) == Some(tier), "{other}");
            }
        }
    }
    assert_eq!(tier_of.len(), 2, "only buyers get a tier");
}

#[test]
fn tiers_are_computed_once_per_as_of_and_follow_new_events() {
    let mut p = pool(
        r#"[
        {"id": "1", "at": "2024-04-01 10:00", "kind": "order", "amount": "500", "identities": [{"kind": "phone", "value": "13800000001"}]},
        {"id": "2", "at": "2024-01-02 11:00", "kind": "order", "amount": "5", "identities": [{"kind": "phone", "value": "13800000002"}]}
    ]"#,
    );
    let as_of = parse_time("2024-04-15 12:00", p.time_zone()).unwrap();
    let has_tier = yutang::rules::parse("not missing(tier)").unwrap();
    let before = p.evaluate(&has_tier, as_of).unwrap();
    assert_eq!(before.iter().filter(|r| r.1).count(), 2);
    // a new buyer after the tiers were cached at this as_of: the cache must not hide them
    let late: Vec<EventInput> = serde_json::from_str(
        r#"[{"id": "3", "at": "2024-04-10 10:00", "kind": "order", "amount": "50", "identities": [{"kind": "phone", "value": "13800000003"}]}]"#,
    )
    .unwrap();
    assert_eq!(p.ingest_inputs(&late).accepted, 1);
    let c = p.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13800000003")).unwrap();
    let after: std::collections::BTreeMap<String, bool> = p.evaluate(&has_tier, as_of).unwrap().into_iter().collect();
    assert!(after[&c], "the new buyer has a tier");
    let tier_c = p.rfm(as_of).unwrap().into_iter().find(|r| r.customer_id == c).unwrap().tier;
    let rule = yutang::rules::parse(&format!("tier == {tier_c:?}")).unwrap();
    let compiled = yutang::rules::Compiled::new(&rule, &p).unwrap();
    assert!(compiled.matches(&p, p.customer(&c).unwrap(), as_of));
}

#[test]
fn erase_removes_tags_set_on_the_customers_identities() {
    let mut p = Pool::default();
    let t0 = parse_time("2024-04-01 09:00", p.time_zone()).unwrap();
    // pre-tag a phone before anyone with it exists, and another that stays
    p.tag_identity(&yutang::Identity::new(yutang::IdentityKind::Phone, "13812345678"), "vip", "gold", "staff-1", t0)
        .unwrap();
    p.tag_identity(&yutang::Identity::new(yutang::IdentityKind::Phone, "13900000009"), "vip", "silver", "staff-1", t0)
        .unwrap();
    let evs: Vec<EventInput> = serde_json::from_str(
        r#"[{"id": "1", "at": "2024-04-02 10:00", "kind": "register", "identities": [{"kind": "phone", "value": "13812345678"}]}]"#,
    )
    .unwrap();
    assert_eq!(p.ingest_inputs(&evs).accepted, 1);
    let c = p.resolve(&yutang::Identity::new(yutang::IdentityKind::Phone, "13812345678")).unwrap();
    assert!(format!("{:?}", p.tags(&c, None).unwrap()).contains("gold"));
    p.erase(&c).unwrap();
    let blob = p.snapshot();
    let has = |needle: &[u8]| blob.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"13812345678"), "the erased customer's phone is gone from the snapshot");
    assert!(has(b"13900000009"), "the other pre-tag stays");
}
