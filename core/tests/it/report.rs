//! The HTML report: every chart drawn with content, deterministic, notes instead of failures,
//! typed errors for bad options, escaped text.

use yutang::journey::examples::{coffee_coupon_ladder, renewal_reminders};
use yutang::report::{ReportOptions, MAX_TITLE_CHARS};
use yutang::synth::{events_with_items, SynthConfig};
use yutang::{parse_time, Error, Pool, Timestamp};

fn synth_pool() -> (Pool, Timestamp) {
    let cfg = SynthConfig { customers: 2_000, events: 40_000, ..SynthConfig::default() };
    let mut pool = Pool::default();
    let r = pool.ingest(events_with_items(&cfg, 0..cfg.events));
    assert!(r.rejected.is_empty());
    pool.add_journey(coffee_coupon_ladder(), None).unwrap();
    pool.add_journey(renewal_reminders(), None).unwrap();
    let as_of = parse_time("2024-12-31 23:59:59", pool.time_zone()).unwrap();
    (pool, as_of)
}

/// (name, body) of every `<svg data-chart="name" ...>...</svg>`.
fn charts(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg ") {
        let end = rest[i..].find("</svg>").expect("closed svg") + i;
        let svg = &rest[i..end];
        let name = svg.split("data-chart=\"").nth(1).and_then(|s| s.split('"').next()).expect("data-chart").to_string();
        out.push((name, svg.to_string()));
        rest = &rest[end + 6..];
    }
    out
}

#[test]
fn every_section_has_a_chart_with_content() {
    let (pool, as_of) = synth_pool();
    let html = pool.report(as_of, &ReportOptions::default()).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</body></html>"));
    // no script and no address but the SVG namespace
    assert!(!html.contains("<script"));
    assert_eq!(html.matches("http").count(), html.matches(r#"xmlns="http://www.w3.org/2000/svg""#).count());
    let found = charts(&html);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "lifecycle",
        "lifecycle_flows",
        "rfm_tiers",
        "cohorts",
        "growth",
        "attribution",
        "clv",
        "journey_coffee_coupon_ladder",
        "journey_renewal_reminders",
        "categories",
        "referrals",
        "groups_active",
        "groups_largest",
    ] {
        assert!(names.contains(&want), "no chart {want} in {names:?}");
    }
    for (name, svg) in &found {
        // more than the white background: bars, cells, lines or points
        let marks =
            svg.matches("<rect").count() - 1 + svg.matches("<polyline").count() + svg.matches("<circle").count();
        assert!(marks > 0, "chart {name} is empty");
    }
    // no section fell back to a note on this pool
    assert!(!html.contains("Not available"), "{}", &html[html.find("Not available").unwrap()..][..200]);
    // the CLV table lists the top customers
    assert!(html.matches("<td>c").count() >= 20);
}

#[test]
fn the_report_is_deterministic() {
    let (pool, as_of) = synth_pool();
    let a = pool.report(as_of, &ReportOptions::default()).unwrap();
    let again = Pool::restore(&pool.snapshot()).unwrap();
    assert_eq!(a, again.report(as_of, &ReportOptions::default()).unwrap());
}

#[test]
fn an_empty_pool_gives_notes_not_errors() {
    let pool = Pool::default();
    let as_of = parse_time("2024-12-31", pool.time_zone()).unwrap();
    let html = pool.report(as_of, &ReportOptions::default()).unwrap();
    for note in ["No orders yet.", "No buyers yet.", "No journeys in this pool.", "No order items in this pool."] {
        assert!(html.contains(note), "{note}");
    }
    assert!(html.contains("0 customers, 0 events"));
}

#[test]
fn bad_options_are_typed_errors_naming_the_field() {
    let pool = Pool::default();
    let as_of = parse_time("2024-12-31", pool.time_zone()).unwrap();
    let cases: Vec<(ReportOptions, &str)> = vec![
        (ReportOptions { period_days: 0, ..Default::default() }, "period_days"),
        (ReportOptions { journey_days: 100_000, ..Default::default() }, "journey_days"),
        (ReportOptions { clv_months: 0, ..Default::default() }, "clv_months"),
        (ReportOptions { clv_discount_rate: f64::NAN, ..Default::default() }, "clv_discount_rate"),
        (ReportOptions { clv_discount_rate: -0.5, ..Default::default() }, "clv_discount_rate"),
        (ReportOptions { top_customers: 1_000_000, ..Default::default() }, "top_customers"),
        (ReportOptions { title: Some("x".repeat(MAX_TITLE_CHARS + 1)), ..Default::default() }, "title"),
    ];
    for (o, field) in cases {
        match pool.report(as_of, &o) {
            Err(Error::InvalidField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let o: ReportOptions = serde_json::from_str(r#"{"clv_months": 24, "title": "Q4"}"#).unwrap();
    assert_eq!((o.clv_months, o.period_days), (24, 182));
    assert!(serde_json::from_str::<ReportOptions>(r#"{"clv_month": 24}"#).is_err());
}

#[test]
fn text_from_the_data_is_escaped() {
    let mut pool = Pool::default();
    let events: Vec<yutang::EventInput> = serde_json::from_str(
        r#"[{"id": "1", "at": "2024-05-01", "kind": "view", "channel": "app", "identities": [{"kind": "phone", "value": "13800138000"}]},
            {"id": "2", "at": "2024-05-02", "kind": "order", "amount": "10", "identities": [{"kind": "phone", "value": "13800138000"}],
             "items": [{"sku": "s1", "category": "<b>x</b>", "quantity": 1, "unit_price": "10"}]}]"#,
    )
    .unwrap();
    assert_eq!(pool.ingest_inputs(&events).accepted, 2);
    let as_of = parse_time("2024-06-01", pool.time_zone()).unwrap();
    let o = ReportOptions { title: Some("A & B <i>".into()), ..Default::default() };
    let html = pool.report(as_of, &o).unwrap();
    assert!(!html.contains("<b>x</b>") && !html.contains("<i>"));
    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;") && html.contains("A &amp; B &lt;i&gt;"));
}

fn orders(rows: &[(&str, &str, &str)]) -> Pool {
    let mut pool = Pool::default();
    let events: Vec<yutang::EventInput> = rows
        .iter()
        .enumerate()
        .map(|(i, (phone, at, amount))| {
            serde_json::from_value(serde_json::json!({"id": format!("o{i}"), "at": at, "kind": "order",
                "amount": amount, "identities": [{"kind": "phone", "value": phone}]}))
            .unwrap()
        })
        .collect();
    assert_eq!(pool.ingest_inputs(&events).accepted, rows.len());
    pool
}

#[test]
fn a_tiny_pool_without_channels_gives_notes() {
    let pool = orders(&[("13800138000", "2024-05-01", "10"), ("13800138000", "2024-06-01", "20")]);
    let as_of = parse_time("2024-12-31", pool.time_zone()).unwrap();
    let html = pool.report(as_of, &ReportOptions::default()).unwrap();
    assert!(html.contains("No order with a channel touch in the 30 days before it."));
    assert!(html.contains("1 buyers, 1 of them repeat buyers: too few to fit the CLV models"));
    assert!(html.contains(r#"data-chart="cohorts""#) && html.contains(r#"data-chart="growth""#));
}

#[test]
fn identical_customers_do_not_break_the_clv_section() {
    // twelve customers with the same history: one CLV value for all, or a note; never a panic
    let rows: Vec<(String, &str, &str)> = (0..12)
        .flat_map(|c| {
            let phone = format!("1380013{c:04}");
            [(phone.clone(), "2024-01-05", "30"), (phone.clone(), "2024-03-05", "30"), (phone, "2024-06-05", "30")]
        })
        .collect();
    let rows: Vec<(&str, &str, &str)> = rows.iter().map(|(p, a, m)| (p.as_str(), *a, *m)).collect();
    let pool = orders(&rows);
    let as_of = parse_time("2024-12-31", pool.time_zone()).unwrap();
    let html = pool.report(as_of, &ReportOptions::default()).unwrap();
    let i = html.find("<h3>CLV distribution and top customers</h3>").expect("the CLV section");
    let section = &html[i..html[i..].find("<h2").map_or(html.len(), |j| i + j)];
    match charts(section).into_iter().find(|(n, _)| n == "clv") {
        // one bar holding all twelve
        Some((_, svg)) => assert_eq!(svg.matches("<rect").count(), 2, "{svg}"),
        None => assert!(section.contains("class=note"), "{section}"),
    }
}
