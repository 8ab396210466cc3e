//! A self-contained HTML report of the growth metrics (inline SVG, no network) for two pools:
//! CDNOW (data/cdnow/CDNOW_master.txt: 23,570 customers' CD purchases 1997–98, orders only)
//! and the synthetic multi-channel pool of `yutang::synth` (referrals, WeCom groups, order
//! items). Sections: lifecycle distribution and RFM tier sizes (when the lifecycle module is
//! in the build), cohort retention heat map, growth-formula decomposition, category fit,
//! referral tree sizes, group activity, cross-sell rules.
//!
//! Run: `cargo run --release -p yutang --example report [out.html]` (default
//! `target/metrics_report.html`); also writes docs/img/metrics_cohorts.svg and
//! docs/img/metrics_growth.svg.

use std::fmt::Write as _;
use yutang::metrics::{
    AffinityOptions, Cohorts, Decomposition, GrowthOptions, GrowthRow, PoolAffinityOptions, ReferralOptions,
};
use yutang::synth::{events_with_items, SynthConfig};
use yutang::{parse_time, Currency, Event, EventKind, Identity, IdentityKind, Money, Pool, PoolConfig, Timestamp};

mod lifecycle;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// 1234567 -> "1.23M".
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn svg_open(w: u32, h: u32) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12"><rect width="{w}" height="{h}" fill="white"/>"#
    )
}

/// Cohort retention heat map: a row per cohort, a column per month since the first order.
fn heatmap(c: &Cohorts, title: &str) -> String {
    let rows: Vec<_> = c.cohorts.iter().filter(|x| x.customers > 0).collect();
    let cols = rows.iter().map(|r| r.active.len()).max().unwrap_or(1);
    let (cw, ch, left, top) = (44.0, 22.0, 120.0, 72.0);
    let w = (left + cw * cols as f64 + 20.0).max(900.0) as u32;
    let h = (top + ch * rows.len() as f64 + 56.0) as u32;
    let maxr = rows.iter().flat_map(|r| r.retention().into_iter().skip(1)).fold(0.0f64, f64::max).max(1e-9);
    let mut s = svg_open(w, h);
    let _ = write!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    let _ = write!(s, r##"<text x="{left}" y="{}" fill="#555">months since first order →</text>"##, top - 26.0);
    for k in 0..cols {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{k}</text>"##,
            left + cw * (k as f64 + 0.5),
            top - 8.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as f64;
        let _ = write!(s, r#"<text x="8" y="{}">{} (n={})</text>"#, y + 15.0, r.month, r.customers);
        for (k, ret) in r.retention().iter().enumerate() {
            let x = left + cw * k as f64;
            let (fill, text) = if k == 0 {
                ("#d9d9d9".to_string(), "#333")
            } else {
                let t = (ret / maxr).clamp(0.0, 1.0);
                // white -> deep blue
                let c = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
                (
                    format!("#{:02x}{:02x}{:02x}", c(247.0, 8.0), c(251.0, 48.0), c(255.0, 107.0)),
                    if t > 0.55 { "white" } else { "#222" },
                )
            };
            let _ = write!(
                s,
                r#"<rect x="{x}" y="{y}" width="{}" height="{}" fill="{fill}" stroke="white"/>"#,
                cw - 1.0,
                ch - 1.0
            );
            let label = if k == 0 { "100%".to_string() } else { format!("{:.1}%", ret * 100.0) };
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{text}">{label}</text>"#,
                x + cw / 2.0,
                y + 15.0
            );
        }
    }
    let _ = write!(
        s,
        r##"<text x="10" y="{}" fill="#555">Share of each first-order-month cohort that ordered again k months later (colour scaled to the largest k ≥ 1 value, {:.1}%).</text><text x="10" y="{}" fill="#555">Repurchase rate {:.1}%. The last column of each row is the last month observed.</text>"##,
        h as f64 - 26.0,
        maxr * 100.0,
        h as f64 - 10.0,
        c.repurchase_rate() * 100.0
    );
    s.push_str("</svg>");
    s
}

/// Waterfall: previous value, each factor's LMDI contribution, current value.
fn waterfall(d: &Decomposition, title: &str) -> String {
    let (w, h, left, top, bottom) = (760.0, 330.0, 70.0, 50.0, 60.0);
    let n = d.factors.len() + 2;
    let bw = (w - left - 20.0) / n as f64;
    let mut lo: f64 = 0.0;
    let mut hi: f64 = d.previous_value.max(d.current_value);
    let mut run = d.previous_value;
    for c in &d.contributions {
        run += c;
        lo = lo.min(run);
        hi = hi.max(run);
    }
    let span = (hi - lo).max(1e-9);
    let y = |v: f64| top + (hi - v) / span * (h - top - bottom);
    let mut s = svg_open(w as u32, h as u32);
    let _ = write!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    let _ = write!(s, r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#999"/>"##, w - 10.0, y(0.0), y(0.0));
    let mut bars: Vec<(String, f64, f64, &str)> = vec![("previous".into(), 0.0, d.previous_value, "#7f7f7f")];
    let mut run = d.previous_value;
    for (f, c) in d.factors.iter().zip(&d.contributions) {
        bars.push((f.clone(), run, run + c, if *c >= 0.0 { "#2ca02c" } else { "#d62728" }));
        run += c;
    }
    bars.push(("current".into(), 0.0, d.current_value, "#1f77b4"));
    for (i, (name, a, b, color)) in bars.iter().enumerate() {
        let x = left + bw * i as f64 + 6.0;
        let (y0, y1) = (y(a.max(*b)), y(a.min(*b)));
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{y0}" width="{}" height="{}" fill="{color}"/>"#,
            bw - 12.0,
            (y1 - y0).max(1.0)
        );
        let v = if i == 0 || i == bars.len() - 1 {
            compact(*b)
        } else {
            format!("{}{}", if b >= a { "+" } else { "" }, compact(b - a))
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="11">{v}</text>"#,
            x + (bw - 12.0) / 2.0,
            y0 - 4.0
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x + (bw - 12.0) / 2.0,
            h - bottom + 18.0,
            esc(name)
        );
    }
    let _ = write!(
        s,
        r##"<text x="10" y="{}" fill="#555">Growth formula traffic × conversion × AOV × (1 + referral rate) × LTV; LMDI-I contributions add up to the change ({}).</text>"##,
        h - 14.0,
        compact(d.current_value - d.previous_value)
    );
    s.push_str("</svg>");
    s
}

/// Horizontal bars with labels.
fn hbars(title: &str, rows: &[(String, f64)], fmt: &dyn Fn(f64) -> String, color: &str) -> String {
    let (w, bh, left, top) = (760.0, 22.0, 170.0, 40.0);
    let h = top + bh * rows.len() as f64 + 20.0;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-9);
    let mut s = svg_open(w as u32, h as u32);
    let _ = write!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = top + bh * i as f64;
        let bw = (w - left - 90.0) * v / max;
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 8.0, y + 15.0, esc(label));
        let _ = write!(s, r#"<rect x="{left}" y="{}" width="{bw}" height="{}" fill="{color}"/>"#, y + 3.0, bh - 6.0);
        let _ = write!(s, r#"<text x="{}" y="{}">{}</text>"#, left + bw + 6.0, y + 15.0, fmt(*v));
    }
    s.push_str("</svg>");
    s
}

/// A line of values over labelled x positions (0..1 scale on y).
fn line(title: &str, labels: &[String], values: &[f64], note: &str) -> String {
    let (w, h, left, top, bottom) = (760.0, 260.0, 50.0, 40.0, 60.0);
    let max = values.iter().cloned().fold(0.0f64, f64::max).max(1e-9) * 1.1;
    let n = values.len().max(2);
    let x = |i: usize| left + (w - left - 20.0) * i as f64 / (n - 1) as f64;
    let y = |v: f64| top + (1.0 - v / max) * (h - top - bottom);
    let mut s = svg_open(w as u32, h as u32);
    let _ = write!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    for t in 0..=4 {
        let v = max * t as f64 / 4.0;
        let _ = write!(s, r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#eee"/>"##, w - 20.0, y(v), y(v));
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{:.1}%</text>"##,
            left - 4.0,
            y(v) + 4.0,
            v * 100.0
        );
    }
    let pts: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
    let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="2"/>"##, pts.join(" "));
    let step = (labels.len() / 8).max(1);
    for (i, l) in labels.iter().enumerate().step_by(step) {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555" font-size="10">{}</text>"##,
            x(i),
            h - bottom + 16.0,
            esc(l)
        );
    }
    let _ = write!(s, r##"<text x="10" y="{}" fill="#555">{}</text>"##, h - 14.0, esc(note));
    s.push_str("</svg>");
    s
}

/// Scatter of categories: repurchase rate (x) against AOV (y), with the quadrant lines.
fn fit_scatter(cats: &[yutang::metrics::CategoryMetrics]) -> String {
    let (w, h, left, top, bottom) = (760.0, 360.0, 70.0, 40.0, 60.0);
    let range = |v: Vec<f64>| {
        let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.02).max(1e-9);
        (lo - pad, hi + pad)
    };
    let (x0, x1) = range(cats.iter().map(|c| c.repurchase_rate).collect());
    let (y0, y1) = range(cats.iter().map(|c| c.aov).collect());
    let x = |v: f64| left + (v - x0) / (x1 - x0) * (w - left - 160.0);
    let y = |v: f64| top + (1.0 - (v - y0) / (y1 - y0)) * (h - top - bottom);
    let mut s = svg_open(w as u32, h as u32);
    s.push_str(r#"<text x="10" y="20" font-size="15" font-weight="bold">Category fit: repurchase rate × average order value</text>"#);
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            0.0
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let (tr, ta) = (med(cats.iter().map(|c| c.repurchase_rate).collect()), med(cats.iter().map(|c| c.aov).collect()));
    let _ = write!(
        s,
        r##"<line x1="{}" x2="{}" y1="{top}" y2="{}" stroke="#bbb" stroke-dasharray="4 3"/>"##,
        x(tr),
        x(tr),
        h - bottom
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#bbb" stroke-dasharray="4 3"/>"##,
        w - 30.0,
        y(ta),
        y(ta)
    );
    let _ =
        write!(s, r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#333"/>"##, w - 30.0, h - bottom, h - bottom);
    let _ = write!(s, r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{}" stroke="#333"/>"##, h - bottom);
    for t in 0..=4 {
        let (vx, vy) = (x0 + (x1 - x0) * t as f64 / 4.0, y0 + (y1 - y0) * t as f64 / 4.0);
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555" font-size="10">{:.1}%</text>"##,
            x(vx),
            h - bottom + 14.0,
            vx * 100.0
        );
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#555" font-size="10">{:.0}</text>"##,
            left - 4.0,
            y(vy) + 4.0,
            vy
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">repurchase rate (share of the category's buyers who bought it again)</text>"##,
        (left + w) / 2.0,
        h - bottom + 30.0
    );
    let _ = write!(
        s,
        r##"<text x="14" y="{}" fill="#555" transform="rotate(-90 14 {})">AOV</text>"##,
        (top + h - bottom) / 2.0,
        (top + h - bottom) / 2.0
    );
    for c in cats {
        let color = match c.fit.as_str() {
            "core" => "#2ca02c",
            "frequency" => "#1f77b4",
            "considered" => "#ff7f0e",
            _ => "#7f7f7f",
        };
        let _ = write!(s, r#"<circle cx="{}" cy="{}" r="6" fill="{color}"/>"#, x(c.repurchase_rate), y(c.aov));
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11">{} ({})</text>"#,
            x(c.repurchase_rate) + 9.0,
            y(c.aov) + 4.0,
            esc(&c.category),
            c.fit.as_str()
        );
    }
    let _ = write!(
        s,
        r##"<text x="10" y="{}" fill="#555">Dashed lines: medians over the categories (the default fit thresholds). Green core, blue frequency, orange considered, grey weak.</text>"##,
        h - 10.0
    );
    s.push_str("</svg>");
    s
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

fn growth_table(prev: &[GrowthRow], cur: &[GrowthRow]) -> String {
    // without channels the only channel row, "(none)", repeats "(all)"
    let lone = prev.len() == 2;
    let rows: Vec<Vec<String>> = prev
        .iter()
        .zip(cur)
        .filter(|(p, c)| p.traffic + c.traffic > 0 && !(lone && p.channel.is_some()))
        .flat_map(|(p, c)| {
            [("previous", p), ("current", c)].map(|(label, r)| {
                vec![
                    r.channel.clone().unwrap_or_else(|| "(all)".into()),
                    label.to_string(),
                    r.traffic.to_string(),
                    format!("{:.1}%", r.conversion * 100.0),
                    format!("{:.2}", r.aov),
                    format!("{:.1}%", r.referral_rate * 100.0),
                    format!("{:.2}", r.ltv),
                    compact(r.value()),
                ]
            })
        })
        .collect();
    table(&["channel", "period", "traffic", "conversion", "AOV", "referral rate", "LTV", "formula"], &rows)
}

struct Section {
    title: String,
    body: String,
}

fn pool_sections(
    name: &str,
    pool: &Pool,
    as_of: Timestamp,
    previous: (&str, &str),
    current: (&str, &str),
    svgs: &mut Vec<(String, String)>,
) -> Result<Vec<Section>, yutang::Error> {
    let tz = pool.time_zone();
    let mut out = Vec::new();
    // lifecycle and RFM (from the lifecycle module, when it is part of the build)
    match lifecycle::sections(pool, as_of) {
        Some(secs) => out.extend(secs.into_iter().map(|(title, body)| Section { title, body })),
        None => out.push(Section {
            title: "Lifecycle distribution and RFM tiers".into(),
            body: "<p class=note>Not available.</p>".into(),
        }),
    }
    let c = pool.cohort_retention(Some(as_of))?;
    let hm = heatmap(&c, &format!("{name}: cohort retention by first-order month"));
    svgs.push((format!("{name}_cohorts"), hm.clone()));
    out.push(Section {
        title: "Cohort retention".into(),
        body: format!(
            "{hm}<p>{} customers with orders; {} ({:.1}%) ordered again at another time.</p>",
            c.customers,
            c.repeat_customers,
            c.repurchase_rate() * 100.0
        ),
    });
    let t = |s: &str| parse_time(s, tz);
    let g = pool.growth((t(previous.0)?, t(previous.1)?), (t(current.0)?, t(current.1)?), &GrowthOptions::default())?;
    let wf = waterfall(
        &g.decomposition[0],
        &format!("{name}: growth formula {}..{} → {}..{}", previous.0, previous.1, current.0, current.1),
    );
    svgs.push((format!("{name}_growth"), wf.clone()));
    let dec_rows: Vec<Vec<String>> = g.decomposition[0]
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let d = &g.decomposition[0];
            vec![
                f.clone(),
                format!("{:.4}", d.previous[i]),
                format!("{:.4}", d.current[i]),
                format!("{:.3}", d.ratios[i]),
                compact(d.contributions[i]),
                format!("{:.1}%", 100.0 * d.contributions[i] / d.change()),
            ]
        })
        .collect();
    out.push(Section {
        title: "Growth formula and its decomposition".into(),
        body: format!(
            "{wf}{}<h4>By factor (all customers)</h4>{}",
            growth_table(&g.previous, &g.current),
            table(&["factor", "previous", "current", "ratio", "LMDI contribution", "share of change"], &dec_rows)
        ),
    });
    let cats = pool.category_metrics(Some(as_of))?;
    if cats.is_empty() {
        out.push(Section {
            title: "Category fit".into(),
            body: "<p class=note>No order items in this pool.</p>".into(),
        });
    } else {
        let rows: Vec<Vec<String>> = cats
            .iter()
            .map(|c| {
                vec![
                    c.category.clone(),
                    c.cohorts.customers.to_string(),
                    format!("{:.1}%", c.repurchase_rate * 100.0),
                    format!("{:.2}", c.aov),
                    format!("{:.2}", c.fit_score),
                    c.fit.as_str().into(),
                ]
            })
            .collect();
        out.push(Section {
            title: "Category fit".into(),
            body: format!(
                "{}{}",
                fit_scatter(&cats),
                table(&["category", "buyers", "repurchase", "AOV", "fit score", "fit"], &rows)
            ),
        });
    }
    let r = pool.referrals(Some(as_of), &ReferralOptions::default())?;
    if r.edges.is_empty() && r.rejected.is_empty() {
        out.push(Section {
            title: "Referral trees".into(),
            body: "<p class=note>No referral events in this pool.</p>".into(),
        });
    } else {
        let buckets =
            [(1, 1, "1"), (2, 2, "2"), (3, 5, "3–5"), (6, 10, "6–10"), (11, 20, "11–20"), (21, u64::MAX, "21+")];
        let rows: Vec<(String, f64)> = buckets
            .iter()
            .map(|(lo, hi, l)| {
                (format!("{l} invitees"), r.trees.iter().filter(|t| t.size >= *lo && t.size <= *hi).count() as f64)
            })
            .collect();
        let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
        for x in &r.rejected {
            *reasons.entry(x.reason.as_str()).or_default() += 1;
        }
        let depth = r.trees.iter().map(|t| t.depth).max().unwrap_or(0);
        let rej: Vec<Vec<String>> = reasons.iter().map(|(k, v)| vec![k.to_string(), v.to_string()]).collect();
        out.push(Section {
            title: "Referral (fission) trees".into(),
            body: format!(
                "{}<p>{} trees; the deepest has {depth} generations. {} attributed invites among {} customers \
                 (invites per customer {:.4}), {} converted within 30 days (invite conversion {:.1}%): \
                 <b>K-factor {:.4}</b>.</p><h4>Invites not attributed</h4>{}",
                hbars("Referral trees by size (invitees per tree)", &rows, &|v| format!("{v:.0} trees"), "#9467bd"),
                r.trees.len(),
                r.invites,
                r.customers,
                r.invites_per_customer(),
                r.converted,
                r.invite_conversion() * 100.0,
                r.k_factor(),
                table(&["reason", "invites"], &rej)
            ),
        });
    }
    let (gs, ge) = (t(current.0)?, t(current.1)?);
    let ga = pool.group_activity(gs, ge)?;
    if ga.groups.is_empty() {
        out.push(Section {
            title: "Group activity".into(),
            body: "<p class=note>No group events in this pool.</p>".into(),
        });
    } else {
        let mut top = ga.groups.clone();
        top.sort_by(|a, b| b.members.cmp(&a.members).then_with(|| a.group.cmp(&b.group)));
        top.truncate(12);
        let rows: Vec<(String, f64)> = top.iter().map(|g| (g.group.clone(), g.members as f64)).collect();
        let mut by_day: std::collections::BTreeMap<&str, (f64, u32)> = Default::default();
        for d in &ga.days {
            if d.members > 0 {
                let e = by_day.entry(d.start.as_str()).or_default();
                e.0 += d.active_share;
                e.1 += 1;
            }
        }
        let labels: Vec<String> = by_day.keys().map(|k| k.to_string()).collect();
        let vals: Vec<f64> = by_day.values().map(|(s, n)| s / *n as f64).collect();
        let n = ga.groups.len() as f64;
        let mean = |f: &dyn Fn(&yutang::metrics::GroupSummary) -> f64| ga.groups.iter().map(f).sum::<f64>() / n;
        let trows: Vec<Vec<String>> = top
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.members.to_string(),
                    g.speakers.to_string(),
                    g.messages.to_string(),
                    format!("{:.2}", g.messages_per_member),
                    format!("{:.1}%", g.daily_active_share * 100.0),
                    format!("{:.1}%", g.weekly_active_share * 100.0),
                    g.silent.to_string(),
                ]
            })
            .collect();
        out.push(Section {
            title: "Group activity".into(),
            body: format!(
                "<p>{} groups, {}..{}: on average {:.1} members, {:.2} messages per member, {:.1}% of members active on a day, {:.1}% in a week, {:.1} silent members per group.</p>{}{}{}",
                ga.groups.len(),
                current.0,
                current.1,
                mean(&|g| g.members as f64),
                mean(&|g| g.messages_per_member),
                mean(&|g| g.daily_active_share) * 100.0,
                mean(&|g| g.weekly_active_share) * 100.0,
                mean(&|g| g.silent as f64),
                line("Daily active share of members (mean over groups)", &labels, &vals, "speakers / members per day, business time zone"),
                hbars("Largest groups: members at the end of the period", &rows, &|v| format!("{v:.0}"), "#17becf"),
                table(&["group", "members", "speakers", "messages", "msgs/member", "daily active", "weekly active", "silent"], &trows)
            ),
        });
    }
    let aff =
        pool.affinity(Some(as_of), PoolAffinityOptions::Sku, &AffinityOptions { min_count: 20, ..Default::default() })?;
    if !aff.rules.is_empty() {
        let rows: Vec<Vec<String>> = aff
            .rules
            .iter()
            .take(10)
            .map(|r| {
                vec![
                    format!("{} → {}", r.antecedent, r.consequent),
                    r.baskets.to_string(),
                    format!("{:.2}%", r.support * 100.0),
                    format!("{:.1}%", r.confidence * 100.0),
                    format!("{:.2}", r.lift),
                ]
            })
            .collect();
        out.push(Section {
            title: "Cross-sell affinity".into(),
            body: format!(
                "<p>{} baskets (orders with items); top rules by lift (pairs in at least 20 baskets):</p>{}",
                aff.baskets,
                table(&["rule", "baskets", "support", "confidence", "lift"], &rows)
            ),
        });
    }
    Ok(out)
}

fn cdnow_pool(root: &str) -> Pool {
    let config = PoolConfig { time_zone: "America/New_York".into(), currency: Currency::USD, ..Default::default() };
    let mut pool = Pool::new(config).expect("config");
    let tz = pool.time_zone();
    let text =
        std::fs::read_to_string(format!("{root}/data/cdnow/CDNOW_master.txt")).expect("data/cdnow/CDNOW_master.txt");
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[0].parse::<u32>().is_err() {
            continue;
        }
        let d = format!("{}-{}-{}", &f[1][..4], &f[1][4..6], &f[1][6..8]);
        let at = parse_time(&d, tz).expect("date");
        let cents = (f[3].parse::<f64>().expect("amount") * 100.0).round() as i64;
        let mut e = Event::new(
            format!("o{i}"),
            at,
            EventKind::Order,
            vec![Identity::new(IdentityKind::AppUser, format!("cdnow{}", f[0]))],
        );
        e.money = Some(Money::new(cents, Currency::USD));
        events.push(e);
    }
    let r = pool.ingest(events);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    pool
}

fn main() -> Result<(), yutang::Error> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::env::args().nth(1).unwrap_or_else(|| format!("{root}/target/metrics_report.html"));
    let started = std::time::Instant::now();
    let mut svgs = Vec::new();
    let cdnow = cdnow_pool(root);
    let cd_asof = parse_time("1998-06-30 23:59:59", cdnow.time_zone())?;
    let cd =
        pool_sections("CDNOW", &cdnow, cd_asof, ("1997-01-01", "1997-07-01"), ("1997-07-01", "1998-01-01"), &mut svgs)?;
    let cfg = SynthConfig::default();
    let mut synth = Pool::default();
    synth.ingest(events_with_items(&cfg, 0..cfg.events));
    let sy_asof = parse_time("2024-12-31 23:59:59", synth.time_zone())?;
    let sy = pool_sections(
        "Synthetic",
        &synth,
        sy_asof,
        ("2024-01-01", "2024-07-01"),
        ("2024-07-01", "2025-01-01"),
        &mut svgs,
    )?;
    let mut html = String::from(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>yutang growth metrics report</title><style>
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;color:#222;line-height:1.4}
h1{margin-bottom:0}h2{border-bottom:2px solid #1f77b4;padding-bottom:4px;margin-top:40px}h3{margin-top:28px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f6fa}td:first-child,th:first-child{text-align:left}.note{color:#777;font-style:italic}svg{display:block;margin:8px 0}
nav a{margin-right:14px}
</style></head><body><h1>yutang growth metrics</h1>"#,
    );
    let _ = write!(
        html,
        "<p>Computed by <code>cargo run -p yutang --example report</code> with yutang {}; self-contained (inline SVG, no network). \
         <b>CDNOW</b>: {} customers, {} orders (1997-01..1998-06, US Eastern time, USD; orders only: no channels, referrals, groups or items). \
         <b>Synthetic</b>: {} customers, {} events over 2024 (yutang::synth with order items; Asia/Shanghai, CNY).</p>\
         <nav><a href=\"#cdnow\">CDNOW</a><a href=\"#synthetic\">Synthetic</a></nav>",
        yutang::VERSION,
        cdnow.customer_count(),
        cdnow.stats().events,
        synth.customer_count(),
        synth.stats().events
    );
    for (id, title, secs) in [("cdnow", "CDNOW", cd), ("synthetic", "Synthetic pool", sy)] {
        let _ = write!(html, "<h2 id=\"{id}\">{title}</h2>");
        for s in secs {
            let _ = write!(html, "<h3>{}</h3>{}", esc(&s.title), s.body);
        }
    }
    let _ = write!(html, "<p class=note>Report built in {:.2} s.</p></body></html>", started.elapsed().as_secs_f64());
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("output directory");
    }
    std::fs::write(&out, &html).expect("write the report");
    for (name, svg) in &svgs {
        let file = match name.as_str() {
            "Synthetic_cohorts" => "metrics_cohorts.svg",
            "Synthetic_growth" => "metrics_growth.svg",
            _ => continue,
        };
        std::fs::write(format!("{root}/docs/img/{file}"), svg).expect("write docs/img");
    }
    println!("wrote {out} ({} KiB) in {:.2} s", html.len() / 1024, started.elapsed().as_secs_f64());
    Ok(())
}
