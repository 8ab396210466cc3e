//! The pool as input to channel attribution: each customer's touchpoints before each
//! conversion, within a lookback window.

use super::Pool;
use crate::attribution::{paths_from_touchpoints, PathOptions, TouchpointPaths};
use crate::error::{Error, Result};
use crate::model::{EventKind, Timestamp};

impl Pool {
    /// Attribution paths from the pool's events up to `as_of` (inclusive).
    ///
    /// Every event of kind `conversion` (usually `order`) is a conversion worth its amount in
    /// the reporting currency (major units; 0 without an amount); every other event with a
    /// channel, except refunds, is a touch on that channel. Per customer, a conversion's path
    /// is their touches since the previous conversion within `lookback_days` before it; the
    /// touches left after the last conversion (within `lookback_days` of `as_of`) form a null
    /// path. See [`crate::attribution::paths_from_touchpoints`]; feed the result to
    /// [`crate::attribution::heuristic_models`], [`crate::attribution::markov_model`] or
    /// [`crate::attribution::shapley_model`].
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] for a conversion in another currency than the reporting one;
    /// [`Error::InvalidField`] for `lookback_days` = 0.
    ///
    /// ```
    /// use yutang::{EventInput, EventKind, Pool, parse_time};
    /// use yutang::attribution::{heuristic_models, HeuristicOptions};
    /// let mut pool = Pool::default();
    /// let events: Vec<EventInput> = serde_json::from_str(r#"[
    ///   {"id": "1", "at": "2024-05-01", "kind": "view", "channel": "douyin", "identities": [{"kind": "phone", "value": "13800138000"}]},
    ///   {"id": "2", "at": "2024-05-03", "kind": "view", "channel": "mini_program", "identities": [{"kind": "phone", "value": "13800138000"}]},
    ///   {"id": "3", "at": "2024-05-04", "kind": "order", "amount": "88", "identities": [{"kind": "phone", "value": "13800138000"}]}
    /// ]"#).unwrap();
    /// pool.ingest_inputs(&events);
    /// let t = pool.attribution_paths(parse_time("2024-06-01", pool.time_zone())?, 30, &EventKind::Order)?;
    /// let h = heuristic_models(&t.paths, &HeuristicOptions::default())?;
    /// assert_eq!(h.channels, ["douyin", "mini_program"]);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn attribution_paths(
        &self,
        as_of: Timestamp,
        lookback_days: u32,
        conversion: &EventKind,
    ) -> Result<TouchpointPaths> {
        if lookback_days == 0 {
            return Err(Error::invalid("lookback_days", "0", "must be at least 1"));
        }
        let ix = self.index();
        let (mut customers, mut at, mut channels, mut conv, mut values) = (vec![], vec![], vec![], vec![], vec![]);
        for p in 0..ix.roots.len() {
            for &s in self.slots_of(p) {
                let r = &self.rows[s as usize];
                if r.at > as_of.micros() {
                    break; // slots are in time order
                }
                let kind = &self.kinds.values[r.kind as usize];
                let channel = match r.channel {
                    0 => std::borrow::Cow::Borrowed(""),
                    c => self.channels.values[c as usize - 1].as_str(),
                };
                let is_conv = kind == conversion;
                if !is_conv && (channel.is_empty() || *kind == EventKind::Refund) {
                    continue;
                }
                let value = if is_conv { self.reporting_amount(r)? } else { 0.0 };
                customers.push(p as u32);
                at.push(r.at);
                channels.push(channel);
                conv.push(is_conv);
                values.push(value);
            }
        }
        let options = PathOptions::new().lookback_days(lookback_days as i64).as_of_micros(as_of.micros());
        paths_from_touchpoints(&customers, &at, &channels, &conv, &values, &options)
    }
}
