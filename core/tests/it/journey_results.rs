//! Journey results: the shared hand-worked vectors (tests/vectors/journey_results.json),
//! control instances followed through their window, the global control group, snapshots.

use serde_json::Value;
use yutang::journey::{Journey, JourneyResults, JourneySettings, ResultsOptions};
use yutang::{parse_time, EventInput, Identity, IdentityKind, Pool, Timestamp};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/");

fn t(pool: &Pool, s: &str) -> Timestamp {
    parse_time(s, pool.time_zone()).expect("time")
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(format!("{VECTORS}journey_results.json")).expect("vectors");
    serde_json::from_str(&text).expect("json")
}

/// Ingest the case's events, add its journey, advance to `as_of`; the pool and its results.
fn run(case: &Value) -> (Pool, JourneyResults) {
    let mut pool = Pool::default();
    let inputs: Vec<EventInput> = serde_json::from_value(case["events"].clone()).unwrap();
    let report = pool.ingest_inputs(&inputs);
    assert_eq!(report.rejected.len(), 0, "{:?}", report.rejected);
    let mut settings: JourneySettings = pool.journey_settings().clone();
    if let Some(g) = case["settings"]["global_control"].as_f64() {
        settings.global_control = g;
    }
    pool.set_journey_settings(settings).unwrap();
    let j = Journey::from_json(&case["journey"].to_string()).unwrap();
    let id = j.id.clone();
    pool.add_journey(j, Some(t(&pool, case["since"].as_str().unwrap()))).unwrap();
    let as_of = t(&pool, case["as_of"].as_str().unwrap());
    pool.advance(as_of).unwrap();
    let r = pool.journey_results(&id, as_of).unwrap();
    (pool, r)
}

fn arm_of(pool: &Pool, phone: &str) -> String {
    let id = pool.resolve(&Identity::new(IdentityKind::Phone, phone)).unwrap();
    let arms: Vec<_> = pool.journey_instances().into_iter().filter(|i| i.customer_id == id).collect();
    assert_eq!(arms.len(), 1);
    arms[0].arm.clone().unwrap_or_else(|| "treatment".into())
}

fn close(got: Option<f64>, want: &Value, what: &str) {
    match (got, want.as_f64()) {
        (None, None) => {}
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{what}: {g} vs {w}"),
        (g, _) => panic!("{what}: {g:?} vs {want}"),
    }
}

#[test]
fn hand_worked_vectors() {
    let doc = vectors();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (pool, r) = run(case);
        if std::env::var("YUTANG_PRINT_ARMS").is_ok() {
            for c in case["customers"].as_array().unwrap() {
                eprintln!("{name} {} {}", c["phone"], arm_of(&pool, c["phone"].as_str().unwrap()));
            }
            eprintln!("{}", serde_json::to_string_pretty(&r).unwrap());
            continue;
        }
        // the arms are the pinned deterministic assignment
        for c in case["customers"].as_array().unwrap() {
            assert_eq!(arm_of(&pool, c["phone"].as_str().unwrap()), c["arm"].as_str().unwrap(), "{name} {c}");
        }
        assert_eq!(r.baseline.as_deref(), case["expect"]["baseline"].as_str(), "{name}");
        let want = case["expect"]["arms"].as_array().unwrap();
        assert_eq!(r.arms.len(), want.len(), "{name}");
        for (got, w) in r.arms.iter().zip(want) {
            let what = format!("{name}/{}", got.arm);
            assert_eq!(got.arm, w["arm"].as_str().unwrap(), "{what}");
            // the counts from the customers' hand-worked outcomes
            let mine: Vec<&Value> = case["customers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["arm"].as_str() == Some(got.arm.as_str()))
                .collect();
            assert_eq!(got.entered, mine.len() as u64, "{what}");
            assert_eq!(got.converted, mine.iter().filter(|c| c["converted"] == true).count() as u64, "{what}");
            let revenue: f64 = mine.iter().map(|c| c["revenue"].as_f64().unwrap()).sum();
            assert!((got.revenue - revenue).abs() < 1e-9, "{what}: revenue {} vs {revenue}", got.revenue);
            assert_eq!(got.entered, w["entered"].as_u64().unwrap(), "{what}");
            assert_eq!(got.converted, w["converted"].as_u64().unwrap(), "{what}");
            for (field, v) in [
                ("rate_low", got.rate_low),
                ("rate_high", got.rate_high),
                ("lift", got.lift),
                ("lift_low", got.lift_low),
                ("lift_high", got.lift_high),
                ("relative_lift", got.relative_lift),
                ("relative_lift_low", got.relative_lift_low),
                ("relative_lift_high", got.relative_lift_high),
                ("p_value", got.p_value),
            ] {
                close(v, &w[field], &format!("{what}.{field}"));
            }
        }
    }
}

#[test]
fn control_instances_are_followed_then_end_and_receive_nothing() {
    let doc = vectors();
    for case in doc["cases"].as_array().unwrap() {
        let (pool, _) = run(case);
        let controls: Vec<String> = case["customers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["arm"].as_str().is_some_and(|a| a.contains("control")))
            .map(|c| pool.resolve(&Identity::new(IdentityKind::Phone, c["phone"].as_str().unwrap())).unwrap())
            .collect();
        assert!(!controls.is_empty());
        // replay from scratch to see the actions: none for a control customer
        let (mut fresh, _) = run(&serde_json::json!({
            "events": case["events"], "settings": case["settings"], "journey": case["journey"],
            "since": case["since"], "as_of": "2024-03-01 09:00"
        }));
        let acts = fresh.advance(t(&fresh, "2024-04-01")).unwrap();
        assert!(!acts.is_empty());
        assert!(acts.iter().all(|a| !controls.contains(&a.customer_id)), "{}", case["name"]);
        // within the window a control instance without a goal is followed; after it, ended
        let statuses = |p: &Pool| -> Vec<(String, String)> {
            p.journey_instances()
                .into_iter()
                .filter(|i| controls.contains(&i.customer_id))
                .map(|i| (i.customer_id, i.status))
                .collect()
        };
        let (early, _) = run(&serde_json::json!({
            "events": case["events"], "settings": case["settings"], "journey": case["journey"],
            "since": case["since"], "as_of": "2024-03-03 00:00"
        }));
        assert!(statuses(&early).iter().any(|s| s.1 == "following"), "{:?}", statuses(&early));
        for (_, s) in statuses(&fresh) {
            assert!(s == "converted" || s.ends_with("control"), "{s}");
        }
        assert_eq!(fresh.next_wake_at(), None);
    }
}

#[test]
fn results_survive_a_snapshot() {
    let doc = vectors();
    for case in doc["cases"].as_array().unwrap() {
        let (pool, r) = run(case);
        let back = Pool::restore(&pool.snapshot()).unwrap();
        assert_eq!(back.snapshot(), pool.snapshot());
        assert_eq!(back.journey_instances(), pool.journey_instances());
        assert_eq!(back.journey_settings(), pool.journey_settings());
        let again = back.journey_results(&r.journey, r.as_of).unwrap();
        // the per-step counts are those of the pool object; everything else is restored
        assert_eq!(JourneyResults { steps: vec![], ..again }, JourneyResults { steps: vec![], ..r.clone() });
    }
}

#[test]
fn results_refuse_bad_input_by_name() {
    let doc = vectors();
    let (pool, r) = run(&doc["cases"][0]);
    let e = pool.journey_results("nope", r.as_of).unwrap_err().to_string();
    assert!(e.contains("journey") && e.contains("nope"), "{e}");
    for (opts, name) in [
        (ResultsOptions { level: 1.0, ..Default::default() }, "level"),
        (ResultsOptions { mixing_variance: 0.0, ..Default::default() }, "mixing_variance"),
    ] {
        let e = pool.journey_results_with("winback", r.as_of, &opts).unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    }
    let mut s = pool.journey_settings().clone();
    s.global_control = 1.0;
    let mut p2 = pool.clone();
    assert!(p2.set_journey_settings(s).unwrap_err().to_string().contains("global_control"));
    let bad = doc["cases"][0]["journey"].to_string().replace("\"14d\"", "\"0\"");
    assert!(Journey::from_json(&bad).unwrap_err().to_string().contains("conversion_window"));
}

#[test]
fn open_windows_and_the_global_results() {
    let doc = vectors();
    let case = &doc["cases"][1];
    let mut c = case.clone();
    c["as_of"] = Value::String("2024-03-09 00:00".into());
    let (pool, r) = run(&c);
    // by 03-09 only the orders of 03-02, 03-05 and 03-08 are in; the rest are open windows
    let total: u64 = r.arms.iter().map(|a| a.converted).sum();
    let open: u64 = r.arms.iter().map(|a| a.open).sum();
    assert_eq!((total, open), (3, 7));
    let g = pool.global_control_results(r.as_of, &ResultsOptions::default()).unwrap();
    assert_eq!(g.journey, "*");
    assert_eq!(g.baseline.as_deref(), Some("global_control"));
    let entered: Vec<u64> = g.arms.iter().map(|a| a.entered).collect();
    assert_eq!(entered, r.arms.iter().map(|a| a.entered).collect::<Vec<_>>());
}
