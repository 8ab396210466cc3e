//! The coffee-chain coupon ladder for one customer, step by step: ingest a timeline, add the
//! journey, advance day by day as a host would, print the actions, and draw the timeline as
//! an SVG (docs/img/journeys_timeline.svg).
//!
//! ```text
//! cargo run -p yutang --example journeys [-- path/to/out.svg]
//! ```
use yutang::journey::examples;
use yutang::{parse_time, Event, EventKind, Identity, IdentityKind, Money, Pool, Timestamp};

fn main() -> Result<(), yutang::Error> {
    let mut pool = Pool::default();
    let tz = pool.time_zone();
    let who = || vec![Identity::new(IdentityKind::Phone, "13800000003")];
    let order = |id: &str, at: &str, fen: i64| -> Result<Event, yutang::Error> {
        let mut e =
            Event::new(id, parse_time(at, tz)?, EventKind::Order, who()).money(Money::new(fen, yutang::Currency::CNY));
        e.order_id = Some(format!("o-{id}"));
        Ok(e)
    };
    let timeline = vec![
        Event::new("c1", parse_time("2024-03-01 10:00", tz)?, EventKind::Register, who()),
        order("c2", "2024-04-03 15:00", 3200)?,
        order("c3", "2024-04-12 12:00", 2800)?,
        order("c4", "2024-04-20 08:00", 1800)?,
        order("c5", "2024-04-22 19:00", 2500)?,
    ];
    pool.add_journey(examples::coffee_coupon_ladder(), Some(parse_time("2024-02-01", tz)?))?;

    // the host loop: ingest what happened today, advance to the end of the day, execute
    let mut actions = Vec::new();
    let mut day = parse_time("2024-03-01", tz)?;
    let end = parse_time("2024-05-10", tz)?;
    while day < end {
        let next = day.plus_seconds(86_400);
        pool.ingest(timeline.iter().filter(|e| e.at >= day && e.at < next).cloned());
        for a in pool.advance(next)? {
            println!(
                "{}  {:<16} {:<5} offer {:>4}  key {}",
                a.due_at.to_datetime().with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                a.step,
                a.channel.to_string(),
                a.offer.map_or("-".to_string(), |o| format!("{:.0}%", o * 100.0)),
                a.key
            );
            actions.push(a);
        }
        day = next;
    }
    // replaying the last day emits nothing new
    assert!(pool.advance(end)?.is_empty());

    let path = std::env::args().nth(1).unwrap_or_else(|| "docs/img/journeys_timeline.svg".to_string());
    let svg = draw(&timeline, &actions, tz, parse_time("2024-02-28", tz)?, end);
    if let Err(e) = std::fs::write(&path, svg) {
        eprintln!("could not write {path}: {e}");
    } else {
        println!("timeline written to {path}");
    }
    Ok(())
}

/// A small hand-written SVG: events above the axis, actions below, one tick per week.
fn draw(
    events: &[Event],
    actions: &[yutang::journey::Action],
    tz: chrono_tz::Tz,
    from: Timestamp,
    to: Timestamp,
) -> String {
    let (w, left, right) = (980.0, 40.0, 20.0);
    let x = |t: Timestamp| {
        left + (t.micros() - from.micros()) as f64 / (to.micros() - from.micros()) as f64 * (w - left - right)
    };
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"250\" font-family=\"sans-serif\" font-size=\"11\">\n"
    ));
    s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.push_str("<text x=\"40\" y=\"18\" font-size=\"13\" font-weight=\"bold\">Coffee coupon ladder: one customer (Asia/Shanghai)</text>\n");
    s.push_str("<text x=\"40\" y=\"46\" fill=\"#555\">events</text><text x=\"40\" y=\"232\" fill=\"#555\">actions (coupon = price level)</text>\n");
    s.push_str(&format!("<line x1=\"{left}\" y1=\"125\" x2=\"{}\" y2=\"125\" stroke=\"#333\"/>\n", w - right));
    // weekly ticks
    let mut t = from;
    while t <= to {
        let d = t.to_datetime().with_timezone(&tz);
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" y1=\"121\" x2=\"{0:.1}\" y2=\"129\" stroke=\"#333\"/><text x=\"{0:.1}\" y=\"142\" text-anchor=\"middle\" fill=\"#555\">{1}</text>\n",
            x(t),
            d.format("%m-%d")
        ));
        t = t.plus_seconds(7 * 86_400);
    }
    for (i, e) in events.iter().enumerate() {
        let xe = x(e.at);
        let label = match e.kind {
            EventKind::Register => "register".to_string(),
            _ => format!("order #{i}"),
        };
        let y = if i % 2 == 0 { 70.0 } else { 90.0 };
        s.push_str(&format!(
            "<line x1=\"{xe:.1}\" y1=\"{y}\" x2=\"{xe:.1}\" y2=\"125\" stroke=\"#2b6cb0\"/><circle cx=\"{xe:.1}\" cy=\"125\" r=\"4\" fill=\"#2b6cb0\"/><text x=\"{xe:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#2b6cb0\">{label} {}</text>\n",
            y - 4.0,
            e.at.to_datetime().with_timezone(&tz).format("%m-%d %H:%M")
        ));
    }
    for (i, a) in actions.iter().enumerate() {
        let xa = x(a.due_at);
        let y = if i % 2 == 0 { 175.0 } else { 200.0 };
        let offer = a.offer.map_or(String::new(), |o| format!(" {:.0}%", o * 100.0));
        s.push_str(&format!(
            "<line x1=\"{xa:.1}\" y1=\"125\" x2=\"{xa:.1}\" y2=\"{}\" stroke=\"#c05621\" stroke-dasharray=\"3,2\"/><rect x=\"{:.1}\" y=\"121\" width=\"8\" height=\"8\" fill=\"#c05621\"/><text x=\"{xa:.1}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#c05621\">{}{offer} ({} {})</text>\n",
            y - 12.0,
            xa - 4.0,
            a.step,
            a.channel,
            a.due_at.to_datetime().with_timezone(&tz).format("%m-%d %H:%M")
        ));
    }
    s.push_str("</svg>\n");
    s
}
