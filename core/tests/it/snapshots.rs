//! Snapshot formats: goldens of every version restore, and a pool with every section
//! non-empty survives snapshot -> restore -> snapshot byte for byte, in the byte and the
//! streaming forms.

use yutang::journey::examples;
use yutang::lifecycle::LifecycleConfig;
use yutang::segment::AttrValue;
use yutang::tag::{TagGroup, TagValue};
use yutang::{parse_time, EventInput, Identity, IdentityKind, Pool, PoolConfig};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/");

/// A pool that exercises every part of the format: every event field, namespaces, another
/// currency, custom kinds and channels, merges, a conflict, an unbound identity, a retention
/// horizon, and every module section (rules with tags and attributes, lifecycle settings,
/// journeys with instances).
pub fn full_pool() -> Pool {
    let mut p = Pool::new(PoolConfig { retention_days: Some(3650), ..PoolConfig::default() }).unwrap();
    let evs: Vec<EventInput> = serde_json::from_value(serde_json::json!([
        {"id": "e01", "at": "2024-03-01 10:00", "kind": "register", "channel": "mini_program",
         "identities": [{"kind": "phone", "value": "+86 138 0013 8000"}, {"kind": "wechat_openid", "namespace": "wx-app-1", "value": "oA1"}]},
        {"id": "e02", "at": "2024-03-02 11:00", "kind": "order", "channel": "douyin", "amount": "99.90", "order_id": "o-1",
         "items": [{"sku": "latte", "category": "coffee", "quantity": 2, "unit_price": "19.90"}, {"sku": "cake", "quantity": 1}],
         "properties": {"coupon": "c15", "cups": 2, "member": true, "score": 4.5},
         "identities": [{"kind": "wechat_openid", "namespace": "wx-app-1", "value": "oA1"}, {"kind": "wechat_unionid", "value": "uA"}]},
        {"id": "e03", "at": "2024-03-03 12:00", "kind": "order", "amount": "12.00", "currency": "USD", "order_id": "o-2",
         "identities": [{"kind": "wechat_unionid", "value": "uA"}]},
        {"id": "e04", "at": "2024-03-04 09:00", "kind": "referral", "channel": "wecom", "referrer": {"kind": "phone", "value": "13800138000"},
         "identities": [{"kind": "phone", "value": "13900139000"}]},
        {"id": "e05", "at": "2024-03-05 09:00", "kind": "consent", "consent_channel": "sms", "granted": false, "source": "unsubscribe link",
         "identities": [{"kind": "phone", "value": "13900139000"}]},
        {"id": "e06", "at": "2024-03-06 09:00", "kind": "group_join", "group_id": "g-coffee-lovers",
         "identities": [{"kind": "phone", "value": "13900139000"}]},
        {"id": "e07", "at": "2024-03-07 09:00", "kind": "subscription_start", "subscription_id": "sub-1", "expires_at": "2024-06-01 00:00",
         "identities": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "e08", "at": "2024-03-08 09:00", "kind": "custom:coupon_redeemed", "channel": "custom:kiosk",
         "identities": [{"kind": "device", "value": "dev-shared"}, {"kind": "phone", "value": "13700137000"}]},
        {"id": "e09", "at": "2024-03-09 09:00", "kind": "view", "channel": "app",
         "identities": [{"kind": "device", "value": "dev-shared"}, {"kind": "phone", "value": "13600136000"}]},
        {"id": "e10", "at": "2024-03-10 09:00", "kind": "view",
         "identities": [{"kind": "wechat_unionid", "value": "uA"}, {"kind": "wechat_unionid", "value": "uB"}]},
        {"id": "e11", "at": "2024-03-11 09:00", "kind": "refund", "amount": "9.90", "order_id": "o-1",
         "identities": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "e00", "at": "2024-02-28 09:00", "kind": "view", "channel": "taobao",
         "identities": [{"kind": "taobao", "value": "tb-nick"}, {"kind": "phone", "value": "13500135000"}]}
    ]))
    .unwrap();
    let r = p.ingest_inputs(&evs);
    assert!(r.rejected.is_empty(), "{r:?}");
    p.unbind(&Identity::new(IdentityKind::Device, "dev-shared")).unwrap();
    let t0 = parse_time("2024-03-01", p.time_zone()).unwrap();
    let a = p.resolve(&Identity::new(IdentityKind::Phone, "13800138000")).unwrap();
    p.define_segment("buyers", yutang::rules::parse("orders(365d) >= 1").unwrap()).unwrap();
    p.define_tag_group(TagGroup::new(
        "value",
        vec![TagValue::new("big", yutang::rules::parse("spend(365d, currency: \"CNY\") > 50.00").unwrap())],
    ))
    .unwrap();
    p.set_manual_tag(&a, "vip", "gold", "staff-1", t0).unwrap();
    p.tag_identity(&Identity::new(IdentityKind::Phone, "13300133000"), "source", "fair", "staff-2", t0).unwrap();
    p.set_attribute(&a, "city", AttrValue::Text("Hangzhou".into())).unwrap();
    p.set_lifecycle_config(LifecycleConfig { at_risk_days: 45, churned_days: 120, ..LifecycleConfig::default() })
        .unwrap();
    p.add_journey(examples::coffee_coupon_ladder(), Some(t0)).unwrap();
    p.add_journey(examples::renewal_reminders(), Some(t0)).unwrap();
    p.advance(parse_time("2024-05-28", p.time_zone()).unwrap()).unwrap();
    p.refresh_segment("buyers", parse_time("2024-05-28", p.time_zone()).unwrap()).unwrap();
    p.apply_retention(parse_time("2034-01-01", p.time_zone()).unwrap()).unwrap();
    p
}

/// Two pools answer every read the same.
pub(crate) fn same_pool(a: &Pool, b: &Pool) {
    assert_eq!(a.customer_ids(), b.customer_ids());
    assert!(a.profiles() == b.profiles(), "profiles differ");
    assert!(a.conflicts() == b.conflicts(), "conflicts differ");
    assert!(a.merge_log() == b.merge_log(), "merge logs differ");
    assert!(a.journey_instances() == b.journey_instances(), "journey instances differ");
    for id in a.customer_ids() {
        assert!(a.export(&id).unwrap() == b.export(&id).unwrap(), "export of {id} differs");
    }
}

#[test]
fn the_full_pool_has_every_part() {
    let p = full_pool();
    let s = p.stats();
    assert!(s.conflicts >= 1 && s.merges >= 1, "{s:?}");
    assert!(!p.journey_instances().is_empty());
    let blob = p.snapshot();
    for name in [&b"lifecycle"[..], b"rules", b"journeys"] {
        assert!(blob.windows(name.len()).any(|w| w == name), "section {}", String::from_utf8_lossy(name));
    }
}

/// Write the current golden again (only when the format changes on purpose):
/// `YUTANG_WRITE_GOLDEN=v4_journeys_v2 cargo test -p yutang --test integration snapshots::golden`.
#[test]
fn golden_writer() {
    if let Ok(v) = std::env::var("YUTANG_WRITE_GOLDEN") {
        std::fs::write(format!("{VECTORS}snapshot_{v}.bin"), full_pool().snapshot()).unwrap();
    }
}

#[test]
fn golden_v2_restores_to_the_full_pool() {
    let blob = std::fs::read(format!("{VECTORS}snapshot_v2.bin")).expect("golden v2");
    assert_eq!(u16::from_le_bytes([blob[8], blob[9]]), 2);
    let back = Pool::restore(&blob).expect("restores");
    // the same pool, though not byte for byte: a v2 blob is re-read in processing order
    same_pool(&back, &full_pool());
    let again = back.snapshot();
    assert_eq!(Pool::restore(&again).unwrap().snapshot(), again);
}

/// The current format is frozen by its golden: today's code writes the full pool byte for byte
/// as the golden holds it (every section non-empty; the journeys section in version 2, as it
/// keeps the ended instances for the results), and the golden restores and re-snapshots to the
/// same bytes. A change to what any section writes fails here and needs a new version of that
/// section (its frozen types) or a new format version, with the old golden kept.
#[test]
fn golden_v4_is_what_the_full_pool_writes() {
    let blob = std::fs::read(format!("{VECTORS}snapshot_v4_journeys_v2.bin")).expect("golden v4, journeys v2");
    assert_eq!(u16::from_le_bytes([blob[8], blob[9]]), 4);
    assert_eq!(yutang::pool::SNAPSHOT_VERSION, 4, "a new format version needs its own golden");
    let back = Pool::restore(&blob).expect("restores");
    assert!(back.snapshot() == blob, "restore -> snapshot is identity on the golden");
    same_pool(&back, &full_pool());
    assert!(full_pool().snapshot() == blob, "the full pool is written as the golden holds it");
}

/// Format 4 with every section in version 1 (as the previous library wrote the full pool): it
/// restores to the same pool (without the ended instances the previous library did not keep),
/// and writes itself again byte for byte (a state without anything of journeys version 2
/// writes version 1).
#[test]
fn golden_v4_with_version_1_sections_restores_and_writes_itself() {
    let blob = std::fs::read(format!("{VECTORS}snapshot_v4.bin")).expect("golden v4");
    let back = Pool::restore(&blob).expect("restores");
    assert!(back.snapshot() == blob, "restore -> snapshot is identity on the golden");
    same_pool(&back, &full_pool());
}

/// Format 3 held version 1 of every section without the version numbers: it restores to the
/// same pool, and that pool writes exactly the format-4 golden.
#[test]
fn golden_v3_restores_to_the_full_pool_and_writes_the_v4_golden() {
    let v3 = std::fs::read(format!("{VECTORS}snapshot_v3.bin")).expect("golden v3");
    assert_eq!(u16::from_le_bytes([v3[8], v3[9]]), 3);
    let back = Pool::restore(&v3).expect("restores");
    same_pool(&back, &full_pool());
    let v4 = std::fs::read(format!("{VECTORS}snapshot_v4.bin")).expect("golden v4");
    assert!(back.snapshot() == v4, "the format-3 pool writes the format-4 golden");
}

/// Each section carries its version; one newer than this library reads is an error that names
/// the section and says to upgrade (never a misread pool).
#[test]
fn a_section_of_a_newer_version_is_refused_by_name() {
    let blob = full_pool().snapshot();
    let payload: Vec<usize> = frame_payloads(&blob).into_iter().flatten().collect();
    // the core's version is the first payload bytes
    let mut core = blob.clone();
    assert_eq!((core[payload[0]], core[payload[1]]), (1, 0));
    core[payload[0]] = 2;
    reseal_frames(&mut core);
    let e = Pool::restore(&core).unwrap_err().to_string();
    assert!(e.contains("section `core` has version 2") && e.contains("upgrade"), "{e}");
    // each section with the newest version this library reads
    for (name, newest) in [("lifecycle", 1u8), ("rules", 1), ("journeys", 2)] {
        // postcard: the name's length, the name, then the version (a one-byte varint)
        let mut tag = vec![name.len() as u8];
        tag.extend_from_slice(name.as_bytes());
        let at = blob.windows(tag.len()).rposition(|w| w == tag.as_slice()).expect(name) + tag.len();
        assert_eq!(blob[at], newest, "{name} is version {newest}");
        let mut b = blob.clone();
        b[at] = newest + 1;
        reseal_frames(&mut b);
        let e = Pool::restore(&b).unwrap_err().to_string();
        let says = format!("section `{name}` has version {}", newest + 1);
        assert!(e.contains(&says) && e.contains("upgrade"), "{e}");
        b[at] = 0;
        reseal_frames(&mut b);
        assert!(matches!(Pool::restore(&b), Err(yutang::Error::Snapshot { .. })), "{name} version 0");
    }
}

use crate::fuzz_corpus::bodies::{frame_payloads, reseal_frames};

#[test]
fn the_full_pool_round_trips_in_bytes_and_streams() {
    let p = full_pool();
    let blob = p.snapshot();
    assert_eq!(u16::from_le_bytes([blob[8], blob[9]]), yutang::pool::SNAPSHOT_VERSION);
    let back = Pool::restore(&blob).unwrap();
    assert!(back.snapshot() == blob, "snapshot -> restore -> snapshot is identity");
    same_pool(&back, &p);
    // through a file, with std::io
    let path = std::env::temp_dir().join(format!("yutang-snapshot-{}.bin", std::process::id()));
    p.snapshot_to(std::io::BufWriter::new(std::fs::File::create(&path).unwrap())).unwrap();
    assert!(std::fs::read(&path).unwrap() == blob, "the stream and the bytes are the same");
    let from_file = Pool::restore_from(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert!(from_file.snapshot() == blob);
    std::fs::remove_file(&path).ok();
    // the older formats still restore, and their pools equal this one
    let v2 = std::fs::read(format!("{VECTORS}snapshot_v2.bin")).unwrap();
    same_pool(&Pool::restore_from(&v2[..]).unwrap(), &p);
}

#[test]
fn a_large_pool_spans_many_frames_and_round_trips() {
    let cfg = yutang::synth::SynthConfig { events: 60_000, customers: 6_000, ..Default::default() };
    let mut p = Pool::default();
    p.ingest(yutang::synth::events(&cfg, 0..60_000));
    // a late batch: the processing order is written out
    p.ingest(yutang::synth::events(&yutang::synth::SynthConfig { seed: 7, ..cfg }, 0..500));
    let blob = p.snapshot();
    assert!(frame_payloads(&blob).len() > 2);
    let back = Pool::restore(&blob).unwrap();
    assert!(back.snapshot() == blob);
    assert_eq!(back.stats(), p.stats());
    assert_eq!(back.profiles(), p.profiles());
}

#[test]
fn damaged_streams_are_snapshot_errors() {
    let blob = full_pool().snapshot();
    let is_err = |b: &[u8]| matches!(Pool::restore(b), Err(yutang::Error::Snapshot { .. }));
    for cut in [0, 9, 10, 17, 18, blob.len() / 2, blob.len() - 8, blob.len() - 1] {
        assert!(is_err(&blob[..cut]), "cut at {cut}");
    }
    let mut extra = blob.clone();
    extra.push(0);
    assert!(is_err(&extra), "a byte after the end");
    let mut flipped = blob.clone();
    let r = frame_payloads(&flipped)[0].clone();
    flipped[r.start + 3] ^= 0x40;
    assert!(is_err(&flipped), "a frame's checksum");
    let mut future = blob.clone();
    future[8] = 99;
    let e = Pool::restore(&future).unwrap_err().to_string();
    assert!(e.contains("newer"), "{e}");
}

mod damaged {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]
        /// Any bytes of any frame changed (checksums recomputed): an error, or a pool on which
        /// every call works and which snapshots again.
        #[test]
        fn a_mutated_stream_is_an_error_or_a_working_pool(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            static BLOB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
            let blob = BLOB.get_or_init(|| full_pool().snapshot());
            let payload: Vec<usize> = frame_payloads(blob).into_iter().flatten().collect();
            let mut b = blob.clone();
            for (i, v) in &flips {
                b[payload[i.index(payload.len())]] = *v;
            }
            reseal_frames(&mut b);
            if let Ok(mut p) = Pool::restore(&b) {
                let as_of = parse_time("2024-08-01", p.time_zone()).unwrap();
                let _ = p.profiles();
                let _ = p.conflicts();
                let _ = p.journey_instances();
                let _ = p.advance(as_of);
                let _ = p.cohort_retention(Some(as_of));
                let _ = p.rfm_summary(&yutang::ltv::summary::SummaryOptions::new());
                for id in p.customer_ids() {
                    let _ = p.timeline(&id);
                    let _ = p.export(&id);
                }
                let again = p.snapshot();
                prop_assert_eq!(Pool::restore(&again).unwrap().snapshot(), again);
            }
        }
    }
}

#[test]
fn a_damaged_length_does_not_allocate_what_the_stream_lacks() {
    // found by the restore fuzz target: a frame whose value claims 4 GiB
    let mut b = b"YUTANGSN\x04\x00".to_vec();
    let payload = [0xffu8, 0xff, 0xff, 0xff, 0x7f];
    b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    b.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    b.extend_from_slice(&payload);
    b.extend_from_slice(&[0; 8]);
    assert!(matches!(Pool::restore(&b), Err(yutang::Error::Snapshot { .. })));
    // a count of many events with a few bytes behind it
    let mut c = full_pool().snapshot();
    c.truncate(c.len() / 2);
    assert!(Pool::restore(&c).is_err());
}
