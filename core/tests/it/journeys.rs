//! Journeys: the shared vectors (tests/vectors/journeys.json), validation errors with paths,
//! replays, simulate vs live, snapshots.

use serde_json::Value;
use std::collections::BTreeSet;
use yutang::journey::{examples, Action, CustomerSettings, Journey, JourneySettings};
use yutang::{parse_time, EventInput, Identity, IdentityKind, Pool, PoolConfig, Timestamp};

fn ident(s: &str) -> Identity {
    let (k, v) = s.split_once(':').expect("kind:value");
    Identity::new(IdentityKind::parse(k).expect("kind"), v)
}

fn t(pool: &Pool, s: &str) -> Timestamp {
    parse_time(s, pool.time_zone()).expect("time")
}

fn example(id: &str) -> Journey {
    match id {
        "coffee_coupon_ladder" => examples::coffee_coupon_ladder(),
        "renewal_reminders" => examples::renewal_reminders(),
        other => panic!("unknown example {other}"),
    }
}

fn who(pool: &Pool, customer_id: &str, names: &[String]) -> String {
    names
        .iter()
        .find(|n| pool.resolve(&ident(n)).as_deref() == Some(customer_id))
        .cloned()
        .unwrap_or_else(|| customer_id.to_string())
}

fn action_json(pool: &Pool, a: &Action, names: &[String]) -> Value {
    serde_json::json!({
        "customer": who(pool, &a.customer_id, names),
        "journey": a.journey,
        "step": a.step,
        "channel": a.channel.to_string(),
        "offer": a.offer,
        "due_at": a.due_at.to_datetime().with_timezone(&pool.time_zone()).to_rfc3339(),
        "key": a.key,
    })
}

/// Run one vector case; returns (actual actions per advance step, keys).
fn run_case(case: &Value) -> (Vec<Vec<Value>>, Vec<String>, Pool) {
    let mut pool = Pool::new(PoolConfig::default()).unwrap();
    let mut names: Vec<String> = Vec::new();
    let mut got = Vec::new();
    let mut keys = Vec::new();
    for step in case["steps"].as_array().unwrap() {
        if let Some(evs) = step.get("ingest") {
            let inputs: Vec<EventInput> = serde_json::from_value(evs.clone()).unwrap();
            for e in evs.as_array().unwrap() {
                for i in e["identities"].as_array().unwrap() {
                    let n = format!("{}:{}", i["kind"].as_str().unwrap(), i["value"].as_str().unwrap());
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            let r = pool.ingest_inputs(&inputs);
            assert!(r.rejected.is_empty(), "{:?}", r.rejected);
            if pool.journeys().is_empty() {
                for j in case["journeys"].as_array().unwrap() {
                    let since = t(&pool, case["since"].as_str().unwrap());
                    pool.add_journey(example(j.as_str().unwrap()), Some(since)).unwrap();
                }
            }
        }
        if let Some(s) = step.get("settings") {
            let mut settings = JourneySettings::default();
            for (name, c) in s["customers"].as_object().unwrap() {
                let id = pool.resolve(&ident(name)).expect("customer");
                let cs: CustomerSettings = serde_json::from_value(c.clone()).unwrap();
                settings.customers.insert(id, cs);
            }
            pool.set_journey_settings(settings).unwrap();
        }
        if let Some(a) = step.get("advance") {
            let actions = pool.advance(t(&pool, a.as_str().unwrap())).unwrap();
            keys.extend(actions.iter().map(|a| a.key.clone()));
            got.push(actions.iter().map(|x| action_json(&pool, x, &names)).collect());
        }
    }
    (got, keys, pool)
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/journeys.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn shared_vectors() {
    let doc = vectors();
    let print = std::env::var("YUTANG_PRINT_JOURNEYS").is_ok();
    for case in doc["cases"].as_array().unwrap() {
        let (got, keys, _) = run_case(case);
        let expected: Vec<&Value> = case["steps"].as_array().unwrap().iter().filter_map(|s| s.get("expect")).collect();
        if print {
            println!("CASE {}", serde_json::to_string(&serde_json::json!({"name": case["name"], "got": got})).unwrap());
            continue;
        }
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert_eq!(&Value::Array(g.clone()), e, "case {}", case["name"]);
        }
        let unique: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "idempotency keys are unique in {}", case["name"]);
    }
}

#[test]
#[ignore]
fn print_draws() {
    let doc = vectors();
    for case in doc["cases"].as_array().unwrap() {
        let mut case = case.clone();
        // stop the last advance just after the first SMS
        let steps = case["steps"].as_array_mut().unwrap();
        if let Some(last) = steps.last_mut() {
            if last.get("advance").is_some() {
                last["advance"] = Value::String(std::env::var("AT").unwrap_or("2024-04-01 11:00".into()));
            }
        }
        let (_, _, pool) = run_case(&case);
        for i in pool.journey_instances() {
            println!(
                "{} {} {:?} {} {} {}",
                case["name"],
                i.customer_id,
                i.instance_key,
                i.step,
                i.status,
                i.at.to_datetime().with_timezone(&pool.time_zone())
            );
        }
    }
}
