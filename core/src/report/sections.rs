//! The sections of the report, each from the pool's own calls. A section that cannot be
//! computed becomes a note that says why.

use std::collections::BTreeMap;

use super::svg::{bars, compact, esc, fit_scatter, growth_table, hbars, heatmap, line, table, waterfall};
use super::{ReportOptions, Section};
use crate::attribution::{heuristic_models, markov_model, HeuristicOptions, MarkovOptions};
use crate::error::Result;
use crate::ltv::{customer_lifetime_value, BgNbd, FitOptions, Freq, GammaGamma, SummaryOptions, TimeUnit};
use crate::metrics::{AffinityOptions, GrowthOptions, PoolAffinityOptions, ReferralOptions};
use crate::model::{EventKind, Timestamp};
use crate::pool::Pool;

const DAY_S: i64 = 86_400;

/// `days` before `t`, clamped to the earliest instant a timestamp holds.
fn days_before(t: Timestamp, days: u32) -> Timestamp {
    t.plus_seconds(-i64::from(days) * DAY_S)
}

/// A section, or a note saying why it could not be computed.
fn or_note(title: &str, section: Result<Section>) -> Section {
    section.unwrap_or_else(|e| Section::note(title, &format!("Not available: {e}")))
}

/// Every group of sections, in page order.
pub(super) fn all(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Vec<(String, Vec<Section>)> {
    let mut out = Vec::new();
    let mut group = |name: &str, secs: Result<Vec<Section>>| {
        let secs = secs.unwrap_or_else(|e| vec![Section::note(name, &format!("Not available: {e}"))]);
        out.push((name.to_string(), secs));
    };
    group("Lifecycle and value tiers", Ok(lifecycle(pool, as_of, o)));
    group(
        "Cohorts and growth",
        Ok(vec![
            or_note("Cohort retention", cohorts(pool, as_of)),
            or_note("Growth formula and its decomposition", growth(pool, as_of, o)),
        ]),
    );
    group("Channel attribution", attribution(pool, as_of, o));
    group("Customer lifetime value", clv(pool, as_of, o));
    group("Journeys", journeys(pool, as_of, o));
    group(
        "Categories, referrals, groups and cross-sell",
        Ok(vec![
            or_note("Category fit", categories(pool, as_of)),
            or_note("Referral trees", referrals(pool, as_of)),
            or_note("Group activity", groups(pool, as_of, o)),
            or_note("Cross-sell affinity", cross_sell(pool, as_of)),
        ]),
    );
    out
}

fn lifecycle(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Vec<Section> {
    let mut out = Vec::new();
    let dist = pool.stage_distribution(as_of);
    let total: u64 = dist.iter().map(|d| d.1).sum();
    let rows: Vec<(String, u64)> = dist.iter().map(|(s, n)| (s.as_str().to_string(), *n)).collect();
    let cfg = pool.lifecycle_config();
    out.push(Section::new(
        "Lifecycle distribution",
        format!(
            "{}<p>{total} customers at {} (at risk after {} days without an order, churned after {}).</p>",
            bars("lifecycle", "Customers by lifecycle stage", &rows, "#1f77b4"),
            as_of.date_in(pool.time_zone()),
            cfg.at_risk_days,
            cfg.churned_days,
        ),
    ));
    let from = days_before(as_of, o.flow_days);
    let all = pool.stage_transitions(from, as_of);
    let kept: u64 = all.iter().filter(|t| t.from == Some(t.to)).map(|t| t.customers).sum();
    let mut flows: Vec<_> = all.into_iter().filter(|t| t.from != Some(t.to)).collect();
    flows.sort_by(|a, b| b.customers.cmp(&a.customers).then_with(|| (a.from, a.to).cmp(&(b.from, b.to))));
    if flows.is_empty() {
        out.push(Section::note("Lifecycle flows", &format!("No stage changed in the {} days before.", o.flow_days)));
    } else {
        let label = |t: &crate::lifecycle::TransitionCount| {
            format!("{} → {}", t.from.map_or("(new)", |s| s.as_str()), t.to.as_str())
        };
        let chart: Vec<(String, f64)> = flows.iter().take(12).map(|t| (label(t), t.customers as f64)).collect();
        let rows: Vec<Vec<String>> = flows.iter().map(|t| vec![label(t), t.customers.to_string()]).collect();
        out.push(Section::new(
            "Lifecycle flows",
            format!(
                "{}{}",
                hbars(
                    "lifecycle_flows",
                    &format!(
                        "Stage changes, {} .. {}",
                        from.date_in(pool.time_zone()),
                        as_of.date_in(pool.time_zone())
                    ),
                    &chart,
                    &|v| format!("{v:.0} customers"),
                    "#8c564b"
                ),
                table(&["change", "customers"], &rows)
            ) + &format!("<p>{kept} customers kept their stage.</p>"),
        ));
    }
    match pool.rfm(as_of) {
        Ok(rfm) if !rfm.is_empty() => {
            let mut tiers: BTreeMap<&str, u64> = BTreeMap::new();
            for r in &rfm {
                *tiers.entry(r.tier.as_str()).or_default() += 1;
            }
            let mut t: Vec<(String, u64)> = tiers.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            t.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            out.push(Section::new(
                "RFM tiers",
                format!(
                    "{}<p>{} buyers scored by quintiles of recency, frequency and monetary value; every buyer is in exactly one tier.</p>",
                    bars("rfm_tiers", "Buyers by RFM tier", &t, "#ff7f0e"),
                    rfm.len()
                ),
            ));
        }
        Ok(_) => out.push(Section::note("RFM tiers", "No buyers yet.")),
        Err(e) => out.push(Section::note("RFM tiers", &format!("Not available: {e}"))),
    }
    out
}

fn cohorts(pool: &Pool, as_of: Timestamp) -> Result<Section> {
    let c = pool.cohort_retention(Some(as_of))?;
    if c.customers == 0 {
        return Ok(Section::note("Cohort retention", "No orders yet."));
    }
    Ok(Section::new(
        "Cohort retention",
        format!(
            "{}<p>{} customers with orders; {} ({:.1}%) ordered again at another time.</p>",
            heatmap("cohorts", &c, "Cohort retention by first-order month"),
            c.customers,
            c.repeat_customers,
            c.repurchase_rate() * 100.0
        ),
    ))
}

fn growth(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Result<Section> {
    let tz = pool.time_zone();
    let cur = (days_before(as_of, o.period_days), as_of);
    let prev = (days_before(cur.0, o.period_days), cur.0);
    let g = pool.growth(prev, cur, &GrowthOptions::default())?;
    let d = &g.decomposition[0];
    let period = |p: (Timestamp, Timestamp)| format!("{}..{}", p.0.date_in(tz), p.1.date_in(tz));
    let dec_rows: Vec<Vec<String>> = d
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let share = if d.change() == 0.0 { 0.0 } else { 100.0 * d.contributions[i] / d.change() };
            vec![
                f.clone(),
                format!("{:.4}", d.previous[i]),
                format!("{:.4}", d.current[i]),
                if d.ratios[i].is_finite() { format!("{:.3}", d.ratios[i]) } else { "–".into() },
                compact(d.contributions[i]),
                format!("{share:.1}%"),
            ]
        })
        .collect();
    Ok(Section::new(
        "Growth formula and its decomposition",
        format!(
            "{}{}<h4>By factor (all customers)</h4>{}",
            waterfall("growth", d, &format!("Growth formula {} → {}", period(prev), period(cur))),
            growth_table(&g.previous, &g.current),
            table(&["factor", "previous", "current", "ratio", "LMDI contribution", "share of change"], &dec_rows)
        ),
    ))
}

fn attribution(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Result<Vec<Section>> {
    let t = pool.attribution_paths(as_of, o.lookback_days, &EventKind::Order)?;
    let converting: f64 = t.paths.conversions.iter().sum();
    if t.paths.channels.is_empty() || converting == 0.0 {
        return Ok(vec![Section::note(
            "Channel attribution",
            &format!("No order with a channel touch in the {} days before it.", o.lookback_days),
        )]);
    }
    let h = heuristic_models(&t.paths, &HeuristicOptions::default())?;
    let m = markov_model(&t.paths, &MarkovOptions::default())?;
    let markov = |c: &str| m.channels.iter().position(|x| x == c).map_or(0.0, |i| m.conversions[i]);
    let mut order: Vec<usize> = (0..h.channels.len()).collect();
    order.sort_by(|&a, &b| markov(&h.channels[b]).total_cmp(&markov(&h.channels[a])).then(a.cmp(&b)));
    let chart: Vec<(String, f64)> = order.iter().map(|&i| (h.channels[i].clone(), markov(&h.channels[i]))).collect();
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|&i| {
            let c = &h.channels[i];
            let mi = m.channels.iter().position(|x| x == c);
            vec![
                c.clone(),
                format!("{:.1}", h.first_touch.conversions[i]),
                format!("{:.1}", h.last_touch.conversions[i]),
                format!("{:.1}", h.linear.conversions[i]),
                format!("{:.1}", h.position_based.conversions[i]),
                format!("{:.1}", markov(c)),
                mi.map_or("-".into(), |j| format!("{:.3}", m.removal_effects[j])),
                mi.map_or("-".into(), |j| compact(m.value[j])),
            ]
        })
        .collect();
    Ok(vec![Section::new(
        "Channel attribution",
        format!(
            "{}<p>{:.0} orders with a channel touch in the {} days before them; {:.0} orders without one are left out. \
             The Markov model (first order) credits each channel with its removal effect.</p>{}",
            hbars(
                "attribution",
                "Orders credited to each channel (Markov removal effect)",
                &chart,
                &|v| format!("{v:.1}"),
                "#2ca02c"
            ),
            converting,
            o.lookback_days,
            t.unattributed_conversions,
            table(
                &[
                    "channel",
                    "first touch",
                    "last touch",
                    "linear",
                    "position based",
                    "Markov",
                    "removal effect",
                    "Markov value"
                ],
                &rows
            )
        ),
    )])
}

/// A model fitted with the default options; where that does not converge, with a looser
/// tolerance, then with a small penalizer (each retry said in `notes`).
fn fit_with_fallbacks<M>(name: &str, notes: &mut Vec<String>, fit: impl Fn(&FitOptions) -> Result<M>) -> Result<M> {
    let first = match fit(&FitOptions::new()) {
        Ok(m) => return Ok(m),
        Err(e) => e,
    };
    for (options, how) in [
        (FitOptions::new().tolerance(1e-4), "a gradient tolerance of 1e-4"),
        (FitOptions::new().penalizer(1e-4), "penalizer 0.0001"),
    ] {
        if let Ok(m) = fit(&options) {
            notes.push(format!(
                "The {name} fit with the default options did not converge ({first}); this one has {how}."
            ));
            return Ok(m);
        }
    }
    Err(first)
}

fn clv(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Result<Vec<Section>> {
    let title = "CLV distribution and top customers";
    // weeks, as lifetimes' CDNOW examples: days / 7
    let s = pool.rfm_summary(
        &SummaryOptions::new().freq(Freq::Day).freq_multiplier(7.0).observation_period_end(as_of.micros()),
    )?;
    let sm = &s.summary;
    let repeat = sm.frequency.iter().filter(|&&x| x > 0.0).count();
    if repeat < 10 {
        return Ok(vec![Section::note(
            title,
            &format!(
                "{} buyers, {repeat} of them repeat buyers: too few to fit the CLV models (10 repeat buyers at least).",
                sm.frequency.len()
            ),
        )]);
    }
    let mut fit_notes = Vec::new();
    let bg = fit_with_fallbacks("BG/NBD", &mut fit_notes, |o| BgNbd::fit(&sm.frequency, &sm.recency, &sm.t, None, o))?;
    let mv: &[f64] = sm.monetary_value.as_deref().unwrap_or(&[]);
    let (gx, gm): (Vec<f64>, Vec<f64>) =
        sm.frequency.iter().zip(mv).filter(|(x, m)| **x > 0.0 && **m > 0.0).map(|(x, m)| (*x, *m)).unzip();
    let gg = fit_with_fallbacks("Gamma-Gamma", &mut fit_notes, |o| {
        GammaGamma::fit(&gx, &gm, None, o).or_else(|_| GammaGamma::fit_q_constrained(&gx, &gm, None, o))
    })?;
    let value = customer_lifetime_value(
        &bg,
        &gg,
        &sm.frequency,
        &sm.recency,
        &sm.t,
        mv,
        o.clv_months,
        o.clv_discount_rate,
        TimeUnit::Weeks.periods_per_month(),
    )?;
    if let Some(bad) = value.iter().position(|v| !v.is_finite()) {
        return Ok(vec![Section::note(
            title,
            &format!("The CLV of customer {} is not a finite number ({}).", s.customer_ids[bad], value[bad]),
        )]);
    }
    let alive =
        crate::ltv::TransactionModel::conditional_probability_alive_batch(&bg, &sm.frequency, &sm.recency, &sm.t)?;
    let cur = pool.config().currency.code().to_string();
    let chart = clv_bins(&value);
    let n = value.len();
    let mut top: Vec<usize> = (0..n).collect();
    top.sort_by(|&a, &b| value[b].total_cmp(&value[a]).then_with(|| s.customer_ids[a].cmp(&s.customer_ids[b])));
    top.truncate(o.top_customers as usize);
    let rows: Vec<Vec<String>> = top
        .iter()
        .map(|&i| {
            vec![
                s.customer_ids[i].clone(),
                format!("{:.0}", sm.frequency[i]),
                format!("{:.1}", sm.recency[i]),
                format!("{:.1}", sm.t[i]),
                format!("{:.2}", mv[i]),
                format!("{:.3}", alive[i]),
                format!("{:.2}", value[i]),
            ]
        })
        .collect();
    let total: f64 = value.iter().sum();
    let top_share: f64 = top.iter().map(|&i| value[i]).sum::<f64>() / total.max(1e-300);
    Ok(vec![Section::new(
        title,
        format!(
            "{}<p>{} buyers; BG/NBD (r = {:.3}, α = {:.3}, a = {:.3}, b = {:.3}) and Gamma-Gamma (p = {:.3}, q = {:.3}, v = {:.3}) \
             fitted on their orders in weeks; {}-month CLV at {:.1}% a month: {} {cur} in all, {:.1}% of it from the {} customers below.{}</p>{}",
            hbars("clv", &format!("Customers by {}-month CLV ({cur})", o.clv_months), &chart, &|v| format!("{v:.0}"), "#9467bd"),
            n,
            bg.r,
            bg.alpha,
            bg.a,
            bg.b,
            gg.p,
            gg.q,
            gg.v,
            o.clv_months,
            o.clv_discount_rate * 100.0,
            compact(total),
            top_share * 100.0,
            top.len(),
            esc(&fit_notes.iter().map(|n| format!(" {n}")).collect::<String>()),
            table(&["customer", "repeat orders", "recency (weeks)", "age (weeks)", "mean order", "P(alive)", "CLV"], &rows)
        ),
    )])
}

/// Ten bins of equal width from the smallest value (or 0) to the 99th percentile, then one for
/// the values above it; one bin for the smallest value when it is the 99th percentile too.
fn clv_bins(value: &[f64]) -> Vec<(String, f64)> {
    let mut sorted = value.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let (lo, p99) = (sorted[0].min(0.0), sorted[((n as f64 * 0.99) as usize).min(n - 1)]);
    if sorted[0] >= p99 {
        let above = value.iter().filter(|&&v| v > p99).count();
        let mut out = vec![(compact(p99), (n - above) as f64)];
        if above > 0 {
            out.push((format!("> {}", compact(p99)), above as f64));
        }
        return out;
    }
    let width = (p99 - lo) / 10.0;
    let mut counts = [0u64; 11];
    for &v in value {
        let k = if v > p99 { 10 } else { (((v - lo) / width) as usize).min(9) };
        counts[k] += 1;
    }
    let edge = |k: usize| compact(lo + width * k as f64);
    let mut out: Vec<(String, f64)> =
        (0..10).map(|k| (format!("{} – {}", edge(k), edge(k + 1)), counts[k] as f64)).collect();
    if counts[10] > 0 {
        out.push((format!("> {}", compact(p99)), counts[10] as f64));
    }
    out
}

fn journeys(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Result<Vec<Section>> {
    let defs = pool.journeys();
    if defs.is_empty() {
        return Ok(vec![Section::note("Journeys", "No journeys in this pool.")]);
    }
    let start = days_before(as_of, o.journey_days);
    let sim = pool.simulate(&defs, start, as_of)?;
    let tz = pool.time_zone();
    let mut out = Vec::new();
    for j in &sim.journeys {
        let steps: Vec<_> = sim.steps.iter().filter(|s| s.journey == j.journey).collect();
        let chart: Vec<(String, f64)> = steps.iter().map(|s| (s.step.clone(), s.visits as f64)).collect();
        let rows: Vec<Vec<String>> = steps
            .iter()
            .map(|s| {
                vec![
                    s.step.clone(),
                    s.visits.to_string(),
                    s.sent.to_string(),
                    s.deferred.to_string(),
                    s.dropped.to_string(),
                    s.suppressed.to_string(),
                ]
            })
            .collect();
        out.push(Section::new(
            format!("Journey {}", j.journey),
            format!(
                "{}<p>Replayed over {} .. {}: {} entered, {} converted, {} exited, {} finished, {} in a control arm.</p>{}",
                hbars(
                    &format!("journey_{}", j.journey),
                    &format!("{}: customers reaching each step", j.journey),
                    &chart,
                    &|v| format!("{v:.0}"),
                    "#1f77b4"
                ),
                start.date_in(tz),
                as_of.date_in(tz),
                j.entered,
                j.converted,
                j.exited,
                j.finished,
                j.control,
                table(&["step", "visits", "sent", "deferred", "dropped", "suppressed"], &rows)
            ),
        ));
    }
    Ok(out)
}

fn categories(pool: &Pool, as_of: Timestamp) -> Result<Section> {
    let cats = pool.category_metrics(Some(as_of))?;
    if cats.is_empty() {
        Ok(Section::note("Category fit", "No order items in this pool."))
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
        Ok(Section::new(
            "Category fit",
            format!(
                "{}{}",
                fit_scatter("categories", &cats),
                table(&["category", "buyers", "repurchase", "AOV", "fit score", "fit"], &rows)
            ),
        ))
    }
}

fn referrals(pool: &Pool, as_of: Timestamp) -> Result<Section> {
    let r = pool.referrals(Some(as_of), &ReferralOptions::default())?;
    if r.edges.is_empty() && r.rejected.is_empty() {
        Ok(Section::note("Referral trees", "No referral events in this pool."))
    } else {
        let buckets =
            [(1, 1, "1"), (2, 2, "2"), (3, 5, "3–5"), (6, 10, "6–10"), (11, 20, "11–20"), (21, u64::MAX, "21+")];
        let rows: Vec<(String, f64)> = buckets
            .iter()
            .map(|(lo, hi, l)| {
                (format!("{l} invitees"), r.trees.iter().filter(|t| t.size >= *lo && t.size <= *hi).count() as f64)
            })
            .collect();
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for x in &r.rejected {
            *reasons.entry(x.reason.as_str()).or_default() += 1;
        }
        let depth = r.trees.iter().map(|t| t.depth).max().unwrap_or(0);
        let rej: Vec<Vec<String>> = reasons.iter().map(|(k, v)| vec![k.to_string(), v.to_string()]).collect();
        Ok(Section::new(
            "Referral (fission) trees",
            format!(
                "{}<p>{} trees; the deepest has {depth} generations. {} attributed invites among {} customers \
                 (invites per customer {:.4}), {} converted within 30 days (invite conversion {:.1}%): \
                 <b>K-factor {:.4}</b>.</p><h4>Invites not attributed</h4>{}",
                hbars(
                    "referrals",
                    "Referral trees by size (invitees per tree)",
                    &rows,
                    &|v| format!("{v:.0} trees"),
                    "#9467bd"
                ),
                r.trees.len(),
                r.invites,
                r.customers,
                r.invites_per_customer(),
                r.converted,
                r.invite_conversion() * 100.0,
                r.k_factor(),
                table(&["reason", "invites"], &rej)
            ),
        ))
    }
}

fn groups(pool: &Pool, as_of: Timestamp, o: &ReportOptions) -> Result<Section> {
    let (gs, ge) = (days_before(as_of, o.period_days), as_of);
    let ga = pool.group_activity(gs, ge)?;
    if ga.groups.is_empty() {
        Ok(Section::note("Group activity", "No group events in this pool."))
    } else {
        let mut top = ga.groups.clone();
        top.sort_by(|a, b| b.members.cmp(&a.members).then_with(|| a.group.cmp(&b.group)));
        top.truncate(12);
        let rows: Vec<(String, f64)> = top.iter().map(|g| (g.group.clone(), g.members as f64)).collect();
        let mut by_day: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
        for d in &ga.days {
            if d.members > 0 {
                let e = by_day.entry(d.start.as_str()).or_default();
                e.0 += d.active_share;
                e.1 += 1;
            }
        }
        let labels: Vec<String> = by_day.keys().map(|k| k.to_string()).collect();
        let vals: Vec<f64> = by_day.values().map(|(s, n)| s / f64::from(*n)).collect();
        let n = ga.groups.len() as f64;
        let mean = |f: &dyn Fn(&crate::metrics::GroupSummary) -> f64| ga.groups.iter().map(f).sum::<f64>() / n;
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
        let tz = pool.time_zone();
        Ok(Section::new(
            "Group activity",
            format!(
                "<p>{} groups, {} .. {}: on average {:.1} members, {:.2} messages per member, {:.1}% of members active on a day, {:.1}% in a week, {:.1} silent members per group.</p>{}{}{}",
                ga.groups.len(),
                gs.date_in(tz),
                ge.date_in(tz),
                mean(&|g| g.members as f64),
                mean(&|g| g.messages_per_member),
                mean(&|g| g.daily_active_share) * 100.0,
                mean(&|g| g.weekly_active_share) * 100.0,
                mean(&|g| g.silent as f64),
                line("groups_active", "Daily active share of members (mean over groups)", &labels, &vals, "speakers / members per day, business time zone"),
                hbars("groups_largest", "Largest groups: members at the end of the period", &rows, &|v| format!("{v:.0}"), "#17becf"),
                table(&["group", "members", "speakers", "messages", "msgs/member", "daily active", "weekly active", "silent"], &trows)
            ),
        ))
    }
}

fn cross_sell(pool: &Pool, as_of: Timestamp) -> Result<Section> {
    let aff =
        pool.affinity(Some(as_of), PoolAffinityOptions::Sku, &AffinityOptions { min_count: 20, ..Default::default() })?;
    if aff.rules.is_empty() {
        Ok(Section::note("Cross-sell affinity", "No pair of items bought together in 20 baskets or more."))
    } else {
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
        Ok(Section::new(
            "Cross-sell affinity",
            format!(
                "<p>{} baskets (orders with items); top rules by lift (pairs in at least 20 baskets):</p>{}",
                aff.baskets,
                table(&["rule", "baskets", "support", "confidence", "lift"], &rows)
            ),
        ))
    }
}
