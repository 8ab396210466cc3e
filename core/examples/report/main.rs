//! The HTML report (`Pool::report`) for two pools: CDNOW (data/cdnow/CDNOW_master.txt: 23,570
//! customers' CD purchases 1997–98, orders only) and the synthetic multi-channel pool of
//! `yutang::synth` (channels, referrals, WeCom groups, order items) with the two example
//! journeys. Each report is one self-contained file (inline SVG, no script, no network).
//!
//! Run: `cargo run --release -p yutang --example report [out-dir]` (default `target/`): writes
//! `report_cdnow.html` and `report_synthetic.html`, and docs/img/metrics_cohorts.svg and
//! docs/img/metrics_growth.svg (charts of the synthetic report).

use yutang::journey::examples::{coffee_coupon_ladder, renewal_reminders};
use yutang::report::ReportOptions;
use yutang::synth::{events_with_items, SynthConfig};
use yutang::{parse_time, Currency, Event, EventKind, Identity, IdentityKind, Money, Pool, PoolConfig};

fn cdnow_pool(root: &str) -> Result<Pool, Box<dyn std::error::Error>> {
    let config = PoolConfig { time_zone: "America/New_York".into(), currency: Currency::USD, ..Default::default() };
    let mut pool = Pool::new(config)?;
    let tz = pool.time_zone();
    let text = std::fs::read_to_string(format!("{root}/data/cdnow/CDNOW_master.txt"))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[0].parse::<u32>().is_err() {
            continue;
        }
        let at = parse_time(&format!("{}-{}-{}", &f[1][..4], &f[1][4..6], &f[1][6..8]), tz)?;
        let mut e = Event::new(
            format!("o{i}"),
            at,
            EventKind::Order,
            vec![Identity::new(IdentityKind::AppUser, format!("cdnow{}", f[0]))],
        );
        e.money = Some(Money::from_f64(f[3].parse::<f64>()?, Currency::USD)?);
        events.push(e);
    }
    let r = pool.ingest(events);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    Ok(pool)
}

/// The `<svg data-chart="name">` of a report.
fn chart<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let start = html.find(&format!("<svg xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"{name}\""))?;
    let end = html[start..].find("</svg>")? + start + "</svg>".len();
    Some(&html[start..end])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::env::args().nth(1).unwrap_or_else(|| format!("{root}/target"));
    std::fs::create_dir_all(&out)?;

    let started = std::time::Instant::now();
    let cdnow = cdnow_pool(root)?;
    let as_of = parse_time("1998-06-30 23:59:59", cdnow.time_zone())?;
    let options = ReportOptions { title: Some("CDNOW, 1997–98".into()), ..ReportOptions::default() };
    let html = cdnow.report(as_of, &options)?;
    std::fs::write(format!("{out}/report_cdnow.html"), &html)?;
    println!("report_cdnow.html: {} KiB, {:.2} s", html.len() / 1024, started.elapsed().as_secs_f64());

    let started = std::time::Instant::now();
    let cfg = SynthConfig::default();
    let mut synth = Pool::default();
    synth.ingest(events_with_items(&cfg, 0..cfg.events));
    synth.add_journey(coffee_coupon_ladder(), None)?;
    synth.add_journey(renewal_reminders(), None)?;
    let as_of = parse_time("2024-12-31 23:59:59", synth.time_zone())?;
    let options = ReportOptions { title: Some("Synthetic pond, 2024".into()), ..ReportOptions::default() };
    let html = synth.report(as_of, &options)?;
    std::fs::write(format!("{out}/report_synthetic.html"), &html)?;
    println!("report_synthetic.html: {} KiB, {:.2} s", html.len() / 1024, started.elapsed().as_secs_f64());
    for (name, file) in [("cohorts", "metrics_cohorts.svg"), ("growth", "metrics_growth.svg")] {
        let svg = chart(&html, name).ok_or(format!("no {name} chart"))?;
        std::fs::write(format!("{root}/docs/img/{file}"), svg)?;
    }
    Ok(())
}
