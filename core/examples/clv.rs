//! Worked CLV example on the CDNOW sample (Fader, Hardie & Lee 2005): summarise the
//! transaction log, fit BG/NBD and Gamma-Gamma on the 39-week calibration period, predict the
//! 39-week holdout, value customers, and draw the tracking plot of actual vs expected cumulative
//! repeat purchases as an SVG.
//!
//! Run: `cargo run -p yutang --example clv -- [output.svg]` (default `docs/img/cdnow_tracking.svg`).

use yutang::ltv::{
    calibration_and_holdout, customer_lifetime_value, BgNbd, CustomerKeys, FitOptions, Freq, GammaGamma,
    SummaryOptions, TimeUnit, TransactionModel,
};

const DAY_US: i64 = 86_400_000_000;

fn day_of(yyyymmdd: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros() / DAY_US)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::env::args().nth(1).unwrap_or_else(|| format!("{root}/docs/img/cdnow_tracking.svg"));
    let text = std::fs::read_to_string(format!("{root}/data/cdnow/CDNOW_sample.txt"))?;
    let (mut ids, mut days, mut dollars) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            continue;
        }
        ids.push(f[1].parse::<u64>()?);
        days.push(day_of(f[2]).ok_or("bad date")?);
        dollars.push(f[4].parse::<f64>()?);
    }
    let ts: Vec<i64> = days.iter().map(|d| d * DAY_US).collect();
    let start = day_of("19970101").ok_or("date")?;
    let cal_end = day_of("19970930").ok_or("date")?;
    let obs_end = day_of("19980630").ok_or("date")?;

    // 1. Summary in weeks (days / 7), calibration to 1997-09-30, holdout to 1998-06-30.
    let opts = SummaryOptions::new().freq(Freq::Day).freq_multiplier(7.0);
    let ch = calibration_and_holdout(
        CustomerKeys::U64(&ids),
        &ts,
        Some(&dollars),
        cal_end * DAY_US,
        Some(obs_end * DAY_US),
        &opts,
    )?;
    let s = &ch.calibration;
    println!("{} customers, {} transactions", s.frequency.len(), ids.len());

    // 2. BG/NBD on the calibration period.
    let bg = BgNbd::fit(&s.frequency, &s.recency, &s.t, None, &FitOptions::new())?;
    let rep = bg.report.as_ref().ok_or("report")?;
    println!(
        "BG/NBD: r = {:.3}, alpha = {:.3}, a = {:.3}, b = {:.3}; log-likelihood {:.2}",
        bg.r, bg.alpha, bg.a, bg.b, rep.log_likelihood
    );
    for p in &rep.params {
        println!("  {:>5}: {:.4} (se {:.4}, 95% [{:.4}, {:.4}])", p.name, p.value, p.std_error, p.lower, p.upper);
    }

    // 3. Holdout: predicted vs actual repeat purchases in the next 39 weeks.
    let pred = bg.conditional_expected_number_of_purchases_up_to_time_batch(
        ch.duration_holdout,
        &s.frequency,
        &s.recency,
        &s.t,
    )?;
    let (p_sum, a_sum): (f64, f64) = (pred.iter().sum(), ch.frequency_holdout.iter().sum());
    println!(
        "holdout ({:.1} weeks): predicted {:.1} repeat purchases, actual {:.0}",
        ch.duration_holdout, p_sum, a_sum
    );

    // 4. Gamma-Gamma on repeat buyers and 12-month CLV (1 % monthly discount, lifetimes' month).
    let mv = s.monetary_value.as_ref().ok_or("monetary")?;
    let (gx, gm): (Vec<f64>, Vec<f64>) =
        s.frequency.iter().zip(mv).filter(|(x, _)| **x > 0.0).map(|(x, m)| (*x, *m)).unzip();
    let gg = GammaGamma::fit(&gx, &gm, None, &FitOptions::new())?;
    println!("Gamma-Gamma: p = {:.2}, q = {:.2}, v = {:.2}", gg.p, gg.q, gg.v);
    let clv = customer_lifetime_value(
        &bg,
        &gg,
        &s.frequency,
        &s.recency,
        &s.t,
        mv,
        12,
        0.01,
        TimeUnit::Weeks.periods_per_month(),
    )?;
    let mut top: Vec<(usize, f64)> = clv.iter().copied().enumerate().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("total 12-month CLV ${:.0}; top customer ${:.2}", clv.iter().sum::<f64>(), top[0].1);

    // 5. Tracking plot: cumulative repeat purchases per week, actual vs BG/NBD expected.
    let mut per_customer: std::collections::BTreeMap<u64, Vec<i64>> = std::collections::BTreeMap::new();
    for (id, d) in ids.iter().zip(&days) {
        per_customer.entry(*id).or_default().push(*d);
    }
    let weeks = ((obs_end - start) / 7) as usize; // 78
    let mut actual = vec![0.0f64; weeks + 1];
    let mut firsts = Vec::new();
    for d in per_customer.values_mut() {
        d.sort_unstable();
        d.dedup();
        firsts.push(d[0]);
        for &rep_day in &d[1..] {
            let w = ((rep_day - start) / 7 + 1) as usize;
            if w <= weeks {
                actual[w] += 1.0;
            }
        }
    }
    for w in 1..=weeks {
        actual[w] += actual[w - 1];
    }
    let mut expected = vec![0.0f64; weeks + 1];
    for (w, e) in expected.iter_mut().enumerate().skip(1) {
        let end = start + 7 * w as i64;
        for &f in &firsts {
            if f < end {
                *e += bg.expected_number_of_purchases_up_to_time((end - f) as f64 / 7.0)?;
            }
        }
    }
    std::fs::write(&out, svg(&actual, &expected, ((cal_end - start) as f64 / 7.0).round()))?;
    println!("tracking plot: week 78 actual {:.0}, expected {:.1} -> {out}", actual[weeks], expected[weeks]);
    Ok(())
}

/// A small hand-written SVG line chart (no plotting dependency).
fn svg(actual: &[f64], expected: &[f64], cal_week: f64) -> String {
    let (w, h, ml, mr, mt, mb) = (720.0, 420.0, 70.0, 20.0, 40.0, 50.0);
    let n = (actual.len() - 1) as f64;
    let ymax = actual.iter().chain(expected).fold(0.0f64, |m, &v| m.max(v));
    let ytop = (ymax / 1000.0).ceil() * 1000.0;
    let x = |i: f64| ml + (w - ml - mr) * i / n;
    let y = |v: f64| h - mb - (h - mt - mb) * v / ytop;
    let path = |s: &[f64]| {
        s.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i as f64), y(*v))).collect::<Vec<_>>().join(" ")
    };
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">CDNOW sample: cumulative repeat purchases, actual vs BG/NBD</text>\n",
        w / 2.0
    );
    for k in 0..=4 {
        let v = ytop * k as f64 / 4.0;
        let (xr, yv, xl, yl) = (w - mr, y(v), ml - 6.0, y(v) + 4.0);
        o += &format!("<line x1=\"{ml}\" x2=\"{xr}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#ddd\"/><text x=\"{xl}\" y=\"{yl:.1}\" text-anchor=\"end\">{v:.0}</text>\n");
    }
    for wk in (0..=actual.len() - 1).step_by(13) {
        o += &format!("<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{wk}</text>\n", x(wk as f64), h - mb + 18.0);
    }
    o += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">week</text>\n", (ml + w - mr) / 2.0, h - 8.0);
    o += &format!(
        "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{mt}\" y2=\"{1}\" stroke=\"#888\" stroke-dasharray=\"4 4\"/><text x=\"{2:.1}\" y=\"{3}\">end of calibration</text>\n",
        x(cal_week),
        h - mb,
        x(cal_week) + 4.0,
        mt + 14.0
    );
    o += &format!("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>\n", path(actual));
    o += &format!(
        "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"{}\"/>\n",
        path(expected)
    );
    o += &format!(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{3}\" y=\"{4}\">actual</text>\n<line x1=\"{0}\" x2=\"{1}\" y1=\"{5}\" y2=\"{5}\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/><text x=\"{3}\" y=\"{6}\">BG/NBD expected</text>\n",
        ml + 20.0,
        ml + 50.0,
        mt + 20.0,
        ml + 56.0,
        mt + 24.0,
        mt + 38.0,
        mt + 42.0
    );
    o += "</svg>\n";
    o
}
