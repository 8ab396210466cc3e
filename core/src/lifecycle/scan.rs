//! One pass over a customer's events for both the stage machine and RFM: the first-seen time,
//! the order times and the net spend, reading the pool's compact rows (integer kind codes).

use crate::model::{Currency, EventKind};
use crate::pool::{CustomerView, EventRef, Pool};
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
    /// (time, kind, event) of the events read, reused between customers.
    tmp: Vec<(i64, u8, EventRef<'o>)>,
}

impl<'o> Scanner<'o> {
    pub fn new(pool: &'o Pool, rates: &'o BTreeMap<Currency, f64>) -> Self {
        let reporting = pool.config().currency;
        Scanner {
            order: pool.order_code(),
            refund: pool.kind_code(&EventKind::Refund).unwrap_or(u8::MAX),
            reporting,
            scale: 10f64.powi(reporting.exponent() as i32),
            rates,
            orders: Vec::new(),
            tmp: Vec::new(),
        }
    }

    /// Scan the events at or before `until` (µs); `None` when there is none.
    ///
    /// Two phases: first the rows are read with no data-dependent branch (so the CPU keeps
    /// many of these scattered loads in flight), then the small buffer is examined.
    #[inline]
    pub fn scan(&mut self, view: &CustomerView<'o>, until: i64) -> Option<Facts> {
        self.orders.clear();
        self.tmp.clear();
        for e in view.events() {
            let t = e.at_micros();
            if t > until {
                break;
            }
            self.tmp.push((t, e.kind_code(), e));
        }
        let first = self.tmp.first()?.0;
        let (mut minor, mut other, mut missing) = (0i64, 0f64, None);
        for &(t, k, e) in &self.tmp {
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
        Some(Facts { first, monetary: minor as f64 / self.scale + other, missing_rate: missing })
    }
}
