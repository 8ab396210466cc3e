//! The worked example of docs/attribution.md: one brand's paths, every model side by side,
//! and an SVG bar chart of each channel's share of conversions by model.
//!
//! Run: `cargo run -p yutang --example attribution` (writes docs/img/attribution_shares.svg).
use std::fmt::Write as _;
use yutang::attribution::{
    heuristic_models, markov_model, shapley_model, HeuristicOptions, MarkovOptions, Paths, ShapleyOptions, ShapleyWorth,
};

/// Paths of a tea brand's customers over one month: (path, conversions, value in CNY, nulls).
const ROWS: &[(&str, f64, f64, f64)] = &[
    ("douyin > wechat > taobao", 120.0, 10_800.0, 310.0),
    ("douyin > taobao", 80.0, 6_400.0, 520.0),
    ("douyin", 15.0, 1_050.0, 2_400.0),
    ("wechat > staff > app", 95.0, 12_350.0, 60.0),
    ("wechat > app", 60.0, 6_600.0, 140.0),
    ("sms > app", 25.0, 2_000.0, 380.0),
    ("sms", 5.0, 300.0, 900.0),
    ("taobao", 70.0, 5_600.0, 800.0),
    ("douyin > wechat > staff > app", 40.0, 5_600.0, 45.0),
    ("app", 30.0, 2_700.0, 260.0),
];

fn main() -> Result<(), yutang::Error> {
    let paths: Vec<&str> = ROWS.iter().map(|r| r.0).collect();
    let conv: Vec<f64> = ROWS.iter().map(|r| r.1).collect();
    let value: Vec<f64> = ROWS.iter().map(|r| r.2).collect();
    let nulls: Vec<f64> = ROWS.iter().map(|r| r.3).collect();
    let p = Paths::parse(&paths, &conv, Some(&value), Some(&nulls), ">")?;
    let h = heuristic_models(&p, &HeuristicOptions::new().half_life(1.0))?;
    let m = markov_model(&p, &MarkovOptions::new())?;
    let s = shapley_model(&p, &ShapleyOptions::new())?;
    let rate = shapley_model(&p, &ShapleyOptions::new().worth(ShapleyWorth::ConversionRate))?;

    let total = p.total_conversions();
    let models: Vec<(&str, &[f64])> = vec![
        ("first touch", &h.first_touch.conversions),
        ("last touch", &h.last_touch.conversions),
        ("linear", &h.linear.conversions),
        ("time decay", &h.time_decay.conversions),
        ("position 40/20/40", &h.position_based.conversions),
        ("Markov", &m.conversions),
        ("Shapley", &s.conversions),
    ];
    println!("share of {total} conversions, %");
    print!("{:<10}", "channel");
    for (name, _) in &models {
        print!("{name:>18}");
    }
    println!("{:>18}{:>18}", "Shapley (rate)", "removal effect");
    for (k, ch) in p.channels().iter().enumerate() {
        print!("{ch:<10}");
        for (_, v) in &models {
            print!("{:>18.1}", 100.0 * v[k] / total);
        }
        println!("{:>18.1}{:>18.3}", 100.0 * rate.conversions[k] / total, m.removal_effects[k]);
    }
    println!("P(conversion) = {:.4}", m.conversion_probability);

    // The chart shows the models whose shares are never negative.
    let svg = chart(p.channels(), &models, total);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/img/attribution_shares.svg");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create docs/img");
    }
    std::fs::write(&out, svg).expect("write the SVG");
    println!("wrote {}", out.display());
    Ok(())
}

/// A grouped bar chart: one group per channel, one bar per model.
fn chart(channels: &[String], models: &[(&str, &[f64])], total: f64) -> String {
    const COLORS: [&str; 7] = ["#9e9e9e", "#616161", "#4e79a7", "#76b7b2", "#59a14f", "#e15759", "#f28e2b"];
    let (w, h) = (880.0, 420.0);
    let (left, right, top, bottom) = (56.0, 170.0, 36.0, 48.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max_share = models.iter().flat_map(|(_, v)| v.iter().map(|x| x / total)).fold(0.0f64, f64::max);
    let y_max = ((max_share * 10.0).ceil() / 10.0).max(0.1);
    let group_w = plot_w / channels.len() as f64;
    let bar_w = group_w * 0.8 / models.len() as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="22" font-size="14" font-weight="bold">Share of conversions by channel and model</text>"#
    );
    for i in 0..=5 {
        let frac = y_max * i as f64 / 5.0;
        let y = top + plot_h * (1.0 - frac / y_max);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            left + plot_w,
            left - 6.0,
            y + 4.0,
            frac * 100.0
        );
    }
    for (g, ch) in channels.iter().enumerate() {
        let gx = left + group_w * g as f64 + group_w * 0.1;
        for (k, (name, v)) in models.iter().enumerate() {
            let share = v[g] / total;
            let bh = plot_h * share / y_max;
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{ch} · {name}: {:.1}%</title></rect>"#,
                gx + bar_w * k as f64,
                top + plot_h - bh,
                bar_w - 1.0,
                bh,
                COLORS[k % COLORS.len()],
                share * 100.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{ch}</text>"#,
            left + group_w * (g as f64 + 0.5),
            top + plot_h + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#333"/>"##,
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    for (k, (name, _)) in models.iter().enumerate() {
        let y = top + 10.0 + 20.0 * k as f64;
        let x = left + plot_w + 20.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{:.1}">{name}</text>"#,
            y - 10.0,
            COLORS[k % COLORS.len()],
            x + 18.0,
            y
        );
    }
    s.push_str("</svg>\n");
    s
}
