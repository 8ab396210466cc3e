//! Cohort retention by first-order month, repurchase rate, and per-category retention,
//! repurchase, average order value and "private-domain fit".

use super::calendar::Calendar;
use super::NO_CODE;
use crate::error::{Error, Result};
use chrono_tz::Tz;

/// Options of [`cohort_retention`] and [`category_metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOptions {
    /// Business time zone deciding month boundaries (default `Asia/Shanghai`).
    pub time_zone: Tz,
    /// Ignore orders after this instant (µs) and run the month columns up to its month; `None`:
    /// up to the last order.
    pub as_of: Option<i64>,
    /// Fit thresholds of [`category_metrics`]: (repurchase rate, AOV). `None`: the medians over
    /// the categories.
    pub fit_thresholds: Option<(f64, f64)>,
}

impl Default for CohortOptions {
    fn default() -> Self {
        CohortOptions { time_zone: chrono_tz::Asia::Shanghai, as_of: None, fit_thresholds: None }
    }
}

impl CohortOptions {
    /// Defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the time zone.
    pub fn time_zone(mut self, tz: Tz) -> Self {
        self.time_zone = tz;
        self
    }
    /// Set `as_of` (µs since the epoch).
    pub fn as_of(mut self, micros: i64) -> Self {
        self.as_of = Some(micros);
        self
    }
    /// Set fixed fit thresholds (repurchase rate, AOV).
    pub fn fit_thresholds(mut self, repurchase_rate: f64, aov: f64) -> Self {
        self.fit_thresholds = Some((repurchase_rate, aov));
        self
    }
}

/// Customers whose first order fell in one month, and how many of them ordered in each month
/// since.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cohort {
    /// The first-order month, `YYYY-MM`.
    pub month: String,
    /// Customers in the cohort.
    pub customers: u64,
    /// `active[k]`: customers of the cohort with an order in month `month + k`
    /// (`active[0] = customers`), up to the last observed month.
    pub active: Vec<u64>,
}

impl Cohort {
    /// `active[k] / customers` for each observed month offset.
    pub fn retention(&self) -> Vec<f64> {
        self.active.iter().map(|&a| a as f64 / self.customers.max(1) as f64).collect()
    }
}

/// A cohort table and the repurchase rate.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Cohorts {
    /// One cohort per month from the first order month to the last observed month (empty
    /// months included with 0 customers), oldest first.
    pub cohorts: Vec<Cohort>,
    /// Customers with at least one order.
    pub customers: u64,
    /// Customers with orders at two or more distinct instants.
    pub repeat_customers: u64,
}

impl Cohorts {
    /// `repeat_customers / customers` (0 without customers).
    pub fn repurchase_rate(&self) -> f64 {
        if self.customers == 0 {
            0.0
        } else {
            self.repeat_customers as f64 / self.customers as f64
        }
    }
}

/// Per-customer working state, reused across categories.
struct State {
    words: usize,
    bits: Vec<u64>,
    min_at: Vec<i64>,
    repeat: Vec<bool>,
    touched: Vec<u32>,
}

impl State {
    fn new(n: usize, months: usize) -> State {
        let words = months.div_ceil(64);
        State { words, bits: vec![0; n * words], min_at: vec![i64::MAX; n], repeat: vec![false; n], touched: vec![] }
    }

    /// Add one order of customer `c` in month `m` at `at`.
    #[inline]
    fn add(&mut self, c: usize, m: usize, at: i64) {
        let cur = self.min_at[c];
        if cur == i64::MAX {
            self.touched.push(c as u32);
            self.min_at[c] = at;
        } else if at != cur {
            self.repeat[c] = true;
            if at < cur {
                self.min_at[c] = at;
            }
        }
        self.bits[c * self.words + m / 64] |= 1u64 << (m % 64);
    }

    /// Count the touched customers into `size` / `active` (a months × months table) and reset
    /// them; returns (customers, repeat customers).
    fn drain(&mut self, months: usize, size: &mut [u64], active: &mut [u64]) -> (u64, u64) {
        let (mut customers, mut repeat) = (0u64, 0u64);
        let w = self.words;
        for &c in &self.touched {
            let c = c as usize;
            customers += 1;
            repeat += self.repeat[c] as u64;
            let row = &mut self.bits[c * w..(c + 1) * w];
            let mut first = usize::MAX;
            for (k, word) in row.iter_mut().enumerate() {
                let mut b = *word;
                *word = 0;
                while b != 0 {
                    let m = k * 64 + b.trailing_zeros() as usize;
                    b &= b - 1;
                    if first == usize::MAX {
                        first = m;
                        size[m] += 1;
                    }
                    active[first * months + (m - first)] += 1;
                }
            }
            self.min_at[c] = i64::MAX;
            self.repeat[c] = false;
        }
        self.touched.clear();
        (customers, repeat)
    }

    /// Count into a table and reset the touched customers.
    fn finish(&mut self, cal: &Calendar) -> Cohorts {
        let months = cal.len();
        let mut size = vec![0u64; months];
        let mut active = vec![0u64; months * months];
        let (customers, repeat) = self.drain(months, &mut size, &mut active);
        table(cal, &size, &active, customers, repeat)
    }
}

fn table(cal: &Calendar, size: &[u64], active: &[u64], customers: u64, repeat: u64) -> Cohorts {
    let months = cal.len();
    let cohorts = (0..months)
        .map(|m| Cohort {
            month: cal.label(m),
            customers: size[m],
            active: active[m * months..m * months + (months - m)].to_vec(),
        })
        .collect();
    Cohorts { cohorts, customers, repeat_customers: repeat }
}

/// Customers per block of the partitioned kernel (their state stays in the L2 cache).
const BLOCK_BITS: u32 = 12;

/// Many customers: partition the rows by customer block first (two sequential passes), so that
/// the per-customer state of one block stays in cache instead of one random memory access per
/// row.
fn partitioned(customers: &[u32], at: &[i64], cut: i64, n: usize, cal: &Calendar) -> Cohorts {
    let nb = (n >> BLOCK_BITS) + 1;
    let mut start = vec![0usize; nb + 1];
    for (&c, &t) in customers.iter().zip(at) {
        if t <= cut {
            start[(c >> BLOCK_BITS) as usize + 1] += 1;
        }
    }
    for b in 0..nb {
        start[b + 1] += start[b];
    }
    let total = start[nb];
    let mut fill = start.clone();
    let mut at_p = vec![0i64; total];
    let mut cm = vec![0u32; total];
    for (&c, &t) in customers.iter().zip(at) {
        if t <= cut {
            let b = (c >> BLOCK_BITS) as usize;
            let k = fill[b];
            at_p[k] = t;
            // month index < 100,000 < 2^20: it fits above the 12 customer bits
            cm[k] = (c & ((1 << BLOCK_BITS) - 1)) | (cal.index(t) << BLOCK_BITS);
            fill[b] = k + 1;
        }
    }
    let months = cal.len();
    let mut size = vec![0u64; months];
    let mut active = vec![0u64; months * months];
    let (mut customers_n, mut repeat) = (0u64, 0u64);
    let mut st = State::new(1 << BLOCK_BITS, months);
    for b in 0..nb {
        for k in start[b]..start[b + 1] {
            let v = cm[k];
            st.add((v & ((1 << BLOCK_BITS) - 1)) as usize, (v >> BLOCK_BITS) as usize, at_p[k]);
        }
        let (c, r) = st.drain(months, &mut size, &mut active);
        customers_n += c;
        repeat += r;
    }
    table(cal, &size, &active, customers_n, repeat)
}

/// Most months one cohort table spans (100 years).
const MAX_MONTHS: usize = 1200;

/// Check columns and find the span; `None` when no row is in range.
fn prepare(customers: &[u32], at: &[i64], opts: &CohortOptions) -> Result<Option<(usize, Calendar)>> {
    if customers.len() != at.len() {
        return Err(Error::invalid("at", at.len().to_string(), "must have as many rows as customer_id"));
    }
    let cut = opts.as_of.unwrap_or(i64::MAX);
    let (mut lo, mut hi, mut n) = (i64::MAX, i64::MIN, 0u32);
    for (&c, &t) in customers.iter().zip(at) {
        if t > cut {
            continue;
        }
        lo = lo.min(t);
        hi = hi.max(t);
        n = n.max(c.saturating_add(1));
    }
    if (n as usize) > customers.len() {
        return Err(Error::invalid(
            "customer_id",
            (n - 1).to_string(),
            "customer codes must be dense (0 .. number of rows)",
        ));
    }
    if lo > hi {
        return Ok(None);
    }
    if let Some(a) = opts.as_of {
        hi = hi.max(a);
    }
    let cal = Calendar::months(opts.time_zone, lo, hi)?;
    // per-customer month bits and the months × months table grow with the span: one stray
    // timestamp (a 1900 default date) must be an error, not gigabytes
    if cal.len() > MAX_MONTHS {
        return Err(Error::limit("months spanned by the orders (check for stray dates)", MAX_MONTHS, cal.len()));
    }
    Ok(Some((n as usize, cal)))
}

/// Cohort retention by first-order month and the repurchase rate, from order rows.
///
/// `customers[i]` is a dense customer code (0 .. number of rows) and `at[i]` the order time
/// (µs since the epoch, UTC). A customer belongs to the cohort of the month (in
/// `opts.time_zone`) of their first order; `active[k]` counts the cohort's customers with at
/// least one order in the k-th month after it. Rows with the same customer and instant are one
/// order; a repeat customer has orders at two or more distinct instants.
///
/// # Errors
/// Columns of different lengths, codes that are not dense, times outside 1900–2200.
///
/// ```
/// use yutang::metrics::{cohort_retention, CohortOptions};
/// use yutang::parse_time;
/// let tz = chrono_tz::Asia::Shanghai;
/// let t = |s| parse_time(s, tz).unwrap().micros();
/// // customer 0 orders in Jan and Mar, customer 1 in Jan, customer 2 in Feb
/// let c = cohort_retention(&[0, 0, 1, 2], &[t("2024-01-05"), t("2024-03-01"), t("2024-01-31 23:59"), t("2024-02-01")],
///                          &CohortOptions::new())?;
/// assert_eq!(c.cohorts[0].month, "2024-01");
/// assert_eq!(c.cohorts[0].active, [2, 0, 1]);
/// assert_eq!(c.cohorts[1].active, [1, 0]);
/// assert_eq!(c.repurchase_rate(), 1.0 / 3.0);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn cohort_retention(customers: &[u32], at: &[i64], opts: &CohortOptions) -> Result<Cohorts> {
    let Some((n, cal)) = prepare(customers, at, opts)? else {
        return Ok(Cohorts::default());
    };
    let cut = opts.as_of.unwrap_or(i64::MAX);
    if n > 1 << 16 {
        return Ok(partitioned(customers, at, cut, n, &cal));
    }
    let mut st = State::new(n, cal.len());
    for (&c, &t) in customers.iter().zip(at) {
        if t <= cut {
            st.add(c as usize, cal.index(t) as usize, t);
        }
    }
    Ok(st.finish(&cal))
}

/// How well a category suits private-domain operations, from its repurchase rate and AOV
/// against the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Repurchase and AOV both at or above the thresholds: the core of a private-domain pool.
    Core,
    /// Frequent but cheap: repurchase at or above, AOV below (coupons, bundles).
    Frequency,
    /// Valuable but rare: AOV at or above, repurchase below (consultative selling, referrals).
    Considered,
    /// Both below.
    Weak,
}

impl Fit {
    /// The id (`core`, `frequency`, `considered`, `weak`).
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Core => "core",
            Fit::Frequency => "frequency",
            Fit::Considered => "considered",
            Fit::Weak => "weak",
        }
    }
}

/// Retention, repurchase, AOV and fit of one product category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CategoryMetrics {
    /// Category name.
    pub category: String,
    /// Cohorts by the month of the customer's first order in this category; activity is an
    /// order containing the category.
    pub cohorts: Cohorts,
    /// Orders containing the category (distinct (customer, instant)).
    pub orders: u64,
    /// Sum of the category's line amounts.
    pub revenue: f64,
    /// `revenue / orders`: category spend per order that contains it.
    pub aov: f64,
    /// Share of the category's buyers who bought it again (at another instant).
    pub repurchase_rate: f64,
    /// `repurchase_rate × aov`: expected repeat spend on the category per buyer.
    pub fit_score: f64,
    /// Quadrant against the thresholds.
    pub fit: Fit,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Per-category cohort retention, repurchase rate, average order value and private-domain fit,
/// from order lines (one row per order line: customer code, order time, category code
/// ([`NO_CODE`] = none), line amount in major units). Categories are listed in the order of
/// `names` (the code is the index); categories without rows are left out.
///
/// Fit compares each category's repurchase rate and AOV with the thresholds (default: the
/// medians over the listed categories): see [`Fit`].
///
/// # Errors
/// Columns of different lengths, codes out of range, non-finite amounts.
pub fn category_metrics(
    customers: &[u32],
    at: &[i64],
    categories: &[u32],
    names: &[String],
    amount: Option<&[f64]>,
    opts: &CohortOptions,
) -> Result<Vec<CategoryMetrics>> {
    if categories.len() != customers.len() {
        return Err(Error::invalid("category", categories.len().to_string(), "must have as many rows as customer_id"));
    }
    if let Some(a) = amount {
        if a.len() != customers.len() {
            return Err(Error::invalid("amount", a.len().to_string(), "must have as many rows as customer_id"));
        }
        if let Some(i) = a.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!("amount[{i}]"), a[i].to_string(), "must be finite"));
        }
    }
    let Some((n, cal)) = prepare(customers, at, opts)? else {
        return Ok(vec![]);
    };
    let cut = opts.as_of.unwrap_or(i64::MAX);
    // rows grouped by category (counting sort)
    let k = names.len();
    let mut start = vec![0usize; k + 1];
    for (i, &c) in categories.iter().enumerate() {
        if c == NO_CODE || at[i] > cut {
            continue;
        }
        if c as usize >= k {
            return Err(Error::invalid(format!("category[{i}]"), c.to_string(), "code out of range of the names"));
        }
        start[c as usize + 1] += 1;
    }
    for j in 0..k {
        start[j + 1] += start[j];
    }
    let mut fill = start.clone();
    let mut rows = vec![0u32; start[k]];
    for (i, &c) in categories.iter().enumerate() {
        if c != NO_CODE && at[i] <= cut {
            rows[fill[c as usize]] = i as u32;
            fill[c as usize] += 1;
        }
    }
    let mut st = State::new(n, cal.len());
    let mut out = Vec::new();
    for j in 0..k {
        let mut r = rows[start[j]..start[j + 1]].to_vec();
        if r.is_empty() {
            continue;
        }
        let mut revenue = 0.0;
        for &i in &r {
            let i = i as usize;
            st.add(customers[i] as usize, cal.index(at[i]) as usize, at[i]);
            revenue += amount.map_or(0.0, |a| a[i]);
        }
        let cohorts = st.finish(&cal);
        r.sort_unstable_by_key(|&i| (customers[i as usize], at[i as usize]));
        r.dedup_by_key(|i| (customers[*i as usize], at[*i as usize]));
        let orders = r.len() as u64;
        let aov = revenue / orders as f64;
        let rate = cohorts.repurchase_rate();
        out.push(CategoryMetrics {
            category: names[j].clone(),
            cohorts,
            orders,
            revenue,
            aov,
            repurchase_rate: rate,
            fit_score: rate * aov,
            fit: Fit::Weak,
        });
    }
    let (tr, ta) = opts.fit_thresholds.unwrap_or_else(|| {
        (median(out.iter().map(|m| m.repurchase_rate).collect()), median(out.iter().map(|m| m.aov).collect()))
    });
    for m in &mut out {
        m.fit = match (m.repurchase_rate >= tr, m.aov >= ta) {
            (true, true) => Fit::Core,
            (true, false) => Fit::Frequency,
            (false, true) => Fit::Considered,
            (false, false) => Fit::Weak,
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_time;

    fn t(s: &str) -> i64 {
        parse_time(s, chrono_tz::Asia::Shanghai).unwrap().micros()
    }

    #[test]
    fn hand_computed_table() {
        // Jan cohort: c0 (Jan, Feb, Apr), c1 (Jan), c2 (Jan 31 23:30 Shanghai = Jan 31 15:30 UTC: still Jan)
        // Feb cohort: c3 (Feb, Mar). Months Jan..Apr.
        let cust = [0, 0, 0, 1, 2, 3, 3, 0];
        let at = [
            t("2024-01-02"),
            t("2024-02-10"),
            t("2024-04-30 23:59"),
            t("2024-01-20"),
            t("2024-01-31 23:30"),
            t("2024-02-01 00:00"),
            t("2024-03-15"),
            t("2024-01-02"), // same instant as row 0: the same order
        ];
        let c = cohort_retention(&cust, &at, &CohortOptions::new()).unwrap();
        let months: Vec<&str> = c.cohorts.iter().map(|x| x.month.as_str()).collect();
        assert_eq!(months, ["2024-01", "2024-02", "2024-03", "2024-04"]);
        // Jan: 3 customers; Feb: c0; Mar: none; Apr: c0
        assert_eq!(c.cohorts[0].active, [3, 1, 0, 1]);
        assert_eq!(c.cohorts[1].active, [1, 1, 0]);
        assert_eq!(c.cohorts[2].active, [0, 0]);
        assert_eq!(c.cohorts[3].active, [0]);
        // repeat: c0 and c3 (c0's duplicated row is not a second order) -> 2 / 4
        assert_eq!((c.customers, c.repeat_customers), (4, 2));
        assert_eq!(c.cohorts[0].retention()[1], 1.0 / 3.0);
    }

    #[test]
    fn as_of_cuts_and_extends() {
        let c = cohort_retention(
            &[0, 0],
            &[t("2024-01-02"), t("2024-05-01")],
            &CohortOptions::new().as_of(t("2024-03-10")),
        )
        .unwrap();
        assert_eq!(c.cohorts.len(), 3);
        assert_eq!(c.cohorts[0].active, [1, 0, 0]);
        assert_eq!(c.repeat_customers, 0);
    }

    #[test]
    fn category_fit_hand_computed() {
        // coffee: c0 buys twice (10 + 12), c1 once (8): 3 orders, revenue 30, AOV 10, repurchase 1/2
        // grinder: c0 once (300): AOV 300, repurchase 0
        // tea: c1 twice (20, 20), c2 once (20): AOV 20, repurchase 1/2
        let names: Vec<String> = ["coffee", "grinder", "tea"].iter().map(|s| s.to_string()).collect();
        let cust = [0, 0, 0, 1, 1, 1, 2];
        let at = [
            t("2024-01-01"),
            t("2024-01-01"),
            t("2024-02-01"),
            t("2024-01-05"),
            t("2024-01-05"),
            t("2024-03-05"),
            t("2024-03-01"),
        ];
        let cat = [0, 1, 0, 0, 2, 2, 2];
        let amount = [10.0, 300.0, 12.0, 8.0, 20.0, 20.0, 20.0];
        let m = category_metrics(&cust, &at, &cat, &names, Some(&amount), &CohortOptions::new()).unwrap();
        assert_eq!(m[0].orders, 3);
        assert_eq!(m[0].aov, 10.0);
        assert_eq!(m[0].repurchase_rate, 0.5);
        assert_eq!(m[1].aov, 300.0);
        assert_eq!(m[2].aov, 20.0);
        // medians: repurchase 0.5, AOV 20 -> coffee frequency, grinder considered, tea core
        assert_eq!([m[0].fit, m[1].fit, m[2].fit], [Fit::Frequency, Fit::Considered, Fit::Core]);
        assert_eq!(m[2].fit_score, 10.0);
        // months run Jan..Mar for every category (the span of all rows)
        assert_eq!(m[0].cohorts.cohorts[0].active, [2, 1, 0]);
    }

    #[test]
    fn partitioned_equals_direct() {
        // 200,000 customers (> 2^16: the partitioned kernel) against the direct kernel
        let n = 200_000u32;
        let mut cust = vec![];
        let mut at = vec![];
        let mut z = 1u64;
        for _ in 0..600_000 {
            z = crate::synth::mix(z);
            cust.push((z % n as u64) as u32);
            at.push(t("2023-01-01") + ((z >> 20) % (700 * 86_400)) as i64 * 1_000_000);
        }
        let opts = CohortOptions::new();
        let (_, cal) = prepare(&cust, &at, &opts).unwrap().unwrap();
        let fast = partitioned(&cust, &at, i64::MAX, n as usize, &cal);
        let mut st = State::new(n as usize, cal.len());
        for (&c, &a) in cust.iter().zip(&at) {
            st.add(c as usize, cal.index(a) as usize, a);
        }
        assert_eq!(fast, st.finish(&cal));
        assert_eq!(cohort_retention(&cust, &at, &opts).unwrap(), fast);
    }

    #[test]
    fn rejects_sparse_codes_and_lengths() {
        assert!(cohort_retention(&[5], &[0], &CohortOptions::new()).is_err());
        assert!(cohort_retention(&[0, 1], &[0], &CohortOptions::new()).is_err());
        assert_eq!(cohort_retention(&[], &[], &CohortOptions::new()).unwrap().customers, 0);
        // 1910 .. 2024: more than 1,200 months
        let e = cohort_retention(&[0, 1], &[t("1910-01-01"), t("2024-01-01")], &CohortOptions::new()).unwrap_err();
        assert!(matches!(e, Error::LimitExceeded { limit: 1200, .. }), "{e}");
    }
}
