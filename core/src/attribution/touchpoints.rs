//! Paths from per-customer touchpoint columns (what the pool's timelines hold).

use crate::{Error, Result};

use super::paths::check_len;
use super::{Paths, PathsBuilder};

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

/// How touchpoints become paths, with a builder.
///
/// # Example
/// ```
/// use yutang::attribution::PathOptions;
/// let o = PathOptions::new().lookback_days(7).as_of_micros(1_700_000_000_000_000);
/// assert_eq!(o.lookback_micros, 7 * 86_400_000_000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PathOptions {
    /// A touch counts for a conversion when it happened at most this long before it
    /// (inclusive). Default 30 days.
    pub lookback_micros: i64,
    /// Rows after this instant are ignored, and the non-converting tail of each customer is
    /// cut at `as_of − lookback`. Default: no cut; the tail is measured from its last touch.
    pub as_of_micros: Option<i64>,
    /// Append the conversion row's own channel (when not empty) as the last touch of its
    /// path, e.g. the shop where the order was placed. Default `false`.
    pub conversion_touch: bool,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions { lookback_micros: 30 * 86_400_000_000, as_of_micros: None, conversion_touch: false }
    }
}

impl PathOptions {
    /// The defaults: 30-day lookback, no `as_of`, conversion rows are not touches.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the lookback window in microseconds.
    pub fn lookback_micros(mut self, micros: i64) -> Self {
        self.lookback_micros = micros;
        self
    }
    /// Set the lookback window in whole days.
    pub fn lookback_days(mut self, days: i64) -> Self {
        self.lookback_micros = days.saturating_mul(86_400_000_000);
        self
    }
    /// Set the `as_of` instant (epoch microseconds, UTC).
    pub fn as_of_micros(mut self, micros: i64) -> Self {
        self.as_of_micros = Some(micros);
        self
    }
    /// Append the conversion row's channel as the last touch.
    pub fn conversion_touch(mut self, yes: bool) -> Self {
        self.conversion_touch = yes;
        self
    }
}

/// Paths built from touchpoints, and what could not be attributed.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchpointPaths {
    /// One path per conversion (1 conversion, its value, touch ages in days) and one null
    /// path per customer with touches left after their last conversion.
    pub paths: Paths,
    /// Conversions with no touch inside the lookback window.
    pub unattributed_conversions: f64,
    /// Their value.
    pub unattributed_value: f64,
}

/// Build paths from plain per-customer touchpoint columns.
///
/// Each row is a touch (`is_conversion = false`: `channel` must not be empty) or a
/// conversion (`true`: `value` is its value, e.g. the order amount; `channel` may be empty).
/// Per customer, rows are taken in time order (ties: touches before conversions, then row
/// order). A conversion's path is the customer's touches since their previous conversion
/// that lie within `lookback` before it (inclusive); those touches are then used up. The
/// touches left after a customer's last conversion (within `lookback` of `as_of`, or of
/// their newest touch) form a null path with `nulls = 1`. Touch ages are recorded in days
/// before the path's end, for time decay.
///
/// Which event kind is a conversion (orders, or a chosen kind) is the caller's choice of
/// `is_conversion`. Paths come out ordered by customer key, then time.
///
/// # Errors
/// [`Error::InvalidField`]: `at_micros` / `channels` / `is_conversion` / `values` when a
/// length differs from `customers`; `lookback_micros` when negative; `channels[i]` for an
/// empty channel on a touch row; `values[i]` for a negative or non-finite value on a
/// conversion row.
///
/// # Example
/// ```
/// use yutang::attribution::{paths_from_touchpoints, PathOptions};
/// const DAY: i64 = 86_400_000_000;
/// let t = paths_from_touchpoints(
///     &[7u64, 7, 7, 9],
///     &[0, 10 * DAY, 11 * DAY, 0],
///     &["douyin", "wechat", "", "sms"],
///     &[false, false, true, false],
///     &[0.0, 0.0, 88.0, 0.0],
///     &PathOptions::new(),
/// )?;
/// assert_eq!(t.paths.len(), 2); // customer 7 converts; customer 9 is a null path
/// assert_eq!(t.paths.channels(), ["douyin", "wechat", "sms"]);
/// assert_eq!(t.paths.ages(0), Some(&[11.0, 1.0][..]));
/// assert_eq!(t.paths.values(), [88.0, 0.0]);
/// assert_eq!(t.paths.nulls(), [0.0, 1.0]);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn paths_from_touchpoints<K, C>(
    customers: &[K],
    at_micros: &[i64],
    channels: &[C],
    is_conversion: &[bool],
    values: &[f64],
    options: &PathOptions,
) -> Result<TouchpointPaths>
where
    K: Ord,
    C: AsRef<str>,
{
    let n = customers.len();
    check_len("at_micros", at_micros.len(), n)?;
    check_len("channels", channels.len(), n)?;
    check_len("is_conversion", is_conversion.len(), n)?;
    check_len("values", values.len(), n)?;
    if options.lookback_micros < 0 {
        return Err(Error::invalid("lookback_micros", options.lookback_micros.to_string(), "must be >= 0"));
    }
    for i in 0..n {
        if is_conversion[i] {
            let v = values[i];
            if !v.is_finite() || v < 0.0 {
                return Err(Error::invalid(format!("values[{i}]"), v.to_string(), "must be finite and >= 0"));
            }
        } else if channels[i].as_ref().trim().is_empty() {
            return Err(Error::invalid(format!("channels[{i}]"), channels[i].as_ref(), "a touch needs a channel"));
        }
    }
    let mut idx: Vec<usize> = (0..n)
        .filter(|&i| match options.as_of_micros {
            Some(a) => at_micros[i] <= a,
            None => true,
        })
        .collect();
    idx.sort_by(|&a, &b| {
        customers[a]
            .cmp(&customers[b])
            .then(at_micros[a].cmp(&at_micros[b]))
            .then(is_conversion[a].cmp(&is_conversion[b]))
            .then(a.cmp(&b))
    });
    let lookback = options.lookback_micros;
    let mut b = PathsBuilder::new();
    let mut unattributed_conversions = 0.0;
    let mut unattributed_value = 0.0;
    let mut pending: Vec<usize> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut ages: Vec<f64> = Vec::new();
    let mut flush_null = |pending: &mut Vec<usize>, b: &mut PathsBuilder| -> Result<()> {
        if let Some(&newest) = pending.last() {
            let end = options.as_of_micros.unwrap_or(at_micros[newest]);
            names.clear();
            ages.clear();
            for &j in pending.iter() {
                if end.saturating_sub(at_micros[j]) <= lookback {
                    names.push(channels[j].as_ref());
                    ages.push(end.saturating_sub(at_micros[j]) as f64 / MICROS_PER_DAY);
                }
            }
            if !names.is_empty() {
                b.push_with_ages(&names, &ages, 0.0, 0.0, 1.0)?;
            }
        }
        pending.clear();
        Ok(())
    };
    let mut conv_names: Vec<&str> = Vec::new();
    let mut conv_ages: Vec<f64> = Vec::new();
    for (pos, &i) in idx.iter().enumerate() {
        if pos > 0 && customers[idx[pos - 1]] != customers[i] {
            flush_null(&mut pending, &mut b)?;
        }
        if !is_conversion[i] {
            pending.push(i);
            continue;
        }
        let at = at_micros[i];
        conv_names.clear();
        conv_ages.clear();
        for &j in &pending {
            if at.saturating_sub(at_micros[j]) <= lookback {
                conv_names.push(channels[j].as_ref());
                conv_ages.push(at.saturating_sub(at_micros[j]) as f64 / MICROS_PER_DAY);
            }
        }
        pending.clear();
        let own = channels[i].as_ref();
        if options.conversion_touch && !own.trim().is_empty() {
            conv_names.push(own);
            conv_ages.push(0.0);
        }
        if conv_names.is_empty() {
            unattributed_conversions += 1.0;
            unattributed_value += values[i];
        } else {
            b.push_with_ages(&conv_names, &conv_ages, 1.0, values[i], 0.0)?;
        }
    }
    flush_null(&mut pending, &mut b)?;
    Ok(TouchpointPaths { paths: b.build(), unattributed_conversions, unattributed_value })
}

#[cfg(test)]
mod tests {
    use super::*;
    const DAY: i64 = 86_400_000_000;

    #[test]
    fn lookback_drops_old_touches_and_counts_unattributed() {
        let t = paths_from_touchpoints(
            &["c1", "c1", "c1", "c1", "c2"],
            &[0, 40 * DAY, 45 * DAY, 100 * DAY, 5],
            &["a", "b", "", "x", ""],
            &[false, false, true, true, true],
            &[0.0, 0.0, 10.0, 20.0, 7.0],
            &PathOptions::new(),
        )
        .unwrap();
        // c1: conversion at day 45 sees only b (a is 45 days old); conversion at day 100 has
        // no touches left; c2 converts with no touches.
        assert_eq!(t.paths.len(), 1);
        assert_eq!(t.paths.channels(), ["b"]);
        assert_eq!(t.unattributed_conversions, 2.0);
        assert_eq!(t.unattributed_value, 27.0);
    }

    #[test]
    fn as_of_cuts_rows_and_tails() {
        let t = paths_from_touchpoints(
            &[1, 1, 1],
            &[0, 50 * DAY, 70 * DAY],
            &["a", "b", "c"],
            &[false, false, false],
            &[0.0; 3],
            &PathOptions::new().as_of_micros(60 * DAY).conversion_touch(true),
        )
        .unwrap();
        assert_eq!(t.paths.len(), 1);
        assert_eq!(t.paths.channels(), ["b"]); // a is older than 30 days, c is after as_of
        assert_eq!(t.paths.ages(0), Some(&[10.0][..]));
        assert_eq!(t.paths.nulls(), [1.0]);
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let t = paths_from_touchpoints(
            &[1, 1],
            &[i64::MIN, i64::MAX],
            &["a", ""],
            &[false, true],
            &[0.0, 1.0],
            &PathOptions::new().lookback_micros(i64::MAX),
        )
        .unwrap();
        assert_eq!(t.paths.len(), 1);
        assert!(t.paths.ages(0).unwrap()[0] > 0.0);
    }

    #[test]
    fn bad_rows_name_the_row() {
        let e =
            paths_from_touchpoints(&[1, 1], &[0, 1], &["a", " "], &[false, false], &[0.0, 0.0], &PathOptions::new())
                .unwrap_err();
        assert_eq!(e.field(), Some("channels[1]"));
        let e =
            paths_from_touchpoints(&[1, 1], &[0, 1], &["a", ""], &[false, true], &[0.0, f64::NAN], &PathOptions::new())
                .unwrap_err();
        assert_eq!(e.field(), Some("values[1]"));
    }
}
