//! Snapshot format: a header and a frozen, versioned payload.
//!
//! ```text
//! magic    8 bytes  "YUTANGSN"
//! version  u16 LE   format version (2; 1 is still read)
//! crc32    u32 LE   CRC-32 (IEEE) of the payload
//! length   u64 LE   payload length
//! payload  postcard encoding of the version's frozen types
//! ```
//! The payload holds the source of truth only (configuration, events with their no-link marks,
//! the merge log, the retention horizon); everything derived (the identity graph, conflicts,
//! lookup indexes) is recomputed on restore, so it is exact by construction and derived
//! structures can change between library versions without a format change. The frozen
//! `*V1` types below never change; a new format version adds new types and a conversion.
//! Version 2 appends the named sections of the modules built on the pool (segments, tags,
//! lifecycle settings, journeys; see `pool::ext`): a version-1 payload followed by a list of
//! (name, postcard bytes). A section name this library does not know is a typed error.

use super::{MergeEntry, MergeReason, Pool, PoolConfig};
use crate::error::{Error, Result};
use crate::identity::{BlockRule, IdentityRules, KindRule, Normalizer};
use crate::model::{
    Channel, Consent, Currency, Event, EventKind, Identity, IdentityKind, Item, Limits, Money, PropValue, Subscription,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// The format version written by this library.
pub const SNAPSHOT_VERSION: u16 = 2;
const MAGIC: &[u8; 8] = b"YUTANGSN";
const HEADER: usize = 8 + 2 + 4 + 8;

#[derive(Serialize, Deserialize)]
struct IdentV1 {
    kind: String,
    namespace: Option<String>,
    value: String,
}

#[derive(Serialize, Deserialize)]
enum PropV1 {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Serialize, Deserialize)]
struct ItemV1 {
    sku: String,
    category: Option<String>,
    quantity: u32,
    unit_price: Option<(i64, String)>,
}

#[derive(Serialize, Deserialize)]
struct EventV1 {
    id: String,
    at: i64,
    kind: String,
    channel: Option<String>,
    identities: Vec<IdentV1>,
    nolink: u16,
    money: Option<(i64, String)>,
    order_id: Option<String>,
    items: Vec<ItemV1>,
    properties: Vec<(String, PropV1)>,
    referrer: Option<IdentV1>,
    group_id: Option<String>,
    consent: Option<(String, bool, Option<String>)>,
    subscription: Option<(String, Option<i64>)>,
}

#[derive(Serialize, Deserialize)]
struct KindRuleV1 {
    kind: String,
    normalizer: u8,
    priority: u32,
    limit: u32,
    namespaced: bool,
}

#[derive(Serialize, Deserialize)]
struct ConfigV1 {
    time_zone: String,
    currency: String,
    kinds: Vec<KindRuleV1>,
    blocklist: Vec<(Option<String>, String)>,
    limits: [u64; 7],
    id_key: [u64; 2],
    retention_days: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct MergeV1 {
    seq: u64,
    at: i64,
    event_id: Option<String>,
    survivor: Option<String>,
    absorbed: String,
    reason: u8,
}

#[derive(Serialize, Deserialize)]
struct SnapV1 {
    config: ConfigV1,
    events: Vec<EventV1>,
    merge_log: Vec<MergeV1>,
    retention_horizon: Option<i64>,
}

/// Version 2: version 1 followed by the named sections of the modules built on the pool
/// (see `pool::ext`).
#[derive(Serialize, Deserialize)]
struct SnapV2 {
    v1: SnapV1,
    sections: Vec<(String, Vec<u8>)>,
}

fn ident_v1(i: &Identity) -> IdentV1 {
    IdentV1 { kind: i.kind.to_string(), namespace: i.namespace.clone(), value: i.value.clone() }
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted payload: {what}") }
}

/// Decode a payload that must be used up exactly (trailing bytes are corruption too).
fn whole<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T> {
    let (v, rest) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    if !rest.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", rest.len())));
    }
    Ok(v)
}

fn ident_from(i: IdentV1) -> Result<Identity> {
    Ok(Identity { kind: IdentityKind::parse(&i.kind).map_err(corrupt)?, namespace: i.namespace, value: i.value })
}

fn money_from(m: (i64, String)) -> Result<Money> {
    Ok(Money::new(m.0, Currency::parse(&m.1).map_err(corrupt)?))
}

fn ts(v: i64) -> Result<Timestamp> {
    Timestamp::from_micros(v).map_err(corrupt)
}

const NORMALIZERS: [Normalizer; 4] = [Normalizer::Trim, Normalizer::Lowercase, Normalizer::Phone, Normalizer::Email];

impl Pool {
    /// Serialise the pool: a versioned header and a checksummed payload. See
    /// [`Pool::restore`].
    pub fn snapshot(&self) -> Vec<u8> {
        let c = &self.config;
        let l = &c.limits;
        let config = ConfigV1 {
            time_zone: c.time_zone.clone(),
            currency: c.currency.to_string(),
            kinds: c
                .identity_rules
                .kinds
                .iter()
                .map(|k| KindRuleV1 {
                    kind: k.kind.to_string(),
                    normalizer: NORMALIZERS.iter().position(|n| *n == k.normalizer).unwrap_or(0) as u8,
                    priority: k.priority,
                    limit: k.limit,
                    namespaced: k.namespaced,
                })
                .collect(),
            blocklist: c
                .identity_rules
                .blocklist
                .iter()
                .map(|b| (b.kind.as_ref().map(|k| k.to_string()), b.pattern.clone()))
                .collect(),
            limits: [
                l.max_id_len,
                l.max_identity_len,
                l.max_identities,
                l.max_properties,
                l.max_property_key_len,
                l.max_property_value_len,
                l.max_items,
            ]
            .map(|x| x as u64),
            id_key: c.id_key,
            retention_days: c.retention_days,
        };
        let events = self
            .order
            .iter()
            .map(|slot| {
                let (e, nolink) = self.stored_event(slot);
                EventV1 {
                    id: e.id,
                    at: e.at.micros(),
                    kind: e.kind.to_string(),
                    channel: e.channel.map(|c| c.to_string()),
                    identities: e.identities.iter().map(ident_v1).collect(),
                    nolink,
                    money: e.money.map(|m| (m.minor, m.currency.to_string())),
                    order_id: e.order_id,
                    items: e
                        .items
                        .into_iter()
                        .map(|i| ItemV1 {
                            sku: i.sku,
                            category: i.category,
                            quantity: i.quantity,
                            unit_price: i.unit_price.map(|m| (m.minor, m.currency.to_string())),
                        })
                        .collect(),
                    properties: e
                        .properties
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match v {
                                PropValue::Bool(b) => PropV1::Bool(b),
                                PropValue::Int(i) => PropV1::Int(i),
                                PropValue::Float(f) => PropV1::Float(f),
                                PropValue::Str(s) => PropV1::Str(s),
                            };
                            (k, v)
                        })
                        .collect(),
                    referrer: e.referrer.as_ref().map(ident_v1),
                    group_id: e.group_id,
                    consent: e.consent.map(|c| (c.channel.to_string(), c.granted, c.source)),
                    subscription: e.subscription.map(|s| (s.id, s.expires_at.map(|t| t.micros()))),
                }
            })
            .collect();
        let merge_log = self
            .merge_log
            .iter()
            .map(|m| MergeV1 {
                seq: m.seq,
                at: m.at.micros(),
                event_id: m.event_id.clone(),
                survivor: m.survivor.clone(),
                absorbed: m.absorbed.clone(),
                reason: match m.reason {
                    MergeReason::Merge => 0,
                    MergeReason::Reorder => 1,
                    MergeReason::Split => 2,
                },
            })
            .collect();
        let v1 = SnapV1 { config, events, merge_log, retention_horizon: self.retention_horizon.map(|t| t.micros()) };
        let snap = SnapV2 { v1, sections: self.ext.encode() };
        let payload = postcard::to_stdvec(&snap).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Restore a pool from [`Pool::snapshot`] bytes of this or any earlier format version.
    ///
    /// # Errors
    /// [`Error::Snapshot`] for a blob that is not a snapshot, is truncated or corrupted
    /// (checksum), or comes from a newer library (future format version).
    pub fn restore(bytes: &[u8]) -> Result<Pool> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(Error::Snapshot { reason: "not a yutang snapshot (bad magic or too short)".into() });
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version == 0 || version > SNAPSHOT_VERSION {
            return Err(Error::Snapshot {
                reason: format!("format version {version} is newer than this library reads (up to {SNAPSHOT_VERSION}); upgrade yutang"),
            });
        }
        let crc = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]);
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&bytes[14..22]);
        let len = u64::from_le_bytes(len8);
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != len {
            return Err(Error::Snapshot {
                reason: format!("truncated: payload has {} bytes, header says {len}", payload.len()),
            });
        }
        if crc32fast::hash(payload) != crc {
            return Err(Error::Snapshot { reason: "checksum mismatch (corrupted)".into() });
        }
        if version == 1 {
            return Self::from_v1(whole(payload)?);
        }
        let snap: SnapV2 = whole(payload)?;
        let ext = super::ext::Extensions::decode(snap.sections)?;
        let mut pool = Self::from_v1(snap.v1)?;
        pool.ext = ext;
        Ok(pool)
    }

    fn from_v1(s: SnapV1) -> Result<Pool> {
        let c = s.config;
        let kinds = c
            .kinds
            .into_iter()
            .map(|k| {
                Ok(KindRule {
                    kind: IdentityKind::parse(&k.kind).map_err(corrupt)?,
                    normalizer: *NORMALIZERS.get(k.normalizer as usize).ok_or_else(|| corrupt("normalizer"))?,
                    priority: k.priority,
                    limit: k.limit,
                    namespaced: k.namespaced,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let blocklist = c
            .blocklist
            .into_iter()
            .map(|(k, p)| {
                Ok(BlockRule { kind: k.map(|k| IdentityKind::parse(&k).map_err(corrupt)).transpose()?, pattern: p })
            })
            .collect::<Result<Vec<_>>>()?;
        let l = c.limits.map(|x| x as usize);
        let config = PoolConfig {
            time_zone: c.time_zone,
            currency: Currency::parse(&c.currency).map_err(corrupt)?,
            identity_rules: IdentityRules { kinds, blocklist },
            limits: Limits {
                max_id_len: l[0],
                max_identity_len: l[1],
                // blobs written before the cap of 16 was checked may hold more; no stored event
                // can have more than 16 identities that work, so the cap is applied here
                max_identities: l[2].clamp(1, super::MAX_IDENTITIES_PER_EVENT),
                max_properties: l[3],
                max_property_key_len: l[4],
                max_property_value_len: l[5],
                max_items: l[6],
            },
            id_key: c.id_key,
            retention_days: c.retention_days,
        };
        let events = s
            .events
            .into_iter()
            .map(|e| {
                let mut ev = Event::new(
                    e.id,
                    ts(e.at)?,
                    EventKind::parse(&e.kind).map_err(corrupt)?,
                    e.identities.into_iter().map(ident_from).collect::<Result<Vec<_>>>()?,
                );
                ev.channel = e.channel.map(|c| Channel::parse(&c).map_err(corrupt)).transpose()?;
                ev.money = e.money.map(money_from).transpose()?;
                ev.order_id = e.order_id;
                ev.items = e
                    .items
                    .into_iter()
                    .map(|i| {
                        Ok(Item {
                            sku: i.sku,
                            category: i.category,
                            quantity: i.quantity,
                            unit_price: i.unit_price.map(money_from).transpose()?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                ev.properties = e
                    .properties
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            PropV1::Bool(b) => PropValue::Bool(b),
                            PropV1::Int(i) => PropValue::Int(i),
                            PropV1::Float(f) => PropValue::Float(f),
                            PropV1::Str(s) => PropValue::Str(s),
                        };
                        (k, v)
                    })
                    .collect();
                ev.referrer = e.referrer.map(ident_from).transpose()?;
                ev.group_id = e.group_id;
                ev.consent = e
                    .consent
                    .map(|(ch, g, src)| {
                        Ok::<_, Error>(Consent {
                            channel: Channel::parse(&ch).map_err(corrupt)?,
                            granted: g,
                            source: src,
                        })
                    })
                    .transpose()?;
                ev.subscription = e
                    .subscription
                    .map(|(id, exp)| Ok::<_, Error>(Subscription { id, expires_at: exp.map(ts).transpose()? }))
                    .transpose()?;
                Ok((ev, e.nolink))
            })
            .collect::<Result<Vec<_>>>()?;
        let merge_log = s
            .merge_log
            .into_iter()
            .map(|m| {
                Ok(MergeEntry {
                    seq: m.seq,
                    at: ts(m.at)?,
                    event_id: m.event_id,
                    survivor: m.survivor,
                    absorbed: m.absorbed,
                    reason: match m.reason {
                        0 => MergeReason::Merge,
                        1 => MergeReason::Reorder,
                        2 => MergeReason::Split,
                        _ => return Err(corrupt("merge reason")),
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut pool = Pool::new(config).map_err(corrupt)?;
        pool.retention_horizon = s.retention_horizon.map(ts).transpose()?;
        pool.reload(events, merge_log).map_err(corrupt)?;
        Ok(pool)
    }
}
