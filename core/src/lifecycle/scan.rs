//! One pass over a customer's events for both the stage machine and RFM: the first-seen time,
//! the order times and the net spend, reading the pool's compact rows (integer kind codes).

use crate::model::{Currency, EventKind};
use crate::pool::{CustomerView, Pool};
use std::collections::BTreeMap;

/// What one pass over a customer's events up to an instant found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    /// The first event's time (µs).
    pub first: i64,
    /// Net spend (orders − refunds) in major units of the reporting currency.
    pub monetary: f64,
    /// A currency met without a rate (the spend is then incomplete).
    pub missing_rate: Option<Currency>,
}

/// Reusable per-thread scanner; the order times of the last scan are in `orders`.
#[derive(Debug)]
pub(crate) struct Scanner<'o> {
    order: u8,
    refund: u8,
    reporting: Currency,
    scale: f64,
    rates: &'o BTreeMap<Currency, f64>,
    /// Order times (µs, ascending) of the last scanned customer.
    pub orders: Vec<i64>,
}

impl<'o> Scanner<'o> {
    pub fn new(pool: &Pool, rates: &'o BTreeMap<Currency, f64>) -> Self {
        let reporting = pool.config().currency;
        Scanner {
            order: pool.order_code(),
            refund: pool.kind_code(&EventKind::Refund).unwrap_or(u8::MAX),
            reporting,
            scale: 10f64.powi(reporting.exponent() as i32),
            rates,
            orders: Vec::new(),
        }
    }

    /// Scan the events at or before `until` (µs); `None` when there is none.
    #[inline]
    pub fn scan(&mut self, view: &CustomerView<'_>, until: i64) -> Option<Facts> {
        self.orders.clear();
        let (mut first, mut minor, mut other, mut missing) = (None, 0i64, 0f64, None);
        for e in view.events() {
            let t = e.at_micros();
            if t > until {
                break;
            }
            if first.is_none() {
                first = Some(t);
            }
            let k = e.kind_code();
            let sign = if k == self.order {
                self.orders.push(t);
                1
            } else if k == self.refund {
                -1
            } else {
                continue;
            };
            if let Some(m) = e.money() {
                if m.currency == self.reporting {
                    minor += sign * m.minor;
                } else if let Some(rate) = self.rates.get(&m.currency) {
                    other += sign as f64 * m.to_major_f64() * rate;
                } else {
                    missing = Some(m.currency);
                }
            }
        }
        Some(Facts { first: first?, monetary: minor as f64 / self.scale + other, missing_rate: missing })
    }
}
