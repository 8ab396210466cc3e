//! Erase (a personal-information deletion request): the customer goes completely, everyone
//! else keeps working, and the pool still snapshots and restores.

use yutang::journey::{examples, Journey};
use yutang::metrics::ReferralOptions;
use yutang::{parse_time, EventInput, Identity, IdentityKind, Pool};

fn inputs(json: &str) -> Vec<EventInput> {
    serde_json::from_str(json).expect("events")
}

/// Every string that belongs to customer A (the referrer) in [`pond`].
const A_STRINGS: &[&str] = &[
    "13812345678",
    "unionid-a-77",
    "openid-a-88",
    "ev-a-register",
    "ev-a-order",
    "ev-a-sub",
    "ev-a-group",
    "ORDER-A-4242",
    "SUB-A-9191",
    "GROUP-A-5151",
    "tag-value-a-platinum",
];

/// A pool where A (phone + unionid + openid, merged) invites B; A orders, subscribes, joins a
/// group, carries a manual tag and an identity tag; two journeys run instances keyed by A's
/// subscription and A's order.
fn pond() -> Pool {
    let mut p = Pool::default();
    let r = p.ingest_inputs(&inputs(
        r#"[
      {"id": "ev-a-register", "at": "2024-03-01 10:00", "kind": "register",
       "identities": [{"kind": "phone", "value": "13812345678"}, {"kind": "wechat_unionid", "value": "unionid-a-77"}]},
      {"id": "ev-a-order", "at": "2024-03-02 10:00", "kind": "order", "amount": "25.00", "order_id": "ORDER-A-4242",
       "identities": [{"kind": "wechat_openid", "namespace": "wxapp1", "value": "openid-a-88"},
                      {"kind": "wechat_unionid", "value": "unionid-a-77"}]},
      {"id": "ev-a-sub", "at": "2024-03-03 10:00", "kind": "subscription_start",
       "subscription_id": "SUB-A-9191", "expires_at": "2024-06-01 00:00",
       "identities": [{"kind": "phone", "value": "13812345678"}]},
      {"id": "ev-a-group", "at": "2024-03-04 10:00", "kind": "group_join", "group_id": "GROUP-A-5151",
       "identities": [{"kind": "phone", "value": "13812345678"}]},
      {"id": "ev-b-referral", "at": "2024-03-05 10:00", "kind": "referral", "channel": "mini_program",
       "referrer": {"kind": "phone", "value": "13812345678"},
       "identities": [{"kind": "phone", "value": "13900000002"}]},
      {"id": "ev-b-order", "at": "2024-03-06 10:00", "kind": "order", "amount": "9.90", "order_id": "ORDER-B-1",
       "identities": [{"kind": "phone", "value": "13900000002"}]}
    ]"#,
    ));
    assert_eq!((r.accepted, r.rejected.len()), (6, 0), "{r:?}");
    let t0 = parse_time("2024-03-01 00:00", p.time_zone()).unwrap();
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13812345678")).unwrap();
    p.set_manual_tag(&a, "vip", "tag-value-a-platinum", "staff-1", t0).unwrap();
    p.tag_identity(&Identity::new(IdentityKind::Phone, "13812345678"), "source", "tag-value-a-platinum", "staff-1", t0)
        .unwrap();
    let mut by_order: serde_json::Value = serde_json::from_str(examples::COFFEE_COUPON_LADDER).unwrap();
    by_order["id"] = "per_order".into();
    by_order["instance_key"] = "order".into();
    p.add_journey(Journey::from_json(&by_order.to_string()).unwrap(), Some(t0)).unwrap();
    p.add_journey(examples::renewal_reminders(), Some(t0)).unwrap();
    p.advance(parse_time("2024-03-10 00:00", p.time_zone()).unwrap()).unwrap();
    p
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_customer_who_referred_someone_can_be_erased() {
    let mut p = pond();
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13812345678")).unwrap();
    let b = p.resolve(&Identity::new(IdentityKind::Phone, "13900000002")).unwrap();
    let before = p.referrals(None, &ReferralOptions::default()).unwrap();
    assert_eq!(before.edges.len(), 1, "A invited B");
    let rep = p.erase(&a).unwrap();
    assert_eq!((rep.events, rep.identities), (4, 3));
    // the invitee keeps the referral event, without its referrer
    let tl = p.timeline(&b).unwrap();
    let referral = tl.iter().find(|e| e.id == "ev-b-referral").expect("the invitee's referral event stays");
    assert_eq!(referral.referrer, None);
    let after = p.referrals(None, &ReferralOptions::default()).unwrap();
    assert!(after.edges.is_empty());
    assert_eq!(after.rejected.len(), 1);
    assert_eq!(after.rejected[0].reason, "referrer_erased");
    assert_eq!(after.rejected[0].invitee, b);
    // the pool restores, and the restored pool answers the same
    let blob = p.snapshot();
    let back = Pool::restore(&blob).expect("a pool with an erased referrer restores");
    assert_eq!(back.snapshot(), blob);
    assert_eq!(back.timeline(&b).unwrap(), tl);
    assert_eq!(back.referrals(None, &ReferralOptions::default()).unwrap(), after);
}

#[test]
fn nothing_of_an_erased_customer_survives_anywhere() {
    let mut p = pond();
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13812345678")).unwrap();
    let b = p.resolve(&Identity::new(IdentityKind::Phone, "13900000002")).unwrap();
    let blob = p.snapshot();
    for s in A_STRINGS {
        assert!(contains(&blob, s), "the fixture puts {s} in the snapshot before the erase");
    }
    assert!(p.journey_instances().iter().any(|i| i.instance_key.as_deref() == Some("ORDER-A-4242")));
    assert!(p.journey_instances().iter().any(|i| i.instance_key.as_deref() == Some("SUB-A-9191")));

    p.erase(&a).unwrap();
    let mut places: Vec<(&str, Vec<u8>)> = vec![
        ("snapshot", p.snapshot()),
        ("export of the other customer", serde_json::to_vec(&p.export(&b).unwrap()).unwrap()),
        ("journey_instances", serde_json::to_vec(&p.journey_instances()).unwrap()),
        ("merge_log", serde_json::to_vec(p.merge_log()).unwrap()),
        ("conflicts", serde_json::to_vec(&p.conflicts()).unwrap()),
        ("profiles", serde_json::to_vec(&p.profiles()).unwrap()),
    ];
    places.push(("restored snapshot", Pool::restore(&places[0].1).unwrap().snapshot()));
    for (place, bytes) in &places {
        for s in A_STRINGS.iter().chain([&a.as_str()]) {
            assert!(!contains(bytes, s), "{s} survives the erase in {place}");
        }
    }
    assert!(p.journey_instances().iter().all(|i| i.customer_id == b), "only B's instances are left");
    assert!(p.journey_instances().iter().any(|i| i.instance_key.as_deref() == Some("ORDER-B-1")));
    // everything still works on what is left
    let later = parse_time("2024-07-01 00:00", p.time_zone()).unwrap();
    p.advance(later).unwrap();
    let mut restored = Pool::restore(&p.snapshot()).unwrap();
    assert_eq!(restored.journey_instances(), p.journey_instances());
    assert_eq!(restored.advance(later).unwrap(), p.advance(later).unwrap());
}

#[test]
fn erasing_the_invitee_keeps_the_inviter() {
    let mut p = pond();
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13812345678")).unwrap();
    let b = p.resolve(&Identity::new(IdentityKind::Phone, "13900000002")).unwrap();
    p.erase(&b).unwrap();
    assert_eq!(p.customer_ids(), vec![a.clone()]);
    let blob = p.snapshot();
    assert!(!contains(&blob, "13900000002") && !contains(&blob, "ORDER-B-1") && !contains(&blob, "ev-b-referral"));
    assert!(contains(&blob, "ORDER-A-4242"));
    assert_eq!(Pool::restore(&blob).unwrap().snapshot(), blob);
}
