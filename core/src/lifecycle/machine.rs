//! The stage machine over one customer's order times: one walk that yields the history, the
//! stage at an instant and the transitions, so they always agree.

use super::config::{LifecycleConfig, PAlive};
use super::stage::Stage;
use crate::model::Timestamp;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const DAY: i64 = 86_400_000_000;
/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_CE: i32 = 719_163;
/// Local offsets differ by at most 26 hours (UTC−12 … UTC+14).
const MAX_OFFSET_SWING: i64 = 26 * 3_600_000_000;

/// Calendar days in a time zone: day numbers (days since 1970-01-01 in the zone) and the
/// instants at which days start.
#[derive(Debug, Clone, Copy)]
pub struct DayClock {
    tz: Tz,
    utc: bool,
}

impl DayClock {
    /// Days of `tz`.
    pub fn new(tz: Tz) -> Self {
        DayClock { tz, utc: tz == Tz::UTC }
    }

    /// The day number of an instant (µs since the epoch).
    #[inline]
    pub fn day(&self, micros: i64) -> i64 {
        if self.utc {
            return micros.div_euclid(DAY);
        }
        match Timestamp::from_micros(micros) {
            Ok(t) => (t.date_in(self.tz).num_days_from_ce() - EPOCH_CE) as i64,
            Err(_) => micros.div_euclid(DAY),
        }
    }

    /// The instant (µs) at which day `day` starts; `i64::MAX` past the supported range.
    #[inline]
    pub fn start(&self, day: i64) -> i64 {
        if self.utc {
            return day.saturating_mul(DAY);
        }
        let Ok(d) = i32::try_from(day + EPOCH_CE as i64) else { return i64::MAX };
        match NaiveDate::from_num_days_from_ce_opt(d).map(|d| Timestamp::start_of_day(d, self.tz)) {
            Some(Ok(t)) => t.micros(),
            _ => i64::MAX,
        }
    }
}

/// A running median of integer gaps (two heaps).
#[derive(Debug, Default)]
struct RunningMedian {
    low: BinaryHeap<i64>,
    high: BinaryHeap<Reverse<i64>>,
}

impl RunningMedian {
    fn clear(&mut self) {
        self.low.clear();
        self.high.clear();
    }

    fn push(&mut self, v: i64) {
        if self.low.peek().is_none_or(|&m| v <= m) {
            self.low.push(v);
        } else {
            self.high.push(Reverse(v));
        }
        if self.low.len() > self.high.len() + 1 {
            if let Some(x) = self.low.pop() {
                self.high.push(Reverse(x));
            }
        } else if self.high.len() > self.low.len() {
            if let Some(Reverse(x)) = self.high.pop() {
                self.low.push(x);
            }
        }
    }

    fn median(&self) -> f64 {
        match (self.low.peek(), self.high.peek()) {
            (Some(&a), Some(&Reverse(b))) if self.low.len() == self.high.len() => (a as f64 + b as f64) / 2.0,
            (Some(&a), _) => a as f64,
            _ => 0.0,
        }
    }
}

/// Days after the first order day at which P(alive) first drops below `theta`, for a
/// customer with `x` repeat order days and the last at `tx` days (closed form of the BG/NBD
/// probability alive, which falls monotonically with T).
fn p_alive_first_day(p: &PAlive, x: f64, tx: f64, theta: f64) -> i64 {
    let [r, alpha, a, b] = p.params;
    // p(T) = 1 / (1 + a/(b+x-1) · ((α+T)/(α+tx))^(r+x)) < θ
    //   ⇔ (α+T) > (α+tx) · ((1/θ − 1)(b+x−1)/a)^(1/(r+x)) =: α + T*
    let t_star = (alpha + tx) * ((1.0 / theta - 1.0) * (b + x - 1.0) / a).powf(1.0 / (r + x)) - alpha;
    let first = if t_star.is_finite() { t_star.floor() + 1.0 } else { f64::INFINITY };
    let first = first.max(tx + 1.0);
    if first >= super::config::MAX_THRESHOLD_DAYS as f64 * 10.0 {
        i64::MAX / 4
    } else {
        first as i64
    }
}

/// When a transition happened: at an order's instant, or at the start of a business day
/// (decays). Resolve with [`Machine::resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// An instant (µs since the epoch).
    Instant(i64),
    /// The start of this business day (day number, see [`DayClock::day`]).
    DayStart(i64),
}

/// Walks the machine; reusable scratch for many customers.
#[derive(Debug)]
pub struct Machine<'a> {
    cfg: &'a LifecycleConfig,
    clock: DayClock,
    gaps: RunningMedian,
    until_day: (i64, i64),
}

impl<'a> Machine<'a> {
    /// A machine for a (validated) configuration and the business zone.
    pub fn new(cfg: &'a LifecycleConfig, tz: Tz) -> Self {
        Machine { cfg, clock: DayClock::new(tz), gaps: RunningMedian::default(), until_day: (i64::MIN, 0) }
    }

    /// The day clock.
    pub fn clock(&self) -> &DayClock {
        &self.clock
    }

    /// The instant (µs) of a transition time.
    pub fn resolve(&self, at: At) -> i64 {
        match at {
            At::Instant(t) => t,
            At::DayStart(d) => self.clock.start(d),
        }
    }

    fn day_of_until(&mut self, until: i64) -> i64 {
        if self.until_day.0 != until {
            self.until_day = (until, self.clock.day(until));
        }
        self.until_day.1
    }

    /// Emit `(from, to, at)` for every transition at or before `until`, in time order, for a
    /// customer first seen at `first_seen` (µs) with these order times (µs, ascending). Returns
    /// the last transition emitted (the stage at `until` and since when), if any.
    pub fn walk(
        &mut self,
        first_seen: i64,
        orders: &[i64],
        until: i64,
        mut emit: impl FnMut(Option<Stage>, Stage, At),
    ) -> Option<(Stage, At)> {
        if first_seen > until {
            return None;
        }
        let cfg = self.cfg;
        let exact_days = cfg.rhythm.is_some() || cfg.p_alive.is_some();
        let mut cur: Option<Stage> = None;
        let mut since = At::Instant(first_seen);
        let mut step = |cur: &mut Option<Stage>, since: &mut At, to: Stage, at: At| {
            if *cur != Some(to) {
                emit(*cur, to, at);
                *cur = Some(to);
                *since = at;
            }
        };
        if orders.first().is_none_or(|&o| o > first_seen) {
            step(&mut cur, &mut since, Stage::Prospect, At::Instant(first_seen));
        }
        self.gaps.clear();
        let (mut order_days, mut last_day, mut first_day) = (0u32, i64::MIN, 0i64);
        // the day of the order at index .0 (computed for the previous gap), if known
        let mut known: (usize, i64) = (usize::MAX, 0);
        for (k, &t) in orders.iter().enumerate() {
            if t > until {
                break;
            }
            let to = if k == 0 {
                Stage::New
            } else if cur == Some(Stage::Churned) {
                Stage::WonBack
            } else {
                Stage::Repeat
            };
            step(&mut cur, &mut since, to, At::Instant(t));
            let mut d = None;
            if exact_days {
                let dd = self.day_cached(&mut known, k, t);
                if dd != last_day {
                    if order_days == 0 {
                        first_day = dd;
                    } else {
                        self.gaps.push(dd - last_day);
                    }
                    order_days += 1;
                    last_day = dd;
                }
                d = Some(dd);
            }
            // decays happen before the next order (an order at the same instant wins) and at
            // or before `until`
            let next = orders.get(k + 1).copied().filter(|&n| n <= until);
            let limit = next.unwrap_or_else(|| until.saturating_add(1));
            let (ar, ch) = self.thresholds(order_days, last_day, first_day);
            // no decay can fall before `limit` when the at-risk day starts more than the gap
            // later: start(day(t) + ar) > t + (ar − 1) days − 26 h
            if limit.saturating_sub(t) <= (ar - 1).saturating_mul(DAY).saturating_sub(MAX_OFFSET_SWING) {
                continue;
            }
            let d = match d {
                Some(d) => d,
                None => self.day_cached(&mut known, k, t),
            };
            let ta = d.saturating_add(ar);
            if self.starts_before(ta, k, next, until, &mut known) {
                step(&mut cur, &mut since, Stage::AtRisk, At::DayStart(ta));
                let tc = d.saturating_add(ch);
                if self.starts_before(tc, k, next, until, &mut known) {
                    step(&mut cur, &mut since, Stage::Churned, At::DayStart(tc));
                }
            }
        }
        cur.map(|s| (s, since))
    }

    fn day_cached(&self, known: &mut (usize, i64), i: usize, t: i64) -> i64 {
        if known.0 != i {
            *known = (i, self.clock.day(t));
        }
        known.1
    }

    /// Does day `x` start before the next order (index `k + 1`, at `next`), or at or before
    /// `until` when there is none?
    fn starts_before(&mut self, x: i64, k: usize, next: Option<i64>, until: i64, known: &mut (usize, i64)) -> bool {
        match next {
            Some(n) => {
                let dn = self.day_cached(known, k + 1, n);
                x < dn || (x == dn && self.clock.start(x) < n)
            }
            None => x <= self.day_of_until(until),
        }
    }

    /// (at-risk days, churn days) after the latest order, given the distinct order days so far.
    fn thresholds(&self, order_days: u32, last_day: i64, first_day: i64) -> (i64, i64) {
        let cfg = self.cfg;
        let (mut ar, mut ch) = (cfg.at_risk_days as i64, cfg.churned_days as i64);
        if let Some(p) = &cfg.p_alive {
            if order_days >= 2 {
                let x = (order_days - 1) as f64;
                let tx = (last_day - first_day) as f64;
                let a = p_alive_first_day(p, x, tx, p.at_risk_below);
                let c = p_alive_first_day(p, x, tx, p.churned_below);
                // days after the last order day
                let base = last_day - first_day;
                ar = (a - base).max(1);
                ch = (c - base).max(ar + 1);
                return (ar, ch);
            }
        }
        if let Some(r) = &cfg.rhythm {
            if order_days >= r.min_orders {
                let m = self.gaps.median();
                ar = ((r.at_risk_multiple * m).ceil() as i64).max(1);
                ch = ((r.churned_multiple * m).ceil() as i64).max(ar + 1);
            }
        }
        (ar, ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltv::{BgNbd, TransactionModel};
    use chrono_tz::Asia::Shanghai;

    fn t(s: &str) -> i64 {
        crate::parse_time(s, Shanghai).unwrap().micros()
    }

    fn history(
        cfg: &LifecycleConfig,
        first: &str,
        orders: &[&str],
        until: &str,
    ) -> Vec<(Option<Stage>, Stage, String)> {
        let mut m = Machine::new(cfg, Shanghai);
        let o: Vec<i64> = orders.iter().map(|s| t(s)).collect();
        let mut raw = Vec::new();
        m.walk(t(first), &o, t(until), |f, to, at| raw.push((f, to, at)));
        raw.into_iter()
            .map(|(f, to, at)| (f, to, Timestamp::from_micros(m.resolve(at)).unwrap().to_rfc3339()))
            .collect()
    }

    #[test]
    fn default_machine_hand_computed() {
        use Stage::*;
        let cfg = LifecycleConfig::default();
        // registered 01-01, ordered 01-10 15:00 (Shanghai). 90 days after 2024-01-10 is
        // 2024-04-09 (21 + 29 + 31 + 9 = 90): at risk from 2024-04-09 00:00 +08:00 =
        // 2024-04-08T16:00Z; 180 days: 2024-07-08 (90 + 21 + 31 + 30 + 8): churned from
        // 2024-07-07T16:00Z. Buys again 2024-08-01 10:00 -> won back; again 08-05 -> repeat.
        let h = history(
            &cfg,
            "2024-01-01 09:00",
            &["2024-01-10 15:00", "2024-08-01 10:00", "2024-08-05 10:00"],
            "2025-06-01",
        );
        assert_eq!(
            h,
            vec![
                (None, Prospect, "2024-01-01T01:00:00Z".into()),
                (Some(Prospect), New, "2024-01-10T07:00:00Z".into()),
                (Some(New), AtRisk, "2024-04-08T16:00:00Z".into()),
                (Some(AtRisk), Churned, "2024-07-07T16:00:00Z".into()),
                (Some(Churned), WonBack, "2024-08-01T02:00:00Z".into()),
                (Some(WonBack), Repeat, "2024-08-05T02:00:00Z".into()),
                // 2024-08-05 + 90 days = 2024-11-03 (26 + 30 + 31 + 3)
                (Some(Repeat), AtRisk, "2024-11-02T16:00:00Z".into()),
                // 2024-08-05 + 180 days = 2025-02-01 (90 + 27 + 31 + 31 + 1)
                (Some(AtRisk), Churned, "2025-01-31T16:00:00Z".into()),
            ]
        );
        // an at-risk one-time buyer who buys again is repeat, not won back
        let h = history(&cfg, "2024-01-10 15:00", &["2024-01-10 15:00", "2024-05-01 10:00"], "2024-05-02");
        assert_eq!(h.iter().map(|x| x.1).collect::<Vec<_>>(), vec![New, AtRisk, Repeat]);
        // nothing before the customer is known
        assert!(history(&cfg, "2024-01-10 15:00", &[], "2024-01-01").is_empty());
        // an order at exactly the at-risk instant wins over the decay
        let h = history(&cfg, "2024-01-10 15:00", &["2024-01-10 15:00", "2024-04-09 00:00"], "2024-04-10");
        assert_eq!(h.iter().map(|x| x.1).collect::<Vec<_>>(), vec![New, Repeat]);
        let h = history(&cfg, "2024-01-10 15:00", &["2024-01-10 15:00", "2024-04-09 00:00:01"], "2024-04-10");
        assert_eq!(h.iter().map(|x| x.1).collect::<Vec<_>>(), vec![New, AtRisk, Repeat]);
    }

    #[test]
    fn rhythm_thresholds_hand_computed() {
        use Stage::*;
        let cfg = LifecycleConfig::default().rhythm(super::super::Rhythm::default());
        // order days 03-01, 03-11, 03-31: gaps 10 and 20, median 15 -> at risk after
        // 2 × 15 = 30 days (2024-04-30), churned after 4 × 15 = 60 days (2024-05-30)
        let h = history(
            &cfg,
            "2024-03-01 10:00",
            &["2024-03-01 10:00", "2024-03-11 10:00", "2024-03-31 10:00"],
            "2024-12-01",
        );
        assert_eq!(h.len(), 4); // new, repeat, at_risk, churned
        assert_eq!(
            h[2..],
            [
                (Some(Repeat), AtRisk, "2024-04-29T16:00:00Z".to_string()),
                (Some(AtRisk), Churned, "2024-05-29T16:00:00Z".to_string())
            ]
        );
        // fewer than 3 order days: the fixed 90 / 180 days (a second order the same day does
        // not count as a day)
        let h = history(&cfg, "2024-03-01", &["2024-03-01 10:00", "2024-03-01 11:00"], "2024-12-01");
        assert_eq!(h.last().unwrap().2, "2024-08-27T16:00:00Z"); // 2024-03-01 + 180 = 2024-08-28
        let _ = New;
    }

    #[test]
    fn p_alive_thresholds_match_the_model() {
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let p = PAlive::new(&m, 0.5, 0.2);
        for (x, tx) in [(1.0, 10.0), (3.0, 40.0), (10.0, 200.0)] {
            for theta in [0.5, 0.2] {
                let d = p_alive_first_day(&p, x, tx, theta) as f64;
                assert!(m.conditional_probability_alive(x, tx, d).unwrap() < theta, "{x} {tx} {d}");
                if d - 1.0 > tx {
                    assert!(m.conditional_probability_alive(x, tx, d - 1.0).unwrap() >= theta);
                }
            }
        }
    }

    #[test]
    fn day_clock_utc_and_zone() {
        let c = DayClock::new(Shanghai);
        let d = c.day(t("2024-05-01 00:00"));
        assert_eq!(c.day(t("2024-04-30 23:59:59")), d - 1);
        assert_eq!(c.start(d), t("2024-05-01 00:00"));
        let u = DayClock::new(Tz::UTC);
        assert_eq!(u.day(-1), -1);
        assert_eq!(u.start(19_844), 19_844 * DAY);
    }
}
