//! Runs tests/vectors/rules.json (shared with the Python and Kotlin tests), and checks that
//! docs/cookbook.md shows exactly the cookbook rules of the vectors.

use serde_json::Value;
use yutang::rules::{parse, to_text, Compiled, Rule};
use yutang::segment::AttrValue;
use yutang::{parse_time, EventInput, Identity, IdentityKind, Pool};

fn doc() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/rules.json")).expect("vectors");
    serde_json::from_str(&text).expect("json")
}

fn customer(pool: &Pool, who: &str) -> String {
    let (k, v) = who.split_once(':').expect("kind:value");
    pool.resolve(&Identity::new(IdentityKind::parse(k).unwrap(), v)).unwrap_or_else(|| panic!("{who}"))
}

fn pool_of(doc: &Value) -> Pool {
    let mut pool = Pool::default();
    let evs: Vec<EventInput> = serde_json::from_value(doc["events"].clone()).unwrap();
    let r = pool.ingest_inputs(&evs);
    assert_eq!(r.accepted, evs.len(), "{:?}", r.rejected);
    for a in doc["attributes"].as_array().unwrap() {
        let id = customer(&pool, a["customer"].as_str().unwrap());
        pool.set_attribute(&id, a["name"].as_str().unwrap(), AttrValue::Text(a["value"].as_str().unwrap().into()))
            .unwrap();
    }
    pool
}

#[test]
fn rules_vectors() {
    let doc = doc();
    let pool = pool_of(&doc);
    let as_of = parse_time(doc["as_of"].as_str().unwrap(), pool.time_zone()).unwrap();
    let all: Vec<String> =
        doc["customers"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(pool.customer_count(), all.len());
    // cookbook: members exactly
    let cook = doc["cookbook"].as_array().unwrap();
    assert!(cook.len() >= 15);
    let mut seg_pool = pool.clone();
    for c in cook {
        let (name, rule) = (c["name"].as_str().unwrap(), parse(c["rule"].as_str().unwrap()).unwrap());
        let want: Vec<String> =
            c["members"].as_array().unwrap().iter().map(|m| customer(&pool, m.as_str().unwrap())).collect();
        let got: Vec<String> =
            pool.evaluate(&rule, as_of).unwrap().into_iter().filter(|(_, m)| *m).map(|(id, _)| id).collect();
        let mut w = want.clone();
        w.sort();
        let mut g = got.clone();
        g.sort();
        assert_eq!(g, w, "cookbook {name}");
        seg_pool.define_segment(name, rule).unwrap();
        let mut m = seg_pool.segment_members(name, as_of).unwrap();
        m.sort();
        assert_eq!(m, w, "segment {name}");
    }
    // three-valued results
    for t in doc["truth"].as_array().unwrap() {
        let rule = parse(t["rule"].as_str().unwrap()).unwrap();
        let c = Compiled::new(&rule, &pool).unwrap();
        for (who, want) in t["truth"].as_object().unwrap() {
            let id = customer(&pool, who);
            let got = c.eval(&pool, pool.customer(&id).unwrap(), as_of);
            assert_eq!(got.as_str(), want.as_str().unwrap(), "{} for {who}", t["rule"]);
            assert_eq!(pool.explain(&rule, &id, as_of).unwrap().result, got);
        }
    }
    for x in doc["explain"].as_array().unwrap() {
        let id = customer(&pool, x["customer"].as_str().unwrap());
        let e = pool.explain(&parse(x["rule"].as_str().unwrap()).unwrap(), &id, as_of).unwrap();
        assert_eq!(e.result.as_str(), x["result"].as_str().unwrap());
        assert_eq!(e.value.as_deref(), x["value"].as_str());
        assert_eq!(e.detail, x["detail"].as_str().unwrap());
        let evs: Vec<&str> = x["events"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(e.events, evs);
    }
    for x in doc["next_change"].as_array().unwrap() {
        let id = customer(&pool, x["customer"].as_str().unwrap());
        let got = pool.next_change_at(&parse(x["rule"].as_str().unwrap()).unwrap(), &id, as_of).unwrap();
        assert_eq!(got.map(|t| t.to_rfc3339()).as_deref(), x["at"].as_str(), "{}", x["rule"]);
    }
    for x in doc["text"].as_array().unwrap() {
        let r = parse(x["text"].as_str().unwrap()).unwrap();
        assert_eq!(to_text(&r), x["canonical"].as_str().unwrap());
        assert_eq!(Rule::from_json(&x["tree"].to_string()).unwrap(), r);
    }
    for x in doc["errors"].as_array().unwrap() {
        match parse(x["text"].as_str().unwrap()) {
            Err(yutang::Error::Parse { line, column, .. }) => {
                assert_eq!(
                    (line as u64, column as u64),
                    (x["line"].as_u64().unwrap(), x["column"].as_u64().unwrap()),
                    "{}",
                    x["text"]
                )
            }
            other => panic!("{}: {other:?}", x["text"]),
        }
    }
}

#[test]
fn cookbook_doc_shows_the_vector_rules() {
    let md = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cookbook.md")).expect("cookbook");
    let doc = doc();
    for c in doc["cookbook"].as_array().unwrap() {
        let rule = c["rule"].as_str().unwrap();
        assert!(md.contains(rule), "docs/cookbook.md lacks {rule}");
        assert!(md.contains(c["name"].as_str().unwrap()));
    }
}
