//! Lifecycle distribution and RFM tier sizes for the report (from `Pool::lifecycle` and
//! `Pool::rfm`, the lifecycle module).

use std::fmt::Write as _;
use yutang::{Pool, Timestamp};

fn bars(title: &str, rows: &[(String, u64)], color: &str) -> String {
    let total: u64 = rows.iter().map(|r| r.1).sum::<u64>().max(1);
    let (w, bh, left, top) = (760.0, 22.0, 170.0, 40.0);
    let h = top + bh * rows.len() as f64 + 20.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12"><rect width="{w}" height="{h}" fill="white"/><text x="10" y="20" font-size="15" font-weight="bold">{title}</text>"#
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = top + bh * i as f64;
        let bw = (w - left - 130.0) * *v as f64 / max;
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{label}</text>"#, left - 8.0, y + 15.0);
        let _ = write!(s, r#"<rect x="{left}" y="{}" width="{bw}" height="{}" fill="{color}"/>"#, y + 3.0, bh - 6.0);
        let _ = write!(
            s,
            r#"<text x="{}" y="{}">{v} ({:.1}%)</text>"#,
            left + bw + 6.0,
            y + 15.0,
            100.0 * *v as f64 / total as f64
        );
    }
    s.push_str("</svg>");
    s
}

/// (title, HTML body) sections.
pub fn sections(pool: &Pool, as_of: Timestamp) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let rows = pool.lifecycle(as_of);
    let order = ["prospect", "new", "repeat", "at_risk", "churned", "won_back"];
    let mut counts: Vec<(String, u64)> = order.iter().map(|s| (s.to_string(), 0)).collect();
    for r in &rows {
        let s = r.stage.as_str();
        match counts.iter_mut().find(|c| c.0 == s) {
            Some(c) => c.1 += 1,
            None => counts.push((s.to_string(), 1)),
        }
    }
    out.push((
        "Lifecycle distribution".to_string(),
        format!(
            "{}<p>{} customers known at {} (default stage machine: at risk after 90 days without an order, churned after 180).</p>",
            bars("Customers by lifecycle stage", &counts, "#1f77b4"),
            rows.len(),
            as_of.date_in(pool.time_zone())
        ),
    ));
    match pool.rfm(as_of) {
        Ok(rfm) => {
            let mut tiers: std::collections::BTreeMap<String, u64> = Default::default();
            for r in &rfm {
                *tiers.entry(r.tier.clone()).or_default() += 1;
            }
            let mut t: Vec<(String, u64)> = tiers.into_iter().collect();
            t.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            out.push((
                "RFM tier sizes".to_string(),
                format!(
                    "{}<p>{} buyers scored by quintiles of recency, frequency and monetary value; every buyer in exactly one tier.</p>",
                    bars("Buyers by RFM tier", &t, "#ff7f0e"),
                    rfm.len()
                ),
            ));
        }
        Err(e) => out.push(("RFM tier sizes".to_string(), format!("<p class=note>RFM not available: {e}</p>"))),
    }
    Some(out)
}
