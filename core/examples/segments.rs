//! Segments on a synthetic pool: define a few, count members, explain one customer, find when
//! their answer next changes, and list the day's enter/exit changes.
//!
//! `cargo run --release -p yutang --example segments`
use yutang::rules::parse;
use yutang::synth::{events, SynthConfig};
use yutang::{Pool, Timestamp};

fn main() -> yutang::Result<()> {
    let cfg = SynthConfig { events: 200_000, customers: 20_000, ..Default::default() };
    let mut pool = Pool::default();
    pool.ingest(events(&cfg, 0..cfg.events));
    let as_of = Timestamp::from_micros(cfg.start_micros + 300 * 86_400_000_000)?;
    let segments = [
        ("douyin_repeaters", r#"orders(90d, channel: "douyin") >= 2"#),
        ("coupon_hunters", "count(coupon_redeemed, 90d) >= 3 and avg(order, 90d) < 200"),
        ("group_lurkers", "did(group_join) and not did(group_message)"),
        ("cart_abandoners", "did(add_to_cart, 3d) and not did(order, 3d)"),
        ("high_value_lapsing", "spend(365d) >= 2000 and since_last(order) > 30d"),
    ];
    for (name, text) in segments {
        pool.define_segment(name, parse(text)?)?;
        let members = pool.segment_members(name, as_of)?;
        println!("{name:<20} {:>6} of {} customers   {text}", members.len(), pool.customer_count());
    }
    let rule = parse("spend(365d) >= 2000 and since_last(order) > 30d")?;
    if let Some(id) = pool.segment_members("high_value_lapsing", as_of)?.first() {
        println!("\nwhy {id} is a high_value_lapsing member:\n{}", pool.explain(&rule, id, as_of)?.to_lines());
        println!("next change: {:?}", pool.next_change_at(&rule, id, as_of)?.map(|t| t.to_rfc3339()));
    }
    let next_day = as_of.plus_seconds(86_400);
    let changes = pool.segment_changes("cart_abandoners", as_of, next_day)?;
    println!(
        "\ncart_abandoners over the next day: {} entered, {} left",
        changes.iter().filter(|c| c.entered).count(),
        changes.iter().filter(|c| !c.entered).count()
    );
    Ok(())
}
