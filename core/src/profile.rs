//! Derived per-customer facts: first and last order, order count, spend per currency (refunds
//! netted), per-channel event counts and last touch, identities.

use crate::model::{Channel, Currency, EventKind, Identity, Money, Timestamp};
use std::collections::BTreeMap;

/// Per-channel activity of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelStats {
    /// Events on this channel.
    pub events: u64,
    /// The last event on this channel.
    pub last_at: Timestamp,
}

/// The profile facts of one customer at the pool's current state.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// The customer id.
    pub customer_id: String,
    /// Every identity of the customer, in (kind priority, value) order.
    pub identities: Vec<Identity>,
    /// Number of events.
    pub event_count: u64,
    /// First event time.
    pub first_seen: Option<Timestamp>,
    /// Last event time.
    pub last_seen: Option<Timestamp>,
    /// Number of `order` events.
    pub order_count: u64,
    /// Number of `refund` events.
    pub refund_count: u64,
    /// First order time.
    pub first_order_at: Option<Timestamp>,
    /// Last order time.
    pub last_order_at: Option<Timestamp>,
    /// Net spend (orders − refunds) per currency, in minor units.
    pub spend: BTreeMap<Currency, i64>,
    /// Refunded amounts per currency, in minor units.
    pub refunds: BTreeMap<Currency, i64>,
    /// Activity per channel.
    pub channels: BTreeMap<Channel, ChannelStats>,
}

impl Profile {
    /// An empty profile.
    pub fn new(customer_id: String, identities: Vec<Identity>) -> Self {
        Profile {
            customer_id,
            identities,
            event_count: 0,
            first_seen: None,
            last_seen: None,
            order_count: 0,
            refund_count: 0,
            first_order_at: None,
            last_order_at: None,
            spend: BTreeMap::new(),
            refunds: BTreeMap::new(),
            channels: BTreeMap::new(),
        }
    }

    /// Fold one event into the facts (events may come in any order).
    pub fn add(&mut self, at: Timestamp, kind: &EventKind, channel: Option<&Channel>, money: Option<Money>) {
        self.event_count += 1;
        self.first_seen = Some(self.first_seen.map_or(at, |t| t.min(at)));
        self.last_seen = Some(self.last_seen.map_or(at, |t| t.max(at)));
        match kind {
            EventKind::Order => {
                self.order_count += 1;
                self.first_order_at = Some(self.first_order_at.map_or(at, |t| t.min(at)));
                self.last_order_at = Some(self.last_order_at.map_or(at, |t| t.max(at)));
                if let Some(m) = money {
                    *self.spend.entry(m.currency).or_insert(0) += m.minor;
                }
            }
            EventKind::Refund => {
                self.refund_count += 1;
                if let Some(m) = money {
                    *self.spend.entry(m.currency).or_insert(0) -= m.minor;
                    *self.refunds.entry(m.currency).or_insert(0) += m.minor;
                }
            }
            _ => {}
        }
        if let Some(c) = channel {
            let e = self.channels.entry(c.clone()).or_insert(ChannelStats { events: 0, last_at: at });
            e.events += 1;
            e.last_at = e.last_at.max(at);
        }
    }

    /// Net spend in one currency, in minor units (0 if none).
    pub fn spend_in(&self, currency: Currency) -> i64 {
        self.spend.get(&currency).copied().unwrap_or(0)
    }
}
