//! Runs tests/vectors/identity.json (shared with the Python and Kotlin tests).

use serde_json::Value;
use std::collections::BTreeSet;
use yutang::{EventInput, Identity, Pool, PoolConfig};

fn ident_str(i: &Identity) -> String {
    match &i.namespace {
        Some(ns) => format!("{}:{}:{}", i.kind, ns, i.value),
        None => format!("{}:{}", i.kind, i.value),
    }
}

fn config_for(case: &Value) -> PoolConfig {
    let mut c = PoolConfig::default();
    if let Some(r) = case.get("identity_rules") {
        if let Some(limits) = r.get("limits").and_then(Value::as_object) {
            for (k, v) in limits {
                let rule = c.identity_rules.kinds.iter_mut().find(|x| x.kind.to_string() == *k).expect("kind");
                rule.limit = v.as_u64().expect("limit") as u32;
            }
        }
        if let Some(b) = r.get("blocklist") {
            c.identity_rules.blocklist = serde_json::from_value(b.clone()).expect("blocklist");
        }
    }
    c
}

fn set_of_sets(v: &Value) -> BTreeSet<BTreeSet<String>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|g| g.as_array().expect("array").iter().map(|s| s.as_str().expect("str").to_string()).collect())
        .collect()
}

fn pairs(v: &Value) -> Vec<(usize, String)> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|p| (p[0].as_u64().expect("index") as usize, p[1].as_str().expect("field").to_string()))
        .collect()
}

#[test]
fn identity_vectors() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/identity.json"))
        .expect("vectors");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let exp = &case["expect"];
        let mut pool = Pool::new(config_for(case)).expect("config");
        let (mut accepted, mut duplicates, mut rejected, mut warnings) = (0, 0, Vec::new(), Vec::new());
        for batch in case["batches"].as_array().expect("batches") {
            let inputs: Vec<EventInput> = serde_json::from_value(batch.clone()).expect("inputs");
            let r = pool.ingest_inputs(&inputs);
            accepted += r.accepted;
            duplicates += r.duplicates;
            rejected.extend(r.rejected.iter().map(|x| (x.index, x.field.clone())));
            warnings.extend(r.warnings.iter().map(|x| (x.index, x.field.clone())));
        }
        assert_eq!(accepted, exp["accepted"].as_u64().unwrap() as usize, "{name}: accepted");
        assert_eq!(duplicates, exp["duplicates"].as_u64().unwrap() as usize, "{name}: duplicates");
        assert_eq!(rejected, pairs(&exp["rejected"]), "{name}: rejected");
        assert_eq!(warnings, pairs(&exp["warnings"]), "{name}: warnings");
        let ids = pool.customer_ids();
        let customers: BTreeSet<BTreeSet<String>> =
            ids.iter().map(|c| pool.identities(c).unwrap().iter().map(ident_str).collect()).collect();
        assert_eq!(customers, set_of_sets(&exp["customers"]), "{name}: customers");
        let groups: BTreeSet<BTreeSet<String>> =
            ids.iter().map(|c| pool.timeline(c).unwrap().into_iter().map(|e| e.id).collect()).collect();
        assert_eq!(groups, set_of_sets(&exp["event_groups"]), "{name}: event groups");
        let conflicts: BTreeSet<(String, String, String)> = pool
            .conflicts()
            .iter()
            .map(|c| (c.event_id.clone(), ident_str(&c.identity), c.limit_kind.to_string()))
            .collect();
        let want: BTreeSet<(String, String, String)> = exp["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["event_id"].as_str().unwrap().into(),
                    c["identity"].as_str().unwrap().into(),
                    c["limit_kind"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(conflicts, want, "{name}: conflicts");
        if let Some(m) = exp.get("merges") {
            let merges = pool.merge_log().iter().filter(|m| m.reason == yutang::MergeReason::Merge).count();
            assert_eq!(merges as u64, m.as_u64().unwrap(), "{name}: merges");
        }
        if let Some(first) = exp.get("survivor_founded_by").and_then(Value::as_str) {
            let mut solo = Pool::new(config_for(case)).unwrap();
            let all: Vec<EventInput> = serde_json::from_value(case["batches"][0].clone()).unwrap();
            solo.ingest_inputs(&all.into_iter().filter(|e| e.id.as_deref() == Some(first)).collect::<Vec<_>>());
            assert_eq!(
                solo.customer_ids(),
                pool.customer_ids(),
                "{name}: survivor keeps the id of the earlier founded customer"
            );
            for m in pool.merge_log() {
                assert_eq!(
                    pool.canonical_id(&m.absorbed),
                    Some(pool.customer_ids()[0].clone()),
                    "{name}: alias resolves"
                );
            }
        }
    }
}
