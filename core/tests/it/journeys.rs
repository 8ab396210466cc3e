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

fn err_field(json: &str) -> String {
    match Journey::from_json(json) {
        Err(yutang::Error::InvalidField { field, .. }) => field,
        other => panic!("expected an InvalidField error, got {other:?}"),
    }
}

fn tiny(steps: &str) -> String {
    format!(r#"{{"version": 1, "id": "t", "triggers": [{{"event": "register"}}], "steps": {steps}}}"#)
}

#[test]
fn bad_definitions_name_the_offending_element() {
    // unknown step target
    assert_eq!(err_field(&tiny(r#"[{"id": "a", "type": "wait", "min": "1d", "next": "nowhere"}]"#)), "steps[0].next");
    // unreachable step: b is jumped over
    assert_eq!(
        err_field(&tiny(
            r#"[{"id": "a", "type": "wait", "min": "1d", "next": "c"}, {"id": "b", "type": "end"}, {"id": "c", "type": "end"}]"#
        )),
        "steps[1]"
    );
    // wait with min > max
    assert_eq!(err_field(&tiny(r#"[{"id": "a", "type": "wait", "min": "7d", "max": "5d"}]"#)), "steps[0].max");
    // a loop with no wait: a -> b -> a
    assert_eq!(
        err_field(&tiny(
            r#"[{"id": "a", "type": "send", "channel": "sms", "next": "b"},
                {"id": "b", "type": "branch", "cases": [], "otherwise": "a"}]"#
        )),
        "steps[0]"
    );
    // a loop through a wait is fine
    assert!(Journey::from_json(&tiny(
        r#"[{"id": "a", "type": "send", "channel": "sms"}, {"id": "w", "type": "wait", "min": "1d", "next": "a"}]"#
    ))
    .is_ok());
    // unknown channel
    assert_eq!(
        err_field(&tiny(
            r#"[{"id": "a", "type": "wait", "min": "1d"}, {"id": "b", "type": "send", "channel": "pigeon"}]"#
        )),
        "steps[1].channel"
    );
    assert_eq!(
        err_field(&tiny(
            r#"[{"id": "a", "type": "send", "channel": "sms", "channel_by": [{"when": {"tier": "high"}, "channel": "fax"}]}]"#
        )),
        "steps[0].channel_by[0].channel"
    );
    // unknown trigger start, bad offer, unknown step type, bad version
    let j = r#"{"version": 1, "id": "t", "triggers": [{"event": "register", "start": "x"}], "steps": [{"id": "a", "type": "end"}]}"#;
    assert_eq!(err_field(j), "triggers[0].start");
    assert_eq!(err_field(&tiny(r#"[{"id": "a", "type": "send", "channel": "sms", "offer": 1.5}]"#)), "steps[0].offer");
    assert_eq!(err_field(&tiny(r#"[{"id": "a", "type": "teleport"}]"#)), "steps[0]");
    assert_eq!(
        err_field(&tiny(r#"[{"id": "a", "type": "end"}]"#).replace("\"version\": 1", "\"version\": 9")),
        "version"
    );
    assert_eq!(err_field(&tiny(r#"[{"id": "a", "type": "wait", "min": "soon"}]"#)), "steps[0]");
}

fn reg(id: &str, at: &str, phone: &str) -> EventInput {
    serde_json::from_value(
        serde_json::json!({"id": id, "at": at, "kind": "register", "identities": [{"kind": "phone", "value": phone}]}),
    )
    .unwrap()
}

fn input(v: Value) -> EventInput {
    serde_json::from_value(v).unwrap()
}

#[test]
fn simulate_previews_without_touching_live_state_and_agrees_with_live() {
    let mut pool = Pool::default();
    pool.ingest_inputs(&[
        reg("r1", "2024-03-01 10:00", "13800000001"),
        reg("r2", "2024-03-02 22:30", "13800000002"),
        input(serde_json::json!({"id": "o1", "at": "2024-03-10 12:00", "kind": "order", "amount": "20", "identities": [{"kind": "phone", "value": "13800000002"}]})),
    ]);
    let before = pool.snapshot();
    let (start, end) = (t(&pool, "2024-02-01"), t(&pool, "2024-06-01"));
    let sim = pool.simulate(&[examples::coffee_coupon_ladder()], start, end).unwrap();
    assert_eq!(pool.snapshot(), before, "simulate leaves the pool as it was");
    assert!(pool.journeys().is_empty());
    // customer 1: 85/43/28; customer 2: ordered (converted) then one 43% coupon 7 days later
    let offers: Vec<Option<f64>> = sim.actions.iter().map(|a| a.offer).collect();
    assert_eq!(offers, vec![Some(0.43), Some(0.85), Some(0.43), Some(0.28)]);
    let j = &sim.journeys[0];
    // entered: r1, r2, o1 (the post-purchase instance re-enters after r2's converted)
    assert_eq!((j.entered, j.converted, j.finished, j.active), (3, 1, 2, 0));
    assert!((j.conversion - 1.0 / 3.0).abs() < 1e-12);
    let c85 = sim.steps.iter().find(|s| s.step == "coupon_85").unwrap();
    assert_eq!((c85.visits, c85.sent), (1, 1));
    // live with the same start gives the same actions, keys included
    pool.add_journey(examples::coffee_coupon_ladder(), Some(start)).unwrap();
    let live = pool.advance(end).unwrap();
    assert_eq!(live, sim.actions);
}

#[test]
fn add_journey_acts_from_now_on_unless_backfilled() {
    let mut pool = Pool::default();
    pool.ingest_inputs(&[reg("r1", "2024-03-01 10:00", "13800000001")]);
    pool.add_journey(examples::coffee_coupon_ladder(), None).unwrap();
    assert!(pool.advance(t(&pool, "2024-06-01")).unwrap().is_empty(), "the old registration is history");
    pool.ingest_inputs(&[reg("r2", "2024-06-02 10:00", "13800000002")]);
    let a = pool.advance(t(&pool, "2024-07-03")).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].due_at, t(&pool, "2024-07-02 10:00"));
    assert_eq!(pool.next_wake_at(), Some(t(&pool, "2024-07-09 10:00")));
    // backfill: the same journey added with an earlier `since` replays the old registration
    let mut pool2 = Pool::default();
    pool2.ingest_inputs(&[reg("r1", "2024-03-01 10:00", "13800000001")]);
    pool2.add_journey(examples::coffee_coupon_ladder(), Some(t(&pool2, "2024-01-01"))).unwrap();
    assert_eq!(pool2.advance(t(&pool2, "2024-06-01")).unwrap().len(), 3);
}

fn journey(json: Value) -> Journey {
    Journey::from_json(&json.to_string()).unwrap()
}

#[test]
fn hold_until_event_exit_rules_and_reentry() {
    // hold for an order up to 2 days: order -> thank-you; timeout -> reminder
    let j = journey(serde_json::json!({
        "version": 1, "id": "cart", "triggers": [{"event": "add_to_cart"}],
        "reentry": {"policy": "cooldown", "cooldown": "10d"},
        "exits": [{"event": "unfollow"}],
        "steps": [
            {"id": "hold", "type": "hold", "event": "order", "timeout": "2d", "on_event": "thanks", "on_timeout": "remind"},
            {"id": "remind", "type": "send", "channel": "wecom", "template": "cart_reminder", "next": "end"},
            {"id": "thanks", "type": "send", "channel": "wecom", "template": "thanks", "next": "end"}
        ]
    }));
    let mut pool = Pool::default();
    let ev = |id: &str, at: &str, kind: &str, phone: &str| {
        let mut v =
            serde_json::json!({"id": id, "at": at, "kind": kind, "identities": [{"kind": "phone", "value": phone}]});
        if kind == "order" {
            v["amount"] = "10".into();
        }
        input(v)
    };
    pool.ingest_inputs(&[
        ev("a1", "2024-03-01 10:00", "add_to_cart", "13800000001"),
        ev("a2", "2024-03-02 11:00", "order", "13800000001"),
        ev("b1", "2024-03-01 10:00", "add_to_cart", "13800000002"),
        ev("c1", "2024-03-01 10:00", "add_to_cart", "13800000003"),
        ev("c2", "2024-03-02 10:00", "unfollow", "13800000003"),
        // re-entry: within the cooldown (ended 03-03 10:00 + 10d) nothing; after it, again
        ev("b2", "2024-03-05 10:00", "add_to_cart", "13800000002"),
        ev("b3", "2024-03-14 10:00", "add_to_cart", "13800000002"),
    ]);
    pool.add_journey(j, Some(t(&pool, "2024-02-01"))).unwrap();
    let got: Vec<(String, Timestamp)> =
        pool.advance(t(&pool, "2024-04-01")).unwrap().into_iter().map(|a| (a.template.unwrap(), a.due_at)).collect();
    assert_eq!(
        got,
        vec![
            ("thanks".to_string(), t(&pool, "2024-03-02 11:00")),
            ("cart_reminder".to_string(), t(&pool, "2024-03-03 10:00")),
            ("cart_reminder".to_string(), t(&pool, "2024-03-16 10:00")),
        ]
    );
    let statuses: BTreeSet<String> = pool.journey_instances().into_iter().map(|i| i.status).collect();
    assert!(statuses.contains("exited"));
}

#[test]
fn split_is_sticky_with_a_control_group_and_order_keyed_instances() {
    let j = journey(serde_json::json!({
        "version": 1, "id": "ab", "seed": 11, "triggers": [{"event": "order"}],
        "instance_key": "order", "reentry": {"policy": "every_trigger"},
        "steps": [
            {"id": "split", "type": "split", "arms": [
                {"name": "A", "weight": 1, "goto": "a"}, {"name": "B", "weight": 1, "goto": "b"}, {"name": "control", "weight": 1}]},
            {"id": "a", "type": "send", "channel": "sms", "template": "A", "next": "end"},
            {"id": "b", "type": "send", "channel": "sms", "template": "B", "next": "end"}
        ]
    }));
    let mut pool = Pool::default();
    let mut evs = Vec::new();
    for c in 0..300 {
        for k in 0..2 {
            evs.push(input(
                serde_json::json!({"id": format!("o{c}-{k}"), "at": format!("2024-03-{:02} 12:00", 1 + 2 * k),
                "kind": "order", "amount": "9", "order_id": format!("ord-{c}-{k}"),
                "identities": [{"kind": "phone", "value": format!("139{c:08}")}]}),
            ));
        }
    }
    pool.ingest_inputs(&evs);
    pool.add_journey(j, Some(t(&pool, "2024-02-01"))).unwrap();
    let acts = pool.advance(t(&pool, "2024-04-01")).unwrap();
    // sticky: both orders of a customer land in the same arm
    let mut by_cust: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for a in &acts {
        assert!(a.instance_key.as_deref().unwrap().starts_with("ord-"));
        by_cust.entry(a.customer_id.clone()).or_default().push(a.template.clone().unwrap());
    }
    for v in by_cust.values() {
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], v[1]);
    }
    let control = 300 - by_cust.len();
    assert!((60..140).contains(&control), "about a third in control, got {control}");
}

#[test]
fn snapshot_restore_keeps_journey_state_and_the_future() {
    let doc = vectors();
    for case in doc["cases"].as_array().unwrap() {
        // stop half-way, snapshot, restore, and finish both
        let mut half = case.clone();
        let steps = half["steps"].as_array_mut().unwrap();
        let last = steps.len() - 1;
        steps[last]["advance"] = Value::String("2024-03-31 10:30".into());
        let (_, _, mut pool) = run_case(&half);
        let mut restored = Pool::restore(&pool.snapshot()).unwrap();
        assert_eq!(restored.snapshot(), pool.snapshot());
        assert_eq!(restored.journey_instances(), pool.journey_instances());
        let end = t(&pool, "2024-06-01");
        assert_eq!(restored.advance(end).unwrap(), pool.advance(end).unwrap());
        assert_eq!(restored.next_wake_at(), pool.next_wake_at());
    }
}

#[test]
fn erase_drops_journey_state() {
    let mut pool = Pool::default();
    pool.ingest_inputs(&[reg("r1", "2024-03-01 10:00", "13800000001")]);
    pool.add_journey(examples::coffee_coupon_ladder(), Some(t(&pool, "2024-01-01"))).unwrap();
    assert!(pool.advance(t(&pool, "2024-03-02")).unwrap().is_empty());
    let id = pool.resolve(&ident("phone:13800000001")).unwrap();
    pool.erase(&id).unwrap();
    assert!(pool.advance(t(&pool, "2024-06-01")).unwrap().is_empty());
    assert!(pool.journey_instances().is_empty(), "an erased customer's instances go with them");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn arb_events() -> impl Strategy<Value = Vec<EventInput>> {
        let one = (0u32..6, 0u32..90, 0u32..24, 0u8..5);
        prop::collection::vec(one, 1..40).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (c, d, h, k))| {
                    let kind = ["register", "order", "consent", "view", "subscription_start"][k as usize];
                    let mut e = serde_json::json!({"id": format!("e{i}"), "at": format!("2024-03-01 {h:02}:00"),
                        "kind": kind, "identities": [{"kind": "phone", "value": format!("1380000000{c}")}]});
                    let at = parse_time(&format!("2024-03-01 {h:02}:00"), chrono_tz::Asia::Shanghai)
                        .unwrap()
                        .plus_seconds(d as i64 * 86_400);
                    e["at"] = at.to_rfc3339().into();
                    match kind {
                        "order" => e["amount"] = "12".into(),
                        "consent" => {
                            e["consent_channel"] = if d % 2 == 0 { "app" } else { "sms" }.into();
                            e["granted"] = (h % 3 == 0).into();
                        }
                        "subscription_start" => {
                            e["subscription_id"] = format!("s{c}").into();
                            e["expires_at"] = at.plus_seconds(30 * 86_400).to_rfc3339().into();
                        }
                        _ => {}
                    }
                    input(e)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// snapshot -> restore is the identity, at any point, and the restored pool goes on
        /// exactly like the original; advancing in any number of steps gives the same actions
        /// as one advance (replays emit nothing new).
        #[test]
        fn snapshot_identity_and_stepwise_advance(events in arb_events(), cut in 0u32..120) {
            let mut pool = Pool::default();
            pool.ingest_inputs(&events);
            let start = t(&pool, "2024-02-01");
            pool.add_journey(examples::coffee_coupon_ladder(), Some(start)).unwrap();
            pool.add_journey(examples::renewal_reminders(), Some(start)).unwrap();
            let mut whole = pool.clone();
            let end = t(&pool, "2024-08-01");
            let all = whole.advance(end).unwrap();
            let mid = t(&pool, "2024-03-01").plus_seconds(cut as i64 * 86_400);
            let mut first = pool.advance(mid).unwrap();
            prop_assert!(pool.advance(mid).unwrap().is_empty());
            let mut restored = Pool::restore(&pool.snapshot()).unwrap();
            prop_assert_eq!(restored.snapshot(), pool.snapshot());
            let rest = restored.advance(end).unwrap();
            prop_assert_eq!(&rest, &pool.advance(end).unwrap());
            first.extend(rest);
            first.sort_by(|a, b| (a.due_at, &a.customer_id, &a.journey, &a.step, &a.key).cmp(&(b.due_at, &b.customer_id, &b.journey, &b.step, &b.key)));
            prop_assert_eq!(&first, &all);
            // simulate agrees with the live run
            let sim = pool.simulate(&[examples::coffee_coupon_ladder(), examples::renewal_reminders()], start, end).unwrap();
            prop_assert_eq!(sim.actions, all);
        }
    }
}

#[test]
fn conditions_in_the_condition_language_and_tiers_from_attributes() {
    // channel by tier (a staff call for high value, SMS otherwise) and a branch in the rules text syntax
    let j = journey(serde_json::json!({
        "version": 1, "id": "vip", "triggers": [{"event": "order", "when": {"rule_text": "orders(30d) >= 2"}}],
        "steps": [
            {"id": "pick", "type": "branch", "cases": [{"when": {"rule_text": "spend(30d) > 100.00"}, "goto": "big"}], "otherwise": "small"},
            {"id": "big", "type": "send", "channel": "sms", "channel_by": [{"when": {"tier": "high"}, "channel": "phone_call"}], "template": "big", "next": "end"},
            {"id": "small", "type": "send", "channel": "sms", "template": "small", "next": "end"}
        ]
    }));
    let mut pool = Pool::default();
    let order = |id: &str, at: &str, phone: &str, amount: &str| {
        input(
            serde_json::json!({"id": id, "at": at, "kind": "order", "amount": amount, "identities": [{"kind": "phone", "value": phone}]}),
        )
    };
    pool.ingest_inputs(&[
        order("a1", "2024-03-01 10:00", "13800000001", "80"),
        order("a2", "2024-03-02 10:00", "13800000001", "80"), // 2 orders, 160 spent, tier high -> phone call
        order("b1", "2024-03-01 11:00", "13800000002", "20"),
        order("b2", "2024-03-05 11:00", "13800000002", "20"), // 2 orders, 40 spent -> small SMS
        order("c1", "2024-03-01 12:00", "13800000003", "500"), // 1 order: the trigger condition fails
    ]);
    let a = pool.resolve(&ident("phone:13800000001")).unwrap();
    pool.set_attribute(&a, "tier", yutang::segment::AttrValue::Text("high".into())).unwrap();
    pool.add_journey(j, Some(t(&pool, "2024-02-01"))).unwrap();
    let got: Vec<(String, String, Timestamp)> = pool
        .advance(t(&pool, "2024-04-01"))
        .unwrap()
        .into_iter()
        .map(|x| (x.template.unwrap(), x.channel.to_string(), x.due_at))
        .collect();
    assert_eq!(
        got,
        vec![
            ("big".to_string(), "phone_call".to_string(), t(&pool, "2024-03-02 10:00")),
            ("small".to_string(), "sms".to_string(), t(&pool, "2024-03-05 11:00")),
        ]
    );
    // a rule that does not parse is refused at load with its path
    let bad = serde_json::json!({"version": 1, "id": "x", "triggers": [{"event": "order", "when": {"rule_text": "orders(30d) >="}}],
        "steps": [{"id": "a", "type": "end"}]});
    assert_eq!(err_field(&bad.to_string()), "triggers[0].when.rule_text");
}

#[test]
fn segment_and_stage_entry_triggers() {
    let j = journey(serde_json::json!({
        "version": 1, "id": "vip_welcome",
        "triggers": [{"segment": "big_spenders", "start": "welcome"}, {"stage": "at_risk", "start": "winback"}],
        "reentry": {"policy": "never"},
        "steps": [
            {"id": "welcome", "type": "send", "channel": "wecom", "template": "vip_welcome", "next": "end"},
            {"id": "winback", "type": "send", "channel": "sms", "template": "winback", "next": "end"}
        ]
    }));
    let mut pool = Pool::default();
    let order = |id: &str, at: &str, phone: &str, amount: &str| {
        input(
            serde_json::json!({"id": id, "at": at, "kind": "order", "amount": amount, "identities": [{"kind": "phone", "value": phone}]}),
        )
    };
    pool.ingest_inputs(&[
        order("a1", "2024-03-01 10:00", "13800000001", "60"),
        order("a2", "2024-03-03 11:00", "13800000001", "60"), // spend(30d) = 120 > 100: enters at 03-03 11:00
        order("b1", "2024-03-01 10:00", "13800000002", "60"),
    ]);
    pool.define_segment("big_spenders", yutang::rules::parse("spend(30d) > 100.00").unwrap()).unwrap();
    pool.add_journey(j, Some(t(&pool, "2024-02-01"))).unwrap();
    let got = pool.advance(t(&pool, "2024-03-10")).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].template.as_deref(), got[0].due_at), (Some("vip_welcome"), t(&pool, "2024-03-03 11:00")));
    // a stage set by the host (an attribute) is seen at the next advance
    let b = pool.resolve(&ident("phone:13800000002")).unwrap();
    pool.set_attribute(&b, "stage", yutang::segment::AttrValue::Text("at_risk".into())).unwrap();
    let got = pool.advance(t(&pool, "2024-03-11 12:00")).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].template.as_deref(), got[0].due_at), (Some("winback"), t(&pool, "2024-03-11 12:00")));
    assert!(pool.advance(t(&pool, "2024-03-12")).unwrap().is_empty());
    // exactly one of event / segment / stage
    let bad = serde_json::json!({"version": 1, "id": "x", "triggers": [{"event": "order", "segment": "s"}],
        "steps": [{"id": "a", "type": "end"}]});
    assert_eq!(err_field(&bad.to_string()), "triggers[0]");
}
