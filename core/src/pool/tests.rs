use super::*;
use crate::model::parse_time;

fn t(s: &str) -> Timestamp {
    parse_time(s, chrono_tz::Asia::Shanghai).unwrap()
}

fn ev(id: &str, at: &str, kind: EventKind, ids: &[(IdentityKind, &str)]) -> Event {
    Event::new(id, t(at), kind, ids.iter().map(|(k, v)| Identity::new(k.clone(), *v)).collect())
}

use IdentityKind::{AppUser, Phone, WechatUnionid as Union};

#[test]
fn chain_merges_transitively() {
    let mut p = Pool::default();
    let r = p.ingest(vec![
        ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000")]),
        ev("e2", "2024-01-02", EventKind::View, &[(Union, "u1")]),
        ev("e3", "2024-01-03", EventKind::View, &[(Union, "u1"), (AppUser, "a1")]),
        ev("e4", "2024-01-04", EventKind::View, &[(AppUser, "a1"), (Phone, "+86 138 0013 8000")]),
    ]);
    assert_eq!(r.accepted, 4);
    assert_eq!(p.stats().customers, 1);
    let c = p.resolve(&Identity::new(Phone, "13800138000")).unwrap();
    assert_eq!(p.timeline(&c).unwrap().len(), 4);
    // the phone customer was founded first and survives; the unionid customer is an alias
    assert_eq!(p.merge_log().len(), 1);
    let absorbed = p.merge_log()[0].absorbed.clone();
    assert_eq!(p.canonical_id(&absorbed).unwrap(), c);
    assert_eq!(p.aliases(&c).unwrap(), vec![absorbed]);
}

#[test]
fn limit_conflict_is_recorded_not_merged() {
    let mut p = Pool::default();
    p.ingest(vec![
        ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000"), (Union, "u1")]),
        ev("e2", "2024-01-02", EventKind::Register, &[(Phone, "13900139000")]),
        // u1 (customer with phone 1) seen with phone 2: phone limit 1 => conflict
        ev("e3", "2024-01-03", EventKind::View, &[(Phone, "13900139000"), (Union, "u1")]),
    ]);
    assert_eq!(p.stats().customers, 2);
    let cf = p.conflicts();
    assert_eq!(cf.len(), 1);
    assert_eq!(cf[0].identity.value, "u1");
    assert_eq!(cf[0].limit_kind, Phone);
    let c2 = p.resolve(&Identity::new(Phone, "13900139000")).unwrap();
    assert_eq!(cf[0].customer_id, c2);
    assert_eq!(p.timeline(&c2).unwrap().len(), 2, "e3 goes to the highest-priority identity's customer");
}

#[test]
fn duplicates_and_conflicting_ids() {
    let mut p = Pool::default();
    let a = ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000")]);
    let mut b = a.clone();
    b.kind = EventKind::View;
    let r = p.ingest(vec![a.clone(), a.clone(), b]);
    assert_eq!((r.accepted, r.duplicates, r.rejected.len()), (1, 1, 1));
    assert_eq!(r.rejected[0].field, "id");
    let r = p.ingest(vec![a]);
    assert_eq!(r.duplicates, 1);
}

#[test]
fn junk_identities_are_dropped_with_warning() {
    let mut p = Pool::default();
    let r = p.ingest(vec![
        ev("e1", "2024-01-01", EventKind::View, &[(Phone, "null"), (Union, "u1")]),
        ev("e2", "2024-01-01", EventKind::View, &[(Phone, "undefined")]),
    ]);
    assert_eq!(r.accepted, 1);
    assert_eq!(r.warnings.len(), 2);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].index, 1);
    assert_eq!(r.rejected[0].field, "identities");
    assert!(!r.warnings[0].reason.contains("null\""), "masked: {}", r.warnings[0].reason);
}

#[test]
fn out_of_order_equals_sorted() {
    let evs = vec![
        ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000")]),
        ev("e2", "2024-01-02", EventKind::View, &[(Union, "u1")]),
        ev("e3", "2024-01-03", EventKind::View, &[(Union, "u1"), (Phone, "13800138000")]),
    ];
    let mut a = Pool::default();
    a.ingest(evs.clone());
    let mut b = Pool::default();
    b.ingest(vec![evs[2].clone()]);
    b.ingest(vec![evs[1].clone()]);
    b.ingest(vec![evs[0].clone()]);
    assert_eq!(a.customer_ids(), b.customer_ids());
    assert_eq!(a.profiles(), b.profiles());
}

#[test]
fn unbind_splits_and_erase_removes_everything() {
    let mut p = Pool::default();
    p.ingest(vec![
        ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000"), (Union, "u1")]),
        ev("e2", "2024-01-02", EventKind::View, &[(Union, "u1")]),
        ev("e3", "2024-01-03", EventKind::View, &[(Phone, "13900139000")]),
    ]);
    assert_eq!(p.stats().customers, 2);
    let c_u = p.unbind(&Identity::new(Union, "u1")).unwrap().unwrap();
    assert_eq!(p.stats().customers, 3);
    let c_p = p.resolve(&Identity::new(Phone, "13800138000")).unwrap();
    assert_ne!(c_u, c_p);
    assert_eq!(p.timeline(&c_u).unwrap().len(), 1);
    assert_eq!(p.timeline(&c_p).unwrap().len(), 1);
    let before = p.snapshot();
    let rep = p.erase(&c_p).unwrap();
    assert_eq!(rep.events, 1);
    assert!(p.resolve(&Identity::new(Phone, "13800138000")).is_none());
    let snap = p.snapshot();
    assert!(before.windows(11).any(|w| w == b"13800138000"));
    assert!(!snap.windows(11).any(|w| w == b"13800138000"), "erased phone must not survive in a snapshot");
    let q = Pool::restore(&snap).unwrap();
    assert_eq!(q.customer_ids(), p.customer_ids());
}

#[test]
fn snapshot_round_trip_and_corruption() {
    let mut p = Pool::default();
    let mut e = ev("e1", "2024-01-01T10:00:00+08:00", EventKind::Order, &[(Phone, "13800138000")]);
    e.money = Some(Money::parse("19.90", Currency::CNY).unwrap());
    e.order_id = Some("o1".into());
    e.properties.insert("coupon".into(), crate::model::PropValue::Str("X".into()));
    p.ingest(vec![e]);
    let s = p.snapshot();
    let q = Pool::restore(&s).unwrap();
    assert_eq!(q.snapshot(), s);
    assert_eq!(q.profiles(), p.profiles());
    let mut bad = s.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert!(matches!(Pool::restore(&bad), Err(Error::Snapshot { .. })));
    let mut fut = s.clone();
    fut[8] = 99;
    let err = Pool::restore(&fut).unwrap_err().to_string();
    assert!(err.contains("newer"), "{err}");
    assert!(Pool::restore(b"nope").is_err());
    assert!(Pool::restore(&s[..s.len() - 3]).is_err());
}

#[test]
fn alias_chains_resolve_transitively() {
    let mut p = Pool::default();
    p.ingest(vec![ev("e1", "2024-01-01", EventKind::View, &[(AppUser, "a1")])]);
    let id_a = p.customer_ids()[0].clone();
    p.ingest(vec![ev("e2", "2024-01-02", EventKind::View, &[(Phone, "13800138000")])]);
    let id_p = p.resolve(&Identity::new(Phone, "13800138000")).unwrap();
    p.ingest(vec![ev("e3", "2024-01-03", EventKind::View, &[(Union, "u1")])]);
    let id_u = p.resolve(&Identity::new(Union, "u1")).unwrap();
    // u merges into p (p founded earlier), then p into a (a founded earliest): u -> p -> a
    p.ingest(vec![ev("e4", "2024-01-04", EventKind::View, &[(Union, "u1"), (Phone, "13800138000")])]);
    p.ingest(vec![ev("e5", "2024-01-05", EventKind::View, &[(AppUser, "a1"), (Phone, "13800138000")])]);
    assert_eq!(p.customer_ids(), vec![id_a.clone()]);
    assert_eq!(p.canonical_id(&id_u), Some(id_a.clone()));
    assert_eq!(p.canonical_id(&id_p), Some(id_a.clone()));
    let mut want = vec![id_p.clone(), id_u.clone()];
    want.sort();
    assert_eq!(p.aliases(&id_a).unwrap(), want);
    assert_eq!(p.timeline(&id_u).unwrap().len(), 5, "lookups by an old id reach the survivor");
    assert_eq!(p.export(&id_a).unwrap().merge_log.len(), 2);
}

#[test]
fn ingester_borrowed_equals_owned_and_keeps_positions() {
    // the same events through Pool::ingest and through the borrowed ingester, with a
    // conversion error in the middle and more events than the prepare-ahead window
    let events: Vec<Event> = (0..40)
        .map(|i| {
            let phone = format!("+86 138 0013 {:04}", 8000 + i % 7);
            let union = format!("u{}", i % 5);
            ev(
                &format!("e{i:02}"),
                &format!("2024-01-{:02} 10:00", 1 + i % 28),
                EventKind::View,
                &[(Phone, &phone), (Union, &union)],
            )
        })
        .collect();
    let mut owned = Pool::default();
    let mut sorted = events.clone();
    sorted.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let r1 = owned.ingest(events.clone());
    let mut borrowed = Pool::default();
    let mut ing = borrowed.ingester();
    for (k, e) in events.iter().enumerate() {
        if k == 20 {
            ing.reject(&Error::invalid("at", "yesterday", "not a time"));
        }
        ing.push(&e.as_borrowed());
    }
    ing.push(&events[3].as_borrowed()); // a duplicate after its original
    let r2 = ing.finish();
    assert_eq!((r1.accepted, r2.accepted), (40, 40));
    assert_eq!(r2.duplicates, 1);
    assert_eq!(r2.rejected.len(), 1);
    assert_eq!((r2.rejected[0].index, r2.rejected[0].field.as_str()), (20, "at"));
    assert_eq!(owned.snapshot(), borrowed.snapshot());
    assert_eq!(owned.profiles(), borrowed.profiles());
}

#[test]
fn ingester_dropped_without_finish_still_links() {
    let mut p = Pool::default();
    {
        let mut ing = p.ingester();
        for e in [
            ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000"), (Union, "u1")]),
            ev("e2", "2024-01-02", EventKind::View, &[(Union, "u1")]),
        ] {
            ing.push(&e.as_borrowed());
        }
    }
    assert_eq!(p.stats().events, 2);
    assert_eq!(p.stats().customers, 1);
    assert_eq!(p.resolve(&Identity::new(Union, "u1")), p.resolve(&Identity::new(Phone, "13800138000")));
}

#[test]
fn processing_order_materialises_only_when_a_batch_reaches_back() {
    let mut p = Pool::default();
    p.ingest(vec![ev("e2", "2024-01-02", EventKind::View, &[(Phone, "13800138000")])]);
    assert!(p.order.explicit.is_none());
    p.ingest(vec![ev("e1", "2024-01-01", EventKind::View, &[(Phone, "13800138001")])]);
    // slot 1 (e1) comes first now: the order is written out, and rebuild agrees with it
    assert_eq!(p.order.iter().collect::<Vec<_>>(), vec![1, 0]);
    let c = p.resolve(&Identity::new(Phone, "13800138001")).unwrap();
    assert_eq!(p.timeline(&c).unwrap().len(), 1);
}

#[test]
fn referral_with_a_junk_referrer_is_rejected_and_the_pool_still_restores() {
    let mut p = Pool::default();
    let mut e = ev("r1", "2024-01-01", EventKind::Referral, &[(Phone, "13800138000")]);
    e.referrer = Some(Identity::new(Phone, "null"));
    let mut ok = ev("r2", "2024-01-02", EventKind::Referral, &[(Phone, "13800138000")]);
    ok.referrer = Some(Identity::new(Phone, "13800138001"));
    let r = p.ingest(vec![e, ok]);
    assert_eq!(r.accepted, 1);
    assert_eq!((r.rejected[0].index, r.rejected[0].field.as_str()), (0, "referrer.value"));
    assert!(r.warnings.is_empty());
    assert!(!r.rejected[0].reason.contains("null"), "{}", r.rejected[0].reason);
    let back = Pool::restore(&p.snapshot()).unwrap();
    assert_eq!(back.snapshot(), p.snapshot());
    // a junk referrer on another kind of event is dropped with a warning, as before
    let mut v = ev("v1", "2024-01-03", EventKind::View, &[(Phone, "13800138000")]);
    v.referrer = Some(Identity::new(Phone, "null"));
    let r = p.ingest(vec![v]);
    assert_eq!((r.accepted, r.warnings.len()), (1, 1));
    assert!(Pool::restore(&p.snapshot()).is_ok());
}

#[test]
fn more_than_16_identities_per_event_is_a_config_error() {
    let mut config = PoolConfig::default();
    config.limits.max_identities = 17;
    let err = Pool::new(config).unwrap_err();
    assert_eq!(err.field(), Some("limits.max_identities"));
}

#[test]
fn a_leaked_ingester_is_linked_by_the_next_ingest() {
    let mut p = Pool::default();
    let e1 = ev("e1", "2024-01-01", EventKind::Register, &[(Phone, "13800138000"), (Union, "u1")]);
    let mut ing = p.ingester();
    ing.push(&e1.as_borrowed());
    ing.push(&ev("e0", "2024-01-01", EventKind::View, &[(Union, "u0")]).as_borrowed());
    for _ in 0..40 {
        // push past the prepare-ahead window so that both are stored
        ing.push(&e1.as_borrowed());
    }
    std::mem::forget(ing);
    p.ingest(vec![ev("e2", "2024-01-02", EventKind::View, &[(Union, "u1")])]);
    assert_eq!(p.stats().events, 3);
    let c = p.resolve(&Identity::new(Phone, "13800138000")).unwrap();
    assert_eq!(p.timeline(&c).unwrap().len(), 2);
}

mod late_batches {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [IdentityKind; 4] = [Phone, Union, AppUser, IdentityKind::Device];

    fn world_ident(k: u8, v: u8) -> Identity {
        let value = if k == 0 { format!("1380013800{v}") } else { format!("w{k}-{v}") };
        Identity::new(KINDS[k as usize].clone(), value)
    }

    /// A small tangled world (few identities, tight limits: merges, conflicts, ties in time)
    /// inside a crowd of unrelated customers, so that late events touch a small part of it.
    fn arb_world() -> impl Strategy<Value = Vec<Event>> {
        let tangled =
            prop::collection::vec((0u8..4, 0u8..3, prop::collection::vec((0u8..4, 0u8..3), 0..3), 0i64..40), 1..30);
        (tangled, 10usize..60).prop_map(|(rows, crowd)| {
            let base = 1_714_521_600_000_000i64;
            let mut out: Vec<Event> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (k, v, more, hour))| {
                    let mut ids = vec![world_ident(k, v)];
                    ids.extend(more.into_iter().map(|(k, v)| world_ident(k, v)));
                    let at = Timestamp::from_micros(base + hour * 3_600_000_000).unwrap();
                    Event::new(format!("t{i:02}"), at, EventKind::View, ids)
                })
                .collect();
            for c in 0..crowd {
                let at = Timestamp::from_micros(base + (c as i64 % 40) * 3_600_000_000 + 1).unwrap();
                let ids =
                    vec![Identity::new(Union, format!("crowd{c}")), Identity::new(AppUser, format!("crowd-app{c}"))];
                out.push(Event::new(format!("c{c:02}"), at, EventKind::View, ids));
            }
            out
        })
    }

    fn tight() -> PoolConfig {
        let mut c = PoolConfig::default();
        for k in c.identity_rules.kinds.iter_mut() {
            k.limit = k.limit.min(2);
        }
        c
    }

    /// Customer ids; identities and event ids per customer; conflicts; profiles.
    type State = (Vec<String>, Vec<(Vec<Identity>, Vec<String>)>, Vec<Conflict>, Vec<Profile>);

    /// Everything a customer's state is made of, in the pool's own order.
    fn state(p: &Pool) -> State {
        let ids = p.customer_ids();
        let per = ids
            .iter()
            .map(|c| (p.identities(c).unwrap(), p.timeline(c).unwrap().into_iter().map(|e| e.id).collect()))
            .collect();
        (ids, per, p.conflicts(), p.profiles())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A late batch re-links only what it touches, and the pool equals one that linked
        /// every stored event again, after every batch (also after an identity was unbound).
        #[test]
        fn relinking_what_a_late_batch_touches_equals_a_full_pass(
            events in arb_world(),
            seed in any::<u64>(),
            batches in 2usize..8,
            unbind_after in prop::option::of((0usize..8, 0u8..4, 0u8..3)),
        ) {
            let mut shuffled = events;
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let mut p = Pool::new(tight()).unwrap();
            let size = shuffled.len().div_ceil(batches);
            for (b, chunk) in shuffled.chunks(size).enumerate() {
                p.ingest(chunk.to_vec());
                if let Some((at, k, v)) = unbind_after {
                    if at == b {
                        let _ = p.unbind(&world_ident(k, v));
                    }
                }
                let mut full = p.clone();
                full.rebuild(MergeReason::Reorder);
                prop_assert_eq!(state(&p), state(&full), "after batch {}", b);
                prop_assert_eq!(&p.anchor, &full.anchor);
            }
        }
    }

    #[test]
    fn a_late_batch_relinks_only_the_customers_it_touches() {
        let mut p = Pool::default();
        let mut evs: Vec<Event> = (0..100)
            .map(|c| {
                let at = format!("2024-05-{:02} 10:00", 1 + c % 28);
                let id = if c % 2 == 0 { (Union, format!("u{c}")) } else { (AppUser, format!("a{c}")) };
                ev(&format!("e{c}"), &at, EventKind::View, &[(id.0, &id.1)])
            })
            .collect();
        evs.push(ev("late-link", "2024-05-01 09:00", EventKind::Register, &[(Union, "u2"), (AppUser, "a3")]));
        let late = evs.pop().unwrap();
        p.ingest(evs);
        let r = p.ingest(vec![late]);
        assert_eq!((r.late, r.full_pass), (1, false));
        let a = p.resolve(&Identity::new(Union, "u2")).unwrap();
        assert_eq!(p.resolve(&Identity::new(AppUser, "a3")).as_deref(), Some(a.as_str()));
        assert_eq!(p.stats().customers, 99);
        assert_eq!(
            p.timeline(&a).unwrap().iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["late-link", "e2", "e3"]
        );
        // what moved is logged once: the app user's customer now resolves to the merged one
        let log = p.merge_log();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].reason, log[0].survivor.as_deref()), (MergeReason::Reorder, Some(a.as_str())));
        // the pool equals one that linked everything again
        let mut full = p.clone();
        full.rebuild(MergeReason::Reorder);
        assert_eq!(p.customer_ids(), full.customer_ids());
    }
}
