//! The bodies of the fuzz targets, shared by `cargo fuzz` (fuzz_targets/*.rs) and by the
//! stable replay of the committed corpora (`core/tests/it/fuzz_corpus.rs`). Each takes any
//! bytes and checks the promises that hold for every input: no panic, every event accounted
//! for, snapshot → restore is identity, a restored pool answers every call.
#![allow(dead_code)]

use std::sync::OnceLock;
use yutang::journey::Journey;
use yutang::{
    parse_time, BorrowedEvent, BorrowedIdentity, Channel, EventInput, EventKind, IdentityKind, Money, Pool, Timestamp,
};

fn t(s: &str) -> Timestamp {
    parse_time(s, yutang::parse_tz("Asia/Shanghai").expect("a zone")).expect("a fixed time")
}

/// accepted + duplicates + rejected = input; a snapshot restores to the same snapshot.
fn check_pool(p: &Pool, report: &yutang::IngestReport, n: usize) {
    assert_eq!(report.accepted + report.duplicates + report.rejected.len(), n, "{report:?}");
    let blob = p.snapshot();
    let back = Pool::restore(&blob).expect("a pool's own snapshot restores");
    assert_eq!(back.snapshot(), blob, "snapshot -> restore -> snapshot is identity");
}

/// Every read a host makes, on a pool of unknown origin.
fn exercise(p: &mut Pool) {
    let as_of = t("2024-08-01");
    let _ = p.stats();
    let _ = p.profiles();
    let _ = p.conflicts();
    let _ = p.journey_instances();
    let _ = p.next_wake_at();
    let _ = p.advance(as_of);
    for id in p.customer_ids().into_iter().take(8) {
        let _ = p.timeline(&id);
        let _ = p.export(&id);
    }
    let _ = p.rfm_summary(&yutang::ltv::summary::SummaryOptions::new());
    let _ = p.cohort_retention(Some(as_of));
    let _ = Pool::restore(&p.snapshot()).expect("a restored pool snapshots again");
}

/// Events from JSON, as Python dicts and Kotlin `ingestJson` send them.
pub fn ingest_json(data: &[u8]) {
    let Ok(values) = serde_json::from_slice::<Vec<serde_json::Value>>(data) else { return };
    let mut p = Pool::default();
    let (tz, cur, limits) = (p.time_zone(), p.config().currency, p.config().limits);
    let n = values.len();
    let events = values.into_iter().map(|v| {
        serde_json::from_value::<EventInput>(v)
            .map_err(|e| yutang::Error::json("event", &e))
            .and_then(|i| i.into_event(tz, cur, &limits))
    });
    let report = p.ingest_results(events);
    check_pool(&p, &report, n);
    for r in report.rejected.iter().chain(&report.warnings) {
        assert!(r.reason.chars().count() < 2_000, "a reason quotes too much");
    }
}

const KINDS: [&str; 9] =
    ["register", "order", "refund", "view", "referral", "consent", "group_join", "subscription_start", "custom:x"];
const IDENTITY_KINDS: [IdentityKind; 5] = [
    IdentityKind::Phone,
    IdentityKind::WechatUnionid,
    IdentityKind::Email,
    IdentityKind::AppUser,
    IdentityKind::Device,
];

/// Events through the borrowed (columnar) way in, as the bindings' table paths push them: the
/// bytes read as text (invalid UTF-8 becomes U+FFFD), one event per U+FFFD-separated record,
/// fields separated by U+0001.
pub fn ingest_columns(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let records: Vec<Vec<&str>> = text.split('\u{fffd}').map(|r| r.split('\u{1}').collect()).take(64).collect();
    let mut p = Pool::default();
    let kinds: Vec<EventKind> = KINDS.iter().map(|k| EventKind::parse(k).expect("kind")).collect();
    let base = t("2024-03-01").micros();
    let mut n = 0;
    let report = {
        let mut ing = p.ingester();
        for f in &records {
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            let byte = |i: usize| get(i).bytes().next().unwrap_or(0) as usize;
            let ids: Vec<BorrowedIdentity<'_>> = (0..byte(3) % 4)
                .map(|k| BorrowedIdentity {
                    kind: &IDENTITY_KINDS[(byte(4 + k) + k) % IDENTITY_KINDS.len()],
                    namespace: None,
                    value: get(4 + k),
                })
                .collect();
            let at = Timestamp::from_micros(base + (byte(1) as i64 - 64) * 3_600_000_000 * 24);
            let Ok(at) = at else { continue };
            let kind = &kinds[byte(2) % kinds.len()];
            let channel = Channel::parse(get(8)).ok();
            let mut e = BorrowedEvent::new(get(0), at, kind, &ids);
            e.channel = channel.as_ref();
            e.money = Money::parse(get(9), yutang::Currency::CNY).ok();
            e.order_id = Some(get(10)).filter(|s| !s.is_empty());
            e.group_id = Some(get(11)).filter(|s| !s.is_empty());
            e.referrer = ids.get(1).copied().filter(|_| byte(12) % 2 == 1);
            ing.push(&e);
            n += 1;
        }
        ing.finish()
    };
    check_pool(&p, &report, n);
    // erase whoever is first: the rest still restores
    if let Some(c) = p.customer_ids().first().cloned() {
        p.erase(&c).expect("erase of an existing customer");
        check_pool(&p, &yutang::IngestReport::default(), 0);
    }
}

/// A small pool with every kind of fact the condition language reads.
fn rules_pool() -> &'static Pool {
    static P: OnceLock<Pool> = OnceLock::new();
    P.get_or_init(|| {
        let mut p = Pool::default();
        let evs: Vec<EventInput> = serde_json::from_value(serde_json::json!([
            {"id": "1", "at": "2024-05-01 10:00", "kind": "register", "channel": "mini_program", "identities": [{"kind": "phone", "value": "13800000001"}]},
            {"id": "2", "at": "2024-05-03 10:00", "kind": "order", "amount": "99.00", "channel": "douyin", "identities": [{"kind": "phone", "value": "13800000001"}], "properties": {"coupon": "c15", "n": 3}},
            {"id": "3", "at": "2024-06-03 10:00", "kind": "order", "amount": "19.90", "channel": "taobao", "identities": [{"kind": "phone", "value": "13800000002"}]},
            {"id": "4", "at": "2024-06-04 10:00", "kind": "view", "channel": "app", "identities": [{"kind": "phone", "value": "13800000003"}]}
        ]))
        .expect("events");
        p.ingest_inputs(&evs);
        p.define_segment("buyers", yutang::rules::parse("orders(365d) >= 1").expect("rule")).expect("segment");
        p
    })
}

/// Rule text: parse, print and parse again (the same tree), compile and evaluate, explain.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rule) = yutang::rules::parse(text) else { return };
    let printed = yutang::rules::to_text(&rule);
    assert_eq!(yutang::rules::parse(&printed).as_ref(), Ok(&rule), "to_text of {text:?} is {printed:?}");
    let json = serde_json::to_string(&rule).expect("a rule serialises");
    let back: yutang::rules::Rule = serde_json::from_str(&json).expect("and deserialises");
    assert_eq!(back, rule);
    let p = rules_pool();
    let as_of = t("2024-06-30");
    if let Ok(all) = p.evaluate(&rule, as_of) {
        for (id, _) in all.iter().take(4) {
            let _ = p.explain(&rule, id, as_of);
            let _ = p.next_change_at(&rule, id, as_of);
        }
    }
}

/// Journey definitions: load, round-trip, run live and simulated on a small pool.
pub fn journey(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(j) = Journey::from_json(text) else { return };
    let again = Journey::from_json(&j.to_json()).expect("a loaded journey's JSON loads");
    assert_eq!(again, j);
    let mut p = rules_pool().clone();
    if p.add_journey(j.clone(), Some(t("2024-01-01"))).is_ok() {
        let _ = p.advance(t("2024-06-01"));
        let _ = p.advance(t("2024-09-01"));
        let _ = p.journey_instances();
        let back = Pool::restore(&p.snapshot()).expect("restores");
        assert_eq!(back.snapshot(), p.snapshot());
    }
    let _ = p.simulate(&[j], t("2024-01-01"), t("2024-09-01"));
}

/// Arbitrary bytes as a snapshot: an error or a pool on which every call works.
pub fn restore(data: &[u8]) {
    if let Ok(mut p) = Pool::restore(data) {
        exercise(&mut p);
    }
}

/// A valid snapshot with every section, for structured mutation.
pub fn golden_snapshot() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let mut p = rules_pool().clone();
        p.add_journey(yutang::journey::examples::coffee_coupon_ladder(), Some(t("2024-01-01"))).expect("journey");
        let first = p.customer_ids()[0].clone();
        p.set_manual_tag(&first, "vip", "gold", "fuzz", t("2024-05-01")).expect("tag");
        let _ = p.advance(t("2024-06-10"));
        p.snapshot()
    })
}

/// Byte ranges of the payloads of a version-3 snapshot's frames (read from their length
/// fields, which must be intact).
pub fn frame_payloads(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let (mut at, mut out) = (10, Vec::new());
    while at + 8 <= b.len() {
        let len = u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
        if len == 0 || at + 8 + len > b.len() {
            break;
        }
        out.push(at + 8..at + 8 + len);
        at += 8 + len;
    }
    out
}

/// Recompute every frame's CRC after its payload bytes were changed: the damage then reaches
/// the decoder, not the checksum.
pub fn reseal_frames(b: &mut [u8]) {
    for r in frame_payloads(b) {
        let crc = crc32fast::hash(&b[r.clone()]);
        b[r.start - 4..r.start].copy_from_slice(&crc.to_le_bytes());
    }
}

/// The golden snapshot with bytes of its frames' payloads overwritten (pairs of position and
/// value from the input; a trailing odd byte also cuts the stream), the frames' checksums
/// recomputed: every decoder and validation is reached, not only the checksum.
pub fn restore_mutated(data: &[u8]) {
    let mut b = golden_snapshot().to_vec();
    let payload: Vec<usize> = frame_payloads(&b).into_iter().flatten().collect();
    for pair in data.chunks_exact(3) {
        let k = u16::from_le_bytes([pair[0], pair[1]]) as usize % payload.len();
        b[payload[k]] = pair[2];
    }
    reseal_frames(&mut b);
    if data.len() % 3 == 1 {
        b.truncate(b.len() - (data[0] as usize % 16));
    }
    restore(&b);
}
