//! A seeded synthetic multi-channel event log for examples, tests and benchmarks.
//!
//! Customer `c` owns a fixed set of identities decided by hashing `(seed, c)`: a phone (70 %),
//! a WeChat unionid (60 %) with a mini-program openid, a Douyin id (35 %), a Taobao id (35 %),
//! an app account (40 %) and a device. Each event comes from one channel and carries the
//! identities that channel sees (Douyin id on Douyin, unionid + openid in the mini program,
//! app account + device in the app …), and sometimes the phone (registrations, orders with
//! delivery), so identities overlap across channels the way they do in real pools. Events are
//! generated in time order; the same config always yields the same events.

use crate::model::{
    BorrowedEvent, BorrowedIdentity, Channel, Currency, Event, EventKind, Identity, IdentityKind, Money, Timestamp,
};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of events.
    pub events: usize,
    /// Number of (true) customers.
    pub customers: usize,
    /// Seed.
    pub seed: u64,
    /// Time of the first event (µs since the epoch).
    pub start_micros: i64,
    /// Span of the log in days.
    pub days: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig { events: 100_000, customers: 10_000, seed: 42, start_micros: 1_704_038_400_000_000, days: 365 }
    }
}

/// SplitMix64: a tiny, well-known, seedable mixer (deterministic on every platform).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pct(h: u64, p: u64) -> bool {
    h % 100 < p
}

/// One synthetic event, in plain fields (the columnar form the bindings use).
#[derive(Debug, Clone, PartialEq)]
pub struct SynthEvent {
    /// Event id.
    pub id: String,
    /// Time, µs since the epoch (UTC).
    pub at: i64,
    /// Kind.
    pub kind: EventKind,
    /// Channel.
    pub channel: Channel,
    /// Amount in fen (orders, refunds).
    pub amount_fen: Option<i64>,
    /// Identities: (kind, namespace, value).
    pub identities: Vec<(IdentityKind, Option<&'static str>, String)>,
    /// Referrer phone (referral events).
    pub referrer_phone: Option<String>,
    /// Group id (group events).
    pub group_id: Option<String>,
}

/// The identities customer `c` owns.
fn owns(seed: u64, c: u64) -> [bool; 5] {
    let h = mix(seed ^ c.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let phone = pct(h, 70);
    let union = pct(h >> 8, 60);
    let douyin = pct(h >> 16, 35);
    let taobao = pct(h >> 24, 35);
    let app = pct(h >> 32, 40);
    // everybody reaches us somewhere: fall back to a unionid
    [phone, union || !(phone || douyin || taobao || app), douyin, taobao, app]
}

fn phone_of(c: u64) -> String {
    format!("13{:09}", c % 1_000_000_000)
}

/// The true customer of the `i`-th event and the event's hash.
fn customer_of(cfg: &SynthConfig, i: usize) -> (u64, u64) {
    let h = mix(cfg.seed.wrapping_mul(31) ^ (i as u64));
    let customers = cfg.customers.max(1) as u64;
    // skewed activity: a third of the events come from the most active tenth
    let c = if pct(h, 33) { (h >> 8) % (customers / 10).max(1) } else { (h >> 8) % customers };
    (c, h)
}

/// The `i`-th event.
pub fn event(cfg: &SynthConfig, i: usize) -> SynthEvent {
    let (c, h) = customer_of(cfg, i);
    let customers = cfg.customers.max(1) as u64;
    let span = cfg.days.max(1) as i64 * 86_400_000_000;
    let at = cfg.start_micros + ((i as i128 * span as i128) / cfg.events.max(1) as i128) as i64;
    let [phone, union, douyin, taobao, app] = owns(cfg.seed, c);
    let h2 = mix(h);
    // channel from what the customer has
    let mut options: Vec<Channel> = Vec::with_capacity(5);
    if union {
        options.push(Channel::MiniProgram);
        options.push(Channel::Wecom);
    }
    if douyin {
        options.push(Channel::Douyin);
    }
    if taobao {
        options.push(Channel::Taobao);
    }
    if app {
        options.push(Channel::App);
    }
    if phone {
        options.push(Channel::Sms);
    }
    let channel = options[(h2 % options.len() as u64) as usize].clone();
    let r = (h2 >> 16) % 1000;
    let kind = if (h2 >> 40).is_multiple_of(997) {
        EventKind::Register
    } else if channel == Channel::Sms {
        if r < 700 {
            EventKind::MessageSent
        } else {
            EventKind::MessageOpened
        }
    } else if channel == Channel::Wecom {
        match r {
            0..=49 => EventKind::GroupJoin,
            50..=59 => EventKind::GroupLeave,
            60..=99 => EventKind::Referral,
            _ => EventKind::GroupMessage,
        }
    } else {
        match r {
            0..=519 => EventKind::View,
            520..=699 => EventKind::AddToCart,
            700..=899 => EventKind::Order,
            900..=909 => EventKind::Refund,
            910..=959 => EventKind::CouponIssued,
            _ => EventKind::CouponRedeemed,
        }
    };
    let mut identities: Vec<(IdentityKind, Option<&'static str>, String)> = Vec::with_capacity(3);
    match channel {
        Channel::MiniProgram => {
            identities.push((IdentityKind::WechatUnionid, None, format!("oU{c:09}")));
            identities.push((IdentityKind::WechatOpenid, Some("wx_mp_1"), format!("oM{c:09}")));
        }
        Channel::Wecom => identities.push((IdentityKind::WechatUnionid, None, format!("oU{c:09}"))),
        Channel::Douyin => identities.push((IdentityKind::Douyin, None, format!("dy{c:09}"))),
        Channel::Taobao => identities.push((IdentityKind::Taobao, None, format!("tb{c:09}"))),
        Channel::App => {
            identities.push((IdentityKind::AppUser, None, format!("u{c:09}")));
            identities.push((IdentityKind::Device, None, format!("dev{:09}", mix(c) % 1_000_000_000)));
        }
        _ => {}
    }
    let with_phone = phone
        && (channel == Channel::Sms
            || matches!(kind, EventKind::Register | EventKind::Order)
            || (h2 >> 50).is_multiple_of(10));
    if with_phone || identities.is_empty() {
        identities.push((IdentityKind::Phone, None, phone_of(c)));
    }
    let amount_fen = match kind {
        EventKind::Order => Some(990 + ((h2 >> 24) % 50_000) as i64),
        EventKind::Refund => Some(990 + ((h2 >> 24) % 5_000) as i64),
        _ => None,
    };
    let referrer_phone = (kind == EventKind::Referral).then(|| phone_of((h2 >> 8) % customers));
    let group_id = matches!(kind, EventKind::GroupJoin | EventKind::GroupLeave | EventKind::GroupMessage)
        .then(|| format!("grp{}", c % 500));
    SynthEvent { id: format!("ev{i:09}"), at, kind, channel, amount_fen, identities, referrer_phone, group_id }
}

impl SynthEvent {
    /// As a typed [`Event`].
    pub fn to_event(&self) -> Event {
        let at = Timestamp::from_micros(self.at).unwrap_or_else(|_| unreachable!("generated times are in range"));
        let identities = self
            .identities
            .iter()
            .map(|(k, ns, v)| Identity { kind: k.clone(), namespace: ns.map(str::to_string), value: v.clone() })
            .collect();
        let mut e = Event::new(self.id.clone(), at, self.kind.clone(), identities).channel(self.channel.clone());
        e.money = self.amount_fen.map(|f| Money::new(f, Currency::CNY));
        e.referrer = self.referrer_phone.as_ref().map(|p| Identity::new(IdentityKind::Phone, p.clone()));
        e.group_id = self.group_id.clone();
        e
    }
}

impl SynthEvent {
    /// Push this event into an ingester, borrowed (no owned [`Event`] is built): the fast way
    /// in that the ingest benchmark measures.
    pub fn push_to(&self, ingester: &mut crate::pool::Ingester<'_>) {
        let at = Timestamp::from_micros(self.at).unwrap_or_else(|_| unreachable!("generated times are in range"));
        let blank = BorrowedIdentity { kind: &IdentityKind::Phone, namespace: None, value: "" };
        let mut ids = [blank; 4];
        let n = self.identities.len().min(ids.len());
        for (slot, (k, ns, v)) in ids.iter_mut().zip(&self.identities) {
            *slot = BorrowedIdentity { kind: k, namespace: *ns, value: v };
        }
        let mut e = BorrowedEvent::new(&self.id, at, &self.kind, &ids[..n]);
        e.channel = Some(&self.channel);
        e.money = self.amount_fen.map(|f| Money::new(f, Currency::CNY));
        e.referrer = self.referrer_phone.as_deref().map(|p| BorrowedIdentity {
            kind: &IdentityKind::Phone,
            namespace: None,
            value: p,
        });
        e.group_id = self.group_id.as_deref();
        ingester.push(&e);
    }
}

/// Events `range` of the log, in plain fields (for [`SynthEvent::push_to`]).
pub fn synth_events(cfg: &SynthConfig, range: std::ops::Range<usize>) -> Vec<SynthEvent> {
    range.map(|i| event(cfg, i)).collect()
}

/// Events `range` of the log, as typed events.
pub fn events(cfg: &SynthConfig, range: std::ops::Range<usize>) -> Vec<Event> {
    range.map(|i| event(cfg, i).to_event()).collect()
}

/// Batch `d` of the events split into `batches` consecutive batches (days, for the default
/// 365-day span) of which `late_percent` % arrive one batch late: the held-back events of batch
/// `d - 1` come first, then batch `d`'s own events except its held-back ones (the last batch
/// holds nothing back). The batches together hold every event once. A late feed, such as a
/// marketplace's orders synced after the next day's events, for load tests of late batches.
pub fn late_batch(cfg: &SynthConfig, batches: usize, late_percent: u64, d: usize) -> Vec<Event> {
    let n = cfg.events;
    let batches = batches.max(1);
    let day = |d: usize| (d * n / batches)..((d + 1) * n / batches);
    let held = |i: usize| mix(cfg.seed ^ 0x1a7e ^ (i as u64).wrapping_mul(0x9E37_79B9)) % 100 < late_percent;
    let last = d + 1 >= batches;
    let earlier = if d > 0 { day(d - 1) } else { 0..0 };
    earlier.filter(|&i| held(i)).chain(day(d).filter(|&i| last || !held(i))).map(|i| event(cfg, i).to_event()).collect()
}

/// The synthetic catalogue: (sku, category).
pub const CATALOGUE: &[(&str, &str)] = &[
    ("beans_house", "coffee"),
    ("beans_single_origin", "coffee"),
    ("drip_bags", "coffee"),
    ("filter_papers", "accessories"),
    ("milk_frother", "accessories"),
    ("green_tea", "tea"),
    ("oolong", "tea"),
    ("cookies", "snacks"),
    ("nuts", "snacks"),
    ("mug", "cups"),
    ("tumbler", "cups"),
    ("grinder", "equipment"),
    ("kettle", "equipment"),
    ("gift_box", "gifts"),
];

/// Items that tend to go together (catalogue indexes): beans with filter papers, a grinder
/// with beans, tea with cookies, a mug with a gift box …
const COMPANION: &[usize] = &[3, 3, 9, 0, 1, 7, 7, 5, 6, 13, 13, 1, 3, 9];

/// Price level of each catalogue item (an order's amount is split over its lines by these).
const PRICE_WEIGHT: &[i64] = &[3, 5, 2, 1, 4, 2, 3, 1, 1, 2, 3, 10, 8, 4];

/// How likely each item is to be a customer's favourite (consumables far more than equipment).
const FAVOURITE_WEIGHT: &[u64] = &[8, 3, 5, 1, 1, 5, 3, 3, 2, 1, 1, 1, 1, 1];

/// The order lines of the `i`-th event when it is an order (empty otherwise): one to three
/// lines from the catalogue, led by the customer's favourite item (consumables are favourites
/// far more often than equipment), often with a companion item; unit prices split the order
/// amount exactly (quantity 1) by the items' price levels. Added for the metrics
/// examples without changing [`event`]'s output.
pub fn order_items(cfg: &SynthConfig, i: usize) -> Vec<crate::model::Item> {
    let e = event(cfg, i);
    let Some(amount) = e.amount_fen.filter(|_| e.kind == EventKind::Order) else { return vec![] };
    let (c, h) = customer_of(cfg, i);
    let h = mix(h ^ 0x17e5);
    let fav = {
        let total: u64 = FAVOURITE_WEIGHT.iter().sum();
        let mut r = mix(c ^ cfg.seed) % total;
        let mut j = 0;
        while r >= FAVOURITE_WEIGHT[j] {
            r -= FAVOURITE_WEIGHT[j];
            j += 1;
        }
        j
    };
    let first = if pct(h, 70) { fav } else { ((h >> 8) % CATALOGUE.len() as u64) as usize };
    let mut lines = vec![first];
    if pct(h >> 16, 50) {
        lines.push(COMPANION[first]);
    }
    if pct(h >> 24, 20) {
        lines.push(((h >> 32) % CATALOGUE.len() as u64) as usize);
    }
    lines.dedup();
    let weights: i64 = lines.iter().map(|&j| PRICE_WEIGHT[j]).sum();
    let shares: Vec<i64> = lines.iter().map(|&j| amount * PRICE_WEIGHT[j] / weights).collect();
    let rest = amount - shares.iter().sum::<i64>();
    lines
        .iter()
        .enumerate()
        .map(|(k, &j)| {
            let share = shares[k] + if k == 0 { rest } else { 0 };
            crate::model::Item {
                sku: CATALOGUE[j].0.to_string(),
                category: Some(CATALOGUE[j].1.to_string()),
                quantity: 1,
                unit_price: Some(Money::new(share, Currency::CNY)),
            }
        })
        .collect()
}

/// Events `range` of the log with order lines on the orders ([`order_items`]); otherwise the
/// same as [`events`].
pub fn events_with_items(cfg: &SynthConfig, range: std::ops::Range<usize>) -> Vec<Event> {
    range
        .map(|i| {
            let mut e = event(cfg, i).to_event();
            e.items = order_items(cfg, i);
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let cfg = SynthConfig { events: 2000, customers: 200, ..Default::default() };
        assert_eq!(events(&cfg, 0..50), events(&cfg, 0..50));
        let mut pool = crate::Pool::default();
        let r = pool.ingest(events(&cfg, 0..cfg.events));
        assert_eq!(r.accepted, cfg.events, "{:?}", r.rejected.first());
        let s = pool.stats();
        // customers without a phone stay split across channels (nothing links them), so the
        // pool finds more customers than the 200 true ones, but far fewer than identities
        assert!(s.customers >= 200 && s.customers < s.identities * 2 / 3, "{s:?}");
        assert!(s.merges > 0);
    }

    #[test]
    fn items_add_up_and_leave_events_alone() {
        let cfg = SynthConfig { events: 500, customers: 50, ..Default::default() };
        let with = events_with_items(&cfg, 0..500);
        let plain = events(&cfg, 0..500);
        let mut orders = 0;
        for (a, b) in with.iter().zip(&plain) {
            let mut a2 = a.clone();
            a2.items.clear();
            assert_eq!(&a2, b);
            if a.kind == EventKind::Order {
                orders += 1;
                let sum: i64 = a.items.iter().map(|it| it.unit_price.unwrap().minor).sum();
                assert_eq!(Some(sum), a.money.map(|m| m.minor));
            } else {
                assert!(a.items.is_empty());
            }
        }
        assert!(orders > 20);
    }
}
