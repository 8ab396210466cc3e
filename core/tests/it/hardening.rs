//! Hostile and ordinary-but-messy input: identity values never leak into messages, messages
//! never echo huge values, an integer phone number is a phone number.

use yutang::{Error, EventInput, Identity, IdentityKind, Pool};

fn event(v: serde_json::Value) -> Result<EventInput, Error> {
    serde_json::from_value::<EventInput>(v).map_err(|e| Error::json("event", &e))
}

#[test]
fn an_integer_identity_value_is_read_as_its_digits() {
    let mut p = Pool::default();
    let evs = [
        event(serde_json::json!({"id": "1", "at": "2024-05-01 10:00", "kind": "register",
            "identities": [{"kind": "phone", "value": 13812345678_u64}, {"kind": "wechat_unionid", "value": "u1"}]})),
        event(serde_json::json!({"id": "2", "at": "2024-05-02 10:00", "kind": "order", "amount": 5,
            "identities": [{"kind": "phone", "value": 13812345678.0}]})),
        event(serde_json::json!({"id": "3", "at": "2024-05-03 10:00", "kind": "referral",
            "referrer": {"kind": "phone", "value": 13812345678_u64},
            "identities": [{"kind": "phone", "value": "13900000001"}]})),
    ];
    let (tz, cur, limits) = (p.time_zone(), p.config().currency, p.config().limits);
    let r = p.ingest_results(evs.into_iter().map(|e| e.and_then(|i| i.into_event(tz, cur, &limits))));
    assert_eq!((r.accepted, r.rejected.len()), (3, 0), "{r:?}");
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13812345678")).unwrap();
    assert_eq!(p.resolve(&Identity::new(IdentityKind::WechatUnionid, "u1")), Some(a.clone()));
    assert_eq!(p.profile(&a).unwrap().order_count, 1, "the float-typed phone joined the same customer");
}

#[test]
fn json_type_errors_mask_the_value() {
    let shapes = [
        serde_json::json!({"identities": ["13812345678"]}),
        serde_json::json!({"identities": [{"kind": "phone", "value": 13812345678.5}]}),
        serde_json::json!({"identities": [{"kind": "phone", "value": true}]}),
        serde_json::json!({"referrer": {"kind": "phone", "value": [13812345678_u64]}}),
        serde_json::json!({"id": 13812345678_u64}),
    ];
    for v in shapes {
        let e = event(v.clone()).expect_err("a shape that stays invalid");
        let msg = e.to_string();
        assert!(!msg.contains("13812345678"), "{v} leaks in {msg:?}");
        assert_eq!(e.field(), Some("event"));
    }
    // key names are not personal data: they stay readable
    let e = event(serde_json::json!({"identities": [{"kind": "phone", "valu": "x"}]})).unwrap_err();
    assert!(e.to_string().contains("valu"), "{e}");
}

#[test]
fn not_found_masks_an_argument_that_is_not_a_customer_id() {
    let p = Pool::default();
    let msg = p.timeline("13812345678").unwrap_err().to_string();
    assert!(!msg.contains("13812345678") && msg.contains("138******78"), "{msg}");
    let id = "c0000000000000000000a";
    assert!(p.profile(id).unwrap_err().to_string().contains(id), "a real id is shown as it is");
}

#[test]
fn rejections_quote_at_most_64_characters() {
    let big = "9".repeat(1_000_000);
    let cases = [
        serde_json::json!({"id": "1", "at": big, "kind": "view", "identities": [{"kind": "phone", "value": "13800000001"}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": big, "identities": [{"kind": "phone", "value": "13800000001"}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": "view", "channel": big, "identities": [{"kind": "phone", "value": "13800000001"}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": "order", "amount": big, "identities": [{"kind": "phone", "value": "13800000001"}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": "order", "amount": "1", "currency": big, "identities": [{"kind": "phone", "value": "13800000001"}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": "view", "identities": [{"kind": "phone", "value": big}]}),
        serde_json::json!({"id": "1", "at": "2024-05-01", "kind": "view", "identities": [{"kind": big, "value": "1"}]}),
    ];
    for c in cases {
        let inputs = vec![serde_json::from_value::<EventInput>(c).unwrap()];
        let r = Pool::default().ingest_inputs(&inputs);
        assert_eq!(r.rejected.len(), 1, "{r:?}");
        let why = &r.rejected[0];
        let run = "9".repeat(65);
        assert!(
            !why.reason.contains(&run) && !why.field.contains(&run),
            "{} echoes {} bytes",
            why.field,
            why.reason.len()
        );
        assert!(why.reason.len() < 1_000);
    }
}

#[test]
fn mask_is_bounded_and_keeps_its_shape() {
    assert_eq!(yutang::mask("13800138000"), "138******00");
    let m = yutang::mask(&"a".repeat(70));
    assert_eq!(m.chars().count(), 64);
    assert!(m.starts_with("aaa") && m.ends_with("aa") && m.contains('…'));
    assert_eq!(yutang::mask(&"b".repeat(64)).chars().count(), 64);
}

/// A snapshot with a damaged section either restores to a pool on which every call works,
/// or is a `Snapshot` error; it never panics later.
mod damaged_snapshots {
    use proptest::prelude::*;
    use yutang::journey::examples;
    use yutang::{parse_time, EventInput, Pool};

    fn pool_with_journeys() -> Pool {
        let mut p = Pool::default();
        let evs: Vec<EventInput> = (0..12)
            .map(|i| {
                let kind = ["register", "order", "subscription_start"][i % 3];
                serde_json::from_value(serde_json::json!({
                    "id": format!("e{i}"), "at": format!("2024-03-{:02} 10:00", 1 + i), "kind": kind,
                    "amount": if i % 3 == 1 { Some("9.90") } else { None }, "subscription_id": format!("s{i}"), "expires_at": "2024-05-01",
                    "identities": [{"kind": "phone", "value": format!("1380000000{}", i % 4)}]}))
                .unwrap()
            })
            .collect();
        p.ingest_inputs(&evs);
        let t0 = parse_time("2024-01-01", p.time_zone()).unwrap();
        p.add_journey(examples::coffee_coupon_ladder(), Some(t0)).unwrap();
        p.add_journey(examples::renewal_reminders(), Some(t0)).unwrap();
        p.advance(parse_time("2024-04-20", p.time_zone()).unwrap()).unwrap();
        p
    }

    /// Recompute the frames' checksums after a change of their payload.
    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        crate::fuzz_corpus::bodies::reseal_frames(&mut b);
        b
    }

    fn exercise(p: &mut Pool) {
        let _ = p.journey_instances();
        let _ = p.next_wake_at();
        let _ = p.advance(parse_time("2024-08-01", p.time_zone()).unwrap());
        let _ = p.journeys();
        let _ = p.profiles();
        let _ = Pool::restore(&p.snapshot());
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut b = pool_with_journeys().snapshot();
        b.push(0);
        assert!(matches!(Pool::restore(&b), Err(yutang::Error::Snapshot { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn a_mutated_journey_section_is_an_error_or_works(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            static BLOB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
            let blob = BLOB.get_or_init(|| pool_with_journeys().snapshot());
            let at = blob.windows(8).rposition(|w| w == b"journeys").expect("a journeys section") + 10;
            // the bytes of the journeys section, inside the last frame
            let end = crate::fuzz_corpus::bodies::frame_payloads(blob).last().expect("a frame").end;
            let mut b = blob.clone();
            for (i, v) in &flips {
                let k = at + i.index(end - at);
                b[k] = *v;
            }
            let b = reseal(b);
            if let Ok(mut p) = Pool::restore(&b) {
                exercise(&mut p);
            }
        }
    }
}

#[test]
fn cohort_retention_works_at_the_start_of_the_range() {
    // 1900-01-01 00:00 in Asia/Shanghai (+08:05:43 then) is before 1900-01-01 UTC
    let mut p = Pool::default();
    let evs: Vec<EventInput> = serde_json::from_value(serde_json::json!([
        {"id": "1", "at": "1900-01-02 10:00", "kind": "order", "amount": "5", "identities": [{"kind": "phone", "value": "13800000001"}]},
        {"id": "2", "at": "1900-02-02 10:00", "kind": "order", "amount": "5", "identities": [{"kind": "phone", "value": "13800000001"}]}
    ]))
    .unwrap();
    assert_eq!(p.ingest_inputs(&evs).accepted, 2);
    let c = p.cohort_retention(None).expect("a cohort in January 1900");
    assert_eq!(c.cohorts.len(), 2);
    assert_eq!((c.cohorts[0].month.as_str(), c.cohorts[0].customers), ("1900-01", 1));
    assert_eq!(c.cohorts[0].active, vec![1, 1]);
}

#[test]
fn a_negative_cooldown_is_rejected() {
    let mut j: serde_json::Value = serde_json::from_str(yutang::journey::examples::COFFEE_COUPON_LADDER).unwrap();
    j["reentry"] = serde_json::json!({"policy": "cooldown", "cooldown": "-5d"});
    let e = yutang::journey::Journey::from_json(&j.to_string()).unwrap_err();
    assert_eq!(e.field(), Some("reentry.cooldown"));
}

#[test]
fn rfm_summary_of_a_pool_without_orders_is_empty() {
    let s = Pool::default().rfm_summary(&yutang::ltv::summary::SummaryOptions::new()).unwrap();
    assert!(s.customer_ids.is_empty());
}

#[test]
fn a_duration_with_a_multibyte_character_is_an_error_not_a_panic() {
    // found by the journey fuzz target: the unit was cut inside a two-byte character
    for min in ["ʛ", "1ʛ", "-ʛ", "7日", "３d"] {
        let mut j: serde_json::Value = serde_json::from_str(yutang::journey::examples::COFFEE_COUPON_LADDER).unwrap();
        j["steps"][0]["min"] = min.into();
        assert!(yutang::journey::Journey::from_json(&j.to_string()).is_err(), "{min}");
    }
}

#[test]
fn a_late_batch_is_reported() {
    let mut p = Pool::default();
    let ev = |id: &str, at: &str| -> EventInput {
        serde_json::from_value(serde_json::json!({"id": id, "at": at, "kind": "view",
            "identities": [{"kind": "phone", "value": "13800000001"}]}))
        .unwrap()
    };
    let r = p.ingest_inputs(&[ev("a", "2024-05-01 10:00"), ev("b", "2024-05-02 10:00")]);
    assert_eq!((r.late, r.full_pass), (0, false));
    let r = p.ingest_inputs(&[ev("c", "2024-05-03 10:00")]);
    assert_eq!((r.late, r.full_pass), (0, false), "later than everything: incremental");
    let r = p.ingest_inputs(&[ev("d", "2024-05-01 12:00"), ev("e", "2024-05-04 10:00"), ev("f", "2024-04-01 10:00")]);
    assert_eq!((r.accepted, r.late, r.full_pass), (3, 2, true));
    let r = p.ingest_inputs(&[ev("d", "2024-05-01 12:00")]);
    assert_eq!((r.duplicates, r.late, r.full_pass), (1, 0, false), "a duplicate is not late");
}

#[test]
fn memory_bytes_counts_what_the_modules_hold() {
    let mut p = Pool::default();
    let at = yutang::parse_time("2024-05-01 10:00", p.time_zone()).unwrap();
    let events: Vec<EventInput> = (0..1000)
        .map(|c| {
            serde_json::from_value(serde_json::json!({"id": format!("e{c}"), "at": "2024-05-01 10:00", "kind": "order",
                "amount": "10", "identities": [{"kind": "phone", "value": format!("138{c:08}")}]}))
            .unwrap()
        })
        .collect();
    p.ingest_inputs(&events);
    let bare = p.memory_bytes();
    let (note, by) = ("x".repeat(60), "y".repeat(60));
    for id in p.customer_ids() {
        p.set_manual_tag(&id, "note", &note, &by, at).unwrap();
    }
    let tagged = p.memory_bytes();
    // 1000 tags of 120 bytes, with their customer ids and map entries (about 420 bytes each as
    // allocated): counted, not wildly over
    assert!(tagged - bare >= 1000 * 120 * 3, "{bare} -> {tagged}");
    assert!(tagged - bare < 1000 * 600, "{bare} -> {tagged}");
    // journey instances and their customers count too
    p.add_journey(yutang::journey::examples::coffee_coupon_ladder(), Some(at.plus_seconds(-86_400))).unwrap();
    p.advance(at.plus_seconds(40 * 86_400)).unwrap();
    assert!(!p.journey_instances().is_empty());
    assert!(p.memory_bytes() > tagged + 1000 * 21, "instances and customer ids counted");
}
