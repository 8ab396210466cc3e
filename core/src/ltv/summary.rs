//! RFM summaries from a transaction log, with the semantics of lifetimes 0.11.3
//! (`summary_data_from_transaction_data`, `calibration_and_holdout_data`).
//!
//! Semantics, as lifetimes:
//! - Each timestamp is floored to its period (`Freq`): hour, day, week (Monday to Sunday,
//!   pandas' `W`), or calendar month, in the business time zone ([`Zone`], UTC by default).
//! - Transactions whose period starts after the period of `observation_period_end` are dropped.
//!   `observation_period_end` defaults to the latest timestamp.
//! - Transactions of one customer in one period count once; their monetary values are summed.
//! - `frequency` = number of periods with a purchase − 1 (or without the − 1 when
//!   `include_first_transaction`); `recency` = last − first period; `T` = observation period −
//!   first period; both in periods, divided by `freq_multiplier`.
//! - `monetary_value` = mean of the per-period sums over the repeat periods (all periods when
//!   `include_first_transaction`), 0 when there are none.
//! - Customers come out sorted by their key (byte order for strings, numeric for integers).
//!
//! Deliberate differences: `Freq::Month` counts whole calendar months (pandas 2 refuses the
//! ambiguous month unit that lifetimes divides by, and numpy's average month of 30.44 days gave
//! fractional months); NaN monetary values are an error instead of being skipped.

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Period of the summary (lifetimes' `freq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Freq {
    /// Hours (`"H"`/`"h"`).
    Hour,
    /// Days (`"D"`).
    Day,
    /// Weeks from Monday to Sunday (`"W"`, pandas' `W-SUN`).
    Week,
    /// Calendar months (`"M"`).
    Month,
}

impl Freq {
    /// Parse lifetimes' codes `H`/`h`, `D`, `W`, `M`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for `freq` if the code is unknown.
    ///
    /// # Example
    /// ```
    /// use yutang::ltv::Freq;
    /// assert_eq!(Freq::parse("W")?, Freq::Week);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "H" | "h" => Ok(Freq::Hour),
            "D" => Ok(Freq::Day),
            "W" => Ok(Freq::Week),
            "M" => Ok(Freq::Month),
            other => Err(Error::invalid("freq", other, "must be one of H, D, W, M")),
        }
    }
}

/// The business time zone in which timestamps are floored to periods.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Zone {
    /// UTC (the default).
    #[default]
    Utc,
    /// A fixed offset east of UTC, in seconds (e.g. 8 · 3600 for China Standard Time).
    Fixed(i32),
    /// A named IANA zone with its daylight-saving rules.
    Tz(chrono_tz::Tz),
}

impl Zone {
    fn local_micros(&self, utc_us: i64) -> i64 {
        match self {
            Zone::Utc => utc_us,
            Zone::Fixed(s) => utc_us.saturating_add(*s as i64 * 1_000_000),
            Zone::Tz(tz) => {
                use chrono::{Offset, TimeZone};
                let secs = utc_us.div_euclid(1_000_000);
                let nanos = (utc_us.rem_euclid(1_000_000) * 1000) as u32;
                match chrono::DateTime::from_timestamp(secs, nanos) {
                    Some(dt) => {
                        let off = tz.offset_from_utc_datetime(&dt.naive_utc()).fix().local_minus_utc();
                        utc_us.saturating_add(off as i64 * 1_000_000)
                    }
                    None => utc_us,
                }
            }
        }
    }
}

/// Options of [`rfm_summary`] (lifetimes' keyword arguments).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SummaryOptions {
    /// Period (default days).
    pub freq: Freq,
    /// Divide recency and T by this (lifetimes' `freq_multiplier`, default 1).
    pub freq_multiplier: f64,
    /// End of observation, µs since the epoch UTC (default: the latest timestamp).
    pub observation_period_end: Option<i64>,
    /// Count the first purchase in frequency and monetary value (default false).
    pub include_first_transaction: bool,
    /// Business time zone (default UTC).
    pub zone: Zone,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            freq: Freq::Day,
            freq_multiplier: 1.0,
            observation_period_end: None,
            include_first_transaction: false,
            zone: Zone::Utc,
        }
    }
}

impl SummaryOptions {
    /// Defaults: days, multiplier 1, end = latest timestamp, first transaction excluded, UTC.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the period.
    pub fn freq(mut self, f: Freq) -> Self {
        self.freq = f;
        self
    }
    /// Set the multiplier.
    pub fn freq_multiplier(mut self, m: f64) -> Self {
        self.freq_multiplier = m;
        self
    }
    /// Set the observation end (µs since the epoch UTC).
    pub fn observation_period_end(mut self, us: i64) -> Self {
        self.observation_period_end = Some(us);
        self
    }
    /// Include the first transaction.
    pub fn include_first_transaction(mut self, yes: bool) -> Self {
        self.include_first_transaction = yes;
        self
    }
    /// Set the business time zone.
    pub fn zone(mut self, z: Zone) -> Self {
        self.zone = z;
        self
    }
}

/// Customer keys, one per transaction.
#[derive(Debug, Clone, Copy)]
pub enum CustomerKeys<'a> {
    /// String ids.
    Str(&'a [&'a str]),
    /// Owned string ids.
    String(&'a [String]),
    /// 64-bit integer keys.
    U64(&'a [u64]),
    /// 32-bit integer keys.
    U32(&'a [u32]),
}

impl CustomerKeys<'_> {
    fn len(&self) -> usize {
        match self {
            CustomerKeys::Str(v) => v.len(),
            CustomerKeys::String(v) => v.len(),
            CustomerKeys::U64(v) => v.len(),
            CustomerKeys::U32(v) => v.len(),
        }
    }
}

/// Per-customer summary, sorted by customer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmSummary {
    /// For each customer, the index of one of its input rows (its earliest kept transaction):
    /// take the key from your own id column with it.
    pub first_row: Vec<usize>,
    /// Repeat purchase periods.
    pub frequency: Vec<f64>,
    /// Periods between first and last purchase.
    pub recency: Vec<f64>,
    /// Periods between first purchase and the end of observation.
    pub t: Vec<f64>,
    /// Mean per-period spend of repeat purchases (present when monetary values were given).
    pub monetary_value: Option<Vec<f64>>,
}

/// Calibration summary plus holdout counts (lifetimes' `calibration_and_holdout_data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationHoldout {
    /// The calibration-period summary (`*_cal` columns).
    pub calibration: RfmSummary,
    /// Purchase periods in the holdout, per calibration customer.
    pub frequency_holdout: Vec<f64>,
    /// Mean transaction value in the holdout (0 if none; present with monetary values).
    pub monetary_value_holdout: Option<Vec<f64>>,
    /// Length of the holdout in periods (divided by `freq_multiplier`).
    pub duration_holdout: f64,
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

const US_HOUR: i64 = 3_600_000_000;
const US_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 → (year, month 1..=12). Howard Hinnant's civil_from_days.
fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = floor_div(z, 146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m)
}

/// Period index of a local timestamp (µs).
fn period_of(freq: Freq, local_us: i64) -> i64 {
    match freq {
        Freq::Hour => floor_div(local_us, US_HOUR),
        Freq::Day => floor_div(local_us, US_DAY),
        // 1970-01-01 was a Thursday; weeks start on Monday (1970-01-05 is day 4).
        Freq::Week => floor_div(floor_div(local_us, US_DAY) + 3, 7),
        Freq::Month => {
            let (y, m) = year_month(floor_div(local_us, US_DAY));
            y * 12 + (m - 1)
        }
    }
}

/// Period index of every timestamp. Fixed offsets (UTC included) with hours, days or weeks
/// take a loop with a constant divisor (a multiply, not a division, per row); named zones and
/// months go through [`period_of`] row by row.
fn periods(freq: Freq, zone: &Zone, ts: &[i64]) -> Vec<i64> {
    let off = match zone {
        Zone::Utc => 0,
        Zone::Fixed(s) => *s as i64 * 1_000_000,
        Zone::Tz(_) => return ts.iter().map(|&t| period_of(freq, zone.local_micros(t))).collect(),
    };
    match freq {
        Freq::Hour => ts.iter().map(|&t| floor_div(t.saturating_add(off), US_HOUR)).collect(),
        Freq::Day => ts.iter().map(|&t| floor_div(t.saturating_add(off), US_DAY)).collect(),
        Freq::Week | Freq::Month => ts.iter().map(|&t| period_of(freq, t.saturating_add(off))).collect(),
    }
}

/// Rank customers by key; returns (rank per row, number of customers).
fn rank_keys(keys: CustomerKeys<'_>) -> (Vec<u32>, usize) {
    fn rank_by<K: std::hash::Hash + Eq + Ord + Copy>(
        it: impl Iterator<Item = K> + Clone,
        n: usize,
    ) -> (Vec<u32>, usize) {
        let mut map: HashMap<K, u32, foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(n / 4 + 16, foldhash::fast::FixedState::default());
        let mut uniq: Vec<K> = Vec::new();
        let mut slot = Vec::with_capacity(n);
        for k in it {
            let next = uniq.len() as u32;
            let s = *map.entry(k).or_insert_with(|| {
                uniq.push(k);
                next
            });
            slot.push(s);
        }
        // rank of each slot in key order
        let mut order: Vec<u32> = (0..uniq.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| uniq[a as usize].cmp(&uniq[b as usize]));
        let mut rank = vec![0u32; uniq.len()];
        for (r, &s) in order.iter().enumerate() {
            rank[s as usize] = r as u32;
        }
        (slot.into_iter().map(|s| rank[s as usize]).collect(), uniq.len())
    }
    /// Integer keys in a small range (e.g. codes from a factorisation): rank through a
    /// presence table instead of hashing.
    fn rank_dense(keys: &[u64]) -> Option<(Vec<u32>, usize)> {
        let max = *keys.iter().max()?;
        if max as usize > 4 * keys.len() + 1024 {
            return None;
        }
        let mut rank = vec![u32::MAX; max as usize + 1];
        for &k in keys {
            rank[k as usize] = 0;
        }
        let mut next = 0u32;
        for r in rank.iter_mut() {
            if *r == 0 {
                *r = next;
                next += 1;
            }
        }
        Some((keys.iter().map(|&k| rank[k as usize]).collect(), next as usize))
    }
    let n = keys.len();
    match keys {
        CustomerKeys::Str(v) => rank_by(v.iter().copied(), n),
        CustomerKeys::String(v) => rank_by(v.iter().map(|s| s.as_str()), n),
        CustomerKeys::U64(v) => rank_dense(v).unwrap_or_else(|| rank_by(v.iter().copied(), n)),
        CustomerKeys::U32(v) => {
            let w: Vec<u64> = v.iter().map(|&k| k as u64).collect();
            rank_dense(&w).unwrap_or_else(|| rank_by(v.iter().copied(), n))
        }
    }
}

fn check_inputs(keys: &CustomerKeys<'_>, ts: &[i64], monetary: Option<&[f64]>, mult: f64) -> Result<()> {
    let n = keys.len();
    if ts.len() != n {
        return Err(Error::invalid(
            "datetime.len",
            format!("{}", ts.len()),
            format!("must equal customer_id.len ({n})"),
        ));
    }
    if let Some(m) = monetary {
        if m.len() != n {
            return Err(Error::invalid(
                "monetary_value.len",
                format!("{}", m.len()),
                format!("must equal customer_id.len ({n})"),
            ));
        }
        if let Some(i) = m.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!("monetary_value[{i}]"), format!("{}", m[i]), "must be finite"));
        }
    }
    if n == 0 {
        return Err(Error::invalid("customer_id", "[]", "empty transaction log"));
    }
    if !mult.is_finite() || mult <= 0.0 {
        return Err(Error::invalid("freq_multiplier", format!("{mult}"), "must be finite and > 0"));
    }
    Ok(())
}

struct Grouped {
    first_row: Vec<usize>,
    first_period: Vec<i64>,
    last_period: Vec<i64>,
    periods: Vec<u64>,
    /// sum over all periods, and sum of the first period, of monetary values
    sum_all: Vec<f64>,
    sum_first: Vec<f64>,
}

/// One kept row on its way to its customer's group.
#[derive(Clone, Copy, Default)]
struct Tx {
    cust: u32,
    /// (period − the smallest kept period) << 32 | row: sorts as (period, row).
    key: u64,
    amount: f64,
}

/// Customers per partition in [`group`] (a power of two): a partition's rows fit in the L1/L2
/// cache, so the bucketing inside it costs no cache misses.
const PART_SHIFT: u32 = 8;

/// Group kept rows by customer rank and period. Two cache-friendly passes instead of one
/// scattered write per row: rows are first streamed into partitions of 256 consecutive
/// customers (a few hundred sequential write streams), then each partition is bucketed by
/// customer in cache, and each customer's few rows are sorted by one integer key, (period,
/// row), and reduced in registers.
fn group(
    rank: &[u32],
    n_cust: usize,
    period: &[i64],
    keep: impl Fn(usize) -> bool,
    monetary: Option<&[f64]>,
) -> Grouped {
    let n_parts = (n_cust >> PART_SHIFT) + 1;
    let mut pstart = vec![0u32; n_parts + 1];
    let mut pmin = i64::MAX;
    for i in 0..rank.len() {
        if keep(i) {
            pstart[(rank[i] >> PART_SHIFT) as usize + 1] += 1;
            pmin = pmin.min(period[i]);
        }
    }
    for p in 0..n_parts {
        pstart[p + 1] += pstart[p];
    }
    let mut fill = pstart.clone();
    let mut parts = vec![Tx::default(); pstart[n_parts] as usize];
    for i in 0..rank.len() {
        if keep(i) {
            let p = (rank[i] >> PART_SHIFT) as usize;
            // periods of valid timestamps span less than 2^32 hours
            let rel = (period[i] - pmin) as u64 & 0xffff_ffff;
            parts[fill[p] as usize] =
                Tx { cust: rank[i], key: rel << 32 | i as u64, amount: monetary.map_or(0.0, |m| m[i]) };
            fill[p] += 1;
        }
    }
    let mut g = Grouped {
        first_row: vec![usize::MAX; n_cust],
        first_period: vec![0; n_cust],
        last_period: vec![0; n_cust],
        periods: vec![0; n_cust],
        sum_all: vec![0.0; n_cust],
        sum_first: vec![0.0; n_cust],
    };
    let width = 1usize << PART_SHIFT;
    let mut start = vec![0u32; width + 1];
    let mut at = vec![0u32; width + 1];
    let mut local: Vec<(u64, f64)> = Vec::new();
    for p in 0..n_parts {
        let rows = &parts[pstart[p] as usize..pstart[p + 1] as usize];
        let base = p << PART_SHIFT;
        start.iter_mut().for_each(|x| *x = 0);
        for t in rows {
            start[t.cust as usize - base + 1] += 1;
        }
        for c in 0..width {
            start[c + 1] += start[c];
        }
        local.clear();
        local.resize(rows.len(), (0, 0.0));
        at.copy_from_slice(&start);
        for t in rows {
            let c = t.cust as usize - base;
            local[at[c] as usize] = (t.key, t.amount);
            at[c] += 1;
        }
        for k in 0..width.min(n_cust.saturating_sub(base)) {
            let part = &mut local[start[k] as usize..start[k + 1] as usize];
            if part.is_empty() {
                continue;
            }
            if !part.windows(2).all(|w| w[0].0 <= w[1].0) {
                part.sort_unstable_by_key(|x| x.0);
            }
            let first = part[0].0 >> 32;
            let (mut n, mut last, mut sum, mut sum_first) = (0u64, u64::MAX, 0.0, 0.0);
            for &(key, m) in part.iter() {
                let per = key >> 32;
                if per != last {
                    n += 1;
                    last = per;
                }
                sum += m;
                if per == first {
                    sum_first += m;
                }
            }
            let c = base + k;
            g.first_row[c] = (part[0].0 & 0xffff_ffff) as usize;
            g.first_period[c] = pmin + first as i64;
            g.last_period[c] = pmin + last as i64;
            g.periods[c] = n;
            g.sum_all[c] = sum;
            g.sum_first[c] = sum_first;
        }
    }
    g
}

/// Build the summary of the customers present in `g`, observed to period `end_period`.
fn finish(g: &Grouped, end_period: i64, with_money: bool, opts: &SummaryOptions) -> (RfmSummary, Vec<usize>) {
    let n = g.first_row.iter().filter(|&&r| r != usize::MAX).count();
    let mut s = RfmSummary {
        first_row: Vec::with_capacity(n),
        frequency: Vec::with_capacity(n),
        recency: Vec::with_capacity(n),
        t: Vec::with_capacity(n),
        monetary_value: with_money.then(|| Vec::with_capacity(n)),
    };
    let mut ranks = Vec::with_capacity(n);
    for c in 0..g.first_row.len() {
        if g.first_row[c] == usize::MAX {
            continue;
        }
        ranks.push(c);
        s.first_row.push(g.first_row[c]);
        let k = g.periods[c] as f64;
        let freq = if opts.include_first_transaction { k } else { k - 1.0 };
        s.frequency.push(freq);
        s.recency.push((g.last_period[c] - g.first_period[c]) as f64 / opts.freq_multiplier);
        s.t.push((end_period - g.first_period[c]) as f64 / opts.freq_multiplier);
        if let Some(mv) = s.monetary_value.as_mut() {
            let (num, den) = if opts.include_first_transaction {
                (g.sum_all[c], k)
            } else {
                (g.sum_all[c] - g.sum_first[c], k - 1.0)
            };
            mv.push(if den > 0.0 { num / den } else { 0.0 });
        }
    }
    (s, ranks)
}

/// Summarise a transaction log into per-customer frequency, recency, T (and monetary value).
///
/// `timestamps` are µs since the epoch UTC; `monetary` is optional (one value per row).
///
/// # Errors
/// [`Error::InvalidField`] for mismatched lengths (`datetime.len`, `monetary_value.len`), an
/// empty log, a non-finite monetary value (`monetary_value[i]`) or a bad `freq_multiplier`.
///
/// # Example
/// ```
/// use yutang::ltv::{rfm_summary, CustomerKeys, SummaryOptions};
/// let day = 86_400_000_000i64;
/// let ids = ["a", "a", "b"];
/// let ts = [0, 3 * day, day];
/// let s = rfm_summary(CustomerKeys::Str(&ids), &ts, Some(&[10.0, 20.0, 5.0]), &SummaryOptions::new())?;
/// assert_eq!(s.frequency, vec![1.0, 0.0]);
/// assert_eq!(s.recency, vec![3.0, 0.0]);
/// assert_eq!(s.t, vec![3.0, 2.0]);
/// assert_eq!(s.monetary_value, Some(vec![20.0, 0.0]));
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn rfm_summary(
    customers: CustomerKeys<'_>,
    timestamps: &[i64],
    monetary: Option<&[f64]>,
    options: &SummaryOptions,
) -> Result<RfmSummary> {
    check_inputs(&customers, timestamps, monetary, options.freq_multiplier)?;
    let (rank, n_cust) = rank_keys(customers);
    let period = periods(options.freq, &options.zone, timestamps);
    let end_period = match options.observation_period_end {
        Some(e) => period_of(options.freq, options.zone.local_micros(e)),
        None => period.iter().copied().max().unwrap_or(0),
    };
    let g = group(&rank, n_cust, &period, |i| period[i] <= end_period, monetary);
    Ok(finish(&g, end_period, monetary.is_some(), options).0)
}

/// Split a transaction log at `calibration_period_end` (inclusive) into a calibration summary
/// and holdout counts, as lifetimes' `calibration_and_holdout_data`.
///
/// Calibration: transactions at or before `calibration_period_end`, summarised to that end.
/// Holdout: transactions after it and at or before `observation_period_end` (default: the
/// latest timestamp); `frequency_holdout` counts purchase periods, `monetary_value_holdout` is
/// the mean raw transaction value. Customers who first buy in the holdout are left out.
///
/// # Errors
/// As [`rfm_summary`]; [`Error::InvalidField`] for `observation_period_end` if there is no
/// transaction in the holdout.
///
/// # Example
/// ```
/// use yutang::ltv::{calibration_and_holdout, CustomerKeys, SummaryOptions};
/// let day = 86_400_000_000i64;
/// let ids = [1u64, 1, 1, 2];
/// let ts = [0, 2 * day, 12 * day, day];
/// let ch = calibration_and_holdout(CustomerKeys::U64(&ids), &ts, None, 5 * day, Some(20 * day), &SummaryOptions::new())?;
/// assert_eq!(ch.calibration.frequency, vec![1.0, 0.0]);
/// assert_eq!(ch.frequency_holdout, vec![1.0, 0.0]);
/// assert_eq!(ch.duration_holdout, 15.0);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn calibration_and_holdout(
    customers: CustomerKeys<'_>,
    timestamps: &[i64],
    monetary: Option<&[f64]>,
    calibration_period_end: i64,
    observation_period_end: Option<i64>,
    options: &SummaryOptions,
) -> Result<CalibrationHoldout> {
    check_inputs(&customers, timestamps, monetary, options.freq_multiplier)?;
    let obs_end = observation_period_end.unwrap_or_else(|| timestamps.iter().copied().max().unwrap_or(0));
    let (rank, n_cust) = rank_keys(customers);
    let z = options.zone;
    let period = periods(options.freq, &z, timestamps);
    let cal_period = period_of(options.freq, z.local_micros(calibration_period_end));
    let obs_period = period_of(options.freq, z.local_micros(obs_end));
    let in_cal = |i: usize| timestamps[i] <= calibration_period_end && period[i] <= cal_period;
    let in_hold = |i: usize| timestamps[i] > calibration_period_end && timestamps[i] <= obs_end;
    if !(0..timestamps.len()).any(in_hold) {
        let local = |us: i64| {
            let us = z.local_micros(us);
            chrono::DateTime::from_timestamp_micros(us)
                .map_or_else(|| format!("{us} µs"), |d| d.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        };
        return Err(Error::invalid(
            "observation_period_end",
            local(obs_end),
            format!(
                "There is no data available in the holdout period: no transaction after calibration_period_end ({}) up to observation_period_end",
                local(calibration_period_end)
            ),
        ));
    }
    let gc = group(&rank, n_cust, &period, in_cal, monetary);
    let (calibration, ranks) = finish(&gc, cal_period, monetary.is_some(), options);
    // Holdout: distinct periods per customer, mean raw value.
    let gh = group(&rank, n_cust, &period, in_hold, monetary);
    let mut count_raw = vec![0u64; n_cust];
    for i in 0..timestamps.len() {
        if in_hold(i) {
            count_raw[rank[i] as usize] += 1;
        }
    }
    let frequency_holdout = ranks.iter().map(|&c| gh.periods[c] as f64).collect();
    let monetary_value_holdout = monetary.map(|_| {
        ranks.iter().map(|&c| if count_raw[c] > 0 { gh.sum_all[c] / count_raw[c] as f64 } else { 0.0 }).collect()
    });
    Ok(CalibrationHoldout {
        calibration,
        frequency_holdout,
        monetary_value_holdout,
        duration_holdout: (obs_period - cal_period) as f64 / options.freq_multiplier,
    })
}

/// Convert chrono UTC datetimes to µs since the epoch (the timestamp type of this module).
///
/// # Example
/// ```
/// use yutang::ltv::summary::micros_from_chrono;
/// let t = chrono::DateTime::from_timestamp(86_400, 0).unwrap();
/// assert_eq!(micros_from_chrono(&[t]), vec![86_400_000_000]);
/// ```
pub fn micros_from_chrono(ts: &[chrono::DateTime<chrono::Utc>]) -> Vec<i64> {
    ts.iter().map(|t| t.timestamp_micros()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 2024-01-01 is a Monday; 2023-12-31 a Sunday.
        let d = |days: i64| days * US_DAY;
        let mon = d(19723); // 2024-01-01
        assert_eq!(period_of(Freq::Week, mon), period_of(Freq::Week, mon + d(6)));
        assert_ne!(period_of(Freq::Week, mon), period_of(Freq::Week, mon - 1));
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(19723), (2024, 1));
        assert_eq!(year_month(19723 + 59), (2024, 2)); // 2024-02-29
        assert_eq!(year_month(19723 + 60), (2024, 3));
    }

    #[test]
    fn fixed_zone_moves_day_boundary() {
        let ids = ["a", "a"];
        // 23:30 and 00:30 UTC the next day: different UTC days, same day at UTC-2.
        let ts = [US_DAY - 1_800_000_000, US_DAY + 1_800_000_000];
        let utc = rfm_summary(CustomerKeys::Str(&ids), &ts, None, &SummaryOptions::new()).unwrap();
        assert_eq!(utc.frequency, vec![1.0]);
        let west = rfm_summary(CustomerKeys::Str(&ids), &ts, None, &SummaryOptions::new().zone(Zone::Fixed(-2 * 3600)))
            .unwrap();
        assert_eq!(west.frequency, vec![0.0]);
    }
}
