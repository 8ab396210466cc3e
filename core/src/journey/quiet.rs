//! Quiet hours in the customer's time zone.

use super::def::LocalTime;
use crate::model::{local_to_utc, Timestamp};
use chrono::{Duration, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A daily quiet window `[start, end)` in local wall-clock time; `start > end` wraps midnight
/// (the default 21:00–09:00). `start == end`: no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start of the quiet window.
    pub start: LocalTime,
    /// End of the quiet window (the first allowed minute).
    pub end: LocalTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours { start: LocalTime(21 * 60), end: LocalTime(9 * 60) }
    }
}

impl QuietHours {
    /// Whether a local minute-of-day is quiet.
    pub fn is_quiet_minute(&self, m: u32) -> bool {
        let (s, e) = (self.start.minutes(), self.end.minutes());
        if s == e {
            false
        } else if s < e {
            (s..e).contains(&m)
        } else {
            m >= s || m < e
        }
    }

    /// The first instant at or after `t` (µs) outside the quiet window, in zone `tz`.
    pub fn next_allowed(&self, t: i64, tz: Tz) -> i64 {
        let Ok(ts) = Timestamp::from_micros(t) else { return t };
        let local = ts.to_datetime().with_timezone(&tz);
        let m = local.hour() * 60 + local.minute();
        if !self.is_quiet_minute(m) {
            return t;
        }
        let mut date = local.date_naive();
        if self.start > self.end && m >= self.start.minutes() {
            date += Duration::days(1);
        }
        let e = self.end.minutes();
        let ndt = date.and_hms_opt(e / 60, e % 60, 0).unwrap_or_default();
        match local_to_utc(ndt, tz) {
            Ok(x) if x.micros() > t => x.micros(),
            _ => t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_time;
    use chrono_tz::Asia::Shanghai;

    fn at(s: &str) -> i64 {
        parse_time(s, Shanghai).unwrap().micros()
    }

    #[test]
    fn default_window_wraps_midnight() {
        let q = QuietHours::default();
        // 20:59 is allowed, 21:00 is quiet and moves to 09:00 the next day
        assert_eq!(q.next_allowed(at("2024-03-01 20:59"), Shanghai), at("2024-03-01 20:59"));
        assert_eq!(q.next_allowed(at("2024-03-01 21:00"), Shanghai), at("2024-03-02 09:00"));
        // 03:00 is quiet and moves to 09:00 the same day; 09:00 itself is allowed
        assert_eq!(q.next_allowed(at("2024-03-02 03:00"), Shanghai), at("2024-03-02 09:00"));
        assert_eq!(q.next_allowed(at("2024-03-02 09:00"), Shanghai), at("2024-03-02 09:00"));
    }

    #[test]
    fn other_zone_and_plain_window() {
        let q = QuietHours { start: LocalTime(12 * 60), end: LocalTime(14 * 60) };
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 2024-03-01 12:30 Berlin (CET, +1) = 11:30Z; allowed from 14:00 Berlin = 13:00Z
        let t = parse_time("2024-03-01T11:30:00Z", Shanghai).unwrap().micros();
        assert_eq!(q.next_allowed(t, berlin), parse_time("2024-03-01T13:00:00Z", Shanghai).unwrap().micros());
        let none = QuietHours { start: LocalTime(0), end: LocalTime(0) };
        assert_eq!(none.next_allowed(t, berlin), t);
    }
}
