//! Events: the typed form ([`Event`]) and the loose input form ([`EventInput`]) that JSON,
//! Python rows and Kotlin records arrive in.

use super::{parse_time, Channel, Currency, EventKind, Identity, IdentityKind, Money, Timestamp};
use crate::error::{Error, Result};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Explicit limits on one event. Exceeding one rejects the event with a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Longest event id, order id, group id, subscription id, sku or category (bytes).
    pub max_id_len: usize,
    /// Longest identity value or namespace (bytes, before normalisation).
    pub max_identity_len: usize,
    /// Most identities on one event.
    pub max_identities: usize,
    /// Most properties on one event.
    pub max_properties: usize,
    /// Longest property key (bytes).
    pub max_property_key_len: usize,
    /// Longest string property value (bytes).
    pub max_property_value_len: usize,
    /// Most items on one order.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_id_len: 128,
            max_identity_len: 128,
            max_identities: 16,
            max_properties: 64,
            max_property_key_len: 64,
            max_property_value_len: 1024,
            max_items: 200,
        }
    }
}

/// A property value on an event.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum PropValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A string.
    Str(String),
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// Stock-keeping unit.
    pub sku: String,
    /// Product category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Quantity (≥ 1).
    pub quantity: u32,
    /// Price of one unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
}

/// Consent on a channel (a `consent` event).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Consent {
    /// The channel the consent is about.
    pub channel: Channel,
    /// Granted (`true`) or denied (`false`).
    pub granted: bool,
    /// Where it came from (a form, an unsubscribe link …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A subscription (on `subscription_start` / `subscription_expire` events).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subscription {
    /// The subscription id.
    pub id: String,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A validated event.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// The host's event id; a repeated id with the same content is a duplicate.
    pub id: String,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// Where it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Who it happened to (one or more identities of the same person).
    pub identities: Vec<Identity>,
    /// The amount (orders and refunds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<Money>,
    /// The order this event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Order lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    /// Free-form properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropValue>,
    /// The inviter (`referral` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Identity>,
    /// The group chat (`group_*` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The consent decision (`consent` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// The subscription (`subscription_*` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
}

impl Event {
    /// A minimal event: id, time, kind and identities.
    pub fn new(id: impl Into<String>, at: Timestamp, kind: EventKind, identities: Vec<Identity>) -> Self {
        Event {
            id: id.into(),
            at,
            kind,
            channel: None,
            identities,
            money: None,
            order_id: None,
            items: Vec::new(),
            properties: BTreeMap::new(),
            referrer: None,
            group_id: None,
            consent: None,
            subscription: None,
        }
    }

    /// Set the channel.
    pub fn channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Set the money.
    pub fn money(mut self, money: Money) -> Self {
        self.money = Some(money);
        self
    }

    /// Check the limits and the fields the kind requires.
    ///
    /// # Errors
    /// [`Error::InvalidField`] or [`Error::LimitExceeded`] naming the field.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        self.as_borrowed().validate(limits)
    }

    /// This event, borrowed (no copy): the form [`crate::Pool::ingester`] stores.
    pub fn as_borrowed(&self) -> BorrowedEvent<'_> {
        BorrowedEvent {
            id: &self.id,
            at: self.at,
            kind: &self.kind,
            channel: self.channel.as_ref(),
            identities: IdentitySlice::Owned(&self.identities),
            money: self.money,
            order_id: self.order_id.as_deref(),
            items: &self.items,
            properties: &self.properties,
            referrer: self.referrer.as_ref().map(BorrowedIdentity::from),
            group_id: self.group_id.as_deref(),
            consent: self.consent.as_ref(),
            subscription: self.subscription.as_ref(),
        }
    }
}

/// An identity borrowed from the host's data (see [`BorrowedEvent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BorrowedIdentity<'a> {
    /// The kind.
    pub kind: &'a IdentityKind,
    /// Namespace (app id, corp id).
    pub namespace: Option<&'a str>,
    /// The value, as it arrives (normalised when stored).
    pub value: &'a str,
}

impl<'a> From<&'a Identity> for BorrowedIdentity<'a> {
    fn from(i: &'a Identity) -> Self {
        BorrowedIdentity { kind: &i.kind, namespace: i.namespace.as_deref(), value: &i.value }
    }
}

impl BorrowedIdentity<'_> {
    /// An owned copy.
    pub fn to_identity(&self) -> Identity {
        Identity {
            kind: self.kind.clone(),
            namespace: self.namespace.map(str::to_string),
            value: self.value.to_string(),
        }
    }
}

/// The identities of a [`BorrowedEvent`]: owned [`Identity`] values (from an [`Event`]) or
/// borrowed ones (from columns), read the same way.
#[derive(Debug, Clone, Copy)]
pub enum IdentitySlice<'a> {
    /// Owned identities.
    Owned(&'a [Identity]),
    /// Borrowed identities.
    Borrowed(&'a [BorrowedIdentity<'a>]),
}

impl<'a> IdentitySlice<'a> {
    /// Number of identities.
    pub fn len(&self) -> usize {
        match self {
            IdentitySlice::Owned(v) => v.len(),
            IdentitySlice::Borrowed(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Identity `i` (panics out of range, like slice indexing).
    pub fn get(&self, i: usize) -> BorrowedIdentity<'a> {
        match *self {
            IdentitySlice::Owned(v) => BorrowedIdentity::from(&v[i]),
            IdentitySlice::Borrowed(v) => v[i],
        }
    }

    /// The identities in order.
    pub fn iter(&self) -> impl Iterator<Item = BorrowedIdentity<'a>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// No properties (the default of [`BorrowedEvent::properties`]).
pub static NO_PROPERTIES: BTreeMap<String, PropValue> = BTreeMap::new();

/// An event borrowed from the host's data: the fast way in. [`crate::Pool::ingester`] stores
/// it without the host building an owned [`Event`] (strings are copied once, into the pool).
///
/// ```
/// use yutang::{BorrowedEvent, BorrowedIdentity, EventKind, IdentityKind, Pool, Timestamp};
/// let mut pool = Pool::default();
/// let ids = [BorrowedIdentity { kind: &IdentityKind::Phone, namespace: None, value: "13800138000" }];
/// let at = Timestamp::from_micros(1_714_521_600_000_000)?;
/// let mut ingester = pool.ingester();
/// ingester.push(&BorrowedEvent::new("e1", at, &EventKind::Register, &ids));
/// let report = ingester.finish();
/// assert_eq!(report.accepted, 1);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BorrowedEvent<'a> {
    /// The host's event id.
    pub id: &'a str,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: &'a EventKind,
    /// Where it happened.
    pub channel: Option<&'a Channel>,
    /// Who it happened to.
    pub identities: IdentitySlice<'a>,
    /// The amount (orders and refunds).
    pub money: Option<Money>,
    /// The order this event belongs to.
    pub order_id: Option<&'a str>,
    /// Order lines.
    pub items: &'a [Item],
    /// Free-form properties.
    pub properties: &'a BTreeMap<String, PropValue>,
    /// The inviter (`referral` events).
    pub referrer: Option<BorrowedIdentity<'a>>,
    /// The group chat (`group_*` events).
    pub group_id: Option<&'a str>,
    /// The consent decision (`consent` events).
    pub consent: Option<&'a Consent>,
    /// The subscription (`subscription_*` events).
    pub subscription: Option<&'a Subscription>,
}

impl<'a> BorrowedEvent<'a> {
    /// A minimal event: id, time, kind and identities (set the other fields directly).
    pub fn new(id: &'a str, at: Timestamp, kind: &'a EventKind, identities: &'a [BorrowedIdentity<'a>]) -> Self {
        BorrowedEvent {
            id,
            at,
            kind,
            channel: None,
            identities: IdentitySlice::Borrowed(identities),
            money: None,
            order_id: None,
            items: &[],
            properties: &NO_PROPERTIES,
            referrer: None,
            group_id: None,
            consent: None,
            subscription: None,
        }
    }

    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event {
            id: self.id.to_string(),
            at: self.at,
            kind: self.kind.clone(),
            channel: self.channel.cloned(),
            identities: self.identities.iter().map(|i| i.to_identity()).collect(),
            money: self.money,
            order_id: self.order_id.map(str::to_string),
            items: self.items.to_vec(),
            properties: self.properties.clone(),
            referrer: self.referrer.map(|r| r.to_identity()),
            group_id: self.group_id.map(str::to_string),
            consent: self.consent.cloned(),
            subscription: self.subscription.cloned(),
        }
    }

    /// Check the limits and the fields the kind requires ([`Event::validate`]).
    ///
    /// # Errors
    /// [`Error::InvalidField`] or [`Error::LimitExceeded`] naming the field.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        self.validate_with(limits, true)
    }

    /// [`BorrowedEvent::validate`] for an event the pool stored before: a referral whose
    /// referrer was erased keeps no referrer.
    pub(crate) fn validate_stored(&self, limits: &Limits) -> Result<()> {
        self.validate_with(limits, false)
    }

    fn validate_with(&self, limits: &Limits, referrer_required: bool) -> Result<()> {
        check_id("id", self.id, limits)?;
        if self.identities.len() > limits.max_identities {
            return Err(Error::limit("identities", limits.max_identities, self.identities.len()));
        }
        for (i, ident) in self.identities.iter().enumerate() {
            check_identity(|| format!("identities[{i}]"), &ident, limits)?;
        }
        if let Some(o) = self.order_id {
            check_id("order_id", o, limits)?;
        }
        if self.kind.carries_money() && self.money.is_none() {
            return Err(Error::invalid("amount", "", format!("required for {} events", self.kind)));
        }
        if let Some(m) = &self.money {
            if m.minor < 0 {
                return Err(Error::invalid("amount", m.to_decimal_string(), "negative amounts are not allowed"));
            }
        }
        if self.items.len() > limits.max_items {
            return Err(Error::limit("items", limits.max_items, self.items.len()));
        }
        for (i, it) in self.items.iter().enumerate() {
            check_id_with(|| format!("items[{i}].sku"), &it.sku, limits)?;
            if let Some(c) = &it.category {
                check_id_with(|| format!("items[{i}].category"), c, limits)?;
            }
            if it.quantity == 0 {
                return Err(Error::invalid(format!("items[{i}].quantity"), "0", "must be at least 1"));
            }
        }
        if self.properties.len() > limits.max_properties {
            return Err(Error::limit("properties", limits.max_properties, self.properties.len()));
        }
        for (k, v) in self.properties {
            if k.is_empty() || k.len() > limits.max_property_key_len {
                return Err(Error::invalid(
                    "properties",
                    k,
                    format!("keys must be 1..={} bytes", limits.max_property_key_len),
                ));
            }
            match v {
                PropValue::Str(s) if s.len() > limits.max_property_value_len => {
                    return Err(Error::limit(format!("properties.{k}"), limits.max_property_value_len, s.len()))
                }
                PropValue::Float(f) if !f.is_finite() => {
                    return Err(Error::invalid(format!("properties.{k}"), f.to_string(), "not a finite number"))
                }
                _ => {}
            }
        }
        match self.kind {
            EventKind::Referral => match self.referrer {
                Some(r) => check_identity(|| "referrer".into(), &r, limits)?,
                None if referrer_required => {
                    return Err(Error::invalid("referrer", "", "required for referral events"))
                }
                None => {}
            },
            EventKind::GroupJoin | EventKind::GroupLeave | EventKind::GroupMessage => match self.group_id {
                Some(g) => check_id("group_id", g, limits)?,
                None => return Err(Error::invalid("group_id", "", format!("required for {} events", self.kind))),
            },
            EventKind::Consent if self.consent.is_none() => {
                return Err(Error::invalid("consent", "", "required for consent events"))
            }
            EventKind::SubscriptionStart | EventKind::SubscriptionExpire => match self.subscription {
                Some(s) => check_id("subscription_id", &s.id, limits)?,
                None => {
                    return Err(Error::invalid("subscription_id", "", format!("required for {} events", self.kind)))
                }
            },
            _ => {}
        }
        Ok(())
    }
}

fn check_id(field: &str, v: &str, limits: &Limits) -> Result<()> {
    check_id_with(|| field.to_string(), v, limits)
}

/// Check an id whose field name is built only on failure (no formatting on the hot path).
fn check_id_with(field: impl Fn() -> String, v: &str, limits: &Limits) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field(), v, "must not be empty"));
    }
    if v.len() > limits.max_id_len {
        return Err(Error::limit(field(), limits.max_id_len, v.len()));
    }
    Ok(())
}

fn check_identity(field: impl Fn() -> String, ident: &BorrowedIdentity<'_>, limits: &Limits) -> Result<()> {
    if ident.value.len() > limits.max_identity_len {
        return Err(Error::limit(format!("{}.value", field()), limits.max_identity_len, ident.value.len()));
    }
    if let Some(ns) = ident.namespace {
        if ns.len() > limits.max_identity_len {
            return Err(Error::limit(format!("{}.namespace", field()), limits.max_identity_len, ns.len()));
        }
    }
    Ok(())
}

/// An identity as it arrives (strings).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct IdentityInput {
    /// Kind id, e.g. `phone`.
    pub kind: String,
    /// Namespace (app id, corp id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The value. From JSON, an integer (a phone number read as a number) is taken as its
    /// decimal digits, and so is a whole-number float such as `13812345678.0`.
    #[serde(deserialize_with = "string_or_digits")]
    pub value: String,
}

/// A JSON string, or an integer or whole-number float as its decimal digits (no `.0`, no
/// exponent).
fn string_or_digits<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an integer")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<String, E> {
            whole_digits(v).ok_or_else(|| E::custom("a fractional or non-finite number is not an identity value"))
        }
    }
    d.deserialize_any(V)
}

/// The decimal digits of a whole, finite float that an integer holds exactly (|v| < 2^63),
/// e.g. a phone column that a CSV reader turned into float64 because of blanks.
fn whole_digits(v: f64) -> Option<String> {
    (v.is_finite() && v.fract() == 0.0 && v.abs() < 9.223_372_036_854_775e18).then(|| (v as i64).to_string())
}

/// An order line as it arrives.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ItemInput {
    /// Stock-keeping unit.
    pub sku: String,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Quantity (default 1).
    #[serde(default)]
    pub quantity: Option<u32>,
    /// Unit price in major units (`"19.90"`), in the event's currency.
    #[serde(default)]
    pub unit_price: Option<serde_json::Value>,
}

/// An event as it arrives from JSON, a Python dict or a Kotlin record: times and amounts are
/// still strings (or JSON numbers), kinds are string ids. [`EventInput::into_event`] validates.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct EventInput {
    /// Event id.
    #[serde(default)]
    pub id: Option<String>,
    /// ISO-8601 time (with offset, or in the business zone).
    #[serde(default)]
    pub at: Option<String>,
    /// Kind id.
    #[serde(default)]
    pub kind: Option<String>,
    /// Channel id.
    #[serde(default)]
    pub channel: Option<String>,
    /// Identities.
    #[serde(default)]
    pub identities: Vec<IdentityInput>,
    /// Amount in major units: a decimal string or a JSON number.
    #[serde(default)]
    pub amount: Option<serde_json::Value>,
    /// ISO-4217 code (default: the pool's reporting currency).
    #[serde(default)]
    pub currency: Option<String>,
    /// Order id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Order lines.
    #[serde(default)]
    pub items: Vec<ItemInput>,
    /// Properties.
    #[serde(default)]
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Inviter (referral).
    #[serde(default)]
    pub referrer: Option<IdentityInput>,
    /// Group id (group events).
    #[serde(default)]
    pub group_id: Option<String>,
    /// Consent channel (consent events).
    #[serde(default)]
    pub consent_channel: Option<String>,
    /// Consent granted? (consent events).
    #[serde(default)]
    pub granted: Option<bool>,
    /// Consent source.
    #[serde(default)]
    pub source: Option<String>,
    /// Subscription id (subscription events).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Subscription expiry (ISO-8601).
    #[serde(default)]
    pub expires_at: Option<String>,
}

fn parse_identity(field: &str, i: &IdentityInput) -> Result<Identity> {
    let kind = IdentityKind::parse(&i.kind).map_err(|_| {
        Error::invalid(format!("{field}.kind"), &i.kind, "unknown identity kind (see IdentityKind, or custom:<name>)")
    })?;
    Ok(Identity { kind, namespace: i.namespace.clone().filter(|n| !n.is_empty()), value: i.value.clone() })
}

/// Parse an amount given as a JSON string or number.
pub(crate) fn parse_amount(field: &str, v: &serde_json::Value, currency: Currency) -> Result<Money> {
    let r = match v {
        serde_json::Value::String(s) => Money::parse(s, currency),
        serde_json::Value::Number(n) => Money::parse(&n.to_string(), currency),
        other => Err(Error::invalid(field, other.to_string(), "not a number")),
    };
    r.map_err(|e| match e {
        Error::InvalidField { value, reason, .. } => Error::InvalidField { field: field.to_string(), value, reason },
        other => other,
    })
}

impl EventInput {
    /// Validate and convert, reading zone-less times in `tz` and amounts without currency in
    /// `default_currency`.
    ///
    /// # Errors
    /// The first problem found, naming the field.
    pub fn into_event(&self, tz: Tz, default_currency: Currency, limits: &Limits) -> Result<Event> {
        let id = self.id.clone().filter(|s| !s.is_empty()).ok_or_else(|| Error::invalid("id", "", "missing"))?;
        let at = match &self.at {
            Some(s) => parse_time(s, tz)?,
            None => return Err(Error::invalid("at", "", "missing")),
        };
        let kind_s = self.kind.as_deref().ok_or_else(|| Error::invalid("kind", "", "missing"))?;
        let kind = EventKind::parse(kind_s)?;
        let channel = self.channel.as_deref().filter(|s| !s.is_empty()).map(Channel::parse).transpose()?;
        let identities = self
            .identities
            .iter()
            .enumerate()
            .map(|(i, x)| parse_identity(&format!("identities[{i}]"), x))
            .collect::<Result<Vec<_>>>()?;
        let currency = match &self.currency {
            Some(c) if !c.is_empty() => Currency::parse(c)?,
            _ => default_currency,
        };
        let money =
            self.amount.as_ref().filter(|v| !v.is_null()).map(|v| parse_amount("amount", v, currency)).transpose()?;
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                Ok(Item {
                    sku: it.sku.clone(),
                    category: it.category.clone(),
                    quantity: it.quantity.unwrap_or(1),
                    unit_price: it
                        .unit_price
                        .as_ref()
                        .filter(|v| !v.is_null())
                        .map(|v| parse_amount(&format!("items[{i}].unit_price"), v, currency))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut properties = BTreeMap::new();
        for (k, v) in &self.properties {
            let pv = match v {
                serde_json::Value::Bool(b) => PropValue::Bool(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => PropValue::Int(i),
                    None => PropValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                serde_json::Value::String(s) => PropValue::Str(s.clone()),
                serde_json::Value::Null => continue,
                other => {
                    return Err(Error::invalid(
                        format!("properties.{k}"),
                        other.to_string(),
                        "must be a string, number or boolean",
                    ))
                }
            };
            properties.insert(k.clone(), pv);
        }
        let referrer = self.referrer.as_ref().map(|r| parse_identity("referrer", r)).transpose()?;
        let consent = match (&self.consent_channel, self.granted) {
            (Some(c), Some(g)) => Some(Consent {
                channel: Channel::parse(c).map_err(|_| Error::invalid("consent_channel", c, "unknown channel"))?,
                granted: g,
                source: self.source.clone(),
            }),
            (Some(_), None) => return Err(Error::invalid("granted", "", "required with consent_channel")),
            (None, Some(g)) => match &channel {
                Some(c) => Some(Consent { channel: c.clone(), granted: g, source: self.source.clone() }),
                None => return Err(Error::invalid("consent_channel", "", "required (or a channel) with granted")),
            },
            (None, None) => None,
        };
        let subscription = match &self.subscription_id {
            Some(s) => Some(Subscription {
                id: s.clone(),
                expires_at: self
                    .expires_at
                    .as_deref()
                    .map(|t| {
                        parse_time(t, tz).map_err(|e| match e {
                            Error::InvalidField { value, reason, .. } => {
                                Error::InvalidField { field: "expires_at".into(), value, reason }
                            }
                            o => o,
                        })
                    })
                    .transpose()?,
            }),
            None => None,
        };
        let ev = Event {
            id,
            at,
            kind,
            channel,
            identities,
            money,
            order_id: self.order_id.clone().filter(|s| !s.is_empty()),
            items,
            properties,
            referrer,
            group_id: self.group_id.clone().filter(|s| !s.is_empty()),
            consent,
            subscription,
        };
        ev.validate(limits)?;
        Ok(ev)
    }
}
