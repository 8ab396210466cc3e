//! RFM from the pool.

use super::{rfm_scores, RfmOptions};
use crate::error::{Error, Result};
use crate::lifecycle::DayClock;
use crate::model::{EventKind, Timestamp};
use crate::pool::Pool;

/// One buyer's RFM values, scores and tier (a row of [`Pool::rfm`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RfmRow {
    /// The customer.
    pub customer_id: String,
    /// Calendar days (business zone) from the last order to `as_of`.
    pub recency_days: u32,
    /// Number of orders.
    pub frequency: u64,
    /// Net spend (orders − refunds) in major units of the reporting currency.
    pub monetary: f64,
    /// Recency score (5 = most recent).
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// Tier name.
    pub tier: String,
}

impl Pool {
    /// RFM settings (defaults until [`Pool::set_rfm_options`]).
    pub fn rfm_options(&self) -> &RfmOptions {
        &self.ext().lifecycle.rfm
    }

    /// Set the RFM scoring, tiers and rates (kept in snapshots).
    ///
    /// # Errors
    /// The errors of [`RfmOptions::compile`]; the pool keeps its settings.
    pub fn set_rfm_options(&mut self, options: RfmOptions) -> Result<()> {
        options.compile()?;
        self.ext_mut().lifecycle.rfm = options;
        Ok(())
    }

    /// RFM values, scores and tier of every customer with an order at or before `as_of`, in
    /// founding order, under the pool's RFM settings.
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] for an amount in a currency without a rate.
    ///
    /// # Example
    /// ```
    /// use yutang::{EventInput, Pool, parse_time};
    /// let mut pool = Pool::default();
    /// let evs: Vec<EventInput> = serde_json::from_str(r#"[
    ///   {"id": "1", "at": "2024-01-10 15:00", "kind": "order", "amount": "99", "identities": [{"kind": "phone", "value": "13800138000"}]},
    ///   {"id": "2", "at": "2024-01-20 15:00", "kind": "refund", "amount": "9", "identities": [{"kind": "phone", "value": "13800138000"}]}
    /// ]"#).unwrap();
    /// pool.ingest_inputs(&evs);
    /// let rows = pool.rfm(parse_time("2024-02-01 08:00", pool.time_zone())?)?;
    /// // 01-10 -> 02-01 is 22 days; 99 − 9 = 90 net
    /// assert_eq!((rows[0].recency_days, rows[0].frequency, rows[0].monetary), (22, 1, 90.0));
    /// assert_eq!((rows[0].r, rows[0].f, rows[0].m, rows[0].tier.as_str()), (3, 3, 3, "needs_attention"));
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn rfm(&self, as_of: Timestamp) -> Result<Vec<RfmRow>> {
        self.rfm_with(as_of, self.rfm_options())
    }

    /// [`Pool::rfm`] with other settings.
    ///
    /// # Errors
    /// As [`Pool::rfm`], and the errors of [`RfmOptions::compile`].
    pub fn rfm_with(&self, as_of: Timestamp, options: &RfmOptions) -> Result<Vec<RfmRow>> {
        options.compile()?;
        let (ids, rec, freq, mon) = self.rfm_columns(as_of, options)?;
        let s = rfm_scores(&rec, &freq, &mon, options)?;
        Ok(ids
            .into_iter()
            .enumerate()
            .map(|(i, customer_id)| RfmRow {
                customer_id,
                recency_days: rec[i] as u32,
                frequency: freq[i] as u64,
                monetary: mon[i],
                r: s.r[i],
                f: s.f[i],
                m: s.m[i],
                tier: s.tier_names[s.tier[i] as usize].clone(),
            })
            .collect())
    }

    /// (customer ids, recency_days, frequency, monetary) of the buyers at `as_of`.
    #[allow(clippy::type_complexity)]
    pub(crate) fn rfm_columns(
        &self,
        as_of: Timestamp,
        options: &RfmOptions,
    ) -> Result<(Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>)> {
        let order = self.order_code();
        let refund = self.kind_code(&EventKind::Refund).unwrap_or(u8::MAX);
        let reporting = self.config().currency;
        let clock = DayClock::new(self.time_zone());
        let until = as_of.micros();
        let today = clock.day(until);
        let scale = 10f64.powi(reporting.exponent() as i32);
        let (mut ids, mut rec, mut freq, mut mon) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for pos in 0..self.customer_count() {
            let Some(view) = self.customer_at(pos) else { break };
            let (mut count, mut last, mut minor, mut other) = (0u64, 0i64, 0i64, 0f64);
            for e in view.events() {
                if e.at_micros() > until {
                    break;
                }
                let k = e.kind_code();
                if k != order && k != refund {
                    continue;
                }
                let sign = if k == order {
                    count += 1;
                    last = e.at_micros();
                    1
                } else {
                    -1
                };
                if let Some(money) = e.money() {
                    if money.currency == reporting {
                        minor += sign * money.minor;
                    } else {
                        let rate = options.rates.get(&money.currency).ok_or_else(|| Error::CurrencyMismatch {
                            left: reporting.to_string(),
                            right: money.currency.to_string(),
                        })?;
                        other += sign as f64 * money.to_major_f64() * rate;
                    }
                }
            }
            if count == 0 {
                continue;
            }
            ids.push(view.id());
            rec.push((today - clock.day(last)) as f64);
            freq.push(count as f64);
            mon.push(minor as f64 / scale + other);
        }
        Ok((ids, rec, freq, mon))
    }
}
