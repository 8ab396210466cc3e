//! The charts of the report: inline SVG (no script, no network), each tagged with its name in a
//! `data-chart` attribute, and HTML tables.

use std::fmt::Write as _;

use crate::metrics::{CategoryMetrics, Cohorts, Decomposition, GrowthRow};

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// 1234567 -> "1.23M".
pub(crate) fn compact(v: f64) -> String {
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

fn svg_open(chart: &str, w: u32, h: u32) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" data-chart="{}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12"><rect width="{w}" height="{h}" fill="white"/>"#,
        esc(chart)
    )
}

/// Cohort retention heat map: a row per cohort, a column per month since the first order.
pub(crate) fn heatmap(chart: &str, c: &Cohorts, title: &str) -> String {
    let rows: Vec<_> = c.cohorts.iter().filter(|x| x.customers > 0).collect();
    let cols = rows.iter().map(|r| r.active.len()).max().unwrap_or(1);
    let (cw, ch, left, top) = (44.0, 22.0, 120.0, 72.0);
    let w = (left + cw * cols as f64 + 20.0).max(900.0) as u32;
    let h = (top + ch * rows.len() as f64 + 56.0) as u32;
    let maxr = rows.iter().flat_map(|r| r.retention().into_iter().skip(1)).fold(0.0f64, f64::max).max(1e-9);
    let mut s = svg_open(chart, w, h);
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
pub(crate) fn waterfall(chart: &str, d: &Decomposition, title: &str) -> String {
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
    let mut s = svg_open(chart, w as u32, h as u32);
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
pub(crate) fn hbars(
    chart: &str,
    title: &str,
    rows: &[(String, f64)],
    fmt: &dyn Fn(f64) -> String,
    color: &str,
) -> String {
    let (w, bh, left, top) = (760.0, 22.0, 170.0, 40.0);
    let h = top + bh * rows.len() as f64 + 20.0;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-9);
    let mut s = svg_open(chart, w as u32, h as u32);
    let _ = write!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = top + bh * i as f64;
        let bw = (w - left - 130.0) * v / max;
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 8.0, y + 15.0, esc(label));
        let _ = write!(s, r#"<rect x="{left}" y="{}" width="{bw}" height="{}" fill="{color}"/>"#, y + 3.0, bh - 6.0);
        let _ = write!(s, r#"<text x="{}" y="{}">{}</text>"#, left + bw + 6.0, y + 15.0, fmt(*v));
    }
    s.push_str("</svg>");
    s
}

/// A line of values over labelled x positions (0..1 scale on y).
pub(crate) fn line(chart: &str, title: &str, labels: &[String], values: &[f64], note: &str) -> String {
    let (w, h, left, top, bottom) = (760.0, 260.0, 50.0, 40.0, 60.0);
    let max = values.iter().cloned().fold(0.0f64, f64::max).max(1e-9) * 1.1;
    let n = values.len().max(2);
    let x = |i: usize| left + (w - left - 20.0) * i as f64 / (n - 1) as f64;
    let y = |v: f64| top + (1.0 - v / max) * (h - top - bottom);
    let mut s = svg_open(chart, w as u32, h as u32);
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
pub(crate) fn fit_scatter(chart: &str, cats: &[CategoryMetrics]) -> String {
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
    let mut s = svg_open(chart, w as u32, h as u32);
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

pub(crate) fn table(head: &[&str], rows: &[Vec<String>]) -> String {
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

pub(crate) fn growth_table(prev: &[GrowthRow], cur: &[GrowthRow]) -> String {
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

/// Horizontal bars of counts with their shares.
pub(crate) fn bars(chart: &str, title: &str, rows: &[(String, u64)], color: &str) -> String {
    let total = rows.iter().map(|r| r.1).sum::<u64>().max(1) as f64;
    let rows: Vec<(String, f64)> = rows.iter().map(|(label, v)| (label.clone(), *v as f64)).collect();
    hbars(chart, title, &rows, &|v| format!("{v:.0} ({:.1}%)", 100.0 * v / total), color)
}
