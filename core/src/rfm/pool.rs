//! RFM from the pool.

use super::{rfm_scores, RfmOptions};
use crate::error::{Error, Result};
use crate::lifecycle::pool::stage_of_scan;
use crate::lifecycle::{DayClock, LifecycleRow, Machine, Scanner};
use crate::model::Timestamp;
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
        self.rfm_pass(as_of, options, None)
    }

    /// Stages of every known customer and RFM rows of every buyer at `as_of`, in one pass
    /// over the events (what [`Pool::lifecycle`] and [`Pool::rfm`] return, for half the work).
    ///
    /// # Errors
    /// As [`Pool::rfm`].
    pub fn lifecycle_and_rfm(&self, as_of: Timestamp) -> Result<(Vec<LifecycleRow>, Vec<RfmRow>)> {
        let mut stages = Vec::with_capacity(self.customer_count());
        let rows = self.rfm_pass(as_of, self.rfm_options(), Some(&mut stages))?;
        Ok((stages, rows))
    }

    fn rfm_pass(
        &self,
        as_of: Timestamp,
        options: &RfmOptions,
        mut stages: Option<&mut Vec<LifecycleRow>>,
    ) -> Result<Vec<RfmRow>> {
        options.compile()?;
        let clock = DayClock::new(self.time_zone());
        let until = as_of.micros();
        let today = clock.day(until);
        let mut sc = Scanner::new(self, &options.rates);
        let mut machine = Machine::new(self.lifecycle_config(), self.time_zone());
        let (mut ids, mut rec, mut freq, mut mon) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for pos in 0..self.customer_count() {
            let Some(view) = self.customer_at(pos) else { break };
            let Some(facts) = sc.scan(&view, until) else { continue };
            let buyer = !sc.orders.is_empty();
            if let Some(out) = stages.as_deref_mut() {
                if let Some(st) = stage_of_scan(&mut machine, &sc, facts.first, as_of) {
                    let id = view.id();
                    if buyer {
                        ids.push(id.clone());
                    }
                    out.push(LifecycleRow { customer_id: id, stage: st.stage, since: st.since });
                }
            } else if buyer {
                ids.push(view.id());
            }
            if !buyer {
                continue;
            }
            if let Some(c) = facts.missing_rate {
                let reporting = self.config().currency;
                return Err(Error::CurrencyMismatch { left: reporting.to_string(), right: c.to_string() });
            }
            let last = sc.orders[sc.orders.len() - 1];
            rec.push((today - clock.day(last)) as f64);
            freq.push(sc.orders.len() as f64);
            mon.push(facts.monetary);
        }
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
}
