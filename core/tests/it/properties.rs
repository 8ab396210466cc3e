//! Laws of the pool, as property tests: the partition does not depend on arrival order or
//! batching; snapshot -> restore is identity; replaying events changes nothing.

use proptest::prelude::*;
use std::collections::BTreeSet;
use yutang::{Event, EventKind, Identity, IdentityKind, Pool, Timestamp};

const KINDS: [IdentityKind; 5] = [
    IdentityKind::Phone,
    IdentityKind::WechatUnionid,
    IdentityKind::AppUser,
    IdentityKind::Taobao,
    IdentityKind::Device,
];

/// Value `v` of kind `k` (valid phone numbers for phones).
fn ident(k: usize, v: u8) -> Identity {
    let value = if k == 0 { format!("138001380{k}{v}") } else { format!("v{k}{v}") };
    Identity::new(KINDS[k].clone(), value)
}

/// Small worlds with many collisions: 5 kinds x 4 values, times over a few days (ties included).
fn arb_events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        (0u8..5, 0u8..4, prop::collection::vec((0usize..5, 0u8..4), 0..3), 0i64..6, any::<bool>()),
        1..24,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (k, v, more, day, order))| {
                let mut ids = vec![ident(k as usize, v)];
                for (k2, v2) in more {
                    ids.push(ident(k2, v2));
                }
                let at = Timestamp::from_micros(1_714_521_600_000_000 + day * 86_400_000_000).unwrap();
                let kind = if order { EventKind::Order } else { EventKind::View };
                let mut e = Event::new(format!("e{i:03}"), at, kind, ids);
                if order {
                    e.money = Some(yutang::Money::new(100 * (i as i64 + 1), yutang::Currency::CNY));
                }
                e
            })
            .collect()
    })
}

type Partition = BTreeSet<(BTreeSet<String>, BTreeSet<String>)>;

fn partition(p: &Pool) -> (Partition, BTreeSet<(String, String)>, BTreeSet<String>) {
    let ids = p.customer_ids();
    let part = ids
        .iter()
        .map(|c| {
            let idents = p.identities(c).unwrap().iter().map(|i| format!("{}:{}", i.kind, i.value)).collect();
            let events = p.timeline(c).unwrap().into_iter().map(|e| e.id).collect();
            (idents, events)
        })
        .collect();
    let conflicts = p
        .conflicts()
        .iter()
        .map(|c| (c.event_id.clone(), format!("{}:{}", c.identity.kind, c.identity.value)))
        .collect();
    (part, conflicts, ids.into_iter().collect())
}

fn small_limits() -> yutang::PoolConfig {
    let mut c = yutang::PoolConfig::default();
    for k in c.identity_rules.kinds.iter_mut() {
        k.limit = k.limit.min(2);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_order_and_any_split_gives_the_same_partition(
        events in arb_events(),
        perm_seed in any::<u64>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut sorted = Pool::new(small_limits()).unwrap();
        sorted.ingest(events.clone());
        // a deterministic shuffle from the seed
        let mut shuffled = events.clone();
        let mut s = perm_seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(shuffled.len() + 1)).collect();
        points.push(0);
        points.push(shuffled.len());
        points.sort();
        let mut split = Pool::new(small_limits()).unwrap();
        for w in points.windows(2) {
            split.ingest(shuffled[w[0]..w[1]].to_vec());
        }
        prop_assert_eq!(partition(&sorted), partition(&split));
        prop_assert_eq!(sorted.profiles(), split.profiles());
    }

    #[test]
    fn snapshot_restore_is_identity(events in arb_events()) {
        let mut p = Pool::new(small_limits()).unwrap();
        p.ingest(events);
        let blob = p.snapshot();
        let q = Pool::restore(&blob).unwrap();
        prop_assert_eq!(q.snapshot(), blob);
        prop_assert_eq!(partition(&p), partition(&q));
        prop_assert_eq!(p.profiles(), q.profiles());
        prop_assert_eq!(p.merge_log(), q.merge_log());
    }

    #[test]
    fn replaying_events_changes_nothing(events in arb_events()) {
        let mut p = Pool::new(small_limits()).unwrap();
        let first = p.ingest(events.clone());
        prop_assert!(first.accepted > 0);
        let before = (partition(&p), p.snapshot());
        let r = p.ingest(events.clone());
        prop_assert_eq!(r.accepted, 0);
        prop_assert_eq!(r.duplicates, first.accepted + first.duplicates);
        prop_assert_eq!((partition(&p), p.snapshot()), before);
    }

    #[test]
    fn counts_add_up(events in arb_events(), dup in 0usize..5) {
        let mut batch = events.clone();
        batch.extend(events.iter().take(dup).cloned());
        let mut p = Pool::default();
        let r = p.ingest(batch.clone());
        prop_assert_eq!(r.accepted + r.duplicates + r.rejected.len(), batch.len());
    }
}
