//! Instants (UTC inside, microsecond precision) and their parsing.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// An instant: microseconds since 1970-01-01T00:00:00Z.
///
/// Serialises as an RFC-3339 string in human-readable formats (JSON) and as an integer in
/// binary ones (snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Earliest accepted instant: 1900-01-01T00:00:00Z.
const MIN_MICROS: i64 = -2_208_988_800_000_000;
/// Latest accepted instant: 2200-01-01T00:00:00Z.
const MAX_MICROS: i64 = 7_258_118_400_000_000;

impl Timestamp {
    /// From microseconds since the epoch. Instants outside 1900–2200 are an error.
    pub fn from_micros(micros: i64) -> Result<Self> {
        if (MIN_MICROS..=MAX_MICROS).contains(&micros) {
            Ok(Timestamp(micros))
        } else {
            Err(Error::invalid("at", micros.to_string(), "outside the supported range 1900-01-01..2200-01-01"))
        }
    }

    /// From milliseconds since the epoch.
    pub fn from_millis(millis: i64) -> Result<Self> {
        Self::from_micros(millis.checked_mul(1000).unwrap_or(i64::MAX))
    }

    /// Microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch (floored).
    pub fn millis(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// As a chrono UTC datetime.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    /// From a chrono datetime in any zone.
    pub fn from_datetime<T: TimeZone>(dt: &DateTime<T>) -> Result<Self> {
        Self::from_micros(dt.timestamp_micros())
    }

    /// The calendar date of this instant in a time zone.
    pub fn date_in(self, tz: Tz) -> NaiveDate {
        self.to_datetime().with_timezone(&tz).date_naive()
    }

    /// This instant plus a number of seconds (saturating at the supported range).
    pub fn plus_seconds(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1_000_000)).clamp(MIN_MICROS, MAX_MICROS))
    }

    /// RFC-3339 in UTC with the shortest exact fraction (`2024-05-01T02:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        self.to_datetime().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    /// Midnight at the start of `date` in `tz`, as an instant.
    pub fn start_of_day(date: NaiveDate, tz: Tz) -> Result<Timestamp> {
        local_to_utc(date.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_rfc3339())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            parse_time(&s, Tz::UTC).map_err(serde::de::Error::custom)
        } else {
            let v = i64::deserialize(d)?;
            Timestamp::from_micros(v).map_err(serde::de::Error::custom)
        }
    }
}

/// Interpret a wall-clock time in `tz`. A time repeated by a DST fall-back is read as the
/// earlier instant; a time skipped by a spring-forward gap is read with the offset in force
/// before the gap (so it lands after the gap), as RFC 5545 and jiff's "compatible" mode do.
pub fn local_to_utc(ndt: NaiveDateTime, tz: Tz) -> Result<Timestamp> {
    Timestamp::from_datetime(&local_to_utc_unchecked(ndt, tz))
}

/// [`local_to_utc`] without the 1900–2200 range check: for bucket bounds of a calendar, which
/// may start just before 1900-01-01 UTC (midnight of 1900-01-01 in a zone east of UTC).
pub(crate) fn local_to_utc_unchecked(ndt: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    use chrono::LocalResult;
    match tz.from_local_datetime(&ndt) {
        LocalResult::Single(dt) => dt.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            let before = tz.offset_from_utc_datetime(&(ndt - chrono::Duration::hours(24))).fix();
            (ndt - chrono::Duration::seconds(before.local_minus_utc() as i64)).and_utc()
        }
    }
}

/// Parse an instant. Input with an offset (`2024-05-01T10:00:00+08:00`, `…Z`) is exact; input
/// without a zone (`2024-05-01 10:00:00`, `2024-05-01T10:00`, a date `2024-05-01` or `20240501`
/// meaning midnight) is read in `tz`, the pool's business time zone.
///
/// ```
/// use chrono_tz::Asia::Shanghai;
/// let a = yutang::parse_time("2024-05-01T10:00:00+08:00", Shanghai)?;
/// let b = yutang::parse_time("2024-05-01 10:00", Shanghai)?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_rfc3339(), "2024-05-01T02:00:00Z");
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn parse_time(s: &str, tz: Tz) -> Result<Timestamp> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::invalid("at", s, "empty time"));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Timestamp::from_datetime(&dt);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Timestamp::from_datetime(&dt);
        }
    }
    if let Some(rest) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        if let Some(ndt) = parse_naive(rest) {
            return Timestamp::from_datetime(&ndt.and_utc());
        }
    }
    if let Some(ndt) = parse_naive(t) {
        return local_to_utc(ndt, tz);
    }
    Err(Error::invalid("at", s, "not an ISO-8601 time (e.g. 2024-05-01T10:00:00+08:00, 2024-05-01 10:00, 2024-05-01)"))
}

fn parse_naive(t: &str) -> Option<NaiveDateTime> {
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(ndt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(ndt);
        }
    }
    for fmt in ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

/// Parse a time-zone name (IANA, e.g. `Asia/Shanghai`).
pub fn parse_tz(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| Error::invalid("time_zone", name, "not an IANA time-zone name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    #[test]
    fn offsets_and_business_zone() {
        let utc = parse_time("2024-05-01T02:00:00Z", Shanghai).unwrap();
        assert_eq!(parse_time("2024-05-01T10:00:00+08:00", Shanghai).unwrap(), utc);
        assert_eq!(parse_time("2024-05-01 10:00:00", Shanghai).unwrap(), utc);
        assert_eq!(parse_time("2024-05-01T10:00", Shanghai).unwrap(), utc);
        assert_eq!(parse_time("2024-05-01 10:00+08:00", Shanghai).unwrap(), utc);
        assert_eq!(parse_time("2024-05-01", Shanghai).unwrap().to_rfc3339(), "2024-04-30T16:00:00Z");
        assert_eq!(parse_time("20240501", Shanghai).unwrap().to_rfc3339(), "2024-04-30T16:00:00Z");
        assert_eq!(parse_time("2024-05-01T10:00:00.123456Z", Shanghai).unwrap().micros() % 1_000_000, 123_456);
        assert!(parse_time("yesterday", Shanghai).is_err());
        assert!(parse_time("2024-13-01", Shanghai).is_err());
        assert!(parse_time("", Shanghai).is_err());
        assert!(parse_time("3024-01-01T00:00:00Z", Shanghai).is_err());
    }

    #[test]
    fn dst_gap_and_overlap() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2024-03-10 02:30 does not exist in New York; read with the EST offset (-5) => 07:30Z.
        assert_eq!(parse_time("2024-03-10 02:30", ny).unwrap().to_rfc3339(), "2024-03-10T07:30:00Z");
        // 2024-11-03 01:30 happens twice; the earlier (EDT, -4) => 05:30Z.
        assert_eq!(parse_time("2024-11-03 01:30", ny).unwrap().to_rfc3339(), "2024-11-03T05:30:00Z");
    }
}
