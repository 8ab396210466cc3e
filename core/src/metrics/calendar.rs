//! Calendar buckets (months, days, ISO weeks) of a business time zone, looked up in O(1).
//!
//! Converting each of 10 million timestamps to a local date through the zone database is the
//! slow part of a cohort table. Instead the bucket starts (local midnights, as UTC instants)
//! are computed once for the span of the data, and a table per UTC day holds the bucket in force
//! at that day's start; a timestamp's bucket is that entry, moved forward past at most the one
//! or two bucket starts that fall inside the same UTC day.

use crate::error::{Error, Result};
use crate::model::Timestamp;
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

const DAY: i64 = 86_400_000_000;
/// Most buckets one calendar spans (about 270 years of days).
const MAX_BUCKETS: usize = 100_000;

/// The bucket unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Calendar days.
    Day,
    /// ISO weeks (Monday to Sunday).
    Week,
    /// Calendar months.
    Month,
}

/// Buckets of one unit covering a span of instants in a time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    unit: Unit,
    /// First local date of each bucket.
    dates: Vec<NaiveDate>,
    /// Start of each bucket (UTC µs), ascending, plus one past the last.
    starts: Vec<i64>,
    /// UTC day number of `table[0]`.
    base_day: i64,
    /// Bucket in force at the start of each UTC day.
    table: Vec<u32>,
}

fn first_of(unit: Unit, d: NaiveDate) -> NaiveDate {
    match unit {
        Unit::Day => d,
        Unit::Week => d - Duration::days(d.weekday().num_days_from_monday() as i64),
        Unit::Month => d.with_day(1).unwrap_or(d),
    }
}

fn next_of(unit: Unit, d: NaiveDate) -> Option<NaiveDate> {
    match unit {
        Unit::Day => d.succ_opt(),
        Unit::Week => d.checked_add_signed(Duration::days(7)),
        Unit::Month => {
            let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
            NaiveDate::from_ymd_opt(y, m, 1)
        }
    }
}

impl Calendar {
    /// Months covering `[min_at, max_at]` (µs since the epoch) in `tz`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for instants outside 1900–2200 or `min_at > max_at`;
    /// [`Error::LimitExceeded`] past 100,000 buckets.
    pub fn months(tz: Tz, min_at: i64, max_at: i64) -> Result<Calendar> {
        Calendar::new(Unit::Month, tz, min_at, max_at)
    }

    /// Buckets of `unit` covering `[min_at, max_at]` in `tz`.
    ///
    /// # Errors
    /// As [`Calendar::months`].
    pub fn new(unit: Unit, tz: Tz, min_at: i64, max_at: i64) -> Result<Calendar> {
        if min_at > max_at {
            return Err(Error::invalid("at", format!("{min_at}..{max_at}"), "empty span"));
        }
        let lo = Timestamp::from_micros(min_at)?.date_in(tz);
        let hi = Timestamp::from_micros(max_at)?.date_in(tz);
        let mut dates = vec![first_of(unit, lo)];
        while let Some(n) = next_of(unit, *dates.last().unwrap_or(&lo)) {
            if dates.len() > MAX_BUCKETS {
                return Err(Error::limit("calendar buckets", MAX_BUCKETS, dates.len()));
            }
            dates.push(n);
            if n > hi {
                break;
            }
        }
        // a bucket may start before 1900-01-01 UTC (midnight of 1900-01-01 east of UTC): its
        // bound is only compared with instants, never stored as one
        let starts: Vec<i64> = dates
            .iter()
            .map(|&d| {
                crate::model::local_to_utc_unchecked(d.and_hms_opt(0, 0, 0).unwrap_or_default(), tz).timestamp_micros()
            })
            .collect();
        dates.pop();
        let base_day = min_at.div_euclid(DAY);
        let last_day = max_at.div_euclid(DAY);
        let mut table = Vec::with_capacity((last_day - base_day + 1) as usize);
        let mut idx = 0usize;
        for day in base_day..=last_day {
            let t = (day * DAY).max(min_at);
            while idx + 1 < starts.len() - 1 && starts[idx + 1] <= t {
                idx += 1;
            }
            table.push(idx as u32);
        }
        Ok(Calendar { unit, dates, starts, base_day, table })
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are no buckets (never: a calendar spans at least one).
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// The bucket of an instant inside the span the calendar was built for (clamped outside).
    #[inline]
    pub fn index(&self, at: i64) -> u32 {
        let d = (at.div_euclid(DAY) - self.base_day).clamp(0, self.table.len() as i64 - 1);
        let mut idx = self.table[d as usize] as usize;
        let last = self.dates.len() - 1;
        while idx < last && at >= self.starts[idx + 1] {
            idx += 1;
        }
        idx as u32
    }

    /// First local date of bucket `i`.
    pub fn date(&self, i: usize) -> NaiveDate {
        self.dates[i]
    }

    /// Start of bucket `i` as µs since the epoch.
    pub fn start(&self, i: usize) -> i64 {
        self.starts[i]
    }

    /// A label: `2024-05` for months, `2024-05-01` for days and weeks (the Monday).
    pub fn label(&self, i: usize) -> String {
        match self.unit {
            Unit::Month => month_label(self.dates[i]),
            _ => self.dates[i].format("%Y-%m-%d").to_string(),
        }
    }
}

/// `YYYY-MM` of a date.
pub fn month_label(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_time;

    #[test]
    fn buckets_match_the_zone_database() {
        // New York has DST; check every 37 minutes over two years against chrono-tz
        let tz: Tz = "America/New_York".parse().unwrap();
        let lo = parse_time("2023-01-01 00:00", tz).unwrap().micros();
        let hi = parse_time("2024-12-31 23:59", tz).unwrap().micros();
        for unit in [Unit::Day, Unit::Week, Unit::Month] {
            let c = Calendar::new(unit, tz, lo, hi).unwrap();
            let mut at = lo;
            while at <= hi {
                let want = first_of(unit, Timestamp::from_micros(at).unwrap().date_in(tz));
                assert_eq!(c.date(c.index(at) as usize), want, "{unit:?} at {at}");
                at += 37 * 60 * 1_000_000;
            }
        }
        let c = Calendar::months(tz, lo, hi).unwrap();
        assert_eq!(c.len(), 24);
        assert_eq!(c.label(4), "2023-05");
    }

    #[test]
    fn exact_at_the_boundary() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let may = parse_time("2024-05-01 00:00", tz).unwrap().micros();
        let c = Calendar::months(tz, may - 1, may + 1).unwrap();
        assert_eq!((c.index(may - 1), c.index(may)), (0, 1));
        assert_eq!(c.label(1), "2024-05");
    }
}
