//! Borrowed, allocation-free views of the pool's customers and their events, for the modules
//! that evaluate over timelines (rules, lifecycle, metrics, journeys).
//!
//! A [`CustomerView`] is a customer at a position `0..Pool::customer_count()` (founding order);
//! its [`EventRef`]s come in (time, id) order and read the pool's compact rows directly. Event
//! kinds and channels have small per-pool codes ([`Pool::kind_code`], [`Pool::channel_code`]) so a
//! compiled filter compares integers, not strings.

use super::store::NONE;
use super::{id_string, Pool};
use crate::error::Result;
use crate::model::{Channel, Consent, Event, EventKind, Identity, Item, Money, PropValue, Subscription, Timestamp};
use crate::profile::Profile;
use std::collections::BTreeMap;

impl Pool {
    /// Number of customers; their positions are `0..customer_count()`, in founding order.
    pub fn customer_count(&self) -> usize {
        self.index().roots.len()
    }

    /// The customer at a position (`None` past the end).
    pub fn customer_at(&self, pos: usize) -> Option<CustomerView<'_>> {
        (pos < self.customer_count()).then_some(CustomerView { pool: self, pos })
    }

    /// The customer with this id (a merged-away id resolves to the customer it is part of now).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id.
    pub fn customer(&self, customer_id: &str) -> Result<CustomerView<'_>> {
        let pos = self.require(customer_id)?;
        Ok(CustomerView { pool: self, pos })
    }

    /// The position of a customer id (aliases of merged customers resolve), or `None`.
    pub fn position_of(&self, customer_id: &str) -> Option<usize> {
        self.position(customer_id)
    }

    /// The position of the customer an identity belongs to (normalised as on ingestion).
    pub fn position_of_identity(&self, identity: &Identity) -> Option<usize> {
        let root = self.root_of(identity)?;
        let p = *self.index().pos.get(root as usize)?;
        (p != NONE).then_some(p as usize)
    }

    /// This pool's code of an event kind. Built-in kinds always have one; a custom kind has
    /// none until an event of that kind is ingested (so nothing can match it yet).
    pub fn kind_code(&self, kind: &EventKind) -> Option<u8> {
        self.kinds.values.iter().position(|k| k == kind).map(|i| i as u8)
    }

    /// This pool's code of a channel. Built-in channels always have one; a custom channel has
    /// none until an event on it is ingested.
    pub fn channel_code(&self, channel: &Channel) -> Option<u8> {
        self.channels.values.iter().position(|c| c == channel).map(|i| i as u8)
    }

    /// The customer id at a position.
    pub(crate) fn id_at(&self, pos: usize) -> String {
        id_string(self.index().ids[pos])
    }
}

/// One customer of a pool, borrowed (allocation-free reads of its timeline).
#[derive(Clone, Copy)]
pub struct CustomerView<'a> {
    pool: &'a Pool,
    pos: usize,
}

impl std::fmt::Debug for CustomerView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerView").field("id", &self.id()).field("events", &self.len()).finish()
    }
}

impl<'a> CustomerView<'a> {
    /// The position (`0..Pool::customer_count()`).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The pool this customer belongs to.
    pub fn pool(&self) -> &'a Pool {
        self.pool
    }

    /// The customer id.
    pub fn id(&self) -> String {
        self.pool.id_at(self.pos)
    }

    fn slots(&self) -> &'a [u32] {
        self.pool.slots_of(self.pos)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// No events (cannot happen for a customer, kept for completeness).
    pub fn is_empty(&self) -> bool {
        self.slots().is_empty()
    }

    /// The events in (time, id) order.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = EventRef<'a>> + ExactSizeIterator + Clone + 'a {
        let pool = self.pool;
        self.slots().iter().map(move |&slot| EventRef { pool, slot })
    }

    /// The `i`-th event in (time, id) order.
    pub fn event(&self, i: usize) -> Option<EventRef<'a>> {
        self.slots().get(i).map(|&slot| EventRef { pool: self.pool, slot })
    }

    /// Number of events at or before `t` (a binary search: the events `0..until(t)` are those
    /// with `at <= t`).
    pub fn until(&self, t: Timestamp) -> usize {
        let rows = &self.pool.rows;
        let t = t.micros();
        self.slots().partition_point(|&s| rows[s as usize].at <= t)
    }

    /// The identities, by kind priority then value.
    pub fn identities(&self) -> Vec<Identity> {
        self.pool.identities_at(self.pos)
    }

    /// The profile facts.
    pub fn profile(&self) -> Profile {
        self.pool.profile_at(self.pos)
    }
}

/// One event of a pool, borrowed.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    pool: &'a Pool,
    slot: u32,
}

impl std::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRef").field("id", &self.id()).field("at", &self.at()).field("kind", self.kind()).finish()
    }
}

impl<'a> EventRef<'a> {
    fn row(&self) -> &'a super::store::Row {
        &self.pool.rows[self.slot as usize]
    }

    fn rare(&self) -> Option<&'a super::store::Rare> {
        let x = self.row().extra;
        if x == NONE {
            return None;
        }
        self.pool.extras[x as usize].rare.as_deref()
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        Timestamp::from_micros(self.row().at).unwrap_or_else(|_| unreachable!("stored times are valid"))
    }

    /// When it happened, microseconds since the epoch.
    pub fn at_micros(&self) -> i64 {
        self.row().at
    }

    /// The slot: the event's place in the order events arrived in (a later arrival has a
    /// higher slot; erasure and retention renumber the slots, keeping their order).
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    /// The host's event id.
    pub fn id(&self) -> &'a str {
        self.pool.event_ids.get(self.slot)
    }

    /// What happened.
    pub fn kind(&self) -> &'a EventKind {
        &self.pool.kinds.values[self.row().kind as usize]
    }

    /// The pool's code of the kind (see [`Pool::kind_code`]).
    pub fn kind_code(&self) -> u8 {
        self.row().kind
    }

    /// Where it happened.
    pub fn channel(&self) -> Option<&'a Channel> {
        let c = self.row().channel;
        (c != 0).then(|| &self.pool.channels.values[c as usize - 1])
    }

    /// The pool's code of the channel (see [`Pool::channel_code`]).
    pub fn channel_code(&self) -> Option<u8> {
        let c = self.row().channel;
        (c != 0).then(|| c - 1)
    }

    /// The amount (orders and refunds).
    pub fn money(&self) -> Option<Money> {
        let r = self.row();
        (r.currency != 0).then(|| Money::new(r.amount, self.pool.currencies.values[r.currency as usize - 1]))
    }

    /// The order id.
    pub fn order_id(&self) -> Option<&'a str> {
        self.pool.orders.get(self.slot)
    }

    /// Order lines (empty when none).
    pub fn items(&self) -> &'a [Item] {
        self.rare().map_or(&[], |r| r.items.as_slice())
    }

    /// One property.
    pub fn property(&self, key: &str) -> Option<&'a PropValue> {
        self.rare().and_then(|r| r.properties.get(key))
    }

    /// Every property (`None` when the event has none).
    pub fn properties(&self) -> Option<&'a BTreeMap<String, PropValue>> {
        self.rare().map(|r| &r.properties).filter(|p| !p.is_empty())
    }

    /// The group chat.
    pub fn group_id(&self) -> Option<&'a str> {
        let x = self.row().extra;
        if x == NONE {
            return None;
        }
        let g = self.pool.extras[x as usize].group;
        (g != NONE).then(|| self.pool.groups.get(g))
    }

    /// The inviter (`referral` events).
    pub fn referrer(&self) -> Option<Identity> {
        let x = self.row().extra;
        if x == NONE {
            return None;
        }
        let r = self.pool.extras[x as usize].referrer;
        (r != NONE).then(|| self.pool.identity(r))
    }

    /// The consent decision (`consent` events).
    pub fn consent(&self) -> Option<&'a Consent> {
        self.rare().and_then(|r| r.consent.as_ref())
    }

    /// The subscription (`subscription_*` events).
    pub fn subscription(&self) -> Option<&'a Subscription> {
        self.rare().and_then(|r| r.subscription.as_ref())
    }

    /// The whole event, owned.
    pub fn to_event(&self) -> Event {
        self.pool.event_at(self.slot)
    }
}

#[cfg(test)]
mod tests {
    use crate::{EventInput, Pool, Timestamp};

    #[test]
    fn views_read_the_timeline() {
        let evs: Vec<EventInput> = serde_json::from_str(
            r#"[
            {"id": "b", "at": "2024-05-03 10:00", "kind": "order", "channel": "douyin", "amount": "20", "order_id": "o2",
             "identities": [{"kind": "phone", "value": "13800138000"}],
             "items": [{"sku": "s1", "category": "coffee", "quantity": 2}], "properties": {"coupon": "c1"}},
            {"id": "a", "at": "2024-05-01 10:00", "kind": "register", "channel": "mini_program", "group_id": "g1",
             "identities": [{"kind": "phone", "value": "13800138000"}, {"kind": "wechat_unionid", "value": "u1"}]},
            {"id": "c", "at": "2024-05-02 10:00", "kind": "view", "identities": [{"kind": "phone", "value": "13900139000"}]}
        ]"#,
        )
        .unwrap();
        let mut pool = Pool::default();
        assert_eq!(pool.ingest_inputs(&evs).accepted, 3);
        assert_eq!(pool.customer_count(), 2);
        let id = pool.resolve(&crate::Identity::new(crate::IdentityKind::WechatUnionid, "u1")).unwrap();
        let c = pool.customer(&id).unwrap();
        assert_eq!(c.id(), id);
        assert_eq!(pool.customer_at(c.position()).unwrap().id(), id);
        assert_eq!(
            pool.position_of_identity(&crate::Identity::new(crate::IdentityKind::Phone, "138 0013 8000")),
            Some(c.position())
        );
        let ids: Vec<&str> = c.events().map(|e| e.id()).collect();
        assert_eq!(ids, ["a", "b"]);
        let b = c.event(1).unwrap();
        assert_eq!(b.kind(), &crate::EventKind::Order);
        assert_eq!(Some(b.kind_code()), pool.kind_code(&crate::EventKind::Order));
        assert_eq!(b.channel(), Some(&crate::Channel::Douyin));
        assert_eq!(b.channel_code(), pool.channel_code(&crate::Channel::Douyin));
        assert_eq!(b.money().unwrap().minor, 2000);
        assert_eq!(b.order_id(), Some("o2"));
        assert_eq!(b.items()[0].quantity, 2);
        assert!(b.property("coupon").is_some());
        assert_eq!(c.event(0).unwrap().group_id(), Some("g1"));
        assert_eq!(b.to_event(), pool.timeline(&id).unwrap()[1]);
        let t = crate::parse_time("2024-05-02 00:00", pool.time_zone()).unwrap();
        assert_eq!(c.until(t), 1);
        assert_eq!(c.until(Timestamp::from_micros(0).unwrap()), 0);
        assert_eq!(c.until(b.at()), 2);
        assert!(pool.kind_code(&crate::EventKind::Refund).is_some()); // built-in kinds have codes
        assert!(pool.channel_code(&crate::Channel::parse("custom:x").unwrap()).is_none());
        assert!(pool.customer_at(2).is_none());
    }
}
