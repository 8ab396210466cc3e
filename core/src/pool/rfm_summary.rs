//! The pool as input to the CLV models: a lifetimes-style RFM summary of each customer's
//! orders.

use super::Pool;
use crate::error::Result;
use crate::ltv::summary::{rfm_summary, CustomerKeys, RfmSummary, SummaryOptions, Zone};
use crate::model::EventKind;

/// An RFM summary of the pool's customers (those with at least one order), by customer id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PoolRfmSummary {
    /// Customer ids, aligned with the rows of `summary`.
    pub customer_ids: Vec<String>,
    /// frequency / recency / T / monetary value, per customer.
    pub summary: RfmSummary,
}

impl Pool {
    /// Summarise every customer's `order` events (lifetimes'
    /// `summary_data_from_transaction_data` semantics; see [`crate::ltv::summary`]).
    ///
    /// Transactions are the orders (amount in the reporting currency, major units; refunds are
    /// not transactions). Periods are floored in the pool's business time zone (`options.zone`
    /// is replaced by it). Rows are customers with at least one order, sorted by customer id.
    ///
    /// # Errors
    /// [`crate::Error::CurrencyMismatch`] for an order in another currency than the reporting one;
    /// the errors of [`crate::ltv::summary::rfm_summary`]. A pool without orders gives an
    /// empty summary.
    pub fn rfm_summary(&self, options: &SummaryOptions) -> Result<PoolRfmSummary> {
        let ix = self.index();
        let (mut keys, mut at, mut value) = (Vec::new(), Vec::new(), Vec::new());
        for p in 0..ix.roots.len() {
            for &s in self.slots_of(p) {
                let r = &self.rows[s as usize];
                if self.kinds.values[r.kind as usize] != EventKind::Order {
                    continue;
                }
                let v = self.reporting_amount(r)?;
                keys.push(super::id_string(ix.ids[p]));
                at.push(r.at);
                value.push(v);
            }
        }
        let mut opts = options.clone();
        opts.zone = Zone::Tz(self.tz);
        if keys.is_empty() {
            // a pool without orders has no buyers to summarise: no rows, like every other call
            let none = RfmSummary {
                first_row: Vec::new(),
                frequency: Vec::new(),
                recency: Vec::new(),
                t: Vec::new(),
                monetary_value: Some(Vec::new()),
            };
            return Ok(PoolRfmSummary { customer_ids: Vec::new(), summary: none });
        }
        let summary = rfm_summary(CustomerKeys::String(&keys), &at, Some(&value), &opts)?;
        let customer_ids = summary.first_row.iter().map(|&row| keys[row].clone()).collect();
        Ok(PoolRfmSummary { customer_ids, summary })
    }
}

#[cfg(test)]
mod tests {
    use crate::ltv::summary::{Freq, SummaryOptions};
    use crate::{EventInput, Pool};

    #[test]
    fn summary_from_pool_matches_hand_computation() {
        // customer A: orders on 05-01 (10), 05-03 (20), 05-10 (40); customer B: one order 05-05.
        let evs: Vec<EventInput> = serde_json::from_str(
            r#"[
            {"id": "1", "at": "2024-05-01 09:00", "kind": "order", "amount": "10", "identities": [{"kind": "phone", "value": "13800138000"}]},
            {"id": "2", "at": "2024-05-03 23:30", "kind": "order", "amount": "20", "identities": [{"kind": "phone", "value": "13800138000"}]},
            {"id": "3", "at": "2024-05-10 00:30", "kind": "order", "amount": "40", "identities": [{"kind": "phone", "value": "13800138000"}]},
            {"id": "4", "at": "2024-05-05 12:00", "kind": "order", "amount": "7", "identities": [{"kind": "phone", "value": "13900139000"}]},
            {"id": "5", "at": "2024-05-06 12:00", "kind": "view", "identities": [{"kind": "phone", "value": "13900139000"}]}
        ]"#,
        )
        .unwrap();
        let mut pool = Pool::default();
        assert_eq!(pool.ingest_inputs(&evs).accepted, 5);
        let end = crate::parse_time("2024-05-20 12:00", pool.time_zone()).unwrap().micros();
        let s = pool
            .rfm_summary(&SummaryOptions::new().freq(Freq::parse("D").unwrap()).observation_period_end(end))
            .unwrap();
        let a = pool.resolve(&crate::Identity::new(crate::IdentityKind::Phone, "13800138000")).unwrap();
        let i = s.customer_ids.iter().position(|c| c == &a).unwrap();
        // days in Asia/Shanghai: 05-01, 05-03, 05-10 -> frequency 2, recency 9, T 19;
        // monetary = mean of the repeat purchases (20 + 40) / 2
        assert_eq!((s.summary.frequency[i], s.summary.recency[i], s.summary.t[i]), (2.0, 9.0, 19.0));
        assert_eq!(s.summary.monetary_value.as_ref().unwrap()[i], 30.0);
        let j = 1 - i;
        assert_eq!((s.summary.frequency[j], s.summary.recency[j], s.summary.t[j]), (0.0, 0.0, 15.0));
    }

    #[test]
    fn a_pool_without_orders_has_an_empty_summary() {
        let s = Pool::default().rfm_summary(&SummaryOptions::new()).unwrap();
        assert!(s.customer_ids.is_empty() && s.summary.frequency.is_empty());
    }
}
