//! The growth formula (traffic × conversion × AOV × referral × LTV) over a period and by
//! channel, and the LMDI decomposition of its change between two periods.

use super::NO_CODE;
use crate::error::{Error, Result};

/// Names of the factors of the growth formula, in order.
pub const FACTORS: [&str; 5] = ["traffic", "conversion", "aov", "referral", "ltv"];

/// What a row of [`GrowthColumns`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum GrowthKind {
    /// Any other activity (a visit: view, message, click …).
    Activity = 0,
    /// A registration.
    Register = 1,
    /// An order (its amount is revenue).
    Order = 2,
    /// The customer arrived through a referral (an invite that counts).
    Referral = 3,
}

/// Event columns for [`growth_factors`] / [`growth`].
#[derive(Debug, Clone, Copy)]
pub struct GrowthColumns<'a> {
    /// Dense customer codes (0 .. number of rows).
    pub customers: &'a [u32],
    /// Times, µs since the epoch.
    pub at: &'a [i64],
    /// [`GrowthKind`] as `u8`.
    pub kind: &'a [u8],
    /// Amount in major units (read on orders only).
    pub amount: &'a [f64],
    /// Channel codes ([`NO_CODE`]: none), indexes into `channel_names`; `None`: no channels.
    pub channel: Option<&'a [u32]>,
    /// Channel names.
    pub channel_names: &'a [String],
}

/// A half-open period `[start, end)` of µs since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    /// Start (inclusive).
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
}

/// What counts as traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Traffic {
    /// Customers with any event in the period (default).
    #[default]
    Visitors,
    /// Customers with a `register` event in the period.
    Registrants,
}

impl Traffic {
    /// Parse `visitors` / `registrants`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `traffic`.
    pub fn parse(s: &str) -> Result<Traffic> {
        match s {
            "visitors" => Ok(Traffic::Visitors),
            "registrants" => Ok(Traffic::Registrants),
            _ => Err(Error::invalid("traffic", s, "expected \"visitors\" or \"registrants\"")),
        }
    }
}

/// Options of [`growth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrowthOptions {
    /// What counts as traffic.
    pub traffic: Traffic,
    /// LTV counts the buyers' order revenue of the last `ltv_days` before the period end
    /// (default 365, so periods of a growing pool compare like with like); `None`: all history.
    pub ltv_days: Option<u32>,
}

impl Default for GrowthOptions {
    fn default() -> Self {
        GrowthOptions { traffic: Traffic::Visitors, ltv_days: Some(365) }
    }
}

/// The growth formula's inputs and factors for one period and one channel (or all).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrowthRow {
    /// The acquisition channel (the customer's first channel), `None` for all customers.
    pub channel: Option<String>,
    /// Customers counted as traffic.
    pub traffic: u64,
    /// Customers with an order in the period.
    pub buyers: u64,
    /// Orders in the period.
    pub orders: u64,
    /// Order revenue in the period.
    pub revenue: f64,
    /// Traffic customers who arrived through a referral in the period.
    pub invited: u64,
    /// `buyers / traffic`.
    pub conversion: f64,
    /// Average order value, `revenue / orders`.
    pub aov: f64,
    /// `invited / traffic`.
    pub referral_rate: f64,
    /// Historical LTV: the period's buyers' order revenue in the `ltv_days` (default 365) before
    /// the end of the period (all history with `None`), per buyer.
    pub ltv: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl GrowthRow {
    fn from_counts(channel: Option<String>, c: &Acc) -> GrowthRow {
        GrowthRow {
            channel,
            traffic: c.traffic,
            buyers: c.buyers,
            orders: c.orders,
            revenue: c.revenue,
            invited: c.invited,
            conversion: ratio(c.buyers as f64, c.traffic as f64),
            aov: ratio(c.revenue, c.orders as f64),
            referral_rate: ratio(c.invited as f64, c.traffic as f64),
            ltv: ratio(c.ltv_sum, c.buyers as f64),
        }
    }

    /// The five factors in [`FACTORS`] order: traffic, conversion, AOV, referral multiplier
    /// `1 + referral_rate`, LTV.
    pub fn factors(&self) -> [f64; 5] {
        [self.traffic as f64, self.conversion, self.aov, 1.0 + self.referral_rate, self.ltv]
    }

    /// The growth formula: the product of [`GrowthRow::factors`].
    pub fn value(&self) -> f64 {
        self.factors().iter().product()
    }
}

#[derive(Debug, Clone, Default)]
struct Acc {
    traffic: u64,
    buyers: u64,
    orders: u64,
    revenue: f64,
    invited: u64,
    ltv_sum: f64,
}

const VISIT: u8 = 1;
const REG: u8 = 2;
const BUY: u8 = 4;
const REF: u8 = 8;

fn check(cols: &GrowthColumns<'_>) -> Result<usize> {
    let n = cols.customers.len();
    for (name, len) in [("at", cols.at.len()), ("kind", cols.kind.len()), ("amount", cols.amount.len())] {
        if len != n {
            return Err(Error::invalid(name, len.to_string(), "must have as many rows as customer_id"));
        }
    }
    if let Some(ch) = cols.channel {
        if ch.len() != n {
            return Err(Error::invalid("channel", ch.len().to_string(), "must have as many rows as customer_id"));
        }
        if let Some(i) = ch.iter().position(|&c| c != NO_CODE && c as usize >= cols.channel_names.len()) {
            return Err(Error::invalid(format!("channel[{i}]"), ch[i].to_string(), "code out of range of the names"));
        }
    }
    if let Some(i) = cols.kind.iter().position(|&k| k > 3) {
        return Err(Error::invalid(format!("kind[{i}]"), cols.kind[i].to_string(), "expected 0..=3"));
    }
    let m = cols.customers.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    if m > n {
        return Err(Error::invalid("customer_id", (m - 1).to_string(), "customer codes must be dense (0 .. rows)"));
    }
    if let Some(i) =
        cols.kind.iter().zip(cols.amount).position(|(&k, a)| k == GrowthKind::Order as u8 && !a.is_finite())
    {
        return Err(Error::invalid(
            format!("amount[{i}]"),
            cols.amount[i].to_string(),
            "an order amount must be finite",
        ));
    }
    Ok(m)
}

/// Each customer's acquisition channel: the channel of their earliest row with one (ties: the
/// smaller code); `NO_CODE` without any.
fn first_channels(cols: &GrowthColumns<'_>, n: usize) -> Vec<u32> {
    let mut best = vec![(i64::MAX, NO_CODE); n];
    if let Some(ch) = cols.channel {
        for i in 0..ch.len() {
            if ch[i] != NO_CODE {
                let b = &mut best[cols.customers[i] as usize];
                if (cols.at[i], ch[i]) < *b {
                    *b = (cols.at[i], ch[i]);
                }
            }
        }
    }
    best.into_iter().map(|b| b.1).collect()
}

fn period_rows(
    cols: &GrowthColumns<'_>,
    n: usize,
    chan: &[u32],
    p: Period,
    opts: &GrowthOptions,
) -> Result<Vec<GrowthRow>> {
    if p.start >= p.end {
        return Err(Error::invalid("period", format!("{}..{}", p.start, p.end), "start must be before end"));
    }
    let k = cols.channel_names.len();
    let slot = |c: u32| if c == NO_CODE { k } else { c as usize };
    let mut flags = vec![0u8; n];
    let mut cum = vec![0.0f64; n];
    let mut acc = vec![Acc::default(); k + 1];
    let ltv_from = opts.ltv_days.map_or(i64::MIN, |d| p.end.saturating_sub(d as i64 * 86_400_000_000));
    for i in 0..cols.customers.len() {
        let (c, t, kind) = (cols.customers[i] as usize, cols.at[i], cols.kind[i]);
        if t >= p.end {
            continue;
        }
        if kind == GrowthKind::Order as u8 && t >= ltv_from {
            cum[c] += cols.amount[i];
        }
        if t < p.start {
            continue;
        }
        let f = &mut flags[c];
        *f |= VISIT;
        match kind {
            1 => *f |= REG,
            2 => {
                *f |= BUY;
                let a = &mut acc[slot(chan[c])];
                a.orders += 1;
                a.revenue += cols.amount[i];
            }
            3 => *f |= REF,
            _ => {}
        }
    }
    for c in 0..n {
        let f = flags[c];
        let a = &mut acc[slot(chan[c])];
        let traffic = match opts.traffic {
            Traffic::Visitors => f & VISIT != 0,
            Traffic::Registrants => f & REG != 0,
        };
        if traffic {
            a.traffic += 1;
            a.invited += (f & REF != 0) as u64;
        }
        if f & BUY != 0 {
            a.buyers += 1;
            a.ltv_sum += cum[c];
        }
    }
    let mut total = Acc::default();
    for a in &acc {
        total.traffic += a.traffic;
        total.buyers += a.buyers;
        total.orders += a.orders;
        total.revenue += a.revenue;
        total.invited += a.invited;
        total.ltv_sum += a.ltv_sum;
    }
    let mut rows = vec![GrowthRow::from_counts(None, &total)];
    if cols.channel.is_some() {
        for (j, a) in acc.iter().enumerate() {
            let name = if j == k { "(none)".to_string() } else { cols.channel_names[j].clone() };
            rows.push(GrowthRow::from_counts(Some(name), a));
        }
    }
    Ok(rows)
}

/// The growth formula's inputs and factors over one period: the row for all customers first,
/// then (with a channel column) one row per acquisition channel in code order and a last row
/// `(none)` for customers never seen on a channel. Every customer belongs to exactly one
/// channel row, so counts and revenue of the channel rows add up to the first row.
///
/// # Errors
/// Columns of different lengths, codes out of range, a non-finite order amount, an empty period.
pub fn growth_factors(cols: &GrowthColumns<'_>, period: Period, opts: &GrowthOptions) -> Result<Vec<GrowthRow>> {
    let n = check(cols)?;
    let chan = first_channels(cols, n);
    period_rows(cols, n, &chan, period, opts)
}

/// The change of a product of factors between two periods, split into each factor's
/// contribution.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decomposition {
    /// Factor names.
    pub factors: Vec<String>,
    /// Factor values in the previous period.
    pub previous: Vec<f64>,
    /// Factor values in the current period.
    pub current: Vec<f64>,
    /// Additive LMDI-I contribution of each factor; they sum to `current_value −
    /// previous_value`.
    pub contributions: Vec<f64>,
    /// Multiplicative LMDI: `current / previous` of each factor (their product is
    /// `current_value / previous_value`); `NaN` where a previous value is 0.
    pub ratios: Vec<f64>,
    /// The product of `previous`.
    pub previous_value: f64,
    /// The product of `current`.
    pub current_value: f64,
}

impl Decomposition {
    /// `current_value − previous_value`.
    pub fn change(&self) -> f64 {
        self.current_value - self.previous_value
    }
}

/// The logarithmic mean L(a, b) = (a − b) / (ln a − ln b), L(a, a) = a.
fn log_mean(a: f64, b: f64) -> f64 {
    if (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) {
        (a + b) / 2.0
    } else {
        (a - b) / (a.ln() - b.ln())
    }
}

/// Decompose the change of `V = Π xₖ` between two periods into each factor's contribution by
/// the additive LMDI-I of Ang (2004, 2005): `ΔVₖ = L(V¹, V⁰) · ln(xₖ¹ / xₖ⁰)` with the
/// logarithmic mean `L(a, b) = (a − b) / (ln a − ln b)`. The contributions add up to
/// `V¹ − V⁰` (no residual).
///
/// Zero values take the limit of the formula as the zero is replaced by δ → 0 (Ang & Liu
/// 2007): if `V⁰ = 0 < V¹`, the factors that are 0 in the previous period only share the
/// whole change equally and the others contribute 0 (mirrored for `V¹ = 0 < V⁰`); if both
/// are 0, every contribution is 0.
///
/// # Errors
/// Lengths that differ, or a factor that is negative or not finite.
///
/// ```
/// use yutang::metrics::decompose;
/// // V⁰ = 10 × 2 = 20, V¹ = 20 × 3 = 60; L(60, 20) = 40 / ln 3
/// let d = decompose(&["a", "b"], &[10.0, 2.0], &[20.0, 3.0])?;
/// let l = 40.0 / 3f64.ln();
/// assert!((d.contributions[0] - l * 2f64.ln()).abs() < 1e-12);
/// assert!((d.contributions[1] - l * 1.5f64.ln()).abs() < 1e-12);
/// assert!((d.contributions.iter().sum::<f64>() - 40.0).abs() < 1e-12);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn decompose(names: &[&str], previous: &[f64], current: &[f64]) -> Result<Decomposition> {
    if previous.len() != names.len() || current.len() != names.len() {
        return Err(Error::invalid(
            "current",
            format!("{} / {}", previous.len(), current.len()),
            "previous and current need one value per factor",
        ));
    }
    for (field, xs) in [("previous", previous), ("current", current)] {
        if let Some(i) = xs.iter().position(|x| !x.is_finite() || *x < 0.0) {
            return Err(Error::invalid(format!("{field}[{}]", names[i]), xs[i].to_string(), "must be finite and >= 0"));
        }
    }
    let v0: f64 = previous.iter().product();
    let v1: f64 = current.iter().product();
    let k = names.len();
    let mut contributions = vec![0.0; k];
    if v0 > 0.0 && v1 > 0.0 {
        let l = log_mean(v1, v0);
        for i in 0..k {
            contributions[i] = l * (current[i] / previous[i]).ln();
        }
    } else if v0 != v1 {
        // the side that is 0: its zero factors share the change
        let zero: Vec<usize> = if v0 == 0.0 {
            (0..k).filter(|&i| previous[i] == 0.0 && current[i] != 0.0).collect()
        } else {
            (0..k).filter(|&i| current[i] == 0.0 && previous[i] != 0.0).collect()
        };
        for &i in &zero {
            contributions[i] = (v1 - v0) / zero.len() as f64;
        }
    }
    let ratios = previous.iter().zip(current).map(|(&p, &c)| if p == 0.0 { f64::NAN } else { c / p }).collect();
    Ok(Decomposition {
        factors: names.iter().map(|s| s.to_string()).collect(),
        previous: previous.to_vec(),
        current: current.to_vec(),
        contributions,
        ratios,
        previous_value: v0,
        current_value: v1,
    })
}

/// Factors of two periods and the decomposition of the change, overall and per channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Growth {
    /// Rows of the previous period (as [`growth_factors`]).
    pub previous: Vec<GrowthRow>,
    /// Rows of the current period, aligned with `previous`.
    pub current: Vec<GrowthRow>,
    /// One decomposition of the growth formula per row pair.
    pub decomposition: Vec<Decomposition>,
}

/// The growth formula in two periods and the LMDI decomposition of its change into traffic,
/// conversion, AOV, referral multiplier (`1 + referral_rate`) and LTV ([`FACTORS`]), overall
/// and per acquisition channel. See [`growth_factors`] and [`decompose`].
///
/// # Errors
/// As [`growth_factors`].
pub fn growth(cols: &GrowthColumns<'_>, previous: Period, current: Period, opts: &GrowthOptions) -> Result<Growth> {
    let n = check(cols)?;
    let chan = first_channels(cols, n);
    let prev = period_rows(cols, n, &chan, previous, opts)?;
    let cur = period_rows(cols, n, &chan, current, opts)?;
    let decomposition =
        prev.iter().zip(&cur).map(|(p, c)| decompose(&FACTORS, &p.factors(), &c.factors())).collect::<Result<_>>()?;
    Ok(Growth { previous: prev, current: cur, decomposition })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lmdi_two_period_hand_computed() {
        // Ang (2005) LMDI-I, additive: ΔV_k = L(V1, V0) ln(x_k1 / x_k0).
        // traffic 100 -> 120, conversion 0.1 -> 0.1, aov 50 -> 40, referral 1 -> 1, ltv 200 -> 250
        // V0 = 100 * 0.1 * 50 * 1 * 200 = 100_000; V1 = 120 * 0.1 * 40 * 1 * 250 = 120_000
        // L = 20_000 / ln(1.2) = 20_000 / 0.182322 = 109_696.3
        // traffic: L ln 1.2 = 20_000; conversion, referral: L ln 1 = 0
        // aov: L ln 0.8 = 109_696.3 * -0.223144 = -24_478.0; ltv: L ln 1.25 = +24_478.0
        let d = decompose(&FACTORS, &[100.0, 0.1, 50.0, 1.0, 200.0], &[120.0, 0.1, 40.0, 1.0, 250.0]).unwrap();
        let l = 20_000.0 / 1.2f64.ln();
        assert!((l - 109_696.3).abs() < 0.05);
        assert!((d.contributions[0] - 20_000.0).abs() < 1e-9);
        assert!((d.contributions[2] - l * 0.8f64.ln()).abs() < 1e-9);
        assert!((d.contributions[2] + 24_478.0).abs() < 0.05);
        assert!((d.contributions[4] - 24_478.0).abs() < 0.05);
        assert_eq!(d.contributions[1], 0.0);
        assert!((d.contributions.iter().sum::<f64>() - d.change()).abs() < 1e-9);
        // multiplicative: ratios multiply to V1 / V0 = 1.2
        assert!((d.ratios.iter().product::<f64>() - 1.2).abs() < 1e-12);
    }

    #[test]
    fn ltv_window() {
        // one customer: orders of 100 on day 0 and 50 on day 400; period [day 399, day 401)
        let d = 86_400_000_000i64;
        let cols = GrowthColumns {
            customers: &[0, 0],
            at: &[0, 400 * d],
            kind: &[2, 2],
            amount: &[100.0, 50.0],
            channel: None,
            channel_names: &[],
        };
        let p = Period { start: 399 * d, end: 401 * d };
        // default: the 365 days before the period end (day 36 .. 401) hold only the 50
        assert_eq!(growth_factors(&cols, p, &GrowthOptions::default()).unwrap()[0].ltv, 50.0);
        let all = GrowthOptions { ltv_days: None, ..Default::default() };
        assert_eq!(growth_factors(&cols, p, &all).unwrap()[0].ltv, 150.0);
    }

    #[test]
    fn zero_values_take_the_limit() {
        // a factor appears: it takes the whole change
        let d = decompose(&["a", "b"], &[0.0, 2.0], &[3.0, 4.0]).unwrap();
        assert_eq!(d.contributions, [12.0, 0.0]);
        // zero in both: nothing to explain
        let d = decompose(&["a", "b"], &[0.0, 2.0], &[0.0, 4.0]).unwrap();
        assert_eq!(d.contributions, [0.0, 0.0]);
        // vanishing: the vanishing factor takes it
        let d = decompose(&["a", "b"], &[1.0, 2.0], &[1.0, 0.0]).unwrap();
        assert_eq!(d.contributions, [0.0, -2.0]);
        assert!(decompose(&["a"], &[-1.0], &[1.0]).is_err());
        assert!(decompose(&["a"], &[1.0], &[f64::NAN]).is_err());
    }

    #[test]
    fn factors_by_channel_hand_computed() {
        // customers: 0 (douyin first), 1 (wecom), 2 (no channel)
        // period [10, 20): c0 views at 10, orders 30 at 12 and 10 at 15; c1 referral at 11, order 50 at 19;
        // c2 view at 12. c0 also ordered 100 at 5 (before: counts only for LTV).
        let names = vec!["douyin".to_string(), "wecom".to_string()];
        let customers = [0, 0, 0, 0, 1, 1, 2];
        let at = [5, 10, 12, 15, 11, 19, 12];
        let kind = [2, 0, 2, 2, 3, 2, 0];
        let amount = [100.0, 0.0, 30.0, 10.0, 0.0, 50.0, 0.0];
        let channel = [0, 0, NO_CODE, NO_CODE, 1, 1, NO_CODE];
        let cols = GrowthColumns {
            customers: &customers,
            at: &at,
            kind: &kind,
            amount: &amount,
            channel: Some(&channel),
            channel_names: &names,
        };
        let rows = growth_factors(&cols, Period { start: 10, end: 20 }, &GrowthOptions::default()).unwrap();
        let all = &rows[0];
        // traffic 3, buyers 2, orders 3, revenue 90, invited 1
        assert_eq!((all.traffic, all.buyers, all.orders, all.revenue, all.invited), (3, 2, 3, 90.0, 1));
        assert_eq!(all.conversion, 2.0 / 3.0);
        assert_eq!(all.aov, 30.0);
        // LTV: c0 100 + 30 + 10 = 140, c1 50 -> 190 / 2
        assert_eq!(all.ltv, 95.0);
        assert_eq!(rows[1].channel.as_deref(), Some("douyin"));
        assert_eq!((rows[1].traffic, rows[1].orders, rows[1].ltv), (1, 2, 140.0));
        assert_eq!((rows[2].invited, rows[2].referral_rate), (1, 1.0));
        assert_eq!((rows[3].channel.as_deref(), rows[3].traffic, rows[3].buyers), (Some("(none)"), 1, 0));
        // value = 3 * 2/3 * 30 * (1 + 1/3) * 95
        assert!((all.value() - 3.0 * (2.0 / 3.0) * 30.0 * (4.0 / 3.0) * 95.0).abs() < 1e-9);
        let g = growth(&cols, Period { start: 0, end: 10 }, Period { start: 10, end: 20 }, &GrowthOptions::default())
            .unwrap();
        assert_eq!(g.decomposition.len(), 4);
        // previous period: only c0's order at 5: traffic 1, conversion 1, aov 100, ltv 100
        assert_eq!(g.previous[0].factors(), [1.0, 1.0, 100.0, 1.0, 100.0]);
        let d = &g.decomposition[0];
        assert!((d.contributions.iter().sum::<f64>() - (all.value() - 10_000.0)).abs() < 1e-6);
    }
}
