//! yutang quickstart: `cargo run --release --example quickstart`
//!
//! Loads the CDNOW transaction log bundled in `data/cdnow/` and a seeded synthetic
//! multi-channel event log, resolves identities into customers (ONE_ID), prints what a user
//! wants to see about the pools, and runs the synthetic pond: lifecycle stages, RFM value
//! tiers, a segment in the condition language and the coffee-chain coupon ladder simulated
//! over the year.
use std::collections::BTreeMap;
use std::time::Instant;
use yutang::identity::{KindRule, Normalizer};
use yutang::synth::{events, SynthConfig};
use yutang::{Currency, Event, EventKind, Identity, IdentityKind, Money, Pool, PoolConfig};

fn money(minor: i64, cur: &str) -> String {
    let s = Money::new(minor, Currency::parse(cur).expect("currency")).to_decimal_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{cur} {grouped}.{frac}")
}

fn cdnow() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/cdnow/CDNOW_master.txt");
    let text = std::fs::read_to_string(path)?;
    let mut config = PoolConfig { time_zone: "America/New_York".into(), currency: Currency::USD, ..Default::default() };
    // a host-declared identity kind: the CDNOW account number
    config.identity_rules.kinds.push(KindRule::new(IdentityKind::Custom("cdnow".into()), Normalizer::Trim, 80, 1));
    let mut pool = Pool::new(config)?;
    let tz = pool.time_zone();
    let mut evs = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 || f[0] == "customer_id" {
            continue;
        }
        let at = yutang::parse_time(f[1], tz)?;
        let mut e = Event::new(
            format!("cdnow-{line_no}"),
            at,
            EventKind::Order,
            vec![Identity::new(IdentityKind::Custom("cdnow".into()), f[0])],
        );
        e.money = Some(Money::parse(f[3], Currency::USD)?);
        e.properties.insert("cds".into(), yutang::PropValue::Int(f[2].parse()?));
        evs.push(e);
    }
    let n = evs.len();
    let t = Instant::now();
    let report = pool.ingest(evs);
    let dt = t.elapsed();
    let profiles = pool.profiles();
    let spend: i64 = profiles.iter().map(|p| p.spend_in(Currency::USD)).sum();
    let repeat = profiles.iter().filter(|p| p.order_count > 1).count();
    println!("== CDNOW (Fader, Hardie & Lee 2005): the 1997 Q1 cohort, followed to June 1998");
    println!(
        "   {n} transactions ingested in {:.0} ms: {} accepted, {} duplicates, {} rejected",
        dt.as_secs_f64() * 1e3,
        report.accepted,
        report.duplicates,
        report.rejected.len()
    );
    println!(
        "   customers {}   repeat buyers {} ({:.1} %)   orders {}   spend {}",
        profiles.len(),
        repeat,
        100.0 * repeat as f64 / profiles.len() as f64,
        report.accepted,
        money(spend, "USD")
    );
    let mut by_month: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for c in pool.customer_ids().iter().take(usize::MAX) {
        for e in pool.timeline(c)? {
            let m = e.at.to_datetime().with_timezone(&tz).format("%Y-%m").to_string();
            let x = by_month.entry(m).or_default();
            x.0 += 1;
            x.1 += e.money.map_or(0, |m| m.minor);
        }
    }
    println!("   month     orders        spend");
    for (m, (o, s)) in &by_month {
        println!("   {m}  {o:>7}  {:>15}", money(*s, "USD"));
    }
    Ok(())
}

fn synthetic() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = SynthConfig { events: 300_000, customers: 30_000, seed: 42, ..Default::default() };
    let evs = events(&cfg, 0..cfg.events);
    // what a channel-by-channel count would call customers: distinct accounts per channel
    let mut accounts = std::collections::HashSet::new();
    for e in &evs {
        for i in &e.identities {
            accounts.insert((i.kind.clone(), i.namespace.clone(), i.value.clone()));
        }
    }
    let mut pool = Pool::default();
    let t = Instant::now();
    let report = pool.ingest(evs);
    let dt = t.elapsed();
    let s = pool.stats();
    println!();
    println!("== Synthetic multi-channel pool (seed {}, {} true customers, 1 year)", cfg.seed, cfg.customers);
    println!(
        "   {} events ingested in {:.0} ms ({:.2} M events/s), {} rejected",
        report.accepted,
        dt.as_secs_f64() * 1e3,
        report.accepted as f64 / dt.as_secs_f64() / 1e6,
        report.rejected.len()
    );
    println!("   before identity resolution: {} accounts across channels", accounts.len());
    println!(
        "   after ONE_ID:               {} customers ({} merges, {} conflicts refused)",
        s.customers, s.merges, s.conflicts
    );
    println!(
        "   pool memory: {:.1} MB ({:.0} bytes/event)",
        pool.memory_bytes() as f64 / 1e6,
        pool.memory_bytes() as f64 / s.events as f64
    );
    let profiles = pool.profiles();
    let orders: u64 = profiles.iter().map(|p| p.order_count).sum();
    let refunds: u64 = profiles.iter().map(|p| p.refund_count).sum();
    let spend: i64 = profiles.iter().map(|p| p.spend_in(Currency::CNY)).sum();
    let buyers = profiles.iter().filter(|p| p.order_count > 0).count();
    println!("   orders {orders}   refunds {refunds}   buyers {buyers}   net spend {}", money(spend, "CNY"));
    let mut mix: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for p in &profiles {
        for (ch, st) in &p.channels {
            let x = mix.entry(ch.to_string()).or_default();
            x.0 += st.events;
            x.1 += 1;
        }
    }
    let total: u64 = mix.values().map(|x| x.0).sum();
    println!("   channel mix        events   share   customers reached");
    let mut rows: Vec<_> = mix.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1 .0));
    for (ch, (ev, cu)) in rows {
        println!("   {ch:<16} {ev:>8}  {:>5.1} %  {cu:>8}", 100.0 * ev as f64 / total as f64);
    }
    let multi = profiles.iter().filter(|p| p.channels.len() >= 3).count();
    println!("   customers seen on 3+ channels: {multi} ({:.1} %)", 100.0 * multi as f64 / profiles.len() as f64);
    if let Some(c) = pool.conflicts().first() {
        println!(
            "   a refused link: event {} would have given customer {} a second {} ({} left unlinked)",
            c.event_id,
            c.customer_id,
            c.limit_kind,
            yutang::mask(&c.identity.value)
        );
    }
    operate(&mut pool, &cfg)?;
    let t = Instant::now();
    let blob = pool.snapshot();
    let back = Pool::restore(&blob)?;
    println!(
        "   snapshot {:.1} MB; restored in {:.0} ms, identical: {}",
        blob.len() as f64 / 1e6,
        t.elapsed().as_secs_f64() * 1e3,
        back.snapshot() == blob
    );
    Ok(())
}

/// Run the pond at the end of the log: lifecycle stages, value tiers, a segment and a journey.
fn operate(pool: &mut Pool, cfg: &SynthConfig) -> Result<(), Box<dyn std::error::Error>> {
    let day = 86_400_000_000i64;
    let as_of = yutang::Timestamp::from_micros(cfg.start_micros + cfg.days as i64 * day)?;
    println!(
        "   --- operating the pond at {} ---",
        as_of.to_datetime().with_timezone(&pool.time_zone()).format("%Y-%m-%d")
    );
    let t = Instant::now();
    let dist = pool.stage_distribution(as_of);
    let total: u64 = dist.iter().map(|d| d.1).sum();
    let stages: Vec<String> = dist
        .iter()
        .map(|(s, n)| format!("{} {} ({:.0} %)", s.as_str(), n, 100.0 * *n as f64 / total.max(1) as f64))
        .collect();
    println!("   lifecycle ({:.0} ms): {}", t.elapsed().as_secs_f64() * 1e3, stages.join(", "));
    let t = Instant::now();
    let rfm = pool.rfm(as_of)?;
    let mut tiers: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rfm {
        *tiers.entry(r.tier.clone()).or_default() += 1;
    }
    let mut tiers: Vec<_> = tiers.into_iter().collect();
    tiers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top: Vec<String> = tiers.iter().take(6).map(|(t, n)| format!("{t} {n}")).collect();
    println!("   RFM tiers of {} buyers ({:.0} ms): {} …", rfm.len(), t.elapsed().as_secs_f64() * 1e3, top.join(", "));
    let text = r#"stage == "at_risk" and spend(365d, currency: "CNY") > 300.00"#;
    pool.define_segment("at_risk_spenders", yutang::rules::parse(text)?)?;
    let t = Instant::now();
    let members = pool.segment_members("at_risk_spenders", as_of)?;
    println!(
        "   segment at_risk_spenders = {text}: {} customers ({:.0} ms)",
        members.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let ladder = yutang::journey::examples::coffee_coupon_ladder();
    // hold 10 % of the customers out of every journey, to measure what the ladder adds
    let mut settings = pool.journey_settings().clone();
    settings.global_control = 0.10;
    pool.set_journey_settings(settings)?;
    let t = Instant::now();
    let sim = pool.simulate(std::slice::from_ref(&ladder), yutang::Timestamp::from_micros(cfg.start_micros)?, as_of)?;
    let sent: Vec<String> = sim.steps.iter().filter(|s| s.sent > 0).map(|s| format!("{} {}", s.step, s.sent)).collect();
    if let Some(j) = sim.journeys.first() {
        println!(
            "   journey {} simulated over the year ({:.0} ms): {} entered, {} actions ({}), {} converted",
            j.journey,
            t.elapsed().as_secs_f64() * 1e3,
            j.entered,
            sim.actions.len(),
            sent.join(", "),
            j.converted
        );
    }
    for r in &sim.results {
        println!("   results against {} (30-day window):", r.baseline.as_deref().unwrap_or("nothing"));
        for a in &r.arms {
            let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2} %", v * 100.0));
            println!(
                "     {:<15} entered {:>6}  converted {:>6} ({} [{}, {}])  lift {} [{}, {}]  p {}  sequential p {}",
                a.arm,
                a.entered,
                a.converted,
                pct(a.conversion_rate),
                pct(a.rate_low),
                pct(a.rate_high),
                pct(a.lift),
                pct(a.lift_low),
                pct(a.lift_high),
                a.p_value.map_or("-".to_string(), |p| format!("{p:.3}")),
                a.p_value_sequential.map_or("-".to_string(), |p| format!("{p:.3}")),
            );
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("yutang {} quickstart", yutang::VERSION);
    cdnow()?;
    synthetic()?;
    Ok(())
}
