//! Snapshot formats. A snapshot starts with the magic `YUTANGSN` and a u16 LE format version.
//!
//! **Version 4** (written by this library) is a stream: frames of at most 1 MiB, each with its
//! length and CRC-32 (see `pool::frames`), holding the core section and then the named
//! sections of the modules built on the pool, each with its own version:
//! ```text
//! core      u16 LE core version (1), then the columns (see `pool::columns`)
//! sections  postcard Vec<(name, version u16, bytes)>: `lifecycle`, `rules`, `journeys`,
//!           each present when not the default, its bytes the postcard encoding of the
//!           frozen types of that version (`lifecycle::section`, `segment::section`,
//!           `journey::section`)
//! ```
//! It is written and read through `std::io` with bounded buffers ([`Pool::snapshot_to`],
//! [`Pool::restore_from`]), stores the identities once and each event's identities as indices,
//! and restores without normalising or validating events again (their codes and references are
//! checked). A section version newer than this library reads is an error that says to upgrade.
//!
//! **Version 3** (still read) is version 4 without the version numbers: its core and module
//! sections are version 1 of each.
//!
//! **Versions 1 and 2** (still read) have a fixed header and one checksummed postcard payload:
//! ```text
//! magic    8 bytes  "YUTANGSN"
//! version  u16 LE   1 or 2
//! crc32    u32 LE   CRC-32 (IEEE) of the payload
//! length   u64 LE   payload length
//! payload  postcard encoding of the version's frozen types
//! ```
//! The version-1 payload holds the configuration, the events with their no-link marks, the
//! merge log and the retention horizon; version 2 appends the named module sections. The
//! frozen `*V1` types below never change (versions 3 and 4 reuse some of them inside their
//! columns). Their module sections are version 1 of each.

use super::{MergeEntry, MergeReason, Pool, PoolConfig};
use crate::error::{Error, Result};
use crate::identity::{BlockRule, IdentityRules, KindRule, Normalizer};
use crate::model::{
    Channel, Consent, Currency, Event, EventKind, Identity, IdentityKind, Item, Limits, Money, PropValue, Subscription,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// The format version written by this library.
pub const SNAPSHOT_VERSION: u16 = 4;
pub(super) const MAGIC: &[u8; 8] = b"YUTANGSN";
const HEADER: usize = 8 + 2 + 4 + 8;

#[derive(Serialize, Deserialize)]
pub(super) struct IdentV1 {
    pub(super) kind: String,
    pub(super) namespace: Option<String>,
    pub(super) value: String,
}

#[derive(Serialize, Deserialize)]
pub(super) enum PropV1 {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Serialize, Deserialize)]
pub(super) struct ItemV1 {
    pub(super) sku: String,
    pub(super) category: Option<String>,
    pub(super) quantity: u32,
    pub(super) unit_price: Option<(i64, String)>,
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
pub(super) struct KindRuleV1 {
    pub(super) kind: String,
    pub(super) normalizer: u8,
    pub(super) priority: u32,
    pub(super) limit: u32,
    pub(super) namespaced: bool,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ConfigV1 {
    pub(super) time_zone: String,
    pub(super) currency: String,
    pub(super) kinds: Vec<KindRuleV1>,
    pub(super) blocklist: Vec<(Option<String>, String)>,
    pub(super) limits: [u64; 7],
    pub(super) id_key: [u64; 2],
    pub(super) retention_days: Option<u32>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct MergeV1 {
    pub(super) seq: u64,
    pub(super) at: i64,
    pub(super) event_id: Option<String>,
    pub(super) survivor: Option<String>,
    pub(super) absorbed: String,
    pub(super) reason: u8,
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

pub(super) fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted payload: {what}") }
}

/// Decode a payload that must be used up exactly (trailing bytes are corruption too).
fn whole<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T> {
    super::frames::decode_exact(payload).map_err(corrupt)
}

fn ident_from(i: IdentV1) -> Result<Identity> {
    Ok(Identity { kind: IdentityKind::parse(&i.kind).map_err(corrupt)?, namespace: i.namespace, value: i.value })
}

pub(super) fn money_from(m: (i64, String)) -> Result<Money> {
    Ok(Money::new(m.0, Currency::parse(&m.1).map_err(corrupt)?))
}

pub(super) fn ts(v: i64) -> Result<Timestamp> {
    Timestamp::from_micros(v).map_err(corrupt)
}

const NORMALIZERS: [Normalizer; 4] = [Normalizer::Trim, Normalizer::Lowercase, Normalizer::Phone, Normalizer::Email];

pub(super) fn config_v1(c: &PoolConfig) -> ConfigV1 {
    let l = &c.limits;
    ConfigV1 {
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
    }
}

pub(super) fn merges_v1(log: &[MergeEntry]) -> Vec<MergeV1> {
    log.iter()
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
        .collect()
}

pub(super) fn merges_from(log: Vec<MergeV1>) -> Result<Vec<MergeEntry>> {
    log.into_iter()
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
        .collect()
}

pub(super) fn config_from(c: ConfigV1) -> Result<PoolConfig> {
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
    Ok(PoolConfig {
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
    })
}

pub(super) fn items_v1(items: &[Item]) -> Vec<ItemV1> {
    items
        .iter()
        .map(|i| ItemV1 {
            sku: i.sku.clone(),
            category: i.category.clone(),
            quantity: i.quantity,
            unit_price: i.unit_price.map(|m| (m.minor, m.currency.to_string())),
        })
        .collect()
}

pub(super) fn items_from(items: Vec<ItemV1>) -> Result<Vec<Item>> {
    items
        .into_iter()
        .map(|i| {
            Ok(Item {
                sku: i.sku,
                category: i.category,
                quantity: i.quantity,
                unit_price: i.unit_price.map(money_from).transpose()?,
            })
        })
        .collect()
}

pub(super) fn props_v1(p: &std::collections::BTreeMap<String, PropValue>) -> Vec<(String, PropV1)> {
    p.iter()
        .map(|(k, v)| {
            let v = match v {
                PropValue::Bool(b) => PropV1::Bool(*b),
                PropValue::Int(i) => PropV1::Int(*i),
                PropValue::Float(f) => PropV1::Float(*f),
                PropValue::Str(s) => PropV1::Str(s.clone()),
            };
            (k.clone(), v)
        })
        .collect()
}

pub(super) fn props_from(p: Vec<(String, PropV1)>) -> std::collections::BTreeMap<String, PropValue> {
    p.into_iter()
        .map(|(k, v)| {
            let v = match v {
                PropV1::Bool(b) => PropValue::Bool(b),
                PropV1::Int(i) => PropValue::Int(i),
                PropV1::Float(f) => PropValue::Float(f),
                PropV1::Str(s) => PropValue::Str(s),
            };
            (k, v)
        })
        .collect()
}

pub(super) fn consent_from(c: Option<(String, bool, Option<String>)>) -> Result<Option<Consent>> {
    c.map(|(ch, g, src)| Ok(Consent { channel: Channel::parse(&ch).map_err(corrupt)?, granted: g, source: src }))
        .transpose()
}

pub(super) fn subscription_from(s: Option<(String, Option<i64>)>) -> Result<Option<Subscription>> {
    s.map(|(id, exp)| Ok(Subscription { id, expires_at: exp.map(ts).transpose()? })).transpose()
}

/// The sections of formats 2 and 3, which are version 1 of each (written before sections had
/// a version).
fn versioned(sections: Vec<(String, Vec<u8>)>) -> Vec<super::ext::Section> {
    sections.into_iter().map(|(name, bytes)| (name, 1, bytes)).collect()
}

impl Pool {
    /// Serialise the pool (format version [`SNAPSHOT_VERSION`]): the bytes of
    /// [`Pool::snapshot_to`]. See [`Pool::restore`].
    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.snapshot_size_hint());
        // writing into a Vec cannot fail, and every value of the format encodes
        self.snapshot_to(&mut out).unwrap_or_else(|e| unreachable!("a snapshot into memory: {e}"));
        out
    }

    /// Write a snapshot to `out` as a stream: bounded buffers (1 MiB frames, each with its
    /// CRC-32), so that snapshotting a large pool to a file takes almost no memory beyond the
    /// pool. Wrap `out` in a compressor (zstd, gzip) to compress; buffering is done here.
    ///
    /// # Errors
    /// [`Error::Snapshot`] when `out` fails (the I/O error is in the reason).
    ///
    /// # Example
    /// ```
    /// let pool = yutang::Pool::default();
    /// let mut file = Vec::new(); // any `std::io::Write`: a File, a socket, a zstd encoder
    /// pool.snapshot_to(&mut file)?;
    /// let again = yutang::Pool::restore_from(&file[..])?;
    /// assert_eq!(again.snapshot(), file);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn snapshot_to(&self, mut out: impl std::io::Write) -> Result<()> {
        let head = [&MAGIC[..], &SNAPSHOT_VERSION.to_le_bytes()].concat();
        out.write_all(&head)
            .map_err(|e| Error::Snapshot { reason: format!("cannot write the snapshot stream: {e}") })?;
        let mut w = super::frames::FrameWriter::new(out);
        w.u16(super::columns::CORE_VERSION);
        self.write_columns(&mut w)?;
        w.postcard(&self.ext.encode()?)?;
        w.finish()
    }

    /// Restore a pool from [`Pool::snapshot`] bytes of this or any earlier format version.
    ///
    /// # Errors
    /// [`Error::Snapshot`] for a blob that is not a snapshot, is truncated or corrupted
    /// (checksum, or a reference that points nowhere), or comes from a newer library (future
    /// format version).
    pub fn restore(bytes: &[u8]) -> Result<Pool> {
        Self::restore_from(bytes)
    }

    /// Restore a pool from a stream written by [`Pool::snapshot_to`] (or from the bytes of any
    /// earlier format version), reading it once with bounded buffers.
    ///
    /// # Errors
    /// As [`Pool::restore`]; an I/O error of `input` is an [`Error::Snapshot`] too.
    pub fn restore_from(mut input: impl std::io::Read) -> Result<Pool> {
        let mut head = [0u8; 10];
        if input.read_exact(&mut head).is_err() || &head[..8] != MAGIC {
            return Err(Error::Snapshot { reason: "not a yutang snapshot (bad magic or too short)".into() });
        }
        let version = u16::from_le_bytes([head[8], head[9]]);
        if version == 0 || version > SNAPSHOT_VERSION {
            return Err(Error::Snapshot {
                reason: format!("format version {version} is newer than this library reads (up to {SNAPSHOT_VERSION}); upgrade yutang"),
            });
        }
        if version >= 3 {
            let mut r = super::frames::FrameReader::new(input);
            if version >= 4 {
                let core = r.u16()?;
                if core != super::columns::CORE_VERSION {
                    return Err(Error::Snapshot {
                        reason: format!(
                            "section `core` has version {core}, this library reads version {}; upgrade yutang",
                            super::columns::CORE_VERSION
                        ),
                    });
                }
            }
            let mut pool = Self::read_columns(&mut r)?;
            let sections = if version >= 4 { r.postcard("sections")? } else { versioned(r.postcard("sections")?) };
            r.finish()?;
            pool.ext = super::ext::Extensions::decode(sections)?;
            return Ok(pool);
        }
        let mut bytes = head.to_vec();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Snapshot { reason: format!("cannot read the snapshot: {e}") })?;
        Self::restore_legacy(&bytes, version)
    }

    /// Versions 1 and 2: one checksummed payload after a fixed header.
    fn restore_legacy(bytes: &[u8], version: u16) -> Result<Pool> {
        if bytes.len() < HEADER {
            return Err(Error::Snapshot { reason: "not a yutang snapshot (bad magic or too short)".into() });
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
        let ext = super::ext::Extensions::decode(versioned(snap.sections))?;
        let mut pool = Self::from_v1(snap.v1)?;
        pool.ext = ext;
        Ok(pool)
    }

    fn from_v1(s: SnapV1) -> Result<Pool> {
        let config = config_from(s.config)?;
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
                ev.items = items_from(e.items)?;
                ev.properties = props_from(e.properties);
                ev.referrer = e.referrer.map(ident_from).transpose()?;
                ev.group_id = e.group_id;
                ev.consent = consent_from(e.consent)?;
                ev.subscription = subscription_from(e.subscription)?;
                Ok((ev, e.nolink))
            })
            .collect::<Result<Vec<_>>>()?;
        let merge_log = merges_from(s.merge_log)?;
        let mut pool = Pool::new(config).map_err(corrupt)?;
        pool.retention_horizon = s.retention_horizon.map(ts).transpose()?;
        pool.reload(events, merge_log).map_err(corrupt)?;
        Ok(pool)
    }
}
